/* SPDX-License-Identifier: ISC */
/*
 * Helpers the NCIP codec's tests share: sample files, the dialect
 * rewriter, the 2.02 schema, and building to strings.
 */

#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "ncip.h"
#include "test_ncip_util.h"

const struct sample samples[] = {
	{ "LookupVersion", NCIP_LOOKUP_VERSION, 0 },
	{ "LookupVersionResponse", NCIP_LOOKUP_VERSION_RESP, 0 },
	{ "LookupUser", NCIP_LOOKUP_USER, 1 },
	{ "LookupUserResponse", NCIP_LOOKUP_USER_RESP, 1 },
	{ "LookupItem", NCIP_LOOKUP_ITEM, 1 },
	{ "LookupItemResponse", NCIP_LOOKUP_ITEM_RESP, 1 },
	{ "CheckOutItem", NCIP_CHECKOUT_ITEM, 1 },
	{ "CheckOutItemResponse", NCIP_CHECKOUT_ITEM_RESP, 1 },
	{ "CheckOutItemResponse-problem", NCIP_CHECKOUT_ITEM_RESP, 1 },
	{ "CheckInItem", NCIP_CHECKIN_ITEM, 1 },
	{ "CheckInItemResponse", NCIP_CHECKIN_ITEM_RESP, 1 },
	{ "RenewItem", NCIP_RENEW_ITEM, 1 },
	{ "RenewItemResponse", NCIP_RENEW_ITEM_RESP, 1 },
	{ "RenewItemResponse-pending", NCIP_RENEW_ITEM_RESP, 1 },
	{ "RequestItem", NCIP_REQUEST_ITEM, 1 },
	{ "RequestItem-items", NCIP_REQUEST_ITEM, 1 },
	{ "RequestItemResponse", NCIP_REQUEST_ITEM_RESP, 1 },
	{ "CancelRequestItem", NCIP_CANCEL_REQUEST_ITEM, 1 },
	{ "CancelRequestItemResponse", NCIP_CANCEL_REQUEST_ITEM_RESP, 1 },
	{ "AcceptItem", NCIP_ACCEPT_ITEM, 1 },
	{ "AcceptItemResponse", NCIP_ACCEPT_ITEM_RESP, 1 },
	{ "CreateUser", NCIP_CREATE_USER, 1 },
	{ "CreateUserResponse", NCIP_CREATE_USER_RESP, 1 },
	{ "UpdateUser", NCIP_UPDATE_USER, 1 },
	{ "UpdateUserResponse", NCIP_UPDATE_USER_RESP, 1 },
	{ "DeleteItem", NCIP_DELETE_ITEM, 1 },
	{ "DeleteItemResponse", NCIP_DELETE_ITEM_RESP, 1 },
	{ "LookupItemSet", NCIP_LOOKUP_ITEM_SET, 1 },
	{ "LookupItemSetResponse", NCIP_LOOKUP_ITEM_SET_RESP, 1 },
	{ "Problem", NCIP_PROBLEM, 1 },
};
const size_t nsamples = sizeof(samples) / sizeof(samples[0]);

static xmlSchemaPtr	 schema;
static char		 schema_err[512];

char *
util_load(const char *name, size_t *lenp)
{
	char	 path[1024], *buf;
	FILE	*f;
	long	 len = 0;

	(void)snprintf(path, sizeof(path), "%s/%s", NCIP_DATA, name);
	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("cannot open %s", path);
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		fail_msg("cannot size %s", path);
	if ((buf = malloc((size_t)len + 1)) == NULL)
		fail_msg("no memory");
	if (fread(buf, 1, (size_t)len, f) != (size_t)len)
		fail_msg("cannot read %s", path);
	fclose(f);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = (size_t)len;
	return (buf);
}

static void
strip_ns(xmlNodePtr n)
{
	xmlAttrPtr	 a;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		n->ns = NULL;
		for (a = n->properties; a != NULL; a = a->next)
			a->ns = NULL;
		strip_ns(n->children);
	}
}

static void
free_ns_defs(xmlNodePtr n)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (n->nsDef != NULL) {
			xmlFreeNsList(n->nsDef);
			n->nsDef = NULL;
		}
		free_ns_defs(n->children);
	}
}

static void
set_ns(xmlNodePtr n, xmlNsPtr ens, xmlNsPtr ans)
{
	xmlAttrPtr	 a;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		n->ns = ens;
		for (a = n->properties; a != NULL; a = a->next)
			a->ns = ans;
		set_ns(n->children, ens, ans);
	}
}

/* Put a parsed document's names in a dialect. */
static void
redialect(xmlDocPtr doc, enum ncip_ns_style st, int qualified)
{
	xmlNodePtr	 root = xmlDocGetRootElement(doc);
	xmlNsPtr	 ens = NULL, ans = NULL;

	strip_ns(root);
	free_ns_defs(root);
	if (st == NCIP_NSS_DEFAULT) {
		ens = xmlNewNs(root, (const xmlChar *)NCIP_NS, NULL);
		if (qualified)
			ans = xmlNewNs(root, (const xmlChar *)NCIP_NS,
			    (const xmlChar *)"ns1");
	} else if (st == NCIP_NSS_PREFIX) {
		ens = xmlNewNs(root, (const xmlChar *)NCIP_NS,
		    (const xmlChar *)"ns1");
		if (qualified)
			ans = ens;
	}
	set_ns(root, ens, ans);
}

char *
util_variant(const char *buf, size_t len, enum ncip_ns_style st,
    int qualified, size_t *outlen)
{
	xmlDocPtr	 doc;
	xmlChar		*mem;
	char		*out;
	int		 n;

	doc = xmlReadMemory(buf, (int)len, NULL, NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	redialect(doc, st, qualified);
	xmlDocDumpMemory(doc, &mem, &n);
	xmlFreeDoc(doc);
	assert_non_null(mem);
	out = strndup((const char *)mem, (size_t)n);
	assert_non_null(out);
	xmlFree(mem);
	*outlen = (size_t)n;
	return (out);
}

void
util_schema_load(void)
{
	xmlSchemaParserCtxtPtr	 pc;
	char			*xsd;
	size_t			 len;

	if (schema != NULL)
		return;
	/* From memory: ncip_init()'s loader refuses files, rightly. */
	xsd = util_load("ncip_v2_02.xsd", &len);
	pc = xmlSchemaNewMemParserCtxt(xsd, (int)len);
	assert_non_null(pc);
	schema = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	free(xsd);
	assert_non_null(schema);
}

void
util_schema_free(void)
{
	if (schema != NULL)
		xmlSchemaFree(schema);
	schema = NULL;
}

static void
schema_error(void *ctx, xmlErrorPtr e)
{
	if (schema_err[0] == '\0' && e != NULL && e->message != NULL)
		(void)snprintf(schema_err, sizeof(schema_err), "line %d: %s",
		    e->line, e->message);
}

int
util_validate(const char *buf, size_t len, int normalize, char *err,
    size_t errlen)
{
	xmlSchemaValidCtxtPtr	 vc;
	xmlDocPtr		 doc;
	int			 rc;

	util_schema_load();
	schema_err[0] = '\0';
	doc = xmlReadMemory(buf, (int)len, NULL, NULL, XML_PARSE_NONET);
	if (doc == NULL) {
		(void)snprintf(err, errlen, "does not parse");
		return (-1);
	}
	if (normalize)
		redialect(doc, NCIP_NSS_PREFIX, 1);
	vc = xmlSchemaNewValidCtxt(schema);
	assert_non_null(vc);
	xmlSchemaSetValidStructuredErrors(vc, schema_error, NULL);
	rc = xmlSchemaValidateDoc(vc, doc);
	xmlSchemaFreeValidCtxt(vc);
	xmlFreeDoc(doc);
	(void)snprintf(err, errlen, "%s", rc == 0 ? "" : schema_err);
	return (rc == 0 ? 0 : -1);
}

char *
util_build(const struct ncip_msg *m, const struct ncip_dialect *d)
{
	struct ncip_dialect	 def;
	struct ncip_error	 err;
	char			*out;
	size_t			 len;

	if (d == NULL) {
		ncip_dialect_default(&def, 2);
		d = &def;
	}
	if (ncip_build(m, d, &out, &len, &err) == -1)
		fail_msg("%s does not build: %s %s %s",
		    ncip_service_name(m->service), ncip_problem_name(err.kind),
		    err.element, err.detail);
	assert_int_equal(strlen(out), len);
	return (out);
}

struct ncip_msg *
util_parse_file(const char *name)
{
	struct ncip_error	 err;
	struct ncip_msg		*m;
	char			*buf;
	size_t			 len;

	buf = util_load(name, &len);
	if ((m = ncip_parse(buf, len, NULL, &err)) == NULL)
		fail_msg("%s does not parse: %s %s %s", name,
		    ncip_problem_name(err.kind), err.element, err.detail);
	free(buf);
	return (m);
}

struct ncip_dialect
util_dialect(int version, enum ncip_ns_style st, int qualified)
{
	struct ncip_dialect	 d;

	ncip_dialect_default(&d, version);
	d.ns = st;
	d.qualified_attrs = qualified;
	return (d);
}
