/* SPDX-License-Identifier: ISC */
/*
 * Tests of NCIP log redaction: no PIN, password, agency secret, name,
 * address, e-mail, phone or birth date survives, user ids are masked,
 * titles go from messages that name a user, and bad bytes show nothing.
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

/* Everything secret or personal in the samples. */
static const char *const secrets[] = {
	"4321", "s3cret-pw", "9911", "8642", "partner-token-7781",
	"21000012345678", "21000055550001", "22000098765432", "S-778812",
	"21000011110000", "Jane", "Doe", "Sam", "Rivera", "12 Main St",
	"Springfield", "62701", "40 Oak Ave", "jane.doe@example.org",
	"555-0100", "sam.rivera@student.example.edu", "srivera@example.net",
	"2009-05-14", "2011-11-02", "1980",
};

static void
assert_clean(const char *what, const char *out)
{
	size_t	 i;

	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		if (strstr(out, secrets[i]) != NULL)
			fail_msg("%s: \"%s\" leaked in %s", what, secrets[i],
			    out);
	}
	for (i = 0; out[i] != '\0'; i++) {
		if ((unsigned char)out[i] < 0x20)
			fail_msg("%s: control byte in %s", what, out);
	}
}

static void
test_redact_samples_hide_secrets(void **state)
{
	static const char *const dirs[] = { "v2", "v1", "dialects" };
	static const char *const extra[] = {
		"v1/CheckOutItem-v101.xml", "dialects/LookupUser-ns1.xml",
		"dialects/CheckInItem-nons.xml",
	};
	struct ncip_msg	*m;
	char		 path[256], out[16384], *buf;
	size_t		 i, len, n;

	for (i = 0; i < nsamples * 2 + sizeof(extra) / sizeof(extra[0]);
	    i++) {
		if (i < nsamples * 2) {
			if (i >= nsamples && (samples[i - nsamples].service ==
			    NCIP_LOOKUP_VERSION || samples[i - nsamples].service
			    == NCIP_LOOKUP_VERSION_RESP))
				continue;
			/* LookupItemSet has no version 1 form. */
			if (i >= nsamples && (samples[i - nsamples].service ==
			    NCIP_LOOKUP_ITEM_SET ||
			    samples[i - nsamples].service ==
			    NCIP_LOOKUP_ITEM_SET_RESP))
				continue;
			(void)snprintf(path, sizeof(path), "%s/%s.xml",
			    dirs[i / nsamples], samples[i % nsamples].file);
		} else
			(void)snprintf(path, sizeof(path), "%s",
			    extra[i - nsamples * 2]);
		buf = util_load(path, &len);
		n = ncip_redact(buf, len, out, sizeof(out));
		assert_int_equal(n, strlen(out));
		assert_true(n < sizeof(out) - 1);
		assert_non_null(strstr(out, "NCIPMessage"));
		assert_clean(path, out);

		m = ncip_parse(buf, len, NULL, NULL);
		assert_non_null(m);
		n = ncip_msg_redact(m, out, sizeof(out));
		assert_int_equal(n, strlen(out));
		assert_clean(path, out);
		ncip_msg_free(m);
		free(buf);
	}
}

static void
test_redact_shows_what_helps_and_masks_ids(void **state)
{
	char	 out[16384], *buf;
	size_t	 len;

	buf = util_load("v2/LookupUser.xml", &len);
	(void)ncip_redact(buf, len, out, sizeof(out));
	/* Secrets become stars; the kind of input stays. */
	assert_non_null(strstr(out, "<AuthenticationInputData>********"
	    "</AuthenticationInputData>"));
	assert_non_null(strstr(out, ">PIN</AuthenticationInputType>"));
	assert_non_null(strstr(out, "<AgencyId>DISTRICT</AgencyId>"));
	assert_non_null(strstr(out, "Name Information"));
	/* One line, no indentation. */
	assert_null(strstr(out, "  <"));
	free(buf);

	buf = util_load("v2/LookupUserResponse.xml", &len);
	(void)ncip_redact(buf, len, out, sizeof(out));
	assert_non_null(strstr(out, "<UserIdentifierValue>2100**********"
	    "</UserIdentifierValue>"));
	assert_non_null(strstr(out, "<UserIdentifierValue>S-77****"
	    "</UserIdentifierValue>"));
	assert_null(strstr(out, "NameInformation"));
	assert_null(strstr(out, "UserAddressInformation"));
	assert_null(strstr(out, "DateOfBirth"));
	/* A patron and titles never share a line. */
	assert_null(strstr(out, "Earthsea"));
	assert_null(strstr(out, "<Title>"));
	assert_non_null(strstr(out, "<ItemIdentifierValue>31000000000456"
	    "</ItemIdentifierValue>"));
	assert_non_null(strstr(out, "<DateDue>2024-03-22T23:59:00Z</DateDue>"));
	free(buf);

	/* Without a user, a title may show. */
	buf = util_load("v2/LookupItemResponse.xml", &len);
	(void)ncip_redact(buf, len, out, sizeof(out));
	assert_non_null(strstr(out, "<Title>A Wizard of Earthsea</Title>"));
	free(buf);

	buf = util_load("v1/CheckOutItem-v101.xml", &len);
	(void)ncip_redact(buf, len, out, sizeof(out));
	assert_non_null(strstr(out, "<FromAgencyAuthentication>********"
	    "</FromAgencyAuthentication>"));
	free(buf);
}

static void
test_redact_unparsed_bytes_show_nothing(void **state)
{
	static const char *const docs[] = {
		"PIN=4321 barcode 21000012345678",
		"<NCIPMessage><LookupUser><AuthenticationInput>"
		"<AuthenticationInputData>4321</AuthenticationInputData>",
		"<!DOCTYPE NCIPMessage [<!ENTITY a \"4321\">]><NCIPMessage>&a;"
		"</NCIPMessage>",
	};
	char	 out[512];
	size_t	 i, n;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		n = ncip_redact(docs[i], strlen(docs[i]), out, sizeof(out));
		assert_int_equal(n, strlen(out));
		assert_non_null(strstr(out, "not rendered"));
		assert_clean(docs[i], out);
	}
}

/* The output is cut to the buffer, terminated, never mid-character. */
static void
test_redact_cuts_cleanly(void **state)
{
	const char	*doc = "<NCIPMessage><LookupItemResponse><ItemId>"
	    "<ItemIdentifierValue>1</ItemIdentifierValue></ItemId>"
	    "<ItemOptionalFields><BibliographicDescription><Title>"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9</Title>"
	    "</BibliographicDescription></ItemOptionalFields>"
	    "</LookupItemResponse></NCIPMessage>";
	char		 out[256], full[1024];
	size_t		 i, n, fn;

	fn = ncip_redact(doc, strlen(doc), full, sizeof(full));
	for (i = 1; i < fn + 2 && i < sizeof(out); i++) {
		memset(out, 'Z', sizeof(out));
		n = ncip_redact(doc, strlen(doc), out, i);
		assert_true(n < i);
		assert_int_equal(out[n], '\0');
		assert_int_equal(strncmp(out, full, n), 0);
		/* A cut lands between characters. */
		if (n > 0 && n < fn)
			assert_true(((unsigned char)full[n] & 0xc0) != 0x80);
	}
	assert_int_equal(ncip_redact(doc, strlen(doc), out, 0), 0);
}

static void
test_redact_short_ids_fully_masked(void **state)
{
	const char	*doc = "<NCIPMessage><CheckOutItem><UserId>"
	    "<UserIdentifierValue>1234</UserIdentifierValue></UserId><ItemId>"
	    "<ItemIdentifierValue>9</ItemIdentifierValue></ItemId>"
	    "</CheckOutItem></NCIPMessage>";
	char		 out[1024];

	(void)ncip_redact(doc, strlen(doc), out, sizeof(out));
	assert_non_null(strstr(out, "<UserIdentifierValue>123*"
	    "</UserIdentifierValue>"));
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
		cmocka_unit_test(test_redact_samples_hide_secrets),
		cmocka_unit_test(test_redact_shows_what_helps_and_masks_ids),
		cmocka_unit_test(test_redact_unparsed_bytes_show_nothing),
		cmocka_unit_test(test_redact_cuts_cleanly),
		cmocka_unit_test(test_redact_short_ids_fully_masked),
	};

	return (cmocka_run_group_tests_name("ncip_redact", tests, setup,
	    NULL));
}
