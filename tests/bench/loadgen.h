/* SPDX-License-Identifier: ISC */
/*
 * The core the load generators share: connections set up a few hundred
 * at a time, warm-up and measured phases, time-outs, the latency
 * histogram and the result line.  sip2load and ncipload add their
 * protocol through the hooks of struct loadgen_proto.
 */

#ifndef CIRCLINK_LOADGEN_H
#define CIRCLINK_LOADGEN_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define LOADGEN_LIST_MAX	4096	/* patrons or items */

struct event;
struct event_base;

enum loadgen_state {
	LOADGEN_NEW,
	LOADGEN_CONNECTING,
	LOADGEN_HANDSHAKE,	/* TLS */
	LOADGEN_LOGIN,
	LOADGEN_READY,		/* set up, waiting for the others */
	LOADGEN_RUN,
	LOADGEN_REJOIN,		/* running, connecting again after a close */
	LOADGEN_DONE,		/* request budget used up */
	LOADGEN_DEAD,
};

/* One client connection; the protocol keeps its own state by id. */
struct loadgen_conn {
	int		 id;
	int		 fd;
	enum loadgen_state state;
	struct event	*ev;		/* connect, then reads */
	struct event	*wev;		/* the rest of a short send */
	char		*in;		/* an answer's start, kept */
	size_t		 nin;
	size_t		 insize;
	const char	*wptr;
	size_t		 wlen;
	int		 awaiting;
	unsigned long	 step;		/* requests sent */
	unsigned long	 req;		/* the request last sent */
	uint64_t	 stamp;		/* us: sent, or setup began */
};

/*
 * What a protocol adds.  The hooks run on the event loop; any of them may
 * fail the connection with loadgen_fail().
 */
struct loadgen_proto {
	const char	*name;		/* the program, for messages */
	const char	*unasked;	/* said of an answer nobody asked for */
	const char	*toolong;	/* said of more than inmax kept */
	size_t		 inmax;		/* most bytes kept between reads */

	/* The TCP connection is up: read it, log in, or be ready. */
	void		(*connected)(struct loadgen_conn *);
	/* Send request k of loadgen.nreqs. */
	void		(*request)(struct loadgen_conn *, unsigned long);
	/*
	 * Take the complete answers at the start of the buffer, which the
	 * hook may change; returns the bytes taken, the rest kept for the
	 * next read, or -1 when the connection is no longer read.
	 */
	ssize_t		(*input)(struct loadgen_conn *, char *, size_t);
	/* Free what the protocol holds for the connection, or NULL. */
	void		(*close)(struct loadgen_conn *);
};

struct loadgen_patron {
	char		*barcode;
	char		*pin;		/* NULL when none was given */
};

/* The run's settings, from the options and the protocol. */
struct loadgen {
	const char	*hostport;
	struct loadgen_patron patrons[LOADGEN_LIST_MAX];
	int		 npatrons;
	char		*items[LOADGEN_LIST_MAX];
	int		 nitems;
	int		 nconns;
	int		 duration;	/* s measured, or held when idle */
	int		 warmup;	/* s */
	long long	 limit;		/* -n: requests in all, 0 for timed */
	int		 timeout_ms;
	int		 idle;		/* set up, report "ready", and hold */
	int		 nreqs;		/* requests to choose from */
	int		 paired;	/* two per item, taken in turn */
};

/* loadgen.c */
extern struct loadgen loadgen;

/* Set the defaults; the protocol must stay until the program ends. */
void		 loadgen_init(const struct loadgen_proto *);
/*
 * Take one of the options the programs share, -I -P -W -b -c -d -n -t;
 * returns 0 when taken, -1 when its value is bad, 1 when ch is another.
 */
int		 loadgen_option(int, char *);
/* Read the patron file named with -P, if any; -1 after saying why. */
int		 loadgen_patrons(void);
/*
 * Aim at a numeric host:port, checking the open-file limit against the
 * connections; -1 after saying why.
 */
int		 loadgen_target(const char *);
/*
 * Set up the connections and run until the measure ends, the request
 * budget is spent, every connection failed or a signal came; returns -1
 * after saying why when it cannot start.
 */
int		 loadgen_run(void);
/* Print the result line: the common fields, then extra (" key=value"). */
void		 loadgen_report(const char *, const char *);
/* Close every connection; returns the program's exit status. */
int		 loadgen_end(void);

/* The event base the connections run on. */
struct event_base *loadgen_base(void);
/* A monotonic clock in microseconds. */
uint64_t	 loadgen_now(void);
/* Read the socket into the input hook; -1 once the connection failed. */
int		 loadgen_watch(struct loadgen_conn *);
/* The connection is set up and waits for the others. */
void		 loadgen_ready(struct loadgen_conn *);
/* Send a request and start its clock; a short send finishes later. */
void		 loadgen_send(struct loadgen_conn *, const char *, size_t);
/* An answer came: -1, with the connection failed, if none was asked. */
int		 loadgen_answer(struct loadgen_conn *);
/* Count an answer of the run: what is wrong with it, or refused. */
void		 loadgen_result(struct loadgen_conn *, const char *, int);
/* Send the next request, or end the connection's part of the run. */
void		 loadgen_next(struct loadgen_conn *);
/* The server closes: connect again and go on running. */
void		 loadgen_rejoin(struct loadgen_conn *);
/* Count an error and close the connection for good. */
void		 loadgen_fail(struct loadgen_conn *, const char *);

#endif /* CIRCLINK_LOADGEN_H */
