/* SPDX-License-Identifier: ISC */
/*
 * Tests of the SIP2 side of translation: terminals' requests decoded,
 * neutral results encoded for terminals, neutral requests turned into
 * requests for a SIP2 ILS and that ILS's answers merged back.
 */

#include "config.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "circlinkd.h"

/* route.c, linked in through circ.c, reaches the daemon's state. */
struct gateway	*gw;

/* 2024-03-01 09:30:00 UTC; the tests run in UTC. */
#define NOW	((time_t)1709285400)
#define DATE	"20240301    093000"
#define BLANK	"                  "
/* 2024-03-22 23:59:59 UTC */
#define DUE	((time_t)1711151999)
#define DUE_S	"20240322    235959"

static const struct sip2_wire plain = { SIP2_CS_UTF8, SIP2_TERM_CR, '|', 0 };

static char	 metro_id[] = "metro";
static char	 metro_name[] = "Metro Public Library";
static char	 metro_inst[] = "METRO";
static char	 metro_pw[] = "gwpass";
static char	 metro_loc[] = "MAIN";
static struct conf_partner metro;

static int
setup(void **state)
{
	setenv("TZ", "UTC0", 1);
	tzset();
	memset(&metro, 0, sizeof(metro));
	metro.id = metro_id;
	metro.name = metro_name;
	metro.institutions[0] = metro_inst;
	metro.ninstitutions = 1;
	metro.backend.proto = BACKEND_SIP2;
	metro.backend.password = metro_pw;
	metro.backend.location = metro_loc;
	metro.has_backend = 1;
	return (0);
}

/* Parse wire text (no terminator); the test fails if it does not parse. */
static struct sip2_msg *
parse(const char *wire)
{
	struct sip2_msg	*m;
	enum sip2_err	 err;

	m = sip2_parse(wire, strlen(wire), &plain, &err);
	if (m == NULL)
		fail_msg("cannot parse \"%s\": %s", wire, sip2_strerror(err));
	return (m);
}

/* The wire text of a message, without the terminator. */
static const char *
wire_of(const struct sip2_msg *m)
{
	static char	 buf[SIP2_BUILD_MAX];
	ssize_t		 n;

	assert_non_null(m);
	n = sip2_build(m, &plain, buf, sizeof(buf));
	assert_true(n > 1);
	buf[n - 1] = '\0';
	return (buf);
}

/* Decode a terminal's request; the message is kept in req->sip2. */
static void
decode(struct circ_req *req, const char *wire)
{
	assert_int_equal(xlate_sip2_req(req, parse(wire)), 0);
}

static void
done(struct circ_req *req)
{
	sip2_msg_free(req->sip2);
}

/* Encode a result for a terminal's request and compare the wire text. */
static void
expect_reply(const char *request, const struct circ_result *res,
    const char *want)
{
	struct circ_req	 req;
	struct sip2_msg	*m;

	decode(&req, request);
	m = xlate_sip2_reply(&req, res, NOW);
	assert_string_equal(wire_of(m), want);
	sip2_msg_free(m);
	done(&req);
}

/* A neutral request as an NCIP front would make one. */
static void
neutral(struct circ_req *req, int code)
{
	memset(req, 0, sizeof(*req));
	req->op = circ_op_sip2(code);
	req->summary = -1;
	req->institution = "NCIPAGENCY";
	req->patron = "2100";
}

/* Build the backend request and compare its wire text. */
static void
expect_backend(const struct circ_req *req, const char *want)
{
	struct sip2_msg	*m;

	m = xlate_sip2_backend_req(req, &metro, NOW);
	assert_string_equal(wire_of(m), want);
	sip2_msg_free(m);
}

/* Merge one wire answer at a step. */
static int
merge(const struct circ_req *req, int step, const char *wire,
    struct circ_result *res, struct circ_arena *a)
{
	struct sip2_msg	*m = parse(wire);
	int		 r;

	r = xlate_sip2_backend_reply(req, step, m, res, a);
	sip2_msg_free(m);	/* the result must not borrow from it */
	return (r);
}

static time_t
sip2_time(const char *s)
{
	time_t	 t;

	assert_int_equal(sip2_date_parse(s, &t), 0);
	return (t);
}

/* --- terminal requests into neutral requests ----------------------------- */

static void
test_req_patron_status(void **state)
{
	struct circ_req	 req;

	decode(&req, "23001" DATE "AOMETRO|AA21001234|ACtermpw|AD1234|AY3");
	assert_int_equal(req.op->op, CIRC_PATRON_STATUS);
	assert_string_equal(req.institution, "METRO");
	assert_string_equal(req.patron, "21001234");
	assert_string_equal(req.pin, "1234");
	assert_int_equal(req.has_pin, 1);
	assert_null(req.item);
	assert_int_equal(req.summary, -1);
	assert_int_equal(req.want_fines, 1);
	assert_int_equal(req.want_loans, 0);
	assert_non_null(req.sip2);
	done(&req);
}

static void
test_req_patron_info_summary_and_page(void **state)
{
	struct circ_req	 req;

	decode(&req, "63001" DATE "  Y       AOMETRO|AA2100|AD1234|BP5|BQ10|");
	assert_int_equal(req.op->op, CIRC_PATRON_INFO);
	assert_int_equal(req.summary, CIRC_LIST_CHARGED);
	assert_int_equal(req.start, 5);
	assert_int_equal(req.end, 10);
	assert_true(req.want_loans && req.want_holds && req.want_fines);
	done(&req);

	decode(&req, "63001" DATE "   y      AOMETRO|AA2100|");
	assert_int_equal(req.summary, CIRC_LIST_FINES);
	assert_int_equal(req.start, 0);
	assert_int_equal(req.end, 0);
	done(&req);
}

static void
test_req_patron_info_without_summary(void **state)
{
	struct circ_req	 req;

	decode(&req, "63001" DATE "          AOMETRO|AA2100|BPx|BQ-3|");
	assert_int_equal(req.summary, -1);
	assert_int_equal(req.start, 0);
	assert_int_equal(req.end, 0);
	assert_int_equal(req.has_pin, 0);
	assert_null(req.pin);
	done(&req);
}

static void
test_req_checkout_offline(void **state)
{
	struct circ_req	 req;

	decode(&req, "11YY" DATE "20240315    120000"
	    "AOMETRO|AA2100|AB3100|ACpw|CHbook+cd|BOY|");
	assert_int_equal(req.op->op, CIRC_CHECKOUT);
	assert_int_equal(req.no_block, 1);
	assert_int_equal(req.nb_due, (time_t)1710504000);
	assert_string_equal(req.item, "3100");
	assert_string_equal(req.item_props, "book+cd");
	assert_int_equal(req.has_pin, 0);
	done(&req);
}

static void
test_req_checkout_online_ignores_nb_date(void **state)
{
	struct circ_req	 req;

	decode(&req, "11NN" DATE "20240315    120000"
	    "AOMETRO|AA2100|AB3100|AC|AD9999|");
	assert_int_equal(req.no_block, 0);
	assert_int_equal(req.nb_due, 0);
	assert_string_equal(req.pin, "9999");
	done(&req);
}

static void
test_req_checkin(void **state)
{
	struct circ_req	 req;

	decode(&req, "09N" DATE BLANK "APEAST|AOMETRO|AB3100|ACpw|CHdamaged|");
	assert_int_equal(req.op->op, CIRC_CHECKIN);
	assert_string_equal(req.location, "EAST");
	assert_string_equal(req.item, "3100");
	assert_string_equal(req.item_props, "damaged");
	assert_null(req.patron);
	assert_int_equal(req.no_block, 0);
	done(&req);
}

static void
test_req_renew_by_title(void **state)
{
	struct circ_req	 req;

	decode(&req, "29NN" DATE BLANK "AOMETRO|AA2100|AD1234|AJHoles|");
	assert_int_equal(req.op->op, CIRC_RENEW);
	assert_null(req.item);
	assert_string_equal(req.title, "Holes");
	done(&req);
}

static void
test_req_hold_place(void **state)
{
	struct circ_req	 req;

	decode(&req, "15+" DATE "BW20240401    000000|BSLINCOLN|BY2|AOMETRO|"
	    "AA2100|AD1234|AJHoles|ACpw|");
	assert_int_equal(req.op->op, CIRC_HOLD);
	assert_int_equal(req.hold_mode, '+');
	assert_int_equal(req.hold_type, 2);
	assert_string_equal(req.pickup, "LINCOLN");
	assert_string_equal(req.title, "Holes");
	assert_int_equal(req.hold_expiry, (time_t)1711929600);
	done(&req);
}

static void
test_req_hold_cancel_and_change(void **state)
{
	struct circ_req	 req;

	decode(&req, "15-" DATE "AOMETRO|AA2100|AB3100|");
	assert_int_equal(req.hold_mode, '-');
	assert_int_equal(req.hold_type, 0);
	assert_int_equal(req.hold_expiry, 0);
	done(&req);
	decode(&req, "15*" DATE "BSWEST|BY9|AOMETRO|AA2100|AB3100|");
	assert_int_equal(req.hold_mode, '*');
	assert_string_equal(req.pickup, "WEST");
	assert_int_equal(req.hold_type, 0);	/* 9 is no hold type */
	done(&req);
}

static void
test_req_fee_paid(void **state)
{
	struct circ_req	 req;

	decode(&req, "37" DATE "0401USDBV12.50|AOMETRO|AA2100|AD1234|"
	    "CGF1001|BKtx42|");
	assert_int_equal(req.op->op, CIRC_FEE_PAID);
	assert_int_equal(req.fee_type, 4);
	assert_int_equal(req.payment_type, 1);
	assert_string_equal(req.currency, "USD");
	assert_int_equal(req.amount, 1250);
	assert_string_equal(req.fee_id, "F1001");
	assert_string_equal(req.transaction_id, "tx42");
	done(&req);
}

static void
test_req_fee_amounts_exact(void **state)
{
	static const struct {
		const char	*currency;
		const char	*bv;
		long long	 amount;
	} cases[] = {
		{ "USD", "0.10", 10 },
		{ "USD", "0.20", 20 },
		{ "USD", "12.5", 1250 },
		{ "USD", "12", 1200 },
		{ "USD", "1,234.56", 123456 },
		{ "USD", "$3.00", 300 },
		{ "USD", " 7.05 ", 705 },
		{ "USD", ".75", 75 },
		{ "EUR", "2,50", 250 },
		{ "USD", "99999999.99", 9999999999LL },
		{ "JPY", "500", 500 },
		{ "KWD", "1.250", 1250 },
		{ "USD", "12.505", -1 },	/* no rounding of money */
		{ "USD", "12.50.1", -1 },
		{ "USD", "abc", -1 },
		{ "USD", "", -1 },
		{ "USD", "99999999999999999999", -1 },
	};
	struct circ_req	 req;
	char		 wire[256];
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(wire, sizeof(wire), "37" DATE "0400%sBV%s|AOMETRO|"
		    "AA2100|", cases[i].currency, cases[i].bv);
		decode(&req, wire);
		if (req.amount != cases[i].amount)
			fail_msg("BV \"%s\" %s: %lld, not %lld", cases[i].bv,
			    cases[i].currency, req.amount, cases[i].amount);
		done(&req);
	}
}

static void
test_req_item_info_and_update(void **state)
{
	struct circ_req	 req;

	decode(&req, "17" DATE "AOMETRO|AB3100|ACpw|");
	assert_int_equal(req.op->op, CIRC_ITEM_INFO);
	assert_string_equal(req.item, "3100");
	assert_null(req.patron);
	done(&req);
	decode(&req, "19" DATE "AOMETRO|AB3100|ACpw|CHlarge print|");
	assert_int_equal(req.op->op, CIRC_ITEM_UPDATE);
	assert_string_equal(req.item_props, "large print");
	done(&req);
}

static void
test_req_patron_messages(void **state)
{
	static const struct {
		const char	*wire;
		enum circ_op	 op;
		int		 pin;
	} cases[] = {
		{ "01N" DATE "AOMETRO|ALcard kept|AA2100|ACpw|",
		    CIRC_BLOCK_PATRON, 0 },
		{ "25" DATE "AOMETRO|AA2100|ACpw|AD1234|", CIRC_PATRON_ENABLE,
		    1 },
		{ "35" DATE "AOMETRO|AA2100|AD1234|", CIRC_END_SESSION, 1 },
		{ "65" DATE "AOMETRO|AA2100|AD1234|BON|", CIRC_RENEW_ALL, 1 },
	};
	struct circ_req	 req;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		decode(&req, cases[i].wire);
		assert_int_equal(req.op->op, cases[i].op);
		assert_string_equal(req.patron, "2100");
		assert_string_equal(req.institution, "METRO");
		assert_int_equal(req.has_pin, cases[i].pin);
		done(&req);
	}
}

static void
test_req_login(void **state)
{
	struct circ_req	 req;

	decode(&req, "9300CNkiosk1|COsecret|CPMAIN|");
	assert_int_equal(req.op->op, CIRC_LOGIN);
	assert_string_equal(req.patron, "kiosk1");
	assert_string_equal(req.pin, "secret");
	assert_int_equal(req.has_pin, 1);
	assert_string_equal(req.location, "MAIN");
	done(&req);
}

static void
test_req_response_is_not_a_request(void **state)
{
	struct circ_req	 req;

	decode(&req, "24              001" DATE "AOMETRO|AA2100|AE|");
	assert_int_equal(req.op->op, CIRC_NONE);
	done(&req);
}

static void
test_req_empty_pin_is_a_pin(void **state)
{
	struct circ_req	 req;

	decode(&req, "23001" DATE "AOMETRO|AA2100|AC|AD|");
	assert_int_equal(req.has_pin, 1);
	assert_string_equal(req.pin, "");
	done(&req);
}

/* --- neutral results into terminal responses ----------------------------- */

static void
patron_ok(struct circ_result *res)
{
	memset(res, 0, sizeof(*res));
	res->ok = 1;
	res->patron.found = 1;
	res->patron.pin_ok = 1;
	memcpy(res->patron.status, "              ", 15);
	res->patron.name = "Reader, Rita";
	res->patron.language = "001";
	res->patron.currency = "USD";
	res->patron.fee_limit = -1;
}

static void
test_reply_patron_status_valid(void **state)
{
	struct circ_result	 res;
	struct circ_req		 req;
	struct sip2_msg		*m;

	patron_ok(&res);
	res.patron.status[1] = 'Y';
	res.patron.owed = 1250;
	decode(&req, "23001" DATE "AOMETRO|AA21001234|ACpw|AD1234|AY3");
	m = xlate_sip2_reply(&req, &res, NOW);
	assert_string_equal(wire_of(m), "24 Y            001" DATE
	    "AOMETRO|AA21001234|AEReader, Rita|BLY|CQY|BHUSD|BV12.50|");
	assert_int_equal(sip2_msg_seq(m), 3);
	assert_null(sip2_msg_missing(m));
	sip2_msg_free(m);
	done(&req);
}

static void
test_reply_patron_status_unknown(void **state)
{
	struct circ_result	 res;

	memset(&res, 0, sizeof(res));
	res.error = CIRC_E_UNKNOWN_PATRON;
	expect_reply("23001" DATE "AOMETRO|AA2100|ACpw|AD1234|", &res,
	    "24YYYY          001" DATE "AOMETRO|AA2100|AE|BLN|CQN|"
	    "AFThe library system does not know this card; please see "
	    "staff.|");
}

static void
test_reply_patron_status_bad_pin(void **state)
{
	struct circ_result	 res;

	patron_ok(&res);
	res.ok = 0;
	res.error = CIRC_E_BAD_PIN;
	res.patron.pin_ok = 0;
	res.patron.owed = 500;
	/* Neither name nor money for a wrong PIN. */
	expect_reply("23001" DATE "AOMETRO|AA2100|ACpw|AD9999|", &res,
	    "24              001" DATE "AOMETRO|AA2100|AE|BLY|CQN|"
	    "AFThe library system did not accept the PIN; please try "
	    "again.|");
}

static void
test_reply_unchecked_pin_fails_closed(void **state)
{
	struct circ_result	 res;

	patron_ok(&res);
	res.patron.pin_ok = -1;
	res.patron.currency = NULL;
	expect_reply("23001" DATE "AOMETRO|AA2100|ACpw|AD1234|", &res,
	    "24              001" DATE "AOMETRO|AA2100|AEReader, Rita|BLY|"
	    "CQN|");
}

static void
test_reply_no_pin_no_cq(void **state)
{
	struct circ_result	 res;

	patron_ok(&res);
	res.patron.pin_ok = -1;
	res.patron.currency = NULL;
	res.patron.language = NULL;
	expect_reply("23002" DATE "AOMETRO|AA2100|ACpw|", &res,
	    "24              002" DATE "AOMETRO|AA2100|AEReader, Rita|BLY|");
}

static void
test_reply_blocked_sets_denied_bits(void **state)
{
	struct circ_result	 res;

	patron_ok(&res);
	res.ok = 0;
	res.error = CIRC_E_BLOCKED;
	res.patron.status[10] = 'Y';
	res.screen = "Fines over the limit";
	expect_reply("23001" DATE "AOMETRO|AA2100|ACpw|AD1234|", &res,
	    "24YYYY      Y   001" DATE "AOMETRO|AA2100|AEReader, Rita|BLY|"
	    "CQY|BHUSD|BV0.00|AFFines over the limit|");
}

static void
test_reply_patron_info_counts_limits_details(void **state)
{
	static struct circ_fee	 fees[2] = {
		{ "F1", 350, 4, "Overdue" }, { "F2", 125, 1, NULL }
	};
	struct circ_result	 res;

	patron_ok(&res);
	res.patron.counts[CIRC_LIST_HOLDS] = 1;
	res.patron.counts[CIRC_LIST_OVERDUE] = 1;
	res.patron.counts[CIRC_LIST_CHARGED] = 3;
	res.patron.counts[CIRC_LIST_UNAVAIL_HOLDS] = 2;
	res.patron.fees = fees;
	res.patron.nfees = 2;
	res.patron.hold_limit = 20;
	res.patron.charged_limit = 50;
	res.patron.fee_limit = 1000;
	res.patron.address = "1 Main St";
	res.patron.email = "rita@example.org";
	res.patron.phone = "555-0100";
	res.patron.home_location = "MAIN";
	res.patron.expires = sip2_time("20261231    235959");
	res.patron.birth = "20080512";
	res.patron.pclass = "student";
	expect_reply("63001" DATE "          AOMETRO|AA2100|AD1234|", &res,
	    "64              001" DATE "000100010003000200000002"
	    "AOMETRO|AA2100|AEReader, Rita|BLY|CQY|BHUSD|BV4.75|BZ0020|"
	    "CB0050|CC10.00|BD1 Main St|BErita@example.org|BF555-0100|"
	    "AQMAIN|PA20261231|PB20080512|PCstudent|");
}

static void
test_reply_patron_info_list_paged(void **state)
{
	static const char	*items[5] = { "I1", "I2", "I3", "I4", "I5" };
	struct circ_result	 res;

	patron_ok(&res);
	res.patron.currency = NULL;
	res.patron.lists[CIRC_LIST_CHARGED] = items;
	res.patron.nlists[CIRC_LIST_CHARGED] = 5;
	expect_reply("63001" DATE "  Y       AOMETRO|AA2100|AD1|BP2|BQ3|", &res,
	    "64              001" DATE "000000000005000000000000"
	    "AOMETRO|AA2100|AEReader, Rita|BLY|CQY|AUI2|AUI3|");
	/* No BQ: to the end. */
	expect_reply("63001" DATE "  Y       AOMETRO|AA2100|AD1|BP4|", &res,
	    "64              001" DATE "000000000005000000000000"
	    "AOMETRO|AA2100|AEReader, Rita|BLY|CQY|AUI4|AUI5|");
	/* A page past the end: the count, no entries. */
	expect_reply("63001" DATE "  Y       AOMETRO|AA2100|AD1|BP9|", &res,
	    "64              001" DATE "000000000005000000000000"
	    "AOMETRO|AA2100|AEReader, Rita|BLY|CQY|");
}

static void
test_reply_patron_info_list_capped(void **state)
{
	static char		 names[300][12], title[201];
	static const char	*many[300], *long_titles[100];
	struct circ_result	 res;
	struct circ_req		 req;
	struct sip2_msg		*m;
	const char		*id;
	size_t			 i, n, au;

	for (i = 0; i < 300; i++) {
		snprintf(names[i], sizeof(names[i]), "ITEM%05zu", i);
		many[i] = names[i];
	}
	memset(title, 'x', 200);
	for (i = 0; i < 100; i++)
		long_titles[i] = title;
	patron_ok(&res);
	res.patron.lists[CIRC_LIST_CHARGED] = many;
	res.patron.nlists[CIRC_LIST_CHARGED] = 300;
	res.patron.lists[CIRC_LIST_UNAVAIL_HOLDS] = long_titles;
	res.patron.nlists[CIRC_LIST_UNAVAIL_HOLDS] = 100;

	decode(&req, "63001" DATE "  Y       AOMETRO|AA2100|");
	m = xlate_sip2_reply(&req, &res, NOW);
	assert_string_equal(sip2_msg_fixed(m, SIP2_FX_CHARGED_COUNT), "0300");
	for (i = au = 0, n = sip2_msg_nfields(m); i < n; i++) {
		sip2_msg_field_at(m, i, &id);
		au += strcmp(id, "AU") == 0;
	}
	assert_int_equal(au, 100);
	assert_string_equal(sip2_msg_field(m, "AU"), "ITEM00000");
	sip2_msg_free(m);
	done(&req);

	decode(&req, "63001" DATE "     Y    AOMETRO|AA2100|");
	m = xlate_sip2_reply(&req, &res, NOW);
	assert_string_equal(sip2_msg_fixed(m, SIP2_FX_UNAVAIL_HOLD_COUNT),
	    "0100");
	for (i = au = 0, n = sip2_msg_nfields(m); i < n; i++) {
		sip2_msg_field_at(m, i, &id);
		au += strcmp(id, "CD") == 0;
	}
	assert_int_equal(au, 4096 / 203);
	assert_true(strlen(wire_of(m)) < SIP2_MSG_MAX);
	sip2_msg_free(m);
	done(&req);
}

static void
test_reply_patron_info_fines_in_av(void **state)
{
	static struct circ_fee	 fees[2] = {
		{ "F1001", 350, 4, "Overdue: The Hobbit" },
		{ NULL, 125, 0, NULL },
	};
	struct circ_result	 res;

	patron_ok(&res);
	res.patron.fees = fees;
	res.patron.nfees = 2;
	expect_reply("63001" DATE "   Y      AOMETRO|AA2100|AD1234|", &res,
	    "64              001" DATE "000000000000000200000000"
	    "AOMETRO|AA2100|AEReader, Rita|BLY|CQY|BHUSD|BV4.75|"
	    "AVF1001 3.50 04 Overdue: The Hobbit|AV1.25 01|");
}

static void
test_reply_patron_info_bad_pin_hides_lists(void **state)
{
	static const char	*items[1] = { "I1" };
	struct circ_result	 res;

	patron_ok(&res);
	res.ok = 0;
	res.error = CIRC_E_BAD_PIN;
	res.patron.pin_ok = 0;
	res.patron.lists[CIRC_LIST_CHARGED] = items;
	res.patron.nlists[CIRC_LIST_CHARGED] = 1;
	res.patron.address = "1 Main St";
	res.patron.hold_limit = 5;
	res.screen = "Invalid patron PIN";
	expect_reply("63001" DATE "  Y       AOMETRO|AA2100|AD0000|", &res,
	    "64              001" DATE "000000000001000000000000"
	    "AOMETRO|AA2100|AE|BLY|CQN|BZ0005|AFInvalid patron PIN|");
}

static void
test_reply_money_exact(void **state)
{
	static const struct {
		long long	 owed;
		const char	*currency;
		const char	*bv;
	} cases[] = {
		{ 1, "USD", "0.01" },
		{ 30, "USD", "0.30" },
		{ -250, "USD", "-2.50" },
		{ 123456789, "USD", "1234567.89" },
		{ 500, "JPY", "500" },
		{ 1250, "KWD", "1.250" },
		{ 1250, NULL, "12.50" },
	};
	struct circ_result	 res;
	struct circ_req		 req;
	struct sip2_msg		*m;
	size_t			 i;

	decode(&req, "23001" DATE "AOMETRO|AA2100|ACpw|");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		patron_ok(&res);
		res.patron.owed = cases[i].owed;
		res.patron.currency = cases[i].currency;
		m = xlate_sip2_reply(&req, &res, NOW);
		assert_string_equal(sip2_msg_field(m, "BV"), cases[i].bv);
		sip2_msg_free(m);
	}
	done(&req);
}

static void
test_reply_fee_sum_saturates(void **state)
{
	static struct circ_fee	 fees[2] = {
		{ "F1", LLONG_MAX - 5, 1, NULL }, { "F2", 10, 1, NULL },
	};
	struct circ_result	 res;
	struct circ_req		 req;
	struct sip2_msg		*m;

	patron_ok(&res);
	res.patron.fees = fees;
	res.patron.nfees = 2;
	decode(&req, "23001" DATE "AOMETRO|AA2100|ACpw|");
	m = xlate_sip2_reply(&req, &res, NOW);
	assert_string_equal(sip2_msg_field(m, "BV"), "92233720368547758.07");
	sip2_msg_free(m);
	fees[0].amount = LLONG_MIN + 5;
	fees[1].amount = -10;
	m = xlate_sip2_reply(&req, &res, NOW);
	assert_string_equal(sip2_msg_field(m, "BV"), "-92233720368547758.08");
	sip2_msg_free(m);
	done(&req);
}

static void
loan_ok(struct circ_result *res)
{
	static struct circ_fee	 rental = { NULL, 100, 6, NULL };

	memset(res, 0, sizeof(*res));
	res->ok = 1;
	res->item.found = 1;
	res->item.title = "Holes";
	res->item.media = "001";
	res->due = DUE;
	res->transaction_id = "T9";
	res->patron.fees = &rental;
	res->patron.nfees = 1;
	res->patron.currency = "USD";
	res->desensitize = -1;
}

static void
test_reply_checkout_ok(void **state)
{
	struct circ_result	 res;

	loan_ok(&res);
	expect_reply("11NN" DATE BLANK "AOMETRO|AA2100|AB3100|ACpw|AY5", &res,
	    "121NNY" DATE "AOMETRO|AA2100|AB3100|AJHoles|AH" DUE_S "|BT06|"
	    "BHUSD|BV1.00|CK001|BKT9|AFItem checked out.|");
}

static void
test_reply_checkout_due_in_words(void **state)
{
	struct circ_result	 res;

	loan_ok(&res);
	res.due = 0;
	res.due_text = "end of term";
	res.patron.nfees = 0;
	res.magnetic = -1;
	res.item.media = "005";	/* video tape */
	res.screen = "Enjoy";
	expect_reply("11NN" DATE BLANK "AOMETRO|AA2100|AB3100|ACpw|", &res,
	    "121NYY" DATE "AOMETRO|AA2100|AB3100|AJHoles|AHend of term|"
	    "CK005|BKT9|AFEnjoy|");
}

static void
test_reply_checkout_refused(void **state)
{
	struct circ_result	 res;

	memset(&res, 0, sizeof(res));
	res.error = CIRC_E_NOT_AVAILABLE;
	res.item.found = 1;
	res.item.title = "Holes";
	expect_reply("11NN" DATE BLANK "AOMETRO|AA2100|AB3100|ACpw|", &res,
	    "120NNN" DATE "AOMETRO|AA2100|AB3100|AJHoles|AH|"
	    "AFThe library system cannot lend this item now.|");
}

static void
test_reply_renew_ok(void **state)
{
	struct circ_result	 res;

	loan_ok(&res);
	res.patron.nfees = 0;
	res.transaction_id = NULL;
	expect_reply("29NN" DATE BLANK "AOMETRO|AA2100|AB3100|", &res,
	    "301YNN" DATE "AOMETRO|AA2100|AB3100|AJHoles|AH" DUE_S "|CK001|"
	    "AFItem renewed.|");
}

static void
checkin_ok(struct circ_result *res)
{
	memset(res, 0, sizeof(*res));
	res->ok = 1;
	res->item.found = 1;
	res->item.title = "Holes";
	res->item.permanent_location = "EAST";
}

static void
test_reply_checkin_hold_elsewhere(void **state)
{
	struct circ_result	 res;

	checkin_ok(&res);
	res.destination = "LINCOLN";
	res.hold_patron = "22009999";
	res.sort_bin = "3";
	expect_reply("09N" DATE BLANK "APMAIN|AOMETRO|AB3100|ACpw|", &res,
	    "101YNY" DATE "AOMETRO|AB3100|AQEAST|AJHoles|CL3|CTLINCOLN|CV02|"
	    "CY22009999|AFHold for pickup at LINCOLN.|");
}

static void
test_reply_checkin_hold_here(void **state)
{
	struct circ_result	 res;

	checkin_ok(&res);
	res.destination = "MAIN";
	res.hold_patron = "22009999";
	expect_reply("09N" DATE BLANK "APMAIN|AOMETRO|AB3100|ACpw|", &res,
	    "101YNY" DATE "AOMETRO|AB3100|AQEAST|AJHoles|CTMAIN|CV01|"
	    "CY22009999|AFHold for pickup at MAIN.|");
}

static void
test_reply_checkin_send_home(void **state)
{
	struct circ_result	 res;

	checkin_ok(&res);
	res.destination = "EAST";
	res.screen = "Return to EAST";
	expect_reply("09N" DATE BLANK "APMAIN|AOMETRO|AB3100|ACpw|", &res,
	    "101YNY" DATE "AOMETRO|AB3100|AQEAST|AJHoles|CTEAST|CV04|"
	    "AFReturn to EAST|");
}

static void
test_reply_checkin_plain(void **state)
{
	struct circ_result	 res;

	checkin_ok(&res);
	res.patron.id = "2100";
	res.item.call_number = "FIC SAC";
	expect_reply("09N" DATE BLANK "APEAST|AOMETRO|AB3100|ACpw|", &res,
	    "101YNN" DATE "AOMETRO|AB3100|AQEAST|AJHoles|AA2100|CSFIC SAC|"
	    "AFItem checked in.|");
}

static void
test_reply_checkin_unknown_item(void **state)
{
	struct circ_result	 res;

	memset(&res, 0, sizeof(res));
	res.error = CIRC_E_UNKNOWN_ITEM;
	expect_reply("09N" DATE BLANK "APEAST|AOMETRO|AB9999|ACpw|", &res,
	    "100NUN" DATE "AOMETRO|AB9999|AQ|AFThe library system does not "
	    "know this item; please see staff.|");
}

static void
test_reply_hold_placed(void **state)
{
	struct circ_result	 res;

	memset(&res, 0, sizeof(res));
	res.ok = 1;
	res.hold_expiry = sip2_time("20240601    235959");
	res.queue_position = 3;
	expect_reply("15+" DATE "BSLINCOLN|BY2|AOMETRO|AA2100|AJHoles|", &res,
	    "161N" DATE "BW20240601    235959|BR3|BSLINCOLN|AOMETRO|AA2100|"
	    "AJHoles|AFHold placed.|");
}

static void
test_reply_hold_change_names_partner(void **state)
{
	struct circ_result	 res;
	struct circ_req		 req;
	struct sip2_msg		*m;
	char			 screen[SIP2_FIELD_MAX + 1];

	decode(&req, "15*" DATE "BSWEST|AOMETRO|AA2100|AB3100|AY7");
	memset(&res, 0, sizeof(res));
	res.error = CIRC_E_NOT_SUPPORTED;
	xlate_sip2_screen(&req, res.error, "District Schools", screen,
	    sizeof(screen));
	res.screen = screen;
	m = xlate_sip2_reply(&req, &res, NOW);
	assert_string_equal(wire_of(m), "160N" DATE "AOMETRO|AA2100|AB3100|"
	    "AFDistrict Schools does not support changing a hold's pickup "
	    "location; please see staff.|");
	assert_int_equal(sip2_msg_seq(m), 7);
	sip2_msg_free(m);
	done(&req);
}

static void
test_reply_offline_names_partner(void **state)
{
	struct circ_result	 res;
	struct circ_req		 req;
	struct sip2_msg		*m;
	char			 screen[SIP2_FIELD_MAX + 1];

	decode(&req, "11NN" DATE BLANK "AOMETRO|AA2100|AB3100|ACpw|");
	memset(&res, 0, sizeof(res));
	res.error = CIRC_E_OFFLINE;
	xlate_sip2_screen(&req, res.error, metro.name, screen,
	    sizeof(screen));
	res.screen = screen;
	m = xlate_sip2_reply(&req, &res, NOW);
	assert_string_equal(wire_of(m), "120NUN" DATE "AOMETRO|AA2100|AB3100|"
	    "AJ|AH|AFMetro Public Library is offline; please try again or "
	    "see staff.|");
	sip2_msg_free(m);
	done(&req);
}

static void
test_reply_item_info(void **state)
{
	struct circ_result	 res;

	memset(&res, 0, sizeof(res));
	res.ok = 1;
	res.item.found = 1;
	res.item.circ_status = 4;
	res.item.title = "Holes";
	res.item.due = DUE;
	res.item.hold_queue = 2;
	res.item.owner = "METRO";
	res.item.media = "001";
	res.item.permanent_location = "EAST";
	res.item.current_location = "MAIN";
	res.item.call_number = "FIC SAC";
	res.item.collection = "FIC";
	res.destination = "LINCOLN";
	expect_reply("17" DATE "AOMETRO|AB3100|ACpw|", &res,
	    "18040001" DATE "AB3100|AJHoles|CF2|AH" DUE_S "|BGMETRO|CK001|"
	    "AQEAST|APMAIN|CTLINCOLN|CSFIC SAC|CRFIC|");
}

static void
test_reply_item_info_unknown(void **state)
{
	struct circ_result	 res;

	memset(&res, 0, sizeof(res));
	res.error = CIRC_E_UNKNOWN_ITEM;
	expect_reply("17" DATE "AOMETRO|AB9999|ACpw|", &res,
	    "18010001" DATE "AB9999|AJ|AFThe library system does not know "
	    "this item; please see staff.|");
}

static void
test_reply_item_update(void **state)
{
	struct circ_result	 res;

	memset(&res, 0, sizeof(res));
	res.ok = 1;
	res.item.title = "Holes";
	expect_reply("19" DATE "AOMETRO|AB3100|ACpw|CHlarge print|", &res,
	    "201" DATE "AB3100|AJHoles|CHlarge print|");
}

static void
test_reply_fee_paid(void **state)
{
	struct circ_result	 res;

	memset(&res, 0, sizeof(res));
	res.ok = 1;
	res.transaction_id = "TX1";
	res.screen = "Payment accepted, 0.00 still owed";
	expect_reply("37" DATE "0400USDBV2.50|AOMETRO|AA2100|", &res,
	    "38Y" DATE "AOMETRO|AA2100|BKTX1|"
	    "AFPayment accepted, 0.00 still owed|");
}

static void
test_reply_renew_all(void **state)
{
	static const char	*yes[2] = { "I1", "I2" }, *no[1] = { "I3" };
	struct circ_result	 res;

	memset(&res, 0, sizeof(res));
	res.ok = 1;
	res.renewed_items = yes;
	res.nrenewed_items = 2;
	res.unrenewed_items = no;
	res.nunrenewed_items = 1;
	expect_reply("65" DATE "AOMETRO|AA2100|", &res,
	    "66100020001" DATE "AOMETRO|BMI1|BMI2|BNI3|");
}

static void
test_reply_end_session(void **state)
{
	struct circ_result	 res;

	memset(&res, 0, sizeof(res));
	res.ok = 1;
	expect_reply("35" DATE "AOMETRO|AA2100|", &res,
	    "36Y" DATE "AOMETRO|AA2100|");
}

static void
test_reply_local_ops_refused(void **state)
{
	struct circ_result	 res;
	struct circ_req		 req;

	memset(&res, 0, sizeof(res));
	res.ok = 1;
	decode(&req, "9300CNkiosk1|COsecret|");
	errno = 0;
	assert_null(xlate_sip2_reply(&req, &res, NOW));
	assert_int_equal(errno, EINVAL);
	done(&req);
	decode(&req, "990 402.00");
	assert_null(xlate_sip2_reply(&req, &res, NOW));
	done(&req);
}

static void
test_screen_without_partner_and_cut(void **state)
{
	struct circ_req	 req;
	char		 small[20], big[256];

	neutral(&req, SIP2_FEE_PAID);
	assert_int_equal(xlate_sip2_screen(&req, CIRC_E_NOT_SUPPORTED, NULL,
	    small, sizeof(small)), sizeof(small) - 1);
	assert_string_equal(small, "The library system ");
	assert_int_equal(xlate_sip2_screen(&req, CIRC_E_REFUSED, NULL, big, 0),
	    0);
	xlate_sip2_screen(&req, CIRC_E_NOT_SUPPORTED, NULL, big, sizeof(big));
	assert_string_equal(big, "The library system does not support fee "
	    "payments; please see staff.");
	xlate_sip2_screen(&req, CIRC_E_TIMEOUT, "District Schools", big,
	    sizeof(big));
	assert_string_equal(big, "District Schools did not answer in time; "
	    "please try again or see staff.");
}

/* --- neutral requests into ILS requests ---------------------------------- */

static void
test_backend_patron_status(void **state)
{
	struct circ_req	 req;

	neutral(&req, SIP2_PATRON_STATUS);
	expect_backend(&req, "23000" DATE "AOMETRO|AA2100|ACgwpass|");
	req.pin = "1234";
	req.has_pin = 1;
	expect_backend(&req, "23000" DATE "AOMETRO|AA2100|ACgwpass|AD1234|");
}

static void
test_backend_lookup_user_steps(void **state)
{
	static const char *const summaries[] = {
		"  Y       ", " Y        ", "Y         ", "     Y    ",
		"   Y      ",
	};
	struct circ_req	 req;
	struct sip2_msg	*m;
	char		 want[256];
	int		 step;

	neutral(&req, SIP2_PATRON_INFO);
	req.pin = "1234";
	req.has_pin = 1;
	req.want_loans = req.want_holds = req.want_fines = 1;
	for (step = 0; step < 5; step++) {
		if (step == 0)
			m = xlate_sip2_backend_req(&req, &metro, NOW);
		else
			assert_int_equal(xlate_sip2_backend_next(&req, step,
			    &metro, NOW, &m), 1);
		snprintf(want, sizeof(want), "63000" DATE "%s"
		    "AOMETRO|AA2100|ACgwpass|AD1234|", summaries[step]);
		assert_string_equal(wire_of(m), want);
		sip2_msg_free(m);
	}
	assert_int_equal(xlate_sip2_backend_next(&req, 5, &metro, NOW, &m), 0);
	assert_null(m);
}

static void
test_backend_lookup_user_without_lists(void **state)
{
	struct circ_req	 req;
	struct sip2_msg	*m;

	neutral(&req, SIP2_PATRON_INFO);
	req.summary = 0;	/* an NCIP front may leave it zero */
	expect_backend(&req, "63000" DATE "          AOMETRO|AA2100|ACgwpass|");
	assert_int_equal(xlate_sip2_backend_next(&req, 1, &metro, NOW, &m), 0);
	assert_null(m);
}

static void
test_backend_lookup_user_fines_only(void **state)
{
	struct circ_req	 req;
	struct sip2_msg	*m;

	neutral(&req, SIP2_PATRON_INFO);
	req.want_fines = 1;
	req.start = 1;
	req.end = 20;
	expect_backend(&req, "63000" DATE "   Y      AOMETRO|AA2100|ACgwpass|"
	    "BP1|BQ20|");
	assert_int_equal(xlate_sip2_backend_next(&req, 1, &metro, NOW, &m), 0);
}

static void
test_backend_next_single_step_ops(void **state)
{
	struct circ_req	 req;
	struct sip2_msg	*m;

	neutral(&req, SIP2_CHECKOUT);
	req.item = "3100";
	assert_int_equal(xlate_sip2_backend_next(&req, 1, &metro, NOW, &m), 0);
	assert_null(m);
	errno = 0;
	assert_int_equal(xlate_sip2_backend_next(&req, 0, &metro, NOW, &m),
	    -1);
	assert_int_equal(errno, EINVAL);
}

static void
test_backend_checkout(void **state)
{
	struct circ_req	 req;

	neutral(&req, SIP2_CHECKOUT);
	req.item = "3100";
	req.pin = "1234";
	req.has_pin = 1;
	expect_backend(&req, "11NN" DATE BLANK
	    "AOMETRO|AA2100|AB3100|ACgwpass|AD1234|");
	req.no_block = 1;
	req.nb_due = DUE;
	req.has_pin = 0;
	expect_backend(&req, "11NY" DATE DUE_S
	    "AOMETRO|AA2100|AB3100|ACgwpass|");
}

static void
test_backend_checkin(void **state)
{
	struct circ_req	 req;

	neutral(&req, SIP2_CHECKIN);
	req.patron = NULL;
	req.item = "3100";
	expect_backend(&req, "09N" DATE BLANK
	    "AOMETRO|APMAIN|AB3100|ACgwpass|");
	req.location = "EAST";
	expect_backend(&req, "09N" DATE BLANK
	    "AOMETRO|APEAST|AB3100|ACgwpass|");
}

static void
test_backend_renew(void **state)
{
	struct circ_req	 req;

	neutral(&req, SIP2_RENEW);
	req.item = "3100";
	expect_backend(&req, "29NN" DATE BLANK
	    "AOMETRO|AA2100|AB3100|ACgwpass|");
	req.item = NULL;
	req.title = "Holes";
	expect_backend(&req, "29NN" DATE BLANK
	    "AOMETRO|AA2100|AJHoles|ACgwpass|");
}

static void
test_backend_hold_copy_and_title(void **state)
{
	struct circ_req	 req;

	neutral(&req, SIP2_HOLD);
	req.item = "3100";
	req.pickup = "LINCOLN";
	req.hold_mode = '+';
	expect_backend(&req, "15+" DATE
	    "AOMETRO|BSLINCOLN|BY3|AA2100|AB3100|ACgwpass|");
	req.item = NULL;
	req.title = "Holes";
	req.hold_mode = 0;	/* RequestItem: a new hold */
	req.hold_expiry = sip2_time("20240601    235959");
	expect_backend(&req, "15+" DATE "AOMETRO|BW20240601    235959|"
	    "BSLINCOLN|BY2|AA2100|AJHoles|ACgwpass|");
}

static void
test_backend_hold_by_isbn_not_supported(void **state)
{
	struct circ_req	 req;

	neutral(&req, SIP2_HOLD);
	req.bib_id = "9780440414803";
	req.bib_scheme = "ISBN";
	errno = 0;
	assert_null(xlate_sip2_backend_req(&req, &metro, NOW));
	assert_int_equal(errno, ENOTSUP);
	req.bib_id = NULL;
	assert_null(xlate_sip2_backend_req(&req, &metro, NOW));
	assert_int_equal(errno, EINVAL);
}

static void
test_backend_cancel_hold(void **state)
{
	struct circ_req	 req;

	neutral(&req, SIP2_HOLD);
	req.item = "3100";
	req.hold_mode = '-';
	expect_backend(&req, "15-" DATE "AOMETRO|AA2100|AB3100|ACgwpass|");
}

static void
test_backend_fee_paid(void **state)
{
	struct circ_req	 req;

	neutral(&req, SIP2_FEE_PAID);
	req.amount = 1250;
	req.fee_type = 4;
	req.currency = "USD";
	req.fee_id = "F1001";
	expect_backend(&req, "37" DATE "0400USD"
	    "AOMETRO|BV12.50|AA2100|ACgwpass|CGF1001|");
	req.amount = 0;
	errno = 0;
	assert_null(xlate_sip2_backend_req(&req, &metro, NOW));
	assert_int_equal(errno, EINVAL);
}

static void
test_backend_item_info_and_update(void **state)
{
	struct circ_req	 req;

	neutral(&req, SIP2_ITEM_INFO);
	req.patron = NULL;
	req.item = "3100";
	expect_backend(&req, "17" DATE "AOMETRO|AB3100|ACgwpass|");
	neutral(&req, SIP2_ITEM_STATUS);
	req.item = "3100";
	req.item_props = "large print";
	expect_backend(&req, "19" DATE "AOMETRO|AB3100|ACgwpass|"
	    "CHlarge print|");
}

static void
test_backend_patron_messages(void **state)
{
	struct circ_req	 req;

	neutral(&req, SIP2_BLOCK_PATRON);
	expect_backend(&req, "01N" DATE "AOMETRO|AL|AA2100|ACgwpass|");
	neutral(&req, SIP2_PATRON_ENABLE);
	expect_backend(&req, "25" DATE "AOMETRO|AA2100|ACgwpass|");
	neutral(&req, SIP2_END_SESSION);
	expect_backend(&req, "35" DATE "AOMETRO|AA2100|ACgwpass|");
	neutral(&req, SIP2_RENEW_ALL);
	req.pin = "1";
	req.has_pin = 1;
	expect_backend(&req, "65" DATE "AOMETRO|AA2100|ACgwpass|AD1|");
}

static void
test_backend_missing_data(void **state)
{
	struct circ_req	 req;

	neutral(&req, SIP2_CHECKOUT);
	errno = 0;
	assert_null(xlate_sip2_backend_req(&req, &metro, NOW));
	assert_int_equal(errno, EINVAL);
	neutral(&req, SIP2_PATRON_STATUS);
	req.patron = NULL;
	assert_null(xlate_sip2_backend_req(&req, &metro, NOW));
	assert_int_equal(errno, EINVAL);
}

static void
test_backend_unsupported_ops(void **state)
{
	static const struct circ_op_info accept = {
		0, (enum circ_op)100, "accept-item", 0, 0
	};
	struct circ_req	 req;

	neutral(&req, SIP2_LOGIN);
	errno = 0;
	assert_null(xlate_sip2_backend_req(&req, &metro, NOW));
	assert_int_equal(errno, EINVAL);
	neutral(&req, SIP2_CHECKOUT);
	req.op = &accept;
	assert_null(xlate_sip2_backend_req(&req, &metro, NOW));
	assert_int_equal(errno, ENOTSUP);
}

static void
test_backend_institution_fallback(void **state)
{
	struct conf_partner	 bare;
	struct circ_req		 req;
	struct sip2_msg		*m;

	memset(&bare, 0, sizeof(bare));
	neutral(&req, SIP2_PATRON_ENABLE);
	m = xlate_sip2_backend_req(&req, &bare, NOW);
	assert_string_equal(wire_of(m), "25" DATE "AONCIPAGENCY|AA2100|AC|");
	sip2_msg_free(m);
}

/* --- ILS answers into neutral results ------------------------------------ */

/* A neutral LookupUser-like request and a fresh result and arena. */
struct fixture {
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*a;
};

static void
fixture(struct fixture *f, int code)
{
	neutral(&f->req, code);
	memset(&f->res, 0, sizeof(f->res));
	f->a = circ_arena_new();
	assert_non_null(f->a);
}

static void
test_breply_patron_status_ilssim(void **state)
{
	struct fixture	 f;

	fixture(&f, SIP2_PATRON_STATUS);
	f.req.pin = "1234";
	f.req.has_pin = 1;
	assert_int_equal(merge(&f.req, 0, "24 Y            001" DATE
	    "AOMETRO|AA2100|AEReader, Rita|BLY|CQY|BHUSD|BV12.50|",
	    &f.res, f.a), 0);
	assert_int_equal(f.res.ok, 1);
	assert_int_equal(f.res.error, CIRC_E_NONE);
	assert_int_equal(f.res.patron.found, 1);
	assert_int_equal(f.res.patron.pin_ok, 1);
	assert_string_equal(f.res.patron.status, " Y            ");
	assert_string_equal(f.res.patron.name, "Reader, Rita");
	assert_string_equal(f.res.patron.language, "001");
	assert_string_equal(f.res.patron.currency, "USD");
	assert_int_equal(f.res.patron.owed, 1250);
	assert_int_equal(f.res.patron.fee_limit, -1);
	assert_null(f.res.screen);
	circ_arena_free(f.a);
}

static void
test_breply_patron_unknown(void **state)
{
	struct fixture	 f;

	fixture(&f, SIP2_PATRON_STATUS);
	assert_int_equal(merge(&f.req, 0, "24YYYY          000" DATE
	    "AOMETRO|AA999|AE|BLN|AFPatron not found|", &f.res, f.a), 0);
	assert_int_equal(f.res.ok, 0);
	assert_int_equal(f.res.error, CIRC_E_UNKNOWN_PATRON);
	assert_int_equal(f.res.patron.found, 0);
	assert_null(f.res.patron.name);
	assert_string_equal(f.res.screen, "Patron not found");
	circ_arena_free(f.a);
}

static void
test_breply_bad_pin(void **state)
{
	struct fixture	 f;

	fixture(&f, SIP2_PATRON_STATUS);
	f.req.pin = "0000";
	f.req.has_pin = 1;
	assert_int_equal(merge(&f.req, 0, "24              001" DATE
	    "AOMETRO|AA2100|AEReader, Rita|BLY|CQN|BHUSD|BV0.00|"
	    "AFInvalid patron PIN|", &f.res, f.a), 0);
	assert_int_equal(f.res.ok, 0);
	assert_int_equal(f.res.error, CIRC_E_BAD_PIN);
	assert_int_equal(f.res.patron.found, 1);
	assert_int_equal(f.res.patron.pin_ok, 0);
	circ_arena_free(f.a);
}

static void
test_breply_pin_unanswered_fails_closed(void **state)
{
	struct fixture	 f;

	/* Another ILS: no BL, no CQ even though a PIN was sent. */
	fixture(&f, SIP2_PATRON_STATUS);
	f.req.pin = "1234";
	f.req.has_pin = 1;
	assert_int_equal(merge(&f.req, 0, "24              001" DATE
	    "AOMETRO|AA2100|AEReader, Rita|", &f.res, f.a), 0);
	assert_int_equal(f.res.patron.found, 1);
	assert_int_equal(f.res.patron.pin_ok, -1);
	assert_int_equal(f.res.ok, 0);
	assert_int_equal(f.res.error, CIRC_E_BAD_PIN);
	circ_arena_free(f.a);

	/* The same answer without a PIN asked about is fine. */
	fixture(&f, SIP2_PATRON_STATUS);
	assert_int_equal(merge(&f.req, 0, "24              001" DATE
	    "AOMETRO|AA2100|AEReader, Rita|", &f.res, f.a), 0);
	assert_int_equal(f.res.ok, 1);
	circ_arena_free(f.a);
}

/* The simulated ILS's 64 for step s, with its list for that step. */
static void
ilssim_64(char *buf, size_t len, const char *lists)
{
	snprintf(buf, len, "64              001" DATE
	    "000100010002000200000001AOMETRO|AA2100|AEReader, Rita|BLY|CQY|"
	    "BHUSD|BV4.75|BZ0020|CA0000|CB0050|CC10.00|%sBD1 Main St|"
	    "BErita@example.org|BF555-0100|AQMAIN|PA20261231|PB2008-05-12|"
	    "PCstudent|", lists);
}

static void
test_breply_lookup_user_merges_steps(void **state)
{
	static const char *const lists[] = {
		"AU3100|AU3101|",
		"AT3101|",
		"AS3200|",
		"CDHoles|",
		"AVF1001 3.50 04 Overdue: The Hobbit|"
		    "AVF1002 1.25 01 Lost card|",
	};
	struct fixture	 f;
	struct circ_patron *p = &f.res.patron;
	char		 wire[1024];
	int		 step;

	fixture(&f, SIP2_PATRON_INFO);
	f.req.pin = "1234";
	f.req.has_pin = 1;
	f.req.want_loans = f.req.want_holds = f.req.want_fines = 1;
	for (step = 0; step < 5; step++) {
		ilssim_64(wire, sizeof(wire), lists[step]);
		assert_int_equal(merge(&f.req, step, wire, &f.res, f.a), 0);
	}
	assert_int_equal(f.res.ok, 1);
	assert_int_equal(p->nlists[CIRC_LIST_CHARGED], 2);
	assert_string_equal(p->lists[CIRC_LIST_CHARGED][1], "3101");
	assert_int_equal(p->nlists[CIRC_LIST_OVERDUE], 1);
	assert_string_equal(p->lists[CIRC_LIST_OVERDUE][0], "3101");
	assert_int_equal(p->nlists[CIRC_LIST_HOLDS], 1);
	assert_string_equal(p->lists[CIRC_LIST_HOLDS][0], "3200");
	assert_int_equal(p->nlists[CIRC_LIST_UNAVAIL_HOLDS], 1);
	assert_string_equal(p->lists[CIRC_LIST_UNAVAIL_HOLDS][0], "Holes");
	assert_int_equal(p->nlists[CIRC_LIST_FINES], 2);
	assert_int_equal(p->nfees, 2);
	assert_string_equal(p->fees[0].id, "F1001");
	assert_int_equal(p->fees[0].amount, 350);
	assert_int_equal(p->fees[0].type, 4);
	assert_string_equal(p->fees[0].description, "Overdue: The Hobbit");
	assert_string_equal(p->fees[1].id, "F1002");
	assert_int_equal(p->fees[1].amount, 125);
	assert_int_equal(p->fees[1].type, 1);
	assert_int_equal(p->counts[CIRC_LIST_HOLDS], 1);
	assert_int_equal(p->counts[CIRC_LIST_CHARGED], 2);
	assert_int_equal(p->counts[CIRC_LIST_UNAVAIL_HOLDS], 1);
	assert_int_equal(p->owed, 475);
	assert_int_equal(p->fee_limit, 1000);
	assert_int_equal(p->hold_limit, 20);
	assert_int_equal(p->overdue_limit, 0);
	assert_int_equal(p->charged_limit, 50);
	assert_string_equal(p->address, "1 Main St");
	assert_string_equal(p->email, "rita@example.org");
	assert_string_equal(p->phone, "555-0100");
	assert_string_equal(p->home_location, "MAIN");
	assert_int_equal(p->expires, sip2_time("20261231    235959"));
	assert_string_equal(p->birth, "20080512");
	assert_string_equal(p->pclass, "student");
	circ_arena_free(f.a);
}

static void
test_breply_unasked_lists_ignored(void **state)
{
	struct fixture	 f;

	/* Some ILSes send every list whatever the summary asks. */
	fixture(&f, SIP2_PATRON_INFO);
	f.req.want_loans = 1;
	assert_int_equal(merge(&f.req, 0, "64              001" DATE
	    "000000000001000100000000AOMETRO|AA2100|AEReader, Rita|BLY|"
	    "AU3100|AT3100|ASx|AV$1.00 Overdue: Holes|", &f.res, f.a), 0);
	assert_int_equal(f.res.patron.nlists[CIRC_LIST_CHARGED], 1);
	assert_int_equal(f.res.patron.nlists[CIRC_LIST_OVERDUE], 0);
	assert_int_equal(f.res.patron.nlists[CIRC_LIST_HOLDS], 0);
	assert_int_equal(f.res.patron.nlists[CIRC_LIST_FINES], 0);
	assert_int_equal(f.res.patron.nfees, 0);
	circ_arena_free(f.a);
}

static void
test_breply_fine_lines_of_other_ilses(void **state)
{
	static const struct {
		const char	*av;
		const char	*id;
		long long	 amount;
		int		 type;
		const char	*what;
	} cases[] = {
		{ "F1001 3.50 04 Overdue: The Hobbit", "F1001", 350, 4,
		    "Overdue: The Hobbit" },
		{ "$1.00 Overdue: Holes", NULL, 100, 4, "Overdue: Holes" },
		{ "12345 $1.25 \"Fines\" Holes", "12345", 125, 1,
		    "\"Fines\" Holes" },
		{ "USD 4.00 Lost item replacement", NULL, 400, 7,
		    "Lost item replacement" },
		{ "Overdue fine 2.50", NULL, 250, 4, "Overdue fine" },
		{ "Damaged cover 2,50", NULL, 250, 3, "Damaged cover" },
		{ "F9 -1.00 01 Credit", "F9", -100, 1, "Credit" },
		{ "$12", NULL, 1200, 1, NULL },
		{ "Please see staff about 3 items", NULL, 0, 1,
		    "Please see staff about 3 items" },
	};
	struct fixture	 f;
	char		 wire[2048];
	size_t		 i, n = 0;

	n = (size_t)snprintf(wire, sizeof(wire), "64              001" DATE
	    "000000000000000900000000AOMETRO|AA2100|AEReader, Rita|BLY|");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		n += (size_t)snprintf(wire + n, sizeof(wire) - n, "AV%s|",
		    cases[i].av);
	fixture(&f, SIP2_PATRON_INFO);
	f.req.want_fines = 1;
	assert_int_equal(merge(&f.req, 0, wire, &f.res, f.a), 0);
	assert_int_equal(f.res.patron.nfees, sizeof(cases) / sizeof(cases[0]));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct circ_fee	*fee = &f.res.patron.fees[i];

		if (cases[i].id == NULL)
			assert_null(fee->id);
		else
			assert_string_equal(fee->id, cases[i].id);
		if (fee->amount != cases[i].amount || fee->type !=
		    cases[i].type)
			fail_msg("\"%s\": %lld type %d", cases[i].av,
			    fee->amount, fee->type);
		if (cases[i].what == NULL)
			assert_null(fee->description);
		else
			assert_string_equal(fee->description, cases[i].what);
		assert_string_equal(f.res.patron.lists[CIRC_LIST_FINES][i],
		    cases[i].av);
	}
	circ_arena_free(f.a);
}

static void
test_breply_money_exact(void **state)
{
	struct fixture	 f;

	fixture(&f, SIP2_PATRON_STATUS);
	assert_int_equal(merge(&f.req, 0, "24              001" DATE
	    "AOMETRO|AA2100|AEx|BLY|BHUSD|BV1,234.56|", &f.res, f.a), 0);
	assert_int_equal(f.res.patron.owed, 123456);
	circ_arena_free(f.a);

	fixture(&f, SIP2_PATRON_STATUS);
	assert_int_equal(merge(&f.req, 0, "24              001" DATE
	    "AOMETRO|AA2100|AEx|BLY|BHJPY|BV500|", &f.res, f.a), 0);
	assert_int_equal(f.res.patron.owed, 500);
	circ_arena_free(f.a);

	/* A fee amount that is not money is no amount, not a guess. */
	fixture(&f, SIP2_PATRON_STATUS);
	assert_int_equal(merge(&f.req, 0, "24              001" DATE
	    "AOMETRO|AA2100|AEx|BLY|BV12.3456|", &f.res, f.a), 0);
	assert_int_equal(f.res.patron.owed, 0);
	circ_arena_free(f.a);
}

static void
test_breply_checkout_ilssim(void **state)
{
	struct fixture	 f;

	fixture(&f, SIP2_CHECKOUT);
	f.req.item = "3100";
	assert_int_equal(merge(&f.req, 0, "121NNY" DATE "AOMETRO|AA2100|"
	    "AB3100|AJHoles|AH" DUE_S "|BT06|BHUSD|BV1.00|CK001|"
	    "AFItem checked out|", &f.res, f.a), 0);
	assert_int_equal(f.res.ok, 1);
	assert_int_equal(f.res.renewal_ok, 0);
	assert_int_equal(f.res.magnetic, 0);
	assert_int_equal(f.res.desensitize, 1);
	assert_int_equal(f.res.due, DUE);
	assert_int_equal(f.res.item.due, DUE);
	assert_null(f.res.due_text);
	assert_string_equal(f.res.item.title, "Holes");
	assert_string_equal(f.res.item.id, "3100");
	assert_string_equal(f.res.item.media, "001");
	assert_int_equal(f.res.patron.nfees, 1);
	assert_int_equal(f.res.patron.fees[0].amount, 100);
	assert_int_equal(f.res.patron.fees[0].type, 6);
	assert_string_equal(f.res.patron.currency, "USD");
	assert_string_equal(f.res.screen, "Item checked out");
	circ_arena_free(f.a);
}

static void
test_breply_due_dates_lenient(void **state)
{
	static const struct {
		const char	*ah;
		const char	*stamp;	/* expected, as a SIP2 date */
	} cases[] = {
		{ DUE_S, DUE_S },
		{ "2024-03-22", DUE_S },
		{ "2024-03-22T17:00:00Z", "20240322    170000" },
		{ "03/22/2024 5:00 PM", "20240322    170000" },
		{ "20240322", DUE_S },
		{ "2024-03-22 17:00", "20240322    170000" },
		{ "20240322   R185959", DUE_S },	/* UTC-5 */
	};
	struct fixture	 f;
	char		 wire[256];
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fixture(&f, SIP2_RENEW);
		f.req.item = "3100";
		snprintf(wire, sizeof(wire), "301YNN" DATE "AOMETRO|AA2100|"
		    "AB3100|AJHoles|AH%s|", cases[i].ah);
		assert_int_equal(merge(&f.req, 0, wire, &f.res, f.a), 0);
		if (f.res.due != sip2_time(cases[i].stamp))
			fail_msg("AH \"%s\" read as %lld", cases[i].ah,
			    (long long)f.res.due);
		assert_null(f.res.due_text);
		assert_int_equal(f.res.renewal_ok, 1);
		circ_arena_free(f.a);
	}

	fixture(&f, SIP2_RENEW);
	f.req.item = "3100";
	assert_int_equal(merge(&f.req, 0, "301YNN" DATE "AOMETRO|AA2100|"
	    "AB3100|AJHoles|AHwhen the term ends|", &f.res, f.a), 0);
	assert_int_equal(f.res.due, 0);
	assert_string_equal(f.res.due_text, "when the term ends");
	circ_arena_free(f.a);
}

static void
test_breply_refusals_classified(void **state)
{
	static const struct {
		const char	*af;
		enum circ_error	 error;
	} cases[] = {
		/* the simulated ILS */
		{ "Invalid patron PIN", CIRC_E_BAD_PIN },
		{ "Patron not found", CIRC_E_UNKNOWN_PATRON },
		{ "Item not found", CIRC_E_UNKNOWN_ITEM },
		{ "Title not found", CIRC_E_UNKNOWN_ITEM },
		{ "Patron account is blocked", CIRC_E_BLOCKED },
		{ "Card reported lost", CIRC_E_BLOCKED },
		{ "Patron card has expired", CIRC_E_BLOCKED },
		{ "Patron owes more than the fee limit", CIRC_E_BLOCKED },
		{ "Patron has too many overdue items", CIRC_E_BLOCKED },
		{ "Privilege denied for this patron", CIRC_E_BLOCKED },
		{ "Checkout limit reached", CIRC_E_LIMIT },
		{ "Renewal limit reached", CIRC_E_LIMIT },
		{ "Hold limit reached", CIRC_E_LIMIT },
		{ "Item is checked out to another patron",
		    CIRC_E_NOT_AVAILABLE },
		{ "Item is on hold for another patron", CIRC_E_NOT_AVAILABLE },
		{ "Item is not available for loan", CIRC_E_NOT_AVAILABLE },
		{ "Item is not checked out to this patron",
		    CIRC_E_NOT_CHARGED },
		{ "Patron already has a hold on this", CIRC_E_DUPLICATE },
		{ "Patron already has this item", CIRC_E_DUPLICATE },
		{ "Rental fee must be acknowledged", CIRC_E_NEEDED_DATA },
		{ "Unknown pickup location", CIRC_E_REFUSED },
		/* other ILSes */
		{ "Invalid PIN", CIRC_E_BAD_PIN },
		{ "PATRON BLOCKED", CIRC_E_BLOCKED },
		{ "Maximum renewals reached", CIRC_E_LIMIT },
		{ "Too many items checked out", CIRC_E_LIMIT },
		{ "Invalid item barcode", CIRC_E_UNKNOWN_ITEM },
		{ "Hold already exists", CIRC_E_DUPLICATE },
		{ "Item does not circulate", CIRC_E_NOT_AVAILABLE },
		{ "Item not checked out", CIRC_E_NOT_CHARGED },
		{ "System busy, try later", CIRC_E_REFUSED },
		{ NULL, CIRC_E_REFUSED },
	};
	struct fixture	 f;
	char		 wire[256];
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fixture(&f, SIP2_CHECKOUT);
		f.req.item = "3100";
		snprintf(wire, sizeof(wire), "120NUN" DATE "AOMETRO|AA2100|"
		    "AB3100|AJ|AH|%s%s%s", cases[i].af != NULL ? "AF" : "",
		    cases[i].af != NULL ? cases[i].af : "",
		    cases[i].af != NULL ? "|" : "");
		assert_int_equal(merge(&f.req, 0, wire, &f.res, f.a), 0);
		assert_int_equal(f.res.ok, 0);
		if (f.res.error != cases[i].error)
			fail_msg("\"%s\": error %d, not %d", cases[i].af,
			    f.res.error, cases[i].error);
		assert_int_equal(f.res.item.found, 0);
		assert_int_equal(f.res.magnetic, -1);
		circ_arena_free(f.a);
	}
}

static void
test_breply_checkin_routing_ilssim(void **state)
{
	struct fixture	 f;

	fixture(&f, SIP2_CHECKIN);
	f.req.item = "3100";
	assert_int_equal(merge(&f.req, 0, "101YNY" DATE "AOMETRO|AB3100|"
	    "AQEAST|AJHoles|AA2100|CK001|CRFIC|CSFIC SAC|CTLINCOLN|CV02|"
	    "CY22009999|AFItem checked in; hold, send to LINCOLN|",
	    &f.res, f.a), 0);
	assert_int_equal(f.res.ok, 1);
	assert_int_equal(f.res.alert, 1);
	assert_int_equal(f.res.resensitize, 1);
	assert_string_equal(f.res.destination, "LINCOLN");
	assert_int_equal(f.res.alert_type, 2);
	assert_string_equal(f.res.hold_patron, "22009999");
	assert_null(f.res.sort_bin);
	assert_string_equal(f.res.patron.id, "2100");
	assert_string_equal(f.res.item.permanent_location, "EAST");
	assert_string_equal(f.res.item.collection, "FIC");
	assert_string_equal(f.res.item.call_number, "FIC SAC");
	assert_int_equal(f.res.item.found, 1);
	circ_arena_free(f.a);
}

static void
test_breply_checkin_other_ils(void **state)
{
	struct fixture	 f;

	/* Y for ok, a sort bin, an alert to send it home. */
	fixture(&f, SIP2_CHECKIN);
	f.req.item = "3100";
	assert_int_equal(merge(&f.req, 0, "10YYNY" DATE "AOMETRO|AB3100|"
	    "AQEAST|CLBIN 4|CTEAST|CV04|", &f.res, f.a), 0);
	assert_int_equal(f.res.ok, 1);
	assert_string_equal(f.res.sort_bin, "BIN 4");
	assert_int_equal(f.res.alert_type, 4);
	assert_null(f.res.hold_patron);
	circ_arena_free(f.a);

	fixture(&f, SIP2_CHECKIN);
	f.req.item = "9999";
	assert_int_equal(merge(&f.req, 0, "100NUN" DATE "AOMETRO|AB9999|AQ|"
	    "AFItem not found|", &f.res, f.a), 0);
	assert_int_equal(f.res.ok, 0);
	assert_int_equal(f.res.error, CIRC_E_UNKNOWN_ITEM);
	circ_arena_free(f.a);
}

static void
test_breply_hold(void **state)
{
	struct fixture	 f;

	fixture(&f, SIP2_HOLD);
	f.req.title = "Holes";
	assert_int_equal(merge(&f.req, 0, "161N" DATE "BW20240601    235959|"
	    "BR3|BSLINCOLN|AOMETRO|AA2100|AJHoles|AFHold placed|",
	    &f.res, f.a), 0);
	assert_int_equal(f.res.ok, 1);
	assert_int_equal(f.res.available, 0);
	assert_int_equal(f.res.queue_position, 3);
	assert_string_equal(f.res.pickup, "LINCOLN");
	assert_int_equal(f.res.hold_expiry, sip2_time("20240601    235959"));
	assert_string_equal(f.res.item.title, "Holes");
	circ_arena_free(f.a);

	fixture(&f, SIP2_HOLD);
	f.req.title = "Holes";
	assert_int_equal(merge(&f.req, 0, "160N" DATE "AOMETRO|AA2100|"
	    "AJHoles|AFPatron already has a hold on this|", &f.res, f.a), 0);
	assert_int_equal(f.res.ok, 0);
	assert_int_equal(f.res.error, CIRC_E_DUPLICATE);
	assert_int_equal(f.res.queue_position, -1);
	circ_arena_free(f.a);
}

static void
test_breply_item_info(void **state)
{
	struct fixture	 f;

	fixture(&f, SIP2_ITEM_INFO);
	f.req.item = "3100";
	assert_int_equal(merge(&f.req, 0, "18040201" DATE "AB3100|AJHoles|CF2|"
	    "AH" DUE_S "|BGMETRO|CK001|AQEAST|APMAIN|CTLINCOLN|CSFIC SAC|"
	    "CRFIC|", &f.res, f.a), 0);
	assert_int_equal(f.res.ok, 1);
	assert_int_equal(f.res.item.found, 1);
	assert_int_equal(f.res.item.circ_status, 4);
	assert_int_equal(f.res.item.hold_queue, 2);
	assert_int_equal(f.res.item.due, DUE);
	assert_string_equal(f.res.item.owner, "METRO");
	assert_string_equal(f.res.item.permanent_location, "EAST");
	assert_string_equal(f.res.item.current_location, "MAIN");
	assert_string_equal(f.res.destination, "LINCOLN");
	assert_string_equal(f.res.item.call_number, "FIC SAC");
	circ_arena_free(f.a);
}

static void
test_breply_item_unknown(void **state)
{
	struct fixture	 f;

	fixture(&f, SIP2_ITEM_INFO);
	f.req.item = "9999";
	assert_int_equal(merge(&f.req, 0, "18010001" DATE "AB9999|AJ|"
	    "AFItem not found|", &f.res, f.a), 0);
	assert_int_equal(f.res.ok, 0);
	assert_int_equal(f.res.error, CIRC_E_UNKNOWN_ITEM);
	assert_int_equal(f.res.item.found, 0);
	assert_int_equal(f.res.item.hold_queue, -1);
	circ_arena_free(f.a);
}

static void
test_breply_other_answers(void **state)
{
	struct fixture	 f;

	fixture(&f, SIP2_FEE_PAID);
	f.req.amount = 250;
	assert_int_equal(merge(&f.req, 0, "38Y" DATE "AOMETRO|AA2100|BKTX7|"
	    "AFPayment accepted, 2.25 still owed|", &f.res, f.a), 0);
	assert_int_equal(f.res.ok, 1);
	assert_string_equal(f.res.transaction_id, "TX7");
	circ_arena_free(f.a);

	fixture(&f, SIP2_FEE_PAID);
	assert_int_equal(merge(&f.req, 0, "38N" DATE "AOMETRO|AA2100|"
	    "AFPayment exceeds the amount owed|", &f.res, f.a), 0);
	assert_int_equal(f.res.ok, 0);
	assert_int_equal(f.res.error, CIRC_E_REFUSED);
	circ_arena_free(f.a);

	fixture(&f, SIP2_RENEW_ALL);
	assert_int_equal(merge(&f.req, 0, "66100020001" DATE "AOMETRO|BM3100|"
	    "BM3101|BN3102|", &f.res, f.a), 0);
	assert_int_equal(f.res.ok, 1);
	assert_int_equal(f.res.renewed, 2);
	assert_int_equal(f.res.unrenewed, 1);
	assert_int_equal(f.res.nrenewed_items, 2);
	assert_string_equal(f.res.renewed_items[1], "3101");
	assert_string_equal(f.res.unrenewed_items[0], "3102");
	circ_arena_free(f.a);

	fixture(&f, SIP2_END_SESSION);
	assert_int_equal(merge(&f.req, 0, "36Y" DATE "AOMETRO|AA2100|",
	    &f.res, f.a), 0);
	assert_int_equal(f.res.ok, 1);
	circ_arena_free(f.a);

	fixture(&f, SIP2_ITEM_STATUS);
	f.req.item = "3100";
	assert_int_equal(merge(&f.req, 0, "201" DATE "AB3100|AJHoles|"
	    "CHlarge print|", &f.res, f.a), 0);
	assert_int_equal(f.res.ok, 1);
	assert_string_equal(f.res.item.props, "large print");
	circ_arena_free(f.a);
}

static void
test_breply_many_entries_grow(void **state)
{
	struct fixture	 f;
	char		 wire[SIP2_MSG_MAX];
	size_t		 i, n;

	n = (size_t)snprintf(wire, sizeof(wire), "64              001" DATE
	    "000000000200000000000000AOMETRO|AA2100|AEx|BLY|");
	for (i = 0; i < 200; i++)
		n += (size_t)snprintf(wire + n, sizeof(wire) - n, "AU%zu|",
		    1000 + i);
	fixture(&f, SIP2_PATRON_INFO);
	f.req.want_loans = 1;
	assert_int_equal(merge(&f.req, 0, wire, &f.res, f.a), 0);
	assert_int_equal(f.res.patron.nlists[CIRC_LIST_CHARGED], 200);
	for (i = 0; i < 200; i++) {
		snprintf(wire, sizeof(wire), "%zu", 1000 + i);
		assert_string_equal(f.res.patron.lists[CIRC_LIST_CHARGED][i],
		    wire);
	}
	circ_arena_free(f.a);
}

static void
test_breply_wrong_answer(void **state)
{
	struct fixture	 f;

	fixture(&f, SIP2_CHECKOUT);
	f.req.item = "3100";
	errno = 0;
	assert_int_equal(merge(&f.req, 0, "24              001" DATE
	    "AOMETRO|AA2100|AE|", &f.res, f.a), -1);
	assert_int_equal(errno, EPROTO);
	assert_int_equal(f.res.ok, 0);
	assert_int_equal(f.res.error, CIRC_E_REFUSED);
	circ_arena_free(f.a);
}

static void
test_roundtrip_patron_info(void **state)
{
	static struct circ_fee	 fees[2] = {
		{ "F1001", 350, 4, "Overdue: The Hobbit" },
		{ "F77", 1999, 7, "Lost item" },
	};
	struct circ_result	 res, back;
	struct circ_arena	*a;
	struct circ_req		 req;
	struct sip2_msg		*m, *again;

	patron_ok(&res);
	res.patron.fees = fees;
	res.patron.nfees = 2;
	decode(&req, "63001" DATE "   Y      AOMETRO|AA2100|AD1234|");
	m = xlate_sip2_reply(&req, &res, NOW);
	again = parse(wire_of(m));
	memset(&back, 0, sizeof(back));
	a = circ_arena_new();
	assert_int_equal(xlate_sip2_backend_reply(&req, 0, again, &back, a),
	    0);
	assert_int_equal(back.ok, 1);
	assert_int_equal(back.patron.owed, 350 + 1999);
	assert_int_equal(back.patron.nfees, 2);
	assert_string_equal(back.patron.fees[1].id, "F77");
	assert_int_equal(back.patron.fees[1].amount, 1999);
	assert_int_equal(back.patron.fees[1].type, 7);
	assert_string_equal(back.patron.fees[1].description, "Lost item");
	assert_int_equal(back.patron.counts[CIRC_LIST_FINES], 2);
	circ_arena_free(a);
	sip2_msg_free(again);
	sip2_msg_free(m);
	done(&req);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_patron_status),
		cmocka_unit_test(test_req_patron_info_summary_and_page),
		cmocka_unit_test(test_req_patron_info_without_summary),
		cmocka_unit_test(test_req_checkout_offline),
		cmocka_unit_test(test_req_checkout_online_ignores_nb_date),
		cmocka_unit_test(test_req_checkin),
		cmocka_unit_test(test_req_renew_by_title),
		cmocka_unit_test(test_req_hold_place),
		cmocka_unit_test(test_req_hold_cancel_and_change),
		cmocka_unit_test(test_req_fee_paid),
		cmocka_unit_test(test_req_fee_amounts_exact),
		cmocka_unit_test(test_req_item_info_and_update),
		cmocka_unit_test(test_req_patron_messages),
		cmocka_unit_test(test_req_login),
		cmocka_unit_test(test_req_response_is_not_a_request),
		cmocka_unit_test(test_req_empty_pin_is_a_pin),
		cmocka_unit_test(test_reply_patron_status_valid),
		cmocka_unit_test(test_reply_patron_status_unknown),
		cmocka_unit_test(test_reply_patron_status_bad_pin),
		cmocka_unit_test(test_reply_unchecked_pin_fails_closed),
		cmocka_unit_test(test_reply_no_pin_no_cq),
		cmocka_unit_test(test_reply_blocked_sets_denied_bits),
		cmocka_unit_test(test_reply_patron_info_counts_limits_details),
		cmocka_unit_test(test_reply_patron_info_list_paged),
		cmocka_unit_test(test_reply_patron_info_list_capped),
		cmocka_unit_test(test_reply_patron_info_fines_in_av),
		cmocka_unit_test(test_reply_patron_info_bad_pin_hides_lists),
		cmocka_unit_test(test_reply_money_exact),
		cmocka_unit_test(test_reply_fee_sum_saturates),
		cmocka_unit_test(test_reply_checkout_ok),
		cmocka_unit_test(test_reply_checkout_due_in_words),
		cmocka_unit_test(test_reply_checkout_refused),
		cmocka_unit_test(test_reply_renew_ok),
		cmocka_unit_test(test_reply_checkin_hold_elsewhere),
		cmocka_unit_test(test_reply_checkin_hold_here),
		cmocka_unit_test(test_reply_checkin_send_home),
		cmocka_unit_test(test_reply_checkin_plain),
		cmocka_unit_test(test_reply_checkin_unknown_item),
		cmocka_unit_test(test_reply_hold_placed),
		cmocka_unit_test(test_reply_hold_change_names_partner),
		cmocka_unit_test(test_reply_offline_names_partner),
		cmocka_unit_test(test_reply_item_info),
		cmocka_unit_test(test_reply_item_info_unknown),
		cmocka_unit_test(test_reply_item_update),
		cmocka_unit_test(test_reply_fee_paid),
		cmocka_unit_test(test_reply_renew_all),
		cmocka_unit_test(test_reply_end_session),
		cmocka_unit_test(test_reply_local_ops_refused),
		cmocka_unit_test(test_screen_without_partner_and_cut),
		cmocka_unit_test(test_backend_patron_status),
		cmocka_unit_test(test_backend_lookup_user_steps),
		cmocka_unit_test(test_backend_lookup_user_without_lists),
		cmocka_unit_test(test_backend_lookup_user_fines_only),
		cmocka_unit_test(test_backend_next_single_step_ops),
		cmocka_unit_test(test_backend_checkout),
		cmocka_unit_test(test_backend_checkin),
		cmocka_unit_test(test_backend_renew),
		cmocka_unit_test(test_backend_hold_copy_and_title),
		cmocka_unit_test(test_backend_hold_by_isbn_not_supported),
		cmocka_unit_test(test_backend_cancel_hold),
		cmocka_unit_test(test_backend_fee_paid),
		cmocka_unit_test(test_backend_item_info_and_update),
		cmocka_unit_test(test_backend_patron_messages),
		cmocka_unit_test(test_backend_missing_data),
		cmocka_unit_test(test_backend_unsupported_ops),
		cmocka_unit_test(test_backend_institution_fallback),
		cmocka_unit_test(test_breply_patron_status_ilssim),
		cmocka_unit_test(test_breply_patron_unknown),
		cmocka_unit_test(test_breply_bad_pin),
		cmocka_unit_test(test_breply_pin_unanswered_fails_closed),
		cmocka_unit_test(test_breply_lookup_user_merges_steps),
		cmocka_unit_test(test_breply_unasked_lists_ignored),
		cmocka_unit_test(test_breply_fine_lines_of_other_ilses),
		cmocka_unit_test(test_breply_money_exact),
		cmocka_unit_test(test_breply_checkout_ilssim),
		cmocka_unit_test(test_breply_due_dates_lenient),
		cmocka_unit_test(test_breply_refusals_classified),
		cmocka_unit_test(test_breply_checkin_routing_ilssim),
		cmocka_unit_test(test_breply_checkin_other_ils),
		cmocka_unit_test(test_breply_hold),
		cmocka_unit_test(test_breply_item_info),
		cmocka_unit_test(test_breply_item_unknown),
		cmocka_unit_test(test_breply_other_answers),
		cmocka_unit_test(test_breply_many_entries_grow),
		cmocka_unit_test(test_breply_wrong_answer),
		cmocka_unit_test(test_roundtrip_patron_info),
	};

	return (cmocka_run_group_tests(tests, setup, NULL));
}
