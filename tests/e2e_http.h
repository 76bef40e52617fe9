/* SPDX-License-Identifier: ISC */
/*
 * The end-to-end harness's HTTP side: an HTTP/1.1 client, over the
 * harness's connections (e2e_gw_connect()), for the NCIP endpoint, and
 * the pins an NCIP configuration names.
 */

#ifndef CIRCLINK_E2E_HTTP_H
#define CIRCLINK_E2E_HTTP_H

#include <sys/types.h>

#include <stddef.h>

#include "e2e.h"

struct ncip_msg;

#define E2E_HTTP_HEAD_MAX	8192		/* a response's headers */
#define E2E_HTTP_BODY_MAX	(4 * 1024 * 1024)

/* One HTTP response as read. */
struct e2e_http_resp {
	int		 status;
	char		 head[E2E_HTTP_HEAD_MAX];	/* status, headers */
	char		*body;		/* NUL-terminated; the caller frees */
	size_t		 bodylen;
	int		 closed;	/* the server closed after it */
};

/*
 * Send one request with a body (content_type NULL: no Content-Type).
 * Returns -1 when the connection failed.
 */
int		 e2e_http_send(struct e2e_conn *, const char *, const char *,
		    const char *, const void *, size_t);
/*
 * Read one response: headers, then a body by Content-Length, chunks or
 * up to the close.  Returns 0, or -1 with errno ETIMEDOUT or ECONNRESET
 * after printing why.
 */
int		 e2e_http_read(struct e2e_conn *, struct e2e_http_resp *, int);
/* POST a body and read the response; 0 or -1 as e2e_http_read(). */
int		 e2e_http_post(struct e2e_conn *, const char *, const char *,
		    const void *, size_t, struct e2e_http_resp *);
/*
 * Parse a response that must be an NCIP message under HTTP 200, or fail
 * the running cmocka test.  The caller frees it with ncip_msg_free().
 */
struct ncip_msg	*e2e_http_ncip(const struct e2e_http_resp *);
/* Free a response's body. */
/*
 * Build m (freed here) in dialect dl (NULL: the message's own), post it
 * to the gateway's NCIP listener (an index of env's listeners) at path,
 * and return the NCIP answer, which the caller frees; any step that
 * fails fails the test.
 */
struct ncip_msg	*e2e_ncip_call(const struct e2e_env *, size_t,
		    const char *, struct ncip_msg *,
		    const struct ncip_dialect *);
/* Fail the test if an NCIP answer carries a Problem, naming it. */
void		 e2e_ncip_no_problem(const struct ncip_msg *);
void		 e2e_http_resp_free(struct e2e_http_resp *);
/* Copy a header's value into buf; NULL when the response has none. */
const char	*e2e_http_header(const struct e2e_http_resp *, const char *,
		    char *, size_t);
/* Write "sha256:" and a certificate's fingerprint in hex into pin. */
int		 e2e_http_cert_pin(const char *, char *, size_t);

#endif /* CIRCLINK_E2E_HTTP_H */
