/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer harness for the NCIP codec: parses the input under default and
 * tight limits, builds what parsed in every dialect and reads it back, and
 * answers what failed, aborting when an invariant of the codec breaks.
 */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ncip.h"

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "%s:%d: invariant broken: %s\n",	\
		    __FILE__, __LINE__, #x);				\
		abort();						\
	}								\
} while (0)

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct ncip_dialect dialects[] = {
	{ 2, NCIP_V2_02, NCIP_NSS_DEFAULT, 1, 0 },
	{ 2, NCIP_V2_0, NCIP_NSS_PREFIX, 1, 0 },
	{ 2, NULL, NCIP_NSS_DEFAULT, 0, 0 },
	{ 2, NCIP_V2_01, NCIP_NSS_NONE, 0, 0 },
	{ 1, NCIP_V1_0, NCIP_NSS_NONE, 0, 1 },
	{ 1, NCIP_V1_01, NCIP_NSS_NONE, 0, 0 },
};

#define NDIALECTS	(sizeof(dialects) / sizeof(dialects[0]))

static char	 text[8192];

/* A log rendering is terminated, fits, and has no control byte. */
static void
check_text(size_t n)
{
	size_t	 i;

	CHECK(n < sizeof(text));
	CHECK(text[n] == '\0');
	CHECK(strlen(text) == n);
	for (i = 0; i < n; i++)
		CHECK((unsigned char)text[i] >= 0x20);
}

static void
check_error(const struct ncip_error *err)
{
	CHECK(err->kind > NCIP_PT_NONE && err->kind < NCIP_PT__COUNT);
	CHECK(memchr(err->element, '\0', sizeof(err->element)) != NULL);
	CHECK(memchr(err->detail, '\0', sizeof(err->detail)) != NULL);
	CHECK(memchr(err->version_str, '\0', sizeof(err->version_str)) !=
	    NULL);
	CHECK(err->service >= NCIP_SVC_NONE && err->service < NCIP_SVC__COUNT);
}

/* Build, read back, build again: the same bytes and the same service. */
static void
check_round_trip(const struct ncip_msg *m, const struct ncip_dialect *d)
{
	struct ncip_error	 err;
	struct ncip_msg		*back;
	char			*out, *again;
	size_t			 len, len2;

	if (ncip_build(m, d, &out, &len, &err) == -1) {
		/*
		 * Tolerant reading, strict writing: only these may fail, and
		 * a service version 1 does not have.
		 */
		CHECK(err.kind == NCIP_PT_NEEDED_DATA_MISSING ||
		    err.kind == NCIP_PT_INVALID_DATE ||
		    err.kind == NCIP_PT_INVALID_MESSAGE_SYNTAX ||
		    (err.kind == NCIP_PT_UNSUPPORTED_SERVICE &&
		    d->version == 1 && (m->service == NCIP_LOOKUP_ITEM_SET ||
		    m->service == NCIP_LOOKUP_ITEM_SET_RESP)));
		CHECK(out == NULL);
		return;
	}
	CHECK(strlen(out) == len);
	back = ncip_parse(out, len, NULL, &err);
	if (back == NULL)
		fprintf(stderr, "built message does not read: %s %s %s\n%s\n",
		    ncip_problem_name(err.kind), err.element, err.detail, out);
	CHECK(back != NULL);
	CHECK(back->service == m->service);
	CHECK(back->dialect.version == d->version);
	CHECK(back->nproblems == m->nproblems || (d->version == 1 &&
	    back->nproblems == 1));
	CHECK(ncip_build(back, d, &again, &len2, &err) == 0);
	if (len2 != len || memcmp(out, again, len) != 0)
		fprintf(stderr, "not a fixpoint:\n%s\n%s\n", out, again);
	CHECK(len2 == len && memcmp(out, again, len) == 0);
	free(again);
	free(out);
	ncip_msg_free(back);
}

static void
check_reply(const struct ncip_msg *m)
{
	struct ncip_error	 err;
	struct ncip_msg		*r;
	char			*out;
	size_t			 len;

	if ((r = ncip_reply_new(m)) == NULL) {
		CHECK(!ncip_service_is_request(m->service));
	} else {
		CHECK(ncip_service_info(r->service)->request == m->service);
		ncip_msg_free(r);
	}
	r = ncip_reply_problem(m, NCIP_PT_UNKNOWN_USER, "UserId", "no such");
	CHECK(r != NULL);
	CHECK(ncip_msg_missing(r) == NULL);
	/* A Problem answer always builds, in the asker's dialect. */
	CHECK(ncip_build(r, NULL, &out, &len, &err) == 0);
	free(out);
	ncip_msg_free(r);
}

static void
fuzz_one(const char *buf, size_t size, const struct ncip_limits *l)
{
	struct ncip_error	 err;
	struct ncip_msg		*m, *r;
	char			*out;
	size_t			 i, len;

	check_text(ncip_redact(buf, size, text, sizeof(text)));
	if ((m = ncip_parse(buf, size, l, &err)) == NULL) {
		check_error(&err);
		/* Every refusal has an answer that builds. */
		CHECK((r = ncip_reply_error(&err)) != NULL);
		CHECK(ncip_build(r, NULL, &out, &len, &err) == 0);
		free(out);
		ncip_msg_free(r);
		return;
	}
	CHECK(m->service > NCIP_SVC_NONE && m->service < NCIP_SVC__COUNT);
	CHECK(m->dialect.version == 1 || m->dialect.version == 2);
	CHECK(ncip_msg_missing(m) == NULL);
	check_text(ncip_msg_redact(m, text, sizeof(text)));
	(void)ncip_user_element_mask(m);
	(void)ncip_item_element_mask(m);
	(void)ncip_user_status(&m->user, 1700000000);
	for (i = 0; i < m->nauth; i++)
		(void)ncip_auth_kind(&m->auth[i]);
	for (i = 0; i < NDIALECTS; i++)
		check_round_trip(m, &dialects[i]);
	check_round_trip(m, &m->dialect);
	check_reply(m);
	ncip_msg_free(m);
}

/* Set libxml2 up once, as the daemon does at start. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ncip_init();
	return (0);
}

/* Fuzz one input under the default limits and under tight ones. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ncip_limits	 tight = { 4096, 6, 60, 40 };

	fuzz_one((const char *)data, size, NULL);
	fuzz_one((const char *)data, size, &tight);
	return (0);
}
