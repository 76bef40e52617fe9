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
#include "ncip.h"
#include "policy.h"

#define CONF_NAME_MAX		64
#define CONF_PIN_LEN		32	/* SHA-256 fingerprint */
#define CONF_VISITORS_MAX	256	/* visitor accounts of one partner */
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
#define TRACE_NCIP		0x20	/* messages on the NCIP endpoint */
#define TRACE_ALL		0x3f

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
	int		 ncip;		/* NCIP over HTTP(S), not SIP2 */
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
	struct sip2_wire wire;		/* charset, terminator, delimiter, AY */
	int		 perms;		/* PERM_* */
};
TAILQ_HEAD(conf_terminals, conf_terminal);

/* The permissions a staff account holds at one partner. */
struct conf_grant {
	int		 line;		/* where it was configured */
	char		*partner_id;
	struct conf_partner *partner;	/* resolved once every file is read */
	int		 perms;		/* POLICY_STAFF_* */
};

/*
 * A staff account (staff LOGIN { ... } in the main file): one login for
 * any partner's desk, with permissions per partner.
 */
struct conf_staff {
	TAILQ_ENTRY(conf_staff) entry;
	char		*file;
	int		 line;
	char		*login;
	char		*password_hash;	/* "pbkdf2-sha256$iter$salt$hash" */
	struct sip2_wire wire;		/* the defaults: desks differ */
	struct conf_grant *grants;
	int		 ngrants;
};
TAILQ_HEAD(conf_staffs, conf_staff);

enum backend_proto {
	BACKEND_SIP2,
	BACKEND_NCIP,
};

/* How an NCIP ILS wants to be spoken to (backend ncip ... { ... }). */
struct conf_ncip_profile {
	int		 version;	/* 1 or 2 */
	char		*version_str;	/* NULL: the codec's default */
	int		 ns_style;	/* enum ncip_ns_style */
	int		 qualified_attrs;
	char		*path;		/* URL path, "/ncip" */
	char		*token;		/* added to the path: a secret */
	char		*from_agency;	/* FromAgencyId we send */
	char		*to_agency;	/* ToAgencyId */
	char		*from_agency_auth;	/* a secret */
	char		*app_profile;	/* ApplicationProfileType */
	int		 user_by_auth;	/* patrons as AuthenticationInput */
	char		*auth_barcode_type;	/* "Barcode Id" */
	char		*auth_pin_type;		/* "PIN" */
	char		*request_type;	/* default "Hold" */
	char		*request_scope;	/* default "Bibliographic Item" */
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
	struct conf_ncip_profile ncip;	/* proto BACKEND_NCIP */
	int		 pool;		/* persistent connections */
	int		 timeout_ms;	/* per-request deadline */
	int		 connect_timeout_ms;
	int		 queue_max;	/* waiting requests, then refuse */
	int		 keepalive_ms;	/* probe an idle connection with 99 */
};

/* What an NCIP caller must prove to be a partner (conf_partner.ncip_auth). */
#define NCIP_CALLER_TOKEN	0x01	/* the token in the path /ncip/TOKEN */
#define NCIP_CALLER_AGENCY	0x02	/* FromAgencyAuthentication */
#define NCIP_CALLER_CERT	0x04	/* a pinned client certificate */

/*
 * One partner's terms toward another (agreement PARTNER { ... } in its
 * block): half of the agreement between the two, which is active when the
 * other partner's file accepts it too.
 */
struct conf_agreement {
	TAILQ_ENTRY(conf_agreement) entry;
	char		*file;
	int		 line;
	char		*partner;	/* the other partner's id */
	struct policy_terms terms;
};
TAILQ_HEAD(conf_agreements, conf_agreement);

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
	/* Its ILS calling us over NCIP: who may, proven how. */
	char		*ncip_token;	/* a secret, never logged */
	char		*ncip_agency_auth;	/* a secret, never logged */
	uint8_t		 ncip_pins[4][CONF_PIN_LEN];	/* client certs */
	int		 ncip_npins;
	int		 ncip_auth;	/* NCIP_CALLER_*, all required */
	struct conf_agreements agreements;	/* its terms toward others */
	char		*admin_hash;	/* its administrator, for circlinkctl */
	/* Accounts its ILS keeps for visitors, linked as they are needed. */
	char		*visitors[CONF_VISITORS_MAX];
	int		 nvisitors;
	/* An NCIP endpoint of its ILS for searches only (search-backend). */
	struct conf_backend search;
	int		 has_search;
};
TAILQ_HEAD(conf_partners, conf_partner);

/* The whole configuration, made by conf_load() and freed by conf_free(). */
struct conf {
	char		*path;		/* main file */
	char		*user;		/* drop privileges to this user */
	char		*group;
	char		*state_dir;
	char		*store_key;	/* the identity store's master key */
	int		 log_level;	/* LOG_WARNING, LOG_INFO, LOG_DEBUG */
	int		 trace;		/* TRACE_* bits */
	char		*log_facility;
	int		 max_sessions;	/* terminal connections at once */
	struct conf_listeners listeners;
	struct conf_partners partners;
	struct conf_terminals terminals;
	struct conf_staffs staff;	/* staff accounts */
};

/* Where the daemon and its tools look for the main file by default. */
#ifndef CIRCLINKD_CONF
#define CIRCLINKD_CONF	SYSCONFDIR "/circlink/circlinkd.conf"
#endif

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
/* Return the staff account that logs in with this name, or NULL. */
struct conf_staff *conf_staff_find(const struct conf *, const char *);
/* Return a partner's terms toward the partner with this id, or NULL. */
struct conf_agreement *conf_agreement_find(const struct conf_partner *,
		    const char *);
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
struct ncip_msg;
struct ncip_backend;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

/*
 * Called once when a backend call ends, with the request back and the
 * reply (both then the callee's to free), or with the reply NULL and a
 * short reason in the last argument.
 */
typedef void	 (*backend_cb)(uint64_t, uint32_t, struct sip2_msg *,
		    struct sip2_msg *, const char *);

/*
 * Called once when an NCIP backend call ends: with the partner's answer
 * (a response or a Problem, which the callee then owns and frees with
 * ncip_msg_free()) or with resp NULL and a short reason in error.
 */
typedef void	 (*ncip_backend_cb)(uint64_t, uint32_t, struct ncip_msg *,
		    const char *);

/* A partner as the running daemon knows it. */
struct partner_rt {
	TAILQ_ENTRY(partner_rt) entry;
	char			*id;
	struct backend		*backend;	/* backend sip2 */
	struct ncip_backend	*ncip;		/* backend ncip */
};
TAILQ_HEAD(partner_rts, partner_rt);

struct idstore;

/* The daemon's state: one per process, reached through gw. */
struct gateway {
	struct event_base	*base;
	struct conf		*conf;
	const char		*conf_path;
	int			 foreground;
	struct partner_rts	 partners;
	struct idstore		*store;	/* persons and linked accounts */
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
	CIRC_ACCEPT_ITEM,	/* NCIP only, from here on */
	CIRC_CREATE_USER,
	CIRC_UPDATE_USER,
	CIRC_DELETE_ITEM,
	CIRC_LOOKUP_VERSION,
	CIRC_ITEM_SEARCH,	/* copies of a title, at the partners */
};

#define CIRC_F_LOCAL	0x01	/* answered by the gateway itself */
#define CIRC_F_RETRY	0x02	/* changes state: repeats get the kept answer */
#define CIRC_F_BY_ITEM	0x04	/* routed to the item's owner */
#define CIRC_F_BY_PATRON 0x08	/* routed to the patron's home */

/* What one protocol code means to the gateway. */
struct circ_op_info {
	int		 code;
	enum circ_op	 op;
	const char	*name;
	int		 perm;		/* PERM_* the terminal needs */
	int		 flags;
};

/*
 * One request, decoded once from whatever protocol carried it.  Strings
 * are borrowed from the message that carried it (sip2 or ncip), which
 * outlives the request.  Empty members are NULL (strings) or 0.
 */
struct circ_req {
	const struct circ_op_info *op;
	const char	*institution;	/* SIP2 AO, NCIP ToAgencyId */
	const char	*patron;	/* barcode or user id */
	const char	*pin;		/* PIN or password: a secret */
	int		 has_pin;
	const char	*item;		/* item barcode or id */
	const char	*title;		/* hold by title (SIP2 AJ) */
	const char	*bib_id;	/* NCIP BibliographicId value */
	const char	*bib_scheme;	/* its code: ISBN, OCLC, SYSNUMBER */
	const char	*request_id;	/* NCIP RequestId */
	int		 request_ours;	/* the id is the gateway's own */
	const char	*location;	/* where it happens (SIP2 AP/CP) */
	const char	*pickup;	/* pickup location (SIP2 BS) */
	int		 hold_mode;	/* '+' add, '-' delete, '*' change */
	int		 hold_type;	/* SIP2 BY: 1-4, 0 unset */
	time_t		 hold_expiry;	/* SIP2 BW */
	int		 no_block;	/* offline transaction replayed */
	time_t		 nb_due;	/* its due date */
	time_t		 desired_due;
	const char	*fee_id;	/* SIP2 CG */
	long long	 amount;	/* minor units, fee paid */
	const char	*currency;
	int		 fee_type;	/* SIP2 fee type 1-9 */
	int		 payment_type;	/* SIP2 payment type */
	const char	*transaction_id;	/* SIP2 BK */
	int		 summary;	/* SIP2 63: CIRC_LIST_*, -1 none */
	int		 start, end;	/* list page, 1-based, 0 unset */
	int		 want_loans;	/* NCIP: LoanedItemsDesired */
	int		 want_holds;
	int		 want_fines;
	const char	*item_props;	/* SIP2 CH */
	int		 want_class;	/* ask a SIP2 ILS 63 for 23: PC */
	struct sip2_msg	*sip2;		/* the message, when SIP2 carried it */
	struct ncip_msg	*ncip;		/* the message, when NCIP carried it */
};

/* The lists of SIP2 63, in the order of its summary field. */
enum circ_list {
	CIRC_LIST_HOLDS,
	CIRC_LIST_OVERDUE,
	CIRC_LIST_CHARGED,
	CIRC_LIST_FINES,
	CIRC_LIST_RECALLS,
	CIRC_LIST_UNAVAIL_HOLDS,
	CIRC_LIST__COUNT
};

/* Why a request failed, in terms both protocols can say. */
enum circ_error {
	CIRC_E_NONE,
	CIRC_E_UNKNOWN_PATRON,
	CIRC_E_BAD_PIN,
	CIRC_E_BLOCKED,
	CIRC_E_UNKNOWN_ITEM,
	CIRC_E_NOT_AVAILABLE,	/* on loan, on hold, does not circulate */
	CIRC_E_NOT_CHARGED,	/* checkin or renew of an item not out,
				   cancel of a hold the ILS has not */
	CIRC_E_LIMIT,		/* checkout, renewal or hold limit */
	CIRC_E_DUPLICATE,	/* the hold or request exists */
	CIRC_E_NOT_SUPPORTED,	/* the partner's ILS has no such service */
	CIRC_E_NEEDED_DATA,	/* the request lacks something */
	CIRC_E_OFFLINE,
	CIRC_E_TIMEOUT,
	CIRC_E_NOT_ALLOWED,	/* the agreement forbids it; screen says */
	CIRC_E_REFUSED,		/* anything else; the screen says what */
};

/* One fine or fee. */
struct circ_fee {
	const char	*id;
	long long	 amount;	/* minor units */
	int		 type;		/* SIP2 fee type 1-9 */
	const char	*description;
};

/* A patron, as an ILS described one. */
struct circ_patron {
	int		 found;
	int		 pin_ok;	/* 1, 0, or -1 when not checked */
	char		 status[15];	/* SIP2's 14 flags, 'Y' or ' ' */
	const char	*id;
	const char	*name;		/* personal data: never logged */
	const char	*address;
	const char	*email;
	const char	*phone;
	const char	*birth;		/* YYYYMMDD */
	const char	*pclass;	/* borrower class */
	const char	*language;	/* SIP2 language code, "000" */
	const char	*home_location;
	time_t		 expires;
	long		 counts[CIRC_LIST__COUNT];
	long		 hold_limit, overdue_limit, charged_limit;
	long long	 fee_limit;	/* minor units, -1 none */
	long long	 owed;		/* minor units */
	const char	*currency;
	const char	**lists[CIRC_LIST__COUNT];	/* ids or titles */
	size_t		 nlists[CIRC_LIST__COUNT];
	struct circ_fee	*fees;
	size_t		 nfees;
};

/* An item, as an ILS described one. */
struct circ_item {
	int		 found;
	const char	*id;
	const char	*title;
	const char	*author;
	const char	*call_number;
	const char	*collection;
	const char	*media;		/* SIP2 media type "001" */
	const char	*owner;
	const char	*permanent_location;
	const char	*current_location;
	int		 circ_status;	/* SIP2 circulation status 1-13 */
	time_t		 due;
	long		 hold_queue;	/* -1 unknown */
	const char	*props;		/* SIP2 CH */
};

/* What a backend answered, in neutral terms. */
struct circ_result {
	int		 ok;
	enum circ_error	 error;
	const char	*screen;	/* for the patron or staff */
	const char	*print;
	struct circ_patron patron;
	struct circ_item item;
	time_t		 due;
	const char	*due_text;	/* as the ILS wrote it, if not a date */
	int		 renewal_ok;
	int		 desensitize;	/* -1 unknown */
	int		 resensitize;
	int		 magnetic;
	int		 alert;
	const char	*destination;	/* checkin routing: SIP2 CT */
	const char	*sort_bin;	/* SIP2 CL */
	int		 alert_type;	/* SIP2 CV, 0 none */
	const char	*hold_patron;	/* SIP2 CY */
	long		 queue_position;	/* -1 unknown */
	const char	*pickup;
	time_t		 hold_expiry;
	int		 available;
	const char	*request_id;
	const char	*transaction_id;
	long		 renewed, unrenewed;
	const char	**renewed_items, **unrenewed_items;
	size_t		 nrenewed_items, nunrenewed_items;
	const char	*user_id;	/* NCIP answers echo it */
};

/*
 * Memory for translations: strings and arrays that live until the arena
 * is freed, after the answer has been encoded.
 */
struct circ_arena;

/* circ.c */
struct circ_arena *circ_arena_new(void);
void		 circ_arena_free(struct circ_arena *);
/* Zeroed memory or a string copy living as long as the arena; NULL on
 * no memory. */
void		*circ_alloc(struct circ_arena *, size_t);
char		*circ_strdup(struct circ_arena *, const char *);
const struct circ_op_info *circ_op_sip2(int);
int		 circ_from_sip2(struct circ_req *, struct sip2_msg *);
/*
 * Return the partner that serves a request from a terminal or ILS of the
 * given partner, or NULL when that is another partner and no agreement
 * in force lets the request cross: the decision then says why.
 */
struct conf_partner *circ_route(const struct conf *, const struct circ_req *,
		    struct conf_partner *, struct policy_decision *);
/*
 * Is a request from partner at a loan or a hold for another partner's
 * patron?  0 when not; 1 with the patron's home and the lending partner set; -1
 * when an agreement it needs is not in force, the decision saying why.
 */
int		 circ_route_visit(const struct conf *, const struct circ_req *,
		    struct conf_partner *, struct conf_partner **,
		    struct conf_partner **, struct policy_decision *);

/* xlate_sip2.c */
/*
 * Decode a terminal's SIP2 request into req, borrowing msg's strings (msg
 * outlives req).  Returns -1 only for a code with no op row.
 */
int		 xlate_sip2_req(struct circ_req *, struct sip2_msg *);
/*
 * The SIP2 response for the terminal from a neutral result, dated now;
 * the caller frees it.  NULL with errno EINVAL for operations the gateway
 * answers itself (login, status, resend), ENOMEM on no memory.
 */
struct sip2_msg	*xlate_sip2_reply(const struct circ_req *,
		    const struct circ_result *, time_t);
/*
 * The first SIP2 request for a SIP2 ILS (step 0); the caller frees it.
 * NULL with errno EINVAL (lacks patron or item: CIRC_E_NEEDED_DATA),
 * ENOTSUP (SIP2 cannot say it: CIRC_E_NOT_SUPPORTED) or ENOMEM.
 */
struct sip2_msg	*xlate_sip2_backend_req(const struct circ_req *,
		    const struct conf_partner *, time_t);
/*
 * The request for step 1, 2, ... of a multi-step operation: 1 with it in
 * the last argument (the caller frees it), 0 when done, -1 with errno.
 */
int		 xlate_sip2_backend_next(const struct circ_req *, int,
		    const struct conf_partner *, time_t, struct sip2_msg **);
/*
 * Merge the ILS's answer to a step into the result (zeroed by the caller
 * before step 0), copying into the arena.  0, or -1 with errno EPROTO
 * (not the answer to this request; error set) or ENOMEM.
 */
int		 xlate_sip2_backend_reply(const struct circ_req *, int,
		    const struct sip2_msg *, struct circ_result *,
		    struct circ_arena *);
/*
 * Write the screen message for a failure, naming the partner (NULL: "The
 * library system"); returns its length, cut to fit, always terminated.
 */
size_t		 xlate_sip2_screen(const struct circ_req *, enum circ_error,
		    const char *, char *, size_t);
/* Write minor units as a SIP2 amount ("12.50") in the currency's scale. */
void		 xlate_money_format(long long, const char *, char *, size_t);

/* xlate_ncip.c */
/* Return the op row of an NCIP service, or NULL for none. */
const struct circ_op_info *circ_op_ncip(enum ncip_service);
/* The neutral error a Problem type means (others: CIRC_E_REFUSED). */
enum circ_error	 xlate_ncip_error(enum ncip_problem_type);
/* The standard Problem type an error of an operation is answered with. */
enum ncip_problem_type xlate_ncip_problem(enum circ_error, enum circ_op);
/*
 * Decode an NCIP request into req, borrowing msg's strings and keeping
 * msg in req->ncip (msg outlives req).  Returns 0, or -1 with errno
 * ENOTSUP (no request the gateway takes) or EINVAL (names no patron where
 * one is needed: Needed Data Missing).
 */
int		 xlate_ncip_req(struct circ_req *, struct ncip_msg *,
		    struct circ_arena *);
/*
 * The NCIP answer to req->ncip from a neutral result, in the request's
 * dialect; it may point into req and the result.  The caller frees it
 * with ncip_msg_free().  NULL with errno EINVAL (no NCIP request, or the
 * result lacks what the response needs) or ENOMEM.
 */
struct ncip_msg	*xlate_ncip_reply(const struct circ_req *,
		    const struct circ_result *);
/*
 * The first NCIP request for a partner's NCIP ILS (step 0), in its
 * profile; it may point into req and the configuration.  NULL with errno
 * EINVAL (request or profile lacks data: CIRC_E_NEEDED_DATA), ENOTSUP
 * (no NCIP equivalent: CIRC_E_NOT_SUPPORTED) or ENOMEM.
 */
struct ncip_msg	*xlate_ncip_backend_req(const struct circ_req *,
		    const struct conf_partner *, time_t);
/*
 * The request for step 1, 2, ... of renew all or block patron, from the
 * result merged so far: 1 with it in the last argument (the caller frees
 * it), 0 when done, -1 with errno as above.
 */
int		 xlate_ncip_backend_next(const struct circ_req *, int,
		    const struct circ_result *, const struct conf_partner *,
		    time_t, struct ncip_msg **);
/*
 * Merge the ILS's answer to a step into the result (zeroed by the caller
 * before step 0), copying into the arena.  0, or -1 with errno EPROTO
 * (not the answer to this request; error set) or ENOMEM.
 */
int		 xlate_ncip_backend_reply(const struct circ_req *, int,
		    const struct ncip_msg *, struct circ_result *,
		    struct circ_arena *);

/*
 * Read the user fields of a CreateUser or UpdateUser into a patron (name,
 * addresses, birth date, class from the first privilege), copied into the
 * arena.  0, or -1 on no memory.
 */
int		 xlate_ncip_user(struct circ_arena *, struct circ_patron *,
		    const struct ncip_user_fields *);

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
struct ncip_backend *route_ncip_backend(const char *);

/* worker.c */
int		 worker_start(struct event_base *);
void		 worker_stop(void);
int		 worker_submit(void (*)(void *), void (*)(void *), void *);

/* import.c */
/*
 * Take over a control connection whose command was "link import" (the
 * int set: a dry run that writes nothing): its further lines are the
 * file's (control.h), the report goes back on it, and the import frees
 * it at the end.  Returns -1 with a message in err, the connection still
 * the caller's.
 */
int		 import_start(struct bufferevent *, int, char *, size_t);
/* End an import under way and free it, at exit. */
void		 import_close(void);

/* login.c */
/*
 * Called once with the login and the hash its password was checked
 * against (both NULL when no check was made), and whether it matched.
 */
typedef void	 (*login_cb)(uint64_t, uint32_t, const char *, const char *,
		    int);
void		 login_check(uint64_t, uint32_t, const struct conf_terminal *,
		    const char *, login_cb);
/*
 * Check a password against the hash of the account login (a staff
 * account's), as login_check() does a terminal's.
 */
void		 login_check_hash(uint64_t, uint32_t, const char *,
		    const char *, const char *, login_cb);

/* staff.c */
/* Return the POLICY_STAFF_* a staff account holds at a partner. */
int		 staff_perms_at(const struct conf_staff *,
		    const struct conf_partner *);
/*
 * Return the partner whose desk a location code (SIP2 CP) is, or NULL
 * when no partner, or more than one, lists it.
 */
struct conf_partner *staff_desk(const struct conf *, const char *);
/*
 * May a staff account send a request of this operation that acts on a
 * partner?  A refusal is logged for the audit trail (session id, staff
 * login, operation, partner, what is missing) and the decision's message
 * says what is missing.  Returns the decision's allow.
 */
int		 staff_allows(uint64_t, const struct conf_staff *,
		    const struct circ_op_info *, const struct conf_partner *,
		    struct policy_decision *);

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
void		 session_sweep_stop(void);
void		 session_answer(uint64_t, uint32_t, struct sip2_msg *,
		    const char *);

/* serve.c */
/*
 * Carry a terminal's SIP2 request, made at partner from, to partner to's
 * ILS through the neutral form; the answer comes through session_answer().
 */
void		 serve_sip2(uint64_t, uint32_t, const struct sip2_msg *,
		    const struct conf_partner *, const struct conf_partner *);
/*
 * Carry a terminal's checkout, renewal or hold, made at partner from (the
 * first), for a patron of partner home (the third) to the lending
 * partner (the second), under the account linked to the patron there.
 * The answer comes through session_answer().
 */
void		 serve_visit(uint64_t, uint32_t, const struct sip2_msg *,
		    const struct conf_partner *, const struct conf_partner *,
		    const struct conf_partner *);
/*
 * Return 1 if the patron of partner home with this barcode has accounts
 * linked at partners with an agreement in force: a patron information
 * about them then combines those accounts.
 */
int		 serve_combines(const struct conf_partner *, const char *);
/*
 * Return 1 if a patron request at a partner is about a card no partner
 * claims and other partners can be asked whose it is.
 */
int		 serve_discovers(const struct conf_partner *,
		    const struct circ_req *);
int		 serve_partner_up(const struct conf_partner *);
/*
 * Called once when a call of the gateway's own ends, with the request as
 * carried and its result, both valid during the call only.
 */
typedef void	 (*serve_own_cb)(const struct circ_req *,
		    const struct circ_result *, void *);
/*
 * Make a request of the gateway's own (a step of a tracked hold, a
 * registration, a preference push) at partner's ILS, in whatever protocol
 * it speaks, as if made at partner serving (NULL: partner itself, nothing
 * to filter).  The request and its strings are copied; a SIP2 or NCIP
 * message it carries must last until cb has run.  Returns 0: cb (NULL:
 * nobody waits) then runs exactly once, perhaps before this returns; -1
 * on no memory, cb not called.
 */
int		 serve_own(const char *, const char *,
		    const struct circ_req *, serve_own_cb, void *);
/* The tracker committed a visit's hold (1) or could not (0): answer. */
void		 serve_resume(uint64_t, int);
/* Make a result as it is before any answer: unknowns are -1. */
void		 serve_res_init(struct circ_result *);
/* A linked account to be given to a person (serve_link). */
struct serve_link {
	const char	*home;		/* the person's home partner */
	const char	*lender;	/* where the account is wanted */
	const uint8_t	*person;	/* IDSTORE_ID_LEN, in the store */
	const char	*pclass;	/* at the home; NULL: not told */
	const char	*user_id;	/* UserId to make; NULL: the ILS's */
	const char	*name, *address, *email, *phone, *birth;
	const char	*creator, *reason;	/* of the link */
};
/*
 * Called once when serve_link ends: CIRC_E_NONE with the account's
 * barcode at the lender (NULL when the person had one there already),
 * or the error and a screen message (or NULL); valid during the call.
 */
typedef void	 (*serve_link_cb)(enum circ_error, const char *,
		    const char *, void *);
/*
 * Give a person of the store a linked account at a partner, as a visit
 * does: the policy asked, a free visitor account taken or one made by
 * CreateUser carrying only what the home's terms let leave, the link
 * committed.  A CreateUser answered Duplicate User for a user_id given is
 * taken as an earlier try's.  -1 on no memory, cb then not called.
 */
int		 serve_link(const struct serve_link *, serve_link_cb, void *);
/* What a partner's ILS said of a card asked about by serve_lookup(). */
struct serve_patron {
	int		 found;
	enum circ_error	 error;		/* CIRC_E_OFFLINE, _TIMEOUT... */
	const char	*pclass;	/* NULL: not told */
	const char	*key;		/* the ILS's own patron id, or NULL */
};
/* A lookup's answer, valid during the call, for the id it was asked. */
typedef void	 (*serve_lookup_cb)(uint64_t, const struct serve_patron *);
/*
 * Ask a partner's ILS about a card by barcode alone (never a PIN): found,
 * class, patron key.  Returns 0, and the callback runs once on the loop
 * (before the return when the partner is offline), or -1 (no memory) and
 * it does not.
 */
int		 serve_lookup(const char *, const char *, serve_lookup_cb,
		    uint64_t);

/* ncip_front.c */
/*
 * Open the NCIP listeners of conf (listen ... ncip) and make their TLS
 * contexts, keeping those whose address, port and TLS use are unchanged,
 * without yet closing any.  Returns -1 with a message in err and changes
 * nothing.  Then exactly one of ncip_front_commit(), which closes the
 * listeners conf no longer has, or ncip_front_abort() must follow.
 */
int		 ncip_front_prepare(struct conf *, char *, size_t);
void		 ncip_front_commit(void);
void		 ncip_front_abort(void);
/* Stop accepting NCIP connections; calls under way are still answered. */
void		 ncip_front_close_all(void);
/* Close every NCIP connection and forget every call, at exit. */
void		 ncip_front_free_all(void);
/*
 * Answer an NCIP call with resp, which this takes: built in the dialect
 * and version string of the call's request and sent with HTTP 200.
 * Returns 0, or -1 when the call is gone (the caller disconnected, the
 * gateway stops); resp is freed either way.
 */
int		 ncip_front_answer(uint64_t, struct ncip_msg *);

/* serve.c */
/*
 * Serve an authenticated NCIP request other than LookupVersion: the
 * endpoint hands over req (which the callee takes and frees) from caller,
 * the partner whose ILS sent it, and expects exactly one
 * ncip_front_answer(call_id, ...) later or at once.  caller points into
 * the configuration in force and is only valid during this call: keep its
 * id, not the pointer.
 */
void		 serve_ncip(uint64_t, struct conf_partner *, struct ncip_msg *);

/* ncip_backend.c */
/*
 * Make the NCIP backend of a partner (backend ncip ...): a pool of
 * persistent HTTP/1.1 connections to its ILS.  Returns NULL with a
 * message in err.  The backend copies what it needs of the configuration.
 */
struct ncip_backend *ncip_backend_new(struct event_base *,
		    const struct conf_partner *, char *, size_t);
/*
 * Retire a backend: queued calls fail at once, calls on the wire finish or
 * time out, then it frees itself; with now set (at exit) they fail too and
 * it is freed before this returns.  NULL is fine.
 */
void		 ncip_backend_free(struct ncip_backend *, int);
/*
 * Return 1 when the partner's ILS was reached lately (a connection opened
 * or an answer came), 0 while that is unknown or it cannot be reached.
 */
int		 ncip_backend_up(const struct ncip_backend *);
/*
 * Send an NCIP request to the partner's ILS, built in the dialect its
 * profile names, with the profile's agencies and the path token.  The
 * backend takes req.  Returns 0 when under way: cb then runs exactly once,
 * later, with the answer (a Problem too) or an error.  Returns -1 with
 * *why set when the call cannot be made now ("offline", "busy", ...); cb
 * is not called.
 */
int		 ncip_backend_call(struct ncip_backend *, struct ncip_msg *,
		    uint64_t, uint32_t, ncip_backend_cb, const char **);

/* agreement.c */
/* Called on the loop once a change is on record (0) or refused (-1). */
typedef void	 (*agreement_cb)(int, const char *, void *);
/*
 * Read the revocations on record in the state directory.  Returns -1 with
 * a message in err when the file cannot be read or is malformed.
 */
int		 agreement_open(const char *, char *, size_t);
/*
 * Make the agreements in force from a configuration, which must outlive
 * them, and the revocations on record.  -1 on no memory.
 */
int		 agreement_apply(const struct conf *);
void		 agreement_close(void);
/* The agreements in force, *n of them; valid until the next apply. */
const struct policy_agreement *agreement_list(size_t *);
/* "active", or why not, written into buf; for status and logs. */
const char	*agreement_state(const struct policy_agreement *, char *,
		    size_t);
/*
 * May a request from partner from be carried to partner to?  Returns 1,
 * or 0 with the decision saying why.
 */
int		 agreement_route(const struct circ_req *,
		    const struct conf_partner *, const struct conf_partner *,
		    struct policy_decision *);
/*
 * Apply the agreement to a result that partner from's ILS gave for a
 * request made at partner toward, before it is encoded: a patron of a
 * class from excludes becomes an unknown patron, withheld fields and (for
 * counts only) lists and fee descriptions are dropped, a fine is labelled
 * with the partner owed, and a checkin keeps no patron id and says where
 * the item goes.  Strings it adds live in the arena.
 */
void		 agreement_filter(const struct circ_req *, struct circ_result *,
		    struct circ_arena *, const struct conf_partner *,
		    const struct conf_partner *);
/*
 * Revoke partner's acceptance of its agreement with other, or undo that
 * (revoke 0), once cred matches the partner's admin-password-hash: the
 * check and the durable write run on the worker, and cb runs on the loop
 * when the change is in force, or refused (after a small random delay
 * for a wrong credential).  Returns -1 with a message in err when the
 * change cannot be started; cb is then not called.
 */
int		 agreement_change(const char *, const char *, int,
		    const char *, agreement_cb, void *, char *, size_t);

/* outbox.c */
#define OUTBOX_ID_LEN		16	/* a call's random id */
#define OUTBOX_DATA_MAX		3072	/* bytes of a call's own data */
/* Kinds of calls owed; each has a handler in outbox.c's table. */
enum outbox_kind {
	OUTBOX_LINK = 1,	/* a linked account to make (register.c) */
	OUTBOX_UPDATE_USER,	/* preferences to push (prefs.c) */
	OUTBOX_OWNER_CHECKOUT,	/* a hold's loan to charge (hold.c) */
};
/* How the first try of a call went (outbox_add's callback). */
enum outbox_status {
	OUTBOX_SENT,		/* done */
	OUTBOX_PENDING,		/* committed; tried again later */
	OUTBOX_FAILED,		/* a permanent error: kept, reported */
	OUTBOX_UNSAVED,		/* not committed: nothing is owed */
};
/* A handler's word on one try (outbox_sent). */
enum outbox_verdict {
	OUTBOX_DONE,
	OUTBOX_RETRY,		/* offline, busy: later, with backoff */
	OUTBOX_PERMANENT,	/* the partner refuses it for good */
};
typedef void	 (*outbox_cb)(enum outbox_status, const uint8_t *, void *);
/*
 * Load the calls on record (before serving) and start the timer that
 * tries them.  -1 with a message in err.
 */
int		 outbox_open(struct event_base *, struct idstore *, char *,
		    size_t);
void		 outbox_close(void);
/*
 * Owe a call: data (up to OUTBOX_DATA_MAX bytes, sealed by the store) is
 * committed before cb can hear anything, then tried at once; cb runs once
 * after the first try, or with OUTBOX_UNSAVED when the commit failed.
 * The id is written to the last but two argument when not NULL.  -1 with
 * errno, cb then not called.
 */
int		 outbox_add(enum outbox_kind, const char *, const void *,
		    size_t, uint8_t *, outbox_cb, void *);
/*
 * A handler's call for a try ended.  Handlers are send(id, partner,
 * data, len, token), returning 0 when under way (outbox_sent(token, ...)
 * follows, perhaps at once) or -1 when it cannot start.
 */
void		 outbox_sent(uint64_t, enum outbox_verdict, const char *);
/* Return 1 if a call of a kind to a partner with data so begun is owed. */
int		 outbox_owed(enum outbox_kind, const char *, const void *,
		    size_t);
void		 outbox_count(size_t *, size_t *);
void		 outbox_list(void (*)(void *, const char *), void *);
/* "retry" or "drop" a call by its hex id; -1 with a message in err. */
int		 outbox_admin(const char *, const char *, char *, size_t);

/* register.c */
/*
 * A CreateUser from partner caller's ILS: the patron it registered is
 * recorded with that account as home and given linked accounts at the
 * partners whose agreements allow it, through the outbox.  Takes req and
 * answers it through ncip_front_answer().
 */
void		 register_ncip(uint64_t, const struct conf_partner *,
		    struct ncip_msg *);
/*
 * Register a patron who has an account at partner's ILS, found there by
 * barcode (never with a PIN): cb(ok, text, arg) runs once with lines to
 * show.  -1 with a message in err, cb then not called.
 */
int		 register_staff(const char *, const char *,
		    void (*)(int, const char *, void *), void *, char *,
		    size_t);
/*
 * Who waits for a registration or a change of preferences: an NCIP call
 * (call, req and its decoded form, answered in its dialect) or a staff
 * command (cb with ok and lines of text).
 */
struct reg_caller {
	int			 staff;
	uint64_t		 call;
	struct ncip_msg		*req;
	struct circ_arena	*arena;
	struct circ_req		 creq;
	void			(*cb)(int, const char *, void *);
	void			*arg;
};
/*
 * Start a caller: an NCIP one when req is not NULL (taken; decoded into
 * creq), else a staff one with cb and arg.  -1 on no memory or an
 * undecodable request, after answering it (req freed).
 */
int		 register_caller(struct reg_caller *, uint64_t,
		    struct ncip_msg *, void (*)(int, const char *, void *),
		    void *);
/*
 * A job of size bytes whose first member is its reg_caller, started as
 * register_caller() does; NULL once the caller is answered (no memory,
 * an undecodable request).  Freed with free() after the caller is.
 */
void		*register_job(size_t, uint64_t, struct ncip_msg *,
		    void (*)(int, const char *, void *), void *);
/* Answer a caller with a Problem (staff: the detail) and free it. */
void		 register_refuse(struct reg_caller *, enum ncip_problem_type,
		    const char *, const char *);
/*
 * Answer a caller with success: the response echoing user_id (staff:
 * the text), and free it.
 */
void		 register_answer(struct reg_caller *, const char *,
		    const char *);
/*
 * Find the person of an account at partner home by its key (NULL: none)
 * or barcode, or record one with it as home: cb(result, person, arg)
 * then runs, perhaps before this returns.  -1 (cb not called) when the
 * write cannot be queued.
 */
int		 register_person(const char *, const char *, const char *,
		    const char *, void (*)(int, const uint8_t *, void *),
		    void *);
/* The outbox handler of OUTBOX_LINK. */
int		 register_send(const uint8_t *, const char *, const void *,
		    size_t, uint64_t);

/* prefs.c */
#define PREFS_CH_EMAIL		0x01	/* notification channels */
#define PREFS_CH_SMS		0x02
#define PREFS_CH_PHONE		0x04
#define PREFS_EV_HOLD_READY	0x01	/* events notified of */
#define PREFS_EV_OVERDUE	0x02
#define PREFS_EV_DUE_SOON	0x04
/*
 * The preferred pickup location of a person (IDSTORE_ID_LEN bytes) into
 * buf: a location code of some partner.  Returns 0, or -1 when the person
 * has none or the store cannot say.  Safe from any thread.
 */
int		 prefs_pickup(const uint8_t *, char *, size_t);
/* Return 1 if an NCIP UpdateUser carries preferences (prefs_ncip). */
int		 prefs_carried(const struct ncip_msg *);
/*
 * An UpdateUser with preferences from partner caller's ILS: kept on the
 * person and pushed to every linked account.  Takes req; answers through
 * ncip_front_answer().
 */
void		 prefs_ncip(uint64_t, const struct conf_partner *,
		    struct ncip_msg *);
/*
 * circlinkctl prefs set|show PARTNER BARCODE [key=value...]: cb(ok, text,
 * arg) runs once.  -1 with a message in err, cb then not called.
 */
int		 prefs_staff(int, char **, void (*)(int, const char *, void *),
		    void *, char *, size_t);
/* hold.c: the outbox handler of OUTBOX_OWNER_CHECKOUT. */
int		 hold_owed_send(const uint8_t *, const char *, const void *,
		    size_t, uint64_t);
/* The outbox handler of OUTBOX_UPDATE_USER. */
int		 prefs_send(const uint8_t *, const char *, const void *,
		    size_t, uint64_t);
/* search.c */
#define SEARCH_BIBID_MAX	64	/* longest identifier searched for */
#define SEARCH_COPIES_MAX	64	/* copies one search lists */
#define SEARCH_PARTNERS_MAX	16	/* partners one search asks */
#define SEARCH_OWN_FIRST	0x01	/* others only if none available here */

/* What became of one partner in a search. */
enum search_state {
	SEARCH_NONE,		/* not asked yet, or it has no copy */
	SEARCH_ASKED,		/* its answer is awaited */
	SEARCH_FOUND,		/* it listed copies */
	SEARCH_SKIPPED,		/* its ILS cannot be searched so */
	SEARCH_DOWN,		/* it did not answer, or failed */
};

/* A partner asked, with why it is absent from the answer if it is. */
struct search_partner {
	char		 id[CONF_NAME_MAX];
	enum search_state state;
	const char	*note;		/* SKIPPED, DOWN: for people */
	size_t		 ncopies;	/* listed */
	size_t		 withheld;	/* left out by its terms */
	int		 more;		/* more than the answer could list */
};

/* One copy of the title: at whose ILS, where, in what state. */
struct search_copy {
	const char	*partner;	/* the owning partner's id */
	const char	*agency;	/* its agency (institution) id */
	const char	*item;		/* the item's id at its owner */
	const char	*location;	/* the owner's branch or NULL */
	const char	*call_number;	/* or NULL */
	const char	*status;	/* NCIP CirculationStatus or NULL */
	int		 available;	/* on the shelf now */
};

/* A search's answer: valid only while the callback runs. */
struct search_result {
	const char	*bib;
	const char	*title;		/* as a partner named it, or NULL */
	const struct search_copy *copies;
	size_t		 ncopies;
	const struct search_partner *partners;	/* every one asked */
	size_t		 npartners;
};

/* Called once, on the loop, when a search ends; never from its start. */
typedef void	 (*search_cb)(uint64_t, const struct search_result *);
/* Return 1 if an identifier may be searched for: printable, short. */
int		 search_bibid_valid(const char *);
/*
 * Find the copies of the title with this identifier (scheme ISBN, ISSN,
 * a record id's code, or NULL to guess from its shape) for the patrons
 * of partner asker: with SEARCH_OWN_FIRST its own ILS first and the
 * others only when that has none available, else the others only; every
 * partner with an agreement in force that lets asker's requests cross is
 * asked at once, each within its backend's deadline, and a copy its
 * owner withholds from asker is left out.  A record id is taken as
 * asker's own and asked of asker's ILS alone: record numbers are local to
 * their library.  SIP2 and NCIP 1 partners
 * cannot be searched and are noted as skipped.  Returns 0 when under
 * way (cb then runs once, later, with cookie), or -1 with a message in
 * err (unknown partner, an identifier that is no such, too many
 * searches, no memory); cb is then not called.
 */
int		 search_start(const char *, const char *, const char *, int,
		    uint64_t, search_cb, char *, size_t);
/*
 * Answer an NCIP LookupItemSet by BibliographicId from partner caller's
 * ILS (takes req; caller valid only during the call) through
 * ncip_front_answer().
 */
void		 search_ncip(uint64_t, const struct conf_partner *,
		    struct ncip_msg *);
/*
 * A configuration is being put in force (NULL: the daemon stops): the
 * search-backend pools made for the old one are retired, new ones are
 * made as searches need them.
 */
void		 search_apply(const struct conf *);

/* circlinkd.c */
int		 gateway_apply(struct conf *, char *, size_t);
/*
 * Read the configuration file again and apply it; -1 with a message in
 * err, the old configuration still in force.
 */
int		 gateway_reload(char *, size_t);

#endif /* CIRCLINK_CIRCLINKD_H */
