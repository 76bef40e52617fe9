/* SPDX-License-Identifier: ISC */
/*
 * The outbox: calls owed to a partner, each committed to the identity
 * store before anyone is told it will happen, and carried out, again
 * after a failure and after a restart, until the partner has answered it
 * well.  What a call does is its kind's handler's business.
 */

#include "config.h"

#include <sys/queue.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "circlinkd.h"
#include "idstore.h"

#define OUTBOX_VERSION		1	/* of the record's layout */
#define OUTBOX_TICK		1	/* s between looks at what is due */
#define OUTBOX_BACKOFF_MAX	30	/* s between tries at most */
#define OUTBOX_BURST		8	/* tries started in one tick */
#define OUTBOX_WHY_MAX		64
#define OUTBOX_LOUD_TRIES	6	/* retries logged at info, then debug */

/*
 * A call as the store keeps it, sealed there: the same layout is read
 * back by the same build (the version says which).  data holds the
 * handler's own bytes.
 */
struct outbox_rec {
	uint8_t		 version;
	uint8_t		 kind;		/* enum outbox_kind */
	uint8_t		 failed;	/* a permanent error: kept, not tried */
	uint8_t		 pad;
	uint32_t	 attempts;
	int64_t		 created;
	int64_t		 next;		/* the next try, seconds since 1970 */
	char		 partner[CONF_NAME_MAX];
	char		 why[OUTBOX_WHY_MAX];	/* the last failure */
	uint16_t	 len;
	uint8_t		 data[OUTBOX_DATA_MAX];
};
#define OUTBOX_REC_LEN(r)	(offsetof(struct outbox_rec, data) + (r)->len)

enum outbox_state {
	OB_SAVING,		/* a write of the record under way */
	OB_IDLE,
	OB_SENDING,		/* the handler's call under way */
	OB_DELETING,
	OB_DELIVERED,		/* done; only its record is still to go */
};

/* A call in memory: its record, where it stands, who waits to hear. */
struct outbox_item {
	TAILQ_ENTRY(outbox_item) entry;
	uint64_t		 serial;	/* store callbacks find it so */
	uint8_t			 id[OUTBOX_ID_LEN];
	struct outbox_rec	 rec;
	enum outbox_state	 state;
	int			 stored;	/* the record is committed */
	uint64_t		 token;		/* of the try under way */
	outbox_cb		 cb;		/* the first try's end */
	void			*arg;
};
TAILQ_HEAD(outbox_items, outbox_item);

/* How calls of one kind are made. */
struct outbox_handler {
	enum outbox_kind	 kind;
	const char		*name;
	int			(*send)(const uint8_t *, const char *,
				    const void *, size_t, uint64_t);
};

static const struct outbox_handler outbox_handlers[] = {
	{ OUTBOX_LINK, "link", register_send },
	{ OUTBOX_UPDATE_USER, "update-user", prefs_send },
	{ OUTBOX_OWNER_CHECKOUT, "owner-checkout", hold_owed_send },
};

static struct outbox_items	 outbox_items =
				    TAILQ_HEAD_INITIALIZER(outbox_items);
static struct event		*outbox_timer;
static struct idstore		*outbox_store;
static uint64_t			 outbox_serial;

static const struct outbox_handler *outbox_handler(int);
static struct outbox_item *outbox_by_serial(uint64_t);
static struct outbox_item *outbox_by_token(uint64_t);
static int	 outbox_load(const uint8_t *, size_t, const void *, size_t,
		    void *);
static int	 outbox_write(struct outbox_item *, enum idstore_op);
static void	 outbox_written(int, const struct idstore_write *, void *);
static void	 outbox_try(struct outbox_item *);
static void	 outbox_tick(evutil_socket_t, short, void *);
static void	 outbox_tell(struct outbox_item *, enum outbox_status);
static void	 outbox_hex(const uint8_t *, char *);

static const struct outbox_handler *
outbox_handler(int kind)
{
	size_t	 i;

	for (i = 0; i < sizeof(outbox_handlers) / sizeof(outbox_handlers[0]);
	    i++)
		if ((int)outbox_handlers[i].kind == kind)
			return (&outbox_handlers[i]);
	return (NULL);
}

/*
 * Load the calls on record and start trying them: at start-up, before
 * the loop serves anyone.  -1 with a message in err when the store
 * cannot be read or the timer made.
 */
int
outbox_open(struct event_base *base, struct idstore *store, char *err,
    size_t errlen)
{
	struct timeval	 tv = { OUTBOX_TICK, 0 };
	size_t		 n = 0;
	int		 rc;

	outbox_store = store;
	if ((rc = idstore_rec_scan(store, IDSTORE_KIND_OUTBOX, outbox_load,
	    &n)) != IDSTORE_OK && rc != IDSTORE_CORRUPT) {
		snprintf(err, errlen, "outbox: %s", idstore_strerror(rc));
		return (-1);
	}
	if (rc == IDSTORE_CORRUPT)
		log_warnx("outbox event=load result=\"a record failed its "
		    "check and was not loaded\"");
	if ((outbox_timer = event_new(base, -1, EV_PERSIST, outbox_tick,
	    NULL)) == NULL || event_add(outbox_timer, &tv) == -1) {
		snprintf(err, errlen, "outbox: cannot make its timer");
		return (-1);
	}
	log_info("outbox event=load calls=%zu", n);
	return (0);
}

/* One record at start-up: a call to keep trying, unless it is unreadable. */
static int
outbox_load(const uint8_t *key, size_t keylen, const void *value,
    size_t len, void *arg)
{
	struct outbox_item	*it;
	size_t			*n = arg;

	if (keylen != OUTBOX_ID_LEN || len < offsetof(struct outbox_rec,
	    data) || len > sizeof(it->rec)) {
		log_warnx("outbox event=load result=\"a record of an unknown "
		    "shape is left alone\"");
		return (0);
	}
	/* Not loading a call owed would drop it: the start fails instead. */
	if ((it = calloc(1, sizeof(*it))) == NULL)
		return (-1);
	memcpy(&it->rec, value, len);
	if (it->rec.version != OUTBOX_VERSION ||
	    OUTBOX_REC_LEN(&it->rec) != len ||
	    outbox_handler(it->rec.kind) == NULL ||
	    memchr(it->rec.partner, '\0', sizeof(it->rec.partner)) == NULL ||
	    memchr(it->rec.why, '\0', sizeof(it->rec.why)) == NULL) {
		log_warnx("outbox event=load result=\"a record of an unknown "
		    "version or kind is left alone\"");
		free(it);
		return (0);
	}
	memcpy(it->id, key, OUTBOX_ID_LEN);
	it->serial = ++outbox_serial;
	it->state = OB_IDLE;
	it->stored = 1;
	TAILQ_INSERT_TAIL(&outbox_items, it, entry);
	(*n)++;
	return (0);
}

/* Forget the calls in memory (they stay on record), at exit. */
void
outbox_close(void)
{
	struct outbox_item	*it;

	if (outbox_timer != NULL)
		event_free(outbox_timer);
	outbox_timer = NULL;
	while ((it = TAILQ_FIRST(&outbox_items)) != NULL) {
		TAILQ_REMOVE(&outbox_items, it, entry);
		OPENSSL_cleanse(it, sizeof(*it));
		free(it);
	}
	outbox_store = NULL;
}

/*
 * Owe a call of a kind to a partner: committed, then tried at once.
 * cb(status, id, arg) runs once when the first try has ended (or the
 * commit failed: OUTBOX_UNSAVED, nothing is owed).  id receives the
 * call's id.  Returns -1 with errno (EINVAL: too much data or an unknown
 * kind; ENOMEM; EAGAIN: the store is busy); cb is then not called.
 */
int
outbox_add(enum outbox_kind kind, const char *partner, const void *data,
    size_t len, uint8_t *id, outbox_cb cb, void *arg)
{
	struct outbox_item	*it;

	if (outbox_store == NULL || outbox_handler(kind) == NULL ||
	    len > OUTBOX_DATA_MAX || partner == NULL ||
	    strlen(partner) >= CONF_NAME_MAX) {
		errno = EINVAL;
		return (-1);
	}
	if ((it = calloc(1, sizeof(*it))) == NULL)
		return (-1);
	if (RAND_bytes(it->id, sizeof(it->id)) != 1) {
		free(it);
		errno = EAGAIN;
		return (-1);
	}
	it->serial = ++outbox_serial;
	it->rec.version = OUTBOX_VERSION;
	it->rec.kind = kind;
	it->rec.created = it->rec.next = time(NULL);
	snprintf(it->rec.partner, sizeof(it->rec.partner), "%s", partner);
	it->rec.len = len;
	memcpy(it->rec.data, data, len);
	it->cb = cb;
	it->arg = arg;
	it->state = OB_SAVING;
	if (outbox_write(it, IDSTORE_REC_ADD) == -1) {
		OPENSSL_cleanse(it, sizeof(*it));
		free(it);
		return (-1);
	}
	if (id != NULL)
		memcpy(id, it->id, OUTBOX_ID_LEN);
	TAILQ_INSERT_TAIL(&outbox_items, it, entry);
	return (0);
}

/* Queue the record's write; -1 with errno when it cannot be queued. */
static int
outbox_write(struct outbox_item *it, enum idstore_op op)
{
	struct idstore_write	 w;

	memset(&w, 0, sizeof(w));
	w.op = op;
	w.kind = IDSTORE_KIND_OUTBOX;
	w.rec_key = it->id;
	w.rec_keylen = sizeof(it->id);
	if (op != IDSTORE_REC_DEL) {
		w.rec_value = &it->rec;
		w.rec_len = OUTBOX_REC_LEN(&it->rec);
	}
	return (idstore_submit(outbox_store, &w, outbox_written,
	    (void *)(uintptr_t)it->serial));
}

/* A record's write is committed or refused. */
static void
outbox_written(int result, const struct idstore_write *w, void *arg)
{
	struct outbox_item	*it;
	char			 hex[2 * OUTBOX_ID_LEN + 1];

	if ((it = outbox_by_serial((uintptr_t)arg)) == NULL)
		return;
	outbox_hex(it->id, hex);
	if (result != IDSTORE_OK && result != IDSTORE_NOTFOUND)
		log_warnx("outbox event=write id=%.8s op=%d result=\"%s\"",
		    hex, (int)w->op, idstore_strerror(result));
	switch (it->state) {
	case OB_SAVING:
		if (result != IDSTORE_OK && !it->stored) {
			/* Nothing was promised: the caller hears so. */
			outbox_tell(it, OUTBOX_UNSAVED);
			TAILQ_REMOVE(&outbox_items, it, entry);
			OPENSSL_cleanse(it, sizeof(*it));
			free(it);
			return;
		}
		it->stored = 1;
		it->state = OB_IDLE;
		/* Stopping: kept on record for the next start. */
		if (it->rec.attempts == 0 && !gw->stopping)
			outbox_try(it);
		else if (it->rec.attempts == 0)
			outbox_tell(it, OUTBOX_PENDING);
		return;
	case OB_DELETING:
		if (result != IDSTORE_OK && result != IDSTORE_NOTFOUND) {
			/* The call was made: only its removal is retried. */
			it->state = OB_DELIVERED;
			it->rec.next = time(NULL) + OUTBOX_BACKOFF_MAX;
			return;
		}
		log_info("outbox event=delivered id=%.8s partner=%s "
		    "attempts=%u", hex, it->rec.partner, it->rec.attempts);
		TAILQ_REMOVE(&outbox_items, it, entry);
		OPENSSL_cleanse(it, sizeof(*it));
		free(it);
		return;
	default:
		return;
	}
}

/* Make the call's next try through its kind's handler. */
static void
outbox_try(struct outbox_item *it)
{
	const struct outbox_handler	*h = outbox_handler(it->rec.kind);
	uint64_t			 token;

	it->state = OB_SENDING;
	it->rec.attempts++;
	token = it->token = ++outbox_serial;
	/* The handler may answer before it returns: token finds it then. */
	if (h == NULL)
		outbox_sent(token, OUTBOX_PERMANENT, "no handler");
	else if (h->send(it->id, it->rec.partner, it->rec.data, it->rec.len,
	    token) == -1)
		outbox_sent(token, OUTBOX_RETRY, "cannot start the call");
}

/*
 * A handler's call for the try with this token ended: done (the record
 * goes), to be tried again later, or failed for good (kept, reported,
 * not tried until an administrator says so).  A stale token is ignored.
 */
void
outbox_sent(uint64_t token, enum outbox_verdict v, const char *why)
{
	struct outbox_item	*it;
	time_t			 wait;
	char			 hex[2 * OUTBOX_ID_LEN + 1];

	if ((it = outbox_by_token(token)) == NULL ||
	    it->state != OB_SENDING)
		return;
	it->token = 0;
	outbox_hex(it->id, hex);
	/*
	 * A partner down for days is tried every OUTBOX_BACKOFF_MAX seconds
	 * all that time: only a refusal of its own fails a call for good.
	 */
	if (v == OUTBOX_DONE) {
		outbox_tell(it, OUTBOX_SENT);
		it->state = OB_DELETING;
		if (outbox_write(it, IDSTORE_REC_DEL) == -1) {
			it->state = OB_DELIVERED;
			it->rec.next = time(NULL) + OUTBOX_BACKOFF_MAX;
		}
		return;
	}
	snprintf(it->rec.why, sizeof(it->rec.why), "%s", why != NULL ? why :
	    "failed");
	if (v == OUTBOX_PERMANENT) {
		it->rec.failed = 1;
		log_warnx("outbox event=failed id=%.8s partner=%s attempts=%u "
		    "why=\"%s\"", hex, it->rec.partner, it->rec.attempts,
		    it->rec.why);
		outbox_tell(it, OUTBOX_FAILED);
	} else {
		wait = it->rec.attempts < 6 ? (time_t)1 << (it->rec.attempts -
		    1) : OUTBOX_BACKOFF_MAX;
		if (wait > OUTBOX_BACKOFF_MAX)
			wait = OUTBOX_BACKOFF_MAX;
		it->rec.next = time(NULL) + wait;
		/* A partner down for long is not a log line a call a minute. */
		if (it->rec.attempts <= OUTBOX_LOUD_TRIES)
			log_info("outbox event=retry id=%.8s partner=%s "
			    "attempts=%u in=%llds why=\"%s\"", hex,
			    it->rec.partner, it->rec.attempts,
			    (long long)wait, it->rec.why);
		else
			log_debug("outbox event=retry id=%.8s partner=%s "
			    "attempts=%u in=%llds why=\"%s\"", hex,
			    it->rec.partner, it->rec.attempts,
			    (long long)wait, it->rec.why);
		outbox_tell(it, OUTBOX_PENDING);
	}
	/* The count and the next try are kept, for status and restarts. */
	it->state = OB_SAVING;
	if (outbox_write(it, IDSTORE_REC_PUT) == -1)
		it->state = OB_IDLE;
}

/* Tell whoever waits for the first try how it went, once. */
static void
outbox_tell(struct outbox_item *it, enum outbox_status st)
{
	outbox_cb	 cb = it->cb;

	if (cb == NULL)
		return;
	it->cb = NULL;
	cb(st, it->id, it->arg);
}

/* Every tick: start the tries that are due. */
static void
outbox_tick(evutil_socket_t fd, short what, void *arg)
{
	struct outbox_item	*it, *next;
	time_t			 now = time(NULL);
	int			 n = 0;

	if (gw->stopping)
		return;
	for (it = TAILQ_FIRST(&outbox_items); it != NULL && n < OUTBOX_BURST;
	    it = next) {
		next = TAILQ_NEXT(it, entry);
		if ((it->state != OB_IDLE && it->state != OB_DELIVERED) ||
		    it->rec.failed || it->rec.next > now)
			continue;
		n++;
		if (it->state == OB_IDLE) {
			outbox_try(it);
			continue;
		}
		it->state = OB_DELETING;
		if (outbox_write(it, IDSTORE_REC_DEL) == -1) {
			it->state = OB_DELIVERED;
			it->rec.next = now + OUTBOX_BACKOFF_MAX;
		}
	}
}

static struct outbox_item *
outbox_by_serial(uint64_t serial)
{
	struct outbox_item	*it;

	TAILQ_FOREACH(it, &outbox_items, entry)
		if (it->serial == serial)
			return (it);
	return (NULL);
}

static struct outbox_item *
outbox_by_token(uint64_t token)
{
	struct outbox_item	*it;

	if (token == 0)
		return (NULL);
	TAILQ_FOREACH(it, &outbox_items, entry)
		if (it->token == token)
			return (it);
	return (NULL);
}

/*
 * Return 1 if a call of a kind to a partner whose data begins with the
 * n bytes given is owed, so that a caller does not owe it twice.
 */
int
outbox_owed(enum outbox_kind kind, const char *partner, const void *prefix,
    size_t n)
{
	struct outbox_item	*it;

	/*
	 * Only a call whose next try is still to come counts: one on the
	 * wire was built from what was then, one done or failed for good
	 * will send nothing more.
	 */
	TAILQ_FOREACH(it, &outbox_items, entry)
		if ((it->state == OB_IDLE || it->state == OB_SAVING) &&
		    !it->rec.failed && it->rec.kind == kind &&
		    it->rec.len >= n && strcmp(it->rec.partner, partner) == 0 &&
		    memcmp(it->rec.data, prefix, n) == 0)
			return (1);
	return (0);
}

/* Count the calls owed and those that failed for good. */
void
outbox_count(size_t *owed, size_t *failed)
{
	struct outbox_item	*it;

	*owed = *failed = 0;
	TAILQ_FOREACH(it, &outbox_items, entry) {
		if (it->state == OB_DELETING || it->state == OB_DELIVERED)
			continue;	/* done; its record is going */
		if (it->rec.failed)
			(*failed)++;
		else
			(*owed)++;
	}
}

/*
 * Call fn(arg, line) with one line per call owed: its id, kind, partner,
 * state, tries and last failure; nothing that names a patron.
 */
void
outbox_list(void (*fn)(void *, const char *), void *arg)
{
	const struct outbox_handler	*h;
	struct outbox_item		*it;
	char				 hex[2 * OUTBOX_ID_LEN + 1];
	char				 line[400];
	time_t				 now = time(NULL);

	TAILQ_FOREACH(it, &outbox_items, entry) {
		h = outbox_handler(it->rec.kind);
		outbox_hex(it->id, hex);
		snprintf(line, sizeof(line), "call %s %s partner %s %s "
		    "attempts %u next %llds age %llds%s%s%s", hex,
		    h != NULL ? h->name : "?",
		    it->rec.partner, it->rec.failed ? "failed" :
		    it->state == OB_SENDING ? "sending" :
		    it->state == OB_DELETING || it->state == OB_DELIVERED ?
		    "done" : "owed",
		    it->rec.attempts, it->rec.failed ? 0LL :
		    (long long)(it->rec.next > now ? it->rec.next - now : 0),
		    (long long)(now - it->rec.created),
		    it->rec.why[0] != '\0' ? " why \"" : "", it->rec.why,
		    it->rec.why[0] != '\0' ? "\"" : "");
		fn(arg, line);
	}
}

/*
 * An administrator's word on a call, by its id in hex: "retry" tries it
 * now, even one that failed for good; "drop" forgets it, on record too.
 * 0, or -1 with a message in err.
 */
int
outbox_admin(const char *what, const char *hexid, char *err, size_t errlen)
{
	struct outbox_item	*it;
	char			 hex[2 * OUTBOX_ID_LEN + 1];

	TAILQ_FOREACH(it, &outbox_items, entry) {
		outbox_hex(it->id, hex);
		if (strcasecmp(hex, hexid) == 0)
			break;
	}
	if (it == NULL) {
		snprintf(err, errlen, "no such call in the outbox");
		return (-1);
	}
	if (it->state != OB_IDLE) {
		snprintf(err, errlen, "the call is under way; try again");
		return (-1);
	}
	if (strcmp(what, "retry") == 0) {
		it->rec.failed = 0;
		it->rec.next = time(NULL);
		outbox_try(it);
		return (0);
	}
	if (strcmp(what, "drop") == 0) {
		log_info("outbox event=dropped id=%.8s partner=%s", hex,
		    it->rec.partner);
		it->state = OB_DELETING;
		if (outbox_write(it, IDSTORE_REC_DEL) == -1) {
			it->state = OB_IDLE;
			snprintf(err, errlen, "the store is busy; try again");
			return (-1);
		}
		return (0);
	}
	snprintf(err, errlen, "usage: outbox retry|drop ID");
	return (-1);
}

/* Write an id as 32 hex digits. */
static void
outbox_hex(const uint8_t *id, char *hex)
{
	size_t	 i;

	for (i = 0; i < OUTBOX_ID_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
}
