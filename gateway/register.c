/* SPDX-License-Identifier: ISC */
/*
 * One registration: a patron registered at one partner, by an NCIP
 * CreateUser from its ILS or by its staff through circlinkctl, is recorded
 * with that account as home and given linked accounts at the partners
 * whose agreements allow it, carrying only what the home's terms let
 * leave.  Each account owed is a call in the outbox, so a partner that is
 * down gets its account when it is back.
 */

#include "config.h"

#include <sys/queue.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "circlinkd.h"
#include "idstore.h"
#include "ncip.h"

#define REG_NAME_MAX	256	/* bytes of each field carried, with NUL */
#define REG_ADDRESS_MAX	512
#define REG_EMAIL_MAX	256
#define REG_PHONE_MAX	64
#define REG_CLASS_MAX	64
#define REG_USERID_MAX	24	/* "CL" and 16 hex digits */
#define REG_TEXT_MAX	2048	/* a staff answer */

/*
 * One account owed at a partner: the outbox call's data.  The person's
 * id comes first so that outbox_owed() can match on it.  Personal fields
 * are only those the home's terms let reach that partner when it was
 * made; the link step filters them again by the terms then in force.
 */
struct reg_link {
	uint8_t		 person[IDSTORE_ID_LEN];
	char		 home[CONF_NAME_MAX];
	char		 user_id[REG_USERID_MAX];
	char		 pclass[REG_CLASS_MAX];
	char		 name[REG_NAME_MAX];
	char		 address[REG_ADDRESS_MAX];
	char		 email[REG_EMAIL_MAX];
	char		 phone[REG_PHONE_MAX];
	char		 birth[16];
};

struct reg_job;

/* What became of one partner in a registration. */
struct reg_target {
	struct reg_job	*job;
	char		 partner[CONF_NAME_MAX];
	const char	*state;		/* a word for the answer */
};

/* One registration, from its request to its answer. */
struct reg_job {
	struct reg_caller	 c;
	char			 home[CONF_NAME_MAX];
	char			 barcode[IDSTORE_VALUE_MAX + 1];
	char			 key[IDSTORE_VALUE_MAX + 1];	/* "": none */
	const char		*pclass;	/* in the arena, like below */
	const char		*name, *address, *email, *phone, *birth;
	uint8_t			 person[IDSTORE_ID_LEN];
	struct reg_target	 targets[IDSTORE_ACCOUNTS_MAX];
	size_t			 ntargets, nwait;
};

static struct reg_job	*reg_new(const char *, uint64_t, struct ncip_msg *,
			    void (*)(int, const char *, void *), void *);
static int		 reg_fields(struct reg_job *,
			    const struct circ_patron *, const char **);
static void		 reg_looked_up(const struct circ_req *,
			    const struct circ_result *, void *);
static void		 reg_home_said(const struct circ_req *,
			    const struct circ_result *, void *);
static void		 reg_found(int, const uint8_t *, void *);
static void		 reg_person_made(int, const struct idstore_write *,
			    void *);
static void		 reg_plan(struct reg_job *);
static const char	*reg_target(struct reg_job *,
			    const struct conf_partner *,
			    const struct idstore_person *);
static void		 reg_owed(enum outbox_status, const uint8_t *, void *);
static void		 reg_fail(struct reg_job *, enum ncip_problem_type,
			    const char *, const char *);
static void		 reg_person(struct reg_job *);
static void		 reg_finish(struct reg_job *);
static void		 reg_linked(enum circ_error, const char *, const char *,
			    void *);

/* --- callers, shared with prefs.c ------------------------------------ */

/* Start a caller: NCIP when req is given, else staff. */
int
register_caller(struct reg_caller *c, uint64_t call, struct ncip_msg *req,
    void (*cb)(int, const char *, void *), void *arg)
{
	memset(c, 0, sizeof(*c));
	c->staff = req == NULL;
	c->call = call;
	c->req = req;
	c->cb = cb;
	c->arg = arg;
	if ((c->arena = circ_arena_new()) == NULL) {
		register_refuse(c, NCIP_PT_TEMPORARY_FAILURE, NULL, "The "
		    "gateway is short of memory.");
		return (-1);
	}
	if (req != NULL && xlate_ncip_req(&c->creq, req, c->arena) == -1) {
		register_refuse(c, NCIP_PT_NEEDED_DATA_MISSING, "UserId",
		    NULL);
		return (-1);
	}
	return (0);
}

static void
register_caller_free(struct reg_caller *c)
{
	ncip_msg_free(c->req);
	circ_arena_free(c->arena);
	memset(c, 0, sizeof(*c));
}

/* Answer with a Problem, or the staff with the detail. */
void
register_refuse(struct reg_caller *c, enum ncip_problem_type kind,
    const char *element, const char *detail)
{
	struct ncip_msg	*nm;

	if (c->staff)
		c->cb(0, detail != NULL ? detail : "it failed", c->arg);
	else if ((nm = ncip_reply_problem(c->req, kind, element,
	    detail)) != NULL)
		ncip_front_answer(c->call, nm);
	register_caller_free(c);
}

/* Answer with success: the response echoing user_id, or the text. */
void
register_answer(struct reg_caller *c, const char *user_id, const char *text)
{
	struct circ_result	 res;
	struct ncip_msg		*nm;

	if (c->staff) {
		c->cb(1, text, c->arg);
		register_caller_free(c);
		return;
	}
	memset(&res, 0, sizeof(res));
	res.ok = 1;
	res.patron.found = 1;
	res.user_id = user_id;
	if ((nm = xlate_ncip_reply(&c->creq, &res)) == NULL)
		nm = ncip_reply_problem(c->req, NCIP_PT_TEMPORARY_FAILURE,
		    NULL, "The answer could not be encoded.");
	if (nm != NULL)
		ncip_front_answer(c->call, nm);
	register_caller_free(c);
}

/* A person being recorded for register_person(). */
struct reg_person_job {
	void		(*cb)(int, const uint8_t *, void *);
	void		*arg;
};

/* Find the person of an account, or record one with it as home. */
int
register_person(const char *home, const char *key, const char *barcode,
    const char *creator, void (*cb)(int, const uint8_t *, void *), void *arg)
{
	struct reg_person_job	*pj;
	struct idstore_write	 w;
	struct idstore_ref	 r;
	int			 rc = IDSTORE_NOTFOUND;

	if (key != NULL)
		rc = idstore_find_key(gw->store, home, key, &r);
	if (rc == IDSTORE_NOTFOUND)
		rc = idstore_find_barcode(gw->store, home, barcode, &r);
	if (rc != IDSTORE_NOTFOUND) {
		if (rc != IDSTORE_OK)
			log_warnx("%s event=find home=%s store=\"%s\"",
			    creator, home, idstore_strerror(rc));
		cb(rc, r.person, arg);
		return (0);
	}
	if ((pj = calloc(1, sizeof(*pj))) == NULL)
		return (-1);
	pj->cb = cb;
	pj->arg = arg;
	memset(&w, 0, sizeof(w));
	w.op = IDSTORE_CREATE;
	w.partner = home;
	w.patron_key = key;
	w.barcode = barcode;
	w.creator = creator;
	w.reason = creator;
	if (idstore_submit(gw->store, &w, reg_person_made, pj) == -1) {
		free(pj);
		return (-1);
	}
	return (0);
}

/* The person is on record (or was already, by a race). */
static void
reg_person_made(int result, const struct idstore_write *w, void *arg)
{
	struct reg_person_job	*pj = arg;

	if (result != IDSTORE_OK && result != IDSTORE_EXISTS)
		log_warnx("%s event=create home=%s store=\"%s\"", w->creator,
		    w->partner, idstore_strerror(result));
	pj->cb(result == IDSTORE_EXISTS ? IDSTORE_OK : result, w->person,
	    pj->arg);
	free(pj);
}

/* --- registrations ------------------------------------------------------ */

/* A job whose first member is its caller, for this file and prefs.c. */
void *
register_job(size_t size, uint64_t call, struct ncip_msg *req,
    void (*cb)(int, const char *, void *), void *arg)
{
	struct reg_caller	*c;
	struct ncip_msg		*nm;

	if ((c = calloc(1, size)) == NULL) {
		/* The staff's command hears of it from the caller. */
		if (req != NULL && (nm = ncip_reply_problem(req,
		    NCIP_PT_TEMPORARY_FAILURE, NULL, "The gateway is short of "
		    "memory.")) != NULL)
			ncip_front_answer(call, nm);
		ncip_msg_free(req);
		return (NULL);
	}
	if (register_caller(c, call, req, cb, arg) == -1) {
		free(c);
		return (NULL);
	}
	return (c);
}

static struct reg_job *
reg_new(const char *home, uint64_t call, struct ncip_msg *req,
    void (*cb)(int, const char *, void *), void *arg)
{
	struct reg_job	*job;

	if ((job = register_job(sizeof(*job), call, req, cb, arg)) != NULL)
		snprintf(job->home, sizeof(job->home), "%s", home);
	return (job);
}

/*
 * Keep what the home said of the patron, refusing values too long to
 * carry: 0, or -1 with the offending element's name in *bad.
 */
static int
reg_fields(struct reg_job *job, const struct circ_patron *pt,
    const char **bad)
{
	static const struct {
		size_t		 off;
		size_t		 max;
		const char	*element;
	} f[] = {
		{ offsetof(struct circ_patron, name), REG_NAME_MAX,
		    "NameInformation" },
		{ offsetof(struct circ_patron, address), REG_ADDRESS_MAX,
		    "PhysicalAddress" },
		{ offsetof(struct circ_patron, email), REG_EMAIL_MAX,
		    "ElectronicAddress" },
		{ offsetof(struct circ_patron, phone), REG_PHONE_MAX,
		    "ElectronicAddress" },
		{ offsetof(struct circ_patron, birth), 16, "DateOfBirth" },
		{ offsetof(struct circ_patron, pclass), REG_CLASS_MAX,
		    "AgencyUserPrivilegeType" },
	};
	const char	**dst[] = { &job->name, &job->address, &job->email,
			    &job->phone, &job->birth, &job->pclass };
	const char	*v;
	size_t		 i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		memcpy(&v, (const char *)pt + f[i].off, sizeof(v));
		*dst[i] = NULL;
		if (v == NULL || *v == '\0')
			continue;
		if (strlen(v) >= f[i].max) {
			*bad = f[i].element;
			return (-1);
		}
		if ((*dst[i] = circ_strdup(job->c.arena, v)) == NULL) {
			*bad = NULL;
			return (-1);
		}
	}
	return (0);
}

/*
 * A CreateUser from partner caller's ILS: the patron it has registered.
 * Its UserId (or Barcode Id) names the account at the home; the fields
 * are what may be carried on.  Takes req.
 */
void
register_ncip(uint64_t call, const struct conf_partner *caller,
    struct ncip_msg *req)
{
	struct reg_job		*job;
	struct circ_patron	 pt;
	const char		*id = NULL, *bad = NULL;
	size_t			 i;

	if ((job = reg_new(caller->id, call, req, NULL, NULL)) == NULL)
		return;
	for (i = 0; i < req->nauth; i++)
		if (ncip_auth_kind(&req->auth[i]) == NCIP_AUTH_BARCODE &&
		    id == NULL)
			id = req->auth[i].data;
	if (req->user_id.value != NULL && *req->user_id.value != '\0')
		snprintf(job->key, sizeof(job->key), "%s", req->user_id.value);
	if (id == NULL)
		id = req->user_id.value;
	if (id == NULL || *id == '\0') {
		reg_fail(job, NCIP_PT_NEEDED_DATA_MISSING, "UserId",
		    "the patron's id at the home is needed");
		return;
	}
	if (strlen(id) > IDSTORE_VALUE_MAX || (req->user_id.value != NULL &&
	    strlen(req->user_id.value) > IDSTORE_VALUE_MAX)) {
		reg_fail(job, NCIP_PT_UNKNOWN_VALUE, "UserIdentifierValue",
		    "too long");
		return;
	}
	snprintf(job->barcode, sizeof(job->barcode), "%s", id);
	memset(&pt, 0, sizeof(pt));
	if (xlate_ncip_user(job->c.arena, &pt, &req->user) == -1 ||
	    reg_fields(job, &pt, &bad) == -1) {
		if (bad != NULL)
			reg_fail(job, NCIP_PT_UNKNOWN_VALUE, bad, "too long");
		else
			reg_fail(job, NCIP_PT_TEMPORARY_FAILURE, NULL,
			    "The gateway is short of memory.");
		return;
	}
	if (job->name == NULL) {
		reg_fail(job, NCIP_PT_NEEDED_DATA_MISSING, "NameInformation",
		    NULL);
		return;
	}
	/*
	 * The home's own ILS is told too, as before there was a gateway to
	 * keep it: one that has the patron already says Duplicate User,
	 * which confirms the card is its.  XXX: a home reached over SIP2
	 * cannot take it, so its ILS cannot register this way (Unsupported
	 * Service); its staff use circlinkctl register.
	 */
	if (serve_own(job->home, NULL, &job->c.creq, reg_home_said, job) == -1)
		reg_fail(job, NCIP_PT_TEMPORARY_FAILURE, NULL, "The gateway "
		    "is short of memory.");
}

/* The home's ILS made the patron, or has it: now the partners. */
static void
reg_home_said(const struct circ_req *req, const struct circ_result *res,
    void *arg)
{
	struct reg_job			*job = arg;
	const struct conf_partner	*p;
	char				 screen[200];

	if (res->ok || res->error == CIRC_E_DUPLICATE) {
		reg_person(job);
		return;
	}
	/* The words a forwarded request would have had, naming the ILS. */
	p = conf_partner_find(gw->conf, job->home);
	if (res->screen != NULL)
		snprintf(screen, sizeof(screen), "%s", res->screen);
	else
		xlate_sip2_screen(&job->c.creq, res->error, p != NULL ?
		    p->name : NULL, screen, sizeof(screen));
	reg_fail(job, xlate_ncip_problem(res->error, CIRC_CREATE_USER), NULL,
	    screen);
}

/*
 * circlinkctl register PARTNER BARCODE: a patron who has an account at
 * the partner's ILS, looked up there without a PIN for the class and the
 * fields that may be carried on.
 */
int
register_staff(const char *home, const char *barcode,
    void (*cb)(int, const char *, void *), void *arg, char *err,
    size_t errlen)
{
	const struct conf_partner	*p;
	struct reg_job			*job;
	struct circ_req			 req;

	if ((p = conf_partner_find(gw->conf, home)) == NULL ||
	    !p->has_backend) {
		snprintf(err, errlen, "no partner \"%.64s\" with an ILS", home);
		return (-1);
	}
	if (*barcode == '\0' || strlen(barcode) > IDSTORE_VALUE_MAX) {
		snprintf(err, errlen, "the barcode is empty or too long");
		return (-1);
	}
	if (gw->store == NULL) {
		snprintf(err, errlen, "no identity store");
		return (-1);
	}
	if ((job = reg_new(p->id, 0, NULL, cb, arg)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	snprintf(job->barcode, sizeof(job->barcode), "%s", barcode);
	memset(&req, 0, sizeof(req));
	req.op = circ_op_sip2(SIP2_PATRON_INFO);
	req.patron = job->barcode;
	req.summary = -1;
	req.want_class = 1;
	if (serve_own(p->id, NULL, &req, reg_looked_up, job) == -1) {
		circ_arena_free(job->c.arena);
		free(job);
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	return (0);
}

/* The home's ILS described the patron, or could not. */
static void
reg_looked_up(const struct circ_req *req, const struct circ_result *res,
    void *arg)
{
	struct reg_job	*job = arg;
	char		 text[200];
	const char	*bad = NULL;

	if (!res->patron.found) {
		snprintf(text, sizeof(text), "%s's ILS %s", job->home,
		    res->error == CIRC_E_NONE ||
		    res->error == CIRC_E_UNKNOWN_PATRON ? "does not know this "
		    "patron" : "could not be asked; try again later");
		reg_fail(job, NCIP_PT_UNKNOWN_USER, NULL, text);
		return;
	}
	if (res->user_id != NULL && *res->user_id != '\0' &&
	    strlen(res->user_id) <= IDSTORE_VALUE_MAX)
		snprintf(job->key, sizeof(job->key), "%s", res->user_id);
	if (reg_fields(job, &res->patron, &bad) == -1) {
		snprintf(text, sizeof(text), "the patron's %s is too long to "
		    "carry", bad != NULL ? bad : "record");
		reg_fail(job, NCIP_PT_UNKNOWN_VALUE, NULL, text);
		return;
	}
	reg_person(job);
}

/* Find the person of the home's account, or make one with it as home. */
static void
reg_person(struct reg_job *job)
{
	if (register_person(job->home, job->key[0] != '\0' ? job->key : NULL,
	    job->barcode, "registration", reg_found, job) == -1)
		reg_fail(job, NCIP_PT_TEMPORARY_FAILURE, NULL, "The gateway "
		    "cannot record the patron now.");
}

/* The person is known, or the store could not say. */
static void
reg_found(int result, const uint8_t *person, void *arg)
{
	struct reg_job	*job = arg;

	if (result != IDSTORE_OK) {
		reg_fail(job, NCIP_PT_TEMPORARY_FAILURE, NULL, "The gateway "
		    "cannot record the patron now.");
		return;
	}
	memcpy(job->person, person, IDSTORE_ID_LEN);
	reg_plan(job);
}

/*
 * Owe an account at every partner that may have one and has none yet:
 * the answer waits for each call's commit and first try.
 */
static void
reg_plan(struct reg_job *job)
{
	const struct conf_partner	*q;
	struct idstore_person		*p;
	struct reg_target		*tg;
	int				 rc;

	if ((p = malloc(sizeof(*p))) == NULL) {
		reg_fail(job, NCIP_PT_TEMPORARY_FAILURE, NULL, "The gateway "
		    "is short of memory.");
		return;
	}
	if ((rc = idstore_person(gw->store, job->person, p)) != IDSTORE_OK) {
		free(p);
		log_warnx("register event=person home=%s store=\"%s\"",
		    job->home, idstore_strerror(rc));
		reg_fail(job, NCIP_PT_TEMPORARY_FAILURE, NULL, "The gateway "
		    "cannot read its records now.");
		return;
	}
	job->nwait = 1;		/* until the loop is done */
	TAILQ_FOREACH(q, &gw->conf->partners, entry) {
		if (strcmp(q->id, job->home) == 0 ||
		    job->ntargets == IDSTORE_ACCOUNTS_MAX)
			continue;
		tg = &job->targets[job->ntargets++];
		tg->job = job;
		snprintf(tg->partner, sizeof(tg->partner), "%s", q->id);
		tg->state = reg_target(job, q, p);
	}
	OPENSSL_cleanse(p, sizeof(*p));
	free(p);
	if (--job->nwait == 0)
		reg_finish(job);
}

/*
 * Decide on one partner and owe the call when the account is to be made:
 * returns the word for the answer ("owing" while the call's first try
 * runs).
 */
static const char *
reg_target(struct reg_job *job, const struct conf_partner *q,
    const struct idstore_person *p)
{
	const struct policy_agreement	*ags, *ag;
	struct policy_patron		 pp;
	struct policy_decision		 dec;
	struct policy_share		 share;
	struct reg_link			 l;
	uint8_t				 r[8];
	size_t				 i, n;

	ags = agreement_list(&n);
	if (!q->has_backend || (ag = policy_agreement_find(ags, n, job->home,
	    q->id)) == NULL || !policy_active(ag))
		return ("no-agreement");
	memset(&pp, 0, sizeof(pp));
	pp.home = job->home;
	pp.pclass = job->pclass;
	if (!policy_link(ags, n, &pp, q->id, &dec)) {
		/* Nothing of the patron leaves toward q. */
		log_info("policy event=no-link audit=%s op=register home=%s "
		    "to=%s", dec.audit, job->home, q->id);
		return (dec.reason == POLICY_E_CLASS_EXCLUDED ? "excluded" :
		    "not-allowed");
	}
	for (i = 0; i < p->naccounts; i++)
		if (strcmp(p->accounts[i].partner, q->id) == 0)
			return ("linked");
	if (outbox_owed(OUTBOX_LINK, q->id, job->person, IDSTORE_ID_LEN))
		return ("pending");

	policy_share(ags, n, job->home, q->id, &share, &dec);
	memset(&l, 0, sizeof(l));
	memcpy(l.person, job->person, IDSTORE_ID_LEN);
	snprintf(l.home, sizeof(l.home), "%s", job->home);
	if (RAND_bytes(r, sizeof(r)) != 1)
		return ("not-saved");
	/* Ours alone: a Duplicate User for it is an earlier try's. */
	snprintf(l.user_id, sizeof(l.user_id), "CL%02X%02X%02X%02X%02X%02X"
	    "%02X%02X", r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
	if (job->pclass != NULL)
		snprintf(l.pclass, sizeof(l.pclass), "%s", job->pclass);
	if (job->name != NULL && !(share.withheld & POLICY_F_NAME))
		snprintf(l.name, sizeof(l.name), "%s", job->name);
	if (job->address != NULL && !(share.withheld & POLICY_F_ADDRESS))
		snprintf(l.address, sizeof(l.address), "%s", job->address);
	if (job->email != NULL && !(share.withheld & POLICY_F_EMAIL))
		snprintf(l.email, sizeof(l.email), "%s", job->email);
	if (job->phone != NULL && !(share.withheld & POLICY_F_PHONE))
		snprintf(l.phone, sizeof(l.phone), "%s", job->phone);
	/*
	 * The link step's CreateUser carries no date of birth, so none is
	 * kept in the outbox either (l.birth stays empty).
	 */
	job->nwait++;
	if (outbox_add(OUTBOX_LINK, q->id, &l, sizeof(l), NULL, reg_owed,
	    &job->targets[job->ntargets - 1]) == -1) {
		job->nwait--;
		OPENSSL_cleanse(&l, sizeof(l));
		return ("not-saved");
	}
	OPENSSL_cleanse(&l, sizeof(l));
	return ("owing");
}

/* A call owed is committed and its first try over, or not committed. */
static void
reg_owed(enum outbox_status st, const uint8_t *id, void *arg)
{
	struct reg_target	*tg = arg;
	struct reg_job		*job = tg->job;

	switch (st) {
	case OUTBOX_SENT:
		tg->state = "linked-now";
		break;
	case OUTBOX_PENDING:
		tg->state = "pending";
		break;
	case OUTBOX_FAILED:
		tg->state = "failed";
		break;
	default:
		tg->state = "not-saved";
		break;
	}
	if (--job->nwait == 0)
		reg_finish(job);
}

/* End a registration that could not be done with a Problem or a line. */
static void
reg_fail(struct reg_job *job, enum ncip_problem_type kind,
    const char *element, const char *detail)
{
	register_refuse(&job->c, kind, element, detail);
	OPENSSL_cleanse(job, sizeof(*job));
	free(job);
}

/*
 * Answer: the registration holds once every account owed is committed;
 * only a call that could not be committed makes it fail (it may be sent
 * again: nothing is done twice).
 */
static void
reg_finish(struct reg_job *job)
{
	char			 text[REG_TEXT_MAX];
	size_t			 i, len = 0, now = 0, later = 0, unsaved = 0;

	for (i = 0; i < job->ntargets; i++) {
		now += strcmp(job->targets[i].state, "linked-now") == 0;
		later += strcmp(job->targets[i].state, "pending") == 0;
		unsaved += strcmp(job->targets[i].state, "not-saved") == 0;
		len += snprintf(text + len, len < sizeof(text) ?
		    sizeof(text) - len : 0, "%spartner %s %s", i > 0 ? "\n" :
		    "", job->targets[i].partner, job->targets[i].state);
		if (len >= sizeof(text))
			len = sizeof(text) - 1;
	}
	text[len] = '\0';
	log_info("register event=done via=%s home=%s linked=%zu pending=%zu "
	    "unsaved=%zu", job->c.staff ? "circlinkctl" : "ncip", job->home,
	    now, later, unsaved);
	if (unsaved > 0) {
		reg_fail(job, NCIP_PT_TEMPORARY_FAILURE, NULL, "Not every "
		    "partner's account could be recorded; please send it "
		    "again.");
		return;
	}
	register_answer(&job->c, job->key[0] != '\0' ? job->key :
	    job->barcode, text);
	OPENSSL_cleanse(job, sizeof(*job));
	free(job);
}

/* --- the outbox's calls of this kind --------------------------------- */

/* Return 1 if every string of a call's data is terminated. */
static int
reg_link_ok(const struct reg_link *l)
{
	return (memchr(l->home, '\0', sizeof(l->home)) != NULL &&
	    memchr(l->user_id, '\0', sizeof(l->user_id)) != NULL &&
	    memchr(l->pclass, '\0', sizeof(l->pclass)) != NULL &&
	    memchr(l->name, '\0', sizeof(l->name)) != NULL &&
	    memchr(l->address, '\0', sizeof(l->address)) != NULL &&
	    memchr(l->email, '\0', sizeof(l->email)) != NULL &&
	    memchr(l->phone, '\0', sizeof(l->phone)) != NULL &&
	    memchr(l->birth, '\0', sizeof(l->birth)) != NULL);
}

#define REG_OR_NULL(s)	((s)[0] != '\0' ? (s) : NULL)

/*
 * Make one account owed: the link step of a visit, with the UserId the
 * registration chose.  Returns 0 when under way, -1 when it cannot start.
 */
int
register_send(const uint8_t *id, const char *partner, const void *data,
    size_t len, uint64_t token)
{
	struct reg_link		 l;
	struct serve_link	 sl;
	int			 rc;

	if (len != sizeof(l)) {
		outbox_sent(token, OUTBOX_PERMANENT, "malformed call");
		return (0);
	}
	memcpy(&l, data, sizeof(l));
	if (!reg_link_ok(&l)) {
		OPENSSL_cleanse(&l, sizeof(l));
		outbox_sent(token, OUTBOX_PERMANENT, "malformed call");
		return (0);
	}
	memset(&sl, 0, sizeof(sl));
	sl.home = l.home;
	sl.lender = partner;
	sl.person = l.person;
	sl.pclass = REG_OR_NULL(l.pclass);
	sl.user_id = l.user_id;
	sl.name = REG_OR_NULL(l.name);
	sl.address = REG_OR_NULL(l.address);
	sl.email = REG_OR_NULL(l.email);
	sl.phone = REG_OR_NULL(l.phone);
	sl.birth = REG_OR_NULL(l.birth);
	sl.creator = "registration";
	sl.reason = "registered";
	/* serve_link copies what it keeps. */
	rc = serve_link(&sl, reg_linked, (void *)(uintptr_t)token);
	OPENSSL_cleanse(&l, sizeof(l));
	return (rc);
}

/* The link step ended: the outbox hears what to do with the call. */
static void
reg_linked(enum circ_error e, const char *barcode, const char *screen,
    void *arg)
{
	uint64_t	 token = (uintptr_t)arg;

	switch (e) {
	case CIRC_E_NONE:
		outbox_sent(token, OUTBOX_DONE, NULL);
		break;
	case CIRC_E_OFFLINE:
		outbox_sent(token, OUTBOX_RETRY, "the partner is offline");
		break;
	case CIRC_E_TIMEOUT:
		outbox_sent(token, OUTBOX_RETRY, "the partner did not answer");
		break;
	case CIRC_E_REFUSED:
		outbox_sent(token, OUTBOX_RETRY, "refused for now");
		break;
	case CIRC_E_NOT_ALLOWED:
	case CIRC_E_UNKNOWN_PATRON:
		outbox_sent(token, OUTBOX_PERMANENT, "the agreement does not "
		    "allow it");
		break;
	case CIRC_E_DUPLICATE:
		outbox_sent(token, OUTBOX_PERMANENT, "the UserId is taken");
		break;
	default:
		outbox_sent(token, OUTBOX_PERMANENT, "the partner cannot make "
		    "the account");
		break;
	}
}
