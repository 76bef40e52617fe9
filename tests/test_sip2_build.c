/* SPDX-License-Identifier: ISC */
/*
 * Tests of building SIP2 messages and of the message API behind it: every
 * code built and round-tripped, trailers, terminators, character sets,
 * buffer bounds, and field editing.
 */

#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sip2.h"
#include "test_sip2_samples.h"

#define DATE	"20240301    093000"

static const struct sip2_wire utf8_wire = { SIP2_CS_UTF8, SIP2_TERM_CR, '|',
    1 };
static const struct sip2_wire plain_wire = { SIP2_CS_UTF8, SIP2_TERM_CR,
    '|', 0 };

/* Build m and check the result against want plus a CR. */
static void
expect_build(const struct sip2_msg *m, const struct sip2_wire *w,
    const char *want)
{
	char	 out[SIP2_BUILD_MAX];
	ssize_t	 n;

	n = sip2_build(m, w, out, sizeof(out));
	assert_true(n > 0);
	out[n] = '\0';
	if (strlen(want) + 1 != (size_t)n || memcmp(out, want, n - 1) != 0 ||
	    out[n - 1] != '\r')
		fail_msg("built \"%s\", want \"%s\\r\"", out, want);
}

/* Make a message from a sample through the public calls only. */
static struct sip2_msg *
sample_msg(const struct sample *s)
{
	const struct sip2_spec	*spec = sip2_spec_find(s->code);
	struct sip2_msg		*m;
	const char		*w = s->wire, *bar;
	char			 val[300], id[3];
	size_t			 off = 2, i, len;

	m = sip2_msg_new(s->code);
	assert_non_null(m);
	for (i = 0; i < spec->nfixed; i++) {
		len = spec->fixed[i].width;
		memcpy(val, w + off, len);
		val[len] = '\0';
		assert_int_equal(sip2_msg_set_fixed(m, spec->fixed[i].fx, val),
		    0);
		off += len;
	}
	while (w[off] != '\0') {
		bar = strchr(w + off, '|');
		memcpy(id, w + off, 2);
		id[2] = '\0';
		len = (size_t)(bar - w) - off - 2;
		memcpy(val, w + off + 2, len);
		val[len] = '\0';
		assert_int_equal(sip2_msg_add_field(m, id, val), 0);
		off = (size_t)(bar - w) + 1;
	}
	return (m);
}

static void
test_build_sample(void **state)
{
	const struct sample	*s = *state;
	struct sip2_msg		*m;
	char			 want[1024];
	int			 seq;

	m = sample_msg(s);
	seq = (s->code == 96 || s->code == 97) ? -1 : s->code % 10;
	sip2_msg_set_seq(m, seq);
	sample_with_trailer(s, seq, want, sizeof(want));
	expect_build(m, &utf8_wire, want);
	expect_build(m, &plain_wire, s->wire);
	sip2_msg_free(m);
}

static void
test_build_roundtrip_sample(void **state)
{
	const struct sample	*s = *state;
	struct sip2_msg		*m, *m2;
	enum sip2_err		 err;
	char			 in[1024], out[SIP2_BUILD_MAX];
	ssize_t			 n;
	size_t			 len;

	len = sample_with_trailer(s, 5, in, sizeof(in));
	m = sip2_parse(in, len, &utf8_wire, &err);
	assert_non_null(m);
	n = sip2_build(m, &utf8_wire, out, sizeof(out));
	assert_int_equal(n, len + 1);
	assert_memory_equal(out, in, len);

	/* And once more from what was built. */
	m2 = sip2_parse(out, (size_t)n - 1, &utf8_wire, &err);
	assert_non_null(m2);
	n = sip2_build(m2, &utf8_wire, out, sizeof(out));
	assert_int_equal(n, len + 1);
	assert_memory_equal(out, in, len);
	sip2_msg_free(m2);
	sip2_msg_free(m);
}

static void
test_build_no_sequence_gives_zero(void **state)
{
	struct sip2_msg	*m;

	m = sip2_msg_new(SIP2_LOGIN_RESP);
	sip2_msg_set_fixed(m, SIP2_FX_OK, "1");
	expect_build(m, &utf8_wire, "941AY0AZFDFD");
	sip2_msg_free(m);
}

static void
test_build_resend_has_no_sequence(void **state)
{
	struct sip2_msg	*m;

	m = sip2_msg_new(SIP2_REQUEST_RESEND);
	expect_build(m, &utf8_wire, "96AZFEF6");
	sip2_msg_free(m);
	m = sip2_msg_new(SIP2_RESEND);
	expect_build(m, &utf8_wire, "97AZFEF5");
	sip2_msg_free(m);
}

static void
test_build_resend_with_value_ending_in_ay(void **state)
{
	struct sip2_wire	 w = { SIP2_CS_CP850, SIP2_TERM_CR, '^', 1 };
	struct sip2_msg		*m, *back;
	enum sip2_err		 err;
	char			 out[64];
	ssize_t			 n;

	/* Found by the fuzzer: no AY is written, so "AY4" stays a value. */
	m = sip2_msg_new(SIP2_RESEND);
	sip2_msg_add_field(m, "ZZ", "xAY4");
	n = sip2_build(m, &w, out, sizeof(out));
	assert_true(n > 0);
	assert_memory_equal(out, "97ZZxAY4^AZ", 11);
	back = sip2_parse(out, (size_t)n, &w, &err);
	assert_non_null(back);
	assert_string_equal(sip2_msg_field(back, "ZZ"), "xAY4");
	assert_int_equal(sip2_msg_seq(back), -1);
	sip2_msg_free(back);
	sip2_msg_free(m);
}

static void
test_build_sc_status_vector(void **state)
{
	struct sip2_msg	*m;

	m = sip2_msg_new(SIP2_SC_STATUS);
	sip2_msg_set_fixed(m, SIP2_FX_STATUS_CODE, "0");
	sip2_msg_set_fixed(m, SIP2_FX_MAX_PRINT_WIDTH, " 40");
	sip2_msg_set_fixed(m, SIP2_FX_PROTOCOL_VERSION, "2.00");
	sip2_msg_set_seq(m, 1);
	expect_build(m, &utf8_wire, "990 402.00AY1AZFCB4");
	sip2_msg_free(m);
}

static void
test_build_terminators(void **state)
{
	struct sip2_wire	 w = plain_wire;
	struct sip2_msg		*m;
	char			 out[64];

	m = sip2_msg_new(SIP2_LOGIN_RESP);
	sip2_msg_set_fixed(m, SIP2_FX_OK, "1");
	w.term = SIP2_TERM_CR;
	assert_int_equal(sip2_build(m, &w, out, sizeof(out)), 4);
	assert_memory_equal(out, "941\r", 4);
	w.term = SIP2_TERM_CRLF;
	assert_int_equal(sip2_build(m, &w, out, sizeof(out)), 5);
	assert_memory_equal(out, "941\r\n", 5);
	w.term = SIP2_TERM_LF;
	assert_int_equal(sip2_build(m, &w, out, sizeof(out)), 4);
	assert_memory_equal(out, "941\n", 4);
	sip2_msg_free(m);
}

static void
test_build_out_too_small(void **state)
{
	const struct sample	*s = &samples[7];	/* 64 */
	struct sip2_msg		*m;
	char			 out[1024];
	ssize_t			 full, n;
	size_t			 size;

	m = sample_msg(s);
	full = sip2_build(m, &utf8_wire, out, sizeof(out));
	assert_true(full > 100);
	for (size = 0; size < (size_t)full; size++) {
		memset(out, '#', sizeof(out));
		n = sip2_build(m, &utf8_wire, out, size);
		assert_int_equal(n, -1);
		assert_int_equal(out[size], '#');
	}
	memset(out, '#', sizeof(out));
	assert_int_equal(sip2_build(m, &utf8_wire, out, (size_t)full), full);
	/* No NUL, nor anything else, past the returned length. */
	assert_int_equal(out[full], '#');
	sip2_msg_free(m);
}

static void
test_build_strips_delimiter_from_values(void **state)
{
	struct sip2_wire	 w = plain_wire;
	struct sip2_msg		*m;

	m = sip2_msg_new(SIP2_LOGIN_RESP);
	sip2_msg_set_fixed(m, SIP2_FX_OK, "1");
	assert_int_equal(sip2_msg_add_field(m, "AF", "a^b|c"), 0);
	/* add_field already dropped '|'. */
	assert_string_equal(sip2_msg_field(m, "AF"), "a^bc");
	w.delim = '^';
	expect_build(m, &w, "941AFabc^");
	sip2_msg_free(m);
}

static void
test_build_nonascii_strips_delimiter(void **state)
{
	struct sip2_wire	 w = { SIP2_CS_LATIN1, SIP2_TERM_CR, '^', 0 };
	struct sip2_msg		*m;

	m = sip2_msg_new(SIP2_LOGIN_RESP);
	sip2_msg_set_fixed(m, SIP2_FX_OK, "1");
	sip2_msg_add_field(m, "AF", "caf\xc3\xa9^x");
	expect_build(m, &w, "941AFcaf\xe9x^");
	sip2_msg_free(m);
}

static void
test_build_invalid_delimiter_falls_back(void **state)
{
	struct sip2_wire	 w = plain_wire;
	struct sip2_msg		*m;

	m = sip2_msg_new(SIP2_LOGIN_RESP);
	sip2_msg_set_fixed(m, SIP2_FX_OK, "1");
	sip2_msg_add_field(m, "AF", "x");
	w.delim = '\0';
	expect_build(m, &w, "941AFx|");
	w.delim = 'A';
	expect_build(m, &w, "941AFx|");
	w.delim = '\r';
	expect_build(m, &w, "941AFx|");
	sip2_msg_free(m);
}

/* Build "Café Müller" for a charset and compare with the wire bytes. */
static void
check_charset_build(enum sip2_charset cs, const char *want)
{
	struct sip2_wire	 w = { cs, SIP2_TERM_CR, '|', 1 };
	struct sip2_msg		*m, *back;
	enum sip2_err		 err;
	char			 out[256], expect[256];
	ssize_t			 n;

	m = sip2_msg_new(SIP2_PATRON_STATUS_RESP);
	sip2_msg_set_fixed(m, SIP2_FX_LANGUAGE, "001");
	sip2_msg_set_fixed(m, SIP2_FX_DATE, DATE);
	sip2_msg_add_field(m, "AE", "Caf\xc3\xa9 M\xc3\xbcller");
	sip2_msg_set_seq(m, 2);
	n = sip2_build(m, &w, out, sizeof(out));
	assert_true(n > 0);
	snprintf(expect, sizeof(expect), "24              001%sAE%s|AY2AZ",
	    DATE, want);
	assert_memory_equal(out, expect, strlen(expect));
	/* The checksum is over the encoded bytes. */
	assert_int_equal(sip2_checksum_verify(out, (size_t)n), 1);
	back = sip2_parse(out, (size_t)n - 1, &w, &err);
	assert_non_null(back);
	if (cs != SIP2_CS_ASCII)
		assert_string_equal(sip2_msg_field(back, "AE"),
		    "Caf\xc3\xa9 M\xc3\xbcller");
	else
		assert_string_equal(sip2_msg_field(back, "AE"), "Cafe Muller");
	sip2_msg_free(back);
	sip2_msg_free(m);
}

static void
test_build_charset_latin1(void **state)
{
	check_charset_build(SIP2_CS_LATIN1, "Caf\xe9 M\xfcller");
}

static void
test_build_charset_cp850(void **state)
{
	check_charset_build(SIP2_CS_CP850, "Caf\x82 M\x81ller");
}

static void
test_build_charset_ascii_folds(void **state)
{
	check_charset_build(SIP2_CS_ASCII, "Cafe Muller");
}

static void
test_build_charset_utf8(void **state)
{
	check_charset_build(SIP2_CS_UTF8, "Caf\xc3\xa9 M\xc3\xbcller");
}

static void
test_build_fixed_exact_width(void **state)
{
	struct sip2_msg	*m;

	m = sip2_msg_new(SIP2_PATRON_STATUS);
	assert_int_equal(sip2_msg_set_fixed(m, SIP2_FX_LANGUAGE, "1"), 0);
	assert_string_equal(sip2_msg_fixed(m, SIP2_FX_LANGUAGE), "1  ");
	assert_int_equal(sip2_msg_set_fixed(m, SIP2_FX_LANGUAGE, "12345"), 0);
	assert_string_equal(sip2_msg_fixed(m, SIP2_FX_LANGUAGE), "123");
	assert_int_equal(sip2_msg_set_fixed(m, SIP2_FX_LANGUAGE, NULL), 0);
	assert_string_equal(sip2_msg_fixed(m, SIP2_FX_LANGUAGE), "   ");
	assert_int_equal(sip2_msg_set_fixed(m, SIP2_FX_LANGUAGE, "\t\xe9x"),
	    0);
	assert_string_equal(sip2_msg_fixed(m, SIP2_FX_LANGUAGE), "??x");
	/* A date not set is blank, 18 spaces. */
	assert_string_equal(sip2_msg_fixed(m, SIP2_FX_DATE),
	    "                  ");
	assert_int_equal(sip2_msg_set_fixed(m, SIP2_FX_OK, "Y"), -1);
	assert_null(sip2_msg_fixed(m, SIP2_FX_OK));
	expect_build(m, &plain_wire, "23??x                  ");
	sip2_msg_free(m);
}

static void
test_build_new_message_is_blank(void **state)
{
	struct sip2_msg	*m;

	m = sip2_msg_new(SIP2_CHECKOUT_RESP);
	assert_non_null(m);
	assert_int_equal(sip2_msg_code(m), 12);
	assert_int_equal(sip2_msg_nfields(m), 0);
	assert_int_equal(sip2_msg_seq(m), -1);
	assert_string_equal(sip2_msg_missing(m), "AO");
	expect_build(m, &plain_wire, "12                      ");
	sip2_msg_free(m);
	assert_null(sip2_msg_new(50));
	assert_null(sip2_msg_new(0));
}

static void
test_build_add_field_cleans_value(void **state)
{
	struct sip2_msg	*m;

	m = sip2_msg_new(SIP2_LOGIN_RESP);
	assert_int_equal(sip2_msg_add_field(m, "AF", "a|b\rc\nd\x01" "e\x7f"),
	    0);
	assert_string_equal(sip2_msg_field(m, "AF"), "abcde");
	/* C1 controls go; invalid UTF-8 becomes '?'. */
	assert_int_equal(sip2_msg_add_field(m, "AG", "x\xc2\x85y\xffz"), 0);
	assert_string_equal(sip2_msg_field(m, "AG"), "xy?z");
	assert_int_equal(sip2_msg_add_field(m, "AJ", NULL), 0);
	assert_string_equal(sip2_msg_field(m, "AJ"), "");
	sip2_msg_free(m);
}

static void
test_build_add_field_cuts_on_character(void **state)
{
	struct sip2_msg	*m;
	char		 v[600];
	size_t		 i;

	m = sip2_msg_new(SIP2_LOGIN_RESP);
	memset(v, 'x', 500);
	v[500] = '\0';
	sip2_msg_add_field(m, "AF", v);
	assert_int_equal(strlen(sip2_msg_field(m, "AF")), 255);
	/* 254 ASCII, then two-byte characters: cut at 254. */
	for (i = 254; i < 400; i += 2) {
		v[i] = (char)0xc3;
		v[i + 1] = (char)0xa9;
	}
	v[400] = '\0';
	sip2_msg_add_field(m, "AG", v);
	assert_int_equal(strlen(sip2_msg_field(m, "AG")), 254);
	sip2_msg_free(m);
}

static void
test_build_add_field_refuses_bad_ids(void **state)
{
	struct sip2_msg	*m;

	m = sip2_msg_new(SIP2_LOGIN_RESP);
	assert_int_equal(sip2_msg_add_field(m, "A", "x"), -1);
	assert_int_equal(sip2_msg_add_field(m, "ABC", "x"), -1);
	assert_int_equal(sip2_msg_add_field(m, "A|", "x"), -1);
	assert_int_equal(sip2_msg_add_field(m, "AY", "1"), -1);
	assert_int_equal(sip2_msg_add_field(m, "AZ", "1234"), -1);
	assert_int_equal(sip2_msg_add_field(m, NULL, "x"), -1);
	assert_int_equal(sip2_msg_nfields(m), 0);
	sip2_msg_free(m);
}

static void
test_build_set_field_keeps_position(void **state)
{
	struct sip2_msg	*m;
	const char	*id;

	m = sip2_msg_new(SIP2_LOGIN_RESP);
	sip2_msg_set_fixed(m, SIP2_FX_OK, "1");
	sip2_msg_add_field(m, "AO", "MAIN");
	sip2_msg_add_field(m, "AF", "one");
	sip2_msg_add_field(m, "AF", "two");
	assert_int_equal(sip2_msg_set_field(m, "AF", "uno"), 0);
	assert_int_equal(sip2_msg_set_field(m, "AG", "new"), 0);
	/* Its own value, even after the buffer moved, is fine. */
	assert_int_equal(sip2_msg_set_field(m, "AO",
	    sip2_msg_field(m, "AO")), 0);
	expect_build(m, &plain_wire, "941AOMAIN|AFuno|AFtwo|AGnew|");
	assert_string_equal(sip2_msg_field_at(m, 2, &id), "two");
	assert_string_equal(id, "AF");
	sip2_msg_free(m);
}

static void
test_build_del_field(void **state)
{
	struct sip2_msg	*m;

	m = sip2_msg_new(SIP2_LOGIN_RESP);
	sip2_msg_set_fixed(m, SIP2_FX_OK, "1");
	sip2_msg_add_field(m, "AF", "one");
	sip2_msg_add_field(m, "AO", "MAIN");
	sip2_msg_add_field(m, "AF", "two");
	assert_int_equal(sip2_msg_del_field(m, "AF"), 2);
	assert_int_equal(sip2_msg_del_field(m, "AF"), 0);
	assert_int_equal(sip2_msg_nfields(m), 1);
	expect_build(m, &plain_wire, "941AOMAIN|");
	sip2_msg_free(m);
}

static void
test_build_many_fields_grow(void **state)
{
	struct sip2_msg	*m, *d;
	char		 v[32];
	int		 i;

	m = sip2_msg_new(SIP2_PATRON_INFO_RESP);
	for (i = 0; i < 1000; i++) {
		snprintf(v, sizeof(v), "item-%04d", i);
		assert_int_equal(sip2_msg_add_field(m, "AU", v), 0);
		/* Replaced values leave garbage that growing drops. */
		assert_int_equal(sip2_msg_set_field(m, "AF", v), 0);
	}
	assert_int_equal(sip2_msg_nfields(m), 1001);
	assert_string_equal(sip2_msg_field_at(m, 999, NULL), "item-0998");
	assert_string_equal(sip2_msg_field(m, "AF"), "item-0999");
	d = sip2_msg_dup(m);
	assert_non_null(d);
	sip2_msg_free(m);
	assert_int_equal(sip2_msg_nfields(d), 1001);
	assert_string_equal(sip2_msg_field_at(d, 1000, NULL), "item-0999");
	sip2_msg_free(d);
}

static void
test_build_size_cap(void **state)
{
	struct sip2_msg	*m;
	char		 v[256], *out;
	int		 i, added = 0;
	ssize_t		 n;

	/* A message never grows past what SIP2_BUILD_MAX holds. */
	memset(v, 'x', 255);
	v[255] = '\0';
	m = sip2_msg_new(SIP2_PATRON_INFO_RESP);
	for (i = 0; i < 1000; i++) {
		if (sip2_msg_add_field(m, "AU", v) == -1) {
			assert_int_equal(errno, E2BIG);
			break;
		}
		added++;
	}
	assert_true(added > 100 && added < 1000);
	out = malloc(SIP2_BUILD_MAX);
	assert_non_null(out);
	n = sip2_build(m, &utf8_wire, out, SIP2_BUILD_MAX);
	assert_true(n > SIP2_BUILD_MAX - 300);
	free(out);
	sip2_msg_free(m);
}

static void
test_build_dup_is_deep(void **state)
{
	struct sip2_msg	*m, *d;

	m = sample_msg(&samples[4]);
	sip2_msg_set_seq(m, 4);
	d = sip2_msg_dup(m);
	assert_non_null(d);
	sip2_msg_set_field(m, "AO", "CHANGED");
	sip2_msg_set_fixed(m, SIP2_FX_LANGUAGE, "999");
	assert_string_equal(sip2_msg_field(d, "AO"), "MAIN");
	assert_string_equal(sip2_msg_fixed(d, SIP2_FX_LANGUAGE), "001");
	assert_int_equal(sip2_msg_seq(d), 4);
	sip2_msg_free(m);
	assert_int_equal(sip2_msg_add_field(d, "ZZ", "after"), 0);
	assert_string_equal(sip2_msg_field(d, "ZZ"), "after");
	sip2_msg_free(d);
	sip2_msg_free(NULL);
}

static void
test_build_missing_required(void **state)
{
	struct sip2_msg	*m;

	m = sip2_msg_new(SIP2_CHECKOUT);
	assert_string_equal(sip2_msg_missing(m), "AO");
	sip2_msg_add_field(m, "AO", "MAIN");
	sip2_msg_add_field(m, "AA", "123");
	assert_string_equal(sip2_msg_missing(m), "AB");
	sip2_msg_add_field(m, "AB", "456");
	sip2_msg_add_field(m, "AC", "");
	assert_null(sip2_msg_missing(m));
	sip2_msg_free(m);
}

static void
test_build_sequence_values(void **state)
{
	struct sip2_msg	*m;

	m = sip2_msg_new(SIP2_LOGIN_RESP);
	sip2_msg_set_seq(m, 9);
	assert_int_equal(sip2_msg_seq(m), 9);
	sip2_msg_set_seq(m, 10);
	assert_int_equal(sip2_msg_seq(m), 0);
	sip2_msg_set_seq(m, -5);
	assert_int_equal(sip2_msg_seq(m), -1);
	sip2_msg_free(m);
}

static void
test_build_unknown_fields_survive_roundtrip(void **state)
{
	struct sip2_msg	*m;
	enum sip2_err	 err;
	const char	*in = "2300120240301    093000ZZfirst|AOMAIN|XX|"
	    "AA12|ZZsecond|PIY|AC|AD|";
	char		 out[256];
	ssize_t		 n;

	m = sip2_parse(in, strlen(in), &utf8_wire, &err);
	assert_non_null(m);
	n = sip2_build(m, &plain_wire, out, sizeof(out));
	assert_int_equal(n, strlen(in) + 1);
	assert_memory_equal(out, in, strlen(in));
	sip2_msg_free(m);
}

static void
test_build_null_wire(void **state)
{
	struct sip2_msg	*m;

	m = sip2_msg_new(SIP2_LOGIN_RESP);
	sip2_msg_set_fixed(m, SIP2_FX_OK, "1");
	expect_build(m, NULL, "941AY0AZFDFD");
	sip2_msg_free(m);
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_build_no_sequence_gives_zero),
		cmocka_unit_test(test_build_resend_has_no_sequence),
		cmocka_unit_test(test_build_resend_with_value_ending_in_ay),
		cmocka_unit_test(test_build_sc_status_vector),
		cmocka_unit_test(test_build_terminators),
		cmocka_unit_test(test_build_out_too_small),
		cmocka_unit_test(test_build_strips_delimiter_from_values),
		cmocka_unit_test(test_build_nonascii_strips_delimiter),
		cmocka_unit_test(test_build_invalid_delimiter_falls_back),
		cmocka_unit_test(test_build_charset_latin1),
		cmocka_unit_test(test_build_charset_cp850),
		cmocka_unit_test(test_build_charset_ascii_folds),
		cmocka_unit_test(test_build_charset_utf8),
		cmocka_unit_test(test_build_fixed_exact_width),
		cmocka_unit_test(test_build_new_message_is_blank),
		cmocka_unit_test(test_build_add_field_cleans_value),
		cmocka_unit_test(test_build_add_field_cuts_on_character),
		cmocka_unit_test(test_build_add_field_refuses_bad_ids),
		cmocka_unit_test(test_build_set_field_keeps_position),
		cmocka_unit_test(test_build_del_field),
		cmocka_unit_test(test_build_many_fields_grow),
		cmocka_unit_test(test_build_size_cap),
		cmocka_unit_test(test_build_dup_is_deep),
		cmocka_unit_test(test_build_missing_required),
		cmocka_unit_test(test_build_sequence_values),
		cmocka_unit_test(test_build_unknown_fields_survive_roundtrip),
		cmocka_unit_test(test_build_null_wire),
	};
	static struct CMUnitTest tests[sizeof(fixed) / sizeof(fixed[0]) +
	    2 * NSAMPLES];
	static char names[2 * NSAMPLES][64];
	size_t n = sizeof(fixed) / sizeof(fixed[0]), i;
	const char *name;

	/* One named build test and one round trip per message code. */
	for (i = 0; i < NSAMPLES; i++) {
		name = sip2_spec_find(samples[i].code)->name;
		snprintf(names[2 * i], sizeof(names[0]), "test_build_%02d_%s",
		    samples[i].code, name);
		snprintf(names[2 * i + 1], sizeof(names[0]),
		    "test_build_roundtrip_%02d_%s", samples[i].code, name);
		tests[2 * i].name = names[2 * i];
		tests[2 * i].test_func = test_build_sample;
		tests[2 * i].initial_state = (void *)(uintptr_t)&samples[i];
		tests[2 * i + 1].name = names[2 * i + 1];
		tests[2 * i + 1].test_func = test_build_roundtrip_sample;
		tests[2 * i + 1].initial_state =
		    (void *)(uintptr_t)&samples[i];
	}
	memcpy(tests + 2 * NSAMPLES, fixed, sizeof(fixed));
	return (_cmocka_run_group_tests("sip2_build", tests,
	    2 * NSAMPLES + n, NULL, NULL));
}
