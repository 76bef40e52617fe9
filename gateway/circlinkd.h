/* SPDX-License-Identifier: ISC */
/*
 * circlinkd: configuration, logging, TLS, listeners, terminal sessions,
 * backends and routing of the gateway daemon.
 */

#ifndef CIRCLINK_CIRCLINKD_H
#define CIRCLINK_CIRCLINKD_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sip2.h"

#define CONF_NAME_MAX		64
#define CONF_PIN_LEN		32	/* SHA-256 fingerprint */
#define CONF_PATTERN_MAX	16	/* barcode patterns per partner */

/* Permissions a terminal holds (bit set). */
#define PERM_CIRCULATION	0x01	/* checkout, checkin, renew, holds */
#define PERM_PATRON		0x02	/* patron status, info, enable, block */
#define PERM_FINES		0x04	/* fee paid */
#define PERM_ITEM		0x08	/* item information */
#define PERM_CATALOGING		0x10	/* item status update */
#define PERM_ALL		0x1f

/* Trace flags: extra debug output per subsystem (conf->trace). */
#define TRACE_SIP2		0x01	/* messages on terminal sessions */
#define TRACE_BACKEND		0x02	/* messages to and from the ILSes */
#define TRACE_TLS		0x04	/* handshakes and verification */
#define TRACE_SESSION		0x08	/* session life */
#define TRACE_CONFIG		0x10	/* configuration loading */
#define TRACE_ALL		0x1f

/* What a listener asks of a client's certificate (conf_tls.verify_peer). */
#define CONF_VERIFY_NONE	0
#define CONF_VERIFY_OPTIONAL	1	/* ask; verify when one is sent */
#define CONF_VERIFY_REQUIRED	2	/* refuse a client without one */

/* TLS settings of one end of a connection. */
struct conf_tls {
	int		 enabled;
	char		*cert;		/* our certificate chain, PEM */
	char		*key;		/* its private key, PEM */
	char		*ca;		/* CAs to verify the peer with */
	int		 verify_peer;	/* listeners: ask for a client cert */
	uint8_t		 pins[4][CONF_PIN_LEN];	/* SHA-256 of peer certs */
	int		 npins;
	char		*server_name;	/* backends: SNI and name check */
};

/* One listening socket. */
struct conf_listener {
	TAILQ_ENTRY(conf_listener) entry;
	char		*file;		/* where it was configured */
	int		 line;
	char		*address;	/* numeric, e.g. 127.0.0.1 */
	int		 port;		/* 0: pick one (tests) */
	struct conf_tls	 tls;
	int		 status_before_login;	/* 99 may come before 93 */
	int		 idle_timeout;	/* seconds */
	int		 login_attempts;	/* then close */
};
TAILQ_HEAD(conf_listeners, conf_listener);

/* A terminal account: kiosk, desk or vendor logging in with 93. */
struct conf_terminal {
	TAILQ_ENTRY(conf_terminal) entry;
	char		*file;
	int		 line;
	char		*login;
	char		*password_hash;	/* "pbkdf2-sha256$iter$salt$hash" */
	struct conf_partner *partner;	/* the one it belongs to */
	char		*location;	/* its location code (CP) */
	struct sip2_wire wire;		/* charset, terminator, delimiter, AY/AZ */
	int		 perms;		/* PERM_* */
};
TAILQ_HEAD(conf_terminals, conf_terminal);

enum backend_proto {
	BACKEND_SIP2,
};

/* How the gateway reaches one partner's ILS. */
struct conf_backend {
	enum backend_proto proto;
	char		*address;
	int		 port;
	struct conf_tls	 tls;
	char		*login;		/* CN the ILS knows us by */
	char		*password;	/* CO; the file must be private */
	char		*location;	/* CP */
	struct sip2_wire wire;
	int		 pool;		/* persistent connections */
	int		 timeout_ms;	/* per-request deadline */
	int		 connect_timeout_ms;
	int		 queue_max;	/* waiting requests, then refuse */
	int		 keepalive_ms;	/* probe an idle connection with 99 */
};

/* One partner library system. */
struct conf_partner {
	TAILQ_ENTRY(conf_partner) entry;
	char		*file;
	int		 line;
	char		*id;		/* "metro" */
	char		*name;		/* "Metro Public Library" */
	char		*institutions[8];	/* SIP2 AO / NCIP agency ids */
	int		 ninstitutions;
	char		*patron_patterns[CONF_PATTERN_MAX];	/* "2100*" */
	int		 npatron_patterns;
	char		*item_patterns[CONF_PATTERN_MAX];
	int		 nitem_patterns;
	char		*locations[32];	/* location codes it owns */
	int		 nlocations;
	struct conf_backend backend;
	int		 has_backend;
};
TAILQ_HEAD(conf_partners, conf_partner);

/* The whole configuration, made by conf_load() and freed by conf_free(). */
struct conf {
	char		*path;		/* main file */
	char		*user;		/* drop privileges to this user */
	char		*group;
	char		*state_dir;
	int		 log_level;	/* LOG_WARNING, LOG_INFO, LOG_DEBUG */
	int		 trace;		/* TRACE_* bits */
	char		*log_facility;
	int		 max_sessions;	/* terminal connections at once */
	struct conf_listeners listeners;
	struct conf_partners partners;
	struct conf_terminals terminals;
};

/* config.c */
/*
 * Read the main file at path and the files it includes.  Returns the
 * configuration, or NULL with a message "file:line: what" in err.  The
 * caller frees the result with conf_free().
 */
struct conf	*conf_load(const char *, char *, size_t);
void		 conf_free(struct conf *);
struct conf_partner *conf_partner_find(const struct conf *, const char *);
struct conf_terminal *conf_terminal_find(const struct conf *, const char *);
/* Return 1 if two backends are configured the same, so a pool can stay. */
int		 conf_backend_same(const struct conf_backend *,
		    const struct conf_backend *);

/* auth.c */
/*
 * Hash a password for the configuration: "pbkdf2-sha256$iter$salt$hash".
 * Returns a string the caller frees, or NULL.
 */
char		*auth_hash_password(const char *);
/* Return 1 if password matches the stored hash, 0 if not, in constant time. */
int		 auth_check_password(const char *, const char *);
/* Return 1 if a stored hash is well formed, so a typo shows at load. */
int		 auth_hash_valid(const char *);
/* Compare two buffers in constant time; 0 when equal. */
int		 auth_memcmp(const void *, const void *, size_t);

/* Runtime of the daemon: what the modules below share. */
struct event_base;
struct bufferevent;
struct sockaddr_storage;
struct backend;
struct session;
struct listener;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

/*
 * Called once when a backend call ends: with the reply (which the callee
 * then owns and frees) or with resp NULL and a short reason in error.
 */
typedef void	 (*backend_cb)(uint64_t, uint32_t, struct sip2_msg *,
		    const char *);

/* A partner as the running daemon knows it. */
struct partner_rt {
	TAILQ_ENTRY(partner_rt) entry;
	char			*id;
	struct backend		*backend;
};
TAILQ_HEAD(partner_rts, partner_rt);

/* The daemon's state: one per process, reached through gw. */
struct gateway {
	struct event_base	*base;
	struct conf		*conf;
	const char		*conf_path;
	int			 foreground;
	struct partner_rts	 partners;
	int			 nsessions;
	int			 stopping;
	uint64_t		 next_sid;
};
extern struct gateway	*gw;


/* Operations of the neutral circulation request. */
enum circ_op {
	CIRC_NONE,		/* not a request a terminal may send */
	CIRC_LOGIN,
	CIRC_SC_STATUS,
	CIRC_RESEND,
	CIRC_PATRON_STATUS,
	CIRC_PATRON_INFO,
	CIRC_CHECKOUT,
	CIRC_CHECKIN,
	CIRC_RENEW,
	CIRC_RENEW_ALL,
	CIRC_HOLD,
	CIRC_FEE_PAID,
	CIRC_ITEM_INFO,
	CIRC_ITEM_UPDATE,
	CIRC_BLOCK_PATRON,
	CIRC_PATRON_ENABLE,
	CIRC_END_SESSION,
};

#define CIRC_F_LOCAL	0x01	/* answered by the gateway itself */
#define CIRC_F_RETRY	0x02	/* changes state: a repeat gets the stored answer */
#define CIRC_F_BY_ITEM	0x04	/* routed to the item's owner */

/* What one protocol code means to the gateway. */
struct circ_op_info {
	int		 code;
	enum circ_op	 op;
	const char	*name;
	int		 perm;		/* PERM_* the terminal needs */
	int		 flags;
};

/* One request, decoded once from whatever protocol carried it. */
struct circ_req {
	const struct circ_op_info *op;
	const char	*institution;
	const char	*patron;
	const char	*item;
	int		 has_pin;
	struct sip2_msg	*sip2;		/* the message, when SIP2 carried it */
};

/* circ.c */
const struct circ_op_info *circ_op_sip2(int);
int		 circ_from_sip2(struct circ_req *, struct sip2_msg *);
struct conf_partner *circ_route(const struct conf *, const struct circ_req *,
		    struct conf_partner *);

/* log.c */
void		 log_init(int, int, int);
void		 log_set(int, int);
int		 log_tracing(int);
int		 log_level_on(int);
void		 log_warn(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_warnx(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_info(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_debug(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_trace(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 log_ssl(const char *);
void		 fatal(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));
void		 fatalx(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));

/* net.c */
int		 net_sockaddr(const char *, int, struct sockaddr_storage *);
int		 net_local_port(int);
void		 net_nodelay(int);
int		 net_write(struct bufferevent *, int, const char *, size_t);

/* tls.c */
void		 tls_init(void);
SSL_CTX		*tls_server_ctx(const struct conf_tls *, char *, size_t);
SSL_CTX		*tls_client_ctx(const struct conf_tls *, char *, size_t);
SSL		*tls_client_ssl(SSL_CTX *, const struct conf_tls *);

/* backend.c */
struct backend	*backend_new(struct event_base *, const struct conf_partner *,
		    char *, size_t);
void		 backend_free(struct backend *, int);
int		 backend_up(const struct backend *);
const char	*backend_name(const struct backend *);
int		 backend_queued(const struct backend *);
int		 backend_call(struct backend *, struct sip2_msg *, uint64_t,
		    uint32_t, backend_cb, const char **);

/* route.c */
struct conf_partner *route_patron(const struct conf *, const char *);
struct conf_partner *route_item(const struct conf *, const char *);
struct conf_partner *route_institution(const struct conf *, const char *);
struct backend	*route_backend(const char *);

/* worker.c */
int		 worker_start(struct event_base *);
void		 worker_stop(void);
int		 worker_submit(void (*)(void *), void (*)(void *), void *);

/* login.c */
typedef void	 (*login_cb)(uint64_t, uint32_t, const char *, int);
void		 login_check(uint64_t, uint32_t, const struct conf_terminal *,
		    const char *, login_cb);

/* listener.c */
int		 listener_setup(struct conf *, char *, size_t);
void		 listener_close_all(void);
void		 listener_free_all(void);
SSL_CTX		*listener_ssl_ctx(const struct listener *);
const struct conf_listener *listener_conf(const struct listener *);

/* session.c */
void		 session_accept(struct listener *, int, const char *);
void		 session_reload(const struct conf *);
void		 session_stop_all(void);
int		 session_count(void);

/* circlinkd.c */
int		 gateway_apply(struct conf *, char *, size_t);

#endif /* CIRCLINK_CIRCLINKD_H */
