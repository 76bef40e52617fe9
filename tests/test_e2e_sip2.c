/* SPDX-License-Identifier: ISC */
/*
 * End-to-end tests of the SIP2 path: kiosks and desks talk to a real
 * circlinkd on 127.0.0.1, which talks to two real simulated ILSes loaded
 * with the demo data, with faults injected through their control ports.
 */

#include "config.h"

#include <sys/types.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sip2.h"
#include "e2e.h"

/* The demo data (etc/demo/metro.ils, district.ils) these tests rely on. */
#define METRO_PATRON		"21000000001"	/* four loans, no fees */
#define METRO_PIN		"1111"
#define METRO_PATRON_NAME	"Alvarez"
#define METRO_PATRON_ADDRESS	"Juniper Street"
#define METRO_PATRON_EMAIL	"marisol.alvarez@example.org"
#define METRO_PATRON_PHONE	"555-0101"
#define METRO_PATRON_BIRTH	"19840317"
#define METRO_LOAN		"31000000004"	/* one of those loans */
#define METRO_LOAN_TITLE	"Dune"
#define METRO_PATRON2		"21000000002"	/* owes F1001 */
#define METRO_PIN2		"2222"
#define METRO_FEE		"F1001"
#define METRO_ITEM		"31000000001"	/* on the shelf at MAIN */
#define METRO_TITLE		"The Left Hand of Darkness"
#define DISTRICT_PATRON		"22000000002"
#define DISTRICT_PIN		"5555"
#define DISTRICT_ITEM		"32000000002"	/* on the shelf */
#define DISTRICT_TITLE		"Charlotte's Web"

#define METRO_NAME		E2E_METRO_NAME

/* The gateway's listeners, as set up once for the whole program. */
#define L_PLAIN			0	/* 99 before 93 allowed */
#define L_TLS			1
#define L_STRICT		2	/* 93 first; idle after 1 s */

#define WAIT_MS			5000	/* for an answer that must come */

static struct e2e_env	 env;

/* Ask 98 as metro's kiosk until metro's online flag is want; -1 if not. */
static int
metro_online(char want, int timeout_ms)
{
	return (e2e_wait_online(&env, L_PLAIN, "metro-kiosk", "metro-kiosk-pw",
	    want, timeout_ms));
}

/* Connect to the plain listener and log in as metro's kiosk. */
static struct e2e_conn *
metro_kiosk(void)
{
	return (e2e_session(&env, L_PLAIN, "metro-kiosk", "metro-kiosk-pw"));
}

/* One request from metro's kiosk on a session of its own. */
static struct sip2_msg *
metro_ask(struct sip2_msg *req)
{
	return (e2e_session_ask(&env, L_PLAIN, "metro-kiosk",
	    "metro-kiosk-pw", req));
}

/* A metro kiosk's 23 for its patron, with a PIN. */
static struct sip2_msg *
metro_patron_status(const char *pin)
{
	return (e2e_req(SIP2_PATRON_STATUS, "AO", "METRO", "AA", METRO_PATRON,
	    "AC", "", "AD", pin, NULL));
}

/* Lend metro's item on the shelf to metro's patron; it must work. */
static void
checkout_metro_item(struct e2e_conn *c)
{
	struct sip2_msg	*r;

	r = e2e_ask(c, e2e_req(SIP2_CHECKOUT, "AO", "METRO", "AA",
	    METRO_PATRON, "AB", METRO_ITEM, "AC", "", NULL));
	assert_code(r, SIP2_CHECKOUT_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	sip2_msg_free(r);
}

/* Rewrite the configuration and reload; wait until it took. */
static void
reload(void)
{
	assert_int_equal(e2e_gw_reload(&env, e2e_gw_write_conf), 0);
}

/* A district desk session works, whatever happens to metro. */
static void
district_still_serves(void)
{
	struct e2e_conn	*c;
	struct sip2_msg	*r;

	c = e2e_session(&env, L_PLAIN, "district-desk", "district-desk-pw");
	r = e2e_ask(c, e2e_req(SIP2_SC_STATUS, NULL));
	assert_code(r, SIP2_ACS_STATUS);
	assert_string_equal(e2e_fixed(r, SIP2_FX_ONLINE), "Y");
	assert_string_equal(e2e_field(r, "AO"), "DISTRICT");
	sip2_msg_free(r);
	r = e2e_ask(c, e2e_req(SIP2_PATRON_STATUS, "AO", "DISTRICT", "AA",
	    DISTRICT_PATRON, "AC", "", "AD", DISTRICT_PIN, NULL));
	assert_code(r, SIP2_PATRON_STATUS_RESP);
	assert_string_equal(e2e_field(r, "BL"), "Y");
	assert_string_equal(e2e_field(r, "CQ"), "Y");
	sip2_msg_free(r);
	e2e_close(c);
}

static int
group_setup(void **state)
{
	if (e2e_env_init(&env) == -1 || e2e_ils_start_demo(&env, 0) == -1)
		goto fail;

	e2e_listeners_init(&env, 3);
	env.listeners[L_TLS].tls = 1;
	env.listeners[L_STRICT].status_before_login = 0;
	env.listeners[L_STRICT].idle_timeout = 1;

	if (e2e_terminal_add(&env, "metro-kiosk", "metro-kiosk-pw", "metro",
	    "MAIN", NULL, NULL) == -1 ||
	    e2e_terminal_add(&env, "district-desk", "district-desk-pw",
	    "district", "LINCOLN", NULL, NULL) == -1 ||
	    e2e_terminal_add(&env, "metro-desk", "metro-desk-pw", "metro",
	    "EAST", "crlf", NULL) == -1 ||
	    e2e_terminal_add(&env, "metro-selfcheck", "metro-selfcheck-pw",
	    "metro", "MAIN", NULL, "no") == -1)
		goto fail;

	if (e2e_gw_launch(&env, e2e_gw_write_conf) == -1 ||
	    e2e_partners_online(&env, L_PLAIN, 10000) == -1)
		goto fail;
	return (0);

fail:
	e2e_env_cleanup(&env);
	return (-1);
}

static int
group_teardown(void **state)
{
	e2e_env_cleanup(&env);
	return (0);
}

/* Before each test: the ILSes as loaded, both partners online. */
static int
ready(void **state)
{
	return (e2e_ready(&env, L_PLAIN));
}

/* After each test: whatever happened, the gateway must still run. */
static int
still_alive(void **state)
{
	return (e2e_gw_survived(&env));
}

static void
test_login_accepted(void **state)
{
	struct e2e_conn	*c;

	c = e2e_connect(env.listeners[L_PLAIN].port, NULL);
	assert_non_null(c);
	assert_int_equal(e2e_login(c, "metro-kiosk", "metro-kiosk-pw"), 1);
	e2e_close(c);
}

static void
test_sc_status_reports_partner_online(void **state)
{
	struct sip2_msg	*r;

	r = metro_ask(e2e_req(SIP2_SC_STATUS, NULL));
	assert_code(r, SIP2_ACS_STATUS);
	assert_string_equal(e2e_fixed(r, SIP2_FX_ONLINE), "Y");
	assert_string_equal(e2e_fixed(r, SIP2_FX_CHECKOUT_OK), "Y");
	assert_string_equal(e2e_field(r, "AO"), "METRO");
	assert_string_equal(e2e_field(r, "AM"), METRO_NAME);
	assert_int_equal(strlen(e2e_field(r, "BX")), 16);
	sip2_msg_free(r);
}

static void
test_patron_status_checks_pin(void **state)
{
	struct e2e_conn	*c;
	struct sip2_msg	*r;

	c = metro_kiosk();
	r = e2e_ask(c, metro_patron_status(METRO_PIN));
	assert_code(r, SIP2_PATRON_STATUS_RESP);
	assert_string_equal(e2e_field(r, "AA"), METRO_PATRON);
	assert_string_equal(e2e_field(r, "BL"), "Y");
	assert_string_equal(e2e_field(r, "CQ"), "Y");
	assert_true(strlen(e2e_field(r, "AE")) > 0);
	sip2_msg_free(r);

	r = e2e_ask(c, metro_patron_status("9999"));
	assert_code(r, SIP2_PATRON_STATUS_RESP);
	assert_string_equal(e2e_field(r, "BL"), "Y");
	assert_string_equal(e2e_field(r, "CQ"), "N");
	sip2_msg_free(r);
	e2e_close(c);
}

static void
test_patron_info_lists_charged_items(void **state)
{
	struct e2e_conn	*c;
	struct sip2_msg	*r;

	c = metro_kiosk();
	checkout_metro_item(c);

	/* Summary position 3: charged items. */
	r = e2e_req(SIP2_PATRON_INFO, "AO", "METRO", "AA", METRO_PATRON,
	    "AC", "", "AD", METRO_PIN, "BP", "1", "BQ", "20", NULL);
	assert_non_null(r);
	assert_int_equal(sip2_msg_set_fixed(r, SIP2_FX_SUMMARY,
	    "  Y       "), 0);
	r = e2e_ask(c, r);
	assert_code(r, SIP2_PATRON_INFO_RESP);
	assert_string_equal(e2e_field(r, "BL"), "Y");
	assert_string_equal(e2e_field(r, "CQ"), "Y");
	assert_true(atoi(e2e_fixed(r, SIP2_FX_CHARGED_COUNT)) >= 1);
	if (e2e_fields_with(r, "AU", METRO_ITEM) == 0)
		fail_msg("64 lists no AU with %s", METRO_ITEM);
	sip2_msg_free(r);
	e2e_close(c);
}

static void
test_checkout_charges_item_at_ils(void **state)
{
	struct sip2_msg	*r;

	r = metro_ask(e2e_req(SIP2_CHECKOUT, "AO", "METRO", "AA", METRO_PATRON,
	    "AB", METRO_ITEM, "AC", "", "AD", METRO_PIN, NULL));
	assert_code(r, SIP2_CHECKOUT_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	assert_string_equal(e2e_field(r, "AB"), METRO_ITEM);
	assert_string_equal(e2e_field(r, "AJ"), METRO_TITLE);
	assert_true(strlen(e2e_field(r, "AH")) > 0);
	sip2_msg_free(r);

	e2e_ils_has(&env.metro, "item", METRO_ITEM, "status=04");
	e2e_ils_has(&env.metro, "item", METRO_ITEM, "patron=" METRO_PATRON);
}

static void
test_checkin_returns_item_at_ils(void **state)
{
	struct e2e_conn	*c;
	struct sip2_msg	*r;
	char		 ans[E2E_ANSWER_MAX];

	c = metro_kiosk();
	checkout_metro_item(c);

	r = e2e_ask(c, e2e_req(SIP2_CHECKIN, "AP", "MAIN", "AO", "METRO", "AB",
	    METRO_ITEM, "AC", "", NULL));
	assert_code(r, SIP2_CHECKIN_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	assert_string_equal(e2e_field(r, "AB"), METRO_ITEM);
	assert_true(strlen(e2e_field(r, "AQ")) > 0);
	sip2_msg_free(r);
	e2e_close(c);

	e2e_ils_show(&env.metro, "item", METRO_ITEM, ans, sizeof(ans));
	assert_contains(ans, "patron=-");
	if (strstr(ans, "status=04") != NULL)
		fail_msg("still charged after checkin: %s", ans);
}

static void
test_renew_extends_loan(void **state)
{
	struct e2e_conn	*c;
	struct sip2_msg	*r;

	c = metro_kiosk();
	checkout_metro_item(c);

	r = e2e_ask(c, e2e_req(SIP2_RENEW, "AO", "METRO", "AA", METRO_PATRON,
	    "AD", METRO_PIN, "AB", METRO_ITEM, "AC", "", NULL));
	assert_code(r, SIP2_RENEW_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	assert_string_equal(e2e_field(r, "AB"), METRO_ITEM);
	assert_true(strlen(e2e_field(r, "AH")) > 0);
	sip2_msg_free(r);
	e2e_close(c);

	e2e_ils_has(&env.metro, "item", METRO_ITEM, "renewals=1");
}

static void
test_renew_all_renews_every_loan(void **state)
{
	struct e2e_conn	*c;
	struct sip2_msg	*r;
	const char	*id, *v;
	size_t		 i;
	int		 renewed = 0;

	c = metro_kiosk();
	checkout_metro_item(c);

	r = e2e_ask(c, e2e_req(SIP2_RENEW_ALL, "AO", "METRO", "AA",
	    METRO_PATRON, "AD", METRO_PIN, "AC", "", NULL));
	assert_code(r, SIP2_RENEW_ALL_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	assert_true(atoi(e2e_fixed(r, SIP2_FX_RENEWED_COUNT)) >= 2);
	for (i = 0; i < sip2_msg_nfields(r); i++) {
		v = sip2_msg_field_at(r, i, &id);
		if (strcmp(id, "BM") == 0 && (strcmp(v, METRO_ITEM) == 0 ||
		    strcmp(v, METRO_LOAN) == 0))
			renewed++;
	}
	assert_int_equal(renewed, 2);
	sip2_msg_free(r);
	e2e_close(c);

	e2e_ils_has(&env.metro, "item", METRO_LOAN, "renewals=1");
	e2e_ils_has(&env.metro, "item", METRO_ITEM, "renewals=1");
}

static void
test_hold_placed_and_cancelled(void **state)
{
	struct e2e_conn	*c;
	struct sip2_msg	*r, *req;

	c = metro_kiosk();
	req = e2e_req(SIP2_HOLD, "AO", "METRO", "AA", METRO_PATRON, "AD",
	    METRO_PIN, "AB", METRO_ITEM, "BS", "MAIN", "BY", "3", "AC", "",
	    NULL);
	assert_non_null(req);
	sip2_msg_set_fixed(req, SIP2_FX_HOLD_MODE, "+");
	r = e2e_ask(c, req);
	assert_code(r, SIP2_HOLD_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	sip2_msg_free(r);
	e2e_ils_has(&env.metro, "item", METRO_ITEM, "queue=" METRO_PATRON);

	req = e2e_req(SIP2_HOLD, "AO", "METRO", "AA", METRO_PATRON, "AD",
	    METRO_PIN, "AB", METRO_ITEM, "AC", "", NULL);
	assert_non_null(req);
	sip2_msg_set_fixed(req, SIP2_FX_HOLD_MODE, "-");
	r = e2e_ask(c, req);
	assert_code(r, SIP2_HOLD_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	sip2_msg_free(r);
	e2e_close(c);
	e2e_ils_has(&env.metro, "item", METRO_ITEM, "queue=-");
}

static void
test_item_info_answered_by_own_partner(void **state)
{
	struct sip2_msg	*r;

	r = metro_ask(e2e_req(SIP2_ITEM_INFO, "AO", "METRO", "AB", METRO_ITEM,
	    "AC", "", NULL));
	assert_code(r, SIP2_ITEM_INFO_RESP);
	assert_string_equal(e2e_field(r, "AB"), METRO_ITEM);
	assert_string_equal(e2e_field(r, "AJ"), METRO_TITLE);
	assert_string_equal(e2e_fixed(r, SIP2_FX_CIRC_STATUS), "03");
	sip2_msg_free(r);
}

static void
test_item_info_for_district_item_goes_to_district(void **state)
{
	struct sip2_msg	*r;
	long		 metro0, district0;

	metro0 = e2e_ils_received(&env.metro, SIP2_ITEM_INFO);
	district0 = e2e_ils_received(&env.district, SIP2_ITEM_INFO);
	r = metro_ask(e2e_req(SIP2_ITEM_INFO, "AO", "METRO", "AB",
	    DISTRICT_ITEM, "AC", "", NULL));
	assert_code(r, SIP2_ITEM_INFO_RESP);
	assert_string_equal(e2e_field(r, "AB"), DISTRICT_ITEM);
	assert_string_equal(e2e_field(r, "AJ"), DISTRICT_TITLE);
	sip2_msg_free(r);
	assert_int_equal(e2e_ils_received(&env.district, SIP2_ITEM_INFO),
	    district0 + 1);
	assert_int_equal(e2e_ils_received(&env.metro, SIP2_ITEM_INFO), metro0);
}

static void
test_item_status_update_sets_properties(void **state)
{
	struct sip2_msg	*r;

	r = metro_ask(e2e_req(SIP2_ITEM_STATUS, "AO", "METRO", "AB",
	    METRO_ITEM, "AC", "", "CH", "e2e-props", NULL));
	assert_code(r, SIP2_ITEM_STATUS_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_ITEM_PROPS_OK), "1");
	assert_string_equal(e2e_field(r, "AB"), METRO_ITEM);
	sip2_msg_free(r);
	e2e_ils_has(&env.metro, "item", METRO_ITEM, "props=e2e-props");
}

static void
test_fee_paid_reduces_balance(void **state)
{
	struct sip2_msg	*r;

	e2e_ils_has(&env.metro, "patron", METRO_PATRON2, "owed=12.50");
	r = metro_ask(e2e_req(SIP2_FEE_PAID, "BV", "2.50", "AO", "METRO", "AA",
	    METRO_PATRON2, "AD", METRO_PIN2, "AC", "", "CG", METRO_FEE,
	    "BK", "e2e-txn-1", NULL));
	assert_code(r, SIP2_FEE_PAID_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_PAYMENT_ACCEPTED), "Y");
	assert_string_equal(e2e_field(r, "AA"), METRO_PATRON2);
	assert_string_equal(e2e_field(r, "BK"), "e2e-txn-1");
	sip2_msg_free(r);
	e2e_ils_has(&env.metro, "patron", METRO_PATRON2, "owed=10.00");
}

static void
test_block_then_enable_patron(void **state)
{
	struct e2e_conn	*c;
	struct sip2_msg	*r;

	c = metro_kiosk();
	r = e2e_ask(c, e2e_req(SIP2_BLOCK_PATRON, "AO", "METRO", "AL",
	    "Card reported stolen", "AA", METRO_PATRON, "AC", "", NULL));
	assert_code(r, SIP2_PATRON_STATUS_RESP);
	assert_string_equal(e2e_field(r, "AA"), METRO_PATRON);
	assert_int_equal(e2e_fixed(r, SIP2_FX_PATRON_STATUS)[0], 'Y');
	sip2_msg_free(r);
	e2e_ils_has(&env.metro, "patron", METRO_PATRON, "blocked=yes");

	r = e2e_ask(c, e2e_req(SIP2_PATRON_ENABLE, "AO", "METRO", "AA",
	    METRO_PATRON, "AC", "", "AD", METRO_PIN, NULL));
	assert_code(r, SIP2_PATRON_ENABLE_RESP);
	assert_string_equal(e2e_field(r, "BL"), "Y");
	assert_int_equal(e2e_fixed(r, SIP2_FX_PATRON_STATUS)[0], ' ');
	sip2_msg_free(r);
	e2e_close(c);
	e2e_ils_has(&env.metro, "patron", METRO_PATRON, "blocked=no");
}

static void
test_end_patron_session(void **state)
{
	struct sip2_msg	*r;

	r = metro_ask(e2e_req(SIP2_END_SESSION, "AO", "METRO", "AA",
	    METRO_PATRON, "AC", "", "AD", METRO_PIN, NULL));
	assert_code(r, SIP2_END_SESSION_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_END_SESSION), "Y");
	assert_string_equal(e2e_field(r, "AA"), METRO_PATRON);
	sip2_msg_free(r);
}

static void
test_tls_session_serves_core_exchange(void **state)
{
	struct e2e_conn	*c;
	struct sip2_msg	*r;

	c = e2e_session(&env, L_TLS, "metro-kiosk", "metro-kiosk-pw");
	assert_non_null(c->ssl);
	r = e2e_ask(c, e2e_req(SIP2_SC_STATUS, NULL));
	assert_code(r, SIP2_ACS_STATUS);
	assert_string_equal(e2e_fixed(r, SIP2_FX_ONLINE), "Y");
	sip2_msg_free(r);
	r = e2e_exchange(c, metro_patron_status(METRO_PIN), 4, NULL, NULL);
	assert_code(r, SIP2_PATRON_STATUS_RESP);
	assert_string_equal(e2e_field(r, "CQ"), "Y");
	assert_int_equal(sip2_msg_seq(r), 4);
	sip2_msg_free(r);
	checkout_metro_item(c);
	e2e_close(c);
	e2e_ils_has(&env.metro, "item", METRO_ITEM, "patron=" METRO_PATRON);
}

/*
 * Send a request (freed here) ended as given, without a checksum, and
 * read the answer's bytes as they come, with a LF if one follows.
 */
static ssize_t
exchange_raw(struct e2e_conn *c, struct sip2_msg *m, enum sip2_term term,
    char *in, size_t len)
{
	char	 out[SIP2_BUILD_MAX];
	ssize_t	 n;

	n = e2e_build(m, -1, term, out, sizeof(out));
	sip2_msg_free(m);
	assert_true(n > 0);
	assert_int_equal(e2e_send(c, out, n), 0);
	return (e2e_recv(c, in, len, WAIT_MS, 300));
}

static void
test_crlf_terminal_answered_with_crlf(void **state)
{
	struct e2e_conn	*c;
	char		 in[E2E_RESP_MAX];
	ssize_t		 n;

	c = e2e_connect(env.listeners[L_PLAIN].port, NULL);
	assert_non_null(c);
	n = exchange_raw(c, e2e_req(SIP2_LOGIN, "CN", "metro-desk", "CO",
	    "metro-desk-pw", NULL), SIP2_TERM_CR, in, sizeof(in));
	assert_true(n >= 5);
	assert_memory_equal(in, "941", 3);
	assert_memory_equal(in + n - 2, "\r\n", 2);

	n = exchange_raw(c, e2e_req(SIP2_SC_STATUS, NULL), SIP2_TERM_CR, in,
	    sizeof(in));
	assert_true(n > 2);
	assert_memory_equal(in, "98", 2);
	assert_memory_equal(in + n - 2, "\r\n", 2);
	e2e_close(c);
}

static void
test_cr_terminal_answered_with_cr(void **state)
{
	static const enum sip2_term terms[] = {
		SIP2_TERM_CRLF, SIP2_TERM_CR, SIP2_TERM_LF
	};
	struct e2e_conn	*c;
	char		 in[E2E_RESP_MAX];
	ssize_t		 n;
	size_t		 i;

	c = e2e_connect(env.listeners[L_PLAIN].port, NULL);
	assert_non_null(c);
	n = exchange_raw(c, e2e_req(SIP2_LOGIN, "CN", "metro-kiosk", "CO",
	    "metro-kiosk-pw", NULL), SIP2_TERM_CRLF, in, sizeof(in));
	assert_true(n >= 4);
	assert_memory_equal(in, "941", 3);
	assert_int_equal(in[n - 1], '\r');

	/* Whatever the terminal ends a message with, it gets CR. */
	for (i = 0; i < sizeof(terms) / sizeof(terms[0]); i++) {
		n = exchange_raw(c, e2e_req(SIP2_SC_STATUS, NULL), terms[i],
		    in, sizeof(in));
		assert_true(n > 2);
		assert_memory_equal(in, "98", 2);
		assert_int_equal(in[n - 1], '\r');
	}
	e2e_close(c);
}

static void
test_checksum_answer_echoes_sequence(void **state)
{
	struct e2e_conn	*c;
	struct sip2_msg	*r;
	char		 raw[E2E_RESP_MAX];
	size_t		 len;
	int		 seq;

	c = metro_kiosk();
	for (seq = 3; seq <= 9; seq += 6) {
		len = sizeof(raw);
		r = e2e_exchange(c, metro_patron_status(METRO_PIN), seq, raw,
		    &len);
		assert_code(r, SIP2_PATRON_STATUS_RESP);
		assert_int_equal(sip2_msg_seq(r), seq);
		assert_int_equal(sip2_checksum_verify(raw, len - 1), 1);
		sip2_msg_free(r);
	}
	e2e_close(c);
}

static void
test_no_checksum_when_request_has_none(void **state)
{
	struct e2e_conn	*c;
	struct sip2_msg	*r;
	char		 raw[E2E_RESP_MAX];
	size_t		 len = sizeof(raw);

	/* A terminal configured "checksums no": trailers only on request. */
	c = e2e_session(&env, L_PLAIN, "metro-selfcheck", "metro-selfcheck-pw");
	r = e2e_exchange(c, metro_patron_status(METRO_PIN), -1, raw, &len);
	assert_code(r, SIP2_PATRON_STATUS_RESP);
	if (sip2_msg_seq(r) != -1 || sip2_checksum_verify(raw, len - 1) != -1)
		fail_msg("answer to a request without a trailer has one: "
		    "%.*s", (int)len - 1, raw);
	sip2_msg_free(r);

	len = sizeof(raw);
	r = e2e_exchange(c, metro_patron_status(METRO_PIN), 8, raw, &len);
	assert_code(r, SIP2_PATRON_STATUS_RESP);
	assert_int_equal(sip2_msg_seq(r), 8);
	assert_int_equal(sip2_checksum_verify(raw, len - 1), 1);
	sip2_msg_free(r);
	e2e_close(c);
}

static void
test_bad_checksum_answered_96(void **state)
{
	struct e2e_conn	*c;
	struct sip2_msg	*m, *r;
	char		 out[SIP2_BUILD_MAX], in[E2E_RESP_MAX];
	ssize_t		 n;
	long		 before;

	c = metro_kiosk();
	before = e2e_ils_received(&env.metro, SIP2_PATRON_STATUS);
	m = metro_patron_status(METRO_PIN);
	n = e2e_build(m, 1, SIP2_TERM_CR, out, sizeof(out));
	sip2_msg_free(m);
	assert_true(n > 6);
	/* Change one checksum digit: 0 <-> 1. */
	out[n - 2] = out[n - 2] == '0' ? '1' : '0';
	assert_int_equal(e2e_send(c, out, n), 0);
	n = e2e_recv(c, in, sizeof(in), WAIT_MS, 0);
	assert_true(n >= 3);
	assert_memory_equal(in, "96", 2);
	assert_int_equal(e2e_ils_received(&env.metro, SIP2_PATRON_STATUS),
	    before);

	r = e2e_ask(c, e2e_req(SIP2_SC_STATUS, NULL));
	assert_code(r, SIP2_ACS_STATUS);
	sip2_msg_free(r);
	e2e_close(c);
}

static void
test_resend_repeats_last_response(void **state)
{
	struct e2e_conn	*c;
	struct sip2_msg	*r;
	char		 raw[E2E_RESP_MAX], again[E2E_RESP_MAX];
	size_t		 len = sizeof(raw);
	ssize_t		 n;

	c = metro_kiosk();
	r = e2e_exchange(c, metro_patron_status(METRO_PIN), 2, raw, &len);
	assert_code(r, SIP2_PATRON_STATUS_RESP);
	sip2_msg_free(r);

	assert_int_equal(e2e_send(c, "97AZFEF5\r", 9), 0);
	n = e2e_recv(c, again, sizeof(again), WAIT_MS, 0);
	assert_int_equal(n, (ssize_t)len);
	assert_memory_equal(again, raw, len);

	assert_int_equal(e2e_send(c, "97\r", 3), 0);
	n = e2e_recv(c, again, sizeof(again), WAIT_MS, 0);
	assert_int_equal(n, (ssize_t)len);
	assert_memory_equal(again, raw, len);
	e2e_close(c);
}

static void
test_retried_checkout_done_once(void **state)
{
	struct e2e_conn	*c;
	struct sip2_msg	*m, *r;
	char		 out[SIP2_BUILD_MAX], first[E2E_RESP_MAX];
	char		 second[E2E_RESP_MAX];
	ssize_t		 n, n1, n2;
	long		 before;

	before = e2e_ils_received(&env.metro, SIP2_CHECKOUT);
	c = metro_kiosk();
	m = e2e_req(SIP2_CHECKOUT, "AO", "METRO", "AA", METRO_PATRON, "AB",
	    METRO_ITEM, "AC", "", "AD", METRO_PIN, NULL);
	n = e2e_build(m, 5, SIP2_TERM_CR, out, sizeof(out));
	sip2_msg_free(m);
	assert_true(n > 0);

	assert_int_equal(e2e_send(c, out, n), 0);
	n1 = e2e_recv(c, first, sizeof(first), WAIT_MS, 0);
	assert_true(n1 > 0);
	/* The kiosk did not hear the answer and sends the same bytes. */
	assert_int_equal(e2e_send(c, out, n), 0);
	n2 = e2e_recv(c, second, sizeof(second), WAIT_MS, 0);
	assert_int_equal(n1, n2);
	assert_memory_equal(first, second, n1);

	r = e2e_parse(first, n1);
	assert_code(r, SIP2_CHECKOUT_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	assert_int_equal(sip2_msg_seq(r), 5);
	sip2_msg_free(r);
	e2e_close(c);
	assert_int_equal(e2e_ils_received(&env.metro, SIP2_CHECKOUT), before + 1);
}

static void
test_pipelined_requests_answered_in_order(void **state)
{
	struct e2e_conn	*c;
	struct sip2_msg	*m, *r;
	char		 out[SIP2_BUILD_MAX * 3], in[E2E_RESP_MAX];
	static const int codes[] = { SIP2_SC_STATUS, SIP2_PATRON_STATUS,
	    SIP2_ITEM_INFO };
	static const int resps[] = { SIP2_ACS_STATUS, SIP2_PATRON_STATUS_RESP,
	    SIP2_ITEM_INFO_RESP };
	size_t		 len = 0, i;
	ssize_t		 n;

	c = metro_kiosk();
	for (i = 0; i < 3; i++) {
		if (codes[i] == SIP2_SC_STATUS)
			m = e2e_req(codes[i], NULL);
		else if (codes[i] == SIP2_PATRON_STATUS)
			m = metro_patron_status(METRO_PIN);
		else
			m = e2e_req(codes[i], "AO", "METRO", "AB", METRO_ITEM,
			    "AC", "", NULL);
		n = e2e_build(m, (int)i + 1, SIP2_TERM_CR, out + len,
		    sizeof(out) - len);
		sip2_msg_free(m);
		assert_true(n > 0);
		len += n;
	}
	assert_int_equal(e2e_send(c, out, len), 0);
	for (i = 0; i < 3; i++) {
		n = e2e_recv(c, in, sizeof(in), WAIT_MS, 0);
		assert_true(n > 0);
		r = e2e_parse(in, n);
		assert_code(r, resps[i]);
		assert_int_equal(sip2_msg_seq(r), (int)i + 1);
		sip2_msg_free(r);
	}
	e2e_close(c);
}

static void
test_split_message_reassembled(void **state)
{
	struct e2e_conn	*c;
	struct sip2_msg	*m, *r;
	char		 out[SIP2_BUILD_MAX], in[E2E_RESP_MAX];
	ssize_t		 n, third;

	c = metro_kiosk();
	m = metro_patron_status(METRO_PIN);
	n = e2e_build(m, 6, SIP2_TERM_CR, out, sizeof(out));
	sip2_msg_free(m);
	assert_true(n > 9);
	third = n / 3;
	assert_int_equal(e2e_send(c, out, third), 0);
	e2e_sleep_ms(150);
	assert_int_equal(e2e_send(c, out + third, third), 0);
	e2e_sleep_ms(150);
	assert_int_equal(e2e_send(c, out + 2 * third, n - 2 * third), 0);
	n = e2e_recv(c, in, sizeof(in), WAIT_MS, 0);
	assert_true(n > 0);
	r = e2e_parse(in, n);
	assert_code(r, SIP2_PATRON_STATUS_RESP);
	assert_int_equal(sip2_msg_seq(r), 6);
	assert_string_equal(e2e_field(r, "CQ"), "Y");
	sip2_msg_free(r);

	/* Nothing else was answered meanwhile: the next answer is a 98. */
	r = e2e_ask(c, e2e_req(SIP2_SC_STATUS, NULL));
	assert_code(r, SIP2_ACS_STATUS);
	sip2_msg_free(r);
	e2e_close(c);
}

static void
test_wrong_password_refused_after_delay(void **state)
{
	struct e2e_conn	*c;
	long long	 t0;

	c = e2e_connect(env.listeners[L_PLAIN].port, NULL);
	assert_non_null(c);
	t0 = e2e_now_ms();
	assert_int_equal(e2e_login(c, "metro-kiosk", "not-the-password"), 0);
	assert_true(e2e_now_ms() - t0 >= 100);
	t0 = e2e_now_ms();
	assert_int_equal(e2e_login(c, "no-such-terminal", "whatever"), 0);
	assert_true(e2e_now_ms() - t0 >= 100);
	/* The connection stays usable for a correct attempt. */
	assert_int_equal(e2e_login(c, "metro-kiosk", "metro-kiosk-pw"), 1);
	e2e_close(c);
}

static void
test_login_attempt_limit_closes_connection(void **state)
{
	struct e2e_conn	*c;
	int		 i;

	c = e2e_connect(env.listeners[L_PLAIN].port, NULL);
	assert_non_null(c);
	for (i = 0; i < 3; i++)
		assert_int_equal(e2e_login(c, "metro-kiosk", "wrong"), 0);
	assert_int_equal(e2e_wait_closed(c, 3000), 0);
	e2e_close(c);
}

static void
test_requests_before_login_refused(void **state)
{
	struct e2e_conn	*c;
	struct sip2_msg	*r;
	long		 before;

	before = e2e_ils_received(&env.metro, SIP2_PATRON_STATUS);

	/* Where 99 may come first, it is answered; nothing else is. */
	c = e2e_connect(env.listeners[L_PLAIN].port, NULL);
	assert_non_null(c);
	r = e2e_ask(c, e2e_req(SIP2_SC_STATUS, NULL));
	assert_code(r, SIP2_ACS_STATUS);
	sip2_msg_free(r);
	r = e2e_ask(c, metro_patron_status(METRO_PIN));
	assert_code(r, SIP2_PATRON_STATUS_RESP);
	assert_string_not_equal(e2e_field(r, "BL"), "Y");
	assert_true(strlen(e2e_field(r, "AF")) > 0);
	sip2_msg_free(r);
	r = e2e_ask(c, e2e_req(SIP2_CHECKOUT, "AO", "METRO", "AA", METRO_PATRON,
	    "AB", METRO_ITEM, "AC", "", NULL));
	assert_code(r, SIP2_CHECKOUT_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "0");
	sip2_msg_free(r);
	e2e_close(c);

	/* Where 93 must come first, 99 is refused too. */
	c = e2e_connect(env.listeners[L_STRICT].port, NULL);
	assert_non_null(c);
	r = e2e_ask(c, e2e_req(SIP2_SC_STATUS, NULL));
	assert_code(r, SIP2_ACS_STATUS);
	assert_string_equal(e2e_fixed(r, SIP2_FX_ONLINE), "N");
	assert_true(strlen(e2e_field(r, "AF")) > 0);
	sip2_msg_free(r);
	e2e_close(c);

	assert_int_equal(e2e_ils_received(&env.metro, SIP2_PATRON_STATUS), before);
}

static void
test_idle_connection_closed(void **state)
{
	struct e2e_conn	*c;
	off_t		 off = e2e_file_size(env.log);
	long long	 t0;

	c = e2e_session(&env, L_STRICT, "metro-kiosk", "metro-kiosk-pw");
	t0 = e2e_now_ms();
	assert_int_equal(e2e_wait_closed(c, 4000), 0);
	assert_true(e2e_now_ms() - t0 >= 500);
	e2e_close(c);
	assert_int_equal(e2e_file_wait(env.log, off, "why=\"idle\"", 2000),
	    0);
}

static void
test_oversized_input_answered_96(void **state)
{
	struct e2e_conn	*c;
	struct sip2_msg	*r;
	char		 junk[10240], in[E2E_RESP_MAX];
	ssize_t		 n;

	c = metro_kiosk();
	memset(junk, 'A', sizeof(junk));
	assert_int_equal(e2e_send(c, junk, sizeof(junk)), 0);
	n = e2e_recv(c, in, sizeof(in), WAIT_MS, 0);
	assert_true(n >= 3);
	assert_memory_equal(in, "96", 2);
	/* The junk ends; the session goes on, still logged in. */
	assert_int_equal(e2e_send(c, "\r", 1), 0);
	r = e2e_ask(c, metro_patron_status(METRO_PIN));
	assert_code(r, SIP2_PATRON_STATUS_RESP);
	assert_string_equal(e2e_field(r, "BL"), "Y");
	sip2_msg_free(r);
	e2e_close(c);
}

static void
test_binary_garbage_answered_96(void **state)
{
	static const char garbage[] = "\x01\x02\xff\xfe\x80" "ZZ\x7f\x1b[0m\r";
	struct e2e_conn	*c;
	struct sip2_msg	*r;
	char		 in[E2E_RESP_MAX];
	ssize_t		 n;

	c = metro_kiosk();
	assert_int_equal(e2e_send(c, garbage, sizeof(garbage) - 1), 0);
	n = e2e_recv(c, in, sizeof(in), WAIT_MS, 0);
	assert_true(n >= 3);
	assert_memory_equal(in, "96", 2);
	r = e2e_ask(c, e2e_req(SIP2_SC_STATUS, NULL));
	assert_code(r, SIP2_ACS_STATUS);
	sip2_msg_free(r);
	e2e_close(c);
}

/* A checkout at a metro kiosk while metro's ILS misbehaves: refused. */
static void
checkout_refused_in_time(struct e2e_conn *c, int within_ms)
{
	struct sip2_msg	*r;
	long long	 t0 = e2e_now_ms(), ms;

	r = e2e_ask(c, e2e_req(SIP2_CHECKOUT, "AO", "METRO", "AA", METRO_PATRON,
	    "AB", METRO_ITEM, "AC", "", NULL));
	ms = e2e_now_ms() - t0;
	assert_code(r, SIP2_CHECKOUT_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "0");
	assert_contains(e2e_field(r, "AF"), METRO_NAME);
	assert_string_equal(e2e_field(r, "AB"), METRO_ITEM);
	sip2_msg_free(r);
	if (ms >= within_ms)
		fail_msg("answered after %lld ms, not within %d", ms,
		    within_ms);
}

/*
 * Metro's ILS misbehaves as a control command tells it to: a checkout at
 * a metro kiosk is refused in time, and the district serves as before.
 */
static void
metro_fault_refused(const char *fault)
{
	struct e2e_conn	*c;

	c = metro_kiosk();
	e2e_ctl(&env.metro, fault, NULL, 0);
	checkout_refused_in_time(c, 2500);
	district_still_serves();
	assert_true(e2e_gw_alive(&env));
	e2e_close(c);
}

static void
test_slow_partner_answered_before_ils(void **state)
{
	/* The ILS would take 3 s; the gateway's deadline is 1 s. */
	metro_fault_refused("delay 3000");
}

/*
 * Take metro's ILS down: it refuses new connections and drops each one a
 * request arrives on.  The gateway learns of it from requests, each of
 * which must be refused in time, until its 98 says metro is offline.
 */
static void
take_metro_down(struct e2e_conn *c)
{
	long long	 deadline = e2e_now_ms() + 5000;

	e2e_ctl(&env.metro, "refuse", NULL, 0);
	e2e_ctl(&env.metro, "drop", NULL, 0);
	do
		checkout_refused_in_time(c, 2500);
	while (!e2e_reported_offline(c, METRO_NAME, deadline));
}

static void
test_partner_down_reported_offline(void **state)
{
	struct e2e_conn	*c;

	c = metro_kiosk();
	take_metro_down(c);
	/* Known to be offline, it is refused at once. */
	checkout_refused_in_time(c, 1500);
	district_still_serves();
	assert_true(e2e_gw_alive(&env));
	e2e_close(c);
}

static void
test_partner_back_online_after_outage(void **state)
{
	struct e2e_conn	*c;

	c = metro_kiosk();
	take_metro_down(c);
	e2e_close(c);
	e2e_ctl(&env.metro, "normal", NULL, 0);
	/* Reconnection backs off; a short outage is over within seconds. */
	assert_int_equal(metro_online('Y', 8000), 0);
}

static void
test_partner_garbage_refused_clearly(void **state)
{
	metro_fault_refused("garbage");
}

static void
test_hanging_partner_answered_at_deadline(void **state)
{
	metro_fault_refused("hang");
}

static void
test_reload_keeps_sessions_and_adds_terminal(void **state)
{
	struct e2e_conn	*old, *c;
	struct sip2_msg	*r;

	old = metro_kiosk();
	c = e2e_connect(env.listeners[L_PLAIN].port, NULL);
	assert_non_null(c);
	assert_int_equal(e2e_login(c, "metro-kiosk-2", "metro-kiosk-2-pw"),
	    0);
	e2e_close(c);

	if (env.nterminals < E2E_TERMINALS_MAX &&
	    strcmp(env.terminals[env.nterminals - 1].login,
	    "metro-kiosk-2") != 0)
		assert_int_equal(e2e_terminal_add(&env, "metro-kiosk-2",
		    "metro-kiosk-2-pw", "metro", "EAST", NULL, NULL), 0);
	reload();

	r = e2e_ask(old, metro_patron_status(METRO_PIN));
	assert_code(r, SIP2_PATRON_STATUS_RESP);
	assert_string_equal(e2e_field(r, "CQ"), "Y");
	sip2_msg_free(r);
	e2e_close(old);

	c = e2e_session(&env, L_PLAIN, "metro-kiosk-2", "metro-kiosk-2-pw");
	r = e2e_ask(c, e2e_req(SIP2_SC_STATUS, NULL));
	assert_code(r, SIP2_ACS_STATUS);
	assert_string_equal(e2e_field(r, "AO"), "METRO");
	assert_string_equal(e2e_field(r, "AN"), "EAST");
	sip2_msg_free(r);
	e2e_close(c);
}

static void
test_backend_over_tls_verified(void **state)
{
	struct sip2_msg	*r;
	long		 before = e2e_ils_received(&env.metro, SIP2_PATRON_STATUS);

	env.metro_tls = 1;
	reload();
	assert_int_equal(metro_online('Y', 5000), 0);
	r = metro_ask(metro_patron_status(METRO_PIN));
	assert_code(r, SIP2_PATRON_STATUS_RESP);
	assert_string_equal(e2e_field(r, "CQ"), "Y");
	sip2_msg_free(r);
	assert_int_equal(e2e_ils_received(&env.metro, SIP2_PATRON_STATUS),
	    before + 1);

	/* A server whose name does not match is never logged in to. */
	env.metro_tls = 2;
	reload();
	assert_int_equal(metro_online('N', 5000), 0);
	district_still_serves();

	env.metro_tls = 0;
	reload();
	assert_int_equal(metro_online('Y', 5000), 0);
}

static void
test_idle_backend_probe_finds_hung_partner(void **state)
{
	env.keepalive_ms = 200;
	reload();
	assert_int_equal(metro_online('Y', 5000), 0);

	/* No request is sent: the probe alone must find the ILS hung. */
	e2e_ctl(&env.metro, "hang", NULL, 0);
	assert_int_equal(metro_online('N', 8000), 0);
	district_still_serves();

	e2e_ctl(&env.metro, "normal", NULL, 0);
	assert_int_equal(metro_online('Y', 8000), 0);
	env.keepalive_ms = 0;
	reload();
}

static void
test_reload_with_broken_config_keeps_old(void **state)
{
	struct e2e_conn	*old, *c;
	struct sip2_msg	*r;
	off_t		 off = e2e_file_size(env.log);

	old = metro_kiosk();

	/* A new account next to a mistake: none of the file may apply. */
	assert_int_equal(e2e_terminal_add(&env, "metro-kiosk-3",
	    "metro-kiosk-3-pw", "metro", "EAST", NULL, NULL), 0);
	env.broken = "listen 127.0.0.1 port 70000";
	assert_int_equal(e2e_gw_write_conf(&env), 0);
	env.broken = NULL;
	free(env.terminals[--env.nterminals].hash);
	assert_int_equal(kill(env.gw_pid, SIGHUP), 0);
	assert_int_equal(e2e_file_wait(env.log, off, "reload failed", 5000),
	    0);
	assert_int_equal(e2e_file_wait(env.log, off, "circlinkd.conf:", 0),
	    0);

	r = e2e_ask(old, e2e_req(SIP2_SC_STATUS, NULL));
	assert_code(r, SIP2_ACS_STATUS);
	assert_string_equal(e2e_fixed(r, SIP2_FX_ONLINE), "Y");
	sip2_msg_free(r);
	e2e_close(old);
	c = e2e_connect(env.listeners[L_PLAIN].port, NULL);
	assert_non_null(c);
	assert_int_equal(e2e_login(c, "metro-kiosk-3", "metro-kiosk-3-pw"),
	    0);
	e2e_close(c);
	c = e2e_session(&env, L_PLAIN, "district-desk", "district-desk-pw");
	e2e_close(c);
	assert_int_equal(e2e_gw_write_conf(&env), 0);
}

static void
test_config_check_names_file_and_line(void **state)
{
	char		 bad[E2E_PATH_MAX], out[E2E_PATH_MAX];
	char		 where[E2E_PATH_MAX + 8], *text;
	FILE		*fp;
	const char	*argv[] = { env.circlinkd, "-n", "-f", bad, NULL };
	const char	*good[] = { env.circlinkd, "-n", "-f", env.conf, NULL };

	snprintf(bad, sizeof(bad), "%s/bad.conf", env.dir);
	snprintf(out, sizeof(out), "%s/check.out", env.dir);
	snprintf(where, sizeof(where), "%s:3:", bad);
	fp = fopen(bad, "w");
	assert_non_null(fp);
	fprintf(fp, "# a file with a mistake on line 3\nlog-level info\n"
	    "listen 127.0.0.1 port 70000\n");
	fclose(fp);

	assert_int_equal(e2e_run(good, out, 10000), 0);
	unlink(out);
	assert_int_not_equal(e2e_run(argv, out, 10000), 0);
	text = e2e_file_read(out, 0);
	assert_non_null(text);
	assert_contains(text, where);
	free(text);
}

static void
test_log_holds_no_secrets(void **state)
{
	static const char *const secrets[] = {
		"metro-kiosk-pw", "district-desk-pw", "metro-desk-pw",
		"metro-selfcheck-pw", "metro-kiosk-2-pw", "metro-kiosk-3-pw",
		"metro-ils-pw", "district-ils-pw", "not-the-password",
		METRO_PATRON_NAME,
		METRO_PATRON_ADDRESS, METRO_PATRON_EMAIL, METRO_PATRON_PHONE,
		METRO_PATRON_BIRTH, NULL
	};
	static const char *const pins[] = {
		METRO_PIN, METRO_PIN2, DISTRICT_PIN, NULL
	};
	static const char *const patrons[] = {
		METRO_PATRON, METRO_PATRON2, DISTRICT_PATRON, NULL
	};
	static const char *const titles[] = {
		METRO_TITLE, METRO_LOAN_TITLE, DISTRICT_TITLE, NULL
	};
	struct e2e_conn	*c;
	struct sip2_msg	*r, *req;
	char		*text;

	/*
	 * Make sure this run's log had PINs, personal details and titles
	 * next to patron ids to leak: a checkout, a checkin naming the
	 * borrower, patron information with every detail, a fee payment.
	 */
	c = metro_kiosk();
	r = e2e_ask(c, e2e_req(SIP2_CHECKOUT, "AO", "METRO", "AA", METRO_PATRON,
	    "AB", METRO_ITEM, "AC", "", "AD", METRO_PIN, NULL));
	assert_code(r, SIP2_CHECKOUT_RESP);
	sip2_msg_free(r);
	r = e2e_ask(c, e2e_req(SIP2_CHECKIN, "AP", "MAIN", "AO", "METRO", "AB",
	    METRO_ITEM, "AC", "", NULL));
	assert_code(r, SIP2_CHECKIN_RESP);
	assert_string_equal(e2e_field(r, "AA"), METRO_PATRON);
	sip2_msg_free(r);
	req = e2e_req(SIP2_PATRON_INFO, "AO", "METRO", "AA", METRO_PATRON,
	    "AC", "", "AD", METRO_PIN, NULL);
	assert_non_null(req);
	sip2_msg_set_fixed(req, SIP2_FX_SUMMARY, "  Y       ");
	r = e2e_ask(c, req);
	assert_code(r, SIP2_PATRON_INFO_RESP);
	assert_contains(e2e_field(r, "BD"), METRO_PATRON_ADDRESS);
	sip2_msg_free(r);
	r = e2e_ask(c, e2e_req(SIP2_FEE_PAID, "BV", "1.00", "AO", "METRO", "AA",
	    METRO_PATRON2, "AD", METRO_PIN2, "AC", "", NULL));
	assert_code(r, SIP2_FEE_PAID_RESP);
	sip2_msg_free(r);
	e2e_close(c);
	c = e2e_session(&env, L_PLAIN, "district-desk", "district-desk-pw");
	r = e2e_ask(c, e2e_req(SIP2_PATRON_STATUS, "AO", "DISTRICT", "AA",
	    DISTRICT_PATRON, "AC", "", "AD", DISTRICT_PIN, NULL));
	assert_code(r, SIP2_PATRON_STATUS_RESP);
	sip2_msg_free(r);
	e2e_close(c);
	e2e_sleep_ms(100);

	text = e2e_file_read(env.log, 0);
	assert_non_null(text);
	assert_contains(text, "msg=checkin");
	e2e_assert_private(text, secrets, pins, patrons, titles);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f)	cmocka_unit_test_setup_teardown(f, ready, still_alive)
		T(test_login_accepted),
		T(test_sc_status_reports_partner_online),
		T(test_patron_status_checks_pin),
		T(test_patron_info_lists_charged_items),
		T(test_checkout_charges_item_at_ils),
		T(test_checkin_returns_item_at_ils),
		T(test_renew_extends_loan),
		T(test_renew_all_renews_every_loan),
		T(test_hold_placed_and_cancelled),
		T(test_item_info_answered_by_own_partner),
		T(test_item_info_for_district_item_goes_to_district),
		T(test_item_status_update_sets_properties),
		T(test_fee_paid_reduces_balance),
		T(test_block_then_enable_patron),
		T(test_end_patron_session),
		T(test_tls_session_serves_core_exchange),
		T(test_crlf_terminal_answered_with_crlf),
		T(test_cr_terminal_answered_with_cr),
		T(test_checksum_answer_echoes_sequence),
		T(test_no_checksum_when_request_has_none),
		T(test_bad_checksum_answered_96),
		T(test_resend_repeats_last_response),
		T(test_retried_checkout_done_once),
		T(test_pipelined_requests_answered_in_order),
		T(test_split_message_reassembled),
		T(test_wrong_password_refused_after_delay),
		T(test_login_attempt_limit_closes_connection),
		T(test_requests_before_login_refused),
		T(test_idle_connection_closed),
		T(test_oversized_input_answered_96),
		T(test_binary_garbage_answered_96),
		T(test_slow_partner_answered_before_ils),
		T(test_partner_down_reported_offline),
		T(test_partner_back_online_after_outage),
		T(test_partner_garbage_refused_clearly),
		T(test_hanging_partner_answered_at_deadline),
		T(test_reload_keeps_sessions_and_adds_terminal),
		T(test_reload_with_broken_config_keeps_old),
		T(test_backend_over_tls_verified),
		T(test_idle_backend_probe_finds_hung_partner),
		T(test_config_check_names_file_and_line),
		T(test_log_holds_no_secrets),
#undef T
	};

	return (cmocka_run_group_tests_name("e2e_sip2", tests, group_setup,
	    group_teardown));
}
