/* SPDX-License-Identifier: ISC */
/*
 * Terminal logins: the salted hash is checked on the worker thread, never
 * on the loop, and a password once verified is remembered as a keyed MAC so
 * that a kiosk logging in again costs microseconds, not a hash.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "circlinkd.h"

#define LOGIN_CACHE_MAX		4096

/* A login whose password was verified against a given hash. */
struct login_seen {
	char		*login;
	char		*hash;		/* the hash it matched */
	uint8_t		 mac[32];	/* HMAC(key, password) */
};

/* A check under way on the worker thread. */
struct login_job {
	uint64_t	 sid;
	uint32_t	 txn;
	char		*login;
	char		*password;
	char		*hash;
	int		 ok;
	login_cb	 cb;
};

static uint8_t		 login_key[32];
static int		 login_keyed;
static struct login_seen login_cache[LOGIN_CACHE_MAX];

static void	 login_run(void *);
static void	 login_done(void *);

static void
login_mac(const char *password, uint8_t mac[32])
{
	unsigned int	 len = 32;

	if (!login_keyed) {
		if (RAND_bytes(login_key, sizeof(login_key)) != 1)
			fatalx("login: no randomness for the cache key");
		login_keyed = 1;
	}
	HMAC(EVP_sha256(), login_key, sizeof(login_key),
	    (const unsigned char *)password, strlen(password), mac, &len);
}

static struct login_seen *
login_slot(const char *login)
{
	size_t		 h = 5381;
	const char	*p;

	for (p = login; *p != '\0'; p++)
		h = h * 33 + (unsigned char)*p;
	return (&login_cache[h % LOGIN_CACHE_MAX]);
}

/*
 * Check a terminal's password.  Answers at once (cb called before return)
 * when this password was verified before against the same hash, otherwise
 * from the worker thread's result on a later loop turn.  The callback gets
 * the session id, so a session that has gone meanwhile is simply not found.
 */
void
login_check(uint64_t sid, uint32_t txn, const struct conf_terminal *t,
    const char *password, login_cb cb)
{
	login_check_hash(sid, txn, t->login, t->password_hash, password, cb);
}

/* Check a password against an account's hash, as login_check() does. */
void
login_check_hash(uint64_t sid, uint32_t txn, const char *login,
    const char *hash, const char *password, login_cb cb)
{
	struct login_seen	*seen = login_slot(login);
	struct login_job	*j;
	uint8_t			 mac[32];

	login_mac(password, mac);
	if (seen->login != NULL && strcmp(seen->login, login) == 0 &&
	    strcmp(seen->hash, hash) == 0) {
		cb(sid, txn, login, hash, auth_memcmp(mac, seen->mac,
		    sizeof(mac)) == 0);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL)
		goto fail;
	j->sid = sid;
	j->txn = txn;
	j->cb = cb;
	j->login = strdup(login);
	j->password = strdup(password);
	j->hash = strdup(hash);
	if (j->login == NULL || j->password == NULL || j->hash == NULL ||
	    worker_submit(login_run, login_done, j) == -1) {
		login_done(j);
		return;
	}
	return;

fail:
	cb(sid, txn, login, hash, 0);
}

static void
login_run(void *arg)
{
	struct login_job	*j = arg;

	j->ok = auth_check_password(j->password, j->hash);
}

static void
login_done(void *arg)
{
	struct login_job	*j = arg;
	struct login_seen	*seen;

	if (j->ok) {
		seen = login_slot(j->login);
		free(seen->login);
		free(seen->hash);
		seen->login = strdup(j->login);
		seen->hash = strdup(j->hash);
		if (seen->login == NULL || seen->hash == NULL) {
			free(seen->login);
			free(seen->hash);
			seen->login = seen->hash = NULL;
		} else
			login_mac(j->password, seen->mac);
	}
	j->cb(j->sid, j->txn, j->login, j->hash, j->ok);
	if (j->password != NULL) {
		explicit_bzero(j->password, strlen(j->password));
		free(j->password);
	}
	free(j->login);
	free(j->hash);
	free(j);
}
