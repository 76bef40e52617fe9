/* SPDX-License-Identifier: ISC */
/*
 * End-to-end tests of translation between SIP2 and NCIP: kiosks speak
 * SIP2 to a real circlinkd whose partners' ILSes speak NCIP 2.02 and NCIP
 * 1.0, and partners' ILSes post NCIP to it in several dialects, served by
 * a SIP2-only ILS and by the NCIP ones; the simulated ILSes on 127.0.0.1
 * show through their control ports what each request changed.
 */

#include "config.h"

#include <sys/types.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sip2.h"
#include "ncip.h"
#include "e2e.h"
#include "e2e_http.h"

/* The gateway's listeners. */
#define L_SIP2		0
#define L_NCIP		1	/* the NCIP endpoint over HTTP */
#define L_NCIPS		2	/* and over HTTPS */

/* The tokens partners' ILSes call the NCIP endpoint with. */
#define METRO_TOKEN	"metro-caller-token-5a1e9c77d0"
#define DISTRICT_TOKEN	"district-caller-token-3f08b2aa"
#define COUNTY_TOKEN	"county-caller-token-c4d6e1f3"
/* The token the district's ILS wants (etc/demo/district.ils). */
#define DISTRICT_ILS_TOKEN "district-ncip-token"
#define COUNTY_ILS_PW	"county-ils-pw"

#define WAIT_MS		5000	/* for an answer that must come */
#define REFUSE_MS	2500	/* a refusal must come sooner */

/*
 * The county's ILS speaks SIP2 only.  Its data are the test's own, so
 * that its barcodes (2300*, 3300*) route to it and to nobody else.
 */
static const char county_data[] =
    "# County Library: a partner whose ILS speaks SIP2 only.\n"
    "institution COUNTY \"County Library\" currency=USD\n"
    "account circlink " COUNTY_ILS_PW " location=SOUTH\n"
    "location NORTH \"North Branch\"\n"
    "location SOUTH \"South Branch\"\n"
    "class ADULT loan-days=21 renewals=2 checkout-limit=50 hold-limit=20\n"
    "\tfee-limit=20.00\n"
    "patron 23000000001 pin=8181 class=ADULT home=NORTH expires=2031-12-31\n"
    "\tname=\"Quillfeather, Ada\" birth=1988-02-02 language=english\n"
    "\taddress=\"12 Tern Road, County Town, CT 20001\"\n"
    "\temail=ada.q@example.org phone=\"555-0131\"\n"
    "fee 23000000001 F3001 type=overdue amount=3.25 date=today-10d\n"
    "\tdescription=\"Overdue: Gilead\"\n"
    "patron 23000000002 pin=8282 class=ADULT home=SOUTH expires=2031-12-31\n"
    "\tname=\"Brightwater, Otto\" birth=1975-05-05 language=english\n"
    "\taddress=\"3 Mill Lane, County Town, CT 20002\"\n"
    "\temail=otto.b@example.org phone=\"555-0132\"\n"
    "item 33000000001 title=\"Gilead\" author=\"Robinson, Marilynne\"\n"
    "\thome=NORTH call=\"FIC ROBINSON\" media=book isbn=9780312424404\n"
    "\trecord=c3000001\n"
    "item 33000000002 title=\"Middlemarch\" author=\"Eliot, George\"\n"
    "\thome=NORTH call=\"FIC ELIOT\" media=book isbn=9780141439549\n"
    "\trecord=c3000002\n"
    "item 33000000003 title=\"The Remains of the Day\"\n"
    "\tauthor=\"Ishiguro, Kazuo\" home=SOUTH call=\"FIC ISHIGURO\"\n"
    "\tmedia=book isbn=9780679731726 record=c3000003\n"
    "item 33000000004 title=\"Persuasion\" author=\"Austen, Jane\"\n"
    "\thome=SOUTH call=\"FIC AUSTEN\" media=book isbn=9780141439686\n"
    "\trecord=c3000004\n"
    "loan 33000000002 patron=23000000001 out=today-16d due=today+5d\n"
    "loan 33000000004 patron=23000000001 out=today-30d due=today-9d\n"
    "loan 33000000003 patron=23000000002 out=today-11d due=today+10d\n"
    "hold 23000000001 item=33000000003 pickup=NORTH placed=today-2d\n";

/*
 * One partner as the tests see it: who it is, how its ILS calls the
 * endpoint, and the demo data (etc/demo/metro.ils, district.ils, and the
 * county's above) the tests rely on.
 */
struct part {
	const char	*id;
	const char	*name;		/* in screen messages */
	const char	*agency;	/* its institution: AO, FromAgencyId */
	const char	*token;		/* its ILS at the NCIP endpoint */
	struct e2e_ils	*ils;
	const char	*kiosk;		/* a terminal's login, or NULL */
	const char	*kiosk_pw;
	const char	*reader;	/* a patron with several loans */
	const char	*reader_pin;
	const char	*reader_loan;	/* one of them */
	const char	*overdue;	/* another, overdue */
	const char	*renewer;	/* a patron with a renewable loan */
	const char	*renewer_pin;
	const char	*renewable;
	const char	*fined;		/* a patron who owes */
	const char	*fined_pin;
	const char	*fee_id;
	const char	*owed;		/* "12.50" */
	long long	 owed_minor;	/* 1250 */
	const char	*holder;	/* may place holds */
	const char	*holder_pin;
	const char	*item;		/* on the shelf */
	const char	*title;
	const char	*isbn;
	const char	*pickup;
	const char	*routed;	/* on loan, a hold waits elsewhere */
	const char	*borrower;	/* who has it */
	const char	*borrower_pin;
	const char	*dest;
	const char	*waiting;	/* who waits for it */
	const char	*name_part;	/* of the reader's name, for the log */
};

static struct e2e_env	 env;
static struct e2e_ils	 county_ils;

/* Metro: NCIP 2.02 over HTTP, asked in the prefixed dialect. */
static const struct part metro = {
	"metro", E2E_METRO_NAME, "METRO", METRO_TOKEN, &env.metro,
	"metro-kiosk", "metro-kiosk-pw",
	"21000000001", "1111", "31000000004", "31000000006",
	"21000000001", "1111", "31000000004",
	"21000000002", "2222", "F1001", "12.50", 1250,
	"21000000009", "9191",
	"31000000001", "The Left Hand of Darkness", "9780441478125", "MAIN",
	"31000000005", "21000000004", "4321", "EAST", "21000000003",
	"Alvarez",
};

/* The district: NCIP 1.0 over HTTPS, with the token its ILS wants. */
static const struct part district = {
	"district", E2E_DISTRICT_NAME, "DISTRICT", DISTRICT_TOKEN,
	&env.district, "district-desk", "district-desk-pw",
	"22000000001", "4444", "32000000005", "32000000004",
	"22000000002", "5555", "32000000003",
	"22000000001", "4444", "F2001", "1.00", 100,
	"22000000009", "9999",
	"32000000002", "Charlotte's Web", "9780064400558", "LINCOLN",
	"32000000005", "22000000001", "4444", "WESTHIGH", "22000000009",
	"Haddad",
};

/* The county: SIP2 only, no terminal of its own. */
static const struct part county = {
	"county", "County Library", "COUNTY", COUNTY_TOKEN, &county_ils,
	NULL, NULL,
	"23000000001", "8181", "33000000002", "33000000004",
	"23000000001", "8181", "33000000002",
	"23000000001", "8181", "F3001", "3.25", 325,
	"23000000002", "8282",
	"33000000001", "Gilead", "9780312424404", "SOUTH",
	"33000000003", "23000000002", "8282", "NORTH", "23000000001",
	"Quillfeather",
};

/* The NCIP partners a kiosk reaches through translation. */
static const struct part *const ncip_parts[] = { &metro, &district };

/* How an NCIP caller writes its messages. */
enum dia {
	DIA_V2,		/* 2.02, default namespace, qualified attributes */
	DIA_V2_PREFIX,	/* 2.0, ns1: prefix, unqualified attributes */
	DIA_V1,		/* 1.0 with its DOCTYPE */
};

/* --- the simulated ILSes --------------------------------------------- */

/* A number from a control answer: "key=N"; fails the test if absent. */
static long
ans_num(const char *ans, const char *key)
{
	char		 k[64];
	const char	*s;

	snprintf(k, sizeof(k), " %s=", key);
	if ((s = strstr(ans, k)) == NULL)
		fail_msg("no %s in \"%s\"", key, ans);
	return (strtol(s + strlen(k), NULL, 10));
}

/* A number an ILS reports about a patron (loans, holds, fees...). */
static long
patron_num(const struct part *p, const char *barcode, const char *key)
{
	char	 ans[E2E_ANSWER_MAX];

	e2e_ils_show(p->ils, "patron", barcode, ans, sizeof(ans));
	return (ans_num(ans, key));
}

/* How many NCIP requests of a service an ILS has had. */
static long
ncip_count(const struct e2e_ils *ils, const char *service)
{
	char		 ans[E2E_ANSWER_MAX], key[64];
	const char	*s;

	e2e_ctl(ils, "ncip-stats", ans, sizeof(ans));
	snprintf(key, sizeof(key), " %s=", service);
	if ((s = strstr(ans, key)) == NULL)
		return (0);
	return (strtol(s + strlen(key), NULL, 10));
}

/* --- SIP2 kiosks ------------------------------------------------------ */

/* Connect to the SIP2 listener and log in as a partner's kiosk. */
static struct e2e_conn *
kiosk(const struct part *p)
{
	return (e2e_session(&env, L_SIP2, p->kiosk, p->kiosk_pw));
}

/* One request on a kiosk session of its own; returns the answer. */
static struct sip2_msg *
kiosk_ask(const struct part *p, struct sip2_msg *req)
{
	return (e2e_session_ask(&env, L_SIP2, p->kiosk, p->kiosk_pw, req));
}

/*
 * A request from a partner's kiosk that its NCIP ILS cannot carry out:
 * answered with code and a screen message naming the partner and saying
 * words (NULL: anything).  Returns the answer for the test's own checks.
 */
static struct sip2_msg *
refused_naming_partner(const struct part *p, struct sip2_msg *req, int code,
    const char *words)
{
	struct sip2_msg	*r = kiosk_ask(p, req);

	assert_code(r, code);
	assert_contains(e2e_field(r, "AF"), p->name);
	if (words != NULL)
		assert_contains(e2e_field(r, "AF"), words);
	return (r);
}

/* A kiosk's 63 asking for one list (summary position 0-5), with a PIN. */
static struct sip2_msg *
patron_info(const struct part *p, const char *patron, const char *pin,
    int list)
{
	struct sip2_msg	*req;
	char		 summary[11];

	memset(summary, ' ', 10);
	summary[10] = '\0';
	summary[list] = 'Y';
	req = e2e_req(SIP2_PATRON_INFO, "AO", p->agency, "AA", patron, "AC",
	    "", "AD", pin, "BP", "1", "BQ", "50", NULL);
	assert_non_null(req);
	assert_int_equal(sip2_msg_set_fixed(req, SIP2_FX_SUMMARY, summary), 0);
	return (kiosk_ask(p, req));
}

/* A 23 for a partner's patron, with a PIN. */
static struct sip2_msg *
patron_status(const struct part *p, const char *patron, const char *pin)
{
	return (e2e_req(SIP2_PATRON_STATUS, "AO", p->agency, "AA", patron,
	    "AC", "", "AD", pin, NULL));
}

/* Ask 98 until the partner's online flag is want; -1 after timeout_ms. */
static int
wait_online(const struct part *p, char want, int timeout_ms)
{
	return (e2e_wait_online(&env, L_SIP2, p->kiosk, p->kiosk_pw, want,
	    timeout_ms));
}

/* --- NCIP callers ----------------------------------------------------- */

static void
dialect(enum dia d, struct ncip_dialect *out)
{
	memset(out, 0, sizeof(*out));
	switch (d) {
	case DIA_V2:
		out->version = 2;
		out->version_str = NCIP_V2_02;
		out->ns = NCIP_NSS_DEFAULT;
		out->qualified_attrs = 1;
		break;
	case DIA_V2_PREFIX:
		out->version = 2;
		out->version_str = NCIP_V2_0;
		out->ns = NCIP_NSS_PREFIX;
		break;
	case DIA_V1:
		out->version = 1;
		out->version_str = NCIP_V1_0;
		out->doctype = 1;
		break;
	}
}

/* A request from a partner's ILS to the gateway, to be filled in. */
static struct ncip_msg *
call_new(enum ncip_service svc, const struct part *p)
{
	struct ncip_msg	*m;

	assert_non_null(m = ncip_msg_new(svc));
	m->header.present = 1;
	m->header.from_agency.value = p->agency;
	m->header.to_agency.value = "CIRCLINK";
	return (m);
}

/* The patron as AuthenticationInput: a barcode, and a PIN if given. */
static void
call_auth(struct ncip_msg *m, const char *barcode, const char *pin)
{
	struct ncip_auth	*a;
	size_t			 i, n = pin != NULL ? 2 : 1;

	assert_non_null(a = ncip_msg_calloc(m, n, sizeof(*a)));
	for (i = 0; i < n; i++) {
		a[i].data = i == 0 ? barcode : pin;
		a[i].format.value = "text/plain";
		a[i].type.value = i == 0 ? "Barcode Id" : "PIN";
	}
	m->auth = a;
	m->nauth = n;
}

/* The item, as an agency's. */
static void
call_item(struct ncip_msg *m, const struct part *p, const char *item)
{
	m->item_id.agency.value = p->agency;
	m->item_id.value = item;
}

/*
 * A request from a partner's ILS naming a patron of its own (a barcode,
 * and a PIN if given; NULL: none) and one of its items (NULL: none).
 */
static struct ncip_msg *
call_on(enum ncip_service svc, const struct part *p, const char *patron,
    const char *pin, const char *item)
{
	struct ncip_msg	*m = call_new(svc, p);

	if (patron != NULL)
		call_auth(m, patron, pin);
	if (item != NULL)
		call_item(m, p, item);
	return (m);
}

/* A list of element types (UserElementType or ItemElementType). */
static void
call_elements(struct ncip_msg *m, int items, ...)
{
	struct ncip_code	*c;
	const char		*v;
	va_list			 ap;
	size_t			 n = 0;

	assert_non_null(c = ncip_msg_calloc(m, 8, sizeof(*c)));
	va_start(ap, items);
	while (n < 8 && (v = va_arg(ap, const char *)) != NULL)
		c[n++].value = v;
	va_end(ap);
	if (items) {
		m->item_elements = c;
		m->nitem_elements = n;
	} else {
		m->user_elements = c;
		m->nuser_elements = n;
	}
}

/* Encode a request (freed here) in a dialect; the caller frees *body. */
static void
encode(struct ncip_msg *m, enum dia d, struct ncip_dialect *dl, char **body,
    size_t *len)
{
	struct ncip_error	 err;

	dialect(d, dl);
	m->dialect = *dl;
	m->version_str = dl->version_str;
	if (ncip_build(m, dl, body, len, &err) == -1)
		fail_msg("cannot build %s: %s %s", ncip_service_name(
		    m->service), err.element, err.detail);
	ncip_msg_free(m);
}

/* The endpoint's path with a partner's token. */
static void
token_path(const struct part *p, char *path, size_t len)
{
	snprintf(path, len, "/ncip/%s", p->token);
}

/* POST a body to the endpoint with a partner's token. */
static void
post(const struct part *p, int https, const char *body, size_t len,
    struct e2e_http_resp *r)
{
	struct e2e_conn	*c;
	char		 path[128];

	token_path(p, path, sizeof(path));
	c = e2e_gw_connect(&env, https ? L_NCIPS : L_NCIP, NULL, NULL);
	assert_non_null(c);
	assert_int_equal(e2e_http_post(c, path, "application/xml", body, len,
	    r), 0);
	e2e_close(c);
}

/*
 * Send a request (freed here) in a dialect, over HTTP or HTTPS, as a
 * partner's ILS; the answer must be the service's response in the same
 * dialect and with the version string sent.  The caller frees it.
 */
static struct ncip_msg *
call(const struct part *p, struct ncip_msg *m, enum dia d, int https)
{
	struct ncip_dialect	 dl;
	struct e2e_http_resp	 r;
	struct ncip_msg		*a;
	enum ncip_service	 want;
	char			*body;
	size_t			 len;

	want = ncip_service_info(m->service)->response;
	encode(m, d, &dl, &body, &len);
	post(p, https, body, len, &r);
	free(body);
	a = e2e_http_ncip(&r);
	if (a->service != want)
		fail_msg("%s answered %s: %.400s", ncip_service_name(want),
		    ncip_service_name(a->service), r.body);
	if (a->version_str == NULL ||
	    strcmp(a->version_str, dl.version_str) != 0)
		fail_msg("version \"%s\" answered with \"%s\"",
		    dl.version_str, a->version_str != NULL ? a->version_str :
		    "(none)");
	assert_int_equal(a->dialect.version, dl.version);
	if (dl.version == 2)
		assert_int_equal(a->dialect.ns, dl.ns);
	e2e_http_resp_free(&r);
	return (a);
}

/* The answer must carry no Problem. */
static void
assert_no_problem(const struct ncip_msg *a, const char *what)
{
	if (a->nproblems > 0)
		fail_msg("%s: Problem \"%s\" (%s)", what,
		    a->problems[0].type.value != NULL ?
		    a->problems[0].type.value : "?",
		    a->problems[0].detail != NULL ? a->problems[0].detail :
		    "no detail");
}

/* The answer must carry this Problem first. */
static void
assert_problem(const struct ncip_msg *a, enum ncip_problem_type kind)
{
	if (a->nproblems == 0)
		fail_msg("no Problem; expected \"%s\"",
		    ncip_problem_name(kind));
	if (a->problems[0].kind != kind)
		fail_msg("Problem \"%s\" (%s), expected \"%s\"",
		    a->problems[0].type.value != NULL ?
		    a->problems[0].type.value : "?",
		    a->problems[0].detail != NULL ? a->problems[0].detail :
		    "no detail", ncip_problem_name(kind));
}

/* A LookupUser by barcode and PIN wanting everything, in a dialect. */
static struct ncip_msg *
lookup_user(const struct part *p, const char *patron, const char *pin,
    enum dia d, int https)
{
	struct ncip_msg	*m = call_new(NCIP_LOOKUP_USER, p);

	call_auth(m, patron, pin);
	call_elements(m, 0, "Name Information", "Block Or Trap",
	    "User Privilege", NULL);
	m->loans_desired = m->holds_desired = m->account_desired = 1;
	return (call(p, m, d, https));
}

/* Return 1 if a LookupUserResponse lists a loan of the item. */
static int
has_loan(const struct ncip_msg *a, const char *item)
{
	size_t	 i;

	for (i = 0; i < a->nloans; i++)
		if (a->loans[i].item_id.value != NULL &&
		    strcmp(a->loans[i].item_id.value, item) == 0)
			return (1);
	return (0);
}

/* The most specific name of a location, or "". */
static const char *
location_of(const struct ncip_location *l)
{
	const char	*v = "";
	unsigned int	 level = 0;
	size_t		 i;

	for (i = 0; i < l->nnames; i++)
		if (l->names[i].value != NULL && l->names[i].level >= level) {
			level = l->names[i].level;
			v = l->names[i].value;
		}
	return (v);
}

/* --- set-up ----------------------------------------------------------- */

/* Metro's account for the district's students who borrow there. */
#define METRO_VISITOR	"21090000001"

/* The county's and the district's agreement blocks; NULL: accept yes. */
static const char	*county_terms;
static const char	*district_terms;

static int
write_conf(struct e2e_env *e)
{
	const struct e2e_partner	 parts[] = {
		/* Metro's ILS is asked in the prefixed, unqualified way. */
		{ .id = "metro", .name = E2E_METRO_NAME, .institution = "METRO",
		    .patrons = "2100*", .items = "3100*", .loc1 = "MAIN",
		    .loc2 = "EAST", .ils = &e->metro, .ncip = 1,
		    .version = "2.02", .ns = "prefix", .unqualified = 1,
		    .by_auth = 1, .caller_token = METRO_TOKEN,
		    .terms = "\t\taccept yes\n\t\tlink-classes STUDENT",
		    .extra = "\tvisitor-accounts " METRO_VISITOR },
		{ .id = "district", .name = E2E_DISTRICT_NAME,
		    .institution = "DISTRICT", .patrons = "2200*",
		    .items = "3200*", .loc1 = "LINCOLN", .loc2 = "WESTHIGH",
		    .ils = &e->district, .ncip = 1, .tls = 1, .version = "1.0",
		    .ils_token = DISTRICT_ILS_TOKEN,
		    .caller_token = DISTRICT_TOKEN, .terms = district_terms },
		{ .id = "county", .name = "County Library",
		    .institution = "COUNTY", .patrons = "2300*",
		    .items = "3300*", .loc1 = "NORTH", .loc2 = "SOUTH",
		    .ils = &county_ils, .password = COUNTY_ILS_PW,
		    .location = "SOUTH", .caller_token = COUNTY_TOKEN,
		    .terms = county_terms },
	};

	return (e2e_gw_write_partners(e, parts, 3));
}

static int
group_setup(void **state)
{
	char	 path[E2E_PATH_MAX + 32];

	ncip_init();
	if (e2e_env_init(&env) == -1 || e2e_ils_start_demo(&env, 1) == -1)
		goto fail;
	snprintf(path, sizeof(path), "%s/county.ils", env.dir);
	if (e2e_write_file(path, county_data) == -1 ||
	    e2e_ils_start(&env, &county_ils, "county", path) == -1)
		goto fail;

	e2e_listeners_init(&env, 3);
	env.listeners[L_NCIP].ncip = 1;
	env.listeners[L_NCIPS].ncip = 1;
	env.listeners[L_NCIPS].tls = 1;
	if (e2e_terminal_add(&env, metro.kiosk, metro.kiosk_pw, "metro",
	    "MAIN", NULL, NULL) == -1 ||
	    e2e_terminal_add(&env, district.kiosk, district.kiosk_pw,
	    "district", "LINCOLN", NULL, NULL) == -1)
		goto fail;

	if (e2e_gw_launch(&env, write_conf) == -1 ||
	    e2e_partners_online(&env, L_SIP2, 10000) == -1)
		goto fail;
	return (0);

fail:
	e2e_proc_stop(&county_ils.pid);
	e2e_env_cleanup(&env);
	return (-1);
}

static int
group_teardown(void **state)
{
	e2e_proc_stop(&county_ils.pid);
	e2e_env_cleanup(&env);
	return (0);
}

/*
 * Before each test: every ILS healthy and back to its data file, and both
 * NCIP partners online through the gateway.
 */
static int
ready(void **state)
{
	if (e2e_ils_ctl(&county_ils, "normal", NULL, 0) == -1 ||
	    e2e_ils_ctl(&county_ils, "reset", NULL, 0) == -1)
		return (-1);
	return (e2e_ready(&env, L_SIP2));
}

/* After each test: whatever happened, the gateway must still run. */
static int
still_alive(void **state)
{
	return (e2e_gw_survived(&env));
}

/* --- SIP2 kiosks to NCIP partners -------------------------------------- */

static void
test_sc_status_reports_ncip_partners_online(void **state)
{
	struct sip2_msg	*r;
	size_t		 i;

	for (i = 0; i < 2; i++) {
		r = kiosk_ask(ncip_parts[i], e2e_req(SIP2_SC_STATUS, NULL));
		assert_code(r, SIP2_ACS_STATUS);
		assert_string_equal(e2e_fixed(r, SIP2_FX_ONLINE), "Y");
		assert_string_equal(e2e_fixed(r, SIP2_FX_CHECKOUT_OK), "Y");
		assert_string_equal(e2e_field(r, "AO"),
		    ncip_parts[i]->agency);
		assert_string_equal(e2e_field(r, "AM"), ncip_parts[i]->name);
		assert_int_equal(strlen(e2e_field(r, "BX")), 16);
		sip2_msg_free(r);
	}
}

static void
test_patron_status_from_ncip_ils(void **state)
{
	const struct part	*p;
	struct e2e_conn		*c;
	struct sip2_msg		*r;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		p = ncip_parts[i];
		c = kiosk(p);
		r = e2e_ask(c, patron_status(p, p->fined, p->fined_pin));
		assert_code(r, SIP2_PATRON_STATUS_RESP);
		assert_string_equal(e2e_field(r, "AA"), p->fined);
		assert_string_equal(e2e_field(r, "BL"), "Y");
		assert_string_equal(e2e_field(r, "CQ"), "Y");
		assert_true(strlen(e2e_field(r, "AE")) > 0);
		assert_string_equal(e2e_field(r, "BH"), "USD");
		assert_string_equal(e2e_field(r, "BV"), p->owed);
		assert_int_equal(e2e_fixed(r, SIP2_FX_PATRON_STATUS)[0], ' ');
		sip2_msg_free(r);

		/* A wrong PIN: known, not confirmed, nothing personal. */
		r = e2e_ask(c, patron_status(p, p->fined, "0000"));
		assert_code(r, SIP2_PATRON_STATUS_RESP);
		assert_string_equal(e2e_field(r, "BL"), "Y");
		assert_string_equal(e2e_field(r, "CQ"), "N");
		assert_string_equal(e2e_field(r, "AE"), "");
		sip2_msg_free(r);

		/* A card the ILS does not know. */
		r = e2e_ask(c, patron_status(p, i == 0 ? "21009999999" :
		    "22009999999", "1234"));
		assert_code(r, SIP2_PATRON_STATUS_RESP);
		assert_string_equal(e2e_field(r, "BL"), "N");
		assert_memory_equal(e2e_fixed(r, SIP2_FX_PATRON_STATUS),
		    "YYYY", 4);
		sip2_msg_free(r);
		e2e_close(c);
	}
}

static void
test_patron_info_lists_charged_items(void **state)
{
	const struct part	*p;
	struct sip2_msg		*r;
	long			 loans;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		p = ncip_parts[i];
		loans = patron_num(p, p->reader, "loans");
		r = patron_info(p, p->reader, p->reader_pin, 2);
		assert_code(r, SIP2_PATRON_INFO_RESP);
		assert_string_equal(e2e_field(r, "BL"), "Y");
		assert_string_equal(e2e_field(r, "CQ"), "Y");
		assert_int_equal(atoi(e2e_fixed(r, SIP2_FX_CHARGED_COUNT)),
		    loans);
		assert_int_equal(e2e_fields_with(r, "AU", NULL), loans);
		assert_int_equal(e2e_fields_with(r, "AU", p->reader_loan), 1);
		assert_int_equal(e2e_fields_with(r, "AU", p->overdue), 1);
		/* Only the list asked for. */
		assert_int_equal(e2e_fields_with(r, "AT", NULL), 0);
		sip2_msg_free(r);
	}
}

static void
test_patron_info_lists_overdue_items(void **state)
{
	const struct part	*p;
	struct sip2_msg		*r;
	long			 overdue;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		p = ncip_parts[i];
		overdue = patron_num(p, p->reader, "overdue");
		assert_true(overdue >= 1);
		r = patron_info(p, p->reader, p->reader_pin, 1);
		assert_code(r, SIP2_PATRON_INFO_RESP);
		assert_int_equal(atoi(e2e_fixed(r, SIP2_FX_OVERDUE_COUNT)),
		    overdue);
		assert_int_equal(e2e_fields_with(r, "AT", NULL), overdue);
		assert_int_equal(e2e_fields_with(r, "AT", p->overdue), 1);
		assert_int_equal(e2e_fields_with(r, "AT", p->reader_loan), 0);
		sip2_msg_free(r);
	}
}

static void
test_patron_info_lists_hold_items(void **state)
{
	struct sip2_msg	*r;

	/* Metro: Noah's hold waits on the East Branch shelf. */
	r = patron_info(&metro, "21000000003", "3333", 0);
	assert_code(r, SIP2_PATRON_INFO_RESP);
	assert_int_equal(atoi(e2e_fixed(r, SIP2_FX_HOLD_COUNT)),
	    patron_num(&metro, "21000000003", "ready"));
	assert_int_equal(e2e_fields_with(r, "AS", NULL), 1);
	assert_int_equal(e2e_fields_with(r, "AS", "31000000012"), 1);
	assert_int_equal(e2e_fields_with(r, "CD", NULL), 0);
	sip2_msg_free(r);

	/* The district: returning the item sets it aside for the holder. */
	r = kiosk_ask(&district, e2e_req(SIP2_CHECKIN, "AP", "WESTHIGH", "AO",
	    "DISTRICT", "AB", district.routed, "AC", "", NULL));
	assert_code(r, SIP2_CHECKIN_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	sip2_msg_free(r);
	e2e_ils_has(district.ils, "patron", district.waiting, "ready=1");
	r = patron_info(&district, district.waiting, "9999", 0);
	assert_code(r, SIP2_PATRON_INFO_RESP);
	assert_int_equal(atoi(e2e_fixed(r, SIP2_FX_HOLD_COUNT)), 1);
	assert_int_equal(e2e_fields_with(r, "AS", NULL), 1);
	/*
	 * A version 1 RequestedItem names the request or the item, not
	 * both; with the request id the gateway lists the hold by title.
	 */
	assert_int_equal(e2e_fields_with(r, "AS", district.routed) +
	    e2e_fields_with(r, "AS", "The Hunger Games"), 1);
	sip2_msg_free(r);
}

static void
test_patron_info_lists_unavailable_holds(void **state)
{
	struct sip2_msg	*r;

	/* Metro: Noah waits second in Piranesi's queue. */
	r = patron_info(&metro, "21000000003", "3333", 5);
	assert_code(r, SIP2_PATRON_INFO_RESP);
	assert_int_equal(atoi(e2e_fixed(r, SIP2_FX_UNAVAIL_HOLD_COUNT)), 1);
	assert_int_equal(e2e_fields_with(r, "CD", NULL), 1);
	assert_int_equal(e2e_fields_with(r, "CD", "31000000005"), 1);
	assert_int_equal(e2e_fields_with(r, "AS", NULL), 0);
	sip2_msg_free(r);

	/* The district: Kofi's hold on any copy of a title. */
	r = patron_info(&district, "22000000002", "5555", 5);
	assert_code(r, SIP2_PATRON_INFO_RESP);
	assert_int_equal(atoi(e2e_fixed(r, SIP2_FX_UNAVAIL_HOLD_COUNT)),
	    patron_num(&district, "22000000002", "holds"));
	assert_int_equal(e2e_fields_with(r, "CD", NULL), 1);
	sip2_msg_free(r);
}

static void
test_patron_info_lists_fines(void **state)
{
	const struct part	*p;
	struct sip2_msg		*r;
	char			 line[64];
	size_t			 i;

	for (i = 0; i < 2; i++) {
		p = ncip_parts[i];
		r = patron_info(p, p->fined, p->fined_pin, 3);
		assert_code(r, SIP2_PATRON_INFO_RESP);
		assert_int_equal(atoi(e2e_fixed(r, SIP2_FX_FINE_COUNT)),
		    patron_num(p, p->fined, "fees"));
		assert_string_equal(e2e_field(r, "BV"), p->owed);
		assert_string_equal(e2e_field(r, "BH"), "USD");
		/* "<fee id> <amount> ...", as the codec writes AV. */
		snprintf(line, sizeof(line), "%s %s", p->fee_id, p->owed);
		assert_int_equal(e2e_fields_with(r, "AV", line), 1);
		sip2_msg_free(r);
	}
}

static void
test_patron_info_pages_list(void **state)
{
	struct sip2_msg	*r, *req;

	/* Metro's reader has four loans; the kiosk asks for the 2nd-3rd. */
	assert_int_equal(patron_num(&metro, metro.reader, "loans"), 4);
	req = e2e_req(SIP2_PATRON_INFO, "AO", "METRO", "AA", metro.reader,
	    "AC", "", "AD", metro.reader_pin, "BP", "2", "BQ", "3", NULL);
	assert_non_null(req);
	assert_int_equal(sip2_msg_set_fixed(req, SIP2_FX_SUMMARY,
	    "  Y       "), 0);
	r = kiosk_ask(&metro, req);
	assert_code(r, SIP2_PATRON_INFO_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_CHARGED_COUNT), "0004");
	assert_int_equal(e2e_fields_with(r, "AU", NULL), 2);
	sip2_msg_free(r);
}

static void
test_patron_info_recall_list_empty(void **state)
{
	const struct part	*p;
	struct sip2_msg		*r;
	size_t			 i;

	/* NCIP has no recall list: the count is 0 and nothing is made up. */
	for (i = 0; i < 2; i++) {
		p = ncip_parts[i];
		r = patron_info(p, p->reader, p->reader_pin, 4);
		assert_code(r, SIP2_PATRON_INFO_RESP);
		assert_string_equal(e2e_field(r, "BL"), "Y");
		assert_string_equal(e2e_fixed(r, SIP2_FX_RECALL_COUNT),
		    "0000");
		assert_int_equal(e2e_fields_with(r, "BU", NULL), 0);
		/* The other counts are there all the same. */
		assert_int_equal(atoi(e2e_fixed(r, SIP2_FX_CHARGED_COUNT)),
		    patron_num(p, p->reader, "loans"));
		sip2_msg_free(r);
	}
}

static void
test_checkout_charges_item_at_ncip_ils(void **state)
{
	const struct part	*p;
	struct sip2_msg		*r;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		p = ncip_parts[i];
		r = kiosk_ask(p, e2e_req(SIP2_CHECKOUT, "AO", p->agency, "AA",
		    p->holder, "AB", p->item, "AC", "", "AD", p->holder_pin,
		    NULL));
		assert_code(r, SIP2_CHECKOUT_RESP);
		assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
		assert_string_equal(e2e_fixed(r, SIP2_FX_DESENSITIZE), "Y");
		assert_string_equal(e2e_field(r, "AA"), p->holder);
		assert_string_equal(e2e_field(r, "AB"), p->item);
		assert_string_equal(e2e_field(r, "AJ"), p->title);
		assert_int_equal(strlen(e2e_field(r, "AH")), 18);
		sip2_msg_free(r);

		e2e_ils_has(p->ils, "item", p->item, "status=04");
		e2e_ils_has(p->ils, "item", p->item, "patron=%s", p->holder);
	}
}

static void
test_checkout_refusals_from_ncip_ils(void **state)
{
	const struct part	*p;
	struct e2e_conn		*c;
	struct sip2_msg		*r;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		p = ncip_parts[i];
		c = kiosk(p);
		/* Out to another patron. */
		r = e2e_ask(c, e2e_req(SIP2_CHECKOUT, "AO", p->agency, "AA",
		    p->holder, "AB", p->reader_loan, "AC", "", "AD",
		    p->holder_pin, NULL));
		assert_code(r, SIP2_CHECKOUT_RESP);
		assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "0");
		assert_true(strlen(e2e_field(r, "AF")) > 0);
		sip2_msg_free(r);
		e2e_ils_has(p->ils, "item", p->reader_loan, "patron=%s",
		    p->reader);

		/* A wrong PIN lends nothing. */
		r = e2e_ask(c, e2e_req(SIP2_CHECKOUT, "AO", p->agency, "AA",
		    p->holder, "AB", p->item, "AC", "", "AD", "0000", NULL));
		assert_code(r, SIP2_CHECKOUT_RESP);
		assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "0");
		assert_true(strlen(e2e_field(r, "AF")) > 0);
		sip2_msg_free(r);
		e2e_close(c);
		e2e_ils_has(p->ils, "item", p->item, "status=03");
	}
}

static void
test_checkin_routes_item_to_waiting_hold(void **state)
{
	const struct part	*p;
	struct sip2_msg		*r;
	char			 want[64];
	size_t			 i;

	for (i = 0; i < 2; i++) {
		p = ncip_parts[i];
		/* Returned at a branch that is not the hold's pickup. */
		r = kiosk_ask(p, e2e_req(SIP2_CHECKIN, "AP", i == 0 ? "MAIN" :
		    "LINCOLN", "AO", p->agency, "AB", p->routed, "AC", "",
		    NULL));
		assert_code(r, SIP2_CHECKIN_RESP);
		assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
		assert_string_equal(e2e_fixed(r, SIP2_FX_ALERT), "Y");
		assert_string_equal(e2e_field(r, "AB"), p->routed);
		assert_string_equal(e2e_field(r, "CT"), p->dest);
		assert_string_equal(e2e_field(r, "CV"), "02");
		assert_string_equal(e2e_field(r, "CY"), p->waiting);
		snprintf(want, sizeof(want), "Hold for pickup at %s", p->dest);
		assert_contains(e2e_field(r, "AF"), want);
		sip2_msg_free(r);

		e2e_ils_has(p->ils, "item", p->routed, "patron=-");
		e2e_ils_has(p->ils, "item", p->routed, "held-for=%s",
		    p->waiting);
	}
}

static void
test_renew_extends_loan_at_ncip_ils(void **state)
{
	const struct part	*p;
	struct sip2_msg		*r;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		p = ncip_parts[i];
		e2e_ils_has(p->ils, "item", p->renewable, "renewals=0");
		r = kiosk_ask(p, e2e_req(SIP2_RENEW, "AO", p->agency, "AA",
		    p->renewer, "AD", p->renewer_pin, "AB", p->renewable,
		    "AC", "", NULL));
		assert_code(r, SIP2_RENEW_RESP);
		assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
		assert_string_equal(e2e_field(r, "AB"), p->renewable);
		assert_int_equal(strlen(e2e_field(r, "AH")), 18);
		sip2_msg_free(r);
		e2e_ils_has(p->ils, "item", p->renewable, "renewals=1");
	}
}

static void
test_renew_all_renews_each_loan(void **state)
{
	struct e2e_conn	*c;
	struct sip2_msg	*r;
	long		 loans;

	/* Metro: every loan of the reader is renewed, one call each. */
	loans = patron_num(&metro, metro.reader, "loans");
	r = kiosk_ask(&metro, e2e_req(SIP2_RENEW_ALL, "AO", "METRO", "AA",
	    metro.reader, "AD", metro.reader_pin, "AC", "", NULL));
	assert_code(r, SIP2_RENEW_ALL_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	assert_string_equal(e2e_field(r, "AO"), "METRO");
	assert_int_equal(atoi(e2e_fixed(r, SIP2_FX_RENEWED_COUNT)) +
	    atoi(e2e_fixed(r, SIP2_FX_UNRENEWED_COUNT)), loans);
	assert_int_equal(e2e_fields_with(r, "BM", metro.reader_loan), 1);
	assert_int_equal(e2e_fields_with(r, "BM", NULL),
	    atoi(e2e_fixed(r, SIP2_FX_RENEWED_COUNT)));
	sip2_msg_free(r);
	e2e_ils_has(metro.ils, "item", metro.reader_loan, "renewals=1");
	assert_int_equal(ncip_count(metro.ils, "RenewItem"), loans);

	/* The district: a loan someone waits for stays unrenewed. */
	c = kiosk(&district);
	r = e2e_ask(c, e2e_req(SIP2_RENEW_ALL, "AO", "DISTRICT", "AA",
	    district.reader, "AD", district.reader_pin, "AC", "", NULL));
	assert_code(r, SIP2_RENEW_ALL_RESP);
	assert_int_equal(e2e_fields_with(r, "BN", district.routed), 1);
	assert_true(atoi(e2e_fixed(r, SIP2_FX_UNRENEWED_COUNT)) >= 1);
	sip2_msg_free(r);
	r = e2e_ask(c, e2e_req(SIP2_RENEW_ALL, "AO", "DISTRICT", "AA",
	    district.renewer, "AD", district.renewer_pin, "AC", "", NULL));
	assert_code(r, SIP2_RENEW_ALL_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	assert_int_equal(e2e_fields_with(r, "BM", district.renewable), 1);
	sip2_msg_free(r);
	e2e_close(c);
	e2e_ils_has(district.ils, "item", district.routed, "renewals=0");
	e2e_ils_has(district.ils, "item", district.renewable, "renewals=1");
}

static void
test_hold_placed_and_cancelled_at_ncip_ils(void **state)
{
	const struct part	*p;
	struct e2e_conn		*c;
	struct sip2_msg		*r, *req;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		p = ncip_parts[i];
		c = kiosk(p);
		req = e2e_req(SIP2_HOLD, "AO", p->agency, "AA", p->holder,
		    "AD", p->holder_pin, "AB", p->item, "BS", p->pickup, "BY",
		    "3", "AC", "", NULL);
		assert_non_null(req);
		sip2_msg_set_fixed(req, SIP2_FX_HOLD_MODE, "+");
		r = e2e_ask(c, req);
		assert_code(r, SIP2_HOLD_RESP);
		assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
		assert_string_equal(e2e_field(r, "AB"), p->item);
		sip2_msg_free(r);
		e2e_ils_has(p->ils, "item", p->item, "queue=%s", p->holder);

		req = e2e_req(SIP2_HOLD, "AO", p->agency, "AA", p->holder,
		    "AD", p->holder_pin, "AB", p->item, "AC", "", NULL);
		assert_non_null(req);
		sip2_msg_set_fixed(req, SIP2_FX_HOLD_MODE, "-");
		r = e2e_ask(c, req);
		assert_code(r, SIP2_HOLD_RESP);
		assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
		sip2_msg_free(r);
		e2e_close(c);
		e2e_ils_has(p->ils, "item", p->item, "queue=-");
	}
}

static void
test_hold_by_title_only_needs_item(void **state)
{
	const struct part	*p;
	struct sip2_msg		*r, *req;
	long			 holds;
	size_t			 i;

	/* NCIP requests by ItemId or BibliographicId, never by title. */
	for (i = 0; i < 2; i++) {
		p = ncip_parts[i];
		holds = patron_num(p, p->holder, "holds");
		req = e2e_req(SIP2_HOLD, "AO", p->agency, "AA", p->holder,
		    "AD", p->holder_pin, "AJ", p->title, "BY", "2", "AC", "",
		    NULL);
		assert_non_null(req);
		sip2_msg_set_fixed(req, SIP2_FX_HOLD_MODE, "+");
		r = refused_naming_partner(p, req, SIP2_HOLD_RESP, NULL);
		assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "0");
		sip2_msg_free(r);
		assert_int_equal(patron_num(p, p->holder, "holds"), holds);
	}
}

static void
test_hold_pickup_change_refused_naming_partner(void **state)
{
	const struct part	*p;
	struct sip2_msg		*r, *req;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		p = ncip_parts[i];
		req = e2e_req(SIP2_HOLD, "AO", p->agency, "AA", p->holder,
		    "AD", p->holder_pin, "AB", p->item, "BS", p->pickup, "AC",
		    "", NULL);
		assert_non_null(req);
		sip2_msg_set_fixed(req, SIP2_FX_HOLD_MODE, "*");
		r = refused_naming_partner(p, req, SIP2_HOLD_RESP,
		    "pickup location");
		assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "0");
		sip2_msg_free(r);
	}
}

static void
test_item_info_from_ncip_ils(void **state)
{
	const struct part	*p;
	struct e2e_conn		*c;
	struct sip2_msg		*r;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		p = ncip_parts[i];
		c = kiosk(p);
		r = e2e_ask(c, e2e_req(SIP2_ITEM_INFO, "AO", p->agency, "AB",
		    p->item, "AC", "", NULL));
		assert_code(r, SIP2_ITEM_INFO_RESP);
		assert_string_equal(e2e_field(r, "AB"), p->item);
		assert_string_equal(e2e_field(r, "AJ"), p->title);
		assert_string_equal(e2e_fixed(r, SIP2_FX_CIRC_STATUS), "03");
		assert_string_equal(e2e_field(r, "AQ"), p->pickup);
		assert_true(strlen(e2e_field(r, "CS")) > 0);
		sip2_msg_free(r);

		/* On loan: charged, with its due date. */
		r = e2e_ask(c, e2e_req(SIP2_ITEM_INFO, "AO", p->agency, "AB",
		    p->reader_loan, "AC", "", NULL));
		assert_code(r, SIP2_ITEM_INFO_RESP);
		assert_string_equal(e2e_fixed(r, SIP2_FX_CIRC_STATUS), "04");
		/* Version 1 has no due date among the item's fields. */
		if (p == &metro)
			assert_int_equal(strlen(e2e_field(r, "AH")), 18);
		sip2_msg_free(r);
		e2e_close(c);
	}
}

static void
test_item_info_for_other_partner_goes_to_its_ils(void **state)
{
	struct sip2_msg	*r;
	long		 metro0, district0;

	metro0 = ncip_count(metro.ils, "LookupItem");
	district0 = ncip_count(district.ils, "LookupItem");
	r = kiosk_ask(&metro, e2e_req(SIP2_ITEM_INFO, "AO", "METRO", "AB",
	    district.item, "AC", "", NULL));
	assert_code(r, SIP2_ITEM_INFO_RESP);
	assert_string_equal(e2e_field(r, "AB"), district.item);
	assert_string_equal(e2e_field(r, "AJ"), district.title);
	sip2_msg_free(r);
	assert_int_equal(ncip_count(district.ils, "LookupItem"), district0 + 1);
	assert_int_equal(ncip_count(metro.ils, "LookupItem"), metro0);
}

static void
test_end_patron_session_answered_by_gateway(void **state)
{
	const struct part	*p;
	struct sip2_msg		*r;
	size_t			 i;

	/* NCIP has no session to end: the gateway says yes itself. */
	for (i = 0; i < 2; i++) {
		p = ncip_parts[i];
		r = kiosk_ask(p, e2e_req(SIP2_END_SESSION, "AO", p->agency,
		    "AA", p->reader, "AC", "", "AD", p->reader_pin, NULL));
		assert_code(r, SIP2_END_SESSION_RESP);
		assert_string_equal(e2e_field(r, "AA"), p->reader);
		if (strcmp(e2e_fixed(r, SIP2_FX_END_SESSION), "Y") != 0)
			fail_msg("36 says %s: %s", e2e_fixed(r,
			    SIP2_FX_END_SESSION), e2e_field(r, "AF"));
		sip2_msg_free(r);
	}
}

static void
test_fee_paid_refused_naming_partner(void **state)
{
	const struct part	*p;
	struct sip2_msg		*r;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		p = ncip_parts[i];
		r = refused_naming_partner(p, e2e_req(SIP2_FEE_PAID, "BV",
		    "0.50", "AO", p->agency, "AA", p->fined, "AD",
		    p->fined_pin, "AC", "", "CG", p->fee_id, NULL),
		    SIP2_FEE_PAID_RESP, "fee payments");
		assert_string_equal(e2e_fixed(r, SIP2_FX_PAYMENT_ACCEPTED),
		    "N");
		sip2_msg_free(r);
		e2e_ils_has(p->ils, "patron", p->fined, "owed=%s", p->owed);
	}
}

static void
test_item_status_update_refused_naming_partner(void **state)
{
	const struct part	*p;
	struct sip2_msg		*r;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		p = ncip_parts[i];
		r = refused_naming_partner(p, e2e_req(SIP2_ITEM_STATUS, "AO",
		    p->agency, "AB", p->item, "AC", "", "CH", "e2e-props",
		    NULL), SIP2_ITEM_STATUS_RESP, "item properties");
		assert_string_equal(e2e_fixed(r, SIP2_FX_ITEM_PROPS_OK), "0");
		sip2_msg_free(r);
		e2e_ils_has(p->ils, "item", p->item, "props=-");
	}
}

static void
test_patron_enable_refused_naming_partner(void **state)
{
	const struct part	*p;
	struct sip2_msg		*r;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		p = ncip_parts[i];
		r = refused_naming_partner(p, e2e_req(SIP2_PATRON_ENABLE, "AO",
		    p->agency, "AA", p->reader, "AC", "", "AD", p->reader_pin,
		    NULL), SIP2_PATRON_ENABLE_RESP, "re-enabling cards");
		sip2_msg_free(r);
	}
}

static void
test_block_patron_through_update_user(void **state)
{
	const struct part	*p;
	struct sip2_msg		*r;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		p = ncip_parts[i];
		r = kiosk_ask(p, e2e_req(SIP2_BLOCK_PATRON, "AO", p->agency,
		    "AL", "Card reported stolen", "AA", p->reader, "AC", "",
		    NULL));
		assert_code(r, SIP2_PATRON_STATUS_RESP);
		assert_string_equal(e2e_field(r, "AA"), p->reader);
		assert_int_equal(e2e_fixed(r, SIP2_FX_PATRON_STATUS)[0], 'Y');
		sip2_msg_free(r);
		e2e_ils_has(p->ils, "patron", p->reader, "blocked=yes");
	}
}

/* --- NCIP callers served by SIP2 and NCIP ILSes ------------------------ */

/* Which partner each test's three calls go to, and how. */
static const struct {
	const struct part	*p;
	enum dia		 d;
	int			 https;
} round1[] = {
	{ &county, DIA_V2, 0 },
	{ &metro, DIA_V2_PREFIX, 1 },
	{ &district, DIA_V1, 0 },
}, round2[] = {
	{ &county, DIA_V1, 1 },
	{ &metro, DIA_V2, 0 },
	{ &district, DIA_V2_PREFIX, 1 },
}, round3[] = {
	{ &county, DIA_V2_PREFIX, 0 },
	{ &metro, DIA_V1, 1 },
	{ &district, DIA_V2, 0 },
};

static void
test_ncip_lookup_user_by_authentication_input(void **state)
{
	const struct part	*p;
	struct ncip_msg		*a;
	char			 ans[E2E_ANSWER_MAX];
	size_t			 i;

	for (i = 0; i < 3; i++) {
		p = round1[i].p;
		e2e_ils_show(p->ils, "patron", p->reader, ans, sizeof(ans));
		a = lookup_user(p, p->reader, p->reader_pin, round1[i].d,
		    round1[i].https);
		assert_no_problem(a, p->id);
		assert_string_equal(a->user_id.value, p->reader);
		assert_int_equal(a->nloans, ans_num(ans, "loans"));
		assert_true(has_loan(a, p->reader_loan));
		assert_true(has_loan(a, p->overdue));
		assert_int_equal(a->naccounts, 1);
		assert_true(a->accounts[0].balance.set);
		assert_string_equal(a->accounts[0].balance.currency.value,
		    "USD");
		assert_int_equal(a->accounts[0].balance.value,
		    strcmp(p->reader, p->fined) == 0 ? p->owed_minor : 0);
		/* Version 1 has no counts; version 2 counts holds too. */
		if (round1[i].d != DIA_V1) {
			assert_int_equal(a->nloan_counts, 1);
			assert_int_equal(a->loan_counts[0].value,
			    ans_num(ans, "loans"));
			assert_int_equal(a->nhold_counts, 1);
			assert_int_equal(a->hold_counts[0].value,
			    ans_num(ans, "holds"));
		}
		assert_true(a->user.name.present);
		ncip_msg_free(a);
	}
}

static void
test_ncip_lookup_user_by_user_id(void **state)
{
	const struct part	*p;
	struct ncip_msg		*m, *a;
	size_t			 i;

	for (i = 0; i < 3; i++) {
		p = round2[i].p;
		m = call_new(NCIP_LOOKUP_USER, p);
		m->user_id.agency.value = p->agency;
		m->user_id.value = p->fined;
		m->account_desired = 1;
		a = call(p, m, round2[i].d, round2[i].https);
		assert_no_problem(a, p->id);
		assert_string_equal(a->user_id.value, p->fined);
		assert_int_equal(a->naccounts, 1);
		assert_int_equal(a->accounts[0].balance.value,
		    p->owed_minor);
		/* Nothing was asked but the account. */
		assert_int_equal(a->nloans, 0);
		ncip_msg_free(a);
	}
}

static void
test_ncip_lookup_user_refusals(void **state)
{
	const struct part	*p;
	struct ncip_msg		*m, *a;
	size_t			 i;

	for (i = 0; i < 3; i++) {
		p = round3[i].p;
		a = lookup_user(p, p->reader, "0000", round3[i].d,
		    round3[i].https);
		assert_problem(a, NCIP_PT_USER_AUTH_FAILED);
		ncip_msg_free(a);

		m = call_new(NCIP_LOOKUP_USER, p);
		m->user_id.value = p == &county ? "23009999999" :
		    p == &metro ? "21009999999" : "22009999999";
		a = call(p, m, round3[i].d, round3[i].https);
		assert_problem(a, NCIP_PT_UNKNOWN_USER);
		ncip_msg_free(a);
	}
}

static void
test_ncip_lookup_item(void **state)
{
	const struct part	*p;
	struct ncip_msg		*m, *a;
	size_t			 i;

	for (i = 0; i < 3; i++) {
		p = round3[i].p;
		m = call_new(NCIP_LOOKUP_ITEM, p);
		call_item(m, p, p->item);
		call_elements(m, 1, "Bibliographic Description",
		    "Circulation Status", "Location", NULL);
		a = call(p, m, round3[i].d, round3[i].https);
		assert_no_problem(a, p->id);
		assert_string_equal(a->item_id.value, p->item);
		assert_true(a->item.present);
		assert_string_equal(a->item.bib.title, p->title);
		assert_string_equal(a->item.circ_status.value,
		    "Available On Shelf");
		ncip_msg_free(a);
	}
}

static void
test_ncip_lookup_item_goes_to_owner(void **state)
{
	const struct part	*p;
	struct ncip_msg		*m, *a;
	long			 metro0, district0;
	size_t			 i;

	/* The county's ILS asks about the others' items. */
	metro0 = ncip_count(metro.ils, "LookupItem");
	district0 = ncip_count(district.ils, "LookupItem");
	for (i = 0; i < 2; i++) {
		p = ncip_parts[i];
		m = call_new(NCIP_LOOKUP_ITEM, &county);
		call_item(m, p, p->item);
		call_elements(m, 1, "Bibliographic Description", NULL);
		a = call(&county, m, i == 0 ? DIA_V2 : DIA_V1, i == 1);
		assert_no_problem(a, p->id);
		assert_string_equal(a->item.bib.title, p->title);
		ncip_msg_free(a);
	}
	assert_int_equal(ncip_count(metro.ils, "LookupItem"), metro0 + 1);
	assert_int_equal(ncip_count(district.ils, "LookupItem"),
	    district0 + 1);
}

/*
 * Without an agreement in force the county's ILS cannot look up another
 * partner's item: the standard problem, with the reason, and nothing
 * reaches the owner's ILS.
 */
static void
test_ncip_lookup_item_refused_without_agreement(void **state)
{
	struct ncip_msg	*m, *a;
	long		 metro0;

	county_terms = "\t\taccept no";
	assert_int_equal(e2e_gw_reload(&env, write_conf), 0);
	metro0 = ncip_count(metro.ils, "LookupItem");
	m = call_new(NCIP_LOOKUP_ITEM, &county);
	call_item(m, &metro, metro.item);
	a = call(&county, m, DIA_V2, 0);
	assert_problem(a, NCIP_PT_UNAUTHORIZED_SERVICE);
	assert_non_null(a->problems[0].detail);
	assert_contains(a->problems[0].detail, "agreement");
	ncip_msg_free(a);
	assert_int_equal(ncip_count(metro.ils, "LookupItem"), metro0);

	county_terms = NULL;
	assert_int_equal(e2e_gw_reload(&env, write_conf), 0);
	m = call_new(NCIP_LOOKUP_ITEM, &county);
	call_item(m, &metro, metro.item);
	a = call(&county, m, DIA_V2, 0);
	assert_no_problem(a, metro.id);
	ncip_msg_free(a);
	assert_int_equal(ncip_count(metro.ils, "LookupItem"), metro0 + 1);
}

/*
 * Return anywhere to an NCIP 1 owner that gives no routing: the metro
 * kiosk is still told the item goes back to the district.
 */
static void
test_return_at_metro_of_district_item(void **state)
{
	struct sip2_msg	*r;
	long		 before = ncip_count(district.ils, "CheckInItem");

	r = kiosk_ask(&metro, e2e_req(SIP2_CHECKIN, "AP", "MAIN", "AO",
	    "METRO", "AB", district.item, "AC", "", NULL));
	assert_code(r, SIP2_CHECKIN_RESP);
	assert_string_equal(e2e_fixed(r, SIP2_FX_OK), "1");
	assert_string_equal(e2e_field(r, "CT"), "DISTRICT");
	assert_string_equal(e2e_field(r, "CV"), "04");
	assert_contains(e2e_field(r, "AF"), "Return to " E2E_DISTRICT_NAME);
	sip2_msg_free(r);
	assert_int_equal(ncip_count(district.ils, "CheckInItem"), before + 1);
}

/* LookupUser of another partner's patron, as its ILS would send it. */
static struct ncip_msg *
lookup_user_of(const struct part *caller, const char *patron,
    const char *pin)
{
	struct ncip_msg	*m = call_new(NCIP_LOOKUP_USER, caller);

	call_auth(m, patron, pin);
	call_elements(m, 0, "Name Information", "User Address Information",
	    "User Privilege", NULL);
	m->loans_desired = 1;
	return (call(caller, m, DIA_V2, 0));
}

/*
 * What the county's ILS learns of a district patron over NCIP: the
 * district's terms apply as at a kiosk (no postal or electronic address,
 * loans counted but not listed), and a class it excludes is an unknown
 * user.
 */
static void
test_ncip_lookup_user_filtered_by_the_homes_terms(void **state)
{
	struct ncip_msg	*a;
	long		 n = 0;
	size_t		 i;

	a = lookup_user_of(&district, district.reader, district.reader_pin);
	assert_no_problem(a, district.id);
	assert_true(a->user.naddresses > 0);
	assert_true(a->nloans > 0);
	ncip_msg_free(a);

	district_terms = "\t\taccept yes\n\t\texclude-class STAFF\n"
	    "\t\twithhold address phone email\n\t\thistory counts";
	assert_int_equal(e2e_gw_reload(&env, write_conf), 0);
	a = lookup_user_of(&county, district.reader, district.reader_pin);
	assert_no_problem(a, district.id);
	assert_int_equal(a->user.naddresses, 0);
	assert_int_equal(a->nloans, 0);
	for (i = 0; i < a->nloan_counts; i++)
		n += a->loan_counts[i].value;
	assert_true(n > 0);
	ncip_msg_free(a);

	a = lookup_user_of(&county, "22000000009", "9999");
	assert_problem(a, NCIP_PT_UNKNOWN_USER);
	ncip_msg_free(a);

	district_terms = NULL;
	assert_int_equal(e2e_gw_reload(&env, write_conf), 0);
}

/*
 * A loan for another partner's patron asked by an ILS over NCIP: metro's
 * ILS checks a metro book out to a district student, who is verified at
 * the district over NCIP 1; the loan is made at metro over NCIP 2.02
 * under a visitor account linked for the student, and the answer names
 * the student's card, not that account.
 */
static void
test_ncip_visiting_patron_checkout(void **state)
{
	char		 line[128], ans[E2E_ANSWER_MAX];
	struct ncip_msg	*m, *a;
	long		 lookups = ncip_count(district.ils, "LookupUser");

	m = call_on(NCIP_CHECKOUT_ITEM, &metro, district.renewer,
	    district.renewer_pin, metro.item);
	a = call(&metro, m, DIA_V2, 0);
	assert_no_problem(a, metro.id);
	assert_string_equal(a->item_id.value, metro.item);
	assert_true(a->date_due.set);
	if (a->user_id.value != NULL)
		assert_string_equal(a->user_id.value, district.renewer);
	ncip_msg_free(a);
	assert_int_equal(ncip_count(district.ils, "LookupUser"), lookups + 1);
	e2e_ils_has(metro.ils, "item", metro.item, "patron=" METRO_VISITOR);

	/* The district's NCIP ILS named the student: the store keys on it. */
	snprintf(line, sizeof(line), "link show district %s",
	    district.renewer);
	assert_int_equal(e2e_gw_control(&env, line, ans, sizeof(ans)), 0);
	assert_contains(ans, "account district home barcodes 2200******* "
	    "key 2200*******");

	/* The renewal goes the same way, under the same account. */
	m = call_on(NCIP_RENEW_ITEM, &metro, district.renewer,
	    district.renewer_pin, metro.item);
	a = call(&metro, m, DIA_V2, 0);
	assert_no_problem(a, metro.id);
	assert_true(a->date_due.set);
	ncip_msg_free(a);
	assert_int_equal(ncip_count(district.ils, "LookupUser"), lookups + 2);
	e2e_ils_has(metro.ils, "item", metro.item, "renewals=1");
	e2e_ils_has(metro.ils, "item", metro.item, "patron=" METRO_VISITOR);
}

/*
 * With metro's visitor accounts taken, its NCIP ILS makes one for the
 * next student with CreateUser, carrying only what the district lets go
 * (here no name and no phone: a placeholder name and the e-mail).
 */
static void
test_ncip_visitor_account_made_by_create_user(void **state)
{
	struct ncip_msg	*m, *a;
	char		 ans[E2E_ANSWER_MAX], made[64];
	const char	*s;
	size_t		 i;
	int		 mail = 0, tel = 0;

	/* The pool's one account is the first student's. */
	m = call_on(NCIP_CHECKOUT_ITEM, &metro, district.renewer,
	    district.renewer_pin, metro.item);
	a = call(&metro, m, DIA_V2, 0);
	assert_no_problem(a, metro.id);
	ncip_msg_free(a);
	e2e_ils_has(metro.ils, "item", metro.item, "patron=" METRO_VISITOR);
	m = call_on(NCIP_CHECKIN_ITEM, &metro, NULL, NULL, metro.item);
	ncip_msg_free(call(&metro, m, DIA_V2, 0));

	district_terms = "\t\taccept yes\n\t\twithhold name phone";
	assert_int_equal(e2e_gw_reload(&env, write_conf), 0);
	m = call_on(NCIP_CHECKOUT_ITEM, &metro, district.reader,
	    district.reader_pin, metro.item);
	a = call(&metro, m, DIA_V2, 0);
	assert_no_problem(a, metro.id);
	ncip_msg_free(a);
	assert_true(ncip_count(metro.ils, "CreateUser") >= 1);
	e2e_ils_show(metro.ils, "item", metro.item, ans, sizeof(ans));
	assert_non_null(s = strstr(ans, " patron="));
	snprintf(made, sizeof(made), "%.*s", (int)strcspn(s + 8, " "), s + 8);
	assert_string_not_equal(made, METRO_VISITOR);
	assert_string_not_equal(made, district.reader);

	/* What metro's ILS holds of the new account. */
	m = call_new(NCIP_LOOKUP_USER, &metro);
	m->user_id.value = made;
	call_elements(m, 0, "Name Information", "User Address Information",
	    NULL);
	a = call(&metro, m, DIA_V2, 0);
	assert_no_problem(a, metro.id);
	assert_non_null(a->user.name.unstructured);
	assert_contains(a->user.name.unstructured, "Visitor from "
	    E2E_DISTRICT_NAME);
	for (i = 0; i < a->user.naddresses; i++) {
		if (a->user.addresses[i].electronic_type.value == NULL)
			continue;
		mail += strcmp(a->user.addresses[i].electronic_type.value,
		    "mailto") == 0;
		tel += strcmp(a->user.addresses[i].electronic_type.value,
		    "tel") == 0;
	}
	assert_int_equal(mail, 1);
	assert_int_equal(tel, 0);
	ncip_msg_free(a);

	district_terms = NULL;
	assert_int_equal(e2e_gw_reload(&env, write_conf), 0);
}

/* The loans an NCIP LookupUser answer counts, all kinds together. */
static long
loans_counted(const struct ncip_msg *a)
{
	long	 n = 0;
	size_t	 i;

	for (i = 0; i < a->nloan_counts; i++)
		n += a->loan_counts[i].value;
	return (n);
}

/*
 * My Account over NCIP: the district's ILS asks about a former student
 * of its own, who has a linked account at metro with a loan; the answer
 * counts that loan too (metro's terms here share counts, not titles).
 */
static void
test_ncip_lookup_user_combines_linked_accounts(void **state)
{
	char		 ans[E2E_ANSWER_MAX];
	struct ncip_msg	*m, *a;
	long		 home;

	a = lookup_user_of(&district, "22000000003", "6666");
	assert_no_problem(a, district.id);
	home = loans_counted(a);
	ncip_msg_free(a);

	assert_int_equal(e2e_gw_control(&env, "link add district "
	    "22000000003 metro 21090000003", ans, sizeof(ans)), 0);
	assert_contains(ans, "ok");
	m = call_on(NCIP_CHECKOUT_ITEM, &metro, NULL, NULL, metro.item);
	m->user_id.value = "21090000003";
	a = call(&metro, m, DIA_V2, 0);
	assert_no_problem(a, metro.id);
	ncip_msg_free(a);

	a = lookup_user_of(&district, "22000000003", "6666");
	assert_no_problem(a, district.id);
	assert_int_equal(loans_counted(a), home + 1);
	ncip_msg_free(a);
	assert_int_equal(e2e_gw_control(&env, "unlink metro 21090000003",
	    ans, sizeof(ans)), 0);
	assert_int_equal(e2e_gw_control(&env, "unlink district 22000000003",
	    ans, sizeof(ans)), 0);
}

/*
 * Return anywhere over NCIP: metro's ILS checks in the district's item;
 * it is checked in at the district, the answer routes it there and names
 * no borrower.
 */
static void
test_ncip_check_in_of_another_partners_item(void **state)
{
	struct ncip_msg	*m, *a;
	long		 before = ncip_count(district.ils, "CheckInItem");

	e2e_ils_has(district.ils, "item", district.reader_loan,
	    "patron=%s", district.reader);
	m = call_on(NCIP_CHECKIN_ITEM, &metro, NULL, NULL,
	    district.reader_loan);
	a = call(&metro, m, DIA_V2, 0);
	assert_no_problem(a, district.id);
	assert_true(a->routing.present);
	assert_null(a->user_id.value);
	ncip_msg_free(a);
	assert_int_equal(ncip_count(district.ils, "CheckInItem"), before + 1);
	e2e_ils_has(district.ils, "item", district.reader_loan, "patron=-");
}

static void
test_ncip_check_out_item(void **state)
{
	const struct part	*p;
	struct ncip_msg		*m, *a;
	size_t			 i;

	for (i = 0; i < 3; i++) {
		p = round1[i].p;
		m = call_on(NCIP_CHECKOUT_ITEM, p, p->holder, p->holder_pin,
		    p->item);
		a = call(p, m, round1[i].d, round1[i].https);
		assert_no_problem(a, p->id);
		assert_string_equal(a->item_id.value, p->item);
		assert_true(a->date_due.set);
		ncip_msg_free(a);
		e2e_ils_has(p->ils, "item", p->item, "status=04");
		e2e_ils_has(p->ils, "item", p->item, "patron=%s", p->holder);
	}
}

static void
test_ncip_check_out_refusals(void **state)
{
	const struct part	*p;
	struct ncip_msg		*m, *a;
	size_t			 i;

	for (i = 0; i < 3; i++) {
		p = round2[i].p;
		/* Out to another patron. */
		m = call_on(NCIP_CHECKOUT_ITEM, p, p->holder, p->holder_pin,
		    p->reader_loan);
		a = call(p, m, round2[i].d, round2[i].https);
		assert_problem(a, NCIP_PT_USER_INELIGIBLE_CHECKOUT);
		ncip_msg_free(a);
		e2e_ils_has(p->ils, "item", p->reader_loan, "patron=%s",
		    p->reader);

		/* An item nobody has. */
		m = call_on(NCIP_CHECKOUT_ITEM, p, p->holder, p->holder_pin,
		    p == &county ? "33009999999" : p == &metro ?
		    "31009999999" : "32009999999");
		a = call(p, m, round2[i].d, round2[i].https);
		assert_problem(a, NCIP_PT_UNKNOWN_ITEM);
		ncip_msg_free(a);

		/* A wrong PIN. */
		m = call_on(NCIP_CHECKOUT_ITEM, p, p->holder, "0000", p->item);
		a = call(p, m, round2[i].d, round2[i].https);
		assert_problem(a, NCIP_PT_USER_AUTH_FAILED);
		ncip_msg_free(a);
		e2e_ils_has(p->ils, "item", p->item, "status=03");
	}
}

static void
test_ncip_renew_refused_when_someone_waits(void **state)
{
	const struct part	*p;
	struct ncip_msg		*m, *a;
	size_t			 i;

	for (i = 0; i < 3; i++) {
		p = round1[i].p;
		/* The routed item is on loan, and a hold waits for it. */
		m = call_on(NCIP_RENEW_ITEM, p, p->borrower, p->borrower_pin,
		    p->routed);
		a = call(p, m, round1[i].d, round1[i].https);
		if (a->nproblems == 0)
			fail_msg("%s: renewed although a hold waits", p->id);
		ncip_msg_free(a);
		e2e_ils_has(p->ils, "item", p->routed, "renewals=0");
	}
}

/* Post the same bytes twice, as an initiator that timed out retries. */
static void
post_twice(const struct part *p, struct ncip_msg *m, enum dia d,
    struct ncip_msg **first, struct ncip_msg **second)
{
	struct ncip_dialect	 dl;
	struct e2e_http_resp	 r;
	char			*body;
	size_t			 len;

	encode(m, d, &dl, &body, &len);
	post(p, 0, body, len, &r);
	*first = e2e_http_ncip(&r);
	e2e_http_resp_free(&r);
	post(p, 1, body, len, &r);
	*second = e2e_http_ncip(&r);
	e2e_http_resp_free(&r);
	free(body);
}

static void
test_ncip_retried_check_out_done_once(void **state)
{
	const struct part	*p;
	struct ncip_msg		*m, *a1, *a2;
	size_t			 i;

	for (i = 0; i < 3; i++) {
		p = round3[i].p;
		m = call_on(NCIP_CHECKOUT_ITEM, p, p->holder, p->holder_pin,
		    p->item);
		m->request_id.agency.value = p->agency;
		m->request_id.value = "e2e-checkout-1";
		post_twice(p, m, round3[i].d, &a1, &a2);
		assert_no_problem(a1, p->id);
		assert_no_problem(a2, p->id);
		assert_true(a1->date_due.set && a2->date_due.set);
		assert_int_equal(a1->date_due.t, a2->date_due.t);
		ncip_msg_free(a1);
		ncip_msg_free(a2);
		e2e_ils_has(p->ils, "item", p->item, "patron=%s", p->holder);
		/* Lent once: the retry did not renew the loan. */
		e2e_ils_has(p->ils, "item", p->item, "renewals=0");
	}
}

static void
test_ncip_retried_request_item_places_one_hold(void **state)
{
	const struct part	*p;
	struct ncip_msg		*m, *a1, *a2;
	long			 holds;
	size_t			 i;

	for (i = 0; i < 3; i++) {
		p = round1[i].p;
		holds = patron_num(p, p->holder, "holds");
		m = call_on(NCIP_REQUEST_ITEM, p, p->holder, p->holder_pin,
		    p->item);
		m->request_id.agency.value = p->agency;
		m->request_id.value = "e2e-request-1";
		m->request_type.value = "Hold";
		m->request_scope.value = "Item";
		m->pickup_location.value = p->pickup;
		post_twice(p, m, round1[i].d, &a1, &a2);
		assert_no_problem(a1, p->id);
		/* The retry is answered, or told that it is one. */
		if (a2->nproblems > 0)
			assert_problem(a2, NCIP_PT_DUPLICATE_REQUEST);
		ncip_msg_free(a1);
		ncip_msg_free(a2);
		assert_int_equal(patron_num(p, p->holder, "holds"),
		    holds + 1);
	}
}

static void
test_ncip_check_in_item_with_routing(void **state)
{
	const struct part	*p;
	struct ncip_msg		*m, *a;
	size_t			 i;

	for (i = 0; i < 3; i++) {
		p = round2[i].p;
		m = call_new(NCIP_CHECKIN_ITEM, p);
		call_item(m, p, p->routed);
		a = call(p, m, round2[i].d, round2[i].https);
		assert_no_problem(a, p->id);
		assert_string_equal(a->item_id.value, p->routed);
		if (!a->routing.present)
			fail_msg("%s: no RoutingInformation", p->id);
		assert_string_equal(location_of(&a->routing.destination),
		    p->dest);
		assert_contains(a->routing.instructions != NULL ?
		    a->routing.instructions : "", p->dest);
		assert_string_equal(a->routing.user_id.value != NULL ?
		    a->routing.user_id.value : "", p->waiting);
		ncip_msg_free(a);
		e2e_ils_has(p->ils, "item", p->routed, "patron=-");
		e2e_ils_has(p->ils, "item", p->routed, "held-for=%s",
		    p->waiting);
	}
}

static void
test_ncip_renew_item(void **state)
{
	const struct part	*p;
	struct ncip_msg		*m, *a;
	size_t			 i;

	for (i = 0; i < 3; i++) {
		p = round3[i].p;
		m = call_on(NCIP_RENEW_ITEM, p, p->renewer, p->renewer_pin,
		    p->renewable);
		a = call(p, m, round3[i].d, round3[i].https);
		assert_no_problem(a, p->id);
		assert_string_equal(a->item_id.value, p->renewable);
		assert_true(a->date_due.set);
		ncip_msg_free(a);
		e2e_ils_has(p->ils, "item", p->renewable, "renewals=1");
	}
}

static void
test_ncip_request_item_by_item_id_then_cancel(void **state)
{
	const struct part	*p;
	struct ncip_msg		*m, *a;
	size_t			 i;

	for (i = 0; i < 3; i++) {
		p = round1[i].p;
		m = call_on(NCIP_REQUEST_ITEM, p, p->holder, p->holder_pin,
		    p->item);
		m->request_type.value = "Hold";
		m->request_scope.value = "Item";
		m->pickup_location.value = p->pickup;
		a = call(p, m, round1[i].d, round1[i].https);
		assert_no_problem(a, p->id);
		assert_true(a->request_id.value != NULL ||
		    a->item_id.value != NULL);
		ncip_msg_free(a);
		e2e_ils_has(p->ils, "item", p->item, "queue=%s", p->holder);

		m = call_on(NCIP_CANCEL_REQUEST_ITEM, p, p->holder,
		    p->holder_pin, p->item);
		m->request_type.value = "Hold";
		a = call(p, m, round1[i].d, round1[i].https);
		assert_no_problem(a, p->id);
		ncip_msg_free(a);
		e2e_ils_has(p->ils, "item", p->item, "queue=-");
	}
}

/* A RequestItem naming a title by its ISBN. */
static struct ncip_msg *
request_by_isbn(const struct part *p, enum dia d, int https)
{
	struct ncip_msg		*m = call_new(NCIP_REQUEST_ITEM, p);
	struct ncip_bibid	*b;

	call_auth(m, p->holder, p->holder_pin);
	assert_non_null(b = ncip_msg_calloc(m, 1, sizeof(*b)));
	b->kind = NCIP_BIBID_ITEM;
	b->value = p->isbn;
	b->code.value = "ISBN";
	m->bib_ids = b;
	m->nbib_ids = 1;
	m->request_type.value = "Hold";
	m->request_scope.value = "Bibliographic Item";
	m->pickup_location.value = p->pickup;
	return (call(p, m, d, https));
}

static void
test_ncip_request_item_by_bibliographic_id(void **state)
{
	const struct part	*p;
	struct ncip_msg		*m, *a;
	long			 holds;
	size_t			 i;

	for (i = 0; i < 3; i++) {
		p = round2[i].p;
		holds = patron_num(p, p->holder, "holds");
		a = request_by_isbn(p, round2[i].d, round2[i].https);
		if (p == &county) {
			/* SIP2 cannot name a title by its ISBN. */
			assert_problem(a, NCIP_PT_UNSUPPORTED_SERVICE);
			ncip_msg_free(a);
			assert_int_equal(patron_num(p, p->holder, "holds"),
			    holds);
			continue;
		}
		assert_no_problem(a, p->id);
		assert_non_null(a->request_id.value);
		assert_int_equal(patron_num(p, p->holder, "holds"),
		    holds + 1);

		/* Cancelled by the request id the answer gave. */
		m = call_new(NCIP_CANCEL_REQUEST_ITEM, p);
		call_auth(m, p->holder, p->holder_pin);
		m->request_id.agency.value = p->agency;
		m->request_id.value = ncip_msg_strdup(m, a->request_id.value);
		m->request_type.value = "Hold";
		ncip_msg_free(a);
		a = call(p, m, round2[i].d, round2[i].https);
		assert_no_problem(a, p->id);
		ncip_msg_free(a);
		assert_int_equal(patron_num(p, p->holder, "holds"), holds);
	}
}

/* An AcceptItem: an item from elsewhere to hold for a patron here. */
static struct ncip_msg *
accept_item(const struct part *p, const char *request, enum dia d)
{
	struct ncip_msg	*m = call_new(NCIP_ACCEPT_ITEM, p);

	m->request_id.agency.value = p->agency;
	m->request_id.value = request;
	m->requested_action.value = "Hold For Pickup";
	m->user_id.agency.value = p->agency;
	m->user_id.value = p->holder;
	m->item_id.agency.value = p->agency;
	m->item_id.value = "ILL-e2e-0001";
	m->item.present = 1;
	m->item.has_bib = 1;
	m->item.bib.title = "Borrowed Through Interlibrary Loan";
	m->item.hold_queue_length = -1;
	m->pickup_location.value = p->pickup;
	return (call(p, m, d, 0));
}

/* A CreateUser for a new patron with a name and a barcode. */
static struct ncip_msg *
create_user(const struct part *p, const char *barcode, enum dia d)
{
	struct ncip_msg	*m = call_new(NCIP_CREATE_USER, p);

	m->user_id.agency.value = p->agency;
	m->user_id.value = barcode;
	m->user.present = 1;
	m->user.name.present = 1;
	m->user.name.unstructured = "Newcomer, Pat";
	return (call(p, m, d, 0));
}

/* An UpdateUser adding a block. */
static struct ncip_msg *
update_user(const struct part *p, enum dia d)
{
	struct ncip_msg		*m = call_new(NCIP_UPDATE_USER, p);
	struct ncip_block	*b;

	m->user_id.agency.value = p->agency;
	m->user_id.value = p->reader;
	assert_non_null(b = ncip_msg_calloc(m, 1, sizeof(*b)));
	b->agency.value = p->agency;
	b->type.value = "Blocked";
	m->user_add.present = 1;
	m->user_add.fields.blocks = b;
	m->user_add.fields.nblocks = 1;
	return (call(p, m, d, 0));
}

static struct ncip_msg *
delete_item(const struct part *p, enum dia d)
{
	struct ncip_msg	*m = call_new(NCIP_DELETE_ITEM, p);

	call_item(m, p, p->item);
	return (call(p, m, d, 0));
}

/* The Problem is Unsupported Service, saying which partner cannot. */
static void
assert_unsupported(struct ncip_msg *a, const struct part *p, enum dia d)
{
	assert_problem(a, NCIP_PT_UNSUPPORTED_SERVICE);
	/* Version 1 carries no ProblemDetail. */
	if (d != DIA_V1) {
		if (a->problems[0].detail == NULL)
			fail_msg("Unsupported Service without a detail");
		assert_contains(a->problems[0].detail, p->name);
	}
	ncip_msg_free(a);
}

static void
test_ncip_services_without_sip2_equivalent_refused(void **state)
{
	char	 before[E2E_ANSWER_MAX], after[E2E_ANSWER_MAX];

	e2e_ctl(county.ils, "counts", before, sizeof(before));
	assert_unsupported(accept_item(&county, "e2e-req-1", DIA_V2),
	    &county, DIA_V2);
	assert_unsupported(create_user(&county, "23000000077",
	    DIA_V2_PREFIX), &county, DIA_V2_PREFIX);
	assert_unsupported(update_user(&county, DIA_V2), &county, DIA_V2);
	assert_unsupported(delete_item(&county, DIA_V1), &county, DIA_V1);
	e2e_ctl(county.ils, "counts", after, sizeof(after));
	assert_string_equal(before, after);
	e2e_ils_has(county.ils, "patron", county.reader, "blocked=no");
}

static void
test_ncip_services_without_sip2_equivalent_reach_ncip_ils(void **state)
{
	const struct part	*p;
	struct ncip_msg		*a;
	char			 ans[E2E_ANSWER_MAX], cmd[64];
	size_t			 i;

	for (i = 0; i < 2; i++) {
		p = ncip_parts[i];
		a = accept_item(p, "e2e-req-2", i == 0 ? DIA_V2 : DIA_V1);
		assert_no_problem(a, "AcceptItem");
		ncip_msg_free(a);
		e2e_ctl(p->ils, "counts", ans, sizeof(ans));
		assert_contains(ans, "accepted=1");

		a = create_user(p, i == 0 ? "21000000077" : "22000000077",
		    i == 0 ? DIA_V2_PREFIX : DIA_V2);
		assert_no_problem(a, "CreateUser");
		ncip_msg_free(a);
		e2e_ils_show(p->ils, "patron", i == 0 ? "21000000077" :
		    "22000000077", ans, sizeof(ans));

		a = update_user(p, i == 0 ? DIA_V1 : DIA_V2_PREFIX);
		assert_no_problem(a, "UpdateUser");
		ncip_msg_free(a);
		e2e_ils_has(p->ils, "patron", p->reader, "blocked=yes");

		a = delete_item(p, DIA_V2);
		assert_no_problem(a, "DeleteItem");
		ncip_msg_free(a);
		snprintf(cmd, sizeof(cmd), "item %s", p->item);
		if (e2e_ils_ctl(p->ils, cmd, ans, sizeof(ans)) == 0)
			fail_msg("%s: the item is still there: %s", p->id,
			    ans);
	}
}

static void
test_ncip_answer_echoes_raw_caller_dialects(void **state)
{
	static const char	 prefixed[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ns1:NCIPMessage xmlns:ns1=\"" NCIP_NS "\" version=\""
	    NCIP_V2_01 "\"><ns1:LookupUser><ns1:InitiationHeader>"
	    "<ns1:FromAgencyId><ns1:AgencyId>DISTRICT</ns1:AgencyId>"
	    "</ns1:FromAgencyId><ns1:ToAgencyId><ns1:AgencyId>CIRCLINK"
	    "</ns1:AgencyId></ns1:ToAgencyId></ns1:InitiationHeader>"
	    "<ns1:UserId><ns1:UserIdentifierValue>22000000001"
	    "</ns1:UserIdentifierValue></ns1:UserId><ns1:LoanedItemsDesired/>"
	    "</ns1:LookupUser></ns1:NCIPMessage>\n";
	static const char	 v1[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<!DOCTYPE NCIPMessage PUBLIC \"" NCIP_V1_01_PUBLIC_ID "\" \""
	    NCIP_V1_01 "\">\n"
	    "<NCIPMessage version=\"" NCIP_V1_01 "\"><LookupUser>"
	    "<InitiationHeader><FromAgencyId><UniqueAgencyId><Scheme/>"
	    "<Value>METRO</Value></UniqueAgencyId></FromAgencyId>"
	    "<ToAgencyId><UniqueAgencyId><Scheme/><Value>CIRCLINK</Value>"
	    "</UniqueAgencyId></ToAgencyId></InitiationHeader>"
	    "<UniqueUserId><UniqueAgencyId><Scheme/><Value>METRO</Value>"
	    "</UniqueAgencyId><UserIdentifierValue>21000000001"
	    "</UserIdentifierValue></UniqueUserId><LoanedItemsDesired/>"
	    "</LookupUser></NCIPMessage>\n";
	struct e2e_http_resp	 r;
	struct ncip_msg		*a;

	/* A 2.01 caller, prefixed and unqualified, served by NCIP 1.0. */
	post(&district, 0, prefixed, sizeof(prefixed) - 1, &r);
	a = e2e_http_ncip(&r);
	assert_int_equal(a->service, NCIP_LOOKUP_USER_RESP);
	assert_no_problem(a, "district");
	assert_string_equal(a->version_str, NCIP_V2_01);
	assert_int_equal(a->dialect.ns, NCIP_NSS_PREFIX);
	assert_true(has_loan(a, district.reader_loan));
	assert_contains(r.body, "<ns1:LookupUserResponse");
	ncip_msg_free(a);
	e2e_http_resp_free(&r);

	/* A 1.01 caller served by NCIP 2.02. */
	post(&metro, 1, v1, sizeof(v1) - 1, &r);
	a = e2e_http_ncip(&r);
	assert_int_equal(a->service, NCIP_LOOKUP_USER_RESP);
	assert_no_problem(a, "metro");
	assert_string_equal(a->version_str, NCIP_V1_01);
	assert_int_equal(a->dialect.version, 1);
	assert_true(has_loan(a, metro.reader_loan));
	assert_contains(r.body, "<UniqueUserId>");
	ncip_msg_free(a);
	e2e_http_resp_free(&r);
}

/* --- partners in trouble ---------------------------------------------- */

/*
 * A patron status for a partner's reader must be refused within ms, with
 * a screen message naming the partner and saying words (NULL: any).
 */
static void
kiosk_refused_in_time(struct e2e_conn *c, const struct part *p, int ms,
    const char *words)
{
	struct sip2_msg	*r;
	long long	 t0 = e2e_now_ms();

	r = e2e_ask(c, patron_status(p, p->reader, p->reader_pin));
	assert_code(r, SIP2_PATRON_STATUS_RESP);
	if (e2e_now_ms() - t0 > ms)
		fail_msg("answered after %lld ms", e2e_now_ms() - t0);
	assert_string_not_equal(e2e_field(r, "BL"), "Y");
	assert_contains(e2e_field(r, "AF"), p->name);
	if (words != NULL)
		assert_contains(e2e_field(r, "AF"), words);
	sip2_msg_free(r);
}

/* The partner's own ILS, calling, gets a Problem within ms. */
static void
caller_refused_in_time(const struct part *p, int ms, const char *words)
{
	struct ncip_msg	*a;
	long long	 t0 = e2e_now_ms();

	a = lookup_user(p, p->reader, p->reader_pin, DIA_V2, 0);
	if (e2e_now_ms() - t0 > ms)
		fail_msg("answered after %lld ms", e2e_now_ms() - t0);
	assert_problem(a, NCIP_PT_TEMPORARY_FAILURE);
	assert_non_null(a->problems[0].detail);
	assert_contains(a->problems[0].detail, p->name);
	if (words != NULL)
		assert_contains(a->problems[0].detail, words);
	ncip_msg_free(a);
	/* Another partner's ILS asking about metro's item fares no better. */
	if (p == &metro) {
		struct ncip_msg	*m = call_new(NCIP_LOOKUP_ITEM, &county);

		call_item(m, &metro, metro.item);
		a = call(&county, m, DIA_V2, 1);
		assert_problem(a, NCIP_PT_TEMPORARY_FAILURE);
		ncip_msg_free(a);
	}
}

/* The district answers kiosks and its ILS's calls as before. */
static void
district_still_serves(void)
{
	struct e2e_conn	*c;
	struct sip2_msg	*r;
	struct ncip_msg	*a;

	c = kiosk(&district);
	r = e2e_ask(c, e2e_req(SIP2_SC_STATUS, NULL));
	assert_code(r, SIP2_ACS_STATUS);
	assert_string_equal(e2e_fixed(r, SIP2_FX_ONLINE), "Y");
	sip2_msg_free(r);
	r = e2e_ask(c, patron_status(&district, district.reader,
	    district.reader_pin));
	assert_code(r, SIP2_PATRON_STATUS_RESP);
	assert_string_equal(e2e_field(r, "BL"), "Y");
	assert_string_equal(e2e_field(r, "CQ"), "Y");
	sip2_msg_free(r);
	e2e_close(c);
	a = lookup_user(&district, district.reader, district.reader_pin,
	    DIA_V1, 1);
	assert_no_problem(a, "district");
	ncip_msg_free(a);
}

/*
 * Take metro's ILS down: it refuses new connections and drops each one a
 * request arrives on.  Each request is refused in time until 98 says
 * metro is offline.
 */
static void
take_metro_down(struct e2e_conn *c)
{
	long long	 deadline = e2e_now_ms() + 5000;

	e2e_ctl(metro.ils, "refuse", NULL, 0);
	e2e_ctl(metro.ils, "drop", NULL, 0);
	do
		kiosk_refused_in_time(c, &metro, REFUSE_MS, NULL);
	while (!e2e_reported_offline(c, metro.name, deadline));
}

static void
test_ncip_partner_down_refused_and_reported_offline(void **state)
{
	struct e2e_conn	*c;

	c = kiosk(&metro);
	take_metro_down(c);
	/* Known to be offline: refused at once, saying so. */
	kiosk_refused_in_time(c, &metro, 1500, "offline");
	caller_refused_in_time(&metro, 1500, "offline");
	district_still_serves();
	assert_true(e2e_gw_alive(&env));
	e2e_close(c);
}

static void
test_ncip_partner_back_online_after_outage(void **state)
{
	struct e2e_conn	*c;
	struct sip2_msg	*r;

	c = kiosk(&metro);
	take_metro_down(c);
	e2e_close(c);
	e2e_ctl(metro.ils, "normal", NULL, 0);
	/* Reconnection backs off; a short outage is over within seconds. */
	assert_int_equal(wait_online(&metro, 'Y', 8000), 0);
	r = kiosk_ask(&metro, patron_status(&metro, metro.reader,
	    metro.reader_pin));
	assert_code(r, SIP2_PATRON_STATUS_RESP);
	assert_string_equal(e2e_field(r, "CQ"), "Y");
	sip2_msg_free(r);
}

static void
test_slow_ncip_partner_refused_at_deadline(void **state)
{
	struct e2e_conn	*c;

	c = kiosk(&metro);
	/* The ILS would take 3 s; the gateway's deadline is 1 s. */
	e2e_ctl(metro.ils, "delay 3000", NULL, 0);
	kiosk_refused_in_time(c, &metro, REFUSE_MS, "in time");
	caller_refused_in_time(&metro, REFUSE_MS, "in time");
	district_still_serves();
	assert_true(e2e_gw_alive(&env));
	e2e_close(c);
}

static void
test_ncip_partner_garbage_refused_clearly(void **state)
{
	struct e2e_conn	*c;

	c = kiosk(&metro);
	e2e_ctl(metro.ils, "garbage", NULL, 0);
	kiosk_refused_in_time(c, &metro, REFUSE_MS, NULL);
	caller_refused_in_time(&metro, REFUSE_MS, NULL);
	/* Garbage twice: the gateway does not learn to wait for it. */
	kiosk_refused_in_time(c, &metro, REFUSE_MS, NULL);
	district_still_serves();
	assert_true(e2e_gw_alive(&env));
	e2e_close(c);
}

/*
 * Retries that come while the first is still with the ILS wait for its
 * answer, and a later one gets it too: the ILS sees one checkout.  The
 * county's ILS starts afresh and is slowed so that all three are in
 * flight at once; this test runs last of those that use its data.
 */
static void
test_ncip_retries_in_flight_wait_for_first(void **state)
{
	const struct part	*p = &county;
	struct e2e_conn		*c[4];
	struct e2e_http_resp	 r;
	struct ncip_dialect	 dl;
	struct ncip_msg		*m, *a[4];
	char			 ans[E2E_ANSWER_MAX], path[128], *body;
	size_t			 i, len;

	e2e_ctl(p->ils, "reset", NULL, 0);
	m = call_on(NCIP_CHECKOUT_ITEM, p, p->renewer, p->renewer_pin, p->item);
	m->request_id.agency.value = p->agency;
	m->request_id.value = "e2e-checkout-2";
	encode(m, DIA_V2, &dl, &body, &len);
	e2e_ctl(p->ils, "delay 300", NULL, 0);
	token_path(p, path, sizeof(path));
	for (i = 0; i < 4; i++) {
		c[i] = e2e_gw_connect(&env, L_NCIP, NULL, NULL);
		assert_non_null(c[i]);
		/* The fourth comes after the others are answered. */
		if (i < 3)
			assert_int_equal(e2e_http_send(c[i], "POST", path,
			    "application/xml", body, len), 0);
	}
	for (i = 0; i < 3; i++) {
		assert_int_equal(e2e_http_read(c[i], &r, 5000), 0);
		a[i] = e2e_http_ncip(&r);
		e2e_http_resp_free(&r);
	}
	e2e_ctl(p->ils, "normal", NULL, 0);
	assert_int_equal(e2e_http_post(c[3], path, "application/xml", body,
	    len, &r), 0);
	a[3] = e2e_http_ncip(&r);
	e2e_http_resp_free(&r);
	free(body);
	for (i = 0; i < 4; i++) {
		e2e_close(c[i]);
		assert_no_problem(a[i], p->id);
		assert_true(a[i]->date_due.set);
		assert_int_equal(a[0]->date_due.t, a[i]->date_due.t);
	}
	for (i = 0; i < 4; i++)
		ncip_msg_free(a[i]);
	e2e_ctl(p->ils, "stats", ans, sizeof(ans));
	if (strstr(ans, " 11=1 ") == NULL)
		fail_msg("the ILS did not see one checkout: %s", ans);
	e2e_ils_has(p->ils, "item", p->item, "patron=%s", p->renewer);
	e2e_ils_has(p->ils, "item", p->item, "renewals=0");
}

/* --- privacy ----------------------------------------------------------- */

static void
test_log_holds_no_secrets(void **state)
{
	static const char *const secrets[] = {
		METRO_TOKEN, DISTRICT_TOKEN, COUNTY_TOKEN, DISTRICT_ILS_TOKEN,
		COUNTY_ILS_PW, "metro-kiosk-pw", "district-desk-pw",
		"Alvarez", "Okonkwo", "Lindqvist", "Brennan", "Haddad",
		"Mensah", "Castellano", "Quillfeather", "Brightwater",
		"Newcomer", "\xc3\x85ngstr\xc3\xb6m", "Juniper Street",
		"marisol.alvarez@example.org", "555-0101", NULL
	};
	static const char *const pins[] = {
		"1111", "2222", "3333", "4321", "9191", "4444", "5555",
		"9999", "8181", "8282", NULL
	};
	static const char *const patrons[] = {
		"21000000001", "21000000002", "21000000003", "21000000009",
		"22000000001", "22000000002", "22000000009", "23000000001",
		"23000000002", NULL
	};
	static const char *const titles[] = {
		"The Left Hand of Darkness", "Dune", "Station Eleven",
		"The Fifth Season", "Braiding Sweetgrass", "Piranesi",
		"Hatchet", "The Very Hungry Caterpillar", "Charlotte",
		"The Giver", "The Hunger Games", "Holes", "Wonder", "Gilead",
		"Middlemarch", "The Remains of the Day", "Persuasion", NULL
	};
	struct sip2_msg	*r;
	struct ncip_msg	*a;
	char		*text;

	/*
	 * This run's log must have had PINs, names and titles next to
	 * patrons to leak: a kiosk's patron information, and LookupUser
	 * calls wanting the name and the loans, to each kind of ILS.
	 */
	r = patron_info(&metro, metro.reader, metro.reader_pin, 2);
	assert_code(r, SIP2_PATRON_INFO_RESP);
	assert_contains(e2e_field(r, "AE"), metro.name_part);
	sip2_msg_free(r);
	a = lookup_user(&county, county.reader, county.reader_pin, DIA_V2, 0);
	assert_no_problem(a, "county");
	ncip_msg_free(a);
	a = lookup_user(&district, district.reader, district.reader_pin,
	    DIA_V1, 1);
	assert_no_problem(a, "district");
	ncip_msg_free(a);
	e2e_sleep_ms(100);

	text = e2e_file_read(env.log, 0);
	assert_non_null(text);
	assert_contains(text, "front=ncip");
	assert_contains(text, "front=sip2");
	e2e_assert_private(text, secrets, pins, patrons, titles);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f)	cmocka_unit_test_setup_teardown(f, ready, still_alive)
		T(test_sc_status_reports_ncip_partners_online),
		T(test_patron_status_from_ncip_ils),
		T(test_patron_info_lists_charged_items),
		T(test_patron_info_lists_overdue_items),
		T(test_patron_info_lists_hold_items),
		T(test_patron_info_lists_unavailable_holds),
		T(test_patron_info_lists_fines),
		T(test_patron_info_pages_list),
		T(test_patron_info_recall_list_empty),
		T(test_checkout_charges_item_at_ncip_ils),
		T(test_checkout_refusals_from_ncip_ils),
		T(test_checkin_routes_item_to_waiting_hold),
		T(test_renew_extends_loan_at_ncip_ils),
		T(test_renew_all_renews_each_loan),
		T(test_hold_placed_and_cancelled_at_ncip_ils),
		T(test_hold_by_title_only_needs_item),
		T(test_hold_pickup_change_refused_naming_partner),
		T(test_item_info_from_ncip_ils),
		T(test_item_info_for_other_partner_goes_to_its_ils),
		T(test_end_patron_session_answered_by_gateway),
		T(test_fee_paid_refused_naming_partner),
		T(test_item_status_update_refused_naming_partner),
		T(test_patron_enable_refused_naming_partner),
		T(test_block_patron_through_update_user),
		T(test_ncip_lookup_user_by_authentication_input),
		T(test_ncip_lookup_user_by_user_id),
		T(test_ncip_lookup_user_refusals),
		T(test_ncip_lookup_item),
		T(test_ncip_lookup_item_goes_to_owner),
		T(test_ncip_lookup_item_refused_without_agreement),
		T(test_ncip_lookup_user_filtered_by_the_homes_terms),
		T(test_return_at_metro_of_district_item),
		T(test_ncip_visiting_patron_checkout),
		T(test_ncip_visitor_account_made_by_create_user),
		T(test_ncip_lookup_user_combines_linked_accounts),
		T(test_ncip_check_in_of_another_partners_item),
		T(test_ncip_check_out_item),
		T(test_ncip_check_out_refusals),
		T(test_ncip_renew_refused_when_someone_waits),
		T(test_ncip_retried_check_out_done_once),
		T(test_ncip_retried_request_item_places_one_hold),
		T(test_ncip_check_in_item_with_routing),
		T(test_ncip_renew_item),
		T(test_ncip_request_item_by_item_id_then_cancel),
		T(test_ncip_request_item_by_bibliographic_id),
		T(test_ncip_services_without_sip2_equivalent_refused),
		T(test_ncip_services_without_sip2_equivalent_reach_ncip_ils),
		T(test_ncip_answer_echoes_raw_caller_dialects),
		T(test_ncip_partner_down_refused_and_reported_offline),
		T(test_ncip_partner_back_online_after_outage),
		T(test_slow_ncip_partner_refused_at_deadline),
		T(test_ncip_partner_garbage_refused_clearly),
		T(test_ncip_retries_in_flight_wait_for_first),
		T(test_log_holds_no_secrets),
#undef T
	};

	return (cmocka_run_group_tests_name("e2e_xlate", tests, group_setup,
	    group_teardown));
}
