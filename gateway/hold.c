/* SPDX-License-Identifier: ISC */
/*
 * Holds with pickup anywhere: the running tracker.  Requests live in
 * memory, indexed four ways, and are written through to the identity
 * store, sealed, before any answer that depends on them; at start-up they
 * are read back.  The checkins and checkouts that move a request along
 * are taken here from the fronts and carried out as calls of the
 * gateway's own (serve_own) at the owner and the pickup partner.
 */

#include "config.h"

#include <sys/queue.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>

#include <openssl/crypto.h>

#include "circlinkd.h"
#include "idstore.h"
#include "tracker.h"

#define HOLD_HASH		1024	/* buckets of each index */
#define HOLD_SWEEP_SEC		60	/* expiry and retention checks */
#define HOLD_SWEEP_FIRST	5	/* s after start-up: backends are up */
#define HOLD_EXPIRY_DAYS	90	/* a hold asked without an expiry */
#define HOLD_OWNERS_MAX		64	/* partners with untrapped holds */

/* The ways a request is found. */
enum hold_ix {
	HOLD_IX_ID,		/* its id */
	HOLD_IX_OWNER,		/* owner and item */
	HOLD_IX_PICKUP,		/* pickup partner and item */
	HOLD_IX_PATRON,		/* home and patron card */
	HOLD_IX__COUNT
};

/* One request in memory. */
struct hold {
	TAILQ_ENTRY(hold)	 entry;
	struct hold		*hnext[HOLD_IX__COUNT];
	int			 indexed;
	struct tracker_req	 r;
	int			 reserved;	/* not placed yet */
	int			 ahead;		/* on record, placing */
	uint64_t		 busy;		/* the job changing it, or 0 */
};
TAILQ_HEAD(holds, hold);

/* What a job is carrying out. */
enum hold_kind {
	HOLD_AHEAD,		/* record a hold before the owner is asked */
	HOLD_PLACE,		/* record a hold the owner has taken */
	HOLD_AGAIN,		/* a hold asked again: the same answer */
	HOLD_CANCEL,
	HOLD_CHECKIN,		/* a checkin at the owner */
	HOLD_RECEIVE,		/* a checkin at the pickup, in transit */
	HOLD_LOAN,		/* a checkout at the pickup */
	HOLD_RETURN,		/* a checkin at the pickup, lent */
	HOLD_OWED,		/* the owner's checkout, from the outbox */
};

/* The calls and writes of a job, each answered before the next. */
enum hold_phase {
	PH_START,
	PH_HOME,		/* the card and PIN at the home */
	PH_OWNER_CANCEL,
	PH_OWNER_CHECKIN,
	PH_OWNER_CHECKOUT,
	PH_OWNER_ITEM,		/* a trapped copy's facts */
	PH_PICKUP_ACCEPT,
	PH_PICKUP_CHECKOUT,
	PH_PICKUP_CHECKIN,
	PH_PICKUP_DELETE,
	PH_COMMIT,		/* the change being written */
};

enum hold_front {
	HF_NONE,		/* expiry: nobody waits */
	HF_SIP2,
	HF_NCIP,
	HF_CTL,
	HF_SERVE,		/* a visit waits (serve_resume) */
	HF_OUTBOX,		/* an outbox try waits (outbox_sent) */
};

/* One request from a front, or of the gateway's own, being served. */
struct hold_job {
	TAILQ_ENTRY(hold_job)	 entry;
	uint64_t		 id;
	enum hold_kind		 kind;
	enum hold_phase		 phase;
	enum hold_front		 front;
	uint64_t		 caller;	/* session, NCIP call, xid */
	uint32_t		 caller_txn;
	hold_ctl_cb		 ctl;
	struct sip2_msg		*sip2;
	struct ncip_msg		*ncip;
	struct circ_req		 req;		/* the caller's */
	struct circ_result	 res;		/* what it will hear */
	struct circ_arena	*arena;
	char			 at[CONF_NAME_MAX];	/* asked at */
	uint8_t			 rid[TRACKER_ID_LEN];
	int			 has_rid;
	struct tracker_req	 before;	/* to undo a refused write */
	int			 has_before;	/* saved before a change */
	enum tracker_event	 ev;
	enum tracker_who	 who;
	char			 reason[TRACKER_STR_MAX];
	int			 wrote;		/* the write's outcome */
	int			 owed;		/* the owner's checkout */
};
TAILQ_HEAD(hold_jobs, hold_job);

static struct holds	 holds = TAILQ_HEAD_INITIALIZER(holds);
static struct hold_jobs	 hold_jobs = TAILQ_HEAD_INITIALIZER(hold_jobs);
static struct hold	*hold_hash[HOLD_IX__COUNT][HOLD_HASH];
static size_t		 hold_n;
static uint64_t		 hold_next_job;
static struct event	*hold_sweep_ev;
/* Partners with holds placed by title, not trapped yet. */
static struct {
	char		 owner[TRACKER_STR_MAX];
	long		 n;
} hold_untrapped[HOLD_OWNERS_MAX];

static void	 hold_job_run(struct hold_job *, const struct circ_result *);
static void	 hold_answer(struct hold_job *);
static void	 hold_owed_added(enum outbox_status, const uint8_t *, void *);
static void	 hold_owe(const char *, const uint8_t *);
static int	 hold_agreed(const struct hold *);
static const char *hold_name(const char *);
static void	 hold_fail(struct hold_job *, enum circ_error, const char *,
		    ...) __attribute__((format(printf, 3, 4)));

/* --- the indexes ------------------------------------------------------ */

/* The key of h in index ix into buf; 0 when h is not in that index. */
static size_t
hold_key(const struct hold *h, enum hold_ix ix, char *buf, size_t len)
{
	const struct tracker_req *r = &h->r;
	int			 n;

	/* An ended request is found by its id only (for staff). */
	if (ix != HOLD_IX_ID && tracker_ended(r->state))
		return (0);
	switch (ix) {
	case HOLD_IX_ID:
		memcpy(buf, r->id, TRACKER_ID_LEN);
		return (TRACKER_ID_LEN);
	case HOLD_IX_OWNER:
		if (r->item[0] == '\0')
			return (0);
		n = snprintf(buf, len, "%s%c%s", r->owner, 0, r->item);
		break;
	case HOLD_IX_PICKUP:
		if (r->item[0] == '\0')
			return (0);
		n = snprintf(buf, len, "%s%c%s", r->pickup_partner, 0,
		    r->item);
		break;
	default:
		n = snprintf(buf, len, "%s%c%s", r->home, 0, r->patron);
		break;
	}
	return (n < 0 || (size_t)n >= len ? 0 : (size_t)n);
}

/* FNV-1a of a key, as a bucket. */
static unsigned
hold_bucket(const char *key, size_t len)
{
	uint32_t	 h = 2166136261u;
	size_t		 i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 16777619u;
	}
	return (h % HOLD_HASH);
}

/* Count a title hold at its owner while it waits to be trapped. */
static void
hold_count_untrapped(const struct hold *h, int delta)
{
	size_t	 i, free_slot = HOLD_OWNERS_MAX;

	if (h->r.state != TRACKER_PLACED || h->r.item[0] != '\0')
		return;
	for (i = 0; i < HOLD_OWNERS_MAX; i++) {
		if (hold_untrapped[i].n > 0 &&
		    strcmp(hold_untrapped[i].owner, h->r.owner) == 0) {
			hold_untrapped[i].n += delta;
			return;
		}
		if (hold_untrapped[i].n == 0 && free_slot == HOLD_OWNERS_MAX)
			free_slot = i;
	}
	if (delta > 0 && free_slot < HOLD_OWNERS_MAX) {
		snprintf(hold_untrapped[free_slot].owner,
		    sizeof(hold_untrapped[free_slot].owner), "%s",
		    h->r.owner);
		hold_untrapped[free_slot].n = delta;
	}
}

/* Return 1 if partner owns title holds waiting to be trapped. */
static int
hold_owner_waits(const char *owner)
{
	size_t	 i;

	for (i = 0; i < HOLD_OWNERS_MAX; i++)
		if (hold_untrapped[i].n > 0 &&
		    strcmp(hold_untrapped[i].owner, owner) == 0)
			return (1);
	return (0);
}

static void
hold_index(struct hold *h)
{
	char		 key[2 * TRACKER_STR_MAX + 2];
	size_t		 len;
	unsigned	 b;
	int		 ix;

	for (ix = 0; ix < HOLD_IX__COUNT; ix++) {
		h->hnext[ix] = NULL;
		if ((len = hold_key(h, ix, key, sizeof(key))) == 0)
			continue;
		b = hold_bucket(key, len);
		h->hnext[ix] = hold_hash[ix][b];
		hold_hash[ix][b] = h;
	}
	hold_count_untrapped(h, 1);
	h->indexed = 1;
}

static void
hold_unindex(struct hold *h)
{
	struct hold	**hp;
	char		 key[2 * TRACKER_STR_MAX + 2];
	size_t		 len;
	int		 ix;

	if (!h->indexed)
		return;
	for (ix = 0; ix < HOLD_IX__COUNT; ix++) {
		if ((len = hold_key(h, ix, key, sizeof(key))) == 0)
			continue;
		for (hp = &hold_hash[ix][hold_bucket(key, len)]; *hp != NULL;
		    hp = &(*hp)->hnext[ix])
			if (*hp == h) {
				*hp = h->hnext[ix];
				break;
			}
	}
	hold_count_untrapped(h, -1);
	h->indexed = 0;
}

/* A new request in memory, indexed; NULL on no memory. */
static struct hold *
hold_add(const struct tracker_req *r)
{
	struct hold	*h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return (NULL);
	h->r = *r;
	hold_index(h);
	TAILQ_INSERT_TAIL(&holds, h, entry);
	hold_n++;
	return (h);
}

static void
hold_remove(struct hold *h)
{
	hold_unindex(h);
	TAILQ_REMOVE(&holds, h, entry);
	hold_n--;
	OPENSSL_cleanse(h, sizeof(*h));
	free(h);
}

/* Find by id, whatever its state. */
static struct hold *
hold_by_id(const uint8_t *id)
{
	struct hold	*h;

	for (h = hold_hash[HOLD_IX_ID][hold_bucket((const char *)id,
	    TRACKER_ID_LEN)]; h != NULL; h = h->hnext[HOLD_IX_ID])
		if (memcmp(h->r.id, id, TRACKER_ID_LEN) == 0)
			return (h);
	return (NULL);
}

/* The live request whose item this is at a partner, as owner or pickup. */
static struct hold *
hold_by_item(enum hold_ix ix, const char *partner, const char *item)
{
	struct hold	*h;
	char		 key[2 * TRACKER_STR_MAX + 2];
	int		 n;

	if (item == NULL)
		return (NULL);
	n = snprintf(key, sizeof(key), "%s%c%s", partner, 0, item);
	if (n < 0 || (size_t)n >= sizeof(key))
		return (NULL);
	for (h = hold_hash[ix][hold_bucket(key, n)]; h != NULL;
	    h = h->hnext[ix]) {
		if (h->reserved || h->r.state == TRACKER_NONE ||
		    tracker_ended(h->r.state) || strcmp(h->r.item, item) != 0)
			continue;
		if (strcmp(ix == HOLD_IX_OWNER ? h->r.owner :
		    h->r.pickup_partner, partner) == 0)
			return (h);
	}
	return (NULL);
}

/*
 * The request of a patron (home, card) for an item or title not ended,
 * reserved ones too; NULL when none.
 */
static struct hold *
hold_by_patron(const char *home, const char *patron, const char *item,
    const char *title, const char *bib)
{
	struct hold	*h;
	char		 key[2 * TRACKER_STR_MAX + 2];
	int		 n;

	if (home == NULL || patron == NULL)
		return (NULL);
	n = snprintf(key, sizeof(key), "%s%c%s", home, 0, patron);
	if (n < 0 || (size_t)n >= sizeof(key))
		return (NULL);
	for (h = hold_hash[HOLD_IX_PATRON][hold_bucket(key, n)]; h != NULL;
	    h = h->hnext[HOLD_IX_PATRON]) {
		if (tracker_ended(h->r.state) || strcmp(h->r.home, home) ||
		    strcmp(h->r.patron, patron))
			continue;
		if (item != NULL && strcmp(h->r.item, item) == 0)
			return (h);
		if (item == NULL && title != NULL &&
		    strcasecmp(h->r.title, title) == 0)
			return (h);
		if (item == NULL && bib != NULL && strcmp(h->r.bib, bib) == 0)
			return (h);
	}
	return (NULL);
}

/*
 * The title hold placed by a linked account at an owner that a checkin
 * there trapped: the one for that title, else the account's only one.
 */
static struct hold *
hold_by_account(const char *owner, const char *account, const char *title)
{
	struct hold	*h, *only = NULL;
	int		 n = 0;

	if (account == NULL || !hold_owner_waits(owner))
		return (NULL);
	TAILQ_FOREACH(h, &holds, entry) {
		if (h->reserved || h->r.state != TRACKER_PLACED ||
		    h->r.item[0] != '\0' || strcmp(h->r.owner, owner) != 0 ||
		    strcmp(h->r.account, account) != 0)
			continue;
		if (title != NULL && strcasecmp(h->r.title, title) == 0)
			return (h);
		only = h;
		n++;
	}
	return (n == 1 ? only : NULL);
}

/* --- the store -------------------------------------------------------- */

static void	 hold_written(int, const struct idstore_write *, void *);

/* Write h as it is now for job j; 0, or -1 when it cannot be queued. */
static int
hold_write(struct hold *h, struct hold_job *j)
{
	struct idstore_write	 w;
	char			 buf[IDSTORE_RECORD_MAX];
	int			 n;

	if (gw->store == NULL ||
	    (n = tracker_encode(&h->r, buf, sizeof(buf))) == -1)
		return (-1);
	memset(&w, 0, sizeof(w));
	w.op = IDSTORE_REC_PUT;
	w.kind = IDSTORE_KIND_REQUEST;
	w.rec_key = h->r.id;
	w.rec_keylen = TRACKER_ID_LEN;
	w.rec_value = buf;
	w.rec_len = n;
	n = idstore_submit(gw->store, &w, hold_written,
	    (void *)(uintptr_t)j->id);
	OPENSSL_cleanse(buf, sizeof(buf));
	return (n);
}

static struct hold_job *
hold_job_find(uint64_t id)
{
	struct hold_job	*j;

	TAILQ_FOREACH(j, &hold_jobs, entry)
		if (j->id == id)
			return (j);
	return (NULL);
}

/* A write is committed or refused: the job goes on. */
static void
hold_written(int result, const struct idstore_write *w, void *arg)
{
	struct hold_job	*j;

	if ((j = hold_job_find((uintptr_t)arg)) == NULL)
		return;
	if (result != IDSTORE_OK)
		log_warnx("hold event=write-failed why=\"%s\"",
		    idstore_strerror(result));
	j->wrote = result == IDSTORE_OK;
	hold_job_run(j, NULL);
}

/* A record forgotten, or not: nobody waits, the log says. */
static void
hold_forgotten(int result, const struct idstore_write *w, void *arg)
{
	if (result != IDSTORE_OK && result != IDSTORE_NOTFOUND)
		log_warnx("hold event=forget-failed why=\"%s\"",
		    idstore_strerror(result));
}

/* Forget a record in the store; nobody waits. */
static void
hold_forget(const uint8_t *id)
{
	struct idstore_write	 w;

	memset(&w, 0, sizeof(w));
	w.op = IDSTORE_REC_DEL;
	w.kind = IDSTORE_KIND_REQUEST;
	w.rec_key = id;
	w.rec_keylen = TRACKER_ID_LEN;
	if (gw->store != NULL && idstore_submit(gw->store, &w,
	    hold_forgotten, NULL) == -1)
		log_warnx("hold event=forget-failed");
}

/* --- jobs ------------------------------------------------------------- */

static struct hold_job *
hold_job_new(enum hold_kind kind, enum hold_front front, const char *at)
{
	struct hold_job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return (NULL);
	if ((j->arena = circ_arena_new()) == NULL) {
		free(j);
		return (NULL);
	}
	j->id = ++hold_next_job;
	j->kind = kind;
	j->front = front;
	snprintf(j->at, sizeof(j->at), "%s", at);
	serve_res_init(&j->res);
	TAILQ_INSERT_TAIL(&hold_jobs, j, entry);
	return (j);
}

static void
hold_job_free(struct hold_job *j)
{
	struct hold	*h;

	if ((h = hold_by_id(j->rid)) != NULL && h->busy == j->id)
		h->busy = 0;
	TAILQ_REMOVE(&hold_jobs, j, entry);
	sip2_msg_free(j->sip2);
	ncip_msg_free(j->ncip);
	circ_arena_free(j->arena);
	OPENSSL_cleanse(&j->before, sizeof(j->before));
	free(j);
}

static void	 hold_called(const struct circ_req *,
		    const struct circ_result *, void *);

/* Make a call at partner for job j, which goes on when it is answered. */
static void
hold_call(struct hold_job *j, enum hold_phase phase, const char *partner,
    const struct circ_req *req)
{
	struct hold	*h;

	j->phase = phase;
	/* Revoked: no call for the request but at the partner asked. */
	if (strcmp(partner, j->at) != 0 && j->has_rid &&
	    (h = hold_by_id(j->rid)) != NULL && !hold_agreed(h)) {
		log_info("policy event=deny audit=agreement-inactive "
		    "op=hold-step home=%s owner=%s to=%s", h->r.home,
		    h->r.owner, partner);
		hold_fail(j, CIRC_E_NOT_ALLOWED, "The agreement between %s "
		    "and %s is not in force: %s is not asked.",
		    hold_name(h->r.home), hold_name(h->r.owner),
		    hold_name(partner));
		return;
	}
	if (serve_own(partner, j->at, req, hold_called,
	    (void *)(uintptr_t)j->id) == -1) {
		j->res.ok = 0;
		j->res.error = CIRC_E_REFUSED;
		j->res.screen = "The gateway is short of memory.";
		hold_answer(j);
	}
}

static void
hold_called(const struct circ_req *req, const struct circ_result *res,
    void *arg)
{
	struct hold_job	*j;

	if ((j = hold_job_find((uintptr_t)arg)) != NULL)
		hold_job_run(j, res);
}

/* An empty request of an operation, for a call of the gateway's own. */
static void
hold_req(struct circ_req *req, const struct circ_op_info *op)
{
	memset(req, 0, sizeof(*req));
	req->op = op;
	req->summary = -1;
}

/* Keep what a result says for the answer, its strings in the arena. */
static void
hold_keep(struct hold_job *j, const struct circ_result *r)
{
	struct circ_arena	*a = j->arena;
	struct circ_result	*k = &j->res;

	k->ok = r->ok;
	k->error = r->error;
	k->screen = circ_strdup(a, r->screen);
	k->print = circ_strdup(a, r->print);
	k->due = r->due;
	k->due_text = circ_strdup(a, r->due_text);
	k->renewal_ok = r->renewal_ok;
	k->desensitize = r->desensitize;
	k->resensitize = r->resensitize;
	k->magnetic = r->magnetic;
	k->alert = r->alert;
	k->destination = circ_strdup(a, r->destination);
	k->sort_bin = circ_strdup(a, r->sort_bin);
	k->alert_type = r->alert_type;
	k->hold_patron = circ_strdup(a, r->hold_patron);
	k->queue_position = r->queue_position;
	k->pickup = circ_strdup(a, r->pickup);
	k->hold_expiry = r->hold_expiry;
	k->available = r->available;
	k->request_id = circ_strdup(a, r->request_id);
	k->transaction_id = circ_strdup(a, r->transaction_id);
	k->item = r->item;
	k->item.id = circ_strdup(a, r->item.id);
	k->item.title = circ_strdup(a, r->item.title);
	k->item.author = circ_strdup(a, r->item.author);
	k->item.call_number = circ_strdup(a, r->item.call_number);
	k->item.collection = circ_strdup(a, r->item.collection);
	k->item.media = circ_strdup(a, r->item.media);
	k->item.owner = circ_strdup(a, r->item.owner);
	k->item.permanent_location = circ_strdup(a,
	    r->item.permanent_location);
	k->item.current_location = circ_strdup(a, r->item.current_location);
	k->item.props = circ_strdup(a, r->item.props);
	k->patron.found = r->patron.found;
	k->patron.pin_ok = r->patron.pin_ok;
}

/* Return 1 if a result says the partner could not be asked at all. */
static int
hold_unreached(const struct circ_result *r)
{
	return (!r->ok && (r->error == CIRC_E_OFFLINE ||
	    r->error == CIRC_E_TIMEOUT || r->error == CIRC_E_REFUSED ||
	    r->error == CIRC_E_NOT_SUPPORTED ||
	    r->error == CIRC_E_NEEDED_DATA));
}

/* A partner's name for the screen. */
static const char *
hold_name(const char *id)
{
	const struct conf_partner *p = conf_partner_find(gw->conf, id);

	return (p != NULL && p->name != NULL ? p->name : id);
}

/* End job j with an error and a screen message of ours. */
static void
hold_fail(struct hold_job *j, enum circ_error e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
hold_fail(struct hold_job *j, enum circ_error e, const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[1024];

	j->res.ok = 0;
	j->res.error = e;
	j->res.screen = NULL;
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(buf, sizeof(buf), fmt, ap);
		va_end(ap);
		j->res.screen = circ_strdup(j->arena, buf);
	}
	hold_answer(j);
}

/* Keep the request as it is, to undo what changes before its commit. */
static void
hold_save(struct hold_job *j, const struct hold *h)
{
	j->before = h->r;
	j->has_before = 1;
}

/* Start writing an event of the job's request; the job goes on after. */
static void
hold_commit(struct hold_job *j, struct hold *h, enum tracker_event ev)
{
	j->phase = PH_COMMIT;
	j->ev = ev;
	if (!j->has_before)
		j->before = h->r;
	hold_unindex(h);
	if (tracker_apply(&h->r, ev, time(NULL)) == -1) {
		h->r = j->before;	/* with what changed before it */
		hold_index(h);
		hold_fail(j, CIRC_E_REFUSED, "This request cannot be %s now.",
		    tracker_event_name(ev));
		return;
	}
	if (ev == TRACKER_EV_CANCEL || ev == TRACKER_EV_EXPIRE) {
		h->r.cancelled_by = j->who;
		snprintf(h->r.reason, sizeof(h->r.reason), "%s", j->reason);
	}
	hold_index(h);
	if (hold_write(h, j) == -1) {
		j->wrote = 0;
		hold_job_run(j, NULL);
	}
}

/*
 * The write of the job's event is done: 0 when it is on record; -1 after
 * undoing it in memory and answering the caller.
 */
static int
hold_committed(struct hold_job *j, struct hold *h)
{
	char	 hex[TRACKER_HEX_LEN + 1];

	tracker_id_hex(h->r.id, hex);
	if (!j->wrote) {
		hold_unindex(h);
		h->r = j->before;
		hold_index(h);
		hold_fail(j, CIRC_E_REFUSED, "The gateway cannot record this "
		    "now; please try again.");
		return (-1);
	}
	log_info("hold event=%s id=%s state=%s home=%s owner=%s pickup=%s",
	    tracker_event_name(j->ev), hex, tracker_state_name(h->r.state),
	    h->r.home, h->r.owner, h->r.pickup_partner);
	return (0);
}

/* Answer whoever waits for job j and end it. */
static void
hold_answer(struct hold_job *j)
{
	const struct conf_partner *p;
	struct sip2_msg		*sm;
	struct ncip_msg		*nm;
	char			 screen[200];
	const char		*result = j->res.ok ? "ok" : "no";

	if (!j->res.ok && j->res.error == CIRC_E_NONE)
		j->res.error = CIRC_E_REFUSED;
	if (!j->res.ok && j->res.screen == NULL && j->req.op != NULL) {
		p = conf_partner_find(gw->conf, j->at);
		xlate_sip2_screen(&j->req, j->res.error, p != NULL ? p->name :
		    NULL, screen, sizeof(screen));
		j->res.screen = circ_strdup(j->arena, screen);
	}
	log_info("hold job=%llu kind=%d at=%s result=%s error=%d",
	    (unsigned long long)j->id, (int)j->kind, j->at, result,
	    (int)j->res.error);
	switch (j->front) {
	case HF_SIP2:
		sm = xlate_sip2_reply(&j->req, &j->res, time(NULL));
		session_answer(j->caller, j->caller_txn, sm, result);
		break;
	case HF_NCIP:
		if ((nm = xlate_ncip_reply(&j->req, &j->res)) == NULL)
			nm = ncip_reply_problem(j->ncip,
			    NCIP_PT_TEMPORARY_FAILURE, NULL,
			    "The answer could not be encoded.");
		if (nm != NULL)
			ncip_front_answer(j->caller, nm);
		break;
	case HF_CTL:
		j->ctl(j->caller, j->res.ok, j->res.screen);
		break;
	case HF_SERVE:
		serve_resume(j->caller, j->res.ok);
		break;
	case HF_OUTBOX:
		outbox_sent(j->caller, j->res.ok ? OUTBOX_DONE :
		    hold_unreached(&j->res) ? OUTBOX_RETRY : OUTBOX_PERMANENT,
		    j->res.screen);
		break;
	case HF_NONE:
		break;
	}
	hold_job_free(j);
}

/* --- the steps of a request ------------------------------------------- */

/* The patron's card and PIN asked at the home, for a patron's request. */
static void
hold_home_check(struct hold_job *j, struct hold *h)
{
	struct circ_req	 req;

	hold_req(&req, circ_op_sip2(SIP2_PATRON_STATUS));
	req.patron = j->req.patron;
	req.pin = j->req.pin;
	req.has_pin = j->req.has_pin;
	hold_call(j, PH_HOME, h->r.home, &req);
}

/* The home's answer: 0 when the card may go on, -1 after answering. */
static int
hold_home_ok(struct hold_job *j, struct hold *h,
    const struct circ_result *last)
{
	if (last->error == CIRC_E_OFFLINE || last->error == CIRC_E_TIMEOUT) {
		hold_fail(j, last->error, "%s cannot be reached to check the "
		    "card; please try again.", hold_name(h->r.home));
		return (-1);
	}
	if (!last->patron.found) {
		hold_fail(j, CIRC_E_UNKNOWN_PATRON, NULL);
		return (-1);
	}
	if (last->patron.pin_ok == 0 || last->error == CIRC_E_BAD_PIN) {
		hold_fail(j, CIRC_E_BAD_PIN, NULL);
		return (-1);
	}
	return (0);
}

/* The answer to a hold placed, or asked again, from its request. */
void
hold_answer_placed(const struct tracker_req *r, struct circ_result *res,
    struct circ_arena *a)
{
	char	 hex[TRACKER_HEX_LEN + 1], buf[1024];

	tracker_id_hex(r->id, hex);
	res->ok = 1;
	res->error = CIRC_E_NONE;
	res->pickup = circ_strdup(a, r->pickup);
	res->request_id = circ_strdup(a, hex);
	res->hold_expiry = r->expires;
	res->available = 0;
	if (r->state == TRACKER_RECEIVED) {
		res->available = 1;
		snprintf(buf, sizeof(buf), "Your hold is ready at %s.",
		    r->pickup);
	} else
		snprintf(buf, sizeof(buf), "Hold placed at %s for pickup at "
		    "%s, %s.", hold_name(r->owner),
		    hold_name(r->pickup_partner), r->pickup);
	res->screen = circ_strdup(a, buf);
}

/* A patron's hold asked again: the same answer, nothing placed. */
static void
hold_run_again(struct hold_job *j, struct hold *h,
    const struct circ_result *last)
{
	if (j->phase == PH_START && j->front == HF_SIP2) {
		hold_home_check(j, h);
		return;
	}
	if (j->phase == PH_HOME && hold_home_ok(j, h, last) == -1)
		return;
	if (h->r.state == TRACKER_NONE) {
		hold_fail(j, CIRC_E_REFUSED, "This hold is being placed; "
		    "please try again in a minute.");
		return;
	}
	hold_answer_placed(&h->r, &j->res, j->arena);
	hold_answer(j);
}

/*
 * The cancel of a request's hold at the owner, for the linked account.
 * Without the owner's own request id, the tracker's (into hex, of
 * TRACKER_HEX_LEN + 1 bytes), said with the gateway's agency: the hold
 * was placed under it (serve.c), and an NCIP owner cancels one by title
 * or BibliographicId by its RequestId only.
 */
static void
hold_owner_cancel(struct circ_req *req, const struct hold *h, char *hex)
{
	hold_req(req, circ_op_sip2(SIP2_HOLD));
	req->hold_mode = '-';
	req->patron = h->r.account;
	req->item = h->r.item[0] != '\0' ? h->r.item : NULL;
	req->title = h->r.title[0] != '\0' ? h->r.title : NULL;
	req->bib_id = h->r.bib[0] != '\0' ? h->r.bib : NULL;
	if (h->r.owner_request[0] != '\0')
		req->request_id = h->r.owner_request;
	else {
		tracker_id_hex(h->r.id, hex);
		req->request_id = hex;
		req->request_ours = 1;
	}
}

/* Return 1 if a cancel's answer says the owner has no such hold. */
static int
hold_gone(const struct circ_result *r)
{
	return (!r->ok && r->error == CIRC_E_NOT_CHARGED);
}

/* Remove the temporary item made at the pickup partner. */
static void
hold_delete_temp(struct hold_job *j, struct hold *h)
{
	struct circ_req	 req;

	hold_req(&req, circ_op_ncip(NCIP_DELETE_ITEM));
	req.item = h->r.temp_item[0] != '\0' ? h->r.temp_item : h->r.item;
	hold_call(j, PH_PICKUP_DELETE, h->r.pickup_partner, &req);
}

/*
 * Return 1 after refusing job j when the agreement between request h's
 * home and owner is not in force: the owner's item is not taken in or
 * lent at the pickup partner then.
 */
static int
hold_refused(struct hold_job *j, const struct hold *h)
{
	if (hold_agreed(h))
		return (0);
	log_info("policy event=deny audit=agreement-inactive op=hold-step "
	    "home=%s owner=%s to=%s", h->r.home, h->r.owner, j->at);
	hold_fail(j, CIRC_E_NOT_ALLOWED, "The agreement between %s and %s "
	    "is not in force: this item is not taken in or lent here; "
	    "please return it to %s.", hold_name(h->r.home),
	    hold_name(h->r.owner), hold_name(h->r.owner));
	return (1);
}

/* Return 1 if job j may call partner for request h: see hold_call(). */
static int
hold_may_call(const struct hold_job *j, const struct hold *h,
    const char *partner)
{
	return (strcmp(partner, j->at) == 0 || hold_agreed(h));
}

/*
 * A cancel past the owner: the temporary item deleted at the pickup
 * partner if it was received there (and may be asked), then recorded.
 */
static void
hold_cancel_local(struct hold_job *j, struct hold *h)
{
	if (h->r.state == TRACKER_RECEIVED &&
	    hold_may_call(j, h, h->r.pickup_partner)) {
		hold_delete_temp(j, h);
		return;
	}
	hold_commit(j, h, j->who == TRACKER_BY_EXPIRY ?
	    TRACKER_EV_EXPIRE : TRACKER_EV_CANCEL);
}

/*
 * Cancel: the patron's card checked (at a kiosk), the hold cancelled at
 * the owner, the temporary item deleted at the pickup partner if it was
 * received there, and then the request is cancelled on record.
 */
static void
hold_run_cancel(struct hold_job *j, struct hold *h,
    const struct circ_result *last)
{
	struct circ_req	 req;
	char		 hex[TRACKER_HEX_LEN + 1];

	switch (j->phase) {
	case PH_START:
		if (j->front == HF_SIP2) {
			hold_home_check(j, h);
			return;
		}
		break;
	case PH_HOME:
		if (hold_home_ok(j, h, last) == -1)
			return;
		break;
	case PH_OWNER_CANCEL:
		/* Only a cancel done, or a hold the owner has not, is gone. */
		if (!last->ok && !hold_gone(last)) {
			log_info("hold event=cancel-failed owner=%s "
			    "owner-said=%d", h->r.owner, (int)last->error);
			hold_fail(j, last->error, "%s did not cancel the hold; "
			    "it stands; please try again.",
			    hold_name(h->r.owner));
			return;
		}
		if (!last->ok)
			log_info("hold event=cancel owner=%s owner-said=none",
			    h->r.owner);
		hold_cancel_local(j, h);
		return;
	case PH_PICKUP_DELETE:
		if (hold_unreached(last)) {
			hold_fail(j, last->error, "%s cannot remove its record "
			    "of the item now; please try again.",
			    hold_name(h->r.pickup_partner));
			return;
		}
		hold_commit(j, h, j->who == TRACKER_BY_EXPIRY ?
		    TRACKER_EV_EXPIRE : TRACKER_EV_CANCEL);
		return;
	case PH_COMMIT:
		if (hold_committed(j, h) == -1)
			return;
		j->res.ok = 1;
		j->res.screen = "The hold is cancelled.";
		hold_answer(j);
		return;
	default:
		break;
	}

	/* The card is right, or nobody's card was asked: the owner next. */
	if (h->r.state == TRACKER_CANCELLED) {
		j->res.ok = 1;
		j->res.screen = "The hold is cancelled.";
		hold_answer(j);
		return;
	}
	if (tracker_next(h->r.state, TRACKER_EV_CANCEL) == -1) {
		hold_fail(j, CIRC_E_NOT_ALLOWED, "This hold is %s and can no "
		    "longer be cancelled.", tracker_state_name(h->r.state));
		return;
	}
	/* Revoked: only the parts at the partner asked are cancelled. */
	if (!hold_may_call(j, h, h->r.owner)) {
		log_info("hold event=cancel owner=%s owner-told=no "
		    "why=agreement-inactive", h->r.owner);
		hold_cancel_local(j, h);
		return;
	}
	hold_owner_cancel(&req, h, hex);
	hold_call(j, PH_OWNER_CANCEL, h->r.owner, &req);
}

/* Tell the owner's desk where a trapped item goes, and nothing more. */
static void
hold_route_pickup(struct hold_job *j, struct hold *h)
{
	char	 buf[1024];

	j->res.ok = 1;
	j->res.destination = circ_strdup(j->arena, h->r.pickup);
	j->res.alert_type = 2;		/* hold for another branch */
	j->res.alert = 1;
	j->res.hold_patron = NULL;
	snprintf(buf, sizeof(buf), "Hold for %s: send to %s.",
	    hold_name(h->r.pickup_partner), h->r.pickup);
	j->res.screen = circ_strdup(j->arena, buf);
	hold_answer(j);
}

/* Tell the pickup partner's desk that a returned item goes home. */
static void
hold_route_home(struct hold_job *j, struct hold *h)
{
	char	 buf[1024];

	j->res.ok = 1;
	j->res.error = CIRC_E_NONE;
	j->res.destination = circ_strdup(j->arena, h->r.delivery);
	j->res.alert_type = 4;		/* send to another branch */
	j->res.alert = 1;
	j->res.hold_patron = NULL;
	snprintf(buf, sizeof(buf), "Return to %s: send to %s.",
	    hold_name(h->r.owner), h->r.delivery);
	j->res.screen = circ_strdup(j->arena, buf);
	hold_answer(j);
}

/* Return 1 if the agreement between a request's home and owner is in force. */
static int
hold_agreed(const struct hold *h)
{
	const struct policy_agreement *ags, *ag;
	size_t			 n;

	ags = agreement_list(&n);
	return ((ag = policy_agreement_find(ags, n, h->r.home, h->r.owner)) !=
	    NULL && policy_active(ag));
}

/*
 * Return 1 if the owner's terms keep a copy, as its ILS described it,
 * from the home's patrons, or the agreement is not in force: a title
 * hold placed without a copy is checked so when one is trapped.
 */
static int
hold_withheld(const struct hold *h, const struct circ_result *last)
{
	const struct policy_agreement *ags, *ag;
	struct policy_item	 pi;
	size_t			 n;

	if (!hold_agreed(h))
		return (1);
	ags = agreement_list(&n);
	ag = policy_agreement_find(ags, n, h->r.home, h->r.owner);
	memset(&pi, 0, sizeof(pi));
	pi.owner = h->r.owner;
	pi.collection = last->item.collection;
	pi.type = last->item.media;
	pi.location = last->item.permanent_location;
	if (policy_terms_withholds(policy_terms_of(ag, h->r.owner), &pi) ==
	    0)
		return (0);
	log_info("policy event=deny audit=collection-withheld op=trap "
	    "owner=%s home=%s", h->r.owner, h->r.home);
	return (1);
}

/*
 * A checkin at the owner: carried out there; the item trapped for a
 * tracked hold goes to its pickup, one back from a loan completes it.
 */
static void
hold_run_checkin(struct hold_job *j, struct hold *h,
    const struct circ_result *last)
{
	struct circ_req	 req;
	char		 buf[1024], hex[TRACKER_HEX_LEN + 1];

	switch (j->phase) {
	case PH_START:
		hold_call(j, PH_OWNER_CHECKIN, j->at, &j->req);
		return;
	case PH_OWNER_CHECKIN:
		hold_keep(j, last);
		if (!last->ok) {
			hold_answer(j);
			return;
		}
		if (h == NULL && (h = hold_by_account(j->at,
		    last->hold_patron, last->item.title)) == NULL) {
			hold_answer(j);
			return;
		}
		if (h->busy != 0 && h->busy != j->id) {
			hold_answer(j);		/* the other job moves it */
			return;
		}
		memcpy(j->rid, h->r.id, TRACKER_ID_LEN);
		j->has_rid = 1;
		h->busy = j->id;
		switch (h->r.state) {
		case TRACKER_PLACED:
			/* Someone else's hold came first at the owner. */
			if (last->hold_patron == NULL ||
			    strcmp(last->hold_patron, h->r.account) != 0) {
				hold_answer(j);
				return;
			}
			/* Revoked: the hold here for the home's is ended. */
			if (!hold_agreed(h)) {
				j->who = TRACKER_BY_OWNER;
				snprintf(j->reason, sizeof(j->reason),
				    "agreement-inactive");
				hold_owner_cancel(&req, h, hex);
				hold_call(j, PH_OWNER_CANCEL, j->at, &req);
				return;
			}
			/* A title's copy: may it go to the home's patrons? */
			if (h->r.item[0] == '\0') {
				hold_req(&req, circ_op_sip2(SIP2_ITEM_INFO));
				req.item = j->req.item;
				hold_call(j, PH_OWNER_ITEM, j->at, &req);
				return;
			}
			hold_save(j, h);
			hold_unindex(h);
			snprintf(h->r.item, sizeof(h->r.item), "%s",
			    j->req.item);
			hold_index(h);
			hold_commit(j, h, TRACKER_EV_TRAP);
			return;
		case TRACKER_IN_TRANSIT:
			/* Revoked: it stays; the owner's answer stands. */
			if (!hold_agreed(h)) {
				hold_answer(j);
				return;
			}
			hold_route_pickup(j, h);
			return;
		case TRACKER_LOANED:
			/* Revoked: checked in here; the pickup not told. */
			if (!hold_agreed(h)) {
				hold_answer(j);
				return;
			}
			/* Returned at the owner's own desk. */
			hold_req(&req, circ_op_sip2(SIP2_CHECKIN));
			req.item = h->r.temp_item[0] != '\0' ?
			    h->r.temp_item : h->r.item;
			hold_call(j, PH_PICKUP_CHECKIN, h->r.pickup_partner,
			    &req);
			return;
		case TRACKER_RETURNED:
			hold_commit(j, h, TRACKER_EV_COMPLETE);
			return;
		default:
			hold_answer(j);
			return;
		}
	case PH_OWNER_ITEM:
		/* Not described (busy, not reached): the hold stands. */
		if (hold_unreached(last) || !last->item.found) {
			hold_fail(j, hold_unreached(last) ? last->error :
			    CIRC_E_UNKNOWN_ITEM, "%s could not describe this "
			    "copy for a hold it may fill; please check it in "
			    "again.", hold_name(h->r.owner));
			return;
		}
		if (hold_withheld(h, last)) {
			/* Not to go: the owner's hold for it is cancelled. */
			j->who = TRACKER_BY_OWNER;
			snprintf(j->reason, sizeof(j->reason),
			    "collection-withheld");
			hold_owner_cancel(&req, h, hex);
			hold_call(j, PH_OWNER_CANCEL, j->at, &req);
			return;
		}
		hold_save(j, h);
		hold_unindex(h);
		snprintf(h->r.item, sizeof(h->r.item), "%s", j->req.item);
		hold_index(h);
		hold_commit(j, h, TRACKER_EV_TRAP);
		return;
	case PH_OWNER_CANCEL:
		if (!last->ok && !hold_gone(last)) {
			hold_fail(j, last->error, "%s could not cancel a hold "
			    "this copy may not fill; please check it in "
			    "again.", hold_name(h->r.owner));
			return;
		}
		hold_commit(j, h, TRACKER_EV_CANCEL);
		return;
	case PH_PICKUP_CHECKIN:
		if (hold_unreached(last)) {
			hold_fail(j, last->error, "%s cannot be told of the "
			    "return now; please check the item in again.",
			    hold_name(h->r.pickup_partner));
			return;
		}
		hold_delete_temp(j, h);
		return;
	case PH_PICKUP_DELETE:
		if (hold_unreached(last)) {
			hold_fail(j, last->error, "%s cannot remove its record "
			    "of the item now; please check it in again.",
			    hold_name(h->r.pickup_partner));
			return;
		}
		hold_commit(j, h, TRACKER_EV_COMPLETE);
		return;
	case PH_COMMIT:
		/* Undone: the owner's own answer still stands for the desk. */
		if (!j->wrote) {
			hold_unindex(h);
			h->r = j->before;
			hold_index(h);
			log_warnx("hold event=%s-unrecorded owner=%s",
			    tracker_event_name(j->ev), h->r.owner);
			if (j->ev == TRACKER_EV_TRAP) {
				hold_fail(j, CIRC_E_REFUSED, "The gateway "
				    "cannot record this now; please check the "
				    "item in again.");
				return;
			}
			hold_answer(j);
			return;
		}
		hold_committed(j, h);
		if (j->ev == TRACKER_EV_TRAP)
			hold_route_pickup(j, h);
		else if (j->ev == TRACKER_EV_CANCEL) {
			j->res.destination = NULL;
			j->res.alert_type = 0;
			j->res.hold_patron = NULL;
			snprintf(buf, sizeof(buf), "This copy is not lent to "
			    "%s patrons: their hold is cancelled; please "
			    "check the item in again.", hold_name(h->r.home));
			j->res.screen = circ_strdup(j->arena, buf);
			hold_answer(j);
		} else
			hold_answer(j);
		return;
	default:
		hold_answer(j);
		return;
	}
}

/*
 * A checkin at the pickup partner of an item in transit to it: taken in
 * there with AcceptItem, a temporary item set aside for the patron.
 */
static void
hold_run_receive(struct hold_job *j, struct hold *h,
    const struct circ_result *last)
{
	const struct conf_partner *p;
	struct circ_req	 req;
	char		 hex[TRACKER_HEX_LEN + 1], title[TRACKER_STR_MAX + 40];
	char		 buf[1024];

	switch (j->phase) {
	case PH_START:
		if (hold_refused(j, h))
			return;
		/* Taken in already: set aside, nothing asked again. */
		if (h->r.state == TRACKER_RECEIVED)
			break;
		p = conf_partner_find(gw->conf, h->r.pickup_partner);
		if (p == NULL || !p->has_backend ||
		    p->backend.proto != BACKEND_NCIP) {
			hold_fail(j, CIRC_E_NOT_SUPPORTED, "%s's system cannot "
			    "take in another library's item (it needs NCIP "
			    "AcceptItem); please see staff.",
			    hold_name(h->r.pickup_partner));
			return;
		}
		tracker_id_hex(h->r.id, hex);
		if (h->r.title[0] != '\0')
			snprintf(title, sizeof(title), "%s", h->r.title);
		else
			snprintf(title, sizeof(title), "Item from %s",
			    hold_name(h->r.owner));
		hold_req(&req, circ_op_ncip(NCIP_ACCEPT_ITEM));
		req.patron = h->r.patron;
		req.item = h->r.item;
		req.request_id = hex;
		req.pickup = h->r.pickup;
		req.title = title;
		hold_call(j, PH_PICKUP_ACCEPT, h->r.pickup_partner, &req);
		return;
	case PH_PICKUP_ACCEPT:
		if (!last->ok) {
			hold_keep(j, last);
			if (j->res.screen == NULL)
				hold_fail(j, last->error, "%s could not take "
				    "in the item; please try again.",
				    hold_name(h->r.pickup_partner));
			else
				hold_answer(j);
			return;
		}
		if (h->r.state == TRACKER_RECEIVED)
			break;		/* taken in already: the same answer */
		hold_save(j, h);
		snprintf(h->r.temp_item, sizeof(h->r.temp_item), "%s",
		    last->item.id != NULL ? last->item.id : h->r.item);
		hold_commit(j, h, TRACKER_EV_RECEIVE);
		return;
	case PH_COMMIT:
		if (hold_committed(j, h) == -1)
			return;
		break;
	default:
		hold_answer(j);
		return;
	}
	/* The pickup's desk learns of its own patron's hold. */
	j->res.ok = 1;
	j->res.destination = circ_strdup(j->arena, h->r.pickup);
	j->res.alert_type = 1;		/* hold here */
	j->res.alert = 1;
	j->res.hold_patron = circ_strdup(j->arena, h->r.patron);
	j->res.item.title = circ_strdup(j->arena, h->r.title);
	snprintf(buf, sizeof(buf), "Hold from %s: set aside for pickup at "
	    "%s.", hold_name(h->r.owner), h->r.pickup);
	j->res.screen = circ_strdup(j->arena, buf);
	hold_answer(j);
}

/*
 * A checkout at the pickup partner of an item set aside there: lent on
 * the temporary item, then charged at the owner to the linked account,
 * so that the owner sees its item out.
 */
static void
hold_run_loan(struct hold_job *j, struct hold *h,
    const struct circ_result *last)
{
	struct circ_req	 req;
	char		 hex[TRACKER_HEX_LEN + 1], owner[TRACKER_STR_MAX];
	uint8_t		 id[TRACKER_ID_LEN];
	int		 owed;

	switch (j->phase) {
	case PH_START:
		if (hold_refused(j, h))
			return;
		if (j->req.patron == NULL ||
		    strcmp(j->req.patron, h->r.patron) != 0) {
			hold_fail(j, CIRC_E_NOT_AVAILABLE, "This item is on "
			    "hold for another patron.");
			return;
		}
		req = j->req;
		if (h->r.temp_item[0] != '\0')
			req.item = h->r.temp_item;
		hold_call(j, PH_PICKUP_CHECKOUT, j->at, &req);
		return;
	case PH_PICKUP_CHECKOUT:
		hold_keep(j, last);
		if (!last->ok || h->r.state == TRACKER_LOANED) {
			hold_answer(j);
			return;
		}
		hold_req(&req, circ_op_sip2(SIP2_CHECKOUT));
		req.patron = h->r.account;
		req.item = h->r.item;
		hold_call(j, PH_OWNER_CHECKOUT, h->r.owner, &req);
		return;
	case PH_OWNER_CHECKOUT:
		/*
		 * The loan stands at the pickup partner.  An owner that
		 * cannot be reached is owed the checkout, through the
		 * outbox, once the loan is on record.
		 */
		tracker_id_hex(h->r.id, hex);
		if (!last->ok && !hold_unreached(last))
			log_warnx("hold event=owner-not-charged id=%s "
			    "owner=%s error=%d", hex, h->r.owner,
			    (int)last->error);
		j->owed = !last->ok && hold_unreached(last);
		hold_commit(j, h, TRACKER_EV_LOAN);
		return;
	case PH_COMMIT:
		if (hold_committed(j, h) == -1)
			return;
		owed = j->owed;
		memcpy(id, h->r.id, sizeof(id));
		snprintf(owner, sizeof(owner), "%s", h->r.owner);
		/* Answered first: the owed job must find it not busy. */
		hold_answer(j);
		if (owed)
			hold_owe(owner, id);
		return;
	default:
		hold_answer(j);
		return;
	}
}

/* Owe the owner its checkout of a loan on record, through the outbox. */
static void
hold_owe(const char *owner, const uint8_t *id)
{
	char	 hex[TRACKER_HEX_LEN + 1];

	tracker_id_hex(id, hex);
	if (outbox_add(OUTBOX_OWNER_CHECKOUT, owner, id, TRACKER_ID_LEN,
	    NULL, hold_owed_added, NULL) == -1)
		log_warnx("hold event=owner-not-charged id=%s owner=%s "
		    "why=unqueued", hex, owner);
	else
		log_info("hold event=owner-checkout-owed id=%s owner=%s", hex,
		    owner);
}

/* How the first try of an owed checkout went: only a loss is told. */
static void
hold_owed_added(enum outbox_status st, const uint8_t *id, void *arg)
{
	if (st == OUTBOX_UNSAVED || st == OUTBOX_FAILED)
		log_warnx("hold event=owner-not-charged why=%s", st ==
		    OUTBOX_UNSAVED ? "unsaved" : "refused");
}

/*
 * The owner's checkout owed for a loan at the pickup partner: none once
 * the loan has ended; none either when the owner shows the copy out
 * already (an earlier try whose answer was lost), else made for the
 * linked account.
 */
static void
hold_run_owed(struct hold_job *j, struct hold *h,
    const struct circ_result *last)
{
	struct circ_req	 req;

	switch (j->phase) {
	case PH_START:
		if (h->r.state != TRACKER_LOANED) {
			j->res.ok = 1;
			hold_answer(j);
			return;
		}
		hold_req(&req, circ_op_sip2(SIP2_ITEM_INFO));
		req.item = h->r.item;
		hold_call(j, PH_OWNER_ITEM, h->r.owner, &req);
		return;
	case PH_OWNER_ITEM:
		if (hold_unreached(last) || !last->item.found) {
			hold_keep(j, last);
			if (j->res.ok)
				hold_fail(j, CIRC_E_UNKNOWN_ITEM, "the owner "
				    "does not know the item");
			else
				hold_answer(j);
			return;
		}
		/* Charged (04) already, or the loan ended meanwhile. */
		if (last->item.circ_status == 4 ||
		    h->r.state != TRACKER_LOANED) {
			j->res.ok = 1;
			hold_answer(j);
			return;
		}
		hold_req(&req, circ_op_sip2(SIP2_CHECKOUT));
		req.patron = h->r.account;
		req.item = h->r.item;
		hold_call(j, PH_OWNER_CHECKOUT, h->r.owner, &req);
		return;
	default:
		hold_keep(j, last);
		if (j->res.ok)
			log_info("hold event=owner-charged owner=%s",
			    h->r.owner);
		hold_answer(j);
		return;
	}
}

/*
 * The outbox handler of OUTBOX_OWNER_CHECKOUT: data is the request's id.
 * 0 when under way (outbox_sent follows), -1 when it cannot start.
 */
int
hold_owed_send(const uint8_t *id, const char *partner, const void *data,
    size_t len, uint64_t token)
{
	struct hold_job	*j;
	struct hold	*h;

	if (len != TRACKER_ID_LEN) {
		outbox_sent(token, OUTBOX_PERMANENT, "malformed call");
		return (0);
	}
	/* Forgotten: it ended a month ago. */
	if ((h = hold_by_id(data)) == NULL || h->reserved) {
		outbox_sent(token, OUTBOX_DONE, NULL);
		return (0);
	}
	/* Another job moves it on: tried again later. */
	if (h->busy != 0) {
		outbox_sent(token, OUTBOX_RETRY, "the request is being "
		    "updated");
		return (0);
	}
	if ((j = hold_job_new(HOLD_OWED, HF_OUTBOX, h->r.pickup_partner)) ==
	    NULL)
		return (-1);
	j->caller = token;
	memcpy(j->rid, h->r.id, TRACKER_ID_LEN);
	j->has_rid = 1;
	h->busy = j->id;
	hold_job_run(j, NULL);
	return (0);
}

/*
 * A checkin at the pickup partner of an item lent there: checked in,
 * the temporary item deleted, and the item sent home.
 */
static void
hold_run_return(struct hold_job *j, struct hold *h,
    const struct circ_result *last)
{
	struct circ_req	 req;

	switch (j->phase) {
	case PH_START:
		if (h->r.state == TRACKER_RETURNED) {
			hold_route_home(j, h);
			return;
		}
		req = j->req;
		if (h->r.temp_item[0] != '\0')
			req.item = h->r.temp_item;
		hold_call(j, PH_PICKUP_CHECKIN, j->at, &req);
		return;
	case PH_PICKUP_CHECKIN:
		if (!last->ok) {
			hold_keep(j, last);
			hold_answer(j);
			return;
		}
		hold_delete_temp(j, h);
		return;
	case PH_PICKUP_DELETE:
		if (hold_unreached(last)) {
			hold_fail(j, last->error, "Checked in, but %s cannot "
			    "remove its record of the item now; please check "
			    "it in again.", hold_name(h->r.pickup_partner));
			return;
		}
		hold_commit(j, h, TRACKER_EV_RETURN);
		return;
	case PH_COMMIT:
		if (hold_committed(j, h) == -1)
			return;
		hold_route_home(j, h);
		return;
	default:
		hold_answer(j);
		return;
	}
}

/* A hold the owner took is on record (or not): the visit answers. */
/* A reserved hold is on record ahead of the owner's answer, or not. */
static void
hold_run_ahead(struct hold_job *j, struct hold *h)
{
	h->ahead = j->wrote;
	j->res.ok = j->wrote;
	hold_answer(j);
}

/*
 * A hold the owner took that cannot be recorded as placed: one written
 * ahead stays on record placing, as before (the owner's request id kept
 * in memory), let go for the sweep to cancel at the owner and to retry
 * until it can; one not written is forgotten.
 */
static void
hold_unplace(struct hold *h, const struct tracker_req *before)
{
	char		 owner_request[TRACKER_STR_MAX];
	struct timeval	 tv = { HOLD_SWEEP_FIRST, 0 };

	if (!h->ahead) {
		hold_remove(h);
		return;
	}
	snprintf(owner_request, sizeof(owner_request), "%s",
	    h->r.owner_request);
	hold_unindex(h);
	h->r = *before;
	snprintf(h->r.owner_request, sizeof(h->r.owner_request), "%s",
	    owner_request);
	hold_index(h);
	h->reserved = 0;
	h->busy = 0;
	if (hold_sweep_ev != NULL)
		evtimer_add(hold_sweep_ev, &tv);
}

static void
hold_run_place(struct hold_job *j, struct hold *h)
{
	char	 hex[TRACKER_HEX_LEN + 1];

	tracker_id_hex(h->r.id, hex);
	if (!j->wrote) {
		log_warnx("hold event=place-unrecorded id=%s owner=%s", hex,
		    h->r.owner);
		hold_unplace(h, &j->before);
		j->has_rid = 0;
		j->res.ok = 0;
		hold_answer(j);
		return;
	}
	h->reserved = 0;
	log_info("hold event=place id=%s state=placed home=%s owner=%s "
	    "pickup=%s", hex, h->r.home, h->r.owner, h->r.pickup_partner);
	j->res.ok = 1;
	hold_answer(j);
}

/* Take job j a step further with the last call's result (or none). */
static void
hold_job_run(struct hold_job *j, const struct circ_result *last)
{
	struct hold	*h = NULL;

	if (j->has_rid && (h = hold_by_id(j->rid)) == NULL) {
		hold_fail(j, CIRC_E_REFUSED, "This request is no longer "
		    "tracked.");
		return;
	}
	switch (j->kind) {
	case HOLD_AHEAD:
		hold_run_ahead(j, h);
		break;
	case HOLD_PLACE:
		hold_run_place(j, h);
		break;
	case HOLD_AGAIN:
		hold_run_again(j, h, last);
		break;
	case HOLD_CANCEL:
		hold_run_cancel(j, h, last);
		break;
	case HOLD_CHECKIN:
		hold_run_checkin(j, h, last);
		break;
	case HOLD_RECEIVE:
		hold_run_receive(j, h, last);
		break;
	case HOLD_LOAN:
		hold_run_loan(j, h, last);
		break;
	case HOLD_RETURN:
		hold_run_return(j, h, last);
		break;
	case HOLD_OWED:
		hold_run_owed(j, h, last);
		break;
	}
}

/* --- what the fronts hand over ---------------------------------------- */

/*
 * Return 1 if a checkin of an item at partner at is checked in at at's
 * own ILS, as circ_route() sends it: at's items and those nobody claims.
 */
static int
hold_item_is(const char *at, const char *item)
{
	const struct conf_partner *p = route_item(gw->conf, item);

	return (p == NULL || strcmp(p->id, at) == 0);
}

/*
 * Return 1 if a request naming request h by its id may be made at
 * partner at: one of its home, owner or pickup partner, for its patron
 * (the home card, or at the owner the linked account) when one is named.
 */
static int
hold_id_caller(const char *at, const struct circ_req *req,
    const struct hold *h)
{
	if (strcmp(at, h->r.owner) == 0)
		return (req->patron == NULL ||
		    strcmp(req->patron, h->r.account) == 0);
	if (strcmp(at, h->r.home) != 0 && strcmp(at, h->r.pickup_partner) != 0)
		return (0);
	return (req->patron == NULL || strcmp(req->patron, h->r.patron) == 0);
}

/*
 * Which job a request made at partner at is for, and the request it
 * concerns (NULL for a checkin at an owner awaiting a title's trap).
 * Returns 0 when the tracker has no part in it.
 */
static int
hold_pick(const char *at, const struct circ_req *req, enum hold_kind *kind,
    struct hold **hp)
{
	const struct conf_partner *home;
	struct hold		*h;
	uint8_t			 id[TRACKER_ID_LEN];

	*hp = NULL;
	if (hold_n == 0 || req->op == NULL)
		return (0);
	switch (req->op->op) {
	case CIRC_CHECKIN:
		if (req->item == NULL)
			return (0);
		/*
		 * A copy that may fill a title hold is at's own: another
		 * partner's item returned here goes home (return anywhere).
		 */
		if ((h = hold_by_item(HOLD_IX_OWNER, at, req->item)) != NULL ||
		    (hold_owner_waits(at) && hold_item_is(at, req->item))) {
			*kind = HOLD_CHECKIN;
			*hp = h;
			return (1);
		}
		if ((h = hold_by_item(HOLD_IX_PICKUP, at, req->item)) == NULL)
			return (0);
		*hp = h;
		switch (h->r.state) {
		case TRACKER_IN_TRANSIT:
		case TRACKER_RECEIVED:
			*kind = HOLD_RECEIVE;
			return (1);
		case TRACKER_LOANED:
		case TRACKER_RETURNED:
			*kind = HOLD_RETURN;
			return (1);
		default:
			return (0);
		}
	case CIRC_CHECKOUT:
		if ((h = hold_by_item(HOLD_IX_PICKUP, at, req->item)) == NULL ||
		    (h->r.state != TRACKER_RECEIVED &&
		    h->r.state != TRACKER_LOANED))
			return (0);
		*kind = HOLD_LOAN;
		*hp = h;
		return (1);
	case CIRC_HOLD:
		if (req->hold_mode != '+' && req->hold_mode != '-')
			return (0);
		h = NULL;
		if (req->request_id != NULL &&
		    tracker_id_parse(req->request_id, id) == 0 &&
		    (h = hold_by_id(id)) != NULL && !hold_id_caller(at, req, h))
			return (0);	/* not theirs: as any unknown id */
		if (h == NULL && req->patron != NULL &&
		    (home = route_patron(gw->conf, req->patron)) != NULL)
			h = hold_by_patron(home->id, req->patron, req->item,
			    req->title, req->bib_id);
		/*
		 * Asked again while it is being placed, or while one the
		 * owner did not answer waits for the sweep's cancel: not
		 * ours to answer "placed"; hold_plan() says to wait.
		 */
		if (h == NULL || h->reserved || (req->hold_mode == '+' &&
		    (tracker_ended(h->r.state) || h->r.state == TRACKER_NONE)))
			return (0);
		*kind = req->hold_mode == '+' ? HOLD_AGAIN : HOLD_CANCEL;
		*hp = h;
		return (1);
	default:
		return (0);
	}
}

/* Return 1 if a request at partner at is the tracker's to serve. */
int
hold_claims(const struct conf_partner *at, const struct circ_req *req)
{
	return (hold_claim_partner(at, req) != NULL);
}

/*
 * The partner a request at partner at that the tracker serves acts on,
 * for a staff member's permissions: the owner for a hold's cancel or
 * repeat, at itself for a checkin or checkout; NULL when not tracked.
 */
struct conf_partner *
hold_claim_partner(const struct conf_partner *at, const struct circ_req *req)
{
	struct conf_partner *p;
	struct circ_req	 full;
	enum hold_kind	 kind;
	struct hold	*h;

	if (hold_n == 0)
		return (NULL);
	/* A kiosk's request is decoded in part: a hold needs all of it. */
	if (req->sip2 != NULL && req->op != NULL &&
	    req->op->op == CIRC_HOLD) {
		if (xlate_sip2_req(&full, req->sip2) == -1)
			return (NULL);
		req = &full;
	}
	if (!hold_pick(at->id, req, &kind, &h))
		return (NULL);
	if ((kind == HOLD_AGAIN || kind == HOLD_CANCEL) && h != NULL &&
	    (p = conf_partner_find(gw->conf, h->r.owner)) != NULL)
		return (p);
	return (conf_partner_find(gw->conf, at->id));
}

/* Start job j on the request it decoded; it answers the caller. */
static void
hold_start(struct hold_job *j)
{
	struct hold	*h;

	if (!hold_pick(j->at, &j->req, &j->kind, &h)) {
		hold_fail(j, CIRC_E_REFUSED, "This request is no longer "
		    "tracked.");
		return;
	}
	if (h != NULL) {
		if (h->busy != 0) {
			hold_fail(j, CIRC_E_REFUSED, "This request is being "
			    "updated; please try again.");
			return;
		}
		memcpy(j->rid, h->r.id, TRACKER_ID_LEN);
		j->has_rid = 1;
		h->busy = j->id;
	}
	if (j->kind == HOLD_CANCEL) {
		j->who = j->front == HF_NCIP && strcmp(j->at, h->r.owner) == 0 ?
		    TRACKER_BY_OWNER : TRACKER_BY_PATRON;
		snprintf(j->reason, sizeof(j->reason), "asked");
	}
	hold_job_run(j, NULL);
}

/* Serve a terminal's SIP2 request that hold_claims() took. */
void
hold_serve_sip2(uint64_t sid, uint32_t txn, const struct sip2_msg *msg,
    const struct conf_partner *at)
{
	struct hold_job	*j;

	if ((j = hold_job_new(HOLD_AGAIN, HF_SIP2, at->id)) == NULL ||
	    (j->sip2 = sip2_msg_dup(msg)) == NULL) {
		if (j != NULL)
			hold_job_free(j);
		session_answer(sid, txn, NULL, "out of memory");
		return;
	}
	j->caller = sid;
	j->caller_txn = txn;
	if (xlate_sip2_req(&j->req, j->sip2) == -1) {
		hold_fail(j, CIRC_E_NEEDED_DATA, NULL);
		return;
	}
	hold_start(j);
}

/* Serve an NCIP request that hold_claims() took; takes msg. */
void
hold_serve_ncip(uint64_t call, const struct conf_partner *at,
    struct ncip_msg *msg)
{
	struct hold_job	*j;
	struct ncip_msg	*resp;

	if ((j = hold_job_new(HOLD_AGAIN, HF_NCIP, at->id)) == NULL) {
		resp = ncip_reply_problem(msg, NCIP_PT_TEMPORARY_FAILURE,
		    NULL, "The gateway is short of memory.");
		ncip_msg_free(msg);
		if (resp != NULL)
			ncip_front_answer(call, resp);
		return;
	}
	j->caller = call;
	j->ncip = msg;
	if (xlate_ncip_req(&j->req, msg, j->arena) == -1) {
		hold_fail(j, CIRC_E_NEEDED_DATA, NULL);
		return;
	}
	hold_start(j);
}

/* The partner that owns a location code, or NULL. */
static const struct conf_partner *
hold_location_partner(const char *code)
{
	const struct conf_partner *p;
	int			 i;

	TAILQ_FOREACH(p, &gw->conf->partners, entry)
		for (i = 0; i < p->nlocations; i++)
			if (strcmp(p->locations[i], code) == 0)
				return (p);
	return (NULL);
}

/* Copy s into a member; -1 when it does not fit. */
static int
hold_set(char *to, const char *s)
{
	if (s == NULL)
		s = "";
	if (strlen(s) >= TRACKER_STR_MAX)
		return (-1);
	snprintf(to, TRACKER_STR_MAX, "%s", s);
	return (0);
}

/*
 * The preferred pickup location kept on the person whose card this is
 * at home, into buf: 0, or -1 when none is set or the store cannot say.
 */
static int
hold_preferred(const char *home, const char *patron, char *buf, size_t len)
{
	struct idstore_ref	 r;
	int			 rc;

	if (gw->store == NULL || patron == NULL ||
	    idstore_find_barcode(gw->store, home, patron, &r) != IDSTORE_OK)
		return (-1);
	rc = prefs_pickup(r.person, buf, len);
	OPENSSL_cleanse(&r, sizeof(r));
	return (rc);
}

/*
 * Decide whether a visitor's hold at lender is for pickup at another
 * partner, to be tracked: 1 with r made and reserved, 0 when it is not
 * (r->pickup then the lender's own location to pick it up at, or ""),
 * -1 with why when it cannot be served.
 */
int
hold_plan(struct tracker_req *r, const struct circ_req *req,
    const char *home, const char *lender, const char *account,
    const char *home_location, const char **why)
{
	const struct conf_partner *pp, *hp, *lp;
	struct hold		*h;
	const char		*pickup = req->pickup;
	char			 pref[TRACKER_STR_MAX];

	hp = conf_partner_find(gw->conf, home);
	lp = conf_partner_find(gw->conf, lender);
	if (hp == NULL || lp == NULL)
		return (0);
	if (pickup != NULL && *pickup != '\0')
		pp = hold_location_partner(pickup);
	else if (hold_preferred(home, req->patron, pref, sizeof(pref)) == 0 &&
	    ((pp = hold_location_partner(pref)) == hp || pp == lp))
		pickup = pref;
	else {
		/*
		 * Without a preferred one at the home or the owner, the home
		 * location or the home's first.  XXX: a preferred location
		 * at a third partner is passed over.
		 */
		pickup = home_location != NULL && *home_location != '\0' ?
		    home_location : hp->nlocations > 0 ? hp->locations[0] :
		    NULL;
		pp = hp;
	}
	/* At the owner's own: a visitor's hold there, for that pickup. */
	if (pp == lp && pickup != NULL) {
		memset(r, 0, sizeof(*r));
		(void)hold_set(r->pickup, pickup);
		return (0);
	}
	if (pp == NULL || pickup == NULL)
		return (0);
	if (pp != hp) {
		*why = "Pickup is possible at the patron's own library or at "
		    "the library that owns the item.";
		return (-1);
	}
	if (!pp->has_backend || pp->backend.proto != BACKEND_NCIP) {
		*why = "The pickup library's system cannot take in another "
		    "library's item; please choose a pickup location there.";
		return (-1);
	}
	if (lp->nlocations == 0) {
		*why = "The owning library has no location to send from.";
		return (-1);
	}
	if ((h = hold_by_patron(home, req->patron, req->item, req->title,
	    req->bib_id)) != NULL) {
		*why = "This hold is being placed already; please try again "
		    "in a minute.";
		return (-1);
	}
	memset(r, 0, sizeof(*r));
	if (hold_set(r->home, home) == -1 ||
	    hold_set(r->patron, req->patron) == -1 ||
	    hold_set(r->owner, lender) == -1 ||
	    hold_set(r->account, account) == -1 ||
	    hold_set(r->item, req->item) == -1 ||
	    hold_set(r->title, req->item == NULL ? req->title : NULL) == -1 ||
	    hold_set(r->bib, req->bib_id) == -1 ||
	    hold_set(r->pickup_partner, pp->id) == -1 ||
	    hold_set(r->pickup, pickup) == -1 ||
	    hold_set(r->delivery, lp->locations[0]) == -1) {
		*why = "A value of this request is too long to track.";
		return (-1);
	}
	r->expires = req->hold_expiry != 0 ? req->hold_expiry :
	    time(NULL) + HOLD_EXPIRY_DAYS * 86400;
	arc4random_buf(r->id, sizeof(r->id));
	if ((h = hold_add(r)) == NULL) {
		*why = "The gateway is short of memory.";
		return (-1);
	}
	h->reserved = 1;
	return (1);
}

/*
 * Of a search's copies for a hold asked at partner asker by identifier,
 * the one to hold: NULL when asker has one available itself (or nobody
 * has), else the first available at the partner listed first in the
 * configuration.
 */
const struct search_copy *
hold_search_pick(const char *asker, const struct search_result *res)
{
	const struct conf_partner *p;
	size_t			 i;

	for (i = 0; i < res->ncopies; i++)
		if (res->copies[i].available &&
		    strcmp(res->copies[i].partner, asker) == 0)
			return (NULL);
	TAILQ_FOREACH(p, &gw->conf->partners, entry) {
		if (strcmp(p->id, asker) == 0)
			continue;
		for (i = 0; i < res->ncopies; i++)
			if (res->copies[i].available &&
			    res->copies[i].item != NULL &&
			    strcmp(res->copies[i].partner, p->id) == 0)
				return (&res->copies[i]);
	}
	return (NULL);
}

/*
 * Forget a reservation of hold_plan() that is not to be placed, on
 * record too when it was written ahead.
 */
void
hold_release(const struct tracker_req *r)
{
	struct hold	*h;

	if ((h = hold_by_id(r->id)) == NULL || !h->reserved)
		return;
	if (h->ahead)
		hold_forget(h->r.id);
	hold_remove(h);
}

/*
 * Let go of a reservation whose owner did not answer in time: it may yet
 * take the hold, so a record written ahead stays, placing, for a sweep
 * soon to cancel at the owner; one not written is forgotten.
 */
void
hold_abandon(const struct tracker_req *r)
{
	struct hold	*h;
	struct timeval	 tv = { HOLD_SWEEP_FIRST, 0 };
	char		 hex[TRACKER_HEX_LEN + 1];

	if ((h = hold_by_id(r->id)) == NULL || !h->reserved)
		return;
	if (!h->ahead) {
		hold_remove(h);
		return;
	}
	h->reserved = 0;
	tracker_id_hex(h->r.id, hex);
	log_info("hold event=placing-unanswered id=%s owner=%s", hex,
	    h->r.owner);
	/* The sweep comes sooner, then goes on every minute. */
	if (hold_sweep_ev != NULL)
		evtimer_add(hold_sweep_ev, &tv);
}

/*
 * A job of a visit xid's on a reserved hold, into *hp; NULL when there is
 * no such reservation or no memory.
 */
static struct hold_job *
hold_visit_job(enum hold_kind kind, uint64_t xid, const struct tracker_req *r,
    struct hold **hp)
{
	struct hold_job	*j;

	if ((*hp = hold_by_id(r->id)) == NULL || !(*hp)->reserved ||
	    (j = hold_job_new(kind, HF_SERVE, r->home)) == NULL)
		return (NULL);
	j->caller = xid;
	memcpy(j->rid, r->id, TRACKER_ID_LEN);
	j->has_rid = 1;
	j->phase = PH_COMMIT;
	return (j);
}

/*
 * Write a reserved hold ahead of asking its owner, so that a daemon that
 * dies before the owner's answer is recorded finds it at start-up: 0
 * when the write is under way, serve_resume(xid, ...) following.
 */
int
hold_ahead(uint64_t xid, const struct tracker_req *r)
{
	struct hold_job	*j;
	struct hold	*h;

	if ((j = hold_visit_job(HOLD_AHEAD, xid, r, &h)) == NULL)
		return (-1);
	if (hold_write(h, j) == -1) {
		hold_job_free(j);
		return (-1);
	}
	return (0);
}

/*
 * Put a reserved hold the owner has taken on record: 0 when the write is
 * under way, serve_resume(xid, ...) following; -1 when it cannot be.  A
 * daemon that dies before this commit leaves the record placing, as
 * hold_ahead() wrote it.
 */
int
hold_place(uint64_t xid, const struct tracker_req *r)
{
	struct hold_job	*j;
	struct hold	*h;

	if ((j = hold_visit_job(HOLD_PLACE, xid, r, &h)) == NULL)
		return (-1);
	hold_save(j, h);
	hold_unindex(h);
	snprintf(h->r.owner_request, sizeof(h->r.owner_request), "%s",
	    r->owner_request);
	(void)tracker_apply(&h->r, TRACKER_EV_PLACE, time(NULL));
	hold_index(h);
	h->busy = j->id;
	if (hold_write(h, j) == -1) {
		hold_unplace(h, &j->before);
		hold_job_free(j);
		return (-1);
	}
	return (0);
}

/* --- staff and time --------------------------------------------------- */

/* A time for staff, UTC, or "-". */
static void
hold_time(time_t t, char *buf, size_t len)
{
	struct tm	 tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%Y-%m-%dT%H:%MZ", &tm);
}

/*
 * One line per request that partner (NULL: any) has a part in, for
 * staff: barcodes masked, never a title.
 */
void
hold_list(const char *partner, hold_line_fn fn, void *arg)
{
	struct hold	*h;
	char		 hex[TRACKER_HEX_LEN + 1], card[32], item[32];
	char		 placed[32], line[1024];

	TAILQ_FOREACH(h, &holds, entry) {
		if (h->reserved || (partner != NULL &&
		    strcmp(partner, h->r.home) != 0 &&
		    strcmp(partner, h->r.owner) != 0 &&
		    strcmp(partner, h->r.pickup_partner) != 0))
			continue;
		tracker_id_hex(h->r.id, hex);
		sip2_redact_id(h->r.patron, card, sizeof(card));
		if (h->r.item[0] != '\0')
			sip2_redact_id(h->r.item, item, sizeof(item));
		else
			snprintf(item, sizeof(item), "%s", h->r.bib[0] !=
			    '\0' ? "bib" : "title");
		hold_time(h->r.at[TRACKER_PLACED], placed, sizeof(placed));
		snprintf(line, sizeof(line), "%s %s home=%s card=%s owner=%s "
		    "item=%s pickup=%s/%s placed=%s", hex,
		    tracker_state_name(h->r.state), h->r.home, card,
		    h->r.owner, item, h->r.pickup_partner, h->r.pickup,
		    placed);
		fn(arg, line);
	}
}

/*
 * The lines of one request for staff: its title, but then no card at
 * all.  0, or -1 when there is no such request.
 */
int
hold_show(const char *hexid, hold_line_fn fn, void *arg)
{
	struct hold	*h;
	uint8_t		 id[TRACKER_ID_LEN];
	char		 line[1024], item[32], when[32];
	int		 s;

	if (tracker_id_parse(hexid, id) == -1 || (h = hold_by_id(id)) ==
	    NULL || h->reserved)
		return (-1);
	snprintf(line, sizeof(line), "state %s", tracker_state_name(
	    h->r.state));
	fn(arg, line);
	snprintf(line, sizeof(line), "home %s", h->r.home);
	fn(arg, line);
	snprintf(line, sizeof(line), "owner %s", h->r.owner);
	fn(arg, line);
	if (h->r.item[0] != '\0') {
		sip2_redact_id(h->r.item, item, sizeof(item));
		snprintf(line, sizeof(line), "item %s", item);
		fn(arg, line);
	}
	if (h->r.title[0] != '\0') {
		snprintf(line, sizeof(line), "title %s", h->r.title);
		fn(arg, line);
	}
	if (h->r.bib[0] != '\0') {
		snprintf(line, sizeof(line), "bib %s", h->r.bib);
		fn(arg, line);
	}
	snprintf(line, sizeof(line), "pickup %s %s", h->r.pickup_partner,
	    h->r.pickup);
	fn(arg, line);
	snprintf(line, sizeof(line), "delivery %s", h->r.delivery);
	fn(arg, line);
	for (s = TRACKER_PLACED; s < TRACKER_STATE__COUNT; s++) {
		if (h->r.at[s] == 0)
			continue;
		hold_time(h->r.at[s], when, sizeof(when));
		snprintf(line, sizeof(line), "%s %s", tracker_state_name(s),
		    when);
		fn(arg, line);
	}
	hold_time(h->r.expires, when, sizeof(when));
	snprintf(line, sizeof(line), "expires %s", when);
	fn(arg, line);
	if (h->r.state == TRACKER_CANCELLED) {
		snprintf(line, sizeof(line), "cancelled-by %s %s",
		    tracker_who_name(h->r.cancelled_by), h->r.reason);
		fn(arg, line);
	}
	return (0);
}

/* Start cancelling a request for nobody waiting, or for staff. */
static int
hold_cancel_start(struct hold *h, enum hold_front front, enum tracker_who who,
    const char *reason, hold_ctl_cb cb, uint64_t arg, const char **why)
{
	struct hold_job	*j;

	if (h->busy != 0) {
		*why = "the request is being updated; try again";
		return (-1);
	}
	if ((j = hold_job_new(HOLD_CANCEL, front, h->r.owner)) == NULL) {
		*why = "out of memory";
		return (-1);
	}
	j->ctl = cb;
	j->caller = arg;
	j->who = who;
	snprintf(j->reason, sizeof(j->reason), "%s", reason);
	memcpy(j->rid, h->r.id, TRACKER_ID_LEN);
	j->has_rid = 1;
	h->busy = j->id;
	hold_job_run(j, NULL);
	return (0);
}

/*
 * Cancel a request for staff: 0 when under way, cb(arg, ok, screen)
 * following; -1 with why when it cannot start.
 */
int
hold_cancel_staff(const char *hexid, const char *reason, hold_ctl_cb cb,
    uint64_t arg, const char **why)
{
	struct hold	*h;
	uint8_t		 id[TRACKER_ID_LEN];

	if (tracker_id_parse(hexid, id) == -1 || (h = hold_by_id(id)) ==
	    NULL || h->reserved) {
		*why = "no such request";
		return (-1);
	}
	return (hold_cancel_start(h, HF_CTL, TRACKER_BY_STAFF,
	    reason != NULL ? reason : "staff", cb, arg, why));
}

/*
 * Every minute: holds past their expiry are cancelled, and ended
 * requests older than TRACKER_KEEP_DAYS are forgotten.
 */
static void
hold_sweep(evutil_socket_t fd, short ev, void *arg)
{
	struct hold	*h, *next;
	time_t		 now = time(NULL);
	const char	*why;
	struct timeval	 tv = { HOLD_SWEEP_SEC, 0 };
	int		 started = 0;

	evtimer_add(hold_sweep_ev, &tv);
	for (h = TAILQ_FIRST(&holds); h != NULL; h = next) {
		next = TAILQ_NEXT(h, entry);
		if (h->reserved || h->busy != 0)
			continue;
		if (tracker_ended(h->r.state)) {
			if (h->r.at[h->r.state] + TRACKER_KEEP_DAYS * 86400L <
			    now) {
				hold_forget(h->r.id);
				hold_remove(h);
			}
			continue;
		}
		/* Left placing by a restart: cancelled at the owner. */
		if (h->r.state == TRACKER_NONE && started < 32 &&
		    hold_cancel_start(h, HF_NONE, TRACKER_BY_GATEWAY,
		    "placing-interrupted", NULL, 0, &why) == 0) {
			started++;
			continue;
		}
		if (h->r.expires != 0 && h->r.expires < now && started < 32 &&
		    tracker_next(h->r.state, TRACKER_EV_EXPIRE) != -1 &&
		    hold_cancel_start(h, HF_NONE, TRACKER_BY_EXPIRY,
		    "expired", NULL, 0, &why) == 0)
			started++;
	}
}

/* One record read back at start-up. */
static int
hold_load(const uint8_t *key, size_t keylen, const void *value, size_t len,
    void *arg)
{
	struct tracker_req	 r;
	int			*bad = arg;

	memset(&r, 0, sizeof(r));
	if (keylen != TRACKER_ID_LEN) {
		(*bad)++;
		return (0);
	}
	memcpy(r.id, key, TRACKER_ID_LEN);
	if (tracker_decode(&r, value, len) == -1) {
		(*bad)++;
		return (0);
	}
	if (hold_add(&r) == NULL) {
		OPENSSL_cleanse(&r, sizeof(r));
		return (-1);
	}
	OPENSSL_cleanse(&r, sizeof(r));
	return (0);
}

/*
 * Read the requests on record before anything is served and start the
 * minute's sweep.  -1 with a message in err when the store cannot be
 * read, or a record fails its check.
 */
int
hold_open(char *err, size_t errlen)
{
	struct timeval	 tv = { HOLD_SWEEP_FIRST, 0 };
	int		 rc, bad = 0;

	if (gw->store == NULL)
		return (0);
	if ((rc = idstore_rec_scan(gw->store, IDSTORE_KIND_REQUEST,
	    hold_load, &bad)) != IDSTORE_OK && rc != IDSTORE_CORRUPT) {
		snprintf(err, errlen, "request tracker: %s",
		    idstore_strerror(rc));
		return (-1);
	}
	/* One altered record must not stop the others being tracked. */
	if (rc == IDSTORE_CORRUPT)
		log_warnx("request tracker: a record failed its check and "
		    "was not loaded");
	if (bad > 0)
		log_warnx("request tracker: %d records not understood, "
		    "left alone", bad);
	/* The first sweep catches up on what expired while stopped. */
	if ((hold_sweep_ev = evtimer_new(gw->base, hold_sweep, NULL)) ==
	    NULL || evtimer_add(hold_sweep_ev, &tv) == -1) {
		snprintf(err, errlen, "request tracker: cannot start its "
		    "timer");
		return (-1);
	}
	log_info("request tracker: %zu requests", hold_n);
	return (0);
}

/* Forget everything in memory, at exit; what is on record stays. */
void
hold_close(void)
{
	struct hold_job	*j;
	struct hold	*h;

	while ((j = TAILQ_FIRST(&hold_jobs)) != NULL)
		hold_job_free(j);
	while ((h = TAILQ_FIRST(&holds)) != NULL)
		hold_remove(h);
	if (hold_sweep_ev != NULL)
		event_free(hold_sweep_ev);
	hold_sweep_ev = NULL;
}
