/* SPDX-License-Identifier: ISC */
/*
 * Listening sockets for terminals, plain and TLS.  A reload keeps the
 * sockets whose address did not change, so no connection is dropped.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/queue.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

#include "circlinkd.h"

struct listener {
	TAILQ_ENTRY(listener)	 entry;
	struct conf_listener	 c;	/* own copy, address owned */
	struct evconnlistener	*evl;
	SSL_CTX			*ctx;
	SSL_CTX			*next_ctx; /* while a reload is tried */
	int			 keep;
};
TAILQ_HEAD(listeners, listener);

static struct listeners	 listeners = TAILQ_HEAD_INITIALIZER(listeners);
/* Closed listeners stay allocated: sessions they accepted point at them. */
static struct listeners	 retired = TAILQ_HEAD_INITIALIZER(retired);

static void	 listener_accept_cb(struct evconnlistener *, evutil_socket_t,
		    struct sockaddr *, int, void *);
static void	 listener_error_cb(struct evconnlistener *, void *);
static struct listener *listener_open(const struct conf_listener *, char *,
		    size_t);

/* Return the listener's settings, valid as long as the listener. */
const struct conf_listener *
listener_conf(const struct listener *l)
{
	return (&l->c);
}

/* Return the TLS context of a TLS listener, or NULL for a plain one. */
SSL_CTX *
listener_ssl_ctx(const struct listener *l)
{
	return (l->ctx);
}

static void
listener_copy(struct listener *l, const struct conf_listener *c)
{
	char	*address = l->c.address;

	l->c = *c;
	l->c.address = address;
	l->c.file = NULL;
	memset(&l->c.tls, 0, sizeof(l->c.tls));
	l->c.tls.enabled = c->tls.enabled;
}

static struct listener *
listener_open(const struct conf_listener *c, char *err, size_t errlen)
{
	struct listener		*l;
	struct sockaddr_storage	 ss;
	int			 fd = -1, len, on = 1;

	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->c.address = strdup(c->address)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	listener_copy(l, c);
	if ((len = net_sockaddr(c->address, c->port, &ss)) == -1) {
		snprintf(err, errlen, "%s:%d: listen: bad address %s",
		    c->file, c->line, c->address);
		goto fail;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(fd, 1024) == -1) {
		snprintf(err, errlen, "%s:%d: listen on %s port %d: %s",
		    c->file, c->line, c->address, c->port, strerror(errno));
		goto fail;
	}
	l->c.port = net_local_port(fd);
	l->evl = evconnlistener_new(gw->base, listener_accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (l->evl == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	evconnlistener_set_error_cb(l->evl, listener_error_cb);
	log_info("listening on %s port %d%s", c->address, l->c.port,
	    c->tls.enabled ? " (TLS)" : "");
	return (l);

fail:
	if (fd != -1)
		close(fd);
	if (l != NULL)
		free(l->c.address);
	free(l);
	return (NULL);
}

static void
listener_drop(struct listener *l)
{
	if (l->evl != NULL)
		evconnlistener_free(l->evl);
	l->evl = NULL;
	if (l->ctx != NULL)
		SSL_CTX_free(l->ctx);
	l->ctx = NULL;
}

/*
 * Make the listeners match conf: keep those whose address, port and TLS
 * use are unchanged (with fresh TLS contexts, so new certificates apply to
 * new connections), open new ones, close the rest.  All or nothing:
 * returns -1 with a message in err and changes nothing on failure.
 */
int
listener_setup(struct conf *conf, char *err, size_t errlen)
{
	struct conf_listener	*c;
	struct listener		*l, *next;
	struct listeners	 opened = TAILQ_HEAD_INITIALIZER(opened);
	char			 why[256];

	TAILQ_FOREACH(l, &listeners, entry)
		l->keep = 0;
	TAILQ_FOREACH(c, &conf->listeners, entry) {
		if (c->ncip)
			continue;	/* ncip_front.c serves those */
		TAILQ_FOREACH(l, &listeners, entry)
			if (!l->keep && c->port != 0 && l->c.port == c->port &&
			    strcmp(l->c.address, c->address) == 0 &&
			    l->c.tls.enabled == c->tls.enabled)
				break;
		if (l == NULL) {
			if ((l = listener_open(c, err, errlen)) == NULL)
				goto fail;
			TAILQ_INSERT_TAIL(&opened, l, entry);
		}
		l->keep = 1;
		if (c->tls.enabled &&
		    (l->next_ctx = tls_server_ctx(&c->tls, why,
		    sizeof(why))) == NULL) {
			snprintf(err, errlen, "%s:%d: %s", c->file, c->line,
			    why);
			goto fail;
		}
	}

	/* Everything could be set up: commit. */
	TAILQ_FOREACH(c, &conf->listeners, entry) {
		if (c->ncip)
			continue;
		TAILQ_FOREACH(l, &listeners, entry)
			if (l->keep && l->c.port == c->port &&
			    strcmp(l->c.address, c->address) == 0 &&
			    l->c.tls.enabled == c->tls.enabled)
				listener_copy(l, c);
	}
	for (l = TAILQ_FIRST(&listeners); l != NULL; l = next) {
		next = TAILQ_NEXT(l, entry);
		if (l->keep)
			continue;
		log_info("closing listener %s port %d", l->c.address,
		    l->c.port);
		listener_drop(l);
		TAILQ_REMOVE(&listeners, l, entry);
		TAILQ_INSERT_TAIL(&retired, l, entry);
	}
	TAILQ_CONCAT(&listeners, &opened, entry);
	TAILQ_FOREACH(l, &listeners, entry) {
		if (l->ctx != NULL)
			SSL_CTX_free(l->ctx);
		l->ctx = l->next_ctx;
		l->next_ctx = NULL;
	}
	return (0);

fail:
	TAILQ_FOREACH(l, &listeners, entry) {
		if (l->next_ctx != NULL)
			SSL_CTX_free(l->next_ctx);
		l->next_ctx = NULL;
	}
	while ((l = TAILQ_FIRST(&opened)) != NULL) {
		TAILQ_REMOVE(&opened, l, entry);
		if (l->next_ctx != NULL)
			SSL_CTX_free(l->next_ctx);
		listener_drop(l);
		free(l->c.address);
		free(l);
	}
	return (-1);
}

/* Stop accepting; sessions already accepted go on. */
void
listener_close_all(void)
{
	struct listener	*l;

	while ((l = TAILQ_FIRST(&listeners)) != NULL) {
		listener_drop(l);
		TAILQ_REMOVE(&listeners, l, entry);
		TAILQ_INSERT_TAIL(&retired, l, entry);
	}
}

/* Free every listener, at exit when no session is left. */
void
listener_free_all(void)
{
	struct listener	*l;

	listener_close_all();
	while ((l = TAILQ_FIRST(&retired)) != NULL) {
		TAILQ_REMOVE(&retired, l, entry);
		free(l->c.address);
		free(l);
	}
}

static void
listener_accept_cb(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	char	 peer[INET6_ADDRSTRLEN + 8] = "?";
	char	 host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr,
		    host, sizeof(host));
		snprintf(peer, sizeof(peer), "%s:%d", host,
		    ntohs(((struct sockaddr_in *)sa)->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr,
		    host, sizeof(host));
		snprintf(peer, sizeof(peer), "[%s]:%d", host,
		    ntohs(((struct sockaddr_in6 *)sa)->sin6_port));
	}
	session_accept(arg, fd, peer);
}

static void
listener_resume_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct listener	*l = arg;

	if (l->evl != NULL)
		evconnlistener_enable(l->evl);
}

static void
listener_error_cb(struct evconnlistener *evl, void *arg)
{
	struct listener	*l = arg;
	struct timeval	 tv = { 1, 0 };

	/*
	 * Out of descriptors, most likely: the pending connection would
	 * wake us again at once, so pause accepting for a second.
	 */
	log_warn("listener %s port %d: accept", l->c.address, l->c.port);
	evconnlistener_disable(evl);
	event_base_once(gw->base, -1, EV_TIMEOUT, listener_resume_cb, l, &tv);
}
