/* SPDX-License-Identifier: ISC */
/*
 * Linking existing accounts in bulk (circlinkctl link import): the rows of
 * a CSV file, one person a row and one partner a column, arrive over a
 * control connection; each row's accounts are looked up at their ILSes,
 * judged by the agreements, and linked in the identity store, and one
 * report line per row goes back.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <openssl/crypto.h>

#include "circlinkd.h"
#include "control.h"
#include "idstore.h"

#define IMPORT_WINDOW		64	/* rows under way at once */
#define IMPORT_ASK_MAX		4	/* lookups under way per partner */
#define IMPORT_OUT_MAX		65536	/* report bytes the client may owe */
#define IMPORT_IDLE		60	/* s the client may stay silent */
#define IMPORT_RETRIES		2	/* settles after a write collided */
#define IMPORT_COL_BITS		5	/* a lookup's id: row << 5 | column */
#define IMPORT_STORE_BUSY	(-1)	/* a write the store's queue refused */

/* What became of a row, in the order the summary counts them. */
enum import_outcome {
	IMPORT_LINKED,
	IMPORT_ALREADY,
	IMPORT_NOTFOUND,
	IMPORT_CONFLICTING,
	IMPORT_EXCLUDED,
	IMPORT_ERROR,
	IMPORT_NOUTCOMES
};

static const char *const import_words[IMPORT_NOUTCOMES] = {
	"linked", "already-linked", "not-found", "conflicting", "excluded",
	"error"
};

/* One account of a row: the cell, then what the ILS and the store say. */
struct import_cell {
	int			 col;
	const char		*value;		/* in the row's buffer */
	int			 asked, answered;
	int			 found;
	enum circ_error		 error;
	int			 excluded;	/* 1 class, 2 agreement */
	char			 key[IDSTORE_VALUE_MAX + 1];	/* "": none */
	int			 known;		/* the store has it */
	int			 alias;		/* known by key, not barcode */
	struct idstore_ref	 ref;
};

/* One row under way. */
struct import_row {
	TAILQ_ENTRY(import_row)	 entry;
	uint64_t		 id;
	long			 line;
	char			*buf;
	struct import_cell	 cells[IDSTORE_ACCOUNTS_MAX];
	int			 ncells;
	int			 waiting;	/* lookups not answered */
	int			 writing;	/* a store write under way */
	int			 tries;
	int			 created;	/* this row made the person */
	int			 failure;	/* the write that failed it */
	int			 have_person;	/* person is known */
	uint8_t			 person[IDSTORE_ID_LEN];
	int			 next;		/* cell to write next */
};
TAILQ_HEAD(import_rows, import_row);

/* The import of one file, from its header to its summary. */
struct import {
	struct bufferevent	*bev;		/* NULL: the client is gone */
	int			 dry_run;
	int			 header;	/* the header row was read */
	int			 eof;		/* the end mark came */
	int			 ended;		/* the summary is out */
	int			 in_pump, again;
	long			 line;
	int			 ncols;
	char			 cols[IDSTORE_ACCOUNTS_MAX][CONF_NAME_MAX];
	int			 asking[IDSTORE_ACCOUNTS_MAX];
	struct import_rows	 rows;
	int			 nrows;
	long			 counts[IMPORT_NOUTCOMES];
	struct timespec		 started;
};

static struct import	*imp;
static uint64_t		 import_next_id;

static void	 import_read_cb(struct bufferevent *, void *);
static void	 import_write_cb(struct bufferevent *, void *);
static void	 import_event_cb(struct bufferevent *, short, void *);
static void	 import_pump(void);
static int	 import_take(char *);
static int	 import_header(char *);
static void	 import_row_new(char *);
static void	 import_ask(void);
static void	 import_answer_cb(uint64_t, const struct serve_patron *);
static struct import_row *import_row_find(uint64_t);
static void	 import_judge(struct import_row *);
static void	 import_settle(struct import_row *);
static int	 import_person_fits(struct import_row *, const uint8_t *);
static void	 import_write(struct import_row *);
static void	 import_written(int, const struct idstore_write *, void *);
static void	 import_write_failed(struct import_row *, int, const char *);
static void	 import_undone(int, const struct idstore_write *, void *);
static void	 import_end_row(struct import_row *, enum import_outcome,
		    const char *, const char *);
static void	 import_report(long, const char *, const char *,
		    const char *);
static void	 import_finish(void);
static void	 import_free(void);

/*
 * Split a CSV line in place into at most max fields: commas between
 * fields, a field in double quotes may hold commas and "" for a quote,
 * unquoted fields lose their surrounding blanks, a final CR goes.  One
 * line is one record.  Returns the count, or -1 with a reason code.
 */
static int
import_csv(char *line, char **f, int max, const char **why)
{
	char	*r = line, *w, *end;
	int	 n = 0;
	size_t	 len;

	len = strlen(line);
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	for (;;) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (n == max) {
			*why = "too-many-fields";
			return (-1);
		}
		f[n++] = w = r;
		if (*r == '"') {
			for (r++;; r++) {
				if (*r == '\0') {
					*why = "unterminated-quote";
					return (-1);
				}
				if (*r == '"' && r[1] == '"')
					r++;
				else if (*r == '"')
					break;
				*w++ = *r;
			}
			for (r++; *r == ' ' || *r == '\t'; r++)
				;
			if (*r != ',' && *r != '\0') {
				*why = "bad-quote";
				return (-1);
			}
		} else {
			while (*r != ',' && *r != '\0') {
				if (*r == '"') {
					*why = "bad-quote";
					return (-1);
				}
				r++;
			}
			for (end = r; end > w && (end[-1] == ' ' ||
			    end[-1] == '\t'); end--)
				;
			w = end;
		}
		if (*r == '\0') {
			*w = '\0';
			return (n);
		}
		*w = '\0';
		r++;
	}
}

/* Return 1 if s holds a control character, which no barcode has. */
static int
import_unprintable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return (1);
	return (0);
}

/*
 * Take over a control connection whose command was link import: from now
 * on its lines are the file's, and the report goes back on it.
 */
int
import_start(struct bufferevent *bev, int dry_run, char *err, size_t errlen)
{
	struct timeval	 tv = { IMPORT_IDLE, 0 };

	if (imp != NULL) {
		snprintf(err, errlen, "another import is running");
		return (-1);
	}
	if (gw->store == NULL) {
		snprintf(err, errlen, "no identity store");
		return (-1);
	}
	if ((imp = calloc(1, sizeof(*imp))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	imp->bev = bev;
	imp->dry_run = dry_run;
	TAILQ_INIT(&imp->rows);
	clock_gettime(CLOCK_MONOTONIC, &imp->started);
	bufferevent_setcb(bev, import_read_cb, import_write_cb,
	    import_event_cb, NULL);
	bufferevent_set_timeouts(bev, &tv, &tv);
	/* Rows are taken as there is room: the client waits meanwhile. */
	bufferevent_setwatermark(bev, EV_READ, 0, CONTROL_LINE_MAX * 4);
	bufferevent_setwatermark(bev, EV_WRITE, IMPORT_OUT_MAX / 2, 0);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	log_info("import event=start dry-run=%s", dry_run ? "yes" : "no");
	import_pump();
	return (0);
}

void
import_close(void)
{
	struct import_row	*r;

	if (imp == NULL)
		return;
	if (!imp->ended)
		log_warnx("import event=stopped rows=%ld", imp->line);
	while ((r = TAILQ_FIRST(&imp->rows)) != NULL) {
		TAILQ_REMOVE(&imp->rows, r, entry);
		free(r->buf);
		OPENSSL_cleanse(r, sizeof(*r));
		free(r);
	}
	import_free();
}

static void
import_free(void)
{
	if (imp->bev != NULL)
		bufferevent_free(imp->bev);
	free(imp);
	imp = NULL;
}

static void
import_read_cb(struct bufferevent *bev, void *arg)
{
	import_pump();
}

/* The report drained: room for more rows, or, once all is out, the end. */
static void
import_write_cb(struct bufferevent *bev, void *arg)
{
	if (!imp->ended)
		import_pump();
	else if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		import_free();
}

/*
 * The client went away or fell silent.  Rows under way are finished (a
 * person made is linked or undone) and then the import is forgotten.
 */
static void
import_event_cb(struct bufferevent *bev, short what, void *arg)
{
	/* Rows waiting on a slow ILS: we are the silent side, not it. */
	if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) &&
	    (imp->nrows > 0 || imp->eof)) {
		bufferevent_enable(bev, EV_READ);
		return;
	}
	bufferevent_free(imp->bev);
	imp->bev = NULL;
	if (imp->ended) {
		import_free();
		return;
	}
	log_warnx("import event=client-gone rows=%ld", imp->line);
	imp->eof = 1;
	import_pump();
}

/*
 * Take rows while there is room, ask the ILSes what can be asked, and end
 * when everything is answered.  Callbacks of rows decided at once come
 * back here; they are noted and the loop goes round again.
 */
static void
import_pump(void)
{
	struct evbuffer	*in, *out;
	char		*line;
	size_t		 len;

	if (imp->in_pump) {
		imp->again = 1;
		return;
	}
	imp->in_pump = 1;
	do {
		imp->again = 0;
		while (imp->bev != NULL && !imp->eof &&
		    imp->nrows < IMPORT_WINDOW) {
			in = bufferevent_get_input(imp->bev);
			out = bufferevent_get_output(imp->bev);
			if (evbuffer_get_length(out) >= IMPORT_OUT_MAX)
				break;
			line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
			if (line == NULL) {
				if (evbuffer_get_length(in) > CONTROL_LINE_MAX)
					import_take(NULL);
				break;
			}
			import_take(line);
			free(line);
		}
		if (!imp->ended)
			import_ask();
	} while (imp->again);
	imp->in_pump = 0;
	if (imp->eof && imp->nrows == 0 && !imp->ended)
		import_finish();
}

/*
 * One line from the client: ">" and a line of the file, "!" and why a
 * line of it could not be sent, "." at the end.  A header that will not
 * do, or nonsense, ends the import.  0, or -1 once it ended.
 */
static int
import_take(char *line)
{
	const char	*why;

	if (line == NULL || (line[0] != IMPORT_ROW && line[0] != IMPORT_BAD &&
	    strcmp(line, IMPORT_END) != 0)) {
		if (imp->header) {
			imp->counts[IMPORT_ERROR]++;
			import_report(imp->line + 1, "error", "protocol",
			    NULL);
		} else {
			evbuffer_add_printf(bufferevent_get_output(imp->bev),
			    CONTROL_ERROR "the client sent no file\n");
			imp->ended = 1;
		}
		imp->eof = 1;
		return (-1);
	}
	if (strcmp(line, IMPORT_END) == 0) {
		if (!imp->header) {
			evbuffer_add_printf(bufferevent_get_output(imp->bev),
			    CONTROL_ERROR "the file has no header row\n");
			imp->ended = 1;
		}
		imp->eof = 1;
		return (0);
	}
	imp->line++;
	if (line[0] == IMPORT_BAD) {
		why = strcmp(line + 1, "line-too-long") == 0 ? "line-too-long" :
		    strcmp(line + 1, "nul-byte") == 0 ? "nul-byte" :
		    "unreadable";
		if (!imp->header) {
			evbuffer_add_printf(bufferevent_get_output(imp->bev),
			    CONTROL_ERROR "line %ld: %s\n", imp->line, why);
			imp->eof = imp->ended = 1;
			return (-1);
		}
		imp->counts[IMPORT_ERROR]++;
		import_report(imp->line, "error", why, NULL);
		return (0);
	}
	line++;
	/* Blank lines and comments, and a byte order mark, are skipped. */
	if (imp->line == 1 && strncmp(line, "\xef\xbb\xbf", 3) == 0)
		line += 3;
	if (line[strspn(line, " \t\r")] == '\0' || line[0] == '#')
		return (0);
	if (!imp->header)
		return (import_header(line));
	import_row_new(line);
	return (0);
}

/* The header row: the partners, one a column.  -1 once refused. */
static int
import_header(char *line)
{
	char		*f[IDSTORE_ACCOUNTS_MAX];
	const char	*why = NULL;
	int		 n, i, j;

	if ((n = import_csv(line, f, IDSTORE_ACCOUNTS_MAX, &why)) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		why = "an unknown partner";
		if (conf_partner_find(gw->conf, f[i]) == NULL)
			goto fail;
		why = "a partner twice";
		for (j = 0; j < i; j++)
			if (strcmp(f[i], f[j]) == 0)
				goto fail;
		snprintf(imp->cols[i], sizeof(imp->cols[i]), "%s", f[i]);
	}
	why = "fewer than two partners";
	if (n < 2)
		goto fail;
	imp->ncols = n;
	imp->header = 1;
	evbuffer_add_printf(bufferevent_get_output(imp->bev), "%s\n",
	    CONTROL_OK);
	return (0);
fail:
	/* The names are the administrator's own words: none is echoed. */
	evbuffer_add_printf(bufferevent_get_output(imp->bev), CONTROL_ERROR
	    "line %ld: the header row names %s\n", imp->line, why);
	imp->eof = imp->ended = 1;
	return (-1);
}

/*
 * A row of the file: its accounts, checked for shape and for agreements
 * in force between every two of its partners, then put under way.
 */
static void
import_row_new(char *line)
{
	const struct policy_agreement	*ags, *ag;
	struct import_row		*r;
	char				*f[IDSTORE_ACCOUNTS_MAX];
	const char			*why = NULL;
	size_t				 na;
	int				 n, i, j;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->buf = strdup(line)) == NULL) {
		free(r);
		imp->counts[IMPORT_ERROR]++;
		import_report(imp->line, "error", "out-of-memory", NULL);
		return;
	}
	r->id = ++import_next_id;
	r->line = imp->line;
	TAILQ_INSERT_TAIL(&imp->rows, r, entry);
	imp->nrows++;
	if ((n = import_csv(r->buf, f, imp->ncols, &why)) == -1) {
		import_end_row(r, IMPORT_ERROR, why, NULL);
		return;
	}
	for (i = 0; i < n; i++) {
		if (f[i][0] == '\0')
			continue;
		if (strlen(f[i]) > IDSTORE_VALUE_MAX ||
		    import_unprintable(f[i])) {
			import_end_row(r, IMPORT_ERROR, strlen(f[i]) >
			    IDSTORE_VALUE_MAX ? "value-too-long" :
			    "bad-character", imp->cols[i]);
			return;
		}
		r->cells[r->ncells].col = i;
		r->cells[r->ncells++].value = f[i];
	}
	if (r->ncells < 2) {
		import_end_row(r, IMPORT_ERROR, "fewer-than-two-accounts",
		    NULL);
		return;
	}
	ags = agreement_list(&na);
	for (i = 0; i < r->ncells; i++)
		for (j = i + 1; j < r->ncells; j++) {
			ag = policy_agreement_find(ags, na,
			    imp->cols[r->cells[i].col],
			    imp->cols[r->cells[j].col]);
			if (ag == NULL || !policy_active(ag)) {
				import_end_row(r, IMPORT_EXCLUDED,
				    "no-agreement-in-force",
				    imp->cols[r->cells[j].col]);
				return;
			}
		}
	import_settle(r);
}

/*
 * Ask the ILSes about the cells of rows in file order, a few calls per
 * partner at a time, so that terminals' requests keep their turn.
 */
static void
import_ask(void)
{
	struct import_row	*r, *next;
	struct import_cell	*c;
	uint64_t		 id, rid;
	int			 i;

	for (r = TAILQ_FIRST(&imp->rows); r != NULL; r = next) {
		next = TAILQ_NEXT(r, entry);
		if (r->writing || r->waiting == 0)
			continue;
		rid = r->id;	/* r may be gone once an answer came */
		for (i = 0; i < r->ncells; i++) {
			c = &r->cells[i];
			if (c->asked || imp->asking[c->col] >= IMPORT_ASK_MAX)
				continue;
			c->asked = 1;
			imp->asking[c->col]++;
			id = r->id << IMPORT_COL_BITS | (uint64_t)i;
			if (serve_lookup(imp->cols[c->col], c->value,
			    import_answer_cb, id) == -1) {
				imp->asking[c->col]--;
				c->answered = 1;
				c->error = CIRC_E_REFUSED;
				r->waiting--;
			}
			/* An answer may have come at once and ended it. */
			if (import_row_find(rid) == NULL)
				break;
		}
		if (import_row_find(rid) != NULL && r->waiting == 0)
			import_judge(r);
	}
}

/* An ILS answered for a cell, or could not. */
static void
import_answer_cb(uint64_t id, const struct serve_patron *sp)
{
	struct import_row	*r;
	struct import_cell	*c;
	int			 i = (int)(id & ((1 << IMPORT_COL_BITS) - 1));

	if (imp == NULL || (r = import_row_find(id >> IMPORT_COL_BITS)) ==
	    NULL || i >= r->ncells)
		return;
	c = &r->cells[i];
	imp->asking[c->col]--;
	c->answered = 1;
	c->found = sp->found;
	c->error = sp->error;
	if (sp->found && sp->key != NULL && strlen(sp->key) <=
	    IDSTORE_VALUE_MAX)
		snprintf(c->key, sizeof(c->key), "%s", sp->key);
	if (sp->found) {
		const struct policy_agreement	*ags;
		struct policy_decision		 dec;
		size_t				 n;
		int				 j;

		ags = agreement_list(&n);
		for (j = 0; j < r->ncells && !c->excluded; j++)
			if (j != i && !policy_visible(ags, n,
			    imp->cols[c->col], sp->pclass,
			    imp->cols[r->cells[j].col], &dec))
				c->excluded = dec.reason ==
				    POLICY_E_CLASS_EXCLUDED ? 1 : 2;
	}
	if (--r->waiting == 0 && !imp->in_pump)
		import_judge(r);
	import_pump();
}

static struct import_row *
import_row_find(uint64_t id)
{
	struct import_row	*r;

	if (imp == NULL)
		return (NULL);
	TAILQ_FOREACH(r, &imp->rows, entry)
		if (r->id == id)
			return (r);
	return (NULL);
}

/*
 * Every ILS answered for a row: an account missing, a partner that could
 * not say or a class kept from the other partners ends it; otherwise the
 * store decides.
 */
static void
import_judge(struct import_row *r)
{
	struct import_cell	*c;
	int			 i;

	for (i = 0; i < r->ncells; i++) {
		c = &r->cells[i];
		if (c->found || c->error == CIRC_E_NONE ||
		    c->error == CIRC_E_UNKNOWN_PATRON)
			continue;
		import_end_row(r, IMPORT_ERROR, c->error == CIRC_E_OFFLINE ?
		    "partner-down" : c->error == CIRC_E_TIMEOUT ?
		    "partner-timeout" : c->error == CIRC_E_NOT_SUPPORTED ?
		    "partner-cannot-say" : "partner-refused",
		    imp->cols[c->col]);
		return;
	}
	for (i = 0; i < r->ncells; i++)
		if (!r->cells[i].found) {
			import_end_row(r, IMPORT_NOTFOUND, "no-such-account",
			    imp->cols[r->cells[i].col]);
			return;
		}
	for (i = 0; i < r->ncells; i++)
		if (r->cells[i].excluded) {
			import_end_row(r, IMPORT_EXCLUDED,
			    r->cells[i].excluded == 1 ? "excluded-class" :
			    "no-agreement-in-force",
			    imp->cols[r->cells[i].col]);
			return;
		}
	r->writing = 1;
	import_settle(r);
}

/*
 * What the store holds of a row's accounts, by barcode and by the ILS's
 * key: all one person's already, two persons', or accounts to link.
 * Before the ILSes are asked (waiting is 0 and writing unset) only a row
 * the store decides alone ends here; the others go to the ILSes.
 */
static void
import_settle(struct import_row *r)
{
	struct import_cell	*c;
	struct idstore_ref	 kr;
	const uint8_t		*person = NULL;
	const char		*col;
	int			 i, fb, fk, unknown = 0;

	for (i = 0; i < r->ncells; i++) {
		c = &r->cells[i];
		col = imp->cols[c->col];
		c->known = c->alias = 0;
		fb = idstore_find_barcode(gw->store, col, c->value, &c->ref);
		fk = c->key[0] != '\0' ? idstore_find_key(gw->store, col,
		    c->key, &kr) : IDSTORE_NOTFOUND;
		if ((fb != IDSTORE_OK && fb != IDSTORE_NOTFOUND) ||
		    (fk != IDSTORE_OK && fk != IDSTORE_NOTFOUND)) {
			import_end_row(r, IMPORT_ERROR, "store-failed", NULL);
			return;
		}
		if (fb == IDSTORE_OK && fk == IDSTORE_OK &&
		    memcmp(c->ref.account, kr.account, IDSTORE_ID_LEN) != 0) {
			import_end_row(r, IMPORT_CONFLICTING,
			    "card-and-key-apart", col);
			return;
		}
		if (fb != IDSTORE_OK && fk == IDSTORE_OK) {
			c->ref = kr;
			c->alias = 1;
		}
		c->known = fb == IDSTORE_OK || fk == IDSTORE_OK;
		if (!c->known || c->alias)
			unknown = 1;
		if (!c->known)
			continue;
		if (person != NULL && memcmp(person, c->ref.person,
		    IDSTORE_ID_LEN) != 0) {
			import_end_row(r, IMPORT_CONFLICTING, "two-persons",
			    col);
			return;
		}
		person = c->ref.person;
	}
	if (!unknown) {
		import_end_row(r, IMPORT_ALREADY, "same-person", NULL);
		return;
	}
	if (person != NULL && import_person_fits(r, person) == -1)
		return;
	if (!r->writing) {
		/* Still to be asked at the ILSes. */
		r->waiting = r->ncells;
		return;
	}
	if (imp->dry_run) {
		import_end_row(r, IMPORT_LINKED, person != NULL ?
		    "would-join-person" : "would-make-person", NULL);
		return;
	}
	r->created = 0;
	r->next = 0;
	if ((r->have_person = person != NULL))
		memcpy(r->person, person, IDSTORE_ID_LEN);
	import_write(r);
}

/*
 * The person the row's known accounts belong to may take the others: no
 * account of its own at their partners, no key of another patron on a
 * card it holds.  0, or -1 after ending the row.
 */
static int
import_person_fits(struct import_row *r, const uint8_t *person)
{
	struct idstore_person	*p;
	struct import_cell	*c;
	const char		*col, *why = NULL;
	size_t			 k;
	int			 i, rc;

	if ((p = malloc(sizeof(*p))) == NULL ||
	    (rc = idstore_person(gw->store, person, p)) != IDSTORE_OK) {
		free(p);
		import_end_row(r, IMPORT_ERROR, "store-failed", NULL);
		return (-1);
	}
	for (i = 0; i < r->ncells && why == NULL; i++) {
		c = &r->cells[i];
		col = imp->cols[c->col];
		for (k = 0; k < p->naccounts && why == NULL; k++) {
			if (strcmp(p->accounts[k].partner, col) != 0)
				continue;
			if (!c->known)
				why = "other-account-there";
			else if (c->key[0] != '\0' &&
			    p->accounts[k].patron_key[0] != '\0' &&
			    strcmp(p->accounts[k].patron_key, c->key) != 0)
				why = "card-and-key-apart";
		}
		if (why != NULL)
			import_end_row(r, IMPORT_CONFLICTING, why, col);
	}
	OPENSSL_cleanse(p, sizeof(*p));
	free(p);
	return (why != NULL ? -1 : 0);
}

/*
 * The row's next write: the person, with its home at the first partner
 * of the row, when none is known; then each unknown account linked to it
 * and each new card of a known account added.  The row ends after the
 * last.
 */
static void
import_write(struct import_row *r)
{
	struct import_cell	*c;
	struct idstore_write	 w;

	while (r->next < r->ncells && r->cells[r->next].known &&
	    !r->cells[r->next].alias)
		r->next++;
	if (r->next == r->ncells) {
		import_end_row(r, IMPORT_LINKED, r->created ? "new-person" :
		    "joined-person", NULL);
		return;
	}
	c = &r->cells[r->next];
	memset(&w, 0, sizeof(w));
	w.partner = imp->cols[c->col];
	w.barcode = c->value;
	w.patron_key = c->key[0] != '\0' ? c->key : NULL;
	w.creator = "circlinkctl";
	w.reason = "import";
	if (c->alias) {
		w.op = IDSTORE_ALIAS_ADD;
		memcpy(w.person, c->ref.person, IDSTORE_ID_LEN);
		memcpy(w.account, c->ref.account, IDSTORE_ID_LEN);
		w.patron_key = NULL;
	} else if (r->have_person) {
		w.op = IDSTORE_LINK;
		memcpy(w.person, r->person, IDSTORE_ID_LEN);
	} else
		w.op = IDSTORE_CREATE;
	if (idstore_submit(gw->store, &w, import_written,
	    (void *)(uintptr_t)r->id) == -1)
		import_written(errno == EAGAIN ? IMPORT_STORE_BUSY :
		    IDSTORE_FAIL, &w, (void *)(uintptr_t)r->id);
}

/* End a row on the store write that failed it. */
static void
import_write_failed(struct import_row *r, int result, const char *partner)
{
	if (result == IDSTORE_EXISTS || result == IDSTORE_CONFLICT)
		import_end_row(r, IMPORT_CONFLICTING, result ==
		    IDSTORE_EXISTS ? "two-persons" : "other-account-there",
		    partner);
	else if (result == IDSTORE_LIMIT)
		import_end_row(r, IMPORT_ERROR, "too-many-accounts", partner);
	else
		import_end_row(r, IMPORT_ERROR, result == IMPORT_STORE_BUSY ?
		    "store-busy" : "store-failed", NULL);
}

/* A write of a row is committed or refused. */
static void
import_written(int result, const struct idstore_write *w, void *arg)
{
	struct import_row	*r;
	struct idstore_write	 u;

	if ((r = import_row_find((uintptr_t)arg)) == NULL)
		return;
	if (result == IDSTORE_OK) {
		if (w->op == IDSTORE_CREATE) {
			r->created = r->have_person = 1;
			memcpy(r->person, w->person, IDSTORE_ID_LEN);
		}
		r->cells[r->next].known = 1;
		r->cells[r->next].alias = 0;
		r->next++;
		import_write(r);
		import_pump();
		return;
	}
	r->failure = result;
	/* A person this row made alone goes again before anything else. */
	if (r->created) {
		memset(&u, 0, sizeof(u));
		u.op = IDSTORE_FORGET;
		memcpy(u.person, r->person, IDSTORE_ID_LEN);
		r->created = 0;
		if (result != IDSTORE_EXISTS)
			r->tries = IMPORT_RETRIES;
		if (idstore_submit(gw->store, &u, import_undone, arg) == 0)
			return;
		log_warnx("import event=undo result=failed");
	}
	/* Another row took a card meanwhile: look again. */
	if (result == IDSTORE_EXISTS && r->tries++ < IMPORT_RETRIES) {
		import_settle(r);
		import_pump();
		return;
	}
	import_write_failed(r, result, w->partner);
	import_pump();
}

/* The person a failed row had made is gone again: look once more. */
static void
import_undone(int result, const struct idstore_write *w, void *arg)
{
	struct import_row	*r;

	if ((r = import_row_find((uintptr_t)arg)) == NULL)
		return;
	if (result != IDSTORE_OK)
		log_warnx("import event=undo result=\"%s\"",
		    idstore_strerror(result));
	/* What failed the row is said, not the undo. */
	if (r->tries++ < IMPORT_RETRIES)
		import_settle(r);
	else
		import_write_failed(r, r->failure, NULL);
	import_pump();
}

/* A row is decided: counted, reported, forgotten. */
static void
import_end_row(struct import_row *r, enum import_outcome o, const char *why,
    const char *partner)
{
	imp->counts[o]++;
	import_report(r->line, o == IMPORT_LINKED && imp->dry_run ?
	    "would-link" : import_words[o], why, partner);
	TAILQ_REMOVE(&imp->rows, r, entry);
	imp->nrows--;
	free(r->buf);
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
	imp->again = 1;
}

/* One line of the report: line number, outcome, reason, partner. */
static void
import_report(long line, const char *outcome, const char *why,
    const char *partner)
{
	if (imp->bev == NULL)
		return;
	evbuffer_add_printf(bufferevent_get_output(imp->bev),
	    "line %ld %s %s%s%s\n", line, outcome, why, partner != NULL ?
	    " " : "", partner != NULL ? partner : "");
}

/* Every row is decided: the counts, to the client and to the log. */
static void
import_finish(void)
{
	struct timespec	 now;
	long		 ms;
	char		 words[256], pairs[256];
	size_t		 i, w = 0, p = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - imp->started.tv_sec) * 1000L +
	    (now.tv_nsec - imp->started.tv_nsec) / 1000000L;
	for (i = 0; i < IMPORT_NOUTCOMES; i++) {
		w += (size_t)snprintf(words + w, sizeof(words) - w, " %s %ld",
		    i == IMPORT_LINKED && imp->dry_run ? "would-link" :
		    import_words[i], imp->counts[i]);
		p += (size_t)snprintf(pairs + p, sizeof(pairs) - p, " %s=%ld",
		    i == IMPORT_LINKED && imp->dry_run ? "would-link" :
		    import_words[i], imp->counts[i]);
	}
	log_info("import event=end dry-run=%s lines=%ld%s ms=%ld",
	    imp->dry_run ? "yes" : "no", imp->line, pairs, ms);
	imp->ended = 1;
	if (imp->bev == NULL) {
		import_free();
		return;
	}
	if (imp->header)
		evbuffer_add_printf(bufferevent_get_output(imp->bev),
		    "summary lines %ld%s ms %ld\n", imp->line, words, ms);
	bufferevent_disable(imp->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(imp->bev)) == 0)
		import_free();
}
