/* SPDX-License-Identifier: ISC */
/*
 * sip2relay: a bare byte relay on libevent, the ceiling the gateway's
 * throughput and latency are compared with in the benchmarks.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

/*
 * Above this much unsent data towards one side we stop reading from the
 * other, so a peer that does not read cannot make the relay grow.
 */
#define RELAY_HIGH	(256 * 1024)
#define RELAY_IOV	16

enum { SIDE_CLIENT, SIDE_SERVER };

struct relay {
	struct bufferevent	*bev[2];
	int			 connected[2];
	int			 closing;	/* one side gone, flushing */
};

static struct sockaddr_storage	 target;
static int			 targetlen;
static unsigned long		 nrelays;

static void	usage(void) __attribute__((__noreturn__));
static void	relay_read(struct bufferevent *, void *);
static void	relay_write(struct bufferevent *, void *);
static void	relay_event(struct bufferevent *, short, void *);

static void
usage(void)
{
	fprintf(stderr, "usage: sip2relay [-V] -l ADDRESS:PORT -t ADDRESS:PORT "
	    "[-p PORTFILE]\n");
	exit(2);
}

static void
set_nodelay(evutil_socket_t fd)
{
	int	 on = 1;

	/* Request and response are single small writes: never hold them. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

static int
side_of(const struct relay *r, const struct bufferevent *bev)
{
	return (r->bev[SIDE_SERVER] == bev ? SIDE_SERVER : SIDE_CLIENT);
}

static void
relay_free(struct relay *r)
{
	int	 i;

	for (i = 0; i < 2; i++)
		if (r->bev[i] != NULL)
			bufferevent_free(r->bev[i]);
	free(r);
	nrelays--;
}

/*
 * Write what we can straight to the socket.  Handing the bytes to the
 * bufferevent instead would arm write interest and wait one loop turn,
 * which costs two epoll_ctl calls and a wake-up per message.
 */
static void
relay_send_direct(evutil_socket_t fd, struct evbuffer *in)
{
	struct iovec	 iov[RELAY_IOV];
	struct evbuffer_iovec vec[RELAY_IOV];
	struct msghdr	 mh;
	ssize_t		 n;
	int		 i, nvec;

	nvec = evbuffer_peek(in, -1, NULL, vec, RELAY_IOV);
	if (nvec <= 0)
		return;
	if (nvec > RELAY_IOV)
		nvec = RELAY_IOV;
	for (i = 0; i < nvec; i++) {
		iov[i].iov_base = vec[i].iov_base;
		iov[i].iov_len = vec[i].iov_len;
	}
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = nvec;
	n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n > 0)
		evbuffer_drain(in, (size_t)n);
	/* On an error the bufferevent meets it again and reports it. */
}

static void
relay_read(struct bufferevent *bev, void *arg)
{
	struct relay	*r = arg;
	struct evbuffer	*in, *out;
	int		 src, dst;

	src = side_of(r, bev);
	dst = !src;
	in = bufferevent_get_input(bev);
	if (r->bev[dst] == NULL) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	out = bufferevent_get_output(r->bev[dst]);
	if (r->connected[dst] && evbuffer_get_length(out) == 0)
		relay_send_direct(bufferevent_getfd(r->bev[dst]), in);
	if (evbuffer_get_length(in) > 0)
		bufferevent_write_buffer(r->bev[dst], in);
	if (evbuffer_get_length(out) >= RELAY_HIGH) {
		/* Resume when the slow side has drained half of it. */
		bufferevent_disable(bev, EV_READ);
		bufferevent_setwatermark(r->bev[dst], EV_WRITE,
		    RELAY_HIGH / 2, 0);
	}
}

static void
relay_write(struct bufferevent *bev, void *arg)
{
	struct relay	*r = arg;
	int		 side, other;

	side = side_of(r, bev);
	other = !side;
	if (r->closing) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			relay_free(r);
		return;
	}
	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	if (r->bev[other] != NULL)
		bufferevent_enable(r->bev[other], EV_READ);
}

static void
relay_event(struct bufferevent *bev, short what, void *arg)
{
	struct relay	*r = arg;
	int		 side, other;

	side = side_of(r, bev);
	other = !side;
	if (what & BEV_EVENT_CONNECTED) {
		r->connected[side] = 1;
		set_nodelay(bufferevent_getfd(bev));
		return;
	}
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;

	/* Pass on what this side sent before it went away. */
	if (r->bev[other] != NULL && !r->closing)
		relay_read(bev, r);
	bufferevent_free(bev);
	r->bev[side] = NULL;
	r->connected[side] = 0;
	if (r->bev[other] == NULL ||
	    evbuffer_get_length(bufferevent_get_output(r->bev[other])) == 0 ||
	    !r->connected[other]) {
		relay_free(r);
		return;
	}
	r->closing = 1;
	bufferevent_disable(r->bev[other], EV_READ);
	bufferevent_setwatermark(r->bev[other], EV_WRITE, 0, 0);
}

static void
relay_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct event_base	*base = arg;
	struct relay		*r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	nrelays++;
	set_nodelay(fd);
	r->bev[SIDE_CLIENT] = bufferevent_socket_new(base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	r->bev[SIDE_SERVER] = bufferevent_socket_new(base, -1,
	    BEV_OPT_CLOSE_ON_FREE);
	if (r->bev[SIDE_CLIENT] == NULL || r->bev[SIDE_SERVER] == NULL) {
		if (r->bev[SIDE_CLIENT] == NULL)
			evutil_closesocket(fd);
		relay_free(r);
		return;
	}
	r->connected[SIDE_CLIENT] = 1;
	bufferevent_setcb(r->bev[SIDE_CLIENT], relay_read, relay_write,
	    relay_event, r);
	bufferevent_setcb(r->bev[SIDE_SERVER], relay_read, relay_write,
	    relay_event, r);
	if (bufferevent_socket_connect(r->bev[SIDE_SERVER],
	    (struct sockaddr *)&target, targetlen) == -1) {
		fprintf(stderr, "sip2relay: connect: %s\n", strerror(errno));
		relay_free(r);
		return;
	}
	bufferevent_enable(r->bev[SIDE_CLIENT], EV_READ);
	bufferevent_enable(r->bev[SIDE_SERVER], EV_READ);
}

static void
relay_accept_error(struct evconnlistener *l, void *arg)
{
	static int	 told;

	/* Out of descriptors is not fatal: the listener retries. */
	if (!told++)
		fprintf(stderr, "sip2relay: accept: %s (%lu relays open)\n",
		    strerror(errno), nrelays);
}

static void
relay_signal(evutil_socket_t sig, short what, void *arg)
{
	/* Leave the loop so that profilers see a normal exit. */
	event_base_loopexit(arg, NULL);
}

/* Parse a numeric "a.b.c.d:port" or "[v6]:port"; port 0 is allowed. */
static int
parse_addr(const char *s, struct sockaddr_storage *ss, int *len)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	char			 host[INET6_ADDRSTRLEN + 2], *end;
	const char		*colon;
	long			 port;
	size_t			 hlen;

	if ((colon = strrchr(s, ':')) == NULL)
		return (-1);
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0' || port < 0 ||
	    port > 65535)
		return (-1);
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		s++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		return (-1);
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return (0);
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return (0);
	}
	return (-1);
}

static int
write_portfile(const char *path, evutil_socket_t fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	char			 tmp[4096];
	FILE			*fp;
	int			 port;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return (-1);
	if (ss.ss_family == AF_INET)
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return (-1);
	/* Written aside and renamed, so a reader never sees half a number. */
	if ((fp = fopen(tmp, "w")) == NULL)
		return (-1);
	fprintf(fp, "%d\n", port);
	if (fclose(fp) == EOF || rename(tmp, path) == -1) {
		unlink(tmp);
		return (-1);
	}
	return (0);
}

static void
raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_storage	 lss;
	struct event_base	*base;
	struct evconnlistener	*lis;
	struct event		*sigterm, *sigint;
	const char		*laddr = NULL, *taddr = NULL, *portfile = NULL;
	int			 ch, llen;

	while ((ch = getopt(argc, argv, "Vl:p:t:")) != -1) {
		switch (ch) {
		case 'V':
			printf("%s\n", event_get_version());
			return (0);
		case 'l':
			laddr = optarg;
			break;
		case 'p':
			portfile = optarg;
			break;
		case 't':
			taddr = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || laddr == NULL || taddr == NULL)
		usage();
	if (parse_addr(laddr, &lss, &llen) == -1) {
		fprintf(stderr, "sip2relay: bad address %s\n", laddr);
		return (2);
	}
	if (parse_addr(taddr, &target, &targetlen) == -1) {
		fprintf(stderr, "sip2relay: bad address %s\n", taddr);
		return (2);
	}

	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	if ((base = event_base_new()) == NULL) {
		fprintf(stderr, "sip2relay: event_base_new failed\n");
		return (1);
	}
	lis = evconnlistener_new_bind(base, relay_accept, base,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE, 4096,
	    (struct sockaddr *)&lss, llen);
	if (lis == NULL) {
		fprintf(stderr, "sip2relay: listen on %s: %s\n", laddr,
		    strerror(errno));
		return (1);
	}
	evconnlistener_set_error_cb(lis, relay_accept_error);
	if (portfile != NULL &&
	    write_portfile(portfile, evconnlistener_get_fd(lis)) == -1) {
		fprintf(stderr, "sip2relay: %s: %s\n", portfile,
		    strerror(errno));
		return (1);
	}
	sigterm = evsignal_new(base, SIGTERM, relay_signal, base);
	sigint = evsignal_new(base, SIGINT, relay_signal, base);
	if (sigterm == NULL || sigint == NULL ||
	    evsignal_add(sigterm, NULL) == -1 ||
	    evsignal_add(sigint, NULL) == -1) {
		fprintf(stderr, "sip2relay: cannot catch signals\n");
		return (1);
	}

	event_base_dispatch(base);

	evconnlistener_free(lis);
	event_free(sigterm);
	event_free(sigint);
	event_base_free(base);
	return (0);
}
