/* SPDX-License-Identifier: ISC */
/*
 * The end-to-end harness's HTTP side: an HTTP/1.1 client over the
 * harness's connections, with TLS client certificates, and the files an
 * NCIP configuration needs (certificates, their pins, private files).
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "e2e.h"
#include "e2e_http.h"

#define HTTP_CONNECT_MS	5000
#define HTTP_SEND_MS	5000

static int
http_wait(int fd, short events, long long deadline)
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

/* Connect, plain or TLS, with a client certificate when given. */
struct e2e_conn *
e2e_http_connect(int port, const char *cafile, const char *cert,
    const char *key)
{
	struct sockaddr_in	 sin;
	struct e2e_conn		*c;
	long long		 deadline = e2e_now_ms() + HTTP_CONNECT_MS;
	socklen_t		 len;
	SSL			*ssl;
	int			 on = 1, err = 0, r, e;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	c->fd = -1;
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		goto fail;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		if (errno != EINPROGRESS ||
		    http_wait(c->fd, POLLOUT, deadline) == -1)
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
		    http_wait(c->fd, POLLIN, deadline) == 0)
			continue;
		if (e == SSL_ERROR_WANT_WRITE &&
		    http_wait(c->fd, POLLOUT, deadline) == 0)
			continue;
		fprintf(stderr, "e2e: TLS handshake with port %d failed\n",
		    port);
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

/* Send one request with a body and its length. */
int
e2e_http_send(struct e2e_conn *c, const char *method, const char *path,
    const char *content_type, const void *body, size_t len)
{
	char	 head[1024];
	int	 n;

	n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\n"
	    "Host: localhost\r\n"
	    "%s%s%s"
	    "Content-Length: %zu\r\n"
	    "\r\n", method, path,
	    content_type != NULL ? "Content-Type: " : "",
	    content_type != NULL ? content_type : "",
	    content_type != NULL ? "\r\n" : "", len);
	if (n < 0 || (size_t)n >= sizeof(head))
		return (-1);
	if (e2e_send(c, head, n) == -1)
		return (-1);
	if (len > 0 && e2e_send(c, body, len) == -1)
		return (-1);
	return (0);
}

/* Read more bytes into the connection's buffer until the deadline. */
static int
http_fill(struct e2e_conn *c, long long deadline)
{
	size_t	 room = sizeof(c->in) - c->nin;
	ssize_t	 n;
	int	 r, e;

	for (;;) {
		if (c->eof) {
			errno = ECONNRESET;
			return (-1);
		}
		if (room == 0) {
			errno = EMSGSIZE;
			return (-1);
		}
		if (c->ssl != NULL) {
			if ((r = SSL_read(c->ssl, c->in + c->nin,
			    (int)room)) > 0) {
				c->nin += r;
				return (0);
			}
			e = SSL_get_error(c->ssl, r);
			if ((e == SSL_ERROR_WANT_READ &&
			    http_wait(c->fd, POLLIN, deadline) == 0) ||
			    (e == SSL_ERROR_WANT_WRITE &&
			    http_wait(c->fd, POLLOUT, deadline) == 0))
				continue;
			if (e == SSL_ERROR_WANT_READ ||
			    e == SSL_ERROR_WANT_WRITE)
				return (-1);
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
			if (http_wait(c->fd, POLLIN, deadline) == -1)
				return (-1);
			continue;
		}
		c->eof = 1;
	}
}

/* Move up to want bytes of the buffer to the end of the body. */
static int
http_take(struct e2e_conn *c, struct e2e_http_resp *r, size_t want)
{
	size_t	 n = want < c->nin ? want : c->nin;
	char	*body;

	if (r->bodylen + n > E2E_HTTP_BODY_MAX) {
		errno = EMSGSIZE;
		return (-1);
	}
	if ((body = realloc(r->body, r->bodylen + n + 1)) == NULL)
		return (-1);
	r->body = body;
	memcpy(r->body + r->bodylen, c->in, n);
	r->bodylen += n;
	r->body[r->bodylen] = '\0';
	memmove(c->in, c->in + n, c->nin - n);
	c->nin -= n;
	return ((int)n);
}

/* Read a line (without CRLF) from the buffer into out. */
static int
http_line(struct e2e_conn *c, char *out, size_t len, long long deadline)
{
	char	*nl;
	size_t	 n;

	while ((nl = memchr(c->in, '\n', c->nin)) == NULL)
		if (http_fill(c, deadline) == -1)
			return (-1);
	n = nl - c->in;
	if (n > 0 && c->in[n - 1] == '\r')
		n--;
	snprintf(out, len, "%.*s", (int)n, c->in);
	n = nl - c->in + 1;
	memmove(c->in, c->in + n, c->nin - n);
	c->nin -= n;
	return (0);
}

/* Read a response: headers, then its body. */
int
e2e_http_read(struct e2e_conn *c, struct e2e_http_resp *r, int timeout_ms)
{
	long long	 deadline = e2e_now_ms() + timeout_ms;
	char		 value[64], line[64], *end;
	long long	 length = -1, size;
	size_t		 headlen;
	int		 chunked = 0;

	memset(r, 0, sizeof(*r));
	while ((end = memmem(c->in, c->nin, "\r\n\r\n", 4)) == NULL)
		if (http_fill(c, deadline) == -1)
			goto fail;
	headlen = end - c->in + 4;
	snprintf(r->head, sizeof(r->head), "%.*s", (int)headlen, c->in);
	memmove(c->in, c->in + headlen, c->nin - headlen);
	c->nin -= headlen;
	if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1) {
		fprintf(stderr, "e2e: not an HTTP response: %.80s\n", r->head);
		return (-1);
	}
	if (e2e_http_header(r, "Content-Length", value, sizeof(value)) !=
	    NULL)
		length = strtoll(value, NULL, 10);
	if (e2e_http_header(r, "Transfer-Encoding", value, sizeof(value)) !=
	    NULL && strcasecmp(value, "chunked") == 0)
		chunked = 1;
	if (e2e_http_header(r, "Connection", value, sizeof(value)) != NULL &&
	    strcasecmp(value, "close") == 0)
		r->closed = 1;

	if (chunked) {
		for (;;) {
			if (http_line(c, line, sizeof(line), deadline) == -1)
				goto fail;
			if ((size = strtoll(line, NULL, 16)) == 0)
				break;
			while (size > 0) {
				if (c->nin == 0 &&
				    http_fill(c, deadline) == -1)
					goto fail;
				size -= http_take(c, r, (size_t)size);
			}
			if (http_line(c, line, sizeof(line), deadline) == -1)
				goto fail;
		}
		(void)http_line(c, line, sizeof(line), deadline);
	} else if (length >= 0) {
		while ((long long)r->bodylen < length) {
			if (c->nin == 0 && http_fill(c, deadline) == -1)
				goto fail;
			if (http_take(c, r, length - r->bodylen) == -1)
				goto fail;
		}
	} else if (r->status >= 200 && r->status != 204 && r->status != 304) {
		for (;;) {
			if (c->nin > 0 && http_take(c, r, c->nin) == -1)
				goto fail;
			if (http_fill(c, deadline) == -1) {
				if (errno != ECONNRESET)
					goto fail;
				r->closed = 1;
				break;
			}
		}
	}
	if (r->body == NULL && (r->body = strdup("")) == NULL)
		goto fail;
	return (0);

fail:
	fprintf(stderr, "e2e: reading an HTTP response: %s\n",
	    strerror(errno));
	e2e_http_resp_free(r);
	return (-1);
}

/* POST a body and read the response. */
int
e2e_http_post(struct e2e_conn *c, const char *path, const char *content_type,
    const void *body, size_t len, struct e2e_http_resp *r)
{
	memset(r, 0, sizeof(*r));
	if (e2e_http_send(c, "POST", path, content_type, body, len) == -1) {
		fprintf(stderr, "e2e: sending a POST: %s\n", strerror(errno));
		return (-1);
	}
	return (e2e_http_read(c, r, 10000));
}

/* Free a response's body. */
void
e2e_http_resp_free(struct e2e_http_resp *r)
{
	free(r->body);
	r->body = NULL;
	r->bodylen = 0;
}

/* Copy a header's value, without blanks around it, into buf. */
const char *
e2e_http_header(const struct e2e_http_resp *r, const char *name, char *buf,
    size_t len)
{
	const char	*line, *eol;
	size_t		 n = strlen(name);

	for (line = strstr(r->head, "\r\n"); line != NULL; line = eol) {
		line += 2;
		if ((eol = strstr(line, "\r\n")) == NULL || eol == line)
			break;
		if (strncasecmp(line, name, n) != 0 || line[n] != ':')
			continue;
		line += n + 1;
		while (*line == ' ' || *line == '\t')
			line++;
		snprintf(buf, len, "%.*s", (int)(eol - line), line);
		return (buf);
	}
	return (NULL);
}

/* Write a file, mode 0600, replacing it atomically. */
int
e2e_http_write_file(const char *path, const char *text)
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

/* Make a self-signed certificate for a name, and its key (mode 0600). */
int
e2e_http_make_cert(struct e2e_env *env, const char *cn, const char *cert,
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

/* Write "sha256:" and the certificate's SHA-256 in hex into pin. */
int
e2e_http_cert_pin(const char *cert, char *pin, size_t len)
{
	FILE		*f;
	X509		*x = NULL;
	uint8_t		 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;
	size_t		 o;

	if ((f = fopen(cert, "r")) == NULL)
		return (-1);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL || !X509_digest(x, EVP_sha256(), md, &mdlen) ||
	    len < 7 + mdlen * 2 + 1) {
		X509_free(x);
		return (-1);
	}
	X509_free(x);
	o = (size_t)snprintf(pin, len, "sha256:");
	for (i = 0; i < mdlen; i++)
		o += (size_t)snprintf(pin + o, len - o, "%02x", md[i]);
	return (0);
}
