/* SPDX-License-Identifier: ISC */
/*
 * The simulated ILS's SIP2 server: decodes each request, maps it onto the
 * state's circulation operations and encodes the answer the way the
 * logged-in account expects it.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ilssim.h"

#define LIST_BUDGET	5000	/* bytes of list fields in one answer */
#define LIST_MAX	100	/* entries of one list in one answer */

/* One request being answered. */
struct req {
	struct ilssim_session	*sess;
	struct ilssim_state	*st;
	const struct sip2_msg	*msg;
	time_t			 now;
	const char		*date;
	int			 nomem;
};

/* How each message code is answered. */
struct handler {
	int			 open;	/* answered before a login */
	struct sip2_msg		*(*fn)(struct req *);
};

static struct sip2_msg	*h_block(struct req *);
static struct sip2_msg	*h_checkin(struct req *);
static struct sip2_msg	*h_checkout(struct req *);
static struct sip2_msg	*h_hold(struct req *);
static struct sip2_msg	*h_item_info(struct req *);
static struct sip2_msg	*h_item_status(struct req *);
static struct sip2_msg	*h_patron_status(struct req *);
static struct sip2_msg	*h_patron_enable(struct req *);
static struct sip2_msg	*h_renew(struct req *);
static struct sip2_msg	*h_end_session(struct req *);
static struct sip2_msg	*h_fee_paid(struct req *);
static struct sip2_msg	*h_patron_info(struct req *);
static struct sip2_msg	*h_renew_all(struct req *);
static struct sip2_msg	*h_login(struct req *);
static struct sip2_msg	*h_sc_status(struct req *);

/*
 * Every code a terminal may send has a row.  Responses sent to us as
 * requests, and 96 and 97 (handled before dispatch), have none and are
 * answered with 96.
 */
static const struct handler handlers[100] = {
	[SIP2_BLOCK_PATRON] =	{ 0, h_block },
	[SIP2_CHECKIN] =	{ 0, h_checkin },
	[SIP2_CHECKOUT] =	{ 0, h_checkout },
	[SIP2_HOLD] =		{ 0, h_hold },
	[SIP2_ITEM_INFO] =	{ 0, h_item_info },
	[SIP2_ITEM_STATUS] =	{ 0, h_item_status },
	[SIP2_PATRON_STATUS] =	{ 0, h_patron_status },
	[SIP2_PATRON_ENABLE] =	{ 0, h_patron_enable },
	[SIP2_RENEW] =		{ 0, h_renew },
	[SIP2_END_SESSION] =	{ 0, h_end_session },
	[SIP2_FEE_PAID] =	{ 0, h_fee_paid },
	[SIP2_PATRON_INFO] =	{ 0, h_patron_info },
	[SIP2_RENEW_ALL] =	{ 0, h_renew_all },
	[SIP2_LOGIN] =		{ 1, h_login },
	[SIP2_SC_STATUS] =	{ 1, h_sc_status },
};

/* The status bits in the order of SIP2's 14-character patron status. */
static const unsigned status_bits[ILSSIM_B_COUNT] = {
	ILSSIM_B_CHARGE_DENIED, ILSSIM_B_RENEWAL_DENIED,
	ILSSIM_B_RECALL_DENIED, ILSSIM_B_HOLD_DENIED, ILSSIM_B_CARD_LOST,
	ILSSIM_B_TOO_MANY_CHARGED, ILSSIM_B_TOO_MANY_OVERDUE,
	ILSSIM_B_TOO_MANY_RENEWALS, ILSSIM_B_TOO_MANY_CLAIMS,
	ILSSIM_B_TOO_MANY_LOST, ILSSIM_B_EXCESSIVE_FINES,
	ILSSIM_B_EXCESSIVE_FEES, ILSSIM_B_RECALL_OVERDUE,
	ILSSIM_B_TOO_MANY_BILLED
};

void
ilssim_sip2_init(struct ilssim_session *s, struct ilssim_server *srv,
    unsigned id)
{
	memset(s, 0, sizeof(*s));
	s->srv = srv;
	s->id = id;
	s->wire.charset = SIP2_CS_UTF8;
	s->wire.term = SIP2_TERM_CR;
	s->wire.delim = '|';
}

void
ilssim_sip2_clear(struct ilssim_session *s)
{
	free(s->location);
	free(s->last);
	s->location = NULL;
	s->last = NULL;
	s->lastlen = s->lastcap = 0;
}

/* --- building answers ------------------------------------------------- */

static const char *
field(struct req *rq, const char *id)
{
	return sip2_msg_field(rq->msg, id);
}

static int
yes(const char *s)
{
	return s != NULL && (*s == 'Y' || *s == 'y');
}

/* Add a field; a NULL value adds it empty.  Remembers running out. */
static void
put(struct req *rq, struct sip2_msg *m, const char *id, const char *v)
{
	if (sip2_msg_add_field(m, id, v != NULL ? v : "") == -1)
		rq->nomem = 1;
}

/* Add a field only when there is a value. */
static void
put_opt(struct req *rq, struct sip2_msg *m, const char *id, const char *v)
{
	if (v != NULL && *v != '\0')
		put(rq, m, id, v);
}

static void
put_money(struct req *rq, struct sip2_msg *m, const char *id, long cents)
{
	char	 buf[32];

	ilssim_data_money(cents, buf, sizeof(buf));
	put(rq, m, id, buf);
}

static void
put_date(struct req *rq, struct sip2_msg *m, const char *id, time_t t)
{
	char	 buf[19];

	sip2_date_format(t, 0, buf);
	put(rq, m, id, buf);
}

static void
fixed(struct sip2_msg *m, enum sip2_fx fx, const char *v)
{
	(void)sip2_msg_set_fixed(m, fx, v);
}

static void
fixed_count(struct sip2_msg *m, enum sip2_fx fx, int n)
{
	char	 buf[16];

	snprintf(buf, sizeof(buf), "%04d", n < 0 ? 0 : n > 9999 ? 9999 : n);
	fixed(m, fx, buf);
}

static struct sip2_msg *
answer(struct req *rq, int code)
{
	struct sip2_msg	*m;

	if ((m = sip2_msg_new(code)) == NULL) {
		rq->nomem = 1;
		return NULL;
	}
	fixed(m, SIP2_FX_DATE, rq->date);
	return m;
}

static const char *
magnetic(const struct ilssim_item *it)
{
	if (it == NULL)
		return "U";
	return strcmp(it->media, "004") == 0 ||
	    strcmp(it->media, "005") == 0 ? "Y" : "N";
}

/*
 * Find the request's patron and check the PIN when one was sent: *pin is
 * 1 right, 0 wrong, -1 not sent.  Returns NULL for an unknown patron.
 */
static struct ilssim_patron *
req_patron(struct req *rq, int *pin)
{
	struct ilssim_patron	*p;
	const char		*ad;

	*pin = -1;
	if ((p = ilssim_data_patron(rq->st, field(rq, "AA"))) == NULL)
		return NULL;
	if ((ad = field(rq, "AD")) != NULL)
		*pin = ilssim_data_pin_ok(p, ad);
	return p;
}

/* Why a request about this patron cannot go ahead, before the item. */
static enum ilssim_res
patron_res(const struct ilssim_patron *p, int pin)
{
	if (p == NULL)
		return ILSSIM_E_NO_PATRON;
	if (pin == 0)
		return ILSSIM_E_BAD_PIN;
	return ILSSIM_OK;
}

/*
 * The part of 24, 26 and 64 that describes a patron: status, language,
 * institution, id, name, validity, PIN, money and a screen message.
 */
static struct sip2_msg *
patron_answer(struct req *rq, int code, struct ilssim_patron *p, int pin,
    struct ilssim_standing *s, int money)
{
	struct sip2_msg	*m;
	char		 bits[ILSSIM_B_COUNT + 1];
	const char	*why = NULL;
	size_t		 i;

	if ((m = answer(rq, code)) == NULL)
		return NULL;
	if (p == NULL) {
		fixed(m, SIP2_FX_PATRON_STATUS, "YYYY          ");
		fixed(m, SIP2_FX_LANGUAGE, "000");
		put(rq, m, "AO", rq->st->institution);
		put(rq, m, "AA", field(rq, "AA"));
		put(rq, m, "AE", "");
		put(rq, m, "BL", "N");
		if (field(rq, "AD") != NULL)
			put(rq, m, "CQ", "N");
		put(rq, m, "AF", ilssim_data_strres(ILSSIM_E_NO_PATRON));
		return m;
	}
	for (i = 0; i < ILSSIM_B_COUNT; i++)
		bits[i] = (s->status & status_bits[i]) ? 'Y' : ' ';
	bits[ILSSIM_B_COUNT] = '\0';
	fixed(m, SIP2_FX_PATRON_STATUS, bits);
	fixed(m, SIP2_FX_LANGUAGE, p->language);
	put(rq, m, "AO", rq->st->institution);
	put(rq, m, "AA", p->barcode);
	put(rq, m, "AE", p->name);
	put(rq, m, "BL", "Y");
	if (pin != -1)
		put(rq, m, "CQ", pin ? "Y" : "N");
	if (money) {
		put(rq, m, "BH", rq->st->currency);
		put_money(rq, m, "BV", s->owed);
	}
	if (pin == 0)
		why = ilssim_data_strres(ILSSIM_E_BAD_PIN);
	else if (p->blocked && p->block_msg != NULL)
		why = p->block_msg;
	else if (s->reason != ILSSIM_OK)
		why = ilssim_data_strres(s->reason);
	put_opt(rq, m, "AF", why);
	return m;
}

/* --- session ---------------------------------------------------------- */

static struct sip2_msg *
h_login(struct req *rq)
{
	struct ilssim_session		*s = rq->sess;
	const struct ilssim_account	*a;
	const char			*cp;
	struct sip2_msg			*m;
	char				*loc = NULL;

	a = ilssim_data_login(rq->st, field(rq, "CN"), field(rq, "CO"));
	if (a != NULL) {
		cp = field(rq, "CP");
		if (cp == NULL || *cp == '\0')
			cp = a->location;
		if (cp != NULL && (loc = strdup(cp)) == NULL) {
			rq->nomem = 1;
			return NULL;
		}
		free(s->location);
		s->location = loc;
		s->logged_in = 1;
		s->wire = a->wire;
	} else
		s->logged_in = 0;
	ilssim_log("conn=%u event=login result=%s", s->id,
	    a != NULL ? "ok" : "refused");
	if ((m = answer(rq, SIP2_LOGIN_RESP)) == NULL)
		return NULL;
	fixed(m, SIP2_FX_OK, a != NULL ? "1" : "0");
	return m;
}

static struct sip2_msg *
h_sc_status(struct req *rq)
{
	struct sip2_msg	*m;

	if ((m = answer(rq, SIP2_ACS_STATUS)) == NULL)
		return NULL;
	fixed(m, SIP2_FX_ONLINE, "Y");
	fixed(m, SIP2_FX_CHECKIN_OK, "Y");
	fixed(m, SIP2_FX_CHECKOUT_OK, "Y");
	fixed(m, SIP2_FX_ACS_RENEWAL_POLICY, "Y");
	fixed(m, SIP2_FX_STATUS_UPDATE_OK, "Y");
	fixed(m, SIP2_FX_OFFLINE_OK, "N");
	fixed(m, SIP2_FX_TIMEOUT, "030");
	fixed(m, SIP2_FX_RETRIES, "003");
	fixed(m, SIP2_FX_PROTOCOL_VERSION, "2.00");
	put(rq, m, "AO", rq->st->institution);
	put(rq, m, "AM", rq->st->library);
	put(rq, m, "BX", "YYYYYYYYYYYYYYYY");
	put_opt(rq, m, "AN", rq->sess->location);
	return m;
}

static struct sip2_msg *
h_end_session(struct req *rq)
{
	struct sip2_msg	*m;

	if ((m = answer(rq, SIP2_END_SESSION_RESP)) == NULL)
		return NULL;
	fixed(m, SIP2_FX_END_SESSION, "Y");
	put(rq, m, "AO", rq->st->institution);
	put(rq, m, "AA", field(rq, "AA"));
	return m;
}

/* --- patrons ---------------------------------------------------------- */

static struct sip2_msg *
h_patron_status(struct req *rq)
{
	struct ilssim_standing	 s;
	struct ilssim_patron	*p;
	int			 pin;

	if ((p = req_patron(rq, &pin)) != NULL)
		ilssim_data_standing(rq->st, p, rq->now, &s);
	return patron_answer(rq, SIP2_PATRON_STATUS_RESP, p, pin, &s, 1);
}

static struct sip2_msg *
h_block(struct req *rq)
{
	struct ilssim_standing	 s;
	struct ilssim_patron	*p;
	enum ilssim_res		 res;

	if ((p = ilssim_data_patron(rq->st, field(rq, "AA"))) != NULL) {
		res = ilssim_data_block(rq->st, p,
		    yes(sip2_msg_fixed(rq->msg, SIP2_FX_CARD_RETAINED)),
		    field(rq, "AL"));
		if (res != ILSSIM_OK) {
			rq->nomem = 1;
			return NULL;
		}
		ilssim_data_standing(rq->st, p, rq->now, &s);
	}
	return patron_answer(rq, SIP2_PATRON_STATUS_RESP, p, -1, &s, 1);
}

static struct sip2_msg *
h_patron_enable(struct req *rq)
{
	struct ilssim_standing	 s;
	struct ilssim_patron	*p;
	int			 pin;

	if ((p = req_patron(rq, &pin)) != NULL) {
		if (pin != 0)
			ilssim_data_enable(rq->st, p);
		ilssim_data_standing(rq->st, p, rq->now, &s);
	}
	return patron_answer(rq, SIP2_PATRON_ENABLE_RESP, p, pin, &s, 0);
}

/* A bounded run of list entries, for 64's lists and 66's BM/BN. */
struct list {
	int		 first;	/* 1-based, inclusive */
	int		 last;
	int		 n;	/* entries seen so far */
	size_t		 bytes;
	int		 sent;
};

static void
list_put(struct req *rq, struct sip2_msg *m, struct list *l, const char *id,
    const char *v)
{
	size_t	 len = strlen(v) + 3;

	l->n++;
	if (l->n < l->first || l->n > l->last || l->sent >= LIST_MAX ||
	    l->bytes + len > LIST_BUDGET)
		return;
	put(rq, m, id, v);
	l->bytes += len;
	l->sent++;
}

static void
patron_list(struct req *rq, struct sip2_msg *m, struct ilssim_patron *p,
    int which, struct list *l)
{
	struct ilssim_loan	*ln;
	struct ilssim_hold	*h;
	struct ilssim_fee	*f;
	char			 buf[SIP2_FIELD_MAX + 1], amt[32];

	switch (which) {
	case 0:		/* hold items: set aside and ready */
	case 5:		/* unavailable holds: still waiting */
		TAILQ_FOREACH(h, &p->holds, pentry) {
			if (ilssim_data_hold_ready(h) != (which == 0))
				continue;
			if (h->trapped != NULL && which == 0)
				list_put(rq, m, l, "AS", h->trapped->barcode);
			else if (h->item != NULL)
				list_put(rq, m, l, "CD", h->item->barcode);
			else
				list_put(rq, m, l, "CD", h->title->title);
		}
		break;
	case 1:		/* overdue */
	case 2:		/* charged */
	case 4:		/* recalled */
		TAILQ_FOREACH(ln, &p->loans, entry) {
			if (which == 1 && ln->due >= rq->now)
				continue;
			if (which == 4 && ln->recalled == 0)
				continue;
			list_put(rq, m, l, which == 1 ? "AT" :
			    which == 2 ? "AU" : "BU", ln->item->barcode);
		}
		break;
	case 3:		/* fines: "<fee id> <amount> <type> <description>" */
		TAILQ_FOREACH(f, &p->fees, entry) {
			if (f->amount <= 0)
				continue;
			ilssim_data_money(f->amount, amt, sizeof(amt));
			snprintf(buf, sizeof(buf), "%s %s %02d %s", f->id, amt,
			    f->type, f->desc);
			list_put(rq, m, l, "AV", buf);
		}
		break;
	}
}

static int
int_field(const char *s, int dflt)
{
	long	 v;

	if (s == NULL || !isdigit((unsigned char)*s))
		return dflt;
	v = strtol(s, NULL, 10);
	return v > 99999 ? 99999 : (int)v;
}

static struct sip2_msg *
h_patron_info(struct req *rq)
{
	struct ilssim_standing	 s;
	struct ilssim_patron	*p;
	struct sip2_msg		*m;
	struct list		 l;
	const struct ilssim_class *c;
	const char		*sum;
	char			 buf[32];
	struct tm		 tm;
	int			 pin, which = -1, i;

	if ((p = req_patron(rq, &pin)) != NULL)
		ilssim_data_standing(rq->st, p, rq->now, &s);
	m = patron_answer(rq, SIP2_PATRON_INFO_RESP, p, pin, &s, 1);
	if (m == NULL || p == NULL) {
		if (m != NULL)
			for (i = SIP2_FX_HOLD_COUNT;
			    i <= SIP2_FX_UNAVAIL_HOLD_COUNT; i++)
				fixed_count(m, i, 0);
		return m;
	}
	fixed_count(m, SIP2_FX_HOLD_COUNT, s.holds_ready);
	fixed_count(m, SIP2_FX_OVERDUE_COUNT, s.overdue);
	fixed_count(m, SIP2_FX_CHARGED_COUNT, s.loans);
	fixed_count(m, SIP2_FX_FINE_COUNT, s.fees);
	fixed_count(m, SIP2_FX_RECALL_COUNT, s.recalled);
	fixed_count(m, SIP2_FX_UNAVAIL_HOLD_COUNT, s.holds_waiting);
	c = p->class;
	snprintf(buf, sizeof(buf), "%04d", c->hold_limit);
	put(rq, m, "BZ", buf);
	snprintf(buf, sizeof(buf), "%04d", c->overdue_limit);
	put(rq, m, "CA", buf);
	snprintf(buf, sizeof(buf), "%04d", c->checkout_limit);
	put(rq, m, "CB", buf);
	put_money(rq, m, "CC", c->fee_limit);

	/* A wrong PIN gets the counts but not the lists or the details. */
	if (pin == 0)
		return m;
	if ((sum = sip2_msg_fixed(rq->msg, SIP2_FX_SUMMARY)) != NULL)
		for (i = 0; i < 6 && sum[i] != '\0'; i++)
			if (sum[i] == 'Y' || sum[i] == 'y') {
				which = i;
				break;
			}
	if (which >= 0) {
		memset(&l, 0, sizeof(l));
		l.first = int_field(field(rq, "BP"), 1);
		l.last = int_field(field(rq, "BQ"), 99999);
		patron_list(rq, m, p, which, &l);
	}
	put_opt(rq, m, "BD", p->address);
	put_opt(rq, m, "BE", p->email);
	put_opt(rq, m, "BF", p->phone);
	put_opt(rq, m, "AQ", p->home);
	if (p->expires != 0) {
		localtime_r(&p->expires, &tm);
		strftime(buf, sizeof(buf), "%Y%m%d", &tm);
		put(rq, m, "PA", buf);
	}
	put_opt(rq, m, "PB", p->birth);
	put(rq, m, "PC", c->name);
	return m;
}

static struct sip2_msg *
h_fee_paid(struct req *rq)
{
	struct ilssim_payment	 pay;
	struct ilssim_patron	*p;
	struct sip2_msg		*m;
	const char		*cur, *bk;
	char			 txn[32], msg[96], amt[32];
	enum ilssim_res		 res;
	long			 cents;
	int			 pin;

	p = req_patron(rq, &pin);
	cur = sip2_msg_fixed(rq->msg, SIP2_FX_CURRENCY);
	if ((res = patron_res(p, pin)) != ILSSIM_OK)
		;
	else if (cur != NULL && strspn(cur, " ") != strlen(cur) &&
	    strcasecmp(cur, rq->st->currency) != 0)
		res = ILSSIM_E_CURRENCY;
	else if (ilssim_data_parse_money(field(rq, "BV"), &cents) == -1)
		res = ILSSIM_E_AMOUNT;
	else
		res = ilssim_data_fee_pay(rq->st, p, field(rq, "CG"), cents,
		    &pay);

	if ((m = answer(rq, SIP2_FEE_PAID_RESP)) == NULL)
		return NULL;
	fixed(m, SIP2_FX_PAYMENT_ACCEPTED, res == ILSSIM_OK ? "Y" : "N");
	put(rq, m, "AO", rq->st->institution);
	put(rq, m, "AA", field(rq, "AA"));
	if ((bk = field(rq, "BK")) == NULL || *bk == '\0') {
		ilssim_data_txn_id(rq->st, txn, sizeof(txn));
		bk = txn;
	}
	put(rq, m, "BK", bk);
	if (res == ILSSIM_OK) {
		ilssim_data_money(pay.remaining, amt, sizeof(amt));
		snprintf(msg, sizeof(msg), "Payment accepted, %s still owed",
		    amt);
		put(rq, m, "AF", msg);
	} else
		put(rq, m, "AF", ilssim_data_strres(res));
	return m;
}

/* --- circulation ------------------------------------------------------ */

static void
loan_opts(struct req *rq, struct ilssim_loan_opts *o)
{
	const char	*nb;

	memset(o, 0, sizeof(*o));
	o->no_block = yes(sip2_msg_fixed(rq->msg, SIP2_FX_NO_BLOCK));
	nb = sip2_msg_fixed(rq->msg, SIP2_FX_NB_DUE_DATE);
	if (o->no_block && nb != NULL && sip2_date_parse(nb, &o->nb_due) == -1)
		o->nb_due = 0;
	o->fee_ack = yes(field(rq, "BO"));
}

/* The shared body of 12 and 30. */
static struct sip2_msg *
loan_answer(struct req *rq, int code, struct ilssim_item *it,
    enum ilssim_res res, const struct ilssim_loan_result *r)
{
	struct sip2_msg	*m;
	const char	*ab;
	int		 ok = res == ILSSIM_OK;
	char		 msg[96], amt[32];

	if ((m = answer(rq, code)) == NULL)
		return NULL;
	fixed(m, SIP2_FX_OK, ok ? "1" : "0");
	fixed(m, SIP2_FX_RENEWAL_OK, ok && (r->renewal ||
	    code == SIP2_RENEW_RESP) ? "Y" : "N");
	fixed(m, SIP2_FX_MAGNETIC, magnetic(it));
	fixed(m, SIP2_FX_DESENSITIZE, ok && code == SIP2_CHECKOUT_RESP ?
	    "Y" : "N");
	put(rq, m, "AO", rq->st->institution);
	put(rq, m, "AA", field(rq, "AA"));
	ab = it != NULL ? it->barcode : field(rq, "AB");
	put(rq, m, "AB", ab);
	put(rq, m, "AJ", it != NULL ? it->title->title : "");
	if (r->due != 0)
		put_date(rq, m, "AH", r->due);
	else
		put(rq, m, "AH", "");
	if (it != NULL && it->rental > 0) {
		put(rq, m, "BT", "06");
		put(rq, m, "BH", rq->st->currency);
		put_money(rq, m, "BV", it->rental);
	}
	if (it != NULL)
		put(rq, m, "CK", it->media);
	if (ok)
		put(rq, m, "AF", r->renewal || code == SIP2_RENEW_RESP ?
		    "Item renewed" : "Item checked out");
	else if (res == ILSSIM_E_FEE_ACK) {
		ilssim_data_money(it->rental, amt, sizeof(amt));
		snprintf(msg, sizeof(msg), "Rental fee %s must be "
		    "acknowledged", amt);
		put(rq, m, "AF", msg);
	} else
		put(rq, m, "AF", ilssim_data_strres(res));
	return m;
}

static struct sip2_msg *
h_checkout(struct req *rq)
{
	struct ilssim_loan_opts		 o;
	struct ilssim_loan_result	 r;
	struct ilssim_patron		*p;
	struct ilssim_item		*it;
	enum ilssim_res			 res;
	int				 pin;

	memset(&r, 0, sizeof(r));
	p = req_patron(rq, &pin);
	it = ilssim_data_item(rq->st, field(rq, "AB"));
	loan_opts(rq, &o);
	if ((res = patron_res(p, pin)) != ILSSIM_OK)
		;
	else if (it == NULL)
		res = ILSSIM_E_NO_ITEM;
	else
		res = ilssim_data_checkout(rq->st, p, it, rq->now, &o, &r);
	if (res == ILSSIM_E_NOMEM) {
		rq->nomem = 1;
		return NULL;
	}
	return loan_answer(rq, SIP2_CHECKOUT_RESP, it, res, &r);
}

/* Find the copy a renewal means: by barcode, or by title among loans. */
static struct ilssim_item *
renew_item(struct req *rq, struct ilssim_patron *p)
{
	struct ilssim_loan	*l;
	const char		*aj;

	if (field(rq, "AB") != NULL || p == NULL)
		return ilssim_data_item(rq->st, field(rq, "AB"));
	if ((aj = field(rq, "AJ")) == NULL)
		return NULL;
	TAILQ_FOREACH(l, &p->loans, entry)
		if (strcasecmp(l->item->title->title, aj) == 0)
			return l->item;
	return NULL;
}

static struct sip2_msg *
h_renew(struct req *rq)
{
	struct ilssim_loan_opts		 o;
	struct ilssim_loan_result	 r;
	struct ilssim_patron		*p;
	struct ilssim_item		*it;
	enum ilssim_res			 res;
	int				 pin;

	memset(&r, 0, sizeof(r));
	p = req_patron(rq, &pin);
	it = renew_item(rq, p);
	loan_opts(rq, &o);
	if ((res = patron_res(p, pin)) != ILSSIM_OK)
		;
	else if (it == NULL)
		res = ILSSIM_E_NO_ITEM;
	else
		res = ilssim_data_renew(rq->st, p, it, rq->now, &o, &r);
	return loan_answer(rq, SIP2_RENEW_RESP, it, res, &r);
}

static struct sip2_msg *
h_renew_all(struct req *rq)
{
	struct ilssim_loan_opts		 o;
	struct ilssim_loan_result	 r;
	struct ilssim_patron		*p;
	struct ilssim_loan		*ln;
	struct sip2_msg			*m;
	struct list			 yes_l, no_l;
	enum ilssim_res			 res;
	int				 pin;

	p = req_patron(rq, &pin);
	res = patron_res(p, pin);
	if ((m = answer(rq, SIP2_RENEW_ALL_RESP)) == NULL)
		return NULL;
	memset(&yes_l, 0, sizeof(yes_l));
	memset(&no_l, 0, sizeof(no_l));
	yes_l.first = no_l.first = 1;
	yes_l.last = no_l.last = 99999;
	put(rq, m, "AO", rq->st->institution);
	if (res == ILSSIM_OK) {
		memset(&o, 0, sizeof(o));
		TAILQ_FOREACH(ln, &p->loans, entry) {
			if (ilssim_data_renew(rq->st, p, ln->item, rq->now,
			    &o, &r) == ILSSIM_OK)
				list_put(rq, m, &yes_l, "BM",
				    ln->item->barcode);
			else
				list_put(rq, m, &no_l, "BN",
				    ln->item->barcode);
		}
	}
	fixed(m, SIP2_FX_OK, res == ILSSIM_OK ? "1" : "0");
	fixed_count(m, SIP2_FX_RENEWED_COUNT, yes_l.n);
	fixed_count(m, SIP2_FX_UNRENEWED_COUNT, no_l.n);
	if (res != ILSSIM_OK)
		put(rq, m, "AF", ilssim_data_strres(res));
	return m;
}

static void
checkin_message(const struct ilssim_checkin_result *r, char *buf,
    size_t len)
{
	char	 amt[32];
	size_t	 n;

	n = (size_t)snprintf(buf, len, "%s",
	    r->was_on_loan ? "Item checked in" : "Item was not checked out");
	if (r->fine != NULL && n < len) {
		ilssim_data_money(r->fine->amount, amt, sizeof(amt));
		n += (size_t)snprintf(buf + n, len - n, "; overdue fine %s",
		    amt);
	}
	if (r->destination != NULL && n < len)
		snprintf(buf + n, len - n, "; %s %s",
		    r->hold != NULL ? "hold, send to" : "return to",
		    r->destination);
}

static struct sip2_msg *
h_checkin(struct req *rq)
{
	struct ilssim_checkin_result	 r;
	struct ilssim_item		*it;
	struct sip2_msg			*m;
	const char			*where, *rd;
	char				 buf[160];
	time_t				 returned = 0;

	it = ilssim_data_item(rq->st, field(rq, "AB"));
	if ((m = answer(rq, SIP2_CHECKIN_RESP)) == NULL)
		return NULL;
	if (it == NULL) {
		fixed(m, SIP2_FX_OK, "0");
		fixed(m, SIP2_FX_RESENSITIZE, "N");
		fixed(m, SIP2_FX_MAGNETIC, "U");
		fixed(m, SIP2_FX_ALERT, "N");
		put(rq, m, "AO", rq->st->institution);
		put(rq, m, "AB", field(rq, "AB"));
		put(rq, m, "AQ", "");
		put(rq, m, "AF", ilssim_data_strres(ILSSIM_E_NO_ITEM));
		return m;
	}
	where = field(rq, "AP");
	if (where == NULL || *where == '\0')
		where = rq->sess->location;
	rd = sip2_msg_fixed(rq->msg, SIP2_FX_RETURN_DATE);
	if (rd != NULL && sip2_date_parse(rd, &returned) == -1)
		returned = 0;
	if (ilssim_data_checkin(rq->st, it, where, rq->now, returned,
	    &r) != ILSSIM_OK) {
		sip2_msg_free(m);
		rq->nomem = 1;
		return NULL;
	}
	fixed(m, SIP2_FX_OK, "1");
	fixed(m, SIP2_FX_RESENSITIZE, "Y");
	fixed(m, SIP2_FX_MAGNETIC, magnetic(it));
	fixed(m, SIP2_FX_ALERT, r.alert != ILSSIM_ALERT_NONE ? "Y" : "N");
	put(rq, m, "AO", rq->st->institution);
	put(rq, m, "AB", it->barcode);
	put(rq, m, "AQ", it->home);
	put(rq, m, "AJ", it->title->title);
	if (r.borrower != NULL)
		put(rq, m, "AA", r.borrower->barcode);
	put(rq, m, "CK", it->media);
	put_opt(rq, m, "CR", it->collection);
	put_opt(rq, m, "CS", it->call);
	put_opt(rq, m, "CH", it->props);
	if (r.destination != NULL) {
		put(rq, m, "CT", r.destination);
		snprintf(buf, sizeof(buf), "%02d", r.alert);
		put(rq, m, "CV", buf);
	}
	if (r.hold != NULL)
		put(rq, m, "CY", r.hold->patron->barcode);
	checkin_message(&r, buf, sizeof(buf));
	put(rq, m, "AF", buf);
	return m;
}

/* --- holds and items -------------------------------------------------- */

static struct sip2_msg *
h_hold(struct req *rq)
{
	struct ilssim_patron	*p;
	struct ilssim_item	*it = NULL;
	struct ilssim_title	*ti = NULL;
	struct ilssim_hold	*h = NULL;
	struct sip2_msg		*m;
	const char		*fx, *ab, *aj, *bw, *by;
	char			 buf[16], mode;
	enum ilssim_res		 res;
	time_t			 expires = 0;
	int			 pin, type = 0;

	p = req_patron(rq, &pin);
	fx = sip2_msg_fixed(rq->msg, SIP2_FX_HOLD_MODE);
	mode = fx != NULL ? *fx : ' ';
	ab = field(rq, "AB");
	aj = field(rq, "AJ");
	if (ab != NULL && *ab != '\0')
		it = ilssim_data_item(rq->st, ab);
	else if (aj != NULL && *aj != '\0')
		ti = ilssim_data_title(rq->st, aj);
	if ((bw = field(rq, "BW")) != NULL &&
	    sip2_date_parse(bw, &expires) == -1)
		expires = 0;
	if ((by = field(rq, "BY")) != NULL && *by >= '1' && *by <= '4')
		type = *by - '0';

	if ((res = patron_res(p, pin)) != ILSSIM_OK)
		;
	else if (it == NULL && ti == NULL)
		res = ab != NULL && *ab != '\0' ? ILSSIM_E_NO_ITEM :
		    ILSSIM_E_NO_TITLE;
	else if (mode == '+')
		res = ilssim_data_hold_place(rq->st, p, it, ti, type,
		    field(rq, "BS"), expires, rq->now, &h);
	else if ((h = ilssim_data_hold_find(p, it, ti)) == NULL)
		res = ILSSIM_E_NO_HOLD;
	else if (mode == '-') {
		ilssim_data_hold_cancel(rq->st, h);
		h = NULL;
	} else if (mode == '*')
		res = ilssim_data_hold_change(rq->st, h, field(rq, "BS"),
		    expires);
	else
		res = ILSSIM_E_NO_HOLD;
	if (res == ILSSIM_E_NOMEM) {
		rq->nomem = 1;
		return NULL;
	}

	if ((m = answer(rq, SIP2_HOLD_RESP)) == NULL)
		return NULL;
	if (it != NULL)
		ti = it->title;
	fixed(m, SIP2_FX_OK, res == ILSSIM_OK ? "1" : "0");
	fixed(m, SIP2_FX_AVAILABLE, ti != NULL &&
	    ilssim_data_title_available(ti) ? "Y" : "N");
	if (res == ILSSIM_OK && h != NULL) {
		put_date(rq, m, "BW", h->expires);
		snprintf(buf, sizeof(buf), "%d",
		    ilssim_data_hold_position(h));
		put(rq, m, "BR", buf);
		put(rq, m, "BS", h->pickup);
	}
	put(rq, m, "AO", rq->st->institution);
	put(rq, m, "AA", field(rq, "AA"));
	put_opt(rq, m, "AB", it != NULL ? it->barcode : ab);
	put_opt(rq, m, "AJ", ti != NULL ? ti->title : aj);
	if (res != ILSSIM_OK)
		put(rq, m, "AF", ilssim_data_strres(res));
	else
		put(rq, m, "AF", mode == '+' ? "Hold placed" :
		    mode == '-' ? "Hold cancelled" : "Hold changed");
	return m;
}

static struct sip2_msg *
h_item_info(struct req *rq)
{
	struct ilssim_item	*it;
	struct sip2_msg		*m;
	char			 buf[16];

	it = ilssim_data_item(rq->st, field(rq, "AB"));
	if ((m = answer(rq, SIP2_ITEM_INFO_RESP)) == NULL)
		return NULL;
	if (it == NULL) {
		fixed(m, SIP2_FX_CIRC_STATUS, "01");
		fixed(m, SIP2_FX_SECURITY_MARKER, "00");
		fixed(m, SIP2_FX_FEE_TYPE, "01");
		put(rq, m, "AB", field(rq, "AB"));
		put(rq, m, "AJ", "");
		put(rq, m, "AF", ilssim_data_strres(ILSSIM_E_NO_ITEM));
		return m;
	}
	snprintf(buf, sizeof(buf), "%02d", it->status);
	fixed(m, SIP2_FX_CIRC_STATUS, buf);
	fixed(m, SIP2_FX_SECURITY_MARKER, "02");
	fixed(m, SIP2_FX_FEE_TYPE, it->rental > 0 ? "06" : "01");
	put(rq, m, "AB", it->barcode);
	put(rq, m, "AJ", it->title->title);
	snprintf(buf, sizeof(buf), "%d", ilssim_data_item_queue(it));
	put(rq, m, "CF", buf);
	if (it->loan != NULL)
		put_date(rq, m, "AH", it->loan->due);
	if (it->loan != NULL && it->loan->recalled != 0)
		put_date(rq, m, "CJ", it->loan->recalled);
	put(rq, m, "BG", it->owner);
	if (it->rental > 0) {
		put(rq, m, "BH", rq->st->currency);
		put_money(rq, m, "BV", it->rental);
	}
	put(rq, m, "CK", it->media);
	put(rq, m, "AQ", it->home);
	put(rq, m, "AP", it->location);
	put_opt(rq, m, "CH", it->props);
	if (it->destination != NULL)
		put(rq, m, "CT", it->destination);
	else if (it->trapped != NULL)
		put(rq, m, "CT", it->trapped->pickup);
	put_opt(rq, m, "CS", it->call);
	put_opt(rq, m, "CR", it->collection);
	return m;
}

static struct sip2_msg *
h_item_status(struct req *rq)
{
	struct ilssim_item	*it;
	struct sip2_msg		*m;
	enum ilssim_res		 res = ILSSIM_E_NO_ITEM;

	if ((it = ilssim_data_item(rq->st, field(rq, "AB"))) != NULL &&
	    (res = ilssim_data_item_props(rq->st, it,
	    field(rq, "CH"))) == ILSSIM_E_NOMEM) {
		rq->nomem = 1;
		return NULL;
	}
	if ((m = answer(rq, SIP2_ITEM_STATUS_RESP)) == NULL)
		return NULL;
	fixed(m, SIP2_FX_ITEM_PROPS_OK, res == ILSSIM_OK ? "1" : "0");
	put(rq, m, "AB", field(rq, "AB"));
	put(rq, m, "AJ", it != NULL ? it->title->title : "");
	if (it != NULL)
		put_opt(rq, m, "CH", it->props);
	if (res != ILSSIM_OK)
		put(rq, m, "AF", ilssim_data_strres(res));
	return m;
}

/* --- the entry point -------------------------------------------------- */

static size_t
emit(struct ilssim_session *s, const char *text, int trailer, char *out,
    size_t outlen)
{
	const char	*term;
	int		 n;

	term = s->wire.term == SIP2_TERM_CRLF ? "\r\n" :
	    s->wire.term == SIP2_TERM_LF ? "\n" : "\r";
	n = snprintf(out, outlen, "%s%s%s", text, trailer ? "AZFEF6" : "",
	    term);
	return n < 0 || (size_t)n >= outlen ? 0 : (size_t)n;
}

/*
 * Return the first required field a request lacks, or NULL.  Like most
 * ILSes, the simulator does not insist on the terminal password, the
 * patron PIN, the institution, the location or a block message: many
 * terminals omit them.
 */
static const char *
req_missing(const struct sip2_msg *msg)
{
	static char			 id[3];
	const struct sip2_spec		*spec = sip2_msg_spec(msg);
	const char			*r;

	if (spec == NULL || spec->required == NULL)
		return NULL;
	for (r = spec->required; r[0] != '\0' && r[1] != '\0'; r += 2) {
		if (strncmp(r, "AC", 2) == 0 || strncmp(r, "AD", 2) == 0 ||
		    strncmp(r, "AO", 2) == 0 || strncmp(r, "AP", 2) == 0 ||
		    strncmp(r, "AL", 2) == 0)
			continue;
		memcpy(id, r, 2);
		id[2] = '\0';
		if (sip2_msg_field(msg, id) == NULL)
			return id;
	}
	return NULL;
}

/* Ask the terminal to send its request again: it did not arrive whole. */
static size_t
resend_request(struct ilssim_session *s, int trailer, char *out,
    size_t outlen)
{
	s->srv->stats.tx[SIP2_REQUEST_RESEND]++;
	return emit(s, "96", trailer, out, outlen);
}

/* Return a message's two-digit code, or -1. */
int
ilssim_sip2_code(const char *buf, size_t len)
{
	if (len < 2 || !isdigit((unsigned char)buf[0]) ||
	    !isdigit((unsigned char)buf[1]))
		return -1;
	return (buf[0] - '0') * 10 + (buf[1] - '0');
}

static const char *
date_now(time_t now)
{
	static char	 date[19];
	static time_t	 cached = -1;

	if (now != cached) {
		sip2_date_format(now, 0, date);
		cached = now;
	}
	return date;
}

static int
remember(struct ilssim_session *s, const char *out, size_t n)
{
	char	*nl;

	if (n > s->lastcap) {
		if ((nl = realloc(s->last, n)) == NULL)
			return -1;
		s->last = nl;
		s->lastcap = n;
	}
	memcpy(s->last, out, n);
	s->lastlen = n;
	return 0;
}

size_t
ilssim_sip2_handle(struct ilssim_session *s, const char *buf, size_t len,
    char *out, size_t outlen)
{
	struct ilssim_server	*srv = s->srv;
	struct sip2_msg		*msg, *resp = NULL;
	struct sip2_wire	 wire;
	struct req		 rq;
	enum sip2_err		 err;
	const char		*missing;
	char			 text[64];
	ssize_t			 n;
	int			 code, trailer;

	code = ilssim_sip2_code(buf, len);
	trailer = len >= 6 && buf[len - 6] == 'A' && buf[len - 5] == 'Z' &&
	    strspn(buf + len - 4, "0123456789ABCDEFabcdef") >= 4;
	if (code == SIP2_RESEND || code == SIP2_REQUEST_RESEND) {
		if (s->lastlen == 0 || s->lastlen > outlen)
			return resend_request(s, trailer, out, outlen);
		memcpy(out, s->last, s->lastlen);
		if ((code = ilssim_sip2_code(s->last, s->lastlen)) >= 0)
			srv->stats.tx[code]++;
		return s->lastlen;
	}
	if ((msg = sip2_parse(buf, len, &s->wire, &err)) == NULL) {
		srv->stats.bad++;
		if (srv->verbose)
			ilssim_log("conn=%u event=bad-request error=\"%s\"",
			    s->id, sip2_strerror(err));
		return resend_request(s, trailer, out, outlen);
	}
	code = sip2_msg_code(msg);
	if (code < 0 || code > 99 || handlers[code].fn == NULL) {
		sip2_msg_free(msg);
		return resend_request(s, trailer, out, outlen);
	}

	memset(&rq, 0, sizeof(rq));
	rq.sess = s;
	rq.st = srv->state;
	rq.msg = msg;
	rq.now = time(NULL);
	rq.date = date_now(rq.now);
	if (!s->logged_in && !handlers[code].open)
		resp = sip2_reply_error(msg, "Please log in", rq.now);
	else if ((missing = req_missing(msg)) != NULL) {
		snprintf(text, sizeof(text), "Missing required field %s",
		    missing);
		resp = sip2_reply_error(msg, text, rq.now);
	} else {
		resp = handlers[code].fn(&rq);
		if (rq.nomem) {
			sip2_msg_free(resp);
			resp = sip2_reply_error(msg, "System error, try again",
			    rq.now);
		}
	}
	if (resp == NULL) {
		sip2_msg_free(msg);
		return resend_request(s, trailer, out, outlen);
	}
	if (sip2_msg_seq(msg) >= 0)
		sip2_msg_set_seq(resp, sip2_msg_seq(msg));
	wire = s->wire;
	wire.checksums = trailer;
	n = sip2_build(resp, &wire, out, outlen);
	if (srv->verbose)
		ilssim_log("conn=%u rx=%02d tx=%02d bytes=%zd", s->id, code,
		    sip2_msg_code(resp), n);
	sip2_msg_free(msg);
	if (n <= 0) {
		sip2_msg_free(resp);
		return resend_request(s, trailer, out, outlen);
	}
	srv->stats.tx[sip2_msg_code(resp) % 100]++;
	sip2_msg_free(resp);
	if (remember(s, out, (size_t)n) == -1)
		s->lastlen = 0;
	return (size_t)n;
}
