/* SPDX-License-Identifier: ISC */
/*
 * The agreements in force: made from both partners' files and the
 * revocations on record in the state directory, and asked on every
 * request that would cross from one partner to another.
 */

#include "config.h"

#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <event2/event.h>

#include "circlinkd.h"

#define AGREEMENT_FILE		"revocations"
#define AGREEMENT_REVOKED_MAX	256	/* revocations on record */
#define AGREEMENT_CRED_MAX	1024	/* bytes of an administrator's */

/* One partner's withdrawal, by circlinkctl, of its acceptance. */
struct agr_revocation {
	char		 partner[CONF_NAME_MAX];
	char		 other[CONF_NAME_MAX];
	long long	 when;
};

/* A change under way on the worker: check the credential, write. */
struct agr_change {
	char			 partner[CONF_NAME_MAX];
	char			 other[CONF_NAME_MAX];
	int			 revoke;
	char			*hash;	/* the partner's admin hash */
	char			 cred[AGREEMENT_CRED_MAX + 1];
	struct agr_revocation	 rev[AGREEMENT_REVOKED_MAX];
	size_t			 nrev;	/* the record after it */
	int			 ok;		/* credential right */
	int			 saved;		/* -1 on failure */
	char			 err[1400];
	agreement_cb		 cb;
	void			*arg;
};

static struct policy_agreement	*agr_list;
static size_t			 agr_n;
static struct agr_revocation	 agr_rev[AGREEMENT_REVOKED_MAX];
static size_t			 agr_nrev;
static char			 agr_path[1024];
static int			 agr_busy;

static int	 agr_read(FILE *, char *, size_t);
static int	 agr_write(const char *, const struct agr_revocation *,
		    size_t, char *, size_t);
static ssize_t	 agr_find(const struct agr_revocation *, size_t,
		    const char *, const char *);
static void	 agr_change_run(void *);
static void	 agr_change_done(void *);
static void	 agr_change_answer(evutil_socket_t, short, void *);
static void	 agr_change_free(struct agr_change *);

int
agreement_open(const char *state_dir, char *err, size_t errlen)
{
	FILE	*fp;
	int	 n, rc;

	n = snprintf(agr_path, sizeof(agr_path), "%s/%s", state_dir,
	    AGREEMENT_FILE);
	if (n < 0 || (size_t)n >= sizeof(agr_path)) {
		snprintf(err, errlen, "%s: path too long", state_dir);
		return (-1);
	}
	agr_nrev = 0;
	if ((fp = fopen(agr_path, "r")) == NULL) {
		if (errno == ENOENT)
			return (0);
		snprintf(err, errlen, "%s: %s", agr_path, strerror(errno));
		return (-1);
	}
	rc = agr_read(fp, err, errlen);
	fclose(fp);
	if (rc == 0 && agr_nrev > 0)
		log_info("%s: %zu agreement revocation%s on record", agr_path,
		    agr_nrev, agr_nrev == 1 ? "" : "s");
	return (rc);
}

/* Read the record: lines "revoked PARTNER OTHER TIME", # comments. */
static int
agr_read(FILE *fp, char *err, size_t errlen)
{
	struct agr_revocation	*r;
	char			 line[512], partner[CONF_NAME_MAX];
	char			 other[CONF_NAME_MAX];
	long long		 when;
	int			 lineno = 0;

	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "revoked %63s %63s %lld", partner, other,
		    &when) != 3) {
			snprintf(err, errlen, "%s:%d: not a revocation",
			    agr_path, lineno);
			return (-1);
		}
		if (agr_find(agr_rev, agr_nrev, partner, other) != -1)
			continue;
		if (agr_nrev == AGREEMENT_REVOKED_MAX) {
			snprintf(err, errlen, "%s:%d: more than %d "
			    "revocations", agr_path, lineno,
			    AGREEMENT_REVOKED_MAX);
			return (-1);
		}
		r = &agr_rev[agr_nrev++];
		snprintf(r->partner, sizeof(r->partner), "%s", partner);
		snprintf(r->other, sizeof(r->other), "%s", other);
		r->when = when;
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: %s", agr_path, strerror(errno));
		return (-1);
	}
	return (0);
}

static ssize_t
agr_find(const struct agr_revocation *rev, size_t n, const char *partner,
    const char *other)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(rev[i].partner, partner) == 0 &&
		    strcmp(rev[i].other, other) == 0)
			return ((ssize_t)i);
	return (-1);
}

int
agreement_apply(const struct conf *conf)
{
	const struct conf_partner	*a, *b;
	const struct conf_agreement	*ta, *tb;
	struct policy_agreement		*list = NULL, *ag;
	size_t				 n = 0, max = 0;

	TAILQ_FOREACH(a, &conf->partners, entry)
		max++;
	if (max > 1 && (list = calloc(max * (max - 1) / 2,
	    sizeof(*list))) == NULL)
		return (-1);

	/* One agreement per pair where either side has terms. */
	TAILQ_FOREACH(a, &conf->partners, entry) {
		for (b = TAILQ_NEXT(a, entry); b != NULL;
		    b = TAILQ_NEXT(b, entry)) {
			ta = conf_agreement_find(a, b->id);
			tb = conf_agreement_find(b, a->id);
			if (ta == NULL && tb == NULL)
				continue;
			ag = &list[n++];
			ag->side[0].id = a->id;
			ag->side[0].name = a->name;
			ag->side[0].terms = ta != NULL ? &ta->terms : NULL;
			ag->side[0].revoked = agr_find(agr_rev, agr_nrev,
			    a->id, b->id) != -1;
			ag->side[1].id = b->id;
			ag->side[1].name = b->name;
			ag->side[1].terms = tb != NULL ? &tb->terms : NULL;
			ag->side[1].revoked = agr_find(agr_rev, agr_nrev,
			    b->id, a->id) != -1;
		}
	}
	free(agr_list);
	agr_list = list;
	agr_n = n;
	return (0);
}

void
agreement_close(void)
{
	free(agr_list);
	agr_list = NULL;
	agr_n = 0;
}

const struct policy_agreement *
agreement_list(size_t *n)
{
	*n = agr_n;
	return (agr_list);
}

const char *
agreement_state(const struct policy_agreement *ag, char *buf, size_t len)
{
	const struct policy_side	*s;
	size_t				 i, off;
	int				 n;

	if (policy_active(ag))
		return ("active");
	buf[0] = '\0';
	for (i = off = 0; i < 2 && off < len; i++) {
		s = &ag->side[i];
		if (s->terms == NULL || !s->terms->accept)
			n = snprintf(buf + off, len - off, "%snot accepted "
			    "by %s", off > 0 ? ", " : "inactive: ", s->id);
		else if (s->revoked)
			n = snprintf(buf + off, len - off, "%srevoked by %s",
			    off > 0 ? ", " : "inactive: ", s->id);
		else
			continue;
		if (n < 0)
			break;
		off += (size_t)n;
	}
	return (buf);
}

/* The policy's operation for a neutral one; -1 for one with none. */
static int
agr_op(const struct circ_req *req)
{
	switch (req->op->op) {
	case CIRC_PATRON_STATUS:
	case CIRC_END_SESSION:
		return (POLICY_OP_PATRON_STATUS);
	case CIRC_PATRON_INFO:
		return (POLICY_OP_PATRON_INFO);
	case CIRC_CHECKOUT:
		return (POLICY_OP_CHECKOUT);
	case CIRC_CHECKIN:
		return (POLICY_OP_CHECKIN);
	case CIRC_RENEW:
	case CIRC_RENEW_ALL:
		return (POLICY_OP_RENEW);
	case CIRC_HOLD:
		return (POLICY_OP_HOLD);
	case CIRC_FEE_PAID:
		return (POLICY_OP_FEE);
	case CIRC_ITEM_INFO:
		return (POLICY_OP_ITEM_INFO);
	case CIRC_BLOCK_PATRON:
		return (POLICY_OP_BLOCK_PATRON);
	case CIRC_PATRON_ENABLE:
		return (POLICY_OP_PATRON_UPDATE);
	default:
		return (-1);
	}
}

int
agreement_route(const struct circ_req *req, const struct conf_partner *from,
    const struct conf_partner *to, struct policy_decision *dec)
{
	struct policy_request	 pr;
	struct policy_item	 item;
	struct policy_patron	 patron;
	int			 op;

	if (from == to)
		return (1);
	memset(dec, 0, sizeof(*dec));
	if ((op = agr_op(req)) == -1) {
		dec->reason = POLICY_E_NO_AGREEMENT;
		dec->audit = "not-across";
		snprintf(dec->message, sizeof(dec->message), "This cannot be "
		    "done for %s from here.", to->name);
		return (0);
	}
	memset(&pr, 0, sizeof(pr));
	memset(&item, 0, sizeof(item));
	memset(&patron, 0, sizeof(patron));
	pr.op = op;
	pr.serving = from->id;
	if (op == POLICY_OP_FEE) {
		/* Owed at the patron's home: the fine rule decides first. */
		patron.home = to->id;
		pr.patron = &patron;
		pr.fee_owner = to->id;
	} else {
		/*
		 * Whose patron or item, the other partner must be one with
		 * an agreement in force; the patron's class is known only
		 * from the answer, which agreement_filter() then judges.
		 */
		item.owner = to->id;
		pr.item = &item;
	}
	return (policy_check(agr_list, agr_n, &pr, dec));
}

/* Put text at the front of a result's screen message. */
static void
agr_screen(struct circ_result *res, struct circ_arena *a, const char *text)
{
	char	 buf[SIP2_FIELD_MAX + 1];

	if (res->screen == NULL || *res->screen == '\0')
		snprintf(buf, sizeof(buf), "%s", text);
	else
		snprintf(buf, sizeof(buf), "%s %s", text, res->screen);
	res->screen = circ_strdup(a, buf);
}

void
agreement_filter(const struct circ_req *req, struct circ_result *res,
    struct circ_arena *a, const struct conf_partner *from,
    const struct conf_partner *toward)
{
	struct circ_patron	*pt = &res->patron;
	struct policy_decision	 dec;
	struct policy_share	 share;
	char			 buf[200], money[32];
	size_t			 i;

	/* Whose patron it is decides what of it leaves. */
	if (pt->found && !policy_visible(agr_list, agr_n, from->id,
	    pt->pclass, toward->id, &dec)) {
		log_info("policy event=hide audit=%s op=%s owner=%s to=%s",
		    dec.audit, req->op->name, from->id, toward->id);
		memset(pt, 0, sizeof(*pt));
		pt->pin_ok = -1;
		pt->fee_limit = -1;
		res->ok = 0;
		res->error = CIRC_E_UNKNOWN_PATRON;
		res->screen = NULL;
		res->user_id = NULL;
		return;
	}
	policy_share(agr_list, agr_n, from->id, toward->id, &share, &dec);
	if (share.withheld & POLICY_F_NAME)
		pt->name = NULL;
	if (share.withheld & POLICY_F_ADDRESS)
		pt->address = NULL;
	if (share.withheld & POLICY_F_PHONE)
		pt->phone = NULL;
	if (share.withheld & POLICY_F_EMAIL)
		pt->email = NULL;
	if (share.withheld & POLICY_F_BIRTH)
		pt->birth = NULL;
	if (share.withheld & POLICY_F_OTHER)
		pt->home_location = NULL;
	if (!share.titles) {
		/* Counts only: no list, and no fee that names a title. */
		for (i = 0; i < CIRC_LIST__COUNT; i++) {
			pt->lists[i] = NULL;
			pt->nlists[i] = 0;
		}
		for (i = 0; i < pt->nfees; i++)
			pt->fees[i].description = NULL;
	}

	switch (req->op->op) {
	case CIRC_PATRON_STATUS:
	case CIRC_PATRON_INFO:
		if (pt->found && pt->owed > 0) {
			xlate_money_format(pt->owed, pt->currency, money,
			    sizeof(money));
			snprintf(buf, sizeof(buf), "Fines of %s are owed to %s "
			    "and can be paid only there.", money, from->name);
			agr_screen(res, a, buf);
		}
		break;
	case CIRC_CHECKIN:
		/* Who had another library's item is not this one's to know. */
		pt->id = NULL;
		res->user_id = NULL;
		res->hold_patron = NULL;
		if (!res->ok)
			break;
		/* Where the owner said, else its home shelf, else the owner. */
		if (res->destination == NULL)
			res->destination = res->item.permanent_location;
		if (res->destination == NULL && from->ninstitutions > 0)
			res->destination = from->institutions[0];
		if (res->alert_type == 0)
			res->alert_type = 4;	/* send to another branch */
		res->alert = 1;
		snprintf(buf, sizeof(buf), "Return to %s%s%s.", from->name,
		    res->destination != NULL ? ", " : "",
		    res->destination != NULL ? res->destination : "");
		agr_screen(res, a, buf);
		break;
	default:
		break;
	}
}

int
agreement_change(const char *partner, const char *other, int revoke,
    const char *cred, agreement_cb cb, void *arg, char *err, size_t errlen)
{
	const struct conf_partner	*p;
	struct agr_change		*c;
	ssize_t				 i;

	if ((p = conf_partner_find(gw->conf, partner)) == NULL ||
	    conf_partner_find(gw->conf, other) == NULL) {
		snprintf(err, errlen, "no partner \"%s\"",
		    p == NULL ? partner : other);
		return (-1);
	}
	if (conf_agreement_find(p, other) == NULL) {
		snprintf(err, errlen, "%s's file has no agreement with %s",
		    partner, other);
		return (-1);
	}
	if (p->admin_hash == NULL) {
		snprintf(err, errlen, "%s has no \"admin-password-hash\"; "
		    "edit its file and reload instead", partner);
		return (-1);
	}
	if (agr_busy) {
		snprintf(err, errlen, "another agreement change is under way; "
		    "try again");
		return (-1);
	}
	if (strlen(cred) > AGREEMENT_CRED_MAX) {
		snprintf(err, errlen, "credential too long");
		return (-1);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->hash = strdup(p->admin_hash)) == NULL) {
		free(c);
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	snprintf(c->partner, sizeof(c->partner), "%s", partner);
	snprintf(c->other, sizeof(c->other), "%s", other);
	snprintf(c->cred, sizeof(c->cred), "%s", cred);
	c->revoke = revoke;
	c->cb = cb;
	c->arg = arg;

	/* The record as it will be; the worker writes it. */
	memcpy(c->rev, agr_rev, agr_nrev * sizeof(agr_rev[0]));
	c->nrev = agr_nrev;
	i = agr_find(c->rev, c->nrev, partner, other);
	if (revoke && i == -1) {
		if (c->nrev == AGREEMENT_REVOKED_MAX) {
			agr_change_free(c);
			snprintf(err, errlen, "too many revocations on record");
			return (-1);
		}
		snprintf(c->rev[c->nrev].partner, CONF_NAME_MAX, "%s",
		    partner);
		snprintf(c->rev[c->nrev].other, CONF_NAME_MAX, "%s", other);
		c->rev[c->nrev++].when = (long long)time(NULL);
	} else if (!revoke && i != -1) {
		c->nrev--;
		memmove(&c->rev[i], &c->rev[i + 1],
		    (c->nrev - (size_t)i) * sizeof(c->rev[0]));
	}
	if (worker_submit(agr_change_run, agr_change_done, c) == -1) {
		agr_change_free(c);
		snprintf(err, errlen, "cannot start the change: %s",
		    strerror(errno));
		return (-1);
	}
	agr_busy = 1;
	return (0);
}

/* On the worker: the credential, then the record on disk. */
static void
agr_change_run(void *arg)
{
	struct agr_change	*c = arg;

	c->ok = auth_check_password(c->cred, c->hash) == 1;
	OPENSSL_cleanse(c->cred, sizeof(c->cred));
	if (!c->ok)
		return;
	c->saved = agr_write(agr_path, c->rev, c->nrev, c->err,
	    sizeof(c->err));
}

/*
 * Write the record whole and durable: a new file, synced, renamed over
 * the old one, and the directory synced.
 */
static int
agr_write(const char *path, const struct agr_revocation *rev, size_t n,
    char *err, size_t errlen)
{
	char	 tmp[1100], *slash, dir[1024];
	FILE	*fp;
	size_t	 i;
	int	 fd, ok;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	ok = fprintf(fp, "# Agreements revoked with circlinkctl: partner, "
	    "the other partner, when.\n# Written by circlinkd; "
	    "\"circlinkctl agreement accept\" undoes one.\n") > 0;
	for (i = 0; ok && i < n; i++)
		ok = fprintf(fp, "revoked %s %s %lld\n", rev[i].partner,
		    rev[i].other, rev[i].when) > 0;
	ok = ok && fflush(fp) == 0 && fsync(fileno(fp)) == 0;
	if (fclose(fp) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		return (-1);
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if ((fd = open(slash != NULL ? dir : ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) != -1) {
		fsync(fd);
		close(fd);
	}
	return (0);
}

/* Back on the loop: in force at once, answered after a failure's delay. */
static void
agr_change_done(void *arg)
{
	struct agr_change	*c = arg;
	struct timeval		 tv = { 0, 0 };
	uint32_t		 r = 0;

	agr_busy = 0;
	if (!c->ok) {
		log_warnx("control event=agreement-%s partner=%s other=%s "
		    "result=denied why=\"wrong credential\"",
		    c->revoke ? "revoke" : "accept", c->partner, c->other);
		RAND_bytes((unsigned char *)&r, sizeof(r));
		tv.tv_usec = 200000 + r % 400000;
	} else if (c->saved == 0) {
		memcpy(agr_rev, c->rev, c->nrev * sizeof(agr_rev[0]));
		agr_nrev = c->nrev;
		if (gw->conf != NULL && agreement_apply(gw->conf) == -1)
			fatalx("out of memory");
		log_info("control event=agreement-%s partner=%s other=%s "
		    "result=ok", c->revoke ? "revoke" : "accept", c->partner,
		    c->other);
	} else
		log_warnx("control event=agreement-%s partner=%s other=%s "
		    "result=failed why=\"%s\"", c->revoke ? "revoke" :
		    "accept", c->partner, c->other, c->err);
	if (event_base_once(gw->base, -1, EV_TIMEOUT, agr_change_answer, c,
	    &tv) == -1)
		agr_change_answer(-1, 0, c);
}

static void
agr_change_answer(evutil_socket_t fd, short ev, void *arg)
{
	struct agr_change	*c = arg;
	const char		*msg;

	if (!c->ok)
		msg = "wrong credential";
	else if (c->saved != 0)
		msg = c->err;
	else
		msg = NULL;
	c->cb(msg == NULL ? 0 : -1, msg, c->arg);
	agr_change_free(c);
}

static void
agr_change_free(struct agr_change *c)
{
	OPENSSL_cleanse(c->cred, sizeof(c->cred));
	free(c->hash);
	free(c);
}
