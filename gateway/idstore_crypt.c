/* SPDX-License-Identifier: ISC */
/*
 * The identity store's secrets: the master key file, the keys derived from
 * it, keyed index hashes and AES-256-GCM sealing of the values kept.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "idstore.h"

/*
 * One label per derived key, so that no key serves two purposes; "v1" lets
 * a later format derive new keys from the same file.
 */
static char	 crypt_label_key[] = "circlink idstore v1 index patron key";
static char	 crypt_label_barcode[] = "circlink idstore v1 index barcode";
static char	 crypt_label_seal[] = "circlink idstore v1 seal";
static char	 crypt_label_check[] = "circlink idstore v1 key check";
static char	 crypt_sha256[] = "SHA256";

static const uint8_t crypt_zero[IDSTORE_PAD];

struct idstore_crypt {
	EVP_MAC_CTX	*index[2];	/* keyed HMAC, one per idstore_index */
	EVP_CIPHER	*aes;		/* AES-256-GCM, fetched once */
	uint8_t		 seal[32];
	uint8_t		 check[32];
};

static int	 crypt_inside(const char *, const char *, char *, size_t);
static int	 crypt_make(const char *, uint8_t *, char *, size_t);
static int	 crypt_derive(uint8_t *, char *, uint8_t *, size_t);
static EVP_MAC_CTX *crypt_hmac(uint8_t *);

/* Refuse a key file whose directory is, or is below, the data directory. */
static int
crypt_inside(const char *path, const char *datadir, char *err,
    size_t errlen)
{
	char	 copy[PATH_MAX], dir[PATH_MAX], data[PATH_MAX];
	size_t	 len;

	if ((size_t)snprintf(copy, sizeof(copy), "%s", path) >= sizeof(copy)) {
		snprintf(err, errlen, "%s: path too long", path);
		return (-1);
	}
	if (realpath(dirname(copy), dir) == NULL ||
	    realpath(datadir, data) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	len = strlen(data);
	if (strncmp(dir, data, len) == 0 &&
	    (dir[len] == '\0' || dir[len] == '/' || len == 1)) {
		snprintf(err, errlen, "%s: the key file must be kept outside "
		    "the data directory %s", path, datadir);
		return (-1);
	}
	return (0);
}

/* Make a new key file; it must not exist, so a race makes no second key. */
static int
crypt_make(const char *path, uint8_t *key, char *err, size_t errlen)
{
	int	 fd;

	if (RAND_bytes(key, IDSTORE_KEY_LEN) != 1) {
		snprintf(err, errlen, "%s: no random bytes", path);
		return (-1);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	errno = EIO;	/* what a short write means */
	if (write(fd, key, IDSTORE_KEY_LEN) != IDSTORE_KEY_LEN ||
	    fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return (-1);
	}
	close(fd);
	return (0);
}

/*
 * Read the master key, or make it.  See idstore.h for what is refused.
 */
int
idstore_crypt_keyfile(const char *path, const char *datadir, uint8_t *key,
    int *created, char *err, size_t errlen)
{
	struct stat	 st;
	ssize_t		 n;
	int		 fd;

	*created = 0;
	if (crypt_inside(path, datadir, err, errlen) == -1)
		return (-1);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd == -1 && errno == ENOENT) {
		if (crypt_make(path, key, err, errlen) == -1)
			return (-1);
		*created = 1;
		return (0);
	}
	if (fd == -1 || fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, errno == ELOOP ?
		    "is a symbolic link" : strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "%s: holds the store's key but is "
		    "accessible by group or others; chmod 600", path);
		goto fail;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(err, errlen, "%s: belongs to another user", path);
		goto fail;
	}
	if (st.st_size != IDSTORE_KEY_LEN ||
	    (n = read(fd, key, IDSTORE_KEY_LEN)) != IDSTORE_KEY_LEN) {
		snprintf(err, errlen, "%s: must hold exactly %d bytes", path,
		    IDSTORE_KEY_LEN);
		goto fail;
	}
	close(fd);
	return (0);

fail:
	if (fd != -1)
		close(fd);
	OPENSSL_cleanse(key, IDSTORE_KEY_LEN);
	return (-1);
}

/* HKDF-SHA256 of the master key with one label. */
static int
crypt_derive(uint8_t *master, char *label, uint8_t *out, size_t len)
{
	EVP_KDF		*kdf;
	EVP_KDF_CTX	*kctx = NULL;
	OSSL_PARAM	 params[4];
	int		 ok = 0;

	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) != NULL)
		kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (kctx == NULL)
		return (-1);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    crypt_sha256, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    master, IDSTORE_KEY_LEN);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    label, strlen(label));
	params[3] = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(kctx, out, len, params) == 1;
	EVP_KDF_CTX_free(kctx);
	return (ok ? 0 : -1);
}

/* An HMAC-SHA256 context keyed once, to be copied for each use. */
static EVP_MAC_CTX *
crypt_hmac(uint8_t *key)
{
	EVP_MAC		*mac;
	EVP_MAC_CTX	*ctx = NULL;
	OSSL_PARAM	 params[2];

	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) != NULL)
		ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	if (ctx == NULL)
		return (NULL);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    crypt_sha256, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, 32, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		return (NULL);
	}
	return (ctx);
}

/* Derive every key from the master key; see idstore.h. */
struct idstore_crypt *
idstore_crypt_new(const uint8_t *master)
{
	struct idstore_crypt	*c;
	uint8_t			 ikm[IDSTORE_KEY_LEN], key[32];

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	memcpy(ikm, master, sizeof(ikm));
	if (crypt_derive(ikm, crypt_label_key, key, sizeof(key)) == -1 ||
	    (c->index[IDSTORE_INDEX_KEY] = crypt_hmac(key)) == NULL ||
	    crypt_derive(ikm, crypt_label_barcode, key, sizeof(key)) == -1 ||
	    (c->index[IDSTORE_INDEX_BARCODE] = crypt_hmac(key)) == NULL ||
	    crypt_derive(ikm, crypt_label_seal, c->seal, sizeof(c->seal)) ==
	    -1 ||
	    crypt_derive(ikm, crypt_label_check, c->check, sizeof(c->check)) ==
	    -1 ||
	    (c->aes = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL)) == NULL) {
		idstore_crypt_free(c);
		c = NULL;
	}
	OPENSSL_cleanse(ikm, sizeof(ikm));
	OPENSSL_cleanse(key, sizeof(key));
	return (c);
}

/* Wipe and free the keys.  NULL is fine. */
void
idstore_crypt_free(struct idstore_crypt *c)
{
	if (c == NULL)
		return;
	EVP_MAC_CTX_free(c->index[IDSTORE_INDEX_KEY]);
	EVP_MAC_CTX_free(c->index[IDSTORE_INDEX_BARCODE]);
	EVP_CIPHER_free(c->aes);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

/* The key check value, IDSTORE_HASH_LEN bytes owned by c. */
const uint8_t *
idstore_crypt_check(const struct idstore_crypt *c)
{
	return (c->check);
}

/* The index key of a value; see idstore.h. */
int
idstore_crypt_index(const struct idstore_crypt *c, enum idstore_index kind,
    const char *partner, const char *value, uint8_t *out)
{
	EVP_MAC_CTX	*ctx;
	size_t		 len;
	int		 ok;

	if ((ctx = EVP_MAC_CTX_dup(c->index[kind])) == NULL)
		return (-1);
	/* Partner ids hold no 0 byte, so the input splits one way only. */
	ok = EVP_MAC_update(ctx, (const uint8_t *)partner,
	    strlen(partner) + 1) == 1 &&
	    EVP_MAC_update(ctx, (const uint8_t *)value, strlen(value)) == 1 &&
	    EVP_MAC_final(ctx, out, &len, IDSTORE_HASH_LEN) == 1 &&
	    len == IDSTORE_HASH_LEN;
	EVP_MAC_CTX_free(ctx);
	return (ok ? 0 : -1);
}

/* Seal a value; see idstore.h. */
int
idstore_crypt_seal(const struct idstore_crypt *c, const uint8_t *aad,
    size_t aadlen, const uint8_t *plain, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX	*ctx;
	uint8_t		*p = out + IDSTORE_NONCE_LEN;
	size_t		 pad = (IDSTORE_PAD - len % IDSTORE_PAD) % IDSTORE_PAD;
	int		 n, ok;

	if (RAND_bytes(out, IDSTORE_NONCE_LEN) != 1 ||
	    (ctx = EVP_CIPHER_CTX_new()) == NULL)
		return (-1);
	ok = EVP_EncryptInit_ex2(ctx, c->aes, c->seal, out, NULL) == 1 &&
	    EVP_EncryptUpdate(ctx, NULL, &n, aad, aadlen) == 1 &&
	    EVP_EncryptUpdate(ctx, p, &n, plain, len) == 1;
	p += ok ? n : 0;
	ok = ok && EVP_EncryptUpdate(ctx, p, &n, crypt_zero, pad) == 1;
	p += ok ? n : 0;
	ok = ok && EVP_EncryptFinal_ex(ctx, p, &n) == 1;
	p += ok ? n : 0;
	ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
	    IDSTORE_TAG_LEN, p) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return (ok ? 0 : -1);
}

/* Open a sealed value; see idstore.h. */
int
idstore_crypt_unseal(const struct idstore_crypt *c, const uint8_t *aad,
    size_t aadlen, const uint8_t *in, size_t len, uint8_t *plain)
{
	EVP_CIPHER_CTX	*ctx;
	uint8_t		 tag[IDSTORE_TAG_LEN];
	size_t		 clen;
	int		 n, ok;

	if (len < IDSTORE_NONCE_LEN + IDSTORE_TAG_LEN + IDSTORE_PAD)
		return (-1);
	clen = len - IDSTORE_NONCE_LEN - IDSTORE_TAG_LEN;
	if (clen % IDSTORE_PAD != 0 || (ctx = EVP_CIPHER_CTX_new()) == NULL)
		return (-1);
	memcpy(tag, in + len - IDSTORE_TAG_LEN, sizeof(tag));
	ok = EVP_DecryptInit_ex2(ctx, c->aes, c->seal, in, NULL) == 1 &&
	    EVP_DecryptUpdate(ctx, NULL, &n, aad, aadlen) == 1 &&
	    EVP_DecryptUpdate(ctx, plain, &n, in + IDSTORE_NONCE_LEN,
	    clen) == 1 && (size_t)n == clen &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, sizeof(tag),
	    tag) == 1 &&
	    EVP_DecryptFinal_ex(ctx, plain + n, &n) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		OPENSSL_cleanse(plain, clen);
	return (ok ? 0 : -1);
}
