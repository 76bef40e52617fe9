/* SPDX-License-Identifier: ISC */
/*
 * The configuration reader of circlinkd: a hand-written tokenizer and a
 * recursive-descent parser for the main file and the files it includes.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "circlinkd.h"
#include "ncip.h"

#define CONF_FILE_MAX		(1024 * 1024)	/* bytes in one file */
#define CONF_TOKEN_MAX		1024		/* longest word or string */
#define CONF_DEPTH_MAX		8		/* include nesting */
#define CONF_KW_MAX		32		/* keywords in one table */
#define CONF_TEXT_MAX		255		/* names, passwords, hashes */
#define CONF_DURATION_MAX	600000		/* ms */

#define DEFAULT_MAX_SESSIONS	10000
#define DEFAULT_IDLE_TIMEOUT	900
#define DEFAULT_LOGIN_ATTEMPTS	3
#define DEFAULT_POOL		2
#define DEFAULT_TIMEOUT_MS	5000
#define DEFAULT_CONNECT_MS	2000
#define DEFAULT_QUEUE		256
#define DEFAULT_KEEPALIVE_MS	30000
#define DEFAULT_NCIP_IDLE	60		/* s, an HTTP keep-alive */
#define NCIP_TOKEN_MIN		16		/* bytes of a token we issue */

enum tok_type {
	TOK_EOF,
	TOK_NL,
	TOK_WORD,
	TOK_STRING,
	TOK_OPEN,
	TOK_CLOSE,
};

struct token {
	enum tok_type	 type;
	int		 line;
	size_t		 len;
	char		 text[CONF_TOKEN_MAX + 1];
};

/* One file being read: the main file or an included one. */
struct cfile {
	char		*name;		/* as shown in messages */
	char		*dir;		/* its directory, absolute */
	char		*buf;
	size_t		 len;
	size_t		 pos;
	int		 line;
	mode_t		 mode;
	int		 depth;		/* 0 for the main file */
};

struct parser {
	struct conf	*conf;
	struct cfile	*file;
	struct token	 tok;		/* the token last read */
	int		 ungot;		/* hand tok out once more */
	char		*err;
	size_t		 errlen;
};

struct keyword;
typedef int (*kw_fn)(struct parser *, void *, const struct keyword *, int);

/* A keyword of one block; off and off2 locate members of the block's object. */
struct keyword {
	const char	*name;
	kw_fn		 fn;
	size_t		 off;
	size_t		 off2;
	int		 flags;
	long long	 min;
	long long	 max;
};

#define KW_MULTI	0x01	/* may appear more than once */
#define KW_MAIN		0x02	/* only in the main file */
#define KW_NAME		0x04	/* a short name sent in SIP2 fields */
#define KW_SECRET	0x08	/* never echo the value */
#define KW_NOCASE	0x10	/* list values that differ in case are one */

#define MEMBER(obj, off, type)	((type *)(void *)((char *)(obj) + (off)))

static int	 conf_verr(struct parser *, const char *, int, const char *,
		    va_list)
		    __attribute__((__format__(__printf__, 4, 0)));
static int	 conf_err(struct parser *, int, const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));
static int	 conf_err_at(struct parser *, const char *, int, const char *,
		    ...)
		    __attribute__((__format__(__printf__, 4, 5)));
static const char *tok_describe(const struct token *, char *, size_t);
static int	 lex(struct parser *, struct token *);
static int	 lex_word(struct parser *, struct token *);
static int	 lex_string(struct parser *, struct token *);
static int	 next(struct parser *);
static void	 unget(struct parser *);
static int	 end_statement(struct parser *, const struct keyword *);
static int	 next_value(struct parser *);
static int	 get_value(struct parser *, const struct keyword *);
static int	 parse_uint(const char *, long long, long long *);
static int	 get_number(struct parser *, const struct keyword *,
		    long long *);
static int	 get_address(struct parser *, const char *, char **);
static int	 parse_body(struct parser *, const struct keyword *, void *,
		    int, int *);
static int	 seen_line(const struct keyword *, const int *, const char *);
static char	*path_join(const char *, const char *);
static char	*path_dir(const char *);
static struct cfile *cfile_open(struct parser *, const char *, int, int);
static void	 cfile_close(struct cfile *);
static int	 check_name(struct parser *, const struct keyword *,
		    const char *);
static int	 list_add(struct parser *, const struct keyword *, char **,
		    int *, const char *);
static void	 wire_defaults(struct sip2_wire *);
static void	 tls_free(struct conf_tls *);
static int	 tls_same(const struct conf_tls *, const struct conf_tls *);
static int	 str_same(const char *, const char *);
static void	 ncip_profile_free(struct conf_ncip_profile *);
static int	 ncip_profile_same(const struct conf_ncip_profile *,
		    const struct conf_ncip_profile *);

static int	 kw_string(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_int(struct parser *, void *, const struct keyword *, int);
static int	 kw_bool(struct parser *, void *, const struct keyword *, int);
static int	 kw_duration(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_file(struct parser *, void *, const struct keyword *, int);
static int	 kw_keyfile(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_pin(struct parser *, void *, const struct keyword *, int);
static int	 get_pin(struct parser *, const struct keyword *,
		    uint8_t [CONF_PIN_LEN]);
static int	 kw_ncip_pin(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_ncip_token(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_ncip_auth(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_ncip_path(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_ncip_version(struct parser *, void *,
		    const struct keyword *, int);
static int	 kw_ncip_namespace(struct parser *, void *,
		    const struct keyword *, int);
static int	 kw_ncip_identify(struct parser *, void *,
		    const struct keyword *, int);
static int	 check_url_word(const char *, int);
static int	 kw_verify(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_charset(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_terminator(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_delimiter(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_list(struct parser *, void *, const struct keyword *, int);
static int	 kw_institution(struct parser *, void *,
		    const struct keyword *, int);
static int	 kw_path(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_log_level(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_log_facility(struct parser *, void *,
		    const struct keyword *, int);
static int	 kw_trace(struct parser *, void *, const struct keyword *, int);
static int	 kw_password(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_password_hash(struct parser *, void *,
		    const struct keyword *, int);
static int	 kw_permissions(struct parser *, void *,
		    const struct keyword *, int);
static int	 kw_listen(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_include(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_partner(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_search_backend(struct parser *, void *,
		    const struct keyword *, int);
static int	 kw_backend(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_terminal(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_agreement(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_names(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_withhold(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_history(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_limit(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_staff(struct parser *, void *, const struct keyword *,
		    int);
static int	 kw_grant(struct parser *, void *, const struct keyword *,
		    int);
static int	 staffs_check(struct parser *);
static int	 agreement_check(struct parser *, struct conf_agreement *,
		    const int *);
static int	 agreements_check(struct parser *);
static int	 listener_check(struct parser *, struct conf_listener *,
		    const int *);
static int	 backend_check(struct parser *, struct conf_backend *, int,
		    const struct keyword *, const int *);
static int	 partner_check_ncip(struct parser *, struct conf_partner *,
		    const int *);
static int	 partner_check(struct parser *, struct conf_partner *,
		    const int *);

static const struct keyword top_keywords[] = {
	{ "user", kw_string, offsetof(struct conf, user), 0, KW_MAIN, 0, 0 },
	{ "group", kw_string, offsetof(struct conf, group), 0, KW_MAIN, 0, 0 },
	{ "store-key", kw_path, offsetof(struct conf, store_key), 0, KW_MAIN,
	    0, 0 },
	{ "state-dir", kw_path, offsetof(struct conf, state_dir), 0,
	    KW_MAIN, 0, 0 },
	{ "log-level", kw_log_level, 0, 0, KW_MAIN, 0, 0 },
	{ "log-facility", kw_log_facility, 0, 0, KW_MAIN, 0, 0 },
	{ "trace", kw_trace, 0, 0, KW_MAIN, 0, 0 },
	{ "max-sessions", kw_int, offsetof(struct conf, max_sessions), 0,
	    KW_MAIN, 1, 1000000 },
	{ "listen", kw_listen, 0, 0, KW_MAIN | KW_MULTI, 0, 0 },
	{ "include", kw_include, 0, 0, KW_MULTI, 0, 0 },
	{ "partner", kw_partner, 0, 0, KW_MULTI, 0, 0 },
	{ "staff", kw_staff, 0, 0, KW_MAIN | KW_MULTI, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0, 0 }
};

/* staff LOGIN { ... }: one account for every partner's desk. */
static const struct keyword staff_keywords[] = {
	{ "password-hash", kw_password_hash,
	    offsetof(struct conf_staff, password_hash), 0, 0, 0, 0 },
	{ "permissions", kw_grant, 0, 0, KW_MULTI, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0, 0 }
};

static const struct keyword listener_keywords[] = {
	{ "status-before-login", kw_bool,
	    offsetof(struct conf_listener, status_before_login), 0, 0, 0, 0 },
	{ "idle-timeout", kw_int,
	    offsetof(struct conf_listener, idle_timeout), 0, 0, 0, 604800 },
	{ "login-attempts", kw_int,
	    offsetof(struct conf_listener, login_attempts), 0, 0, 1, 100 },
	{ "certificate", kw_file,
	    offsetof(struct conf_listener, tls.cert), 0, 0, 0, 0 },
	{ "key", kw_keyfile, offsetof(struct conf_listener, tls.key), 0, 0,
	    0, 0 },
	{ "client-ca", kw_file, offsetof(struct conf_listener, tls.ca), 0, 0,
	    0, 0 },
	{ "client-certificate", kw_verify,
	    offsetof(struct conf_listener, tls.verify_peer), 0, 0, 0, 0 },
	{ "pin", kw_pin, offsetof(struct conf_listener, tls), 0, KW_MULTI,
	    0, 0 },
	{ NULL, NULL, 0, 0, 0, 0, 0 }
};

static const struct keyword partner_keywords[] = {
	{ "name", kw_string, offsetof(struct conf_partner, name), 0, 0, 0, 0 },
	{ "institution", kw_institution,
	    offsetof(struct conf_partner, institutions),
	    offsetof(struct conf_partner, ninstitutions), KW_MULTI | KW_NAME,
	    0, 8 },
	{ "patron-barcode", kw_list,
	    offsetof(struct conf_partner, patron_patterns),
	    offsetof(struct conf_partner, npatron_patterns),
	    KW_MULTI | KW_NAME, 0, CONF_PATTERN_MAX },
	{ "item-barcode", kw_list,
	    offsetof(struct conf_partner, item_patterns),
	    offsetof(struct conf_partner, nitem_patterns),
	    KW_MULTI | KW_NAME, 0, CONF_PATTERN_MAX },
	{ "location", kw_list, offsetof(struct conf_partner, locations),
	    offsetof(struct conf_partner, nlocations), KW_MULTI | KW_NAME,
	    0, 32 },
	{ "backend", kw_backend, 0, 0, 0, 0, 0 },
	{ "search-backend", kw_search_backend, 0, 0, 0, 0, 0 },
	{ "terminal", kw_terminal, 0, 0, KW_MULTI, 0, 0 },
	{ "ncip-token", kw_ncip_token, offsetof(struct conf_partner,
	    ncip_token), 0, KW_SECRET, 0, 0 },
	{ "ncip-agency-auth", kw_password,
	    offsetof(struct conf_partner, ncip_agency_auth), 0, KW_SECRET,
	    0, 0 },
	{ "ncip-client-pin", kw_ncip_pin, 0, 0, KW_MULTI, 0, 0 },
	{ "ncip-auth", kw_ncip_auth, 0, 0, 0, 0, 0 },
	{ "agreement", kw_agreement, 0, 0, KW_MULTI, 0, 0 },
	{ "admin-password-hash", kw_password_hash,
	    offsetof(struct conf_partner, admin_hash), 0, 0, 0, 0 },
	{ "visitor-accounts", kw_names, offsetof(struct conf_partner, visitors),
	    offsetof(struct conf_partner, nvisitors), KW_MULTI, 0,
	    CONF_VISITORS_MAX },
	{ NULL, NULL, 0, 0, 0, 0, 0 }
};

/* agreement PARTNER { ... }: one partner's terms toward another. */
static const struct keyword agreement_keywords[] = {
	{ "accept", kw_bool, offsetof(struct policy_terms, accept), 0, 0,
	    0, 0 },
	{ "exclude-class", kw_names, offsetof(struct policy_terms, exclude),
	    offsetof(struct policy_terms, nexclude), KW_MULTI | KW_NOCASE,
	    0, POLICY_CLASS_MAX },
	{ "withhold", kw_withhold, 0, 0, KW_MULTI, 0, 0 },
	{ "history", kw_history, 0, 0, 0, 0, 0 },
	{ "withhold-collection", kw_names,
	    offsetof(struct policy_terms, withhold_collection),
	    offsetof(struct policy_terms, nwithhold_collection),
	    KW_MULTI | KW_NOCASE, 0, POLICY_WITHHOLD_MAX },
	{ "withhold-item-type", kw_names,
	    offsetof(struct policy_terms, withhold_type),
	    offsetof(struct policy_terms, nwithhold_type),
	    KW_MULTI | KW_NOCASE, 0, POLICY_WITHHOLD_MAX },
	{ "withhold-location", kw_names,
	    offsetof(struct policy_terms, withhold_location),
	    offsetof(struct policy_terms, nwithhold_location),
	    KW_MULTI | KW_NOCASE, 0, POLICY_WITHHOLD_MAX },
	{ "link-accounts", kw_bool, offsetof(struct policy_terms, link), 0, 0,
	    0, 0 },
	{ "link-classes", kw_names, offsetof(struct policy_terms, link_classes),
	    offsetof(struct policy_terms, nlink_classes), KW_MULTI | KW_NOCASE,
	    0, POLICY_CLASS_MAX },
	{ "limit", kw_limit, 0, 0, KW_MULTI, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0, 0 }
};

static const struct keyword backend_keywords[] = {
	{ "tls", kw_bool, offsetof(struct conf_backend, tls.enabled), 0, 0,
	    0, 0 },
	{ "ca", kw_file, offsetof(struct conf_backend, tls.ca), 0, 0, 0, 0 },
	{ "pin", kw_pin, offsetof(struct conf_backend, tls), 0, KW_MULTI,
	    0, 0 },
	{ "server-name", kw_string,
	    offsetof(struct conf_backend, tls.server_name), 0, 0, 0, 0 },
	{ "certificate", kw_file, offsetof(struct conf_backend, tls.cert), 0,
	    0, 0, 0 },
	{ "key", kw_keyfile, offsetof(struct conf_backend, tls.key), 0, 0,
	    0, 0 },
	{ "login", kw_string, offsetof(struct conf_backend, login), 0,
	    KW_NAME, 0, 0 },
	{ "password", kw_password, offsetof(struct conf_backend, password), 0,
	    KW_SECRET, 0, 0 },
	{ "location", kw_string, offsetof(struct conf_backend, location), 0,
	    KW_NAME, 0, 0 },
	{ "charset", kw_charset, offsetof(struct conf_backend, wire), 0, 0,
	    0, 0 },
	{ "terminator", kw_terminator, offsetof(struct conf_backend, wire), 0,
	    0, 0, 0 },
	{ "delimiter", kw_delimiter, offsetof(struct conf_backend, wire), 0,
	    0, 0, 0 },
	{ "checksums", kw_bool,
	    offsetof(struct conf_backend, wire.checksums), 0, 0, 0, 0 },
	{ "pool", kw_int, offsetof(struct conf_backend, pool), 0, 0, 1, 64 },
	{ "timeout", kw_duration, offsetof(struct conf_backend, timeout_ms),
	    0, 0, 0, 0 },
	{ "connect-timeout", kw_duration,
	    offsetof(struct conf_backend, connect_timeout_ms), 0, 0, 0, 0 },
	{ "queue", kw_int, offsetof(struct conf_backend, queue_max), 0, 0,
	    1, 100000 },
	{ "keepalive", kw_duration,
	    offsetof(struct conf_backend, keepalive_ms), 0, 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0, 0 }
};

/* backend ncip: how the partner's NCIP responder wants to be spoken to. */
static const struct keyword ncip_backend_keywords[] = {
	{ "tls", kw_bool, offsetof(struct conf_backend, tls.enabled), 0, 0,
	    0, 0 },
	{ "ca", kw_file, offsetof(struct conf_backend, tls.ca), 0, 0, 0, 0 },
	{ "pin", kw_pin, offsetof(struct conf_backend, tls), 0, KW_MULTI,
	    0, 0 },
	{ "server-name", kw_string,
	    offsetof(struct conf_backend, tls.server_name), 0, 0, 0, 0 },
	{ "certificate", kw_file, offsetof(struct conf_backend, tls.cert), 0,
	    0, 0, 0 },
	{ "key", kw_keyfile, offsetof(struct conf_backend, tls.key), 0, 0,
	    0, 0 },
	{ "path", kw_ncip_path, offsetof(struct conf_backend, ncip.path), 0,
	    0, 0, 0 },
	{ "token", kw_ncip_token, offsetof(struct conf_backend, ncip.token),
	    0, KW_SECRET, 0, 0 },
	{ "version", kw_ncip_version, 0, 0, 0, 0, 0 },
	{ "namespace", kw_ncip_namespace, 0, 0, 0, 0, 0 },
	{ "qualified-attributes", kw_bool,
	    offsetof(struct conf_backend, ncip.qualified_attrs), 0, 0, 0, 0 },
	{ "from-agency", kw_string,
	    offsetof(struct conf_backend, ncip.from_agency), 0, 0, 0, 0 },
	{ "to-agency", kw_string,
	    offsetof(struct conf_backend, ncip.to_agency), 0, 0, 0, 0 },
	{ "agency-auth", kw_password,
	    offsetof(struct conf_backend, ncip.from_agency_auth), 0,
	    KW_SECRET, 0, 0 },
	{ "application-profile", kw_string,
	    offsetof(struct conf_backend, ncip.app_profile), 0, 0, 0, 0 },
	{ "identify-patrons", kw_ncip_identify, 0, 0, 0, 0, 0 },
	{ "barcode-type", kw_string,
	    offsetof(struct conf_backend, ncip.auth_barcode_type), 0, 0, 0, 0 },
	{ "pin-type", kw_string,
	    offsetof(struct conf_backend, ncip.auth_pin_type), 0, 0, 0, 0 },
	{ "request-type", kw_string,
	    offsetof(struct conf_backend, ncip.request_type), 0, 0, 0, 0 },
	{ "request-scope", kw_string,
	    offsetof(struct conf_backend, ncip.request_scope), 0, 0, 0, 0 },
	{ "pool", kw_int, offsetof(struct conf_backend, pool), 0, 0, 1, 64 },
	{ "timeout", kw_duration, offsetof(struct conf_backend, timeout_ms),
	    0, 0, 0, 0 },
	{ "connect-timeout", kw_duration,
	    offsetof(struct conf_backend, connect_timeout_ms), 0, 0, 0, 0 },
	{ "queue", kw_int, offsetof(struct conf_backend, queue_max), 0, 0,
	    1, 100000 },
	{ "keepalive", kw_duration,
	    offsetof(struct conf_backend, keepalive_ms), 0, 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0, 0 }
};

static const struct keyword terminal_keywords[] = {
	{ "password-hash", kw_password_hash,
	    offsetof(struct conf_terminal, password_hash), 0, 0, 0, 0 },
	{ "location", kw_string, offsetof(struct conf_terminal, location), 0,
	    KW_NAME, 0, 0 },
	{ "charset", kw_charset, offsetof(struct conf_terminal, wire), 0, 0,
	    0, 0 },
	{ "terminator", kw_terminator, offsetof(struct conf_terminal, wire),
	    0, 0, 0, 0 },
	{ "delimiter", kw_delimiter, offsetof(struct conf_terminal, wire), 0,
	    0, 0, 0 },
	{ "checksums", kw_bool,
	    offsetof(struct conf_terminal, wire.checksums), 0, 0, 0, 0 },
	{ "permissions", kw_permissions, 0, 0, 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0, 0 }
};

/* A name in the configuration and the bits it stands for. */
struct name_bits {
	const char	*name;
	int		 bits;
};

static const struct name_bits perm_names[] = {
	{ "circulation", PERM_CIRCULATION },
	{ "patron", PERM_PATRON },
	{ "fines", PERM_FINES },
	{ "item", PERM_ITEM },
	{ "cataloging", PERM_CATALOGING },
	{ "all", PERM_ALL },
	{ NULL, 0 }
}, staff_perm_names[] = {
	{ "circulation", POLICY_STAFF_CIRCULATION },
	{ "fines", POLICY_STAFF_FINES },
	{ "cataloging", POLICY_STAFF_CATALOGING },
	{ "reports", POLICY_STAFF_REPORTS },
	{ "inventory", POLICY_STAFF_INVENTORY },
	{ "all", POLICY_STAFF_ALL },
	{ NULL, 0 }
}, trace_names[] = {
	{ "sip2", TRACE_SIP2 },
	{ "backend", TRACE_BACKEND },
	{ "tls", TRACE_TLS },
	{ "session", TRACE_SESSION },
	{ "config", TRACE_CONFIG },
	{ "ncip", TRACE_NCIP },
	{ "all", TRACE_ALL },
	{ NULL, 0 }
}, level_names[] = {
	{ "warn", LOG_WARNING },
	{ "info", LOG_INFO },
	{ "debug", LOG_DEBUG },
	{ NULL, 0 }
}, verify_names[] = {
	{ "none", CONF_VERIFY_NONE },
	{ "optional", CONF_VERIFY_OPTIONAL },
	{ "required", CONF_VERIFY_REQUIRED },
	{ NULL, 0 }
}, ncip_auth_names[] = {
	{ "token", NCIP_CALLER_TOKEN },
	{ "agency", NCIP_CALLER_AGENCY },
	{ "certificate", NCIP_CALLER_CERT },
	{ NULL, 0 }
}, ncip_ns_names[] = {
	{ "default", NCIP_NSS_DEFAULT },
	{ "prefix", NCIP_NSS_PREFIX },
	{ "none", NCIP_NSS_NONE },
	{ NULL, 0 }
}, ncip_identify_names[] = {
	{ "user-id", 0 },
	{ "authentication", 1 },
	{ NULL, 0 }
}, field_names[] = {
	{ "name", POLICY_F_NAME },
	{ "address", POLICY_F_ADDRESS },
	{ "phone", POLICY_F_PHONE },
	{ "email", POLICY_F_EMAIL },
	{ "birth-date", POLICY_F_BIRTH },
	{ "other", POLICY_F_OTHER },
	{ "all", POLICY_F_ALL },
	{ NULL, 0 }
}, history_names[] = {
	{ "counts", 0 },
	{ "titles", 1 },
	{ NULL, 0 }
}, term_names[] = {
	{ "cr", SIP2_TERM_CR },
	{ "crlf", SIP2_TERM_CRLF },
	{ "lf", SIP2_TERM_LF },
	{ NULL, 0 }
};

static const char *const facility_names[] = {
	"auth", "authpriv", "daemon", "user", "local0", "local1", "local2",
	"local3", "local4", "local5", "local6", "local7", NULL
};

/* Record the first error as "file:line: what"; always returns -1. */
static int
conf_verr(struct parser *p, const char *file, int line, const char *fmt,
    va_list ap)
{
	char	 msg[512];

	if (p->err == NULL || p->errlen == 0)
		return (-1);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (file == NULL)
		snprintf(p->err, p->errlen, "%s", msg);
	else if (line > 0)
		snprintf(p->err, p->errlen, "%s:%d: %s", file, line, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", file, msg);
	return (-1);
}

/* An error in the file being read. */
static int
conf_err(struct parser *p, int line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	conf_verr(p, p->file != NULL ? p->file->name : NULL, line, fmt, ap);
	va_end(ap);
	return (-1);
}

/* An error found once every file is read, in a file read before. */
static int
conf_err_at(struct parser *p, const char *file, int line, const char *fmt,
    ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	conf_verr(p, file, line, fmt, ap);
	va_end(ap);
	return (-1);
}

/* Render a token for a message, quoted and cut short. */
static const char *
tok_describe(const struct token *t, char *buf, size_t len)
{
	switch (t->type) {
	case TOK_EOF:
		return ("end of file");
	case TOK_NL:
		return ("end of line");
	case TOK_OPEN:
		return ("\"{\"");
	case TOK_CLOSE:
		return ("\"}\"");
	default:
		break;
	}
	snprintf(buf, len, "\"%.40s%s\"", t->text, t->len > 40 ? "..." : "");
	return (buf);
}

/* Read the next token of the current file into t. */
static int
lex(struct parser *p, struct token *t)
{
	struct cfile	*f = p->file;
	char		 c;

	for (;;) {
		if (f->pos >= f->len) {
			t->type = TOK_EOF;
			t->line = f->line;
			t->len = 0;
			t->text[0] = '\0';
			return (0);
		}
		c = f->buf[f->pos];
		if (c == ' ' || c == '\t' || c == '\r') {
			f->pos++;
			continue;
		}
		if (c == '#') {
			while (f->pos < f->len && f->buf[f->pos] != '\n')
				f->pos++;
			continue;
		}
		break;
	}

	t->line = f->line;
	t->len = 0;
	t->text[0] = '\0';
	switch (c) {
	case '\n':
		f->pos++;
		f->line++;
		t->type = TOK_NL;
		return (0);
	case '{':
		f->pos++;
		t->type = TOK_OPEN;
		return (0);
	case '}':
		f->pos++;
		t->type = TOK_CLOSE;
		return (0);
	case '"':
		return (lex_string(p, t));
	default:
		return (lex_word(p, t));
	}
}

/* A word runs to blank, newline, brace, quote or comment. */
static int
lex_word(struct parser *p, struct token *t)
{
	struct cfile	*f = p->file;
	unsigned char	 c;

	t->type = TOK_WORD;
	while (f->pos < f->len) {
		c = f->buf[f->pos];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
		    c == '{' || c == '}' || c == '"' || c == '#')
			break;
		if (c < 0x20 || c == 0x7f)
			return (conf_err(p, t->line,
			    "invalid character 0x%02x", c));
		if (t->len == CONF_TOKEN_MAX)
			return (conf_err(p, t->line, "word too long"));
		t->text[t->len++] = c;
		f->pos++;
	}
	t->text[t->len] = '\0';
	return (0);
}

/* A string is double-quoted, on one line, with \" and \\ as escapes. */
static int
lex_string(struct parser *p, struct token *t)
{
	struct cfile	*f = p->file;
	unsigned char	 c;

	t->type = TOK_STRING;
	f->pos++;
	for (;;) {
		if (f->pos >= f->len || f->buf[f->pos] == '\n')
			return (conf_err(p, t->line, "unterminated string"));
		c = f->buf[f->pos++];
		if (c == '"')
			break;
		if (c == '\\') {
			if (f->pos >= f->len || f->buf[f->pos] == '\n')
				return (conf_err(p, t->line,
				    "unterminated string"));
			c = f->buf[f->pos++];
			if (c != '"' && c != '\\') {
				if (c < 0x20 || c == 0x7f)
					return (conf_err(p, t->line,
					    "invalid escape in string"));
				return (conf_err(p, t->line,
				    "invalid escape \"\\%c\" in string", c));
			}
		} else if ((c < 0x20 && c != '\t') || c == 0x7f)
			return (conf_err(p, t->line,
			    "invalid character 0x%02x in string", c));
		if (t->len == CONF_TOKEN_MAX)
			return (conf_err(p, t->line, "string too long"));
		t->text[t->len++] = c;
	}
	t->text[t->len] = '\0';
	return (0);
}

/* Read the next token into p->tok, or hand back the one put back. */
static int
next(struct parser *p)
{
	if (p->ungot) {
		p->ungot = 0;
		return (0);
	}
	return (lex(p, &p->tok));
}

/* Put p->tok back so the next call to next() returns it again. */
static void
unget(struct parser *p)
{
	p->ungot = 1;
}

/* A statement ends at a newline, the end of the file, or a block's "}". */
static int
end_statement(struct parser *p, const struct keyword *k)
{
	char	 buf[64];

	if (next(p) == -1)
		return (-1);
	switch (p->tok.type) {
	case TOK_NL:
	case TOK_EOF:
		return (0);
	case TOK_CLOSE:
		unget(p);
		return (0);
	default:
		if (k->flags & KW_SECRET)
			return (conf_err(p, p->tok.line, "unexpected value "
			    "after \"%s\" (quote a value with blanks)",
			    k->name));
		return (conf_err(p, p->tok.line, "unexpected %s after \"%s\"",
		    tok_describe(&p->tok, buf, sizeof(buf)), k->name));
	}
}

/* Read the one value of keyword k, a word or a string, into p->tok. */
static int
get_value(struct parser *p, const struct keyword *k)
{
	if (next(p) == -1)
		return (-1);
	if (p->tok.type == TOK_WORD || p->tok.type == TOK_STRING)
		return (0);
	return (conf_err(p, p->tok.line, "\"%s\" needs a value", k->name));
}

/*
 * Read the next of the values that end a statement into p->tok: 1 for a
 * value, 0 at the end of the statement (a closing brace is put back).
 */
static int
next_value(struct parser *p)
{
	char	 buf[64];

	if (next(p) == -1)
		return (-1);
	switch (p->tok.type) {
	case TOK_WORD:
	case TOK_STRING:
		return (1);
	case TOK_CLOSE:
		unget(p);
		return (0);
	case TOK_OPEN:
		return (conf_err(p, p->tok.line, "unexpected %s",
		    tok_describe(&p->tok, buf, sizeof(buf))));
	default:
		return (0);
	}
}

/* Parse a decimal number without sign; -1 if s is not one or over max. */
static int
parse_uint(const char *s, long long max, long long *v)
{
	long long	 n = 0;
	int		 d;

	if (*s == '\0')
		return (-1);
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return (-1);
		d = *s - '0';
		if (n > (max - d) / 10)
			return (-1);
		n = n * 10 + d;
	}
	*v = n;
	return (0);
}

/* Read a number within k's range. */
static int
get_number(struct parser *p, const struct keyword *k, long long *v)
{
	if (get_value(p, k) == -1)
		return (-1);
	if (parse_uint(p->tok.text, LLONG_MAX, v) == -1)
		return (conf_err(p, p->tok.line, "\"%s\": \"%s\" is not a "
		    "number", k->name, p->tok.text));
	if (*v < k->min || *v > k->max)
		return (conf_err(p, p->tok.line, "\"%s\": %lld is out of "
		    "range (%lld-%lld)", k->name, *v, k->min, k->max));
	return (0);
}

/* Read a numeric IPv4 or IPv6 address into *out, in its canonical form. */
static int
get_address(struct parser *p, const char *kw, char **out)
{
	struct keyword	 k = { kw, NULL, 0, 0, 0, 0, 0 };
	unsigned char	 bin[sizeof(struct in6_addr)];
	char		 buf[INET6_ADDRSTRLEN];
	int		 af = AF_INET;

	if (get_value(p, &k) == -1)
		return (-1);
	if (inet_pton(AF_INET, p->tok.text, bin) != 1) {
		af = AF_INET6;
		if (inet_pton(AF_INET6, p->tok.text, bin) != 1)
			return (conf_err(p, p->tok.line, "\"%s\": \"%s\" is "
			    "not a numeric IP address", kw, p->tok.text));
	}
	if (inet_ntop(af, bin, buf, sizeof(buf)) == NULL)
		return (conf_err(p, p->tok.line, "\"%s\": \"%s\" is not a "
		    "numeric IP address", kw, p->tok.text));
	if ((*out = strdup(buf)) == NULL)
		return (conf_err(p, p->tok.line, "out of memory"));
	return (0);
}

/*
 * Read statements of one block (or of a file when line is 0) up to its
 * closing brace, calling each keyword's handler.  seen[i] receives the line
 * where keywords[i] appeared, for the checks made after the block.
 */
static int
parse_body(struct parser *p, const struct keyword *keywords, void *obj,
    int line, int *seen)
{
	const struct keyword	*k;
	char			 buf[64];
	int			 i;

	memset(seen, 0, CONF_KW_MAX * sizeof(*seen));
	for (;;) {
		if (next(p) == -1)
			return (-1);
		switch (p->tok.type) {
		case TOK_NL:
			continue;
		case TOK_EOF:
			if (line == 0)
				return (0);
			return (conf_err(p, line, "this block has no "
			    "closing \"}\""));
		case TOK_CLOSE:
			if (line != 0)
				return (0);
			/* FALLTHROUGH */
		case TOK_OPEN:
		case TOK_STRING:
			return (conf_err(p, p->tok.line, "unexpected %s",
			    tok_describe(&p->tok, buf, sizeof(buf))));
		case TOK_WORD:
			break;
		}

		for (i = 0; keywords[i].name != NULL; i++)
			if (strcmp(keywords[i].name, p->tok.text) == 0)
				break;
		k = &keywords[i];
		if (k->name == NULL)
			return (conf_err(p, p->tok.line,
			    "unknown keyword \"%.40s\"", p->tok.text));
		if (seen[i] != 0 && !(k->flags & KW_MULTI))
			return (conf_err(p, p->tok.line, "\"%s\" is already "
			    "set at line %d", k->name, seen[i]));
		if ((k->flags & KW_MAIN) && p->file->depth > 0)
			return (conf_err(p, p->tok.line, "\"%s\" is only "
			    "allowed in the main file", k->name));
		if (seen[i] == 0)
			seen[i] = p->tok.line;
		if (k->fn(p, obj, k, p->tok.line) == -1)
			return (-1);
	}
}

/* Return the line where the keyword named so first appeared, or 0. */
static int
seen_line(const struct keyword *keywords, const int *seen, const char *name)
{
	int	 i;

	for (i = 0; keywords[i].name != NULL; i++)
		if (strcmp(keywords[i].name, name) == 0)
			return (seen[i]);
	return (0);
}

/* Return rel resolved against dir, or rel itself when absolute. */
static char *
path_join(const char *dir, const char *rel)
{
	char	*s;
	size_t	 len;

	if (rel[0] == '/' || dir[0] == '\0')
		return (strdup(rel));
	len = strlen(dir) + strlen(rel) + 2;
	if ((s = malloc(len)) == NULL)
		return (NULL);
	if (strcmp(dir, "/") == 0)
		snprintf(s, len, "/%s", rel);
	else
		snprintf(s, len, "%s/%s", dir, rel);
	return (s);
}

/* Return the directory part of a path as written ("" for a bare name). */
static char *
path_dir(const char *path)
{
	const char	*slash;
	char		*s;

	if ((slash = strrchr(path, '/')) == NULL)
		return (strdup(""));
	if (slash == path)
		return (strdup("/"));
	if ((s = strdup(path)) != NULL)
		s[slash - path] = '\0';
	return (s);
}

/*
 * Open and read one configuration file.  line is where the including file
 * named it (0 for the main file), for the message when it cannot be read.
 */
static struct cfile *
cfile_open(struct parser *p, const char *name, int depth, int line)
{
	struct cfile	*f;
	struct stat	 st;
	char		*dir = NULL, *real = NULL;
	ssize_t		 n;
	int		 fd = -1, saved;

	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->name = strdup(name)) == NULL) {
		conf_err(p, line, "out of memory");
		goto fail;
	}
	f->line = 1;
	f->depth = depth;

	if ((fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1 ||
	    fstat(fd, &st) == -1) {
		conf_err(p, line, "%s: %s", name, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		conf_err(p, line, "%s: not a regular file", name);
		goto fail;
	}
	if (st.st_size > CONF_FILE_MAX) {
		conf_err(p, line, "%s: larger than %d bytes", name,
		    CONF_FILE_MAX);
		goto fail;
	}
	f->mode = st.st_mode;
	if ((f->buf = malloc(st.st_size + 1)) == NULL) {
		conf_err(p, line, "out of memory");
		goto fail;
	}
	while (f->len < (size_t)st.st_size) {
		n = read(fd, f->buf + f->len, st.st_size - f->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			conf_err(p, line, "%s: %s", name, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		f->len += n;
	}
	close(fd);
	fd = -1;

	/* Relative names in the file are relative to its directory. */
	if ((dir = path_dir(name)) == NULL) {
		conf_err(p, line, "out of memory");
		goto fail;
	}
	if ((real = realpath(dir[0] == '\0' ? "." : dir, NULL)) == NULL) {
		conf_err(p, line, "%s: %s", dir[0] == '\0' ? "." : dir,
		    strerror(errno));
		goto fail;
	}
	free(dir);
	f->dir = real;
	return (f);

fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	free(dir);
	cfile_close(f);
	errno = saved;
	return (NULL);
}

/* Free a file, wiping its text: it may hold passwords. */
static void
cfile_close(struct cfile *f)
{
	if (f == NULL)
		return;
	if (f->buf != NULL) {
		OPENSSL_cleanse(f->buf, f->len);
		free(f->buf);
	}
	free(f->name);
	free(f->dir);
	free(f);
}

/* Names that go into SIP2 fields: short, not empty, no delimiter. */
static int
check_name(struct parser *p, const struct keyword *k, const char *s)
{
	if (*s == '\0')
		return (conf_err(p, p->tok.line, "\"%s\" must not be empty",
		    k->name));
	if (strlen(s) >= CONF_NAME_MAX)
		return (conf_err(p, p->tok.line, "\"%s\": \"%.40s...\" is "
		    "longer than %d bytes", k->name, s, CONF_NAME_MAX - 1));
	if (strchr(s, '|') != NULL)
		return (conf_err(p, p->tok.line, "\"%s\": \"%s\" must not "
		    "contain \"|\"", k->name, s));
	return (0);
}

/* Append value to a bounded list of names, refusing repeats. */
static int
list_add(struct parser *p, const struct keyword *k, char **list, int *n,
    const char *value)
{
	int	 i, same;

	if (check_name(p, k, value) == -1)
		return (-1);
	for (i = 0; i < *n; i++) {
		if (k->flags & KW_NOCASE)
			same = strcasecmp(list[i], value) == 0;
		else
			same = strcmp(list[i], value) == 0;
		if (same)
			return (conf_err(p, p->tok.line, "\"%s\": \"%s\" is "
			    "listed twice", k->name, value));
	}
	if (*n >= k->max)
		return (conf_err(p, p->tok.line, "too many \"%s\" (at most "
		    "%lld)", k->name, k->max));
	if ((list[*n] = strdup(value)) == NULL)
		return (conf_err(p, p->tok.line, "out of memory"));
	(*n)++;
	return (0);
}

/* The wire a terminal or an ILS speaks unless told otherwise. */
static void
wire_defaults(struct sip2_wire *w)
{
	w->charset = SIP2_CS_UTF8;
	w->term = SIP2_TERM_CR;
	w->delim = '|';
	w->checksums = 1;
}

static int
kw_string(struct parser *p, void *obj, const struct keyword *k, int line)
{
	char	**dst = MEMBER(obj, k->off, char *);

	if (get_value(p, k) == -1)
		return (-1);
	if ((k->flags & KW_NAME) && check_name(p, k, p->tok.text) == -1)
		return (-1);
	if (p->tok.len > CONF_TEXT_MAX)
		return (conf_err(p, p->tok.line, "\"%s\" is longer than %d "
		    "bytes", k->name, CONF_TEXT_MAX));
	if (p->tok.len == 0)
		return (conf_err(p, p->tok.line, "\"%s\" must not be empty",
		    k->name));
	free(*dst);
	if ((*dst = strdup(p->tok.text)) == NULL)
		return (conf_err(p, line, "out of memory"));
	return (end_statement(p, k));
}

static int
kw_int(struct parser *p, void *obj, const struct keyword *k, int line)
{
	long long	 v;

	if (get_number(p, k, &v) == -1)
		return (-1);
	*MEMBER(obj, k->off, int) = (int)v;
	return (end_statement(p, k));
}

static int
kw_bool(struct parser *p, void *obj, const struct keyword *k, int line)
{
	int	*dst = MEMBER(obj, k->off, int);

	if (get_value(p, k) == -1)
		return (-1);
	if (strcmp(p->tok.text, "yes") == 0)
		*dst = 1;
	else if (strcmp(p->tok.text, "no") == 0)
		*dst = 0;
	else
		return (conf_err(p, p->tok.line, "\"%s\": expected yes or no, "
		    "not \"%.40s\"", k->name, p->tok.text));
	return (end_statement(p, k));
}

/* A duration: a number with "ms" or "s"; a bare number is milliseconds. */
static int
kw_duration(struct parser *p, void *obj, const struct keyword *k, int line)
{
	char		 num[32];
	long long	 v, scale = 1;
	size_t		 len;

	if (get_value(p, k) == -1)
		return (-1);
	len = p->tok.len;
	if (len > 2 && strcmp(p->tok.text + len - 2, "ms") == 0)
		len -= 2;
	else if (len > 1 && p->tok.text[len - 1] == 's') {
		len -= 1;
		scale = 1000;
	}
	if (len >= sizeof(num))
		len = sizeof(num) - 1;
	memcpy(num, p->tok.text, len);
	num[len] = '\0';
	if (parse_uint(num, LLONG_MAX / 1000, &v) == -1)
		return (conf_err(p, p->tok.line, "\"%s\": \"%.40s\" is not a "
		    "duration such as 500ms or 5s", k->name, p->tok.text));
	v *= scale;
	if (v < 1 || v > CONF_DURATION_MAX)
		return (conf_err(p, p->tok.line, "\"%s\": %s is out of range "
		    "(1ms-%ds)", k->name, p->tok.text,
		    CONF_DURATION_MAX / 1000));
	*MEMBER(obj, k->off, int) = (int)v;
	return (end_statement(p, k));
}

/*
 * A file the daemon reads later (certificate, key, CA): resolved against
 * the including file's directory and stored as its real path.  It must
 * exist now, so that a typo shows at load rather than at a handshake.
 */
static int
kw_file(struct parser *p, void *obj, const struct keyword *k, int line)
{
	char		**dst = MEMBER(obj, k->off, char *);
	char		 *path, *real;
	struct stat	  st;

	if (get_value(p, k) == -1)
		return (-1);
	if (p->tok.len == 0)
		return (conf_err(p, p->tok.line, "\"%s\" must not be empty",
		    k->name));
	if ((path = path_join(p->file->dir, p->tok.text)) == NULL)
		return (conf_err(p, line, "out of memory"));
	if ((real = realpath(path, NULL)) == NULL || stat(real, &st) == -1) {
		conf_err(p, line, "%s: %s", path, strerror(errno));
		free(path);
		free(real);
		return (-1);
	}
	free(path);
	free(*dst);
	*dst = real;
	if (!S_ISREG(st.st_mode))
		return (conf_err(p, line, "%s: not a regular file", real));
	return (end_statement(p, k));
}

/* A private key is a secret: others must have no access to it. */
static int
kw_keyfile(struct parser *p, void *obj, const struct keyword *k, int line)
{
	struct stat	 st;
	const char	*path;

	if (kw_file(p, obj, k, line) == -1)
		return (-1);
	path = *MEMBER(obj, k->off, char *);
	if (stat(path, &st) == -1)
		return (conf_err(p, line, "%s: %s", path, strerror(errno)));
	if (st.st_mode & 007)
		return (conf_err(p, line, "%s: holds secrets but is "
		    "accessible by others; chmod o-rwx", path));
	return (0);
}

/* A pin: "sha256:" and 32 bytes in hex, each pair optionally colon-split. */
static int
get_pin(struct parser *p, const struct keyword *k, uint8_t pin[CONF_PIN_LEN])
{
	const char	*s;
	size_t		 i, len;
	int		 colons, hi, lo;

	if (get_value(p, k) == -1)
		return (-1);
	s = p->tok.text;
	if (strncasecmp(s, "sha256:", 7) == 0)
		s += 7;
	len = strlen(s);
	if (len == CONF_PIN_LEN * 2)
		colons = 0;
	else if (len == CONF_PIN_LEN * 3 - 1)
		colons = 1;
	else
		goto bad;
	for (i = 0; i < CONF_PIN_LEN; i++) {
		if ((hi = OPENSSL_hexchar2int(s[0])) == -1 ||
		    (lo = OPENSSL_hexchar2int(s[1])) == -1)
			goto bad;
		pin[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (colons && i < CONF_PIN_LEN - 1 && *s++ != ':')
			goto bad;
	}
	return (0);

bad:
	return (conf_err(p, p->tok.line, "\"%s\": \"%.40s\" is not "
	    "sha256: and 32 bytes in hex", k->name, p->tok.text));
}

static int
kw_pin(struct parser *p, void *obj, const struct keyword *k, int line)
{
	struct conf_tls	*tls = MEMBER(obj, k->off, struct conf_tls);
	uint8_t		 pin[CONF_PIN_LEN];

	if (get_pin(p, k, pin) == -1)
		return (-1);
	if (tls->npins >= (int)(sizeof(tls->pins) / sizeof(tls->pins[0])))
		return (conf_err(p, p->tok.line, "too many \"%s\" (at most "
		    "%zu)", k->name, sizeof(tls->pins) / sizeof(tls->pins[0])));
	memcpy(tls->pins[tls->npins++], pin, CONF_PIN_LEN);
	return (end_statement(p, k));
}

/* A partner's ILS calling us with a client certificate: its pin. */
static int
kw_ncip_pin(struct parser *p, void *obj, const struct keyword *k, int line)
{
	struct conf_partner	*pa = obj;
	uint8_t			 pin[CONF_PIN_LEN];
	int			 max;

	max = (int)(sizeof(pa->ncip_pins) / sizeof(pa->ncip_pins[0]));
	if (get_pin(p, k, pin) == -1)
		return (-1);
	if (pa->ncip_npins >= max)
		return (conf_err(p, p->tok.line, "too many \"%s\" (at most "
		    "%d)", k->name, max));
	memcpy(pa->ncip_pins[pa->ncip_npins++], pin, CONF_PIN_LEN);
	return (end_statement(p, k));
}

/* Look a word up in a name table; -1 with a message when it is not there. */
#define NAME_LOOKUP(table, p, k, out) do {				\
	int	 i_;							\
	for (i_ = 0; (table)[i_].name != NULL; i_++)			\
		if (strcmp((table)[i_].name, (p)->tok.text) == 0)	\
			break;						\
	if ((table)[i_].name == NULL)					\
		return (conf_err((p), (p)->tok.line, "\"%s\": unknown "	\
		    "value \"%.40s\"", (k)->name, (p)->tok.text));	\
	(out) = (table)[i_].bits;					\
} while (0)

static int
kw_verify(struct parser *p, void *obj, const struct keyword *k, int line)
{
	if (get_value(p, k) == -1)
		return (-1);
	NAME_LOOKUP(verify_names, p, k, *MEMBER(obj, k->off, int));
	return (end_statement(p, k));
}

static int
kw_charset(struct parser *p, void *obj, const struct keyword *k, int line)
{
	struct sip2_wire	*w = MEMBER(obj, k->off, struct sip2_wire);

	if (get_value(p, k) == -1)
		return (-1);
	if (sip2_charset_from_name(p->tok.text, &w->charset) == -1)
		return (conf_err(p, p->tok.line, "\"%s\": unknown value "
		    "\"%.40s\" (utf-8, ascii, cp850 or iso-8859-1)", k->name,
		    p->tok.text));
	return (end_statement(p, k));
}

static int
kw_terminator(struct parser *p, void *obj, const struct keyword *k, int line)
{
	struct sip2_wire	*w = MEMBER(obj, k->off, struct sip2_wire);
	int			 term;

	if (get_value(p, k) == -1)
		return (-1);
	NAME_LOOKUP(term_names, p, k, term);
	w->term = (enum sip2_term)term;
	return (end_statement(p, k));
}

/* A delimiter is one printable character that cannot occur in a value. */
static int
kw_delimiter(struct parser *p, void *obj, const struct keyword *k, int line)
{
	struct sip2_wire	*w = MEMBER(obj, k->off, struct sip2_wire);
	unsigned char		 c;

	if (get_value(p, k) == -1)
		return (-1);
	c = p->tok.text[0];
	if (p->tok.len != 1 || c <= 0x20 || c >= 0x7f ||
	    (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z'))
		return (conf_err(p, p->tok.line, "\"%s\" must be one "
		    "printable character, not a letter or digit", k->name));
	w->delim = (char)c;
	return (end_statement(p, k));
}

static int
kw_list(struct parser *p, void *obj, const struct keyword *k, int line)
{
	if (get_value(p, k) == -1)
		return (-1);
	if (list_add(p, k, MEMBER(obj, k->off, char *),
	    MEMBER(obj, k->off2, int), p->tok.text) == -1)
		return (-1);
	return (end_statement(p, k));
}

/* An institution id routes messages, so one partner alone may claim it. */
static int
kw_institution(struct parser *p, void *obj, const struct keyword *k,
    int line)
{
	struct conf_partner	*self = obj, *other;
	int			 i;

	if (get_value(p, k) == -1)
		return (-1);
	TAILQ_FOREACH(other, &p->conf->partners, entry) {
		if (other == self)
			continue;
		for (i = 0; i < other->ninstitutions; i++)
			if (strcmp(other->institutions[i], p->tok.text) == 0)
				return (conf_err(p, p->tok.line, "institution "
				    "\"%s\" already belongs to partner \"%s\" "
				    "(%s:%d)", p->tok.text, other->id,
				    other->file, other->line));
	}
	unget(p);
	return (kw_list(p, obj, k, line));
}

/* A path, taken relative to the directory of the file that names it. */
static int
kw_path(struct parser *p, void *obj, const struct keyword *k, int line)
{
	char	**dst = MEMBER(obj, k->off, char *);
	char	 *path;

	if (get_value(p, k) == -1)
		return (-1);
	if (p->tok.len == 0)
		return (conf_err(p, p->tok.line, "\"%s\" must not be empty",
		    k->name));
	if ((path = path_join(p->file->dir, p->tok.text)) == NULL)
		return (conf_err(p, line, "out of memory"));
	free(*dst);
	*dst = path;
	return (end_statement(p, k));
}

static int
kw_log_level(struct parser *p, void *obj, const struct keyword *k, int line)
{
	struct conf	*conf = obj;

	if (get_value(p, k) == -1)
		return (-1);
	NAME_LOOKUP(level_names, p, k, conf->log_level);
	return (end_statement(p, k));
}

static int
kw_log_facility(struct parser *p, void *obj, const struct keyword *k,
    int line)
{
	struct conf	*conf = obj;
	int		 i;

	if (get_value(p, k) == -1)
		return (-1);
	for (i = 0; facility_names[i] != NULL; i++)
		if (strcmp(facility_names[i], p->tok.text) == 0)
			break;
	if (facility_names[i] == NULL)
		return (conf_err(p, p->tok.line, "\"%s\": unknown value "
		    "\"%.40s\"", k->name, p->tok.text));
	free(conf->log_facility);
	if ((conf->log_facility = strdup(facility_names[i])) == NULL)
		return (conf_err(p, line, "out of memory"));
	return (end_statement(p, k));
}

/*
 * Read the one or more names that end a statement into the OR of their
 * bits in table.
 */
static int
get_name_set(struct parser *p, const struct keyword *k, int line,
    const struct name_bits *table, int *out)
{
	int	 bits, all = 0, n = 0, more;

	while ((more = next_value(p)) != 0) {
		if (more == -1)
			return (-1);
		NAME_LOOKUP(table, p, k, bits);
		all |= bits;
		n++;
	}
	if (n == 0)
		return (conf_err(p, line, "\"%s\" needs a value", k->name));
	*out = all;
	return (0);
}

/* trace takes one or more flag names on its line; they add up. */
static int
kw_trace(struct parser *p, void *obj, const struct keyword *k, int line)
{
	struct conf	*conf = obj;
	int		 bits;

	if (get_name_set(p, k, line, trace_names, &bits) == -1)
		return (-1);
	conf->trace |= bits;
	return (0);
}

/*
 * A backend password is a secret, so the file that holds it must be closed
 * to others; the check is here because only such files need it.
 */
static int
kw_password(struct parser *p, void *obj, const struct keyword *k, int line)
{
	if (p->file->mode & 007)
		return (conf_err(p, 0, "holds secrets but is accessible by "
		    "others; chmod o-rwx"));
	return (kw_string(p, obj, k, line));
}

static int
kw_password_hash(struct parser *p, void *obj, const struct keyword *k,
    int line)
{
	if (get_value(p, k) == -1)
		return (-1);
	if (!auth_hash_valid(p->tok.text))
		return (conf_err(p, p->tok.line, "\"%s\": not a hash made by "
		    "\"circlinkctl hash-password\"", k->name));
	unget(p);
	return (kw_string(p, obj, k, line));
}

/* permissions takes one or more names on its line; they replace "all". */
static int
kw_permissions(struct parser *p, void *obj, const struct keyword *k,
    int line)
{
	struct conf_terminal	*t = obj;

	return (get_name_set(p, k, line, perm_names, &t->perms));
}

/*
 * A word that goes into a URL path as it is: unreserved characters only,
 * so that no encoding can make two spellings of one token.
 */
static int
check_url_word(const char *s, int slash)
{
	for (; *s != '\0'; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' ||
		    *s == '_' || *s == '~' || (slash && *s == '/'))
			continue;
		return (-1);
	}
	return (0);
}

/*
 * A token in a URL path is a secret: the file must be private.  One that
 * a partner's ILS uses to call us (ncip-token) is ours to make long.
 */
static int
kw_ncip_token(struct parser *p, void *obj, const struct keyword *k, int line)
{
	int	 ours = strcmp(k->name, "ncip-token") == 0;

	if (p->file->mode & 007)
		return (conf_err(p, 0, "holds secrets but is accessible by "
		    "others; chmod o-rwx"));
	if (get_value(p, k) == -1)
		return (-1);
	if (check_url_word(p->tok.text, 0) == -1)
		return (conf_err(p, p->tok.line, "\"%s\" may hold only "
		    "letters, digits and \"-._~\"", k->name));
	if (ours && p->tok.len < NCIP_TOKEN_MIN)
		return (conf_err(p, p->tok.line, "\"%s\" must be at least %d "
		    "characters long", k->name, NCIP_TOKEN_MIN));
	unget(p);
	return (kw_string(p, obj, k, line));
}

/* ncip-auth takes one or more of token, agency, certificate. */
static int
kw_ncip_auth(struct parser *p, void *obj, const struct keyword *k, int line)
{
	struct conf_partner	*pa = obj;

	return (get_name_set(p, k, line, ncip_auth_names, &pa->ncip_auth));
}

/* The URL path of a partner's NCIP responder. */
static int
kw_ncip_path(struct parser *p, void *obj, const struct keyword *k, int line)
{
	if (get_value(p, k) == -1)
		return (-1);
	if (p->tok.text[0] != '/' || check_url_word(p->tok.text, 1) == -1)
		return (conf_err(p, p->tok.line, "\"%s\" must start with "
		    "\"/\" and hold only letters, digits and \"-._~/\"",
		    k->name));
	unget(p);
	return (kw_string(p, obj, k, line));
}

/* The NCIP version a partner speaks, and the schema URL that says so. */
static int
kw_ncip_version(struct parser *p, void *obj, const struct keyword *k,
    int line)
{
	static const struct {
		const char	*name;
		int		 version;
		const char	*url;
	} versions[] = {
		{ "1.0", 1, NCIP_V1_0 },
		{ "1.01", 1, NCIP_V1_01 },
		{ "2.0", 2, NCIP_V2_0 },
		{ "2.01", 2, NCIP_V2_01 },
		{ "2.02", 2, NCIP_V2_02 },
	};
	struct conf_backend		*b = obj;
	struct conf_ncip_profile	*n = &b->ncip;
	size_t				 i;

	if (get_value(p, k) == -1)
		return (-1);
	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (strcmp(versions[i].name, p->tok.text) == 0)
			break;
	if (i == sizeof(versions) / sizeof(versions[0]))
		return (conf_err(p, p->tok.line, "\"%s\": unknown value "
		    "\"%.40s\" (1.0, 1.01, 2.0, 2.01 or 2.02)", k->name,
		    p->tok.text));
	n->version = versions[i].version;
	free(n->version_str);
	if ((n->version_str = strdup(versions[i].url)) == NULL)
		return (conf_err(p, line, "out of memory"));
	return (end_statement(p, k));
}

static int
kw_ncip_namespace(struct parser *p, void *obj, const struct keyword *k,
    int line)
{
	struct conf_backend		*b = obj;
	struct conf_ncip_profile	*n = &b->ncip;

	if (get_value(p, k) == -1)
		return (-1);
	NAME_LOOKUP(ncip_ns_names, p, k, n->ns_style);
	return (end_statement(p, k));
}

static int
kw_ncip_identify(struct parser *p, void *obj, const struct keyword *k,
    int line)
{
	struct conf_backend		*b = obj;
	struct conf_ncip_profile	*n = &b->ncip;

	if (get_value(p, k) == -1)
		return (-1);
	NAME_LOOKUP(ncip_identify_names, p, k, n->user_by_auth);
	return (end_statement(p, k));
}

/* listen ADDRESS port N [ncip] [tls] [{ ... }] */
static int
kw_listen(struct parser *p, void *obj, const struct keyword *k, int line)
{
	static const struct keyword port = { "port", NULL, 0, 0, 0, 0, 65535 };
	struct conf		*conf = obj;
	struct conf_listener	*l, *other;
	long long		 v;
	int			 seen[CONF_KW_MAX];
	char			 buf[64];

	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->file = strdup(p->file->name)) == NULL) {
		free(l);
		return (conf_err(p, line, "out of memory"));
	}
	TAILQ_INSERT_TAIL(&conf->listeners, l, entry);
	l->line = line;
	l->status_before_login = 1;
	l->idle_timeout = DEFAULT_IDLE_TIMEOUT;
	l->login_attempts = DEFAULT_LOGIN_ATTEMPTS;

	if (get_address(p, k->name, &l->address) == -1)
		return (-1);
	if (next(p) == -1)
		return (-1);
	if (p->tok.type != TOK_WORD || strcmp(p->tok.text, "port") != 0)
		return (conf_err(p, p->tok.line, "expected \"port\" after the "
		    "address, not %s", tok_describe(&p->tok, buf,
		    sizeof(buf))));
	if (get_number(p, &port, &v) == -1)
		return (-1);
	l->port = (int)v;
	TAILQ_FOREACH(other, &conf->listeners, entry) {
		if (other != l && l->port != 0 && other->port == l->port &&
		    strcmp(other->address, l->address) == 0)
			return (conf_err(p, line, "%s port %d is already "
			    "a listener at %s:%d", l->address, l->port,
			    other->file, other->line));
	}

	for (;;) {
		if (next(p) == -1)
			return (-1);
		if (p->tok.type == TOK_WORD &&
		    strcmp(p->tok.text, "tls") == 0 && !l->tls.enabled)
			l->tls.enabled = 1;
		else if (p->tok.type == TOK_WORD &&
		    strcmp(p->tok.text, "ncip") == 0 && !l->ncip) {
			l->ncip = 1;
			l->idle_timeout = DEFAULT_NCIP_IDLE;
		} else
			break;
	}
	if (p->tok.type == TOK_OPEN) {
		if (parse_body(p, listener_keywords, l, line, seen) == -1)
			return (-1);
	} else {
		unget(p);
		memset(seen, 0, sizeof(seen));
	}
	if (listener_check(p, l, seen) == -1)
		return (-1);
	return (end_statement(p, k));
}

/* What a listener's settings must agree on, checked after its block. */
static int
listener_check(struct parser *p, struct conf_listener *l, const int *seen)
{
	static const char *const tls_only[] = {
		"certificate", "key", "client-ca", "client-certificate", "pin",
		NULL
	}, *const sip2_only[] = {
		"status-before-login", "login-attempts", NULL
	};
	int	 i, at;

	for (i = 0; l->ncip && sip2_only[i] != NULL; i++)
		if ((at = seen_line(listener_keywords, seen,
		    sip2_only[i])) != 0)
			return (conf_err(p, at, "\"%s\" is for SIP2 listeners, "
			    "not ncip ones", sip2_only[i]));
	if (!l->tls.enabled) {
		for (i = 0; tls_only[i] != NULL; i++)
			if ((at = seen_line(listener_keywords, seen,
			    tls_only[i])) != 0)
				return (conf_err(p, at, "\"%s\" needs \"tls\" "
				    "after the port", tls_only[i]));
		return (0);
	}
	if (l->tls.cert == NULL)
		return (conf_err(p, l->line, "a tls listener needs "
		    "\"certificate\""));
	if (l->tls.key == NULL)
		return (conf_err(p, l->line, "a tls listener needs \"key\""));
	at = seen_line(listener_keywords, seen, "client-certificate");
	if (at == 0 && l->tls.ca != NULL)
		l->tls.verify_peer = CONF_VERIFY_REQUIRED;
	/* An NCIP listener may verify against the partners' pins alone. */
	if (l->tls.verify_peer != CONF_VERIFY_NONE && l->tls.ca == NULL &&
	    l->tls.npins == 0 && !l->ncip)
		return (conf_err(p, at, "\"client-certificate\" needs "
		    "\"client-ca\" or \"pin\" to verify it with"));
	return (0);
}

/* include "FILE": relative to the including file's directory. */
static int
kw_include(struct parser *p, void *obj, const struct keyword *k, int line)
{
	struct cfile	*f, *saved = p->file;
	char		*dir, *name;
	char		 buf[64];
	int		 seen[CONF_KW_MAX], rc;

	if (get_value(p, k) == -1)
		return (-1);
	if (p->tok.len == 0)
		return (conf_err(p, line, "\"include\" must not be empty"));
	if (p->file->depth + 1 > CONF_DEPTH_MAX)
		return (conf_err(p, line, "\"include\" nested more than %d "
		    "deep", CONF_DEPTH_MAX));
	if ((dir = path_dir(p->file->name)) == NULL)
		return (conf_err(p, line, "out of memory"));
	name = path_join(dir, p->tok.text);
	free(dir);
	if (name == NULL)
		return (conf_err(p, line, "out of memory"));

	/* The next file starts only once this statement is over. */
	if (next(p) == -1) {
		free(name);
		return (-1);
	}
	if (p->tok.type != TOK_NL && p->tok.type != TOK_EOF) {
		free(name);
		return (conf_err(p, p->tok.line, "unexpected %s after "
		    "\"include\"", tok_describe(&p->tok, buf, sizeof(buf))));
	}

	f = cfile_open(p, name, p->file->depth + 1, line);
	free(name);
	if (f == NULL)
		return (-1);
	p->file = f;
	rc = parse_body(p, top_keywords, p->conf, 0, seen);
	p->file = saved;
	cfile_close(f);
	return (rc);
}

/* partner ID { ... } */
static int
kw_partner(struct parser *p, void *obj, const struct keyword *k, int line)
{
	struct conf		*conf = obj;
	struct conf_partner	*pa, *other;
	int			 seen[CONF_KW_MAX];
	char			 buf[64];

	if (get_value(p, k) == -1)
		return (-1);
	if (check_name(p, k, p->tok.text) == -1)
		return (-1);
	if ((other = conf_partner_find(conf, p->tok.text)) != NULL)
		return (conf_err(p, line, "partner \"%s\" is already defined "
		    "at %s:%d", other->id, other->file, other->line));
	if ((pa = calloc(1, sizeof(*pa))) == NULL)
		return (conf_err(p, line, "out of memory"));
	TAILQ_INIT(&pa->agreements);
	TAILQ_INSERT_TAIL(&conf->partners, pa, entry);
	if ((pa->file = strdup(p->file->name)) == NULL ||
	    (pa->id = strdup(p->tok.text)) == NULL)
		return (conf_err(p, line, "out of memory"));
	pa->line = line;

	if (next(p) == -1)
		return (-1);
	if (p->tok.type != TOK_OPEN)
		return (conf_err(p, p->tok.line, "expected \"{\" after "
		    "partner \"%s\", not %s", pa->id,
		    tok_describe(&p->tok, buf, sizeof(buf))));
	if (parse_body(p, partner_keywords, pa, line, seen) == -1)
		return (-1);
	if (partner_check(p, pa, seen) == -1)
		return (-1);
	return (end_statement(p, k));
}

/* What a partner's settings must agree on, checked after its block. */
static int
partner_check(struct parser *p, struct conf_partner *pa, const int *seen)
{
	struct conf_terminal	*t;
	int			 i;

	if (pa->ninstitutions == 0)
		return (conf_err(p, pa->line, "partner \"%s\" has no "
		    "\"institution\"", pa->id));
	if (pa->name == NULL && (pa->name = strdup(pa->id)) == NULL)
		return (conf_err(p, pa->line, "out of memory"));
	if (partner_check_ncip(p, pa, seen) == -1)
		return (-1);
	if (pa->nlocations == 0)
		return (0);
	TAILQ_FOREACH(t, &p->conf->terminals, entry) {
		if (t->partner != pa || t->location == NULL)
			continue;
		for (i = 0; i < pa->nlocations; i++)
			if (strcmp(pa->locations[i], t->location) == 0)
				break;
		if (i == pa->nlocations)
			return (conf_err(p, t->line, "terminal \"%s\": "
			    "location \"%s\" is not a location of partner "
			    "\"%s\"", t->login, t->location, pa->id));
	}
	return (0);
}

/*
 * How a partner's ILS proves itself when it calls us over NCIP: every
 * method named by ncip-auth needs its credential, and without ncip-auth
 * every credential given is required.  A token or a pin names one partner
 * only, or a caller could not be told apart.
 */
static int
partner_check_ncip(struct parser *p, struct conf_partner *pa,
    const int *seen)
{
	static const struct {
		int		 bit;
		const char	*keyword;
		const char	*method;
	} creds[] = {
		{ NCIP_CALLER_TOKEN, "ncip-token", "token" },
		{ NCIP_CALLER_AGENCY, "ncip-agency-auth", "agency" },
		{ NCIP_CALLER_CERT, "ncip-client-pin", "certificate" },
	};
	struct conf_partner	*other;
	size_t			 i;
	int			 have = 0, at, j, k;

	if (pa->ncip_token != NULL)
		have |= NCIP_CALLER_TOKEN;
	if (pa->ncip_agency_auth != NULL)
		have |= NCIP_CALLER_AGENCY;
	if (pa->ncip_npins > 0)
		have |= NCIP_CALLER_CERT;
	at = seen_line(partner_keywords, seen, "ncip-auth");
	if (at == 0)
		pa->ncip_auth = have;
	for (i = 0; i < sizeof(creds) / sizeof(creds[0]); i++)
		if ((pa->ncip_auth & creds[i].bit) && !(have & creds[i].bit))
			return (conf_err(p, at, "\"ncip-auth\": %s needs "
			    "\"%s\"", creds[i].method, creds[i].keyword));

	TAILQ_FOREACH(other, &p->conf->partners, entry) {
		if (other == pa)
			continue;
		if (pa->ncip_token != NULL && other->ncip_token != NULL &&
		    strcmp(pa->ncip_token, other->ncip_token) == 0)
			return (conf_err(p, seen_line(partner_keywords, seen,
			    "ncip-token"), "\"ncip-token\" is also partner "
			    "\"%s\"'s (%s:%d)", other->id, other->file,
			    other->line));
		for (j = 0; j < pa->ncip_npins; j++)
			for (k = 0; k < other->ncip_npins; k++)
				if (memcmp(pa->ncip_pins[j],
				    other->ncip_pins[k], CONF_PIN_LEN) == 0)
					return (conf_err(p, seen_line(
					    partner_keywords, seen,
					    "ncip-client-pin"), "\"ncip-client-"
					    "pin\" is also partner \"%s\"'s "
					    "(%s:%d)", other->id, other->file,
					    other->line));
	}
	return (0);
}

/* backend sip2|ncip ADDRESS port N [{ ... }] */
static int
kw_backend(struct parser *p, void *obj, const struct keyword *k, int line)
{
	static const struct keyword port = { "port", NULL, 0, 0, 0, 0, 65535 };
	struct conf_partner	*pa = obj;
	struct conf_backend	*b = &pa->backend;
	const struct keyword	*table = backend_keywords;
	long long		 v;
	int			 seen[CONF_KW_MAX];
	char			 buf[64];

	pa->has_backend = 1;
	b->proto = BACKEND_SIP2;
	wire_defaults(&b->wire);
	b->pool = DEFAULT_POOL;
	b->timeout_ms = DEFAULT_TIMEOUT_MS;
	b->connect_timeout_ms = DEFAULT_CONNECT_MS;
	b->queue_max = DEFAULT_QUEUE;
	b->keepalive_ms = DEFAULT_KEEPALIVE_MS;

	if (get_value(p, k) == -1)
		return (-1);
	if (strcmp(p->tok.text, "ncip") == 0) {
		b->proto = BACKEND_NCIP;
		b->ncip.version = 2;
		b->ncip.ns_style = NCIP_NSS_DEFAULT;
		b->ncip.qualified_attrs = 1;	/* as the schema says */
		table = ncip_backend_keywords;
	} else if (strcmp(p->tok.text, "sip2") != 0)
		return (conf_err(p, p->tok.line, "\"backend\": unknown "
		    "protocol %s (expected sip2 or ncip)", tok_describe(&p->tok,
		    buf, sizeof(buf))));
	if (get_address(p, k->name, &b->address) == -1)
		return (-1);
	if (next(p) == -1)
		return (-1);
	if (p->tok.type != TOK_WORD || strcmp(p->tok.text, "port") != 0)
		return (conf_err(p, p->tok.line, "expected \"port\" after the "
		    "address, not %s", tok_describe(&p->tok, buf,
		    sizeof(buf))));
	if (get_number(p, &port, &v) == -1)
		return (-1);
	b->port = (int)v;

	if (next(p) == -1)
		return (-1);
	if (p->tok.type == TOK_OPEN) {
		if (parse_body(p, table, b, line, seen) == -1)
			return (-1);
	} else {
		unget(p);
		memset(seen, 0, sizeof(seen));
	}
	if (backend_check(p, b, line, table, seen) == -1)
		return (-1);
	return (end_statement(p, k));
}

/*
 * search-backend ncip ADDRESS port N [{ ... }]: the NCIP endpoint a
 * partner's ILS offers beside its SIP2 one, asked only for searches by
 * bibliographic id; read as a backend ncip is.
 */
static int
kw_search_backend(struct parser *p, void *obj, const struct keyword *k,
    int line)
{
	struct conf_partner	*pa = obj;
	struct conf_backend	 own = pa->backend;
	int			 had = pa->has_backend, rc;

	memset(&pa->backend, 0, sizeof(pa->backend));
	rc = kw_backend(p, obj, k, line);
	pa->search = pa->backend;
	pa->has_search = 1;
	pa->backend = own;
	pa->has_backend = had;
	if (rc == 0 && pa->search.proto != BACKEND_NCIP)
		return (conf_err(p, line, "\"search-backend\": only ncip can "
		    "search by bibliographic id"));
	return (rc);
}

/* What a backend's settings must agree on, checked after its block. */
static int
backend_check(struct parser *p, struct conf_backend *b, int line,
    const struct keyword *table, const int *seen)
{
	static const char *const tls_only[] = {
		"ca", "pin", "server-name", "certificate", "key", NULL
	};
	static const struct {
		size_t		 off;
		const char	*value;
	} ncip_defaults[] = {
		{ offsetof(struct conf_ncip_profile, path), "/ncip" },
		{ offsetof(struct conf_ncip_profile, auth_barcode_type),
		    "Barcode Id" },
		{ offsetof(struct conf_ncip_profile, auth_pin_type), "PIN" },
		{ offsetof(struct conf_ncip_profile, request_type), "Hold" },
		{ offsetof(struct conf_ncip_profile, request_scope),
		    "Bibliographic Item" },
	};
	char	**dst;
	size_t	 j;
	int	 i, at;

	for (j = 0; b->proto == BACKEND_NCIP &&
	    j < sizeof(ncip_defaults) / sizeof(ncip_defaults[0]); j++) {
		dst = MEMBER(&b->ncip, ncip_defaults[j].off, char *);
		if (*dst == NULL &&
		    (*dst = strdup(ncip_defaults[j].value)) == NULL)
			return (conf_err(p, line, "out of memory"));
	}
	if (b->proto == BACKEND_NCIP && b->ncip.version == 1 &&
	    (at = seen_line(table, seen, "namespace")) != 0 &&
	    b->ncip.ns_style != NCIP_NSS_NONE)
		return (conf_err(p, at, "\"namespace\": version 1 messages "
		    "have none"));
	if (!b->tls.enabled) {
		for (i = 0; tls_only[i] != NULL; i++)
			if ((at = seen_line(table, seen,
			    tls_only[i])) != 0)
				return (conf_err(p, at, "\"%s\" needs \"tls "
				    "yes\"", tls_only[i]));
	}
	if (b->tls.cert != NULL && b->tls.key == NULL)
		return (conf_err(p, seen_line(table, seen,
		    "certificate"), "\"certificate\" needs \"key\""));
	if (b->tls.key != NULL && b->tls.cert == NULL)
		return (conf_err(p, seen_line(table, seen, "key"),
		    "\"key\" needs \"certificate\""));
	if (b->password != NULL && b->login == NULL)
		return (conf_err(p, seen_line(table, seen,
		    "password"), "\"password\" needs \"login\""));
	return (0);
}

/* terminal LOGIN { ... } */
static int
kw_terminal(struct parser *p, void *obj, const struct keyword *k, int line)
{
	struct conf_partner	*pa = obj;
	struct conf_terminal	*t, *other;
	int			 seen[CONF_KW_MAX];
	char			 buf[64];

	if (get_value(p, k) == -1)
		return (-1);
	if (check_name(p, k, p->tok.text) == -1)
		return (-1);
	if ((other = conf_terminal_find(p->conf, p->tok.text)) != NULL)
		return (conf_err(p, line, "terminal \"%s\" is already defined "
		    "at %s:%d", other->login, other->file, other->line));
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (conf_err(p, line, "out of memory"));
	TAILQ_INSERT_TAIL(&p->conf->terminals, t, entry);
	if ((t->file = strdup(p->file->name)) == NULL ||
	    (t->login = strdup(p->tok.text)) == NULL)
		return (conf_err(p, line, "out of memory"));
	t->line = line;
	t->partner = pa;
	t->perms = PERM_ALL;
	wire_defaults(&t->wire);
	/* Terminals get a trailer when they send one, unless told always. */
	t->wire.checksums = 0;

	if (next(p) == -1)
		return (-1);
	if (p->tok.type != TOK_OPEN)
		return (conf_err(p, p->tok.line, "expected \"{\" after "
		    "terminal \"%s\", not %s", t->login,
		    tok_describe(&p->tok, buf, sizeof(buf))));
	if (parse_body(p, terminal_keywords, t, line, seen) == -1)
		return (-1);
	if (t->password_hash == NULL)
		return (conf_err(p, line, "terminal \"%s\" has no "
		    "\"password-hash\"", t->login));
	return (end_statement(p, k));
}

/* agreement PARTNER { ... }: this partner's terms toward another. */
static int
kw_agreement(struct parser *p, void *obj, const struct keyword *k, int line)
{
	struct conf_partner	*pa = obj;
	struct conf_agreement	*a;
	int			 seen[CONF_KW_MAX];
	char			 buf[64];

	if (get_value(p, k) == -1)
		return (-1);
	if (check_name(p, k, p->tok.text) == -1)
		return (-1);
	if (strcmp(p->tok.text, pa->id) == 0)
		return (conf_err(p, line, "partner \"%s\" cannot have an "
		    "agreement with itself", pa->id));
	if ((a = conf_agreement_find(pa, p->tok.text)) != NULL)
		return (conf_err(p, line, "agreement \"%s\" is already "
		    "defined at %s:%d", a->partner, a->file, a->line));
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return (conf_err(p, line, "out of memory"));
	policy_terms_init(&a->terms);
	TAILQ_INSERT_TAIL(&pa->agreements, a, entry);
	if ((a->file = strdup(p->file->name)) == NULL ||
	    (a->partner = strdup(p->tok.text)) == NULL)
		return (conf_err(p, line, "out of memory"));
	a->line = line;

	if (next(p) == -1)
		return (-1);
	if (p->tok.type != TOK_OPEN)
		return (conf_err(p, p->tok.line, "expected \"{\" after "
		    "agreement \"%s\", not %s", a->partner,
		    tok_describe(&p->tok, buf, sizeof(buf))));
	if (parse_body(p, agreement_keywords, &a->terms, line, seen) == -1)
		return (-1);
	if (agreement_check(p, a, seen) == -1)
		return (-1);
	return (end_statement(p, k));
}

/*
 * The handshake is explicit: a block says whether it accepts.  Listing
 * the classes that may have accounts implies that some may.
 */
static int
agreement_check(struct parser *p, struct conf_agreement *a, const int *seen)
{
	int	 at;

	if (seen_line(agreement_keywords, seen, "accept") == 0)
		return (conf_err(p, a->line, "agreement \"%s\" needs \"accept "
		    "yes\" or \"accept no\"", a->partner));
	if ((at = seen_line(agreement_keywords, seen, "link-classes")) == 0)
		return (0);
	if (seen_line(agreement_keywords, seen, "link-accounts") != 0 &&
	    !a->terms.link)
		return (conf_err(p, at, "\"link-classes\" contradicts "
		    "\"link-accounts no\""));
	a->terms.link = 1;
	return (0);
}

/*
 * An agreement names a partner that may be defined in a file read later,
 * so the names are checked once every file is read.
 */
static int
agreements_check(struct parser *p)
{
	struct conf_partner	*pa;
	struct conf_agreement	*a;

	TAILQ_FOREACH(pa, &p->conf->partners, entry)
		TAILQ_FOREACH(a, &pa->agreements, entry)
			if (conf_partner_find(p->conf, a->partner) == NULL)
				return (conf_err_at(p, a->file, a->line,
				    "agreement \"%s\": no partner \"%s\" is "
				    "defined", a->partner, a->partner));
	return (0);
}

/* One or more names on the keyword's line, each added to a bounded list. */
static int
kw_names(struct parser *p, void *obj, const struct keyword *k, int line)
{
	int	 n = 0, more;

	while ((more = next_value(p)) != 0) {
		if (more == -1)
			return (-1);
		if (list_add(p, k, MEMBER(obj, k->off, char *),
		    MEMBER(obj, k->off2, int), p->tok.text) == -1)
			return (-1);
		n++;
	}
	if (n == 0)
		return (conf_err(p, line, "\"%s\" needs a value", k->name));
	return (0);
}

/* withhold takes one or more patron fields; they add up. */
static int
kw_withhold(struct parser *p, void *obj, const struct keyword *k, int line)
{
	struct policy_terms	*t = obj;
	int			 bits;

	if (get_name_set(p, k, line, field_names, &bits) == -1)
		return (-1);
	t->withheld |= bits;
	return (0);
}

static int
kw_history(struct parser *p, void *obj, const struct keyword *k, int line)
{
	struct policy_terms	*t = obj;

	if (get_value(p, k) == -1)
		return (-1);
	NAME_LOOKUP(history_names, p, k, t->titles);
	return (end_statement(p, k));
}

/* limit class CLASS [loans N] [holds N]: at least one of the two. */
static int
kw_limit(struct parser *p, void *obj, const struct keyword *k, int line)
{
	static const struct keyword counts[] = {
		{ "loans", NULL, offsetof(struct policy_limit, loans), 0, 0,
		    0, 100000 },
		{ "holds", NULL, offsetof(struct policy_limit, holds), 0, 0,
		    0, 100000 },
	};
	struct policy_terms	*t = obj;
	struct policy_limit	*l;
	long long		 v;
	size_t			 i;
	int			 j, more, seen[2] = { 0, 0 };
	char			 buf[64];

	if (next(p) == -1)
		return (-1);
	if (p->tok.type != TOK_WORD || strcmp(p->tok.text, "class") != 0)
		return (conf_err(p, p->tok.line, "expected \"class\" after "
		    "\"limit\", not %s", tok_describe(&p->tok, buf,
		    sizeof(buf))));
	if (get_value(p, k) == -1 || check_name(p, k, p->tok.text) == -1)
		return (-1);
	for (j = 0; j < t->nlimits; j++)
		if (strcasecmp(t->limits[j].pclass, p->tok.text) == 0)
			return (conf_err(p, p->tok.line, "\"limit\": class "
			    "\"%s\" is limited twice", p->tok.text));
	if (t->nlimits >= POLICY_LIMIT_MAX)
		return (conf_err(p, p->tok.line, "too many \"limit\" (at most "
		    "%d)", POLICY_LIMIT_MAX));
	l = &t->limits[t->nlimits];
	if ((l->pclass = strdup(p->tok.text)) == NULL)
		return (conf_err(p, line, "out of memory"));
	l->loans = l->holds = -1;
	t->nlimits++;

	while ((more = next_value(p)) != 0) {
		if (more == -1)
			return (-1);
		for (i = 0; i < 2; i++)
			if (strcmp(counts[i].name, p->tok.text) == 0)
				break;
		if (i == 2)
			return (conf_err(p, p->tok.line, "\"limit\": expected "
			    "\"loans\" or \"holds\", not %s",
			    tok_describe(&p->tok, buf, sizeof(buf))));
		if (seen[i])
			return (conf_err(p, p->tok.line, "\"limit\": \"%s\" "
			    "is given twice", counts[i].name));
		seen[i] = 1;
		if (get_number(p, &counts[i], &v) == -1)
			return (-1);
		*MEMBER(l, counts[i].off, long) = (long)v;
	}
	if (!seen[0] && !seen[1])
		return (conf_err(p, line, "\"limit\" needs \"loans\" or "
		    "\"holds\""));
	return (0);
}

/* staff LOGIN { ... }: a staff account, in the main file only. */
static int
kw_staff(struct parser *p, void *obj, const struct keyword *k, int line)
{
	struct conf_staff	*st, *other;
	int			 seen[CONF_KW_MAX];
	char			 buf[64];

	if (get_value(p, k) == -1)
		return (-1);
	if (check_name(p, k, p->tok.text) == -1)
		return (-1);
	if ((other = conf_staff_find(p->conf, p->tok.text)) != NULL)
		return (conf_err(p, line, "staff \"%s\" is already defined "
		    "at %s:%d", other->login, other->file, other->line));
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return (conf_err(p, line, "out of memory"));
	TAILQ_INSERT_TAIL(&p->conf->staff, st, entry);
	if ((st->file = strdup(p->file->name)) == NULL ||
	    (st->login = strdup(p->tok.text)) == NULL)
		return (conf_err(p, line, "out of memory"));
	st->line = line;
	wire_defaults(&st->wire);
	/* As for terminals: a trailer when the desk sends one. */
	st->wire.checksums = 0;

	if (next(p) == -1)
		return (-1);
	if (p->tok.type != TOK_OPEN)
		return (conf_err(p, p->tok.line, "expected \"{\" after "
		    "staff \"%s\", not %s", st->login,
		    tok_describe(&p->tok, buf, sizeof(buf))));
	if (parse_body(p, staff_keywords, st, line, seen) == -1)
		return (-1);
	if (st->password_hash == NULL)
		return (conf_err(p, line, "staff \"%s\" has no "
		    "\"password-hash\"", st->login));
	if (st->ngrants == 0)
		return (conf_err(p, line, "staff \"%s\" has no "
		    "\"permissions\"", st->login));
	return (end_statement(p, k));
}

/*
 * permissions PARTNER NAME ...: what the account may do at one partner.
 * The partner may be defined in a file read later; staffs_check() looks.
 */
static int
kw_grant(struct parser *p, void *obj, const struct keyword *k, int line)
{
	struct conf_staff	*st = obj;
	struct conf_grant	*g, *grants;
	int			 i, more, n = 0;

	if (get_value(p, k) == -1)
		return (-1);
	if (check_name(p, k, p->tok.text) == -1)
		return (-1);
	for (i = 0; i < st->ngrants; i++)
		if (strcmp(st->grants[i].partner_id, p->tok.text) == 0)
			return (conf_err(p, line, "\"permissions\": partner "
			    "\"%s\" is already given at line %d",
			    p->tok.text, st->grants[i].line));
	if ((grants = reallocarray(st->grants, st->ngrants + 1,
	    sizeof(*grants))) == NULL)
		return (conf_err(p, line, "out of memory"));
	st->grants = grants;
	g = &st->grants[st->ngrants];
	memset(g, 0, sizeof(*g));
	if ((g->partner_id = strdup(p->tok.text)) == NULL)
		return (conf_err(p, line, "out of memory"));
	g->line = line;
	st->ngrants++;

	while ((more = next_value(p)) != 0) {
		if (more == -1)
			return (-1);
		for (i = 0; staff_perm_names[i].name != NULL; i++)
			if (strcmp(staff_perm_names[i].name,
			    p->tok.text) == 0)
				break;
		if (staff_perm_names[i].name == NULL)
			return (conf_err(p, p->tok.line, "\"permissions\": "
			    "unknown permission \"%.40s\" (expected "
			    "circulation, fines, cataloging, reports, "
			    "inventory or all)", p->tok.text));
		g->perms |= staff_perm_names[i].bits;
		n++;
	}
	if (n == 0)
		return (conf_err(p, line, "\"permissions\" needs a partner "
		    "and one or more permissions"));
	return (0);
}

/*
 * Once every file is read: each partner a staff account names exists,
 * and no staff login is also a terminal's, whichever came first.
 */
static int
staffs_check(struct parser *p)
{
	struct conf_staff	*st;
	struct conf_terminal	*t;
	struct conf_grant	*g;
	int			 i;

	TAILQ_FOREACH(st, &p->conf->staff, entry) {
		if ((t = conf_terminal_find(p->conf, st->login)) != NULL)
			return (conf_err_at(p, st->file, st->line, "staff "
			    "\"%s\" has the login of a terminal (%s:%d)",
			    st->login, t->file, t->line));
		for (i = 0; i < st->ngrants; i++) {
			g = &st->grants[i];
			if ((g->partner = conf_partner_find(p->conf,
			    g->partner_id)) == NULL)
				return (conf_err_at(p, st->file, g->line,
				    "\"permissions\": no partner \"%s\" is "
				    "defined", g->partner_id));
		}
	}
	return (0);
}

/*
 * Read the main file at path and the files it includes.  Returns the
 * configuration, or NULL with a message "file:line: what" in err.
 */
struct conf *
conf_load(const char *path, char *err, size_t errlen)
{
	struct parser	 p;
	struct conf	*conf;
	struct cfile	*f = NULL;
	const char	*base;
	int		 seen[CONF_KW_MAX];

	memset(&p, 0, sizeof(p));
	p.err = err;
	p.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';

	if ((conf = calloc(1, sizeof(*conf))) == NULL) {
		conf_err(&p, 0, "out of memory");
		return (NULL);
	}
	p.conf = conf;
	TAILQ_INIT(&conf->listeners);
	TAILQ_INIT(&conf->partners);
	TAILQ_INIT(&conf->terminals);
	TAILQ_INIT(&conf->staff);
	conf->log_level = LOG_INFO;
	conf->max_sessions = DEFAULT_MAX_SESSIONS;
	if ((conf->store_key = strdup(SYSCONFDIR "/circlink/store.key")) ==
	    NULL) {
		conf_err(&p, 0, "out of memory");
		goto fail;
	}
	if ((conf->state_dir = strdup(LOCALSTATEDIR "/lib/circlink")) ==
	    NULL || (conf->log_facility = strdup("daemon")) == NULL) {
		conf_err(&p, 0, "out of memory");
		goto fail;
	}

	if ((f = cfile_open(&p, path, 0, 0)) == NULL)
		goto fail;
	p.file = f;
	base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	if ((conf->path = path_join(f->dir, base)) == NULL) {
		conf_err(&p, 0, "out of memory");
		goto fail;
	}
	if (parse_body(&p, top_keywords, conf, 0, seen) == -1 ||
	    agreements_check(&p) == -1 || staffs_check(&p) == -1)
		goto fail;

	cfile_close(f);
	OPENSSL_cleanse(&p.tok, sizeof(p.tok));
	return (conf);

fail:
	cfile_close(f);
	OPENSSL_cleanse(&p.tok, sizeof(p.tok));
	conf_free(conf);
	return (NULL);
}

static void
tls_free(struct conf_tls *t)
{
	free(t->cert);
	free(t->key);
	free(t->ca);
	free(t->server_name);
}

/* Free an NCIP profile's strings, wiping its secrets. */
static void
ncip_profile_free(struct conf_ncip_profile *n)
{
	char	*secrets[2] = { n->token, n->from_agency_auth };
	size_t	 i;

	for (i = 0; i < 2; i++)
		if (secrets[i] != NULL) {
			OPENSSL_cleanse(secrets[i], strlen(secrets[i]));
			free(secrets[i]);
		}
	free(n->version_str);
	free(n->path);
	free(n->from_agency);
	free(n->to_agency);
	free(n->app_profile);
	free(n->auth_barcode_type);
	free(n->auth_pin_type);
	free(n->request_type);
	free(n->request_scope);
}

/* Free a configuration and everything it holds; NULL is fine. */
void
conf_free(struct conf *conf)
{
	struct conf_listener	*l;
	struct conf_terminal	*t;
	struct conf_partner	*pa;
	struct conf_agreement	*a;
	struct conf_staff	*st;
	int			 i;

	if (conf == NULL)
		return;
	while ((st = TAILQ_FIRST(&conf->staff)) != NULL) {
		TAILQ_REMOVE(&conf->staff, st, entry);
		for (i = 0; i < st->ngrants; i++)
			free(st->grants[i].partner_id);
		free(st->grants);
		free(st->file);
		free(st->login);
		free(st->password_hash);
		free(st);
	}
	while ((l = TAILQ_FIRST(&conf->listeners)) != NULL) {
		TAILQ_REMOVE(&conf->listeners, l, entry);
		free(l->file);
		free(l->address);
		tls_free(&l->tls);
		free(l);
	}
	while ((t = TAILQ_FIRST(&conf->terminals)) != NULL) {
		TAILQ_REMOVE(&conf->terminals, t, entry);
		free(t->file);
		free(t->login);
		free(t->password_hash);
		free(t->location);
		free(t);
	}
	while ((pa = TAILQ_FIRST(&conf->partners)) != NULL) {
		TAILQ_REMOVE(&conf->partners, pa, entry);
		free(pa->file);
		free(pa->id);
		free(pa->name);
		for (i = 0; i < pa->ninstitutions; i++)
			free(pa->institutions[i]);
		for (i = 0; i < pa->npatron_patterns; i++)
			free(pa->patron_patterns[i]);
		for (i = 0; i < pa->nitem_patterns; i++)
			free(pa->item_patterns[i]);
		for (i = 0; i < pa->nlocations; i++)
			free(pa->locations[i]);
		free(pa->backend.address);
		tls_free(&pa->backend.tls);
		free(pa->backend.login);
		if (pa->backend.password != NULL) {
			OPENSSL_cleanse(pa->backend.password,
			    strlen(pa->backend.password));
			free(pa->backend.password);
		}
		free(pa->backend.location);
		ncip_profile_free(&pa->backend.ncip);
		free(pa->search.address);
		tls_free(&pa->search.tls);
		ncip_profile_free(&pa->search.ncip);
		if (pa->ncip_token != NULL) {
			OPENSSL_cleanse(pa->ncip_token,
			    strlen(pa->ncip_token));
			free(pa->ncip_token);
		}
		if (pa->ncip_agency_auth != NULL) {
			OPENSSL_cleanse(pa->ncip_agency_auth,
			    strlen(pa->ncip_agency_auth));
			free(pa->ncip_agency_auth);
		}
		free(pa->admin_hash);
		for (i = 0; i < pa->nvisitors; i++)
			free(pa->visitors[i]);
		while ((a = TAILQ_FIRST(&pa->agreements)) != NULL) {
			TAILQ_REMOVE(&pa->agreements, a, entry);
			free(a->file);
			free(a->partner);
			policy_terms_clear(&a->terms);
			free(a);
		}
		free(pa);
	}
	free(conf->path);
	free(conf->user);
	free(conf->group);
	free(conf->state_dir);
	free(conf->store_key);
	free(conf->log_facility);
	free(conf);
}

/* Return the partner with this id, or NULL. */
struct conf_partner *
conf_partner_find(const struct conf *conf, const char *id)
{
	struct conf_partner	*pa;

	TAILQ_FOREACH(pa, &conf->partners, entry)
		if (pa->id != NULL && strcmp(pa->id, id) == 0)
			return (pa);
	return (NULL);
}

/* Return the terminal that logs in with this name, or NULL. */
struct conf_terminal *
conf_terminal_find(const struct conf *conf, const char *login)
{
	struct conf_terminal	*t;

	TAILQ_FOREACH(t, &conf->terminals, entry)
		if (t->login != NULL && strcmp(t->login, login) == 0)
			return (t);
	return (NULL);
}

/* Return the staff account that logs in with this name, or NULL. */
struct conf_staff *
conf_staff_find(const struct conf *conf, const char *login)
{
	struct conf_staff	*st;

	TAILQ_FOREACH(st, &conf->staff, entry)
		if (st->login != NULL && strcmp(st->login, login) == 0)
			return (st);
	return (NULL);
}

/* Return a partner's terms toward the partner with this id, or NULL. */
struct conf_agreement *
conf_agreement_find(const struct conf_partner *pa, const char *id)
{
	struct conf_agreement	*a;

	TAILQ_FOREACH(a, &pa->agreements, entry)
		if (a->partner != NULL && strcmp(a->partner, id) == 0)
			return (a);
	return (NULL);
}

static int
str_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

static int
tls_same(const struct conf_tls *a, const struct conf_tls *b)
{
	return (a->enabled == b->enabled &&
	    str_same(a->cert, b->cert) &&
	    str_same(a->key, b->key) &&
	    str_same(a->ca, b->ca) &&
	    a->verify_peer == b->verify_peer &&
	    a->npins == b->npins &&
	    memcmp(a->pins, b->pins, a->npins * sizeof(a->pins[0])) == 0 &&
	    str_same(a->server_name, b->server_name));
}

/* Return 1 if two backends are configured the same, so a pool can stay. */
int
conf_backend_same(const struct conf_backend *a, const struct conf_backend *b)
{
	return (a->proto == b->proto &&
	    str_same(a->address, b->address) &&
	    a->port == b->port &&
	    tls_same(&a->tls, &b->tls) &&
	    str_same(a->login, b->login) &&
	    str_same(a->password, b->password) &&
	    str_same(a->location, b->location) &&
	    a->wire.charset == b->wire.charset &&
	    a->wire.term == b->wire.term &&
	    a->wire.delim == b->wire.delim &&
	    a->wire.checksums == b->wire.checksums &&
	    a->pool == b->pool &&
	    a->timeout_ms == b->timeout_ms &&
	    a->connect_timeout_ms == b->connect_timeout_ms &&
	    a->queue_max == b->queue_max &&
	    a->keepalive_ms == b->keepalive_ms &&
	    ncip_profile_same(&a->ncip, &b->ncip));
}

static int
ncip_profile_same(const struct conf_ncip_profile *a,
    const struct conf_ncip_profile *b)
{
	return (a->version == b->version &&
	    str_same(a->version_str, b->version_str) &&
	    a->ns_style == b->ns_style &&
	    a->qualified_attrs == b->qualified_attrs &&
	    str_same(a->path, b->path) &&
	    str_same(a->token, b->token) &&
	    str_same(a->from_agency, b->from_agency) &&
	    str_same(a->to_agency, b->to_agency) &&
	    str_same(a->from_agency_auth, b->from_agency_auth) &&
	    str_same(a->app_profile, b->app_profile) &&
	    a->user_by_auth == b->user_by_auth &&
	    str_same(a->auth_barcode_type, b->auth_barcode_type) &&
	    str_same(a->auth_pin_type, b->auth_pin_type) &&
	    str_same(a->request_type, b->request_type) &&
	    str_same(a->request_scope, b->request_scope));
}
