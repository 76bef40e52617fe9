/* SPDX-License-Identifier: ISC */
/*
 * End-to-end tests of the NCIP endpoint: partners' ILSes post NCIP to a
 * real circlinkd over HTTP and HTTPS on 127.0.0.1, authenticated by a
 * token, FromAgencyAuthentication or a pinned client certificate, and
 * hostile bodies are answered with Problems while the gateway goes on.
 */

#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ncip.h"
#include "e2e.h"
#include "e2e_http.h"

#define L_HTTP		0
#define L_HTTPS		1	/* client certificates optional */

#define METRO_TOKEN	"metro-ncip-token-6b1f0c2e9a"
#define METRO_TOKEN2	"metro-ncip-token-rotated-77d1"
#define DISTRICT_AUTH	"district-agency-proof-41c9"
#define PATRON_PIN	"PIN-7d3f9q"
#define MARKER		"CIRCLINK-XXE-MARKER-5e0b"

#define V202		NCIP_V2_02
#define NS		"http://www.niso.org/2008/ncip"

static struct e2e_env	 env;
static char		 tools_cert[E2E_PATH_MAX], tools_key[E2E_PATH_MAX];
static char		 stray_cert[E2E_PATH_MAX], stray_key[E2E_PATH_MAX];
static char		 tools_pin[128];
static char		 marker[E2E_PATH_MAX];
static const char	*metro_token = METRO_TOKEN;

/* Write the gateway's configuration: two NCIP listeners, four partners. */
static int
write_conf(struct e2e_env *e)
{
	char	 text[8192];

	snprintf(text, sizeof(text),
	    "# Written by test_e2e_ncip.\n"
	    "log-level info\n"
	    "trace ncip\n"
	    "state-dir \"%s/state\"\n"
	    "store-key \"%s/store.key\"\n"
	    "listen 127.0.0.1 port %d ncip {\n"
	    "\tidle-timeout 30\n"
	    "}\n"
	    "listen 127.0.0.1 port %d ncip tls {\n"
	    "\tcertificate \"%s\"\n"
	    "\tkey \"%s\"\n"
	    "\tclient-certificate optional\n"
	    "}\n"
	    "partner metro {\n"
	    "\tinstitution METRO\n"
	    "\tncip-token \"%s\"\n"
	    "}\n"
	    "partner district {\n"
	    "\tinstitution DISTRICT\n"
	    "\tinstitution LINCOLN\n"
	    "\tncip-agency-auth \"%s\"\n"
	    "}\n"
	    "partner tools {\n"
	    "\tinstitution TOOLS\n"
	    "\tncip-client-pin %s\n"
	    "}\n"
	    "partner quiet {\n"
	    "\tinstitution QUIET\n"
	    "}\n", e->dir, e->dir, e->listeners[L_HTTP].port,
	    e->listeners[L_HTTPS].port,
	    e->cert, e->key, metro_token, DISTRICT_AUTH, tools_pin);
	return (e2e_write_file(e->conf, text));
}

static int
group_setup(void **state)
{
	ncip_init();
	if (e2e_env_init(&env) == -1)
		goto fail;
	snprintf(tools_cert, sizeof(tools_cert), "%s/tools.crt", env.dir);
	snprintf(tools_key, sizeof(tools_key), "%s/tools.key", env.dir);
	snprintf(stray_cert, sizeof(stray_cert), "%s/stray.crt", env.dir);
	snprintf(stray_key, sizeof(stray_key), "%s/stray.key", env.dir);
	snprintf(marker, sizeof(marker), "%s/marker.txt", env.dir);
	if (e2e_make_cert(&env, "tools-ils", tools_cert, tools_key) == -1 ||
	    e2e_make_cert(&env, "stray-ils", stray_cert, stray_key) == -1 ||
	    e2e_http_cert_pin(tools_cert, tools_pin, sizeof(tools_pin)) == -1 ||
	    e2e_write_file(marker, MARKER "\n") == -1)
		goto fail;

	env.nlisteners = 2;
	env.listeners[L_HTTPS].tls = 1;
	if (e2e_gw_launch(&env, write_conf) == 0)
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

/* Before each test: a running gateway (one that died is restarted). */
static int
ready(void **state)
{
	return (e2e_ready(&env, L_HTTP));
}

/* After each test: whatever happened, the gateway must still run. */
static int
still_alive(void **state)
{
	return (e2e_gw_survived(&env));
}

/* A LookupVersion, with an InitiationHeader when proof is given. */
static void
lookup_version(char *out, size_t len, const char *version, const char *from,
    const char *proof)
{
	char	 header[512] = "";

	if (proof != NULL)
		snprintf(header, sizeof(header), "<InitiationHeader>"
		    "<FromAgencyId><AgencyId>%s</AgencyId></FromAgencyId>"
		    "<FromAgencyAuthentication>%s</FromAgencyAuthentication>"
		    "<ToAgencyId><AgencyId>CIRCLINK</AgencyId></ToAgencyId>"
		    "</InitiationHeader>", from, proof);
	snprintf(out, len, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<NCIPMessage xmlns=\"" NS "\" version=\"%s\"><LookupVersion>%s"
	    "<FromAgencyId><AgencyId>%s</AgencyId></FromAgencyId>"
	    "<ToAgencyId><AgencyId>CIRCLINK</AgencyId></ToAgencyId>"
	    "</LookupVersion></NCIPMessage>\n", version, header, from);
}

/* A LookupUser by barcode and PIN, from an agency with an optional proof. */
static void
lookup_user(char *out, size_t len, const char *from, const char *proof)
{
	char	 auth[256] = "";

	if (proof != NULL)
		snprintf(auth, sizeof(auth), "<FromAgencyAuthentication>%s"
		    "</FromAgencyAuthentication>", proof);
	snprintf(out, len, "<NCIPMessage xmlns=\"" NS "\" version=\"" V202
	    "\"><LookupUser><InitiationHeader><FromAgencyId><AgencyId>%s"
	    "</AgencyId></FromAgencyId>%s<ToAgencyId><AgencyId>METRO"
	    "</AgencyId></ToAgencyId></InitiationHeader>"
	    "<AuthenticationInput><AuthenticationInputData>21000000001"
	    "</AuthenticationInputData><AuthenticationDataFormatType>"
	    "text/plain</AuthenticationDataFormatType>"
	    "<AuthenticationInputType>Barcode Id</AuthenticationInputType>"
	    "</AuthenticationInput><AuthenticationInput>"
	    "<AuthenticationInputData>" PATRON_PIN "</AuthenticationInputData>"
	    "<AuthenticationDataFormatType>text/plain"
	    "</AuthenticationDataFormatType><AuthenticationInputType>PIN"
	    "</AuthenticationInputType></AuthenticationInput></LookupUser>"
	    "</NCIPMessage>", from, auth);
}

/* Connect to a listener, with a client certificate if given. */
static struct e2e_conn *
conn(int listener, const char *cert, const char *key)
{
	struct e2e_conn	*c;

	c = e2e_gw_connect(&env, listener, cert, key);
	assert_non_null(c);
	return (c);
}

/* POST on a fresh connection and return the response; fails if none. */
static void
post(int listener, const char *path, const char *ctype, const char *body,
    size_t len, const char *cert, const char *key, struct e2e_http_resp *r)
{
	struct e2e_conn	*c = conn(listener, cert, key);

	assert_int_equal(e2e_http_post(c, path, ctype, body, len, r), 0);
	e2e_close(c);
}

/* The answer carries exactly this Problem type first. */
static void
assert_problem(const struct e2e_http_resp *r, enum ncip_problem_type kind)
{
	struct ncip_msg	*m = e2e_http_ncip(r);

	if (m->nproblems == 0)
		fail_msg("no Problem in %.300s", r->body);
	if (m->problems[0].kind != kind)
		fail_msg("Problem \"%s\", expected \"%s\"",
		    m->problems[0].type.value != NULL ?
		    m->problems[0].type.value : "?", ncip_problem_name(kind));
	ncip_msg_free(m);
}

/* The answer is a LookupVersionResponse listing every version. */
static void
assert_versions(const struct e2e_http_resp *r, const char *to)
{
	static const char	*want[] = { "1.0", "1.01", "2.0", "2.01",
	    "2.02" };
	struct ncip_msg		*m = e2e_http_ncip(r);
	size_t			 i;

	if (m->service != NCIP_LOOKUP_VERSION_RESP || m->nproblems > 0)
		fail_msg("not a successful LookupVersionResponse: %.300s",
		    r->body);
	assert_string_equal(m->header.from_agency.value, "CIRCLINK");
	assert_string_equal(m->header.to_agency.value, to);
	assert_int_equal(m->nversions, 5);
	for (i = 0; i < 5; i++)
		assert_string_equal(m->versions[i], want[i]);
	ncip_msg_free(m);
}

/*
 * POST a LookupVersion from an agency, with a proof in its header when
 * given, over a listener, with a client certificate when given.
 */
static void
lookup_version_post(int listener, const char *path, const char *from,
    const char *proof, const char *cert, const char *key,
    struct e2e_http_resp *r)
{
	char	 body[2048];

	lookup_version(body, sizeof(body), V202, from, proof);
	post(listener, path, "application/xml", body, strlen(body), cert, key,
	    r);
}

/* A LookupVersion that must be answered with every version. */
static void
lookup_version_ok(int listener, const char *path, const char *from,
    const char *proof, const char *cert, const char *key)
{
	struct e2e_http_resp	 r;

	lookup_version_post(listener, path, from, proof, cert, key, &r);
	assert_versions(&r, from);
	e2e_http_resp_free(&r);
}

/* A LookupVersion that must be answered with this Problem. */
static void
lookup_version_refused(int listener, const char *path, const char *from,
    const char *proof, const char *cert, const char *key,
    enum ncip_problem_type kind)
{
	struct e2e_http_resp	 r;

	lookup_version_post(listener, path, from, proof, cert, key, &r);
	assert_problem(&r, kind);
	e2e_http_resp_free(&r);
}

static void
metro_path(char *out, size_t len)
{
	snprintf(out, len, "/ncip/%s", metro_token);
}

/* The gateway still answers a good request on both listeners. */
static void
still_serves(void)
{
	char	 path[128];

	metro_path(path, sizeof(path));
	lookup_version_ok(L_HTTP, path, "METRO", NULL, NULL, NULL);
	lookup_version_ok(L_HTTPS, path, "METRO", NULL, NULL, NULL);
}

static void
test_lookup_version_with_token_over_http(void **state)
{
	char	 path[128];

	metro_path(path, sizeof(path));
	lookup_version_ok(L_HTTP, path, "METRO", NULL, NULL, NULL);
}

static void
test_lookup_version_with_token_over_https(void **state)
{
	char	 path[128];

	metro_path(path, sizeof(path));
	lookup_version_ok(L_HTTPS, path, "METRO", NULL, NULL, NULL);
}

static void
test_lookup_version_with_agency_auth_over_http(void **state)
{
	lookup_version_ok(L_HTTP, "/ncip", "DISTRICT", DISTRICT_AUTH, NULL,
	    NULL);
	/* Either of the partner's agencies may call. */
	lookup_version_ok(L_HTTP, "/ncip", "LINCOLN", DISTRICT_AUTH, NULL,
	    NULL);
}

static void
test_lookup_version_with_agency_auth_over_https(void **state)
{
	lookup_version_ok(L_HTTPS, "/ncip/", "DISTRICT", DISTRICT_AUTH, NULL,
	    NULL);
}

static void
test_lookup_version_with_client_certificate(void **state)
{
	lookup_version_ok(L_HTTPS, "/ncip", "TOOLS", NULL, tools_cert,
	    tools_key);
}

static void
test_client_certificate_needed_over_http(void **state)
{
	lookup_version_refused(L_HTTP, "/ncip", "TOOLS", NULL, NULL, NULL,
	    NCIP_PT_AGENCY_AUTH_FAILED);
	lookup_version_refused(L_HTTPS, "/ncip", "TOOLS", NULL, NULL, NULL,
	    NCIP_PT_AGENCY_AUTH_FAILED);
}

static void
test_unpinned_client_certificate_refused(void **state)
{
	struct e2e_conn	*c;

	/* The handshake fails: nothing vouches for this certificate. */
	c = e2e_gw_connect(&env, L_HTTPS, stray_cert, stray_key);
	if (c != NULL) {
		struct e2e_http_resp	 r;
		char			 body[2048];

		/* TLS 1.3 reports the refusal on the first read. */
		lookup_version(body, sizeof(body), V202, "TOOLS", NULL);
		if (e2e_http_post(c, "/ncip", NULL, body, strlen(body),
		    &r) == 0) {
			e2e_close(c);
			fail_msg("an unpinned certificate was served: %s",
			    r.body);
		}
		e2e_close(c);
	}
	still_serves();
}

static void
test_keep_alive_serves_two_requests_on_one_connection(void **state)
{
	struct e2e_http_resp	 r;
	struct e2e_conn		*c;
	char			 body[2048], path[128];
	int			 l;

	metro_path(path, sizeof(path));
	lookup_version(body, sizeof(body), V202, "METRO", NULL);
	for (l = L_HTTP; l <= L_HTTPS; l++) {
		c = conn(l, NULL, NULL);
		assert_int_equal(e2e_http_post(c, path, "text/xml", body,
		    strlen(body), &r), 0);
		assert_int_equal(r.closed, 0);
		assert_versions(&r, "METRO");
		e2e_http_resp_free(&r);
		assert_int_equal(e2e_http_post(c, path, "text/xml", body,
		    strlen(body), &r), 0);
		assert_versions(&r, "METRO");
		e2e_http_resp_free(&r);
		e2e_close(c);
	}
}

static void
test_xml_content_types_accepted(void **state)
{
	static const char	*types[] = { "application/xml", "text/xml",
	    "text/xml; charset=utf-8", NULL };
	struct e2e_http_resp	 r;
	char			 body[2048], path[128], ct[128];
	size_t			 i;

	metro_path(path, sizeof(path));
	lookup_version(body, sizeof(body), V202, "METRO", NULL);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		post(L_HTTP, path, types[i], body, strlen(body), NULL, NULL,
		    &r);
		assert_versions(&r, "METRO");
		assert_non_null(e2e_http_header(&r, "Content-Type", ct,
		    sizeof(ct)));
		assert_contains(ct, types[i] != NULL &&
		    strncmp(types[i], "text/", 5) == 0 ? "text/xml" :
		    "application/xml");
		e2e_http_resp_free(&r);
	}
}

static void
test_answer_echoes_version_of_request(void **state)
{
	struct e2e_http_resp	 r;
	struct ncip_msg		*m;
	char			 body[2048], path[128];

	metro_path(path, sizeof(path));
	lookup_version(body, sizeof(body), NCIP_V2_0, "METRO", NULL);
	post(L_HTTP, path, "application/xml", body, strlen(body), NULL, NULL,
	    &r);
	m = e2e_http_ncip(&r);
	assert_string_equal(m->version_str, NCIP_V2_0);
	ncip_msg_free(m);
	e2e_http_resp_free(&r);
}

static void
test_wrong_token_fails_agency_authentication(void **state)
{
	lookup_version_refused(L_HTTP, "/ncip/metro-ncip-token-guessed-0000",
	    "METRO", NULL, NULL, NULL, NCIP_PT_AGENCY_AUTH_FAILED);
	/* No proof at all is no better. */
	lookup_version_refused(L_HTTPS, "/ncip", "METRO", NULL, NULL, NULL,
	    NCIP_PT_AGENCY_AUTH_FAILED);
}

static void
test_wrong_agency_authentication_fails(void **state)
{
	lookup_version_refused(L_HTTP, "/ncip", "DISTRICT",
	    "district-agency-proof-41c8", NULL, NULL,
	    NCIP_PT_AGENCY_AUTH_FAILED);
	/* A standard LookupVersion has no header to carry the proof. */
	lookup_version_refused(L_HTTP, "/ncip", "DISTRICT", NULL, NULL, NULL,
	    NCIP_PT_AGENCY_AUTH_FAILED);
}

static void
test_unknown_agency(void **state)
{
	char	 path[128];

	lookup_version_refused(L_HTTP, "/ncip", "NOWHERE", NULL, NULL, NULL,
	    NCIP_PT_UNKNOWN_AGENCY);
	/* A known caller naming an agency nobody has. */
	metro_path(path, sizeof(path));
	lookup_version_refused(L_HTTPS, path, "NOWHERE", NULL, NULL, NULL,
	    NCIP_PT_UNKNOWN_AGENCY);
}

static void
test_agency_of_another_partner_unauthorized(void **state)
{
	char	 path[128];

	metro_path(path, sizeof(path));
	lookup_version_refused(L_HTTP, path, "DISTRICT", NULL, NULL, NULL,
	    NCIP_PT_UNAUTHORIZED_SERVICE);
	lookup_version_refused(L_HTTPS, "/ncip", "METRO", NULL, tools_cert,
	    tools_key, NCIP_PT_UNAUTHORIZED_SERVICE);
}

static void
test_partner_without_ncip_access_refused(void **state)
{
	lookup_version_refused(L_HTTP, "/ncip", "QUIET", NULL, NULL, NULL,
	    NCIP_PT_AGENCY_AUTH_FAILED);
}

static void
test_authenticated_request_reaches_dispatch(void **state)
{
	struct e2e_http_resp	 r;
	struct ncip_msg		*m;
	off_t			 off = e2e_file_size(env.log);
	char			 body[4096];

	lookup_user(body, sizeof(body), "DISTRICT", DISTRICT_AUTH);
	post(L_HTTP, "/ncip", "application/xml", body, strlen(body), NULL,
	    NULL, &r);
	m = e2e_http_ncip(&r);
	assert_int_equal(m->service, NCIP_LOOKUP_USER_RESP);
	if (m->nproblems > 0)
		assert_true(m->problems[0].kind != NCIP_PT_AGENCY_AUTH_FAILED &&
		    m->problems[0].kind != NCIP_PT_UNKNOWN_AGENCY &&
		    m->problems[0].kind != NCIP_PT_UNAUTHORIZED_SERVICE);
	ncip_msg_free(m);
	e2e_http_resp_free(&r);
	assert_int_equal(e2e_file_wait(env.log, off,
	    "partner=district service=LookupUser result=", 2000), 0);

	/* The same request with a wrong proof stops at the door. */
	lookup_user(body, sizeof(body), "DISTRICT", "wrong-proof");
	post(L_HTTP, "/ncip", "application/xml", body, strlen(body), NULL,
	    NULL, &r);
	assert_problem(&r, NCIP_PT_AGENCY_AUTH_FAILED);
	e2e_http_resp_free(&r);
}

static void
test_wrong_path_is_404(void **state)
{
	static const char	*paths[] = { "/", "/ncipx", "/ncip/a/b",
	    "/other/ncip" };
	struct e2e_http_resp	 r;
	char			 body[2048];
	size_t			 i;

	lookup_version(body, sizeof(body), V202, "METRO", NULL);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		post(i % 2 ? L_HTTPS : L_HTTP, paths[i], "application/xml",
		    body, strlen(body), NULL, NULL, &r);
		assert_int_equal(r.status, 404);
		e2e_http_resp_free(&r);
	}
}

static void
test_wrong_method_is_405(void **state)
{
	static const char	*methods[] = { "GET", "PUT", "DELETE" };
	struct e2e_http_resp	 r;
	struct e2e_conn		*c;
	char			 allow[64], path[128];
	size_t			 i;

	metro_path(path, sizeof(path));
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		c = conn(i % 2 ? L_HTTPS : L_HTTP, NULL, NULL);
		assert_int_equal(e2e_http_send(c, methods[i], path, NULL,
		    "", 0), 0);
		assert_int_equal(e2e_http_read(c, &r, 5000), 0);
		assert_int_equal(r.status, 405);
		assert_non_null(e2e_http_header(&r, "Allow", allow,
		    sizeof(allow)));
		assert_string_equal(allow, "POST");
		e2e_http_resp_free(&r);
		e2e_close(c);
	}
}

static void
test_oversized_body_is_413(void **state)
{
	struct e2e_http_resp	 r;
	char			*body, path[128];
	size_t			 len = NCIP_BODY_MAX + 1;
	int			 l;

	metro_path(path, sizeof(path));
	body = malloc(len);
	assert_non_null(body);
	memset(body, ' ', len);
	memcpy(body, "<NCIPMessage>", 13);
	for (l = L_HTTP; l <= L_HTTPS; l++) {
		post(l, path, "application/xml", body, len, NULL, NULL, &r);
		assert_int_equal(r.status, 413);
		e2e_http_resp_free(&r);
	}
	free(body);
	still_serves();
}

/* A hostile or broken body: its Problem, over both listeners. */
static void
hostile(const char *body, size_t len, enum ncip_problem_type kind)
{
	struct e2e_http_resp	 r;
	char			 path[128];
	int			 l;

	metro_path(path, sizeof(path));
	for (l = L_HTTP; l <= L_HTTPS; l++) {
		post(l, path, "application/xml", body, len, NULL, NULL, &r);
		assert_problem(&r, kind);
		if (strstr(r.body, MARKER) != NULL)
			fail_msg("a local file came back: %s", r.body);
		e2e_http_resp_free(&r);
	}
	still_serves();
}

/* Append n copies of a string to a body at *o; the caller made room. */
static void
repeat(char *body, size_t *o, const char *s, int n)
{
	size_t	 len = strlen(s);

	while (n-- > 0) {
		memcpy(body + *o, s, len);
		*o += len;
	}
}

static void
test_external_entity_never_read(void **state)
{
	char	 body[2048];

	snprintf(body, sizeof(body), "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE NCIPMessage [<!ENTITY xxe SYSTEM \"file://%s\">]>\n"
	    "<NCIPMessage xmlns=\"" NS "\" version=\"" V202 "\">"
	    "<LookupVersion><FromAgencyId><AgencyId>&xxe;</AgencyId>"
	    "</FromAgencyId><ToAgencyId><AgencyId>CIRCLINK</AgencyId>"
	    "</ToAgencyId></LookupVersion></NCIPMessage>", marker);
	hostile(body, strlen(body), NCIP_PT_INVALID_MESSAGE_SYNTAX);
	/* The same file named as the DTD, and as a parameter entity. */
	snprintf(body, sizeof(body), "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE NCIPMessage SYSTEM \"file://%s\">\n"
	    "<NCIPMessage xmlns=\"" NS "\" version=\"" V202 "\">"
	    "<LookupVersion><FromAgencyId><AgencyId>METRO</AgencyId>"
	    "</FromAgencyId><ToAgencyId><AgencyId>CIRCLINK</AgencyId>"
	    "</ToAgencyId></LookupVersion></NCIPMessage>", marker);
	hostile(body, strlen(body), NCIP_PT_INVALID_MESSAGE_SYNTAX);
	snprintf(body, sizeof(body), "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE NCIPMessage [<!ENTITY %% p SYSTEM \"file://%s\"> "
	    "%%p;]>\n<NCIPMessage xmlns=\"" NS "\" version=\"" V202 "\">"
	    "<LookupVersion/></NCIPMessage>", marker);
	hostile(body, strlen(body), NCIP_PT_INVALID_MESSAGE_SYNTAX);
}

static void
test_billion_laughs_refused(void **state)
{
	char	 body[4096];
	size_t	 o;
	int	 i;

	o = (size_t)snprintf(body, sizeof(body), "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE NCIPMessage [<!ENTITY l0 \"lol\">");
	for (i = 1; i < 10; i++)
		o += (size_t)snprintf(body + o, sizeof(body) - o,
		    "<!ENTITY l%d \"&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;"
		    "&l%d;&l%d;\">", i, i - 1, i - 1, i - 1, i - 1, i - 1,
		    i - 1, i - 1, i - 1, i - 1, i - 1);
	snprintf(body + o, sizeof(body) - o, "]>\n<NCIPMessage xmlns=\"" NS
	    "\" version=\"" V202 "\"><LookupVersion><FromAgencyId><AgencyId>"
	    "&l9;</AgencyId></FromAgencyId></LookupVersion></NCIPMessage>");
	hostile(body, strlen(body), NCIP_PT_INVALID_MESSAGE_SYNTAX);
}

static void
test_quadratic_blowup_refused(void **state)
{
	size_t	 cap = 512 * 1024, o;
	char	*body;

	body = malloc(cap);
	assert_non_null(body);
	o = (size_t)snprintf(body, cap, "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE NCIPMessage [<!ENTITY a \"");
	repeat(body, &o, "a", 50000);
	o += (size_t)snprintf(body + o, cap - o, "\">]>\n<NCIPMessage "
	    "xmlns=\"" NS "\" version=\"" V202 "\"><LookupVersion>"
	    "<FromAgencyId><AgencyId>");
	repeat(body, &o, "&a;", 40000);
	o += (size_t)snprintf(body + o, cap - o, "</AgencyId></FromAgencyId>"
	    "</LookupVersion></NCIPMessage>");
	hostile(body, o, NCIP_PT_INVALID_MESSAGE_SYNTAX);
	free(body);
}

static void
test_deep_nesting_refused(void **state)
{
	size_t	 cap = 256 * 1024, o;
	char	*body;

	body = malloc(cap);
	assert_non_null(body);
	o = (size_t)snprintf(body, cap, "<NCIPMessage xmlns=\"" NS "\" "
	    "version=\"" V202 "\"><LookupVersion>");
	repeat(body, &o, "<x>", 20000);
	repeat(body, &o, "</x>", 20000);
	o += (size_t)snprintf(body + o, cap - o,
	    "</LookupVersion></NCIPMessage>");
	hostile(body, o, NCIP_PT_INVALID_MESSAGE_SYNTAX);
	free(body);
}

static void
test_huge_text_refused(void **state)
{
	size_t	 cap = 1000 * 1000, o;
	char	*body;

	body = malloc(cap);
	assert_non_null(body);
	o = (size_t)snprintf(body, cap, "<NCIPMessage xmlns=\"" NS "\" "
	    "version=\"" V202 "\"><LookupVersion><FromAgencyId><AgencyId>");
	repeat(body, &o, "M", 900000);
	o += (size_t)snprintf(body + o, cap - o, "</AgencyId></FromAgencyId>"
	    "</LookupVersion></NCIPMessage>");
	hostile(body, o, NCIP_PT_INVALID_MESSAGE_SYNTAX);
	free(body);
}

static void
test_not_xml_refused(void **state)
{
	static const char	 bin[] = "\x00\x01\xff\xfe<NCIP";

	hostile("hello, this is not XML", 22, NCIP_PT_INVALID_MESSAGE_SYNTAX);
	hostile(bin, sizeof(bin) - 1, NCIP_PT_INVALID_MESSAGE_SYNTAX);
	hostile("", 0, NCIP_PT_INVALID_MESSAGE_SYNTAX);
	hostile("<NCIPMessage", 12, NCIP_PT_INVALID_MESSAGE_SYNTAX);
}

static void
test_wrong_root_refused(void **state)
{
	static const char	 body[] = "<html><body>NCIP?</body></html>";

	hostile(body, sizeof(body) - 1, NCIP_PT_INVALID_MESSAGE_SYNTAX);
}

static void
test_unknown_service_refused(void **state)
{
	static const char	 unknown[] = "<NCIPMessage xmlns=\"" NS "\" "
	    "version=\"" V202 "\"><BorrowEverything/></NCIPMessage>";
	static const char	 other[] = "<NCIPMessage xmlns=\"" NS "\" "
	    "version=\"" V202 "\"><LookupAgency><InitiationHeader>"
	    "<FromAgencyId><AgencyId>METRO</AgencyId></FromAgencyId>"
	    "<ToAgencyId><AgencyId>X</AgencyId></ToAgencyId>"
	    "</InitiationHeader></LookupAgency></NCIPMessage>";

	hostile(unknown, sizeof(unknown) - 1, NCIP_PT_UNKNOWN_SERVICE);
	/* An NCIP service circlink does not carry. */
	hostile(other, sizeof(other) - 1, NCIP_PT_UNSUPPORTED_SERVICE);
}

static void
test_missing_required_elements_refused(void **state)
{
	static const char	 body[] = "<NCIPMessage xmlns=\"" NS "\" "
	    "version=\"" V202 "\"><LookupUser><InitiationHeader>"
	    "<FromAgencyId><AgencyId>METRO</AgencyId></FromAgencyId>"
	    "<ToAgencyId><AgencyId>METRO</AgencyId></ToAgencyId>"
	    "</InitiationHeader></LookupUser></NCIPMessage>";
	struct e2e_http_resp	 r;
	struct ncip_msg		*m;
	char			 path[128];

	hostile(body, sizeof(body) - 1, NCIP_PT_NEEDED_DATA_MISSING);
	metro_path(path, sizeof(path));
	post(L_HTTP, path, "application/xml", body, sizeof(body) - 1, NULL,
	    NULL, &r);
	m = e2e_http_ncip(&r);
	assert_int_equal(m->service, NCIP_LOOKUP_USER_RESP);
	assert_string_equal(m->problems[0].element, "UserId");
	ncip_msg_free(m);
	e2e_http_resp_free(&r);
}

static void
test_caller_leaving_before_answer(void **state)
{
	struct e2e_conn	*c;
	off_t		 off = e2e_file_size(env.log);
	char		 body[2048];
	int		 l;

	/* A failed authentication is answered late; the caller is gone. */
	lookup_version(body, sizeof(body), V202, "METRO", NULL);
	for (l = L_HTTP; l <= L_HTTPS; l++) {
		c = conn(l, NULL, NULL);
		assert_int_equal(e2e_http_send(c, "POST",
		    "/ncip/no-such-token-123", "application/xml", body,
		    strlen(body)), 0);
		e2e_close(c);
	}
	assert_int_equal(e2e_file_wait(env.log, off, "result=\"gone\"",
	    3000), 0);
	still_serves();
}

static void
test_reload_changes_token_and_keeps_listeners(void **state)
{
	char	 old[128], path[128];

	metro_path(old, sizeof(old));
	metro_token = METRO_TOKEN2;
	assert_int_equal(e2e_gw_reload(&env, write_conf), 0);
	lookup_version_refused(L_HTTP, old, "METRO", NULL, NULL, NULL,
	    NCIP_PT_AGENCY_AUTH_FAILED);
	metro_path(path, sizeof(path));
	lookup_version_ok(L_HTTPS, path, "METRO", NULL, NULL, NULL);

	/* Back as the other tests expect. */
	metro_token = METRO_TOKEN;
	assert_int_equal(e2e_gw_reload(&env, write_conf), 0);
	still_serves();
}

static void
test_log_holds_no_secrets(void **state)
{
	/* The tokens, those callers tried, proofs, a PIN, a local file. */
	static const char *const secrets[] = {
		METRO_TOKEN, METRO_TOKEN2, "metro-ncip-token-guessed",
		"no-such-token", DISTRICT_AUTH, "district-agency-proof",
		PATRON_PIN, MARKER, NULL
	};
	char	*log;

	/* Traces are on: every message went through the redaction. */
	log = e2e_file_read(env.log, 0);
	assert_non_null(log);
	assert_contains(log, "event=auth-failed");
	assert_contains(log, "service=LookupUser");
	e2e_assert_private(log, secrets, NULL, NULL, NULL);
	free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f)	cmocka_unit_test_setup_teardown(f, ready, still_alive)
		T(test_lookup_version_with_token_over_http),
		T(test_lookup_version_with_token_over_https),
		T(test_lookup_version_with_agency_auth_over_http),
		T(test_lookup_version_with_agency_auth_over_https),
		T(test_lookup_version_with_client_certificate),
		T(test_client_certificate_needed_over_http),
		T(test_unpinned_client_certificate_refused),
		T(test_keep_alive_serves_two_requests_on_one_connection),
		T(test_xml_content_types_accepted),
		T(test_answer_echoes_version_of_request),
		T(test_wrong_token_fails_agency_authentication),
		T(test_wrong_agency_authentication_fails),
		T(test_unknown_agency),
		T(test_agency_of_another_partner_unauthorized),
		T(test_partner_without_ncip_access_refused),
		T(test_authenticated_request_reaches_dispatch),
		T(test_wrong_path_is_404),
		T(test_wrong_method_is_405),
		T(test_oversized_body_is_413),
		T(test_external_entity_never_read),
		T(test_billion_laughs_refused),
		T(test_quadratic_blowup_refused),
		T(test_deep_nesting_refused),
		T(test_huge_text_refused),
		T(test_not_xml_refused),
		T(test_wrong_root_refused),
		T(test_unknown_service_refused),
		T(test_missing_required_elements_refused),
		T(test_caller_leaving_before_answer),
		T(test_reload_changes_token_and_keeps_listeners),
		T(test_log_holds_no_secrets),
#undef T
	};

	return (cmocka_run_group_tests_name("e2e_ncip", tests, group_setup,
	    group_teardown));
}
