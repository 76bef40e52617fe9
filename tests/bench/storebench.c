/* SPDX-License-Identifier: ISC */
/*
 * storebench: loads synthetic persons into a fresh identity store through
 * the daemon's asynchronous write path, then times lookups and read-backs
 * and measures the store on disk, printing a Markdown table.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "idstore.h"

#define SB_PERSONS	1000000		/* default -n */
#define SB_LOOKUPS	200000		/* default -m */
/* Values have nine digits, and missing ones run up to twice N. */
#define SB_PERSONS_MAX	100000000
#define SB_LOOKUPS_MAX	100000000
/* Writes submitted and not yet answered: a few of the writer's batches. */
#define SB_INFLIGHT	4096
#define SB_ROWS		16
#define SB_ROW_LEN	512
#define SB_VALUE_LEN	24		/* "22", any size_t, NUL */

#define SB_HOME		"district"
#define SB_METRO	"metro"
#define SB_CREATOR	"storebench"
#define SB_REASON	"synthetic"

/* The synthetic values of person i. */
enum sb_value {
	V_KEY,		/* patron key at the home partner */
	V_HOME,		/* barcode at the home partner */
	V_METRO,	/* barcode at metro, even persons only */
};

/* What one timed lookup asks for. */
enum sb_probe {
	P_BARCODE_HIT,
	P_BARCODE_MISS,
	P_KEY_HIT,
	P_KEY_MISS,
	P_PERSON,
};

/* One lookup, made before the clock starts and checked after it stops. */
struct sb_query {
	enum sb_probe	 probe;
	const char	*partner;
	char		 value[SB_VALUE_LEN];
	size_t		 person;
	int		 home;
};

static struct {
	struct idstore		*st;
	struct event_base	*base;
	size_t			 n;		/* persons */
	size_t			 m;		/* lookups per row */
	size_t			 nwrites; /* creates, then links */
	int			 keep;

	uint8_t			(*ids)[IDSTORE_ID_LEN]; /* person i's */
	uint64_t		*lat;		/* per write, ns */
	uint64_t		*samples;	/* per lookup, ns */
	size_t			 next;	/* person to create next */
	size_t			 inflight;
	size_t			 answered;
	int			 failed;

	char			 dir[PATH_MAX];
	char			 datadir[PATH_MAX];
	char			 keyfile[PATH_MAX];
	int			 made;

	char			 rows[SB_ROWS][SB_ROW_LEN];
	size_t			 nrows;
} S;

static void	 usage(int) __attribute__((__noreturn__));
static int	 count_arg(const char *, size_t, size_t, size_t *);
static uint64_t	 now_ns(void);
static size_t	 pick(size_t);
static int	 cmp_u64(const void *, const void *);
static uint64_t	 percentile(const uint64_t *, size_t, unsigned int);
static void	 row(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static void	 value(enum sb_value, size_t, char *);
static int	 path_join(char *, const char *, const char *);
static int	 store_make(void);
static void	 store_close(void);
static void	 store_remove(void);
static int	 load_submit(enum idstore_op, size_t, const uint8_t *);
static void	 load_done(int, const struct idstore_write *, void *);
static int	 load_fill(void);
static int	 load(void);
static void	 query_make(enum sb_probe, struct sb_query *);
static int	 query_check(const struct sb_query *, int,
		    const struct idstore_ref *);
static int	 person_check(const struct sb_query *, int,
		    const struct idstore_person *);
static int	 probe_run(enum sb_probe, const char *, const char *);
static int	 lookups(void);
static int	 sizes(void);

static void
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: storebench [-hk] [-m lookups] [-n persons]\n");
	exit(status);
}

/* A count between min and max, decimal digits only. */
static int
count_arg(const char *s, size_t min, size_t max, size_t *out)
{
	unsigned long long	 v;
	char			*end;

	if (*s < '0' || *s > '9')
		return (-1);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return (-1);
	*out = (size_t)v;
	return (0);
}

static uint64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec);
}

/* A number below k; random() gives 31 bits, k stays far below that. */
static size_t
pick(size_t k)
{
	return ((size_t)random() % k);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

/* The nearest-rank pct percentile of n sorted values. */
static uint64_t
percentile(const uint64_t *v, size_t n, unsigned int pct)
{
	size_t	 rank;

	rank = (n * pct + 99) / 100;
	return (v[rank > 0 ? rank - 1 : 0]);
}

/* Add a table row; the columns are those printed by main. */
static void
row(const char *fmt, ...)
{
	va_list	 ap;

	if (S.nrows == SB_ROWS)
		return;
	va_start(ap, fmt);
	vsnprintf(S.rows[S.nrows++], SB_ROW_LEN, fmt, ap);
	va_end(ap);
}

/* Spell person i's value of a kind into buf (SB_VALUE_LEN bytes). */
static void
value(enum sb_value kind, size_t i, char *buf)
{
	switch (kind) {
	case V_KEY:
		snprintf(buf, SB_VALUE_LEN, "P%09zu", i);
		break;
	case V_HOME:
		snprintf(buf, SB_VALUE_LEN, "22%09zu", i);
		break;
	case V_METRO:
		snprintf(buf, SB_VALUE_LEN, "21%09zu", i);
		break;
	}
}

/* dir/name into buf (PATH_MAX bytes), or -1 when it does not fit. */
static int
path_join(char *buf, const char *dir, const char *name)
{
	if ((size_t)snprintf(buf, PATH_MAX, "%s/%s", dir, name) < PATH_MAX)
		return (0);
	fprintf(stderr, "storebench: %s/%s: path too long\n", dir, name);
	return (-1);
}

/*
 * A fresh directory holding the data directory and, beside it, the key
 * file; the store opened there and attached to a new event base.
 */
static int
store_make(void)
{
	struct idstore_params	 p;
	const char		*tmp;
	char			 err[256];

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	if (path_join(S.dir, tmp, "storebench.XXXXXX") == -1)
		return (-1);
	if (mkdtemp(S.dir) == NULL) {
		fprintf(stderr, "storebench: cannot make a directory in %s: "
		    "%s\n", tmp, strerror(errno));
		return (-1);
	}
	S.made = 1;
	if (path_join(S.datadir, S.dir, "data") == -1 ||
	    path_join(S.keyfile, S.dir, "key") == -1)
		return (-1);

	memset(&p, 0, sizeof(p));
	p.datadir = S.datadir;
	p.keyfile = S.keyfile;
	if ((S.st = idstore_open(&p, err, sizeof(err))) == NULL) {
		fprintf(stderr, "storebench: idstore_open: %s\n", err);
		return (-1);
	}
	if ((S.base = event_base_new()) == NULL) {
		fprintf(stderr, "storebench: event_base_new failed\n");
		return (-1);
	}
	if (idstore_attach(S.st, S.base) == -1) {
		fprintf(stderr, "storebench: idstore_attach: %s\n",
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/* Close the store before the base its event lives on. */
static void
store_close(void)
{
	idstore_close(S.st);
	S.st = NULL;
	if (S.base != NULL)
		event_base_free(S.base);
	S.base = NULL;
}

/* Remove the data directory's files, the key and the directories. */
static void
store_remove(void)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[PATH_MAX];

	if (!S.made)
		return;
	if ((d = opendir(S.datadir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (path_join(path, S.datadir, de->d_name) == -1 ||
			    unlink(path) == -1)
				fprintf(stderr, "storebench: cannot remove "
				    "%s/%s\n", S.datadir, de->d_name);
		}
		closedir(d);
	}
	if ((rmdir(S.datadir) == -1 && errno != ENOENT) ||
	    (unlink(S.keyfile) == -1 && errno != ENOENT) ||
	    rmdir(S.dir) == -1)
		fprintf(stderr, "storebench: cannot remove %s: %s\n", S.dir,
		    strerror(errno));
}

/*
 * Submit person i's CREATE (home account, key and barcode) or its LINK
 * (a metro account known by barcode alone) to the writer.
 */
static int
load_submit(enum idstore_op op, size_t i, const uint8_t *person)
{
	struct idstore_write	 w;
	char			 key[SB_VALUE_LEN], barcode[SB_VALUE_LEN];

	memset(&w, 0, sizeof(w));
	w.op = op;
	w.creator = SB_CREATOR;
	w.reason = SB_REASON;
	w.barcode = barcode;
	if (op == IDSTORE_CREATE) {
		w.partner = SB_HOME;
		w.patron_key = key;
		value(V_KEY, i, key);
		value(V_HOME, i, barcode);
		S.lat[i] = now_ns();
	} else {
		memcpy(w.person, person, sizeof(w.person));
		w.partner = SB_METRO;
		value(V_METRO, i, barcode);
		S.lat[S.n + i / 2] = now_ns();
	}
	if (idstore_submit(S.st, &w, load_done, (void *)(uintptr_t)i) == -1) {
		fprintf(stderr, "storebench: idstore_submit: %s\n",
		    strerror(errno));
		return (-1);
	}
	S.inflight++;
	return (0);
}

/*
 * A write has come back: note its latency, link every second person
 * once created, and keep the writer fed until every write is answered.
 */
static void
load_done(int result, const struct idstore_write *w, void *arg)
{
	size_t	 i = (uintptr_t)arg, slot;

	S.inflight--;
	S.answered++;
	if (S.failed)
		return;
	slot = w->op == IDSTORE_CREATE ? i : S.n + i / 2;
	S.lat[slot] = now_ns() - S.lat[slot];
	if (result != IDSTORE_OK) {
		fprintf(stderr, "storebench: %s of person %zu: %s\n",
		    w->op == IDSTORE_CREATE ? "create" : "link", i,
		    idstore_strerror(result));
		goto fail;
	}
	if (w->op == IDSTORE_CREATE) {
		memcpy(S.ids[i], w->person, IDSTORE_ID_LEN);
		if (i % 2 == 0 && load_submit(IDSTORE_LINK, i, w->person) == -1)
			goto fail;
	}
	if (load_fill() == -1)
		goto fail;
	if (S.answered == S.nwrites)
		event_base_loopbreak(S.base);
	return;

fail:
	S.failed = 1;
	event_base_loopbreak(S.base);
}

/* Submit CREATEs until the window is full or every person is on its way. */
static int
load_fill(void)
{
	while (S.inflight < SB_INFLIGHT && S.next < S.n)
		if (load_submit(IDSTORE_CREATE, S.next++, NULL) == -1)
			return (-1);
	return (0);
}

/* Load every person, then check the counts and add the load rows. */
static int
load(void)
{
	struct idstore_stat	 s;
	uint64_t		 t0, ns;
	double			 secs;

	t0 = now_ns();
	if (load_fill() == -1)
		return (-1);
	if (event_base_dispatch(S.base) == -1) {
		fprintf(stderr, "storebench: event_base_dispatch failed\n");
		return (-1);
	}
	ns = now_ns() - t0;
	if (S.failed)
		return (-1);
	if (S.answered != S.nwrites) {
		fprintf(stderr, "storebench: the loop ended with %zu of %zu "
		    "writes answered\n", S.answered, S.nwrites);
		return (-1);
	}
	if (idstore_stat(S.st, &s) == -1) {
		fprintf(stderr, "storebench: idstore_stat failed\n");
		return (-1);
	}
	if (s.persons != S.n || s.accounts != S.nwrites ||
	    s.aliases != S.nwrites || s.writes != S.nwrites ||
	    s.commits == 0) {
		fprintf(stderr, "storebench: after the load the store counts "
		    "%zu persons, %zu accounts, %zu barcodes, %llu writes, "
		    "%llu commits; expected %zu, %zu, %zu, %zu, some\n",
		    s.persons, s.accounts, s.aliases,
		    (unsigned long long)s.writes,
		    (unsigned long long)s.commits, S.n, S.nwrites, S.nwrites,
		    S.nwrites);
		return (-1);
	}

	secs = (double)ns / 1e9;
	qsort(S.lat, S.nwrites, sizeof(S.lat[0]), cmp_u64);
	row("| load: persons | %zu | %.0f persons/s | - | - | %.2f s; "
	    "a home account (key and barcode) each, a metro account "
	    "(barcode) for every second person |", S.n, (double)S.n / secs,
	    secs);
	row("| load: writes | %zu | %.0f writes/s | %.0f us | %.0f us | "
	    "%llu commits, %.1f writes/commit, %llu map growths; "
	    "%d in flight; latency from submit to callback |",
	    S.nwrites, (double)S.nwrites / secs,
	    (double)percentile(S.lat, S.nwrites, 50) / 1e3,
	    (double)percentile(S.lat, S.nwrites, 99) / 1e3,
	    (unsigned long long)s.commits,
	    (double)s.writes / (double)s.commits,
	    (unsigned long long)s.grows, SB_INFLIGHT);
	return (0);
}

/*
 * Choose a random value of a probe's kind.  Existing barcodes are drawn
 * evenly over all accounts; missing ones are home barcodes past N or
 * metro barcodes of odd persons, who have no metro account; missing keys
 * are home keys past N or real keys asked of metro, which holds none.
 */
static void
query_make(enum sb_probe probe, struct sb_query *q)
{
	size_t	 r;

	memset(q, 0, sizeof(*q));
	q->probe = probe;
	q->partner = SB_HOME;
	q->home = 1;
	switch (probe) {
	case P_BARCODE_HIT:
		if ((r = pick(S.nwrites)) < S.n) {
			q->person = r;
			value(V_HOME, r, q->value);
		} else {
			q->person = 2 * (r - S.n);
			q->partner = SB_METRO;
			q->home = 0;
			value(V_METRO, q->person, q->value);
		}
		break;
	case P_BARCODE_MISS:
		if (S.n < 2 || pick(2) == 0)
			value(V_HOME, S.n + pick(S.n), q->value);
		else {
			q->partner = SB_METRO;
			value(V_METRO, 2 * pick(S.n / 2) + 1, q->value);
		}
		break;
	case P_KEY_HIT:
		q->person = pick(S.n);
		value(V_KEY, q->person, q->value);
		break;
	case P_KEY_MISS:
		if (pick(2) == 0)
			value(V_KEY, S.n + pick(S.n), q->value);
		else {
			q->partner = SB_METRO;
			value(V_KEY, pick(S.n), q->value);
		}
		break;
	case P_PERSON:
		q->person = pick(S.n);
		break;
	}
}

/* A hit must lead to the right person and account; a miss to NOTFOUND. */
static int
query_check(const struct sb_query *q, int result,
    const struct idstore_ref *ref)
{
	int	 hit = q->probe == P_BARCODE_HIT || q->probe == P_KEY_HIT;

	if (!hit) {
		if (result == IDSTORE_NOTFOUND)
			return (0);
		fprintf(stderr, "storebench: %s at %s, which does not exist: "
		    "%s\n", q->value, q->partner, result == IDSTORE_OK ?
		    "found" : idstore_strerror(result));
		return (-1);
	}
	if (result != IDSTORE_OK) {
		fprintf(stderr, "storebench: %s at %s: %s\n", q->value,
		    q->partner, idstore_strerror(result));
		return (-1);
	}
	if (memcmp(ref->person, S.ids[q->person], IDSTORE_ID_LEN) != 0 ||
	    ref->home != q->home) {
		fprintf(stderr, "storebench: %s at %s leads to the wrong "
		    "account\n", q->value, q->partner);
		return (-1);
	}
	return (0);
}

/* A person read back must hold exactly what the load gave it. */
static int
person_check(const struct sb_query *q, int result,
    const struct idstore_person *p)
{
	const struct idstore_account	*a;
	char				 key[SB_VALUE_LEN];
	char				 home[SB_VALUE_LEN];
	char				 metro[SB_VALUE_LEN];
	size_t				 i = q->person;

	if (result != IDSTORE_OK) {
		fprintf(stderr, "storebench: person %zu: %s\n", i,
		    idstore_strerror(result));
		return (-1);
	}
	value(V_KEY, i, key);
	value(V_HOME, i, home);
	value(V_METRO, i, metro);
	a = p->accounts;
	if (memcmp(p->id, S.ids[i], IDSTORE_ID_LEN) != 0 ||
	    p->naccounts != (i % 2 == 0 ? 2 : 1) ||
	    !a[0].home || strcmp(a[0].partner, SB_HOME) != 0 ||
	    strcmp(a[0].patron_key, key) != 0 || a[0].nbarcodes != 1 ||
	    strcmp(a[0].barcodes[0], home) != 0 ||
	    strcmp(a[0].creator, SB_CREATOR) != 0 ||
	    strcmp(a[0].reason, SB_REASON) != 0)
		goto bad;
	if (p->naccounts == 2 && (a[1].home ||
	    strcmp(a[1].partner, SB_METRO) != 0 ||
	    a[1].patron_key[0] != '\0' || a[1].nbarcodes != 1 ||
	    strcmp(a[1].barcodes[0], metro) != 0))
		goto bad;
	return (0);

bad:
	fprintf(stderr, "storebench: person %zu read back is not what was "
	    "written\n", i);
	return (-1);
}

/* Time S.m lookups of one kind, each checked, and add their row. */
static int
probe_run(enum sb_probe probe, const char *name, const char *detail)
{
	struct idstore_person	 p;
	struct idstore_ref	 ref;
	struct sb_query		 q;
	uint64_t		 t0, sum = 0;
	size_t			 k;
	int			 result, rc;
	int			(*find)(struct idstore *, const char *,
				    const char *, struct idstore_ref *);

	for (k = 0; k < S.m; k++) {
		query_make(probe, &q);
		switch (probe) {
		case P_BARCODE_HIT:
		case P_BARCODE_MISS:
		case P_KEY_HIT:
		case P_KEY_MISS:
			/* The two lookups take the same arguments. */
			find = probe == P_KEY_HIT || probe == P_KEY_MISS ?
			    idstore_find_key : idstore_find_barcode;
			t0 = now_ns();
			result = find(S.st, q.partner, q.value, &ref);
			S.samples[k] = now_ns() - t0;
			rc = query_check(&q, result, &ref);
			break;
		default:
			t0 = now_ns();
			result = idstore_person(S.st, S.ids[q.person], &p);
			S.samples[k] = now_ns() - t0;
			rc = person_check(&q, result, &p);
			break;
		}
		if (rc == -1)
			return (-1);
		sum += S.samples[k];
	}

	qsort(S.samples, S.m, sizeof(S.samples[0]), cmp_u64);
	row("| %s | %zu | %.0f ns mean | %llu ns | %llu ns | %s |", name,
	    S.m, (double)sum / (double)S.m,
	    (unsigned long long)percentile(S.samples, S.m, 50),
	    (unsigned long long)percentile(S.samples, S.m, 99), detail);
	return (0);
}

/* Every kind of lookup, in turn. */
static int
lookups(void)
{
	srandom(1);
	if (probe_run(P_BARCODE_HIT, "idstore_find_barcode, existing",
	    "home and metro barcodes, evenly over accounts") == -1 ||
	    probe_run(P_BARCODE_MISS, "idstore_find_barcode, missing",
	    "home barcodes past N, metro barcodes of persons without a "
	    "metro account") == -1 ||
	    probe_run(P_KEY_HIT, "idstore_find_key, existing",
	    "home patron keys") == -1 ||
	    probe_run(P_KEY_MISS, "idstore_find_key, missing",
	    "home keys past N, existing keys asked of metro") == -1 ||
	    probe_run(P_PERSON, "idstore_person", "a person read back "
	    "whole, every account unsealed; half have two accounts") == -1)
		return (-1);
	return (0);
}

/* data.mdb on disk, and the pages LMDB says are in use, per person. */
static int
sizes(void)
{
	struct idstore_stat	 s;
	struct stat		 sb;
	char			 path[PATH_MAX];
	double			 alloc;

	if (path_join(path, S.datadir, "data.mdb") == -1)
		return (-1);
	if (stat(path, &sb) == -1) {
		fprintf(stderr, "storebench: %s: %s\n", path, strerror(errno));
		return (-1);
	}
	if (idstore_stat(S.st, &s) == -1) {
		fprintf(stderr, "storebench: idstore_stat failed\n");
		return (-1);
	}
	alloc = (double)sb.st_blocks * 512;
	row("| size: data.mdb allocated | %zu | %.0f bytes/person | - | - | "
	    "%.0f bytes (%.1f MiB), st_blocks x 512 |", S.n,
	    alloc / (double)S.n, alloc, alloc / 1048576);
	row("| size: data.mdb st_size | %zu | %.0f bytes/person | - | - | "
	    "%lld bytes (%.1f MiB) |", S.n, (double)sb.st_size / (double)S.n,
	    (long long)sb.st_size, (double)sb.st_size / 1048576);
	row("| size: used_bytes | %zu | %.0f bytes/person | - | - | "
	    "%zu bytes (%.1f MiB) of a %zu MiB map, from idstore_stat |", S.n,
	    (double)s.used_bytes / (double)S.n, s.used_bytes,
	    (double)s.used_bytes / 1048576, s.map_size >> 20);
	return (0);
}

/* Parse the options, load, look up, measure, then print the table. */
int
main(int argc, char *argv[])
{
	size_t	 i;
	int	 ch, rc = 1;

	S.n = SB_PERSONS;
	S.m = SB_LOOKUPS;
	while ((ch = getopt(argc, argv, "hkm:n:")) != -1) {
		switch (ch) {
		case 'h':
			usage(0);
		case 'k':
			S.keep = 1;
			break;
		case 'm':
			if (count_arg(optarg, 1, SB_LOOKUPS_MAX, &S.m) == -1)
				usage(2);
			break;
		case 'n':
			if (count_arg(optarg, 1, SB_PERSONS_MAX, &S.n) == -1)
				usage(2);
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	S.nwrites = S.n + (S.n + 1) / 2;

	if ((S.ids = calloc(S.n, sizeof(S.ids[0]))) == NULL ||
	    (S.lat = calloc(S.nwrites, sizeof(S.lat[0]))) == NULL ||
	    (S.samples = calloc(S.m, sizeof(S.samples[0]))) == NULL) {
		fprintf(stderr, "storebench: out of memory\n");
		return (1);
	}
	if (store_make() == 0 && load() == 0 && lookups() == 0 &&
	    sizes() == 0)
		rc = 0;
	store_close();
	if (!S.keep)
		store_remove();
	else if (rc != 0 && S.made)
		fprintf(stderr, "storebench: kept %s\n", S.dir);
	if (rc != 0)
		return (1);

	printf("storebench: N=%zu persons, M=%zu lookups per row, %ld CPUs "
	    "online; store in %s%s\n\n", S.n, S.m,
	    sysconf(_SC_NPROCESSORS_ONLN), S.dir,
	    S.keep ? " (kept)" : " (removed)");
	printf("| measurement | count | result | p50 | p99 | detail |\n");
	printf("|---|---|---|---|---|---|\n");
	for (i = 0; i < S.nrows; i++)
		printf("%s\n", S.rows[i]);
	free(S.samples);
	free(S.lat);
	free(S.ids);
	return (fflush(stdout) == 0 ? 0 : 1);
}
