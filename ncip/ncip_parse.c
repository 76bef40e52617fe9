/* SPDX-License-Identifier: ISC */
/*
 * Reading NCIP bodies safely: the size cap, a libxml2 parse that loads and
 * expands nothing, refusal of DTD declarations, and the depth, element and
 * text caps, before the document is read into a message.
 */

#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "ncip.h"

#define ROOT	"NCIPMessage"	/* the element a refusal names */

/* What the guarded parse saw; hangs off the parser context. */
struct guard {
	int		 refused;	/* a declaration we do not accept */
	const char	*why;
	int		 xml_error;	/* first libxml2 error code */
	int		 xml_line;
};

static void
guard_refuse(void *ctx, const char *why)
{
	xmlParserCtxtPtr	 ctxt = ctx;
	struct guard		*g = ctxt->_private;

	if (!g->refused) {
		g->refused = 1;
		g->why = why;
	}
	xmlStopParser(ctxt);
}

/*
 * A DOCTYPE is allowed only without an internal subset: when one follows,
 * the parser stands on its '[' as this callback runs.
 */
static void
guard_internal_subset(void *ctx, const xmlChar *name, const xmlChar *eid,
    const xmlChar *sid)
{
	xmlParserCtxtPtr	 ctxt = ctx;

	if (ctxt->input != NULL && ctxt->input->cur != NULL &&
	    *ctxt->input->cur == '[') {
		guard_refuse(ctx, "internal DTD subset refused");
		return;
	}
	xmlSAX2InternalSubset(ctx, name, eid, sid);
}

static void
guard_external_subset(void *ctx, const xmlChar *name, const xmlChar *eid,
    const xmlChar *sid)
{
	/* Never loaded: a DOCTYPE names the DTD, nothing more. */
}

static void
guard_entity_decl(void *ctx, const xmlChar *name, int type,
    const xmlChar *pid, const xmlChar *sid, xmlChar *content)
{
	guard_refuse(ctx, "entity declaration refused");
}

static void
guard_element_decl(void *ctx, const xmlChar *name, int type,
    xmlElementContentPtr content)
{
	guard_refuse(ctx, "element declaration refused");
}

static void
guard_attribute_decl(void *ctx, const xmlChar *elem, const xmlChar *name,
    int type, int def, const xmlChar *defval, xmlEnumerationPtr tree)
{
	xmlFreeEnumeration(tree);
	guard_refuse(ctx, "attribute declaration refused");
}

static void
guard_notation_decl(void *ctx, const xmlChar *name, const xmlChar *pid,
    const xmlChar *sid)
{
	guard_refuse(ctx, "notation declaration refused");
}

static void
guard_unparsed_decl(void *ctx, const xmlChar *name, const xmlChar *pid,
    const xmlChar *sid, const xmlChar *notation)
{
	guard_refuse(ctx, "entity declaration refused");
}

static xmlParserInputPtr
guard_resolve(void *ctx, const xmlChar *pid, const xmlChar *sid)
{
	guard_refuse(ctx, "external entity refused");
	return (NULL);
}

/*
 * libxml2's errors stay here instead of going to stderr; only the code and
 * line are kept, never the message, which may quote the peer's text.
 */
static void
guard_error(void *ctx, xmlErrorPtr e)
{
	xmlParserCtxtPtr	 ctxt = ctx;
	struct guard		*g;

	if (ctxt == NULL || (g = ctxt->_private) == NULL || e == NULL)
		return;
	if (e->level >= XML_ERR_ERROR && g->xml_error == 0) {
		g->xml_error = e->code;
		g->xml_line = e->line;
	}
}

/* Encoding and I/O errors reach no parser context: note them the same. */
static void
guard_global_error(void *ctx, xmlErrorPtr e)
{
	struct guard	*g = ctx;

	if (g != NULL && e != NULL && e->level >= XML_ERR_ERROR &&
	    g->xml_error == 0) {
		g->xml_error = e->code;
		g->xml_line = e->line;
	}
}

static void
limits_fill(struct ncip_limits *l, const struct ncip_limits *in)
{
	memset(l, 0, sizeof(*l));
	if (in != NULL)
		*l = *in;
	if (l->body_max == 0)
		l->body_max = NCIP_BODY_MAX;
	if (l->depth_max == 0)
		l->depth_max = NCIP_DEPTH_MAX;
	if (l->elements_max == 0)
		l->elements_max = NCIP_ELEMENTS_MAX;
	if (l->text_max == 0)
		l->text_max = NCIP_TEXT_MAX;
}

/*
 * Does a DOCTYPE name NCIP's DTD: a NISO public id, or a system id whose
 * last part is ncip_v*.dtd?  It is never loaded either way.
 */
static int
names_ncip_dtd(const xmlChar *pid, const xmlChar *sid)
{
	const char	*base, *s = (const char *)sid;
	size_t		 len;

	if (pid != NULL && strncasecmp((const char *)pid, "-//NISO//NCIP ",
	    14) == 0)
		return (1);
	if (s == NULL)
		return (0);
	base = strrchr(s, '/') != NULL ? strrchr(s, '/') + 1 : s;
	len = strlen(base);
	return (len > 10 && strncasecmp(base, "ncip_v", 6) == 0 &&
	    strcasecmp(base + len - 4, ".dtd") == 0);
}

/* A DOCTYPE may only name NCIP's public DTD, and declare nothing. */
static int
doc_check_dtd(xmlDocPtr doc, struct ncip_error *err)
{
	xmlDtdPtr	 dtd = doc->intSubset;

	if (doc->extSubset != NULL) {
		ncip_error_set(err, NCIP_PT_INVALID_MESSAGE_SYNTAX, ROOT,
		    "external DTD refused");
		return (-1);
	}
	if (dtd == NULL)
		return (0);
	if (dtd->children != NULL || dtd->entities != NULL ||
	    dtd->pentities != NULL || dtd->elements != NULL ||
	    dtd->attributes != NULL || dtd->notations != NULL) {
		ncip_error_set(err, NCIP_PT_INVALID_MESSAGE_SYNTAX, ROOT,
		    "internal DTD subset refused");
		return (-1);
	}
	if (dtd->name == NULL ||
	    strcmp((const char *)dtd->name, "NCIPMessage") != 0 ||
	    !names_ncip_dtd(dtd->ExternalID, dtd->SystemID)) {
		ncip_error_set(err, NCIP_PT_INVALID_MESSAGE_SYNTAX, ROOT,
		    "DOCTYPE names no NCIP DTD");
		return (-1);
	}
	return (0);
}

static size_t
attr_len(xmlAttrPtr a)
{
	xmlNodePtr	 t;
	size_t		 len = 0;

	for (t = a->children; t != NULL; t = t->next) {
		if (t->content != NULL)
			len += strlen((const char *)t->content);
	}
	return (len);
}

/* Walk the whole tree once, iteratively, enforcing the caps. */
static int
doc_check_tree(xmlDocPtr doc, const struct ncip_limits *l,
    struct ncip_error *err)
{
	xmlNodePtr	 n;
	xmlAttrPtr	 a;
	size_t		 depth = 1, nel = 0;
	char		 detail[NCIP_ERR_DETAIL_MAX];

	for (n = doc->children; n != NULL; ) {
		switch (n->type) {
		case XML_ELEMENT_NODE:
			if (++nel > l->elements_max) {
				(void)snprintf(detail, sizeof(detail),
				    "more than %zu elements", l->elements_max);
				goto fail;
			}
			if (depth > l->depth_max) {
				(void)snprintf(detail, sizeof(detail),
				    "nested deeper than %zu", l->depth_max);
				goto fail;
			}
			for (a = n->properties; a != NULL; a = a->next) {
				if (attr_len(a) > l->text_max) {
					(void)snprintf(detail, sizeof(detail),
					    "attribute over %zu bytes",
					    l->text_max);
					goto fail;
				}
			}
			break;
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (n->content != NULL &&
			    strlen((const char *)n->content) > l->text_max) {
				(void)snprintf(detail, sizeof(detail),
				    "text over %zu bytes", l->text_max);
				goto fail;
			}
			break;
		case XML_ENTITY_REF_NODE:
		case XML_ENTITY_NODE:
		case XML_ENTITY_DECL:
		case XML_XINCLUDE_START:
		case XML_XINCLUDE_END:
			(void)snprintf(detail, sizeof(detail),
			    "entity reference refused");
			goto fail;
		default:
			break;
		}
		if (n->type == XML_ELEMENT_NODE && n->children != NULL) {
			n = n->children;
			depth++;
			continue;
		}
		while (n->next == NULL) {
			n = n->parent;
			depth--;
			if (n == NULL || n->type == XML_DOCUMENT_NODE)
				return (0);
		}
		n = n->next;
	}
	return (0);

 fail:
	ncip_error_set(err, NCIP_PT_INVALID_MESSAGE_SYNTAX, ROOT,
	    detail);
	return (-1);
}

/* Parse bytes into a document with every safety check. */
xmlDocPtr
ncip_parse_doc(const char *buf, size_t len, const struct ncip_limits *in,
    struct ncip_error *err)
{
	struct ncip_limits	 l;
	struct ncip_quiet	 q;
	struct guard		 g;
	xmlParserCtxtPtr	 ctxt = NULL;
	xmlDocPtr		 doc = NULL;
	char			 detail[NCIP_ERR_DETAIL_MAX];

	limits_fill(&l, in);
	if (len > l.body_max) {
		(void)snprintf(detail, sizeof(detail),
		    "body of %zu bytes over the %zu byte cap", len, l.body_max);
		ncip_error_set(err, NCIP_PT_INVALID_MESSAGE_SYNTAX, ROOT,
		    detail);
		return (NULL);
	}
	if (buf == NULL || len == 0 || len > INT_MAX) {
		ncip_error_set(err, NCIP_PT_INVALID_MESSAGE_SYNTAX, ROOT,
		    "empty body");
		return (NULL);
	}

	memset(&g, 0, sizeof(g));
	if ((ctxt = xmlNewParserCtxt()) == NULL)
		goto nomem;
	ctxt->_private = &g;
	ctxt->sax->internalSubset = guard_internal_subset;
	ctxt->sax->externalSubset = guard_external_subset;
	ctxt->sax->entityDecl = guard_entity_decl;
	ctxt->sax->elementDecl = guard_element_decl;
	ctxt->sax->attributeDecl = guard_attribute_decl;
	ctxt->sax->notationDecl = guard_notation_decl;
	ctxt->sax->unparsedEntityDecl = guard_unparsed_decl;
	ctxt->sax->resolveEntity = guard_resolve;
	ctxt->sax->serror = guard_error;
	ctxt->sax->error = NULL;
	ctxt->sax->warning = NULL;
	ctxt->vctxt.error = NULL;
	ctxt->vctxt.warning = NULL;

	/* NONET only: no NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE, HUGE. */
	ncip_quiet(&q, guard_global_error, &g);
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, NULL, NULL,
	    XML_PARSE_NONET);
	ncip_unquiet(&q);
	if (g.refused) {
		ncip_error_set(err, NCIP_PT_INVALID_MESSAGE_SYNTAX, ROOT,
		    g.why);
		goto fail;
	}
	if (doc == NULL || !ctxt->wellFormed) {
		if (ctxt->errNo == XML_ERR_NO_MEMORY ||
		    g.xml_error == XML_ERR_NO_MEMORY)
			goto nomem;
		(void)snprintf(detail, sizeof(detail),
		    "not well-formed XML (libxml2 error %d at line %d)",
		    g.xml_error != 0 ? g.xml_error : ctxt->errNo, g.xml_line);
		ncip_error_set(err, NCIP_PT_INVALID_MESSAGE_SYNTAX, ROOT,
		    detail);
		goto fail;
	}
	ctxt->_private = NULL;
	xmlFreeParserCtxt(ctxt);
	ctxt = NULL;

	if (doc_check_dtd(doc, err) == -1 || doc_check_tree(doc, &l, err) == -1)
		goto fail;
	return (doc);

 nomem:
	ncip_error_set(err, NCIP_PT_TEMPORARY_FAILURE, "NCIPMessage",
	    "out of memory");
 fail:
	if (doc != NULL)
		xmlFreeDoc(doc);
	if (ctxt != NULL) {
		ctxt->_private = NULL;
		xmlFreeParserCtxt(ctxt);
	}
	return (NULL);
}

static void
error_init(struct ncip_error *err)
{
	memset(err, 0, sizeof(*err));
	err->service = NCIP_SVC_NONE;
	ncip_dialect_default(&err->dialect, 2);
	err->dialect.version_str = NULL;
}

/* Parse one NCIP body into a message. */
struct ncip_msg *
ncip_parse(const char *buf, size_t len, const struct ncip_limits *lim,
    struct ncip_error *err)
{
	struct ncip_error	 scratch;
	struct ncip_limits	 l;
	struct ncip_msg		*m;
	xmlDocPtr		 doc;

	if (err == NULL)
		err = &scratch;
	error_init(err);
	limits_fill(&l, lim);
	if ((doc = ncip_parse_doc(buf, len, &l, err)) == NULL)
		return (NULL);
	m = ncip_read_doc(doc, &l, err);
	xmlFreeDoc(doc);
	return (m);
}
