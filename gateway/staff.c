/* SPDX-License-Identifier: ISC */
/*
 * Staff sign-on: one staff account at any partner's desk, and for each
 * request the permissions it holds at the partner the request acts on.
 * The decision itself is the policy's; this file finds the facts and
 * keeps the audit trail.
 */

#include "config.h"

#include <sys/queue.h>

#include <stdio.h>
#include <string.h>

#include "circlinkd.h"

/* Return the POLICY_STAFF_* a staff account holds at a partner. */
int
staff_perms_at(const struct conf_staff *st, const struct conf_partner *p)
{
	int	 i;

	if (st == NULL || p == NULL)
		return (0);
	for (i = 0; i < st->ngrants; i++)
		if (st->grants[i].partner == p ||
		    strcmp(st->grants[i].partner_id, p->id) == 0)
			return (st->grants[i].perms);
	return (0);
}

/*
 * Return the partner whose desk a location code is: the one partner that
 * lists it.  A code two partners list says nothing, so gives NULL.
 */
struct conf_partner *
staff_desk(const struct conf *conf, const char *location)
{
	struct conf_partner	*p, *found = NULL;
	int			 i;

	if (location == NULL || *location == '\0')
		return (NULL);
	TAILQ_FOREACH(p, &conf->partners, entry)
		for (i = 0; i < p->nlocations; i++)
			if (strcmp(p->locations[i], location) == 0) {
				if (found != NULL && found != p)
					return (NULL);
				found = p;
			}
	return (found);
}

/* What a request's terminal permission (PERM_*) is as a staff task. */
static int
staff_task(int perm, enum policy_task *task)
{
	switch (perm) {
	case PERM_CIRCULATION:
		*task = POLICY_TASK_CIRCULATION;
		return (0);
	case PERM_PATRON:
		*task = POLICY_TASK_PATRON;
		return (0);
	case PERM_FINES:
		*task = POLICY_TASK_FEE;
		return (0);
	case PERM_ITEM:
		*task = POLICY_TASK_ITEM_INFO;
		return (0);
	case PERM_CATALOGING:
		*task = POLICY_TASK_ITEM_UPDATE;
		return (0);
	default:
		return (-1);
	}
}

/*
 * May a staff account send a request of this operation acting on a
 * partner?  An operation no staff task covers is refused, so that a new
 * operation is closed to staff until someone decides who may send it.
 */
int
staff_allows(uint64_t sid, const struct conf_staff *st,
    const struct circ_op_info *op, const struct conf_partner *p,
    struct policy_decision *dec)
{
	enum policy_task	 task = POLICY_TASK_CIRCULATION;
	const char		*name = p->name != NULL ? p->name : p->id;
	char			 missing[64];
	int			 known;

	known = staff_task(op->perm, &task) == 0;
	if (known && policy_staff_allows(staff_perms_at(st, p), task, name,
	    dec))
		return (1);
	if (!known) {
		memset(dec, 0, sizeof(*dec));
		dec->reason = POLICY_E_STAFF_PERMISSION;
		dec->audit = "staff-permission";
		snprintf(dec->message, sizeof(dec->message), "Staff may not "
		    "send this message.");
		snprintf(missing, sizeof(missing), "unknown");
	} else
		policy_staff_names(policy_staff_needs(task), "|", missing,
		    sizeof(missing));
	log_warnx("sid=%016llx event=staff-refused staff=%s op=%s partner=%s "
	    "missing=%s audit=%s", (unsigned long long)sid, st->login,
	    op->name, p->id, missing, dec->audit);
	return (0);
}
