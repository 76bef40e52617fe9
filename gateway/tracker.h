/* SPDX-License-Identifier: ISC */
/*
 * The cross-partner request tracker: a patron's hold on another
 * partner's item or title, for pickup at any partner, followed from
 * placing to completion.  tracker.c is the pure part (the state machine
 * and the record's encoding), hold.c the running part.
 */

#ifndef CIRCLINK_TRACKER_H
#define CIRCLINK_TRACKER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TRACKER_ID_LEN		16	/* random request id, the store's key */
#define TRACKER_HEX_LEN		(TRACKER_ID_LEN * 2)
#define TRACKER_STR_MAX		128	/* bytes of any one string member */
#define TRACKER_KEEP_DAYS	30	/* ended requests stay for show */

/* Where a request is in its life. */
enum tracker_state {
	TRACKER_NONE,		/* placing: asked of the owner */
	TRACKER_PLACED,		/* the hold is at the owner */
	TRACKER_IN_TRANSIT,	/* trapped at the owner, sent to pickup */
	TRACKER_RECEIVED,	/* accepted at the pickup partner */
	TRACKER_LOANED,		/* lent to the patron */
	TRACKER_RETURNED,	/* returned, on its way home */
	TRACKER_COMPLETED,	/* checked in at the owner */
	TRACKER_CANCELLED,	/* by the patron, a library or expiry */
	TRACKER_STATE__COUNT
};

/* What happens to a request. */
enum tracker_event {
	TRACKER_EV_PLACE,
	TRACKER_EV_TRAP,	/* checked in at the owner for this hold */
	TRACKER_EV_RECEIVE,	/* checked in at the pickup partner */
	TRACKER_EV_LOAN,
	TRACKER_EV_RETURN,	/* checked in at the pickup partner, lent */
	TRACKER_EV_COMPLETE,	/* checked in at the owner, home again */
	TRACKER_EV_CANCEL,	/* the patron or either library */
	TRACKER_EV_EXPIRE,
	TRACKER_EV__COUNT
};

/* Who ended a request early (tracker_req.cancelled_by). */
enum tracker_who {
	TRACKER_BY_NONE,
	TRACKER_BY_PATRON,
	TRACKER_BY_OWNER,	/* the owning library */
	TRACKER_BY_PICKUP,	/* the pickup library */
	TRACKER_BY_STAFF,	/* an administrator with circlinkctl */
	TRACKER_BY_EXPIRY,
	TRACKER_BY_GATEWAY,	/* placing cut short by a restart */
};

/*
 * One request.  Strings are NUL-terminated, "" when not known; patron
 * barcodes are sealed in the store and never logged in clear.
 */
struct tracker_req {
	uint8_t			 id[TRACKER_ID_LEN];
	enum tracker_state	 state;
	char			 home[TRACKER_STR_MAX];	/* patron's partner */
	char			 patron[TRACKER_STR_MAX];	/* home card */
	char			 owner[TRACKER_STR_MAX];	/* item's */
	char			 account[TRACKER_STR_MAX];	/* linked */
	char			 item[TRACKER_STR_MAX];	/* once trapped */
	char			 title[TRACKER_STR_MAX];	/* by title */
	char			 bib[TRACKER_STR_MAX];	/* BibliographicId */
	char			 pickup_partner[TRACKER_STR_MAX];
	char			 pickup[TRACKER_STR_MAX];	/* location */
	char			 delivery[TRACKER_STR_MAX];	/* owner's */
	char			 owner_request[TRACKER_STR_MAX];
	char			 temp_item[TRACKER_STR_MAX];	/* at pickup */
	time_t			 at[TRACKER_STATE__COUNT];	/* each step */
	time_t			 expires;	/* 0: none */
	enum tracker_who	 cancelled_by;
	char			 reason[TRACKER_STR_MAX];
};

/* tracker.c */
/*
 * The state an event takes a request in state s to, or -1 when the event
 * cannot happen there.  An event that led to s itself (a repeat) gives s
 * back: see tracker_repeat().
 */
int		 tracker_next(enum tracker_state, enum tracker_event);
/* Return 1 if an event in state s is a repeat of the one that led there. */
int		 tracker_repeat(enum tracker_state, enum tracker_event);
/* Return 1 for the states a request ends in. */
int		 tracker_ended(enum tracker_state);
/* The state's and the event's name, "placed", "trap"; "?" when unknown. */
const char	*tracker_state_name(int);
const char	*tracker_event_name(int);
const char	*tracker_who_name(int);
/* The state named, or -1. */
int		 tracker_state_parse(const char *);
/*
 * Apply an event at time now: 0 with the state and its time set, or -1
 * with errno EINVAL when the event cannot happen in the request's state
 * (nothing changes).  A repeat changes nothing and returns 0.
 */
int		 tracker_apply(struct tracker_req *, enum tracker_event,
		    time_t);
/*
 * Write a request as a record value into buf (len bytes); returns its
 * length, or -1 with errno ENOSPC when it does not fit, EINVAL when a
 * string holds a control character.
 */
int		 tracker_encode(const struct tracker_req *, char *, size_t);
/*
 * Read a record value back into r (id not touched); 0, or -1 with errno
 * EINVAL when it is not one tracker_encode() writes.
 */
int		 tracker_decode(struct tracker_req *, const void *, size_t);
/* The id in hex, into buf of TRACKER_HEX_LEN + 1 bytes. */
void		 tracker_id_hex(const uint8_t *, char *);
/* Parse an id written in hex; 0, or -1 when it is not one. */
int		 tracker_id_parse(const char *, uint8_t *);

/* hold.c: the tracker in the daemon. */
struct circ_req;
struct circ_result;
struct circ_arena;
struct conf_partner;
struct sip2_msg;
struct ncip_msg;

/* Called with a staff cancel's outcome: ok, and the screen text. */
typedef void	 (*hold_ctl_cb)(uint64_t, int, const char *);
/* Called with each line of a listing. */
typedef void	 (*hold_line_fn)(void *, const char *);

/*
 * Read the requests on record, before anything is served; -1 with a
 * message in err.  hold_close() forgets them in memory at exit.
 */
int		 hold_open(char *, size_t);
void		 hold_close(void);
/*
 * Return 1 if a request made at partner at moves a tracked request on (a
 * checkin or checkout of its item, the patron's hold asked again or
 * cancelled): it is then served by hold_serve_sip2() or
 * hold_serve_ncip(), which answer the caller.
 */
int		 hold_claims(const struct conf_partner *,
		    const struct circ_req *);
/* The partner such a request acts on (staff permissions), or NULL. */
struct conf_partner *hold_claim_partner(const struct conf_partner *,
		    const struct circ_req *);
void		 hold_serve_sip2(uint64_t, uint32_t, const struct sip2_msg *,
		    const struct conf_partner *);
void		 hold_serve_ncip(uint64_t, const struct conf_partner *,
		    struct ncip_msg *);
/*
 * For a visitor's hold at a lender (the visit path): is it for pickup at
 * another partner?  1 with the request made into r and reserved (one
 * like it then waits), 0 when not tracked (r->pickup: the lender's own
 * location it is for, "" when the request says), -1 with why when
 * refused.
 * Then exactly one of hold_release() or hold_place() (once the owner has
 * taken it: 0, serve_resume(xid, ok) later; -1, nothing follows).
 */
int		 hold_plan(struct tracker_req *, const struct circ_req *,
		    const char *, const char *, const char *, const char *,
		    const char **);
void		 hold_release(const struct tracker_req *);
/*
 * Write a reserved hold ahead, in state placing, before its owner is
 * asked: 0 when under way, serve_resume(xid, ok) following; -1 when it
 * cannot be.  A record left placing by a restart is cancelled at the
 * owner soon after the daemon starts.
 */
int		 hold_ahead(uint64_t, const struct tracker_req *);
/*
 * Instead of hold_release(), for a hold its owner did not answer in time
 * for: left placing, to be cancelled at the owner by the next sweep.
 */
void		 hold_abandon(const struct tracker_req *);
/*
 * The copy a hold by identifier asked at a partner is placed on, of a
 * search of the partners; NULL: the partner's own ILS serves it.
 */
struct search_result;
struct search_copy;
const struct search_copy *hold_search_pick(const char *,
		    const struct search_result *);
int		 hold_place(uint64_t, const struct tracker_req *);
/* Fill an answer for a hold placed from its request (strings in a). */
void		 hold_answer_placed(const struct tracker_req *,
		    struct circ_result *, struct circ_arena *);
/* For circlinkctl: see hold.c. */
void		 hold_list(const char *, hold_line_fn, void *);
int		 hold_show(const char *, hold_line_fn, void *);
int		 hold_cancel_staff(const char *, const char *, hold_ctl_cb,
		    uint64_t, const char **);

#endif /* CIRCLINK_TRACKER_H */
