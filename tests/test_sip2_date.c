/* SPDX-License-Identifier: ISC */
/*
 * Tests of SIP2 dates: local and zoned forms, blanks, malformed dates, and
 * the lenient due-date parser.  Local time is a fixed UTC-5 zone.
 */

#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sip2.h"

/* 2024-03-01 09:30:00 UTC */
#define T0	((time_t)1709285400)
#define HOUR	3600

static int
set_zone(void **state)
{
	/* Five hours west of UTC, no daylight saving, needs no tzdata. */
	setenv("TZ", "XST5", 1);
	tzset();
	return (0);
}

static void
expect_lenient(const char *s, time_t want)
{
	time_t	 t = 0;

	if (sip2_date_parse_lenient(s, &t) != 0)
		fail_msg("\"%s\" not parsed", s);
	if (t != want)
		fail_msg("\"%s\" gave %lld, want %lld", s, (long long)t,
		    (long long)want);
}

static void
test_date_format_utc(void **state)
{
	char	 out[19];

	sip2_date_format(T0, 1, out);
	assert_string_equal(out, "20240301   Z093000");
}

static void
test_date_format_local(void **state)
{
	char	 out[19];

	sip2_date_format(T0, 0, out);
	assert_string_equal(out, "20240301    043000");
	sip2_date_format(0, 1, out);
	assert_string_equal(out, "19700101   Z000000");
}

static void
test_date_parse_zoned(void **state)
{
	time_t	 t;

	assert_int_equal(sip2_date_parse("20240301   Z093000", &t), 0);
	assert_int_equal(t, T0);
	/* Military zones: R is UTC-5, E is UTC+5. */
	assert_int_equal(sip2_date_parse("20240301   R043000", &t), 0);
	assert_int_equal(t, T0);
	assert_int_equal(sip2_date_parse("20240301   E143000", &t), 0);
	assert_int_equal(t, T0);
	assert_int_equal(sip2_date_parse("20240301   z093000", &t), 0);
	assert_int_equal(t, T0);
}

static void
test_date_parse_local(void **state)
{
	time_t	 t;

	assert_int_equal(sip2_date_parse("20240301    043000", &t), 0);
	assert_int_equal(t, T0);
}

static void
test_date_parse_blank(void **state)
{
	time_t	 t = 99;

	assert_int_equal(sip2_date_parse("                  ", &t), 0);
	assert_int_equal(t, 0);
}

static void
test_date_parse_malformed(void **state)
{
	const char	*bad[] = {
		"",
		"20240301    04300",
		"20240301    0430000",
		"20241301    043000",
		"20240230    043000",
		"20230229    043000",
		"20240301    243000",
		"20240301    046000",
		"2024030a    043000",
		"20240301  X Z043000",
		"20240301   ZZ43000",
		"20240301 UTC043000",
		"00000000    000000",
	};
	time_t		 t;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sip2_date_parse(bad[i], &t) != -1)
			fail_msg("\"%s\" accepted", bad[i]);
	}
	assert_int_equal(sip2_date_parse(NULL, &t), -1);
}

static void
test_date_leap_day(void **state)
{
	time_t	 t;

	assert_int_equal(sip2_date_parse("20240229   Z000000", &t), 0);
	assert_int_equal(t, 1709164800);
	assert_int_equal(sip2_date_parse("20000229   Z000000", &t), 0);
	assert_int_equal(t, 951782400);
	assert_int_equal(sip2_date_parse("21000229   Z000000", &t), -1);
}

static void
test_date_round_trip(void **state)
{
	char	 out[19];
	time_t	 t, back;

	for (t = 0; t < (time_t)4000000000LL; t += 86400 * 37 + 4321) {
		sip2_date_format(t, 1, out);
		assert_int_equal(sip2_date_parse(out, &back), 0);
		assert_int_equal(back, t);
		sip2_date_format(t, 0, out);
		assert_int_equal(sip2_date_parse(out, &back), 0);
		assert_int_equal(back, t);
	}
}

static void
test_date_lenient_sip2(void **state)
{
	expect_lenient("20240301   Z093000", T0);
	expect_lenient("20240301    043000", T0);
	/* A zone it does not know is taken as local time. */
	expect_lenient("20240301 EST043000", T0);
	expect_lenient("  20240301    043000  ", T0);
}

static void
test_date_lenient_iso_date_is_end_of_day(void **state)
{
	/* 2024-03-01 23:59:59 local is 2024-03-02 04:59:59 UTC. */
	expect_lenient("2024-03-01", 1709355599);
}

static void
test_date_lenient_iso_date_time(void **state)
{
	expect_lenient("2024-03-01T09:30:00Z", T0);
	expect_lenient("2024-03-01T09:30:00.123Z", T0);
	expect_lenient("2024-03-01T11:30:00+02:00", T0);
	expect_lenient("2024-03-01T04:30:00-0500", T0);
	expect_lenient("2024-03-01T04:30:00-05", T0);
	expect_lenient("2024-03-01T04:30:00", T0);
	expect_lenient("2024-03-01 04:30:00", T0);
}

static void
test_date_lenient_iso_minutes(void **state)
{
	expect_lenient("2024-03-01 04:30", T0);
}

static void
test_date_lenient_us(void **state)
{
	expect_lenient("03/01/2024", 1709355599);
	expect_lenient("03/01/2024 04:30", T0);
	expect_lenient("03/01/2024 04:30:00 AM", T0);
	expect_lenient("03/01/2024 4:30 PM", T0 + 12 * HOUR);
	expect_lenient("3/1/2024 12:30 AM", T0 - 4 * HOUR);
}

static void
test_date_lenient_compact(void **state)
{
	expect_lenient("20240301", 1709355599);
	expect_lenient("20240301043000", T0);
}

static void
test_date_lenient_refuses(void **state)
{
	const char	*bad[] = {
		"",
		"                  ",
		"tomorrow",
		"2024-13-01",
		"2024-02-30",
		"2024-03-01T25:00",
		"2024-03-01 04:30 junk",
		"13/01/2024",
		"03/01/2024 13:00 PM",
		"2024030",
		"2024-03-01T04:30:00+99:00",
		"20240301 04300",
	};
	time_t		 t;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sip2_date_parse_lenient(bad[i], &t) != -1)
			fail_msg("\"%s\" accepted", bad[i]);
	}
	assert_int_equal(sip2_date_parse_lenient(NULL, &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date_format_utc),
		cmocka_unit_test(test_date_format_local),
		cmocka_unit_test(test_date_parse_zoned),
		cmocka_unit_test(test_date_parse_local),
		cmocka_unit_test(test_date_parse_blank),
		cmocka_unit_test(test_date_parse_malformed),
		cmocka_unit_test(test_date_leap_day),
		cmocka_unit_test(test_date_round_trip),
		cmocka_unit_test(test_date_lenient_sip2),
		cmocka_unit_test(test_date_lenient_iso_date_is_end_of_day),
		cmocka_unit_test(test_date_lenient_iso_date_time),
		cmocka_unit_test(test_date_lenient_iso_minutes),
		cmocka_unit_test(test_date_lenient_us),
		cmocka_unit_test(test_date_lenient_compact),
		cmocka_unit_test(test_date_lenient_refuses),
	};

	return (cmocka_run_group_tests(tests, set_zone, NULL));
}
