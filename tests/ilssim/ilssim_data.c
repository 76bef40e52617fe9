/* SPDX-License-Identifier: ISC */
/*
 * The simulated ILS's state: the data file loader, lookups, and the
 * circulation operations that every protocol front (SIP2, NCIP) maps onto.
 * Nothing here knows a wire format.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ilssim.h"

#define DATA_LINE_MAX	4096		/* longest line in a data file */
#define DATA_VALUE_MAX	SIP2_FIELD_MAX	/* longest value */
#define DATA_POS_MAX	9999		/* highest hold queue position */
#define DAY		86400
#define HOLD_DAYS	180		/* default hold expiry */
#define MONEY_MAX	100000000L	/* a million, in cents */
#define DESC_MAX	200		/* generated fee descriptions */

/* A word of a record: key=value, or a bare value when key is NULL. */
struct tok {
	char		*key;
	char		*val;
};

/* One record: a keyword line and its indented continuation lines. */
struct rec {
	int		 line;
	int		 kind;
	struct tok	*toks;
	size_t		 ntoks;
	size_t		 cap;
};

/* The loader's working state. */
struct load {
	struct ilssim_state	*st;
	const char		*path;
	char			*err;
	size_t			 errlen;
	time_t			 now;
	struct rec		*recs;
	size_t			 nrecs;
	size_t			 reccap;
	long			 nholds;
	int			 ncip_seen;
};

enum {
	K_INSTITUTION,
	K_ACCOUNT,
	K_LOCATION,
	K_CLASS,
	K_PATRON,
	K_ITEM,
	K_FEE,
	K_LOAN,
	K_HOLD,
	K_NCIP,
	K__COUNT
};

static const char *kinds[K__COUNT] = {
	"institution", "account", "location", "class", "patron", "item",
	"fee", "loan", "hold", "ncip"
};

/* A name for a code in the data file; codes may be written either way. */
struct named {
	const char	*name;
	int		 code;
};

static const struct named block_names[ILSSIM_B_COUNT] = {
	{ "charge-denied",		ILSSIM_B_CHARGE_DENIED },
	{ "renewal-denied",		ILSSIM_B_RENEWAL_DENIED },
	{ "recall-denied",		ILSSIM_B_RECALL_DENIED },
	{ "hold-denied",		ILSSIM_B_HOLD_DENIED },
	{ "card-lost",			ILSSIM_B_CARD_LOST },
	{ "too-many-charged",		ILSSIM_B_TOO_MANY_CHARGED },
	{ "too-many-overdue",		ILSSIM_B_TOO_MANY_OVERDUE },
	{ "too-many-renewals",		ILSSIM_B_TOO_MANY_RENEWALS },
	{ "too-many-claims-returned",	ILSSIM_B_TOO_MANY_CLAIMS },
	{ "too-many-lost",		ILSSIM_B_TOO_MANY_LOST },
	{ "excessive-fines",		ILSSIM_B_EXCESSIVE_FINES },
	{ "excessive-fees",		ILSSIM_B_EXCESSIVE_FEES },
	{ "recall-overdue",		ILSSIM_B_RECALL_OVERDUE },
	{ "too-many-billed",		ILSSIM_B_TOO_MANY_BILLED },
};

static const struct named status_names[] = {
	{ "other",		ILSSIM_ST_OTHER },
	{ "on-order",		ILSSIM_ST_ON_ORDER },
	{ "available",		ILSSIM_ST_AVAILABLE },
	{ "in-process",		ILSSIM_ST_IN_PROCESS },
	{ "reshelving",		ILSSIM_ST_RESHELVING },
	{ "in-transit",		ILSSIM_ST_IN_TRANSIT },
	{ "claimed-returned",	ILSSIM_ST_CLAIMED },
	{ "lost",		ILSSIM_ST_LOST },
	{ "missing",		ILSSIM_ST_MISSING },
	{ NULL,			0 }
};

static const struct named fee_names[] = {
	{ "other",		1 },
	{ "administrative",	2 },
	{ "damage",		3 },
	{ "overdue",		4 },
	{ "processing",		5 },
	{ "rental",		6 },
	{ "replacement",	7 },
	{ "computer-access",	8 },
	{ "hold-fee",		9 },
	{ NULL,			0 }
};

static const struct named media_names[] = {
	{ "other",		0 },
	{ "book",		1 },
	{ "magazine",		2 },
	{ "bound-journal",	3 },
	{ "audio-tape",		4 },
	{ "video-tape",		5 },
	{ "cd",			6 },
	{ "diskette",		7 },
	{ "book-with-diskette",	8 },
	{ "book-with-cd",	9 },
	{ "book-with-audio-tape", 10 },
	{ NULL,			0 }
};

static const struct named language_names[] = {
	{ "unknown",	0 },
	{ "english",	1 },
	{ "french",	2 },
	{ "german",	3 },
	{ "italian",	4 },
	{ "dutch",	5 },
	{ "swedish",	6 },
	{ "finnish",	7 },
	{ "spanish",	8 },
	{ "danish",	9 },
	{ "portuguese",	10 },
	{ NULL,		0 }
};

static const char *res_text[] = {
	[ILSSIM_OK] = "OK",
	[ILSSIM_E_NO_PATRON] = "Patron not found",
	[ILSSIM_E_BAD_PIN] = "Invalid patron PIN",
	[ILSSIM_E_NO_ITEM] = "Item not found",
	[ILSSIM_E_NO_TITLE] = "Title not found",
	[ILSSIM_E_BLOCKED] = "Patron account is blocked",
	[ILSSIM_E_CARD_LOST] = "Card reported lost",
	[ILSSIM_E_EXPIRED] = "Patron card has expired",
	[ILSSIM_E_FINES] = "Patron owes more than the fee limit",
	[ILSSIM_E_OVERDUE] = "Patron has too many overdue items",
	[ILSSIM_E_DENIED] = "Privilege denied for this patron",
	[ILSSIM_E_LIMIT] = "Checkout limit reached",
	[ILSSIM_E_HOLD_LIMIT] = "Hold limit reached",
	[ILSSIM_E_RENEW_LIMIT] = "Renewal limit reached",
	[ILSSIM_E_ON_LOAN] = "Item is checked out to another patron",
	[ILSSIM_E_ON_HOLD] = "Item is on hold for another patron",
	[ILSSIM_E_UNAVAILABLE] = "Item is not available for loan",
	[ILSSIM_E_NOT_ON_LOAN] = "Item is not checked out to this patron",
	[ILSSIM_E_FEE_ACK] = "Rental fee must be acknowledged",
	[ILSSIM_E_NO_HOLD] = "No such hold",
	[ILSSIM_E_HOLD_EXISTS] = "Patron already has a hold on this",
	[ILSSIM_E_HAS_ITEM] = "Patron already has this item",
	[ILSSIM_E_NO_LOCATION] = "Unknown pickup location",
	[ILSSIM_E_NO_FEE] = "Unknown fee id",
	[ILSSIM_E_OVERPAY] = "Payment exceeds the amount owed",
	[ILSSIM_E_AMOUNT] = "Invalid payment amount",
	[ILSSIM_E_CURRENCY] = "Currency not accepted",
	[ILSSIM_E_NOMEM] = "System error, try again",
	[ILSSIM_E_PATRON_EXISTS] = "A patron has this barcode already",
	[ILSSIM_E_ITEM_EXISTS] = "An item has this barcode already",
	[ILSSIM_E_BAD_VALUE] = "Invalid value",
};

/* The NCIP versions an ncip record may name. */
static const struct {
	const char	*name;
	int		 version;
	const char	*url;
} ncip_versions[] = {
	{ "2.02",	2,	NCIP_V2_02 },
	{ "2.01",	2,	NCIP_V2_01 },
	{ "2.0",	2,	NCIP_V2_0 },
	{ "1.01",	1,	NCIP_V1_01 },
	{ "1.0",	1,	NCIP_V1_0 },
	{ NULL,		0,	NULL }
};

static void	 patron_free(struct ilssim_patron *);
static void	 item_free(struct ilssim_item *);
static void	 hold_unlink(struct ilssim_hold *);

/* --- hash tables ------------------------------------------------------ */

static uint32_t
hash_str(const char *s, int nocase)
{
	uint32_t	 h = 2166136261u;
	unsigned char	 c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (nocase)
			c = (unsigned char)tolower(c);
		h ^= c;
		h *= 16777619u;
	}
	return h;
}

static int
hash_eq(const struct ilssim_hash *h, const char *a, const char *b)
{
	return h->nocase ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

static void *
hash_get(const struct ilssim_hash *h, const char *key)
{
	size_t	 i, mask;

	if (h->cap == 0)
		return NULL;
	mask = h->cap - 1;
	for (i = hash_str(key, h->nocase) & mask; h->v[i].key != NULL;
	    i = (i + 1) & mask)
		if (hash_eq(h, h->v[i].key, key))
			return h->v[i].val;
	return NULL;
}

static void
hash_insert(struct ilssim_hent *v, size_t cap, const char *key, void *val,
    int nocase)
{
	size_t	 i, mask = cap - 1;

	for (i = hash_str(key, nocase) & mask; v[i].key != NULL;
	    i = (i + 1) & mask)
		;
	v[i].key = key;
	v[i].val = val;
}

/* Add key; returns 1 if it was there already, -1 on no memory. */
static int
hash_put(struct ilssim_hash *h, const char *key, void *val)
{
	struct ilssim_hent	*nv;
	size_t			 i, ncap;

	if (hash_get(h, key) != NULL)
		return 1;
	if ((h->n + 1) * 2 > h->cap) {
		ncap = h->cap == 0 ? 64 : h->cap * 2;
		if ((nv = calloc(ncap, sizeof(*nv))) == NULL)
			return -1;
		for (i = 0; i < h->cap; i++)
			if (h->v[i].key != NULL)
				hash_insert(nv, ncap, h->v[i].key,
				    h->v[i].val, h->nocase);
		free(h->v);
		h->v = nv;
		h->cap = ncap;
	}
	hash_insert(h->v, h->cap, key, val, h->nocase);
	h->n++;
	return 0;
}

/* Remove key, moving later entries of its run back into the gap. */
static void
hash_del(struct ilssim_hash *h, const char *key)
{
	size_t	 i, j, k, mask;

	if (h->cap == 0)
		return;
	mask = h->cap - 1;
	for (i = hash_str(key, h->nocase) & mask; h->v[i].key != NULL;
	    i = (i + 1) & mask)
		if (hash_eq(h, h->v[i].key, key))
			break;
	if (h->v[i].key == NULL)
		return;
	h->v[i].key = NULL;
	h->v[i].val = NULL;
	h->n--;
	for (j = (i + 1) & mask; h->v[j].key != NULL; j = (j + 1) & mask) {
		k = hash_str(h->v[j].key, h->nocase) & mask;
		/* Leave an entry whose home lies cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		h->v[i] = h->v[j];
		h->v[j].key = NULL;
		h->v[j].val = NULL;
		i = j;
	}
}

/* --- small helpers ---------------------------------------------------- */

static int
named_find(const struct named *t, const char *s, int *code)
{
	for (; t->name != NULL; t++) {
		if (strcasecmp(t->name, s) == 0) {
			*code = t->code;
			return 0;
		}
	}
	return -1;
}

/* Parse a code written as digits (exactly width of them) or by name. */
static int
code_parse(const struct named *t, const char *s, size_t width, int *code)
{
	size_t	 i;

	if (strlen(s) == width) {
		for (i = 0; i < width; i++)
			if (!isdigit((unsigned char)s[i]))
				break;
		if (i == width) {
			*code = atoi(s);
			return 0;
		}
	}
	return named_find(t, s, code);
}

static time_t
end_of_day(time_t t, int days)
{
	struct tm	 tm;

	localtime_r(&t, &tm);
	tm.tm_mday += days;
	tm.tm_hour = 23;
	tm.tm_min = 59;
	tm.tm_sec = 59;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/*
 * Parse a data file date: YYYY-MM-DD, or "today" with terms like -10d,
 * +2m, -11y.  The result is the end of that day, local time.
 */
static int
date_parse(const char *s, time_t now, time_t *out)
{
	struct tm	 tm;
	int		 y, m, d, n, sign;
	char		 unit, c;

	if (strncmp(s, "today", 5) == 0) {
		localtime_r(&now, &tm);
		s += 5;
		while (*s != '\0') {
			if (*s != '+' && *s != '-')
				return -1;
			sign = *s++ == '-' ? -1 : 1;
			if (!isdigit((unsigned char)*s))
				return -1;
			for (n = 0; isdigit((unsigned char)*s); s++) {
				if (n > 100000)
					return -1;
				n = n * 10 + (*s - '0');
			}
			unit = *s != '\0' && isalpha((unsigned char)*s) ?
			    *s++ : 'd';
			if (unit == 'd')
				tm.tm_mday += sign * n;
			else if (unit == 'm')
				tm.tm_mon += sign * n;
			else if (unit == 'y')
				tm.tm_year += sign * n;
			else
				return -1;
		}
	} else {
		if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &c) != 3 ||
		    strlen(s) != 10 || m < 1 || m > 12 || d < 1 || d > 31)
			return -1;
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = y - 1900;
		tm.tm_mon = m - 1;
		tm.tm_mday = d;
	}
	tm.tm_hour = 23;
	tm.tm_min = 59;
	tm.tm_sec = 59;
	tm.tm_isdst = -1;
	if ((*out = mktime(&tm)) == (time_t)-1)
		return -1;
	return 0;
}

static int
int_parse(const char *s, int lo, int hi, int *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

static int
utf8_ok(const unsigned char *s, size_t n)
{
	size_t	 i = 0, k, len;

	while (i < n) {
		if (s[i] < 0x80) {
			if (s[i] < 0x20 || s[i] == 0x7f)
				return 0;
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0 && s[i] >= 0xc2)
			len = 2;
		else if ((s[i] & 0xf0) == 0xe0)
			len = 3;
		else if ((s[i] & 0xf8) == 0xf0 && s[i] <= 0xf4)
			len = 4;
		else
			return 0;
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		i += len;
	}
	return 1;
}

/* Copy at most max bytes of s, not cutting a UTF-8 sequence. */
static char *
strdup_cut(const char *s, size_t max)
{
	size_t	 n = strlen(s);
	char	*p;

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if ((p = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* --- reading the file ------------------------------------------------- */

static int __attribute__((__format__(__printf__, 3, 4)))
load_fail(struct load *ld, int line, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (line > 0)
		n = snprintf(ld->err, ld->errlen, "%s:%d: ", ld->path, line);
	else
		n = snprintf(ld->err, ld->errlen, "%s: ", ld->path);
	if (n < 0 || (size_t)n >= ld->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ld->err + n, ld->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static int
rec_add(struct load *ld, struct rec *r, char *key, const char *val,
    size_t len)
{
	struct tok	*nt;
	size_t		 ncap;

	if (r->ntoks == r->cap) {
		ncap = r->cap == 0 ? 8 : r->cap * 2;
		if ((nt = reallocarray(r->toks, ncap, sizeof(*nt))) == NULL)
			goto fail;
		r->toks = nt;
		r->cap = ncap;
	}
	if ((r->toks[r->ntoks].val = strndup(val, len)) == NULL)
		goto fail;
	r->toks[r->ntoks++].key = key;
	return 0;

fail:
	free(key);
	return load_fail(ld, r->line, "out of memory");
}

/* Split one line into words and add them to a record. */
static int
lex_line(struct load *ld, struct rec *r, const char *s, int line)
{
	char		 buf[DATA_VALUE_MAX + 1];
	const char	*w;
	char		*key;
	size_t		 n;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			return 0;
		key = NULL;
		if (*s != '"') {
			for (w = s; *s != '\0' && *s != ' ' && *s != '\t' &&
			    *s != '=' && *s != '"'; s++)
				;
			if (*s == '=') {
				if (s == w)
					return load_fail(ld, line,
					    "'=' without a key");
				if ((key = strndup(w, s - w)) == NULL)
					return load_fail(ld, line,
					    "out of memory");
				s++;
			} else if (*s == '"')
				return load_fail(ld, line,
				    "quote inside a word");
			else
				s = w;
		}
		n = 0;
		if (*s == '"') {
			for (s++; *s != '"'; s++) {
				if (*s == '\0') {
					free(key);
					return load_fail(ld, line,
					    "unterminated quote");
				}
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				if (n == DATA_VALUE_MAX)
					goto toolong;
				buf[n++] = *s;
			}
			s++;
			if (*s != '\0' && *s != ' ' && *s != '\t') {
				free(key);
				return load_fail(ld, line,
				    "text after a closing quote");
			}
		} else {
			for (; *s != '\0' && *s != ' ' && *s != '\t'; s++) {
				if (*s == '"') {
					free(key);
					return load_fail(ld, line,
					    "quote inside a word");
				}
				if (n == DATA_VALUE_MAX)
					goto toolong;
				buf[n++] = *s;
			}
		}
		if (!utf8_ok((unsigned char *)buf, n)) {
			free(key);
			return load_fail(ld, line,
			    "control character or invalid UTF-8");
		}
		if (rec_add(ld, r, key, buf, n) == -1)
			return -1;
	}

toolong:
	free(key);
	return load_fail(ld, line, "value longer than %d bytes",
	    DATA_VALUE_MAX);
}

static struct rec *
rec_new(struct load *ld, int line)
{
	struct rec	*nr;
	size_t		 ncap;

	if (ld->nrecs == ld->reccap) {
		ncap = ld->reccap == 0 ? 64 : ld->reccap * 2;
		if ((nr = reallocarray(ld->recs, ncap, sizeof(*nr))) == NULL)
			return NULL;
		ld->recs = nr;
		ld->reccap = ncap;
	}
	nr = &ld->recs[ld->nrecs++];
	memset(nr, 0, sizeof(*nr));
	nr->line = line;
	nr->kind = -1;
	return nr;
}

static int
load_read(struct load *ld)
{
	FILE		*fp;
	char		*line = NULL;
	const char	*p;
	size_t		 cap = 0;
	ssize_t		 len;
	struct rec	*cur = NULL;
	int		 lineno = 0, rc = -1;

	if ((fp = fopen(ld->path, "r")) == NULL)
		return load_fail(ld, 0, "%s", strerror(errno));
	while ((len = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if (len > DATA_LINE_MAX) {
			load_fail(ld, lineno, "line longer than %d bytes",
			    DATA_LINE_MAX);
			goto out;
		}
		if (memchr(line, '\0', len) != NULL) {
			load_fail(ld, lineno, "NUL byte");
			goto out;
		}
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		if (p == line) {
			if ((cur = rec_new(ld, lineno)) == NULL) {
				load_fail(ld, lineno, "out of memory");
				goto out;
			}
		} else if (cur == NULL) {
			load_fail(ld, lineno, "indented line outside a record");
			goto out;
		}
		if (lex_line(ld, cur, line, lineno) == -1)
			goto out;
	}
	if (ferror(fp)) {
		load_fail(ld, lineno, "%s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(line);
	fclose(fp);
	return rc;
}

/* --- interpreting records --------------------------------------------- */

/*
 * Collect a record's values that have no key: av[0] is the keyword, then
 * exactly want more.  Returns -1 when there are more or fewer.
 */
static int
rec_args(struct rec *r, size_t want, struct tok **av)
{
	size_t	 k, n = 0;

	for (k = 0; k < r->ntoks; k++) {
		if (r->toks[k].key != NULL)
			continue;
		if (n > want)
			return -1;
		av[n++] = &r->toks[k];
	}
	return n == want + 1 ? 0 : -1;
}

/* Move a token's value into *dst, refusing a key given twice. */
static int
take(struct load *ld, struct rec *r, struct tok *t, char **dst)
{
	if (*dst != NULL)
		return load_fail(ld, r->line, "%s given twice",
		    t->key != NULL ? t->key : "value");
	*dst = t->val;
	t->val = NULL;
	return 0;
}

static int
bad_key(struct load *ld, struct rec *r, struct tok *t)
{
	return load_fail(ld, r->line, "unknown key '%s' in %s record",
	    t->key, kinds[r->kind]);
}

static int
bad_value(struct load *ld, struct rec *r, struct tok *t)
{
	return load_fail(ld, r->line, "bad value '%s' for %s", t->val,
	    t->key != NULL ? t->key : kinds[r->kind]);
}

static const char *
location_code(struct ilssim_state *st, const char *code)
{
	const struct ilssim_location	*l;

	l = ilssim_data_location(st, code);
	return l != NULL ? l->code : NULL;
}

static int
load_institution(struct load *ld, struct rec *r)
{
	struct ilssim_state	*st = ld->st;
	struct tok		*t;
	size_t			 i;
	struct tok		*av[3];

	if (st->institution != NULL)
		return load_fail(ld, r->line, "second institution record");
	if (rec_args(r, 2, av) == -1)
		return load_fail(ld, r->line,
		    "usage: institution ID \"LIBRARY NAME\" [currency=USD]");
	if (take(ld, r, av[1], &st->institution) == -1 ||
	    take(ld, r, av[2], &st->library) == -1)
		return -1;
	for (i = 0; i < r->ntoks; i++) {
		t = &r->toks[i];
		if (t->key == NULL)
			continue;
		if (strcmp(t->key, "currency") == 0) {
			if (strlen(t->val) != 3)
				return bad_value(ld, r, t);
			memcpy(st->currency, t->val, 4);
		} else
			return bad_key(ld, r, t);
	}
	return 0;
}

static int
load_account(struct load *ld, struct rec *r)
{
	struct ilssim_state	*st = ld->st;
	struct ilssim_account	*a, *na;
	struct tok		*t;
	size_t			 i;
	struct tok		*av[3];

	if (rec_args(r, 2, av) == -1)
		return load_fail(ld, r->line,
		    "usage: account LOGIN PASSWORD [key=value ...]");
	if ((na = reallocarray(st->accounts, st->naccounts + 1,
	    sizeof(*na))) == NULL)
		return load_fail(ld, r->line, "out of memory");
	st->accounts = na;
	a = &st->accounts[st->naccounts++];
	memset(a, 0, sizeof(*a));
	a->wire.charset = SIP2_CS_UTF8;
	a->wire.term = SIP2_TERM_CR;
	a->wire.delim = '|';
	if (take(ld, r, av[1], &a->login) == -1 ||
	    take(ld, r, av[2], &a->password) == -1)
		return -1;
	for (i = 0; i < st->naccounts - 1; i++)
		if (strcmp(st->accounts[i].login, a->login) == 0)
			return load_fail(ld, r->line, "account %s twice",
			    a->login);
	for (i = 0; i < r->ntoks; i++) {
		t = &r->toks[i];
		if (t->key == NULL)
			continue;
		if (strcmp(t->key, "terminator") == 0) {
			if (strcasecmp(t->val, "CR") == 0)
				a->wire.term = SIP2_TERM_CR;
			else if (strcasecmp(t->val, "CRLF") == 0)
				a->wire.term = SIP2_TERM_CRLF;
			else if (strcasecmp(t->val, "LF") == 0)
				a->wire.term = SIP2_TERM_LF;
			else
				return bad_value(ld, r, t);
		} else if (strcmp(t->key, "charset") == 0) {
			if (sip2_charset_from_name(t->val,
			    &a->wire.charset) == -1)
				return bad_value(ld, r, t);
		} else if (strcmp(t->key, "location") == 0) {
			if (take(ld, r, t, &a->location) == -1)
				return -1;
		} else
			return bad_key(ld, r, t);
	}
	return 0;
}

static int
load_location(struct load *ld, struct rec *r)
{
	struct ilssim_state	*st = ld->st;
	struct ilssim_location	*l, *nl;
	struct tok		*t;
	size_t			 i;
	struct tok		*av[3];

	if (rec_args(r, 2, av) == -1)
		return load_fail(ld, r->line,
		    "usage: location CODE \"NAME\"");
	for (i = 0; i < r->ntoks; i++)
		if (r->toks[i].key != NULL)
			return bad_key(ld, r, &r->toks[i]);
	t = av[1];
	if (ilssim_data_location(st, t->val) != NULL)
		return load_fail(ld, r->line, "location %s twice", t->val);
	if ((nl = reallocarray(st->locations, st->nlocations + 1,
	    sizeof(*nl))) == NULL)
		return load_fail(ld, r->line, "out of memory");
	st->locations = nl;
	l = &st->locations[st->nlocations++];
	memset(l, 0, sizeof(*l));
	if (take(ld, r, t, &l->code) == -1 ||
	    take(ld, r, av[2], &l->name) == -1)
		return -1;
	return 0;
}

static int
money_tok(struct load *ld, struct rec *r, struct tok *t, long *out)
{
	if (ilssim_data_parse_money(t->val, out) == -1)
		return bad_value(ld, r, t);
	return 0;
}

static int
int_tok(struct load *ld, struct rec *r, struct tok *t, int lo, int hi,
    int *out)
{
	if (int_parse(t->val, lo, hi, out) == -1)
		return bad_value(ld, r, t);
	return 0;
}

static struct ilssim_class *
class_find(struct ilssim_state *st, const char *name)
{
	size_t	 i;

	for (i = 0; i < st->nclasses; i++)
		if (strcasecmp(st->classes[i].name, name) == 0)
			return &st->classes[i];
	return NULL;
}

static int
load_class(struct load *ld, struct rec *r)
{
	struct ilssim_state	*st = ld->st;
	struct ilssim_class	*c, *nc;
	struct tok		*t;
	size_t			 i;
	int			 rc = 0;
	struct tok		*av[3];

	if (rec_args(r, 1, av) == -1)
		return load_fail(ld, r->line, "usage: class NAME key=value...");
	t = av[1];
	if (class_find(st, t->val) != NULL)
		return load_fail(ld, r->line, "class %s twice", t->val);
	if ((nc = reallocarray(st->classes, st->nclasses + 1,
	    sizeof(*nc))) == NULL)
		return load_fail(ld, r->line, "out of memory");
	st->classes = nc;
	c = &st->classes[st->nclasses++];
	memset(c, 0, sizeof(*c));
	c->loan_days = 21;
	c->renewals = 2;
	c->checkout_limit = 50;
	c->hold_limit = 20;
	if (take(ld, r, t, &c->name) == -1)
		return -1;
	for (i = 0; i < r->ntoks && rc == 0; i++) {
		t = &r->toks[i];
		if (t->key == NULL)
			continue;
		if (strcmp(t->key, "loan-days") == 0)
			rc = int_tok(ld, r, t, 1, 3650, &c->loan_days);
		else if (strcmp(t->key, "renewals") == 0)
			rc = int_tok(ld, r, t, 0, 999, &c->renewals);
		else if (strcmp(t->key, "checkout-limit") == 0)
			rc = int_tok(ld, r, t, 0, 9999, &c->checkout_limit);
		else if (strcmp(t->key, "hold-limit") == 0)
			rc = int_tok(ld, r, t, 0, 9999, &c->hold_limit);
		else if (strcmp(t->key, "overdue-limit") == 0)
			rc = int_tok(ld, r, t, 0, 9999, &c->overdue_limit);
		else if (strcmp(t->key, "fee-limit") == 0)
			rc = money_tok(ld, r, t, &c->fee_limit);
		else if (strcmp(t->key, "fine-per-day") == 0)
			rc = money_tok(ld, r, t, &c->fine_per_day);
		else if (strcmp(t->key, "fine-max") == 0)
			rc = money_tok(ld, r, t, &c->fine_max);
		else
			rc = bad_key(ld, r, t);
	}
	return rc;
}

static int
patron_blocks(struct load *ld, struct rec *r, struct tok *t, unsigned *out)
{
	char	*s, *w, *save = NULL;
	size_t	 i;

	if ((s = strdup(t->val)) == NULL)
		return load_fail(ld, r->line, "out of memory");
	for (w = strtok_r(s, ",", &save); w != NULL;
	    w = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < ILSSIM_B_COUNT; i++)
			if (strcasecmp(block_names[i].name, w) == 0)
				break;
		if (i == ILSSIM_B_COUNT) {
			load_fail(ld, r->line, "unknown block '%s'", w);
			free(s);
			return -1;
		}
		*out |= (unsigned)block_names[i].code;
	}
	free(s);
	return 0;
}

static int
patron_extra(struct load *ld, struct rec *r, struct ilssim_patron *p,
    struct tok *t)
{
	struct ilssim_extra	*ne;
	size_t			 i;

	if (t->key[2] == '\0')
		return bad_key(ld, r, t);
	for (i = 0; i < p->nextras; i++)
		if (strcmp(p->extras[i].key, t->key + 2) == 0)
			return load_fail(ld, r->line, "%s given twice",
			    t->key);
	if ((ne = reallocarray(p->extras, p->nextras + 1,
	    sizeof(*ne))) == NULL)
		return load_fail(ld, r->line, "out of memory");
	p->extras = ne;
	if ((ne[p->nextras].key = strdup(t->key + 2)) == NULL)
		return load_fail(ld, r->line, "out of memory");
	ne[p->nextras].value = t->val;
	t->val = NULL;
	p->nextras++;
	return 0;
}

static int
patron_key(struct load *ld, struct rec *r, struct ilssim_patron *p,
    struct tok *t)
{
	struct ilssim_state	*st = ld->st;
	struct tm		 tm;
	time_t			 when;
	int			 code;

	if (strcmp(t->key, "pin") == 0)
		return take(ld, r, t, &p->pin);
	if (strcmp(t->key, "name") == 0)
		return take(ld, r, t, &p->name);
	if (strcmp(t->key, "address") == 0)
		return take(ld, r, t, &p->address);
	if (strcmp(t->key, "email") == 0)
		return take(ld, r, t, &p->email);
	if (strcmp(t->key, "phone") == 0)
		return take(ld, r, t, &p->phone);
	if (strcmp(t->key, "birth") == 0) {
		if (p->birth != NULL || date_parse(t->val, ld->now,
		    &when) == -1 || (p->birth = malloc(9)) == NULL)
			return bad_value(ld, r, t);
		localtime_r(&when, &tm);
		strftime(p->birth, 9, "%Y%m%d", &tm);
		return 0;
	}
	if (strcmp(t->key, "class") == 0) {
		if ((p->class = class_find(st, t->val)) == NULL)
			return load_fail(ld, r->line, "unknown class %s",
			    t->val);
		return 0;
	}
	if (strcmp(t->key, "home") == 0) {
		if ((p->home = location_code(st, t->val)) == NULL)
			return load_fail(ld, r->line, "unknown location %s",
			    t->val);
		return 0;
	}
	if (strcmp(t->key, "expires") == 0) {
		if (strcmp(t->val, "never") == 0)
			p->expires = 0;
		else if (date_parse(t->val, ld->now, &p->expires) == -1)
			return bad_value(ld, r, t);
		return 0;
	}
	if (strcmp(t->key, "language") == 0) {
		if (code_parse(language_names, t->val, 3, &code) == -1)
			return bad_value(ld, r, t);
		snprintf(p->language, sizeof(p->language), "%03d", code);
		return 0;
	}
	if (strcmp(t->key, "blocks") == 0)
		return patron_blocks(ld, r, t, &p->blocks);
	if (strncmp(t->key, "x-", 2) == 0)
		return patron_extra(ld, r, p, t);
	return bad_key(ld, r, t);
}

static int
load_patron(struct load *ld, struct rec *r)
{
	struct ilssim_state	*st = ld->st;
	struct ilssim_patron	*p, **np;
	size_t			 i;
	struct tok		*av[3];

	if (rec_args(r, 1, av) == -1)
		return load_fail(ld, r->line,
		    "usage: patron BARCODE key=value...");
	if ((np = reallocarray(st->patrons, st->npatrons + 1,
	    sizeof(*np))) == NULL || (st->patrons = np,
	    (p = calloc(1, sizeof(*p))) == NULL))
		return load_fail(ld, r->line, "out of memory");
	st->patrons[st->npatrons++] = p;
	TAILQ_INIT(&p->fees);
	TAILQ_INIT(&p->loans);
	TAILQ_INIT(&p->holds);
	memcpy(p->language, "000", 4);
	if (take(ld, r, av[1], &p->barcode) == -1)
		return -1;
	for (i = 0; i < r->ntoks; i++) {
		if (r->toks[i].key == NULL)
			continue;
		if (patron_key(ld, r, p, &r->toks[i]) == -1)
			return -1;
	}
	if (p->pin == NULL || p->name == NULL || p->class == NULL)
		return load_fail(ld, r->line,
		    "patron %s needs pin, name and class", p->barcode);
	if (p->home == NULL && st->nlocations > 0)
		p->home = st->locations[0].code;
	switch (hash_put(&st->patron_idx, p->barcode, p)) {
	case 1:
		return load_fail(ld, r->line, "patron %s twice", p->barcode);
	case -1:
		return load_fail(ld, r->line, "out of memory");
	}
	return 0;
}

/* What an item record says of its title, until the title is found. */
struct item_bib {
	char		*title;
	char		*isbn;
	char		*record;
};

static int
item_key(struct load *ld, struct rec *r, struct ilssim_item *it,
    struct tok *t, struct item_bib *bib)
{
	struct ilssim_state	*st = ld->st;
	int			 code;

	if (strcmp(t->key, "title") == 0)
		return take(ld, r, t, &bib->title);
	if (strcmp(t->key, "isbn") == 0)
		return take(ld, r, t, &bib->isbn);
	if (strcmp(t->key, "record") == 0)
		return take(ld, r, t, &bib->record);
	if (strcmp(t->key, "author") == 0)
		return take(ld, r, t, &it->author);
	if (strcmp(t->key, "call") == 0)
		return take(ld, r, t, &it->call);
	if (strcmp(t->key, "collection") == 0)
		return take(ld, r, t, &it->collection);
	if (strcmp(t->key, "owner") == 0)
		return take(ld, r, t, &it->owner);
	if (strcmp(t->key, "props") == 0)
		return take(ld, r, t, &it->props);
	if (strcmp(t->key, "location") == 0)
		return take(ld, r, t, &it->location);
	if (strcmp(t->key, "media") == 0) {
		if (it->media != NULL ||
		    code_parse(media_names, t->val, 3, &code) == -1 ||
		    (it->media = malloc(4)) == NULL)
			return bad_value(ld, r, t);
		snprintf(it->media, 4, "%03d", code);
		return 0;
	}
	if (strcmp(t->key, "home") == 0) {
		if ((it->home = location_code(st, t->val)) == NULL)
			return load_fail(ld, r->line, "unknown location %s",
			    t->val);
		return 0;
	}
	if (strcmp(t->key, "destination") == 0) {
		if ((it->destination = location_code(st, t->val)) == NULL)
			return load_fail(ld, r->line, "unknown location %s",
			    t->val);
		return 0;
	}
	if (strcmp(t->key, "status") == 0) {
		if (code_parse(status_names, t->val, 2, &code) == -1)
			return bad_value(ld, r, t);
		if (code == ILSSIM_ST_CHARGED || code == 5 ||
		    code == ILSSIM_ST_RECALLED || code == ILSSIM_ST_HOLD_SHELF)
			return load_fail(ld, r->line, "status %s comes from "
			    "loan and hold records", t->val);
		if (code < 1 || code > 13)
			return bad_value(ld, r, t);
		it->status = code;
		return 0;
	}
	if (strcmp(t->key, "rental") == 0)
		return money_tok(ld, r, t, &it->rental);
	return bad_key(ld, r, t);
}

/*
 * Find or make the title called name (taking name) and add a copy to it.
 * An unindexed title is a new one that no name lookup finds.
 */
static struct ilssim_title *
title_add_copy(struct ilssim_state *st, char *name, struct ilssim_item *it,
    int indexed)
{
	struct ilssim_title	*ti = NULL, **nt;
	struct ilssim_item	**nc;

	if (indexed && (ti = hash_get(&st->title_idx, name)) != NULL)
		free(name);
	else {
		if ((nt = reallocarray(st->titles, st->ntitles + 1,
		    sizeof(*nt))) == NULL || (st->titles = nt,
		    (ti = calloc(1, sizeof(*ti))) == NULL)) {
			free(name);
			return NULL;
		}
		ti->title = name;
		TAILQ_INIT(&ti->queue);
		st->titles[st->ntitles++] = ti;
		if (indexed && hash_put(&st->title_idx, ti->title, ti) == -1)
			return NULL;
		ti->indexed = indexed;
	}
	if ((nc = reallocarray(ti->copies, ti->ncopies + 1,
	    sizeof(*nc))) == NULL)
		return NULL;
	ti->copies = nc;
	ti->copies[ti->ncopies++] = it;
	it->title = ti;
	return ti;
}

/* Give a title an ISBN or record id; copies must not disagree. */
static int
title_bibid(struct load *ld, struct rec *r, char **have, char **given,
    const char *what)
{
	if (*given == NULL)
		return 0;
	if (*have != NULL) {
		if (strcmp(*have, *given) != 0)
			return load_fail(ld, r->line, "copies of a title "
			    "disagree on its %s", what);
		return 0;
	}
	*have = *given;
	*given = NULL;
	return 0;
}

static int
item_title(struct load *ld, struct rec *r, struct ilssim_item *it,
    struct item_bib *bib)
{
	struct ilssim_title	*ti;
	char			*name = bib->title;

	bib->title = NULL;
	if ((ti = title_add_copy(ld->st, name, it, 1)) == NULL)
		return load_fail(ld, r->line, "out of memory");
	if (title_bibid(ld, r, &ti->isbn, &bib->isbn, "isbn") == -1 ||
	    title_bibid(ld, r, &ti->record, &bib->record, "record") == -1)
		return -1;
	return 0;
}

static int
load_item(struct load *ld, struct rec *r)
{
	struct ilssim_state	*st = ld->st;
	struct ilssim_item	*it, **ni;
	struct item_bib		 bib;
	size_t			 i;
	int			 rc = -1;
	struct tok		*av[3];

	memset(&bib, 0, sizeof(bib));
	if (rec_args(r, 1, av) == -1)
		return load_fail(ld, r->line,
		    "usage: item BARCODE key=value...");
	if ((ni = reallocarray(st->items, st->nitems + 1,
	    sizeof(*ni))) == NULL || (st->items = ni,
	    (it = calloc(1, sizeof(*it))) == NULL))
		return load_fail(ld, r->line, "out of memory");
	st->items[st->nitems++] = it;
	it->status = ILSSIM_ST_AVAILABLE;
	if (take(ld, r, av[1], &it->barcode) == -1)
		return -1;
	for (i = 0; i < r->ntoks; i++) {
		if (r->toks[i].key == NULL)
			continue;
		if (item_key(ld, r, it, &r->toks[i], &bib) == -1)
			goto out;
	}
	if (bib.title == NULL || it->home == NULL) {
		load_fail(ld, r->line, "item %s needs title and home",
		    it->barcode);
		goto out;
	}
	rc = item_title(ld, r, it, &bib);
out:
	free(bib.title);
	free(bib.isbn);
	free(bib.record);
	if (rc == -1)
		return -1;
	if ((it->status == ILSSIM_ST_IN_TRANSIT) != (it->destination != NULL))
		return load_fail(ld, r->line,
		    "destination goes with status in-transit, and only then");
	if ((it->media == NULL && (it->media = strdup("001")) == NULL) ||
	    (it->owner == NULL &&
	    (it->owner = strdup(st->institution)) == NULL) ||
	    (it->location == NULL &&
	    (it->location = strdup(it->home)) == NULL))
		return load_fail(ld, r->line, "out of memory");
	switch (hash_put(&st->item_idx, it->barcode, it)) {
	case 1:
		return load_fail(ld, r->line, "item %s twice", it->barcode);
	case -1:
		return load_fail(ld, r->line, "out of memory");
	}
	return 0;
}

/* Insert a fee into a patron's list, oldest first. */
static void
fee_link(struct ilssim_patron *p, struct ilssim_fee *f)
{
	struct ilssim_fee	*g;

	f->patron = p;
	TAILQ_FOREACH(g, &p->fees, entry) {
		if (g->created > f->created) {
			TAILQ_INSERT_BEFORE(g, f, entry);
			return;
		}
	}
	TAILQ_INSERT_TAIL(&p->fees, f, entry);
}

static int
load_fee(struct load *ld, struct rec *r)
{
	struct ilssim_state	*st = ld->st;
	struct ilssim_patron	*p;
	struct ilssim_fee	*f;
	struct tok		*t;
	size_t			 i;
	int			 rc = 0, have_amount = 0;
	struct tok		*av[3];

	if (rec_args(r, 2, av) == -1)
		return load_fail(ld, r->line,
		    "usage: fee PATRON FEE-ID key=value...");
	t = av[1];
	if ((p = ilssim_data_patron(st, t->val)) == NULL)
		return load_fail(ld, r->line, "unknown patron %s", t->val);
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return load_fail(ld, r->line, "out of memory");
	f->type = ILSSIM_FEE_OTHER;
	f->created = ld->now;
	fee_link(p, f);
	if (take(ld, r, av[2], &f->id) == -1)
		return -1;
	for (i = 0; i < r->ntoks && rc == 0; i++) {
		t = &r->toks[i];
		if (t->key == NULL)
			continue;
		if (strcmp(t->key, "type") == 0) {
			if (code_parse(fee_names, t->val, 2, &f->type) == -1 ||
			    f->type < 1)
				rc = bad_value(ld, r, t);
		} else if (strcmp(t->key, "amount") == 0) {
			rc = money_tok(ld, r, t, &f->amount);
			have_amount = 1;
		} else if (strcmp(t->key, "description") == 0)
			rc = take(ld, r, t, &f->desc);
		else if (strcmp(t->key, "date") == 0) {
			if (date_parse(t->val, ld->now, &f->created) == -1)
				rc = bad_value(ld, r, t);
		} else
			rc = bad_key(ld, r, t);
	}
	if (rc == -1)
		return -1;
	if (!have_amount || f->amount <= 0)
		return load_fail(ld, r->line, "fee %s needs an amount", f->id);
	if (f->desc == NULL && (f->desc = strdup("")) == NULL)
		return load_fail(ld, r->line, "out of memory");
	/* Re-sort now that the date is known. */
	TAILQ_REMOVE(&p->fees, f, entry);
	fee_link(p, f);
	switch (hash_put(&st->fee_idx, f->id, f)) {
	case 1:
		return load_fail(ld, r->line, "fee id %s twice", f->id);
	case -1:
		return load_fail(ld, r->line, "out of memory");
	}
	return 0;
}

static int
load_loan(struct load *ld, struct rec *r)
{
	struct ilssim_state	*st = ld->st;
	struct ilssim_item	*it;
	struct ilssim_loan	*l;
	struct tok		*t;
	size_t			 i;
	int			 rc = 0, have_due = 0;
	struct tok		*av[3];

	if (rec_args(r, 1, av) == -1)
		return load_fail(ld, r->line,
		    "usage: loan ITEM patron=BARCODE due=DATE...");
	t = av[1];
	if ((it = ilssim_data_item(st, t->val)) == NULL)
		return load_fail(ld, r->line, "unknown item %s", t->val);
	if (it->loan != NULL)
		return load_fail(ld, r->line, "item %s on loan twice",
		    it->barcode);
	if (it->status != ILSSIM_ST_AVAILABLE)
		return load_fail(ld, r->line, "item %s on loan has status "
		    "%02d", it->barcode, it->status);
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return load_fail(ld, r->line, "out of memory");
	l->item = it;
	it->loan = l;
	l->out = ld->now;
	for (i = 0; i < r->ntoks && rc == 0; i++) {
		t = &r->toks[i];
		if (t->key == NULL)
			continue;
		if (strcmp(t->key, "patron") == 0) {
			if (l->patron != NULL)
				rc = load_fail(ld, r->line, "patron twice");
			else if ((l->patron = ilssim_data_patron(st,
			    t->val)) == NULL)
				rc = load_fail(ld, r->line,
				    "unknown patron %s", t->val);
		} else if (strcmp(t->key, "due") == 0) {
			rc = date_parse(t->val, ld->now, &l->due) == -1 ?
			    bad_value(ld, r, t) : 0;
			have_due = 1;
		} else if (strcmp(t->key, "out") == 0) {
			if (date_parse(t->val, ld->now, &l->out) == -1)
				rc = bad_value(ld, r, t);
		} else if (strcmp(t->key, "recalled") == 0) {
			if (date_parse(t->val, ld->now, &l->recalled) == -1)
				rc = bad_value(ld, r, t);
		} else if (strcmp(t->key, "renewals") == 0)
			rc = int_tok(ld, r, t, 0, 999, &l->renewals);
		else
			rc = bad_key(ld, r, t);
	}
	if (rc == 0 && (l->patron == NULL || !have_due))
		rc = load_fail(ld, r->line, "loan needs patron and due");
	if (rc == -1) {
		it->loan = NULL;
		free(l);
		return -1;
	}
	TAILQ_INSERT_TAIL(&l->patron->loans, l, entry);
	it->status = l->recalled != 0 ? ILSSIM_ST_RECALLED :
	    ILSSIM_ST_CHARGED;
	return 0;
}

static int
hold_key(struct load *ld, struct rec *r, struct ilssim_hold *h,
    struct tok *t, int *pos, struct ilssim_item **trap)
{
	struct ilssim_state	*st = ld->st;

	if (strcmp(t->key, "item") == 0) {
		if (h->title != NULL)
			return load_fail(ld, r->line, "item or title, once");
		if ((h->item = ilssim_data_item(st, t->val)) == NULL)
			return load_fail(ld, r->line, "unknown item %s",
			    t->val);
		h->title = h->item->title;
	} else if (strcmp(t->key, "title") == 0) {
		if (h->title != NULL)
			return load_fail(ld, r->line, "item or title, once");
		if ((h->title = ilssim_data_title(st, t->val)) == NULL)
			return load_fail(ld, r->line, "no item has title %s",
			    t->val);
	} else if (strcmp(t->key, "pickup") == 0) {
		if ((h->pickup = location_code(st, t->val)) == NULL)
			return load_fail(ld, r->line, "unknown location %s",
			    t->val);
	} else if (strcmp(t->key, "position") == 0)
		return int_tok(ld, r, t, 1, DATA_POS_MAX, pos);
	else if (strcmp(t->key, "expires") == 0) {
		if (date_parse(t->val, ld->now, &h->expires) == -1)
			return bad_value(ld, r, t);
	} else if (strcmp(t->key, "placed") == 0) {
		if (date_parse(t->val, ld->now, &h->placed) == -1)
			return bad_value(ld, r, t);
	} else if (strcmp(t->key, "type") == 0)
		return int_tok(ld, r, t, 1, 4, &h->type);
	else if (strcmp(t->key, "trapped") == 0) {
		if ((*trap = ilssim_data_item(st, t->val)) == NULL)
			return load_fail(ld, r->line, "unknown item %s",
			    t->val);
	} else
		return bad_key(ld, r, t);
	return 0;
}

/* Put a loaded hold in its queue, ordered by position then file order. */
static void
hold_queue(struct ilssim_hold *h)
{
	struct ilssim_hold	*g;

	TAILQ_FOREACH(g, &h->title->queue, qentry) {
		if (g->order > h->order) {
			TAILQ_INSERT_BEFORE(g, h, qentry);
			return;
		}
	}
	TAILQ_INSERT_TAIL(&h->title->queue, h, qentry);
}

/* Set an item aside for a hold and route it to the pickup location. */
static void
hold_trap(struct ilssim_hold *h, struct ilssim_item *it)
{
	h->trapped = it;
	it->trapped = h;
	if (strcmp(it->location, h->pickup) == 0) {
		it->status = ILSSIM_ST_HOLD_SHELF;
		it->destination = NULL;
	} else {
		it->status = ILSSIM_ST_IN_TRANSIT;
		it->destination = h->pickup;
	}
}

static int
load_hold(struct load *ld, struct rec *r)
{
	struct ilssim_state	*st = ld->st;
	struct ilssim_patron	*p;
	struct ilssim_hold	*h;
	struct ilssim_item	*trap = NULL;
	struct tok		*t;
	size_t			 i;
	int			 pos = DATA_POS_MAX + 1;
	struct tok		*av[3];

	if (rec_args(r, 1, av) == -1)
		return load_fail(ld, r->line,
		    "usage: hold PATRON item=BARCODE|title=TITLE ...");
	t = av[1];
	if ((p = ilssim_data_patron(st, t->val)) == NULL)
		return load_fail(ld, r->line, "unknown patron %s", t->val);
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return load_fail(ld, r->line, "out of memory");
	snprintf(h->id, sizeof(h->id), "H%08u", ++st->next_hold);
	h->patron = p;
	h->placed = ld->now;
	for (i = 0; i < r->ntoks; i++) {
		if (r->toks[i].key == NULL)
			continue;
		if (hold_key(ld, r, h, &r->toks[i], &pos, &trap) == -1) {
			free(h);
			return -1;
		}
	}
	if (h->title == NULL) {
		free(h);
		return load_fail(ld, r->line, "hold needs item or title");
	}
	if (ilssim_data_hold_find(p, h->item, h->title) != NULL) {
		free(h);
		return load_fail(ld, r->line, "patron has this hold twice");
	}
	if (h->pickup == NULL)
		h->pickup = p->home;
	if (h->type == 0)
		h->type = h->item != NULL ? ILSSIM_HOLD_COPY :
		    ILSSIM_HOLD_TITLE;
	if (h->expires == 0)
		h->expires = end_of_day(h->placed, HOLD_DAYS);
	h->order = (long)pos * 1000000L + ld->nholds++;
	hold_queue(h);
	TAILQ_INSERT_TAIL(&p->holds, h, pentry);
	if (trap != NULL) {
		if (trap->title != h->title || (h->item != NULL &&
		    h->item != trap) || trap->loan != NULL ||
		    trap->trapped != NULL)
			return load_fail(ld, r->line, "item %s cannot be "
			    "trapped for this hold", trap->barcode);
		hold_trap(h, trap);
	}
	return 0;
}

/* A token goes into a URL path: letters, digits and -._~ only. */
static int
ncip_tokens(struct load *ld, struct rec *r, struct tok *t)
{
	struct ilssim_ncip_conf	*c = &ld->st->ncip;
	char			**nt, *w, *save = NULL;

	for (w = strtok_r(t->val, ",", &save); w != NULL;
	    w = strtok_r(NULL, ",", &save)) {
		if (strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
		    "WXYZ0123456789-._~") != strlen(w))
			return load_fail(ld, r->line, "a token may hold "
			    "letters, digits and -._~ only");
		if ((nt = reallocarray(c->tokens, c->ntokens + 1,
		    sizeof(*nt))) == NULL)
			return load_fail(ld, r->line, "out of memory");
		c->tokens = nt;
		if ((c->tokens[c->ntokens] = strdup(w)) == NULL)
			return load_fail(ld, r->line, "out of memory");
		c->ntokens++;
	}
	return 0;
}

static int
ncip_key(struct load *ld, struct rec *r, struct tok *t)
{
	struct ilssim_ncip_conf	*c = &ld->st->ncip;
	size_t			 i;

	if (strcmp(t->key, "version") == 0) {
		for (i = 0; ncip_versions[i].name != NULL; i++)
			if (strcmp(ncip_versions[i].name, t->val) == 0)
				break;
		if (ncip_versions[i].name == NULL)
			return bad_value(ld, r, t);
		c->version = ncip_versions[i].version;
		c->version_str = ncip_versions[i].url;
	} else if (strcmp(t->key, "namespace") == 0) {
		if (strcmp(t->val, "default") == 0)
			c->ns = NCIP_NSS_DEFAULT;
		else if (strcmp(t->val, "prefix") == 0)
			c->ns = NCIP_NSS_PREFIX;
		else if (strcmp(t->val, "none") == 0)
			c->ns = NCIP_NSS_NONE;
		else
			return bad_value(ld, r, t);
	} else if (strcmp(t->key, "attributes") == 0) {
		if (strcmp(t->val, "qualified") == 0)
			c->qualified = 1;
		else if (strcmp(t->val, "plain") == 0)
			c->qualified = 0;
		else
			return bad_value(ld, r, t);
	} else if (strcmp(t->key, "doctype") == 0) {
		if (strcmp(t->val, "yes") == 0)
			c->doctype = 1;
		else if (strcmp(t->val, "no") == 0)
			c->doctype = 0;
		else
			return bad_value(ld, r, t);
	} else if (strcmp(t->key, "agency") == 0)
		return take(ld, r, t, &c->agency);
	else if (strcmp(t->key, "agency-auth") == 0)
		return take(ld, r, t, &c->agency_auth);
	else if (strcmp(t->key, "token") == 0)
		return ncip_tokens(ld, r, t);
	else
		return bad_key(ld, r, t);
	return 0;
}

static int
load_ncip(struct load *ld, struct rec *r)
{
	size_t		 i;
	struct tok	*av[3];

	if (ld->ncip_seen)
		return load_fail(ld, r->line, "second ncip record");
	ld->ncip_seen = 1;
	if (rec_args(r, 0, av) == -1)
		return load_fail(ld, r->line, "usage: ncip version=2.02 "
		    "[namespace=...] [agency=...] [token=...]");
	for (i = 0; i < r->ntoks; i++) {
		if (r->toks[i].key == NULL)
			continue;
		if (ncip_key(ld, r, &r->toks[i]) == -1)
			return -1;
	}
	return 0;
}

static int (*const loaders[K__COUNT])(struct load *, struct rec *) = {
	load_institution, load_account, load_location, load_class,
	load_patron, load_item, load_fee, load_loan, load_hold, load_ncip
};

static int
load_records(struct load *ld)
{
	struct rec	*r;
	struct tok	*kw;
	size_t		 i;
	int		 k;

	for (i = 0; i < ld->nrecs; i++) {
		r = &ld->recs[i];
		kw = &r->toks[0];
		if (r->ntoks == 0 || kw->key != NULL)
			return load_fail(ld, r->line,
			    "a record starts with a keyword");
		for (k = 0; k < K__COUNT; k++)
			if (strcmp(kw->val, kinds[k]) == 0)
				break;
		if (k == K__COUNT)
			return load_fail(ld, r->line, "unknown record '%s'",
			    kw->val);
		r->kind = k;
	}
	for (k = 0; k < K__COUNT; k++) {
		for (i = 0; i < ld->nrecs; i++) {
			if (ld->recs[i].kind != k)
				continue;
			if (k > K_INSTITUTION && ld->st->institution == NULL)
				return load_fail(ld, 1,
				    "no institution record");
			if (loaders[k](ld, &ld->recs[i]) == -1)
				return -1;
		}
	}
	if (ld->st->institution == NULL)
		return load_fail(ld, 1, "no institution record");
	if (ld->st->ncip.agency == NULL &&
	    (ld->st->ncip.agency = strdup(ld->st->institution)) == NULL)
		return load_fail(ld, 1, "out of memory");
	return 0;
}

static void
load_clear(struct load *ld)
{
	size_t	 i, k;

	for (i = 0; i < ld->nrecs; i++) {
		for (k = 0; k < ld->recs[i].ntoks; k++) {
			free(ld->recs[i].toks[k].key);
			free(ld->recs[i].toks[k].val);
		}
		free(ld->recs[i].toks);
	}
	free(ld->recs);
}

struct ilssim_state *
ilssim_data_load(const char *path, char *err, size_t errlen)
{
	struct load		 ld;
	struct ilssim_state	*st;

	memset(&ld, 0, sizeof(ld));
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->path = strdup(path)) == NULL) {
		free(st);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	memcpy(st->currency, "USD", 4);
	st->title_idx.nocase = 1;
	st->ncip.version = 2;
	st->ncip.version_str = NCIP_V2_02;
	st->ncip.ns = NCIP_NSS_DEFAULT;
	st->ncip.qualified = 1;
	st->ncip.doctype = 1;
	ld.st = st;
	ld.path = path;
	ld.err = err;
	ld.errlen = errlen;
	ld.now = time(NULL);
	if (load_read(&ld) == -1 || load_records(&ld) == -1)
		goto fail;
	load_clear(&ld);
	return st;

fail:
	load_clear(&ld);
	ilssim_data_free(st);
	return NULL;
}

/* --- freeing ---------------------------------------------------------- */

static void
patron_free(struct ilssim_patron *p)
{
	struct ilssim_fee	*f;
	struct ilssim_loan	*l;
	size_t			 i;

	while ((f = TAILQ_FIRST(&p->fees)) != NULL) {
		TAILQ_REMOVE(&p->fees, f, entry);
		free(f->id);
		free(f->desc);
		free(f);
	}
	while ((l = TAILQ_FIRST(&p->loans)) != NULL) {
		TAILQ_REMOVE(&p->loans, l, entry);
		free(l);
	}
	for (i = 0; i < p->nextras; i++) {
		free(p->extras[i].key);
		free(p->extras[i].value);
	}
	free(p->extras);
	free(p->barcode);
	free(p->pin);
	free(p->name);
	free(p->address);
	free(p->email);
	free(p->phone);
	free(p->notices);
	free(p->birth);
	free(p->block_msg);
	free(p);
}

static void
item_free(struct ilssim_item *it)
{
	free(it->barcode);
	free(it->author);
	free(it->call);
	free(it->collection);
	free(it->media);
	free(it->owner);
	free(it->location);
	free(it->props);
	free(it);
}

void
ilssim_data_free(struct ilssim_state *st)
{
	struct ilssim_hold	*h;
	struct ilssim_accept	*a;
	size_t			 i;

	if (st == NULL)
		return;
	for (i = 0; i < st->ntitles; i++) {
		while ((h = TAILQ_FIRST(&st->titles[i]->queue)) != NULL) {
			TAILQ_REMOVE(&st->titles[i]->queue, h, qentry);
			free(h->ext_id);
			free(h);
		}
		free(st->titles[i]->title);
		free(st->titles[i]->isbn);
		free(st->titles[i]->record);
		free(st->titles[i]->copies);
		free(st->titles[i]);
	}
	for (i = 0; i < st->npatrons; i++)
		patron_free(st->patrons[i]);
	for (i = 0; i < st->nitems; i++)
		item_free(st->items[i]);
	for (i = 0; i < st->naccounts; i++) {
		free(st->accounts[i].login);
		free(st->accounts[i].password);
		free(st->accounts[i].location);
	}
	for (i = 0; i < st->nlocations; i++) {
		free(st->locations[i].code);
		free(st->locations[i].name);
	}
	for (i = 0; i < st->nclasses; i++)
		free(st->classes[i].name);
	free(st->titles);
	free(st->patrons);
	free(st->items);
	free(st->accounts);
	free(st->locations);
	free(st->classes);
	free(st->patron_idx.v);
	free(st->item_idx.v);
	free(st->title_idx.v);
	free(st->fee_idx.v);
	for (i = 0; i < st->accept_idx.cap; i++) {
		if ((a = st->accept_idx.v[i].val) == NULL)
			continue;
		free(a->key);
		free(a->barcode);
		free(a);
	}
	free(st->accept_idx.v);
	for (i = 0; i < st->ncip.ntokens; i++)
		free(st->ncip.tokens[i]);
	free(st->ncip.tokens);
	free(st->ncip.agency);
	free(st->ncip.agency_auth);
	free(st->institution);
	free(st->library);
	free(st->path);
	free(st);
}

/* --- lookups ---------------------------------------------------------- */

const char *
ilssim_data_strres(enum ilssim_res res)
{
	if ((size_t)res >= sizeof(res_text) / sizeof(res_text[0]) ||
	    res_text[res] == NULL)
		return "Request refused";
	return res_text[res];
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

const struct ilssim_account *
ilssim_data_login(struct ilssim_state *st, const char *login,
    const char *password)
{
	size_t	 i;

	if (login == NULL || password == NULL)
		return NULL;
	for (i = 0; i < st->naccounts; i++)
		if (strcmp(st->accounts[i].login, login) == 0)
			return secret_eq(st->accounts[i].password, password) ?
			    &st->accounts[i] : NULL;
	return NULL;
}

struct ilssim_patron *
ilssim_data_patron(struct ilssim_state *st, const char *barcode)
{
	return barcode != NULL ? hash_get(&st->patron_idx, barcode) : NULL;
}

struct ilssim_item *
ilssim_data_item(struct ilssim_state *st, const char *barcode)
{
	return barcode != NULL ? hash_get(&st->item_idx, barcode) : NULL;
}

struct ilssim_title *
ilssim_data_title(struct ilssim_state *st, const char *title)
{
	return title != NULL ? hash_get(&st->title_idx, title) : NULL;
}

const struct ilssim_location *
ilssim_data_location(struct ilssim_state *st, const char *code)
{
	size_t	 i;

	if (code == NULL)
		return NULL;
	for (i = 0; i < st->nlocations; i++)
		if (strcmp(st->locations[i].code, code) == 0)
			return &st->locations[i];
	return NULL;
}

int
ilssim_data_pin_ok(const struct ilssim_patron *p, const char *pin)
{
	return pin != NULL && secret_eq(p->pin, pin);
}

const char *
ilssim_data_extra(const struct ilssim_patron *p, const char *key)
{
	size_t	 i;

	for (i = 0; i < p->nextras; i++)
		if (strcmp(p->extras[i].key, key) == 0)
			return p->extras[i].value;
	return NULL;
}

int
ilssim_data_hold_ready(const struct ilssim_hold *h)
{
	return h->trapped != NULL && h->trapped->status ==
	    ILSSIM_ST_HOLD_SHELF;
}

int
ilssim_data_hold_position(const struct ilssim_hold *h)
{
	const struct ilssim_hold	*g;
	int				 n = 1;

	TAILQ_FOREACH(g, &h->title->queue, qentry) {
		if (g == h)
			break;
		n++;
	}
	return n;
}

/* Could this hold be filled by this copy? */
static int
hold_matches(const struct ilssim_hold *h, const struct ilssim_item *it)
{
	return h->title == it->title && (h->item == NULL || h->item == it);
}

/* Is this hold still waiting for a copy? */
static int
hold_waiting(const struct ilssim_hold *h, time_t now)
{
	return h->trapped == NULL && (h->expires == 0 || h->expires >= now);
}

int
ilssim_data_item_queue(const struct ilssim_item *it)
{
	const struct ilssim_hold	*h;
	int				 n = 0;

	TAILQ_FOREACH(h, &it->title->queue, qentry)
		if (hold_matches(h, it) &&
		    (h->trapped == NULL || h->trapped == it))
			n++;
	return n;
}

int
ilssim_data_title_available(const struct ilssim_title *ti)
{
	size_t	 i;

	for (i = 0; i < ti->ncopies; i++)
		if (ti->copies[i]->status == ILSSIM_ST_AVAILABLE &&
		    ti->copies[i]->trapped == NULL)
			return 1;
	return 0;
}

/* Return 1 if another patron's hold is waiting for this copy. */
static int
wanted_by_other(const struct ilssim_item *it,
    const struct ilssim_patron *p, time_t now)
{
	const struct ilssim_hold	*h;

	TAILQ_FOREACH(h, &it->title->queue, qentry)
		if (h->patron != p && hold_matches(h, it) &&
		    hold_waiting(h, now))
			return 1;
	return 0;
}

void
ilssim_data_standing(struct ilssim_state *st, struct ilssim_patron *p,
    time_t now, struct ilssim_standing *s)
{
	const struct ilssim_class	*c = p->class;
	struct ilssim_loan		*l;
	struct ilssim_hold		*h;
	struct ilssim_fee		*f;
	unsigned			 lockout;

	memset(s, 0, sizeof(*s));
	TAILQ_FOREACH(l, &p->loans, entry) {
		s->loans++;
		if (l->due < now)
			s->overdue++;
		if (l->recalled != 0) {
			s->recalled++;
			if (l->due < now)
				s->status |= ILSSIM_B_RECALL_OVERDUE;
		}
	}
	TAILQ_FOREACH(h, &p->holds, pentry) {
		if (ilssim_data_hold_ready(h))
			s->holds_ready++;
		else
			s->holds_waiting++;
	}
	TAILQ_FOREACH(f, &p->fees, entry) {
		if (f->amount <= 0)
			continue;
		s->fees++;
		s->owed += f->amount;
		if (f->type == ILSSIM_FEE_OVERDUE)
			s->fines += f->amount;
	}
	s->expired = p->expires != 0 && p->expires < now;
	s->status |= p->blocks;
	if (s->loans >= c->checkout_limit)
		s->status |= ILSSIM_B_TOO_MANY_CHARGED;
	if (c->overdue_limit > 0 && s->overdue >= c->overdue_limit)
		s->status |= ILSSIM_B_TOO_MANY_OVERDUE;
	if (c->fee_limit > 0 && s->fines > c->fee_limit)
		s->status |= ILSSIM_B_EXCESSIVE_FINES;
	if (c->fee_limit > 0 && s->owed > c->fee_limit)
		s->status |= ILSSIM_B_EXCESSIVE_FEES;

	/* Reasons that stop every privilege, in the order staff see them. */
	if (p->blocked)
		s->reason = ILSSIM_E_BLOCKED;
	else if (s->status & ILSSIM_B_CARD_LOST)
		s->reason = ILSSIM_E_CARD_LOST;
	else if (s->expired)
		s->reason = ILSSIM_E_EXPIRED;
	else if (s->status & ILSSIM_B_EXCESSIVE_FEES)
		s->reason = ILSSIM_E_FINES;
	else if (s->status & ILSSIM_B_TOO_MANY_OVERDUE)
		s->reason = ILSSIM_E_OVERDUE;
	else if (s->status & ILSSIM_B_CHARGE_DENIED)
		s->reason = ILSSIM_E_DENIED;
	lockout = s->reason != ILSSIM_OK && s->reason != ILSSIM_E_DENIED ?
	    ILSSIM_B_CHARGE_DENIED | ILSSIM_B_RENEWAL_DENIED |
	    ILSSIM_B_RECALL_DENIED | ILSSIM_B_HOLD_DENIED : 0;
	if (s->reason == ILSSIM_E_OVERDUE)
		lockout = ILSSIM_B_CHARGE_DENIED;
	s->status |= lockout;
	if (s->holds_ready + s->holds_waiting >= c->hold_limit)
		s->status |= ILSSIM_B_HOLD_DENIED;
}

/* --- circulation ------------------------------------------------------ */

static struct ilssim_fee *
fee_new(struct ilssim_state *st, struct ilssim_patron *p, int type,
    long amount, const char *what, const char *title, time_t now)
{
	struct ilssim_fee	*f;
	char			 id[16], desc[DESC_MAX + 64];

	do {
		snprintf(id, sizeof(id), "F%06u", ++st->next_fee);
	} while (hash_get(&st->fee_idx, id) != NULL);
	snprintf(desc, sizeof(desc), "%s: %s", what, title);
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->id = strdup(id)) == NULL ||
	    (f->desc = strdup_cut(desc, DESC_MAX)) == NULL ||
	    hash_put(&st->fee_idx, f->id, f) != 0) {
		if (f != NULL) {
			free(f->id);
			free(f->desc);
		}
		free(f);
		return NULL;
	}
	f->type = type;
	f->amount = amount;
	f->created = now;
	TAILQ_INSERT_TAIL(&p->fees, f, entry);
	f->patron = p;
	return f;
}

static void
hold_unlink(struct ilssim_hold *h)
{
	TAILQ_REMOVE(&h->title->queue, h, qentry);
	TAILQ_REMOVE(&h->patron->holds, h, pentry);
	if (h->trapped != NULL)
		h->trapped->trapped = NULL;
	free(h->ext_id);
	free(h);
}

/* A patron's hold this copy would fill, or NULL. */
static struct ilssim_hold *
own_hold(struct ilssim_patron *p, struct ilssim_item *it)
{
	struct ilssim_hold	*h;

	TAILQ_FOREACH(h, &p->holds, pentry)
		if (hold_matches(h, it) &&
		    (h->trapped == NULL || h->trapped == it))
			return h;
	return NULL;
}

static int
loanable(int status)
{
	return status == ILSSIM_ST_AVAILABLE ||
	    status == ILSSIM_ST_RESHELVING || status == ILSSIM_ST_HOLD_SHELF;
}

enum ilssim_res
ilssim_data_checkout(struct ilssim_state *st, struct ilssim_patron *p,
    struct ilssim_item *it, time_t now, const struct ilssim_loan_opts *o,
    struct ilssim_loan_result *r)
{
	struct ilssim_standing	 s;
	struct ilssim_hold	*mine;
	struct ilssim_loan	*l;
	enum ilssim_res		 res;

	memset(r, 0, sizeof(*r));
	if (it->loan != NULL && it->loan->patron == p) {
		/* Checking out what one has already is a renewal. */
		res = ilssim_data_renew(st, p, it, now, o, r);
		r->renewal = 1;
		return res;
	}
	if (!o->no_block) {
		ilssim_data_standing(st, p, now, &s);
		if (s.status & ILSSIM_B_CHARGE_DENIED)
			return s.reason != ILSSIM_OK ? s.reason :
			    ILSSIM_E_DENIED;
		if (s.loans >= p->class->checkout_limit)
			return ILSSIM_E_LIMIT;
	}
	if (it->loan != NULL)
		return ILSSIM_E_ON_LOAN;
	mine = own_hold(p, it);
	if (!o->no_block) {
		if (it->trapped != NULL && it->trapped->patron != p)
			return ILSSIM_E_ON_HOLD;
		if (mine == NULL && wanted_by_other(it, p, now))
			return ILSSIM_E_ON_HOLD;
		if (!loanable(it->status))
			return ILSSIM_E_UNAVAILABLE;
	}
	r->fee = it->rental;
	if (it->rental > 0 && !o->fee_ack)
		return ILSSIM_E_FEE_ACK;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return ILSSIM_E_NOMEM;
	if (it->rental > 0 && fee_new(st, p, ILSSIM_FEE_RENTAL, it->rental,
	    "Rental", it->title->title, now) == NULL) {
		free(l);
		return ILSSIM_E_NOMEM;
	}
	l->item = it;
	l->patron = p;
	l->out = now;
	l->due = o->no_block && o->nb_due != 0 ? o->nb_due :
	    end_of_day(now, p->class->loan_days);
	TAILQ_INSERT_TAIL(&p->loans, l, entry);
	it->loan = l;
	if (mine != NULL)
		hold_unlink(mine);
	if (it->trapped != NULL) {
		/* An offline checkout took a copy set aside for another. */
		it->trapped->trapped = NULL;
		it->trapped = NULL;
	}
	it->status = ILSSIM_ST_CHARGED;
	it->destination = NULL;
	r->loan = l;
	r->due = l->due;
	return ILSSIM_OK;
}

enum ilssim_res
ilssim_data_renew(struct ilssim_state *st, struct ilssim_patron *p,
    struct ilssim_item *it, time_t now, const struct ilssim_loan_opts *o,
    struct ilssim_loan_result *r)
{
	struct ilssim_standing	 s;
	struct ilssim_loan	*l = it->loan;
	time_t			 due;

	memset(r, 0, sizeof(*r));
	if (l == NULL || l->patron != p)
		return ILSSIM_E_NOT_ON_LOAN;
	r->loan = l;
	r->due = l->due;
	if (!o->no_block) {
		ilssim_data_standing(st, p, now, &s);
		if (s.status & ILSSIM_B_RENEWAL_DENIED)
			return s.reason != ILSSIM_OK ? s.reason :
			    ILSSIM_E_DENIED;
		if (l->renewals >= p->class->renewals)
			return ILSSIM_E_RENEW_LIMIT;
		if (l->recalled != 0 || wanted_by_other(it, p, now))
			return ILSSIM_E_ON_HOLD;
	}
	due = o->no_block && o->nb_due != 0 ? o->nb_due :
	    end_of_day(now, p->class->loan_days);
	if (due > l->due)
		l->due = due;
	l->renewals++;
	r->due = l->due;
	return ILSSIM_OK;
}

enum ilssim_res
ilssim_data_checkin(struct ilssim_state *st, struct ilssim_item *it,
    const char *where, time_t now, time_t returned,
    struct ilssim_checkin_result *r)
{
	struct ilssim_loan	*l = it->loan;
	struct ilssim_hold	*h;
	const struct ilssim_class *c;
	char			*loc;
	long			 days, fine;

	memset(r, 0, sizeof(*r));
	if (where == NULL || *where == '\0')
		where = it->location;
	if (returned == 0 || returned > now)
		returned = now;
	if (strcmp(where, it->location) != 0) {
		if ((loc = strdup(where)) == NULL)
			return ILSSIM_E_NOMEM;
		free(it->location);
		it->location = loc;
	}
	if (l != NULL) {
		r->borrower = l->patron;
		r->was_on_loan = 1;
		c = l->patron->class;
		if (returned > l->due && c->fine_per_day > 0) {
			days = (long)((returned - l->due + DAY - 1) / DAY);
			fine = days * c->fine_per_day;
			if (c->fine_max > 0 && fine > c->fine_max)
				fine = c->fine_max;
			/* Out of memory loses the fine, not the return. */
			r->fine = fee_new(st, l->patron, ILSSIM_FEE_OVERDUE,
			    fine, "Overdue", it->title->title, now);
		}
		TAILQ_REMOVE(&l->patron->loans, l, entry);
		free(l);
		it->loan = NULL;
	}

	/* Where the copy goes: a waiting hold first, then home. */
	if ((h = it->trapped) == NULL) {
		TAILQ_FOREACH(h, &it->title->queue, qentry)
			if (hold_matches(h, it) && hold_waiting(h, now))
				break;
	}
	if (h != NULL) {
		hold_trap(h, it);
		r->hold = h;
		r->destination = h->pickup;
		r->alert = it->status == ILSSIM_ST_HOLD_SHELF ?
		    ILSSIM_ALERT_HOLD_HERE : ILSSIM_ALERT_HOLD_AWAY;
	} else if (strcmp(it->home, it->location) != 0) {
		it->status = ILSSIM_ST_IN_TRANSIT;
		it->destination = it->home;
		r->destination = it->home;
		r->alert = ILSSIM_ALERT_SEND_HOME;
	} else {
		it->status = ILSSIM_ST_AVAILABLE;
		it->destination = NULL;
	}
	return ILSSIM_OK;
}

struct ilssim_hold *
ilssim_data_hold_find(struct ilssim_patron *p, struct ilssim_item *it,
    struct ilssim_title *ti)
{
	struct ilssim_hold	*h;

	if (ti == NULL && it != NULL)
		ti = it->title;
	TAILQ_FOREACH(h, &p->holds, pentry) {
		if (h->title != ti)
			continue;
		if (it == NULL || h->item == NULL || h->item == it ||
		    h->trapped == it)
			return h;
	}
	return NULL;
}

enum ilssim_res
ilssim_data_hold_place(struct ilssim_state *st, struct ilssim_patron *p,
    struct ilssim_item *it, struct ilssim_title *ti, int type,
    const char *pickup, time_t expires, time_t now, struct ilssim_hold **out)
{
	struct ilssim_standing	 s;
	struct ilssim_loan	*l;
	struct ilssim_hold	*h;

	*out = NULL;
	if (it != NULL)
		ti = it->title;
	if (ti == NULL)
		return it != NULL ? ILSSIM_E_NO_ITEM : ILSSIM_E_NO_TITLE;
	if (type == ILSSIM_HOLD_TITLE || type == ILSSIM_HOLD_BRANCH)
		it = NULL;
	else if (it == NULL)
		type = ILSSIM_HOLD_TITLE;
	else if (type == 0)
		type = ILSSIM_HOLD_COPY;

	ilssim_data_standing(st, p, now, &s);
	if (s.status & ILSSIM_B_HOLD_DENIED) {
		if (s.reason != ILSSIM_OK && s.reason != ILSSIM_E_OVERDUE)
			return s.reason;
		if (p->blocks & ILSSIM_B_HOLD_DENIED)
			return ILSSIM_E_DENIED;
		return ILSSIM_E_HOLD_LIMIT;
	}
	if (ilssim_data_hold_find(p, it, ti) != NULL)
		return ILSSIM_E_HOLD_EXISTS;
	TAILQ_FOREACH(l, &p->loans, entry)
		if (l->item->title == ti && (it == NULL || l->item == it))
			return ILSSIM_E_HAS_ITEM;
	if (pickup == NULL || *pickup == '\0')
		pickup = p->home;
	if ((pickup = location_code(st, pickup)) == NULL)
		return ILSSIM_E_NO_LOCATION;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return ILSSIM_E_NOMEM;
	snprintf(h->id, sizeof(h->id), "H%08u", ++st->next_hold);
	h->patron = p;
	h->title = ti;
	h->item = it;
	h->pickup = pickup;
	h->type = type;
	h->placed = now;
	h->expires = expires != 0 ? expires : end_of_day(now, HOLD_DAYS);
	TAILQ_INSERT_TAIL(&ti->queue, h, qentry);
	TAILQ_INSERT_TAIL(&p->holds, h, pentry);
	*out = h;
	return ILSSIM_OK;
}

enum ilssim_res
ilssim_data_hold_change(struct ilssim_state *st, struct ilssim_hold *h,
    const char *pickup, time_t expires)
{
	const char	*code = NULL;

	if (pickup != NULL && *pickup != '\0' &&
	    (code = location_code(st, pickup)) == NULL)
		return ILSSIM_E_NO_LOCATION;
	if (code != NULL && code != h->pickup) {
		h->pickup = code;
		/* A copy already set aside now goes to the new pickup. */
		if (h->trapped != NULL)
			hold_trap(h, h->trapped);
	}
	if (expires != 0)
		h->expires = expires;
	return ILSSIM_OK;
}

void
ilssim_data_hold_cancel(struct ilssim_state *st, struct ilssim_hold *h)
{
	struct ilssim_item	*it = h->trapped;

	hold_unlink(h);
	if (it == NULL)
		return;
	/* The copy set aside goes back to its shelf. */
	if (strcmp(it->location, it->home) == 0) {
		it->status = ILSSIM_ST_AVAILABLE;
		it->destination = NULL;
	} else {
		it->status = ILSSIM_ST_IN_TRANSIT;
		it->destination = it->home;
	}
}

enum ilssim_res
ilssim_data_fee_pay(struct ilssim_state *st, struct ilssim_patron *p,
    const char *id, long cents, struct ilssim_payment *out)
{
	struct ilssim_fee	*f;
	long			 owed = 0, left, part;

	memset(out, 0, sizeof(*out));
	if (cents <= 0)
		return ILSSIM_E_AMOUNT;
	TAILQ_FOREACH(f, &p->fees, entry)
		owed += f->amount;
	if (id != NULL && *id != '\0') {
		f = hash_get(&st->fee_idx, id);
		if (f == NULL || f->patron != p)
			return ILSSIM_E_NO_FEE;
		if (cents > f->amount)
			return ILSSIM_E_OVERPAY;
		f->amount -= cents;
	} else {
		if (cents > owed)
			return ILSSIM_E_OVERPAY;
		left = cents;
		TAILQ_FOREACH(f, &p->fees, entry) {
			if (left == 0)
				break;
			part = f->amount < left ? f->amount : left;
			f->amount -= part;
			left -= part;
		}
	}
	out->paid = cents;
	out->remaining = owed - cents;
	return ILSSIM_OK;
}

enum ilssim_res
ilssim_data_block(struct ilssim_state *st, struct ilssim_patron *p,
    int retained, const char *msg)
{
	char	*m = NULL;

	if (msg != NULL && *msg != '\0' && (m = strdup(msg)) == NULL)
		return ILSSIM_E_NOMEM;
	free(p->block_msg);
	p->block_msg = m;
	p->blocked = 1;
	p->retained = retained;
	return ILSSIM_OK;
}

void
ilssim_data_enable(struct ilssim_state *st, struct ilssim_patron *p)
{
	free(p->block_msg);
	p->block_msg = NULL;
	p->blocked = 0;
	p->retained = 0;
}

enum ilssim_res
ilssim_data_item_props(struct ilssim_state *st, struct ilssim_item *it,
    const char *props)
{
	char	*v;

	if ((v = strdup_cut(props, DATA_VALUE_MAX)) == NULL)
		return ILSSIM_E_NOMEM;
	free(it->props);
	it->props = v;
	return ILSSIM_OK;
}

void
ilssim_data_txn_id(struct ilssim_state *st, char *buf, size_t len)
{
	snprintf(buf, len, "T%08u", ++st->next_txn);
}

/* Formatted by hand: it is on the path of every patron status. */
void
ilssim_data_money(long cents, char *buf, size_t len)
{
	char		 tmp[32];
	size_t		 n = 0, i = 0;
	unsigned long	 v;

	if (len == 0)
		return;
	v = cents < 0 ? 0UL - (unsigned long)cents : (unsigned long)cents;
	tmp[n++] = (char)('0' + v % 10);
	v /= 10;
	tmp[n++] = (char)('0' + v % 10);
	v /= 10;
	tmp[n++] = '.';
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	if (cents < 0)
		tmp[n++] = '-';
	while (n > 0 && i + 1 < len)
		buf[i++] = tmp[--n];
	buf[i] = '\0';
}

int
ilssim_data_parse_money(const char *s, long *out)
{
	long	 v = 0;
	int	 frac = 0, digits = 0;

	if (s == NULL)
		return -1;
	while (*s == ' ')
		s++;
	for (; isdigit((unsigned char)*s); s++, digits++) {
		v = v * 10 + (*s - '0');
		if (v > MONEY_MAX / 100)
			return -1;
	}
	v *= 100;
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s); s++, frac++) {
			if (frac == 2)
				return -1;
			v += (*s - '0') * (frac == 0 ? 10 : 1);
			digits++;
		}
	}
	if (*s != '\0' || digits == 0)
		return -1;
	*out = v;
	return 0;
}

/* --- records NCIP makes and changes ---------------------------------- */

/* A value a record may hold: UTF-8 without control characters. */
static int
value_ok(const char *s)
{
	size_t	 n;

	if (s == NULL || (n = strlen(s)) == 0 || n > DATA_VALUE_MAX)
		return 0;
	return utf8_ok((const unsigned char *)s, n);
}

struct ilssim_hold *
ilssim_data_hold_by_id(struct ilssim_state *st, const char *id)
{
	struct ilssim_hold	*h;
	size_t			 i;

	if (id == NULL || *id == '\0')
		return NULL;
	for (i = 0; i < st->ntitles; i++)
		TAILQ_FOREACH(h, &st->titles[i]->queue, qentry)
			if (strcmp(h->id, id) == 0 || (h->ext_id != NULL &&
			    strcmp(h->ext_id, id) == 0))
				return h;
	return NULL;
}

enum ilssim_res
ilssim_data_hold_tag(struct ilssim_hold *h, const char *ext)
{
	char	*v;

	if (!value_ok(ext))
		return ILSSIM_E_BAD_VALUE;
	if ((v = strdup(ext)) == NULL)
		return ILSSIM_E_NOMEM;
	free(h->ext_id);
	h->ext_id = v;
	return ILSSIM_OK;
}

enum ilssim_res
ilssim_data_hold_set_aside(struct ilssim_state *st, struct ilssim_patron *p,
    struct ilssim_item *it, const char *pickup, time_t expires, time_t now,
    struct ilssim_hold **out)
{
	struct ilssim_hold	*h;

	*out = NULL;
	if (pickup == NULL || *pickup == '\0')
		pickup = p->home;
	if ((pickup = location_code(st, pickup)) == NULL)
		return ILSSIM_E_NO_LOCATION;
	if (it->loan != NULL)
		return ILSSIM_E_ON_LOAN;
	if (it->trapped != NULL)
		return ILSSIM_E_ON_HOLD;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return ILSSIM_E_NOMEM;
	snprintf(h->id, sizeof(h->id), "H%08u", ++st->next_hold);
	h->patron = p;
	h->title = it->title;
	h->item = it;
	h->pickup = pickup;
	h->type = ILSSIM_HOLD_COPY;
	h->placed = now;
	h->expires = expires != 0 ? expires : end_of_day(now, HOLD_DAYS);
	TAILQ_INSERT_HEAD(&it->title->queue, h, qentry);
	TAILQ_INSERT_TAIL(&p->holds, h, pentry);
	hold_trap(h, it);
	*out = h;
	return ILSSIM_OK;
}

/* Compare ISBNs and record ids, ignoring hyphens, spaces and case. */
static int
bibid_eq(const char *a, const char *b)
{
	for (;;) {
		while (*a == '-' || *a == ' ')
			a++;
		while (*b == '-' || *b == ' ')
			b++;
		if (*a == '\0' || *b == '\0')
			return *a == *b;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
		a++;
		b++;
	}
}

struct ilssim_title *
ilssim_data_title_by_bibid(struct ilssim_state *st, const char *id)
{
	struct ilssim_title	*ti;
	size_t			 i;

	if (id == NULL || *id == '\0')
		return NULL;
	for (i = 0; i < st->ntitles; i++) {
		ti = st->titles[i];
		if ((ti->isbn != NULL && bibid_eq(ti->isbn, id)) ||
		    (ti->record != NULL && bibid_eq(ti->record, id)))
			return ti;
	}
	return NULL;
}

enum ilssim_res
ilssim_data_patron_new(struct ilssim_state *st, const char *barcode,
    const char *pin, const char *name, const char *class,
    struct ilssim_patron **out)
{
	struct ilssim_patron	*p, **np;
	struct ilssim_class	*c = NULL;

	*out = NULL;
	if (!value_ok(barcode) || !value_ok(pin) || !value_ok(name))
		return ILSSIM_E_BAD_VALUE;
	if (ilssim_data_patron(st, barcode) != NULL)
		return ILSSIM_E_PATRON_EXISTS;
	if (class != NULL)
		c = class_find(st, class);
	if (c == NULL && st->nclasses > 0)
		c = &st->classes[0];
	if (c == NULL)
		return ILSSIM_E_BAD_VALUE;
	if ((np = reallocarray(st->patrons, st->npatrons + 1,
	    sizeof(*np))) == NULL)
		return ILSSIM_E_NOMEM;
	st->patrons = np;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return ILSSIM_E_NOMEM;
	TAILQ_INIT(&p->fees);
	TAILQ_INIT(&p->loans);
	TAILQ_INIT(&p->holds);
	memcpy(p->language, "000", 4);
	p->class = c;
	p->home = st->nlocations > 0 ? st->locations[0].code : NULL;
	if ((p->barcode = strdup(barcode)) == NULL ||
	    (p->pin = strdup(pin)) == NULL ||
	    (p->name = strdup(name)) == NULL ||
	    hash_put(&st->patron_idx, p->barcode, p) != 0) {
		patron_free(p);
		return ILSSIM_E_NOMEM;
	}
	st->patrons[st->npatrons++] = p;
	*out = p;
	return ILSSIM_OK;
}

enum ilssim_res
ilssim_data_patron_set(struct ilssim_patron *p, enum ilssim_pfield f,
    const char *v)
{
	char		**dst, *nv, *end;
	long long	 t;

	switch (f) {
	case ILSSIM_PF_NAME:
		dst = &p->name;
		break;
	case ILSSIM_PF_PIN:
		dst = &p->pin;
		break;
	case ILSSIM_PF_ADDRESS:
		dst = &p->address;
		break;
	case ILSSIM_PF_EMAIL:
		dst = &p->email;
		break;
	case ILSSIM_PF_PHONE:
		dst = &p->phone;
		break;
	case ILSSIM_PF_NOTICES:
		dst = &p->notices;
		break;
	case ILSSIM_PF_BIRTH:
		if (v != NULL && (strlen(v) != 8 ||
		    strspn(v, "0123456789") != 8))
			return ILSSIM_E_BAD_VALUE;
		dst = &p->birth;
		break;
	case ILSSIM_PF_LANGUAGE:
		if (v == NULL)
			v = "000";
		if (strlen(v) != 3 || strspn(v, "0123456789") != 3)
			return ILSSIM_E_BAD_VALUE;
		memcpy(p->language, v, 4);
		return ILSSIM_OK;
	case ILSSIM_PF_EXPIRES:
		if (v == NULL) {
			p->expires = 0;
			return ILSSIM_OK;
		}
		errno = 0;
		t = strtoll(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno != 0 || t <= 0)
			return ILSSIM_E_BAD_VALUE;
		p->expires = (time_t)t;
		return ILSSIM_OK;
	default:
		return ILSSIM_E_BAD_VALUE;
	}
	if (v == NULL) {
		if (f == ILSSIM_PF_NAME || f == ILSSIM_PF_PIN)
			return ILSSIM_E_BAD_VALUE;
		free(*dst);
		*dst = NULL;
		return ILSSIM_OK;
	}
	if (!value_ok(v))
		return ILSSIM_E_BAD_VALUE;
	if ((nv = strdup(v)) == NULL)
		return ILSSIM_E_NOMEM;
	free(*dst);
	*dst = nv;
	return ILSSIM_OK;
}

void
ilssim_data_patron_blocks(struct ilssim_patron *p, unsigned set,
    unsigned clear)
{
	p->blocks = (p->blocks & ~clear) | set;
}

unsigned
ilssim_data_block_bit(const char *name)
{
	size_t	 i;

	for (i = 0; name != NULL && i < ILSSIM_B_COUNT; i++)
		if (strcasecmp(block_names[i].name, name) == 0)
			return (unsigned)block_names[i].code;
	return 0;
}

const char *
ilssim_data_block_name(unsigned bit)
{
	size_t	 i;

	for (i = 0; i < ILSSIM_B_COUNT; i++)
		if ((unsigned)block_names[i].code == bit)
			return block_names[i].name;
	return NULL;
}

enum ilssim_res
ilssim_data_item_new(struct ilssim_state *st, const char *barcode,
    const char *title, const char *author, const char *location,
    const char *owner, int temporary, struct ilssim_item **out)
{
	struct ilssim_item	*it, **ni;
	const char		*home;
	char			*name;

	*out = NULL;
	if (!value_ok(barcode) || !value_ok(title) ||
	    (author != NULL && !value_ok(author)) ||
	    (owner != NULL && !value_ok(owner)))
		return ILSSIM_E_BAD_VALUE;
	if ((home = location_code(st, location)) == NULL)
		return ILSSIM_E_NO_LOCATION;
	if (ilssim_data_item(st, barcode) != NULL)
		return ILSSIM_E_ITEM_EXISTS;
	if ((ni = reallocarray(st->items, st->nitems + 1,
	    sizeof(*ni))) == NULL)
		return ILSSIM_E_NOMEM;
	st->items = ni;
	if ((it = calloc(1, sizeof(*it))) == NULL)
		return ILSSIM_E_NOMEM;
	it->status = ILSSIM_ST_AVAILABLE;
	it->home = home;
	it->temporary = temporary;
	if ((it->barcode = strdup(barcode)) == NULL ||
	    (it->media = strdup("001")) == NULL ||
	    (it->owner = strdup(owner != NULL ? owner :
	    st->institution)) == NULL ||
	    (it->location = strdup(home)) == NULL ||
	    (author != NULL && (it->author = strdup(author)) == NULL) ||
	    hash_put(&st->item_idx, it->barcode, it) != 0) {
		item_free(it);
		return ILSSIM_E_NOMEM;
	}
	/* A borrowed copy gets a title and a queue of its own. */
	if ((name = strdup(title)) == NULL ||
	    title_add_copy(st, name, it, !temporary) == NULL) {
		hash_del(&st->item_idx, it->barcode);
		item_free(it);
		return ILSSIM_E_NOMEM;
	}
	st->items[st->nitems++] = it;
	*out = it;
	return ILSSIM_OK;
}

enum ilssim_res
ilssim_data_item_delete(struct ilssim_state *st, struct ilssim_item *it)
{
	struct ilssim_title	*ti = it->title;
	struct ilssim_hold	*h, *next;
	size_t			 i;

	if (it->loan != NULL)
		return ILSSIM_E_ON_LOAN;
	for (h = TAILQ_FIRST(&ti->queue); h != NULL; h = next) {
		next = TAILQ_NEXT(h, qentry);
		if (h->item == it)
			hold_unlink(h);
		else if (h->trapped == it)
			h->trapped = NULL;
	}
	it->trapped = NULL;
	for (i = 0; i < ti->ncopies; i++) {
		if (ti->copies[i] == it) {
			memmove(&ti->copies[i], &ti->copies[i + 1],
			    (ti->ncopies - i - 1) * sizeof(ti->copies[0]));
			ti->ncopies--;
			break;
		}
	}
	for (i = 0; i < st->nitems; i++) {
		if (st->items[i] == it) {
			memmove(&st->items[i], &st->items[i + 1],
			    (st->nitems - i - 1) * sizeof(st->items[0]));
			st->nitems--;
			break;
		}
	}
	hash_del(&st->item_idx, it->barcode);
	item_free(it);
	return ILSSIM_OK;
}

const struct ilssim_accept *
ilssim_data_accept_find(struct ilssim_state *st, const char *key)
{
	return key != NULL ? hash_get(&st->accept_idx, key) : NULL;
}

enum ilssim_res
ilssim_data_accept_add(struct ilssim_state *st, const char *key,
    const char *barcode)
{
	struct ilssim_accept	*a;
	int			 rc;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return ILSSIM_E_NOMEM;
	if ((a->key = strdup(key)) == NULL ||
	    (a->barcode = strdup(barcode)) == NULL ||
	    (rc = hash_put(&st->accept_idx, a->key, a)) != 0) {
		rc = a->key != NULL && a->barcode != NULL &&
		    hash_get(&st->accept_idx, a->key) != NULL;
		free(a->key);
		free(a->barcode);
		free(a);
		return rc ? ILSSIM_E_ITEM_EXISTS : ILSSIM_E_NOMEM;
	}
	return ILSSIM_OK;
}

void
ilssim_data_new_barcode(struct ilssim_state *st, int patron, char *buf,
    size_t len)
{
	do {
		snprintf(buf, len, "%s%08u", patron ? "N" : "T",
		    ++st->next_id);
	} while (patron ? ilssim_data_patron(st, buf) != NULL :
	    ilssim_data_item(st, buf) != NULL);
}

/* --- descriptions for the control port -------------------------------- */

static void
day_format(time_t t, char *buf, size_t len)
{
	struct tm	 tm;

	if (t == 0) {
		snprintf(buf, len, "-");
		return;
	}
	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

void
ilssim_data_describe_item(struct ilssim_item *it, char *buf, size_t len)
{
	struct ilssim_hold	*h;
	char			 due[16], queue[512];
	size_t			 n = 0;
	int			 w;

	queue[0] = '\0';
	TAILQ_FOREACH(h, &it->title->queue, qentry) {
		if (!hold_matches(h, it) ||
		    (h->trapped != NULL && h->trapped != it))
			continue;
		w = snprintf(queue + n, sizeof(queue) - n, "%s%s",
		    n > 0 ? "," : "", h->patron->barcode);
		if (w < 0 || (size_t)w >= sizeof(queue) - n)
			break;
		n += w;
	}
	day_format(it->loan != NULL ? it->loan->due : 0, due, sizeof(due));
	snprintf(buf, len, "item=%s status=%02d patron=%s due=%s renewals=%d "
	    "holds=%d queue=%s held-for=%s location=%s destination=%s "
	    "home=%s props=%s", it->barcode, it->status,
	    it->loan != NULL ? it->loan->patron->barcode : "-", due,
	    it->loan != NULL ? it->loan->renewals : 0,
	    ilssim_data_item_queue(it), n > 0 ? queue : "-",
	    it->trapped != NULL ? it->trapped->patron->barcode : "-",
	    it->location, it->destination != NULL ? it->destination : "-",
	    it->home, it->props != NULL && *it->props != '\0' ?
	    it->props : "-");
}

void
ilssim_data_describe_patron(struct ilssim_state *st, struct ilssim_patron *p,
    time_t now, char *buf, size_t len)
{
	struct ilssim_standing	 s;
	char			 owed[32], blocks[512], fields[64];
	size_t			 n = 0, i;
	int			 w;

	ilssim_data_standing(st, p, now, &s);
	ilssim_data_money(s.owed, owed, sizeof(owed));
	blocks[0] = '\0';
	for (i = 0; i < ILSSIM_B_COUNT; i++) {
		if (!(s.status & (unsigned)block_names[i].code))
			continue;
		w = snprintf(blocks + n, sizeof(blocks) - n, "%s%s",
		    n > 0 ? "," : "", block_names[i].name);
		if (w < 0 || (size_t)w >= sizeof(blocks) - n)
			break;
		n += w;
	}
	/* Which personal fields it holds, never their values. */
	snprintf(fields, sizeof(fields), "%s%s%s%s%s", p->name != NULL ?
	    ",name" : "", p->address != NULL ? ",address" : "",
	    p->email != NULL ? ",email" : "", p->phone != NULL ? ",phone" : "",
	    p->birth != NULL ? ",birth" : "");
	snprintf(buf, len, "patron=%s loans=%d overdue=%d holds=%d ready=%d "
	    "fees=%d owed=%s blocked=%s expired=%s status=%s fields=%s "
	    "notices=\"%s\"", p->barcode,
	    s.loans, s.overdue, s.holds_ready + s.holds_waiting,
	    s.holds_ready, s.fees, owed, p->blocked ? "yes" : "no",
	    s.expired ? "yes" : "no", n > 0 ? blocks : "-",
	    fields[0] != '\0' ? fields + 1 : "-",
	    p->notices != NULL ? p->notices : "");
}

void
ilssim_data_describe_counts(struct ilssim_state *st, char *buf, size_t len)
{
	struct ilssim_patron	*p;
	struct ilssim_loan	*l;
	struct ilssim_hold	*h;
	struct ilssim_fee	*f;
	size_t			 i, loans = 0, holds = 0, fees = 0;

	for (i = 0; i < st->npatrons; i++) {
		p = st->patrons[i];
		TAILQ_FOREACH(l, &p->loans, entry)
			loans++;
		TAILQ_FOREACH(h, &p->holds, pentry)
			holds++;
		TAILQ_FOREACH(f, &p->fees, entry)
			if (f->amount > 0)
				fees++;
	}
	snprintf(buf, len, "patrons=%zu items=%zu titles=%zu loans=%zu "
	    "holds=%zu fees=%zu accepted=%zu", st->npatrons, st->nitems,
	    st->ntitles, loans, holds, fees, st->accept_idx.n);
}
