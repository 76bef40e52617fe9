/* SPDX-License-Identifier: ISC */
/*
 * Socket helpers shared by listeners, sessions and backends: addresses,
 * socket options, and the direct write that skips a loop turn.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "circlinkd.h"

/*
 * Fill ss with a numeric address and a port.  Names are refused: a lookup
 * would block the loop.  Returns the address length, or -1.
 */
int
net_sockaddr(const char *addr, int port, struct sockaddr_storage *ss)
{
	struct addrinfo	 hints, *res;
	char		 portstr[16];
	int		 len;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	snprintf(portstr, sizeof(portstr), "%d", port);
	if (getaddrinfo(addr, portstr, &hints, &res) != 0)
		return (-1);
	len = res->ai_addrlen;
	memcpy(ss, res->ai_addr, len);
	freeaddrinfo(res);
	return (len);
}

/* Return the port a bound socket has, or -1. */
int
net_local_port(int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return (-1);
	if (ss.ss_family == AF_INET)
		return (ntohs(((struct sockaddr_in *)&ss)->sin_port));
	if (ss.ss_family == AF_INET6)
		return (ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	return (-1);
}

/* Turn off Nagle: SIP2 is one small message each way, latency matters. */
void
net_nodelay(int fd)
{
	int	 on = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

/*
 * Write to a connection.  On a plain socket with nothing queued the bytes
 * go straight to the kernel, saving the loop turn and two epoll_ctl calls a
 * bufferevent write would cost; only a remainder is queued.  Returns -1
 * when the socket has failed.
 */
int
net_write(struct bufferevent *bev, int plain, const char *buf, size_t len)
{
	ssize_t	 n;

	if (plain &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		n = send(bufferevent_getfd(bev), buf, len, MSG_NOSIGNAL);
		if (n == (ssize_t)len)
			return (0);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				return (-1);
			n = 0;
		}
		buf += n;
		len -= n;
	}
	return (bufferevent_write(bev, buf, len));
}
