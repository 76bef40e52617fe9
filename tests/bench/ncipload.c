/* SPDX-License-Identifier: ISC */
/*
 * ncipload: a closed-loop NCIP load generator that keeps one HTTP/1.1
 * POST outstanding on each keep-alive connection and reports throughput
 * and latency.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ncip.h"
#include "loadgen.h"

#define LOAD_FILES_MAX	64	/* request bodies from files */
#define HTTP_HEAD_MAX	16384	/* status line and headers */
#define HTTP_RESP_MAX	(HTTP_HEAD_MAX + NCIP_BODY_MAX + 65536)

#define SCM_AUTH_TYPE	"http://www.niso.org/ncip/v1_0/imp1/schemes/" \
	"authenticationinputtype/authenticationinputtype.scm"
#define SCM_MEDIA_TYPES	"http://www.iana.org/assignments/media-types"

enum mode {
	MODE_LOOKUP_USER,
	MODE_CHECKOUT,
	MODE_FILES,
};

/* One request, HTTP head and NCIP body, and the answer it wants. */
struct tmpl {
	char		*bytes;
	size_t		 len;
	enum ncip_service expect;	/* the response service */
	const char	*expect_name;	/* "LookupUserResponse" */
	size_t		 expect_len;
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
	const char	*path;
	const char	*from;
	const char	*to;
	int		 version;
	int		 by_auth;	/* AuthenticationInput */
	int		 parse;		/* -x: parse answers */
	enum mode	 mode;
	const char	*files[LOAD_FILES_MAX];
	int		 nfiles;
	unsigned long long reconnects;	/* closes the server announced */

	struct tmpl	*tmpls;
	int		 ntmpls;
} N;

static void	usage(void) __attribute__((__noreturn__));

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
	    "\r\n", N.path, loadgen.hostport, ctype, blen);
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

	ncip_dialect_default(&d, N.version);
	if (ncip_build(m, &d, &body, &blen, &err) == -1) {
		fprintf(stderr, "ncipload: cannot build %s: %s %s\n",
		    ncip_service_name(m->service), err.element, err.detail);
		return (-1);
	}
	rc = tmpl_make(t, body, blen, m->service, N.version);
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
	m->header.from_agency.value = N.from;
	m->header.to_agency.value = N.to;
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
msg_user(struct ncip_msg *m, const struct loadgen_patron *p,
    struct ncip_auth *auth)
{
	if (!N.by_auth) {
		m->user_id.agency.value = N.to;
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
	m->item_id.agency.value = N.to;
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
	struct ncip_auth		 auth[2];
	struct ncip_msg			*m;
	const struct loadgen_patron	*p;
	int				 k;

	if (N.mode == MODE_LOOKUP_USER)
		N.ntmpls = loadgen.npatrons;
	else if (N.mode == MODE_CHECKOUT)
		N.ntmpls = 2 * loadgen.nitems;
	else
		N.ntmpls = N.nfiles;
	if ((N.tmpls = calloc((size_t)N.ntmpls, sizeof(*N.tmpls))) == NULL)
		return (-1);

	for (k = 0; k < N.ntmpls; k++) {
		if (N.mode == MODE_FILES) {
			if (tmpl_file(&N.tmpls[k], N.files[k]) == -1)
				return (-1);
			continue;
		}
		if (N.mode == MODE_LOOKUP_USER) {
			if ((m = msg_make(NCIP_LOOKUP_USER)) == NULL)
				return (-1);
			msg_user(m, &loadgen.patrons[k], auth);
			m->loans_desired = 1;
		} else if (k % 2 == 0) {
			p = &loadgen.patrons[(k / 2) % loadgen.npatrons];
			if ((m = msg_make(NCIP_CHECKOUT_ITEM)) == NULL)
				return (-1);
			msg_user(m, p, auth);
			msg_item(m, loadgen.items[k / 2]);
		} else {
			if ((m = msg_make(NCIP_CHECKIN_ITEM)) == NULL)
				return (-1);
			msg_item(m, loadgen.items[k / 2]);
		}
		if (tmpl_build(&N.tmpls[k], m) == -1) {
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
	if (N.parse) {
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
ncip_request(struct loadgen_conn *c, unsigned long k)
{
	loadgen_send(c, N.tmpls[k].bytes, N.tmpls[k].len);
}

/* Handle one framed answer; -1 when the connection is no longer read. */
static int
conn_response(struct loadgen_conn *c, const struct http_resp *r)
{
	const char	*why;
	int		 refused;

	if (loadgen_answer(c) == -1)
		return (-1);
	why = resp_check(&N.tmpls[c->req], r, &refused);
	loadgen_result(c, why, refused);
	if (c->state != LOADGEN_RUN)
		return (-1);
	/*
	 * The server said it closes after this answer: connect again and go
	 * on, counted apart, since a keep-alive benchmark that reconnects
	 * measures something else.
	 */
	if (r->close) {
		N.reconnects++;
		loadgen_rejoin(c);
		return (-1);
	}
	loadgen_next(c);
	return (c->state == LOADGEN_RUN || c->state == LOADGEN_DONE ? 0 : -1);
}

/* Take the one answer that may be outstanding, once it is complete. */
static ssize_t
ncip_input(struct loadgen_conn *c, char *buf, size_t len)
{
	struct http_resp	 r;
	const char		*why;
	int			 rc;

	if ((rc = http_parse(buf, len, &r, &why)) == 0)
		return (0);
	if (rc == -1) {
		loadgen_fail(c, why);
		return (-1);
	}
	/* One request is outstanding: nothing may follow its answer. */
	if (r.used != len) {
		loadgen_fail(c, "bytes after the answer");
		return (-1);
	}
	if (conn_response(c, &r) == -1)
		return (-1);
	return ((ssize_t)len);
}

static void
ncip_connected(struct loadgen_conn *c)
{
	if (loadgen_watch(c) == -1)
		return;
	if (c->state == LOADGEN_REJOIN) {
		c->state = LOADGEN_RUN;
		loadgen_next(c);
		return;
	}
	loadgen_ready(c);
}

static const struct loadgen_proto ncip_proto = {
	.name = "ncipload",
	.unasked = "an answer nobody asked for",
	.toolong = "answer over the length cap",
	.inmax = HTTP_RESP_MAX,
	.connected = ncip_connected,
	.request = ncip_request,
	.input = ncip_input,
	.close = NULL,
};

/* --- arguments ---------------------------------------------------------- */

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

/* Check the arguments against each other once all are read. */
static int
args_check(void)
{
	if (N.nfiles > 0)
		N.mode = MODE_FILES;
	if (N.mode != MODE_FILES && (N.from == NULL || N.to == NULL)) {
		fprintf(stderr, "ncipload: built requests need -F and -T\n");
		return (-1);
	}
	if (N.mode == MODE_LOOKUP_USER && loadgen.npatrons == 0) {
		fprintf(stderr, "ncipload: give patrons with -P or -b\n");
		return (-1);
	}
	if (N.mode == MODE_CHECKOUT &&
	    (loadgen.nitems == 0 || loadgen.npatrons == 0)) {
		fprintf(stderr, "ncipload: give patrons (-P, -b) and items "
		    "(-I)\n");
		return (-1);
	}
	if (loadgen.limit == 0 && loadgen.duration == 0) {
		fprintf(stderr, "ncipload: give -d or -n\n");
		return (-1);
	}
	return (0);
}

int
main(int argc, char *argv[])
{
	static const char *const names[] = {
		[MODE_LOOKUP_USER] = "lookup-user",
		[MODE_CHECKOUT] = "checkout",
		[MODE_FILES] = "files",
	};
	char		 extra[128];
	int		 ch;

	loadgen_init(&ncip_proto);
	N.mode = MODE_LOOKUP_USER;
	N.version = 2;
	N.path = "/ncip";

	while ((ch = getopt(argc, argv, "F:I:P:T:W:ab:c:d:m:n:r:t:u:v:x"))
	    != -1) {
		switch (ch) {
		case 'F':
			N.from = optarg;
			break;
		case 'T':
			N.to = optarg;
			break;
		case 'a':
			N.by_auth = 1;
			break;
		case 'm':
			if (strcmp(optarg, "lookup-user") == 0)
				N.mode = MODE_LOOKUP_USER;
			else if (strcmp(optarg, "checkout") == 0)
				N.mode = MODE_CHECKOUT;
			else
				usage();
			break;
		case 'r':
			if (N.nfiles == LOAD_FILES_MAX)
				usage();
			N.files[N.nfiles++] = optarg;
			break;
		case 'u':
			if (!path_ok(optarg))
				usage();
			N.path = optarg;
			break;
		case 'v':
			if (strcmp(optarg, "1") != 0 &&
			    strcmp(optarg, "2") != 0)
				usage();
			N.version = optarg[0] - '0';
			break;
		case 'x':
			N.parse = 1;
			break;
		default:
			if (loadgen_option(ch, optarg) != 0)
				usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	if (loadgen_patrons() == -1)
		return (2);
	if (args_check() == -1)
		usage();
	if (loadgen_target(argv[optind]) == -1)
		return (2);

	ncip_init();
	if (tmpls_build() == -1) {
		fprintf(stderr, "ncipload: cannot build the requests\n");
		return (1);
	}
	loadgen.paired = N.mode == MODE_CHECKOUT;
	loadgen.nreqs = N.ntmpls;
	if (loadgen_run() == -1)
		return (1);
	(void)snprintf(extra, sizeof(extra), " version=%d reconnects=%llu "
	    "check=%s", N.version, N.reconnects,
	    N.parse ? "parse" : "substring");
	loadgen_report(names[N.mode], extra);
	return (loadgen_end());
}
