/* SPDX-License-Identifier: ISC */
/*
 * Terminal sessions: one per kiosk, desk or vendor connection.  Frames and
 * decodes each SIP2 message once, logs the terminal in, answers status,
 * resend and retries itself, and carries everything else to a backend.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "circlinkd.h"
#include "tracker.h"

#define SESSION_BAD_MAX		10	/* garbled in a row: close */
#define SESSION_FAIL_DELAY_MIN	200	/* ms before "no" to a login */
#define SESSION_FAIL_DELAY_RAND	400
#define SESSION_TRIM_CHURN	256	/* sessions come or gone: trim */
#define SESSION_TLS_READ	2048	/* bytes one TLS read may reserve */

struct session {
	struct session		*hnext;		/* id hash chain */
	TAILQ_ENTRY(session)	 entry;
	uint64_t		 id;
	const struct listener	*listener;
	struct bufferevent	*bev;
	int			 plain;
	char			 peer[64];
	struct conf_terminal	*term;	/* NULL until logged in */
	struct conf_staff	*staff;	/* a staff member signed on */
	struct conf_terminal	 desk;	/* staff: the desk they sit at */
	char			 desk_location[CONF_NAME_MAX];
	struct sip2_wire	 wire;
	struct sip2_framer	 framer;
	int			 login_failures;
	int			 bad;	/* garbled messages in a row */
	int			 busy;		/* an answer is owed */
	int			 closing;
	int			 in_process; /* session_process() runs */
	long long		 last_active; /* ms, for the idle time-out */
	int			 seq;	/* the request's AY, or -1 */
	uint32_t		 txn;
	struct timespec		 started;
	struct sip2_msg		*req;	/* the request served now */
	const struct circ_op_info *op;
	const char		*partner;	/* serving it, for the log */
	char			*last_req;
	size_t			 last_req_len;
	char			*last_resp;
	size_t			 last_resp_len;
	struct event		*delay;	/* failed-login pause */
	struct event		*reaper;	/* frees on the next turn */
};
TAILQ_HEAD(sessions, session);

static struct sessions	 sessions = TAILQ_HEAD_INITIALIZER(sessions);
static struct session	**session_hash;
static size_t		 session_hash_size;
static int		 session_n;
static struct event	*session_sweep;
static int		 session_churn;	/* come or gone since a trim */
static time_t		 session_last_accept;

static struct session	*session_find(uint64_t);
static void		 session_hash_add(struct session *);
static void		 session_hash_del(struct session *);
static void		 session_read_cb(struct bufferevent *, void *);
static void		 session_write_cb(struct bufferevent *, void *);
static void		 session_event_cb(struct bufferevent *, short,
			    void *);
static void		 session_reap_cb(evutil_socket_t, short, void *);
static void		 session_sweep_start(void);
static long long	 session_ms(const struct timeval *);
static void		 session_sweep_cb(evutil_socket_t, short, void *);
static void		 session_delay_cb(evutil_socket_t, short, void *);
static void		 session_close(struct session *, const char *);
static void		 session_process(struct session *);
static void		 session_message(struct session *, const char *,
			    size_t, enum sip2_term);
static void		 session_send_raw(struct session *, const char *,
			    size_t);
static void		 session_reply(struct session *, struct sip2_msg *);
static void		 session_refuse(struct session *, const char *);
static void		 session_done(struct session *, const char *);
static void		 session_login(struct session *, struct sip2_msg *);
static void		 session_login_cb(uint64_t, uint32_t, const char *,
			    const char *, int);
static struct conf_terminal *session_account(struct session *,
			    const char *, const char *);
static void		 session_status(struct session *, struct sip2_msg *);
static struct conf_terminal *session_staff_desk(struct session *,
			    const char *);
static int		 session_staff_reload(struct session *,
			    const struct conf *);
static int		 session_staff_refused(struct session *,
			    const struct circ_req *, struct conf_partner *);
static void		 session_forward(struct session *,
			    struct circ_req *);
static void		 session_backend_cb(uint64_t, uint32_t,
			    struct sip2_msg *, struct sip2_msg *, const char *);
static void		 session_garbled(struct session *, const char *);

/* Return how many terminal sessions are open. */
int
session_count(void)
{
	return (session_n);
}

static struct session *
session_find(uint64_t id)
{
	struct session	*s;

	if (session_hash_size == 0)
		return (NULL);
	for (s = session_hash[id & (session_hash_size - 1)]; s != NULL;
	    s = s->hnext)
		if (s->id == id)
			return (s);
	return (NULL);
}

static void
session_hash_add(struct session *s)
{
	struct session	**table, *t, *next;
	size_t		 size, i;

	if ((size_t)session_n + 1 > session_hash_size) {
		size = session_hash_size == 0 ? 1024 : session_hash_size * 2;
		if ((table = calloc(size, sizeof(*table))) != NULL) {
			for (i = 0; i < session_hash_size; i++)
				for (t = session_hash[i]; t != NULL;
				    t = next) {
					next = t->hnext;
					t->hnext = table[t->id & (size - 1)];
					table[t->id & (size - 1)] = t;
				}
			free(session_hash);
			session_hash = table;
			session_hash_size = size;
		} else if (session_hash_size == 0)
			fatalx("out of memory for the session table");
	}
	i = s->id & (session_hash_size - 1);
	s->hnext = session_hash[i];
	session_hash[i] = s;
	session_n++;
}

static void
session_hash_del(struct session *s)
{
	struct session	**sp;

	for (sp = &session_hash[s->id & (session_hash_size - 1)]; *sp != NULL;
	    sp = &(*sp)->hnext)
		if (*sp == s) {
			*sp = s->hnext;
			session_n--;
			return;
		}
}

/*
 * Start a session on an accepted socket.  The session owns fd from here
 * on; on failure it is closed.
 */
void
session_accept(struct listener *l, int fd, const char *peer)
{
	const struct conf_listener	*lc = listener_conf(l);
	struct session			*s;
	SSL_CTX				*ctx = listener_ssl_ctx(l);
	SSL				*ssl;
	struct timeval			 tv;

	if (gw->stopping || (gw->conf->max_sessions > 0 &&
	    session_n >= gw->conf->max_sessions)) {
		log_warnx("listener=%s:%d event=refused peer=%s why=\"%s\"",
		    lc->address, lc->port, peer, gw->stopping ? "stopping" :
		    "too many sessions");
		close(fd);
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto fail;
	s->id = ++gw->next_sid;
	s->listener = l;
	snprintf(s->peer, sizeof(s->peer), "%s", peer);
	s->wire.charset = SIP2_CS_UTF8;
	s->wire.term = SIP2_TERM_CR;
	s->wire.delim = '|';
	if (ctx != NULL) {
		if ((ssl = SSL_new(ctx)) == NULL)
			goto fail;
		s->bev = bufferevent_openssl_socket_new(gw->base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		/*
		 * Each TLS read reserves this much in the input buffer and
		 * keeps it while the kiosk is idle: 16 KiB by default, ten
		 * times a SIP2 exchange.
		 */
		if (s->bev != NULL)
			bufferevent_set_max_single_read(s->bev,
			    SESSION_TLS_READ);
	} else {
		s->plain = 1;
		net_nodelay(fd);
		s->bev = bufferevent_socket_new(gw->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
	}
	if (s->bev == NULL)
		goto fail;
	s->reaper = evtimer_new(gw->base, session_reap_cb, s);
	s->delay = evtimer_new(gw->base, session_delay_cb, s);
	if (s->reaper == NULL || s->delay == NULL)
		goto fail;
	bufferevent_setcb(s->bev, session_read_cb, NULL, session_event_cb, s);
	/* Pipelined input waits here; past this the kernel holds it. */
	bufferevent_setwatermark(s->bev, EV_READ, 0, SIP2_MSG_MAX * 4);
	/*
	 * The idle time-out is kept by session_sweep_cb(), not by the
	 * bufferevent: a bufferevent re-arms its timer on every read.
	 */
	event_base_gettimeofday_cached(gw->base, &tv);
	s->last_active = session_ms(&tv);
	session_last_accept = tv.tv_sec;
	session_churn++;
	session_sweep_start();
	bufferevent_enable(s->bev, EV_READ);
	session_hash_add(s);
	TAILQ_INSERT_TAIL(&sessions, s, entry);
	log_trace(TRACE_SESSION, "sid=%016llx event=accepted peer=%s tls=%s",
	    (unsigned long long)s->id, peer, s->plain ? "no" : "yes");
	return;

fail:
	log_warnx("listener=%s:%d event=refused peer=%s why=\"out of memory\"",
	    lc->address, lc->port, peer);
	if (s != NULL) {
		if (s->bev != NULL)
			bufferevent_free(s->bev);
		else
			close(fd);
		if (s->reaper != NULL)
			event_free(s->reaper);
		if (s->delay != NULL)
			event_free(s->delay);
		free(s);
	} else
		close(fd);
}

/*
 * End a session: it leaves the table at once, so a backend reply for it is
 * dropped, and its memory goes on the next loop turn.
 */
static void
session_close(struct session *s, const char *why)
{
	if (s->closing == 2)
		return;
	s->closing = 2;
	session_churn++;
	session_hash_del(s);
	TAILQ_REMOVE(&sessions, s, entry);
	bufferevent_disable(s->bev, EV_READ | EV_WRITE);
	evtimer_del(s->delay);
	log_info("sid=%016llx event=closed term=%s why=\"%s\"",
	    (unsigned long long)s->id, s->term != NULL ? s->term->login : "-",
	    why);
	event_active(s->reaper, EV_TIMEOUT, 0);
	if (gw->stopping && session_n == 0)
		event_base_loopexit(gw->base, NULL);
}

static void
session_reap_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct session	*s = arg;

	bufferevent_free(s->bev);
	event_free(s->reaper);
	event_free(s->delay);
	sip2_msg_free(s->req);
	free(s->last_req);
	free(s->last_resp);
	free(s);
}

static void
session_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session	*s = arg;

	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_TIMEOUT)
		session_close(s, "idle");
	else if (what & BEV_EVENT_EOF)
		session_close(s, "closed by the terminal");
	else if (what & BEV_EVENT_ERROR) {
		if (!s->plain)
			log_ssl("session tls");
		session_close(s, "connection error");
	}
}

/* Once everything queued has gone out, a closing session ends. */
static void
session_write_cb(struct bufferevent *bev, void *arg)
{
	struct session	*s = arg;

	if (s->closing == 1 &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		session_close(s, "done");
}

static void
session_read_cb(struct bufferevent *bev, void *arg)
{
	struct session	*s = arg;
	struct timeval	 now;

	event_base_gettimeofday_cached(gw->base, &now);
	s->last_active = session_ms(&now);
	session_process(s);
}

static long long
session_ms(const struct timeval *tv)
{
	return ((long long)tv->tv_sec * 1000 + tv->tv_usec / 1000);
}

/* Start the once-a-second look for idle sessions, if not running. */
static void
session_sweep_start(void)
{
	struct timeval	 tv = { 1, 0 };

	if (session_sweep != NULL)
		return;
	session_sweep = event_new(gw->base, -1, EV_PERSIST, session_sweep_cb,
	    NULL);
	if (session_sweep == NULL || event_add(session_sweep, &tv) == -1)
		fatalx("cannot start the idle-session timer");
}

/*
 * End sessions idle for longer than their listener allows.  A session
 * waiting for a backend is not idle: the backend's deadline bounds it.
 */
static void
session_sweep_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct session	*s, *next;
	struct timeval	 now;
	int		 idle;

	event_base_gettimeofday_cached(gw->base, &now);
	for (s = TAILQ_FIRST(&sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		idle = listener_conf(s->listener)->idle_timeout;
		if (idle > 0 && !s->busy && !s->closing &&
		    session_ms(&now) - s->last_active >= idle * 1000LL)
			session_close(s, "idle");
	}

	/*
	 * TLS handshakes leave the heap full of holes between the small
	 * blocks each session keeps.  Once a wave of connections has come
	 * and settled, give those pages back to the system.
	 */
	if (session_churn >= SESSION_TRIM_CHURN &&
	    now.tv_sec - session_last_accept >= 1) {
		malloc_trim(0);
		session_churn = 0;
	}
}

/* Stop the idle-session timer, at exit. */
void
session_sweep_stop(void)
{
	if (session_sweep != NULL)
		event_free(session_sweep);
	session_sweep = NULL;
}

/* Serve complete messages in the input, one at a time, in order. */
static void
session_process(struct session *s)
{
	struct evbuffer		*in = bufferevent_get_input(s->bev);
	enum sip2_frame_res	 res;
	enum sip2_term		 term;
	const char		*data;
	size_t			 len, off, msglen, used;

	s->in_process = 1;
	while (!s->busy && !s->closing &&
	    (len = evbuffer_get_length(in)) > 0) {
		data = (const char *)evbuffer_pullup(in, -1);
		res = sip2_frame(&s->framer, data, len, &off, &msglen, &used);
		if (res == SIP2_FRAME_MORE) {
			evbuffer_drain(in, used);
			break;
		}
		if (res == SIP2_FRAME_TOOLONG) {
			evbuffer_drain(in, used);
			session_garbled(s, "message too long");
			continue;
		}
		term = SIP2_TERM_CR;
		if (off + msglen < len && data[off + msglen] == '\n')
			term = SIP2_TERM_LF;
		else if (off + msglen + 1 < len &&
		    data[off + msglen + 1] == '\n')
			term = SIP2_TERM_CRLF;
		session_message(s, data + off, msglen, term);
		if (s->closing == 2)
			break;
		evbuffer_drain(in, used);
	}
	s->in_process = 0;
}

/* A message we could not read: ask for it again, up to a limit. */
static void
session_garbled(struct session *s, const char *why)
{
	static const char	 resend[] = "96AZFEF6\r\n";
	size_t			 len = 9;

	if (s->wire.term == SIP2_TERM_CRLF)
		len = 10;
	log_warnx("sid=%016llx event=garbled why=\"%s\"",
	    (unsigned long long)s->id, why);
	if (++s->bad >= SESSION_BAD_MAX) {
		session_close(s, "too many garbled messages");
		return;
	}
	if (s->wire.term == SIP2_TERM_LF)
		session_send_raw(s, "96AZFEF6\n", 9);
	else
		session_send_raw(s, resend, len);
}

static void
session_message(struct session *s, const char *data, size_t len,
    enum sip2_term term)
{
	struct sip2_msg	*m;
	enum sip2_err	 err;
	struct circ_req	 req;

	if (log_tracing(TRACE_SIP2)) {
		char	 red[1024];

		sip2_redact(data, len, s->wire.delim, red, sizeof(red));
		log_trace(TRACE_SIP2, "sid=%016llx recv=\"%s\"",
		    (unsigned long long)s->id, red);
	}
	if (s->term == NULL)
		s->wire.term = term;

	/* A repeat of a request that changed state gets the same answer. */
	if (s->last_req != NULL && s->last_resp != NULL &&
	    len == s->last_req_len && memcmp(data, s->last_req, len) == 0) {
		log_info("sid=%016llx event=retry answered=stored",
		    (unsigned long long)s->id);
		session_send_raw(s, s->last_resp, s->last_resp_len);
		return;
	}

	if ((m = sip2_parse(data, len, &s->wire, &err)) == NULL) {
		session_garbled(s, sip2_strerror(err));
		return;
	}
	s->bad = 0;
	if (circ_from_sip2(&req, m) == -1 || req.op->op == CIRC_NONE) {
		log_warnx("sid=%016llx event=refused code=%02d why=\"not a "
		    "request\"", (unsigned long long)s->id, sip2_msg_code(m));
		sip2_msg_free(m);
		session_garbled(s, "not a request a terminal sends");
		return;
	}
	if (req.op->op == CIRC_RESEND) {
		sip2_msg_free(m);
		if (s->last_resp != NULL)
			session_send_raw(s, s->last_resp, s->last_resp_len);
		else
			session_garbled(s, "resend with nothing sent yet");
		return;
	}

	s->req = m;
	/* The request may travel to a backend, which renumbers it. */
	s->seq = sip2_msg_seq(m);
	s->op = req.op;
	s->partner = NULL;
	s->busy = 1;
	s->txn++;
	if (log_level_on(LOG_INFO))
		clock_gettime(CLOCK_MONOTONIC, &s->started);
	free(s->last_req);
	s->last_req = NULL;
	if (req.op->flags & CIRC_F_RETRY &&
	    (s->last_req = malloc(len)) != NULL) {
		memcpy(s->last_req, data, len);
		s->last_req_len = len;
	}

	switch (req.op->op) {
	case CIRC_LOGIN:
		session_login(s, m);
		break;
	case CIRC_SC_STATUS:
		if (s->term == NULL &&
		    !listener_conf(s->listener)->status_before_login)
			session_refuse(s, "Please log in first.");
		else
			session_status(s, m);
		break;
	default:
		if (s->term == NULL)
			session_refuse(s, "Please log in first.");
		else if ((s->term->perms & req.op->perm) != req.op->perm)
			session_refuse(s, "This terminal is not allowed to "
			    "do that.");
		else
			session_forward(s, &req);
		break;
	}
}

/* Write bytes to the terminal, remembering nothing. */
static void
session_send_raw(struct session *s, const char *buf, size_t len)
{
	if (net_write(s->bev, s->plain, buf, len) == -1)
		session_close(s, "write failed");
}

/*
 * Answer the request being served with msg (which this takes): in the
 * terminal's charset and terminator, with the request's sequence number.
 */
static void
session_reply(struct session *s, struct sip2_msg *msg)
{
	char		 buf[SIP2_BUILD_MAX];
	struct sip2_wire wire = s->wire;
	ssize_t		 n;
	int		 seq = s->seq;

	if (seq >= 0)
		wire.checksums = 1;
	sip2_msg_set_seq(msg, seq >= 0 ? seq : 0);
	n = sip2_build(msg, &wire, buf, sizeof(buf));
	if (n == -1) {
		log_warnx("sid=%016llx event=unencodable code=%02d",
		    (unsigned long long)s->id, sip2_msg_code(msg));
		sip2_msg_free(msg);
		msg = sip2_reply_error(s->req, "The answer could not be "
		    "sent; please see staff.", time(NULL));
		if (msg == NULL ||
		    (n = sip2_build(msg, &wire, buf, sizeof(buf))) == -1) {
			sip2_msg_free(msg);
			session_close(s, "cannot encode an answer");
			return;
		}
	}
	sip2_msg_free(msg);
	if (log_tracing(TRACE_SIP2)) {
		char	 red[1024];

		sip2_redact(buf, n, wire.delim, red, sizeof(red));
		log_trace(TRACE_SIP2, "sid=%016llx send=\"%s\"",
		    (unsigned long long)s->id, red);
	}
	if ((s->last_resp == NULL || s->last_resp_len < (size_t)n)) {
		free(s->last_resp);
		s->last_resp = malloc(n);
	}
	if (s->last_resp != NULL) {
		memcpy(s->last_resp, buf, n);
		s->last_resp_len = n;
	}
	session_send_raw(s, buf, n);
}

/* Refuse the request being served with a screen message. */
static void
session_refuse(struct session *s, const char *why)
{
	struct sip2_msg	*m;

	if ((m = sip2_reply_error(s->req, why, time(NULL))) != NULL)
		session_reply(s, m);
	session_done(s, "refused");
}

/* The request is answered: log it and go on with pipelined input. */
static void
session_done(struct session *s, const char *result)
{
	struct timespec	 now;
	const char	*patron;
	char		 masked[16];
	long		 us;

	if (log_level_on(LOG_INFO)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		us = (now.tv_sec - s->started.tv_sec) * 1000000L +
		    (now.tv_nsec - s->started.tv_nsec) / 1000;
		patron = sip2_msg_field(s->req, "AA");
		if (patron != NULL) {
			/* Enough to tell two partners' patrons apart. */
			snprintf(masked, sizeof(masked), "%.4s***", patron);
			patron = masked;
		}
		log_info("sid=%016llx txn=%u term=%s msg=%s partner=%s "
		    "patron=%s result=%s us=%ld", (unsigned long long)s->id,
		    s->txn,
		    s->term != NULL ? s->term->login : "-", s->op->name,
		    s->partner != NULL ? s->partner : "-",
		    patron != NULL ? patron : "-", result, us);
	}
	sip2_msg_free(s->req);
	s->req = NULL;
	s->busy = 0;
	if (s->closing == 1) {
		bufferevent_setcb(s->bev, session_read_cb, session_write_cb,
		    session_event_cb, s);
		session_write_cb(s->bev, s);
		return;
	}
	/* An answer given at once returns to the loop in session_process(). */
	if (!s->closing && !s->in_process)
		session_process(s);
}

static void
session_login(struct session *s, struct sip2_msg *m)
{
	struct conf_terminal	*t;
	struct conf_staff	*st;
	const char		*cn, *co;

	cn = sip2_msg_field(m, "CN");
	co = sip2_msg_field(m, "CO");
	t = cn != NULL ? conf_terminal_find(gw->conf, cn) : NULL;
	/* A staff member: the desk is decided once the password is right. */
	if (t == NULL && cn != NULL && co != NULL &&
	    (st = conf_staff_find(gw->conf, cn)) != NULL) {
		login_check_hash(s->id, s->txn, st->login, st->password_hash,
		    co, session_login_cb);
		return;
	}
	if (t == NULL || co == NULL) {
		session_login_cb(s->id, s->txn, NULL, NULL, 0);
		return;
	}
	login_check(s->id, s->txn, t, co, session_login_cb);
}

/*
 * The account a password was checked for, as the configuration in force
 * has it: a reload during the check may have changed its hash or made it
 * another kind of account, and then the check stands for nothing.
 */
static struct conf_terminal *
session_account(struct session *s, const char *login, const char *hash)
{
	struct conf_terminal	*t;
	struct conf_staff	*st;

	if ((t = conf_terminal_find(gw->conf, login)) != NULL)
		return (strcmp(t->password_hash, hash) == 0 ? t : NULL);
	if ((st = conf_staff_find(gw->conf, login)) != NULL &&
	    strcmp(st->password_hash, hash) == 0)
		return (session_staff_desk(s, login));
	return (NULL);
}

static void
session_login_cb(uint64_t sid, uint32_t txn, const char *login,
    const char *hash, int ok)
{
	const struct conf_listener	*lc;
	struct session			*s;
	struct conf_terminal		*t = NULL;
	struct sip2_msg			*r;
	const char			*cn;
	struct timeval			 tv;
	long				 ms;

	if ((s = session_find(sid)) == NULL || s->txn != txn || !s->busy)
		return;
	if (ok && login != NULL && hash != NULL)
		t = session_account(s, login, hash);
	if (t != NULL) {
		if (t != &s->desk)
			s->staff = NULL;
		s->term = t;
		s->wire = t->wire;
		s->login_failures = 0;
		if ((r = sip2_msg_new(SIP2_LOGIN_RESP)) != NULL) {
			sip2_msg_set_fixed(r, SIP2_FX_OK, "1");
			session_reply(s, r);
		}
		log_info("sid=%016llx event=login term=%s partner=%s peer=%s",
		    (unsigned long long)s->id, t->login, t->partner->id,
		    s->peer);
		session_done(s, "ok");
		return;
	}

	/*
	 * At a shared desk a failed sign-on ends the one before it, so that
	 * nobody goes on under the last person's name and permissions.
	 */
	if (s->staff != NULL) {
		s->staff = NULL;
		s->term = NULL;
	}

	/* The name is logged, never the password; the answer waits. */
	lc = listener_conf(s->listener);
	cn = sip2_msg_field(s->req, "CN");
	s->login_failures++;
	log_warnx("sid=%016llx event=login-failed login=\"%.32s\" peer=%s "
	    "attempt=%d", (unsigned long long)s->id, cn != NULL ? cn : "",
	    s->peer, s->login_failures);
	ms = SESSION_FAIL_DELAY_MIN + arc4random_uniform(
	    SESSION_FAIL_DELAY_RAND);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(s->delay, &tv);
	if (s->login_failures >= lc->login_attempts)
		s->closing = 1;
}

static void
session_delay_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct session	*s = arg;
	struct sip2_msg	*r;

	if ((r = sip2_msg_new(SIP2_LOGIN_RESP)) != NULL) {
		sip2_msg_set_fixed(r, SIP2_FX_OK, "0");
		session_reply(s, r);
		if (s->closing == 2)
			return;
	}
	session_done(s, "refused");
}

/*
 * A staff member whose password is right signs on at the desk their 93
 * names by its location (CP): the partner listing that location, where
 * they must hold some permission.  Returns the session's desk, or NULL
 * after logging why not.
 */
static struct conf_terminal *
session_staff_desk(struct session *s, const char *login)
{
	struct conf_staff	*st;
	struct conf_partner	*p = NULL;
	const char		*cp, *why = NULL;
	char			 perms[64];

	if ((st = conf_staff_find(gw->conf, login)) == NULL)
		return (NULL);
	cp = sip2_msg_field(s->req, "CP");
	if (cp == NULL || *cp == '\0')
		why = "no desk location (CP) in the login";
	else if (strlen(cp) >= sizeof(s->desk_location) ||
	    (p = staff_desk(gw->conf, cp)) == NULL)
		why = "the location is not one partner's desk";
	else if (staff_perms_at(st, p) == 0)
		why = "no permissions at this partner";
	if (why != NULL) {
		log_warnx("sid=%016llx event=staff-login-refused staff=%s "
		    "partner=%s peer=%s why=\"%s\"", (unsigned long long)s->id,
		    st->login, p != NULL ? p->id : "-", s->peer, why);
		return (NULL);
	}

	memset(&s->desk, 0, sizeof(s->desk));
	snprintf(s->desk_location, sizeof(s->desk_location), "%s", cp);
	s->desk.file = st->file;
	s->desk.line = st->line;
	s->desk.login = st->login;
	s->desk.partner = p;
	s->desk.location = s->desk_location;
	s->desk.wire = st->wire;
	s->desk.wire.term = s->wire.term;	/* as the desk sent 93 */
	/* Each request is checked where it acts: session_staff_refused. */
	s->desk.perms = PERM_ALL;
	s->staff = st;
	log_info("sid=%016llx event=staff-login staff=%s partner=%s "
	    "permissions=%s", (unsigned long long)s->id, st->login, p->id,
	    policy_staff_names(staff_perms_at(st, p), ",", perms,
	    sizeof(perms)));
	return (&s->desk);
}

/*
 * After a reload: a staff session follows its account and its desk's
 * partner into the new configuration.  -1 when either has gone or the
 * account holds nothing there any more.
 */
static int
session_staff_reload(struct session *s, const struct conf *conf)
{
	struct conf_staff	*st;
	struct conf_partner	*p;

	st = conf_staff_find(conf, s->staff->login);
	p = conf_partner_find(conf, s->desk.partner->id);
	if (st == NULL || p == NULL || staff_perms_at(st, p) == 0 ||
	    staff_desk(conf, s->desk_location) != p)
		return (-1);
	s->staff = st;
	s->desk.file = st->file;
	s->desk.line = st->line;
	s->desk.login = st->login;
	s->desk.partner = p;
	return (0);
}

/*
 * A staff member's request acts on partner p: refuse it, before anything
 * is sent anywhere, unless they hold a permission for it there.  Returns
 * 1 when refused.
 */
static int
session_staff_refused(struct session *s, const struct circ_req *req,
    struct conf_partner *p)
{
	struct policy_decision	 dec;

	if (s->staff == NULL || staff_allows(s->id, s->staff, req->op, p,
	    &dec))
		return (0);
	s->partner = p->id;
	session_refuse(s, dec.message);
	return (1);
}

/* Answer 99 with the state of the terminal's partner. */
static void
session_status(struct session *s, struct sip2_msg *m)
{
	struct conf_partner	*p;
	struct sip2_msg		*r;
	char			 date[19], timeout[16];
	const char		*yn;
	int			 t;

	p = s->term != NULL ? s->term->partner : NULL;
	if ((r = sip2_msg_new(SIP2_ACS_STATUS)) == NULL) {
		session_close(s, "out of memory");
		return;
	}
	yn = serve_partner_up(p) ? "Y" : "N";
	sip2_msg_set_fixed(r, SIP2_FX_ONLINE, yn);
	sip2_msg_set_fixed(r, SIP2_FX_CHECKIN_OK, yn);
	sip2_msg_set_fixed(r, SIP2_FX_CHECKOUT_OK, yn);
	sip2_msg_set_fixed(r, SIP2_FX_ACS_RENEWAL_POLICY, yn);
	sip2_msg_set_fixed(r, SIP2_FX_STATUS_UPDATE_OK, yn);
	sip2_msg_set_fixed(r, SIP2_FX_OFFLINE_OK, "N");
	/* Tell the terminal to wait a little longer than our own deadline. */
	t = p != NULL && p->has_backend ?
	    (p->backend.timeout_ms + 1000) / 100 : 100;
	snprintf(timeout, sizeof(timeout), "%03d", t > 999 ? 999 : t);
	sip2_msg_set_fixed(r, SIP2_FX_TIMEOUT, timeout);
	sip2_msg_set_fixed(r, SIP2_FX_RETRIES, "003");
	sip2_date_format(time(NULL), 0, date);
	sip2_msg_set_fixed(r, SIP2_FX_DATE, date);
	sip2_msg_set_fixed(r, SIP2_FX_PROTOCOL_VERSION, "2.00");
	sip2_msg_add_field(r, "AO", p != NULL && p->ninstitutions > 0 ?
	    p->institutions[0] : "");
	sip2_msg_add_field(r, "AM", p != NULL && p->name != NULL ? p->name :
	    "circlink");
	sip2_msg_add_field(r, "BX", "YYYYYYYYYYYYYYYY");
	if (s->term != NULL && s->term->location != NULL)
		sip2_msg_add_field(r, "AN", s->term->location);
	if (p != NULL && *yn == 'N') {
		char	 screen[160];

		snprintf(screen, sizeof(screen), "%s is offline; please see "
		    "staff.", p->name != NULL ? p->name : p->id);
		sip2_msg_add_field(r, "AF", screen);
	}
	s->partner = p != NULL ? p->id : NULL;
	session_reply(s, r);
	session_done(s, *yn == 'Y' ? "online" : "offline");
}

/*
 * A checkout or renewal for another partner's patron: the patron's home
 * verifies the card and the item's owner lends, under the agreements;
 * a patron's own library's item goes to that library.  Returns 1 when
 * the request is taken care of here.
 */
static int
session_visit(struct session *s, struct circ_req *req)
{
	struct conf_partner	*home, *lender, *at = s->term->partner;
	struct policy_decision	 dec;

	switch (circ_route_visit(gw->conf, req, at, &home, &lender, &dec)) {
	case 0:
		return (0);
	case -1:
		session_refuse(s, dec.message);
		return (1);
	}
	/* The loan or the hold is the lender's: staff need it there. */
	if (session_staff_refused(s, req, lender))
		return (1);
	s->partner = lender->id;
	if (lender == home)
		serve_sip2(s->id, s->txn, s->req, at, home);
	else
		serve_visit(s->id, s->txn, s->req, at, lender, home);
	return (1);
}

/* Carry a request to the partner that serves it. */
static void
session_forward(struct session *s, struct circ_req *req)
{
	struct conf_partner	*p;
	struct backend		*be;
	struct policy_decision	 dec;
	const char		*why, *ao, *ac, *pw;
	char			 screen[160];

	/* A checkin, checkout or hold that moves a tracked request on. */
	if ((p = hold_claim_partner(s->term->partner, req)) != NULL) {
		if (session_staff_refused(s, req, p))
			return;
		s->partner = s->term->partner->id;
		hold_serve_sip2(s->id, s->txn, s->req, s->term->partner);
		return;
	}
	if (session_visit(s, req))
		return;
	if ((p = circ_route(gw->conf, req, s->term->partner, &dec)) == NULL) {
		session_refuse(s, dec.message);
		return;
	}
	if (session_staff_refused(s, req, p))
		return;
	s->partner = p->id;
	if ((p->has_backend && p->backend.proto != BACKEND_SIP2) ||
	    p != s->term->partner || (req->op->op == CIRC_PATRON_INFO &&
	    serve_combines(p, req->patron)) ||
	    serve_discovers(p, req)) {
		/*
		 * Another protocol, another partner whose answer the
		 * agreement filters, or a person whose linked accounts are
		 * combined: through the neutral form, answered via
		 * session_answer.
		 */
		serve_sip2(s->id, s->txn, s->req, s->term->partner, p);
		return;
	}
	if ((be = route_backend(p->id)) == NULL) {
		snprintf(screen, sizeof(screen), "%s cannot be reached from "
		    "here; please see staff.", p->name);
		session_refuse(s, screen);
		return;
	}
	/*
	 * The ILS knows its own institution id and our login, not the
	 * terminal's password.  The request itself travels: the backend
	 * hands it back with the answer, so nothing is copied.
	 */
	ao = sip2_msg_field(s->req, "AO");
	if (p->ninstitutions > 0 &&
	    (ao == NULL || strcmp(ao, p->institutions[0]) != 0))
		sip2_msg_set_field(s->req, "AO", p->institutions[0]);
	if ((ac = sip2_msg_field(s->req, "AC")) != NULL) {
		pw = p->backend.password != NULL ? p->backend.password : "";
		if (strcmp(ac, pw) != 0)
			sip2_msg_set_field(s->req, "AC", pw);
	}
	if (backend_call(be, s->req, s->id, s->txn, session_backend_cb,
	    &why) == 0) {
		s->req = NULL;
		return;
	}
	snprintf(screen, sizeof(screen), "%s is %s; please try again or see "
	    "staff.", p->name, strcmp(why, "busy") == 0 ? "busy" : "offline");
	session_refuse(s, screen);
}

/*
 * Answer a session's request from elsewhere (a translated transaction):
 * with msg, which this takes, or with a refusal when msg is NULL.  An
 * answer for a session that has gone, or has moved on, is dropped.
 */
void
session_answer(uint64_t sid, uint32_t txn, struct sip2_msg *msg,
    const char *result)
{
	struct session	*s;

	if ((s = session_find(sid)) == NULL || s->txn != txn || !s->busy) {
		sip2_msg_free(msg);
		return;
	}
	if (msg == NULL) {
		session_refuse(s, "The gateway could not serve this; please "
		    "try again or see staff.");
		return;
	}
	session_reply(s, msg);
	session_done(s, result);
}

static void
session_backend_cb(uint64_t sid, uint32_t txn, struct sip2_msg *req,
    struct sip2_msg *resp, const char *error)
{
	struct session	*s;
	struct conf_partner *p;
	const char	*ok, *result;
	char		 screen[160];

	if ((s = session_find(sid)) == NULL || s->txn != txn || !s->busy) {
		/* The terminal left; the answer has nobody to go to. */
		sip2_msg_free(req);
		sip2_msg_free(resp);
		return;
	}
	s->req = req;
	if (resp == NULL) {
		p = s->partner != NULL ? conf_partner_find(gw->conf,
		    s->partner) : NULL;
		snprintf(screen, sizeof(screen), "%s %s; please try again or "
		    "see staff.", p != NULL ? p->name : "The library system",
		    strcmp(error, "timeout") == 0 ? "did not answer in time" :
		    "is offline");
		log_warnx("sid=%016llx txn=%u partner=%s event=backend-failed "
		    "why=\"%s\"", (unsigned long long)sid, txn,
		    s->partner != NULL ? s->partner : "-", error);
		session_refuse(s, screen);
		return;
	}
	/* Read the outcome first: session_reply() frees resp. */
	ok = sip2_msg_fixed(resp, SIP2_FX_OK);
	result = ok == NULL ? "done" : (*ok == '1' || *ok == 'Y') ? "ok" :
	    "no";
	session_reply(s, resp);
	session_done(s, result);
}

/*
 * After a reload: sessions follow their terminal account into the new
 * configuration; a session whose account is gone ends.
 */
void
session_reload(const struct conf *conf)
{
	struct session	*s, *next;

	for (s = TAILQ_FIRST(&sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (s->term == NULL)
			continue;
		if (s->staff != NULL) {
			if (session_staff_reload(s, conf) == -1)
				session_close(s, "staff account or desk "
				    "removed");
			continue;
		}
		s->term = conf_terminal_find(conf, s->term->login);
		if (s->term == NULL) {
			session_close(s, "terminal account removed");
			continue;
		}
		s->wire = s->term->wire;
	}
}

/*
 * Stop: idle sessions end now, busy ones as soon as their answer is out.
 * The loop ends when the last one has gone.
 */
void
session_stop_all(void)
{
	struct session	*s, *next;

	for (s = TAILQ_FIRST(&sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (s->busy)
			s->closing = 1;
		else
			session_close(s, "stopping");
	}
	if (session_n == 0)
		event_base_loopexit(gw->base, NULL);
}
