/* SPDX-License-Identifier: ISC */
/*
 * The request tracker's pure part: which event may happen in which state,
 * and how a request is written as a record value.  No I/O, so that the
 * life of a request can be tested alone.
 */

#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tracker.h"

#define TRACKER_VERSION	"1"

static const char *const tracker_states[TRACKER_STATE__COUNT] = {
	"placing", "placed", "in-transit", "received", "loaned", "returned",
	"completed", "cancelled",
};

static const char *const tracker_events[TRACKER_EV__COUNT] = {
	"place", "trap", "receive", "loan", "return", "complete", "cancel",
	"expire",
};

static const char *const tracker_whos[] = {
	"-", "patron", "owner", "pickup", "staff", "expiry", "gateway",
};

/*
 * The life of a request: the state each event leads to from each state,
 * -1 where it cannot happen.  A loan returned at the owner's own desk
 * completes at once; a request lent or on its way home can no longer be
 * cancelled, only brought back.
 */
static const signed char tracker_table[TRACKER_STATE__COUNT]
    [TRACKER_EV__COUNT] = {
	/* Columns: place trap receive loan return complete cancel expire. */
	[TRACKER_NONE] = { TRACKER_PLACED, -1, -1, -1, -1, -1,
	    TRACKER_CANCELLED, -1 },
	[TRACKER_PLACED] = { -1, TRACKER_IN_TRANSIT, -1, -1, -1, -1,
	    TRACKER_CANCELLED, TRACKER_CANCELLED },
	[TRACKER_IN_TRANSIT] = { -1, -1, TRACKER_RECEIVED, -1, -1, -1,
	    TRACKER_CANCELLED, -1 },
	[TRACKER_RECEIVED] = { -1, -1, -1, TRACKER_LOANED, -1, -1,
	    TRACKER_CANCELLED, TRACKER_CANCELLED },
	[TRACKER_LOANED] = { -1, -1, -1, -1, TRACKER_RETURNED,
	    TRACKER_COMPLETED, -1, -1 },
	[TRACKER_RETURNED] = { -1, -1, -1, -1, -1, TRACKER_COMPLETED, -1,
	    -1 },
	[TRACKER_COMPLETED] = { -1, -1, -1, -1, -1, -1, -1, -1 },
	[TRACKER_CANCELLED] = { -1, -1, -1, -1, -1, -1, -1, -1 },
};

/* The state an event leads to, whichever state it happens in. */
static const signed char tracker_target[TRACKER_EV__COUNT] = {
	TRACKER_PLACED, TRACKER_IN_TRANSIT, TRACKER_RECEIVED, TRACKER_LOANED,
	TRACKER_RETURNED, TRACKER_COMPLETED, TRACKER_CANCELLED,
	TRACKER_CANCELLED,
};

/* The state an event leads to from s, s itself for a repeat, or -1. */
int
tracker_next(enum tracker_state s, enum tracker_event ev)
{
	if ((int)s < 0 || s >= TRACKER_STATE__COUNT || (int)ev < 0 ||
	    ev >= TRACKER_EV__COUNT)
		return (-1);
	if (tracker_repeat(s, ev))
		return (s);
	return (tracker_table[s][ev]);
}

/* Return 1 if ev in s is the event that led to s, seen again. */
int
tracker_repeat(enum tracker_state s, enum tracker_event ev)
{
	if ((int)s <= 0 || s >= TRACKER_STATE__COUNT || (int)ev < 0 ||
	    ev >= TRACKER_EV__COUNT)
		return (0);
	/* A loan completed at the owner's desk: a later return repeats. */
	if (s == TRACKER_COMPLETED && ev == TRACKER_EV_RETURN)
		return (1);
	return (tracker_target[ev] == (int)s);
}

/* Return 1 for completed and cancelled. */
int
tracker_ended(enum tracker_state s)
{
	return (s == TRACKER_COMPLETED || s == TRACKER_CANCELLED);
}

/* The name of a state, "?" for none. */
const char *
tracker_state_name(int s)
{
	if (s < 0 || s >= TRACKER_STATE__COUNT)
		return ("?");
	return (tracker_states[s]);
}

/* The name of an event, "?" for none. */
const char *
tracker_event_name(int ev)
{
	if (ev < 0 || ev >= TRACKER_EV__COUNT)
		return ("?");
	return (tracker_events[ev]);
}

/* Who ended a request, "-" for no one, "?" when unknown. */
const char *
tracker_who_name(int w)
{
	if (w < 0 || (size_t)w >= sizeof(tracker_whos) /
	    sizeof(tracker_whos[0]))
		return ("?");
	return (tracker_whos[w]);
}

/* The state a name stands for, or -1. */
int
tracker_state_parse(const char *name)
{
	int	 s;

	for (s = 0; s < TRACKER_STATE__COUNT; s++)
		if (strcmp(name, tracker_states[s]) == 0)
			return (s);
	return (-1);
}

/* Apply an event to a request at time now; -1 with EINVAL if it cannot. */
int
tracker_apply(struct tracker_req *r, enum tracker_event ev, time_t now)
{
	int	 s;

	if ((s = tracker_next(r->state, ev)) == -1) {
		errno = EINVAL;
		return (-1);
	}
	if (s == (int)r->state)
		return (0);
	r->state = s;
	r->at[s] = now;
	return (0);
}

/* Write "key=value\n" at *off; -1 when it does not fit. */
static int
tracker_put(char *buf, size_t len, size_t *off, const char *key,
    const char *value)
{
	const unsigned char	*p;
	int			 n;

	for (p = (const unsigned char *)value; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f) {
			errno = EINVAL;
			return (-1);
		}
	n = snprintf(buf + *off, len - *off, "%s=%s\n", key, value);
	if (n < 0 || (size_t)n >= len - *off) {
		errno = ENOSPC;
		return (-1);
	}
	*off += n;
	return (0);
}

static int
tracker_put_time(char *buf, size_t len, size_t *off, const char *key,
    time_t t)
{
	char	 v[32];

	snprintf(v, sizeof(v), "%lld", (long long)t);
	return (tracker_put(buf, len, off, key, v));
}

/* The string members, by the key each is written under. */
#define TRACKER_STRS(r) { \
	{ "home", (r)->home }, { "patron", (r)->patron }, \
	{ "owner", (r)->owner }, { "account", (r)->account }, \
	{ "item", (r)->item }, { "title", (r)->title }, \
	{ "bib", (r)->bib }, { "pickup-partner", (r)->pickup_partner }, \
	{ "pickup", (r)->pickup }, { "delivery", (r)->delivery }, \
	{ "owner-request", (r)->owner_request }, \
	{ "temp-item", (r)->temp_item }, { "reason", (r)->reason }, \
}

struct tracker_field {
	const char	*key;
	char		*value;
};

/* Write a request as a record value; its length, or -1 with errno. */
int
tracker_encode(const struct tracker_req *r, char *buf, size_t len)
{
	struct tracker_req	*w = (struct tracker_req *)(uintptr_t)r;
	struct tracker_field	 f[] = TRACKER_STRS(w);
	char			 key[32];
	size_t			 off = 0, i;

	if (len == 0) {
		errno = ENOSPC;
		return (-1);
	}
	buf[0] = '\0';
	if (tracker_put(buf, len, &off, "v", TRACKER_VERSION) == -1 ||
	    tracker_put(buf, len, &off, "state",
	    tracker_state_name(r->state)) == -1 ||
	    tracker_put(buf, len, &off, "by",
	    tracker_who_name(r->cancelled_by)) == -1 ||
	    tracker_put_time(buf, len, &off, "expires", r->expires) == -1)
		return (-1);
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i].value[0] != '\0' &&
		    tracker_put(buf, len, &off, f[i].key, f[i].value) == -1)
			return (-1);
	for (i = 1; i < TRACKER_STATE__COUNT; i++) {
		if (r->at[i] == 0)
			continue;
		snprintf(key, sizeof(key), "at-%s", tracker_states[i]);
		if (tracker_put_time(buf, len, &off, key, r->at[i]) == -1)
			return (-1);
	}
	return ((int)off);
}

/* Read a decimal time; -1 when it is not one. */
static int
tracker_get_time(const char *v, time_t *t)
{
	char		*end;
	long long	 n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n < 0)
		return (-1);
	*t = (time_t)n;
	return (0);
}

/* Take one "key=value" line into r; -1 when it is not one of ours. */
static int
tracker_take(struct tracker_req *r, const char *key, const char *v)
{
	struct tracker_field	 f[] = TRACKER_STRS(r);
	size_t			 i;
	int			 s;

	if (strcmp(key, "v") == 0)
		return (strcmp(v, TRACKER_VERSION) == 0 ? 0 : -1);
	/* A record placing (written ahead of the owner's answer) too. */
	if (strcmp(key, "state") == 0) {
		if ((s = tracker_state_parse(v)) < 0)
			return (-1);
		r->state = s;
		return (0);
	}
	if (strcmp(key, "by") == 0) {
		for (i = 0; i < sizeof(tracker_whos) / sizeof(tracker_whos[0]);
		    i++)
			if (strcmp(v, tracker_whos[i]) == 0) {
				r->cancelled_by = i;
				return (0);
			}
		return (-1);
	}
	if (strcmp(key, "expires") == 0)
		return (tracker_get_time(v, &r->expires));
	if (strncmp(key, "at-", 3) == 0) {
		if ((s = tracker_state_parse(key + 3)) <= 0)
			return (-1);
		return (tracker_get_time(v, &r->at[s]));
	}
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (strcmp(key, f[i].key) == 0) {
			if (strlen(v) >= TRACKER_STR_MAX)
				return (-1);
			snprintf(f[i].value, TRACKER_STR_MAX, "%s", v);
			return (0);
		}
	return (-1);
}

/* Read a record value back into r; -1 with EINVAL if it is not one. */
int
tracker_decode(struct tracker_req *r, const void *value, size_t len)
{
	const char	*p = value, *end = p + len, *nl, *eq;
	char		 line[TRACKER_STR_MAX + 40];
	uint8_t		 id[TRACKER_ID_LEN];
	int		 version = 0, state = 0;

	memcpy(id, r->id, sizeof(id));
	memset(r, 0, sizeof(*r));
	memcpy(r->id, id, sizeof(id));
	while (p < end) {
		if ((nl = memchr(p, '\n', end - p)) == NULL ||
		    (size_t)(nl - p) >= sizeof(line))
			goto bad;
		memcpy(line, p, nl - p);
		line[nl - p] = '\0';
		if (memchr(line, '\0', nl - p) != NULL ||
		    (eq = strchr(line, '=')) == NULL)
			goto bad;
		line[eq - line] = '\0';
		if (tracker_take(r, line, eq + 1) == -1)
			goto bad;
		if (strcmp(line, "v") == 0)
			version = 1;
		else if (strcmp(line, "state") == 0)
			state = 1;
		p = nl + 1;
	}
	if (!version || !state)
		goto bad;
	return (0);
bad:
	errno = EINVAL;
	return (-1);
}

/* Write an id in lower-case hex. */
void
tracker_id_hex(const uint8_t *id, char *buf)
{
	size_t	 i;

	for (i = 0; i < TRACKER_ID_LEN; i++)
		snprintf(buf + 2 * i, 3, "%02x", id[i]);
}

/* Read an id from hex, either case; -1 when it is not TRACKER_HEX_LEN. */
int
tracker_id_parse(const char *s, uint8_t *id)
{
	size_t	 i;
	int	 hi, lo;

	if (strlen(s) != TRACKER_HEX_LEN)
		return (-1);
	for (i = 0; i < TRACKER_ID_LEN; i++) {
		if (!isxdigit((unsigned char)s[2 * i]) ||
		    !isxdigit((unsigned char)s[2 * i + 1]))
			return (-1);
		hi = isdigit((unsigned char)s[2 * i]) ? s[2 * i] - '0' :
		    tolower((unsigned char)s[2 * i]) - 'a' + 10;
		lo = isdigit((unsigned char)s[2 * i + 1]) ?
		    s[2 * i + 1] - '0' :
		    tolower((unsigned char)s[2 * i + 1]) - 'a' + 10;
		id[i] = hi << 4 | lo;
	}
	return (0);
}
