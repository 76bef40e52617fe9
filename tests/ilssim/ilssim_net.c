/* SPDX-License-Identifier: ISC */
/*
 * The simulated ILS's network front: SIP2 listeners (plain and TLS),
 * connections, the control port, and the faults it injects on request
 * (ilssim_http.c carries NCIP under the same faults).
 */

#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "ilssim.h"

#define IN_CAP		(2 * SIP2_MSG_MAX) /* input buffer per connection */
#define OUT_HIGH	(256 * 1024)		/* stop reading above this */
#define CTL_LINE_MAX	1024
#define DELAY_MAX	600000			/* ms */

enum lkind {
	LK_SIP2,
	LK_TLS,
	LK_CONTROL,
};

/* A listening socket; its address keeps the bound port for reopening. */
struct ilssim_listener {
	struct ilssim_server	*srv;
	enum lkind		 kind;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct evconnlistener	*lev;
	struct event		*retry;		/* out of descriptors */
};

/* One SIP2 connection. */
struct ilssim_conn {
	TAILQ_ENTRY(ilssim_conn) entry;
	struct ilssim_server	*srv;
	struct ilssim_session	 sess;
	unsigned		 id;
	int			 fd;		/* plain connections */
	struct event		*rev;
	struct event		*wev;
	struct evbuffer		*outq;
	struct bufferevent	*bev;		/* TLS connections */
	struct event		*timer;		/* delay fault */
	struct sip2_framer	 framer;
	char			*in;
	size_t			 inlen;
	int			 reading;
	int			 waiting;	/* a delayed request is due */
	int			 ready;		/* its delay has passed */
	int			 paused;	/* output backed up */
	int			 dead;
};

/* One control connection. */
struct ilssim_ctl {
	TAILQ_ENTRY(ilssim_ctl)	 entry;
	struct ilssim_server	*srv;
	struct bufferevent	*bev;
};

static char	 outbuf[SIP2_BUILD_MAX];

static void	 conn_process(struct ilssim_conn *);
static void	 conn_update_read(struct ilssim_conn *);
static void	 tls_pull(struct ilssim_conn *);

static const char *
mode_name(enum ilssim_mode m)
{
	switch (m) {
	case ILSSIM_MODE_DROP:
		return "drop";
	case ILSSIM_MODE_GARBAGE:
		return "garbage";
	case ILSSIM_MODE_HANG:
		return "hang";
	default:
		return "normal";
	}
}

/* --- connections ------------------------------------------------------ */

static void
conn_close(struct ilssim_conn *c, const char *why)
{
	struct ilssim_server	*srv = c->srv;

	if (c->dead)
		return;
	c->dead = 1;
	ilssim_log("conn=%u event=close reason=%s", c->id, why);
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	} else {
		event_del(c->rev);
		event_del(c->wev);
		close(c->fd);
		c->fd = -1;
	}
	event_del(c->timer);
	TAILQ_REMOVE(&srv->conns, c, entry);
	TAILQ_INSERT_TAIL(&srv->dead, c, entry);
	event_active(srv->reaper, EV_TIMEOUT, 1);
}

static void
conn_free(struct ilssim_conn *c)
{
	if (c->rev != NULL)
		event_free(c->rev);
	if (c->wev != NULL)
		event_free(c->wev);
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->outq != NULL)
		evbuffer_free(c->outq);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	if (c->fd != -1)
		close(c->fd);
	ilssim_sip2_clear(&c->sess);
	free(c->in);
	free(c);
}

/* Free closed connections on a later loop turn, never under a callback. */
static void
reap_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ilssim_server	*srv = arg;
	struct ilssim_conn	*c;

	while ((c = TAILQ_FIRST(&srv->dead)) != NULL) {
		TAILQ_REMOVE(&srv->dead, c, entry);
		conn_free(c);
	}
}

static size_t
conn_backlog(struct ilssim_conn *c)
{
	if (c->bev != NULL)
		return evbuffer_get_length(bufferevent_get_output(c->bev));
	return evbuffer_get_length(c->outq);
}

/*
 * Send bytes: straight to the socket when nothing is queued, queueing only
 * what the kernel did not take.
 */
static void
conn_send(struct ilssim_conn *c, const char *buf, size_t len)
{
	ssize_t	 n;

	if (c->bev != NULL) {
		if (bufferevent_write(c->bev, buf, len) == -1)
			conn_close(c, "out-of-memory");
		return;
	}
	if (evbuffer_get_length(c->outq) == 0) {
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n == (ssize_t)len)
			return;
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR) {
				conn_close(c, "write-error");
				return;
			}
			n = 0;
		}
		buf += n;
		len -= (size_t)n;
		event_add(c->wev, NULL);
	}
	if (evbuffer_add(c->outq, buf, len) == -1)
		conn_close(c, "out-of-memory");
}

static unsigned long
rng_next(struct ilssim_server *srv)
{
	srv->rng ^= srv->rng << 13;
	srv->rng ^= srv->rng >> 7;
	srv->rng ^= srv->rng << 17;
	return srv->rng;
}

/* Answer with bytes no SIP2 parser accepts: no code, then a CR. */
static void
conn_garbage(struct ilssim_conn *c)
{
	static const char	 set[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ#@!%&*~^";
	char			 buf[64];
	size_t			 i, n;

	n = 8 + rng_next(c->srv) % 40;
	for (i = 0; i < n; i++)
		buf[i] = set[rng_next(c->srv) % (sizeof(set) - 1)];
	buf[n++] = '\r';
	conn_send(c, buf, n);
}

static void
timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ilssim_conn	*c = arg;

	c->waiting = 0;
	c->ready = 1;
	conn_process(c);
	conn_update_read(c);
}

/*
 * Deal with one framed request under the current faults.  Returns 0 when
 * the request must wait for a delay and stays in the input buffer.
 */
static int
conn_request(struct ilssim_conn *c, const char *msg, size_t len)
{
	struct ilssim_server	*srv = c->srv;
	struct timeval		 tv;
	size_t			 n;
	int			 code;

	if (!c->ready && (code = ilssim_sip2_code(msg, len)) >= 0)
		srv->stats.rx[code]++;
	switch (srv->mode) {
	case ILSSIM_MODE_DROP:
		conn_close(c, "fault-drop");
		return 1;
	case ILSSIM_MODE_HANG:
		c->ready = 0;
		return 1;
	default:
		break;
	}
	if (srv->delay_ms > 0 && srv->delay_only[0] == '\0' && !c->ready) {
		tv.tv_sec = srv->delay_ms / 1000;
		tv.tv_usec = (srv->delay_ms % 1000) * 1000;
		c->waiting = 1;
		evtimer_add(c->timer, &tv);
		return 0;
	}
	c->ready = 0;
	if (srv->mode == ILSSIM_MODE_GARBAGE) {
		conn_garbage(c);
		return 1;
	}
	n = ilssim_sip2_handle(&c->sess, msg, len, outbuf, sizeof(outbuf));
	/* "lose CODE": carried out, the connection closed unanswered. */
	if (isdigit((unsigned char)srv->lose_only[0]) &&
	    (code = ilssim_sip2_code(msg, len)) >= 0 &&
	    code == atoi(srv->lose_only)) {
		conn_close(c, "fault-lose");
		return 1;
	}
	if (n > 0)
		conn_send(c, outbuf, n);
	return 1;
}

static void
conn_process(struct ilssim_conn *c)
{
	enum sip2_frame_res	 fr;
	size_t			 pos = 0, off, mlen, used;

	while (!c->dead && !c->waiting && pos < c->inlen) {
		if (conn_backlog(c) > OUT_HIGH) {
			c->paused = 1;
			break;
		}
		fr = sip2_frame(&c->framer, c->in + pos, c->inlen - pos,
		    &off, &mlen, &used);
		if (fr == SIP2_FRAME_MSG) {
			if (!conn_request(c, c->in + pos + off, mlen)) {
				pos += off;
				break;
			}
		} else if (fr == SIP2_FRAME_TOOLONG && c->srv->verbose)
			ilssim_log("conn=%u event=too-long", c->id);
		if (used == 0 || used > c->inlen - pos)
			break;
		pos += used;
		if (fr == SIP2_FRAME_MORE)
			break;
	}
	if (c->dead)
		return;
	if (pos > 0) {
		memmove(c->in, c->in + pos, c->inlen - pos);
		c->inlen -= pos;
	}
}

/* Read when there is room and nothing is backed up; otherwise don't. */
static void
conn_update_read(struct ilssim_conn *c)
{
	int	 want;

	if (c->dead)
		return;
	want = c->inlen < IN_CAP && !c->paused;
	if (want == c->reading)
		return;
	c->reading = want;
	if (c->bev != NULL) {
		if (want) {
			bufferevent_enable(c->bev, EV_READ);
			tls_pull(c);
		} else
			bufferevent_disable(c->bev, EV_READ);
	} else if (want)
		event_add(c->rev, NULL);
	else
		event_del(c->rev);
}

static void
conn_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ilssim_conn	*c = arg;
	ssize_t			 n;

	n = recv(fd, c->in + c->inlen, IN_CAP - c->inlen, 0);
	if (n == 0) {
		conn_close(c, "eof");
		return;
	}
	if (n == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_close(c, "read-error");
		return;
	}
	c->inlen += (size_t)n;
	conn_process(c);
	conn_update_read(c);
}

static void
conn_write_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ilssim_conn	*c = arg;

	if (evbuffer_write(c->outq, fd) == -1 && errno != EAGAIN &&
	    errno != EWOULDBLOCK && errno != EINTR) {
		conn_close(c, "write-error");
		return;
	}
	if (evbuffer_get_length(c->outq) > 0)
		return;
	event_del(c->wev);
	if (c->paused) {
		c->paused = 0;
		conn_process(c);
		conn_update_read(c);
	}
}

/* Move what TLS has decrypted into our buffer and work on it. */
static void
tls_pull(struct ilssim_conn *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	int		 n;

	while (!c->dead && c->inlen < IN_CAP && !c->paused &&
	    evbuffer_get_length(in) > 0) {
		n = evbuffer_remove(in, c->in + c->inlen, IN_CAP - c->inlen);
		if (n <= 0)
			break;
		c->inlen += (size_t)n;
		conn_process(c);
	}
}

static void
tls_read_cb(struct bufferevent *bev, void *arg)
{
	struct ilssim_conn	*c = arg;

	tls_pull(c);
	conn_update_read(c);
}

static void
tls_write_cb(struct bufferevent *bev, void *arg)
{
	struct ilssim_conn	*c = arg;

	if (c->paused) {
		c->paused = 0;
		conn_process(c);
		conn_update_read(c);
	}
}

static void
tls_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ilssim_conn	*c = arg;
	unsigned long		 e;
	char			 buf[256];

	if (what & BEV_EVENT_CONNECTED) {
		ilssim_log("conn=%u event=tls-established", c->id);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		conn_close(c, "eof");
		return;
	}
	if ((e = bufferevent_get_openssl_error(bev)) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		ilssim_log("conn=%u event=tls-error error=\"%s\"", c->id, buf);
	}
	conn_close(c, "error");
}

static void
conn_new(struct ilssim_server *srv, evutil_socket_t fd, struct sockaddr *sa,
    int tls)
{
	struct ilssim_conn	*c;
	SSL			*ssl = NULL;
	char			 host[NI_MAXHOST], port[NI_MAXSERV];
	int			 one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->srv = srv;
	c->fd = fd;
	c->id = ++srv->next_conn;
	ilssim_sip2_init(&c->sess, srv, c->id);
	if ((c->in = malloc(IN_CAP)) == NULL ||
	    (c->timer = evtimer_new(srv->base, timer_cb, c)) == NULL)
		goto fail;
	if (tls) {
		if ((ssl = SSL_new(srv->ssl)) == NULL ||
		    (c->bev = bufferevent_openssl_socket_new(srv->base, fd,
		    ssl, BUFFEREVENT_SSL_ACCEPTING,
		    BEV_OPT_CLOSE_ON_FREE)) == NULL)
			goto fail;
		c->fd = -1;
		/* A terminal that just closes its socket has left. */
		bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
		bufferevent_setcb(c->bev, tls_read_cb, tls_write_cb,
		    tls_event_cb, c);
		bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	} else {
		if ((c->rev = event_new(srv->base, fd, EV_READ | EV_PERSIST,
		    conn_read_cb, c)) == NULL ||
		    (c->wev = event_new(srv->base, fd, EV_WRITE | EV_PERSIST,
		    conn_write_cb, c)) == NULL ||
		    (c->outq = evbuffer_new()) == NULL ||
		    event_add(c->rev, NULL) == -1)
			goto fail;
	}
	c->reading = 1;
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	srv->stats.conns++;
	if (getnameinfo(sa, sa->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
	    host, sizeof(host), port, sizeof(port),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(host, sizeof(host), "?");
	ilssim_log("conn=%u event=connect peer=%s:%s listener=%s", c->id,
	    host, port, tls ? "tls" : "sip2");
	return;

fail:
	ilssim_log("event=connect-failed reason=out-of-memory");
	if (c == NULL || c->bev == NULL) {
		if (ssl != NULL)
			SSL_free(ssl);
		close(fd);
	}
	if (c != NULL) {
		c->fd = -1;
		conn_free(c);
	}
}

/* --- the control port ------------------------------------------------- */

static void
ctl_close(struct ilssim_ctl *ctl)
{
	TAILQ_REMOVE(&ctl->srv->ctls, ctl, entry);
	bufferevent_free(ctl->bev);
	free(ctl);
}

static void
ctl_stats(struct ilssim_server *srv, char *buf, size_t len)
{
	size_t	 n, i;
	int	 w;

	n = (size_t)snprintf(buf, len, "ok");
	for (i = 0; i < 100 && n < len; i++) {
		if (srv->stats.rx[i] != 0) {
			w = snprintf(buf + n, len - n, " %02zu=%lu", i,
			    srv->stats.rx[i]);
			n += w > 0 ? (size_t)w : 0;
		}
		if (srv->stats.tx[i] != 0 && n < len) {
			w = snprintf(buf + n, len - n, " %02zu=%lu", i,
			    srv->stats.tx[i]);
			n += w > 0 ? (size_t)w : 0;
		}
	}
	if (n < len)
		snprintf(buf + n, len - n, " bad=%lu conns=%lu",
		    srv->stats.bad, srv->stats.conns);
}

static void
ctl_reset(struct ilssim_server *srv, char *buf, size_t len)
{
	struct ilssim_state	*st;
	char			 err[512];

	if ((st = ilssim_data_load(srv->datafile, err, sizeof(err))) == NULL) {
		snprintf(buf, len, "error %s", err);
		return;
	}
	ilssim_data_free(srv->state);
	srv->state = st;
	memset(&srv->stats, 0, sizeof(srv->stats));
	snprintf(buf, len, "ok reset");
}

/* Carry out one control command and write its one-line answer. */
static void
ctl_command(struct ilssim_server *srv, char *line, char *buf, size_t len)
{
	static const char *const faults[] = {
		"delay", "drop", "refuse", "garbage", "hang", "normal", "busy",
		"lose", NULL
	};
	struct ilssim_patron	*p;
	struct ilssim_item	*it;
	char			*cmd, *arg, spec[64], err[256];
	size_t			 i;
	int			 n;

	for (cmd = line; isspace((unsigned char)*cmd); cmd++)
		;
	for (arg = cmd; *arg != '\0' && !isspace((unsigned char)*arg); arg++)
		;
	if (*arg != '\0')
		*arg++ = '\0';
	while (isspace((unsigned char)*arg))
		arg++;
	n = (int)strlen(arg);
	while (n > 0 && isspace((unsigned char)arg[n - 1]))
		arg[--n] = '\0';
	for (i = 0; faults[i] != NULL; i++)
		if (strcmp(cmd, faults[i]) == 0)
			break;

	if (faults[i] != NULL) {
		snprintf(spec, sizeof(spec), "%s%s%.32s", cmd,
		    *arg != '\0' ? " " : "", arg);
		if (ilssim_net_fault(srv, spec, err, sizeof(err)) == 0)
			snprintf(buf, len, "ok %s", spec);
		else
			snprintf(buf, len, "error %s", err);
		ilssim_log("event=control command=%s", faults[i]);
	} else if (strcmp(cmd, "stats") == 0)
		ctl_stats(srv, buf, len);
	else if (strcmp(cmd, "ncip-stats") == 0)
		ilssim_ncip_stats(srv, buf, len);
	else if (strcmp(cmd, "counts") == 0) {
		n = snprintf(buf, len, "ok ");
		ilssim_data_describe_counts(srv->state, buf + n, len - n);
	}
	else if (strcmp(cmd, "reset") == 0) {
		ctl_reset(srv, buf, len);
		ilssim_log("event=control command=reset result=%s",
		    buf[0] == 'o' ? "ok" : "error");
	} else if (strcmp(cmd, "faults") == 0)
		snprintf(buf, len, "ok mode=%s delay=%u refuse=%s",
		    mode_name(srv->mode), srv->delay_ms,
		    srv->refusing ? "yes" : "no");
	else if (strcmp(cmd, "item") == 0) {
		/* For tests only: never logged. */
		if ((it = ilssim_data_item(srv->state, arg)) == NULL)
			snprintf(buf, len, "error unknown item");
		else {
			n = snprintf(buf, len, "ok ");
			ilssim_data_describe_item(it, buf + n, len - n);
		}
	} else if (strcmp(cmd, "patron") == 0 || strcmp(cmd, "newest") == 0) {
		/* newest: the patron made last, by CreateUser or the file. */
		if (cmd[0] == 'n')
			p = srv->state->npatrons > 0 ?
			    srv->state->patrons[srv->state->npatrons - 1] :
			    NULL;
		else
			p = ilssim_data_patron(srv->state, arg);
		if (p == NULL)
			snprintf(buf, len, "error unknown patron");
		else {
			n = snprintf(buf, len, "ok ");
			ilssim_data_describe_patron(srv->state, p, time(NULL),
			    buf + n, len - n);
		}
	} else
		snprintf(buf, len, "error unknown command");
}

static void
ctl_read_cb(struct bufferevent *bev, void *arg)
{
	struct ilssim_ctl	*ctl = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	char			*line, reply[2048];
	size_t			 n;

	while ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF)) != NULL) {
		if (n > CTL_LINE_MAX)
			snprintf(reply, sizeof(reply), "error line too long");
		else if (n > 0)
			ctl_command(ctl->srv, line, reply, sizeof(reply));
		if (n > 0) {
			bufferevent_write(bev, reply, strlen(reply));
			bufferevent_write(bev, "\n", 1);
		}
		free(line);
	}
	if (evbuffer_get_length(in) > CTL_LINE_MAX)
		ctl_close(ctl);
}

static void
ctl_event_cb(struct bufferevent *bev, short what, void *arg)
{
	ctl_close(arg);
}

static void
ctl_new(struct ilssim_server *srv, evutil_socket_t fd)
{
	struct ilssim_ctl	*ctl;

	if ((ctl = calloc(1, sizeof(*ctl))) == NULL ||
	    (ctl->bev = bufferevent_socket_new(srv->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(ctl);
		close(fd);
		return;
	}
	ctl->srv = srv;
	bufferevent_setcb(ctl->bev, ctl_read_cb, NULL, ctl_event_cb, ctl);
	bufferevent_enable(ctl->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&srv->ctls, ctl, entry);
}

/* --- listeners -------------------------------------------------------- */

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct ilssim_listener	*l = arg;

	if (l->kind == LK_CONTROL)
		ctl_new(l->srv, fd);
	else
		conn_new(l->srv, fd, sa, l->kind == LK_TLS);
}

static void
accept_retry_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ilssim_listener	*l = arg;

	if (l->lev != NULL)
		evconnlistener_enable(l->lev);
}

/* Out of descriptors, stop accepting for a second rather than spin. */
static void
accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct ilssim_listener	*l = arg;
	struct timeval		 tv = { 1, 0 };
	int			 e = errno;

	ilssim_log("event=accept-error error=\"%s\"", strerror(e));
	if ((e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) &&
	    l->retry != NULL) {
		evconnlistener_disable(lev);
		evtimer_add(l->retry, &tv);
	}
}

static int
listener_port(const struct ilssim_listener *l)
{
	if (l->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&l->ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&l->ss)->sin_port);
}

static int
listener_open(struct ilssim_listener *l)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	l->lev = evconnlistener_new_bind(l->srv->base, accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    1024, (struct sockaddr *)&l->ss, (int)l->sslen);
	if (l->lev == NULL)
		return -1;
	if (l->retry == NULL && (l->retry = evtimer_new(l->srv->base,
	    accept_retry_cb, l)) == NULL) {
		evconnlistener_free(l->lev);
		l->lev = NULL;
		return -1;
	}
	evconnlistener_set_error_cb(l->lev, accept_error_cb);
	/* Keep the port the kernel chose so that reopening finds it. */
	if (getsockname(evconnlistener_get_fd(l->lev), (struct sockaddr *)&ss,
	    &len) == 0 && len <= sizeof(l->ss)) {
		memcpy(&l->ss, &ss, len);
		l->sslen = len;
	}
	return 0;
}

static void
listener_close(struct ilssim_listener *l)
{
	if (l->lev != NULL)
		evconnlistener_free(l->lev);
	l->lev = NULL;
	if (l->retry != NULL)
		event_del(l->retry);
}

static void
listener_free(struct ilssim_listener *l)
{
	listener_close(l);
	if (l->retry != NULL)
		event_free(l->retry);
	l->retry = NULL;
}

static int
loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)sa;
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)sa;
		return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
	}
	return 0;
}

/* Resolve a numeric loopback address and port for a listener. */
int
ilssim_net_resolve(const char *host, const char *port,
    struct sockaddr_storage *ss, socklen_t *sslen, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res;
	int		 rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s:%s: %s", host, port,
		    gai_strerror(rc));
		return -1;
	}
	if (!loopback(res->ai_addr) || res->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(res);
		snprintf(err, errlen, "%s: the simulator listens on loopback "
		    "addresses only", host);
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int
listener_init(struct ilssim_server *srv, struct ilssim_listener *l,
    enum lkind kind, const char *host, const char *port, char *err,
    size_t errlen)
{
	memset(l, 0, sizeof(*l));
	l->srv = srv;
	l->kind = kind;
	if (ilssim_net_resolve(host, port, &l->ss, &l->sslen, err,
	    errlen) == -1)
		return -1;
	if (listener_open(l) == -1) {
		snprintf(err, errlen, "%s:%s: %s", host, port,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
tls_init(struct ilssim_server *srv, const char *cert, const char *key,
    char *err, size_t errlen)
{
	unsigned long	 e;

	if ((srv->ssl = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(srv->ssl, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate_chain_file(srv->ssl, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(srv->ssl, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(srv->ssl) != 1) {
		e = ERR_get_error();
		snprintf(err, errlen, "TLS setup (%s, %s): %s", cert, key,
		    e != 0 ? ERR_reason_error_string(e) : "failed");
		return -1;
	}
	SSL_CTX_set_options(srv->ssl, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* Terminals often close without close_notify: that is an EOF. */
	SSL_CTX_set_options(srv->ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	return 0;
}

int
ilssim_net_start(struct ilssim_server *srv, struct ilssim_listen_arg *args,
    size_t nargs, const char *control, const char *cert, const char *key,
    char *err, size_t errlen)
{
	struct ilssim_listener	*l;
	char			*host = NULL, *port;
	size_t			 i;
	int			 tls = 0, rc = -1;

	TAILQ_INIT(&srv->conns);
	TAILQ_INIT(&srv->dead);
	TAILQ_INIT(&srv->ctls);
	srv->rng = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16)
	    ^ 0x9e3779b97f4a7c15UL;
	if ((srv->reaper = event_new(srv->base, -1, 0, reap_cb, srv)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < nargs; i++)
		tls |= args[i].tls;
	if (tls && tls_init(srv, cert, key, err, errlen) == -1)
		return -1;
	if ((srv->listeners = calloc(nargs, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < nargs; i++) {
		if (args[i].ncip)
			continue;
		if (listener_init(srv, &srv->listeners[srv->nlisteners],
		    args[i].tls ? LK_TLS : LK_SIP2, args[i].host, args[i].port,
		    err, errlen) == -1)
			return -1;
		srv->nlisteners++;
	}
	if (ilssim_http_start(srv, args, nargs, err, errlen) == -1)
		return -1;
	if (control != NULL) {
		if ((host = strdup(control)) == NULL ||
		    (port = strrchr(host, ':')) == NULL) {
			snprintf(err, errlen, "%s: expected ADDR:PORT",
			    control);
			goto out;
		}
		*port++ = '\0';
		if ((srv->control = calloc(1, sizeof(*l))) == NULL ||
		    listener_init(srv, srv->control, LK_CONTROL, host, port,
		    err, errlen) == -1)
			goto out;
	}
	if (srv->refusing) {
		for (i = 0; i < srv->nlisteners; i++)
			listener_close(&srv->listeners[i]);
		(void)ilssim_http_listen(srv, 0, err, errlen);
	}
	rc = 0;
out:
	free(host);
	return rc;
}

int
ilssim_net_portfile(struct ilssim_server *srv, const char *path)
{
	FILE	*fp;
	char	 tmp[1024];
	size_t	 i;
	int	 n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp) ||
	    (fp = fopen(tmp, "w")) == NULL)
		return -1;
	for (i = 0; i < srv->nlisteners; i++)
		fprintf(fp, "%s %d\n", srv->listeners[i].kind == LK_TLS ?
		    "tls" : "sip2", listener_port(&srv->listeners[i]));
	ilssim_http_portfile(srv, fp);
	if (srv->control != NULL)
		fprintf(fp, "control %d\n", listener_port(srv->control));
	if (fclose(fp) == EOF || rename(tmp, path) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* --- faults ----------------------------------------------------------- */

static int
fault_refuse(struct ilssim_server *srv)
{
	size_t	 i;

	for (i = 0; i < srv->nlisteners; i++)
		listener_close(&srv->listeners[i]);
	(void)ilssim_http_listen(srv, 0, NULL, 0);
	srv->refusing = 1;
	return 0;
}

static int
fault_normal(struct ilssim_server *srv, char *err, size_t errlen)
{
	size_t	 i;

	srv->mode = ILSSIM_MODE_NORMAL;
	srv->delay_ms = 0;
	srv->delay_only[0] = '\0';
	srv->busy_only[0] = '\0';
	srv->lose_only[0] = '\0';
	if (!srv->refusing)
		return 0;
	for (i = 0; i < srv->nlisteners; i++) {
		if (srv->listeners[i].lev != NULL)
			continue;
		if (listener_open(&srv->listeners[i]) == -1) {
			snprintf(err, errlen, "cannot reopen port %d: %s",
			    listener_port(&srv->listeners[i]),
			    strerror(errno));
			return -1;
		}
	}
	if (ilssim_http_listen(srv, 1, err, errlen) == -1)
		return -1;
	srv->refusing = 0;
	return 0;
}

int
ilssim_net_fault(struct ilssim_server *srv, const char *spec, char *err,
    size_t errlen)
{
	char		 name[16];
	const char	*arg;
	char		*end;
	size_t		 n;
	long		 ms;

	n = strcspn(spec, " =:");
	if (n >= sizeof(name)) {
		snprintf(err, errlen, "unknown command");
		return -1;
	}
	memcpy(name, spec, n);
	name[n] = '\0';
	arg = spec + n + (spec[n] != '\0');
	if (strcmp(name, "delay") == 0) {
		errno = 0;
		ms = strtol(arg, &end, 10);
		/* "delay MS SERVICE": that NCIP service's requests only. */
		if (*end == ' ')
			end++;
		n = strspn(end, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz");
		if (*arg == '\0' || end[n] != '\0' || errno != 0 || ms < 0 ||
		    ms > DELAY_MAX || n >= sizeof(srv->delay_only) ||
		    (n == 0 && end[-1] == ' ')) {
			snprintf(err, errlen, "usage: delay MS [SERVICE] "
			    "(0-%d)", DELAY_MAX);
			return -1;
		}
		srv->delay_ms = (unsigned)ms;
		snprintf(srv->delay_only, sizeof(srv->delay_only), "%.*s",
		    (int)n, end);
		return 0;
	}
	/*
	 * "busy SERVICE": that NCIP service is refused for now; "lose
	 * SERVICE": carried out, its answer lost with the connection.
	 */
	if (strcmp(name, "busy") == 0 || strcmp(name, "lose") == 0) {
		n = strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz");
		/* A SIP2 request's code is lost too ("lose 17"). */
		if (n == 0 && *name == 'l' && isdigit((unsigned char)arg[0]) &&
		    isdigit((unsigned char)arg[1]))
			n = 2;
		if (n == 0 || arg[n] != '\0' || n >= sizeof(srv->busy_only)) {
			snprintf(err, errlen, "usage: %s SERVICE", name);
			return -1;
		}
		snprintf(*name == 'b' ? srv->busy_only : srv->lose_only,
		    sizeof(srv->busy_only), "%s", arg);
		return 0;
	}
	if (*arg != '\0') {
		snprintf(err, errlen, "%s takes no argument", name);
		return -1;
	}
	if (strcmp(name, "drop") == 0)
		srv->mode = ILSSIM_MODE_DROP;
	else if (strcmp(name, "garbage") == 0)
		srv->mode = ILSSIM_MODE_GARBAGE;
	else if (strcmp(name, "hang") == 0)
		srv->mode = ILSSIM_MODE_HANG;
	else if (strcmp(name, "refuse") == 0)
		return srv->base != NULL && srv->listeners != NULL ?
		    fault_refuse(srv) : (srv->refusing = 1, 0);
	else if (strcmp(name, "normal") == 0)
		return fault_normal(srv, err, errlen);
	else {
		snprintf(err, errlen, "unknown command");
		return -1;
	}
	return 0;
}

void
ilssim_net_stop(struct ilssim_server *srv)
{
	struct ilssim_conn	*c;
	size_t			 i;

	while ((c = TAILQ_FIRST(&srv->conns)) != NULL)
		conn_close(c, "shutdown");
	reap_cb(-1, 0, srv);
	while (!TAILQ_EMPTY(&srv->ctls))
		ctl_close(TAILQ_FIRST(&srv->ctls));
	ilssim_http_stop(srv);
	for (i = 0; i < srv->nlisteners; i++)
		listener_free(&srv->listeners[i]);
	free(srv->listeners);
	srv->listeners = NULL;
	srv->nlisteners = 0;
	if (srv->control != NULL) {
		listener_free(srv->control);
		free(srv->control);
		srv->control = NULL;
	}
	if (srv->reaper != NULL)
		event_free(srv->reaper);
	srv->reaper = NULL;
	if (srv->ssl != NULL)
		SSL_CTX_free(srv->ssl);
	srv->ssl = NULL;
}
