/* SPDX-License-Identifier: ISC */
/*
 * The terms one partner sets toward another, and the questions one side's
 * terms answer alone: is a class excluded, an item withheld, a link
 * allowed, a limit set.  policy.c combines both sides into decisions.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy.h"

static void	 free_list(char **, int *);
static int	 fold(int);
static int	 class_in(char *const *, int, const char *);
static int	 withheld_by(char *const *, int, const char *, int *);

/* Set terms to their defaults: not accepted, counts only, no links. */
void
policy_terms_init(struct policy_terms *t)
{
	memset(t, 0, sizeof(*t));
}

static void
free_list(char **list, int *n)
{
	int	 i;

	for (i = 0; i < *n; i++)
		free(list[i]);
	*n = 0;
}

/* Free the strings terms hold and set them to their defaults again. */
void
policy_terms_clear(struct policy_terms *t)
{
	int	 i;

	free_list(t->exclude, &t->nexclude);
	free_list(t->withhold_collection, &t->nwithhold_collection);
	free_list(t->withhold_type, &t->nwithhold_type);
	free_list(t->withhold_location, &t->nwithhold_location);
	free_list(t->link_classes, &t->nlink_classes);
	for (i = 0; i < t->nlimits; i++)
		free(t->limits[i].pclass);
	policy_terms_init(t);
}

/* ASCII case folding: codes are ASCII, and the locale must not matter. */
static int
fold(int c)
{
	return (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

/*
 * Return 1 if a pattern ('*' matches any run, even an empty one) matches
 * s, ignoring case.  After a mismatch the last '*' takes one more
 * character, which is enough for a pattern with '*' as its only special.
 */
int
policy_terms_match(const char *pat, const char *s)
{
	const char	*star = NULL, *resume = NULL;

	while (*s != '\0') {
		if (*pat == '*') {
			star = pat++;
			resume = s;
		} else if (*pat != '\0' &&
		    fold((unsigned char)*pat) == fold((unsigned char)*s)) {
			pat++;
			s++;
		} else if (star != NULL) {
			pat = star + 1;
			s = ++resume;
		} else
			return (0);
	}
	while (*pat == '*')
		pat++;
	return (*pat == '\0');
}

static int
class_in(char *const *list, int n, const char *pclass)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (strcasecmp(list[i], pclass) == 0)
			return (1);
	return (0);
}

/*
 * Return 1 if the terms exclude a class.  A class the home ILS did not
 * tell is excluded whenever any class is, so that a patron is never shown
 * by mistake.
 */
int
policy_terms_excludes(const struct policy_terms *t, const char *pclass)
{
	if (t == NULL || t->nexclude == 0)
		return (0);
	if (pclass == NULL)
		return (1);
	return (class_in(t->exclude, t->nexclude, pclass));
}

/* Return 1 if a pattern of the list matches fact; note a fact not told. */
static int
withheld_by(char *const *list, int n, const char *fact, int *unknown)
{
	int	 i;

	if (n > 0 && fact == NULL)
		*unknown = 1;
	for (i = 0; fact != NULL && i < n; i++)
		if (policy_terms_match(list[i], fact))
			return (1);
	return (0);
}

/*
 * Return 1 if the terms withhold the item from the other's patrons, 0 if
 * not, -1 if that depends on a fact the item lacks.  A fact that matches
 * decides even when another is missing.
 */
int
policy_terms_withholds(const struct policy_terms *t,
    const struct policy_item *item)
{
	int	 unknown = 0;

	if (t == NULL)
		return (0);
	if (withheld_by(t->withhold_collection, t->nwithhold_collection,
	    item->collection, &unknown) ||
	    withheld_by(t->withhold_type, t->nwithhold_type, item->type,
	    &unknown) ||
	    withheld_by(t->withhold_location, t->nwithhold_location,
	    item->location, &unknown))
		return (1);
	return (unknown ? -1 : 0);
}

/* Return 1 if the other's patrons of a class may have accounts here. */
int
policy_terms_links(const struct policy_terms *t, const char *pclass)
{
	if (t == NULL || !t->link)
		return (0);
	if (t->nlink_classes == 0)
		return (1);
	if (pclass == NULL)
		return (0);
	return (class_in(t->link_classes, t->nlink_classes, pclass));
}

/* Return the limit for the other's patrons of a class, or NULL. */
const struct policy_limit *
policy_terms_limit(const struct policy_terms *t, const char *pclass)
{
	int	 i;

	if (t == NULL || pclass == NULL)
		return (NULL);
	for (i = 0; i < t->nlimits; i++)
		if (strcasecmp(t->limits[i].pclass, pclass) == 0)
			return (&t->limits[i]);
	return (NULL);
}
