/* SPDX-License-Identifier: ISC */
/*
 * The neutral circulation request: what a terminal asked, decoded once from
 * its protocol, with the operation, the parties and the permission it needs.
 */

#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "circlinkd.h"

/*
 * Every SIP2 code has a row: requests with their operation, and responses
 * or codes a terminal has no business sending, refused explicitly.
 */
static const struct circ_op_info circ_ops[] = {
	{ SIP2_LOGIN, CIRC_LOGIN, "login", 0, CIRC_F_LOCAL },
	{ SIP2_SC_STATUS, CIRC_SC_STATUS, "sc-status", 0, CIRC_F_LOCAL },
	{ SIP2_RESEND, CIRC_RESEND, "resend", 0, CIRC_F_LOCAL },
	{ SIP2_REQUEST_RESEND, CIRC_RESEND, "request-resend", 0,
	    CIRC_F_LOCAL },
	{ SIP2_PATRON_STATUS, CIRC_PATRON_STATUS, "patron-status",
	    PERM_PATRON, CIRC_F_BY_PATRON },
	{ SIP2_PATRON_INFO, CIRC_PATRON_INFO, "patron-info", PERM_PATRON,
	    CIRC_F_BY_PATRON },
	{ SIP2_CHECKOUT, CIRC_CHECKOUT, "checkout", PERM_CIRCULATION,
	    CIRC_F_RETRY },
	{ SIP2_CHECKIN, CIRC_CHECKIN, "checkin", PERM_CIRCULATION,
	    CIRC_F_RETRY | CIRC_F_BY_ITEM },
	{ SIP2_RENEW, CIRC_RENEW, "renew", PERM_CIRCULATION, CIRC_F_RETRY },
	{ SIP2_RENEW_ALL, CIRC_RENEW_ALL, "renew-all", PERM_CIRCULATION,
	    CIRC_F_RETRY },
	{ SIP2_HOLD, CIRC_HOLD, "hold", PERM_CIRCULATION, CIRC_F_RETRY },
	{ SIP2_FEE_PAID, CIRC_FEE_PAID, "fee-paid", PERM_FINES,
	    CIRC_F_RETRY | CIRC_F_BY_PATRON },
	{ SIP2_ITEM_INFO, CIRC_ITEM_INFO, "item-info", PERM_ITEM,
	    CIRC_F_BY_ITEM },
	{ SIP2_ITEM_STATUS, CIRC_ITEM_UPDATE, "item-status-update",
	    PERM_CATALOGING, CIRC_F_RETRY },
	{ SIP2_BLOCK_PATRON, CIRC_BLOCK_PATRON, "block-patron", PERM_PATRON,
	    CIRC_F_RETRY },
	{ SIP2_PATRON_ENABLE, CIRC_PATRON_ENABLE, "patron-enable",
	    PERM_PATRON, CIRC_F_RETRY },
	{ SIP2_END_SESSION, CIRC_END_SESSION, "end-session", PERM_PATRON,
	    CIRC_F_BY_PATRON },
	{ SIP2_LOGIN_RESP, CIRC_NONE, "login-response", 0, 0 },
	{ SIP2_ACS_STATUS, CIRC_NONE, "acs-status", 0, 0 },
	{ SIP2_PATRON_STATUS_RESP, CIRC_NONE, "patron-status-response", 0,
	    0 },
	{ SIP2_PATRON_INFO_RESP, CIRC_NONE, "patron-info-response", 0, 0 },
	{ SIP2_CHECKOUT_RESP, CIRC_NONE, "checkout-response", 0, 0 },
	{ SIP2_CHECKIN_RESP, CIRC_NONE, "checkin-response", 0, 0 },
	{ SIP2_RENEW_RESP, CIRC_NONE, "renew-response", 0, 0 },
	{ SIP2_RENEW_ALL_RESP, CIRC_NONE, "renew-all-response", 0, 0 },
	{ SIP2_HOLD_RESP, CIRC_NONE, "hold-response", 0, 0 },
	{ SIP2_FEE_PAID_RESP, CIRC_NONE, "fee-paid-response", 0, 0 },
	{ SIP2_ITEM_INFO_RESP, CIRC_NONE, "item-info-response", 0, 0 },
	{ SIP2_ITEM_STATUS_RESP, CIRC_NONE, "item-status-update-response",
	    0, 0 },
	{ SIP2_PATRON_ENABLE_RESP, CIRC_NONE, "patron-enable-response", 0,
	    0 },
	{ SIP2_END_SESSION_RESP, CIRC_NONE, "end-session-response", 0, 0 },
};

/* Return the row for a SIP2 code; every code the codec parses has one. */
const struct circ_op_info *
circ_op_sip2(int code)
{
	size_t	 i;

	for (i = 0; i < sizeof(circ_ops) / sizeof(circ_ops[0]); i++)
		if (circ_ops[i].code == code)
			return (&circ_ops[i]);
	return (NULL);
}

/*
 * Decode what a SIP2 request passed through to a SIP2 ILS needs: its
 * operation and the ids that route it.  The message itself travels on, so
 * nothing more is read here; a request to be translated is decoded whole
 * by xlate_sip2_req().  The request borrows msg's strings.  Returns -1 for
 * a code with no row.
 */
int
circ_from_sip2(struct circ_req *req, struct sip2_msg *msg)
{
	memset(req, 0, sizeof(*req));
	if ((req->op = circ_op_sip2(sip2_msg_code(msg))) == NULL)
		return (-1);
	req->sip2 = msg;
	req->item = sip2_msg_field(msg, "AB");
	req->patron = sip2_msg_field(msg, "AA");
	return (0);
}

/*
 * Decide which partner serves a request: an item-centred request for
 * another partner's item goes to its owner, a patron-centred one for
 * another partner's patron to the patron's home, as far as their
 * agreement allows; everything else to the terminal's own partner.
 */
struct conf_partner *
circ_route(const struct conf *conf, const struct circ_req *req,
    struct conf_partner *home, struct policy_decision *dec)
{
	struct conf_partner	*p = NULL;

	if (req->op->flags & CIRC_F_BY_ITEM)
		p = route_item(conf, req->item);
	else if (req->op->flags & CIRC_F_BY_PATRON)
		p = route_patron(conf, req->patron);
	if (p == NULL)
		p = home;
	if (p != home && !agreement_route(req, home, p, dec)) {
		log_info("policy event=deny audit=%s op=%s serving=%s to=%s",
		    dec->audit, req->op->name, home->id, p->id);
		return (NULL);
	}
	return (p);
}

/*
 * Is a request a loan or a hold for another partner's patron?  0 when it
 * is not;
 * 1 when it is, with the patron's home and the lending partner (the
 * item's owner, else the caller's own) set; -1 when an agreement it
 * needs is not in force, the decision saying why.
 */
int
circ_route_visit(const struct conf *conf, const struct circ_req *req,
    struct conf_partner *at, struct conf_partner **home,
    struct conf_partner **lender, struct policy_decision *dec)
{
	if ((req->op->op != CIRC_CHECKOUT && req->op->op != CIRC_RENEW &&
	    req->op->op != CIRC_HOLD) ||
	    (*home = route_patron(conf, req->patron)) == NULL)
		return (0);
	/*
	 * A title is held at the institution asked (a kiosk's AO), else at
	 * the caller's own partner: an NCIP RequestItem by BibliographicId
	 * for its own patron is searched for first by serve_ncip, and a
	 * copy found elsewhere given to the visit as its item.  XXX: a
	 * kiosk's title (AJ) names no identifier to search for, so with no
	 * owner named it stays at the kiosk's own partner.
	 */
	if ((*lender = route_item(conf, req->item)) == NULL &&
	    req->item == NULL && req->op->op == CIRC_HOLD)
		*lender = route_institution(conf, req->institution != NULL ?
		    req->institution : req->sip2 != NULL ?
		    sip2_msg_field(req->sip2, "AO") : NULL);
	if (*lender == NULL)
		*lender = at;
	/* At home, only a hold on another partner's item or title is one. */
	if (*home == at && (req->op->op != CIRC_HOLD || *lender == at))
		return (0);
	if ((*home != at && !agreement_route(req, at, *home, dec)) ||
	    (*lender != at &&
	    *lender != *home && !agreement_route(req, at, *lender, dec))) {
		log_info("policy event=deny audit=%s op=%s serving=%s "
		    "home=%s", dec->audit, req->op->name, at->id,
		    (*home)->id);
		return (-1);
	}
	return (1);
}

/* A chunk of arena memory; the arena is a list of them. */
struct circ_chunk {
	struct circ_chunk	*next;
	size_t			 used, size;
	max_align_t		 data[];
};

struct circ_arena {
	struct circ_chunk	*head;
};

#define CIRC_CHUNK	4096

/* Make an empty arena, or NULL on no memory. */
struct circ_arena *
circ_arena_new(void)
{
	return (calloc(1, sizeof(struct circ_arena)));
}

/* Free an arena and everything allocated from it; NULL is fine. */
void
circ_arena_free(struct circ_arena *a)
{
	struct circ_chunk	*c, *next;

	if (a == NULL)
		return;
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

/* Return zeroed, aligned memory living as long as the arena, or NULL. */
void *
circ_alloc(struct circ_arena *a, size_t len)
{
	struct circ_chunk	*c = a->head;
	size_t			 align = sizeof(max_align_t), size;
	void			*p;

	len = (len + align - 1) / align * align;
	if (c == NULL || c->size - c->used < len) {
		size = len > CIRC_CHUNK ? len : CIRC_CHUNK;
		if ((c = malloc(sizeof(*c) + size)) == NULL)
			return (NULL);
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += len;
	memset(p, 0, len);
	return (p);
}

/* Copy a string into the arena; NULL gives NULL, as does no memory. */
char *
circ_strdup(struct circ_arena *a, const char *s)
{
	char	*p;
	size_t	 len;

	if (s == NULL)
		return (NULL);
	len = strlen(s) + 1;
	if ((p = circ_alloc(a, len)) != NULL)
		memcpy(p, s, len);
	return (p);
}
