/* SPDX-License-Identifier: ISC */
/*
 * End-to-end tests of holds placed elsewhere by search (issue #5, section
 * 5 with scenario 4): north's ILS asks a real circlinkd for a hold by
 * ISBN for one of its patrons; where north has no copy available, the
 * gateway searches the partners and places a tracked hold at the first
 * in its configuration that has one (NCIP south, else SIP2 east through
 * its search-backend), for pickup at north.
 */

#include "config.h"

#include <sys/types.h>

#include <signal.h>
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
#include "circlinkd.h"
#include "e2e.h"
#include "e2e_http.h"
#include "tracker.h"

#define L_SIP2		0
#define L_NCIP		1

#define NORTH_TOKEN	"north-caller-token-4b77e2"
#define EAST_ILS_PW	"east-ils-pw"
#define READER		"24000000001"
#define GILEAD		"9780312424404"	/* on north's shelf */
#define MIDDLEMARCH	"9780141439549"	/* north's copy is out */
#define PERSUASION	"9780141439686"	/* south and east only */
#define BRAVE		"9780060850524"	/* south's copy is out */
#define EMMA		"9780141439587"	/* south and east */
#define SENSE		"9780141439662"	/* south only */
#define MANSFIELD	"9780141439808"	/* south only */
#define NORTHANGER	"9780141439792"	/* south only */

/* The asker and pickup library: NCIP 2.02, one title on loan. */
static const char north_data[] =
    "institution NORTH \"North Library\" currency=USD\n"
    "ncip version=2.02 namespace=default agency=NORTH\n"
    "account circlink north-ils-pw location=NMAIN\n"
    "location NMAIN \"North Main\"\n"
    "class ADULT loan-days=21 renewals=2 checkout-limit=50 hold-limit=20\n"
    "patron 24000000001 pin=1234 class=ADULT home=NMAIN expires=2031-12-31\n"
    "\tname=\"Reader, Nora\"\n"
    "patron 24000000002 pin=1234 class=ADULT home=NMAIN expires=2031-12-31\n"
    "\tname=\"Holder, Hal\"\n"
    "item 41000000001 title=\"Gilead\" author=\"Robinson, Marilynne\"\n"
    "\thome=NMAIN call=\"FIC ROBINSON\" collection=FIC media=book\n"
    "\tisbn=9780312424404 record=n1000001\n"
    "item 41000000002 title=\"Middlemarch\" author=\"Eliot, George\"\n"
    "\thome=NMAIN call=\"FIC ELIOT\" collection=FIC media=book\n"
    "\tisbn=9780141439549 record=n1000002\n"
    "loan 41000000002 patron=24000000002 out=today-3d due=today+18d\n";

/* An NCIP 2.02 owner, first in the configuration. */
static const char south_data[] =
    "institution SOUTH \"South Library\" currency=USD\n"
    "ncip version=2.02 namespace=default agency=SOUTH\n"
    "account circlink south-ils-pw location=SMAIN\n"
    "location SMAIN \"South Main\"\n"
    "class ADULT loan-days=21 renewals=2 checkout-limit=50 hold-limit=20\n"
    "patron 25000000001 pin=5678 class=ADULT home=SMAIN expires=2031-12-31\n"
    "\tname=\"Walker, Sol\"\n"
    "item 42000000001 title=\"Gilead\" author=\"Robinson, Marilynne\"\n"
    "\thome=SMAIN call=\"FIC ROBINSON\" collection=FIC media=book\n"
    "\tisbn=9780312424404 record=s1000001\n"
    "item 42000000002 title=\"Middlemarch\" author=\"Eliot, George\"\n"
    "\thome=SMAIN call=\"FIC ELIOT S\" collection=FIC media=book\n"
    "\tisbn=9780141439549 record=s1000002\n"
    "item 42000000003 title=\"Persuasion\" author=\"Austen, Jane\"\n"
    "\thome=SMAIN call=\"FIC AUSTEN\" collection=FIC media=book\n"
    "\tisbn=9780141439686 record=s1000003\n"
    "item 42000000004 title=\"Brave New World\" author=\"Huxley, Aldous\"\n"
    "\thome=SMAIN call=\"FIC HUXLEY\" collection=FIC media=book\n"
    "\tisbn=9780060850524 record=s1000004\n"
    "item 42000000005 title=\"Emma\" author=\"Austen, Jane\"\n"
    "\thome=SMAIN call=\"FIC AUSTEN\" collection=FIC media=book\n"
    "\tisbn=9780141439587 record=s1000005\n"
    "item 42000000006 title=\"Sense and Sensibility\"\n"
    "\tauthor=\"Austen, Jane\" home=SMAIN call=\"FIC AUSTEN S\"\n"
    "\tcollection=FIC media=book isbn=9780141439662 record=s1000006\n"
    "item 42000000007 title=\"Mansfield Park\" author=\"Austen, Jane\"\n"
    "\thome=SMAIN call=\"FIC AUSTEN M\" collection=FIC media=book\n"
    "\tisbn=9780141439808 record=s1000007\n"
    "item 42000000008 title=\"Northanger Abbey\" author=\"Austen, Jane\"\n"
    "\thome=SMAIN call=\"FIC AUSTEN N\" collection=FIC media=book\n"
    "\tisbn=9780141439792 record=s1000008\n"
    "loan 42000000004 patron=25000000001 out=today-3d due=today+18d\n";

/* An owner reached over SIP2, searched through its NCIP endpoint. */
static const char east_data[] =
    "institution EAST \"East Library\" currency=USD\n"
    "ncip version=2.02 namespace=default agency=EAST\n"
    "account circlink " EAST_ILS_PW " location=EMAIN\n"
    "location EMAIN \"East Main\"\n"
    "class ADULT loan-days=21 renewals=2 checkout-limit=50 hold-limit=20\n"
    "patron 26000000901 pin=0000 class=ADULT home=EMAIN expires=2031-12-31\n"
    "\tname=\"Visitor, One\"\n"
    "item 43000000001 title=\"Persuasion\" author=\"Austen, Jane\"\n"
    "\thome=EMAIN call=\"AUSTEN\" media=book isbn=9780141439686\n"
    "item 43000000002 title=\"Emma\" author=\"Austen, Jane\"\n"
    "\thome=EMAIN call=\"AUSTEN E\" media=book isbn=9780141439587\n";

static struct e2e_env	 env;
static struct e2e_ils	 north_ils, south_ils, east_ils;
static struct e2e_ils	*const ilses[] = { &north_ils, &south_ils, &east_ils };

static int
write_conf(struct e2e_env *e)
{
	static char			 extra[300];
	const struct e2e_partner	 parts[] = {
		{ .id = "north", .name = "North Library",
		    .institution = "NORTH", .patrons = "2400*",
		    .items = "4100*", .loc1 = "NMAIN", .loc2 = "NWEST",
		    .ils = &north_ils, .ncip = 1, .version = "2.02",
		    .ils_token = NULL, .caller_token = NORTH_TOKEN },
		{ .id = "south", .name = "South Library",
		    .institution = "SOUTH", .patrons = "2500*",
		    .items = "4200*", .loc1 = "SMAIN", .loc2 = "SEAST",
		    .ils = &south_ils, .ncip = 1, .version = "2.02",
		    .terms = "\t\taccept yes\n\t\tlink-classes ADULT" },
		{ .id = "east", .name = "East Library",
		    .institution = "EAST", .patrons = "2600*",
		    .items = "4300*", .loc1 = "EMAIN", .loc2 = "EWEST",
		    .ils = &east_ils, .password = EAST_ILS_PW,
		    .location = "EMAIN", .extra = extra,
		    .terms = "\t\taccept yes\n\t\tlink-classes ADULT" },
	};

	snprintf(extra, sizeof(extra), "\tvisitor-accounts 26000000901\n"
	    "\tsearch-backend ncip 127.0.0.1 port %d {\n"
	    "\t\tversion 2.02\n\t\tfrom-agency CIRCLINK\n"
	    "\t\ttimeout 1000ms\n\t}", east_ils.ncip_port);
	return (e2e_gw_write_partners(e, parts, 3));
}

static int
start_ils(struct e2e_ils *ils, const char *name, const char *data)
{
	char	 path[E2E_PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s.ils", env.dir, name);
	if (e2e_write_file(path, data) == -1)
		return (-1);
	return (e2e_ils_start_ncip(&env, ils, name, path));
}

static void
stop_ilses(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(ilses) / sizeof(ilses[0]); i++)
		e2e_proc_stop(&ilses[i]->pid);
}

static int
group_setup(void **state)
{
	ncip_init();
	if (e2e_env_init(&env) == -1 ||
	    start_ils(&north_ils, "north", north_data) == -1 ||
	    start_ils(&south_ils, "south", south_data) == -1 ||
	    start_ils(&east_ils, "east", east_data) == -1)
		goto fail;
	e2e_listeners_init(&env, 2);
	env.listeners[L_NCIP].ncip = 1;
	if (e2e_terminal_add(&env, "north-kiosk", "north-kiosk-pw", "north",
	    "NMAIN", NULL, NULL) == -1 ||
	    e2e_gw_launch(&env, write_conf) == -1 ||
	    e2e_partners_online(&env, L_SIP2, 10000) == -1)
		goto fail;
	return (0);
fail:
	stop_ilses();
	e2e_env_cleanup(&env);
	return (-1);
}

static int
group_teardown(void **state)
{
	stop_ilses();
	e2e_env_cleanup(&env);
	return (0);
}

static int
ready(void **state)
{
	size_t	 i;

	for (i = 0; i < sizeof(ilses) / sizeof(ilses[0]); i++)
		if (e2e_ils_ctl(ilses[i], "normal", NULL, 0) == -1)
			return (-1);
	return (e2e_ready(&env, L_SIP2));
}

static int
still_alive(void **state)
{
	return (e2e_gw_survived(&env));
}

/* Send a request (freed here) as north's ILS; the caller frees the answer. */
static struct ncip_msg *
call(struct ncip_msg *m)
{
	m->header.present = 1;
	m->header.from_agency.value = "NORTH";
	m->header.to_agency.value = "CIRCLINK";
	return (e2e_ncip_call(&env, L_NCIP, "/ncip/" NORTH_TOKEN, m, NULL));
}

/* A RequestItem by ISBN from north's ILS for its reader, pickup NMAIN. */
static struct ncip_msg *
isbn_request(const char *isbn, const char *request_id)
{
	struct ncip_msg		*m;
	struct ncip_bibid	*b;

	assert_non_null(m = ncip_msg_new(NCIP_REQUEST_ITEM));
	assert_non_null(b = ncip_msg_calloc(m, 1, sizeof(*b)));
	b->kind = NCIP_BIBID_ITEM;
	b->value = isbn;
	b->code.value = "ISBN";
	m->bib_ids = b;
	m->nbib_ids = 1;
	m->user_id.agency.value = "NORTH";
	m->user_id.value = READER;
	if (request_id != NULL) {
		m->request_id.agency.value = "NORTH";
		m->request_id.value = request_id;
	}
	m->request_type.value = "Hold";
	m->request_scope.value = "Bibliographic Item";
	m->pickup_location.value = "NMAIN";
	m->header.present = 1;
	m->header.from_agency.value = "NORTH";
	m->header.to_agency.value = "CIRCLINK";
	return (m);
}

/* The same, sent; the caller frees the answer. */
static struct ncip_msg *
hold_by_isbn(const char *isbn, const char *request_id)
{
	return (call(isbn_request(isbn, request_id)));
}

static const char *
problem_of(const struct ncip_msg *a)
{
	return (a->nproblems > 0 && a->problems[0].type.value != NULL ?
	    a->problems[0].type.value : NULL);
}

/* The request the tracker shows for an id must say this. */
static void
assert_shown(const char *id, const char *text)
{
	char	 line[80], ans[E2E_ANSWER_MAX];

	snprintf(line, sizeof(line), "request show %s", id);
	e2e_gw_ok(&env, line, ans, sizeof(ans));
	assert_contains(ans, text);
}

/* --- the tests -------------------------------------------------------- */

/*
 * Persuasion: north has none; south, first in the configuration with a
 * copy on the shelf, gets the hold (east's copy is left alone), tracked
 * for pickup at north.  Asked again: the same request, no second hold.
 * A cancel south is too busy to carry out leaves it placed.
 */
static void
test_extended_to_first_available(void **state)
{
	struct ncip_msg	*a;
	char		 id[TRACKER_HEX_LEN + 1], line[80];
	char		 ans[E2E_ANSWER_MAX];

	a = hold_by_isbn(PERSUASION, "N-0001");
	e2e_ncip_no_problem(a);
	assert_non_null(a->request_id.value);
	assert_int_equal(strlen(a->request_id.value), TRACKER_HEX_LEN);
	snprintf(id, sizeof(id), "%s", a->request_id.value);
	ncip_msg_free(a);
	e2e_ils_has(&south_ils, "item", "42000000003", "holds=1");
	e2e_ils_has(&east_ils, "item", "43000000001", "holds=0");
	assert_shown(id, "state placed\n");
	assert_shown(id, "owner south\n");
	assert_shown(id, "pickup north NMAIN\n");

	a = hold_by_isbn(PERSUASION, "N-0001");
	e2e_ncip_no_problem(a);
	assert_string_equal(a->request_id.value, id);
	ncip_msg_free(a);
	e2e_ils_has(&south_ils, "item", "42000000003", "holds=1");

	/* South too busy to cancel it: the hold stands, on record too. */
	e2e_ctl(&south_ils, "busy CancelRequestItem", NULL, 0);
	snprintf(line, sizeof(line), "request cancel %s", id);
	if (e2e_gw_control(&env, line, ans, sizeof(ans)) == 0 &&
	    strncmp(ans, "ok", 2) == 0)
		fail_msg("a cancel south refused taken as done: %s", ans);
	e2e_ctl(&south_ils, "normal", NULL, 0);
	assert_shown(id, "state placed\n");
	e2e_ils_has(&south_ils, "item", "42000000003", "holds=1");
	e2e_gw_ok(&env, line, ans, sizeof(ans));
	assert_shown(id, "state cancelled\n");
	e2e_ils_has(&south_ils, "item", "42000000003", "holds=0");
}

/* Middlemarch: north's own copy is out, so south's shelf copy is held. */
static void
test_own_copy_out_extended(void **state)
{
	struct ncip_msg	*a;

	a = hold_by_isbn(MIDDLEMARCH, "N-0002");
	e2e_ncip_no_problem(a);
	ncip_msg_free(a);
	e2e_ils_has(&south_ils, "item", "42000000002", "holds=1");
	e2e_ils_has(&north_ils, "item", "41000000002", "holds=0");
}

/* Gilead on north's own shelf: north's ILS holds it, nothing tracked. */
static void
test_own_available_stays_home(void **state)
{
	struct ncip_msg	*a;
	char		 ans[E2E_ANSWER_MAX];

	a = hold_by_isbn(GILEAD, "N-0003");
	e2e_ncip_no_problem(a);
	ncip_msg_free(a);
	e2e_ils_has(&north_ils, "item", "41000000001", "holds=1");
	e2e_ils_has(&south_ils, "item", "42000000001", "holds=0");
	e2e_gw_ok(&env, "request list north", ans, sizeof(ans));
	if (strstr(ans, "owner=north") != NULL)
		fail_msg("a hold at north tracked: %s", ans);
}

/*
 * South down: its Emma cannot be found, so east's copy, searched through
 * east's NCIP endpoint, is held at east over SIP2 for the visitor
 * account, tracked for pickup at north.
 */
static void
test_sip2_owner_by_search_backend(void **state)
{
	struct ncip_msg	*a;
	char		 id[TRACKER_HEX_LEN + 1];

	e2e_ctl(&south_ils, "drop", NULL, 0);
	a = hold_by_isbn(EMMA, "N-0004");
	e2e_ctl(&south_ils, "normal", NULL, 0);
	e2e_ncip_no_problem(a);
	assert_non_null(a->request_id.value);
	snprintf(id, sizeof(id), "%s", a->request_id.value);
	ncip_msg_free(a);
	e2e_ils_has(&east_ils, "item", "43000000002", "holds=1");
	e2e_ils_has(&south_ils, "item", "42000000005", "holds=0");
	assert_shown(id, "owner east\n");
	assert_shown(id, "pickup north NMAIN\n");
}

/*
 * Brave New World: south's only copy is out and north has none: nobody
 * else is asked to hold it, and north's own ILS answers that it has no
 * such title.
 */
static void
test_none_available_not_extended(void **state)
{
	struct ncip_msg	*a;

	a = hold_by_isbn(BRAVE, "N-0005");
	assert_non_null(problem_of(a));
	ncip_msg_free(a);
	e2e_ils_has(&south_ils, "item", "42000000004", "holds=0");
}

/* Return 1 if the gateway's log from off has a line with both texts. */
static int
log_has(off_t off, const char *a, const char *b)
{
	FILE	*fp;
	char	 line[8192];
	int	 found = 0;

	if ((fp = fopen(env.log, "r")) == NULL)
		return (0);
	if (fseeko(fp, off, SEEK_SET) == 0)
		while (!found && fgets(line, sizeof(line), fp) != NULL)
			found = strstr(line, a) != NULL &&
			    strstr(line, b) != NULL;
	fclose(fp);
	return (found);
}

/*
 * The request at south that the list did not have before must come to
 * be cancelled; what request show says of it then goes to ans.
 */
static void
await_cancelled(const char *before, char *ans, size_t len)
{
	char		 line[80], id[TRACKER_HEX_LEN + 1], *p;
	long long	 deadline = e2e_now_ms() + 20000;

	e2e_gw_ok(&env, "request list", ans, len);
	id[0] = '\0';
	for (p = strtok(ans + 2, "\n"); p != NULL; p = strtok(NULL, "\n"))
		if (strstr(before, p) == NULL && strstr(p, "owner=south") !=
		    NULL && sscanf(p, "%32s", id) == 1)
			break;
	if (id[0] == '\0')
		fail_msg("the hold placing is not on record");
	snprintf(line, sizeof(line), "request show %s", id);
	for (;;) {
		e2e_gw_ok(&env, line, ans, len);
		if (strstr(ans, "state cancelled\n") != NULL)
			return;
		if (e2e_now_ms() > deadline)
			fail_msg("not resolved: %s", ans);
		e2e_sleep_ms(200);
	}
}

/*
 * The gateway dies while south, slow, is placing a hold for it: the
 * request was written ahead (placing) and south was sent the tracker's
 * id as RequestId, so the gateway, started again, cancels it at south by
 * that id, and the hold nobody was told of goes.
 */
static void
test_restart_while_placing(void **state)
{
	struct e2e_conn		*c;
	struct ncip_msg		*m;
	struct ncip_error	 err;
	char			 before[E2E_ANSWER_MAX], ans[E2E_ANSWER_MAX];
	char			*body, line[256];
	size_t			 len;
	off_t			 off;
	long long		 deadline;

	e2e_gw_ok(&env, "request list", before, sizeof(before));
	e2e_ctl(&south_ils, "delay 300", NULL, 0);
	off = e2e_file_size(env.log);
	m = isbn_request(SENSE, NULL);
	if (ncip_build(m, NULL, &body, &len, &err) == -1)
		fail_msg("cannot build: %s %s", err.element, err.detail);
	ncip_msg_free(m);
	assert_non_null(c = e2e_gw_connect(&env, L_NCIP, NULL, NULL));
	snprintf(line, sizeof(line), "POST /ncip/%s HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/xml\r\nContent-Length: %zu\r\n\r\n",
	    NORTH_TOKEN, len);
	assert_int_equal(e2e_send(c, line, strlen(line)), 0);
	assert_int_equal(e2e_send(c, body, len), 0);
	free(body);

	/* Killed once south has been asked, before it answers. */
	deadline = e2e_now_ms() + 10000;
	while (!log_has(off, "partner=south", "<RequestItem>")) {
		if (e2e_now_ms() > deadline)
			fail_msg("the hold never went to south");
		e2e_sleep_ms(5);
	}
	kill(env.gw_pid, SIGKILL);
	e2e_proc_stop(&env.gw_pid);
	e2e_close(c);
	deadline = e2e_now_ms() + 5000;
	for (;;) {
		e2e_ils_show(&south_ils, "item", "42000000006", ans,
		    sizeof(ans));
		if (strstr(ans, "holds=1") != NULL)
			break;
		if (e2e_now_ms() > deadline)
			fail_msg("south never held it: %s", ans);
		e2e_sleep_ms(50);
	}
	e2e_ctl(&south_ils, "normal", NULL, 0);

	assert_int_equal(e2e_gw_start(&env), 0);
	assert_int_equal(e2e_partners_online(&env, L_SIP2, 10000), 0);
	await_cancelled(before, ans, sizeof(ans));
	assert_contains(ans, "cancelled-by gateway placing-interrupted");
	e2e_ils_has(&south_ils, "item", "42000000006", "holds=0");
}

/*
 * South too slow to answer the RequestItem in time (it carries it out
 * later): the caller hears it failed, and the request, written ahead, is
 * cancelled at south a few seconds later, so south keeps no hold nobody
 * tracks.
 */
static void
test_owner_timeout_cancelled(void **state)
{
	struct ncip_msg	*a;
	char		 before[E2E_ANSWER_MAX], ans[E2E_ANSWER_MAX];
	long long	 deadline;

	e2e_gw_ok(&env, "request list", before, sizeof(before));
	e2e_ctl(&south_ils, "delay 1500 RequestItem", NULL, 0);
	a = hold_by_isbn(MANSFIELD, "N-0007");
	assert_non_null(problem_of(a));
	ncip_msg_free(a);
	deadline = e2e_now_ms() + 5000;
	for (;;) {
		e2e_ils_show(&south_ils, "item", "42000000007", ans,
		    sizeof(ans));
		if (strstr(ans, "holds=1") != NULL)
			break;
		if (e2e_now_ms() > deadline)
			fail_msg("south never held it: %s", ans);
		e2e_sleep_ms(50);
	}
	e2e_ctl(&south_ils, "normal", NULL, 0);

	/* Asked again before the cancel: not told it is placed. */
	a = hold_by_isbn(MANSFIELD, "N-0008");
	if (problem_of(a) == NULL)
		fail_msg("a hold being cancelled answered as placed");
	assert_non_null(a->problems[0].detail);
	assert_non_null(strstr(a->problems[0].detail, "being placed"));
	ncip_msg_free(a);
	await_cancelled(before, ans, sizeof(ans));
	assert_contains(ans, "cancelled-by gateway");
	e2e_ils_has(&south_ils, "item", "42000000007", "holds=0");
}

/*
 * South takes the hold but its answer is lost with the connection: the
 * caller hears it failed, and the request written ahead stays to be
 * cancelled at south, rather than forgotten with south's hold kept.
 */
static void
test_owner_answer_lost_cancelled(void **state)
{
	struct ncip_msg	*a;
	char		 before[E2E_ANSWER_MAX], ans[E2E_ANSWER_MAX];

	e2e_gw_ok(&env, "request list", before, sizeof(before));
	e2e_ctl(&south_ils, "lose RequestItem", NULL, 0);
	a = hold_by_isbn(NORTHANGER, "N-0009");
	e2e_ctl(&south_ils, "normal", NULL, 0);
	assert_non_null(problem_of(a));
	ncip_msg_free(a);
	e2e_ils_has(&south_ils, "item", "42000000008", "holds=1");
	await_cancelled(before, ans, sizeof(ans));
	assert_contains(ans, "cancelled-by gateway");
	e2e_ils_has(&south_ils, "item", "42000000008", "holds=0");
}

/* Nothing of the reader reached the log. */
static void
test_log_no_secrets(void **state)
{
	const char	*secrets[] = { NORTH_TOKEN, EAST_ILS_PW, NULL };
	const char	*pins[] = { NULL };
	const char	*patrons[] = { READER, "26000000901", NULL };
	const char	*titles[] = { "Persuasion", "Middlemarch", "Gilead",
	    "Emma", "Sense and Sensibility", "Mansfield Park",
	    "Northanger Abbey", NULL };

	e2e_assert_private(env.log, secrets, pins, patrons, titles);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_extended_to_first_available, ready, still_alive),
		cmocka_unit_test_setup_teardown(test_own_copy_out_extended,
		    ready, still_alive),
		cmocka_unit_test_setup_teardown(test_own_available_stays_home,
		    ready, still_alive),
		cmocka_unit_test_setup_teardown(
		    test_sip2_owner_by_search_backend, ready, still_alive),
		cmocka_unit_test_setup_teardown(
		    test_none_available_not_extended, ready, still_alive),
		cmocka_unit_test_setup_teardown(test_restart_while_placing,
		    ready, still_alive),
		cmocka_unit_test_setup_teardown(test_owner_timeout_cancelled,
		    ready, still_alive),
		cmocka_unit_test_setup_teardown(
		    test_owner_answer_lost_cancelled, ready, still_alive),
		cmocka_unit_test_setup_teardown(test_log_no_secrets, ready,
		    still_alive),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
