/* SPDX-License-Identifier: ISC */
/*
 * Character sets on the wire: UTF-8, ASCII with diacritics folded, IBM code
 * page 850 and ISO-8859-1, to and from the UTF-8 that messages hold.
 */

#include "config.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "sip2.h"

#define HIGH_BITS	0x8080808080808080ULL

/* Code page 850, bytes 0x80 to 0xff, as Unicode. */
static const uint16_t cp850_ucs[128] = {
	0x00c7, 0x00fc, 0x00e9, 0x00e2, 0x00e4, 0x00e0, 0x00e5, 0x00e7,
	0x00ea, 0x00eb, 0x00e8, 0x00ef, 0x00ee, 0x00ec, 0x00c4, 0x00c5,
	0x00c9, 0x00e6, 0x00c6, 0x00f4, 0x00f6, 0x00f2, 0x00fb, 0x00f9,
	0x00ff, 0x00d6, 0x00dc, 0x00f8, 0x00a3, 0x00d8, 0x00d7, 0x0192,
	0x00e1, 0x00ed, 0x00f3, 0x00fa, 0x00f1, 0x00d1, 0x00aa, 0x00ba,
	0x00bf, 0x00ae, 0x00ac, 0x00bd, 0x00bc, 0x00a1, 0x00ab, 0x00bb,
	0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x00c1, 0x00c2, 0x00c0,
	0x00a9, 0x2563, 0x2551, 0x2557, 0x255d, 0x00a2, 0x00a5, 0x2510,
	0x2514, 0x2534, 0x252c, 0x251c, 0x2500, 0x253c, 0x00e3, 0x00c3,
	0x255a, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256c, 0x00a4,
	0x00f0, 0x00d0, 0x00ca, 0x00cb, 0x00c8, 0x0131, 0x00cd, 0x00ce,
	0x00cf, 0x2518, 0x250c, 0x2588, 0x2584, 0x00a6, 0x00cc, 0x2580,
	0x00d3, 0x00df, 0x00d4, 0x00d2, 0x00f5, 0x00d5, 0x00b5, 0x00fe,
	0x00de, 0x00da, 0x00db, 0x00d9, 0x00fd, 0x00dd, 0x00af, 0x00b4,
	0x00ad, 0x00b1, 0x2017, 0x00be, 0x00b6, 0x00a7, 0x00f7, 0x00b8,
	0x00b0, 0x00a8, 0x00b7, 0x00b9, 0x00b3, 0x00b2, 0x25a0, 0x00a0,
};

/* U+00A0 to U+00FF, all of which code page 850 holds, as its bytes. */
static const unsigned char latin1_cp850[96] = {
	0xff, 0xad, 0xbd, 0x9c, 0xcf, 0xbe, 0xdd, 0xf5,
	0xf9, 0xb8, 0xa6, 0xae, 0xaa, 0xf0, 0xa9, 0xee,
	0xf8, 0xf1, 0xfd, 0xfc, 0xef, 0xe6, 0xf4, 0xfa,
	0xf7, 0xfb, 0xa7, 0xaf, 0xac, 0xab, 0xf3, 0xa8,
	0xb7, 0xb5, 0xb6, 0xc7, 0x8e, 0x8f, 0x92, 0x80,
	0xd4, 0x90, 0xd2, 0xd3, 0xde, 0xd6, 0xd7, 0xd8,
	0xd1, 0xa5, 0xe3, 0xe0, 0xe2, 0xe5, 0x99, 0x9e,
	0x9d, 0xeb, 0xe9, 0xea, 0x9a, 0xed, 0xe8, 0xe1,
	0x85, 0xa0, 0x83, 0xc6, 0x84, 0x86, 0x91, 0x87,
	0x8a, 0x82, 0x88, 0x89, 0x8d, 0xa1, 0x8c, 0x8b,
	0xd0, 0xa4, 0x95, 0xa2, 0x93, 0xe4, 0x94, 0xf6,
	0x9b, 0x97, 0xa3, 0x96, 0x81, 0xec, 0xe7, 0x98,
};

/*
 * ASCII for U+00A0 to U+017F: the base letter without its marks, never
 * longer than the character's UTF-8 form, so folding cannot grow a value.
 */
static const char fold_latin[0x180 - 0xa0][3] = {
	" ", "!", "c", "?", "?", "Y", "?", "S",		/* 00A0 */
	"\"", "C", "a", "<<", "-", "", "R", "-",	/* 00A8 */
	"o", "+-", "2", "3", "'", "u", "P", ".",	/* 00B0 */
	",", "1", "o", ">>", "?", "?", "?", "?",	/* 00B8 */
	"A", "A", "A", "A", "A", "A", "AE", "C",	/* 00C0 */
	"E", "E", "E", "E", "I", "I", "I", "I",		/* 00C8 */
	"D", "N", "O", "O", "O", "O", "O", "x",		/* 00D0 */
	"O", "U", "U", "U", "U", "Y", "TH", "ss",	/* 00D8 */
	"a", "a", "a", "a", "a", "a", "ae", "c",	/* 00E0 */
	"e", "e", "e", "e", "i", "i", "i", "i",		/* 00E8 */
	"d", "n", "o", "o", "o", "o", "o", "/",		/* 00F0 */
	"o", "u", "u", "u", "u", "y", "th", "y",	/* 00F8 */
	"A", "a", "A", "a", "A", "a", "C", "c",		/* 0100 */
	"C", "c", "C", "c", "C", "c", "D", "d",		/* 0108 */
	"D", "d", "E", "e", "E", "e", "E", "e",		/* 0110 */
	"E", "e", "E", "e", "G", "g", "G", "g",		/* 0118 */
	"G", "g", "G", "g", "H", "h", "H", "h",		/* 0120 */
	"I", "i", "I", "i", "I", "i", "I", "i",		/* 0128 */
	"I", "i", "IJ", "ij", "J", "j", "K", "k",	/* 0130 */
	"k", "L", "l", "L", "l", "L", "l", "L",		/* 0138 */
	"l", "L", "l", "N", "n", "N", "n", "N",		/* 0140 */
	"n", "'n", "N", "n", "O", "o", "O", "o",	/* 0148 */
	"O", "o", "OE", "oe", "R", "r", "R", "r",	/* 0150 */
	"R", "r", "S", "s", "S", "s", "S", "s",		/* 0158 */
	"S", "s", "T", "t", "T", "t", "T", "t",		/* 0160 */
	"U", "u", "U", "u", "U", "u", "U", "u",		/* 0168 */
	"U", "u", "U", "u", "W", "w", "Y", "y",		/* 0170 */
	"Y", "Z", "z", "Z", "z", "Z", "z", "s",		/* 0178 */
};

static const struct {
	const char		*name;
	enum sip2_charset	 cs;
} charset_names[] = {
	{ "utf-8", SIP2_CS_UTF8 },
	{ "utf8", SIP2_CS_UTF8 },
	{ "ascii", SIP2_CS_ASCII },
	{ "us-ascii", SIP2_CS_ASCII },
	{ "cp850", SIP2_CS_CP850 },
	{ "ibm850", SIP2_CS_CP850 },
	{ "iso-8859-1", SIP2_CS_LATIN1 },
	{ "iso8859-1", SIP2_CS_LATIN1 },
	{ "latin1", SIP2_CS_LATIN1 },
	{ "latin-1", SIP2_CS_LATIN1 },
};

/* Set *cs from a charset's name, case ignored; -1 if unknown. */
int
sip2_charset_from_name(const char *name, enum sip2_charset *cs)
{
	size_t	 i;

	if (name == NULL)
		return (-1);
	for (i = 0; i < sizeof(charset_names) / sizeof(charset_names[0]);
	    i++) {
		if (strcasecmp(name, charset_names[i].name) == 0) {
			*cs = charset_names[i].cs;
			return (0);
		}
	}
	return (-1);
}

/* Return a charset's canonical name. */
const char *
sip2_charset_name(enum sip2_charset cs)
{
	switch (cs) {
	case SIP2_CS_UTF8:
		return ("utf-8");
	case SIP2_CS_ASCII:
		return ("ascii");
	case SIP2_CS_CP850:
		return ("cp850");
	case SIP2_CS_LATIN1:
		return ("iso-8859-1");
	}
	return ("unknown");
}

/* Return 1 if no byte has its high bit set. */
static int
charset_is_ascii(const unsigned char *s, size_t len)
{
	uint64_t	 w, acc = 0;
	size_t		 i = 0;

	for (; len - i >= 8; i += 8) {
		memcpy(&w, s + i, sizeof(w));
		acc |= w;
	}
	for (; i < len; i++)
		acc |= s[i];
	return ((acc & HIGH_BITS) == 0);
}

/* Decode the UTF-8 character at s; return its length, or 0 if invalid. */
static size_t
charset_utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t	 c;
	size_t		 n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return (1);
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else
		return (0);
	if (n > len)
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return (0);
	*cp = c;
	return (n);
}

/* Write c, below U+10000, as UTF-8; return its length, or 0 if no room. */
static size_t
charset_utf8_put(uint32_t c, char *out, size_t room)
{
	if (c < 0x80) {
		if (room < 1)
			return (0);
		out[0] = (char)c;
		return (1);
	}
	if (c < 0x800) {
		if (room < 2)
			return (0);
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return (2);
	}
	if (room >= 3) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return (3);
	}
	return (0);
}

/*
 * Return the ASCII that stands for a character no wire charset holds, ""
 * to drop it (C1 controls, combining marks, invisible ones), or NULL.
 */
static const char *
charset_fold(uint32_t c)
{
	if (c >= 0xa0 && c < 0x180)
		return (fold_latin[c - 0xa0]);
	if ((c >= 0x80 && c < 0xa0) || (c >= 0x300 && c < 0x370))
		return ("");
	if (c >= 0x2000 && c <= 0x200a)
		return (" ");
	if (c >= 0x2010 && c <= 0x2015)
		return ("-");
	switch (c) {
	case 0x200b:
	case 0x200c:
	case 0x200d:
	case 0x2060:
	case 0xfeff:
		return ("");
	case 0x2018:
	case 0x2019:
	case 0x201a:
	case 0x201b:
	case 0x2032:
		return ("'");
	case 0x201c:
	case 0x201d:
	case 0x201e:
	case 0x201f:
	case 0x2033:
		return ("\"");
	case 0x2022:
		return ("*");
	case 0x2026:
		return ("...");
	case 0x2039:
		return ("<");
	case 0x203a:
		return (">");
	case 0x20ac:
		return ("EUR");
	case 0x2122:
		return ("TM");
	}
	return (NULL);
}

/* Return the code page 850 byte for c, or 0 when it has none. */
static unsigned char
charset_cp850_byte(uint32_t c)
{
	int	 i;

	if (c >= 0xa0 && c <= 0xff)
		return (latin1_cp850[c - 0xa0]);
	if (c < 0x100)
		return (0);
	for (i = 0; i < 128; i++) {
		if (cp850_ucs[i] == c)
			return ((unsigned char)(0x80 + i));
	}
	return (0);
}

/*
 * Convert wire bytes to UTF-8.  Bytes that are not valid in the charset
 * (any high byte in ASCII, a malformed sequence in UTF-8) fail the call.
 * Returns the output length, or -1; adds a NUL when there is room.
 */
ssize_t
sip2_to_utf8(enum sip2_charset cs, const char *in, size_t len, char *out,
    size_t outsz)
{
	const unsigned char	*s = (const unsigned char *)in;
	uint32_t		 c;
	size_t			 i, o = 0, k, n;

	if (charset_is_ascii(s, len)) {
		if (len > outsz)
			return (-1);
		memcpy(out, in, len);
		o = len;
		goto done;
	}
	for (i = 0; i < len; i += k) {
		k = 1;
		switch (cs) {
		case SIP2_CS_UTF8:
			if ((k = charset_utf8_next(s + i, len - i, &c)) == 0 ||
			    outsz - o < k)
				return (-1);
			memcpy(out + o, s + i, k);
			o += k;
			continue;
		case SIP2_CS_ASCII:
			if (s[i] >= 0x80)
				return (-1);
			c = s[i];
			break;
		case SIP2_CS_LATIN1:
			c = s[i];
			break;
		case SIP2_CS_CP850:
			c = s[i] < 0x80 ? s[i] : cp850_ucs[s[i] - 0x80];
			break;
		default:
			return (-1);
		}
		if ((n = charset_utf8_put(c, out + o, outsz - o)) == 0)
			return (-1);
		o += n;
	}
 done:
	if (o < outsz)
		out[o] = '\0';
	return ((ssize_t)o);
}

/* Write the wire form of one character c for charset cs; -1 if no room. */
static ssize_t
charset_encode(enum sip2_charset cs, uint32_t c, const unsigned char *src,
    size_t srclen, char *out, size_t room)
{
	const char	*f;
	unsigned char	 b = 0;
	size_t		 n;

	switch (cs) {
	case SIP2_CS_UTF8:
		if (room < srclen)
			return (-1);
		memcpy(out, src, srclen);
		return ((ssize_t)srclen);
	case SIP2_CS_LATIN1:
		if (c <= 0xff)
			b = (unsigned char)c;
		break;
	case SIP2_CS_CP850:
		b = charset_cp850_byte(c);
		break;
	case SIP2_CS_ASCII:
		break;
	}
	if (b != 0) {
		if (room < 1)
			return (-1);
		out[0] = (char)b;
		return (1);
	}
	if ((f = charset_fold(c)) == NULL)
		f = "?";
	if ((n = strlen(f)) > room)
		return (-1);
	memcpy(out, f, n);
	return ((ssize_t)n);
}

/*
 * Convert UTF-8 to wire bytes, folding to ASCII or replacing with '?' what
 * the charset cannot hold; an invalid byte becomes '?'.  The output is never
 * longer than the input.  Returns its length, or -1 when out is too small.
 */
ssize_t
sip2_from_utf8(enum sip2_charset cs, const char *in, size_t len, char *out,
    size_t outsz)
{
	const unsigned char	*s = (const unsigned char *)in;
	uint32_t		 c;
	ssize_t			 n;
	size_t			 i = 0, o = 0, k;

	if (charset_is_ascii(s, len)) {
		if (len > outsz)
			return (-1);
		memcpy(out, in, len);
		return ((ssize_t)len);
	}
	while (i < len) {
		if (s[i] < 0x80) {
			if (o == outsz)
				return (-1);
			out[o++] = (char)s[i++];
			continue;
		}
		if ((k = charset_utf8_next(s + i, len - i, &c)) == 0) {
			if (o == outsz)
				return (-1);
			out[o++] = '?';
			i++;
			continue;
		}
		if ((n = charset_encode(cs, c, s + i, k, out + o,
		    outsz - o)) == -1)
			return (-1);
		o += (size_t)n;
		i += k;
	}
	return ((ssize_t)o);
}
