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

#include <openssl/crypto.h>

#include "circlinkd.h"
#include "control.h"
#include "idstore.h"
#include "tracker.h"

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
	int			 import;	/* 1, 2 dry run: hand over */
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
static struct ctl_conn *ctl_conn_find(uint64_t);
static void	 ctl_link(struct ctl_conn *, int, char **, const char *);
static void	 ctl_link_add(struct ctl_conn *, char **);
static void	 ctl_link_show(struct ctl_conn *, const char *, const char *);
static void	 ctl_link_created(int, const struct idstore_write *, void *);
static void	 ctl_link_done(int, const struct idstore_write *, void *);
static void	 ctl_unlink(struct ctl_conn *, int, char **, const char *);
static void	 ctl_backup(struct ctl_conn *, int, char **, const char *);
static void	 ctl_backup_run(void *);
static void	 ctl_backup_done(void *);
static void	 ctl_request(struct ctl_conn *, int, char **, const char *);
static void	 ctl_register(struct ctl_conn *, int, char **, const char *);
static void	 ctl_prefs(struct ctl_conn *, int, char **, const char *);
static void	 ctl_outbox(struct ctl_conn *, int, char **, const char *);
static void	 ctl_later(int, const char *, void *);
static void	 ctl_line(void *, const char *);
static void	 ctl_import(struct ctl_conn *);
static void	 ctl_pending(struct ctl_conn *);

static const struct ctl_command ctl_commands[] = {
	{ "status", 0, 0, 0, ctl_status, "status" },
	{ "reload", 0, 0, 0, ctl_reload, "reload" },
	{ "agreement", 3, 3, 1, ctl_agreement,
	    "agreement accept|revoke PARTNER OTHER, credential on line 2" },
	{ "link", 1, 5, 0, ctl_link, "link add PARTNER BARCODE OTHER BARCODE "
	    "| link show PARTNER BARCODE | link import [dry-run]" },
	{ "unlink", 2, 2, 0, ctl_unlink, "unlink PARTNER BARCODE" },
	{ "backup", 1, 1, 0, ctl_backup, "backup ABSOLUTE-PATH" },
	{ "request", 1, 3, 0, ctl_request, "request list [PARTNER] | "
	    "request show ID | request cancel ID [REASON]" },
	{ "register", 2, 2, 0, ctl_register, "register PARTNER BARCODE" },
	{ "prefs", 3, 6, 0, ctl_prefs, "prefs set PARTNER BARCODE "
	    "key=value... | prefs show PARTNER BARCODE" },
	{ "outbox", 0, 2, 0, ctl_outbox, "outbox [retry|drop ID]" },
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
	import_close();
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
	if (c->bev != NULL)
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
		if (c->import) {
			ctl_import(c);
			return;
		}
	}
}

/* A line: the command's words, or the credential it waits for. */
static void
ctl_run(struct ctl_conn *c, char *line)
{
	const struct ctl_command	*cmd;

	if ((cmd = c->cmd) != NULL) {
		c->cmd = NULL;
		ctl_pending(c);
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
		ctl_pending(c);
		log_info("control uid=%ld command=%s", (long)c->uid,
		    cmd->name);
		cmd->fn(c, c->argc - 1, c->argv + 1, NULL);
	}
	free(line);
}

/*
 * The command is the daemon's to answer now: a registration or a push
 * may wait on several partners' deadlines in turn, so the client's read
 * timeout no longer applies; writing the answer still has one.
 */
static void
ctl_pending(struct ctl_conn *c)
{
	struct timeval	 tv = { CONTROL_TIMEOUT, 0 };

	c->pending = 1;
	bufferevent_set_timeouts(c->bev, NULL, &tv);
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
	struct idstore_stat		 st;
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
	if (gw->store != NULL && idstore_stat(gw->store, &st) == 0)
		ctl_reply(c, "store persons %zu accounts %zu barcodes %zu "
		    "map %zu used %zu", st.persons, st.accounts, st.aliases,
		    st.map_size, st.used_bytes);
	outbox_count(&n, &i);
	ctl_reply(c, "outbox owed %zu failed %zu", n, i);
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

	if ((c = ctl_conn_find((uintptr_t)arg)) == NULL)
		return;
	if (rc == 0)
		ctl_reply(c, CONTROL_OK);
	else
		ctl_reply(c, CONTROL_ERROR "%s", msg);
	ctl_done(c);
}

static struct ctl_conn *
ctl_conn_find(uint64_t id)
{
	struct ctl_conn	*c;

	TAILQ_FOREACH(c, &ctl_conns, entry)
		if (c->id == id)
			return (c);
	return (NULL);
}

/* A CREATE whose LINK is to follow, and the client to answer. */
struct ctl_link_job {
	uint64_t	 conn;
	char		 other[CONF_NAME_MAX];
	char		 barcode[IDSTORE_VALUE_MAX + 1];
};

static void
ctl_link(struct ctl_conn *c, int argc, char **argv, const char *secret)
{
	if (gw->store == NULL) {
		ctl_reply(c, CONTROL_ERROR "no identity store");
		ctl_done(c);
	} else if (strcmp(argv[0], "add") == 0 && argc == 5)
		ctl_link_add(c, argv + 1);
	else if (strcmp(argv[0], "show") == 0 && argc == 3)
		ctl_link_show(c, argv[1], argv[2]);
	else if (strcmp(argv[0], "import") == 0 && (argc == 1 ||
	    (argc == 2 && strcmp(argv[1], "dry-run") == 0)))
		c->import = argc;	/* after this line: ctl_import() */
	else {
		ctl_reply(c, CONTROL_ERROR "usage: link add PARTNER BARCODE "
		    "OTHER BARCODE | link show PARTNER BARCODE | link import "
		    "[dry-run]");
		ctl_done(c);
	}
}

/*
 * link add P1 B1 P2 B2: the accounts with these barcodes are one person's.
 * A new person's home is P1.  The partners need an agreement in force;
 * classes are judged whenever the link is used.
 */
static void
ctl_link_add(struct ctl_conn *c, char **argv)
{
	const struct policy_agreement	*ags, *ag;
	struct idstore_ref		 r1, r2;
	struct idstore_write		 w;
	struct ctl_link_job		*job;
	size_t				 n;
	int				 f1, f2, rc;

	if (conf_partner_find(gw->conf, argv[0]) == NULL ||
	    conf_partner_find(gw->conf, argv[2]) == NULL ||
	    strcmp(argv[0], argv[2]) == 0) {
		ctl_reply(c, CONTROL_ERROR "two different partners of the "
		    "configuration are needed");
		goto done;
	}
	ags = agreement_list(&n);
	if ((ag = policy_agreement_find(ags, n, argv[0], argv[2])) == NULL ||
	    !policy_active(ag)) {
		ctl_reply(c, CONTROL_ERROR "no agreement in force between %s "
		    "and %s", argv[0], argv[2]);
		goto done;
	}
	f1 = idstore_find_barcode(gw->store, argv[0], argv[1], &r1);
	f2 = idstore_find_barcode(gw->store, argv[2], argv[3], &r2);
	if ((f1 != IDSTORE_OK && f1 != IDSTORE_NOTFOUND) ||
	    (f2 != IDSTORE_OK && f2 != IDSTORE_NOTFOUND)) {
		ctl_reply(c, CONTROL_ERROR "identity store: %s",
		    idstore_strerror(f1 != IDSTORE_OK &&
		    f1 != IDSTORE_NOTFOUND ? f1 : f2));
		goto done;
	}
	if (f1 == IDSTORE_OK && f2 == IDSTORE_OK) {
		if (memcmp(r1.person, r2.person, IDSTORE_ID_LEN) == 0) {
			ctl_reply(c, CONTROL_OK);
			ctl_reply(c, "already linked");
		} else
			ctl_reply(c, CONTROL_ERROR "the two accounts belong to "
			    "two persons; unlink one first");
		goto done;
	}

	memset(&w, 0, sizeof(w));
	w.creator = "circlinkctl";
	w.reason = "manual";
	if (f1 == IDSTORE_OK || f2 == IDSTORE_OK) {
		w.op = IDSTORE_LINK;
		memcpy(w.person, f1 == IDSTORE_OK ? r1.person : r2.person,
		    IDSTORE_ID_LEN);
		w.partner = f1 == IDSTORE_OK ? argv[2] : argv[0];
		w.barcode = f1 == IDSTORE_OK ? argv[3] : argv[1];
		rc = idstore_submit(gw->store, &w, ctl_link_done,
		    (void *)(uintptr_t)c->id);
	} else {
		if ((job = calloc(1, sizeof(*job))) == NULL) {
			ctl_reply(c, CONTROL_ERROR "out of memory");
			goto done;
		}
		job->conn = c->id;
		snprintf(job->other, sizeof(job->other), "%s", argv[2]);
		snprintf(job->barcode, sizeof(job->barcode), "%s", argv[3]);
		w.op = IDSTORE_CREATE;
		w.partner = argv[0];
		w.barcode = argv[1];
		if ((rc = idstore_submit(gw->store, &w, ctl_link_created,
		    job)) == -1)
			free(job);
	}
	if (rc == 0)
		return;
	ctl_reply(c, CONTROL_ERROR "identity store: %s", errno == EINVAL ?
	    "a barcode is empty or too long" : strerror(errno));
done:
	ctl_done(c);
}

/* The person exists: now its other account, or undo it if that fails. */
static void
ctl_link_created(int result, const struct idstore_write *w, void *arg)
{
	struct ctl_link_job	*job = arg;
	struct ctl_conn		*c;
	struct idstore_write	 l;

	memset(&l, 0, sizeof(l));
	if (result == IDSTORE_OK) {
		l.op = IDSTORE_LINK;
		memcpy(l.person, w->person, IDSTORE_ID_LEN);
		l.partner = job->other;
		l.barcode = job->barcode;
		l.creator = "circlinkctl";
		l.reason = "manual";
		if (idstore_submit(gw->store, &l, ctl_link_done,
		    (void *)(uintptr_t)job->conn) == 0) {
			OPENSSL_cleanse(job, sizeof(*job));
			free(job);
			return;
		}
		/* Not even queued: the lone home account goes again (id 0:
		 * no client waits for it, the result is only logged). */
		l.op = IDSTORE_FORGET;
		idstore_submit(gw->store, &l, ctl_link_done, NULL);
		result = IDSTORE_FAIL;
	}
	if ((c = ctl_conn_find(job->conn)) != NULL) {
		ctl_reply(c, CONTROL_ERROR "identity store: %s",
		    idstore_strerror(result));
		ctl_done(c);
	}
	OPENSSL_cleanse(job, sizeof(*job));
	free(job);
}

/* A write of link add or unlink is committed or refused. */
static void
ctl_link_done(int result, const struct idstore_write *w, void *arg)
{
	struct ctl_conn	*c;

	log_info("control event=%s partner=%s result=%s",
	    w->op == IDSTORE_UNLINK || w->op == IDSTORE_FORGET ? "unlink" :
	    "link", w->partner != NULL ? w->partner : "-",
	    result == IDSTORE_OK ? "ok" : idstore_strerror(result));
	if ((c = ctl_conn_find((uintptr_t)arg)) == NULL)
		return;
	if (result == IDSTORE_OK)
		ctl_reply(c, CONTROL_OK);
	else if (result == IDSTORE_EXISTS)
		ctl_reply(c, CONTROL_ERROR "that barcode belongs to another "
		    "person's account");
	else if (result == IDSTORE_CONFLICT)
		ctl_reply(c, CONTROL_ERROR "the person has an account at %s "
		    "already", w->partner != NULL ? w->partner : "it");
	else
		ctl_reply(c, CONTROL_ERROR "identity store: %s",
		    idstore_strerror(result));
	ctl_done(c);
}

/* link show P B: the person's accounts, barcodes masked as in logs. */
static void
ctl_link_show(struct ctl_conn *c, const char *partner, const char *barcode)
{
	struct idstore_ref	 r;
	struct idstore_person	*p;
	struct idstore_account	*a;
	struct tm		 tm;
	char			 when[32], codes[IDSTORE_BARCODES_MAX * 24];
	char			 masked[IDSTORE_VALUE_MAX + 1];
	size_t			 i, j, off;
	int			 rc;

	if ((rc = idstore_find_barcode(gw->store, partner, barcode, &r)) !=
	    IDSTORE_OK) {
		ctl_reply(c, CONTROL_ERROR "%s", rc == IDSTORE_NOTFOUND ?
		    "no linked account has that barcode there" :
		    idstore_strerror(rc));
		ctl_done(c);
		return;
	}
	if ((p = malloc(sizeof(*p))) == NULL ||
	    (rc = idstore_person(gw->store, r.person, p)) != IDSTORE_OK) {
		ctl_reply(c, CONTROL_ERROR "%s", p == NULL ? "out of memory" :
		    idstore_strerror(rc));
		free(p);
		ctl_done(c);
		return;
	}
	ctl_reply(c, CONTROL_OK);
	ctl_reply(c, "person %02x%02x%02x%02x accounts %zu", p->id[0],
	    p->id[1], p->id[2], p->id[3], p->naccounts);
	for (i = 0; i < p->naccounts; i++) {
		a = &p->accounts[i];
		codes[0] = '\0';
		for (j = off = 0; j < a->nbarcodes &&
		    off < sizeof(codes); j++) {
			sip2_redact_id(a->barcodes[j], masked,
			    sizeof(masked));
			off += (size_t)snprintf(codes + off,
			    sizeof(codes) - off, "%s%s", j > 0 ? "," : "",
			    masked);
		}
		gmtime_r(&a->created, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (a->patron_key[0] != '\0')
			sip2_redact_id(a->patron_key, masked, sizeof(masked));
		ctl_reply(c, "account %s %s barcodes %s key %s created %s by "
		    "%s reason %s", a->partner, a->home ? "home" : "linked",
		    codes[0] != '\0' ? codes : "-", a->patron_key[0] != '\0' ?
		    masked : "-", when, a->creator, a->reason);
	}
	OPENSSL_cleanse(p, sizeof(*p));
	free(p);
	ctl_done(c);
}

/*
 * unlink P B: the account leaves its person.  A home account goes only
 * when it is the person's last, and the person with it.
 */
static void
ctl_unlink(struct ctl_conn *c, int argc, char **argv, const char *secret)
{
	struct idstore_ref	 r;
	struct idstore_person	*p = NULL;
	struct idstore_write	 w;
	int			 rc;

	if (gw->store == NULL) {
		ctl_reply(c, CONTROL_ERROR "no identity store");
		goto done;
	}
	if ((rc = idstore_find_barcode(gw->store, argv[0], argv[1], &r)) !=
	    IDSTORE_OK) {
		ctl_reply(c, CONTROL_ERROR "%s", rc == IDSTORE_NOTFOUND ?
		    "no linked account has that barcode there" :
		    idstore_strerror(rc));
		goto done;
	}
	memset(&w, 0, sizeof(w));
	memcpy(w.person, r.person, IDSTORE_ID_LEN);
	memcpy(w.account, r.account, IDSTORE_ID_LEN);
	w.partner = argv[0];
	w.op = IDSTORE_UNLINK;
	if (r.home) {
		if ((p = malloc(sizeof(*p))) == NULL ||
		    idstore_person(gw->store, r.person, p) != IDSTORE_OK) {
			ctl_reply(c, CONTROL_ERROR "cannot read the person");
			goto done;
		}
		if (p->naccounts > 1) {
			ctl_reply(c, CONTROL_ERROR "that is the person's home "
			    "account; unlink the others first");
			goto done;
		}
		w.op = IDSTORE_FORGET;
	}
	if (idstore_submit(gw->store, &w, ctl_link_done,
	    (void *)(uintptr_t)c->id) == 0) {
		if (p != NULL)
			OPENSSL_cleanse(p, sizeof(*p));
		free(p);
		return;
	}
	ctl_reply(c, CONTROL_ERROR "identity store: %s", strerror(errno));
done:
	if (p != NULL)
		OPENSSL_cleanse(p, sizeof(*p));
	free(p);
	ctl_done(c);
}

/*
 * link import [dry-run]: the rest of the connection is the file's, and
 * import.c has it from here; this one goes without closing it.
 */
static void
ctl_import(struct ctl_conn *c)
{
	char	 err[256];

	if (import_start(c->bev, c->import == 2, err, sizeof(err)) == -1) {
		c->import = 0;
		ctl_reply(c, CONTROL_ERROR "%s", err);
		ctl_done(c);
		return;
	}
	c->bev = NULL;
	ctl_free(c);
}

/* A backup under way on the worker. */
struct ctl_backup_job {
	uint64_t	 conn;
	char		 path[CONTROL_LINE_MAX];
	int		 rc;
	char		 err[1024];
};

/* backup PATH: a consistent copy of the store, made off the loop. */
static void
ctl_backup(struct ctl_conn *c, int argc, char **argv, const char *secret)
{
	struct ctl_backup_job	*job;

	if (gw->store == NULL || argv[0][0] != '/') {
		ctl_reply(c, CONTROL_ERROR "%s", gw->store == NULL ?
		    "no identity store" : "the path must be absolute");
		ctl_done(c);
		return;
	}
	if ((job = calloc(1, sizeof(*job))) == NULL) {
		ctl_reply(c, CONTROL_ERROR "out of memory");
		ctl_done(c);
		return;
	}
	job->conn = c->id;
	snprintf(job->path, sizeof(job->path), "%s", argv[0]);
	if (worker_submit(ctl_backup_run, ctl_backup_done, job) == -1) {
		free(job);
		ctl_reply(c, CONTROL_ERROR "cannot start: %s",
		    strerror(errno));
		ctl_done(c);
	}
}

static void
ctl_backup_run(void *arg)
{
	struct ctl_backup_job	*job = arg;

	job->rc = idstore_backup(gw->store, job->path, job->err,
	    sizeof(job->err));
}

static void
ctl_backup_done(void *arg)
{
	struct ctl_backup_job	*job = arg;
	struct ctl_conn		*c;

	log_info("control event=backup result=%s", job->rc == 0 ? "ok" :
	    "failed");
	if ((c = ctl_conn_find(job->conn)) != NULL) {
		if (job->rc == 0)
			ctl_reply(c, CONTROL_OK);
		else
			ctl_reply(c, CONTROL_ERROR "%s", job->err);
		ctl_done(c);
	}
	free(job);
}

/* --- registration, preferences, the outbox --------------------------- */

/* register PARTNER BARCODE: linked accounts where agreements allow. */
static void
ctl_register(struct ctl_conn *c, int argc, char **argv, const char *secret)
{
	char	 err[256];

	if (register_staff(argv[0], argv[1], ctl_later,
	    (void *)(uintptr_t)c->id, err, sizeof(err)) == -1) {
		ctl_reply(c, CONTROL_ERROR "%s", err);
		ctl_done(c);
	}
}

/* prefs set|show PARTNER BARCODE [key=value...] */
static void
ctl_prefs(struct ctl_conn *c, int argc, char **argv, const char *secret)
{
	char	 err[256];

	if (prefs_staff(argc, argv, ctl_later, (void *)(uintptr_t)c->id, err,
	    sizeof(err)) == -1) {
		ctl_reply(c, CONTROL_ERROR "%s", err);
		ctl_done(c);
	}
}

/* outbox: the calls owed; outbox retry|drop ID: an administrator's word. */
static void
ctl_outbox(struct ctl_conn *c, int argc, char **argv, const char *secret)
{
	char	 err[256];

	if (argc == 0) {
		ctl_reply(c, CONTROL_OK);
		outbox_list(ctl_line, c);
	} else if (argc != 2)
		ctl_reply(c, CONTROL_ERROR "usage: outbox [retry|drop ID]");
	else if (outbox_admin(argv[0], argv[1], err, sizeof(err)) == -1)
		ctl_reply(c, CONTROL_ERROR "%s", err);
	else
		ctl_reply(c, CONTROL_OK);
	ctl_done(c);
}

/* One line of a listing, for the client. */
static void
ctl_line(void *arg, const char *line)
{
	ctl_reply(arg, "%s", line);
}

/*
 * The end of a command answered later: ok and the lines of text, or the
 * error; the client may have gone.
 */
static void
ctl_later(int ok, const char *text, void *arg)
{
	struct ctl_conn	*c;
	const char	*nl;

	if ((c = ctl_conn_find((uintptr_t)arg)) == NULL)
		return;
	if (!ok)
		ctl_reply(c, CONTROL_ERROR "%.*s", (int)strcspn(text, "\n"),
		    text);
	else {
		ctl_reply(c, CONTROL_OK);
		for (; *text != '\0'; text = nl + (*nl != '\0')) {
			nl = text + strcspn(text, "\n");
			ctl_reply(c, "%.*s", (int)(nl - text), text);
		}
	}
	ctl_done(c);
}

/* --- the request tracker ---------------------------------------------- */

/* The first line of a request shown says the answer is good. */
static void
ctl_request_first(void *arg, const char *line)
{
	struct ctl_conn	*c = arg;

	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		ctl_reply(c, CONTROL_OK);
	ctl_reply(c, "%s", line);
}

/* A staff cancel is done, or refused; the client may have gone. */
static void
ctl_request_cancelled(uint64_t id, int ok, const char *screen)
{
	struct ctl_conn	*c;

	if ((c = ctl_conn_find(id)) == NULL)
		return;
	if (ok)
		ctl_reply(c, CONTROL_OK);
	else
		ctl_reply(c, CONTROL_ERROR "%s", screen != NULL ? screen :
		    "not cancelled");
	ctl_done(c);
}

/* request list [PARTNER] | show ID | cancel ID [REASON]: tracked holds. */
static void
ctl_request(struct ctl_conn *c, int argc, char **argv, const char *secret)
{
	const char	*why;

	if (strcmp(argv[0], "list") == 0 && argc <= 2) {
		if (argc == 2 && conf_partner_find(gw->conf, argv[1]) == NULL) {
			ctl_reply(c, CONTROL_ERROR "no partner \"%.40s\"",
			    argv[1]);
			ctl_done(c);
			return;
		}
		ctl_reply(c, CONTROL_OK);
		hold_list(argc == 2 ? argv[1] : NULL, ctl_line, c);
	} else if (strcmp(argv[0], "show") == 0 && argc == 2) {
		/* Nothing is written for a request that is not there. */
		if (hold_show(argv[1], ctl_request_first, c) == -1)
			ctl_reply(c, CONTROL_ERROR "no such request");
	} else if (strcmp(argv[0], "cancel") == 0 && argc >= 2) {
		if (hold_cancel_staff(argv[1], argc == 3 ? argv[2] : NULL,
		    ctl_request_cancelled, c->id, &why) == 0)
			return;
		ctl_reply(c, CONTROL_ERROR "%s", why);
	} else
		ctl_reply(c, CONTROL_ERROR "usage: request list [PARTNER] | "
		    "request show ID | request cancel ID [REASON]");
	ctl_done(c);
}
