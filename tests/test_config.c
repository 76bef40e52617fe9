/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of the configuration reader: every value of the good fixtures
 * lands where it belongs, and every mistake is named by file and line.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "circlinkd.h"
#include "ncip.h"
#include "policy.h"

#ifndef CONF_FIXTURES
#define CONF_FIXTURES	"tests/data/conf"
#endif

#define H_METRO_KIOSK	"pbkdf2-sha256$100000$ZVVT59YowfcTE4VAcd/nLQ==$" \
			"QOvWsNbRfvsEAQli+EgGUgXZ0rkUaxGHsvQoFTobhKc="

/*
 * Each test works on a private copy of the fixtures, because git keeps no
 * file modes and the secret-file rule needs files closed to others.
 */
static char	 tmpdir[PATH_MAX];
static char	 copy_src[PATH_MAX];

static int
copy_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char	 dst[PATH_MAX], buf[8192];
	int	 in, out;
	ssize_t	 n;

	snprintf(dst, sizeof(dst), "%s%s", tmpdir, path + strlen(copy_src));
	if (type == FTW_D)
		return (mkdir(dst, 0700) == -1 && errno != EEXIST ? -1 : 0);
	if (type != FTW_F)
		return (-1);
	if ((in = open(path, O_RDONLY)) == -1)
		return (-1);
	if ((out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1) {
		close(in);
		return (-1);
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			n = -1;
	close(in);
	close(out);
	return (n == 0 ? 0 : -1);
}

static int
remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return (remove(path));
}

/* Return the copy of a fixture, in one of a few rotating buffers. */
static const char *
fx(const char *rel)
{
	static char	 bufs[4][PATH_MAX];
	static int	 i;

	i = (i + 1) % 4;
	if ((size_t)snprintf(bufs[i], sizeof(bufs[i]), "%s/%s", tmpdir, rel) >=
	    sizeof(bufs[i]))
		fail_msg("path too long: %s", rel);
	return (bufs[i]);
}

static int
setup(void **state)
{
	char	 tmpl[] = "/tmp/test_config.XXXXXX";

	umask(022);
	if (mkdtemp(tmpl) == NULL || realpath(tmpl, tmpdir) == NULL)
		return (-1);
	if (realpath(CONF_FIXTURES, copy_src) == NULL)
		return (-1);
	if (nftw(copy_src, copy_one, 16, FTW_PHYS) != 0)
		return (-1);
	/* A file without secrets may be readable by all. */
	return (chmod(fx("good/circlinkd.conf"), 0644));
}

static int
teardown(void **state)
{
	return (nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS));
}

/* Copy s to out with each "@" replaced by the fixtures' directory. */
static void
expand(const char *s, char *out, size_t len)
{
	size_t	 o = 0, n;

	for (; *s != '\0'; s++) {
		if (*s == '@') {
			n = strlen(tmpdir);
			assert_true(o + n < len);
			memcpy(out + o, tmpdir, n);
			o += n;
		} else {
			assert_true(o + 1 < len);
			out[o++] = *s;
		}
	}
	out[o] = '\0';
}

static void
set_mode(const char *rel, mode_t mode)
{
	assert_int_equal(chmod(fx(rel), mode), 0);
}

static void
write_file(const char *rel, const char *data, size_t len)
{
	int	 fd;

	fd = open(fx(rel), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static struct conf *
load_good(void)
{
	struct conf	*conf;
	char		 err[1024];

	conf = conf_load(fx("good/circlinkd.conf"), err, sizeof(err));
	if (conf == NULL)
		fail_msg("%s", err);
	return (conf);
}

/* Loading main (a fixture) fails with exactly this message, "@" expanded. */
static void
expect_error(const char *main, const char *message)
{
	char	 err[1024], want[1024];

	expand(message, want, sizeof(want));
	memset(err, 'x', sizeof(err));
	assert_null(conf_load(fx(main), err, sizeof(err)));
	assert_string_equal(err, want);
}

static struct conf_listener *
listener_at(struct conf *conf, int n)
{
	struct conf_listener	*l;

	TAILQ_FOREACH(l, &conf->listeners, entry)
		if (n-- == 0)
			return (l);
	fail_msg("too few listeners");
	abort();
}

static void
test_main_settings(void **state)
{
	struct conf	*conf = load_good();
	char		 want[PATH_MAX];

	expand("@/good/circlinkd.conf", want, sizeof(want));
	assert_string_equal(conf->path, want);
	assert_string_equal(conf->user, "circlink");
	assert_string_equal(conf->group, "circlink");
	expand("@/good/state", want, sizeof(want));
	assert_string_equal(conf->state_dir, want);
	expand("@/good/keys/store.key", want, sizeof(want));
	assert_string_equal(conf->store_key, want);
	assert_int_equal(conf->log_level, LOG_DEBUG);
	assert_string_equal(conf->log_facility, "local3");
	assert_int_equal(conf->trace, TRACE_SIP2 | TRACE_TLS | TRACE_CONFIG);
	assert_int_equal(conf->max_sessions, 20000);
	conf_free(conf);
}

static void
test_listener_plain(void **state)
{
	struct conf		*conf = load_good();
	struct conf_listener	*l = listener_at(conf, 0);
	char			 want[PATH_MAX];

	expand("@/good/circlinkd.conf", want, sizeof(want));
	assert_string_equal(l->file, want);
	assert_int_equal(l->line, 11);
	assert_string_equal(l->address, "127.0.0.1");
	assert_int_equal(l->port, 6001);
	assert_int_equal(l->tls.enabled, 0);
	assert_null(l->tls.cert);
	assert_int_equal(l->status_before_login, 0);
	assert_int_equal(l->idle_timeout, 600);
	assert_int_equal(l->login_attempts, 5);
	conf_free(conf);
}

static void
test_listener_tls(void **state)
{
	struct conf		*conf = load_good();
	struct conf_listener	*l = listener_at(conf, 1);
	char			 want[PATH_MAX];
	uint8_t			 pin0[CONF_PIN_LEN], pin1[CONF_PIN_LEN];
	int			 i;

	for (i = 0; i < CONF_PIN_LEN; i++) {
		pin0[i] = i;
		pin1[i] = 0xa0 + i;
	}
	assert_int_equal(l->port, 6002);
	assert_int_equal(l->tls.enabled, 1);
	expand("@/good/tls/gateway.crt", want, sizeof(want));
	assert_string_equal(l->tls.cert, want);
	expand("@/good/tls/gateway.key", want, sizeof(want));
	assert_string_equal(l->tls.key, want);
	expand("@/good/tls/kiosks-ca.pem", want, sizeof(want));
	assert_string_equal(l->tls.ca, want);
	assert_int_equal(l->tls.verify_peer, CONF_VERIFY_OPTIONAL);
	assert_int_equal(l->tls.npins, 2);
	assert_memory_equal(l->tls.pins[0], pin0, CONF_PIN_LEN);
	assert_memory_equal(l->tls.pins[1], pin1, CONF_PIN_LEN);
	assert_null(l->tls.server_name);
	/* Defaults of a block that sets none of them. */
	assert_int_equal(l->status_before_login, 1);
	assert_int_equal(l->idle_timeout, 900);
	assert_int_equal(l->login_attempts, 3);
	conf_free(conf);
}

static void
test_listener_client_ca_requires_certificates(void **state)
{
	struct conf		*conf = load_good();
	struct conf_listener	*l = listener_at(conf, 2);

	assert_int_equal(l->port, 6003);
	assert_int_equal(l->line, 27);
	assert_non_null(l->tls.ca);
	assert_int_equal(l->tls.verify_peer, CONF_VERIFY_REQUIRED);
	assert_int_equal(l->tls.npins, 0);
	conf_free(conf);
}

static void
test_listener_ipv6_and_port_zero(void **state)
{
	struct conf		*conf = load_good();
	struct conf_listener	*l;

	l = listener_at(conf, 3);
	assert_string_equal(l->address, "::1");
	assert_int_equal(l->port, 0);
	l = listener_at(conf, 4);
	assert_string_equal(l->address, "127.0.0.1");
	assert_int_equal(l->port, 0);
	assert_null(TAILQ_NEXT(l, entry));
	conf_free(conf);
}

static void
test_partner_metro(void **state)
{
	struct conf		*conf = load_good();
	struct conf_partner	*p = conf_partner_find(conf, "metro");
	char			 want[PATH_MAX];

	assert_non_null(p);
	assert_ptr_equal(p, TAILQ_FIRST(&conf->partners));
	expand("@/good/partners/metro.conf", want, sizeof(want));
	assert_string_equal(p->file, want);
	assert_int_equal(p->line, 3);
	assert_string_equal(p->id, "metro");
	assert_string_equal(p->name, "Metro Public Library");
	assert_int_equal(p->ninstitutions, 2);
	assert_string_equal(p->institutions[0], "METRO");
	assert_string_equal(p->institutions[1], "METRO-ILL");
	assert_int_equal(p->npatron_patterns, 2);
	assert_string_equal(p->patron_patterns[0], "2100*");
	assert_string_equal(p->patron_patterns[1], "2101?????");
	assert_int_equal(p->nitem_patterns, 1);
	assert_string_equal(p->item_patterns[0], "3100*");
	assert_int_equal(p->nlocations, 2);
	assert_string_equal(p->locations[0], "MAIN");
	assert_string_equal(p->locations[1], "EAST");
	assert_int_equal(p->has_backend, 1);
	conf_free(conf);
}

static void
test_backend_every_setting(void **state)
{
	struct conf		*conf = load_good();
	struct conf_backend	*b = &conf_partner_find(conf, "metro")->backend;
	char			 want[PATH_MAX];
	uint8_t			 pin[CONF_PIN_LEN];
	int			 i;

	for (i = 0; i < CONF_PIN_LEN; i++)
		pin[i] = 0x40 + i;
	assert_int_equal(b->proto, BACKEND_SIP2);
	assert_string_equal(b->address, "127.0.0.1");
	assert_int_equal(b->port, 7001);
	assert_int_equal(b->tls.enabled, 1);
	expand("@/good/tls/ils-ca.pem", want, sizeof(want));
	assert_string_equal(b->tls.ca, want);
	assert_int_equal(b->tls.npins, 1);
	assert_memory_equal(b->tls.pins[0], pin, CONF_PIN_LEN);
	assert_string_equal(b->tls.server_name, "ils.metro.example");
	expand("@/good/tls/client.crt", want, sizeof(want));
	assert_string_equal(b->tls.cert, want);
	expand("@/good/tls/client.key", want, sizeof(want));
	assert_string_equal(b->tls.key, want);
	assert_string_equal(b->login, "circlink");
	assert_string_equal(b->password, "metro \"ils\" pw");
	assert_string_equal(b->location, "GW");
	assert_int_equal(b->wire.charset, SIP2_CS_CP850);
	assert_int_equal(b->wire.term, SIP2_TERM_CRLF);
	assert_int_equal(b->wire.delim, '^');
	assert_int_equal(b->wire.checksums, 0);
	assert_int_equal(b->pool, 4);
	assert_int_equal(b->timeout_ms, 1500);
	assert_int_equal(b->connect_timeout_ms, 3000);
	assert_int_equal(b->queue_max, 100);
	conf_free(conf);
}

static void
test_backend_defaults(void **state)
{
	struct conf		*conf = load_good();
	struct conf_backend	*b;

	b = &conf_partner_find(conf, "district")->backend;
	assert_string_equal(b->address, "127.0.0.1");
	assert_int_equal(b->port, 7002);
	assert_int_equal(b->tls.enabled, 0);
	assert_null(b->tls.ca);
	assert_int_equal(b->tls.npins, 0);
	assert_string_equal(b->login, "circlink");
	assert_string_equal(b->password, "district-ils-pw");
	assert_null(b->location);
	assert_int_equal(b->wire.charset, SIP2_CS_UTF8);
	assert_int_equal(b->wire.term, SIP2_TERM_CR);
	assert_int_equal(b->wire.delim, '|');
	assert_int_equal(b->wire.checksums, 1);
	assert_int_equal(b->pool, 2);
	assert_int_equal(b->timeout_ms, 750);	/* a bare number is ms */
	assert_int_equal(b->connect_timeout_ms, 2000);
	assert_int_equal(b->queue_max, 256);

	/* A backend line without a block takes every default. */
	b = &conf_partner_find(conf, "library.of-things")->backend;
	assert_string_equal(b->address, "::1");
	assert_int_equal(b->port, 7003);
	assert_null(b->login);
	assert_null(b->password);
	assert_int_equal(b->timeout_ms, 5000);
	assert_int_equal(b->pool, 2);
	assert_int_equal(b->wire.checksums, 1);
	conf_free(conf);
}

static void
test_terminal_every_setting(void **state)
{
	struct conf		*conf = load_good();
	struct conf_terminal	*t = conf_terminal_find(conf, "metro-kiosk");
	char			 want[PATH_MAX];

	assert_non_null(t);
	assert_ptr_equal(t, TAILQ_FIRST(&conf->terminals));
	expand("@/good/partners/metro.conf", want, sizeof(want));
	assert_string_equal(t->file, want);
	assert_int_equal(t->line, 33);
	assert_string_equal(t->login, "metro-kiosk");
	assert_string_equal(t->password_hash, H_METRO_KIOSK);
	assert_ptr_equal(t->partner, conf_partner_find(conf, "metro"));
	assert_string_equal(t->location, "MAIN");
	assert_int_equal(t->wire.charset, SIP2_CS_LATIN1);
	assert_int_equal(t->wire.term, SIP2_TERM_LF);
	assert_int_equal(t->wire.delim, '|');
	assert_int_equal(t->wire.checksums, 1);
	assert_int_equal(t->perms, PERM_CIRCULATION | PERM_PATRON);

	t = conf_terminal_find(conf, "metro-desk");
	assert_non_null(t);
	assert_string_equal(t->location, "EAST");
	assert_int_equal(t->perms, PERM_FINES | PERM_ITEM | PERM_CATALOGING);
	conf_free(conf);
}

static void
test_terminal_defaults(void **state)
{
	struct conf		*conf = load_good();
	struct conf_terminal	*t;

	t = conf_terminal_find(conf, "district-desk");
	assert_non_null(t);
	assert_ptr_equal(t->partner, conf_partner_find(conf, "district"));
	assert_string_equal(t->location, "LINCOLN");
	assert_int_equal(t->wire.charset, SIP2_CS_UTF8);
	assert_int_equal(t->wire.term, SIP2_TERM_CR);
	assert_int_equal(t->wire.delim, '|');
	assert_int_equal(t->wire.checksums, 0);	/* follows the request */
	assert_int_equal(t->perms, PERM_ALL);

	t = conf_terminal_find(conf, "district-vendor");
	assert_non_null(t);
	assert_null(t->location);
	assert_null(TAILQ_NEXT(t, entry));
	conf_free(conf);
}

static void
test_partner_defaults(void **state)
{
	struct conf		*conf = load_good();
	struct conf_partner	*p = conf_partner_find(conf, "district");

	assert_non_null(p);
	assert_string_equal(p->name, "district");	/* the id */
	assert_int_equal(p->ninstitutions, 1);
	assert_string_equal(p->institutions[0], "DISTRICT");
	assert_string_equal(p->patron_patterns[0], "2200*");
	assert_string_equal(p->item_patterns[0], "3200*");
	assert_int_equal(p->nlocations, 2);
	assert_string_equal(p->locations[1], "WESTHIGH");
	conf_free(conf);
}

static void
test_include_relative_to_including_file(void **state)
{
	struct conf		*conf = load_good();
	struct conf_partner	*p = conf_partner_find(conf, "ebooks");
	char			 want[PATH_MAX];

	assert_non_null(p);
	expand("@/good/partners/vendors/ebooks.conf", want, sizeof(want));
	assert_string_equal(p->file, want);
	assert_int_equal(p->line, 2);
	assert_int_equal(p->has_backend, 0);
	conf_free(conf);
}

static void
test_partner_order_follows_files(void **state)
{
	struct conf		*conf = load_good();
	struct conf_partner	*p;
	const char		*order[] = {
		"metro", "district", "ebooks", "library.of-things"
	};
	size_t			 i = 0;

	TAILQ_FOREACH(p, &conf->partners, entry) {
		assert_true(i < 4);
		assert_string_equal(p->id, order[i++]);
	}
	assert_int_equal(i, 4);
	conf_free(conf);
}

static void
test_string_escapes(void **state)
{
	struct conf		*conf = load_good();
	struct conf_partner	*p;

	p = conf_partner_find(conf, "library.of-things");
	assert_non_null(p);
	assert_string_equal(p->name, "Tool \"Library\" \\ Things #1");
	assert_string_equal(p->institutions[0], "TOOLS");
	conf_free(conf);
}

static void
test_defaults(void **state)
{
	struct conf		*conf;
	struct conf_listener	*l;
	char			 err[1024];

	conf = conf_load(fx("minimal.conf"), err, sizeof(err));
	assert_non_null(conf);
	assert_null(conf->user);
	assert_null(conf->group);
	assert_string_equal(conf->state_dir, LOCALSTATEDIR "/lib/circlink");
	assert_string_equal(conf->store_key, SYSCONFDIR "/circlink/store.key");
	assert_int_equal(conf->log_level, LOG_INFO);
	assert_string_equal(conf->log_facility, "daemon");
	assert_int_equal(conf->trace, 0);
	assert_int_equal(conf->max_sessions, 10000);
	assert_true(TAILQ_EMPTY(&conf->partners));
	assert_true(TAILQ_EMPTY(&conf->terminals));
	l = TAILQ_FIRST(&conf->listeners);
	assert_non_null(l);
	assert_int_equal(l->tls.enabled, 0);
	assert_int_equal(l->status_before_login, 1);
	assert_int_equal(l->idle_timeout, 900);
	assert_int_equal(l->login_attempts, 3);
	conf_free(conf);
}

static void
test_find_unknown(void **state)
{
	struct conf	*conf = load_good();

	assert_null(conf_partner_find(conf, "nowhere"));
	assert_null(conf_partner_find(conf, "Metro"));
	assert_null(conf_terminal_find(conf, "metro-kiosk2"));
	assert_null(conf_terminal_find(conf, ""));
	conf_free(conf);
}

static void
test_backend_same(void **state)
{
	struct conf		*a = load_good(), *b = load_good();
	struct conf_backend	*x = &conf_partner_find(a, "metro")->backend;
	struct conf_backend	*y = &conf_partner_find(b, "metro")->backend;
	char			*saved;

	assert_int_equal(conf_backend_same(x, y), 1);
	assert_int_equal(conf_backend_same(x,
	    &conf_partner_find(b, "district")->backend), 0);

	y->pool++;
	assert_int_equal(conf_backend_same(x, y), 0);
	y->pool--;
	y->tls.pins[0][31] ^= 1;
	assert_int_equal(conf_backend_same(x, y), 0);
	y->tls.pins[0][31] ^= 1;
	y->wire.delim = '|';
	assert_int_equal(conf_backend_same(x, y), 0);
	y->wire.delim = '^';
	saved = y->password;
	y->password = NULL;
	assert_int_equal(conf_backend_same(x, y), 0);
	y->password = saved;
	y->timeout_ms++;
	assert_int_equal(conf_backend_same(x, y), 0);
	y->timeout_ms--;
	assert_int_equal(conf_backend_same(x, y), 1);
	conf_free(a);
	conf_free(b);
}

static void
test_terminal_hash_checks(void **state)
{
	struct conf		*conf = load_good();
	struct conf_terminal	*t;

	t = conf_terminal_find(conf, "metro-kiosk");
	assert_int_equal(auth_check_password("metro-kiosk-pw",
	    t->password_hash), 1);
	assert_int_equal(auth_check_password("metro-desk-pw",
	    t->password_hash), 0);
	t = conf_terminal_find(conf, "metro-desk");
	assert_int_equal(auth_check_password("metro-desk-pw",
	    t->password_hash), 1);
	t = conf_terminal_find(conf, "district-desk");
	assert_int_equal(auth_check_password("district-desk-pw",
	    t->password_hash), 1);
	conf_free(conf);
}

static void
test_crlf_and_comments(void **state)
{
	static const char text[] =
	    "# comment\r\n"
	    "log-level warn   # trailing comment\r\n"
	    "\r\n"
	    "trace all\r\n"
	    "partner p { # comment after a brace\r\n"
	    "\tname \"a # is not a comment\"\r\n"
	    "\tinstitution P\r\n"
	    "}";
	struct conf	*conf;
	char		 err[1024];

	write_file("crlf.conf", text, sizeof(text) - 1);
	conf = conf_load(fx("crlf.conf"), err, sizeof(err));
	if (conf == NULL)
		fail_msg("%s", err);
	assert_int_equal(conf->log_level, LOG_WARNING);
	assert_int_equal(conf->trace, TRACE_ALL);
	assert_string_equal(conf_partner_find(conf, "p")->name,
	    "a # is not a comment");
	conf_free(conf);
}

static void
test_relative_main_path(void **state)
{
	struct conf	*conf;
	char		 cwd[PATH_MAX], err[1024], want[PATH_MAX];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(tmpdir), 0);
	conf = conf_load("good/circlinkd.conf", err, sizeof(err));
	assert_null(conf_load("bad/unknown-keyword.conf", err, sizeof(err)));
	assert_int_equal(chdir(cwd), 0);

	/* Messages name files as the administrator would. */
	assert_string_equal(err,
	    "bad/partners/typo.conf:6: unknown keyword \"passwrd\"");
	/* Stored paths are absolute, so a reload after chdir works. */
	assert_non_null(conf);
	expand("@/good/circlinkd.conf", want, sizeof(want));
	assert_string_equal(conf->path, want);
	expand("@/good/tls/gateway.crt", want, sizeof(want));
	assert_string_equal(listener_at(conf, 1)->tls.cert, want);
	assert_string_equal(conf_partner_find(conf, "metro")->file,
	    "good/partners/metro.conf");
	conf_free(conf);
}

static void
test_secret_file_group_readable(void **state)
{
	struct conf	*conf;

	set_mode("good/partners/metro.conf", 0640);
	set_mode("good/tls/gateway.key", 0640);
	conf = load_good();
	conf_free(conf);
}

static void
test_secret_file_readable_by_others(void **state)
{
	set_mode("good/partners/metro.conf", 0604);
	expect_error("good/circlinkd.conf", "@/good/partners/metro.conf: "
	    "holds secrets but is accessible by others; chmod o-rwx");
}

static void
test_secret_file_writable_by_others(void **state)
{
	set_mode("good/partners/district.conf", 0602);
	expect_error("good/circlinkd.conf", "@/good/partners/district.conf: "
	    "holds secrets but is accessible by others; chmod o-rwx");
}

static void
test_secret_in_main_file(void **state)
{
	set_mode("bad/secret-in-main.conf", 0644);
	expect_error("bad/secret-in-main.conf", "@/bad/secret-in-main.conf: "
	    "holds secrets but is accessible by others; chmod o-rwx");
}

static void
test_key_file_readable_by_others(void **state)
{
	set_mode("good/tls/gateway.key", 0604);
	expect_error("good/circlinkd.conf", "@/good/circlinkd.conf:19: "
	    "@/good/tls/gateway.key: holds secrets but is accessible by "
	    "others; chmod o-rwx");
}

static void
test_backend_key_file_readable_by_others(void **state)
{
	set_mode("good/tls/client.key", 0601);
	expect_error("good/circlinkd.conf", "@/good/partners/metro.conf:19: "
	    "@/good/tls/client.key: holds secrets but is accessible by "
	    "others; chmod o-rwx");
}

static void
test_missing_main_file(void **state)
{
	expect_error("nonexistent.conf",
	    "@/nonexistent.conf: No such file or directory");
}

static void
test_main_file_is_directory(void **state)
{
	expect_error("good", "@/good: not a regular file");
}

static void
test_control_character(void **state)
{
	static const char text[] = "user circ\001link\n";

	write_file("ctl.conf", text, sizeof(text) - 1);
	expect_error("ctl.conf", "@/ctl.conf:1: invalid character 0x01");
}

static void
test_nul_byte(void **state)
{
	static const char text[] = "# ok\n\nuser \"circ\0link\"\n";

	write_file("nul.conf", text, sizeof(text) - 1);
	expect_error("nul.conf", "@/nul.conf:3: invalid character 0x00 in "
	    "string");
}

static void
test_word_too_long(void **state)
{
	char	 text[2100];

	memcpy(text, "user ", 5);
	memset(text + 5, 'a', 2000);
	text[2005] = '\n';
	write_file("long.conf", text, 2006);
	expect_error("long.conf", "@/long.conf:1: word too long");
}

static void
test_file_too_large(void **state)
{
	char	*text;
	size_t	 len = 1024 * 1024 + 1;

	text = malloc(len);
	assert_non_null(text);
	memset(text, '\n', len);
	write_file("big.conf", text, len);
	free(text);
	expect_error("big.conf", "@/big.conf: larger than 1048576 bytes");
}

static void
test_no_error_buffer(void **state)
{
	assert_null(conf_load(fx("bad/dup-partner.conf"), NULL, 0));
	conf_free(NULL);
}

static void
test_error_buffer_truncates(void **state)
{
	char	 err[12];

	assert_null(conf_load(fx("bad/dup-partner.conf"), err, sizeof(err)));
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_memory_equal(err, tmpdir, sizeof(err) - 1);
}

static void
test_unknown_keyword(void **state)
{
	expect_error("bad/unknown-keyword.conf",
	    "@/bad/partners/typo.conf:6: unknown keyword \"passwrd\"");
}

static void
test_missing_value(void **state)
{
	expect_error("bad/missing-value.conf",
	    "@/bad/missing-value.conf:2: \"user\" needs a value");
}

static void
test_extra_value(void **state)
{
	expect_error("bad/extra-value.conf", "@/bad/extra-value.conf:2: "
	    "unexpected \"circlink2\" after \"user\"");
}

static void
test_duplicate_partner(void **state)
{
	expect_error("bad/dup-partner.conf", "@/bad/dup-partner.conf:5: "
	    "partner \"metro\" is already defined at "
	    "@/bad/dup-partner.conf:2");
}

static void
test_duplicate_terminal(void **state)
{
	expect_error("bad/dup-terminal.conf", "@/bad/dup-terminal.conf:10: "
	    "terminal \"kiosk\" is already defined at "
	    "@/bad/dup-terminal.conf:4");
}

static void
test_duplicate_listener(void **state)
{
	expect_error("bad/dup-listener.conf", "@/bad/dup-listener.conf:4: "
	    "127.0.0.1 port 6001 is already a listener at "
	    "@/bad/dup-listener.conf:2");
}

static void
test_duplicate_institution(void **state)
{
	expect_error("bad/dup-institution.conf",
	    "@/bad/dup-institution.conf:7: institution \"METRO\" already "
	    "belongs to partner \"metro\" (@/bad/dup-institution.conf:2)");
}

static void
test_terminal_location_not_partners(void **state)
{
	expect_error("bad/terminal-location.conf",
	    "@/bad/terminal-location.conf:4: terminal \"kiosk\": location "
	    "\"WEST\" is not a location of partner \"metro\"");
}

static void
test_tls_listener_without_certificate(void **state)
{
	expect_error("bad/tls-no-certificate.conf",
	    "@/bad/tls-no-certificate.conf:2: a tls listener needs "
	    "\"certificate\"");
}

static void
test_tls_setting_on_plain_listener(void **state)
{
	expect_error("bad/tls-not-enabled.conf",
	    "@/bad/tls-not-enabled.conf:4: \"certificate\" needs \"tls\" "
	    "after the port");
}

static void
test_missing_certificate_file(void **state)
{
	expect_error("bad/missing-certificate.conf",
	    "@/bad/missing-certificate.conf:3: @/bad/nonexistent.crt: "
	    "No such file or directory");
}

static void
test_port_out_of_range(void **state)
{
	expect_error("bad/port-range.conf", "@/bad/port-range.conf:2: "
	    "\"port\": 65536 is out of range (0-65535)");
}

static void
test_partner_without_institution(void **state)
{
	expect_error("bad/no-institution.conf", "@/bad/no-institution.conf:2: "
	    "partner \"metro\" has no \"institution\"");
}

static void
test_include_loop(void **state)
{
	expect_error("bad/include-loop.conf", "@/bad/include-loop.conf:2: "
	    "\"include\" nested more than 8 deep");
}

static void
test_include_missing(void **state)
{
	expect_error("bad/include-missing.conf",
	    "@/bad/include-missing.conf:3: @/bad/partners/none.conf: "
	    "No such file or directory");
}

static void
test_main_only_keyword_in_include(void **state)
{
	expect_error("bad/main-only.conf", "@/bad/partners/listen.conf:2: "
	    "\"listen\" is only allowed in the main file");
}

static void
test_unterminated_string(void **state)
{
	expect_error("bad/unterminated-string.conf",
	    "@/bad/unterminated-string.conf:3: unterminated string");
}

static void
test_bad_escape(void **state)
{
	expect_error("bad/bad-escape.conf", "@/bad/bad-escape.conf:3: "
	    "invalid escape \"\\n\" in string");
}

static void
test_bad_pin(void **state)
{
	expect_error("bad/bad-pin.conf", "@/bad/bad-pin.conf:5: \"pin\": "
	    "\"sha256:00:01:02\" is not sha256: and 32 bytes in hex");
}

static void
test_too_many_pins(void **state)
{
	expect_error("bad/too-many-pins.conf", "@/bad/too-many-pins.conf:9: "
	    "too many \"pin\" (at most 4)");
}

static void
test_bad_number(void **state)
{
	expect_error("bad/bad-number.conf", "@/bad/bad-number.conf:3: "
	    "\"idle-timeout\": \"abc\" is not a number");
}

static void
test_bad_duration(void **state)
{
	expect_error("bad/bad-duration.conf", "@/bad/bad-duration.conf:5: "
	    "\"timeout\": \"5min\" is not a duration such as 500ms or 5s");
}

static void
test_duration_out_of_range(void **state)
{
	expect_error("bad/duration-range.conf",
	    "@/bad/duration-range.conf:5: \"connect-timeout\": 601s is out "
	    "of range (1ms-600s)");
}

static void
test_bad_charset(void **state)
{
	expect_error("bad/bad-charset.conf", "@/bad/bad-charset.conf:6: "
	    "\"charset\": unknown value \"latin9\" (utf-8, ascii, cp850 or "
	    "iso-8859-1)");
}

static void
test_unclosed_block(void **state)
{
	expect_error("bad/unclosed-block.conf",
	    "@/bad/unclosed-block.conf:2: this block has no closing \"}\"");
}

static void
test_malformed_password_hash(void **state)
{
	expect_error("bad/bad-hash.conf", "@/bad/bad-hash.conf:5: "
	    "\"password-hash\": not a hash made by \"circlinkctl "
	    "hash-password\"");
}

static void
test_too_many_institutions(void **state)
{
	expect_error("bad/too-many-institutions.conf",
	    "@/bad/too-many-institutions.conf:11: too many \"institution\" "
	    "(at most 8)");
}

static void
test_setting_given_twice(void **state)
{
	expect_error("bad/set-twice.conf", "@/bad/set-twice.conf:6: "
	    "\"pool\" is already set at line 5");
}

static void
test_host_name_address(void **state)
{
	expect_error("bad/bad-address.conf", "@/bad/bad-address.conf:2: "
	    "\"listen\": \"localhost\" is not a numeric IP address");
}

static void
test_client_certificate_unverifiable(void **state)
{
	expect_error("bad/client-cert-unverifiable.conf",
	    "@/bad/client-cert-unverifiable.conf:5: \"client-certificate\" "
	    "needs \"client-ca\" or \"pin\" to verify it with");
}

static void
test_backend_tls_setting_without_tls(void **state)
{
	expect_error("bad/backend-tls-off.conf",
	    "@/bad/backend-tls-off.conf:6: \"ca\" needs \"tls yes\"");
}

static void
test_partner_without_block(void **state)
{
	expect_error("bad/partner-no-block.conf",
	    "@/bad/partner-no-block.conf:2: expected \"{\" after partner "
	    "\"metro\", not end of line");
}

static void
test_unknown_backend_protocol(void **state)
{
	expect_error("bad/backend-protocol.conf",
	    "@/bad/backend-protocol.conf:4: \"backend\": unknown protocol "
	    "\"z3950\" (expected sip2 or ncip)");
}

static void
test_search_backend_must_be_ncip(void **state)
{
	expect_error("bad/search-backend-sip2.conf",
	    "@/bad/search-backend-sip2.conf:5: \"search-backend\": only ncip "
	    "can search by bibliographic id");
}

static void
test_bad_delimiter(void **state)
{
	expect_error("bad/bad-delimiter.conf", "@/bad/bad-delimiter.conf:5: "
	    "\"delimiter\" must be one printable character, not a letter or "
	    "digit");
}

static void
test_password_without_login(void **state)
{
	expect_error("bad/password-no-login.conf",
	    "@/bad/password-no-login.conf:5: \"password\" needs \"login\"");
}

static void
test_unexpected_close(void **state)
{
	expect_error("bad/unexpected-close.conf",
	    "@/bad/unexpected-close.conf:3: unexpected \"}\"");
}

static void
test_secret_not_echoed(void **state)
{
	static const char text[] =
	    "partner m {\n"
	    "\tinstitution M\n"
	    "\tbackend sip2 127.0.0.1 port 1 {\n"
	    "\t\tlogin l\n"
	    "\t\tpassword two words\n"
	    "\t}\n"
	    "}\n";
	char	 err[1024];

	write_file("echo.conf", text, sizeof(text) - 1);
	assert_null(conf_load(fx("echo.conf"), err, sizeof(err)));
	assert_null(strstr(err, "words"));
	assert_non_null(strstr(err, "echo.conf:5: "));
}


static struct conf *
load_ncip(void)
{
	struct conf	*conf;
	char		 err[1024];

	conf = conf_load(fx("ncip/circlinkd.conf"), err, sizeof(err));
	if (conf == NULL)
		fail_msg("%s", err);
	return (conf);
}

static void
test_ncip_listeners(void **state)
{
	struct conf		*conf = load_ncip();
	struct conf_listener	*l;

	assert_int_equal(conf->trace, TRACE_NCIP | TRACE_BACKEND);
	l = listener_at(conf, 0);
	assert_int_equal(l->port, 8080);
	assert_int_equal(l->ncip, 1);
	assert_int_equal(l->tls.enabled, 0);
	assert_int_equal(l->idle_timeout, 60);	/* an HTTP keep-alive */
	l = listener_at(conf, 1);
	assert_int_equal(l->ncip, 1);
	assert_int_equal(l->tls.enabled, 1);
	/* Partners' pins verify client certificates: no client-ca needed. */
	assert_int_equal(l->tls.verify_peer, CONF_VERIFY_OPTIONAL);
	assert_null(l->tls.ca);
	assert_int_equal(l->idle_timeout, 120);
	l = listener_at(conf, 2);
	assert_int_equal(l->port, 8444);
	assert_int_equal(l->ncip, 1);
	assert_int_equal(l->tls.enabled, 1);
	assert_int_equal(l->tls.verify_peer, CONF_VERIFY_REQUIRED);
	l = listener_at(conf, 3);
	assert_int_equal(l->ncip, 0);
	assert_int_equal(l->idle_timeout, 900);
	conf_free(conf);
}

static void
test_ncip_caller_authentication(void **state)
{
	struct conf		*conf = load_ncip();
	struct conf_partner	*p;
	uint8_t			 pin[CONF_PIN_LEN];
	int			 i;

	p = conf_partner_find(conf, "metro");
	assert_string_equal(p->ncip_token, "metro-token-0123456789abcdef");
	assert_null(p->ncip_agency_auth);
	assert_int_equal(p->ncip_npins, 0);
	/* Without ncip-auth, every credential given is required. */
	assert_int_equal(p->ncip_auth, NCIP_CALLER_TOKEN);

	p = conf_partner_find(conf, "district");
	assert_null(p->ncip_token);
	assert_string_equal(p->ncip_agency_auth, "district agency secret");
	assert_int_equal(p->ncip_npins, 2);
	for (i = 0; i < CONF_PIN_LEN; i++)
		pin[i] = 0xa0 + i;
	assert_memory_equal(p->ncip_pins[0], pin, CONF_PIN_LEN);
	for (i = 0; i < CONF_PIN_LEN; i++)
		pin[i] = i;
	assert_memory_equal(p->ncip_pins[1], pin, CONF_PIN_LEN);
	assert_int_equal(p->ncip_auth, NCIP_CALLER_AGENCY | NCIP_CALLER_CERT);

	p = conf_partner_find(conf, "tools");
	assert_non_null(p->ncip_token);
	assert_int_equal(p->ncip_auth, NCIP_CALLER_CERT);

	/* A partner with no NCIP credential may not call at all. */
	conf_free(conf);
	conf = load_good();
	assert_int_equal(conf_partner_find(conf, "metro")->ncip_auth, 0);
	conf_free(conf);
}

static void
test_ncip_backend_every_setting(void **state)
{
	struct conf			*conf = load_ncip();
	struct conf_backend		*b;
	struct conf_ncip_profile	*n;
	char				 want[PATH_MAX];

	b = &conf_partner_find(conf, "metro")->backend;
	n = &b->ncip;
	assert_int_equal(b->proto, BACKEND_NCIP);
	assert_string_equal(b->address, "127.0.0.1");
	assert_int_equal(b->port, 7081);
	assert_int_equal(b->tls.enabled, 1);
	expand("@/good/tls/ils-ca.pem", want, sizeof(want));
	assert_string_equal(b->tls.ca, want);
	assert_int_equal(b->tls.npins, 1);
	assert_string_equal(b->tls.server_name, "ncip.metro.example");
	expand("@/good/tls/client.key", want, sizeof(want));
	assert_string_equal(b->tls.key, want);
	assert_string_equal(n->path, "/symws/ncip/v1");
	assert_string_equal(n->token, "ils-token.7~x_Y-2");
	assert_int_equal(n->version, 1);
	assert_string_equal(n->version_str, NCIP_V1_01);
	assert_int_equal(n->ns_style, NCIP_NSS_NONE);
	assert_int_equal(n->qualified_attrs, 0);
	assert_string_equal(n->from_agency, "CIRCLINK");
	assert_string_equal(n->to_agency, "METRO-ILS");
	assert_string_equal(n->from_agency_auth, "metro \"agency\" secret");
	assert_string_equal(n->app_profile, "CIRCLINK-METRO");
	assert_int_equal(n->user_by_auth, 1);
	assert_string_equal(n->auth_barcode_type, "User Id");
	assert_string_equal(n->auth_pin_type, "Password");
	assert_string_equal(n->request_type, "Page");
	assert_string_equal(n->request_scope, "Item");
	assert_int_equal(b->pool, 3);
	assert_int_equal(b->timeout_ms, 2500);
	assert_int_equal(b->connect_timeout_ms, 1000);
	assert_int_equal(b->queue_max, 50);
	assert_int_equal(b->keepalive_ms, 10000);
	conf_free(conf);
}

static void
test_ncip_backend_defaults(void **state)
{
	struct conf			*conf = load_ncip();
	struct conf_backend		*b;
	struct conf_ncip_profile	*n;

	b = &conf_partner_find(conf, "district")->backend;
	n = &b->ncip;
	assert_int_equal(b->proto, BACKEND_NCIP);
	assert_int_equal(b->port, 7082);
	assert_int_equal(b->tls.enabled, 0);
	assert_string_equal(n->path, "/ncip");
	assert_null(n->token);
	assert_int_equal(n->version, 2);
	assert_null(n->version_str);		/* the codec's: 2.02 */
	assert_int_equal(n->ns_style, NCIP_NSS_DEFAULT);
	assert_int_equal(n->qualified_attrs, 1);
	assert_null(n->from_agency);
	assert_null(n->to_agency);
	assert_null(n->from_agency_auth);
	assert_null(n->app_profile);
	assert_int_equal(n->user_by_auth, 0);
	assert_string_equal(n->auth_barcode_type, "Barcode Id");
	assert_string_equal(n->auth_pin_type, "PIN");
	assert_string_equal(n->request_type, "Hold");
	assert_string_equal(n->request_scope, "Bibliographic Item");
	assert_int_equal(b->pool, 2);
	assert_int_equal(b->timeout_ms, 5000);
	assert_int_equal(b->queue_max, 256);

	n = &conf_partner_find(conf, "tools")->backend.ncip;
	assert_int_equal(n->version, 2);
	assert_string_equal(n->version_str, NCIP_V2_0);
	assert_int_equal(n->ns_style, NCIP_NSS_PREFIX);
	conf_free(conf);
}

static void
test_ncip_backend_same(void **state)
{
	struct conf			*a = load_ncip(), *b = load_ncip();
	struct conf_backend		*x, *y;
	struct conf_ncip_profile	*n;
	char				*saved;
	size_t				 i;

	x = &conf_partner_find(a, "metro")->backend;
	y = &conf_partner_find(b, "metro")->backend;
	n = &y->ncip;
	assert_int_equal(conf_backend_same(x, y), 1);
	{
		char	**fields[] = { &n->version_str, &n->path, &n->token,
		    &n->from_agency, &n->to_agency, &n->from_agency_auth,
		    &n->app_profile, &n->auth_barcode_type,
		    &n->request_scope };

		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			saved = *fields[i];
			*fields[i] = NULL;
			if (conf_backend_same(x, y))
				fail_msg("string %zu not compared", i);
			*fields[i] = saved;
		}
	}
	n->version = 2;
	assert_int_equal(conf_backend_same(x, y), 0);
	n->version = 1;
	n->ns_style = NCIP_NSS_PREFIX;
	assert_int_equal(conf_backend_same(x, y), 0);
	n->ns_style = NCIP_NSS_NONE;
	n->qualified_attrs = 1;
	assert_int_equal(conf_backend_same(x, y), 0);
	n->qualified_attrs = 0;
	n->user_by_auth = 0;
	assert_int_equal(conf_backend_same(x, y), 0);
	n->user_by_auth = 1;
	saved = n->auth_pin_type;
	n->auth_pin_type = n->auth_barcode_type;
	assert_int_equal(conf_backend_same(x, y), 0);
	n->auth_pin_type = saved;
	saved = n->request_type;
	n->request_type = n->request_scope;
	assert_int_equal(conf_backend_same(x, y), 0);
	n->request_type = saved;
	y->keepalive_ms++;
	assert_int_equal(conf_backend_same(x, y), 0);
	y->keepalive_ms--;
	assert_int_equal(conf_backend_same(x, y), 1);
	conf_free(a);
	conf_free(b);
}

static void
test_ncip_token_file_readable_by_others(void **state)
{
	set_mode("ncip/partners/metro.conf", 0604);
	expect_error("ncip/circlinkd.conf", "@/ncip/partners/metro.conf: "
	    "holds secrets but is accessible by others; chmod o-rwx");
}

static void
test_ncip_sip2_setting_on_ncip_listener(void **state)
{
	expect_error("bad/ncip-sip2-keyword.conf",
	    "@/bad/ncip-sip2-keyword.conf:4: \"login-attempts\" is for SIP2 "
	    "listeners, not ncip ones");
}

static void
test_ncip_auth_without_credential(void **state)
{
	expect_error("bad/ncip-auth-no-pin.conf",
	    "@/bad/ncip-auth-no-pin.conf:4: \"ncip-auth\": certificate needs "
	    "\"ncip-client-pin\"");
}

static void
test_ncip_token_too_short(void **state)
{
	expect_error("bad/ncip-short-token.conf",
	    "@/bad/ncip-short-token.conf:4: \"ncip-token\" must be at least "
	    "16 characters long");
}

static void
test_ncip_token_needs_no_encoding(void **state)
{
	char	 err[1024];

	expect_error("bad/ncip-token-chars.conf",
	    "@/bad/ncip-token-chars.conf:4: \"ncip-token\" may hold only "
	    "letters, digits and \"-._~\"");
	assert_null(conf_load(fx("bad/ncip-token-chars.conf"), err,
	    sizeof(err)));
	assert_null(strstr(err, "0123456789"));
}

static void
test_ncip_token_of_two_partners(void **state)
{
	char	 err[1024];

	expect_error("bad/ncip-dup-token.conf",
	    "@/bad/ncip-dup-token.conf:9: \"ncip-token\" is also partner "
	    "\"metro\"'s (@/bad/ncip-dup-token.conf:2)");
	assert_null(conf_load(fx("bad/ncip-dup-token.conf"), err,
	    sizeof(err)));
	assert_null(strstr(err, "shared-token"));
}

static void
test_ncip_pin_of_two_partners(void **state)
{
	expect_error("bad/ncip-dup-pin.conf",
	    "@/bad/ncip-dup-pin.conf:8: \"ncip-client-pin\" is also partner "
	    "\"metro\"'s (@/bad/ncip-dup-pin.conf:2)");
}

static void
test_ncip_unknown_version(void **state)
{
	expect_error("bad/ncip-version.conf", "@/bad/ncip-version.conf:5: "
	    "\"version\": unknown value \"3.0\" (1.0, 1.01, 2.0, 2.01 or "
	    "2.02)");
}

static void
test_ncip_unknown_namespace(void **state)
{
	expect_error("bad/ncip-namespace.conf",
	    "@/bad/ncip-namespace.conf:5: \"namespace\": unknown value "
	    "\"ns2\"");
}

static void
test_ncip_version1_without_namespace(void **state)
{
	expect_error("bad/ncip-v1-namespace.conf",
	    "@/bad/ncip-v1-namespace.conf:6: \"namespace\": version 1 "
	    "messages have none");
}

static void
test_ncip_backend_refuses_sip2_settings(void **state)
{
	expect_error("bad/ncip-sip2-backend-keyword.conf",
	    "@/bad/ncip-sip2-backend-keyword.conf:6: unknown keyword "
	    "\"login\"");
	expect_error("bad/ncip-backend-keyword-on-sip2.conf",
	    "@/bad/ncip-backend-keyword-on-sip2.conf:5: unknown keyword "
	    "\"version\"");
}

static void
test_ncip_path_must_be_a_path(void **state)
{
	expect_error("bad/ncip-path.conf", "@/bad/ncip-path.conf:5: \"path\" "
	    "must start with \"/\" and hold only letters, digits and "
	    "\"-._~/\"");
}

static struct conf *
load_agreements(void)
{
	struct conf	*conf;
	char		 err[1024];

	conf = conf_load(fx("agreement/circlinkd.conf"), err, sizeof(err));
	if (conf == NULL)
		fail_msg("%s", err);
	return (conf);
}

static struct policy_terms *
terms_of(struct conf *conf, const char *id, const char *toward)
{
	struct conf_partner	*pa = conf_partner_find(conf, id);
	struct conf_agreement	*a;

	assert_non_null(pa);
	a = conf_agreement_find(pa, toward);
	assert_non_null(a);
	return (&a->terms);
}

static void
test_agreement_demo_terms(void **state)
{
	struct conf		*conf = load_agreements();
	struct conf_partner	*pa = conf_partner_find(conf, "metro");
	struct conf_agreement	*a = TAILQ_FIRST(&pa->agreements);
	struct policy_terms	*t;
	char			 want[PATH_MAX];

	/* metro toward district. */
	assert_non_null(a);
	expand("@/agreement/partners/metro.conf", want, sizeof(want));
	assert_string_equal(a->file, want);
	assert_int_equal(a->line, 7);
	assert_string_equal(a->partner, "district");
	t = &a->terms;
	assert_int_equal(t->accept, 1);
	assert_int_equal(t->nexclude, 1);
	assert_string_equal(t->exclude[0], "JUVENILE");
	assert_int_equal(t->withheld, POLICY_F_ADDRESS | POLICY_F_PHONE |
	    POLICY_F_BIRTH);
	assert_int_equal(t->titles, 1);
	assert_int_equal(t->nwithhold_collection, 1);
	assert_string_equal(t->withhold_collection[0], "ADULT-EXPLICIT");
	assert_int_equal(t->nwithhold_type, 0);
	assert_int_equal(t->nwithhold_location, 0);
	/* link-classes alone lets those classes have accounts. */
	assert_int_equal(t->link, 1);
	assert_int_equal(t->nlink_classes, 1);
	assert_string_equal(t->link_classes[0], "STUDENT");
	assert_int_equal(t->nlimits, 1);
	assert_string_equal(t->limits[0].pclass, "STUDENT");
	assert_int_equal(t->limits[0].loans, 10);
	assert_int_equal(t->limits[0].holds, -1);

	/* district toward metro. */
	t = terms_of(conf, "district", "metro");
	assert_int_equal(t->accept, 1);
	assert_int_equal(t->nexclude, 1);
	assert_string_equal(t->exclude[0], "STAFF");
	assert_int_equal(t->withheld, POLICY_F_ADDRESS | POLICY_F_PHONE |
	    POLICY_F_BIRTH);
	assert_int_equal(t->titles, 0);
	assert_int_equal(t->link, 0);
	assert_int_equal(t->nlimits, 0);
	conf_free(conf);
}

static void
test_agreement_every_keyword(void **state)
{
	struct conf		*conf = load_agreements();
	struct policy_terms	*t = terms_of(conf, "metro", "county");

	assert_int_equal(t->accept, 0);
	assert_int_equal(t->nexclude, 3);
	assert_string_equal(t->exclude[0], "STAFF");
	assert_string_equal(t->exclude[1], "Juvenile");
	assert_string_equal(t->exclude[2], "ADULT-RESTRICTED");
	/* withhold lines add up. */
	assert_int_equal(t->withheld, POLICY_F_NAME | POLICY_F_EMAIL |
	    POLICY_F_OTHER);
	assert_int_equal(t->titles, 0);		/* counts unless told */
	assert_int_equal(t->nwithhold_collection, 2);
	assert_string_equal(t->withhold_collection[0], "LOCAL-*");
	assert_string_equal(t->withhold_collection[1], "ARCHIVE");
	assert_int_equal(t->nwithhold_type, 1);
	assert_string_equal(t->withhold_type[0], "DVD");
	assert_int_equal(t->nwithhold_location, 2);
	assert_string_equal(t->withhold_location[0], "EAST");
	assert_string_equal(t->withhold_location[1], "RARE*");
	assert_int_equal(t->link, 1);
	assert_int_equal(t->nlink_classes, 2);
	assert_string_equal(t->link_classes[1], "SENIOR");
	assert_int_equal(t->nlimits, 2);
	assert_string_equal(t->limits[0].pclass, "ADULT");
	assert_int_equal(t->limits[0].loans, 20);
	assert_int_equal(t->limits[0].holds, 5);
	assert_string_equal(t->limits[1].pclass, "senior");
	assert_int_equal(t->limits[1].loans, -1);
	assert_int_equal(t->limits[1].holds, 0);
	conf_free(conf);
}

static void
test_agreement_defaults(void **state)
{
	struct conf		*conf = load_agreements();
	struct policy_terms	*t = terms_of(conf, "county", "metro");
	struct conf_partner	*pa;

	assert_int_equal(t->accept, 1);
	assert_int_equal(t->nexclude, 0);
	assert_int_equal(t->withheld, 0);
	assert_int_equal(t->titles, 0);
	assert_int_equal(t->nwithhold_collection, 0);
	assert_int_equal(t->link, 0);
	assert_int_equal(t->nlink_classes, 0);
	assert_int_equal(t->nlimits, 0);

	pa = conf_partner_find(conf, "county");
	assert_null(conf_agreement_find(pa, "district"));
	assert_null(conf_agreement_find(pa, "county"));
	pa = conf_partner_find(conf, "ebooks");
	assert_true(TAILQ_EMPTY(&pa->agreements));
	assert_null(conf_agreement_find(pa, "metro"));
	/* Older fixtures have none either. */
	conf_free(conf);
	conf = load_good();
	assert_true(TAILQ_EMPTY(&conf_partner_find(conf,
	    "metro")->agreements));
	conf_free(conf);
}

/* The terms as read decide as the demo says: the two files together. */
static void
test_agreement_terms_drive_the_policy(void **state)
{
	struct conf		*conf = load_agreements();
	struct policy_agreement	 ag;
	struct policy_decision	 dec;
	struct policy_request	 req;
	struct policy_patron	 pt = { "district", "STUDENT", 0, 0, 0, 0 };
	struct policy_item	 it = { "metro", "ADULT-EXPLICIT", "book",
				    "MAIN" };
	struct policy_share	 share;

	memset(&ag, 0, sizeof(ag));
	ag.side[0].id = "metro";
	ag.side[0].name = conf_partner_find(conf, "metro")->name;
	ag.side[0].terms = terms_of(conf, "metro", "district");
	ag.side[1].id = "district";
	ag.side[1].name = conf_partner_find(conf, "district")->name;
	ag.side[1].terms = terms_of(conf, "district", "metro");
	assert_int_equal(policy_active(&ag), 1);

	memset(&req, 0, sizeof(req));
	req.op = POLICY_OP_CHECKOUT;
	req.serving = "metro";
	req.patron = &pt;
	req.item = &it;
	assert_int_equal(policy_check(&ag, 1, &req, &dec), 0);
	assert_string_equal(dec.message, "Metro Public Library does not lend "
	    "this collection to Metro Unified School District patrons.");
	it.collection = "ADULT-FIC";
	assert_int_equal(policy_check(&ag, 1, &req, &dec), 1);
	pt.loans = 10;
	assert_int_equal(policy_check(&ag, 1, &req, &dec), 0);
	assert_int_equal(dec.reason, POLICY_E_LOAN_LIMIT);
	pt.pclass = "STAFF";
	assert_int_equal(policy_check(&ag, 1, &req, &dec), 0);
	assert_int_equal(dec.reason, POLICY_E_CLASS_EXCLUDED);
	assert_int_equal(policy_share(&ag, 1, "district", "metro", &share,
	    &dec), 1);
	assert_int_equal(share.titles, 0);
	assert_int_equal(policy_share(&ag, 1, "metro", "district", &share,
	    &dec), 1);
	assert_int_equal(share.titles, 1);
	conf_free(conf);
}

static void
test_agreement_with_itself(void **state)
{
	expect_error("bad/agreement-self.conf", "@/bad/agreement-self.conf:4: "
	    "partner \"metro\" cannot have an agreement with itself");
}

static void
test_agreement_twice(void **state)
{
	expect_error("bad/agreement-twice.conf",
	    "@/bad/agreement-twice.conf:7: agreement \"district\" is already "
	    "defined at @/bad/agreement-twice.conf:4");
}

static void
test_agreement_unknown_partner(void **state)
{
	/* Named by the file and line of the block, not the main file. */
	expect_error("bad/agreement-unknown.conf",
	    "@/bad/partners/agreement.conf:5: agreement \"distrct\": no "
	    "partner \"distrct\" is defined");
}

static void
test_agreement_needs_accept(void **state)
{
	expect_error("bad/agreement-no-accept.conf",
	    "@/bad/agreement-no-accept.conf:4: agreement \"district\" needs "
	    "\"accept yes\" or \"accept no\"");
}

static void
test_agreement_unknown_field(void **state)
{
	expect_error("bad/agreement-field.conf",
	    "@/bad/agreement-field.conf:6: \"withhold\": unknown value "
	    "\"shoe-size\"");
}

static void
test_agreement_bad_history(void **state)
{
	expect_error("bad/agreement-history.conf",
	    "@/bad/agreement-history.conf:6: \"history\": unknown value "
	    "\"some\"");
}

static void
test_agreement_bad_limits(void **state)
{
	expect_error("bad/agreement-limit.conf",
	    "@/bad/agreement-limit.conf:6: \"limit\" needs \"loans\" or "
	    "\"holds\"");
	expect_error("bad/agreement-limit-word.conf",
	    "@/bad/agreement-limit-word.conf:6: \"limit\": expected \"loans\" "
	    "or \"holds\", not \"fines\"");
	expect_error("bad/agreement-limit-class.conf",
	    "@/bad/agreement-limit-class.conf:6: expected \"class\" after "
	    "\"limit\", not \"STUDENT\"");
	expect_error("bad/agreement-limit-twice.conf",
	    "@/bad/agreement-limit-twice.conf:7: \"limit\": class "
	    "\"student\" is limited twice");
	expect_error("bad/agreement-limit-range.conf",
	    "@/bad/agreement-limit-range.conf:6: \"loans\": 1000001 is out of "
	    "range (0-100000)");
}

static void
test_agreement_link_contradiction(void **state)
{
	expect_error("bad/agreement-link.conf",
	    "@/bad/agreement-link.conf:7: \"link-classes\" contradicts "
	    "\"link-accounts no\"");
}

static void
test_agreement_class_listed_twice(void **state)
{
	expect_error("bad/agreement-class-twice.conf",
	    "@/bad/agreement-class-twice.conf:7: \"exclude-class\": \"staff\" "
	    "is listed twice");
}

static void
test_agreement_without_block(void **state)
{
	expect_error("bad/agreement-no-block.conf",
	    "@/bad/agreement-no-block.conf:4: expected \"{\" after agreement "
	    "\"district\", not end of line");
}

static void
test_agreement_partner_keyword_inside(void **state)
{
	expect_error("bad/agreement-keyword.conf",
	    "@/bad/agreement-keyword.conf:6: unknown keyword \"location\"");
}

static void
test_agreement_list_needs_a_value(void **state)
{
	static const char text[] =
	    "partner m {\n"
	    "\tinstitution M\n"
	    "\tagreement d {\n"
	    "\t\taccept yes\n"
	    "\t\twithhold-location\n"
	    "\t}\n"
	    "}\n";

	write_file("empty-list.conf", text, sizeof(text) - 1);
	expect_error("empty-list.conf", "@/empty-list.conf:5: "
	    "\"withhold-location\" needs a value");
}

/* Two partners, the district's in a file included after the staff block. */
#define STAFF_METRO \
	"partner metro {\n" \
	"\tinstitution METRO\n" \
	"\tlocation MAIN\n" \
	"}\n"
#define STAFF_DISTRICT \
	"partner district {\n" \
	"\tinstitution DISTRICT\n" \
	"\tlocation LINCOLN\n" \
	"\tterminal district-desk {\n" \
	"\t\tpassword-hash \"" H_METRO_KIOSK "\"\n" \
	"\t}\n" \
	"}\n"

/* Write staff.conf: metro, the text given, then district's file. */
static void
write_staff(const char *staff)
{
	char	 text[4096];
	int	 n;

	write_file("staff-district.conf", STAFF_DISTRICT,
	    sizeof(STAFF_DISTRICT) - 1);
	n = snprintf(text, sizeof(text), STAFF_METRO "%s"
	    "include \"staff-district.conf\"\n", staff);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	write_file("staff.conf", text, n);
}

static void
test_staff_parsed(void **state)
{
	struct conf		*conf;
	struct conf_staff	*st;
	char			 err[1024], want[PATH_MAX];

	write_staff("staff alex {\n"
	    "\tpassword-hash \"" H_METRO_KIOSK "\"\n"
	    "\tpermissions metro circulation fines\n"
	    "\tpermissions district cataloging inventory reports\n"
	    "}\n"
	    "staff sam {\n"
	    "\tpassword-hash \"" H_METRO_KIOSK "\"\n"
	    "\tpermissions district all\n"
	    "}\n");
	if ((conf = conf_load(fx("staff.conf"), err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	assert_null(conf_staff_find(conf, "district-desk"));
	assert_non_null(st = conf_staff_find(conf, "alex"));
	expand("@/staff.conf", want, sizeof(want));
	assert_string_equal(st->file, want);
	assert_int_equal(st->line, 5);
	assert_string_equal(st->password_hash, H_METRO_KIOSK);
	assert_int_equal(st->ngrants, 2);
	assert_ptr_equal(st->grants[0].partner,
	    conf_partner_find(conf, "metro"));
	assert_int_equal(st->grants[0].perms,
	    POLICY_STAFF_CIRCULATION | POLICY_STAFF_FINES);
	assert_int_equal(st->grants[0].line, 7);
	/* Resolved although its partner's file is read after the block. */
	assert_ptr_equal(st->grants[1].partner,
	    conf_partner_find(conf, "district"));
	assert_int_equal(st->grants[1].perms, POLICY_STAFF_CATALOGING |
	    POLICY_STAFF_INVENTORY | POLICY_STAFF_REPORTS);
	assert_int_equal(st->wire.checksums, 0);
	assert_non_null(st = conf_staff_find(conf, "sam"));
	assert_int_equal(st->ngrants, 1);
	assert_int_equal(st->grants[0].perms, POLICY_STAFF_ALL);
	conf_free(conf);
}

/* Loading staff.conf with this staff text fails with this message. */
static void
expect_staff_error(const char *staff, const char *message)
{
	write_staff(staff);
	expect_error("staff.conf", message);
}

static void
test_staff_unknown_partner(void **state)
{
	expect_staff_error("staff alex {\n"
	    "\tpassword-hash \"" H_METRO_KIOSK "\"\n"
	    "\tpermissions metro circulation\n"
	    "\tpermissions distrct fines\n"
	    "}\n", "@/staff.conf:8: \"permissions\": no partner \"distrct\" "
	    "is defined");
}

static void
test_staff_unknown_permission(void **state)
{
	expect_staff_error("staff alex {\n"
	    "\tpassword-hash \"" H_METRO_KIOSK "\"\n"
	    "\tpermissions metro circulation patron\n"
	    "}\n", "@/staff.conf:7: \"permissions\": unknown permission "
	    "\"patron\" (expected circulation, fines, cataloging, reports, "
	    "inventory or all)");
}

static void
test_staff_permissions_need_names(void **state)
{
	expect_staff_error("staff alex {\n"
	    "\tpassword-hash \"" H_METRO_KIOSK "\"\n"
	    "\tpermissions metro\n"
	    "}\n", "@/staff.conf:7: \"permissions\" needs a partner and one "
	    "or more permissions");
}

static void
test_staff_partner_twice(void **state)
{
	expect_staff_error("staff alex {\n"
	    "\tpassword-hash \"" H_METRO_KIOSK "\"\n"
	    "\tpermissions metro circulation\n"
	    "\tpermissions metro fines\n"
	    "}\n", "@/staff.conf:8: \"permissions\": partner \"metro\" is "
	    "already given at line 7");
}

static void
test_staff_needs_hash_and_permissions(void **state)
{
	expect_staff_error("staff alex {\n"
	    "\tpermissions metro circulation\n"
	    "}\n", "@/staff.conf:5: staff \"alex\" has no \"password-hash\"");
	expect_staff_error("staff alex {\n"
	    "\tpassword-hash \"" H_METRO_KIOSK "\"\n"
	    "}\n", "@/staff.conf:5: staff \"alex\" has no \"permissions\"");
	expect_staff_error("staff alex {\n"
	    "\tpassword-hash \"alex-pw\"\n"
	    "\tpermissions metro circulation\n"
	    "}\n", "@/staff.conf:6: \"password-hash\": not a hash made by "
	    "\"circlinkctl hash-password\"");
	expect_staff_error("staff alex\n",
	    "@/staff.conf:5: expected \"{\" after staff \"alex\", not end of "
	    "line");
}

static void
test_staff_twice(void **state)
{
	expect_staff_error("staff alex {\n"
	    "\tpassword-hash \"" H_METRO_KIOSK "\"\n"
	    "\tpermissions metro circulation\n"
	    "}\n"
	    "staff alex {\n"
	    "\tpassword-hash \"" H_METRO_KIOSK "\"\n"
	    "\tpermissions metro fines\n"
	    "}\n", "@/staff.conf:9: staff \"alex\" is already defined at "
	    "@/staff.conf:5");
}

static void
test_staff_login_of_a_terminal(void **state)
{
	/* The terminal is in a file read after the staff block. */
	expect_staff_error("staff district-desk {\n"
	    "\tpassword-hash \"" H_METRO_KIOSK "\"\n"
	    "\tpermissions metro circulation\n"
	    "}\n", "@/staff.conf:5: staff \"district-desk\" has the login of "
	    "a terminal (@/staff-district.conf:4)");
}

static void
test_staff_only_in_main_file(void **state)
{
	static const char inc[] =
	    "staff alex {\n"
	    "\tpassword-hash \"" H_METRO_KIOSK "\"\n"
	    "\tpermissions metro circulation\n"
	    "}\n";

	write_file("staff-inc.conf", inc, sizeof(inc) - 1);
	expect_staff_error("include \"staff-inc.conf\"\n",
	    "@/staff-inc.conf:1: \"staff\" is only allowed in the main file");
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_main_settings),
		T(test_listener_plain),
		T(test_listener_tls),
		T(test_listener_client_ca_requires_certificates),
		T(test_listener_ipv6_and_port_zero),
		T(test_partner_metro),
		T(test_backend_every_setting),
		T(test_backend_defaults),
		T(test_terminal_every_setting),
		T(test_terminal_defaults),
		T(test_partner_defaults),
		T(test_include_relative_to_including_file),
		T(test_partner_order_follows_files),
		T(test_string_escapes),
		T(test_defaults),
		T(test_find_unknown),
		T(test_backend_same),
		T(test_terminal_hash_checks),
		T(test_crlf_and_comments),
		T(test_relative_main_path),
		T(test_secret_file_group_readable),
		T(test_secret_file_readable_by_others),
		T(test_secret_file_writable_by_others),
		T(test_secret_in_main_file),
		T(test_key_file_readable_by_others),
		T(test_backend_key_file_readable_by_others),
		T(test_missing_main_file),
		T(test_main_file_is_directory),
		T(test_control_character),
		T(test_nul_byte),
		T(test_word_too_long),
		T(test_file_too_large),
		T(test_no_error_buffer),
		T(test_error_buffer_truncates),
		T(test_unknown_keyword),
		T(test_missing_value),
		T(test_extra_value),
		T(test_duplicate_partner),
		T(test_duplicate_terminal),
		T(test_duplicate_listener),
		T(test_duplicate_institution),
		T(test_terminal_location_not_partners),
		T(test_tls_listener_without_certificate),
		T(test_tls_setting_on_plain_listener),
		T(test_missing_certificate_file),
		T(test_port_out_of_range),
		T(test_partner_without_institution),
		T(test_include_loop),
		T(test_include_missing),
		T(test_main_only_keyword_in_include),
		T(test_unterminated_string),
		T(test_bad_escape),
		T(test_bad_pin),
		T(test_too_many_pins),
		T(test_bad_number),
		T(test_bad_duration),
		T(test_duration_out_of_range),
		T(test_bad_charset),
		T(test_unclosed_block),
		T(test_malformed_password_hash),
		T(test_too_many_institutions),
		T(test_setting_given_twice),
		T(test_host_name_address),
		T(test_client_certificate_unverifiable),
		T(test_backend_tls_setting_without_tls),
		T(test_partner_without_block),
		T(test_unknown_backend_protocol),
		T(test_search_backend_must_be_ncip),
		T(test_bad_delimiter),
		T(test_password_without_login),
		T(test_unexpected_close),
		T(test_secret_not_echoed),
		T(test_ncip_listeners),
		T(test_ncip_caller_authentication),
		T(test_ncip_backend_every_setting),
		T(test_ncip_backend_defaults),
		T(test_ncip_backend_same),
		T(test_ncip_token_file_readable_by_others),
		T(test_ncip_sip2_setting_on_ncip_listener),
		T(test_ncip_auth_without_credential),
		T(test_ncip_token_too_short),
		T(test_ncip_token_needs_no_encoding),
		T(test_ncip_token_of_two_partners),
		T(test_ncip_pin_of_two_partners),
		T(test_ncip_unknown_version),
		T(test_ncip_unknown_namespace),
		T(test_ncip_version1_without_namespace),
		T(test_ncip_backend_refuses_sip2_settings),
		T(test_ncip_path_must_be_a_path),
		T(test_agreement_demo_terms),
		T(test_agreement_every_keyword),
		T(test_agreement_defaults),
		T(test_agreement_terms_drive_the_policy),
		T(test_agreement_with_itself),
		T(test_agreement_twice),
		T(test_agreement_unknown_partner),
		T(test_agreement_needs_accept),
		T(test_agreement_unknown_field),
		T(test_agreement_bad_history),
		T(test_agreement_bad_limits),
		T(test_agreement_link_contradiction),
		T(test_agreement_class_listed_twice),
		T(test_agreement_without_block),
		T(test_agreement_partner_keyword_inside),
		T(test_agreement_list_needs_a_value),
		T(test_staff_parsed),
		T(test_staff_unknown_partner),
		T(test_staff_unknown_permission),
		T(test_staff_permissions_need_names),
		T(test_staff_partner_twice),
		T(test_staff_needs_hash_and_permissions),
		T(test_staff_twice),
		T(test_staff_login_of_a_terminal),
		T(test_staff_only_in_main_file),
	};

	return (cmocka_run_group_tests_name("config", tests, NULL, NULL));
}
