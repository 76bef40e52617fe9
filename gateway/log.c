/* SPDX-License-Identifier: ISC */
/*
 * Logging to syslog, or to stderr in the foreground, with levels, trace
 * flags per subsystem, and the errors of libevent and OpenSSL routed in.
 */

#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/err.h>

#include "circlinkd.h"

static int	 log_foreground = 1;
static int	 log_level = LOG_INFO;
static int	 log_traces;

static void	 log_vwrite(int, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));
static void	 log_event_cb(int, const char *);

/* Start logging: to stderr when foreground, else to syslog. */
void
log_init(int foreground, int level, int traces)
{
	log_foreground = foreground;
	log_level = level;
	log_traces = traces;
	if (!foreground)
		openlog("circlinkd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	event_set_log_callback(log_event_cb);
}

/* Change the level and trace flags, as a reload does. */
void
log_set(int level, int traces)
{
	log_level = level;
	log_traces = traces;
}

/* Return 1 if lines of this priority are written. */
int
log_level_on(int pri)
{
	return (pri <= log_level);
}

/* Return 1 if a trace flag is on. */
int
log_tracing(int flag)
{
	return ((log_traces & flag) != 0);
}

static void
log_vwrite(int pri, const char *fmt, va_list ap)
{
	char		 line[2048];
	struct timespec	 ts;
	struct tm	 tm;
	char		 stamp[32];

	if (pri > log_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (!log_foreground) {
		syslog(pri, "%s", line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld circlinkd: %s\n", stamp,
	    ts.tv_nsec / 1000000, line);
}

/* Log a warning followed by the text of errno. */
void
log_warn(const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("%s: %s", buf, strerror(saved));
	errno = saved;
}

/* Log a warning. */
void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, fmt, ap);
	va_end(ap);
}

/* Log an informational line. */
void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, fmt, ap);
	va_end(ap);
}

/* Log a debugging line. */
void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

/* Log a line for one trace flag, when that flag is on. */
void
log_trace(int flag, const char *fmt, ...)
{
	va_list	 ap;

	if ((log_traces & flag) == 0)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_INFO, fmt, ap);
	va_end(ap);
}

/* Log OpenSSL's queued errors under a prefix and clear the queue. */
void
log_ssl(const char *what)
{
	unsigned long	 e;
	char		 buf[256];
	int		 n = 0;

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		log_warnx("%s: %s", what, buf);
		n++;
	}
	if (n == 0)
		log_debug("%s: no OpenSSL error queued", what);
}

/* Stop with a message: only at start-up or on a broken invariant. */
void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Stop with a message and the text of errno. */
void
fatal(const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fatalx("%s: %s", buf, strerror(saved));
}

static void
log_event_cb(int severity, const char *msg)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_trace(TRACE_SESSION, "libevent: %s", msg);
		break;
	case EVENT_LOG_MSG:
		log_info("libevent: %s", msg);
		break;
	default:
		log_warnx("libevent: %s", msg);
		break;
	}
}
