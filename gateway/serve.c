/* SPDX-License-Identifier: ISC */
/*
 * Serving a request across protocols: a request decoded once into the
 * neutral form is carried out by one or more calls on the serving
 * partner's ILS, in whatever protocol that ILS speaks, and the neutral
 * result is encoded in the protocol the caller speaks.
 */

#include "config.h"

#include <sys/queue.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <openssl/crypto.h>

#include "circlinkd.h"
#include "idstore.h"
#include "ncip.h"
#include "tracker.h"

#define SERVE_HASH	1024	/* buckets; transactions chain */
#define SERVE_KEEP_MAX	16	/* answers one transaction holds */

enum serve_front {
	SERVE_SIP2,		/* a terminal's SIP2 session */
	SERVE_NCIP,		/* an ILS's NCIP call */
	SERVE_OWN,		/* the gateway's own call: a callback answers */
};

/* The calls of a visiting patron's checkout or renewal, in order. */
enum visit_phase {
	VISIT_HOME,		/* card, PIN, blocks, class at the home */
	VISIT_ITEM,		/* the item's facts at the lender */
	VISIT_CREATE,		/* an account made at the lender (NCIP) */
	VISIT_LINKING,		/* a visitor account being linked */
	VISIT_LENDER,		/* the linked account's loans there */
	VISIT_AHEAD,		/* a tracked hold written ahead */
	VISIT_LOAN,		/* the checkout or renewal itself */
	VISIT_TRACK,		/* a hold for pickup elsewhere recorded */
	VISIT_DONE,
};

/*
 * A patron of one partner borrowing from another under a linked account:
 * what the earlier calls found, for the policy and the last call.
 */
struct serve_visit {
	enum visit_phase	 phase;
	struct circ_req		 orig;		/* as the terminal asked */
	char			 home[CONF_NAME_MAX];
	char			 lender[CONF_NAME_MAX];
	const char		*pclass;	/* in the arena, like below */
	long			 loans, holds;	/* at the home */
	int			 blocked, expired;
	const char		*collection, *type, *location;
	const char		*linked;	/* the barcode at the lender */
	const char		*pool;		/* a visitor account taken */
	/* What the home said of the patron, for an account made for it. */
	const char		*name, *address, *email, *phone, *birth;
	const char		*key;		/* the home's own patron id */
	struct idstore_ref	 person;	/* the store's, when known */
	int			 known;
	struct ncip_msg		*create;	/* CreateUser for the lender */
	/* A hold for pickup at another partner (hold.c tracks it). */
	const char		*home_location;
	struct tracker_req	*track;		/* NULL: not tracked */
	int			 tracked;	/* its record is committed */
	/* A link step alone (serve_link): its UserId, who and why. */
	const char		*user_id;	/* NULL: the ILS picks one */
	const char		*creator, *reason;
	int			 alone;		/* no loan follows */
};

/*
 * A patron request for a card no partner claims: the caller's own ILS
 * first, then each partner with an agreement in force asked whether it
 * knows the card (by barcode alone), and the request carried to the one
 * that does, which is remembered in the identity store.
 */
struct serve_discover {
	struct circ_req		 orig;
	struct circ_result	 own;		/* the own ILS's answer */
	int			 phase;		/* DISCOVER_* */
	size_t			 n, next;
	char			 partner[IDSTORE_ACCOUNTS_MAX][CONF_NAME_MAX];
};
#define DISCOVER_OWN	0	/* the request at the caller's own ILS */
#define DISCOVER_ASK	1	/* is this card yours? */
#define DISCOVER_THERE	2	/* the request where the card is known */

/*
 * A patron information combining a person's linked accounts: the home's
 * answer, then each linked account's at its partner, every one passed
 * through its owner's terms toward the asking partner, added up.
 */
struct serve_combine {
	struct circ_req		 orig;
	struct circ_result	 sum;		/* what the caller will get */
	char			 home[CONF_NAME_MAX];
	size_t			 n, next;	/* linked accounts, asked */
	char			 partner[IDSTORE_ACCOUNTS_MAX][CONF_NAME_MAX];
	const char		*barcode[IDSTORE_ACCOUNTS_MAX];	/* arena */
};

/* One request under way, with everything its answers borrow from. */
struct serve_txn {
	struct serve_txn	*hnext;
	uint64_t		 id;
	enum serve_front	 front;
	uint64_t		 caller;	/* session or NCIP call id */
	uint32_t		 caller_txn;
	char			 partner[CONF_NAME_MAX];	/* whose ILS */
	char			 serving[CONF_NAME_MAX];	/* asked at */
	int			 step;
	struct timespec		 started;
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*arena;
	struct sip2_msg		*sip2;	/* the caller's request */
	struct ncip_msg		*ncip;
	struct sip2_msg		*sip2_keep[SERVE_KEEP_MAX];
	struct ncip_msg		*ncip_keep[SERVE_KEEP_MAX];
	int			 nkeep;
	int			 unsure;	/* sent, no answer read */
	struct serve_visit	*visit;	/* NULL: one request, one ILS */
	struct serve_combine	*combine;	/* NULL: one account */
	struct serve_discover	*discover;	/* NULL: its owner known */
	/* SERVE_OWN: who hears of the end, if anyone. */
	serve_own_cb		 own_cb;
	serve_link_cb		 link_cb;
	void			*own_arg;
};

static struct serve_txn	*serve_hash[SERVE_HASH];
static uint64_t		 serve_next_id;

static struct serve_txn	*serve_new(enum serve_front, uint64_t, uint32_t);
static struct serve_txn	*serve_find(uint64_t);
static void		 serve_free(struct serve_txn *);
static void		 serve_step(struct serve_txn *);
static void		 serve_no_call(struct serve_txn *, int);
static void		 serve_answered(uint64_t, uint32_t, struct sip2_msg *,
			    struct ncip_msg *, const char *);
static void		 serve_finish(struct serve_txn *);
static void		 serve_fail(struct serve_txn *, enum circ_error,
			    const char *);
static void		 serve_sip2_cb(uint64_t, uint32_t, struct sip2_msg *,
			    struct sip2_msg *, const char *);
static void		 serve_ncip_cb(uint64_t, uint32_t, struct ncip_msg *,
			    const char *);
static struct serve_txn	*serve_sip2_begin(uint64_t, uint32_t,
			    const struct sip2_msg *,
			    const struct conf_partner *,
			    const struct conf_partner *);
static void		 serve_call(struct serve_txn *, const char *);
static int		 serve_hold_search(struct serve_txn *,
			    const struct conf_partner *);
static void		 serve_hold_searched(uint64_t,
			    const struct search_result *);
static void		 visit_begin(struct serve_txn *,
			    const struct conf_partner *,
			    const struct conf_partner *);
static void		 visit_start(struct serve_txn *, enum visit_phase);
static int		 visit_next(struct serve_txn *);
static int		 visit_end(struct serve_txn *, enum circ_error,
			    const char *);
static int		 visit_linked(struct serve_txn *);
static int		 visit_take(struct serve_txn *);
static int		 visit_record(struct serve_txn *);
static int		 visit_failed(const struct serve_txn *);
static void		 visit_contact(struct ncip_msg *, const char *,
			    const char *);
static int		 visit_create(struct serve_txn *,
			    const struct conf_partner *);
static void		 visit_link_cb(int, const struct idstore_write *,
			    void *);
static int		 visit_patron_ok(struct serve_txn *);
static int		 combine_plan(struct serve_txn *, const char *);
static int		 discover_plan(struct serve_txn *, const char *);
static int		 discover_next(struct serve_txn *);
static void		 discover_remembered(int, const struct idstore_write *,
			    void *);
static int		 combine_next(struct serve_txn *);
static void		 combine_add(struct serve_txn *, struct circ_result *);
static void		 own_done(struct serve_txn *);
static int		 visit_account(struct serve_txn *);
static int		 visit_track(struct serve_txn *);
static void		 visit_untrack(struct serve_txn *);
static int		 link_taken(struct serve_txn *, int,
			    const struct idstore_write *);
static void		 lookup_done(const struct circ_req *,
			    const struct circ_result *, void *);

static struct serve_txn *
serve_new(enum serve_front front, uint64_t caller, uint32_t caller_txn)
{
	struct serve_txn	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (NULL);
	if ((t->arena = circ_arena_new()) == NULL) {
		free(t);
		return (NULL);
	}
	t->id = ++serve_next_id;
	t->front = front;
	t->caller = caller;
	t->caller_txn = caller_txn;
	serve_res_init(&t->res);
	clock_gettime(CLOCK_MONOTONIC, &t->started);
	t->hnext = serve_hash[t->id % SERVE_HASH];
	serve_hash[t->id % SERVE_HASH] = t;
	return (t);
}

/*
 * Make t->req's calls at partner id's ILS afresh, as the next part of a
 * transaction of several: the result starts empty.
 */
static void
serve_call(struct serve_txn *t, const char *id)
{
	if (t->partner != id)
		snprintf(t->partner, sizeof(t->partner), "%s", id);
	serve_res_init(&t->res);
	t->step = 0;
	t->unsure = 0;
	serve_step(t);
}

/* Make a result as it is before any answer: unknowns are -1. */
void
serve_res_init(struct circ_result *res)
{
	memset(res, 0, sizeof(*res));
	res->queue_position = -1;
	res->item.hold_queue = -1;
	res->patron.pin_ok = -1;
	res->patron.fee_limit = -1;
	res->desensitize = -1;
}

static struct serve_txn *
serve_find(uint64_t id)
{
	struct serve_txn	*t;

	for (t = serve_hash[id % SERVE_HASH]; t != NULL; t = t->hnext)
		if (t->id == id)
			return (t);
	return (NULL);
}

static void
serve_free(struct serve_txn *t)
{
	struct serve_txn	**tp;
	int			 i;

	for (tp = &serve_hash[t->id % SERVE_HASH]; *tp != NULL;
	    tp = &(*tp)->hnext)
		if (*tp == t) {
			*tp = t->hnext;
			break;
		}
	for (i = 0; i < t->nkeep; i++) {
		sip2_msg_free(t->sip2_keep[i]);
		ncip_msg_free(t->ncip_keep[i]);
	}
	sip2_msg_free(t->sip2);
	ncip_msg_free(t->ncip);
	circ_arena_free(t->arena);
	if (t->visit != NULL) {
		ncip_msg_free(t->visit->create);
		free(t->visit->track);
	}
	free(t->visit);
	free(t->combine);
	free(t->discover);
	free(t);
}

/*
 * A transaction for a terminal's SIP2 request made at partner from and
 * going to partner to, the request copied and decoded.  NULL once the
 * terminal has been answered (no memory, or nothing to decode).
 */
static struct serve_txn *
serve_sip2_begin(uint64_t sid, uint32_t txn, const struct sip2_msg *msg,
    const struct conf_partner *from, const struct conf_partner *to)
{
	struct serve_txn	*t;

	if ((t = serve_new(SERVE_SIP2, sid, txn)) == NULL ||
	    (t->sip2 = sip2_msg_dup(msg)) == NULL) {
		if (t != NULL)
			serve_free(t);
		session_answer(sid, txn, NULL, "out of memory");
		return (NULL);
	}
	snprintf(t->partner, sizeof(t->partner), "%s", to->id);
	snprintf(t->serving, sizeof(t->serving), "%s", from->id);
	if (xlate_sip2_req(&t->req, t->sip2) == -1) {
		serve_fail(t, CIRC_E_NEEDED_DATA, NULL);
		return (NULL);
	}
	return (t);
}

/*
 * Carry a terminal's SIP2 request to a partner whose ILS does not speak
 * SIP2, or to another partner's ILS, whose answer the agreement filters.
 * The request is copied; the answer comes through session_answer()
 * later, for the session id and transaction given.
 */
void
serve_sip2(uint64_t sid, uint32_t txn, const struct sip2_msg *msg,
    const struct conf_partner *from, const struct conf_partner *p)
{
	struct serve_txn	*t;

	if ((t = serve_sip2_begin(sid, txn, msg, from, p)) == NULL)
		return;
	/* The class decides what of another partner's patron may show. */
	t->req.want_class = p != from;
	if (combine_plan(t, p->id) == -1 || (p == from &&
	    discover_plan(t, from->id) == -1)) {
		serve_fail(t, CIRC_E_REFUSED, "The gateway is short of "
		    "memory.");
		return;
	}
	serve_step(t);
}

/*
 * Serve an authenticated NCIP request from a partner's ILS: decoded once,
 * routed to the partner that serves it (the item's owner for item
 * requests, the caller's own partner otherwise), answered through
 * ncip_front_answer().  Takes req.
 */
void
serve_ncip(uint64_t call, struct conf_partner *caller, struct ncip_msg *req)
{
	struct serve_txn	*t;
	struct conf_partner	*p, *home;
	struct ncip_msg		*resp;
	struct policy_decision	 dec;

	/* A title's copies at the partners: searched, not routed. */
	if (req->service == NCIP_LOOKUP_ITEM_SET) {
		search_ncip(call, caller, req);
		return;
	}
	if ((t = serve_new(SERVE_NCIP, call, 0)) == NULL) {
		resp = ncip_reply_problem(req, NCIP_PT_TEMPORARY_FAILURE,
		    NULL, "The gateway is short of memory.");
		ncip_msg_free(req);
		if (resp != NULL)
			ncip_front_answer(call, resp);
		return;
	}
	/* A registration, or preferences: the gateway keeps and spreads. */
	if (req->service == NCIP_CREATE_USER && gw->store != NULL) {
		serve_free(t);
		register_ncip(call, caller, req);
		return;
	}
	if (prefs_carried(req) && gw->store != NULL) {
		serve_free(t);
		prefs_ncip(call, caller, req);
		return;
	}
	t->ncip = req;
	snprintf(t->serving, sizeof(t->serving), "%s", caller->id);
	if (xlate_ncip_req(&t->req, req, t->arena) == -1) {
		snprintf(t->partner, sizeof(t->partner), "%s", caller->id);
		serve_fail(t, CIRC_E_NEEDED_DATA, NULL);
		return;
	}
	/* A tracked request moved on: the tracker answers. */
	if (hold_claims(caller, &t->req)) {
		t->ncip = NULL;
		serve_free(t);
		hold_serve_ncip(call, caller, req);
		return;
	}
	/* A loan for another partner's patron: a visit, as at a kiosk. */
	switch (circ_route_visit(gw->conf, &t->req, caller, &home, &p,
	    &dec)) {
	case -1:
		snprintf(t->partner, sizeof(t->partner), "%s", caller->id);
		serve_fail(t, CIRC_E_NOT_ALLOWED, dec.message);
		return;
	case 1:
		if (p != home) {
			visit_begin(t, p, home);
			return;
		}
		/* The patron's own library's item goes to that library. */
		snprintf(t->partner, sizeof(t->partner), "%s", home->id);
		t->req.want_class = 1;
		serve_step(t);
		return;
	}
	/* A hold by identifier for its own patron: searched for first. */
	if (serve_hold_search(t, caller) == 0)
		return;
	if ((p = circ_route(gw->conf, &t->req, caller, &dec)) == NULL) {
		snprintf(t->partner, sizeof(t->partner), "%s", caller->id);
		serve_fail(t, CIRC_E_NOT_ALLOWED, dec.message);
		return;
	}
	snprintf(t->partner, sizeof(t->partner), "%s", p->id);
	t->req.want_class = p != caller;
	if (combine_plan(t, p->id) == -1 || (p == caller &&
	    discover_plan(t, caller->id) == -1)) {
		serve_fail(t, CIRC_E_REFUSED, "The gateway is short of "
		    "memory.");
		return;
	}
	serve_step(t);
}

/*
 * A hold by BibliographicId, no item or owner named, for a patron of the
 * caller's own: the title is searched for, the caller's ILS first.  0
 * when the search is under way (serve_hold_searched goes on), -1 when
 * the request is not such a hold or cannot be searched for.
 */
static int
serve_hold_search(struct serve_txn *t, const struct conf_partner *caller)
{
	char	 err[200];

	if (t->req.op->op != CIRC_HOLD || t->req.hold_mode != '+' ||
	    t->req.item != NULL || t->req.bib_id == NULL ||
	    t->req.patron == NULL ||
	    route_patron(gw->conf, t->req.patron) != caller ||
	    !search_bibid_valid(t->req.bib_id))
		return (-1);
	if (search_start(caller->id, t->req.bib_id, t->req.bib_scheme,
	    SEARCH_OWN_FIRST, t->id, serve_hold_searched, err,
	    sizeof(err)) == -1) {
		log_warnx("xid=%llu event=hold-search why=\"%s\"",
		    (unsigned long long)t->id, err);
		return (-1);
	}
	return (0);
}

/*
 * The search of a hold by identifier ended: the caller's own ILS takes
 * it when it has a copy available or nobody else has; else the copy
 * chosen is held at its owner, a visit as any other.
 */
static void
serve_hold_searched(uint64_t xid, const struct search_result *res)
{
	struct serve_txn	*t;
	struct conf_partner	*caller, *owner;
	const struct search_copy *c;
	struct policy_decision	 dec;

	if ((t = serve_find(xid)) == NULL)
		return;
	if ((caller = conf_partner_find(gw->conf, t->serving)) == NULL) {
		snprintf(t->partner, sizeof(t->partner), "%s", t->serving);
		serve_fail(t, CIRC_E_OFFLINE, NULL);
		return;
	}
	snprintf(t->partner, sizeof(t->partner), "%s", caller->id);
	if ((c = hold_search_pick(caller->id, res)) == NULL ||
	    (owner = conf_partner_find(gw->conf, c->partner)) == NULL) {
		serve_step(t);
		return;
	}
	if (!agreement_route(&t->req, caller, owner, &dec)) {
		serve_fail(t, CIRC_E_NOT_ALLOWED, dec.message);
		return;
	}
	if ((t->req.item = circ_strdup(t->arena, c->item)) == NULL) {
		serve_fail(t, CIRC_E_REFUSED, "The gateway is short of "
		    "memory.");
		return;
	}
	log_info("xid=%llu event=hold-searched asker=%s owner=%s",
	    (unsigned long long)t->id, caller->id, owner->id);
	visit_begin(t, owner, caller);
}

/* Make the next call of a transaction, or finish it. */
static void
serve_step(struct serve_txn *t)
{
	struct conf_partner	*p;
	struct backend		*be;
	struct ncip_backend	*nb;
	struct sip2_msg		*sm = NULL;
	struct ncip_msg		*nm = NULL;
	const char		*why = NULL;
	time_t			 now = time(NULL);
	int			 more;

	if ((p = conf_partner_find(gw->conf, t->partner)) == NULL ||
	    !p->has_backend) {
		serve_fail(t, CIRC_E_OFFLINE, NULL);
		return;
	}
	if (p->backend.proto == BACKEND_SIP2) {
		if (t->step == 0)
			more = (sm = xlate_sip2_backend_req(&t->req, p,
			    now)) != NULL;
		else
			more = xlate_sip2_backend_next(&t->req, t->step, p,
			    now, &sm);
		if (more != 1 || sm == NULL) {
			serve_no_call(t, more);
			return;
		}
		if ((be = route_backend(p->id)) == NULL) {
			sip2_msg_free(sm);
			serve_fail(t, CIRC_E_OFFLINE, NULL);
			return;
		}
		if (backend_call(be, sm, t->id, t->step, serve_sip2_cb,
		    &why) == -1) {
			sip2_msg_free(sm);
			serve_fail(t, strcmp(why, "busy") == 0 ?
			    CIRC_E_REFUSED : CIRC_E_OFFLINE, NULL);
		}
		return;
	}

	/* NCIP keeps no patron session, so there is none to end there. */
	if (t->step == 0 && t->req.op != NULL &&
	    t->req.op->op == CIRC_END_SESSION) {
		t->res.ok = 1;
		serve_finish(t);
		return;
	}
	if (t->step == 0)
		more = (nm = xlate_ncip_backend_req(&t->req, p, now)) != NULL;
	else
		more = xlate_ncip_backend_next(&t->req, t->step, &t->res, p,
		    now, &nm);
	if (more != 1 || nm == NULL) {
		serve_no_call(t, more);
		return;
	}
	if ((nb = route_ncip_backend(p->id)) == NULL) {
		ncip_msg_free(nm);
		serve_fail(t, CIRC_E_OFFLINE, NULL);
		return;
	}
	/* The backend takes nm, whether or not the call can be made. */
	if (ncip_backend_call(nb, nm, t->id, t->step, serve_ncip_cb,
	    &why) == -1)
		serve_fail(t, strcmp(why, "busy") == 0 ? CIRC_E_REFUSED :
		    CIRC_E_OFFLINE, NULL);
}

/*
 * The translator made no call for the next step: more is -1 when it could
 * not (errno says why), 0 when the operation is done.  With no call at
 * all, the operation cannot be done at this ILS.
 */
static void
serve_no_call(struct serve_txn *t, int more)
{
	if (more == -1)
		serve_fail(t, errno == ENOTSUP ? CIRC_E_NOT_SUPPORTED :
		    errno == EINVAL ? CIRC_E_NEEDED_DATA : CIRC_E_REFUSED,
		    NULL);
	else if (t->step == 0)
		serve_fail(t, errno == EINVAL ? CIRC_E_NEEDED_DATA :
		    CIRC_E_NOT_SUPPORTED, NULL);
	else
		serve_finish(t);
}

/* Keep an answer alive until the transaction ends: the result borrows. */
static int
serve_keep(struct serve_txn *t, struct sip2_msg *sm, struct ncip_msg *nm)
{
	if (t->nkeep == SERVE_KEEP_MAX)
		return (-1);
	t->sip2_keep[t->nkeep] = sm;
	t->ncip_keep[t->nkeep] = nm;
	t->nkeep++;
	return (0);
}

static void
serve_sip2_cb(uint64_t id, uint32_t step, struct sip2_msg *req,
    struct sip2_msg *resp, const char *error)
{
	sip2_msg_free(req);
	serve_answered(id, step, resp, NULL, error);
}

static void
serve_ncip_cb(uint64_t id, uint32_t step, struct ncip_msg *resp,
    const char *error)
{
	serve_answered(id, step, NULL, resp, error);
}

/*
 * An ILS answered step of transaction id, in SIP2 (sm) or NCIP (nm), or
 * did not (both NULL, error saying why): merge the answer into the result
 * and make the next call, or finish.  Takes sm and nm.
 */
static void
serve_answered(uint64_t id, uint32_t step, struct sip2_msg *sm,
    struct ncip_msg *nm, const char *error)
{
	struct serve_txn	*t;
	int			 rc;

	if ((t = serve_find(id)) == NULL) {
		sip2_msg_free(sm);
		ncip_msg_free(nm);
		return;
	}
	/* Sent, but no answer to read: the ILS may have carried it out. */
	if (sm == NULL && nm == NULL) {
		t->unsure = 1;
		serve_fail(t, strcmp(error, "timeout") == 0 ? CIRC_E_TIMEOUT :
		    CIRC_E_OFFLINE, NULL);
		return;
	}
	if (serve_keep(t, sm, nm) == -1) {
		sip2_msg_free(sm);
		ncip_msg_free(nm);
		serve_fail(t, CIRC_E_REFUSED, "The request needed too many "
		    "steps.");
		return;
	}
	if (sm != NULL)
		rc = xlate_sip2_backend_reply(&t->req, step, sm, &t->res,
		    t->arena);
	else
		rc = xlate_ncip_backend_reply(&t->req, step, nm, &t->res,
		    t->arena);
	if (rc == -1 || t->res.error != CIRC_E_NONE) {
		if (rc == -1)
			t->unsure = 1;
		if (t->res.error == CIRC_E_NONE)
			t->res.error = CIRC_E_REFUSED;
		serve_finish(t);
		return;
	}
	t->step++;
	serve_step(t);
}

/* End a transaction with an error the caller's protocol can say. */
static void
serve_fail(struct serve_txn *t, enum circ_error e, const char *screen)
{
	t->res.ok = 0;
	t->res.error = e;
	if (screen != NULL)
		t->res.screen = circ_strdup(t->arena, screen);
	serve_finish(t);
}

/* Encode the result for the caller and end the transaction. */
static void
serve_finish(struct serve_txn *t)
{
	const struct conf_partner *p, *from;
	struct sip2_msg	*sm;
	struct ncip_msg	*nm;
	struct timespec	 now;
	char		 screen[200];
	long		 us;
	const char	*result;

	/* A visit's call answered: the next call, or the answer to give. */
	if (t->visit != NULL && visit_next(t) == 1)
		return;
	/* The same for a combined patron information, and a discovery. */
	if (t->combine != NULL && combine_next(t) == 1)
		return;
	if (t->discover != NULL && discover_next(t) == 1)
		return;
	/* The gateway's own call: no caller to encode anything for. */
	if (t->front == SERVE_OWN) {
		own_done(t);
		return;
	}

	/* What another partner's ILS said passes the agreement first. */
	if (strcmp(t->serving, t->partner) != 0 &&
	    (p = conf_partner_find(gw->conf, t->partner)) != NULL &&
	    (from = conf_partner_find(gw->conf, t->serving)) != NULL)
		agreement_filter(&t->req, &t->res, t->arena, p, from);
	result = t->res.ok ? "ok" : "no";

	/* A failure without the ILS's own words gets ours, naming it. */
	if (!t->res.ok && t->res.error != CIRC_E_NONE &&
	    t->res.screen == NULL) {
		p = conf_partner_find(gw->conf, t->partner);
		xlate_sip2_screen(&t->req, t->res.error,
		    p != NULL ? p->name : NULL, screen, sizeof(screen));
		t->res.screen = circ_strdup(t->arena, screen);
	}

	clock_gettime(CLOCK_MONOTONIC, &now);
	us = (now.tv_sec - t->started.tv_sec) * 1000000L +
	    (now.tv_nsec - t->started.tv_nsec) / 1000;
	log_info("xid=%llu front=%s op=%s partner=%s steps=%d result=%s "
	    "error=%d us=%ld", (unsigned long long)t->id,
	    t->front == SERVE_SIP2 ? "sip2" : "ncip",
	    t->req.op != NULL ? t->req.op->name : "-", t->partner, t->step + 1,
	    result, (int)t->res.error, us);

	if (t->front == SERVE_SIP2) {
		sm = xlate_sip2_reply(&t->req, &t->res, time(NULL));
		session_answer(t->caller, t->caller_txn, sm, result);
	} else {
		if ((nm = xlate_ncip_reply(&t->req, &t->res)) == NULL) {
			log_warnx("xid=%llu event=unencodable",
			    (unsigned long long)t->id);
			nm = ncip_reply_problem(t->ncip,
			    NCIP_PT_TEMPORARY_FAILURE, NULL,
			    "The answer could not be encoded.");
		}
		/* With no memory even for that, the caller's HTTP times out. */
		if (nm != NULL)
			ncip_front_answer(t->caller, nm);
	}
	serve_free(t);
}

/* Return 1 when a partner's ILS is reachable, whatever it speaks. */
int
serve_partner_up(const struct conf_partner *p)
{
	struct backend		*be;
	struct ncip_backend	*nb;

	if (p == NULL || !p->has_backend)
		return (0);
	if (p->backend.proto == BACKEND_SIP2)
		return ((be = route_backend(p->id)) != NULL &&
		    backend_up(be));
	return ((nb = route_ncip_backend(p->id)) != NULL &&
	    ncip_backend_up(nb));
}

/* --- visiting patrons ------------------------------------------------ */

/*
 * Carry a terminal's checkout or renewal for a patron of partner home to
 * the lending partner, under the account linked to the patron there:
 * verified at the home, decided by the agreement with the item's facts
 * and the combined loans, carried out at the lender, and answered with
 * the barcode the terminal sent.  The answer comes through
 * session_answer().
 */
void
serve_visit(uint64_t sid, uint32_t txn, const struct sip2_msg *msg,
    const struct conf_partner *from, const struct conf_partner *lender,
    const struct conf_partner *home)
{
	struct serve_txn	*t;

	if ((t = serve_sip2_begin(sid, txn, msg, from, lender)) != NULL)
		visit_begin(t, lender, home);
}

/*
 * Make a decoded request (t->req, the caller's) a visit to lender for a
 * patron of home, and make its first call.
 */
static void
visit_begin(struct serve_txn *t, const struct conf_partner *lender,
    const struct conf_partner *home)
{
	snprintf(t->partner, sizeof(t->partner), "%s", lender->id);
	if ((t->visit = calloc(1, sizeof(*t->visit))) == NULL) {
		serve_fail(t, CIRC_E_REFUSED, "The gateway is short of "
		    "memory.");
		return;
	}
	t->visit->orig = t->req;
	snprintf(t->visit->home, sizeof(t->visit->home), "%s", home->id);
	snprintf(t->visit->lender, sizeof(t->visit->lender), "%s",
	    lender->id);
	/* A hold may name a title instead (VISIT_ITEM is then skipped). */
	if (t->req.patron == NULL || (t->req.item == NULL &&
	    (t->req.op->op != CIRC_HOLD || t->req.hold_mode != '+' ||
	    (t->req.title == NULL && t->req.bib_id == NULL)))) {
		t->visit->phase = VISIT_DONE;
		serve_fail(t, CIRC_E_NEEDED_DATA, NULL);
		return;
	}
	visit_start(t, VISIT_HOME);
}

/* Make the request of a phase and send it to whose ILS answers it. */
static void
visit_start(struct serve_txn *t, enum visit_phase phase)
{
	struct serve_visit	*v = t->visit;
	const char		*to = v->lender;
	char			 hex[TRACKER_HEX_LEN + 1];

	v->phase = phase;
	memset(&t->req, 0, sizeof(t->req));
	t->req.summary = -1;
	switch (phase) {
	case VISIT_HOME:
		/* 63 at a SIP2 home, for the class; LookupUser at NCIP. */
		t->req.op = circ_op_sip2(SIP2_PATRON_INFO);
		t->req.patron = v->orig.patron;
		t->req.pin = v->orig.pin;
		t->req.has_pin = v->orig.has_pin;
		t->req.want_class = 1;
		to = v->home;
		break;
	case VISIT_ITEM:
		t->req.op = circ_op_sip2(SIP2_ITEM_INFO);
		t->req.item = v->orig.item;
		break;
	case VISIT_CREATE:
		t->req.op = circ_op_ncip(NCIP_CREATE_USER);
		t->req.ncip = v->create;
		break;
	case VISIT_LENDER:
		t->req.op = circ_op_sip2(SIP2_PATRON_INFO);
		t->req.patron = v->linked;
		break;
	default:
		t->req = v->orig;
		t->req.patron = v->linked;
		t->req.pin = NULL;
		t->req.has_pin = 0;
		/*
		 * The owner's ILS knows its own locations only; an NCIP
		 * one knows the hold by the tracker's id too.
		 */
		if (v->track != NULL) {
			t->req.pickup = v->track->delivery;
			tracker_id_hex(v->track->id, hex);
			t->req.request_id = circ_strdup(t->arena, hex);
			t->req.request_ours = 1;
		}
		break;
	}
	serve_call(t, to);
}

/*
 * A phase is answered.  Returns 1 when the next call is made, 0 when
 * t->req and t->res now hold the terminal's request and its answer.
 */
static int
visit_next(struct serve_txn *t)
{
	struct serve_visit	*v = t->visit;
	struct circ_patron	*pt = &t->res.patron;
	struct policy_request	 pr;
	struct policy_patron	 pp;
	struct policy_item	 pi;
	struct policy_decision	 dec;
	const struct policy_agreement *ags;
	size_t			 n;

	switch (v->phase) {
	case VISIT_HOME:
		if (!pt->found)
			return (visit_end(t, t->res.error == CIRC_E_NONE ||
			    t->res.error == CIRC_E_UNKNOWN_PATRON ?
			    CIRC_E_UNKNOWN_PATRON : t->res.error, NULL));
		if (pt->pin_ok == 0 || t->res.error == CIRC_E_BAD_PIN)
			return (visit_end(t, CIRC_E_BAD_PIN, NULL));
		ags = agreement_list(&n);
		if (!policy_visible(ags, n, v->home, pt->pclass, v->lender,
		    &dec)) {
			log_info("policy event=hide audit=%s op=%s owner=%s "
			    "to=%s", dec.audit, v->orig.op->name, v->home,
			    v->lender);
			return (visit_end(t, CIRC_E_UNKNOWN_PATRON, NULL));
		}
		v->pclass = pt->pclass;
		/* An NCIP home names the patron by its own UserId. */
		v->key = t->res.user_id;
		v->name = pt->name;
		v->address = pt->address;
		v->email = pt->email;
		v->phone = pt->phone;
		v->birth = pt->birth;
		v->loans = pt->counts[CIRC_LIST_CHARGED];
		v->holds = pt->counts[CIRC_LIST_HOLDS] +
		    pt->counts[CIRC_LIST_UNAVAIL_HOLDS];
		/* Charge privileges denied, or the card reported lost. */
		v->blocked = pt->status[0] == 'Y' || pt->status[4] == 'Y';
		v->expired = pt->expires != 0 && pt->expires < time(NULL);
		/* A card the home would not lend on goes no further. */
		if (visit_patron_ok(t) == -1)
			return (0);
		v->home_location = pt->home_location;
		/* A title's copy is checked once trapped (hold.c). */
		if (v->orig.item == NULL)
			return (visit_account(t));
		visit_start(t, VISIT_ITEM);
		return (1);
	case VISIT_ITEM:
		/* A lender that did not answer is not a lender without it. */
		if (visit_failed(t))
			return (visit_end(t, t->res.error, NULL));
		if (!t->res.item.found)
			return (visit_end(t, CIRC_E_UNKNOWN_ITEM, NULL));
		v->collection = t->res.item.collection;
		v->type = t->res.item.media;
		v->location = t->res.item.permanent_location;
		return (visit_account(t));
	case VISIT_CREATE:
		/* Ours from an earlier try whose answer was lost. */
		if (v->alone && v->user_id != NULL &&
		    t->res.error == CIRC_E_DUPLICATE) {
			v->pool = v->user_id;
			return (visit_record(t) == -1 ? 0 : 1);
		}
		if (v->alone && visit_failed(t))
			return (visit_end(t, t->res.error, NULL));
		if (!t->res.ok || t->res.user_id == NULL ||
		    (v->pool = circ_strdup(t->arena, t->res.user_id)) == NULL)
			return (visit_end(t, CIRC_E_REFUSED, "An account could "
			    "not be opened here for this card; please see "
			    "staff."));
		log_info("xid=%llu event=visit-account home=%s lender=%s",
		    (unsigned long long)t->id, v->home, v->lender);
		return (visit_record(t) == -1 ? 0 : 1);
	case VISIT_LENDER:
		if (visit_failed(t))
			return (visit_end(t, t->res.error, NULL));
		if (!pt->found)
			return (visit_end(t, CIRC_E_REFUSED, "The account "
			    "linked to this card is not known here; please "
			    "see staff."));
		memset(&pr, 0, sizeof(pr));
		memset(&pp, 0, sizeof(pp));
		memset(&pi, 0, sizeof(pi));
		pp.home = v->home;
		pp.pclass = v->pclass;
		pp.loans = v->loans + pt->counts[CIRC_LIST_CHARGED];
		pp.holds = v->holds + pt->counts[CIRC_LIST_HOLDS] +
		    pt->counts[CIRC_LIST_UNAVAIL_HOLDS];
		pp.blocked = v->blocked;
		pp.expired = v->expired;
		pi.owner = v->lender;
		pi.collection = v->collection;
		pi.type = v->type;
		pi.location = v->location;
		/* A title has no copy yet: hold.c checks the one trapped. */
		if (v->orig.item == NULL)
			pi.collection = pi.type = pi.location = "";
		if (v->orig.op->op == CIRC_RENEW)
			pr.op = POLICY_OP_RENEW;
		else if (v->orig.op->op != CIRC_HOLD)
			pr.op = POLICY_OP_CHECKOUT;
		else if (v->orig.hold_mode == '-')
			pr.op = POLICY_OP_HOLD_CANCEL;
		else
			pr.op = POLICY_OP_HOLD;
		pr.serving = t->serving;
		pr.patron = &pp;
		pr.item = &pi;
		ags = agreement_list(&n);
		if (!policy_check(ags, n, &pr, &dec)) {
			log_info("policy event=deny audit=%s op=%s serving=%s "
			    "home=%s to=%s", dec.audit, v->orig.op->name,
			    t->serving, v->home, v->lender);
			return (visit_end(t, CIRC_E_NOT_ALLOWED, dec.message));
		}
		switch (visit_track(t)) {
		case -1:
			return (0);
		case 1:
			return (1);	/* written ahead first */
		}
		visit_start(t, VISIT_LOAN);
		return (1);
	case VISIT_LOAN:
		/* A hold for pickup elsewhere is answered once recorded. */
		if (v->track != NULL && t->res.ok) {
			if (t->res.request_id != NULL)
				snprintf(v->track->owner_request,
				    sizeof(v->track->owner_request), "%s",
				    t->res.request_id);
			v->phase = VISIT_TRACK;
			if (hold_place(t->id, v->track) == 0)
				return (1);
			visit_untrack(t);
			return (visit_end(t, CIRC_E_REFUSED, "The gateway "
			    "cannot record the hold now; please try again."));
		}
		/*
		 * The owner refused it; one whose answer was not had (late,
		 * lost with the connection, not readable) may have taken
		 * it, so its record stays for the sweep to cancel there.
		 */
		if (v->track != NULL && (t->unsure ||
		    t->res.error == CIRC_E_TIMEOUT)) {
			hold_abandon(v->track);
			free(v->track);
			v->track = NULL;
		} else if (v->track != NULL)
			visit_untrack(t);
		/* FALLTHROUGH */
	case VISIT_TRACK:
		if (v->phase == VISIT_TRACK && !v->tracked) {
			visit_untrack(t);
			return (visit_end(t, CIRC_E_REFUSED, "The gateway "
			    "cannot record the hold now; please try again."));
		}
		/* The caller hears of its own card, never the link's. */
		v->phase = VISIT_DONE;
		t->req = v->orig;
		pt->id = v->orig.patron;
		t->res.user_id = v->orig.patron;
		if (v->tracked)
			hold_answer_placed(v->track, &t->res, t->arena);
		log_info("xid=%llu event=visit op=%s home=%s lender=%s "
		    "result=%s", (unsigned long long)t->id, v->orig.op->name,
		    v->home, v->lender, t->res.ok ? "ok" : "no");
		return (0);
	default:
		return (0);
	}
}

/* Return 1 if the ILS of the phase could not be reached or asked. */
static int
visit_failed(const struct serve_txn *t)
{
	switch (t->res.error) {
	case CIRC_E_OFFLINE:
	case CIRC_E_TIMEOUT:
	case CIRC_E_NOT_SUPPORTED:
	case CIRC_E_NEEDED_DATA:
		return (1);
	default:
		return (0);
	}
}

/* Answer the terminal's request with an error and end the visit. */
static int
visit_end(struct serve_txn *t, enum circ_error e, const char *screen)
{
	struct serve_visit	*v = t->visit;
	const struct conf_partner *p;
	char			 buf[200];

	v->phase = VISIT_DONE;
	t->req = v->orig;
	serve_res_init(&t->res);
	t->res.error = e;
	/* A partner that could not be reached is named, not the caller. */
	if (screen == NULL && (e == CIRC_E_OFFLINE || e == CIRC_E_TIMEOUT) &&
	    (p = conf_partner_find(gw->conf, t->partner)) != NULL) {
		xlate_sip2_screen(&t->req, e, p->name, buf, sizeof(buf));
		screen = buf;
	}
	t->res.screen = screen != NULL ? circ_strdup(t->arena, screen) :
	    NULL;
	/* Nothing of the home's answer is left to filter. */
	snprintf(t->partner, sizeof(t->partner), "%s", t->serving);
	return (0);
}

/*
 * The patron is verified and the item's facts known (or a title named):
 * find or make the linked account, then ask the lender about it.
 * Returns as visit_next() does.
 */
static int
visit_account(struct serve_txn *t)
{
	switch (visit_linked(t)) {
	case -1:
		return (0);
	case 1:
		return (1);	/* a link or an account under way */
	}
	visit_start(t, VISIT_LENDER);
	return (1);
}

/*
 * A hold for pickup at a partner other than the lender is placed at the
 * lender's delivery point and tracked: v->track is made for it and
 * written ahead.  0 when it is not such a hold, 1 when the write is under
 * way (serve_resume goes on), -1 after ending the visit.
 */
static int
visit_track(struct serve_txn *t)
{
	struct serve_visit	*v = t->visit;
	struct tracker_req	*r;
	const char		*why;

	if (v->orig.op->op != CIRC_HOLD || v->orig.hold_mode != '+')
		return (0);
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		visit_end(t, CIRC_E_REFUSED, "The gateway is short of memory.");
		return (-1);
	}
	switch (hold_plan(r, &v->orig, v->home, v->lender, v->linked,
	    v->home_location, &why)) {
	case 0:
		/* For pickup at the lender's own location, preferred. */
		if (r->pickup[0] != '\0' && v->orig.pickup == NULL)
			v->orig.pickup = circ_strdup(t->arena, r->pickup);
		free(r);
		return (0);
	case -1:
		free(r);
		visit_end(t, CIRC_E_REFUSED, why);
		return (-1);
	}
	v->track = r;
	if (hold_ahead(t->id, r) == -1) {
		visit_untrack(t);
		visit_end(t, CIRC_E_REFUSED, "The gateway cannot record the "
		    "hold now; please try again.");
		return (-1);
	}
	v->phase = VISIT_AHEAD;
	return (1);
}

/*
 * Let go of a tracked hold that will not be answered as placed; one the
 * lender holds already is cancelled there, since no one tracks it.
 */
static void
visit_untrack(struct serve_txn *t)
{
	struct serve_visit	*v = t->visit;
	struct circ_req		 req;
	char			 hex[TRACKER_HEX_LEN + 1];

	if (v->track == NULL)
		return;
	hold_release(v->track);
	if (v->phase == VISIT_TRACK) {
		memset(&req, 0, sizeof(req));
		req.op = v->orig.op;
		req.hold_mode = '-';
		req.patron = v->linked;
		req.item = v->orig.item;
		req.title = v->orig.title;
		req.bib_id = v->orig.bib_id;
		req.bib_scheme = v->orig.bib_scheme;
		/* Without the owner's id, the tracker's, placed under. */
		if (v->track->owner_request[0] != '\0')
			req.request_id = v->track->owner_request;
		else {
			tracker_id_hex(v->track->id, hex);
			req.request_id = hex;
			req.request_ours = 1;
		}
		req.summary = -1;
		if (serve_own(v->lender, t->serving, &req, NULL, NULL) == -1)
			log_warnx("xid=%llu event=hold-untracked owner=%s",
			    (unsigned long long)t->id, v->lender);
	}
	free(v->track);
	v->track = NULL;
	v->tracked = 0;
}

/*
 * The tracker committed (ok) or could not commit the hold of visit xid:
 * written ahead, the owner is asked next; placed, the visit answers.
 */
void
serve_resume(uint64_t xid, int ok)
{
	struct serve_txn	*t;

	if ((t = serve_find(xid)) == NULL || t->visit == NULL)
		return;
	/* Written ahead: now the owner is asked. */
	if (t->visit->phase == VISIT_AHEAD) {
		if (ok) {
			visit_start(t, VISIT_LOAN);
			return;
		}
		visit_untrack(t);
		visit_end(t, CIRC_E_REFUSED, "The gateway cannot record the "
		    "hold now; please try again.");
		serve_finish(t);
		return;
	}
	if (t->visit->phase != VISIT_TRACK)
		return;
	t->visit->tracked = ok;
	serve_finish(t);
}

/* Copy a request's strings into an arena; -1 on no memory. */
static int
serve_req_copy(struct circ_req *to, const struct circ_req *from,
    struct circ_arena *a)
{
	const char	**to_s[] = { &to->institution, &to->patron, &to->pin,
	    &to->item, &to->title, &to->bib_id, &to->bib_scheme,
	    &to->request_id, &to->location, &to->pickup, &to->fee_id,
	    &to->currency, &to->transaction_id, &to->item_props };
	size_t		 i;

	/* A message it carries is the caller's, kept as it is. */
	*to = *from;
	for (i = 0; i < sizeof(to_s) / sizeof(to_s[0]); i++)
		if (*to_s[i] != NULL &&
		    (*to_s[i] = circ_strdup(a, *to_s[i])) == NULL)
			return (-1);
	return (0);
}

/*
 * Make a request of the gateway's own at a partner's ILS, as if made at
 * partner serving.  See circlinkd.h.
 */
int
serve_own(const char *partner, const char *serving,
    const struct circ_req *req, serve_own_cb cb, void *arg)
{
	struct serve_txn	*t;

	if ((t = serve_new(SERVE_OWN, 0, 0)) == NULL)
		return (-1);
	if (serve_req_copy(&t->req, req, t->arena) == -1) {
		serve_free(t);
		return (-1);
	}
	snprintf(t->partner, sizeof(t->partner), "%s", partner);
	snprintf(t->serving, sizeof(t->serving), "%s",
	    serving != NULL ? serving : partner);
	t->own_cb = cb;
	t->own_arg = arg;
	serve_step(t);
	return (0);
}

/*
 * A call of the gateway's own has ended: a failure gets the screen
 * message a terminal would have had, and whoever waits hears of it.
 */
static void
own_done(struct serve_txn *t)
{
	const struct conf_partner *p, *from;
	char		 screen[200];

	/* Made as if at another partner: its terms apply to the answer. */
	if (strcmp(t->serving, t->partner) != 0 &&
	    (p = conf_partner_find(gw->conf, t->partner)) != NULL &&
	    (from = conf_partner_find(gw->conf, t->serving)) != NULL)
		agreement_filter(&t->req, &t->res, t->arena, p, from);
	if (!t->res.ok && t->res.error == CIRC_E_NONE)
		t->res.error = CIRC_E_REFUSED;
	if (!t->res.ok && t->res.screen == NULL && t->req.op != NULL) {
		p = conf_partner_find(gw->conf, t->partner);
		xlate_sip2_screen(&t->req, t->res.error,
		    p != NULL ? p->name : NULL, screen, sizeof(screen));
		t->res.screen = circ_strdup(t->arena, screen);
	}
	log_info("xid=%llu front=own op=%s partner=%s steps=%d result=%s "
	    "error=%d", (unsigned long long)t->id, t->req.op != NULL ?
	    t->req.op->name : "link", t->partner, t->step + 1,
	    t->res.ok ? "ok" : "no", (int)t->res.error);
	if (t->link_cb != NULL)
		t->link_cb(t->res.ok ? CIRC_E_NONE : t->res.error, t->res.ok ?
		    t->visit->linked : NULL, t->res.screen, t->own_arg);
	else if (t->own_cb != NULL)
		t->own_cb(&t->req, &t->res, t->own_arg);
	serve_free(t);
}

/*
 * The card as the home described it, before anything is linked or asked
 * of the lender: blocked, expired or a class kept from the lender ends
 * the visit (-1); the lender's own terms are decided with the item.
 */
static int
visit_patron_ok(struct serve_txn *t)
{
	struct serve_visit	*v = t->visit;
	const struct policy_agreement *ags;
	struct policy_request	 pr;
	struct policy_patron	 pp;
	struct policy_decision	 dec;
	size_t			 n;

	memset(&pr, 0, sizeof(pr));
	memset(&pp, 0, sizeof(pp));
	pp.home = v->home;
	pp.pclass = v->pclass;
	pp.blocked = v->blocked;
	pp.expired = v->expired;
	pr.op = POLICY_OP_CHECKOUT;
	pr.serving = t->serving;
	pr.patron = &pp;
	ags = agreement_list(&n);
	if (policy_check(ags, n, &pr, &dec))
		return (0);
	log_info("policy event=deny audit=%s op=%s serving=%s home=%s",
	    dec.audit, v->orig.op->name, t->serving, v->home);
	visit_end(t, dec.reason == POLICY_E_CLASS_EXCLUDED ?
	    CIRC_E_UNKNOWN_PATRON : CIRC_E_NOT_ALLOWED,
	    dec.reason == POLICY_E_CLASS_EXCLUDED ? NULL : dec.message);
	return (-1);
}

/*
 * Find the account at the lender linked to the patron's card, into
 * v->linked: 0 when there is one, 1 when a visitor account is being
 * linked (visit_link_cb goes on), -1 after ending the visit.
 */
static int
visit_linked(struct serve_txn *t)
{
	struct serve_visit	*v = t->visit;
	struct idstore_person	*p = NULL;
	struct idstore_ref	 r;
	size_t			 i;
	int			 rc = IDSTORE_FAIL, known = 0;

	if (gw->store != NULL && (p = malloc(sizeof(*p))) != NULL &&
	    (rc = idstore_find_barcode(gw->store, v->home, v->orig.patron,
	    &r)) == IDSTORE_OK) {
		known = 1;
		rc = idstore_person(gw->store, r.person, p);
	}
	for (i = 0; rc == IDSTORE_OK && i < p->naccounts; i++)
		if (strcmp(p->accounts[i].partner, v->lender) == 0 &&
		    p->accounts[i].nbarcodes > 0) {
			v->linked = circ_strdup(t->arena,
			    p->accounts[i].barcodes[0]);
			break;
		}
	if (p != NULL) {
		OPENSSL_cleanse(p, sizeof(*p));
		free(p);
	}
	if (v->linked != NULL)
		return (0);
	if (rc != IDSTORE_OK && rc != IDSTORE_NOTFOUND) {
		log_warnx("xid=%llu event=visit store=\"%s\"",
		    (unsigned long long)t->id, idstore_strerror(rc));
		visit_end(t, CIRC_E_REFUSED, "The gateway cannot read its "
		    "records now; please see staff.");
		return (-1);
	}
	if ((v->known = known))
		v->person = r;
	return (visit_take(t));
}

/*
 * Give the patron an account at the lender: the first of its visitor
 * accounts no one holds, else one its NCIP ILS makes.  1 when that is
 * under way, -1 after ending the visit.
 */
static int
visit_take(struct serve_txn *t)
{
	struct serve_visit	*v = t->visit;
	const struct conf_partner *lender;
	const struct policy_agreement *ags;
	struct policy_patron	 pp;
	struct policy_decision	 dec;
	struct idstore_ref	 x;
	char			 screen[200];
	size_t			 n;
	int			 i;

	lender = conf_partner_find(gw->conf, v->lender);
	memset(&pp, 0, sizeof(pp));
	pp.home = v->home;
	pp.pclass = v->pclass;
	ags = agreement_list(&n);
	if (lender != NULL && !policy_link(ags, n, &pp, v->lender, &dec)) {
		visit_end(t, CIRC_E_NOT_ALLOWED, dec.message);
		return (-1);
	}
	for (i = 0; lender != NULL && i < lender->nvisitors; i++)
		if (idstore_find_barcode(gw->store, v->lender,
		    lender->visitors[i], &x) == IDSTORE_NOTFOUND)
			break;
	if (lender != NULL && i < lender->nvisitors) {
		/* Copied: a reload may free the configuration meanwhile. */
		if ((v->pool = circ_strdup(t->arena,
		    lender->visitors[i])) == NULL) {
			visit_end(t, CIRC_E_REFUSED, "The gateway is short of "
			    "memory.");
			return (-1);
		}
		return (visit_record(t));
	}
	if (lender != NULL && lender->has_backend &&
	    lender->backend.proto == BACKEND_NCIP)
		return (visit_create(t, lender));
	snprintf(screen, sizeof(screen), "This card has no account at %s yet, "
	    "and none is free; please see staff.", lender != NULL ?
	    lender->name : v->lender);
	visit_end(t, CIRC_E_REFUSED, screen);
	return (-1);
}

/*
 * A CreateUser for the lender's NCIP ILS carrying only what the home's
 * terms let reach the lender; the ILS gives the account its id.  1 when
 * the call is made, -1 after ending the visit.
 */
static int
visit_create(struct serve_txn *t, const struct conf_partner *lender)
{
	struct serve_visit	*v = t->visit;
	const struct conf_partner *home;
	const struct policy_agreement *ags;
	struct policy_share	 share;
	struct policy_decision	 dec;
	struct ncip_msg		*m;
	struct ncip_address	*ad;
	char			 name[160];
	size_t			 n;

	home = conf_partner_find(gw->conf, v->home);
	ags = agreement_list(&n);
	policy_share(ags, n, v->home, v->lender, &share, &dec);
	if ((m = ncip_msg_new(NCIP_CREATE_USER)) == NULL ||
	    (ad = ncip_msg_calloc(m, 3, sizeof(*ad))) == NULL) {
		ncip_msg_free(m);
		visit_end(t, CIRC_E_REFUSED, "The gateway is short of memory.");
		return (-1);
	}
	m->user.present = 1;
	m->user.name.present = 1;
	if (v->name != NULL && !(share.withheld & POLICY_F_NAME))
		m->user.name.unstructured = ncip_msg_strdup(m, v->name);
	else {
		/* NameInformation is needed; say whose visitor it is. */
		snprintf(name, sizeof(name), "Visitor from %s", home != NULL ?
		    home->name : v->home);
		m->user.name.unstructured = ncip_msg_strdup(m, name);
	}
	m->user.addresses = ad;
	/* A UserId chosen by the caller makes a retry recognisable. */
	if (v->user_id != NULL)
		m->user_id.value = ncip_msg_strdup(m, v->user_id);
	if (v->address != NULL && !(share.withheld & POLICY_F_ADDRESS)) {
		ad->kind = NCIP_ADDR_PHYSICAL;
		ad->role.value = "Home";
		ad->physical_type.value = "Postal Address";
		ad->unstructured_type.value = "Newline-Delimited Text";
		ad->unstructured = ncip_msg_strdup(m, v->address);
		m->user.naddresses++;
	}
	if (v->email != NULL && !(share.withheld & POLICY_F_EMAIL))
		visit_contact(m, "mailto", v->email);
	if (v->phone != NULL && !(share.withheld & POLICY_F_PHONE))
		visit_contact(m, "tel", v->phone);
	v->create = m;
	visit_start(t, VISIT_CREATE);
	return (1);
}

/* Add an electronic address, for notices, to a CreateUser's room. */
static void
visit_contact(struct ncip_msg *m, const char *type, const char *value)
{
	struct ncip_address	*ad = &m->user.addresses[m->user.naddresses];

	ad->kind = NCIP_ADDR_ELECTRONIC;
	ad->role.value = "Notice";
	ad->electronic_type.value = type;
	ad->electronic = ncip_msg_strdup(m, value);
	m->user.naddresses++;
}

/*
 * Record the link of v->pool at the lender to the patron (a person made
 * for the card first when the store has none): 1 when the write is
 * under way, -1 after ending the visit.
 */
static int
visit_record(struct serve_txn *t)
{
	struct serve_visit	*v = t->visit;
	struct idstore_write	 w;

	memset(&w, 0, sizeof(w));
	w.creator = v->creator != NULL ? v->creator : t->serving;
	w.reason = v->reason != NULL ? v->reason : "visiting-loan";
	if (v->known) {
		w.op = IDSTORE_LINK;
		memcpy(w.person, v->person.person, IDSTORE_ID_LEN);
		w.partner = v->lender;
		w.barcode = v->pool;
	} else {
		w.op = IDSTORE_CREATE;
		w.partner = v->home;
		w.patron_key = v->key;
		w.barcode = v->orig.patron;
	}
	if (idstore_submit(gw->store, &w, visit_link_cb,
	    (void *)(uintptr_t)t->id) == -1) {
		visit_end(t, CIRC_E_REFUSED, "The gateway cannot record the "
		    "link now; please try again.");
		return (-1);
	}
	v->phase = VISIT_LINKING;
	return (1);
}

/* A write of visit_record() is committed or refused. */
static void
visit_link_cb(int result, const struct idstore_write *w, void *arg)
{
	struct serve_txn	*t;
	struct serve_visit	*v;
	struct idstore_write	 l;

	if ((t = serve_find((uintptr_t)arg)) == NULL ||
	    (v = t->visit) == NULL || v->phase != VISIT_LINKING)
		return;
	if (result == IDSTORE_OK && w->op == IDSTORE_CREATE) {
		memset(&l, 0, sizeof(l));
		l.op = IDSTORE_LINK;
		memcpy(l.person, w->person, IDSTORE_ID_LEN);
		l.partner = v->lender;
		l.barcode = v->pool;
		l.creator = v->creator != NULL ? v->creator : t->serving;
		l.reason = v->reason != NULL ? v->reason : "visiting-loan";
		if (idstore_submit(gw->store, &l, visit_link_cb, arg) == 0)
			return;
		result = IDSTORE_FAIL;
	}
	if (v->alone && link_taken(t, result, w))
		return;
	if (result != IDSTORE_OK) {
		log_warnx("xid=%llu event=visit link=\"%s\"",
		    (unsigned long long)t->id, idstore_strerror(result));
		visit_end(t, CIRC_E_REFUSED, result == IDSTORE_EXISTS ?
		    "That visitor account was just taken; please try "
		    "again." : "The gateway cannot record the link now; "
		    "please try again.");
		serve_finish(t);
		return;
	}
	log_info("xid=%llu event=visit-link home=%s lender=%s",
	    (unsigned long long)t->id, v->home, v->lender);
	v->linked = v->pool;
	visit_start(t, VISIT_LENDER);
}

/* --- the gateway's own calls ---------------------------------------- */

/* Copy a string into the arena; 0, or -1 when memory ran out. */
static int
inner_str(struct serve_txn *t, const char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL)
		return (0);
	return ((*dst = circ_strdup(t->arena, src)) == NULL ? -1 : 0);
}

/*
 * Give a person a linked account at a partner, as a visit does before its
 * loan: a free visitor account of the partner's, else one its NCIP ILS
 * makes with what the home's terms let leave, then the link committed.
 * cb(error, barcode, screen, arg) runs once, perhaps before this returns:
 * CIRC_E_NONE with the account's barcode there (NULL when the person had
 * one already), else why not.  The strings are copied.  Returns -1 on no
 * memory; cb is then not called.
 */
int
serve_link(const struct serve_link *l, serve_link_cb cb, void *arg)
{
	struct serve_txn	*t;
	struct serve_visit	*v;

	if ((t = serve_new(SERVE_OWN, 0, 0)) == NULL)
		return (-1);
	if ((v = t->visit = calloc(1, sizeof(*v))) == NULL ||
	    inner_str(t, &v->pclass, l->pclass) == -1 ||
	    inner_str(t, &v->user_id, l->user_id) == -1 ||
	    inner_str(t, &v->name, l->name) == -1 ||
	    inner_str(t, &v->address, l->address) == -1 ||
	    inner_str(t, &v->email, l->email) == -1 ||
	    inner_str(t, &v->phone, l->phone) == -1 ||
	    inner_str(t, &v->birth, l->birth) == -1 ||
	    inner_str(t, &v->creator, l->creator) == -1 ||
	    inner_str(t, &v->reason, l->reason) == -1) {
		serve_free(t);
		return (-1);
	}
	t->link_cb = cb;
	t->own_arg = arg;
	v->alone = 1;
	v->known = 1;
	memcpy(v->person.person, l->person, IDSTORE_ID_LEN);
	snprintf(v->home, sizeof(v->home), "%s", l->home);
	snprintf(v->lender, sizeof(v->lender), "%s", l->lender);
	snprintf(t->serving, sizeof(t->serving), "%s", l->home);
	snprintf(t->partner, sizeof(t->partner), "%s", l->lender);
	if (gw->store == NULL)
		visit_end(t, CIRC_E_REFUSED, "The gateway has no identity "
		    "store.");
	else if (visit_take(t) == 1)
		return (0);
	serve_finish(t);
	return (0);
}

/*
 * A link step's write ended: 1 when that ends the step well (the link is
 * made, or was made by an earlier try of the same step, or the person
 * had an account there already), 0 when the failure is to be reported.
 */
static int
link_taken(struct serve_txn *t, int result, const struct idstore_write *w)
{
	struct serve_visit	*v = t->visit;

	if (result == IDSTORE_CONFLICT)
		/* XXX: an account made here just now is left unlinked. */
		log_warnx("xid=%llu event=link lender=%s result=\"the person "
		    "has an account there already\"",
		    (unsigned long long)t->id, v->lender);
	else if (result == IDSTORE_EXISTS && memcmp(w->person,
	    v->person.person, IDSTORE_ID_LEN) != 0)
		return (0);
	else if (result != IDSTORE_OK && result != IDSTORE_EXISTS)
		return (0);
	if (result != IDSTORE_CONFLICT)
		v->linked = v->pool;
	log_info("xid=%llu event=link home=%s lender=%s reason=%s",
	    (unsigned long long)t->id, v->home, v->lender, v->reason != NULL ?
	    v->reason : "-");
	v->phase = VISIT_DONE;
	serve_res_init(&t->res);
	t->res.ok = 1;
	serve_finish(t);
	return (1);
}

/* --- a person's linked accounts, combined ---------------------------- */

/*
 * The accounts linked to a patron of partner home at other partners with
 * an agreement in force with it, into ids and barcodes (arrays of
 * IDSTORE_ACCOUNTS_MAX, barcodes copied into the arena when one is
 * given, else only counted).  Returns how many, 0 for none or no store.
 */
static size_t
serve_linked(const char *home, const char *barcode, struct circ_arena *a,
    char (*ids)[CONF_NAME_MAX], const char **codes)
{
	const struct policy_agreement *ags, *ag;
	struct idstore_person	*p;
	struct idstore_ref	 r;
	size_t			 i, n = 0, nags;

	/* Most cards have no links: a keyed lookup only when some do. */
	if (gw->store == NULL || barcode == NULL ||
	    !idstore_has_links(gw->store) ||
	    idstore_find_barcode(gw->store, home, barcode, &r) != IDSTORE_OK)
		return (0);
	if ((p = malloc(sizeof(*p))) == NULL)
		return (0);
	ags = agreement_list(&nags);
	if (idstore_person(gw->store, r.person, p) == IDSTORE_OK) {
		for (i = 0; i < p->naccounts; i++) {
			if (strcmp(p->accounts[i].partner, home) == 0 ||
			    p->accounts[i].nbarcodes == 0 ||
			    (ag = policy_agreement_find(ags, nags, home,
			    p->accounts[i].partner)) == NULL ||
			    !policy_active(ag))
				continue;
			if (ids != NULL) {
				snprintf(ids[n], CONF_NAME_MAX, "%s",
				    p->accounts[i].partner);
				codes[n] = circ_strdup(a,
				    p->accounts[i].barcodes[0]);
			}
			n++;
		}
	}
	OPENSSL_cleanse(p, sizeof(*p));
	free(p);
	return (n);
}

/* Return 1 if a patron information about this patron is to combine. */
int
serve_combines(const struct conf_partner *home, const char *barcode)
{
	return (serve_linked(home->id, barcode, NULL, NULL, NULL) > 0);
}

/*
 * A patron information for a person with linked accounts elsewhere gets
 * a plan: their calls follow the home's.  0, or -1 on no memory.  A
 * patron status does not combine: the keyed lookup it would need costs
 * as much as forwarding it, on every kiosk sign-in.
 */
static int
combine_plan(struct serve_txn *t, const char *home)
{
	struct serve_combine	*c;

	if (t->req.op == NULL || t->req.op->op != CIRC_PATRON_INFO ||
	    t->req.patron == NULL || !serve_combines(conf_partner_find(
	    gw->conf, home), t->req.patron))
		return (0);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (-1);
	c->orig = t->req;
	snprintf(c->home, sizeof(c->home), "%s", home);
	c->n = serve_linked(home, t->req.patron, t->arena, c->partner,
	    c->barcode);
	t->combine = c;
	return (0);
}

/*
 * The home or a linked account answered.  Returns 1 when the next
 * linked account is asked, 0 when t->res holds the sum to answer with.
 */
static int
combine_next(struct serve_txn *t)
{
	struct serve_combine	*c = t->combine;
	const struct conf_partner *owner, *at;

	owner = conf_partner_find(gw->conf, t->partner);
	at = conf_partner_find(gw->conf, t->serving);
	if (c->next == 0) {
		/* The home's answer: only a card it knows, PIN right. */
		if (!t->res.patron.found || t->res.patron.pin_ok == 0 ||
		    t->res.error != CIRC_E_NONE || owner == NULL ||
		    at == NULL) {
			t->combine = NULL;
			free(c);
			return (0);
		}
		if (owner != at)
			agreement_filter(&c->orig, &t->res, t->arena, owner,
			    at);
		c->sum = t->res;
	} else if (owner != NULL && at != NULL)
		combine_add(t, &t->res);

	if (c->next < c->n) {
		t->req = c->orig;
		t->req.patron = c->barcode[c->next];
		t->req.pin = NULL;
		t->req.has_pin = 0;
		t->req.want_class = 1;
		serve_call(t, c->partner[c->next++]);
		return (1);
	}

	/* Done: the sum, already filtered, answers for the home's card. */
	t->req = c->orig;
	t->res = c->sum;
	snprintf(t->partner, sizeof(t->partner), "%s", t->serving);
	return (0);
}

/* Add a linked account's answer, passed through its owner's terms. */
static void
combine_add(struct serve_txn *t, struct circ_result *r)
{
	struct serve_combine	*c = t->combine;
	struct circ_patron	*sum = &c->sum.patron, *pt = &r->patron;
	const struct conf_partner *owner, *at;
	const char		**list;
	char			 buf[SIP2_FIELD_MAX + 1];
	size_t			 i, k;

	owner = conf_partner_find(gw->conf, t->partner);
	at = conf_partner_find(gw->conf, t->serving);
	if (!pt->found || r->error != CIRC_E_NONE) {
		snprintf(buf, sizeof(buf), "%s%s%s could not tell its part.",
		    c->sum.screen != NULL ? c->sum.screen : "",
		    c->sum.screen != NULL ? " " : "", owner->name);
		c->sum.screen = circ_strdup(t->arena, buf);
		return;
	}
	/* Of its own words only the label of what is owed there stays. */
	r->screen = NULL;
	if (owner != at)
		agreement_filter(&c->orig, r, t->arena, owner, at);
	if (!pt->found)
		return;		/* its class is not shown here */

	for (i = 0; i < CIRC_LIST__COUNT; i++) {
		sum->counts[i] += pt->counts[i];
		if (pt->nlists[i] == 0)
			continue;
		if ((list = circ_alloc(t->arena, (sum->nlists[i] +
		    pt->nlists[i]) * sizeof(*list))) == NULL)
			continue;
		for (k = 0; k < sum->nlists[i]; k++)
			list[k] = sum->lists[i][k];
		for (k = 0; k < pt->nlists[i]; k++)
			list[sum->nlists[i] + k] = pt->lists[i][k];
		sum->lists[i] = list;
		sum->nlists[i] += pt->nlists[i];
	}
	/* A block anywhere shows; what is owed stays with who is owed. */
	for (i = 0; i < sizeof(sum->status) - 1; i++)
		if (pt->status[i] == 'Y')
			sum->status[i] = 'Y';
	if (r->screen != NULL) {
		snprintf(buf, sizeof(buf), "%s%s%s", c->sum.screen != NULL ?
		    c->sum.screen : "", c->sum.screen != NULL ? " " : "",
		    r->screen);
		c->sum.screen = circ_strdup(t->arena, buf);
	}
}

/* --- cards no partner claims ----------------------------------------- */

/*
 * The partners other than at with an agreement in force with it, into
 * ids (IDSTORE_ACCOUNTS_MAX of them at most); returns how many.
 */
static size_t
serve_others(const char *at, char (*ids)[CONF_NAME_MAX])
{
	const struct policy_agreement *ags, *ag;
	const struct conf_partner *p;
	size_t			 n = 0, nags;

	ags = agreement_list(&nags);
	TAILQ_FOREACH(p, &gw->conf->partners, entry) {
		if (n == IDSTORE_ACCOUNTS_MAX)
			break;
		if (strcmp(p->id, at) == 0 || !p->has_backend ||
		    (ag = policy_agreement_find(ags, nags, at, p->id)) ==
		    NULL || !policy_active(ag))
			continue;
		if (ids != NULL)
			snprintf(ids[n], CONF_NAME_MAX, "%s", p->id);
		n++;
	}
	return (n);
}

/*
 * Return 1 if a patron request at partner at is about a card no partner
 * claims, with partners to ask: it is then served through the neutral
 * form so that they can be.
 */
int
serve_discovers(const struct conf_partner *at, const struct circ_req *req)
{
	if (req->op == NULL || (req->op->op != CIRC_PATRON_STATUS &&
	    req->op->op != CIRC_PATRON_INFO) || req->patron == NULL ||
	    *req->patron == '\0' || route_patron(gw->conf, req->patron) !=
	    NULL)
		return (0);
	return (serve_others(at->id, NULL) > 0);
}

/* Plan a discovery for the request in t when it needs one; -1: memory. */
static int
discover_plan(struct serve_txn *t, const char *at)
{
	const struct conf_partner *p;
	struct serve_discover	*d;

	if ((p = conf_partner_find(gw->conf, at)) == NULL ||
	    !serve_discovers(p, &t->req))
		return (0);
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return (-1);
	d->orig = t->req;
	d->n = serve_others(at, d->partner);
	t->discover = d;
	return (0);
}

/*
 * An answer in a discovery.  Returns 1 when the next call is made, 0
 * when t->req and t->res hold the request and the answer to give.
 */
static int
discover_next(struct serve_txn *t)
{
	struct serve_discover	*d = t->discover;
	struct idstore_write	 w;

	switch (d->phase) {
	case DISCOVER_OWN:
		/* Known here, or the own ILS could not say: no asking. */
		if (t->res.patron.found || (t->res.error != CIRC_E_NONE &&
		    t->res.error != CIRC_E_UNKNOWN_PATRON)) {
			t->discover = NULL;
			free(d);
			return (0);
		}
		d->own = t->res;
		d->phase = DISCOVER_ASK;
		break;
	case DISCOVER_ASK:
		if (!t->res.patron.found)
			break;
		/* Remembered for the next request; not what is answered. */
		memset(&w, 0, sizeof(w));
		w.op = IDSTORE_CREATE;
		w.partner = t->partner;
		w.patron_key = t->res.user_id;
		w.barcode = d->orig.patron;
		w.creator = t->serving;
		w.reason = "discovered";
		if (gw->store == NULL || idstore_submit(gw->store, &w,
		    discover_remembered, NULL) == -1)
			log_warnx("xid=%llu event=discover remember=failed",
			    (unsigned long long)t->id);
		log_info("xid=%llu event=discover at=%s owner=%s",
		    (unsigned long long)t->id, t->serving, t->partner);
		d->phase = DISCOVER_THERE;
		t->req = d->orig;
		t->req.want_class = 1;
		serve_call(t, t->partner);
		return (1);
	default:
		/* The request where the card is known: the filter follows. */
		t->discover = NULL;
		free(d);
		return (0);
	}

	if (d->next < d->n) {
		memset(&t->req, 0, sizeof(t->req));
		t->req.op = circ_op_sip2(SIP2_PATRON_STATUS);
		t->req.patron = d->orig.patron;
		t->req.summary = -1;
		serve_call(t, d->partner[d->next++]);
		return (1);
	}
	/* No one knows the card: the own ILS's answer stands. */
	t->req = d->orig;
	t->res = d->own;
	snprintf(t->partner, sizeof(t->partner), "%s", t->serving);
	t->discover = NULL;
	free(d);
	return (0);
}

/* The store took the discovered card, or could not; nobody waits. */
static void
discover_remembered(int result, const struct idstore_write *w, void *arg)
{
	if (result != IDSTORE_OK && result != IDSTORE_EXISTS)
		log_warnx("discover event=remember result=\"%s\"",
		    idstore_strerror(result));
}

/* --- a card asked about for the gateway itself ----------------------- */

/* What a lookup's caller waits with. */
struct lookup_wait {
	serve_lookup_cb		 cb;
	uint64_t		 id;
};

/*
 * Ask partner's ILS about a card by barcode alone, never with a PIN, as a
 * visit asks the home: SIP2 63 without lists, or NCIP LookupUser, with
 * the class.  The answer goes to cb with id exactly once when 0 is
 * returned, before the return already when the partner is offline; -1
 * (no memory) means no call and no callback.
 */
int
serve_lookup(const char *partner, const char *barcode, serve_lookup_cb cb,
    uint64_t id)
{
	struct lookup_wait	*l;
	struct circ_req		 req;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return (-1);
	l->cb = cb;
	l->id = id;
	memset(&req, 0, sizeof(req));
	req.op = circ_op_sip2(SIP2_PATRON_STATUS);
	req.patron = barcode;
	req.summary = -1;
	req.want_class = 1;
	/* Asked by the gateway at the ILS's own partner: nothing to filter. */
	if (serve_own(partner, NULL, &req, lookup_done, l) == -1) {
		free(l);
		return (-1);
	}
	return (0);
}

/* Hand a lookup's answer to whoever asked. */
static void
lookup_done(const struct circ_req *req, const struct circ_result *res,
    void *arg)
{
	struct lookup_wait	*l = arg;
	struct serve_patron	 sp;

	memset(&sp, 0, sizeof(sp));
	sp.found = res->patron.found;
	sp.error = res->error;
	sp.pclass = res->patron.pclass;
	sp.key = res->user_id;
	l->cb(l->id, &sp);
	free(l);
}
