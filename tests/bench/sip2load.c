/* SPDX-License-Identifier: ISC */
/*
 * sip2load: a closed-loop SIP2 load generator that keeps one request
 * outstanding per connection and reports throughput and latency.
 */

#include "config.h"

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "sip2.h"
#include "loadgen.h"

#define NSEQ		10

enum mode {
	MODE_STATUS,
	MODE_CHECKOUT,
	MODE_IDLE,
	MODE_HOLD,		/* a hold placed, then cancelled */
};

/* One request pre-built for every sequence number. */
struct tmpl {
	char		*bytes[NSEQ];
	size_t		 len[NSEQ];
	int		 expect;	/* response code */
};

/* What a connection holds besides the core's part, by connection id. */
struct sconn {
	struct bufferevent *bev;	/* TLS */
	struct sip2_framer fr;
	int		 seq;
	int		 expect;
};

static struct {
	SSL_CTX		*ssl;
	struct sip2_wire wire;
	enum mode	 mode;
	const char	*login;
	const char	*password;
	const char	*location;
	const char	*institution;
	const char	*pickup;	/* hold mode: BS */
	struct sconn	*conns;

	struct tmpl	 login_tmpl;
	struct tmpl	*tmpls;
	int		 ntmpls;
} S;

static void	usage(void) __attribute__((__noreturn__));

static void
usage(void)
{
	fprintf(stderr,
	    "usage: sip2load [-T] [-a cafile] [-c conns] "
	    "[-m status|checkout|hold|idle]\n"
	    "\t[-u login -w password] [-l location] [-i institution]\n"
	    "\t[-P patronfile | -b barcode[:pin],...] [-I item,...]\n"
	    "\t[-d seconds] [-W warmup-seconds] [-n requests] "
	    "[-t timeout-ms]\n"
	    "\t[-e cr|crlf|lf] [-s pickup-location] host:port\n");
	exit(2);
}

/* Fill the fixed fields a terminal would fill, then the given fields. */
static struct sip2_msg *
msg_make(int code, const char *date)
{
	struct sip2_msg	*m;

	if ((m = sip2_msg_new(code)) == NULL)
		return (NULL);
	(void)sip2_msg_set_fixed(m, SIP2_FX_DATE, date);
	(void)sip2_msg_set_fixed(m, SIP2_FX_RETURN_DATE, date);
	(void)sip2_msg_set_fixed(m, SIP2_FX_LANGUAGE, "000");
	(void)sip2_msg_set_fixed(m, SIP2_FX_NO_BLOCK, "N");
	(void)sip2_msg_set_fixed(m, SIP2_FX_SC_RENEWAL_POLICY, "Y");
	(void)sip2_msg_set_fixed(m, SIP2_FX_UID_ALGO, "0");
	(void)sip2_msg_set_fixed(m, SIP2_FX_PWD_ALGO, "0");
	return (m);
}

static int
msg_fields(struct sip2_msg *m, const char *const *kv)
{
	for (; kv[0] != NULL; kv += 2)
		if (kv[1] != NULL && sip2_msg_add_field(m, kv[0], kv[1]) == -1)
			return (-1);
	return (0);
}

/* Encode a message once for each sequence number; frees the message. */
static int
tmpl_build(struct tmpl *t, struct sip2_msg *m)
{
	char	 buf[SIP2_BUILD_MAX];
	ssize_t	 n;
	int	 seq;

	if (m == NULL)
		return (-1);
	t->expect = sip2_msg_spec(m)->response;
	for (seq = 0; seq < NSEQ; seq++) {
		sip2_msg_set_seq(m, seq);
		if ((n = sip2_build(m, &S.wire, buf, sizeof(buf))) <= 0 ||
		    (t->bytes[seq] = malloc((size_t)n)) == NULL) {
			sip2_msg_free(m);
			return (-1);
		}
		memcpy(t->bytes[seq], buf, (size_t)n);
		t->len[seq] = (size_t)n;
	}
	sip2_msg_free(m);
	return (0);
}

static int
tmpls_build(void)
{
	struct sip2_msg	*m;
	const char	*ao = S.institution != NULL ? S.institution : "";
	const char	*ap = S.location != NULL ? S.location : "";
	char		 date[19];
	int		 i, k;

	sip2_date_format(time(NULL), 0, date);
	if (S.login != NULL) {
		const char *kv[] = { "CN", S.login, "CO", S.password,
		    "CP", S.location, NULL };

		m = msg_make(SIP2_LOGIN, date);
		if (m == NULL || msg_fields(m, kv) == -1 ||
		    tmpl_build(&S.login_tmpl, m) == -1)
			return (-1);
	}

	if (S.mode == MODE_STATUS)
		S.ntmpls = loadgen.npatrons;
	else if (S.mode == MODE_CHECKOUT || S.mode == MODE_HOLD)
		S.ntmpls = 2 * loadgen.nitems;
	else
		return (0);
	if ((S.tmpls = calloc((size_t)S.ntmpls, sizeof(*S.tmpls))) == NULL)
		return (-1);

	for (k = 0; k < S.ntmpls; k++) {
		if (S.mode == MODE_STATUS) {
			const struct loadgen_patron *p = &loadgen.patrons[k];
			const char *kv[] = { "AO", ao, "AA", p->barcode,
			    "AC", "", "AD", p->pin != NULL ? p->pin : "",
			    NULL };

			m = msg_make(SIP2_PATRON_STATUS, date);
			if (m == NULL || msg_fields(m, kv) == -1)
				goto fail;
		} else if (S.mode == MODE_HOLD) {
			const struct loadgen_patron *p;

			i = k / 2;
			p = &loadgen.patrons[i % loadgen.npatrons];
			{
				const char *kv[] = { "AO", ao,
				    "AA", p->barcode, "AD", p->pin,
				    "AB", loadgen.items[i], "AC", "",
				    "BS", k % 2 == 0 ? S.pickup : NULL,
				    NULL };

				m = msg_make(SIP2_HOLD, date);
				if (m == NULL || sip2_msg_set_fixed(m,
				    SIP2_FX_HOLD_MODE, k % 2 == 0 ? "+" :
				    "-") == -1 || msg_fields(m, kv) == -1)
					goto fail;
			}
		} else if (k % 2 == 0) {
			const struct loadgen_patron *p;

			i = k / 2;
			p = &loadgen.patrons[i % loadgen.npatrons];
			{
				const char *kv[] = { "AO", ao,
				    "AA", p->barcode, "AB", loadgen.items[i],
				    "AC", "", "AD", p->pin, NULL };

				m = msg_make(SIP2_CHECKOUT, date);
				if (m == NULL || msg_fields(m, kv) == -1)
					goto fail;
			}
		} else {
			const char *kv[] = { "AP", ap, "AO", ao,
			    "AB", loadgen.items[k / 2], "AC", "", NULL };

			m = msg_make(SIP2_CHECKIN, date);
			if (m == NULL || msg_fields(m, kv) == -1)
				goto fail;
		}
		if (tmpl_build(&S.tmpls[k], m) == -1)
			return (-1);
	}
	return (0);

fail:
	sip2_msg_free(m);
	return (-1);
}

static void
conn_send(struct loadgen_conn *c, const struct tmpl *t)
{
	struct sconn	*s = &S.conns[c->id];

	s->expect = t->expect;
	if (s->bev == NULL) {
		loadgen_send(c, t->bytes[s->seq], t->len[s->seq]);
		return;
	}
	c->awaiting = 1;
	c->stamp = loadgen_now();
	if (bufferevent_write(s->bev, t->bytes[s->seq], t->len[s->seq]) == -1)
		loadgen_fail(c, "out of memory");
}

static void
sip2_request(struct loadgen_conn *c, unsigned long k)
{
	struct sconn	*s = &S.conns[c->id];

	s->seq = (s->seq + 1) % NSEQ;
	conn_send(c, &S.tmpls[k]);
}

/* Check code, checksum and sequence; NULL when the response is right. */
static const char *
resp_check(const struct sconn *s, const char *msg, size_t len)
{
	int	 code;

	if (len < 2 || msg[0] < '0' || msg[0] > '9' ||
	    msg[1] < '0' || msg[1] > '9')
		return ("response without a message code");
	code = (msg[0] - '0') * 10 + (msg[1] - '0');
	if (code == SIP2_REQUEST_RESEND)
		return ("server found the request garbled (96)");
	if (code != s->expect)
		return ("unexpected response code");
	if (sip2_checksum_verify(msg, len) != 1)
		return ("bad or missing checksum");
	if (len < 9 || msg[len - 9] != 'A' || msg[len - 8] != 'Y' ||
	    msg[len - 7] != '0' + s->seq)
		return ("sequence number not echoed");
	return (NULL);
}

/*
 * Return 1 for a well-formed answer that says no: a checkout or checkin
 * not ok, or a patron status without "valid patron" Y, which is also what
 * a gateway answers when it cannot reach the ILS.
 */
static int
resp_refused(const char *msg, size_t len)
{
	size_t	 fixed = 2 + 14 + 3 + 18;	/* 24: status, language, date */

	if (S.mode == MODE_CHECKOUT || S.mode == MODE_HOLD)
		return (len > 2 && msg[2] != '1');
	if (len <= fixed)
		return (1);
	return (memmem(msg + fixed, len - fixed, "BLY", 3) == NULL);
}

/* Handle one framed response; -1 when the connection went away. */
static int
conn_response(struct loadgen_conn *c, const char *msg, size_t len)
{
	const char	*why;

	if (loadgen_answer(c) == -1)
		return (-1);
	why = resp_check(&S.conns[c->id], msg, len);

	if (c->state == LOADGEN_LOGIN) {
		if (why == NULL && msg[2] != '1')
			why = "login refused";
		if (why != NULL) {
			loadgen_fail(c, why);
			return (-1);
		}
		loadgen_ready(c);
		return (c->state == LOADGEN_DEAD ? -1 : 0);
	}
	if (c->state != LOADGEN_RUN)
		return (0);

	loadgen_result(c, why, why == NULL && resp_refused(msg, len));
	loadgen_next(c);
	return (c->state == LOADGEN_DEAD ? -1 : 0);
}

/* Frame and handle responses; returns bytes used, -1 if closed. */
static ssize_t
sip2_input(struct loadgen_conn *c, char *data, size_t len)
{
	struct sconn		*s = &S.conns[c->id];
	enum sip2_frame_res	 r;
	size_t			 pos = 0, off, mlen, used;

	while (pos < len) {
		r = sip2_frame(&s->fr, data + pos, len - pos, &off, &mlen,
		    &used);
		if (r == SIP2_FRAME_TOOLONG) {
			loadgen_fail(c, "response over the length cap");
			return (-1);
		}
		if (r == SIP2_FRAME_MORE) {
			pos += used;
			break;
		}
		if (conn_response(c, data + pos + off, mlen) == -1)
			return (-1);
		pos += used;
		if (used == 0)
			break;
	}
	return ((ssize_t)pos);
}

static void
tls_read(struct bufferevent *bev, void *arg)
{
	struct loadgen_conn	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	size_t			 len = evbuffer_get_length(in);
	unsigned char		*data;
	ssize_t			 used;

	if ((data = evbuffer_pullup(in, -1)) == NULL)
		return;
	if ((used = sip2_input(c, (char *)data, len)) == -1)
		return;
	evbuffer_drain(in, (size_t)used);
	if (evbuffer_get_length(in) > SIP2_MSG_MAX)
		loadgen_fail(c, "response over the length cap");
}

static void
conn_up(struct loadgen_conn *c)
{
	if (S.login == NULL) {
		loadgen_ready(c);
		return;
	}
	c->state = LOADGEN_LOGIN;
	S.conns[c->id].seq = 0;
	conn_send(c, &S.login_tmpl);
}

static void
tls_event(struct bufferevent *bev, short what, void *arg)
{
	struct loadgen_conn	*c = arg;
	char			 why[256];
	unsigned long		 e;

	if (what & BEV_EVENT_CONNECTED) {
		conn_up(c);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		loadgen_fail(c, "closed by the server");
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		if ((e = bufferevent_get_openssl_error(bev)) != 0)
			ERR_error_string_n(e, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "%s",
			    evutil_socket_error_to_string(
			    EVUTIL_SOCKET_ERROR()));
		loadgen_fail(c, why);
	}
}

/* Plain: read and log in; TLS: hand the socket to a TLS bufferevent. */
static void
sip2_connected(struct loadgen_conn *c)
{
	struct sconn	*s = &S.conns[c->id];
	SSL		*ssl;

	if (S.ssl == NULL) {
		if (loadgen_watch(c) == 0)
			conn_up(c);
		return;
	}

	c->state = LOADGEN_HANDSHAKE;
	if ((ssl = SSL_new(S.ssl)) == NULL) {
		loadgen_fail(c, "SSL_new failed");
		return;
	}
	s->bev = bufferevent_openssl_socket_new(loadgen_base(), c->fd, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (s->bev == NULL) {
		SSL_free(ssl);
		loadgen_fail(c, "cannot set up TLS");
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(s->bev, 1);
	bufferevent_setcb(s->bev, tls_read, NULL, tls_event, c);
	bufferevent_enable(s->bev, EV_READ);
}

/* The TLS bufferevent closes the socket with it. */
static void
sip2_close(struct loadgen_conn *c)
{
	struct sconn	*s = &S.conns[c->id];

	if (s->bev != NULL) {
		bufferevent_free(s->bev);
		s->bev = NULL;
		c->fd = -1;
	}
}

static const struct loadgen_proto sip2_proto = {
	.name = "sip2load",
	.unasked = "response nobody asked for",
	.toolong = "response over the length cap",
	.inmax = SIP2_MSG_MAX,
	.connected = sip2_connected,
	.request = sip2_request,
	.input = sip2_input,
	.close = sip2_close,
};

static int
setup_tls(const char *cafile)
{
	if ((S.ssl = SSL_CTX_new(TLS_client_method())) == NULL)
		return (-1);
	SSL_CTX_set_min_proto_version(S.ssl, TLS1_2_VERSION);
	/* Ten thousand idle sessions must not each hold 34 KiB of buffers. */
	SSL_CTX_set_mode(S.ssl, SSL_MODE_RELEASE_BUFFERS);
	if (cafile != NULL) {
		if (SSL_CTX_load_verify_locations(S.ssl, cafile, NULL) != 1)
			return (-1);
		SSL_CTX_set_verify(S.ssl, SSL_VERIFY_PEER, NULL);
	} else
		SSL_CTX_set_verify(S.ssl, SSL_VERIFY_NONE, NULL);
	return (0);
}

/* Check the arguments against each other once all are read. */
static int
args_check(void)
{
	if ((S.login == NULL) != (S.password == NULL)) {
		fprintf(stderr, "sip2load: -u and -w go together\n");
		usage();
	}
	if (loadgen_patrons() == -1)
		return (-1);
	if (S.mode != MODE_IDLE && loadgen.npatrons == 0) {
		fprintf(stderr, "sip2load: give patrons with -P or -b\n");
		usage();
	}
	if ((S.mode == MODE_CHECKOUT || S.mode == MODE_HOLD) &&
	    loadgen.nitems == 0) {
		fprintf(stderr, "sip2load: give items with -I\n");
		usage();
	}
	if (S.mode != MODE_IDLE && loadgen.limit == 0 &&
	    loadgen.duration == 0) {
		fprintf(stderr, "sip2load: -d 0 only for -m idle\n");
		usage();
	}
	return (0);
}

int
main(int argc, char *argv[])
{
	static const char *const names[] = {
		[MODE_STATUS] = "status",
		[MODE_CHECKOUT] = "checkout",
		[MODE_IDLE] = "idle",
		[MODE_HOLD] = "hold",
	};
	const char	*cafile = NULL;
	int		 ch, tls = 0;

	loadgen_init(&sip2_proto);
	S.mode = MODE_STATUS;
	S.wire.charset = SIP2_CS_UTF8;
	S.wire.term = SIP2_TERM_CR;
	S.wire.delim = '|';
	S.wire.checksums = 1;

	while ((ch = getopt(argc, argv, "TI:P:W:a:b:c:d:e:i:l:m:n:s:t:u:w:"))
	    != -1) {
		switch (ch) {
		case 'T':
			tls = 1;
			break;
		case 'a':
			cafile = optarg;
			break;
		case 'e':
			if (strcmp(optarg, "cr") == 0)
				S.wire.term = SIP2_TERM_CR;
			else if (strcmp(optarg, "crlf") == 0)
				S.wire.term = SIP2_TERM_CRLF;
			else if (strcmp(optarg, "lf") == 0)
				S.wire.term = SIP2_TERM_LF;
			else
				usage();
			break;
		case 'i':
			S.institution = optarg;
			break;
		case 'l':
			S.location = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "status") == 0)
				S.mode = MODE_STATUS;
			else if (strcmp(optarg, "checkout") == 0)
				S.mode = MODE_CHECKOUT;
			else if (strcmp(optarg, "idle") == 0)
				S.mode = MODE_IDLE;
			else if (strcmp(optarg, "hold") == 0)
				S.mode = MODE_HOLD;
			else
				usage();
			break;
		case 's':
			S.pickup = optarg;
			break;
		case 'u':
			S.login = optarg;
			break;
		case 'w':
			S.password = optarg;
			break;
		default:
			if (loadgen_option(ch, optarg) != 0)
				usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	if (args_check() == -1 || loadgen_target(argv[optind]) == -1)
		return (2);

	if (tls && setup_tls(cafile) == -1) {
		fprintf(stderr, "sip2load: TLS setup failed\n");
		ERR_print_errors_fp(stderr);
		return (1);
	}
	if (tmpls_build() == -1) {
		fprintf(stderr, "sip2load: cannot build the requests\n");
		return (1);
	}
	loadgen.idle = S.mode == MODE_IDLE;
	loadgen.paired = S.mode == MODE_CHECKOUT || S.mode == MODE_HOLD;
	loadgen.nreqs = S.ntmpls;
	S.conns = calloc((size_t)loadgen.nconns, sizeof(*S.conns));
	if (S.conns == NULL) {
		fprintf(stderr, "sip2load: out of memory\n");
		return (1);
	}
	if (loadgen_run() == -1)
		return (1);
	loadgen_report(names[S.mode], "");
	return (loadgen_end());
}
