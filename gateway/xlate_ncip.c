/* SPDX-License-Identifier: ISC */
/*
 * The NCIP side of translation: NCIP requests decoded into the neutral
 * request, neutral results encoded as NCIP answers in the caller's dialect,
 * and neutral requests carried to a partner's NCIP ILS in its profile, its
 * answers merged back into the neutral result.
 */

#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ncip.h"
#include "circlinkd.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* Schemes sent with the standard values of NCIP's code lists. */
#define SCM_V1		"http://www.niso.org/ncip/v1_0/imp1/schemes/"
#define SCM_AUTH_TYPE	SCM_V1 \
	"authenticationinputtype/authenticationinputtype.scm"
#define SCM_MEDIA_TYPES	"http://www.iana.org/assignments/media-types"
#define SCM_V1_NOIMP	"http://www.niso.org/ncip/v1_0/schemes/"
#define SCM_USER_EL	SCM_V1_NOIMP "userelementtype/userelementtype.scm"
#define SCM_ITEM_EL	SCM_V1_NOIMP "itemelementtype/itemelementtype.scm"
#define SCM_REQ_TYPE	SCM_V1 "requesttype/requesttype.scm"
#define SCM_REQ_SCOPE	SCM_V1 "requestscopetype/requestscopetype.scm"
#define SCM_ACTION	SCM_V1 "requestedactiontype/requestedactiontype.scm"
#define SCM_CIRC_STATUS	SCM_V1 "circulationstatus/circulationstatus.scm"
#define SCM_LOC_TYPE	SCM_V1 "locationtype/locationtype.scm"
#define SCM_CURRENCY	"http://www.bsi-global.com/Technical+Information/" \
	"Publications/_Publications/tig90x.doc"

#define STATUS_LEN	14	/* SIP2 patron status flags */

/*
 * Every NCIP service the codec carries has a row, in the order of enum
 * ncip_service: requests with their operation, responses and bare
 * Problems refused explicitly.  Flags follow the SIP2 rows of the same
 * operations in circ.c.
 */
static const struct circ_op_info ncip_ops[] = {
	{ NCIP_LOOKUP_VERSION, CIRC_LOOKUP_VERSION, "lookup-version", 0,
	    CIRC_F_LOCAL },
	{ NCIP_LOOKUP_VERSION_RESP, CIRC_NONE, "lookup-version-response", 0,
	    0 },
	{ NCIP_LOOKUP_USER, CIRC_PATRON_INFO, "lookup-user", PERM_PATRON,
	    CIRC_F_BY_PATRON },
	{ NCIP_LOOKUP_USER_RESP, CIRC_NONE, "lookup-user-response", 0, 0 },
	{ NCIP_LOOKUP_ITEM, CIRC_ITEM_INFO, "lookup-item", PERM_ITEM,
	    CIRC_F_BY_ITEM },
	{ NCIP_LOOKUP_ITEM_RESP, CIRC_NONE, "lookup-item-response", 0, 0 },
	{ NCIP_CHECKOUT_ITEM, CIRC_CHECKOUT, "check-out-item",
	    PERM_CIRCULATION, CIRC_F_RETRY },
	{ NCIP_CHECKOUT_ITEM_RESP, CIRC_NONE, "check-out-item-response", 0,
	    0 },
	{ NCIP_CHECKIN_ITEM, CIRC_CHECKIN, "check-in-item", PERM_CIRCULATION,
	    CIRC_F_RETRY | CIRC_F_BY_ITEM },
	{ NCIP_CHECKIN_ITEM_RESP, CIRC_NONE, "check-in-item-response", 0, 0 },
	{ NCIP_RENEW_ITEM, CIRC_RENEW, "renew-item", PERM_CIRCULATION,
	    CIRC_F_RETRY },
	{ NCIP_RENEW_ITEM_RESP, CIRC_NONE, "renew-item-response", 0, 0 },
	{ NCIP_REQUEST_ITEM, CIRC_HOLD, "request-item", PERM_CIRCULATION,
	    CIRC_F_RETRY },
	{ NCIP_REQUEST_ITEM_RESP, CIRC_NONE, "request-item-response", 0, 0 },
	{ NCIP_CANCEL_REQUEST_ITEM, CIRC_HOLD, "cancel-request-item",
	    PERM_CIRCULATION, CIRC_F_RETRY },
	{ NCIP_CANCEL_REQUEST_ITEM_RESP, CIRC_NONE,
	    "cancel-request-item-response", 0, 0 },
	{ NCIP_ACCEPT_ITEM, CIRC_ACCEPT_ITEM, "accept-item", PERM_CIRCULATION,
	    CIRC_F_RETRY },
	{ NCIP_ACCEPT_ITEM_RESP, CIRC_NONE, "accept-item-response", 0, 0 },
	{ NCIP_CREATE_USER, CIRC_CREATE_USER, "create-user", PERM_PATRON,
	    CIRC_F_RETRY },
	{ NCIP_CREATE_USER_RESP, CIRC_NONE, "create-user-response", 0, 0 },
	{ NCIP_UPDATE_USER, CIRC_UPDATE_USER, "update-user", PERM_PATRON,
	    CIRC_F_RETRY },
	{ NCIP_UPDATE_USER_RESP, CIRC_NONE, "update-user-response", 0, 0 },
	{ NCIP_DELETE_ITEM, CIRC_DELETE_ITEM, "delete-item", PERM_CATALOGING,
	    CIRC_F_RETRY },
	{ NCIP_DELETE_ITEM_RESP, CIRC_NONE, "delete-item-response", 0, 0 },
	{ NCIP_LOOKUP_ITEM_SET, CIRC_ITEM_SEARCH, "lookup-item-set", PERM_ITEM,
	    CIRC_F_LOCAL },
	{ NCIP_LOOKUP_ITEM_SET_RESP, CIRC_NONE, "lookup-item-set-response", 0,
	    0 },
	{ NCIP_PROBLEM, CIRC_NONE, "problem", 0, 0 },
};
_Static_assert(NITEMS(ncip_ops) == NCIP_SVC__COUNT - 1,
    "one row per NCIP service");

/* The SIP2 patron status flags, by position, as BlockOrTrap types. */
static const char *const status_names[STATUS_LEN] = {
	"Charge Privileges Denied",
	"Renewal Privileges Denied",
	"Recall Privileges Denied",
	"Hold Privileges Denied",
	"Card Reported Lost",
	"Too Many Items Charged",
	"Too Many Items Overdue",
	"Too Many Renewals",
	"Too Many Claims Of Items Returned",
	"Too Many Items Lost",
	"Excessive Outstanding Fines",
	"Excessive Outstanding Fees",
	"Recall Overdue",
	"Too Many Items Billed",
};

/* SIP2 circulation status (index) to NCIP CirculationStatus. */
static const char *const circ_status_names[] = {
	NULL,
	"Circulation Status Undefined",
	"On Order",
	"Available On Shelf",
	"On Loan",
	"On Loan",
	"In Process",
	"Recalled",
	"Available For Pickup",
	"Waiting To Be Reshelved",
	"In Transit Between Library Locations",
	"Claimed Returned",
	"Lost",
	"Missing",
};

/* SIP2 media types and NCIP MediumType; reading also goes by keyword. */
static const struct {
	const char	*sip2;
	const char	*ncip;
	const char	*keyword;
} media_types[] = {
	{ "008", "Book With Diskette", "book with disk" },
	{ "009", "Book With Compact Disc", "book with c" },
	{ "010", "Book With Audio Tape", "book with audio" },
	{ "004", "Audio Tape", "audio" },
	{ "005", "Video Tape", "video" },
	{ "006", "CD-ROM", "cd" },
	{ "006", "Compact Disc", "compact disc" },
	{ "007", "Diskette", "disk" },
	{ "003", "Bound Journal", "journal" },
	{ "002", "Magazine", "magazine" },
	{ "001", "Book", "book" },
};

/* SIP2 language codes and ISO 639-2 (bibliographic, then other forms). */
static const struct {
	const char	*sip2;
	const char	*iso;
	const char	*alt;
} languages[] = {
	{ "001", "eng", "en" }, { "002", "fre", "fra" },
	{ "003", "ger", "deu" }, { "004", "ita", "it" },
	{ "005", "dut", "nld" }, { "006", "swe", "sv" },
	{ "007", "fin", "fi" }, { "008", "spa", "es" },
	{ "009", "dan", "da" }, { "010", "por", "pt" },
	{ "011", "fre", "fr" }, { "012", "nor", "no" },
	{ "013", "heb", "he" }, { "014", "jpn", "ja" },
	{ "015", "rus", "ru" }, { "016", "ara", "ar" },
	{ "017", "pol", "pl" }, { "018", "gre", "ell" },
	{ "019", "chi", "zho" }, { "020", "kor", "ko" },
	{ "021", "spa", NULL }, { "022", "tam", "ta" },
	{ "023", "may", "msa" }, { "024", "eng", NULL },
	{ "025", "ice", "isl" }, { "027", "chi", NULL },
};

/* NCIP FiscalTransactionType keywords to SIP2 fee types, first match. */
static const struct {
	const char	*keyword;
	int		 fee_type;
} fee_types[] = {
	{ "overdue", 4 }, { "damage", 3 }, { "processing", 5 },
	{ "replacement", 7 }, { "lost", 7 }, { "rental", 6 },
	{ "hold", 9 }, { "computer", 8 }, { "administ", 2 },
	{ "service", 2 },
};

/* NCIP problem types and the neutral errors they become. */
static const struct {
	enum ncip_problem_type	 kind;
	enum circ_error		 error;
	const char		*screen;
} problems[] = {
	{ NCIP_PT_UNKNOWN_USER, CIRC_E_UNKNOWN_PATRON, "Unknown patron." },
	{ NCIP_PT_USER_AUTH_FAILED, CIRC_E_BAD_PIN, "Invalid patron PIN." },
	{ NCIP_PT_USER_BLOCKED, CIRC_E_BLOCKED,
	    "Patron is blocked: please see library staff." },
	{ NCIP_PT_USER_INELIGIBLE_CHECKOUT, CIRC_E_NOT_AVAILABLE,
	    "Patron may not check out this item." },
	{ NCIP_PT_USER_INELIGIBLE_REQUEST, CIRC_E_NOT_AVAILABLE,
	    "Patron may not request this item." },
	{ NCIP_PT_UNKNOWN_ITEM, CIRC_E_UNKNOWN_ITEM, "Unknown item." },
	{ NCIP_PT_ITEM_NOT_CIRCULATE, CIRC_E_NOT_AVAILABLE,
	    "This item does not circulate." },
	{ NCIP_PT_ITEM_NOT_CHECKED_OUT, CIRC_E_NOT_CHARGED,
	    "Item is not checked out." },
	{ NCIP_PT_MAX_CHECKOUTS, CIRC_E_LIMIT, "Checkout limit reached." },
	{ NCIP_PT_MAX_RENEWALS, CIRC_E_LIMIT, "Renewal limit reached." },
	{ NCIP_PT_DUPLICATE_REQUEST, CIRC_E_DUPLICATE,
	    "This request already exists." },
	{ NCIP_PT_REQUEST_PROCESSED, CIRC_E_DUPLICATE,
	    "This request was already processed." },
	{ NCIP_PT_DUPLICATE_ITEM, CIRC_E_DUPLICATE,
	    "This item already exists." },
	{ NCIP_PT_DUPLICATE_USER, CIRC_E_DUPLICATE,
	    "This patron already exists." },
	{ NCIP_PT_UNSUPPORTED_SERVICE, CIRC_E_NOT_SUPPORTED,
	    "The partner library's system does not offer this service." },
	{ NCIP_PT_UNKNOWN_SERVICE, CIRC_E_NOT_SUPPORTED,
	    "The partner library's system does not offer this service." },
	{ NCIP_PT_NEEDED_DATA_MISSING, CIRC_E_NEEDED_DATA,
	    "The partner library's system needs data the request lacked." },
	{ NCIP_PT_TEMPORARY_FAILURE, CIRC_E_REFUSED,
	    "The partner library's system could not do this now: "
	    "try again later." },
	{ NCIP_PT_UNKNOWN_REQUEST, CIRC_E_NOT_CHARGED, "No such request." },
	{ NCIP_PT_CANNOT_ACCEPT_ITEM, CIRC_E_REFUSED,
	    "The library cannot accept this item." },
};

#define SCREEN_REFUSED	"The partner library's system refused the request."
#define SCREEN_PENDING	\
	"Renewal requested: the partner library will decide later."
#define SCREEN_BAD_ANSWER	\
	"The partner library's system gave an answer that does not fit."
#define SCREEN_NOT_OUT	"Item was not checked out."

/* Which user data each operation asks an NCIP ILS for. */
#define UE_STATUS	(NCIP_UE_BLOCK | NCIP_UE_PRIVILEGE | NCIP_UE_NAME)
#define UE_INFO		(UE_STATUS | NCIP_UE_ADDRESS | NCIP_UE_BIRTH | \
			    NCIP_UE_LANGUAGE | NCIP_UE_USER_ID)
#define IE_INFO		(NCIP_IE_BIB | NCIP_IE_CIRC_STATUS | \
			    NCIP_IE_HOLD_QUEUE | NCIP_IE_DESCRIPTION | \
			    NCIP_IE_LOCATION | NCIP_IE_DATE_DUE)

static const struct {
	unsigned int	 bit;
	const char	*v2, *v1;
} user_elements[] = {
	/* Authentication Input is never asked for: it holds secrets. */
	{ NCIP_UE_BLOCK, "Block Or Trap", "Block Or Trap" },
	{ NCIP_UE_BIRTH, "Date Of Birth", "Date Of Birth" },
	{ NCIP_UE_NAME, "Name Information", "Name Information" },
	{ NCIP_UE_ADDRESS, "User Address Information",
	    "User Address Information" },
	{ NCIP_UE_LANGUAGE, "User Language", "User Language" },
	{ NCIP_UE_PRIVILEGE, "User Privilege", "User Privilege" },
	{ NCIP_UE_USER_ID, "User Id", "Visible User Id" },
	{ NCIP_UE_PREVIOUS_ID, "Previous User Id", "Previous User Id" },
}, item_elements[] = {
	{ NCIP_IE_BIB, "Bibliographic Description",
	    "Bibliographic Description" },
	{ NCIP_IE_CIRC_STATUS, "Circulation Status", "Circulation Status" },
	{ NCIP_IE_HOLD_QUEUE, "Hold Queue Length", "Hold Queue Length" },
	{ NCIP_IE_DESCRIPTION, "Item Description", "Item Description" },
	{ NCIP_IE_LOCATION, "Location", "Location" },
	{ NCIP_IE_RESTRICTION, "Item Use Restriction Type",
	    "Item Use Restriction Type" },
	/* Version 1 has no Date Due among the item's fields. */
	{ NCIP_IE_DATE_DUE, "Date Due", NULL },
};

/* Return the row for an NCIP service; every service the codec carries. */
const struct circ_op_info *
circ_op_ncip(enum ncip_service svc)
{
	size_t	 i;

	for (i = 0; i < NITEMS(ncip_ops); i++)
		if (ncip_ops[i].code == (int)svc)
			return (&ncip_ops[i]);
	return (NULL);
}

/* Return the neutral error an NCIP problem type stands for. */
enum circ_error
xlate_ncip_error(enum ncip_problem_type kind)
{
	size_t	 i;

	for (i = 0; i < NITEMS(problems); i++)
		if (problems[i].kind == kind)
			return (problems[i].error);
	return (CIRC_E_REFUSED);
}

/* Return the standard problem type a neutral error is answered with. */
enum ncip_problem_type
xlate_ncip_problem(enum circ_error error, enum circ_op op)
{
	switch (error) {
	case CIRC_E_UNKNOWN_PATRON:
		return (NCIP_PT_UNKNOWN_USER);
	case CIRC_E_BAD_PIN:
		return (NCIP_PT_USER_AUTH_FAILED);
	case CIRC_E_BLOCKED:
		return (NCIP_PT_USER_BLOCKED);
	case CIRC_E_UNKNOWN_ITEM:
		return (NCIP_PT_UNKNOWN_ITEM);
	case CIRC_E_NOT_AVAILABLE:
		if (op == CIRC_HOLD)
			return (NCIP_PT_USER_INELIGIBLE_REQUEST);
		if (op == CIRC_CHECKOUT || op == CIRC_RENEW)
			return (NCIP_PT_USER_INELIGIBLE_CHECKOUT);
		return (NCIP_PT_ITEM_NOT_CIRCULATE);
	case CIRC_E_NOT_CHARGED:
		/* Of a hold: the ILS has no such request. */
		if (op == CIRC_HOLD)
			return (NCIP_PT_UNKNOWN_REQUEST);
		return (NCIP_PT_ITEM_NOT_CHECKED_OUT);
	case CIRC_E_LIMIT:
		if (op == CIRC_RENEW || op == CIRC_RENEW_ALL)
			return (NCIP_PT_MAX_RENEWALS);
		if (op == CIRC_HOLD)
			return (NCIP_PT_USER_INELIGIBLE_REQUEST);
		return (NCIP_PT_MAX_CHECKOUTS);
	case CIRC_E_DUPLICATE:
		if (op == CIRC_CREATE_USER)
			return (NCIP_PT_DUPLICATE_USER);
		if (op == CIRC_ACCEPT_ITEM)
			return (NCIP_PT_DUPLICATE_ITEM);
		return (NCIP_PT_DUPLICATE_REQUEST);
	case CIRC_E_NOT_SUPPORTED:
		return (NCIP_PT_UNSUPPORTED_SERVICE);
	case CIRC_E_NEEDED_DATA:
		return (NCIP_PT_NEEDED_DATA_MISSING);
	case CIRC_E_NOT_ALLOWED:
		return (NCIP_PT_UNAUTHORIZED_SERVICE);
	default:
		/* Offline, time-out, refusals: nothing more precise fits. */
		return (NCIP_PT_TEMPORARY_FAILURE);
	}
}

/* The screen message for a problem kind: never the peer's own words. */
static const char *
problem_screen(enum ncip_problem_type kind)
{
	size_t	 i;

	for (i = 0; i < NITEMS(problems); i++)
		if (problems[i].kind == kind)
			return (problems[i].screen);
	return (SCREEN_REFUSED);
}

static int
is(const char *s, const char *what)
{
	return (s != NULL && strcasecmp(s, what) == 0);
}

/* Case-insensitive substring, for reading peers' free-form codes. */
static int
has_word(const char *s, const char *word)
{
	size_t	 n = strlen(word);

	for (; s != NULL && *s != '\0'; s++)
		if (strncasecmp(s, word, n) == 0)
			return (1);
	return (0);
}

/*
 * Decoding: NCIP requests into the neutral request.
 */

/* The patron: UserId, or the barcode or login of AuthenticationInput. */
static void
req_user(struct circ_req *req, const struct ncip_msg *m)
{
	const char	*barcode = NULL, *login = NULL, *d;
	size_t		 i;

	for (i = 0; i < m->nauth; i++) {
		d = m->auth[i].data;
		switch (ncip_auth_kind(&m->auth[i])) {
		case NCIP_AUTH_BARCODE:
			if (barcode == NULL)
				barcode = d;
			break;
		case NCIP_AUTH_USER_ID:
			if (login == NULL)
				login = d;
			break;
		case NCIP_AUTH_PIN:
		case NCIP_AUTH_PASSWORD:
			req->pin = d != NULL ? d : "";
			req->has_pin = 1;
			break;
		default:
			/* An unknown type may be a secret: not an id. */
			break;
		}
	}
	if (m->user_id.value != NULL)
		req->patron = m->user_id.value;
	else if (barcode != NULL)
		req->patron = barcode;
	else
		req->patron = login;
}

/* SIP2 hold type of a RequestItem or CancelRequestItem: BY 3 or 2. */
static int
req_hold_type(const struct ncip_msg *m)
{
	if (is(m->request_scope.value, "Item"))
		return (3);
	if (is(m->request_scope.value, "Bibliographic Item"))
		return (2);
	return (0);
}

static int
op_needs_patron(enum circ_op op)
{
	switch (op) {
	case CIRC_PATRON_INFO:
	case CIRC_CHECKOUT:
	case CIRC_RENEW:
	case CIRC_HOLD:
	case CIRC_UPDATE_USER:
		return (1);
	default:
		return (0);
	}
}

/*
 * Decode a parsed NCIP request into the neutral request.  The request
 * borrows m's strings and keeps m in req->ncip for what the neutral
 * request has no member for (element lists, request type, user fields).
 * Returns 0, or -1 with errno ENOTSUP when m is no request the gateway
 * takes and EINVAL when it names no patron where one is needed.
 */
int
xlate_ncip_req(struct circ_req *req, struct ncip_msg *m,
    struct circ_arena *arena)
{
	const struct circ_op_info	*op;

	(void)arena;
	memset(req, 0, sizeof(*req));
	req->summary = -1;
	op = circ_op_ncip(m->service);
	if (op == NULL || op->op == CIRC_NONE) {
		errno = ENOTSUP;
		return (-1);
	}
	req->op = op;
	req->ncip = m;
	req->institution = m->header.to_agency.value;
	req_user(req, m);
	req->item = m->item_id.value;
	req->request_id = m->request_id.value;
	if (m->nbib_ids > 0) {
		req->bib_id = m->bib_ids[0].value;
		req->bib_scheme = m->bib_ids[0].code.value;
	}
	req->pickup = m->pickup_location.value;
	if (m->pickup_expiry.set)
		req->hold_expiry = m->pickup_expiry.t;
	if (m->desired_date_due.set)
		req->desired_due = m->desired_date_due.t;

	switch (m->service) {
	case NCIP_LOOKUP_USER:
		req->want_loans = m->loans_desired;
		req->want_holds = m->holds_desired;
		req->want_fines = m->account_desired;
		break;
	case NCIP_REQUEST_ITEM:
		req->hold_mode = '+';
		req->hold_type = req_hold_type(m);
		break;
	case NCIP_CANCEL_REQUEST_ITEM:
		req->hold_mode = '-';
		req->hold_type = req_hold_type(m);
		break;
	case NCIP_ACCEPT_ITEM:
		if (m->date_for_return.set)
			req->desired_due = m->date_for_return.t;
		if (m->item.present && m->item.has_bib)
			req->title = m->item.bib.title;
		break;
	case NCIP_CREATE_USER:
		/* Version 1 names the new user with VisibleUserId. */
		if (req->patron == NULL && m->user.nuser_ids > 0)
			req->patron = m->user.user_ids[0].value;
		break;
	default:
		break;
	}

	if (op_needs_patron(op->op) && req->patron == NULL) {
		errno = EINVAL;
		return (-1);
	}
	return (0);
}

/*
 * Encoding: neutral results as NCIP answers to an NCIP caller.
 */

/* The agency that answers: the one the caller addressed. */
static const char *
reply_agency(const struct ncip_msg *m, const struct circ_req *req)
{
	if (m->header.from_agency.value != NULL)
		return (m->header.from_agency.value);
	return (req->institution);
}

/* A location with the agency as level 1 and the branch as level 2. */
static int
reply_location(struct ncip_msg *m, struct ncip_location *l,
    const char *type, const char *agency, const char *name)
{
	struct ncip_location_name	*n;
	size_t				 k = 0;

	if ((n = ncip_msg_calloc(m, 2, sizeof(*n))) == NULL)
		return (-1);
	if (agency != NULL && strcasecmp(agency, name) != 0) {
		n[k].level = 1;
		n[k++].value = agency;
	}
	n[k].level = k + 1;
	n[k++].value = name;
	memset(l, 0, sizeof(*l));
	l->type.scheme = SCM_LOC_TYPE;
	l->type.value = type;
	l->names = n;
	l->nnames = k;
	return (0);
}

static const char *
media_ncip(const char *sip2)
{
	size_t	 i;

	for (i = 0; sip2 != NULL && i < NITEMS(media_types); i++)
		if (strcmp(media_types[i].sip2, sip2) == 0)
			return (media_types[i].ncip);
	return (NULL);
}

/* The ItemOptionalFields an answer carries, as the caller asked. */
static int
reply_item_fields(struct ncip_msg *m, const struct circ_req *req,
    const struct circ_result *res, unsigned int mask)
{
	const struct circ_item	*it = &res->item;
	struct ncip_item_fields	*f = &m->item;
	const char		*agency = reply_agency(m, req);
	time_t			 due = it->due != 0 ? it->due : res->due;
	size_t			 n = 0;

	if ((mask & NCIP_IE_BIB) && (it->title != NULL || it->author != NULL ||
	    it->media != NULL)) {
		f->has_bib = 1;
		f->bib.title = it->title;
		f->bib.author = it->author;
		f->bib.medium.value = media_ncip(it->media);
	}
	if ((mask & NCIP_IE_CIRC_STATUS) && it->circ_status > 0 &&
	    (size_t)it->circ_status < NITEMS(circ_status_names)) {
		f->circ_status.scheme = SCM_CIRC_STATUS;
		f->circ_status.value = circ_status_names[it->circ_status];
	}
	if (mask & NCIP_IE_HOLD_QUEUE)
		f->hold_queue_length = it->hold_queue;
	if (mask & NCIP_IE_DESCRIPTION)
		f->call_number = it->call_number;
	if ((mask & NCIP_IE_LOCATION) && (it->permanent_location != NULL ||
	    it->current_location != NULL)) {
		if ((f->locations = ncip_msg_calloc(m, 2,
		    sizeof(*f->locations))) == NULL)
			return (-1);
		if (it->permanent_location != NULL && reply_location(m,
		    &f->locations[n++], "Permanent", agency,
		    it->permanent_location) == -1)
			return (-1);
		if (it->current_location != NULL && reply_location(m,
		    &f->locations[n++], "Current", agency,
		    it->current_location) == -1)
			return (-1);
		f->nlocations = n;
	}
	if ((mask & NCIP_IE_DATE_DUE) && due != 0)
		f->date_due = ncip_date_at(due);
	f->present = f->has_bib || f->circ_status.value != NULL ||
	    f->hold_queue_length >= 0 || f->call_number != NULL ||
	    f->nlocations > 0 || f->date_due.set;
	return (0);
}

/* The answer's UserId where the request named the user otherwise. */
static void
reply_user_id(struct ncip_msg *m, const struct circ_req *req,
    const struct circ_result *res)
{
	if (m->user_id.value != NULL)
		return;
	if (res->user_id != NULL)
		m->user_id.value = res->user_id;
	else if (res->patron.id != NULL)
		m->user_id.value = res->patron.id;
	else
		m->user_id.value = req->patron;
	if (m->user_id.agency.value == NULL)
		m->user_id.agency.value = reply_agency(m, req);
}

static int
reply_item_id(struct ncip_msg *m, const struct circ_req *req,
    const struct circ_result *res)
{
	if (m->item_id.value != NULL)
		return (0);
	m->item_id.value = res->item.id != NULL ? res->item.id : req->item;
	m->item_id.agency.value = reply_agency(m, req);
	return (0);
}

static const char *
language_iso(const char *sip2)
{
	size_t	 i;

	for (i = 0; sip2 != NULL && i < NITEMS(languages); i++)
		if (strcmp(languages[i].sip2, sip2) == 0)
			return (languages[i].iso);
	return (NULL);
}

/* A YYYYMMDD birth date as an NCIP date at midnight UTC. */
static struct ncip_date
birth_date(const char *s)
{
	struct ncip_date	 d;
	char			 buf[16];

	memset(&d, 0, sizeof(d));
	if (s == NULL || strlen(s) < 8)
		return (d);
	(void)snprintf(buf, sizeof(buf), "%.4s-%.2s-%.2s", s, s + 4, s + 6);
	if (ncip_date_parse(buf, &d) == -1)
		memset(&d, 0, sizeof(d));
	d.text = NULL;
	return (d);
}

/* Addresses: the home address, e-mail and phone the patron has. */
static int
reply_addresses(struct ncip_msg *m, const struct circ_patron *p)
{
	struct ncip_address	*a;
	size_t			 n = 0;

	if ((a = ncip_msg_calloc(m, 3, sizeof(*a))) == NULL)
		return (-1);
	if (p->address != NULL) {
		a[n].role.value = "Home";
		a[n].kind = NCIP_ADDR_PHYSICAL;
		a[n].physical_type.value = "Postal Address";
		a[n].unstructured_type.value = "Newline-Delimited Text";
		a[n++].unstructured = p->address;
	}
	if (p->email != NULL) {
		a[n].role.value = "Home";
		a[n].kind = NCIP_ADDR_ELECTRONIC;
		a[n].electronic_type.value = "mailto";
		a[n++].electronic = p->email;
	}
	if (p->phone != NULL) {
		a[n].role.value = "Home";
		a[n].kind = NCIP_ADDR_ELECTRONIC;
		a[n].electronic_type.value = "tel";
		a[n++].electronic = p->phone;
	}
	m->user.addresses = a;
	m->user.naddresses = n;
	return (0);
}

static int
patron_blocked(const struct circ_patron *p)
{
	int	 i;

	for (i = 0; i < 4; i++)
		if (p->status[i] == 'Y')
			return (1);
	return (0);
}

/* Privileges: the borrower class, and a STATUS of ACTIVE or BLOCKED. */
static int
reply_privileges(struct ncip_msg *m, const struct circ_patron *p,
    const char *agency)
{
	struct ncip_privilege	*pr;
	size_t			 n = 0;

	if ((pr = ncip_msg_calloc(m, 2, sizeof(*pr))) == NULL)
		return (-1);
	if (p->pclass != NULL) {
		pr[n].agency.value = agency;
		pr[n].type.value = p->pclass;
		if (p->expires != 0)
			pr[n].valid_to = ncip_date_at(p->expires);
		n++;
	}
	pr[n].agency.value = agency;
	pr[n].type.value = "STATUS";
	pr[n++].status.value = patron_blocked(p) ? "BLOCKED" : "ACTIVE";
	m->user.privileges = pr;
	m->user.nprivileges = n;
	return (0);
}

/* Blocks: one BlockOrTrap per SIP2 status flag that is set. */
static int
reply_blocks(struct ncip_msg *m, const struct circ_patron *p,
    const char *agency)
{
	struct ncip_block	*b;
	size_t			 i, n = 0;

	if ((b = ncip_msg_calloc(m, STATUS_LEN, sizeof(*b))) == NULL)
		return (-1);
	for (i = 0; i < STATUS_LEN; i++) {
		if (p->status[i] != 'Y')
			continue;
		b[n].agency.value = agency;
		b[n++].type.value = status_names[i];
	}
	m->user.blocks = b;
	m->user.nblocks = n;
	return (0);
}

/* UserOptionalFields as the caller's UserElementType list asks. */
static int
reply_user_fields(struct ncip_msg *m, const struct circ_req *req,
    const struct circ_patron *p, unsigned int mask)
{
	struct ncip_user_fields	*f = &m->user;
	const char		*agency = reply_agency(m, req), *lang;
	int			 v1 = m->dialect.version == 1;

	if ((mask & NCIP_UE_NAME) && p->name != NULL) {
		f->name.present = 1;
		f->name.unstructured = p->name;
	}
	if ((mask & NCIP_UE_ADDRESS) && reply_addresses(m, p) == -1)
		return (-1);
	if (mask & NCIP_UE_BIRTH)
		f->birth = birth_date(p->birth);
	if ((mask & NCIP_UE_LANGUAGE) && (lang = language_iso(p->language)) !=
	    NULL) {
		if ((f->languages = ncip_msg_calloc(m, 1,
		    sizeof(*f->languages))) == NULL)
			return (-1);
		f->languages[0].value = lang;
		f->nlanguages = 1;
	}
	/* Privileges and blocks belong to an agency: none, none said. */
	if ((mask & NCIP_UE_PRIVILEGE) && agency != NULL &&
	    reply_privileges(m, p, agency) == -1)
		return (-1);
	if ((mask & NCIP_UE_BLOCK) && agency != NULL &&
	    reply_blocks(m, p, agency) == -1)
		return (-1);
	if ((mask & NCIP_UE_USER_ID) && p->id != NULL) {
		if ((f->user_ids = ncip_msg_calloc(m, 1,
		    sizeof(*f->user_ids))) == NULL)
			return (-1);
		f->user_ids[0].value = p->id;
		f->user_ids[0].agency.value = agency;
		/* Version 1's VisibleUserId needs a type. */
		if (v1)
			f->user_ids[0].type.value = "Barcode";
		f->nuser_ids = 1;
	}
	f->present = f->name.present || f->naddresses > 0 || f->birth.set ||
	    f->nlanguages > 0 || f->nprivileges > 0 || f->nblocks > 0 ||
	    f->nuser_ids > 0;
	return (0);
}

/*
 * The loans, holds and fiscal account of a LookupUserResponse.
 * XXX The neutral lists hold only ids, so a LoanedItem says
 * IndeterminateLoanPeriodFlag (no due date known), RequestedItems are
 * counted but not listed (DatePlaced is needed and unknown), and fees are
 * summed in AccountBalance without AccountDetails (AccrualDate is needed
 * and unknown): My Account pages fed through the gateway miss them until
 * struct circ_patron carries loans, holds and fees with their dates.
 */
static int
reply_activity(struct ncip_msg *m, const struct circ_req *req,
    const struct circ_patron *p)
{
	const char	*agency = reply_agency(m, req);
	size_t		 i, n;
	long		 count;

	if (req->want_fines) {
		if ((m->accounts = ncip_msg_calloc(m, 1,
		    sizeof(*m->accounts))) == NULL)
			return (-1);
		m->accounts[0].balance.set = 1;
		m->accounts[0].balance.currency.scheme = SCM_CURRENCY;
		/* XXX SIP2 ILSes that send no BH are taken to mean USD. */
		m->accounts[0].balance.currency.value = p->currency != NULL ?
		    p->currency : "USD";
		m->accounts[0].balance.value = p->owed;
		m->naccounts = 1;
	}
	if (req->want_loans) {
		n = p->nlists[CIRC_LIST_CHARGED];
		count = p->counts[CIRC_LIST_CHARGED] > (long)n ?
		    p->counts[CIRC_LIST_CHARGED] : (long)n;
		if ((m->loan_counts = ncip_msg_calloc(m, 1,
		    sizeof(*m->loan_counts))) == NULL ||
		    (n > 0 && (m->loans = ncip_msg_calloc(m, n,
		    sizeof(*m->loans))) == NULL))
			return (-1);
		m->loan_counts[0].by = NCIP_COUNT_CIRC_STATUS;
		m->loan_counts[0].code.scheme = SCM_CIRC_STATUS;
		m->loan_counts[0].code.value = "On Loan";
		m->loan_counts[0].value = count;
		m->nloan_counts = 1;
		for (i = 0; i < n; i++) {
			m->loans[i].item_id.agency.value = agency;
			m->loans[i].item_id.value =
			    p->lists[CIRC_LIST_CHARGED][i];
			m->loans[i].reminder_level = -1;
			m->loans[i].indeterminate = 1;
		}
		m->nloans = n;
	}
	if (req->want_holds) {
		if ((m->hold_counts = ncip_msg_calloc(m, 1,
		    sizeof(*m->hold_counts))) == NULL)
			return (-1);
		m->hold_counts[0].by = NCIP_COUNT_REQUEST_TYPE;
		m->hold_counts[0].code.scheme = SCM_REQ_TYPE;
		m->hold_counts[0].code.value = "Hold";
		m->hold_counts[0].value = p->counts[CIRC_LIST_HOLDS] +
		    p->counts[CIRC_LIST_UNAVAIL_HOLDS];
		m->nhold_counts = 1;
	}
	return (0);
}

/* Routing of a checked-in item: RoutingInformation from CT, CL, CV. */
static int
reply_routing(struct ncip_msg *m, const struct circ_req *req,
    const struct circ_result *res)
{
	struct ncip_routing	*ro = &m->routing;
	const char		*dest = res->destination;
	char			*text;
	size_t			 len;
	int			 hold;

	if (dest == NULL && res->sort_bin == NULL)
		return (0);
	hold = res->alert_type >= 1 && res->alert_type <= 3;
	ro->present = 1;
	ro->bin = res->sort_bin;
	if (dest != NULL && reply_location(m, &ro->destination, "Current",
	    reply_agency(m, req), dest) == -1)
		return (-1);
	if (hold) {
		ro->request_type.scheme = SCM_REQ_TYPE;
		ro->request_type.value = "Hold";
		ro->user_id.value = res->hold_patron;
		ro->user_id.agency.value = reply_agency(m, req);
	}
	if (res->screen != NULL) {
		ro->instructions = res->screen;
		return (0);
	}
	/* Say in words what CT and CV say in codes. */
	len = strlen(dest != NULL ? dest : res->sort_bin) + 32;
	if ((text = ncip_msg_calloc(m, len, 1)) == NULL)
		return (-1);
	if (dest != NULL && hold)
		(void)snprintf(text, len, "Hold for pickup at %s", dest);
	else if (dest != NULL)
		(void)snprintf(text, len, "Route to %s", dest);
	else if (hold)
		(void)snprintf(text, len, "Hold for pickup: bin %s",
		    res->sort_bin);
	else
		(void)snprintf(text, len, "Sort to bin %s", res->sort_bin);
	ro->instructions = text;
	return (0);
}

static int
reply_lookup_version(struct ncip_msg *m)
{
	static const char *const versions[] = {
		NCIP_V2_02, NCIP_V2_01, NCIP_V2_0, NCIP_V1_0, NCIP_V1_01,
	};
	size_t	 i;

	if ((m->versions = ncip_msg_calloc(m, NITEMS(versions),
	    sizeof(*m->versions))) == NULL)
		return (-1);
	for (i = 0; i < NITEMS(versions); i++)
		m->versions[i] = versions[i];
	m->nversions = NITEMS(versions);
	return (0);
}

/* Fill a response shell with what the result says, by service. */
static int
reply_fill(struct ncip_msg *m, const struct circ_req *req,
    const struct circ_result *res)
{
	unsigned int	 ie = ncip_item_element_mask(req->ncip) &
			    ~NCIP_IE_OTHER;
	unsigned int	 ue = ncip_user_element_mask(req->ncip) &
			    ~(NCIP_UE_AUTH | NCIP_UE_OTHER);
	struct ncip_date d;

	switch (m->service) {
	case NCIP_LOOKUP_VERSION_RESP:
		return (reply_lookup_version(m));
	case NCIP_LOOKUP_USER_RESP:
		reply_user_id(m, req, res);
		if (reply_activity(m, req, &res->patron) == -1)
			return (-1);
		return (reply_user_fields(m, req, &res->patron, ue));
	case NCIP_LOOKUP_ITEM_RESP:
		if (m->request_id.value == NULL)
			reply_item_id(m, req, res);
		return (reply_item_fields(m, req, res, ie));
	case NCIP_CHECKOUT_ITEM_RESP:
		reply_item_id(m, req, res);
		reply_user_id(m, req, res);
		if (res->due != 0)
			m->date_due = ncip_date_at(res->due);
		else if (res->due_text != NULL &&
		    ncip_date_parse(res->due_text, &d) == 0) {
			m->date_due = d;
			m->date_due.text = NULL;
		} else
			/* XXX a due date the ILS wrote as free text is lost. */
			m->indeterminate = 1;
		return (reply_item_fields(m, req, res, ie));
	case NCIP_CHECKIN_ITEM_RESP:
		reply_item_id(m, req, res);
		if (m->user_id.value == NULL && res->user_id != NULL) {
			m->user_id.value = res->user_id;
			m->user_id.agency.value = reply_agency(m, req);
		}
		if (reply_routing(m, req, res) == -1)
			return (-1);
		return (reply_item_fields(m, req, res, ie));
	case NCIP_RENEW_ITEM_RESP:
		reply_item_id(m, req, res);
		if (res->due != 0)
			m->date_due = ncip_date_at(res->due);
		return (reply_item_fields(m, req, res, ie));
	case NCIP_REQUEST_ITEM_RESP:
		if (res->request_id != NULL) {
			m->request_id.value = res->request_id;
			m->request_id.agency.value = reply_agency(m, req);
			m->request_id.type.value = NULL;
		}
		if (m->request_id.value == NULL)
			reply_item_id(m, req, res);
		reply_user_id(m, req, res);
		return (reply_item_fields(m, req, res, ie));
	case NCIP_CANCEL_REQUEST_ITEM_RESP:
		if (m->request_id.value == NULL)
			reply_item_id(m, req, res);
		reply_user_id(m, req, res);
		return (0);
	case NCIP_ACCEPT_ITEM_RESP:
		if (res->item.id != NULL && m->item_id.value == NULL)
			reply_item_id(m, req, res);
		return (0);
	case NCIP_CREATE_USER_RESP:
	case NCIP_UPDATE_USER_RESP:
		reply_user_id(m, req, res);
		return (0);
	case NCIP_DELETE_ITEM_RESP:
		return (reply_item_id(m, req, res));
	default:
		errno = EINVAL;
		return (-1);
	}
}

/* The Problem answer for a failed request. */
static struct ncip_msg *
reply_problem(const struct circ_req *req, const struct circ_result *res)
{
	const struct ncip_msg	*q = req->ncip;
	enum ncip_problem_type	 kind;
	enum circ_error		 err = res->error;
	const char		*element = NULL, *value = NULL;
	struct ncip_msg		*m;

	if (err == CIRC_E_NONE)
		err = CIRC_E_REFUSED;
	kind = xlate_ncip_problem(err, req->op->op);
	switch (err) {
	case CIRC_E_UNKNOWN_PATRON:
	case CIRC_E_BAD_PIN:
	case CIRC_E_BLOCKED:
		/* The value of an AuthenticationInput is never echoed. */
		if (q->nauth > 0)
			element = "AuthenticationInput";
		else {
			element = "UserId";
			value = q->user_id.value;
		}
		break;
	case CIRC_E_UNKNOWN_ITEM:
	case CIRC_E_NOT_AVAILABLE:
	case CIRC_E_NOT_CHARGED:
		if (q->item_id.value != NULL) {
			element = "ItemId";
			value = q->item_id.value;
		}
		break;
	default:
		break;
	}
	if ((m = ncip_reply_problem(q, kind, element, res->screen)) == NULL) {
		errno = ENOMEM;
		return (NULL);
	}
	if (value != NULL && (m->problems[0].value = ncip_msg_strdup(m,
	    value)) == NULL) {
		ncip_msg_free(m);
		errno = ENOMEM;
		return (NULL);
	}
	return (m);
}

/*
 * Make the NCIP answer to the caller's request (req->ncip) from a neutral
 * result, in the request's dialect and version string.  A failed result
 * becomes the response with one Problem (the screen message as
 * ProblemDetail; never a PIN).  The answer may point at strings of req and
 * res: build it before they go.  Returns the message, freed with
 * ncip_msg_free(), or NULL with errno EINVAL (no NCIP request, or the
 * result lacks what the response needs) or ENOMEM.
 */
struct ncip_msg *
xlate_ncip_reply(const struct circ_req *req, const struct circ_result *res)
{
	struct ncip_msg	*m;

	if (req->ncip == NULL || req->op == NULL ||
	    !ncip_service_is_request(req->ncip->service)) {
		errno = EINVAL;
		return (NULL);
	}
	if (!res->ok)
		return (reply_problem(req, res));
	if ((m = ncip_reply_new(req->ncip)) == NULL) {
		errno = ENOMEM;
		return (NULL);
	}
	if (reply_fill(m, req, res) == -1) {
		ncip_msg_free(m);
		errno = ENOMEM;
		return (NULL);
	}
	if (ncip_msg_missing(m) != NULL) {
		ncip_msg_free(m);
		errno = EINVAL;
		return (NULL);
	}
	return (m);
}

/*
 * Requests to an NCIP ILS, in its profile.
 */

/* What one backend request is built from. */
struct bk {
	const struct circ_req		*req;
	const struct circ_result	*res;
	const struct conf_ncip_profile	*prof;
	const char			*to_agency;
	int				 v1;
	time_t				 now;
	struct ncip_msg			*m;
};

static int
bk_fail(struct bk *b, int error)
{
	ncip_msg_free(b->m);
	b->m = NULL;
	errno = error;
	return (-1);
}

/* A new request with the profile's dialect and InitiationHeader. */
static int
bk_new(struct bk *b, enum ncip_service svc)
{
	const struct conf_ncip_profile	*p = b->prof;
	struct ncip_msg			*m;

	if ((m = ncip_msg_new(svc)) == NULL)
		return (bk_fail(b, ENOMEM));
	b->m = m;
	ncip_dialect_default(&m->dialect, b->v1 ? 1 : 2);
	if (p->version_str != NULL)
		m->dialect.version_str = p->version_str;
	if (!b->v1) {
		m->dialect.ns = p->ns_style == NCIP_NSS_PREFIX ?
		    NCIP_NSS_PREFIX : p->ns_style == NCIP_NSS_NONE ?
		    NCIP_NSS_NONE : NCIP_NSS_DEFAULT;
		m->dialect.qualified_attrs = p->qualified_attrs != 0;
	}
	m->version_str = m->dialect.version_str;
	m->header.present = 1;
	m->header.from_agency.value = p->from_agency;
	m->header.from_agency_auth = p->from_agency_auth;
	m->header.to_agency.value = b->to_agency;
	m->header.profile.value = p->app_profile;
	return (0);
}

static void
bk_auth_set(struct ncip_auth *a, const char *data, const char *type,
    const char *standard)
{
	a->data = data;
	a->format.scheme = SCM_MEDIA_TYPES;
	a->format.value = "text/plain";
	a->type.value = type != NULL ? type : standard;
	/* The standard scheme only goes with the standard value. */
	if (is(a->type.value, standard))
		a->type.scheme = SCM_AUTH_TYPE;
}

/*
 * The patron, as the ILS wants it: AuthenticationInput or UserId.  A PIN
 * can only travel in AuthenticationInput, so a request that carries one
 * is sent that way whatever the profile says: a PIN left unchecked would
 * let anyone use a barcode.
 */
static int
bk_user(struct bk *b)
{
	const struct circ_req	*req = b->req;
	struct ncip_msg		*m = b->m;
	struct ncip_auth	*a;
	size_t			 n;

	if (req->patron == NULL)
		return (bk_fail(b, EINVAL));
	if (!req->has_pin && !b->prof->user_by_auth) {
		m->user_id.agency.value = b->to_agency;
		m->user_id.value = req->patron;
		return (0);
	}
	n = req->has_pin ? 2 : 1;
	if ((a = ncip_msg_calloc(m, n, sizeof(*a))) == NULL)
		return (bk_fail(b, ENOMEM));
	bk_auth_set(&a[0], req->patron, b->prof->auth_barcode_type,
	    "Barcode Id");
	if (req->has_pin)
		bk_auth_set(&a[1], req->pin != NULL ? req->pin : "",
		    b->prof->auth_pin_type, "PIN");
	m->auth = a;
	m->nauth = n;
	return (0);
}

static int
bk_item(struct bk *b, const char *item)
{
	if (item == NULL)
		return (bk_fail(b, EINVAL));
	b->m->item_id.agency.value = b->to_agency;
	b->m->item_id.value = item;
	return (0);
}

/* A UserElementType or ItemElementType list from bits, per version. */
static int
bk_elements(struct bk *b, int items, unsigned int mask)
{
	struct ncip_code	*c;
	const char		*name, *scheme = items ? SCM_ITEM_EL :
				    SCM_USER_EL;
	size_t			 i, n = 0, rows = items ?
				    NITEMS(item_elements) :
				    NITEMS(user_elements);

	if (mask == 0)
		return (0);
	if ((c = ncip_msg_calloc(b->m, rows, sizeof(*c))) == NULL)
		return (bk_fail(b, ENOMEM));
	for (i = 0; i < rows; i++) {
		if (items) {
			if (!(mask & item_elements[i].bit))
				continue;
			name = b->v1 ? item_elements[i].v1 :
			    item_elements[i].v2;
		} else {
			if (!(mask & user_elements[i].bit))
				continue;
			name = b->v1 ? user_elements[i].v1 :
			    user_elements[i].v2;
		}
		if (name == NULL)
			continue;
		c[n].scheme = scheme;
		c[n++].value = name;
	}
	if (items) {
		b->m->item_elements = c;
		b->m->nitem_elements = n;
	} else {
		b->m->user_elements = c;
		b->m->nuser_elements = n;
	}
	return (0);
}

/* The caller's own request, when NCIP carried it and it is of svc. */
static const struct ncip_msg *
bk_source(const struct bk *b, enum ncip_service svc)
{
	const struct ncip_msg	*q = b->req->ncip;

	return (q != NULL && q->service == svc ? q : NULL);
}

/* The item data an NCIP caller asked for, or what SIP2 needs back. */
static unsigned int
bk_item_mask(const struct bk *b, enum ncip_service svc, unsigned int dflt)
{
	const struct ncip_msg	*q = bk_source(b, svc);

	if (q != NULL)
		return (ncip_item_element_mask(q) & ~NCIP_IE_OTHER);
	return (dflt);
}

static int
bk_lookup_user(struct bk *b, unsigned int mask, int loans, int holds,
    int fines)
{
	if (bk_new(b, NCIP_LOOKUP_USER) == -1 || bk_user(b) == -1 ||
	    bk_elements(b, 0, mask) == -1)
		return (-1);
	b->m->loans_desired = loans;
	b->m->holds_desired = holds;
	b->m->account_desired = fines;
	return (0);
}

/* LookupUser for a patron status (23), information (63) or NCIP ask. */
static int
bk_patron(struct bk *b)
{
	const struct ncip_msg	*q = bk_source(b, NCIP_LOOKUP_USER);
	unsigned int		 mask;

	if (b->req->op->op == CIRC_PATRON_STATUS)
		return (bk_lookup_user(b, UE_STATUS, 0, 0, 1));
	if (q == NULL)
		/* SIP2 64 carries all six counts whatever its summary. */
		return (bk_lookup_user(b, UE_INFO, 1, 1, 1));
	/* Never ask an ILS for a user's secrets, nor for unknown data. */
	mask = ncip_user_element_mask(q) & ~(NCIP_UE_AUTH | NCIP_UE_OTHER);
	return (bk_lookup_user(b, mask, b->req->want_loans,
	    b->req->want_holds, b->req->want_fines));
}

static int
bk_checkout(struct bk *b)
{
	const struct circ_req	*req = b->req;

	if (bk_new(b, NCIP_CHECKOUT_ITEM) == -1 || bk_user(b) == -1 ||
	    bk_item(b, req->item) == -1)
		return (-1);
	/* An offline checkout keeps the due date it was given. */
	if (req->no_block && req->nb_due != 0)
		b->m->desired_date_due = ncip_date_at(req->nb_due);
	else if (req->desired_due != 0)
		b->m->desired_date_due = ncip_date_at(req->desired_due);
	if (bk_source(b, NCIP_CHECKOUT_ITEM) != NULL)
		b->m->request_id = bk_source(b, NCIP_CHECKOUT_ITEM)->request_id;
	return (bk_elements(b, 1, bk_item_mask(b, NCIP_CHECKOUT_ITEM,
	    NCIP_IE_BIB)));
}

static int
bk_checkin(struct bk *b)
{
	if (bk_new(b, NCIP_CHECKIN_ITEM) == -1 ||
	    bk_item(b, b->req->item) == -1)
		return (-1);
	return (bk_elements(b, 1, bk_item_mask(b, NCIP_CHECKIN_ITEM,
	    NCIP_IE_BIB)));
}

static int
bk_renew(struct bk *b, const char *item)
{
	if (bk_new(b, NCIP_RENEW_ITEM) == -1 || bk_user(b) == -1 ||
	    bk_item(b, item) == -1)
		return (-1);
	if (b->req->desired_due != 0)
		b->m->desired_date_due = ncip_date_at(b->req->desired_due);
	return (bk_elements(b, 1, bk_item_mask(b, NCIP_RENEW_ITEM,
	    NCIP_IE_BIB)));
}

static int
bk_item_info(struct bk *b)
{
	const struct circ_req	*req = b->req;
	unsigned int		 mask;

	if (bk_new(b, NCIP_LOOKUP_ITEM) == -1)
		return (-1);
	if (req->item != NULL) {
		if (bk_item(b, req->item) == -1)
			return (-1);
	} else if (req->request_id != NULL) {
		b->m->request_id.agency.value = b->to_agency;
		b->m->request_id.value = req->request_id;
	} else
		return (bk_fail(b, EINVAL));
	mask = bk_item_mask(b, NCIP_LOOKUP_ITEM, IE_INFO);
	if (b->v1)
		mask &= ~NCIP_IE_DATE_DUE;
	return (bk_elements(b, 1, mask));
}

/* Identifiers that are BibliographicItemIds rather than record ids. */
static int
bib_item_scheme(const char *scheme)
{
	static const char *const item_schemes[] = {
		"ISBN", "ISSN", "EAN", "UPC", "ISMN", "ISRC", "LCCN",
	};
	size_t	 i;

	for (i = 0; i < NITEMS(item_schemes); i++)
		if (is(scheme, item_schemes[i]))
			return (1);
	return (0);
}

/* BibliographicId+ of a RequestItem: the caller's own, or bib_id. */
static int
bk_bibids(struct bk *b)
{
	const struct ncip_msg	*q = bk_source(b, NCIP_REQUEST_ITEM);
	const struct circ_req	*req = b->req;
	struct ncip_bibid	*id;

	if (q != NULL && q->nbib_ids > 0) {
		b->m->bib_ids = q->bib_ids;
		b->m->nbib_ids = q->nbib_ids;
		return (0);
	}
	if (req->bib_id == NULL)
		return (0);
	if ((id = ncip_msg_calloc(b->m, 1, sizeof(*id))) == NULL)
		return (bk_fail(b, ENOMEM));
	id->value = req->bib_id;
	if (bib_item_scheme(req->bib_scheme)) {
		id->kind = NCIP_BIBID_ITEM;
		id->code.value = req->bib_scheme;
	} else {
		id->kind = NCIP_BIBID_RECORD;
		/* A record id without a code is the ILS's own number. */
		if (req->bib_scheme != NULL)
			id->code.value = req->bib_scheme;
		else
			id->agency.value = b->to_agency;
	}
	b->m->bib_ids = id;
	b->m->nbib_ids = 1;
	return (0);
}

/* RequestType: the caller's, the profile's default, or Hold. */
static void
bk_request_type(struct bk *b, const struct ncip_msg *q)
{
	struct ncip_code	*c = &b->m->request_type;

	if (q != NULL && q->request_type.value != NULL)
		c->value = q->request_type.value;
	else if (b->prof->request_type != NULL)
		c->value = b->prof->request_type;
	else
		c->value = "Hold";
	if (is(c->value, "Hold") || is(c->value, "Loan") ||
	    is(c->value, "Page") || is(c->value, "Recall") ||
	    is(c->value, "Stack Retrieval"))
		c->scheme = SCM_REQ_TYPE;
}

/*
 * RequestScopeType: SIP2 BY 3 (specific copy) is Item, BY 2 and 4 (any
 * copy) Bibliographic Item; otherwise the profile's default, else Item
 * when an item is named.  A request without an item is never Item.
 */
static void
bk_request_scope(struct bk *b, const struct ncip_msg *q)
{
	const struct circ_req	*req = b->req;
	struct ncip_code	*c = &b->m->request_scope;

	if (q != NULL && q->request_scope.value != NULL)
		c->value = q->request_scope.value;
	else if (req->hold_type == 3)
		c->value = "Item";
	else if (req->hold_type == 2 || req->hold_type == 4)
		c->value = "Bibliographic Item";
	else if (b->prof->request_scope != NULL)
		c->value = b->prof->request_scope;
	else
		c->value = req->item != NULL ? "Item" : "Bibliographic Item";
	if (b->m->item_id.value == NULL)
		c->value = "Bibliographic Item";
	if (is(c->value, "Item") || is(c->value, "Bibliographic Item"))
		c->scheme = SCM_REQ_SCOPE;
}

static int
bk_request_item(struct bk *b)
{
	const struct ncip_msg	*q = bk_source(b, NCIP_REQUEST_ITEM);
	const struct circ_req	*req = b->req;
	struct ncip_msg		*m;

	if (bk_new(b, NCIP_REQUEST_ITEM) == -1 || bk_user(b) == -1 ||
	    bk_bibids(b) == -1)
		return (-1);
	m = b->m;
	if (req->item != NULL) {
		m->item_id.agency.value = b->to_agency;
		m->item_id.value = req->item;
		if (q != NULL) {
			m->more_item_ids = q->more_item_ids;
			m->nmore_item_ids = q->nmore_item_ids;
		}
	}
	/* A title alone is no identifier NCIP can request by. */
	if (m->item_id.value == NULL && m->nbib_ids == 0)
		return (bk_fail(b, EINVAL));
	/*
	 * The caller's RequestId, unless the gateway names the request by
	 * an id of its own (the tracker's), said with its agency.
	 */
	if (req->request_ours && req->request_id != NULL) {
		m->request_id.agency.value = b->prof->from_agency;
		m->request_id.value = req->request_id;
	} else if (q != NULL)
		m->request_id = q->request_id;
	bk_request_type(b, q);
	bk_request_scope(b, q);
	m->pickup_location.value = req->pickup;
	if (req->hold_expiry != 0)
		m->pickup_expiry = ncip_date_at(req->hold_expiry);
	return (0);
}

static int
bk_cancel_request(struct bk *b)
{
	const struct ncip_msg	*q = bk_source(b, NCIP_CANCEL_REQUEST_ITEM);
	const struct circ_req	*req = b->req;
	struct ncip_msg		*m;

	if (bk_new(b, NCIP_CANCEL_REQUEST_ITEM) == -1 || bk_user(b) == -1)
		return (-1);
	m = b->m;
	if (req->request_id != NULL) {
		if (q != NULL)
			m->request_id = q->request_id;
		else {
			/* An id the gateway gave is said with its agency. */
			m->request_id.agency.value = req->request_ours ?
			    b->prof->from_agency : b->to_agency;
			m->request_id.value = req->request_id;
		}
	}
	if (req->item != NULL) {
		m->item_id.agency.value = b->to_agency;
		m->item_id.value = req->item;
	}
	if (m->request_id.value == NULL && m->item_id.value == NULL)
		return (bk_fail(b, EINVAL));
	bk_request_type(b, q);
	if (q != NULL)
		m->request_scope = q->request_scope;
	return (0);
}

static int
bk_hold(struct bk *b)
{
	switch (b->req->hold_mode) {
	case '+':
		return (bk_request_item(b));
	case '-':
		return (bk_cancel_request(b));
	case '*':
		/* NCIP cannot change a request's pickup location. */
		return (bk_fail(b, ENOTSUP));
	default:
		return (bk_fail(b, EINVAL));
	}
}

static int
bk_accept_item(struct bk *b)
{
	const struct ncip_msg	*q = bk_source(b, NCIP_ACCEPT_ITEM);
	const struct circ_req	*req = b->req;
	struct ncip_msg		*m;

	if (req->request_id == NULL)
		return (bk_fail(b, EINVAL));
	if (bk_new(b, NCIP_ACCEPT_ITEM) == -1)
		return (-1);
	m = b->m;
	if (q != NULL) {
		m->request_id = q->request_id;
		m->requested_action = q->requested_action;
		m->item = q->item;
		m->pickup_expiry = q->pickup_expiry;
	} else {
		m->request_id.agency.value = b->prof->from_agency;
		m->request_id.value = req->request_id;
		m->requested_action.scheme = SCM_ACTION;
		m->requested_action.value = "Hold For Pickup";
		if (req->title != NULL) {
			m->item.present = 1;
			m->item.has_bib = 1;
			m->item.bib.title = req->title;
		}
		if (req->hold_expiry != 0)
			m->pickup_expiry = ncip_date_at(req->hold_expiry);
	}
	/* The patron is the ILS's own; the item comes from elsewhere. */
	if (q != NULL && q->user_id.value != NULL)
		m->user_id = q->user_id;
	else if (req->patron != NULL) {
		m->user_id.agency.value = b->to_agency;
		m->user_id.value = req->patron;
	}
	if (q != NULL && q->item_id.value != NULL)
		m->item_id = q->item_id;
	else if (req->item != NULL) {
		m->item_id.agency.value = b->prof->from_agency;
		m->item_id.value = req->item;
	}
	if (req->desired_due != 0)
		m->date_for_return = ncip_date_at(req->desired_due);
	m->pickup_location.value = req->pickup;
	return (0);
}

/* CreateUser: only an NCIP caller's request carries the user's data. */
static int
bk_create_user(struct bk *b)
{
	const struct ncip_msg	*q = bk_source(b, NCIP_CREATE_USER);

	if (q == NULL || !q->user.name.present)
		return (bk_fail(b, EINVAL));
	if (bk_new(b, NCIP_CREATE_USER) == -1)
		return (-1);
	b->m->user_id = q->user_id;
	b->m->user = q->user;
	return (0);
}

static int
bk_update_user(struct bk *b)
{
	const struct ncip_msg	*q = bk_source(b, NCIP_UPDATE_USER);

	if (q == NULL)
		return (bk_fail(b, EINVAL));
	if (bk_new(b, NCIP_UPDATE_USER) == -1 || bk_user(b) == -1)
		return (-1);
	b->m->user_delete = q->user_delete;
	b->m->user_add = q->user_add;
	return (0);
}

/*
 * SIP2 01 block patron: UpdateUser adding a BlockOrTrap in force from
 * now.  The SIP2 request's blocked card message has no member in the
 * neutral request, so the block's type says what happened.
 */
static int
bk_block_patron(struct bk *b)
{
	struct ncip_block	*blk;

	if (bk_new(b, NCIP_UPDATE_USER) == -1 || bk_user(b) == -1)
		return (-1);
	if ((blk = ncip_msg_calloc(b->m, 1, sizeof(*blk))) == NULL)
		return (bk_fail(b, ENOMEM));
	blk->agency.value = b->to_agency;
	blk->type.value = "Blocked By Circulation Terminal";
	blk->valid_from = ncip_date_at(b->now);
	b->m->user_add.present = 1;
	b->m->user_add.fields.blocks = blk;
	b->m->user_add.fields.nblocks = 1;
	return (0);
}

static int
bk_lookup_version(struct bk *b)
{
	return (bk_new(b, NCIP_LOOKUP_VERSION));
}

/* Step 0 of every operation. */
static int
bk_first(struct bk *b)
{
	switch (b->req->op->op) {
	case CIRC_PATRON_STATUS:
	case CIRC_PATRON_INFO:
		return (bk_patron(b));
	case CIRC_CHECKOUT:
		return (bk_checkout(b));
	case CIRC_CHECKIN:
		return (bk_checkin(b));
	case CIRC_RENEW:
		return (bk_renew(b, b->req->item));
	case CIRC_RENEW_ALL:
		return (bk_lookup_user(b, 0, 1, 0, 0));
	case CIRC_HOLD:
		return (bk_hold(b));
	case CIRC_ITEM_INFO:
		return (bk_item_info(b));
	case CIRC_BLOCK_PATRON:
		return (bk_block_patron(b));
	case CIRC_ACCEPT_ITEM:
		return (bk_accept_item(b));
	case CIRC_CREATE_USER:
		return (bk_create_user(b));
	case CIRC_UPDATE_USER:
		return (bk_update_user(b));
	case CIRC_DELETE_ITEM:
		if (bk_new(b, NCIP_DELETE_ITEM) == -1)
			return (-1);
		return (bk_item(b, b->req->item));
	case CIRC_LOOKUP_VERSION:
		return (bk_lookup_version(b));
	default:
		/*
		 * Fee paid, item status update, patron enable, end session
		 * and the gateway's own messages have no NCIP request.
		 */
		return (bk_fail(b, ENOTSUP));
	}
}

static int
bk_init(struct bk *b, const struct circ_req *req,
    const struct circ_result *res, const struct conf_partner *p, time_t now)
{
	memset(b, 0, sizeof(*b));
	b->req = req;
	b->res = res;
	b->now = now;
	if (req->op == NULL || p == NULL || !p->has_backend ||
	    p->backend.proto != BACKEND_NCIP) {
		errno = EINVAL;
		return (-1);
	}
	b->prof = &p->backend.ncip;
	b->v1 = b->prof->version == 1;
	b->to_agency = b->prof->to_agency;
	if (b->to_agency == NULL && p->ninstitutions > 0)
		b->to_agency = p->institutions[0];
	/* The header needs both agencies: a profile without is unusable. */
	if (b->prof->from_agency == NULL || b->to_agency == NULL) {
		errno = EINVAL;
		return (-1);
	}
	return (0);
}

/*
 * Make the first NCIP request for a neutral request to a partner's NCIP
 * ILS, in its profile (version, version string, namespace style, agencies,
 * FromAgencyAuthentication, ApplicationProfileType, patrons as UserId or
 * AuthenticationInput, request type and scope defaults).  The PIN goes in
 * it when req has one: the caller clears it for an ILS that is not the
 * patron's home.  Operations that take several calls continue with
 * xlate_ncip_backend_next().  The message points at strings of req and of
 * the configuration: build it before they go.  Returns the message, freed
 * with ncip_msg_free(), or NULL with errno ENOTSUP (the operation has no
 * NCIP equivalent: CIRC_E_NOT_SUPPORTED), EINVAL (the request or the
 * profile lacks what NCIP needs: CIRC_E_NEEDED_DATA) or ENOMEM.
 */
struct ncip_msg *
xlate_ncip_backend_req(const struct circ_req *req,
    const struct conf_partner *p, time_t now)
{
	struct bk	 b;

	if (bk_init(&b, req, NULL, p, now) == -1 || bk_first(&b) == -1)
		return (NULL);
	return (b.m);
}

/*
 * Continue a multi-step operation: renew all is LookupUser for the loans
 * (step 0) then one RenewItem per loan the result holds (steps 1..n);
 * block patron is UpdateUser (step 0) then LookupUser for the status the
 * SIP2 answer reports (step 1).  res is the result merged so far by
 * xlate_ncip_backend_reply(); a failed first step ends the operation.
 * Returns 1 with the request for step in *out, 0 when done, or -1 with
 * errno as xlate_ncip_backend_req().
 */
int
xlate_ncip_backend_next(const struct circ_req *req, int step,
    const struct circ_result *res, const struct conf_partner *p,
    time_t now, struct ncip_msg **out)
{
	const struct circ_patron	*pa = &res->patron;
	struct bk			 b;

	*out = NULL;
	if (step < 1 || !res->ok || req->op == NULL)
		return (0);
	switch (req->op->op) {
	case CIRC_RENEW_ALL:
		if ((size_t)step > pa->nlists[CIRC_LIST_CHARGED])
			return (0);
		if (bk_init(&b, req, res, p, now) == -1 ||
		    bk_renew(&b, pa->lists[CIRC_LIST_CHARGED][step - 1]) == -1)
			return (-1);
		break;
	case CIRC_BLOCK_PATRON:
		if (step > 1)
			return (0);
		if (bk_init(&b, req, res, p, now) == -1 ||
		    bk_lookup_user(&b, UE_STATUS, 0, 0, 1) == -1)
			return (-1);
		break;
	default:
		return (0);
	}
	*out = b.m;
	return (1);
}

/*
 * Merging an NCIP ILS's answers into the neutral result.
 */

/* The request service a step of an operation sent. */
static enum ncip_service
backend_service(const struct circ_req *req, int step)
{
	switch (req->op->op) {
	case CIRC_PATRON_STATUS:
	case CIRC_PATRON_INFO:
		return (step == 0 ? NCIP_LOOKUP_USER : NCIP_SVC_NONE);
	case CIRC_RENEW_ALL:
		return (step == 0 ? NCIP_LOOKUP_USER : NCIP_RENEW_ITEM);
	case CIRC_BLOCK_PATRON:
		if (step == 0)
			return (NCIP_UPDATE_USER);
		return (step == 1 ? NCIP_LOOKUP_USER : NCIP_SVC_NONE);
	default:
		break;
	}
	if (step != 0)
		return (NCIP_SVC_NONE);
	switch (req->op->op) {
	case CIRC_CHECKOUT:
		return (NCIP_CHECKOUT_ITEM);
	case CIRC_CHECKIN:
		return (NCIP_CHECKIN_ITEM);
	case CIRC_RENEW:
		return (NCIP_RENEW_ITEM);
	case CIRC_HOLD:
		if (req->hold_mode == '+')
			return (NCIP_REQUEST_ITEM);
		return (req->hold_mode == '-' ? NCIP_CANCEL_REQUEST_ITEM :
		    NCIP_SVC_NONE);
	case CIRC_ITEM_INFO:
		return (NCIP_LOOKUP_ITEM);
	case CIRC_ACCEPT_ITEM:
		return (NCIP_ACCEPT_ITEM);
	case CIRC_CREATE_USER:
		return (NCIP_CREATE_USER);
	case CIRC_UPDATE_USER:
		return (NCIP_UPDATE_USER);
	case CIRC_DELETE_ITEM:
		return (NCIP_DELETE_ITEM);
	case CIRC_LOOKUP_VERSION:
		return (NCIP_LOOKUP_VERSION);
	default:
		return (NCIP_SVC_NONE);
	}
}

/* Set a string member once, copied into the arena; -1 on no memory. */
static int
set_str(struct circ_arena *a, const char **dst, const char *src)
{
	if (*dst != NULL || src == NULL)
		return (0);
	return ((*dst = circ_strdup(a, src)) == NULL ? -1 : 0);
}

/* Append n strings (copied) to a neutral list. */
static int
list_append(struct circ_arena *a, const char ***list, size_t *nlist,
    const char *const *add, size_t n)
{
	const char	**nl;
	size_t		 i;

	if (n == 0)
		return (0);
	if ((nl = circ_alloc(a, (*nlist + n) * sizeof(*nl))) == NULL)
		return (-1);
	for (i = 0; i < *nlist; i++)
		nl[i] = (*list)[i];
	for (i = 0; i < n; i++)
		if ((nl[*nlist + i] = circ_strdup(a, add[i])) == NULL)
			return (-1);
	*list = nl;
	*nlist += n;
	return (0);
}

static int
list_add(struct circ_arena *a, const char ***list, size_t *nlist,
    const char *s)
{
	if (s == NULL)
		return (0);
	return (list_append(a, list, nlist, &s, 1));
}

static void
status_init(struct circ_patron *p)
{
	if (p->status[0] == '\0') {
		memset(p->status, ' ', STATUS_LEN);
		p->status[STATUS_LEN] = '\0';
	}
}

/* The SIP2 flag a BlockOrTrap type names, or -1 for none in particular. */
static int
block_position(const char *type)
{
	size_t	 i;

	for (i = 0; i < STATUS_LEN; i++)
		if (is(type, status_names[i]))
			return ((int)i);
	if (has_word(type, "lost"))
		return (4);
	if (has_word(type, "fine"))
		return (10);
	if (has_word(type, "fee"))
		return (11);
	if (has_word(type, "overdue"))
		return (6);
	return (-1);
}

static int
in_force(const struct ncip_date *from, const struct ncip_date *to, time_t now)
{
	return (!(from->set && now < from->t) && !(to->set && now > to->t));
}

/* Status flags: blocked is charge, renewal, recall and hold denied. */
static void
merge_status(struct circ_patron *p, const struct ncip_user_fields *f,
    time_t now)
{
	size_t	 i;
	int	 pos;

	status_init(p);
	if (ncip_user_status(f, now) == NCIP_USER_BLOCKED)
		memset(p->status, 'Y', 4);
	for (i = 0; i < f->nblocks; i++) {
		if (!in_force(&f->blocks[i].valid_from, &f->blocks[i].valid_to,
		    now))
			continue;
		if ((pos = block_position(f->blocks[i].type.value)) >= 0)
			p->status[pos] = 'Y';
	}
}

/* The most specific level of a location's name. */
static const char *
location_name(const struct ncip_location *l)
{
	const char	*v = NULL;
	unsigned int	 best = 0;
	size_t		 i;

	for (i = 0; i < l->nnames; i++) {
		if (l->names[i].value != NULL && l->names[i].level >= best) {
			best = l->names[i].level;
			v = l->names[i].value;
		}
	}
	return (v);
}

static char *
join(struct circ_arena *a, const char *const *parts, size_t n)
{
	size_t	 i, k, len = 1, off = 0;
	char	*s;

	for (i = 0; i < n; i++)
		if (parts[i] != NULL)
			len += strlen(parts[i]) + 2;
	if ((s = circ_alloc(a, len)) == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {
		if (parts[i] == NULL || *parts[i] == '\0')
			continue;
		if (off > 0) {
			memcpy(s + off, ", ", 2);
			off += 2;
		}
		k = strlen(parts[i]);
		memcpy(s + off, parts[i], k);
		off += k;
	}
	s[off] = '\0';
	return (s);
}

/* A person's name the way SIP2 AE shows one: "Surname, Given". */
static int
merge_name(struct circ_arena *a, struct circ_patron *p,
    const struct ncip_name *n)
{
	const char	*parts[2];

	if (!n->present || p->name != NULL)
		return (0);
	if (n->unstructured != NULL)
		return (set_str(a, &p->name, n->unstructured));
	if (n->surname != NULL) {
		parts[0] = n->surname;
		parts[1] = n->given;
		return ((p->name = join(a, parts, 2)) == NULL ? -1 : 0);
	}
	return (set_str(a, &p->name, n->org_name));
}

static int
merge_address(struct circ_arena *a, struct circ_patron *p,
    const struct ncip_address *ad)
{
	const char	*parts[6], *v = ad->electronic, *t;

	if (ad->kind == NCIP_ADDR_PHYSICAL) {
		if (p->address != NULL)
			return (0);
		if (ad->unstructured != NULL)
			return (set_str(a, &p->address, ad->unstructured));
		parts[0] = ad->line1 != NULL ? ad->line1 : ad->street;
		parts[1] = ad->line1 != NULL ? ad->line2 : ad->po_box;
		parts[2] = ad->locality;
		parts[3] = ad->region;
		parts[4] = ad->postal_code;
		parts[5] = ad->country;
		return ((p->address = join(a, parts, 6)) == NULL ? -1 : 0);
	}
	t = ad->electronic_type.value;
	if (v == NULL || t == NULL)
		return (0);
	if (is(t, "mailto") || is(t, "email") || is(t, "e-mail") ||
	    has_word(t, "electronic mail")) {
		if (strncasecmp(v, "mailto:", 7) == 0)
			v += 7;
		return (set_str(a, &p->email, v));
	}
	if (is(t, "tel") || has_word(t, "phone")) {
		if (strncasecmp(v, "tel:", 4) == 0)
			v += 4;
		return (set_str(a, &p->phone, v));
	}
	return (0);
}

static const char *
language_sip2(const char *iso)
{
	size_t	 i;

	for (i = 0; iso != NULL && i < NITEMS(languages); i++)
		if (is(iso, languages[i].iso) || is(iso, languages[i].alt))
			return (languages[i].sip2);
	return (NULL);
}

/* Personal data of UserOptionalFields; the first backend's wins. */
static int
merge_user_fields(struct circ_arena *a, struct circ_patron *p,
    const struct ncip_user_fields *f)
{
	const struct ncip_privilege	*pr;
	struct tm			 tm;
	char				 buf[16];
	size_t				 i;

	if (merge_name(a, p, &f->name) == -1)
		return (-1);
	for (i = 0; i < f->naddresses; i++)
		if (merge_address(a, p, &f->addresses[i]) == -1)
			return (-1);
	if (f->birth.set && p->birth == NULL &&
	    gmtime_r(&f->birth.t, &tm) != NULL &&
	    strftime(buf, sizeof(buf), "%Y%m%d", &tm) == 8 &&
	    set_str(a, &p->birth, buf) == -1)
		return (-1);
	if (f->nlanguages > 0 && p->language == NULL)
		p->language = language_sip2(f->languages[0].value);
	for (i = 0; i < f->nprivileges; i++) {
		pr = &f->privileges[i];
		if (is(pr->type.value, "STATUS") || p->pclass != NULL)
			continue;
		if (set_str(a, &p->pclass, pr->type.value) == -1)
			return (-1);
		if (pr->valid_to.set)
			p->expires = pr->valid_to.t;
	}
	return (0);
}

/*
 * Read the fields a CreateUser or UpdateUser carries into a patron, as
 * those of a LookupUserResponse are read; copies live in the arena.
 * 0, or -1 on no memory.
 */
int
xlate_ncip_user(struct circ_arena *a, struct circ_patron *p,
    const struct ncip_user_fields *f)
{
	return (merge_user_fields(a, p, f));
}

static int
fee_type(const char *type)
{
	size_t	 i;

	for (i = 0; i < NITEMS(fee_types); i++)
		if (has_word(type, fee_types[i].keyword))
			return (fee_types[i].fee_type);
	return (1);
}

/* Payments, waivers and the like are no debt to list. */
static int
fee_is_debt(const struct ncip_fiscal *tx)
{
	const char	*act = tx->action.value;

	return (!(has_word(act, "pay") || has_word(act, "waive") ||
	    has_word(act, "cancel") || has_word(act, "credit") ||
	    has_word(act, "refund") || has_word(act, "forgive")));
}

/*
 * Fiscal accounts: balances add up in the first currency seen, fee lines
 * are appended.  XXX A balance in another currency is left out of owed.
 */
static int
merge_accounts(struct circ_arena *a, struct circ_patron *p,
    const struct ncip_msg *m)
{
	const struct ncip_account	*acc;
	const struct ncip_fiscal	*tx;
	struct circ_fee			*fees;
	size_t				 i, j, n = 0;

	for (i = 0; i < m->naccounts; i++)
		n += m->accounts[i].ndetails;
	if (n > 0) {
		if ((fees = circ_alloc(a, (p->nfees + n) * sizeof(*fees))) ==
		    NULL)
			return (-1);
		if (p->nfees > 0)
			memcpy(fees, p->fees, p->nfees * sizeof(*fees));
		p->fees = fees;
	}
	for (i = 0; i < m->naccounts; i++) {
		acc = &m->accounts[i];
		if (acc->balance.set && (p->currency == NULL ||
		    is(p->currency, acc->balance.currency.value))) {
			if (set_str(a, &p->currency,
			    acc->balance.currency.value) == -1)
				return (-1);
			p->owed += acc->balance.value;
		}
		for (j = 0; j < acc->ndetails; j++) {
			tx = &acc->details[j].tx;
			if (!tx->amount.set || !fee_is_debt(tx))
				continue;
			fees = &p->fees[p->nfees];
			memset(fees, 0, sizeof(*fees));
			fees->amount = tx->amount.value;
			fees->type = fee_type(tx->type.value);
			if (set_str(a, &fees->id, tx->ref_id) == -1 ||
			    set_str(a, &fees->description,
			    tx->description) == -1)
				return (-1);
			p->nfees++;
			p->counts[CIRC_LIST_FINES]++;
		}
	}
	return (0);
}

static const char *
hold_label(const struct ncip_hold *h)
{
	if (h->item_id.value != NULL)
		return (h->item_id.value);
	if (h->title != NULL)
		return (h->title);
	return (h->request_id.value);
}

/*
 * Loans and requests: every loan is charged, those past due are also
 * overdue; requests available for pickup are hold items, the others
 * unavailable holds.  Counts are the larger of the counts said and the
 * lists given.
 */
static int
merge_activity(struct circ_arena *a, struct circ_patron *p,
    const struct ncip_msg *m, time_t now)
{
	const struct ncip_loan	*l;
	const struct ncip_hold	*h;
	const char		*id;
	size_t			 i;
	long			 said = 0, over = 0, avail = 0, other = 0;

	for (i = 0; i < m->nloans; i++) {
		l = &m->loans[i];
		id = l->item_id.value != NULL ? l->item_id.value : l->title;
		if (list_add(a, &p->lists[CIRC_LIST_CHARGED],
		    &p->nlists[CIRC_LIST_CHARGED], id) == -1)
			return (-1);
		if (l->date_due.set && l->date_due.t < now) {
			if (list_add(a, &p->lists[CIRC_LIST_OVERDUE],
			    &p->nlists[CIRC_LIST_OVERDUE], id) == -1)
				return (-1);
			over++;
		}
	}
	for (i = 0; i < m->nloan_counts; i++)
		said += m->loan_counts[i].value;
	p->counts[CIRC_LIST_CHARGED] += said > (long)m->nloans ? said :
	    (long)m->nloans;
	p->counts[CIRC_LIST_OVERDUE] += over;

	for (i = 0; i < m->nholds; i++) {
		h = &m->holds[i];
		if (is(h->status.value, "Available For Pickup")) {
			if (list_add(a, &p->lists[CIRC_LIST_HOLDS],
			    &p->nlists[CIRC_LIST_HOLDS], hold_label(h)) == -1)
				return (-1);
			avail++;
		} else {
			if (list_add(a, &p->lists[CIRC_LIST_UNAVAIL_HOLDS],
			    &p->nlists[CIRC_LIST_UNAVAIL_HOLDS],
			    hold_label(h)) == -1)
				return (-1);
			other++;
		}
	}
	for (said = 0, i = 0; i < m->nhold_counts; i++)
		said += m->hold_counts[i].value;
	/* Counted but not listed: their status is unknown, so all count. */
	if (said > avail + other)
		avail = said - other;
	p->counts[CIRC_LIST_HOLDS] += avail;
	p->counts[CIRC_LIST_UNAVAIL_HOLDS] += other;
	return (0);
}

static int
merge_lookup_user(const struct circ_req *req, const struct ncip_msg *m,
    struct circ_result *res, struct circ_arena *a, time_t now)
{
	struct circ_patron	*p = &res->patron;

	p->found = 1;
	p->pin_ok = req->has_pin ? 1 : -1;
	if (set_str(a, &p->id, m->user_id.value) == -1 ||
	    set_str(a, &res->user_id, m->user_id.value) == -1)
		return (-1);
	merge_status(p, &m->user, now);
	if (merge_user_fields(a, p, &m->user) == -1 ||
	    merge_accounts(a, p, m) == -1 ||
	    merge_activity(a, p, m, now) == -1)
		return (-1);
	return (0);
}

static int
circ_status_sip2(const char *v)
{
	size_t	 i;

	if (v == NULL)
		return (0);
	if (is(v, "Not Available"))
		return (1);
	for (i = 1; i < NITEMS(circ_status_names); i++)
		if (is(v, circ_status_names[i]))
			return ((int)i);
	return (1);
}

static const char *
media_sip2(const char *v)
{
	size_t	 i;

	if (v == NULL)
		return (NULL);
	for (i = 0; i < NITEMS(media_types); i++)
		if (is(v, media_types[i].ncip))
			return (media_types[i].sip2);
	for (i = 0; i < NITEMS(media_types); i++)
		if (has_word(v, media_types[i].keyword))
			return (media_types[i].sip2);
	return ("000");
}

/* ItemOptionalFields into the neutral item. */
static int
merge_item_fields(struct circ_arena *a, struct circ_result *res,
    const struct ncip_item_fields *f)
{
	struct circ_item	*it = &res->item;
	const struct ncip_location *l;
	size_t			 i;

	if (!f->present)
		return (0);
	if (f->has_bib) {
		if (set_str(a, &it->title, f->bib.title) == -1 ||
		    set_str(a, &it->author, f->bib.author) == -1)
			return (-1);
		if (it->media == NULL)
			it->media = media_sip2(f->bib.medium.value);
	}
	if (f->circ_status.value != NULL)
		it->circ_status = circ_status_sip2(f->circ_status.value);
	if (f->hold_queue_length >= 0)
		it->hold_queue = f->hold_queue_length;
	if (set_str(a, &it->call_number, f->call_number) == -1)
		return (-1);
	for (i = 0; i < f->nlocations; i++) {
		l = &f->locations[i];
		if (has_word(l->type.value, "permanent")) {
			if (set_str(a, &it->permanent_location,
			    location_name(l)) == -1)
				return (-1);
		} else if (set_str(a, &it->current_location,
		    location_name(l)) == -1)
			return (-1);
	}
	if (f->date_due.set) {
		it->due = f->date_due.t;
		if (res->due == 0)
			res->due = f->date_due.t;
	}
	return (0);
}

static int
merge_item_id(const struct circ_req *req, const struct ncip_msg *m,
    struct circ_result *res, struct circ_arena *a)
{
	res->item.found = 1;
	if (set_str(a, &res->item.id, m->item_id.value) == -1 ||
	    set_str(a, &res->item.id, req->item) == -1 ||
	    set_str(a, &res->item.owner, m->item_id.agency.value) == -1)
		return (-1);
	return (merge_item_fields(a, res, &m->item));
}

/* CheckInItem routing into CT, CL, CV and the screen message. */
static int
merge_routing(const struct circ_req *req, const struct ncip_routing *ro,
    struct circ_result *res, struct circ_arena *a)
{
	const char	*dest;
	int		 hold;

	if (!ro->present)
		return (0);
	dest = location_name(&ro->destination);
	hold = is(ro->request_type.value, "Hold") ||
	    ro->user_id.value != NULL;
	res->alert = 1;
	if (!hold)
		res->alert_type = dest != NULL ? 4 : 99;
	else if (dest == NULL || (req->location != NULL &&
	    is(dest, req->location)))
		res->alert_type = 1;
	else
		res->alert_type = 2;
	if (set_str(a, &res->destination, dest) == -1 ||
	    set_str(a, &res->sort_bin, ro->bin) == -1 ||
	    set_str(a, &res->screen, ro->instructions) == -1 ||
	    set_str(a, &res->hold_patron, ro->user_id.value) == -1)
		return (-1);
	return (0);
}

/* A Problem: the error it means, and what it says of patron and item. */
static int
merge_problem(const struct circ_req *req, int step, enum ncip_service svc,
    const struct ncip_msg *m, struct circ_result *res, struct circ_arena *a)
{
	const struct ncip_problem	*pb = m->nproblems > 0 ?
					    &m->problems[0] : NULL;
	enum ncip_problem_type		 kind = NCIP_PT_TEMPORARY_FAILURE;
	struct circ_patron		*p = &res->patron;

	if (pb != NULL)
		kind = pb->kind != NCIP_PT_NONE ? pb->kind :
		    ncip_problem_lookup(pb->type.value);

	/* One loan of a renew all failed: the rest go on. */
	if (req->op->op == CIRC_RENEW_ALL && step > 0) {
		res->unrenewed++;
		return (list_add(a, &res->unrenewed_items,
		    &res->nunrenewed_items,
		    p->lists[CIRC_LIST_CHARGED][step - 1]));
	}
	/* Returning an item that is in is no error. */
	if (svc == NCIP_CHECKIN_ITEM && kind == NCIP_PT_ITEM_NOT_CHECKED_OUT) {
		res->ok = 1;
		res->error = CIRC_E_NONE;
		res->screen = SCREEN_NOT_OUT;
		return (set_str(a, &res->item.id, req->item));
	}
	/* A retried AcceptItem finds its own earlier work done. */
	if (svc == NCIP_ACCEPT_ITEM && (kind == NCIP_PT_DUPLICATE_ITEM ||
	    kind == NCIP_PT_REQUEST_PROCESSED)) {
		res->ok = 1;
		res->error = CIRC_E_NONE;
		return (set_str(a, &res->request_id, req->request_id));
	}

	res->ok = 0;
	res->error = xlate_ncip_error(kind);
	/* The peer's own words stay in its message, for the log. */
	res->screen = problem_screen(kind);
	switch (res->error) {
	case CIRC_E_UNKNOWN_PATRON:
		if (!p->found) {
			memset(p->status, ' ', STATUS_LEN);
			memset(p->status, 'Y', 4);
			p->status[STATUS_LEN] = '\0';
		}
		p->pin_ok = req->has_pin ? 0 : -1;
		break;
	case CIRC_E_BAD_PIN:
		p->found = 1;
		p->pin_ok = 0;
		break;
	case CIRC_E_BLOCKED:
		p->found = 1;
		status_init(p);
		memset(p->status, 'Y', 4);
		break;
	case CIRC_E_UNKNOWN_ITEM:
		res->item.found = 0;
		break;
	default:
		break;
	}
	return (0);
}

/* A success, by the service that was asked. */
static int
merge_success(const struct circ_req *req, int step, enum ncip_service svc,
    const struct ncip_msg *m, struct circ_result *res, struct circ_arena *a,
    time_t now)
{
	const char	*item;

	switch (svc) {
	case NCIP_LOOKUP_USER:
		res->ok = 1;
		return (merge_lookup_user(req, m, res, a, now));
	case NCIP_RENEW_ITEM:
		if (req->op->op == CIRC_RENEW_ALL) {
			item = res->patron.lists[CIRC_LIST_CHARGED][step - 1];
			if (m->pending) {
				res->unrenewed++;
				return (list_add(a, &res->unrenewed_items,
				    &res->nunrenewed_items, item));
			}
			res->renewed++;
			return (list_add(a, &res->renewed_items,
			    &res->nrenewed_items, item));
		}
		if (m->pending) {
			res->ok = 0;
			res->error = CIRC_E_REFUSED;
			res->screen = SCREEN_PENDING;
			return (0);
		}
		res->ok = 1;
		res->renewal_ok = 1;
		if (m->date_due.set)
			res->due = m->date_due.t;
		return (merge_item_id(req, m, res, a));
	case NCIP_CHECKOUT_ITEM:
		res->ok = 1;
		res->renewal_ok = 1;
		if (m->date_due.set)
			res->due = m->date_due.t;
		if (set_str(a, &res->user_id, m->user_id.value) == -1)
			return (-1);
		return (merge_item_id(req, m, res, a));
	case NCIP_CHECKIN_ITEM:
		res->ok = 1;
		if (set_str(a, &res->user_id, m->user_id.value) == -1 ||
		    merge_routing(req, &m->routing, res, a) == -1)
			return (-1);
		return (merge_item_id(req, m, res, a));
	case NCIP_LOOKUP_ITEM:
		res->ok = 1;
		return (merge_item_id(req, m, res, a));
	case NCIP_REQUEST_ITEM:
		res->ok = 1;
		res->available = m->date_available.set &&
		    m->date_available.t <= now;
		if (set_str(a, &res->request_id, m->request_id.value) == -1 ||
		    set_str(a, &res->pickup, req->pickup) == -1 ||
		    set_str(a, &res->user_id, m->user_id.value) == -1 ||
		    set_str(a, &res->item.id, m->item_id.value) == -1)
			return (-1);
		return (merge_item_fields(a, res, &m->item));
	case NCIP_CANCEL_REQUEST_ITEM:
	case NCIP_ACCEPT_ITEM:
	case NCIP_DELETE_ITEM:
		res->ok = 1;
		if (set_str(a, &res->request_id, m->request_id.value) == -1 ||
		    set_str(a, &res->item.id, m->item_id.value) == -1)
			return (-1);
		return (0);
	case NCIP_CREATE_USER:
	case NCIP_UPDATE_USER:
		res->ok = 1;
		res->patron.found = 1;
		if (set_str(a, &res->user_id, m->user_id.value) == -1 ||
		    set_str(a, &res->patron.id, m->user_id.value) == -1)
			return (-1);
		return (0);
	case NCIP_LOOKUP_VERSION:
		res->ok = 1;
		return (0);
	default:
		return (0);
	}
}

/*
 * Merge an NCIP ILS's answer to the request of a step into the neutral
 * result, which the caller zeroed before the first answer (answers of
 * several partners may be merged into one: counts and lists add up,
 * personal data of the first answer stays).  A Problem sets ok 0, error
 * (xlate_ncip_error()) and a screen message of the gateway's own words;
 * check-in of an item that is in, and a retried AcceptItem, are no
 * errors.  Strings are copied into the arena.  Loans count as overdue
 * against the clock when the answer is merged.  Returns 0, or -1 with
 * error CIRC_E_REFUSED when the answer does not fit the step (errno
 * EPROTO) or memory ran out (errno ENOMEM).
 */
int
xlate_ncip_backend_reply(const struct circ_req *req, int step,
    const struct ncip_msg *m, struct circ_result *res, struct circ_arena *a)
{
	enum ncip_service	 svc;
	time_t			 now = time(NULL);
	int			 rc;

	svc = req->op != NULL ? backend_service(req, step) : NCIP_SVC_NONE;
	if (svc == NCIP_SVC_NONE || (m->service != NCIP_PROBLEM &&
	    m->service != ncip_service_info(svc)->response) ||
	    (req->op->op == CIRC_RENEW_ALL && step > 0 && (size_t)step >
	    res->patron.nlists[CIRC_LIST_CHARGED])) {
		res->ok = 0;
		res->error = CIRC_E_REFUSED;
		res->screen = SCREEN_BAD_ANSWER;
		errno = EPROTO;
		return (-1);
	}
	if (m->service == NCIP_PROBLEM || m->nproblems > 0)
		rc = merge_problem(req, step, svc, m, res, a);
	else
		rc = merge_success(req, step, svc, m, res, a, now);
	if (rc == -1) {
		res->ok = 0;
		res->error = CIRC_E_REFUSED;
		res->screen = SCREEN_REFUSED;
		errno = ENOMEM;
	}
	return (rc);
}
