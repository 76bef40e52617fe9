/* SPDX-License-Identifier: ISC */
/*
 * A SIP2 message in memory: its fixed fields and its variable fields in
 * wire order, all in one allocation, or two once it has grown.
 */

#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip2.h"

#define MSG_FIXED_MAX	96	/* widest fixed area, a NUL after each field */
#define MSG_FIELDS	16	/* room made by sip2_msg_new() */
#define MSG_TEXT	512

struct sip2_msg {
	const struct sip2_spec	*spec;
	int			 seq;
	struct sip2_field	*fields;
	size_t			 nfields;
	size_t			 fieldcap;
	char			*text;		/* values, NUL-terminated */
	size_t			 used;
	size_t			 textcap;
	size_t			 wirelen;	/* sum of 3 + len */
	void			*ext;		/* fields and text once grown */
	char			 fixed[MSG_FIXED_MAX];
};

/* Ids that specs require, for sip2_msg_missing() to hand out. */
static const char required_ids[][3] = {
	"AA", "AB", "AC", "AD", "AE", "AH", "AJ", "AL", "AO", "AP", "AQ",
	"BV", "BX", "CH", "CN", "CO",
};

/*
 * Copy a fixed field, 1 to 18 bytes: overlapping moves cost less than a
 * call to memcpy() for a size the compiler cannot see.
 */
static inline void
msg_copy(char *d, const char *s, size_t n)
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

static void
msg_blank_fixed(struct sip2_msg *m)
{
	const struct sip2_spec	*spec = m->spec;
	size_t			 i, off = 0;

	for (i = 0; i < spec->nfixed; i++) {
		memset(m->fixed + off, ' ', spec->fixed[i].width);
		off += spec->fixed[i].width;
		m->fixed[off++] = '\0';
	}
}

/* Return the offset of a fixed field in m->fixed, or -1; set *width. */
static int
msg_fixed_off(const struct sip2_spec *spec, enum sip2_fx fx, size_t *width)
{
	size_t	 i, off = 0;

	for (i = 0; i < spec->nfixed; i++) {
		if (spec->fixed[i].fx == fx) {
			*width = spec->fixed[i].width;
			return ((int)off);
		}
		off += spec->fixed[i].width + 1;
	}
	return (-1);
}

static int
msg_id_ok(const char *id)
{
	int	 i;

	if (id == NULL)
		return (0);
	for (i = 0; i < 2; i++) {
		if (!((id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= 'a' && id[i] <= 'z') ||
		    (id[i] >= '0' && id[i] <= '9')))
			return (0);
	}
	if (id[2] != '\0')
		return (0);
	/* The trailer's ids would make the built message unparsable. */
	if (id[0] == 'A' && (id[1] == 'Y' || id[1] == 'Z'))
		return (0);
	return (1);
}

/* Return the length of the valid UTF-8 character at s, or 0. */
static size_t
msg_utf8_len(const unsigned char *s, uint32_t *cp)
{
	uint32_t	 c;
	size_t		 n, i;

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

/*
 * Copy a value as a field may hold it: control characters and '|' dropped,
 * invalid UTF-8 bytes replaced with '?', cut at SIP2_FIELD_MAX bytes on a
 * character boundary.  out has room for SIP2_FIELD_MAX + 1 bytes.
 */
static size_t
msg_clean(const char *value, char *out, int *plain)
{
	const unsigned char	*s = (const unsigned char *)value;
	uint32_t		 cp;
	size_t			 n = 0, k;

	*plain = 1;
	while (*s != '\0') {
		if (*s < 0x80) {
			if (*s >= 0x20 && *s != 0x7f && *s != '|') {
				if (n == SIP2_FIELD_MAX)
					break;
				out[n++] = (char)*s;
			}
			s++;
			continue;
		}
		if ((k = msg_utf8_len(s, &cp)) == 0) {
			if (n == SIP2_FIELD_MAX)
				break;
			out[n++] = '?';
			s++;
			continue;
		}
		if (cp >= 0x80 && cp < 0xa0) {
			s += k;
			continue;
		}
		if (n + k > SIP2_FIELD_MAX)
			break;
		memcpy(out + n, s, k);
		n += k;
		s += k;
		*plain = 0;
	}
	out[n] = '\0';
	return (n);
}

/*
 * Make room for addf more fields and addb more bytes of text, moving fields
 * and live values to a new block; dead values of replaced fields go.
 */
static int
msg_grow(struct sip2_msg *m, size_t addf, size_t addb)
{
	struct sip2_field	*nf;
	char			*nt;
	void			*p;
	size_t			 i, live = 0, fc, tc;

	for (i = 0; i < m->nfields; i++)
		live += m->fields[i].len + 1;
	fc = m->fieldcap;
	if (m->nfields + addf > fc)
		fc = fc * 2 > m->nfields + addf ? fc * 2 : m->nfields + addf;
	if (fc < MSG_FIELDS)
		fc = MSG_FIELDS;
	tc = m->textcap;
	if (live + addb > tc / 2)
		tc = tc * 2 > live + addb ? tc * 2 : live + addb;
	if (tc < MSG_TEXT)
		tc = MSG_TEXT;

	if ((p = malloc(fc * sizeof(*nf) + tc)) == NULL)
		return (-1);
	nf = p;
	nt = (char *)(nf + fc);
	live = 0;
	for (i = 0; i < m->nfields; i++) {
		nf[i] = m->fields[i];
		memcpy(nt + live, m->text + m->fields[i].off,
		    m->fields[i].len + 1);
		nf[i].off = (uint32_t)live;
		live += m->fields[i].len + 1;
	}
	free(m->ext);
	m->ext = p;
	m->fields = nf;
	m->fieldcap = fc;
	m->text = nt;
	m->textcap = tc;
	m->used = live;
	return (0);
}

/* Return 1 when a value of len more bytes keeps any build in bounds. */
static int
msg_fits(const struct sip2_msg *m, size_t len)
{
	return (2 + MSG_FIXED_MAX + m->wirelen + 3 + len + 16 <=
	    SIP2_BUILD_MAX);
}

/* Make a message of a known spec with room for n fields and len bytes. */
struct sip2_msg *
sip2_msg_alloc(const struct sip2_spec *spec, size_t n, size_t len,
    struct sip2_field **fields, char **text)
{
	struct sip2_msg	*m;

	if (spec == NULL)
		return (NULL);
	if ((m = malloc(sizeof(*m) + n * sizeof(struct sip2_field) + len)) ==
	    NULL)
		return (NULL);
	m->spec = spec;
	m->seq = -1;
	m->fields = (struct sip2_field *)(void *)(m + 1);
	m->nfields = 0;
	m->fieldcap = n;
	m->text = (char *)(m->fields + n);
	m->used = 0;
	m->textcap = len;
	m->wirelen = 0;
	m->ext = NULL;
	if (fields != NULL)
		*fields = m->fields;
	if (text != NULL)
		*text = m->text;
	return (m);
}

/* Take the fields a parser wrote straight into the buffers. */
void
sip2_msg_filled(struct sip2_msg *m, size_t n, size_t used, size_t wirelen)
{
	m->nfields = n;
	m->used = used;
	m->wirelen = wirelen;
}

/* Make an empty message of a known code. */
struct sip2_msg *
sip2_msg_new(int code)
{
	struct sip2_msg	*m;

	m = sip2_msg_alloc(sip2_spec_find(code), MSG_FIELDS, MSG_TEXT, NULL,
	    NULL);
	if (m != NULL)
		msg_blank_fixed(m);
	return (m);
}

/* Free a message and every string it handed out. */
void
sip2_msg_free(struct sip2_msg *m)
{
	if (m == NULL)
		return;
	free(m->ext);
	free(m);
}

/* Return a deep copy in one allocation, or NULL on no memory. */
struct sip2_msg *
sip2_msg_dup(const struct sip2_msg *m)
{
	struct sip2_msg	*d;
	size_t		 i, live = 0;

	if (m == NULL)
		return (NULL);
	for (i = 0; i < m->nfields; i++)
		live += m->fields[i].len + 1;
	if ((d = sip2_msg_alloc(m->spec, m->nfields, live, NULL, NULL)) ==
	    NULL)
		return (NULL);
	d->seq = m->seq;
	memcpy(d->fixed, m->fixed, sizeof(d->fixed));
	for (i = 0; i < m->nfields; i++) {
		d->fields[i] = m->fields[i];
		d->fields[i].off = (uint32_t)d->used;
		memcpy(d->text + d->used, m->text + m->fields[i].off,
		    m->fields[i].len + 1);
		d->used += m->fields[i].len + 1;
	}
	d->nfields = m->nfields;
	d->wirelen = m->wirelen;
	return (d);
}

/* Return the message's code. */
int
sip2_msg_code(const struct sip2_msg *m)
{
	return (m->spec->code);
}

/* Return the message's spec, never NULL. */
const struct sip2_spec *
sip2_msg_spec(const struct sip2_msg *m)
{
	return (m->spec);
}

/* Return a fixed field's value, or NULL when the message has none. */
const char *
sip2_msg_fixed(const struct sip2_msg *m, enum sip2_fx fx)
{
	size_t	 width;
	int	 off;

	if ((off = msg_fixed_off(m->spec, fx, &width)) == -1)
		return (NULL);
	return (m->fixed + off);
}

/* Set a fixed field, padded with spaces or cut; -1 if there is none. */
int
sip2_msg_set_fixed(struct sip2_msg *m, enum sip2_fx fx, const char *value)
{
	size_t	 width, i;
	char	*p;
	int	 off;

	if ((off = msg_fixed_off(m->spec, fx, &width)) == -1)
		return (-1);
	p = m->fixed + off;
	for (i = 0; i < width && value != NULL && value[i] != '\0'; i++) {
		/* Fixed fields are positional ASCII; anything else is '?'. */
		if (value[i] >= 0x20 && value[i] < 0x7f)
			p[i] = value[i];
		else
			p[i] = '?';
	}
	memset(p + i, ' ', width - i);
	return (0);
}

/*
 * Set all fixed fields from their wire form, one after another; unless
 * the caller knows them to be printable ASCII, other bytes become '?'.
 */
void
sip2_msg_load_fixed(struct sip2_msg *m, const char *wire, int printable)
{
	const struct sip2_spec	*spec = m->spec;
	const unsigned char	*s = (const unsigned char *)wire;
	char			*p = m->fixed;
	size_t			 i, j, w;

	for (i = 0; i < spec->nfixed; i++) {
		w = spec->fixed[i].width;
		msg_copy(p, (const char *)s, w);
		for (j = 0; !printable && j < w; j++) {
			if (s[j] < 0x20 || s[j] >= 0x7f)
				p[j] = '?';
		}
		p[w] = '\0';
		p += w + 1;
		s += w;
	}
}

/* Write all fixed fields in wire form to out; returns the bytes written. */
size_t
sip2_msg_store_fixed(const struct sip2_msg *m, char *out)
{
	const struct sip2_spec	*spec = m->spec;
	const char		*p = m->fixed;
	size_t			 i, w, n = 0;

	for (i = 0; i < spec->nfixed; i++) {
		w = spec->fixed[i].width;
		msg_copy(out + n, p, w);
		n += w;
		p += w + 1;
	}
	return (n);
}

static ssize_t
msg_find(const struct sip2_msg *m, const char *id)
{
	size_t	 i;

	if (id == NULL || id[0] == '\0')
		return (-1);
	for (i = 0; i < m->nfields; i++) {
		if (m->fields[i].id[0] == id[0] && m->fields[i].id[1] == id[1])
			return ((ssize_t)i);
	}
	return (-1);
}

/* Return the first value of a field id, or NULL. */
const char *
sip2_msg_field(const struct sip2_msg *m, const char *id)
{
	ssize_t	 i;

	if ((i = msg_find(m, id)) == -1)
		return (NULL);
	return (m->text + m->fields[i].off);
}

/* Return how many variable fields there are. */
size_t
sip2_msg_nfields(const struct sip2_msg *m)
{
	return (m->nfields);
}

/* Return field i's value and set *id to its id; NULL past the end. */
const char *
sip2_msg_field_at(const struct sip2_msg *m, size_t i, const char **id)
{
	if (i >= m->nfields) {
		if (id != NULL)
			*id = NULL;
		return (NULL);
	}
	if (id != NULL)
		*id = m->fields[i].id;
	return (m->text + m->fields[i].off);
}

/* Return the fields, set *n to their number and *text to the values. */
const struct sip2_field *
sip2_msg_fieldv(const struct sip2_msg *m, size_t *n, const char **text)
{
	*n = m->nfields;
	*text = m->text;
	return (m->fields);
}

/* Append a field whose value is already in the text buffer at off. */
static void
msg_push(struct sip2_msg *m, const char *id, size_t off, size_t len,
    int plain)
{
	struct sip2_field	*f = &m->fields[m->nfields++];

	f->off = (uint32_t)off;
	f->len = (uint16_t)len;
	f->id[0] = id[0];
	f->id[1] = id[1];
	f->id[2] = '\0';
	f->plain = (uint8_t)plain;
	m->wirelen += 3 + len;
	m->used = off + len + 1;
}

/*
 * Append a field, its value cleaned and cut.  Returns -1 on no memory, on
 * an id that is not two letters or digits or is a trailer id (AY, AZ), and
 * when the message would grow past what SIP2_BUILD_MAX can hold.
 */
int
sip2_msg_add_field(struct sip2_msg *m, const char *id, const char *value)
{
	char	 buf[SIP2_FIELD_MAX + 1];
	size_t	 n;
	int	 plain;

	if (!msg_id_ok(id)) {
		errno = EINVAL;
		return (-1);
	}
	n = msg_clean(value != NULL ? value : "", buf, &plain);
	if (!msg_fits(m, n)) {
		errno = E2BIG;
		return (-1);
	}
	if ((m->nfields == m->fieldcap || m->used + n + 1 > m->textcap) &&
	    msg_grow(m, 1, n + 1) == -1)
		return (-1);
	memcpy(m->text + m->used, buf, n + 1);
	msg_push(m, id, m->used, n, plain);
	return (0);
}

/* Replace the first field with this id, or append one. */
int
sip2_msg_set_field(struct sip2_msg *m, const char *id, const char *value)
{
	struct sip2_field	*f;
	char			 buf[SIP2_FIELD_MAX + 1];
	ssize_t			 i;
	size_t			 n;
	int			 plain;

	if ((i = msg_find(m, id)) == -1)
		return (sip2_msg_add_field(m, id, value));
	n = msg_clean(value != NULL ? value : "", buf, &plain);
	if (n > m->fields[i].len && !msg_fits(m, n - m->fields[i].len)) {
		errno = E2BIG;
		return (-1);
	}
	if (m->used + n + 1 > m->textcap && msg_grow(m, 0, n + 1) == -1)
		return (-1);
	f = &m->fields[i];
	memcpy(m->text + m->used, buf, n + 1);
	m->wirelen = m->wirelen - f->len + n;
	f->off = (uint32_t)m->used;
	f->len = (uint16_t)n;
	f->plain = (uint8_t)plain;
	m->used += n + 1;
	return (0);
}

/* Remove every field with this id; returns how many went. */
int
sip2_msg_del_field(struct sip2_msg *m, const char *id)
{
	size_t	 i, j;
	int	 gone = 0;

	if (id == NULL || id[0] == '\0')
		return (0);
	for (i = j = 0; i < m->nfields; i++) {
		if (m->fields[i].id[0] == id[0] &&
		    m->fields[i].id[1] == id[1]) {
			m->wirelen -= 3 + m->fields[i].len;
			gone++;
			continue;
		}
		m->fields[j++] = m->fields[i];
	}
	m->nfields = j;
	return (gone);
}

/* Return the sequence number 0-9, or -1 when the message had none. */
int
sip2_msg_seq(const struct sip2_msg *m)
{
	return (m->seq);
}

/* Set the sequence number; a negative one means none. */
void
sip2_msg_set_seq(struct sip2_msg *m, int seq)
{
	m->seq = seq < 0 ? -1 : seq % 10;
}

/* Return the id of the first required field missing, or NULL. */
const char *
sip2_msg_missing(const struct sip2_msg *m)
{
	const char	*r;
	size_t		 i;

	for (r = m->spec->required; r[0] != '\0' && r[1] != '\0'; r += 2) {
		if (msg_find(m, r) != -1)
			continue;
		for (i = 0; i < sizeof(required_ids) / 3; i++) {
			if (required_ids[i][0] == r[0] &&
			    required_ids[i][1] == r[1])
				return (required_ids[i]);
		}
		return ("??");
	}
	return (NULL);
}
