/* SPDX-License-Identifier: ISC */
/*
 * End-to-end tests of agreements in force and of the control socket: a
 * real circlinkd between the simulated metro and district ILSes, driven
 * by kiosks and by circlinkctl as an administrator would run it.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
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

#define METRO_ITEM	"31000000001"
#define METRO_TITLE	"The Left Hand of Darkness"
#define DISTRICT_ITEM	"32000000002"
#define DISTRICT_TITLE	"Charlotte's Web"
#define METRO_PATRON	"21000000001"	/* adult, loans, e-mail */
#define METRO_PIN	"1111"
#define METRO_EMAIL	"marisol.alvarez@example.org"
#define METRO_CHILD	"21000000003"	/* JUVENILE: metro excludes it */
#define METRO_CHILD_PIN	"3333"
#define DISTRICT_PATRON	"22000000002"	/* student at LINCOLN */
#define DISTRICT_PIN	"5555"
#define DISTRICT_NAME_	"Mensah, Kofi"
#define DISTRICT_OWES	"22000000001"	/* owes 1.00, F2001 "Holes" */
#define DISTRICT_OWES_PIN "4444"
#define DISTRICT_STAFF	"22000000009"	/* STAFF: the district excludes */
#define DISTRICT_STAFF_PIN "9999"
#define METRO_ADMIN_PW	"metro-admin-pw"
#define DISTRICT_ADMIN_PW "district-admin-pw"
#define L_PLAIN		0
#define POOLED		"21090000002"	/* metro's visitor account pool */
#define CTL_OUT_MAX	8192

static struct e2e_env	 env;
static const char	*ctl_path;
static char		 sock_path[E2E_PATH_MAX];
static char		*metro_admin, *district_admin;

/* The demo agreement's two halves, as each partner's file has it. */
#define METRO_TERMS \
	"\t\taccept yes\n\t\texclude-class JUVENILE\n" \
	"\t\twithhold address phone birth-date\n\t\thistory titles\n" \
	"\t\twithhold-collection ADULT-EXPLICIT\n" \
	"\t\tlink-classes STUDENT\n\t\tlimit class STUDENT loans 3"
#define DISTRICT_TERMS \
	"\t\taccept yes\n\t\texclude-class STAFF\n" \
	"\t\twithhold address phone birth-date\n\t\thistory counts"
static const char	*district_terms = DISTRICT_TERMS;

/* Both partners behind SIP2 backends, each with an administrator. */
static int
write_conf(struct e2e_env *e)
{
	const struct e2e_partner	 parts[] = {
		{ .id = "metro", .name = E2E_METRO_NAME, .institution = "METRO",
		    .patrons = "2100*", .items = "3100*", .loc1 = "MAIN",
		    .loc2 = "EAST", .ils = &e->metro,
		    .password = "metro-ils-pw", .admin_hash = metro_admin,
		    .terms = METRO_TERMS,
		    .extra = "\tvisitor-accounts " POOLED },
		{ .id = "district", .name = E2E_DISTRICT_NAME,
		    .institution = "DISTRICT", .patrons = "2200*",
		    .items = "3200*", .loc1 = "LINCOLN", .loc2 = "WESTHIGH",
		    .ils = &e->district, .password = "district-ils-pw",
		    .admin_hash = district_admin, .terms = district_terms },
	};

	return (e2e_gw_write_partners(e, parts, 2));
}

static int
group_setup(void **state)
{
	if ((ctl_path = getenv("CIRCLINKCTL")) == NULL)
		ctl_path = "gateway/circlinkctl";
	if (access(ctl_path, X_OK) == -1) {
		fprintf(stderr, "e2e: need %s (set CIRCLINKCTL)\n", ctl_path);
		return (-1);
	}
	if ((metro_admin = auth_hash_password(METRO_ADMIN_PW)) == NULL ||
	    (district_admin = auth_hash_password(DISTRICT_ADMIN_PW)) == NULL)
		return (-1);
	if (e2e_env_init(&env) == -1 || e2e_ils_start_demo(&env, 0) == -1)
		goto fail;
	snprintf(sock_path, sizeof(sock_path), "%s/state/circlinkd.sock",
	    env.dir);
	e2e_listeners_init(&env, 1);
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
	free(metro_admin);
	free(district_admin);
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
 * Run circlinkctl -s on the gateway's control socket with input on its
 * standard input; its standard output and error go to out.  Returns its
 * exit status; fails the test if it cannot run or does not end.
 */
static int
ctl(const char *input, char *out, size_t outlen, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, outlen);
	rc = e2e_circlinkctl(ctl_path, sock_path, input, out, outlen, ap);
	va_end(ap);
	return (rc);
}

/* A metro kiosk asks about an item. */
static struct sip2_msg *
kiosk_item(const char *item)
{
	return (e2e_session_ask(&env, L_PLAIN, "metro-kiosk",
	    "metro-kiosk-pw", e2e_req(SIP2_ITEM_INFO, "AO", "METRO", "AB",
	    item, "AC", "", NULL)));
}

/* A metro kiosk's item information for district's item is refused. */
static void
assert_district_item_refused(void)
{
	struct sip2_msg	*r;
	long		 before;

	before = e2e_ils_received(&env.district, SIP2_ITEM_INFO);
	r = kiosk_item(DISTRICT_ITEM);
	assert_code(r, SIP2_ITEM_INFO_RESP);
	assert_string_equal(e2e_field(r, "AB"), DISTRICT_ITEM);
	assert_string_equal(e2e_field(r, "AJ"), "");
	assert_contains(e2e_field(r, "AF"), "agreement");
	sip2_msg_free(r);
	assert_int_equal(e2e_ils_received(&env.district, SIP2_ITEM_INFO),
	    before);
}

/* The same request served by district's ILS. */
static void
assert_district_item_served(void)
{
	struct sip2_msg	*r;

	r = kiosk_item(DISTRICT_ITEM);
	assert_code(r, SIP2_ITEM_INFO_RESP);
	assert_string_equal(e2e_field(r, "AJ"), DISTRICT_TITLE);
	sip2_msg_free(r);
}

/* Local service goes on whatever the agreement. */
static void
assert_metro_item_served(void)
{
	struct sip2_msg	*r;

	r = kiosk_item(METRO_ITEM);
	assert_code(r, SIP2_ITEM_INFO_RESP);
	assert_string_equal(e2e_field(r, "AJ"), METRO_TITLE);
	sip2_msg_free(r);
}

static void
test_status_lists_partners_and_agreements(void **state)
{
	char	 out[CTL_OUT_MAX];

	assert_int_equal(ctl(NULL, out, sizeof(out), "status", NULL), 0);
	assert_contains(out, "partner metro backend sip2 up");
	assert_contains(out, "partner district backend sip2 up");
	assert_contains(out, "agreement metro district active");
}

static void
test_reload_through_control(void **state)
{
	char	 out[CTL_OUT_MAX];
	off_t	 off = e2e_file_size(env.log);

	assert_int_equal(ctl(NULL, out, sizeof(out), "reload", NULL), 0);
	assert_int_equal(e2e_file_wait(env.log, off, "reloaded", 2000), 0);
}

static void
test_unknown_command_refused_by_daemon(void **state)
{
	char	 ans[E2E_ANSWER_MAX];

	assert_int_equal(e2e_gw_control(&env, "launch rockets", ans,
	    sizeof(ans)), 0);
	assert_contains(ans, "error: unknown command \"launch\"");
}

/*
 * A process of another user is refused by its credentials even when the
 * socket's file is opened to everyone by mistake.
 */
static void
test_control_refuses_other_users(void **state)
{
	char	 dir[E2E_PATH_MAX + 8];
	pid_t	 pid;
	int	 status;
	off_t	 off = e2e_file_size(env.log);

	if (geteuid() != 0)
		skip();
	snprintf(dir, sizeof(dir), "%s/state", env.dir);
	assert_int_equal(chmod(env.dir, 0711), 0);
	assert_int_equal(chmod(dir, 0711), 0);
	assert_int_equal(chmod(sock_path, 0666), 0);
	if ((pid = fork()) == 0) {
		struct sockaddr_un	 sun;
		char			 buf[64];
		int			 fd;

		if (setgid(65534) == -1 || setuid(65534) == -1)
			_exit(2);
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
		    sock_path) >= sizeof(sun.sun_path))
			_exit(4);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
		    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
			_exit(3);
		if (write(fd, "status\n", 7) != 7)
			_exit(0);
		/* Closed without a word: no status for others. */
		_exit(read(fd, buf, sizeof(buf)) > 0 ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	chmod(sock_path, 0600);
	chmod(dir, 0750);
	chmod(env.dir, 0700);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(e2e_file_wait(env.log, off,
	    "control event=refused uid=65534", 2000), 0);
}

static void
test_item_info_crosses_with_active_agreement(void **state)
{
	long	 before = e2e_ils_received(&env.district, SIP2_ITEM_INFO);

	assert_district_item_served();
	assert_int_equal(e2e_ils_received(&env.district, SIP2_ITEM_INFO),
	    before + 1);
}

/*
 * Revoked by one side: nothing crosses from that moment, local service
 * goes on, and accepting again restores it.
 */
static void
test_revocation_takes_effect_at_once(void **state)
{
	char		 out[CTL_OUT_MAX];
	struct e2e_conn	*live;
	struct sip2_msg	*r;

	/* A kiosk logged in before, and serving across, stays connected. */
	live = e2e_session(&env, L_PLAIN, "metro-kiosk", "metro-kiosk-pw");
	r = e2e_ask(live, e2e_req(SIP2_ITEM_INFO, "AO", "METRO", "AB",
	    DISTRICT_ITEM, "AC", "", NULL));
	assert_string_equal(e2e_field(r, "AJ"), DISTRICT_TITLE);
	sip2_msg_free(r);

	assert_int_equal(ctl(DISTRICT_ADMIN_PW "\n", out, sizeof(out),
	    "agreement", "revoke", "district", "metro", NULL), 0);

	/* Its next cross-partner request is refused; local ones go on. */
	r = e2e_ask(live, e2e_req(SIP2_ITEM_INFO, "AO", "METRO", "AB",
	    DISTRICT_ITEM, "AC", "", NULL));
	assert_code(r, SIP2_ITEM_INFO_RESP);
	assert_string_equal(e2e_field(r, "AJ"), "");
	assert_contains(e2e_field(r, "AF"), "agreement");
	sip2_msg_free(r);
	r = e2e_ask(live, e2e_req(SIP2_ITEM_INFO, "AO", "METRO", "AB",
	    METRO_ITEM, "AC", "", NULL));
	assert_string_equal(e2e_field(r, "AJ"), METRO_TITLE);
	sip2_msg_free(r);
	e2e_close(live);
	assert_int_equal(ctl(NULL, out, sizeof(out), "status", NULL), 0);
	assert_contains(out, "agreement metro district inactive: revoked by "
	    "district");
	assert_district_item_refused();
	assert_metro_item_served();

	assert_int_equal(ctl(DISTRICT_ADMIN_PW "\n", out, sizeof(out),
	    "agreement", "accept", "district", "metro", NULL), 0);
	assert_district_item_served();
}

/* A revocation is on record: a restarted gateway keeps it. */
static void
test_revocation_survives_restart(void **state)
{
	char	 out[CTL_OUT_MAX];

	assert_int_equal(ctl(METRO_ADMIN_PW "\n", out, sizeof(out),
	    "agreement", "revoke", "metro", "district", NULL), 0);
	e2e_gw_stop(&env);
	assert_int_equal(e2e_gw_start(&env), 0);
	assert_int_equal(e2e_partners_online(&env, L_PLAIN, 10000), 0);
	assert_int_equal(ctl(NULL, out, sizeof(out), "status", NULL), 0);
	assert_contains(out, "inactive: revoked by metro");
	assert_district_item_refused();

	assert_int_equal(ctl(METRO_ADMIN_PW "\n", out, sizeof(out),
	    "agreement", "accept", "metro", "district", NULL), 0);
	assert_district_item_served();
}

/* Only the partner's own administrator may revoke for it. */
static void
test_revocation_needs_the_partners_credential(void **state)
{
	char		 out[CTL_OUT_MAX], *log;
	const char	*secrets[] = { METRO_ADMIN_PW, DISTRICT_ADMIN_PW,
	    NULL };

	assert_int_equal(ctl(METRO_ADMIN_PW "\n", out, sizeof(out),
	    "agreement", "revoke", "district", "metro", NULL), 1);
	assert_contains(out, "wrong credential");
	assert_int_equal(ctl(NULL, out, sizeof(out), "status", NULL), 0);
	assert_contains(out, "agreement metro district active");
	assert_district_item_served();

	assert_int_equal(ctl(DISTRICT_ADMIN_PW "\n", out, sizeof(out),
	    "agreement", "revoke", "district", "nobody", NULL), 1);
	assert_contains(out, "no partner \"nobody\"");

	e2e_assert_private(env.log, secrets, NULL, NULL, NULL);
	log = e2e_file_read(env.log, 0);
	assert_non_null(log);
	assert_contains(log, "result=denied why=\"wrong credential\"");
	free(log);
}

/* The handshake: one file that does not accept keeps it inactive. */
static void
test_one_side_not_accepting_keeps_it_inactive(void **state)
{
	char	 out[CTL_OUT_MAX];

	district_terms = "\t\taccept no";
	assert_int_equal(e2e_gw_reload(&env, write_conf), 0);
	assert_int_equal(ctl(NULL, out, sizeof(out), "status", NULL), 0);
	assert_contains(out, "inactive: not accepted by district");
	assert_district_item_refused();
	assert_metro_item_served();

	district_terms = DISTRICT_TERMS;
	assert_int_equal(e2e_gw_reload(&env, write_conf), 0);
	assert_district_item_served();
}

/* A terminal of one partner asks about one patron. */
static struct sip2_msg *
ask_as(const char *who, struct sip2_msg *req)
{
	if (strcmp(who, "metro") == 0)
		return (e2e_session_ask(&env, L_PLAIN, "metro-kiosk",
		    "metro-kiosk-pw", req));
	return (e2e_session_ask(&env, L_PLAIN, "district-desk",
	    "district-desk-pw", req));
}

static struct sip2_msg *
patron_status(const char *who, const char *patron, const char *pin)
{
	return (ask_as(who, e2e_req(SIP2_PATRON_STATUS, "AO", "X", "AA",
	    patron, "AD", pin, "AC", "", NULL)));
}

/* 63 asking for the charged items list. */
static struct sip2_msg *
patron_info(const char *who, const char *patron, const char *pin)
{
	struct sip2_msg	*r;

	r = e2e_req(SIP2_PATRON_INFO, "AO", "X", "AA", patron, "AD", pin,
	    "AC", "", NULL);
	assert_int_equal(sip2_msg_set_fixed(r, SIP2_FX_SUMMARY,
	    "  Y       "), 0);
	return (ask_as(who, r));
}

/*
 * E-resources and My Account at another partner: a metro kiosk verifies
 * a district student at the district's ILS, with the class asked so the
 * agreement can judge it.
 */
static void
test_other_partners_patron_verified_at_home(void **state)
{
	struct sip2_msg	*r;
	long		 metro0, info0;

	metro0 = e2e_ils_received(&env.metro, SIP2_PATRON_STATUS);
	info0 = e2e_ils_received(&env.district, SIP2_PATRON_INFO);
	r = patron_status("metro", DISTRICT_PATRON, DISTRICT_PIN);
	assert_code(r, SIP2_PATRON_STATUS_RESP);
	assert_string_equal(e2e_field(r, "AA"), DISTRICT_PATRON);
	assert_string_equal(e2e_field(r, "BL"), "Y");
	assert_string_equal(e2e_field(r, "CQ"), "Y");
	assert_string_equal(e2e_field(r, "AE"), DISTRICT_NAME_);
	sip2_msg_free(r);
	assert_int_equal(e2e_ils_received(&env.district, SIP2_PATRON_INFO),
	    info0 + 1);
	assert_int_equal(e2e_ils_received(&env.metro, SIP2_PATRON_STATUS),
	    metro0);

	r = patron_status("metro", DISTRICT_PATRON, "0000");
	assert_code(r, SIP2_PATRON_STATUS_RESP);
	assert_string_equal(e2e_field(r, "CQ"), "N");
	sip2_msg_free(r);
}

/*
 * The district shares counts, not titles, and withholds address, phone
 * and birth date: a metro desk sees how many, never which.
 */
static void
test_counts_only_and_fields_withheld(void **state)
{
	struct sip2_msg	*r;
	int		 loans;

	r = ask_as("district", e2e_req(SIP2_CHECKOUT, "AO", "DISTRICT", "AA",
	    DISTRICT_PATRON, "AB", DISTRICT_ITEM, "AD", DISTRICT_PIN, "AC", "",
	    NULL));
	assert_code(r, SIP2_CHECKOUT_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	sip2_msg_free(r);

	/* At home the desk sees every loan listed, and the address. */
	r = patron_info("district", DISTRICT_PATRON, DISTRICT_PIN);
	assert_code(r, SIP2_PATRON_INFO_RESP);
	loans = atoi(e2e_fixed(r, SIP2_FX_CHARGED_COUNT));
	assert_true(loans >= 1);
	assert_int_equal(e2e_fields_with(r, "AU", NULL), loans);
	assert_int_equal(e2e_fields_with(r, "BD", NULL), 1);
	sip2_msg_free(r);

	/* At metro: as many loans, none named; no address, phone, birth. */
	r = patron_info("metro", DISTRICT_PATRON, DISTRICT_PIN);
	assert_code(r, SIP2_PATRON_INFO_RESP);
	assert_string_equal(e2e_field(r, "BL"), "Y");
	assert_int_equal(atoi(e2e_fixed(r, SIP2_FX_CHARGED_COUNT)), loans);
	assert_int_equal(e2e_fields_with(r, "AU", NULL), 0);
	assert_int_equal(e2e_fields_with(r, "BD", NULL), 0);
	assert_int_equal(e2e_fields_with(r, "BF", NULL), 0);
	assert_int_equal(e2e_fields_with(r, "PB", NULL), 0);
	assert_int_equal(e2e_fields_with(r, "BE", NULL), 1);
	sip2_msg_free(r);
}

/* Metro shares titles: the district's desk sees metro's loans listed. */
static void
test_titles_shared_where_the_owner_allows(void **state)
{
	struct sip2_msg	*r;

	r = patron_info("district", METRO_PATRON, METRO_PIN);
	assert_code(r, SIP2_PATRON_INFO_RESP);
	assert_string_equal(e2e_field(r, "BL"), "Y");
	assert_true(e2e_fields_with(r, "AU", NULL) >= 1);
	assert_int_equal(e2e_fields_with(r, "AU", NULL),
	    atoi(e2e_fixed(r, SIP2_FX_CHARGED_COUNT)));
	assert_string_equal(e2e_field(r, "BE"), METRO_EMAIL);
	assert_int_equal(e2e_fields_with(r, "BD", NULL), 0);
	assert_int_equal(e2e_fields_with(r, "BF", NULL), 0);
	sip2_msg_free(r);
}

/* A class a partner excludes is unknown to the other; known at home. */
static void
test_excluded_class_unknown_elsewhere(void **state)
{
	struct sip2_msg	*r;

	r = patron_status("metro", DISTRICT_STAFF, DISTRICT_STAFF_PIN);
	assert_code(r, SIP2_PATRON_STATUS_RESP);
	assert_string_equal(e2e_field(r, "BL"), "N");
	assert_string_equal(e2e_field(r, "AE"), "");
	sip2_msg_free(r);
	r = patron_status("district", DISTRICT_STAFF, DISTRICT_STAFF_PIN);
	assert_string_equal(e2e_field(r, "BL"), "Y");
	sip2_msg_free(r);

	r = patron_info("district", METRO_CHILD, METRO_CHILD_PIN);
	assert_code(r, SIP2_PATRON_INFO_RESP);
	assert_string_equal(e2e_field(r, "BL"), "N");
	assert_int_equal(e2e_fields_with(r, "BE", NULL), 0);
	sip2_msg_free(r);
}

/*
 * A fine owed to the district is shown at metro, labelled, and cannot
 * be paid there: nothing reaches the district's ILS, nothing changes.
 */
static void
test_fine_for_another_library_shown_not_paid(void **state)
{
	struct sip2_msg	*r;
	long		 paid0;

	r = patron_info("metro", DISTRICT_OWES, DISTRICT_OWES_PIN);
	assert_code(r, SIP2_PATRON_INFO_RESP);
	assert_string_equal(e2e_field(r, "BV"), "1.00");
	assert_contains(e2e_field(r, "AF"), "owed to " E2E_DISTRICT_NAME);
	sip2_msg_free(r);

	paid0 = e2e_ils_received(&env.district, SIP2_FEE_PAID);
	r = ask_as("metro", e2e_req(SIP2_FEE_PAID, "AO", "METRO", "AA",
	    DISTRICT_OWES, "BV", "1.00", "CG", "F2001", "AC", "", NULL));
	assert_code(r, SIP2_FEE_PAID_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_PAYMENT_ACCEPTED), "N");
	assert_contains(e2e_field(r, "AF"), "can only be paid there");
	sip2_msg_free(r);
	assert_int_equal(e2e_ils_received(&env.district, SIP2_FEE_PAID),
	    paid0);
	e2e_ils_has(&env.district, "patron", DISTRICT_OWES, "owed=1.00");
}

/*
 * Return anywhere: the district's item checked in at a metro kiosk is
 * checked in at the district, and the kiosk is told where it goes; who
 * had it stays the district's business.
 */
static void
test_return_anywhere(void **state)
{
	struct sip2_msg	*r;

	r = ask_as("district", e2e_req(SIP2_CHECKOUT, "AO", "DISTRICT", "AA",
	    DISTRICT_PATRON, "AB", DISTRICT_ITEM, "AD", DISTRICT_PIN, "AC", "",
	    NULL));
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	sip2_msg_free(r);
	e2e_ils_has(&env.district, "item", DISTRICT_ITEM,
	    "patron=" DISTRICT_PATRON);

	r = ask_as("metro", e2e_req(SIP2_CHECKIN, "AP", "MAIN", "AO", "METRO",
	    "AB", DISTRICT_ITEM, "AC", "", NULL));
	assert_code(r, SIP2_CHECKIN_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	assert_string_equal(e2e_fixed(r, SIP2_FX_ALERT), "Y");
	assert_string_equal(e2e_field(r, "CV"), "04");
	assert_contains(e2e_field(r, "AF"), "Return to "
	    E2E_DISTRICT_NAME);
	assert_string_equal(e2e_field(r, "CT"), "LINCOLN");
	assert_int_equal(e2e_fields_with(r, "AA", DISTRICT_PATRON), 0);
	sip2_msg_free(r);
	/* Off the patron's record, on its way home from MAIN. */
	e2e_ils_has(&env.district, "item", DISTRICT_ITEM, "patron=-");
	e2e_ils_has(&env.district, "item", DISTRICT_ITEM, "status=10");
	e2e_ils_has(&env.district, "item", DISTRICT_ITEM,
	    "destination=LINCOLN");
}

/* Revoked: another partner's patron is not even looked up. */
static void
test_revoked_agreement_hides_patrons(void **state)
{
	char		 out[CTL_OUT_MAX];
	struct sip2_msg	*r;
	long		 info0;

	assert_int_equal(ctl(DISTRICT_ADMIN_PW "\n", out, sizeof(out),
	    "agreement", "revoke", "district", "metro", NULL), 0);
	info0 = e2e_ils_received(&env.district, SIP2_PATRON_INFO);
	r = patron_status("metro", DISTRICT_PATRON, DISTRICT_PIN);
	assert_code(r, SIP2_PATRON_STATUS_RESP);
	assert_string_equal(e2e_field(r, "BL"), "N");
	assert_contains(e2e_field(r, "AF"), "agreement");
	sip2_msg_free(r);
	assert_int_equal(e2e_ils_received(&env.district, SIP2_PATRON_INFO),
	    info0);
	r = patron_status("metro", METRO_PATRON, METRO_PIN);
	assert_string_equal(e2e_field(r, "BL"), "Y");
	sip2_msg_free(r);
	assert_int_equal(ctl(DISTRICT_ADMIN_PW "\n", out, sizeof(out),
	    "agreement", "accept", "district", "metro", NULL), 0);
}

#define LINKED		"21000000077"	/* a metro account for a student */

/* Return 1 if a file holds the bytes of s anywhere. */
static int
file_holds(const char *path, const char *s)
{
	FILE	*fp;
	char	*buf;
	size_t	 len, n = strlen(s);
	long	 size;
	int	 found;

	if ((fp = fopen(path, "rb")) == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	rewind(fp);
	assert_true(size > 0);
	assert_non_null(buf = malloc((size_t)size));
	len = fread(buf, 1, (size_t)size, fp);
	fclose(fp);
	found = memmem(buf, len, s, n) != NULL;
	free(buf);
	return (found);
}

/* Linking by hand: add, show masked, refuse a second home, unlink. */
static void
test_link_add_show_unlink(void **state)
{
	char	 out[CTL_OUT_MAX];

	assert_int_equal(ctl(NULL, out, sizeof(out), "link", "add",
	    "district", DISTRICT_PATRON, "metro", LINKED, NULL), 0);
	assert_int_equal(ctl(NULL, out, sizeof(out), "link", "show",
	    "metro", LINKED, NULL), 0);
	assert_contains(out, "accounts 2");
	assert_contains(out, "account district home barcodes 2200*******");
	assert_contains(out, "account metro linked barcodes 2100*******");
	assert_contains(out, "by circlinkctl reason manual");
	assert_null(strstr(out, DISTRICT_PATRON));
	assert_null(strstr(out, LINKED));

	assert_int_equal(ctl(NULL, out, sizeof(out), "link", "add",
	    "district", DISTRICT_PATRON, "metro", LINKED, NULL), 0);
	assert_contains(out, "already linked");
	/* The metro account's person has a district account already. */
	assert_int_equal(ctl(NULL, out, sizeof(out), "link", "add",
	    "district", DISTRICT_OWES, "metro", LINKED, NULL), 1);
	assert_contains(out, "has an account at district already");

	assert_int_equal(ctl(NULL, out, sizeof(out), "unlink", "metro",
	    LINKED, NULL), 0);
	assert_int_equal(ctl(NULL, out, sizeof(out), "link", "show",
	    "district", DISTRICT_PATRON, NULL), 0);
	assert_contains(out, "accounts 1");
	assert_int_equal(ctl(NULL, out, sizeof(out), "unlink", "district",
	    DISTRICT_PATRON, NULL), 0);
	assert_int_equal(ctl(NULL, out, sizeof(out), "link", "show",
	    "district", DISTRICT_PATRON, NULL), 1);
	assert_contains(out, "no linked account");
}

/* No link between partners whose agreement is not in force. */
static void
test_link_needs_an_agreement_in_force(void **state)
{
	char	 out[CTL_OUT_MAX];

	assert_int_equal(ctl(METRO_ADMIN_PW "\n", out, sizeof(out),
	    "agreement", "revoke", "metro", "district", NULL), 0);
	assert_int_equal(ctl(NULL, out, sizeof(out), "link", "add",
	    "district", DISTRICT_PATRON, "metro", LINKED, NULL), 1);
	assert_contains(out, "no agreement in force between district and "
	    "metro");
	assert_int_equal(ctl(METRO_ADMIN_PW "\n", out, sizeof(out),
	    "agreement", "accept", "metro", "district", NULL), 0);
}

/*
 * A link is committed before it is answered and survives a restart; the
 * store's files hold neither barcode, and a backup neither.
 */
static void
test_link_survives_restart_and_nothing_in_clear(void **state)
{
	char	 out[CTL_OUT_MAX], data[E2E_PATH_MAX + 32];
	char	 copy[E2E_PATH_MAX + 32];
	struct stat sb;

	snprintf(data, sizeof(data), "%s/state/store/data.mdb", env.dir);
	snprintf(copy, sizeof(copy), "%s/backup.mdb", env.dir);
	assert_int_equal(ctl(NULL, out, sizeof(out), "link", "add",
	    "district", DISTRICT_PATRON, "metro", LINKED, NULL), 0);
	e2e_gw_stop(&env);
	assert_int_equal(file_holds(data, DISTRICT_PATRON), 0);
	assert_int_equal(file_holds(data, LINKED), 0);
	assert_int_equal(file_holds(data, "district"), 1);
	assert_int_equal(e2e_gw_start(&env), 0);
	assert_int_equal(e2e_partners_online(&env, L_PLAIN, 10000), 0);
	assert_int_equal(ctl(NULL, out, sizeof(out), "link", "show",
	    "district", DISTRICT_PATRON, NULL), 0);
	assert_contains(out, "accounts 2");
	assert_int_equal(ctl(NULL, out, sizeof(out), "status", NULL), 0);
	assert_contains(out, "store persons 1 accounts 2 barcodes 2");

	unlink(copy);
	assert_int_equal(ctl(NULL, out, sizeof(out), "backup", copy, NULL),
	    0);
	assert_int_equal(stat(copy, &sb), 0);
	assert_int_equal(sb.st_mode & 077, 0);
	assert_int_equal(file_holds(copy, DISTRICT_PATRON), 0);
	assert_int_equal(file_holds(copy, "district"), 1);
	/* A backup never overwrites. */
	assert_int_equal(ctl(NULL, out, sizeof(out), "backup", copy, NULL),
	    1);
	unlink(copy);

	assert_int_equal(ctl(NULL, out, sizeof(out), "unlink", "metro",
	    LINKED, NULL), 0);
	assert_int_equal(ctl(NULL, out, sizeof(out), "unlink", "district",
	    DISTRICT_PATRON, NULL), 0);
}

#define VISITOR		"21090000001"	/* metro's visitor account */
#define METRO_EXPLICIT	"31000000002"	/* ADULT-EXPLICIT */
#define METRO_ITEM2	"31000000003"
#define METRO_ITEM3	"31000000011"
#define DISTRICT_LOST	"22000000004"	/* card reported lost */
#define DISTRICT_LOST_PIN "7777"

/* A metro kiosk checks an item out to a patron with a PIN. */
static struct sip2_msg *
kiosk_checkout(const char *patron, const char *pin, const char *item)
{
	return (ask_as("metro", e2e_req(SIP2_CHECKOUT, "AO", "METRO", "AA",
	    patron, "AB", item, "AD", pin, "AC", "", NULL)));
}

/* Link a card at another partner to a home card, as an administrator. */
static void
link_pair(const char *home, const char *home_card, const char *other,
    const char *other_card)
{
	char	 out[CTL_OUT_MAX];

	assert_int_equal(ctl(NULL, out, sizeof(out), "link", "add", home,
	    home_card, other, other_card, NULL), 0);
}

/* Undo link_pair(): the linked account first, then the home. */
static void
unlink_pair(const char *home, const char *home_card, const char *other,
    const char *other_card)
{
	char	 out[CTL_OUT_MAX];

	assert_int_equal(ctl(NULL, out, sizeof(out), "unlink", other,
	    other_card, NULL), 0);
	assert_int_equal(ctl(NULL, out, sizeof(out), "unlink", home,
	    home_card, NULL), 0);
}

/* A district card linked to a metro account, and undone. */
static void
link_by_hand(const char *district_card, const char *metro_card)
{
	link_pair("district", district_card, "metro", metro_card);
}

static void
unlink_both(const char *district_card, const char *metro_card)
{
	unlink_pair("district", district_card, "metro", metro_card);
}

/*
 * Scenario 2: a district student checks out a metro book at a metro
 * kiosk with the school card and PIN.  Verified at the district (a
 * gateway restart after linking changes nothing), lent by metro under
 * the linked account, answered with the card the kiosk sent.
 */
static void
test_visiting_patron_borrows_under_the_link(void **state)
{
	struct sip2_msg	*r;
	long		 info0, out0;

	link_by_hand(DISTRICT_PATRON, VISITOR);
	e2e_gw_stop(&env);
	assert_int_equal(e2e_gw_start(&env), 0);
	assert_int_equal(e2e_partners_online(&env, L_PLAIN, 10000), 0);

	info0 = e2e_ils_received(&env.district, SIP2_PATRON_INFO);
	r = kiosk_checkout(DISTRICT_PATRON, DISTRICT_PIN, METRO_ITEM);
	assert_code(r, SIP2_CHECKOUT_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	assert_string_equal(e2e_field(r, "AA"), DISTRICT_PATRON);
	assert_string_equal(e2e_field(r, "AB"), METRO_ITEM);
	assert_string_equal(e2e_field(r, "AJ"), METRO_TITLE);
	sip2_msg_free(r);
	assert_int_equal(e2e_ils_received(&env.district, SIP2_PATRON_INFO),
	    info0 + 1);
	e2e_ils_has(&env.metro, "item", METRO_ITEM, "patron=" VISITOR);

	/* A renewal goes the same way. */
	r = ask_as("metro", e2e_req(SIP2_RENEW, "AO", "METRO", "AA",
	    DISTRICT_PATRON, "AB", METRO_ITEM, "AD", DISTRICT_PIN, "AC", "",
	    NULL));
	assert_code(r, SIP2_RENEW_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	assert_string_equal(e2e_field(r, "AA"), DISTRICT_PATRON);
	sip2_msg_free(r);
	e2e_ils_has(&env.metro, "item", METRO_ITEM, "renewals=1");

	/* A wrong PIN stops at the district: metro lends nothing. */
	out0 = e2e_ils_received(&env.metro, SIP2_CHECKOUT);
	r = kiosk_checkout(DISTRICT_PATRON, "0000", METRO_ITEM2);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "0");
	sip2_msg_free(r);
	assert_int_equal(e2e_ils_received(&env.metro, SIP2_CHECKOUT), out0);
	unlink_both(DISTRICT_PATRON, VISITOR);
}

/*
 * The lending partner's terms: a withheld collection never reaches its
 * ILS (scenario 13), and the combined loans at both are limited.
 */
static void
test_visiting_patron_within_the_lenders_terms(void **state)
{
	struct sip2_msg	*r;
	long		 out0;

	link_by_hand(DISTRICT_PATRON, VISITOR);
	out0 = e2e_ils_received(&env.metro, SIP2_CHECKOUT);
	r = kiosk_checkout(DISTRICT_PATRON, DISTRICT_PIN, METRO_EXPLICIT);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "0");
	assert_contains(e2e_field(r, "AF"), "does not lend this collection");
	sip2_msg_free(r);
	assert_int_equal(e2e_ils_received(&env.metro, SIP2_CHECKOUT), out0);

	/* One loan at the district; the limit of 3 allows two here. */
	r = kiosk_checkout(DISTRICT_PATRON, DISTRICT_PIN, METRO_ITEM);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	sip2_msg_free(r);
	r = kiosk_checkout(DISTRICT_PATRON, DISTRICT_PIN, METRO_ITEM2);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	sip2_msg_free(r);
	r = kiosk_checkout(DISTRICT_PATRON, DISTRICT_PIN, METRO_ITEM3);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "0");
	assert_contains(e2e_field(r, "AF"), "limit of 3 loans");
	sip2_msg_free(r);
	e2e_ils_has(&env.metro, "item", METRO_ITEM3, "patron=-");
	unlink_both(DISTRICT_PATRON, VISITOR);
}

/*
 * A first loan at metro links one of its visitor accounts to the card,
 * committed before the loan; the next loan reuses it; with the pool used
 * up, the next student is refused.
 */
static void
test_visitor_account_linked_when_needed(void **state)
{
	char		 out[CTL_OUT_MAX];
	struct sip2_msg	*r;

	r = kiosk_checkout(DISTRICT_PATRON, DISTRICT_PIN, METRO_ITEM);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	assert_string_equal(e2e_field(r, "AA"), DISTRICT_PATRON);
	sip2_msg_free(r);
	e2e_ils_has(&env.metro, "item", METRO_ITEM, "patron=" POOLED);
	assert_int_equal(ctl(NULL, out, sizeof(out), "link", "show",
	    "district", DISTRICT_PATRON, NULL), 0);
	assert_contains(out, "account metro linked barcodes 2109*******");
	assert_contains(out, "by metro reason visiting-loan");

	r = kiosk_checkout(DISTRICT_PATRON, DISTRICT_PIN, METRO_ITEM2);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	sip2_msg_free(r);
	e2e_ils_has(&env.metro, "item", METRO_ITEM2, "patron=" POOLED);

	r = kiosk_checkout(DISTRICT_OWES, DISTRICT_OWES_PIN, METRO_ITEM3);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "0");
	assert_contains(e2e_field(r, "AF"), "none is free");
	sip2_msg_free(r);
	assert_int_equal(ctl(NULL, out, sizeof(out), "link", "show",
	    "district", DISTRICT_OWES, NULL), 1);
	unlink_both(DISTRICT_PATRON, POOLED);
}

/*
 * Refused at the home, before any link is made or the lender asked: a
 * card reported lost, a class the home keeps to itself.
 */
static void
test_visiting_patron_refusals(void **state)
{
	char		 out[CTL_OUT_MAX];
	struct sip2_msg	*r;
	long		 out0 = e2e_ils_received(&env.metro, SIP2_CHECKOUT);
	long		 info0 = e2e_ils_received(&env.metro, SIP2_ITEM_INFO);

	r = kiosk_checkout(DISTRICT_LOST, DISTRICT_LOST_PIN, METRO_ITEM);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "0");
	assert_contains(e2e_field(r, "AF"), "as blocked");
	sip2_msg_free(r);
	r = kiosk_checkout(DISTRICT_STAFF, DISTRICT_STAFF_PIN, METRO_ITEM);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "0");
	sip2_msg_free(r);

	assert_int_equal(e2e_ils_received(&env.metro, SIP2_CHECKOUT), out0);
	assert_int_equal(e2e_ils_received(&env.metro, SIP2_ITEM_INFO), info0);
	assert_int_equal(ctl(NULL, out, sizeof(out), "link", "show",
	    "district", DISTRICT_LOST, NULL), 1);
	assert_int_equal(ctl(NULL, out, sizeof(out), "link", "show",
	    "district", DISTRICT_STAFF, NULL), 1);
}

/* A metro kiosk places a hold for a patron, pickup at MAIN. */
static struct sip2_msg *
kiosk_hold(const char *patron, const char *pin, const char *item)
{
	struct sip2_msg	*req;

	req = e2e_req(SIP2_HOLD, "AO", "METRO", "AA", patron, "AD", pin,
	    "AB", item, "BS", "MAIN", "BY", "3", "AC", "", NULL);
	assert_non_null(req);
	sip2_msg_set_fixed(req, SIP2_FX_HOLD_MODE, "+");
	return (ask_as("metro", req));
}

/*
 * A visitor's hold on a metro item is a visit too: the withheld
 * collection is refused before metro hears of it (scenario 13 for
 * holds), and a hold on a book out on loan is placed under the linked
 * account.
 */
static void
test_visiting_patron_places_a_hold(void **state)
{
	struct sip2_msg	*r;
	long		 holds0;

	link_by_hand(DISTRICT_PATRON, VISITOR);
	holds0 = e2e_ils_received(&env.metro, SIP2_HOLD);
	r = kiosk_hold(DISTRICT_PATRON, DISTRICT_PIN, METRO_EXPLICIT);
	assert_code(r, SIP2_HOLD_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "0");
	assert_contains(e2e_field(r, "AF"), "does not lend this collection");
	sip2_msg_free(r);
	assert_int_equal(e2e_ils_received(&env.metro, SIP2_HOLD), holds0);

	r = kiosk_hold(DISTRICT_PATRON, DISTRICT_PIN, "31000000004");
	assert_code(r, SIP2_HOLD_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	assert_string_equal(e2e_field(r, "AA"), DISTRICT_PATRON);
	sip2_msg_free(r);
	e2e_ils_has(&env.metro, "item", "31000000004", "holds=1");
	e2e_ils_has(&env.metro, "patron", VISITOR, "holds=1");
	unlink_both(DISTRICT_PATRON, VISITOR);
}

/*
 * The lender's ILS cannot be reached after the home verified the card:
 * the kiosk is told which library is down, nothing is lent, the link
 * stays as it was.
 */
static void
test_visiting_patron_lender_down(void **state)
{
	struct sip2_msg	*r;

	link_by_hand(DISTRICT_PATRON, VISITOR);
	e2e_ctl(&env.metro, "refuse", NULL, 0);
	e2e_ctl(&env.metro, "drop", NULL, 0);
	r = kiosk_checkout(DISTRICT_PATRON, DISTRICT_PIN, METRO_ITEM);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "0");
	assert_contains(e2e_field(r, "AF"), E2E_METRO_NAME);
	assert_true(strstr(e2e_field(r, "AF"), "offline") != NULL ||
	    strstr(e2e_field(r, "AF"), "did not answer") != NULL);
	sip2_msg_free(r);
	e2e_ctl(&env.metro, "normal", NULL, 0);
	unlink_both(DISTRICT_PATRON, VISITOR);
}

/*
 * Scenario 5: a district student who borrowed at metro is seen whole at
 * either desk, each part as its owner shares it: metro names its loans,
 * the district only counts its own toward metro.
 */
static void
test_combined_status_across_linked_accounts(void **state)
{
	struct sip2_msg	*r;
	int		 home;

	r = patron_info("district", DISTRICT_PATRON, DISTRICT_PIN);
	home = atoi(e2e_fixed(r, SIP2_FX_CHARGED_COUNT));
	sip2_msg_free(r);
	r = kiosk_checkout(DISTRICT_PATRON, DISTRICT_PIN, METRO_ITEM);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	sip2_msg_free(r);

	r = patron_info("district", DISTRICT_PATRON, DISTRICT_PIN);
	assert_code(r, SIP2_PATRON_INFO_RESP);
	assert_int_equal(atoi(e2e_fixed(r, SIP2_FX_CHARGED_COUNT)), home + 1);
	assert_int_equal(e2e_fields_with(r, "AU", NULL), home + 1);
	assert_int_equal(e2e_fields_with(r, "AU", METRO_ITEM), 1);
	sip2_msg_free(r);

	r = patron_info("metro", DISTRICT_PATRON, DISTRICT_PIN);
	assert_code(r, SIP2_PATRON_INFO_RESP);
	assert_int_equal(atoi(e2e_fixed(r, SIP2_FX_CHARGED_COUNT)), home + 1);
	assert_int_equal(e2e_fields_with(r, "AU", NULL), 1);
	assert_int_equal(e2e_fields_with(r, "AU", METRO_ITEM), 1);
	sip2_msg_free(r);

	/* A wrong PIN shows nothing of anyone's. */
	r = patron_info("metro", DISTRICT_PATRON, "0000");
	assert_int_equal(e2e_fields_with(r, "AU", NULL), 0);
	sip2_msg_free(r);
	unlink_both(DISTRICT_PATRON, POOLED);
}

/*
 * The account view combines blocks too: the linked account's card at the
 * district reported lost shows in the status bits of metro's 64 for the
 * metro card.  A patron status (24) answers for the card asked about.
 */
static void
test_combined_account_shows_blocks(void **state)
{
	struct sip2_msg	*r;

	link_pair("metro", "21000000002", "district", DISTRICT_LOST);
	r = patron_info("metro", "21000000002", "2222");
	assert_code(r, SIP2_PATRON_INFO_RESP);
	assert_string_equal(e2e_field(r, "BL"), "Y");
	assert_int_equal(e2e_fixed(r, SIP2_FX_PATRON_STATUS)[4], 'Y');
	sip2_msg_free(r);
	r = patron_status("metro", "21000000002", "2222");
	assert_int_equal(e2e_fixed(r, SIP2_FX_PATRON_STATUS)[4], ' ');
	sip2_msg_free(r);
	unlink_pair("metro", "21000000002", "district", DISTRICT_LOST);
}

/*
 * What a linked account owes another library is shown there, labelled,
 * and stays out of the balance a kiosk would take payment for.
 */
static void
test_combined_fines_labelled_and_kept_apart(void **state)
{
	struct sip2_msg	*r;

	link_pair("metro", "21000000002", "district", DISTRICT_OWES);
	r = patron_info("metro", "21000000002", "2222");
	assert_code(r, SIP2_PATRON_INFO_RESP);
	assert_string_equal(e2e_field(r, "BV"), "12.50");
	assert_contains(e2e_field(r, "AF"), "Fines of 1.00 are owed to "
	    E2E_DISTRICT_NAME);
	sip2_msg_free(r);
	unlink_pair("metro", "21000000002", "district", DISTRICT_OWES);
}

/*
 * Routing: a card whose number no partner's pattern foresees, and which
 * the store does not know.  Metro's ILS does not know it; the district is
 * asked by barcode alone (no PIN leaves for that), knows it, and gets the
 * request; the card is remembered, so the next request goes there at
 * once.  A card nobody knows stays unknown.
 */
static void
test_card_found_by_asking_and_remembered(void **state)
{
	char		 out[CTL_OUT_MAX];
	struct sip2_msg	*r;
	long		 asked0, info0;
	int		 i;

	asked0 = e2e_ils_received(&env.district, SIP2_PATRON_STATUS);
	info0 = e2e_ils_received(&env.district, SIP2_PATRON_INFO);
	r = patron_status("metro", "LCS-0042", "4242");
	assert_string_equal(e2e_field(r, "BL"), "Y");
	assert_string_equal(e2e_field(r, "CQ"), "Y");
	sip2_msg_free(r);
	assert_int_equal(e2e_ils_received(&env.district, SIP2_PATRON_STATUS),
	    asked0 + 1);
	assert_int_equal(e2e_ils_received(&env.district, SIP2_PATRON_INFO),
	    info0 + 1);
	/* Remembering is not promised to the kiosk: it may come later. */
	for (i = 0; i < 100 && ctl(NULL, out, sizeof(out), "link", "show",
	    "district", "LCS-0042", NULL) != 0; i++)
		usleep(20000);
	assert_true(i < 100);
	assert_contains(out, "account district home");
	assert_contains(out, "reason discovered");

	r = patron_status("metro", "LCS-0042", "4242");
	assert_string_equal(e2e_field(r, "BL"), "Y");
	sip2_msg_free(r);
	assert_int_equal(e2e_ils_received(&env.district, SIP2_PATRON_STATUS),
	    asked0 + 1);

	r = patron_status("metro", "NOBODY-0001", "0000");
	assert_string_equal(e2e_field(r, "BL"), "N");
	sip2_msg_free(r);
	assert_int_equal(ctl(NULL, out, sizeof(out), "unlink", "district",
	    "LCS-0042", NULL), 0);
}

/* Nothing of this suite's patrons or secrets reached the log. */
static void
test_log_holds_no_secrets(void **state)
{
	const char	*secrets[] = { METRO_ADMIN_PW, DISTRICT_ADMIN_PW,
	    "metro-kiosk-pw", "district-desk-pw", NULL };
	const char	*pins[] = { METRO_PIN, METRO_CHILD_PIN, DISTRICT_PIN,
	    DISTRICT_OWES_PIN, DISTRICT_STAFF_PIN, NULL };
	const char	*patrons[] = { METRO_PATRON, DISTRICT_PATRON,
	    DISTRICT_OWES, DISTRICT_STAFF, NULL };
	const char	*titles[] = { DISTRICT_TITLE, METRO_TITLE, "Holes",
	    NULL };

	e2e_assert_private(env.log, secrets, pins, patrons, titles);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, ready, still_alive)
	const struct CMUnitTest tests[] = {
		T(test_status_lists_partners_and_agreements),
		T(test_reload_through_control),
		T(test_unknown_command_refused_by_daemon),
		T(test_control_refuses_other_users),
		T(test_item_info_crosses_with_active_agreement),
		T(test_revocation_takes_effect_at_once),
		T(test_revocation_survives_restart),
		T(test_revocation_needs_the_partners_credential),
		T(test_one_side_not_accepting_keeps_it_inactive),
		T(test_other_partners_patron_verified_at_home),
		T(test_counts_only_and_fields_withheld),
		T(test_titles_shared_where_the_owner_allows),
		T(test_excluded_class_unknown_elsewhere),
		T(test_fine_for_another_library_shown_not_paid),
		T(test_return_anywhere),
		T(test_revoked_agreement_hides_patrons),
		T(test_link_add_show_unlink),
		T(test_link_needs_an_agreement_in_force),
		T(test_link_survives_restart_and_nothing_in_clear),
		T(test_visiting_patron_borrows_under_the_link),
		T(test_visiting_patron_within_the_lenders_terms),
		T(test_visitor_account_linked_when_needed),
		T(test_visiting_patron_refusals),
		T(test_visiting_patron_lender_down),
		T(test_visiting_patron_places_a_hold),
		T(test_combined_status_across_linked_accounts),
		T(test_combined_fines_labelled_and_kept_apart),
		T(test_combined_account_shows_blocks),
		T(test_card_found_by_asking_and_remembered),
		T(test_log_holds_no_secrets),
	};
#undef T

	return (cmocka_run_group_tests_name("e2e_agreement", tests,
	    group_setup, group_teardown));
}
