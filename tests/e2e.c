/* SPDX-License-Identifier: ISC */
/*
 * The end-to-end harness: starts simulated ILSes and circlinkd as real
 * processes on 127.0.0.1, writes their configuration, speaks SIP2 to them
 * and stops and removes everything afterwards; and the steps the test
 * programs share, which fail the running cmocka test.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cmocka.h>

#include "circlinkd.h"
#include "e2e.h"

#define E2E_START_MS	8000	/* a process has this long to come up */
#define E2E_STOP_MS	2000	/* then SIGKILL */
#define E2E_CTL_MS	5000	/* one control command */

static void	 e2e_loopback(struct sockaddr_in *, int);
static pid_t	 e2e_spawn(const char *const [], const char *);
static int	 e2e_port_accepts(int);
static int	 e2e_ils_launch(struct e2e_env *, struct e2e_ils *,
		    const char *, const char *, int);
static int	 e2e_cat_terminals(const struct e2e_env *, char *, size_t,
		    const char *);
static int	 e2e_cat_backend(const struct e2e_env *, char *, size_t,
		    const struct e2e_partner *);
static struct e2e_conn *e2e_dial(int, const char *, const char *,
		    const char *);
static void	 e2e_show_log(const char *);
static int	 e2e_rm_cb(const char *, const struct stat *, int,
		    struct FTW *);
static int	 e2e_has_number(const char *, const char *);

/* Return the milliseconds of a monotonic clock. */
long long
e2e_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Sleep for some milliseconds, across signals. */
void
e2e_sleep_ms(int ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Fill in the address 127.0.0.1:port. */
static void
e2e_loopback(struct sockaddr_in *sin, int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin->sin_port = htons(port);
}

/*
 * Return a port on 127.0.0.1 that was free a moment ago: the kernel picks
 * it for a socket bound to port 0, which is then closed.  Another process
 * may take it meanwhile; the window is small.
 */
int
e2e_free_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd, port = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	e2e_loopback(&sin, 0);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return (port);
}

/*
 * Start a program with standard input from /dev/null and standard output
 * and error appended to logpath.  On Linux the child dies with the test,
 * so a crashed test leaves no daemon behind.
 */
static pid_t
e2e_spawn(const char *const argv[], const char *logpath)
{
	char	*const *av;
	pid_t	 pid;
	int	 fd, null;

	/* execv() takes char *const[] for history's sake; it writes none. */
	memcpy(&av, &argv, sizeof(av));
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		fprintf(stderr, "e2e: fork: %s\n", strerror(errno));
		return (-1);
	}
	if (pid > 0)
		return (pid);
#ifdef __linux__
	prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
	if ((null = open("/dev/null", O_RDONLY)) == -1 ||
	    (fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600)) == -1 ||
	    dup2(null, 0) == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
		_exit(126);
	/* The test's own connections are not the child's to hold open. */
	for (fd = 3; fd < 1024; fd++)
		close(fd);
	signal(SIGPIPE, SIG_DFL);
	execv(av[0], av);
	dprintf(2, "e2e: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Stop a process: SIGTERM, wait up to 2 s, then SIGKILL; *pid becomes 0. */
void
e2e_proc_stop(pid_t *pid)
{
	long long	 deadline;
	int		 status;

	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	deadline = e2e_now_ms() + E2E_STOP_MS;
	while (e2e_now_ms() < deadline) {
		if (waitpid(*pid, &status, WNOHANG) != 0)
			goto done;
		e2e_sleep_ms(10);
	}
	fprintf(stderr, "e2e: pid %ld ignored SIGTERM for %d ms; killing\n",
	    (long)*pid, E2E_STOP_MS);
	kill(*pid, SIGKILL);
	waitpid(*pid, &status, 0);
done:
	*pid = 0;
}

/*
 * Run a program to its end with standard output and error into outfile,
 * killing it after timeout_ms.  Returns its exit status, 128 + the signal
 * that ended it, or -1 if it could not run.
 */
int
e2e_run(const char *const argv[], const char *outfile, int timeout_ms)
{
	long long	 deadline = e2e_now_ms() + timeout_ms;
	pid_t		 pid;
	int		 status;

	if ((pid = e2e_spawn(argv, outfile)) == -1)
		return (-1);
	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (e2e_now_ms() > deadline) {
			fprintf(stderr, "e2e: %s ran over %d ms\n", argv[0],
			    timeout_ms);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return (-1);
		}
		e2e_sleep_ms(5);
	}
	if (WIFEXITED(status))
		return (WEXITSTATUS(status));
	return (128 + WTERMSIG(status));
}

/* Return the size of a file, or 0 when it does not exist. */
off_t
e2e_file_size(const char *path)
{
	struct stat	 st;

	if (stat(path, &st) == -1)
		return (0);
	return (st.st_size);
}

/* Read a file from offset into a NUL-terminated buffer the caller frees. */
char *
e2e_file_read(const char *path, off_t from)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return (NULL);
	if (fstat(fd, &st) == -1 || st.st_size < from ||
	    (buf = malloc(st.st_size - from + 1)) == NULL) {
		close(fd);
		return (NULL);
	}
	while (len < (size_t)(st.st_size - from)) {
		n = pread(fd, buf + len, st.st_size - from - len, from + len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return (buf);
}

/* Wait until the text appears in a file after offset; -1 on time-out. */
int
e2e_file_wait(const char *path, off_t from, const char *text, int timeout_ms)
{
	long long	 deadline = e2e_now_ms() + timeout_ms;
	char		*buf;
	int		 found;

	for (;;) {
		buf = e2e_file_read(path, from);
		found = buf != NULL && strstr(buf, text) != NULL;
		free(buf);
		if (found)
			return (0);
		if (e2e_now_ms() > deadline)
			return (-1);
		e2e_sleep_ms(20);
	}
}

/* Copy the end of a log to standard error: its directory will go. */
static void
e2e_show_log(const char *path)
{
	off_t	 size = e2e_file_size(path);
	char	*text;

	if ((text = e2e_file_read(path, size > 2048 ? size - 2048 : 0)) ==
	    NULL)
		return;
	fprintf(stderr, "e2e: the end of %s:\n%s\n", path, text);
	free(text);
}

/* Write a whole file, mode 0600, replacing it atomically. */
int
e2e_write_file(const char *path, const char *text)
{
	char	 tmp[E2E_PATH_MAX + 8];
	size_t	 len = strlen(text);
	int	 fd;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		goto fail;
	if (fchmod(fd, 0600) == -1 || write(fd, text, len) != (ssize_t)len) {
		close(fd);
		goto fail;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1)
		goto fail;
	return (0);

fail:
	fprintf(stderr, "e2e: %s: %s\n", path, strerror(errno));
	return (-1);
}

static int
e2e_rm_cb(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	if (remove(path) == -1)
		fprintf(stderr, "e2e: remove %s: %s\n", path, strerror(errno));
	return (0);
}

/*
 * Make a self-signed certificate for a common name and its key, mode 0600
 * as circlinkd wants for a key, with the openssl command.
 */
int
e2e_make_cert(struct e2e_env *env, const char *cn, const char *cert,
    const char *key)
{
	char		 out[E2E_PATH_MAX], subj[128];
	const char	*argv[] = { "/usr/bin/env", "openssl", "req", "-x509",
	    "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
	    "-nodes", "-days", "2", "-subj", subj, "-keyout", key, "-out",
	    cert, NULL };
	int		 rc;

	snprintf(subj, sizeof(subj), "/CN=%s", cn);
	snprintf(out, sizeof(out), "%s/openssl-%s.out", env->dir, cn);
	rc = e2e_run(argv, out, 20000);
	if (rc != 0 || chmod(key, 0600) == -1) {
		fprintf(stderr, "e2e: openssl req failed (%d); see %s\n", rc,
		    out);
		return (-1);
	}
	return (0);
}

/*
 * Make the temporary directory and the test certificate, and find the
 * programs.  The environment variables come from the Makefile; run by
 * hand from the top build directory, the defaults find the same files.
 */
int
e2e_env_init(struct e2e_env *env)
{
	const char	*tmp;

	memset(env, 0, sizeof(*env));
	signal(SIGPIPE, SIG_IGN);
	if ((env->circlinkd = getenv("CIRCLINKD")) == NULL)
		env->circlinkd = "gateway/circlinkd";
	if ((env->ilssim = getenv("ILSSIM")) == NULL)
		env->ilssim = "tests/circlink-ilssim";
	if ((env->demo_dir = getenv("DEMO_DIR")) == NULL)
		env->demo_dir = "etc/demo";
	if (access(env->circlinkd, X_OK) == -1 ||
	    access(env->ilssim, X_OK) == -1) {
		fprintf(stderr, "e2e: need %s and %s (set CIRCLINKD and "
		    "ILSSIM)\n", env->circlinkd, env->ilssim);
		return (-1);
	}
	env->backend_timeout_ms = 1000;
	env->connect_timeout_ms = 500;

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(env->dir, sizeof(env->dir), "%s/circlink-e2e.XXXXXX", tmp);
	if (mkdtemp(env->dir) == NULL) {
		fprintf(stderr, "e2e: mkdtemp %s: %s\n", env->dir,
		    strerror(errno));
		env->dir[0] = '\0';
		return (-1);
	}
	snprintf(env->cert, sizeof(env->cert), "%s/gateway.crt", env->dir);
	snprintf(env->key, sizeof(env->key), "%s/gateway.key", env->dir);
	snprintf(env->conf, sizeof(env->conf), "%s/circlinkd.conf", env->dir);
	snprintf(env->log, sizeof(env->log), "%s/circlinkd.log", env->dir);
	return (e2e_make_cert(env, "localhost", env->cert, env->key));
}

/* Stop every process the environment started; remove its directory. */
void
e2e_env_cleanup(struct e2e_env *env)
{
	size_t	 i;

	e2e_proc_stop(&env->gw_pid);
	e2e_proc_stop(&env->metro.pid);
	e2e_proc_stop(&env->district.pid);
	if (getenv("E2E_KEEP") != NULL && env->dir[0] != '\0')
		fprintf(stderr, "e2e: kept %s\n", env->dir);
	else if (env->dir[0] != '\0')
		nftw(env->dir, e2e_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	for (i = 0; i < env->nterminals; i++)
		free(env->terminals[i].hash);
	memset(env, 0, sizeof(*env));
}

/*
 * Start a simulated ILS on a data file, every port picked by the kernel,
 * with NCIP listeners too when ncip is set, and wait for the port file it
 * writes once it listens.
 */
static int
e2e_ils_launch(struct e2e_env *env, struct e2e_ils *ils, const char *name,
    const char *datafile, int ncip)
{
	long long	 deadline;
	char		*text, *s;
	int		 status;

	ils->name = name;
	snprintf(ils->data, sizeof(ils->data), "%s", datafile);
	snprintf(ils->portfile, sizeof(ils->portfile), "%s/%s.ports",
	    env->dir, name);
	snprintf(ils->log, sizeof(ils->log), "%s/%s-ils.log", env->dir, name);
	unlink(ils->portfile);
	{
		const char *argv[] = { env->ilssim, "-d", ils->data,
		    "-l", "127.0.0.1:0", "-t", "127.0.0.1:0", "-c", env->cert,
		    "-k", env->key, "-C", "127.0.0.1:0", "-p",
		    ils->portfile, NULL, NULL, NULL, NULL, NULL };

		if (ncip) {
			argv[15] = "-n";
			argv[16] = "127.0.0.1:0";
			argv[17] = "-N";
			argv[18] = "127.0.0.1:0";
		}
		if ((ils->pid = e2e_spawn(argv, ils->log)) == -1)
			return (-1);
	}
	deadline = e2e_now_ms() + E2E_START_MS;
	while (e2e_now_ms() < deadline) {
		if (waitpid(ils->pid, &status, WNOHANG) == ils->pid) {
			ils->pid = 0;
			fprintf(stderr, "e2e: the %s ILS exited\n", name);
			e2e_show_log(ils->log);
			return (-1);
		}
		if ((text = e2e_file_read(ils->portfile, 0)) != NULL) {
			ils->sip2_port = ils->control_port = 0;
			if ((s = strstr(text, "sip2 ")) != NULL)
				ils->sip2_port = atoi(s + 5);
			if ((s = strstr(text, "control ")) != NULL)
				ils->control_port = atoi(s + 8);
			if ((s = strstr(text, "tls ")) != NULL)
				ils->tls_port = atoi(s + 4);
			if ((s = strstr(text, "ncip ")) != NULL)
				ils->ncip_port = atoi(s + 5);
			if ((s = strstr(text, "ncips ")) != NULL)
				ils->ncips_port = atoi(s + 6);
			free(text);
			if (ils->sip2_port > 0 && ils->control_port > 0 &&
			    ils->tls_port > 0 && (!ncip ||
			    (ils->ncip_port > 0 && ils->ncips_port > 0)))
				return (0);
		}
		e2e_sleep_ms(10);
	}
	fprintf(stderr, "e2e: the %s ILS wrote no port file %s\n", name,
	    ils->portfile);
	e2e_show_log(ils->log);
	return (-1);
}

/* Start a simulated ILS speaking SIP2, plain and over TLS. */
int
e2e_ils_start(struct e2e_env *env, struct e2e_ils *ils, const char *name,
    const char *datafile)
{
	return (e2e_ils_launch(env, ils, name, datafile, 0));
}

/* Start a simulated ILS speaking SIP2 and NCIP, plain and over TLS. */
int
e2e_ils_start_ncip(struct e2e_env *env, struct e2e_ils *ils, const char *name,
    const char *datafile)
{
	return (e2e_ils_launch(env, ils, name, datafile, 1));
}

/* Start metro and district on the demo data, with NCIP when ncip is set. */
int
e2e_ils_start_demo(struct e2e_env *env, int ncip)
{
	char	 path[E2E_PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/metro.ils", env->demo_dir);
	if (e2e_ils_launch(env, &env->metro, "metro", path, ncip) == -1)
		return (-1);
	snprintf(path, sizeof(path), "%s/district.ils", env->demo_dir);
	return (e2e_ils_launch(env, &env->district, "district", path, ncip));
}

/*
 * Send one control command to an ILS and read its one-line answer into
 * ans, without the newline.  Returns 0 for "ok ...", -1 otherwise.
 */
int
e2e_ils_ctl(const struct e2e_ils *ils, const char *cmd, char *ans,
    size_t anslen)
{
	struct e2e_conn	*c;
	long long	 deadline = e2e_now_ms() + E2E_CTL_MS;
	char		 line[256], *nl;
	size_t		 len;
	int		 rc = -1;

	if (anslen > 0)
		ans[0] = '\0';
	if ((c = e2e_connect(ils->control_port, NULL)) == NULL)
		return (-1);
	snprintf(line, sizeof(line), "%s\n", cmd);
	if (e2e_send(c, line, strlen(line)) == -1)
		goto done;
	while ((nl = memchr(c->in, '\n', c->nin)) == NULL)
		if (c->nin == sizeof(c->in) - 1 ||
		    e2e_fill(c, deadline) == -1) {
			fprintf(stderr, "e2e: %s ILS: no answer to \"%s\"\n",
			    ils->name, cmd);
			goto done;
		}
	len = nl - c->in;
	if (len > 0 && c->in[len - 1] == '\r')
		len--;
	if (anslen > 0)
		snprintf(ans, anslen, "%.*s", (int)len, c->in);
	rc = strncmp(c->in, "ok", 2) == 0 && (len == 2 || c->in[2] == ' ') ?
	    0 : -1;
	if (rc == -1)
		fprintf(stderr, "e2e: %s ILS: \"%s\" -> \"%.*s\"\n",
		    ils->name, cmd, (int)len, c->in);
done:
	e2e_close(c);
	return (rc);
}

/* Add a terminal account; its password is hashed now.  -1 on failure. */
int
e2e_terminal_add(struct e2e_env *env, const char *login, const char *password,
    const char *partner, const char *location, const char *terminator,
    const char *checksums)
{
	struct e2e_terminal	*t;

	if (env->nterminals == E2E_TERMINALS_MAX)
		return (-1);
	t = &env->terminals[env->nterminals];
	memset(t, 0, sizeof(*t));
	t->login = login;
	t->password = password;
	t->partner = partner;
	t->location = location;
	t->terminator = terminator;
	t->checksums = checksums;
	if ((t->hash = auth_hash_password(password)) == NULL) {
		fprintf(stderr, "e2e: auth_hash_password failed\n");
		return (-1);
	}
	env->nterminals++;
	return (0);
}

/*
 * Set up n listeners for terminals: 99 before 93 allowed, 60 s idle,
 * three login attempts.
 */
void
e2e_listeners_init(struct e2e_env *env, size_t n)
{
	size_t	 i;

	env->nlisteners = n;
	for (i = 0; i < n; i++) {
		memset(&env->listeners[i], 0, sizeof(env->listeners[i]));
		env->listeners[i].status_before_login = 1;
		env->listeners[i].idle_timeout = 60;
		env->listeners[i].login_attempts = 3;
	}
}

/* Append printf-style text to a growing buffer; -1 when it is full. */
static int
e2e_cat(char *buf, size_t size, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 len = strlen(buf);
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
	return (n < 0 || (size_t)n >= size - len ? -1 : 0);
}

/* Append the terminal blocks of a partner's terminals; -1 when full. */
static int
e2e_cat_terminals(const struct e2e_env *env, char *text, size_t size,
    const char *id)
{
	size_t	 i;
	int	 rc = 0;

	for (i = 0; i < env->nterminals; i++) {
		const struct e2e_terminal *t = &env->terminals[i];

		if (strcmp(t->partner, id) != 0)
			continue;
		rc |= e2e_cat(text, size,
		    "\tterminal %s {\n"
		    "\t\tpassword-hash \"%s\"\n"
		    "\t\tlocation %s\n", t->login, t->hash, t->location);
		if (t->terminator != NULL)
			rc |= e2e_cat(text, size, "\t\tterminator %s\n",
			    t->terminator);
		if (t->checksums != NULL)
			rc |= e2e_cat(text, size, "\t\tchecksums %s\n",
			    t->checksums);
		rc |= e2e_cat(text, size, "\t}\n");
	}
	return (rc);
}

/* Append a partner's backend block: SIP2, or NCIP in its profile. */
static int
e2e_cat_backend(const struct e2e_env *env, char *text, size_t size,
    const struct e2e_partner *p)
{
	int	 rc = 0;

	if (!p->ncip) {
		rc |= e2e_cat(text, size,
		    "\tbackend sip2 127.0.0.1 port %d {\n"
		    "\t\tlogin circlink\n"
		    "\t\tpassword \"%s\"\n", p->tls ? p->ils->tls_port :
		    p->ils->sip2_port, p->password);
		if (p->location != NULL)
			rc |= e2e_cat(text, size, "\t\tlocation %s\n",
			    p->location);
	} else {
		rc |= e2e_cat(text, size,
		    "\tbackend ncip 127.0.0.1 port %d {\n"
		    "\t\tversion %s\n"
		    "\t\tfrom-agency CIRCLINK\n", p->tls ? p->ils->ncips_port :
		    p->ils->ncip_port, p->version);
		if (p->ns != NULL)
			rc |= e2e_cat(text, size, "\t\tnamespace %s\n", p->ns);
		if (p->unqualified)
			rc |= e2e_cat(text, size,
			    "\t\tqualified-attributes no\n");
		if (p->by_auth)
			rc |= e2e_cat(text, size,
			    "\t\tidentify-patrons authentication\n");
		if (p->ils_token != NULL)
			rc |= e2e_cat(text, size, "\t\ttoken %s\n",
			    p->ils_token);
	}
	if (p->tls)
		rc |= e2e_cat(text, size,
		    "\t\ttls yes\n"
		    "\t\tca \"%s\"\n"
		    "\t\tserver-name %s\n", env->cert, p->server_name != NULL ?
		    p->server_name : "localhost");
	rc |= e2e_cat(text, size,
	    "\t\ttimeout %dms\n"
	    "\t\tconnect-timeout %dms\n", env->backend_timeout_ms,
	    env->connect_timeout_ms);
	if (env->keepalive_ms > 0)
		rc |= e2e_cat(text, size, "\t\tkeepalive %dms\n",
		    env->keepalive_ms);
	rc |= e2e_cat(text, size, "\t}\n");
	return (rc);
}

/*
 * Write the gateway's main file, SIP2 and NCIP listeners alike, and one
 * included file per partner with its backend, the token its ILS calls
 * with, its terminals and its agreement toward each other partner; all
 * mode 0600, since they hold secrets.  Every
 * trace is on, so that the privacy checks read every message.
 */
int
e2e_gw_write_partners(struct e2e_env *env, const struct e2e_partner *parts,
    size_t nparts)
{
	const struct e2e_listener	*l;
	const struct e2e_partner	*p;
	char				 text[16384];
	char				 path[E2E_PATH_MAX + 32];
	size_t				 i, j;
	int				 rc;

	for (i = 0; i < nparts; i++) {
		p = &parts[i];
		text[0] = '\0';
		rc = e2e_cat(text, sizeof(text),
		    "# Written by the e2e harness: partner %s.\n"
		    "partner %s {\n"
		    "\tname \"%s\"\n"
		    "\tinstitution %s\n"
		    "\tpatron-barcode \"%s\"\n"
		    "\titem-barcode \"%s\"\n"
		    "\tlocation %s\n"
		    "\tlocation %s\n", p->id, p->id, p->name, p->institution,
		    p->patrons, p->items, p->loc1, p->loc2);
		if (p->caller_token != NULL)
			rc |= e2e_cat(text, sizeof(text),
			    "\tncip-token \"%s\"\n", p->caller_token);
		rc |= e2e_cat_backend(env, text, sizeof(text), p);
		rc |= e2e_cat_terminals(env, text, sizeof(text), p->id);
		if (p->admin_hash != NULL)
			rc |= e2e_cat(text, sizeof(text),
			    "\tadmin-password-hash \"%s\"\n", p->admin_hash);
		if (p->extra != NULL)
			rc |= e2e_cat(text, sizeof(text), "%s\n", p->extra);
		for (j = 0; j < nparts && !env->no_agreements; j++)
			if (j != i)
				rc |= e2e_cat(text, sizeof(text),
				    "\tagreement %s {\n%s\n\t}\n",
				    parts[j].id, p->terms != NULL ? p->terms :
				    "\t\taccept yes");
		rc |= e2e_cat(text, sizeof(text), "}\n");
		if (rc != 0) {
			fprintf(stderr, "e2e: partner file too long\n");
			return (-1);
		}
		snprintf(path, sizeof(path), "%s/%s.conf", env->dir, p->id);
		if (e2e_write_file(path, text) == -1)
			return (-1);
	}

	text[0] = '\0';
	rc = e2e_cat(text, sizeof(text),
	    "# Written by the e2e harness.\n"
	    "log-level info\n"
	    "trace sip2 backend session ncip\n"
	    "max-sessions 200\n"
	    "state-dir \"%s/state\"\n"
	    "store-key \"%s/store.key\"\n", env->dir, env->dir);
	for (i = 0; i < env->nlisteners; i++) {
		l = &env->listeners[i];
		rc |= e2e_cat(text, sizeof(text),
		    "listen 127.0.0.1 port %d%s%s {\n"
		    "\tidle-timeout %d\n", l->port, l->ncip ? " ncip" : "",
		    l->tls ? " tls" : "", l->idle_timeout);
		if (!l->ncip)
			rc |= e2e_cat(text, sizeof(text),
			    "\tstatus-before-login %s\n"
			    "\tlogin-attempts %d\n",
			    l->status_before_login ? "yes" : "no",
			    l->login_attempts);
		if (l->tls)
			rc |= e2e_cat(text, sizeof(text),
			    "\tcertificate \"%s\"\n"
			    "\tkey \"%s\"\n", env->cert, env->key);
		rc |= e2e_cat(text, sizeof(text), "}\n");
	}
	for (i = 0; i < nparts; i++)
		rc |= e2e_cat(text, sizeof(text), "include \"%s.conf\"\n",
		    parts[i].id);
	if (env->main_extra != NULL)
		rc |= e2e_cat(text, sizeof(text), "%s\n", env->main_extra);
	if (env->broken != NULL)
		rc |= e2e_cat(text, sizeof(text), "%s\n", env->broken);
	if (rc != 0) {
		fprintf(stderr, "e2e: main file too long\n");
		return (-1);
	}
	return (e2e_write_file(env->conf, text));
}

/*
 * Write the configuration the SIP2 tests want: metro and the district,
 * each behind a SIP2 backend (metro's over TLS as metro_tls says), with
 * the environment's listeners and terminals.
 */
int
e2e_gw_write_conf(struct e2e_env *env)
{
	const struct e2e_partner	 parts[] = {
		{ .id = "metro", .name = E2E_METRO_NAME, .institution = "METRO",
		    .patrons = "2100*", .items = "3100*", .loc1 = "MAIN",
		    .loc2 = "EAST", .ils = &env->metro,
		    .password = "metro-ils-pw", .tls = env->metro_tls != 0,
		    .server_name = env->metro_tls == 2 ? "not-localhost" :
		    NULL },
		{ .id = "district", .name = E2E_DISTRICT_NAME,
		    .institution = "DISTRICT", .patrons = "2200*",
		    .items = "3200*", .loc1 = "LINCOLN", .loc2 = "WESTHIGH",
		    .ils = &env->district, .password = "district-ils-pw" },
	};

	return (e2e_gw_write_partners(env, parts, 2));
}

/* Return 1 if something accepts connections on 127.0.0.1:port. */
static int
e2e_port_accepts(int port)
{
	struct sockaddr_in	 sin;
	int			 fd, ok;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (0);
	e2e_loopback(&sin, port);
	ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	close(fd);
	return (ok);
}

/*
 * Start circlinkd in the foreground on the written configuration, its
 * standard error appended to the log, and wait until it says it started
 * (so that it, not whoever took a port meanwhile, holds the listeners)
 * and every listener accepts.
 */
int
e2e_gw_start(struct e2e_env *env)
{
	long long	 deadline;
	off_t		 off = e2e_file_size(env->log);
	size_t		 i;
	int		 status;
	const char	*argv[] = { env->circlinkd, "-d", "-f", env->conf,
	    NULL };

	if ((env->gw_pid = e2e_spawn(argv, env->log)) == -1) {
		env->gw_pid = 0;
		return (-1);
	}
	deadline = e2e_now_ms() + E2E_START_MS;
	while (e2e_file_wait(env->log, off, "started:", 0) == -1) {
		if (waitpid(env->gw_pid, &status, WNOHANG) == env->gw_pid) {
			env->gw_pid = 0;
			fprintf(stderr, "e2e: circlinkd exited\n");
			e2e_show_log(env->log);
			return (-1);
		}
		if (e2e_now_ms() > deadline) {
			fprintf(stderr, "e2e: circlinkd did not start\n");
			e2e_show_log(env->log);
			return (-1);
		}
		e2e_sleep_ms(10);
	}
	for (i = 0; i < env->nlisteners; i++) {
		while (!e2e_port_accepts(env->listeners[i].port)) {
			if (e2e_now_ms() > deadline) {
				fprintf(stderr, "e2e: circlinkd does not "
				    "listen on port %d\n",
				    env->listeners[i].port);
				e2e_show_log(env->log);
				return (-1);
			}
			e2e_sleep_ms(10);
		}
	}
	return (0);
}

/* Stop the gateway (SIGTERM, then SIGKILL after 2 s). */
void
e2e_gw_stop(struct e2e_env *env)
{
	e2e_proc_stop(&env->gw_pid);
}

/* Return 1 if the gateway process is still running. */
int
e2e_gw_alive(struct e2e_env *env)
{
	int	 status;

	if (env->gw_pid <= 0)
		return (0);
	if (waitpid(env->gw_pid, &status, WNOHANG) == env->gw_pid) {
		fprintf(stderr, "e2e: circlinkd ended with status %d\n",
		    status);
		env->gw_pid = 0;
		return (0);
	}
	return (1);
}

/*
 * Pick a free port for every listener, write the configuration and start
 * the gateway.  A port found free may be taken before the gateway binds
 * it, hence three tries.
 */
int
e2e_gw_launch(struct e2e_env *env, e2e_conf_fn write_conf)
{
	size_t	 i;
	int	 try;

	for (try = 0; try < 3; try++) {
		for (i = 0; i < env->nlisteners; i++)
			if ((env->listeners[i].port = e2e_free_port()) == -1)
				return (-1);
		if (write_conf(env) == -1)
			return (-1);
		if (e2e_gw_start(env) == 0)
			return (0);
		e2e_gw_stop(env);
	}
	fprintf(stderr, "e2e: circlinkd did not start in %d tries\n", try);
	return (-1);
}

/* Write the configuration again, SIGHUP, and wait until it took. */
int
e2e_gw_reload(struct e2e_env *env, e2e_conf_fn write_conf)
{
	off_t	 off = e2e_file_size(env->log);

	if (write_conf(env) == -1)
		return (-1);
	if (env->gw_pid <= 0 || kill(env->gw_pid, SIGHUP) == -1) {
		fprintf(stderr, "e2e: no circlinkd to reload\n");
		return (-1);
	}
	if (e2e_file_wait(env->log, off, "reloaded", 5000) == -1) {
		fprintf(stderr, "e2e: circlinkd did not reload; see %s\n",
		    env->log);
		return (-1);
	}
	return (0);
}

/* For after a test: whatever happened, the gateway must still run. */
int
e2e_gw_survived(struct e2e_env *env)
{
	if (!e2e_gw_alive(env)) {
		fprintf(stderr, "e2e: circlinkd died during the test; run "
		    "with E2E_KEEP=1 and see %s\n", env->log);
		return (-1);
	}
	return (0);
}

/*
 * Wait until every partner with a terminal is online through the
 * listener, as its first terminal sees it; -1 after timeout_ms for one.
 */
int
e2e_partners_online(const struct e2e_env *env, size_t listener,
    int timeout_ms)
{
	const struct e2e_terminal	*t;
	size_t				 i, j;

	for (i = 0; i < env->nterminals; i++) {
		t = &env->terminals[i];
		for (j = 0; j < i; j++)
			if (strcmp(env->terminals[j].partner, t->partner) == 0)
				break;
		if (j < i)
			continue;
		if (e2e_wait_online(env, listener, t->login, t->password, 'Y',
		    timeout_ms) == -1) {
			fprintf(stderr, "e2e: partner %s is not online; run "
			    "with E2E_KEEP=1 and see %s\n", t->partner,
			    env->log);
			return (-1);
		}
	}
	return (0);
}

/*
 * For before a test: the demo ILSes the environment started back to
 * normal and to their data, the gateway running (again, if an earlier
 * test, which reported it, killed it) and every partner online.  A
 * partner that stays offline gets the gateway restarted once.
 */
int
e2e_ready(struct e2e_env *env, size_t listener)
{
	struct e2e_ils	*ils[] = { &env->metro, &env->district };
	size_t		 i;

	if (env->dir[0] == '\0')
		return (-1);
	for (i = 0; i < 2; i++)
		if (ils[i]->pid > 0 &&
		    (e2e_ils_ctl(ils[i], "normal", NULL, 0) == -1 ||
		    e2e_ils_ctl(ils[i], "reset", NULL, 0) == -1))
			return (-1);
	if (!e2e_gw_alive(env) && e2e_gw_start(env) == -1)
		return (-1);
	if (e2e_partners_online(env, listener, 10000) == 0)
		return (0);
	fprintf(stderr, "e2e: a partner stayed offline; restarting the "
	    "gateway\n");
	e2e_gw_stop(env);
	if (e2e_gw_start(env) == -1 ||
	    e2e_partners_online(env, listener, 10000) == -1)
		return (-1);
	return (0);
}

/* Wait until fd is ready or the deadline passes (errno ETIMEDOUT). */
int
e2e_wait_fd(int fd, short events, long long deadline)
{
	struct pollfd	 pfd;
	long long	 left;
	int		 n;

	for (;;) {
		if ((left = deadline - e2e_now_ms()) <= 0) {
			errno = ETIMEDOUT;
			return (-1);
		}
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		if ((n = poll(&pfd, 1, (int)left)) == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		if (n > 0)
			return (0);
	}
}

/*
 * Connect to 127.0.0.1:port, plain, or TLS verified against cafile for
 * "localhost" and presenting cert and key when they are given.
 */
static struct e2e_conn *
e2e_dial(int port, const char *cafile, const char *cert, const char *key)
{
	struct sockaddr_in	 sin;
	struct e2e_conn		*c;
	long long		 deadline = e2e_now_ms() + E2E_START_MS;
	socklen_t		 len;
	SSL			*ssl;
	long			 verify;
	int			 on = 1, err = 0, r, e;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		goto fail;
	e2e_loopback(&sin, port);
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		if (errno != EINPROGRESS ||
		    e2e_wait_fd(c->fd, POLLOUT, deadline) == -1)
			goto fail;
		len = sizeof(err);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			goto fail;
		if (err != 0) {
			errno = err;
			goto fail;
		}
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (cafile == NULL)
		return (c);

	if ((c->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_load_verify_locations(c->ctx, cafile, NULL) != 1)
		goto tlsfail;
	if (cert != NULL &&
	    (SSL_CTX_use_certificate_file(c->ctx, cert, SSL_FILETYPE_PEM) !=
	    1 || SSL_CTX_use_PrivateKey_file(c->ctx, key, SSL_FILETYPE_PEM) !=
	    1))
		goto tlsfail;
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	if ((ssl = SSL_new(c->ctx)) == NULL)
		goto tlsfail;
	c->ssl = ssl;
	if (SSL_set_fd(ssl, c->fd) != 1 ||
	    SSL_set_tlsext_host_name(ssl, "localhost") != 1 ||
	    SSL_set1_host(ssl, "localhost") != 1)
		goto tlsfail;
	while ((r = SSL_connect(ssl)) != 1) {
		e = SSL_get_error(ssl, r);
		if (e == SSL_ERROR_WANT_READ &&
		    e2e_wait_fd(c->fd, POLLIN, deadline) == 0)
			continue;
		if (e == SSL_ERROR_WANT_WRITE &&
		    e2e_wait_fd(c->fd, POLLOUT, deadline) == 0)
			continue;
		verify = SSL_get_verify_result(ssl);
		fprintf(stderr, "e2e: TLS handshake with port %d: %s\n", port,
		    verify != X509_V_OK ?
		    X509_verify_cert_error_string(verify) : "failed");
		goto tlsfail;
	}
	if (SSL_get_verify_result(ssl) != X509_V_OK)
		goto tlsfail;
	return (c);

tlsfail:
	ERR_print_errors_fp(stderr);
	e2e_close(c);
	return (NULL);
fail:
	fprintf(stderr, "e2e: connect to port %d: %s\n", port,
	    strerror(errno));
	e2e_close(c);
	return (NULL);
}

/* Connect to 127.0.0.1:port, plain or TLS verified against cafile. */
struct e2e_conn *
e2e_connect(int port, const char *cafile)
{
	return (e2e_dial(port, cafile, NULL, NULL));
}

/*
 * Connect to one of the gateway's listeners, TLS verified against the
 * test certificate if it has TLS, with a client certificate if given.
 */
struct e2e_conn *
e2e_gw_connect(const struct e2e_env *env, size_t listener, const char *cert,
    const char *key)
{
	const struct e2e_listener	*l = &env->listeners[listener];

	return (e2e_dial(l->port, l->tls ? env->cert : NULL, cert, key));
}

/* Close a connection and free it; NULL is fine. */
void
e2e_close(struct e2e_conn *c)
{
	if (c == NULL)
		return;
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	if (c->ctx != NULL)
		SSL_CTX_free(c->ctx);
	if (c->fd > 0)
		close(c->fd);
	free(c);
}

/* Write all bytes.  Returns -1 when the connection failed. */
int
e2e_send(struct e2e_conn *c, const void *buf, size_t len)
{
	long long	 deadline = e2e_now_ms() + E2E_CTL_MS;
	const char	*p = buf;
	ssize_t		 n;
	int		 r, e;

	while (len > 0) {
		if (c->ssl != NULL) {
			if ((r = SSL_write(c->ssl, p, (int)len)) > 0) {
				p += r;
				len -= r;
				continue;
			}
			e = SSL_get_error(c->ssl, r);
			if ((e == SSL_ERROR_WANT_READ &&
			    e2e_wait_fd(c->fd, POLLIN, deadline) == 0) ||
			    (e == SSL_ERROR_WANT_WRITE &&
			    e2e_wait_fd(c->fd, POLLOUT, deadline) == 0))
				continue;
			return (-1);
		}
		if ((n = send(c->fd, p, len, MSG_NOSIGNAL)) > 0) {
			p += n;
			len -= n;
		} else if (n == -1 && errno == EINTR)
			continue;
		else if (n == -1 && errno == EAGAIN) {
			if (e2e_wait_fd(c->fd, POLLOUT, deadline) == -1)
				return (-1);
		} else
			return (-1);
	}
	return (0);
}

/*
 * Read more bytes into the buffer, waiting until the deadline.  Returns -1
 * with errno ETIMEDOUT, EMSGSIZE, or ECONNRESET once the peer has closed.
 */
int
e2e_fill(struct e2e_conn *c, long long deadline)
{
	size_t	 room = sizeof(c->in) - c->nin;
	ssize_t	 n;
	int	 r, e;

	for (;;) {
		if (c->eof || room == 0) {
			errno = c->eof ? ECONNRESET : EMSGSIZE;
			return (-1);
		}
		if (c->ssl != NULL) {
			if ((r = SSL_read(c->ssl, c->in + c->nin,
			    (int)room)) > 0) {
				c->nin += r;
				return (0);
			}
			e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ) {
				if (e2e_wait_fd(c->fd, POLLIN, deadline) == -1)
					return (-1);
				continue;
			}
			if (e == SSL_ERROR_WANT_WRITE) {
				if (e2e_wait_fd(c->fd, POLLOUT, deadline) ==
				    -1)
					return (-1);
				continue;
			}
			ERR_clear_error();
			c->eof = 1;
			continue;
		}
		if ((n = recv(c->fd, c->in + c->nin, room, 0)) > 0) {
			c->nin += n;
			return (0);
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (e2e_wait_fd(c->fd, POLLIN, deadline) == -1)
				return (-1);
			continue;
		}
		c->eof = 1;
	}
}

/*
 * Read one response: the bytes up to and including CR, and a LF that
 * follows within lf_wait_ms.  Returns the length, or -1 with errno set.
 */
ssize_t
e2e_recv(struct e2e_conn *c, char *out, size_t outlen, int timeout_ms,
    int lf_wait_ms)
{
	long long	 deadline = e2e_now_ms() + timeout_ms;
	char		*cr;
	size_t		 len;

	for (;;) {
		while (c->nin > 0 && c->in[0] == '\n')
			memmove(c->in, c->in + 1, --c->nin);
		if ((cr = memchr(c->in, '\r', c->nin)) != NULL)
			break;
		if (e2e_fill(c, deadline) == -1)
			return (-1);
	}
	len = cr - c->in + 1;
	if (len == c->nin && lf_wait_ms > 0)
		(void)e2e_fill(c, e2e_now_ms() + lf_wait_ms);
	if (len < c->nin && c->in[len] == '\n')
		len++;
	if (len > outlen) {
		errno = EMSGSIZE;
		return (-1);
	}
	memcpy(out, c->in, len);
	memmove(c->in, c->in + len, c->nin - len);
	c->nin -= len;
	return ((ssize_t)len);
}

/* Wait for the peer to close; 0 when it did, -1 on data or time-out. */
int
e2e_wait_closed(struct e2e_conn *c, int timeout_ms)
{
	long long	 deadline = e2e_now_ms() + timeout_ms;

	while (c->nin == 0) {
		if (e2e_fill(c, deadline) == -1)
			return (errno == ECONNRESET ? 0 : -1);
	}
	fprintf(stderr, "e2e: expected the connection to close, got \"%.*s\"\n",
	    (int)(c->nin > 80 ? 80 : c->nin), c->in);
	return (-1);
}

/*
 * Make a request with a date, what a terminal normally sends in the other
 * fixed fields, and the variable fields given as id, value pairs ending
 * with NULL.
 */
struct sip2_msg *
e2e_req(int code, ...)
{
	static const struct {
		enum sip2_fx	 fx;
		const char	*value;
	} defaults[] = {
		{ SIP2_FX_UID_ALGO, "0" },
		{ SIP2_FX_PWD_ALGO, "0" },
		{ SIP2_FX_STATUS_CODE, "0" },
		{ SIP2_FX_MAX_PRINT_WIDTH, "080" },
		{ SIP2_FX_PROTOCOL_VERSION, "2.00" },
		{ SIP2_FX_LANGUAGE, "001" },
		{ SIP2_FX_SC_RENEWAL_POLICY, "N" },
		{ SIP2_FX_NO_BLOCK, "N" },
		{ SIP2_FX_CARD_RETAINED, "N" },
		{ SIP2_FX_FEE_TYPE, "01" },
		{ SIP2_FX_PAYMENT_TYPE, "00" },
		{ SIP2_FX_CURRENCY, "USD" },
		{ SIP2_FX_HOLD_MODE, "+" },
		{ SIP2_FX_THIRD_PARTY, "N" },
	};
	struct sip2_msg	*m;
	const char	*id, *value;
	char		 date[19];
	va_list		 ap;
	size_t		 i;

	if ((m = sip2_msg_new(code)) == NULL)
		return (NULL);
	sip2_date_format(time(NULL), 0, date);
	(void)sip2_msg_set_fixed(m, SIP2_FX_DATE, date);
	(void)sip2_msg_set_fixed(m, SIP2_FX_RETURN_DATE, date);
	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		(void)sip2_msg_set_fixed(m, defaults[i].fx, defaults[i].value);
	va_start(ap, code);
	while ((id = va_arg(ap, const char *)) != NULL) {
		value = va_arg(ap, const char *);
		if (sip2_msg_add_field(m, id, value) == -1) {
			sip2_msg_free(m);
			m = NULL;
			break;
		}
	}
	va_end(ap);
	return (m);
}

/* Encode a message: seq -1 means no AY/AZ trailer.  Returns length. */
ssize_t
e2e_build(struct sip2_msg *m, int seq, enum sip2_term term, char *out,
    size_t outlen)
{
	struct sip2_wire	 wire;

	wire.charset = SIP2_CS_UTF8;
	wire.term = term;
	wire.delim = '|';
	wire.checksums = seq >= 0;
	if (seq >= 0)
		sip2_msg_set_seq(m, seq);
	return (sip2_build(m, &wire, out, outlen));
}

/* Parse a response as read, terminator included; NULL if it does not. */
struct sip2_msg *
e2e_parse(const char *raw, size_t len)
{
	struct sip2_wire	 wire;
	struct sip2_msg		*m;
	enum sip2_err		 err;

	while (len > 0 && (raw[len - 1] == '\r' || raw[len - 1] == '\n'))
		len--;
	wire.charset = SIP2_CS_UTF8;
	wire.term = SIP2_TERM_CR;
	wire.delim = '|';
	wire.checksums = 0;
	if ((m = sip2_parse(raw, len, &wire, &err)) == NULL)
		fprintf(stderr, "e2e: cannot parse \"%.*s\": %s\n",
		    (int)(len > 200 ? 200 : len), raw, sip2_strerror(err));
	return (m);
}

/*
 * Send a request (freed here) with seq (-1: none) and CR, and parse the
 * response; its raw bytes go to raw (of *rawlen bytes) when given.
 */
struct sip2_msg *
e2e_exchange(struct e2e_conn *c, struct sip2_msg *m, int seq, char *raw,
    size_t *rawlen)
{
	char		 out[SIP2_BUILD_MAX], in[E2E_RESP_MAX];
	ssize_t		 n;

	if (m == NULL) {
		fprintf(stderr, "e2e: no request to send\n");
		return (NULL);
	}
	n = e2e_build(m, seq, SIP2_TERM_CR, out, sizeof(out));
	sip2_msg_free(m);
	if (n <= 0) {
		fprintf(stderr, "e2e: cannot build the request\n");
		return (NULL);
	}
	if (e2e_send(c, out, n) == -1) {
		fprintf(stderr, "e2e: send: %s\n", strerror(errno));
		return (NULL);
	}
	if ((n = e2e_recv(c, in, sizeof(in), 5000, 0)) == -1) {
		fprintf(stderr, "e2e: no answer to a %02d: %s\n",
		    atoi(out) % 100, strerror(errno));
		return (NULL);
	}
	if (raw != NULL && rawlen != NULL) {
		if ((size_t)n > *rawlen)
			return (NULL);
		memcpy(raw, in, n);
		*rawlen = n;
	}
	return (e2e_parse(in, n));
}

/* Log in with 93; returns 1 if accepted, 0 if refused, -1 on failure. */
int
e2e_login(struct e2e_conn *c, const char *login, const char *password)
{
	struct sip2_msg	*r;
	int		 ok;

	r = e2e_exchange(c, e2e_req(SIP2_LOGIN, "CN", login, "CO", password,
	    NULL), 0, NULL, NULL);
	if (r == NULL)
		return (-1);
	if (sip2_msg_code(r) != SIP2_LOGIN_RESP) {
		fprintf(stderr, "e2e: login answered with %02d\n",
		    sip2_msg_code(r));
		sip2_msg_free(r);
		return (-1);
	}
	ok = strcmp(e2e_fixed(r, SIP2_FX_OK), "1") == 0;
	sip2_msg_free(r);
	return (ok);
}

/*
 * Ask 98 as a terminal until the online flag is want, on one session
 * while it lasts and on a new one when it fails; -1 after timeout_ms.
 */
int
e2e_wait_online(const struct e2e_env *env, size_t listener,
    const char *login, const char *password, char want, int timeout_ms)
{
	struct e2e_conn	*c = NULL;
	struct sip2_msg	*r;
	long long	 deadline = e2e_now_ms() + timeout_ms;
	char		 online;

	for (;;) {
		online = '?';
		if (c == NULL && (c = e2e_gw_connect(env, listener, NULL,
		    NULL)) != NULL && e2e_login(c, login, password) != 1) {
			e2e_close(c);
			c = NULL;
		}
		if (c != NULL && (r = e2e_exchange(c, e2e_req(SIP2_SC_STATUS,
		    NULL), -1, NULL, NULL)) != NULL) {
			online = e2e_fixed(r, SIP2_FX_ONLINE)[0];
			sip2_msg_free(r);
		} else {
			e2e_close(c);
			c = NULL;
		}
		if (online == want || e2e_now_ms() > deadline)
			break;
		e2e_sleep_ms(50);
	}
	e2e_close(c);
	return (online == want ? 0 : -1);
}

/* Return how many fields with an id begin with a value (NULL: any). */
int
e2e_fields_with(const struct sip2_msg *m, const char *id, const char *value)
{
	const char	*fid, *v;
	size_t		 i;
	int		 n = 0;

	for (i = 0; i < sip2_msg_nfields(m); i++) {
		v = sip2_msg_field_at(m, i, &fid);
		if (strcmp(fid, id) == 0 && (value == NULL ||
		    strncmp(v, value, strlen(value)) == 0))
			n++;
	}
	return (n);
}

/* Return a field's value or "" (never NULL), for assertions. */
const char *
e2e_field(const struct sip2_msg *m, const char *id)
{
	const char	*v = m != NULL ? sip2_msg_field(m, id) : NULL;

	return (v != NULL ? v : "");
}

/* Return a fixed field's value or "" (never NULL). */
const char *
e2e_fixed(const struct sip2_msg *m, enum sip2_fx fx)
{
	const char	*v = m != NULL ? sip2_msg_fixed(m, fx) : NULL;

	return (v != NULL ? v : "");
}

/* Connect to a listener and log in as a terminal; fails the test if not. */
struct e2e_conn *
e2e_session(const struct e2e_env *env, size_t listener, const char *login,
    const char *password)
{
	struct e2e_conn	*c;

	c = e2e_gw_connect(env, listener, NULL, NULL);
	assert_non_null(c);
	assert_int_equal(e2e_login(c, login, password), 1);
	return (c);
}

/* Send a request without a checksum and return the parsed answer. */
struct sip2_msg *
e2e_ask(struct e2e_conn *c, struct sip2_msg *req)
{
	return (e2e_exchange(c, req, -1, NULL, NULL));
}

/* One request on a session of its own; returns the answer. */
struct sip2_msg *
e2e_session_ask(const struct e2e_env *env, size_t listener,
    const char *login, const char *password, struct sip2_msg *req)
{
	struct e2e_conn	*c;
	struct sip2_msg	*r;

	c = e2e_session(env, listener, login, password);
	r = e2e_ask(c, req);
	e2e_close(c);
	return (r);
}

/*
 * Return how many messages of a SIP2 code an ILS has counted, from its
 * stats answer ("ok 11=3 12=3 ... bad=0 conns=2"): requests for a request
 * code, responses for a response code.
 */
long
e2e_ils_received(const struct e2e_ils *ils, int code)
{
	char	 key[16];

	snprintf(key, sizeof(key), "%02d", code);
	return (e2e_ils_stat(ils, "stats", key));
}

/* One counter of an ILS's control answer; see e2e.h. */
long
e2e_ils_stat(const struct e2e_ils *ils, const char *command, const char *name)
{
	char		 ans[E2E_ANSWER_MAX], key[64];
	const char	*s;

	e2e_ctl(ils, command, ans, sizeof(ans));
	snprintf(key, sizeof(key), " %s=", name);
	if ((s = strstr(ans, key)) == NULL)
		return (0);
	return (strtol(s + strlen(key), NULL, 10));
}

/* One line to the gateway's control socket; see e2e.h. */
int
e2e_gw_control(const struct e2e_env *env, const char *line, char *ans,
    size_t len)
{
	struct sockaddr_un	 sun;
	size_t			 got = 0;
	ssize_t			 n;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path),
	    "%s/state/circlinkd.sock", env->dir) >= sizeof(sun.sun_path) ||
	    (fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1) {
		fprintf(stderr, "e2e: control socket: %s\n", strerror(errno));
		return (-1);
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    write(fd, line, strlen(line)) != (ssize_t)strlen(line) ||
	    write(fd, "\n", 1) != 1) {
		fprintf(stderr, "e2e: control socket: %s\n", strerror(errno));
		close(fd);
		return (-1);
	}
	while (got + 1 < len && (n = read(fd, ans + got, len - 1 - got)) > 0)
		got += (size_t)n;
	ans[got] = '\0';
	close(fd);
	return (0);
}

/* A gateway control command answered "ok".  See e2e.h. */
void
e2e_gw_ok(const struct e2e_env *env, const char *line, char *ans,
    size_t len)
{
	if (e2e_gw_control(env, line, ans, len) == -1)
		fail_msg("control \"%s\" failed", line);
	if (strncmp(ans, "ok", 2) != 0)
		fail_msg("control \"%s\": %s", line, ans);
}

/* Send a control command that must succeed; the answer goes to ans. */
void
e2e_ctl(const struct e2e_ils *ils, const char *cmd, char *ans, size_t len)
{
	char	 buf[E2E_ANSWER_MAX];

	if (ans == NULL) {
		ans = buf;
		len = sizeof(buf);
	}
	if (e2e_ils_ctl(ils, cmd, ans, len) == -1)
		fail_msg("%s ILS: \"%s\" answered \"%s\"", ils->name, cmd, ans);
}

/* Put the ILS's one-line account of an item or a patron in ans. */
void
e2e_ils_show(const struct e2e_ils *ils, const char *what,
    const char *barcode, char *ans, size_t len)
{
	char	 cmd[128];

	snprintf(cmd, sizeof(cmd), "%s %s", what, barcode);
	e2e_ctl(ils, cmd, ans, len);
}

/* Fail unless the ILS's account of an item or a patron holds the text. */
void
e2e_ils_has(const struct e2e_ils *ils, const char *what, const char *barcode,
    const char *fmt, ...)
{
	char	 ans[E2E_ANSWER_MAX], want[256];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	e2e_ils_show(ils, what, barcode, ans, sizeof(ans));
	if (strstr(ans, want) == NULL)
		fail_msg("%s ILS: %s %s is \"%.400s\", without \"%s\"",
		    ils->name, what, barcode, ans, want);
}

/*
 * Ask 98 once: 1 when it says the partner is offline, which it must then
 * also say in the screen message, naming the partner; 0 while it says
 * online, after a pause before the next question; past the deadline, the
 * test fails.
 */
int
e2e_reported_offline(struct e2e_conn *c, const char *name,
    long long deadline)
{
	struct sip2_msg	*r;
	int		 offline;

	r = e2e_ask(c, e2e_req(SIP2_SC_STATUS, NULL));
	assert_code(r, SIP2_ACS_STATUS);
	offline = e2e_fixed(r, SIP2_FX_ONLINE)[0] == 'N';
	if (offline) {
		assert_string_equal(e2e_fixed(r, SIP2_FX_CHECKOUT_OK), "N");
		assert_contains(e2e_field(r, "AF"), name);
	}
	sip2_msg_free(r);
	if (!offline) {
		if (e2e_now_ms() > deadline)
			fail_msg("98 still says %s is online after its ILS "
			    "went down", name);
		e2e_sleep_ms(50);
	}
	return (offline);
}

/*
 * Return 1 if text holds the digits of a PIN or a patron id as a number
 * of its own, not as one of the logger's counters (us=, ms=, txn=, xid=)
 * nor as part of a longer number.
 */
static int
e2e_has_number(const char *text, const char *pin)
{
	const char	*s;
	size_t		 n = strlen(pin);

	for (s = text; (s = strstr(s, pin)) != NULL; s++) {
		if (s > text && s[-1] >= '0' && s[-1] <= '9')
			continue;
		if (s[n] >= '0' && s[n] <= '9')
			continue;
		if (s - text >= 3 && (strncmp(s - 3, "us=", 3) == 0 ||
		    strncmp(s - 3, "ms=", 3) == 0))
			continue;
		if (s - text >= 4 && (strncmp(s - 4, "txn=", 4) == 0 ||
		    strncmp(s - 4, "xid=", 4) == 0))
			continue;
		return (1);
	}
	return (0);
}

/*
 * Fail if a log holds a secret, a PIN as a number of its own, or a patron
 * id on the same line as a title.  Lists end with NULL; NULL skips one.
 */
void
e2e_assert_private(const char *log, const char *const secrets[],
    const char *const pins[], const char *const patrons[],
    const char *const titles[])
{
	char	*text, *line, *next;
	size_t	 i, j;

	for (i = 0; secrets != NULL && secrets[i] != NULL; i++)
		if (strstr(log, secrets[i]) != NULL)
			fail_msg("the log holds \"%s\"", secrets[i]);
	for (i = 0; pins != NULL && pins[i] != NULL; i++)
		if (e2e_has_number(log, pins[i]))
			fail_msg("the log holds the PIN %s", pins[i]);
	if (patrons == NULL || titles == NULL)
		return;

	/* A copy, cut into lines. */
	assert_non_null(text = strdup(log));
	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		for (i = 0; patrons[i] != NULL; i++) {
			/* As a number of its own: a date and counts can spell
			 * one by chance. */
			if (!e2e_has_number(line, patrons[i]))
				continue;
			for (j = 0; titles[j] != NULL; j++)
				if (strstr(line, titles[j]) != NULL)
					fail_msg("a patron next to a title: "
					    "%.300s", line);
		}
	}
	free(text);
}

/* Run circlinkctl on a control socket.  See e2e.h. */
int
e2e_circlinkctl(const char *ctl_path, const char *sock_path,
    const char *input, char *out, size_t outlen, va_list ap)
{
	const char	*argv[12];
	int		 in[2], res[2], status, n = 0;
	size_t		 len = 0;
	ssize_t		 r;
	pid_t		 pid;
	long long	 deadline = e2e_now_ms() + 10000;
	struct pollfd	 pfd;

	argv[n++] = ctl_path;
	argv[n++] = "-s";
	argv[n++] = sock_path;
	while (n < 11 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	argv[n] = NULL;

	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(res), 0);
	if ((pid = fork()) == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(res[1], STDOUT_FILENO);
		dup2(res[1], STDERR_FILENO);
		close(in[1]);
		close(res[0]);
		execv(ctl_path, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	assert_true(pid > 0);
	close(in[0]);
	close(res[1]);
	if (input != NULL && write(in[1], input, strlen(input)) == -1)
		fail_msg("write to circlinkctl: %s", strerror(errno));
	close(in[1]);
	pfd.fd = res[0];
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, 100) == 0) {
			if (e2e_now_ms() > deadline) {
				kill(pid, SIGKILL);
				fail_msg("circlinkctl did not end");
			}
			continue;
		}
		r = read(res[0], out + len, outlen - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == outlen - 1)
			break;
	}
	out[len] = '\0';
	close(res[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return (WEXITSTATUS(status));
}
