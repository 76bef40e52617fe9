/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of password hashing: the stored format, salts, known answers
 * from an independent implementation, and hashes that must never match.
 */

#include "config.h"

#include <sys/types.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "circlinkd.h"

/*
 * RFC 7914, section 11: PBKDF2-HMAC-SHA256 of "Password" with salt "NaCl"
 * and 80000 iterations, its first 32 bytes in base64.
 */
#define RFC7914_HASH	"pbkdf2-sha256$80000$TmFDbA==$" \
			"TdzY9guYviGDDO5e8icB+WQaRBjQTAQUrv8Ih2s0q1Y="
/* Made with Python's hashlib.pbkdf2_hmac for "metro-kiosk-pw". */
#define PYTHON_HASH	"pbkdf2-sha256$100000$ZVVT59YowfcTE4VAcd/nLQ==$" \
			"QOvWsNbRfvsEAQli+EgGUgXZ0rkUaxGHsvQoFTobhKc="
/* The same for "metro-desk-pw" with 1000 iterations, the fewest allowed. */
#define PYTHON_HASH_1000 "pbkdf2-sha256$1000$A/G5+zwn1CXCd7owUfe/pg==$" \
			"+AVMyUdsuAlHK9fEXqP9Auhvs72ILZtKBSfOlsZ7zss="

static void
test_hash_then_check(void **state)
{
	char	*h;

	h = auth_hash_password("metro-kiosk-pw");
	assert_non_null(h);
	assert_int_equal(auth_check_password("metro-kiosk-pw", h), 1);
	assert_int_equal(auth_hash_valid(h), 1);
	free(h);
}

static void
test_hash_format(void **state)
{
	char		*h, *salt, *hash, *end;

	h = auth_hash_password("x");
	assert_non_null(h);
	assert_memory_equal(h, "pbkdf2-sha256$100000$", 21);
	salt = h + 21;
	hash = strchr(salt, '$');
	assert_non_null(hash);
	hash++;
	/* 16 bytes of salt and 32 of hash in padded base64. */
	assert_int_equal(hash - salt - 1, 24);
	assert_int_equal(strlen(hash), 44);
	assert_int_equal(salt[22], '=');
	assert_int_equal(hash[43], '=');
	end = hash + strspn(hash, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789+/=");
	assert_int_equal(*end, '\0');
	free(h);
}

static void
test_wrong_password(void **state)
{
	char	*h;

	h = auth_hash_password("metro-kiosk-pw");
	assert_non_null(h);
	assert_int_equal(auth_check_password("metro-kiosk-pW", h), 0);
	assert_int_equal(auth_check_password("metro-kiosk-p", h), 0);
	assert_int_equal(auth_check_password("metro-kiosk-pw ", h), 0);
	assert_int_equal(auth_check_password("", h), 0);
	assert_int_equal(auth_check_password(NULL, h), 0);
	free(h);
}

static void
test_salt_differs(void **state)
{
	char	*a, *b;

	a = auth_hash_password("same password");
	b = auth_hash_password("same password");
	assert_non_null(a);
	assert_non_null(b);
	assert_string_not_equal(a, b);
	/* Different salts, yet each one checks. */
	assert_memory_not_equal(a + 21, b + 21, 24);
	assert_int_equal(auth_check_password("same password", a), 1);
	assert_int_equal(auth_check_password("same password", b), 1);
	free(a);
	free(b);
}

static void
test_known_answer_rfc7914(void **state)
{
	assert_int_equal(auth_hash_valid(RFC7914_HASH), 1);
	assert_int_equal(auth_check_password("Password", RFC7914_HASH), 1);
	assert_int_equal(auth_check_password("password", RFC7914_HASH), 0);
}

static void
test_known_answer_other_implementation(void **state)
{
	assert_int_equal(auth_check_password("metro-kiosk-pw", PYTHON_HASH),
	    1);
	assert_int_equal(auth_check_password("metro-desk-pw",
	    PYTHON_HASH_1000), 1);
	assert_int_equal(auth_check_password("metro-kiosk-pw",
	    PYTHON_HASH_1000), 0);
}

static void
test_empty_and_overlong_password_refused(void **state)
{
	char	*big;

	assert_null(auth_hash_password(""));
	assert_null(auth_hash_password(NULL));
	big = malloc(1026);
	assert_non_null(big);
	memset(big, 'a', 1025);
	big[1025] = '\0';
	assert_null(auth_hash_password(big));
	big[1024] = '\0';
	assert_int_equal(auth_check_password(big, PYTHON_HASH), 0);
	free(big);
}

static void
test_malformed_hashes_never_match(void **state)
{
	static const char *const bad[] = {
		"",
		"pbkdf2-sha256",
		"pbkdf2-sha256$",
		"pbkdf2-sha256$$$",
		"pbkdf2-sha1$100000$ZVVT59YowfcTE4VAcd/nLQ==$"
		    "QOvWsNbRfvsEAQli+EgGUgXZ0rkUaxGHsvQoFTobhKc=",
		"PBKDF2-SHA256$100000$ZVVT59YowfcTE4VAcd/nLQ==$"
		    "QOvWsNbRfvsEAQli+EgGUgXZ0rkUaxGHsvQoFTobhKc=",
		/* iterations: none, leading zero, sign, too few, too many */
		"pbkdf2-sha256$$ZVVT59YowfcTE4VAcd/nLQ==$"
		    "QOvWsNbRfvsEAQli+EgGUgXZ0rkUaxGHsvQoFTobhKc=",
		"pbkdf2-sha256$0100000$ZVVT59YowfcTE4VAcd/nLQ==$"
		    "QOvWsNbRfvsEAQli+EgGUgXZ0rkUaxGHsvQoFTobhKc=",
		"pbkdf2-sha256$+100000$ZVVT59YowfcTE4VAcd/nLQ==$"
		    "QOvWsNbRfvsEAQli+EgGUgXZ0rkUaxGHsvQoFTobhKc=",
		"pbkdf2-sha256$999$ZVVT59YowfcTE4VAcd/nLQ==$"
		    "QOvWsNbRfvsEAQli+EgGUgXZ0rkUaxGHsvQoFTobhKc=",
		"pbkdf2-sha256$10000001$ZVVT59YowfcTE4VAcd/nLQ==$"
		    "QOvWsNbRfvsEAQli+EgGUgXZ0rkUaxGHsvQoFTobhKc=",
		"pbkdf2-sha256$99999999999999999999$ZVVT59YowfcTE4VAcd/nLQ==$"
		    "QOvWsNbRfvsEAQli+EgGUgXZ0rkUaxGHsvQoFTobhKc=",
		/* salt: missing, not base64, unpadded, stray blank */
		"pbkdf2-sha256$100000$$"
		    "QOvWsNbRfvsEAQli+EgGUgXZ0rkUaxGHsvQoFTobhKc=",
		"pbkdf2-sha256$100000$ZVVT59YowfcTE4VAcd*nLQ==$"
		    "QOvWsNbRfvsEAQli+EgGUgXZ0rkUaxGHsvQoFTobhKc=",
		"pbkdf2-sha256$100000$ZVVT59YowfcTE4VAcd/nLQ$"
		    "QOvWsNbRfvsEAQli+EgGUgXZ0rkUaxGHsvQoFTobhKc=",
		"pbkdf2-sha256$100000$ ZVVT59YowfcTE4VAcd/nLQ=$"
		    "QOvWsNbRfvsEAQli+EgGUgXZ0rkUaxGHsvQoFTobhKc=",
		/* a salt whose padding hides non-zero bits */
		"pbkdf2-sha256$100000$ZVVT59YowfcTE4VAcd/nLR==$"
		    "QOvWsNbRfvsEAQli+EgGUgXZ0rkUaxGHsvQoFTobhKc=",
		/* hash: missing, short, long, trailing text */
		"pbkdf2-sha256$100000$ZVVT59YowfcTE4VAcd/nLQ==$",
		"pbkdf2-sha256$100000$ZVVT59YowfcTE4VAcd/nLQ==",
		"pbkdf2-sha256$100000$ZVVT59YowfcTE4VAcd/nLQ==$"
		    "QOvWsNbRfvsEAQli+EgGUgXZ0rkUaxGHsvQoFTob",
		"pbkdf2-sha256$100000$ZVVT59YowfcTE4VAcd/nLQ==$"
		    "QOvWsNbRfvsEAQli+EgGUgXZ0rkUaxGHsvQoFTobhKcAAAA=",
		"pbkdf2-sha256$100000$ZVVT59YowfcTE4VAcd/nLQ==$"
		    "QOvWsNbRfvsEAQli+EgGUgXZ0rkUaxGHsvQoFTobhKc=\n",
		"pbkdf2-sha256$100000$ZVVT59YowfcTE4VAcd/nLQ==$"
		    "QOvWsNbRfvsEAQli+EgGUgXZ0rkUaxGHsvQoFTobhKc=$x",
		NULL
	};
	size_t	 i;

	/* The well-formed original first, so the variants are meaningful. */
	assert_int_equal(auth_check_password("metro-kiosk-pw", PYTHON_HASH),
	    1);
	for (i = 0; bad[i] != NULL; i++) {
		assert_int_equal(auth_hash_valid(bad[i]), 0);
		assert_int_equal(auth_check_password("metro-kiosk-pw", bad[i]),
		    0);
	}
	assert_int_equal(auth_hash_valid(NULL), 0);
	assert_int_equal(auth_check_password("metro-kiosk-pw", NULL), 0);
}

static void
test_overlong_stored_hash(void **state)
{
	char	 s[600];

	memset(s, 'A', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	memcpy(s, "pbkdf2-sha256$100000$", 21);
	s[300] = '$';
	assert_int_equal(auth_hash_valid(s), 0);
	assert_int_equal(auth_check_password("x", s), 0);
}

static void
test_memcmp(void **state)
{
	assert_int_equal(auth_memcmp("abcdef", "abcdef", 6), 0);
	assert_int_not_equal(auth_memcmp("abcdef", "abcdeg", 6), 0);
	assert_int_not_equal(auth_memcmp("xbcdef", "abcdef", 6), 0);
	assert_int_equal(auth_memcmp("abc", "abd", 2), 0);
	assert_int_equal(auth_memcmp("", "", 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_then_check),
		cmocka_unit_test(test_hash_format),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_salt_differs),
		cmocka_unit_test(test_known_answer_rfc7914),
		cmocka_unit_test(test_known_answer_other_implementation),
		cmocka_unit_test(test_empty_and_overlong_password_refused),
		cmocka_unit_test(test_malformed_hashes_never_match),
		cmocka_unit_test(test_overlong_stored_hash),
		cmocka_unit_test(test_memcmp),
	};

	return (cmocka_run_group_tests_name("auth", tests, NULL, NULL));
}
