/* SPDX-License-Identifier: ISC */
/*
 * Routing: whose patron, whose item, whose institution, by the barcode
 * patterns and institution ids each partner configures.
 */

#include "config.h"

#include <sys/queue.h>

#include <fnmatch.h>
#include <string.h>

#include "circlinkd.h"
#include "idstore.h"

static int
route_match(char *const *patterns, int n, const char *barcode)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (fnmatch(patterns[i], barcode, 0) == 0)
			return (1);
	return (0);
}

/*
 * Return the partner owning a patron barcode: the one whose patterns
 * match it, else the one at which the identity store knows it (a card
 * linked under a number no pattern foresees), or NULL if none claims it.
 */
struct conf_partner *
route_patron(const struct conf *conf, const char *barcode)
{
	struct conf_partner	*p;
	struct idstore_ref	 r;

	if (barcode == NULL || *barcode == '\0')
		return (NULL);
	TAILQ_FOREACH(p, &conf->partners, entry)
		if (route_match(p->patron_patterns, p->npatron_patterns,
		    barcode))
			return (p);
	if (gw->store == NULL)
		return (NULL);
	TAILQ_FOREACH(p, &conf->partners, entry)
		if (idstore_find_barcode(gw->store, p->id, barcode, &r) ==
		    IDSTORE_OK)
			return (p);
	return (NULL);
}

/* Return the partner owning an item barcode, or NULL if none claims it. */
struct conf_partner *
route_item(const struct conf *conf, const char *barcode)
{
	struct conf_partner	*p;

	if (barcode == NULL || *barcode == '\0')
		return (NULL);
	TAILQ_FOREACH(p, &conf->partners, entry)
		if (route_match(p->item_patterns, p->nitem_patterns, barcode))
			return (p);
	return (NULL);
}

/* Return the partner an institution id (SIP2 AO) belongs to, or NULL. */
struct conf_partner *
route_institution(const struct conf *conf, const char *inst)
{
	struct conf_partner	*p;
	int			 i;

	if (inst == NULL || *inst == '\0')
		return (NULL);
	TAILQ_FOREACH(p, &conf->partners, entry)
		for (i = 0; i < p->ninstitutions; i++)
			if (strcmp(p->institutions[i], inst) == 0)
				return (p);
	return (NULL);
}

/* Return the running backend of a partner id, or NULL if it has none. */
struct backend *
route_backend(const char *id)
{
	struct partner_rt	*rt;

	TAILQ_FOREACH(rt, &gw->partners, entry)
		if (strcmp(rt->id, id) == 0)
			return (rt->backend);
	return (NULL);
}

/* Return the running NCIP backend of a partner id, or NULL if it has none. */
struct ncip_backend *
route_ncip_backend(const char *id)
{
	struct partner_rt	*rt;

	TAILQ_FOREACH(rt, &gw->partners, entry)
		if (strcmp(rt->id, id) == 0)
			return (rt->ncip);
	return (NULL);
}
