/* SPDX-License-Identifier: ISC */
/*
 * Log-safe renderings of SIP2 messages: secrets become ********, patron
 * ids are masked, personal data is dropped, control bytes are escaped.
 */

#include "config.h"

#include <string.h>

#include "sip2.h"

#define SECRET_TEXT	"********"
#define MASK_KEEP	4	/* characters of a patron id left readable */

enum redact_class {
	RED_KEEP,
	RED_SECRET,	/* passwords and PINs */
	RED_MASK,	/* patron ids */
	RED_DROP,	/* names, addresses, e-mail, phone, birth date */
};

/* A bounded output buffer that always has room left for its NUL. */
struct redact_out {
	char	*buf;
	size_t	 size;
	size_t	 len;
};

static void
redact_put(struct redact_out *o, const char *s, size_t n)
{
	if (o->size == 0 || o->len >= o->size - 1)
		return;
	if (n > o->size - 1 - o->len)
		n = o->size - 1 - o->len;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void
redact_str(struct redact_out *o, const char *s)
{
	redact_put(o, s, strlen(s));
}

static void
redact_stars(struct redact_out *o, size_t n)
{
	while (n-- > 0)
		redact_put(o, "*", 1);
}

/* Write raw bytes with controls, high bytes and backslashes escaped. */
static void
redact_escaped(struct redact_out *o, const char *data, size_t n)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*s = (const unsigned char *)data;
	char			 e[4];
	size_t			 i, run;

	for (i = 0; i < n; i += run) {
		for (run = 0; i + run < n && s[i + run] >= 0x20 &&
		    s[i + run] < 0x7f && s[i + run] != '\\'; run++)
			;
		if (run > 0) {
			redact_put(o, data + i, run);
			continue;
		}
		run = 1;
		if (s[i] == '\\')
			redact_str(o, "\\\\");
		else if (s[i] == '\r')
			redact_str(o, "\\r");
		else if (s[i] == '\n')
			redact_str(o, "\\n");
		else {
			e[0] = '\\';
			e[1] = 'x';
			e[2] = hex[s[i] >> 4];
			e[3] = hex[s[i] & 0xf];
			redact_put(o, e, 4);
		}
	}
}

static enum redact_class
redact_class(const char *id)
{
	static const struct {
		char			 id[3];
		enum redact_class	 cls;
	} ids[] = {
		{ "AC", RED_SECRET }, { "AD", RED_SECRET },
		{ "CN", RED_SECRET }, { "CO", RED_SECRET },
		{ "AA", RED_MASK }, { "CY", RED_MASK },
		{ "AE", RED_DROP }, { "BD", RED_DROP }, { "BE", RED_DROP },
		{ "BF", RED_DROP }, { "PB", RED_DROP }, { "DA", RED_DROP },
	};
	size_t	 i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		if (ids[i].id[0] == id[0] && ids[i].id[1] == id[1])
			return (ids[i].cls);
	}
	return (RED_KEEP);
}

/* How many of n characters of a patron id stay readable. */
static size_t
redact_keep(size_t n)
{
	/* Four at most, and never fewer than four masked. */
	if (n <= MASK_KEEP)
		return (0);
	return (n - MASK_KEEP < MASK_KEEP ? n - MASK_KEEP : MASK_KEEP);
}

/* Write a masked UTF-8 value: the first characters, then one '*' each. */
static void
redact_mask_utf8(struct redact_out *o, const char *v, size_t len)
{
	size_t	 i, chars = 0, keep, b = 0;

	for (i = 0; i < len; i++) {
		if (((unsigned char)v[i] & 0xc0) != 0x80)
			chars++;
	}
	keep = redact_keep(chars);
	for (i = 0; i < keep; i++) {
		b++;
		while (b < len && ((unsigned char)v[b] & 0xc0) == 0x80)
			b++;
	}
	redact_put(o, v, b);
	redact_stars(o, chars - keep);
}

/* Mask a patron id as the logs show it; see sip2.h. */
size_t
sip2_redact_id(const char *id, char *out, size_t outsz)
{
	struct redact_out	 o = { out, outsz, 0 };

	if (outsz == 0)
		return (0);
	redact_mask_utf8(&o, id, strlen(id));
	out[o.len] = '\0';
	return (o.len);
}

static int
redact_alnum(unsigned char c)
{
	return ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z'));
}

/* Write one field of raw bytes, id first, redacted by its class. */
static void
redact_raw_field(struct redact_out *o, const char *s, size_t n,
    enum redact_class cls)
{
	size_t	 keep;

	switch (cls) {
	case RED_KEEP:
		redact_escaped(o, s, n);
		break;
	case RED_SECRET:
		redact_put(o, s, 2);
		redact_str(o, SECRET_TEXT);
		break;
	case RED_MASK:
		keep = redact_keep(n - 2);
		redact_put(o, s, 2);
		redact_escaped(o, s + 2, keep);
		redact_stars(o, n - 2 - keep);
		break;
	case RED_DROP:
		break;
	}
}

/*
 * Write one delimited segment of raw bytes.  A sensitive id at its start
 * is a field to redact.  One further inside is what a terminal using a
 * different delimiter sends: it counts after any byte that is not a letter,
 * digit or space, or anywhere when the message made no sense at all; the
 * rest of the segment is then treated as that field.  Returns 0 when the
 * whole segment was dropped.
 */
static int
redact_segment(struct redact_out *o, const char *s, size_t n, int sane)
{
	enum redact_class	 cls;
	size_t			 i;

	if (n >= 2 && (cls = redact_class(s)) != RED_KEEP) {
		redact_raw_field(o, s, n, cls);
		return (cls != RED_DROP);
	}
	for (i = 1; i + 2 <= n; i++) {
		if (sane && (redact_alnum((unsigned char)s[i - 1]) ||
		    s[i - 1] == ' '))
			continue;
		if ((cls = redact_class(s + i)) == RED_KEEP)
			continue;
		redact_escaped(o, s, i);
		redact_raw_field(o, s + i, n - i, cls);
		return (1);
	}
	redact_escaped(o, s, n);
	return (1);
}

/*
 * Write a log-safe rendering of wire bytes, best effort on bytes that are
 * not a message.  Always NUL-terminates; returns the length written.
 */
size_t
sip2_redact(const char *data, size_t len, char delim, char *out,
    size_t outsz)
{
	struct redact_out	 o = { out, outsz, 0 };
	const struct sip2_spec	*spec = NULL;
	const char		*q;
	size_t			 pos = 0, e, i, fend = 0;
	int			 sane = 0;

	if (outsz == 0)
		return (0);
	if (delim < 0x21 || delim > 0x7e || redact_alnum((unsigned char)delim))
		delim = '|';
	while (pos < len && (data[pos] == '\r' || data[pos] == '\n'))
		pos++;
	if (len - pos >= 2 && data[pos] >= '0' && data[pos] <= '9' &&
	    data[pos + 1] >= '0' && data[pos + 1] <= '9')
		spec = sip2_spec_find((data[pos] - '0') * 10 +
		    data[pos + 1] - '0');
	if (spec != NULL) {
		for (fend = pos + 2, i = 0; i < spec->nfixed; i++)
			fend += spec->fixed[i].width;
		sane = fend <= len;
	}
	if (sane) {
		/* Code and fixed fields go as they are, escaped. */
		redact_escaped(&o, data, fend);
		pos = fend;
	} else {
		redact_escaped(&o, data, pos);
	}

	while (pos < len) {
		q = memchr(data + pos, delim, len - pos);
		e = q != NULL ? (size_t)(q - data) : len;
		if (redact_segment(&o, data + pos, e - pos, sane) && e < len)
			redact_escaped(&o, &delim, 1);
		pos = e + 1;
	}
	out[o.len] = '\0';
	return (o.len);
}

/* The same for a parsed message, rendered as wire text without AZ. */
size_t
sip2_msg_redact(const struct sip2_msg *m, char *out, size_t outsz)
{
	struct redact_out	 o = { out, outsz, 0 };
	const struct sip2_spec	*spec = sip2_msg_spec(m);
	const char		*id, *v;
	char			 code[3];
	size_t			 i, n;

	if (outsz == 0)
		return (0);
	code[0] = (char)('0' + spec->code / 10);
	code[1] = (char)('0' + spec->code % 10);
	code[2] = '\0';
	redact_str(&o, code);
	for (i = 0; i < spec->nfixed; i++)
		redact_str(&o, sip2_msg_fixed(m, spec->fixed[i].fx));
	n = sip2_msg_nfields(m);
	for (i = 0; i < n; i++) {
		v = sip2_msg_field_at(m, i, &id);
		switch (redact_class(id)) {
		case RED_KEEP:
			redact_str(&o, id);
			redact_str(&o, v);
			break;
		case RED_SECRET:
			redact_str(&o, id);
			redact_str(&o, SECRET_TEXT);
			break;
		case RED_MASK:
			redact_str(&o, id);
			redact_mask_utf8(&o, v, strlen(v));
			break;
		case RED_DROP:
			continue;
		}
		redact_str(&o, "|");
	}
	if (sip2_msg_seq(m) >= 0) {
		code[0] = (char)('0' + sip2_msg_seq(m));
		code[1] = '\0';
		redact_str(&o, "AY");
		redact_str(&o, code);
	}
	out[o.len] = '\0';
	return (o.len);
}

/*
 * Write a description for people: "code name", then a line per fixed field
 * and per variable field.  Redacted unless raw is 1.
 */
size_t
sip2_msg_describe(const struct sip2_msg *m, char *out, size_t outsz, int raw)
{
	struct redact_out	 o = { out, outsz, 0 };
	const struct sip2_spec	*spec = sip2_msg_spec(m);
	const char		*id, *v, *name;
	char			 num[3];
	size_t			 i, n;

	if (outsz == 0)
		return (0);
	num[0] = (char)('0' + spec->code / 10);
	num[1] = (char)('0' + spec->code % 10);
	num[2] = '\0';
	redact_str(&o, num);
	redact_str(&o, " ");
	redact_str(&o, spec->name);
	redact_str(&o, "\n");
	for (i = 0; i < spec->nfixed; i++) {
		redact_str(&o, "  ");
		redact_str(&o, sip2_fx_name(spec->fixed[i].fx));
		redact_str(&o, ": ");
		redact_str(&o, sip2_msg_fixed(m, spec->fixed[i].fx));
		redact_str(&o, "\n");
	}
	n = sip2_msg_nfields(m);
	for (i = 0; i < n; i++) {
		v = sip2_msg_field_at(m, i, &id);
		if ((name = sip2_field_name(id)) == NULL)
			name = "unknown field";
		redact_str(&o, "  ");
		redact_str(&o, id);
		redact_str(&o, " ");
		redact_str(&o, name);
		redact_str(&o, ": ");
		switch (raw == 1 ? RED_KEEP : redact_class(id)) {
		case RED_KEEP:
			redact_str(&o, v);
			break;
		case RED_MASK:
			redact_mask_utf8(&o, v, strlen(v));
			break;
		case RED_SECRET:
		case RED_DROP:
			redact_str(&o, SECRET_TEXT);
			break;
		}
		redact_str(&o, "\n");
	}
	if (sip2_msg_seq(m) >= 0) {
		num[0] = (char)('0' + sip2_msg_seq(m));
		num[1] = '\0';
		redact_str(&o, "  sequence: ");
		redact_str(&o, num);
		redact_str(&o, "\n");
	}
	out[o.len] = '\0';
	return (o.len);
}
