/* SPDX-License-Identifier: ISC */
/*
 * The simulated ILS's NCIP transport: HTTP and HTTPS listeners on libevent's
 * evhttp, each POSTed body handed to the NCIP responder, and the same
 * faults the SIP2 front injects.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

#include "ilssim.h"

#define HEADERS_MAX	16384		/* bytes of request headers */
#define IDLE_SECS	60		/* keep-alive connections time out */
#define SWEEP_MS	200		/* held requests' peers checked */

/* One NCIP listening socket; its address keeps the port for reopening. */
struct http_listener {
	struct ilssim_http		*h;
	int				 tls;
	struct sockaddr_storage		 ss;
	socklen_t			 sslen;
	struct evhttp_bound_socket	*bound;
	struct event			*retry;	/* out of descriptors */
};

/* What is to become of a request held back by a fault. */
enum hold_kind {
	HOLD_DELAY,		/* carried out when the delay is over */
	HOLD_HANG,		/* never answered */
	HOLD_DROP,		/* its connection is closed next turn */
};

/* A request held back by a fault. */
struct held {
	TAILQ_ENTRY(held)		 entry;
	struct ilssim_http		*h;
	enum hold_kind			 kind;
	struct evhttp_request		*req;	/* NULL once the peer is gone */
	struct evhttp_connection	*evcon;
	struct event			*timer;
	char				*uri;
	char				*body;
	size_t				 len;
};

/* The NCIP front. */
struct ilssim_http {
	struct ilssim_server		*srv;
	struct evhttp			*plain;
	struct evhttp			*tls;
	struct http_listener		*ls;
	size_t				 nls;
	struct event			*sweep;
	TAILQ_HEAD(, held)		 held;
};

/*
 * A listener's error callback gets evhttp's argument, not ours: this finds
 * the front.  There is one per process.
 */
static struct ilssim_http	*front;

static void	http_request_cb(struct evhttp_request *, void *);
static void	http_dispatch(struct ilssim_http *, struct evhttp_request *,
		    const char *, const char *, size_t, int);

/* --- connections ------------------------------------------------------ */

/* Every connection gets its bufferevent here; TLS ones an SSL one. */
static struct bufferevent *
http_bev_cb(struct event_base *base, void *arg)
{
	struct ilssim_http	*h = arg;
	struct bufferevent	*bev;
	SSL			*ssl;

	h->srv->stats.ncip_conns++;
	if ((ssl = SSL_new(h->srv->ssl)) == NULL)
		return NULL;
	if ((bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	/* An initiator that just closes its socket has left. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

static struct bufferevent *
http_plain_bev_cb(struct event_base *base, void *arg)
{
	struct ilssim_http	*h = arg;

	h->srv->stats.ncip_conns++;
	return bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
}

static void
held_free(struct held *e)
{
	TAILQ_REMOVE(&e->h->held, e, entry);
	if (e->timer != NULL)
		event_free(e->timer);
	free(e->uri);
	free(e->body);
	free(e);
}

/*
 * libevent frees a connection (and its request) itself only at the end;
 * a held request on it is forgotten, not freed twice.
 */
static void
http_close_cb(struct evhttp_connection *evcon, void *arg)
{
	struct ilssim_http	*h = arg;
	struct held		*e, *next;

	for (e = TAILQ_FIRST(&h->held); e != NULL; e = next) {
		next = TAILQ_NEXT(e, entry);
		if (e->evcon != evcon)
			continue;
		e->req = NULL;
		e->evcon = NULL;
		if (e->kind != HOLD_DELAY)
			held_free(e);
	}
}

/*
 * While a request is held evhttp reads nothing more from its socket, so
 * it would never see the peer leave: look at the socket instead.  A peer
 * that only shut down its sending side looks the same; only requests that
 * are never answered are swept on that ground.
 */
static int
peer_gone(struct evhttp_connection *evcon)
{
	struct bufferevent	*bev;
	struct pollfd		 pfd;
#ifndef POLLRDHUP
	char			 c;
#endif

	if ((bev = evhttp_connection_get_bufferevent(evcon)) == NULL ||
	    (pfd.fd = bufferevent_getfd(bev)) == -1)
		return 1;
#ifdef POLLRDHUP
	pfd.events = POLLRDHUP;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) == 1)
		return (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
	return 0;
#else
	return recv(pfd.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
#endif
}

/* Close the connections of held requests whose peers have gone. */
static void
http_sweep_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ilssim_http		*h = arg;
	struct held			*e, *next;
	struct evhttp_connection	*evcon;
	struct timeval			 tv = { 0, SWEEP_MS * 1000 };

	for (e = TAILQ_FIRST(&h->held); e != NULL; e = next) {
		next = TAILQ_NEXT(e, entry);
		if (e->req == NULL || e->kind != HOLD_HANG ||
		    !peer_gone(e->evcon))
			continue;
		evcon = e->evcon;
		held_free(e);
		/* The held request goes with its connection. */
		evhttp_connection_free(evcon);
		next = TAILQ_FIRST(&h->held);
	}
	TAILQ_FOREACH(e, &h->held, entry)
		if (e->kind == HOLD_HANG) {
			evtimer_add(h->sweep, &tv);
			break;
		}
}

static void
held_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct held			*e = arg;
	struct ilssim_http		*h = e->h;
	struct evhttp_request		*req = e->req;
	struct evhttp_connection	*evcon = e->evcon;
	enum hold_kind			 kind = e->kind;
	char				*uri = e->uri, *body = e->body;
	size_t				 len = e->len;

	e->uri = e->body = NULL;
	held_free(e);
	if (kind == HOLD_DROP) {
		if (req != NULL)
			evhttp_connection_free(evcon);
	} else
		http_dispatch(h, req, uri, body, len, 1);
	free(uri);
	free(body);
}

/* Hold a request back: for a delay (ms), until it is dropped, or for ever. */
static void
held_new(struct ilssim_http *h, struct evhttp_request *req,
    enum hold_kind kind, unsigned ms)
{
	struct evbuffer		*in = evhttp_request_get_input_buffer(req);
	struct held		*e;
	struct timeval		 tv, sw = { 0, SWEEP_MS * 1000 };
	const char		*uri = evhttp_request_get_uri(req);

	if ((e = calloc(1, sizeof(*e))) == NULL)
		goto fail;
	e->h = h;
	e->kind = kind;
	e->req = req;
	e->evcon = evhttp_request_get_connection(req);
	TAILQ_INSERT_TAIL(&h->held, e, entry);
	if (kind == HOLD_DELAY) {
		e->len = evbuffer_get_length(in);
		if ((e->uri = strdup(uri != NULL ? uri : "/")) == NULL ||
		    (e->body = malloc(e->len + 1)) == NULL ||
		    evbuffer_copyout(in, e->body, e->len) != (ev_ssize_t)e->len)
			goto fail;
	}
	if (kind != HOLD_HANG) {
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		if ((e->timer = evtimer_new(h->srv->base, held_timer_cb,
		    e)) == NULL || evtimer_add(e->timer, &tv) == -1)
			goto fail;
	}
	if (kind == HOLD_HANG && !evtimer_pending(h->sweep, NULL))
		evtimer_add(h->sweep, &sw);
	return;

fail:
	if (e != NULL && e->h != NULL)
		held_free(e);
	else
		free(e);
	evhttp_send_error(req, 500, "Out of memory");
}

/* --- answering -------------------------------------------------------- */

/* Answer with bytes no XML parser accepts, as 200 or as 500. */
static void
http_garbage(struct ilssim_http *h, struct evhttp_request *req)
{
	static const char	 set[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ#@!%&*~^ ";
	struct evbuffer		*out = evhttp_request_get_output_buffer(req);
	char			 buf[96];
	size_t			 i, n;
	unsigned		 r;

	r = (unsigned)random();
	n = 16 + r % 64;
	for (i = 0; i < n; i++)
		buf[i] = set[(unsigned)random() % (sizeof(set) - 1)];
	evbuffer_add(out, buf, n);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/xml; charset=UTF-8");
	if (r & 0x100)
		evhttp_send_reply(req, 500, "Internal Server Error", NULL);
	else
		evhttp_send_reply(req, 200, "OK", NULL);
}

static void
free_body(const void *data, size_t len, void *arg)
{
	free((void *)(uintptr_t)data);
}

/* Carry a request out and, when its connection is still there, answer. */
static void
http_answer(struct ilssim_http *h, struct evhttp_request *req,
    const char *uri, const char *body, size_t len)
{
	struct ilssim_server		*srv = h->srv;
	struct ilssim_ncip_answer	 a;
	struct evbuffer			*out;

	if (ilssim_ncip_handle(srv, uri, body, len, &a) == -1) {
		if (req != NULL)
			evhttp_send_error(req, 500, "Out of memory");
		return;
	}
	if (srv->verbose)
		ilssim_log("event=ncip service=%s result=\"%s\" status=%d "
		    "bytes=%zu", a.service != NCIP_SVC_NONE ?
		    ncip_service_name(a.service) : "-",
		    a.problem == NCIP_PT_NONE ? "ok" :
		    a.problem == NCIP_PT_OTHER ? "other" :
		    ncip_problem_name(a.problem), a.status, a.len);
	if (req == NULL) {
		/* The initiator gave up; what it asked for is done anyway. */
		free(a.body);
		return;
	}
	out = evhttp_request_get_output_buffer(req);
	if (evbuffer_add_reference(out, a.body, a.len, free_body,
	    NULL) == -1) {
		free(a.body);
		evhttp_send_error(req, 500, "Out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", a.content_type);
	evhttp_send_reply(req, a.status, a.status == 200 ? "OK" :
	    a.status == 403 ? "Forbidden" : "Error", NULL);
}

/*
 * Return 1 if a fault limited to the service named only ("": every
 * request) applies to a request: one with an element of that name, with
 * or without a namespace prefix.
 */
static int
http_names(const char *only, const char *body, size_t len)
{
	const char	*p = body, *end = body + len, *name, *colon;
	size_t		 n = strlen(only);

	if (n == 0)
		return 1;
	while ((p = memchr(p, '<', end - p)) != NULL) {
		name = ++p;
		while (p < end && *p != '>' && *p != ' ' && *p != '/' &&
		    *p != ':')
			p++;
		colon = p < end && *p == ':' ? p : NULL;
		if (colon != NULL) {
			name = ++p;
			while (p < end && *p != '>' && *p != ' ' && *p != '/')
				p++;
		}
		if ((size_t)(p - name) == n && memcmp(name, only, n) == 0)
			return 1;
	}
	return 0;
}

/*
 * Deal with one request under the current faults; delayed is set when
 * its delay is over (it is not delayed twice).
 */
static void
http_dispatch(struct ilssim_http *h, struct evhttp_request *req,
    const char *uri, const char *body, size_t len, int delayed)
{
	struct ilssim_server	*srv = h->srv;

	if (req != NULL) {
		switch (srv->mode) {
		case ILSSIM_MODE_DROP:
			held_new(h, req, HOLD_DROP, 0);
			return;
		case ILSSIM_MODE_HANG:
			held_new(h, req, HOLD_HANG, 0);
			return;
		default:
			break;
		}
		if (srv->delay_ms > 0 && !delayed &&
		    http_names(srv->delay_only, body, len)) {
			held_new(h, req, HOLD_DELAY, srv->delay_ms);
			return;
		}
		/* Carried out, and its connection closed unanswered. */
		if (srv->lose_only[0] != '\0' &&
		    http_names(srv->lose_only, body, len)) {
			http_answer(h, NULL, uri, body, len);
			held_new(h, req, HOLD_DROP, 0);
			return;
		}
		if (srv->mode == ILSSIM_MODE_GARBAGE) {
			http_garbage(h, req);
			return;
		}
	}
	http_answer(h, req, uri, body, len);
}

static void
http_request_cb(struct evhttp_request *req, void *arg)
{
	struct ilssim_http		*h = arg;
	struct evhttp_connection	*evcon;
	struct evbuffer			*in;
	const char			*uri, *body;
	size_t				 len;

	h->srv->stats.ncip_requests++;
	if ((evcon = evhttp_request_get_connection(req)) != NULL)
		evhttp_connection_set_closecb(evcon, http_close_cb, h);
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "POST");
		evbuffer_add_printf(evhttp_request_get_output_buffer(req),
		    "NCIP messages are POSTed here.\n");
		evhttp_send_reply(req, 405, "Method Not Allowed", NULL);
		return;
	}
	if ((uri = evhttp_request_get_uri(req)) == NULL)
		uri = "/";
	in = evhttp_request_get_input_buffer(req);
	len = evbuffer_get_length(in);
	body = len > 0 ? (const char *)evbuffer_pullup(in, -1) : "";
	if (body == NULL) {
		evhttp_send_error(req, 500, "Out of memory");
		return;
	}
	http_dispatch(h, req, uri, body, len, 0);
}

/* --- listeners -------------------------------------------------------- */

static void
accept_retry_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct http_listener	*l = arg;

	if (l->bound != NULL)
		evconnlistener_enable(evhttp_bound_socket_get_listener(
		    l->bound));
}

/* Out of descriptors, stop accepting for a second rather than spin. */
static void
accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct http_listener	*l;
	struct timeval		 tv = { 1, 0 };
	size_t			 i;
	int			 e = errno;

	ilssim_log("event=accept-error listener=ncip error=\"%s\"",
	    strerror(e));
	if (e != EMFILE && e != ENFILE && e != ENOBUFS && e != ENOMEM)
		return;
	for (i = 0; front != NULL && i < front->nls; i++) {
		l = &front->ls[i];
		if (l->bound != NULL &&
		    evhttp_bound_socket_get_listener(l->bound) == lev) {
			evconnlistener_disable(lev);
			evtimer_add(l->retry, &tv);
		}
	}
}

static int
listener_open(struct http_listener *l)
{
	struct ilssim_http	*h = l->h;
	struct evconnlistener	*lev;
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	if (l->retry == NULL && (l->retry = evtimer_new(h->srv->base,
	    accept_retry_cb, l)) == NULL)
		return -1;
	lev = evconnlistener_new_bind(h->srv->base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    1024, (struct sockaddr *)&l->ss, (int)l->sslen);
	if (lev == NULL)
		return -1;
	evconnlistener_set_error_cb(lev, accept_error_cb);
	if ((l->bound = evhttp_bind_listener(l->tls ? h->tls : h->plain,
	    lev)) == NULL) {
		evconnlistener_free(lev);
		return -1;
	}
	/* Keep the port the kernel chose so that reopening finds it. */
	if (getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&ss,
	    &len) == 0 && len <= sizeof(l->ss)) {
		memcpy(&l->ss, &ss, len);
		l->sslen = len;
	}
	return 0;
}

static void
listener_close(struct http_listener *l)
{
	if (l->retry != NULL)
		event_del(l->retry);
	if (l->bound == NULL)
		return;
	evhttp_del_accept_socket(l->tls ? l->h->tls : l->h->plain, l->bound);
	l->bound = NULL;
}

static int
listener_port(const struct http_listener *l)
{
	if (l->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&l->ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&l->ss)->sin_port);
}

static struct evhttp *
http_new(struct ilssim_http *h, int tls)
{
	struct evhttp	*http;

	if ((http = evhttp_new(h->srv->base)) == NULL)
		return NULL;
	evhttp_set_gencb(http, http_request_cb, h);
	evhttp_set_bevcb(http, tls ? http_bev_cb : http_plain_bev_cb, h);
	evhttp_set_max_body_size(http, NCIP_BODY_MAX);
	evhttp_set_max_headers_size(http, HEADERS_MAX);
	evhttp_set_timeout(http, IDLE_SECS);
	/* An oversized body is read to its end before the 413 goes out. */
	evhttp_set_flags(http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_POST | EVHTTP_REQ_GET |
	    EVHTTP_REQ_HEAD);
	return http;
}

/* Open the NCIP listeners the arguments ask for. */
int
ilssim_http_start(struct ilssim_server *srv, struct ilssim_listen_arg *args,
    size_t nargs, char *err, size_t errlen)
{
	struct ilssim_http	*h;
	struct http_listener	*l;
	size_t			 i, n = 0;
	int			 tls = 0, plain = 0;

	for (i = 0; i < nargs; i++) {
		if (!args[i].ncip)
			continue;
		n++;
		tls |= args[i].tls;
		plain |= !args[i].tls;
	}
	if (n == 0)
		return 0;
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->ls = calloc(n, sizeof(*h->ls))) == NULL) {
		free(h);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h->srv = srv;
	TAILQ_INIT(&h->held);
	srv->http = h;
	front = h;
	srandom((unsigned)time(NULL) ^ ((unsigned)getpid() << 8));
	if ((h->sweep = evtimer_new(srv->base, http_sweep_cb, h)) == NULL ||
	    (plain && (h->plain = http_new(h, 0)) == NULL) ||
	    (tls && (h->tls = http_new(h, 1)) == NULL)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < nargs; i++) {
		if (!args[i].ncip)
			continue;
		l = &h->ls[h->nls];
		l->h = h;
		l->tls = args[i].tls;
		if (ilssim_net_resolve(args[i].host, args[i].port, &l->ss,
		    &l->sslen, err, errlen) == -1)
			return -1;
		if (listener_open(l) == -1) {
			snprintf(err, errlen, "%s:%s: %s", args[i].host,
			    args[i].port, strerror(errno));
			return -1;
		}
		h->nls++;
	}
	return 0;
}

/* Write the NCIP listeners' ports to a port file. */
void
ilssim_http_portfile(struct ilssim_server *srv, FILE *fp)
{
	struct ilssim_http	*h = srv->http;
	size_t			 i;

	for (i = 0; h != NULL && i < h->nls; i++)
		fprintf(fp, "%s %d\n", h->ls[i].tls ? "ncips" : "ncip",
		    listener_port(&h->ls[i]));
}

/* Close or reopen the NCIP listening sockets, for the refuse fault. */
int
ilssim_http_listen(struct ilssim_server *srv, int open, char *err,
    size_t errlen)
{
	struct ilssim_http	*h = srv->http;
	size_t			 i;

	for (i = 0; h != NULL && i < h->nls; i++) {
		if (!open) {
			listener_close(&h->ls[i]);
			continue;
		}
		if (h->ls[i].bound != NULL)
			continue;
		if (listener_open(&h->ls[i]) == -1) {
			snprintf(err, errlen, "cannot reopen port %d: %s",
			    listener_port(&h->ls[i]), strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Free the NCIP front and everything it holds. */
void
ilssim_http_stop(struct ilssim_server *srv)
{
	struct ilssim_http	*h = srv->http;
	struct held		*e;
	size_t			 i;

	if (h == NULL)
		return;
	for (i = 0; i < h->nls; i++)
		if (h->ls[i].retry != NULL)
			event_free(h->ls[i].retry);
	/* evhttp_free() frees the connections and the requests on them. */
	while ((e = TAILQ_FIRST(&h->held)) != NULL)
		held_free(e);
	if (h->plain != NULL)
		evhttp_free(h->plain);
	if (h->tls != NULL)
		evhttp_free(h->tls);
	if (h->sweep != NULL)
		event_free(h->sweep);
	free(h->ls);
	free(h);
	srv->http = NULL;
	front = NULL;
}
