/* SPDX-License-Identifier: ISC */
/*
 * SIP2 backends: for each partner a pool of persistent, logged-in client
 * connections to its ILS, one request outstanding on each, a queue when all
 * are busy, a deadline per request and reconnection with backoff.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/queue.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <openssl/ssl.h>

#include "circlinkd.h"

#define BACKOFF_MIN_MS		100
#define BACKOFF_MAX_MS		30000

enum bconn_state {
	BC_DOWN,		/* waiting for the reconnect timer */
	BC_CONNECTING,
	BC_LOGIN,		/* 93 sent, waiting for 94 */
	BC_READY,
	BC_BUSY,		/* one request outstanding */
	BC_PROBE,		/* idle, 99 sent to see the ILS is alive */
};

/* One connection of a pool. */
struct bconn {
	struct backend		*be;
	int			 index;
	enum bconn_state	 state;
	struct bufferevent	*bev;
	struct event		*timer;	/* deadlines, probes */
	struct sip2_framer	 framer;
	struct breq		*cur;
	int			 seq;
	int			 failures;
	time_t			 last_used;	/* for the keepalive */
};

/* One call waiting for, or on, a connection. */
struct breq {
	TAILQ_ENTRY(breq)	 entry;
	struct backend		*be;
	struct bconn		*conn;
	uint64_t		 sid;
	uint32_t		 txn;
	backend_cb		 cb;
	struct sip2_msg		*msg;
	int			 expect;
	int			 resent;
	struct event		 deadline;
};
TAILQ_HEAD(breqs, breq);

struct backend {
	struct event_base	*base;
	char			*partner;	/* id, for logs */
	char			*name;	/* for screen messages */
	struct conf_backend	 conf;	/* own copy of the strings */
	SSL_CTX			*ssl_ctx;
	struct sockaddr_storage	 ss;
	int			 sslen;
	struct bconn		*conns;
	int			 nconns;
	struct breqs		 queue;
	int			 queued;
	int			 up;	/* connections logged in */
	int			 offline; /* last attempts all failed */
	int			 draining;	/* replaced by a reload */
	const struct timeval	*tv_deadline;	/* common timeout */
	uint64_t		 calls, failures;
};

static void	 bconn_connect(struct bconn *);
static void	 bconn_close(struct bconn *, const char *);
static void	 bconn_retry(struct bconn *);
static void	 bconn_timer_cb(evutil_socket_t, short, void *);
static void	 bconn_read_cb(struct bufferevent *, void *);
static void	 bconn_event_cb(struct bufferevent *, short, void *);
static int	 bconn_send(struct bconn *, struct sip2_msg *);
static void	 bconn_login_reply(struct bconn *, const char *, size_t);
static void	 bconn_reply(struct bconn *, const char *, size_t);
static void	 bconn_probe_reply(struct bconn *, const char *, size_t);
static void	 backend_dispatch(struct backend *);
static void	 breq_finish(struct breq *, struct sip2_msg *, const char *);
static void	 breq_deadline_cb(evutil_socket_t, short, void *);
static void	 backend_maybe_free(struct backend *);
static void	 bconn_ready(struct bconn *);
static void	 bconn_probe(struct bconn *);
static void	 bconn_keepalive(struct bconn *);

static char *
xstrdup_or_null(const char *s)
{
	return (s == NULL ? NULL : strdup(s));
}

/*
 * Make the backend of a partner and start connecting its pool.  Returns
 * NULL with a message in err.  The backend copies what it needs: the
 * configuration may be freed afterwards.
 */
struct backend *
backend_new(struct event_base *base, const struct conf_partner *p,
    char *err, size_t errlen)
{
	struct backend		*be;
	const struct conf_backend *c = &p->backend;
	struct timeval		 tv;
	int			 i;

	if ((be = calloc(1, sizeof(*be))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	be->base = base;
	TAILQ_INIT(&be->queue);
	be->partner = strdup(p->id);
	be->name = strdup(p->name != NULL ? p->name : p->id);
	be->conf = *c;
	be->conf.address = xstrdup_or_null(c->address);
	be->conf.login = xstrdup_or_null(c->login);
	be->conf.password = xstrdup_or_null(c->password);
	be->conf.location = xstrdup_or_null(c->location);
	memset(&be->conf.tls, 0, sizeof(be->conf.tls));
	if ((be->sslen = net_sockaddr(c->address, c->port, &be->ss)) == -1) {
		snprintf(err, errlen, "partner %s: bad backend address %s",
		    p->id, c->address);
		goto fail;
	}
	if (c->tls.enabled) {
		be->conf.tls.enabled = 1;
		be->conf.tls.server_name = xstrdup_or_null(
		    c->tls.server_name);
		be->conf.tls.npins = c->tls.npins;
		memcpy(be->conf.tls.pins, c->tls.pins, sizeof(c->tls.pins));
		if ((be->ssl_ctx = tls_client_ctx(&c->tls, err, errlen)) ==
		    NULL)
			goto fail;
	}
	tv.tv_sec = c->timeout_ms / 1000;
	tv.tv_usec = (c->timeout_ms % 1000) * 1000;
	be->tv_deadline = event_base_init_common_timeout(base, &tv);
	if ((be->conns = calloc(c->pool > 0 ? c->pool : 1,
	    sizeof(*be->conns))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	be->nconns = c->pool > 0 ? c->pool : 1;
	for (i = 0; i < be->nconns; i++) {
		be->conns[i].be = be;
		be->conns[i].index = i;
		be->conns[i].timer = evtimer_new(base, bconn_timer_cb,
		    &be->conns[i]);
		if (be->conns[i].timer == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	for (i = 0; i < be->nconns; i++)
		bconn_connect(&be->conns[i]);
	return (be);

fail:
	backend_free(be, 1);
	return (NULL);
}

/*
 * Retire a backend.  Queued calls fail at once; calls on the wire finish or
 * time out, then the backend frees itself, or, with now set (at exit),
 * they fail too and it is freed before this returns.
 */
void
backend_free(struct backend *be, int now)
{
	struct breq	*r;
	int		 i;

	if (be == NULL)
		return;
	be->draining = 1;
	while ((r = TAILQ_FIRST(&be->queue)) != NULL)
		breq_finish(r, NULL, "the partner's connection was"
		    " reconfigured");
	for (i = 0; now && i < be->nconns; i++)
		if (be->conns[i].cur != NULL)
			breq_finish(be->conns[i].cur, NULL, "stopping");
	backend_maybe_free(be);
}

static void
backend_maybe_free(struct backend *be)
{
	int	 i;

	if (!be->draining)
		return;
	for (i = 0; i < be->nconns; i++)
		if (be->conns[i].cur != NULL)
			return;
	for (i = 0; i < be->nconns; i++) {
		if (be->conns[i].bev != NULL)
			bufferevent_free(be->conns[i].bev);
		if (be->conns[i].timer != NULL)
			event_free(be->conns[i].timer);
	}
	free(be->conns);
	if (be->ssl_ctx != NULL)
		SSL_CTX_free(be->ssl_ctx);
	free(be->partner);
	free(be->name);
	free(be->conf.address);
	free(be->conf.login);
	if (be->conf.password != NULL) {
		explicit_bzero(be->conf.password, strlen(be->conf.password));
		free(be->conf.password);
	}
	free(be->conf.location);
	free(be->conf.tls.server_name);
	free(be);
}

/* Return 1 when at least one connection is logged in to the ILS. */
int
backend_up(const struct backend *be)
{
	return (be->up > 0);
}

/* Return the partner's display name, for screen messages. */
const char *
backend_name(const struct backend *be)
{
	return (be->name);
}

/* Return how many calls wait for a connection. */
int
backend_queued(const struct backend *be)
{
	return (be->queued);
}

/*
 * Send a request to the partner's ILS.  Returns 0 when the call is under
 * way: the backend has msg, and cb runs exactly once, later, handing msg
 * back with the reply or an error.  Returns -1 with *why set when the
 * call cannot be made now (partner offline, queue full); cb is not called
 * and msg stays the caller's.
 */
int
backend_call(struct backend *be, struct sip2_msg *msg, uint64_t sid,
    uint32_t txn, backend_cb cb, const char **why)
{
	const struct sip2_spec	*spec = sip2_msg_spec(msg);
	struct breq		*r;

	if (be->draining || (be->up == 0 && be->offline)) {
		*why = "offline";
		goto refuse;
	}
	if (be->queued >= be->conf.queue_max) {
		*why = "busy";
		goto refuse;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		*why = "out of memory";
		goto refuse;
	}
	r->be = be;
	r->sid = sid;
	r->txn = txn;
	r->cb = cb;
	r->msg = msg;
	r->expect = spec != NULL ? spec->response : 0;
	event_assign(&r->deadline, be->base, -1, 0, breq_deadline_cb, r);
	event_add(&r->deadline, be->tv_deadline);
	TAILQ_INSERT_TAIL(&be->queue, r, entry);
	be->queued++;
	be->calls++;
	backend_dispatch(be);
	return (0);

refuse:
	be->failures++;
	return (-1);
}

static void
backend_dispatch(struct backend *be)
{
	struct breq	*r;
	int		 i;

	for (i = 0; i < be->nconns && !TAILQ_EMPTY(&be->queue); i++) {
		if (be->conns[i].state != BC_READY)
			continue;
		r = TAILQ_FIRST(&be->queue);
		TAILQ_REMOVE(&be->queue, r, entry);
		be->queued--;
		r->conn = &be->conns[i];
		be->conns[i].cur = r;
		be->conns[i].state = BC_BUSY;
		if (bconn_send(&be->conns[i], r->msg) == -1) {
			bconn_close(&be->conns[i], "write failed");
			i = -1;	/* the pool changed: look again */
		}
	}
}

static void
breq_finish(struct breq *r, struct sip2_msg *resp, const char *error)
{
	struct backend	*be = r->be;

	if (r->conn != NULL) {
		r->conn->cur = NULL;
		r->conn = NULL;
	} else {
		TAILQ_REMOVE(&be->queue, r, entry);
		be->queued--;
	}
	event_del(&r->deadline);
	if (error != NULL)
		be->failures++;
	r->cb(r->sid, r->txn, r->msg, resp, error);
	free(r);
}

static void
breq_deadline_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct breq	*r = arg;
	struct bconn	*c = r->conn;
	struct backend	*be = r->be;

	log_warnx("partner=%s sid=%016llx event=deadline ms=%d", be->partner,
	    (unsigned long long)r->sid, be->conf.timeout_ms);
	breq_finish(r, NULL, "timeout");
	/* A late answer would pair with the next request: start afresh. */
	if (c != NULL)
		bconn_close(c, "deadline passed");
	backend_maybe_free(be);
}

static void
bconn_connect(struct bconn *c)
{
	struct backend	*be = c->be;
	struct timeval	 tv;
	SSL		*ssl;

	if (be->ssl_ctx != NULL) {
		if ((ssl = tls_client_ssl(be->ssl_ctx, &be->conf.tls)) ==
		    NULL) {
			log_ssl("backend tls");
			bconn_retry(c);
			return;
		}
		c->bev = bufferevent_openssl_socket_new(be->base, -1, ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	} else
		c->bev = bufferevent_socket_new(be->base, -1,
		    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		log_warnx("partner=%s conn=%d: cannot make a connection",
		    be->partner, c->index);
		bconn_retry(c);
		return;
	}
	bufferevent_setcb(c->bev, bconn_read_cb, NULL, bconn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, SIP2_MSG_MAX * 4);
	memset(&c->framer, 0, sizeof(c->framer));
	c->state = BC_CONNECTING;
	tv.tv_sec = be->conf.connect_timeout_ms / 1000;
	tv.tv_usec = (be->conf.connect_timeout_ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&be->ss,
	    be->sslen) == -1) {
		bconn_close(c, "connect failed");
		return;
	}
	bufferevent_enable(c->bev, EV_READ);
}

/* Close a connection, fail its call, and schedule a reconnect. */
static void
bconn_close(struct bconn *c, const char *why)
{
	struct backend	*be = c->be;
	int		 was_up;

	was_up = c->state == BC_READY || c->state == BC_BUSY ||
	    c->state == BC_PROBE;

	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	evtimer_del(c->timer);
	if (was_up)
		be->up--;
	c->state = BC_DOWN;
	log_info("partner=%s conn=%d event=closed why=\"%s\"", be->partner,
	    c->index, why);
	if (c->cur != NULL)
		breq_finish(c->cur, NULL, "connection lost");
	if (be->draining) {
		backend_maybe_free(be);
		return;
	}
	if (!was_up)
		c->failures++;
	if (be->up == 0 && c->failures > 0 && !be->offline) {
		be->offline = 1;
		log_warnx("partner=%s event=offline", be->partner);
	}
	if (be->up == 0 && be->offline) {
		/* Nobody will serve the queue soon: tell the callers now. */
		while (!TAILQ_EMPTY(&be->queue))
			breq_finish(TAILQ_FIRST(&be->queue), NULL, "offline");
	}
	bconn_retry(c);
}

static void
bconn_retry(struct bconn *c)
{
	struct timeval	 tv;
	long		 ms;
	int		 shift;

	c->state = BC_DOWN;
	shift = c->failures > 9 ? 9 : c->failures;
	ms = (long)BACKOFF_MIN_MS << shift;
	if (ms > BACKOFF_MAX_MS)
		ms = BACKOFF_MAX_MS;
	if (c->failures == 0)
		ms = 0;
	ms += arc4random_uniform(BACKOFF_MIN_MS);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

static void
bconn_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct bconn	*c = arg;

	if (c->state == BC_DOWN)
		bconn_connect(c);
	else if (c->state == BC_CONNECTING || c->state == BC_LOGIN)
		bconn_close(c, "connect or login timed out");
	else if (c->state == BC_READY || c->state == BC_BUSY)
		bconn_keepalive(c);
	else if (c->state == BC_PROBE)
		bconn_close(c, "keepalive unanswered");
}

/*
 * The keepalive timer runs while a connection is up; a request does not
 * re-arm it (that would cost every request two timer operations).  When
 * it fires, a connection used within the period waits again for the rest
 * of it, an idle one is probed.
 */
static void
bconn_keepalive(struct bconn *c)
{
	struct timeval	 tv, now;
	long		 idle_ms, wait_ms;

	event_base_gettimeofday_cached(c->be->base, &now);
	idle_ms = (now.tv_sec - c->last_used) * 1000;
	if (c->state == BC_READY && idle_ms >= c->be->conf.keepalive_ms) {
		bconn_probe(c);
		return;
	}
	wait_ms = c->be->conf.keepalive_ms - (idle_ms > 0 ? idle_ms : 0);
	if (wait_ms < 1000)
		wait_ms = c->be->conf.keepalive_ms < 1000 ?
		    c->be->conf.keepalive_ms : 1000;
	tv.tv_sec = wait_ms / 1000;
	tv.tv_usec = (wait_ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

/* The connection is free: serve the queue, or wait and probe later. */
static void
bconn_ready(struct bconn *c)
{
	struct timeval	 tv;

	c->state = BC_READY;
	tv.tv_sec = c->be->conf.keepalive_ms / 1000;
	tv.tv_usec = (c->be->conf.keepalive_ms % 1000) * 1000;
	if (c->be->conf.keepalive_ms > 0 && !evtimer_pending(c->timer, NULL))
		evtimer_add(c->timer, &tv);
	backend_dispatch(c->be);
}

/* Ask an idle ILS connection for its status, to find a dead one early. */
static void
bconn_probe(struct bconn *c)
{
	struct sip2_msg	*m;
	struct timeval	 tv;

	if ((m = sip2_msg_new(SIP2_SC_STATUS)) == NULL) {
		bconn_ready(c);
		return;
	}
	sip2_msg_set_fixed(m, SIP2_FX_STATUS_CODE, "0");
	sip2_msg_set_fixed(m, SIP2_FX_MAX_PRINT_WIDTH, "080");
	sip2_msg_set_fixed(m, SIP2_FX_PROTOCOL_VERSION, "2.00");
	c->state = BC_PROBE;
	if (bconn_send(c, m) == -1) {
		sip2_msg_free(m);
		bconn_close(c, "write failed");
		return;
	}
	sip2_msg_free(m);
	tv.tv_sec = c->be->conf.timeout_ms / 1000;
	tv.tv_usec = (c->be->conf.timeout_ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

static void
bconn_login(struct bconn *c)
{
	struct backend	*be = c->be;
	struct sip2_msg	*m;

	if (be->conf.login == NULL) {
		bconn_login_reply(c, NULL, 0);
		return;
	}
	if ((m = sip2_msg_new(SIP2_LOGIN)) == NULL) {
		bconn_close(c, "out of memory");
		return;
	}
	sip2_msg_set_fixed(m, SIP2_FX_UID_ALGO, "0");
	sip2_msg_set_fixed(m, SIP2_FX_PWD_ALGO, "0");
	sip2_msg_add_field(m, "CN", be->conf.login);
	sip2_msg_add_field(m, "CO", be->conf.password != NULL ?
	    be->conf.password : "");
	if (be->conf.location != NULL)
		sip2_msg_add_field(m, "CP", be->conf.location);
	c->state = BC_LOGIN;
	if (bconn_send(c, m) == -1) {
		sip2_msg_free(m);
		bconn_close(c, "write failed");
		return;
	}
	sip2_msg_free(m);
}

static void
bconn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct bconn	*c = arg;

	if (what & BEV_EVENT_CONNECTED) {
		if (c->be->ssl_ctx == NULL)
			net_nodelay(bufferevent_getfd(bev));
		log_trace(TRACE_BACKEND, "partner=%s conn=%d event=connected",
		    c->be->partner, c->index);
		bconn_login(c);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		if (c->be->ssl_ctx != NULL)
			log_ssl("backend tls");
		bconn_close(c, what & BEV_EVENT_READING ? "read error" :
		    "connection error");
	} else if (what & BEV_EVENT_EOF)
		bconn_close(c, "closed by the ILS");
}

static int
bconn_send(struct bconn *c, struct sip2_msg *m)
{
	char		 buf[SIP2_BUILD_MAX];
	struct timeval	 now;
	ssize_t		 n;

	if (c->be->conf.wire.checksums) {
		sip2_msg_set_seq(m, c->seq);
		c->seq = (c->seq + 1) % 10;
	}
	if ((n = sip2_build(m, &c->be->conf.wire, buf, sizeof(buf))) == -1)
		return (-1);
	event_base_gettimeofday_cached(c->be->base, &now);
	c->last_used = now.tv_sec;
	if (log_tracing(TRACE_BACKEND)) {
		char	 red[1024];

		sip2_redact(buf, n, c->be->conf.wire.delim, red, sizeof(red));
		log_trace(TRACE_BACKEND, "partner=%s conn=%d send=\"%s\"",
		    c->be->partner, c->index, red);
	}
	return (net_write(c->bev, c->be->ssl_ctx == NULL, buf, n));
}

static void
bconn_read_cb(struct bufferevent *bev, void *arg)
{
	struct bconn		*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	enum sip2_frame_res	 res;
	size_t			 len, off, msglen, used;
	const char		*data;

	while ((len = evbuffer_get_length(in)) > 0 && c->bev == bev) {
		data = (const char *)evbuffer_pullup(in, -1);
		res = sip2_frame(&c->framer, data, len, &off, &msglen, &used);
		if (res == SIP2_FRAME_TOOLONG) {
			bconn_close(c, "oversized answer");
			return;
		}
		if (res == SIP2_FRAME_MORE) {
			evbuffer_drain(in, used);
			return;
		}
		if (c->state == BC_LOGIN)
			bconn_login_reply(c, data + off, msglen);
		else if (c->state == BC_BUSY)
			bconn_reply(c, data + off, msglen);
		else if (c->state == BC_PROBE)
			bconn_probe_reply(c, data + off, msglen);
		else {
			bconn_close(c, "answer nobody asked for");
			return;
		}
		if (c->bev != bev)
			return;		/* closed and freed under us */
		evbuffer_drain(in, used);
	}
}

static void
bconn_login_reply(struct bconn *c, const char *data, size_t len)
{
	struct backend	*be = c->be;
	struct sip2_msg	*m = NULL;
	enum sip2_err	 err;
	const char	*ok;

	if (data != NULL) {
		m = sip2_parse(data, len, &be->conf.wire, &err);
		ok = m != NULL ? sip2_msg_fixed(m, SIP2_FX_OK) : NULL;
		if (m == NULL || sip2_msg_code(m) != SIP2_LOGIN_RESP ||
		    ok == NULL || ok[0] != '1') {
			sip2_msg_free(m);
			log_warnx("partner=%s conn=%d event=login-refused",
			    be->partner, c->index);
			c->failures++;
			bconn_close(c, "login refused");
			return;
		}
		sip2_msg_free(m);
	}
	evtimer_del(c->timer);
	c->failures = 0;
	be->up++;
	if (be->offline) {
		be->offline = 0;
		log_info("partner=%s event=online", be->partner);
	}
	log_trace(TRACE_BACKEND, "partner=%s conn=%d event=ready",
	    be->partner, c->index);
	bconn_ready(c);
}

static void
bconn_probe_reply(struct bconn *c, const char *data, size_t len)
{
	struct sip2_msg	*m;
	enum sip2_err	 err;

	m = sip2_parse(data, len, &c->be->conf.wire, &err);
	if (m == NULL || sip2_msg_code(m) != SIP2_ACS_STATUS) {
		sip2_msg_free(m);
		bconn_close(c, "bad answer to keepalive");
		return;
	}
	sip2_msg_free(m);
	evtimer_del(c->timer);
	bconn_ready(c);
}

static void
bconn_reply(struct bconn *c, const char *data, size_t len)
{
	struct backend	*be = c->be;
	struct breq	*r = c->cur;
	struct sip2_msg	*m;
	enum sip2_err	 err;

	m = sip2_parse(data, len, &be->conf.wire, &err);
	if (m == NULL || sip2_msg_code(m) == SIP2_REQUEST_RESEND) {
		sip2_msg_free(m);
		if (!r->resent && (m != NULL || err == SIP2_ERR_CHECKSUM)) {
			/* The ILS asked again, or garbled its answer once. */
			r->resent = 1;
			if (bconn_send(c, r->msg) == 0)
				return;
		}
		log_warnx("partner=%s conn=%d event=bad-answer error=\"%s\"",
		    be->partner, c->index, m == NULL ? sip2_strerror(err) :
		    "resend asked twice");
		bconn_close(c, "bad answer");
		return;
	}
	if (r->expect != 0 && sip2_msg_code(m) != r->expect) {
		log_warnx("partner=%s conn=%d event=bad-answer code=%02d "
		    "expected=%02d", be->partner, c->index, sip2_msg_code(m),
		    r->expect);
		sip2_msg_free(m);
		bconn_close(c, "answer of the wrong kind");
		return;
	}
	breq_finish(r, m, NULL);
	if (be->draining)
		backend_maybe_free(be);
	else
		bconn_ready(c);
}
