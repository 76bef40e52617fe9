/* SPDX-License-Identifier: ISC */
/*
 * The SIP2 side of translation: terminals' SIP2 requests into the neutral
 * request and neutral results back into SIP2 responses, neutral requests
 * into SIP2 requests for an ILS and that ILS's answers into neutral results.
 */

#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "circlinkd.h"

#define XLATE_LIST_BUDGET	4096	/* bytes of list fields in one answer */
#define XLATE_LIST_MAX		100	/* entries of one list in one answer */
#define XLATE_COUNT_MAX		9999	/* the most a 4-digit count can say */
#define XLATE_UNKNOWN_PATRON	"YYYY          "
#define XLATE_BLANK_DATE	"                  "

/* The SIP2 request of each operation an ILS carries out, and its words. */
static const struct {
	enum circ_op	 op;
	int		 code;
	const char	*doing;		/* "<partner> does not support ..." */
} xlate_ops[] = {
	{ CIRC_PATRON_STATUS, SIP2_PATRON_STATUS, "patron status" },
	{ CIRC_PATRON_INFO, SIP2_PATRON_INFO, "patron information" },
	{ CIRC_CHECKOUT, SIP2_CHECKOUT, "checkouts" },
	{ CIRC_CHECKIN, SIP2_CHECKIN, "returns" },
	{ CIRC_RENEW, SIP2_RENEW, "renewals" },
	{ CIRC_RENEW_ALL, SIP2_RENEW_ALL, "renewing all loans at once" },
	{ CIRC_HOLD, SIP2_HOLD, "holds" },
	{ CIRC_FEE_PAID, SIP2_FEE_PAID, "fee payments" },
	{ CIRC_ITEM_INFO, SIP2_ITEM_INFO, "item information" },
	{ CIRC_ITEM_UPDATE, SIP2_ITEM_STATUS, "changes to item properties" },
	{ CIRC_BLOCK_PATRON, SIP2_BLOCK_PATRON, "blocking cards" },
	{ CIRC_PATRON_ENABLE, SIP2_PATRON_ENABLE, "re-enabling cards" },
	{ CIRC_END_SESSION, SIP2_END_SESSION, "ending patron sessions" },
};

/* The list fields of 64, in the order of 63's summary. */
static const char *const xlate_list_ids[CIRC_LIST__COUNT] = {
	[CIRC_LIST_HOLDS] = "AS",
	[CIRC_LIST_OVERDUE] = "AT",
	[CIRC_LIST_CHARGED] = "AU",
	[CIRC_LIST_FINES] = "AV",
	[CIRC_LIST_RECALLS] = "BU",
	[CIRC_LIST_UNAVAIL_HOLDS] = "CD",
};

static const enum sip2_fx xlate_list_counts[CIRC_LIST__COUNT] = {
	[CIRC_LIST_HOLDS] = SIP2_FX_HOLD_COUNT,
	[CIRC_LIST_OVERDUE] = SIP2_FX_OVERDUE_COUNT,
	[CIRC_LIST_CHARGED] = SIP2_FX_CHARGED_COUNT,
	[CIRC_LIST_FINES] = SIP2_FX_FINE_COUNT,
	[CIRC_LIST_RECALLS] = SIP2_FX_RECALL_COUNT,
	[CIRC_LIST_UNAVAIL_HOLDS] = SIP2_FX_UNAVAIL_HOLD_COUNT,
};

/*
 * What an ILS's screen message says went wrong, when all it sends is
 * words.  Both words must appear (the second may be NULL); the first row
 * that matches wins, so narrower rows come first.
 */
static const struct {
	const char	*a, *b;
	enum circ_error	 error;
} xlate_words[] = {
	{ "pin", "invalid", CIRC_E_BAD_PIN },
	{ "pin", "wrong", CIRC_E_BAD_PIN },
	{ "pin", "incorrect", CIRC_E_BAD_PIN },
	{ "password", "invalid", CIRC_E_BAD_PIN },
	{ "password", "wrong", CIRC_E_BAD_PIN },
	{ "password", "incorrect", CIRC_E_BAD_PIN },
	{ "authentication", NULL, CIRC_E_BAD_PIN },
	{ "patron", "not found", CIRC_E_UNKNOWN_PATRON },
	{ "patron", "unknown", CIRC_E_UNKNOWN_PATRON },
	{ "invalid patron", NULL, CIRC_E_UNKNOWN_PATRON },
	{ "no such patron", NULL, CIRC_E_UNKNOWN_PATRON },
	{ "user", "not found", CIRC_E_UNKNOWN_PATRON },
	{ "unknown user", NULL, CIRC_E_UNKNOWN_PATRON },
	{ "borrower", "not found", CIRC_E_UNKNOWN_PATRON },
	{ "card", "not found", CIRC_E_UNKNOWN_PATRON },
	{ "item", "not found", CIRC_E_UNKNOWN_ITEM },
	{ "item", "unknown", CIRC_E_UNKNOWN_ITEM },
	{ "no such item", NULL, CIRC_E_UNKNOWN_ITEM },
	{ "invalid item", NULL, CIRC_E_UNKNOWN_ITEM },
	{ "barcode", "not found", CIRC_E_UNKNOWN_ITEM },
	{ "title not found", NULL, CIRC_E_UNKNOWN_ITEM },
	{ "not checked out", NULL, CIRC_E_NOT_CHARGED },
	{ "not charged", NULL, CIRC_E_NOT_CHARGED },
	{ "not on loan", NULL, CIRC_E_NOT_CHARGED },
	{ "no such hold", NULL, CIRC_E_NOT_CHARGED },	/* of a cancel */
	{ "no such request", NULL, CIRC_E_NOT_CHARGED },
	{ "already", "hold", CIRC_E_DUPLICATE },
	{ "already", "request", CIRC_E_DUPLICATE },
	{ "already has", NULL, CIRC_E_DUPLICATE },
	{ "duplicate", NULL, CIRC_E_DUPLICATE },
	{ "fee limit", NULL, CIRC_E_BLOCKED },
	{ "owes", NULL, CIRC_E_BLOCKED },
	{ "excessive", NULL, CIRC_E_BLOCKED },
	{ "block", NULL, CIRC_E_BLOCKED },
	{ "barred", NULL, CIRC_E_BLOCKED },
	{ "suspended", NULL, CIRC_E_BLOCKED },
	{ "expired", NULL, CIRC_E_BLOCKED },
	{ "card", "lost", CIRC_E_BLOCKED },
	{ "privilege", NULL, CIRC_E_BLOCKED },
	{ "denied", NULL, CIRC_E_BLOCKED },
	{ "too many overdue", NULL, CIRC_E_BLOCKED },
	{ "limit", NULL, CIRC_E_LIMIT },
	{ "maximum", NULL, CIRC_E_LIMIT },
	{ "too many", NULL, CIRC_E_LIMIT },
	{ "not available", NULL, CIRC_E_NOT_AVAILABLE },
	{ "unavailable", NULL, CIRC_E_NOT_AVAILABLE },
	{ "to another", NULL, CIRC_E_NOT_AVAILABLE },
	{ "for another", NULL, CIRC_E_NOT_AVAILABLE },
	{ "not circulate", NULL, CIRC_E_NOT_AVAILABLE },
	{ "non-circulating", NULL, CIRC_E_NOT_AVAILABLE },
	{ "not for loan", NULL, CIRC_E_NOT_AVAILABLE },
	{ "reference only", NULL, CIRC_E_NOT_AVAILABLE },
	{ "missing", NULL, CIRC_E_NOT_AVAILABLE },
	{ "lost", NULL, CIRC_E_NOT_AVAILABLE },
	{ "acknowledge", NULL, CIRC_E_NEEDED_DATA },
};

/* Fee types by the words an ILS describes a fee with. */
static const struct {
	const char	*word;
	int		 type;
} xlate_fee_words[] = {
	{ "overdue", 4 },
	{ "late", 4 },
	{ "replacement", 7 },
	{ "lost", 7 },
	{ "damage", 3 },
	{ "processing", 5 },
	{ "rental", 6 },
	{ "hold", 9 },
	{ "reserve", 9 },
	{ "computer", 8 },
	{ "internet", 8 },
	{ "print", 8 },
	{ "admin", 2 },
};

/* A message being built; running out of memory is noted, not checked. */
struct xlate_out {
	struct sip2_msg	*m;
	int		 nomem;
};

/* An answer being read into arena memory. */
struct xlate_in {
	struct circ_arena *a;
	int		 nomem;
};

/* A piece of an AV line. */
struct xlate_tok {
	const char	*s;
	size_t		 len;
};

static int
xlate_code(const struct circ_req *req)
{
	size_t	 i;

	if (req == NULL || req->op == NULL)
		return (0);
	for (i = 0; i < sizeof(xlate_ops) / sizeof(xlate_ops[0]); i++)
		if (xlate_ops[i].op == req->op->op)
			return (xlate_ops[i].code);
	return (0);
}

/*
 * The code to ask a SIP2 ILS: a patron status becomes a patron
 * information without lists when the class is wanted, since only 64
 * carries it (PC).
 */
static int
xlate_backend_code(const struct circ_req *req)
{
	int	 code = xlate_code(req);

	if (code == SIP2_PATRON_STATUS && req->want_class)
		return (SIP2_PATRON_INFO);
	return (code);
}

static int
xlate_empty(const char *s)
{
	return (s == NULL || s[strspn(s, " ")] == '\0');
}

static const char *
xlate_nz(const char *s)
{
	return (s != NULL ? s : "");
}

/* Return 1 for a yes as ILSes write it: Y, y or 1. */
static int
xlate_yes(const char *s)
{
	return (s != NULL && (*s == 'Y' || *s == 'y' || *s == '1'));
}

/* Return 1 for yes, 0 for no (N, n, 0) and -1 for unknown (U, blank). */
static int
xlate_tri(const char *s)
{
	if (xlate_yes(s))
		return (1);
	if (s != NULL && (*s == 'N' || *s == 'n' || *s == '0'))
		return (0);
	return (-1);
}

/* Read a number between blanks; -1 if there is none or it is too big. */
static int
xlate_num(const char *s, long *v)
{
	long	 n = 0;
	int	 digits = 0;

	if (s == NULL)
		return (-1);
	s += strspn(s, " ");
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		if (n > (LONG_MAX - 9) / 10)
			return (-1);
		n = n * 10 + (*s - '0');
	}
	if (digits == 0 || s[strspn(s, " ")] != '\0')
		return (-1);
	*v = n;
	return (0);
}

/* Read a SIP2 date field: blanks or rubbish are no date (0). */
static time_t
xlate_date(const char *s)
{
	time_t	 t;

	if (xlate_empty(s))
		return (0);
	if (sip2_date_parse(s, &t) == 0 || sip2_date_parse_lenient(s, &t) == 0)
		return (t);
	return (0);
}

static char
xlate_lower(char c)
{
	return (c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c);
}

/* Return 1 if hay holds needle (lower case), ignoring ASCII case. */
static int
xlate_has(const char *hay, const char *needle)
{
	size_t	 n = strlen(needle), i;

	for (; *hay != '\0'; hay++) {
		for (i = 0; i < n && hay[i] != '\0'; i++)
			if (xlate_lower(hay[i]) != needle[i])
				break;
		if (i == n)
			return (1);
	}
	return (0);
}

/* Money: minor units per major unit by ISO 4217 code, 2 by default. */
static int
xlate_money_exp(const char *currency)
{
	static const char	 zero[] = "BIF CLP DJF GNF ISK JPY KMF KRW PYG "
	    "RWF UGX VND VUV XAF XOF XPF";
	static const char	 three[] = "BHD IQD JOD KWD LYD OMR TND";
	char			 c[4];
	int			 i;

	if (currency == NULL || strlen(currency) != 3)
		return (2);
	for (i = 0; i < 3; i++) {
		c[i] = currency[i];
		if (c[i] >= 'a' && c[i] <= 'z')
			c[i] = (char)(c[i] - 'a' + 'A');
		if (c[i] < 'A' || c[i] > 'Z')
			return (2);
	}
	c[3] = '\0';
	if (strstr(zero, c) != NULL)
		return (0);
	if (strstr(three, c) != NULL)
		return (3);
	return (2);
}

/* Return the length of a currency sign at s ($, US$, pound, euro), or 0. */
static size_t
xlate_money_sign(const char *s, const char *e)
{
	static const char *const signs[] = {
		"US$", "$", "\xc2\xa3", "\xe2\x82\xac"
	};
	size_t	 i, n;

	for (i = 0; i < sizeof(signs) / sizeof(signs[0]); i++) {
		n = strlen(signs[i]);
		if ((size_t)(e - s) >= n && memcmp(s, signs[i], n) == 0)
			return (n);
	}
	return (0);
}

/* Return 1 if the comma at s separates thousands: three digits follow. */
static int
xlate_thousands(const char *s, const char *e)
{
	int	 i;

	if (e - s < 4)
		return (0);
	for (i = 1; i <= 3; i++)
		if (s[i] < '0' || s[i] > '9')
			return (0);
	return (e - s == 4 || s[4] < '0' || s[4] > '9');
}

/*
 * Parse an amount such as "12.50", "$1,234.5" or "-3" into minor units,
 * exactly: digits past the currency's minor unit must be zeros, and a
 * comma is a thousands separator only before exactly three digits (else
 * it is the decimal mark).  *marked says a sign or a decimal mark was
 * there, which tells an amount from a number in free text.
 */
static int
xlate_money_parse(const char *s, size_t len, int exp, long long *out,
    int *marked)
{
	const char	*e = s + len;
	long long	 v = 0;
	size_t		 n;
	int		 neg = 0, digits = 0, frac = -1, mark = 0;

	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (s < e && *s == '-') {
		neg = 1;
		s++;
	}
	if ((n = xlate_money_sign(s, e)) > 0) {
		s += n;
		mark = 1;
	}
	if (!neg && s < e && *s == '-') {
		neg = 1;
		s++;
	}
	for (; s < e; s++) {
		if (*s >= '0' && *s <= '9') {
			if (frac >= exp) {
				if (*s != '0')
					return (-1);
				continue;
			}
			if (frac >= 0)
				frac++;
			if (v > (LLONG_MAX - 9) / 10)
				return (-1);
			v = v * 10 + (*s - '0');
			digits++;
			continue;
		}
		if (frac >= 0)
			return (-1);
		if (*s == ',' && digits > 0 && xlate_thousands(s, e))
			continue;
		if (*s != '.' && *s != ',')
			return (-1);
		frac = 0;
		mark = 1;
	}
	if (digits == 0)
		return (-1);
	for (frac = frac < 0 ? 0 : frac; frac < exp; frac++) {
		if (v > LLONG_MAX / 10)
			return (-1);
		v *= 10;
	}
	*out = neg ? -v : v;
	if (marked != NULL)
		*marked = mark;
	return (0);
}

/* Write minor units as a SIP2 amount: "12.50", "-0.75", "500". */
void
xlate_money_format(long long v, const char *currency, char *buf,
    size_t len)
{
	unsigned long long	 u, scale = 1;
	int			 exp = xlate_money_exp(currency), i;

	for (i = 0; i < exp; i++)
		scale *= 10;
	u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	if (exp == 0)
		snprintf(buf, len, "%s%llu", v < 0 ? "-" : "", u);
	else
		snprintf(buf, len, "%s%llu.%0*llu", v < 0 ? "-" : "",
		    u / scale, exp, u % scale);
}

/* What to call a request in "<partner> does not support <doing>". */
static const char *
xlate_doing(const struct circ_req *req)
{
	size_t	 i;

	if (req == NULL || req->op == NULL)
		return ("this request");
	if (req->op->op == CIRC_HOLD && req->hold_mode == '*')
		return ("changing a hold's pickup location");
	if (req->op->op == CIRC_HOLD && req->hold_mode == '-')
		return ("cancelling holds");
	for (i = 0; i < sizeof(xlate_ops) / sizeof(xlate_ops[0]); i++)
		if (xlate_ops[i].op == req->op->op)
			return (xlate_ops[i].doing);
	return (req->op->name != NULL ? req->op->name : "this request");
}

/*
 * Write the screen message for a request that failed with err, naming the
 * partner that could not do it ("The library system" when partner is
 * NULL).  Returns the length of the message, which is cut to fit buf and
 * always terminated.
 */
size_t
xlate_sip2_screen(const struct circ_req *req, enum circ_error err,
    const char *partner, char *buf, size_t len)
{
	const char	*who;
	int		 n;

	if (len == 0)
		return (0);
	who = partner != NULL && *partner != '\0' ? partner :
	    "The library system";
	switch (err) {
	case CIRC_E_NONE:
		n = snprintf(buf, len, "%s", "");
		break;
	case CIRC_E_UNKNOWN_PATRON:
		n = snprintf(buf, len, "%s does not know this card; please "
		    "see staff.", who);
		break;
	case CIRC_E_BAD_PIN:
		n = snprintf(buf, len, "%s did not accept the PIN; please "
		    "try again.", who);
		break;
	case CIRC_E_BLOCKED:
		n = snprintf(buf, len, "%s has blocked this account; please "
		    "see staff.", who);
		break;
	case CIRC_E_UNKNOWN_ITEM:
		n = snprintf(buf, len, "%s does not know this item; please "
		    "see staff.", who);
		break;
	case CIRC_E_NOT_AVAILABLE:
		n = snprintf(buf, len, "%s cannot lend this item now.", who);
		break;
	case CIRC_E_NOT_CHARGED:
		if (req != NULL && req->op != NULL &&
		    req->op->op == CIRC_HOLD)
			n = snprintf(buf, len, "%s has no such hold.", who);
		else
			n = snprintf(buf, len, "%s has no loan of this item.",
			    who);
		break;
	case CIRC_E_LIMIT:
		n = snprintf(buf, len, "%s says a limit has been reached; "
		    "please see staff.", who);
		break;
	case CIRC_E_DUPLICATE:
		n = snprintf(buf, len, "%s already has this request.", who);
		break;
	case CIRC_E_NOT_SUPPORTED:
		n = snprintf(buf, len, "%s does not support %s; please see "
		    "staff.", who, xlate_doing(req));
		break;
	case CIRC_E_NEEDED_DATA:
		n = snprintf(buf, len, "%s needs more details for this; "
		    "please see staff.", who);
		break;
	case CIRC_E_OFFLINE:
		n = snprintf(buf, len, "%s is offline; please try again or "
		    "see staff.", who);
		break;
	case CIRC_E_TIMEOUT:
		n = snprintf(buf, len, "%s did not answer in time; please "
		    "try again or see staff.", who);
		break;
	default:
		n = snprintf(buf, len, "%s refused this request; please see "
		    "staff.", who);
		break;
	}
	if (n < 0) {
		buf[0] = '\0';
		return (0);
	}
	return ((size_t)n >= len ? len - 1 : (size_t)n);
}

/* --- terminal requests into neutral requests ----------------------------- */

/* Fill what the fixed fields of a request say. */
static void
xlate_req_fixed(struct circ_req *req, const struct sip2_msg *msg)
{
	const char	*v;
	long		 n;
	size_t		 i;

	if ((v = sip2_msg_fixed(msg, SIP2_FX_NO_BLOCK)) != NULL)
		req->no_block = xlate_yes(v);
	if (req->no_block &&
	    (v = sip2_msg_fixed(msg, SIP2_FX_NB_DUE_DATE)) != NULL)
		req->nb_due = xlate_date(v);
	if ((v = sip2_msg_fixed(msg, SIP2_FX_HOLD_MODE)) != NULL &&
	    (*v == '+' || *v == '-' || *v == '*'))
		req->hold_mode = *v;
	if ((v = sip2_msg_fixed(msg, SIP2_FX_SUMMARY)) != NULL) {
		for (i = 0; i < CIRC_LIST__COUNT && v[i] != '\0'; i++)
			if (v[i] == 'Y' || v[i] == 'y') {
				req->summary = (int)i;
				break;
			}
	}
	if ((v = sip2_msg_fixed(msg, SIP2_FX_FEE_TYPE)) != NULL &&
	    xlate_num(v, &n) == 0 && n >= 1 && n <= 99)
		req->fee_type = (int)n;
	if ((v = sip2_msg_fixed(msg, SIP2_FX_PAYMENT_TYPE)) != NULL &&
	    xlate_num(v, &n) == 0 && n <= 99)
		req->payment_type = (int)n;
	if ((v = sip2_msg_fixed(msg, SIP2_FX_CURRENCY)) != NULL &&
	    !xlate_empty(v))
		req->currency = v;
}

/*
 * Decode a terminal's SIP2 request into the neutral request.  Strings are
 * borrowed from msg, which must outlive req.  A login carries its CN, CO
 * and CP as patron, PIN and location.  Patron status asks for fines (24
 * carries the amount owed) and patron information for loans, holds and
 * fines (64 counts them all), so that an NCIP backend fetches what the
 * SIP2 answer needs.  An amount that does not read as money leaves amount
 * at -1.  Returns -1 only for a code with no row in the op table.
 */
int
xlate_sip2_req(struct circ_req *req, struct sip2_msg *msg)
{
	const char	*v;
	long		 n;
	int		 code;

	memset(req, 0, sizeof(*req));
	req->summary = -1;
	code = sip2_msg_code(msg);
	if ((req->op = circ_op_sip2(code)) == NULL)
		return (-1);
	req->sip2 = msg;
	req->institution = sip2_msg_field(msg, "AO");
	req->patron = sip2_msg_field(msg, "AA");
	if ((req->pin = sip2_msg_field(msg, "AD")) != NULL)
		req->has_pin = 1;
	req->item = sip2_msg_field(msg, "AB");
	req->title = sip2_msg_field(msg, "AJ");
	req->location = sip2_msg_field(msg, "AP");
	req->pickup = sip2_msg_field(msg, "BS");
	req->fee_id = sip2_msg_field(msg, "CG");
	req->transaction_id = sip2_msg_field(msg, "BK");
	req->item_props = sip2_msg_field(msg, "CH");
	if ((v = sip2_msg_field(msg, "BY")) != NULL && v[0] >= '1' &&
	    v[0] <= '4' && v[1] == '\0')
		req->hold_type = v[0] - '0';
	req->hold_expiry = xlate_date(sip2_msg_field(msg, "BW"));
	if (xlate_num(sip2_msg_field(msg, "BP"), &n) == 0 && n > 0 &&
	    n <= INT_MAX)
		req->start = (int)n;
	if (xlate_num(sip2_msg_field(msg, "BQ"), &n) == 0 && n > 0 &&
	    n <= INT_MAX)
		req->end = (int)n;
	xlate_req_fixed(req, msg);

	switch (code) {
	case SIP2_LOGIN:
		req->patron = sip2_msg_field(msg, "CN");
		if ((req->pin = sip2_msg_field(msg, "CO")) != NULL)
			req->has_pin = 1;
		req->location = sip2_msg_field(msg, "CP");
		break;
	case SIP2_PATRON_STATUS:
		req->want_fines = 1;
		break;
	case SIP2_PATRON_INFO:
		req->want_loans = req->want_holds = req->want_fines = 1;
		break;
	case SIP2_FEE_PAID:
		v = sip2_msg_field(msg, "BV");
		if (v == NULL || xlate_money_parse(v, strlen(v),
		    xlate_money_exp(req->currency), &req->amount, NULL) == -1)
			req->amount = -1;
		break;
	default:
		break;
	}
	return (0);
}

/* --- neutral results into terminal responses ----------------------------- */

static void
out_add(struct xlate_out *o, const char *id, const char *v)
{
	if (v != NULL && sip2_msg_add_field(o->m, id, v) == -1)
		o->nomem = 1;
}

static void
out_opt(struct xlate_out *o, const char *id, const char *v)
{
	if (v != NULL && *v != '\0')
		out_add(o, id, v);
}

static void
out_fixed(struct xlate_out *o, enum sip2_fx fx, const char *v)
{
	(void)sip2_msg_set_fixed(o->m, fx, v);
}

static void
out_date(struct xlate_out *o, const char *id, time_t t)
{
	char	 buf[19];

	if (t == 0)
		return;
	sip2_date_format(t, 0, buf);
	out_add(o, id, buf);
}

static void
out_money(struct xlate_out *o, const char *id, long long v,
    const char *currency)
{
	char	 buf[32];

	xlate_money_format(v, currency, buf, sizeof(buf));
	out_add(o, id, buf);
}

/* Put a number, zero-padded to width digits. */
static void
out_num(struct xlate_out *o, const char *id, int width, long v)
{
	char	 buf[24];

	snprintf(buf, sizeof(buf), "%0*ld", width, v);
	out_add(o, id, buf);
}

static void
out_count(struct xlate_out *o, enum sip2_fx fx, long v)
{
	char	 buf[8];

	if (v < 0)
		v = 0;
	if (v > XLATE_COUNT_MAX)
		v = XLATE_COUNT_MAX;
	snprintf(buf, sizeof(buf), "%04ld", v);
	out_fixed(o, fx, buf);
}

/* Say Y, N or U for magnetic media, guessing from the media type. */
static const char *
xlate_magnetic(const struct circ_result *res)
{
	static const char *const tapes[] = {
		"004", "005", "007", "008", "010"	/* tapes, diskettes */
	};
	const char		*media = res->item.media;
	size_t			 i;

	if (res->magnetic > 0)
		return ("Y");
	if (res->magnetic == 0)
		return ("N");
	if (media == NULL || strlen(media) != 3)
		return ("U");
	for (i = 0; i < sizeof(tapes) / sizeof(tapes[0]); i++)
		if (strcmp(media, tapes[i]) == 0)
			return ("Y");
	return ("N");
}

/* The larger of a count and a list's length. */
static long
xlate_max(long a, size_t b)
{
	if (a < 0)
		a = 0;
	if (b > LONG_MAX)
		b = LONG_MAX;
	return ((size_t)a < b ? (long)b : a);
}

/* How many entries a list of the patron has. */
static size_t
xlate_list_len(const struct circ_patron *p, int which)
{
	if (which == CIRC_LIST_FINES && p->nfees > 0)
		return (p->nfees);
	return (p->lists[which] != NULL ? p->nlists[which] : 0);
}

/* Write a fee as the gateway's AV line: "<id> <amount> <type> <what>". */
static const char *
xlate_fee_line(const struct circ_patron *p, const struct circ_fee *f,
    char *buf, size_t len)
{
	char	 amt[32];

	xlate_money_format(f->amount, p->currency, amt, sizeof(amt));
	snprintf(buf, len, "%s%s%s %02d%s%s",
	    xlate_empty(f->id) ? "" : f->id, xlate_empty(f->id) ? "" : " ", amt,
	    f->type >= 1 && f->type <= 99 ? f->type : 1,
	    xlate_empty(f->description) ? "" : " ",
	    xlate_empty(f->description) ? "" : f->description);
	return (buf);
}

/* Put one of 64's lists, the page BP/BQ asked for, within a budget. */
static void
xlate_out_list(struct xlate_out *o, const struct circ_req *req,
    const struct circ_patron *p, int which)
{
	char		 line[SIP2_FIELD_MAX + 1];
	const char	*v;
	size_t		 first, last, n, i, bytes = 0, sent = 0, len;

	first = req->start > 0 ? (size_t)req->start : 1;
	last = req->end > 0 ? (size_t)req->end : SIZE_MAX;
	n = xlate_list_len(p, which);
	for (i = first - 1; i < n && i < last; i++) {
		if (which == CIRC_LIST_FINES && p->nfees > 0)
			v = xlate_fee_line(p, &p->fees[i], line, sizeof(line));
		else if ((v = p->lists[which][i]) == NULL)
			continue;
		len = strlen(v) + 3;
		if (sent >= XLATE_LIST_MAX || bytes + len > XLATE_LIST_BUDGET)
			break;
		out_add(o, xlate_list_ids[which], v);
		bytes += len;
		sent++;
	}
}

/* What the patron owes: the balance, or the fees added up. */
static long long
xlate_owed(const struct circ_patron *p)
{
	long long	 sum = 0, v;
	size_t		 i;

	if (p->owed != 0 || p->nfees == 0)
		return (p->owed);
	/* An ILS's absurd amounts must not overflow: stop at the limits. */
	for (i = 0; i < p->nfees; i++) {
		v = p->fees[i].amount;
		if (v > 0 && sum > LLONG_MAX - v)
			return (LLONG_MAX);
		if (v < 0 && sum < LLONG_MIN - v)
			return (LLONG_MIN);
		sum += v;
	}
	return (sum);
}

/*
 * The part of 24, 26 and 64 that says who the patron is.  A wrong PIN gets
 * the status and nothing personal.  A PIN that was sent but not said to
 * be right is answered CQ N: a blank or unchecked CQ must not let a
 * made-up barcode through.
 */
static void
xlate_out_patron(struct xlate_out *o, const struct circ_req *req,
    const struct circ_result *res, enum circ_error err, int money)
{
	const struct circ_patron *p = &res->patron;
	const char		*lang = NULL;
	char			 status[15];
	int			 i, open = p->found && err != CIRC_E_BAD_PIN;

	if (!p->found)
		memcpy(status, XLATE_UNKNOWN_PATRON, sizeof(status));
	else {
		for (i = 0; i < 14; i++)
			status[i] = p->status[i] == 'Y' || p->status[i] ==
			    'y' ? 'Y' : ' ';
		status[14] = '\0';
	}
	if (err == CIRC_E_BLOCKED)
		memset(status, 'Y', 4);
	out_fixed(o, SIP2_FX_PATRON_STATUS, status);
	if (p->language != NULL && strlen(p->language) == 3)
		lang = p->language;
	else if (req->sip2 != NULL)
		lang = sip2_msg_fixed(req->sip2, SIP2_FX_LANGUAGE);
	out_fixed(o, SIP2_FX_LANGUAGE, lang != NULL ? lang : "000");
	out_add(o, "AO", xlate_nz(req->institution));
	out_add(o, "AA", req->patron != NULL ? req->patron : xlate_nz(p->id));
	out_add(o, "AE", open ? xlate_nz(p->name) : "");
	out_add(o, "BL", p->found ? "Y" : "N");
	if (req->has_pin)
		out_add(o, "CQ", p->pin_ok == 1 && err != CIRC_E_BAD_PIN ?
		    "Y" : "N");
	if (money && open && (p->currency != NULL || xlate_owed(p) != 0)) {
		out_opt(o, "BH", p->currency);
		out_money(o, "BV", xlate_owed(p), p->currency);
	}
}

/* 64: the counts, limits, one list and the patron's details. */
static void
xlate_out_patron_info(struct xlate_out *o, const struct circ_req *req,
    const struct circ_result *res, enum circ_error err)
{
	const struct circ_patron *p = &res->patron;
	char			 date[19];
	int			 i, open = p->found && err != CIRC_E_BAD_PIN;

	for (i = 0; i < CIRC_LIST__COUNT; i++)
		out_count(o, xlate_list_counts[i], p->found ?
		    xlate_max(p->counts[i], xlate_list_len(p, i)) : 0);
	xlate_out_patron(o, req, res, err, 1);
	if (!p->found)
		return;
	if (p->hold_limit > 0)
		out_num(o, "BZ", 4, p->hold_limit);
	if (p->overdue_limit > 0)
		out_num(o, "CA", 4, p->overdue_limit);
	if (p->charged_limit > 0)
		out_num(o, "CB", 4, p->charged_limit);
	if (!open)
		return;
	if (p->fee_limit > 0)
		out_money(o, "CC", p->fee_limit, p->currency);
	if (req->summary >= 0 && req->summary < CIRC_LIST__COUNT)
		xlate_out_list(o, req, p, req->summary);
	out_opt(o, "BD", p->address);
	out_opt(o, "BE", p->email);
	out_opt(o, "BF", p->phone);
	out_opt(o, "AQ", p->home_location);
	if (p->expires != 0) {
		sip2_date_format(p->expires, 0, date);
		date[8] = '\0';
		out_add(o, "PA", date);
	}
	out_opt(o, "PB", p->birth);
	out_opt(o, "PC", p->pclass);
}

/* The due date: a date when there is one, else the ILS's own words. */
static void
xlate_out_due(struct xlate_out *o, const struct circ_result *res)
{
	time_t	 due = res->due != 0 ? res->due : res->item.due;

	if (due != 0)
		out_date(o, "AH", due);
	else
		out_opt(o, "AH", res->due_text);
}

/* 12 and 30. */
static void
xlate_out_loan(struct xlate_out *o, const struct circ_req *req,
    const struct circ_result *res, int ok)
{
	const struct circ_patron *p = &res->patron;
	int			 renew = req->op->op == CIRC_RENEW;

	out_fixed(o, SIP2_FX_OK, ok ? "1" : "0");
	out_fixed(o, SIP2_FX_RENEWAL_OK, ok && (renew || res->renewal_ok) ?
	    "Y" : "N");
	out_fixed(o, SIP2_FX_MAGNETIC, xlate_magnetic(res));
	/* A kiosk must unlock what it lent: NCIP cannot say otherwise. */
	out_fixed(o, SIP2_FX_DESENSITIZE, ok && (!renew ||
	    res->desensitize > 0) ? "Y" : "N");
	out_add(o, "AO", xlate_nz(req->institution));
	out_add(o, "AA", req->patron != NULL ? req->patron : xlate_nz(p->id));
	out_add(o, "AB", req->item != NULL ? req->item :
	    xlate_nz(res->item.id));
	out_add(o, "AJ", res->item.title != NULL ? res->item.title :
	    xlate_nz(req->title));
	if (ok)
		xlate_out_due(o, res);
	if (ok && p->nfees > 0) {
		/* A checkout's result carries the fee it charged first. */
		out_num(o, "BT", 2, p->fees[0].type >= 1 &&
		    p->fees[0].type <= 99 ? p->fees[0].type : 1);
		out_opt(o, "BH", p->currency);
		out_money(o, "BV", p->fees[0].amount, p->currency);
	}
	out_opt(o, "CK", res->item.media);
	out_opt(o, "CH", res->item.props);
	out_opt(o, "BK", res->transaction_id);
}

/*
 * The CV alert type of a return: the ILS's, or one worked out from where
 * the item goes: a hold here (01), a hold elsewhere (02), elsewhere (04).
 */
static int
xlate_alert_type(const struct circ_req *req, const struct circ_result *res)
{
	int	 here;

	if (res->alert_type != 0)
		return (res->alert_type);
	if (xlate_empty(res->destination))
		return (0);
	here = req->location != NULL &&
	    strcmp(req->location, res->destination) == 0;
	if (res->hold_patron != NULL)
		return (here ? 1 : 2);
	return (here ? 0 : 4);
}

/* 10, with the routing a sorter or a desk acts on. */
static void
xlate_out_checkin(struct xlate_out *o, const struct circ_req *req,
    const struct circ_result *res, int ok)
{
	const struct circ_item	*it = &res->item;
	char			 cv[8];
	int			 alert = xlate_alert_type(req, res);

	out_fixed(o, SIP2_FX_OK, ok ? "1" : "0");
	out_fixed(o, SIP2_FX_RESENSITIZE, ok ? "Y" : "N");
	out_fixed(o, SIP2_FX_MAGNETIC, xlate_magnetic(res));
	out_fixed(o, SIP2_FX_ALERT, ok && (res->alert || alert != 0) ? "Y" :
	    "N");
	out_add(o, "AO", xlate_nz(req->institution));
	out_add(o, "AB", req->item != NULL ? req->item : xlate_nz(it->id));
	out_add(o, "AQ", xlate_nz(it->permanent_location));
	out_opt(o, "AJ", it->title);
	out_opt(o, "CL", res->sort_bin);
	out_opt(o, "AA", res->patron.id);
	out_opt(o, "CK", it->media);
	out_opt(o, "CH", it->props);
	out_opt(o, "CR", it->collection);
	out_opt(o, "CS", it->call_number);
	if (ok && !xlate_empty(res->destination)) {
		out_add(o, "CT", res->destination);
		if (alert != 0) {
			snprintf(cv, sizeof(cv), "%02d", alert % 100);
			out_add(o, "CV", cv);
		}
	}
	if (ok)
		out_opt(o, "CY", res->hold_patron);
}

/* 16. */
static void
xlate_out_hold(struct xlate_out *o, const struct circ_req *req,
    const struct circ_result *res, int ok)
{
	out_fixed(o, SIP2_FX_OK, ok ? "1" : "0");
	out_fixed(o, SIP2_FX_AVAILABLE, res->available ? "Y" : "N");
	if (ok) {
		out_date(o, "BW", res->hold_expiry);
		if (res->queue_position > 0)
			out_num(o, "BR", 1, res->queue_position);
		out_opt(o, "BS", res->pickup != NULL ? res->pickup :
		    req->pickup);
	}
	out_add(o, "AO", xlate_nz(req->institution));
	out_add(o, "AA", req->patron != NULL ? req->patron :
	    xlate_nz(res->patron.id));
	out_opt(o, "AB", req->item != NULL ? req->item : res->item.id);
	out_opt(o, "AJ", res->item.title != NULL ? res->item.title :
	    req->title);
}

/* 18. */
static void
xlate_out_item(struct xlate_out *o, const struct circ_req *req,
    const struct circ_result *res)
{
	const struct circ_item	*it = &res->item;
	char			 buf[8];

	snprintf(buf, sizeof(buf), "%02d", it->circ_status >= 1 &&
	    it->circ_status <= 13 ? it->circ_status : 1);
	out_fixed(o, SIP2_FX_CIRC_STATUS, buf);
	out_fixed(o, SIP2_FX_SECURITY_MARKER, "00");
	out_fixed(o, SIP2_FX_FEE_TYPE, "01");
	out_add(o, "AB", req->item != NULL ? req->item : xlate_nz(it->id));
	out_add(o, "AJ", xlate_nz(it->title));
	if (!it->found)
		return;
	if (it->hold_queue >= 0)
		out_num(o, "CF", 1, it->hold_queue);
	xlate_out_due(o, res);
	out_opt(o, "BG", it->owner);
	out_opt(o, "CK", it->media);
	out_opt(o, "AQ", it->permanent_location);
	out_opt(o, "AP", it->current_location);
	out_opt(o, "CH", it->props);
	out_opt(o, "CT", res->destination);
	out_opt(o, "CS", it->call_number);
	out_opt(o, "CR", it->collection);
}

/* Put a list of 66 within the budget. */
static void
xlate_out_items(struct xlate_out *o, const char *id, const char **v,
    size_t n)
{
	size_t	 i, bytes = 0, len;

	for (i = 0; v != NULL && i < n && i < XLATE_LIST_MAX; i++) {
		if (v[i] == NULL)
			continue;
		if (bytes + (len = strlen(v[i]) + 3) > XLATE_LIST_BUDGET / 2)
			break;
		out_add(o, id, v[i]);
		bytes += len;
	}
}

/* 20, 38, 66 and 36. */
static void
xlate_out_other(struct xlate_out *o, const struct circ_req *req,
    const struct circ_result *res, int ok)
{
	switch (req->op->op) {
	case CIRC_ITEM_UPDATE:
		out_fixed(o, SIP2_FX_ITEM_PROPS_OK, ok ? "1" : "0");
		out_add(o, "AB", req->item != NULL ? req->item :
		    xlate_nz(res->item.id));
		out_add(o, "AJ", xlate_nz(res->item.title));
		out_opt(o, "CH", res->item.props != NULL ? res->item.props :
		    req->item_props);
		break;
	case CIRC_FEE_PAID:
		out_fixed(o, SIP2_FX_PAYMENT_ACCEPTED, ok ? "Y" : "N");
		out_add(o, "AO", xlate_nz(req->institution));
		out_add(o, "AA", xlate_nz(req->patron));
		out_opt(o, "BK", res->transaction_id != NULL ?
		    res->transaction_id : req->transaction_id);
		break;
	case CIRC_RENEW_ALL:
		out_fixed(o, SIP2_FX_OK, ok ? "1" : "0");
		out_count(o, SIP2_FX_RENEWED_COUNT,
		    xlate_max(res->renewed, res->nrenewed_items));
		out_count(o, SIP2_FX_UNRENEWED_COUNT,
		    xlate_max(res->unrenewed, res->nunrenewed_items));
		out_add(o, "AO", xlate_nz(req->institution));
		xlate_out_items(o, "BM", res->renewed_items,
		    res->nrenewed_items);
		xlate_out_items(o, "BN", res->unrenewed_items,
		    res->nunrenewed_items);
		break;
	case CIRC_END_SESSION:
		out_fixed(o, SIP2_FX_END_SESSION, ok ? "Y" : "N");
		out_add(o, "AO", xlate_nz(req->institution));
		out_add(o, "AA", xlate_nz(req->patron));
		break;
	default:
		break;
	}
}

/* What the screen says when the result brings no words of its own. */
static const char *
xlate_ok_screen(const struct circ_req *req, const struct circ_result *res,
    char *buf, size_t len)
{
	switch (req->op->op) {
	case CIRC_CHECKOUT:
		return ("Item checked out.");
	case CIRC_RENEW:
		return ("Item renewed.");
	case CIRC_HOLD:
		return (req->hold_mode == '-' ? "Hold cancelled." :
		    req->hold_mode == '*' ? "Hold changed." : "Hold placed.");
	case CIRC_CHECKIN:
		if (xlate_empty(res->destination))
			return ("Item checked in.");
		snprintf(buf, len, "%s %s.", res->hold_patron != NULL ?
		    "Hold for pickup at" : "Send to", res->destination);
		return (buf);
	default:
		return (NULL);
	}
}

/*
 * Return 1 when a failure leaves nothing to say but no: the codec's
 * refusal says that the way every terminal takes it.
 */
static int
xlate_bare_failure(const struct circ_result *res, enum circ_error err)
{
	switch (err) {
	case CIRC_E_OFFLINE:
	case CIRC_E_TIMEOUT:
	case CIRC_E_NOT_SUPPORTED:
	case CIRC_E_NEEDED_DATA:
		return (1);
	case CIRC_E_UNKNOWN_PATRON:
		return (!res->patron.found);
	case CIRC_E_UNKNOWN_ITEM:
		return (!res->item.found && !res->patron.found);
	default:
		return (0);
	}
}

/*
 * Build the SIP2 response for a terminal from a neutral result (when the
 * backend was not SIP2): every fixed field set, the terminal's own AO,
 * AA and AB echoed, status bits, counts, 64's list paged by BP/BQ, fines
 * in BV/AV with BH, routing in CT/CV/CL, holds in BR/BS/BW, due dates as
 * 18-character local SIP2 dates (or the ILS's words), and AF: the
 * result's screen message, else one saying what went wrong.  Dated now,
 * with the request's sequence.  Returns a message the caller frees, or
 * NULL with errno EINVAL for operations the gateway answers itself
 * (login, status, resend) or ENOMEM.
 */
struct sip2_msg *
xlate_sip2_reply(const struct circ_req *req, const struct circ_result *res,
    time_t now)
{
	struct xlate_out	 o;
	const struct sip2_spec	*spec;
	enum circ_error		 err = res->error;
	const char		*screen = res->screen, *id;
	char			 date[19], buf[SIP2_FIELD_MAX + 1];
	int			 code, ok;

	if ((code = xlate_code(req)) == 0 ||
	    (spec = sip2_spec_find(code)) == NULL) {
		errno = EINVAL;
		return (NULL);
	}
	ok = res->ok && err == CIRC_E_NONE;
	if (!ok && err == CIRC_E_NONE)
		err = CIRC_E_REFUSED;
	if (screen == NULL && !ok) {
		xlate_sip2_screen(req, err, NULL, buf, sizeof(buf));
		screen = buf;
	} else if (screen == NULL)
		screen = xlate_ok_screen(req, res, buf, sizeof(buf));

	if (!ok && req->sip2 != NULL && sip2_msg_code(req->sip2) == code &&
	    xlate_bare_failure(res, err)) {
		if ((o.m = sip2_reply_error(req->sip2, screen, now)) == NULL)
			errno = ENOMEM;
		return (o.m);
	}

	if ((o.m = sip2_msg_new(spec->response)) == NULL) {
		errno = ENOMEM;
		return (NULL);
	}
	o.nomem = 0;
	sip2_date_format(now, 0, date);
	out_fixed(&o, SIP2_FX_DATE, date);
	switch (req->op->op) {
	case CIRC_PATRON_STATUS:
	case CIRC_BLOCK_PATRON:
		xlate_out_patron(&o, req, res, err, 1);
		break;
	case CIRC_PATRON_ENABLE:
		xlate_out_patron(&o, req, res, err, 0);
		break;
	case CIRC_PATRON_INFO:
		xlate_out_patron_info(&o, req, res, err);
		break;
	case CIRC_CHECKOUT:
	case CIRC_RENEW:
		xlate_out_loan(&o, req, res, ok);
		break;
	case CIRC_CHECKIN:
		xlate_out_checkin(&o, req, res, ok);
		break;
	case CIRC_HOLD:
		xlate_out_hold(&o, req, res, ok);
		break;
	case CIRC_ITEM_INFO:
		xlate_out_item(&o, req, res);
		break;
	default:
		xlate_out_other(&o, req, res, ok);
		break;
	}
	/* Required fields go out even when there is nothing to say. */
	while (!o.nomem && (id = sip2_msg_missing(o.m)) != NULL)
		out_add(&o, id, "");
	out_opt(&o, "AF", screen);
	out_opt(&o, "AG", res->print);
	if (req->sip2 != NULL && sip2_msg_seq(req->sip2) >= 0)
		sip2_msg_set_seq(o.m, sip2_msg_seq(req->sip2));
	if (o.nomem) {
		sip2_msg_free(o.m);
		errno = ENOMEM;
		return (NULL);
	}
	return (o.m);
}

/* --- neutral requests into ILS requests ---------------------------------- */

/*
 * Which list step n of a patron information call asks for: -1 for none
 * (one call for the status, counts and details), -2 past the last step.
 * A request that came as SIP2 asks for its summary's list; one from NCIP
 * for charged and overdue loans, ready and waiting holds, and fines, as
 * it wants them.
 */
static int
xlate_step_list(const struct circ_req *req, int step)
{
	int	 lists[CIRC_LIST__COUNT], n = 0;

	if (req->sip2 != NULL) {
		if (req->summary >= 0 && req->summary < CIRC_LIST__COUNT)
			lists[n++] = req->summary;
	} else {
		if (req->want_loans) {
			lists[n++] = CIRC_LIST_CHARGED;
			lists[n++] = CIRC_LIST_OVERDUE;
		}
		if (req->want_holds) {
			lists[n++] = CIRC_LIST_HOLDS;
			lists[n++] = CIRC_LIST_UNAVAIL_HOLDS;
		}
		if (req->want_fines)
			lists[n++] = CIRC_LIST_FINES;
	}
	if (n == 0)
		return (step == 0 ? -1 : -2);
	return (step >= 0 && step < n ? lists[step] : -2);
}

/* Start an ILS request: code, date, the partner's AO. */
static struct sip2_msg *
xlate_breq(struct xlate_out *o, int code, const struct circ_req *req,
    const struct conf_partner *pt, time_t now)
{
	char	 date[19];

	o->nomem = 0;
	if ((o->m = sip2_msg_new(code)) == NULL) {
		errno = ENOMEM;
		return (NULL);
	}
	sip2_date_format(now, 0, date);
	out_fixed(o, SIP2_FX_DATE, date);
	out_add(o, "AO", pt->ninstitutions > 0 && pt->institutions[0] !=
	    NULL ? pt->institutions[0] : xlate_nz(req->institution));
	return (o->m);
}

/* The gateway's own password at the ILS, and the patron's PIN if given. */
static void
xlate_breq_auth(struct xlate_out *o, const struct circ_req *req,
    const struct conf_partner *pt, int pin)
{
	out_add(o, "AC", xlate_nz(pt->backend.password));
	if (pin && req->has_pin)
		out_add(o, "AD", xlate_nz(req->pin));
}

static void
xlate_breq_nb(struct xlate_out *o, const struct circ_req *req)
{
	char	 date[19];

	out_fixed(o, SIP2_FX_NO_BLOCK, req->no_block ? "Y" : "N");
	if (req->no_block && req->nb_due != 0) {
		sip2_date_format(req->nb_due, 0, date);
		out_fixed(o, SIP2_FX_NB_DUE_DATE, date);
	} else
		out_fixed(o, SIP2_FX_NB_DUE_DATE, XLATE_BLANK_DATE);
}

/* 63 asking for one list (or none: list -1). */
static int
xlate_breq_info(struct xlate_out *o, const struct circ_req *req,
    const struct conf_partner *pt, int list)
{
	char	 summary[11];

	memset(summary, ' ', 10);
	summary[10] = '\0';
	if (list >= 0 && list < CIRC_LIST__COUNT)
		summary[list] = 'Y';
	out_fixed(o, SIP2_FX_LANGUAGE, "000");
	out_fixed(o, SIP2_FX_SUMMARY, summary);
	out_add(o, "AA", req->patron);
	xlate_breq_auth(o, req, pt, 1);
	if (req->start > 0)
		out_num(o, "BP", 1, req->start);
	if (req->end > 0)
		out_num(o, "BQ", 1, req->end);
	return (0);
}

/* 15: a hold on a copy (BY 3) or on a title (BY 2). */
static int
xlate_breq_hold(struct xlate_out *o, const struct circ_req *req,
    const struct conf_partner *pt)
{
	char	 mode[2] = { '+', '\0' }, type[2];
	int	 by;

	if (req->item == NULL && req->title == NULL) {
		/* SIP2 names a title by its words, not by an ISBN. */
		errno = req->bib_id != NULL || req->request_id != NULL ?
		    ENOTSUP : EINVAL;
		return (-1);
	}
	if (req->hold_mode == '-' || req->hold_mode == '*')
		mode[0] = (char)req->hold_mode;
	out_fixed(o, SIP2_FX_HOLD_MODE, mode);
	if (req->hold_expiry != 0)
		out_date(o, "BW", req->hold_expiry);
	out_opt(o, "BS", req->pickup);
	by = req->hold_type >= 1 && req->hold_type <= 4 ? req->hold_type :
	    req->item != NULL ? 3 : 2;
	type[0] = (char)('0' + by);
	type[1] = '\0';
	if (mode[0] == '+')
		out_add(o, "BY", type);
	out_add(o, "AA", req->patron);
	out_opt(o, "AB", req->item);
	out_opt(o, "AJ", req->title);
	xlate_breq_auth(o, req, pt, 1);
	return (0);
}

/* 37. */
static int
xlate_breq_fee(struct xlate_out *o, const struct circ_req *req,
    const struct conf_partner *pt)
{
	char	 buf[32];

	if (req->amount <= 0) {
		errno = EINVAL;
		return (-1);
	}
	snprintf(buf, sizeof(buf), "%02d", req->fee_type >= 1 &&
	    req->fee_type <= 99 ? req->fee_type : 1);
	out_fixed(o, SIP2_FX_FEE_TYPE, buf);
	snprintf(buf, sizeof(buf), "%02d", req->payment_type >= 0 &&
	    req->payment_type <= 99 ? req->payment_type : 0);
	out_fixed(o, SIP2_FX_PAYMENT_TYPE, buf);
	out_fixed(o, SIP2_FX_CURRENCY, req->currency != NULL ? req->currency :
	    "   ");
	xlate_money_format(req->amount, req->currency, buf, sizeof(buf));
	out_add(o, "BV", buf);
	out_add(o, "AA", req->patron);
	xlate_breq_auth(o, req, pt, 1);
	out_opt(o, "CG", req->fee_id);
	out_opt(o, "BK", req->transaction_id);
	return (0);
}

/* Fill the ILS request for one operation; -1 with errno when it can't. */
static int
xlate_breq_fill(struct xlate_out *o, const struct circ_req *req,
    const struct conf_partner *pt)
{
	const char	*where;

	switch (req->op->op) {
	case CIRC_PATRON_STATUS:
	case CIRC_PATRON_ENABLE:
	case CIRC_END_SESSION:
	case CIRC_RENEW_ALL:
		if (req->op->op == CIRC_PATRON_STATUS)
			out_fixed(o, SIP2_FX_LANGUAGE, "000");
		if (req->op->op == CIRC_PATRON_STATUS && req->want_class)
			out_fixed(o, SIP2_FX_SUMMARY, "          ");
		out_add(o, "AA", req->patron);
		xlate_breq_auth(o, req, pt, 1);
		return (0);
	case CIRC_PATRON_INFO:
		return (xlate_breq_info(o, req, pt, xlate_step_list(req, 0)));
	case CIRC_BLOCK_PATRON:
		out_fixed(o, SIP2_FX_CARD_RETAINED, "N");
		out_add(o, "AL", "");
		out_add(o, "AA", req->patron);
		xlate_breq_auth(o, req, pt, 0);
		return (0);
	case CIRC_CHECKOUT:
		out_fixed(o, SIP2_FX_SC_RENEWAL_POLICY, "N");
		xlate_breq_nb(o, req);
		out_add(o, "AA", req->patron);
		out_add(o, "AB", req->item);
		xlate_breq_auth(o, req, pt, 1);
		out_opt(o, "CH", req->item_props);
		return (0);
	case CIRC_RENEW:
		out_fixed(o, SIP2_FX_THIRD_PARTY, "N");
		xlate_breq_nb(o, req);
		out_add(o, "AA", req->patron);
		out_opt(o, "AB", req->item);
		if (req->item == NULL)
			out_opt(o, "AJ", req->title);
		xlate_breq_auth(o, req, pt, 1);
		out_opt(o, "CH", req->item_props);
		return (0);
	case CIRC_CHECKIN:
		out_fixed(o, SIP2_FX_NO_BLOCK, req->no_block ? "Y" : "N");
		out_fixed(o, SIP2_FX_RETURN_DATE, XLATE_BLANK_DATE);
		where = req->location != NULL ? req->location :
		    pt->backend.location;
		out_add(o, "AP", xlate_nz(where));
		out_add(o, "AB", req->item);
		xlate_breq_auth(o, req, pt, 0);
		out_opt(o, "CH", req->item_props);
		return (0);
	case CIRC_HOLD:
		return (xlate_breq_hold(o, req, pt));
	case CIRC_FEE_PAID:
		return (xlate_breq_fee(o, req, pt));
	case CIRC_ITEM_INFO:
	case CIRC_ITEM_UPDATE:
		out_add(o, "AB", req->item);
		xlate_breq_auth(o, req, pt, 0);
		if (req->op->op == CIRC_ITEM_UPDATE)
			out_add(o, "CH", xlate_nz(req->item_props));
		return (0);
	default:
		errno = ENOTSUP;
		return (-1);
	}
}

/* Return 1 when the request lacks what its SIP2 message must name. */
static int
xlate_breq_lacks(const struct circ_req *req)
{
	switch (req->op->op) {
	case CIRC_CHECKOUT:
		return (req->patron == NULL || req->item == NULL);
	case CIRC_CHECKIN:
	case CIRC_ITEM_INFO:
	case CIRC_ITEM_UPDATE:
		return (req->item == NULL);
	case CIRC_RENEW:
		return (req->patron == NULL ||
		    (req->item == NULL && req->title == NULL));
	default:
		return (req->patron == NULL);
	}
}

/*
 * Build the first SIP2 request for a SIP2 ILS from a neutral request (the
 * caller spoke NCIP): AO is the partner's first institution id, AC the
 * gateway's password at that ILS, AD the patron's PIN when one was given,
 * dated now.  A patron information request that wants several lists is
 * done in several calls: this returns step 0; the caller sends it, merges
 * the answer with xlate_sip2_backend_reply(step 0), then asks
 * xlate_sip2_backend_next() for step 1, 2, ... until it returns 0.
 * Returns a message the caller frees, or NULL with errno EINVAL (the
 * request lacks the patron or item SIP2 must name, or is not one an ILS
 * answers: CIRC_E_NEEDED_DATA), ENOTSUP (SIP2 cannot say it, e.g. a
 * title by ISBN: CIRC_E_NOT_SUPPORTED) or ENOMEM.
 */
struct sip2_msg *
xlate_sip2_backend_req(const struct circ_req *req,
    const struct conf_partner *pt, time_t now)
{
	struct xlate_out	 o;
	int			 code;

	if (req == NULL || req->op == NULL) {
		errno = EINVAL;
		return (NULL);
	}
	if ((code = xlate_backend_code(req)) == 0) {
		errno = req->op->flags & CIRC_F_LOCAL ? EINVAL : ENOTSUP;
		return (NULL);
	}
	if (xlate_breq_lacks(req)) {
		errno = EINVAL;
		return (NULL);
	}
	if (xlate_breq(&o, code, req, pt, now) == NULL)
		return (NULL);
	if (xlate_breq_fill(&o, req, pt) == -1) {
		sip2_msg_free(o.m);
		return (NULL);
	}
	if (o.nomem) {
		sip2_msg_free(o.m);
		errno = ENOMEM;
		return (NULL);
	}
	return (o.m);
}

/*
 * Build the SIP2 request for step (1, 2, ...) of a multi-step operation:
 * a patron information request wanting several lists asks for them one
 * 63 at a time (loans: charged then overdue; holds: ready then waiting;
 * fines).  Returns 1 with the message in *out (the caller frees it), 0
 * when there is no such step, -1 with errno on no memory or a step < 1.
 */
int
xlate_sip2_backend_next(const struct circ_req *req, int step,
    const struct conf_partner *pt, time_t now, struct sip2_msg **out)
{
	struct xlate_out	 o;
	int			 list;

	*out = NULL;
	if (step < 1) {
		errno = EINVAL;
		return (-1);
	}
	if (req->op == NULL || req->op->op != CIRC_PATRON_INFO ||
	    (list = xlate_step_list(req, step)) < 0)
		return (0);
	if (xlate_breq(&o, SIP2_PATRON_INFO, req, pt, now) == NULL)
		return (-1);
	xlate_breq_info(&o, req, pt, list);
	if (o.nomem) {
		sip2_msg_free(o.m);
		errno = ENOMEM;
		return (-1);
	}
	*out = o.m;
	return (1);
}

/* --- ILS answers into neutral results ------------------------------------ */

/* Copy a value into the arena; empty values stay NULL. */
static const char *
in_keep(struct xlate_in *in, const char *v)
{
	const char	*p;

	if (v == NULL || *v == '\0')
		return (NULL);
	if ((p = circ_strdup(in->a, v)) == NULL)
		in->nomem = 1;
	return (p);
}

static const char *
in_field(struct xlate_in *in, const struct sip2_msg *m, const char *id)
{
	return (in_keep(in, sip2_msg_field(m, id)));
}

/*
 * Grow an arena array by one: capacities go 8, 16, 32, ... so that the
 * count alone says when the array is full.
 */
static void *
in_grow(struct xlate_in *in, void *v, size_t n, size_t size)
{
	void	*p;
	size_t	 cap;

	if (n != 0 && (n < 8 || (n & (n - 1)) != 0))
		return (v);
	cap = n == 0 ? 8 : n * 2;
	if (cap > SIZE_MAX / size || (p = circ_alloc(in->a, cap * size)) ==
	    NULL) {
		in->nomem = 1;
		return (NULL);
	}
	if (n > 0)
		memcpy(p, v, n * size);
	return (p);
}

static void
in_push(struct xlate_in *in, const char ***v, size_t *n, const char *s)
{
	const char	**p;

	if (s == NULL || (p = in_grow(in, (void *)*v, *n, sizeof(*p))) == NULL)
		return;
	p[*n] = s;
	*v = p;
	(*n)++;
}

/* Split an AV line at blanks. */
static size_t
in_tokens(const char *s, struct xlate_tok *t, size_t max)
{
	size_t	 n = 0;

	while (*s != '\0' && n < max) {
		s += strspn(s, " \t");
		if (*s == '\0')
			break;
		t[n].s = s;
		t[n].len = strcspn(s, " \t");
		s += t[n++].len;
	}
	return (n);
}

/* Return 1 for a token that is a currency code: three capitals. */
static int
in_currency_tok(const struct xlate_tok *t)
{
	return (t->len == 3 && t->s[0] >= 'A' && t->s[0] <= 'Z' &&
	    t->s[1] >= 'A' && t->s[1] <= 'Z' && t->s[2] >= 'A' &&
	    t->s[2] <= 'Z');
}

/* Return 1 if a token holds a digit: fee ids do, words do not. */
static int
in_has_digit(const struct xlate_tok *t)
{
	size_t	 i;

	for (i = 0; i < t->len; i++)
		if (t->s[i] >= '0' && t->s[i] <= '9')
			return (1);
	return (0);
}

/* Guess a SIP2 fee type from the words describing a fee. */
static int
in_fee_type(const char *what)
{
	size_t	 i;

	if (what == NULL)
		return (1);
	for (i = 0; i < sizeof(xlate_fee_words) / sizeof(xlate_fee_words[0]);
	    i++)
		if (xlate_has(what, xlate_fee_words[i].word))
			return (xlate_fee_words[i].type);
	return (1);
}

/* Copy len bytes at s into the arena, NULL when empty. */
static const char *
in_keepn(struct xlate_in *in, const char *s, size_t len)
{
	char	*p;

	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0)
		return (NULL);
	if ((p = circ_alloc(in->a, len + 1)) == NULL) {
		in->nomem = 1;
		return (NULL);
	}
	memcpy(p, s, len);
	p[len] = '\0';
	return (p);
}

/*
 * Read one AV line as ILSes write them: "<fee id> <amount> <type> <what>"
 * (the simulated ILS), "$1.00 Overdue: Holes", "12345 $1.25 Fines Holes",
 * "USD 4.00 Lost item", "Overdue fine 2.50".  The amount is the first
 * token with a currency sign or a decimal mark; a lone token before it
 * holding a digit is the fee id; a two-digit code after it is the SIP2
 * fee type; the rest describes the fee.  A line with no amount is kept as
 * a fee of 0 described by the whole line.
 */
static void
in_fee_line(struct xlate_in *in, const char *line, const char *currency,
    struct circ_fee *f)
{
	struct xlate_tok	 t[64];
	const char		*rest;
	char			 buf[SIP2_FIELD_MAX + 1];
	size_t			 n, a, pre, i;
	long long		 v;
	int			 marked, exp = xlate_money_exp(currency);

	memset(f, 0, sizeof(*f));
	n = in_tokens(line, t, sizeof(t) / sizeof(t[0]));
	for (a = 0; a < n; a++) {
		if (xlate_money_parse(t[a].s, t[a].len, exp, &v, &marked) ==
		    0 && marked)
			break;
	}
	if (a == n) {
		f->description = in_keep(in, line);
		f->type = in_fee_type(line);
		return;
	}
	f->amount = v;
	pre = a > 0 && in_currency_tok(&t[a - 1]) ? a - 1 : a;
	i = a + 1;
	if (i < n && t[i].len == 2 && in_has_digit(&t[i]) &&
	    t[i].s[0] >= '0' && t[i].s[0] <= '9' && t[i].s[1] >= '0' &&
	    t[i].s[1] <= '9') {
		f->type = (t[i].s[0] - '0') * 10 + t[i].s[1] - '0';
		i++;
	}
	rest = i < n ? t[i].s : NULL;
	if (pre == 1 && in_has_digit(&t[0])) {
		f->id = in_keepn(in, t[0].s, t[0].len);
		f->description = rest != NULL ? in_keep(in, rest) : NULL;
	} else if (pre > 0) {
		/* Words before the amount describe the fee too. */
		snprintf(buf, sizeof(buf), "%.*s%s%s",
		    (int)(t[pre - 1].s + t[pre - 1].len - t[0].s), t[0].s,
		    rest != NULL ? " " : "", xlate_nz(rest));
		f->description = in_keep(in, buf);
	} else
		f->description = rest != NULL ? in_keep(in, rest) : NULL;
	if (f->type < 1 || f->type > 99)
		f->type = in_fee_type(f->description);
}

static void
in_push_fee(struct xlate_in *in, struct circ_patron *p, const char *line)
{
	struct circ_fee	*fees;

	if ((fees = in_grow(in, p->fees, p->nfees, sizeof(*fees))) == NULL)
		return;
	p->fees = fees;
	in_fee_line(in, line, p->currency, &fees[p->nfees++]);
}

/* A money field, when it reads as money. */
static int
in_money(const struct sip2_msg *m, const char *id, const char *currency,
    long long *v)
{
	const char	*s = sip2_msg_field(m, id);

	return (s != NULL && xlate_money_parse(s, strlen(s),
	    xlate_money_exp(currency), v, NULL) == 0 ? 0 : -1);
}

/* A birth date as YYYYMMDD when it is one of the usual forms. */
static const char *
in_birth(struct xlate_in *in, const char *v)
{
	char	 buf[9];
	size_t	 i, n = 0;

	if (v == NULL)
		return (NULL);
	for (i = 0; v[i] != '\0' && n < 8; i++) {
		if (v[i] >= '0' && v[i] <= '9')
			buf[n++] = v[i];
		else if (v[i] != '-' || (i != 4 && i != 7))
			break;
	}
	if (n != 8 || (v[i] != '\0' && (strlen(v) != 18 || i != 8)))
		return (in_keep(in, v));
	buf[8] = '\0';
	return (in_keep(in, buf));
}

/* A due date: as a date when it reads as one, else the ILS's words. */
static void
in_due(struct xlate_in *in, const char *v, time_t *t,
    const char **text)
{
	if (xlate_empty(v))
		return;
	if (sip2_date_parse(v, t) == 0 || sip2_date_parse_lenient(v, t) == 0)
		return;
	*t = 0;
	*text = in_keep(in, v);
}

/* What went wrong, by the ILS's words, when it says nothing else. */
static enum circ_error
in_classify(const char *screen)
{
	size_t	 i;

	if (screen == NULL)
		return (CIRC_E_REFUSED);
	for (i = 0; i < sizeof(xlate_words) / sizeof(xlate_words[0]); i++)
		if (xlate_has(screen, xlate_words[i].a) &&
		    (xlate_words[i].b == NULL ||
		    xlate_has(screen, xlate_words[i].b)))
			return (xlate_words[i].error);
	return (CIRC_E_REFUSED);
}

static void
in_outcome(struct circ_result *res, int ok, const struct sip2_msg *m)
{
	res->ok = ok;
	res->error = ok ? CIRC_E_NONE : in_classify(sip2_msg_field(m, "AF"));
}

/* 64's lists: only the one this step asked for, so none comes twice. */
static void
in_lists(struct xlate_in *in, const struct circ_req *req, int step,
    const struct sip2_msg *m, struct circ_patron *p)
{
	const char	*id, *v;
	size_t		 i, n;
	int		 list = xlate_step_list(req, step);

	if (list < 0)
		return;
	n = sip2_msg_nfields(m);
	for (i = 0; i < n; i++) {
		v = sip2_msg_field_at(m, i, &id);
		if (strcmp(id, xlate_list_ids[list]) != 0 || xlate_empty(v))
			continue;
		in_push(in, &p->lists[list], &p->nlists[list], in_keep(in, v));
		if (list == CIRC_LIST_FINES)
			in_push_fee(in, p, v);
	}
}

/* 64's counts, limits and details. */
static void
in_patron_info(struct xlate_in *in, const struct sip2_msg *m,
    struct circ_patron *p)
{
	const char	*v;
	long		 n;
	int		 i;

	for (i = 0; i < CIRC_LIST__COUNT; i++)
		if (xlate_num(sip2_msg_fixed(m, xlate_list_counts[i]),
		    &n) == 0)
			p->counts[i] = n;
	if (xlate_num(sip2_msg_field(m, "BZ"), &n) == 0)
		p->hold_limit = n;
	if (xlate_num(sip2_msg_field(m, "CA"), &n) == 0)
		p->overdue_limit = n;
	if (xlate_num(sip2_msg_field(m, "CB"), &n) == 0)
		p->charged_limit = n;
	if (in_money(m, "CC", p->currency, &p->fee_limit) == -1)
		p->fee_limit = -1;
	p->address = in_field(in, m, "BD");
	p->email = in_field(in, m, "BE");
	p->phone = in_field(in, m, "BF");
	p->home_location = in_field(in, m, "AQ");
	if ((v = sip2_msg_field(m, "PA")) != NULL)
		p->expires = xlate_date(v);
	p->birth = in_birth(in, sip2_msg_field(m, "PB"));
	p->pclass = in_field(in, m, "PC");
}

/*
 * 24, 26 and 64.  Without BL an ILS is taken to know a patron it names.
 * A PIN that was sent and not said to be right fails: CQ N, and also no
 * CQ at all, since an ILS that does not check PINs must not let a
 * made-up one through.
 */
static void
in_patron(struct xlate_in *in, const struct circ_req *req, int step,
    const struct sip2_msg *m, struct circ_result *res)
{
	struct circ_patron	*p = &res->patron;
	const char		*v;
	int			 i;

	if ((v = sip2_msg_fixed(m, SIP2_FX_PATRON_STATUS)) != NULL) {
		for (i = 0; i < 14 && v[i] != '\0'; i++)
			p->status[i] = v[i] == 'Y' || v[i] == 'y' ? 'Y' : ' ';
		p->status[i] = '\0';
	}
	if ((v = sip2_msg_fixed(m, SIP2_FX_LANGUAGE)) != NULL)
		p->language = in_keep(in, v);
	v = sip2_msg_field(m, "BL");
	p->found = v != NULL ? xlate_yes(v) :
	    !xlate_empty(sip2_msg_field(m, "AE"));
	p->pin_ok = xlate_tri(sip2_msg_field(m, "CQ"));
	p->id = in_field(in, m, "AA");
	p->name = in_field(in, m, "AE");
	if ((v = sip2_msg_field(m, "BH")) != NULL && !xlate_empty(v))
		p->currency = in_keep(in, v);
	if (in_money(m, "BV", p->currency, &p->owed) == -1)
		p->owed = 0;
	if (sip2_msg_code(m) == SIP2_PATRON_INFO_RESP) {
		in_patron_info(in, m, p);
		in_lists(in, req, step, m, p);
	}
	res->ok = 0;
	if (!p->found)
		res->error = CIRC_E_UNKNOWN_PATRON;
	else if (req->has_pin && p->pin_ok != 1)
		res->error = CIRC_E_BAD_PIN;
	else {
		res->ok = 1;
		res->error = CIRC_E_NONE;
	}
}

/* 12 and 30. */
static void
in_loan(struct xlate_in *in, const struct sip2_msg *m,
    struct circ_result *res)
{
	struct circ_patron	*p = &res->patron;
	struct circ_fee		*f;
	const char		*ok = sip2_msg_fixed(m, SIP2_FX_OK);
	long long		 amount;
	long			 n;

	in_outcome(res, xlate_yes(ok), m);
	res->renewal_ok = xlate_yes(sip2_msg_fixed(m, SIP2_FX_RENEWAL_OK));
	res->magnetic = xlate_tri(sip2_msg_fixed(m, SIP2_FX_MAGNETIC));
	res->desensitize = xlate_tri(sip2_msg_fixed(m, SIP2_FX_DESENSITIZE));
	p->id = in_field(in, m, "AA");
	res->item.id = in_field(in, m, "AB");
	res->item.title = in_field(in, m, "AJ");
	res->item.found = res->ok || res->item.title != NULL;
	in_due(in, sip2_msg_field(m, "AH"), &res->due, &res->due_text);
	res->item.due = res->due;
	res->item.media = in_field(in, m, "CK");
	res->item.props = in_field(in, m, "CH");
	res->transaction_id = in_field(in, m, "BK");
	if (sip2_msg_field(m, "BH") != NULL)
		p->currency = in_field(in, m, "BH");
	if (in_money(m, "BV", p->currency, &amount) == 0 && amount != 0 &&
	    (f = in_grow(in, p->fees, p->nfees, sizeof(*f))) != NULL) {
		p->fees = f;
		f = &p->fees[p->nfees++];
		memset(f, 0, sizeof(*f));
		f->amount = amount;
		f->type = xlate_num(sip2_msg_field(m, "BT"), &n) == 0 &&
		    n >= 1 && n <= 99 ? (int)n : 1;
	}
}

/* 10, with the routing. */
static void
in_checkin(struct xlate_in *in, const struct sip2_msg *m,
    struct circ_result *res)
{
	struct circ_item	*it = &res->item;
	long			 n;

	in_outcome(res, xlate_yes(sip2_msg_fixed(m, SIP2_FX_OK)), m);
	res->resensitize = xlate_tri(sip2_msg_fixed(m, SIP2_FX_RESENSITIZE));
	res->magnetic = xlate_tri(sip2_msg_fixed(m, SIP2_FX_MAGNETIC));
	res->alert = xlate_yes(sip2_msg_fixed(m, SIP2_FX_ALERT));
	it->id = in_field(in, m, "AB");
	it->permanent_location = in_field(in, m, "AQ");
	it->title = in_field(in, m, "AJ");
	it->media = in_field(in, m, "CK");
	it->props = in_field(in, m, "CH");
	it->collection = in_field(in, m, "CR");
	it->call_number = in_field(in, m, "CS");
	it->found = res->ok || it->title != NULL;
	res->patron.id = in_field(in, m, "AA");
	res->sort_bin = in_field(in, m, "CL");
	res->destination = in_field(in, m, "CT");
	if (xlate_num(sip2_msg_field(m, "CV"), &n) == 0 && n <= 99)
		res->alert_type = (int)n;
	res->hold_patron = in_field(in, m, "CY");
}

/* 16. */
static void
in_hold(struct xlate_in *in, const struct sip2_msg *m,
    struct circ_result *res)
{
	long	 n;

	in_outcome(res, xlate_yes(sip2_msg_fixed(m, SIP2_FX_OK)), m);
	res->available = xlate_yes(sip2_msg_fixed(m, SIP2_FX_AVAILABLE));
	res->hold_expiry = xlate_date(sip2_msg_field(m, "BW"));
	res->queue_position = xlate_num(sip2_msg_field(m, "BR"), &n) == 0 ?
	    n : -1;
	res->pickup = in_field(in, m, "BS");
	res->patron.id = in_field(in, m, "AA");
	res->item.id = in_field(in, m, "AB");
	res->item.title = in_field(in, m, "AJ");
}

/* 18.  An ILS that does not know an item sends no title, status 01. */
static void
in_item(struct xlate_in *in, const struct sip2_msg *m,
    struct circ_result *res)
{
	struct circ_item	*it = &res->item;
	long			 n;

	if (xlate_num(sip2_msg_fixed(m, SIP2_FX_CIRC_STATUS), &n) == 0 &&
	    n >= 1 && n <= 13)
		it->circ_status = (int)n;
	else
		it->circ_status = 1;
	it->id = in_field(in, m, "AB");
	it->title = in_field(in, m, "AJ");
	it->found = (it->title != NULL || it->circ_status != 1) &&
	    in_classify(sip2_msg_field(m, "AF")) != CIRC_E_UNKNOWN_ITEM;
	it->hold_queue = xlate_num(sip2_msg_field(m, "CF"), &n) == 0 ? n : -1;
	in_due(in, sip2_msg_field(m, "AH"), &it->due, &res->due_text);
	res->due = it->due;
	it->owner = in_field(in, m, "BG");
	it->media = in_field(in, m, "CK");
	it->permanent_location = in_field(in, m, "AQ");
	it->current_location = in_field(in, m, "AP");
	it->props = in_field(in, m, "CH");
	it->call_number = in_field(in, m, "CS");
	it->collection = in_field(in, m, "CR");
	res->destination = in_field(in, m, "CT");
	res->ok = it->found;
	res->error = it->found ? CIRC_E_NONE : CIRC_E_UNKNOWN_ITEM;
}

/* 20, 38, 66 and 36. */
static void
in_other(struct xlate_in *in, const struct sip2_msg *m,
    struct circ_result *res)
{
	const char	*id, *v;
	size_t		 i, n;
	long		 c;

	switch (sip2_msg_code(m)) {
	case SIP2_ITEM_STATUS_RESP:
		in_outcome(res, xlate_yes(sip2_msg_fixed(m,
		    SIP2_FX_ITEM_PROPS_OK)), m);
		res->item.id = in_field(in, m, "AB");
		res->item.title = in_field(in, m, "AJ");
		res->item.props = in_field(in, m, "CH");
		break;
	case SIP2_FEE_PAID_RESP:
		in_outcome(res, xlate_yes(sip2_msg_fixed(m,
		    SIP2_FX_PAYMENT_ACCEPTED)), m);
		res->patron.id = in_field(in, m, "AA");
		res->transaction_id = in_field(in, m, "BK");
		break;
	case SIP2_RENEW_ALL_RESP:
		in_outcome(res, xlate_yes(sip2_msg_fixed(m, SIP2_FX_OK)), m);
		if (xlate_num(sip2_msg_fixed(m, SIP2_FX_RENEWED_COUNT),
		    &c) == 0)
			res->renewed = c;
		if (xlate_num(sip2_msg_fixed(m, SIP2_FX_UNRENEWED_COUNT),
		    &c) == 0)
			res->unrenewed = c;
		n = sip2_msg_nfields(m);
		for (i = 0; i < n; i++) {
			v = sip2_msg_field_at(m, i, &id);
			if (strcmp(id, "BM") == 0)
				in_push(in, &res->renewed_items,
				    &res->nrenewed_items, in_keep(in, v));
			else if (strcmp(id, "BN") == 0)
				in_push(in, &res->unrenewed_items,
				    &res->nunrenewed_items, in_keep(in, v));
		}
		break;
	case SIP2_END_SESSION_RESP:
		in_outcome(res, xlate_yes(sip2_msg_fixed(m,
		    SIP2_FX_END_SESSION)), m);
		break;
	default:
		break;
	}
}

/*
 * Merge a SIP2 ILS's answer to step (0 for xlate_sip2_backend_req's
 * message, then 1, 2, ... for xlate_sip2_backend_next's) into res, which
 * the caller zeroes before step 0; step 0 sets the members whose unknown
 * is -1.  Strings and lists are copied into the arena, so msg may be
 * freed at once.  A failure the ILS only put in words (AF) is classified
 * into a circ_error by those words; AF itself is kept as res->screen.
 * Returns 0, or -1 when msg is not the answer to this request (res->error
 * is then CIRC_E_REFUSED, errno EPROTO) or on no memory (errno ENOMEM).
 */
int
xlate_sip2_backend_reply(const struct circ_req *req, int step,
    const struct sip2_msg *msg, struct circ_result *res,
    struct circ_arena *a)
{
	struct xlate_in		 in = { a, 0 };
	const struct sip2_spec	*spec;
	const char		*v;
	int			 code = xlate_backend_code(req);

	if (step == 0) {
		res->patron.pin_ok = -1;
		res->patron.fee_limit = -1;
		res->item.hold_queue = -1;
		res->queue_position = -1;
		res->desensitize = -1;
	}
	if (code == 0 || (spec = sip2_spec_find(code)) == NULL ||
	    msg == NULL || sip2_msg_code(msg) != spec->response) {
		res->ok = 0;
		res->error = CIRC_E_REFUSED;
		errno = EPROTO;
		return (-1);
	}
	if ((v = sip2_msg_field(msg, "AF")) != NULL && !xlate_empty(v))
		res->screen = in_keep(&in, v);
	if ((v = sip2_msg_field(msg, "AG")) != NULL && !xlate_empty(v))
		res->print = in_keep(&in, v);

	switch (spec->response) {
	case SIP2_PATRON_STATUS_RESP:
	case SIP2_PATRON_ENABLE_RESP:
	case SIP2_PATRON_INFO_RESP:
		in_patron(&in, req, step, msg, res);
		break;
	case SIP2_CHECKOUT_RESP:
	case SIP2_RENEW_RESP:
		in_loan(&in, msg, res);
		break;
	case SIP2_CHECKIN_RESP:
		in_checkin(&in, msg, res);
		break;
	case SIP2_HOLD_RESP:
		in_hold(&in, msg, res);
		break;
	case SIP2_ITEM_INFO_RESP:
		in_item(&in, msg, res);
		break;
	default:
		in_other(&in, msg, res);
		break;
	}
	if (in.nomem) {
		errno = ENOMEM;
		return (-1);
	}
	return (0);
}
