/* SPDX-License-Identifier: ISC */
/*
 * The load generators' core: a closed loop that keeps one request
 * outstanding on each connection, measures after a warm-up, and reports
 * throughput, latency percentiles and its own CPU time.
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

#include <event2/event.h>
#include <event2/util.h>

#include "loadgen.h"

#define LOAD_RAMP	500	/* connections being set up at once */
#define LOAD_ERR_SHOWN	10	/* errors printed, then counted */
#define LOAD_READ	65536	/* the shared read buffer */
#define LOAD_IN_FIRST	16384	/* a connection's first own buffer */

/*
 * Latency histogram with microsecond buckets: exact below 64 us, then 32
 * buckets per power of two (about 3 % wide) up to 2^40 us.
 */
#define HIST_LINEAR	64
#define HIST_HALF	32
#define HIST_SHIFTS	40
#define HIST_SIZE	(HIST_LINEAR + HIST_SHIFTS * HIST_HALF)

enum phase {
	PHASE_RAMP,	/* connecting and setting up */
	PHASE_WARMUP,
	PHASE_MEASURE,
	PHASE_IDLE,	/* all up, holding */
	PHASE_END,
};

struct loadgen	 loadgen;

static struct {
	const struct loadgen_proto *proto;
	const char	*name;
	const char	*patronfile;
	struct event_base *base;
	struct sockaddr_storage addr;
	int		 addrlen;
	struct loadgen_conn *conns;
	long long	 issued;

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
	unsigned long long counted;	/* answers inside the window */
	unsigned long long total;	/* every answer, logins too */
	unsigned long long refused;	/* well-formed answers saying no */
	unsigned long long errors;
	struct event	*phase_timer;
	struct event	*watchdog;
} L;

/* Answers are read here unless a connection holds part of one. */
static char	 rbuf[LOAD_READ];

static void	conn_start(struct loadgen_conn *);
static void	load_finish(void);
static void	load_ramp(void);

/* Microseconds on the monotonic clock. */
uint64_t
loadgen_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

/* The event base, for a protocol that sets up its own I/O. */
struct event_base *
loadgen_base(void)
{
	return (L.base);
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
		fprintf(stderr, "%s: connection %d: %s\n", L.name, id, what);
	else if (L.errors == LOAD_ERR_SHOWN + 1)
		fprintf(stderr, "%s: more errors, counted only\n", L.name);
}

/* --- connections -------------------------------------------------------- */

static void
conn_close(struct loadgen_conn *c)
{
	if (c->ev != NULL) {
		event_free(c->ev);
		c->ev = NULL;
	}
	if (c->wev != NULL) {
		event_free(c->wev);
		c->wev = NULL;
	}
	if (L.proto->close != NULL)
		L.proto->close(c);
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	free(c->in);
	c->in = NULL;
	c->nin = c->insize = 0;
	c->awaiting = 0;
}

static int
setting_up(const struct loadgen_conn *c)
{
	return (c->state == LOADGEN_CONNECTING ||
	    c->state == LOADGEN_HANDSHAKE || c->state == LOADGEN_LOGIN ||
	    c->state == LOADGEN_REJOIN);
}

/* Once every connection is set up or dead, start the run. */
static void
load_check_up(void)
{
	struct timeval	 tv = { 0, 0 };
	int		 i;

	if (L.phase != PHASE_RAMP || L.nready + L.ndead < loadgen.nconns)
		return;
	L.t_up = loadgen_now();
	if (L.nready == 0) {
		fprintf(stderr, "%s: no connection came up\n", L.name);
		load_finish();
		return;
	}
	if (loadgen.idle) {
		L.phase = PHASE_IDLE;
		printf("ready %d\n", L.nready);
		fflush(stdout);
		tv.tv_sec = loadgen.duration;
		if (loadgen.duration > 0)
			evtimer_add(L.phase_timer, &tv);
		return;
	}
	if (loadgen.limit > 0) {
		L.phase = PHASE_MEASURE;
		L.t_measure = L.t_up;
	} else if (loadgen.warmup > 0) {
		tv.tv_sec = loadgen.warmup;
		L.phase = PHASE_WARMUP;
		evtimer_add(L.phase_timer, &tv);
	} else {
		tv.tv_sec = loadgen.duration;
		L.phase = PHASE_MEASURE;
		L.t_measure = L.t_up;
		evtimer_add(L.phase_timer, &tv);
	}
	for (i = 0; i < loadgen.nconns; i++) {
		if (L.conns[i].state == LOADGEN_READY) {
			L.conns[i].state = LOADGEN_RUN;
			L.nrunning++;
		}
	}
	for (i = 0; i < loadgen.nconns && L.phase != PHASE_END; i++)
		if (L.conns[i].state == LOADGEN_RUN)
			loadgen_next(&L.conns[i]);
}

/* Count an error and close the connection; the run goes on without it. */
void
loadgen_fail(struct loadgen_conn *c, const char *why)
{
	enum loadgen_state	 was = c->state;

	if (was == LOADGEN_DEAD)
		return;
	note_error(why, c->id);
	conn_close(c);
	c->state = LOADGEN_DEAD;
	if (was == LOADGEN_CONNECTING || was == LOADGEN_HANDSHAKE ||
	    was == LOADGEN_LOGIN) {
		L.nsetup--;
		L.ndead++;
		load_ramp();
		load_check_up();
		return;
	}
	if (was == LOADGEN_READY) {
		L.nready--;
		L.ndead++;
		return;
	}
	if (was == LOADGEN_RUN || was == LOADGEN_REJOIN) {
		L.nrunning--;
		if (L.nrunning == 0 && L.phase != PHASE_END)
			load_finish();
	}
}

static void
conn_sent_rest(evutil_socket_t fd, short what, void *arg)
{
	struct loadgen_conn	*c = arg;
	ssize_t			 n;

	n = send(c->fd, c->wptr, c->wlen, MSG_NOSIGNAL);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		loadgen_fail(c, strerror(errno));
		return;
	}
	c->wptr += n;
	c->wlen -= (size_t)n;
	if (c->wlen == 0)
		event_del(c->wev);
}

/* Send a request, which stays the caller's, and start its clock. */
void
loadgen_send(struct loadgen_conn *c, const char *bytes, size_t len)
{
	ssize_t	 n;

	c->awaiting = 1;
	c->stamp = loadgen_now();
	n = send(c->fd, bytes, len, MSG_NOSIGNAL);
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR) {
			loadgen_fail(c, strerror(errno));
			return;
		}
		n = 0;
	}
	if ((size_t)n == len)
		return;
	/* A request larger than the socket buffer: finish it later. */
	c->wptr = bytes + n;
	c->wlen = len - (size_t)n;
	if (c->wev == NULL)
		c->wev = event_new(L.base, c->fd, EV_WRITE | EV_PERSIST,
		    conn_sent_rest, c);
	if (c->wev == NULL || event_add(c->wev, NULL) == -1)
		loadgen_fail(c, "cannot wait for the socket");
}

/*
 * Checkouts go in pairs, checkout then checkin of the connection's item;
 * other requests rotate, each connection starting at its own.
 */
void
loadgen_next(struct loadgen_conn *c)
{
	unsigned long	 k;

	if (L.phase != PHASE_WARMUP && L.phase != PHASE_MEASURE)
		return;
	if (loadgen.limit > 0 && L.issued >= loadgen.limit) {
		c->state = LOADGEN_DONE;
		if (--L.nrunning == 0)
			load_finish();
		return;
	}
	L.issued++;
	if (loadgen.paired)
		k = (unsigned long)(c->id % loadgen.nitems) * 2 +
		    (c->step & 1);
	else
		k = ((unsigned long)c->id + c->step) %
		    (unsigned long)loadgen.nreqs;
	c->step++;
	c->req = k;
	L.proto->request(c, k);
}

/* Connect again in place of a connection the server closed. */
void
loadgen_rejoin(struct loadgen_conn *c)
{
	conn_close(c);
	c->state = LOADGEN_REJOIN;
	conn_start(c);
}

/* Take an answer off the connection; a login's counts in total too. */
int
loadgen_answer(struct loadgen_conn *c)
{
	if (!c->awaiting) {
		loadgen_fail(c, L.proto->unasked);
		return (-1);
	}
	c->awaiting = 0;
	L.total++;
	return (0);
}

/* Time and classify an answer; only the measured phase is timed. */
void
loadgen_result(struct loadgen_conn *c, const char *why, int refused)
{
	if (L.phase == PHASE_MEASURE) {
		L.hist[hist_index(loadgen_now() - c->stamp)]++;
		L.counted++;
	}
	if (why != NULL)
		note_error(why, c->id);
	else if (refused)
		L.refused++;
}

/*
 * Make the connection's own buffer hold have bytes and a read after
 * them.  NULL, or why not.
 */
static const char *
conn_room(struct loadgen_conn *c, size_t have)
{
	size_t	 want = have + LOAD_READ / 4, size;
	char	*p;

	if (have > L.proto->inmax)
		return (L.proto->toolong);
	if (c->insize >= want)
		return (NULL);
	size = c->insize > 0 ? c->insize * 2 : LOAD_IN_FIRST;
	while (size < want)
		size *= 2;
	if ((p = realloc(c->in, size)) == NULL)
		return ("out of memory");
	c->in = p;
	c->insize = size;
	return (NULL);
}

/*
 * Read into the shared buffer, or after the partial answer a connection
 * holds in its own, so that thousands of idle connections hold no buffer
 * and a whole answer is not copied.  The input hook takes what is
 * complete; the rest waits in the connection's buffer.
 */
static void
conn_read(evutil_socket_t fd, short what, void *arg)
{
	struct loadgen_conn	*c = arg;
	const char		*why;
	char			*buf = rbuf;
	size_t			 room = sizeof(rbuf), have, rest;
	ssize_t			 n, used;

	if (c->nin > 0) {
		if ((why = conn_room(c, c->nin)) != NULL) {
			loadgen_fail(c, why);
			return;
		}
		buf = c->in;
		room = c->insize - c->nin;
	}
	n = recv(c->fd, buf + c->nin, room, 0);
	if (n == 0) {
		loadgen_fail(c, "closed by the server");
		return;
	}
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			loadgen_fail(c, strerror(errno));
		return;
	}
	have = c->nin + (size_t)n;
	if ((used = L.proto->input(c, buf, have)) == -1)
		return;
	rest = have - (size_t)used;
	if (buf == c->in) {
		if (rest > L.proto->inmax) {
			loadgen_fail(c, L.proto->toolong);
			return;
		}
		if (used > 0)
			memmove(c->in, c->in + used, rest);
		c->nin = rest;
		return;
	}
	if (rest == 0)
		return;
	if ((why = conn_room(c, rest)) != NULL) {
		loadgen_fail(c, why);
		return;
	}
	memcpy(c->in, rbuf + used, rest);
	c->nin = rest;
}

/* Read the connection through the shared buffer and the input hook. */
int
loadgen_watch(struct loadgen_conn *c)
{
	c->ev = event_new(L.base, c->fd, EV_READ | EV_PERSIST, conn_read, c);
	if (c->ev == NULL || event_add(c->ev, NULL) == -1) {
		loadgen_fail(c, "cannot watch the socket");
		return (-1);
	}
	return (0);
}

/* A connection is set up; the run starts when all are, or died. */
void
loadgen_ready(struct loadgen_conn *c)
{
	c->state = LOADGEN_READY;
	L.nsetup--;
	L.nready++;
	load_ramp();
	load_check_up();
}

static void
conn_connected(evutil_socket_t fd, short what, void *arg)
{
	struct loadgen_conn	*c = arg;
	socklen_t		 len = sizeof(int);
	int			 err = 0;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		loadgen_fail(c, strerror(err));
		return;
	}
	event_free(c->ev);
	c->ev = NULL;
	L.proto->connected(c);
}

static void
conn_start(struct loadgen_conn *c)
{
	int	 on = 1;

	if (c->state != LOADGEN_REJOIN) {
		c->state = LOADGEN_CONNECTING;
		L.nsetup++;
	}
	c->stamp = loadgen_now();
	c->fd = socket(L.addr.ss_family, SOCK_STREAM, 0);
	if (c->fd == -1 || evutil_make_socket_nonblocking(c->fd) == -1) {
		loadgen_fail(c, strerror(errno));
		return;
	}
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (connect(c->fd, (struct sockaddr *)&L.addr, L.addrlen) == -1 &&
	    errno != EINPROGRESS) {
		loadgen_fail(c, strerror(errno));
		return;
	}
	c->ev = event_new(L.base, c->fd, EV_WRITE, conn_connected, c);
	if (c->ev == NULL || event_add(c->ev, NULL) == -1)
		loadgen_fail(c, "cannot watch the socket");
}

/* --- the run ------------------------------------------------------------ */

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
	    L.next < loadgen.nconns)
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
	L.t_end = loadgen_now();
	event_base_loopbreak(L.base);
}

static void
phase_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct timeval	 tv = { loadgen.duration, 0 };

	if (L.phase == PHASE_WARMUP) {
		memset(L.hist, 0, sizeof(L.hist));
		L.counted = 0;
		L.phase = PHASE_MEASURE;
		L.t_measure = loadgen_now();
		evtimer_add(L.phase_timer, &tv);
		return;
	}
	load_finish();
}

/* Fail connections whose setup or request has taken too long. */
static void
watchdog(evutil_socket_t fd, short what, void *arg)
{
	uint64_t		 now = loadgen_now();
	uint64_t		 limit = (uint64_t)loadgen.timeout_ms * 1000;
	struct loadgen_conn	*c;
	int			 i;

	for (i = 0; i < loadgen.nconns && L.phase != PHASE_END; i++) {
		c = &L.conns[i];
		if ((setting_up(c) ||
		    (c->state == LOADGEN_RUN && c->awaiting)) &&
		    now - c->stamp > limit)
			loadgen_fail(c, "timed out");
	}
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	load_finish();
}

/* Connect, ramp up, warm up and measure, until the run ends. */
int
loadgen_run(void)
{
	struct timeval	 one = { 1, 0 };
	struct event	*sigterm, *sigint;
	int		 i;

	signal(SIGPIPE, SIG_IGN);
	L.conns = calloc((size_t)loadgen.nconns, sizeof(*L.conns));
	if (L.conns == NULL) {
		fprintf(stderr, "%s: out of memory\n", L.name);
		return (-1);
	}
	for (i = 0; i < loadgen.nconns; i++) {
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
		fprintf(stderr, "%s: cannot set up libevent\n", L.name);
		return (-1);
	}

	L.phase = PHASE_RAMP;
	L.t_begin = loadgen_now();
	load_ramp();
	if (L.phase != PHASE_END)
		event_base_dispatch(L.base);
	if (L.t_end == 0)
		L.t_end = loadgen_now();
	return (0);
}

/* The result line run-bench reads, key=value separated by blanks. */
void
loadgen_report(const char *mode, const char *extra)
{
	struct rusage	 ru;
	double		 secs, cpu_us;

	getrusage(RUSAGE_SELF, &ru);
	cpu_us = (double)ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec +
	    (double)ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
	if (loadgen.idle) {
		printf("mode=%s conns=%d ready=%d ramp_ms=%.0f errors=%llu "
		    "cpu_us=%.0f\n", mode, loadgen.nconns, L.nready,
		    L.t_up ? (double)(L.t_up - L.t_begin) / 1e3 : -1.0,
		    L.errors, cpu_us);
		fflush(stdout);
		return;
	}
	secs = L.t_measure != 0 && L.t_end > L.t_measure ?
	    (double)(L.t_end - L.t_measure) / 1e6 : 0;
	printf("mode=%s conns=%d requests=%llu rps=%.0f p50_us=%llu "
	    "p99_us=%llu p999_us=%llu errors=%llu refused=%llu total=%llu "
	    "secs=%.3f cpu_us=%.0f%s\n", mode, loadgen.nconns,
	    L.counted, secs > 0 ? (double)L.counted / secs : 0.0,
	    (unsigned long long)hist_percentile(0.50),
	    (unsigned long long)hist_percentile(0.99),
	    (unsigned long long)hist_percentile(0.999),
	    L.errors, L.refused, L.total, secs, cpu_us, extra);
	fflush(stdout);
}

/* Close every connection; 1 when anything went wrong. */
int
loadgen_end(void)
{
	int	 i;

	for (i = 0; i < loadgen.nconns; i++)
		conn_close(&L.conns[i]);
	if (L.errors > 0 || L.nready == 0)
		return (1);
	if (loadgen.idle && L.nready < loadgen.nconns)
		return (1);
	return (0);
}

/* --- arguments ---------------------------------------------------------- */

/* The defaults of both programs' options. */
void
loadgen_init(const struct loadgen_proto *proto)
{
	L.proto = proto;
	L.name = proto->name;
	loadgen.nconns = 1;
	loadgen.duration = 5;
	loadgen.warmup = 1;
	loadgen.timeout_ms = 10000;
}

static int
add_patron(const char *spec)
{
	struct loadgen_patron	*p;
	const char		*colon;

	if (loadgen.npatrons >= LOADGEN_LIST_MAX || *spec == '\0')
		return (-1);
	p = &loadgen.patrons[loadgen.npatrons];
	if ((colon = strchr(spec, ':')) != NULL) {
		p->barcode = strndup(spec, (size_t)(colon - spec));
		p->pin = strdup(colon + 1);
		if (p->pin == NULL)
			return (-1);
	} else
		p->barcode = strdup(spec);
	if (p->barcode == NULL || *p->barcode == '\0')
		return (-1);
	loadgen.npatrons++;
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
			if (loadgen.nitems >= LOADGEN_LIST_MAX ||
			    (loadgen.items[loadgen.nitems] = strdup(tok)) ==
			    NULL)
				return (-1);
			loadgen.nitems++;
		}
	}
	return (0);
}

/* Read "barcode[:pin]" or "barcode pin" lines; '#' starts a comment. */
int
loadgen_patrons(void)
{
	FILE	*fp;
	char	 line[1024], spec[1024], *s, *barcode, *pin, *save = NULL;

	if (L.patronfile == NULL)
		return (0);
	if ((fp = fopen(L.patronfile, "r")) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", L.name, L.patronfile,
		    strerror(errno));
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
			fprintf(stderr, "%s: %s: too many patrons\n", L.name,
			    L.patronfile);
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

/* The options both programs take, with the same ranges. */
int
loadgen_option(int ch, char *arg)
{
	long long	 v;

	switch (ch) {
	case 'I':
		return (add_list(arg, 0));
	case 'P':
		L.patronfile = arg;
		return (0);
	case 'W':
		if (number(arg, 0, 3600, &v) == -1)
			return (-1);
		loadgen.warmup = (int)v;
		return (0);
	case 'b':
		return (add_list(arg, 1));
	case 'c':
		if (number(arg, 1, 1000000, &v) == -1)
			return (-1);
		loadgen.nconns = (int)v;
		return (0);
	case 'd':
		if (number(arg, 0, 86400, &v) == -1)
			return (-1);
		loadgen.duration = (int)v;
		return (0);
	case 'n':
		if (number(arg, 1, LLONG_MAX, &v) == -1)
			return (-1);
		loadgen.limit = v;
		return (0);
	case 't':
		if (number(arg, 1, 3600000, &v) == -1)
			return (-1);
		loadgen.timeout_ms = (int)v;
		return (0);
	}
	return (1);
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
		fprintf(stderr, "%s: %d connections need more than the "
		    "open-file limit of %llu\n", L.name, loadgen.nconns,
		    (unsigned long long)rl.rlim_cur);
		return (-1);
	}
	return (0);
}

/* Where to connect, and whether the file limit allows the connections. */
int
loadgen_target(const char *hostport)
{
	loadgen.hostport = hostport;
	L.addrlen = sizeof(L.addr);
	if (evutil_parse_sockaddr_port(hostport, (struct sockaddr *)&L.addr,
	    &L.addrlen) == -1) {
		fprintf(stderr, "%s: bad address %s (want a numeric "
		    "host:port)\n", L.name, hostport);
		return (-1);
	}
	return (check_nofile(loadgen.nconns + 32));
}
