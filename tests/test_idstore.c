/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of the identity store on a real LMDB environment in a
 * private directory: writes and reads, persistence, group commit from an
 * event loop, map growth, the key file rules, tampering, backups, and that
 * no patron value can be found in the raw files.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <lmdb.h>

#include "idstore.h"

/* The demo's patrons, as a partner's ILS would name them. */
#define METRO_BARCODE		"21000000001"
#define DISTRICT_BARCODE	"22000000001"
#define METRO_KEY		"M-000017"
#define DISTRICT_KEY		"D-004242"

static char	 base[PATH_MAX];
static char	 datadir[PATH_MAX];
static char	 keyfile[PATH_MAX];

/* Join a directory and a name into out, which holds PATH_MAX bytes. */
static char *
join(char *out, const char *dir, const char *name)
{
	if (snprintf(out, PATH_MAX, "%s%s", dir, name) >= PATH_MAX)
		fail_msg("path too long: %s%s", dir, name);
	return (out);
}

static int
remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return (remove(path));
}

static int
setup(void **state)
{
	char	 tmpl[] = "/tmp/test_idstore.XXXXXX";

	umask(022);
	if (mkdtemp(tmpl) == NULL || realpath(tmpl, base) == NULL)
		return (-1);
	join(datadir, base, "/data");
	join(keyfile, base, "/store.key");
	return (0);
}

static int
teardown(void **state)
{
	return (nftw(base, remove_one, 16, FTW_DEPTH | FTW_PHYS));
}

static struct idstore *
open_store(size_t mapsize)
{
	struct idstore_params	 p = { 0 };
	struct idstore		*st;
	char			 err[512];

	p.datadir = datadir;
	p.keyfile = keyfile;
	p.mapsize = mapsize;
	if ((st = idstore_open(&p, err, sizeof(err))) == NULL)
		fail_msg("idstore_open: %s", err);
	return (st);
}

/* Open a store expected to be refused; return the message. */
static const char *
open_refused(const char *dir, const char *key)
{
	static char		 err[512];
	struct idstore_params	 p = { 0 };

	p.datadir = dir;
	p.keyfile = key;
	err[0] = '\0';
	assert_null(idstore_open(&p, err, sizeof(err)));
	assert_true(err[0] != '\0');
	return (err);
}

static int
create(struct idstore *st, const char *partner, const char *key,
    const char *barcode, struct idstore_write *w)
{
	memset(w, 0, sizeof(*w));
	w->op = IDSTORE_CREATE;
	w->partner = partner;
	w->patron_key = key;
	w->barcode = barcode;
	w->creator = "metro-kiosk-1";
	w->reason = "first-visit";
	return (idstore_write(st, w));
}

static int
link_account(struct idstore *st, const uint8_t *person, const char *partner,
    const char *key, const char *barcode, struct idstore_write *w)
{
	memset(w, 0, sizeof(*w));
	w->op = IDSTORE_LINK;
	memcpy(w->person, person, IDSTORE_ID_LEN);
	w->partner = partner;
	w->patron_key = key;
	w->barcode = barcode;
	w->creator = "metro-desk-2";
	w->reason = "visiting-patron";
	return (idstore_write(st, w));
}

static int
account_op(struct idstore *st, enum idstore_op op, const uint8_t *person,
    const uint8_t *account, const char *barcode)
{
	struct idstore_write	 w = { 0 };

	w.op = op;
	memcpy(w.person, person, IDSTORE_ID_LEN);
	if (account != NULL)
		memcpy(w.account, account, IDSTORE_ID_LEN);
	w.barcode = barcode;
	return (idstore_write(st, &w));
}

/* A person at metro with a linked account at district. */
static void
make_linked(struct idstore *st, struct idstore_write *home,
    struct idstore_write *visit)
{
	assert_int_equal(create(st, "metro", METRO_KEY, METRO_BARCODE, home),
	    IDSTORE_OK);
	assert_int_equal(link_account(st, home->person, "district",
	    DISTRICT_KEY, DISTRICT_BARCODE, visit), IDSTORE_OK);
	assert_memory_equal(visit->person, home->person, IDSTORE_ID_LEN);
}

static void
assert_found_key(struct idstore *st, const char *partner, const char *key,
    const struct idstore_write *w)
{
	struct idstore_ref	 ref;

	assert_int_equal(idstore_find_key(st, partner, key, &ref),
	    IDSTORE_OK);
	assert_memory_equal(ref.person, w->person, IDSTORE_ID_LEN);
	assert_memory_equal(ref.account, w->account, IDSTORE_ID_LEN);
}

static void
assert_found_barcode(struct idstore *st, const char *partner,
    const char *barcode, const struct idstore_write *w)
{
	struct idstore_ref	 ref;

	assert_int_equal(idstore_find_barcode(st, partner, barcode, &ref),
	    IDSTORE_OK);
	assert_memory_equal(ref.person, w->person, IDSTORE_ID_LEN);
	assert_memory_equal(ref.account, w->account, IDSTORE_ID_LEN);
}

static void
assert_linked_person(struct idstore *st, const struct idstore_write *home,
    const struct idstore_write *visit)
{
	struct idstore_person	*p;
	struct idstore_account	*a;
	time_t			 now = time(NULL);

	assert_non_null(p = calloc(1, sizeof(*p)));
	assert_int_equal(idstore_person(st, home->person, p), IDSTORE_OK);
	assert_int_equal(p->naccounts, 2);
	a = &p->accounts[0];
	assert_int_equal(a->home, 1);
	assert_memory_equal(a->id, home->account, IDSTORE_ID_LEN);
	assert_string_equal(a->partner, "metro");
	assert_string_equal(a->patron_key, METRO_KEY);
	assert_string_equal(a->creator, "metro-kiosk-1");
	assert_string_equal(a->reason, "first-visit");
	assert_true(a->created <= now && a->created > now - 60);
	assert_int_equal(a->nbarcodes, 1);
	assert_string_equal(a->barcodes[0], METRO_BARCODE);
	a = &p->accounts[1];
	assert_int_equal(a->home, 0);
	assert_memory_equal(a->id, visit->account, IDSTORE_ID_LEN);
	assert_string_equal(a->partner, "district");
	assert_string_equal(a->patron_key, DISTRICT_KEY);
	assert_string_equal(a->creator, "metro-desk-2");
	assert_string_equal(a->reason, "visiting-patron");
	assert_int_equal(a->nbarcodes, 1);
	assert_string_equal(a->barcodes[0], DISTRICT_BARCODE);
	free(p);
}

static void
test_create_then_find(void **state)
{
	struct idstore		*st = open_store(0);
	struct idstore_write	 w;
	struct idstore_ref	 ref;
	struct idstore_person	*p;

	assert_int_equal(create(st, "metro", METRO_KEY, METRO_BARCODE, &w),
	    IDSTORE_OK);
	assert_found_key(st, "metro", METRO_KEY, &w);
	assert_found_barcode(st, "metro", METRO_BARCODE, &w);
	assert_int_equal(idstore_find_key(st, "metro", METRO_KEY, &ref),
	    IDSTORE_OK);
	assert_int_equal(ref.home, 1);
	/* Keys and barcodes belong to a partner, and are kept apart. */
	assert_int_equal(idstore_find_barcode(st, "district", METRO_BARCODE,
	    &ref), IDSTORE_NOTFOUND);
	assert_int_equal(idstore_find_key(st, "metro", METRO_BARCODE, &ref),
	    IDSTORE_NOTFOUND);
	assert_int_equal(idstore_find_barcode(st, "metro", METRO_KEY, &ref),
	    IDSTORE_NOTFOUND);

	assert_non_null(p = calloc(1, sizeof(*p)));
	assert_int_equal(idstore_person(st, w.person, p), IDSTORE_OK);
	assert_int_equal(p->naccounts, 1);
	assert_string_equal(p->accounts[0].patron_key, METRO_KEY);
	assert_string_equal(p->accounts[0].barcodes[0], METRO_BARCODE);
	w.person[0] ^= 1;
	assert_int_equal(idstore_person(st, w.person, p), IDSTORE_NOTFOUND);
	free(p);
	idstore_close(st);
}

static void
test_create_without_patron_key(void **state)
{
	struct idstore		*st = open_store(0);
	struct idstore_write	 w;
	struct idstore_ref	 ref;
	struct idstore_person	*p;

	/* A SIP2-only ILS gives no stable key: the barcode must do. */
	assert_int_equal(create(st, "metro", NULL, METRO_BARCODE, &w),
	    IDSTORE_OK);
	assert_found_barcode(st, "metro", METRO_BARCODE, &w);
	assert_int_equal(idstore_find_key(st, "metro", METRO_BARCODE, &ref),
	    IDSTORE_NOTFOUND);
	assert_non_null(p = calloc(1, sizeof(*p)));
	assert_int_equal(idstore_person(st, w.person, p), IDSTORE_OK);
	assert_string_equal(p->accounts[0].patron_key, "");
	free(p);
	idstore_close(st);
}

static void
test_link_then_list(void **state)
{
	struct idstore		*st = open_store(0);
	struct idstore_write	 home, visit;

	make_linked(st, &home, &visit);
	assert_found_key(st, "district", DISTRICT_KEY, &visit);
	assert_found_barcode(st, "district", DISTRICT_BARCODE, &visit);
	assert_linked_person(st, &home, &visit);
	idstore_close(st);
}

/* Whether any person has two accounts follows every commit. */
static void
test_has_links_follows_commits(void **state)
{
	struct idstore		*st = open_store(0);
	struct idstore_write	 home, visit, other;

	assert_int_equal(idstore_has_links(st), 0);
	assert_int_equal(create(st, "metro", "M-ALONE", "21000000077",
	    &other), IDSTORE_OK);
	assert_int_equal(idstore_has_links(st), 0);
	make_linked(st, &home, &visit);
	assert_int_equal(idstore_has_links(st), 1);
	assert_int_equal(account_op(st, IDSTORE_UNLINK, home.person,
	    visit.account, NULL), IDSTORE_OK);
	assert_int_equal(idstore_has_links(st), 0);
	idstore_close(st);

	/* Reopened, the store says so from its counts. */
	st = open_store(0);
	assert_int_equal(idstore_has_links(st), 0);
	idstore_close(st);
}

static void
test_link_refusals(void **state)
{
	struct idstore		*st = open_store(0);
	struct idstore_write	 home, visit, w, other;
	struct idstore_ref	 ref;
	uint8_t			 nobody[IDSTORE_ID_LEN] = { 1, 2, 3 };

	make_linked(st, &home, &visit);
	/* One account per partner. */
	assert_int_equal(link_account(st, home.person, "district", "D-1",
	    NULL, &w), IDSTORE_CONFLICT);
	assert_int_equal(link_account(st, nobody, "district", "D-1", NULL,
	    &w), IDSTORE_NOTFOUND);
	/* A key or barcode held already names its holder. */
	assert_int_equal(create(st, "metro", METRO_KEY, "21000000555", &w),
	    IDSTORE_EXISTS);
	assert_memory_equal(w.person, home.person, IDSTORE_ID_LEN);
	assert_memory_equal(w.account, home.account, IDSTORE_ID_LEN);
	assert_int_equal(create(st, "district", NULL, DISTRICT_BARCODE, &w),
	    IDSTORE_EXISTS);
	assert_memory_equal(w.account, visit.account, IDSTORE_ID_LEN);
	assert_int_equal(create(st, "metro", "M-2", "21000000002", &other),
	    IDSTORE_OK);
	assert_int_equal(link_account(st, other.person, "district",
	    DISTRICT_KEY, NULL, &w), IDSTORE_EXISTS);
	assert_memory_equal(w.person, home.person, IDSTORE_ID_LEN);
	/* Nothing of the refused writes was kept. */
	assert_found_key(st, "metro", "M-2", &other);
	assert_int_equal(idstore_find_barcode(st, "metro", "21000000555",
	    &ref), IDSTORE_NOTFOUND);
	assert_linked_person(st, &home, &visit);
	idstore_close(st);
}

static void
test_alias_add_and_remove(void **state)
{
	struct idstore		*st = open_store(0);
	struct idstore_write	 home, visit, other;
	struct idstore_ref	 ref;
	char			 bc[32];
	int			 i;

	make_linked(st, &home, &visit);
	/* A replaced card: the new barcode finds the same account. */
	assert_int_equal(account_op(st, IDSTORE_ALIAS_ADD, home.person,
	    home.account, "21000000101"), IDSTORE_OK);
	assert_found_barcode(st, "metro", "21000000101", &home);
	assert_found_barcode(st, "metro", METRO_BARCODE, &home);
	assert_int_equal(account_op(st, IDSTORE_ALIAS_ADD, home.person,
	    home.account, "21000000101"), IDSTORE_OK);
	assert_int_equal(account_op(st, IDSTORE_ALIAS_REMOVE, home.person,
	    home.account, METRO_BARCODE), IDSTORE_OK);
	assert_int_equal(idstore_find_barcode(st, "metro", METRO_BARCODE,
	    &ref), IDSTORE_NOTFOUND);
	assert_found_barcode(st, "metro", "21000000101", &home);
	assert_int_equal(account_op(st, IDSTORE_ALIAS_REMOVE, home.person,
	    home.account, METRO_BARCODE), IDSTORE_NOTFOUND);

	/* Another person's barcode stays theirs. */
	assert_int_equal(create(st, "metro", "M-2", "21000000002", &other),
	    IDSTORE_OK);
	assert_int_equal(account_op(st, IDSTORE_ALIAS_ADD, home.person,
	    home.account, "21000000002"), IDSTORE_EXISTS);
	assert_found_barcode(st, "metro", "21000000002", &other);
	/* The removed barcode is free again. */
	assert_int_equal(account_op(st, IDSTORE_ALIAS_ADD, other.person,
	    other.account, METRO_BARCODE), IDSTORE_OK);
	assert_found_barcode(st, "metro", METRO_BARCODE, &other);

	for (i = 2; i <= IDSTORE_BARCODES_MAX; i++) {
		snprintf(bc, sizeof(bc), "2100000020%d", i);
		assert_int_equal(account_op(st, IDSTORE_ALIAS_ADD, home.person,
		    home.account, bc), IDSTORE_OK);
	}
	assert_int_equal(account_op(st, IDSTORE_ALIAS_ADD, home.person,
	    home.account, "21000000299"), IDSTORE_LIMIT);
	assert_int_equal(account_op(st, IDSTORE_ALIAS_ADD, home.person,
	    other.account, "21000000299"), IDSTORE_NOTFOUND);
	idstore_close(st);
}

static void
test_unlink(void **state)
{
	struct idstore		*st = open_store(0);
	struct idstore_write	 home, visit, other, w;
	struct idstore_ref	 ref;
	struct idstore_person	*p;

	make_linked(st, &home, &visit);
	assert_int_equal(account_op(st, IDSTORE_UNLINK, home.person,
	    home.account, NULL), IDSTORE_CONFLICT);
	assert_int_equal(account_op(st, IDSTORE_UNLINK, home.person,
	    visit.account, NULL), IDSTORE_OK);
	assert_int_equal(account_op(st, IDSTORE_UNLINK, home.person,
	    visit.account, NULL), IDSTORE_NOTFOUND);
	assert_int_equal(idstore_find_key(st, "district", DISTRICT_KEY, &ref),
	    IDSTORE_NOTFOUND);
	assert_int_equal(idstore_find_barcode(st, "district",
	    DISTRICT_BARCODE, &ref), IDSTORE_NOTFOUND);
	assert_found_key(st, "metro", METRO_KEY, &home);

	assert_non_null(p = calloc(1, sizeof(*p)));
	assert_int_equal(idstore_person(st, home.person, p), IDSTORE_OK);
	assert_int_equal(p->naccounts, 1);
	free(p);
	/* The district account's key and barcode may be linked anew. */
	assert_int_equal(create(st, "metro", "M-2", NULL, &other),
	    IDSTORE_OK);
	assert_int_equal(link_account(st, other.person, "district",
	    DISTRICT_KEY, DISTRICT_BARCODE, &w), IDSTORE_OK);
	assert_found_barcode(st, "district", DISTRICT_BARCODE, &w);
	idstore_close(st);
}

static void
test_forget(void **state)
{
	struct idstore		*st = open_store(0);
	struct idstore_write	 home, visit, other;
	struct idstore_ref	 ref;
	struct idstore_stat	 s;

	make_linked(st, &home, &visit);
	assert_int_equal(create(st, "metro", "M-2", "21000000002", &other),
	    IDSTORE_OK);
	assert_int_equal(account_op(st, IDSTORE_FORGET, home.person, NULL,
	    NULL), IDSTORE_OK);
	assert_int_equal(account_op(st, IDSTORE_FORGET, home.person, NULL,
	    NULL), IDSTORE_NOTFOUND);
	assert_int_equal(idstore_find_key(st, "metro", METRO_KEY, &ref),
	    IDSTORE_NOTFOUND);
	assert_int_equal(idstore_find_barcode(st, "district",
	    DISTRICT_BARCODE, &ref), IDSTORE_NOTFOUND);
	assert_found_key(st, "metro", "M-2", &other);
	assert_int_equal(idstore_stat(st, &s), 0);
	assert_int_equal(s.persons, 1);
	assert_int_equal(s.accounts, 1);
	assert_int_equal(s.aliases, 1);
	idstore_close(st);
}

static void
test_counts(void **state)
{
	struct idstore		*st = open_store(0);
	struct idstore_write	 home, visit, w;
	struct idstore_stat	 s;

	assert_int_equal(idstore_stat(st, &s), 0);
	assert_int_equal(s.persons, 0);
	assert_int_equal(s.accounts, 0);
	make_linked(st, &home, &visit);
	assert_int_equal(create(st, "metro", NULL, "21000000002", &w),
	    IDSTORE_OK);
	assert_int_equal(account_op(st, IDSTORE_ALIAS_ADD, w.person,
	    w.account, "21000000003"), IDSTORE_OK);
	assert_int_equal(idstore_stat(st, &s), 0);
	assert_int_equal(s.persons, 2);
	assert_int_equal(s.accounts, 3);
	assert_int_equal(s.aliases, 4);
	assert_int_equal(s.writes, 4);
	assert_true(s.commits >= 1 && s.commits <= 4);
	assert_true(s.used_bytes > 0 && s.used_bytes <= s.map_size);
	idstore_close(st);
}

static void
test_invalid_writes(void **state)
{
	struct idstore		*st = open_store(0);
	struct idstore_write	 w;
	struct idstore_ref	 ref;
	char			 big[IDSTORE_VALUE_MAX + 2];

	memset(big, '7', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(create(st, "metro", NULL, NULL, &w),
	    IDSTORE_INVALID);
	assert_int_equal(create(st, "metro", big, NULL, &w), IDSTORE_INVALID);
	assert_int_equal(create(st, "metro", "", NULL, &w), IDSTORE_INVALID);
	assert_int_equal(create(st, "met ro", "M-1", NULL, &w),
	    IDSTORE_INVALID);
	assert_int_equal(create(st, NULL, "M-1", NULL, &w), IDSTORE_INVALID);
	memset(&w, 0, sizeof(w));
	w.op = IDSTORE_CREATE;
	w.partner = "metro";
	w.patron_key = "M-1";
	w.reason = "first-visit";
	assert_int_equal(idstore_write(st, &w), IDSTORE_INVALID);
	w.op = 99;
	w.creator = "x";
	assert_int_equal(idstore_write(st, &w), IDSTORE_INVALID);
	assert_int_equal(idstore_find_key(st, "metro", big, &ref),
	    IDSTORE_INVALID);
	/* One byte shorter is a value like any other. */
	big[IDSTORE_VALUE_MAX] = '\0';
	assert_int_equal(create(st, "metro", big, NULL, &w), IDSTORE_OK);
	assert_found_key(st, "metro", big, &w);
	idstore_close(st);
}

static void
test_reopen_keeps_data(void **state)
{
	struct idstore		*st = open_store(0);
	struct idstore_write	 home, visit;

	make_linked(st, &home, &visit);
	idstore_close(st);
	st = open_store(0);
	assert_found_key(st, "metro", METRO_KEY, &home);
	assert_found_barcode(st, "district", DISTRICT_BARCODE, &visit);
	assert_linked_person(st, &home, &visit);
	idstore_close(st);
}

/* The async test's state: what was submitted and what came back. */
#define ASYNC_WRITES	200
struct async_state {
	struct idstore		*st;
	struct event_base	*base;
	int			 answered;
	int			 visible;	/* found when answered */
	uint8_t			 persons[ASYNC_WRITES][IDSTORE_ID_LEN];
};

static void
async_done(int result, const struct idstore_write *w, void *arg)
{
	struct async_state	*as = arg;
	struct idstore_ref	 ref;

	/* A read transaction sees committed data only. */
	if (result == IDSTORE_OK && idstore_find_key(as->st, w->partner,
	    w->patron_key, &ref) == IDSTORE_OK &&
	    memcmp(ref.person, w->person, IDSTORE_ID_LEN) == 0)
		as->visible++;
	memcpy(as->persons[as->answered], w->person, IDSTORE_ID_LEN);
	if (++as->answered == ASYNC_WRITES)
		event_base_loopbreak(as->base);
}

static void
test_async_group_commit(void **state)
{
	struct async_state	 as = { 0 };
	struct idstore_write	 w = { 0 };
	struct idstore_stat	 s;
	struct idstore_ref	 ref;
	char			 key[32];
	int			 i;

	as.st = open_store(0);
	assert_non_null(as.base = event_base_new());
	w.op = IDSTORE_CREATE;
	w.partner = "metro";
	w.creator = "metro-kiosk-1";
	w.reason = "first-visit";
	w.patron_key = "M-0";
	/* No loop to answer on: refused, not lost. */
	assert_int_equal(idstore_submit(as.st, &w, async_done, &as), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(idstore_attach(as.st, as.base), 0);

	for (i = 0; i < ASYNC_WRITES; i++) {
		snprintf(key, sizeof(key), "M-%d", i);
		w.patron_key = key;	/* the store copies it */
		assert_int_equal(idstore_submit(as.st, &w, async_done, &as),
		    0);
	}
	assert_int_equal(as.answered, 0);
	assert_int_equal(event_base_dispatch(as.base), 0);
	assert_int_equal(as.answered, ASYNC_WRITES);
	assert_int_equal(as.visible, ASYNC_WRITES);
	assert_int_equal(idstore_stat(as.st, &s), 0);
	assert_int_equal(s.writes, ASYNC_WRITES);
	assert_int_equal(s.persons, ASYNC_WRITES);
	/* Writes queued during a commit share the next one. */
	assert_true(s.commits < ASYNC_WRITES / 2);
	idstore_close(as.st);
	event_base_free(as.base);

	as.st = open_store(0);
	for (i = 0; i < ASYNC_WRITES; i++) {
		snprintf(key, sizeof(key), "M-%d", i);
		assert_int_equal(idstore_find_key(as.st, "metro", key, &ref),
		    IDSTORE_OK);
	}
	idstore_close(as.st);
}

static void
close_answers(int result, const struct idstore_write *w, void *arg)
{
	int	*n = arg;

	if (result == IDSTORE_OK)
		(*n)++;
}

static void
test_close_commits_queued_writes(void **state)
{
	struct idstore		*st = open_store(0);
	struct event_base	*evb;
	struct idstore_write	 w = { 0 };
	struct idstore_ref	 ref;
	char			 key[32];
	int			 i, answered = 0;

	assert_non_null(evb = event_base_new());
	assert_int_equal(idstore_attach(st, evb), 0);
	w.op = IDSTORE_CREATE;
	w.partner = "metro";
	w.creator = "metro-kiosk-1";
	w.reason = "first-visit";
	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "M-%d", i);
		w.patron_key = key;
		assert_int_equal(idstore_submit(st, &w, close_answers,
		    &answered), 0);
	}
	/* No loop turn: close commits them and answers each. */
	idstore_close(st);
	assert_int_equal(answered, 50);
	event_base_free(evb);
	st = open_store(0);
	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "M-%d", i);
		assert_int_equal(idstore_find_key(st, "metro", key, &ref),
		    IDSTORE_OK);
	}
	idstore_close(st);
}

/* A reader thread finding one patron while the map grows under it. */
struct reader_state {
	struct idstore		*st;
	volatile int		 stop;
	int			 lookups;
	int			 failures;
};

static void *
reader_main(void *arg)
{
	struct reader_state	*rs = arg;
	struct idstore_ref	 ref;

	while (!rs->stop) {
		if (idstore_find_barcode(rs->st, "metro", METRO_BARCODE,
		    &ref) != IDSTORE_OK)
			rs->failures++;
		rs->lookups++;
	}
	return (NULL);
}

static void
test_map_grows_when_full(void **state)
{
	struct idstore		*st = open_store(64 * 1024);
	struct idstore_write	 w, first;
	struct idstore_stat	 s;
	struct idstore_ref	 ref;
	struct reader_state	 rs = { 0 };
	pthread_t		 reader;
	char			 key[32], bc[32];
	int			 i;

	assert_int_equal(idstore_stat(st, &s), 0);
	assert_int_equal(s.map_size, 64 * 1024);
	assert_int_equal(create(st, "metro", METRO_KEY, METRO_BARCODE,
	    &first), IDSTORE_OK);
	rs.st = st;
	assert_int_equal(pthread_create(&reader, NULL, reader_main, &rs), 0);
	for (i = 0; i < 400; i++) {
		snprintf(key, sizeof(key), "M-%d", i);
		snprintf(bc, sizeof(bc), "2109%07d", i);
		assert_int_equal(create(st, "metro", key, bc, &w), IDSTORE_OK);
	}
	rs.stop = 1;
	pthread_join(reader, NULL);
	assert_int_equal(rs.failures, 0);
	assert_true(rs.lookups > 0);
	assert_int_equal(idstore_stat(st, &s), 0);
	assert_true(s.grows >= 1);
	assert_true(s.map_size > 64 * 1024);
	assert_int_equal(s.persons, 401);
	idstore_close(st);

	st = open_store(64 * 1024);
	for (i = 0; i < 400; i++) {
		snprintf(bc, sizeof(bc), "2109%07d", i);
		assert_int_equal(idstore_find_barcode(st, "metro", bc, &ref),
		    IDSTORE_OK);
	}
	assert_found_barcode(st, "metro", METRO_BARCODE, &first);
	idstore_close(st);
}

static void
test_keyfile_made_private(void **state)
{
	struct idstore	*st;
	struct stat	 sb;

	assert_int_equal(stat(keyfile, &sb), -1);
	st = open_store(0);
	assert_int_equal(stat(keyfile, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(sb.st_size, IDSTORE_KEY_LEN);
	assert_int_equal(stat(datadir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	idstore_close(st);
}

static void
test_keyfile_open_to_others_refused(void **state)
{
	static const mode_t	 modes[] = { 0640, 0604, 0620, 0602, 0610 };
	size_t			 i;

	idstore_close(open_store(0));
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		assert_int_equal(chmod(keyfile, modes[i]), 0);
		assert_non_null(strstr(open_refused(datadir, keyfile),
		    "group or others"));
	}
	assert_int_equal(chmod(keyfile, 0400), 0);
	idstore_close(open_store(0));
}

static void
test_keyfile_inside_datadir_refused(void **state)
{
	char	 inside[PATH_MAX], below[PATH_MAX], sub[PATH_MAX];
	char	 dotted[PATH_MAX];

	assert_int_equal(mkdir(datadir, 0700), 0);
	join(inside, datadir, "/store.key");
	join(sub, datadir, "/keys");
	join(below, datadir, "/keys/store.key");
	join(dotted, datadir, "/../data/store.key");
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_non_null(strstr(open_refused(datadir, inside), "outside"));
	assert_non_null(strstr(open_refused(datadir, below), "outside"));
	assert_non_null(strstr(open_refused(datadir, dotted), "outside"));
	/* Refused before anything was made. */
	assert_int_equal(access(inside, F_OK), -1);
	assert_int_equal(access(below, F_OK), -1);
	/* A sibling whose name starts alike is outside. */
	join(inside, datadir, "-keys");
	assert_int_equal(mkdir(inside, 0700), 0);
	join(keyfile, datadir, "-keys/store.key");
	idstore_close(open_store(0));
}

static void
test_keyfile_bad_files_refused(void **state)
{
	char	 link[PATH_MAX];
	int	 fd;

	idstore_close(open_store(0));
	/* A link could lead anywhere. */
	join(link, base, "/link.key");
	assert_int_equal(symlink(keyfile, link), 0);
	assert_non_null(strstr(open_refused(datadir, link), "symbolic link"));
	/* Not 32 bytes. */
	assert_int_equal(truncate(keyfile, 31), 0);
	assert_non_null(strstr(open_refused(datadir, keyfile), "32 bytes"));
	assert_int_equal(truncate(keyfile, 33), 0);
	assert_non_null(strstr(open_refused(datadir, keyfile), "32 bytes"));
	/* A directory. */
	assert_int_equal(unlink(keyfile), 0);
	assert_int_equal(mkdir(keyfile, 0700), 0);
	open_refused(datadir, keyfile);
	assert_int_equal(rmdir(keyfile), 0);
	/* Another key of the right shape: not this store's. */
	assert_int_not_equal(fd = open(keyfile, O_WRONLY | O_CREAT, 0600), -1);
	assert_int_equal(write(fd, "0123456789abcdef0123456789abcdef", 32),
	    32);
	close(fd);
	assert_non_null(strstr(open_refused(datadir, keyfile),
	    "does not match"));
}

static void
test_lost_key_not_replaced(void **state)
{
	struct stat	 sb;

	idstore_close(open_store(0));
	assert_int_equal(unlink(keyfile), 0);
	/* A new key would make the store's records unreadable: refused. */
	assert_non_null(strstr(open_refused(datadir, keyfile),
	    "does not match"));
	assert_int_equal(stat(keyfile, &sb), -1);
}

static void
test_second_open_refused(void **state)
{
	struct idstore	*st = open_store(0);

	assert_non_null(strstr(open_refused(datadir, keyfile),
	    "in use by another process"));
	idstore_close(st);
	idstore_close(open_store(0));
}

/*
 * Change the records of the accounts database in the raw environment,
 * with the store closed: f gets each key and value in turn.
 */
static void
raw_edit_db(const char *db, void (*f)(MDB_val *, MDB_val *, int, void *),
    void *arg)
{
	MDB_env		*env;
	MDB_txn		*txn;
	MDB_dbi		 dbi;
	MDB_cursor	*cur;
	MDB_val		 k, v, keys[8], vals[8];
	int		 rc, n = 0, i;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
	assert_int_equal(mdb_env_open(env, datadir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
	assert_int_equal(mdb_cursor_open(txn, dbi, &cur), 0);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && n < 8;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++) {
		keys[n].mv_size = k.mv_size;
		assert_non_null(keys[n].mv_data = malloc(k.mv_size));
		memcpy(keys[n].mv_data, k.mv_data, k.mv_size);
		vals[n].mv_size = v.mv_size;
		assert_non_null(vals[n].mv_data = malloc(v.mv_size));
		memcpy(vals[n].mv_data, v.mv_data, v.mv_size);
	}
	mdb_cursor_close(cur);
	for (i = 0; i < n; i++)
		f(&keys[i], &vals[i], i, arg);
	for (i = 0; i < n; i++) {
		assert_int_equal(mdb_put(txn, dbi, &keys[i], &vals[i], 0), 0);
		free(keys[i].mv_data);
		free(vals[i].mv_data);
	}
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static void
raw_edit(void (*f)(MDB_val *, MDB_val *, int, void *), void *arg)
{
	raw_edit_db("accounts", f, arg);
}

static void
flip_sealed(MDB_val *k, MDB_val *v, int i, void *arg)
{
	size_t	*at = arg;

	/* Counted from the end: inside the sealed values. */
	((uint8_t *)v->mv_data)[v->mv_size - *at] ^= 0x01;
}

static void
flip_nonce(MDB_val *k, MDB_val *v, int i, void *arg)
{
	uint8_t	*p = v->mv_data;

	/* The nonce follows the clear header and its partner id. */
	p[3 + p[2]] ^= 0x80;
}

static void
flip_partner(MDB_val *k, MDB_val *v, int i, void *arg)
{
	/* The clear header: format, flags, length, then "metro". */
	assert_memory_equal((uint8_t *)v->mv_data + 3, "metro", 5);
	((uint8_t *)v->mv_data)[3] = 'M';
}

static void
flip_home(MDB_val *k, MDB_val *v, int i, void *arg)
{
	((uint8_t *)v->mv_data)[1] ^= 0x01;
}

/* Make a store with one person at metro, tamper, reopen, expect refusal. */
static void
assert_tamper_detected(void (*f)(MDB_val *, MDB_val *, int, void *),
    void *arg)
{
	struct idstore		*st = open_store(0);
	struct idstore_write	 w;
	struct idstore_ref	 ref;
	struct idstore_person	*p;
	size_t			 i;

	assert_int_equal(create(st, "metro", METRO_KEY, METRO_BARCODE, &w),
	    IDSTORE_OK);
	idstore_close(st);
	raw_edit(f, arg);

	st = open_store(0);
	assert_int_equal(idstore_find_key(st, "metro", METRO_KEY, &ref),
	    IDSTORE_CORRUPT);
	assert_int_equal(idstore_find_barcode(st, "metro", METRO_BARCODE,
	    &ref), IDSTORE_CORRUPT);
	assert_non_null(p = calloc(1, sizeof(*p)));
	memset(p, 0x55, sizeof(*p));
	assert_int_equal(idstore_person(st, w.person, p), IDSTORE_CORRUPT);
	/* Nothing of the record comes back. */
	for (i = 0; i < sizeof(*p); i++)
		assert_int_equal(((uint8_t *)p)[i], 0);
	free(p);
	assert_int_equal(account_op(st, IDSTORE_ALIAS_ADD, w.person,
	    w.account, "21000000777"), IDSTORE_CORRUPT);
	/* The remedy: forget the person, then link again. */
	assert_int_equal(account_op(st, IDSTORE_FORGET, w.person, NULL, NULL),
	    IDSTORE_OK);
	assert_int_equal(create(st, "metro", METRO_KEY, METRO_BARCODE, &w),
	    IDSTORE_OK);
	assert_found_key(st, "metro", METRO_KEY, &w);
	idstore_close(st);
}

static void
test_tampered_tag_detected(void **state)
{
	size_t	 at = 1;

	assert_tamper_detected(flip_sealed, &at);
}

static void
test_tampered_ciphertext_detected(void **state)
{
	size_t	 at = IDSTORE_TAG_LEN + 5;

	assert_tamper_detected(flip_sealed, &at);
}

static void
test_tampered_nonce_detected(void **state)
{
	assert_tamper_detected(flip_nonce, NULL);
}

static void
test_tampered_header_detected(void **state)
{
	assert_tamper_detected(flip_partner, NULL);
}

static void
test_tampered_home_flag_detected(void **state)
{
	assert_tamper_detected(flip_home, NULL);
}

/* Swap the values of the first two records. */
static void
swap_values(MDB_val *k, MDB_val *v, int i, void *arg)
{
	MDB_val	**first = arg;
	MDB_val	  tmp;

	if (i == 0)
		*first = v;
	else if (i == 1) {
		tmp = *v;
		*v = **first;
		**first = tmp;
	}
}

static void
test_swapped_values_detected(void **state)
{
	struct idstore		*st = open_store(0);
	struct idstore_write	 a, b;
	struct idstore_ref	 ref;
	MDB_val			*first = NULL;

	/* Same partner, same shape: only the record key tells them apart. */
	assert_int_equal(create(st, "metro", "M-1", "21000000001", &a),
	    IDSTORE_OK);
	assert_int_equal(create(st, "metro", "M-2", "21000000002", &b),
	    IDSTORE_OK);
	idstore_close(st);
	raw_edit(swap_values, &first);

	st = open_store(0);
	assert_int_equal(idstore_find_key(st, "metro", "M-1", &ref),
	    IDSTORE_CORRUPT);
	assert_int_equal(idstore_find_key(st, "metro", "M-2", &ref),
	    IDSTORE_CORRUPT);
	idstore_close(st);
}

static void
test_backup_opens_with_same_data(void **state)
{
	struct idstore		*st = open_store(0);
	struct idstore_write	 home, visit;
	struct idstore_stat	 s1, s2;
	char			 dir[PATH_MAX], file[PATH_MAX], err[512];
	struct stat		 sb;

	make_linked(st, &home, &visit);
	join(dir, base, "/backup");
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(idstore_backup(st, dir, err, sizeof(err)), 0);
	/* It never overwrites. */
	assert_int_equal(idstore_backup(st, dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "exists"));
	join(file, dir, "/data.mdb");
	assert_int_equal(stat(file, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(idstore_stat(st, &s1), 0);
	idstore_close(st);

	/* Restored with the same key, the copy holds the same. */
	join(datadir, dir, "");
	st = open_store(0);
	assert_int_equal(idstore_stat(st, &s2), 0);
	assert_int_equal(s2.persons, s1.persons);
	assert_int_equal(s2.accounts, s1.accounts);
	assert_int_equal(s2.aliases, s1.aliases);
	assert_found_key(st, "metro", METRO_KEY, &home);
	assert_found_barcode(st, "district", DISTRICT_BARCODE, &visit);
	assert_linked_person(st, &home, &visit);
	idstore_close(st);
}

static void
test_backup_to_file(void **state)
{
	struct idstore	*st = open_store(0);
	struct stat	 sb;
	char		 file[PATH_MAX], err[512];

	join(file, base, "/copy.mdb");
	assert_int_equal(idstore_backup(st, file, err, sizeof(err)), 0);
	assert_int_equal(stat(file, &sb), 0);
	assert_true(sb.st_size > 0);
	join(file, base, "/none/copy.mdb");
	assert_int_equal(idstore_backup(st, file, err, sizeof(err)), -1);
	idstore_close(st);
}

/* Read a whole file. */
static uint8_t *
slurp(const char *path, size_t *len)
{
	struct stat	 sb;
	uint8_t		*buf;
	int		 fd;

	assert_int_not_equal(fd = open(path, O_RDONLY), -1);
	assert_int_equal(fstat(fd, &sb), 0);
	assert_non_null(buf = malloc(sb.st_size + 1));
	assert_int_equal(read(fd, buf, sb.st_size), sb.st_size);
	close(fd);
	*len = sb.st_size;
	return (buf);
}

static const char *const demo_values[] = {
	"21000000001", "21000000002", "22000000001", "22000000004",
	"Quillfeather, Ada", "Quillfeather", "Alvarez, Marisol", "Alvarez",
	"Haddad, Layla", "Haddad", "Okonkwo, Daniel", "Mensah, Kofi",
	NULL
};

/* Assert that no demo value, nor its start, is anywhere in a file. */
static int
rec_write(struct idstore *st, enum idstore_op op, enum idstore_kind kind,
    const char *key, const char *value)
{
	struct idstore_write	 w = { 0 };

	w.op = op;
	w.kind = kind;
	w.rec_key = (const uint8_t *)key;
	w.rec_keylen = key != NULL ? strlen(key) : 0;
	w.rec_value = value;
	w.rec_len = value != NULL ? strlen(value) : 0;
	return (idstore_write(st, &w));
}

static void
assert_nothing_in_clear(const char *path, int expect_partner)
{
	uint8_t	*buf;
	size_t	 len, i;

	buf = slurp(path, &len);
	for (i = 0; demo_values[i] != NULL; i++) {
		if (memmem(buf, len, demo_values[i], strlen(demo_values[i])) !=
		    NULL)
			fail_msg("%s holds \"%s\" in clear", path,
			    demo_values[i]);
		/* Eight bytes of a barcode would identify it as well. */
		if (strlen(demo_values[i]) > 8)
			assert_null(memmem(buf, len, demo_values[i], 8));
	}
	/* The search sees the records: partner ids are kept in clear. */
	if (expect_partner)
		assert_non_null(memmem(buf, len, "district", 8));
	free(buf);
}

static void
test_raw_files_hold_no_patron_data(void **state)
{
	struct idstore		*st = open_store(0);
	struct idstore_write	 w, v;
	struct idstore_write	 x = { 0 };
	char			 path[PATH_MAX], err[512];

	/* Barcodes, names and keys in every field that is kept. */
	assert_int_equal(create(st, "metro", "Quillfeather, Ada",
	    "21000000001", &w), IDSTORE_OK);
	assert_int_equal(account_op(st, IDSTORE_ALIAS_ADD, w.person,
	    w.account, "21000000002"), IDSTORE_OK);
	x.op = IDSTORE_LINK;
	memcpy(x.person, w.person, IDSTORE_ID_LEN);
	x.partner = "district";
	x.patron_key = "22000000001";
	x.barcode = "Haddad, Layla";
	x.creator = "Alvarez, Marisol";
	x.reason = "Okonkwo,Daniel";
	assert_int_equal(idstore_write(st, &x), IDSTORE_OK);
	assert_int_equal(create(st, "district", "22000000004",
	    "Mensah, Kofi", &v), IDSTORE_OK);
	/* Removed values leave nothing behind either. */
	assert_int_equal(account_op(st, IDSTORE_ALIAS_ADD, v.person,
	    v.account, "Alvarez"), IDSTORE_OK);
	assert_int_equal(account_op(st, IDSTORE_ALIAS_REMOVE, v.person,
	    v.account, "Alvarez"), IDSTORE_OK);
	assert_found_barcode(st, "district", "Haddad, Layla", &x);
	assert_int_equal(rec_write(st, IDSTORE_REC_PUT, IDSTORE_KIND_REQUEST,
	    "r-1", "Mensah, Kofi 22000000004"), IDSTORE_OK);

	join(path, base, "/backup.mdb");
	assert_int_equal(idstore_backup(st, path, err, sizeof(err)), 0);
	idstore_close(st);

	assert_nothing_in_clear(path, 1);
	join(path, datadir, "/data.mdb");
	assert_nothing_in_clear(path, 1);
	join(path, datadir, "/lock.mdb");
	assert_nothing_in_clear(path, 0);
}

static void
assert_record(struct idstore *st, enum idstore_kind kind, const char *key,
    const char *value)
{
	char	 buf[IDSTORE_RECORD_MAX];
	size_t	 len = 0;

	assert_int_equal(idstore_rec_get(st, kind, (const uint8_t *)key,
	    strlen(key), buf, sizeof(buf), &len), IDSTORE_OK);
	assert_int_equal(len, strlen(value));
	assert_memory_equal(buf, value, len);
}

/* What reading a record comes to, the value aside. */
static int
rec_result(struct idstore *st, enum idstore_kind kind, const char *key)
{
	char	 buf[IDSTORE_RECORD_MAX];
	size_t	 len;

	return (idstore_rec_get(st, kind, (const uint8_t *)key, strlen(key),
	    buf, sizeof(buf), &len));
}

static void
test_records_add_put_del(void **state)
{
	struct idstore	*st = open_store(0);

	assert_int_equal(rec_write(st, IDSTORE_REC_ADD, IDSTORE_KIND_REQUEST,
	    "r-1", "placed"), IDSTORE_OK);
	assert_record(st, IDSTORE_KIND_REQUEST, "r-1", "placed");
	/* Adding what exists is refused and changes nothing. */
	assert_int_equal(rec_write(st, IDSTORE_REC_ADD, IDSTORE_KIND_REQUEST,
	    "r-1", "again"), IDSTORE_EXISTS);
	assert_record(st, IDSTORE_KIND_REQUEST, "r-1", "placed");
	assert_int_equal(rec_write(st, IDSTORE_REC_PUT, IDSTORE_KIND_REQUEST,
	    "r-1", "in-transit"), IDSTORE_OK);
	assert_record(st, IDSTORE_KIND_REQUEST, "r-1", "in-transit");
	/* An empty value is a value. */
	assert_int_equal(rec_write(st, IDSTORE_REC_PUT, IDSTORE_KIND_REQUEST,
	    "r-2", NULL), IDSTORE_OK);
	assert_record(st, IDSTORE_KIND_REQUEST, "r-2", "");
	assert_int_equal(rec_write(st, IDSTORE_REC_DEL, IDSTORE_KIND_REQUEST,
	    "r-1", NULL), IDSTORE_OK);
	assert_int_equal(rec_result(st, IDSTORE_KIND_REQUEST, "r-1"),
	    IDSTORE_NOTFOUND);
	assert_int_equal(rec_write(st, IDSTORE_REC_DEL, IDSTORE_KIND_REQUEST,
	    "r-1", NULL), IDSTORE_NOTFOUND);
	idstore_close(st);

	/* What was committed is there after a restart. */
	st = open_store(0);
	assert_record(st, IDSTORE_KIND_REQUEST, "r-2", "");
	assert_int_equal(rec_result(st, IDSTORE_KIND_REQUEST, "r-1"),
	    IDSTORE_NOTFOUND);
	idstore_close(st);
}

struct scan_seen {
	char	 keys[8][IDSTORE_RECKEY_MAX + 1];
	char	 values[8][32];
	int	 n;
	int	 stop_after;
};

static int
scan_note(const uint8_t *key, size_t keylen, const void *value, size_t len,
    void *arg)
{
	struct scan_seen	*seen = arg;

	assert_true(seen->n < 8 && keylen <= IDSTORE_RECKEY_MAX && len < 32);
	memcpy(seen->keys[seen->n], key, keylen);
	memcpy(seen->values[seen->n], value, len);
	seen->n++;
	return (seen->n == seen->stop_after);
}

static int
scan_fail(const uint8_t *key, size_t keylen, const void *value, size_t len,
    void *arg)
{
	struct scan_seen	*seen = arg;

	seen->n++;
	return (-1);
}

static void
test_records_kinds_kept_apart(void **state)
{
	struct idstore		*st = open_store(0);
	struct scan_seen	 seen = { 0 };

	assert_int_equal(rec_write(st, IDSTORE_REC_PUT, IDSTORE_KIND_OUTBOX,
	    "b", "outbox-b"), IDSTORE_OK);
	assert_int_equal(rec_write(st, IDSTORE_REC_PUT, IDSTORE_KIND_REQUEST,
	    "b", "request-b"), IDSTORE_OK);
	assert_int_equal(rec_write(st, IDSTORE_REC_PUT, IDSTORE_KIND_OUTBOX,
	    "a", "outbox-a"), IDSTORE_OK);
	assert_int_equal(rec_write(st, IDSTORE_REC_PUT, IDSTORE_KIND_PREFS,
	    "a", "prefs-a"), IDSTORE_OK);
	assert_record(st, IDSTORE_KIND_REQUEST, "b", "request-b");
	assert_record(st, IDSTORE_KIND_OUTBOX, "b", "outbox-b");

	/* A scan sees its own kind only, in key order. */
	assert_int_equal(idstore_rec_scan(st, IDSTORE_KIND_OUTBOX, scan_note,
	    &seen), IDSTORE_OK);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.keys[0], "a");
	assert_string_equal(seen.values[0], "outbox-a");
	assert_string_equal(seen.keys[1], "b");
	assert_string_equal(seen.values[1], "outbox-b");

	/* The callback may stop it. */
	memset(&seen, 0, sizeof(seen));
	seen.stop_after = 1;
	assert_int_equal(idstore_rec_scan(st, IDSTORE_KIND_OUTBOX, scan_note,
	    &seen), IDSTORE_OK);
	assert_int_equal(seen.n, 1);

	/* A callback's own failure is the scan's. */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(idstore_rec_scan(st, IDSTORE_KIND_OUTBOX, scan_fail,
	    &seen), IDSTORE_FAIL);
	assert_int_equal(seen.n, 1);

	/* Records are not persons. */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(idstore_rec_scan(st, IDSTORE_KIND_REQUEST, scan_note,
	    &seen), IDSTORE_OK);
	assert_int_equal(seen.n, 1);
	assert_int_equal(idstore_has_links(st), 0);
	idstore_close(st);
}

static void
test_records_invalid_refused(void **state)
{
	struct idstore		*st = open_store(0);
	struct idstore_write	 w = { 0 };
	static char		 big[IDSTORE_RECORD_MAX + 2];
	char			 buf[4];
	size_t			 len;

	assert_int_equal(rec_write(st, IDSTORE_REC_PUT, IDSTORE_KIND_REQUEST,
	    "", "v"), IDSTORE_INVALID);
	assert_int_equal(rec_write(st, IDSTORE_REC_PUT, IDSTORE_KIND_REQUEST,
	    "0123456789abcdef0123456789abcdef!", "v"), IDSTORE_INVALID);
	assert_int_equal(rec_write(st, IDSTORE_REC_PUT, 0, "k", "v"),
	    IDSTORE_INVALID);
	assert_int_equal(rec_write(st, IDSTORE_REC_DEL, IDSTORE_KIND_MAX + 1,
	    "k", NULL), IDSTORE_INVALID);
	memset(big, 'x', IDSTORE_RECORD_MAX + 1);
	assert_int_equal(rec_write(st, IDSTORE_REC_PUT, IDSTORE_KIND_PREFS,
	    "k", big), IDSTORE_INVALID);
	w.op = IDSTORE_REC_PUT;
	w.kind = IDSTORE_KIND_PREFS;
	w.rec_key = (const uint8_t *)"k";
	w.rec_keylen = 1;
	w.rec_len = 5;
	assert_int_equal(idstore_write(st, &w), IDSTORE_INVALID);

	/* The largest value fits; a buffer too small for it is said so. */
	big[IDSTORE_RECORD_MAX] = '\0';
	assert_int_equal(rec_write(st, IDSTORE_REC_PUT, IDSTORE_KIND_PREFS,
	    "k", big), IDSTORE_OK);
	assert_record(st, IDSTORE_KIND_PREFS, "k", big);
	assert_int_equal(idstore_rec_get(st, IDSTORE_KIND_PREFS,
	    (const uint8_t *)"k", 1, buf, sizeof(buf), &len),
	    IDSTORE_INVALID);
	assert_int_equal(idstore_rec_scan(st, 0, scan_note, NULL),
	    IDSTORE_INVALID);
	idstore_close(st);
}

static void
flip_first_record(MDB_val *k, MDB_val *v, int i, void *arg)
{
	if (i == 0)
		((uint8_t *)v->mv_data)[v->mv_size - 1] ^= 0x01;
}

static void
swap_records(MDB_val *k, MDB_val *v, int i, void *arg)
{
	MDB_val	**first = arg, tmp;

	if (i == 0) {
		*first = v;
		return;
	}
	tmp = *v;
	*v = **first;
	**first = tmp;
}

static void
test_records_tampered_detected(void **state)
{
	struct idstore		*st = open_store(0);
	struct scan_seen	 seen = { 0 };
	MDB_val			*first = NULL;

	assert_int_equal(rec_write(st, IDSTORE_REC_PUT, IDSTORE_KIND_REQUEST,
	    "r-1", "one"), IDSTORE_OK);
	assert_int_equal(rec_write(st, IDSTORE_REC_PUT, IDSTORE_KIND_REQUEST,
	    "r-2", "two"), IDSTORE_OK);
	idstore_close(st);
	raw_edit_db("records", flip_first_record, NULL);

	/* The altered one is refused; the scan still gives the other. */
	st = open_store(0);
	assert_int_equal(rec_result(st, IDSTORE_KIND_REQUEST, "r-1"),
	    IDSTORE_CORRUPT);
	assert_int_equal(idstore_rec_scan(st, IDSTORE_KIND_REQUEST, scan_note,
	    &seen), IDSTORE_CORRUPT);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.keys[0], "r-2");
	assert_string_equal(seen.values[0], "two");
	assert_int_equal(rec_write(st, IDSTORE_REC_PUT, IDSTORE_KIND_REQUEST,
	    "r-1", "one"), IDSTORE_OK);
	idstore_close(st);

	/* A value moved under another key does not open there. */
	raw_edit_db("records", swap_records, &first);
	st = open_store(0);
	assert_int_equal(rec_result(st, IDSTORE_KIND_REQUEST, "r-1"),
	    IDSTORE_CORRUPT);
	assert_int_equal(rec_result(st, IDSTORE_KIND_REQUEST, "r-2"),
	    IDSTORE_CORRUPT);
	idstore_close(st);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_create_then_find),
		T(test_create_without_patron_key),
		T(test_link_then_list),
		T(test_has_links_follows_commits),
		T(test_link_refusals),
		T(test_alias_add_and_remove),
		T(test_unlink),
		T(test_forget),
		T(test_counts),
		T(test_invalid_writes),
		T(test_reopen_keeps_data),
		T(test_async_group_commit),
		T(test_close_commits_queued_writes),
		T(test_map_grows_when_full),
		T(test_keyfile_made_private),
		T(test_keyfile_open_to_others_refused),
		T(test_keyfile_inside_datadir_refused),
		T(test_keyfile_bad_files_refused),
		T(test_lost_key_not_replaced),
		T(test_second_open_refused),
		T(test_tampered_tag_detected),
		T(test_tampered_ciphertext_detected),
		T(test_tampered_nonce_detected),
		T(test_tampered_header_detected),
		T(test_tampered_home_flag_detected),
		T(test_swapped_values_detected),
		T(test_backup_opens_with_same_data),
		T(test_backup_to_file),
		T(test_raw_files_hold_no_patron_data),
		T(test_records_add_put_del),
		T(test_records_kinds_kept_apart),
		T(test_records_invalid_refused),
		T(test_records_tampered_detected),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
