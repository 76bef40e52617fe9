/* SPDX-License-Identifier: ISC */
/*
 * Searching elsewhere: the copies of a title (by ISBN or record id) at
 * the asking partner's own ILS and, when it has none available, at every
 * partner whose agreement with it is in force, each copy passed through
 * its owner's terms; and the NCIP LookupItemSet that partners' ILSes and
 * discovery layers ask it with.
 */

#include "config.h"

#include <sys/queue.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "circlinkd.h"
#include "ncip.h"

#define SEARCH_BUSY_MAX		64	/* searches under way at once */
#define SEARCH_BUSY_EACH	(SEARCH_BUSY_MAX / 2)	/* one asker's */
#define SEARCH_OWN_KEEP		(SEARCH_COPIES_MAX / 4)	/* asker's, out */

#define SCM_CIRC	"http://www.niso.org/ncip/v1_0/imp1/schemes/" \
			"circulationstatus/circulationstatus.scm"
#define SCM_LOCTYPE	"http://www.niso.org/ncip/v1_0/imp1/schemes/" \
			"locationtype/locationtype.scm"
#define SCM_BIBITEM	"http://www.niso.org/ncip/v1_0/imp1/schemes/" \
			"bibliographicitemidentifiercode/" \
			"bibliographicitemidentifiercode.scm"

/* One search under way. */
struct search {
	TAILQ_ENTRY(search)	 entry;
	uint64_t		 id;
	char			 asker[CONF_NAME_MAX];
	char			 bib[SEARCH_BIBID_MAX + 1];
	char			 scheme[CONF_NAME_MAX];
	char			 record[CONF_NAME_MAX];	/* whose record id */
	int			 flags;
	int			 others;	/* the fan-out has begun */
	size_t			 pending;	/* calls on the wire */
	search_cb		 cb;
	uint64_t		 cookie;
	struct circ_arena	*arena;		/* the copies' strings */
	struct event		*later;		/* finish on the next turn */
	const char		*title;
	struct search_partner	 parts[SEARCH_PARTNERS_MAX];
	size_t			 nparts;
	struct search_copy	 copies[SEARCH_COPIES_MAX];
	size_t			 ncopies;
};
TAILQ_HEAD(searches, search);

/* An NCIP LookupItemSet waiting for its search. */
struct search_call {
	TAILQ_ENTRY(search_call) entry;
	uint64_t		 call;
	struct ncip_msg		*req;
};
TAILQ_HEAD(search_calls, search_call);

/* A pool for a partner's search-backend, made at its first search. */
struct search_pool {
	TAILQ_ENTRY(search_pool) entry;
	char			 id[CONF_NAME_MAX];
	struct ncip_backend	*nb;
};
TAILQ_HEAD(search_pools, search_pool);

static struct search_pools	 pools = TAILQ_HEAD_INITIALIZER(pools);
static struct searches		 searches = TAILQ_HEAD_INITIALIZER(searches);
static struct search_calls	 calls = TAILQ_HEAD_INITIALIZER(calls);
static size_t			 nsearches;
static uint64_t			 search_next_id;

static struct search	*search_find(uint64_t);
static int		 search_item_scheme(const char *, const char *);
static int		 search_begin(const char *, const char *, const char *,
			    const char *, int, uint64_t, search_cb, char *,
			    size_t);
static void		 search_ask(struct search *, size_t);
static void		 search_fan_out(struct search *);
static void		 search_answered(uint64_t, uint32_t, struct ncip_msg *,
			    const char *);
static void		 search_merge(struct search *, size_t,
			    const struct ncip_msg *);
static void		 search_add(struct search *, size_t,
			    const struct ncip_bib_info *,
			    const struct ncip_copy *);
static int		 search_displace(struct search *);
static void		 search_make_room(struct search *);
static void		 search_settle(struct search *);
static void		 search_later(evutil_socket_t, short, void *);
static void		 search_finish(struct search *);
static void		 search_front_cb(uint64_t,
			    const struct search_result *);

/* Return 1 if an identifier may be searched for: short, printable ASCII. */
int
search_bibid_valid(const char *s)
{
	size_t	 i;

	if (s == NULL || *s == '\0')
		return (0);
	for (i = 0; s[i] != '\0'; i++)
		if (i == SEARCH_BIBID_MAX || (unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f)
			return (0);
	return (1);
}

static struct search *
search_find(uint64_t id)
{
	struct search	*s;

	TAILQ_FOREACH(s, &searches, entry)
		if (s->id == id)
			return (s);
	return (NULL);
}

/*
 * Start a search for the copies of a title; see circlinkd.h.  A record
 * id is the asker's own (its ILS's record number, unrelated to the same
 * number at another partner).
 */
int
search_start(const char *asker, const char *bib, const char *scheme,
    int flags, uint64_t cookie, search_cb cb, char *err, size_t errlen)
{
	return (search_begin(asker, bib, scheme, NULL, flags, cookie, cb,
	    err, errlen));
}

/*
 * The same, with record the partner whose record id bib is (NULL: an item
 * identifier by its scheme or shape, else the asker's record id): a
 * record id is asked of that partner only, the others noted as skipped.
 */
static int
search_begin(const char *asker, const char *bib, const char *scheme,
    const char *record, int flags, uint64_t cookie, search_cb cb, char *err,
    size_t errlen)
{
	static const struct timeval now = { 0, 0 };
	struct search	*s;
	size_t		 mine = 0;

	if (conf_partner_find(gw->conf, asker) == NULL) {
		snprintf(err, errlen, "no partner %s", asker);
		return (-1);
	}
	if (!search_bibid_valid(bib) || (scheme != NULL &&
	    !search_bibid_valid(scheme))) {
		snprintf(err, errlen, "not a bibliographic identifier");
		return (-1);
	}
	if (nsearches >= SEARCH_BUSY_MAX) {
		snprintf(err, errlen, "too many searches under way");
		return (-1);
	}
	/* No one partner may hold every slot. */
	TAILQ_FOREACH(s, &searches, entry)
		if (strcmp(s->asker, asker) == 0)
			mine++;
	if (mine >= SEARCH_BUSY_EACH) {
		snprintf(err, errlen, "too many searches under way for %s",
		    asker);
		return (-1);
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->arena = circ_arena_new()) == NULL ||
	    (s->later = evtimer_new(gw->base, search_later, s)) == NULL) {
		if (s != NULL)
			circ_arena_free(s->arena);
		free(s);
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	s->id = ++search_next_id;
	snprintf(s->asker, sizeof(s->asker), "%s", asker);
	snprintf(s->bib, sizeof(s->bib), "%s", bib);
	snprintf(s->scheme, sizeof(s->scheme), "%s", scheme != NULL ?
	    scheme : "");
	if (record == NULL && !search_item_scheme(s->scheme, s->bib))
		record = asker;
	snprintf(s->record, sizeof(s->record), "%s", record != NULL ?
	    record : "");
	s->flags = flags;
	s->cb = cb;
	s->cookie = cookie;
	TAILQ_INSERT_TAIL(&searches, s, entry);
	nsearches++;
	log_info("search=%llu event=start asker=%s scheme=%s",
	    (unsigned long long)s->id, asker, *s->scheme != '\0' ?
	    s->scheme : "-");

	/* Another partner's record id: the asker's ILS cannot know it. */
	if ((flags & SEARCH_OWN_FIRST) && (*s->record == '\0' ||
	    strcmp(s->record, asker) == 0)) {
		snprintf(s->parts[0].id, sizeof(s->parts[0].id), "%s", asker);
		s->nparts = 1;
		search_ask(s, 0);
	} else
		search_fan_out(s);
	/* Even when nothing could be asked, cb runs later, never here. */
	if (s->pending == 0)
		evtimer_add(s->later, &now);
	return (0);
}

/* Return 1 for a scheme whose ids are BibliographicItemIds (ISBN...). */
static int
search_item_scheme(const char *scheme, const char *bib)
{
	static const char *const schemes[] = {
		"ISBN", "ISSN", "EAN", "UPC", "ISMN", "ISRC", "LCCN",
	};
	size_t	 i, digits = 0;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strcasecmp(scheme, schemes[i]) == 0)
			return (1);
	if (*scheme != '\0')
		return (0);
	/* No scheme said: 10 or 13 digits (and hyphens) read as an ISBN. */
	for (i = 0; bib[i] != '\0'; i++) {
		if (bib[i] >= '0' && bib[i] <= '9')
			digits++;
		else if (bib[i] != '-' &&
		    !(bib[i] == 'X' && bib[i + 1] == '\0'))
			return (0);
	}
	return (digits == 10 || digits == 13 || (digits == 9 &&
	    bib[i - 1] == 'X'));
}

/* Note why a partner is left out of the answer. */
static void
search_note(struct search *s, size_t i, enum search_state state,
    const char *note)
{
	s->parts[i].state = state;
	s->parts[i].note = circ_strdup(s->arena, note);
	log_info("search=%llu event=absent partner=%s why=\"%s\"",
	    (unsigned long long)s->id, s->parts[i].id, note);
}

/* Retire the search-backend pools when a configuration changes. */
void
search_apply(const struct conf *conf)
{
	struct search_pool	*sp;

	/* Calls on the wire finish or time out; their searches go on. */
	while ((sp = TAILQ_FIRST(&pools)) != NULL) {
		TAILQ_REMOVE(&pools, sp, entry);
		ncip_backend_free(sp->nb, conf == NULL);
		free(sp);
	}
}

/*
 * The NCIP backend that searches partner p's ILS, and its settings: the
 * search-backend when it has one (made now if need be), else its own
 * NCIP backend.  NULL when there is none to use.
 */
static struct ncip_backend *
search_backend(const struct conf_partner *p, const struct conf_backend **b)
{
	struct search_pool	*sp;
	struct conf_partner	 as;
	char			 why[256];

	if (!p->has_search) {
		*b = &p->backend;
		return (p->has_backend && p->backend.proto == BACKEND_NCIP ?
		    route_ncip_backend(p->id) : NULL);
	}
	*b = &p->search;
	TAILQ_FOREACH(sp, &pools, entry)
		if (strcmp(sp->id, p->id) == 0)
			return (sp->nb);
	/* The backend copies what it needs of this. */
	as = *p;
	as.backend = p->search;
	as.has_backend = 1;
	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return (NULL);
	if ((sp->nb = ncip_backend_new(gw->base, &as, why,
	    sizeof(why))) == NULL) {
		log_warnx("partner %s: search-backend: %s", p->id, why);
		free(sp);
		return (NULL);
	}
	snprintf(sp->id, sizeof(sp->id), "%s", p->id);
	TAILQ_INSERT_TAIL(&pools, sp, entry);
	return (sp->nb);
}

/*
 * Ask partner i for the title with a LookupItemSet, if its ILS can be
 * asked that: SIP2 has no search by ISBN, NCIP version 1 no such service.
 */
static void
search_ask(struct search *s, size_t i)
{
	const struct conf_partner *p;
	const struct conf_backend *b;
	struct ncip_backend	*nb;
	struct ncip_msg		*m = NULL;
	struct ncip_bibid	*id;
	struct ncip_code	*el;
	const char		*why = NULL;
	char			 note[200];

	p = conf_partner_find(gw->conf, s->parts[i].id);
	if (p == NULL || (!p->has_backend && !p->has_search)) {
		search_note(s, i, SEARCH_SKIPPED, "no ILS is configured");
		return;
	}
	if (p->backend.proto == BACKEND_SIP2 && !p->has_search) {
		snprintf(note, sizeof(note), "%s's ILS speaks SIP2, which "
		    "cannot search by bibliographic identifier", p->name);
		search_note(s, i, SEARCH_SKIPPED, note);
		return;
	}
	if (*s->record != '\0' && strcmp(s->record, p->id) != 0) {
		snprintf(note, sizeof(note), "Record ids are local to their "
		    "library: %s is not searched by another's; ask by ISBN",
		    p->name);
		search_note(s, i, SEARCH_SKIPPED, note);
		return;
	}
	nb = search_backend(p, &b);
	if (b->ncip.version == 1) {
		snprintf(note, sizeof(note), "%s's ILS speaks NCIP version 1, "
		    "which has no LookupItemSet", p->name);
		search_note(s, i, SEARCH_SKIPPED, note);
		return;
	}
	if (nb == NULL ||
	    (m = ncip_msg_new(NCIP_LOOKUP_ITEM_SET)) == NULL ||
	    (id = ncip_msg_calloc(m, 1, sizeof(*id))) == NULL ||
	    (el = ncip_msg_calloc(m, 4, sizeof(*el))) == NULL) {
		ncip_msg_free(m);
		snprintf(note, sizeof(note), "%s cannot be reached now",
		    p->name);
		search_note(s, i, SEARCH_DOWN, note);
		return;
	}
	id->value = s->bib;
	if (*s->record == '\0') {
		id->kind = NCIP_BIBID_ITEM;
		id->code.scheme = SCM_BIBITEM;
		id->code.value = *s->scheme != '\0' ? s->scheme : "ISBN";
	} else {
		id->kind = NCIP_BIBID_RECORD;
		if (*s->scheme != '\0')
			id->code.value = s->scheme;
		else
			id->agency.value = b->ncip.to_agency != NULL ?
			    b->ncip.to_agency : p->id;
	}
	m->bib_ids = id;
	m->nbib_ids = 1;
	el[0].value = "Bibliographic Description";
	el[1].value = "Circulation Status";
	el[2].value = "Item Description";
	el[3].value = "Location";
	m->item_elements = el;
	m->nitem_elements = 4;
	m->max_items = SEARCH_COPIES_MAX;

	/* The backend takes m, and answers within its deadline. */
	if (ncip_backend_call(nb, m, s->id, (uint32_t)i, search_answered,
	    &why) == -1) {
		snprintf(note, sizeof(note), "%s cannot be reached now (%s)",
		    p->name, why);
		search_note(s, i, SEARCH_DOWN, note);
		return;
	}
	s->parts[i].state = SEARCH_ASKED;
	s->pending++;
	log_debug("search=%llu event=ask partner=%s",
	    (unsigned long long)s->id, p->id);
}

/*
 * Ask every other partner with which the asker has an agreement in
 * force that lets its requests cross, all at once.
 */
static void
search_fan_out(struct search *s)
{
	struct conf_partner	*asker, *p;
	struct policy_decision	 dec;
	struct circ_req		 req;
	size_t			 first = s->nparts, i;

	s->others = 1;
	if ((asker = conf_partner_find(gw->conf, s->asker)) == NULL)
		return;
	memset(&req, 0, sizeof(req));
	req.op = circ_op_sip2(SIP2_ITEM_INFO);
	TAILQ_FOREACH(p, &gw->conf->partners, entry) {
		if (p == asker || (!p->has_backend && !p->has_search) ||
		    !agreement_route(&req, asker, p, &dec))
			continue;
		if (s->nparts == SEARCH_PARTNERS_MAX) {
			/* XXX partners past the cap are not searched. */
			log_warnx("search=%llu event=cap partners=%d",
			    (unsigned long long)s->id, SEARCH_PARTNERS_MAX);
			break;
		}
		snprintf(s->parts[s->nparts].id, CONF_NAME_MAX, "%s", p->id);
		s->nparts++;
	}
	for (i = first; i < s->nparts; i++)
		search_ask(s, i);
}

/* A partner answered the LookupItemSet of search id, or did not. */
static void
search_answered(uint64_t id, uint32_t i, struct ncip_msg *resp,
    const char *error)
{
	struct search		*s;
	const struct conf_partner *p;
	char			 note[200];

	if ((s = search_find(id)) == NULL || i >= s->nparts) {
		ncip_msg_free(resp);
		return;
	}
	s->pending--;
	p = conf_partner_find(gw->conf, s->parts[i].id);
	if (resp == NULL) {
		snprintf(note, sizeof(note), "%s did not answer (%s)",
		    p != NULL ? p->name : s->parts[i].id, error);
		search_note(s, i, SEARCH_DOWN, note);
	} else
		search_merge(s, i, resp);
	ncip_msg_free(resp);
	search_settle(s);
}

/* Take what a partner's LookupItemSetResponse lists. */
static void
search_merge(struct search *s, size_t i, const struct ncip_msg *m)
{
	const struct conf_partner *p;
	const struct ncip_bib_info *bi;
	const struct ncip_holdings *h;
	enum ncip_problem_type	 kind;
	char			 note[200];
	size_t			 b, k, c;

	p = conf_partner_find(gw->conf, s->parts[i].id);
	s->parts[i].state = SEARCH_NONE;
	if (m->service != NCIP_LOOKUP_ITEM_SET_RESP || m->nproblems > 0) {
		kind = m->nproblems > 0 ? m->problems[0].kind : NCIP_PT_NONE;
		if (kind == NCIP_PT_UNKNOWN_ITEM)
			return;
		snprintf(note, sizeof(note), "%s could not search (%s)",
		    p != NULL ? p->name : s->parts[i].id, kind != NCIP_PT_NONE ?
		    ncip_problem_name(kind) : "not an answer to the search");
		search_note(s, i, kind == NCIP_PT_UNSUPPORTED_SERVICE ?
		    SEARCH_SKIPPED : SEARCH_DOWN, note);
		return;
	}
	for (b = 0; b < m->nbib_infos; b++) {
		bi = &m->bib_infos[b];
		for (k = 0; k < bi->nholdings; k++) {
			h = &bi->holdings[k];
			for (c = 0; c < h->ncopies; c++)
				if (h->copies[c].problem == NULL &&
				    h->copies[c].item_id.value != NULL)
					search_add(s, i, bi, &h->copies[c]);
		}
	}
	if (s->parts[i].ncopies > 0)
		s->parts[i].state = SEARCH_FOUND;
}

/* The name at a level of a location, or NULL. */
static const char *
search_level(const struct ncip_location *l, unsigned int level)
{
	size_t	 i;

	for (i = 0; l != NULL && i < l->nnames; i++)
		if (l->names[i].level == level)
			return (l->names[i].value);
	return (NULL);
}

/*
 * Drop the last listed copy that is not on the shelf, its partner then
 * having more than the answer lists; -1 if every copy is on the shelf.
 */
static int
search_displace(struct search *s)
{
	size_t	 j, k;

	for (j = s->ncopies; j-- > 0; )
		if (!s->copies[j].available)
			break;
	if (j == (size_t)-1)
		return (-1);
	for (k = 0; k < s->nparts; k++)
		if (s->copies[j].partner == s->parts[k].id) {
			s->parts[k].ncopies--;
			s->parts[k].more = 1;
		}
	memmove(&s->copies[j], &s->copies[j + 1],
	    (s->ncopies - j - 1) * sizeof(s->copies[0]));
	s->ncopies--;
	return (0);
}

/*
 * Before the others are asked, keep at most SEARCH_OWN_KEEP of the
 * asker's own copies (none of them on the shelf), so that the others'
 * copies have room in the answer.
 */
static void
search_make_room(struct search *s)
{
	size_t	 k;

	if (s->ncopies <= SEARCH_OWN_KEEP)
		return;
	for (k = 0; k < s->nparts; k++)
		if (strcmp(s->parts[k].id, s->asker) == 0) {
			s->parts[k].ncopies -= s->ncopies - SEARCH_OWN_KEEP;
			s->parts[k].more = 1;
		}
	s->ncopies = SEARCH_OWN_KEEP;
}

/*
 * Add a copy partner i listed, unless its agreement with the asker is no
 * longer in force (revoked while it was asked) or its owner withholds it
 * from the asker's patrons (or cannot be known not to: a collection the answer
 * does not say where the owner withholds by collection).  The collection
 * is read from level 3 of the copy's permanent location.
 */
static void
search_add(struct search *s, size_t i, const struct ncip_bib_info *bi,
    const struct ncip_copy *cp)
{
	const struct conf_partner *p;
	const struct policy_agreement *ags, *ag;
	const struct policy_terms *terms;
	const struct ncip_location *perm = NULL, *cur = NULL;
	const struct ncip_item_fields *f = &cp->item;
	struct policy_item	 pi;
	struct search_copy	*c;
	const char		*st;
	size_t			 n, k;
	int			 avail;

	if ((p = conf_partner_find(gw->conf, s->parts[i].id)) == NULL)
		return;
	for (k = 0; k < f->nlocations; k++) {
		if (f->locations[k].type.value != NULL &&
		    strcasecmp(f->locations[k].type.value, "Permanent") == 0)
			perm = perm != NULL ? perm : &f->locations[k];
		else
			cur = cur != NULL ? cur : &f->locations[k];
	}
	if (strcmp(p->id, s->asker) != 0) {
		memset(&pi, 0, sizeof(pi));
		pi.owner = p->id;
		pi.collection = search_level(perm, 3);
		pi.location = search_level(perm, 2);
		/* XXX the medium is not compared with withheld types. */
		ags = agreement_list(&n);
		ag = policy_agreement_find(ags, n, s->asker, p->id);
		/* One revoked or no longer accepted while asked lists none. */
		terms = ag != NULL && policy_active(ag) ?
		    policy_terms_of(ag, p->id) : NULL;
		if (terms == NULL || policy_terms_withholds(terms, &pi) != 0) {
			s->parts[i].withheld++;
			return;
		}
	}
	st = f->circ_status.value;
	avail = st != NULL && strcasecmp(st, "Available On Shelf") == 0;
	/* Full: a copy on the shelf takes the place of one that is not. */
	if (s->ncopies == SEARCH_COPIES_MAX && (!avail ||
	    search_displace(s) == -1)) {
		s->parts[i].more = 1;
		return;
	}
	c = &s->copies[s->ncopies];
	c->partner = s->parts[i].id;
	c->agency = circ_strdup(s->arena, p->ninstitutions > 0 ?
	    p->institutions[0] : p->id);
	c->item = circ_strdup(s->arena, cp->item_id.value);
	c->location = circ_strdup(s->arena, perm != NULL ?
	    search_level(perm, 2) : search_level(cur, 2));
	c->call_number = circ_strdup(s->arena, f->call_number);
	c->status = circ_strdup(s->arena, st);
	c->available = avail;
	if (c->item == NULL)
		return;
	if (s->title == NULL && bi->has_bib)
		s->title = circ_strdup(s->arena, bi->bib.title);
	s->ncopies++;
	s->parts[i].ncopies++;
}

/*
 * Every call made so far has ended: fan out when the asker's own ILS
 * had nothing available, else finish.
 */
static void
search_settle(struct search *s)
{
	size_t	 i;

	if (s->pending > 0)
		return;
	if (!s->others) {
		for (i = 0; i < s->ncopies; i++)
			if (s->copies[i].available)
				break;
		if (i == s->ncopies) {
			search_make_room(s);
			search_fan_out(s);
			if (s->pending > 0)
				return;
		}
	}
	search_finish(s);
}

static void
search_later(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	search_settle(arg);
}

/* Hand the result to whoever started the search, and forget it. */
static void
search_finish(struct search *s)
{
	struct search_result	 r;
	size_t			 i, absent = 0;

	for (i = 0; i < s->nparts; i++)
		if (s->parts[i].state == SEARCH_DOWN ||
		    s->parts[i].state == SEARCH_SKIPPED)
			absent++;
	log_info("search=%llu event=done asker=%s partners=%zu copies=%zu "
	    "absent=%zu", (unsigned long long)s->id, s->asker, s->nparts,
	    s->ncopies, absent);
	memset(&r, 0, sizeof(r));
	r.bib = s->bib;
	r.title = s->title;
	r.copies = s->copies;
	r.ncopies = s->ncopies;
	r.partners = s->parts;
	r.npartners = s->nparts;
	s->cb(s->cookie, &r);
	TAILQ_REMOVE(&searches, s, entry);
	nsearches--;
	event_free(s->later);
	circ_arena_free(s->arena);
	free(s);
}

/* --- NCIP LookupItemSet ---------------------------------------------- */

/* Fill a Problem of the response m; -1 on no memory. */
static int
search_problem(struct ncip_msg *m, struct ncip_problem *pb,
    enum ncip_problem_type kind, const char *element, const char *detail)
{
	pb->kind = kind;
	pb->type.value = ncip_problem_name(kind);
	pb->type.scheme = ncip_problem_scheme(kind, NCIP_LOOKUP_ITEM);
	pb->element = element;
	if ((pb->detail = ncip_msg_strdup(m, detail)) == NULL)
		return (-1);
	return (0);
}

/* The Problem that says why partner w is absent from the answer. */
static int
search_absent(struct ncip_msg *m, struct ncip_problem *pb,
    const struct search_partner *w)
{
	return (search_problem(m, pb, w->state == SEARCH_DOWN ?
	    NCIP_PT_TEMPORARY_FAILURE : NCIP_PT_UNSUPPORTED_SERVICE, NULL,
	    w->note));
}

/* Answer a LookupItemSet at once with one Problem, and forget it. */
static void
search_refuse(uint64_t call, struct ncip_msg *req, enum ncip_problem_type kind,
    const char *element, const char *detail)
{
	struct ncip_msg	*resp;

	log_info("search event=refused call=%llu why=\"%s\"",
	    (unsigned long long)call, detail);
	resp = ncip_reply_problem(req, kind, element, detail);
	ncip_msg_free(req);
	if (resp != NULL)
		ncip_front_answer(call, resp);
}

/* Answer a LookupItemSet from a partner's ILS with a search. */
void
search_ncip(uint64_t call, const struct conf_partner *caller,
    struct ncip_msg *req)
{
	struct search_call	*sc;
	const struct ncip_bibid	*b;
	const struct conf_partner *owner;
	const char		*record;
	char			 err[128];

	if (req->dialect.version == 1) {
		search_refuse(call, req, NCIP_PT_UNSUPPORTED_SERVICE,
		    "LookupItemSet", "LookupItemSet is an NCIP version 2 "
		    "service.");
		return;
	}
	if (req->nbib_ids == 0) {
		search_refuse(call, req, NCIP_PT_UNSUPPORTED_SERVICE, "ItemId",
		    "The gateway looks item sets up by BibliographicId only.");
		return;
	}
	b = &req->bib_ids[0];
	if (!search_bibid_valid(b->value) || (b->code.value != NULL &&
	    !search_bibid_valid(b->code.value))) {
		search_refuse(call, req, NCIP_PT_UNKNOWN_ITEM,
		    "BibliographicId", "The identifier is empty, too long or "
		    "not printable ASCII.");
		return;
	}
	/* A record id is its agency's (the caller's when it names none). */
	record = NULL;
	if (b->kind == NCIP_BIBID_RECORD) {
		owner = b->agency.value == NULL ? caller :
		    route_institution(gw->conf, b->agency.value);
		if (owner == NULL) {
			search_refuse(call, req, NCIP_PT_UNKNOWN_ITEM,
			    "AgencyId", "The record id's agency is no "
			    "partner's.");
			return;
		}
		record = owner->id;
	}
	if ((sc = calloc(1, sizeof(*sc))) == NULL) {
		search_refuse(call, req, NCIP_PT_TEMPORARY_FAILURE, NULL,
		    "The gateway is short of memory.");
		return;
	}
	sc->call = call;
	sc->req = req;
	TAILQ_INSERT_TAIL(&calls, sc, entry);
	if (search_begin(caller->id, b->value, b->code.value, record,
	    SEARCH_OWN_FIRST, call, search_front_cb, err, sizeof(err)) == -1) {
		TAILQ_REMOVE(&calls, sc, entry);
		free(sc);
		search_refuse(call, req, NCIP_PT_TEMPORARY_FAILURE, NULL,
		    "The gateway cannot search now.");
	}
}

/* The HoldingsSet of partner w: its copies, or why there are none. */
static int
search_holdings(struct ncip_msg *m, struct ncip_holdings *h,
    const struct search_result *r, const struct search_partner *w)
{
	const struct conf_partner *p;
	struct ncip_copy	*cp;
	struct ncip_location_name *ln;
	const struct search_copy *c;
	size_t			 i, k = 0;

	p = conf_partner_find(gw->conf, w->id);
	h->id = p != NULL && p->ninstitutions > 0 ? p->institutions[0] :
	    w->id;
	if (w->state == SEARCH_DOWN || w->state == SEARCH_SKIPPED) {
		if ((h->problem = ncip_msg_calloc(m, 1,
		    sizeof(*h->problem))) == NULL)
			return (-1);
		return (search_absent(m, h->problem, w));
	}
	if ((h->copies = ncip_msg_calloc(m, w->ncopies,
	    sizeof(*h->copies))) == NULL)
		return (-1);
	for (i = 0; i < r->ncopies && k < w->ncopies; i++) {
		c = &r->copies[i];
		if (strcmp(c->partner, w->id) != 0)
			continue;
		cp = &h->copies[k++];
		cp->item_id.agency.value = c->agency;
		cp->item_id.value = c->item;
		cp->item.present = 1;
		cp->item.hold_queue_length = -1;
		cp->item.circ_status.scheme = SCM_CIRC;
		cp->item.circ_status.value = c->status != NULL ? c->status :
		    "Circulation Status Undefined";
		cp->item.call_number = c->call_number;
		if (c->location == NULL)
			continue;
		if ((cp->item.locations = ncip_msg_calloc(m, 1,
		    sizeof(*cp->item.locations))) == NULL ||
		    (ln = ncip_msg_calloc(m, 2, sizeof(*ln))) == NULL)
			return (-1);
		ln[0].level = 1;
		ln[0].value = c->agency;
		ln[1].level = 2;
		ln[1].value = c->location;
		cp->item.locations[0].type.scheme = SCM_LOCTYPE;
		cp->item.locations[0].type.value = "Permanent";
		cp->item.locations[0].names = ln;
		cp->item.locations[0].nnames = 2;
		cp->item.nlocations = 1;
	}
	h->ncopies = k;
	return (0);
}

/* Return 1 if partner w is absent from an answer: down or skipped. */
static int
search_is_absent(const struct search_partner *w)
{
	return (w->state == SEARCH_DOWN || w->state == SEARCH_SKIPPED);
}

/*
 * The LookupItemSetResponse: the title asked for with one HoldingsSet per
 * partner that lists copies (HoldingsSetId its agency id) and one with a
 * Problem per partner that could not be searched.  With no copy to list,
 * Problems instead: Unknown Item, then why each absent partner is.
 * Further titles asked for get a Problem of their own.
 */
static struct ncip_msg *
search_response(const struct ncip_msg *req, const struct search_result *r)
{
	struct ncip_msg		*m;
	struct ncip_bib_info	*bi;
	const struct search_partner *w;
	size_t			 i, n = 0;

	if ((m = ncip_reply_new(req)) == NULL ||
	    (bi = ncip_msg_calloc(m, req->nbib_ids, sizeof(*bi))) == NULL ||
	    (bi->holdings = ncip_msg_calloc(m, r->npartners + 1,
	    sizeof(*bi->holdings))) == NULL ||
	    (bi->problems = ncip_msg_calloc(m, r->npartners + 1,
	    sizeof(*bi->problems))) == NULL)
		goto fail;
	m->bib_infos = bi;
	m->nbib_infos = req->nbib_ids;
	for (i = 0; i < req->nbib_ids; i++)
		bi[i].bib_id = req->bib_ids[i];

	if (r->ncopies == 0) {
		if (search_problem(m, &bi->problems[n++], NCIP_PT_UNKNOWN_ITEM,
		    "BibliographicId", "No partner asked has a copy to "
		    "show.") == -1)
			goto fail;
		for (i = 0; i < r->npartners; i++)
			if (search_is_absent(&r->partners[i]) &&
			    search_absent(m, &bi->problems[n++],
			    &r->partners[i]) == -1)
				goto fail;
		bi->nproblems = n;
	} else {
		for (i = 0; i < r->npartners; i++) {
			w = &r->partners[i];
			if ((w->state == SEARCH_FOUND && w->ncopies > 0) ||
			    search_is_absent(w))
				if (search_holdings(m, &bi->holdings[n++], r,
				    w) == -1)
					goto fail;
		}
		bi->nholdings = n;
		if (r->title != NULL) {
			bi->has_bib = 1;
			bi->bib.title = r->title;
		}
	}
	/* XXX one title is searched per request; the others are refused. */
	for (i = 1; i < req->nbib_ids; i++) {
		if ((bi[i].problems = ncip_msg_calloc(m, 1,
		    sizeof(*bi[i].problems))) == NULL ||
		    search_problem(m, bi[i].problems,
		    NCIP_PT_TEMPORARY_FAILURE, "BibliographicId", "The "
		    "gateway searches one title per request.") == -1)
			goto fail;
		bi[i].nproblems = 1;
	}
	return (m);

 fail:
	ncip_msg_free(m);
	return (NULL);
}

/* A search for an NCIP caller ended: answer it. */
static void
search_front_cb(uint64_t call, const struct search_result *r)
{
	struct search_call	*sc;
	struct ncip_msg		*resp;

	TAILQ_FOREACH(sc, &calls, entry)
		if (sc->call == call)
			break;
	if (sc == NULL)
		return;
	TAILQ_REMOVE(&calls, sc, entry);
	if ((resp = search_response(sc->req, r)) == NULL)
		resp = ncip_reply_problem(sc->req, NCIP_PT_TEMPORARY_FAILURE,
		    NULL, "The answer could not be made.");
	/* The answer borrows from the request and r: built before freeing. */
	if (resp != NULL)
		ncip_front_answer(call, resp);
	ncip_msg_free(sc->req);
	free(sc);
}
