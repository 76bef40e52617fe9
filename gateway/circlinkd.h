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
/* Compare two buffers in constant time; 0 when equal. */
int		 auth_memcmp(const void *, const void *, size_t);

#endif /* CIRCLINK_CIRCLINKD_H */
