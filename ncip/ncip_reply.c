/* SPDX-License-Identifier: ISC */
/*
 * Answers to NCIP requests: the response shell with the request's version,
 * dialect, agencies and ids, and the Problem a failed request or a body
 * that did not parse gets.
 */

#include "config.h"

#include <stddef.h>
#include <string.h>

#include "ncip.h"

static int
dup_str(struct ncip_msg *m, const char *s, const char **out)
{
	*out = NULL;
	if (s == NULL)
		return (0);
	return ((*out = ncip_msg_strdup(m, s)) == NULL ? -1 : 0);
}

static int
dup_code(struct ncip_msg *m, const struct ncip_code *in,
    struct ncip_code *out)
{
	if (dup_str(m, in->scheme, &out->scheme) == -1 ||
	    dup_str(m, in->value, &out->value) == -1)
		return (-1);
	return (0);
}

static int
dup_id(struct ncip_msg *m, const struct ncip_id *in, struct ncip_id *out)
{
	if (dup_code(m, &in->agency, &out->agency) == -1 ||
	    dup_code(m, &in->type, &out->type) == -1 ||
	    dup_str(m, in->value, &out->value) == -1)
		return (-1);
	return (0);
}

/* The dialect and version string of the request, owned by the answer. */
static int
reply_dialect(struct ncip_msg *m, const struct ncip_dialect *d,
    const char *version)
{
	m->dialect = *d;
	if (dup_str(m, version, &m->version_str) == -1)
		return (-1);
	m->dialect.version_str = m->version_str;
	return (0);
}

/* Make the response to a request. */
struct ncip_msg *
ncip_reply_new(const struct ncip_msg *req)
{
	const struct ncip_header	*h = &req->header;
	struct ncip_msg			*m;

	if (!ncip_service_is_request(req->service))
		return (NULL);
	if ((m = ncip_msg_new(ncip_service_info(req->service)->response)) ==
	    NULL)
		return (NULL);
	if (reply_dialect(m, &req->dialect, req->version_str) == -1)
		goto fail;

	/*
	 * The answer comes from whom the request went to.  A header that
	 * lacked an agency (read tolerantly) is left out: the schema needs
	 * both and the header is optional.
	 */
	m->header.present = h->present && h->from_agency.value != NULL &&
	    h->to_agency.value != NULL;
	if (dup_code(m, &h->to_agency, &m->header.from_agency) == -1 ||
	    dup_code(m, &h->from_agency, &m->header.to_agency) == -1 ||
	    dup_code(m, &h->to_system, &m->header.from_system) == -1 ||
	    dup_code(m, &h->from_system, &m->header.to_system) == -1)
		goto fail;

	/* Echo what identifies the transaction; the builder keeps its own. */
	if (dup_id(m, &req->user_id, &m->user_id) == -1 ||
	    dup_id(m, &req->item_id, &m->item_id) == -1 ||
	    dup_id(m, &req->request_id, &m->request_id) == -1 ||
	    dup_code(m, &req->request_type, &m->request_type) == -1 ||
	    dup_code(m, &req->request_scope, &m->request_scope) == -1)
		goto fail;
	return (m);

 fail:
	ncip_msg_free(m);
	return (NULL);
}

/* Make the response a failed request gets. */
struct ncip_msg *
ncip_reply_problem(const struct ncip_msg *req, enum ncip_problem_type kind,
    const char *element, const char *detail)
{
	struct ncip_msg	*m;

	if ((m = ncip_reply_new(req)) == NULL) {
		/* Not a request: a bare Problem in its dialect. */
		if ((m = ncip_msg_new(NCIP_PROBLEM)) == NULL)
			return (NULL);
		if (reply_dialect(m, &req->dialect, req->version_str) == -1)
			goto fail;
	}
	if (ncip_msg_add_problem(m, kind, NULL, element, detail, NULL) == -1)
		goto fail;
	return (m);

 fail:
	ncip_msg_free(m);
	return (NULL);
}

/* Make the answer to bytes that failed to parse. */
struct ncip_msg *
ncip_reply_error(const struct ncip_error *err)
{
	struct ncip_msg	*m;
	enum ncip_service svc = NCIP_PROBLEM;

	if (ncip_service_is_request(err->service))
		svc = ncip_service_info(err->service)->response;
	if ((m = ncip_msg_new(svc)) == NULL)
		return (NULL);
	if (reply_dialect(m, &err->dialect, err->version_str[0] != '\0' ?
	    err->version_str : NULL) == -1)
		goto fail;
	if (ncip_msg_add_problem(m, err->kind, NULL, err->element[0] != '\0' ?
	    err->element : NULL, err->detail[0] != '\0' ? err->detail : NULL,
	    NULL) == -1)
		goto fail;
	return (m);

 fail:
	ncip_msg_free(m);
	return (NULL);
}
