/* SPDX-License-Identifier: ISC */
/*
 * The end-to-end harness's HTTP side: an HTTP/1.1 client over the
 * harness's connections, NCIP answers read from it, and the pins of the
 * certificates an NCIP configuration names.
 */

#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cmocka.h>

#include "ncip.h"
#include "e2e.h"
#include "e2e_http.h"

/* Send one request with a body and its length. */
int
e2e_http_send(struct e2e_conn *c, const char *method, const char *path,
    const char *content_type, const void *body, size_t len)
{
	char	 head[1024];
	int	 n;

	n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\n"
	    "Host: localhost\r\n"
	    "%s%s%s"
	    "Content-Length: %zu\r\n"
	    "\r\n", method, path,
	    content_type != NULL ? "Content-Type: " : "",
	    content_type != NULL ? content_type : "",
	    content_type != NULL ? "\r\n" : "", len);
	if (n < 0 || (size_t)n >= sizeof(head))
		return (-1);
	if (e2e_send(c, head, n) == -1)
		return (-1);
	if (len > 0 && e2e_send(c, body, len) == -1)
		return (-1);
	return (0);
}

/* Move up to want bytes of the buffer to the end of the body. */
static int
http_take(struct e2e_conn *c, struct e2e_http_resp *r, size_t want)
{
	size_t	 n = want < c->nin ? want : c->nin;
	char	*body;

	if (r->bodylen + n > E2E_HTTP_BODY_MAX) {
		errno = EMSGSIZE;
		return (-1);
	}
	if ((body = realloc(r->body, r->bodylen + n + 1)) == NULL)
		return (-1);
	r->body = body;
	memcpy(r->body + r->bodylen, c->in, n);
	r->bodylen += n;
	r->body[r->bodylen] = '\0';
	memmove(c->in, c->in + n, c->nin - n);
	c->nin -= n;
	return ((int)n);
}

/* Read a line (without CRLF) from the buffer into out. */
static int
http_line(struct e2e_conn *c, char *out, size_t len, long long deadline)
{
	char	*nl;
	size_t	 n;

	while ((nl = memchr(c->in, '\n', c->nin)) == NULL)
		if (e2e_fill(c, deadline) == -1)
			return (-1);
	n = nl - c->in;
	if (n > 0 && c->in[n - 1] == '\r')
		n--;
	snprintf(out, len, "%.*s", (int)n, c->in);
	n = nl - c->in + 1;
	memmove(c->in, c->in + n, c->nin - n);
	c->nin -= n;
	return (0);
}

/* Read a response: headers, then its body. */
int
e2e_http_read(struct e2e_conn *c, struct e2e_http_resp *r, int timeout_ms)
{
	long long	 deadline = e2e_now_ms() + timeout_ms;
	char		 value[64], line[64], *end;
	long long	 length = -1, size;
	size_t		 headlen;
	int		 chunked = 0;

	memset(r, 0, sizeof(*r));
	while ((end = memmem(c->in, c->nin, "\r\n\r\n", 4)) == NULL)
		if (e2e_fill(c, deadline) == -1)
			goto fail;
	headlen = end - c->in + 4;
	snprintf(r->head, sizeof(r->head), "%.*s", (int)headlen, c->in);
	memmove(c->in, c->in + headlen, c->nin - headlen);
	c->nin -= headlen;
	if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1) {
		fprintf(stderr, "e2e: not an HTTP response: %.80s\n", r->head);
		return (-1);
	}
	if (e2e_http_header(r, "Content-Length", value, sizeof(value)) !=
	    NULL)
		length = strtoll(value, NULL, 10);
	if (e2e_http_header(r, "Transfer-Encoding", value, sizeof(value)) !=
	    NULL && strcasecmp(value, "chunked") == 0)
		chunked = 1;
	if (e2e_http_header(r, "Connection", value, sizeof(value)) != NULL &&
	    strcasecmp(value, "close") == 0)
		r->closed = 1;

	if (chunked) {
		for (;;) {
			if (http_line(c, line, sizeof(line), deadline) == -1)
				goto fail;
			if ((size = strtoll(line, NULL, 16)) == 0)
				break;
			while (size > 0) {
				if (c->nin == 0 &&
				    e2e_fill(c, deadline) == -1)
					goto fail;
				size -= http_take(c, r, (size_t)size);
			}
			if (http_line(c, line, sizeof(line), deadline) == -1)
				goto fail;
		}
		(void)http_line(c, line, sizeof(line), deadline);
	} else if (length >= 0) {
		while ((long long)r->bodylen < length) {
			if (c->nin == 0 && e2e_fill(c, deadline) == -1)
				goto fail;
			if (http_take(c, r, length - r->bodylen) == -1)
				goto fail;
		}
	} else if (r->status >= 200 && r->status != 204 && r->status != 304) {
		for (;;) {
			if (c->nin > 0 && http_take(c, r, c->nin) == -1)
				goto fail;
			if (e2e_fill(c, deadline) == -1) {
				if (errno != ECONNRESET)
					goto fail;
				r->closed = 1;
				break;
			}
		}
	}
	if (r->body == NULL && (r->body = strdup("")) == NULL)
		goto fail;
	return (0);

fail:
	fprintf(stderr, "e2e: reading an HTTP response: %s\n",
	    strerror(errno));
	e2e_http_resp_free(r);
	return (-1);
}

/* POST a body and read the response. */
int
e2e_http_post(struct e2e_conn *c, const char *path, const char *content_type,
    const void *body, size_t len, struct e2e_http_resp *r)
{
	memset(r, 0, sizeof(*r));
	if (e2e_http_send(c, "POST", path, content_type, body, len) == -1) {
		fprintf(stderr, "e2e: sending a POST: %s\n", strerror(errno));
		return (-1);
	}
	return (e2e_http_read(c, r, 10000));
}

/* Parse a response that must be an NCIP message under HTTP 200. */
struct ncip_msg *
e2e_http_ncip(const struct e2e_http_resp *r)
{
	struct ncip_error	 err;
	struct ncip_msg		*m;

	assert_int_equal(r->status, 200);
	if ((m = ncip_parse(r->body, r->bodylen, NULL, &err)) == NULL)
		fail_msg("not NCIP (%s): %.400s", err.detail, r->body);
	return (m);
}

/* Free a response's body. */
void
e2e_http_resp_free(struct e2e_http_resp *r)
{
	free(r->body);
	r->body = NULL;
	r->bodylen = 0;
}

/* Copy a header's value, without blanks around it, into buf. */
const char *
e2e_http_header(const struct e2e_http_resp *r, const char *name, char *buf,
    size_t len)
{
	const char	*line, *eol;
	size_t		 n = strlen(name);

	for (line = strstr(r->head, "\r\n"); line != NULL; line = eol) {
		line += 2;
		if ((eol = strstr(line, "\r\n")) == NULL || eol == line)
			break;
		if (strncasecmp(line, name, n) != 0 || line[n] != ':')
			continue;
		line += n + 1;
		while (*line == ' ' || *line == '\t')
			line++;
		snprintf(buf, len, "%.*s", (int)(eol - line), line);
		return (buf);
	}
	return (NULL);
}

/* Write "sha256:" and the certificate's SHA-256 in hex into pin. */
int
e2e_http_cert_pin(const char *cert, char *pin, size_t len)
{
	FILE		*f;
	X509		*x = NULL;
	uint8_t		 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;
	size_t		 o;

	if ((f = fopen(cert, "r")) == NULL)
		return (-1);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL || !X509_digest(x, EVP_sha256(), md, &mdlen) ||
	    len < 7 + mdlen * 2 + 1) {
		X509_free(x);
		return (-1);
	}
	X509_free(x);
	o = (size_t)snprintf(pin, len, "sha256:");
	for (i = 0; i < mdlen; i++)
		o += (size_t)snprintf(pin + o, len - o, "%02x", md[i]);
	return (0);
}

/* Build, post and read back an NCIP request.  See e2e_http.h. */
struct ncip_msg *
e2e_ncip_call(const struct e2e_env *env, size_t listener, const char *path,
    struct ncip_msg *m, const struct ncip_dialect *dl)
{
	struct e2e_http_resp	 r;
	struct ncip_error	 err;
	struct e2e_conn		*c;
	struct ncip_msg		*a;
	char			*body;
	size_t			 len;

	if (dl != NULL) {
		m->dialect = *dl;
		m->version_str = dl->version_str;
	}
	if (ncip_build(m, dl, &body, &len, &err) == -1)
		fail_msg("cannot build %s: %s %s",
		    ncip_service_name(m->service), err.element, err.detail);
	ncip_msg_free(m);
	assert_non_null(c = e2e_gw_connect(env, listener, NULL, NULL));
	assert_int_equal(e2e_http_post(c, path, "application/xml", body, len,
	    &r), 0);
	e2e_close(c);
	free(body);
	a = e2e_http_ncip(&r);
	e2e_http_resp_free(&r);
	assert_non_null(a);
	return (a);
}

/* An NCIP answer without a Problem.  See e2e_http.h. */
void
e2e_ncip_no_problem(const struct ncip_msg *a)
{
	if (a->nproblems > 0)
		fail_msg("Problem \"%s\" (%s)", a->problems[0].type.value !=
		    NULL ? a->problems[0].type.value : "?",
		    a->problems[0].detail != NULL ? a->problems[0].detail :
		    "no detail");
}
