/* SPDX-License-Identifier: ISC */
/*
 * End-to-end tests of holds with pickup anywhere (scenario 4): a district
 * student's hold on a metro item or title, placed at metro for the linked
 * account, trapped at metro's desk, received at the district (NCIP
 * AcceptItem), lent, returned and completed, through a real circlinkd
 * between the simulated ILSes, restarted in the middle.
 */

#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sip2.h"
#include "ncip.h"
#include "circlinkd.h"
#include "e2e.h"
#include "e2e_http.h"
#include "tracker.h"

#define L_SIP2		0
#define L_NCIP		1
#define STUDENT		"22000000002"	/* STUDENT at LINCOLN */
#define STUDENT_PIN	"5555"
#define STUDENT3	"22000000001"	/* STUDENT at WESTHIGH */
#define STUDENT3_PIN	"4444"
#define POOL		"21090000001 21090000002 21090000003"
#define METRO_ITEM	"31000000001"	/* The Left Hand of Darkness */
#define METRO_ITEM2	"31000000003"	/* Where the Wild Things Are */
#define METRO_EXPLICIT	"31000000002"	/* ADULT-EXPLICIT */
#define DUNE		"Dune"		/* 31000000004, out at metro */
#define DUNE_ITEM	"31000000004"
#define DUNE_HOLDER	"21000000001"	/* has Dune */
#define DISTRICT_ITEM	"32000000002"	/* Charlotte's Web, on the shelf */
#define DISTRICT_TOKEN	"district-caller-token-5c1e07"
#define CTL_OUT_MAX	8192
#define METRO_ADMIN_PW	"metro-admin-pw"
#define KIT_PW		"kit-staff-pw"	/* cataloging only */

static struct e2e_env	 env;
static char		*metro_admin, *kit_hash;
static char		 staff_block[512];
static const char	*ctl_path;
static char		 sock_path[E2E_PATH_MAX];

static int
write_conf(struct e2e_env *e)
{
	const struct e2e_partner	 parts[] = {
		{ .id = "metro", .name = E2E_METRO_NAME, .institution = "METRO",
		    .patrons = "2100*", .items = "3100*", .loc1 = "MAIN",
		    .loc2 = "EAST", .ils = &e->metro,
		    .password = "metro-ils-pw", .admin_hash = metro_admin,
		    .terms = "\t\taccept yes\n\t\tlink-classes STUDENT\n"
		    "\t\twithhold-collection ADULT-EXPLICIT",
		    .extra = "\tvisitor-accounts " POOL },
		{ .id = "district", .name = E2E_DISTRICT_NAME,
		    .institution = "DISTRICT", .patrons = "2200*",
		    .items = "3200*", .loc1 = "LINCOLN", .loc2 = "WESTHIGH",
		    .ils = &e->district, .ncip = 1, .version = "1.0",
		    .ils_token = "district-ncip-token",
		    .caller_token = DISTRICT_TOKEN },
	};

	return (e2e_gw_write_partners(e, parts, 2));
}

static int
group_setup(void **state)
{
	ncip_init();
	if ((ctl_path = getenv("CIRCLINKCTL")) == NULL)
		ctl_path = "gateway/circlinkctl";
	if (access(ctl_path, X_OK) == -1) {
		fprintf(stderr, "e2e: need %s (set CIRCLINKCTL)\n", ctl_path);
		return (-1);
	}
	if ((metro_admin = auth_hash_password(METRO_ADMIN_PW)) == NULL ||
	    (kit_hash = auth_hash_password(KIT_PW)) == NULL)
		return (-1);
	snprintf(staff_block, sizeof(staff_block), "staff kit {\n"
	    "\tpassword-hash \"%s\"\n"
	    "\tpermissions metro cataloging\n"
	    "}", kit_hash);
	if (e2e_env_init(&env) == -1 || e2e_ils_start_demo(&env, 1) == -1)
		goto fail;
	env.main_extra = staff_block;
	snprintf(sock_path, sizeof(sock_path), "%s/state/circlinkd.sock",
	    env.dir);
	e2e_listeners_init(&env, 2);
	env.listeners[L_NCIP].ncip = 1;
	if (e2e_terminal_add(&env, "district-kiosk", "district-kiosk-pw",
	    "district", "LINCOLN", NULL, NULL) == -1 ||
	    e2e_terminal_add(&env, "metro-desk", "metro-desk-pw", "metro",
	    "MAIN", NULL, NULL) == -1 ||
	    e2e_terminal_add(&env, "district-desk", "district-desk-pw",
	    "district", "LINCOLN", NULL, NULL) == -1)
		goto fail;
	if (e2e_gw_launch(&env, write_conf) == -1 ||
	    e2e_partners_online(&env, L_SIP2, 10000) == -1)
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
	free(metro_admin);
	free(kit_hash);
	return (0);
}

static int
ready(void **state)
{
	return (e2e_ready(&env, L_SIP2));
}

static int
still_alive(void **state)
{
	return (e2e_gw_survived(&env));
}

/* --- helpers ---------------------------------------------------------- */

/*
 * Run circlinkctl -s on the gateway's control socket with the words
 * given; its output goes to out.  Returns its exit status.
 */
static int	 ctl_in(const char *, char *, size_t, ...);

static int
ctl(char *out, size_t outlen, ...)
{
	const char	*argv[12];
	va_list		 ap;
	int		 n = 0;

	va_start(ap, outlen);
	while (n < 8 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	return (ctl_in(NULL, out, outlen, argv[0], argv[1], argv[2],
	    argv[3], argv[4], argv[5], argv[6], argv[7], NULL));
}

/* The same with input on circlinkctl's standard input (a password). */
static int
ctl_in(const char *input, char *out, size_t outlen, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, outlen);
	rc = e2e_circlinkctl(ctl_path, sock_path, input, out, outlen, ap);
	va_end(ap);
	return (rc);
}

/*
 * The id and state of the newest request circlinkctl lists with a text
 * (the list is in the order placed).
 */
static void
request_find(const char *text, char *id, char *state)
{
	char	 out[CTL_OUT_MAX], *line, *save = NULL;
	int	 found = 0;

	assert_int_equal(ctl(out, sizeof(out), "request", "list", NULL), 0);
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (strstr(line, text) != NULL &&
		    sscanf(line, "%32s %31s", id, state) == 2)
			found = 1;
	if (!found)
		fail_msg("no request with \"%s\" listed", text);
}

/* The state of request id as circlinkctl shows it. */
static void
assert_state(const char *id, const char *want)
{
	char	 out[CTL_OUT_MAX], line[64];

	assert_int_equal(ctl(out, sizeof(out), "request", "show", id, NULL),
	    0);
	snprintf(line, sizeof(line), "state %s\n", want);
	assert_contains(out, line);
}

/* A request of a terminal's, answered. */
static struct sip2_msg *
ask(const char *term, struct sip2_msg *req)
{
	char	 pw[64];

	assert_non_null(req);
	snprintf(pw, sizeof(pw), "%s-pw", term);
	return (e2e_session_ask(&env, L_SIP2, term, pw, req));
}

/* A hold at the district's kiosk, on an item or (AO METRO) a title. */
static struct sip2_msg *
kiosk_hold(int mode, const char *patron, const char *pin, const char *item,
    const char *title, const char *pickup)
{
	struct sip2_msg	*req;
	char		 m[2] = { (char)mode, '\0' };

	if (item != NULL)
		req = e2e_req(SIP2_HOLD, "AO", "DISTRICT", "AA", patron, "AD",
		    pin, "AB", item, "AC", "", NULL);
	else
		req = e2e_req(SIP2_HOLD, "AO", "METRO", "AA", patron, "AD",
		    pin, "AJ", title, "AC", "", NULL);
	assert_non_null(req);
	if (pickup != NULL)
		sip2_msg_add_field(req, "BS", pickup);
	sip2_msg_set_fixed(req, SIP2_FX_HOLD_MODE, m);
	return (ask("district-kiosk", req));
}

/* A checkin at a desk ("metro-desk", "district-desk"). */
static struct sip2_msg *
desk_checkin(const char *desk, const char *item)
{
	return (ask(desk, e2e_req(SIP2_CHECKIN, "AO", "X", "AB", item, "AP",
	    strncmp(desk, "metro", 5) == 0 ? "MAIN" : "LINCOLN", "AC", "",
	    NULL)));
}

/* A checkout at the district's kiosk. */
static struct sip2_msg *
kiosk_checkout(const char *patron, const char *pin, const char *item)
{
	return (ask("district-kiosk", e2e_req(SIP2_CHECKOUT, "AO", "DISTRICT",
	    "AA", patron, "AD", pin, "AB", item, "AC", "", NULL)));
}

/* The simulator's count of one thing (counts): accepted=, holds=. */
static long
ils_count(const struct e2e_ils *ils, const char *what)
{
	char	 ans[E2E_ANSWER_MAX], key[32], *p;

	e2e_ctl(ils, "counts", ans, sizeof(ans));
	snprintf(key, sizeof(key), " %s=", what);
	if ((p = strstr(ans, key)) == NULL)
		fail_msg("no %s in \"%s\"", what, ans);
	return (strtol(p + strlen(key), NULL, 10));
}

/* How many of an NCIP service the simulator served (0: none yet). */
static long
ncip_count(const struct e2e_ils *ils, const char *service)
{
	char		 ans[E2E_ANSWER_MAX], key[64];
	const char	*p;

	e2e_ctl(ils, "ncip-stats", ans, sizeof(ans));
	snprintf(key, sizeof(key), " %s=", service);
	if ((p = strstr(ans, key)) == NULL)
		return (0);
	return (strtol(p + strlen(key), NULL, 10));
}

/* The answer must say ok (or not) in its first fixed field. */
static void
assert_ok(struct sip2_msg *r, int code, const char *ok)
{
	assert_code(r, code);
	if (strcmp(e2e_fixed(r, SIP2_FX_OK), ok) != 0)
		fail_msg("ok %s, expected %s: %s", e2e_fixed(r, SIP2_FX_OK),
		    ok, e2e_field(r, "AF"));
}

/* Stop the gateway and start it on the same state directory and key. */
static void
restart(void)
{
	e2e_gw_stop(&env);
	assert_int_equal(e2e_gw_start(&env), 0);
	assert_int_equal(e2e_partners_online(&env, L_SIP2, 10000), 0);
}

/* --- the district's ILS calling over NCIP ----------------------------- */

/* A request from the district's ILS to the gateway, to be filled in. */
static struct ncip_msg *
ncip_new(enum ncip_service svc)
{
	struct ncip_msg	*m;

	assert_non_null(m = ncip_msg_new(svc));
	m->header.present = 1;
	m->header.from_agency.value = "DISTRICT";
	m->header.to_agency.value = "CIRCLINK";
	return (m);
}

/*
 * Send a request (freed here) as the district's ILS, in NCIP 1.0 as it
 * speaks; the caller frees the answer.
 */
static struct ncip_msg *
ncip_call(struct ncip_msg *m)
{
	struct ncip_dialect	 dl;

	memset(&dl, 0, sizeof(dl));
	dl.version = 1;
	dl.version_str = NCIP_V1_0;
	dl.doctype = 1;
	return (e2e_ncip_call(&env, L_NCIP, "/ncip/" DISTRICT_TOKEN, m, &dl));
}

/* A RequestItem from the district's ILS for one of its students. */
static struct ncip_msg *
request_item(const char *patron, const char *item, const char *pickup,
    const char *request_id)
{
	struct ncip_msg	*m = ncip_new(NCIP_REQUEST_ITEM);

	m->user_id.agency.value = "DISTRICT";
	m->user_id.value = patron;
	m->item_id.agency.value = "METRO";
	m->item_id.value = item;
	m->request_id.agency.value = "DISTRICT";
	m->request_id.value = request_id;
	m->request_type.value = "Hold";
	m->request_scope.value = "Item";
	m->pickup_location.value = pickup;
	return (ncip_call(m));
}

/* Make a partner's ILS drop every request, or serve again. */
static void
ils_down(struct e2e_ils *ils, int down)
{
	e2e_ctl(ils, down ? "drop" : "normal", NULL, 0);
	if (!down)
		assert_int_equal(e2e_partners_online(&env, L_SIP2, 10000), 0);
}

/* --- the whole life --------------------------------------------------- */

/*
 * A district student asks at a school kiosk for a metro book, pickup at
 * LINCOLN; the gateway restarts; metro's desk checks it in and is told
 * where it goes; LINCOLN takes it in (one temporary item, however often
 * it is scanned), lends it, takes it back and sends it home, where the
 * checkin completes the request.
 */
static void
test_whole_life_with_restart(void **state)
{
	struct sip2_msg	*r;
	char		 id[40], st[32], ans[E2E_ANSWER_MAX];
	long		 accepted, accepts;

	r = kiosk_hold('+', STUDENT, STUDENT_PIN, METRO_ITEM, NULL,
	    "LINCOLN");
	assert_ok(r, SIP2_HOLD_RESP, "1");
	assert_string_equal(e2e_field(r, "AA"), STUDENT);
	assert_string_equal(e2e_field(r, "BS"), "LINCOLN");
	assert_contains(e2e_field(r, "AF"), "pickup at");
	sip2_msg_free(r);
	e2e_ils_has(&env.metro, "item", METRO_ITEM, "holds=1");

	/* Asked again: the same answer, no second hold anywhere. */
	r = kiosk_hold('+', STUDENT, STUDENT_PIN, METRO_ITEM, NULL,
	    "LINCOLN");
	assert_ok(r, SIP2_HOLD_RESP, "1");
	sip2_msg_free(r);
	e2e_ils_has(&env.metro, "item", METRO_ITEM, "holds=1");
	request_find("owner=metro item=3100*******", id, st);
	assert_string_equal(st, "placed");

	restart();
	assert_state(id, "placed");

	/* Metro's desk: the item goes to LINCOLN, nobody's card shown. */
	r = desk_checkin("metro-desk", METRO_ITEM);
	assert_ok(r, SIP2_CHECKIN_RESP, "1");
	assert_string_equal(e2e_field(r, "CT"), "LINCOLN");
	assert_string_equal(e2e_field(r, "CV"), "02");
	assert_string_equal(e2e_field(r, "CY"), "");
	assert_contains(e2e_field(r, "AF"), "send to LINCOLN");
	sip2_msg_free(r);
	assert_state(id, "in-transit");
	e2e_ils_has(&env.metro, "item", METRO_ITEM, "held-for=");

	/* LINCOLN's desk takes it in, twice: one temporary item. */
	accepted = ils_count(&env.district, "accepted");
	r = desk_checkin("district-desk", METRO_ITEM);
	assert_ok(r, SIP2_CHECKIN_RESP, "1");
	assert_string_equal(e2e_field(r, "CY"), STUDENT);
	assert_string_equal(e2e_field(r, "CV"), "01");
	sip2_msg_free(r);
	assert_state(id, "received");
	assert_int_equal(ils_count(&env.district, "accepted"), accepted + 1);
	accepts = ncip_count(&env.district, "AcceptItem");
	r = desk_checkin("district-desk", METRO_ITEM);
	assert_ok(r, SIP2_CHECKIN_RESP, "1");
	assert_string_equal(e2e_field(r, "CY"), STUDENT);
	assert_contains(e2e_field(r, "AF"), "set aside");
	sip2_msg_free(r);
	assert_int_equal(ils_count(&env.district, "accepted"), accepted + 1);
	assert_int_equal(ncip_count(&env.district, "AcceptItem"), accepts);
	e2e_ils_has(&env.district, "item", METRO_ITEM, "held-for=" STUDENT);

	restart();

	/* Lent at LINCOLN, and at metro to the linked account. */
	r = kiosk_checkout(STUDENT, STUDENT_PIN, METRO_ITEM);
	assert_ok(r, SIP2_CHECKOUT_RESP, "1");
	assert_string_equal(e2e_field(r, "AA"), STUDENT);
	sip2_msg_free(r);
	assert_state(id, "loaned");
	e2e_ils_has(&env.district, "item", METRO_ITEM, "patron=" STUDENT);
	e2e_ils_has(&env.metro, "item", METRO_ITEM, "status=04");
	e2e_ils_has(&env.metro, "item", METRO_ITEM, "patron=2109");

	/* Back at LINCOLN: sent home, the temporary item gone. */
	r = desk_checkin("district-desk", METRO_ITEM);
	assert_ok(r, SIP2_CHECKIN_RESP, "1");
	assert_string_equal(e2e_field(r, "CT"), "MAIN");
	assert_string_equal(e2e_field(r, "CV"), "04");
	sip2_msg_free(r);
	assert_state(id, "returned");
	assert_int_equal(e2e_ils_ctl(&env.district, "item " METRO_ITEM, ans,
	    sizeof(ans)), -1);
	assert_contains(ans, "unknown item");

	/* Home: checked in at metro, the request complete. */
	r = desk_checkin("metro-desk", METRO_ITEM);
	assert_ok(r, SIP2_CHECKIN_RESP, "1");
	sip2_msg_free(r);
	assert_state(id, "completed");
	e2e_ils_has(&env.metro, "item", METRO_ITEM, "status=03");
}

/* A collection metro withholds: refused, nothing reaches metro. */
static void
test_withheld_collection_refused(void **state)
{
	struct sip2_msg	*r;
	long		 holds0;

	holds0 = e2e_ils_received(&env.metro, SIP2_HOLD);
	r = kiosk_hold('+', STUDENT, STUDENT_PIN, METRO_EXPLICIT, NULL,
	    "LINCOLN");
	assert_ok(r, SIP2_HOLD_RESP, "0");
	assert_contains(e2e_field(r, "AF"), "does not lend this collection");
	sip2_msg_free(r);
	assert_int_equal(e2e_ils_received(&env.metro, SIP2_HOLD), holds0);
}

/*
 * The district's ILS places the hold over NCIP: a retried RequestItem
 * gets the same request id and no second hold.  A partner down at a step
 * is answered clearly and nothing moves; AcceptItem rescanned makes no
 * second temporary item; the ILS cancels by the request id it was given:
 * the hold is gone at metro and the temporary item at the district.
 */
static void
test_ncip_request_item_and_cancel(void **state)
{
	struct sip2_msg	*r;
	struct ncip_msg	*a, *m;
	char		 id[TRACKER_HEX_LEN + 1], other[TRACKER_HEX_LEN + 1];
	char		 st[32], ans[E2E_ANSWER_MAX];
	long		 accepted;

	a = request_item(STUDENT, METRO_ITEM2, "WESTHIGH", "D-0001");
	e2e_ncip_no_problem(a);
	assert_non_null(a->request_id.value);
	assert_int_equal(strlen(a->request_id.value), TRACKER_HEX_LEN);
	snprintf(id, sizeof(id), "%s", a->request_id.value);
	ncip_msg_free(a);
	e2e_ils_has(&env.metro, "item", METRO_ITEM2, "holds=1");
	a = request_item(STUDENT, METRO_ITEM2, "WESTHIGH", "D-0001");
	e2e_ncip_no_problem(a);
	assert_string_equal(a->request_id.value, id);
	ncip_msg_free(a);
	e2e_ils_has(&env.metro, "item", METRO_ITEM2, "holds=1");
	assert_state(id, "placed");
	request_find("pickup=district/WESTHIGH", other, st);
	assert_string_equal(other, id);

	/* Metro down at its desk's checkin: refused there, still placed. */
	ils_down(&env.metro, 1);
	r = desk_checkin("metro-desk", METRO_ITEM2);
	assert_ok(r, SIP2_CHECKIN_RESP, "0");
	sip2_msg_free(r);
	ils_down(&env.metro, 0);
	assert_state(id, "placed");
	r = desk_checkin("metro-desk", METRO_ITEM2);
	assert_ok(r, SIP2_CHECKIN_RESP, "1");
	assert_string_equal(e2e_field(r, "CT"), "WESTHIGH");
	sip2_msg_free(r);
	assert_state(id, "in-transit");

	/* The district down when the item arrives: nothing taken in. */
	accepted = ils_count(&env.district, "accepted");
	ils_down(&env.district, 1);
	r = desk_checkin("district-desk", METRO_ITEM2);
	assert_ok(r, SIP2_CHECKIN_RESP, "0");
	assert_contains(e2e_field(r, "AF"), E2E_DISTRICT_NAME);
	sip2_msg_free(r);
	ils_down(&env.district, 0);
	assert_state(id, "in-transit");
	assert_int_equal(ils_count(&env.district, "accepted"), accepted);
	r = desk_checkin("district-desk", METRO_ITEM2);
	assert_ok(r, SIP2_CHECKIN_RESP, "1");
	sip2_msg_free(r);
	r = desk_checkin("district-desk", METRO_ITEM2);
	assert_ok(r, SIP2_CHECKIN_RESP, "1");
	sip2_msg_free(r);
	assert_int_equal(ils_count(&env.district, "accepted"), accepted + 1);
	assert_state(id, "received");

	/* Another student's card with the id: not theirs to cancel. */
	m = ncip_new(NCIP_CANCEL_REQUEST_ITEM);
	m->user_id.agency.value = "DISTRICT";
	m->user_id.value = STUDENT3;
	m->request_id.agency.value = "CIRCLINK";
	m->request_id.value = id;
	m->request_type.value = "Hold";
	a = ncip_call(m);
	if (a->nproblems == 0)
		fail_msg("another patron cancelled the request");
	ncip_msg_free(a);
	assert_state(id, "received");

	/* Cancelled by the district's ILS with the request id. */
	m = ncip_new(NCIP_CANCEL_REQUEST_ITEM);
	m->user_id.agency.value = "DISTRICT";
	m->user_id.value = STUDENT;
	m->request_id.agency.value = "CIRCLINK";
	m->request_id.value = id;
	m->request_type.value = "Hold";
	a = ncip_call(m);
	e2e_ncip_no_problem(a);
	ncip_msg_free(a);
	assert_state(id, "cancelled");
	e2e_ils_has(&env.metro, "item", METRO_ITEM2, "holds=0");
	assert_int_equal(e2e_ils_ctl(&env.district, "item " METRO_ITEM2, ans,
	    sizeof(ans)), -1);
}

/*
 * A hold on a metro title asked at a school kiosk (AO METRO, AJ), with
 * no pickup named: the student's home school.  Trapped when a copy comes
 * back at metro; the student cancels it at the kiosk; metro's hold goes.
 */
static void
test_title_hold_cancelled_by_patron(void **state)
{
	struct sip2_msg	*r;
	char		 id[TRACKER_HEX_LEN + 1], st[32], out[CTL_OUT_MAX];
	long		 checkins;

	r = kiosk_hold('+', STUDENT3, STUDENT3_PIN, NULL, DUNE, NULL);
	assert_ok(r, SIP2_HOLD_RESP, "1");
	assert_true(e2e_field(r, "BS")[0] != '\0');
	sip2_msg_free(r);
	e2e_ils_has(&env.metro, "item", DUNE_ITEM, "holds=1");
	request_find("item=title", id, st);
	assert_string_equal(st, "placed");
	assert_int_equal(ctl(out, sizeof(out), "request", "show", id, NULL),
	    0);
	assert_contains(out, "title " DUNE);
	if (strstr(out, STUDENT3) != NULL || strstr(out, "card") != NULL)
		fail_msg("a card shown with a title: %s", out);

	/* Return anywhere while it waits: a district item goes home. */
	checkins = ncip_count(&env.district, "CheckInItem");
	r = desk_checkin("metro-desk", DISTRICT_ITEM);
	assert_ok(r, SIP2_CHECKIN_RESP, "1");
	assert_string_equal(e2e_field(r, "CV"), "04");
	assert_contains(e2e_field(r, "AF"), "Return to " E2E_DISTRICT_NAME);
	sip2_msg_free(r);
	assert_int_equal(ncip_count(&env.district, "CheckInItem"),
	    checkins + 1);
	assert_state(id, "placed");

	/* Back from its loan at metro: trapped for the student's hold. */
	r = desk_checkin("metro-desk", DUNE_ITEM);
	assert_ok(r, SIP2_CHECKIN_RESP, "1");
	assert_string_equal(e2e_field(r, "CV"), "02");
	sip2_msg_free(r);
	assert_state(id, "in-transit");

	/* A wrong PIN cancels nothing. */
	r = kiosk_hold('-', STUDENT3, "0000", NULL, DUNE, NULL);
	assert_ok(r, SIP2_HOLD_RESP, "0");
	sip2_msg_free(r);
	assert_state(id, "in-transit");

	r = kiosk_hold('-', STUDENT3, STUDENT3_PIN, NULL, DUNE, NULL);
	assert_ok(r, SIP2_HOLD_RESP, "1");
	sip2_msg_free(r);
	assert_state(id, "cancelled");
	assert_int_equal(ctl(out, sizeof(out), "request", "show", id, NULL),
	    0);
	assert_contains(out, "cancelled-by patron");
	e2e_ils_has(&env.metro, "item", DUNE_ITEM, "holds=0");
}

/* The simulated ILS's line for an item. */
static void
ils_item(const struct e2e_ils *ils, const char *item, char *ans, size_t len)
{
	char	 cmd[64];

	snprintf(cmd, sizeof(cmd), "item %s", item);
	assert_int_equal(e2e_ils_ctl(ils, cmd, ans, len), 0);
}

/*
 * Metro down when LINCOLN lends a copy of its: the loan stands, metro
 * is owed the checkout for the linked account through the outbox,
 * across a restart, and gets it exactly once when it is back.
 */
static void
test_owner_down_at_loan_owed(void **state)
{
	struct sip2_msg	*r;
	char		 id[TRACKER_HEX_LEN + 1], st[32], ans[E2E_ANSWER_MAX];
	long		 checkouts;
	long long	 deadline;

	r = kiosk_hold('+', STUDENT, STUDENT_PIN, "31000000008", NULL,
	    "LINCOLN");
	assert_ok(r, SIP2_HOLD_RESP, "1");
	sip2_msg_free(r);
	request_find("placed", id, st);
	r = desk_checkin("metro-desk", "31000000008");
	assert_ok(r, SIP2_CHECKIN_RESP, "1");
	sip2_msg_free(r);
	r = desk_checkin("district-desk", "31000000008");
	assert_ok(r, SIP2_CHECKIN_RESP, "1");
	sip2_msg_free(r);
	assert_state(id, "received");

	/* Checkouts metro answered (12), not those it dropped. */
	checkouts = e2e_ils_received(&env.metro, SIP2_CHECKOUT_RESP);
	ils_down(&env.metro, 1);
	r = kiosk_checkout(STUDENT, STUDENT_PIN, "31000000008");
	assert_ok(r, SIP2_CHECKOUT_RESP, "1");
	sip2_msg_free(r);
	assert_state(id, "loaned");
	e2e_ils_has(&env.district, "item", "31000000008", "patron=" STUDENT);
	ils_item(&env.metro, "31000000008", ans, sizeof(ans));
	if (strstr(ans, "patron=2109") != NULL)
		fail_msg("charged at metro while down: %s", ans);
	assert_int_equal(ctl(ans, sizeof(ans), "outbox", NULL), 0);
	assert_contains(ans, "owner-checkout partner metro ");

	/* Stopped while it is owed; metro is back before the start. */
	e2e_gw_stop(&env);
	e2e_ctl(&env.metro, "normal", NULL, 0);
	assert_int_equal(e2e_gw_start(&env), 0);
	assert_int_equal(e2e_partners_online(&env, L_SIP2, 10000), 0);
	deadline = e2e_now_ms() + 40000;
	for (;;) {
		ils_item(&env.metro, "31000000008", ans, sizeof(ans));
		if (strstr(ans, "patron=2109") != NULL)
			break;
		if (e2e_now_ms() > deadline)
			fail_msg("metro never charged: %s", ans);
		e2e_sleep_ms(200);
	}
	e2e_ils_has(&env.metro, "item", "31000000008", "status=04");
	deadline = e2e_now_ms() + 5000;
	do {
		assert_int_equal(ctl(ans, sizeof(ans), "outbox", NULL), 0);
		if (strstr(ans, "owner-checkout") == NULL)
			break;
		e2e_sleep_ms(100);
	} while (e2e_now_ms() < deadline);
	if (strstr(ans, "owner-checkout") != NULL)
		fail_msg("still owed: %s", ans);
	restart();
	assert_int_equal(e2e_ils_received(&env.metro, SIP2_CHECKOUT_RESP),
	    checkouts + 1);

	/* The rest of its life as any other. */
	r = desk_checkin("district-desk", "31000000008");
	assert_ok(r, SIP2_CHECKIN_RESP, "1");
	sip2_msg_free(r);
	assert_state(id, "returned");
	r = desk_checkin("metro-desk", "31000000008");
	assert_ok(r, SIP2_CHECKIN_RESP, "1");
	sip2_msg_free(r);
	assert_state(id, "completed");
}

/*
 * A hold asked with no pickup location is for the person's preferred
 * one (set once, here by staff), not the home location; one naming a
 * pickup keeps it.
 */
static void
test_preferred_pickup_default(void **state)
{
	struct sip2_msg	*r;
	char		 id[TRACKER_HEX_LEN + 1], st[32], out[CTL_OUT_MAX];

	/* Linked since the title hold; without it, LINCOLN, the first. */
	assert_int_equal(ctl(out, sizeof(out), "prefs", "set", "district",
	    STUDENT3, "pickup=WESTHIGH", NULL), 0);
	r = kiosk_hold('+', STUDENT3, STUDENT3_PIN, "31000000014", NULL,
	    NULL);
	assert_ok(r, SIP2_HOLD_RESP, "1");
	assert_string_equal(e2e_field(r, "BS"), "WESTHIGH");
	sip2_msg_free(r);
	e2e_ils_has(&env.metro, "item", "31000000014", "holds=1");
	request_find("pickup=district/WESTHIGH", id, st);
	assert_string_equal(st, "placed");
	assert_int_equal(ctl(out, sizeof(out), "request", "show", id, NULL),
	    0);
	assert_contains(out, "pickup district WESTHIGH\n");

	r = kiosk_hold('+', STUDENT3, STUDENT3_PIN, "31000000007", NULL,
	    "LINCOLN");
	assert_ok(r, SIP2_HOLD_RESP, "1");
	assert_string_equal(e2e_field(r, "BS"), "LINCOLN");
	sip2_msg_free(r);
	assert_int_equal(ctl(out, sizeof(out), "prefs", "set", "district",
	    STUDENT3, "pickup=none", NULL), 0);
}

/*
 * Staff cancel with circlinkctl: the hold is gone at metro; an unknown
 * id is an error; the list masks cards.
 */
static void
test_staff_cancel(void **state)
{
	struct sip2_msg	*r;
	char		 id[TRACKER_HEX_LEN + 1], st[32], out[CTL_OUT_MAX];

	r = kiosk_hold('+', STUDENT, STUDENT_PIN, "31000000006", NULL,
	    "LINCOLN");
	assert_ok(r, SIP2_HOLD_RESP, "1");
	sip2_msg_free(r);
	e2e_ils_has(&env.metro, "item", "31000000006", "holds=1");
	assert_int_equal(ctl(out, sizeof(out), "request", "list", "district",
	    NULL), 0);
	assert_contains(out, "card=2200*******");
	if (strstr(out, STUDENT) != NULL)
		fail_msg("a card in clear: %s", out);
	request_find("placed", id, st);
	assert_int_equal(ctl(out, sizeof(out), "request", "cancel", id,
	    "weeded", NULL), 0);
	assert_state(id, "cancelled");
	assert_int_equal(ctl(out, sizeof(out), "request", "show", id, NULL),
	    0);
	assert_contains(out, "cancelled-by staff weeded");
	e2e_ils_has(&env.metro, "item", "31000000006", "holds=0");

	assert_int_equal(ctl(out, sizeof(out), "request", "cancel",
	    "00000000000000000000000000000000", NULL), 1);
	assert_contains(out, "no such request");
	assert_int_equal(ctl(out, sizeof(out), "request", "show", "zz",
	    NULL), 1);
	assert_int_equal(ctl(out, sizeof(out), "request", "list", "nobody",
	    NULL), 1);
}

/* The number after " holds=" in an ILS's line for an item. */
static long
item_holds(const struct e2e_ils *ils, const char *item)
{
	char		 ans[E2E_ANSWER_MAX];
	const char	*p;

	ils_item(ils, item, ans, sizeof(ans));
	if ((p = strstr(ans, " holds=")) == NULL)
		fail_msg("no holds in \"%s\"", ans);
	return (strtol(p + 7, NULL, 10));
}

/*
 * Pickup at a location of the owner's own (metro's EAST), asked or
 * preferred: a visitor's hold at metro for that pickup, not tracked.
 */
static void
test_pickup_at_owner(void **state)
{
	struct sip2_msg	*r;
	char		 before[CTL_OUT_MAX], after[CTL_OUT_MAX];
	long		 holds0;

	assert_int_equal(ctl(before, sizeof(before), "request", "list",
	    NULL), 0);
	holds0 = item_holds(&env.metro, "31000000005");
	r = kiosk_hold('+', STUDENT, STUDENT_PIN, "31000000005", NULL,
	    "EAST");
	assert_ok(r, SIP2_HOLD_RESP, "1");
	assert_string_equal(e2e_field(r, "AA"), STUDENT);
	assert_string_equal(e2e_field(r, "BS"), "EAST");
	sip2_msg_free(r);
	assert_int_equal(item_holds(&env.metro, "31000000005"), holds0 + 1);
	e2e_ils_has(&env.metro, "item", "31000000005", ",2109");

	/* Preferred there: the same, with no pickup asked. */
	assert_int_equal(ctl(after, sizeof(after), "prefs", "set", "district",
	    STUDENT3, "pickup=EAST", NULL), 0);
	holds0 = item_holds(&env.metro, "31000000006");
	r = kiosk_hold('+', STUDENT3, STUDENT3_PIN, "31000000006", NULL,
	    NULL);
	assert_ok(r, SIP2_HOLD_RESP, "1");
	assert_string_equal(e2e_field(r, "BS"), "EAST");
	sip2_msg_free(r);
	assert_int_equal(item_holds(&env.metro, "31000000006"), holds0 + 1);
	assert_int_equal(ctl(after, sizeof(after), "prefs", "set", "district",
	    STUDENT3, "pickup=none", NULL), 0);
	assert_int_equal(ctl(after, sizeof(after), "request", "list", NULL),
	    0);
	assert_string_equal(before, after);
}

/* Metro down when the hold is placed: refused, nothing tracked. */
static void
test_owner_down_at_placing(void **state)
{
	struct sip2_msg	*r;
	char		 before[CTL_OUT_MAX], after[CTL_OUT_MAX];

	assert_int_equal(ctl(before, sizeof(before), "request", "list",
	    NULL), 0);
	ils_down(&env.metro, 1);
	r = kiosk_hold('+', STUDENT, STUDENT_PIN, "31000000009", NULL,
	    "LINCOLN");
	assert_ok(r, SIP2_HOLD_RESP, "0");
	assert_contains(e2e_field(r, "AF"), E2E_METRO_NAME);
	sip2_msg_free(r);
	ils_down(&env.metro, 0);
	assert_int_equal(ctl(after, sizeof(after), "request", "list", NULL),
	    0);
	assert_string_equal(before, after);
	e2e_ils_has(&env.metro, "item", "31000000009", "holds=0");
}

/*
 * A pickup location no partner has: not tracked, and the owner's ILS
 * refuses it with words of its own; nothing is held.
 */
static void
test_pickup_refused_clearly(void **state)
{
	struct sip2_msg	*r;
	char		 before[CTL_OUT_MAX], after[CTL_OUT_MAX];

	assert_int_equal(ctl(before, sizeof(before), "request", "list",
	    NULL), 0);
	r = kiosk_hold('+', STUDENT, STUDENT_PIN, "31000000010", NULL,
	    "NOWHERE");
	assert_ok(r, SIP2_HOLD_RESP, "0");
	assert_contains(e2e_field(r, "AF"), "pickup");
	sip2_msg_free(r);
	e2e_ils_has(&env.metro, "item", "31000000010", "holds=0");
	assert_int_equal(ctl(after, sizeof(after), "request", "list", NULL),
	    0);
	assert_string_equal(before, after);
}

/*
 * A hold that expires while the gateway is stopped is cancelled soon
 * after it starts again: at metro too.
 */
static void
test_expiry_cancels(void **state)
{
	struct sip2_msg	*req, *r;
	char		 id[TRACKER_HEX_LEN + 1], st[32], date[19];
	char		 out[CTL_OUT_MAX];
	long long	 deadline;

	req = e2e_req(SIP2_HOLD, "AO", "DISTRICT", "AA", STUDENT, "AD",
	    STUDENT_PIN, "AB", "31000000011", "BS", "LINCOLN", "AC", "",
	    NULL);
	assert_non_null(req);
	sip2_date_format(time(NULL) + 2, 0, date);
	sip2_msg_add_field(req, "BW", date);
	r = ask("district-kiosk", req);
	assert_ok(r, SIP2_HOLD_RESP, "1");
	sip2_msg_free(r);
	e2e_ils_has(&env.metro, "item", "31000000011", "holds=1");
	request_find("placed", id, st);
	e2e_gw_stop(&env);
	e2e_sleep_ms(2500);
	assert_int_equal(e2e_gw_start(&env), 0);
	assert_int_equal(e2e_partners_online(&env, L_SIP2, 10000), 0);
	deadline = e2e_now_ms() + 15000;
	for (;;) {
		assert_int_equal(ctl(out, sizeof(out), "request", "show", id,
		    NULL), 0);
		if (strstr(out, "state cancelled\n") != NULL)
			break;
		if (e2e_now_ms() > deadline)
			fail_msg("not expired: %s", out);
		e2e_sleep_ms(200);
	}
	assert_contains(out, "cancelled-by expiry");
	e2e_ils_has(&env.metro, "item", "31000000011", "holds=0");
}

/* A title too long to track: refused before metro hears of it. */
static void
test_title_too_long_refused(void **state)
{
	struct sip2_msg	*r;
	char		 title[201], before[CTL_OUT_MAX], after[CTL_OUT_MAX];
	long		 holds0;

	memset(title, 'x', sizeof(title) - 1);
	title[sizeof(title) - 1] = '\0';
	assert_int_equal(ctl(before, sizeof(before), "request", "list",
	    NULL), 0);
	holds0 = e2e_ils_received(&env.metro, SIP2_HOLD);
	r = kiosk_hold('+', STUDENT, STUDENT_PIN, NULL, title, "LINCOLN");
	assert_ok(r, SIP2_HOLD_RESP, "0");
	assert_contains(e2e_field(r, "AF"), "too long");
	sip2_msg_free(r);
	assert_int_equal(e2e_ils_received(&env.metro, SIP2_HOLD), holds0);
	assert_int_equal(ctl(after, sizeof(after), "request", "list", NULL),
	    0);
	assert_string_equal(before, after);
}

/*
 * A tracked request moves on only as the agreement and the staff
 * member's permissions allow: a cataloger's checkin at metro's desk is
 * refused before anything is sent; after metro revokes the agreement the
 * district's desk does not take the item in (no AcceptItem) and is told
 * why; accepted again, it is.
 */
static void
test_tracked_staff_and_revocation(void **state)
{
	struct sip2_msg	*r;
	struct e2e_conn	*c;
	char		 id[TRACKER_HEX_LEN + 1], st[32], out[CTL_OUT_MAX];
	long		 checkins, accepts;

	r = kiosk_hold('+', STUDENT, STUDENT_PIN, "31000000013", NULL,
	    "LINCOLN");
	assert_ok(r, SIP2_HOLD_RESP, "1");
	sip2_msg_free(r);
	request_find("placed", id, st);

	/* Kit signs on at MAIN with cataloging only: refused. */
	checkins = e2e_ils_received(&env.metro, SIP2_CHECKIN);
	assert_non_null(c = e2e_gw_connect(&env, L_SIP2, NULL, NULL));
	r = e2e_ask(c, e2e_req(SIP2_LOGIN, "CN", "kit", "CO", KIT_PW, "CP",
	    "MAIN", NULL));
	assert_ok(r, SIP2_LOGIN_RESP, "1");
	sip2_msg_free(r);
	r = e2e_ask(c, e2e_req(SIP2_CHECKIN, "AO", "METRO", "AB",
	    "31000000013", "AP", "MAIN", "AC", "", NULL));
	assert_ok(r, SIP2_CHECKIN_RESP, "0");
	sip2_msg_free(r);
	e2e_close(c);
	assert_int_equal(e2e_ils_received(&env.metro, SIP2_CHECKIN),
	    checkins);
	assert_state(id, "placed");

	r = desk_checkin("metro-desk", "31000000013");
	assert_ok(r, SIP2_CHECKIN_RESP, "1");
	sip2_msg_free(r);
	assert_state(id, "in-transit");

	/* Revoked: no AcceptItem at the district, a clear refusal. */
	assert_int_equal(ctl_in(METRO_ADMIN_PW "\n", out, sizeof(out),
	    "agreement", "revoke", "metro", "district", NULL), 0);
	accepts = ncip_count(&env.district, "AcceptItem");
	r = desk_checkin("district-desk", "31000000013");
	assert_ok(r, SIP2_CHECKIN_RESP, "0");
	assert_contains(e2e_field(r, "AF"), "agreement");
	sip2_msg_free(r);
	assert_int_equal(ncip_count(&env.district, "AcceptItem"), accepts);
	assert_state(id, "in-transit");

	assert_int_equal(ctl_in(METRO_ADMIN_PW "\n", out, sizeof(out),
	    "agreement", "accept", "metro", "district", NULL), 0);
	r = desk_checkin("district-desk", "31000000013");
	assert_ok(r, SIP2_CHECKIN_RESP, "1");
	sip2_msg_free(r);
	assert_int_equal(ncip_count(&env.district, "AcceptItem"),
	    accepts + 1);
	assert_state(id, "received");
	assert_int_equal(ctl(out, sizeof(out), "request", "cancel", id,
	    NULL), 0);
	assert_state(id, "cancelled");
}

/*
 * Metro's answer to the item information asked when a copy of a title
 * is trapped is lost: the desk is told to check it in again and the
 * title hold stands; checked in again, it goes to the pickup.
 */
static void
test_trap_lookup_lost_keeps_hold(void **state)
{
	struct sip2_msg	*r;
	char		 id[TRACKER_HEX_LEN + 1], st[32], out[CTL_OUT_MAX];

	r = kiosk_hold('+', STUDENT3, STUDENT3_PIN, NULL,
	    "Spirited Away", "WESTHIGH");
	assert_ok(r, SIP2_HOLD_RESP, "1");
	sip2_msg_free(r);
	request_find("item=title", id, st);
	assert_string_equal(st, "placed");

	e2e_ctl(&env.metro, "lose 17", NULL, 0);
	r = desk_checkin("metro-desk", "31000000009");
	e2e_ctl(&env.metro, "normal", NULL, 0);
	assert_ok(r, SIP2_CHECKIN_RESP, "0");
	assert_contains(e2e_field(r, "AF"), "check it in again");
	sip2_msg_free(r);
	assert_state(id, "placed");
	assert_int_equal(e2e_partners_online(&env, L_SIP2, 10000), 0);

	r = desk_checkin("metro-desk", "31000000009");
	assert_ok(r, SIP2_CHECKIN_RESP, "1");
	assert_string_equal(e2e_field(r, "CT"), "WESTHIGH");
	sip2_msg_free(r);
	assert_state(id, "in-transit");
	assert_int_equal(ctl(out, sizeof(out), "request", "cancel", id,
	    NULL), 0);
}

/* Nothing of this suite's patrons or secrets reached the log. */
static void
test_log_holds_no_secrets(void **state)
{
	const char	*secrets[] = { "district-kiosk-pw", "metro-desk-pw",
	    "district-desk-pw", DISTRICT_TOKEN, METRO_ADMIN_PW, KIT_PW,
	    NULL };
	const char	*pins[] = { STUDENT_PIN, STUDENT3_PIN,
	    NULL };
	const char	*patrons[] = { STUDENT, STUDENT3,
	    "21090000001", "21090000002", "21090000003", NULL };
	const char	*titles[] = { DUNE, "The Left Hand of Darkness",
	    "Where the Wild Things Are", "Spirited Away",
	    NULL };

	e2e_assert_private(env.log, secrets, pins, patrons, titles);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_whole_life_with_restart,
		    ready, still_alive),
		cmocka_unit_test_setup_teardown(
		    test_withheld_collection_refused, ready, still_alive),
		cmocka_unit_test_setup_teardown(
		    test_ncip_request_item_and_cancel, ready, still_alive),
		cmocka_unit_test_setup_teardown(
		    test_title_hold_cancelled_by_patron, ready, still_alive),
		cmocka_unit_test_setup_teardown(test_owner_down_at_loan_owed,
		    ready, still_alive),
		cmocka_unit_test_setup_teardown(test_preferred_pickup_default,
		    ready, still_alive),
		cmocka_unit_test_setup_teardown(test_staff_cancel, ready,
		    still_alive),
		cmocka_unit_test_setup_teardown(test_pickup_at_owner, ready,
		    still_alive),
		cmocka_unit_test_setup_teardown(test_owner_down_at_placing,
		    ready, still_alive),
		cmocka_unit_test_setup_teardown(test_pickup_refused_clearly,
		    ready, still_alive),
		cmocka_unit_test_setup_teardown(test_expiry_cancels, ready,
		    still_alive),
		cmocka_unit_test_setup_teardown(test_title_too_long_refused,
		    ready, still_alive),
		cmocka_unit_test_setup_teardown(
		    test_tracked_staff_and_revocation, ready, still_alive),
		cmocka_unit_test_setup_teardown(
		    test_trap_lookup_lost_keeps_hold, ready, still_alive),
		cmocka_unit_test_setup_teardown(test_log_holds_no_secrets,
		    ready, still_alive),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
