/* SPDX-License-Identifier: ISC */
/*
 * Staff permissions: which of the permissions a staff member holds at a
 * partner allow which task at a desk, decided without I/O.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "policy.h"

/* The permissions in the order of their bits, named as in the configuration. */
static const char *const staff_names[] = {
	"circulation", "fines", "cataloging", "reports", "inventory"
};

/* Each task: what people call it, and what allows it. */
static const struct {
	const char	*what;
	int		 needs;
} staff_tasks[] = {
	[POLICY_TASK_CIRCULATION] = { "Loans, returns, renewals and holds",
	    POLICY_STAFF_CIRCULATION },
	[POLICY_TASK_PATRON] = { "Patron accounts",
	    POLICY_STAFF_CIRCULATION },
	[POLICY_TASK_FEE] = { "Fee payments", POLICY_STAFF_FINES },
	[POLICY_TASK_ITEM_INFO] = { "Item information",
	    POLICY_STAFF_CIRCULATION | POLICY_STAFF_CATALOGING |
	    POLICY_STAFF_INVENTORY },
	[POLICY_TASK_ITEM_UPDATE] = { "Item status updates",
	    POLICY_STAFF_CATALOGING | POLICY_STAFF_INVENTORY },
	/*
	 * XXX No task needs POLICY_STAFF_REPORTS: the gateway serves no
	 * reports yet, so that permission alone lets a staff member sign on
	 * and do nothing.
	 */
};

/* Return the staff permissions any one of which allows a task, or 0. */
int
policy_staff_needs(enum policy_task task)
{
	if ((size_t)task >= sizeof(staff_tasks) / sizeof(staff_tasks[0]))
		return (0);
	return (staff_tasks[task].needs);
}

/* Write the names of permission bits into buf, joined by sep. */
char *
policy_staff_names(int bits, const char *sep, char *buf, size_t len)
{
	size_t	 i, n = 0;
	int	 first = 1;

	if (len == 0)
		return (buf);
	buf[0] = '\0';
	for (i = 0; i < sizeof(staff_names) / sizeof(staff_names[0]); i++) {
		if (!(bits & (1 << i)))
			continue;
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%s",
		    first ? "" : sep, staff_names[i]);
		if (n >= len)
			return (buf);
		first = 0;
	}
	if (first)
		snprintf(buf, len, "none");
	return (buf);
}

/*
 * May staff holding these permissions at a partner do a task there?  A
 * task with no permission that allows it (an unknown one) is refused.
 */
int
policy_staff_allows(int held, enum policy_task task, const char *partner,
    struct policy_decision *dec)
{
	char	 names[64];
	int	 needs = policy_staff_needs(task);

	memset(dec, 0, sizeof(*dec));
	if (needs != 0 && (held & needs) != 0) {
		dec->allow = 1;
		dec->reason = POLICY_OK;
		dec->audit = "allowed";
		return (1);
	}
	dec->allow = 0;
	dec->reason = POLICY_E_STAFF_PERMISSION;
	dec->audit = "staff-permission";
	if (needs == 0) {
		snprintf(dec->message, sizeof(dec->message), "Staff may not "
		    "do that at %s.", partner);
		return (0);
	}
	policy_staff_names(needs, " or ", names, sizeof(names));
	snprintf(dec->message, sizeof(dec->message), "%s at %s need the %s "
	    "permission; you do not hold it there.", staff_tasks[task].what,
	    partner, names);
	return (0);
}
