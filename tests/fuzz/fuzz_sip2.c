/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer harness for the SIP2 codec: frames the input, parses each
 * message under several wire settings, builds it back, parses that again,
 * and aborts when an invariant of the codec breaks.
 */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sip2.h"

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "%s:%d: invariant broken: %s\n",	\
		    __FILE__, __LINE__, #x);				\
		abort();						\
	}								\
} while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct sip2_wire wires[] = {
	{ SIP2_CS_UTF8, SIP2_TERM_CR, '|', 1 },
	{ SIP2_CS_CP850, SIP2_TERM_CRLF, '^', 1 },
	{ SIP2_CS_LATIN1, SIP2_TERM_LF, '|', 0 },
	{ SIP2_CS_ASCII, SIP2_TERM_CR, '~', 1 },
};

#define NWIRES	(sizeof(wires) / sizeof(wires[0]))

static char	 out[SIP2_BUILD_MAX];
static char	 out2[SIP2_BUILD_MAX];
static char	 text[4 * SIP2_BUILD_MAX];

static size_t
term_len(const struct sip2_wire *w)
{
	return (w->term == SIP2_TERM_CRLF ? 2 : 1);
}

/* A rendering for logs is terminated, fits, and is printable. */
static void
check_text(size_t n, int lines)
{
	size_t	 i;

	CHECK(n < sizeof(text));
	CHECK(text[n] == '\0');
	CHECK(strlen(text) == n);
	for (i = 0; i < n; i++)
		CHECK((unsigned char)text[i] >= 0x20 || (lines &&
		    text[i] == '\n'));
}

/* What a parsed message holds is always fit to build. */
static void
check_msg(const struct sip2_msg *m, char delim)
{
	const struct sip2_spec	*spec = sip2_msg_spec(m);
	const unsigned char	*v;
	const char		*id, *f;
	size_t			 i, j, len;

	for (i = 0; i < spec->nfixed; i++) {
		f = sip2_msg_fixed(m, spec->fixed[i].fx);
		CHECK(f != NULL);
		CHECK(strlen(f) == spec->fixed[i].width);
		for (j = 0; f[j] != '\0'; j++)
			CHECK(f[j] >= 0x20 && f[j] < 0x7f);
	}
	for (i = 0; i < sip2_msg_nfields(m); i++) {
		v = (const unsigned char *)sip2_msg_field_at(m, i, &id);
		CHECK(v != NULL && id != NULL && strlen(id) == 2);
		CHECK(!(id[0] == 'A' && (id[1] == 'Y' || id[1] == 'Z')));
		len = strlen((const char *)v);
		CHECK(len <= SIP2_FIELD_MAX);
		for (j = 0; j < len; j++) {
			CHECK(v[j] >= 0x20 && v[j] != 0x7f);
			CHECK(v[j] != (unsigned char)delim);
		}
	}
	CHECK(sip2_msg_seq(m) >= -1 && sip2_msg_seq(m) <= 9);
}

/* Return 1 if a and b hold the same code, fields and values. */
static int
same_content(const struct sip2_msg *a, const struct sip2_msg *b)
{
	const struct sip2_spec	*spec = sip2_msg_spec(a);
	const char		*ida, *idb, *va, *vb;
	size_t			 i;

	if (sip2_msg_code(a) != sip2_msg_code(b) ||
	    sip2_msg_nfields(a) != sip2_msg_nfields(b))
		return (0);
	for (i = 0; i < spec->nfixed; i++) {
		if (strcmp(sip2_msg_fixed(a, spec->fixed[i].fx),
		    sip2_msg_fixed(b, spec->fixed[i].fx)) != 0)
			return (0);
	}
	for (i = 0; i < sip2_msg_nfields(a); i++) {
		va = sip2_msg_field_at(a, i, &ida);
		vb = sip2_msg_field_at(b, i, &idb);
		if (strcmp(ida, idb) != 0 || strcmp(va, vb) != 0)
			return (0);
	}
	return (1);
}

/* The sequence a message built with w and parsed again must have. */
static int
built_seq(const struct sip2_msg *m, const struct sip2_wire *w)
{
	int	 code = sip2_msg_code(m);

	if (!w->checksums)
		return (-1);
	if (sip2_msg_seq(m) >= 0)
		return (sip2_msg_seq(m));
	return (code == SIP2_RESEND || code == SIP2_REQUEST_RESEND ? -1 : 0);
}

/* Build m with w; the result must be exactly one message that parses. */
static struct sip2_msg *
check_build(const struct sip2_msg *m, const struct sip2_wire *w, char *buf,
    ssize_t *np)
{
	struct sip2_framer	 fr = { 0, 0 };
	struct sip2_msg		*back;
	enum sip2_err		 err;
	size_t			 off, mlen, used;
	ssize_t			 n;

	n = sip2_build(m, w, buf, SIP2_BUILD_MAX);
	CHECK(n > 0);
	CHECK(sip2_frame(&fr, buf, (size_t)n, &off, &mlen, &used) ==
	    SIP2_FRAME_MSG);
	CHECK(off == 0 && mlen == (size_t)n - term_len(w) &&
	    used == (size_t)n);
	if (w->checksums)
		CHECK(sip2_checksum_verify(buf, mlen) == 1);
	back = sip2_parse(buf, mlen, w, &err);
	if (back == NULL)
		fprintf(stderr, "rebuilt message: %s\n", sip2_strerror(err));
	CHECK(back != NULL);
	check_msg(back, w->delim);
	*np = n;
	return (back);
}

static void
check_reply(const struct sip2_msg *m)
{
	struct sip2_msg	*r, *back;
	ssize_t		 n;

	if ((r = sip2_reply_error(m, "Refused", 1700000000)) == NULL) {
		CHECK(sip2_msg_spec(m)->response == 0);
		return;
	}
	CHECK(sip2_msg_code(r) == sip2_msg_spec(m)->response);
	CHECK(sip2_msg_missing(r) == NULL);
	CHECK(sip2_msg_seq(r) == sip2_msg_seq(m));
	back = check_build(r, &wires[0], out2, &n);
	CHECK(same_content(r, back));
	sip2_msg_free(back);
	sip2_msg_free(r);
}

static void
check_one(const char *msg, size_t len, const struct sip2_wire *w)
{
	struct sip2_msg	*m, *m2, *m3, *d;
	enum sip2_err	 err = SIP2_OK;
	ssize_t		 n, n2;
	size_t		 i;

	check_text(sip2_redact(msg, len, w->delim, text, sizeof(text)), 0);
	if ((m = sip2_parse(msg, len, w, &err)) == NULL) {
		CHECK(err > SIP2_OK && err <= SIP2_ERR_NOMEM);
		return;
	}
	CHECK(err == SIP2_OK);
	check_msg(m, w->delim);
	check_text(sip2_msg_redact(m, text, sizeof(text)), 0);
	check_text(sip2_msg_describe(m, text, sizeof(text), 0), 1);
	check_text(sip2_msg_describe(m, text, sizeof(text), 1), 1);

	/* Parse, build, parse: the same message, the same bytes. */
	m2 = check_build(m, w, out, &n);
	CHECK(same_content(m, m2));
	CHECK(sip2_msg_seq(m2) == built_seq(m, w));
	n2 = sip2_build(m2, w, out2, sizeof(out2));
	CHECK(n2 == n && memcmp(out, out2, (size_t)n) == 0);
	sip2_msg_free(m2);

	d = sip2_msg_dup(m);
	CHECK(d != NULL && same_content(m, d));
	CHECK(sip2_msg_seq(d) == sip2_msg_seq(m));
	sip2_msg_free(d);

	/* Into every other wire setting: still one message that parses. */
	for (i = 0; i < NWIRES; i++) {
		m3 = check_build(m, &wires[i], out2, &n2);
		CHECK(sip2_msg_code(m3) == sip2_msg_code(m));
		CHECK(sip2_msg_nfields(m3) == sip2_msg_nfields(m));
		sip2_msg_free(m3);
	}
	check_reply(m);
	(void)sip2_msg_missing(m);
	sip2_msg_free(m);
}

/* Fuzz one input: framed as a stream, then each message alone. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip2_framer	 fr = { 0, 0 };
	const char		*p = (const char *)data;
	enum sip2_frame_res	 r;
	size_t			 pos = 0, off, mlen, used, i;
	int			 rounds = 0;

	/* A small cap now and then exercises the oversize path. */
	if (size > 0 && data[0] == '!')
		fr.max = 64;
	while (pos < size) {
		r = sip2_frame(&fr, p + pos, size - pos, &off, &mlen, &used);
		CHECK(used <= size - pos);
		if (r == SIP2_FRAME_MSG) {
			CHECK(off + mlen < used);
			CHECK(memchr(p + pos + off, '\r', mlen) == NULL);
			CHECK(memchr(p + pos + off, '\n', mlen) == NULL);
			CHECK(mlen <= (fr.max != 0 ? fr.max : SIP2_MSG_MAX));
			for (i = 0; i < NWIRES; i++)
				check_one(p + pos + off, mlen, &wires[i]);
		} else if (r == SIP2_FRAME_MORE && used == 0) {
			/* An unterminated tail: parse it as it is too. */
			for (i = 0; i < NWIRES; i++)
				check_one(p + pos, size - pos, &wires[i]);
			break;
		}
		pos += used;
		CHECK(++rounds <= (int)size + 1);
	}
	return (0);
}
