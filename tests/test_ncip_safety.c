/* SPDX-License-Identifier: ISC */
/*
 * Tests of hostile NCIP bodies: external entities never read a file,
 * entity expansion never happens, depth, element count, text and body
 * caps hold, and every refusal is a Problem the endpoint can send.
 */

#include "config.h"

#include <sys/types.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "ncip.h"
#include "test_ncip_util.h"

static char	 marker_path[64];
static char	 marker[64];
static char	 dtd_path[64];

/* Append printf output to a growing buffer. */
static char *
cat(char *buf, size_t *len, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	buf = realloc(buf, *len + (size_t)n + 1);
	assert_non_null(buf);
	va_start(ap, fmt);
	(void)vsnprintf(buf + *len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	*len += (size_t)n;
	return (buf);
}

/* n copies of a string, NUL-terminated, in one allocation. */
static char *
rep(const char *s, size_t n)
{
	size_t	 len = strlen(s), i;
	char	*out;

	out = malloc(len * n + 1);
	assert_non_null(out);
	for (i = 0; i < n; i++)
		memcpy(out + i * len, s, len);
	out[len * n] = '\0';
	return (out);
}

/* Parse and expect a refusal of a kind; nothing may hold the marker. */
static void
expect_refused(const char *doc, size_t len, const struct ncip_limits *l,
    enum ncip_problem_type kind, const char *detail_part)
{
	struct ncip_error	 err;
	struct ncip_msg		*m, *reply;
	char			 red[4096], *out;
	size_t			 outlen;

	m = ncip_parse(doc, len, l, &err);
	if (m != NULL) {
		ncip_msg_free(m);
		fail_msg("accepted: %.200s", doc);
	}
	if (err.kind != kind)
		fail_msg("%s (%s %s), wanted %s", ncip_problem_name(err.kind),
		    err.element, err.detail, ncip_problem_name(kind));
	if (detail_part != NULL && strstr(err.detail, detail_part) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", err.detail,
		    detail_part);
	assert_null(strstr(err.detail, marker));
	assert_null(strstr(err.element, marker));

	/* The endpoint's answer is a Problem that builds. */
	reply = ncip_reply_error(&err);
	assert_non_null(reply);
	assert_true(reply->nproblems == 1);
	assert_int_equal(ncip_build(reply, &reply->dialect, &out, &outlen,
	    &err), 0);
	assert_null(strstr(out, marker));
	free(out);
	ncip_msg_free(reply);

	(void)ncip_redact(doc, len, red, sizeof(red));
	assert_null(strstr(red, marker));
}

static void
test_safety_external_entity_never_reads_a_file(void **state)
{
	char	 doc[2048];

	/* A general entity naming a local file. */
	(void)snprintf(doc, sizeof(doc), "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE NCIPMessage [<!ENTITY x SYSTEM \"file://%s\">]>\n"
	    "<NCIPMessage><LookupItem><ItemId><ItemIdentifierValue>&x;"
	    "</ItemIdentifierValue></ItemId></LookupItem></NCIPMessage>",
	    marker_path);
	expect_refused(doc, strlen(doc), NULL, NCIP_PT_INVALID_MESSAGE_SYNTAX,
	    "internal DTD subset refused");

	/* The same without a scheme, and as a parameter entity. */
	(void)snprintf(doc, sizeof(doc), "<!DOCTYPE NCIPMessage [<!ENTITY x "
	    "SYSTEM \"%s\">]><NCIPMessage><LookupItem><ItemId>"
	    "<ItemIdentifierValue>&x;</ItemIdentifierValue></ItemId>"
	    "</LookupItem></NCIPMessage>", marker_path);
	expect_refused(doc, strlen(doc), NULL, NCIP_PT_INVALID_MESSAGE_SYNTAX,
	    NULL);
	(void)snprintf(doc, sizeof(doc), "<!DOCTYPE NCIPMessage [<!ENTITY %% p "
	    "SYSTEM \"file://%s\"> %%p;]><NCIPMessage/>", marker_path);
	expect_refused(doc, strlen(doc), NULL, NCIP_PT_INVALID_MESSAGE_SYNTAX,
	    NULL);

	/* An external DTD that is not NCIP's. */
	(void)snprintf(doc, sizeof(doc), "<!DOCTYPE NCIPMessage SYSTEM "
	    "\"file://%s\"><NCIPMessage><LookupItem><ItemId>"
	    "<ItemIdentifierValue>1</ItemIdentifierValue></ItemId>"
	    "</LookupItem></NCIPMessage>", marker_path);
	expect_refused(doc, strlen(doc), NULL, NCIP_PT_INVALID_MESSAGE_SYNTAX,
	    "DOCTYPE");

	/*
	 * One that says it is NCIP's and declares the entity: the DOCTYPE
	 * is accepted, never loaded, and the reference is refused.
	 */
	(void)snprintf(doc, sizeof(doc), "<!DOCTYPE NCIPMessage PUBLIC "
	    "\"-//NISO//NCIP DTD Version 1.0//EN\" \"file://%s\">"
	    "<NCIPMessage><LookupItem><UniqueItemId><ItemIdentifierValue>&x;"
	    "</ItemIdentifierValue></UniqueItemId></LookupItem></NCIPMessage>",
	    dtd_path);
	expect_refused(doc, strlen(doc), NULL, NCIP_PT_INVALID_MESSAGE_SYNTAX,
	    NULL);

	/* XInclude is not processed: the element is a stranger's. */
	(void)snprintf(doc, sizeof(doc), "<NCIPMessage><LookupItem><ItemId>"
	    "<ItemIdentifierValue><xi:include xmlns:xi=\"http://www.w3.org/"
	    "2001/XInclude\" href=\"file://%s\" parse=\"text\"/>"
	    "</ItemIdentifierValue></ItemId></LookupItem></NCIPMessage>",
	    marker_path);
	expect_refused(doc, strlen(doc), NULL, NCIP_PT_NEEDED_DATA_MISSING,
	    NULL);
}

static void
test_safety_ncip_doctype_accepted_without_loading(void **state)
{
	struct ncip_error	 err;
	struct ncip_msg		*m;
	char			 doc[1024], *out;
	size_t			 len;

	(void)snprintf(doc, sizeof(doc), "<!DOCTYPE NCIPMessage PUBLIC "
	    "\"-//NISO//NCIP DTD Version 1.0//EN\" \"file://%s\">"
	    "<NCIPMessage><LookupItem><UniqueItemId><ItemIdentifierValue>42"
	    "</ItemIdentifierValue></UniqueItemId></LookupItem></NCIPMessage>",
	    dtd_path);
	m = ncip_parse(doc, strlen(doc), NULL, &err);
	assert_non_null(m);
	assert_int_equal(m->dialect.version, 1);
	assert_string_equal(m->item_id.value, "42");
	assert_int_equal(ncip_build(m, &m->dialect, &out, &len, &err), 0);
	assert_null(strstr(out, marker));
	free(out);
	ncip_msg_free(m);
}

static void
test_safety_billion_laughs_refused_at_once(void **state)
{
	char	*doc = NULL;
	size_t	 len = 0;
	clock_t	 start;
	int	 i;

	doc = cat(doc, &len, "<?xml version=\"1.0\"?>\n<!DOCTYPE NCIPMessage "
	    "[\n<!ENTITY l0 \"lol\">\n");
	for (i = 1; i < 10; i++)
		doc = cat(doc, &len, "<!ENTITY l%d \"&l%d;&l%d;&l%d;&l%d;&l%d;"
		    "&l%d;&l%d;&l%d;&l%d;&l%d;\">\n", i, i - 1, i - 1, i - 1,
		    i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	doc = cat(doc, &len, "]>\n<NCIPMessage><LookupItem><ItemId>"
	    "<ItemIdentifierValue>&l9;</ItemIdentifierValue></ItemId>"
	    "</LookupItem></NCIPMessage>");
	start = clock();
	expect_refused(doc, len, NULL, NCIP_PT_INVALID_MESSAGE_SYNTAX,
	    "refused");
	/* Refused while reading the DOCTYPE, long before any expansion. */
	assert_true(clock() - start < 5 * CLOCKS_PER_SEC);
	free(doc);
}

static void
test_safety_quadratic_blowup_refused(void **state)
{
	char	*doc = NULL, *text, *refs;
	size_t	 len = 0;

	text = rep("a", 50000);
	refs = rep("&a;", 20000);
	doc = cat(doc, &len, "<!DOCTYPE NCIPMessage [<!ENTITY a \"%s\">]>"
	    "<NCIPMessage><LookupItem><ItemId><ItemIdentifierValue>%s"
	    "</ItemIdentifierValue></ItemId></LookupItem></NCIPMessage>",
	    text, refs);
	free(text);
	free(refs);
	expect_refused(doc, len, NULL, NCIP_PT_INVALID_MESSAGE_SYNTAX,
	    "refused");
	free(doc);
}

static char *
nested(int depth, size_t *len)
{
	char	*doc = NULL, *open, *close;

	*len = 0;
	open = rep("<Ext>", (size_t)depth);
	close = rep("</Ext>", (size_t)depth);
	doc = cat(doc, len, "<NCIPMessage><CheckInItem><ItemId>"
	    "<ItemIdentifierValue>1</ItemIdentifierValue>%s%s</ItemId>"
	    "</CheckInItem></NCIPMessage>", open, close);
	free(open);
	free(close);
	return (doc);
}

static void
test_safety_deep_nesting_refused(void **state)
{
	struct ncip_limits	 l = { 0, 8, 0, 0 };
	struct ncip_error	 err;
	struct ncip_msg		*m;
	char			*doc;
	size_t			 len;

	doc = nested(100, &len);
	expect_refused(doc, len, NULL, NCIP_PT_INVALID_MESSAGE_SYNTAX,
	    "nested deeper than 64");
	free(doc);
	/* Past libxml2's own limit: still a Problem, no crash. */
	doc = nested(100000, &len);
	expect_refused(doc, len, NULL, NCIP_PT_INVALID_MESSAGE_SYNTAX, NULL);
	free(doc);
	/* Within the cap it reads; a caller's lower cap holds. */
	doc = nested(55, &len);
	m = ncip_parse(doc, len, NULL, &err);
	assert_non_null(m);
	ncip_msg_free(m);
	expect_refused(doc, len, &l, NCIP_PT_INVALID_MESSAGE_SYNTAX,
	    "nested deeper than 8");
	free(doc);
}

static void
test_safety_huge_text_refused(void **state)
{
	struct ncip_limits	 l = { 64 * 1024 * 1024, 0, 0, 0 };
	char			*doc = NULL, *big;
	size_t			 len = 0;

	/* 900 KB in one text node, under the body cap. */
	big = rep("x", 900 * 1024);
	doc = cat(doc, &len, "<NCIPMessage><LookupItem><ItemId>"
	    "<ItemIdentifierValue>%s</ItemIdentifierValue></ItemId>"
	    "</LookupItem></NCIPMessage>", big);
	expect_refused(doc, len, NULL, NCIP_PT_INVALID_MESSAGE_SYNTAX,
	    "text over 4096 bytes");
	free(doc);

	/* 12 MB: refused for its size before any parsing. */
	big = realloc(big, 12 * 1024 * 1024 + 1);
	assert_non_null(big);
	memset(big, 'x', 12 * 1024 * 1024);
	big[12 * 1024 * 1024] = '\0';
	doc = NULL;
	len = 0;
	doc = cat(doc, &len, "<NCIPMessage><LookupItem><ItemId>"
	    "<ItemIdentifierValue>%s</ItemIdentifierValue></ItemId>"
	    "</LookupItem></NCIPMessage>", big);
	expect_refused(doc, len, NULL, NCIP_PT_INVALID_MESSAGE_SYNTAX,
	    "over the 1048576 byte cap");
	/* Let through by a caller's bigger cap, the text cap still holds. */
	expect_refused(doc, len, &l, NCIP_PT_INVALID_MESSAGE_SYNTAX,
	    "text over 4096 bytes");
	free(doc);
	free(big);
}

static void
test_safety_field_length_caps(void **state)
{
	char	 doc[1024], id[300];

	memset(id, '7', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	(void)snprintf(doc, sizeof(doc), "<NCIPMessage><CheckInItem><ItemId>"
	    "<ItemIdentifierValue>%s</ItemIdentifierValue></ItemId>"
	    "</CheckInItem></NCIPMessage>", id);
	expect_refused(doc, strlen(doc), NULL, NCIP_PT_INVALID_MESSAGE_SYNTAX,
	    "longer than 256 bytes");
}

static void
test_safety_body_cap_is_settable(void **state)
{
	const char	*doc = "<NCIPMessage><CheckInItem><ItemId>"
	    "<ItemIdentifierValue>31000000000456</ItemIdentifierValue>"
	    "</ItemId></CheckInItem></NCIPMessage>";
	struct ncip_limits	 small = { 64, 0, 0, 0 };
	struct ncip_limits	 enough = { 4096, 0, 0, 0 };
	struct ncip_error	 err;
	struct ncip_msg		*m;

	expect_refused(doc, strlen(doc), &small,
	    NCIP_PT_INVALID_MESSAGE_SYNTAX, "over the 64 byte cap");
	m = ncip_parse(doc, strlen(doc), &enough, &err);
	assert_non_null(m);
	ncip_msg_free(m);
}

static void
test_safety_element_count_capped(void **state)
{
	struct ncip_limits	 l = { 0, 0, 10, 0 };
	char			*doc = NULL, *many;
	size_t			 len = 0;

	many = rep("<a/>", 25000);
	doc = cat(doc, &len, "<NCIPMessage><LookupUser><UserId>"
	    "<UserIdentifierValue>1</UserIdentifierValue></UserId>%s"
	    "</LookupUser></NCIPMessage>", many);
	free(many);
	expect_refused(doc, len, NULL, NCIP_PT_INVALID_MESSAGE_SYNTAX,
	    "more than 20000 elements");
	free(doc);

	doc = util_load("v2/LookupUser.xml", &len);
	expect_refused(doc, len, &l, NCIP_PT_INVALID_MESSAGE_SYNTAX,
	    "more than 10 elements");
	free(doc);
}

static void
test_safety_not_xml_and_garbage(void **state)
{
	static const char *const docs[] = {
		"hello", "<", "<NCIPMessage>", "<NCIPMessage><LookupUser>"
		"</NCIPMessage>", "\xff\xfe\x00<\x00", "<?xml version=\"1.0\" "
		"encoding=\"x-no-such\"?><NCIPMessage/>", "<a><b></a></b>",
		"<NCIPMessage>\x01</NCIPMessage>",
	};
	size_t	 i;

	expect_refused("", 0, NULL, NCIP_PT_INVALID_MESSAGE_SYNTAX,
	    "empty body");
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		expect_refused(docs[i], strlen(docs[i]) + (i == 4 ? 4 : 0),
		    NULL, NCIP_PT_INVALID_MESSAGE_SYNTAX, NULL);
	expect_refused(NULL, 10, NULL, NCIP_PT_INVALID_MESSAGE_SYNTAX, NULL);
}

static void
test_safety_wrong_root_and_services(void **state)
{
	static const struct {
		const char		*doc;
		enum ncip_problem_type	 kind;
		const char		*element;
	} cases[] = {
		{ "<Message/>", NCIP_PT_INVALID_MESSAGE_SYNTAX, "NCIPMessage" },
		{ "<NCIPMessage xmlns=\"urn:not-ncip\"><CheckInItem/>"
		    "</NCIPMessage>", NCIP_PT_INVALID_MESSAGE_SYNTAX,
		    "NCIPMessage" },
		{ "<NCIPMessage/>", NCIP_PT_INVALID_MESSAGE_SYNTAX,
		    "NCIPMessage" },
		{ "<NCIPMessage><Ext/></NCIPMessage>",
		    NCIP_PT_INVALID_MESSAGE_SYNTAX, "NCIPMessage" },
		{ "<NCIPMessage><HackTheGibson/></NCIPMessage>",
		    NCIP_PT_UNKNOWN_SERVICE, "HackTheGibson" },
		{ "<NCIPMessage><RecallItem/></NCIPMessage>",
		    NCIP_PT_UNSUPPORTED_SERVICE, "RecallItem" },
		{ "<NCIPMessage><CheckInItem><ItemId><ItemIdentifierValue>1"
		    "</ItemIdentifierValue></ItemId></CheckInItem><DeleteItem/>"
		    "</NCIPMessage>", NCIP_PT_INVALID_MESSAGE_SYNTAX,
		    "NCIPMessage" },
		{ "<NCIPMessage><Problem><ProblemType>x</ProblemType></Problem>"
		    "<CheckInItem/></NCIPMessage>",
		    NCIP_PT_INVALID_MESSAGE_SYNTAX, "NCIPMessage" },
	};
	struct ncip_error	 err;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		expect_refused(cases[i].doc, strlen(cases[i].doc), NULL,
		    cases[i].kind, NULL);
		assert_null(ncip_parse(cases[i].doc, strlen(cases[i].doc),
		    NULL, &err));
		assert_string_equal(err.element, cases[i].element);
	}
}

/* Each service names the first needed element it lacks. */
static void
test_safety_missing_needed_elements(void **state)
{
	static const struct {
		const char	*body;
		const char	*element;
	} cases[] = {
		{ "<LookupVersion><ToAgencyId><AgencyId>M</AgencyId>"
		    "</ToAgencyId></LookupVersion>", "FromAgencyId" },
		{ "<LookupVersionResponse><FromAgencyId><AgencyId>M</AgencyId>"
		    "</FromAgencyId><ToAgencyId><AgencyId>D</AgencyId>"
		    "</ToAgencyId></LookupVersionResponse>",
		    "VersionSupported" },
		{ "<LookupUser><UserElementType>Name Information"
		    "</UserElementType></LookupUser>", "UserId" },
		{ "<LookupUser><UserId><UserIdentifierValue>  "
		    "</UserIdentifierValue></UserId></LookupUser>", "UserId" },
		{ "<LookupUserResponse/>", "UserId" },
		{ "<LookupItem/>", "ItemId" },
		{ "<CheckOutItem><UserId><UserIdentifierValue>1"
		    "</UserIdentifierValue></UserId></CheckOutItem>",
		    "ItemId" },
		{ "<CheckOutItemResponse><ItemId><ItemIdentifierValue>1"
		    "</ItemIdentifierValue></ItemId><UserId>"
		    "<UserIdentifierValue>2</UserIdentifierValue></UserId>"
		    "<DateDue>soon</DateDue></CheckOutItemResponse>",
		    "DateDue" },
		{ "<CheckInItem/>", "ItemId" },
		{ "<RenewItem><ItemId><ItemIdentifierValue>1"
		    "</ItemIdentifierValue></ItemId></RenewItem>", "UserId" },
		{ "<RenewItemResponse/>", "ItemId" },
		{ "<RequestItem><UserId><UserIdentifierValue>1"
		    "</UserIdentifierValue></UserId><ItemId>"
		    "<ItemIdentifierValue>2</ItemIdentifierValue></ItemId>"
		    "<RequestType>Hold</RequestType></RequestItem>",
		    "RequestScopeType" },
		{ "<RequestItemResponse><RequestId><RequestIdentifierValue>1"
		    "</RequestIdentifierValue></RequestId>"
		    "</RequestItemResponse>", "UserId" },
		{ "<CancelRequestItem><UserId><UserIdentifierValue>1"
		    "</UserIdentifierValue></UserId><RequestId>"
		    "<RequestIdentifierValue>2</RequestIdentifierValue>"
		    "</RequestId></CancelRequestItem>", "RequestType" },
		{ "<CancelRequestItemResponse/>", "ItemId" },
		{ "<AcceptItem><RequestId><RequestIdentifierValue>2"
		    "</RequestIdentifierValue></RequestId></AcceptItem>",
		    "RequestedActionType" },
		{ "<AcceptItemResponse/>", "RequestId" },
		{ "<CreateUser><UserId><UserIdentifierValue>1"
		    "</UserIdentifierValue></UserId></CreateUser>",
		    "NameInformation" },
		{ "<CreateUserResponse/>", "UserId" },
		{ "<UpdateUser><AddUserFields/></UpdateUser>", "UserId" },
		{ "<UpdateUserResponse/>", "UserId" },
		{ "<DeleteItem/>", "ItemId" },
		{ "<DeleteItemResponse/>", "ItemId" },
	};
	struct ncip_error	 err;
	struct ncip_msg		*reply;
	char			 doc[1024];
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		(void)snprintf(doc, sizeof(doc), "<NCIPMessage xmlns=\"http://"
		    "www.niso.org/2008/ncip\">%s</NCIPMessage>",
		    cases[i].body);
		expect_refused(doc, strlen(doc), NULL,
		    NCIP_PT_NEEDED_DATA_MISSING, NULL);
		assert_null(ncip_parse(doc, strlen(doc), NULL, &err));
		if (strcmp(err.element, cases[i].element) != 0)
			fail_msg("%s: missing %s, wanted %s", cases[i].body,
			    err.element, cases[i].element);
		/* A request is answered with its own response. */
		reply = ncip_reply_error(&err);
		assert_non_null(reply);
		if (ncip_service_is_request(err.service))
			assert_int_equal(reply->service,
			    ncip_service_info(err.service)->response);
		else
			assert_int_equal(reply->service, NCIP_PROBLEM);
		ncip_msg_free(reply);
	}
}

/* Refusals carry no text of the document: it may hold a PIN. */
static void
test_safety_errors_quote_nothing(void **state)
{
	const char	*docs[] = {
		"<NCIPMessage><LookupUser><AuthenticationInput>"
		"<AuthenticationInputData>4321</AuthenticationInputData>"
		"<AuthenticationInputType>PIN</AuthenticationInputTyp>"
		"</AuthenticationInput></LookupUser></NCIPMessage>",
		"<NCIPMessage><LookupUser><AuthenticationInput>"
		"<AuthenticationInputData>4321</AuthenticationInputData>"
		"</AuthenticationInput><UserElementType>&bogus4321;"
		"</UserElementType></LookupUser></NCIPMessage>",
	};
	struct ncip_error	 err;
	size_t			 i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		assert_null(ncip_parse(docs[i], strlen(docs[i]), NULL, &err));
		assert_int_equal(err.kind, NCIP_PT_INVALID_MESSAGE_SYNTAX);
		assert_null(strstr(err.detail, "4321"));
		assert_null(strstr(err.element, "4321"));
	}
}

/* libxml2 writes nothing to stderr: errors come back as Problems. */
static void
test_safety_libxml2_prints_nothing(void **state)
{
	static const char *const docs[] = {
		"<a><b></a>", "<!DOCTYPE x [<!ENTITY e \"v\">]><x>&e;</x>",
		"<NCIPMessage>&undefined;</NCIPMessage>", "\x80\x81\x82",
		/* Conversion errors that libxml2 raises outside the parser. */
		"<?xml version=\"1.0\" encoding=\"EUC-JP\"?><NCIPMessage>"
		"<CheckInItem><ItemId><ItemIdentifierValue>\xd6\x63ip"
		"</ItemIdentifierValue></ItemId></CheckInItem></NCIPMessage>",
		"<?xml version=\"1.0\" encoding=\"SHIFT_JIS\"?><NCIPMessage>"
		"\x85\x7f</NCIPMessage>",
	};
	struct ncip_error	 err;
	char			 path[] = "/tmp/ncip-stderr-XXXXXX";
	char			 red[256];
	int			 fd, saved;
	size_t			 i;
	off_t			 size;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fd, 2) >= 0);
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		assert_null(ncip_parse(docs[i], strlen(docs[i]), NULL, &err));
		(void)ncip_redact(docs[i], strlen(docs[i]), red, sizeof(red));
	}
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	size = lseek(fd, 0, SEEK_END);
	close(fd);
	unlink(path);
	assert_int_equal(size, 0);
}

static int	 caller_errors;

static void
caller_handler(void *ctx, xmlErrorPtr e)
{
	caller_errors++;
}

/* The caller's own libxml2 error handler is left as it was. */
static void
test_safety_caller_error_handler_kept(void **state)
{
	const char	*doc = "<?xml version=\"1.0\" encoding=\"EUC-JP\"?>"
	    "<NCIPMessage>\xd6\x63</NCIPMessage>";
	struct ncip_error	 err;
	char			 red[256];

	xmlSetStructuredErrorFunc(&caller_errors, caller_handler);
	assert_null(ncip_parse(doc, strlen(doc), NULL, &err));
	(void)ncip_redact(doc, strlen(doc), red, sizeof(red));
	assert_int_equal(caller_errors, 0);
	assert_ptr_equal(xmlStructuredError, caller_handler);
	assert_ptr_equal(xmlStructuredErrorContext, &caller_errors);
	/* And still gets what the codec did not cause. */
	assert_null(xmlReadMemory("<a>", 3, NULL, NULL, XML_PARSE_NONET));
	assert_true(caller_errors > 0);
	xmlSetStructuredErrorFunc(NULL, NULL);
}

/* Encodings libxml2 converts, and the caller's cap on the raw bytes. */
static void
test_safety_other_encodings_read(void **state)
{
	const char	*ascii = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>"
	    "<NCIPMessage><CheckInItem><ItemId><ItemIdentifierValue>\xc3\xa9"
	    "</ItemIdentifierValue></ItemId></CheckInItem></NCIPMessage>";
	struct ncip_error	 err;
	struct ncip_msg		*m;
	char			*u16, *latin;
	size_t			 i, j, n = strlen(ascii), len;

	/* The same document in UTF-16LE with a byte order mark. */
	u16 = malloc(2 * n + 2);
	assert_non_null(u16);
	u16[0] = (char)0xff;
	u16[1] = (char)0xfe;
	for (i = 0, j = 2; i < n; i++) {
		if ((unsigned char)ascii[i] == 0xc3) {
			u16[j++] = (char)0xe9;
			u16[j++] = 0;
			i++;
			continue;
		}
		u16[j++] = ascii[i];
		u16[j++] = 0;
	}
	m = ncip_parse(u16, j, NULL, &err);
	if (m == NULL)
		fail_msg("UTF-16: %s", err.detail);
	assert_string_equal(m->item_id.value, "\xc3\xa9");
	ncip_msg_free(m);
	free(u16);

	latin = util_load("v1/LookupItemResponse-problem.xml", &len);
	m = ncip_parse(latin, len, NULL, &err);
	assert_non_null(m);
	ncip_msg_free(m);
	free(latin);
}

static int
setup(void **state)
{
	char	 dtd[] = "/tmp/ncip-dtd-XXXXXX";
	int	 fd;
	FILE	*f;

	ncip_init();
	(void)snprintf(marker, sizeof(marker), "CIRCLINK-MARKER-%ld-%ld",
	    (long)getpid(), (long)time(NULL));
	(void)snprintf(marker_path, sizeof(marker_path),
	    "/tmp/ncip-marker-XXXXXX");
	if ((fd = mkstemp(marker_path)) == -1 ||
	    (f = fdopen(fd, "w")) == NULL)
		return (-1);
	fprintf(f, "%s\n", marker);
	fclose(f);
	/* A DTD whose entity would bring the marker in if it were read. */
	if ((fd = mkstemp(dtd)) == -1 || (f = fdopen(fd, "w")) == NULL)
		return (-1);
	fprintf(f, "<!ENTITY x \"%s\">\n", marker);
	fclose(f);
	(void)snprintf(dtd_path, sizeof(dtd_path), "%s", dtd);
	return (0);
}

static int
teardown(void **state)
{
	unlink(marker_path);
	unlink(dtd_path);
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_safety_external_entity_never_reads_a_file),
		cmocka_unit_test(
		    test_safety_ncip_doctype_accepted_without_loading),
		cmocka_unit_test(test_safety_billion_laughs_refused_at_once),
		cmocka_unit_test(test_safety_quadratic_blowup_refused),
		cmocka_unit_test(test_safety_deep_nesting_refused),
		cmocka_unit_test(test_safety_huge_text_refused),
		cmocka_unit_test(test_safety_field_length_caps),
		cmocka_unit_test(test_safety_body_cap_is_settable),
		cmocka_unit_test(test_safety_element_count_capped),
		cmocka_unit_test(test_safety_not_xml_and_garbage),
		cmocka_unit_test(test_safety_wrong_root_and_services),
		cmocka_unit_test(test_safety_missing_needed_elements),
		cmocka_unit_test(test_safety_errors_quote_nothing),
		cmocka_unit_test(test_safety_libxml2_prints_nothing),
		cmocka_unit_test(test_safety_caller_error_handler_kept),
		cmocka_unit_test(test_safety_other_encodings_read),
	};

	return (cmocka_run_group_tests_name("ncip_safety", tests, setup,
	    teardown));
}
