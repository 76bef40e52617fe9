/* SPDX-License-Identifier: ISC */
/*
 * circlink-ilssim: a simulated ILS that answers SIP2 and NCIP as a real one
 * does, for circlink's tests, benchmarks and demo.
 */

#include "config.h"

#include <sys/types.h>

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ilssim.h"

#define FAULTS_MAX	8

static void __attribute__((__noreturn__))
usage(void)
{
	fprintf(stderr, "usage: circlink-ilssim -d datafile [-l addr:port ...] "
	    "[-n addr:port ...]\n"
	    "\t[-t addr:port] [-N addr:port] [-c cert.pem -k key.pem] "
	    "[-C addr:port]\n"
	    "\t[-p portfile] [-f fault ...] [-v]\n");
	exit(2);
}

void
ilssim_log(const char *fmt, ...)
{
	char		 buf[1024], when[32];
	struct tm	 tm;
	time_t		 now;
	va_list		 ap;

	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s circlink-ilssim: %s\n", when, buf);
}

static void
signal_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct ilssim_server	*srv = arg;

	ilssim_log("event=signal signal=%d", (int)sig);
	event_base_loopbreak(srv->base);
}

/* Split "host:port" or "[v6]:port" into an argument for the network. */
static int
listen_arg(struct ilssim_listen_arg **args, size_t *n, const char *spec,
    int tls, int ncip)
{
	struct ilssim_listen_arg	*na, *a;
	char				*host, *port;

	if ((na = reallocarray(*args, *n + 1, sizeof(*na))) == NULL)
		return -1;
	*args = na;
	if ((host = strdup(spec)) == NULL)
		return -1;
	if ((port = strrchr(host, ':')) == NULL || port == host) {
		free(host);
		return -1;
	}
	*port++ = '\0';
	if (host[0] == '[' && port[-2] == ']') {
		memmove(host, host + 1, strlen(host));
		port[-3] = '\0';
	}
	a = &na[(*n)++];
	a->host = host;
	a->port = port;
	a->tls = tls;
	a->ncip = ncip;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct ilssim_server		 srv;
	struct ilssim_listen_arg	*args = NULL;
	const char			*control = NULL, *cert = NULL;
	const char			*key = NULL, *portfile = NULL;
	const char			*faults[FAULTS_MAX];
	char				 err[512];
	size_t				 nargs = 0, nfaults = 0, i;
	int				 ch, tls = 0, rc = 1;

	memset(&srv, 0, sizeof(srv));
	while ((ch = getopt(argc, argv, "C:c:d:f:k:l:N:n:p:t:v")) != -1) {
		switch (ch) {
		case 'C':
			control = optarg;
			break;
		case 'c':
			cert = optarg;
			break;
		case 'd':
			srv.datafile = optarg;
			break;
		case 'f':
			if (nfaults == FAULTS_MAX)
				usage();
			faults[nfaults++] = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'l':
		case 't':
		case 'n':
		case 'N':
			if (listen_arg(&args, &nargs, optarg,
			    ch == 't' || ch == 'N', ch == 'n' ||
			    ch == 'N') == -1) {
				fprintf(stderr, "circlink-ilssim: %s: expected "
				    "ADDR:PORT\n", optarg);
				return 2;
			}
			tls |= ch == 't' || ch == 'N';
			break;
		case 'p':
			portfile = optarg;
			break;
		case 'v':
			srv.verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || srv.datafile == NULL || nargs == 0)
		usage();
	if (tls && (cert == NULL || key == NULL)) {
		fprintf(stderr, "circlink-ilssim: -t and -N need -c and -k\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Before any XML is read: no entity or DTD is ever loaded. */
	ncip_init();

	if ((srv.state = ilssim_data_load(srv.datafile, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "circlink-ilssim: %s\n", err);
		goto out;
	}
	for (i = 0; i < nfaults; i++) {
		if (ilssim_net_fault(&srv, faults[i], err, sizeof(err)) == -1) {
			fprintf(stderr, "circlink-ilssim: -f %s: %s\n",
			    faults[i], err);
			goto out;
		}
	}
	if ((srv.base = event_base_new()) == NULL) {
		fprintf(stderr, "circlink-ilssim: cannot start libevent\n");
		goto out;
	}
	if (ilssim_net_start(&srv, args, nargs, control, cert, key, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "circlink-ilssim: %s\n", err);
		goto out;
	}
	if (portfile != NULL && ilssim_net_portfile(&srv, portfile) == -1) {
		fprintf(stderr, "circlink-ilssim: %s: cannot write\n",
		    portfile);
		goto out;
	}
	if ((srv.sigterm = evsignal_new(srv.base, SIGTERM, signal_cb,
	    &srv)) == NULL || evsignal_add(srv.sigterm, NULL) == -1 ||
	    (srv.sigint = evsignal_new(srv.base, SIGINT, signal_cb,
	    &srv)) == NULL || evsignal_add(srv.sigint, NULL) == -1) {
		fprintf(stderr, "circlink-ilssim: cannot catch signals\n");
		goto out;
	}
	ilssim_log("event=start institution=%s patrons=%zu items=%zu "
	    "listeners=%zu", srv.state->institution, srv.state->npatrons,
	    srv.state->nitems, nargs);
	if (event_base_dispatch(srv.base) == -1)
		ilssim_log("event=loop-error");
	ilssim_log("event=stop");
	rc = 0;

out:
	if (srv.base != NULL)
		ilssim_net_stop(&srv);
	if (srv.sigterm != NULL)
		event_free(srv.sigterm);
	if (srv.sigint != NULL)
		event_free(srv.sigint);
	if (srv.base != NULL)
		event_base_free(srv.base);
	ilssim_data_free(srv.state);
	for (i = 0; i < nargs; i++)
		free(args[i].host);
	free(args);
	return rc;
}
