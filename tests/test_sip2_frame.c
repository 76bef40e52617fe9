/* SPDX-License-Identifier: ISC */
/*
 * Tests of SIP2 framing: terminators, several messages per read, messages
 * split across reads, blank lines, and the length cap.
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

/* Frame data and check the result, the message and what is consumed. */
static void
expect_frame(struct sip2_framer *fr, const char *data, size_t len,
    enum sip2_frame_res res, const char *msg, size_t consumed)
{
	size_t	 off, msglen, used;

	assert_int_equal(sip2_frame(fr, data, len, &off, &msglen, &used), res);
	assert_int_equal(used, consumed);
	if (res == SIP2_FRAME_MSG) {
		assert_int_equal(msglen, strlen(msg));
		assert_memory_equal(data + off, msg, msglen);
	}
}

static void
test_frame_cr(void **state)
{
	struct sip2_framer	 fr = { 0, 0 };

	expect_frame(&fr, "9900302.00\r", 11, SIP2_FRAME_MSG, "9900302.00",
	    11);
}

static void
test_frame_crlf(void **state)
{
	struct sip2_framer	 fr = { 0, 0 };

	expect_frame(&fr, "9900302.00\r\n", 12, SIP2_FRAME_MSG, "9900302.00",
	    12);
}

static void
test_frame_lf(void **state)
{
	struct sip2_framer	 fr = { 0, 0 };

	expect_frame(&fr, "9900302.00\n", 11, SIP2_FRAME_MSG, "9900302.00",
	    11);
}

static void
test_frame_several_messages_in_one_read(void **state)
{
	struct sip2_framer	 fr = { 0, 0 };
	const char		*buf = "941\r97AZFEF5\r\n9900302.00\n";
	size_t			 len = strlen(buf), pos = 0, off, mlen, used;
	const char		*want[] = { "941", "97AZFEF5", "9900302.00" };
	int			 i;

	for (i = 0; i < 3; i++) {
		assert_int_equal(sip2_frame(&fr, buf + pos, len - pos, &off,
		    &mlen, &used), SIP2_FRAME_MSG);
		assert_int_equal(mlen, strlen(want[i]));
		assert_memory_equal(buf + pos + off, want[i], mlen);
		pos += used;
	}
	assert_int_equal(pos, len);
	assert_int_equal(sip2_frame(&fr, buf + pos, len - pos, &off, &mlen,
	    &used), SIP2_FRAME_MORE);
	assert_int_equal(used, 0);
}

static void
test_frame_partial_is_more(void **state)
{
	struct sip2_framer	 fr = { 0, 0 };

	expect_frame(&fr, "2300120240301", 13, SIP2_FRAME_MORE, NULL, 0);
	expect_frame(&fr, "", 0, SIP2_FRAME_MORE, NULL, 0);
}

static void
test_frame_split_across_reads(void **state)
{
	struct sip2_framer	 fr = { 0, 0 };
	char			 buf[64];
	const char		*whole = "9900302.00\r\n941\r";
	size_t			 have = 0, cut, off, mlen, used;
	int			 got = 0;

	/* Feed one byte at a time as a slow network would. */
	for (cut = 1; cut <= strlen(whole); cut++) {
		buf[have++] = whole[cut - 1];
		while (sip2_frame(&fr, buf, have, &off, &mlen, &used) ==
		    SIP2_FRAME_MSG) {
			if (got == 0)
				assert_memory_equal(buf + off, "9900302.00",
				    mlen);
			else
				assert_memory_equal(buf + off, "941", mlen);
			got++;
			memmove(buf, buf + used, have - used);
			have -= used;
		}
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	assert_int_equal(got, 2);
	assert_int_equal(have, 0);
}

static void
test_frame_crlf_split_leaves_lf_for_next_read(void **state)
{
	struct sip2_framer	 fr = { 0, 0 };

	expect_frame(&fr, "941\r", 4, SIP2_FRAME_MSG, "941", 4);
	/* The LF of that CRLF arrives first in the next read. */
	expect_frame(&fr, "\n941\r", 5, SIP2_FRAME_MSG, "941", 5);
}

static void
test_frame_blank_lines_skipped(void **state)
{
	struct sip2_framer	 fr = { 0, 0 };

	expect_frame(&fr, "\r\n\r\n\n\r941\r", 10, SIP2_FRAME_MSG, "941", 10);
	expect_frame(&fr, "\r\n\r\n", 4, SIP2_FRAME_MORE, NULL, 4);
}

static void
test_frame_exactly_at_cap(void **state)
{
	struct sip2_framer	 fr = { 16, 0 };
	char			 buf[32];

	memset(buf, 'x', 16);
	buf[16] = '\r';
	assert_int_equal(sip2_frame(&fr, buf, 17, &(size_t){ 0 },
	    &(size_t){ 0 }, &(size_t){ 0 }), SIP2_FRAME_MSG);
	/* Without a terminator yet, 16 bytes may still become a message. */
	expect_frame(&fr, buf, 16, SIP2_FRAME_MORE, NULL, 0);
}

static void
test_frame_oversize_without_terminator(void **state)
{
	struct sip2_framer	 fr = { 16, 0 };
	char			 buf[64];

	memset(buf, 'x', sizeof(buf));
	/* Reported once, everything dropped. */
	expect_frame(&fr, buf, 17, SIP2_FRAME_TOOLONG, NULL, 17);
	assert_int_equal(fr.skipping, 1);
	/* More garbage: silently dropped. */
	expect_frame(&fr, buf, 40, SIP2_FRAME_MORE, NULL, 40);
	/* The terminator ends the skipping; the next message comes out. */
	memcpy(buf, "xxxx\r941\r", 9);
	expect_frame(&fr, buf, 9, SIP2_FRAME_MSG, "941", 9);
	assert_int_equal(fr.skipping, 0);
}

static void
test_frame_oversize_then_terminator_later_in_read(void **state)
{
	struct sip2_framer	 fr = { 8, 0 };
	const char		*buf = "0123456789abcdef\r941\r";

	expect_frame(&fr, buf, strlen(buf), SIP2_FRAME_TOOLONG, NULL, 17);
	assert_int_equal(fr.skipping, 0);
	expect_frame(&fr, buf + 17, 4, SIP2_FRAME_MSG, "941", 4);
}

static void
test_frame_skipping_ends_with_partial_message(void **state)
{
	struct sip2_framer	 fr = { 8, 1 };

	expect_frame(&fr, "junk\r94", 7, SIP2_FRAME_MORE, NULL, 5);
	assert_int_equal(fr.skipping, 0);
}

static void
test_frame_default_cap(void **state)
{
	struct sip2_framer	 fr = { 0, 0 };
	char			*buf;

	buf = malloc(SIP2_MSG_MAX + 2);
	assert_non_null(buf);
	memset(buf, 'x', SIP2_MSG_MAX + 2);
	expect_frame(&fr, buf, SIP2_MSG_MAX, SIP2_FRAME_MORE, NULL, 0);
	expect_frame(&fr, buf, SIP2_MSG_MAX + 1, SIP2_FRAME_TOOLONG, NULL,
	    SIP2_MSG_MAX + 1);
	free(buf);
}

static void
test_frame_binary_garbage_terminates(void **state)
{
	struct sip2_framer	 fr = { 64, 0 };
	unsigned char		 buf[4096];
	size_t			 pos = 0, off, mlen, used;
	enum sip2_frame_res	 r;
	int			 i, rounds = 0;

	srand(11);
	for (i = 0; i < (int)sizeof(buf); i++)
		buf[i] = (unsigned char)rand();
	while (pos < sizeof(buf)) {
		r = sip2_frame(&fr, (char *)buf + pos, sizeof(buf) - pos,
		    &off, &mlen, &used);
		if (r == SIP2_FRAME_MSG) {
			assert_true(mlen <= 64);
			assert_true(off + mlen < used);
			assert_null(memchr(buf + pos + off, '\r', mlen));
			assert_null(memchr(buf + pos + off, '\n', mlen));
		}
		assert_true(used <= sizeof(buf) - pos);
		if (used == 0)
			break;
		pos += used;
		assert_true(++rounds < 10000);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_cr),
		cmocka_unit_test(test_frame_crlf),
		cmocka_unit_test(test_frame_lf),
		cmocka_unit_test(test_frame_several_messages_in_one_read),
		cmocka_unit_test(test_frame_partial_is_more),
		cmocka_unit_test(test_frame_split_across_reads),
		cmocka_unit_test(test_frame_crlf_split_leaves_lf_for_next_read),
		cmocka_unit_test(test_frame_blank_lines_skipped),
		cmocka_unit_test(test_frame_exactly_at_cap),
		cmocka_unit_test(test_frame_oversize_without_terminator),
		cmocka_unit_test(
		    test_frame_oversize_then_terminator_later_in_read),
		cmocka_unit_test(test_frame_skipping_ends_with_partial_message),
		cmocka_unit_test(test_frame_default_cap),
		cmocka_unit_test(test_frame_binary_garbage_terminates),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
