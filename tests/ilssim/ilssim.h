/* SPDX-License-Identifier: ISC */
/*
 * The simulated ILS: its circulation state and operations, the SIP2 and
 * NCIP servers that map their protocols onto them, and the network fronts
 * (SIP2 sockets, NCIP over HTTP) with fault injection.
 */

#ifndef CIRCLINK_ILSSIM_H
#define CIRCLINK_ILSSIM_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "ncip.h"
#include "sip2.h"

/*
 * Patron status bits, in the order of the 14 positions of SIP2's patron
 * status field.  The data file sets some of them; the rest are derived.
 */
#define ILSSIM_B_CHARGE_DENIED		0x0001
#define ILSSIM_B_RENEWAL_DENIED		0x0002
#define ILSSIM_B_RECALL_DENIED		0x0004
#define ILSSIM_B_HOLD_DENIED		0x0008
#define ILSSIM_B_CARD_LOST		0x0010
#define ILSSIM_B_TOO_MANY_CHARGED	0x0020
#define ILSSIM_B_TOO_MANY_OVERDUE	0x0040
#define ILSSIM_B_TOO_MANY_RENEWALS	0x0080
#define ILSSIM_B_TOO_MANY_CLAIMS	0x0100
#define ILSSIM_B_TOO_MANY_LOST		0x0200
#define ILSSIM_B_EXCESSIVE_FINES	0x0400
#define ILSSIM_B_EXCESSIVE_FEES		0x0800
#define ILSSIM_B_RECALL_OVERDUE		0x1000
#define ILSSIM_B_TOO_MANY_BILLED	0x2000
#define ILSSIM_B_COUNT			14

/* SIP2 circulation status codes an item can be in. */
#define ILSSIM_ST_OTHER		1
#define ILSSIM_ST_ON_ORDER	2
#define ILSSIM_ST_AVAILABLE	3
#define ILSSIM_ST_CHARGED	4
#define ILSSIM_ST_IN_PROCESS	6
#define ILSSIM_ST_RECALLED	7
#define ILSSIM_ST_HOLD_SHELF	8
#define ILSSIM_ST_RESHELVING	9
#define ILSSIM_ST_IN_TRANSIT	10
#define ILSSIM_ST_CLAIMED	11
#define ILSSIM_ST_LOST		12
#define ILSSIM_ST_MISSING	13

/* SIP2 fee types the simulator itself creates. */
#define ILSSIM_FEE_OTHER	1
#define ILSSIM_FEE_OVERDUE	4
#define ILSSIM_FEE_RENTAL	6

/* SIP2 hold types. */
#define ILSSIM_HOLD_OTHER	1
#define ILSSIM_HOLD_TITLE	2
#define ILSSIM_HOLD_COPY	3
#define ILSSIM_HOLD_BRANCH	4

/* SIP2 checkin alert types (CV). */
#define ILSSIM_ALERT_NONE	0
#define ILSSIM_ALERT_HOLD_HERE	1
#define ILSSIM_ALERT_HOLD_AWAY	2
#define ILSSIM_ALERT_SEND_HOME	4

/* What a circulation operation came to; ilssim_data_strres() words it. */
enum ilssim_res {
	ILSSIM_OK = 0,
	ILSSIM_E_NO_PATRON,
	ILSSIM_E_BAD_PIN,
	ILSSIM_E_NO_ITEM,
	ILSSIM_E_NO_TITLE,
	ILSSIM_E_BLOCKED,	/* blocked by staff or by a 01 message */
	ILSSIM_E_CARD_LOST,
	ILSSIM_E_EXPIRED,
	ILSSIM_E_FINES,		/* owes more than the class's fee limit */
	ILSSIM_E_OVERDUE,	/* too many overdue loans */
	ILSSIM_E_DENIED,	/* privilege denied in the patron record */
	ILSSIM_E_LIMIT,		/* checkout limit reached */
	ILSSIM_E_HOLD_LIMIT,
	ILSSIM_E_RENEW_LIMIT,
	ILSSIM_E_ON_LOAN,	/* on loan to another patron */
	ILSSIM_E_ON_HOLD,	/* wanted by another patron */
	ILSSIM_E_UNAVAILABLE,	/* lost, missing, in process, ... */
	ILSSIM_E_NOT_ON_LOAN,	/* not on loan to this patron */
	ILSSIM_E_FEE_ACK,	/* a rental fee was not acknowledged */
	ILSSIM_E_NO_HOLD,
	ILSSIM_E_HOLD_EXISTS,
	ILSSIM_E_HAS_ITEM,	/* hold on something the patron has */
	ILSSIM_E_NO_LOCATION,
	ILSSIM_E_NO_FEE,
	ILSSIM_E_OVERPAY,
	ILSSIM_E_AMOUNT,
	ILSSIM_E_CURRENCY,
	ILSSIM_E_NOMEM,
	ILSSIM_E_PATRON_EXISTS,
	ILSSIM_E_ITEM_EXISTS,
	ILSSIM_E_BAD_VALUE,	/* a value the record cannot hold */
};

/* A SIP2 account the ILS accepts, with how it answers that account. */
struct ilssim_account {
	char			*login;
	char			*password;
	char			*location;	/* default location, or NULL */
	struct sip2_wire	 wire;
};

/* A branch or school. */
struct ilssim_location {
	char			*code;
	char			*name;
};

/* The loan rules of one patron class. */
struct ilssim_class {
	char			*name;
	int			 loan_days;
	int			 renewals;
	int			 checkout_limit;
	int			 hold_limit;
	int			 overdue_limit;
	long			 fee_limit;	/* cents */
	long			 fine_per_day;	/* cents */
	long			 fine_max;	/* cents, 0 for none */
};

/* Something a patron owes. */
struct ilssim_fee {
	TAILQ_ENTRY(ilssim_fee)	 entry;
	struct ilssim_patron	*patron;
	char			*id;
	int			 type;		/* SIP2 fee type */
	long			 amount;	/* cents still owed */
	char			*desc;
	time_t			 created;
};

/* One item on loan to one patron. */
struct ilssim_loan {
	TAILQ_ENTRY(ilssim_loan) entry;		/* in the patron's loans */
	struct ilssim_item	*item;
	struct ilssim_patron	*patron;
	time_t			 out;
	time_t			 due;
	time_t			 recalled;	/* 0 unless recalled */
	int			 renewals;
};

/* One hold in a title's queue. */
struct ilssim_hold {
	char			 id[16];	/* "H" and eight digits */
	char			*ext_id;	/* the requester's, or NULL */
	TAILQ_ENTRY(ilssim_hold) qentry;	/* in the title's queue */
	TAILQ_ENTRY(ilssim_hold) pentry;	/* in the patron's holds */
	struct ilssim_patron	*patron;
	struct ilssim_title	*title;
	struct ilssim_item	*item;	/* the copy asked for, or NULL */
	struct ilssim_item	*trapped; /* the copy set aside, or NULL */
	const char		*pickup;	/* a location's code */
	int			 type;
	time_t			 placed;
	time_t			 expires;
	long			 order;		/* queue order while loading */
};

TAILQ_HEAD(ilssim_holds, ilssim_hold);

/* A title: the copies that share it and the holds on it. */
struct ilssim_title {
	char			*title;
	char			*isbn;		/* or NULL */
	char			*record;	/* bibliographic record id */
	int			 indexed;	/* found by its name */
	struct ilssim_holds	 queue;
	struct ilssim_item	**copies;
	size_t			 ncopies;
};

/* One copy. */
struct ilssim_item {
	char			*barcode;
	struct ilssim_title	*title;
	char			*author;
	char			*call;
	char			*collection;
	char			*media;		/* 3-digit SIP2 media type */
	char			*owner;
	const char		*home;		/* a location's code */
	char			*location;	/* where it is now */
	const char		*destination;	/* a location's code, or NULL */
	char			*props;		/* SIP2 item properties (CH) */
	int			 temporary;	/* made by NCIP AcceptItem */
	int			 status;
	long			 rental;	/* fee for loan, cents */
	struct ilssim_loan	*loan;
	struct ilssim_hold	*trapped;	/* hold it is set aside for */
};

/* An extra key=value note on a patron (grade, school, ...). */
struct ilssim_extra {
	char			*key;
	char			*value;
};

/* One patron. */
struct ilssim_patron {
	char			*barcode;
	char			*pin;
	char			*name;
	char			*address;
	char			*email;
	char			*phone;
	char			*notices;	/* a local (x-) address */
	char			*birth;		/* YYYYMMDD, or NULL */
	const char		*home;		/* a location's code */
	char			 language[4];	/* 3-digit SIP2 language */
	struct ilssim_class	*class;
	time_t			 expires;	/* 0 for never */
	unsigned		 blocks;	/* ILSSIM_B_* from the file */
	int			 blocked;	/* blocked by a 01 message */
	int			 retained;	/* the card was kept */
	char			*block_msg;
	struct ilssim_extra	*extras;
	size_t			 nextras;
	TAILQ_HEAD(, ilssim_fee) fees;
	TAILQ_HEAD(, ilssim_loan) loans;
	struct ilssim_holds	 holds;
};

/*
 * How the ILS speaks NCIP (the data file's ncip record): the version and
 * dialect it answers in, its agency id, and what it asks of initiators.
 */
struct ilssim_ncip_conf {
	int			 version;	/* 1 or 2 */
	const char		*version_str;	/* the schema or DTD URL */
	enum ncip_ns_style	 ns;		/* version 2 */
	int			 qualified;	/* ns1:version, ns1:Scheme */
	int			 doctype;	/* version 1 */
	char			*agency;	/* or the institution id */
	char			**tokens;	/* one must be in the URL */
	size_t			 ntokens;
	char			*agency_auth;	/* FromAgencyAuthentication */
};

/* A record of an NCIP AcceptItem: its request id and the item it made. */
struct ilssim_accept {
	char			*key;		/* agency and request id */
	char			*barcode;
};

/* A string-keyed hash table of pointers into the state. */
struct ilssim_hash {
	struct ilssim_hent {
		const char	*key;
		void		*val;
	}			*v;
	size_t			 cap;
	size_t			 n;
	int			 nocase;
};

/* The whole ILS. */
struct ilssim_state {
	char			*path;
	char			*institution;
	char			*library;
	char			 currency[4];
	struct ilssim_account	*accounts;
	size_t			 naccounts;
	struct ilssim_location	*locations;
	size_t			 nlocations;
	struct ilssim_class	*classes;
	size_t			 nclasses;
	struct ilssim_patron	**patrons;	/* in file order */
	size_t			 npatrons;
	struct ilssim_item	**items;	/* in file order */
	size_t			 nitems;
	struct ilssim_title	**titles;
	size_t			 ntitles;
	struct ilssim_hash	 patron_idx;
	struct ilssim_hash	 item_idx;
	struct ilssim_hash	 title_idx;
	struct ilssim_hash	 fee_idx;
	struct ilssim_hash	 accept_idx;
	struct ilssim_ncip_conf	 ncip;
	unsigned		 next_fee;
	unsigned		 next_txn;
	unsigned		 next_hold;
	unsigned		 next_id;	/* made-up barcodes */
};

/* A patron's standing, as SIP2 23/63 and NCIP LookupUser report it. */
struct ilssim_standing {
	unsigned		 status;	/* ILSSIM_B_* */
	int			 expired;
	int			 loans;
	int			 overdue;
	int			 recalled;
	int			 holds_ready;	/* set aside for pickup */
	int			 holds_waiting;
	int			 fees;
	long			 owed;		/* cents */
	long			 fines;		/* overdue fines, cents */
	enum ilssim_res		 reason;	/* why charging is denied */
};

/* Options of a checkout or renewal. */
struct ilssim_loan_opts {
	int			 no_block;	/* offline: skip blocks */
	time_t			 nb_due;	/* due date chosen offline */
	int			 fee_ack;	/* patron accepted the rental */
};

/* What a checkout or renewal did. */
struct ilssim_loan_result {
	struct ilssim_loan	*loan;
	time_t			 due;
	int			 renewal;	/* it was a renewal */
	long			 fee;		/* rental charged or asked */
};

/* What a checkin did and where the item goes. */
struct ilssim_checkin_result {
	struct ilssim_patron	*borrower;	/* who had it, or NULL */
	struct ilssim_fee	*fine;		/* overdue fine, or NULL */
	struct ilssim_hold	*hold;		/* hold it now fills, or NULL */
	const char		*destination;	/* location code, or NULL */
	int			 alert;		/* ILSSIM_ALERT_* */
	int			 was_on_loan;
};

/* Patron fields NCIP may change; ilssim_data_patron_set() sets them. */
enum ilssim_pfield {
	ILSSIM_PF_NAME,
	ILSSIM_PF_PIN,
	ILSSIM_PF_ADDRESS,
	ILSSIM_PF_EMAIL,
	ILSSIM_PF_PHONE,
	ILSSIM_PF_BIRTH,	/* YYYYMMDD */
	ILSSIM_PF_LANGUAGE,	/* 3-digit SIP2 language */
	ILSSIM_PF_EXPIRES,	/* seconds since the epoch, in decimal */
	ILSSIM_PF_NOTICES,	/* a local (x-) electronic address */
};

/* What a fee payment did. */
struct ilssim_payment {
	long			 paid;
	long			 remaining;	/* still owed in all */
};

/* ilssim_data.c */
/*
 * Load a data file into a fresh state.  Returns NULL and writes
 * "file:line: reason" into err on failure.  The caller frees the state with
 * ilssim_data_free().
 */
struct ilssim_state	*ilssim_data_load(const char *, char *, size_t);
/* Free a state and everything in it; NULL is fine. */
void			 ilssim_data_free(struct ilssim_state *);
/* Return the screen message for a result, never NULL. */
const char		*ilssim_data_strres(enum ilssim_res);
/* Return the account with this login and password, or NULL. */
const struct ilssim_account *ilssim_data_login(struct ilssim_state *,
			    const char *, const char *);
/* Return the patron or item with this barcode, or NULL. */
struct ilssim_patron	*ilssim_data_patron(struct ilssim_state *,
			    const char *);
struct ilssim_item	*ilssim_data_item(struct ilssim_state *, const char *);
/* Return the location with this code, or NULL. */
const struct ilssim_location *ilssim_data_location(struct ilssim_state *,
			    const char *);
/* Return 1 if pin is the patron's PIN (compared in constant time). */
int			 ilssim_data_pin_ok(const struct ilssim_patron *,
			    const char *);
/* Work out a patron's status bits, counts and money at a moment. */
void			 ilssim_data_standing(struct ilssim_state *,
			    struct ilssim_patron *, time_t,
			    struct ilssim_standing *);
/* Return the extra note named key, or NULL. */
const char		*ilssim_data_extra(const struct ilssim_patron *,
			    const char *);
/* Return 1 if a hold has its item set aside for pickup. */
int			 ilssim_data_hold_ready(const struct ilssim_hold *);
/* Return a hold's 1-based position in its title's queue. */
int			 ilssim_data_hold_position(const struct ilssim_hold *);
/* Return how many holds an item could fill (SIP2 CF). */
int			 ilssim_data_item_queue(const struct ilssim_item *);
/* Return 1 if some copy of an item's title is on the shelf. */
int			 ilssim_data_title_available(
			    const struct ilssim_title *);
/* Return the title with this exact (case-blind) name, or NULL. */
struct ilssim_title	*ilssim_data_title(struct ilssim_state *,
			    const char *);
/* Lend an item to a patron; a second checkout by the same patron renews. */
enum ilssim_res		 ilssim_data_checkout(struct ilssim_state *,
			    struct ilssim_patron *, struct ilssim_item *,
			    time_t, const struct ilssim_loan_opts *,
			    struct ilssim_loan_result *);
/* Renew a patron's loan of an item. */
enum ilssim_res		 ilssim_data_renew(struct ilssim_state *,
			    struct ilssim_patron *, struct ilssim_item *,
			    time_t, const struct ilssim_loan_opts *,
			    struct ilssim_loan_result *);
/*
 * Return an item at a location (NULL: its current one) as of a return date,
 * fine a late return and decide where the item goes next.
 */
enum ilssim_res		 ilssim_data_checkin(struct ilssim_state *,
			    struct ilssim_item *, const char *, time_t, time_t,
			    struct ilssim_checkin_result *);
/*
 * Place a hold on a copy or, with a NULL item, on a title; type, pickup
 * and expiry (0: in 180 days) as given.  *out is set to the new hold.
 */
enum ilssim_res		 ilssim_data_hold_place(struct ilssim_state *,
			    struct ilssim_patron *, struct ilssim_item *,
			    struct ilssim_title *, int, const char *, time_t,
			    time_t, struct ilssim_hold **);
/* Find a patron's hold on a copy or title, or NULL. */
struct ilssim_hold	*ilssim_data_hold_find(struct ilssim_patron *,
			    struct ilssim_item *, struct ilssim_title *);
/* Change a hold's pickup location and/or expiry (NULL / 0 keep them). */
enum ilssim_res		 ilssim_data_hold_change(struct ilssim_state *,
			    struct ilssim_hold *, const char *, time_t);
/* Cancel a hold; a copy set aside for it goes back to the shelf. */
void			 ilssim_data_hold_cancel(struct ilssim_state *,
			    struct ilssim_hold *);
/*
 * Pay cents toward one fee (by id) or, with a NULL id, the oldest fees
 * first.  Partial payments are allowed, overpayment is not.
 */
enum ilssim_res		 ilssim_data_fee_pay(struct ilssim_state *,
			    struct ilssim_patron *, const char *, long,
			    struct ilssim_payment *);
/* Block a patron (as SIP2 01 does), with an optional message. */
enum ilssim_res		 ilssim_data_block(struct ilssim_state *,
			    struct ilssim_patron *, int, const char *);
/* Lift a block set by ilssim_data_block(). */
void			 ilssim_data_enable(struct ilssim_state *,
			    struct ilssim_patron *);
/* Set an item's SIP2 item properties. */
enum ilssim_res		 ilssim_data_item_props(struct ilssim_state *,
			    struct ilssim_item *, const char *);
/* Return a new transaction id, "T" and eight digits, in buf. */
void			 ilssim_data_txn_id(struct ilssim_state *, char *,
			    size_t);
/* Format cents as "12.50" into buf. */
void			 ilssim_data_money(long, char *, size_t);
/* Parse "12.50", "12.5" or "12" into cents; -1 if malformed. */
int			 ilssim_data_parse_money(const char *, long *);
/* Write one line describing an item's state for tests, no newline. */
void			 ilssim_data_describe_item(struct ilssim_item *,
			    char *, size_t);
/* Write one line describing a patron's state for tests, no newline. */
void			 ilssim_data_describe_patron(struct ilssim_state *,
			    struct ilssim_patron *, time_t, char *, size_t);
/* Write one line counting what the state holds, for tests. */
void			 ilssim_data_describe_counts(struct ilssim_state *,
			    char *, size_t);
/* Return the hold with this id, ours or the requester's, or NULL. */
struct ilssim_hold	*ilssim_data_hold_by_id(struct ilssim_state *,
			    const char *);
/* Remember the id a requester gave a hold (a copy is kept). */
enum ilssim_res		 ilssim_data_hold_tag(struct ilssim_hold *,
			    const char *);
/*
 * Place a hold on a copy first in its queue, whatever the patron's
 * standing, and set the copy aside for it at the pickup location.
 */
enum ilssim_res		 ilssim_data_hold_set_aside(struct ilssim_state *,
			    struct ilssim_patron *, struct ilssim_item *,
			    const char *, time_t, time_t,
			    struct ilssim_hold **);
/* Return the title with this ISBN or bibliographic record id, or NULL. */
struct ilssim_title	*ilssim_data_title_by_bibid(struct ilssim_state *,
			    const char *);
/*
 * Make a patron of a class (NULL or unknown: the first class) at the
 * first location.  *out is set to the new patron.
 */
enum ilssim_res		 ilssim_data_patron_new(struct ilssim_state *,
			    const char *, const char *, const char *,
			    const char *, struct ilssim_patron **);
/* Set a patron's field; NULL clears it (never the name or the PIN). */
enum ilssim_res		 ilssim_data_patron_set(struct ilssim_patron *,
			    enum ilssim_pfield, const char *);
/* Set and clear status bits a patron's record holds. */
void			 ilssim_data_patron_blocks(struct ilssim_patron *,
			    unsigned, unsigned);
/* Return the bit of a block's data file name, or 0. */
unsigned		 ilssim_data_block_bit(const char *);
/* Return the data file name of one status bit, or NULL. */
const char		*ilssim_data_block_name(unsigned);
/*
 * Make an item with a title (temporary items get a title of their own)
 * at a location, which becomes its home.  *out is set to the new item.
 */
enum ilssim_res		 ilssim_data_item_new(struct ilssim_state *,
			    const char *, const char *, const char *,
			    const char *, const char *, int,
			    struct ilssim_item **);
/*
 * Delete an item that is not on loan: holds on that copy are cancelled,
 * a hold it was set aside for waits again.
 */
enum ilssim_res		 ilssim_data_item_delete(struct ilssim_state *,
			    struct ilssim_item *);
/* Return the AcceptItem record of a request, or NULL. */
const struct ilssim_accept *ilssim_data_accept_find(struct ilssim_state *,
			    const char *);
/* Record which item an AcceptItem request made. */
enum ilssim_res		 ilssim_data_accept_add(struct ilssim_state *,
			    const char *, const char *);
/* Write a patron (p set) or item barcode no record uses yet into buf. */
void			 ilssim_data_new_barcode(struct ilssim_state *, int,
			    char *, size_t);

/* Counters for the control port's stats command. */
struct ilssim_stats {
	unsigned long		 rx[100];	/* requests, by code */
	unsigned long		 tx[100];	/* responses, by code */
	unsigned long		 bad;	/* requests that did not parse */
	unsigned long		 conns;		/* SIP2 connections accepted */
	unsigned long		 ncip_rx[NCIP_SVC__COUNT]; /* by service */
	unsigned long		 ncip_requests;	/* HTTP requests received */
	unsigned long		 ncip_problems;	/* answers with a Problem */
	unsigned long		 ncip_bad;	/* bodies that did not parse */
	unsigned long		 ncip_conns;	/* HTTP connections accepted */
};

/* One SIP2 conversation's state, independent of the transport. */
struct ilssim_session {
	struct ilssim_server	*srv;
	unsigned		 id;
	int			 logged_in;
	struct sip2_wire	 wire;		/* how to answer */
	char			*location;	/* from the login's CP */
	char			*last;		/* last response, for 97 */
	size_t			 lastlen;
	size_t			 lastcap;
};

/* Faults the network front injects. */
enum ilssim_mode {
	ILSSIM_MODE_NORMAL,
	ILSSIM_MODE_DROP,
	ILSSIM_MODE_GARBAGE,
	ILSSIM_MODE_HANG,
};

struct ilssim_listener;
struct ilssim_http;
struct ilssim_conn;
struct ilssim_ctl;
struct event_base;
struct event;
struct ssl_ctx_st;

/* The running simulator. */
struct ilssim_server {
	struct event_base	*base;
	struct ilssim_state	*state;
	const char		*datafile;
	struct ilssim_stats	 stats;
	int			 verbose;
	enum ilssim_mode	 mode;
	unsigned		 delay_ms;
	char			 delay_only[64];	/* an NCIP service */
	char			 busy_only[64];	/* one answered "busy" */
	char			 lose_only[64];	/* one done, not answered */
	int			 refusing;
	struct ssl_ctx_st	*ssl;
	struct ilssim_listener	*listeners;	/* SIP2, plain and TLS */
	size_t			 nlisteners;
	struct ilssim_listener	*control;
	struct ilssim_http	*http;		/* NCIP listeners */
	TAILQ_HEAD(, ilssim_conn) conns;
	TAILQ_HEAD(, ilssim_conn) dead;
	TAILQ_HEAD(, ilssim_ctl) ctls;
	struct event		*reaper;
	struct event		*sigterm;
	struct event		*sigint;
	unsigned		 next_conn;
	unsigned long		 rng;
};

/* One address to listen on, as given on the command line. */
struct ilssim_listen_arg {
	char			*host;
	char			*port;
	int			 tls;
	int			 ncip;		/* NCIP over HTTP(S) */
};

/* ilssim.c */
/* Log one line to stderr with the program's name in front. */
void	ilssim_log(const char *, ...)
	    __attribute__((__format__(__printf__, 1, 2)));

/* ilssim_sip2.c */
/* Set up a session for a new connection. */
void	ilssim_sip2_init(struct ilssim_session *, struct ilssim_server *,
	    unsigned);
/* Free what a session holds (not the session itself). */
void	ilssim_sip2_clear(struct ilssim_session *);
/* Return a message's two-digit code, or -1 if it does not start so. */
int	ilssim_sip2_code(const char *, size_t);
/*
 * Answer one framed request (without terminator): write the response wire
 * bytes to out and return their length, 0 when there is nothing to send.
 */
size_t	ilssim_sip2_handle(struct ilssim_session *, const char *, size_t,
	    char *, size_t);

/* ilssim_ncip.c */
/* The answer to one NCIP request. */
struct ilssim_ncip_answer {
	char			*body;		/* to free(), NUL-terminated */
	size_t			 len;
	int			 status;	/* HTTP status */
	const char		*content_type;
	enum ncip_service	 service;	/* what was asked, or NONE */
	enum ncip_problem_type	 problem;	/* NCIP_PT_NONE: it went well */
};
/*
 * Answer one NCIP body that was posted to a URI (path and query).  Returns
 * 0 with the answer filled in, -1 when out of memory.
 */
int	ilssim_ncip_handle(struct ilssim_server *, const char *, const char *,
	    size_t, struct ilssim_ncip_answer *);
/* Write one line of NCIP counters for the control port, no newline. */
void	ilssim_ncip_stats(struct ilssim_server *, char *, size_t);

/* ilssim_http.c */
/*
 * Open the NCIP listeners (arguments with ncip set; TLS ones use the
 * server's TLS context).  Returns -1 with a message in err on failure.
 */
int	ilssim_http_start(struct ilssim_server *, struct ilssim_listen_arg *,
	    size_t, char *, size_t);
/* Write "ncip PORT" and "ncips PORT" lines for the bound listeners. */
void	ilssim_http_portfile(struct ilssim_server *, FILE *);
/* Close (0) or reopen (1) the NCIP listening sockets. */
int	ilssim_http_listen(struct ilssim_server *, int, char *, size_t);
/* Drop held requests, connections and listeners. */
void	ilssim_http_stop(struct ilssim_server *);

/* ilssim_net.c */
/*
 * Open the SIP2 and NCIP listeners, TLS context and control port.
 * Returns -1 with a message in err on failure.
 */
int	ilssim_net_start(struct ilssim_server *, struct ilssim_listen_arg *,
	    size_t, const char *, const char *, const char *, char *, size_t);
/*
 * Resolve a numeric loopback address for a listener.  Returns -1 with a
 * message in err for anything else.
 */
int	ilssim_net_resolve(const char *, const char *,
	    struct sockaddr_storage *, socklen_t *, char *, size_t);
/* Write the bound ports to a file ("sip2 PORT" lines), atomically. */
int	ilssim_net_portfile(struct ilssim_server *, const char *);
/* Apply a fault by name ("delay 500", "drop", "normal"...). */
int	ilssim_net_fault(struct ilssim_server *, const char *, char *, size_t);
/* Close every connection and listener and free the TLS context. */
void	ilssim_net_stop(struct ilssim_server *);

#endif /* CIRCLINK_ILSSIM_H */
