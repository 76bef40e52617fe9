/* SPDX-License-Identifier: ISC */
/*
 * The identity store: persons, their linked accounts at partners and the
 * barcodes that stand for those accounts, kept so that a copy of the data
 * directory tells nothing about who they are.  Callers see this interface
 * only; the LMDB backend's types stay in idstore.c.
 */

#ifndef CIRCLINK_IDSTORE_H
#define CIRCLINK_IDSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct event_base;

#define IDSTORE_ID_LEN		16	/* random person and account ids */
#define IDSTORE_PARTNER_MAX	64	/* bytes of a partner id */
#define IDSTORE_VALUE_MAX	128	/* bytes of a patron key or barcode */
#define IDSTORE_CREATOR_MAX	64	/* a terminal's or administrator's name */
#define IDSTORE_REASON_MAX	32	/* a short reason code */
#define IDSTORE_ACCOUNTS_MAX	16	/* linked accounts of one person */
#define IDSTORE_BARCODES_MAX	8	/* barcodes of one account */

/* What a store call or a write comes to. */
enum idstore_result {
	IDSTORE_OK = 0,
	IDSTORE_NOTFOUND,	/* no such person, account or barcode */
	IDSTORE_EXISTS,		/* the key or barcode belongs to an account */
	IDSTORE_CONFLICT,	/* the person has an account there; the home */
	IDSTORE_LIMIT,		/* too many accounts or barcodes */
	IDSTORE_INVALID,	/* a value missing, empty or too long */
	IDSTORE_CORRUPT,	/* a record failed its check: not returned */
	IDSTORE_FAIL,		/* I/O, memory, LMDB or crypto */
};

/* The writes, each carried out whole or not at all. */
enum idstore_op {
	IDSTORE_CREATE,		/* a person and its home account */
	IDSTORE_LINK,		/* another account of a person */
	IDSTORE_ALIAS_ADD,	/* a barcode for an account */
	IDSTORE_ALIAS_REMOVE,
	IDSTORE_UNLINK,		/* an account, not the home */
	IDSTORE_FORGET,		/* a person and all its accounts */
	IDSTORE_REC_ADD,	/* a record that must not exist yet */
	IDSTORE_REC_PUT,	/* a record, made or replaced */
	IDSTORE_REC_DEL,	/* a record, removed */
};

/*
 * Kinds of records kept beside the persons, each a key space of its own.
 * A record's key is kept in clear: make it a random id or a person id,
 * never a patron key, barcode or anything else that names someone.  Its
 * value is sealed like an account's, bound to its kind and key.
 */
enum idstore_kind {
	IDSTORE_KIND_REQUEST = 1,	/* the cross-partner request tracker */
	IDSTORE_KIND_OUTBOX,		/* calls still owed to a partner */
	IDSTORE_KIND_PREFS,		/* a person's preferences */
	IDSTORE_KIND_MAX = IDSTORE_KIND_PREFS
};
#define IDSTORE_RECKEY_MAX	32	/* bytes of a record's key */
#define IDSTORE_RECORD_MAX	4096	/* bytes of a record's value */

/*
 * One write.  In: op and, as it needs them, person (all but CREATE),
 * account (ALIAS_*, UNLINK), partner, patron_key (NULL where the ILS gives
 * no stable key; then a barcode is needed), barcode, creator and reason
 * (CREATE, LINK: who made the link and why).  Out: person and account of
 * a CREATE or LINK, and on IDSTORE_EXISTS those of the account that holds
 * the key or barcode already.  The store copies the strings.
 */
struct idstore_write {
	enum idstore_op	 op;
	uint8_t		 person[IDSTORE_ID_LEN];
	uint8_t		 account[IDSTORE_ID_LEN];
	const char	*partner;
	const char	*patron_key;
	const char	*barcode;
	const char	*creator;
	const char	*reason;
	/* REC_*: the record; value and len only for ADD and PUT. */
	enum idstore_kind kind;
	const uint8_t	*rec_key;
	size_t		 rec_keylen;	/* 1 to IDSTORE_RECKEY_MAX */
	const void	*rec_value;
	size_t		 rec_len;	/* 0 to IDSTORE_RECORD_MAX */
};

/*
 * Called for each record of a kind, in key order, with its value
 * unsealed; valid during the call only.  Return 0 to go on, 1 to stop, or
 * -1 to stop on a failure of its own (the scan then returns
 * IDSTORE_FAIL).  It must not call the store.
 */
typedef int	 (*idstore_rec_fn)(const uint8_t *, size_t, const void *,
		    size_t, void *);

/* Where a key or barcode leads. */
struct idstore_ref {
	uint8_t		 person[IDSTORE_ID_LEN];
	uint8_t		 account[IDSTORE_ID_LEN];
	int		 home;
};

/* One linked account, read back. */
struct idstore_account {
	uint8_t		 id[IDSTORE_ID_LEN];
	int		 home;
	char		 partner[IDSTORE_PARTNER_MAX + 1];
	char		 patron_key[IDSTORE_VALUE_MAX + 1];	/* "": none */
	time_t		 created;
	char		 creator[IDSTORE_CREATOR_MAX + 1];
	char		 reason[IDSTORE_REASON_MAX + 1];
	char		 barcodes[IDSTORE_BARCODES_MAX][IDSTORE_VALUE_MAX + 1];
	size_t		 nbarcodes;
};

/* A person with its accounts, the home first, then by partner. */
struct idstore_person {
	uint8_t		 id[IDSTORE_ID_LEN];
	struct idstore_account accounts[IDSTORE_ACCOUNTS_MAX];
	size_t		 naccounts;
};

/* How to open a store.  Zero sizes take the defaults. */
struct idstore_params {
	const char	*datadir;	/* made 0700 if missing */
	const char	*keyfile;	/* outside datadir; made if missing */
	size_t		 mapsize;	/* initial map; it grows when full */
	size_t		 batch_max;	/* writes in one transaction */
	size_t		 queue_max;	/* writes waiting, then EAGAIN */
};

/* Counts and the writer's figures. */
struct idstore_stat {
	size_t		 persons;
	size_t		 accounts;
	size_t		 aliases;
	uint64_t	 writes;	/* committed or refused */
	uint64_t	 commits;	/* transactions */
	uint64_t	 grows;		/* map growths since open */
	size_t		 map_size;
	size_t		 used_bytes;	/* data.mdb's high-water mark */
	int		 stale_readers;	/* cleared at open */
};

/* Called on the event loop once a write is committed or refused. */
typedef void	 (*idstore_cb)(int, const struct idstore_write *, void *);

/* idstore.c */
/*
 * Open the store in params->datadir with the key in params->keyfile (see
 * idstore_crypt_keyfile), clear stale readers and start the writer.
 * Returns NULL with a message in err when a file, the key or LMDB fails,
 * when the key does not match the store, or when another process has the
 * data directory open.  idstore_close frees it.
 */
struct idstore	*idstore_open(const struct idstore_params *, char *, size_t);
/*
 * Commit the writes still queued, run their callbacks, stop the writer
 * and close.  NULL is fine.
 */
void		 idstore_close(struct idstore *);
/*
 * Deliver the callbacks of idstore_submit on this loop (one loop per
 * store).  Returns -1 with errno set.
 */
int		 idstore_attach(struct idstore *, struct event_base *);
/*
 * Queue a write for the writer, which commits several in one transaction.
 * Returns 0: cb(result, w, arg) then runs once on the attached loop, after
 * the commit; w is the store's copy, valid during the call.  Returns -1
 * with errno EINVAL (a value missing or too long, not attached), EAGAIN
 * (queue full), ESHUTDOWN (closing) or ENOMEM; cb is then not called.
 */
int		 idstore_submit(struct idstore *, const struct idstore_write *,
		    idstore_cb, void *);
/*
 * Carry out a write and wait for its commit: for tools and tests, never on
 * the event loop.  Fills w's out fields and returns an idstore_result.
 */
int		 idstore_write(struct idstore *, struct idstore_write *);
/*
 * Find the account holding a patron key, or a barcode, at a partner, in a
 * short read transaction.  IDSTORE_OK with ref filled, IDSTORE_NOTFOUND,
 * IDSTORE_CORRUPT or IDSTORE_FAIL.  Safe from any thread.
 */
int		 idstore_find_key(struct idstore *, const char *, const char *,
		    struct idstore_ref *);
int		 idstore_find_barcode(struct idstore *, const char *,
		    const char *, struct idstore_ref *);
/*
 * Read a person back with its accounts, every value unsealed and checked.
 * IDSTORE_OK, IDSTORE_NOTFOUND, IDSTORE_CORRUPT (a value failed its check;
 * nothing of it is returned) or IDSTORE_FAIL.  The caller owns p.
 */
int		 idstore_person(struct idstore *, const uint8_t *,
		    struct idstore_person *);
/*
 * Return 1 if some person has more than one account, so that a card may
 * have linked accounts; 0 if none has.  From what the writer keeps at
 * each commit: cheap enough to ask on every request.  1 when unsure.
 */
int		 idstore_has_links(struct idstore *);
/*
 * Read a record into buf (bufsize bytes, IDSTORE_RECORD_MAX always
 * enough), its length in *len, in a short read transaction.  IDSTORE_OK,
 * IDSTORE_NOTFOUND, IDSTORE_INVALID (key too long or kind unknown),
 * IDSTORE_CORRUPT (altered or moved: not returned) or IDSTORE_FAIL.  Safe
 * from any thread.
 */
int		 idstore_rec_get(struct idstore *, enum idstore_kind,
		    const uint8_t *, size_t, void *, size_t, size_t *);
/*
 * Call fn for every record of a kind, in one read transaction: for
 * loading a module's records at start-up or listing them, never on the
 * event loop for a large kind.  Returns IDSTORE_OK (also when fn stopped
 * it), IDSTORE_CORRUPT (a record failed its check and was skipped; fn saw
 * all the others) or IDSTORE_FAIL (LMDB failed, or fn returned -1).
 */
int		 idstore_rec_scan(struct idstore *, enum idstore_kind,
		    idstore_rec_fn, void *);
/* Fill counts and figures.  0, or -1 when LMDB fails. */
int		 idstore_stat(struct idstore *, struct idstore_stat *);
/*
 * Write a compacted, consistent copy of the store while it runs, into
 * path/data.mdb when path is a directory, else to the file path, made
 * 0600; it must not exist yet.  Blocks for the copy: in the daemon, run it
 * off the event loop.  0, or -1 with a message in err.
 */
int		 idstore_backup(struct idstore *, const char *, char *, size_t);
/* A short English phrase for an idstore_result. */
const char	*idstore_strerror(int);

/* idstore_crypt.c: the keys and the sealing, whatever the backend. */
#define IDSTORE_KEY_LEN		32	/* the master key file's bytes */
#define IDSTORE_HASH_LEN	32	/* an index key, HMAC-SHA256 */
#define IDSTORE_NONCE_LEN	12
#define IDSTORE_TAG_LEN		16
#define IDSTORE_PAD		32	/* sealed values round up to this */
#define IDSTORE_SEALED_LEN(n)	(IDSTORE_NONCE_LEN + \
    ((n) + IDSTORE_PAD - 1) / IDSTORE_PAD * IDSTORE_PAD + IDSTORE_TAG_LEN)

/* Which kind of value an index key is made from. */
enum idstore_index {
	IDSTORE_INDEX_KEY,	/* an ILS's patron key */
	IDSTORE_INDEX_BARCODE,
};

/*
 * Read the master key from path, or make it (IDSTORE_KEY_LEN random bytes,
 * mode 0600) when missing, setting *created.  Refuses, with a message in
 * err, a key file inside datadir (which must exist), one that is not a
 * regular file, is a link, is open to group or others, belongs to another
 * user, or does not hold exactly IDSTORE_KEY_LEN bytes.  0 or -1.
 */
int		 idstore_crypt_keyfile(const char *, const char *, uint8_t *,
		    int *, char *, size_t);
/*
 * Derive the index, sealing and check keys from a master key.  Returns
 * NULL when OpenSSL fails; idstore_crypt_free wipes and frees it.
 */
struct idstore_crypt *idstore_crypt_new(const uint8_t *);
void		 idstore_crypt_free(struct idstore_crypt *);
/* The value that proves a master key is the one a store was made with. */
const uint8_t	*idstore_crypt_check(const struct idstore_crypt *);
/*
 * The index key of a value at a partner: HMAC-SHA256 under the key of its
 * kind over partner, a 0 byte and the value.  0, or -1 when OpenSSL fails.
 * Safe from any thread.
 */
int		 idstore_crypt_index(const struct idstore_crypt *,
		    enum idstore_index, const char *, const char *, uint8_t *);
/*
 * Seal len bytes of plain, zero-padded to a multiple of IDSTORE_PAD, with
 * AES-256-GCM under a fresh random nonce, binding aad: out receives
 * IDSTORE_SEALED_LEN(len) bytes.  0, or -1 when OpenSSL fails.
 */
int		 idstore_crypt_seal(const struct idstore_crypt *,
		    const uint8_t *, size_t, const uint8_t *, size_t,
		    uint8_t *);
/*
 * Open a sealed value of len bytes bound to aad into plain (len -
 * IDSTORE_NONCE_LEN - IDSTORE_TAG_LEN bytes, padding included).  0, or -1
 * when it was altered, moved to another record or is malformed; plain is
 * then wiped.
 */
int		 idstore_crypt_unseal(const struct idstore_crypt *,
		    const uint8_t *, size_t, const uint8_t *, size_t,
		    uint8_t *);

#endif /* CIRCLINK_IDSTORE_H */
