/* SPDX-License-Identifier: ISC */
/*
 * Tests of building NCIP: every version 2 message in every dialect is
 * valid against the official 2.02 schema and reads back the same; version
 * 1 has its shape; answers carry the request's dialect and no secret.
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
#include <libxml/tree.h>

#include "ncip.h"
#include "test_ncip_util.h"

#define S(a, b) do {							\
	const char *s_ = (a);						\
	if (s_ == NULL)							\
		fail_msg("%s is NULL, wanted \"%s\"", #a, (b));		\
	assert_string_equal(s_, (b));					\
} while (0)

#define T_DUE	((time_t)1711151940)	/* 2024-03-22T23:59:00Z */

static const struct {
	enum ncip_ns_style	 ns;
	int			 qualified;
	const char		*root;	/* how the built root starts */
} dialects[] = {
	{ NCIP_NSS_DEFAULT, 1, "<NCIPMessage xmlns=\"http://www.niso.org/"
	    "2008/ncip\" xmlns:ns1=\"http://www.niso.org/2008/ncip\" "
	    "ns1:version=" },
	{ NCIP_NSS_PREFIX, 1, "<ns1:NCIPMessage xmlns:ns1=\"http://www.niso."
	    "org/2008/ncip\" ns1:version=" },
	{ NCIP_NSS_DEFAULT, 0, "<NCIPMessage xmlns=\"http://www.niso.org/"
	    "2008/ncip\" version=" },
	{ NCIP_NSS_PREFIX, 0, "<ns1:NCIPMessage xmlns:ns1=\"http://www.niso."
	    "org/2008/ncip\" version=" },
	{ NCIP_NSS_NONE, 0, "<NCIPMessage version=" },
};

#define NDIALECTS	(sizeof(dialects) / sizeof(dialects[0]))

static void
assert_valid(const char *what, const char *xml, int normalize)
{
	char	 err[512];

	if (util_validate(xml, strlen(xml), normalize, err, sizeof(err)) != 0)
		fail_msg("%s is not valid NCIP 2.02: %s\n%s", what, err, xml);
}

/*
 * Parse, build in every dialect, validate, read back: the same message,
 * and building what was read gives the same bytes.
 */
static void
test_build_every_sample_validates_in_every_dialect(void **state)
{
	struct ncip_dialect	 d;
	struct ncip_error	 err;
	struct ncip_msg		*m, *back;
	char			 path[256], what[320], *want, *out, *again;
	size_t			 i, j;

	for (i = 0; i < nsamples; i++) {
		(void)snprintf(path, sizeof(path), "v2/%s.xml",
		    samples[i].file);
		m = util_parse_file(path);
		want = util_build(m, NULL);
		for (j = 0; j < NDIALECTS; j++) {
			d = util_dialect(2, dialects[j].ns,
			    dialects[j].qualified);
			out = util_build(m, &d);
			(void)snprintf(what, sizeof(what), "%s in dialect %zu",
			    path, j);
			if (strstr(out, dialects[j].root) == NULL)
				fail_msg("%s starts wrong:\n%s", what, out);
			/* The schema's own form validates as it is. */
			if (samples[i].in_schema)
				assert_valid(what, out,
				    !dialects[j].qualified ||
				    dialects[j].ns == NCIP_NSS_NONE);
			back = ncip_parse(out, strlen(out), NULL, &err);
			if (back == NULL)
				fail_msg("%s does not read back: %s %s", what,
				    err.element, err.detail);
			assert_int_equal(back->dialect.ns, dialects[j].ns);
			again = util_build(back, &d);
			assert_string_equal(again, out);
			free(again);
			again = util_build(back, NULL);
			assert_string_equal(again, want);
			free(again);
			free(out);
			ncip_msg_free(back);
		}
		free(want);
		ncip_msg_free(m);
	}
}

/* Version 1: DOCTYPE, no namespace, Unique ids, Scheme and Value. */
static void
test_build_version1_shape(void **state)
{
	struct ncip_dialect	 d = util_dialect(1, NCIP_NSS_NONE, 0);
	struct ncip_msg		*m, *back;
	struct ncip_error	 err;
	char			*out;

	m = util_parse_file("v2/CheckOutItemResponse.xml");
	out = util_build(m, &d);
	assert_non_null(strstr(out, "<!DOCTYPE NCIPMessage PUBLIC \"-//NISO//"
	    "NCIP DTD Version 1.0//EN\" \"http://www.niso.org/ncip/v1_0/imp1/"
	    "dtd/ncip_v1_0.dtd\">"));
	assert_non_null(strstr(out, "<NCIPMessage version=\"http://www.niso."
	    "org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd\"><CheckOutItemResponse>"));
	assert_null(strstr(out, "xmlns"));
	assert_non_null(strstr(out, "<UniqueItemId><UniqueAgencyId><Scheme>"
	    "</Scheme><Value>METRO</Value></UniqueAgencyId>"
	    "<ItemIdentifierValue>31000000000456</ItemIdentifierValue>"
	    "</UniqueItemId>"));
	assert_non_null(strstr(out, "<UniqueUserId>"));
	assert_null(strstr(out, "<UserId>"));
	back = ncip_parse(out, strlen(out), NULL, &err);
	assert_non_null(back);
	assert_int_equal(back->dialect.version, 1);
	assert_true(back->date_due.t == T_DUE);
	free(out);
	ncip_msg_free(back);
	ncip_msg_free(m);

	/* A coded value with its scheme as children. */
	m = util_parse_file("v2/LookupUser.xml");
	out = util_build(m, &d);
	assert_non_null(strstr(out, "<UserElementType><Scheme>http://www.niso."
	    "org/ncip/v1_0/schemes/userelementtype/userelementtype.scm"
	    "</Scheme><Value>Name Information</Value></UserElementType>"));
	free(out);
	ncip_msg_free(m);

	/* Problems nest as ProcessingError or MessagingError. */
	m = util_parse_file("v2/CheckOutItemResponse-problem.xml");
	out = util_build(m, &d);
	assert_non_null(strstr(out, "<Problem><ProcessingError>"
	    "<ProcessingErrorType><Scheme>http://www.niso.org/ncip/v1_0/"
	    "schemes/processingerrortype/checkoutitemprocessingerror.scm"
	    "</Scheme><Value>user blocked</Value></ProcessingErrorType>"
	    "<ProcessingErrorElement><ElementName>UserId</ElementName>"
	    "<ProcessingErrorValue>21000012345678</ProcessingErrorValue>"
	    "</ProcessingErrorElement></ProcessingError></Problem>"));
	/* One Problem in version 1. */
	assert_null(strstr(out, "Widgets"));
	free(out);
	ncip_msg_free(m);

	m = util_parse_file("v2/Problem.xml");
	out = util_build(m, &d);
	assert_non_null(strstr(out, "<Problem><MessagingError>"
	    "<MessagingErrorType>"));
	free(out);
	ncip_msg_free(m);

	/* 1.01 keeps its version and public id. */
	m = util_parse_file("v1/CheckOutItem-v101.xml");
	out = util_build(m, &m->dialect);
	assert_non_null(strstr(out, "\"-//NISO//NCIP DTD Version 1.01//EN\" "
	    "\"http://www.niso.org/ncip/v1_01/imp1/dtd/ncip_v1_01.dtd\""));
	free(out);
	ncip_msg_free(m);
}

/* What the gateway will fill itself: caller-owned strings and arrays. */
static void
test_build_lookup_user_response_from_structures(void **state)
{
	struct ncip_loan	 loans[1];
	struct ncip_hold	 holds[1];
	struct ncip_account	 acct[1];
	struct ncip_privilege	 priv[1];
	struct ncip_address	 addr[1];
	struct ncip_location_name lnames[1];
	struct ncip_location	 loc[1];
	struct ncip_msg		*m, *back;
	struct ncip_error	 err;
	char			*out;

	memset(loans, 0, sizeof(loans));
	memset(holds, 0, sizeof(holds));
	memset(acct, 0, sizeof(acct));
	memset(priv, 0, sizeof(priv));
	memset(addr, 0, sizeof(addr));
	memset(loc, 0, sizeof(loc));
	m = ncip_msg_new(NCIP_LOOKUP_USER_RESP);
	assert_non_null(m);
	m->header.present = 1;
	m->header.from_agency.value = "METRO";
	m->header.to_agency.value = "DISTRICT";
	m->user_id.value = "21000012345678";
	m->user_id.agency.value = "METRO";
	loans[0].item_id.value = "31000000000456";
	loans[0].reminder_level = -1;
	loans[0].date_due = ncip_date_at(T_DUE);
	loans[0].title = "A Wizard of Earthsea";
	m->loans = loans;
	m->nloans = 1;
	holds[0].request_id.value = "HOLD-1";
	holds[0].type.value = "Hold";
	holds[0].status.value = "In Process";
	holds[0].date_placed = ncip_date_at(T_DUE - 86400);
	holds[0].reminder_level = -1;
	holds[0].queue_position = 3;
	m->holds = holds;
	m->nholds = 1;
	acct[0].balance.set = 1;
	acct[0].balance.currency.value = "USD";
	acct[0].balance.value = 125;
	m->accounts = acct;
	m->naccounts = 1;
	m->user.present = 1;
	priv[0].agency.value = "METRO";
	priv[0].type.value = "STATUS";
	priv[0].status.value = "BLOCKED";
	m->user.privileges = priv;
	m->user.nprivileges = 1;
	addr[0].role.value = "Home";
	addr[0].kind = NCIP_ADDR_PHYSICAL;
	addr[0].line1 = "12 Main St";
	addr[0].postal_code = "62701";
	addr[0].physical_type.value = "Postal Address";
	m->user.addresses = addr;
	m->user.naddresses = 1;
	m->item.present = 1;
	lnames[0].level = 1;
	lnames[0].value = "MAIN";
	loc[0].type.value = "Current";
	loc[0].names = lnames;
	loc[0].nnames = 1;
	m->item.locations = loc;
	m->item.nlocations = 1;

	out = util_build(m, NULL);
	assert_valid("LookupUserResponse from structures", out, 0);
	back = ncip_parse(out, strlen(out), NULL, &err);
	assert_non_null(back);
	assert_int_equal(back->nloans, 1);
	S(back->loans[0].title, "A Wizard of Earthsea");
	assert_true(back->loans[0].date_due.t == T_DUE);
	assert_int_equal(back->holds[0].queue_position, 3);
	assert_true(back->accounts[0].balance.value == 125);
	S(back->user.addresses[0].line1, "12 Main St");
	assert_int_equal(ncip_user_status(&back->user, T_DUE),
	    NCIP_USER_BLOCKED);
	free(out);
	ncip_msg_free(back);
	ncip_msg_free(m);
}

static void
expect_missing(struct ncip_msg *m, const char *element)
{
	struct ncip_error	 err;
	char			*out = NULL;
	size_t			 len;

	if (ncip_build(m, NULL, &out, &len, &err) != -1)
		fail_msg("built without %s:\n%s", element, out);
	assert_null(out);
	assert_int_equal(err.kind, NCIP_PT_NEEDED_DATA_MISSING);
	assert_string_equal(err.element, element);
}

static void
test_build_refuses_missing_needed_elements(void **state)
{
	struct ncip_hold	 hold;
	struct ncip_location	 loc;
	struct ncip_msg		*m;

	m = ncip_msg_new(NCIP_CHECKOUT_ITEM_RESP);
	m->item_id.value = "31000000000456";
	m->user_id.value = "21000012345678";
	expect_missing(m, "DateDue");
	m->indeterminate = 1;
	free(util_build(m, NULL));
	ncip_msg_free(m);

	m = ncip_msg_new(NCIP_LOOKUP_USER_RESP);
	m->user_id.value = "21000012345678";
	memset(&hold, 0, sizeof(hold));
	hold.item_id.value = "31000000000456";
	hold.type.value = "Hold";
	hold.status.value = "In Process";
	m->holds = &hold;
	m->nholds = 1;
	expect_missing(m, "DatePlaced");
	hold.date_placed = ncip_date_at(T_DUE);
	free(util_build(m, NULL));
	ncip_msg_free(m);

	m = ncip_msg_new(NCIP_LOOKUP_ITEM_RESP);
	m->item_id.value = "31000000000456";
	m->item.present = 1;
	memset(&loc, 0, sizeof(loc));
	loc.type.value = "Permanent";
	m->item.locations = &loc;
	m->item.nlocations = 1;
	expect_missing(m, "LocationName");
	ncip_msg_free(m);

	m = ncip_msg_new(NCIP_REQUEST_ITEM);
	m->user_id.value = "21000012345678";
	m->item_id.value = "31000000000456";
	m->request_type.value = "Hold";
	expect_missing(m, "RequestScopeType");
	ncip_msg_free(m);

	m = ncip_msg_new(NCIP_CREATE_USER);
	m->user.name.present = 1;
	m->user.name.given = "Sam";
	expect_missing(m, "Surname");
	ncip_msg_free(m);

	m = ncip_msg_new(NCIP_LOOKUP_USER);
	m->header.present = 1;
	m->header.from_agency.value = "DISTRICT";
	m->user_id.value = "1";
	expect_missing(m, "ToAgencyId");
	ncip_msg_free(m);
}

/* Values are text, never markup, whatever they hold. */
static void
test_build_escapes_and_cleans_values(void **state)
{
	struct ncip_msg		*m, *back;
	struct ncip_error	 err;
	char			*out;
	char			 bad[] = { 'a', (char)0xc3, 'b', '\0' };
	size_t			 len;

	m = ncip_msg_new(NCIP_CHECKIN_ITEM);
	m->item_id.value = "</ItemIdentifierValue><Injected/>&amp;\"'\x01\x1b";
	out = util_build(m, NULL);
	assert_null(strstr(out, "<Injected/>"));
	assert_valid("escaped CheckInItem", out, 0);
	back = ncip_parse(out, strlen(out), NULL, &err);
	assert_non_null(back);
	S(back->item_id.value, "</ItemIdentifierValue><Injected/>&amp;\"'");
	free(out);
	ncip_msg_free(back);

	m->item_id.value = bad;
	assert_int_equal(ncip_build(m, NULL, &out, &len, &err), -1);
	assert_int_equal(err.kind, NCIP_PT_INVALID_MESSAGE_SYNTAX);
	assert_string_equal(err.element, "ItemIdentifierValue");
	ncip_msg_free(m);
}

/*
 * LookupItemSet is version 2 only: a version 1 peer gets no such message,
 * and an answer without BibInformation is not built.
 */
static void
test_build_lookup_item_set_needs_version2(void **state)
{
	struct ncip_dialect	 d1 = util_dialect(1, NCIP_NSS_NONE, 0);
	struct ncip_error	 err;
	struct ncip_msg		*m;
	char			*out;
	size_t			 len;

	m = util_parse_file("v2/LookupItemSet.xml");
	assert_int_equal(ncip_build(m, &d1, &out, &len, &err), -1);
	assert_int_equal(err.kind, NCIP_PT_UNSUPPORTED_SERVICE);
	ncip_msg_free(m);

	m = util_parse_file("v2/LookupItemSetResponse.xml");
	assert_int_equal(ncip_build(m, &d1, &out, &len, &err), -1);
	m->nbib_infos = 0;
	assert_int_equal(ncip_build(m, NULL, &out, &len, &err), -1);
	assert_int_equal(err.kind, NCIP_PT_NEEDED_DATA_MISSING);
	ncip_msg_free(m);
}

static void
test_build_lookup_version(void **state)
{
	struct ncip_msg	*m = ncip_msg_new(NCIP_LOOKUP_VERSION_RESP);
	const char	*versions[] = { NCIP_V2_02, NCIP_V1_0 };
	char		*out;

	m->header.from_agency.value = "METRO";
	m->header.to_agency.value = "DISTRICT";
	m->versions = versions;
	m->nversions = 2;
	out = util_build(m, NULL);
	assert_non_null(strstr(out, "<LookupVersionResponse><FromAgencyId>"
	    "<AgencyId>METRO</AgencyId></FromAgencyId><ToAgencyId><AgencyId>"
	    "DISTRICT</AgencyId></ToAgencyId><VersionSupported>"
	    NCIP_V2_02 "</VersionSupported><VersionSupported>" NCIP_V1_0
	    "</VersionSupported></LookupVersionResponse>"));
	free(out);
	m->nversions = 0;
	expect_missing(m, "VersionSupported");
	ncip_msg_free(m);
}

static void
test_reply_swaps_agencies_and_echoes_ids(void **state)
{
	struct ncip_msg	*req, *resp;
	char		*out;

	req = util_parse_file("dialects/LookupUser-ns1.xml");
	resp = ncip_reply_new(req);
	assert_non_null(resp);
	assert_int_equal(resp->service, NCIP_LOOKUP_USER_RESP);
	assert_int_equal(resp->dialect.ns, NCIP_NSS_PREFIX);
	assert_true(resp->dialect.qualified_attrs);
	assert_true(resp->header.present);
	S(resp->header.from_agency.value, "METRO");
	S(resp->header.to_agency.value, "DISTRICT");
	S(resp->header.to_agency.scheme, "http://www.niso.org/ncip/v1_0/"
	    "schemes/agencyidtype/agencyidtype.scm");
	S(resp->user_id.value, "21000012345678");
	S(resp->version_str, "http://www.niso.org/schemas/ncip/v2_0/imp1/xsd/"
	    "ncip_v2_0.xsd");
	/* The answer owns its strings: the request may go first. */
	ncip_msg_free(req);
	out = util_build(resp, &resp->dialect);
	assert_non_null(strstr(out, "<ns1:NCIPMessage xmlns:ns1=\"http://www."
	    "niso.org/2008/ncip\" ns1:version=\"http://www.niso.org/schemas/"
	    "ncip/v2_0/imp1/xsd/ncip_v2_0.xsd\"><ns1:LookupUserResponse>"
	    "<ns1:ResponseHeader>"));
	assert_valid("LookupUserResponse reply", out, 0);
	free(out);
	ncip_msg_free(resp);

	/* No answer to an answer. */
	req = util_parse_file("v2/CheckOutItemResponse.xml");
	assert_null(ncip_reply_new(req));
	ncip_msg_free(req);
}

/* A failed PIN check answers without the PIN anywhere. */
static void
test_reply_problem_never_carries_the_pin(void **state)
{
	struct ncip_msg	*req, *resp;
	char		*out;

	req = util_parse_file("v1/CheckOutItem-v101.xml");
	resp = ncip_reply_problem(req, NCIP_PT_USER_AUTH_FAILED,
	    "AuthenticationInput", "PIN does not match");
	assert_non_null(resp);
	assert_int_equal(resp->service, NCIP_CHECKOUT_ITEM_RESP);
	assert_int_equal(resp->nproblems, 1);
	S(resp->problems[0].type.scheme, "http://www.niso.org/ncip/v1_0/"
	    "schemes/processingerrortype/checkoutitemprocessingerror.scm");
	/* Even a caller that passes the secret as the value. */
	assert_int_equal(ncip_msg_add_problem(resp, NCIP_PT_USER_AUTH_FAILED,
	    NULL, "AuthenticationInputData", NULL, req->auth[1].data), 0);
	out = util_build(resp, &resp->dialect);
	assert_null(strstr(out, "8642"));
	assert_null(strstr(out, "partner-token-7781"));
	assert_non_null(strstr(out, "<!DOCTYPE NCIPMessage PUBLIC "
	    "\"-//NISO//NCIP DTD Version 1.01//EN\""));
	assert_non_null(strstr(out, "<ProcessingErrorType><Scheme>"
	    "http://www.niso.org/ncip/v1_0/schemes/processingerrortype/"
	    "checkoutitemprocessingerror.scm</Scheme><Value>User "
	    "Authentication Failed</Value></ProcessingErrorType>"));
	free(out);
	/* In version 2 too, where ProblemValue has its own element. */
	out = util_build(resp, NULL);
	assert_null(strstr(out, "8642"));
	assert_null(strstr(out, "<ProblemValue>"));
	free(out);
	ncip_msg_free(resp);
	ncip_msg_free(req);
}

/* Bytes that fail to parse get a Problem in the dialect seen so far. */
static void
test_reply_error_answers_in_kind(void **state)
{
	static const struct {
		const char		*doc;
		enum ncip_service	 answer;
		enum ncip_problem_type	 kind;
		const char		*element;
	} cases[] = {
		{ "not xml", NCIP_PROBLEM, NCIP_PT_INVALID_MESSAGE_SYNTAX,
		    "NCIPMessage" },
		{ "<NCIPMessage version=\"v\"><Frobnicate/></NCIPMessage>",
		    NCIP_PROBLEM, NCIP_PT_UNKNOWN_SERVICE, "Frobnicate" },
		{ "<NCIPMessage><RenewAll/></NCIPMessage>", NCIP_PROBLEM,
		    NCIP_PT_UNSUPPORTED_SERVICE, "RenewAll" },
		{ "<ns1:NCIPMessage xmlns:ns1=\"http://www.niso.org/2008/ncip\""
		    " ns1:version=\"v\"><ns1:CheckOutItem><ns1:ItemId>"
		    "<ns1:ItemIdentifierValue>1</ns1:ItemIdentifierValue>"
		    "</ns1:ItemId></ns1:CheckOutItem></ns1:NCIPMessage>",
		    NCIP_CHECKOUT_ITEM_RESP, NCIP_PT_NEEDED_DATA_MISSING,
		    "UserId" },
	};
	struct ncip_error	 err;
	struct ncip_msg		*m, *back;
	char			*out;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_null(ncip_parse(cases[i].doc, strlen(cases[i].doc),
		    NULL, &err));
		assert_int_equal(err.kind, cases[i].kind);
		assert_string_equal(err.element, cases[i].element);
		m = ncip_reply_error(&err);
		assert_non_null(m);
		assert_int_equal(m->service, cases[i].answer);
		out = util_build(m, &m->dialect);
		assert_valid(cases[i].doc, out, 1);
		back = ncip_parse(out, strlen(out), NULL, &err);
		assert_non_null(back);
		assert_int_equal(back->problems[0].kind, cases[i].kind);
		S(back->problems[0].element, cases[i].element);
		if (i == 3) {
			/* Prefixed and qualified, as it came. */
			assert_int_equal(back->dialect.ns, NCIP_NSS_PREFIX);
			assert_true(back->dialect.qualified_attrs);
			S(back->version_str, "v");
		}
		free(out);
		ncip_msg_free(back);
		ncip_msg_free(m);
	}
}

static void
test_build_problem_schemes_follow_the_service(void **state)
{
	struct ncip_msg	*req, *resp;
	char		*out;

	req = util_parse_file("v2/RequestItem.xml");
	resp = ncip_reply_problem(req, NCIP_PT_UNKNOWN_USER, "UserId", NULL);
	out = util_build(resp, NULL);
	assert_non_null(strstr(out, "<ProblemType ns1:Scheme=\"http://www."
	    "niso.org/ncip/v1_0/schemes/processingerrortype/"
	    "requestitemprocessingerror.scm\">Unknown User</ProblemType>"));
	assert_valid("RequestItemResponse problem", out, 0);
	free(out);
	ncip_msg_free(resp);
	resp = ncip_reply_problem(req, NCIP_PT_TEMPORARY_FAILURE, NULL,
	    "partner ILS timed out");
	out = util_build(resp, NULL);
	assert_non_null(strstr(out, "generalprocessingerror.scm\">Temporary "
	    "Processing Failure</ProblemType><ProblemDetail>partner ILS timed "
	    "out</ProblemDetail>"));
	free(out);
	ncip_msg_free(resp);
	ncip_msg_free(req);
}

static int
setup(void **state)
{
	ncip_init();
	util_schema_load();
	return (0);
}

static int
teardown(void **state)
{
	util_schema_free();
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_build_every_sample_validates_in_every_dialect),
		cmocka_unit_test(test_build_version1_shape),
		cmocka_unit_test(
		    test_build_lookup_user_response_from_structures),
		cmocka_unit_test(test_build_refuses_missing_needed_elements),
		cmocka_unit_test(test_build_escapes_and_cleans_values),
		cmocka_unit_test(test_build_lookup_version),
		cmocka_unit_test(test_build_lookup_item_set_needs_version2),
		cmocka_unit_test(test_reply_swaps_agencies_and_echoes_ids),
		cmocka_unit_test(test_reply_problem_never_carries_the_pin),
		cmocka_unit_test(test_reply_error_answers_in_kind),
		cmocka_unit_test(
		    test_build_problem_schemes_follow_the_service),
	};

	return (cmocka_run_group_tests_name("ncip_build", tests, setup,
	    teardown));
}
