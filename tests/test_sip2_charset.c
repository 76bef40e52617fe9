/* SPDX-License-Identifier: ISC */
/*
 * Tests of wire character sets: each one both ways, diacritics, folding
 * to ASCII, invalid input and output bounds.
 */

#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sip2.h"

#define CAFE_UTF8	"Caf\xc3\xa9 M\xc3\xbcller"
#define CAFE_LATIN1	"Caf\xe9 M\xfcller"
#define CAFE_CP850	"Caf\x82 M\x81ller"

static void
expect_to(enum sip2_charset cs, const char *in, const char *want)
{
	char	 out[512];
	ssize_t	 n;

	n = sip2_to_utf8(cs, in, strlen(in), out, sizeof(out));
	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, (size_t)n);
	assert_int_equal(out[n], '\0');
}

static void
expect_from(enum sip2_charset cs, const char *in, const char *want)
{
	char	 out[512];
	ssize_t	 n;

	n = sip2_from_utf8(cs, in, strlen(in), out, sizeof(out));
	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, (size_t)n);
}

static void
test_charset_names(void **state)
{
	enum sip2_charset	 cs;

	assert_int_equal(sip2_charset_from_name("utf-8", &cs), 0);
	assert_int_equal(cs, SIP2_CS_UTF8);
	assert_int_equal(sip2_charset_from_name("ASCII", &cs), 0);
	assert_int_equal(cs, SIP2_CS_ASCII);
	assert_int_equal(sip2_charset_from_name("cp850", &cs), 0);
	assert_int_equal(cs, SIP2_CS_CP850);
	assert_int_equal(sip2_charset_from_name("iso-8859-1", &cs), 0);
	assert_int_equal(cs, SIP2_CS_LATIN1);
	assert_int_equal(sip2_charset_from_name("latin1", &cs), 0);
	assert_int_equal(cs, SIP2_CS_LATIN1);
	assert_int_equal(sip2_charset_from_name("ebcdic", &cs), -1);
	assert_int_equal(sip2_charset_from_name(NULL, &cs), -1);
	for (cs = SIP2_CS_UTF8; cs <= SIP2_CS_LATIN1; cs++) {
		enum sip2_charset	 back;

		assert_int_equal(sip2_charset_from_name(sip2_charset_name(cs),
		    &back), 0);
		assert_int_equal(back, cs);
	}
}

static void
test_charset_latin1_to_utf8(void **state)
{
	expect_to(SIP2_CS_LATIN1, CAFE_LATIN1, CAFE_UTF8);
}

static void
test_charset_utf8_to_latin1(void **state)
{
	expect_from(SIP2_CS_LATIN1, CAFE_UTF8, CAFE_LATIN1);
}

static void
test_charset_cp850_to_utf8(void **state)
{
	expect_to(SIP2_CS_CP850, CAFE_CP850, CAFE_UTF8);
	/* A box-drawing character takes three UTF-8 bytes. */
	expect_to(SIP2_CS_CP850, "\xc4\xb3", "\xe2\x94\x80\xe2\x94\x82");
}

static void
test_charset_utf8_to_cp850(void **state)
{
	expect_from(SIP2_CS_CP850, CAFE_UTF8, CAFE_CP850);
	expect_from(SIP2_CS_CP850, "\xe2\x94\x80\xc4\xb1\xc2\xa0",
	    "\xc4\xd5\xff");
}

static void
test_charset_utf8_to_ascii_folds(void **state)
{
	expect_from(SIP2_CS_ASCII, CAFE_UTF8, "Cafe Muller");
	/* Łódź, Straße, Œuvre, Ærø */
	expect_from(SIP2_CS_ASCII, "\xc5\x81\xc3\xb3" "d\xc5\xba", "Lodz");
	expect_from(SIP2_CS_ASCII, "Stra\xc3\x9f" "e", "Strasse");
	expect_from(SIP2_CS_ASCII, "\xc5\x92uvre", "OEuvre");
	expect_from(SIP2_CS_ASCII, "\xc3\x86r\xc3\xb8", "AEro");
	/* Typographic quotes, dashes and an ellipsis. */
	expect_from(SIP2_CS_ASCII, "\xe2\x80\x9cHi\xe2\x80\x9d \xe2\x80\x93 "
	    "ok\xe2\x80\xa6", "\"Hi\" - ok...");
	/* Combining marks go: "e" + U+0301. */
	expect_from(SIP2_CS_ASCII, "Cafe\xcc\x81", "Cafe");
	/* What cannot fold is '?'. */
	expect_from(SIP2_CS_ASCII, "\xe6\x9d\xb1\xe4\xba\xac", "??");
}

static void
test_charset_ascii_to_utf8(void **state)
{
	char	 out[16];

	expect_to(SIP2_CS_ASCII, "plain text", "plain text");
	assert_int_equal(sip2_to_utf8(SIP2_CS_ASCII, CAFE_LATIN1,
	    strlen(CAFE_LATIN1), out, sizeof(out)), -1);
}

static void
test_charset_utf8_both_ways(void **state)
{
	expect_to(SIP2_CS_UTF8, CAFE_UTF8, CAFE_UTF8);
	expect_from(SIP2_CS_UTF8, CAFE_UTF8, CAFE_UTF8);
	expect_to(SIP2_CS_UTF8, "\xf0\x9f\x93\x9a", "\xf0\x9f\x93\x9a");
}

static void
test_charset_latin1_cannot_hold(void **state)
{
	/* Folded where possible, else '?'. */
	expect_from(SIP2_CS_LATIN1, "\xc5\x81\xc3\xb3" "d\xc5\xba",
	    "L\xf3" "dz");
	expect_from(SIP2_CS_LATIN1, "5 \xe2\x82\xac", "5 EUR");
	expect_from(SIP2_CS_LATIN1, "\xf0\x9f\x93\x9a", "?");
	expect_from(SIP2_CS_CP850, "\xe6\x9d\xb1", "?");
}

static void
test_charset_invalid_utf8_input(void **state)
{
	char	 out[64];

	/* Wire bytes that are not UTF-8 fail. */
	assert_int_equal(sip2_to_utf8(SIP2_CS_UTF8, CAFE_LATIN1,
	    strlen(CAFE_LATIN1), out, sizeof(out)), -1);
	assert_int_equal(sip2_to_utf8(SIP2_CS_UTF8, "\xc0\x80", 2, out,
	    sizeof(out)), -1);
	assert_int_equal(sip2_to_utf8(SIP2_CS_UTF8, "\xed\xa0\x80", 3, out,
	    sizeof(out)), -1);
	assert_int_equal(sip2_to_utf8(SIP2_CS_UTF8, "\xf4\x90\x80\x80", 4,
	    out, sizeof(out)), -1);
	assert_int_equal(sip2_to_utf8(SIP2_CS_UTF8, "ab\xc3", 3, out,
	    sizeof(out)), -1);
	/* Values from the application are repaired instead. */
	expect_from(SIP2_CS_LATIN1, "a\xff" "b\xc3", "a?b?");
	expect_from(SIP2_CS_UTF8, "a\xe2\x82" "b", "a??b");
}

static void
test_charset_every_cp850_byte_round_trips(void **state)
{
	char	 in[128], utf8[512], back[256];
	ssize_t	 n, m;
	int	 i;

	for (i = 0; i < 128; i++)
		in[i] = (char)(0x80 + i);
	n = sip2_to_utf8(SIP2_CS_CP850, in, 128, utf8, sizeof(utf8));
	assert_true(n > 256);
	m = sip2_from_utf8(SIP2_CS_CP850, utf8, (size_t)n, back, sizeof(back));
	assert_int_equal(m, 128);
	assert_memory_equal(back, in, 128);
}

static void
test_charset_every_latin1_byte_round_trips(void **state)
{
	char	 in[96], utf8[256], back[128];
	ssize_t	 n, m;
	int	 i;

	for (i = 0; i < 96; i++)
		in[i] = (char)(0xa0 + i);
	n = sip2_to_utf8(SIP2_CS_LATIN1, in, 96, utf8, sizeof(utf8));
	assert_int_equal(n, 192);
	m = sip2_from_utf8(SIP2_CS_LATIN1, utf8, (size_t)n, back,
	    sizeof(back));
	assert_int_equal(m, 96);
	assert_memory_equal(back, in, 96);
	/* And through code page 850, which holds all of them too. */
	m = sip2_from_utf8(SIP2_CS_CP850, utf8, (size_t)n, back, sizeof(back));
	assert_int_equal(m, 96);
	n = sip2_to_utf8(SIP2_CS_CP850, back, 96, utf8, sizeof(utf8));
	m = sip2_from_utf8(SIP2_CS_LATIN1, utf8, (size_t)n, back,
	    sizeof(back));
	assert_memory_equal(back, in, 96);
}

static void
test_charset_fold_never_grows(void **state)
{
	char	 in[4], out[16];
	ssize_t	 n;
	int	 c, cs;

	/* Every two-byte character, through every charset. */
	for (c = 0x80; c < 0x800; c++) {
		in[0] = (char)(0xc0 | c >> 6);
		in[1] = (char)(0x80 | (c & 0x3f));
		for (cs = SIP2_CS_UTF8; cs <= SIP2_CS_LATIN1; cs++) {
			n = sip2_from_utf8((enum sip2_charset)cs, in, 2, out,
			    2);
			assert_true(n >= 0 && n <= 2);
		}
	}
}

static void
test_charset_output_bounds(void **state)
{
	char	 out[8];

	memset(out, '#', sizeof(out));
	assert_int_equal(sip2_to_utf8(SIP2_CS_LATIN1, CAFE_LATIN1,
	    strlen(CAFE_LATIN1), out, 5), -1);
	assert_int_equal(out[5], '#');
	assert_int_equal(sip2_to_utf8(SIP2_CS_LATIN1, "abc", 3, out, 2), -1);
	assert_int_equal(sip2_from_utf8(SIP2_CS_LATIN1, CAFE_UTF8,
	    strlen(CAFE_UTF8), out, 5), -1);
	assert_int_equal(out[5], '#');
	assert_int_equal(sip2_from_utf8(SIP2_CS_ASCII, "abc", 3, out, 2), -1);
	/* Exactly enough room: no NUL is needed. */
	assert_int_equal(sip2_to_utf8(SIP2_CS_ASCII, "abc", 3, out, 3), 3);
	assert_int_equal(sip2_from_utf8(SIP2_CS_ASCII, "abc", 3, out, 3), 3);
}

static void
test_charset_ascii_fast_path_is_identity(void **state)
{
	char	 in[200], out[256];
	int	 i, cs;

	for (i = 0; i < 200; i++)
		in[i] = (char)(0x20 + i % 0x5f);
	for (cs = SIP2_CS_UTF8; cs <= SIP2_CS_LATIN1; cs++) {
		assert_int_equal(sip2_to_utf8((enum sip2_charset)cs, in, 200,
		    out, sizeof(out)), 200);
		assert_memory_equal(out, in, 200);
		assert_int_equal(sip2_from_utf8((enum sip2_charset)cs, in, 200,
		    out, sizeof(out)), 200);
		assert_memory_equal(out, in, 200);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_charset_names),
		cmocka_unit_test(test_charset_latin1_to_utf8),
		cmocka_unit_test(test_charset_utf8_to_latin1),
		cmocka_unit_test(test_charset_cp850_to_utf8),
		cmocka_unit_test(test_charset_utf8_to_cp850),
		cmocka_unit_test(test_charset_utf8_to_ascii_folds),
		cmocka_unit_test(test_charset_ascii_to_utf8),
		cmocka_unit_test(test_charset_utf8_both_ways),
		cmocka_unit_test(test_charset_latin1_cannot_hold),
		cmocka_unit_test(test_charset_invalid_utf8_input),
		cmocka_unit_test(test_charset_every_cp850_byte_round_trips),
		cmocka_unit_test(test_charset_every_latin1_byte_round_trips),
		cmocka_unit_test(test_charset_fold_never_grows),
		cmocka_unit_test(test_charset_output_bounds),
		cmocka_unit_test(test_charset_ascii_fast_path_is_identity),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
