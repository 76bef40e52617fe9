/* SPDX-License-Identifier: ISC */
/*
 * sip2load: a closed-loop SIP2 load generator that keeps one request
 * outstanding per connection and reports throughput and latency.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
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
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "sip2.h"

#define LOAD_RAMP	500	/* connections being set up at once */
#define LOAD_LIST_MAX	4096	/* patrons or items */
#define LOAD_ERR_SHOWN	10	/* error messages printed, then counted */
#define LOAD_READ	65536
#define NSEQ		10

/*
 * Latency histogram with microsecond buckets: exact below 64 us, then 32
 * buckets per power of two (about 3 % wide) up to 2^40 us.
 */
#define HIST_LINEAR	64
#define HIST_HALF	32
#define HIST_SHIFTS	40
#define HIST_SIZE	(HIST_LINEAR + HIST_SHIFTS * HIST_HALF)

enum mode {
	MODE_STATUS,
	MODE_CHECKOUT,
	MODE_IDLE,
};

enum phase {
	PHASE_RAMP,	/* connecting and logging in */
	PHASE_WARMUP,
	PHASE_MEASURE,
	PHASE_IDLE,	/* all up, holding */
	PHASE_END,
};

enum cstate {
	C_NEW,
	C_CONNECTING,
	C_HANDSHAKE,
	C_LOGIN,
	C_READY,	/* logged in, waiting for the others */
	C_RUN,
	C_DONE,		/* request budget used up */
	C_DEAD,
};

/* One request pre-built for every sequence number. */
struct tmpl {
	char		*bytes[NSEQ];
	size_t		 len[NSEQ];
	int		 expect;	/* response code */
};

struct conn {
	int		 id;
	int		 fd;
	enum cstate	 state;
	struct event	*ev;		/* plain: connect, then reads */
	struct event	*wev;		/* plain: the rest of a short send */
	struct bufferevent *bev;	/* TLS */
	char		*carry;		/* plain: a partial response */
	size_t		 ncarry;
	const char	*wptr;
	size_t		 wlen;
	struct sip2_framer fr;
	int		 seq;
	int		 expect;
	int		 awaiting;
	unsigned long	 step;
	uint64_t	 stamp;		/* us: request sent or setup began */
};

struct patron {
	char		*barcode;
	char		*pin;
};

static struct {
	struct event_base *base;
	struct sockaddr_storage addr;
	int		 addrlen;
	SSL_CTX		*ssl;
	struct sip2_wire wire;
	enum mode	 mode;
	int		 nconns;
	struct conn	*conns;
	const char	*login;
	const char	*password;
	const char	*location;
	const char	*institution;
	struct patron	 patrons[LOAD_LIST_MAX];
	int		 npatrons;
	char		*items[LOAD_LIST_MAX];
	int		 nitems;
	int		 duration;
	int		 warmup;
	long long	 limit;		/* -n: requests in all, 0 for timed */
	long long	 issued;
	int		 timeout_ms;

	struct tmpl	 login_tmpl;
	struct tmpl	*tmpls;
	int		 ntmpls;

	enum phase	 phase;
	int		 next;		/* next connection to start */
	int		 nsetup;	/* connections being set up */
	int		 nready;
	int		 ndead;
	int		 nrunning;
	uint64_t	 t_begin;
	uint64_t	 t_up;		/* all connections set up */
	uint64_t	 t_measure;
	uint64_t	 t_end;
	uint64_t	 hist[HIST_SIZE];
	unsigned long long counted;	/* responses inside the window */
	unsigned long long total;	/* every response, logins too */
	unsigned long long refused;	/* circulation answered "not ok" */
	unsigned long long errors;
	struct event	*phase_timer;
	struct event	*watchdog;
} L;

static char	 rbuf[SIP2_MSG_MAX + LOAD_READ];

static void	usage(void) __attribute__((__noreturn__));
static void	conn_fail(struct conn *, const char *);
static void	conn_next(struct conn *);
static void	load_finish(void);
static void	load_ramp(void);

static void
usage(void)
{
	fprintf(stderr,
	    "usage: sip2load [-T] [-a cafile] [-c conns] "
	    "[-m status|checkout|idle]\n"
	    "\t[-u login -w password] [-l location] [-i institution]\n"
	    "\t[-P patronfile | -b barcode[:pin],...] [-I item,...]\n"
	    "\t[-d seconds] [-W warmup-seconds] [-n requests] "
	    "[-t timeout-ms]\n"
	    "\t[-e cr|crlf|lf] host:port\n");
	exit(2);
}

static uint64_t
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

static size_t
hist_index(uint64_t us)
{
	unsigned	 shift = 0;
	size_t		 i;

	if (us < HIST_LINEAR)
		return ((size_t)us);
	while ((us >> shift) >= HIST_LINEAR)
		shift++;
	i = HIST_LINEAR + (shift - 1) * HIST_HALF +
	    (size_t)((us >> shift) - HIST_HALF);
	return (i < HIST_SIZE ? i : HIST_SIZE - 1);
}

/* The middle of a bucket, which is what a percentile reports. */
static uint64_t
hist_value(size_t i)
{
	uint64_t	 m;
	unsigned	 shift;

	if (i < HIST_LINEAR)
		return (i);
	i -= HIST_LINEAR;
	shift = (unsigned)(i / HIST_HALF) + 1;
	m = i % HIST_HALF + HIST_HALF;
	return ((m << shift) + ((1ULL << shift) - 1) / 2);
}

static uint64_t
hist_percentile(double q)
{
	unsigned long long	 want, sum = 0;
	size_t			 i;

	if (L.counted == 0)
		return (0);
	want = (unsigned long long)(q * (double)L.counted);
	if ((double)want < q * (double)L.counted)
		want++;
	if (want == 0)
		want = 1;
	for (i = 0; i < HIST_SIZE; i++) {
		sum += L.hist[i];
		if (sum >= want)
			return (hist_value(i));
	}
	return (hist_value(HIST_SIZE - 1));
}

static void
note_error(const char *what, int id)
{
	L.errors++;
	if (L.errors <= LOAD_ERR_SHOWN)
		fprintf(stderr, "sip2load: connection %d: %s\n", id, what);
	else if (L.errors == LOAD_ERR_SHOWN + 1)
		fprintf(stderr, "sip2load: more errors, counted only\n");
}

/* Fill the fixed fields a terminal would fill, then the given fields. */
static struct sip2_msg *
msg_make(int code, const char *date)
{
	struct sip2_msg	*m;

	if ((m = sip2_msg_new(code)) == NULL)
		return (NULL);
	(void)sip2_msg_set_fixed(m, SIP2_FX_DATE, date);
	(void)sip2_msg_set_fixed(m, SIP2_FX_RETURN_DATE, date);
	(void)sip2_msg_set_fixed(m, SIP2_FX_LANGUAGE, "000");
	(void)sip2_msg_set_fixed(m, SIP2_FX_NO_BLOCK, "N");
	(void)sip2_msg_set_fixed(m, SIP2_FX_SC_RENEWAL_POLICY, "Y");
	(void)sip2_msg_set_fixed(m, SIP2_FX_UID_ALGO, "0");
	(void)sip2_msg_set_fixed(m, SIP2_FX_PWD_ALGO, "0");
	return (m);
}

static int
msg_fields(struct sip2_msg *m, const char *const *kv)
{
	for (; kv[0] != NULL; kv += 2)
		if (kv[1] != NULL && sip2_msg_add_field(m, kv[0], kv[1]) == -1)
			return (-1);
	return (0);
}

/* Encode a message once for each sequence number; frees the message. */
static int
tmpl_build(struct tmpl *t, struct sip2_msg *m)
{
	char	 buf[SIP2_BUILD_MAX];
	ssize_t	 n;
	int	 seq;

	if (m == NULL)
		return (-1);
	t->expect = sip2_msg_spec(m)->response;
	for (seq = 0; seq < NSEQ; seq++) {
		sip2_msg_set_seq(m, seq);
		if ((n = sip2_build(m, &L.wire, buf, sizeof(buf))) <= 0 ||
		    (t->bytes[seq] = malloc((size_t)n)) == NULL) {
			sip2_msg_free(m);
			return (-1);
		}
		memcpy(t->bytes[seq], buf, (size_t)n);
		t->len[seq] = (size_t)n;
	}
	sip2_msg_free(m);
	return (0);
}

static int
tmpls_build(void)
{
	struct sip2_msg	*m;
	const char	*ao = L.institution != NULL ? L.institution : "";
	const char	*ap = L.location != NULL ? L.location : "";
	char		 date[19];
	int		 i, k;

	sip2_date_format(time(NULL), 0, date);
	if (L.login != NULL) {
		const char *kv[] = { "CN", L.login, "CO", L.password,
		    "CP", L.location, NULL };

		m = msg_make(SIP2_LOGIN, date);
		if (m == NULL || msg_fields(m, kv) == -1 ||
		    tmpl_build(&L.login_tmpl, m) == -1)
			return (-1);
	}

	if (L.mode == MODE_STATUS)
		L.ntmpls = L.npatrons;
	else if (L.mode == MODE_CHECKOUT)
		L.ntmpls = 2 * L.nitems;
	else
		return (0);
	if ((L.tmpls = calloc((size_t)L.ntmpls, sizeof(*L.tmpls))) == NULL)
		return (-1);

	for (k = 0; k < L.ntmpls; k++) {
		if (L.mode == MODE_STATUS) {
			const struct patron *p = &L.patrons[k];
			const char *kv[] = { "AO", ao, "AA", p->barcode,
			    "AC", "", "AD", p->pin != NULL ? p->pin : "",
			    NULL };

			m = msg_make(SIP2_PATRON_STATUS, date);
			if (m == NULL || msg_fields(m, kv) == -1)
				goto fail;
		} else if (k % 2 == 0) {
			const struct patron *p;

			i = k / 2;
			p = &L.patrons[i % L.npatrons];
			{
				const char *kv[] = { "AO", ao,
				    "AA", p->barcode, "AB", L.items[i],
				    "AC", "", "AD", p->pin, NULL };

				m = msg_make(SIP2_CHECKOUT, date);
				if (m == NULL || msg_fields(m, kv) == -1)
					goto fail;
			}
		} else {
			const char *kv[] = { "AP", ap, "AO", ao,
			    "AB", L.items[k / 2], "AC", "", NULL };

			m = msg_make(SIP2_CHECKIN, date);
			if (m == NULL || msg_fields(m, kv) == -1)
				goto fail;
		}
		if (tmpl_build(&L.tmpls[k], m) == -1)
			return (-1);
	}
	return (0);

fail:
	sip2_msg_free(m);
	return (-1);
}

static void
conn_close(struct conn *c)
{
	if (c->ev != NULL) {
		event_free(c->ev);
		c->ev = NULL;
	}
	if (c->wev != NULL) {
		event_free(c->wev);
		c->wev = NULL;
	}
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
		c->fd = -1;
	}
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	free(c->carry);
	c->carry = NULL;
	c->ncarry = 0;
}

static int
setting_up(const struct conn *c)
{
	return (c->state == C_CONNECTING || c->state == C_HANDSHAKE ||
	    c->state == C_LOGIN);
}

static void
load_check_up(void)
{
	int	 i;

	if (L.phase != PHASE_RAMP || L.nready + L.ndead < L.nconns)
		return;
	L.t_up = now_us();
	if (L.nready == 0) {
		fprintf(stderr, "sip2load: no connection came up\n");
		load_finish();
		return;
	}
	if (L.mode == MODE_IDLE) {
		L.phase = PHASE_IDLE;
		printf("ready %d\n", L.nready);
		fflush(stdout);
		if (L.duration > 0) {
			struct timeval tv = { L.duration, 0 };

			evtimer_add(L.phase_timer, &tv);
		}
		return;
	}
	if (L.limit > 0) {
		L.phase = PHASE_MEASURE;
		L.t_measure = L.t_up;
	} else if (L.warmup > 0) {
		struct timeval tv = { L.warmup, 0 };

		L.phase = PHASE_WARMUP;
		evtimer_add(L.phase_timer, &tv);
	} else {
		struct timeval tv = { L.duration, 0 };

		L.phase = PHASE_MEASURE;
		L.t_measure = L.t_up;
		evtimer_add(L.phase_timer, &tv);
	}
	for (i = 0; i < L.nconns; i++) {
		if (L.conns[i].state == C_READY) {
			L.conns[i].state = C_RUN;
			L.nrunning++;
		}
	}
	for (i = 0; i < L.nconns && L.phase != PHASE_END; i++)
		if (L.conns[i].state == C_RUN)
			conn_next(&L.conns[i]);
}

static void
conn_fail(struct conn *c, const char *why)
{
	enum cstate	 was = c->state;

	if (was == C_DEAD)
		return;
	note_error(why, c->id);
	conn_close(c);
	c->state = C_DEAD;
	if (was == C_CONNECTING || was == C_HANDSHAKE || was == C_LOGIN) {
		L.nsetup--;
		L.ndead++;
		load_ramp();
		load_check_up();
		return;
	}
	if (was == C_READY) {
		L.nready--;
		L.ndead++;
		return;
	}
	if (was == C_RUN) {
		L.nrunning--;
		if (L.nrunning == 0 && L.phase != PHASE_END)
			load_finish();
	}
}

static void
conn_sent_rest(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	ssize_t		 n;

	n = send(c->fd, c->wptr, c->wlen, MSG_NOSIGNAL);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		conn_fail(c, strerror(errno));
		return;
	}
	c->wptr += n;
	c->wlen -= (size_t)n;
	if (c->wlen == 0)
		event_del(c->wev);
}

static void
conn_send(struct conn *c, const struct tmpl *t)
{
	ssize_t	 n;

	c->expect = t->expect;
	c->awaiting = 1;
	c->stamp = now_us();
	if (c->bev != NULL) {
		if (bufferevent_write(c->bev, t->bytes[c->seq],
		    t->len[c->seq]) == -1)
			conn_fail(c, "out of memory");
		return;
	}
	n = send(c->fd, t->bytes[c->seq], t->len[c->seq], MSG_NOSIGNAL);
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR) {
			conn_fail(c, strerror(errno));
			return;
		}
		n = 0;
	}
	if ((size_t)n == t->len[c->seq])
		return;
	/* A short send of a few hundred bytes is rare: finish it later. */
	c->wptr = t->bytes[c->seq] + n;
	c->wlen = t->len[c->seq] - (size_t)n;
	if (c->wev == NULL)
		c->wev = event_new(L.base, c->fd, EV_WRITE | EV_PERSIST,
		    conn_sent_rest, c);
	if (c->wev == NULL || event_add(c->wev, NULL) == -1)
		conn_fail(c, "cannot wait for the socket");
}

static void
conn_next(struct conn *c)
{
	const struct tmpl	*t;
	unsigned long		 k;

	if (L.phase != PHASE_WARMUP && L.phase != PHASE_MEASURE)
		return;
	if (L.limit > 0 && L.issued >= L.limit) {
		c->state = C_DONE;
		if (--L.nrunning == 0)
			load_finish();
		return;
	}
	L.issued++;
	if (L.mode == MODE_STATUS) {
		k = ((unsigned long)c->id + c->step) % (unsigned long)L.ntmpls;
	} else {
		k = (unsigned long)(c->id % L.nitems) * 2 + (c->step & 1);
	}
	t = &L.tmpls[k];
	c->step++;
	c->seq = (c->seq + 1) % NSEQ;
	conn_send(c, t);
}

/* Check code, checksum and sequence; NULL when the response is right. */
static const char *
resp_check(const struct conn *c, const char *msg, size_t len)
{
	int	 code;

	if (len < 2 || msg[0] < '0' || msg[0] > '9' ||
	    msg[1] < '0' || msg[1] > '9')
		return ("response without a message code");
	code = (msg[0] - '0') * 10 + (msg[1] - '0');
	if (code == SIP2_REQUEST_RESEND)
		return ("server found the request garbled (96)");
	if (code != c->expect)
		return ("unexpected response code");
	if (sip2_checksum_verify(msg, len) != 1)
		return ("bad or missing checksum");
	if (len < 9 || msg[len - 9] != 'A' || msg[len - 8] != 'Y' ||
	    msg[len - 7] != '0' + c->seq)
		return ("sequence number not echoed");
	return (NULL);
}

/*
 * Return 1 for a well-formed answer that says no: a checkout or checkin
 * not ok, or a patron status without "valid patron" Y, which is also what
 * a gateway answers when it cannot reach the ILS.
 */
static int
resp_refused(const char *msg, size_t len)
{
	size_t	 fixed = 2 + 14 + 3 + 18;	/* 24: status, language, date */

	if (L.mode == MODE_CHECKOUT)
		return (len > 2 && msg[2] != '1');
	if (len <= fixed)
		return (1);
	return (memmem(msg + fixed, len - fixed, "BLY", 3) == NULL);
}

static void
conn_ready(struct conn *c)
{
	c->state = C_READY;
	L.nsetup--;
	L.nready++;
	load_ramp();
	load_check_up();
}

/* Handle one framed response; -1 when the connection went away. */
static int
conn_response(struct conn *c, const char *msg, size_t len)
{
	const char	*why;
	uint64_t	 now;

	if (!c->awaiting) {
		conn_fail(c, "response nobody asked for");
		return (-1);
	}
	c->awaiting = 0;
	L.total++;
	why = resp_check(c, msg, len);

	if (c->state == C_LOGIN) {
		if (why == NULL && msg[2] != '1')
			why = "login refused";
		if (why != NULL) {
			conn_fail(c, why);
			return (-1);
		}
		conn_ready(c);
		return (c->state == C_DEAD ? -1 : 0);
	}
	if (c->state != C_RUN)
		return (0);

	if (L.phase == PHASE_MEASURE) {
		now = now_us();
		L.hist[hist_index(now - c->stamp)]++;
		L.counted++;
	}
	if (why != NULL)
		note_error(why, c->id);
	else if (resp_refused(msg, len))
		L.refused++;
	conn_next(c);
	return (c->state == C_DEAD ? -1 : 0);
}

/* Frame and handle responses; returns bytes used, -1 if closed. */
static ssize_t
conn_input(struct conn *c, const char *data, size_t len)
{
	enum sip2_frame_res	 r;
	size_t			 pos = 0, off, mlen, used;

	while (pos < len) {
		r = sip2_frame(&c->fr, data + pos, len - pos, &off, &mlen,
		    &used);
		if (r == SIP2_FRAME_TOOLONG) {
			conn_fail(c, "response over the length cap");
			return (-1);
		}
		if (r == SIP2_FRAME_MORE) {
			pos += used;
			break;
		}
		if (conn_response(c, data + pos + off, mlen) == -1)
			return (-1);
		pos += used;
		if (used == 0)
			break;
	}
	return ((ssize_t)pos);
}

static void
plain_read(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	ssize_t		 n, used;
	size_t		 have, rest;

	have = c->ncarry;
	if (have > 0)
		memcpy(rbuf, c->carry, have);
	n = recv(c->fd, rbuf + have, LOAD_READ, 0);
	if (n == 0) {
		conn_fail(c, "closed by the server");
		return;
	}
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			conn_fail(c, strerror(errno));
		return;
	}
	have += (size_t)n;
	if ((used = conn_input(c, rbuf, have)) == -1)
		return;
	rest = have - (size_t)used;
	if (rest > SIP2_MSG_MAX) {
		conn_fail(c, "response over the length cap");
		return;
	}
	if (rest > 0 && c->carry == NULL &&
	    (c->carry = malloc(SIP2_MSG_MAX)) == NULL) {
		conn_fail(c, "out of memory");
		return;
	}
	if (rest > 0)
		memmove(c->carry, rbuf + used, rest);
	c->ncarry = rest;
}

static void
tls_read(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	size_t		 len = evbuffer_get_length(in);
	unsigned char	*data;
	ssize_t		 used;

	if ((data = evbuffer_pullup(in, -1)) == NULL)
		return;
	if ((used = conn_input(c, (const char *)data, len)) == -1)
		return;
	evbuffer_drain(in, (size_t)used);
	if (evbuffer_get_length(in) > SIP2_MSG_MAX)
		conn_fail(c, "response over the length cap");
}

static void
conn_up(struct conn *c)
{
	if (L.login == NULL) {
		conn_ready(c);
		return;
	}
	c->state = C_LOGIN;
	c->seq = 0;
	conn_send(c, &L.login_tmpl);
}

static void
tls_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*c = arg;
	char		 why[256];
	unsigned long	 e;

	if (what & BEV_EVENT_CONNECTED) {
		conn_up(c);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		conn_fail(c, "closed by the server");
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		if ((e = bufferevent_get_openssl_error(bev)) != 0)
			ERR_error_string_n(e, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "%s",
			    evutil_socket_error_to_string(
			    EVUTIL_SOCKET_ERROR()));
		conn_fail(c, why);
	}
}

static void
conn_connected(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	socklen_t	 len = sizeof(int);
	SSL		*ssl;
	int		 err = 0;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		conn_fail(c, strerror(err));
		return;
	}
	event_free(c->ev);
	c->ev = NULL;

	if (L.ssl == NULL) {
		c->ev = event_new(L.base, c->fd, EV_READ | EV_PERSIST,
		    plain_read, c);
		if (c->ev == NULL || event_add(c->ev, NULL) == -1) {
			conn_fail(c, "cannot watch the socket");
			return;
		}
		conn_up(c);
		return;
	}

	c->state = C_HANDSHAKE;
	if ((ssl = SSL_new(L.ssl)) == NULL) {
		conn_fail(c, "SSL_new failed");
		return;
	}
	c->bev = bufferevent_openssl_socket_new(L.base, c->fd, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		SSL_free(ssl);
		conn_fail(c, "cannot set up TLS");
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	bufferevent_setcb(c->bev, tls_read, NULL, tls_event, c);
	bufferevent_enable(c->bev, EV_READ);
}

static void
conn_start(struct conn *c)
{
	int	 on = 1;

	c->state = C_CONNECTING;
	c->stamp = now_us();
	L.nsetup++;
	c->fd = socket(L.addr.ss_family, SOCK_STREAM, 0);
	if (c->fd == -1 || evutil_make_socket_nonblocking(c->fd) == -1) {
		conn_fail(c, strerror(errno));
		return;
	}
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (connect(c->fd, (struct sockaddr *)&L.addr, L.addrlen) == -1 &&
	    errno != EINPROGRESS) {
		conn_fail(c, strerror(errno));
		return;
	}
	c->ev = event_new(L.base, c->fd, EV_WRITE, conn_connected, c);
	if (c->ev == NULL || event_add(c->ev, NULL) == -1)
		conn_fail(c, "cannot watch the socket");
}

/* Start connections until LOAD_RAMP are being set up at once. */
static void
load_ramp(void)
{
	static int	 busy;

	/* conn_start() can fail at once and call back into here. */
	if (busy)
		return;
	busy = 1;
	while (L.phase == PHASE_RAMP && L.nsetup < LOAD_RAMP &&
	    L.next < L.nconns)
		conn_start(&L.conns[L.next++]);
	busy = 0;
	load_check_up();
}

static void
load_finish(void)
{
	if (L.phase == PHASE_END)
		return;
	L.phase = PHASE_END;
	L.t_end = now_us();
	event_base_loopbreak(L.base);
}

static void
phase_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct timeval	 tv = { L.duration, 0 };

	if (L.phase == PHASE_WARMUP) {
		memset(L.hist, 0, sizeof(L.hist));
		L.counted = 0;
		L.phase = PHASE_MEASURE;
		L.t_measure = now_us();
		evtimer_add(L.phase_timer, &tv);
		return;
	}
	load_finish();
}

/* Fail connections whose setup or request has taken too long. */
static void
watchdog(evutil_socket_t fd, short what, void *arg)
{
	uint64_t	 now = now_us();
	uint64_t	 limit = (uint64_t)L.timeout_ms * 1000;
	struct conn	*c;
	int		 i;

	for (i = 0; i < L.nconns && L.phase != PHASE_END; i++) {
		c = &L.conns[i];
		if ((setting_up(c) || (c->state == C_RUN && c->awaiting)) &&
		    now - c->stamp > limit)
			conn_fail(c, "timed out");
	}
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	load_finish();
}

static int
add_patron(const char *spec)
{
	struct patron	*p;
	const char	*colon;

	if (L.npatrons >= LOAD_LIST_MAX || *spec == '\0')
		return (-1);
	p = &L.patrons[L.npatrons];
	if ((colon = strchr(spec, ':')) != NULL) {
		p->barcode = strndup(spec, (size_t)(colon - spec));
		p->pin = strdup(colon + 1);
		if (p->pin == NULL)
			return (-1);
	} else
		p->barcode = strdup(spec);
	if (p->barcode == NULL)
		return (-1);
	L.npatrons++;
	return (0);
}

static int
add_list(char *list, int patrons)
{
	char	*tok, *save = NULL;

	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (patrons) {
			if (add_patron(tok) == -1)
				return (-1);
		} else {
			if (L.nitems >= LOAD_LIST_MAX ||
			    (L.items[L.nitems] = strdup(tok)) == NULL)
				return (-1);
			L.nitems++;
		}
	}
	return (0);
}

/* Read "barcode[:pin]" or "barcode pin" lines; '#' starts a comment. */
static int
read_patrons(const char *path)
{
	FILE	*fp;
	char	 line[1024], spec[1024], *s, *barcode, *pin, *save = NULL;

	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "sip2load: %s: %s\n", path, strerror(errno));
		return (-1);
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if ((s = strchr(line, '#')) != NULL)
			*s = '\0';
		if ((barcode = strtok_r(line, " \t:\r\n", &save)) == NULL)
			continue;
		pin = strtok_r(NULL, " \t:\r\n", &save);
		(void)snprintf(spec, sizeof(spec), "%s%s%s", barcode,
		    pin != NULL ? ":" : "", pin != NULL ? pin : "");
		if (add_patron(spec) == -1) {
			fprintf(stderr, "sip2load: %s: too many patrons\n",
			    path);
			fclose(fp);
			return (-1);
		}
	}
	fclose(fp);
	return (0);
}

static int
number(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

static int
setup_tls(const char *cafile)
{
	if ((L.ssl = SSL_CTX_new(TLS_client_method())) == NULL)
		return (-1);
	SSL_CTX_set_min_proto_version(L.ssl, TLS1_2_VERSION);
	/* Ten thousand idle sessions must not each hold 34 KiB of buffers. */
	SSL_CTX_set_mode(L.ssl, SSL_MODE_RELEASE_BUFFERS);
	if (cafile != NULL) {
		if (SSL_CTX_load_verify_locations(L.ssl, cafile, NULL) != 1)
			return (-1);
		SSL_CTX_set_verify(L.ssl, SSL_VERIFY_PEER, NULL);
	} else
		SSL_CTX_set_verify(L.ssl, SSL_VERIFY_NONE, NULL);
	return (0);
}

static int
check_nofile(int need)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return (-1);
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)need > rl.rlim_cur) {
		fprintf(stderr, "sip2load: %d connections need more than the "
		    "open-file limit of %llu\n", L.nconns,
		    (unsigned long long)rl.rlim_cur);
		return (-1);
	}
	return (0);
}

static void
report(void)
{
	struct rusage	 ru;
	double		 secs, cpu_us;

	getrusage(RUSAGE_SELF, &ru);
	cpu_us = (double)ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec +
	    (double)ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
	if (L.mode == MODE_IDLE) {
		printf("mode=idle conns=%d ready=%d ramp_ms=%.0f errors=%llu "
		    "cpu_us=%.0f\n", L.nconns, L.nready,
		    L.t_up ? (double)(L.t_up - L.t_begin) / 1e3 : -1.0,
		    L.errors, cpu_us);
		return;
	}
	secs = L.t_measure != 0 && L.t_end > L.t_measure ?
	    (double)(L.t_end - L.t_measure) / 1e6 : 0;
	printf("mode=%s conns=%d requests=%llu rps=%.0f p50_us=%llu "
	    "p99_us=%llu p999_us=%llu errors=%llu refused=%llu total=%llu "
	    "secs=%.3f cpu_us=%.0f\n",
	    L.mode == MODE_STATUS ? "status" : "checkout", L.nconns,
	    L.counted, secs > 0 ? (double)L.counted / secs : 0.0,
	    (unsigned long long)hist_percentile(0.50),
	    (unsigned long long)hist_percentile(0.99),
	    (unsigned long long)hist_percentile(0.999),
	    L.errors, L.refused, L.total, secs, cpu_us);
}

int
main(int argc, char *argv[])
{
	struct timeval	 one = { 1, 0 };
	struct event	*sigterm, *sigint;
	const char	*cafile = NULL, *patronfile = NULL;
	char		*hostport;
	long long	 v;
	int		 ch, tls = 0, i;

	L.nconns = 1;
	L.mode = MODE_STATUS;
	L.duration = 5;
	L.warmup = 1;
	L.timeout_ms = 10000;
	L.wire.charset = SIP2_CS_UTF8;
	L.wire.term = SIP2_TERM_CR;
	L.wire.delim = '|';
	L.wire.checksums = 1;

	while ((ch = getopt(argc, argv, "TI:P:W:a:b:c:d:e:i:l:m:n:t:u:w:"))
	    != -1) {
		switch (ch) {
		case 'T':
			tls = 1;
			break;
		case 'I':
			if (add_list(optarg, 0) == -1)
				usage();
			break;
		case 'P':
			patronfile = optarg;
			break;
		case 'W':
			if (number(optarg, 0, 3600, &v) == -1)
				usage();
			L.warmup = (int)v;
			break;
		case 'a':
			cafile = optarg;
			break;
		case 'b':
			if (add_list(optarg, 1) == -1)
				usage();
			break;
		case 'c':
			if (number(optarg, 1, 1000000, &v) == -1)
				usage();
			L.nconns = (int)v;
			break;
		case 'd':
			if (number(optarg, 0, 86400, &v) == -1)
				usage();
			L.duration = (int)v;
			break;
		case 'e':
			if (strcmp(optarg, "cr") == 0)
				L.wire.term = SIP2_TERM_CR;
			else if (strcmp(optarg, "crlf") == 0)
				L.wire.term = SIP2_TERM_CRLF;
			else if (strcmp(optarg, "lf") == 0)
				L.wire.term = SIP2_TERM_LF;
			else
				usage();
			break;
		case 'i':
			L.institution = optarg;
			break;
		case 'l':
			L.location = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "status") == 0)
				L.mode = MODE_STATUS;
			else if (strcmp(optarg, "checkout") == 0)
				L.mode = MODE_CHECKOUT;
			else if (strcmp(optarg, "idle") == 0)
				L.mode = MODE_IDLE;
			else
				usage();
			break;
		case 'n':
			if (number(optarg, 1, LLONG_MAX, &v) == -1)
				usage();
			L.limit = v;
			break;
		case 't':
			if (number(optarg, 1, 3600000, &v) == -1)
				usage();
			L.timeout_ms = (int)v;
			break;
		case 'u':
			L.login = optarg;
			break;
		case 'w':
			L.password = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	if ((L.login == NULL) != (L.password == NULL)) {
		fprintf(stderr, "sip2load: -u and -w go together\n");
		usage();
	}
	if (patronfile != NULL && read_patrons(patronfile) == -1)
		return (2);
	if (L.mode != MODE_IDLE && L.npatrons == 0) {
		fprintf(stderr, "sip2load: give patrons with -P or -b\n");
		usage();
	}
	if (L.mode == MODE_CHECKOUT && L.nitems == 0) {
		fprintf(stderr, "sip2load: give items with -I\n");
		usage();
	}
	if (L.mode != MODE_IDLE && L.limit == 0 && L.duration == 0) {
		fprintf(stderr, "sip2load: -d 0 only for -m idle\n");
		usage();
	}
	hostport = argv[optind];
	L.addrlen = sizeof(L.addr);
	if (evutil_parse_sockaddr_port(hostport, (struct sockaddr *)&L.addr,
	    &L.addrlen) == -1) {
		fprintf(stderr, "sip2load: bad address %s (want a numeric "
		    "host:port)\n", hostport);
		return (2);
	}
	if (check_nofile(L.nconns + 32) == -1)
		return (2);

	signal(SIGPIPE, SIG_IGN);
	if (tls && setup_tls(cafile) == -1) {
		fprintf(stderr, "sip2load: TLS setup failed\n");
		ERR_print_errors_fp(stderr);
		return (1);
	}
	if (tmpls_build() == -1) {
		fprintf(stderr, "sip2load: cannot build the requests\n");
		return (1);
	}
	if ((L.conns = calloc((size_t)L.nconns, sizeof(*L.conns))) == NULL) {
		fprintf(stderr, "sip2load: out of memory\n");
		return (1);
	}
	for (i = 0; i < L.nconns; i++) {
		L.conns[i].id = i;
		L.conns[i].fd = -1;
	}

	if ((L.base = event_base_new()) == NULL ||
	    (L.phase_timer = evtimer_new(L.base, phase_timeout, NULL)) ==
	    NULL ||
	    (L.watchdog = event_new(L.base, -1, EV_PERSIST, watchdog,
	    NULL)) == NULL ||
	    (sigterm = evsignal_new(L.base, SIGTERM, on_signal, NULL)) ==
	    NULL ||
	    (sigint = evsignal_new(L.base, SIGINT, on_signal, NULL)) == NULL ||
	    evsignal_add(sigterm, NULL) == -1 ||
	    evsignal_add(sigint, NULL) == -1 ||
	    event_add(L.watchdog, &one) == -1) {
		fprintf(stderr, "sip2load: cannot set up libevent\n");
		return (1);
	}

	L.phase = PHASE_RAMP;
	L.t_begin = now_us();
	load_ramp();
	if (L.phase != PHASE_END)
		event_base_dispatch(L.base);
	if (L.t_end == 0)
		L.t_end = now_us();

	report();
	fflush(stdout);
	for (i = 0; i < L.nconns; i++)
		conn_close(&L.conns[i]);
	if (L.errors > 0 || L.nready == 0)
		return (1);
	if (L.mode == MODE_IDLE && L.nready < L.nconns)
		return (1);
	return (0);
}
