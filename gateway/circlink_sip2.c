/* SPDX-License-Identifier: ISC */
/*
 * circlink-sip2: a command-line SIP2 client with which administrators try
 * a gateway or an ILS by hand or from a script.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "sip2.h"

#define EXIT_PROTO	1	/* connection or protocol trouble */
#define EXIT_USAGE	2
#define LINE_MAX_LEN	4096	/* one script line */
#define WORDS_MAX	128	/* words on one line */
#define DESCRIBE_MAX	16384
#define PIN_LEN		32	/* SHA-256 */

/* One message to send, as the user wrote it. */
struct request {
	struct sip2_msg	*msg;
	char		*where;		/* "file:line" or "command line" */
};

/* The connection: a socket, TLS on it or not, and what it has read. */
struct link {
	int		 fd;
	SSL		*ssl;
	char		 in[SIP2_MSG_MAX * 2];
	size_t		 nin;
	struct sip2_framer fr;
};

static struct {
	int		 tls;
	int		 insecure;
	const char	*cafile;
	unsigned char	 pin[PIN_LEN];
	int		 has_pin;
	const char	*login;
	char		*password;
	const char	*location;
	const char	*institution;
	struct sip2_wire wire;
	int		 raw;
	int		 timeout_ms;
	char		*host;
	char		*port;
} opt;

static void	usage(void) __attribute__((__noreturn__));

static void
usage(void)
{
	fprintf(stderr,
	    "usage: circlink-sip2 [-knrT] [-a cafile] [-c charset] "
	    "[-e cr|crlf|lf]\n"
	    "\t[-f scriptfile] [-i institution] [-l location] "
	    "[-p sha256-pin]\n"
	    "\t[-t timeout-ms] [-u login -w password | -u login -W passfile]\n"
	    "\thost:port [message [field=value ...]]\n");
	exit(EXIT_USAGE);
}

static void
warnx_(const char *fmt, ...)
{
	va_list	 ap;

	fputs("circlink-sip2: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
wipe(void *p, size_t len)
{
#ifdef HAVE_EXPLICIT_BZERO
	explicit_bzero(p, len);
#else
	volatile unsigned char *v = p;

	while (len-- > 0)
		*v++ = 0;
#endif
}

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static double
now_msf(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6);
}

/* Split "host:port" or "[v6]:port"; -1 when malformed. */
static int
split_hostport(const char *s, char **host, char **port)
{
	const char	*colon, *end;

	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL || end[1] != ':')
			return (-1);
		*host = strndup(s + 1, (size_t)(end - s - 1));
		colon = end + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL || colon == s)
			return (-1);
		*host = strndup(s, (size_t)(colon - s));
	}
	if (*host == NULL || colon[1] == '\0' ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return (-1);
	if ((*port = strdup(colon + 1)) == NULL)
		return (-1);
	return (0);
}

static int
parse_pin(const char *s, unsigned char *out)
{
	size_t	 n = 0;
	int	 hi, lo;

	while (*s != '\0') {
		if (*s == ':') {
			s++;
			continue;
		}
		if (n == PIN_LEN || !isxdigit((unsigned char)s[0]) ||
		    !isxdigit((unsigned char)s[1]))
			return (-1);
		hi = isdigit((unsigned char)s[0]) ? s[0] - '0' :
		    tolower((unsigned char)s[0]) - 'a' + 10;
		lo = isdigit((unsigned char)s[1]) ? s[1] - '0' :
		    tolower((unsigned char)s[1]) - 'a' + 10;
		out[n++] = (unsigned char)(hi << 4 | lo);
		s += 2;
	}
	return (n == PIN_LEN ? 0 : -1);
}

/* Read the password from the first line of a file only we can read. */
static int
read_passfile(const char *path)
{
	struct stat	 st;
	char		 line[1024];
	FILE		*fp;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1) {
		warnx_("%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		warnx_("%s: not a regular file", path);
		close(fd);
		return (-1);
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		warnx_("%s: group or others may read it; chmod 600 it", path);
		close(fd);
		return (-1);
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return (-1);
	}
	if (fgets(line, sizeof(line), fp) == NULL) {
		warnx_("%s: empty", path);
		fclose(fp);
		return (-1);
	}
	fclose(fp);
	line[strcspn(line, "\r\n")] = '\0';
	opt.password = strdup(line);
	wipe(line, sizeof(line));
	return (opt.password == NULL ? -1 : 0);
}

/* Fill the fixed fields a terminal fills when its user gives nothing. */
static void
msg_defaults(struct sip2_msg *m)
{
	static const struct {
		enum sip2_fx	 fx;
		const char	*value;
	} def[] = {
		{ SIP2_FX_UID_ALGO, "0" },
		{ SIP2_FX_PWD_ALGO, "0" },
		{ SIP2_FX_STATUS_CODE, "0" },
		{ SIP2_FX_MAX_PRINT_WIDTH, "080" },
		{ SIP2_FX_PROTOCOL_VERSION, "2.00" },
		{ SIP2_FX_LANGUAGE, "000" },
		{ SIP2_FX_SC_RENEWAL_POLICY, "Y" },
		{ SIP2_FX_NO_BLOCK, "N" },
		{ SIP2_FX_CARD_RETAINED, "N" },
		{ SIP2_FX_FEE_TYPE, "01" },
		{ SIP2_FX_PAYMENT_TYPE, "00" },
		{ SIP2_FX_CURRENCY, "USD" },
		{ SIP2_FX_HOLD_MODE, "+" },
		{ SIP2_FX_THIRD_PARTY, "N" },
	};
	char	 date[19];
	size_t	 i;

	sip2_date_format(time(NULL), 0, date);
	(void)sip2_msg_set_fixed(m, SIP2_FX_DATE, date);
	(void)sip2_msg_set_fixed(m, SIP2_FX_RETURN_DATE, date);
	/* Every other fixed field the message lacks is refused quietly. */
	for (i = 0; i < sizeof(def) / sizeof(def[0]); i++)
		(void)sip2_msg_set_fixed(m, def[i].fx, def[i].value);
}

static int
is_field_id(const char *s)
{
	return (strlen(s) == 2 &&
	    (isupper((unsigned char)s[0]) || isdigit((unsigned char)s[0])) &&
	    (isupper((unsigned char)s[1]) || isdigit((unsigned char)s[1])));
}

static size_t
fixed_width(const struct sip2_spec *spec, int fx)
{
	size_t	 i;

	for (i = 0; i < spec->nfixed; i++)
		if ((int)spec->fixed[i].fx == fx)
			return (spec->fixed[i].width);
	return (0);
}

/* Apply one "field=value" word; -1 with a message in err. */
static int
msg_word(struct sip2_msg *m, const char *word, char *err, size_t errlen)
{
	const struct sip2_spec	*spec = sip2_msg_spec(m);
	const char		*eq, *value;
	char			 key[64];
	size_t			 width;
	int			 fx;

	if ((eq = strchr(word, '=')) == NULL || eq == word ||
	    (size_t)(eq - word) >= sizeof(key)) {
		snprintf(err, errlen, "\"%.40s\" is not field=value", word);
		return (-1);
	}
	memcpy(key, word, (size_t)(eq - word));
	key[eq - word] = '\0';
	value = eq + 1;

	if (is_field_id(key)) {
		if (strcmp(key, "AY") == 0 || strcmp(key, "AZ") == 0) {
			snprintf(err, errlen, "%s is the trailer, made for "
			    "you (see -n)", key);
			return (-1);
		}
		if (strlen(value) > SIP2_FIELD_MAX)
			fprintf(stderr, "circlink-sip2: warning: %s cut at %d "
			    "bytes\n", key, SIP2_FIELD_MAX);
		if (sip2_msg_add_field(m, key, value) == -1) {
			snprintf(err, errlen, "out of memory");
			return (-1);
		}
		return (0);
	}
	if ((fx = sip2_fx_from_name(key)) == -1 ||
	    (width = fixed_width(spec, fx)) == 0) {
		snprintf(err, errlen, "%s has no field \"%s\"", spec->name,
		    key);
		return (-1);
	}
	if (strlen(value) > width) {
		snprintf(err, errlen, "%s is %zu character%s wide", key, width,
		    width == 1 ? "" : "s");
		return (-1);
	}
	if (sip2_msg_set_fixed(m, (enum sip2_fx)fx, value) == -1) {
		snprintf(err, errlen, "%s has no field \"%s\"", spec->name,
		    key);
		return (-1);
	}
	return (0);
}

static int
spec_requires(const struct sip2_spec *spec, const char *id)
{
	const char	*r;

	for (r = spec->required; r != NULL && r[0] != '\0' && r[1] != '\0';
	    r += 2)
		if (r[0] == id[0] && r[1] == id[1])
			return (1);
	return (0);
}

/*
 * Make a message from its name and field=value words.  AO comes from -i,
 * or is sent empty where it is required; so is AC, and AP from -l.
 */
static struct sip2_msg *
msg_from_words(char **words, int nwords, char *err, size_t errlen)
{
	const struct sip2_spec	*spec;
	struct sip2_msg		*m;
	const char		*r;
	char			 id[3];
	int			 i;

	if ((spec = sip2_spec_by_name(words[0])) == NULL) {
		snprintf(err, errlen, "unknown message \"%.40s\"", words[0]);
		return (NULL);
	}
	if ((m = sip2_msg_new(spec->code)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	msg_defaults(m);
	for (i = 1; i < nwords; i++)
		if (msg_word(m, words[i], err, errlen) == -1)
			goto fail;

	if (sip2_msg_field(m, "AO") == NULL &&
	    (opt.institution != NULL || spec_requires(spec, "AO")) &&
	    sip2_msg_add_field(m, "AO", opt.institution != NULL ?
	    opt.institution : "") == -1)
		goto nomem;
	if (sip2_msg_field(m, "AP") == NULL && spec_requires(spec, "AP") &&
	    sip2_msg_add_field(m, "AP", opt.location != NULL ?
	    opt.location : "") == -1)
		goto nomem;
	if (sip2_msg_field(m, "AC") == NULL && spec_requires(spec, "AC") &&
	    sip2_msg_add_field(m, "AC", "") == -1)
		goto nomem;

	/* Sent anyway: trying a server with an incomplete message is fair. */
	for (r = spec->required; r != NULL && r[0] != '\0' && r[1] != '\0';
	    r += 2) {
		id[0] = r[0];
		id[1] = r[1];
		id[2] = '\0';
		if (sip2_msg_field(m, id) == NULL)
			fprintf(stderr, "circlink-sip2: warning: %s without "
			    "%s (%s)\n", spec->name, id,
			    sip2_field_name(id) != NULL ?
			    sip2_field_name(id) : "required");
	}
	return (m);

nomem:
	snprintf(err, errlen, "out of memory");
fail:
	sip2_msg_free(m);
	return (NULL);
}

/*
 * Split a script line into words: blanks separate, '...' and "..." quote,
 * a backslash escapes the next character inside double quotes, and '#'
 * at the start of a word starts a comment.  -1 on an open quote.
 */
static int
split_words(char *line, char **words, int max, int *nwords)
{
	char	*r = line, *w = line, quote;
	int	 n = 0;

	for (;;) {
		while (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n')
			r++;
		if (*r == '\0' || *r == '#')
			break;
		if (n == max)
			return (-1);
		words[n++] = w;
		quote = 0;
		for (; *r != '\0'; r++) {
			if (quote == 0 && (*r == ' ' || *r == '\t' ||
			    *r == '\r' || *r == '\n'))
				break;
			if (quote == 0 && (*r == '\'' || *r == '"')) {
				quote = *r;
				continue;
			}
			if (quote != 0 && *r == quote) {
				quote = 0;
				continue;
			}
			if (quote == '"' && *r == '\\' && r[1] != '\0')
				r++;
			*w++ = *r;
		}
		if (quote != 0)
			return (-1);
		if (*r != '\0')
			r++;
		*w++ = '\0';
	}
	*nwords = n;
	return (0);
}

/* Read every request of a script before connecting, so typos cost nothing. */
static int
read_script(const char *path, struct request **reqs, size_t *nreqs)
{
	FILE		*fp;
	struct request	*r;
	char		 line[LINE_MAX_LEN + 2], err[256], *words[WORDS_MAX];
	size_t		 n = 0, cap = 0;
	int		 lineno = 0, nwords;

	if (strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "r")) == NULL) {
		warnx_("%s: %s", path, strerror(errno));
		return (-1);
	}
	*reqs = NULL;
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			warnx_("%s:%d: line too long", path, lineno);
			goto fail;
		}
		if (split_words(line, words, WORDS_MAX, &nwords) == -1) {
			warnx_("%s:%d: open quote or too many words", path,
			    lineno);
			goto fail;
		}
		if (nwords == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((r = reallocarray(*reqs, cap, sizeof(*r))) ==
			    NULL)
				goto fail;
			*reqs = r;
		}
		r = &(*reqs)[n];
		if ((r->msg = msg_from_words(words, nwords, err,
		    sizeof(err))) == NULL) {
			warnx_("%s:%d: %s", path, lineno, err);
			goto fail;
		}
		if (asprintf(&r->where, "%s:%d", path, lineno) == -1) {
			sip2_msg_free(r->msg);
			goto fail;
		}
		n++;
	}
	if (fp != stdin)
		fclose(fp);
	*nreqs = n;
	return (0);

fail:
	if (fp != stdin)
		fclose(fp);
	while (n-- > 0) {
		sip2_msg_free((*reqs)[n].msg);
		free((*reqs)[n].where);
	}
	free(*reqs);
	*reqs = NULL;
	return (-1);
}

/* Wait for the socket until the deadline; -1 with errno ETIMEDOUT. */
static int
wait_fd(int fd, short events, long long deadline)
{
	struct pollfd	 pfd;
	long long	 left;
	int		 n;

	for (;;) {
		if ((left = deadline - now_ms()) <= 0) {
			errno = ETIMEDOUT;
			return (-1);
		}
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		if (n > 0)
			return (0);
	}
}

static int
tcp_connect(long long deadline)
{
	struct addrinfo	 hints, *res, *ai;
	socklen_t	 len;
	int		 fd = -1, err, on = 1, flags;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((err = getaddrinfo(opt.host, opt.port, &hints, &res)) != 0) {
		warnx_("%s: %s", opt.host, gai_strerror(err));
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype,
		    ai->ai_protocol)) == -1)
			continue;
		if ((flags = fcntl(fd, F_GETFL)) == -1 ||
		    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
			goto next;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
			if (errno != EINPROGRESS)
				goto next;
			if (wait_fd(fd, POLLOUT, deadline) == -1)
				goto next;
			len = sizeof(err);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
			    &len) == -1)
				goto next;
			if (err != 0) {
				errno = err;
				goto next;
			}
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
		    sizeof(on));
		freeaddrinfo(res);
		return (fd);
next:
		err = errno;
		close(fd);
		fd = -1;
		errno = err;
	}
	warnx_("connect to %s port %s: %s", opt.host, opt.port,
	    strerror(errno));
	freeaddrinfo(res);
	return (-1);
}

static void
print_ssl_errors(const char *what)
{
	unsigned long	 e;
	char		 buf[256];

	warnx_("%s", what);
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		fprintf(stderr, "\t%s\n", buf);
	}
}

/* Run one TLS call to its end; returns its result or -1 on failure. */
static int
tls_io(struct link *l, int ret, long long deadline)
{
	int	 e;

	e = SSL_get_error(l->ssl, ret);
	if (e == SSL_ERROR_WANT_READ)
		return (wait_fd(l->fd, POLLIN, deadline) == -1 ? -1 : 0);
	if (e == SSL_ERROR_WANT_WRITE)
		return (wait_fd(l->fd, POLLOUT, deadline) == -1 ? -1 : 0);
	if (e == SSL_ERROR_ZERO_RETURN)
		errno = ECONNRESET;
	else if (e == SSL_ERROR_SYSCALL && errno == 0)
		errno = ECONNRESET;
	else if (e == SSL_ERROR_SSL)
		errno = EPROTO;
	return (-1);
}

static int
tls_check_pin(X509 *cert, char *hex, size_t hexlen)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;
	size_t		 off = 0;

	if (X509_digest(cert, EVP_sha256(), md, &mdlen) != 1 ||
	    mdlen != PIN_LEN)
		return (-1);
	for (i = 0; i < mdlen && off + 3 < hexlen; i++)
		off += (size_t)snprintf(hex + off, hexlen - off, "%s%02X",
		    i ? ":" : "", md[i]);
	if (!opt.has_pin)
		return (0);
	return (CRYPTO_memcmp(md, opt.pin, PIN_LEN) == 0 ? 0 : -1);
}

static int
tls_start(struct link *l, long long deadline)
{
	SSL_CTX		*ctx;
	X509		*cert;
	struct in6_addr	 a6;
	struct in_addr	 a4;
	char		 hex[PIN_LEN * 3 + 1] = "";
	int		 r, literal;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		print_ssl_errors("cannot set up TLS");
		return (-1);
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (!opt.insecure) {
		if ((opt.cafile != NULL ?
		    SSL_CTX_load_verify_locations(ctx, opt.cafile, NULL) :
		    SSL_CTX_set_default_verify_paths(ctx)) != 1) {
			print_ssl_errors("cannot load the CA certificates");
			SSL_CTX_free(ctx);
			return (-1);
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	l->ssl = SSL_new(ctx);
	SSL_CTX_free(ctx);	/* the SSL keeps its own reference */
	if (l->ssl == NULL || SSL_set_fd(l->ssl, l->fd) != 1) {
		print_ssl_errors("cannot set up TLS");
		return (-1);
	}

	literal = inet_pton(AF_INET, opt.host, &a4) == 1 ||
	    inet_pton(AF_INET6, opt.host, &a6) == 1;
	if (!literal)
		(void)SSL_set_tlsext_host_name(l->ssl, opt.host);
	if (!opt.insecure) {
		if (literal)
			r = X509_VERIFY_PARAM_set1_ip_asc(
			    SSL_get0_param(l->ssl), opt.host);
		else
			r = SSL_set1_host(l->ssl, opt.host);
		if (r != 1) {
			print_ssl_errors("cannot set the name to verify");
			return (-1);
		}
	}

	while ((r = SSL_connect(l->ssl)) != 1) {
		if (tls_io(l, r, deadline) == -1) {
			if (SSL_get_verify_result(l->ssl) != X509_V_OK)
				warnx_("TLS: %s: %s", opt.host,
				    X509_verify_cert_error_string(
				    SSL_get_verify_result(l->ssl)));
			else if (errno == EPROTO)
				print_ssl_errors("TLS handshake failed");
			else
				warnx_("TLS handshake: %s", strerror(errno));
			return (-1);
		}
	}

	if ((cert = SSL_get1_peer_certificate(l->ssl)) == NULL) {
		warnx_("TLS: the server sent no certificate");
		return (-1);
	}
	r = tls_check_pin(cert, hex, sizeof(hex));
	X509_free(cert);
	if (r == -1) {
		warnx_("TLS: the server certificate's SHA-256 is %s, "
		    "not the pinned one", hex);
		return (-1);
	}
	printf("# TLS %s %s, certificate SHA-256 %s%s%s\n",
	    SSL_get_version(l->ssl), SSL_get_cipher_name(l->ssl), hex,
	    opt.has_pin ? " (pinned)" : "",
	    opt.insecure && !opt.has_pin ? " (NOT VERIFIED)" : "");
	return (0);
}

static int
link_write(struct link *l, const char *buf, size_t len, long long deadline)
{
	ssize_t	 n;
	int	 r;

	while (len > 0) {
		if (l->ssl != NULL) {
			if ((r = SSL_write(l->ssl, buf, (int)len)) > 0) {
				buf += r;
				len -= (size_t)r;
			} else if (tls_io(l, r, deadline) == -1)
				return (-1);
			continue;
		}
		n = send(l->fd, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n == -1 && errno == EINTR)
			continue;
		else if (n == -1 && errno == EAGAIN) {
			if (wait_fd(l->fd, POLLOUT, deadline) == -1)
				return (-1);
		} else
			return (-1);
	}
	return (0);
}

static int
link_fill(struct link *l, long long deadline)
{
	size_t	 room = sizeof(l->in) - l->nin;
	ssize_t	 n;
	int	 r;

	for (;;) {
		if (l->ssl != NULL) {
			if ((r = SSL_read(l->ssl, l->in + l->nin,
			    (int)room)) > 0) {
				l->nin += (size_t)r;
				return (0);
			}
			if (tls_io(l, r, deadline) == -1)
				return (-1);
			continue;
		}
		n = recv(l->fd, l->in + l->nin, room, 0);
		if (n > 0) {
			l->nin += (size_t)n;
			return (0);
		}
		if (n == 0) {
			errno = ECONNRESET;
			return (-1);
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN ||
		    wait_fd(l->fd, POLLIN, deadline) == -1)
			return (-1);
	}
}

/*
 * Read one message into out (without its terminator).  Returns its length,
 * or -1 with errno set on a closed connection, a time-out or garbage over
 * the cap.
 */
static ssize_t
link_read_msg(struct link *l, char *out, size_t outlen, long long deadline)
{
	enum sip2_frame_res	 r;
	size_t			 off, mlen, used;

	for (;;) {
		r = sip2_frame(&l->fr, l->in, l->nin, &off, &mlen, &used);
		if (r == SIP2_FRAME_MSG && mlen <= outlen) {
			memcpy(out, l->in + off, mlen);
			memmove(l->in, l->in + used, l->nin - used);
			l->nin -= used;
			return ((ssize_t)mlen);
		}
		if (r != SIP2_FRAME_MORE) {
			errno = EMSGSIZE;
			return (-1);
		}
		memmove(l->in, l->in + used, l->nin - used);
		l->nin -= used;
		if (l->nin == sizeof(l->in)) {
			errno = EMSGSIZE;
			return (-1);
		}
		if (link_fill(l, deadline) == -1)
			return (-1);
	}
}

static void
print_wire(const char *tag, const char *buf, size_t len)
{
	char	 safe[SIP2_BUILD_MAX];

	while (len > 0 && (buf[len - 1] == '\r' || buf[len - 1] == '\n'))
		len--;
	(void)sip2_redact(buf, len, opt.wire.delim, safe, sizeof(safe));
	printf("%s %s\n", tag, safe);
}

/*
 * Send one message with sequence seq and read its answer.  Returns the
 * parsed response, which the caller frees, or NULL after saying why.
 */
static struct sip2_msg *
exchange(struct link *l, struct sip2_msg *m, int seq)
{
	const struct sip2_spec	*spec = sip2_msg_spec(m);
	struct sip2_msg		*resp;
	enum sip2_err		 perr;
	static char		 buf[SIP2_BUILD_MAX], in[SIP2_MSG_MAX];
	static char		 text[DESCRIBE_MAX];
	ssize_t			 n;
	double			 t0;
	long long		 deadline;
	int			 ck, rseq;

	sip2_msg_set_seq(m, seq);
	if ((n = sip2_build(m, &opt.wire, buf, sizeof(buf))) <= 0) {
		warnx_("%s: cannot encode the message", spec->name);
		return (NULL);
	}
	printf(">>> %02d %s", spec->code, spec->name);
	if (opt.wire.checksums)
		printf(" seq=%d", seq);
	printf("\n");
	print_wire("   ", buf, (size_t)n);
	fflush(stdout);

	t0 = now_msf();
	deadline = now_ms() + opt.timeout_ms;
	if (link_write(l, buf, (size_t)n, deadline) == -1 ||
	    (n = link_read_msg(l, in, sizeof(in), deadline)) == -1) {
		warnx_("%s: %s", spec->name, errno == EMSGSIZE ?
		    "response over the length cap" :
		    errno == ECONNRESET ? "connection closed by the server" :
		    strerror(errno));
		return (NULL);
	}

	ck = sip2_checksum_verify(in, (size_t)n);
	if (ck == 0 || (ck == -1 && opt.wire.checksums)) {
		print_wire("<<<", in, (size_t)n);
		warnx_("response %s", ck == 0 ? "checksum is wrong" :
		    "has no checksum");
		return (NULL);
	}
	if ((resp = sip2_parse(in, (size_t)n, &opt.wire, &perr)) == NULL) {
		print_wire("<<<", in, (size_t)n);
		warnx_("cannot parse the response: %s", sip2_strerror(perr));
		return (NULL);
	}
	printf("<<< %02d %s", sip2_msg_code(resp), sip2_msg_spec(resp)->name);
	if ((rseq = sip2_msg_seq(resp)) != -1)
		printf(" seq=%d", rseq);
	printf(" (%.2f ms)\n", now_msf() - t0);

	/* Raw mode shows names and addresses, never credentials. */
	if (opt.raw) {
		sip2_msg_del_field(resp, "CO");
		sip2_msg_del_field(resp, "AC");
		sip2_msg_del_field(resp, "AD");
	}
	(void)sip2_msg_describe(resp, text, sizeof(text), opt.raw);
	fputs(text, stdout);
	if (text[0] != '\0' && text[strlen(text) - 1] != '\n')
		fputc('\n', stdout);
	fflush(stdout);

	if (sip2_msg_code(resp) == SIP2_REQUEST_RESEND) {
		warnx_("the server found our %s garbled (96)", spec->name);
		goto fail;
	}
	if (spec->response != 0 && sip2_msg_code(resp) != spec->response) {
		warnx_("%s answered with %02d, not %02d", spec->name,
		    sip2_msg_code(resp), spec->response);
		goto fail;
	}
	/* A resent response carries the sequence of the one it repeats. */
	if (opt.wire.checksums && spec->code != SIP2_RESEND && rseq != seq) {
		warnx_("response sequence %d, request sequence %d", rseq, seq);
		goto fail;
	}
	return (resp);

fail:
	sip2_msg_free(resp);
	return (NULL);
}

static int
do_login(struct link *l, int seq)
{
	struct sip2_msg	*m, *resp;
	const char	*ok;
	int		 r = -1;

	if ((m = sip2_msg_new(SIP2_LOGIN)) == NULL)
		return (-1);
	msg_defaults(m);
	if (sip2_msg_add_field(m, "CN", opt.login) == -1 ||
	    sip2_msg_add_field(m, "CO", opt.password) == -1 ||
	    (opt.location != NULL &&
	    sip2_msg_add_field(m, "CP", opt.location) == -1)) {
		sip2_msg_free(m);
		return (-1);
	}
	resp = exchange(l, m, seq);
	sip2_msg_free(m);
	if (resp == NULL)
		return (-1);
	ok = sip2_msg_fixed(resp, SIP2_FX_OK);
	if (ok != NULL && ok[0] == '1') {
		printf("# login accepted\n");
		r = 0;
	} else
		warnx_("login refused");
	sip2_msg_free(resp);
	return (r);
}

int
main(int argc, char *argv[])
{
	struct link	*l;
	struct request	*reqs = NULL;
	struct sip2_msg	*resp;
	const char	*script = NULL, *passfile = NULL;
	char		 err[256], *end;
	size_t		 nreqs = 0, i;
	long		 v;
	int		 ch, seq = 0, status = EXIT_PROTO;

	opt.wire.charset = SIP2_CS_UTF8;
	opt.wire.term = SIP2_TERM_CR;
	opt.wire.delim = '|';
	opt.wire.checksums = 1;
	opt.timeout_ms = 5000;

	while ((ch = getopt(argc, argv, "TW:a:c:e:f:i:kl:np:rt:u:w:")) != -1) {
		switch (ch) {
		case 'T':
			opt.tls = 1;
			break;
		case 'W':
			passfile = optarg;
			break;
		case 'a':
			opt.cafile = optarg;
			break;
		case 'c':
			if (sip2_charset_from_name(optarg,
			    &opt.wire.charset) == -1) {
				warnx_("unknown character set %s", optarg);
				usage();
			}
			break;
		case 'e':
			if (strcmp(optarg, "cr") == 0)
				opt.wire.term = SIP2_TERM_CR;
			else if (strcmp(optarg, "crlf") == 0)
				opt.wire.term = SIP2_TERM_CRLF;
			else if (strcmp(optarg, "lf") == 0)
				opt.wire.term = SIP2_TERM_LF;
			else
				usage();
			break;
		case 'f':
			script = optarg;
			break;
		case 'i':
			opt.institution = optarg;
			break;
		case 'k':
			opt.insecure = 1;
			break;
		case 'l':
			opt.location = optarg;
			break;
		case 'n':
			opt.wire.checksums = 0;
			break;
		case 'p':
			if (parse_pin(optarg, opt.pin) == -1) {
				warnx_("-p wants 64 hex digits (colons "
				    "allowed)");
				usage();
			}
			opt.has_pin = 1;
			break;
		case 'r':
			opt.raw = 1;
			break;
		case 't':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v < 1 ||
			    v > 3600000)
				usage();
			opt.timeout_ms = (int)v;
			break;
		case 'u':
			opt.login = optarg;
			break;
		case 'w':
			if ((opt.password = strdup(optarg)) == NULL)
				return (EXIT_PROTO);
			/* Keep it out of ps from here on. */
			wipe(optarg, strlen(optarg));
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (passfile != NULL && opt.password != NULL) {
		warnx_("-w and -W exclude each other");
		usage();
	}
	if (passfile != NULL && read_passfile(passfile) == -1)
		return (EXIT_USAGE);
	if ((opt.login == NULL) != (opt.password == NULL)) {
		warnx_("-u needs -w or -W, and they need -u");
		usage();
	}
	if ((opt.has_pin || opt.cafile != NULL || opt.insecure) && !opt.tls) {
		warnx_("-a, -k and -p need -T");
		usage();
	}
	if (split_hostport(argv[0], &opt.host, &opt.port) == -1) {
		warnx_("%s: want host:port", argv[0]);
		usage();
	}
	if (script != NULL && argc > 1) {
		warnx_("give a message or -f, not both");
		usage();
	}
	if (script != NULL && read_script(script, &reqs, &nreqs) == -1)
		return (EXIT_USAGE);
	if (argc > 1) {
		if ((reqs = calloc(1, sizeof(*reqs))) == NULL)
			return (EXIT_PROTO);
		if ((reqs[0].msg = msg_from_words(argv + 1, argc - 1, err,
		    sizeof(err))) == NULL) {
			warnx_("%s", err);
			usage();
		}
		nreqs = 1;
	}

	signal(SIGPIPE, SIG_IGN);
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return (EXIT_PROTO);
	l->fd = -1;
	if ((l->fd = tcp_connect(now_ms() + opt.timeout_ms)) == -1)
		goto done;
	printf("# connected to %s port %s\n", opt.host, opt.port);
	if (opt.tls && tls_start(l, now_ms() + opt.timeout_ms) == -1)
		goto done;

	if (opt.login != NULL) {
		if (do_login(l, seq) == -1)
			goto done;
		seq = (seq + 1) % 10;
	}
	for (i = 0; i < nreqs; i++) {
		if ((resp = exchange(l, reqs[i].msg, seq)) == NULL) {
			if (reqs[i].where != NULL)
				warnx_("stopped at %s", reqs[i].where);
			goto done;
		}
		sip2_msg_free(resp);
		seq = (seq + 1) % 10;
	}
	status = 0;

done:
	fflush(stdout);
	if (l->ssl != NULL) {
		if (status == 0)
			(void)SSL_shutdown(l->ssl);
		SSL_free(l->ssl);
	}
	if (l->fd != -1)
		close(l->fd);
	free(l);
	for (i = 0; i < nreqs; i++) {
		sip2_msg_free(reqs[i].msg);
		free(reqs[i].where);
	}
	free(reqs);
	if (opt.password != NULL) {
		wipe(opt.password, strlen(opt.password));
		free(opt.password);
	}
	free(opt.host);
	free(opt.port);
	return (status);
}
