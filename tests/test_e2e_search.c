/* SPDX-License-Identifier: ISC */
/*
 * End-to-end tests of searching elsewhere: a partner's ILS asks a real
 * circlinkd for a title by ISBN or record id (NCIP LookupItemSet), and the
 * gateway asks that partner's own ILS, then the other partners' (NCIP
 * 2.02 and SIP2, simulated on 127.0.0.1) through the agreements; and an
 * item of another partner asked about goes to its owner.
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

#include <cmocka.h>

#include "sip2.h"
#include "ncip.h"
#include "e2e.h"
#include "e2e_http.h"

#define L_SIP2		0
#define L_NCIP		1

#define NORTH_TOKEN	"north-caller-token-8d21c0b7"
#define EAST_ILS_PW	"east-ils-pw"

#define WAIT_MS		5000
#define BACKEND_MS	1000	/* the backends' deadline, as e2e sets it */

/* The asker: an NCIP 2.02 ILS with a copy of two titles, one on loan. */
static const char north_data[] =
    "institution NORTH \"North Library\" currency=USD\n"
    "ncip version=2.02 namespace=default agency=NORTH\n"
    "account circlink north-ils-pw location=NMAIN\n"
    "location NMAIN \"North Main\"\n"
    "class ADULT loan-days=21 renewals=2 checkout-limit=50 hold-limit=20\n"
    "patron 24000000001 pin=1234 class=ADULT home=NMAIN expires=2031-12-31\n"
    "\tname=\"Reader, Nora\"\n"
    "item 41000000001 title=\"Gilead\" author=\"Robinson, Marilynne\"\n"
    "\thome=NMAIN call=\"FIC ROBINSON\" collection=FIC media=book\n"
    "\tisbn=9780312424404 record=n1000001\n"
    "item 41000000002 title=\"Middlemarch\" author=\"Eliot, George\"\n"
    "\thome=NMAIN call=\"FIC ELIOT\" collection=FIC media=book\n"
    "\tisbn=9780141439549 record=n1000002\n"
    "loan 41000000002 patron=24000000001 out=today-3d due=today+18d\n";

/*
 * An NCIP 2.02 partner that withholds its RESTRICTED collection from the
 * others' patrons.
 */
static const char south_data[] =
    "institution SOUTH \"South Library\" currency=USD\n"
    "ncip version=2.02 namespace=default agency=SOUTH\n"
    "account circlink south-ils-pw location=SMAIN\n"
    "location SMAIN \"South Main\"\n"
    "location SEAST \"South East\"\n"
    "class ADULT loan-days=21 renewals=2 checkout-limit=50 hold-limit=20\n"
    "patron 25000000001 pin=5678 class=ADULT home=SMAIN expires=2031-12-31\n"
    "\tname=\"Walker, Sol\"\n"
    "item 42000000001 title=\"Gilead\" author=\"Robinson, Marilynne\"\n"
    "\thome=SMAIN call=\"FIC ROBINSON\" collection=FIC media=book\n"
    "\tisbn=9780312424404 record=s1000001\n"
    "item 42000000002 title=\"Middlemarch\" author=\"Eliot, George\"\n"
    "\thome=SEAST call=\"FIC ELIOT S\" collection=FIC media=book\n"
    "\tisbn=9780141439549 record=s1000002\n"
    "item 42000000003 title=\"Persuasion\" author=\"Austen, Jane\"\n"
    "\thome=SMAIN call=\"FIC AUSTEN\" collection=FIC media=book\n"
    "\tisbn=9780141439686 record=s1000003\n"
    "item 42000000004 title=\"Brave New World\" author=\"Huxley, Aldous\"\n"
    "\thome=SMAIN call=\"R FIC HUXLEY\" collection=RESTRICTED media=book\n"
    "\tisbn=9780060850524 record=s1000004\n"
    /* Its record number is north's Middlemarch's: records are local. */
    "item 42000000005 title=\"Walden\" author=\"Thoreau, Henry David\"\n"
    "\thome=SMAIN call=\"818 THOREAU\" collection=FIC media=book\n"
    "\tisbn=9780691096124 record=n1000002\n";

/*
 * A partner the gateway reaches over SIP2, so that it cannot search it,
 * unless the configuration names the NCIP endpoint its ILS has besides
 * (search-backend): it has Persuasion too.
 */
static const char east_data[] =
    "institution EAST \"East Library\" currency=USD\n"
    "ncip version=2.02 namespace=default agency=EAST\n"
    "account circlink " EAST_ILS_PW " location=EMAIN\n"
    "location EMAIN \"East Main\"\n"
    "class ADULT loan-days=21 renewals=2 checkout-limit=50 hold-limit=20\n"
    "patron 26000000001 pin=9012 class=ADULT home=EMAIN expires=2031-12-31\n"
    "\tname=\"Stone, Eve\"\n"
    "item 43000000001 title=\"Persuasion\" author=\"Austen, Jane\"\n"
    "\thome=EMAIN call=\"AUSTEN\" media=book isbn=9780141439686\n";

static struct e2e_env	 env;
static struct e2e_ils	 north_ils, south_ils, east_ils;
static struct e2e_ils	*const ilses[] = { &north_ils, &south_ils, &east_ils };
static int		 east_search;	/* its search-backend written */
static int		 south_refuses;	/* south's file accepts no more */

static int
write_conf(struct e2e_env *e)
{
	static char			 extra[200];
	const struct e2e_partner	 parts[] = {
		{ .id = "north", .name = "North Library",
		    .institution = "NORTH", .patrons = "2400*",
		    .items = "4100*", .loc1 = "NMAIN", .loc2 = "NWEST",
		    .ils = &north_ils, .ncip = 1, .version = "2.02",
		    .caller_token = NORTH_TOKEN },
		{ .id = "south", .name = "South Library",
		    .institution = "SOUTH", .patrons = "2500*",
		    .items = "4200*", .loc1 = "SMAIN", .loc2 = "SEAST",
		    .ils = &south_ils, .ncip = 1, .version = "2.02",
		    .terms = south_refuses ? "\t\taccept no" :
		    "\t\taccept yes\n"
		    "\t\twithhold-collection RESTRICTED" },
		{ .id = "east", .name = "East Library",
		    .institution = "EAST", .patrons = "2600*",
		    .items = "4300*", .loc1 = "EMAIN", .loc2 = "EWEST",
		    .ils = &east_ils, .password = EAST_ILS_PW,
		    .location = "EMAIN", .extra = east_search ? extra : NULL },
	};

	snprintf(extra, sizeof(extra), "\tsearch-backend ncip 127.0.0.1 port "
	    "%d {\n\t\tversion 2.02\n\t\tfrom-agency CIRCLINK\n"
	    "\t\ttimeout 1000ms\n\t}", east_ils.ncip_port);
	return (e2e_gw_write_partners(e, parts, 3));
}

/*
 * A popular title, Dune: north has POPULAR_OWN copies, every one on loan;
 * south has POPULAR_SOUTH, all on loan but the last.
 */
#define POPULAR_ISBN	"9780441013593"
#define POPULAR_OWN	50	/* what the simulator lists at most */
#define POPULAR_SOUTH	50
#define POPULAR_SHELF	"42000100050"	/* south's copy on the shelf */

/* Data followed by n copies of Dune, all on loan to patron but the last. */
static char *
with_popular(const char *data, const char *first, const char *home,
    const char *patron, int n, int last_on_shelf)
{
	char	*buf, *p;
	size_t	 len = strlen(data) + (size_t)n * 200 + 1;
	int	 i;

	if ((buf = malloc(len)) == NULL)
		return (NULL);
	p = buf + snprintf(buf, len, "%s", data);
	for (i = 1; i <= n; i++) {
		p += snprintf(p, len - (size_t)(p - buf), "item %s%03d "
		    "title=\"Dune\" home=%s call=\"SF HERBERT\" collection=FIC "
		    "media=book isbn=" POPULAR_ISBN "\n", first, i, home);
		if (i < n || !last_on_shelf)
			p += snprintf(p, len - (size_t)(p - buf), "loan %s%03d "
			    "patron=%s out=today-3d due=today+18d\n", first,
			    i, patron);
	}
	return (buf);
}

static int
start_ils(struct e2e_ils *ils, const char *name, const char *data, int ncip)
{
	char	 path[E2E_PATH_MAX + 32];
	char	*all = NULL;
	int	 rc;

	if (strcmp(name, "north") == 0)
		all = with_popular(data, "41000100", "NMAIN", "24000000001",
		    POPULAR_OWN, 0);
	else if (strcmp(name, "south") == 0)
		all = with_popular(data, "42000100", "SMAIN", "25000000001",
		    POPULAR_SOUTH, 1);
	snprintf(path, sizeof(path), "%s/%s.ils", env.dir, name);
	rc = e2e_write_file(path, all != NULL ? all : data);
	free(all);
	if (rc == -1)
		return (-1);
	return (ncip ? e2e_ils_start_ncip(&env, ils, name, path) :
	    e2e_ils_start(&env, ils, name, path));
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
	    start_ils(&north_ils, "north", north_data, 1) == -1 ||
	    start_ils(&south_ils, "south", south_data, 1) == -1 ||
	    start_ils(&east_ils, "east", east_data, 1) == -1)
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

/* Before each test: every ILS healthy, its data and counters afresh. */
static int
ready(void **state)
{
	size_t	 i;

	for (i = 0; i < sizeof(ilses) / sizeof(ilses[0]); i++)
		if (e2e_ils_ctl(ilses[i], "normal", NULL, 0) == -1 ||
		    e2e_ils_ctl(ilses[i], "reset", NULL, 0) == -1)
			return (-1);
	if (south_refuses || env.backend_timeout_ms != BACKEND_MS) {
		south_refuses = 0;
		env.backend_timeout_ms = BACKEND_MS;
		if (e2e_gw_reload(&env, write_conf) == -1)
			return (-1);
	}
	return (e2e_ready(&env, L_SIP2));
}

static int
still_alive(void **state)
{
	return (e2e_gw_survived(&env));
}

/* How many NCIP requests of a service an ILS has had. */
static long
ncip_count(const struct e2e_ils *ils, const char *service)
{
	char		 ans[E2E_ANSWER_MAX], key[64];
	const char	*s;

	e2e_ctl(ils, "ncip-stats", ans, sizeof(ans));
	snprintf(key, sizeof(key), " %s=", service);
	if ((s = strstr(ans, key)) == NULL)
		return (0);
	return (strtol(s + strlen(key), NULL, 10));
}

/* --- NCIP from north's ILS --------------------------------------------- */

/* POST bytes as north's ILS; the caller frees the response. */
static void
post_raw(const char *body, size_t len, struct e2e_http_resp *r)
{
	struct e2e_conn	*c;

	assert_non_null(c = e2e_gw_connect(&env, L_NCIP, NULL, NULL));
	assert_int_equal(e2e_http_post(c, "/ncip/" NORTH_TOKEN,
	    "application/xml", body, len, r), 0);
	e2e_close(c);
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

/* A LookupItemSet for one title, by ISBN or by a record id of agency's. */
static struct ncip_msg *
search_at(const char *id, enum ncip_bibid_kind kind, const char *agency)
{
	struct ncip_msg		*m;
	struct ncip_bibid	*b;

	assert_non_null(m = ncip_msg_new(NCIP_LOOKUP_ITEM_SET));
	assert_non_null(b = ncip_msg_calloc(m, 1, sizeof(*b)));
	b->kind = kind;
	b->value = id;
	if (kind == NCIP_BIBID_ITEM)
		b->code.value = "ISBN";
	else
		b->agency.value = agency;
	m->bib_ids = b;
	m->nbib_ids = 1;
	return (call(m));
}

/* The same, a record id being north's. */
static struct ncip_msg *
search(const char *id, enum ncip_bibid_kind kind)
{
	return (search_at(id, kind, "NORTH"));
}

/* A record id of agency's. */
static struct ncip_msg *
search_record(const char *id, const char *agency)
{
	return (search_at(id, NCIP_BIBID_RECORD, agency));
}

/* The answer's one title; it must be a LookupItemSetResponse. */
static const struct ncip_bib_info *
title_of(const struct ncip_msg *a)
{
	if (a->service != NCIP_LOOKUP_ITEM_SET_RESP)
		fail_msg("answered %s", ncip_service_name(a->service));
	if (a->nproblems > 0)
		fail_msg("Problem \"%s\" (%s)", a->problems[0].type.value,
		    a->problems[0].detail != NULL ? a->problems[0].detail :
		    "");
	assert_true(a->nbib_infos >= 1);
	return (&a->bib_infos[0]);
}

/* The holdings set of an agency, or NULL. */
static const struct ncip_holdings *
holdings_of(const struct ncip_bib_info *bi, const char *agency)
{
	size_t	 i;

	for (i = 0; i < bi->nholdings; i++)
		if (bi->holdings[i].id != NULL &&
		    strcmp(bi->holdings[i].id, agency) == 0)
			return (&bi->holdings[i]);
	return (NULL);
}

/* The copy with this item id among every set, or NULL. */
static const struct ncip_copy *
copy_of(const struct ncip_bib_info *bi, const char *item)
{
	size_t	 i, k;

	for (i = 0; i < bi->nholdings; i++)
		for (k = 0; k < bi->holdings[i].ncopies; k++)
			if (strcmp(bi->holdings[i].copies[k].item_id.value,
			    item) == 0)
				return (&bi->holdings[i].copies[k]);
	return (NULL);
}

/* The same, failing the test when there is none. */
static const struct ncip_holdings *
need_holdings(const struct ncip_bib_info *bi, const char *agency)
{
	const struct ncip_holdings	*h;

	if ((h = holdings_of(bi, agency)) == NULL) {
		fail_msg("no holdings of %s", agency);
		abort();	/* not reached: the test has ended */
	}
	return (h);
}

static const struct ncip_copy *
need_copy(const struct ncip_bib_info *bi, const char *item)
{
	const struct ncip_copy	*c;

	if ((c = copy_of(bi, item)) == NULL) {
		fail_msg("copy %s not listed", item);
		abort();	/* not reached: the test has ended */
	}
	return (c);
}

/* The Problem of a holdings set, failing the test when it has none. */
static const struct ncip_problem *
need_problem(const struct ncip_holdings *h)
{
	if (h->problem == NULL) {
		fail_msg("holdings %s have no Problem", h->id);
		abort();	/* not reached: the test has ended */
	}
	return (h->problem);
}

/* The title's Problems must start with Unknown Item and mention words. */
static void
assert_unknown(const struct ncip_bib_info *bi, const char *words)
{
	size_t	 i;

	assert_int_equal(bi->nholdings, 0);
	assert_true(bi->nproblems >= 1);
	assert_int_equal(bi->problems[0].kind, NCIP_PT_UNKNOWN_ITEM);
	for (i = 0; words != NULL && i < bi->nproblems; i++)
		if (bi->problems[i].detail != NULL &&
		    strstr(bi->problems[i].detail, words) != NULL)
			return;
	if (words != NULL)
		fail_msg("no Problem says \"%s\"", words);
}

/* --- items by id go to their owner -------------------------------------- */

static void
test_item_info_for_foreign_item_goes_to_owner(void **state)
{
	struct sip2_msg	*r;
	struct ncip_msg	*m, *a;
	long		 before = ncip_count(&south_ils, "LookupItem");

	r = e2e_session_ask(&env, L_SIP2, "north-kiosk", "north-kiosk-pw",
	    e2e_req(SIP2_ITEM_INFO, "AO", "NORTH", "AB", "42000000003",
	    NULL));
	assert_code(r, SIP2_ITEM_INFO_RESP);
	assert_string_equal(e2e_field(r, "AB"), "42000000003");
	assert_string_equal(e2e_field(r, "AJ"), "Persuasion");
	sip2_msg_free(r);
	assert_int_equal(ncip_count(&south_ils, "LookupItem"), before + 1);

	/* The same from north's ILS, over NCIP. */
	assert_non_null(m = ncip_msg_new(NCIP_LOOKUP_ITEM));
	m->item_id.agency.value = "SOUTH";
	m->item_id.value = "42000000003";
	a = call(m);
	assert_int_equal(a->service, NCIP_LOOKUP_ITEM_RESP);
	assert_int_equal(a->nproblems, 0);
	assert_string_equal(a->item_id.value, "42000000003");
	ncip_msg_free(a);
	assert_int_equal(ncip_count(&south_ils, "LookupItem"), before + 2);
}

/* --- titles by ISBN or record id ---------------------------------------- */

static void
test_title_available_at_asker_is_not_searched_elsewhere(void **state)
{
	const struct ncip_bib_info	*bi;
	const struct ncip_copy		*c;
	struct ncip_msg			*a;
	long				 n0, s0;

	n0 = ncip_count(&north_ils, "LookupItemSet");
	s0 = ncip_count(&south_ils, "LookupItemSet");
	a = search("9780312424404", NCIP_BIBID_ITEM);
	bi = title_of(a);
	assert_string_equal(bi->bib_id.value, "9780312424404");
	c = need_copy(bi, "41000000001");
	assert_string_equal(c->item.circ_status.value, "Available On Shelf");
	assert_null(copy_of(bi, "42000000001"));
	assert_int_equal(bi->nholdings, 1);
	ncip_msg_free(a);
	assert_int_equal(ncip_count(&north_ils, "LookupItemSet"), n0 + 1);
	assert_int_equal(ncip_count(&south_ils, "LookupItemSet"), s0);
}

static void
test_title_on_loan_at_asker_is_found_elsewhere(void **state)
{
	const struct ncip_bib_info	*bi;
	const struct ncip_holdings	*h;
	const struct ncip_problem	*pb;
	const struct ncip_copy		*c;
	struct ncip_msg			*a;
	long				 s0;

	s0 = ncip_count(&south_ils, "LookupItemSet");
	a = search("9780141439549", NCIP_BIBID_ITEM);
	bi = title_of(a);
	assert_true(bi->has_bib);
	assert_string_equal(bi->bib.title, "Middlemarch");
	c = need_copy(bi, "41000000002");
	assert_string_equal(c->item.circ_status.value, "On Loan");
	h = need_holdings(bi, "SOUTH");
	assert_int_equal(h->ncopies, 1);
	c = &h->copies[0];
	assert_string_equal(c->item_id.value, "42000000002");
	assert_string_equal(c->item_id.agency.value, "SOUTH");
	assert_string_equal(c->item.circ_status.value, "Available On Shelf");
	assert_string_equal(c->item.call_number, "FIC ELIOT S");
	assert_int_equal(c->item.nlocations, 1);
	assert_string_equal(c->item.locations[0].names[1].value, "SEAST");
	/* The SIP2 partner is named as not searched. */
	h = need_holdings(bi, "EAST");
	assert_int_equal(h->ncopies, 0);
	pb = need_problem(h);
	assert_int_equal(pb->kind, NCIP_PT_UNSUPPORTED_SERVICE);
	assert_contains(pb->detail, "SIP2");
	ncip_msg_free(a);
	assert_int_equal(ncip_count(&south_ils, "LookupItemSet"), s0 + 1);
}

static void
test_title_only_elsewhere_found_there(void **state)
{
	const struct ncip_bib_info	*bi;
	const struct ncip_copy		*c;
	struct ncip_msg			*a;
	int				 i;

	/* By ISBN, then by the owner's record id, said as south's. */
	for (i = 0; i < 2; i++) {
		a = i == 0 ? search("9780141439686", NCIP_BIBID_ITEM) :
		    search_record("s1000003", "SOUTH");
		bi = title_of(a);
		c = need_copy(bi, "42000000003");
		assert_string_equal(c->item.circ_status.value,
		    "Available On Shelf");
		assert_string_equal(c->item.call_number, "FIC AUSTEN");
		assert_string_equal(c->item.locations[0].names[1].value,
		    "SMAIN");
		/* East has a copy too, but SIP2 cannot be searched. */
		assert_null(copy_of(bi, "43000000001"));
		assert_non_null(holdings_of(bi, "EAST"));
		assert_null(holdings_of(bi, "NORTH"));
		ncip_msg_free(a);
	}
}

/*
 * A title north has many copies of, all on loan: they must not fill the
 * answer, and south's one copy on the shelf, listed after its 49 copies
 * on loan (more than the answer has room for), is in it.
 */
static void
test_asker_copies_on_loan_leave_room_for_others(void **state)
{
	const struct ncip_bib_info	*bi;
	const struct ncip_holdings	*h;
	const struct ncip_copy		*c;
	struct ncip_msg			*a;

	a = search(POPULAR_ISBN, NCIP_BIBID_ITEM);
	bi = title_of(a);
	c = need_copy(bi, POPULAR_SHELF);
	assert_string_equal(c->item.circ_status.value, "Available On Shelf");
	/* Some of north's own are listed, on loan, not all of them. */
	h = need_holdings(bi, "NORTH");
	assert_true(h->ncopies >= 1 && h->ncopies < POPULAR_OWN);
	assert_string_equal(h->copies[0].item.circ_status.value, "On Loan");
	/* South's on the shelf took the place of one of its on loan. */
	assert_int_equal(h->ncopies + need_holdings(bi, "SOUTH")->ncopies,
	    64);
	ncip_msg_free(a);
}

/*
 * North's record id of Middlemarch (on loan at north) is south's record
 * number of Walden: south is not asked it, and says why; a record id of
 * an agency no partner has is refused.
 */
static void
test_record_id_is_searched_only_at_its_library(void **state)
{
	const struct ncip_bib_info	*bi;
	const struct ncip_problem	*pb;
	struct ncip_msg			*a;
	long				 n0, s0;

	n0 = ncip_count(&north_ils, "LookupItemSet");
	s0 = ncip_count(&south_ils, "LookupItemSet");
	a = search("n1000002", NCIP_BIBID_RECORD);
	bi = title_of(a);
	assert_null(copy_of(bi, "42000000005"));
	assert_string_equal(need_copy(bi,
	    "41000000002")->item.circ_status.value, "On Loan");
	assert_string_equal(bi->bib.title, "Middlemarch");
	pb = need_problem(need_holdings(bi, "SOUTH"));
	assert_int_equal(pb->kind, NCIP_PT_UNSUPPORTED_SERVICE);
	assert_contains(pb->detail, "Record ids are local");
	ncip_msg_free(a);
	assert_int_equal(ncip_count(&north_ils, "LookupItemSet"), n0 + 1);
	assert_int_equal(ncip_count(&south_ils, "LookupItemSet"), s0);

	/* Said as south's, it is south's Walden, and north is not asked. */
	a = search_record("n1000002", "SOUTH");
	bi = title_of(a);
	need_copy(bi, "42000000005");
	assert_null(copy_of(bi, "41000000002"));
	ncip_msg_free(a);
	assert_int_equal(ncip_count(&north_ils, "LookupItemSet"), n0 + 1);
	assert_int_equal(ncip_count(&south_ils, "LookupItemSet"), s0 + 1);

	a = search_record("n1000002", "NOWHERE");
	assert_true(a->nproblems > 0);
	assert_int_equal(a->problems[0].kind, NCIP_PT_UNKNOWN_ITEM);
	assert_contains(a->problems[0].detail, "agency");
	ncip_msg_free(a);
	assert_int_equal(ncip_count(&south_ils, "LookupItemSet"), s0 + 1);
}

/* Send a LookupItemSet by ISBN as north's ILS; its answer comes later. */
static struct e2e_conn *
search_send(const char *isbn)
{
	struct ncip_msg		*m;
	struct ncip_bibid	*b;
	struct e2e_conn		*c;
	char			*body;
	size_t			 len;

	assert_non_null(m = ncip_msg_new(NCIP_LOOKUP_ITEM_SET));
	assert_non_null(b = ncip_msg_calloc(m, 1, sizeof(*b)));
	b->kind = NCIP_BIBID_ITEM;
	b->value = isbn;
	b->code.value = "ISBN";
	m->bib_ids = b;
	m->nbib_ids = 1;
	m->header.present = 1;
	m->header.from_agency.value = "NORTH";
	m->header.to_agency.value = "CIRCLINK";
	assert_int_equal(ncip_build(m, NULL, &body, &len, NULL), 0);
	ncip_msg_free(m);
	assert_non_null(c = e2e_gw_connect(&env, L_NCIP, NULL, NULL));
	assert_int_equal(e2e_http_send(c, "POST", "/ncip/" NORTH_TOKEN,
	    "application/xml", body, len), 0);
	free(body);
	return (c);
}

/* The answer to search_send(); the connection is closed. */
static struct ncip_msg *
search_read(struct e2e_conn *c)
{
	struct e2e_http_resp	 r;
	struct ncip_msg		*a;

	assert_int_equal(e2e_http_read(c, &r, 15000), 0);
	e2e_close(c);
	a = e2e_http_ncip(&r);
	e2e_http_resp_free(&r);
	return (a);
}

/*
 * South's agreement ends (its file no longer accepts) while south is
 * being asked: the copy it then lists is not shown.
 */
static void
test_agreement_ended_during_search_lists_none(void **state)
{
	struct ncip_msg		*a;
	struct e2e_conn		*c;
	long			 s0 = ncip_count(&south_ils, "LookupItemSet");
	long			 n0 = ncip_count(&north_ils, "LookupItemSet");
	int			 i;

	/* Deadlines long enough for a reload while south is slow. */
	env.backend_timeout_ms = 8000;
	assert_int_equal(e2e_gw_reload(&env, write_conf), 0);
	assert_int_equal(e2e_ils_ctl(&south_ils, "delay 2500", NULL, 0), 0);
	c = search_send("9780141439686");
	/*
	 * North's own ILS is asked first; once it has answered, the gateway
	 * asks south at once: only then does the agreement end.
	 */
	for (i = 0; i < 200 && ncip_count(&north_ils, "LookupItemSet") == n0;
	    i++)
		e2e_sleep_ms(10);
	assert_true(i < 200);
	e2e_sleep_ms(200);
	south_refuses = 1;
	assert_int_equal(e2e_gw_reload(&env, write_conf), 0);
	a = search_read(c);
	/* South was asked and answered, but its copy is not shown. */
	assert_int_equal(ncip_count(&south_ils, "LookupItemSet"), s0 + 1);
	assert_unknown(title_of(a), NULL);
	ncip_msg_free(a);

	/* ready() puts the agreement back. */
}

/*
 * North's ILS slow: of BUSY_EACH + 1 searches north asks at once, one is
 * refused, so that one partner cannot hold every search slot.
 */
#define BUSY_EACH	32	/* half the gateway's searches */
static void
test_one_caller_cannot_hold_every_search(void **state)
{
	struct e2e_conn		*c[BUSY_EACH + 1];
	struct ncip_msg		*a;
	int			 i, refused = 0;

	env.backend_timeout_ms = 3000;
	assert_int_equal(e2e_gw_reload(&env, write_conf), 0);
	assert_int_equal(e2e_ils_ctl(&north_ils, "delay 2000", NULL, 0), 0);
	for (i = 0; i <= BUSY_EACH; i++)
		c[i] = search_send("9780312424404");
	for (i = 0; i <= BUSY_EACH; i++) {
		a = search_read(c[i]);
		assert_int_equal(a->service, NCIP_LOOKUP_ITEM_SET_RESP);
		if (a->nproblems > 0) {
			assert_contains(a->problems[0].detail,
			    "cannot search now");
			refused++;
		}
		ncip_msg_free(a);
	}
	assert_int_equal(refused, 1);
}

static void
test_sip2_partner_searched_through_its_search_backend(void **state)
{
	const struct ncip_bib_info	*bi;
	const struct ncip_copy		*c;
	struct ncip_msg			*a;
	long				 e0;

	east_search = 1;
	assert_int_equal(e2e_gw_reload(&env, write_conf), 0);
	e0 = ncip_count(&east_ils, "LookupItemSet");
	a = search("9780141439686", NCIP_BIBID_ITEM);
	bi = title_of(a);
	c = need_copy(bi, "43000000001");
	assert_string_equal(c->item_id.agency.value, "EAST");
	assert_string_equal(c->item.circ_status.value, "Available On Shelf");
	need_copy(bi, "42000000003");
	assert_int_equal(need_holdings(bi, "EAST")->ncopies, 1);
	ncip_msg_free(a);
	assert_int_equal(ncip_count(&east_ils, "LookupItemSet"), e0 + 1);

	/* Without it again, east is skipped, and says why. */
	east_search = 0;
	assert_int_equal(e2e_gw_reload(&env, write_conf), 0);
	a = search("9780141439686", NCIP_BIBID_ITEM);
	assert_null(copy_of(title_of(a), "43000000001"));
	ncip_msg_free(a);
	assert_int_equal(ncip_count(&east_ils, "LookupItemSet"), e0 + 1);
}

static void
test_title_in_withheld_collection_not_listed(void **state)
{
	struct ncip_msg	*a;
	long		 s0 = ncip_count(&south_ils, "LookupItemSet");

	a = search("9780060850524", NCIP_BIBID_ITEM);
	assert_unknown(title_of(a), NULL);
	assert_null(copy_of(title_of(a), "42000000004"));
	ncip_msg_free(a);
	/* South was asked: its terms, not its silence, hid the copy. */
	assert_int_equal(ncip_count(&south_ils, "LookupItemSet"), s0 + 1);
}

/*
 * Search for a title only south has until south's copy is listed: 0, or
 * -1 when the gateway still has not reached it after WAIT_MS.
 */
static int
south_searched_again(void)
{
	struct ncip_msg	*a;
	long long	 end = e2e_now_ms() + WAIT_MS;
	int		 found;

	do {
		a = search("9780141439686", NCIP_BIBID_ITEM);
		found = copy_of(title_of(a), "42000000003") != NULL;
		ncip_msg_free(a);
		if (found)
			return (0);
		e2e_sleep_ms(100);
	} while (e2e_now_ms() < end);
	return (-1);
}

static void
test_partner_down_noted_and_answer_still_comes(void **state)
{
	const struct ncip_bib_info	*bi;
	const struct ncip_holdings	*h;
	const struct ncip_problem	*pb;
	struct ncip_msg			*a;

	/* Down: it refuses connections and drops the one it has. */
	assert_int_equal(e2e_ils_ctl(&south_ils, "refuse", NULL, 0), 0);
	assert_int_equal(e2e_ils_ctl(&south_ils, "drop", NULL, 0), 0);
	a = search("9780141439686", NCIP_BIBID_ITEM);
	bi = title_of(a);
	assert_unknown(bi, "South Library");
	assert_unknown(bi, "SIP2");
	ncip_msg_free(a);

	/* Slow: it never answers, and the backend's deadline decides. */
	assert_int_equal(e2e_ils_ctl(&south_ils, "normal", NULL, 0), 0);
	assert_int_equal(e2e_ils_ctl(&south_ils, "hang", NULL, 0), 0);
	a = search("9780141439549", NCIP_BIBID_ITEM);
	bi = title_of(a);
	/* North's own copy, on loan, is listed; south is noted absent. */
	assert_non_null(copy_of(bi, "41000000002"));
	h = need_holdings(bi, "SOUTH");
	assert_int_equal(h->ncopies, 0);
	pb = need_problem(h);
	assert_int_equal(pb->kind, NCIP_PT_TEMPORARY_FAILURE);
	assert_contains(pb->detail, "South Library");
	ncip_msg_free(a);

	/* Back, it is searched again once the gateway has reached it. */
	assert_int_equal(e2e_ils_ctl(&south_ils, "normal", NULL, 0), 0);
	assert_int_equal(south_searched_again(), 0);
}

static void
test_isbn_found_nowhere_is_unknown_item(void **state)
{
	struct ncip_msg	*a;

	a = search("9781234567897", NCIP_BIBID_ITEM);
	assert_unknown(title_of(a), NULL);
	assert_string_equal(title_of(a)->bib_id.value, "9781234567897");
	ncip_msg_free(a);
}

static void
test_hostile_bibliographic_ids_refused_clearly(void **state)
{
	static const char *const bad[] = {
		"",
		"9780 141439686",
		"9780141439686978014143968697801414396869780141439686"
		    "9780141439686978014143968697801414396869780141439686",
	};
	struct ncip_msg		*m, *a;
	struct ncip_bibid	*b;
	struct e2e_http_resp	 r;
	char			*big, *body;
	size_t			 i, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = search(bad[i], NCIP_BIBID_ITEM);
		assert_int_equal(a->service, NCIP_LOOKUP_ITEM_SET_RESP);
		if (a->nproblems == 0)
			fail_msg("\"%s\" was searched", bad[i]);
		ncip_msg_free(a);
	}

	/* Markup in an identifier is searched as text, and found nowhere. */
	a = search("<b>&amp;\"'</b>", NCIP_BIBID_ITEM);
	assert_unknown(title_of(a), NULL);
	ncip_msg_free(a);

	/* An identifier of 300 KB: refused, and the gateway lives on. */
	assert_non_null(big = malloc(300 * 1024 + 1));
	memset(big, '9', 300 * 1024);
	big[300 * 1024] = '\0';
	assert_non_null(m = ncip_msg_new(NCIP_LOOKUP_ITEM_SET));
	assert_non_null(b = ncip_msg_calloc(m, 1, sizeof(*b)));
	b->value = big;
	m->bib_ids = b;
	m->nbib_ids = 1;
	assert_int_equal(ncip_build(m, NULL, &body, &len, NULL), 0);
	ncip_msg_free(m);
	free(big);
	post_raw(body, len, &r);
	free(body);
	assert_non_null(strstr(r.body, "Problem"));
	e2e_http_resp_free(&r);

	/* Two titles: the first is searched, the second refused. */
	assert_non_null(m = ncip_msg_new(NCIP_LOOKUP_ITEM_SET));
	assert_non_null(b = ncip_msg_calloc(m, 2, sizeof(*b)));
	b[0].value = "9780141439686";
	b[1].value = "9780312424404";
	m->bib_ids = b;
	m->nbib_ids = 2;
	a = call(m);
	assert_int_equal(a->nbib_infos, 2);
	if (a->bib_infos[0].nproblems > 0)
		fail_msg("first title: %s", a->bib_infos[0].problems[0].detail);
	assert_non_null(copy_of(&a->bib_infos[0], "42000000003"));
	assert_int_equal(a->bib_infos[1].nproblems, 1);
	ncip_msg_free(a);

	/* By ItemId: not a search this gateway makes. */
	assert_non_null(m = ncip_msg_new(NCIP_LOOKUP_ITEM_SET));
	m->item_id.value = "42000000003";
	a = call(m);
	assert_true(a->nproblems > 0);
	assert_int_equal(a->problems[0].kind, NCIP_PT_UNSUPPORTED_SERVICE);
	ncip_msg_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f)	cmocka_unit_test_setup_teardown(f, ready, still_alive)
		T(test_item_info_for_foreign_item_goes_to_owner),
		T(test_title_available_at_asker_is_not_searched_elsewhere),
		T(test_title_on_loan_at_asker_is_found_elsewhere),
		T(test_title_only_elsewhere_found_there),
		T(test_asker_copies_on_loan_leave_room_for_others),
		T(test_record_id_is_searched_only_at_its_library),
		T(test_agreement_ended_during_search_lists_none),
		T(test_one_caller_cannot_hold_every_search),
		T(test_sip2_partner_searched_through_its_search_backend),
		T(test_title_in_withheld_collection_not_listed),
		T(test_partner_down_noted_and_answer_still_comes),
		T(test_isbn_found_nowhere_is_unknown_item),
		T(test_hostile_bibliographic_ids_refused_clearly),
#undef T
	};

	return (cmocka_run_group_tests_name("e2e_search", tests, group_setup,
	    group_teardown));
}
