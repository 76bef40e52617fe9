/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of the policy: each rule of the terms alone, then the
 * decisions on the demo agreement between metro and district, with the
 * reasons and the messages a kiosk shows.
 */

#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

#define METRO		"Metro Public Library"
#define DISTRICT	"Metro Unified School District"

/*
 * The demo agreement as the partners' files set it, an agreement between
 * district and county that nobody has accepted yet, and metro's terms
 * toward county.
 */
struct world {
	struct policy_terms	 metro;		/* toward district */
	struct policy_terms	 district;	/* toward metro */
	struct policy_terms	 county;	/* toward metro */
	struct policy_terms	 metro_county;	/* metro toward county */
	struct policy_agreement	 ags[3];
	size_t			 n;
};

static char *
xstrdup(const char *s)
{
	char	*d = strdup(s);

	assert_non_null(d);
	return (d);
}

static void
add(char **list, int *n, const char *s)
{
	list[(*n)++] = xstrdup(s);
}

static void
add_limit(struct policy_terms *t, const char *pclass, long loans,
    long holds)
{
	struct policy_limit	*l = &t->limits[t->nlimits++];

	l->pclass = xstrdup(pclass);
	l->loans = loans;
	l->holds = holds;
}

static void
side(struct policy_side *s, const char *id, const char *name,
    const struct policy_terms *t)
{
	s->id = id;
	s->name = name;
	s->terms = t;
	s->revoked = 0;
}

static int
setup(void **state)
{
	struct world	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return (-1);

	/* metro's file: agreement district { ... } */
	policy_terms_init(&w->metro);
	w->metro.accept = 1;
	w->metro.withheld = POLICY_F_ADDRESS | POLICY_F_PHONE |
	    POLICY_F_BIRTH;
	w->metro.titles = 1;
	add(w->metro.exclude, &w->metro.nexclude, "JUVENILE");
	add(w->metro.withhold_collection, &w->metro.nwithhold_collection,
	    "ADULT-EXPLICIT");
	w->metro.link = 1;
	add(w->metro.link_classes, &w->metro.nlink_classes, "STUDENT");
	add_limit(&w->metro, "STUDENT", 10, -1);

	/* district's file: agreement metro { ... } */
	policy_terms_init(&w->district);
	w->district.accept = 1;
	w->district.withheld = POLICY_F_ADDRESS | POLICY_F_PHONE |
	    POLICY_F_BIRTH;
	w->district.titles = 0;
	add(w->district.exclude, &w->district.nexclude, "STAFF");

	/* county has written terms toward metro but not accepted. */
	policy_terms_init(&w->county);
	policy_terms_init(&w->metro_county);
	w->metro_county.accept = 1;

	side(&w->ags[0].side[0], "metro", METRO, &w->metro);
	side(&w->ags[0].side[1], "district", DISTRICT, &w->district);
	side(&w->ags[1].side[0], "county", NULL, &w->county);
	side(&w->ags[1].side[1], "metro", METRO, &w->metro_county);
	side(&w->ags[2].side[0], "district", DISTRICT, NULL);
	side(&w->ags[2].side[1], "county", NULL, NULL);
	w->n = 3;
	*state = w;
	return (0);
}

static int
teardown(void **state)
{
	struct world	*w = *state;

	policy_terms_clear(&w->metro);
	policy_terms_clear(&w->district);
	policy_terms_clear(&w->county);
	policy_terms_clear(&w->metro_county);
	free(w);
	return (0);
}

/* Decide op at serving for a patron and an item, either may be NULL. */
static int
decide(struct world *w, enum policy_op op, const char *serving,
    const struct policy_patron *pt, const struct policy_item *it,
    struct policy_decision *dec)
{
	struct policy_request	 req;

	memset(&req, 0, sizeof(req));
	req.op = op;
	req.serving = serving;
	req.patron = pt;
	req.item = it;
	memset(dec, 'x', sizeof(*dec));
	return (policy_check(w->ags, w->n, &req, dec));
}

static void
assert_denied(const struct policy_decision *dec, enum policy_reason reason,
    const char *audit, const char *message)
{
	assert_int_equal(dec->allow, 0);
	assert_int_equal(dec->reason, reason);
	assert_string_equal(dec->audit, audit);
	if (message != NULL)
		assert_string_equal(dec->message, message);
}

static void
assert_allowed(const struct policy_decision *dec)
{
	assert_int_equal(dec->allow, 1);
	assert_int_equal(dec->reason, POLICY_OK);
	assert_string_equal(dec->audit, "allowed");
	assert_string_equal(dec->message, "");
}

static const struct policy_patron student = {
	"district", "STUDENT", 3, 1, 0, 0
}, district_staff = {
	"district", "STAFF", 0, 0, 0, 0
}, former_student = {
	"district", "FORMER-STUDENT", 0, 0, 0, 0
}, metro_adult = {
	"metro", "ADULT", 2, 0, 0, 0
}, metro_juvenile = {
	"metro", "JUVENILE", 0, 0, 0, 0
};

static const struct policy_item metro_book = {
	"metro", "ADULT-FIC", "book", "MAIN"
}, metro_explicit = {
	"metro", "ADULT-EXPLICIT", "book", "MAIN"
}, district_book = {
	"district", "YA", "book", "WESTHIGH"
};

/* --- the terms alone ---------------------------------------------------- */

static void
test_match_star_and_case(void **state)
{
	assert_int_equal(policy_terms_match("ADULT-EXPLICIT",
	    "adult-explicit"), 1);
	assert_int_equal(policy_terms_match("ADULT-EXPLICIT", "ADULT-FIC"),
	    0);
	assert_int_equal(policy_terms_match("ADULT-*", "ADULT-FIC"), 1);
	assert_int_equal(policy_terms_match("ADULT-*", "ADULT-"), 1);
	assert_int_equal(policy_terms_match("ADULT-*", "JUV-FIC"), 0);
	assert_int_equal(policy_terms_match("*-DVD", "ADULT-DVD"), 1);
	assert_int_equal(policy_terms_match("*-DVD", "ADULT-DVD2"), 0);
	assert_int_equal(policy_terms_match("A*T*C", "ADULT-FIC"), 1);
	assert_int_equal(policy_terms_match("A*T*D", "ADULT-FIC"), 0);
	assert_int_equal(policy_terms_match("*", ""), 1);
	assert_int_equal(policy_terms_match("*", "anything"), 1);
	assert_int_equal(policy_terms_match("", ""), 1);
	assert_int_equal(policy_terms_match("", "X"), 0);
	assert_int_equal(policy_terms_match("X", ""), 0);
	/* Only '*' is special. */
	assert_int_equal(policy_terms_match("A?", "AB"), 0);
	assert_int_equal(policy_terms_match("A?", "A?"), 1);
}

static void
test_terms_defaults(void **state)
{
	struct policy_terms	 t;
	struct policy_item	 it = { "metro", "ANY", "ANY", "ANY" };

	memset(&t, 0xff, sizeof(t));
	policy_terms_init(&t);
	assert_int_equal(t.accept, 0);
	assert_int_equal(t.titles, 0);		/* counts only */
	assert_int_equal(t.withheld, 0);
	assert_int_equal(t.link, 0);
	assert_int_equal(t.nlimits, 0);
	assert_int_equal(policy_terms_excludes(&t, "STAFF"), 0);
	assert_int_equal(policy_terms_excludes(&t, NULL), 0);
	assert_int_equal(policy_terms_withholds(&t, &it), 0);
	assert_int_equal(policy_terms_links(&t, "STUDENT"), 0);
	assert_null(policy_terms_limit(&t, "STUDENT"));
	/* No terms at all behave as none set. */
	assert_int_equal(policy_terms_excludes(NULL, NULL), 0);
	assert_int_equal(policy_terms_withholds(NULL, &it), 0);
	assert_int_equal(policy_terms_links(NULL, "STUDENT"), 0);
	assert_null(policy_terms_limit(NULL, "STUDENT"));
}

static void
test_terms_clear_resets(void **state)
{
	struct world	*w = *state;

	policy_terms_clear(&w->metro);
	assert_int_equal(w->metro.accept, 0);
	assert_int_equal(w->metro.nexclude, 0);
	assert_int_equal(w->metro.nwithhold_collection, 0);
	assert_int_equal(w->metro.nlink_classes, 0);
	assert_int_equal(w->metro.nlimits, 0);
	assert_null(w->metro.exclude[0]);
	assert_null(w->metro.limits[0].pclass);
	/* Clearing twice is harmless. */
	policy_terms_clear(&w->metro);
}

static void
test_exclude_exact_class_any_case(void **state)
{
	struct world	*w = *state;

	assert_int_equal(policy_terms_excludes(&w->district, "STAFF"), 1);
	assert_int_equal(policy_terms_excludes(&w->district, "staff"), 1);
	assert_int_equal(policy_terms_excludes(&w->district, "STAFF2"), 0);
	assert_int_equal(policy_terms_excludes(&w->district, "STUDENT"), 0);
	/* A class not told is hidden while any class is excluded. */
	assert_int_equal(policy_terms_excludes(&w->district, NULL), 1);
}

static void
test_withhold_by_collection_type_location(void **state)
{
	struct policy_terms	 t;
	struct policy_item	 it = { "metro", "ADULT-FIC", "book", "MAIN" };

	policy_terms_init(&t);
	add(t.withhold_collection, &t.nwithhold_collection, "ADULT-EXPL*");
	add(t.withhold_type, &t.nwithhold_type, "dvd");
	add(t.withhold_location, &t.nwithhold_location, "EAST");
	assert_int_equal(policy_terms_withholds(&t, &it), 0);
	it.collection = "ADULT-EXPLICIT";
	assert_int_equal(policy_terms_withholds(&t, &it), 1);
	it.collection = "ADULT-FIC";
	it.type = "DVD";
	assert_int_equal(policy_terms_withholds(&t, &it), 1);
	it.type = "book";
	it.location = "east";
	assert_int_equal(policy_terms_withholds(&t, &it), 1);
	policy_terms_clear(&t);
}

static void
test_withhold_needs_the_facts_it_names(void **state)
{
	struct policy_terms	 t;
	struct policy_item	 it = { "metro", NULL, NULL, NULL };

	policy_terms_init(&t);
	/* Nothing withheld: no fact is needed. */
	assert_int_equal(policy_terms_withholds(&t, &it), 0);
	add(t.withhold_collection, &t.nwithhold_collection, "ADULT-EXPLICIT");
	assert_int_equal(policy_terms_withholds(&t, &it), -1);
	it.collection = "ADULT-FIC";
	assert_int_equal(policy_terms_withholds(&t, &it), 0);
	/* A missing type matters once types are withheld... */
	add(t.withhold_type, &t.nwithhold_type, "DVD");
	assert_int_equal(policy_terms_withholds(&t, &it), -1);
	/* ...unless a fact that is told already withholds the item. */
	it.collection = "ADULT-EXPLICIT";
	assert_int_equal(policy_terms_withholds(&t, &it), 1);
	policy_terms_clear(&t);
}

static void
test_links_all_some_or_none(void **state)
{
	struct world		*w = *state;
	struct policy_terms	 t;

	assert_int_equal(policy_terms_links(&w->metro, "STUDENT"), 1);
	assert_int_equal(policy_terms_links(&w->metro, "student"), 1);
	assert_int_equal(policy_terms_links(&w->metro, "FORMER-STUDENT"), 0);
	assert_int_equal(policy_terms_links(&w->metro, NULL), 0);
	assert_int_equal(policy_terms_links(&w->district, "ADULT"), 0);
	policy_terms_init(&t);
	t.link = 1;
	assert_int_equal(policy_terms_links(&t, "ADULT"), 1);
	assert_int_equal(policy_terms_links(&t, NULL), 1);
}

static void
test_limit_by_class(void **state)
{
	struct world			*w = *state;
	const struct policy_limit	*l;

	l = policy_terms_limit(&w->metro, "Student");
	assert_non_null(l);
	assert_int_equal(l->loans, 10);
	assert_int_equal(l->holds, -1);
	assert_null(policy_terms_limit(&w->metro, "ADULT"));
	assert_null(policy_terms_limit(&w->metro, NULL));
}

/* --- agreements ---------------------------------------------------------- */

static void
test_agreement_find_either_order(void **state)
{
	struct world	*w = *state;

	assert_ptr_equal(policy_agreement_find(w->ags, w->n, "metro",
	    "district"), &w->ags[0]);
	assert_ptr_equal(policy_agreement_find(w->ags, w->n, "district",
	    "metro"), &w->ags[0]);
	assert_ptr_equal(policy_agreement_find(w->ags, w->n, "metro",
	    "county"), &w->ags[1]);
	assert_null(policy_agreement_find(w->ags, w->n, "metro", "metro"));
	assert_null(policy_agreement_find(w->ags, w->n, "metro", "nowhere"));
	assert_null(policy_agreement_find(w->ags, 0, "metro", "district"));
	assert_ptr_equal(policy_terms_of(&w->ags[0], "metro"), &w->metro);
	assert_ptr_equal(policy_terms_of(&w->ags[0], "district"),
	    &w->district);
	assert_null(policy_terms_of(&w->ags[0], "county"));
	assert_null(policy_terms_of(NULL, "metro"));
}

static void
test_active_needs_both_and_no_revocation(void **state)
{
	struct world	*w = *state;

	assert_int_equal(policy_active(&w->ags[0]), 1);
	w->district.accept = 0;
	assert_int_equal(policy_active(&w->ags[0]), 0);
	w->district.accept = 1;
	w->ags[0].side[0].revoked = 1;
	assert_int_equal(policy_active(&w->ags[0]), 0);
	w->ags[0].side[0].revoked = 0;
	w->ags[0].side[1].revoked = 1;
	assert_int_equal(policy_active(&w->ags[0]), 0);
	w->ags[0].side[1].revoked = 0;
	assert_int_equal(policy_active(&w->ags[0]), 1);
	/* county has terms but no acceptance; district and county none. */
	assert_int_equal(policy_active(&w->ags[1]), 0);
	assert_int_equal(policy_active(&w->ags[2]), 0);
}

/* --- decisions on the demo agreement ------------------------------------- */

static void
test_local_requests_always_allowed(void **state)
{
	struct world		*w = *state;
	struct policy_decision	 dec;
	struct policy_patron	 blocked = metro_adult;

	/* Even with the agreement revoked and a blocked card. */
	w->ags[0].side[0].revoked = 1;
	w->ags[0].side[1].revoked = 1;
	blocked.blocked = 1;
	assert_int_equal(decide(w, POLICY_OP_CHECKOUT, "metro", &blocked,
	    &metro_explicit, &dec), 1);
	assert_allowed(&dec);
	assert_int_equal(decide(w, POLICY_OP_PATRON_UPDATE, "district",
	    &district_staff, NULL, &dec), 1);
	assert_int_equal(decide(w, POLICY_OP_CHECKIN, "district", NULL,
	    &district_book, &dec), 1);
	assert_int_equal(decide(w, POLICY_OP_FEE, "metro", &metro_adult,
	    NULL, &dec), 1);
}

static void
test_visiting_student_checkout_allowed(void **state)
{
	struct world		*w = *state;
	struct policy_decision	 dec;

	assert_int_equal(decide(w, POLICY_OP_CHECKOUT, "metro", &student,
	    &metro_book, &dec), 1);
	assert_allowed(&dec);
	assert_int_equal(decide(w, POLICY_OP_HOLD, "metro", &student,
	    &metro_book, &dec), 1);
	assert_int_equal(decide(w, POLICY_OP_PATRON_STATUS, "metro",
	    &student, NULL, &dec), 1);
	/* At home, on a metro item brought there. */
	assert_int_equal(decide(w, POLICY_OP_CHECKOUT, "district", &student,
	    &metro_book, &dec), 1);
}

static void
test_revoked_denies_every_cross_partner_call(void **state)
{
	static const enum policy_op ops[] = {
		POLICY_OP_PATRON_STATUS, POLICY_OP_PATRON_INFO,
		POLICY_OP_CHECKOUT, POLICY_OP_RENEW, POLICY_OP_HOLD,
		POLICY_OP_HOLD_CANCEL, POLICY_OP_CHECKIN, POLICY_OP_ITEM_INFO,
		POLICY_OP_FEE, POLICY_OP_BLOCK_PATRON, POLICY_OP_PATRON_UPDATE,
	};
	struct world		*w = *state;
	struct policy_decision	 dec;
	struct policy_share	 share;
	size_t			 i;

	w->ags[0].side[1].revoked = 1;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		decide(w, ops[i], "metro", &student,
		    ops[i] == POLICY_OP_FEE ? NULL : &metro_book, &dec);
		if (ops[i] == POLICY_OP_FEE) {
			/* Owed to district: refused before the agreement. */
			assert_int_equal(dec.reason,
			    POLICY_E_FEE_OTHER_PARTNER);
			continue;
		}
		assert_denied(&dec, POLICY_E_REVOKED, "revoked", DISTRICT
		    " has revoked its agreement with " METRO ".");
	}
	/* A metro patron with a district item at metro: the item crosses. */
	decide(w, POLICY_OP_CHECKIN, "metro", NULL, &district_book, &dec);
	assert_denied(&dec, POLICY_E_REVOKED, "revoked", NULL);
	decide(w, POLICY_OP_CHECKOUT, "metro", &metro_adult, &district_book,
	    &dec);
	assert_denied(&dec, POLICY_E_REVOKED, "revoked", NULL);
	/* Links and data stop too. */
	assert_int_equal(policy_link(w->ags, w->n, &student, "metro", &dec),
	    0);
	assert_denied(&dec, POLICY_E_REVOKED, "revoked", NULL);
	assert_int_equal(policy_share(w->ags, w->n, "metro", "district",
	    &share, &dec), 0);
	assert_int_equal(share.withheld, POLICY_F_ALL);
	assert_int_equal(share.titles, 0);
	assert_int_equal(policy_visible(w->ags, w->n, "district", "STUDENT",
	    "metro", &dec), 0);

	/* Accepting again restores them. */
	w->ags[0].side[1].revoked = 0;
	assert_int_equal(decide(w, POLICY_OP_CHECKOUT, "metro", &student,
	    &metro_book, &dec), 1);
}

static void
test_revoked_by_metro_names_metro(void **state)
{
	struct world		*w = *state;
	struct policy_decision	 dec;

	w->ags[0].side[0].revoked = 1;
	decide(w, POLICY_OP_PATRON_STATUS, "metro", &student, NULL, &dec);
	assert_denied(&dec, POLICY_E_REVOKED, "revoked",
	    METRO " has revoked its agreement with " DISTRICT ".");
}

static void
test_not_accepted_denies(void **state)
{
	struct world		*w = *state;
	struct policy_decision	 dec;

	w->metro.accept = 0;
	decide(w, POLICY_OP_CHECKOUT, "metro", &student, &metro_book, &dec);
	assert_denied(&dec, POLICY_E_NOT_ACCEPTED, "not-accepted",
	    METRO " has not accepted the agreement with " DISTRICT ".");
	/* A side without terms has not accepted either. */
	w->metro.accept = 1;
	w->ags[0].side[1].terms = NULL;
	decide(w, POLICY_OP_CHECKOUT, "metro", &student, &metro_book, &dec);
	assert_denied(&dec, POLICY_E_NOT_ACCEPTED, "not-accepted",
	    DISTRICT " has not accepted the agreement with " METRO ".");
	/* county wrote terms toward metro but did not accept them. */
	decide(w, POLICY_OP_CHECKIN, "metro", NULL,
	    &(struct policy_item){ "county", NULL, NULL, NULL }, &dec);
	assert_denied(&dec, POLICY_E_NOT_ACCEPTED, "not-accepted",
	    "county has not accepted the agreement with " METRO ".");
}

static void
test_no_agreement_denies(void **state)
{
	struct world		*w = *state;
	struct policy_decision	 dec;
	struct policy_patron	 county_patron = { "county", "ADULT", 0, 0,
				    0, 0 };

	/* A pair with neither side's terms, then a pair not listed. */
	decide(w, POLICY_OP_PATRON_STATUS, "county", &student, NULL, &dec);
	assert_denied(&dec, POLICY_E_NO_AGREEMENT, "no-agreement",
	    DISTRICT " and county have no agreement.");
	decide(w, POLICY_OP_PATRON_STATUS, "nowhere", &county_patron, NULL,
	    &dec);
	assert_denied(&dec, POLICY_E_NO_AGREEMENT, "no-agreement",
	    "county and nowhere have no agreement.");
}

static void
test_excluded_class_is_unknown_there(void **state)
{
	struct world		*w = *state;
	struct policy_decision	 dec;
	struct policy_patron	 staff_lower = district_staff;

	decide(w, POLICY_OP_PATRON_STATUS, "metro", &district_staff, NULL,
	    &dec);
	assert_denied(&dec, POLICY_E_CLASS_EXCLUDED, "class-excluded",
	    "This card cannot be used at " METRO ".");
	/* The message does not say why. */
	assert_null(strstr(dec.message, "STAFF"));
	decide(w, POLICY_OP_CHECKOUT, "metro", &district_staff, &metro_book,
	    &dec);
	assert_int_equal(dec.reason, POLICY_E_CLASS_EXCLUDED);
	staff_lower.pclass = "Staff";
	decide(w, POLICY_OP_PATRON_INFO, "metro", &staff_lower, NULL, &dec);
	assert_int_equal(dec.reason, POLICY_E_CLASS_EXCLUDED);
	assert_int_equal(policy_link(w->ags, w->n, &district_staff, "metro",
	    &dec), 0);
	assert_int_equal(dec.reason, POLICY_E_CLASS_EXCLUDED);

	/* metro excludes its juveniles from district, not its adults. */
	decide(w, POLICY_OP_PATRON_STATUS, "district", &metro_juvenile, NULL,
	    &dec);
	assert_denied(&dec, POLICY_E_CLASS_EXCLUDED, "class-excluded",
	    "This card cannot be used at " DISTRICT ".");
	assert_int_equal(decide(w, POLICY_OP_PATRON_STATUS, "district",
	    &metro_adult, NULL, &dec), 1);
	/* Nor may district's staff borrow a metro item at home. */
	decide(w, POLICY_OP_CHECKOUT, "district", &district_staff,
	    &metro_book, &dec);
	assert_int_equal(dec.reason, POLICY_E_CLASS_EXCLUDED);
}

static void
test_visible(void **state)
{
	struct world		*w = *state;
	struct policy_decision	 dec;

	assert_int_equal(policy_visible(w->ags, w->n, "district", "STUDENT",
	    "metro", &dec), 1);
	assert_allowed(&dec);
	assert_int_equal(policy_visible(w->ags, w->n, "district", "STAFF",
	    "metro", &dec), 0);
	assert_int_equal(dec.reason, POLICY_E_CLASS_EXCLUDED);
	assert_int_equal(policy_visible(w->ags, w->n, "district", NULL,
	    "metro", &dec), 0);
	assert_int_equal(dec.reason, POLICY_E_CLASS_EXCLUDED);
	/* metro excludes JUVENILE only: its STAFF are visible. */
	assert_int_equal(policy_visible(w->ags, w->n, "metro", "STAFF",
	    "district", &dec), 1);
	/* At home everyone is visible. */
	assert_int_equal(policy_visible(w->ags, w->n, "district", "STAFF",
	    "district", &dec), 1);
	assert_int_equal(policy_visible(w->ags, w->n, NULL, "STAFF",
	    "district", &dec), 0);
	assert_int_equal(dec.reason, POLICY_E_UNKNOWN_PARTNER);
}

static void
test_withheld_collection_refused(void **state)
{
	struct world		*w = *state;
	struct policy_decision	 dec;

	decide(w, POLICY_OP_CHECKOUT, "metro", &student, &metro_explicit,
	    &dec);
	assert_denied(&dec, POLICY_E_COLLECTION_WITHHELD,
	    "collection-withheld", METRO " does not lend this collection to "
	    DISTRICT " patrons.");
	decide(w, POLICY_OP_HOLD, "district", &student, &metro_explicit,
	    &dec);
	assert_int_equal(dec.reason, POLICY_E_COLLECTION_WITHHELD);
	decide(w, POLICY_OP_RENEW, "metro", &student, &metro_explicit, &dec);
	assert_int_equal(dec.reason, POLICY_E_COLLECTION_WITHHELD);
	/* Returning it, or asking about it, is not lending it. */
	assert_int_equal(decide(w, POLICY_OP_CHECKIN, "district", &student,
	    &metro_explicit, &dec), 1);
	assert_int_equal(decide(w, POLICY_OP_ITEM_INFO, "district", NULL,
	    &metro_explicit, &dec), 1);
	assert_int_equal(decide(w, POLICY_OP_HOLD_CANCEL, "metro", &student,
	    &metro_explicit, &dec), 1);
	/* metro's own patrons are not concerned. */
	assert_int_equal(decide(w, POLICY_OP_CHECKOUT, "district",
	    &metro_adult, &metro_explicit, &dec), 1);
}

static void
test_withheld_item_facts_missing_refused(void **state)
{
	struct world		*w = *state;
	struct policy_decision	 dec;
	struct policy_item	 bare = { "metro", NULL, "book", "MAIN" };

	decide(w, POLICY_OP_HOLD, "metro", &student, &bare, &dec);
	assert_denied(&dec, POLICY_E_ITEM_FACTS, "item-facts-missing",
	    METRO " cannot tell whether this item may go to " DISTRICT
	    " patrons.");
	/* district withholds nothing: a metro adult needs no facts. */
	bare.owner = "district";
	w->district.link = 1;
	assert_int_equal(decide(w, POLICY_OP_HOLD, "metro", &metro_adult,
	    &bare, &dec), 1);
}

static void
test_link_classes(void **state)
{
	struct world		*w = *state;
	struct policy_decision	 dec;

	assert_int_equal(policy_link(w->ags, w->n, &student, "metro", &dec),
	    1);
	assert_allowed(&dec);
	assert_int_equal(policy_link(w->ags, w->n, &former_student, "metro",
	    &dec), 0);
	assert_denied(&dec, POLICY_E_NO_LINK, "no-link", METRO " does not "
	    "lend to this group of " DISTRICT " patrons.");
	/* district gives metro's patrons no accounts at all. */
	assert_int_equal(policy_link(w->ags, w->n, &metro_adult, "district",
	    &dec), 0);
	assert_denied(&dec, POLICY_E_NO_LINK, "no-link", DISTRICT " does not "
	    "lend to " METRO " patrons.");
	/* The home account is no link. */
	assert_int_equal(policy_link(w->ags, w->n, &metro_adult, "metro",
	    &dec), 1);
	assert_int_equal(policy_link(w->ags, w->n, NULL, "metro", &dec), 0);
	assert_int_equal(dec.reason, POLICY_E_UNKNOWN_PARTNER);
}

static void
test_lending_needs_a_link(void **state)
{
	struct world		*w = *state;
	struct policy_decision	 dec;

	decide(w, POLICY_OP_CHECKOUT, "metro", &former_student, &metro_book,
	    &dec);
	assert_int_equal(dec.reason, POLICY_E_NO_LINK);
	decide(w, POLICY_OP_CHECKOUT, "district", &metro_adult,
	    &district_book, &dec);
	assert_denied(&dec, POLICY_E_NO_LINK, "no-link", NULL);
	/* Status needs no account there. */
	assert_int_equal(decide(w, POLICY_OP_PATRON_STATUS, "metro",
	    &former_student, NULL, &dec), 1);
}

static void
test_combined_loan_limit(void **state)
{
	struct world		*w = *state;
	struct policy_decision	 dec;
	struct policy_patron	 pt = student;

	pt.loans = 9;
	assert_int_equal(decide(w, POLICY_OP_CHECKOUT, "metro", &pt,
	    &metro_book, &dec), 1);
	pt.loans = 10;
	decide(w, POLICY_OP_CHECKOUT, "metro", &pt, &metro_book, &dec);
	assert_denied(&dec, POLICY_E_LOAN_LIMIT, "loan-limit", "The limit "
	    "of 10 loans at " METRO " and " DISTRICT " together is "
	    "reached.");
	/* A renewal adds no loan; holds have no limit here. */
	assert_int_equal(decide(w, POLICY_OP_RENEW, "metro", &pt,
	    &metro_book, &dec), 1);
	pt.holds = 500;
	assert_int_equal(decide(w, POLICY_OP_HOLD, "metro", &pt,
	    &metro_book, &dec), 1);
}

static void
test_combined_hold_limit(void **state)
{
	struct world		*w = *state;
	struct policy_decision	 dec;
	struct policy_patron	 pt = student;

	w->metro.limits[0].holds = 5;
	pt.holds = 4;
	assert_int_equal(decide(w, POLICY_OP_HOLD, "metro", &pt,
	    &metro_book, &dec), 1);
	pt.holds = 5;
	decide(w, POLICY_OP_HOLD, "metro", &pt, &metro_book, &dec);
	assert_denied(&dec, POLICY_E_HOLD_LIMIT, "hold-limit", "The limit "
	    "of 5 holds at " METRO " and " DISTRICT " together is reached.");
	/* A zero limit refuses the first one. */
	w->metro.limits[0].loans = 0;
	pt.loans = 0;
	decide(w, POLICY_OP_CHECKOUT, "metro", &pt, &metro_book, &dec);
	assert_int_equal(dec.reason, POLICY_E_LOAN_LIMIT);
}

static void
test_limits_applying(void **state)
{
	struct world		*w = *state;
	struct policy_limits	 lim;

	assert_int_equal(policy_limits(w->ags, w->n, &student, "metro",
	    &lim), 1);
	assert_int_equal(lim.loans, 10);
	assert_int_equal(lim.holds, -1);
	/* district sets none for metro's patrons; home has none. */
	assert_int_equal(policy_limits(w->ags, w->n, &metro_adult,
	    "district", &lim), 0);
	assert_int_equal(lim.loans, -1);
	assert_int_equal(policy_limits(w->ags, w->n, &student, "district",
	    &lim), 0);
	assert_int_equal(policy_limits(w->ags, w->n, &former_student,
	    "metro", &lim), 0);
	assert_int_equal(lim.holds, -1);
}

static void
test_fines_owed_elsewhere_are_informational(void **state)
{
	struct world		*w = *state;
	struct policy_decision	 dec;
	struct policy_request	 req;

	memset(&req, 0, sizeof(req));
	req.op = POLICY_OP_FEE;
	req.serving = "metro";
	req.patron = &metro_adult;
	req.fee_owner = "district";
	/* Even a metro patron at metro cannot pay district's fine. */
	assert_int_equal(policy_check(w->ags, w->n, &req, &dec), 0);
	assert_denied(&dec, POLICY_E_FEE_OTHER_PARTNER, "fee-other-partner",
	    "This fine is owed to " DISTRICT " and can only be paid there.");
	/* A district student pays metro's fine at metro. */
	req.patron = &student;
	req.fee_owner = "metro";
	assert_int_equal(policy_check(w->ags, w->n, &req, &dec), 1);
	/* Without an owner, the fine is the home's. */
	req.fee_owner = NULL;
	assert_int_equal(policy_check(w->ags, w->n, &req, &dec), 0);
	assert_int_equal(dec.reason, POLICY_E_FEE_OTHER_PARTNER);
	req.serving = "district";
	assert_int_equal(policy_check(w->ags, w->n, &req, &dec), 1);
}

static void
test_blocked_or_expired_refused_elsewhere(void **state)
{
	struct world		*w = *state;
	struct policy_decision	 dec;
	struct policy_patron	 pt = student;

	pt.blocked = 1;
	decide(w, POLICY_OP_CHECKOUT, "metro", &pt, &metro_book, &dec);
	assert_denied(&dec, POLICY_E_PATRON_BLOCKED, "patron-blocked",
	    DISTRICT " reports this card as blocked.");
	decide(w, POLICY_OP_HOLD, "metro", &pt, &metro_book, &dec);
	assert_int_equal(dec.reason, POLICY_E_PATRON_BLOCKED);
	/* Status still shows; a hold may be cancelled. */
	assert_int_equal(decide(w, POLICY_OP_PATRON_STATUS, "metro", &pt,
	    NULL, &dec), 1);
	assert_int_equal(decide(w, POLICY_OP_HOLD_CANCEL, "metro", &pt,
	    &metro_book, &dec), 1);
	pt.blocked = 0;
	pt.expired = 1;
	decide(w, POLICY_OP_RENEW, "metro", &pt, &metro_book, &dec);
	assert_denied(&dec, POLICY_E_PATRON_EXPIRED, "patron-expired",
	    DISTRICT " reports this card as expired.");
}

static void
test_patron_record_changed_only_at_home(void **state)
{
	struct world		*w = *state;
	struct policy_decision	 dec;

	decide(w, POLICY_OP_PATRON_UPDATE, "metro", &student, NULL, &dec);
	assert_denied(&dec, POLICY_E_NOT_HOME, "not-home", "Only " DISTRICT
	    " can change the records of its patrons.");
	/* A card retained elsewhere is reported to the home. */
	assert_int_equal(decide(w, POLICY_OP_BLOCK_PATRON, "metro", &student,
	    NULL, &dec), 1);
}

static void
test_return_anywhere(void **state)
{
	struct world		*w = *state;
	struct policy_decision	 dec;

	assert_int_equal(decide(w, POLICY_OP_CHECKIN, "metro", NULL,
	    &district_book, &dec), 1);
	assert_allowed(&dec);
	assert_int_equal(decide(w, POLICY_OP_CHECKIN, "district", NULL,
	    &metro_book, &dec), 1);
}

static void
test_every_pair_of_parties_needs_an_agreement(void **state)
{
	struct world		*w = *state;
	struct policy_decision	 dec;
	struct policy_item	 county_book = { "county", "FIC", "book",
				    "TOWN" };

	/* metro and county are not active, so no county item at metro. */
	decide(w, POLICY_OP_CHECKOUT, "metro", &metro_adult, &county_book,
	    &dec);
	assert_int_equal(dec.reason, POLICY_E_NOT_ACCEPTED);
	/* Once they are, a district student still needs district-county. */
	w->county.accept = 1;
	w->county.link = 1;
	assert_int_equal(decide(w, POLICY_OP_CHECKIN, "metro", NULL,
	    &county_book, &dec), 1);
	decide(w, POLICY_OP_CHECKOUT, "metro", &student, &county_book, &dec);
	assert_denied(&dec, POLICY_E_NO_AGREEMENT, "no-agreement",
	    DISTRICT " and county have no agreement.");
}

static void
test_unknown_party_refused(void **state)
{
	struct world		*w = *state;
	struct policy_decision	 dec;
	struct policy_patron	 homeless = { NULL, "ADULT", 0, 0, 0, 0 };
	struct policy_item	 ownerless = { NULL, "FIC", NULL, NULL };

	decide(w, POLICY_OP_CHECKOUT, NULL, &student, &metro_book, &dec);
	assert_denied(&dec, POLICY_E_UNKNOWN_PARTNER, "unknown-partner",
	    "The library system of this request is not known.");
	decide(w, POLICY_OP_CHECKOUT, "metro", &homeless, &metro_book, &dec);
	assert_int_equal(dec.reason, POLICY_E_UNKNOWN_PARTNER);
	decide(w, POLICY_OP_CHECKIN, "metro", NULL, &ownerless, &dec);
	assert_int_equal(dec.reason, POLICY_E_UNKNOWN_PARTNER);
}

static void
test_share_demo(void **state)
{
	struct world		*w = *state;
	struct policy_decision	 dec;
	struct policy_share	 share;

	/* district's data toward metro: no address, phone, birth; counts. */
	assert_int_equal(policy_share(w->ags, w->n, "district", "metro",
	    &share, &dec), 1);
	assert_allowed(&dec);
	assert_int_equal(share.withheld, POLICY_F_ADDRESS | POLICY_F_PHONE |
	    POLICY_F_BIRTH);
	assert_int_equal(share.titles, 0);
	/* metro's toward district: the same fields, but titles. */
	assert_int_equal(policy_share(w->ags, w->n, "metro", "district",
	    &share, &dec), 1);
	assert_int_equal(share.withheld, POLICY_F_ADDRESS | POLICY_F_PHONE |
	    POLICY_F_BIRTH);
	assert_int_equal(share.titles, 1);
	/* Name and e-mail leave. */
	assert_int_equal(share.withheld & (POLICY_F_NAME | POLICY_F_EMAIL),
	    0);
	/* At home everything stays. */
	assert_int_equal(policy_share(w->ags, w->n, "metro", "metro",
	    &share, &dec), 1);
	assert_int_equal(share.withheld, 0);
	assert_int_equal(share.titles, 1);
	/* Without an active agreement nothing leaves. */
	assert_int_equal(policy_share(w->ags, w->n, "metro", "county",
	    &share, &dec), 0);
	assert_int_equal(dec.reason, POLICY_E_NOT_ACCEPTED);
	assert_int_equal(share.withheld, POLICY_F_ALL);
	assert_int_equal(share.titles, 0);
	assert_int_equal(policy_share(w->ags, w->n, NULL, "metro", &share,
	    &dec), 0);
	assert_int_equal(dec.reason, POLICY_E_UNKNOWN_PARTNER);
}

static void
test_names_fall_back_to_ids(void **state)
{
	struct world		*w = *state;
	struct policy_decision	 dec;

	w->ags[0].side[0].name = NULL;
	w->ags[1].side[1].name = NULL;
	decide(w, POLICY_OP_CHECKOUT, "metro", &student, &metro_explicit,
	    &dec);
	assert_string_equal(dec.message, "metro does not lend this "
	    "collection to " DISTRICT " patrons.");
}

static void
test_message_fits(void **state)
{
	struct world		*w = *state;
	struct policy_decision	 dec;
	char			 longname[400];

	memset(longname, 'M', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	w->ags[0].side[0].name = longname;
	w->ags[1].side[1].name = longname;
	decide(w, POLICY_OP_CHECKOUT, "metro", &student, &metro_explicit,
	    &dec);
	assert_int_equal(dec.reason, POLICY_E_COLLECTION_WITHHELD);
	assert_int_equal(strlen(dec.message), POLICY_MESSAGE_MAX - 1);
}

/* Each task and the permissions that allow it, one at a time. */
static void
test_staff_needs_per_task(void **state)
{
	static const struct {
		enum policy_task	 task;
		int			 needs;
	} want[] = {
		{ POLICY_TASK_CIRCULATION, POLICY_STAFF_CIRCULATION },
		{ POLICY_TASK_PATRON, POLICY_STAFF_CIRCULATION },
		{ POLICY_TASK_FEE, POLICY_STAFF_FINES },
		{ POLICY_TASK_ITEM_INFO, POLICY_STAFF_CIRCULATION |
		    POLICY_STAFF_CATALOGING | POLICY_STAFF_INVENTORY },
		{ POLICY_TASK_ITEM_UPDATE, POLICY_STAFF_CATALOGING |
		    POLICY_STAFF_INVENTORY },
	};
	struct policy_decision	 dec;
	size_t			 i;
	int			 bit;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(policy_staff_needs(want[i].task),
		    want[i].needs);
		for (bit = 1; bit <= POLICY_STAFF_ALL; bit <<= 1)
			assert_int_equal(policy_staff_allows(bit, want[i].task,
			    METRO, &dec), (bit & want[i].needs) != 0);
		assert_int_equal(policy_staff_allows(POLICY_STAFF_ALL,
		    want[i].task, METRO, &dec), 1);
		assert_int_equal(dec.reason, POLICY_OK);
		assert_string_equal(dec.audit, "allowed");
		assert_int_equal(policy_staff_allows(0, want[i].task, METRO,
		    &dec), 0);
		assert_int_equal(dec.reason, POLICY_E_STAFF_PERMISSION);
	}
	/* Reports alone allow nothing a desk sends. */
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(policy_staff_allows(POLICY_STAFF_REPORTS,
		    want[i].task, METRO, &dec), 0);
}

static void
test_staff_refusal_names_what_is_missing(void **state)
{
	struct policy_decision	 dec;

	assert_int_equal(policy_staff_allows(POLICY_STAFF_CIRCULATION,
	    POLICY_TASK_FEE, METRO, &dec), 0);
	assert_string_equal(dec.audit, "staff-permission");
	assert_string_equal(dec.message, "Fee payments at " METRO " need the "
	    "fines permission; you do not hold it there.");
	assert_int_equal(policy_staff_allows(POLICY_STAFF_FINES |
	    POLICY_STAFF_REPORTS, POLICY_TASK_ITEM_UPDATE, DISTRICT, &dec), 0);
	assert_string_equal(dec.message, "Item status updates at " DISTRICT
	    " need the cataloging or inventory permission; you do not hold "
	    "it there.");
}

static void
test_staff_unknown_task_refused(void **state)
{
	struct policy_decision	 dec;

	assert_int_equal(policy_staff_needs((enum policy_task)99), 0);
	assert_int_equal(policy_staff_allows(POLICY_STAFF_ALL,
	    (enum policy_task)99, METRO, &dec), 0);
	assert_int_equal(dec.reason, POLICY_E_STAFF_PERMISSION);
	assert_string_equal(dec.message, "Staff may not do that at " METRO
	    ".");
}

static void
test_staff_names(void **state)
{
	char	 buf[64], tiny[8];

	assert_string_equal(policy_staff_names(POLICY_STAFF_ALL, ",", buf,
	    sizeof(buf)), "circulation,fines,cataloging,reports,inventory");
	assert_string_equal(policy_staff_names(POLICY_STAFF_INVENTORY |
	    POLICY_STAFF_CIRCULATION, "|", buf, sizeof(buf)),
	    "circulation|inventory");
	assert_string_equal(policy_staff_names(0, ",", buf, sizeof(buf)),
	    "none");
	/* Cut short, still terminated. */
	policy_staff_names(POLICY_STAFF_ALL, ",", tiny, sizeof(tiny));
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_star_and_case),
		cmocka_unit_test(test_terms_defaults),
		T(test_terms_clear_resets),
		T(test_exclude_exact_class_any_case),
		cmocka_unit_test(test_withhold_by_collection_type_location),
		cmocka_unit_test(test_withhold_needs_the_facts_it_names),
		T(test_links_all_some_or_none),
		T(test_limit_by_class),
		T(test_agreement_find_either_order),
		T(test_active_needs_both_and_no_revocation),
		T(test_local_requests_always_allowed),
		T(test_visiting_student_checkout_allowed),
		T(test_revoked_denies_every_cross_partner_call),
		T(test_revoked_by_metro_names_metro),
		T(test_not_accepted_denies),
		T(test_no_agreement_denies),
		T(test_excluded_class_is_unknown_there),
		T(test_visible),
		T(test_withheld_collection_refused),
		T(test_withheld_item_facts_missing_refused),
		T(test_link_classes),
		T(test_lending_needs_a_link),
		T(test_combined_loan_limit),
		T(test_combined_hold_limit),
		T(test_limits_applying),
		T(test_fines_owed_elsewhere_are_informational),
		T(test_blocked_or_expired_refused_elsewhere),
		T(test_patron_record_changed_only_at_home),
		T(test_return_anywhere),
		T(test_every_pair_of_parties_needs_an_agreement),
		T(test_unknown_party_refused),
		T(test_share_demo),
		T(test_names_fall_back_to_ids),
		T(test_message_fits),
		cmocka_unit_test(test_staff_needs_per_task),
		cmocka_unit_test(test_staff_refusal_names_what_is_missing),
		cmocka_unit_test(test_staff_unknown_task_refused),
		cmocka_unit_test(test_staff_names),
	};

	return (cmocka_run_group_tests_name("policy", tests, NULL, NULL));
}
