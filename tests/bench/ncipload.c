/* SPDX-License-Identifier: ISC */
/*
 * ncipload: a closed-loop NCIP load generator that keeps one HTTP/1.1
 * POST outstanding on each keep-alive connection and reports throughput
 * and latency.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "ncip.h"

#define LOAD_RAMP	500	/* connections being set up at once */
#define LOAD_LIST_MAX	4096	/* patrons or items */
#define LOAD_FILES_MAX	64	/* request bodies from files */
#define LOAD_ERR_SHOWN	10	/* errors printed, then counted */
#define LOAD_READ	65536	/* room asked for before each read */
#define LOAD_IN_FIRST	16384	/* first input buffer */
#define HTTP_HEAD_MAX	16384	/* status line and headers */
#define HTTP_RESP_MAX	(HTTP_HEAD_MAX + NCIP_BODY_MAX + 65536)

#define SCM_AUTH_TYPE	"http://www.niso.org/ncip/v1_0/imp1/schemes/" \
	"authenticationinputtype/authenticationinputtype.scm"
#define SCM_MEDIA_TYPES	"http://www.iana.org/assignments/media-types"

/*
 * Latency histogram with microsecond buckets: exact below 64 us, then 32
 * buckets per power of two (about 3 % wide) up to 2^40 us.
 */
#define HIST_LINEAR	64
#define HIST_HALF	32
#define HIST_SHIFTS	40
#define HIST_SIZE	(HIST_LINEAR + HIST_SHIFTS * HIST_HALF)

enum mode {
	MODE_LOOKUP_USER,
	MODE_CHECKOUT,
	MODE_FILES,
};

enum phase {
	PHASE_RAMP,	/* connecting */
	PHASE_WARMUP,
	PHASE_MEASURE,
	PHASE_END,
};

enum cstate {
	C_NEW,
	C_CONNECTING,
	C_READY,	/* connected, waiting for the others */
	C_RUN,
	C_REJOIN,	/* running, connecting again after a close */
	C_DONE,		/* request budget used up */
	C_DEAD,
};

/* One request, HTTP head and NCIP body, and the answer it wants. */
struct tmpl {
	char		*bytes;
	size_t		 len;
	enum ncip_service expect;	/* the response service */
	const char	*expect_name;	/* "LookupUserResponse" */
	size_t		 expect_len;
};

struct conn {
	int		 id;
	int		 fd;
	enum cstate	 state;
	struct event	*ev;		/* connect, then reads */
	struct event	*wev;		/* the rest of a short send */
	char		*in;		/* the answer read so far */
	size_t		 nin;
	size_t		 inmax;
	const char	*wptr;
	size_t		 wlen;
	const struct tmpl *t;		/* the request awaiting answer */
	int		 awaiting;
	unsigned long	 step;
	uint64_t	 stamp;		/* us: sent, or setup began */
};

struct patron {
	char		*barcode;
	char		*pin;
};

/* One HTTP answer framed in a connection's buffer. */
struct http_resp {
	int		 status;
	const char	*body;
	size_t		 blen;
	size_t		 used;		/* bytes it took */
	int		 close;		/* the server closes after */
};

static struct {
	struct event_base *base;
	struct sockaddr_storage addr;
	int		 addrlen;
	const char	*hostport;
	const char	*path;
	const char	*from;
	const char	*to;
	int		 version;
	int		 by_auth;	/* AuthenticationInput */
	int		 parse;		/* -x: parse answers */
	enum mode	 mode;
	int		 nconns;
	struct conn	*conns;
	struct patron	 patrons[LOAD_LIST_MAX];
	int		 npatrons;
	char		*items[LOAD_LIST_MAX];
	int		 nitems;
	const char	*files[LOAD_FILES_MAX];
	int		 nfiles;
	int		 duration;
	int		 warmup;
	long long	 limit;		/* -n: requests, 0 for timed */
	long long	 issued;
	int		 timeout_ms;

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
	unsigned long long counted;	/* answers inside the window */
	unsigned long long total;	/* every answer */
	unsigned long long refused;	/* answers carrying a Problem */
	unsigned long long errors;
	unsigned long long reconnects;	/* closes the server announced */
	struct event	*phase_timer;
	struct event	*watchdog;
} L;

static void	usage(void) __attribute__((__noreturn__));
static void	conn_fail(struct conn *, const char *);
static void	conn_next(struct conn *);
static void	conn_start(struct conn *);
static void	load_finish(void);
static void	load_ramp(void);

static void
usage(void)
{
	fprintf(stderr,
	    "usage: ncipload [-ax] [-c conns] [-m lookup-user|checkout] "
	    "[-v 1|2]\n"
	    "\t[-u path] [-F from-agency -T to-agency]\n"
	    "\t[-P patronfile | -b barcode[:pin],...] [-I item,...] "
	    "[-r body.xml ...]\n"
	    "\t[-d seconds] [-W warmup-seconds] [-n requests] "
	    "[-t timeout-ms] host:port\n");
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
		fprintf(stderr, "ncipload: connection %d: %s\n", id, what);
	else if (L.errors == LOAD_ERR_SHOWN + 1)
		fprintf(stderr, "ncipload: more errors, counted only\n");
}

/* --- requests, built before the clock starts -------------------------- */

/* Put the HTTP head in front of a body; the template owns both. */
static int
tmpl_make(struct tmpl *t, const char *body, size_t blen,
    enum ncip_service req, int version)
{
	const char	*ctype;
	char		 head[1024];
	int		 n;

	/* Version 1 peers often know only text/xml. */
	ctype = version == 1 ? "text/xml; charset=UTF-8" :
	    "application/xml; charset=UTF-8";
	n = snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\n"
	    "Host: %s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "\r\n", L.path, L.hostport, ctype, blen);
	if (n < 0 || (size_t)n >= sizeof(head))
		return (-1);
	if ((t->bytes = malloc((size_t)n + blen)) == NULL)
		return (-1);
	memcpy(t->bytes, head, (size_t)n);
	memcpy(t->bytes + n, body, blen);
	t->len = (size_t)n + blen;
	t->expect = ncip_service_info(req)->response;
	t->expect_name = ncip_service_name(t->expect);
	t->expect_len = strlen(t->expect_name);
	return (0);
}

/* Encode a message in the chosen version into a template. */
static int
tmpl_build(struct tmpl *t, const struct ncip_msg *m)
{
	struct ncip_dialect	 d;
	struct ncip_error	 err;
	char			*body;
	size_t			 blen;
	int			 rc;

	ncip_dialect_default(&d, L.version);
	if (ncip_build(m, &d, &body, &blen, &err) == -1) {
		fprintf(stderr, "ncipload: cannot build %s: %s %s\n",
		    ncip_service_name(m->service), err.element, err.detail);
		return (-1);
	}
	rc = tmpl_make(t, body, blen, m->service, L.version);
	free(body);
	return (rc);
}

/* A request with the InitiationHeader every one of ours carries. */
static struct ncip_msg *
msg_make(enum ncip_service svc)
{
	struct ncip_msg	*m;

	if ((m = ncip_msg_new(svc)) == NULL)
		return (NULL);
	m->header.present = 1;
	m->header.from_agency.value = L.from;
	m->header.to_agency.value = L.to;
	return (m);
}

static void
auth_set(struct ncip_auth *a, const char *data, const char *type)
{
	memset(a, 0, sizeof(*a));
	a->data = data;
	a->format.scheme = SCM_MEDIA_TYPES;
	a->format.value = "text/plain";
	a->type.scheme = SCM_AUTH_TYPE;
	a->type.value = type;
}

/*
 * Name the patron by UserId, or by AuthenticationInput with the barcode
 * and the PIN when there is one.  The message points at auth, which the
 * caller keeps until the message is built.
 */
static void
msg_user(struct ncip_msg *m, const struct patron *p, struct ncip_auth *auth)
{
	if (!L.by_auth) {
		m->user_id.agency.value = L.to;
		m->user_id.value = p->barcode;
		return;
	}
	auth_set(&auth[0], p->barcode, "Barcode Id");
	m->nauth = 1;
	if (p->pin != NULL)
		auth_set(&auth[m->nauth++], p->pin, "PIN");
	m->auth = auth;
}

static void
msg_item(struct ncip_msg *m, const char *item)
{
	m->item_id.agency.value = L.to;
	m->item_id.value = item;
}

/* Read a request body from a file and learn its service with the codec. */
static int
tmpl_file(struct tmpl *t, const char *path)
{
	struct ncip_error	 err;
	struct ncip_msg		*m;
	struct stat		 sb;
	FILE			*fp;
	char			*body = NULL;
	size_t			 len;
	int			 rc = -1;

	if ((fp = fopen(path, "r")) == NULL || fstat(fileno(fp), &sb) == -1) {
		fprintf(stderr, "ncipload: %s: %s\n", path, strerror(errno));
		goto fail;
	}
	if (sb.st_size <= 0 || sb.st_size > NCIP_BODY_MAX) {
		fprintf(stderr, "ncipload: %s: empty or over %d bytes\n", path,
		    NCIP_BODY_MAX);
		goto fail;
	}
	len = (size_t)sb.st_size;
	if ((body = malloc(len)) == NULL || fread(body, 1, len, fp) != len) {
		fprintf(stderr, "ncipload: %s: cannot read\n", path);
		goto fail;
	}
	if ((m = ncip_parse(body, len, NULL, &err)) == NULL) {
		fprintf(stderr, "ncipload: %s: not NCIP: %s %s\n", path,
		    err.element, err.detail);
		goto fail;
	}
	if (!ncip_service_is_request(m->service)) {
		fprintf(stderr, "ncipload: %s: %s is no request\n", path,
		    ncip_service_name(m->service));
		ncip_msg_free(m);
		goto fail;
	}
	rc = tmpl_make(t, body, len, m->service, m->dialect.version);
	ncip_msg_free(m);

fail:
	if (fp != NULL)
		fclose(fp);
	free(body);
	return (rc);
}

/*
 * Build every request: one LookupUser per patron, a CheckOutItem and a
 * CheckInItem per item (item i goes to patron i modulo the patrons), or
 * the bodies of the files as they are.
 */
static int
tmpls_build(void)
{
	struct ncip_auth	 auth[2];
	struct ncip_msg		*m;
	const struct patron	*p;
	int			 k;

	if (L.mode == MODE_LOOKUP_USER)
		L.ntmpls = L.npatrons;
	else if (L.mode == MODE_CHECKOUT)
		L.ntmpls = 2 * L.nitems;
	else
		L.ntmpls = L.nfiles;
	if ((L.tmpls = calloc((size_t)L.ntmpls, sizeof(*L.tmpls))) == NULL)
		return (-1);

	for (k = 0; k < L.ntmpls; k++) {
		if (L.mode == MODE_FILES) {
			if (tmpl_file(&L.tmpls[k], L.files[k]) == -1)
				return (-1);
			continue;
		}
		if (L.mode == MODE_LOOKUP_USER) {
			if ((m = msg_make(NCIP_LOOKUP_USER)) == NULL)
				return (-1);
			msg_user(m, &L.patrons[k], auth);
			m->loans_desired = 1;
		} else if (k % 2 == 0) {
			p = &L.patrons[(k / 2) % L.npatrons];
			if ((m = msg_make(NCIP_CHECKOUT_ITEM)) == NULL)
				return (-1);
			msg_user(m, p, auth);
			msg_item(m, L.items[k / 2]);
		} else {
			if ((m = msg_make(NCIP_CHECKIN_ITEM)) == NULL)
				return (-1);
			msg_item(m, L.items[k / 2]);
		}
		if (tmpl_build(&L.tmpls[k], m) == -1) {
			ncip_msg_free(m);
			return (-1);
		}
		ncip_msg_free(m);
	}
	return (0);
}

/* --- HTTP answers --------------------------------------------------------- */

/* A header line "Name: value" of the given name; its value or NULL. */
static const char *
header_value(const char *line, const char *end, const char *name)
{
	size_t	 n = strlen(name);

	if ((size_t)(end - line) <= n || strncasecmp(line, name, n) != 0 ||
	    line[n] != ':')
		return (NULL);
	for (line += n + 1; line < end && (*line == ' ' || *line == '\t');
	    line++)
		;
	return (line);
}

/* Does a header value hold a token, case aside ("close", "chunked")? */
static int
value_has(const char *v, const char *end, const char *token)
{
	size_t	 n = strlen(token);

	for (; v != NULL && (size_t)(end - v) >= n; v++)
		if (strncasecmp(v, token, n) == 0)
			return (1);
	return (0);
}

/*
 * Walk a chunked body from pos; with compact set, also move the chunks'
 * data together so the body reads as one run from pos.  Returns 1 with
 * *used and *blen set, 0 when more bytes are needed, -1 when malformed.
 */
static int
http_chunks(char *buf, size_t len, size_t pos, int compact, size_t *used,
    size_t *blen)
{
	const char	*eol;
	char		*end;
	size_t		 out = pos;
	unsigned long	 size;

	for (;;) {
		if ((eol = memmem(buf + pos, len - pos, "\r\n", 2)) == NULL)
			return (len - pos > 64 ? -1 : 0);
		if (!isxdigit((unsigned char)buf[pos]))
			return (-1);
		errno = 0;
		size = strtoul(buf + pos, &end, 16);
		if (errno != 0 || end > eol || size > NCIP_BODY_MAX ||
		    (*end != ';' && *end != ' ' && end != eol))
			return (-1);
		pos = (size_t)(eol - buf) + 2;
		if (size == 0)
			break;
		if (len - pos < size + 2)
			return (0);
		if (buf[pos + size] != '\r' || buf[pos + size + 1] != '\n')
			return (-1);
		if (compact)
			memmove(buf + out, buf + pos, size);
		out += size;
		pos += size + 2;
	}
	/* Trailer lines, then the empty line that ends the answer. */
	for (;;) {
		if ((eol = memmem(buf + pos, len - pos, "\r\n", 2)) == NULL)
			return (len - pos > HTTP_HEAD_MAX ? -1 : 0);
		if (eol == buf + pos) {
			*used = pos + 2;
			*blen = out;
			return (1);
		}
		pos = (size_t)(eol - buf) + 2;
	}
}

/*
 * Frame one HTTP answer at the start of buf: status line, headers, and a
 * body by Content-Length or chunked.  Returns 1 with r filled in, 0 when
 * more bytes are needed, -1 with *why when the answer is malformed.  A
 * chunked body is compacted in place once it is complete.
 */
static int
http_parse(char *buf, size_t len, struct http_resp *r, const char **why)
{
	const char	*head_end, *line, *eol, *v;
	char		*end;
	size_t		 hlen, blen = 0, used;
	unsigned long	 clen = 0;
	int		 has_clen = 0, chunked = 0, v10, rc;

	memset(r, 0, sizeof(*r));
	*why = "malformed HTTP answer";
	if ((head_end = memmem(buf, len, "\r\n\r\n", 4)) == NULL) {
		if (len > HTTP_HEAD_MAX) {
			*why = "HTTP headers over the cap";
			return (-1);
		}
		return (0);
	}
	hlen = (size_t)(head_end - buf) + 4;
	if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0 ||
	    (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ' ||
	    !isdigit((unsigned char)buf[9]) ||
	    !isdigit((unsigned char)buf[10]) ||
	    !isdigit((unsigned char)buf[11]))
		return (-1);
	v10 = buf[7] == '0';
	r->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 +
	    (buf[11] - '0');
	r->close = v10;

	line = (const char *)memmem(buf, hlen, "\r\n", 2) + 2;
	while (line < head_end + 2) {
		eol = memmem(line, (size_t)(head_end + 2 - line), "\r\n", 2);
		if (eol == NULL)
			break;
		if ((v = header_value(line, eol, "Content-Length")) != NULL) {
			errno = 0;
			clen = strtoul(v, &end, 10);
			if (errno != 0 || end == v || end != eol ||
			    (has_clen && clen != blen)) {
				*why = "bad Content-Length";
				return (-1);
			}
			has_clen = 1;
			blen = clen;
		} else if ((v = header_value(line, eol,
		    "Transfer-Encoding")) != NULL)
			chunked = value_has(v, eol, "chunked");
		else if ((v = header_value(line, eol, "Connection")) != NULL) {
			if (value_has(v, eol, "close"))
				r->close = 1;
			else if (v10 && value_has(v, eol, "keep-alive"))
				r->close = 0;
		}
		line = eol + 2;
	}

	if (chunked) {
		if ((rc = http_chunks(buf, len, hlen, 0, &used, &blen)) != 1) {
			*why = "malformed chunked body";
			return (rc);
		}
		(void)http_chunks(buf, len, hlen, 1, &used, &blen);
		blen -= hlen;
	} else if (has_clen) {
		if (clen > NCIP_BODY_MAX) {
			*why = "answer body over the cap";
			return (-1);
		}
		if (len - hlen < clen)
			return (0);
		used = hlen + clen;
	} else if (r->status == 204 || r->status == 304 ||
	    r->status / 100 == 1) {
		used = hlen;
		blen = 0;
	} else {
		*why = "answer without Content-Length or chunks";
		return (-1);
	}
	r->body = buf + hlen;
	r->blen = blen;
	r->used = used;
	return (1);
}

static int
name_char(int ch)
{
	return (isalnum(ch) || ch == '_' || ch == '-' || ch == '.');
}

/*
 * Is there a start tag of an element, with or without a prefix?  A cheap
 * substring test for the timed loop: a name followed by '>', '/' or a
 * blank and preceded by '<' or by '<prefix:'.  Text content cannot hold
 * '<', so a title that mentions a Problem does not count.
 */
static int
has_element(const char *s, size_t len, const char *name, size_t nlen)
{
	const char	*p = s, *end = s + len, *b;
	int		 ch;

	while (p < end &&
	    (p = memmem(p, (size_t)(end - p), name, nlen)) != NULL) {
		ch = p + nlen < end ? (unsigned char)p[nlen] : 0;
		if (p > s && (ch == '>' || ch == '/' || isspace(ch))) {
			b = p - 1;
			if (*b == '<')
				return (1);
			if (*b == ':') {
				while (b > s && name_char((unsigned char)b[-1]))
					b--;
				if (b > s && b < p - 1 && b[-1] == '<')
					return (1);
			}
		}
		p++;
	}
	return (0);
}

/*
 * Check an answer: HTTP 200 and an NCIPMessage holding the response the
 * request wants.  NULL when it is right, with *refused set when it carries
 * a Problem.  By default the check is the substring test above; with -x
 * every answer goes through the codec's parser, which costs the load
 * generator far more CPU.
 */
static const char *
resp_check(const struct tmpl *t, const struct http_resp *r, int *refused)
{
	static char		 why[256];
	struct ncip_error	 err;
	struct ncip_msg		*m;

	*refused = 0;
	if (r->status != 200) {
		snprintf(why, sizeof(why), "HTTP status %d", r->status);
		return (why);
	}
	if (L.parse) {
		if ((m = ncip_parse(r->body, r->blen, NULL, &err)) == NULL) {
			snprintf(why, sizeof(why), "answer does not parse: "
			    "%s %.64s", err.element, err.detail);
			return (why);
		}
		if (m->service != t->expect) {
			snprintf(why, sizeof(why), "%s instead of %s",
			    ncip_service_name(m->service), t->expect_name);
			ncip_msg_free(m);
			return (why);
		}
		*refused = m->nproblems > 0;
		ncip_msg_free(m);
		return (NULL);
	}
	if (!has_element(r->body, r->blen, "NCIPMessage", 11))
		return ("answer is no NCIPMessage");
	if (!has_element(r->body, r->blen, t->expect_name, t->expect_len)) {
		snprintf(why, sizeof(why), "%s instead of %s",
		    has_element(r->body, r->blen, "Problem", 7) ?
		    "a bare Problem" : "no answer element", t->expect_name);
		return (why);
	}
	*refused = has_element(r->body, r->blen, "Problem", 7);
	return (NULL);
}

/* --- connections -------------------------------------------------------- */

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
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	free(c->in);
	c->in = NULL;
	c->nin = c->inmax = 0;
	c->awaiting = 0;
}

static int
setting_up(const struct conn *c)
{
	return (c->state == C_CONNECTING || c->state == C_REJOIN);
}

static void
load_check_up(void)
{
	struct timeval	 tv;
	int		 i;

	if (L.phase != PHASE_RAMP || L.nready + L.ndead < L.nconns)
		return;
	L.t_up = now_us();
	if (L.nready == 0) {
		fprintf(stderr, "ncipload: no connection came up\n");
		load_finish();
		return;
	}
	if (L.limit > 0) {
		L.phase = PHASE_MEASURE;
		L.t_measure = L.t_up;
	} else if (L.warmup > 0) {
		tv.tv_sec = L.warmup;
		tv.tv_usec = 0;
		L.phase = PHASE_WARMUP;
		evtimer_add(L.phase_timer, &tv);
	} else {
		tv.tv_sec = L.duration;
		tv.tv_usec = 0;
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
	if (was == C_CONNECTING) {
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
	if (was == C_RUN || was == C_REJOIN) {
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

	c->t = t;
	c->awaiting = 1;
	c->stamp = now_us();
	n = send(c->fd, t->bytes, t->len, MSG_NOSIGNAL);
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR) {
			conn_fail(c, strerror(errno));
			return;
		}
		n = 0;
	}
	if ((size_t)n == t->len)
		return;
	/* A request larger than the socket buffer: finish it later. */
	c->wptr = t->bytes + n;
	c->wlen = t->len - (size_t)n;
	if (c->wev == NULL)
		c->wev = event_new(L.base, c->fd, EV_WRITE | EV_PERSIST,
		    conn_sent_rest, c);
	if (c->wev == NULL || event_add(c->wev, NULL) == -1)
		conn_fail(c, "cannot wait for the socket");
}

static void
conn_next(struct conn *c)
{
	unsigned long	 k;

	if (L.phase != PHASE_WARMUP && L.phase != PHASE_MEASURE)
		return;
	if (L.limit > 0 && L.issued >= L.limit) {
		c->state = C_DONE;
		if (--L.nrunning == 0)
			load_finish();
		return;
	}
	L.issued++;
	if (L.mode == MODE_CHECKOUT)
		k = (unsigned long)(c->id % L.nitems) * 2 + (c->step & 1);
	else
		k = ((unsigned long)c->id + c->step) % (unsigned long)L.ntmpls;
	c->step++;
	conn_send(c, &L.tmpls[k]);
}

/*
 * The server said it closes after this answer: connect again and go on,
 * counted apart, since a keep-alive benchmark that reconnects measures
 * something else.
 */
static void
conn_rejoin(struct conn *c)
{
	L.reconnects++;
	conn_close(c);
	c->state = C_REJOIN;
	conn_start(c);
}

/* Handle one framed answer; -1 when the connection is no longer read. */
static int
conn_response(struct conn *c, const struct http_resp *r)
{
	const char	*why;
	int		 refused;

	if (!c->awaiting) {
		conn_fail(c, "an answer nobody asked for");
		return (-1);
	}
	c->awaiting = 0;
	L.total++;
	why = resp_check(c->t, r, &refused);
	if (L.phase == PHASE_MEASURE) {
		L.hist[hist_index(now_us() - c->stamp)]++;
		L.counted++;
	}
	if (why != NULL)
		note_error(why, c->id);
	else if (refused)
		L.refused++;
	if (c->state != C_RUN)
		return (-1);
	if (r->close) {
		conn_rejoin(c);
		return (-1);
	}
	conn_next(c);
	return (c->state == C_RUN || c->state == C_DONE ? 0 : -1);
}

/* Make room for a read of LOAD_READ bytes, up to the answer cap. */
static int
conn_room(struct conn *c)
{
	size_t	 want;
	char	*p;

	if (c->inmax - c->nin >= LOAD_READ / 4)
		return (0);
	want = c->inmax == 0 ? LOAD_IN_FIRST : c->inmax * 2;
	if (want > HTTP_RESP_MAX)
		want = HTTP_RESP_MAX;
	if (want <= c->inmax)
		return (c->inmax > c->nin ? 0 : -1);
	if ((p = realloc(c->in, want)) == NULL)
		return (-1);
	c->in = p;
	c->inmax = want;
	return (0);
}

static void
conn_read(evutil_socket_t fd, short what, void *arg)
{
	struct conn		*c = arg;
	struct http_resp	 r;
	const char		*why;
	ssize_t			 n;
	int			 rc;

	if (conn_room(c) == -1) {
		conn_fail(c, "answer over the length cap");
		return;
	}
	n = recv(c->fd, c->in + c->nin, c->inmax - c->nin, 0);
	if (n == 0) {
		conn_fail(c, "closed by the server");
		return;
	}
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			conn_fail(c, strerror(errno));
		return;
	}
	c->nin += (size_t)n;
	if ((rc = http_parse(c->in, c->nin, &r, &why)) == 0)
		return;
	if (rc == -1) {
		conn_fail(c, why);
		return;
	}
	/* One request is outstanding: nothing may follow its answer. */
	if (r.used != c->nin) {
		conn_fail(c, "bytes after the answer");
		return;
	}
	if (conn_response(c, &r) == -1)
		return;
	c->nin = 0;
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

static void
conn_connected(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	socklen_t	 len = sizeof(int);
	int		 err = 0;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		conn_fail(c, strerror(err));
		return;
	}
	event_free(c->ev);
	c->ev = event_new(L.base, c->fd, EV_READ | EV_PERSIST, conn_read, c);
	if (c->ev == NULL || event_add(c->ev, NULL) == -1) {
		conn_fail(c, "cannot watch the socket");
		return;
	}
	if (c->state == C_REJOIN) {
		c->state = C_RUN;
		conn_next(c);
		return;
	}
	conn_ready(c);
}

static void
conn_start(struct conn *c)
{
	int	 on = 1;

	if (c->state != C_REJOIN) {
		c->state = C_CONNECTING;
		L.nsetup++;
	}
	c->stamp = now_us();
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

/* --- arguments ---------------------------------------------------------- */

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
	if (p->barcode == NULL || *p->barcode == '\0')
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
		fprintf(stderr, "ncipload: %s: %s\n", path, strerror(errno));
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
			fprintf(stderr, "ncipload: %s: too many patrons\n",
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

/* A URL path goes into the request line as it is: no blank, no control. */
static int
path_ok(const char *p)
{
	if (*p != '/')
		return (0);
	for (; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return (0);
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
		fprintf(stderr, "ncipload: %d connections need more than the "
		    "open-file limit of %llu\n", L.nconns,
		    (unsigned long long)rl.rlim_cur);
		return (-1);
	}
	return (0);
}

static void
report(void)
{
	static const char *const names[] = {
		[MODE_LOOKUP_USER] = "lookup-user",
		[MODE_CHECKOUT] = "checkout",
		[MODE_FILES] = "files",
	};
	struct rusage	 ru;
	double		 secs, cpu_us;

	getrusage(RUSAGE_SELF, &ru);
	cpu_us = (double)ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec +
	    (double)ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
	secs = L.t_measure != 0 && L.t_end > L.t_measure ?
	    (double)(L.t_end - L.t_measure) / 1e6 : 0;
	printf("mode=%s conns=%d requests=%llu rps=%.0f p50_us=%llu "
	    "p99_us=%llu p999_us=%llu errors=%llu refused=%llu total=%llu "
	    "secs=%.3f cpu_us=%.0f version=%d reconnects=%llu check=%s\n",
	    names[L.mode], L.nconns, L.counted,
	    secs > 0 ? (double)L.counted / secs : 0.0,
	    (unsigned long long)hist_percentile(0.50),
	    (unsigned long long)hist_percentile(0.99),
	    (unsigned long long)hist_percentile(0.999),
	    L.errors, L.refused, L.total, secs, cpu_us, L.version,
	    L.reconnects, L.parse ? "parse" : "substring");
}

/* Check the arguments against each other once all are read. */
static int
args_check(void)
{
	if (L.nfiles > 0)
		L.mode = MODE_FILES;
	if (L.mode != MODE_FILES && (L.from == NULL || L.to == NULL)) {
		fprintf(stderr, "ncipload: built requests need -F and -T\n");
		return (-1);
	}
	if (L.mode == MODE_LOOKUP_USER && L.npatrons == 0) {
		fprintf(stderr, "ncipload: give patrons with -P or -b\n");
		return (-1);
	}
	if (L.mode == MODE_CHECKOUT && (L.nitems == 0 || L.npatrons == 0)) {
		fprintf(stderr, "ncipload: give patrons (-P, -b) and items "
		    "(-I)\n");
		return (-1);
	}
	if (L.limit == 0 && L.duration == 0) {
		fprintf(stderr, "ncipload: give -d or -n\n");
		return (-1);
	}
	return (0);
}

int
main(int argc, char *argv[])
{
	struct timeval	 one = { 1, 0 };
	struct event	*sigterm, *sigint;
	const char	*patronfile = NULL;
	long long	 v;
	int		 ch, i;

	L.nconns = 1;
	L.mode = MODE_LOOKUP_USER;
	L.version = 2;
	L.path = "/ncip";
	L.duration = 5;
	L.warmup = 1;
	L.timeout_ms = 10000;

	while ((ch = getopt(argc, argv, "F:I:P:T:W:ab:c:d:m:n:r:t:u:v:x"))
	    != -1) {
		switch (ch) {
		case 'F':
			L.from = optarg;
			break;
		case 'I':
			if (add_list(optarg, 0) == -1)
				usage();
			break;
		case 'P':
			patronfile = optarg;
			break;
		case 'T':
			L.to = optarg;
			break;
		case 'W':
			if (number(optarg, 0, 3600, &v) == -1)
				usage();
			L.warmup = (int)v;
			break;
		case 'a':
			L.by_auth = 1;
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
		case 'm':
			if (strcmp(optarg, "lookup-user") == 0)
				L.mode = MODE_LOOKUP_USER;
			else if (strcmp(optarg, "checkout") == 0)
				L.mode = MODE_CHECKOUT;
			else
				usage();
			break;
		case 'n':
			if (number(optarg, 1, LLONG_MAX, &v) == -1)
				usage();
			L.limit = v;
			break;
		case 'r':
			if (L.nfiles == LOAD_FILES_MAX)
				usage();
			L.files[L.nfiles++] = optarg;
			break;
		case 't':
			if (number(optarg, 1, 3600000, &v) == -1)
				usage();
			L.timeout_ms = (int)v;
			break;
		case 'u':
			if (!path_ok(optarg))
				usage();
			L.path = optarg;
			break;
		case 'v':
			if (strcmp(optarg, "1") != 0 &&
			    strcmp(optarg, "2") != 0)
				usage();
			L.version = optarg[0] - '0';
			break;
		case 'x':
			L.parse = 1;
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	if (patronfile != NULL && read_patrons(patronfile) == -1)
		return (2);
	if (args_check() == -1)
		usage();
	L.hostport = argv[optind];
	L.addrlen = sizeof(L.addr);
	if (evutil_parse_sockaddr_port(L.hostport, (struct sockaddr *)&L.addr,
	    &L.addrlen) == -1) {
		fprintf(stderr, "ncipload: bad address %s (want a numeric "
		    "host:port)\n", L.hostport);
		return (2);
	}
	if (check_nofile(L.nconns + 32) == -1)
		return (2);

	signal(SIGPIPE, SIG_IGN);
	ncip_init();
	if (tmpls_build() == -1) {
		fprintf(stderr, "ncipload: cannot build the requests\n");
		return (1);
	}
	if ((L.conns = calloc((size_t)L.nconns, sizeof(*L.conns))) == NULL) {
		fprintf(stderr, "ncipload: out of memory\n");
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
		fprintf(stderr, "ncipload: cannot set up libevent\n");
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
	return (L.errors > 0 || L.nready == 0 ? 1 : 0);
}
