/* SPDX-License-Identifier: ISC */
/*
 * policy: the terms of the agreements between partners, and the pure
 * decisions taken from them on every cross-partner request.  No I/O: the
 * caller gathers the facts (who, what, where) and carries the decision out.
 */

#ifndef CIRCLINK_POLICY_H
#define CIRCLINK_POLICY_H

#include <stddef.h>

#define POLICY_CLASS_MAX	16	/* classes in one list of the terms */
#define POLICY_WITHHOLD_MAX	32	/* withheld collections, types... */
#define POLICY_LIMIT_MAX	16	/* classes with a combined limit */
#define POLICY_MESSAGE_MAX	200	/* a decision's message, with its NUL */

/*
 * Patron fields a partner withholds from another (policy_terms.withheld).
 * The patron's id, class, status flags, expiry and counts are not fields
 * in this sense: the agreement itself works with them.
 */
#define POLICY_F_NAME		0x01
#define POLICY_F_ADDRESS	0x02
#define POLICY_F_PHONE		0x04
#define POLICY_F_EMAIL		0x08
#define POLICY_F_BIRTH		0x10	/* birth date */
#define POLICY_F_OTHER		0x20	/* any other personal field */
#define POLICY_F_ALL		0x3f

/* A combined limit for the other partner's patrons of one class. */
struct policy_limit {
	char		*pclass;	/* as the patron's home ILS names it */
	long		 loans;		/* -1: none */
	long		 holds;		/* -1: none */
};

/*
 * What one partner sets toward one other partner.  Each side governs its
 * own data (exclude, withheld, titles), its own collections (withhold_*)
 * and its own accounts and loans (link, link_classes, limits).  Classes
 * are always borrower classes as the patron's home ILS names them, and
 * compare without regard to case: exclude names this partner's classes,
 * link_classes and limits the other partner's.  Strings are allocated by
 * whoever fills the terms with malloc(3) and freed by policy_terms_clear().
 */
struct policy_terms {
	int		 accept;	/* this side's half of the handshake */
	char		*exclude[POLICY_CLASS_MAX];	/* not synchronised */
	int		 nexclude;
	int		 withheld;	/* POLICY_F_* that never leave */
	int		 titles;	/* titles, or counts only */
	/* Patterns ('*' any run) of items the other's patrons may not get. */
	char		*withhold_collection[POLICY_WITHHOLD_MAX];
	int		 nwithhold_collection;
	char		*withhold_type[POLICY_WITHHOLD_MAX];
	int		 nwithhold_type;
	char		*withhold_location[POLICY_WITHHOLD_MAX];
	int		 nwithhold_location;
	int		 link;		/* accounts for the other's patrons */
	char		*link_classes[POLICY_CLASS_MAX];	/* none: all */
	int		 nlink_classes;
	struct policy_limit limits[POLICY_LIMIT_MAX];
	int		 nlimits;
};

/* One partner's half of an agreement: its terms toward the other side. */
struct policy_side {
	const char	*id;		/* "metro" */
	const char	*name;		/* for people; NULL: the id */
	const struct policy_terms *terms;	/* NULL: none */
	int		 revoked;	/* withdrawn at run time */
};

/*
 * The agreement between two partners: active only when both sides have
 * terms that accept it and neither has revoked it.  The strings and
 * terms are borrowed and must outlive every decision taken with it.
 */
struct policy_agreement {
	struct policy_side side[2];
};

/* What a terminal or a partner asks for, as far as the policy cares. */
enum policy_op {
	POLICY_OP_PATRON_STATUS,	/* a valid patron? (23, 63 + PIN) */
	POLICY_OP_PATRON_INFO,		/* the account: lists, fines (63, 64) */
	POLICY_OP_CHECKOUT,
	POLICY_OP_RENEW,
	POLICY_OP_HOLD,			/* place or change a hold or request */
	POLICY_OP_HOLD_CANCEL,
	POLICY_OP_CHECKIN,
	POLICY_OP_ITEM_INFO,
	POLICY_OP_FEE,			/* pay, waive or adjust a fine */
	POLICY_OP_BLOCK_PATRON,		/* tell the home a card is blocked */
	POLICY_OP_PATRON_UPDATE,	/* enable or change the home record */
};

/* A patron, as the home ILS described it. */
struct policy_patron {
	const char	*home;		/* the home partner's id */
	const char	*pclass;	/* borrower class; NULL: not told */
	long		 loans;		/* across all linked accounts */
	long		 holds;		/* across all linked accounts */
	int		 blocked;
	int		 expired;
};

/* An item, as its owner's ILS described it; NULL members: not told. */
struct policy_item {
	const char	*owner;		/* the owning partner's id */
	const char	*collection;
	const char	*type;		/* item or media type */
	const char	*location;
};

/* One request: who serves it, whose patron, whose item. */
struct policy_request {
	enum policy_op	 op;
	const char	*serving;	/* whose terminal or ILS sent it */
	const struct policy_patron *patron;	/* NULL: none involved */
	const struct policy_item *item;		/* NULL: none involved */
	const char	*fee_owner;	/* POLICY_OP_FEE: owed to; NULL: home */
};

/* Why a request is refused; POLICY_OK when it is not. */
enum policy_reason {
	POLICY_OK,
	POLICY_E_UNKNOWN_PARTNER,	/* a party's id was not given */
	POLICY_E_NO_AGREEMENT,		/* neither side has terms */
	POLICY_E_NOT_ACCEPTED,		/* a side has not accepted */
	POLICY_E_REVOKED,		/* a side has revoked it */
	POLICY_E_CLASS_EXCLUDED,	/* unknown there: answer as unknown */
	POLICY_E_PATRON_BLOCKED,
	POLICY_E_PATRON_EXPIRED,
	POLICY_E_NOT_HOME,		/* only the home changes its records */
	POLICY_E_COLLECTION_WITHHELD,
	POLICY_E_ITEM_FACTS,		/* withholding cannot be decided */
	POLICY_E_NO_LINK,		/* no account may be made there */
	POLICY_E_LOAN_LIMIT,
	POLICY_E_HOLD_LIMIT,
	POLICY_E_FEE_OTHER_PARTNER,	/* fines are informational */
	POLICY_E_STAFF_PERMISSION,	/* staff lack it at that partner */
};

/*
 * A decision.  audit is a static short name for the log and the audit
 * trail ("collection-withheld"); message is for the kiosk's screen and
 * names partners, never the patron.
 */
struct policy_decision {
	int		 allow;
	enum policy_reason reason;
	const char	*audit;
	char		 message[POLICY_MESSAGE_MAX];
};

/* What may leave one partner toward another. */
struct policy_share {
	int		 withheld;	/* POLICY_F_* to remove */
	int		 titles;	/* 1: titles, 0: counts only */
};

/* The combined limits that apply; -1: none. */
struct policy_limits {
	long		 loans;
	long		 holds;
};

/*
 * What a staff member may do at one partner (a bit set), as the gateway's
 * staff blocks grant it per partner.
 */
#define POLICY_STAFF_CIRCULATION 0x01	/* loans, holds, patron accounts */
#define POLICY_STAFF_FINES	0x02	/* fee payments */
#define POLICY_STAFF_CATALOGING	0x04	/* item records */
#define POLICY_STAFF_REPORTS	0x08	/* reports; no SIP2 message */
#define POLICY_STAFF_INVENTORY	0x10	/* item status, shelf checks */
#define POLICY_STAFF_ALL	0x1f

/* What a desk asks to do, as far as staff permissions care. */
enum policy_task {
	POLICY_TASK_CIRCULATION,	/* checkout, checkin, renew, holds */
	POLICY_TASK_PATRON,		/* patron status, info, block, enable */
	POLICY_TASK_FEE,		/* fee paid */
	POLICY_TASK_ITEM_INFO,		/* item information */
	POLICY_TASK_ITEM_UPDATE,	/* item status update */
};

/* policy_terms.c */
/* Set terms to their defaults: not accepted, counts only, no links. */
void		 policy_terms_init(struct policy_terms *);
/* Free the strings terms hold and set them to their defaults again. */
void		 policy_terms_clear(struct policy_terms *);
/* Return 1 if a pattern ('*' matches any run) matches s, ignoring case. */
int		 policy_terms_match(const char *, const char *);
/*
 * Return 1 if the terms exclude a class; an unknown (NULL) class is
 * excluded whenever any class is.
 */
int		 policy_terms_excludes(const struct policy_terms *,
		    const char *);
/*
 * Return 1 if the terms withhold the item from the other's patrons, 0 if
 * not, -1 if that depends on a fact the item lacks (NULL collection, type
 * or location where the terms withhold by it).
 */
int		 policy_terms_withholds(const struct policy_terms *,
		    const struct policy_item *);
/* Return 1 if the other's patrons of a class may have accounts here. */
int		 policy_terms_links(const struct policy_terms *, const char *);
/* Return the limit for the other's patrons of a class, or NULL. */
const struct policy_limit *policy_terms_limit(const struct policy_terms *,
		    const char *);

/* policy.c */
/* Return the agreement between partners a and b, in either order, or NULL. */
const struct policy_agreement *policy_agreement_find(
		    const struct policy_agreement *, size_t, const char *,
		    const char *);
/* Return 1 if both sides accept and neither has revoked. */
int		 policy_active(const struct policy_agreement *);
/* Return the terms the partner id sets toward the other side, or NULL. */
const struct policy_terms *policy_terms_of(const struct policy_agreement *,
		    const char *);
/*
 * Decide a request against the agreements in force: an array of n, best
 * one per pair of partners (a pair missing has no agreement; the names of
 * its sides are how messages name partners).  A fine owed to a partner
 * other than the serving one is refused first, even within one partner.
 * Otherwise a request within one partner is allowed; a cross-partner one
 * needs an active agreement between every two of the serving partner, the
 * patron's home and the item's owner, and a class the home does not
 * exclude toward the others.  A checkout, renewal or hold is refused for
 * a blocked or expired card, and, on another partner's item, for a
 * withheld collection, type or location (or a missing fact the owner
 * withholds by), a class that may not have an account at the owner, or a
 * combined limit reached (checkouts and holds).  A change of the patron's
 * record is the home's alone.  POLICY_E_CLASS_EXCLUDED is best answered
 * as an unknown patron.  Returns the decision's allow.
 */
int		 policy_check(const struct policy_agreement *, size_t,
		    const struct policy_request *, struct policy_decision *);
/*
 * May the patrons of class pclass of partner home be known to partner
 * toward at all (link, data, transactions)?  Returns the decision's allow.
 */
int		 policy_visible(const struct policy_agreement *, size_t,
		    const char *, const char *, const char *,
		    struct policy_decision *);
/*
 * May the patron be given a linked account at partner at?  Returns the
 * decision's allow; an existing link is usable while this allows it.
 */
int		 policy_link(const struct policy_agreement *, size_t,
		    const struct policy_patron *, const char *,
		    struct policy_decision *);
/*
 * What of partner from's data may leave toward partner toward: into share,
 * everything withheld and counts only when the decision denies.  Returns
 * the decision's allow.
 */
int		 policy_share(const struct policy_agreement *, size_t,
		    const char *, const char *, struct policy_share *,
		    struct policy_decision *);
/*
 * The combined limits partner at sets for the patron's class.  Returns 1
 * when a limit applies, 0 when none does (both -1).
 */
int		 policy_limits(const struct policy_agreement *, size_t,
		    const struct policy_patron *, const char *,
		    struct policy_limits *);

/* policy_staff.c */
/* Return the staff permissions any one of which allows a task, or 0. */
int		 policy_staff_needs(enum policy_task);
/*
 * Write the names of the permission bits into buf, joined by sep, in the
 * order of POLICY_STAFF_*; "none" for no bit.  Returns buf.
 */
char		*policy_staff_names(int, const char *, char *, size_t);
/*
 * May a staff member holding the permissions held at a partner (named so
 * for the message) do a task there?  A refusal's message names the task,
 * the partner and the permissions that would allow it.  Returns the
 * decision's allow.
 */
int		 policy_staff_allows(int, enum policy_task, const char *,
		    struct policy_decision *);

#endif /* CIRCLINK_POLICY_H */
