/* SPDX-License-Identifier: ISC */
/*
 * circlinkctl: the administrator's tool; for now it hashes terminal
 * passwords for the configuration.
 */

#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "circlinkd.h"

#define CTL_PASSWORD_MAX	1024

static struct termios		 saved_tio;
static volatile sig_atomic_t	 echo_off;

static void	 usage(FILE *);
static void	 ctl_restore(int);
static int	 ctl_echo(int);
static int	 ctl_read_line(const char *, char *, size_t);
static int	 ctl_hash_password(int, char **);

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
} ctl_commands[] = {
	{ "hash-password", ctl_hash_password },
	{ NULL, NULL }
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: circlinkctl [-h] command\n"
	    "commands:\n"
	    "  hash-password  read a password on standard input and print\n"
	    "                 its hash for a terminal's \"password-hash\"\n");
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

int
main(int argc, char *argv[])
{
	int	 ch, i;

	while ((ch = getopt(argc, argv, "h")) != -1) {
		switch (ch) {
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
