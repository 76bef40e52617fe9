/* SPDX-License-Identifier: ISC */
/*
 * TLS contexts for listeners and backends: TLS 1.2 or later, strong ciphers
 * only, peer verification against CAs and SHA-256 certificate pins.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "circlinkd.h"

/* Forward secrecy and AEAD only, for TLS 1.2; TLS 1.3 suites are all fine. */
#define TLS_CIPHERS12 \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

/* The pins a context checks, owned by the context so a reload is safe. */
struct tls_pins {
	int		 n;
	uint8_t		 pins[4][CONF_PIN_LEN];
};

#define TLS_CIPHERS13 \
	"TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:" \
	"TLS_AES_256_GCM_SHA384"

static int	 tls_pin_index = -1;

static void	 tls_pins_free(void *, void *, CRYPTO_EX_DATA *, int, long,
		    void *);

static int	 tls_verify_cb(int, X509_STORE_CTX *);
static SSL_CTX	*tls_ctx_common(const SSL_METHOD *,
		    const struct conf_tls *, char *, size_t);

/* Prepare the library once, before any context is made. */
void
tls_init(void)
{
	OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS, NULL);
	if (tls_pin_index == -1)
		tls_pin_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
		    tls_pins_free);
}

static void
tls_pins_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	free(ptr);
}

/* Return 1 if the DER certificate's SHA-256 is one of the pins. */
static int
tls_cert_pinned(X509 *cert, const struct tls_pins *t)
{
	uint8_t		 md[EVP_MAX_MD_SIZE];
	unsigned int	 len = 0;
	int		 i;

	if (cert == NULL || !X509_digest(cert, EVP_sha256(), md, &len) ||
	    len != CONF_PIN_LEN)
		return (0);
	for (i = 0; i < t->n; i++)
		if (auth_memcmp(md, t->pins[i], CONF_PIN_LEN) == 0)
			return (1);
	return (0);
}

/*
 * With pins, the leaf certificate decides: a pinned leaf is trusted even
 * when self-signed, any other is refused.  Without pins the chain decides.
 */
static int
tls_verify_cb(int ok, X509_STORE_CTX *store)
{
	SSL			*ssl;
	SSL_CTX			*ctx;
	const struct tls_pins	*t;

	ssl = X509_STORE_CTX_get_ex_data(store,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl == NULL)
		return (ok);
	ctx = SSL_get_SSL_CTX(ssl);
	t = SSL_CTX_get_ex_data(ctx, tls_pin_index);
	if (t == NULL || t->n == 0)
		return (ok);
	if (X509_STORE_CTX_get_error_depth(store) > 0)
		return (1);
	if (tls_cert_pinned(X509_STORE_CTX_get_current_cert(store), t)) {
		X509_STORE_CTX_set_error(store, X509_V_OK);
		return (1);
	}
	log_warnx("tls: peer certificate does not match any pin");
	return (0);
}

static SSL_CTX *
tls_ctx_common(const SSL_METHOD *method, const struct conf_tls *t,
    char *err, size_t errlen)
{
	SSL_CTX		*ctx;
	struct tls_pins	*pins;

	if ((ctx = SSL_CTX_new(method)) == NULL) {
		snprintf(err, errlen, "cannot make a TLS context");
		return (NULL);
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* Idle kiosks hold no buffers: this is what lets 10,000 fit. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	/*
	 * Kiosks keep one connection for hours: resuming sessions gains
	 * nothing, and a cache of 10,000 sessions, or tickets, costs memory.
	 */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	/* AES-128 first: as strong here, and its state is smaller. */
	if (!SSL_CTX_set_ciphersuites(ctx, TLS_CIPHERS13)) {
		snprintf(err, errlen, "cannot set the TLS 1.3 suites");
		goto fail;
	}
	if (!SSL_CTX_set_cipher_list(ctx, TLS_CIPHERS12)) {
		snprintf(err, errlen, "cannot set the cipher list");
		goto fail;
	}
	if (t->cert != NULL &&
	    SSL_CTX_use_certificate_chain_file(ctx, t->cert) != 1) {
		snprintf(err, errlen, "%s: cannot load certificate", t->cert);
		goto fail;
	}
	if (t->key != NULL &&
	    SSL_CTX_use_PrivateKey_file(ctx, t->key, SSL_FILETYPE_PEM) != 1) {
		snprintf(err, errlen, "%s: cannot load key", t->key);
		goto fail;
	}
	if (t->cert != NULL && t->key != NULL &&
	    SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "%s: key does not match certificate",
		    t->key);
		goto fail;
	}
	if (t->ca != NULL &&
	    SSL_CTX_load_verify_locations(ctx, t->ca, NULL) != 1) {
		snprintf(err, errlen, "%s: cannot load CA file", t->ca);
		goto fail;
	}
	if ((pins = calloc(1, sizeof(*pins))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	pins->n = t->npins;
	memcpy(pins->pins, t->pins, sizeof(pins->pins));
	SSL_CTX_set_ex_data(ctx, tls_pin_index, pins);
	return (ctx);

fail:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return (NULL);
}

/*
 * Make a server context for a listener.  Returns NULL with a message in
 * err; the caller frees the context with SSL_CTX_free().
 */
SSL_CTX *
tls_server_ctx(const struct conf_tls *t, char *err, size_t errlen)
{
	SSL_CTX	*ctx;
	int	 mode = SSL_VERIFY_NONE;

	if ((ctx = tls_ctx_common(TLS_server_method(), t, err, errlen)) ==
	    NULL)
		return (NULL);
	if (t->verify_peer || t->npins > 0) {
		mode = SSL_VERIFY_PEER;
		if (t->verify_peer > 1 || t->npins > 0)
			mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	}
	SSL_CTX_set_verify(ctx, mode, tls_verify_cb);
	return (ctx);
}

/*
 * Make a client context for a backend: the server is verified against the
 * CA file (or the system's CAs) and its name, or against the pins.
 */
SSL_CTX *
tls_client_ctx(const struct conf_tls *t, char *err, size_t errlen)
{
	SSL_CTX	*ctx;

	if ((ctx = tls_ctx_common(TLS_client_method(), t, err, errlen)) ==
	    NULL)
		return (NULL);
	if (t->ca == NULL && t->npins == 0 &&
	    SSL_CTX_set_default_verify_paths(ctx) != 1) {
		snprintf(err, errlen, "cannot load the system CAs");
		SSL_CTX_free(ctx);
		return (NULL);
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, tls_verify_cb);
	return (ctx);
}

/* Make an SSL object for one backend connection, with SNI and name check. */
SSL *
tls_client_ssl(SSL_CTX *ctx, const struct conf_tls *t)
{
	SSL	*ssl;

	if ((ssl = SSL_new(ctx)) == NULL)
		return (NULL);
	if (t->server_name != NULL) {
		SSL_set_tlsext_host_name(ssl, t->server_name);
		if (t->npins == 0)
			SSL_set1_host(ssl, t->server_name);
	}
	return (ssl);
}
