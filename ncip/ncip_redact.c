/* SPDX-License-Identifier: ISC */
/*
 * NCIP messages rendered for logs: secrets become ********, names,
 * addresses, contact data and birth dates go, user ids are masked, and a
 * message that names a user loses its titles.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "ncip.h"

#define SECRET		"********"

/* What happens to an element, by name, in either version. */
enum redact_how {
	R_KEEP,
	R_SECRET,	/* content replaced by ******** */
	R_DROP,		/* the element and all it holds go */
	R_MASK,		/* the first four characters stay */
	R_TITLE,	/* dropped when the message names a user */
};

static const struct {
	const char	*name;
	enum redact_how	 how;
} rules[] = {
	{ "AuthenticationInputData", R_SECRET },
	{ "FromAgencyAuthentication", R_SECRET },
	{ "FromSystemAuthentication", R_SECRET },
	{ "NameInformation", R_DROP },
	{ "UserAddressInformation", R_DROP },
	{ "PhysicalAddress", R_DROP },
	{ "ElectronicAddress", R_DROP },
	{ "DateOfBirth", R_DROP },
	{ "UserIdentifierValue", R_MASK },
	{ "VisibleUserIdentifier", R_MASK },
	{ "ProblemValue", R_MASK },
	{ "ProcessingErrorValue", R_MASK },
	{ "MessagingErrorValue", R_MASK },
	{ "Title", R_TITLE },
	{ "Author", R_TITLE },
	{ "TitleOfComponent", R_TITLE },
	{ "AuthorOfComponent", R_TITLE },
};

static enum redact_how
redact_rule(xmlNodePtr n)
{
	size_t	 i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (strcmp((const char *)n->name, rules[i].name) == 0)
			return (rules[i].how);
	}
	return (R_KEEP);
}

/* Does the message say who the user is? */
static int
names_user(xmlNodePtr n)
{
	const char	*s;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		s = (const char *)n->name;
		if (strcmp(s, "UserIdentifierValue") == 0 ||
		    strcmp(s, "VisibleUserIdentifier") == 0 ||
		    strcmp(s, "AuthenticationInput") == 0 ||
		    strcmp(s, "NameInformation") == 0)
			return (1);
		if (names_user(n->children))
			return (1);
	}
	return (0);
}

/* Replace an element's content with text. */
static void
set_text(xmlNodePtr n, const char *s)
{
	xmlNodePtr	 c, next;

	for (c = n->children; c != NULL; c = next) {
		next = c->next;
		xmlUnlinkNode(c);
		xmlFreeNode(c);
	}
	/* xmlNodeAddContent escapes on output; the text is ours anyway. */
	xmlNodeAddContent(n, (const xmlChar *)s);
}

/* Keep four characters (not bytes) of a value and star the rest. */
static void
mask(xmlNodePtr n)
{
	xmlChar		*v;
	char		 out[NCIP_ID_MAX + 8];
	size_t		 i, o = 0, chars = 0, total = 0;

	if ((v = xmlNodeGetContent(n)) == NULL) {
		set_text(n, "");
		return;
	}
	for (i = 0; v[i] != '\0'; i++) {
		if ((v[i] & 0xc0) != 0x80)
			total++;
	}
	for (i = 0; v[i] != '\0' && o < sizeof(out) - 1; i++) {
		if ((v[i] & 0xc0) != 0x80)
			chars++;
		/* Up to four shown, and never the whole of a short id. */
		if (chars <= 4 && chars < total)
			out[o++] = (char)v[i];
		else if ((v[i] & 0xc0) != 0x80)
			out[o++] = '*';
	}
	out[o] = '\0';
	xmlFree(v);
	set_text(n, out);
}

static void
redact_tree(xmlNodePtr n, int user)
{
	xmlNodePtr	 next;

	for (; n != NULL; n = next) {
		next = n->next;
		if (n->type == XML_TEXT_NODE && xmlIsBlankNode(n)) {
			/* Indentation only lengthens a log line. */
			xmlUnlinkNode(n);
			xmlFreeNode(n);
			continue;
		}
		if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
			continue;
		}
		if (n->type != XML_ELEMENT_NODE)
			continue;
		switch (redact_rule(n)) {
		case R_SECRET:
			set_text(n, SECRET);
			continue;
		case R_TITLE:
			if (!user)
				break;
			/* FALLTHROUGH */
		case R_DROP:
			xmlUnlinkNode(n);
			xmlFreeNode(n);
			continue;
		case R_MASK:
			mask(n);
			continue;
		case R_KEEP:
			break;
		}
		redact_tree(n->children, user);
	}
}

/* The length of a cut at n that leaves no partial UTF-8 character. */
static size_t
utf8_cut(const char *s, size_t n)
{
	size_t		 j = n, need;
	unsigned char	 lead;

	while (j > 0 && ((unsigned char)s[j - 1] & 0xc0) == 0x80)
		j--;
	if (j == 0)
		return (n);
	lead = (unsigned char)s[j - 1];
	if (lead < 0xc0)
		return (n);
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
	return (n - (j - 1) < need ? j - 1 : n);
}

static void
render_quiet(void *ctx, xmlErrorPtr e)
{
	/* A failed dump renders as a note; nothing else to say. */
}

/* Serialise a redacted document on one line into out. */
static size_t
render(xmlDocPtr doc, char *out, size_t outlen)
{
	struct ncip_quiet q;
	xmlBufferPtr	 buf;
	const xmlChar	*c;
	size_t		 n = 0, len, i;
	int		 rc = -1;

	ncip_quiet(&q, render_quiet, NULL);
	if ((buf = xmlBufferCreate()) != NULL)
		rc = xmlNodeDump(buf, doc, xmlDocGetRootElement(doc), 0, 0);
	ncip_unquiet(&q);
	if (buf == NULL || rc < 0) {
		if (buf != NULL)
			xmlBufferFree(buf);
		(void)snprintf(out, outlen, "[NCIP: not rendered]");
		return (strlen(out));
	}
	c = xmlBufferContent(buf);
	len = (size_t)xmlBufferLength(buf);
	for (i = 0; i < len && n < outlen - 1; i++)
		out[n++] = c[i] < 0x20 ? ' ' : (char)c[i];
	if (i < len)
		n = utf8_cut(out, n);
	out[n] = '\0';
	xmlBufferFree(buf);
	return (n);
}

/* Write a log-safe rendering of an NCIP body. */
size_t
ncip_redact(const char *buf, size_t len, char *out, size_t outlen)
{
	struct ncip_error	 err;
	xmlDocPtr		 doc;
	xmlNodePtr		 root;
	size_t			 n;

	if (outlen == 0)
		return (0);
	memset(&err, 0, sizeof(err));
	if ((doc = ncip_parse_doc(buf, len, NULL, &err)) == NULL) {
		/* Nothing of the bytes: they may hold anything. */
		(void)snprintf(out, outlen, "[NCIP body of %zu bytes not "
		    "rendered: %s]", len, ncip_problem_name(err.kind));
		return (strlen(out));
	}
	root = xmlDocGetRootElement(doc);
	redact_tree(root, names_user(root));
	n = render(doc, out, outlen);
	xmlFreeDoc(doc);
	return (n);
}

/* Write a log-safe rendering of a message in memory. */
size_t
ncip_msg_redact(const struct ncip_msg *m, char *out, size_t outlen)
{
	struct ncip_dialect	 d;
	struct ncip_error	 err;
	xmlDocPtr		 doc;
	xmlNodePtr		 root;
	size_t			 n;

	if (outlen == 0)
		return (0);
	ncip_dialect_default(&d, 2);
	d.version_str = m->version_str != NULL ? m->version_str : NCIP_V2_02;
	if ((doc = ncip_build_doc(m, &d, &err)) == NULL) {
		(void)snprintf(out, outlen, "[NCIP %s not rendered: %s %s]",
		    ncip_service_name(m->service), err.element, err.detail);
		return (strlen(out));
	}
	root = xmlDocGetRootElement(doc);
	redact_tree(root, names_user(root));
	n = render(doc, out, outlen);
	xmlFreeDoc(doc);
	return (n);
}
