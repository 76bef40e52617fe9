/* SPDX-License-Identifier: ISC */
/*
 * Parsing one framed SIP2 message into a struct sip2_msg: code, fixed
 * fields, variable fields, and the AY/AZ trailer, checked.
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "sip2.h"

/* Letters and digits, the bytes a field id is made of. */
static const unsigned char parse_idchar[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

static const char *const parse_errors[] = {
	[SIP2_OK] = "no error",
	[SIP2_ERR_SHORT] = "message shorter than a code",
	[SIP2_ERR_CODE] = "unknown message code",
	[SIP2_ERR_FIXED] = "fixed fields truncated",
	[SIP2_ERR_CHECKSUM] = "checksum mismatch",
	[SIP2_ERR_TRAILER] = "malformed AY/AZ trailer",
	[SIP2_ERR_FIELD] = "malformed variable field",
	[SIP2_ERR_CHARSET] = "bytes not valid in the character set",
	[SIP2_ERR_TOOLONG] = "message over the length cap",
	[SIP2_ERR_NOMEM] = "out of memory",
};

/* Return a short English description of a parse error, never NULL. */
const char *
sip2_strerror(enum sip2_err err)
{
	if ((int)err < 0 || (size_t)err >= sizeof(parse_errors) /
	    sizeof(parse_errors[0]))
		return ("unknown error");
	return (parse_errors[err]);
}

/* Return the delimiter to use: printable, not a letter or digit. */
static char
parse_delim(const struct sip2_wire *wire)
{
	char	 d;

	if (wire == NULL)
		return ('|');
	d = wire->delim;
	if (d < 0x21 || d > 0x7e || (d >= '0' && d <= '9') ||
	    (d >= 'A' && d <= 'Z') || (d >= 'a' && d <= 'z'))
		return ('|');
	return (d);
}

static int
parse_digit(unsigned char c)
{
	return (c >= '0' && c <= '9');
}

/* Read four hex digits of either case into *v; -1 if they are not. */
static int
parse_hex4(const unsigned char *s, unsigned int *v)
{
	int	 i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			*v = *v << 4 | (unsigned int)(s[i] - '0');
		else if (s[i] >= 'A' && s[i] <= 'F')
			*v = *v << 4 | (unsigned int)(s[i] - 'A' + 10);
		else if (s[i] >= 'a' && s[i] <= 'f')
			*v = *v << 4 | (unsigned int)(s[i] - 'a' + 10);
		else
			return (-1);
	}
	return (0);
}

/*
 * Find the trailer at the end of [fend, *end): "AY" digit "AZ" and four
 * hex digits, "AZ" and four hex digits, or "AY" and a digit.  AZ counts
 * only after AY and its digit, after a delimiter or right after the fixed
 * fields, so that a value ending in "AZ1234" is left alone.  AY without AZ
 * counts only after a delimiter or the fixed fields, and may be followed
 * by delimiters.  sum is that of all the bytes.  Moves *end to where the
 * variable fields stop.
 */
static enum sip2_err
parse_trailer(const unsigned char *s, size_t fend, size_t *end, char delim,
    uint32_t sum, int *seq)
{
	unsigned int	 want;
	size_t		 e = *end, p, a;

	if (e - fend >= 6 && s[e - 6] == 'A' && s[e - 5] == 'Z' &&
	    parse_hex4(s + e - 4, &want) == 0) {
		p = e - 6;
		a = 0;
		if (p >= fend + 3 && s[p - 3] == 'A' && s[p - 2] == 'Y' &&
		    parse_digit(s[p - 1]))
			a = p - 3;
		else if (p != fend && s[p - 1] != (unsigned char)delim)
			goto noaz;
		/* Through "AZ": all but the four digits. */
		sum -= s[e - 4] + s[e - 3] + s[e - 2] + s[e - 1];
		if (((sum + want) & 0xffff) != 0)
			return (SIP2_ERR_CHECKSUM);
		if (a != 0) {
			*seq = s[a + 2] - '0';
			*end = a;
		} else
			*end = p;
		return (SIP2_OK);
	}
 noaz:
	while (e > fend && s[e - 1] == (unsigned char)delim)
		e--;
	if (e - fend >= 3 && s[e - 3] == 'A' && s[e - 2] == 'Y' &&
	    parse_digit(s[e - 1]) &&
	    (e - 3 == fend || s[e - 4] == (unsigned char)delim)) {
		*seq = s[e - 1] - '0';
		*end = e - 3;
	}
	return (SIP2_OK);
}

/*
 * Drop control characters (C0, DEL, C1) from a UTF-8 value in place; set
 * *plain when what is left is ASCII without '|'.  Returns the new length.
 */
static size_t
parse_clean(char *v, size_t len, int *plain)
{
	unsigned char	*s = (unsigned char *)v;
	size_t		 i, o = 0;

	*plain = 1;
	for (i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			continue;
		if (s[i] == 0xc2 && i + 1 < len && s[i + 1] < 0xa0) {
			i++;
			continue;
		}
		if (s[i] >= 0x80 || s[i] == '|')
			*plain = 0;
		s[o++] = s[i];
	}
	return (o);
}

/*
 * Split text at the delimiter into fields, in place, written straight into
 * the message's field buffer, which has room for them all.
 */
static enum sip2_err
parse_fields(struct sip2_msg *m, struct sip2_field *f, char *text,
    size_t len, char delim, int fast)
{
	const char	*q;
	size_t		 p = 0, e, v, vlen, n = 0, used = 0, wirelen = 0;
	int		 plain;

	while (p < len) {
		q = memchr(text + p, delim, len - p);
		e = q != NULL ? (size_t)(q - text) : len;
		if (e == p || (e - p == 1 && text[p] == ' ')) {
			p = e + 1;
			continue;
		}
		if (e - p < 2 || !parse_idchar[(unsigned char)text[p]] ||
		    !parse_idchar[(unsigned char)text[p + 1]])
			return (SIP2_ERR_FIELD);
		if (text[p] == 'A' &&
		    (text[p + 1] == 'Y' || text[p + 1] == 'Z'))
			return (SIP2_ERR_TRAILER);
		v = p + 2;
		vlen = e - v;
		if (fast)
			plain = delim == '|' ||
			    memchr(text + v, '|', vlen) == NULL;
		else
			vlen = parse_clean(text + v, vlen, &plain);
		if (vlen > SIP2_FIELD_MAX) {
			/* Real ILSes send long screen messages: cut, on a
			 * character boundary. */
			vlen = SIP2_FIELD_MAX;
			while (vlen > 0 &&
			    ((unsigned char)text[v + vlen] & 0xc0) == 0x80)
				vlen--;
		}
		text[v + vlen] = '\0';
		f[n].off = (uint32_t)v;
		f[n].len = (uint16_t)vlen;
		f[n].id[0] = text[p];
		f[n].id[1] = text[p + 1];
		f[n].id[2] = '\0';
		f[n].plain = (uint8_t)plain;
		n++;
		used = v + vlen + 1;
		wirelen += 3 + vlen;
		p = e + 1;
	}
	sip2_msg_filled(m, n, used, wirelen);
	return (SIP2_OK);
}

/*
 * Parse one framed message.  Leading and trailing CR and LF are ignored.
 * Messages over SIP2_MSG_MAX bytes are refused.  The checksum is verified
 * over the bytes as received, before any character set conversion.
 */
struct sip2_msg *
sip2_parse(const char *data, size_t len, const struct sip2_wire *wire,
    enum sip2_err *errp)
{
	const unsigned char	*s = (const unsigned char *)data;
	const struct sip2_spec	*spec;
	struct sip2_msg		*m = NULL;
	struct sip2_field	*fields;
	enum sip2_charset	 cs = SIP2_CS_UTF8;
	enum sip2_err		 err;
	char			 delim = parse_delim(wire), *text;
	size_t			 i, fend, end, cap;
	ssize_t			 tlen;
	uint32_t		 sum;
	int			 seq = -1, fast;

	if (wire != NULL)
		cs = wire->charset;
	while (len > 0 && (s[0] == '\n' || s[0] == '\r')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == '\n'))
		len--;

	if (len > SIP2_MSG_MAX) {
		err = SIP2_ERR_TOOLONG;
		goto fail;
	}
	if (len < 2) {
		err = SIP2_ERR_SHORT;
		goto fail;
	}
	if (!parse_digit(s[0]) || !parse_digit(s[1]) ||
	    (spec = sip2_spec_find((s[0] - '0') * 10 + s[1] - '0')) == NULL) {
		err = SIP2_ERR_CODE;
		goto fail;
	}
	for (fend = 2, i = 0; i < spec->nfixed; i++)
		fend += spec->fixed[i].width;
	if (len < fend) {
		err = SIP2_ERR_FIXED;
		goto fail;
	}
	/* One pass: printable ASCII needs no conversion; the checksum. */
	sum = sip2_checksum_scan((const char *)s, len, &fast);
	if (!fast && memchr(s, '\0', len) != NULL) {
		err = SIP2_ERR_CHARSET;
		goto fail;
	}
	end = len;
	if ((err = parse_trailer(s, fend, &end, delim, sum, &seq)) != SIP2_OK)
		goto fail;

	/*
	 * Room for the text once converted, and for the fields, each at
	 * least an id and a delimiter.
	 */
	cap = end - fend;
	if (!fast && cs == SIP2_CS_CP850)
		cap *= 3;
	else if (!fast && cs == SIP2_CS_LATIN1)
		cap *= 2;
	if ((m = sip2_msg_alloc(spec, (end - fend) / 3 + 2, cap + 1, &fields,
	    &text)) == NULL) {
		err = SIP2_ERR_NOMEM;
		goto fail;
	}
	sip2_msg_load_fixed(m, (const char *)s + 2, fast);
	if (seq != -1)
		sip2_msg_set_seq(m, seq);
	if (fast) {
		memcpy(text, s + fend, end - fend);
		tlen = (ssize_t)(end - fend);
	} else if ((tlen = sip2_to_utf8(cs, (const char *)s + fend, end - fend,
	    text, cap)) == -1) {
		err = SIP2_ERR_CHARSET;
		goto fail;
	}
	text[tlen] = '\0';
	if ((err = parse_fields(m, fields, text, (size_t)tlen, delim, fast)) !=
	    SIP2_OK)
		goto fail;
	if (errp != NULL)
		*errp = SIP2_OK;
	return (m);

 fail:
	sip2_msg_free(m);
	if (errp != NULL)
		*errp = err;
	return (NULL);
}
