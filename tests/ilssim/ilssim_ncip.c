/* SPDX-License-Identifier: ISC */
/*
 * The simulated ILS's NCIP responder: reads each request with the NCIP
 * codec, maps it onto the state's circulation operations and answers in the
 * version and dialect the data file's ncip record gives.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ilssim.h"

#define SCM		"http://www.niso.org/ncip/v1_0/imp1/schemes/"
#define SCM_CIRC	SCM "circulationstatus/circulationstatus.scm"
#define SCM_REQTYPE	SCM "requesttype/requesttype.scm"
#define SCM_REQSTATUS	SCM "requeststatustype/requeststatustype.scm"
#define SCM_MEDIUM	SCM "mediumtype/mediumtype.scm"
#define SCM_BIBITEM	SCM "bibliographicitemidentifiercode/" \
			    "bibliographicitemidentifiercode.scm"
#define SCM_LOCTYPE	SCM "locationtype/locationtype.scm"
#define SCM_ROLE	SCM "useraddressroletype/useraddressroletype.scm"
#define SCM_PHYSICAL	SCM "physicaladdresstype/physicaladdresstype.scm"
#define SCM_UNSTRUCT	SCM "unstructuredaddresstype/" \
			    "unstructuredaddresstype.scm"
#define SCM_ELECTRONIC	SCM "electronicaddresstype/electronicaddresstype.scm"
#define SCM_ACTION	SCM "fiscalactiontype/fiscalactiontype.scm"
#define SCM_FISCALTYPE	SCM "fiscaltransactiontype/fiscaltransactiontype.scm"
#define SCM_CURRENCY	"http://www.bsi-global.com/Technical+Information/" \
			    "Publications/_Publications/tig90x.doc"
#define SCM_LANGUAGE	"http://lcweb.loc.gov/standards/iso639-2/" \
			    "bibcodes.html"

#define TEXT_MAX	255	/* longest value the state keeps */
#define DAY		86400

/* One request being answered. */
struct nreq {
	struct ilssim_server	*srv;
	struct ilssim_state	*st;
	const struct ncip_msg	*req;
	const char		*agency;	/* ours */
	time_t			 now;
	int			 nomem;
};

/* A circulation result as NCIP words it for one service. */
struct pmap {
	enum ncip_problem_type	 kind;
	const char		*other;		/* kind NCIP_PT_OTHER */
	const char		*element;
};

typedef struct ncip_msg *(*handler_fn)(struct nreq *);

static struct ncip_msg	*h_lookup_version(struct nreq *);
static struct ncip_msg	*h_lookup_user(struct nreq *);
static struct ncip_msg	*h_lookup_item(struct nreq *);
static struct ncip_msg	*h_checkout(struct nreq *);
static struct ncip_msg	*h_checkin(struct nreq *);
static struct ncip_msg	*h_renew(struct nreq *);
static struct ncip_msg	*h_request(struct nreq *);
static struct ncip_msg	*h_cancel(struct nreq *);
static struct ncip_msg	*h_accept(struct nreq *);
static struct ncip_msg	*h_create_user(struct nreq *);
static struct ncip_msg	*h_update_user(struct nreq *);
static struct ncip_msg	*h_delete_item(struct nreq *);
static struct ncip_msg	*h_lookup_item_set(struct nreq *);

/*
 * Every request the codec carries has a row.  Responses and bare Problems
 * sent to a responder have none and are answered Unsupported Service.
 */
static const handler_fn handlers[NCIP_SVC__COUNT] = {
	[NCIP_LOOKUP_VERSION] =		h_lookup_version,
	[NCIP_LOOKUP_USER] =		h_lookup_user,
	[NCIP_LOOKUP_ITEM] =		h_lookup_item,
	[NCIP_CHECKOUT_ITEM] =		h_checkout,
	[NCIP_CHECKIN_ITEM] =		h_checkin,
	[NCIP_RENEW_ITEM] =		h_renew,
	[NCIP_REQUEST_ITEM] =		h_request,
	[NCIP_CANCEL_REQUEST_ITEM] =	h_cancel,
	[NCIP_ACCEPT_ITEM] =		h_accept,
	[NCIP_CREATE_USER] =		h_create_user,
	[NCIP_UPDATE_USER] =		h_update_user,
	[NCIP_DELETE_ITEM] =		h_delete_item,
	[NCIP_LOOKUP_ITEM_SET] =	h_lookup_item_set,
};

/* SIP2 circulation status codes as NCIP CirculationStatus values. */
static const char *const circ_status[] = {
	[ILSSIM_ST_OTHER] =		"Circulation Status Undefined",
	[ILSSIM_ST_ON_ORDER] =		"On Order",
	[ILSSIM_ST_AVAILABLE] =		"Available On Shelf",
	[ILSSIM_ST_CHARGED] =		"On Loan",
	[5] =				"On Loan",
	[ILSSIM_ST_IN_PROCESS] =	"In Process",
	[ILSSIM_ST_RECALLED] =		"On Loan",
	[ILSSIM_ST_HOLD_SHELF] =	"Available For Pickup",
	[ILSSIM_ST_RESHELVING] =	"Available On Shelf",
	[ILSSIM_ST_IN_TRANSIT] =	"In Transit Between Library Locations",
	[ILSSIM_ST_CLAIMED] =		"Claimed Returned",
	[ILSSIM_ST_LOST] =		"Lost",
	[ILSSIM_ST_MISSING] =		"Missing",
};

/* SIP2 media types as NCIP MediumType values; 000 has none. */
static const char *const media[] = {
	NULL, "Book", "Magazine", "Magazine", "Audio Tape", "Video Tape",
	"Compact Disc", "Diskette", "Book", "Book", "Book"
};

/* SIP2 fee types as NCIP FiscalTransactionType values. */
static const char *const fee_types[] = {
	NULL, "Service Charge", "Administrative Fee",
	"Damaged Material Replacement Fee", "Fine",
	"Lost Material Processing Fee", "Rental Fee",
	"Lost Material Replacement Fee", "Service Charge", "Service Charge"
};

/* SIP2 language codes as ISO 639-2 bibliographic codes. */
static const char *const languages[] = {
	NULL, "eng", "fre", "ger", "ita", "dut", "swe", "fin", "spa", "dan",
	"por", "fre", "nor", "heb", "jpn", "rus", "ara", "pol", "gre", "chi",
	"kor", "spa", "tam", "may", "eng", "ice", "dut", "chi"
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* --- small helpers ---------------------------------------------------- */

static struct ncip_code
code(const char *scheme, const char *value)
{
	struct ncip_code	 c;

	c.scheme = scheme;
	c.value = value;
	return c;
}

/* One of our own ids: our agency and a value from the state. */
static struct ncip_id
our_id(struct nreq *q, const char *type, const char *value)
{
	struct ncip_id	 id;

	memset(&id, 0, sizeof(id));
	id.agency = code(NULL, q->agency);
	id.type = code(NULL, type);
	id.value = value;
	return id;
}

static void *
arena(struct nreq *q, struct ncip_msg *m, size_t n, size_t size)
{
	void	*p;

	if (n == 0)
		return NULL;
	if ((p = ncip_msg_calloc(m, n, size)) == NULL)
		q->nomem = 1;
	return p;
}

static const char *
arena_str(struct nreq *q, struct ncip_msg *m, const char *s)
{
	char	*p;

	if (s == NULL)
		return NULL;
	if ((p = ncip_msg_strdup(m, s)) == NULL)
		q->nomem = 1;
	return p;
}

/*
 * A peer's text as the state may keep it: control characters become
 * spaces, spaces at the ends go, and it is cut to TEXT_MAX bytes without
 * splitting a UTF-8 sequence.  Returns NULL for nothing left.
 */
static char *
clean(const char *s, char *buf, size_t len)
{
	size_t	 n, i;

	if (s == NULL || len == 0)
		return NULL;
	while (*s == ' ' || ((unsigned char)*s < 0x20 && *s != '\0'))
		s++;
	n = strlen(s);
	if (n > TEXT_MAX || n + 1 > len) {
		n = TEXT_MAX < len - 1 ? TEXT_MAX : len - 1;
		/* Cut before the sequence the limit falls into. */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' :
		    s[i];
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	return n > 0 ? buf : NULL;
}

/* "card-lost" as "Card Lost", for BlockOrTrapType. */
static const char *
block_title(struct nreq *q, struct ncip_msg *m, const char *name)
{
	char	 buf[64];
	size_t	 i;
	int	 up = 1;

	for (i = 0; name[i] != '\0' && i + 1 < sizeof(buf); i++) {
		buf[i] = name[i] == '-' ? ' ' : up ?
		    (char)toupper((unsigned char)name[i]) : name[i];
		up = name[i] == '-';
	}
	buf[i] = '\0';
	return arena_str(q, m, buf);
}

/* The status bit a BlockOrTrapType names ("Card Lost", "card-lost"). */
static unsigned
block_bit(const char *type)
{
	char	 buf[64];
	size_t	 i;

	if (type == NULL)
		return 0;
	for (i = 0; type[i] != '\0' && i + 1 < sizeof(buf); i++)
		buf[i] = type[i] == ' ' ? '-' :
		    (char)tolower((unsigned char)type[i]);
	buf[i] = '\0';
	return ilssim_data_block_bit(buf);
}

/* YYYYMMDD as midnight UTC of that day. */
static struct ncip_date
birth_date(const char *s)
{
	struct ncip_date	 d;
	struct tm		 tm;

	memset(&d, 0, sizeof(d));
	memset(&tm, 0, sizeof(tm));
	if (s == NULL || sscanf(s, "%4d%2d%2d", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday) != 3)
		return d;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return ncip_date_at(timegm(&tm));
}

static int
is_value(const struct ncip_code *c, const char *v)
{
	return c->value != NULL && strcasecmp(c->value, v) == 0;
}

/* --- answers ---------------------------------------------------------- */

/* The response shell for the request; NULL (and nomem) on no memory. */
static struct ncip_msg *
reply(struct nreq *q)
{
	struct ncip_msg	*m;

	if ((m = ncip_reply_new(q->req)) == NULL)
		q->nomem = 1;
	return m;
}

/* Replace a response with the failure of the request. */
static struct ncip_msg *
fail(struct nreq *q, struct ncip_msg *m, enum ncip_problem_type kind,
    const char *other, const char *element, const char *detail,
    const char *value)
{
	struct ncip_msg	*p;

	ncip_msg_free(m);
	if ((p = ncip_reply_new(q->req)) == NULL ||
	    ncip_msg_add_problem(p, kind, other, element, detail,
	    value) == -1) {
		ncip_msg_free(p);
		q->nomem = 1;
		return NULL;
	}
	return p;
}

/* How a circulation result reads in NCIP, depending on the service. */
static struct pmap
res_map(enum ilssim_res res, enum ncip_service svc)
{
	struct pmap	 p = { NCIP_PT_TEMPORARY_FAILURE, NULL, NULL };

	switch (res) {
	case ILSSIM_E_NO_PATRON:
		p.kind = NCIP_PT_UNKNOWN_USER;
		break;
	case ILSSIM_E_BAD_PIN:
		p.kind = NCIP_PT_USER_AUTH_FAILED;
		p.element = "AuthenticationInput";
		break;
	case ILSSIM_E_NO_ITEM:
	case ILSSIM_E_NO_TITLE:
		p.kind = NCIP_PT_UNKNOWN_ITEM;
		break;
	case ILSSIM_E_DENIED:
		if (svc == NCIP_REQUEST_ITEM) {
			p.kind = NCIP_PT_USER_INELIGIBLE_REQUEST;
			break;
		}
		/* FALLTHROUGH */
	case ILSSIM_E_BLOCKED:
	case ILSSIM_E_CARD_LOST:
	case ILSSIM_E_EXPIRED:
	case ILSSIM_E_FINES:
	case ILSSIM_E_OVERDUE:
		p.kind = NCIP_PT_USER_BLOCKED;
		break;
	case ILSSIM_E_LIMIT:
		p.kind = NCIP_PT_MAX_CHECKOUTS;
		break;
	case ILSSIM_E_HOLD_LIMIT:
	case ILSSIM_E_HAS_ITEM:
		p.kind = NCIP_PT_USER_INELIGIBLE_REQUEST;
		break;
	case ILSSIM_E_RENEW_LIMIT:
		p.kind = NCIP_PT_MAX_RENEWALS;
		break;
	case ILSSIM_E_ON_LOAN:
	case ILSSIM_E_ON_HOLD:
		if (svc == NCIP_RENEW_ITEM) {
			p.kind = NCIP_PT_OTHER;
			p.other = "User Ineligible To Renew This Item";
		} else if (svc == NCIP_DELETE_ITEM) {
			p.kind = NCIP_PT_OTHER;
			p.other = "Item Checked Out";
		} else
			p.kind = NCIP_PT_USER_INELIGIBLE_CHECKOUT;
		break;
	case ILSSIM_E_UNAVAILABLE:
		p.kind = NCIP_PT_ITEM_NOT_CIRCULATE;
		break;
	case ILSSIM_E_NOT_ON_LOAN:
		p.kind = NCIP_PT_ITEM_NOT_CHECKED_OUT;
		break;
	case ILSSIM_E_NO_HOLD:
		p.kind = NCIP_PT_UNKNOWN_REQUEST;
		break;
	case ILSSIM_E_HOLD_EXISTS:
		p.kind = NCIP_PT_DUPLICATE_REQUEST;
		break;
	case ILSSIM_E_NO_LOCATION:
		p.kind = NCIP_PT_UNKNOWN_VALUE;
		p.element = "PickupLocation";
		break;
	case ILSSIM_E_PATRON_EXISTS:
		p.kind = NCIP_PT_DUPLICATE_USER;
		break;
	case ILSSIM_E_ITEM_EXISTS:
		p.kind = NCIP_PT_DUPLICATE_ITEM;
		break;
	case ILSSIM_E_BAD_VALUE:
		p.kind = NCIP_PT_UNKNOWN_VALUE;
		break;
	default:
		break;
	}
	return p;
}

static struct ncip_msg *
fail_res(struct nreq *q, struct ncip_msg *m, enum ilssim_res res)
{
	struct pmap	 p = res_map(res, q->req->service);

	if (res == ILSSIM_E_NOMEM) {
		ncip_msg_free(m);
		q->nomem = 1;
		return NULL;
	}
	return fail(q, m, p.kind, p.other, p.element, ilssim_data_strres(res),
	    NULL);
}

/*
 * Find the request's user: AuthenticationInput (a barcode or user id, and
 * a PIN or password that must be right when it is sent) or UserId.  On
 * failure *m becomes the Problem answer and NULL is returned.
 */
static struct ilssim_patron *
find_user(struct nreq *q, struct ncip_msg **m)
{
	const struct ncip_msg	*r = q->req;
	struct ilssim_patron	*p;
	const char		*id = NULL, *pin = NULL;
	size_t			 i;

	for (i = 0; i < r->nauth; i++) {
		switch (ncip_auth_kind(&r->auth[i])) {
		case NCIP_AUTH_BARCODE:
		case NCIP_AUTH_USER_ID:
			if (id == NULL)
				id = r->auth[i].data;
			break;
		case NCIP_AUTH_PIN:
		case NCIP_AUTH_PASSWORD:
			if (pin == NULL)
				pin = r->auth[i].data;
			break;
		default:
			break;
		}
	}
	if (id == NULL)
		id = r->user_id.value;
	if (id == NULL) {
		*m = fail(q, *m, NCIP_PT_NEEDED_DATA_MISSING, NULL,
		    r->nauth > 0 ? "AuthenticationInput" : "UserId",
		    "no user identifier", NULL);
		return NULL;
	}
	if ((p = ilssim_data_patron(q->st, id)) == NULL) {
		*m = fail(q, *m, NCIP_PT_UNKNOWN_USER, NULL, r->nauth > 0 ?
		    "AuthenticationInputData" : "UserIdentifierValue",
		    ilssim_data_strres(ILSSIM_E_NO_PATRON), id);
		return NULL;
	}
	if (pin != NULL && !ilssim_data_pin_ok(p, pin)) {
		*m = fail(q, *m, NCIP_PT_USER_AUTH_FAILED, NULL,
		    "AuthenticationInput",
		    ilssim_data_strres(ILSSIM_E_BAD_PIN), NULL);
		return NULL;
	}
	return p;
}

static struct ilssim_item *
find_item(struct nreq *q, struct ncip_msg **m, const char *barcode)
{
	struct ilssim_item	*it;

	if (barcode == NULL) {
		*m = fail(q, *m, NCIP_PT_NEEDED_DATA_MISSING, NULL, "ItemId",
		    "no item identifier", NULL);
		return NULL;
	}
	if ((it = ilssim_data_item(q->st, barcode)) == NULL)
		*m = fail(q, *m, NCIP_PT_UNKNOWN_ITEM, NULL,
		    "ItemIdentifierValue", ilssim_data_strres(ILSSIM_E_NO_ITEM),
		    barcode);
	return it;
}

/* --- what a response tells of items ----------------------------------- */

static void
location_fill(struct nreq *q, struct ncip_msg *m, struct ncip_location *l,
    const char *type, const char *where)
{
	struct ncip_location_name	*n;

	if ((n = arena(q, m, 2, sizeof(*n))) == NULL)
		return;
	n[0].level = 1;
	n[0].value = q->agency;
	n[1].level = 2;
	n[1].value = where;
	l->type = code(SCM_LOCTYPE, type);
	l->names = n;
	l->nnames = 2;
}

static const char *
medium(const struct ilssim_item *it)
{
	int	 n = atoi(it->media);

	return n >= 0 && (size_t)n < NELEM(media) ? media[n] : NULL;
}

/* ItemOptionalFields with what the request's ItemElementType asks for. */
static void
item_fields(struct nreq *q, struct ncip_msg *m, struct ilssim_item *it,
    unsigned mask)
{
	struct ncip_item_fields	*f = &m->item;
	struct ncip_bib		*b = &f->bib;
	struct ilssim_title	*ti = it->title;
	const char		*ms;

	if ((mask & ~NCIP_IE_OTHER) == 0)
		return;
	f->present = 1;
	if (mask & NCIP_IE_BIB) {
		f->has_bib = 1;
		b->author = it->author;
		b->title = ti->title;
		if (ti->isbn != NULL) {
			b->item_id.kind = NCIP_BIBID_ITEM;
			b->item_id.value = ti->isbn;
			b->item_id.code = code(SCM_BIBITEM, "ISBN");
		}
		if (ti->record != NULL &&
		    (b->record_ids = arena(q, m, 1, sizeof(*b->record_ids))) !=
		    NULL) {
			b->record_ids[0].kind = NCIP_BIBID_RECORD;
			b->record_ids[0].value = ti->record;
			b->record_ids[0].agency = code(NULL, q->agency);
			b->nrecord_ids = 1;
		}
		if ((ms = medium(it)) != NULL)
			b->medium = code(SCM_MEDIUM, ms);
	}
	if (mask & NCIP_IE_CIRC_STATUS)
		f->circ_status = code(SCM_CIRC, it->status > 0 &&
		    (size_t)it->status < NELEM(circ_status) &&
		    circ_status[it->status] != NULL ? circ_status[it->status] :
		    circ_status[ILSSIM_ST_OTHER]);
	if (mask & NCIP_IE_HOLD_QUEUE)
		f->hold_queue_length = ilssim_data_item_queue(it);
	if (mask & NCIP_IE_DESCRIPTION)
		f->call_number = it->call;
	if ((mask & NCIP_IE_LOCATION) &&
	    (f->locations = arena(q, m, 2, sizeof(*f->locations))) != NULL) {
		location_fill(q, m, &f->locations[0], "Permanent", it->home);
		location_fill(q, m, &f->locations[1], "Current",
		    it->location);
		f->nlocations = 2;
	}
	if ((mask & NCIP_IE_DATE_DUE) && it->loan != NULL)
		f->date_due = ncip_date_at(it->loan->due);
}

/* --- what a response tells of users ----------------------------------- */

/* "Last, First" is structured; anything else is sent as it stands. */
static void
name_fill(struct nreq *q, struct ncip_msg *m, struct ncip_name *n,
    const char *name)
{
	const char	*comma;
	char		*s;

	n->present = 1;
	if ((comma = strstr(name, ", ")) == NULL || comma == name ||
	    comma[2] == '\0') {
		n->unstructured = name;
		return;
	}
	if ((s = ncip_msg_strdup(m, name)) == NULL) {
		q->nomem = 1;
		return;
	}
	s[comma - name] = '\0';
	n->surname = s;
	n->given = s + (comma - name) + 2;
}

static void
addresses_fill(struct nreq *q, struct ncip_msg *m, struct ilssim_patron *p)
{
	struct ncip_user_fields	*f = &m->user;
	struct ncip_address	*a;
	size_t			 n;

	n = (p->address != NULL) + (p->email != NULL) + (p->phone != NULL);
	if ((f->addresses = arena(q, m, n, sizeof(*a))) == NULL)
		return;
	if (p->address != NULL) {
		a = &f->addresses[f->naddresses++];
		a->role = code(SCM_ROLE, "Home");
		a->kind = NCIP_ADDR_PHYSICAL;
		a->unstructured_type = code(SCM_UNSTRUCT,
		    "Newline-Delimited Text");
		a->unstructured = p->address;
		a->physical_type = code(SCM_PHYSICAL, "Postal Address");
	}
	if (p->email != NULL) {
		a = &f->addresses[f->naddresses++];
		a->role = code(SCM_ROLE, "Home");
		a->kind = NCIP_ADDR_ELECTRONIC;
		a->electronic_type = code(SCM_ELECTRONIC, "mailto");
		a->electronic = p->email;
	}
	if (p->phone != NULL) {
		a = &f->addresses[f->naddresses++];
		a->role = code(SCM_ROLE, "Home");
		a->kind = NCIP_ADDR_ELECTRONIC;
		a->electronic_type = code(SCM_ELECTRONIC, "tel");
		a->electronic = p->phone;
	}
}

/*
 * Privileges: the patron class, valid until the card expires, and a
 * STATUS privilege that reads ACTIVE or BLOCKED as charging allows.
 */
static void
privileges_fill(struct nreq *q, struct ncip_msg *m, struct ilssim_patron *p,
    const struct ilssim_standing *s)
{
	struct ncip_user_fields	*f = &m->user;
	struct ncip_privilege	*v;

	if ((v = arena(q, m, 2, sizeof(*v))) == NULL)
		return;
	v[0].agency = code(NULL, q->agency);
	v[0].type = code(NULL, p->class->name);
	if (p->expires != 0)
		v[0].valid_to = ncip_date_at(p->expires);
	v[0].description = "Patron class";
	v[1].agency = code(NULL, q->agency);
	v[1].type = code(NULL, "STATUS");
	v[1].status = code(NULL, (s->status & ILSSIM_B_CHARGE_DENIED) ?
	    "BLOCKED" : "ACTIVE");
	f->privileges = v;
	f->nprivileges = 2;
}

/* Blocks: each status bit set, a staff block, an expired card. */
static void
blocks_fill(struct nreq *q, struct ncip_msg *m, struct ilssim_patron *p,
    const struct ilssim_standing *s)
{
	struct ncip_user_fields	*f = &m->user;
	struct ncip_block	*b;
	const char		*name;
	unsigned		 bit;
	size_t			 n = 0;

	for (bit = 1; bit < (1u << ILSSIM_B_COUNT); bit <<= 1)
		n += (s->status & bit) != 0;
	n += p->blocked + s->expired;
	if ((b = arena(q, m, n, sizeof(*b))) == NULL)
		return;
	for (bit = 1; bit < (1u << ILSSIM_B_COUNT); bit <<= 1) {
		if (!(s->status & bit) ||
		    (name = ilssim_data_block_name(bit)) == NULL)
			continue;
		b[f->nblocks].agency = code(NULL, q->agency);
		b[f->nblocks++].type = code(NULL, block_title(q, m, name));
	}
	if (p->blocked) {
		b[f->nblocks].agency = code(NULL, q->agency);
		b[f->nblocks++].type = code(NULL, "Blocked");
	}
	if (s->expired) {
		b[f->nblocks].agency = code(NULL, q->agency);
		b[f->nblocks].type = code(NULL, "Card Expired");
		b[f->nblocks++].valid_from = ncip_date_at(p->expires);
	}
	f->blocks = b;
}

/* UserOptionalFields with what the request's UserElementType asks for. */
static void
user_fields(struct nreq *q, struct ncip_msg *m, struct ilssim_patron *p,
    unsigned mask)
{
	struct ncip_user_fields	*f = &m->user;
	struct ilssim_standing	 s;
	int			 lang;

	mask &= ~(NCIP_UE_OTHER | NCIP_UE_AUTH | NCIP_UE_PREVIOUS_ID);
	if (mask == 0)
		return;
	f->present = 1;
	ilssim_data_standing(q->st, p, q->now, &s);
	if (mask & NCIP_UE_NAME)
		name_fill(q, m, &f->name, p->name);
	if (mask & NCIP_UE_ADDRESS)
		addresses_fill(q, m, p);
	if ((mask & NCIP_UE_BIRTH) && p->birth != NULL)
		f->birth = birth_date(p->birth);
	lang = atoi(p->language);
	if ((mask & NCIP_UE_LANGUAGE) && lang > 0 &&
	    (size_t)lang < NELEM(languages) &&
	    (f->languages = arena(q, m, 1, sizeof(*f->languages))) != NULL) {
		f->languages[0] = code(SCM_LANGUAGE, languages[lang]);
		f->nlanguages = 1;
	}
	if (mask & NCIP_UE_PRIVILEGE)
		privileges_fill(q, m, p, &s);
	if (mask & NCIP_UE_BLOCK)
		blocks_fill(q, m, p, &s);
	if ((mask & NCIP_UE_USER_ID) &&
	    (f->user_ids = arena(q, m, 1, sizeof(*f->user_ids))) != NULL) {
		f->user_ids[0] = our_id(q, "Barcode", p->barcode);
		f->nuser_ids = 1;
	}
}

static void
loans_fill(struct nreq *q, struct ncip_msg *m, struct ilssim_patron *p)
{
	struct ilssim_loan	*l;
	struct ncip_loan	*v;
	const char		*ms;
	size_t			 n = 0;

	TAILQ_FOREACH(l, &p->loans, entry)
		n++;
	if ((m->loan_counts = arena(q, m, 1, sizeof(*m->loan_counts))) ==
	    NULL)
		return;
	m->loan_counts[0].by = NCIP_COUNT_CIRC_STATUS;
	m->loan_counts[0].code = code(SCM_CIRC, "On Loan");
	m->loan_counts[0].value = (long)n;
	m->nloan_counts = 1;
	if ((v = arena(q, m, n, sizeof(*v))) == NULL)
		return;
	TAILQ_FOREACH(l, &p->loans, entry) {
		v[m->nloans].item_id = our_id(q, NULL, l->item->barcode);
		v[m->nloans].reminder_level = -1;
		v[m->nloans].date_due = ncip_date_at(l->due);
		v[m->nloans].title = l->item->title->title;
		if ((ms = medium(l->item)) != NULL)
			v[m->nloans].medium = code(SCM_MEDIUM, ms);
		m->nloans++;
	}
	m->loans = v;
}

/*
 * Holds as RequestedItems: set aside on the pickup shelf is Available For
 * Pickup, anything before that In Process.
 */
static void
holds_fill(struct nreq *q, struct ncip_msg *m, struct ilssim_patron *p)
{
	struct ilssim_hold	*h;
	struct ilssim_item	*it;
	struct ncip_hold	*v, *x;
	size_t			 n = 0;

	TAILQ_FOREACH(h, &p->holds, pentry)
		n++;
	if ((m->hold_counts = arena(q, m, 1, sizeof(*m->hold_counts))) ==
	    NULL)
		return;
	m->hold_counts[0].by = NCIP_COUNT_REQUEST_TYPE;
	m->hold_counts[0].code = code(SCM_REQTYPE, "Hold");
	m->hold_counts[0].value = (long)n;
	m->nhold_counts = 1;
	if ((v = arena(q, m, n, sizeof(*v))) == NULL)
		return;
	TAILQ_FOREACH(h, &p->holds, pentry) {
		x = &v[m->nholds++];
		it = h->trapped != NULL ? h->trapped : h->item;
		x->request_id = our_id(q, NULL, h->id);
		if (it != NULL)
			x->item_id = our_id(q, NULL, it->barcode);
		x->type = code(SCM_REQTYPE, "Hold");
		x->status = code(SCM_REQSTATUS, ilssim_data_hold_ready(h) ?
		    "Available For Pickup" : "In Process");
		x->date_placed = ncip_date_at(h->placed);
		x->pickup_location = code(NULL, h->pickup);
		if (h->expires != 0)
			x->pickup_expiry = ncip_date_at(h->expires);
		x->reminder_level = -1;
		x->queue_position = ilssim_data_hold_position(h);
		x->title = h->title->title;
	}
	m->holds = v;
}

static void
account_fill(struct nreq *q, struct ncip_msg *m, struct ilssim_patron *p)
{
	struct ilssim_standing		 s;
	struct ilssim_fee		*fe;
	struct ncip_account		*a;
	struct ncip_account_detail	*d;
	struct ncip_fiscal		*t;

	ilssim_data_standing(q->st, p, q->now, &s);
	if ((a = arena(q, m, 1, sizeof(*a))) == NULL)
		return;
	a->balance.set = 1;
	a->balance.currency = code(SCM_CURRENCY, q->st->currency);
	a->balance.value = s.owed;
	m->accounts = a;
	m->naccounts = 1;
	if ((d = arena(q, m, (size_t)s.fees, sizeof(*d))) == NULL)
		return;
	TAILQ_FOREACH(fe, &p->fees, entry) {
		if (fe->amount <= 0 || a->ndetails == (size_t)s.fees)
			continue;
		t = &d[a->ndetails].tx;
		d[a->ndetails++].accrual = ncip_date_at(fe->created);
		t->action = code(SCM_ACTION, "Assess");
		t->ref_agency = code(NULL, q->agency);
		t->ref_id = fe->id;
		t->type = code(SCM_FISCALTYPE, fe->type > 0 &&
		    (size_t)fe->type < NELEM(fee_types) ?
		    fee_types[fe->type] : fee_types[1]);
		t->amount.set = 1;
		t->amount.currency = a->balance.currency;
		t->amount.value = fe->amount;
		if (fe->desc != NULL && *fe->desc != '\0')
			t->description = fe->desc;
	}
	a->details = d;
}

/* --- services --------------------------------------------------------- */

static struct ncip_msg *
h_lookup_version(struct nreq *q)
{
	static const char *const v2[] = { NCIP_V2_02, NCIP_V2_01, NCIP_V2_0 };
	static const char *const v1[] = { NCIP_V1_01, NCIP_V1_0 };
	const struct ilssim_ncip_conf	*c = &q->st->ncip;
	const char *const		*list = c->version == 1 ? v1 : v2;
	size_t				 n = c->version == 1 ? 2 : 3, i;
	struct ncip_msg			*m;

	if ((m = reply(q)) == NULL)
		return NULL;
	/* Newer versions first; the ILS speaks its own and older ones. */
	for (i = 0; i < n && strcmp(list[i], c->version_str) != 0; i++)
		;
	if ((m->versions = arena(q, m, n - i, sizeof(*m->versions))) == NULL)
		return m;
	for (; i < n; i++)
		m->versions[m->nversions++] = list[i];
	return m;
}

static struct ncip_msg *
h_lookup_user(struct nreq *q)
{
	const struct ncip_msg	*r = q->req;
	struct ilssim_patron	*p;
	struct ncip_msg		*m;

	if ((m = reply(q)) == NULL || (p = find_user(q, &m)) == NULL)
		return m;
	m->user_id = our_id(q, "Barcode", p->barcode);
	if (r->account_desired)
		account_fill(q, m, p);
	if (r->loans_desired)
		loans_fill(q, m, p);
	if (r->holds_desired)
		holds_fill(q, m, p);
	user_fields(q, m, p, ncip_user_element_mask(r));
	return m;
}

static struct ncip_msg *
h_lookup_item(struct nreq *q)
{
	const struct ncip_msg	*r = q->req;
	struct ilssim_item	*it = NULL;
	struct ilssim_hold	*h;
	struct ncip_msg		*m;

	if ((m = reply(q)) == NULL)
		return NULL;
	if (r->item_id.value == NULL) {
		if ((h = ilssim_data_hold_by_id(q->st,
		    r->request_id.value)) == NULL)
			return fail(q, m, NCIP_PT_UNKNOWN_REQUEST, NULL,
			    "RequestIdentifierValue",
			    ilssim_data_strres(ILSSIM_E_NO_HOLD),
			    r->request_id.value);
		it = h->trapped != NULL ? h->trapped : h->item != NULL ?
		    h->item : h->title->ncopies > 0 ? h->title->copies[0] :
		    NULL;
		if (it == NULL)
			return fail(q, m, NCIP_PT_UNKNOWN_ITEM, NULL, NULL,
			    "the request's title has no copy", NULL);
	} else if ((it = find_item(q, &m, r->item_id.value)) == NULL)
		return m;
	m->item_id = our_id(q, NULL, it->barcode);
	item_fields(q, m, it, ncip_item_element_mask(r));
	return m;
}

/* Copies listed per title at most, as a real ILS pages long holdings. */
#define ITEM_SET_MAX	50

/*
 * One BibInformation of a LookupItemSetResponse: the title's copies, each
 * with the fields asked for and its collection as level 3 of its
 * permanent location, or Unknown Item.
 */
static void
item_set_title(struct nreq *q, struct ncip_msg *m, struct ncip_bib_info *bi,
    const struct ncip_bibid *id, unsigned mask, size_t max)
{
	struct ilssim_title	*ti;
	struct ncip_problem	*pb;
	struct ncip_holdings	*h;
	struct ncip_location	*l;
	struct ncip_location_name *n;
	struct ncip_msg		 one;
	size_t			 i;

	bi->bib_id = *id;
	if ((ti = ilssim_data_title_by_bibid(q->st, id->value)) == NULL ||
	    ti->ncopies == 0) {
		if ((pb = arena(q, m, 1, sizeof(*pb))) == NULL)
			return;
		pb->kind = NCIP_PT_UNKNOWN_ITEM;
		pb->type = code(ncip_problem_scheme(NCIP_PT_UNKNOWN_ITEM,
		    NCIP_LOOKUP_ITEM), ncip_problem_name(NCIP_PT_UNKNOWN_ITEM));
		pb->element = "BibliographicId";
		pb->detail = ilssim_data_strres(ILSSIM_E_NO_TITLE);
		bi->problems = pb;
		bi->nproblems = 1;
		return;
	}
	bi->has_bib = 1;
	bi->bib.title = ti->title;
	if ((h = arena(q, m, 1, sizeof(*h))) == NULL)
		return;
	bi->holdings = h;
	bi->nholdings = 1;
	h->id = q->agency;
	h->ncopies = ti->ncopies < max ? ti->ncopies : max;
	if ((h->copies = arena(q, m, h->ncopies, sizeof(*h->copies))) ==
	    NULL)
		return;
	for (i = 0; i < h->ncopies; i++) {
		/* item_fields() fills a message's fields: lend it a shell. */
		memset(&one, 0, sizeof(one));
		one.arena = m->arena;
		one.item.hold_queue_length = -1;
		item_fields(q, &one, ti->copies[i], mask);
		m->arena = one.arena;	/* blocks it added go first */
		h->copies[i].item = one.item;
		h->copies[i].item_id = our_id(q, NULL,
		    ti->copies[i]->barcode);
		l = one.item.nlocations > 0 ? &one.item.locations[0] : NULL;
		if (l == NULL || ti->copies[i]->collection == NULL ||
		    (n = arena(q, m, 3, sizeof(*n))) == NULL)
			continue;
		memcpy(n, l->names, 2 * sizeof(*n));
		n[2].level = 3;
		n[2].value = ti->copies[i]->collection;
		l->names = n;
		l->nnames = 3;
	}
}

/*
 * LookupItemSet by BibliographicId (version 2 only): per title asked,
 * where its copies are and their state.  ItemId and HoldingsSetId forms
 * are refused as Unsupported Service.
 */
static struct ncip_msg *
h_lookup_item_set(struct nreq *q)
{
	const struct ncip_msg	*r = q->req;
	struct ncip_msg		*m;
	size_t			 i, max = ITEM_SET_MAX;

	if ((m = reply(q)) == NULL)
		return NULL;
	if (r->nbib_ids == 0)
		return fail(q, m, NCIP_PT_UNSUPPORTED_SERVICE, NULL, "ItemId",
		    "this ILS looks item sets up by BibliographicId only",
		    NULL);
	if (r->max_items > 0 && (size_t)r->max_items < max)
		max = (size_t)r->max_items;
	if ((m->bib_infos = arena(q, m, r->nbib_ids,
	    sizeof(*m->bib_infos))) == NULL)
		return m;
	m->nbib_infos = r->nbib_ids;
	for (i = 0; i < r->nbib_ids; i++)
		item_set_title(q, m, &m->bib_infos[i], &r->bib_ids[i],
		    ncip_item_element_mask(r) | NCIP_IE_CIRC_STATUS |
		    NCIP_IE_LOCATION, max);
	return m;
}

static struct ncip_msg *
h_checkout(struct nreq *q)
{
	const struct ncip_msg		*r = q->req;
	struct ilssim_loan_opts		 o;
	struct ilssim_loan_result	 lr;
	struct ilssim_patron		*p;
	struct ilssim_item		*it;
	struct ncip_msg			*m;
	enum ilssim_res			 res;
	time_t				 due;

	if ((m = reply(q)) == NULL || (p = find_user(q, &m)) == NULL ||
	    (it = find_item(q, &m, r->item_id.value)) == NULL)
		return m;
	if (it->loan != NULL && it->loan->patron == p)
		/* A retried checkout: answered, not renewed again. */
		due = it->loan->due;
	else {
		/* An NCIP checkout accepts a rental fee, as a desk does. */
		memset(&o, 0, sizeof(o));
		o.fee_ack = 1;
		res = ilssim_data_checkout(q->st, p, it, q->now, &o, &lr);
		if (res != ILSSIM_OK)
			return fail_res(q, m, res);
		due = lr.due;
	}
	m->item_id = our_id(q, NULL, it->barcode);
	m->user_id = our_id(q, "Barcode", p->barcode);
	m->date_due = ncip_date_at(due);
	item_fields(q, m, it, ncip_item_element_mask(r));
	user_fields(q, m, p, ncip_user_element_mask(r));
	return m;
}

static struct ncip_msg *
h_checkin(struct nreq *q)
{
	const struct ncip_msg		*r = q->req;
	struct ilssim_checkin_result	 cr;
	struct ilssim_item		*it;
	struct ncip_routing		*ro;
	struct ncip_msg			*m;
	char				 buf[128];

	if ((m = reply(q)) == NULL ||
	    (it = find_item(q, &m, r->item_id.value)) == NULL)
		return m;
	/* Returning what is not on loan is no error: it is shelved. */
	if (ilssim_data_checkin(q->st, it, NULL, q->now, 0, &cr) != ILSSIM_OK)
		return fail_res(q, m, ILSSIM_E_NOMEM);
	m->item_id = our_id(q, NULL, it->barcode);
	if (cr.borrower != NULL)
		m->user_id = our_id(q, "Barcode", cr.borrower->barcode);
	if (cr.destination != NULL) {
		ro = &m->routing;
		ro->present = 1;
		snprintf(buf, sizeof(buf), "%s %s", cr.hold != NULL ?
		    "Hold for pickup at" : "Return to", cr.destination);
		ro->instructions = arena_str(q, m, buf);
		location_fill(q, m, &ro->destination, "Current",
		    cr.destination);
		if (cr.hold != NULL) {
			ro->request_type = code(SCM_REQTYPE, "Hold");
			ro->user_id = our_id(q, "Barcode",
			    cr.hold->patron->barcode);
		}
	}
	item_fields(q, m, it, ncip_item_element_mask(r));
	if (cr.borrower != NULL)
		user_fields(q, m, cr.borrower, ncip_user_element_mask(r));
	return m;
}

static struct ncip_msg *
h_renew(struct nreq *q)
{
	const struct ncip_msg		*r = q->req;
	struct ilssim_loan_opts		 o;
	struct ilssim_loan_result	 lr;
	struct ilssim_patron		*p;
	struct ilssim_item		*it;
	struct ncip_msg			*m;
	enum ilssim_res			 res;

	if ((m = reply(q)) == NULL || (p = find_user(q, &m)) == NULL ||
	    (it = find_item(q, &m, r->item_id.value)) == NULL)
		return m;
	memset(&o, 0, sizeof(o));
	if ((res = ilssim_data_renew(q->st, p, it, q->now, &o, &lr)) !=
	    ILSSIM_OK)
		return fail_res(q, m, res);
	m->item_id = our_id(q, NULL, it->barcode);
	m->user_id = our_id(q, "Barcode", p->barcode);
	m->date_due = ncip_date_at(lr.due);
	m->renewal_count = lr.loan->renewals;
	item_fields(q, m, it, ncip_item_element_mask(r));
	user_fields(q, m, p, ncip_user_element_mask(r));
	return m;
}

/* The title a RequestItem's BibliographicIds name, or NULL. */
static struct ilssim_title *
request_title(struct nreq *q)
{
	const struct ncip_msg	*r = q->req;
	struct ilssim_title	*ti;
	size_t			 i;

	for (i = 0; i < r->nbib_ids; i++)
		if ((ti = ilssim_data_title_by_bibid(q->st,
		    r->bib_ids[i].value)) != NULL)
			return ti;
	return NULL;
}

/* The first copy a RequestItem's ItemIds name that the ILS has. */
static struct ilssim_item *
request_item(struct nreq *q)
{
	const struct ncip_msg	*r = q->req;
	struct ilssim_item	*it;
	size_t			 i;

	if ((it = ilssim_data_item(q->st, r->item_id.value)) != NULL)
		return it;
	for (i = 0; i < r->nmore_item_ids; i++)
		if ((it = ilssim_data_item(q->st,
		    r->more_item_ids[i].value)) != NULL)
			return it;
	return NULL;
}

static struct ncip_msg *
request_answer(struct nreq *q, struct ncip_msg *m, struct ilssim_patron *p,
    struct ilssim_hold *h)
{
	m->request_id = our_id(q, NULL, h->id);
	memset(&m->item_id, 0, sizeof(m->item_id));
	if (h->item != NULL)
		m->item_id = our_id(q, NULL, h->item->barcode);
	m->user_id = our_id(q, "Barcode", p->barcode);
	return m;
}

/*
 * A hold on a copy (scope Item) or on its title (Bibliographic Item), or
 * on the title BibliographicIds name by ISBN or record id.  A retry with
 * the same RequestId is answered again; another request for what the user
 * already has on hold is a Duplicate Request.
 */
/*
 * A requester's RequestId as the ILS keeps it: its agency and its value,
 * for the same value from two agencies names two requests.
 */
static void
request_key(const struct ncip_msg *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", r->request_id.agency.value != NULL ?
	    r->request_id.agency.value : "", r->request_id.value);
}

static struct ncip_msg *
h_request(struct nreq *q)
{
	const struct ncip_msg	*r = q->req;
	struct ilssim_patron	*p;
	struct ilssim_item	*it = NULL;
	struct ilssim_title	*ti = NULL;
	struct ilssim_hold	*h;
	struct ncip_msg		*m;
	enum ilssim_res		 res;
	time_t			 expires = 0;
	int			 title_scope;
	char			 key[2 * NCIP_ID_MAX + 2];

	if ((m = reply(q)) == NULL || (p = find_user(q, &m)) == NULL)
		return m;
	if (!is_value(&r->request_type, "Hold") &&
	    !is_value(&r->request_type, "Loan") &&
	    !is_value(&r->request_type, "Page"))
		return fail(q, m, NCIP_PT_UNKNOWN_VALUE, NULL, "RequestType",
		    "only Hold, Loan and Page requests are taken",
		    r->request_type.value);
	if (is_value(&r->request_scope, "Bibliographic Item"))
		title_scope = 1;
	else if (is_value(&r->request_scope, "Item"))
		title_scope = 0;
	else
		return fail(q, m, NCIP_PT_UNKNOWN_VALUE, NULL,
		    "RequestScopeType", NULL, r->request_scope.value);
	if (r->request_id.value != NULL) {
		request_key(r, key, sizeof(key));
		if ((h = ilssim_data_hold_by_id(q->st, key)) != NULL &&
		    h->patron == p)
			return request_answer(q, m, p, h);
	}

	if (r->item_id.value != NULL) {
		if ((it = request_item(q)) == NULL)
			return fail(q, m, NCIP_PT_UNKNOWN_ITEM, NULL,
			    "ItemIdentifierValue",
			    ilssim_data_strres(ILSSIM_E_NO_ITEM),
			    r->item_id.value);
		if (title_scope) {
			ti = it->title;
			it = NULL;
		}
	} else if ((ti = request_title(q)) == NULL)
		return fail(q, m, NCIP_PT_UNKNOWN_ITEM, NULL,
		    "BibliographicId", ilssim_data_strres(ILSSIM_E_NO_TITLE),
		    r->nbib_ids > 0 ? r->bib_ids[0].value : NULL);
	if (r->pickup_expiry.set && r->pickup_expiry.t > q->now)
		expires = r->pickup_expiry.t;
	res = ilssim_data_hold_place(q->st, p, it, ti, it != NULL ?
	    ILSSIM_HOLD_COPY : ILSSIM_HOLD_TITLE, r->pickup_location.value,
	    expires, q->now, &h);
	if (res != ILSSIM_OK)
		return fail_res(q, m, res);
	if (r->request_id.value != NULL &&
	    ilssim_data_hold_tag(h, key) == ILSSIM_E_NOMEM)
		return fail_res(q, m, ILSSIM_E_NOMEM);
	return request_answer(q, m, p, h);
}

static struct ncip_msg *
h_cancel(struct nreq *q)
{
	const struct ncip_msg	*r = q->req;
	struct ilssim_patron	*p;
	struct ilssim_item	*it;
	struct ilssim_hold	*h;
	struct ncip_msg		*m;
	char			 key[2 * NCIP_ID_MAX + 2];

	if ((m = reply(q)) == NULL || (p = find_user(q, &m)) == NULL)
		return m;
	if (r->request_id.value != NULL) {
		/* The ILS's own id, or the requester's with its agency. */
		if ((h = ilssim_data_hold_by_id(q->st,
		    r->request_id.value)) == NULL) {
			request_key(r, key, sizeof(key));
			h = ilssim_data_hold_by_id(q->st, key);
		}
		if (h != NULL && h->patron != p)
			h = NULL;
	} else {
		if ((it = find_item(q, &m, r->item_id.value)) == NULL)
			return m;
		h = ilssim_data_hold_find(p, it, NULL);
		m->item_id = our_id(q, NULL, it->barcode);
	}
	if (h == NULL)
		return fail(q, m, NCIP_PT_UNKNOWN_REQUEST, NULL,
		    r->request_id.value != NULL ? "RequestIdentifierValue" :
		    "ItemIdentifierValue", ilssim_data_strres(ILSSIM_E_NO_HOLD),
		    r->request_id.value != NULL ? r->request_id.value :
		    r->item_id.value);
	ilssim_data_hold_cancel(q->st, h);
	m->user_id = our_id(q, "Barcode", p->barcode);
	return m;
}


static struct ncip_msg *
accept_answer(struct nreq *q, struct ncip_msg *m, const char *barcode)
{
	m->item_id = our_id(q, NULL, arena_str(q, m, barcode));
	return m;
}

/*
 * Make the borrowed copy and either set it aside for the user (Hold For
 * Pickup) or lend it straight away (Circulate).  The copy is taken back if
 * that fails.
 */
static enum ilssim_res
accept_do(struct nreq *q, struct ilssim_patron *p, const char *barcode,
    int circulate, const char *pickup)
{
	const struct ncip_msg		*r = q->req;
	struct ilssim_loan_opts		 o;
	struct ilssim_loan_result	 lr;
	struct ilssim_item		*it;
	struct ilssim_hold		*h;
	enum ilssim_res			 res;
	char				 title[TEXT_MAX + 1];
	char				 author[TEXT_MAX + 1];
	char				 owner[TEXT_MAX + 1];
	char				 fallback[TEXT_MAX + 1];
	const char			*t, *a = NULL, *ow;

	snprintf(fallback, sizeof(fallback), "Interlibrary loan %s",
	    r->request_id.value);
	t = r->item.has_bib ? clean(r->item.bib.title, title,
	    sizeof(title)) : NULL;
	if (r->item.has_bib)
		a = clean(r->item.bib.author, author, sizeof(author));
	ow = clean(r->header.from_agency.value, owner, sizeof(owner));
	res = ilssim_data_item_new(q->st, barcode, t != NULL ? t :
	    clean(fallback, title, sizeof(title)), a, pickup, ow, 1, &it);
	if (res != ILSSIM_OK)
		return res;
	if (circulate) {
		memset(&o, 0, sizeof(o));
		o.no_block = 1;
		o.fee_ack = 1;
		if (r->date_for_return.set && r->date_for_return.t > q->now)
			o.nb_due = r->date_for_return.t;
		res = ilssim_data_checkout(q->st, p, it, q->now, &o, &lr);
	} else
		res = ilssim_data_hold_set_aside(q->st, p, it, pickup,
		    r->pickup_expiry.set ? r->pickup_expiry.t : 0, q->now,
		    &h);
	if (res == ILSSIM_OK && !circulate)
		res = ilssim_data_hold_tag(h, r->request_id.value);
	if (res != ILSSIM_OK)
		(void)ilssim_data_item_delete(q->st, it);
	return res;
}

/*
 * A copy borrowed from elsewhere arrives for one of our users.  A retry
 * with the same RequestId creates nothing and gets the same answer.
 */
static struct ncip_msg *
h_accept(struct nreq *q)
{
	const struct ncip_msg		*r = q->req;
	const struct ilssim_accept	*a;
	struct ilssim_patron		*p;
	struct ncip_msg			*m;
	enum ilssim_res			 res;
	char				 key[2 * NCIP_ID_MAX + 2];
	char				 barcode[TEXT_MAX + 1];
	const char			*pickup;
	int				 circulate;

	if ((m = reply(q)) == NULL)
		return NULL;
	request_key(r, key, sizeof(key));
	if ((a = ilssim_data_accept_find(q->st, key)) != NULL) {
		if (ilssim_data_item(q->st, a->barcode) == NULL)
			return fail(q, m, NCIP_PT_REQUEST_PROCESSED, NULL,
			    "RequestId", "the item accepted for this request "
			    "has been deleted", r->request_id.value);
		return accept_answer(q, m, a->barcode);
	}
	if (is_value(&r->requested_action, "Hold For Pickup") ||
	    is_value(&r->requested_action, "Hold For Pickup And Notify"))
		circulate = 0;
	else if (is_value(&r->requested_action, "Circulate") ||
	    is_value(&r->requested_action, "Circulate And Notify"))
		circulate = 1;
	else
		return fail(q, m, NCIP_PT_UNKNOWN_VALUE, NULL,
		    "RequestedActionType", NULL, r->requested_action.value);
	if (r->user_id.value == NULL)
		return fail(q, m, NCIP_PT_NEEDED_DATA_MISSING, NULL, "UserId",
		    "the user the item is for", NULL);
	if ((p = find_user(q, &m)) == NULL)
		return m;
	pickup = r->pickup_location.value != NULL ?
	    r->pickup_location.value : p->home;
	if (ilssim_data_location(q->st, pickup) == NULL)
		return fail(q, m, NCIP_PT_UNKNOWN_VALUE, NULL,
		    "PickupLocation", ilssim_data_strres(ILSSIM_E_NO_LOCATION),
		    pickup);
	if (r->item_id.value == NULL)
		ilssim_data_new_barcode(q->st, 0, barcode, sizeof(barcode));
	else if (clean(r->item_id.value, barcode, sizeof(barcode)) == NULL)
		return fail(q, m, NCIP_PT_UNKNOWN_VALUE, NULL,
		    "ItemIdentifierValue", "empty item identifier", NULL);
	if ((res = accept_do(q, p, barcode, circulate, pickup)) != ILSSIM_OK)
		return res == ILSSIM_E_NOMEM ? fail_res(q, m, res) :
		    fail(q, m, res == ILSSIM_E_ITEM_EXISTS ?
		    NCIP_PT_DUPLICATE_ITEM : NCIP_PT_CANNOT_ACCEPT_ITEM, NULL,
		    res == ILSSIM_E_ITEM_EXISTS ? "ItemIdentifierValue" : NULL,
		    ilssim_data_strres(res), NULL);
	if (ilssim_data_accept_add(q->st, key, barcode) == ILSSIM_E_NOMEM)
		return fail_res(q, m, ILSSIM_E_NOMEM);
	return accept_answer(q, m, barcode);
}

/* A name as the state keeps it: "Surname, Given" or as it came. */
static const char *
name_text(const struct ncip_name *n, char *buf, size_t len)
{
	char	 tmp[2 * TEXT_MAX + 3];

	if (n->surname != NULL && n->given != NULL)
		snprintf(tmp, sizeof(tmp), "%s, %s", n->surname, n->given);
	else if (n->surname != NULL)
		snprintf(tmp, sizeof(tmp), "%s", n->surname);
	else if (n->unstructured != NULL)
		snprintf(tmp, sizeof(tmp), "%s", n->unstructured);
	else if (n->org_name != NULL)
		snprintf(tmp, sizeof(tmp), "%s", n->org_name);
	else
		return NULL;
	return clean(tmp, buf, len);
}

/* A physical address as one line of text. */
static const char *
address_text(const struct ncip_address *a, char *buf, size_t len)
{
	const char	*parts[8];
	char		 tmp[4 * TEXT_MAX];
	size_t		 i, n = 0, k = 0;

	if (a->unstructured != NULL)
		return clean(a->unstructured, buf, len);
	parts[k++] = a->line1 != NULL ? a->line1 : a->street;
	parts[k++] = a->line1 != NULL ? a->line2 : a->po_box;
	parts[k++] = a->locality;
	parts[k++] = a->region;
	parts[k++] = a->postal_code;
	parts[k++] = a->country;
	tmp[0] = '\0';
	for (i = 0; i < k; i++) {
		if (parts[i] == NULL || *parts[i] == '\0' || n >= sizeof(tmp))
			continue;
		n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "%s%s",
		    n > 0 ? ", " : "", parts[i]);
	}
	return clean(tmp, buf, len);
}

/* The state field an address is kept in. */
static enum ilssim_pfield
address_field(const struct ncip_address *a)
{
	const char	*t = a->electronic_type.value;

	if (a->kind == NCIP_ADDR_PHYSICAL)
		return ILSSIM_PF_ADDRESS;
	/* A local type (notice preferences, say) is kept as given. */
	if (t != NULL && strncasecmp(t, "x-", 2) == 0)
		return ILSSIM_PF_NOTICES;
	if (t != NULL && (strcasecmp(t, "tel") == 0 ||
	    strcasecmp(t, "phone") == 0 || strcasecmp(t, "sms") == 0))
		return ILSSIM_PF_PHONE;
	return ILSSIM_PF_EMAIL;
}

/* Treat a result: 1 carry on, 0 out of memory. */
static int
set_ok(struct nreq *q, enum ilssim_res res)
{
	if (res == ILSSIM_E_NOMEM) {
		q->nomem = 1;
		return 0;
	}
	/* Values the state cannot hold are left out, as an ILS drops them. */
	return 1;
}

/* Add the fields CreateUser or UpdateUser's AddUserFields carry. */
static int
user_add(struct nreq *q, struct ilssim_patron *p,
    const struct ncip_user_fields *f, const struct ncip_auth *auth,
    size_t nauth)
{
	const struct ncip_address	*a;
	const char			*s;
	char				 buf[TEXT_MAX + 1], d[16];
	enum ncip_auth_kind		 kind;
	unsigned			 bit;
	size_t				 i, k;
	struct tm			 tm;

	if (f->name.present && (s = name_text(&f->name, buf,
	    sizeof(buf))) != NULL &&
	    !set_ok(q, ilssim_data_patron_set(p, ILSSIM_PF_NAME, s)))
		return -1;
	for (i = 0; i < f->naddresses; i++) {
		a = &f->addresses[i];
		s = a->kind == NCIP_ADDR_PHYSICAL ? address_text(a, buf,
		    sizeof(buf)) : clean(a->electronic, buf, sizeof(buf));
		if (s != NULL && !set_ok(q, ilssim_data_patron_set(p,
		    address_field(a), s)))
			return -1;
	}
	if (f->birth.set) {
		gmtime_r(&f->birth.t, &tm);
		strftime(d, sizeof(d), "%Y%m%d", &tm);
		if (!set_ok(q, ilssim_data_patron_set(p, ILSSIM_PF_BIRTH, d)))
			return -1;
	}
	for (i = 0; i < f->nlanguages; i++) {
		for (k = 1; k < NELEM(languages); k++)
			if (is_value(&f->languages[i], languages[k]))
				break;
		if (k == NELEM(languages))
			continue;
		snprintf(d, sizeof(d), "%03zu", k);
		if (!set_ok(q, ilssim_data_patron_set(p, ILSSIM_PF_LANGUAGE,
		    d)))
			return -1;
		break;
	}
	for (i = 0; i < f->nblocks; i++) {
		if ((bit = block_bit(f->blocks[i].type.value)) != 0)
			ilssim_data_patron_blocks(p, bit, 0);
		else if (!set_ok(q, ilssim_data_block(q->st, p, 0,
		    clean(f->blocks[i].type.value, buf, sizeof(buf)))))
			return -1;
	}
	for (i = 0; i < f->nprivileges; i++) {
		if (is_value(&f->privileges[i].status, "BLOCKED") &&
		    !set_ok(q, ilssim_data_block(q->st, p, 0, NULL)))
			return -1;
		if (is_value(&f->privileges[i].status, "ACTIVE"))
			ilssim_data_enable(q->st, p);
	}
	for (i = 0; i < nauth; i++) {
		kind = ncip_auth_kind(&auth[i]);
		if ((kind == NCIP_AUTH_PIN || kind == NCIP_AUTH_PASSWORD) &&
		    (s = clean(auth[i].data, buf, sizeof(buf))) != NULL &&
		    !set_ok(q, ilssim_data_patron_set(p, ILSSIM_PF_PIN, s)))
			return -1;
	}
	return 0;
}

/* Carry out UpdateUser's DeleteUserFields. */
static void
user_delete(struct nreq *q, struct ilssim_patron *p,
    const struct ncip_user_fields *f)
{
	const char	*t;
	unsigned	 bit;
	size_t		 i;

	for (i = 0; i < f->naddresses; i++)
		(void)ilssim_data_patron_set(p, address_field(&f->addresses[i]),
		    NULL);
	if (f->birth.set)
		(void)ilssim_data_patron_set(p, ILSSIM_PF_BIRTH, NULL);
	if (f->nlanguages > 0)
		(void)ilssim_data_patron_set(p, ILSSIM_PF_LANGUAGE, NULL);
	for (i = 0; i < f->nblocks; i++) {
		t = f->blocks[i].type.value;
		if ((bit = block_bit(t)) != 0)
			ilssim_data_patron_blocks(p, 0, bit);
		else if (p->blocked && t != NULL &&
		    (strcasecmp(t, "Blocked") == 0 || (p->block_msg != NULL &&
		    strcasecmp(t, p->block_msg) == 0)))
			ilssim_data_enable(q->st, p);
	}
}

/* A PIN nobody knows, for a user created without one. */
static void
random_pin(char *buf, size_t len)
{
	unsigned char	 r[8];
	size_t		 i;

	if (getentropy(r, sizeof(r)) == -1)
		for (i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)(rand() ^ (int)time(NULL));
	for (i = 0; i < sizeof(r) && 2 * i + 2 < len; i++)
		snprintf(buf + 2 * i, len - 2 * i, "%02x", r[i]);
}

static struct ncip_msg *
h_create_user(struct nreq *q)
{
	const struct ncip_msg	*r = q->req;
	struct ilssim_patron	*p;
	struct ncip_msg		*m;
	enum ilssim_res		 res;
	const char		*id = NULL, *pin = NULL, *name, *class = NULL;
	char			 barcode[TEXT_MAX + 1], pinbuf[TEXT_MAX + 1];
	char			 namebuf[TEXT_MAX + 1], exp[32];
	size_t			 i;

	if ((m = reply(q)) == NULL)
		return NULL;
	for (i = 0; i < r->nauth; i++) {
		switch (ncip_auth_kind(&r->auth[i])) {
		case NCIP_AUTH_BARCODE:
		case NCIP_AUTH_USER_ID:
			if (id == NULL)
				id = r->auth[i].data;
			break;
		case NCIP_AUTH_PIN:
		case NCIP_AUTH_PASSWORD:
			if (pin == NULL)
				pin = clean(r->auth[i].data, pinbuf,
				    sizeof(pinbuf));
			break;
		default:
			break;
		}
	}
	if (id == NULL)
		id = r->user_id.value;
	if (id == NULL)
		ilssim_data_new_barcode(q->st, 1, barcode, sizeof(barcode));
	else if (clean(id, barcode, sizeof(barcode)) == NULL)
		return fail(q, m, NCIP_PT_UNKNOWN_VALUE, NULL,
		    "UserIdentifierValue", "empty user identifier", NULL);
	if ((name = name_text(&r->user.name, namebuf, sizeof(namebuf))) ==
	    NULL)
		return fail(q, m, NCIP_PT_NEEDED_DATA_MISSING, NULL,
		    "NameInformation", "no name to file the user under", NULL);
	if (pin == NULL)
		random_pin(pinbuf, sizeof(pinbuf));
	if (r->user.nprivileges > 0)
		class = r->user.privileges[0].type.value;
	res = ilssim_data_patron_new(q->st, barcode, pin != NULL ? pin :
	    pinbuf, name, class, &p);
	if (res != ILSSIM_OK)
		return fail_res(q, m, res);
	if (r->user.nprivileges > 0 && r->user.privileges[0].valid_to.set) {
		snprintf(exp, sizeof(exp), "%lld",
		    (long long)r->user.privileges[0].valid_to.t);
		(void)ilssim_data_patron_set(p, ILSSIM_PF_EXPIRES, exp);
	}
	if (user_add(q, p, &r->user, NULL, 0) == -1)
		return fail_res(q, m, ILSSIM_E_NOMEM);
	m->user_id = our_id(q, "Barcode", arena_str(q, m, p->barcode));
	return m;
}

/* Deletes first, then adds, as the standard orders them. */
static struct ncip_msg *
h_update_user(struct nreq *q)
{
	const struct ncip_msg	*r = q->req;
	struct ilssim_patron	*p;
	struct ncip_msg		*m;

	if ((m = reply(q)) == NULL || (p = find_user(q, &m)) == NULL)
		return m;
	if (r->user_delete.present)
		user_delete(q, p, &r->user_delete.fields);
	if (r->user_add.present && user_add(q, p, &r->user_add.fields,
	    r->user_add.auth, r->user_add.nauth) == -1)
		return fail_res(q, m, ILSSIM_E_NOMEM);
	m->user_id = our_id(q, "Barcode", p->barcode);
	return m;
}

static struct ncip_msg *
h_delete_item(struct nreq *q)
{
	const struct ncip_msg	*r = q->req;
	struct ilssim_item	*it;
	struct ncip_msg		*m;
	enum ilssim_res		 res;

	if ((m = reply(q)) == NULL ||
	    (it = find_item(q, &m, r->item_id.value)) == NULL)
		return m;
	m->item_id = our_id(q, NULL, arena_str(q, m, it->barcode));
	if ((res = ilssim_data_item_delete(q->st, it)) != ILSSIM_OK)
		return fail_res(q, m, res);
	return m;
}

/* --- the entry point -------------------------------------------------- */

/*
 * The dialect of an answer: the ILS's own, echoing the request's version
 * string when the request came in the version the ILS speaks.
 */
static void
answer_dialect(const struct ilssim_ncip_conf *c, int version,
    const char *version_str, struct ncip_dialect *d)
{
	memset(d, 0, sizeof(*d));
	d->version = c->version;
	d->version_str = c->version_str;
	d->ns = c->ns;
	d->qualified_attrs = c->qualified;
	d->doctype = c->doctype;
	if (version == c->version && version_str != NULL &&
	    *version_str != '\0')
		d->version_str = version_str;
}

/* Is one of the data file's tokens a whole word of the URI? */
static int
token_ok(const struct ilssim_ncip_conf *c, const char *uri)
{
	const char	*w;
	size_t		 i, n, k;
	unsigned char	 diff;

	if (c->ntokens == 0)
		return 1;
	for (w = uri != NULL ? uri : ""; *w != '\0'; w += n) {
		n = strcspn(w, "/?&=;");
		for (i = 0; i < c->ntokens; i++) {
			if (strlen(c->tokens[i]) != n)
				continue;
			for (diff = 0, k = 0; k < n; k++)
				diff |= (unsigned char)(w[k] ^
				    c->tokens[i][k]);
			if (diff == 0)
				return 1;
		}
		if (w[n] != '\0')
			n++;
	}
	return 0;
}

static int
secret_eq(const char *a, const char *b)
{
	size_t		 la = strlen(a), lb = strlen(b), i;
	unsigned char	 d = la != lb;

	for (i = 0; i < lb; i++)
		d |= (unsigned char)(a[i % (la + 1)] ^ b[i]);
	return d == 0;
}

/*
 * Check what the ILS asks of an initiator before carrying a request out;
 * returns the Problem to answer with, or NCIP_PT_NONE.
 */
static enum ncip_problem_type
admit(struct nreq *q, const char **element, const char **detail)
{
	const struct ilssim_ncip_conf	*c = &q->st->ncip;
	const struct ncip_msg		*r = q->req;
	const char			*to = r->header.to_agency.value;
	const char			*auth = r->header.from_agency_auth;

	if (r->dialect.version != c->version &&
	    r->service != NCIP_LOOKUP_VERSION) {
		*element = "NCIPMessage";
		*detail = c->version == 1 ? "this responder speaks NCIP "
		    "version 1 only" : "this responder speaks NCIP version 2 "
		    "only";
		return NCIP_PT_INVALID_MESSAGE_SYNTAX;
	}
	if (c->agency_auth != NULL && r->service != NCIP_LOOKUP_VERSION &&
	    (auth == NULL || !secret_eq(c->agency_auth, auth))) {
		*element = "FromAgencyAuthentication";
		*detail = "agency authentication refused";
		return NCIP_PT_AGENCY_AUTH_FAILED;
	}
	if (to != NULL && strcasecmp(to, c->agency) != 0) {
		*element = "ToAgencyId";
		*detail = "not this agency";
		return NCIP_PT_UNKNOWN_AGENCY;
	}
	return NCIP_PT_NONE;
}

/* Answer a parsed request: the Problem or the service's response. */
static struct ncip_msg *
dispatch(struct nreq *q, const char *uri, int *status)
{
	const struct ncip_msg	*r = q->req;
	enum ncip_problem_type	 pt;
	const char		*element = NULL, *detail = NULL;
	struct ncip_msg		*m;

	if (!ncip_service_is_request(r->service) ||
	    handlers[r->service] == NULL)
		return ncip_reply_problem(r, NCIP_PT_UNSUPPORTED_SERVICE,
		    ncip_service_name(r->service), "a responder answers "
		    "requests only");
	if (!token_ok(&q->st->ncip, uri)) {
		*status = 403;
		return ncip_reply_problem(r, NCIP_PT_AGENCY_AUTH_FAILED, NULL,
		    "the URL carries no valid token");
	}
	if ((pt = admit(q, &element, &detail)) != NCIP_PT_NONE)
		return ncip_reply_problem(r, pt, element, detail);
	/* The busy fault: nothing done, try again later. */
	if (q->srv != NULL && q->srv->busy_only[0] != '\0' &&
	    strcmp(ncip_service_name(r->service), q->srv->busy_only) == 0)
		return ncip_reply_problem(r, NCIP_PT_TEMPORARY_FAILURE, NULL,
		    "busy");
	m = handlers[r->service](q);
	if (q->nomem) {
		ncip_msg_free(m);
		return ncip_reply_problem(r, NCIP_PT_TEMPORARY_FAILURE, NULL,
		    "out of memory");
	}
	return m;
}

/*
 * Answers come from our agency to whoever asked.  A LookupVersion answer
 * that failed goes out as a bare Problem: its response has no room for
 * one.
 */
static struct ncip_msg *
fix_answer(struct ilssim_state *st, struct ncip_msg *m)
{
	struct ncip_msg	*p;
	size_t		 i;

	if (m->service == NCIP_LOOKUP_VERSION_RESP && m->nproblems > 0) {
		if ((p = ncip_msg_new(NCIP_PROBLEM)) == NULL) {
			ncip_msg_free(m);
			return NULL;
		}
		for (i = 0; i < m->nproblems; i++)
			if (ncip_msg_add_problem(p, m->problems[i].kind,
			    m->problems[i].type.value, m->problems[i].element,
			    m->problems[i].detail, m->problems[i].value) == -1)
				break;
		ncip_msg_free(m);
		if (i < p->nproblems || p->nproblems == 0) {
			ncip_msg_free(p);
			return NULL;
		}
		return p;
	}
	if (m->service == NCIP_LOOKUP_VERSION_RESP || m->header.present) {
		m->header.from_agency = code(NULL, st->ncip.agency);
		if (m->header.to_agency.value == NULL)
			m->header.present = 0;
	}
	return m;
}

/* Build an answer, falling back to a bare Problem if that fails. */
static int
build(struct ilssim_server *srv, struct ncip_msg *m,
    const struct ncip_dialect *d, struct ilssim_ncip_answer *ans)
{
	struct ncip_error	 err;
	struct ncip_msg		*p;
	int			 rc;

	if (ncip_build(m, d, &ans->body, &ans->len, &err) == 0)
		return 0;
	ilssim_log("event=ncip-build-failed service=%s element=%s "
	    "detail=\"%s\"", ncip_service_name(m->service), err.element,
	    err.detail);
	if ((p = ncip_msg_new(NCIP_PROBLEM)) == NULL ||
	    ncip_msg_add_problem(p, NCIP_PT_TEMPORARY_FAILURE, NULL, NULL,
	    "the responder could not write its answer", NULL) == -1) {
		ncip_msg_free(p);
		return -1;
	}
	rc = ncip_build(p, d, &ans->body, &ans->len, &err);
	ans->problem = NCIP_PT_TEMPORARY_FAILURE;
	ncip_msg_free(p);
	return rc;
}

/* Answer one NCIP body posted to a URI. */
int
ilssim_ncip_handle(struct ilssim_server *srv, const char *uri,
    const char *body, size_t len, struct ilssim_ncip_answer *ans)
{
	struct ilssim_state	*st = srv->state;
	struct ncip_error	 err;
	struct ncip_dialect	 d;
	struct ncip_msg		*req, *m;
	struct nreq		 q;
	int			 rc;

	memset(ans, 0, sizeof(*ans));
	ans->status = 200;
	ans->content_type = st->ncip.version == 1 ? "text/xml; charset=UTF-8" :
	    "application/xml; charset=UTF-8";
	if ((req = ncip_parse(body, len, NULL, &err)) == NULL) {
		srv->stats.ncip_bad++;
		ans->service = err.service;
		answer_dialect(&st->ncip, err.dialect.version, err.version_str,
		    &d);
		m = ncip_reply_error(&err);
	} else {
		ans->service = req->service;
		if (req->service > NCIP_SVC_NONE &&
		    req->service < NCIP_SVC__COUNT)
			srv->stats.ncip_rx[req->service]++;
		answer_dialect(&st->ncip, req->dialect.version,
		    req->version_str, &d);
		if (req->service == NCIP_LOOKUP_VERSION &&
		    req->dialect.version != st->ncip.version) {
			/* Asked in another version, it answers in that one. */
			ncip_dialect_default(&d, req->dialect.version);
			if (req->version_str != NULL)
				d.version_str = req->version_str;
		}
		memset(&q, 0, sizeof(q));
		q.srv = srv;
		q.st = st;
		q.req = req;
		q.agency = st->ncip.agency;
		q.now = time(NULL);
		m = dispatch(&q, uri, &ans->status);
	}
	if (m != NULL)
		m = fix_answer(st, m);
	rc = -1;
	if (m != NULL) {
		if (m->nproblems > 0) {
			ans->problem = m->problems[0].kind;
			srv->stats.ncip_problems++;
		}
		/* The dialect may hold the request's version string. */
		rc = build(srv, m, &d, ans);
	}
	ncip_msg_free(m);
	ncip_msg_free(req);
	return rc;
}

/* Write the NCIP counters as one control port line. */
void
ilssim_ncip_stats(struct ilssim_server *srv, char *buf, size_t len)
{
	size_t	 n, i;
	int	 w;

	n = (size_t)snprintf(buf, len, "ok");
	for (i = 0; i < NCIP_SVC__COUNT && n < len; i++) {
		if (srv->stats.ncip_rx[i] == 0)
			continue;
		w = snprintf(buf + n, len - n, " %s=%lu",
		    ncip_service_name((enum ncip_service)i),
		    srv->stats.ncip_rx[i]);
		n += w > 0 ? (size_t)w : 0;
	}
	if (n < len)
		snprintf(buf + n, len - n, " requests=%lu problems=%lu bad=%lu "
		    "conns=%lu", srv->stats.ncip_requests,
		    srv->stats.ncip_problems, srv->stats.ncip_bad,
		    srv->stats.ncip_conns);
}
