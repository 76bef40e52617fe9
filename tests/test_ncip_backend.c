/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of the NCIP backend's transport: ncip_backend.c talks to
 * small HTTP and HTTPS responders running in the test's own event loop,
 * which answer fixed documents, hang, answer garbage or HTTP errors, or
 * are not there at all.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "circlinkd.h"
#include "ncip.h"

#define NS	"http://www.niso.org/2008/ncip"
#define TOKEN	"ils-path-token-83"
#define SECRET	"our-agency-proof"

/* What the responder does with the next requests. */
enum mode {
	M_OK,		/* a LookupUserResponse */
	M_PROBLEM,	/* a LookupUserResponse with Unknown User */
	M_HANG,		/* no answer at all */
	M_GARBAGE,	/* 200 and a body that is not XML */
	M_500_PROBLEM,	/* 500 and a bare Problem */
	M_500_EMPTY,	/* 500 and no body */
	M_WRONG_KIND,	/* a CheckInItemResponse */
	M_CLOSE,	/* the answer, then the connection closes */
};

static const char ok_body[] =
    "<?xml version=\"1.0\"?><NCIPMessage xmlns=\"" NS "\" version=\""
    NCIP_V2_02 "\"><LookupUserResponse><ResponseHeader><FromAgencyId>"
    "<AgencyId>ILS</AgencyId></FromAgencyId><ToAgencyId><AgencyId>GW"
    "</AgencyId></ToAgencyId></ResponseHeader><UserId><UserIdentifierValue>"
    "21000000001</UserIdentifierValue></UserId></LookupUserResponse>"
    "</NCIPMessage>";
static const char problem_body[] =
    "<NCIPMessage xmlns=\"" NS "\" version=\"" NCIP_V2_02 "\">"
    "<LookupUserResponse><Problem><ProblemType>Unknown User</ProblemType>"
    "<ProblemElement>UserIdentifierValue</ProblemElement></Problem>"
    "</LookupUserResponse></NCIPMessage>";
static const char bare_problem_body[] =
    "<NCIPMessage xmlns=\"" NS "\" version=\"" NCIP_V2_02 "\"><Problem>"
    "<ProblemType>Temporary Processing Failure</ProblemType></Problem>"
    "</NCIPMessage>";
static const char checkin_body[] =
    "<NCIPMessage xmlns=\"" NS "\" version=\"" NCIP_V2_02 "\">"
    "<CheckInItemResponse><ItemId><ItemIdentifierValue>31000000001"
    "</ItemIdentifierValue></ItemId></CheckInItemResponse></NCIPMessage>";

/* The responder and what it saw. */
static struct {
	struct event_base	*base;
	struct evhttp		*http;
	struct evconnlistener	*raw;	/* answers bytes that are not HTTP */
	SSL_CTX			*ctx;	/* HTTPS when set */
	int			 port;
	enum mode		 mode;
	int			 connections;
	int			 requests;
	char			 path[256];
	char			 ctype[128];
	char			*body;
	struct evhttp_request	*held[8];
	int			 nheld;
} rs;

/* What the backend's callback got. */
static struct {
	int		 calls;
	uint64_t	 sid;
	uint32_t	 txn;
	struct ncip_msg	*resp;
	char		 error[160];
} got;

static struct ncip_backend	*be;
static X509			*cert;
static EVP_PKEY			*pkey;

static void
cb(uint64_t sid, uint32_t txn, struct ncip_msg *resp, const char *error)
{
	got.calls++;
	got.sid = sid;
	got.txn = txn;
	ncip_msg_free(got.resp);
	got.resp = resp;
	snprintf(got.error, sizeof(got.error), "%s", error != NULL ? error :
	    "");
}

static void
rs_reply(struct evhttp_request *req, int code, const char *body)
{
	if (body != NULL)
		evbuffer_add(evhttp_request_get_output_buffer(req), body,
		    strlen(body));
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/xml");
	evhttp_send_reply(req, code, code == 200 ? "OK" : "Error", NULL);
}

static void
rs_request_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	const char	*ct;
	size_t		 len = evbuffer_get_length(in);

	rs.requests++;
	snprintf(rs.path, sizeof(rs.path), "%s", evhttp_request_get_uri(req));
	ct = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	snprintf(rs.ctype, sizeof(rs.ctype), "%s", ct != NULL ? ct : "");
	free(rs.body);
	rs.body = calloc(1, len + 1);
	evbuffer_remove(in, rs.body, len);
	switch (rs.mode) {
	case M_OK:
		rs_reply(req, 200, ok_body);
		break;
	case M_PROBLEM:
		rs_reply(req, 200, problem_body);
		break;
	case M_HANG:
		if (rs.nheld < 8)
			rs.held[rs.nheld++] = req;
		break;
	case M_GARBAGE:
		rs_reply(req, 200, "<html>Internal error</html");
		break;
	case M_500_PROBLEM:
		rs_reply(req, 500, bare_problem_body);
		break;
	case M_500_EMPTY:
		rs_reply(req, 500, NULL);
		break;
	case M_WRONG_KIND:
		rs_reply(req, 200, checkin_body);
		break;
	case M_CLOSE:
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Connection", "close");
		rs_reply(req, 200, ok_body);
		break;
	}
}

/* Every connection the responder accepts passes here: they are counted. */
static struct bufferevent *
rs_bevcb(struct event_base *base, void *arg)
{
	rs.connections++;
	if (rs.ctx != NULL)
		return (bufferevent_openssl_socket_new(base, -1,
		    SSL_new(rs.ctx), BUFFEREVENT_SSL_ACCEPTING,
		    BEV_OPT_CLOSE_ON_FREE));
	return (bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE));
}

/* Start the HTTP(S) responder on port (0: any) and note its port. */
static void
rs_start(int port)
{
	struct evhttp_bound_socket	*h;
	struct sockaddr_in		 sin;
	socklen_t			 len = sizeof(sin);

	rs.http = evhttp_new(rs.base);
	assert_non_null(rs.http);
	evhttp_set_gencb(rs.http, rs_request_cb, NULL);
	evhttp_set_bevcb(rs.http, rs_bevcb, NULL);
	h = evhttp_bind_socket_with_handle(rs.http, "127.0.0.1", port);
	assert_non_null(h);
	assert_int_equal(getsockname(evhttp_bound_socket_get_fd(h),
	    (struct sockaddr *)&sin, &len), 0);
	rs.port = ntohs(sin.sin_port);
}

static void
rs_stop(void)
{
	int	 i;

	/* A held request whose client left is ours to free. */
	for (i = 0; i < rs.nheld; i++)
		if (evhttp_request_get_connection(rs.held[i]) == NULL)
			evhttp_request_free(rs.held[i]);
	rs.nheld = 0;
	if (rs.http != NULL)
		evhttp_free(rs.http);
	rs.http = NULL;
}

static void
raw_read_cb(struct bufferevent *bev, void *arg)
{
	evbuffer_drain(bufferevent_get_input(bev), (size_t)-1);
	bufferevent_write(bev, "200 OK this is SIP2\r\n\r\n", 23);
}

static void
raw_event_cb(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		bufferevent_free(bev);
}

static void
raw_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int len, void *arg)
{
	struct bufferevent	*bev;

	bev = bufferevent_socket_new(rs.base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, raw_read_cb, NULL, raw_event_cb, NULL);
	bufferevent_enable(bev, EV_READ);
}

/* A port that was free a moment ago. */
static int
free_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd, port = -1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return (port);
}

static void
timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	*(int *)arg = 1;
}

/* Run the loop until *flag reaches want or ms pass; returns 0 if it did. */
static int
run_until(const int *flag, int want, int ms)
{
	struct event	*t;
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };
	int		 expired = 0;

	t = evtimer_new(rs.base, timeout_cb, &expired);
	evtimer_add(t, &tv);
	while (*flag < want && !expired)
		event_base_loop(rs.base, EVLOOP_ONCE);
	event_free(t);
	return (*flag >= want ? 0 : -1);
}

/* Run the loop for ms, whatever happens. */
static void
run_for(int ms)
{
	int	 never = 0;

	(void)run_until(&never, 1, ms);
}

/* Run until the backend's up flag is want; 0 if it became so. */
static int
wait_up(int want, int ms)
{
	int	 i;

	for (i = 0; i < ms / 20; i++) {
		if (ncip_backend_up(be) == want)
			return (0);
		run_for(20);
	}
	return (ncip_backend_up(be) == want ? 0 : -1);
}

/* A partner whose backend is the responder, with a full NCIP profile. */
static struct conf_partner *
partner(int port, int version)
{
	static char			 id[] = "metro", name[] = "Metro";
	static char			 inst[] = "METRO", addr[] = "127.0.0.1";
	static char			 v1[] = NCIP_V1_0;
	static char			 path[] = "/ncip/responder";
	static char			 token[] = TOKEN, secret[] = SECRET;
	static char			 from[] = "CIRCLINK";
	static char			 profile[] = "CIRCLINK-METRO";
	static struct conf_partner	 p;
	struct conf_backend		*b = &p.backend;

	memset(&p, 0, sizeof(p));
	p.id = id;
	p.name = name;
	p.institutions[0] = inst;
	p.ninstitutions = 1;
	p.has_backend = 1;
	b->proto = BACKEND_NCIP;
	b->address = addr;
	b->port = port;
	b->pool = 1;
	b->timeout_ms = 400;
	b->connect_timeout_ms = 300;
	b->queue_max = 1;
	b->keepalive_ms = 0;
	b->ncip.version = version;
	b->ncip.version_str = version == 1 ? v1 : NULL;
	b->ncip.ns_style = NCIP_NSS_PREFIX;
	b->ncip.qualified_attrs = 0;
	b->ncip.path = path;
	b->ncip.token = token;
	b->ncip.from_agency = from;
	b->ncip.from_agency_auth = secret;
	b->ncip.app_profile = profile;
	return (&p);
}

static void
start_backend(struct conf_partner *p)
{
	char	 err[256];

	be = ncip_backend_new(rs.base, p, err, sizeof(err));
	if (be == NULL)
		fail_msg("%s", err);
}

/* A LookupUser to send, made the way a caller would. */
static struct ncip_msg *
lookup_user(void)
{
	struct ncip_msg	*m;

	m = ncip_msg_new(NCIP_LOOKUP_USER);
	assert_non_null(m);
	m->user_id.value = "21000000001";
	return (m);
}

/* Make a call that must be accepted, and wait for its callback. */
static void
call_and_wait(uint64_t sid, int ms)
{
	const char	*why = NULL;
	int		 before = got.calls;

	if (ncip_backend_call(be, lookup_user(), sid, 7, cb, &why) == -1)
		fail_msg("call refused: %s", why);
	assert_int_equal(run_until(&got.calls, before + 1, ms), 0);
	assert_int_equal(got.sid, sid);
	assert_int_equal(got.txn, 7);
}

static int
setup(void **state)
{
	memset(&rs, 0, sizeof(rs));
	memset(&got, 0, sizeof(got));
	if ((rs.base = event_base_new()) == NULL)
		return (-1);
	be = NULL;
	return (0);
}

static int
teardown(void **state)
{
	ncip_backend_free(be, 1);
	be = NULL;
	run_for(10);
	rs_stop();
	if (rs.raw != NULL)
		evconnlistener_free(rs.raw);
	if (rs.ctx != NULL)
		SSL_CTX_free(rs.ctx);
	ncip_msg_free(got.resp);
	free(rs.body);
	event_base_free(rs.base);
	return (0);
}

static void
test_answer_reaches_callback(void **state)
{
	rs_start(0);
	start_backend(partner(rs.port, 2));
	assert_int_equal(wait_up(1, 2000), 0);
	call_and_wait(41, 2000);
	assert_string_equal(got.error, "");
	assert_non_null(got.resp);
	assert_int_equal(got.resp->service, NCIP_LOOKUP_USER_RESP);
	assert_string_equal(got.resp->user_id.value, "21000000001");
}

static void
test_request_written_in_partners_dialect(void **state)
{
	struct ncip_error	 err;
	struct ncip_msg		*m;

	rs_start(0);
	start_backend(partner(rs.port, 2));
	call_and_wait(42, 2000);
	assert_string_equal(rs.path, "/ncip/responder/" TOKEN);
	assert_non_null(strstr(rs.ctype, "application/xml"));
	assert_non_null(strstr(rs.body, "<ns1:LookupUser>"));
	m = ncip_parse(rs.body, strlen(rs.body), NULL, &err);
	assert_non_null(m);
	assert_int_equal(m->dialect.version, 2);
	assert_int_equal(m->dialect.ns, NCIP_NSS_PREFIX);
	assert_string_equal(m->header.from_agency.value, "CIRCLINK");
	assert_string_equal(m->header.from_agency_auth, SECRET);
	assert_string_equal(m->header.to_agency.value, "METRO");
	assert_string_equal(m->header.profile.value, "CIRCLINK-METRO");
	assert_string_equal(m->user_id.value, "21000000001");
	ncip_msg_free(m);
}

static void
test_version1_partner_gets_version1(void **state)
{
	struct ncip_error	 err;
	struct ncip_msg		*m;

	rs_start(0);
	start_backend(partner(rs.port, 1));
	call_and_wait(43, 2000);
	assert_non_null(strstr(rs.body, "<!DOCTYPE NCIPMessage"));
	assert_non_null(strstr(rs.body, "UniqueUserId"));
	m = ncip_parse(rs.body, strlen(rs.body), NULL, &err);
	assert_non_null(m);
	assert_int_equal(m->dialect.version, 1);
	assert_string_equal(m->version_str, NCIP_V1_0);
	ncip_msg_free(m);
}

static void
test_keep_alive_reuses_connection(void **state)
{
	int	 probed;

	rs_start(0);
	start_backend(partner(rs.port, 2));
	assert_int_equal(wait_up(1, 2000), 0);
	probed = rs.connections;
	call_and_wait(1, 2000);
	call_and_wait(2, 2000);
	call_and_wait(3, 2000);
	assert_string_equal(got.error, "");
	assert_int_equal(rs.requests, 3);
	assert_int_equal(rs.connections - probed, 1);
}

static void
test_closed_connection_replaced(void **state)
{
	int	 probed;

	rs_start(0);
	rs.mode = M_CLOSE;
	start_backend(partner(rs.port, 2));
	assert_int_equal(wait_up(1, 2000), 0);
	probed = rs.connections;
	call_and_wait(1, 2000);
	assert_non_null(got.resp);
	rs.mode = M_OK;
	call_and_wait(2, 2000);
	assert_non_null(got.resp);
	assert_string_equal(got.error, "");
	assert_int_equal(rs.connections - probed, 2);
}

static void
test_deadline_ends_hanging_call(void **state)
{
	struct timespec	 t0, t1;
	long		 ms;
	int		 probed;

	rs_start(0);
	start_backend(partner(rs.port, 2));
	assert_int_equal(wait_up(1, 2000), 0);
	probed = rs.connections;
	rs.mode = M_HANG;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	call_and_wait(5, 3000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) /
	    1000000;
	assert_null(got.resp);
	assert_string_equal(got.error, "timeout");
	assert_true(ms >= 380 && ms < 1500);

	/* The next call gets a fresh connection and its own answer. */
	rs.mode = M_OK;
	call_and_wait(6, 2000);
	assert_non_null(got.resp);
	assert_int_equal(rs.connections - probed, 2);
	assert_int_equal(ncip_backend_up(be), 1);
}

static void
test_garbage_body_is_clear_error(void **state)
{
	rs_start(0);
	rs.mode = M_GARBAGE;
	start_backend(partner(rs.port, 2));
	call_and_wait(8, 2000);
	assert_null(got.resp);
	assert_string_equal(got.error, "the partner's answer (HTTP 200) is "
	    "not NCIP");
	/* An answer that is bad is still an answer: the ILS is up. */
	assert_int_equal(ncip_backend_up(be), 1);
}

static void
test_not_http_is_clear_error(void **state)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rs.raw = evconnlistener_new_bind(rs.base, raw_accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
	    (struct sockaddr *)&sin, sizeof(sin));
	assert_non_null(rs.raw);
	assert_int_equal(getsockname(evconnlistener_get_fd(rs.raw),
	    (struct sockaddr *)&sin, &len), 0);
	start_backend(partner(ntohs(sin.sin_port), 2));
	call_and_wait(9, 2000);
	assert_null(got.resp);
	assert_string_equal(got.error, "the partner's answer was not HTTP");
}

static void
test_http_500_with_problem_passed_on(void **state)
{
	rs_start(0);
	rs.mode = M_500_PROBLEM;
	start_backend(partner(rs.port, 2));
	call_and_wait(10, 2000);
	assert_string_equal(got.error, "");
	assert_non_null(got.resp);
	assert_int_equal(got.resp->service, NCIP_PROBLEM);
	assert_int_equal(got.resp->problems[0].kind,
	    NCIP_PT_TEMPORARY_FAILURE);
}

static void
test_http_500_without_body_is_error(void **state)
{
	rs_start(0);
	rs.mode = M_500_EMPTY;
	start_backend(partner(rs.port, 2));
	call_and_wait(11, 2000);
	assert_null(got.resp);
	assert_string_equal(got.error, "the partner answered HTTP 500 "
	    "without a body");
}

static void
test_problem_passed_through(void **state)
{
	rs_start(0);
	rs.mode = M_PROBLEM;
	start_backend(partner(rs.port, 2));
	call_and_wait(12, 2000);
	assert_string_equal(got.error, "");
	assert_non_null(got.resp);
	assert_int_equal(got.resp->service, NCIP_LOOKUP_USER_RESP);
	assert_int_equal(got.resp->nproblems, 1);
	assert_int_equal(got.resp->problems[0].kind, NCIP_PT_UNKNOWN_USER);
}

static void
test_answer_of_wrong_kind_is_error(void **state)
{
	rs_start(0);
	rs.mode = M_WRONG_KIND;
	start_backend(partner(rs.port, 2));
	call_and_wait(13, 2000);
	assert_null(got.resp);
	assert_string_equal(got.error, "the partner answered "
	    "CheckInItemResponse to LookupUser");
}

static void
test_partner_down_then_back(void **state)
{
	const char	*why = NULL;
	int		 port = free_port();

	start_backend(partner(port, 2));
	/* Nothing listens: the probe finds the partner offline. */
	run_for(400);
	assert_int_equal(ncip_backend_up(be), 0);
	assert_int_equal(ncip_backend_call(be, lookup_user(), 20, 7, cb,
	    &why), -1);
	assert_string_equal(why, "offline");
	assert_int_equal(got.calls, 0);

	/* It comes back on the same port: found again after backoff. */
	rs_start(port);
	assert_int_equal(wait_up(1, 3000), 0);
	call_and_wait(21, 2000);
	assert_non_null(got.resp);
}

static void
test_queue_full_refused(void **state)
{
	const char	*why = NULL;

	rs_start(0);
	rs.mode = M_HANG;
	start_backend(partner(rs.port, 2));
	assert_int_equal(wait_up(1, 2000), 0);
	/* One on the wire, one queued (queue 1), the third refused. */
	assert_int_equal(ncip_backend_call(be, lookup_user(), 30, 7, cb,
	    &why), 0);
	run_for(50);
	assert_int_equal(ncip_backend_call(be, lookup_user(), 31, 7, cb,
	    &why), 0);
	assert_int_equal(ncip_backend_call(be, lookup_user(), 32, 7, cb,
	    &why), -1);
	assert_string_equal(why, "busy");
	/* Both accepted calls end, at their deadline. */
	assert_int_equal(run_until(&got.calls, 2, 2000), 0);
	assert_string_equal(got.error, "timeout");
}

static void
test_free_ends_calls_once(void **state)
{
	const char	*why = NULL;

	rs_start(0);
	rs.mode = M_HANG;
	start_backend(partner(rs.port, 2));
	assert_int_equal(wait_up(1, 2000), 0);
	assert_int_equal(ncip_backend_call(be, lookup_user(), 40, 7, cb,
	    &why), 0);
	run_for(50);
	ncip_backend_free(be, 1);
	be = NULL;
	assert_int_equal(got.calls, 1);
	assert_string_equal(got.error, "stopping");
	run_for(600);
	assert_int_equal(got.calls, 1);
}

/* A self-signed certificate for localhost, made in memory. */
static void
make_cert(void)
{
	X509_NAME	*name;

	if (cert != NULL)
		return;
	pkey = EVP_EC_gen("P-256");
	assert_non_null(pkey);
	cert = X509_new();
	assert_non_null(cert);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
	X509_set_pubkey(cert, pkey);
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(cert, name);
	assert_true(X509_sign(cert, pkey, EVP_sha256()) > 0);
}

static void
https_partner(int good_pin, struct conf_partner **pp)
{
	static char		 localhost[] = "localhost";
	struct conf_partner	*p;
	unsigned int		 len = 0;

	make_cert();
	rs.ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(rs.ctx);
	assert_int_equal(SSL_CTX_use_certificate(rs.ctx, cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(rs.ctx, pkey), 1);
	rs_start(0);
	p = partner(rs.port, 2);
	p->backend.tls.enabled = 1;
	p->backend.tls.server_name = localhost;
	p->backend.tls.npins = 1;
	assert_true(X509_digest(cert, EVP_sha256(), p->backend.tls.pins[0],
	    &len));
	if (!good_pin)
		p->backend.tls.pins[0][0] ^= 0xff;
	*pp = p;
}

static void
test_https_with_pinned_certificate(void **state)
{
	struct conf_partner	*p;

	https_partner(1, &p);
	start_backend(p);
	assert_int_equal(wait_up(1, 2000), 0);
	call_and_wait(50, 2000);
	assert_non_null(got.resp);
	call_and_wait(51, 2000);
	assert_non_null(got.resp);
	assert_int_equal(rs.requests, 2);
	/* One for the probe, one for the calls. */
	assert_int_equal(rs.connections, 2);
}

static void
test_https_wrong_pin_is_offline(void **state)
{
	struct conf_partner	*p;
	const char		*why = NULL;

	https_partner(0, &p);
	start_backend(p);
	run_for(400);
	assert_int_equal(ncip_backend_up(be), 0);
	assert_int_equal(ncip_backend_call(be, lookup_user(), 52, 7, cb,
	    &why), -1);
	assert_string_equal(why, "offline");
	assert_int_equal(rs.requests, 0);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_answer_reaches_callback),
		T(test_request_written_in_partners_dialect),
		T(test_version1_partner_gets_version1),
		T(test_keep_alive_reuses_connection),
		T(test_closed_connection_replaced),
		T(test_deadline_ends_hanging_call),
		T(test_garbage_body_is_clear_error),
		T(test_not_http_is_clear_error),
		T(test_http_500_with_problem_passed_on),
		T(test_http_500_without_body_is_error),
		T(test_problem_passed_through),
		T(test_answer_of_wrong_kind_is_error),
		T(test_partner_down_then_back),
		T(test_queue_full_refused),
		T(test_free_ends_calls_once),
		T(test_https_with_pinned_certificate),
		T(test_https_wrong_pin_is_offline),
	};

	signal(SIGPIPE, SIG_IGN);
	log_init(1, LOG_WARNING, 0);
	tls_init();
	ncip_init();
	return (cmocka_run_group_tests_name("ncip_backend", tests, NULL,
	    NULL));
}
