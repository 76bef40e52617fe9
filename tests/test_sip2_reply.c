/* SPDX-License-Identifier: ISC */
/*
 * Tests of refusals: for every request, the response code, fixed fields
 * that say no, echoed ids, required fields, screen message and sequence.
 */

#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sip2.h"

/* 2024-03-01 09:30:00 UTC */
#define NOW	((time_t)1709285400)
#define DATE	"20240301    093000"

static const struct {
	int		 code;
	const char	*wire;
} requests[] = {
	{ 93, "9300CNkiosk1|COpw|CPMAIN|AY1" },
	{ 99, "990 402.00AY2" },
	{ 23, "23002" DATE "AOMAIN|AA2100|ACpw|AD1234|AY3" },
	{ 63, "63001" DATE "Y         AOMAIN|AA2100|AY4" },
	{ 11, "11YN" DATE DATE "AOMAIN|AA2100|AB3100|AC|AY5" },
	{ 9, "09N" DATE DATE "APMAIN|AOMAIN|AB3100|AC|AY6" },
	{ 1, "01N" DATE "AOMAIN|ALlost|AA2100|AC|AY7" },
	{ 35, "35" DATE "AOMAIN|AA2100|AY8" },
	{ 37, "37" DATE "0400USDBV2.50|AOMAIN|AA2100|AY9" },
	{ 17, "17" DATE "AOMAIN|AB3100|AY0" },
	{ 19, "19" DATE "AOMAIN|AB3100|CHx|AY1" },
	{ 25, "25" DATE "AOMAIN|AA2100|AY2" },
	{ 15, "15+" DATE "AOMAIN|AA2100|AB3100|AY3" },
	{ 29, "29NN" DATE DATE "AOMAIN|AA2100|AB3100|AY4" },
	{ 65, "65" DATE "AOMAIN|AA2100|AY5" },
};

#define NREQUESTS	(sizeof(requests) / sizeof(requests[0]))

static int
set_zone(void **state)
{
	setenv("TZ", "UTC0", 1);
	tzset();
	return (0);
}

static struct sip2_msg *
request(size_t i)
{
	struct sip2_msg	*m;
	enum sip2_err	 err;

	m = sip2_parse(requests[i].wire, strlen(requests[i].wire), NULL, &err);
	if (m == NULL)
		fail_msg("%s: %s", requests[i].wire, sip2_strerror(err));
	return (m);
}

static void
test_reply_every_request_answered(void **state)
{
	struct sip2_msg		*req, *rep, *back;
	const struct sip2_spec	*spec;
	char			 out[1024];
	ssize_t			 n;
	size_t			 i, f;
	int			 seen[100] = { 0 };

	for (i = 0; i < NREQUESTS; i++) {
		req = request(i);
		rep = sip2_reply_error(req, "Please see staff", NOW);
		assert_non_null(rep);
		spec = sip2_msg_spec(rep);
		assert_int_equal(spec->code, sip2_msg_spec(req)->response);
		assert_null(sip2_msg_missing(rep));
		assert_int_equal(sip2_msg_seq(rep), sip2_msg_seq(req));
		assert_string_equal(sip2_msg_field(rep, "AF"),
		    "Please see staff");
		for (f = 0; f < spec->nfixed; f++) {
			if (spec->fixed[f].fx == SIP2_FX_DATE)
				assert_string_equal(sip2_msg_fixed(rep,
				    SIP2_FX_DATE), DATE);
		}
		/* It builds, and what it builds parses back. */
		n = sip2_build(rep, NULL, out, sizeof(out));
		assert_true(n > 0);
		back = sip2_parse(out, (size_t)n, NULL, NULL);
		assert_non_null(back);
		assert_int_equal(sip2_msg_code(back), spec->code);
		sip2_msg_free(back);
		seen[requests[i].code] = 1;
		sip2_msg_free(rep);
		sip2_msg_free(req);
	}
	/* Every request code a terminal sends, except 97, is covered. */
	for (i = 0; i < 100; i++) {
		if ((spec = sip2_spec_find((int)i)) != NULL &&
		    spec->request && spec->response != 0)
			assert_int_equal(seen[i], 1);
	}
}

static void
test_reply_echoes_institution_patron_item(void **state)
{
	struct sip2_msg	*req, *rep;

	req = request(4);	/* 11 */
	rep = sip2_reply_error(req, NULL, NOW);
	assert_string_equal(sip2_msg_field(rep, "AO"), "MAIN");
	assert_string_equal(sip2_msg_field(rep, "AA"), "2100");
	assert_string_equal(sip2_msg_field(rep, "AB"), "3100");
	assert_null(sip2_msg_field(rep, "AF"));
	sip2_msg_free(rep);
	sip2_msg_free(req);
}

static void
test_reply_checkout_says_no(void **state)
{
	struct sip2_msg	*req, *rep;
	const char	*want;
	char		 out[256];
	ssize_t		 n;

	req = request(4);
	rep = sip2_reply_error(req, "No", NOW);
	n = sip2_build(rep, NULL, out, sizeof(out));
	assert_true(n > 0);
	out[n] = '\0';
	/* ok 0, renewal N, magnetic unknown, do not desensitize. */
	want = "120NUN" DATE "AOMAIN|AA2100|AB3100|AJ|AH|AFNo|AY5AZ";
	assert_memory_equal(out, want, strlen(want));
	sip2_msg_free(rep);
	sip2_msg_free(req);
}

static void
test_reply_unknown_patron_status(void **state)
{
	struct sip2_msg	*req, *rep;
	size_t		 idx[] = { 2, 3, 6, 11 };	/* 23 63 01 25 */
	size_t		 i;

	for (i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		req = request(idx[i]);
		rep = sip2_reply_error(req, NULL, NOW);
		assert_string_equal(sip2_msg_fixed(rep, SIP2_FX_PATRON_STATUS),
		    "YYYY          ");
		assert_string_equal(sip2_msg_field(rep, "BL"), "N");
		assert_string_equal(sip2_msg_field(rep, "AE"), "");
		sip2_msg_free(rep);
		sip2_msg_free(req);
	}
}

static void
test_reply_keeps_request_language(void **state)
{
	struct sip2_msg	*req, *rep;

	req = request(2);
	rep = sip2_reply_error(req, NULL, NOW);
	assert_string_equal(sip2_msg_fixed(rep, SIP2_FX_LANGUAGE), "002");
	sip2_msg_free(rep);
	sip2_msg_free(req);
	req = request(11);	/* 25 has no language */
	rep = sip2_reply_error(req, NULL, NOW);
	assert_string_equal(sip2_msg_fixed(rep, SIP2_FX_LANGUAGE), "000");
	sip2_msg_free(rep);
	sip2_msg_free(req);
}

static void
test_reply_pin_given_is_not_valid(void **state)
{
	struct sip2_msg	*req, *rep;

	req = request(2);	/* 23 with AD */
	rep = sip2_reply_error(req, NULL, NOW);
	assert_string_equal(sip2_msg_field(rep, "CQ"), "N");
	sip2_msg_free(rep);
	sip2_msg_free(req);
	req = request(3);	/* 63 without AD */
	rep = sip2_reply_error(req, NULL, NOW);
	assert_null(sip2_msg_field(rep, "CQ"));
	sip2_msg_free(rep);
	sip2_msg_free(req);
}

static void
test_reply_patron_info_counts_zero(void **state)
{
	struct sip2_msg	*req, *rep;

	req = request(3);
	rep = sip2_reply_error(req, NULL, NOW);
	assert_string_equal(sip2_msg_fixed(rep, SIP2_FX_HOLD_COUNT), "0000");
	assert_string_equal(sip2_msg_fixed(rep, SIP2_FX_UNAVAIL_HOLD_COUNT),
	    "0000");
	sip2_msg_free(rep);
	sip2_msg_free(req);
}

static void
test_reply_item_info_other(void **state)
{
	struct sip2_msg	*req, *rep;

	req = request(9);
	rep = sip2_reply_error(req, NULL, NOW);
	assert_int_equal(sip2_msg_code(rep), 18);
	assert_string_equal(sip2_msg_fixed(rep, SIP2_FX_CIRC_STATUS), "01");
	assert_string_equal(sip2_msg_field(rep, "AB"), "3100");
	assert_string_equal(sip2_msg_field(rep, "AJ"), "");
	/* 18 carries no institution. */
	assert_null(sip2_msg_field(rep, "AO"));
	sip2_msg_free(rep);
	sip2_msg_free(req);
}

static void
test_reply_login_refused(void **state)
{
	struct sip2_msg	*req, *rep;
	char		 out[64];
	ssize_t		 n;

	req = request(0);
	rep = sip2_reply_error(req, NULL, NOW);
	n = sip2_build(rep, NULL, out, sizeof(out));
	assert_int_equal(n, 13);
	assert_memory_equal(out, "940AY1AZ", 8);
	sip2_msg_free(rep);
	sip2_msg_free(req);
}

static void
test_reply_acs_status_offline(void **state)
{
	struct sip2_msg	*req, *rep;
	const char	*want;
	char		 out[256];
	ssize_t		 n;

	req = request(1);
	rep = sip2_reply_error(req, NULL, NOW);
	n = sip2_build(rep, NULL, out, sizeof(out));
	assert_true(n > 0);
	want = "98NNNNNN999999" DATE "2.00AO|BXNNNNNNNNNNNNNNNN|AY2AZ";
	assert_memory_equal(out, want, strlen(want));
	sip2_msg_free(rep);
	sip2_msg_free(req);
}

static void
test_reply_renew_all_counts(void **state)
{
	struct sip2_msg	*req, *rep;

	req = request(14);
	rep = sip2_reply_error(req, NULL, NOW);
	assert_string_equal(sip2_msg_fixed(rep, SIP2_FX_OK), "0");
	assert_string_equal(sip2_msg_fixed(rep, SIP2_FX_RENEWED_COUNT), "0000");
	assert_string_equal(sip2_msg_fixed(rep, SIP2_FX_UNRENEWED_COUNT),
	    "0000");
	assert_null(sip2_msg_field(rep, "AA"));
	sip2_msg_free(rep);
	sip2_msg_free(req);
}

static void
test_reply_no_sequence_stays_none(void **state)
{
	struct sip2_msg	*req, *rep;

	req = sip2_parse("35" DATE "AOMAIN|AA2100|",
	    strlen("35" DATE "AOMAIN|AA2100|"), NULL, NULL);
	assert_non_null(req);
	rep = sip2_reply_error(req, NULL, NOW);
	assert_int_equal(sip2_msg_seq(rep), -1);
	assert_string_equal(sip2_msg_fixed(rep, SIP2_FX_END_SESSION), "N");
	sip2_msg_free(rep);
	sip2_msg_free(req);
}

static void
test_reply_none_for_responses_and_resends(void **state)
{
	struct sip2_msg	*m;
	int		 codes[] = { 97, 96, 24, 12, 98, 94 };
	size_t		 i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		m = sip2_msg_new(codes[i]);
		assert_null(sip2_reply_error(m, "x", NOW));
		sip2_msg_free(m);
	}
	assert_null(sip2_reply_error(NULL, "x", NOW));
}

static void
test_reply_screen_message_cleaned(void **state)
{
	struct sip2_msg	*req, *rep;

	req = request(7);
	rep = sip2_reply_error(req, "a|b\r\nc", NOW);
	assert_string_equal(sip2_msg_field(rep, "AF"), "abc");
	sip2_msg_free(rep);
	sip2_msg_free(req);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_every_request_answered),
		cmocka_unit_test(test_reply_echoes_institution_patron_item),
		cmocka_unit_test(test_reply_checkout_says_no),
		cmocka_unit_test(test_reply_unknown_patron_status),
		cmocka_unit_test(test_reply_keeps_request_language),
		cmocka_unit_test(test_reply_pin_given_is_not_valid),
		cmocka_unit_test(test_reply_patron_info_counts_zero),
		cmocka_unit_test(test_reply_item_info_other),
		cmocka_unit_test(test_reply_login_refused),
		cmocka_unit_test(test_reply_acs_status_offline),
		cmocka_unit_test(test_reply_renew_all_counts),
		cmocka_unit_test(test_reply_no_sequence_stays_none),
		cmocka_unit_test(test_reply_none_for_responses_and_resends),
		cmocka_unit_test(test_reply_screen_message_cleaned),
	};

	return (cmocka_run_group_tests(tests, set_zone, NULL));
}
