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

#include "circlinkd.h"
#include "ncip.h"

#define SERVE_HASH	1024	/* buckets; transactions chain */
#define SERVE_KEEP_MAX	16	/* answers one transaction holds */

enum serve_front {
	SERVE_SIP2,		/* a terminal's SIP2 session */
	SERVE_NCIP,		/* an ILS's NCIP call */
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
	t->res.queue_position = -1;
	t->res.item.hold_queue = -1;
	t->res.patron.pin_ok = -1;
	t->res.patron.fee_limit = -1;
	t->res.desensitize = -1;
	clock_gettime(CLOCK_MONOTONIC, &t->started);
	t->hnext = serve_hash[t->id % SERVE_HASH];
	serve_hash[t->id % SERVE_HASH] = t;
	return (t);
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
	free(t);
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

	if ((t = serve_new(SERVE_SIP2, sid, txn)) == NULL ||
	    (t->sip2 = sip2_msg_dup(msg)) == NULL) {
		if (t != NULL)
			serve_free(t);
		session_answer(sid, txn, NULL, "out of memory");
		return;
	}
	snprintf(t->partner, sizeof(t->partner), "%s", p->id);
	snprintf(t->serving, sizeof(t->serving), "%s", from->id);
	if (xlate_sip2_req(&t->req, t->sip2) == -1) {
		serve_fail(t, CIRC_E_NEEDED_DATA, NULL);
		return;
	}
	/* The class decides what of another partner's patron may show. */
	t->req.want_class = p != from;
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
	struct conf_partner	*p;
	struct ncip_msg		*resp;
	struct policy_decision	 dec;

	if ((t = serve_new(SERVE_NCIP, call, 0)) == NULL) {
		resp = ncip_reply_problem(req, NCIP_PT_TEMPORARY_FAILURE,
		    NULL, "The gateway is short of memory.");
		ncip_msg_free(req);
		if (resp != NULL)
			ncip_front_answer(call, resp);
		return;
	}
	t->ncip = req;
	snprintf(t->serving, sizeof(t->serving), "%s", caller->id);
	if (xlate_ncip_req(&t->req, req, t->arena) == -1) {
		snprintf(t->partner, sizeof(t->partner), "%s", caller->id);
		serve_fail(t, CIRC_E_NEEDED_DATA, NULL);
		return;
	}
	if ((p = circ_route(gw->conf, &t->req, caller, &dec)) == NULL) {
		snprintf(t->partner, sizeof(t->partner), "%s", caller->id);
		serve_fail(t, CIRC_E_NOT_ALLOWED, dec.message);
		return;
	}
	snprintf(t->partner, sizeof(t->partner), "%s", p->id);
	t->req.want_class = p != caller;
	serve_step(t);
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
	if (sm == NULL && nm == NULL) {
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
