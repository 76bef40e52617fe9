/* SPDX-License-Identifier: ISC */
/*
 * End-to-end tests of staff sign-on: one staff account at metro's and at
 * the district's desks, a real circlinkd between the simulated ILSes, and
 * each request allowed or refused by what the account holds at the
 * partner it acts on, refusals never reaching an ILS.
 */

#include "config.h"

#include <sys/types.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sip2.h"
#include "circlinkd.h"
#include "e2e.h"

#define METRO_ITEM	"31000000014"	/* Kind of Blue, on the shelf */
#define METRO_ITEM2	"31000000001"
#define METRO_PATRON	"21000000001"
#define METRO_PIN	"1111"
#define METRO_OWES	"21000000002"	/* owes 12.50, F1001 */
#define DISTRICT_ITEM	"32000000002"	/* Charlotte's Web, on the shelf */
#define DISTRICT_TITLE	"Charlotte's Web"
#define DISTRICT_LOAN	"32000000003"	/* on loan to 22000000002 */
#define DISTRICT_PATRON	"22000000002"
#define DISTRICT_PIN	"5555"
#define L_PLAIN		0

/*
 * alex: circulation at metro, cataloging at the district.
 * casey: circulation, fines and inventory at metro, circulation at the
 * district.  sam: circulation at metro only.
 */
#define ALEX_PW		"alex-staff-pw"
#define CASEY_PW	"casey-staff-pw"
#define SAM_PW		"sam-staff-pw"

static struct e2e_env	 env;
static char		*alex_hash, *casey_hash, *sam_hash;
static char		 staff_block[2048];

static int
write_conf(struct e2e_env *e)
{
	const struct e2e_partner	 parts[] = {
		{ .id = "metro", .name = E2E_METRO_NAME, .institution = "METRO",
		    .patrons = "2100*", .items = "3100*", .loc1 = "MAIN",
		    .loc2 = "EAST", .ils = &e->metro,
		    .password = "metro-ils-pw",
		    .terms = "\t\taccept yes\n\t\tlink-classes STUDENT",
		    .extra = "\tvisitor-accounts 21090000001 21090000002" },
		{ .id = "district", .name = E2E_DISTRICT_NAME,
		    .institution = "DISTRICT", .patrons = "2200*",
		    .items = "3200*", .loc1 = "LINCOLN", .loc2 = "WESTHIGH",
		    .ils = &e->district, .password = "district-ils-pw" },
	};

	return (e2e_gw_write_partners(e, parts, 2));
}

#define ALEX_AT_METRO	"\tpermissions metro circulation\n"

/* The staff blocks, alex holding what alex_metro says at metro. */
static void
set_staff(const char *alex_metro)
{
	snprintf(staff_block, sizeof(staff_block),
	    "staff alex {\n"
	    "\tpassword-hash \"%s\"\n"
	    "%s"
	    "\tpermissions district cataloging\n"
	    "}\n"
	    "staff casey {\n"
	    "\tpassword-hash \"%s\"\n"
	    "\tpermissions metro circulation fines inventory\n"
	    "\tpermissions district circulation\n"
	    "}\n"
	    "staff sam {\n"
	    "\tpassword-hash \"%s\"\n"
	    "\tpermissions metro circulation\n"
	    "}", alex_hash, alex_metro, casey_hash, sam_hash);
}

static int
group_setup(void **state)
{
	if ((alex_hash = auth_hash_password(ALEX_PW)) == NULL ||
	    (casey_hash = auth_hash_password(CASEY_PW)) == NULL ||
	    (sam_hash = auth_hash_password(SAM_PW)) == NULL)
		return (-1);
	set_staff(ALEX_AT_METRO);
	if (e2e_env_init(&env) == -1 || e2e_ils_start_demo(&env, 0) == -1)
		goto fail;
	env.main_extra = staff_block;
	e2e_listeners_init(&env, 1);
	/* Terminals too: the harness waits for partners through them. */
	if (e2e_terminal_add(&env, "metro-kiosk", "metro-kiosk-pw", "metro",
	    "MAIN", NULL, NULL) == -1 ||
	    e2e_terminal_add(&env, "district-desk", "district-desk-pw",
	    "district", "LINCOLN", NULL, NULL) == -1)
		goto fail;
	if (e2e_gw_launch(&env, write_conf) == -1 ||
	    e2e_partners_online(&env, L_PLAIN, 10000) == -1)
		goto fail;
	return (0);
fail:
	e2e_env_cleanup(&env);
	return (-1);
}

static int
group_teardown(void **state)
{
	e2e_env_cleanup(&env);
	free(alex_hash);
	free(casey_hash);
	free(sam_hash);
	return (0);
}

static int
ready(void **state)
{
	return (e2e_ready(&env, L_PLAIN));
}

static int
still_alive(void **state)
{
	return (e2e_gw_survived(&env));
}

/*
 * Log in with 93 from a desk at location (NULL: no CP).  Returns 1 if
 * accepted, 0 if refused; fails the test on anything else.
 */
static int
staff_login(struct e2e_conn *c, const char *login, const char *pw,
    const char *location)
{
	struct sip2_msg	*r;
	int		 ok;

	if (location != NULL)
		r = e2e_ask(c, e2e_req(SIP2_LOGIN, "CN", login, "CO", pw, "CP",
		    location, NULL));
	else
		r = e2e_ask(c, e2e_req(SIP2_LOGIN, "CN", login, "CO", pw,
		    NULL));
	assert_code(r, SIP2_LOGIN_RESP);
	ok = strcmp(e2e_fixed(r, SIP2_FX_OK), "1") == 0;
	sip2_msg_free(r);
	return (ok);
}

/* A session of a staff member signed on at a desk. */
static struct e2e_conn *
desk(const char *login, const char *pw, const char *location)
{
	struct e2e_conn	*c;

	assert_non_null(c = e2e_gw_connect(&env, L_PLAIN, NULL, NULL));
	assert_int_equal(staff_login(c, login, pw, location), 1);
	return (c);
}

/* Wait for a line holding the text in the gateway's log after offset. */
static void
logged(off_t from, const char *text)
{
	if (e2e_file_wait(env.log, from, text, 5000) == -1)
		fail_msg("the gateway did not log \"%s\"", text);
}

/* The log after offset has no line with both texts. */
static void
no_line_with(off_t from, const char *a, const char *b)
{
	char	*log, *line, *save = NULL;

	assert_non_null(log = e2e_file_read(env.log, from));
	for (line = strtok_r(log, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (strstr(line, a) != NULL && strstr(line, b) != NULL)
			fail_msg("log line holds \"%s\": %s", b, line);
	free(log);
}

static struct sip2_msg *
checkout(struct e2e_conn *c, const char *patron, const char *item,
    const char *pin)
{
	return (e2e_ask(c, e2e_req(SIP2_CHECKOUT, "AO", "METRO", "AA", patron,
	    "AB", item, "AD", pin, "AC", "", NULL)));
}

/*
 * A staff member at a desk updates an item's properties (19): the answer
 * says want ("1", "0"), and the item's ILS got the update only when it
 * says "1".  The answer's screen message goes to af.
 */
static void
update_item(const char *login, const char *pw, const char *location,
    const char *ao, const char *item, const struct e2e_ils *ils,
    const char *want, char *af, size_t aflen)
{
	struct e2e_conn	*c = desk(login, pw, location);
	struct sip2_msg	*r;
	long		 n0 = e2e_ils_received(ils, SIP2_ITEM_STATUS);

	r = e2e_ask(c, e2e_req(SIP2_ITEM_STATUS, "AO", ao, "AB", item, "AC",
	    "", "CH", "shelf=3B", NULL));
	assert_code(r, SIP2_ITEM_STATUS_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_ITEM_PROPS_OK), want);
	snprintf(af, aflen, "%s", e2e_field(r, "AF"));
	sip2_msg_free(r);
	assert_int_equal(e2e_ils_received(ils, SIP2_ITEM_STATUS),
	    n0 + (strcmp(want, "1") == 0));
	e2e_close(c);
}

static void
test_checkout_allowed_at_metro_desk(void **state)
{
	struct e2e_conn	*c = desk("alex", ALEX_PW, "MAIN");
	struct sip2_msg	*r;
	long		 out0 = e2e_ils_received(&env.metro, SIP2_CHECKOUT);

	r = checkout(c, METRO_PATRON, METRO_ITEM, METRO_PIN);
	assert_code(r, SIP2_CHECKOUT_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	sip2_msg_free(r);
	assert_int_equal(e2e_ils_received(&env.metro, SIP2_CHECKOUT),
	    out0 + 1);
	e2e_ils_has(&env.metro, "item", METRO_ITEM, "patron=%s",
	    METRO_PATRON);
	/* 99 answers for the desk's partner and location. */
	r = e2e_ask(c, e2e_req(SIP2_SC_STATUS, NULL));
	assert_code(r, SIP2_ACS_STATUS);
	assert_string_equal(e2e_field(r, "AO"), "METRO");
	assert_string_equal(e2e_field(r, "AN"), "MAIN");
	sip2_msg_free(r);
	e2e_close(c);
}

static void
test_fee_paid_refused_without_fines(void **state)
{
	struct e2e_conn	*c = desk("alex", ALEX_PW, "MAIN");
	struct sip2_msg	*r;
	long		 paid0 = e2e_ils_received(&env.metro, SIP2_FEE_PAID);
	off_t		 at = e2e_file_size(env.log);

	r = e2e_ask(c, e2e_req(SIP2_FEE_PAID, "AO", "METRO", "AA", METRO_OWES,
	    "BV", "12.50", "CG", "F1001", "AC", "", NULL));
	assert_code(r, SIP2_FEE_PAID_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_PAYMENT_ACCEPTED), "N");
	assert_string_equal(e2e_field(r, "AF"), "Fee payments at "
	    E2E_METRO_NAME " need the fines permission; you do not hold it "
	    "there.");
	sip2_msg_free(r);
	/* Nothing reached metro's ILS; the fee is still owed. */
	assert_int_equal(e2e_ils_received(&env.metro, SIP2_FEE_PAID), paid0);
	e2e_ils_has(&env.metro, "patron", METRO_OWES, "owed=12.50");
	logged(at, "event=staff-refused staff=alex op=fee-paid partner=metro "
	    "missing=fines audit=staff-permission");
	no_line_with(at, "event=staff-refused", METRO_OWES);
	e2e_close(c);

	/* The same payment from casey, who holds fines at metro. */
	c = desk("casey", CASEY_PW, "MAIN");
	r = e2e_ask(c, e2e_req(SIP2_FEE_PAID, "AO", "METRO", "AA", METRO_OWES,
	    "BV", "12.50", "CG", "F1001", "AC", "", NULL));
	assert_code(r, SIP2_FEE_PAID_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_PAYMENT_ACCEPTED), "Y");
	sip2_msg_free(r);
	assert_int_equal(e2e_ils_received(&env.metro, SIP2_FEE_PAID),
	    paid0 + 1);
	e2e_close(c);
}

static void
test_item_update_needs_cataloging_or_inventory(void **state)
{
	char	 af[256];
	off_t	 at = e2e_file_size(env.log);

	/* alex holds circulation only at metro. */
	update_item("alex", ALEX_PW, "MAIN", "METRO", METRO_ITEM2, &env.metro,
	    "0", af, sizeof(af));
	assert_contains(af, "need the cataloging or inventory permission");
	logged(at, "staff=alex op=item-status-update partner=metro "
	    "missing=cataloging|inventory");
	/* casey holds inventory at metro. */
	update_item("casey", CASEY_PW, "MAIN", "METRO", METRO_ITEM2,
	    &env.metro, "1", af, sizeof(af));
	/* alex at the district's desk, where alex holds cataloging. */
	update_item("alex", ALEX_PW, "LINCOLN", "DISTRICT", DISTRICT_ITEM,
	    &env.district, "1", af, sizeof(af));
}

static void
test_district_items_by_district_permissions(void **state)
{
	struct e2e_conn	*c = desk("alex", ALEX_PW, "MAIN");
	struct sip2_msg	*r;
	long		 in0 = e2e_ils_received(&env.district, SIP2_CHECKIN);
	long		 out0 = e2e_ils_received(&env.district, SIP2_CHECKOUT);
	off_t		 at = e2e_file_size(env.log);

	/*
	 * A district book returned at metro's desk is the district's
	 * checkin: alex holds cataloging there, not circulation.
	 */
	r = e2e_ask(c, e2e_req(SIP2_CHECKIN, "AP", "MAIN", "AO", "METRO",
	    "AB", DISTRICT_LOAN, "AC", "", NULL));
	assert_code(r, SIP2_CHECKIN_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "0");
	assert_string_equal(e2e_field(r, "AF"), "Loans, returns, renewals "
	    "and holds at " E2E_DISTRICT_NAME " need the circulation "
	    "permission; you do not hold it there.");
	sip2_msg_free(r);
	assert_int_equal(e2e_ils_received(&env.district, SIP2_CHECKIN), in0);
	e2e_ils_has(&env.district, "item", DISTRICT_LOAN, "patron=%s",
	    DISTRICT_PATRON);
	logged(at, "staff=alex op=checkin partner=district "
	    "missing=circulation");

	/* Item information on the district's book: cataloging allows it. */
	r = e2e_ask(c, e2e_req(SIP2_ITEM_INFO, "AO", "METRO", "AB",
	    DISTRICT_ITEM, "AC", "", NULL));
	assert_code(r, SIP2_ITEM_INFO_RESP);
	assert_string_equal(e2e_field(r, "AJ"), DISTRICT_TITLE);
	sip2_msg_free(r);

	/* A district student borrowing a district book lends at district. */
	r = checkout(c, DISTRICT_PATRON, DISTRICT_ITEM, DISTRICT_PIN);
	assert_code(r, SIP2_CHECKOUT_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "0");
	assert_contains(e2e_field(r, "AF"), E2E_DISTRICT_NAME " need the "
	    "circulation permission");
	sip2_msg_free(r);
	assert_int_equal(e2e_ils_received(&env.district, SIP2_CHECKOUT),
	    out0);
	e2e_close(c);

	/* casey holds circulation at the district: the return goes there. */
	c = desk("casey", CASEY_PW, "MAIN");
	r = e2e_ask(c, e2e_req(SIP2_CHECKIN, "AP", "MAIN", "AO", "METRO",
	    "AB", DISTRICT_LOAN, "AC", "", NULL));
	assert_code(r, SIP2_CHECKIN_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	sip2_msg_free(r);
	assert_true(e2e_ils_received(&env.district, SIP2_CHECKIN) > in0);
	e2e_close(c);
}

static void
test_at_district_desk_district_permissions_apply(void **state)
{
	struct e2e_conn	*c = desk("alex", ALEX_PW, "WESTHIGH");
	struct sip2_msg	*r;
	long		 out0 = e2e_ils_received(&env.district, SIP2_CHECKOUT);

	/* The desk is the district's: its loans need circulation there. */
	r = e2e_ask(c, e2e_req(SIP2_CHECKOUT, "AO", "DISTRICT", "AA",
	    DISTRICT_PATRON, "AB", DISTRICT_ITEM, "AD", DISTRICT_PIN, "AC", "",
	    NULL));
	assert_code(r, SIP2_CHECKOUT_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "0");
	sip2_msg_free(r);
	assert_int_equal(e2e_ils_received(&env.district, SIP2_CHECKOUT),
	    out0);
	r = e2e_ask(c, e2e_req(SIP2_SC_STATUS, NULL));
	assert_string_equal(e2e_field(r, "AO"), "DISTRICT");
	sip2_msg_free(r);
	e2e_close(c);
}

static void
test_wrong_password_refused(void **state)
{
	struct e2e_conn	*c;
	struct sip2_msg	*r;
	off_t		 at = e2e_file_size(env.log);

	assert_non_null(c = e2e_gw_connect(&env, L_PLAIN, NULL, NULL));
	assert_int_equal(staff_login(c, "alex", "alex-wrong-pw", "MAIN"), 0);
	/* Another account's password does not do either. */
	assert_int_equal(staff_login(c, "alex", CASEY_PW, "MAIN"), 0);
	/* Not logged in: nothing is served. */
	r = checkout(c, METRO_PATRON, METRO_ITEM, METRO_PIN);
	assert_code(r, SIP2_CHECKOUT_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "0");
	assert_string_equal(e2e_field(r, "AF"), "Please log in first.");
	sip2_msg_free(r);
	e2e_close(c);
	logged(at, "event=login-failed login=\"alex\"");
}

/*
 * At a shared desk, a failed 93 after a staff member's sign-on ends that
 * sign-on: the next person does not go on under their permissions.
 */
static void
test_failed_sign_on_ends_the_last(void **state)
{
	struct e2e_conn	*c = desk("alex", ALEX_PW, "MAIN");
	struct sip2_msg	*r;

	assert_int_equal(staff_login(c, "alex", "alex-wrong-pw", "MAIN"), 0);
	r = checkout(c, METRO_PATRON, METRO_ITEM, METRO_PIN);
	assert_code(r, SIP2_CHECKOUT_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "0");
	assert_string_equal(e2e_field(r, "AF"), "Please log in first.");
	sip2_msg_free(r);
	e2e_close(c);
}

static void
test_login_where_no_permissions_refused(void **state)
{
	struct e2e_conn	*c;
	off_t		 at = e2e_file_size(env.log);

	/* sam holds nothing at the district. */
	assert_non_null(c = e2e_gw_connect(&env, L_PLAIN, NULL, NULL));
	assert_int_equal(staff_login(c, "sam", SAM_PW, "LINCOLN"), 0);
	e2e_close(c);
	logged(at, "event=staff-login-refused staff=sam partner=district");
	logged(at, "why=\"no permissions at this partner\"");

	/* No desk named, or a location no partner has. */
	assert_non_null(c = e2e_gw_connect(&env, L_PLAIN, NULL, NULL));
	assert_int_equal(staff_login(c, "sam", SAM_PW, NULL), 0);
	assert_int_equal(staff_login(c, "sam", SAM_PW, "NOWHERE"), 0);
	e2e_close(c);
	logged(at, "why=\"no desk location (CP) in the login\"");
	logged(at, "why=\"the location is not one partner's desk\"");

	/* At metro's desk sam signs on. */
	c = desk("sam", SAM_PW, "EAST");
	e2e_close(c);
	logged(at, "event=staff-login staff=sam partner=metro "
	    "permissions=circulation");
}

/*
 * A reload: a staff session follows its account, and ends when the account
 * holds nothing more at the desk's partner.
 */
static void
test_reload_follows_staff_account(void **state)
{
	struct e2e_conn	*alex = desk("alex", ALEX_PW, "MAIN");
	struct e2e_conn	*alex_district = desk("alex", ALEX_PW, "LINCOLN");
	struct e2e_conn	*casey = desk("casey", CASEY_PW, "MAIN");
	struct sip2_msg	*r;
	off_t		 at = e2e_file_size(env.log);

	set_staff("");
	assert_int_equal(e2e_gw_reload(&env, write_conf), 0);
	assert_int_equal(e2e_wait_closed(alex, 5000), 0);
	logged(at, "staff account or desk removed");
	r = checkout(casey, METRO_PATRON, METRO_ITEM, METRO_PIN);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	sip2_msg_free(r);
	r = e2e_ask(alex_district, e2e_req(SIP2_ITEM_INFO, "AO", "DISTRICT",
	    "AB", DISTRICT_ITEM, "AC", "", NULL));
	assert_string_equal(e2e_field(r, "AJ"), DISTRICT_TITLE);
	sip2_msg_free(r);
	e2e_close(alex);
	e2e_close(alex_district);
	e2e_close(casey);

	set_staff(ALEX_AT_METRO);
	assert_int_equal(e2e_gw_reload(&env, write_conf), 0);
}

static void
test_log_keeps_secrets(void **state)
{
	const char	*secrets[] = { ALEX_PW, CASEY_PW, SAM_PW,
	    "alex-wrong-pw", alex_hash, casey_hash, sam_hash, NULL };
	const char	*pins[] = { METRO_PIN, DISTRICT_PIN, NULL };

	e2e_assert_private(env.log, secrets, pins, NULL, NULL);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, ready, still_alive)
	const struct CMUnitTest tests[] = {
		T(test_checkout_allowed_at_metro_desk),
		T(test_fee_paid_refused_without_fines),
		T(test_item_update_needs_cataloging_or_inventory),
		T(test_district_items_by_district_permissions),
		T(test_at_district_desk_district_permissions_apply),
		T(test_wrong_password_refused),
		T(test_failed_sign_on_ends_the_last),
		T(test_login_where_no_permissions_refused),
		T(test_reload_follows_staff_account),
		T(test_log_keeps_secrets),
	};
#undef T

	return (cmocka_run_group_tests_name("e2e_staff", tests, group_setup,
	    group_teardown));
}
