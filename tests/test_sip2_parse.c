/* SPDX-License-Identifier: ISC */
/*
 * Tests of SIP2 parsing: every message code, the trailer and its checksum,
 * tolerance of what real terminals send, and every malformed form.
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
#include "test_sip2_samples.h"

#define DATE	"20240301    093000"
#define HEAD23	"23001" DATE

static const struct sip2_wire utf8_wire = { SIP2_CS_UTF8, SIP2_TERM_CR, '|',
    1 };

static struct sip2_msg *
parse_ok(const char *s)
{
	struct sip2_msg	*m;
	enum sip2_err	 err = SIP2_ERR_NOMEM;

	m = sip2_parse(s, strlen(s), &utf8_wire, &err);
	if (m == NULL)
		fail_msg("\"%s\": %s", s, sip2_strerror(err));
	assert_int_equal(err, SIP2_OK);
	return (m);
}

static void
parse_fails(const char *s, size_t len, const struct sip2_wire *w,
    enum sip2_err want)
{
	enum sip2_err	 err = SIP2_OK;

	assert_null(sip2_parse(s, len, w, &err));
	assert_int_equal(err, want);
}

/* Append AZ and the right checksum to s in buf. */
static const char *
with_sum(const char *s, char *buf, size_t size)
{
	size_t	 n;

	n = (size_t)snprintf(buf, size, "%sAZ", s);
	snprintf(buf + n, size - n, "%04X", sip2_checksum(buf, n));
	return (buf);
}

/* Check a parsed sample field by field against its wire text. */
static void
check_sample(const struct sample *s, const struct sip2_msg *m)
{
	const struct sip2_spec	*spec = sip2_spec_find(s->code);
	const char		*w = s->wire, *id, *v, *bar;
	size_t			 off = 2, i, n = 0, vlen;

	assert_int_equal(sip2_msg_code(m), s->code);
	for (i = 0; i < spec->nfixed; i++) {
		v = sip2_msg_fixed(m, spec->fixed[i].fx);
		assert_non_null(v);
		assert_int_equal(strlen(v), spec->fixed[i].width);
		assert_memory_equal(v, w + off, spec->fixed[i].width);
		off += spec->fixed[i].width;
	}
	while (w[off] != '\0') {
		bar = strchr(w + off, '|');
		assert_non_null(bar);
		v = sip2_msg_field_at(m, n++, &id);
		assert_non_null(v);
		assert_memory_equal(id, w + off, 2);
		assert_int_equal(id[2], '\0');
		vlen = (size_t)(bar - (w + off)) - 2;
		assert_int_equal(strlen(v), vlen);
		assert_memory_equal(v, w + off + 2, vlen);
		off = (size_t)(bar - w) + 1;
	}
	assert_int_equal(sip2_msg_nfields(m), n);
	assert_null(sip2_msg_missing(m));
}

static void
test_parse_sample(void **state)
{
	const struct sample	*s = *state;
	struct sip2_msg		*m;
	char			 buf[1024];
	int			 seq;

	seq = (s->code == 96 || s->code == 97) ? -1 : s->code % 10;
	sample_with_trailer(s, seq, buf, sizeof(buf));
	m = parse_ok(buf);
	check_sample(s, m);
	assert_int_equal(sip2_msg_seq(m), seq);
	assert_ptr_equal(sip2_msg_spec(m), sip2_spec_find(s->code));
	sip2_msg_free(m);

	/* The same without any trailer: no sequence, same content. */
	m = parse_ok(s->wire);
	check_sample(s, m);
	assert_int_equal(sip2_msg_seq(m), -1);
	sip2_msg_free(m);
}

static void
test_parse_vectors(void **state)
{
	struct sip2_msg	*m;

	m = parse_ok("941AY0AZFDFD");
	assert_int_equal(sip2_msg_code(m), SIP2_LOGIN_RESP);
	assert_string_equal(sip2_msg_fixed(m, SIP2_FX_OK), "1");
	assert_int_equal(sip2_msg_seq(m), 0);
	sip2_msg_free(m);

	m = parse_ok("97AZFEF5");
	assert_int_equal(sip2_msg_code(m), SIP2_RESEND);
	assert_int_equal(sip2_msg_seq(m), -1);
	sip2_msg_free(m);

	m = parse_ok("96AZFEF6");
	assert_int_equal(sip2_msg_code(m), SIP2_REQUEST_RESEND);
	sip2_msg_free(m);

	m = parse_ok("990 402.00AY1AZFCB4");
	assert_int_equal(sip2_msg_code(m), SIP2_SC_STATUS);
	assert_string_equal(sip2_msg_fixed(m, SIP2_FX_STATUS_CODE), "0");
	assert_string_equal(sip2_msg_fixed(m, SIP2_FX_MAX_PRINT_WIDTH), " 40");
	assert_string_equal(sip2_msg_fixed(m, SIP2_FX_PROTOCOL_VERSION),
	    "2.00");
	assert_int_equal(sip2_msg_seq(m), 1);
	assert_int_equal(sip2_msg_nfields(m), 0);
	sip2_msg_free(m);
}

static void
test_parse_lowercase_hex(void **state)
{
	struct sip2_msg	*m;

	m = parse_ok("941AY0AZfdfd");
	sip2_msg_free(m);
	m = parse_ok("990 402.00AY1AZfcb4");
	sip2_msg_free(m);
}

static void
test_parse_bad_checksum(void **state)
{
	parse_fails("941AY0AZFDFE", 12, &utf8_wire, SIP2_ERR_CHECKSUM);
	parse_fails("941AY1AZFDFD", 12, &utf8_wire, SIP2_ERR_CHECKSUM);
	parse_fails(HEAD23 "AOMAIN|AA123|AY1AZ0000",
	    strlen(HEAD23 "AOMAIN|AA123|AY1AZ0000"), &utf8_wire,
	    SIP2_ERR_CHECKSUM);
	parse_fails("97AZFEF6", 8, &utf8_wire, SIP2_ERR_CHECKSUM);
}

static void
test_parse_checksum_covers_raw_bytes(void **state)
{
	struct sip2_wire	 w = { SIP2_CS_LATIN1, SIP2_TERM_CR, '|', 1 };
	struct sip2_msg		*m;
	enum sip2_err		 err;
	char			 buf[256];

	/* Summed over the Latin-1 bytes as sent, not their UTF-8. */
	with_sum(HEAD23 "AOMAIN|AA123|AEJos\xe9|AY2", buf, sizeof(buf));
	m = sip2_parse(buf, strlen(buf), &w, &err);
	assert_non_null(m);
	assert_string_equal(sip2_msg_field(m, "AE"), "Jos\xc3\xa9");
	sip2_msg_free(m);
}

static void
test_parse_short(void **state)
{
	parse_fails("", 0, &utf8_wire, SIP2_ERR_SHORT);
	parse_fails("9", 1, &utf8_wire, SIP2_ERR_SHORT);
	parse_fails("\r\n", 2, &utf8_wire, SIP2_ERR_SHORT);
}

static void
test_parse_bad_code(void **state)
{
	parse_fails("00", 2, &utf8_wire, SIP2_ERR_CODE);
	parse_fails("50abc", 5, &utf8_wire, SIP2_ERR_CODE);
	parse_fails("X3001", 5, &utf8_wire, SIP2_ERR_CODE);
	parse_fails("9a", 2, &utf8_wire, SIP2_ERR_CODE);
	parse_fails(" 9900", 5, &utf8_wire, SIP2_ERR_CODE);
}

static void
test_parse_truncated_fixed(void **state)
{
	parse_fails("23001", 5, &utf8_wire, SIP2_ERR_FIXED);
	parse_fails("94", 2, &utf8_wire, SIP2_ERR_FIXED);
	parse_fails("990 402.0", 9, &utf8_wire, SIP2_ERR_FIXED);
	parse_fails(HEAD23, strlen(HEAD23) - 1, &utf8_wire, SIP2_ERR_FIXED);
	/* The trailer cannot stand in for missing fixed fields. */
	parse_fails("23001AY1AZ1234", 14, &utf8_wire, SIP2_ERR_FIXED);
}

static void
test_parse_bad_trailer(void **state)
{
	const char	*bad[] = {
		HEAD23 "AOMAIN|AY1AZ12G4",
		HEAD23 "AOMAIN|AY1AZ123",
		HEAD23 "AOMAIN|AY1AZ",
		HEAD23 "AOMAIN|AYXAZ1234",
		HEAD23 "AOMAIN|AY12",
		HEAD23 "AOMAIN|AZ12|AAx|",
		HEAD23 "AOMAIN|AY1AZ12345",
	};
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_fails(bad[i], strlen(bad[i]), &utf8_wire,
		    SIP2_ERR_TRAILER);
}

static void
test_parse_ay_inside_a_title_is_a_value(void **state)
{
	struct sip2_msg	*m;
	char		 buf[256];

	m = parse_ok(HEAD23 "AOMAIN|AJX-RAY|AA12|");
	assert_string_equal(sip2_msg_field(m, "AJ"), "X-RAY");
	assert_int_equal(sip2_msg_seq(m), -1);
	sip2_msg_free(m);

	/* Last, without its delimiter, and ending in AY and a digit. */
	m = parse_ok(HEAD23 "AOMAIN|AJX-RAY5");
	assert_string_equal(sip2_msg_field(m, "AJ"), "X-RAY5");
	assert_int_equal(sip2_msg_seq(m), -1);
	sip2_msg_free(m);

	/* A value ending in "AZ" and four hex digits is a value too. */
	m = parse_ok(HEAD23 "AOMAIN|AJTHE JAZ1234");
	assert_string_equal(sip2_msg_field(m, "AJ"), "THE JAZ1234");
	sip2_msg_free(m);

	m = parse_ok(with_sum(HEAD23 "AOMAIN|AJRAY|AY3", buf, sizeof(buf)));
	assert_string_equal(sip2_msg_field(m, "AJ"), "RAY");
	assert_int_equal(sip2_msg_seq(m), 3);
	sip2_msg_free(m);
}

static void
test_parse_ay_without_az(void **state)
{
	struct sip2_msg	*m;

	m = parse_ok(HEAD23 "AOMAIN|AA12|AY7");
	assert_int_equal(sip2_msg_seq(m), 7);
	assert_string_equal(sip2_msg_field(m, "AA"), "12");
	assert_int_equal(sip2_msg_nfields(m), 2);
	sip2_msg_free(m);
}

static void
test_parse_az_without_ay(void **state)
{
	struct sip2_msg	*m;
	char		 buf[256];

	m = parse_ok(with_sum(HEAD23 "AOMAIN|AA12|", buf, sizeof(buf)));
	assert_int_equal(sip2_msg_seq(m), -1);
	assert_int_equal(sip2_msg_nfields(m), 2);
	sip2_msg_free(m);
}

static void
test_parse_trailer_glued_to_last_value(void **state)
{
	struct sip2_msg	*m;
	char		 buf[256];

	/* "No delimiter before AY" read literally. */
	m = parse_ok(with_sum(HEAD23 "AOMAIN|AA12AY4", buf, sizeof(buf)));
	assert_string_equal(sip2_msg_field(m, "AA"), "12");
	assert_int_equal(sip2_msg_seq(m), 4);
	sip2_msg_free(m);

	/* A delimiter between AY and AZ is not: "AY4" is then a field. */
	with_sum(HEAD23 "AOMAIN|AA12|AY4|", buf, sizeof(buf));
	parse_fails(buf, strlen(buf), &utf8_wire, SIP2_ERR_TRAILER);
}

static void
test_parse_empty_trailing_fields(void **state)
{
	struct sip2_msg	*m;
	char		 buf[256];

	m = parse_ok(HEAD23 "AOMAIN|AA12|||");
	assert_int_equal(sip2_msg_nfields(m), 2);
	sip2_msg_free(m);
	m = parse_ok(with_sum(HEAD23 "AOMAIN||AA12|||AY1", buf, sizeof(buf)));
	assert_int_equal(sip2_msg_nfields(m), 2);
	assert_int_equal(sip2_msg_seq(m), 1);
	sip2_msg_free(m);
}

static void
test_parse_missing_final_delimiter(void **state)
{
	struct sip2_msg	*m;

	m = parse_ok(HEAD23 "AOMAIN|AA12");
	assert_string_equal(sip2_msg_field(m, "AA"), "12");
	sip2_msg_free(m);
}

static void
test_parse_empty_values(void **state)
{
	struct sip2_msg	*m;

	m = parse_ok(HEAD23 "AOMAIN|AA12|AC|AD|");
	assert_int_equal(sip2_msg_nfields(m), 4);
	assert_string_equal(sip2_msg_field(m, "AC"), "");
	assert_string_equal(sip2_msg_field(m, "AD"), "");
	assert_null(sip2_msg_missing(m));
	sip2_msg_free(m);
}

static void
test_parse_long_value_cut(void **state)
{
	struct sip2_msg	*m;
	char		 buf[1200];

	/* Real ILSes send screen messages past 255: keep, cut. */
	memcpy(buf, HEAD23 "AOMAIN|AF", strlen(HEAD23) + 9);
	memset(buf + strlen(HEAD23) + 9, 'x', 1000);
	strcpy(buf + strlen(HEAD23) + 9 + 1000, "|AA12|");
	m = parse_ok(buf);
	assert_int_equal(strlen(sip2_msg_field(m, "AF")), SIP2_FIELD_MAX);
	assert_string_equal(sip2_msg_field(m, "AA"), "12");
	sip2_msg_free(m);
}

static void
test_parse_long_value_cut_on_character(void **state)
{
	struct sip2_msg	*m;
	char		 buf[1200];
	size_t		 n, i;

	/* "é" is two bytes; 254 of "x" then "é" would straddle 255. */
	n = (size_t)snprintf(buf, sizeof(buf), "%sAOMAIN|AF", HEAD23);
	for (i = 0; i < 254; i++)
		buf[n++] = 'x';
	for (i = 0; i < 10; i++) {
		buf[n++] = (char)0xc3;
		buf[n++] = (char)0xa9;
	}
	buf[n] = '\0';
	m = parse_ok(buf);
	assert_int_equal(strlen(sip2_msg_field(m, "AF")), 254);
	sip2_msg_free(m);
}

static void
test_parse_oversize(void **state)
{
	char	*buf;

	buf = malloc(SIP2_MSG_MAX + 100);
	assert_non_null(buf);
	memset(buf, 'x', SIP2_MSG_MAX + 100);
	memcpy(buf, HEAD23 "AF", strlen(HEAD23) + 2);
	parse_fails(buf, SIP2_MSG_MAX + 1, &utf8_wire, SIP2_ERR_TOOLONG);
	free(buf);
}

static void
test_parse_largest_message(void **state)
{
	struct sip2_msg	*m;
	enum sip2_err	 err;
	char		*buf;
	size_t		 n, i;

	/* Thousands of tiny fields right at the cap. */
	buf = malloc(SIP2_MSG_MAX + 1);
	assert_non_null(buf);
	n = (size_t)snprintf(buf, SIP2_MSG_MAX, "%s", HEAD23);
	for (i = n; i + 3 <= SIP2_MSG_MAX; i += 3)
		memcpy(buf + i, "ZZ|", 3);
	for (; i < SIP2_MSG_MAX; i++)
		buf[i] = 'Q';
	m = sip2_parse(buf, SIP2_MSG_MAX, &utf8_wire, &err);
	assert_non_null(m);
	assert_int_equal(sip2_msg_nfields(m), (SIP2_MSG_MAX - n) / 3 +
	    ((SIP2_MSG_MAX - n) % 3 == 2 ? 1 : 0));
	sip2_msg_free(m);
	free(buf);
}

static void
test_parse_binary_garbage(void **state)
{
	struct sip2_wire	 w = utf8_wire;
	struct sip2_msg		*m;
	enum sip2_err		 err;
	unsigned char		 buf[300];
	size_t			 len;
	int			 i, round, cs;

	srand(3);
	for (round = 0; round < 20000; round++) {
		len = (size_t)rand() % sizeof(buf);
		for (i = 0; i < (int)len; i++)
			buf[i] = (unsigned char)rand();
		if (len >= 2 && round % 2 == 0)
			memcpy(buf, round % 4 ? "23" : "64", 2);
		for (cs = SIP2_CS_UTF8; cs <= SIP2_CS_LATIN1; cs++) {
			w.charset = (enum sip2_charset)cs;
			err = SIP2_ERR_NOMEM;
			m = sip2_parse((char *)buf, len, &w, &err);
			if (m != NULL)
				assert_int_equal(err, SIP2_OK);
			else
				assert_true(err > SIP2_OK &&
				    err < SIP2_ERR_NOMEM);
			sip2_msg_free(m);
		}
	}
}

static void
test_parse_nul_byte(void **state)
{
	const char	 msg[] = HEAD23 "AOMAIN|AA12\0" "34|";

	parse_fails(msg, sizeof(msg) - 1, &utf8_wire, SIP2_ERR_CHARSET);
	parse_fails("94\0", 3, &utf8_wire, SIP2_ERR_CHARSET);
}

static void
test_parse_control_characters(void **state)
{
	struct sip2_msg	*m;

	/* Dropped from values; '?' in fixed fields to keep their width. */
	m = parse_ok("2300\x01" DATE "AOMA\tIN|AFa\x7f" "b\x1b|");
	assert_string_equal(sip2_msg_fixed(m, SIP2_FX_LANGUAGE), "00?");
	assert_string_equal(sip2_msg_field(m, "AO"), "MAIN");
	assert_string_equal(sip2_msg_field(m, "AF"), "ab");
	sip2_msg_free(m);
}

static void
test_parse_unknown_fields_kept_in_order(void **state)
{
	struct sip2_msg	*m;
	const char	*id, *v;
	const char	*want[][2] = {
		{ "ZZ", "vendor" }, { "AO", "MAIN" }, { "XY", "" },
		{ "AA", "12" }, { "ZZ", "again" }, { "PI", "N" },
		{ "zz", "lower" },
	};
	size_t		 i;

	m = parse_ok(HEAD23 "ZZvendor|AOMAIN|XY|AA12|ZZagain|PIN|zzlower|");
	assert_int_equal(sip2_msg_nfields(m), 7);
	for (i = 0; i < 7; i++) {
		v = sip2_msg_field_at(m, i, &id);
		assert_string_equal(id, want[i][0]);
		assert_string_equal(v, want[i][1]);
	}
	assert_string_equal(sip2_msg_field(m, "ZZ"), "vendor");
	assert_null(sip2_msg_field_at(m, 7, &id));
	sip2_msg_free(m);
}

static void
test_parse_stray_leading_lf(void **state)
{
	struct sip2_msg	*m;

	m = parse_ok("\n941AY0AZFDFD");
	assert_int_equal(sip2_msg_seq(m), 0);
	sip2_msg_free(m);
	m = parse_ok("941AY0AZFDFD\r\n");
	sip2_msg_free(m);
}

static void
test_parse_other_delimiter(void **state)
{
	struct sip2_wire	 w = { SIP2_CS_UTF8, SIP2_TERM_CR, '^', 1 };
	struct sip2_msg		*m;
	enum sip2_err		 err;
	const char		*s = HEAD23 "AOMAIN^AA1|2^AFhi^";

	m = sip2_parse(s, strlen(s), &w, &err);
	assert_non_null(m);
	assert_string_equal(sip2_msg_field(m, "AA"), "1|2");
	assert_string_equal(sip2_msg_field(m, "AF"), "hi");
	sip2_msg_free(m);
}

static void
test_parse_malformed_field(void **state)
{
	const char	*bad[] = {
		HEAD23 "AOMAIN|X|AA12|",
		HEAD23 "AOMAIN|A-x|",
		HEAD23 "AOMAIN| AA12|",
	};
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_fails(bad[i], strlen(bad[i]), &utf8_wire,
		    SIP2_ERR_FIELD);
}

static void
test_parse_lone_space_segment_tolerated(void **state)
{
	struct sip2_msg	*m;

	m = parse_ok(HEAD23 "AOMAIN|AA12| ");
	assert_int_equal(sip2_msg_nfields(m), 2);
	sip2_msg_free(m);
}

static void
test_parse_cp850(void **state)
{
	struct sip2_wire	 w = { SIP2_CS_CP850, SIP2_TERM_CR, '|', 1 };
	struct sip2_msg		*m;
	enum sip2_err		 err;
	const char		*s = "24              001" DATE
	    "AOMAIN|AA12|AECaf\x82 M\x81ller|";

	m = sip2_parse(s, strlen(s), &w, &err);
	assert_non_null(m);
	assert_string_equal(sip2_msg_field(m, "AE"),
	    "Caf\xc3\xa9 M\xc3\xbcller");
	sip2_msg_free(m);
}

static void
test_parse_latin1(void **state)
{
	struct sip2_wire	 w = { SIP2_CS_LATIN1, SIP2_TERM_CR, '|', 1 };
	struct sip2_msg		*m;
	enum sip2_err		 err;
	const char		*s = "24              001" DATE
	    "AOMAIN|AA12|AECaf\xe9 M\xfcller|";

	m = sip2_parse(s, strlen(s), &w, &err);
	assert_non_null(m);
	assert_string_equal(sip2_msg_field(m, "AE"),
	    "Caf\xc3\xa9 M\xc3\xbcller");
	sip2_msg_free(m);
}

static void
test_parse_invalid_utf8(void **state)
{
	const char	*s = HEAD23 "AOMAIN|AECaf\xe9|";

	parse_fails(s, strlen(s), &utf8_wire, SIP2_ERR_CHARSET);
	s = HEAD23 "AOMAIN|AE\xc0\xaf|";
	parse_fails(s, strlen(s), &utf8_wire, SIP2_ERR_CHARSET);
	s = HEAD23 "AOMAIN|AE\xed\xa0\x80|";
	parse_fails(s, strlen(s), &utf8_wire, SIP2_ERR_CHARSET);
}

static void
test_parse_ascii_refuses_high_bytes(void **state)
{
	struct sip2_wire	 w = { SIP2_CS_ASCII, SIP2_TERM_CR, '|', 1 };
	const char		*s = HEAD23 "AOMAIN|AECaf\xe9|";

	parse_fails(s, strlen(s), &w, SIP2_ERR_CHARSET);
}

static void
test_parse_utf8_value_kept(void **state)
{
	struct sip2_msg	*m;

	m = parse_ok(HEAD23 "AOMAIN|AE\xc5\x81\xc3\xb3" "d\xc5\xba|");
	assert_string_equal(sip2_msg_field(m, "AE"),
	    "\xc5\x81\xc3\xb3" "d\xc5\xba");
	sip2_msg_free(m);
}

static void
test_parse_null_wire_and_err(void **state)
{
	struct sip2_msg	*m;

	m = sip2_parse("941", 3, NULL, NULL);
	assert_non_null(m);
	sip2_msg_free(m);
	assert_null(sip2_parse("00", 2, NULL, NULL));
}

static void
test_parse_strerror(void **state)
{
	int	 e;

	for (e = SIP2_OK; e <= SIP2_ERR_NOMEM; e++) {
		assert_non_null(sip2_strerror((enum sip2_err)e));
		assert_true(strlen(sip2_strerror((enum sip2_err)e)) > 3);
	}
	assert_non_null(sip2_strerror((enum sip2_err)99));
	assert_string_equal(sip2_strerror(SIP2_ERR_CHECKSUM),
	    "checksum mismatch");
}

static void
test_parse_spec_lookup(void **state)
{
	const struct sip2_spec	*s;

	s = sip2_spec_by_name("checkout");
	assert_non_null(s);
	assert_int_equal(s->code, 11);
	assert_int_equal(s->response, 12);
	assert_int_equal(s->request, 1);
	assert_ptr_equal(sip2_spec_by_name("11"), s);
	assert_ptr_equal(sip2_spec_by_name("09"), sip2_spec_find(9));
	assert_null(sip2_spec_by_name("9"));
	assert_null(sip2_spec_by_name("checkoutx"));
	assert_null(sip2_spec_find(50));
	assert_null(sip2_spec_find(-1));
	assert_null(sip2_spec_find(100));
	assert_string_equal(sip2_spec_find(98)->name, "acs-status");
	assert_string_equal(sip2_spec_find(64)->name, "patron-info-response");
	assert_int_equal(sip2_spec_find(1)->response, 24);
	assert_string_equal(sip2_fx_name(SIP2_FX_DATE), "transaction-date");
	assert_string_equal(sip2_fx_name(SIP2_FX_NO_BLOCK), "no-block");
	assert_int_equal(sip2_fx_from_name("patron-status"),
	    SIP2_FX_PATRON_STATUS);
	assert_int_equal(sip2_fx_from_name("nonsense"), -1);
	assert_string_equal(sip2_field_name("AA"), "patron id");
	assert_string_equal(sip2_field_name("PI"), "internet profile");
	assert_string_equal(sip2_field_name("DA"), "hold patron name");
	assert_null(sip2_field_name("ZZ"));
	assert_null(sip2_field_name("A"));
}

static void
test_parse_every_fixed_field_is_named(void **state)
{
	int	 fx;

	for (fx = 0; fx < SIP2_FX__COUNT; fx++) {
		assert_non_null(sip2_fx_name((enum sip2_fx)fx));
		assert_int_equal(sip2_fx_from_name(
		    sip2_fx_name((enum sip2_fx)fx)), fx);
	}
}

static void
test_parse_every_listed_field_id_is_named(void **state)
{
	const char	*ids = "AAABACADAEAFAGAHAJALAMANAOAPAQASATAUAVBDBEBFBG"
	    "BHBIBKBLBMBNBOBPBQBRBSBTBUBVBWBXBYBZCACBCCCDCFCGCHCICJCKCLCMCNCO"
	    "CPCQCRCSCTCVCYDAPAPBPCPI";
	char		 id[3];

	for (; *ids != '\0'; ids += 2) {
		memcpy(id, ids, 2);
		id[2] = '\0';
		if (sip2_field_name(id) == NULL)
			fail_msg("no name for %s", id);
	}
}

static void
test_parse_specs_well_formed(void **state)
{
	const struct sip2_spec	*s, *r;
	int			 code, n = 0;
	size_t			 i, w;

	for (code = 0; code < 100; code++) {
		if ((s = sip2_spec_find(code)) == NULL)
			continue;
		n++;
		assert_int_equal(s->code, code);
		assert_ptr_equal(sip2_spec_by_name(s->name), s);
		assert_true(s->nfixed <= 12);
		assert_int_equal(strlen(s->required) % 2, 0);
		for (w = 0, i = 0; i < s->nfixed; i++)
			w += s->fixed[i].width;
		assert_true(w < 80);
		if (s->response != 0) {
			r = sip2_spec_find(s->response);
			assert_non_null(r);
			assert_int_equal(r->request, 0);
			assert_int_equal(s->request, 1);
		}
	}
	assert_int_equal(n, 31);
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_parse_vectors),
		cmocka_unit_test(test_parse_lowercase_hex),
		cmocka_unit_test(test_parse_bad_checksum),
		cmocka_unit_test(test_parse_checksum_covers_raw_bytes),
		cmocka_unit_test(test_parse_short),
		cmocka_unit_test(test_parse_bad_code),
		cmocka_unit_test(test_parse_truncated_fixed),
		cmocka_unit_test(test_parse_bad_trailer),
		cmocka_unit_test(test_parse_ay_inside_a_title_is_a_value),
		cmocka_unit_test(test_parse_ay_without_az),
		cmocka_unit_test(test_parse_az_without_ay),
		cmocka_unit_test(test_parse_trailer_glued_to_last_value),
		cmocka_unit_test(test_parse_empty_trailing_fields),
		cmocka_unit_test(test_parse_missing_final_delimiter),
		cmocka_unit_test(test_parse_empty_values),
		cmocka_unit_test(test_parse_long_value_cut),
		cmocka_unit_test(test_parse_long_value_cut_on_character),
		cmocka_unit_test(test_parse_oversize),
		cmocka_unit_test(test_parse_largest_message),
		cmocka_unit_test(test_parse_binary_garbage),
		cmocka_unit_test(test_parse_nul_byte),
		cmocka_unit_test(test_parse_control_characters),
		cmocka_unit_test(test_parse_unknown_fields_kept_in_order),
		cmocka_unit_test(test_parse_stray_leading_lf),
		cmocka_unit_test(test_parse_other_delimiter),
		cmocka_unit_test(test_parse_malformed_field),
		cmocka_unit_test(test_parse_lone_space_segment_tolerated),
		cmocka_unit_test(test_parse_cp850),
		cmocka_unit_test(test_parse_latin1),
		cmocka_unit_test(test_parse_invalid_utf8),
		cmocka_unit_test(test_parse_ascii_refuses_high_bytes),
		cmocka_unit_test(test_parse_utf8_value_kept),
		cmocka_unit_test(test_parse_null_wire_and_err),
		cmocka_unit_test(test_parse_strerror),
		cmocka_unit_test(test_parse_spec_lookup),
		cmocka_unit_test(test_parse_every_fixed_field_is_named),
		cmocka_unit_test(test_parse_every_listed_field_id_is_named),
		cmocka_unit_test(test_parse_specs_well_formed),
	};
	static struct CMUnitTest tests[sizeof(fixed) / sizeof(fixed[0]) +
	    NSAMPLES];
	static char names[NSAMPLES][64];
	size_t n = sizeof(fixed) / sizeof(fixed[0]), i;

	/* One named test per message code. */
	for (i = 0; i < NSAMPLES; i++) {
		snprintf(names[i], sizeof(names[i]), "test_parse_%02d_%s",
		    samples[i].code, sip2_spec_find(samples[i].code)->name);
		tests[i].name = names[i];
		tests[i].test_func = test_parse_sample;
		tests[i].initial_state = (void *)(uintptr_t)&samples[i];
	}
	memcpy(tests + NSAMPLES, fixed, sizeof(fixed));
	return (_cmocka_run_group_tests("sip2_parse", tests, NSAMPLES + n,
	    NULL, NULL));
}
