/* SPDX-License-Identifier: ISC */
/*
 * End-to-end tests of linking existing accounts in bulk: circlinkctl link
 * import against a real circlinkd between the simulated metro and
 * district ILSes, with files mixing every outcome, a dry run, a second
 * run, a partner that stops answering and kiosks served meanwhile.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sip2.h"
#include "circlinkd.h"
#include "control.h"
#include "e2e.h"

#define L_PLAIN		0
#define CTL_WAIT_MS	30000
#define SLOW_ROWS	40	/* rows of the import during kiosk traffic */

static struct e2e_env	 env;
static const char	*ctl_path;
static char		 sock_path[E2E_PATH_MAX];
static char		 out_path[E2E_PATH_MAX];
static int		 district_ncip;	/* its backend speaks NCIP 1 */

/* The demo agreement's halves: metro keeps JUVENILE, district STAFF. */
#define METRO_TERMS \
	"\t\taccept yes\n\t\texclude-class JUVENILE\n" \
	"\t\twithhold address phone birth-date\n\t\thistory titles\n" \
	"\t\tlink-classes STUDENT"
#define DISTRICT_TERMS \
	"\t\taccept yes\n\t\texclude-class STAFF\n" \
	"\t\twithhold address phone birth-date\n\t\thistory counts"
static const char	*district_terms = DISTRICT_TERMS;

/*
 * A file with every outcome, against two persons linked beforehand:
 * (21000000006, 22000000004) and (21000000005, LCS-0042).
 */
static const char mixed_csv[] =
    "# one person a row, one partner a column\n"	/* 1 */
    "metro,district\r\n"				/* 2 */
    "21000000001,22000000002\n"				/* 3 linked */
    "\"21000000002\" , 22000000001\n"			/* 4 linked */
    "21000000003,22000000003\n"				/* 5 excluded metro */
    "21000000004,22000000009\n"				/* 6 excluded there */
    "21000000009,22999999999\n"				/* 7 not found */
    "\n"						/* 8 skipped */
    "21000000006,22000000004\n"				/* 9 already */
    "21000000005,22000000004\n"				/* 10 two persons */
    "21000000002x,\n"					/* 11 one account */
    "21000000001,22000000002,21000000003\n"		/* 12 too many */
    "\"21000000001,22000000002\n"			/* 13 open quote */
    "21000000001,22\"000\n"				/* 14 bad quote */
    "21000000009,22000000004\n";			/* 15 other there */

static const char *const mixed_outcomes[] = {
	"line 3 linked new-person",
	"line 4 linked new-person",
	"line 5 excluded excluded-class metro",
	"line 6 excluded excluded-class district",
	"line 7 not-found no-such-account district",
	"line 9 already-linked same-person",
	"line 10 conflicting two-persons",
	"line 11 error fewer-than-two-accounts",
	"line 12 error too-many-fields",
	"line 13 error unterminated-quote",
	"line 14 error bad-quote",
	"line 15 conflicting other-account-there metro",
	NULL
};

static int
write_conf(struct e2e_env *e)
{
	const struct e2e_partner	 parts[] = {
		{ .id = "metro", .name = E2E_METRO_NAME, .institution = "METRO",
		    .patrons = "2100*", .items = "3100*", .loc1 = "MAIN",
		    .loc2 = "EAST", .ils = &e->metro,
		    .password = "metro-ils-pw", .terms = METRO_TERMS },
		{ .id = "district", .name = E2E_DISTRICT_NAME,
		    .institution = "DISTRICT", .patrons = "2200*",
		    .items = "3200*", .loc1 = "LINCOLN", .loc2 = "WESTHIGH",
		    .ils = &e->district, .password = "district-ils-pw",
		    .ncip = district_ncip, .version = "1.0",
		    .ils_token = "district-ncip-token",
		    .terms = district_terms },
	};

	return (e2e_gw_write_partners(e, parts, 2));
}

static int
group_setup(void **state)
{
	if ((ctl_path = getenv("CIRCLINKCTL")) == NULL)
		ctl_path = "gateway/circlinkctl";
	if (access(ctl_path, X_OK) == -1) {
		fprintf(stderr, "e2e: need %s (set CIRCLINKCTL)\n", ctl_path);
		return (-1);
	}
	if (e2e_env_init(&env) == -1 || e2e_ils_start_demo(&env, 1) == -1)
		goto fail;
	snprintf(sock_path, sizeof(sock_path), "%s/state/circlinkd.sock",
	    env.dir);
	snprintf(out_path, sizeof(out_path), "%s/ctl.out", env.dir);
	e2e_listeners_init(&env, 1);
	if (e2e_terminal_add(&env, "metro-kiosk", "metro-kiosk-pw", "metro",
	    "MAIN", NULL, NULL) == -1 ||
	    e2e_terminal_add(&env, "district-desk", "district-desk-pw",
	    "district", "LINCOLN", NULL, NULL) == -1)
		goto fail;
	if (e2e_gw_launch(&env, write_conf) == -1 ||
	    e2e_partners_online(&env, L_PLAIN, 10000) == -1)
		goto fail;
	return (0);
fail:
	e2e_env_cleanup(&env);
	return (-1);
}

static int
group_teardown(void **state)
{
	e2e_env_cleanup(&env);
	return (0);
}

static int
ready(void **state)
{
	return (e2e_ready(&env, L_PLAIN));
}

static int
still_alive(void **state)
{
	return (e2e_gw_survived(&env));
}

/*
 * Run circlinkctl -s on the gateway's socket with the words given; its
 * output goes to *out (freed by the caller).  Returns its exit status.
 */
static int
ctl(char **out, ...)
{
	const char	*argv[12];
	va_list		 ap;
	int		 n = 0, rc;

	argv[n++] = ctl_path;
	argv[n++] = "-s";
	argv[n++] = sock_path;
	va_start(ap, out);
	while (n < 11 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	rc = e2e_run(argv, out_path, CTL_WAIT_MS);
	assert_true(rc >= 0);
	assert_non_null(*out = e2e_file_read(out_path, 0));
	return (rc);
}

/* Write a file of the test directory and return its path. */
static const char *
csv(const char *name, const char *text)
{
	static char	 path[E2E_PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", env.dir, name);
	assert_int_equal(e2e_write_file(path, text), 0);
	return (path);
}

/* The store's counts as the daemon's status gives them. */
static void
store_counts(char *buf, size_t len)
{
	char	 ans[E2E_ANSWER_MAX], *s, *nl;

	assert_int_equal(e2e_gw_control(&env, "status", ans, sizeof(ans)), 0);
	assert_non_null(s = strstr(ans, "store persons "));
	if ((nl = strstr(s, " map ")) != NULL)
		*nl = '\0';
	snprintf(buf, len, "%s", s);
}

/* Link two accounts by hand, as the file's earlier history. */
static void
link_by_hand(const char *metro, const char *district)
{
	char	*out;

	assert_int_equal(ctl(&out, "link", "add", "metro", metro, "district",
	    district, NULL), 0);
	free(out);
}

static void
assert_outcomes(const char *out, const char *const *want)
{
	for (; *want != NULL; want++)
		assert_contains(out, *want);
}

/* The dry run reports what would be done and leaves the store alone. */
static void
test_dry_run_changes_nothing(void **state)
{
	char		 before[256], after[256], *out;
	const char	*path;

	link_by_hand("21000000006", "22000000004");
	link_by_hand("21000000005", "LCS-0042");
	path = csv("mixed.csv", mixed_csv);
	store_counts(before, sizeof(before));
	assert_int_equal(ctl(&out, "link", "import", "-n", path, NULL), 1);
	assert_contains(out, "line 3 would-link would-make-person");
	assert_contains(out, "line 4 would-link would-make-person");
	assert_contains(out, "line 9 already-linked same-person");
	assert_contains(out, "line 10 conflicting two-persons");
	assert_contains(out, "summary lines 15 would-link 2 already-linked 1 "
	    "not-found 1 conflicting 2 excluded 2 error 4");
	free(out);
	store_counts(after, sizeof(after));
	assert_string_equal(before, after);
	assert_int_equal(ctl(&out, "link", "show", "metro", "21000000001",
	    NULL), 1);
	free(out);
}

/* Every outcome of a row, each with its line, reason and partner. */
static void
test_import_reports_every_outcome(void **state)
{
	char	*out;

	assert_int_equal(ctl(&out, "link", "import",
	    csv("mixed.csv", mixed_csv), NULL), 1);
	assert_outcomes(out, mixed_outcomes);
	assert_contains(out, "summary lines 15 linked 2 already-linked 1 "
	    "not-found 1 conflicting 2 excluded 2 error 4");
	/* No more of the patrons than the file had: no names, no classes. */
	assert_null(strstr(out, "Alvarez"));
	assert_null(strstr(out, "JUVENILE"));
	assert_null(strstr(out, "STAFF"));
	free(out);

	assert_int_equal(ctl(&out, "link", "show", "district", "22000000002",
	    NULL), 0);
	assert_contains(out, "accounts 2");
	assert_contains(out, "account metro home");
	assert_contains(out, "by circlinkctl reason import");
	free(out);
	/* The excluded and the unknown stay unlinked. */
	assert_int_equal(ctl(&out, "link", "show", "metro", "21000000003",
	    NULL), 1);
	free(out);
	assert_int_equal(ctl(&out, "link", "show", "metro", "21000000009",
	    NULL), 1);
	free(out);
}

/* The same file again changes nothing: every link is already there. */
static void
test_import_run_twice(void **state)
{
	char	 before[256], after[256], *out;

	store_counts(before, sizeof(before));
	assert_int_equal(ctl(&out, "link", "import",
	    csv("mixed.csv", mixed_csv), NULL), 1);
	assert_contains(out, "line 3 already-linked same-person");
	assert_contains(out, "line 4 already-linked same-person");
	assert_contains(out, "summary lines 15 linked 0 already-linked 3 "
	    "not-found 1 conflicting 2 excluded 2 error 4");
	free(out);
	store_counts(after, sizeof(after));
	assert_string_equal(before, after);

	/* A file of links that all exist is a success. */
	assert_int_equal(ctl(&out, "link", "import", csv("done.csv",
	    "district,metro\n22000000002,21000000001\n"
	    "22000000001,21000000002\n"), NULL), 0);
	assert_contains(out, "summary lines 3 linked 0 already-linked 2 "
	    "not-found 0 conflicting 0 excluded 0 error 0");
	free(out);
}

/*
 * A partner that stops answering: its rows are errors, none is lost or
 * linked on half an answer, and the same file succeeds once it is back.
 */
static void
test_partner_down_during_import(void **state)
{
	const char	*path;
	char		*out;

	path = csv("down.csv", "metro,district\n21000000004,22000000003\n"
	    "21090000001,22000000001\n");
	e2e_ctl(&env.district, "hang", NULL, 0);
	assert_int_equal(ctl(&out, "link", "import", path, NULL), 1);
	assert_contains(out, "line 2 error partner-");
	/* What the store decides alone needs no ILS. */
	assert_contains(out, "line 3 conflicting other-account-there metro");
	assert_contains(out, "summary lines 3 linked 0 already-linked 0 "
	    "not-found 0 conflicting 1 excluded 0 error 1");
	free(out);
	assert_int_equal(ctl(&out, "link", "show", "metro", "21000000004",
	    NULL), 1);
	free(out);

	e2e_ctl(&env.district, "normal", NULL, 0);
	assert_int_equal(e2e_partners_online(&env, L_PLAIN, 10000), 0);
	assert_int_equal(ctl(&out, "link", "import", path, NULL), 1);
	assert_contains(out, "line 2 linked new-person");
	/* A visitor card at metro with a district card taken already. */
	assert_contains(out, "line 3 conflicting other-account-there metro");
	free(out);
}

/* How many LookupUser requests the district's NCIP responder has had. */
static long
district_lookups(void)
{
	char		 ans[512];
	const char	*s;

	assert_int_equal(e2e_ils_ctl(&env.district, "ncip-stats", ans,
	    sizeof(ans)), 0);
	if ((s = strstr(ans, "LookupUser=")) == NULL)
		return (0);
	return (strtol(s + strlen("LookupUser="), NULL, 10));
}

/*
 * An NCIP ILS names its patrons by its own UserId: the account is keyed
 * on it, the card kept as its barcode, and a second run finds both.
 */
static void
test_ncip_partner_keys_the_account(void **state)
{
	const char	*path;
	char		 before[256], after[256], *out;
	long		 asked;

	/* The pair linked over SIP2 above, undone to be linked again. */
	assert_int_equal(ctl(&out, "unlink", "district", "22000000003",
	    NULL), 0);
	free(out);
	assert_int_equal(ctl(&out, "unlink", "metro", "21000000004", NULL),
	    0);
	free(out);
	district_ncip = 1;
	assert_int_equal(e2e_gw_reload(&env, write_conf), 0);
	assert_int_equal(e2e_partners_online(&env, L_PLAIN, 10000), 0);

	path = csv("ncip.csv", "district,metro\n22000000003,21000000004\n"
	    "22999999998,21000000004\n");
	asked = district_lookups();
	assert_int_equal(ctl(&out, "link", "import", path, NULL), 1);
	assert_int_equal(district_lookups(), asked + 2);
	assert_contains(out, "line 2 linked new-person");
	assert_contains(out, "line 3 not-found no-such-account district");
	free(out);
	assert_int_equal(ctl(&out, "link", "show", "metro", "21000000004",
	    NULL), 0);
	assert_contains(out, "account district home barcodes 2200******* "
	    "key 2200*******");
	assert_contains(out, "account metro linked barcodes 2100******* "
	    "key -");
	free(out);

	store_counts(before, sizeof(before));
	assert_int_equal(ctl(&out, "link", "import", path, NULL), 1);
	assert_contains(out, "line 2 already-linked same-person");
	free(out);
	store_counts(after, sizeof(after));
	assert_string_equal(before, after);

	district_ncip = 0;
	assert_int_equal(e2e_gw_reload(&env, write_conf), 0);
}

/* With the agreement not in force no row is linked, and no ILS asked. */
static void
test_no_agreement_no_link(void **state)
{
	char	*out;
	long	 before;

	district_terms = "\t\taccept no";
	assert_int_equal(e2e_gw_reload(&env, write_conf), 0);
	before = e2e_ils_received(&env.metro, SIP2_PATRON_INFO);
	assert_int_equal(ctl(&out, "link", "import", csv("off.csv",
	    "metro,district\n21090000003,22000000003\n"), NULL), 1);
	assert_contains(out, "line 2 excluded no-agreement-in-force district");
	free(out);
	assert_int_equal(e2e_ils_received(&env.metro, SIP2_PATRON_INFO),
	    before);
	district_terms = DISTRICT_TERMS;
	assert_int_equal(e2e_gw_reload(&env, write_conf), 0);
}

/* Files that will not do are refused with their line, never half-read. */
static void
test_bad_files_refused(void **state)
{
	char	 line[IMPORT_LINE_MAX + 40], *out;

	assert_int_equal(ctl(&out, "link", "import", csv("h1.csv",
	    "metro,nowhere\n21000000001,1\n"), NULL), 1);
	assert_contains(out, "line 1: the header row names an unknown "
	    "partner");
	assert_null(strstr(out, "nowhere"));
	free(out);
	assert_int_equal(ctl(&out, "link", "import", csv("h2.csv",
	    "metro,metro\n"), NULL), 1);
	assert_contains(out, "a partner twice");
	free(out);
	assert_int_equal(ctl(&out, "link", "import", csv("h3.csv",
	    "# nothing\n"), NULL), 1);
	assert_contains(out, "no header row");
	free(out);
	assert_int_equal(ctl(&out, "link", "import", "/nonexistent.csv",
	    NULL), 1);
	free(out);
	assert_int_equal(ctl(&out, "link", "import", NULL), 2);
	free(out);

	/* A line over the limit, a control character, a value too long. */
	memset(line, '1', sizeof(line));
	memcpy(line, "metro,district\n", 15);
	line[sizeof(line) - 2] = '\n';
	line[sizeof(line) - 1] = '\0';
	assert_true(strlen(line) > IMPORT_LINE_MAX + 16);
	assert_int_equal(ctl(&out, "link", "import", csv("long.csv", line),
	    NULL), 1);
	assert_contains(out, "line 2 error line-too-long");
	free(out);
	assert_int_equal(ctl(&out, "link", "import", csv("ctl.csv",
	    "metro,district\n2100\x01,22000000001\n"), NULL), 1);
	assert_contains(out, "line 2 error bad-character metro");
	free(out);
	memset(line, '2', 200);
	memcpy(line, "metro,district\n1,", 17);
	line[200] = '\0';
	assert_int_equal(ctl(&out, "link", "import", csv("value.csv", line),
	    NULL), 1);
	assert_contains(out, "line 2 error value-too-long district");
	free(out);
}

/* An import while another may write out_path: output elsewhere. */
static int
ctl2(char **out, const char *path)
{
	char		 other[E2E_PATH_MAX + 8];
	const char	*argv[] = { ctl_path, "-s", sock_path, "link", "import",
			    path, NULL };
	int		 rc;

	snprintf(other, sizeof(other), "%s.2", out_path);
	rc = e2e_run(argv, other, CTL_WAIT_MS);
	assert_true(rc >= 0);
	assert_non_null(*out = e2e_file_read(other, 0));
	return (rc);
}

/* Start circlinkctl without waiting for it; its output to out_path. */
static pid_t
ctl_spawn(const char *path)
{
	pid_t	 pid;
	int	 fd;

	if ((pid = fork()) == 0) {
		if ((fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC,
		    0600)) == -1)
			_exit(127);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execl(ctl_path, ctl_path, "-s", sock_path, "link", "import",
		    path, (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	return (pid);
}

/*
 * Kiosks are answered while an import waits on a slow district: the
 * import takes its turn at the ILS, not the loop.  Whether they were
 * answered before it ended is timing, not asserted; the benchmark
 * measures it.
 */
static void
test_kiosks_served_during_import(void **state)
{
	char		 text[SLOW_ROWS * 32 + 32], *out;
	struct sip2_msg	*r;
	off_t		 logged = e2e_file_size(env.log);
	size_t		 off;
	pid_t		 pid;
	int		 i, status;

	off = (size_t)snprintf(text, sizeof(text), "metro,district\n");
	for (i = 0; i < SLOW_ROWS; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		    "21000000003,22%09d\n", 100 + i);
	e2e_ctl(&env.district, "delay 200", NULL, 0);
	pid = ctl_spawn(csv("slow.csv", text));
	assert_int_equal(e2e_file_wait(env.log, logged, "import event=start",
	    CTL_WAIT_MS), 0);
	for (i = 0; i < 5; i++) {
		r = e2e_session_ask(&env, L_PLAIN, "metro-kiosk",
		    "metro-kiosk-pw", e2e_req(SIP2_PATRON_STATUS, "AO",
		    "METRO", "AA", "21000000009", "AD", "9191", "AC", "",
		    NULL));
		assert_code(r, SIP2_PATRON_STATUS_RESP);
		assert_string_equal(e2e_field(r, "BL"), "Y");
		sip2_msg_free(r);
	}
	/* One import at a time (the slow one has seconds to go). */
	assert_int_equal(ctl2(&out, csv("small.csv",
	    "metro,district\n21000000003,22000000003\n")), 1);
	assert_contains(out, "another import is running");
	free(out);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	assert_non_null(out = e2e_file_read(out_path, 0));
	assert_contains(out, "summary lines 41 linked 0 already-linked 0 "
	    "not-found 40 conflicting 0 excluded 0 error 0");
	free(out);
}

/* The log has the counts of each import, never a barcode. */
static void
test_log_holds_counts_only(void **state)
{
	const char	*patrons[] = { "21000000001", "22000000002",
	    "21000000003", "22000000009", "22999999999", "LCS-0042",
	    "22000000100", NULL };
	char		*log;
	int		 i;

	assert_non_null(log = e2e_file_read(env.log, 0));
	assert_contains(log, "import event=end dry-run=yes lines=15 "
	    "would-link=2 already-linked=1 not-found=1 conflicting=2 "
	    "excluded=2 error=4");
	assert_contains(log, "import event=end dry-run=no lines=15 linked=2 "
	    "already-linked=1");
	for (i = 0; patrons[i] != NULL; i++)
		if (strstr(log, patrons[i]) != NULL)
			fail_msg("the log holds %s", patrons[i]);
	free(log);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, ready, still_alive)
	const struct CMUnitTest tests[] = {
		T(test_dry_run_changes_nothing),
		T(test_import_reports_every_outcome),
		T(test_import_run_twice),
		T(test_partner_down_during_import),
		T(test_ncip_partner_keys_the_account),
		T(test_no_agreement_no_link),
		T(test_bad_files_refused),
		T(test_kiosks_served_during_import),
		T(test_log_holds_counts_only),
	};
#undef T

	return (cmocka_run_group_tests_name("e2e_import", tests,
	    group_setup, group_teardown));
}
