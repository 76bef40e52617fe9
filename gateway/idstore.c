/* SPDX-License-Identifier: ISC */
/*
 * The identity store on LMDB: records and indexes, short read
 * transactions, one writer thread committing queued writes together, map
 * growth and backups.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <lmdb.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "idstore.h"

#define IDSTORE_FORMAT		1
#define IDSTORE_MAPSIZE		(64UL << 20)	/* initial map by default */
#define IDSTORE_MAPSTEP		(1UL << 30)	/* doubling stops here */
#define IDSTORE_GROW_MAX	32		/* growths for one batch */
#define IDSTORE_BATCH		1024
#define IDSTORE_QUEUE		65536

/*
 * An account's record key is its person's id then its own, so a person's
 * accounts lie together and one range holds them all.
 */
#define IDSTORE_REF_LEN		(2 * IDSTORE_ID_LEN)

/* An account's sealed values, padding aside, at most. */
#define ACCT_PLAIN_MAX		(8 + 1 + IDSTORE_VALUE_MAX + \
	1 + IDSTORE_CREATOR_MAX + 1 + IDSTORE_REASON_MAX + 1 + \
	IDSTORE_BARCODES_MAX * (1 + IDSTORE_VALUE_MAX))
#define ACCT_PLAIN_BUF		(ACCT_PLAIN_MAX + IDSTORE_PAD)
#define ACCT_HDR_MAX		(3 + IDSTORE_PARTNER_MAX)
#define ACCT_VALUE_MAX		(ACCT_HDR_MAX + IDSTORE_SEALED_LEN(ACCT_PLAIN_MAX))
#define ACCT_HOME		0x01

/*
 * The databases.  accounts: person id and account id to a clear header
 * (format, flags, partner) and the sealed values (created, patron key,
 * creator, reason, barcodes), the key and header bound in as AAD.  keys
 * and aliases: index keys to the account's record key.  meta: the format,
 * the key check and the count of persons.
 */
enum idstore_db {
	DB_META,
	DB_ACCOUNTS,
	DB_KEYS,
	DB_ALIASES,
	DB_RECORDS,
	DB_COUNT,
};
static const char *const idstore_db_names[DB_COUNT] = {
	"meta", "accounts", "keys", "aliases", "records"
};

/*
 * records: a kind byte and the caller's key to the sealed value, bound to
 * that same key; the plain text is a two-byte length, then the value.
 */
#define REC_KEY_BUF		(1 + IDSTORE_RECKEY_MAX)
#define REC_PLAIN_MAX		(2 + IDSTORE_RECORD_MAX)
#define REC_PLAIN_BUF		(REC_PLAIN_MAX + IDSTORE_PAD)
#define REC_VALUE_MAX		IDSTORE_SEALED_LEN(REC_PLAIN_MAX)

/* One queued write and where its answer goes. */
struct idstore_job {
	TAILQ_ENTRY(idstore_job) entry;
	struct idstore_write	 w;
	uint8_t			 person[IDSTORE_ID_LEN];	/* as given */
	uint8_t			 account[IDSTORE_ID_LEN];
	int			 result;
	idstore_cb		 cb;	/* NULL: idstore_write waits */
	void			*arg;
	int			 finished;
	char			 strings[];
};
TAILQ_HEAD(idstore_jobs, idstore_job);

struct idstore {
	MDB_env			*env;
	MDB_dbi			 dbi[DB_COUNT];
	struct idstore_crypt	*crypt;
	int			 dirfd;		/* flocked: one process */
	pthread_rwlock_t	 maplock;	/* readers against growth */
	size_t			 batch_max;
	size_t			 queue_max;
	int			 stale;

	pthread_t		 writer;
	int			 running;
	pthread_mutex_t		 lock;		/* all below */
	pthread_cond_t		 wake;		/* work for the writer */
	pthread_cond_t		 done;		/* a batch has ended */
	struct idstore_jobs	 todo;
	struct idstore_jobs	 finished;	/* for the loop */
	size_t			 ntodo;
	int			 quit;
	uint64_t		 writes;
	uint64_t		 commits;
	uint64_t		 grows;
	int			 links;		/* -1 unknown, 0, 1 */

	struct event		*ev;
	int			 pipe[2];
};

/* A write transaction of the writer, and the error that ends it. */
struct idstore_txn {
	struct idstore		*st;
	MDB_txn			*txn;
	int			 rc;
	time_t			 now;
};

static int	 idstore_env_open(struct idstore *, const struct idstore_params *,
		    int, char *, size_t);
static int	 idstore_meta_check(struct idstore *, MDB_txn *, int, char *,
		    size_t);
static int	 idstore_rd_begin(struct idstore *, MDB_txn **);
static void	 idstore_rd_end(struct idstore *, MDB_txn *);
static int	 idstore_adopt_map(struct idstore *);
static int	 idstore_grow(struct idstore *);
static void	*idstore_writer(void *);
static void	 idstore_commit(struct idstore *, struct idstore_jobs *);
static void	 idstore_deliver(struct idstore *, struct idstore_jobs *);
static void	 idstore_ready_cb(evutil_socket_t, short, void *);
static void	 idstore_run_finished(struct idstore *);
static struct idstore_job *idstore_job_new(const struct idstore_write *);
static int	 idstore_check_write(const struct idstore_write *);
static int	 idstore_check_str(const char *, size_t, int);
static int	 idstore_enqueue(struct idstore *, struct idstore_job *);
static void	 ref_make(const uint8_t *, const uint8_t *, uint8_t *);
static int	 tx_get(struct idstore_txn *, enum idstore_db, const void *,
		    size_t, MDB_val *);
static int	 tx_put(struct idstore_txn *, enum idstore_db, const void *,
		    size_t, const void *, size_t, unsigned int);
static int	 tx_del(struct idstore_txn *, enum idstore_db, const void *,
		    size_t);
static int	 tx_count_persons(struct idstore_txn *, int);
static int	 tx_links(struct idstore_txn *);
static int	 idx_owner(struct idstore_txn *, enum idstore_db,
		    const uint8_t *, uint8_t *);
static int	 idx_drop(struct idstore_txn *, enum idstore_db,
		    enum idstore_index, const char *, const char *,
		    const uint8_t *);
static int	 acct_header(const MDB_val *, int *, char *, size_t *);
static int	 acct_take(const uint8_t **, const uint8_t *, char *, size_t);
static uint8_t	*acct_put(uint8_t *, const char *);
static int	 acct_order(const void *, const void *);
static int	 acct_load(struct idstore_txn *, const uint8_t *,
		    struct idstore_account *);
static int	 acct_store(struct idstore_txn *, const uint8_t *,
		    const struct idstore_account *, unsigned int);
static int	 acct_remove(struct idstore_txn *, const uint8_t *,
		    const struct idstore_account *);
static int	 acct_scan(struct idstore_txn *, const uint8_t *,
		    const char *, int *);
static int	 acct_add(struct idstore_txn *, const uint8_t *,
		    struct idstore_write *, int);
static int	 acct_decode(struct idstore *, const uint8_t *, const MDB_val *,
		    struct idstore_account *);
static int	 acct_encode(struct idstore *, const uint8_t *,
		    const struct idstore_account *, uint8_t *, size_t *);
static int	 acct_has_barcode(const struct idstore_account *,
		    const char *);
static int	 idstore_find(struct idstore *, enum idstore_index,
		    const char *, const char *, struct idstore_ref *);
static int	 idstore_apply(struct idstore_txn *, struct idstore_write *);
static int	 op_create(struct idstore_txn *, struct idstore_write *);
static int	 op_link(struct idstore_txn *, struct idstore_write *);
static int	 op_alias_add(struct idstore_txn *, struct idstore_write *);
static int	 op_alias_remove(struct idstore_txn *, struct idstore_write *);
static int	 op_unlink(struct idstore_txn *, struct idstore_write *);
static int	 op_forget(struct idstore_txn *, struct idstore_write *);
static int	 op_rec_put(struct idstore_txn *, struct idstore_write *);
static int	 op_rec_del(struct idstore_txn *, struct idstore_write *);
static int	 rec_check(enum idstore_kind, const uint8_t *, size_t);
static size_t	 rec_key(enum idstore_kind, const uint8_t *, size_t,
		    uint8_t *);
static int	 rec_decode(struct idstore *, const MDB_val *, const MDB_val *,
		    uint8_t *, size_t *);

static const char *const idstore_results[] = {
	[IDSTORE_OK] = "ok",
	[IDSTORE_NOTFOUND] = "not found",
	[IDSTORE_EXISTS] = "already linked to an account",
	[IDSTORE_CONFLICT] = "conflicts with the person's accounts",
	[IDSTORE_LIMIT] = "too many accounts or barcodes",
	[IDSTORE_INVALID] = "a value is missing or too long",
	[IDSTORE_CORRUPT] = "a record failed its integrity check",
	[IDSTORE_FAIL] = "the store failed",
};

/* A short English phrase for a result. */
const char *
idstore_strerror(int result)
{
	if (result < 0 || (size_t)result >= sizeof(idstore_results) /
	    sizeof(idstore_results[0]))
		return ("unknown result");
	return (idstore_results[result]);
}

/*
 * Open the store: data directory, key, environment, writer.  See
 * idstore.h.
 */
struct idstore *
idstore_open(const struct idstore_params *params, char *err, size_t errlen)
{
	struct idstore	*st;
	uint8_t		 master[IDSTORE_KEY_LEN];
	sigset_t	 all, old;
	int		 created;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	st->dirfd = st->pipe[0] = st->pipe[1] = -1;
	st->links = -1;
	TAILQ_INIT(&st->todo);
	TAILQ_INIT(&st->finished);
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->wake, NULL);
	pthread_cond_init(&st->done, NULL);
	pthread_rwlock_init(&st->maplock, NULL);
	st->batch_max = params->batch_max ? params->batch_max : IDSTORE_BATCH;
	st->queue_max = params->queue_max ? params->queue_max : IDSTORE_QUEUE;

	if (params->datadir == NULL || params->keyfile == NULL) {
		snprintf(err, errlen, "no data directory or key file");
		goto fail;
	}
	if (mkdir(params->datadir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", params->datadir,
		    strerror(errno));
		goto fail;
	}
	/* LMDB allows many processes; the one-writer design does not. */
	if ((st->dirfd = open(params->datadir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || flock(st->dirfd, LOCK_EX | LOCK_NB) == -1) {
		snprintf(err, errlen, "%s: %s", params->datadir,
		    errno == EWOULDBLOCK ? "in use by another process" :
		    strerror(errno));
		goto fail;
	}
	if (idstore_crypt_keyfile(params->keyfile, params->datadir, master,
	    &created, err, errlen) == -1)
		goto fail;
	st->crypt = idstore_crypt_new(master);
	OPENSSL_cleanse(master, sizeof(master));
	if (st->crypt == NULL) {
		snprintf(err, errlen, "cannot derive the store's keys");
		goto fail;
	}
	if (idstore_env_open(st, params, created, err, errlen) == -1)
		goto fail;

	/* Signals belong to the event loop's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	errno = pthread_create(&st->writer, NULL, idstore_writer, st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (errno != 0) {
		snprintf(err, errlen, "writer thread: %s", strerror(errno));
		goto fail;
	}
	st->running = 1;
	return (st);

fail:
	idstore_close(st);
	return (NULL);
}

/* Create and open the environment and its databases, check the key. */
static int
idstore_env_open(struct idstore *st, const struct idstore_params *params,
    int created, char *err, size_t errlen)
{
	MDB_txn		*txn = NULL;
	size_t		 mapsize;
	int		 rc, i;

	mapsize = params->mapsize ? params->mapsize : IDSTORE_MAPSIZE;
	if ((rc = mdb_env_create(&st->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(st->env, DB_COUNT)) != 0 ||
	    (rc = mdb_env_set_mapsize(st->env, mapsize)) != 0 ||
	    (rc = mdb_env_open(st->env, params->datadir, 0, 0600)) != 0 ||
	    (rc = mdb_reader_check(st->env, &st->stale)) != 0 ||
	    (rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		goto fail;
	for (i = 0; i < DB_COUNT; i++)
		if ((rc = mdb_dbi_open(txn, idstore_db_names[i], MDB_CREATE,
		    &st->dbi[i])) != 0)
			goto fail;
	if (idstore_meta_check(st, txn, created, err, errlen) == -1) {
		mdb_txn_abort(txn);
		/* A key made just now for a store made with another. */
		if (created)
			unlink(params->keyfile);
		return (-1);
	}
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc == 0)
		return (0);

fail:
	if (txn != NULL)
		mdb_txn_abort(txn);
	snprintf(err, errlen, "%s: %s", params->datadir, mdb_strerror(rc));
	return (-1);
}

/*
 * A new store records its format and the key check; an old one must have
 * both matching, so a wrong key file is refused instead of filling the
 * store with records nothing can find again.
 */
static int
idstore_meta_check(struct idstore *st, MDB_txn *txn, int created, char *err,
    size_t errlen)
{
	MDB_val		 k, v;
	uint8_t		 format = IDSTORE_FORMAT;
	const uint8_t	*check = idstore_crypt_check(st->crypt);
	int		 rc;

	k.mv_data = (void *)(uintptr_t)"format";
	k.mv_size = 6;
	if ((rc = mdb_get(txn, st->dbi[DB_META], &k, &v)) == MDB_NOTFOUND) {
		v.mv_data = &format;
		v.mv_size = 1;
		if ((rc = mdb_put(txn, st->dbi[DB_META], &k, &v, 0)) != 0)
			goto fail;
		k.mv_data = (void *)(uintptr_t)"keycheck";
		k.mv_size = 8;
		v.mv_data = (void *)(uintptr_t)check;
		v.mv_size = IDSTORE_HASH_LEN;
		if ((rc = mdb_put(txn, st->dbi[DB_META], &k, &v, 0)) != 0)
			goto fail;
		return (0);
	}
	if (rc != 0)
		goto fail;
	if (v.mv_size != 1 || *(uint8_t *)v.mv_data != IDSTORE_FORMAT) {
		snprintf(err, errlen, "the store's format is not one this "
		    "version reads");
		return (-1);
	}
	k.mv_data = (void *)(uintptr_t)"keycheck";
	k.mv_size = 8;
	if ((rc = mdb_get(txn, st->dbi[DB_META], &k, &v)) != 0 ||
	    v.mv_size != IDSTORE_HASH_LEN ||
	    CRYPTO_memcmp(v.mv_data, check, IDSTORE_HASH_LEN) != 0) {
		snprintf(err, errlen, "the key file %s does not match the "
		    "store", created ? "made now" : "given");
		return (-1);
	}
	return (0);

fail:
	snprintf(err, errlen, "store metadata: %s", mdb_strerror(rc));
	return (-1);
}

/* Commit what is queued, then stop and free.  See idstore.h. */
void
idstore_close(struct idstore *st)
{
	if (st == NULL)
		return;
	if (st->running) {
		pthread_mutex_lock(&st->lock);
		st->quit = 1;
		pthread_cond_signal(&st->wake);
		pthread_mutex_unlock(&st->lock);
		pthread_join(st->writer, NULL);
	}
	idstore_run_finished(st);
	if (st->ev != NULL)
		event_free(st->ev);
	if (st->pipe[0] != -1)
		close(st->pipe[0]);
	if (st->pipe[1] != -1)
		close(st->pipe[1]);
	if (st->env != NULL)
		mdb_env_close(st->env);
	idstore_crypt_free(st->crypt);
	if (st->dirfd != -1)
		close(st->dirfd);
	pthread_rwlock_destroy(&st->maplock);
	pthread_cond_destroy(&st->done);
	pthread_cond_destroy(&st->wake);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

/* Deliver write callbacks on this loop.  See idstore.h. */
int
idstore_attach(struct idstore *st, struct event_base *base)
{
	if (st->ev != NULL) {
		errno = EBUSY;
		return (-1);
	}
	if (pipe2(st->pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		return (-1);
	st->ev = event_new(base, st->pipe[0], EV_READ | EV_PERSIST,
	    idstore_ready_cb, st);
	if (st->ev == NULL || event_add(st->ev, NULL) == -1) {
		if (st->ev != NULL)
			event_free(st->ev);
		st->ev = NULL;
		close(st->pipe[0]);
		close(st->pipe[1]);
		st->pipe[0] = st->pipe[1] = -1;
		errno = ENOMEM;
		return (-1);
	}
	return (0);
}

/* Queue a write; its callback follows the commit.  See idstore.h. */
int
idstore_submit(struct idstore *st, const struct idstore_write *w,
    idstore_cb cb, void *arg)
{
	struct idstore_job	*j;

	if (st->ev == NULL || cb == NULL) {
		errno = EINVAL;
		return (-1);
	}
	if ((j = idstore_job_new(w)) == NULL)
		return (-1);
	j->cb = cb;
	j->arg = arg;
	if (idstore_enqueue(st, j) == -1) {
		free(j);
		return (-1);
	}
	return (0);
}

/* Carry out a write and wait for the commit.  See idstore.h. */
int
idstore_write(struct idstore *st, struct idstore_write *w)
{
	struct idstore_job	*j;
	int			 result;

	if ((j = idstore_job_new(w)) == NULL)
		return (errno == EINVAL ? IDSTORE_INVALID : IDSTORE_FAIL);
	if (idstore_enqueue(st, j) == -1) {
		free(j);
		return (IDSTORE_FAIL);
	}
	pthread_mutex_lock(&st->lock);
	while (!j->finished)
		pthread_cond_wait(&st->done, &st->lock);
	pthread_mutex_unlock(&st->lock);
	memcpy(w->person, j->w.person, sizeof(w->person));
	memcpy(w->account, j->w.account, sizeof(w->account));
	result = j->result;
	free(j);
	return (result);
}

static int
idstore_enqueue(struct idstore *st, struct idstore_job *j)
{
	pthread_mutex_lock(&st->lock);
	if (st->quit || st->ntodo >= st->queue_max) {
		errno = st->quit ? ESHUTDOWN : EAGAIN;
		pthread_mutex_unlock(&st->lock);
		return (-1);
	}
	TAILQ_INSERT_TAIL(&st->todo, j, entry);
	st->ntodo++;
	pthread_cond_signal(&st->wake);
	pthread_mutex_unlock(&st->lock);
	return (0);
}

/* A string of 1 to max bytes; printable ASCII only where names must be. */
static int
idstore_check_str(const char *s, size_t max, int printable)
{
	size_t	 i, len;

	if (s == NULL || (len = strnlen(s, max + 1)) == 0 || len > max)
		return (-1);
	for (i = 0; printable && i < len; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f)
			return (-1);
	return (0);
}

/* Check that a write carries what its op needs, no more than fits. */
static int
idstore_check_write(const struct idstore_write *w)
{
	switch (w->op) {
	case IDSTORE_CREATE:
	case IDSTORE_LINK:
		if (idstore_check_str(w->partner, IDSTORE_PARTNER_MAX, 1) ||
		    idstore_check_str(w->creator, IDSTORE_CREATOR_MAX, 0) ||
		    idstore_check_str(w->reason, IDSTORE_REASON_MAX, 1))
			return (-1);
		if (w->patron_key == NULL && w->barcode == NULL)
			return (-1);
		if ((w->patron_key != NULL && idstore_check_str(w->patron_key,
		    IDSTORE_VALUE_MAX, 0)) || (w->barcode != NULL &&
		    idstore_check_str(w->barcode, IDSTORE_VALUE_MAX, 0)))
			return (-1);
		return (0);
	case IDSTORE_ALIAS_ADD:
	case IDSTORE_ALIAS_REMOVE:
		return (idstore_check_str(w->barcode, IDSTORE_VALUE_MAX, 0));
	case IDSTORE_UNLINK:
	case IDSTORE_FORGET:
		return (0);
	case IDSTORE_REC_ADD:
	case IDSTORE_REC_PUT:
		if (w->rec_len > IDSTORE_RECORD_MAX ||
		    (w->rec_len > 0 && w->rec_value == NULL))
			return (-1);
		/* FALLTHROUGH */
	case IDSTORE_REC_DEL:
		return (rec_check(w->kind, w->rec_key, w->rec_keylen));
	}
	return (-1);
}

/* Copy a write and its strings into one allocation. */
static struct idstore_job *
idstore_job_new(const struct idstore_write *w)
{
	struct idstore_job	*j;
	const char		*in[5] = { w->partner, w->patron_key,
				    w->barcode, w->creator, w->reason };
	const char		**out[5];
	size_t			 len = 0, n, i;
	char			*p;

	if (idstore_check_write(w) == -1) {
		errno = EINVAL;
		return (NULL);
	}
	for (i = 0; i < 5; i++)
		len += in[i] != NULL ? strlen(in[i]) + 1 : 0;
	if (w->op == IDSTORE_REC_ADD || w->op == IDSTORE_REC_PUT ||
	    w->op == IDSTORE_REC_DEL)
		len += w->rec_keylen + (w->op == IDSTORE_REC_DEL ? 0 :
		    w->rec_len);
	if ((j = calloc(1, sizeof(*j) + len)) == NULL)
		return (NULL);
	j->w.op = w->op;
	memcpy(j->person, w->person, sizeof(j->person));
	memcpy(j->account, w->account, sizeof(j->account));
	out[0] = &j->w.partner;
	out[1] = &j->w.patron_key;
	out[2] = &j->w.barcode;
	out[3] = &j->w.creator;
	out[4] = &j->w.reason;
	p = j->strings;
	for (i = 0; i < 5; i++) {
		if (in[i] == NULL)
			continue;
		n = strlen(in[i]) + 1;
		memcpy(p, in[i], n);
		*out[i] = p;
		p += n;
	}
	if (w->op == IDSTORE_REC_ADD || w->op == IDSTORE_REC_PUT ||
	    w->op == IDSTORE_REC_DEL) {
		j->w.kind = w->kind;
		memcpy(p, w->rec_key, w->rec_keylen);
		j->w.rec_key = (uint8_t *)p;
		j->w.rec_keylen = w->rec_keylen;
		p += w->rec_keylen;
		if (w->op != IDSTORE_REC_DEL && w->rec_len > 0) {
			memcpy(p, w->rec_value, w->rec_len);
			j->w.rec_value = p;
			j->w.rec_len = w->rec_len;
		}
	}
	return (j);
}

/*
 * The writer: takes what is queued, up to batch_max writes, applies them
 * in one transaction and commits once.  Writes queued during a commit form
 * the next batch, so a busy store commits many writes per fsync.
 */
static void *
idstore_writer(void *arg)
{
	struct idstore		*st = arg;
	struct idstore_jobs	 batch;
	struct idstore_job	*j;
	size_t			 n;

	pthread_mutex_lock(&st->lock);
	for (;;) {
		while (!st->quit && TAILQ_EMPTY(&st->todo))
			pthread_cond_wait(&st->wake, &st->lock);
		if (TAILQ_EMPTY(&st->todo))
			break;
		TAILQ_INIT(&batch);
		for (n = 0; n < st->batch_max &&
		    (j = TAILQ_FIRST(&st->todo)) != NULL; n++) {
			TAILQ_REMOVE(&st->todo, j, entry);
			TAILQ_INSERT_TAIL(&batch, j, entry);
		}
		st->ntodo -= n;
		pthread_mutex_unlock(&st->lock);
		idstore_commit(st, &batch);
		pthread_mutex_lock(&st->lock);
		st->writes += n;
		idstore_deliver(st, &batch);
	}
	pthread_mutex_unlock(&st->lock);
	return (NULL);
}

/*
 * Apply a batch in one write transaction and commit it.  A full map is
 * grown and the whole batch applied again; any other LMDB error fails
 * every write of the batch, for none of them was committed.
 */
static void
idstore_commit(struct idstore *st, struct idstore_jobs *batch)
{
	struct idstore_txn	 t;
	struct idstore_job	*j;
	int			 rc, grown = 0, links = -1;

	for (;;) {
		memset(&t, 0, sizeof(t));
		t.st = st;
		t.now = time(NULL);
		rc = mdb_txn_begin(st->env, NULL, 0, &t.txn);
		if (rc == MDB_MAP_RESIZED && idstore_adopt_map(st) == 0)
			continue;
		if (rc != 0)
			break;
		TAILQ_FOREACH(j, batch, entry) {
			/* A batch applied again starts from what was given. */
			memcpy(j->w.person, j->person, sizeof(j->person));
			memcpy(j->w.account, j->account, sizeof(j->account));
			j->result = idstore_apply(&t, &j->w);
			if (t.rc != 0)
				break;
		}
		if (t.rc != 0) {
			mdb_txn_abort(t.txn);
			rc = t.rc;
		} else {
			links = tx_links(&t);
			rc = mdb_txn_commit(t.txn);
		}
		if (rc != MDB_MAP_FULL || grown++ == IDSTORE_GROW_MAX ||
		    idstore_grow(st) == -1)
			break;
	}
	if (rc != 0) {
		TAILQ_FOREACH(j, batch, entry)
			j->result = IDSTORE_FAIL;
		return;
	}
	pthread_mutex_lock(&st->lock);
	st->commits++;
	st->links = links;
	pthread_mutex_unlock(&st->lock);
}

/*
 * Hand a batch's answers over (st->lock held): wake idstore_write's
 * waiters, queue callbacks for the loop and poke it.
 */
static void
idstore_deliver(struct idstore *st, struct idstore_jobs *batch)
{
	struct idstore_job	*j;
	int			 waiters = 0, callbacks = 0;
	char			 c = 1;

	while ((j = TAILQ_FIRST(batch)) != NULL) {
		TAILQ_REMOVE(batch, j, entry);
		if (j->cb == NULL) {
			j->finished = 1;
			waiters = 1;
		} else {
			TAILQ_INSERT_TAIL(&st->finished, j, entry);
			callbacks = 1;
		}
	}
	if (waiters)
		pthread_cond_broadcast(&st->done);
	/* A full pipe already holds a wake-up: nothing is lost. */
	if (callbacks && st->pipe[1] != -1)
		(void)write(st->pipe[1], &c, 1);
}

static void
idstore_ready_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct idstore	*st = arg;
	char		 buf[256];

	while (read(st->pipe[0], buf, sizeof(buf)) > 0)
		;
	idstore_run_finished(st);
}

/* Run the callbacks of committed writes, outside the lock. */
static void
idstore_run_finished(struct idstore *st)
{
	struct idstore_jobs	 ready = TAILQ_HEAD_INITIALIZER(ready);
	struct idstore_job	*j;

	pthread_mutex_lock(&st->lock);
	TAILQ_CONCAT(&ready, &st->finished, entry);
	pthread_mutex_unlock(&st->lock);
	while ((j = TAILQ_FIRST(&ready)) != NULL) {
		TAILQ_REMOVE(&ready, j, entry);
		j->cb(j->result, &j->w, j->arg);
		free(j);
	}
}

/*
 * Begin a short read transaction, holding the map lock for reading so
 * the map is not moved under it.
 */
static int
idstore_rd_begin(struct idstore *st, MDB_txn **txn)
{
	int	 rc;

	for (;;) {
		pthread_rwlock_rdlock(&st->maplock);
		rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, txn);
		if (rc == 0)
			return (0);
		pthread_rwlock_unlock(&st->maplock);
		if (rc != MDB_MAP_RESIZED || idstore_adopt_map(st) == -1)
			return (rc);
	}
}

static void
idstore_rd_end(struct idstore *st, MDB_txn *txn)
{
	mdb_txn_abort(txn);
	pthread_rwlock_unlock(&st->maplock);
}

/* Take the map size another process has grown the store to. */
static int
idstore_adopt_map(struct idstore *st)
{
	int	 rc;

	pthread_rwlock_wrlock(&st->maplock);
	rc = mdb_env_set_mapsize(st->env, 0);
	pthread_rwlock_unlock(&st->maplock);
	return (rc == 0 ? 0 : -1);
}

/*
 * Grow the map: double it up to IDSTORE_MAPSTEP, then add that much.  LMDB
 * moves the map only while no transaction of this process is open, so
 * readers are held off meanwhile; the writer's own has ended.
 */
static int
idstore_grow(struct idstore *st)
{
	MDB_envinfo	 info;
	size_t		 size;
	int		 rc;

	pthread_rwlock_wrlock(&st->maplock);
	mdb_env_info(st->env, &info);
	size = info.me_mapsize;
	size = size < IDSTORE_MAPSTEP ? size * 2 : size + IDSTORE_MAPSTEP;
	rc = mdb_env_set_mapsize(st->env, size);
	pthread_rwlock_unlock(&st->maplock);
	if (rc != 0)
		return (-1);
	pthread_mutex_lock(&st->lock);
	st->grows++;
	pthread_mutex_unlock(&st->lock);
	return (0);
}

/* The record key of an account: its person's id, then its own. */
static void
ref_make(const uint8_t *person, const uint8_t *account, uint8_t *ref)
{
	memcpy(ref, person, IDSTORE_ID_LEN);
	memcpy(ref + IDSTORE_ID_LEN, account, IDSTORE_ID_LEN);
}

/*
 * Read an account's clear header: format, flags, partner.  Returns its
 * length, or -1 when malformed.
 */
static int
acct_header(const MDB_val *v, int *flags, char *partner, size_t *hdrlen)
{
	const uint8_t	*p = v->mv_data;
	size_t		 plen;

	if (v->mv_size < 3 || p[0] != IDSTORE_FORMAT)
		return (-1);
	plen = p[2];
	if (plen == 0 || plen > IDSTORE_PARTNER_MAX || 3 + plen > v->mv_size)
		return (-1);
	*flags = p[1];
	memcpy(partner, p + 3, plen);
	partner[plen] = '\0';
	*hdrlen = 3 + plen;
	return (0);
}

/* Take one length-prefixed string out of an unsealed value. */
static int
acct_take(const uint8_t **p, const uint8_t *end, char *out, size_t max)
{
	size_t	 len;

	if (*p >= end || (len = **p) > max || (size_t)(end - *p) < 1 + len)
		return (-1);
	memcpy(out, *p + 1, len);
	out[len] = '\0';
	if (memchr(out, '\0', len) != NULL)
		return (-1);
	*p += 1 + len;
	return (0);
}

/*
 * Unseal and check an account record under its record key.  Returns
 * IDSTORE_OK with a filled, or IDSTORE_CORRUPT with a wiped.
 */
static int
acct_decode(struct idstore *st, const uint8_t *ref, const MDB_val *v,
    struct idstore_account *a)
{
	uint8_t		 aad[IDSTORE_REF_LEN + ACCT_HDR_MAX];
	uint8_t		 plain[ACCT_PLAIN_BUF];
	const uint8_t	*p, *end;
	size_t		 hdrlen, slen, i;
	uint64_t	 created = 0;
	int		 flags;

	memset(a, 0, sizeof(*a));
	if (acct_header(v, &flags, a->partner, &hdrlen) == -1)
		goto corrupt;
	slen = v->mv_size - hdrlen;
	if (slen > IDSTORE_SEALED_LEN(ACCT_PLAIN_MAX))
		goto corrupt;
	memcpy(aad, ref, IDSTORE_REF_LEN);
	memcpy(aad + IDSTORE_REF_LEN, v->mv_data, hdrlen);
	if (idstore_crypt_unseal(st->crypt, aad, IDSTORE_REF_LEN + hdrlen,
	    (const uint8_t *)v->mv_data + hdrlen, slen, plain) == -1)
		goto corrupt;

	p = plain;
	end = plain + slen - IDSTORE_NONCE_LEN - IDSTORE_TAG_LEN;
	for (i = 0; i < 8; i++)
		created = created << 8 | *p++;
	if (acct_take(&p, end, a->patron_key, IDSTORE_VALUE_MAX) == -1 ||
	    acct_take(&p, end, a->creator, IDSTORE_CREATOR_MAX) == -1 ||
	    acct_take(&p, end, a->reason, IDSTORE_REASON_MAX) == -1 ||
	    p >= end || (a->nbarcodes = *p++) > IDSTORE_BARCODES_MAX)
		goto corrupt;
	for (i = 0; i < a->nbarcodes; i++)
		if (acct_take(&p, end, a->barcodes[i], IDSTORE_VALUE_MAX) ==
		    -1 || a->barcodes[i][0] == '\0')
			goto corrupt;
	for (; p < end; p++)
		if (*p != 0)
			goto corrupt;
	memcpy(a->id, ref + IDSTORE_ID_LEN, IDSTORE_ID_LEN);
	a->home = (flags & ACCT_HOME) != 0;
	a->created = (time_t)created;
	OPENSSL_cleanse(plain, sizeof(plain));
	return (IDSTORE_OK);

corrupt:
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(a, sizeof(*a));
	return (IDSTORE_CORRUPT);
}

/* Put one length-prefixed string into a value to be sealed. */
static uint8_t *
acct_put(uint8_t *p, const char *s)
{
	size_t	 len = strlen(s);

	*p++ = (uint8_t)len;
	memcpy(p, s, len);
	return (p + len);
}

/* Build an account record bound to its record key.  0 or -1. */
static int
acct_encode(struct idstore *st, const uint8_t *ref,
    const struct idstore_account *a, uint8_t *out, size_t *outlen)
{
	uint8_t		 aad[IDSTORE_REF_LEN + ACCT_HDR_MAX];
	uint8_t		 plain[ACCT_PLAIN_MAX], *p = plain;
	uint64_t	 created = (uint64_t)a->created;
	size_t		 hdrlen, plen = strlen(a->partner), i;
	int		 rc;

	out[0] = IDSTORE_FORMAT;
	out[1] = a->home ? ACCT_HOME : 0;
	out[2] = (uint8_t)plen;
	memcpy(out + 3, a->partner, plen);
	hdrlen = 3 + plen;
	memcpy(aad, ref, IDSTORE_REF_LEN);
	memcpy(aad + IDSTORE_REF_LEN, out, hdrlen);

	for (i = 0; i < 8; i++)
		*p++ = (uint8_t)(created >> (56 - 8 * i));
	p = acct_put(p, a->patron_key);
	p = acct_put(p, a->creator);
	p = acct_put(p, a->reason);
	*p++ = (uint8_t)a->nbarcodes;
	for (i = 0; i < a->nbarcodes; i++)
		p = acct_put(p, a->barcodes[i]);
	rc = idstore_crypt_seal(st->crypt, aad, IDSTORE_REF_LEN + hdrlen,
	    plain, p - plain, out + hdrlen);
	*outlen = hdrlen + IDSTORE_SEALED_LEN((size_t)(p - plain));
	OPENSSL_cleanse(plain, sizeof(plain));
	return (rc);
}

static int
acct_has_barcode(const struct idstore_account *a, const char *barcode)
{
	size_t	 i;

	for (i = 0; i < a->nbarcodes; i++)
		if (strcmp(a->barcodes[i], barcode) == 0)
			return ((int)i);
	return (-1);
}

/*
 * Follow an index key to its account, then check the account: its
 * sealed values must hold the very partner and value looked up, so an
 * index entry pointed elsewhere is caught, not followed.
 */
static int
idstore_find(struct idstore *st, enum idstore_index kind,
    const char *partner, const char *value, struct idstore_ref *ref)
{
	struct idstore_account	 a;
	MDB_txn			*txn;
	MDB_val			 k, v;
	uint8_t			 hash[IDSTORE_HASH_LEN], rk[IDSTORE_REF_LEN];
	int			 rc, result;

	if (idstore_check_str(partner, IDSTORE_PARTNER_MAX, 1) == -1 ||
	    idstore_check_str(value, IDSTORE_VALUE_MAX, 0) == -1)
		return (IDSTORE_INVALID);
	if (idstore_crypt_index(st->crypt, kind, partner, value, hash) == -1)
		return (IDSTORE_FAIL);
	if (idstore_rd_begin(st, &txn) != 0)
		return (IDSTORE_FAIL);
	k.mv_data = hash;
	k.mv_size = sizeof(hash);
	rc = mdb_get(txn, st->dbi[kind == IDSTORE_INDEX_KEY ? DB_KEYS :
	    DB_ALIASES], &k, &v);
	if (rc == 0 && v.mv_size != IDSTORE_REF_LEN)
		rc = MDB_CORRUPTED;
	if (rc == 0) {
		memcpy(rk, v.mv_data, sizeof(rk));
		k.mv_data = rk;
		k.mv_size = sizeof(rk);
		rc = mdb_get(txn, st->dbi[DB_ACCOUNTS], &k, &v);
	}
	if (rc == 0) {
		result = acct_decode(st, rk, &v, &a);
		if (result == IDSTORE_OK && (strcmp(a.partner, partner) != 0 ||
		    (kind == IDSTORE_INDEX_KEY ?
		    strcmp(a.patron_key, value) != 0 :
		    acct_has_barcode(&a, value) == -1)))
			result = IDSTORE_CORRUPT;
	} else
		result = rc == MDB_NOTFOUND ? IDSTORE_NOTFOUND :
		    rc == MDB_CORRUPTED ? IDSTORE_CORRUPT : IDSTORE_FAIL;
	idstore_rd_end(st, txn);
	if (result == IDSTORE_OK) {
		memcpy(ref->person, rk, IDSTORE_ID_LEN);
		memcpy(ref->account, a.id, IDSTORE_ID_LEN);
		ref->home = a.home;
	}
	OPENSSL_cleanse(&a, sizeof(a));
	return (result);
}

/* Find the account of a patron key.  See idstore.h. */
int
idstore_find_key(struct idstore *st, const char *partner, const char *key,
    struct idstore_ref *ref)
{
	return (idstore_find(st, IDSTORE_INDEX_KEY, partner, key, ref));
}

/* Find the account of a barcode.  See idstore.h. */
int
idstore_find_barcode(struct idstore *st, const char *partner,
    const char *barcode, struct idstore_ref *ref)
{
	return (idstore_find(st, IDSTORE_INDEX_BARCODE, partner, barcode,
	    ref));
}

/* Order a person's accounts: the home first, then by partner. */
static int
acct_order(const void *a, const void *b)
{
	const struct idstore_account	*x = a, *y = b;

	if (x->home != y->home)
		return (y->home - x->home);
	return (strcmp(x->partner, y->partner));
}

/* Read a person back.  See idstore.h. */
int
idstore_person(struct idstore *st, const uint8_t *person,
    struct idstore_person *p)
{
	MDB_txn		*txn;
	MDB_cursor	*cur = NULL;
	MDB_val		 k, v;
	uint8_t		 rk[IDSTORE_REF_LEN];
	int		 rc, result = IDSTORE_OK;

	memset(p, 0, sizeof(*p));
	memcpy(p->id, person, IDSTORE_ID_LEN);
	if (idstore_rd_begin(st, &txn) != 0)
		return (IDSTORE_FAIL);
	if ((rc = mdb_cursor_open(txn, st->dbi[DB_ACCOUNTS], &cur)) != 0)
		goto done;
	ref_make(person, (const uint8_t[IDSTORE_ID_LEN]){ 0 }, rk);
	k.mv_data = rk;
	k.mv_size = sizeof(rk);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != IDSTORE_REF_LEN ||
		    memcmp(k.mv_data, person, IDSTORE_ID_LEN) != 0)
			break;
		if (p->naccounts == IDSTORE_ACCOUNTS_MAX) {
			result = IDSTORE_CORRUPT;
			break;
		}
		result = acct_decode(st, k.mv_data, &v,
		    &p->accounts[p->naccounts++]);
		if (result != IDSTORE_OK)
			break;
	}
	if (rc == MDB_NOTFOUND || rc == 0)
		rc = 0;
done:
	if (cur != NULL)
		mdb_cursor_close(cur);
	idstore_rd_end(st, txn);
	if (rc != 0)
		result = IDSTORE_FAIL;
	else if (result == IDSTORE_OK && p->naccounts == 0)
		result = IDSTORE_NOTFOUND;
	if (result != IDSTORE_OK) {
		OPENSSL_cleanse(p, sizeof(*p));
		return (result);
	}
	qsort(p->accounts, p->naccounts, sizeof(p->accounts[0]), acct_order);
	return (IDSTORE_OK);
}

/* Counts and figures.  See idstore.h. */
int
idstore_has_links(struct idstore *st)
{
	struct idstore_stat	 s;
	int			 links;

	pthread_mutex_lock(&st->lock);
	links = st->links;
	pthread_mutex_unlock(&st->lock);
	if (links != -1)
		return (links);
	/* Not told by a commit yet: once from the counts, then kept. */
	if (idstore_stat(st, &s) == -1)
		return (1);
	links = s.accounts > s.persons;
	pthread_mutex_lock(&st->lock);
	if (st->links == -1)
		st->links = links;
	pthread_mutex_unlock(&st->lock);
	return (links);
}

int
idstore_stat(struct idstore *st, struct idstore_stat *s)
{
	MDB_txn		*txn;
	MDB_stat	 ms, env;
	MDB_envinfo	 info;
	MDB_val		 k, v;
	uint64_t	 persons = 0;
	int		 rc;

	memset(s, 0, sizeof(*s));
	if (idstore_rd_begin(st, &txn) != 0)
		return (-1);
	k.mv_data = (void *)(uintptr_t)"persons";
	k.mv_size = 7;
	if ((rc = mdb_get(txn, st->dbi[DB_META], &k, &v)) == 0 &&
	    v.mv_size == sizeof(persons))
		memcpy(&persons, v.mv_data, sizeof(persons));
	s->persons = persons;
	if ((rc == 0 || rc == MDB_NOTFOUND) &&
	    (rc = mdb_stat(txn, st->dbi[DB_ACCOUNTS], &ms)) == 0) {
		s->accounts = ms.ms_entries;
		rc = mdb_stat(txn, st->dbi[DB_ALIASES], &ms);
		s->aliases = ms.ms_entries;
	}
	mdb_env_info(st->env, &info);
	mdb_env_stat(st->env, &env);
	s->map_size = info.me_mapsize;
	s->used_bytes = (info.me_last_pgno + 1) * (size_t)env.ms_psize;
	idstore_rd_end(st, txn);
	pthread_mutex_lock(&st->lock);
	s->writes = st->writes;
	s->commits = st->commits;
	s->grows = st->grows;
	pthread_mutex_unlock(&st->lock);
	s->stale_readers = st->stale;
	return (rc == 0 ? 0 : -1);
}

/* A compacted copy while running.  See idstore.h. */
int
idstore_backup(struct idstore *st, const char *path, char *err,
    size_t errlen)
{
	struct stat	 sb;
	char		 file[PATH_MAX];
	int		 fd, rc;

	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		if ((size_t)snprintf(file, sizeof(file), "%s/data.mdb",
		    path) >= sizeof(file)) {
			snprintf(err, errlen, "%s: path too long", path);
			return (-1);
		}
	} else if ((size_t)snprintf(file, sizeof(file), "%s", path) >=
	    sizeof(file)) {
		snprintf(err, errlen, "%s: path too long", path);
		return (-1);
	}
	if ((fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return (-1);
	}
	pthread_rwlock_rdlock(&st->maplock);
	rc = mdb_env_copyfd2(st->env, fd, MDB_CP_COMPACT);
	pthread_rwlock_unlock(&st->maplock);
	if (rc == 0 && fsync(fd) == -1)
		rc = errno;
	close(fd);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", file, mdb_strerror(rc));
		unlink(file);
		return (-1);
	}
	return (0);
}

/* Carry out one write in the batch's transaction. */
static int
idstore_apply(struct idstore_txn *t, struct idstore_write *w)
{
	switch (w->op) {
	case IDSTORE_CREATE:
		return (op_create(t, w));
	case IDSTORE_LINK:
		return (op_link(t, w));
	case IDSTORE_ALIAS_ADD:
		return (op_alias_add(t, w));
	case IDSTORE_ALIAS_REMOVE:
		return (op_alias_remove(t, w));
	case IDSTORE_UNLINK:
		return (op_unlink(t, w));
	case IDSTORE_FORGET:
		return (op_forget(t, w));
	case IDSTORE_REC_ADD:
	case IDSTORE_REC_PUT:
		return (op_rec_put(t, w));
	case IDSTORE_REC_DEL:
		return (op_rec_del(t, w));
	}
	return (IDSTORE_INVALID);
}

/* Get a record: 1 found, 0 not, -1 on an LMDB error (in t->rc). */
static int
tx_get(struct idstore_txn *t, enum idstore_db db, const void *key,
    size_t klen, MDB_val *v)
{
	MDB_val	 k;
	int	 rc;

	k.mv_data = (void *)(uintptr_t)key;
	k.mv_size = klen;
	if ((rc = mdb_get(t->txn, t->st->dbi[db], &k, v)) == 0)
		return (1);
	if (rc == MDB_NOTFOUND)
		return (0);
	t->rc = rc;
	return (-1);
}

/* Put a record: 0, 1 when it exists (MDB_NOOVERWRITE), -1 on error. */
static int
tx_put(struct idstore_txn *t, enum idstore_db db, const void *key,
    size_t klen, const void *data, size_t dlen, unsigned int flags)
{
	MDB_val	 k, v;
	int	 rc;

	k.mv_data = (void *)(uintptr_t)key;
	k.mv_size = klen;
	v.mv_data = (void *)(uintptr_t)data;
	v.mv_size = dlen;
	if ((rc = mdb_put(t->txn, t->st->dbi[db], &k, &v, flags)) == 0)
		return (0);
	if (rc == MDB_KEYEXIST)
		return (1);
	t->rc = rc;
	return (-1);
}

/* Delete a record if there is one: 0, or -1 on error. */
static int
tx_del(struct idstore_txn *t, enum idstore_db db, const void *key,
    size_t klen)
{
	MDB_val	 k;
	int	 rc;

	k.mv_data = (void *)(uintptr_t)key;
	k.mv_size = klen;
	if ((rc = mdb_del(t->txn, t->st->dbi[db], &k, NULL)) == 0 ||
	    rc == MDB_NOTFOUND)
		return (0);
	t->rc = rc;
	return (-1);
}

/*
 * Whether some person has more than one account, as this transaction
 * leaves the store: -1 when that cannot be told.
 */
static int
tx_links(struct idstore_txn *t)
{
	MDB_stat	 ms;
	MDB_val		 v = { 0, NULL };
	uint64_t	 persons = 0;

	if (mdb_stat(t->txn, t->st->dbi[DB_ACCOUNTS], &ms) != 0 ||
	    tx_get(t, DB_META, "persons", 7, &v) == -1)
		return (-1);
	if (v.mv_data != NULL && v.mv_size == sizeof(persons))
		memcpy(&persons, v.mv_data, sizeof(persons));
	return (ms.ms_entries > persons);
}

/* Add delta to the count of persons. */
static int
tx_count_persons(struct idstore_txn *t, int delta)
{
	MDB_val		 v;
	uint64_t	 n = 0;
	int		 r;

	if ((r = tx_get(t, DB_META, "persons", 7, &v)) == -1)
		return (-1);
	if (r == 1 && v.mv_size == sizeof(n))
		memcpy(&n, v.mv_data, sizeof(n));
	n = delta < 0 && n == 0 ? 0 : n + delta;
	return (tx_put(t, DB_META, "persons", 7, &n, sizeof(n), 0) == 0 ?
	    0 : -1);
}

/*
 * Who holds an index key: 1 with the account's record key in owner, 0 when
 * nobody does (no entry, or one left behind by an account gone), -1.
 */
static int
idx_owner(struct idstore_txn *t, enum idstore_db db, const uint8_t *hash,
    uint8_t *owner)
{
	MDB_val	 v;
	int	 r;

	if ((r = tx_get(t, db, hash, IDSTORE_HASH_LEN, &v)) != 1)
		return (r);
	if (v.mv_size != IDSTORE_REF_LEN)
		return (0);
	memcpy(owner, v.mv_data, IDSTORE_REF_LEN);
	return (tx_get(t, DB_ACCOUNTS, owner, IDSTORE_REF_LEN, &v));
}

/* Delete an index entry if it leads to this account: 0 or -1. */
static int
idx_drop(struct idstore_txn *t, enum idstore_db db, enum idstore_index kind,
    const char *partner, const char *value, const uint8_t *ref)
{
	MDB_val	 v;
	uint8_t	 hash[IDSTORE_HASH_LEN];
	int	 r;

	if (idstore_crypt_index(t->st->crypt, kind, partner, value,
	    hash) == -1) {
		t->rc = EIO;
		return (-1);
	}
	if ((r = tx_get(t, db, hash, sizeof(hash), &v)) != 1)
		return (r);
	if (v.mv_size != IDSTORE_REF_LEN ||
	    memcmp(v.mv_data, ref, IDSTORE_REF_LEN) != 0)
		return (0);
	return (tx_del(t, db, hash, sizeof(hash)));
}

/* Load and unseal an account: IDSTORE_OK, NOTFOUND, CORRUPT or FAIL. */
static int
acct_load(struct idstore_txn *t, const uint8_t *ref,
    struct idstore_account *a)
{
	MDB_val	 v;
	int	 r;

	if ((r = tx_get(t, DB_ACCOUNTS, ref, IDSTORE_REF_LEN, &v)) == -1)
		return (IDSTORE_FAIL);
	if (r == 0)
		return (IDSTORE_NOTFOUND);
	return (acct_decode(t->st, ref, &v, a));
}

/* Seal and put an account record.  0 or -1. */
static int
acct_store(struct idstore_txn *t, const uint8_t *ref,
    const struct idstore_account *a, unsigned int flags)
{
	uint8_t	 val[ACCT_VALUE_MAX];
	size_t	 len;
	int	 r;

	if (acct_encode(t->st, ref, a, val, &len) == -1)
		return (-1);
	r = tx_put(t, DB_ACCOUNTS, ref, IDSTORE_REF_LEN, val, len, flags);
	OPENSSL_cleanse(val, sizeof(val));
	return (r);
}

/* Delete an account and the index entries that lead to it.  0 or -1. */
static int
acct_remove(struct idstore_txn *t, const uint8_t *ref,
    const struct idstore_account *a)
{
	size_t	 i;

	if (a->patron_key[0] != '\0' && idx_drop(t, DB_KEYS,
	    IDSTORE_INDEX_KEY, a->partner, a->patron_key, ref) == -1)
		return (-1);
	for (i = 0; i < a->nbarcodes; i++)
		if (idx_drop(t, DB_ALIASES, IDSTORE_INDEX_BARCODE, a->partner,
		    a->barcodes[i], ref) == -1)
			return (-1);
	return (tx_del(t, DB_ACCOUNTS, ref, IDSTORE_REF_LEN));
}

/*
 * Count a person's accounts and see whether one is at partner.  Reads
 * the clear headers only.  Returns the count, or -1.
 */
static int
acct_scan(struct idstore_txn *t, const uint8_t *person, const char *partner,
    int *there)
{
	MDB_cursor	*cur;
	MDB_val		 k, v;
	uint8_t		 rk[IDSTORE_REF_LEN];
	char		 name[IDSTORE_PARTNER_MAX + 1];
	size_t		 hdrlen;
	int		 rc, n = 0, flags;

	*there = 0;
	if ((rc = mdb_cursor_open(t->txn, t->st->dbi[DB_ACCOUNTS], &cur)) != 0) {
		t->rc = rc;
		return (-1);
	}
	ref_make(person, (const uint8_t[IDSTORE_ID_LEN]){ 0 }, rk);
	k.mv_data = rk;
	k.mv_size = sizeof(rk);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != IDSTORE_REF_LEN ||
		    memcmp(k.mv_data, person, IDSTORE_ID_LEN) != 0)
			break;
		n++;
		if (acct_header(&v, &flags, name, &hdrlen) == 0 &&
		    strcmp(name, partner) == 0)
			*there = 1;
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		t->rc = rc;
		return (-1);
	}
	return (n);
}

/*
 * Add an account to a person: refused when its key or barcode is held
 * already (w then names the holder), else sealed and indexed.
 */
static int
acct_add(struct idstore_txn *t, const uint8_t *person,
    struct idstore_write *w, int home)
{
	struct idstore_account	 a;
	struct idstore		*st = t->st;
	uint8_t			 kh[IDSTORE_HASH_LEN], bh[IDSTORE_HASH_LEN];
	uint8_t			 ref[IDSTORE_REF_LEN], owner[IDSTORE_REF_LEN];
	int			 r = 0, result = IDSTORE_FAIL;

	if ((w->patron_key != NULL && idstore_crypt_index(st->crypt,
	    IDSTORE_INDEX_KEY, w->partner, w->patron_key, kh) == -1) ||
	    (w->barcode != NULL && idstore_crypt_index(st->crypt,
	    IDSTORE_INDEX_BARCODE, w->partner, w->barcode, bh) == -1))
		return (IDSTORE_FAIL);
	if ((w->patron_key != NULL &&
	    (r = idx_owner(t, DB_KEYS, kh, owner)) != 0) ||
	    (w->barcode != NULL &&
	    (r = idx_owner(t, DB_ALIASES, bh, owner)) != 0)) {
		if (r == -1)
			return (IDSTORE_FAIL);
		memcpy(w->person, owner, IDSTORE_ID_LEN);
		memcpy(w->account, owner + IDSTORE_ID_LEN, IDSTORE_ID_LEN);
		return (IDSTORE_EXISTS);
	}

	memset(&a, 0, sizeof(a));
	a.home = home;
	a.created = t->now;
	snprintf(a.partner, sizeof(a.partner), "%s", w->partner);
	if (w->patron_key != NULL)
		snprintf(a.patron_key, sizeof(a.patron_key), "%s",
		    w->patron_key);
	snprintf(a.creator, sizeof(a.creator), "%s", w->creator);
	snprintf(a.reason, sizeof(a.reason), "%s", w->reason);
	if (w->barcode != NULL) {
		snprintf(a.barcodes[0], sizeof(a.barcodes[0]), "%s",
		    w->barcode);
		a.nbarcodes = 1;
	}
	/* Ids are random; a clash is next to impossible, yet checked. */
	do {
		if (RAND_bytes(a.id, sizeof(a.id)) != 1)
			goto done;
		ref_make(person, a.id, ref);
	} while ((r = acct_store(t, ref, &a, MDB_NOOVERWRITE)) == 1);
	if (r == -1 ||
	    (w->patron_key != NULL && tx_put(t, DB_KEYS, kh, sizeof(kh), ref,
	    sizeof(ref), 0) == -1) ||
	    (w->barcode != NULL && tx_put(t, DB_ALIASES, bh, sizeof(bh), ref,
	    sizeof(ref), 0) == -1))
		goto done;
	memcpy(w->person, person, IDSTORE_ID_LEN);
	memcpy(w->account, a.id, IDSTORE_ID_LEN);
	result = IDSTORE_OK;
done:
	OPENSSL_cleanse(&a, sizeof(a));
	return (result);
}

/* A person with its home account. */
static int
op_create(struct idstore_txn *t, struct idstore_write *w)
{
	uint8_t	 person[IDSTORE_ID_LEN];
	int	 there, result;

	/* A new person id must lead to no account yet. */
	do {
		if (RAND_bytes(person, sizeof(person)) != 1)
			return (IDSTORE_FAIL);
		if ((result = acct_scan(t, person, w->partner, &there)) == -1)
			return (IDSTORE_FAIL);
	} while (result != 0);
	if ((result = acct_add(t, person, w, 1)) == IDSTORE_OK &&
	    tx_count_persons(t, 1) == -1)
		return (IDSTORE_FAIL);
	return (result);
}

/* Another account of a person: one per partner, never a second home. */
static int
op_link(struct idstore_txn *t, struct idstore_write *w)
{
	uint8_t	 person[IDSTORE_ID_LEN];
	int	 n, there;

	memcpy(person, w->person, sizeof(person));
	if ((n = acct_scan(t, person, w->partner, &there)) == -1)
		return (IDSTORE_FAIL);
	if (n == 0)
		return (IDSTORE_NOTFOUND);
	if (there)
		return (IDSTORE_CONFLICT);
	if (n >= IDSTORE_ACCOUNTS_MAX)
		return (IDSTORE_LIMIT);
	return (acct_add(t, person, w, 0));
}

/* A barcode for an account; adding one it has already is fine. */
static int
op_alias_add(struct idstore_txn *t, struct idstore_write *w)
{
	struct idstore_account	 a;
	uint8_t			 ref[IDSTORE_REF_LEN], owner[IDSTORE_REF_LEN];
	uint8_t			 bh[IDSTORE_HASH_LEN];
	int			 r, result;

	ref_make(w->person, w->account, ref);
	if ((result = acct_load(t, ref, &a)) != IDSTORE_OK)
		return (result);
	if (acct_has_barcode(&a, w->barcode) != -1)
		goto done;
	result = IDSTORE_FAIL;
	if (idstore_crypt_index(t->st->crypt, IDSTORE_INDEX_BARCODE,
	    a.partner, w->barcode, bh) == -1 ||
	    (r = idx_owner(t, DB_ALIASES, bh, owner)) == -1)
		goto done;
	if (r == 1 && memcmp(owner, ref, sizeof(ref)) != 0) {
		memcpy(w->person, owner, IDSTORE_ID_LEN);
		memcpy(w->account, owner + IDSTORE_ID_LEN, IDSTORE_ID_LEN);
		result = IDSTORE_EXISTS;
		goto done;
	}
	if (a.nbarcodes == IDSTORE_BARCODES_MAX) {
		result = IDSTORE_LIMIT;
		goto done;
	}
	snprintf(a.barcodes[a.nbarcodes], sizeof(a.barcodes[0]), "%s",
	    w->barcode);
	a.nbarcodes++;
	if (acct_store(t, ref, &a, 0) == 0 &&
	    tx_put(t, DB_ALIASES, bh, sizeof(bh), ref, sizeof(ref), 0) == 0)
		result = IDSTORE_OK;
done:
	OPENSSL_cleanse(&a, sizeof(a));
	return (result);
}

/* Take a barcode from an account. */
static int
op_alias_remove(struct idstore_txn *t, struct idstore_write *w)
{
	struct idstore_account	 a;
	uint8_t			 ref[IDSTORE_REF_LEN];
	int			 i, result;

	ref_make(w->person, w->account, ref);
	if ((result = acct_load(t, ref, &a)) != IDSTORE_OK)
		return (result);
	if ((i = acct_has_barcode(&a, w->barcode)) == -1) {
		result = IDSTORE_NOTFOUND;
		goto done;
	}
	a.nbarcodes--;
	memmove(a.barcodes[i], a.barcodes[i + 1],
	    (a.nbarcodes - i) * sizeof(a.barcodes[0]));
	result = IDSTORE_FAIL;
	if (acct_store(t, ref, &a, 0) == 0 && idx_drop(t, DB_ALIASES,
	    IDSTORE_INDEX_BARCODE, a.partner, w->barcode, ref) == 0)
		result = IDSTORE_OK;
done:
	OPENSSL_cleanse(&a, sizeof(a));
	return (result);
}

/* Remove an account that is not its person's home. */
static int
op_unlink(struct idstore_txn *t, struct idstore_write *w)
{
	struct idstore_account	 a;
	uint8_t			 ref[IDSTORE_REF_LEN];
	int			 result;

	ref_make(w->person, w->account, ref);
	if ((result = acct_load(t, ref, &a)) != IDSTORE_OK)
		return (result);
	if (a.home)
		result = IDSTORE_CONFLICT;
	else if (acct_remove(t, ref, &a) == -1)
		result = IDSTORE_FAIL;
	OPENSSL_cleanse(&a, sizeof(a));
	return (result);
}

/*
 * Remove a person and every account.  An account that fails its check is
 * removed too, its index entries left behind: they lead nowhere, and a
 * later CREATE or LINK takes them over.
 */
static int
op_forget(struct idstore_txn *t, struct idstore_write *w)
{
	struct idstore_account	 a;
	MDB_cursor		*cur;
	MDB_val			 k, v;
	uint8_t			 ref[IDSTORE_REF_LEN];
	int			 rc, n = 0, result = IDSTORE_OK;

	for (;;) {
		if ((rc = mdb_cursor_open(t->txn, t->st->dbi[DB_ACCOUNTS],
		    &cur)) != 0)
			break;
		ref_make(w->person, (const uint8_t[IDSTORE_ID_LEN]){ 0 }, ref);
		k.mv_data = ref;
		k.mv_size = sizeof(ref);
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		if (rc == 0 && (k.mv_size != IDSTORE_REF_LEN ||
		    memcmp(k.mv_data, w->person, IDSTORE_ID_LEN) != 0))
			rc = MDB_NOTFOUND;
		if (rc == 0) {
			memcpy(ref, k.mv_data, sizeof(ref));
			result = acct_decode(t->st, ref, &v, &a);
		}
		mdb_cursor_close(cur);
		if (rc != 0)
			break;
		n++;
		if ((result == IDSTORE_OK ? acct_remove(t, ref, &a) :
		    tx_del(t, DB_ACCOUNTS, ref, sizeof(ref))) == -1)
			break;
	}
	OPENSSL_cleanse(&a, sizeof(a));
	if (rc != MDB_NOTFOUND) {
		if (t->rc == 0)
			t->rc = rc;
		return (IDSTORE_FAIL);
	}
	if (n == 0)
		return (IDSTORE_NOTFOUND);
	return (tx_count_persons(t, -1) == -1 ? IDSTORE_FAIL : IDSTORE_OK);
}

/* A record's kind and key: 0 when usable, -1 when not. */
static int
rec_check(enum idstore_kind kind, const uint8_t *key, size_t keylen)
{
	if (kind < IDSTORE_KIND_REQUEST || kind > IDSTORE_KIND_MAX ||
	    key == NULL || keylen == 0 || keylen > IDSTORE_RECKEY_MAX)
		return (-1);
	return (0);
}

/* Write a record's database key into out (REC_KEY_BUF); its length. */
static size_t
rec_key(enum idstore_kind kind, const uint8_t *key, size_t keylen,
    uint8_t *out)
{
	out[0] = (uint8_t)kind;
	memcpy(out + 1, key, keylen);
	return (1 + keylen);
}

/* Make or replace a record, sealed under its own key. */
static int
op_rec_put(struct idstore_txn *t, struct idstore_write *w)
{
	uint8_t		 k[REC_KEY_BUF], plain[REC_PLAIN_MAX];
	uint8_t		 sealed[REC_VALUE_MAX];
	size_t		 klen;
	int		 rc;

	klen = rec_key(w->kind, w->rec_key, w->rec_keylen, k);
	plain[0] = (uint8_t)(w->rec_len >> 8);
	plain[1] = (uint8_t)w->rec_len;
	if (w->rec_len > 0)
		memcpy(plain + 2, w->rec_value, w->rec_len);
	rc = idstore_crypt_seal(t->st->crypt, k, klen, plain, 2 + w->rec_len,
	    sealed);
	OPENSSL_cleanse(plain, sizeof(plain));
	if (rc == -1)
		return (IDSTORE_FAIL);
	switch (tx_put(t, DB_RECORDS, k, klen, sealed,
	    IDSTORE_SEALED_LEN(2 + w->rec_len),
	    w->op == IDSTORE_REC_ADD ? MDB_NOOVERWRITE : 0)) {
	case 0:
		return (IDSTORE_OK);
	case 1:
		return (IDSTORE_EXISTS);
	}
	return (IDSTORE_FAIL);
}

/* Remove a record. */
static int
op_rec_del(struct idstore_txn *t, struct idstore_write *w)
{
	uint8_t		 k[REC_KEY_BUF];
	MDB_val		 v;
	size_t		 klen;

	klen = rec_key(w->kind, w->rec_key, w->rec_keylen, k);
	switch (tx_get(t, DB_RECORDS, k, klen, &v)) {
	case 0:
		return (IDSTORE_NOTFOUND);
	case -1:
		return (IDSTORE_FAIL);
	}
	return (tx_del(t, DB_RECORDS, k, klen) == -1 ? IDSTORE_FAIL :
	    IDSTORE_OK);
}

/*
 * Unseal a record found under key k into out (IDSTORE_RECORD_MAX bytes),
 * its length in *len: IDSTORE_OK or IDSTORE_CORRUPT.
 */
static int
rec_decode(struct idstore *st, const MDB_val *k, const MDB_val *v,
    uint8_t *out, size_t *len)
{
	uint8_t		 plain[REC_PLAIN_BUF];
	size_t		 plen, n, i;
	int		 result = IDSTORE_CORRUPT;

	if (v->mv_size < IDSTORE_SEALED_LEN(2) ||
	    v->mv_size > REC_VALUE_MAX)
		return (IDSTORE_CORRUPT);
	if (idstore_crypt_unseal(st->crypt, k->mv_data, k->mv_size,
	    v->mv_data, v->mv_size, plain) == -1)
		return (IDSTORE_CORRUPT);
	plen = v->mv_size - IDSTORE_NONCE_LEN - IDSTORE_TAG_LEN;
	n = (size_t)plain[0] << 8 | plain[1];
	if (n > IDSTORE_RECORD_MAX || 2 + n > plen)
		goto done;
	for (i = 2 + n; i < plen; i++)
		if (plain[i] != 0)
			goto done;
	memcpy(out, plain + 2, n);
	*len = n;
	result = IDSTORE_OK;

done:
	OPENSSL_cleanse(plain, sizeof(plain));
	return (result);
}

/* Read one record.  See idstore.h. */
int
idstore_rec_get(struct idstore *st, enum idstore_kind kind,
    const uint8_t *key, size_t keylen, void *buf, size_t bufsize,
    size_t *len)
{
	uint8_t		 kb[REC_KEY_BUF], value[IDSTORE_RECORD_MAX];
	MDB_txn		*txn;
	MDB_val		 k, v;
	size_t		 n = 0;
	int		 rc, result;

	if (rec_check(kind, key, keylen) == -1)
		return (IDSTORE_INVALID);
	k.mv_size = rec_key(kind, key, keylen, kb);
	k.mv_data = kb;
	if (idstore_rd_begin(st, &txn) != 0)
		return (IDSTORE_FAIL);
	if ((rc = mdb_get(txn, st->dbi[DB_RECORDS], &k, &v)) == 0)
		result = rec_decode(st, &k, &v, value, &n);
	else
		result = rc == MDB_NOTFOUND ? IDSTORE_NOTFOUND : IDSTORE_FAIL;
	idstore_rd_end(st, txn);
	if (result == IDSTORE_OK && n > bufsize)
		result = IDSTORE_INVALID;
	if (result == IDSTORE_OK) {
		memcpy(buf, value, n);
		*len = n;
	}
	OPENSSL_cleanse(value, sizeof(value));
	return (result);
}

/* Walk the records of a kind.  See idstore.h. */
int
idstore_rec_scan(struct idstore *st, enum idstore_kind kind,
    idstore_rec_fn fn, void *arg)
{
	uint8_t		 kb = (uint8_t)kind, value[IDSTORE_RECORD_MAX];
	MDB_txn		*txn;
	MDB_cursor	*cur;
	MDB_val		 k, v;
	size_t		 n;
	int		 rc, stop, result = IDSTORE_OK;

	if (kind < IDSTORE_KIND_REQUEST || kind > IDSTORE_KIND_MAX)
		return (IDSTORE_INVALID);
	if (idstore_rd_begin(st, &txn) != 0)
		return (IDSTORE_FAIL);
	if ((rc = mdb_cursor_open(txn, st->dbi[DB_RECORDS], &cur)) != 0) {
		idstore_rd_end(st, txn);
		return (IDSTORE_FAIL);
	}
	k.mv_data = &kb;
	k.mv_size = 1;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < 2 || ((uint8_t *)k.mv_data)[0] != kb)
			break;
		/* One bad record must not hide the others. */
		if (rec_decode(st, &k, &v, value, &n) != IDSTORE_OK) {
			result = IDSTORE_CORRUPT;
			continue;
		}
		if ((stop = fn((uint8_t *)k.mv_data + 1, k.mv_size - 1, value,
		    n, arg)) != 0) {
			if (stop < 0)
				result = IDSTORE_FAIL;
			break;
		}
	}
	if (rc != 0 && rc != MDB_NOTFOUND && result == IDSTORE_OK)
		result = IDSTORE_FAIL;
	mdb_cursor_close(cur);
	idstore_rd_end(st, txn);
	OPENSSL_cleanse(value, sizeof(value));
	return (result);
}
