/* SPDX-License-Identifier: ISC */
/*
 * NCIP backends: for each partner whose ILS speaks NCIP, a pool of
 * persistent HTTP/1.1 connections to its responder with one request on
 * each, a queue when all are busy, a deadline per request, and a probe
 * with backoff that tells whether the ILS can be reached at all.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/queue.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/http.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "circlinkd.h"
#include "ncip.h"

#define NB_BACKOFF_MIN_MS	100
#define NB_BACKOFF_MAX_MS	30000
#define NB_HEADERS_MAX		16384	/* bytes of response headers */
#define NB_TRACE_MAX		4096

/* Why libevent gave up on a request, as far as it said. */
enum nb_fault {
	NB_FAULT_NONE,
	NB_FAULT_TRANSPORT,	/* refused, reset, timed out, TLS failed */
	NB_FAULT_GARBAGE,	/* the partner answered, but not in HTTP */
	NB_FAULT_TOO_LONG,
};

/* One connection of the pool. */
struct nb_conn {
	struct ncip_backend	*be;
	int			 index;
	struct evhttp_connection *evcon;	/* made when first used */
	struct nb_req		*cur;
	int			 stale;		/* closed: replace before use */
	enum nb_fault		 fault;
};

/* One call waiting for, or on, a connection. */
struct nb_req {
	TAILQ_ENTRY(nb_req)	 entry;
	struct ncip_backend	*be;
	struct nb_conn		*conn;
	int			 queued;
	uint64_t		 sid;
	uint32_t		 txn;
	ncip_backend_cb		 cb;
	enum ncip_service	 service;	/* what was asked */
	enum ncip_service	 expect;	/* its answer */
	char			*body;
	size_t			 bodylen;
	struct event		 deadline;
};
TAILQ_HEAD(nb_reqs, nb_req);

struct ncip_backend {
	struct event_base	*base;
	char			*partner;	/* id, for logs */
	struct conf_backend	 conf;		/* numbers; strings below */
	struct conf_tls		 tls;		/* server name and pins */
	char			*address;
	char			*uri;		/* path and token: a secret */
	char			*host;		/* Host: */
	char			*version_str;
	char			*from_agency;
	char			*from_agency_auth;	/* a secret */
	char			*to_agency;
	char			*app_profile;
	SSL_CTX			*ssl_ctx;
	struct sockaddr_storage	 ss;
	int			 sslen;
	struct nb_conn		*conns;
	int			 nconns;
	struct nb_reqs		 queue;
	int			 queued;
	int			 up;		/* the ILS was reached lately */
	int			 offline;	/* and now it cannot be */
	int			 draining;	/* replaced by a reload */
	int			 failures;	/* probes failed in a row */
	struct timespec		 last_ok;
	struct event		*kick;		/* work for the next turn */
	struct event		*probe_timer;	/* backoff, deadline, idle */
	struct bufferevent	*probe;
	struct timeval		 tv_io;
	const struct timeval	*tv_deadline;	/* common timeout */
	char			 errbuf[160];	/* a reason being reported */
	uint64_t		 calls, errors;
};

static int	 nb_xml_ready;

static void	 nb_kick(struct ncip_backend *);
static void	 nb_kick_cb(evutil_socket_t, short, void *);
static void	 nb_dispatch(struct ncip_backend *);
static int	 nb_conn_make(struct nb_conn *);
static void	 nb_conn_closed_cb(struct evhttp_connection *, void *);
static void	 nb_send(struct nb_conn *, struct nb_req *);
static void	 nb_done_cb(struct evhttp_request *, void *);
static void	 nb_error_cb(enum evhttp_request_error, void *);
static struct ncip_msg *nb_read(struct ncip_backend *, struct nb_req *, int,
		    struct evbuffer *, const char **);
static void	 nb_finish(struct nb_req *, struct ncip_msg *, const char *);
static void	 nb_deadline_cb(evutil_socket_t, short, void *);
static void	 nb_reached(struct ncip_backend *);
static void	 nb_unreachable(struct ncip_backend *, const char *);
static void	 nb_probe_start(struct ncip_backend *);
static void	 nb_probe_done(struct ncip_backend *, int, const char *);
static void	 nb_probe_event_cb(struct bufferevent *, short, void *);
static void	 nb_probe_timer_cb(evutil_socket_t, short, void *);
static void	 nb_timer_ms(struct event *, long);
static void	 nb_destroy(struct ncip_backend *);
static int	 nb_busy(const struct ncip_backend *);
static void	 nb_prepare(struct ncip_backend *, struct ncip_msg *);

static char *
nb_strdup(const char *s, int *failed)
{
	char	*d;

	if (s == NULL)
		return (NULL);
	if ((d = strdup(s)) == NULL)
		*failed = 1;
	return (d);
}

static void
nb_secret_free(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

/*
 * Make the NCIP backend of a partner and probe its ILS.  Returns NULL
 * with a message in err; the configuration may be freed afterwards.
 */
struct ncip_backend *
ncip_backend_new(struct event_base *base, const struct conf_partner *p,
    char *err, size_t errlen)
{
	const struct conf_backend	*c = &p->backend;
	const struct conf_ncip_profile	*n = &c->ncip;
	struct ncip_backend		*be;
	struct timeval			 tv;
	size_t				 len;
	int				 i, failed = 0;

	if (!nb_xml_ready) {
		ncip_init();
		nb_xml_ready = 1;
	}
	if ((be = calloc(1, sizeof(*be))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	be->base = base;
	TAILQ_INIT(&be->queue);
	be->conf = *c;
	memset(&be->conf.tls, 0, sizeof(be->conf.tls));
	memset(&be->conf.ncip, 0, sizeof(be->conf.ncip));
	be->conf.address = be->conf.login = be->conf.password = NULL;
	be->conf.location = NULL;
	be->conf.ncip.version = n->version;
	be->conf.ncip.ns_style = n->version == 1 ? NCIP_NSS_NONE : n->ns_style;
	be->conf.ncip.qualified_attrs = n->qualified_attrs;
	be->partner = nb_strdup(p->id, &failed);
	be->address = nb_strdup(c->address, &failed);
	be->version_str = nb_strdup(n->version_str, &failed);
	be->from_agency = nb_strdup(n->from_agency, &failed);
	be->from_agency_auth = nb_strdup(n->from_agency_auth, &failed);
	be->to_agency = nb_strdup(n->to_agency != NULL ? n->to_agency :
	    p->ninstitutions > 0 ? p->institutions[0] : NULL, &failed);
	be->app_profile = nb_strdup(n->app_profile, &failed);
	be->tls.server_name = nb_strdup(c->tls.server_name, &failed);
	be->tls.npins = c->tls.npins;
	memcpy(be->tls.pins, c->tls.pins, sizeof(c->tls.pins));

	/* The token goes into the path; its characters need no encoding. */
	len = strlen(n->path != NULL ? n->path : "/ncip") + 2 +
	    (n->token != NULL ? strlen(n->token) : 0);
	if (!failed && (be->uri = malloc(len)) != NULL)
		snprintf(be->uri, len, "%s%s%s", n->path != NULL ? n->path :
		    "/ncip", n->token != NULL ? "/" : "",
		    n->token != NULL ? n->token : "");
	len = 300;
	if (!failed && (be->host = malloc(len)) != NULL) {
		if (c->tls.server_name != NULL)
			snprintf(be->host, len, "%s:%d", c->tls.server_name,
			    c->port);
		else if (strchr(c->address, ':') != NULL)
			snprintf(be->host, len, "[%s]:%d", c->address, c->port);
		else
			snprintf(be->host, len, "%s:%d", c->address, c->port);
	}
	if (failed || be->uri == NULL || be->host == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((be->sslen = net_sockaddr(c->address, c->port, &be->ss)) == -1) {
		snprintf(err, errlen, "partner %s: bad backend address %s",
		    p->id, c->address);
		goto fail;
	}
	if (c->tls.enabled && (be->ssl_ctx = tls_client_ctx(&c->tls, err,
	    errlen)) == NULL)
		goto fail;

	tv.tv_sec = c->timeout_ms / 1000;
	tv.tv_usec = (c->timeout_ms % 1000) * 1000;
	be->tv_deadline = event_base_init_common_timeout(base, &tv);
	/* libevent's own I/O timeout only backs our deadline up. */
	be->tv_io.tv_sec = tv.tv_sec + 1;
	be->tv_io.tv_usec = tv.tv_usec;
	be->nconns = c->pool > 0 ? c->pool : 1;
	if ((be->conns = calloc(be->nconns, sizeof(*be->conns))) == NULL ||
	    (be->kick = event_new(base, -1, 0, nb_kick_cb, be)) == NULL ||
	    (be->probe_timer = evtimer_new(base, nb_probe_timer_cb, be)) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < be->nconns; i++) {
		be->conns[i].be = be;
		be->conns[i].index = i;
	}
	nb_probe_start(be);
	return (be);

fail:
	nb_destroy(be);
	return (NULL);
}

/* Free everything; nothing may be under way. */
static void
nb_destroy(struct ncip_backend *be)
{
	int	 i;

	for (i = 0; be->conns != NULL && i < be->nconns; i++) {
		be->conns[i].cur = NULL;
		if (be->conns[i].evcon != NULL)
			evhttp_connection_free(be->conns[i].evcon);
		be->conns[i].evcon = NULL;
	}
	free(be->conns);
	if (be->probe != NULL)
		bufferevent_free(be->probe);
	if (be->probe_timer != NULL)
		event_free(be->probe_timer);
	if (be->kick != NULL)
		event_free(be->kick);
	if (be->ssl_ctx != NULL)
		SSL_CTX_free(be->ssl_ctx);
	free(be->partner);
	free(be->address);
	nb_secret_free(be->uri);
	free(be->host);
	free(be->version_str);
	free(be->from_agency);
	nb_secret_free(be->from_agency_auth);
	free(be->to_agency);
	free(be->app_profile);
	free(be->tls.server_name);
	free(be);
}

static int
nb_busy(const struct ncip_backend *be)
{
	int	 i;

	for (i = 0; i < be->nconns; i++)
		if (be->conns[i].cur != NULL)
			return (1);
	return (0);
}

/*
 * Retire a backend.  Queued calls fail at once; calls on the wire finish
 * or time out, then the backend frees itself, or, with now set (at exit),
 * they fail too and it is freed before this returns.
 */
void
ncip_backend_free(struct ncip_backend *be, int now)
{
	int	 i;

	if (be == NULL)
		return;
	be->draining = 1;
	while (!TAILQ_EMPTY(&be->queue))
		nb_finish(TAILQ_FIRST(&be->queue), NULL, "the partner's "
		    "connection was reconfigured");
	for (i = 0; now && i < be->nconns; i++)
		if (be->conns[i].cur != NULL)
			nb_finish(be->conns[i].cur, NULL, "stopping");
	if (!nb_busy(be))
		nb_destroy(be);
}

/* Return 1 when the partner's ILS was reached lately, by a probe or a call. */
int
ncip_backend_up(const struct ncip_backend *be)
{
	return (be->up);
}

/*
 * Write a request the way this partner's ILS wants it: its version and
 * namespace style, and in the header the agency id and authentication it
 * knows us by and its application profile; the ToAgencyId only when the
 * caller left it out.
 */
static void
nb_prepare(struct ncip_backend *be, struct ncip_msg *m)
{
	struct ncip_header	*h = &m->header;

	memset(&m->dialect, 0, sizeof(m->dialect));
	m->dialect.version = be->conf.ncip.version;
	m->dialect.version_str = be->version_str;
	m->dialect.ns = be->conf.ncip.ns_style;
	m->dialect.qualified_attrs = be->conf.ncip.qualified_attrs;
	m->dialect.doctype = be->conf.ncip.version == 1;
	m->version_str = be->version_str;
	if (be->from_agency != NULL) {
		h->from_agency.scheme = NULL;
		h->from_agency.value = be->from_agency;
	}
	if (be->from_agency_auth != NULL)
		h->from_agency_auth = be->from_agency_auth;
	if (be->app_profile != NULL) {
		h->profile.scheme = NULL;
		h->profile.value = be->app_profile;
	}
	if (h->to_agency.value == NULL && be->to_agency != NULL)
		h->to_agency.value = be->to_agency;
	if (h->from_agency.value != NULL || h->to_agency.value != NULL)
		h->present = 1;
}

/*
 * Send a request to the partner's ILS; the backend takes req.  Returns 0
 * when under way (cb runs exactly once, later), or -1 with *why set and
 * cb never called.
 */
int
ncip_backend_call(struct ncip_backend *be, struct ncip_msg *req, uint64_t sid,
    uint32_t txn, ncip_backend_cb cb, const char **why)
{
	struct ncip_error	 err;
	struct nb_req		*r = NULL;
	char			*body = NULL;
	size_t			 len;

	if (be->draining || be->offline) {
		*why = "offline";
		goto refuse;
	}
	if (be->queued >= be->conf.queue_max) {
		*why = "busy";
		goto refuse;
	}
	nb_prepare(be, req);
	if (ncip_build(req, NULL, &body, &len, &err) == -1) {
		log_warnx("partner=%s sid=%016llx event=unencodable service=%s "
		    "element=\"%s\" detail=\"%s\"", be->partner,
		    (unsigned long long)sid, ncip_service_name(req->service),
		    err.element, err.detail);
		*why = "the request cannot be written for the partner";
		goto refuse;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		free(body);
		*why = "out of memory";
		goto refuse;
	}
	r->be = be;
	r->sid = sid;
	r->txn = txn;
	r->cb = cb;
	r->service = req->service;
	r->expect = ncip_service_is_request(req->service) ?
	    ncip_service_info(req->service)->response : NCIP_SVC_NONE;
	r->body = body;
	r->bodylen = len;
	ncip_msg_free(req);
	if (log_tracing(TRACE_BACKEND)) {
		char	 red[NB_TRACE_MAX];

		ncip_redact(body, len, red, sizeof(red));
		log_trace(TRACE_BACKEND, "partner=%s sid=%016llx send=\"%s\"",
		    be->partner, (unsigned long long)sid, red);
	}
	event_assign(&r->deadline, be->base, -1, 0, nb_deadline_cb, r);
	event_add(&r->deadline, be->tv_deadline);
	r->queued = 1;
	TAILQ_INSERT_TAIL(&be->queue, r, entry);
	be->queued++;
	be->calls++;
	nb_kick(be);
	return (0);

refuse:
	be->errors++;
	ncip_msg_free(req);
	return (-1);
}

/*
 * Connections are made, replaced and freed on a loop turn of their own,
 * never from inside one of libevent's HTTP callbacks.
 */
static void
nb_kick(struct ncip_backend *be)
{
	event_active(be->kick, EV_TIMEOUT, 0);
}

static void
nb_kick_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ncip_backend	*be = arg;

	if (be->draining) {
		if (!nb_busy(be))
			nb_destroy(be);
		return;
	}
	nb_dispatch(be);
}

static void
nb_dispatch(struct ncip_backend *be)
{
	struct nb_conn	*c;
	struct nb_req	*r;
	int		 i;

	for (i = 0; i < be->nconns && !TAILQ_EMPTY(&be->queue); i++) {
		c = &be->conns[i];
		if (c->cur != NULL)
			continue;
		if (c->stale && c->evcon != NULL) {
			evhttp_connection_free(c->evcon);
			c->evcon = NULL;
		}
		c->stale = 0;
		if (c->evcon == NULL && nb_conn_make(c) == -1) {
			log_warnx("partner=%s conn=%d: cannot make a "
			    "connection", be->partner, c->index);
			continue;
		}
		r = TAILQ_FIRST(&be->queue);
		TAILQ_REMOVE(&be->queue, r, entry);
		be->queued--;
		r->queued = 0;
		nb_send(c, r);
	}
}

static int
nb_conn_make(struct nb_conn *c)
{
	struct ncip_backend	*be = c->be;
	struct bufferevent	*bev;
	SSL			*ssl;

	if (be->ssl_ctx != NULL) {
		if ((ssl = tls_client_ssl(be->ssl_ctx, &be->tls)) == NULL)
			return (-1);
		bev = bufferevent_openssl_socket_new(be->base, -1, ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE |
		    BEV_OPT_DEFER_CALLBACKS);
		if (bev == NULL) {
			SSL_free(ssl);
			return (-1);
		}
		/* Many HTTP servers close without a TLS close_notify. */
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	} else if ((bev = bufferevent_socket_new(be->base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return (-1);
	c->evcon = evhttp_connection_base_bufferevent_new(be->base, NULL, bev,
	    be->address, (unsigned short)be->conf.port);
	if (c->evcon == NULL) {
		bufferevent_free(bev);
		return (-1);
	}
	/* A request is never sent twice: a retried checkout is two. */
	evhttp_connection_set_retries(c->evcon, 0);
	evhttp_connection_set_timeout_tv(c->evcon, &be->tv_io);
	evhttp_connection_set_max_body_size(c->evcon, NCIP_BODY_MAX);
	evhttp_connection_set_max_headers_size(c->evcon, NB_HEADERS_MAX);
	evhttp_connection_set_closecb(c->evcon, nb_conn_closed_cb, c);
	return (0);
}

/* The ILS or the network closed a connection: use a fresh one next. */
static void
nb_conn_closed_cb(struct evhttp_connection *evcon, void *arg)
{
	struct nb_conn	*c = arg;

	if (c->evcon == evcon)
		c->stale = 1;
}

static void
nb_send(struct nb_conn *c, struct nb_req *r)
{
	struct ncip_backend	*be = c->be;
	struct evhttp_request	*hreq;
	struct evkeyvalq	*h;
	char			 length[32];

	c->cur = r;
	r->conn = c;
	c->fault = NB_FAULT_NONE;
	if ((hreq = evhttp_request_new(nb_done_cb, c)) == NULL)
		goto fail;
	evhttp_request_set_error_cb(hreq, nb_error_cb);
	h = evhttp_request_get_output_headers(hreq);
	snprintf(length, sizeof(length), "%zu", r->bodylen);
	if (evhttp_add_header(h, "Host", be->host) == -1 ||
	    evhttp_add_header(h, "Content-Type",
	    "application/xml; charset=utf-8") == -1 ||
	    evhttp_add_header(h, "Accept", "application/xml, text/xml") ==
	    -1 ||
	    evhttp_add_header(h, "User-Agent", PACKAGE_NAME "/"
	    PACKAGE_VERSION) == -1 ||
	    evhttp_add_header(h, "Content-Length", length) == -1 ||
	    evbuffer_add(evhttp_request_get_output_buffer(hreq), r->body,
	    r->bodylen) == -1) {
		evhttp_request_free(hreq);
		goto fail;
	}
	/*
	 * When the connection cannot even start, libevent may run nb_done_cb
	 * before this returns; r is not touched after.
	 */
	if (evhttp_make_request(c->evcon, hreq, EVHTTP_REQ_POST, be->uri) ==
	    -1) {
		if (c->cur == r) {
			evhttp_request_free(hreq);
			goto fail;
		}
	}
	return;

fail:
	c->stale = 1;
	nb_finish(r, NULL, "cannot send to the partner");
	nb_kick(be);
}

static void
nb_error_cb(enum evhttp_request_error e, void *arg)
{
	struct nb_conn	*c = arg;

	switch (e) {
	case EVREQ_HTTP_INVALID_HEADER:
		c->fault = NB_FAULT_GARBAGE;
		break;
	case EVREQ_HTTP_DATA_TOO_LONG:
		c->fault = NB_FAULT_TOO_LONG;
		break;
	default:
		c->fault = NB_FAULT_TRANSPORT;
		break;
	}
}

/* A request ended: with an answer of any HTTP status, or without one. */
static void
nb_done_cb(struct evhttp_request *hreq, void *arg)
{
	struct nb_conn		*c = arg;
	struct ncip_backend	*be = c->be;
	struct nb_req		*r = c->cur;
	struct ncip_msg		*resp;
	const char		*error = NULL;
	int			 code;

	if (r == NULL)
		return;		/* its deadline passed already */
	code = hreq != NULL ? evhttp_request_get_response_code(hreq) : 0;
	if (code == 0) {
		c->stale = 1;
		if (c->fault == NB_FAULT_GARBAGE || c->fault ==
		    NB_FAULT_TOO_LONG) {
			nb_reached(be);
			log_warnx("partner=%s conn=%d sid=%016llx "
			    "event=bad-answer why=\"%s\"", be->partner,
			    c->index, (unsigned long long)r->sid,
			    c->fault == NB_FAULT_GARBAGE ? "not HTTP" :
			    "too long");
			nb_finish(r, NULL, c->fault == NB_FAULT_GARBAGE ?
			    "the partner's answer was not HTTP" :
			    "the partner's answer was too long");
		} else {
			log_info("partner=%s conn=%d event=closed why=\"the "
			    "request failed\"", be->partner, c->index);
			nb_finish(r, NULL, "connection lost");
			nb_unreachable(be, "a request failed");
		}
		nb_kick(be);
		return;
	}
	nb_reached(be);
	resp = nb_read(be, r, code, evhttp_request_get_input_buffer(hreq),
	    &error);
	nb_finish(r, resp, error);
	nb_kick(be);
}

/*
 * Read the partner's answer whatever the HTTP status: the response to
 * the request or a Problem is passed on; anything else is an error that
 * says what came.
 */
static struct ncip_msg *
nb_read(struct ncip_backend *be, struct nb_req *r, int code,
    struct evbuffer *in, const char **error)
{
	struct ncip_error	 err;
	struct ncip_msg		*resp;
	const char		*data;
	size_t			 len = evbuffer_get_length(in);

	if (len == 0) {
		snprintf(be->errbuf, sizeof(be->errbuf), "the partner "
		    "answered HTTP %d without a body", code);
		*error = be->errbuf;
		return (NULL);
	}
	data = (const char *)evbuffer_pullup(in, -1);
	if (log_tracing(TRACE_BACKEND)) {
		char	 red[NB_TRACE_MAX];

		ncip_redact(data, len, red, sizeof(red));
		log_trace(TRACE_BACKEND, "partner=%s sid=%016llx http=%d "
		    "recv=\"%s\"", be->partner, (unsigned long long)r->sid,
		    code, red);
	}
	if ((resp = ncip_parse(data, len, NULL, &err)) == NULL) {
		log_warnx("partner=%s sid=%016llx event=bad-answer http=%d "
		    "problem=\"%s\" element=\"%s\"", be->partner,
		    (unsigned long long)r->sid, code,
		    ncip_problem_name(err.kind), err.element);
		snprintf(be->errbuf, sizeof(be->errbuf), "the partner's "
		    "answer (HTTP %d) is not NCIP", code);
		*error = be->errbuf;
		return (NULL);
	}
	if (resp->service != NCIP_PROBLEM && resp->service != r->expect) {
		log_warnx("partner=%s sid=%016llx event=bad-answer http=%d "
		    "service=%s expected=%s", be->partner,
		    (unsigned long long)r->sid, code,
		    ncip_service_name(resp->service),
		    ncip_service_name(r->expect));
		snprintf(be->errbuf, sizeof(be->errbuf), "the partner "
		    "answered %s to %s", ncip_service_name(resp->service),
		    ncip_service_name(r->service));
		ncip_msg_free(resp);
		*error = be->errbuf;
		return (NULL);
	}
	return (resp);
}

static void
nb_finish(struct nb_req *r, struct ncip_msg *resp, const char *error)
{
	struct ncip_backend	*be = r->be;

	if (r->conn != NULL) {
		r->conn->cur = NULL;
		r->conn = NULL;
	} else if (r->queued) {
		TAILQ_REMOVE(&be->queue, r, entry);
		be->queued--;
		r->queued = 0;
	}
	event_del(&r->deadline);
	if (error != NULL)
		be->errors++;
	r->cb(r->sid, r->txn, resp, error);
	free(r->body);
	free(r);
}

static void
nb_deadline_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct nb_req		*r = arg;
	struct nb_conn		*c = r->conn;
	struct ncip_backend	*be = r->be;

	log_warnx("partner=%s sid=%016llx event=deadline ms=%d", be->partner,
	    (unsigned long long)r->sid, be->conf.timeout_ms);
	if (c != NULL) {
		/* A late answer would pair with the next request. */
		c->cur = NULL;
		r->conn = NULL;
		if (c->evcon != NULL)
			evhttp_connection_free(c->evcon);
		c->evcon = NULL;
		c->stale = 0;
	}
	nb_finish(r, NULL, "timeout");
	nb_kick(be);
}

/* The ILS answered, or a probe reached it. */
static void
nb_reached(struct ncip_backend *be)
{
	clock_gettime(CLOCK_MONOTONIC, &be->last_ok);
	be->failures = 0;
	if (!be->up)
		log_trace(TRACE_BACKEND, "partner=%s event=reached",
		    be->partner);
	be->up = 1;
	if (be->offline) {
		be->offline = 0;
		log_info("partner=%s event=online", be->partner);
	}
}

/* A connection failed: whether the ILS is down, a probe tells. */
static void
nb_unreachable(struct ncip_backend *be, const char *why)
{
	be->up = 0;
	log_trace(TRACE_BACKEND, "partner=%s event=probing why=\"%s\"",
	    be->partner, why);
	if (be->probe == NULL && !be->draining)
		nb_probe_start(be);
}

static void
nb_timer_ms(struct event *ev, long ms)
{
	struct timeval	 tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

/*
 * A probe opens a connection (and completes the TLS handshake, with the
 * certificate checks) and closes it: it sends nothing the ILS would act
 * on, since NCIP has no harmless request every ILS answers.
 */
static void
nb_probe_start(struct ncip_backend *be)
{
	SSL	*ssl;

	evtimer_del(be->probe_timer);
	if (be->ssl_ctx != NULL) {
		if ((ssl = tls_client_ssl(be->ssl_ctx, &be->tls)) == NULL) {
			nb_probe_done(be, 0, "out of memory");
			return;
		}
		be->probe = bufferevent_openssl_socket_new(be->base, -1, ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
		if (be->probe == NULL)
			SSL_free(ssl);
	} else
		be->probe = bufferevent_socket_new(be->base, -1,
		    BEV_OPT_CLOSE_ON_FREE);
	if (be->probe == NULL) {
		nb_probe_done(be, 0, "out of memory");
		return;
	}
	bufferevent_setcb(be->probe, NULL, NULL, nb_probe_event_cb, be);
	nb_timer_ms(be->probe_timer, be->conf.connect_timeout_ms);
	if (bufferevent_socket_connect(be->probe, (struct sockaddr *)&be->ss,
	    be->sslen) == -1)
		nb_probe_done(be, 0, "connect failed");
}

static void
nb_probe_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ncip_backend	*be = arg;

	if (what & BEV_EVENT_CONNECTED)
		nb_probe_done(be, 1, NULL);
	else if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
		if (be->ssl_ctx != NULL)
			log_ssl("ncip backend tls");
		nb_probe_done(be, 0, what & BEV_EVENT_EOF ? "closed at once" :
		    "connection refused or TLS failed");
	}
}

static void
nb_probe_done(struct ncip_backend *be, int ok, const char *why)
{
	long		 ms;
	int		 shift;

	if (be->probe != NULL)
		bufferevent_free(be->probe);
	be->probe = NULL;
	evtimer_del(be->probe_timer);
	if (be->draining)
		return;
	if (ok) {
		nb_reached(be);
		if (be->conf.keepalive_ms > 0)
			nb_timer_ms(be->probe_timer, be->conf.keepalive_ms);
		nb_kick(be);
		return;
	}

	be->up = 0;
	be->failures++;
	if (!be->offline) {
		be->offline = 1;
		log_warnx("partner=%s event=offline why=\"%s\"", be->partner,
		    why);
	}
	/* Nobody will serve the queue soon: tell the callers now. */
	while (!TAILQ_EMPTY(&be->queue))
		nb_finish(TAILQ_FIRST(&be->queue), NULL, "offline");
	shift = be->failures > 9 ? 9 : be->failures - 1;
	ms = (long)NB_BACKOFF_MIN_MS << shift;
	if (ms > NB_BACKOFF_MAX_MS)
		ms = NB_BACKOFF_MAX_MS;
	ms += arc4random_uniform(NB_BACKOFF_MIN_MS);
	nb_timer_ms(be->probe_timer, ms);
}

/*
 * The probe timer: a probe that took too long, a retry after backoff, or
 * a keepalive that checks an idle partner before a patron meets it.
 */
static void
nb_probe_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ncip_backend	*be = arg;
	struct timespec		 now;
	long			 idle;

	if (be->probe != NULL) {
		nb_probe_done(be, 0, "connect timed out");
		return;
	}
	if (be->up && be->conf.keepalive_ms > 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		idle = (now.tv_sec - be->last_ok.tv_sec) * 1000L +
		    (now.tv_nsec - be->last_ok.tv_nsec) / 1000000L;
		if (idle < be->conf.keepalive_ms) {
			nb_timer_ms(be->probe_timer,
			    be->conf.keepalive_ms - idle);
			return;
		}
	}
	nb_probe_start(be);
}
