/* SPDX-License-Identifier: ISC */
/*
 * End-to-end tests of one registration and of preferences set once: the
 * district's ILS (NCIP) tells a real circlinkd of a patron it registered
 * or of preferences it was given, and staff do the same with the control
 * socket; the metro ILS (NCIP too) gets the linked account or the push,
 * also when it was down meanwhile and the gateway restarted.  The
 * simulated ILSes show through their control ports what reached them.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

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
#include "ncip.h"
#include "e2e.h"
#include "e2e_http.h"

#define L_SIP2		0
#define L_NCIP		1

#define METRO_TOKEN	"metro-caller-token-77e1a0c5"
#define DISTRICT_TOKEN	"district-caller-token-0b9d42f6"
#define DISTRICT_ILS_TOKEN "district-ncip-token"

/* Demo patrons of the district's (etc/demo/district.ils). */
#define STUDENT		"22000000004"	/* registered over NCIP */
#define STUDENT_NAME	"Ibarra, Lucia"
#define DOWN_STUDENT	"22000000002"	/* registered while metro is down */
#define STAFF		"22000000009"	/* a class the district excludes */
#define REGISTERED	"LCS-0042"	/* registered by staff */
#define SLOW_STUDENT	"22000000001"	/* metro slower than the deadline */

#define WAIT_DELIVERY_MS 40000	/* the outbox's backoff is 30 s at most */

static struct e2e_env	 env;
static char		 metro_account[64];	/* the student's, made there */

static int
write_conf(struct e2e_env *e)
{
	const struct e2e_partner	 parts[] = {
		{ .id = "metro", .name = E2E_METRO_NAME, .institution = "METRO",
		    .patrons = "2100*", .items = "3100*", .loc1 = "MAIN",
		    .loc2 = "EAST", .ils = &e->metro, .ncip = 1,
		    .version = "2.02", .by_auth = 1,
		    .caller_token = METRO_TOKEN,
		    .terms = "\t\taccept yes\n\t\tlink-classes STUDENT" },
		{ .id = "district", .name = E2E_DISTRICT_NAME,
		    .institution = "DISTRICT", .patrons = "2200*",
		    .items = "3200*", .loc1 = "LINCOLN", .loc2 = "WESTHIGH",
		    .ils = &e->district, .ncip = 1, .version = "1.0",
		    .ils_token = DISTRICT_ILS_TOKEN,
		    .caller_token = DISTRICT_TOKEN,
		    .terms = "\t\taccept yes\n\t\texclude-class STAFF\n"
		    "\t\twithhold address" },
	};

	return (e2e_gw_write_partners(e, parts, 2));
}

static int
group_setup(void **state)
{
	ncip_init();
	if (e2e_env_init(&env) == -1 || e2e_ils_start_demo(&env, 1) == -1)
		goto fail;
	e2e_listeners_init(&env, 2);
	env.listeners[L_NCIP].ncip = 1;
	if (e2e_terminal_add(&env, "metro-kiosk", "metro-kiosk-pw", "metro",
	    "MAIN", NULL, NULL) == -1 ||
	    e2e_gw_launch(&env, write_conf) == -1 ||
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
	return (0);
}

/*
 * Before each test: both ILSes healthy and online, but not reset: what
 * earlier tests registered stays, as the identity store keeps it.
 */
static int
ready(void **state)
{
	if (e2e_ils_ctl(&env.metro, "normal", NULL, 0) == -1 ||
	    e2e_ils_ctl(&env.district, "normal", NULL, 0) == -1)
		return (-1);
	if (!e2e_gw_alive(&env) && e2e_gw_start(&env) == -1)
		return (-1);
	return (e2e_partners_online(&env, L_SIP2, 10000));
}

static int
still_alive(void **state)
{
	return (e2e_gw_survived(&env));
}

/* --- helpers ----------------------------------------------------------- */

/* How many NCIP requests of a service an ILS has had. */
static long
ncip_count(const struct e2e_ils *ils, const char *service)
{
	return (e2e_ils_stat(ils, "ncip-stats", service));
}

/* A word of an ILS's control answer after "key=", into buf. */
static const char *
ans_word(const char *ans, const char *key, char *buf, size_t len)
{
	char		 k[64];
	const char	*s;

	snprintf(k, sizeof(k), " %s=", key);
	if ((s = strstr(ans, k)) == NULL)
		fail_msg("no %s in \"%s\"", key, ans);
	s += strlen(k);
	snprintf(buf, len, "%.*s", (int)strcspn(s, " "), s);
	return (buf);
}

/* The same for an answer that must be an error. */
static void
gw_refused(const char *line, const char *words)
{
	char	 ans[E2E_ANSWER_MAX];

	if (e2e_gw_control(&env, line, ans, sizeof(ans)) == -1)
		fail_msg("control \"%s\" failed", line);
	if (strncmp(ans, "error: ", 7) != 0)
		fail_msg("control \"%s\" not refused: %s", line, ans);
	assert_contains(ans, words);
}

/* A request from the district's ILS to the gateway. */
static struct ncip_msg *
call_new(enum ncip_service svc)
{
	struct ncip_msg	*m;

	assert_non_null(m = ncip_msg_new(svc));
	m->header.present = 1;
	m->header.from_agency.value = "DISTRICT";
	m->header.to_agency.value = "CIRCLINK";
	return (m);
}

/* Post a request (freed here) as the district's ILS; the answer back. */
static struct ncip_msg *
call(struct ncip_msg *m)
{
	struct ncip_dialect	 dl;

	memset(&dl, 0, sizeof(dl));
	dl.version = 2;
	dl.version_str = NCIP_V2_02;
	dl.ns = NCIP_NSS_DEFAULT;
	dl.qualified_attrs = 1;
	return (e2e_ncip_call(&env, L_NCIP, "/ncip/" DISTRICT_TOKEN, m, &dl));
}

static void
assert_problem(const struct ncip_msg *a, enum ncip_problem_type kind)
{
	if (a->nproblems == 0)
		fail_msg("no Problem; expected \"%s\"",
		    ncip_problem_name(kind));
	assert_int_equal(a->problems[0].kind, kind);
}

/*
 * The district's ILS tells of a patron it registered: id, name, class,
 * and a postal address, e-mail and phone.  NULL name: none sent.
 */
static struct ncip_msg *
create_user(const char *id, const char *name, const char *pclass)
{
	struct ncip_msg		*m = call_new(NCIP_CREATE_USER);
	struct ncip_address	*ad;
	struct ncip_privilege	*pr;

	m->user_id.agency.value = "DISTRICT";
	m->user_id.value = id;
	m->user.present = 1;
	if (name != NULL) {
		m->user.name.present = 1;
		m->user.name.unstructured = name;
	}
	assert_non_null(ad = ncip_msg_calloc(m, 3, sizeof(*ad)));
	ad[0].kind = NCIP_ADDR_PHYSICAL;
	ad[0].role.value = "Home";
	ad[0].physical_type.value = "Postal Address";
	ad[0].unstructured_type.value = "Newline-Delimited Text";
	ad[0].unstructured = "9 Quarry Lane, Metro City";
	ad[1].kind = ad[2].kind = NCIP_ADDR_ELECTRONIC;
	ad[1].role.value = ad[2].role.value = "Notice";
	ad[1].electronic_type.value = "mailto";
	ad[1].electronic = "learner@example.org";
	ad[2].electronic_type.value = "tel";
	ad[2].electronic = "555-0199";
	m->user.addresses = ad;
	m->user.naddresses = 3;
	assert_non_null(pr = ncip_msg_calloc(m, 1, sizeof(*pr)));
	pr->agency.value = "DISTRICT";
	pr->type.value = pclass;
	m->user.privileges = pr;
	m->user.nprivileges = 1;
	return (call(m));
}

/* The district's ILS sends preferences for one of its patrons. */
static struct ncip_msg *
update_prefs(const char *id, const char *words)
{
	struct ncip_msg		*m = call_new(NCIP_UPDATE_USER);
	struct ncip_address	*ad;

	m->user_id.agency.value = "DISTRICT";
	m->user_id.value = id;
	assert_non_null(ad = ncip_msg_calloc(m, 1, sizeof(*ad)));
	ad->kind = NCIP_ADDR_ELECTRONIC;
	ad->role.value = "Notification Preferences";
	ad->electronic_type.value = "x-circlink-preferences";
	ad->electronic = words;
	m->user_add.present = 1;
	m->user_add.fields.addresses = ad;
	m->user_add.fields.naddresses = 1;
	return (call(m));
}

/* Wait until the person of a district card has an account at metro. */
static int
linked_at_metro(const char *card, int timeout_ms)
{
	char	 line[128], ans[E2E_ANSWER_MAX];
	int	 waited;

	snprintf(line, sizeof(line), "link show district %s", card);
	for (waited = 0; waited < timeout_ms; waited += 250) {
		if (e2e_gw_control(&env, line, ans, sizeof(ans)) == 0 &&
		    strstr(ans, "account metro linked") != NULL)
			return (1);
		e2e_sleep_ms(250);
	}
	return (0);
}

/* Metro's ILS down: no new connection, and those open are dropped. */
static void
metro_down(void)
{
	e2e_ctl(&env.metro, "refuse", NULL, 0);
	e2e_ctl(&env.metro, "drop", NULL, 0);
}

/* Wait until metro's account of the student shows these notices. */
static int
metro_notices(const char *words, int timeout_ms)
{
	char	 ans[E2E_ANSWER_MAX];
	int	 waited;

	for (waited = 0; waited < timeout_ms; waited += 250) {
		e2e_ils_show(&env.metro, "patron", metro_account, ans,
		    sizeof(ans));
		if (strstr(ans, words) != NULL)
			return (1);
		e2e_sleep_ms(250);
	}
	return (0);
}

/* The barcode of the account metro's ILS made last, into buf. */
static void
newest_at_metro(char *buf, size_t len, char *ans, size_t anslen)
{
	e2e_ctl(&env.metro, "newest", ans, anslen);
	ans_word(ans, "patron", buf, len);
}

/* --- one registration ------------------------------------------------- */

/*
 * A CreateUser from the district's ILS: recorded with the district's
 * account as home, and an account made at metro carrying only what the
 * district's terms let leave (no postal address), under a UserId of
 * the gateway's own; the district's ILS, told too, has the patron.
 */
static void
test_create_user_reaches_metro(void **state)
{
	struct ncip_msg	*a;
	char		 ans[E2E_ANSWER_MAX], word[64];
	long		 creates, own;

	creates = ncip_count(&env.metro, "CreateUser");
	own = ncip_count(&env.district, "CreateUser");
	a = create_user(STUDENT, STUDENT_NAME, "STUDENT");
	e2e_ncip_no_problem(a);
	assert_int_equal(a->service, NCIP_CREATE_USER_RESP);
	assert_non_null(a->user_id.value);
	assert_string_equal(a->user_id.value, STUDENT);
	ncip_msg_free(a);

	assert_true(linked_at_metro(STUDENT, 5000));
	assert_int_equal(ncip_count(&env.metro, "CreateUser"), creates + 1);
	/* The home's ILS is told too; it has the patron already. */
	assert_int_equal(ncip_count(&env.district, "CreateUser"), own + 1);
	newest_at_metro(metro_account, sizeof(metro_account), ans,
	    sizeof(ans));
	assert_memory_equal(metro_account, "CL", 2);
	assert_string_equal(ans_word(ans, "fields", word, sizeof(word)),
	    "name,email,phone");

	e2e_gw_ok(&env, "link show district " STUDENT, ans, sizeof(ans));
	assert_contains(ans, "accounts 2");
	assert_contains(ans, "account district home");
	assert_contains(ans, "by registration reason registered");
}

/* The same CreateUser again (a retry): nothing is made twice. */
static void
test_retried_create_user_makes_nothing_twice(void **state)
{
	struct ncip_msg	*a;
	char		 ans[E2E_ANSWER_MAX];
	long		 creates, patrons;

	assert_true(linked_at_metro(STUDENT, 5000));
	creates = ncip_count(&env.metro, "CreateUser");
	patrons = e2e_ils_stat(&env.metro, "counts", "patrons");

	a = create_user(STUDENT, STUDENT_NAME, "STUDENT");
	e2e_ncip_no_problem(a);
	ncip_msg_free(a);
	assert_int_equal(ncip_count(&env.metro, "CreateUser"), creates);
	assert_int_equal(e2e_ils_stat(&env.metro, "counts", "patrons"),
	    patrons);
	e2e_gw_ok(&env, "link show district " STUDENT, ans, sizeof(ans));
	assert_contains(ans, "accounts 2");
}

/* A class the district excludes: answered, but nothing reaches metro. */
static void
test_excluded_class_not_propagated(void **state)
{
	struct ncip_msg	*a;
	char		 ans[E2E_ANSWER_MAX];
	long		 requests;

	requests = e2e_ils_stat(&env.metro, "ncip-stats", "requests");
	a = create_user(STAFF, "Teacher, Pat", "STAFF");
	e2e_ncip_no_problem(a);
	ncip_msg_free(a);
	e2e_sleep_ms(300);
	assert_int_equal(e2e_ils_stat(&env.metro, "ncip-stats", "requests"),
	    requests);
	e2e_gw_ok(&env, "link show district " STAFF, ans, sizeof(ans));
	assert_contains(ans, "accounts 1");
	/* Not even owed: nothing of the patron is kept for metro. */
	e2e_gw_ok(&env, "status", ans, sizeof(ans));
	assert_contains(ans, "outbox owed 0 failed 0");
}

/*
 * Metro down while the district registers a student: the district is
 * answered at once, the account owed is in the outbox, kept across a
 * restart of the gateway, and made once metro is back, with no one
 * asking again.
 */
static void
test_registration_while_partner_down(void **state)
{
	struct ncip_msg	*a;
	char		 ans[E2E_ANSWER_MAX], barcode[64];
	long		 creates;

	creates = ncip_count(&env.metro, "CreateUser");
	metro_down();
	a = create_user(DOWN_STUDENT, "Nakamura, Ren", "STUDENT");
	e2e_ncip_no_problem(a);
	ncip_msg_free(a);
	e2e_gw_ok(&env, "status", ans, sizeof(ans));
	assert_contains(ans, "outbox owed 1 failed 0");
	e2e_gw_ok(&env, "outbox", ans, sizeof(ans));
	assert_contains(ans, " link partner metro ");
	assert_false(linked_at_metro(DOWN_STUDENT, 0));

	/* The call owed survives a restart. */
	e2e_gw_stop(&env);
	assert_int_equal(e2e_gw_start(&env), 0);
	e2e_gw_ok(&env, "status", ans, sizeof(ans));
	assert_contains(ans, "outbox owed 1 failed 0");

	e2e_ctl(&env.metro, "normal", NULL, 0);
	assert_true(linked_at_metro(DOWN_STUDENT, WAIT_DELIVERY_MS));
	e2e_gw_ok(&env, "status", ans, sizeof(ans));
	assert_contains(ans, "outbox owed 0 failed 0");
	assert_int_equal(ncip_count(&env.metro, "CreateUser"), creates + 1);
	newest_at_metro(barcode, sizeof(barcode), ans, sizeof(ans));
	assert_memory_equal(barcode, "CL", 2);
	assert_contains(ans, "fields=name,email,phone ");
}

/*
 * Metro makes the account but its answer comes after the gateway's
 * deadline: the call stays owed, its retry is answered Duplicate User
 * for the UserId the gateway chose, and that is taken as done.  One
 * account at metro, linked, however many tries it took.
 */
static void
test_lost_answer_makes_one_account(void **state)
{
	struct ncip_msg	*a;
	char		 ans[E2E_ANSWER_MAX], barcode[64], line[128];
	long		 creates, patrons;

	creates = ncip_count(&env.metro, "CreateUser");
	patrons = e2e_ils_stat(&env.metro, "counts", "patrons");
	/* Past the backend's deadline (1 s in the harness). */
	e2e_ctl(&env.metro, "delay 1500", NULL, 0);
	a = create_user(SLOW_STUDENT, "Alvarez, Sam", "STUDENT");
	e2e_ncip_no_problem(a);
	ncip_msg_free(a);
	e2e_sleep_ms(1000);
	e2e_ctl(&env.metro, "normal", NULL, 0);
	assert_true(linked_at_metro(SLOW_STUDENT, WAIT_DELIVERY_MS));

	assert_true(ncip_count(&env.metro, "CreateUser") >= creates + 2);
	assert_int_equal(e2e_ils_stat(&env.metro, "counts", "patrons"),
	    patrons + 1);
	/* The one account made is the one linked: the store knows it. */
	newest_at_metro(barcode, sizeof(barcode), ans, sizeof(ans));
	assert_memory_equal(barcode, "CL", 2);
	snprintf(line, sizeof(line), "prefs show metro %s", barcode);
	e2e_gw_ok(&env, line, ans, sizeof(ans));
	e2e_gw_ok(&env, "status", ans, sizeof(ans));
	assert_contains(ans, "outbox owed 0 failed 0");
}

/* Staff register a patron the district's ILS has: looked up there. */
static void
test_register_by_circlinkctl(void **state)
{
	char	 ans[E2E_ANSWER_MAX], word[64];
	long	 creates;

	creates = ncip_count(&env.metro, "CreateUser");
	e2e_gw_ok(&env, "register district " REGISTERED, ans, sizeof(ans));
	assert_contains(ans, "partner metro linked-now");
	assert_int_equal(ncip_count(&env.metro, "CreateUser"), creates + 1);
	e2e_ctl(&env.metro, "newest", ans, sizeof(ans));
	assert_contains(ans, "patron=CL");
	assert_false(strstr(ans_word(ans, "fields", word, sizeof(word)),
	    "address") != NULL);
	e2e_gw_ok(&env, "link show district " REGISTERED, ans, sizeof(ans));
	assert_contains(ans, "by registration reason registered");

	/* Again: already linked, nothing made. */
	e2e_gw_ok(&env, "register district " REGISTERED, ans, sizeof(ans));
	assert_contains(ans, "partner metro linked");
	assert_int_equal(ncip_count(&env.metro, "CreateUser"), creates + 1);
}

/* --- preferences once ------------------------------------------------- */

/* Preferences from the district's ILS reach both ILSes' accounts. */
static void
test_preferences_once_by_update_user(void **state)
{
	struct ncip_msg	*a;

	assert_true(linked_at_metro(STUDENT, 5000));
	assert_true(metro_account[0] != '\0');
	a = update_prefs(STUDENT, "channels=email,sms "
	    "events=hold-ready,overdue pickup=MAIN");
	e2e_ncip_no_problem(a);
	assert_int_equal(a->service, NCIP_UPDATE_USER_RESP);
	ncip_msg_free(a);
	e2e_ils_has(&env.metro, "patron", metro_account, "notices=\"channels="
	    "email,sms events=hold-ready,overdue pickup=MAIN\"");
	e2e_ils_has(&env.district, "patron", STUDENT, "notices=\"channels="
	    "email,sms events=hold-ready,overdue pickup=MAIN\"");
	/* Channels went, addresses did not: metro has what it had. */
	e2e_ils_has(&env.metro, "patron", metro_account, "fields=name,email,"
	    "phone ");
}

/* Set by staff, one key at a time: the rest stays, both ILSes follow. */
static void
test_preferences_once_by_circlinkctl(void **state)
{
	char	 ans[E2E_ANSWER_MAX], line[128];

	e2e_gw_ok(&env, "prefs set district " STUDENT
	    " channels=phone pickup=LINCOLN", ans, sizeof(ans));
	assert_contains(ans, "channels=phone events=hold-ready,overdue "
	    "pickup=LINCOLN");
	assert_contains(ans, "partner district pushed-now");
	assert_contains(ans, "partner metro pushed-now");
	e2e_ils_has(&env.metro, "patron", metro_account, "notices=\"channels="
	    "phone events=hold-ready,overdue pickup=LINCOLN\"");
	e2e_ils_has(&env.district, "patron", STUDENT, "notices=\"channels="
	    "phone events=hold-ready,overdue pickup=LINCOLN\"");
	e2e_gw_ok(&env, "prefs show district " STUDENT, ans, sizeof(ans));
	assert_contains(ans, "channels=phone events=hold-ready,overdue "
	    "pickup=LINCOLN");
	/* The account at metro names the same person. */
	snprintf(line, sizeof(line), "prefs show metro %s", metro_account);
	e2e_gw_ok(&env, line, ans, sizeof(ans));
	assert_contains(ans, "pickup=LINCOLN");
}

/* A push owed while metro is down is made when it is back. */
static void
test_preferences_pushed_when_partner_back(void **state)
{
	char	 ans[E2E_ANSWER_MAX];

	metro_down();
	e2e_gw_ok(&env, "prefs set district " STUDENT " events=due-soon", ans,
	    sizeof(ans));
	assert_contains(ans, "partner metro pending");
	assert_contains(ans, "partner district pushed-now");
	e2e_ctl(&env.metro, "normal", NULL, 0);
	assert_true(metro_notices("events=due-soon", WAIT_DELIVERY_MS));
	e2e_ils_has(&env.metro, "patron", metro_account, "notices=\"channels="
	    "phone events=due-soon pickup=LINCOLN\"");
	e2e_gw_ok(&env, "status", ans, sizeof(ans));
	assert_contains(ans, "outbox owed 0 failed 0");
}

/*
 * Preferences changed again while the last push is still on the wire to
 * a slow ILS: that push carries the old ones, so the new ones are owed
 * a push of their own, and metro ends with them.
 */
static void
test_preferences_changed_during_push(void **state)
{
	char	 ans[E2E_ANSWER_MAX];
	pid_t	 pid;
	int	 status;

	e2e_ctl(&env.metro, "delay 800 UpdateUser", NULL, 0);
	if ((pid = fork()) == -1)
		fail_msg("fork");
	if (pid == 0) {
		(void)e2e_gw_control(&env, "prefs set district " STUDENT
		    " channels=email", ans, sizeof(ans));
		_exit(0);
	}
	/*
	 * The first push is under way at metro (answered within its 1 s
	 * deadline, after 0.8 s) when the second comes.
	 */
	e2e_sleep_ms(300);
	e2e_gw_ok(&env, "prefs set district " STUDENT " channels=sms", ans,
	    sizeof(ans));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(metro_notices("notices=\"channels=sms ",
	    WAIT_DELIVERY_MS));
	e2e_ctl(&env.metro, "normal", NULL, 0);
}

/* --- hostile input ------------------------------------------------------ */

static void
test_hostile_registrations_refused(void **state)
{
	struct ncip_msg	*a;
	char		 big[400];
	long		 creates;

	creates = ncip_count(&env.metro, "CreateUser");
	a = create_user(NULL, "Nobody, No", "STUDENT");
	assert_problem(a, NCIP_PT_NEEDED_DATA_MISSING);
	ncip_msg_free(a);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	a = create_user("22000000778", big, "STUDENT");
	assert_problem(a, NCIP_PT_UNKNOWN_VALUE);
	ncip_msg_free(a);
	/* Past what the codec takes, and past what the store takes. */
	a = create_user(big, "Long, Id", "STUDENT");
	assert_problem(a, NCIP_PT_INVALID_MESSAGE_SYNTAX);
	ncip_msg_free(a);
	big[200] = '\0';
	a = create_user(big, "Long, Id", "STUDENT");
	assert_problem(a, NCIP_PT_UNKNOWN_VALUE);
	ncip_msg_free(a);
	assert_int_equal(ncip_count(&env.metro, "CreateUser"), creates);

	gw_refused("register nowhere 22000000001", "no partner");
	gw_refused("register district", "usage");
	gw_refused("register district 99999999999", "does not know");
	gw_refused("outbox drop 00112233", "no such call");
	gw_refused("outbox retry", "usage");
}

static void
test_hostile_preferences_refused(void **state)
{
	struct ncip_msg	*a;
	char		 big[600];

	a = update_prefs(STUDENT, "channels=pigeon");
	assert_problem(a, NCIP_PT_UNKNOWN_VALUE);
	ncip_msg_free(a);
	a = update_prefs(STUDENT, "pickup=NOWHERE");
	assert_problem(a, NCIP_PT_UNKNOWN_VALUE);
	ncip_msg_free(a);
	a = update_prefs(STUDENT, "colour=blue");
	assert_problem(a, NCIP_PT_UNKNOWN_VALUE);
	ncip_msg_free(a);
	memset(big, 'e', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	a = update_prefs(STUDENT, big);
	assert_problem(a, NCIP_PT_UNKNOWN_VALUE);
	ncip_msg_free(a);
	e2e_ils_has(&env.metro, "patron", metro_account, "pickup=LINCOLN\"");

	gw_refused("prefs set district 22000000555 channels=email",
	    "register it first");
	gw_refused("prefs set nowhere " STUDENT " channels=email",
	    "no partner");
	gw_refused("prefs set district " STUDENT " channels=email,carrier",
	    "channels");
	gw_refused("prefs set district " STUDENT " pickup", "key=value");
	gw_refused("prefs show district", "usage");
}

/* The log names no patron, address or name. */
static void
test_log_keeps_patrons_private(void **state)
{
	static const char *const secrets[] = {
		DISTRICT_TOKEN, METRO_TOKEN, "learner@example.org",
		"9 Quarry Lane", "555-0199", NULL
	};
	static const char *const patrons[] = {
		STUDENT, DOWN_STUDENT, STAFF, REGISTERED, NULL
	};
	static const char *const names[] = {
		"Ibarra", "Nakamura", "Teacher", NULL
	};
	char	*text;

	assert_non_null(text = e2e_file_read(env.log, 0));
	assert_contains(text, "register event=done");
	assert_contains(text, "prefs event=set");
	assert_contains(text, "outbox event=delivered");
	e2e_assert_private(text, secrets, NULL, patrons, NULL);
	e2e_assert_private(text, names, NULL, NULL, NULL);
	assert_null(strstr(text, metro_account));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f)	cmocka_unit_test_setup_teardown(f, ready, still_alive)
		T(test_create_user_reaches_metro),
		T(test_retried_create_user_makes_nothing_twice),
		T(test_excluded_class_not_propagated),
		T(test_registration_while_partner_down),
		T(test_lost_answer_makes_one_account),
		T(test_register_by_circlinkctl),
		T(test_preferences_once_by_update_user),
		T(test_preferences_once_by_circlinkctl),
		T(test_preferences_pushed_when_partner_back),
		T(test_preferences_changed_during_push),
		T(test_hostile_registrations_refused),
		T(test_hostile_preferences_refused),
		T(test_log_keeps_patrons_private),
#undef T
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
