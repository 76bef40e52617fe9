/* SPDX-License-Identifier: ISC */
/*
 * Tests of the SIP2 checksum: the published vectors, verification, and the
 * eight-bytes-at-a-time sum against a plain one.
 */

#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sip2.h"

static uint16_t
naive_checksum(const unsigned char *s, size_t len)
{
	uint32_t	 sum = 0;
	size_t		 i;

	for (i = 0; i < len; i++)
		sum += s[i];
	return ((uint16_t)(-sum & 0xffff));
}

static void
test_checksum_vectors(void **state)
{
	assert_int_equal(sip2_checksum("941AY0AZ", 8), 0xFDFD);
	assert_int_equal(sip2_checksum("97AZ", 4), 0xFEF5);
	assert_int_equal(sip2_checksum("96AZ", 4), 0xFEF6);
	assert_int_equal(sip2_checksum("990 402.00AY1AZ", 15), 0xFCB4);
}

static void
test_checksum_empty_is_zero(void **state)
{
	assert_int_equal(sip2_checksum("", 0), 0);
}

static void
test_checksum_sum_plus_value_is_zero(void **state)
{
	const char	*msg = "2300120240301    093000AOMAIN|AA2100|AY4AZ";
	uint32_t	 sum = 0;
	size_t		 i;

	for (i = 0; i < strlen(msg); i++)
		sum += (unsigned char)msg[i];
	assert_int_equal((sum + sip2_checksum(msg, strlen(msg))) & 0xffff, 0);
}

static void
test_checksum_counts_bytes_not_characters(void **state)
{
	/* "é" is two bytes in UTF-8 and both count. */
	const char	*utf8 = "AJCaf\xc3\xa9|";
	const char	*latin1 = "AJCaf\xe9|";

	assert_int_equal(sip2_checksum(utf8, strlen(utf8)),
	    naive_checksum((const unsigned char *)utf8, strlen(utf8)));
	assert_int_not_equal(sip2_checksum(utf8, strlen(utf8)),
	    sip2_checksum(latin1, strlen(latin1)));
	assert_int_equal(sip2_checksum(latin1, strlen(latin1)),
	    naive_checksum((const unsigned char *)latin1, strlen(latin1)));
}

static void
test_checksum_matches_plain_sum_at_every_length(void **state)
{
	unsigned char	*buf;
	size_t		 len, i;

	buf = malloc(5000);
	assert_non_null(buf);
	srand(7);
	for (i = 0; i < 5000; i++)
		buf[i] = (unsigned char)rand();
	for (len = 0; len < 5000; len += (len < 300 ? 1 : 37))
		assert_int_equal(sip2_checksum((char *)buf, len),
		    naive_checksum(buf, len));
	free(buf);
}

static void
test_checksum_all_high_bytes_do_not_overflow_lanes(void **state)
{
	unsigned char	*buf;
	size_t		 len;

	buf = malloc(40000);
	assert_non_null(buf);
	memset(buf, 0xff, 40000);
	for (len = 1000; len <= 40000; len += 3331)
		assert_int_equal(sip2_checksum((char *)buf, len),
		    naive_checksum(buf, len));
	assert_int_equal(sip2_checksum((char *)buf, 40000),
	    naive_checksum(buf, 40000));
	free(buf);
}

static void
test_checksum_unaligned_start(void **state)
{
	char	 buf[64];
	size_t	 off;

	memset(buf, 'Q', sizeof(buf));
	for (off = 0; off < 8; off++)
		assert_int_equal(sip2_checksum(buf + off, 40),
		    naive_checksum((unsigned char *)buf + off, 40));
}

static void
test_checksum_verify_good(void **state)
{
	assert_int_equal(sip2_checksum_verify("941AY0AZFDFD", 12), 1);
	assert_int_equal(sip2_checksum_verify("97AZFEF5", 8), 1);
	assert_int_equal(sip2_checksum_verify("990 402.00AY1AZFCB4", 19), 1);
}

static void
test_checksum_verify_lowercase_hex(void **state)
{
	assert_int_equal(sip2_checksum_verify("941AY0AZfdfd", 12), 1);
	assert_int_equal(sip2_checksum_verify("990 402.00AY1AZfcb4", 19), 1);
}

static void
test_checksum_verify_wrong(void **state)
{
	assert_int_equal(sip2_checksum_verify("941AY0AZFDFE", 12), 0);
	assert_int_equal(sip2_checksum_verify("940AY0AZFDFD", 12), 0);
}

static void
test_checksum_verify_none(void **state)
{
	assert_int_equal(sip2_checksum_verify("941", 3), -1);
	assert_int_equal(sip2_checksum_verify("941AY0AZFDF", 11), -1);
	assert_int_equal(sip2_checksum_verify("941AY0AZFDFG", 12), -1);
	assert_int_equal(sip2_checksum_verify("", 0), -1);
}

static void
test_checksum_verify_ignores_terminator(void **state)
{
	assert_int_equal(sip2_checksum_verify("941AY0AZFDFD\r", 13), 1);
	assert_int_equal(sip2_checksum_verify("941AY0AZFDFD\r\n", 14), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum_vectors),
		cmocka_unit_test(test_checksum_empty_is_zero),
		cmocka_unit_test(test_checksum_sum_plus_value_is_zero),
		cmocka_unit_test(test_checksum_counts_bytes_not_characters),
		cmocka_unit_test(
		    test_checksum_matches_plain_sum_at_every_length),
		cmocka_unit_test(
		    test_checksum_all_high_bytes_do_not_overflow_lanes),
		cmocka_unit_test(test_checksum_unaligned_start),
		cmocka_unit_test(test_checksum_verify_good),
		cmocka_unit_test(test_checksum_verify_lowercase_hex),
		cmocka_unit_test(test_checksum_verify_wrong),
		cmocka_unit_test(test_checksum_verify_none),
		cmocka_unit_test(test_checksum_verify_ignores_terminator),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
