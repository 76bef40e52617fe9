/* SPDX-License-Identifier: ISC */
/*
 * The SIP2 error-detection checksum: the bytes' sum, negated, in 16 bits,
 * and the one pass over a message that parsing makes.
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__) && !defined(SIP2_NO_SIMD)
#include <emmintrin.h>
#define CHECKSUM_SSE2	1
#endif

#include "sip2.h"

#define LANES	0x00ff00ff00ff00ffULL
#define ONES	0x0101010101010101ULL
#define SPACES	0x2020202020202020ULL
#define HIGHS	0x8080808080808080ULL

/*
 * Add the bytes, and with check set, find out whether all are printable
 * ASCII.  The gateway does this for every message it relays, so it goes
 * sixteen bytes at a time with SSE2 where there is SSE2, eight elsewhere:
 * 16-bit lanes, at most 128 words a round so that no lane carries into
 * the next; a byte outside 0x20-0x7e sets a high bit in x, x - 0x20 or
 * x + 1, and a borrow or carry can only start at such a byte.
 */
static inline uint32_t
checksum_scan(const unsigned char *s, size_t len, int check, int *printable)
{
	uint64_t	 w, acc, bad = 0;
	uint32_t	 sum = 0;
	size_t		 words, k;
#ifdef CHECKSUM_SSE2
	__m128i		 x, zero, total, ok, lo, hi;

	zero = _mm_setzero_si128();
	total = zero;
	ok = _mm_set1_epi8(-1);
	lo = _mm_set1_epi8(0x1f);
	hi = _mm_set1_epi8(0x7f);
	for (; len >= 16; len -= 16, s += 16) {
		x = _mm_loadu_si128((const __m128i *)(const void *)s);
		total = _mm_add_epi64(total, _mm_sad_epu8(x, zero));
		/* Signed: high bytes are negative, so below 0x20 too. */
		if (check)
			ok = _mm_and_si128(ok, _mm_and_si128(
			    _mm_cmpgt_epi8(x, lo), _mm_cmplt_epi8(x, hi)));
	}
	sum = (uint32_t)_mm_cvtsi128_si32(total) +
	    (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(total, 8));
	if (check && _mm_movemask_epi8(ok) != 0xffff)
		bad = HIGHS;
#endif
	for (words = len / 8; words > 0;) {
		k = words < 128 ? words : 128;
		words -= k;
		acc = 0;
		do {
			memcpy(&w, s, sizeof(w));
			s += 8;
			if (check)
				bad |= w | (w - SPACES) | (w + ONES);
			acc += (w & LANES) + ((w >> 8) & LANES);
		} while (--k > 0);
		sum += (uint32_t)(acc & 0xffff) +
		    (uint32_t)((acc >> 16) & 0xffff) +
		    (uint32_t)((acc >> 32) & 0xffff) + (uint32_t)(acc >> 48);
	}
	for (len &= 7; len > 0; len--, s++) {
		if (check && (*s < 0x20 || *s > 0x7e))
			bad = HIGHS;
		sum += *s;
	}
	if (check)
		*printable = (bad & HIGHS) == 0;
	return (sum);
}

/* Return the SIP2 checksum of the bytes: their sum, negated, 16 bits. */
uint16_t
sip2_checksum(const char *data, size_t len)
{
	uint32_t	 sum;

	sum = checksum_scan((const unsigned char *)data, len, 0, NULL);
	return ((uint16_t)(0x10000 - (sum & 0xffff)));
}

/* Return the bytes' sum, and set *printable to whether all are. */
uint32_t
sip2_checksum_scan(const char *data, size_t len, int *printable)
{
	return (checksum_scan((const unsigned char *)data, len, 1,
	    printable));
}

static int
checksum_hex(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/*
 * Return 1 if msg ends in "AZ" and four hex digits (either case) that
 * match, 0 if they do not, -1 if there is no such trailer.  A terminator
 * left at the end is ignored.
 */
int
sip2_checksum_verify(const char *msg, size_t len)
{
	unsigned int	 want = 0;
	int		 i, d;

	while (len > 0 && (msg[len - 1] == '\r' || msg[len - 1] == '\n'))
		len--;
	if (len < 6 || msg[len - 6] != 'A' || msg[len - 5] != 'Z')
		return (-1);
	for (i = 4; i > 0; i--) {
		if ((d = checksum_hex((unsigned char)msg[len - (size_t)i])) ==
		    -1)
			return (-1);
		want = want << 4 | (unsigned int)d;
	}
	return (sip2_checksum(msg, len - 4) == want ? 1 : 0);
}
