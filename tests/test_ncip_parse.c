/* SPDX-License-Identifier: ISC */
/*
 * Tests of reading NCIP: every service's request and response in every
 * dialect peers send (default namespace, prefixed, qualified or not, no
 * namespace, version 1 with a DOCTYPE), read into the right fields.
 */

#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ncip.h"
#include "test_ncip_util.h"

/* A string field holds exactly this. */
#define S(a, b) do {							\
	const char *s_ = (a);						\
	if (s_ == NULL)							\
		fail_msg("%s is NULL, wanted \"%s\"", #a, (b));		\
	assert_string_equal(s_, (b));					\
} while (0)

/* 2024-03-22T23:59:00Z and friends, as time_t. */
#define T_20240322_2359	((time_t)1711151940)
#define T_20240228_1015	((time_t)1709115300)
#define T_20090514	((time_t)1242259200)

static char *
sample_path(const char *dir, const char *name, char *buf, size_t len)
{
	(void)snprintf(buf, len, "%s/%s.xml", dir, name);
	return (buf);
}

static void
test_parse_every_sample_in_default_namespace(void **state)
{
	struct ncip_msg	*m;
	char		 path[256];
	size_t		 i;

	for (i = 0; i < nsamples; i++) {
		m = util_parse_file(sample_path("v2", samples[i].file, path,
		    sizeof(path)));
		assert_int_equal(m->service, samples[i].service);
		assert_int_equal(m->dialect.version, 2);
		assert_int_equal(m->dialect.ns, NCIP_NSS_DEFAULT);
		assert_int_equal(m->dialect.qualified_attrs, 0);
		S(m->version_str, NCIP_V2_02);
		assert_ptr_equal(m->dialect.version_str, m->version_str);
		assert_null(ncip_msg_missing(m));
		ncip_msg_free(m);
	}
}

static void
test_parse_lookup_user_request(void **state)
{
	struct ncip_msg	*m = util_parse_file("v2/LookupUser.xml");

	assert_true(m->header.present);
	S(m->header.from_agency.value, "DISTRICT");
	S(m->header.to_agency.value, "METRO");
	S(m->header.profile.value, "CIRCLINK-DISTRICT");
	assert_null(m->user_id.value);
	assert_int_equal(m->nauth, 2);
	S(m->auth[0].data, "21000012345678");
	assert_int_equal(ncip_auth_kind(&m->auth[0]), NCIP_AUTH_BARCODE);
	S(m->auth[0].format.value, "text/plain");
	S(m->auth[0].format.scheme,
	    "http://www.iana.org/assignments/media-types");
	S(m->auth[1].data, "4321");
	assert_int_equal(ncip_auth_kind(&m->auth[1]), NCIP_AUTH_PIN);
	assert_int_equal(m->nuser_elements, 5);
	S(m->user_elements[0].scheme, "http://www.niso.org/ncip/v1_0/schemes/"
	    "userelementtype/userelementtype.scm");
	assert_int_equal(ncip_user_element_mask(m), NCIP_UE_NAME |
	    NCIP_UE_ADDRESS | NCIP_UE_PRIVILEGE | NCIP_UE_BLOCK |
	    NCIP_UE_BIRTH);
	assert_true(m->loans_desired);
	assert_true(m->holds_desired);
	assert_true(m->account_desired);
	ncip_msg_free(m);
}

static void
test_parse_lookup_user_response_accounts_loans_holds(void **state)
{
	struct ncip_msg			*m;
	const struct ncip_account	*a;
	const struct ncip_fiscal	*tx;
	const struct ncip_loan		*l;
	const struct ncip_hold		*h;

	m = util_parse_file("v2/LookupUserResponse.xml");
	S(m->user_id.value, "21000012345678");
	S(m->user_id.agency.value, "METRO");
	S(m->user_id.type.value, "Barcode");

	assert_int_equal(m->naccounts, 1);
	a = &m->accounts[0];
	assert_true(a->balance.set);
	S(a->balance.currency.value, "USD");
	assert_true(a->balance.value == 250);
	assert_int_equal(a->ndetails, 1);
	assert_true(a->details[0].accrual.set);
	tx = &a->details[0].tx;
	S(tx->action.value, "Assess");
	S(tx->type.value, "Overdue Fine");
	S(tx->ref_id, "FINE-88121");
	S(tx->ref_agency.value, "METRO");
	assert_true(tx->amount.set && tx->amount.value == 250);
	S(tx->description, "Overdue: returned 5 days late");
	assert_true(tx->has_item);
	S(tx->item_id.value, "31000000000123");
	S(tx->item_bib.title, "The Left Hand of Darkness");
	assert_true(tx->item_date_due.set);

	assert_int_equal(m->nloan_counts, 1);
	assert_int_equal(m->loan_counts[0].by, NCIP_COUNT_CIRC_STATUS);
	S(m->loan_counts[0].code.value, "On Loan");
	assert_int_equal(m->loan_counts[0].value, 2);
	assert_int_equal(m->nloans, 2);
	l = &m->loans[0];
	S(l->item_id.value, "31000000000456");
	assert_int_equal(l->reminder_level, 0);
	assert_true(l->date_due.set);
	assert_true(l->date_due.t == T_20240322_2359);
	assert_true(l->amount.set && l->amount.value == 0);
	S(l->title, "A Wizard of Earthsea");
	S(l->medium.value, "Book");
	l = &m->loans[1];
	assert_int_equal(l->nbib_ids, 1);
	assert_int_equal(l->bib_ids[0].kind, NCIP_BIBID_ITEM);
	S(l->bib_ids[0].value, "9780441478125");
	S(l->bib_ids[0].code.value, "ISBN");
	assert_int_equal(l->reminder_level, 1);
	assert_false(l->amount.set);

	assert_int_equal(m->nhold_counts, 1);
	assert_int_equal(m->hold_counts[0].by, NCIP_COUNT_REQUEST_TYPE);
	assert_int_equal(m->hold_counts[0].value, 1);
	assert_int_equal(m->nholds, 1);
	h = &m->holds[0];
	S(h->request_id.value, "HOLD-55012");
	S(h->item_id.value, "31000000000999");
	assert_int_equal(h->nbib_ids, 1);
	assert_int_equal(h->bib_ids[0].kind, NCIP_BIBID_RECORD);
	S(h->bib_ids[0].code.value, "OCLC");
	S(h->type.value, "Hold");
	S(h->status.value, "Available For Pickup");
	assert_true(h->date_placed.set && h->date_placed.t ==
	    T_20240228_1015);
	assert_true(h->pickup_date.set && h->pickup_expiry.set);
	S(h->pickup_location.value, "LINCOLN");
	assert_int_equal(h->queue_position, 1);
	assert_int_equal(h->reminder_level, -1);
	S(h->title, "The Lathe of Heaven");
	ncip_msg_free(m);
}

static void
test_parse_lookup_user_response_user_fields(void **state)
{
	struct ncip_msg			*m;
	const struct ncip_user_fields	*f;

	m = util_parse_file("v2/LookupUserResponse.xml");
	f = &m->user;
	assert_true(f->present);
	assert_true(f->name.present);
	S(f->name.given, "Jane");
	S(f->name.surname, "Doe");
	assert_int_equal(f->naddresses, 3);
	assert_int_equal(f->addresses[0].kind, NCIP_ADDR_PHYSICAL);
	S(f->addresses[0].role.value, "Home");
	S(f->addresses[0].street, "12 Main St");
	S(f->addresses[0].locality, "Springfield");
	S(f->addresses[0].region, "IL");
	S(f->addresses[0].country, "US");
	S(f->addresses[0].postal_code, "62701");
	S(f->addresses[0].physical_type.value, "Postal Address");
	assert_int_equal(f->addresses[1].kind, NCIP_ADDR_ELECTRONIC);
	S(f->addresses[1].electronic_type.value, "mailto");
	S(f->addresses[1].electronic, "jane.doe@example.org");
	S(f->addresses[2].electronic_type.value, "tel");
	S(f->addresses[2].electronic, "555-0100");
	assert_true(f->birth.set && f->birth.t == T_20090514);
	assert_int_equal(f->nlanguages, 1);
	S(f->languages[0].value, "eng");
	assert_int_equal(f->nprivileges, 2);
	S(f->privileges[0].agency.value, "METRO");
	S(f->privileges[0].type.value, "STUDENT");
	assert_true(f->privileges[0].valid_from.set);
	assert_true(f->privileges[0].valid_to.set);
	S(f->privileges[0].status.value, "ACTIVE");
	S(f->privileges[0].description, "K-12 student card");
	S(f->privileges[1].type.value, "STATUS");
	assert_true(f->privileges[1].status_date.set);
	assert_int_equal(f->nblocks, 1);
	S(f->blocks[0].type.value, "Fines Over Limit");
	assert_int_equal(f->nuser_ids, 1);
	S(f->user_ids[0].value, "S-778812");
	S(f->user_ids[0].type.value, "Institution Id");
	assert_int_equal(f->nprevious_ids, 1);
	S(f->previous_ids[0].value, "21000011110000");
	assert_true(f->previous_ids[0].valid_to.set);

	/* A block in force wins over an ACTIVE status. */
	assert_int_equal(ncip_user_status(f, T_20240322_2359),
	    NCIP_USER_BLOCKED);
	assert_int_equal(ncip_user_status(f, T_20090514), NCIP_USER_ACTIVE);
	ncip_msg_free(m);
}

/* LookupItemSet by BibliographicId, and its answer per title and set. */
static void
test_parse_lookup_item_set(void **state)
{
	struct ncip_msg			*m;
	const struct ncip_bib_info	*bi;
	const struct ncip_holdings	*h;

	m = util_parse_file("v2/LookupItemSet.xml");
	assert_int_equal(m->nbib_ids, 1);
	assert_int_equal(m->bib_ids[0].kind, NCIP_BIBID_ITEM);
	S(m->bib_ids[0].value, "9780547773742");
	S(m->bib_ids[0].code.value, "ISBN");
	assert_int_equal(m->max_items, 20);
	ncip_msg_free(m);

	m = util_parse_file("v2/LookupItemSetResponse.xml");
	assert_int_equal(m->nbib_infos, 2);
	bi = &m->bib_infos[0];
	S(bi->bib_id.value, "9780547773742");
	assert_true(bi->has_bib);
	S(bi->bib.title, "A Wizard of Earthsea");
	assert_int_equal(bi->nproblems, 0);
	assert_int_equal(bi->nholdings, 2);
	h = &bi->holdings[0];
	S(h->id, "METRO");
	assert_int_equal(h->ncopies, 2);
	S(h->copies[0].item_id.value, "31000000000456");
	S(h->copies[0].item.circ_status.value, "Available On Shelf");
	/* The set's call number, unless the copy has its own. */
	S(h->copies[0].item.call_number, "J FIC LEGUIN");
	S(h->copies[1].item.call_number, "J FIC LEGUIN c.2");
	assert_int_equal(h->copies[0].item.nlocations, 1);
	S(h->copies[0].item.locations[0].names[1].value, "EAST");
	h = &bi->holdings[1];
	S(h->id, "NORTH");
	assert_int_equal(h->ncopies, 0);
	assert_non_null(h->problem);
	assert_int_equal(h->problem->kind, NCIP_PT_TEMPORARY_FAILURE);
	bi = &m->bib_infos[1];
	assert_int_equal(bi->bib_id.kind, NCIP_BIBID_RECORD);
	S(bi->bib_id.value, "b7650012");
	assert_int_equal(bi->nholdings, 0);
	assert_int_equal(bi->nproblems, 2);
	assert_int_equal(bi->problems[0].kind, NCIP_PT_UNKNOWN_ITEM);
	assert_int_equal(bi->problems[1].kind, NCIP_PT_UNSUPPORTED_SERVICE);
	ncip_msg_free(m);
}

static void
test_parse_lookup_item_response(void **state)
{
	struct ncip_msg			*m;
	const struct ncip_item_fields	*f;

	m = util_parse_file("v2/LookupItemResponse.xml");
	f = &m->item;
	S(m->item_id.value, "31000000000456");
	assert_true(f->present && f->has_bib);
	S(f->bib.author, "Le Guin, Ursula K.");
	S(f->bib.item_id.value, "9780547773742");
	S(f->bib.item_id.code.value, "ISBN");
	assert_int_equal(f->bib.nrecord_ids, 1);
	S(f->bib.record_ids[0].value, "b1234567");
	S(f->bib.record_ids[0].agency.value, "METRO");
	S(f->bib.publication_date, "2012");
	S(f->bib.publisher, "Houghton Mifflin Harcourt");
	S(f->bib.title, "A Wizard of Earthsea");
	S(f->bib.medium.value, "Book");
	S(f->circ_status.value, "On Loan");
	assert_int_equal(f->hold_queue_length, 2);
	S(f->call_number, "J FIC LEGUIN");
	S(f->copy_number, "c.2");
	assert_int_equal(f->nlocations, 1);
	S(f->locations[0].type.value, "Permanent");
	assert_int_equal(f->locations[0].nnames, 2);
	assert_int_equal(f->locations[0].names[1].level, 2);
	S(f->locations[0].names[1].value, "EAST");
	assert_true(f->date_due.set && f->date_due.t == T_20240322_2359);
	ncip_msg_free(m);

	m = util_parse_file("v2/LookupItem.xml");
	S(m->item_id.value, "31000000000456");
	assert_int_equal(ncip_item_element_mask(m), NCIP_IE_BIB |
	    NCIP_IE_CIRC_STATUS | NCIP_IE_LOCATION);
	ncip_msg_free(m);
}

static void
test_parse_checkout_and_checkin(void **state)
{
	struct ncip_msg	*m;

	m = util_parse_file("v2/CheckOutItem.xml");
	S(m->user_id.value, "21000012345678");
	S(m->item_id.value, "31000000000456");
	S(m->request_id.value, "HOLD-55012");
	assert_true(m->desired_date_due.set);
	ncip_msg_free(m);

	m = util_parse_file("v2/CheckOutItemResponse.xml");
	assert_true(m->date_due.set && m->date_due.t == T_20240322_2359);
	assert_int_equal(m->renewal_count, 0);
	assert_int_equal(m->nproblems, 0);
	ncip_msg_free(m);

	m = util_parse_file("v2/CheckInItemResponse.xml");
	S(m->item_id.value, "32000000004242");
	S(m->user_id.value, "22000098765432");
	assert_true(m->routing.present);
	S(m->routing.instructions, "Route to LINCOLN: hold for another "
	    "student");
	S(m->routing.bin, "7");
	S(m->routing.destination.type.value, "Current");
	assert_int_equal(m->routing.destination.nnames, 2);
	S(m->routing.destination.names[0].value, "DISTRICT");
	S(m->routing.destination.names[1].value, "LINCOLN");
	S(m->routing.request_type.value, "Hold");
	S(m->item.bib.title, "Hatchet");
	ncip_msg_free(m);
}

static void
test_parse_renew_with_password_and_pending(void **state)
{
	struct ncip_msg	*m;

	m = util_parse_file("v2/RenewItem.xml");
	assert_int_equal(m->nauth, 2);
	assert_int_equal(ncip_auth_kind(&m->auth[1]), NCIP_AUTH_PASSWORD);
	S(m->auth[1].data, "s3cret-pw");
	assert_true(m->desired_date_due.set);
	ncip_msg_free(m);

	m = util_parse_file("v2/RenewItemResponse.xml");
	assert_false(m->pending);
	assert_int_equal(m->renewal_count, 1);
	ncip_msg_free(m);

	m = util_parse_file("v2/RenewItemResponse-pending.xml");
	assert_true(m->pending);
	assert_true(m->expected_reply.set);
	assert_null(m->item_id.value);
	ncip_msg_free(m);
}

static void
test_parse_request_and_cancel(void **state)
{
	struct ncip_msg	*m;

	m = util_parse_file("v2/RequestItem.xml");
	assert_null(m->item_id.value);
	assert_int_equal(m->nbib_ids, 2);
	assert_int_equal(m->bib_ids[0].kind, NCIP_BIBID_RECORD);
	S(m->bib_ids[0].value, "b1234567");
	S(m->bib_ids[0].code.value, "SYSNUMBER");
	assert_int_equal(m->bib_ids[1].kind, NCIP_BIBID_ITEM);
	S(m->bib_ids[1].code.value, "ISBN");
	S(m->request_id.value, "CL-2024-000117");
	S(m->request_type.value, "Hold");
	S(m->request_scope.value, "Bibliographic Item");
	S(m->pickup_location.value, "LINCOLN");
	assert_true(m->pickup_expiry.set);
	ncip_msg_free(m);

	m = util_parse_file("v2/RequestItem-items.xml");
	S(m->item_id.value, "31000000000456");
	assert_int_equal(m->nmore_item_ids, 1);
	S(m->more_item_ids[0].value, "31000000000457");
	S(m->request_type.value, "Page");
	ncip_msg_free(m);

	m = util_parse_file("v2/RequestItemResponse.xml");
	S(m->request_id.value, "HOLD-55013");
	assert_true(m->date_available.set);
	ncip_msg_free(m);

	m = util_parse_file("v2/CancelRequestItem.xml");
	S(m->request_id.value, "HOLD-55013");
	S(m->request_type.value, "Hold");
	ncip_msg_free(m);
}

static void
test_parse_accept_item(void **state)
{
	struct ncip_msg	*m = util_parse_file("v2/AcceptItem.xml");

	S(m->request_id.value, "HOLD-55013");
	S(m->requested_action.value, "Hold For Pickup");
	S(m->user_id.value, "22000098765432");
	S(m->item_id.value, "31000000000456");
	assert_true(m->date_for_return.set);
	assert_true(m->item.present);
	S(m->item.bib.author, "Le Guin, Ursula K.");
	S(m->pickup_location.value, "LINCOLN");
	assert_true(m->pickup_expiry.set);
	ncip_msg_free(m);

	m = util_parse_file("v2/AcceptItemResponse.xml");
	S(m->item_id.value, "TMP-31000000000456");
	ncip_msg_free(m);
}

static void
test_parse_create_and_update_user(void **state)
{
	struct ncip_msg			*m;
	const struct ncip_user_fields	*f;

	m = util_parse_file("v2/CreateUser.xml");
	f = &m->user;
	S(m->user_id.value, "21000055550001");
	S(f->name.given, "Sam");
	S(f->name.initials, "R");
	S(f->name.surname, "Rivera");
	assert_int_equal(f->naddresses, 2);
	S(f->addresses[0].unstructured, "40 Oak Ave\nSpringfield IL 62704");
	S(f->addresses[0].unstructured_type.value, "Newline-Delimited Text");
	S(f->addresses[1].electronic, "sam.rivera@student.example.edu");
	assert_true(f->birth.set);
	S(f->languages[0].value, "spa");
	assert_int_equal(f->nprivileges, 1);
	assert_true(f->privileges[0].fee.set);
	assert_true(f->privileges[0].fee.value == 0);
	ncip_msg_free(m);

	m = util_parse_file("v2/UpdateUser.xml");
	assert_true(m->user_delete.present);
	assert_int_equal(m->user_delete.fields.naddresses, 1);
	assert_int_equal(m->user_delete.fields.nblocks, 1);
	S(m->user_delete.fields.blocks[0].type.value, "Address Unverified");
	assert_true(m->user_add.present);
	assert_int_equal(m->user_add.nauth, 1);
	S(m->user_add.auth[0].data, "9911");
	S(m->user_add.fields.addresses[0].electronic, "srivera@example.net");
	S(m->user_add.fields.languages[0].value, "eng");
	ncip_msg_free(m);
}

static void
test_parse_lookup_version(void **state)
{
	struct ncip_msg	*m;

	m = util_parse_file("v2/LookupVersion.xml");
	assert_false(m->header.present);
	S(m->header.from_agency.value, "DISTRICT");
	S(m->header.to_agency.value, "METRO");
	ncip_msg_free(m);

	m = util_parse_file("v2/LookupVersionResponse.xml");
	assert_int_equal(m->nversions, 2);
	S(m->versions[0], NCIP_V2_02);
	S(m->versions[1], NCIP_V2_0);
	ncip_msg_free(m);
}

static void
test_parse_problems_match_case_insensitively(void **state)
{
	struct ncip_msg	*m;

	m = util_parse_file("v2/CheckOutItemResponse-problem.xml");
	assert_int_equal(m->nproblems, 2);
	assert_int_equal(m->problems[0].kind, NCIP_PT_USER_BLOCKED);
	S(m->problems[0].type.value, "user blocked");
	S(m->problems[0].detail, "Patron owes 2.50 USD");
	S(m->problems[0].element, "UserId");
	S(m->problems[0].value, "21000012345678");
	/* A peer's own string is kept for logs and read as a failure. */
	assert_int_equal(m->problems[1].kind, NCIP_PT_OTHER);
	S(m->problems[1].type.value, "Patron Has Too Many Widgets");
	ncip_msg_free(m);

	m = util_parse_file("v2/Problem.xml");
	assert_int_equal(m->nproblems, 1);
	assert_int_equal(m->problems[0].kind, NCIP_PT_INVALID_MESSAGE_SYNTAX);
	S(m->problems[0].element, "ItemId");
	ncip_msg_free(m);
}

/* Every sample reads the same in every version 2 dialect. */
static void
test_parse_every_dialect_reads_the_same(void **state)
{
	static const struct {
		enum ncip_ns_style	 ns;
		int			 qualified;
	} variants[] = {
		{ NCIP_NSS_DEFAULT, 1 },
		{ NCIP_NSS_PREFIX, 0 },
		{ NCIP_NSS_PREFIX, 1 },
		{ NCIP_NSS_NONE, 0 },
	};
	struct ncip_error	 err;
	struct ncip_msg		*m, *v;
	char			 path[256], *buf, *var, *want, *got;
	size_t			 i, j, len, vlen;

	for (i = 0; i < nsamples; i++) {
		buf = util_load(sample_path("v2", samples[i].file, path,
		    sizeof(path)), &len);
		m = ncip_parse(buf, len, NULL, &err);
		assert_non_null(m);
		want = util_build(m, NULL);
		for (j = 0; j < sizeof(variants) / sizeof(variants[0]); j++) {
			var = util_variant(buf, len, variants[j].ns,
			    variants[j].qualified, &vlen);
			if ((v = ncip_parse(var, vlen, NULL, &err)) == NULL)
				fail_msg("%s variant %zu: %s %s", path, j,
				    err.element, err.detail);
			assert_int_equal(v->dialect.ns, variants[j].ns);
			assert_int_equal(v->dialect.qualified_attrs,
			    variants[j].qualified);
			S(v->version_str, NCIP_V2_02);
			got = util_build(v, NULL);
			if (strcmp(want, got) != 0)
				fail_msg("%s variant %zu reads differently:\n"
				    "%s\n%s", path, j, want, got);
			free(got);
			free(var);
			ncip_msg_free(v);
		}
		free(want);
		free(buf);
		ncip_msg_free(m);
	}
}

static void
test_parse_handwritten_dialects(void **state)
{
	struct ncip_msg	*m;

	m = util_parse_file("dialects/LookupUser-ns1.xml");
	assert_int_equal(m->service, NCIP_LOOKUP_USER);
	assert_int_equal(m->dialect.ns, NCIP_NSS_PREFIX);
	assert_true(m->dialect.qualified_attrs);
	S(m->version_str, "http://www.niso.org/schemas/ncip/v2_0/imp1/xsd/"
	    "ncip_v2_0.xsd");
	S(m->header.from_agency.scheme, "http://www.niso.org/ncip/v1_0/"
	    "schemes/agencyidtype/agencyidtype.scm");
	S(m->user_id.value, "21000012345678");
	assert_int_equal(ncip_user_element_mask(m), NCIP_UE_BLOCK |
	    NCIP_UE_PRIVILEGE);
	ncip_msg_free(m);

	m = util_parse_file("dialects/CheckInItem-nons.xml");
	assert_int_equal(m->dialect.ns, NCIP_NSS_NONE);
	assert_int_equal(m->dialect.version, 2);
	S(m->version_str, "http://www.niso.org/schemas/ncip/v2_01/"
	    "ncip_v2_01.xsd");
	S(m->item_id.value, "31000000000456");
	ncip_msg_free(m);

	/* Prefixed elements, unqualified version, a date with a space. */
	m = util_parse_file("dialects/RenewItemResponse-unqualified-ns1.xml");
	assert_int_equal(m->dialect.ns, NCIP_NSS_PREFIX);
	assert_false(m->dialect.qualified_attrs);
	assert_true(m->date_due.set);
	assert_true(m->date_due.nozone);
	ncip_msg_free(m);
}

/*
 * Every version 1 sample reads, and says what its version 2 twin says as
 * far as version 1 can carry it.
 */
static void
test_parse_version1_samples_match_version2(void **state)
{
	struct ncip_dialect	 d1 = util_dialect(1, NCIP_NSS_NONE, 0);
	struct ncip_msg		*m1, *m2;
	char			 p1[256], p2[256], *b1, *b2;
	size_t			 i;

	for (i = 0; i < nsamples; i++) {
		/* LookupItemSet is version 2 only, LookupVersion apart. */
		if (samples[i].service == NCIP_LOOKUP_VERSION ||
		    samples[i].service == NCIP_LOOKUP_VERSION_RESP ||
		    samples[i].service == NCIP_LOOKUP_ITEM_SET ||
		    samples[i].service == NCIP_LOOKUP_ITEM_SET_RESP)
			continue;
		m1 = util_parse_file(sample_path("v1", samples[i].file, p1,
		    sizeof(p1)));
		assert_int_equal(m1->service, samples[i].service);
		assert_int_equal(m1->dialect.version, 1);
		assert_true(m1->dialect.doctype);
		S(m1->version_str, NCIP_V1_0);
		m2 = util_parse_file(sample_path("v2", samples[i].file, p2,
		    sizeof(p2)));
		b1 = util_build(m1, &d1);
		b2 = util_build(m2, &d1);
		if (strcmp(b1, b2) != 0)
			fail_msg("%s and %s differ:\n%s\n%s", p1, p2, b1, b2);
		free(b1);
		free(b2);
		ncip_msg_free(m1);
		ncip_msg_free(m2);
	}
}

static void
test_parse_version1_user_transaction_and_visible_id(void **state)
{
	struct ncip_msg	*m;

	m = util_parse_file("v1/LookupUserResponse.xml");
	S(m->user_id.value, "21000012345678");
	S(m->user_id.agency.value, "METRO");
	assert_int_equal(m->nloans, 2);
	assert_int_equal(m->nholds, 1);
	S(m->holds[0].request_id.value, "HOLD-55012");
	/* +01:00 and no zone at all both read. */
	assert_true(m->holds[0].date_placed.t == T_20240228_1015);
	assert_true(m->user.birth.set && m->user.birth.nozone);
	assert_true(m->user.birth.t == T_20090514);
	assert_int_equal(m->user.nuser_ids, 1);
	S(m->user.user_ids[0].type.value, "Institution Id");
	S(m->user.user_ids[0].value, "S-778812");
	S(m->accounts[0].balance.currency.scheme, "http://www.bsi-global.com/"
	    "Technical+Information/Publications/_Publications/tig90x.doc");
	ncip_msg_free(m);
}

static void
test_parse_version1_nested_problem(void **state)
{
	struct ncip_msg	*m;

	m = util_parse_file("v1/LookupItemResponse-problem.xml");
	assert_int_equal(m->service, NCIP_LOOKUP_ITEM_RESP);
	assert_int_equal(m->nproblems, 1);
	assert_int_equal(m->problems[0].kind, NCIP_PT_UNKNOWN_ITEM);
	S(m->problems[0].element, "UniqueItemId");
	S(m->problems[0].value, "31000000009999");
	S(m->header.from_agency.scheme, "http://metro.example.org/agencies");
	ncip_msg_free(m);

	m = util_parse_file("v1/Problem.xml");
	assert_int_equal(m->problems[0].kind, NCIP_PT_INVALID_MESSAGE_SYNTAX);
	S(m->problems[0].element, "ItemId");
	ncip_msg_free(m);
}

static void
test_parse_version1_01_checkout(void **state)
{
	struct ncip_msg	*m = util_parse_file("v1/CheckOutItem-v101.xml");

	assert_int_equal(m->dialect.version, 1);
	S(m->version_str, NCIP_V1_01);
	S(m->header.from_agency_auth, "partner-token-7781");
	assert_int_equal(ncip_auth_kind(&m->auth[0]), NCIP_AUTH_USER_ID);
	assert_int_equal(ncip_auth_kind(&m->auth[1]), NCIP_AUTH_PIN);
	S(m->auth[1].data, "8642");
	S(m->item_id.value, "31000000000456");
	assert_true(m->desired_date_due.set);
	ncip_msg_free(m);
}

static void
test_parse_version_inferred_from_ids(void **state)
{
	const char	*doc = "<NCIPMessage><CheckInItem><UniqueItemId>"
	    "<UniqueAgencyId><Scheme/><Value>METRO</Value></UniqueAgencyId>"
	    "<ItemIdentifierValue>31000000000456</ItemIdentifierValue>"
	    "</UniqueItemId></CheckInItem></NCIPMessage>";
	struct ncip_error	 err;
	struct ncip_msg		*m;

	m = ncip_parse(doc, strlen(doc), NULL, &err);
	assert_non_null(m);
	assert_int_equal(m->dialect.version, 1);
	assert_null(m->version_str);
	S(m->item_id.agency.value, "METRO");
	assert_null(m->item_id.agency.scheme);
	ncip_msg_free(m);
}

static void
test_parse_trims_reads_cdata_skips_unknown(void **state)
{
	const char	*doc = "<NCIPMessage version=\"x\"><DeleteItem>"
	    "<Ext><Vendor>1</Vendor></Ext><Surprise>yes</Surprise>"
	    "<ItemId><ItemIdentifierValue>\n  <![CDATA[31&00]]>  \n"
	    "</ItemIdentifierValue><Unknown/></ItemId>"
	    "<foo:ItemId xmlns:foo=\"urn:other\"><foo:ItemIdentifierValue>"
	    "X</foo:ItemIdentifierValue></foo:ItemId>"
	    "</DeleteItem></NCIPMessage>";
	struct ncip_error	 err;
	struct ncip_msg		*m;

	m = ncip_parse(doc, strlen(doc), NULL, &err);
	assert_non_null(m);
	S(m->item_id.value, "31&00");
	/* An element of another namespace is not NCIP's. */
	assert_int_equal(m->nmore_item_ids, 0);
	S(m->version_str, "x");
	ncip_msg_free(m);
}

static void
test_parse_dates_in_peer_forms(void **state)
{
	static const struct {
		const char	*s;
		time_t		 t;
		int		 nozone;
	} ok[] = {
		{ "2024-03-22T23:59:00Z", T_20240322_2359, 0 },
		{ "2024-03-22T23:59:00.000Z", T_20240322_2359, 0 },
		{ "2024-03-23T00:59:00+01:00", T_20240322_2359, 0 },
		{ "2024-03-22T18:59:00-0500", T_20240322_2359, 0 },
		{ "2024-03-22T23:59:00", T_20240322_2359, 1 },
		{ "2024-03-22 23:59", T_20240322_2359, 1 },
		{ "20240322T235900Z", T_20240322_2359, 0 },
		{ "2009-05-14", T_20090514, 1 },
		{ " 2009-05-14T00:00:00Z ", T_20090514, 0 },
		{ "2009-05-13T24:00:00Z", T_20090514, 0 },
		{ "1961-02-12T00:00:00Z", (time_t)-280368000, 0 },
	};
	static const char *const bad[] = {
		"", "tomorrow", "2024-13-01", "2024-02-30", "2024-03-22T25:00",
		"2024-03-22T23:59:00Q", "2024-3-2", "2024-03-22T23:59:00+15:00",
		"0000-01-01",
	};
	struct ncip_date	 d;
	char			 buf[32];
	size_t			 i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (ncip_date_parse(ok[i].s, &d) != 0)
			fail_msg("\"%s\" does not read", ok[i].s);
		assert_true(d.set);
		if (d.t != ok[i].t)
			fail_msg("\"%s\" reads as %lld", ok[i].s,
			    (long long)d.t);
		assert_int_equal(d.nozone, ok[i].nozone);
		assert_ptr_equal(d.text, ok[i].s);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ncip_date_parse(bad[i], &d) != -1)
			fail_msg("\"%s\" reads as a date", bad[i]);
		assert_false(d.set);
	}
	assert_int_equal(ncip_date_format(T_20240322_2359, buf), 0);
	assert_string_equal(buf, "2024-03-22T23:59:00Z");
	assert_int_equal(ncip_date_format((time_t)-62135596800LL - 1, buf),
	    -1);
	assert_string_equal(buf, "");
}

static void
test_parse_money_in_minor_units(void **state)
{
	static const struct {
		const char	*v;
		long long	 want;
	} ok[] = {
		{ "250", 250 }, { "2.50", 250 }, { "2.5", 250 }, { "-3", -3 },
		{ "+7", 7 }, { "0", 0 },
	};
	static const char *const bad[] = { "1.234", "abc", "", "2,50", "." };
	struct ncip_error	 err;
	struct ncip_msg		*m;
	char			 doc[512];
	size_t			 i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]) +
	    sizeof(bad) / sizeof(bad[0]); i++) {
		(void)snprintf(doc, sizeof(doc), "<NCIPMessage><"
		    "LookupUserResponse><UserId><UserIdentifierValue>1"
		    "</UserIdentifierValue></UserId><UserFiscalAccount>"
		    "<AccountBalance><CurrencyCode>USD</CurrencyCode>"
		    "<MonetaryValue>%s</MonetaryValue></AccountBalance>"
		    "</UserFiscalAccount></LookupUserResponse></NCIPMessage>",
		    i < sizeof(ok) / sizeof(ok[0]) ? ok[i].v :
		    bad[i - sizeof(ok) / sizeof(ok[0])]);
		m = ncip_parse(doc, strlen(doc), NULL, &err);
		if (i < sizeof(ok) / sizeof(ok[0])) {
			assert_non_null(m);
			assert_true(m->accounts[0].balance.value == ok[i].want);
			ncip_msg_free(m);
		} else {
			assert_null(m);
			assert_int_equal(err.kind, NCIP_PT_INVALID_AMOUNT);
			assert_string_equal(err.element, "MonetaryValue");
			assert_int_equal(err.service, NCIP_LOOKUP_USER_RESP);
		}
	}
}

static void
test_problem_table_and_schemes(void **state)
{
	int	 k;

	for (k = NCIP_PT_NONE + 1; k < NCIP_PT_OTHER; k++) {
		assert_int_equal(ncip_problem_lookup(ncip_problem_name(k)), k);
		assert_non_null(strstr(ncip_problem_scheme(k, NCIP_SVC_NONE),
		    "http://www.niso.org/ncip/v1_0/schemes/"));
	}
	assert_int_equal(ncip_problem_lookup("UNKNOWN USER"),
	    NCIP_PT_UNKNOWN_USER);
	assert_int_equal(ncip_problem_lookup("needed data missing"),
	    NCIP_PT_NEEDED_DATA_MISSING);
	assert_int_equal(ncip_problem_lookup("Kaput"), NCIP_PT_OTHER);
	assert_int_equal(ncip_problem_lookup(NULL), NCIP_PT_OTHER);
	assert_string_equal(ncip_problem_scheme(NCIP_PT_UNKNOWN_USER,
	    NCIP_CHECKOUT_ITEM_RESP), "http://www.niso.org/ncip/v1_0/schemes/"
	    "processingerrortype/checkoutitemprocessingerror.scm");
	assert_string_equal(ncip_problem_scheme(NCIP_PT_UNKNOWN_USER,
	    NCIP_SVC_NONE), "http://www.niso.org/ncip/v1_0/schemes/"
	    "processingerrortype/lookupuserprocessingerror.scm");
	assert_string_equal(ncip_problem_scheme(NCIP_PT_UNSUPPORTED_SERVICE,
	    NCIP_LOOKUP_USER), "http://www.niso.org/ncip/v1_0/schemes/"
	    "processingerrortype/generalprocessingerror.scm");
	assert_true(ncip_problem_is_messaging(NCIP_PT_UNKNOWN_SERVICE));
	assert_false(ncip_problem_is_messaging(NCIP_PT_UNKNOWN_ITEM));
}

static void
test_service_table_rows(void **state)
{
	const struct ncip_service_info	*si;
	int				 s;

	for (s = NCIP_SVC_NONE + 1; s < NCIP_SVC__COUNT; s++) {
		si = ncip_service_info(s);
		assert_int_equal(si->svc, s);
		assert_true(si->supported);
		assert_ptr_equal(ncip_service_by_name(si->name), si);
		if (ncip_service_is_request(s)) {
			assert_int_equal(ncip_service_info(si->response)->
			    request, s);
		}
	}
	si = ncip_service_by_name("LookupAgency");
	assert_non_null(si);
	assert_false(si->supported);
	assert_null(ncip_service_by_name("Bogus"));
	assert_string_equal(ncip_service_name(NCIP_SVC_NONE), "");
}

static int
setup(void **state)
{
	ncip_init();
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_every_sample_in_default_namespace),
		cmocka_unit_test(test_parse_lookup_user_request),
		cmocka_unit_test(
		    test_parse_lookup_user_response_accounts_loans_holds),
		cmocka_unit_test(test_parse_lookup_user_response_user_fields),
		cmocka_unit_test(test_parse_lookup_item_response),
		cmocka_unit_test(test_parse_checkout_and_checkin),
		cmocka_unit_test(test_parse_renew_with_password_and_pending),
		cmocka_unit_test(test_parse_request_and_cancel),
		cmocka_unit_test(test_parse_accept_item),
		cmocka_unit_test(test_parse_create_and_update_user),
		cmocka_unit_test(test_parse_lookup_version),
		cmocka_unit_test(test_parse_problems_match_case_insensitively),
		cmocka_unit_test(test_parse_every_dialect_reads_the_same),
		cmocka_unit_test(test_parse_handwritten_dialects),
		cmocka_unit_test(test_parse_version1_samples_match_version2),
		cmocka_unit_test(test_parse_lookup_item_set),
		cmocka_unit_test(
		    test_parse_version1_user_transaction_and_visible_id),
		cmocka_unit_test(test_parse_version1_nested_problem),
		cmocka_unit_test(test_parse_version1_01_checkout),
		cmocka_unit_test(test_parse_version_inferred_from_ids),
		cmocka_unit_test(test_parse_trims_reads_cdata_skips_unknown),
		cmocka_unit_test(test_parse_dates_in_peer_forms),
		cmocka_unit_test(test_parse_money_in_minor_units),
		cmocka_unit_test(test_problem_table_and_schemes),
		cmocka_unit_test(test_service_table_rows),
	};

	return (cmocka_run_group_tests_name("ncip_parse", tests, setup, NULL));
}
