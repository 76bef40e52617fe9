/* SPDX-License-Identifier: ISC */
/*
 * The decisions of the policy: both sides of an agreement applied to a
 * request, a link, a reply's data or a limit, with a reason for the audit
 * trail and a message for the kiosk.
 */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

static const char *const audit_names[] = {
	[POLICY_OK] = "allowed",
	[POLICY_E_UNKNOWN_PARTNER] = "unknown-partner",
	[POLICY_E_NO_AGREEMENT] = "no-agreement",
	[POLICY_E_NOT_ACCEPTED] = "not-accepted",
	[POLICY_E_REVOKED] = "revoked",
	[POLICY_E_CLASS_EXCLUDED] = "class-excluded",
	[POLICY_E_PATRON_BLOCKED] = "patron-blocked",
	[POLICY_E_PATRON_EXPIRED] = "patron-expired",
	[POLICY_E_NOT_HOME] = "not-home",
	[POLICY_E_COLLECTION_WITHHELD] = "collection-withheld",
	[POLICY_E_ITEM_FACTS] = "item-facts-missing",
	[POLICY_E_NO_LINK] = "no-link",
	[POLICY_E_LOAN_LIMIT] = "loan-limit",
	[POLICY_E_HOLD_LIMIT] = "hold-limit",
	[POLICY_E_FEE_OTHER_PARTNER] = "fee-other-partner",
	[POLICY_E_STAFF_PERMISSION] = "staff-permission",
};

static int	 allow(struct policy_decision *);
static int	 deny(struct policy_decision *, enum policy_reason,
		    const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));
static int	 same(const char *, const char *);
static const char *name_of(const struct policy_agreement *, size_t,
		    const char *);
static const struct policy_agreement *pair_active(
		    const struct policy_agreement *, size_t, const char *,
		    const char *, struct policy_decision *);
static int	 pair_visible(const struct policy_agreement *, size_t,
		    const char *, const char *, const char *,
		    struct policy_decision *);
static int	 link_denied(const struct policy_agreement *, size_t,
		    const struct policy_terms *, const char *, const char *,
		    struct policy_decision *);
static int	 check_patron(const struct policy_agreement *, size_t,
		    const struct policy_request *, struct policy_decision *);
static int	 check_lending(const struct policy_agreement *, size_t,
		    const struct policy_request *, struct policy_decision *);

static int
allow(struct policy_decision *dec)
{
	dec->allow = 1;
	dec->reason = POLICY_OK;
	dec->audit = audit_names[POLICY_OK];
	dec->message[0] = '\0';
	return (1);
}

/* Fill in a refusal; always returns 0, the decision's allow. */
static int
deny(struct policy_decision *dec, enum policy_reason reason,
    const char *fmt, ...)
{
	va_list	 ap;

	dec->allow = 0;
	dec->reason = reason;
	dec->audit = audit_names[reason];
	va_start(ap, fmt);
	vsnprintf(dec->message, sizeof(dec->message), fmt, ap);
	va_end(ap);
	return (0);
}

/* Two parties are the same partner; a party not involved (NULL) is too. */
static int
same(const char *a, const char *b)
{
	return (a == NULL || b == NULL || strcmp(a, b) == 0);
}

/* The name people know a partner by, from any agreement naming it. */
static const char *
name_of(const struct policy_agreement *ags, size_t n, const char *id)
{
	size_t	 i;
	int	 j;

	for (i = 0; i < n; i++)
		for (j = 0; j < 2; j++)
			if (ags[i].side[j].id != NULL &&
			    strcmp(ags[i].side[j].id, id) == 0 &&
			    ags[i].side[j].name != NULL)
				return (ags[i].side[j].name);
	return (id);
}

/* Return the agreement between partners a and b, in either order, or NULL. */
const struct policy_agreement *
policy_agreement_find(const struct policy_agreement *ags, size_t n,
    const char *a, const char *b)
{
	const struct policy_side	*s;
	size_t				 i;

	for (i = 0; i < n; i++) {
		s = ags[i].side;
		if (s[0].id == NULL || s[1].id == NULL)
			continue;
		if ((strcmp(s[0].id, a) == 0 && strcmp(s[1].id, b) == 0) ||
		    (strcmp(s[0].id, b) == 0 && strcmp(s[1].id, a) == 0))
			return (&ags[i]);
	}
	return (NULL);
}

/* Return 1 if both sides accept and neither has revoked. */
int
policy_active(const struct policy_agreement *ag)
{
	int	 i;

	for (i = 0; i < 2; i++)
		if (ag->side[i].terms == NULL || !ag->side[i].terms->accept ||
		    ag->side[i].revoked)
			return (0);
	return (1);
}

/* Return the terms the partner id sets toward the other side, or NULL. */
const struct policy_terms *
policy_terms_of(const struct policy_agreement *ag, const char *id)
{
	int	 i;

	for (i = 0; ag != NULL && i < 2; i++)
		if (ag->side[i].id != NULL && strcmp(ag->side[i].id, id) == 0)
			return (ag->side[i].terms);
	return (NULL);
}

/*
 * Return the agreement between a and b when it is active, or NULL with
 * the refusal in dec.  A revocation is named before a missing acceptance,
 * since it is what staff just did.
 */
static const struct policy_agreement *
pair_active(const struct policy_agreement *ags, size_t n, const char *a,
    const char *b, struct policy_decision *dec)
{
	const struct policy_agreement	*ag;
	const struct policy_side	*s;
	int				 i;

	if ((ag = policy_agreement_find(ags, n, a, b)) == NULL ||
	    (ag->side[0].terms == NULL && ag->side[1].terms == NULL)) {
		deny(dec, POLICY_E_NO_AGREEMENT, "%s and %s have no "
		    "agreement.", name_of(ags, n, a), name_of(ags, n, b));
		return (NULL);
	}
	s = ag->side;
	for (i = 0; i < 2; i++)
		if (s[i].revoked) {
			deny(dec, POLICY_E_REVOKED, "%s has revoked its "
			    "agreement with %s.", name_of(ags, n, s[i].id),
			    name_of(ags, n, s[!i].id));
			return (NULL);
		}
	for (i = 0; i < 2; i++)
		if (s[i].terms == NULL || !s[i].terms->accept) {
			deny(dec, POLICY_E_NOT_ACCEPTED, "%s has not accepted "
			    "the agreement with %s.", name_of(ags, n, s[i].id),
			    name_of(ags, n, s[!i].id));
			return (NULL);
		}
	return (ag);
}

/*
 * The patron of home may be known to toward: an active agreement, and a
 * class home does not exclude.  The message does not say that a class is
 * excluded, since to toward such a patron does not exist.
 */
static int
pair_visible(const struct policy_agreement *ags, size_t n, const char *home,
    const char *pclass, const char *toward, struct policy_decision *dec)
{
	const struct policy_agreement	*ag;

	if ((ag = pair_active(ags, n, home, toward, dec)) == NULL)
		return (0);
	if (policy_terms_excludes(policy_terms_of(ag, home), pclass))
		return (deny(dec, POLICY_E_CLASS_EXCLUDED, "This card cannot "
		    "be used at %s.", name_of(ags, n, toward)));
	return (1);
}

/* The refusal when partner at gives none of home's patrons an account. */
static int
link_denied(const struct policy_agreement *ags, size_t n,
    const struct policy_terms *t, const char *at, const char *home,
    struct policy_decision *dec)
{
	if (t == NULL || !t->link)
		return (deny(dec, POLICY_E_NO_LINK, "%s does not lend to %s "
		    "patrons.", name_of(ags, n, at), name_of(ags, n, home)));
	return (deny(dec, POLICY_E_NO_LINK, "%s does not lend to this group "
	    "of %s patrons.", name_of(ags, n, at), name_of(ags, n, home)));
}

/*
 * Decide a request against the agreements in force.  The parties are the
 * serving partner, the patron's home and the item's owner; each two of
 * them that differ need an active agreement, and the patron must be known
 * to each of the others.  Fines owed elsewhere are refused even within one
 * partner, since the linked accounts make them visible there.
 */
int
policy_check(const struct policy_agreement *ags, size_t n,
    const struct policy_request *req, struct policy_decision *dec)
{
	const char	*s = req->serving, *h = NULL, *o = NULL, *owed;
	const char	*pclass = NULL;

	if (req->patron != NULL) {
		h = req->patron->home;
		pclass = req->patron->pclass;
	}
	if (req->item != NULL)
		o = req->item->owner;
	if (s == NULL || (req->patron != NULL && h == NULL) ||
	    (req->item != NULL && o == NULL))
		return (deny(dec, POLICY_E_UNKNOWN_PARTNER, "The library "
		    "system of this request is not known."));

	if (req->op == POLICY_OP_FEE) {
		owed = req->fee_owner != NULL ? req->fee_owner :
		    h != NULL ? h : s;
		if (strcmp(owed, s) != 0)
			return (deny(dec, POLICY_E_FEE_OTHER_PARTNER,
			    "This fine is owed to %s and can only be paid "
			    "there.", name_of(ags, n, owed)));
	}
	if (same(h, s) && same(o, s))
		return (allow(dec));

	if (!same(h, s) && !pair_visible(ags, n, h, pclass, s, dec))
		return (0);
	if (!same(o, s) && pair_active(ags, n, o, s, dec) == NULL)
		return (0);
	if (h != NULL && o != NULL && !same(h, o) &&
	    !pair_visible(ags, n, h, pclass, o, dec))
		return (0);
	if (req->patron != NULL)
		return (check_patron(ags, n, req, dec));
	return (allow(dec));
}

/* A cross-partner request about a patron, once the parties may meet. */
static int
check_patron(const struct policy_agreement *ags, size_t n,
    const struct policy_request *req, struct policy_decision *dec)
{
	const struct policy_patron	*pt = req->patron;
	const char			*home = pt->home;

	switch (req->op) {
	case POLICY_OP_PATRON_UPDATE:
		if (!same(home, req->serving))
			return (deny(dec, POLICY_E_NOT_HOME, "Only %s can "
			    "change the records of its patrons.",
			    name_of(ags, n, home)));
		return (allow(dec));
	case POLICY_OP_CHECKOUT:
	case POLICY_OP_RENEW:
	case POLICY_OP_HOLD:
		break;
	default:
		return (allow(dec));
	}

	/* Another partner cannot see the home's blocks: tell it. */
	if (pt->blocked)
		return (deny(dec, POLICY_E_PATRON_BLOCKED, "%s reports this "
		    "card as blocked.", name_of(ags, n, home)));
	if (pt->expired)
		return (deny(dec, POLICY_E_PATRON_EXPIRED, "%s reports this "
		    "card as expired.", name_of(ags, n, home)));
	if (req->item != NULL && !same(home, req->item->owner))
		return (check_lending(ags, n, req, dec));
	return (allow(dec));
}

/*
 * The owner lends to another partner's patron: its withheld collections,
 * whether such a patron may hold an account there, and the combined
 * limits.  A renewal adds no loan, so only checkouts and holds count.
 */
static int
check_lending(const struct policy_agreement *ags, size_t n,
    const struct policy_request *req, struct policy_decision *dec)
{
	const struct policy_patron	*pt = req->patron;
	const char			*home = pt->home;
	const char			*owner = req->item->owner;
	const struct policy_agreement	*ag;
	const struct policy_terms	*t;
	const struct policy_limit	*lim;

	/* policy_check() found it active. */
	ag = policy_agreement_find(ags, n, home, owner);
	t = policy_terms_of(ag, owner);
	switch (policy_terms_withholds(t, req->item)) {
	case 1:
		return (deny(dec, POLICY_E_COLLECTION_WITHHELD, "%s does not "
		    "lend this collection to %s patrons.",
		    name_of(ags, n, owner), name_of(ags, n, home)));
	case -1:
		return (deny(dec, POLICY_E_ITEM_FACTS, "%s cannot tell "
		    "whether this item may go to %s patrons.",
		    name_of(ags, n, owner), name_of(ags, n, home)));
	}
	if (!policy_terms_links(t, pt->pclass))
		return (link_denied(ags, n, t, owner, home, dec));

	if ((lim = policy_terms_limit(t, pt->pclass)) == NULL)
		return (allow(dec));
	if (req->op == POLICY_OP_CHECKOUT && lim->loans >= 0 &&
	    pt->loans >= lim->loans)
		return (deny(dec, POLICY_E_LOAN_LIMIT, "The limit of %ld "
		    "loans at %s and %s together is reached.", lim->loans,
		    name_of(ags, n, owner), name_of(ags, n, home)));
	if (req->op == POLICY_OP_HOLD && lim->holds >= 0 &&
	    pt->holds >= lim->holds)
		return (deny(dec, POLICY_E_HOLD_LIMIT, "The limit of %ld "
		    "holds at %s and %s together is reached.", lim->holds,
		    name_of(ags, n, owner), name_of(ags, n, home)));
	return (allow(dec));
}

/* May the patrons of a class of home be known to toward at all? */
int
policy_visible(const struct policy_agreement *ags, size_t n,
    const char *home, const char *pclass, const char *toward,
    struct policy_decision *dec)
{
	if (home == NULL || toward == NULL)
		return (deny(dec, POLICY_E_UNKNOWN_PARTNER, "The library "
		    "system of this patron is not known."));
	if (same(home, toward))
		return (allow(dec));
	if (!pair_visible(ags, n, home, pclass, toward, dec))
		return (0);
	return (allow(dec));
}

/* May the patron be given a linked account at partner at? */
int
policy_link(const struct policy_agreement *ags, size_t n,
    const struct policy_patron *pt, const char *at,
    struct policy_decision *dec)
{
	const struct policy_agreement	*ag;
	const struct policy_terms	*t;

	if (pt == NULL || pt->home == NULL || at == NULL)
		return (deny(dec, POLICY_E_UNKNOWN_PARTNER, "The library "
		    "system of this patron is not known."));
	if (same(pt->home, at))
		return (allow(dec));
	if (!pair_visible(ags, n, pt->home, pt->pclass, at, dec))
		return (0);
	ag = policy_agreement_find(ags, n, pt->home, at);
	t = policy_terms_of(ag, at);
	if (!policy_terms_links(t, pt->pclass))
		return (link_denied(ags, n, t, at, pt->home, dec));
	return (allow(dec));
}

/*
 * What of partner from's data may leave toward partner toward.  Whether
 * a particular patron may be known there at all is policy_visible()'s.
 */
int
policy_share(const struct policy_agreement *ags, size_t n, const char *from,
    const char *toward, struct policy_share *share,
    struct policy_decision *dec)
{
	const struct policy_agreement	*ag;
	const struct policy_terms	*t;

	share->withheld = POLICY_F_ALL;
	share->titles = 0;
	if (from == NULL || toward == NULL)
		return (deny(dec, POLICY_E_UNKNOWN_PARTNER, "The library "
		    "system of this data is not known."));
	if (same(from, toward)) {
		share->withheld = 0;
		share->titles = 1;
		return (allow(dec));
	}
	if ((ag = pair_active(ags, n, from, toward, dec)) == NULL)
		return (0);
	/* Cannot happen: an active agreement has both sides' terms. */
	if ((t = policy_terms_of(ag, from)) == NULL)
		return (deny(dec, POLICY_E_NOT_ACCEPTED, "%s has not "
		    "accepted the agreement with %s.", name_of(ags, n, from),
		    name_of(ags, n, toward)));
	share->withheld = t->withheld & POLICY_F_ALL;
	share->titles = t->titles != 0;
	return (allow(dec));
}

/* The combined limits partner at sets for the patron's class. */
int
policy_limits(const struct policy_agreement *ags, size_t n,
    const struct policy_patron *pt, const char *at,
    struct policy_limits *out)
{
	const struct policy_agreement	*ag;
	const struct policy_limit	*lim;

	out->loans = -1;
	out->holds = -1;
	if (pt == NULL || pt->home == NULL || at == NULL ||
	    same(pt->home, at))
		return (0);
	if ((ag = policy_agreement_find(ags, n, pt->home, at)) == NULL)
		return (0);
	if ((lim = policy_terms_limit(policy_terms_of(ag, at),
	    pt->pclass)) == NULL)
		return (0);
	out->loans = lim->loans;
	out->holds = lim->holds;
	return (out->loans >= 0 || out->holds >= 0);
}
