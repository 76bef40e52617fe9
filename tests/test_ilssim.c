/* SPDX-License-Identifier: ISC */
/*
 * Tests of the simulated ILS: each starts circlink-ilssim on loopback with
 * ephemeral ports, speaks SIP2 to it and checks state through its control
 * port.
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "sip2.h"

#define D	"20250101    120000"		/* a transaction date */
#define B	"                  "		/* a blank date */
#define WAIT_MS	3000
#define MSG_MAX	16384

/* A running simulator. */
struct sim {
	pid_t		 pid;
	char		 dir[64];
	int		 sip2;
	int		 tls;
	int		 control;
	int		 ctl_fd;
};

/* A SIP2 connection with what it has read but not yet returned. */
struct sconn {
	int		 fd;
	SSL		*ssl;
	char		 buf[MSG_MAX];
	size_t		 len;
};

static struct sim	 sim = { .pid = -1, .ctl_fd = -1 };
static char		 certdir[64];	/* the TLS test's, if any */
static const char	*ilssim_bin;
static const char	*data_dir;

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void
sim_stop(void)
{
	char	 path[128];
	int	 status, i;

	if (sim.ctl_fd != -1)
		close(sim.ctl_fd);
	sim.ctl_fd = -1;
	if (sim.pid > 0) {
		kill(sim.pid, SIGTERM);
		for (i = 0; i < 200; i++) {
			if (waitpid(sim.pid, &status, WNOHANG) == sim.pid)
				break;
			usleep(10000);
		}
		if (i == 200) {
			kill(sim.pid, SIGKILL);
			waitpid(sim.pid, &status, 0);
		}
	}
	sim.pid = -1;
	if (sim.dir[0] != '\0') {
		snprintf(path, sizeof(path), "%s/ports", sim.dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/log", sim.dir);
		unlink(path);
		rmdir(sim.dir);
		sim.dir[0] = '\0';
	}
	if (certdir[0] != '\0') {
		snprintf(path, sizeof(path), "%s/cert.pem", certdir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/key.pem", certdir);
		unlink(path);
		rmdir(certdir);
		certdir[0] = '\0';
	}
}

/* No simulator outlives the test program, however it ends. */
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
		else if (strcmp(kind, "tls") == 0)
			sim.tls = port;
		else if (strcmp(kind, "control") == 0)
			sim.control = port;
	}
	fclose(fp);
	return sim.sip2 > 0 && sim.control > 0 ? 0 : -1;
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

/*
 * Fail the test with the first line the simulator logged, after cleaning
 * up: a failing setup gets no teardown.
 */
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

/* Start the simulator on a data file with extra arguments (NULL-ended). */
static void
sim_start(const char *data, ...)
{
	const char	*argv[32];
	char		 file[256], ports[128], log[128];
	va_list		 ap;
	double		 start;
	int		 argc = 0, fd, status;

	snprintf(sim.dir, sizeof(sim.dir), "/tmp/test_ilssim.XXXXXX");
	assert_non_null(mkdtemp(sim.dir));
	snprintf(file, sizeof(file), "%s/%s", data_dir, data);
	snprintf(ports, sizeof(ports), "%s/ports", sim.dir);
	snprintf(log, sizeof(log), "%s/log", sim.dir);
	argv[argc++] = ilssim_bin;
	argv[argc++] = "-d";
	argv[argc++] = file;
	argv[argc++] = "-l";
	argv[argc++] = "127.0.0.1:0";
	argv[argc++] = "-C";
	argv[argc++] = "127.0.0.1:0";
	argv[argc++] = "-p";
	argv[argc++] = ports;
	va_start(ap, data);
	while (argc < 30 && (argv[argc] = va_arg(ap, const char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;

	sim.sip2 = sim.tls = sim.control = 0;
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

/* --- talking to it ---------------------------------------------------- */

static void
sc_open(struct sconn *c, int port)
{
	memset(c, 0, sizeof(*c));
	c->fd = tcp_connect(port);
	assert_true(c->fd != -1);
}

static void
sc_close(struct sconn *c)
{
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

static void	sc_send(struct sconn *, const char *, size_t);

static void
sc_sendz(struct sconn *c, const char *s)
{
	sc_send(c, s, strlen(s));
}

static void
sc_send(struct sconn *c, const char *s, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = c->ssl != NULL ? SSL_write(c->ssl, s, (int)len) :
		    send(c->fd, s, len, MSG_NOSIGNAL);
		assert_true(n > 0);
		s += n;
		len -= (size_t)n;
	}
}

/*
 * Read one message ended by CR (and an LF after it, if any) into out,
 * without its terminator.  Returns its length, 0 at end of file, -1 when
 * nothing complete arrived within timeout_ms.
 */
static int
sc_recv(struct sconn *c, char *out, size_t outlen, int timeout_ms)
{
	struct pollfd	 pfd;
	char		*cr;
	size_t		 n, skip;
	ssize_t		 r;
	double		 end = now_ms() + timeout_ms;

	for (;;) {
		if ((cr = memchr(c->buf, '\r', c->len)) != NULL) {
			n = (size_t)(cr - c->buf);
			skip = n + 1;
			if (skip < c->len && c->buf[skip] == '\n')
				skip++;
			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, c->buf, n);
			out[n] = '\0';
			memmove(c->buf, c->buf + skip, c->len - skip);
			c->len -= skip;
			return (int)n;
		}
		if (c->len == sizeof(c->buf))
			return -1;
		if (c->ssl == NULL || SSL_pending(c->ssl) == 0) {
			pfd.fd = c->fd;
			pfd.events = POLLIN;
			if (end - now_ms() <= 0 ||
			    poll(&pfd, 1, (int)(end - now_ms())) <= 0)
				return -1;
		}
		r = c->ssl != NULL ? SSL_read(c->ssl, c->buf + c->len,
		    (int)(sizeof(c->buf) - c->len)) :
		    recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (r <= 0)
			return 0;
		c->len += (size_t)r;
	}
}

/* Send a request (the CR is added) and return its answer. */
static const char *
sc_tx(struct sconn *c, const char *req)
{
	static char	 resp[MSG_MAX];

	sc_send(c, req, strlen(req));
	sc_send(c, "\r", 1);
	if (sc_recv(c, resp, sizeof(resp), WAIT_MS) <= 0)
		fail_msg("no answer to %.2s", req);
	return resp;
}

static void
sc_login(struct sconn *c)
{
	assert_string_equal(sc_tx(c,
	    "9300CNcirclink|COmetro-ils-pw|CPMAIN|"), "941");
}

/* Connect to the plain SIP2 port and log in. */
static void
sc_session(struct sconn *c)
{
	sc_open(c, sim.sip2);
	sc_login(c);
}

static struct sip2_msg *
parse(const char *resp)
{
	struct sip2_wire	 w = { SIP2_CS_UTF8, SIP2_TERM_CR, '|', 0 };
	struct sip2_msg		*m;
	enum sip2_err		 err;

	if ((m = sip2_parse(resp, strlen(resp), &w, &err)) == NULL)
		fail_msg("answer does not parse (%s): %s", sip2_strerror(err),
		    resp);
	return m;
}

/* Return a field of an answer ("" when absent is not the same: NULL). */
static const char *
field(const char *resp, const char *id)
{
	static char	 buf[8][SIP2_FIELD_MAX + 1];
	static int	 next;
	struct sip2_msg	*m = parse(resp);
	const char	*v = sip2_msg_field(m, id);
	char		*out = NULL;

	if (v != NULL) {
		out = buf[next++ % 8];
		snprintf(out, SIP2_FIELD_MAX + 1, "%s", v);
	}
	sip2_msg_free(m);
	return out;
}

static int
field_count(const char *resp, const char *want)
{
	struct sip2_msg	*m = parse(resp);
	const char	*id;
	size_t		 i;
	int		 n = 0;

	for (i = 0; i < sip2_msg_nfields(m); i++) {
		(void)sip2_msg_field_at(m, i, &id);
		if (strncmp(id, want, 2) == 0)
			n++;
	}
	sip2_msg_free(m);
	return n;
}

static const char *
fixed(const char *resp, enum sip2_fx fx)
{
	static char	 buf[4][32];
	static int	 next;
	struct sip2_msg	*m = parse(resp);
	const char	*v = sip2_msg_fixed(m, fx);
	char		*out;

	assert_non_null(v);
	out = buf[next++ % 4];
	snprintf(out, 32, "%s", v);
	sip2_msg_free(m);
	return out;
}

/* Send a control command and return its one-line answer. */
static const char *
ctl(const char *cmd)
{
	static char	 line[2048];
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
		fprintf(stderr, "test_ilssim: %s: %s (set ILSSIM)\n",
		    ilssim_bin, strerror(errno));
		return -1;
	}
	atexit(sim_atexit);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int
metro_setup(void **state)
{
	sim_start("metro.ils", (const char *)NULL);
	return 0;
}

static int
sim_teardown(void **state)
{
	sim_stop();
	return 0;
}

/* --- sessions --------------------------------------------------------- */

static void
test_login_accepts_good_account(void **state)
{
	struct sconn	 c;

	sc_open(&c, sim.sip2);
	assert_string_equal(sc_tx(&c,
	    "9300CNcirclink|COmetro-ils-pw|CPMAIN|"), "941");
	sc_close(&c);
}

static void
test_login_refuses_bad_password(void **state)
{
	struct sconn	 c;

	sc_open(&c, sim.sip2);
	assert_string_equal(sc_tx(&c,
	    "9300CNcirclink|COdistrict-ils-pw|CPMAIN|"), "940");
	assert_string_equal(sc_tx(&c, "9300CNnobody|COmetro-ils-pw|"),
	    "940");
	sc_close(&c);
}

static void
test_sc_status_answered_before_login(void **state)
{
	struct sconn	 c;
	const char	*r;

	sc_open(&c, sim.sip2);
	r = sc_tx(&c, "9900302.00");
	assert_memory_equal(r, "98YYYYYN", 8);
	assert_string_equal(field(r, "AO"), "METRO");
	assert_string_equal(field(r, "AM"), "Metro Public Library");
	assert_string_equal(field(r, "BX"), "YYYYYYYYYYYYYYYY");
	sc_close(&c);
}

static void
test_requests_before_login_refused(void **state)
{
	struct sconn	 c;
	const char	*r;

	sc_open(&c, sim.sip2);
	r = sc_tx(&c, "11YN" D B "AOMETRO|AA21000000001|AB31000000001|AC|"
	    "AD1111|");
	assert_memory_equal(r, "120", 3);
	assert_string_equal(field(r, "AF"), "Please log in");
	assert_has(ctl("item 31000000001"), "status=03");
	sc_close(&c);
}

/* --- patrons ---------------------------------------------------------- */

static void
test_patron_status_reports_pin_and_fees(void **state)
{
	struct sconn	 c;
	const char	*r;

	sc_session(&c);
	r = sc_tx(&c, "23001" D "AOMETRO|AA21000000002|AC|AD2222|");
	assert_memory_equal(r, "24              001", 18);
	assert_string_equal(field(r, "BL"), "Y");
	assert_string_equal(field(r, "CQ"), "Y");
	assert_string_equal(field(r, "BV"), "12.50");
	assert_string_equal(field(r, "BH"), "USD");
	assert_string_equal(field(r, "AE"), "Okonkwo, Daniel");

	r = sc_tx(&c, "23001" D "AOMETRO|AA21000000002|AC|AD0000|");
	assert_string_equal(field(r, "BL"), "Y");
	assert_string_equal(field(r, "CQ"), "N");

	r = sc_tx(&c, "23001" D "AOMETRO|AA29999999999|AC|AD1234|");
	assert_memory_equal(r, "24YYYY          ", 16);
	assert_string_equal(field(r, "BL"), "N");
	assert_string_equal(field(r, "CQ"), "N");
	sc_close(&c);
}

static void
test_patron_status_bits_follow_state(void **state)
{
	struct sconn	 c;
	const char	*r, *bits;

	sc_session(&c);
	/* Owes 27.75 against a 20.00 limit. */
	r = sc_tx(&c, "23001" D "AOMETRO|AA21000000005|AC|AD5151|");
	bits = fixed(r, SIP2_FX_PATRON_STATUS);
	assert_int_equal(bits[0], 'Y');		/* charge denied */
	assert_int_equal(bits[4], ' ');		/* card not lost */
	assert_int_equal(bits[11], 'Y');	/* excessive fees */
	/* An expired card denies charging too. */
	r = sc_tx(&c, "23001" D "AOMETRO|AA21000000006|AC|AD6161|");
	assert_int_equal(fixed(r, SIP2_FX_PATRON_STATUS)[0], 'Y');
	/* A patron in good standing has no bits set. */
	r = sc_tx(&c, "23001" D "AOMETRO|AA21000000001|AC|AD1111|");
	assert_string_equal(fixed(r, SIP2_FX_PATRON_STATUS),
	    "              ");
	sc_close(&c);
}

static void
test_patron_info_pages_lists(void **state)
{
	struct sconn	 c;
	const char	*r;
	char		 first[32];

	sc_session(&c);
	r = sc_tx(&c, "63001" D "  Y       AOMETRO|AA21000000001|AD1111|"
	    "BP1|BQ2|");
	assert_string_equal(fixed(r, SIP2_FX_CHARGED_COUNT), "0004");
	assert_string_equal(fixed(r, SIP2_FX_OVERDUE_COUNT), "0001");
	assert_int_equal(field_count(r, "AU"), 2);
	snprintf(first, sizeof(first), "%s", field(r, "AU"));
	assert_string_equal(field(r, "PC"), "ADULT");
	assert_string_equal(field(r, "BE"), "marisol.alvarez@example.org");
	assert_string_equal(field(r, "CB"), "0050");

	r = sc_tx(&c, "63001" D "  Y       AOMETRO|AA21000000001|AD1111|"
	    "BP3|BQ4|");
	assert_int_equal(field_count(r, "AU"), 2);
	assert_string_not_equal(field(r, "AU"), first);
	r = sc_tx(&c, "63001" D "  Y       AOMETRO|AA21000000001|AD1111|"
	    "BP4|BQ10|");
	assert_int_equal(field_count(r, "AU"), 1);
	r = sc_tx(&c, "63001" D " Y        AOMETRO|AA21000000001|AD1111|");
	assert_int_equal(field_count(r, "AT"), 1);
	assert_string_equal(field(r, "AT"), "31000000006");

	/* Fines read "<fee id> <amount> <type> <description>". */
	r = sc_tx(&c, "63001" D "   Y      AOMETRO|AA21000000002|AD2222|");
	assert_string_equal(field(r, "AV"),
	    "F1001 12.50 04 Overdue: The Overstory");
	sc_close(&c);
}

/* --- circulation ------------------------------------------------------ */

static void
test_checkout_changes_item_state(void **state)
{
	struct sconn	 c;
	const char	*r;

	sc_session(&c);
	assert_has(ctl("item 31000000001"), "status=03");
	r = sc_tx(&c, "11YN" D B "AOMETRO|AA21000000001|AB31000000001|AC|"
	    "AD1111|");
	assert_memory_equal(r, "121NNY", 6);
	assert_string_equal(field(r, "AJ"), "The Left Hand of Darkness");
	assert_int_equal(strlen(field(r, "AH")), 18);
	assert_string_equal(field(r, "CK"), "001");
	r = ctl("item 31000000001");
	assert_has(r, "status=04");
	assert_has(r, "patron=21000000001");
	assert_has(ctl("patron 21000000001"), "loans=5");
	sc_close(&c);
}

static void
test_checkout_refuses_unavailable_items(void **state)
{
	struct sconn	 c;
	const char	*r;

	sc_session(&c);
	/* On loan to someone else. */
	r = sc_tx(&c, "11YN" D B "AOMETRO|AA21000000003|AB31000000004|AC|"
	    "AD3333|");
	assert_memory_equal(r, "120", 3);
	assert_non_null(field(r, "AH"));
	assert_has(ctl("item 31000000004"), "patron=21000000001");
	/* On the hold shelf for another patron. */
	r = sc_tx(&c, "11YN" D B "AOMETRO|AA21000000001|AB31000000012|AC|"
	    "AD1111|");
	assert_memory_equal(r, "120", 3);
	/* Missing. */
	r = sc_tx(&c, "11YN" D B "AOMETRO|AA21000000001|AB31000000011|AC|"
	    "AD1111|");
	assert_memory_equal(r, "120", 3);
	/* Blocked by fees. */
	r = sc_tx(&c, "11YN" D B "AOMETRO|AA21000000005|AB31000000001|AC|"
	    "AD5151|");
	assert_memory_equal(r, "120", 3);
	/* Wrong PIN. */
	r = sc_tx(&c, "11YN" D B "AOMETRO|AA21000000001|AB31000000001|AC|"
	    "AD9999|");
	assert_memory_equal(r, "120", 3);
	assert_has(ctl("item 31000000001"), "status=03");
	sc_close(&c);
}

static void
test_checkout_fills_own_hold(void **state)
{
	struct sconn	 c;
	const char	*r;

	sc_session(&c);
	r = sc_tx(&c, "11YN" D B "AOMETRO|AA21000000003|AB31000000012|AC|"
	    "AD3333|");
	assert_memory_equal(r, "121", 3);
	assert_has(ctl("patron 21000000003"), "holds=1");
	assert_has(ctl("item 31000000012"), "held-for=-");
	sc_close(&c);
}

static void
test_checkout_again_renews(void **state)
{
	struct sconn	 c;
	const char	*r;

	sc_session(&c);
	r = sc_tx(&c, "11YN" D B "AOMETRO|AA21000000001|AB31000000004|AC|"
	    "AD1111|");
	assert_memory_equal(r, "121Y", 4);
	assert_has(ctl("item 31000000004"), "renewals=1");
	sc_close(&c);
}

static void
test_checkout_asks_for_rental_fee(void **state)
{
	struct sconn	 c;
	const char	*r;

	sc_session(&c);
	r = sc_tx(&c, "11YN" D B "AOMETRO|AA21000000001|AB31000000009|AC|"
	    "AD1111|");
	assert_memory_equal(r, "120", 3);
	assert_string_equal(field(r, "BV"), "1.00");
	assert_string_equal(field(r, "BT"), "06");
	r = sc_tx(&c, "11YN" D B "AOMETRO|AA21000000001|AB31000000009|AC|"
	    "AD1111|BOY|");
	assert_memory_equal(r, "121", 3);
	assert_has(ctl("patron 21000000001"), "owed=1.00");
	sc_close(&c);
}

static void
test_checkin_routes_to_hold_pickup(void **state)
{
	struct sconn	 c;
	const char	*r;

	sc_session(&c);
	r = sc_tx(&c, "09N" D B "APMAIN|AOMETRO|AB31000000005|AC|");
	assert_memory_equal(r, "101YNY", 6);
	assert_string_equal(field(r, "CT"), "EAST");
	assert_string_equal(field(r, "CV"), "02");
	assert_string_equal(field(r, "CY"), "21000000003");
	assert_null(field(r, "DA"));
	assert_string_equal(field(r, "AQ"), "MAIN");
	r = ctl("item 31000000005");
	assert_has(r, "status=10");
	assert_has(r, "destination=EAST");
	assert_has(r, "held-for=21000000003");

	/* Arriving at the pickup branch puts it on the hold shelf. */
	r = sc_tx(&c, "09N" D B "APEAST|AOMETRO|AB31000000005|AC|");
	assert_memory_equal(r, "101YNY", 6);
	assert_string_equal(field(r, "CT"), "EAST");
	assert_string_equal(field(r, "CV"), "01");
	assert_has(ctl("item 31000000005"), "status=08");
	sc_close(&c);
}

static void
test_checkin_routes_home(void **state)
{
	struct sconn	 c;
	const char	*r;

	sc_session(&c);
	r = sc_tx(&c, "09N" D B "APMAIN|AOMETRO|AB31000000003|AC|");
	assert_memory_equal(r, "101YNY", 6);
	assert_string_equal(field(r, "CT"), "EAST");
	assert_string_equal(field(r, "CV"), "04");
	assert_non_null(strstr(field(r, "AF"), "not checked out"));
	assert_has(ctl("item 31000000003"), "status=10");
	sc_close(&c);
}

static void
test_checkin_fines_late_return(void **state)
{
	struct sconn	 c;
	const char	*r;

	sc_session(&c);
	/* Ten days late at 0.25 a day. */
	r = sc_tx(&c, "09N" D B "APEAST|AOMETRO|AB31000000006|AC|");
	assert_memory_equal(r, "101YNN", 6);
	assert_string_equal(field(r, "AA"), "21000000001");
	assert_null(field(r, "CT"));
	r = ctl("patron 21000000001");
	assert_has(r, "owed=2.50");
	assert_has(r, "loans=3");
	assert_has(ctl("item 31000000006"), "status=03");
	sc_close(&c);
}

static void
test_checkin_unknown_item_fails(void **state)
{
	struct sconn	 c;
	const char	*r;

	sc_session(&c);
	r = sc_tx(&c, "09N" D B "APMAIN|AOMETRO|AB39999999999|AC|");
	assert_memory_equal(r, "100", 3);
	sc_close(&c);
}

static void
test_renew_stops_at_limit(void **state)
{
	struct sconn	 c;
	const char	*r;

	sc_session(&c);
	/* One renewal of two done. */
	r = sc_tx(&c, "29NN" D B "AOMETRO|AA21000000001|AD1111|"
	    "AB31000000007|");
	assert_memory_equal(r, "301Y", 4);
	r = sc_tx(&c, "29NN" D B "AOMETRO|AA21000000001|AD1111|"
	    "AB31000000007|");
	assert_memory_equal(r, "300N", 4);
	assert_string_equal(field(r, "AF"), "Renewal limit reached");
	assert_int_equal(strlen(field(r, "AH")), 18);
	assert_has(ctl("item 31000000007"), "renewals=2");
	sc_close(&c);
}

static void
test_renew_refused_when_held(void **state)
{
	struct sconn	 c;
	const char	*r;

	sc_session(&c);
	r = sc_tx(&c, "29NN" D B "AOMETRO|AA21000000004|AD4321|"
	    "AB31000000005|");
	assert_memory_equal(r, "300", 3);
	assert_string_equal(field(r, "AF"),
	    "Item is on hold for another patron");
	/* Bring one loan to its renewal limit, then renew everything. */
	r = sc_tx(&c, "29NN" D B "AOMETRO|AA21000000001|AD1111|"
	    "AB31000000007|");
	assert_memory_equal(r, "301", 3);
	r = sc_tx(&c, "65" D "AOMETRO|AA21000000001|AD1111|");
	assert_memory_equal(r, "661", 3);
	assert_int_equal(field_count(r, "BM"), 3);
	assert_int_equal(field_count(r, "BN"), 1);
	sc_close(&c);
}

static void
test_fee_paid_reduces_amount(void **state)
{
	struct sconn	 c;
	const char	*r;

	sc_session(&c);
	r = sc_tx(&c, "37" D "0400USDBV5.00|AOMETRO|AA21000000002|AD2222|"
	    "CGF1001|BKtx-1|");
	assert_memory_equal(r, "38Y", 3);
	assert_string_equal(field(r, "BK"), "tx-1");
	assert_has(ctl("patron 21000000002"), "owed=7.50");
	r = sc_tx(&c, "37" D "0400USDBV1.00|AOMETRO|AA21000000002|AD2222|"
	    "CGF9999|");
	assert_memory_equal(r, "38N", 3);
	r = sc_tx(&c, "37" D "0400USDBV8.00|AOMETRO|AA21000000002|AD2222|");
	assert_memory_equal(r, "38N", 3);
	assert_has(ctl("patron 21000000002"), "owed=7.50");
	r = sc_tx(&c, "37" D "0400USDBV7.50|AOMETRO|AA21000000002|AD2222|");
	assert_memory_equal(r, "38Y", 3);
	assert_non_null(field(r, "BK"));
	assert_has(ctl("patron 21000000002"), "owed=0.00");
	sc_close(&c);
}

static void
test_block_then_enable(void **state)
{
	struct sconn	 c;
	const char	*r;

	sc_session(&c);
	r = sc_tx(&c, "01Y" D "AOMETRO|ALRetained at kiosk|AA21000000001|"
	    "AC|");
	assert_memory_equal(r, "24YYYY", 6);
	assert_has(ctl("patron 21000000001"), "blocked=yes");
	r = sc_tx(&c, "11YN" D B "AOMETRO|AA21000000001|AB31000000001|AC|"
	    "AD1111|");
	assert_memory_equal(r, "120", 3);
	r = sc_tx(&c, "25" D "AOMETRO|AA21000000001|AD1111|");
	assert_memory_equal(r, "26              ", 16);
	assert_has(ctl("patron 21000000001"), "blocked=no");
	r = sc_tx(&c, "11YN" D B "AOMETRO|AA21000000001|AB31000000001|AC|"
	    "AD1111|");
	assert_memory_equal(r, "121", 3);
	sc_close(&c);
}

static void
test_hold_queue_positions(void **state)
{
	struct sconn	 c;
	const char	*r;

	sc_session(&c);
	r = sc_tx(&c, "15+" D "AOMETRO|AA21000000001|AD1111|AB31000000005|"
	    "BSEAST|");
	assert_memory_equal(r, "161N", 4);
	assert_string_equal(field(r, "BR"), "3");
	assert_string_equal(field(r, "BS"), "EAST");
	r = sc_tx(&c, "15+" D "AOMETRO|AA21000000009|AD9191|AJPiranesi|");
	assert_string_equal(field(r, "BR"), "4");
	/* The same hold twice is refused. */
	r = sc_tx(&c, "15+" D "AOMETRO|AA21000000009|AD9191|AJPiranesi|");
	assert_memory_equal(r, "160", 3);
	r = sc_tx(&c, "15-" D "AOMETRO|AA21000000003|AD3333|AB31000000005|");
	assert_memory_equal(r, "161", 3);
	r = sc_tx(&c, "15*" D "AOMETRO|AA21000000009|AD9191|AJPiranesi|"
	    "BSEAST|");
	assert_memory_equal(r, "161", 3);
	assert_string_equal(field(r, "BR"), "3");
	assert_string_equal(field(r, "BS"), "EAST");
	assert_has(ctl("item 31000000005"),
	    "queue=21000000002,21000000001,21000000009");
	r = sc_tx(&c, "15-" D "AOMETRO|AA21000000003|AD3333|AB31000000005|");
	assert_memory_equal(r, "160", 3);
	/* The card-less and the unknown cannot place holds. */
	r = sc_tx(&c, "15+" D "AOMETRO|AA21000000006|AD6161|AB31000000001|");
	assert_memory_equal(r, "160", 3);
	sc_close(&c);
}

static void
test_item_info_and_status_update(void **state)
{
	struct sconn	 c;
	const char	*r;

	sc_session(&c);
	r = sc_tx(&c, "17" D "AOMETRO|AB31000000005|");
	assert_memory_equal(r, "1804", 4);
	assert_string_equal(field(r, "CF"), "2");
	assert_string_equal(field(r, "AQ"), "MAIN");
	assert_string_equal(field(r, "CR"), "ADULT-FIC");
	assert_int_equal(strlen(field(r, "AH")), 18);
	r = sc_tx(&c, "19" D "AOMETRO|AB31000000001|AC|CHsecurity strip|");
	assert_memory_equal(r, "201", 3);
	assert_has(ctl("item 31000000001"), "props=security strip");
	r = sc_tx(&c, "19" D "AOMETRO|AB39999999999|AC|CHx|");
	assert_memory_equal(r, "200", 3);
	sc_close(&c);
}

/* --- the wire --------------------------------------------------------- */

static void
test_bad_checksum_gets_96(void **state)
{
	struct sconn	 c;

	sc_session(&c);
	assert_string_equal(sc_tx(&c,
	    "23001" D "AOMETRO|AA21000000001|AC|AD1111|AY1AZ0000"),
	    "96AZFEF6");
	sc_close(&c);
}

static void
test_checksum_echoes_sequence(void **state)
{
	struct sconn	 c;
	const char	*r;
	char		 req[256];
	size_t		 n;

	sc_session(&c);
	n = (size_t)snprintf(req, sizeof(req), "23001" D
	    "AOMETRO|AA21000000001|AC|AD1111|AY7AZ");
	snprintf(req + n, sizeof(req) - n, "%04X", sip2_checksum(req, n));
	r = sc_tx(&c, req);
	assert_non_null(strstr(r, "AY7AZ"));
	assert_int_equal(sip2_checksum_verify(r, strlen(r)), 1);
	sc_close(&c);
}

static void
test_resend_repeats_last(void **state)
{
	struct sconn	 c;
	char		 first[MSG_MAX];

	sc_session(&c);
	snprintf(first, sizeof(first), "%s",
	    sc_tx(&c, "23001" D "AOMETRO|AA21000000002|AC|AD2222|"));
	assert_string_equal(sc_tx(&c, "97"), first);
	sc_close(&c);
}

static void
test_split_and_joined_messages(void **state)
{
	struct sconn	 c;
	char		 r[MSG_MAX];
	const char	*two = "23001" D "AOMETRO|AA21000000001|AC|\r\n"
	    "23001" D "AOMETRO|AA21000000002|AC|\r";

	sc_session(&c);
	sc_sendz(&c, "2300120250101");
	usleep(50000);
	sc_sendz(&c, "    120000AOMETRO|AA21000000001|AC|\r");
	assert_true(sc_recv(&c, r, sizeof(r), WAIT_MS) > 0);
	assert_string_equal(field(r, "AA"), "21000000001");
	sc_send(&c, two, strlen(two));
	assert_true(sc_recv(&c, r, sizeof(r), WAIT_MS) > 0);
	assert_string_equal(field(r, "AA"), "21000000001");
	assert_true(sc_recv(&c, r, sizeof(r), WAIT_MS) > 0);
	assert_string_equal(field(r, "AA"), "21000000002");
	sc_close(&c);
}

static void
test_account_terminator_and_charset(void **state)
{
	struct sconn	 c;
	char		 r[MSG_MAX];
	const char	*req = "23001" D "AOMETRO|AA21000000004|AC|AD4321|\r";
	ssize_t		 n;

	sc_open(&c, sim.sip2);
	sc_sendz(&c, "9300CNkiosk-latin1|COmetro-latin1-pw|\r");
	/* Read raw bytes: the answer ends in CRLF. */
	usleep(100000);
	n = recv(c.fd, r, sizeof(r) - 1, 0);
	assert_int_equal(n, 5);
	assert_memory_equal(r, "941\r\n", 5);
	sc_send(&c, req, strlen(req));
	assert_true(sc_recv(&c, r, sizeof(r), WAIT_MS) > 0);
	/* "Ångström, Zoë" in ISO-8859-1. */
	assert_non_null(strstr(r, "AE\xc5ngstr\xf6m, Zo\xeb|"));
	sc_close(&c);
}

/* --- control and faults ----------------------------------------------- */

static void
test_stats_count_codes(void **state)
{
	struct sconn	 c;
	const char	*r;

	sc_session(&c);
	(void)sc_tx(&c, "23001" D "AOMETRO|AA21000000001|AC|");
	r = ctl("stats");
	assert_has(r, "93=1");
	assert_has(r, "94=1");
	assert_has(r, "23=1");
	assert_has(r, "24=1");
	assert_has(r, "conns=1");
	sc_close(&c);
}

static void
test_reset_restores_state(void **state)
{
	struct sconn	 c;

	sc_session(&c);
	(void)sc_tx(&c, "11YN" D B "AOMETRO|AA21000000001|AB31000000001|AC|"
	    "AD1111|");
	assert_has(ctl("item 31000000001"), "status=04");
	assert_string_equal(ctl("reset"), "ok reset");
	assert_has(ctl("item 31000000001"), "status=03");
	assert_string_equal(ctl("stats"), "ok bad=0 conns=0");
	assert_string_equal(ctl("nonsense"), "error unknown command");
	sc_close(&c);
}

static void
test_fault_delay(void **state)
{
	struct sconn	 c;
	double		 t;

	sc_session(&c);
	assert_string_equal(ctl("delay 600"), "ok delay 600");
	t = now_ms();
	(void)sc_tx(&c, "23001" D "AOMETRO|AA21000000001|AC|");
	assert_true(now_ms() - t >= 590);
	assert_string_equal(ctl("normal"), "ok normal");
	t = now_ms();
	(void)sc_tx(&c, "23001" D "AOMETRO|AA21000000001|AC|");
	assert_true(now_ms() - t < 500);
	sc_close(&c);
}

static void
test_fault_drop(void **state)
{
	struct sconn	 c;
	char		 r[MSG_MAX];

	sc_session(&c);
	assert_string_equal(ctl("drop"), "ok drop");
	sc_sendz(&c, "23001" D "AOMETRO|AA21000000001|AC|\r");
	assert_int_equal(sc_recv(&c, r, sizeof(r), WAIT_MS), 0);
	sc_close(&c);
	assert_has(ctl("stats"), "23=1");
	assert_string_equal(ctl("normal"), "ok normal");
	sc_session(&c);
	(void)sc_tx(&c, "23001" D "AOMETRO|AA21000000001|AC|");
	sc_close(&c);
}

static void
test_fault_refuse(void **state)
{
	struct sconn	 c;
	int		 fd;

	sc_session(&c);
	assert_string_equal(ctl("refuse"), "ok refuse");
	fd = tcp_connect(sim.sip2);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, ECONNREFUSED);
	/* The connection already open is served. */
	(void)sc_tx(&c, "23001" D "AOMETRO|AA21000000001|AC|");
	assert_string_equal(ctl("normal"), "ok normal");
	sc_close(&c);
	sc_session(&c);
	sc_close(&c);
}

static void
test_fault_garbage(void **state)
{
	struct sconn	 c;
	const char	*r;
	struct sip2_wire w = { SIP2_CS_UTF8, SIP2_TERM_CR, '|', 0 };
	enum sip2_err	 err;

	sc_session(&c);
	assert_string_equal(ctl("garbage"), "ok garbage");
	r = sc_tx(&c, "23001" D "AOMETRO|AA21000000001|AC|");
	assert_true(strlen(r) > 0);
	assert_null(sip2_parse(r, strlen(r), &w, &err));
	assert_string_equal(ctl("normal"), "ok normal");
	r = sc_tx(&c, "23001" D "AOMETRO|AA21000000001|AC|");
	assert_memory_equal(r, "24", 2);
	sc_close(&c);
}

static void
test_fault_hang(void **state)
{
	struct sconn	 c;
	char		 r[MSG_MAX];

	sc_session(&c);
	assert_string_equal(ctl("hang"), "ok hang");
	sc_sendz(&c, "23001" D "AOMETRO|AA21000000001|AC|\r");
	assert_int_equal(sc_recv(&c, r, sizeof(r), 500), -1);
	assert_has(ctl("stats"), "23=1");
	assert_string_equal(ctl("normal"), "ok normal");
	sc_sendz(&c, "23001" D "AOMETRO|AA21000000002|AC|\r");
	assert_true(sc_recv(&c, r, sizeof(r), WAIT_MS) > 0);
	assert_string_equal(field(r, "AA"), "21000000002");
	sc_close(&c);
}

static void
test_fault_from_command_line(void **state)
{
	struct sconn	 c;
	char		 r[MSG_MAX];

	sim_start("district.ils", "-f", "hang", (const char *)NULL);
	assert_string_equal(ctl("faults"), "ok mode=hang delay=0 refuse=no");
	sc_open(&c, sim.sip2);
	sc_sendz(&c, "9300CNcirclink|COdistrict-ils-pw|\r");
	assert_int_equal(sc_recv(&c, r, sizeof(r), 300), -1);
	sc_close(&c);
}

/* --- TLS -------------------------------------------------------------- */

/* Write a throw-away self-signed certificate and key for the simulator. */
static void
make_cert(const char *certpath, const char *keypath)
{
	EVP_PKEY	*pkey;
	X509		*x;
	FILE		*fp;

	pkey = EVP_EC_gen("P-256");
	assert_non_null(pkey);
	x = X509_new();
	assert_non_null(x);
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
test_tls_listener_speaks_sip2(void **state)
{
	struct sconn	 c;
	SSL_CTX		*ctx;
	const char	*r;
	char		 cert[128], key[128];

	snprintf(certdir, sizeof(certdir), "/tmp/test_ilssim_tls.XXXXXX");
	assert_non_null(mkdtemp(certdir));
	snprintf(cert, sizeof(cert), "%s/cert.pem", certdir);
	snprintf(key, sizeof(key), "%s/key.pem", certdir);
	make_cert(cert, key);
	sim_start("district.ils", "-t", "127.0.0.1:0", "-c", cert, "-k", key,
	    (const char *)NULL);
	assert_true(sim.tls > 0);

	ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(ctx);
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	sc_open(&c, sim.tls);
	c.ssl = SSL_new(ctx);
	SSL_set_fd(c.ssl, c.fd);
	assert_int_equal(SSL_connect(c.ssl), 1);
	r = sc_tx(&c, "9300CNcirclink|COdistrict-ils-pw|");
	assert_string_equal(r, "941");
	r = sc_tx(&c, "23001" D "AODISTRICT|AA22000000004|AC|AD7777|");
	assert_memory_equal(r, "24YYYYY", 7);	/* card lost */
	assert_string_equal(field(r, "AO"), "DISTRICT");
	sc_close(&c);
	SSL_CTX_free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f)	cmocka_unit_test_setup_teardown(f, metro_setup, sim_teardown)
		T(test_login_accepts_good_account),
		T(test_login_refuses_bad_password),
		T(test_sc_status_answered_before_login),
		T(test_requests_before_login_refused),
		T(test_patron_status_reports_pin_and_fees),
		T(test_patron_status_bits_follow_state),
		T(test_patron_info_pages_lists),
		T(test_checkout_changes_item_state),
		T(test_checkout_refuses_unavailable_items),
		T(test_checkout_fills_own_hold),
		T(test_checkout_again_renews),
		T(test_checkout_asks_for_rental_fee),
		T(test_checkin_routes_to_hold_pickup),
		T(test_checkin_routes_home),
		T(test_checkin_fines_late_return),
		T(test_checkin_unknown_item_fails),
		T(test_renew_stops_at_limit),
		T(test_renew_refused_when_held),
		T(test_fee_paid_reduces_amount),
		T(test_block_then_enable),
		T(test_hold_queue_positions),
		T(test_item_info_and_status_update),
		T(test_bad_checksum_gets_96),
		T(test_checksum_echoes_sequence),
		T(test_resend_repeats_last),
		T(test_split_and_joined_messages),
		T(test_account_terminator_and_charset),
		T(test_stats_count_codes),
		T(test_reset_restores_state),
		T(test_fault_delay),
		T(test_fault_drop),
		T(test_fault_refuse),
		T(test_fault_garbage),
		T(test_fault_hang),
#undef T
		cmocka_unit_test_teardown(test_fault_from_command_line,
		    sim_teardown),
		cmocka_unit_test_teardown(test_tls_listener_speaks_sip2,
		    sim_teardown),
	};

	return cmocka_run_group_tests_name("ilssim", tests, group_setup,
	    NULL);
}
