/* SPDX-License-Identifier: ISC */
/*
 * Password hashing for terminal accounts (PBKDF2-HMAC-SHA256 through
 * OpenSSL) and constant-time comparison.
 */

#include "config.h"

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "circlinkd.h"

/*
 * A stored hash reads "pbkdf2-sha256$ITER$SALT$HASH": ITER in decimal, SALT
 * and HASH in standard base64 with padding (RFC 4648, section 4).
 */
#define AUTH_SCHEME		"pbkdf2-sha256$"
#define AUTH_ITER		100000	/* what auth_hash_password uses */
#define AUTH_ITER_MIN		1000
#define AUTH_ITER_MAX		10000000	/* a few seconds of CPU */
#define AUTH_SALT_LEN		16
#define AUTH_SALT_MAX		64
#define AUTH_HASH_LEN		32	/* SHA-256 */
#define AUTH_PASSWORD_MAX	1024
#define AUTH_STORED_MAX		256

/* A stored hash, taken apart. */
struct auth_hash {
	int		 iter;
	uint8_t		 salt[AUTH_SALT_MAX];
	size_t		 saltlen;
	uint8_t		 hash[AUTH_HASH_LEN];
};

static int	 auth_b64_decode(const char *, size_t, uint8_t *, size_t,
		    size_t *);
static int	 auth_parse(const char *, struct auth_hash *);
static int	 auth_derive(const char *, const uint8_t *, size_t, int,
		    uint8_t *);

/*
 * Decode base64 strictly: the text must be what encoding the result gives
 * back, so one stored hash has exactly one spelling.
 */
static int
auth_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outmax,
    size_t *outlen)
{
	unsigned char	 bin[AUTH_STORED_MAX], text[AUTH_STORED_MAX];
	int		 n;
	size_t		 len;

	if (inlen == 0 || inlen % 4 != 0 || inlen >= sizeof(text) ||
	    inlen / 4 * 3 > sizeof(bin))
		return (-1);
	if ((n = EVP_DecodeBlock(bin, (const unsigned char *)in, inlen)) < 0)
		return (-1);
	len = n;
	if (in[inlen - 1] == '=')
		len--;
	if (in[inlen - 2] == '=')
		len--;
	if (len == 0 || len > outmax)
		return (-1);
	if (EVP_EncodeBlock(text, bin, len) != (int)inlen ||
	    memcmp(text, in, inlen) != 0)
		return (-1);
	memcpy(out, bin, len);
	*outlen = len;
	return (0);
}

/* Take a stored hash apart; -1 if it is not one this file can check. */
static int
auth_parse(const char *stored, struct auth_hash *h)
{
	const char	*s, *salt, *hash;
	size_t		 len, hashlen;
	long		 iter = 0;

	if (stored == NULL)
		return (-1);
	len = strnlen(stored, AUTH_STORED_MAX);
	if (len == AUTH_STORED_MAX ||
	    strncmp(stored, AUTH_SCHEME, strlen(AUTH_SCHEME)) != 0)
		return (-1);

	s = stored + strlen(AUTH_SCHEME);
	if (*s == '0')
		return (-1);
	for (; *s >= '0' && *s <= '9'; s++) {
		iter = iter * 10 + (*s - '0');
		if (iter > AUTH_ITER_MAX)
			return (-1);
	}
	if (*s != '$' || iter < AUTH_ITER_MIN)
		return (-1);
	h->iter = (int)iter;

	salt = s + 1;
	if ((hash = strchr(salt, '$')) == NULL)
		return (-1);
	if (auth_b64_decode(salt, hash - salt, h->salt, sizeof(h->salt),
	    &h->saltlen) == -1)
		return (-1);
	hash++;
	if (auth_b64_decode(hash, strlen(hash), h->hash, sizeof(h->hash),
	    &hashlen) == -1 || hashlen != AUTH_HASH_LEN)
		return (-1);
	return (0);
}

/* Derive the PBKDF2-HMAC-SHA256 of a password into out. */
static int
auth_derive(const char *password, const uint8_t *salt, size_t saltlen,
    int iter, uint8_t *out)
{
	size_t	 len;

	len = strnlen(password, AUTH_PASSWORD_MAX + 1);
	if (len == 0 || len > AUTH_PASSWORD_MAX)
		return (-1);
	if (PKCS5_PBKDF2_HMAC(password, (int)len, salt, (int)saltlen, iter,
	    EVP_sha256(), AUTH_HASH_LEN, out) != 1)
		return (-1);
	return (0);
}

/*
 * Hash a password for the configuration with a fresh random salt.  Returns
 * a string the caller frees, or NULL for an empty or overlong password or
 * when the random generator or the KDF fails.
 */
char *
auth_hash_password(const char *password)
{
	uint8_t		 salt[AUTH_SALT_LEN], hash[AUTH_HASH_LEN];
	unsigned char	 salt64[AUTH_SALT_LEN * 2], hash64[AUTH_HASH_LEN * 2];
	char		*out = NULL;
	size_t		 len;

	if (password == NULL || RAND_bytes(salt, sizeof(salt)) != 1 ||
	    auth_derive(password, salt, sizeof(salt), AUTH_ITER, hash) == -1)
		goto done;
	EVP_EncodeBlock(salt64, salt, sizeof(salt));
	EVP_EncodeBlock(hash64, hash, sizeof(hash));
	len = strlen(AUTH_SCHEME) + 12 + sizeof(salt64) + sizeof(hash64);
	if ((out = malloc(len)) != NULL)
		snprintf(out, len, "%s%d$%s$%s", AUTH_SCHEME, AUTH_ITER,
		    (char *)salt64, (char *)hash64);
done:
	OPENSSL_cleanse(hash, sizeof(hash));
	return (out);
}

/*
 * Return 1 if password matches the stored hash, 0 if not.  A malformed
 * stored hash never matches.  The final comparison takes constant time.
 */
int
auth_check_password(const char *password, const char *stored)
{
	struct auth_hash	 h;
	uint8_t			 hash[AUTH_HASH_LEN];
	int			 ok = 0;

	if (password == NULL || auth_parse(stored, &h) == -1)
		return (0);
	if (auth_derive(password, h.salt, h.saltlen, h.iter, hash) == 0)
		ok = CRYPTO_memcmp(hash, h.hash, sizeof(hash)) == 0;
	OPENSSL_cleanse(hash, sizeof(hash));
	OPENSSL_cleanse(&h, sizeof(h));
	return (ok);
}

/* Return 1 if a stored hash is well formed, so a typo shows at load. */
int
auth_hash_valid(const char *stored)
{
	struct auth_hash	 h;

	return (auth_parse(stored, &h) == 0);
}

/* Compare two buffers in constant time; 0 when equal. */
int
auth_memcmp(const void *a, const void *b, size_t len)
{
	return (CRYPTO_memcmp(a, b, len));
}
