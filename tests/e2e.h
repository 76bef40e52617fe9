/* SPDX-License-Identifier: ISC */
/*
 * The end-to-end harness: real simulated ILSes and a real circlinkd on
 * 127.0.0.1, their configuration in a private temporary directory, and a
 * SIP2 client, plain or TLS, that speaks to them byte for byte.
 */

#ifndef CIRCLINK_E2E_H
#define CIRCLINK_E2E_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>

#include "sip2.h"

#define E2E_DIR_MAX		256	/* the temporary directory */
#define E2E_PATH_MAX		512	/* any file in it */
#define E2E_LISTENERS_MAX	4
#define E2E_TERMINALS_MAX	8
#define E2E_ANSWER_MAX		16384	/* one control answer */
#define E2E_RESP_MAX		(SIP2_MSG_MAX * 2)	/* one SIP2 response */

/* The partners' names, as the written configuration gives them. */
#define E2E_METRO_NAME		"Metro Public Library"
#define E2E_DISTRICT_NAME	"District Schools"

/* One simulated ILS process and the ports it reported. */
struct e2e_ils {
	const char	*name;		/* "metro", for file names */
	pid_t		 pid;
	int		 sip2_port;
	int		 tls_port;
	int		 control_port;
	int		 ncip_port;	/* NCIP over HTTP, when started so */
	int		 ncips_port;	/* NCIP over HTTPS */
	char		 data[E2E_PATH_MAX];
	char		 portfile[E2E_PATH_MAX];
	char		 log[E2E_PATH_MAX];
};

/* One listener of the gateway, as the configuration will say it. */
struct e2e_listener {
	int		 port;
	int		 tls;
	int		 idle_timeout;		/* seconds */
	int		 status_before_login;
	int		 login_attempts;
	int		 ncip;	/* the NCIP endpoint (e2e_gw_write_partners) */
};

/*
 * One partner as e2e_gw_write_partners() writes it: its routing, how the
 * gateway reaches its ILS (SIP2, or NCIP in a profile), and the token its
 * own ILS calls the NCIP endpoint with.
 */
struct e2e_partner {
	const char	*id;
	const char	*name;
	const char	*institution;
	const char	*patrons;	/* barcode patterns */
	const char	*items;
	const char	*loc1;
	const char	*loc2;
	const struct e2e_ils *ils;
	int		 ncip;		/* backend ncip; else backend sip2 */
	int		 tls;		/* over TLS (NCIP: HTTPS), verified */
	const char	*server_name;	/* with tls; NULL: localhost */
	const char	*password;	/* sip2: the gateway's login password */
	const char	*location;	/* sip2: CP at login; NULL none */
	const char	*version;	/* ncip: "2.02", "1.0" */
	const char	*ns;		/* ncip: namespace; NULL the default */
	int		 unqualified;	/* ncip: qualified-attributes no */
	int		 by_auth;	/* ncip: AuthenticationInput patrons */
	const char	*ils_token;	/* ncip: the token its ILS wants */
	const char	*caller_token;	/* ncip-token; NULL: no NCIP access */
	/*
	 * The body of its agreement block toward each other partner written
	 * with it; NULL: "accept yes".  admin_hash: admin-password-hash.
	 */
	const char	*terms;
	const char	*admin_hash;
	const char	*extra;		/* more lines for its block */
};

/* One terminal account: its clear password stays in the test only. */
struct e2e_terminal {
	const char	*login;
	const char	*password;
	const char	*partner;	/* "metro" or "district" */
	const char	*location;
	const char	*terminator;	/* NULL: the default */
	const char	*checksums;	/* NULL: the default, else yes/no */
	char		*hash;		/* made once by auth_hash_password() */
};

/* Everything one test program starts, and where it keeps it. */
struct e2e_env {
	char		 dir[E2E_DIR_MAX];	/* mkdtemp, mode 0700 */
	char		 cert[E2E_PATH_MAX];
	char		 key[E2E_PATH_MAX];
	char		 conf[E2E_PATH_MAX];	/* the gateway's main file */
	char		 log[E2E_PATH_MAX];	/* its standard error */
	const char	*circlinkd;
	const char	*ilssim;
	const char	*demo_dir;
	struct e2e_ils	 metro;
	struct e2e_ils	 district;
	pid_t		 gw_pid;
	int		 backend_timeout_ms;
	int		 connect_timeout_ms;
	struct e2e_listener listeners[E2E_LISTENERS_MAX];
	size_t		 nlisteners;
	struct e2e_terminal terminals[E2E_TERMINALS_MAX];
	size_t		 nterminals;
	const char	*broken;	/* a line to spoil the main file */
	const char	*main_extra;	/* more lines for the main file */
	int		 metro_tls;	/* metro's backend over TLS, verified */
	int		 keepalive_ms;	/* 0: the default */
	int		 no_agreements;	/* partners write no agreement */
};

/* Writes the gateway's configuration; 0, or -1 after printing why. */
typedef int	(*e2e_conf_fn)(struct e2e_env *);

/* A client connection to the gateway or to an ILS. */
struct e2e_conn {
	int		 fd;
	void		*ssl;		/* SSL *, or NULL for plain TCP */
	void		*ctx;		/* SSL_CTX * */
	char		 in[E2E_RESP_MAX * 2];
	size_t		 nin;
	int		 eof;
};

/* e2e.c: processes and files */
/*
 * Make the temporary directory and the test certificate, and find the
 * programs from $CIRCLINKD, $ILSSIM and $DEMO_DIR.  Returns -1 after
 * printing why.
 */
int		 e2e_env_init(struct e2e_env *);
/*
 * Stop every process the environment started and remove its directory,
 * unless $E2E_KEEP is set (to read the logs of a failed run).
 */
void		 e2e_env_cleanup(struct e2e_env *);
/* Return a port on 127.0.0.1 that was free a moment ago, or -1. */
int		 e2e_free_port(void);
/* Start a simulated ILS on a data file and wait for its port file. */
int		 e2e_ils_start(struct e2e_env *, struct e2e_ils *,
		    const char *, const char *);
/* The same with NCIP listeners too, over HTTP and HTTPS (-n, -N). */
int		 e2e_ils_start_ncip(struct e2e_env *, struct e2e_ils *,
		    const char *, const char *);
/*
 * Start metro and district on the demo data in $DEMO_DIR, with NCIP
 * listeners too when the int is set.  -1 after printing why.
 */
int		 e2e_ils_start_demo(struct e2e_env *, int);
/*
 * Send one control command to an ILS and read its one-line answer into
 * ans (without the newline).  Returns 0 for "ok ...", -1 otherwise.
 */
int		 e2e_ils_ctl(const struct e2e_ils *, const char *, char *,
		    size_t);
/* Add a terminal account; its password is hashed now.  -1 on failure. */
int		 e2e_terminal_add(struct e2e_env *, const char *, const char *,
		    const char *, const char *, const char *, const char *);
/*
 * Set up n listeners for terminals: 99 before 93 allowed, 60 s idle,
 * three login attempts.  The test changes what it wants otherwise.
 */
void		 e2e_listeners_init(struct e2e_env *, size_t);
/* Write the gateway's main file and one file per partner, mode 0600. */
int		 e2e_gw_write_conf(struct e2e_env *);
/*
 * Write the gateway's main file, with SIP2 and NCIP listeners, and one
 * file per partner given (its terminals from the environment), mode 0600.
 */
int		 e2e_gw_write_partners(struct e2e_env *,
		    const struct e2e_partner *, size_t);
/* Start circlinkd -d on the written configuration; wait for its ports. */
int		 e2e_gw_start(struct e2e_env *);
/*
 * Pick a free port for every listener, write the configuration and
 * start the gateway, three times at most since another process may take
 * a port first.  -1 after printing why.
 */
int		 e2e_gw_launch(struct e2e_env *, e2e_conf_fn);
/* Write the configuration again, SIGHUP, and wait until it took; -1. */
int		 e2e_gw_reload(struct e2e_env *, e2e_conf_fn);
/* Stop the gateway (SIGTERM, then SIGKILL after 2 s). */
void		 e2e_gw_stop(struct e2e_env *);
/* Return 1 if the gateway process is still running. */
int		 e2e_gw_alive(struct e2e_env *);
/*
 * For after a test: 0 if the gateway still runs, else -1 after saying
 * where its log is.
 */
int		 e2e_gw_survived(struct e2e_env *);
/*
 * Wait until every partner with a terminal is online, as its first
 * terminal sees it on the listener: -1 after timeout_ms for one.
 */
int		 e2e_partners_online(const struct e2e_env *, size_t, int);
/*
 * For before a test: metro's and district's ILSes (those started) back
 * to normal and to their data, the gateway running (started again if it
 * died) and every partner online for its terminals on the listener (the
 * gateway restarted once if one is not).  -1 after printing why.
 */
int		 e2e_ready(struct e2e_env *, size_t);
/* Stop a process: SIGTERM, wait up to 2 s, then SIGKILL; *pid becomes 0. */
void		 e2e_proc_stop(pid_t *);
/*
 * Run a program to its end with standard output and error into outfile.
 * Returns its exit status, 128 + signal, or -1 if it could not run.
 */
int		 e2e_run(const char *const [], const char *, int);
/* Return the size of a file, or 0 when it does not exist. */
off_t		 e2e_file_size(const char *);
/*
 * Read a file from offset into a NUL-terminated buffer the caller frees.
 * Returns NULL when it cannot be read.
 */
char		*e2e_file_read(const char *, off_t);
/* Wait until the text appears in a file after offset; -1 on time-out. */
int		 e2e_file_wait(const char *, off_t, const char *, int);
/* Write a whole file, mode 0600, replacing it; -1 after printing why. */
int		 e2e_write_file(const char *, const char *);
/*
 * Make a self-signed certificate for a common name into cert, and its
 * key into key, mode 0600, with the openssl command.  -1 after printing
 * why.
 */
int		 e2e_make_cert(struct e2e_env *, const char *, const char *,
		    const char *);
/* Return the milliseconds of a monotonic clock. */
long long	 e2e_now_ms(void);
/* Sleep for some milliseconds. */
void		 e2e_sleep_ms(int);

/* e2e.c: connections */
/*
 * Connect to 127.0.0.1:port; with cafile, speak TLS and verify the
 * server's certificate against it for the name "localhost".  Returns NULL
 * after printing why.
 */
struct e2e_conn	*e2e_connect(int, const char *);
/*
 * Connect to one of the gateway's listeners, over TLS verified against
 * the test certificate if the listener has TLS, then presenting a client
 * certificate and key when they are given.  NULL after printing why.
 */
struct e2e_conn	*e2e_gw_connect(const struct e2e_env *, size_t, const char *,
		    const char *);
void		 e2e_close(struct e2e_conn *);
/* Write all bytes.  Returns -1 when the connection failed. */
int		 e2e_send(struct e2e_conn *, const void *, size_t);
/*
 * Read more bytes into the connection's buffer, waiting until the
 * deadline (e2e_now_ms()).  Returns -1 with errno ETIMEDOUT, EMSGSIZE
 * (the buffer is full) or ECONNRESET (the peer closed).
 */
int		 e2e_fill(struct e2e_conn *, long long);
/* Wait until fd is ready or the deadline passes (errno ETIMEDOUT). */
int		 e2e_wait_fd(int, short, long long);
/*
 * Read one response: the bytes up to and including CR, and a LF that
 * follows within lf_wait_ms (0: only if already read).  Leading LFs left
 * from a previous CRLF are dropped.  Returns the length, or -1 with errno
 * ETIMEDOUT or ECONNRESET (closed) after timeout_ms.
 */
ssize_t		 e2e_recv(struct e2e_conn *, char *, size_t, int, int);
/* Wait for the peer to close; 0 when it did, -1 on data or time-out. */
int		 e2e_wait_closed(struct e2e_conn *, int);

/* e2e.c: messages */
/*
 * Make a request with a date, defaults for the other fixed fields and the
 * variable fields given as id, value pairs ending with NULL.
 */
struct sip2_msg	*e2e_req(int, ...);
/* Encode a message: seq -1 means no AY/AZ trailer.  Returns length. */
ssize_t		 e2e_build(struct sip2_msg *, int, enum sip2_term, char *,
		    size_t);
/* Parse a response as read (terminator included); NULL if it does not. */
struct sip2_msg	*e2e_parse(const char *, size_t);
/*
 * Send a request (freed here) with seq (-1: none) and CR, and parse the
 * response, whose raw bytes go to raw when it is not NULL.  NULL on any
 * failure, after printing why.
 */
struct sip2_msg	*e2e_exchange(struct e2e_conn *, struct sip2_msg *, int,
		    char *, size_t *);
/* Log in with 93; returns 1 if accepted, 0 if refused, -1 on failure. */
int		 e2e_login(struct e2e_conn *, const char *, const char *);
/*
 * Ask 98 as a terminal on a listener until the online flag is want; -1
 * after timeout_ms.
 */
int		 e2e_wait_online(const struct e2e_env *, size_t, const char *,
		    const char *, char, int);
/* Return how many fields with an id begin with a value (NULL: any). */
int		 e2e_fields_with(const struct sip2_msg *, const char *,
		    const char *);
/* Return a field's value or "" (never NULL), for assertions. */
const char	*e2e_field(const struct sip2_msg *, const char *);
/* Return a fixed field's value or "" (never NULL). */
const char	*e2e_fixed(const struct sip2_msg *, enum sip2_fx);

/*
 * e2e.c: steps of a test, for programs that include cmocka.h first.
 * Each fails the running test where it says so.
 */
#define assert_contains(hay, needle) do {				\
	const char *h_ = (hay), *n_ = (needle);				\
	if (strstr(h_, n_) == NULL)					\
		fail_msg("\"%.400s\" does not contain \"%s\"", h_, n_);	\
} while (0)

#define assert_code(m, code) do {					\
	assert_non_null(m);						\
	assert_int_equal(sip2_msg_code(m), (code));			\
} while (0)

/* Connect to a listener and log in as a terminal; fails if not. */
struct e2e_conn	*e2e_session(const struct e2e_env *, size_t, const char *,
		    const char *);
/* Send a request (freed here) without a checksum; return the answer. */
struct sip2_msg	*e2e_ask(struct e2e_conn *, struct sip2_msg *);
/* The same on a session of its own, as e2e_session() opens it. */
struct sip2_msg	*e2e_session_ask(const struct e2e_env *, size_t,
		    const char *, const char *, struct sip2_msg *);
/*
 * Send a control command to an ILS that must succeed; the answer goes to
 * ans (NULL: nowhere).
 */
void		 e2e_ctl(const struct e2e_ils *, const char *, char *, size_t);
/*
 * Run the circlinkctl at path with "-s SOCKET" and the words in ap (ended
 * by NULL, at most 8), input on its standard input (NULL: none); its
 * standard output and error go to out.  Returns its exit status; fails
 * the test if it cannot run or does not end within 10 s.
 */
int		 e2e_circlinkctl(const char *, const char *, const char *,
		    char *, size_t, va_list);
/*
 * Send one line to the gateway's control socket and read its whole
 * answer into ans; -1 after printing why.
 */
int		 e2e_gw_control(const struct e2e_env *, const char *, char *,
		    size_t);
/* The same for a command that must be answered "ok"; else the test fails. */
void		 e2e_gw_ok(const struct e2e_env *, const char *, char *, size_t);
/* How many messages of a SIP2 code an ILS has counted (its stats). */
long		 e2e_ils_received(const struct e2e_ils *, int);
/*
 * A counter of an ILS's answer to a control command: ("ncip-stats",
 * "CreateUser"), ("counts", "patrons"); 0 when it has none.
 */
long		 e2e_ils_stat(const struct e2e_ils *, const char *,
		    const char *);
/* Put the ILS's one-line account of an item or a patron in ans. */
void		 e2e_ils_show(const struct e2e_ils *, const char *,
		    const char *, char *, size_t);
/*
 * Fail unless the ILS's account of an item or a patron ("item",
 * barcode) holds the text, given printf-style.
 */
void		 e2e_ils_has(const struct e2e_ils *, const char *,
		    const char *, const char *, ...)
		    __attribute__((format(printf, 4, 5)));
/*
 * Ask 98 once on a session: return 1 when it says the partner (named)
 * is offline, as it must then say why, or 0; fail past the deadline.
 */
int		 e2e_reported_offline(struct e2e_conn *, const char *,
		    long long);
/*
 * Fail if a log holds one of the secrets, one of the PINs as a number of
 * its own, or a patron id on the same line as a title.  The lists end
 * with NULL; a NULL list is not checked.
 */
void		 e2e_assert_private(const char *, const char *const [],
		    const char *const [], const char *const [],
		    const char *const []);

#endif /* CIRCLINK_E2E_H */
