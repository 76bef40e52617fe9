/* SPDX-License-Identifier: ISC */
/*
 * Helpers the NCIP codec's tests share: sample files, the dialect
 * rewriter, the 2.02 schema, and a canonical form for comparing messages.
 */

#ifndef CIRCLINK_TEST_NCIP_UTIL_H
#define CIRCLINK_TEST_NCIP_UTIL_H

#include <stddef.h>

#include "ncip.h"

#ifndef NCIP_DATA
#define NCIP_DATA	"tests/data/ncip"
#endif

/* One sample message of tests/data/ncip/v2 and the service it holds. */
struct sample {
	const char		*file;		/* without .xml */
	enum ncip_service	 service;
	int			 in_schema;	/* LookupVersion is not */
};

extern const struct sample	samples[];
extern const size_t		nsamples;

/*
 * Read a file under tests/data/ncip; the test fails when it cannot.  The
 * caller frees the NUL-terminated result.
 */
char		*util_load(const char *, size_t *);
/*
 * Rewrite a version 2 document in another namespace dialect (elements in
 * the NCIP namespace by default, with prefix ns1, or in none; attributes
 * qualified or not).  The caller frees the result.
 */
char		*util_variant(const char *, size_t, enum ncip_ns_style, int,
		    size_t *);
/* Load the 2.02 schema from memory (call before or after ncip_init()). */
void		 util_schema_load(void);
void		 util_schema_free(void);
/*
 * Validate bytes against the schema.  With normalize set, elements are
 * first put in the NCIP namespace and Scheme and version attributes
 * qualified, so that every dialect's structure can be checked.  Returns 0,
 * or -1 with the first error in err.
 */
int		 util_validate(const char *, size_t, int, char *, size_t);
/*
 * The message built in a dialect (NULL: version 2.02 default), as a
 * string the caller frees; the test fails when it does not build.
 */
char		*util_build(const struct ncip_msg *,
		    const struct ncip_dialect *);
/* Parse a sample file; the test fails when it does not parse. */
struct ncip_msg	*util_parse_file(const char *);
/* A dialect from its parts. */
struct ncip_dialect util_dialect(int, enum ncip_ns_style, int);

#endif /* CIRCLINK_TEST_NCIP_UTIL_H */
