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
	{ "link", ctl_daemon },
	{ "unlink", ctl_daemon },
	{ "backup", ctl_backup },
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
	    "  unlink PARTNER BARCODE\n"
	    "                 the account leaves its person\n"
	    "  backup PATH    a consistent copy of the identity store\n"
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
	int	 ch, i;

	while ((ch = getopt(argc, argv, "f:hs:")) != -1) {
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
