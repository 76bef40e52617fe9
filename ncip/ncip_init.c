/* SPDX-License-Identifier: ISC */
/*
 * Set-up of libxml2 for the NCIP codec: the parser, an external entity
 * loader that loads nothing, and keeping libxml2's own error printing quiet
 * while the codec works.
 */

#include "config.h"

#include <stddef.h>

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlIO.h>

#include "ncip.h"

/*
 * Every external entity, DTD or included file a document names is refused:
 * NCIP needs none, and loading one is how a peer reads our files.
 */
static xmlParserInputPtr
ncip_init_refuse(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	return (NULL);
}

/* Set up libxml2 for the codec. */
int
ncip_init(void)
{
	xmlInitParser();
	(void)xmlSetExternalEntityLoader(ncip_init_refuse);
	return (0);
}

/* Divert this thread's context-free libxml2 errors for a while. */
void
ncip_quiet(struct ncip_quiet *q, ncip_xml_errfn fn, void *ctx)
{
	q->fn = xmlStructuredError;
	q->ctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(ctx, fn);
}

/* Give the caller's handler back. */
void
ncip_unquiet(const struct ncip_quiet *q)
{
	xmlSetStructuredErrorFunc(q->ctx, q->fn);
}
