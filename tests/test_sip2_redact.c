/* SPDX-License-Identifier: ISC */
/*
 * Tests of log redaction: no PIN, password, name, address, e-mail, phone
 * or birth date survives, patron ids are masked, control bytes escaped,
 * even for bytes that are not a valid message.
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

#include "sip2.h"

#define DATE	"20240301    093000"

/* Secrets planted in the messages below; none may reach a log. */
static const char *const secrets[] = {
	"s3cret", "4321", "kioskpw", "kiosk1", "Jane Doe", "Main St 1",
	"jane@example.org", "555-0100", "19800101", "Hold Person",
	"12345678", "87654321",
};

static const char *const messages[] = {
	"9300CNkiosk1|COs3cret|CPMAIN|AY0",
	"2300120240301    093000AOMAIN|AA2100012345678|ACkioskpw|AD4321|",
	"6300120240301    093000          AOMAIN|AA2100012345678|AD4321|",
	("64              00120240301    093000000000000000000000000000"
	    "AOMAIN|AA2100012345678|AEJane Doe|BDMain St 1|"
	    "BEjane@example.org|BF555-0100|PB19800101|AFHello|"),
	("101YNN20240301    093000AOMAIN|AB31000000000001|AQMAIN|"
	    "CY2100087654321|DAHold Person|"),
	"3520240301    093000AOMAIN|AA2100012345678|AD4321|",
};

static void
assert_clean(const char *out)
{
	size_t	 i;

	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		if (strstr(out, secrets[i]) != NULL)
			fail_msg("\"%s\" leaked in \"%s\"", secrets[i], out);
	}
}

static void
test_redact_wire_hides_secrets(void **state)
{
	char	 out[1024];
	size_t	 i, n;

	for (i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
		n = sip2_redact(messages[i], strlen(messages[i]), '|', out,
		    sizeof(out));
		assert_int_equal(n, strlen(out));
		assert_clean(out);
	}
}

static void
test_redact_parsed_hides_secrets(void **state)
{
	struct sip2_msg	*m;
	char		 out[1024];
	size_t		 i;

	for (i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
		m = sip2_parse(messages[i], strlen(messages[i]), NULL, NULL);
		assert_non_null(m);
		sip2_msg_redact(m, out, sizeof(out));
		assert_clean(out);
		sip2_msg_describe(m, out, sizeof(out), 0);
		assert_clean(out);
		sip2_msg_free(m);
	}
}

static void
test_redact_wire_exact(void **state)
{
	char		 out[512];
	const char	*in = "2300120240301    093000AOMAIN|AA2100012345678|"
	    "ACkioskpw|AD4321|AY1AZABCD";

	sip2_redact(in, strlen(in), '|', out, sizeof(out));
	assert_string_equal(out, "2300120240301    093000AOMAIN|"
	    "AA2100*********|AC********|AD********|AY1AZABCD");
}

static void
test_redact_drops_personal_data(void **state)
{
	char		 out[512];
	const char	*in = messages[3];

	sip2_redact(in, strlen(in), '|', out, sizeof(out));
	assert_null(strstr(out, "AE"));
	assert_null(strstr(out, "BD"));
	assert_null(strstr(out, "BE"));
	assert_null(strstr(out, "BF"));
	assert_null(strstr(out, "PB"));
	assert_non_null(strstr(out, "AFHello|"));
	assert_non_null(strstr(out, "AA2100*********|"));
}

static void
test_redact_masks_hold_patron(void **state)
{
	char	 out[512];

	sip2_redact(messages[4], strlen(messages[4]), '|', out, sizeof(out));
	assert_non_null(strstr(out, "CY2100*********|"));
	assert_null(strstr(out, "DA"));
	assert_non_null(strstr(out, "AB31000000000001|"));
}

static void
test_redact_short_patron_id_fully_masked(void **state)
{
	struct sip2_msg	*m;
	char		 out[256];
	const char	*in = "2300120240301    093000AOMAIN|AA1234|AB|"
	    "AA123456|";

	/* At least four characters are always masked. */
	sip2_redact(in, strlen(in), '|', out, sizeof(out));
	assert_non_null(strstr(out, "AA****|"));
	assert_non_null(strstr(out, "AA12****|"));
	m = sip2_parse(in, strlen(in), NULL, NULL);
	assert_non_null(m);
	sip2_msg_redact(m, out, sizeof(out));
	assert_non_null(strstr(out, "AA****|"));
	assert_non_null(strstr(out, "AA12****|"));
	sip2_msg_free(m);
}

static void
test_redact_escapes_control_bytes(void **state)
{
	char		 out[256];
	const char	 in[] = "941\r\n\x01\x1b[2J\\\xff";

	sip2_redact(in, sizeof(in) - 1, '|', out, sizeof(out));
	assert_string_equal(out, "941\\r\\n\\x01\\x1B[2J\\\\\\xFF");
}

static void
test_redact_bad_checksum_still_redacted(void **state)
{
	char		 out[256];
	const char	*in = "2300120240301    093000AOMAIN|AD4321|AY1AZ0000";

	sip2_redact(in, strlen(in), '|', out, sizeof(out));
	assert_clean(out);
	assert_non_null(strstr(out, "AD********|"));
}

static void
test_redact_unknown_code_best_effort(void **state)
{
	char		 out[256];
	const char	*in[] = {
		"9X00CNkiosk1|COs3cret|CPMAIN|",
		"55xxADs3cret|",
		"23001trunc",
		"garbageAD4321 more",
		"93",
	};
	size_t		 i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		sip2_redact(in[i], strlen(in[i]), '|', out, sizeof(out));
		assert_clean(out);
	}
	sip2_redact(in[0], strlen(in[0]), '|', out, sizeof(out));
	assert_string_equal(out, "9X00CN********|CO********|CPMAIN|");
}

static void
test_redact_foreign_delimiter(void **state)
{
	char		 out[256];
	const char	*in = "2300120240301    093000AOMAIN^AA2100012345678^"
	    "ACkioskpw^AD4321^";

	/* The terminal uses '^' but we were told '|'. */
	sip2_redact(in, strlen(in), '|', out, sizeof(out));
	assert_clean(out);
	/* And told right, the fields are redacted one by one. */
	sip2_redact(in, strlen(in), '^', out, sizeof(out));
	assert_string_equal(out, "2300120240301    093000AOMAIN^"
	    "AA2100*********^AC********^AD********^");
}

static void
test_redact_title_words_kept(void **state)
{
	char		 out[256];
	const char	*in = "101YNN20240301    093000AOMAIN|AB1|AQMAIN|"
	    "AJTHE ADVENTURES OF CONAN|";

	/* Ids inside words of a title are not fields. */
	sip2_redact(in, strlen(in), '|', out, sizeof(out));
	assert_non_null(strstr(out, "AJTHE ADVENTURES OF CONAN|"));
}

static void
test_redact_output_bounds(void **state)
{
	char		 out[16];
	size_t		 n, size;

	for (size = 1; size <= sizeof(out); size++) {
		memset(out, '#', sizeof(out));
		n = sip2_redact(messages[1], strlen(messages[1]), '|', out,
		    size);
		assert_int_equal(n, size - 1);
		assert_int_equal(out[n], '\0');
		if (size < sizeof(out))
			assert_int_equal(out[size], '#');
	}
	assert_int_equal(sip2_redact(messages[1], strlen(messages[1]), '|',
	    out, 0), 0);
}

static void
test_redact_binary_garbage_terminates(void **state)
{
	unsigned char	 in[512];
	char		 out[4096];
	size_t		 len, n, i;
	int		 round;

	srand(5);
	for (round = 0; round < 5000; round++) {
		len = (size_t)rand() % sizeof(in);
		for (i = 0; i < len; i++)
			in[i] = (unsigned char)rand();
		n = sip2_redact((char *)in, len, (char)(rand() % 256), out,
		    sizeof(out));
		assert_true(n < sizeof(out));
		assert_int_equal(strlen(out), n);
		for (i = 0; i < n; i++)
			assert_true(out[i] >= 0x20 && out[i] < 0x7f);
	}
}

static void
test_redact_describe_format(void **state)
{
	struct sip2_msg	*m;
	char		 out[1024];
	const char	*in = "2300120240301    093000AOMAIN|AA2100012345678|"
	    "AD4321|ZZvendor|AY3";

	m = sip2_parse(in, strlen(in), NULL, NULL);
	assert_non_null(m);
	sip2_msg_describe(m, out, sizeof(out), 0);
	assert_string_equal(out,
	    "23 patron-status\n"
	    "  language: 001\n"
	    "  transaction-date: " DATE "\n"
	    "  AO institution id: MAIN\n"
	    "  AA patron id: 2100*********\n"
	    "  AD patron password: ********\n"
	    "  ZZ unknown field: vendor\n"
	    "  sequence: 3\n");
	sip2_msg_describe(m, out, sizeof(out), 1);
	assert_non_null(strstr(out, "  AD patron password: 4321\n"));
	assert_non_null(strstr(out, "  AA patron id: 2100012345678\n"));
	sip2_msg_free(m);
}

static void
test_redact_describe_bounds(void **state)
{
	struct sip2_msg	*m;
	char		 out[20];
	size_t		 n;

	m = sip2_parse(messages[3], strlen(messages[3]), NULL, NULL);
	assert_non_null(m);
	n = sip2_msg_describe(m, out, sizeof(out), 0);
	assert_int_equal(n, sizeof(out) - 1);
	assert_int_equal(out[n], '\0');
	n = sip2_msg_redact(m, out, sizeof(out));
	assert_int_equal(n, sizeof(out) - 1);
	assert_int_equal(sip2_msg_describe(m, out, 0, 0), 0);
	sip2_msg_free(m);
}

static void
test_redact_parsed_wire_text(void **state)
{
	struct sip2_msg	*m;
	char		 out[512];

	m = sip2_parse(messages[0], strlen(messages[0]), NULL, NULL);
	assert_non_null(m);
	sip2_msg_redact(m, out, sizeof(out));
	assert_string_equal(out, "9300CN********|CO********|CPMAIN|AY0");
	sip2_msg_free(m);
}

static void
test_redact_id_alone(void **state)
{
	char	 buf[32];

	assert_int_equal(sip2_redact_id("22000000002", buf, sizeof(buf)), 11);
	assert_string_equal(buf, "2200*******");
	sip2_redact_id("12345", buf, sizeof(buf));
	assert_string_equal(buf, "1****");
	sip2_redact_id("1234", buf, sizeof(buf));
	assert_string_equal(buf, "****");
	sip2_redact_id("22000000002", buf, 6);
	assert_string_equal(buf, "2200*");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact_wire_hides_secrets),
		cmocka_unit_test(test_redact_parsed_hides_secrets),
		cmocka_unit_test(test_redact_wire_exact),
		cmocka_unit_test(test_redact_drops_personal_data),
		cmocka_unit_test(test_redact_masks_hold_patron),
		cmocka_unit_test(test_redact_short_patron_id_fully_masked),
		cmocka_unit_test(test_redact_escapes_control_bytes),
		cmocka_unit_test(test_redact_bad_checksum_still_redacted),
		cmocka_unit_test(test_redact_unknown_code_best_effort),
		cmocka_unit_test(test_redact_foreign_delimiter),
		cmocka_unit_test(test_redact_title_words_kept),
		cmocka_unit_test(test_redact_output_bounds),
		cmocka_unit_test(test_redact_binary_garbage_terminates),
		cmocka_unit_test(test_redact_describe_format),
		cmocka_unit_test(test_redact_describe_bounds),
		cmocka_unit_test(test_redact_parsed_wire_text),
		cmocka_unit_test(test_redact_id_alone),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
