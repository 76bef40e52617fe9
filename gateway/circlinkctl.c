/* SPDX-License-Identifier: ISC */
/*
 * circlinkctl: the administrator's tool.  It hashes passwords for the
 * configuration, and asks the running daemon over its control socket for
 * its status or to reload.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "circlinkd.h"
#include "control.h"

/* Exit statuses, as circlinkctl(8) lists them. */
#define CTL_EXIT_OK		0
#define CTL_EXIT_FAILED		1	/* the command failed */
#define CTL_EXIT_USAGE		2
#define CTL_EXIT_NO_DAEMON	3	/* no daemon answers */

#define CTL_PASSWORD_MAX	1024

static struct termios		 saved_tio;
static volatile sig_atomic_t	 echo_off;

static void	 usage(FILE *);
static void	 ctl_restore(int);
static int	 ctl_echo(int);
static int	 ctl_read_line(const char *, char *, size_t);
static int	 ctl_hash_password(int, char **);
static int	 ctl_daemon(int, char **);
static int	 ctl_agreement(int, char **);
static int	 ctl_backup(int, char **);
static int	 ctl_ask(int, char **, const char *);
static int	 ctl_connect(void);
static int	 ctl_send(int, const char *);
static int	 ctl_link(int, char **);
static int	 ctl_import(int, char **);
static int	 ctl_import_run(int, FILE *, const char *);
static int	 ctl_import_lines(char *, size_t *, int *, long *);
static long	 ctl_import_bad(char *);

static const char	*ctl_conf_path = CIRCLINKD_CONF;
static const char	*ctl_socket_path;

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
} ctl_commands[] = {
	{ "hash-password", ctl_hash_password },
	{ "status", ctl_daemon },
	{ "reload", ctl_daemon },
	{ "agreement", ctl_agreement },
	{ "link", ctl_link },
	{ "unlink", ctl_daemon },
	{ "backup", ctl_backup },
	{ "request", ctl_daemon },
	{ "register", ctl_daemon },
	{ "prefs", ctl_daemon },
	{ "outbox", ctl_daemon },
	{ NULL, NULL }
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: circlinkctl [-h] [-f file | -s socket] command\n"
	    "commands:\n"
	    "  hash-password  read a password on standard input and print\n"
	    "                 its hash for a terminal's \"password-hash\"\n"
	    "  status         the daemon's partners, backends and sessions\n"
	    "  reload         make the daemon read its configuration again\n"
	    "  agreement accept|revoke PARTNER OTHER\n"
	    "                 as PARTNER's administrator (password on\n"
	    "                 standard input), give or take back its\n"
	    "                 acceptance of the agreement with OTHER\n"
	    "  link add PARTNER BARCODE OTHER BARCODE\n"
	    "                 the two accounts are one person's\n"
	    "  link show PARTNER BARCODE\n"
	    "                 that person's linked accounts, masked\n"
	    "  link import [-n] FILE\n"
	    "                 link the accounts of each row of a CSV file\n"
	    "                 (-n: only say what would be done)\n"
	    "  unlink PARTNER BARCODE\n"
	    "                 the account leaves its person\n"
	    "  backup PATH    a consistent copy of the identity store\n"
	    "  request list [PARTNER]\n"
	    "                 holds tracked across partners, masked\n"
	    "  request show ID\n"
	    "  request cancel ID [REASON]\n"
	    "  register PARTNER BARCODE\n"
	    "                 linked accounts for that patron wherever the\n"
	    "                 agreements allow\n"
	    "  prefs set PARTNER BARCODE key=value...\n"
	    "                 channels=, events=, pickup=, kept on the\n"
	    "                 person and pushed to its linked accounts\n"
	    "  prefs show PARTNER BARCODE\n"
	    "  outbox [retry|drop ID]\n"
	    "                 the calls owed to partners, or one of them\n"
	    "                 tried now or forgotten\n");
}

/* Put the terminal back as it was when a signal ends us mid-prompt. */
static void
ctl_restore(int sig)
{
	if (echo_off)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Turn echo on the terminal off (on == 0) or back on. */
static int
ctl_echo(int on)
{
	struct termios		 tio;
	struct sigaction	 sa;
	static const int	 sigs[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP };
	size_t			 i;

	if (on) {
		if (!echo_off)
			return (0);
		echo_off = 0;
		return (tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio));
	}
	if (tcgetattr(STDIN_FILENO, &saved_tio) == -1)
		return (-1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ctl_restore;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	tio = saved_tio;
	tio.c_lflag &= ~(ECHO | ECHONL);
	tio.c_lflag |= ICANON;
	echo_off = 1;
	return (tcsetattr(STDIN_FILENO, TCSAFLUSH, &tio));
}

/*
 * Read one line from standard input a byte at a time, so that no stdio
 * buffer keeps a copy of the password.  Returns 0, or -1 with a message
 * printed.
 */
static int
ctl_read_line(const char *prompt, char *buf, size_t size)
{
	size_t	 len = 0;
	ssize_t	 n;
	char	 c;

	if (prompt != NULL)
		fprintf(stderr, "%s", prompt);
	for (;;) {
		n = read(STDIN_FILENO, &c, 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			fprintf(stderr, "circlinkctl: standard input: %s\n",
			    strerror(errno));
			return (-1);
		}
		if (n == 0 || c == '\n')
			break;
		if (c == '\0') {
			fprintf(stderr, "circlinkctl: the password holds a "
			    "NUL byte\n");
			return (-1);
		}
		if (len + 1 >= size) {
			fprintf(stderr, "circlinkctl: the password is longer "
			    "than %zu bytes\n", size - 1);
			return (-1);
		}
		buf[len++] = c;
	}
	if (prompt != NULL)
		fprintf(stderr, "\n");
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (len == 0) {
		fprintf(stderr, "circlinkctl: empty password\n");
		return (-1);
	}
	return (0);
}

/*
 * hash-password: on a terminal, ask twice without echo; from a pipe, take
 * the first line.  Print the hash on standard output.
 */
static int
ctl_hash_password(int argc, char **argv)
{
	char	 pw[CTL_PASSWORD_MAX + 1], again[CTL_PASSWORD_MAX + 1];
	char	*hash = NULL;
	int	 tty, rc = 1;

	if (argc != 1) {
		usage(stderr);
		return (2);
	}
	tty = isatty(STDIN_FILENO);
	if (tty && ctl_echo(0) == -1) {
		fprintf(stderr, "circlinkctl: cannot turn echo off: %s\n",
		    strerror(errno));
		return (1);
	}
	if (ctl_read_line(tty ? "Password: " : NULL, pw, sizeof(pw)) == -1)
		goto done;
	if (tty) {
		if (ctl_read_line("Repeat password: ", again,
		    sizeof(again)) == -1)
			goto done;
		if (strcmp(pw, again) != 0) {
			fprintf(stderr, "circlinkctl: the passwords differ\n");
			goto done;
		}
	}
	if ((hash = auth_hash_password(pw)) == NULL) {
		fprintf(stderr, "circlinkctl: cannot hash the password\n");
		goto done;
	}
	if (printf("%s\n", hash) < 0 || fflush(stdout) == EOF) {
		fprintf(stderr, "circlinkctl: standard output: %s\n",
		    strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (tty)
		ctl_echo(1);
	OPENSSL_cleanse(pw, sizeof(pw));
	OPENSSL_cleanse(again, sizeof(again));
	free(hash);
	return (rc);
}

/*
 * Connect to the daemon's control socket: the one -s names, or the one in
 * the state directory of the configuration.  Returns the socket, or -1
 * with a message printed.
 */
static int
ctl_connect(void)
{
	struct sockaddr_un	 sun;
	struct conf		*conf = NULL;
	char			 err[1024];
	int			 fd, n;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (ctl_socket_path != NULL)
		n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
		    ctl_socket_path);
	else {
		if ((conf = conf_load(ctl_conf_path, err, sizeof(err))) ==
		    NULL) {
			fprintf(stderr, "circlinkctl: %s\n", err);
			return (-1);
		}
		n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s",
		    conf->state_dir, CONTROL_SOCKET);
		conf_free(conf);
	}
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path)) {
		fprintf(stderr, "circlinkctl: the socket's path is too "
		    "long\n");
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "circlinkctl: %s: %s (is circlinkd "
		    "running?)\n", sun.sun_path, strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	return (fd);
}

/* Write all of s and a newline to fd; -1 with a message printed. */
static int
ctl_send(int fd, const char *s)
{
	size_t	 len = strlen(s), off = 0;
	ssize_t	 n;

	while (off <= len) {
		if (off == len)
			n = write(fd, "\n", 1);
		else
			n = write(fd, s + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			fprintf(stderr, "circlinkctl: control socket: %s\n",
			    strerror(errno));
			return (-1);
		}
		off += (size_t)n;
	}
	return (0);
}

/* A command the daemon carries out with no credential. */
static int
ctl_daemon(int argc, char **argv)
{
	return (ctl_ask(argc, argv, NULL));
}

/*
 * agreement accept|revoke PARTNER OTHER: the partner's administrator
 * password, asked without echo on a terminal, else the first line of
 * standard input, goes to the daemon on a line of its own.
 */
static int
ctl_agreement(int argc, char **argv)
{
	char	 pw[CTL_PASSWORD_MAX + 1], prompt[128];
	int	 tty, rc;

	if (argc != 4 || (strcmp(argv[1], "accept") != 0 &&
	    strcmp(argv[1], "revoke") != 0)) {
		usage(stderr);
		return (CTL_EXIT_USAGE);
	}
	tty = isatty(STDIN_FILENO);
	if (tty && ctl_echo(0) == -1) {
		fprintf(stderr, "circlinkctl: cannot turn echo off: %s\n",
		    strerror(errno));
		return (CTL_EXIT_FAILED);
	}
	snprintf(prompt, sizeof(prompt), "%.64s administrator password: ",
	    argv[2]);
	rc = ctl_read_line(tty ? prompt : NULL, pw, sizeof(pw));
	if (tty)
		ctl_echo(1);
	if (rc == 0)
		rc = ctl_ask(argc, argv, pw);
	else
		rc = CTL_EXIT_FAILED;
	OPENSSL_cleanse(pw, sizeof(pw));
	return (rc);
}

/* backup PATH: the daemon runs elsewhere, so the path goes absolute. */
static int
ctl_backup(int argc, char **argv)
{
	char	 cwd[2048], path[4096];
	char	*words[2];

	if (argc != 2) {
		usage(stderr);
		return (CTL_EXIT_USAGE);
	}
	if (argv[1][0] == '/')
		return (ctl_ask(argc, argv, NULL));
	if (getcwd(cwd, sizeof(cwd)) == NULL ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", cwd, argv[1]) >=
	    sizeof(path)) {
		fprintf(stderr, "circlinkctl: %s: cannot make the path "
		    "absolute\n", argv[1]);
		return (CTL_EXIT_FAILED);
	}
	words[0] = argv[0];
	words[1] = path;
	return (ctl_ask(2, words, NULL));
}

/* link: an import streams a file; the other link commands are words. */
static int
ctl_link(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "import") == 0)
		return (ctl_import(argc, argv));
	return (ctl_ask(argc, argv, NULL));
}

/*
 * link import [-n] FILE: the file ("-" for standard input) goes to the
 * daemon line by line, since the daemon's user need not be able to read
 * it; the report comes back meanwhile and goes to standard output.
 */
static int
ctl_import(int argc, char **argv)
{
	FILE		*fp;
	const char	*path;
	int		 dry = 0, fd, rc;

	if (argc == 4 && strcmp(argv[2], "-n") == 0)
		dry = 1;
	else if (argc != 3 || (argv[2][0] == '-' && argv[2][1] != '\0')) {
		usage(stderr);
		return (CTL_EXIT_USAGE);
	}
	path = argv[argc - 1];
	if (strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "circlinkctl: %s: %s\n", path,
		    strerror(errno));
		return (CTL_EXIT_FAILED);
	}
	if ((fd = ctl_connect()) == -1) {
		if (fp != stdin)
			fclose(fp);
		return (CTL_EXIT_NO_DAEMON);
	}
	/* The daemon may refuse the header and close while we write. */
	signal(SIGPIPE, SIG_IGN);
	rc = ctl_send(fd, dry ? "link import dry-run" : "link import");
	if (rc == 0)
		rc = ctl_import_run(fd, fp, path);
	else
		rc = CTL_EXIT_FAILED;
	close(fd);
	if (fp != stdin)
		fclose(fp);
	return (rc);
}

/*
 * Send the file's lines while reading the daemon's answer, so that
 * neither side waits on the other.  Returns an exit status: 0 when every
 * row was linked or already linked.
 */
static int
ctl_import_run(int fd, FILE *fp, const char *path)
{
	struct pollfd	 pfd;
	char		*line = NULL, out[IMPORT_LINE_MAX + 64];
	char		 in[8192];
	size_t		 cap = 0, olen = 0, ooff = 0, ilen = 0;
	ssize_t		 n, len;
	long		 bad = -1;
	int		 first = 1, sent = 0, status = CTL_EXIT_FAILED;

	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		return (CTL_EXIT_FAILED);
	for (;;) {
		/* The next line to send, when the last is out. */
		if (!sent && ooff == olen) {
			ooff = 0;
			if ((len = getline(&line, &cap, fp)) == -1) {
				if (ferror(fp)) {
					fprintf(stderr, "circlinkctl: %s: "
					    "%s\n", path, strerror(errno));
					break;
				}
				olen = (size_t)snprintf(out, sizeof(out),
				    "%s\n", IMPORT_END);
				sent = 1;
			} else {
				if (len > 0 && line[len - 1] == '\n')
					line[--len] = '\0';
				if (memchr(line, '\0', (size_t)len) != NULL)
					olen = (size_t)snprintf(out,
					    sizeof(out), "%cnul-byte\n",
					    IMPORT_BAD);
				else if (len > IMPORT_LINE_MAX)
					olen = (size_t)snprintf(out,
					    sizeof(out), "%cline-too-long\n",
					    IMPORT_BAD);
				else
					olen = (size_t)snprintf(out,
					    sizeof(out), "%c%s\n", IMPORT_ROW,
					    line);
			}
		}
		pfd.fd = fd;
		pfd.events = POLLIN | (ooff < olen ? POLLOUT : 0);
		if (poll(&pfd, 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((pfd.revents & POLLOUT) && ooff < olen) {
			n = write(fd, out + ooff, olen - ooff);
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				olen = ooff = 0, sent = 1;
			else if (n > 0)
				ooff += (size_t)n;
		}
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(fd, in + ilen, sizeof(in) - 1 - ilen);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			break;
		ilen += (size_t)n;
		if (ctl_import_lines(in, &ilen, &first, &bad) == -1)
			break;
		/* A line too long for our buffer is no answer of ours. */
		if (ilen == sizeof(in) - 1)
			break;
	}
	free(line);
	if (first)
		fprintf(stderr, "circlinkctl: the daemon closed without an "
		    "answer\n");
	else if (bad == -1)
		fprintf(stderr, "circlinkctl: link import: the import ended "
		    "before its summary\n");
	else
		status = bad > 0 ? CTL_EXIT_FAILED : CTL_EXIT_OK;
	if (fflush(stdout) == EOF)
		status = CTL_EXIT_FAILED;
	return (status);
}

/*
 * The rows of a summary's "word count" pairs that came to no link: not
 * found, conflicting, excluded, in error.
 */
static long
ctl_import_bad(char *s)
{
	static const char *const trouble[] = { "not-found", "conflicting",
	    "excluded", "error", NULL };
	char	*word, *count;
	long	 sum = 0;
	int	 i;

	while ((word = strsep(&s, " ")) != NULL &&
	    (count = strsep(&s, " ")) != NULL)
		for (i = 0; trouble[i] != NULL; i++)
			if (strcmp(word, trouble[i]) == 0)
				sum += strtol(count, NULL, 10);
	return (sum);
}

/*
 * The whole lines of the answer in buf: the first says ok or why not,
 * the report goes to standard output, and the summary sets *bad to the
 * rows neither linked nor already linked.  -1 after an error answer.
 */
static int
ctl_import_lines(char *buf, size_t *len, int *first, long *bad)
{
	char	*nl, *p = buf;
	int	 ok = 1;

	buf[*len] = '\0';
	while ((nl = strchr(p, '\n')) != NULL) {
		*nl = '\0';
		if (*first) {
			*first = 0;
			if (strcmp(p, CONTROL_OK) != 0) {
				fprintf(stderr, "circlinkctl: link import: "
				    "%s\n", strncmp(p, CONTROL_ERROR,
				    strlen(CONTROL_ERROR)) == 0 ? p +
				    strlen(CONTROL_ERROR) : "the daemon "
				    "answered nonsense");
				ok = 0;
			}
		} else
			printf("%s\n", p);
		if (strncmp(p, "summary ", 8) == 0)
			*bad = ctl_import_bad(p + 8);
		p = nl + 1;
	}
	*len = strlen(p);
	memmove(buf, p, *len + 1);
	return (ok ? 0 : -1);
}

/*
 * Send a command's words as one line, and a credential on the next when
 * there is one; print the answer's detail on standard output and an error
 * on standard error.  Returns an exit status.
 */
static int
ctl_ask(int argc, char **argv, const char *secret)
{
	char	 line[CONTROL_LINE_MAX], buf[4096];
	size_t	 len = 0, n;
	int	 fd, i, first = 1, rc = CTL_EXIT_FAILED;
	FILE	*fp;

	for (i = 0; i < argc; i++) {
		n = strlen(argv[i]);
		if (strpbrk(argv[i], " \t\r\n") != NULL || n == 0 ||
		    len + n + 1 >= sizeof(line)) {
			fprintf(stderr, "circlinkctl: \"%s\": not a word\n",
			    argv[i]);
			return (CTL_EXIT_USAGE);
		}
		if (i > 0)
			line[len++] = ' ';
		memcpy(line + len, argv[i], n);
		len += n;
	}
	line[len] = '\0';
	if ((fd = ctl_connect()) == -1)
		return (CTL_EXIT_NO_DAEMON);
	if (ctl_send(fd, line) == -1 || (secret != NULL &&
	    ctl_send(fd, secret) == -1) || (fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return (CTL_EXIT_FAILED);
	}
	while (fgets(buf, sizeof(buf), fp) != NULL) {
		if (first) {
			first = 0;
			if (strcmp(buf, CONTROL_OK "\n") == 0) {
				rc = CTL_EXIT_OK;
				continue;
			}
			if (strncmp(buf, CONTROL_ERROR,
			    strlen(CONTROL_ERROR)) == 0) {
				fprintf(stderr, "circlinkctl: %s: %s", argv[0],
				    buf + strlen(CONTROL_ERROR));
				continue;
			}
			fprintf(stderr, "circlinkctl: the daemon answered "
			    "nonsense\n");
			break;
		}
		fputs(buf, rc == CTL_EXIT_OK ? stdout : stderr);
	}
	if (first)
		fprintf(stderr, "circlinkctl: the daemon closed without an "
		    "answer\n");
	fclose(fp);
	if (fflush(stdout) == EOF)
		rc = CTL_EXIT_FAILED;
	return (rc);
}

int
main(int argc, char *argv[])
{
	int	 ch, i, n;

	/* Options end at the command word: "link import -n" keeps its own. */
	for (n = 1; n < argc && argv[n][0] == '-'; n++)
		if (strcmp(argv[n], "--") == 0 || ((argv[n][1] == 'f' ||
		    argv[n][1] == 's') && argv[n][2] == '\0' && ++n >= argc))
			break;
	if (n < argc && strcmp(argv[n], "--") == 0)
		n++;
	while ((ch = getopt(n < argc ? n : argc, argv, "f:hs:")) != -1) {
		switch (ch) {
		case 'f':
			ctl_conf_path = optarg;
			break;
		case 's':
			ctl_socket_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return (0);
		default:
			usage(stderr);
			return (2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return (2);
	}

	for (i = 0; ctl_commands[i].name != NULL; i++)
		if (strcmp(ctl_commands[i].name, argv[0]) == 0)
			return (ctl_commands[i].fn(argc, argv));
	fprintf(stderr, "circlinkctl: unknown command \"%s\"\n", argv[0]);
	return (2);
}
