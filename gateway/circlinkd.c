/* SPDX-License-Identifier: ISC */
/*
 * circlinkd: the gateway daemon's start, reload and stop.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "circlinkd.h"
#include "control.h"
#include "idstore.h"
#include "tracker.h"
#include "ncip.h"

static struct gateway	 gateway;
struct gateway		*gw = &gateway;

static void	 usage(void) __attribute__((noreturn));
static void	 gateway_sighup(evutil_socket_t, short, void *);
static void	 gateway_sigterm(evutil_socket_t, short, void *);
static void	 gateway_owner(const struct conf *, uid_t *, gid_t *);
static void	 gateway_drop_privileges(const struct conf *, uid_t, gid_t);
static void	 gateway_raise_nofile(void);
static void	 gateway_store_open(const struct conf *, uid_t, gid_t);

static void
usage(void)
{
	fprintf(stderr, "usage: circlinkd [-dnv] [-f file]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct event	*ev_hup, *ev_term, *ev_int;
	struct conf	*conf;
	char		 err[1024];
	uid_t		 uid;
	gid_t		 gid;
	int		 ch, check = 0, verbose = 0;

	gw->conf_path = CIRCLINKD_CONF;
	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd':
			gw->foreground = 1;
			break;
		case 'f':
			gw->conf_path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	if ((conf = conf_load(gw->conf_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "circlinkd: %s\n", err);
		return (1);
	}
	if (check) {
		printf("circlinkd: configuration OK\n");
		conf_free(conf);
		return (0);
	}
	log_init(gw->foreground, verbose > 0 ? LOG_DEBUG : conf->log_level,
	    conf->trace);
	signal(SIGPIPE, SIG_IGN);
	gateway_raise_nofile();
	tls_init();
	ncip_init();
	if (!gw->foreground && daemon(0, 0) == -1)
		fatal("daemon");
	if ((gw->base = event_base_new()) == NULL)
		fatalx("cannot make an event base");
	TAILQ_INIT(&gw->partners);
	if (worker_start(gw->base) == -1)
		fatal("worker thread");
	if (agreement_open(conf->state_dir, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (gateway_apply(conf, err, sizeof(err)) == -1)
		fatalx("%s", err);
	gateway_owner(conf, &uid, &gid);
	if (control_open(gw->base, conf->state_dir, uid, gid, err,
	    sizeof(err)) == -1)
		fatalx("%s", err);
	gateway_store_open(conf, uid, gid);
	if (hold_open(err, sizeof(err)) == -1 ||
	    outbox_open(gw->base, gw->store, err, sizeof(err)) == -1)
		fatalx("%s", err);
	gateway_drop_privileges(conf, uid, gid);

	ev_hup = evsignal_new(gw->base, SIGHUP, gateway_sighup, NULL);
	ev_term = evsignal_new(gw->base, SIGTERM, gateway_sigterm, NULL);
	ev_int = evsignal_new(gw->base, SIGINT, gateway_sigterm, NULL);
	if (ev_hup == NULL || ev_term == NULL || ev_int == NULL ||
	    evsignal_add(ev_hup, NULL) == -1 ||
	    evsignal_add(ev_term, NULL) == -1 ||
	    evsignal_add(ev_int, NULL) == -1)
		fatalx("cannot install signal handlers");
	log_info("started: %s, libevent %s, %s", PACKAGE_STRING,
	    event_get_version(), OpenSSL_version(OPENSSL_VERSION));

	event_base_dispatch(gw->base);

	log_info("stopped");
	control_close();
	hold_close();
	/* Commits what is queued; its callbacks still need the loop's base. */
	idstore_close(gw->store);
	gw->store = NULL;
	outbox_close();
	event_free(ev_hup);
	event_free(ev_term);
	event_free(ev_int);
	gateway_apply(NULL, err, sizeof(err));
	/* Let closed sessions be reaped before the loop goes. */
	event_base_loop(gw->base, EVLOOP_NONBLOCK);
	session_sweep_stop();
	listener_free_all();
	worker_stop();
	event_base_free(gw->base);
	return (0);
}

/*
 * Make the running daemon match a configuration, which it then owns:
 * listeners first (the only step that can fail, and it fails whole), then
 * backends, kept where their settings did not change, then the sessions'
 * accounts.  NULL tears everything down.  Returns -1 with err set, the old
 * configuration still in force.
 */
int
gateway_apply(struct conf *conf, char *err, size_t errlen)
{
	struct partner_rt	*rt, *next;
	struct conf_partner	*p, *old;
	struct conf		 none;
	char			 why[512];

	if (conf == NULL) {
		memset(&none, 0, sizeof(none));
		TAILQ_INIT(&none.listeners);
		TAILQ_INIT(&none.partners);
		TAILQ_INIT(&none.terminals);
	}
	if (conf != NULL && ncip_front_prepare(conf, err, errlen) == -1)
		return (-1);
	if (conf != NULL && listener_setup(conf, err, errlen) == -1) {
		ncip_front_abort();
		return (-1);
	}
	if (conf != NULL)
		ncip_front_commit();
	else
		ncip_front_free_all();

	for (rt = TAILQ_FIRST(&gw->partners); rt != NULL; rt = next) {
		next = TAILQ_NEXT(rt, entry);
		p = conf != NULL ? conf_partner_find(conf, rt->id) : NULL;
		old = gw->conf != NULL ? conf_partner_find(gw->conf, rt->id) :
		    NULL;
		if (p != NULL && old != NULL && p->has_backend &&
		    old->has_backend && (rt->backend != NULL ||
		    rt->ncip != NULL) &&
		    conf_backend_same(&p->backend, &old->backend))
			continue;
		backend_free(rt->backend, conf == NULL);
		ncip_backend_free(rt->ncip, conf == NULL);
		TAILQ_REMOVE(&gw->partners, rt, entry);
		free(rt->id);
		free(rt);
	}
	TAILQ_FOREACH(p, conf != NULL ? &conf->partners : &none.partners,
	    entry) {
		TAILQ_FOREACH(rt, &gw->partners, entry)
			if (strcmp(rt->id, p->id) == 0)
				break;
		if (rt != NULL || !p->has_backend)
			continue;
		if ((rt = calloc(1, sizeof(*rt))) == NULL ||
		    (rt->id = strdup(p->id)) == NULL)
			fatalx("out of memory");
		if (p->backend.proto == BACKEND_NCIP)
			rt->ncip = ncip_backend_new(gw->base, p, why,
			    sizeof(why));
		else
			rt->backend = backend_new(gw->base, p, why,
			    sizeof(why));
		if (rt->backend == NULL && rt->ncip == NULL)
			log_warnx("partner %s: %s; its requests are refused",
			    p->id, why);
		TAILQ_INSERT_TAIL(&gw->partners, rt, entry);
	}

	session_reload(conf != NULL ? conf : &none);
	search_apply(conf);
	if (gw->conf != NULL)
		conf_free(gw->conf);
	gw->conf = conf;
	if (conf == NULL)
		agreement_close();
	else if (agreement_apply(conf) == -1)
		fatalx("out of memory");
	if (conf != NULL)
		log_set(conf->log_level, conf->trace);
	return (0);
}

static void
gateway_sighup(evutil_socket_t sig, short ev, void *arg)
{
	char	 err[1024];

	if (gateway_reload(err, sizeof(err)) == -1)
		log_warnx("reload failed, configuration kept: %s", err);
}

int
gateway_reload(char *err, size_t errlen)
{
	struct conf	*conf;

	log_info("reloading %s", gw->conf_path);
	if ((conf = conf_load(gw->conf_path, err, errlen)) == NULL)
		return (-1);
	if (gateway_apply(conf, err, errlen) == -1) {
		conf_free(conf);
		return (-1);
	}
	log_info("reloaded");
	return (0);
}

static void
gateway_sigterm(evutil_socket_t sig, short ev, void *arg)
{
	struct timeval	 grace = { 10, 0 };

	if (gw->stopping) {
		log_info("second signal: stopping now");
		event_base_loopbreak(gw->base);
		return;
	}
	log_info("stopping: answering what is under way, then leaving");
	gw->stopping = 1;
	listener_close_all();
	ncip_front_close_all();
	session_stop_all();
	/* Backends have their own deadlines; this bounds the rest. */
	event_base_loopexit(gw->base, &grace);
}

/*
 * The user and group a daemon started as root continues as, for the files
 * it makes before; -1 when it stays who it is.
 */
static void
gateway_owner(const struct conf *conf, uid_t *uid, gid_t *gid)
{
	struct passwd	*pw;
	struct group	*gr;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (geteuid() != 0 || conf->user == NULL)
		return;
	if ((pw = getpwnam(conf->user)) == NULL)
		fatalx("user %s does not exist", conf->user);
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (conf->group != NULL) {
		if ((gr = getgrnam(conf->group)) == NULL)
			fatalx("group %s does not exist", conf->group);
		*gid = gr->gr_gid;
	}
}

/*
 * Open the identity store in the state directory, its key where the
 * configuration says, and give the files to the daemon's user.
 */
static void
gateway_store_open(const struct conf *conf, uid_t uid, gid_t gid)
{
	static const char	*files[] = { "", "/data.mdb", "/lock.mdb" };
	struct idstore_params	 ip;
	char			 dir[1024], path[1100], err[1024];
	int			 i, n;

	n = snprintf(dir, sizeof(dir), "%s/store", conf->state_dir);
	if (n < 0 || (size_t)n >= sizeof(dir))
		fatalx("%s: path too long", conf->state_dir);
	memset(&ip, 0, sizeof(ip));
	ip.datadir = dir;
	ip.keyfile = conf->store_key;
	if ((gw->store = idstore_open(&ip, err, sizeof(err))) == NULL)
		fatalx("identity store: %s", err);
	if (idstore_attach(gw->store, gw->base) == -1)
		fatal("identity store");
	if (uid != (uid_t)-1) {
		for (i = 0; i < 3; i++) {
			snprintf(path, sizeof(path), "%s%s", dir, files[i]);
			if (chown(path, uid, gid) == -1)
				fatal("identity store: chown %s", path);
		}
	}
	log_info("identity store %s", dir);
}

/* After binding, a daemon started as root continues as its own user. */
static void
gateway_drop_privileges(const struct conf *conf, uid_t uid, gid_t gid)
{
	if (uid == (uid_t)-1)
		return;
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1)
		fatal("cannot drop privileges to %s", conf->user);
	log_info("running as %s", conf->user);
}

/* Kiosks hold connections for hours: allow as many as the system lets. */
static void
gateway_raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}
