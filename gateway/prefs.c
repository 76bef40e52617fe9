/* SPDX-License-Identifier: ISC */
/*
 * Preferences once: a person's notification channels and events and the
 * preferred pickup location, set through an NCIP UpdateUser from a
 * partner's ILS or through circlinkctl, kept on the person in the
 * identity store and pushed through the outbox to every linked account
 * whose ILS takes an UpdateUser.
 */

#include "config.h"

#include <sys/queue.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include <openssl/crypto.h>

#include "circlinkd.h"
#include "idstore.h"
#include "ncip.h"

/*
 * How preferences travel in NCIP (README: Preferences): one
 * UserAddressInformation in AddUserFields (and the same in
 * DeleteUserFields, to replace what was there) whose ElectronicAddress
 * has this type and the words of prefs_text() as its data.
 */
#define PREFS_NCIP_TYPE		"x-circlink-preferences"
#define PREFS_NCIP_ROLE		"Notification Preferences"
#define PREFS_NCIP_SCHEME	"http://circlink.org/ncip/schemes/" \
				    "useraddressroletype.scm"
#define PREFS_TEXT_MAX		160	/* the words, with NUL */
#define PREFS_VERSION		1
#define PREFS_ANSWER_MAX	2048

/* A person's preferences as the store keeps them, sealed. */
struct prefs_rec {
	uint8_t		 version;
	uint8_t		 channels;	/* PREFS_CH_* */
	uint8_t		 events;	/* PREFS_EV_* */
	uint8_t		 pad;
	int64_t		 updated;
	char		 pickup[CONF_NAME_MAX];	/* "": none */
};

/* One push owed: the outbox call's data, the person's id first. */
struct prefs_push {
	uint8_t		 person[IDSTORE_ID_LEN];
	char		 home[CONF_NAME_MAX];
	char		 barcode[IDSTORE_VALUE_MAX + 1];	/* there */
};

/* The words and their bits. */
static const struct {
	const char	*word;
	int		 bit;
} prefs_channels[] = {
	{ "email", PREFS_CH_EMAIL },
	{ "sms", PREFS_CH_SMS },
	{ "text", PREFS_CH_SMS },
	{ "phone", PREFS_CH_PHONE },
}, prefs_events[] = {
	{ "hold-ready", PREFS_EV_HOLD_READY },
	{ "overdue", PREFS_EV_OVERDUE },
	{ "due-soon", PREFS_EV_DUE_SOON },
};
#define PREFS_NWORDS(a)	(sizeof(a) / sizeof((a)[0]))

struct prefs_job;

struct prefs_target {
	struct prefs_job	*job;
	char			 partner[CONF_NAME_MAX];
	const char		*state;
};

/* One change of preferences, from its request to its answer. */
struct prefs_job {
	struct reg_caller	 c;
	char			 home[CONF_NAME_MAX];	/* the caller's */
	char			 phome[CONF_NAME_MAX];	/* the person's */
	char			 barcode[IDSTORE_VALUE_MAX + 1];
	char			 key[IDSTORE_VALUE_MAX + 1];
	char			 words[PREFS_TEXT_MAX * 2];	/* as asked */
	uint8_t			 person[IDSTORE_ID_LEN];
	struct prefs_rec	 rec;
	struct prefs_target	 targets[IDSTORE_ACCOUNTS_MAX];
	size_t			 ntargets, nwait;
};

/* A push under way: its UpdateUser lives until the call ends. */
struct prefs_call {
	uint64_t		 token;
	struct ncip_msg		*m;
	char			 barcode[IDSTORE_VALUE_MAX + 1];
};

static int	 prefs_parse(struct prefs_rec *, char *, char *, size_t);
static void	 prefs_text(const struct prefs_rec *, char *, size_t);
static int	 prefs_load(const uint8_t *, struct prefs_rec *);
static struct prefs_job *prefs_new(const char *, uint64_t, struct ncip_msg *,
		    void (*)(int, const char *, void *), void *);
static void	 prefs_found(int, const uint8_t *, void *);
static void	 prefs_store(struct prefs_job *);
static void	 prefs_stored(int, const struct idstore_write *, void *);
static const char *prefs_target(struct prefs_job *,
		    const struct idstore_account *, struct prefs_target *);
static void	 prefs_owed(enum outbox_status, const uint8_t *, void *);
static void	 prefs_fail(struct prefs_job *, enum ncip_problem_type,
		    const char *, const char *);
static void	 prefs_finish(struct prefs_job *);
static void	 prefs_pushed(const struct circ_req *,
		    const struct circ_result *, void *);

/* --- the words --------------------------------------------------------- */

/* Return the bits of a comma-separated list, or -1 for a word unknown. */
static int
prefs_bits(const char *list, int events)
{
	char		 buf[PREFS_TEXT_MAX], *s = buf, *w;
	size_t		 i, n;
	int		 bits = 0;

	if (strlen(list) >= sizeof(buf))
		return (-1);
	snprintf(buf, sizeof(buf), "%s", list);
	if (strcmp(buf, "none") == 0)
		return (0);
	n = events ? PREFS_NWORDS(prefs_events) : PREFS_NWORDS(prefs_channels);
	while ((w = strsep(&s, ",")) != NULL) {
		for (i = 0; i < n; i++)
			if (strcasecmp(w, events ? prefs_events[i].word :
			    prefs_channels[i].word) == 0)
				break;
		if (i == n)
			return (-1);
		bits |= events ? prefs_events[i].bit : prefs_channels[i].bit;
	}
	return (bits);
}

/* Return 1 if a code is one of a partner's locations. */
static int
prefs_location(const char *code)
{
	const struct conf_partner	*p;
	int				 i;

	TAILQ_FOREACH(p, &gw->conf->partners, entry)
		for (i = 0; i < p->nlocations; i++)
			if (strcasecmp(p->locations[i], code) == 0)
				return (1);
	return (0);
}

/*
 * Apply words "channels=email,sms events=hold-ready pickup=MAIN" (space
 * separated; "none" empties) to rec.  0, or -1 with why in err; rec is
 * then unchanged.
 */
static int
prefs_parse(struct prefs_rec *rec, char *words, char *err, size_t errlen)
{
	struct prefs_rec	 r = *rec;
	char			*s = words, *w, *v;
	int			 bits, n = 0;

	while ((w = strsep(&s, " \t")) != NULL) {
		if (*w == '\0')
			continue;
		n++;
		if ((v = strchr(w, '=')) == NULL) {
			snprintf(err, errlen, "not key=value: a word of the "
			    "preferences");
			return (-1);
		}
		*v++ = '\0';
		if (strcmp(w, "channels") == 0 || strcmp(w, "events") == 0) {
			if ((bits = prefs_bits(v, w[0] == 'e')) == -1) {
				snprintf(err, errlen, "%s: one of %s, or none",
				    w, w[0] == 'e' ? "hold-ready,overdue,"
				    "due-soon" : "email,sms,phone");
				return (-1);
			}
			if (w[0] == 'e')
				r.events = bits;
			else
				r.channels = bits;
		} else if (strcmp(w, "pickup") == 0) {
			if (strcmp(v, "none") == 0)
				r.pickup[0] = '\0';
			else if (strlen(v) >= sizeof(r.pickup) ||
			    !prefs_location(v)) {
				snprintf(err, errlen, "pickup: not a location "
				    "of any partner");
				return (-1);
			} else
				snprintf(r.pickup, sizeof(r.pickup), "%s", v);
		} else {
			snprintf(err, errlen, "unknown preference; channels, "
			    "events or pickup");
			return (-1);
		}
	}
	if (n == 0) {
		snprintf(err, errlen, "no preference given");
		return (-1);
	}
	*rec = r;
	return (0);
}

/* Write a person's preferences as the words prefs_parse() reads. */
static void
prefs_text(const struct prefs_rec *rec, char *buf, size_t len)
{
	char	 ch[64] = "", ev[64] = "";
	size_t	 i;

	for (i = 0; i < PREFS_NWORDS(prefs_channels); i++)
		if ((rec->channels & prefs_channels[i].bit) &&
		    strcmp(prefs_channels[i].word, "text") != 0)
			snprintf(ch + strlen(ch), sizeof(ch) - strlen(ch),
			    "%s%s", ch[0] != '\0' ? "," : "",
			    prefs_channels[i].word);
	for (i = 0; i < PREFS_NWORDS(prefs_events); i++)
		if (rec->events & prefs_events[i].bit)
			snprintf(ev + strlen(ev), sizeof(ev) - strlen(ev),
			    "%s%s", ev[0] != '\0' ? "," : "",
			    prefs_events[i].word);
	snprintf(buf, len, "channels=%s events=%s pickup=%s",
	    ch[0] != '\0' ? ch : "none", ev[0] != '\0' ? ev : "none",
	    rec->pickup[0] != '\0' ? rec->pickup : "none");
}

/*
 * A person's preferences from the store, or none set: 0, 1 when none is
 * on record (rec zeroed), -1 when the store cannot say.
 */
static int
prefs_load(const uint8_t *person, struct prefs_rec *rec)
{
	size_t	 len;
	int	 rc;

	memset(rec, 0, sizeof(*rec));
	rec->version = PREFS_VERSION;
	if (gw == NULL || gw->store == NULL)
		return (-1);
	rc = idstore_rec_get(gw->store, IDSTORE_KIND_PREFS, person,
	    IDSTORE_ID_LEN, rec, sizeof(*rec), &len);
	if (rc == IDSTORE_NOTFOUND)
		return (1);
	if (rc != IDSTORE_OK || len != sizeof(*rec) ||
	    rec->version != PREFS_VERSION ||
	    memchr(rec->pickup, '\0', sizeof(rec->pickup)) == NULL) {
		memset(rec, 0, sizeof(*rec));
		return (-1);
	}
	return (0);
}

/* The preferred pickup location of a person, for the holds tracker. */
int
prefs_pickup(const uint8_t *person, char *buf, size_t len)
{
	struct prefs_rec	 rec;

	if (prefs_load(person, &rec) != 0 || rec.pickup[0] == '\0' ||
	    strlen(rec.pickup) >= len)
		return (-1);
	snprintf(buf, len, "%s", rec.pickup);
	return (0);
}

/* --- changes ----------------------------------------------------------- */

/* A change for a caller (NCIP when req is given); NULL once answered. */
static struct prefs_job *
prefs_new(const char *home, uint64_t call, struct ncip_msg *req,
    void (*cb)(int, const char *, void *), void *arg)
{
	struct prefs_job	*job;

	if ((job = register_job(sizeof(*job), call, req, cb, arg)) != NULL)
		snprintf(job->home, sizeof(job->home), "%s", home);
	return (job);
}

/* Is this address the preferences' carrier? */
static int
prefs_is_carrier(const struct ncip_address *a)
{
	return (a->kind == NCIP_ADDR_ELECTRONIC &&
	    a->electronic_type.value != NULL &&
	    strcasecmp(a->electronic_type.value, PREFS_NCIP_TYPE) == 0);
}

/* The carrier among some fields, or NULL. */
static const struct ncip_address *
prefs_carrier(const struct ncip_user_fields *f)
{
	size_t	 i;

	for (i = 0; i < f->naddresses; i++)
		if (prefs_is_carrier(&f->addresses[i]))
			return (&f->addresses[i]);
	return (NULL);
}

/* Return 1 if an UpdateUser carries preferences to keep. */
int
prefs_carried(const struct ncip_msg *m)
{
	return (m->service == NCIP_UPDATE_USER && m->user_add.present &&
	    prefs_carrier(&m->user_add.fields) != NULL);
}

/* Return 1 if fields hold anything but the preferences' carrier. */
static int
prefs_more(const struct ncip_user_change *c)
{
	const struct ncip_user_fields	*f = &c->fields;
	size_t				 i;

	if (!c->present)
		return (0);
	for (i = 0; i < f->naddresses; i++)
		if (!prefs_is_carrier(&f->addresses[i]))
			return (1);
	return (c->nauth > 0 || f->name.present || f->birth.set ||
	    f->nlanguages > 0 || f->nprivileges > 0 || f->nblocks > 0 ||
	    f->nuser_ids > 0 || f->nprevious_ids > 0);
}

/*
 * An UpdateUser with preferences from partner caller's ILS, for one of
 * its patrons.  Takes req.
 */
void
prefs_ncip(uint64_t call, const struct conf_partner *caller,
    struct ncip_msg *req)
{
	struct prefs_job		*job;
	const struct ncip_address	*a;
	char				 err[200];

	if ((job = prefs_new(caller->id, call, req, NULL, NULL)) == NULL)
		return;
	if (job->c.creq.patron == NULL || *job->c.creq.patron == '\0') {
		prefs_fail(job, NCIP_PT_NEEDED_DATA_MISSING, "UserId", NULL);
		return;
	}
	if (strlen(job->c.creq.patron) > IDSTORE_VALUE_MAX ||
	    (req->user_id.value != NULL &&
	    strlen(req->user_id.value) > IDSTORE_VALUE_MAX)) {
		prefs_fail(job, NCIP_PT_UNKNOWN_VALUE, "UserIdentifierValue",
		    "too long");
		return;
	}
	/* XXX: other changes in the same UpdateUser are refused, not made. */
	if (prefs_more(&req->user_add) || prefs_more(&req->user_delete)) {
		prefs_fail(job, NCIP_PT_UNKNOWN_ELEMENT, "AddUserFields",
		    "preferences travel in an UpdateUser of their own");
		return;
	}
	a = prefs_carrier(&req->user_add.fields);
	if (a->electronic == NULL ||
	    strlen(a->electronic) >= sizeof(job->words)) {
		prefs_fail(job, NCIP_PT_UNKNOWN_VALUE,
		    "ElectronicAddressData", "too long or empty");
		return;
	}
	snprintf(job->words, sizeof(job->words), "%s", a->electronic);
	snprintf(job->barcode, sizeof(job->barcode), "%s", job->c.creq.patron);
	if (req->user_id.value != NULL)
		snprintf(job->key, sizeof(job->key), "%s", req->user_id.value);
	/* Checked now, so that a mistake is answered as one. */
	if (prefs_parse(&job->rec, job->words, err, sizeof(err)) == -1) {
		prefs_fail(job, NCIP_PT_UNKNOWN_VALUE,
		    "ElectronicAddressData", err);
		return;
	}
	snprintf(job->words, sizeof(job->words), "%s", a->electronic);
	if (register_person(job->home, job->key[0] != '\0' ? job->key : NULL,
	    job->barcode, "preferences", prefs_found, job) == -1)
		prefs_fail(job, NCIP_PT_TEMPORARY_FAILURE, NULL, "The gateway "
		    "cannot record the patron now.");
}

/*
 * circlinkctl prefs set PARTNER BARCODE key=value... | prefs show PARTNER
 * BARCODE, for a patron the gateway knows.
 */
int
prefs_staff(int argc, char **argv, void (*cb)(int, const char *, void *),
    void *arg, char *err, size_t errlen)
{
	struct prefs_job	*job;
	struct prefs_rec	 rec;
	struct idstore_ref	 r;
	char			 text[PREFS_TEXT_MAX];
	size_t			 len = 0;
	int			 i, rc, set;

	set = argc >= 4 && strcmp(argv[0], "set") == 0;
	if (!set && !(argc == 3 && strcmp(argv[0], "show") == 0)) {
		snprintf(err, errlen, "usage: prefs set PARTNER BARCODE "
		    "key=value... | prefs show PARTNER BARCODE");
		return (-1);
	}
	if (gw->store == NULL || conf_partner_find(gw->conf, argv[1]) ==
	    NULL) {
		snprintf(err, errlen, "no partner \"%.64s\" or no identity "
		    "store", argv[1]);
		return (-1);
	}
	if (strlen(argv[2]) > IDSTORE_VALUE_MAX) {
		snprintf(err, errlen, "the barcode is too long");
		return (-1);
	}
	if ((rc = idstore_find_barcode(gw->store, argv[1], argv[2], &r)) !=
	    IDSTORE_OK) {
		snprintf(err, errlen, "%s", rc == IDSTORE_NOTFOUND ? "the "
		    "gateway does not know this patron; register it first" :
		    idstore_strerror(rc));
		return (-1);
	}
	if (!set) {
		if (prefs_load(r.person, &rec) == -1) {
			snprintf(err, errlen, "the store cannot say");
			return (-1);
		}
		prefs_text(&rec, text, sizeof(text));
		cb(1, text, arg);
		return (0);
	}
	if ((job = prefs_new(argv[1], 0, NULL, cb, arg)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	snprintf(job->barcode, sizeof(job->barcode), "%s", argv[2]);
	for (i = 3; i < argc; i++) {
		len += snprintf(job->words + len, sizeof(job->words) - len,
		    "%s%s", i > 3 ? " " : "", argv[i]);
		if (len >= sizeof(job->words)) {
			circ_arena_free(job->c.arena);
			free(job);
			snprintf(err, errlen, "too many words");
			return (-1);
		}
	}
	memcpy(job->person, r.person, IDSTORE_ID_LEN);
	prefs_store(job);
	return (0);
}

/* The person of the caller's patron is known, or the store failed. */
static void
prefs_found(int result, const uint8_t *person, void *arg)
{
	struct prefs_job	*job = arg;

	if (result != IDSTORE_OK) {
		prefs_fail(job, NCIP_PT_TEMPORARY_FAILURE, NULL, "The gateway "
		    "cannot record the patron now.");
		return;
	}
	memcpy(job->person, person, IDSTORE_ID_LEN);
	prefs_store(job);
}

/* Apply the words to what the person has and commit it. */
static void
prefs_store(struct prefs_job *job)
{
	struct idstore_write	 w;
	char			 err[200];

	if (prefs_load(job->person, &job->rec) == -1) {
		prefs_fail(job, NCIP_PT_TEMPORARY_FAILURE, NULL, "The gateway "
		    "cannot read its records now.");
		return;
	}
	if (prefs_parse(&job->rec, job->words, err, sizeof(err)) == -1) {
		prefs_fail(job, NCIP_PT_UNKNOWN_VALUE, "ElectronicAddressData",
		    err);
		return;
	}
	job->rec.version = PREFS_VERSION;
	job->rec.updated = time(NULL);
	memset(&w, 0, sizeof(w));
	w.op = IDSTORE_REC_PUT;
	w.kind = IDSTORE_KIND_PREFS;
	w.rec_key = job->person;
	w.rec_keylen = IDSTORE_ID_LEN;
	w.rec_value = &job->rec;
	w.rec_len = sizeof(job->rec);
	if (idstore_submit(gw->store, &w, prefs_stored, job) == -1)
		prefs_fail(job, NCIP_PT_TEMPORARY_FAILURE, NULL, "The gateway "
		    "cannot record the preferences now.");
}

/* The preferences are kept: push them to every linked account. */
static void
prefs_stored(int result, const struct idstore_write *w, void *arg)
{
	struct prefs_job	*job = arg;
	struct idstore_person	*p;
	struct prefs_target	*tg;
	size_t			 i;

	if (result != IDSTORE_OK) {
		prefs_fail(job, NCIP_PT_TEMPORARY_FAILURE, NULL, "The gateway "
		    "cannot record the preferences now.");
		return;
	}
	if ((p = malloc(sizeof(*p))) == NULL ||
	    idstore_person(gw->store, job->person, p) != IDSTORE_OK) {
		free(p);
		prefs_fail(job, NCIP_PT_TEMPORARY_FAILURE, NULL, "The "
		    "preferences are kept, but the gateway cannot read the "
		    "accounts to push them to; please send them again.");
		return;
	}
	for (i = 0; i < p->naccounts; i++)
		if (p->accounts[i].home)
			snprintf(job->phome, sizeof(job->phome), "%s",
			    p->accounts[i].partner);
	job->nwait = 1;
	for (i = 0; i < p->naccounts && job->ntargets < IDSTORE_ACCOUNTS_MAX;
	    i++) {
		tg = &job->targets[job->ntargets++];
		tg->job = job;
		snprintf(tg->partner, sizeof(tg->partner), "%s",
		    p->accounts[i].partner);
		tg->state = prefs_target(job, &p->accounts[i], tg);
	}
	OPENSSL_cleanse(p, sizeof(*p));
	free(p);
	if (--job->nwait == 0)
		prefs_finish(job);
}

/* Decide on one linked account and owe the push when it is to be made. */
static const char *
prefs_target(struct prefs_job *job, const struct idstore_account *acc,
    struct prefs_target *tg)
{
	const struct policy_agreement	*ags, *ag;
	const struct conf_partner	*q;
	struct policy_share		 share;
	struct policy_decision		 dec;
	struct prefs_push		 push;
	const char			*home = job->phome;
	size_t				 n;

	if ((q = conf_partner_find(gw->conf, acc->partner)) == NULL ||
	    !q->has_backend)
		return ("no-ils");
	ags = agreement_list(&n);
	if (strcmp(q->id, home) != 0) {
		if ((ag = policy_agreement_find(ags, n, home, q->id)) ==
		    NULL || !policy_active(ag))
			return ("no-agreement");
		policy_share(ags, n, home, q->id, &share, &dec);
		if (share.withheld & POLICY_F_OTHER)
			return ("withheld");
	}
	if (q->backend.proto != BACKEND_NCIP) {
		log_info("prefs event=not-pushed partner=%s why=\"SIP2 has no "
		    "UpdateUser\"", q->id);
		return ("not-pushed-sip2");
	}
	if (acc->nbarcodes == 0 && acc->patron_key[0] == '\0')
		return ("no-barcode");
	if (outbox_owed(OUTBOX_UPDATE_USER, q->id, job->person,
	    IDSTORE_ID_LEN))
		return ("pending");
	memset(&push, 0, sizeof(push));
	memcpy(push.person, job->person, IDSTORE_ID_LEN);
	snprintf(push.home, sizeof(push.home), "%s", home);
	snprintf(push.barcode, sizeof(push.barcode), "%s", acc->nbarcodes >
	    0 ? acc->barcodes[0] : acc->patron_key);
	job->nwait++;
	if (outbox_add(OUTBOX_UPDATE_USER, q->id, &push, sizeof(push), NULL,
	    prefs_owed, tg) == -1) {
		job->nwait--;
		OPENSSL_cleanse(&push, sizeof(push));
		return ("not-saved");
	}
	OPENSSL_cleanse(&push, sizeof(push));
	return ("owing");
}

static void
prefs_owed(enum outbox_status st, const uint8_t *id, void *arg)
{
	struct prefs_target	*tg = arg;
	struct prefs_job	*job = tg->job;

	tg->state = st == OUTBOX_SENT ? "pushed-now" : st == OUTBOX_PENDING ?
	    "pending" : st == OUTBOX_FAILED ? "failed" : "not-saved";
	if (--job->nwait == 0)
		prefs_finish(job);
}

static void
prefs_fail(struct prefs_job *job, enum ncip_problem_type kind,
    const char *element, const char *detail)
{
	register_refuse(&job->c, kind, element, detail);
	OPENSSL_cleanse(job, sizeof(*job));
	free(job);
}

/* Answer once every push owed is committed and has had its first try. */
static void
prefs_finish(struct prefs_job *job)
{
	char			 text[PREFS_ANSWER_MAX];
	size_t			 i, len, unsaved = 0;

	prefs_text(&job->rec, text, sizeof(text));
	len = strlen(text);
	for (i = 0; i < job->ntargets; i++) {
		unsaved += strcmp(job->targets[i].state, "not-saved") == 0;
		len += snprintf(text + len, len < sizeof(text) ?
		    sizeof(text) - len : 0, "\npartner %s %s",
		    job->targets[i].partner, job->targets[i].state);
		if (len >= sizeof(text))
			len = sizeof(text) - 1;
	}
	text[len] = '\0';
	log_info("prefs event=set via=%s home=%s accounts=%zu unsaved=%zu",
	    job->c.staff ? "circlinkctl" : "ncip", job->home, job->ntargets,
	    unsaved);
	if (unsaved > 0) {
		prefs_fail(job, NCIP_PT_TEMPORARY_FAILURE, NULL, "The "
		    "preferences are kept, but not every push could be "
		    "recorded; please send them again.");
		return;
	}
	register_answer(&job->c, job->c.creq.patron, text);
	OPENSSL_cleanse(job, sizeof(*job));
	free(job);
}

/* --- the outbox's calls of this kind --------------------------------- */

/*
 * Push a person's preferences as they are now (a later change makes an
 * earlier push carry it) to one linked account's NCIP ILS.  0 when under
 * way, -1 when it cannot start.
 */
int
prefs_send(const uint8_t *id, const char *partner, const void *data,
    size_t len, uint64_t token)
{
	const struct conf_partner	*q;
	struct prefs_push		 push;
	struct prefs_rec		 rec;
	struct prefs_call		*pc;
	struct ncip_address		*ad;
	struct circ_req			 req;
	char				 text[PREFS_TEXT_MAX];
	int				 rc;

	if (len != sizeof(push)) {
		outbox_sent(token, OUTBOX_PERMANENT, "malformed call");
		return (0);
	}
	memcpy(&push, data, sizeof(push));
	if (memchr(push.barcode, '\0', sizeof(push.barcode)) == NULL ||
	    memchr(push.home, '\0', sizeof(push.home)) == NULL) {
		outbox_sent(token, OUTBOX_PERMANENT, "malformed call");
		return (0);
	}
	if ((q = conf_partner_find(gw->conf, partner)) == NULL ||
	    !q->has_backend || q->backend.proto != BACKEND_NCIP) {
		outbox_sent(token, OUTBOX_PERMANENT, "no NCIP ILS there now");
		return (0);
	}
	if ((rc = prefs_load(push.person, &rec)) == -1)
		return (-1);
	if (rc == 1) {
		outbox_sent(token, OUTBOX_DONE, NULL);
		return (0);
	}
	prefs_text(&rec, text, sizeof(text));

	if ((pc = calloc(1, sizeof(*pc))) == NULL ||
	    (pc->m = ncip_msg_new(NCIP_UPDATE_USER)) == NULL ||
	    (ad = ncip_msg_calloc(pc->m, 2, sizeof(*ad))) == NULL) {
		if (pc != NULL)
			ncip_msg_free(pc->m);
		free(pc);
		return (-1);
	}
	pc->token = token;
	snprintf(pc->barcode, sizeof(pc->barcode), "%s", push.barcode);
	/* What was there goes first, then the preferences as they are. */
	ad[0].kind = ad[1].kind = NCIP_ADDR_ELECTRONIC;
	ad[0].role.scheme = ad[1].role.scheme = PREFS_NCIP_SCHEME;
	ad[0].role.value = ad[1].role.value = PREFS_NCIP_ROLE;
	ad[0].electronic_type.value = ad[1].electronic_type.value =
	    PREFS_NCIP_TYPE;
	ad[0].electronic = ad[1].electronic = ncip_msg_strdup(pc->m, text);
	pc->m->user_delete.present = 1;
	pc->m->user_delete.fields.addresses = &ad[0];
	pc->m->user_delete.fields.naddresses = 1;
	pc->m->user_add.present = 1;
	pc->m->user_add.fields.addresses = &ad[1];
	pc->m->user_add.fields.naddresses = 1;
	memset(&req, 0, sizeof(req));
	req.op = circ_op_ncip(NCIP_UPDATE_USER);
	req.patron = pc->barcode;
	req.ncip = pc->m;
	req.summary = -1;
	OPENSSL_cleanse(&push, sizeof(push));
	if (serve_own(partner, NULL, &req, prefs_pushed, pc) == -1) {
		ncip_msg_free(pc->m);
		free(pc);
		return (-1);
	}
	return (0);
}

/* The partner's ILS answered a push, or could not be reached. */
static void
prefs_pushed(const struct circ_req *req, const struct circ_result *res,
    void *arg)
{
	struct prefs_call	*pc = arg;
	uint64_t		 token = pc->token;

	ncip_msg_free(pc->m);
	OPENSSL_cleanse(pc, sizeof(*pc));
	free(pc);
	if (res->ok)
		outbox_sent(token, OUTBOX_DONE, NULL);
	else if (res->error == CIRC_E_OFFLINE || res->error == CIRC_E_TIMEOUT ||
	    res->error == CIRC_E_REFUSED)
		outbox_sent(token, OUTBOX_RETRY, res->error == CIRC_E_OFFLINE ?
		    "the partner is offline" : res->error == CIRC_E_TIMEOUT ?
		    "the partner did not answer" : "refused for now");
	else
		outbox_sent(token, OUTBOX_PERMANENT, res->error ==
		    CIRC_E_UNKNOWN_PATRON ? "the account is not known there" :
		    "the partner refused the update");
}
