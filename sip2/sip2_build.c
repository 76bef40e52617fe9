/* SPDX-License-Identifier: ISC */
/*
 * Building the wire form of a message: fields in order, converted to the
 * wire's character set, then the AY/AZ trailer and the terminator.
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "sip2.h"

static const char build_hex[] = "0123456789ABCDEF";

/* Return the delimiter to use: printable, not a letter or digit. */
static char
build_delim(char d)
{
	if (d < 0x21 || d > 0x7e || (d >= '0' && d <= '9') ||
	    (d >= 'A' && d <= 'Z') || (d >= 'a' && d <= 'z'))
		return ('|');
	return (d);
}

/*
 * Copy a value.  Most are short ids and names, for which a call to
 * memcpy() costs more than the copy: two overlapping moves do it.
 */
static inline void
build_copy(char *d, const char *s, size_t n)
{
	uint64_t	 a, b;
	uint32_t	 x, y;

	if (n >= 8 && n <= 16) {
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4 && n < 8) {
		memcpy(&x, s, 4);
		memcpy(&y, s + n - 4, 4);
		memcpy(d, &x, 4);
		memcpy(d + n - 4, &y, 4);
	} else if (n < 4) {
		while (n-- > 0)
			*d++ = *s++;
	} else
		memcpy(d, s, n);
}

/* Drop every delimiter byte from [p, p + len); return the new length. */
static size_t
build_strip(char *p, size_t len, char delim)
{
	size_t	 i, o = 0;

	for (i = 0; i < len; i++) {
		if (p[i] != delim)
			p[o++] = p[i];
	}
	return (o);
}

/*
 * Encode a message for the wire.  No allocation: everything goes straight
 * into out.  A delimiter byte inside a value is dropped.  96 and 97 without
 * a sequence get "AZ" alone, as terminals expect.  A NULL wire means UTF-8,
 * '|', CR and checksums.
 */
ssize_t
sip2_build(const struct sip2_msg *m, const struct sip2_wire *wire, char *out,
    size_t outsz)
{
	const struct sip2_spec	*spec = sip2_msg_spec(m);
	const struct sip2_field	*f;
	enum sip2_charset	 cs = SIP2_CS_UTF8;
	enum sip2_term		 term = SIP2_TERM_CR;
	const char		*text, *v;
	char			*p = out, *end = out + outsz, delim = '|';
	size_t			 i, n, len, fw;
	ssize_t			 k;
	int			 sums = 1, seq;
	uint16_t		 sum;

	if (wire != NULL) {
		cs = wire->charset;
		term = wire->term;
		delim = build_delim(wire->delim);
		sums = wire->checksums;
	}
	for (fw = 0, i = 0; i < spec->nfixed; i++)
		fw += spec->fixed[i].width;
	if (outsz < 2 + fw)
		return (-1);
	*p++ = (char)('0' + spec->code / 10);
	*p++ = (char)('0' + spec->code % 10);
	p += sip2_msg_store_fixed(m, p);

	f = sip2_msg_fieldv(m, &n, &text);
	for (i = 0; i < n; i++, f++) {
		v = text + f->off;
		len = f->len;
		/* The wire form of a value is never longer than its UTF-8. */
		if ((size_t)(end - p) < len + 3)
			return (-1);
		*p++ = f->id[0];
		*p++ = f->id[1];
		if (f->plain &&
		    (delim == '|' || memchr(v, delim, len) == NULL)) {
			build_copy(p, v, len);
			p += len;
		} else {
			if ((k = sip2_from_utf8(cs, v, len, p,
			    (size_t)(end - p) - 1)) == -1)
				return (-1);
			p += build_strip(p, (size_t)k, delim);
		}
		*p++ = delim;
	}

	if (sums) {
		if ((size_t)(end - p) < 9)
			return (-1);
		seq = sip2_msg_seq(m);
		if (seq >= 0 || (spec->code != SIP2_RESEND &&
		    spec->code != SIP2_REQUEST_RESEND)) {
			*p++ = 'A';
			*p++ = 'Y';
			*p++ = (char)('0' + (seq >= 0 ? seq : 0));
		}
		*p++ = 'A';
		*p++ = 'Z';
		sum = sip2_checksum(out, (size_t)(p - out));
		*p++ = build_hex[sum >> 12];
		*p++ = build_hex[(sum >> 8) & 0xf];
		*p++ = build_hex[(sum >> 4) & 0xf];
		*p++ = build_hex[sum & 0xf];
	}

	if ((size_t)(end - p) < (term == SIP2_TERM_CRLF ? 2 : 1))
		return (-1);
	if (term == SIP2_TERM_LF)
		*p++ = '\n';
	else {
		*p++ = '\r';
		if (term == SIP2_TERM_CRLF)
			*p++ = '\n';
	}
	return (p - out);
}
