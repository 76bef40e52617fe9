/* SPDX-License-Identifier: ISC */
/*
 * Tests of the simulated ILS's NCIP responder: each starts circlink-ilssim
 * on loopback with ephemeral ports, POSTs NCIP to it (version 2 to the
 * metro data, version 1 to the district's) and checks the answers, the
 * state through the control port and what SIP2 sees of the same state.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "ncip.h"
#include "sip2.h"
#include "test_ncip_util.h"

#define WAIT_MS		3000
#define HEAD_MAX	16384
#define BODY_MAX	(4 * 1024 * 1024)
#define D		"20250101    120000"	/* a SIP2 transaction date */
#define MEDIA		"http://www.iana.org/assignments/media-types"
#define AUTH_SCM	"http://www.niso.org/ncip/v1_0/imp1/schemes/" \
			    "authenticationinputtype/" \
			    "authenticationinputtype.scm"
#define DISTRICT_PATH	"/ncip/district-ncip-token"

/* A running simulator. */
struct sim {
	pid_t		 pid;
	char		 dir[64];
	int		 sip2;
	int		 ncip;
	int		 ncips;
	int		 control;
	int		 ctl_fd;
};

/* Whom the test speaks NCIP to, and how. */
struct peer {
	struct ncip_dialect	 d;
	const char		*path;
	const char		*from;
	const char		*to;
};

/* An HTTP connection with what it has read but not yet used. */
struct hconn {
	int		 fd;
	SSL		*ssl;
	char		*buf;
	size_t		 len;
};

/* One HTTP answer. */
struct hresp {
	int		 status;
	char		*body;
	size_t		 len;
};

static struct sim	 sim = { .pid = -1, .ctl_fd = -1 };
static struct peer	 peer;
static struct hconn	 conn = { .fd = -1 };	/* kept alive between posts */
static char		 certdir[64];
static const char	*ilssim_bin;
static const char	*data_dir;

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* --- the simulator ---------------------------------------------------- */

static void	hc_close(struct hconn *);

static void
rm_dir(char *dir)
{
	const char	*names[] = { "ports", "log", "data.ils", "cert.pem",
			    "key.pem" };
	char		 path[128];
	size_t		 i;

	if (dir[0] == '\0')
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
	dir[0] = '\0';
}

static void
sim_stop(void)
{
	int	 status, i;

	hc_close(&conn);
	if (sim.ctl_fd != -1)
		close(sim.ctl_fd);
	sim.ctl_fd = -1;
	if (sim.pid > 0) {
		kill(sim.pid, SIGTERM);
		for (i = 0; i < 300; i++) {
			if (waitpid(sim.pid, &status, WNOHANG) == sim.pid)
				break;
			usleep(10000);
		}
		if (i == 300) {
			kill(sim.pid, SIGKILL);
			waitpid(sim.pid, &status, 0);
			fprintf(stderr, "circlink-ilssim did not stop\n");
		}
	}
	sim.pid = -1;
	rm_dir(sim.dir);
	rm_dir(certdir);
}

static void
sim_atexit(void)
{
	sim_stop();
}

static int
read_ports(const char *path)
{
	FILE	*fp;
	char	 kind[16];
	int	 port;

	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fscanf(fp, "%15s %d", kind, &port) == 2) {
		if (strcmp(kind, "sip2") == 0)
			sim.sip2 = port;
		else if (strcmp(kind, "ncip") == 0)
			sim.ncip = port;
		else if (strcmp(kind, "ncips") == 0)
			sim.ncips = port;
		else if (strcmp(kind, "control") == 0)
			sim.control = port;
	}
	fclose(fp);
	return sim.control > 0 && (sim.ncip > 0 || sim.ncips > 0) ? 0 : -1;
}

static int
tcp_connect(int port)
{
	struct sockaddr_in	 sin;
	int			 fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void
sim_fail(const char *log, const char *what)
{
	FILE	*fp;
	char	 line[512] = "";

	if ((fp = fopen(log, "r")) != NULL) {
		if (fgets(line, sizeof(line), fp) == NULL)
			line[0] = '\0';
		line[strcspn(line, "\n")] = '\0';
		fclose(fp);
	}
	sim_stop();
	fail_msg("circlink-ilssim %s: %s", what, line);
}

static void
sim_mkdir(void)
{
	if (sim.dir[0] != '\0')
		return;
	snprintf(sim.dir, sizeof(sim.dir), "/tmp/test_ilssim_ncip.XXXXXX");
	assert_non_null(mkdtemp(sim.dir));
}

/*
 * Start the simulator on a data file (a name in the demo directory, or a
 * path) with an NCIP listener, a SIP2 one and the control port, and extra
 * arguments (NULL-ended).
 */
static void
sim_start(const char *data, ...)
{
	const char	*argv[40];
	char		 file[256], ports[128], log[128];
	va_list		 ap;
	double		 start;
	int		 argc = 0, fd, status;

	sim_mkdir();
	if (strchr(data, '/') != NULL)
		snprintf(file, sizeof(file), "%s", data);
	else
		snprintf(file, sizeof(file), "%s/%s", data_dir, data);
	snprintf(ports, sizeof(ports), "%s/ports", sim.dir);
	snprintf(log, sizeof(log), "%s/log", sim.dir);
	argv[argc++] = ilssim_bin;
	argv[argc++] = "-d";
	argv[argc++] = file;
	argv[argc++] = "-l";
	argv[argc++] = "127.0.0.1:0";
	argv[argc++] = "-n";
	argv[argc++] = "127.0.0.1:0";
	argv[argc++] = "-C";
	argv[argc++] = "127.0.0.1:0";
	argv[argc++] = "-p";
	argv[argc++] = ports;
	va_start(ap, data);
	while (argc < 38 && (argv[argc] = va_arg(ap, const char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;

	sim.sip2 = sim.ncip = sim.ncips = sim.control = 0;
	sim.pid = fork();
	assert_true(sim.pid != -1);
	if (sim.pid == 0) {
#ifdef __linux__
		prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
		if ((fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1)
			dup2(fd, 2);
		execv(ilssim_bin, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	start = now_ms();
	while (read_ports(ports) == -1) {
		if (waitpid(sim.pid, &status, WNOHANG) == sim.pid) {
			sim.pid = -1;
			sim_fail(log, "exited at start");
		}
		if (now_ms() - start > WAIT_MS)
			sim_fail(log, "wrote no port file");
		usleep(5000);
	}
	sim.ctl_fd = tcp_connect(sim.control);
	assert_true(sim.ctl_fd != -1);
}

/* Write a data file into the simulator's directory; returns its path. */
static const char *
write_data(const char *text)
{
	static char	 path[128];
	FILE		*fp;

	sim_mkdir();
	snprintf(path, sizeof(path), "%s/data.ils", sim.dir);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	return path;
}

/* Send a control command and return its one-line answer. */
static const char *
ctl(const char *cmd)
{
	static char	 line[4096];
	struct pollfd	 pfd;
	size_t		 n = 0;
	ssize_t		 r;

	assert_true(send(sim.ctl_fd, cmd, strlen(cmd), MSG_NOSIGNAL) > 0);
	assert_true(send(sim.ctl_fd, "\n", 1, MSG_NOSIGNAL) == 1);
	while (n == 0 || line[n - 1] != '\n') {
		pfd.fd = sim.ctl_fd;
		pfd.events = POLLIN;
		assert_true(poll(&pfd, 1, WAIT_MS) == 1);
		r = recv(sim.ctl_fd, line + n, sizeof(line) - n - 1, 0);
		assert_true(r > 0);
		n += (size_t)r;
		assert_true(n < sizeof(line) - 1);
	}
	line[n - 1] = '\0';
	return line;
}

/* Assert that a control answer carries "key=value" as a whole word. */
static void
assert_has(const char *line, const char *kv)
{
	const char	*p = line;
	size_t		 n = strlen(kv);

	while ((p = strstr(p, kv)) != NULL) {
		if ((p == line || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\0'))
			return;
		p++;
	}
	fail_msg("'%s' lacks '%s'", line, kv);
}

/* --- HTTP ------------------------------------------------------------- */

static void
hc_open(struct hconn *c, int port)
{
	c->fd = tcp_connect(port);
	assert_true(c->fd != -1);
	c->ssl = NULL;
	c->len = 0;
	if (c->buf == NULL)
		assert_non_null(c->buf = malloc(BODY_MAX + HEAD_MAX));
}

static void
hc_close(struct hconn *c)
{
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = 0;
}

static int
hc_write(struct hconn *c, const char *s, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = c->ssl != NULL ? SSL_write(c->ssl, s, (int)len) :
		    send(c->fd, s, len, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read more; 1 read, 0 end of file, -1 nothing before the deadline. */
static int
hc_fill(struct hconn *c, double end)
{
	struct pollfd	 pfd;
	ssize_t		 r;

	if (c->len >= BODY_MAX + HEAD_MAX)
		return -1;
	if (c->ssl == NULL || SSL_pending(c->ssl) == 0) {
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (end - now_ms() <= 0 ||
		    poll(&pfd, 1, (int)(end - now_ms())) <= 0)
			return -1;
	}
	r = c->ssl != NULL ? SSL_read(c->ssl, c->buf + c->len,
	    (int)(BODY_MAX + HEAD_MAX - c->len)) :
	    recv(c->fd, c->buf + c->len, BODY_MAX + HEAD_MAX - c->len, 0);
	if (r <= 0)
		return 0;
	c->len += (size_t)r;
	return 1;
}

/*
 * Read one HTTP answer.  Returns 1 with r filled in (body to free), 0
 * when the connection closed first, -1 when nothing came in time.
 */
static int
hc_read(struct hconn *c, struct hresp *r, int timeout_ms)
{
	double		 end = now_ms() + timeout_ms;
	char		*eoh, *p;
	size_t		 hlen, blen = 0;
	int		 rc;

	memset(r, 0, sizeof(*r));
	while ((eoh = memmem(c->buf, c->len, "\r\n\r\n", 4)) == NULL)
		if ((rc = hc_fill(c, end)) != 1)
			return rc;
	hlen = (size_t)(eoh - c->buf) + 4;
	*eoh = '\0';
	if (sscanf(c->buf, "HTTP/1.%*d %d", &r->status) != 1)
		fail_msg("not an HTTP answer: %.40s", c->buf);
	for (p = c->buf; (p = strchr(p, '\n')) != NULL; p++)
		if (strncasecmp(p + 1, "Content-Length:", 15) == 0)
			blen = strtoul(p + 16, NULL, 10);
	while (c->len < hlen + blen)
		if ((rc = hc_fill(c, end)) != 1)
			return rc;
	assert_non_null(r->body = malloc(blen + 1));
	memcpy(r->body, c->buf + hlen, blen);
	r->body[blen] = '\0';
	r->len = blen;
	memmove(c->buf, c->buf + hlen + blen, c->len - hlen - blen);
	c->len -= hlen + blen;
	return 1;
}

/* Send a request: a method, a path, a body (NULL for none). */
static void
hc_send(struct hconn *c, const char *method, const char *path,
    const char *body, size_t len)
{
	char	 head[512];
	int	 n;

	n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nContent-Type: application/xml\r\n"
	    "Content-Length: %zu\r\n\r\n", method, path, body != NULL ? len :
	    0);
	assert_true(n > 0 && (size_t)n < sizeof(head));
	assert_int_equal(hc_write(c, head, (size_t)n), 0);
	if (body != NULL && len > 0)
		assert_int_equal(hc_write(c, body, len), 0);
}

/* POST on the kept-alive connection (opened when needed); the answer. */
static struct hresp
post(const char *path, const char *body, size_t len)
{
	struct hresp	 r;

	if (conn.fd == -1)
		hc_open(&conn, sim.ncip);
	hc_send(&conn, "POST", path, body, len);
	if (hc_read(&conn, &r, WAIT_MS) != 1)
		fail_msg("no HTTP answer on %s", path);
	return r;
}

/* --- NCIP ------------------------------------------------------------- */

static void
peer_metro(void)
{
	ncip_dialect_default(&peer.d, 2);
	peer.path = "/ncip";
	peer.from = "DISTRICT";
	peer.to = "METRO";
}

static void
peer_district(void)
{
	ncip_dialect_default(&peer.d, 1);
	peer.path = DISTRICT_PATH;
	peer.from = "METRO";
	peer.to = "DISTRICT";
}

/* A request to the peer, with an InitiationHeader. */
static struct ncip_msg *
rq_new(enum ncip_service svc)
{
	struct ncip_msg	*m;

	assert_non_null(m = ncip_msg_new(svc));
	m->dialect = peer.d;
	m->version_str = peer.d.version_str;
	if (svc == NCIP_LOOKUP_VERSION) {
		m->header.from_agency.value = peer.from;
		m->header.to_agency.value = peer.to;
		return m;
	}
	m->header.present = 1;
	m->header.from_agency.value = peer.from;
	m->header.to_agency.value = peer.to;
	m->header.profile.value = "CIRCLINK";
	return m;
}

static void
rq_user(struct ncip_msg *m, const char *barcode)
{
	m->user_id.agency.value = peer.to;
	m->user_id.value = barcode;
}

static void
rq_item(struct ncip_msg *m, const char *barcode)
{
	m->item_id.agency.value = peer.to;
	m->item_id.value = barcode;
}

/* AuthenticationInput: a barcode and, unless NULL, a PIN. */
static void
rq_auth(struct ncip_msg *m, const char *barcode, const char *pin)
{
	struct ncip_auth	*a;

	assert_non_null(a = ncip_msg_calloc(m, 2, sizeof(*a)));
	a[0].data = barcode;
	a[0].format.scheme = MEDIA;
	a[0].format.value = "text/plain";
	a[0].type.scheme = AUTH_SCM;
	a[0].type.value = "Barcode Id";
	a[1].data = pin;
	a[1].format = a[0].format;
	a[1].type.scheme = AUTH_SCM;
	a[1].type.value = "PIN";
	m->auth = a;
	m->nauth = pin != NULL ? 2 : 1;
}

static void
rq_codes(struct ncip_msg *m, int user, const char *const *v, size_t n)
{
	struct ncip_code	*c;
	size_t			 i;

	assert_non_null(c = ncip_msg_calloc(m, n, sizeof(*c)));
	for (i = 0; i < n; i++)
		c[i].value = v[i];
	if (user) {
		m->user_elements = c;
		m->nuser_elements = n;
	} else {
		m->item_elements = c;
		m->nitem_elements = n;
	}
}

static char *
rq_bytes(const struct ncip_msg *m, size_t *len)
{
	struct ncip_error	 err;
	char			*out;

	if (ncip_build(m, &peer.d, &out, len, &err) == -1)
		fail_msg("request %s does not build: %s %s %s",
		    ncip_service_name(m->service), ncip_problem_name(err.kind),
		    err.element, err.detail);
	return out;
}

/*
 * Parse an answer body, which must be NCIP; version 2 answers must also
 * be valid against the 2.02 schema (LookupVersion is not in it).
 */
static struct ncip_msg *
answer_parse(const char *body, size_t len)
{
	struct ncip_error	 err;
	struct ncip_msg		*m;
	char			 why[512];

	if ((m = ncip_parse(body, len, NULL, &err)) == NULL)
		fail_msg("answer does not parse (%s %s %s): %.300s",
		    ncip_problem_name(err.kind), err.element, err.detail, body);
	if (m->dialect.version == 2 &&
	    m->service != NCIP_LOOKUP_VERSION_RESP &&
	    util_validate(body, len, 1, why, sizeof(why)) == -1)
		fail_msg("answer is not valid NCIP 2.02: %s\n%.2000s", why,
		    body);
	return m;
}

/* Send a request (freed) and return the NCIP answer; HTTP 200 expected. */
static struct ncip_msg *
tx_raw(struct ncip_msg *rq, char **rawp)
{
	struct hresp	 r;
	struct ncip_msg	*m;
	char		*bytes;
	size_t		 len;

	bytes = rq_bytes(rq, &len);
	ncip_msg_free(rq);
	r = post(peer.path, bytes, len);
	free(bytes);
	if (r.status != 200)
		fail_msg("HTTP %d: %.300s", r.status, r.body);
	m = answer_parse(r.body, r.len);
	if (rawp != NULL)
		*rawp = r.body;
	else
		free(r.body);
	return m;
}

static struct ncip_msg *
tx(struct ncip_msg *rq)
{
	return tx_raw(rq, NULL);
}

static void
assert_ok(const struct ncip_msg *m)
{
	if (m->nproblems > 0)
		fail_msg("%s: Problem \"%s\" element %s detail %s",
		    ncip_service_name(m->service), m->problems[0].type.value,
		    m->problems[0].element != NULL ? m->problems[0].element :
		    "-", m->problems[0].detail != NULL ?
		    m->problems[0].detail : "-");
}

static void
assert_problem(const struct ncip_msg *m, enum ncip_problem_type kind)
{
	if (m->nproblems == 0)
		fail_msg("%s succeeded; expected \"%s\"",
		    ncip_service_name(m->service), ncip_problem_name(kind));
	if (m->problems[0].kind != kind)
		fail_msg("Problem \"%s\", expected \"%s\"",
		    m->problems[0].type.value, ncip_problem_name(kind));
}

static void
assert_problem_other(const struct ncip_msg *m, const char *type)
{
	assert_true(m->nproblems > 0);
	assert_string_equal(m->problems[0].type.value, type);
}

/* A LookupUser by AuthenticationInput, asking for everything. */
static struct ncip_msg *
lookup_user(const char *barcode, const char *pin)
{
	static const char *const ue[] = {
		"Name Information", "User Address Information",
		"Date Of Birth", "User Language", "User Privilege",
		"Block Or Trap", "User Id"
	};
	struct ncip_msg	*rq = rq_new(NCIP_LOOKUP_USER);

	rq_auth(rq, barcode, pin);
	rq_codes(rq, 1, ue, sizeof(ue) / sizeof(ue[0]));
	rq->loans_desired = 1;
	rq->holds_desired = 1;
	rq->account_desired = 1;
	return tx(rq);
}

static const char *
privilege_status(const struct ncip_msg *m, const char *type)
{
	size_t	 i;

	for (i = 0; i < m->user.nprivileges; i++)
		if (strcmp(m->user.privileges[i].type.value, type) == 0)
			return m->user.privileges[i].status.value;
	return NULL;
}

static int
has_block(const struct ncip_msg *m, const char *type)
{
	size_t	 i;

	for (i = 0; i < m->user.nblocks; i++)
		if (strcasecmp(m->user.blocks[i].type.value, type) == 0)
			return 1;
	return 0;
}

static struct ncip_msg *
checkout(const char *user, const char *item)
{
	struct ncip_msg	*rq = rq_new(NCIP_CHECKOUT_ITEM);

	rq_user(rq, user);
	rq_item(rq, item);
	return tx(rq);
}

static struct ncip_msg *
checkin(const char *item)
{
	struct ncip_msg	*rq = rq_new(NCIP_CHECKIN_ITEM);

	rq_item(rq, item);
	return tx(rq);
}

static struct ncip_msg *
renew(const char *user, const char *item)
{
	struct ncip_msg	*rq = rq_new(NCIP_RENEW_ITEM);

	rq_user(rq, user);
	rq_item(rq, item);
	return tx(rq);
}

static struct ncip_msg *
lookup_item(const char *item)
{
	static const char *const ie[] = {
		"Bibliographic Description", "Circulation Status",
		"Hold Queue Length", "Item Description", "Location",
		"Date Due"
	};
	struct ncip_msg	*rq = rq_new(NCIP_LOOKUP_ITEM);

	rq_item(rq, item);
	rq_codes(rq, 0, ie, sizeof(ie) / sizeof(ie[0]));
	return tx(rq);
}

/* A hold request on a copy, or on a title by ISBN or record id. */
static struct ncip_msg *
request_item(const char *user, const char *item, const char *bibid,
    int record, const char *reqid, const char *pickup)
{
	struct ncip_msg		*rq = rq_new(NCIP_REQUEST_ITEM);
	struct ncip_bibid	*b;

	rq_user(rq, user);
	if (item != NULL)
		rq_item(rq, item);
	if (bibid != NULL) {
		assert_non_null(b = ncip_msg_calloc(rq, 1, sizeof(*b)));
		b->value = bibid;
		if (record) {
			b->kind = NCIP_BIBID_RECORD;
			b->code.value = "SYSNUMBER";
		} else {
			b->kind = NCIP_BIBID_ITEM;
			b->code.value = "ISBN";
		}
		rq->bib_ids = b;
		rq->nbib_ids = 1;
	}
	if (reqid != NULL) {
		rq->request_id.agency.value = peer.from;
		rq->request_id.value = reqid;
	}
	rq->request_type.value = "Hold";
	rq->request_scope.value = item != NULL ? "Item" :
	    "Bibliographic Item";
	rq->pickup_location.value = pickup;
	return tx(rq);
}

static struct ncip_msg *
delete_item(const char *item)
{
	struct ncip_msg	*rq = rq_new(NCIP_DELETE_ITEM);

	rq_item(rq, item);
	return tx(rq);
}

static struct ncip_msg *
accept_item(const char *reqid, const char *user, const char *item,
    const char *title, const char *action, const char *pickup)
{
	struct ncip_msg	*rq = rq_new(NCIP_ACCEPT_ITEM);

	rq->request_id.agency.value = peer.from;
	rq->request_id.value = reqid;
	rq->requested_action.value = action;
	rq_user(rq, user);
	if (item != NULL) {
		rq->item_id.agency.value = peer.from;
		rq->item_id.value = item;
	}
	if (title != NULL) {
		rq->item.present = 1;
		rq->item.has_bib = 1;
		rq->item.bib.title = title;
		rq->item.bib.author = "Lent, Somebody";
	}
	rq->pickup_location.value = pickup;
	return tx(rq);
}

/* --- SIP2, to see the same state from the other side ------------------ */

static int
sip2_session(const char *login)
{
	char	 buf[256];
	ssize_t	 n;
	int	 fd;

	assert_true((fd = tcp_connect(sim.sip2)) != -1);
	assert_true(send(fd, login, strlen(login), MSG_NOSIGNAL) > 0);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n >= 3);
	assert_memory_equal(buf, "941", 3);
	return fd;
}

/* Send one SIP2 request (CR added) and parse its answer. */
static struct sip2_msg *
sip2_tx(int fd, const char *req)
{
	struct sip2_wire	 w = { SIP2_CS_UTF8, SIP2_TERM_CR, '|', 0 };
	struct sip2_msg		*m;
	enum sip2_err		 err;
	char			 buf[8192];
	size_t			 n = 0;
	ssize_t			 r;

	assert_true(send(fd, req, strlen(req), MSG_NOSIGNAL) > 0);
	assert_true(send(fd, "\r", 1, MSG_NOSIGNAL) == 1);
	while (n == 0 || buf[n - 1] != '\r') {
		r = recv(fd, buf + n, sizeof(buf) - n, 0);
		assert_true(r > 0);
		n += (size_t)r;
		assert_true(n < sizeof(buf));
	}
	if ((m = sip2_parse(buf, n - 1, &w, &err)) == NULL)
		fail_msg("SIP2 answer does not parse: %s", sip2_strerror(err));
	return m;
}

/* --- fixtures --------------------------------------------------------- */

static int
group_setup(void **state)
{
	struct stat	 sb;

	if ((ilssim_bin = getenv("ILSSIM")) == NULL)
		ilssim_bin = "tests/circlink-ilssim";
	if ((data_dir = getenv("ILSSIM_DATA_DIR")) == NULL &&
	    (data_dir = getenv("DEMO_DIR")) == NULL)
		data_dir = "etc/demo";
	if (stat(ilssim_bin, &sb) == -1) {
		fprintf(stderr, "test_ilssim_ncip: %s: %s (set ILSSIM)\n",
		    ilssim_bin, strerror(errno));
		return -1;
	}
	util_schema_load();
	ncip_init();
	atexit(sim_atexit);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int
group_teardown(void **state)
{
	util_schema_free();
	return 0;
}

static int
metro_setup(void **state)
{
	peer_metro();
	sim_start("metro.ils", (const char *)NULL);
	return 0;
}

static int
district_setup(void **state)
{
	peer_district();
	sim_start("district.ils", (const char *)NULL);
	return 0;
}

static int
sim_teardown(void **state)
{
	sim_stop();
	return 0;
}

/* --- version 2: looking up -------------------------------------------- */

static void
test_lookup_version_lists_versions(void **state)
{
	struct ncip_msg	*m;

	m = tx(rq_new(NCIP_LOOKUP_VERSION));
	assert_int_equal(m->service, NCIP_LOOKUP_VERSION_RESP);
	assert_int_equal(m->nversions, 3);
	assert_string_equal(m->versions[0], NCIP_V2_02);
	assert_string_equal(m->versions[2], NCIP_V2_0);
	assert_string_equal(m->header.from_agency.value, "METRO");
	assert_string_equal(m->header.to_agency.value, "DISTRICT");
	ncip_msg_free(m);
}

static void
test_lookup_user_reports_loans_and_details(void **state)
{
	struct ncip_msg	*m;
	size_t		 i;
	int		 seen = 0;

	m = lookup_user("21000000001", "1111");
	assert_ok(m);
	assert_string_equal(m->user_id.value, "21000000001");
	assert_string_equal(m->user_id.agency.value, "METRO");
	assert_string_equal(m->header.from_agency.value, "METRO");
	assert_string_equal(m->user.name.surname, "Alvarez");
	assert_string_equal(m->user.name.given, "Marisol");
	assert_int_equal(m->user.naddresses, 3);
	assert_string_equal(m->user.addresses[1].electronic,
	    "marisol.alvarez@example.org");
	assert_string_equal(m->user.addresses[2].electronic_type.value, "tel");
	assert_true(m->user.birth.set);
	assert_string_equal(m->user.languages[0].value, "eng");
	assert_string_equal(privilege_status(m, "STATUS"), "ACTIVE");
	assert_int_equal(m->user.nblocks, 0);
	assert_int_equal(ncip_user_status(&m->user, time(NULL)),
	    NCIP_USER_ACTIVE);
	assert_int_equal(m->nloans, 4);
	for (i = 0; i < m->nloans; i++) {
		assert_true(m->loans[i].date_due.set);
		if (strcmp(m->loans[i].item_id.value, "31000000004") == 0) {
			assert_string_equal(m->loans[i].title, "Dune");
			assert_true(m->loans[i].date_due.t > time(NULL));
			seen = 1;
		}
	}
	assert_true(seen);
	assert_int_equal(m->naccounts, 1);
	assert_int_equal(m->accounts[0].balance.value, 0);
	ncip_msg_free(m);
}

static void
test_lookup_user_by_user_id_without_pin(void **state)
{
	struct ncip_msg	*rq = rq_new(NCIP_LOOKUP_USER), *m;

	rq_user(rq, "21000000002");
	m = tx(rq);
	assert_ok(m);
	assert_string_equal(m->user_id.value, "21000000002");
	assert_false(m->user.present);
	ncip_msg_free(m);
}

static void
test_lookup_user_wrong_pin_fails_authentication(void **state)
{
	struct ncip_msg	*m;
	char		*raw;
	struct ncip_msg	*rq = rq_new(NCIP_LOOKUP_USER);

	rq_auth(rq, "21000000001", "9999");
	m = tx_raw(rq, &raw);
	assert_problem(m, NCIP_PT_USER_AUTH_FAILED);
	assert_null(strstr(raw, "9999"));
	assert_null(strstr(raw, "Alvarez"));
	free(raw);
	ncip_msg_free(m);
}

static void
test_lookup_user_unknown_user(void **state)
{
	struct ncip_msg	*m;

	m = lookup_user("29999999999", "1234");
	assert_problem(m, NCIP_PT_UNKNOWN_USER);
	ncip_msg_free(m);
}

static void
test_lookup_user_fees_and_blocks(void **state)
{
	struct ncip_msg	*m;
	size_t		 i;
	long long	 sum = 0;

	m = lookup_user("21000000005", "5151");
	assert_ok(m);
	assert_string_equal(privilege_status(m, "STATUS"), "BLOCKED");
	assert_true(has_block(m, "Excessive Fees"));
	assert_int_equal(ncip_user_status(&m->user, time(NULL)),
	    NCIP_USER_BLOCKED);
	assert_int_equal(m->naccounts, 1);
	assert_int_equal(m->accounts[0].balance.value, 2775);
	assert_string_equal(m->accounts[0].balance.currency.value, "USD");
	assert_int_equal(m->accounts[0].ndetails, 3);
	for (i = 0; i < m->accounts[0].ndetails; i++) {
		sum += m->accounts[0].details[i].tx.amount.value;
		assert_non_null(m->accounts[0].details[i].tx.ref_id);
	}
	assert_int_equal(sum, 2775);
	assert_string_equal(m->accounts[0].details[0].tx.ref_id, "F1002");
	ncip_msg_free(m);

	/* An expired card reads blocked too. */
	m = lookup_user("21000000006", "6161");
	assert_ok(m);
	assert_string_equal(privilege_status(m, "STATUS"), "BLOCKED");
	assert_true(has_block(m, "Card Expired"));
	ncip_msg_free(m);
}

static void
test_lookup_user_requested_items(void **state)
{
	struct ncip_msg	*m;
	size_t		 i;
	int		 ready = 0, waiting = 0;

	m = lookup_user("21000000003", "3333");
	assert_ok(m);
	assert_int_equal(m->nholds, 2);
	for (i = 0; i < m->nholds; i++) {
		assert_string_equal(m->holds[i].type.value, "Hold");
		assert_string_equal(m->holds[i].pickup_location.value,
		    "EAST");
		assert_non_null(m->holds[i].request_id.value);
		if (strcmp(m->holds[i].status.value,
		    "Available For Pickup") == 0) {
			assert_string_equal(m->holds[i].item_id.value,
			    "31000000012");
			ready++;
		} else {
			assert_string_equal(m->holds[i].status.value,
			    "In Process");
			assert_string_equal(m->holds[i].title, "Piranesi");
			assert_int_equal(m->holds[i].queue_position, 1);
			waiting++;
		}
	}
	assert_int_equal(ready, 1);
	assert_int_equal(waiting, 1);
	ncip_msg_free(m);
}

static void
test_lookup_item_reports_fields(void **state)
{
	struct ncip_msg	*m;

	m = lookup_item("31000000004");
	assert_ok(m);
	assert_string_equal(m->item_id.value, "31000000004");
	assert_true(m->item.has_bib);
	assert_string_equal(m->item.bib.title, "Dune");
	assert_string_equal(m->item.bib.author, "Herbert, Frank");
	assert_string_equal(m->item.bib.item_id.value, "9780441172719");
	assert_string_equal(m->item.circ_status.value, "On Loan");
	assert_int_equal(m->item.hold_queue_length, 0);
	assert_string_equal(m->item.call_number, "SF HERBERT");
	assert_int_equal(m->item.nlocations, 2);
	assert_string_equal(m->item.locations[0].names[1].value, "MAIN");
	assert_true(m->item.date_due.set);
	ncip_msg_free(m);

	m = lookup_item("31000000011");
	assert_ok(m);
	assert_string_equal(m->item.circ_status.value, "Missing");
	assert_false(m->item.date_due.set);
	ncip_msg_free(m);

	m = lookup_item("31000000005");
	assert_int_equal(m->item.hold_queue_length, 2);
	ncip_msg_free(m);

	m = lookup_item("39999999999");
	assert_problem(m, NCIP_PT_UNKNOWN_ITEM);
	ncip_msg_free(m);
}

/* LookupItemSet: per title asked, its copies, or Unknown Item. */
static void
test_lookup_item_set_by_bibliographic_id(void **state)
{
	static const char *const ie[] = { "Circulation Status", "Location",
	    "Item Description" };
	const struct ncip_holdings	*h;
	struct ncip_msg			*rq, *m;
	struct ncip_bibid		*b;

	rq = rq_new(NCIP_LOOKUP_ITEM_SET);
	assert_non_null(b = ncip_msg_calloc(rq, 2, sizeof(*b)));
	b[0].value = "9780316229296";
	b[0].code.value = "ISBN";
	b[1].kind = NCIP_BIBID_RECORD;
	b[1].value = "b9999999";
	b[1].agency.value = "METRO";
	rq->bib_ids = b;
	rq->nbib_ids = 2;
	rq_codes(rq, 0, ie, sizeof(ie) / sizeof(ie[0]));
	m = tx(rq);
	assert_ok(m);
	assert_int_equal(m->nbib_infos, 2);
	assert_string_equal(m->bib_infos[0].bib.title, "The Fifth Season");
	assert_int_equal(m->bib_infos[0].nholdings, 1);
	h = &m->bib_infos[0].holdings[0];
	assert_string_equal(h->id, "METRO");
	assert_int_equal(h->ncopies, 2);
	assert_string_equal(h->copies[0].item_id.value, "31000000007");
	assert_string_equal(h->copies[0].item.circ_status.value, "On Loan");
	assert_string_equal(h->copies[0].item.call_number, "SF JEMISIN");
	/* The collection as the permanent location's third level. */
	assert_int_equal(h->copies[0].item.locations[0].nnames, 3);
	assert_string_equal(h->copies[0].item.locations[0].names[2].value,
	    "ADULT-FIC");
	assert_string_equal(h->copies[1].item.locations[0].names[1].value,
	    "EAST");
	assert_int_equal(m->bib_infos[1].nholdings, 0);
	assert_int_equal(m->bib_infos[1].nproblems, 1);
	assert_int_equal(m->bib_infos[1].problems[0].kind,
	    NCIP_PT_UNKNOWN_ITEM);
	ncip_msg_free(m);

	/* By ItemId this ILS does not look sets up. */
	rq = rq_new(NCIP_LOOKUP_ITEM_SET);
	rq_item(rq, "31000000007");
	m = tx(rq);
	assert_problem(m, NCIP_PT_UNSUPPORTED_SERVICE);
	ncip_msg_free(m);
}

/* --- version 2: circulation ------------------------------------------- */

static void
test_checkout_shows_in_sip2(void **state)
{
	struct ncip_msg	*m;
	struct sip2_msg	*s;
	const char	*r;
	time_t		 due, sdue;
	int		 fd;

	m = checkout("21000000001", "31000000001");
	assert_ok(m);
	assert_string_equal(m->item_id.value, "31000000001");
	assert_string_equal(m->user_id.value, "21000000001");
	assert_true(m->date_due.set);
	due = m->date_due.t;
	assert_true(due > time(NULL) + 20 * 86400);
	ncip_msg_free(m);

	r = ctl("item 31000000001");
	assert_has(r, "status=04");
	assert_has(r, "patron=21000000001");
	fd = sip2_session("9300CNcirclink|COmetro-ils-pw|CPMAIN|\r");
	s = sip2_tx(fd, "17" D "AOMETRO|AB31000000001|");
	assert_string_equal(sip2_msg_fixed(s, SIP2_FX_CIRC_STATUS), "04");
	assert_int_equal(sip2_date_parse(sip2_msg_field(s, "AH"), &sdue), 0);
	assert_true(sdue == due);
	sip2_msg_free(s);
	close(fd);

	/* A retry is answered alike and renews nothing. */
	m = checkout("21000000001", "31000000001");
	assert_ok(m);
	assert_true(m->date_due.t == due);
	ncip_msg_free(m);
	assert_has(ctl("item 31000000001"), "renewals=0");
	assert_has(ctl("patron 21000000001"), "loans=5");
}

static void
test_checkout_problems(void **state)
{
	struct ncip_msg	*m;

	m = checkout("29999999999", "31000000001");
	assert_problem(m, NCIP_PT_UNKNOWN_USER);
	ncip_msg_free(m);
	m = checkout("21000000001", "39999999999");
	assert_problem(m, NCIP_PT_UNKNOWN_ITEM);
	ncip_msg_free(m);
	/* Owes more than the fee limit. */
	m = checkout("21000000005", "31000000001");
	assert_problem(m, NCIP_PT_USER_BLOCKED);
	ncip_msg_free(m);
	/* An expired card. */
	m = checkout("21000000006", "31000000001");
	assert_problem(m, NCIP_PT_USER_BLOCKED);
	ncip_msg_free(m);
	/* Missing. */
	m = checkout("21000000001", "31000000011");
	assert_problem(m, NCIP_PT_ITEM_NOT_CIRCULATE);
	ncip_msg_free(m);
	/* On loan to someone else; on the hold shelf for someone else. */
	m = checkout("21000000002", "31000000004");
	assert_problem(m, NCIP_PT_USER_INELIGIBLE_CHECKOUT);
	ncip_msg_free(m);
	m = checkout("21000000001", "31000000012");
	assert_problem(m, NCIP_PT_USER_INELIGIBLE_CHECKOUT);
	ncip_msg_free(m);
	assert_has(ctl("item 31000000001"), "status=03");
	assert_has(ctl("item 31000000012"), "status=08");
}

static void
test_checkout_by_authentication_checks_pin(void **state)
{
	struct ncip_msg	*rq, *m;

	rq = rq_new(NCIP_CHECKOUT_ITEM);
	rq_auth(rq, "21000000002", "0000");
	rq_item(rq, "31000000001");
	m = tx(rq);
	assert_problem(m, NCIP_PT_USER_AUTH_FAILED);
	ncip_msg_free(m);
	assert_has(ctl("item 31000000001"), "status=03");

	rq = rq_new(NCIP_CHECKOUT_ITEM);
	rq_auth(rq, "21000000002", "2222");
	rq_item(rq, "31000000001");
	m = tx(rq);
	assert_ok(m);
	assert_string_equal(m->user_id.value, "21000000002");
	ncip_msg_free(m);
	assert_has(ctl("item 31000000001"), "patron=21000000002");
}

static void
test_checkin_routes_to_waiting_hold(void **state)
{
	struct ncip_msg	*m;
	const char	*r;

	/* Piranesi: on loan to 04; 03 waits for it at EAST. */
	m = checkin("31000000005");
	assert_ok(m);
	assert_string_equal(m->user_id.value, "21000000004");
	assert_true(m->routing.present);
	assert_int_equal(m->routing.destination.nnames, 2);
	assert_string_equal(m->routing.destination.names[1].value, "EAST");
	assert_string_equal(m->routing.request_type.value, "Hold");
	assert_string_equal(m->routing.user_id.value, "21000000003");
	ncip_msg_free(m);
	r = ctl("item 31000000005");
	assert_has(r, "status=10");
	assert_has(r, "destination=EAST");
	assert_has(r, "held-for=21000000003");
	assert_has(ctl("patron 21000000004"), "loans=0");
}

static void
test_checkin_of_item_not_on_loan_succeeds(void **state)
{
	struct ncip_msg	*m;

	m = checkin("31000000001");
	assert_ok(m);
	assert_string_equal(m->item_id.value, "31000000001");
	assert_null(m->user_id.value);
	assert_false(m->routing.present);
	ncip_msg_free(m);
	assert_has(ctl("item 31000000001"), "status=03");

	m = checkin("39999999999");
	assert_problem(m, NCIP_PT_UNKNOWN_ITEM);
	ncip_msg_free(m);
}

static void
test_renew_until_the_limit(void **state)
{
	struct ncip_msg	*m;

	/* The Fifth Season was renewed once; ADULT allows two. */
	m = renew("21000000001", "31000000007");
	assert_ok(m);
	assert_true(m->date_due.set);
	assert_int_equal(m->renewal_count, 2);
	ncip_msg_free(m);
	assert_has(ctl("item 31000000007"), "renewals=2");
	m = renew("21000000001", "31000000007");
	assert_problem(m, NCIP_PT_MAX_RENEWALS);
	ncip_msg_free(m);
	/* Someone else waits for Piranesi. */
	m = renew("21000000004", "31000000005");
	assert_problem_other(m, "User Ineligible To Renew This Item");
	ncip_msg_free(m);
	m = renew("21000000002", "31000000004");
	assert_problem(m, NCIP_PT_ITEM_NOT_CHECKED_OUT);
	ncip_msg_free(m);
}

/* --- version 2: requests ---------------------------------------------- */

static void
test_request_item_by_item_id(void **state)
{
	struct ncip_msg	*m;
	struct sip2_msg	*s;
	int		 fd;

	m = request_item("21000000009", "31000000014", NULL, 0, NULL, "EAST");
	assert_ok(m);
	assert_non_null(m->request_id.value);
	assert_string_equal(m->request_id.agency.value, "METRO");
	assert_string_equal(m->item_id.value, "31000000014");
	assert_string_equal(m->user_id.value, "21000000009");
	assert_string_equal(m->request_type.value, "Hold");
	ncip_msg_free(m);
	assert_has(ctl("item 31000000014"), "queue=21000000009");
	assert_has(ctl("patron 21000000009"), "holds=1");

	/* SIP2 sees the hold among the patron's unavailable holds. */
	fd = sip2_session("9300CNcirclink|COmetro-ils-pw|CPMAIN|\r");
	s = sip2_tx(fd, "63001" D "     Y    AOMETRO|AA21000000009|AD9191|");
	assert_string_equal(sip2_msg_field(s, "CD"), "31000000014");
	sip2_msg_free(s);
	close(fd);
}

static void
test_request_item_by_isbn_and_record_id(void **state)
{
	struct ncip_msg	*m;
	size_t		 i;
	int		 dune = 0, station = 0;

	m = request_item("21000000009", NULL, "978-0-441-17271-9", 0, NULL,
	    "EAST");
	assert_ok(m);
	assert_non_null(m->request_id.value);
	assert_null(m->item_id.value);
	assert_string_equal(m->request_scope.value, "Bibliographic Item");
	ncip_msg_free(m);
	m = request_item("21000000009", NULL, "b1000006", 1, NULL, NULL);
	assert_ok(m);
	ncip_msg_free(m);
	assert_has(ctl("item 31000000004"), "queue=21000000009");
	assert_has(ctl("item 31000000006"), "queue=21000000009");

	m = lookup_user("21000000009", "9191");
	assert_int_equal(m->nholds, 2);
	for (i = 0; i < m->nholds; i++) {
		if (strcmp(m->holds[i].title, "Dune") == 0) {
			assert_string_equal(m->holds[i].pickup_location.value,
			    "EAST");
			dune = 1;
		} else if (strcmp(m->holds[i].title, "Station Eleven") == 0) {
			assert_string_equal(m->holds[i].pickup_location.value,
			    "MAIN");
			station = 1;
		}
		assert_string_equal(m->holds[i].status.value, "In Process");
	}
	assert_true(dune && station);
	ncip_msg_free(m);

	m = request_item("21000000009", NULL, "9780000000000", 0, NULL, NULL);
	assert_problem(m, NCIP_PT_UNKNOWN_ITEM);
	ncip_msg_free(m);
}

static void
test_request_item_duplicate_and_retry(void **state)
{
	struct ncip_msg	*m;
	char		 id[64];

	m = request_item("21000000009", "31000000014", NULL, 0, "CL-1",
	    NULL);
	assert_ok(m);
	snprintf(id, sizeof(id), "%s", m->request_id.value);
	ncip_msg_free(m);
	/* The same request again, after a time-out: the same answer. */
	m = request_item("21000000009", "31000000014", NULL, 0, "CL-1",
	    NULL);
	assert_ok(m);
	assert_string_equal(m->request_id.value, id);
	ncip_msg_free(m);
	assert_has(ctl("patron 21000000009"), "holds=1");
	/* A new request for what the user has on hold already. */
	m = request_item("21000000009", "31000000014", NULL, 0, "CL-2",
	    NULL);
	assert_problem(m, NCIP_PT_DUPLICATE_REQUEST);
	ncip_msg_free(m);
	/* An unknown pickup location. */
	m = request_item("21000000009", "31000000001", NULL, 0, NULL,
	    "NOWHERE");
	assert_problem(m, NCIP_PT_UNKNOWN_VALUE);
	ncip_msg_free(m);
	assert_has(ctl("patron 21000000009"), "holds=1");
}

static void
test_cancel_request_item(void **state)
{
	struct ncip_msg	*rq, *m;
	char		 id[64];

	m = request_item("21000000009", "31000000014", NULL, 0, NULL, NULL);
	assert_ok(m);
	snprintf(id, sizeof(id), "%s", m->request_id.value);
	ncip_msg_free(m);

	rq = rq_new(NCIP_CANCEL_REQUEST_ITEM);
	rq_user(rq, "21000000009");
	rq->request_id.agency.value = "METRO";
	rq->request_id.value = id;
	rq->request_type.value = "Hold";
	m = tx(rq);
	assert_ok(m);
	assert_string_equal(m->user_id.value, "21000000009");
	ncip_msg_free(m);
	assert_has(ctl("patron 21000000009"), "holds=0");

	rq = rq_new(NCIP_CANCEL_REQUEST_ITEM);
	rq_user(rq, "21000000009");
	rq->request_id.agency.value = "METRO";
	rq->request_id.value = id;
	rq->request_type.value = "Hold";
	m = tx(rq);
	assert_problem(m, NCIP_PT_UNKNOWN_REQUEST);
	ncip_msg_free(m);

	/* By item: Noah's copy on the hold shelf goes back to the shelf. */
	rq = rq_new(NCIP_CANCEL_REQUEST_ITEM);
	rq_user(rq, "21000000003");
	rq_item(rq, "31000000012");
	rq->request_type.value = "Hold";
	m = tx(rq);
	assert_ok(m);
	ncip_msg_free(m);
	assert_has(ctl("item 31000000012"), "status=03");
}

/* --- version 2: ILL and records --------------------------------------- */

static void
test_accept_item_is_idempotent(void **state)
{
	struct ncip_msg	*m;
	struct sip2_msg	*s;
	char		 counts[256];
	const char	*r;
	int		 fd;

	m = accept_item("ILL-77", "21000000002", "DIST-32000000003",
	    "Holes", "Hold For Pickup", "EAST");
	assert_ok(m);
	assert_string_equal(m->request_id.value, "ILL-77");
	assert_string_equal(m->item_id.value, "DIST-32000000003");
	ncip_msg_free(m);
	r = ctl("item DIST-32000000003");
	assert_has(r, "status=08");
	assert_has(r, "held-for=21000000002");
	assert_has(r, "location=EAST");
	snprintf(counts, sizeof(counts), "%s", ctl("counts"));
	assert_has(counts, "items=15");

	/* The retry of a request that timed out makes nothing new. */
	m = accept_item("ILL-77", "21000000002", "DIST-32000000003",
	    "Holes", "Hold For Pickup", "EAST");
	assert_ok(m);
	assert_string_equal(m->item_id.value, "DIST-32000000003");
	ncip_msg_free(m);
	assert_string_equal(ctl("counts"), counts);
	assert_has(ctl("patron 21000000002"), "ready=1");

	/* The user sees it ready (beside Piranesi); SIP2 lends it. */
	m = lookup_user("21000000002", "2222");
	assert_int_equal(m->nholds, 2);
	assert_string_equal(m->holds[1].status.value, "Available For Pickup");
	assert_string_equal(m->holds[1].title, "Holes");
	ncip_msg_free(m);
	fd = sip2_session("9300CNcirclink|COmetro-ils-pw|CPEAST|\r");
	s = sip2_tx(fd, "11YN" D D "AOMETRO|AA21000000002|AB"
	    "DIST-32000000003|AC|AD2222|");
	assert_string_equal(sip2_msg_fixed(s, SIP2_FX_OK), "1");
	sip2_msg_free(s);
	close(fd);

	/* Another request with the same item id is a duplicate. */
	m = accept_item("ILL-78", "21000000002", "DIST-32000000003",
	    "Holes", "Hold For Pickup", "EAST");
	assert_problem(m, NCIP_PT_DUPLICATE_ITEM);
	ncip_msg_free(m);
}

static void
test_accept_item_circulate_and_problems(void **state)
{
	struct ncip_msg	*m;
	const char	*r;

	m = accept_item("ILL-80", "21000000001", NULL, "The Lathe of Heaven",
	    "Circulate", NULL);
	assert_ok(m);
	assert_non_null(m->item_id.value);
	r = ctl("item T00000001");
	assert_has(r, "status=04");
	assert_has(r, "patron=21000000001");
	ncip_msg_free(m);

	m = accept_item("ILL-81", "29999999999", NULL, "X", "Hold For Pickup",
	    NULL);
	assert_problem(m, NCIP_PT_UNKNOWN_USER);
	ncip_msg_free(m);
	m = accept_item("ILL-82", "21000000001", NULL, "X", "Shred It", NULL);
	assert_problem(m, NCIP_PT_UNKNOWN_VALUE);
	ncip_msg_free(m);
	m = accept_item("ILL-83", "21000000001", NULL, "X", "Hold For Pickup",
	    "NOWHERE");
	assert_problem(m, NCIP_PT_UNKNOWN_VALUE);
	ncip_msg_free(m);
	assert_has(ctl("counts"), "items=15");
}

/* A CreateUser with a name, an address, e-mail, a PIN and an id. */
static struct ncip_msg *
create_user(const char *id, const char *surname)
{
	struct ncip_msg		*rq = rq_new(NCIP_CREATE_USER);
	struct ncip_address	*a;
	struct ncip_privilege	*p;

	rq_auth(rq, id, "8642");
	rq->user.present = 1;
	rq->user.name.present = 1;
	rq->user.name.surname = surname;
	rq->user.name.given = "Ines";
	assert_non_null(a = ncip_msg_calloc(rq, 2, sizeof(*a)));
	a[0].role.value = "Home";
	a[0].kind = NCIP_ADDR_PHYSICAL;
	a[0].street = "5 Lantern Way";
	a[0].locality = "Metro City";
	a[0].postal_code = "MC 10020";
	a[0].physical_type.value = "Postal Address";
	a[1].role.value = "Home";
	a[1].kind = NCIP_ADDR_ELECTRONIC;
	a[1].electronic_type.value = "mailto";
	a[1].electronic = "ines@example.org";
	rq->user.addresses = a;
	rq->user.naddresses = 2;
	assert_non_null(p = ncip_msg_calloc(rq, 1, sizeof(*p)));
	p->agency.value = peer.to;
	p->type.value = peer.d.version == 1 ? "STUDENT" : "JUVENILE";
	p->description = "Patron class";
	rq->user.privileges = p;
	rq->user.nprivileges = 1;
	rq->user.birth = ncip_date_at(1262304000);	/* 2010-01-01 */
	return tx(rq);
}

static void
test_create_user_then_duplicate(void **state)
{
	struct ncip_msg	*m;
	struct sip2_msg	*s;
	int		 fd;

	m = create_user("29000000042", "Moreau");
	assert_ok(m);
	assert_string_equal(m->user_id.value, "29000000042");
	ncip_msg_free(m);
	assert_has(ctl("patron 29000000042"), "loans=0");

	m = lookup_user("29000000042", "8642");
	assert_ok(m);
	assert_string_equal(m->user.name.surname, "Moreau");
	assert_string_equal(m->user.name.given, "Ines");
	assert_int_equal(m->user.naddresses, 2);
	assert_string_equal(m->user.addresses[0].unstructured,
	    "5 Lantern Way, Metro City, MC 10020");
	assert_string_equal(m->user.privileges[0].type.value, "JUVENILE");
	ncip_msg_free(m);

	fd = sip2_session("9300CNcirclink|COmetro-ils-pw|CPMAIN|\r");
	s = sip2_tx(fd, "63001" D "          AOMETRO|AA29000000042|AD8642|");
	assert_string_equal(sip2_msg_field(s, "CQ"), "Y");
	assert_string_equal(sip2_msg_field(s, "AE"), "Moreau, Ines");
	assert_string_equal(sip2_msg_field(s, "BE"), "ines@example.org");
	assert_string_equal(sip2_msg_field(s, "PB"), "20100101");
	sip2_msg_free(s);
	close(fd);

	m = create_user("29000000042", "Other");
	assert_problem(m, NCIP_PT_DUPLICATE_USER);
	ncip_msg_free(m);
	m = create_user("21000000001", "Other");
	assert_problem(m, NCIP_PT_DUPLICATE_USER);
	ncip_msg_free(m);
}

static void
test_create_user_cleans_text(void **state)
{
	struct ncip_msg	*rq, *m;
	char		 name[512];
	size_t		 i;

	/* 300 bytes: a line break, a tab, then two-byte letters. */
	for (i = 0; i < 150; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2);
	memcpy(name, "Line\none\t ", 10);
	name[300] = '\0';
	rq = rq_new(NCIP_CREATE_USER);
	rq_auth(rq, "29000000043", "1357");
	rq->user.present = 1;
	rq->user.name.present = 1;
	rq->user.name.unstructured = name;
	m = tx(rq);
	assert_ok(m);
	ncip_msg_free(m);

	rq = rq_new(NCIP_LOOKUP_USER);
	rq_auth(rq, "29000000043", "1357");
	rq_codes(rq, 1, (const char *const []){ "Name Information" }, 1);
	m = tx(rq);
	assert_ok(m);
	assert_non_null(m->user.name.unstructured);
	assert_memory_equal(m->user.name.unstructured, "Line one  \xc3\xa9",
	    12);
	/* Cut to 255 bytes, not inside a letter. */
	assert_int_equal(strlen(m->user.name.unstructured), 254);
	ncip_msg_free(m);
}

static struct ncip_msg *
update_user(const char *user, const char *del_email, const char *add_email,
    const char *add_block, const char *del_block)
{
	struct ncip_msg		*rq = rq_new(NCIP_UPDATE_USER);
	struct ncip_address	*a;
	struct ncip_block	*b;

	rq_user(rq, user);
	if (del_email != NULL || del_block != NULL)
		rq->user_delete.present = 1;
	if (add_email != NULL || add_block != NULL)
		rq->user_add.present = 1;
	if (del_email != NULL) {
		assert_non_null(a = ncip_msg_calloc(rq, 1, sizeof(*a)));
		a->role.value = "Home";
		a->kind = NCIP_ADDR_ELECTRONIC;
		a->electronic_type.value = "mailto";
		a->electronic = del_email;
		rq->user_delete.fields.addresses = a;
		rq->user_delete.fields.naddresses = 1;
	}
	if (add_email != NULL) {
		assert_non_null(a = ncip_msg_calloc(rq, 1, sizeof(*a)));
		a->role.value = "Home";
		a->kind = NCIP_ADDR_ELECTRONIC;
		a->electronic_type.value = "mailto";
		a->electronic = add_email;
		rq->user_add.fields.addresses = a;
		rq->user_add.fields.naddresses = 1;
	}
	if (del_block != NULL) {
		assert_non_null(b = ncip_msg_calloc(rq, 1, sizeof(*b)));
		b->agency.value = peer.to;
		b->type.value = del_block;
		rq->user_delete.fields.blocks = b;
		rq->user_delete.fields.nblocks = 1;
	}
	if (add_block != NULL) {
		assert_non_null(b = ncip_msg_calloc(rq, 1, sizeof(*b)));
		b->agency.value = peer.to;
		b->type.value = add_block;
		rq->user_add.fields.blocks = b;
		rq->user_add.fields.nblocks = 1;
	}
	return tx(rq);
}

static void
test_update_user_deletes_before_adds(void **state)
{
	struct ncip_msg	*m;
	struct sip2_msg	*s;
	int		 fd;

	/* The same address deleted and added: the add wins. */
	m = update_user("21000000001", "marisol.alvarez@example.org",
	    "m.alvarez@example.net", NULL, NULL);
	assert_ok(m);
	assert_string_equal(m->user_id.value, "21000000001");
	ncip_msg_free(m);
	m = lookup_user("21000000001", "1111");
	assert_string_equal(m->user.addresses[1].electronic,
	    "m.alvarez@example.net");
	ncip_msg_free(m);

	m = update_user("21000000001", NULL, NULL, "Card Lost", NULL);
	assert_ok(m);
	ncip_msg_free(m);
	m = lookup_user("21000000001", "1111");
	assert_string_equal(privilege_status(m, "STATUS"), "BLOCKED");
	assert_true(has_block(m, "Card Lost"));
	ncip_msg_free(m);
	fd = sip2_session("9300CNcirclink|COmetro-ils-pw|CPMAIN|\r");
	s = sip2_tx(fd, "23001" D "AOMETRO|AA21000000001|AC|AD1111|");
	assert_int_equal(sip2_msg_fixed(s, SIP2_FX_PATRON_STATUS)[4], 'Y');
	sip2_msg_free(s);
	close(fd);
	m = checkout("21000000001", "31000000001");
	assert_problem(m, NCIP_PT_USER_BLOCKED);
	ncip_msg_free(m);

	m = update_user("21000000001", NULL, NULL, NULL, "card-lost");
	assert_ok(m);
	ncip_msg_free(m);
	m = lookup_user("21000000001", "1111");
	assert_string_equal(privilege_status(m, "STATUS"), "ACTIVE");
	ncip_msg_free(m);

	/* A block of the ILS's own naming, then lifted. */
	m = update_user("21000000002", NULL, NULL, "Library Use Only", NULL);
	assert_ok(m);
	ncip_msg_free(m);
	assert_has(ctl("patron 21000000002"), "blocked=yes");
	m = update_user("21000000002", NULL, NULL, NULL, "Library Use Only");
	assert_ok(m);
	ncip_msg_free(m);
	assert_has(ctl("patron 21000000002"), "blocked=no");
}

static void
test_delete_item(void **state)
{
	struct ncip_msg	*m;
	struct sip2_msg	*s;
	int		 fd;

	m = delete_item("31000000002");
	assert_ok(m);
	assert_string_equal(m->item_id.value, "31000000002");
	ncip_msg_free(m);
	assert_string_equal(ctl("item 31000000002"), "error unknown item");
	fd = sip2_session("9300CNcirclink|COmetro-ils-pw|CPMAIN|\r");
	s = sip2_tx(fd, "17" D "AOMETRO|AB31000000002|");
	assert_string_equal(sip2_msg_fixed(s, SIP2_FX_CIRC_STATUS), "01");
	sip2_msg_free(s);
	close(fd);

	m = delete_item("31000000002");
	assert_problem(m, NCIP_PT_UNKNOWN_ITEM);
	ncip_msg_free(m);
	/* Not while it is on loan. */
	m = delete_item("31000000004");
	assert_problem_other(m, "Item Checked Out");
	ncip_msg_free(m);
	assert_has(ctl("item 31000000004"), "status=04");
	/* A copy with a hold on it takes the hold along. */
	m = delete_item("31000000012");
	assert_ok(m);
	ncip_msg_free(m);
	assert_has(ctl("patron 21000000003"), "holds=1");
}

/* --- version 1: the district ------------------------------------------ */

static void
test_v1_lookup_user_in_version_1(void **state)
{
	struct ncip_msg	*m;
	char		*raw;
	struct ncip_msg	*rq = rq_new(NCIP_LOOKUP_USER);
	static const char *const ue[] = { "Name Information",
	    "User Privilege", "Visible User Id" };

	rq_auth(rq, "22000000001", "4444");
	rq_codes(rq, 1, ue, 3);
	rq->loans_desired = 1;
	rq->holds_desired = 1;
	rq->account_desired = 1;
	m = tx_raw(rq, &raw);
	assert_ok(m);
	assert_int_equal(m->dialect.version, 1);
	assert_string_equal(m->version_str, NCIP_V1_0);
	assert_string_equal(m->user_id.value, "22000000001");
	assert_string_equal(m->user_id.agency.value, "DISTRICT");
	assert_int_equal(m->nloans, 2);
	assert_int_equal(m->accounts[0].balance.value, 100);
	assert_string_equal(m->user.name.surname, "Haddad");
	assert_string_equal(m->user.user_ids[0].value, "22000000001");
	/* Version 1's shapes: unique ids, Scheme and Value children. */
	assert_non_null(strstr(raw, "<!DOCTYPE NCIPMessage"));
	assert_non_null(strstr(raw, "<UniqueUserId><UniqueAgencyId><Scheme>"
	    "</Scheme><Value>DISTRICT</Value></UniqueAgencyId>"));
	assert_non_null(strstr(raw, "<UserTransaction>"));
	assert_non_null(strstr(raw, "<VisibleUserId>"));
	assert_null(strstr(raw, "xmlns"));
	assert_null(strstr(raw, "4444"));
	free(raw);
	ncip_msg_free(m);
}

static void
test_v1_needs_the_token(void **state)
{
	struct ncip_msg	*rq, *m;
	struct hresp	 r;
	char		*bytes;
	size_t		 len;

	rq = rq_new(NCIP_LOOKUP_USER);
	rq_user(rq, "22000000002");
	bytes = rq_bytes(rq, &len);
	ncip_msg_free(rq);
	r = post("/ncip", bytes, len);
	assert_int_equal(r.status, 403);
	m = answer_parse(r.body, r.len);
	assert_problem(m, NCIP_PT_AGENCY_AUTH_FAILED);
	assert_int_equal(m->dialect.version, 1);
	ncip_msg_free(m);
	free(r.body);
	r = post("/ncip/district-ncip-tokenX", bytes, len);
	assert_int_equal(r.status, 403);
	free(r.body);
	/* As a query parameter too. */
	r = post("/ncip?token=district-ncip-token", bytes, len);
	assert_int_equal(r.status, 200);
	m = answer_parse(r.body, r.len);
	assert_ok(m);
	ncip_msg_free(m);
	free(r.body);
	free(bytes);
}

static void
test_v1_refuses_version_2(void **state)
{
	struct ncip_msg	*rq, *m;

	ncip_dialect_default(&peer.d, 2);
	rq = rq_new(NCIP_LOOKUP_USER);
	rq_user(rq, "22000000002");
	m = tx(rq);
	assert_problem(m, NCIP_PT_INVALID_MESSAGE_SYNTAX);
	assert_int_equal(m->dialect.version, 1);
	ncip_msg_free(m);

	/* LookupVersion is answered in the version it came in. */
	m = tx(rq_new(NCIP_LOOKUP_VERSION));
	assert_int_equal(m->dialect.version, 2);
	assert_int_equal(m->nversions, 1);
	assert_string_equal(m->versions[0], NCIP_V1_0);
	ncip_msg_free(m);
}

static void
test_v1_circulation(void **state)
{
	struct ncip_msg	*m;
	struct sip2_msg	*s;
	int		 fd;

	m = checkout("22000000009", "32000000001");
	assert_ok(m);
	assert_true(m->date_due.set);
	ncip_msg_free(m);
	assert_has(ctl("item 32000000001"), "patron=22000000009");
	m = renew("22000000009", "32000000001");
	assert_ok(m);
	assert_int_equal(m->renewal_count, 1);
	ncip_msg_free(m);
	fd = sip2_session("9300CNcirclink|COdistrict-ils-pw|\r");
	s = sip2_tx(fd, "17" D "AODISTRICT|AB32000000001|");
	assert_string_equal(sip2_msg_fixed(s, SIP2_FX_CIRC_STATUS), "04");
	sip2_msg_free(s);
	m = checkin("32000000001");
	assert_ok(m);
	assert_string_equal(m->user_id.value, "22000000009");
	ncip_msg_free(m);
	s = sip2_tx(fd, "17" D "AODISTRICT|AB32000000001|");
	assert_string_equal(sip2_msg_fixed(s, SIP2_FX_CIRC_STATUS), "03");
	sip2_msg_free(s);
	close(fd);

	/* A lost card blocks checkouts. */
	m = checkout("22000000004", "32000000002");
	assert_problem(m, NCIP_PT_USER_BLOCKED);
	ncip_msg_free(m);
	m = lookup_item("32000000002");
	assert_ok(m);
	assert_string_equal(m->item.circ_status.value, "Available On Shelf");
	assert_string_equal(m->item.bib.title, "Charlotte's Web");
	assert_false(m->item.date_due.set);	/* not in version 1 */
	ncip_msg_free(m);
}

static void
test_v1_request_and_cancel(void **state)
{
	struct ncip_msg	*rq, *m;
	char		 id[64];

	m = request_item("22000000009", NULL, "9780440414803", 0, NULL,
	    "LINCOLN");
	assert_ok(m);
	assert_non_null(m->request_id.value);
	snprintf(id, sizeof(id), "%s", m->request_id.value);
	ncip_msg_free(m);
	assert_has(ctl("item 32000000003"), "queue=22000000009");

	rq = rq_new(NCIP_CANCEL_REQUEST_ITEM);
	rq_user(rq, "22000000009");
	rq->request_id.agency.value = "DISTRICT";
	rq->request_id.value = id;
	rq->request_type.value = "Hold";
	m = tx(rq);
	assert_ok(m);
	ncip_msg_free(m);
	assert_has(ctl("item 32000000003"), "queue=-");
}

static void
test_v1_accept_item_is_idempotent(void **state)
{
	struct ncip_msg	*m;
	char		 counts[256];

	m = accept_item("M-9001", "22000000002", "METRO-31000000013",
	    "Braiding Sweetgrass", "Hold For Pickup", "LINCOLN");
	assert_ok(m);
	assert_string_equal(m->item_id.value, "METRO-31000000013");
	ncip_msg_free(m);
	snprintf(counts, sizeof(counts), "%s", ctl("counts"));
	m = accept_item("M-9001", "22000000002", "METRO-31000000013",
	    "Braiding Sweetgrass", "Hold For Pickup", "LINCOLN");
	assert_ok(m);
	ncip_msg_free(m);
	assert_string_equal(ctl("counts"), counts);
	assert_has(ctl("item METRO-31000000013"), "status=08");

	/* Checked in after pickup and return, then deleted: gone. */
	m = checkout("22000000002", "METRO-31000000013");
	assert_ok(m);
	ncip_msg_free(m);
	m = checkin("METRO-31000000013");
	assert_ok(m);
	ncip_msg_free(m);
	m = delete_item("METRO-31000000013");
	assert_ok(m);
	ncip_msg_free(m);
	/* A late retry of the AcceptItem does not bring it back. */
	m = accept_item("M-9001", "22000000002", "METRO-31000000013",
	    "Braiding Sweetgrass", "Hold For Pickup", "LINCOLN");
	assert_problem(m, NCIP_PT_REQUEST_PROCESSED);
	ncip_msg_free(m);
	assert_string_equal(ctl("item METRO-31000000013"),
	    "error unknown item");
}

static void
test_v1_create_and_update_user(void **state)
{
	struct ncip_msg	*m;

	m = create_user("22000000077", "Okafor");
	assert_ok(m);
	ncip_msg_free(m);
	m = update_user("22000000077", NULL, "okafor@example.org",
	    "Hold Denied", NULL);
	assert_ok(m);
	ncip_msg_free(m);
	m = request_item("22000000077", "32000000002", NULL, 0, NULL, NULL);
	assert_problem(m, NCIP_PT_USER_INELIGIBLE_REQUEST);
	ncip_msg_free(m);
	m = lookup_user("22000000077", "8642");
	assert_ok(m);
	assert_true(has_block(m, "Hold Denied"));
	assert_string_equal(m->user.privileges[0].type.value, "STUDENT");
	ncip_msg_free(m);
}

/* --- dialects --------------------------------------------------------- */

static void
test_any_request_dialect_is_read(void **state)
{
	static const enum ncip_ns_style styles[] = {
		NCIP_NSS_DEFAULT, NCIP_NSS_PREFIX, NCIP_NSS_NONE
	};
	struct ncip_msg	*rq, *m;
	struct hresp	 r;
	char		*bytes, *v;
	size_t		 len, vlen, i, q;

	rq = rq_new(NCIP_LOOKUP_USER);
	rq_auth(rq, "21000000002", "2222");
	bytes = rq_bytes(rq, &len);
	ncip_msg_free(rq);
	for (i = 0; i < 3; i++) {
		for (q = 0; q < 2; q++) {
			v = util_variant(bytes, len, styles[i], (int)q, &vlen);
			r = post("/", v, vlen);
			assert_int_equal(r.status, 200);
			m = answer_parse(r.body, r.len);
			assert_ok(m);
			assert_string_equal(m->user_id.value, "21000000002");
			/* Metro answers in its own style whatever came. */
			assert_int_equal(m->dialect.ns, NCIP_NSS_DEFAULT);
			ncip_msg_free(m);
			free(r.body);
			free(v);
		}
	}
	free(bytes);
}

static const char small_ils[] =
    "institution SMALL \"Small Library\"\n"
    "ncip version=2.0 namespace=prefix attributes=plain agency=SMALL\n"
    "\ttoken=first-token,second-token agency-auth=s3cret\n"
    "location A \"Branch A\"\n"
    "location B \"Branch B\"\n"
    "class TINY checkout-limit=1 renewals=0\n"
    "patron 1001 pin=1234 name=\"Test, Una\" class=TINY home=A\n"
    "item 2001 title=\"First\" home=A\n"
    "item 2002 title=\"Second\" home=A\n"
    "item 2003 title=\"Third\" home=B location=A\n";

static void
small_setup_peer(void)
{
	peer_metro();
	peer.path = "/x/second-token/ncip";
	peer.to = "SMALL";
	peer.d.version_str = NCIP_V2_01;
}

static struct ncip_msg *
small_tx(struct ncip_msg *rq, const char *auth)
{
	rq->header.from_agency_auth = auth;
	return tx(rq);
}

static void
test_data_file_dialect_and_auth(void **state)
{
	struct ncip_msg	*rq, *m;
	char		*raw;

	small_setup_peer();
	sim_start(write_data(small_ils), (const char *)NULL);

	rq = rq_new(NCIP_LOOKUP_USER);
	rq_user(rq, "1001");
	rq->header.from_agency_auth = "s3cret";
	m = tx_raw(rq, &raw);
	assert_ok(m);
	/* Its own namespace style, the request's version string. */
	assert_int_equal(m->dialect.ns, NCIP_NSS_PREFIX);
	assert_int_equal(m->dialect.qualified_attrs, 0);
	assert_string_equal(m->version_str, NCIP_V2_01);
	assert_non_null(strstr(raw, "<ns1:NCIPMessage"));
	free(raw);
	ncip_msg_free(m);

	rq = rq_new(NCIP_LOOKUP_USER);
	rq_user(rq, "1001");
	m = small_tx(rq, "wrong");
	assert_problem(m, NCIP_PT_AGENCY_AUTH_FAILED);
	ncip_msg_free(m);
	rq = rq_new(NCIP_LOOKUP_USER);
	rq_user(rq, "1001");
	m = small_tx(rq, NULL);
	assert_problem(m, NCIP_PT_AGENCY_AUTH_FAILED);
	ncip_msg_free(m);
	rq = rq_new(NCIP_LOOKUP_USER);
	rq_user(rq, "1001");
	rq->header.to_agency.value = "ELSEWHERE";
	m = small_tx(rq, "s3cret");
	assert_problem(m, NCIP_PT_UNKNOWN_AGENCY);
	ncip_msg_free(m);
}

static void
test_checkout_limit_and_routing_home(void **state)
{
	struct ncip_msg	*rq, *m;

	small_setup_peer();
	sim_start(write_data(small_ils), (const char *)NULL);
	rq = rq_new(NCIP_CHECKOUT_ITEM);
	rq_user(rq, "1001");
	rq_item(rq, "2001");
	m = small_tx(rq, "s3cret");
	assert_ok(m);
	ncip_msg_free(m);
	rq = rq_new(NCIP_CHECKOUT_ITEM);
	rq_user(rq, "1001");
	rq_item(rq, "2002");
	m = small_tx(rq, "s3cret");
	assert_problem(m, NCIP_PT_MAX_CHECKOUTS);
	ncip_msg_free(m);
	rq = rq_new(NCIP_RENEW_ITEM);
	rq_user(rq, "1001");
	rq_item(rq, "2001");
	m = small_tx(rq, "s3cret");
	assert_problem(m, NCIP_PT_MAX_RENEWALS);
	ncip_msg_free(m);

	/* At branch A but belonging to B: sent home. */
	rq = rq_new(NCIP_CHECKIN_ITEM);
	rq_item(rq, "2003");
	m = small_tx(rq, "s3cret");
	assert_ok(m);
	assert_true(m->routing.present);
	assert_string_equal(m->routing.destination.names[1].value, "B");
	assert_null(m->routing.request_type.value);
	ncip_msg_free(m);
	assert_has(ctl("item 2003"), "destination=B");
}

/* --- faults, hostile input, transport --------------------------------- */

static char *
lookup_version_bytes(size_t *len)
{
	struct ncip_msg	*rq = rq_new(NCIP_LOOKUP_VERSION);
	char		*b = rq_bytes(rq, len);

	ncip_msg_free(rq);
	return b;
}

/* The simulator still answers a LookupVersion. */
static void
assert_alive(void)
{
	struct ncip_msg	*m;

	hc_close(&conn);
	m = tx(rq_new(NCIP_LOOKUP_VERSION));
	assert_int_equal(m->nversions, 3);
	ncip_msg_free(m);
}

static void
test_fault_delay_then_carries_out(void **state)
{
	struct ncip_msg	*rq, *m;
	struct hconn	 c = { .fd = -1 };
	char		*bytes;
	size_t		 len;
	double		 t0;

	assert_string_equal(ctl("delay 300"), "ok delay 300");
	t0 = now_ms();
	m = tx(rq_new(NCIP_LOOKUP_VERSION));
	assert_true(now_ms() - t0 >= 290);
	ncip_msg_free(m);

	/* The initiator gives up; the slow ILS still does the checkout. */
	rq = rq_new(NCIP_CHECKOUT_ITEM);
	rq_user(rq, "21000000001");
	rq_item(rq, "31000000001");
	bytes = rq_bytes(rq, &len);
	ncip_msg_free(rq);
	hc_open(&c, sim.ncip);
	hc_send(&c, "POST", "/ncip", bytes, len);
	free(bytes);
	usleep(50000);
	hc_close(&c);
	assert_has(ctl("item 31000000001"), "status=03");
	usleep(400000);
	assert_has(ctl("item 31000000001"), "status=04");
	assert_string_equal(ctl("normal"), "ok normal");
	assert_alive();
}

static void
test_fault_drop_closes(void **state)
{
	struct hconn	 c = { .fd = -1 };
	struct hresp	 r;
	char		*bytes;
	size_t		 len;

	bytes = lookup_version_bytes(&len);
	assert_string_equal(ctl("drop"), "ok drop");
	hc_open(&c, sim.ncip);
	hc_send(&c, "POST", "/ncip", bytes, len);
	assert_int_equal(hc_read(&c, &r, WAIT_MS), 0);
	hc_close(&c);
	free(bytes);
	assert_has(ctl("ncip-stats"), "requests=1");
	assert_string_equal(ctl("normal"), "ok normal");
	assert_alive();
}

static void
test_fault_refuse_and_reopen(void **state)
{
	int	 fd;

	assert_string_equal(ctl("refuse"), "ok refuse");
	assert_int_equal(fd = tcp_connect(sim.ncip), -1);
	assert_string_equal(ctl("normal"), "ok normal");
	assert_alive();
}

static void
test_fault_garbage_is_no_ncip(void **state)
{
	struct ncip_error	 err;
	struct hresp		 r;
	char			*bytes;
	size_t			 len;
	int			 i;

	bytes = lookup_version_bytes(&len);
	assert_string_equal(ctl("garbage"), "ok garbage");
	for (i = 0; i < 8; i++) {
		r = post("/ncip", bytes, len);
		assert_true(r.status == 200 || r.status == 500);
		assert_true(r.len > 0);
		assert_null(ncip_parse(r.body, r.len, NULL, &err));
		free(r.body);
		if (r.status == 500)
			hc_close(&conn);
	}
	free(bytes);
	assert_string_equal(ctl("normal"), "ok normal");
	assert_alive();
}

/* How many descriptors the simulator has open. */
static int
sim_fds(void)
{
	char		 path[64];
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)sim.pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void
test_fault_hang_never_answers(void **state)
{
	struct hconn	 c = { .fd = -1 };
	struct hresp	 r;
	char		*bytes;
	size_t		 len;
	double		 t0;
	int		 i, before;

	bytes = lookup_version_bytes(&len);
	assert_string_equal(ctl("hang"), "ok hang");
	before = sim_fds();
	hc_open(&c, sim.ncip);
	hc_send(&c, "POST", "/ncip", bytes, len);
	assert_int_equal(hc_read(&c, &r, 500), -1);
	hc_close(&c);
	/* Initiators that give up and come back do not pile up. */
	for (i = 0; i < 20; i++) {
		hc_open(&c, sim.ncip);
		hc_send(&c, "POST", "/ncip", bytes, len);
		hc_close(&c);
	}
	free(bytes);
	if (before > 0) {
		t0 = now_ms();
		while (sim_fds() > before && now_ms() - t0 < WAIT_MS)
			usleep(20000);
		assert_int_equal(sim_fds(), before);
	}
	assert_string_equal(ctl("normal"), "ok normal");
	assert_alive();
}

static void
test_fault_from_command_line(void **state)
{
	peer_metro();
	sim_start("metro.ils", "-f", "refuse", (const char *)NULL);
	assert_int_equal(tcp_connect(sim.ncip), -1);
	assert_string_equal(ctl("normal"), "ok normal");
	assert_alive();
}

/* Post bytes; the answer must be HTTP 200 and an NCIP Problem. */
static void
assert_refused(const char *body, size_t len, enum ncip_problem_type kind)
{
	struct hresp	 r;
	struct ncip_msg	*m;

	r = post("/ncip", body, len);
	if (r.status != 200)
		fail_msg("HTTP %d for %.60s", r.status, body);
	m = answer_parse(r.body, r.len);
	assert_problem(m, kind);
	assert_null(strstr(r.body, "root:"));
	ncip_msg_free(m);
	free(r.body);
}

static void
test_hostile_xml_gets_a_problem(void **state)
{
	static const char	 laughs[] =
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE NCIPMessage [\n"
	    "<!ENTITY a \"aaaaaaaaaa\">\n"
	    "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
	    "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
	    "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
	    "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
	    "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n"
	    "<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">\n"
	    "<!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">\n]>\n"
	    "<NCIPMessage xmlns=\"http://www.niso.org/2008/ncip\" version="
	    "\"" NCIP_V2_02 "\"><LookupUser><UserId><UserIdentifierValue>"
	    "&h;</UserIdentifierValue></UserId></LookupUser></NCIPMessage>";
	static const char	 xxe[] =
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE NCIPMessage [\n"
	    "<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
	    "<NCIPMessage xmlns=\"http://www.niso.org/2008/ncip\" version="
	    "\"" NCIP_V2_02 "\"><LookupUser><UserId><UserIdentifierValue>"
	    "&x;</UserIdentifierValue></UserId></LookupUser></NCIPMessage>";
	static const char	 dtd[] =
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE NCIPMessage SYSTEM "
	    "\"file:///etc/passwd\">\n<NCIPMessage version=\"" NCIP_V2_02
	    "\"><LookupVersion/></NCIPMessage>";
	static const char	 answer[] =
	    "<NCIPMessage xmlns=\"http://www.niso.org/2008/ncip\" version="
	    "\"" NCIP_V2_02 "\"><LookupUserResponse><UserId>"
	    "<UserIdentifierValue>1</UserIdentifierValue></UserId>"
	    "</LookupUserResponse></NCIPMessage>";
	static const char	 unknown[] =
	    "<NCIPMessage xmlns=\"http://www.niso.org/2008/ncip\" version="
	    "\"" NCIP_V2_02 "\"><LaunchRocket/></NCIPMessage>";
	static const char	 missing[] =
	    "<NCIPMessage xmlns=\"http://www.niso.org/2008/ncip\" version="
	    "\"" NCIP_V2_02 "\"><CheckOutItem><UserId><UserIdentifierValue>"
	    "21000000001</UserIdentifierValue></UserId></CheckOutItem>"
	    "</NCIPMessage>";
	struct hresp		 r;
	char			*deep, *big, *p;
	size_t			 i, n;

	assert_refused(laughs, sizeof(laughs) - 1,
	    NCIP_PT_INVALID_MESSAGE_SYNTAX);
	assert_refused(xxe, sizeof(xxe) - 1, NCIP_PT_INVALID_MESSAGE_SYNTAX);
	assert_refused(dtd, sizeof(dtd) - 1, NCIP_PT_INVALID_MESSAGE_SYNTAX);
	assert_refused("this is not XML", 15, NCIP_PT_INVALID_MESSAGE_SYNTAX);
	assert_refused("<NCIPMessage><LookupUser>", 25,
	    NCIP_PT_INVALID_MESSAGE_SYNTAX);
	assert_refused("<html><body/></html>", 20,
	    NCIP_PT_INVALID_MESSAGE_SYNTAX);
	assert_refused("\xff\xfe<\x00N\x00", 6, NCIP_PT_INVALID_MESSAGE_SYNTAX);
	assert_refused("", 0, NCIP_PT_INVALID_MESSAGE_SYNTAX);
	assert_refused(answer, sizeof(answer) - 1,
	    NCIP_PT_UNSUPPORTED_SERVICE);
	assert_refused(unknown, sizeof(unknown) - 1, NCIP_PT_UNKNOWN_SERVICE);
	assert_refused(missing, sizeof(missing) - 1,
	    NCIP_PT_NEEDED_DATA_MISSING);

	n = 5000;
	assert_non_null(deep = malloc(n * 7 + 64));
	p = deep + sprintf(deep, "<NCIPMessage>");
	for (i = 0; i < n; i++)
		p += sprintf(p, "<a>");
	for (i = 0; i < n; i++)
		p += sprintf(p, "</a>");
	p += sprintf(p, "</NCIPMessage>");
	assert_refused(deep, (size_t)(p - deep),
	    NCIP_PT_INVALID_MESSAGE_SYNTAX);
	free(deep);

	/* Over the body cap: the HTTP layer refuses it. */
	n = NCIP_BODY_MAX + 4096;
	assert_non_null(big = malloc(n));
	memset(big, ' ', n);
	memcpy(big, "<NCIPMessage>", 13);
	hc_close(&conn);
	r = post("/ncip", big, n);
	assert_int_equal(r.status, 413);
	free(r.body);
	free(big);
	hc_close(&conn);

	/* Not a POST. */
	hc_open(&conn, sim.ncip);
	hc_send(&conn, "GET", "/ncip", NULL, 0);
	assert_int_equal(hc_read(&conn, &r, WAIT_MS), 1);
	assert_int_equal(r.status, 405);
	free(r.body);

	assert_alive();
	assert_has(ctl("ncip-stats"), "bad=11");
}

static void
test_keep_alive_serves_many(void **state)
{
	struct ncip_msg	*m;
	int		 i;

	for (i = 0; i < 50; i++) {
		m = tx(rq_new(NCIP_LOOKUP_VERSION));
		assert_int_equal(m->nversions, 3);
		ncip_msg_free(m);
	}
	assert_has(ctl("ncip-stats"), "conns=1");
	assert_has(ctl("ncip-stats"), "LookupVersion=50");
}

/* Write a throw-away self-signed certificate and key. */
static void
make_cert(const char *certpath, const char *keypath)
{
	EVP_PKEY	*pkey;
	X509		*x;
	FILE		*fp;

	assert_non_null(pkey = EVP_EC_gen("P-256"));
	assert_non_null(x = X509_new());
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pkey);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	assert_true(X509_sign(x, pkey, EVP_sha256()) > 0);
	assert_non_null(fp = fopen(certpath, "w"));
	assert_true(PEM_write_X509(fp, x) == 1);
	fclose(fp);
	assert_non_null(fp = fopen(keypath, "w"));
	assert_true(PEM_write_PrivateKey(fp, pkey, NULL, NULL, 0, NULL,
	    NULL) == 1);
	fclose(fp);
	X509_free(x);
	EVP_PKEY_free(pkey);
}

static void
test_https_listener_answers(void **state)
{
	struct ncip_msg	*rq, *m;
	struct hresp	 r;
	SSL_CTX		*ctx;
	char		 cert[128], key[128], *bytes;
	size_t		 len;
	int		 i;

	snprintf(certdir, sizeof(certdir), "/tmp/test_ilssim_ncip_tls.XXXXXX");
	assert_non_null(mkdtemp(certdir));
	snprintf(cert, sizeof(cert), "%s/cert.pem", certdir);
	snprintf(key, sizeof(key), "%s/key.pem", certdir);
	make_cert(cert, key);
	peer_district();
	sim_start("district.ils", "-N", "127.0.0.1:0", "-c", cert, "-k", key,
	    (const char *)NULL);
	assert_true(sim.ncips > 0);

	assert_non_null(ctx = SSL_CTX_new(TLS_client_method()));
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	hc_open(&conn, sim.ncips);
	conn.ssl = SSL_new(ctx);
	SSL_set_fd(conn.ssl, conn.fd);
	assert_int_equal(SSL_connect(conn.ssl), 1);
	for (i = 0; i < 3; i++) {
		rq = rq_new(NCIP_LOOKUP_USER);
		rq_auth(rq, "22000000004", "7777");
		bytes = rq_bytes(rq, &len);
		ncip_msg_free(rq);
		r = post(DISTRICT_PATH, bytes, len);
		free(bytes);
		assert_int_equal(r.status, 200);
		m = answer_parse(r.body, r.len);
		assert_ok(m);
		assert_string_equal(m->user_id.value, "22000000004");
		ncip_msg_free(m);
		free(r.body);
	}
	hc_close(&conn);
	SSL_CTX_free(ctx);
}

static void
test_reset_forgets_ncip_changes(void **state)
{
	struct ncip_msg	*m;

	m = accept_item("ILL-90", "21000000002", "DIST-1", "Holes",
	    "Hold For Pickup", NULL);
	assert_ok(m);
	ncip_msg_free(m);
	assert_string_equal(ctl("reset"), "ok reset");
	assert_string_equal(ctl("item DIST-1"), "error unknown item");
	assert_has(ctl("counts"), "accepted=0");
	/* The same request id is new again after a reset. */
	m = accept_item("ILL-90", "21000000002", "DIST-1", "Holes",
	    "Hold For Pickup", NULL);
	assert_ok(m);
	ncip_msg_free(m);
	assert_has(ctl("item DIST-1"), "location=MAIN");
}

/* --- throughput ------------------------------------------------------- */

/*
 * Many requests on one keep-alive connection all get their answer.  How
 * fast is measured by make bench, never asserted here.
 */
static void
test_lookup_user_many_on_one_connection(void **state)
{
	static const char *const ue[] = { "Name Information",
	    "User Privilege", "Block Or Trap" };
	struct ncip_msg	*rq;
	struct hresp	 r;
	char		*bytes;
	size_t		 len;
	int		 i, n = 500;

	rq = rq_new(NCIP_LOOKUP_USER);
	rq_auth(rq, "21000000001", "1111");
	rq_codes(rq, 1, ue, 3);
	rq->loans_desired = 1;
	rq->holds_desired = 1;
	rq->account_desired = 1;
	bytes = rq_bytes(rq, &len);
	ncip_msg_free(rq);
	for (i = 0; i < n; i++) {
		r = post("/ncip", bytes, len);
		if (r.status != 200 || strstr(r.body, "Problem") != NULL ||
		    strstr(r.body, "LookupUserResponse") == NULL)
			fail_msg("request %d: HTTP %d", i, r.status);
		free(r.body);
	}
	free(bytes);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define M(f)	cmocka_unit_test_setup_teardown(f, metro_setup, sim_teardown)
#define V1(f)	cmocka_unit_test_setup_teardown(f, district_setup, \
		    sim_teardown)
#define OWN(f)	cmocka_unit_test_teardown(f, sim_teardown)
		M(test_lookup_version_lists_versions),
		M(test_lookup_user_reports_loans_and_details),
		M(test_lookup_user_by_user_id_without_pin),
		M(test_lookup_user_wrong_pin_fails_authentication),
		M(test_lookup_user_unknown_user),
		M(test_lookup_user_fees_and_blocks),
		M(test_lookup_user_requested_items),
		M(test_lookup_item_reports_fields),
		M(test_lookup_item_set_by_bibliographic_id),
		M(test_checkout_shows_in_sip2),
		M(test_checkout_problems),
		M(test_checkout_by_authentication_checks_pin),
		M(test_checkin_routes_to_waiting_hold),
		M(test_checkin_of_item_not_on_loan_succeeds),
		M(test_renew_until_the_limit),
		M(test_request_item_by_item_id),
		M(test_request_item_by_isbn_and_record_id),
		M(test_request_item_duplicate_and_retry),
		M(test_cancel_request_item),
		M(test_accept_item_is_idempotent),
		M(test_accept_item_circulate_and_problems),
		M(test_create_user_then_duplicate),
		M(test_create_user_cleans_text),
		M(test_update_user_deletes_before_adds),
		M(test_delete_item),
		V1(test_v1_lookup_user_in_version_1),
		V1(test_v1_needs_the_token),
		V1(test_v1_refuses_version_2),
		V1(test_v1_circulation),
		V1(test_v1_request_and_cancel),
		V1(test_v1_accept_item_is_idempotent),
		V1(test_v1_create_and_update_user),
		M(test_any_request_dialect_is_read),
		OWN(test_data_file_dialect_and_auth),
		OWN(test_checkout_limit_and_routing_home),
		M(test_fault_delay_then_carries_out),
		M(test_fault_drop_closes),
		M(test_fault_refuse_and_reopen),
		M(test_fault_garbage_is_no_ncip),
		M(test_fault_hang_never_answers),
		OWN(test_fault_from_command_line),
		M(test_hostile_xml_gets_a_problem),
		M(test_keep_alive_serves_many),
		OWN(test_https_listener_answers),
		M(test_reset_forgets_ncip_changes),
		M(test_lookup_user_many_on_one_connection),
#undef M
#undef V1
#undef OWN
	};

	return cmocka_run_group_tests_name("ilssim_ncip", tests, group_setup,
	    group_teardown);
}
