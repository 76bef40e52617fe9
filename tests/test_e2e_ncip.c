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
#include <signal.h>
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

#define assert_contains(hay, needle) do {				\
	const char *h_ = (hay), *n_ = (needle);				\
	if (strstr(h_, n_) == NULL)					\
		fail_msg("\"%.300s\" does not contain \"%s\"", h_, n_);	\
} while (0)

/* Write the gateway's configuration: two NCIP listeners, four partners. */
static int
write_conf(void)
{
	char	 text[8192];

	snprintf(text, sizeof(text),
	    "# Written by test_e2e_ncip.\n"
	    "log-level info\n"
	    "trace ncip\n"
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
	    "}\n", env.listeners[L_HTTP].port, env.listeners[L_HTTPS].port,
	    env.cert, env.key, metro_token, DISTRICT_AUTH, tools_pin);
	return (e2e_http_write_file(env.conf, text));
}

static int
group_setup(void **state)
{
	int	 try;

	ncip_init();
	if (e2e_env_init(&env) == -1)
		goto fail;
	snprintf(tools_cert, sizeof(tools_cert), "%s/tools.crt", env.dir);
	snprintf(tools_key, sizeof(tools_key), "%s/tools.key", env.dir);
	snprintf(stray_cert, sizeof(stray_cert), "%s/stray.crt", env.dir);
	snprintf(stray_key, sizeof(stray_key), "%s/stray.key", env.dir);
	snprintf(marker, sizeof(marker), "%s/marker.txt", env.dir);
	if (e2e_http_make_cert(&env, "tools-ils", tools_cert, tools_key) ==
	    -1 || e2e_http_make_cert(&env, "stray-ils", stray_cert,
	    stray_key) == -1 ||
	    e2e_http_cert_pin(tools_cert, tools_pin, sizeof(tools_pin)) == -1 ||
	    e2e_http_write_file(marker, MARKER "\n") == -1)
		goto fail;

	env.nlisteners = 2;
	env.listeners[L_HTTPS].tls = 1;
	for (try = 0; try < 3; try++) {
		if ((env.listeners[L_HTTP].port = e2e_free_port()) == -1 ||
		    (env.listeners[L_HTTPS].port = e2e_free_port()) == -1 ||
		    write_conf() == -1)
			goto fail;
		if (e2e_gw_start(&env) == 0)
			return (0);
		e2e_gw_stop(&env);
	}
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
	if (env.dir[0] == '\0')
		return (-1);
	if (!e2e_gw_alive(&env) && e2e_gw_start(&env) == -1)
		return (-1);
	return (0);
}

/* After each test: whatever happened, the gateway must still run. */
static int
still_alive(void **state)
{
	if (!e2e_gw_alive(&env)) {
		fprintf(stderr, "e2e: circlinkd died during the test; run "
		    "with E2E_KEEP=1 and see %s\n", env.log);
		return (-1);
	}
	return (0);
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

static struct e2e_conn *
conn(int listener, const char *cert, const char *key)
{
	struct e2e_conn	*c;

	c = e2e_http_connect(env.listeners[listener].port,
	    env.listeners[listener].tls ? env.cert : NULL, cert, key);
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

/* Parse an answer that must be an NCIP message under HTTP 200. */
static struct ncip_msg *
answer(const struct e2e_http_resp *r)
{
	struct ncip_error	 err;
	struct ncip_msg		*m;

	assert_int_equal(r->status, 200);
	if ((m = ncip_parse(r->body, r->bodylen, NULL, &err)) == NULL)
		fail_msg("not NCIP (%s): %.300s", err.detail, r->body);
	return (m);
}

/* The answer carries exactly this Problem type first. */
static void
assert_problem(const struct e2e_http_resp *r, enum ncip_problem_type kind)
{
	struct ncip_msg	*m = answer(r);

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
	struct ncip_msg		*m = answer(r);
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

/* A LookupVersion with a token, one partner, over one listener. */
static void
lookup_version_ok(int listener, const char *path, const char *from,
    const char *proof, const char *cert, const char *key)
{
	struct e2e_http_resp	 r;
	char			 body[2048];

	lookup_version(body, sizeof(body), V202, from, proof);
	post(listener, path, "application/xml", body, strlen(body), cert, key,
	    &r);
	assert_versions(&r, from);
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
	struct e2e_http_resp	 r;
	char			 body[2048];

	lookup_version(body, sizeof(body), V202, "TOOLS", NULL);
	post(L_HTTP, "/ncip", "application/xml", body, strlen(body), NULL,
	    NULL, &r);
	assert_problem(&r, NCIP_PT_AGENCY_AUTH_FAILED);
	e2e_http_resp_free(&r);
	post(L_HTTPS, "/ncip", "application/xml", body, strlen(body), NULL,
	    NULL, &r);
	assert_problem(&r, NCIP_PT_AGENCY_AUTH_FAILED);
	e2e_http_resp_free(&r);
}

static void
test_unpinned_client_certificate_refused(void **state)
{
	struct e2e_conn	*c;

	/* The handshake fails: nothing vouches for this certificate. */
	c = e2e_http_connect(env.listeners[L_HTTPS].port, env.cert,
	    stray_cert, stray_key);
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
	m = answer(&r);
	assert_string_equal(m->version_str, NCIP_V2_0);
	ncip_msg_free(m);
	e2e_http_resp_free(&r);
}

static void
test_wrong_token_fails_agency_authentication(void **state)
{
	struct e2e_http_resp	 r;
	char			 body[2048];

	lookup_version(body, sizeof(body), V202, "METRO", NULL);
	post(L_HTTP, "/ncip/metro-ncip-token-guessed-0000", "application/xml",
	    body, strlen(body), NULL, NULL, &r);
	assert_problem(&r, NCIP_PT_AGENCY_AUTH_FAILED);
	e2e_http_resp_free(&r);
	/* No proof at all is no better. */
	post(L_HTTPS, "/ncip", "application/xml", body, strlen(body), NULL,
	    NULL, &r);
	assert_problem(&r, NCIP_PT_AGENCY_AUTH_FAILED);
	e2e_http_resp_free(&r);
}

static void
test_wrong_agency_authentication_fails(void **state)
{
	struct e2e_http_resp	 r;
	char			 body[2048];

	lookup_version(body, sizeof(body), V202, "DISTRICT",
	    "district-agency-proof-41c8");
	post(L_HTTP, "/ncip", "application/xml", body, strlen(body), NULL,
	    NULL, &r);
	assert_problem(&r, NCIP_PT_AGENCY_AUTH_FAILED);
	e2e_http_resp_free(&r);
	/* A standard LookupVersion has no header to carry the proof. */
	lookup_version(body, sizeof(body), V202, "DISTRICT", NULL);
	post(L_HTTP, "/ncip", "application/xml", body, strlen(body), NULL,
	    NULL, &r);
	assert_problem(&r, NCIP_PT_AGENCY_AUTH_FAILED);
	e2e_http_resp_free(&r);
}

static void
test_unknown_agency(void **state)
{
	struct e2e_http_resp	 r;
	char			 body[2048], path[128];

	lookup_version(body, sizeof(body), V202, "NOWHERE", NULL);
	post(L_HTTP, "/ncip", "application/xml", body, strlen(body), NULL,
	    NULL, &r);
	assert_problem(&r, NCIP_PT_UNKNOWN_AGENCY);
	e2e_http_resp_free(&r);
	/* A known caller naming an agency nobody has. */
	metro_path(path, sizeof(path));
	post(L_HTTPS, path, "application/xml", body, strlen(body), NULL,
	    NULL, &r);
	assert_problem(&r, NCIP_PT_UNKNOWN_AGENCY);
	e2e_http_resp_free(&r);
}

static void
test_agency_of_another_partner_unauthorized(void **state)
{
	struct e2e_http_resp	 r;
	char			 body[2048], path[128];

	metro_path(path, sizeof(path));
	lookup_version(body, sizeof(body), V202, "DISTRICT", NULL);
	post(L_HTTP, path, "application/xml", body, strlen(body), NULL, NULL,
	    &r);
	assert_problem(&r, NCIP_PT_UNAUTHORIZED_SERVICE);
	e2e_http_resp_free(&r);
	lookup_version(body, sizeof(body), V202, "METRO", NULL);
	post(L_HTTPS, "/ncip", "application/xml", body, strlen(body),
	    tools_cert, tools_key, &r);
	assert_problem(&r, NCIP_PT_UNAUTHORIZED_SERVICE);
	e2e_http_resp_free(&r);
}

static void
test_partner_without_ncip_access_refused(void **state)
{
	struct e2e_http_resp	 r;
	char			 body[2048];

	lookup_version(body, sizeof(body), V202, "QUIET", NULL);
	post(L_HTTP, "/ncip", "application/xml", body, strlen(body), NULL,
	    NULL, &r);
	assert_problem(&r, NCIP_PT_AGENCY_AUTH_FAILED);
	e2e_http_resp_free(&r);
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
	m = answer(&r);
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
	int	 i;

	body = malloc(cap);
	assert_non_null(body);
	o = (size_t)snprintf(body, cap, "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE NCIPMessage [<!ENTITY a \"");
	memset(body + o, 'a', 50000);
	o += 50000;
	o += (size_t)snprintf(body + o, cap - o, "\">]>\n<NCIPMessage "
	    "xmlns=\"" NS "\" version=\"" V202 "\"><LookupVersion>"
	    "<FromAgencyId><AgencyId>");
	for (i = 0; i < 40000; i++) {
		memcpy(body + o, "&a;", 3);
		o += 3;
	}
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
	int	 i;

	body = malloc(cap);
	assert_non_null(body);
	o = (size_t)snprintf(body, cap, "<NCIPMessage xmlns=\"" NS "\" "
	    "version=\"" V202 "\"><LookupVersion>");
	for (i = 0; i < 20000; i++) {
		memcpy(body + o, "<x>", 3);
		o += 3;
	}
	for (i = 0; i < 20000; i++) {
		memcpy(body + o, "</x>", 4);
		o += 4;
	}
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
	memset(body + o, 'M', 900000);
	o += 900000;
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
	m = answer(&r);
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

	/* A failed authentication is answered late; the caller is gone. */
	lookup_version(body, sizeof(body), V202, "METRO", NULL);
	c = conn(L_HTTP, NULL, NULL);
	assert_int_equal(e2e_http_send(c, "POST", "/ncip/no-such-token-123",
	    "application/xml", body, strlen(body)), 0);
	e2e_close(c);
	c = conn(L_HTTPS, NULL, NULL);
	assert_int_equal(e2e_http_send(c, "POST", "/ncip/no-such-token-123",
	    "application/xml", body, strlen(body)), 0);
	e2e_close(c);
	assert_int_equal(e2e_file_wait(env.log, off, "result=\"gone\"",
	    3000), 0);
	still_serves();
}

static void
test_reload_changes_token_and_keeps_listeners(void **state)
{
	struct e2e_http_resp	 r;
	char			 body[2048], old[128], path[128];
	off_t			 off = e2e_file_size(env.log);

	metro_path(old, sizeof(old));
	metro_token = METRO_TOKEN2;
	assert_int_equal(write_conf(), 0);
	assert_int_equal(kill(env.gw_pid, SIGHUP), 0);
	assert_int_equal(e2e_file_wait(env.log, off, "reloaded", 5000), 0);
	lookup_version(body, sizeof(body), V202, "METRO", NULL);
	post(L_HTTP, old, "application/xml", body, strlen(body), NULL, NULL,
	    &r);
	assert_problem(&r, NCIP_PT_AGENCY_AUTH_FAILED);
	e2e_http_resp_free(&r);
	metro_path(path, sizeof(path));
	lookup_version_ok(L_HTTPS, path, "METRO", NULL, NULL, NULL);

	/* Back as the other tests expect. */
	metro_token = METRO_TOKEN;
	off = e2e_file_size(env.log);
	assert_int_equal(write_conf(), 0);
	assert_int_equal(kill(env.gw_pid, SIGHUP), 0);
	assert_int_equal(e2e_file_wait(env.log, off, "reloaded", 5000), 0);
	still_serves();
}

static void
test_log_holds_no_secrets(void **state)
{
	char	*log;

	/* Traces are on: every message went through the redaction. */
	log = e2e_file_read(env.log, 0);
	assert_non_null(log);
	assert_contains(log, "event=auth-failed");
	assert_contains(log, "service=LookupUser");
	if (strstr(log, METRO_TOKEN) != NULL ||
	    strstr(log, METRO_TOKEN2) != NULL)
		fail_msg("the log holds a token");
	if (strstr(log, "metro-ncip-token-guessed") != NULL ||
	    strstr(log, "no-such-token") != NULL)
		fail_msg("the log holds a token a caller tried");
	if (strstr(log, DISTRICT_AUTH) != NULL ||
	    strstr(log, "district-agency-proof") != NULL)
		fail_msg("the log holds an agency authentication");
	if (strstr(log, PATRON_PIN) != NULL)
		fail_msg("the log holds a PIN");
	if (strstr(log, MARKER) != NULL)
		fail_msg("the log holds the marker file's content");
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
