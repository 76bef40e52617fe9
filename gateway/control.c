/* SPDX-License-Identifier: ISC */
/*
 * The control socket: a UNIX socket in the state directory on which
 * circlinkctl asks the running daemon how it is and tells it what to do.
 * Only root and the daemon's own user may use it: the socket file is
 * theirs alone, and each peer's credentials are checked as well, so a
 * mistaken chmod does not open it.  One command per connection.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "circlinkd.h"
#include "control.h"

#define CONTROL_ARGS_MAX	8	/* words of one command */
#define CONTROL_CONNS_MAX	16	/* clients at once */

struct ctl_command;

/* One client of the control socket, from its line to our answer. */
struct ctl_conn {
	TAILQ_ENTRY(ctl_conn)	 entry;
	uint64_t		 id;
	struct bufferevent	*bev;
	uid_t			 uid;
	int			 answered; /* close once written */
	int			 pending;	/* an answer comes later */
	/* A command waiting for the line with its credential. */
	const struct ctl_command *cmd;
	char			*line;
	char			*argv[CONTROL_ARGS_MAX];
	int			 argc;
};
TAILQ_HEAD(ctl_conns, ctl_conn);

/*
 * A command: its words, how many it takes, whether a credential follows
 * on a line of its own.  fn gets the words after the name.
 */
struct ctl_command {
	const char	*name;
	int		 min, max;	/* words after the name */
	int		 secret;
	void		(*fn)(struct ctl_conn *, int, char **,
			    const char *);
	const char	*usage;
};

static struct evconnlistener	*ctl_listener;
static struct ctl_conns		 ctl_conns =
				    TAILQ_HEAD_INITIALIZER(ctl_conns);
static int			 ctl_nconns;
static uint64_t			 ctl_next_id;
static char			*ctl_path;
static time_t			 ctl_started;

static void	 ctl_accept_cb(struct evconnlistener *, evutil_socket_t,
		    struct sockaddr *, int, void *);
static void	 ctl_read_cb(struct bufferevent *, void *);
static void	 ctl_write_cb(struct bufferevent *, void *);
static void	 ctl_event_cb(struct bufferevent *, short, void *);
static void	 ctl_free(struct ctl_conn *);
static int	 ctl_split(char *, char **, int);
static void	 ctl_reply(struct ctl_conn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 ctl_done(struct ctl_conn *);
static void	 ctl_run(struct ctl_conn *, char *);
static int	 ctl_live(const char *);
static void	 ctl_status(struct ctl_conn *, int, char **, const char *);
static void	 ctl_reload(struct ctl_conn *, int, char **, const char *);
static void	 ctl_agreement(struct ctl_conn *, int, char **,
		    const char *);
static void	 ctl_agreement_cb(int, const char *, void *);

static const struct ctl_command ctl_commands[] = {
	{ "status", 0, 0, 0, ctl_status, "status" },
	{ "reload", 0, 0, 0, ctl_reload, "reload" },
	{ "agreement", 3, 3, 1, ctl_agreement,
	    "agreement accept|revoke PARTNER OTHER, credential on line 2" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

int
control_open(struct event_base *base, const char *dir, uid_t uid, gid_t gid,
    char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	mode_t			 old;
	int			 fd, n;

	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "state directory %s: %s", dir,
		    strerror(errno));
		return (-1);
	}
	if (uid != (uid_t)-1 && chown(dir, uid, gid) == -1) {
		snprintf(err, errlen, "state directory %s: chown: %s", dir,
		    strerror(errno));
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", dir,
	    CONTROL_SOCKET);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "state directory %s: too long a path "
		    "for the control socket", dir);
		return (-1);
	}
	if (ctl_live(sun.sun_path)) {
		snprintf(err, errlen, "%s: another circlinkd answers on it",
		    sun.sun_path);
		return (-1);
	}
	/* What is left is a dead daemon's socket, or nothing. */
	if (unlink(sun.sun_path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", sun.sun_path, strerror(errno));
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return (-1);
	}
	/* Born private: no moment in which others may connect. */
	old = umask(0177);
	n = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (n == -1 || (uid != (uid_t)-1 && chown(sun.sun_path, uid, gid) ==
	    -1)) {
		snprintf(err, errlen, "%s: %s", sun.sun_path, strerror(errno));
		close(fd);
		return (-1);
	}
	ctl_listener = evconnlistener_new(base, ctl_accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE, 8, fd);
	if (ctl_listener == NULL) {
		snprintf(err, errlen, "%s: cannot listen", sun.sun_path);
		close(fd);
		unlink(sun.sun_path);
		return (-1);
	}
	if ((ctl_path = strdup(sun.sun_path)) == NULL) {
		control_close();
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	ctl_started = time(NULL);
	return (0);
}

void
control_close(void)
{
	struct ctl_conn	*c;

	while ((c = TAILQ_FIRST(&ctl_conns)) != NULL)
		ctl_free(c);
	if (ctl_listener != NULL)
		evconnlistener_free(ctl_listener);
	ctl_listener = NULL;
	/* After dropping privileges the directory may no longer be ours. */
	if (ctl_path != NULL && unlink(ctl_path) == -1 && errno != ENOENT)
		log_warn("%s", ctl_path);
	free(ctl_path);
	ctl_path = NULL;
}

/* Return 1 if a daemon answers on the socket at path. */
static int
ctl_live(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd, live;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	live = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return (live);
}

static void
ctl_accept_cb(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct ctl_conn	*c;
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);
	struct timeval	 tv = { CONTROL_TIMEOUT, 0 };

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		log_warnx("control event=refused uid=%ld",
		    len == sizeof(cred) ? (long)cred.uid : -1L);
		close(fd);
		return;
	}
	if (ctl_nconns >= CONTROL_CONNS_MAX ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		log_warnx("control event=refused why=\"too many clients\"");
		close(fd);
		return;
	}
	c->uid = cred.uid;
	c->id = ++ctl_next_id;
	c->bev = bufferevent_socket_new(evconnlistener_get_base(evl), fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&ctl_conns, c, entry);
	ctl_nconns++;
	bufferevent_setcb(c->bev, ctl_read_cb, ctl_write_cb, ctl_event_cb, c);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_setwatermark(c->bev, EV_READ, 0, CONTROL_LINE_MAX * 2);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void
ctl_free(struct ctl_conn *c)
{
	TAILQ_REMOVE(&ctl_conns, c, entry);
	ctl_nconns--;
	bufferevent_free(c->bev);
	free(c->line);
	free(c);
}

static void
ctl_read_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_conn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line;
	size_t		 len;

	while (!c->answered && !c->pending) {
		line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
		if (line == NULL) {
			if (evbuffer_get_length(in) > CONTROL_LINE_MAX) {
				ctl_reply(c, CONTROL_ERROR "request line too "
				    "long");
				ctl_done(c);
			}
			return;
		}
		ctl_run(c, line);
	}
}

/* A line: the command's words, or the credential it waits for. */
static void
ctl_run(struct ctl_conn *c, char *line)
{
	const struct ctl_command	*cmd;

	if ((cmd = c->cmd) != NULL) {
		c->cmd = NULL;
		c->pending = 1;
		log_info("control uid=%ld command=%s", (long)c->uid,
		    cmd->name);
		cmd->fn(c, c->argc - 1, c->argv + 1, line);
		explicit_bzero(line, strlen(line));
		free(line);
		return;
	}
	c->argc = ctl_split(line, c->argv, CONTROL_ARGS_MAX);
	for (cmd = ctl_commands; cmd->name != NULL; cmd++)
		if (c->argc > 0 && strcmp(cmd->name, c->argv[0]) == 0)
			break;
	if (c->argc <= 0 || cmd->name == NULL) {
		ctl_reply(c, CONTROL_ERROR "unknown command \"%.40s\"",
		    c->argc > 0 ? c->argv[0] : "");
		ctl_done(c);
	} else if (c->argc - 1 < cmd->min || c->argc - 1 > cmd->max) {
		ctl_reply(c, CONTROL_ERROR "usage: %s", cmd->usage);
		ctl_done(c);
	} else if (cmd->secret) {
		/* The words stay until the credential's line comes. */
		c->cmd = cmd;
		c->line = line;
		return;
	} else {
		c->pending = 1;
		log_info("control uid=%ld command=%s", (long)c->uid,
		    cmd->name);
		cmd->fn(c, c->argc - 1, c->argv + 1, NULL);
	}
	free(line);
}

/* Once the answer is out, the connection ends. */
static void
ctl_write_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_conn	*c = arg;

	if (c->answered)
		ctl_free(c);
}

static void
ctl_event_cb(struct bufferevent *bev, short what, void *arg)
{
	ctl_free(arg);
}

/* Split line into at most max words; -1 when it has more. */
static int
ctl_split(char *line, char **argv, int max)
{
	char	*word;
	int	 n = 0;

	while ((word = strsep(&line, " \t\r")) != NULL) {
		if (*word == '\0')
			continue;
		if (n == max)
			return (-1);
		argv[n++] = word;
	}
	return (n);
}

/* One line of the answer. */
static void
ctl_reply(struct ctl_conn *c, const char *fmt, ...)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	va_list		 ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(out, fmt, ap);
	va_end(ap);
	evbuffer_add(out, "\n", 1);
}

/* The answer is complete: close when it is written. */
static void
ctl_done(struct ctl_conn *c)
{
	c->answered = 1;
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		ctl_free(c);
}

/* --- commands ----------------------------------------------------------- */

static void
ctl_status(struct ctl_conn *c, int argc, char **argv, const char *secret)
{
	struct conf_partner		*p;
	const struct policy_agreement	*ags;
	const char			*proto, *state;
	char				 why[200];
	size_t				 i, n;

	ctl_reply(c, CONTROL_OK);
	ctl_reply(c, "daemon %s pid %ld up %llds", PACKAGE_STRING,
	    (long)getpid(), (long long)(time(NULL) - ctl_started));
	ctl_reply(c, "configuration %s", gw->conf_path);
	ctl_reply(c, "sessions %d", session_count());
	TAILQ_FOREACH(p, &gw->conf->partners, entry) {
		if (!p->has_backend) {
			proto = "none";
			state = "-";
		} else {
			proto = p->backend.proto == BACKEND_NCIP ? "ncip" :
			    "sip2";
			state = serve_partner_up(p) ? "up" : "down";
		}
		ctl_reply(c, "partner %s backend %s %s", p->id, proto, state);
	}
	ags = agreement_list(&n);
	for (i = 0; i < n; i++)
		ctl_reply(c, "agreement %s %s %s", ags[i].side[0].id,
		    ags[i].side[1].id, agreement_state(&ags[i], why,
		    sizeof(why)));
	ctl_done(c);
}

static void
ctl_reload(struct ctl_conn *c, int argc, char **argv, const char *secret)
{
	char	 err[1024];

	if (gateway_reload(err, sizeof(err)) == -1)
		ctl_reply(c, CONTROL_ERROR "%s", err);
	else
		ctl_reply(c, CONTROL_OK);
	ctl_done(c);
}

/*
 * agreement accept|revoke PARTNER OTHER: PARTNER's administrator takes
 * back, or gives again, its acceptance of the agreement with OTHER.  The
 * answer comes once the change is on record and in force.
 */
static void
ctl_agreement(struct ctl_conn *c, int argc, char **argv, const char *cred)
{
	char	 err[256];
	int	 revoke;

	if (strcmp(argv[0], "revoke") == 0)
		revoke = 1;
	else if (strcmp(argv[0], "accept") == 0)
		revoke = 0;
	else {
		ctl_reply(c, CONTROL_ERROR "usage: agreement accept|revoke "
		    "PARTNER OTHER");
		ctl_done(c);
		return;
	}
	if (agreement_change(argv[1], argv[2], revoke, cred,
	    ctl_agreement_cb, (void *)(uintptr_t)c->id, err,
	    sizeof(err)) == -1) {
		ctl_reply(c, CONTROL_ERROR "%s", err);
		ctl_done(c);
	}
}

/* The change is in force or refused; the client may have gone. */
static void
ctl_agreement_cb(int rc, const char *msg, void *arg)
{
	struct ctl_conn	*c;
	uint64_t	 id = (uintptr_t)arg;

	TAILQ_FOREACH(c, &ctl_conns, entry)
		if (c->id == id)
			break;
	if (c == NULL)
		return;
	if (rc == 0)
		ctl_reply(c, CONTROL_OK);
	else
		ctl_reply(c, CONTROL_ERROR "%s", msg);
	ctl_done(c);
}
