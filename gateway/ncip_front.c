/* SPDX-License-Identifier: ISC */
/*
 * The NCIP endpoint: HTTP and HTTPS listeners where partners' ILSes post
 * NCIP messages, each parsed safely, its caller authenticated and mapped
 * to a partner, LookupVersion answered here and every other request
 * handed to serve_ncip(), whose answer goes back with HTTP 200.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/queue.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "circlinkd.h"
#include "ncip.h"

#define NF_PATH			"/ncip"
#define NF_HEADERS_MAX		16384	/* bytes of request headers */
#define NF_HASH_SIZE		256	/* buckets of the call table */
#define NF_FAIL_DELAY_MIN	200	/* ms before a failed authentication */
#define NF_FAIL_DELAY_RAND	400
#define NF_TRACE_MAX		4096
#define NF_IDLE_FOREVER		86400	/* s, for idle-timeout 0 */
#define NF_DONE_MAX		4096	/* answers kept for retried requests */
#define NF_DONE_TTL		600	/* s an answer is kept */
#define NF_DONE_WAIT_MAX	8	/* retries waiting on one request */
#define NF_DONE_HASH		1024	/* buckets of the answer table */

/* One NCIP listening socket and its HTTP server. */
struct nf_listener {
	TAILQ_ENTRY(nf_listener) entry;
	char			*address;
	int			 port;
	int			 tls;
	struct evhttp		*http;
	struct evhttp_bound_socket *bound;
	SSL_CTX			*ctx;		/* new connections use this */
	SSL_CTX			*next_ctx;	/* while a reload is checked */
	int			 next_idle;
	int			 keep;
};
TAILQ_HEAD(nf_listeners, nf_listener);

/*
 * A request that makes something (a loan, a hold) and names itself with a
 * RequestId, remembered so that a retry of it is answered as the first
 * one was instead of being carried out twice.  It is known by a digest of
 * the caller, the service, the RequestId, the item and the user, so no
 * patron identifier is kept.  While the first is in flight, retries wait
 * for its answer; once it is answered, only a successful answer is kept.
 */
struct nf_done {
	struct nf_done		*hnext;		/* digest hash chain */
	TAILQ_ENTRY(nf_done)	 entry;		/* oldest first */
	uint8_t			 key[SHA256_DIGEST_LENGTH];
	time_t			 at;
	uint64_t		 call;		/* the first, in flight; or 0 */
	uint64_t		 waiting[NF_DONE_WAIT_MAX];
	size_t			 nwaiting;
	char			*out;		/* the answer as sent */
	size_t			 outlen;
};
TAILQ_HEAD(nf_dones, nf_done);

/* One request on the endpoint, from its arrival to its answer. */
struct nf_call {
	struct nf_call		*hnext;		/* id hash chain */
	TAILQ_ENTRY(nf_call)	 entry;
	uint64_t		 id;
	struct evhttp_request	*req;
	struct ncip_dialect	 dialect;	/* the request's: answer so */
	char			 version[NCIP_VERSION_STR_MAX];
	enum ncip_service	 service;
	char			 partner[CONF_NAME_MAX];
	char			 peer[64];
	int			 text_xml;	/* it came as text/xml */
	struct timespec		 started;
	struct ncip_msg		*held;		/* answer held back a moment */
	struct event		*delay;
	struct nf_done		*done;		/* the first of its retries */
	int			 retry;		/* waits on another's answer */
};
TAILQ_HEAD(nf_calls, nf_call);

static struct nf_listeners	 nf_listeners =
    TAILQ_HEAD_INITIALIZER(nf_listeners);
static struct nf_listeners	 nf_opened = TAILQ_HEAD_INITIALIZER(nf_opened);
/* Closed listeners keep their connections until they end or we exit. */
static struct nf_listeners	 nf_retired =
    TAILQ_HEAD_INITIALIZER(nf_retired);
static struct nf_calls		 nf_calls = TAILQ_HEAD_INITIALIZER(nf_calls);
static struct nf_call		*nf_hash[NF_HASH_SIZE];
static struct nf_dones		 nf_dones = TAILQ_HEAD_INITIALIZER(nf_dones);
static struct nf_done		*nf_done_hash[NF_DONE_HASH];
static size_t			 nf_ndone;
static int			 nf_xml_ready;

static struct nf_listener *nf_open(const struct conf_listener *, char *,
		    size_t);
static void	 nf_drop(struct nf_listener *);
static SSL_CTX	*nf_tls_ctx(const struct conf_tls *, char *, size_t);
static int	 nf_verify_cb(int, X509_STORE_CTX *);
static int	 nf_pinned(X509 *);
static struct bufferevent *nf_bevcb(struct event_base *, void *);
static void	 nf_request_cb(struct evhttp_request *, void *);
static void	 nf_serve(struct nf_call *, const char *, size_t);
static int	 nf_path(const char *, const char **, size_t *);
static void	 nf_http_reply(struct evhttp_request *, int, const char *,
		    const char *);
static struct conf_partner *nf_authenticate(struct evhttp_request *,
		    const struct ncip_msg *, const char *, size_t,
		    enum ncip_problem_type *, const char **, const char **);
static int	 nf_secret_eq(const char *, const char *, size_t);
static int	 nf_peer_digest(struct evhttp_request *,
		    uint8_t [CONF_PIN_LEN]);
static struct ncip_msg *nf_lookup_version(const struct ncip_msg *);
static struct nf_call *nf_call_new(struct evhttp_request *);
static struct nf_call *nf_call_find(uint64_t);
static void	 nf_call_free(struct nf_call *);
static void	 nf_hold(struct nf_call *, struct ncip_msg *);
static void	 nf_delay_cb(evutil_socket_t, short, void *);
static int	 nf_send(struct nf_call *, struct ncip_msg *);
static int	 nf_deliver(struct nf_call *, const char *, size_t,
		    const char *);
static int	 nf_done_key(const struct conf_partner *,
		    const struct ncip_msg *, uint8_t [SHA256_DIGEST_LENGTH]);
static struct nf_done *nf_done_find(const uint8_t [SHA256_DIGEST_LENGTH],
		    time_t);
static struct nf_done *nf_done_add(const uint8_t [SHA256_DIGEST_LENGTH],
		    uint64_t, time_t);
static void	 nf_done_free(struct nf_done *);
static void	 nf_done_settle(struct nf_done *, const char *, size_t, int);
static void	 nf_log(const struct nf_call *, const char *);
static int	 nf_peer_left(struct evhttp_request *);
static void	 nf_clean(char *, size_t, const char *);

/*
 * Make the listeners match conf's ncip ones, without closing any yet:
 * those with an unchanged address, port and TLS use are kept, with fresh
 * TLS contexts so that new certificates apply to new connections.
 */
int
ncip_front_prepare(struct conf *conf, char *err, size_t errlen)
{
	struct conf_listener	*c;
	struct conf_partner	*p;
	struct nf_listener	*l;
	char			 why[256];
	int			 asks = 0;

	if (!nf_xml_ready) {
		ncip_init();
		nf_xml_ready = 1;
	}
	TAILQ_FOREACH(l, &nf_listeners, entry)
		l->keep = 0;
	TAILQ_FOREACH(c, &conf->listeners, entry) {
		if (!c->ncip)
			continue;
		TAILQ_FOREACH(l, &nf_listeners, entry)
			if (!l->keep && c->port != 0 && l->port == c->port &&
			    strcmp(l->address, c->address) == 0 &&
			    l->tls == c->tls.enabled)
				break;
		if (l == NULL) {
			if ((l = nf_open(c, err, errlen)) == NULL)
				goto fail;
			TAILQ_INSERT_TAIL(&nf_opened, l, entry);
		}
		l->keep = 1;
		l->next_idle = c->idle_timeout > 0 ? c->idle_timeout :
		    NF_IDLE_FOREVER;
		if (c->tls.enabled && (l->next_ctx = nf_tls_ctx(&c->tls, why,
		    sizeof(why))) == NULL) {
			snprintf(err, errlen, "%s:%d: %s", c->file, c->line,
			    why);
			goto fail;
		}
		if (c->tls.enabled && (c->tls.verify_peer != CONF_VERIFY_NONE ||
		    c->tls.npins > 0))
			asks = 1;
	}

	/* A mistake the configuration reader cannot see across files. */
	TAILQ_FOREACH(p, &conf->partners, entry)
		if ((p->ncip_auth & NCIP_CALLER_CERT) && !asks)
			log_warnx("partner %s: its NCIP callers need a client "
			    "certificate, but no ncip tls listener asks for "
			    "one", p->id);
	return (0);

fail:
	ncip_front_abort();
	return (-1);
}

/* Undo ncip_front_prepare(): the running listeners stay as they were. */
void
ncip_front_abort(void)
{
	struct nf_listener	*l;

	TAILQ_FOREACH(l, &nf_listeners, entry) {
		if (l->next_ctx != NULL)
			SSL_CTX_free(l->next_ctx);
		l->next_ctx = NULL;
	}
	while ((l = TAILQ_FIRST(&nf_opened)) != NULL) {
		TAILQ_REMOVE(&nf_opened, l, entry);
		if (l->next_ctx != NULL)
			SSL_CTX_free(l->next_ctx);
		l->next_ctx = NULL;
		nf_drop(l);
		evhttp_free(l->http);
		free(l->address);
		free(l);
	}
}

/* Put ncip_front_prepare() in force: close what the new conf dropped. */
void
ncip_front_commit(void)
{
	struct nf_listener	*l, *next;

	for (l = TAILQ_FIRST(&nf_listeners); l != NULL; l = next) {
		next = TAILQ_NEXT(l, entry);
		if (l->keep)
			continue;
		log_info("closing NCIP listener %s port %d", l->address,
		    l->port);
		nf_drop(l);
		TAILQ_REMOVE(&nf_listeners, l, entry);
		TAILQ_INSERT_TAIL(&nf_retired, l, entry);
	}
	TAILQ_CONCAT(&nf_listeners, &nf_opened, entry);
	TAILQ_FOREACH(l, &nf_listeners, entry) {
		if (l->ctx != NULL)
			SSL_CTX_free(l->ctx);
		l->ctx = l->next_ctx;
		l->next_ctx = NULL;
		evhttp_set_timeout(l->http, l->next_idle);
	}
}

/* Stop accepting NCIP connections; calls under way are still answered. */
void
ncip_front_close_all(void)
{
	struct nf_listener	*l;

	while ((l = TAILQ_FIRST(&nf_listeners)) != NULL) {
		nf_drop(l);
		TAILQ_REMOVE(&nf_listeners, l, entry);
		TAILQ_INSERT_TAIL(&nf_retired, l, entry);
	}
}

/*
 * Close every NCIP connection and forget every call, at exit.  Calls go
 * first: freeing a server frees the requests still on its connections.
 */
void
ncip_front_free_all(void)
{
	struct nf_call		*c;
	struct nf_done		*d;
	struct nf_listener	*l;

	while ((c = TAILQ_FIRST(&nf_calls)) != NULL) {
		/* A request whose client left belongs to nobody but us. */
		if (evhttp_request_get_connection(c->req) == NULL)
			evhttp_request_free(c->req);
		nf_log(c, "stopped");
		nf_call_free(c);
	}
	while ((d = TAILQ_FIRST(&nf_dones)) != NULL)
		nf_done_free(d);
	ncip_front_close_all();
	while ((l = TAILQ_FIRST(&nf_retired)) != NULL) {
		TAILQ_REMOVE(&nf_retired, l, entry);
		evhttp_free(l->http);
		if (l->ctx != NULL)
			SSL_CTX_free(l->ctx);
		free(l->address);
		free(l);
	}
}

/* Stop accepting on a listener; its server and connections stay. */
static void
nf_drop(struct nf_listener *l)
{
	if (l->bound != NULL)
		evhttp_del_accept_socket(l->http, l->bound);
	l->bound = NULL;
}

static struct nf_listener *
nf_open(const struct conf_listener *c, char *err, size_t errlen)
{
	struct nf_listener	*l;
	struct sockaddr_storage	 ss;
	int			 fd = -1, len, on = 1;

	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->address = strdup(c->address)) == NULL ||
	    (l->http = evhttp_new(gw->base)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	l->tls = c->tls.enabled;
	if ((len = net_sockaddr(c->address, c->port, &ss)) == -1) {
		snprintf(err, errlen, "%s:%d: listen: bad address %s",
		    c->file, c->line, c->address);
		goto fail;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(fd, 1024) == -1) {
		snprintf(err, errlen, "%s:%d: listen on %s port %d: %s",
		    c->file, c->line, c->address, c->port, strerror(errno));
		goto fail;
	}
	l->port = net_local_port(fd);

	/* Every method reaches us, so that a wrong one gets 405, not 501. */
	evhttp_set_allowed_methods(l->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_max_body_size(l->http, NCIP_BODY_MAX);
	evhttp_set_max_headers_size(l->http, NF_HEADERS_MAX);
	/* A refused oversized body is read away, so the 413 is seen. */
	evhttp_set_flags(l->http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_default_content_type(l->http, "text/plain; charset=utf-8");
	evhttp_set_gencb(l->http, nf_request_cb, l);
	if (l->tls)
		evhttp_set_bevcb(l->http, nf_bevcb, l);
	if ((l->bound = evhttp_accept_socket_with_handle(l->http, fd)) ==
	    NULL) {
		snprintf(err, errlen, "%s:%d: cannot serve HTTP on %s port %d",
		    c->file, c->line, c->address, c->port);
		goto fail;
	}
	log_info("listening on %s port %d (NCIP%s)", c->address, l->port,
	    l->tls ? ", TLS" : "");
	return (l);

fail:
	if (fd != -1)
		close(fd);
	if (l != NULL) {
		if (l->http != NULL)
			evhttp_free(l->http);
		free(l->address);
	}
	free(l);
	return (NULL);
}

/*
 * A listener's context as tls.c makes it, except that without listener
 * pins a client certificate pinned by a partner (ncip-client-pin) is
 * accepted even when no client-ca vouches for it.
 */
static SSL_CTX *
nf_tls_ctx(const struct conf_tls *t, char *err, size_t errlen)
{
	SSL_CTX	*ctx;

	if ((ctx = tls_server_ctx(t, err, errlen)) == NULL)
		return (NULL);
	if (t->npins == 0 && t->verify_peer != CONF_VERIFY_NONE)
		SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx),
		    nf_verify_cb);
	return (ctx);
}

/* Return 1 if a certificate's SHA-256 is some partner's ncip-client-pin. */
static int
nf_pinned(X509 *cert)
{
	struct conf_partner	*p;
	uint8_t			 md[EVP_MAX_MD_SIZE];
	unsigned int		 len = 0;
	int			 i, found = 0;

	if (cert == NULL || gw->conf == NULL ||
	    !X509_digest(cert, EVP_sha256(), md, &len) || len != CONF_PIN_LEN)
		return (0);
	TAILQ_FOREACH(p, &gw->conf->partners, entry)
		for (i = 0; i < p->ncip_npins; i++)
			if (auth_memcmp(md, p->ncip_pins[i], CONF_PIN_LEN) == 0)
				found = 1;
	return (found);
}

/* A chain that fails to verify is still fine when its leaf is pinned. */
static int
nf_verify_cb(int ok, X509_STORE_CTX *store)
{
	if (ok)
		return (1);
	if (nf_pinned(X509_STORE_CTX_get0_cert(store))) {
		X509_STORE_CTX_set_error(store, X509_V_OK);
		return (1);
	}
	log_trace(TRACE_TLS, "ncip: client certificate refused: %s",
	    X509_verify_cert_error_string(X509_STORE_CTX_get_error(store)));
	return (0);
}

/*
 * Every connection of a TLS listener gets its TLS layer here.  Should
 * that fail, libevent would fall back to plain HTTP: the request handler
 * refuses any request on a TLS listener that came without TLS.
 */
static struct bufferevent *
nf_bevcb(struct event_base *base, void *arg)
{
	struct nf_listener	*l = arg;
	struct bufferevent	*bev;
	SSL			*ssl;

	if (l->ctx == NULL || (ssl = SSL_new(l->ctx)) == NULL)
		return (NULL);
	bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		SSL_free(ssl);
	return (bev);
}

/*
 * Split a path into the endpoint and its token: "/ncip", "/ncip/" and
 * "/ncip/TOKEN" are ours, anything else is not.
 */
static int
nf_path(const char *path, const char **token, size_t *tokenlen)
{
	size_t	 n = sizeof(NF_PATH) - 1;

	*token = NULL;
	*tokenlen = 0;
	if (strncmp(path, NF_PATH, n) != 0)
		return (-1);
	path += n;
	if (*path == '\0' || strcmp(path, "/") == 0)
		return (0);
	if (*path++ != '/' || strchr(path, '/') != NULL)
		return (-1);
	*token = path;
	*tokenlen = strlen(path);
	return (0);
}

/* An HTTP answer that is not NCIP: 404, 405, 503. */
static void
nf_http_reply(struct evhttp_request *req, int code, const char *reason,
    const char *text)
{
	struct evbuffer	*buf = evhttp_request_get_output_buffer(req);

	evbuffer_add_printf(buf, "%d %s: %s\n", code, reason, text);
	evhttp_send_reply(req, code, reason, NULL);
}

static void
nf_peer(struct evhttp_request *req, char *out, size_t len)
{
	struct evhttp_connection	*evcon;
	char				*addr = NULL;
	ev_uint16_t			 port = 0;

	snprintf(out, len, "?");
	if ((evcon = evhttp_request_get_connection(req)) == NULL)
		return;
	evhttp_connection_get_peer(evcon, &addr, &port);
	if (addr != NULL)
		snprintf(out, len, "%s:%u", addr, (unsigned int)port);
}

/* One HTTP request on a listener: the HTTP side of it. */
static void
nf_request_cb(struct evhttp_request *req, void *arg)
{
	struct nf_listener		*l = arg;
	const struct evhttp_uri		*uri;
	struct evhttp_connection	*evcon;
	struct nf_call			*c;
	const char			*path, *token, *ctype;
	char				 peer[64];
	size_t				 tokenlen;

	nf_peer(req, peer, sizeof(peer));
	evcon = evhttp_request_get_connection(req);
	if (l->tls && (evcon == NULL || bufferevent_openssl_get_ssl(
	    evhttp_connection_get_bufferevent(evcon)) == NULL)) {
		log_warnx("ncip peer=%s event=refused why=\"no TLS layer\"",
		    peer);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Connection", "close");
		nf_http_reply(req, 503, "Service Unavailable", "try again");
		return;
	}
	uri = evhttp_request_get_evhttp_uri(req);
	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (path == NULL || nf_path(path, &token, &tokenlen) == -1) {
		/* The path may hold a mistyped token: it is not logged. */
		log_info("ncip peer=%s event=refused http=404", peer);
		nf_http_reply(req, 404, "Not Found", "the NCIP endpoint is "
		    NF_PATH);
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		log_info("ncip peer=%s event=refused http=405", peer);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "POST");
		nf_http_reply(req, 405, "Method Not Allowed", "NCIP messages "
		    "are POSTed");
		return;
	}
	if ((c = nf_call_new(req)) == NULL) {
		log_warnx("ncip peer=%s event=refused why=\"out of memory\"",
		    peer);
		nf_http_reply(req, 503, "Service Unavailable", "try again");
		return;
	}
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	ctype = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	c->text_xml = ctype != NULL && strncasecmp(ctype, "text/", 5) == 0;
	nf_serve(c, token, tokenlen);
}

/*
 * The NCIP side of a call: parse, authenticate, then answer LookupVersion
 * here and hand anything else to serve_ncip().
 */
static void
nf_serve(struct nf_call *c, const char *token, size_t tokenlen)
{
	struct evbuffer		*in = evhttp_request_get_input_buffer(c->req);
	struct conf_partner	*p;
	struct ncip_msg		*m, *resp;
	struct ncip_error	 err;
	struct nf_done		*d;
	enum ncip_problem_type	 kind;
	const char		*data, *element, *why;
	char			 agency[NCIP_ID_MAX];
	uint8_t			 key[SHA256_DIGEST_LENGTH];
	size_t			 len;
	time_t			 now;

	len = evbuffer_get_length(in);
	data = len > 0 ? (const char *)evbuffer_pullup(in, -1) : "";
	if (log_tracing(TRACE_NCIP)) {
		char	 red[NF_TRACE_MAX];

		ncip_redact(data, len, red, sizeof(red));
		log_trace(TRACE_NCIP, "ncip call=%016llx recv=\"%s\"",
		    (unsigned long long)c->id, red);
	}
	if ((m = ncip_parse(data, len, NULL, &err)) == NULL) {
		c->service = err.service;
		c->dialect = err.dialect;
		snprintf(c->version, sizeof(c->version), "%s",
		    err.version_str);
		nf_send(c, ncip_reply_error(&err));
		return;
	}
	c->service = m->service;
	c->dialect = m->dialect;
	snprintf(c->version, sizeof(c->version), "%s",
	    m->version_str != NULL ? m->version_str : "");
	if (!ncip_service_is_request(m->service)) {
		resp = ncip_reply_problem(m, NCIP_PT_UNSUPPORTED_SERVICE,
		    ncip_service_name(m->service), "not a request");
		ncip_msg_free(m);
		nf_send(c, resp);
		return;
	}

	if ((p = nf_authenticate(c->req, m, token, tokenlen, &kind, &element,
	    &why)) == NULL) {
		nf_clean(agency, sizeof(agency), m->header.from_agency.value);
		log_warnx("ncip call=%016llx peer=%s event=auth-failed "
		    "service=%s from-agency=\"%.64s\" why=\"%s\"",
		    (unsigned long long)c->id, c->peer,
		    ncip_service_name(m->service), agency, why);
		resp = ncip_reply_problem(m, kind, element, NULL);
		ncip_msg_free(m);
		nf_hold(c, resp);
		return;
	}
	snprintf(c->partner, sizeof(c->partner), "%s", p->id);
	if (m->service == NCIP_LOOKUP_VERSION) {
		resp = nf_lookup_version(m);
		ncip_msg_free(m);
		nf_send(c, resp);
		return;
	}
	if (nf_done_key(p, m, key) == 0) {
		now = time(NULL);
		if ((d = nf_done_find(key, now)) == NULL) {
			/* Without room to remember it, it is just served. */
			c->done = nf_done_add(key, c->id, now);
		} else if (d->out != NULL) {
			ncip_msg_free(m);
			nf_deliver(c, d->out, d->outlen, "ok retried");
			return;
		} else if (d->nwaiting < NF_DONE_WAIT_MAX) {
			ncip_msg_free(m);
			d->waiting[d->nwaiting++] = c->id;
			c->retry = 1;
			return;
		} else {
			resp = ncip_reply_problem(m, NCIP_PT_TEMPORARY_FAILURE,
			    NULL, "This request is already being carried out.");
			ncip_msg_free(m);
			nf_send(c, resp);
			return;
		}
	}
	serve_ncip(c->id, p, m);
}

/*
 * The digest that knows a retried request: 0 with key filled for a
 * CheckOutItem, RequestItem or AcceptItem that names itself with a
 * RequestId; -1 for any other request, which is served every time.  The
 * digest covers the caller, the service, the RequestId, the item and the
 * user's identifiers, but none of its secrets.
 */
static int
nf_done_key(const struct conf_partner *p, const struct ncip_msg *m,
    uint8_t key[SHA256_DIGEST_LENGTH])
{
	const char	*part[9];
	EVP_MD_CTX	*md;
	uint32_t	 len;
	size_t		 i, n = 0;
	int		 kind, ok = 1;

	if ((m->service != NCIP_CHECKOUT_ITEM &&
	    m->service != NCIP_REQUEST_ITEM &&
	    m->service != NCIP_ACCEPT_ITEM) ||
	    m->request_id.value == NULL || *m->request_id.value == '\0')
		return (-1);
	part[n++] = p->id;
	part[n++] = ncip_service_name(m->service);
	part[n++] = m->request_id.agency.value;
	part[n++] = m->request_id.value;
	part[n++] = m->item_id.agency.value;
	part[n++] = m->item_id.value;
	part[n++] = m->user_id.agency.value;
	part[n++] = m->user_id.value;
	if ((md = EVP_MD_CTX_new()) == NULL)
		return (-1);
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
	for (i = 0; ok && i < n; i++) {
		/* Each part with its length: "a" "bc" is not "ab" "c". */
		len = part[i] != NULL ? (uint32_t)strlen(part[i]) : UINT32_MAX;
		ok = EVP_DigestUpdate(md, &len, sizeof(len)) == 1 &&
		    (part[i] == NULL ||
		    EVP_DigestUpdate(md, part[i], len) == 1);
	}
	for (i = 0; ok && i < m->nauth; i++) {
		kind = ncip_auth_kind(&m->auth[i]);
		if (kind == NCIP_AUTH_PIN || kind == NCIP_AUTH_PASSWORD ||
		    m->auth[i].data == NULL)
			continue;
		len = (uint32_t)strlen(m->auth[i].data);
		ok = EVP_DigestUpdate(md, &len, sizeof(len)) == 1 &&
		    EVP_DigestUpdate(md, m->auth[i].data, len) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(md, key, NULL) == 1;
	EVP_MD_CTX_free(md);
	return (ok ? 0 : -1);
}

/* Find a remembered request by its digest, forgetting the stale ones. */
static struct nf_done *
nf_done_find(const uint8_t key[SHA256_DIGEST_LENGTH], time_t now)
{
	struct nf_done	*d;

	while ((d = TAILQ_FIRST(&nf_dones)) != NULL && d->call == 0 &&
	    now - d->at > NF_DONE_TTL)
		nf_done_free(d);
	for (d = nf_done_hash[key[0] | (key[1] & 0x3) << 8]; d != NULL;
	    d = d->hnext)
		if (memcmp(d->key, key, sizeof(d->key)) == 0)
			return (d);
	return (NULL);
}

/*
 * Remember a request in flight as call.  When the table is full the
 * oldest answer goes; NULL when that one is still in flight too, or on no
 * memory.
 */
static struct nf_done *
nf_done_add(const uint8_t key[SHA256_DIGEST_LENGTH], uint64_t call,
    time_t now)
{
	struct nf_done	*d;
	size_t		 i = key[0] | (key[1] & 0x3) << 8;

	if (nf_ndone >= NF_DONE_MAX) {
		if ((d = TAILQ_FIRST(&nf_dones)) == NULL || d->call != 0)
			return (NULL);
		nf_done_free(d);
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return (NULL);
	memcpy(d->key, key, sizeof(d->key));
	d->at = now;
	d->call = call;
	d->hnext = nf_done_hash[i];
	nf_done_hash[i] = d;
	TAILQ_INSERT_TAIL(&nf_dones, d, entry);
	nf_ndone++;
	return (d);
}

static void
nf_done_free(struct nf_done *d)
{
	struct nf_done	**dp;

	for (dp = &nf_done_hash[d->key[0] | (d->key[1] & 0x3) << 8];
	    *dp != NULL; dp = &(*dp)->hnext)
		if (*dp == d) {
			*dp = d->hnext;
			break;
		}
	TAILQ_REMOVE(&nf_dones, d, entry);
	nf_ndone--;
	free(d->out);
	free(d);
}

/*
 * The first of a request's retries has its answer, out: give it to the
 * retries waiting, and keep it for later ones when it says the request
 * was carried out (ok); forget the request otherwise, so that a retry
 * tries again.
 */
static void
nf_done_settle(struct nf_done *d, const char *out, size_t outlen, int ok)
{
	struct nf_call	*w;
	size_t		 i;

	d->call = 0;
	for (i = 0; i < d->nwaiting; i++)
		if ((w = nf_call_find(d->waiting[i])) != NULL)
			nf_deliver(w, out, outlen, ok ? "ok retried" :
			    "failed retried");
	d->nwaiting = 0;
	if (ok && (d->out = malloc(outlen)) != NULL) {
		memcpy(d->out, out, outlen);
		d->outlen = outlen;
	} else
		nf_done_free(d);
}

/*
 * Find who calls, by the token in the path, a pinned client certificate
 * or else the FromAgencyId; check every proof that partner requires; and
 * check that the FromAgencyId is the partner's own.  Returns the partner,
 * or NULL with the Problem to answer and why, for the audit log (no
 * secret in it).
 */
static struct conf_partner *
nf_authenticate(struct evhttp_request *req, const struct ncip_msg *m,
    const char *token, size_t tokenlen, enum ncip_problem_type *kind,
    const char **element, const char **why)
{
	struct conf_partner	*p, *by_token = NULL, *by_cert = NULL;
	struct conf_partner	*by_agency, *caller;
	const char		*agency = m->header.from_agency.value;
	const char		*proof = m->header.from_agency_auth;
	uint8_t			 md[CONF_PIN_LEN];
	int			 i;

	*kind = NCIP_PT_AGENCY_AUTH_FAILED;
	*element = NULL;
	if (token != NULL) {
		/* Every partner is compared, so timing tells nothing. */
		TAILQ_FOREACH(p, &gw->conf->partners, entry)
			if (p->ncip_token != NULL &&
			    nf_secret_eq(p->ncip_token, token, tokenlen))
				by_token = p;
		if (by_token == NULL) {
			*why = "wrong token";
			return (NULL);
		}
	}
	if (nf_peer_digest(req, md) == 0)
		TAILQ_FOREACH(p, &gw->conf->partners, entry)
			for (i = 0; i < p->ncip_npins; i++)
				if (auth_memcmp(md, p->ncip_pins[i],
				    CONF_PIN_LEN) == 0)
					by_cert = p;
	if (agency == NULL || *agency == '\0') {
		*kind = NCIP_PT_NEEDED_DATA_MISSING;
		*element = "FromAgencyId";
		*why = "no FromAgencyId";
		return (NULL);
	}
	by_agency = route_institution(gw->conf, agency);
	caller = by_token != NULL ? by_token : by_cert != NULL ? by_cert :
	    by_agency;
	if (caller == NULL) {
		*kind = NCIP_PT_UNKNOWN_AGENCY;
		*element = "FromAgencyId";
		*why = "unknown agency";
		return (NULL);
	}

	*element = "InitiationHeader";
	if (caller->ncip_auth == 0) {
		*why = "the partner has no NCIP access";
		return (NULL);
	}
	if ((caller->ncip_auth & NCIP_CALLER_TOKEN) && by_token != caller) {
		*why = "no token";
		return (NULL);
	}
	if (((caller->ncip_auth & NCIP_CALLER_CERT) && by_cert != caller) ||
	    (by_cert != NULL && by_cert != caller)) {
		*why = "no client certificate of the partner";
		return (NULL);
	}
	if ((caller->ncip_auth & NCIP_CALLER_AGENCY) && (proof == NULL ||
	    !nf_secret_eq(caller->ncip_agency_auth, proof, strlen(proof)))) {
		*element = "FromAgencyAuthentication";
		*why = proof == NULL ? "no agency authentication" :
		    "wrong agency authentication";
		return (NULL);
	}

	/* The caller is known: it may speak only for its own agencies. */
	*element = "FromAgencyId";
	if (by_agency == NULL) {
		*kind = NCIP_PT_UNKNOWN_AGENCY;
		*why = "unknown agency";
		return (NULL);
	}
	if (by_agency != caller) {
		*kind = NCIP_PT_UNAUTHORIZED_SERVICE;
		*why = "the agency of another partner";
		return (NULL);
	}
	return (caller);
}

/*
 * Compare a configured secret with what a caller sent, through their
 * SHA-256 so that neither the content nor the length shows in the time.
 */
static int
nf_secret_eq(const char *conf, const char *sent, size_t sentlen)
{
	uint8_t		 a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
	unsigned int	 alen = 0, blen = 0;

	if (!EVP_Digest(conf, strlen(conf), a, &alen, EVP_sha256(), NULL) ||
	    !EVP_Digest(sent, sentlen, b, &blen, EVP_sha256(), NULL) ||
	    alen != blen)
		return (0);
	return (auth_memcmp(a, b, alen) == 0);
}

/* The SHA-256 of the caller's verified client certificate; -1 if none. */
static int
nf_peer_digest(struct evhttp_request *req, uint8_t md[CONF_PIN_LEN])
{
	struct evhttp_connection	*evcon;
	SSL				*ssl;
	X509				*cert;
	uint8_t				 buf[EVP_MAX_MD_SIZE];
	unsigned int			 len = 0;

	if ((evcon = evhttp_request_get_connection(req)) == NULL ||
	    (ssl = bufferevent_openssl_get_ssl(
	    evhttp_connection_get_bufferevent(evcon))) == NULL ||
	    (cert = SSL_get0_peer_certificate(ssl)) == NULL ||
	    SSL_get_verify_result(ssl) != X509_V_OK ||
	    !X509_digest(cert, EVP_sha256(), buf, &len) ||
	    len != CONF_PIN_LEN)
		return (-1);
	memcpy(md, buf, CONF_PIN_LEN);
	return (0);
}

/* A caller's string for a log line: printable, no quotes, cut short. */
static void
nf_clean(char *out, size_t len, const char *s)
{
	size_t	 i;

	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < len; i++)
		out[i] = s[i] < 0x20 || s[i] == 0x7f || s[i] == '"' ||
		    s[i] == '\\' ? '?' : s[i];
	out[i] = '\0';
}

/* LookupVersion is the endpoint's own: the versions the codec speaks. */
static struct ncip_msg *
nf_lookup_version(const struct ncip_msg *req)
{
	static const char	*versions[] = {
		"1.0", "1.01", "2.0", "2.01", "2.02"
	};
	struct ncip_msg		*resp;

	if ((resp = ncip_reply_new(req)) == NULL)
		return (NULL);
	resp->versions = versions;
	resp->nversions = sizeof(versions) / sizeof(versions[0]);
	return (resp);
}

static struct nf_call *
nf_call_new(struct evhttp_request *req)
{
	struct nf_call	*c;
	size_t		 i;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	c->id = ++gw->next_sid;
	c->req = req;
	clock_gettime(CLOCK_MONOTONIC, &c->started);
	i = c->id % NF_HASH_SIZE;
	c->hnext = nf_hash[i];
	nf_hash[i] = c;
	TAILQ_INSERT_TAIL(&nf_calls, c, entry);
	return (c);
}

static struct nf_call *
nf_call_find(uint64_t id)
{
	struct nf_call	*c;

	for (c = nf_hash[id % NF_HASH_SIZE]; c != NULL; c = c->hnext)
		if (c->id == id)
			return (c);
	return (NULL);
}

static void
nf_call_free(struct nf_call *c)
{
	struct nf_call	**cp;

	for (cp = &nf_hash[c->id % NF_HASH_SIZE]; *cp != NULL;
	    cp = &(*cp)->hnext)
		if (*cp == c) {
			*cp = c->hnext;
			break;
		}
	TAILQ_REMOVE(&nf_calls, c, entry);
	if (c->done != NULL && c->done->call == c->id)
		nf_done_settle(c->done, NULL, 0, 0);
	if (c->delay != NULL)
		event_free(c->delay);
	ncip_msg_free(c->held);
	free(c);
}

/* A failed authentication is answered after a small random delay. */
static void
nf_hold(struct nf_call *c, struct ncip_msg *resp)
{
	struct timeval	 tv;
	long		 ms;

	c->held = resp;
	if ((c->delay = evtimer_new(gw->base, nf_delay_cb, c)) == NULL) {
		c->held = NULL;
		nf_send(c, resp);
		return;
	}
	ms = NF_FAIL_DELAY_MIN + arc4random_uniform(NF_FAIL_DELAY_RAND);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->delay, &tv);
}

static void
nf_delay_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct nf_call	*c = arg;
	struct ncip_msg	*resp = c->held;

	c->held = NULL;
	nf_send(c, resp);
}

/* Answer an NCIP call; returns -1 when it is gone. */
int
ncip_front_answer(uint64_t id, struct ncip_msg *resp)
{
	struct nf_call	*c;

	if ((c = nf_call_find(id)) == NULL || c->held != NULL) {
		ncip_msg_free(resp);
		return (-1);
	}
	return (nf_send(c, resp));
}

/* A Problem of our own when the answer cannot be built. */
static struct ncip_msg *
nf_failure(const struct nf_call *c)
{
	struct ncip_msg		*m;
	enum ncip_service	 svc = NCIP_PROBLEM;

	if (ncip_service_is_request(c->service))
		svc = ncip_service_info(c->service)->response;
	if ((m = ncip_msg_new(svc)) == NULL)
		return (NULL);
	if (ncip_msg_add_problem(m, NCIP_PT_TEMPORARY_FAILURE, NULL, NULL,
	    "the answer could not be written", NULL) == -1) {
		ncip_msg_free(m);
		return (NULL);
	}
	return (m);
}

/*
 * Build resp (which this takes) in the dialect and version of the call's
 * request, send it with HTTP 200, log the call and forget it.  The
 * retries of the call get the same answer.  Returns -1 when the caller
 * has left.
 */
static int
nf_send(struct nf_call *c, struct ncip_msg *resp)
{
	struct ncip_error	 err;
	struct ncip_dialect	 d = c->dialect;
	char			*out = NULL, result[96];
	size_t			 outlen = 0;
	int			 rc;

	d.version_str = c->version[0] != '\0' ? c->version : NULL;
	/*
	 * XXX The codec writes no Problem inside a LookupVersionResponse;
	 * a failed LookupVersion gets a bare Problem instead.
	 */
	if (resp != NULL && resp->service == NCIP_LOOKUP_VERSION_RESP &&
	    resp->nproblems > 0)
		resp->service = NCIP_PROBLEM;
	/* A request the ILS carried out is remembered even if its caller left. */
	if (evhttp_request_get_connection(c->req) == NULL && c->done == NULL) {
		ncip_msg_free(resp);
		evhttp_request_free(c->req);
		nf_log(c, "gone");
		nf_call_free(c);
		return (-1);
	}
	if (resp == NULL || ncip_build(resp, &d, &out, &outlen, &err) == -1) {
		log_warnx("ncip call=%016llx event=unencodable service=%s "
		    "element=\"%s\"", (unsigned long long)c->id,
		    resp != NULL ? ncip_service_name(resp->service) : "-",
		    resp != NULL ? err.element : "out of memory");
		ncip_msg_free(resp);
		if ((resp = nf_failure(c)) == NULL ||
		    ncip_build(resp, &d, &out, &outlen, &err) == -1) {
			ncip_msg_free(resp);
			if (c->done != NULL)
				nf_done_settle(c->done, NULL, 0, 0);
			c->done = NULL;
			if (evhttp_request_get_connection(c->req) == NULL) {
				evhttp_request_free(c->req);
				nf_log(c, "gone");
			} else {
				nf_http_reply(c->req, 503,
				    "Service Unavailable", "try again");
				nf_log(c, "unencodable");
			}
			nf_call_free(c);
			return (0);
		}
	}
	if (resp->nproblems == 0)
		snprintf(result, sizeof(result), "ok");
	else
		snprintf(result, sizeof(result), "%s",
		    resp->problems[0].kind == NCIP_PT_OTHER &&
		    resp->problems[0].type.value != NULL ?
		    resp->problems[0].type.value :
		    ncip_problem_name(resp->problems[0].kind));
	if (c->done != NULL)
		nf_done_settle(c->done, out, outlen, resp->nproblems == 0);
	c->done = NULL;
	ncip_msg_free(resp);
	rc = nf_deliver(c, out, outlen, result);
	free(out);
	return (rc);
}

/*
 * Send an answer already built, out (NULL when none could be: 503), with
 * HTTP 200, log the call as result and forget it.  Returns -1 when the
 * caller has left.
 */
static int
nf_deliver(struct nf_call *c, const char *out, size_t outlen,
    const char *result)
{
	struct evbuffer	*buf;
	int		 left;

	if (evhttp_request_get_connection(c->req) == NULL) {
		evhttp_request_free(c->req);
		nf_log(c, "gone");
		nf_call_free(c);
		return (-1);
	}
	if (out == NULL) {
		nf_http_reply(c->req, 503, "Service Unavailable", "try again");
		nf_log(c, "unencodable");
		nf_call_free(c);
		return (0);
	}
	/*
	 * A caller that hung up still gets the bytes: writing them is what
	 * makes libevent notice and close the connection.
	 */
	left = nf_peer_left(c->req);
	if (log_tracing(TRACE_NCIP)) {
		char	 red[NF_TRACE_MAX];

		ncip_redact(out, outlen, red, sizeof(red));
		log_trace(TRACE_NCIP, "ncip call=%016llx send=\"%s\"",
		    (unsigned long long)c->id, red);
	}
	buf = evhttp_request_get_output_buffer(c->req);
	if (evbuffer_add(buf, out, outlen) == -1) {
		nf_http_reply(c->req, 503, "Service Unavailable", "try again");
		nf_log(c, "out of memory");
		nf_call_free(c);
		return (0);
	}
	evhttp_add_header(evhttp_request_get_output_headers(c->req),
	    "Content-Type", c->text_xml ? "text/xml; charset=utf-8" :
	    "application/xml; charset=utf-8");
	evhttp_send_reply(c->req, 200, "OK", NULL);
	nf_log(c, left ? "gone" : result);
	nf_call_free(c);
	return (left ? -1 : 0);
}

/*
 * Return 1 if the caller has hung up while its request waited: libevent
 * reads nothing then, so the socket is asked directly.
 */
static int
nf_peer_left(struct evhttp_request *req)
{
	struct evhttp_connection	*evcon;
	struct pollfd			 pfd;

	if ((evcon = evhttp_request_get_connection(req)) == NULL)
		return (1);
	pfd.fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
	pfd.events = POLLRDHUP;
	pfd.revents = 0;
	if (pfd.fd == -1 || poll(&pfd, 1, 0) != 1)
		return (0);
	return ((pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0);
}

/* The one line of a call: who, which service, how it ended, how long. */
static void
nf_log(const struct nf_call *c, const char *result)
{
	struct timespec	 now;
	long		 us;

	if (!log_level_on(LOG_INFO))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	us = (now.tv_sec - c->started.tv_sec) * 1000000L +
	    (now.tv_nsec - c->started.tv_nsec) / 1000;
	log_info("ncip call=%016llx peer=%s partner=%s service=%s "
	    "result=\"%s\" us=%ld", (unsigned long long)c->id, c->peer,
	    c->partner[0] != '\0' ? c->partner : "-",
	    c->service != NCIP_SVC_NONE ? ncip_service_name(c->service) : "-",
	    result, us);
}
