/* SPDX-License-Identifier: ISC */
/*
 * Building NCIP messages with libxml2's tree API in the dialect a peer
 * asks for: elements in the schema's order, coded values as version 2
 * attributes or version 1 children, and every needed element checked.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlstring.h>

#include "ncip.h"

struct wr {
	xmlDocPtr		 doc;
	xmlNsPtr		 ns;	/* of the elements, or NULL */
	xmlNsPtr		 ans;	/* of the attributes, or NULL */
	int			 v1;
	enum ncip_service	 svc;
	struct ncip_error	*err;
	int			 failed;
};

/* The element names of the three kinds of identifier. */
enum id_kind {
	ID_USER,
	ID_ITEM,
	ID_REQUEST,
};

static const struct {
	const char	*v2, *v1, *type, *value;
} id_names[] = {
	{ "UserId", "UniqueUserId", "UserIdentifierType",
	    "UserIdentifierValue" },
	{ "ItemId", "UniqueItemId", "ItemIdentifierType",
	    "ItemIdentifierValue" },
	{ "RequestId", "UniqueRequestId", "RequestIdentifierType",
	    "RequestIdentifierValue" },
};

static int
w_fail(struct wr *w, enum ncip_problem_type kind, const char *element,
    const char *detail)
{
	if (!w->failed) {
		w->failed = 1;
		ncip_error_set(w->err, kind, element, detail);
	}
	return (-1);
}

static int
w_nomem(struct wr *w)
{
	return (w_fail(w, NCIP_PT_TEMPORARY_FAILURE, NULL, "out of memory"));
}

/* Fail unless a needed element is there. */
static int
w_need(struct wr *w, int present, const char *element)
{
	if (present)
		return (0);
	return (w_fail(w, NCIP_PT_NEEDED_DATA_MISSING, element,
	    "a needed element is missing"));
}

static xmlNodePtr
w_el(struct wr *w, xmlNodePtr parent, const char *name)
{
	xmlNodePtr	 n;

	if (w->failed)
		return (NULL);
	if ((n = xmlNewChild(parent, w->ns, (const xmlChar *)name, NULL)) ==
	    NULL)
		w_nomem(w);
	return (n);
}

/*
 * Text fit for XML 1.0: valid UTF-8 is required, control characters other
 * than tab and line ends are dropped.  Returns a copy to free, or NULL.
 */
static xmlChar *
w_clean(struct wr *w, const char *name, const char *s)
{
	const unsigned char	*p;
	xmlChar			*out, *q;

	if (!xmlCheckUTF8((const xmlChar *)s)) {
		w_fail(w, NCIP_PT_INVALID_MESSAGE_SYNTAX, name,
		    "value is not UTF-8");
		return (NULL);
	}
	if ((out = xmlMalloc(strlen(s) + 1)) == NULL) {
		w_nomem(w);
		return (NULL);
	}
	for (p = (const unsigned char *)s, q = out; *p != '\0'; p++) {
		if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
			continue;
		*q++ = *p;
	}
	*q = '\0';
	return (out);
}

/* A child holding text; nothing when the text is NULL. */
static xmlNodePtr
w_text(struct wr *w, xmlNodePtr parent, const char *name, const char *s)
{
	xmlNodePtr	 n;
	xmlChar		*c;

	if (s == NULL || w->failed)
		return (NULL);
	if ((c = w_clean(w, name, s)) == NULL)
		return (NULL);
	/* xmlNewTextChild escapes; xmlNewChild would read entities. */
	n = xmlNewTextChild(parent, w->ns, (const xmlChar *)name, c);
	xmlFree(c);
	if (n == NULL)
		w_nomem(w);
	return (n);
}

/* A coded value: text and Scheme (version 2) or Scheme and Value (1). */
static int
w_code(struct wr *w, xmlNodePtr parent, const char *name,
    const struct ncip_code *code)
{
	xmlNodePtr	 n;
	xmlChar		*c;

	if (code->value == NULL || w->failed)
		return (w->failed ? -1 : 0);
	if (w->v1) {
		if ((n = w_el(w, parent, name)) == NULL)
			return (-1);
		w_text(w, n, "Scheme", code->scheme != NULL ? code->scheme :
		    "");
		w_text(w, n, "Value", code->value);
		return (w->failed ? -1 : 0);
	}
	if ((n = w_text(w, parent, name, code->value)) == NULL)
		return (-1);
	if (code->scheme == NULL)
		return (0);
	if ((c = w_clean(w, "Scheme", code->scheme)) == NULL)
		return (-1);
	if (xmlNewNsProp(n, w->ans, (const xmlChar *)"Scheme", c) == NULL)
		w_nomem(w);
	xmlFree(c);
	return (w->failed ? -1 : 0);
}

static int
w_need_code(struct wr *w, xmlNodePtr parent, const char *name,
    const struct ncip_code *code)
{
	if (w_need(w, code->value != NULL, name) == -1)
		return (-1);
	return (w_code(w, parent, name, code));
}

static int
w_date(struct wr *w, xmlNodePtr parent, const char *name,
    const struct ncip_date *d)
{
	char	 buf[32];

	if (!d->set || w->failed)
		return (w->failed ? -1 : 0);
	if (ncip_date_format(d->t, buf) == -1)
		return (w_fail(w, NCIP_PT_INVALID_DATE, name,
		    "year outside 1-9999"));
	return (w_text(w, parent, name, buf) == NULL ? -1 : 0);
}

static int
w_long(struct wr *w, xmlNodePtr parent, const char *name, long long v)
{
	char	 buf[32];

	(void)snprintf(buf, sizeof(buf), "%lld", v);
	return (w_text(w, parent, name, buf) == NULL ? -1 : 0);
}

static int
w_money(struct wr *w, xmlNodePtr parent, const char *name,
    const struct ncip_money *mo)
{
	xmlNodePtr	 n;

	if (!mo->set || w->failed)
		return (w->failed ? -1 : 0);
	if ((n = w_el(w, parent, name)) == NULL ||
	    w_need_code(w, n, "CurrencyCode", &mo->currency) == -1)
		return (-1);
	return (w_long(w, n, "MonetaryValue", mo->value));
}

/* An agency on its own: AgencyId (2) or UniqueAgencyId (1). */
static int
w_agency(struct wr *w, xmlNodePtr parent, const struct ncip_code *c)
{
	return (w_code(w, parent, w->v1 ? "UniqueAgencyId" : "AgencyId", c));
}

static int
w_need_agency(struct wr *w, xmlNodePtr parent, const struct ncip_code *c)
{
	if (w_need(w, c->value != NULL, "AgencyId") == -1)
		return (-1);
	return (w_agency(w, parent, c));
}

/* FromAgencyId and kin, with the agency inside. */
static int
w_wrapped_agency(struct wr *w, xmlNodePtr parent, const char *name,
    const struct ncip_code *c)
{
	xmlNodePtr	 n;

	if (c->value == NULL || w->failed)
		return (w->failed ? -1 : 0);
	if ((n = w_el(w, parent, name)) == NULL)
		return (-1);
	return (w_agency(w, n, c));
}

static int
w_id(struct wr *w, xmlNodePtr parent, enum id_kind k, const struct ncip_id *id)
{
	xmlNodePtr	 n;

	if (id->value == NULL || w->failed)
		return (w->failed ? -1 : 0);
	if ((n = w_el(w, parent, w->v1 ? id_names[k].v1 : id_names[k].v2)) ==
	    NULL)
		return (-1);
	w_agency(w, n, &id->agency);
	/* Version 1's unique ids carry no type. */
	if (!w->v1)
		w_code(w, n, id_names[k].type, &id->type);
	w_text(w, n, id_names[k].value, id->value);
	return (w->failed ? -1 : 0);
}

/* Version 1's VisibleUserId: the user's id as a type and a value. */
static int
w_visible_user(struct wr *w, xmlNodePtr parent, const struct ncip_id *id)
{
	xmlNodePtr	 n;

	if (id->value == NULL || w->failed)
		return (w->failed ? -1 : 0);
	if ((n = w_el(w, parent, "VisibleUserId")) == NULL)
		return (-1);
	w_agency(w, n, &id->agency);
	if (w_need_code(w, n, "VisibleUserIdentifierType", &id->type) == -1)
		return (-1);
	w_text(w, n, "VisibleUserIdentifier", id->value);
	return (w->failed ? -1 : 0);
}

static int
w_header(struct wr *w, xmlNodePtr parent, const struct ncip_header *h,
    int initiation)
{
	xmlNodePtr	 n;

	if (!h->present || w->failed)
		return (w->failed ? -1 : 0);
	if (w_need(w, h->from_agency.value != NULL, "FromAgencyId") == -1 ||
	    w_need(w, h->to_agency.value != NULL, "ToAgencyId") == -1)
		return (-1);
	if ((n = w_el(w, parent, initiation ? "InitiationHeader" :
	    "ResponseHeader")) == NULL)
		return (-1);
	w_code(w, n, "FromSystemId", &h->from_system);
	w_text(w, n, "FromSystemAuthentication", h->from_system_auth);
	w_wrapped_agency(w, n, "FromAgencyId", &h->from_agency);
	w_text(w, n, "FromAgencyAuthentication", h->from_agency_auth);
	if (initiation)
		w_wrapped_agency(w, n, "OnBehalfOfAgency", &h->on_behalf_of);
	w_code(w, n, "ToSystemId", &h->to_system);
	w_wrapped_agency(w, n, "ToAgencyId", &h->to_agency);
	if (initiation)
		w_code(w, n, "ApplicationProfileType", &h->profile);
	return (w->failed ? -1 : 0);
}

static int
w_auth(struct wr *w, xmlNodePtr parent, const struct ncip_auth *a)
{
	xmlNodePtr	 n;

	if (w_need(w, a->data != NULL, "AuthenticationInputData") == -1 ||
	    (n = w_el(w, parent, "AuthenticationInput")) == NULL)
		return (-1);
	w_text(w, n, "AuthenticationInputData", a->data);
	w_need_code(w, n, "AuthenticationDataFormatType", &a->format);
	w_need_code(w, n, "AuthenticationInputType", &a->type);
	return (w->failed ? -1 : 0);
}

static int
w_auths(struct wr *w, xmlNodePtr parent, const struct ncip_auth *a, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (w_auth(w, parent, &a[i]) == -1)
			return (-1);
	}
	return (0);
}

/* The user: AuthenticationInput wins where the schema allows one. */
static int
w_user(struct wr *w, xmlNodePtr parent, const struct ncip_msg *m)
{
	if (m->nauth > 0)
		return (w_auths(w, parent, m->auth, m->nauth));
	return (w_id(w, parent, ID_USER, &m->user_id));
}

static int
w_codes(struct wr *w, xmlNodePtr parent, const char *name,
    const struct ncip_code *c, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (w_code(w, parent, name, &c[i]) == -1)
			return (-1);
	}
	return (0);
}

/* Bibliographic ids and descriptions. */
static int
w_bib_item_id(struct wr *w, xmlNodePtr parent, const struct ncip_bibid *b)
{
	xmlNodePtr	 n;

	if ((n = w_el(w, parent, "BibliographicItemId")) == NULL)
		return (-1);
	w_text(w, n, "BibliographicItemIdentifier", b->value);
	w_code(w, n, "BibliographicItemIdentifierCode", &b->code);
	return (w->failed ? -1 : 0);
}

static int
w_bib_record_id(struct wr *w, xmlNodePtr parent, const struct ncip_bibid *b)
{
	xmlNodePtr	 n;

	if (w_need(w, b->code.value != NULL || b->agency.value != NULL,
	    "BibliographicRecordIdentifierCode") == -1 ||
	    (n = w_el(w, parent, "BibliographicRecordId")) == NULL)
		return (-1);
	w_text(w, n, "BibliographicRecordIdentifier", b->value);
	if (b->code.value != NULL)
		w_code(w, n, "BibliographicRecordIdentifierCode", &b->code);
	else
		w_agency(w, n, &b->agency);
	return (w->failed ? -1 : 0);
}

static int
w_bibid(struct wr *w, xmlNodePtr parent, const struct ncip_bibid *b)
{
	xmlNodePtr	 n;

	if (w_need(w, b->value != NULL, "BibliographicId") == -1 ||
	    (n = w_el(w, parent, "BibliographicId")) == NULL)
		return (-1);
	if (b->kind == NCIP_BIBID_ITEM)
		return (w_bib_item_id(w, n, b));
	return (w_bib_record_id(w, n, b));
}

static int
w_bibids(struct wr *w, xmlNodePtr parent, const struct ncip_bibid *b,
    size_t n)
{
	size_t	 i;

	/* Version 1 lists no bibliographic ids beside loans and requests. */
	for (i = 0; i < n && !w->v1; i++) {
		if (w_bibid(w, parent, &b[i]) == -1)
			return (-1);
	}
	return (w->failed ? -1 : 0);
}

static int
w_bib(struct wr *w, xmlNodePtr parent, const struct ncip_bib *b)
{
	xmlNodePtr	 n;
	size_t		 i;

	if ((n = w_el(w, parent, "BibliographicDescription")) == NULL)
		return (-1);
	w_text(w, n, "Author", b->author);
	if (b->item_id.value != NULL)
		w_bib_item_id(w, n, &b->item_id);
	for (i = 0; i < b->nrecord_ids; i++) {
		if (w_need(w, b->record_ids[i].value != NULL,
		    "BibliographicRecordIdentifier") == -1 ||
		    w_bib_record_id(w, n, &b->record_ids[i]) == -1)
			return (-1);
	}
	w_text(w, n, "Edition", b->edition);
	w_text(w, n, "PlaceOfPublication", b->place);
	w_text(w, n, "PublicationDate", b->publication_date);
	w_text(w, n, "Publisher", b->publisher);
	w_text(w, n, "Title", b->title);
	w_code(w, n, "Language", &b->language);
	w_code(w, n, "MediumType", &b->medium);
	return (w->failed ? -1 : 0);
}

static int
w_location(struct wr *w, xmlNodePtr parent, const struct ncip_location *l)
{
	xmlNodePtr	 n, ln, i;
	size_t		 k;

	if (w_need(w, l->nnames > 0, "LocationName") == -1 ||
	    (n = w_el(w, parent, "Location")) == NULL ||
	    w_need_code(w, n, "LocationType", &l->type) == -1 ||
	    (ln = w_el(w, n, "LocationName")) == NULL)
		return (-1);
	for (k = 0; k < l->nnames; k++) {
		if (w_need(w, l->names[k].level > 0, "LocationNameLevel") ==
		    -1 || w_need(w, l->names[k].value != NULL,
		    "LocationNameValue") == -1 ||
		    (i = w_el(w, ln, "LocationNameInstance")) == NULL)
			return (-1);
		w_long(w, i, "LocationNameLevel", l->names[k].level);
		w_text(w, i, "LocationNameValue", l->names[k].value);
	}
	w_date(w, n, "ValidFromDate", &l->valid_from);
	w_date(w, n, "ValidToDate", &l->valid_to);
	return (w->failed ? -1 : 0);
}

static int
w_item_fields(struct wr *w, xmlNodePtr parent, const struct ncip_item_fields *f)
{
	xmlNodePtr	 n, d;
	size_t		 i;

	if (!f->present || w->failed)
		return (w->failed ? -1 : 0);
	if ((n = w_el(w, parent, "ItemOptionalFields")) == NULL)
		return (-1);
	if (f->has_bib)
		w_bib(w, n, &f->bib);
	w_codes(w, n, "ItemUseRestrictionType", f->restrictions,
	    f->nrestrictions);
	w_code(w, n, "CirculationStatus", &f->circ_status);
	if (f->hold_queue_length >= 0)
		w_long(w, n, "HoldQueueLength", f->hold_queue_length);
	if ((f->call_number != NULL || f->copy_number != NULL) &&
	    (d = w_el(w, n, "ItemDescription")) != NULL) {
		w_text(w, d, "CallNumber", f->call_number);
		w_text(w, d, "CopyNumber", f->copy_number);
	}
	for (i = 0; i < f->nlocations; i++)
		w_location(w, n, &f->locations[i]);
	if (!w->v1)
		w_date(w, n, "DateDue", &f->date_due);
	return (w->failed ? -1 : 0);
}

/* Names and addresses. */
static int
w_name(struct wr *w, xmlNodePtr parent, const struct ncip_name *nm)
{
	xmlNodePtr	 n, p, s;
	int		 structured;

	if (!nm->present || w->failed)
		return (w->failed ? -1 : 0);
	structured = nm->surname != NULL || nm->given != NULL ||
	    nm->prefix != NULL || nm->initials != NULL || nm->suffix != NULL;
	if ((n = w_el(w, parent, "NameInformation")) == NULL)
		return (-1);
	if (!structured && nm->unstructured == NULL) {
		/* An organisation, or nothing the schema can carry. */
		if (w_need(w, nm->org_name != NULL, "PersonalNameInformation")
		    == -1 || (p = w_el(w, n, "OrganizationNameInformation")) ==
		    NULL || w_need_code(w, p, "OrganizationNameType",
		    &nm->org_type) == -1)
			return (-1);
		w_text(w, p, "OrganizationName", nm->org_name);
		return (w->failed ? -1 : 0);
	}
	if ((p = w_el(w, n, "PersonalNameInformation")) == NULL)
		return (-1);
	if (structured) {
		if (w_need(w, nm->surname != NULL, "Surname") == -1 ||
		    (s = w_el(w, p, "StructuredPersonalUserName")) == NULL)
			return (-1);
		w_text(w, s, "Prefix", nm->prefix);
		w_text(w, s, "GivenName", nm->given);
		w_text(w, s, "Initials", nm->initials);
		w_text(w, s, "Surname", nm->surname);
		w_text(w, s, "Suffix", nm->suffix);
	}
	w_text(w, p, "UnstructuredPersonalUserName", nm->unstructured);
	return (w->failed ? -1 : 0);
}

static int
w_structured_address(struct wr *w, xmlNodePtr parent,
    const struct ncip_address *a)
{
	xmlNodePtr	 n;

	if ((n = w_el(w, parent, "StructuredAddress")) == NULL)
		return (-1);
	if (a->line1 != NULL) {
		w_text(w, n, "Line1", a->line1);
		w_text(w, n, "Line2", a->line2);
	} else {
		if (w_need(w, a->street != NULL || a->po_box != NULL ||
		    a->district != NULL, "Street") == -1)
			return (-1);
		w_text(w, n, "LocationWithinBuilding", a->within_building);
		w_text(w, n, "HouseName", a->house_name);
		w_text(w, n, "Street", a->street);
		w_text(w, n, "PostOfficeBox", a->po_box);
		w_text(w, n, "District", a->district);
	}
	w_text(w, n, "Locality", a->locality);
	w_text(w, n, "Region", a->region);
	w_text(w, n, "Country", a->country);
	w_text(w, n, "PostalCode", a->postal_code);
	w_text(w, n, "CareOf", a->care_of);
	return (w->failed ? -1 : 0);
}

static int
w_address(struct wr *w, xmlNodePtr parent, const struct ncip_address *a)
{
	xmlNodePtr	 n, p, u;

	if ((n = w_el(w, parent, "UserAddressInformation")) == NULL ||
	    w_need_code(w, n, "UserAddressRoleType", &a->role) == -1)
		return (-1);
	w_date(w, n, "ValidFromDate", &a->valid_from);
	w_date(w, n, "ValidToDate", &a->valid_to);
	if (a->kind == NCIP_ADDR_ELECTRONIC) {
		if ((p = w_el(w, n, "ElectronicAddress")) == NULL ||
		    w_need_code(w, p, "ElectronicAddressType",
		    &a->electronic_type) == -1 ||
		    w_need(w, a->electronic != NULL,
		    "ElectronicAddressData") == -1)
			return (-1);
		w_text(w, p, "ElectronicAddressData", a->electronic);
		return (w->failed ? -1 : 0);
	}
	if ((p = w_el(w, n, "PhysicalAddress")) == NULL)
		return (-1);
	if (a->unstructured != NULL) {
		if ((u = w_el(w, p, "UnstructuredAddress")) == NULL ||
		    w_need_code(w, u, "UnstructuredAddressType",
		    &a->unstructured_type) == -1)
			return (-1);
		w_text(w, u, "UnstructuredAddressData", a->unstructured);
	} else if (w_structured_address(w, p, a) == -1)
		return (-1);
	return (w_need_code(w, p, "PhysicalAddressType", &a->physical_type));
}

static int
w_privilege(struct wr *w, xmlNodePtr parent, const struct ncip_privilege *p)
{
	xmlNodePtr	 n, f, s;

	if ((n = w_el(w, parent, "UserPrivilege")) == NULL ||
	    w_need_agency(w, n, &p->agency) == -1 ||
	    w_need_code(w, n, "AgencyUserPrivilegeType", &p->type) == -1)
		return (-1);
	w_date(w, n, "ValidFromDate", &p->valid_from);
	w_date(w, n, "ValidToDate", &p->valid_to);
	if (p->fee.set && (f = w_el(w, n, "UserPrivilegeFee")) != NULL)
		w_money(w, f, "Amount", &p->fee);
	if (p->status.value != NULL &&
	    (s = w_el(w, n, "UserPrivilegeStatus")) != NULL) {
		w_code(w, s, "UserPrivilegeStatusType", &p->status);
		w_date(w, s, "DateOfUserPrivilegeStatus", &p->status_date);
	}
	/* Version 1 requires a description; an empty one says nothing. */
	w_text(w, n, "UserPrivilegeDescription", p->description == NULL &&
	    w->v1 ? "" : p->description);
	return (w->failed ? -1 : 0);
}

static int
w_block(struct wr *w, xmlNodePtr parent, const struct ncip_block *b)
{
	xmlNodePtr	 n;

	if ((n = w_el(w, parent, "BlockOrTrap")) == NULL ||
	    w_need_agency(w, n, &b->agency) == -1 ||
	    w_need_code(w, n, "BlockOrTrapType", &b->type) == -1)
		return (-1);
	w_date(w, n, "ValidFromDate", &b->valid_from);
	w_date(w, n, "ValidToDate", &b->valid_to);
	return (w->failed ? -1 : 0);
}

static int
w_previous(struct wr *w, xmlNodePtr parent, const struct ncip_prev_id *p)
{
	xmlNodePtr	 n, u;

	if (w_need(w, p->value != NULL, "UserIdentifierValue") == -1 ||
	    (n = w_el(w, parent, "PreviousUserId")) == NULL)
		return (-1);
	if (w->v1) {
		if ((u = w_el(w, n, "UniqueUserId")) == NULL)
			return (-1);
		w_agency(w, u, &p->agency);
		w_text(w, u, "UserIdentifierValue", p->value);
	} else {
		if (w_need_agency(w, n, &p->agency) == -1)
			return (-1);
		w_text(w, n, "UserIdentifierValue", p->value);
	}
	w_date(w, n, "ValidFromDate", &p->valid_from);
	w_date(w, n, "ValidToDate", &p->valid_to);
	return (w->failed ? -1 : 0);
}

/*
 * The user's fields in the schema's order; ids says whether UserId and
 * PreviousUserId (version 1: VisibleUserId) belong where they go.
 */
static int
w_user_fields(struct wr *w, xmlNodePtr n, const struct ncip_user_fields *f,
    int ids)
{
	size_t	 i;

	for (i = 0; ids && w->v1 && i < f->nuser_ids; i++)
		w_visible_user(w, n, &f->user_ids[i]);
	w_name(w, n, &f->name);
	for (i = 0; i < f->naddresses; i++)
		w_address(w, n, &f->addresses[i]);
	w_date(w, n, "DateOfBirth", &f->birth);
	w_codes(w, n, "UserLanguage", f->languages, f->nlanguages);
	for (i = 0; i < f->nprivileges; i++)
		w_privilege(w, n, &f->privileges[i]);
	for (i = 0; i < f->nblocks; i++)
		w_block(w, n, &f->blocks[i]);
	for (i = 0; ids && !w->v1 && i < f->nuser_ids; i++)
		w_id(w, n, ID_USER, &f->user_ids[i]);
	for (i = 0; ids && i < f->nprevious_ids; i++)
		w_previous(w, n, &f->previous_ids[i]);
	return (w->failed ? -1 : 0);
}

static int
w_user_optional(struct wr *w, xmlNodePtr parent,
    const struct ncip_user_fields *f)
{
	xmlNodePtr	 n;

	if (!f->present || w->failed)
		return (w->failed ? -1 : 0);
	if ((n = w_el(w, parent, "UserOptionalFields")) == NULL)
		return (-1);
	return (w_user_fields(w, n, f, 1));
}

static int
w_user_change(struct wr *w, xmlNodePtr parent, const char *name,
    const struct ncip_user_change *ch)
{
	xmlNodePtr	 n;

	if (!ch->present || w->failed)
		return (w->failed ? -1 : 0);
	if ((n = w_el(w, parent, name)) == NULL ||
	    w_auths(w, n, ch->auth, ch->nauth) == -1)
		return (-1);
	return (w_user_fields(w, n, &ch->fields, 0));
}

/* Loans, requests, counts, accounts. */
static int
w_loan(struct wr *w, xmlNodePtr parent, const struct ncip_loan *l)
{
	xmlNodePtr	 n;

	if (w_need(w, l->item_id.value != NULL, "ItemId") == -1 ||
	    w_need(w, l->date_due.set || l->indeterminate, "DateDue") == -1 ||
	    (n = w_el(w, parent, "LoanedItem")) == NULL)
		return (-1);
	w_id(w, n, ID_ITEM, &l->item_id);
	w_bibids(w, n, l->bib_ids, l->nbib_ids);
	if (l->reminder_level >= 0)
		w_long(w, n, "ReminderLevel", l->reminder_level);
	if (l->date_due.set)
		w_date(w, n, "DateDue", &l->date_due);
	else
		w_el(w, n, "IndeterminateLoanPeriodFlag");
	w_money(w, n, "Amount", &l->amount);
	w_text(w, n, "Title", l->title);
	w_code(w, n, "MediumType", &l->medium);
	return (w->failed ? -1 : 0);
}

static int
w_hold(struct wr *w, xmlNodePtr parent, const struct ncip_hold *h)
{
	xmlNodePtr	 n;

	if (w_need(w, h->item_id.value != NULL || h->request_id.value != NULL,
	    "ItemId") == -1 ||
	    w_need(w, h->type.value != NULL, "RequestType") == -1 ||
	    w_need(w, h->status.value != NULL, "RequestStatusType") == -1 ||
	    w_need(w, h->date_placed.set, "DatePlaced") == -1 ||
	    (n = w_el(w, parent, "RequestedItem")) == NULL)
		return (-1);
	if (h->request_id.value != NULL) {
		w_id(w, n, ID_REQUEST, &h->request_id);
		/* Version 1 takes one of the two. */
		if (!w->v1)
			w_id(w, n, ID_ITEM, &h->item_id);
	} else
		w_id(w, n, ID_ITEM, &h->item_id);
	w_bibids(w, n, h->bib_ids, h->nbib_ids);
	w_code(w, n, "RequestType", &h->type);
	w_code(w, n, "RequestStatusType", &h->status);
	w_date(w, n, "DatePlaced", &h->date_placed);
	w_date(w, n, "PickupDate", &h->pickup_date);
	w_code(w, n, "PickupLocation", &h->pickup_location);
	w_date(w, n, "PickupExpiryDate", &h->pickup_expiry);
	if (h->reminder_level >= 0)
		w_long(w, n, "ReminderLevel", h->reminder_level);
	if (h->queue_position > 0)
		w_long(w, n, "HoldQueuePosition", h->queue_position);
	w_text(w, n, "Title", h->title);
	w_code(w, n, "MediumType", &h->medium);
	return (w->failed ? -1 : 0);
}

static int
w_count(struct wr *w, xmlNodePtr parent, const char *name, const char *vname,
    const struct ncip_count *c)
{
	static const char	*by[] = {
		"CirculationStatus", "ItemUseRestrictionType", "RequestType"
	};
	xmlNodePtr		 n;

	if (c->by > NCIP_COUNT_REQUEST_TYPE || (c->by ==
	    NCIP_COUNT_REQUEST_TYPE && strcmp(name, "LoanedItemsCount") == 0))
		return (w_fail(w, NCIP_PT_INVALID_MESSAGE_SYNTAX, name,
		    "count by a kind the element cannot carry"));
	if (w_need(w, c->code.value != NULL, by[c->by]) == -1 ||
	    w_need(w, c->value >= 0, vname) == -1 ||
	    (n = w_el(w, parent, name)) == NULL)
		return (-1);
	w_code(w, n, by[c->by], &c->code);
	w_long(w, n, vname, c->value);
	return (w->failed ? -1 : 0);
}

static int
w_fiscal(struct wr *w, xmlNodePtr parent, const struct ncip_fiscal *f)
{
	xmlNodePtr	 n, r, d;

	if (w_need(w, f->amount.set, "Amount") == -1 ||
	    (n = w_el(w, parent, "FiscalTransactionInformation")) == NULL ||
	    w_need_code(w, n, "FiscalActionType", &f->action) == -1)
		return (-1);
	if (f->ref_id != NULL && (r = w_el(w, n,
	    "FiscalTransactionReferenceId")) != NULL) {
		w_need_agency(w, r, &f->ref_agency);
		w_text(w, r, "FiscalTransactionIdentifierValue", f->ref_id);
	}
	w_need_code(w, n, "FiscalTransactionType", &f->type);
	w_date(w, n, "ValidFromDate", &f->valid_from);
	w_date(w, n, "ValidToDate", &f->valid_to);
	w_money(w, n, "Amount", &f->amount);
	w_code(w, n, "PaymentMethodType", &f->payment_method);
	w_text(w, n, "FiscalTransactionDescription", f->description);
	w_id(w, n, ID_REQUEST, &f->request_id);
	if (f->has_item) {
		if (w_need(w, f->item_id.value != NULL, "ItemId") == -1 ||
		    (d = w_el(w, n, "ItemDetails")) == NULL)
			return (-1);
		w_id(w, d, ID_ITEM, &f->item_id);
		w_bib(w, d, &f->item_bib);
		w_date(w, d, "DateDue", &f->item_date_due);
	}
	return (w->failed ? -1 : 0);
}

static int
w_account(struct wr *w, xmlNodePtr parent, const struct ncip_account *a)
{
	xmlNodePtr	 n, d;
	size_t		 i;

	if (w_need(w, a->balance.set, "AccountBalance") == -1 ||
	    (n = w_el(w, parent, "UserFiscalAccount")) == NULL ||
	    w_money(w, n, "AccountBalance", &a->balance) == -1)
		return (-1);
	for (i = 0; i < a->ndetails; i++) {
		if (w_need(w, a->details[i].accrual.set, "AccrualDate") == -1 ||
		    (d = w_el(w, n, "AccountDetails")) == NULL)
			return (-1);
		w_date(w, d, "AccrualDate", &a->details[i].accrual);
		w_fiscal(w, d, &a->details[i].tx);
	}
	return (w->failed ? -1 : 0);
}

static int
w_routing(struct wr *w, xmlNodePtr parent, const struct ncip_routing *ro)
{
	xmlNodePtr	 n, d;

	if (!ro->present || w->failed)
		return (w->failed ? -1 : 0);
	if (w_need(w, ro->instructions != NULL, "RoutingInstructions") == -1 ||
	    w_need(w, ro->bin != NULL || ro->destination.nnames > 0,
	    "Destination") == -1 ||
	    (n = w_el(w, parent, "RoutingInformation")) == NULL)
		return (-1);
	w_text(w, n, "RoutingInstructions", ro->instructions);
	if ((d = w_el(w, n, "Destination")) == NULL)
		return (-1);
	w_text(w, d, "BinNumber", ro->bin);
	if (ro->destination.nnames > 0)
		w_location(w, d, &ro->destination);
	w_code(w, n, "RequestType", &ro->request_type);
	w_id(w, n, ID_USER, &ro->user_id);
	w_name(w, n, &ro->name);
	return (w->failed ? -1 : 0);
}

/*
 * A Problem.  Version 1 nests it as ProcessingError or MessagingError and
 * has no place for the detail.  A value about authentication input is
 * never written: it may be the secret.
 */
static int
w_problem(struct wr *w, xmlNodePtr parent, const struct ncip_problem *p)
{
	const char	*value = p->value, *kind;
	xmlNodePtr	 n, e, el;
	char		 name[64];

	if (w_need(w, p->type.value != NULL, "ProblemType") == -1 ||
	    (n = w_el(w, parent, "Problem")) == NULL)
		return (-1);
	if (p->element != NULL &&
	    strncasecmp(p->element, "AuthenticationInput", 19) == 0)
		value = NULL;
	if (!w->v1) {
		w_code(w, n, "ProblemType", &p->type);
		w_text(w, n, "ProblemDetail", p->detail);
		w_text(w, n, "ProblemElement", p->element);
		w_text(w, n, "ProblemValue", value);
		return (w->failed ? -1 : 0);
	}
	kind = ncip_problem_is_messaging(p->kind) ? "MessagingError" :
	    "ProcessingError";
	if ((e = w_el(w, n, kind)) == NULL)
		return (-1);
	(void)snprintf(name, sizeof(name), "%sType", kind);
	w_code(w, e, name, &p->type);
	if (p->element != NULL) {
		(void)snprintf(name, sizeof(name), "%sElement", kind);
		if ((el = w_el(w, e, name)) == NULL)
			return (-1);
		w_text(w, el, "ElementName", p->element);
		(void)snprintf(name, sizeof(name), "%sValue", kind);
		w_text(w, el, name, value);
	}
	return (w->failed ? -1 : 0);
}

/* ItemId, or RequestId and ItemId, whichever a response carries. */
static int
w_item_or_request(struct wr *w, xmlNodePtr n, const struct ncip_msg *m)
{
	if (m->request_id.value != NULL) {
		w_id(w, n, ID_REQUEST, &m->request_id);
		if (!w->v1)
			w_id(w, n, ID_ITEM, &m->item_id);
	} else
		w_id(w, n, ID_ITEM, &m->item_id);
	return (w->failed ? -1 : 0);
}

static int
w_items(struct wr *w, xmlNodePtr n, const struct ncip_msg *m)
{
	size_t	 i;

	w_id(w, n, ID_ITEM, &m->item_id);
	for (i = 0; i < m->nmore_item_ids && !w->v1; i++)
		w_id(w, n, ID_ITEM, &m->more_item_ids[i]);
	return (w->failed ? -1 : 0);
}

static int
w_desired(struct wr *w, xmlNodePtr n, const struct ncip_msg *m)
{
	w_codes(w, n, "ItemElementType", m->item_elements, m->nitem_elements);
	w_codes(w, n, "UserElementType", m->user_elements, m->nuser_elements);
	return (w->failed ? -1 : 0);
}

/* The body of each request, in the schema's order. */
static int
w_request(struct wr *w, xmlNodePtr n, const struct ncip_msg *m)
{
	size_t	 i;

	switch (m->service) {
	case NCIP_LOOKUP_USER:
		w_user(w, n, m);
		w_codes(w, n, "UserElementType", m->user_elements,
		    m->nuser_elements);
		if (m->loans_desired)
			w_el(w, n, "LoanedItemsDesired");
		if (m->holds_desired)
			w_el(w, n, "RequestedItemsDesired");
		if (m->account_desired)
			w_el(w, n, "UserFiscalAccountDesired");
		break;
	case NCIP_LOOKUP_ITEM:
		if (m->item_id.value != NULL)
			w_id(w, n, ID_ITEM, &m->item_id);
		else
			w_id(w, n, ID_REQUEST, &m->request_id);
		w_codes(w, n, "ItemElementType", m->item_elements,
		    m->nitem_elements);
		break;
	case NCIP_CHECKOUT_ITEM:
		w_user(w, n, m);
		w_id(w, n, ID_ITEM, &m->item_id);
		w_id(w, n, ID_REQUEST, &m->request_id);
		w_date(w, n, "DesiredDateDue", &m->desired_date_due);
		w_desired(w, n, m);
		break;
	case NCIP_CHECKIN_ITEM:
		w_id(w, n, ID_ITEM, &m->item_id);
		w_desired(w, n, m);
		break;
	case NCIP_RENEW_ITEM:
		w_user(w, n, m);
		w_id(w, n, ID_ITEM, &m->item_id);
		w_desired(w, n, m);
		w_date(w, n, "DesiredDateDue", &m->desired_date_due);
		w_date(w, n, "DesiredDateForReturn", &m->date_for_return);
		break;
	case NCIP_REQUEST_ITEM:
		w_user(w, n, m);
		if (m->nbib_ids > 0) {
			for (i = 0; i < m->nbib_ids; i++)
				w_bibid(w, n, &m->bib_ids[i]);
			/* Version 1 takes ids or items, not both. */
			if (!w->v1)
				w_items(w, n, m);
		} else
			w_items(w, n, m);
		w_id(w, n, ID_REQUEST, &m->request_id);
		w_code(w, n, "RequestType", &m->request_type);
		w_code(w, n, "RequestScopeType", &m->request_scope);
		w_item_fields(w, n, &m->item);
		w_code(w, n, "PickupLocation", &m->pickup_location);
		w_date(w, n, "PickupExpiryDate", &m->pickup_expiry);
		w_desired(w, n, m);
		break;
	case NCIP_CANCEL_REQUEST_ITEM:
		w_user(w, n, m);
		w_item_or_request(w, n, m);
		w_code(w, n, "RequestType", &m->request_type);
		w_code(w, n, "RequestScopeType", &m->request_scope);
		w_desired(w, n, m);
		break;
	case NCIP_ACCEPT_ITEM:
		w_id(w, n, ID_REQUEST, &m->request_id);
		w_code(w, n, "RequestedActionType", &m->requested_action);
		w_id(w, n, ID_USER, &m->user_id);
		w_id(w, n, ID_ITEM, &m->item_id);
		if (m->date_for_return.set)
			w_date(w, n, "DateForReturn", &m->date_for_return);
		else if (m->indeterminate)
			w_el(w, n, "IndeterminateLoanPeriodFlag");
		w_item_fields(w, n, &m->item);
		w_user_optional(w, n, &m->user);
		w_code(w, n, "PickupLocation", &m->pickup_location);
		w_date(w, n, "PickupExpiryDate", &m->pickup_expiry);
		break;
	case NCIP_CREATE_USER:
		if (m->nauth > 0)
			w_auths(w, n, m->auth, m->nauth);
		else
			w_id(w, n, ID_USER, &m->user_id);
		w_user_fields(w, n, &m->user, w->v1);
		break;
	case NCIP_UPDATE_USER:
		w_user(w, n, m);
		w_user_change(w, n, "DeleteUserFields", &m->user_delete);
		w_user_change(w, n, "AddUserFields", &m->user_add);
		break;
	case NCIP_DELETE_ITEM:
		w_id(w, n, ID_ITEM, &m->item_id);
		break;
	case NCIP_LOOKUP_ITEM_SET:
		if (w->v1)
			return (w_fail(w, NCIP_PT_UNSUPPORTED_SERVICE,
			    "LookupItemSet", "not in version 1"));
		if (m->nbib_ids > 0) {
			for (i = 0; i < m->nbib_ids; i++)
				w_bibid(w, n, &m->bib_ids[i]);
		} else
			w_items(w, n, m);
		w_codes(w, n, "ItemElementType", m->item_elements,
		    m->nitem_elements);
		if (m->max_items > 0)
			w_long(w, n, "MaximumItemsCount", m->max_items);
		break;
	default:
		return (w_fail(w, NCIP_PT_UNSUPPORTED_SERVICE,
		    ncip_service_name(m->service), "not a request"));
	}
	return (w->failed ? -1 : 0);
}

static int
w_lookup_user_resp(struct wr *w, xmlNodePtr n, const struct ncip_msg *m)
{
	xmlNodePtr	 t = n;
	size_t		 i;

	w_id(w, n, ID_USER, &m->user_id);
	for (i = 0; i < m->naccounts; i++)
		w_account(w, n, &m->accounts[i]);
	if (w->v1) {
		/*
		 * Version 1 wraps requests and loans in UserTransaction.
		 * XXX The order (UniqueUserId, UserFiscalAccount,
		 * UserTransaction, UserOptionalFields) follows what version 1
		 * peers send, not the DTD, which was not at hand; a peer that
		 * validates against the DTD may refuse it.
		 */
		if (m->nholds + m->nloans > 0 &&
		    (t = w_el(w, n, "UserTransaction")) == NULL)
			return (-1);
		for (i = 0; i < m->nholds; i++)
			w_hold(w, t, &m->holds[i]);
		for (i = 0; i < m->nloans; i++)
			w_loan(w, t, &m->loans[i]);
	} else {
		for (i = 0; i < m->nloan_counts; i++)
			w_count(w, n, "LoanedItemsCount",
			    "LoanedItemCountValue", &m->loan_counts[i]);
		for (i = 0; i < m->nloans; i++)
			w_loan(w, n, &m->loans[i]);
		for (i = 0; i < m->nhold_counts; i++)
			w_count(w, n, "RequestedItemsCount",
			    "RequestedItemCountValue", &m->hold_counts[i]);
		for (i = 0; i < m->nholds; i++)
			w_hold(w, n, &m->holds[i]);
	}
	w_user_optional(w, n, &m->user);
	return (w->failed ? -1 : 0);
}

/* A HoldingsSet: its copies, or the Problem that stands for them. */
static int
w_holdings(struct wr *w, xmlNodePtr parent, const struct ncip_holdings *h)
{
	xmlNodePtr	 n, c;
	size_t		 i;

	if ((n = w_el(w, parent, "HoldingsSet")) == NULL)
		return (-1);
	w_text(w, n, "HoldingsSetId", h->id);
	if (h->problem != NULL || h->ncopies == 0) {
		if (w_need(w, h->problem != NULL, "ItemInformation") == -1)
			return (-1);
		return (w_problem(w, n, h->problem));
	}
	w_text(w, n, "CallNumber", h->call_number);
	for (i = 0; i < h->ncopies; i++) {
		if ((c = w_el(w, n, "ItemInformation")) == NULL)
			return (-1);
		w_id(w, c, ID_ITEM, &h->copies[i].item_id);
		if (h->copies[i].problem != NULL)
			w_problem(w, c, h->copies[i].problem);
		else
			w_item_fields(w, c, &h->copies[i].item);
	}
	return (w->failed ? -1 : 0);
}

/*
 * BibInformation: the title's id and description and its HoldingsSets,
 * or the Problem that stands for them.
 */
static int
w_bib_info(struct wr *w, xmlNodePtr parent, const struct ncip_bib_info *bi)
{
	xmlNodePtr	 n;
	size_t		 i;

	if ((n = w_el(w, parent, "BibInformation")) == NULL)
		return (-1);
	if (bi->bib_id.value != NULL)
		w_bibid(w, n, &bi->bib_id);
	if (bi->nproblems > 0 || bi->nholdings == 0) {
		if (w_need(w, bi->nproblems > 0, "HoldingsSet") == -1)
			return (-1);
		for (i = 0; i < bi->nproblems; i++)
			if (w_problem(w, n, &bi->problems[i]) == -1)
				return (-1);
		return (0);
	}
	if (bi->has_bib)
		w_bib(w, n, &bi->bib);
	for (i = 0; i < bi->nholdings; i++)
		if (w_holdings(w, n, &bi->holdings[i]) == -1)
			return (-1);
	return (w->failed ? -1 : 0);
}

static int
w_item_set_resp(struct wr *w, xmlNodePtr n, const struct ncip_msg *m)
{
	size_t	 i;

	if (w->v1)
		return (w_fail(w, NCIP_PT_UNSUPPORTED_SERVICE,
		    "LookupItemSetResponse", "not in version 1"));
	if (w_need(w, m->nbib_infos > 0, "BibInformation") == -1)
		return (-1);
	for (i = 0; i < m->nbib_infos; i++)
		if (w_bib_info(w, n, &m->bib_infos[i]) == -1)
			return (-1);
	return (w->failed ? -1 : 0);
}

/* The body of each successful response, in the schema's order. */
static int
w_response(struct wr *w, xmlNodePtr n, const struct ncip_msg *m)
{
	switch (m->service) {
	case NCIP_LOOKUP_USER_RESP:
		return (w_lookup_user_resp(w, n, m));
	case NCIP_LOOKUP_ITEM_RESP:
		w_item_or_request(w, n, m);
		w_date(w, n, "HoldPickupDate", &m->hold_pickup_date);
		w_item_fields(w, n, &m->item);
		break;
	case NCIP_CHECKOUT_ITEM_RESP:
		w_id(w, n, ID_ITEM, &m->item_id);
		w_id(w, n, ID_USER, &m->user_id);
		if (m->date_due.set)
			w_date(w, n, "DateDue", &m->date_due);
		else
			w_el(w, n, "IndeterminateLoanPeriodFlag");
		if (m->renewal_count >= 0)
			w_long(w, n, "RenewalCount", m->renewal_count);
		w_item_fields(w, n, &m->item);
		w_user_optional(w, n, &m->user);
		break;
	case NCIP_CHECKIN_ITEM_RESP:
		w_id(w, n, ID_ITEM, &m->item_id);
		w_id(w, n, ID_USER, &m->user_id);
		w_routing(w, n, &m->routing);
		w_item_fields(w, n, &m->item);
		w_user_optional(w, n, &m->user);
		break;
	case NCIP_RENEW_ITEM_RESP:
		if (m->pending) {
			n = w_el(w, n, "Pending");
			if (n != NULL)
				w_date(w, n, "DateOfExpectedReply",
				    &m->expected_reply);
			break;
		}
		w_id(w, n, ID_ITEM, &m->item_id);
		w_id(w, n, ID_USER, &m->user_id);
		w_date(w, n, "DateDue", &m->date_due);
		w_date(w, n, "DateForReturn", &m->date_for_return);
		if (m->renewal_count >= 0)
			w_long(w, n, "RenewalCount", m->renewal_count);
		w_item_fields(w, n, &m->item);
		w_user_optional(w, n, &m->user);
		break;
	case NCIP_REQUEST_ITEM_RESP:
		w_item_or_request(w, n, m);
		w_id(w, n, ID_USER, &m->user_id);
		w_code(w, n, "RequestType", &m->request_type);
		w_code(w, n, "RequestScopeType", &m->request_scope);
		w_date(w, n, "DateAvailable", &m->date_available);
		w_date(w, n, "HoldPickupDate", &m->hold_pickup_date);
		w_item_fields(w, n, &m->item);
		w_user_optional(w, n, &m->user);
		break;
	case NCIP_CANCEL_REQUEST_ITEM_RESP:
		w_item_or_request(w, n, m);
		w_id(w, n, ID_USER, &m->user_id);
		w_item_fields(w, n, &m->item);
		w_user_optional(w, n, &m->user);
		break;
	case NCIP_ACCEPT_ITEM_RESP:
		w_id(w, n, ID_REQUEST, &m->request_id);
		w_id(w, n, ID_ITEM, &m->item_id);
		break;
	case NCIP_CREATE_USER_RESP:
	case NCIP_UPDATE_USER_RESP:
		w_id(w, n, ID_USER, &m->user_id);
		break;
	case NCIP_DELETE_ITEM_RESP:
		w_id(w, n, ID_ITEM, &m->item_id);
		break;
	case NCIP_LOOKUP_ITEM_SET_RESP:
		return (w_item_set_resp(w, n, m));
	default:
		return (w_fail(w, NCIP_PT_UNSUPPORTED_SERVICE,
		    ncip_service_name(m->service), "not a response"));
	}
	return (w->failed ? -1 : 0);
}

/* LookupVersion has no header: its agencies stand in the body. */
static int
w_lookup_version(struct wr *w, xmlNodePtr n, const struct ncip_msg *m)
{
	size_t	 i;

	w_wrapped_agency(w, n, "FromAgencyId", &m->header.from_agency);
	w_wrapped_agency(w, n, "ToAgencyId", &m->header.to_agency);
	for (i = 0; i < m->nversions && m->service == NCIP_LOOKUP_VERSION_RESP;
	    i++)
		w_text(w, n, "VersionSupported", m->versions[i]);
	return (w->failed ? -1 : 0);
}

static int
w_body(struct wr *w, xmlNodePtr root, const struct ncip_msg *m)
{
	xmlNodePtr	 n;
	size_t		 i, np;

	if (m->service == NCIP_PROBLEM) {
		for (i = 0; i < m->nproblems; i++)
			w_problem(w, root, &m->problems[i]);
		return (w->failed ? -1 : 0);
	}
	if ((n = w_el(w, root, ncip_service_name(m->service))) == NULL)
		return (-1);
	if (m->service == NCIP_LOOKUP_VERSION ||
	    m->service == NCIP_LOOKUP_VERSION_RESP)
		return (w_lookup_version(w, n, m));
	if (ncip_service_is_request(m->service)) {
		w_header(w, n, &m->header, 1);
		return (w_request(w, n, m));
	}
	w_header(w, n, &m->header, 0);
	if (m->nproblems > 0) {
		/* Version 1 answers with one Problem. */
		np = w->v1 ? 1 : m->nproblems;
		for (i = 0; i < np; i++)
			w_problem(w, n, &m->problems[i]);
		return (w->failed ? -1 : 0);
	}
	return (w_response(w, n, m));
}

/* Set a dialect to a version's defaults. */
void
ncip_dialect_default(struct ncip_dialect *d, int version)
{
	memset(d, 0, sizeof(*d));
	if (version == 1) {
		d->version = 1;
		d->version_str = NCIP_V1_0;
		d->ns = NCIP_NSS_NONE;
		d->doctype = 1;
		return;
	}
	d->version = 2;
	d->version_str = NCIP_V2_02;
	d->ns = NCIP_NSS_DEFAULT;
	d->qualified_attrs = 1;
}

static int
w_envelope(struct wr *w, const struct ncip_dialect *d, xmlNodePtr *rootp)
{
	const char	*version = d->version_str;
	xmlNodePtr	 root;
	xmlChar		*c;

	if (version == NULL)
		version = d->version == 1 ? NCIP_V1_0 : NCIP_V2_02;
	if ((root = xmlNewDocNode(w->doc, NULL,
	    (const xmlChar *)"NCIPMessage", NULL)) == NULL)
		return (w_nomem(w));
	(void)xmlDocSetRootElement(w->doc, root);
	if (w->v1 && d->doctype && xmlCreateIntSubset(w->doc,
	    (const xmlChar *)"NCIPMessage", (const xmlChar *)(strstr(version,
	    "1_01") != NULL ? NCIP_V1_01_PUBLIC_ID : NCIP_V1_PUBLIC_ID),
	    (const xmlChar *)version) == NULL)
		return (w_nomem(w));
	if (!w->v1 && d->ns != NCIP_NSS_NONE) {
		w->ns = xmlNewNs(root, (const xmlChar *)NCIP_NS,
		    d->ns == NCIP_NSS_PREFIX ?
		    (const xmlChar *)NCIP_NS_PREFIX : NULL);
		if (w->ns == NULL)
			return (w_nomem(w));
		xmlSetNs(root, w->ns);
		/* A qualified attribute needs a prefix, even by a default. */
		if (d->qualified_attrs && d->ns == NCIP_NSS_PREFIX)
			w->ans = w->ns;
		else if (d->qualified_attrs && (w->ans = xmlNewNs(root,
		    (const xmlChar *)NCIP_NS,
		    (const xmlChar *)NCIP_NS_PREFIX)) == NULL)
			return (w_nomem(w));
	}
	if ((c = w_clean(w, "version", version)) == NULL)
		return (-1);
	if (xmlNewNsProp(root, w->ans, (const xmlChar *)"version", c) == NULL)
		w_nomem(w);
	xmlFree(c);
	*rootp = root;
	return (w->failed ? -1 : 0);
}

/* Build a message as a libxml2 document. */
xmlDocPtr
ncip_build_doc(const struct ncip_msg *m, const struct ncip_dialect *d,
    struct ncip_error *err)
{
	struct ncip_error	 scratch;
	struct wr		 w;
	xmlNodePtr		 root;
	const char		*missing;

	if (err == NULL)
		err = &scratch;
	memset(err, 0, sizeof(*err));
	if (d == NULL)
		d = &m->dialect;
	err->service = m->service;
	err->dialect = *d;
	err->dialect.version_str = NULL;
	memset(&w, 0, sizeof(w));
	w.err = err;
	w.svc = m->service;
	w.v1 = d->version == 1;

	if ((missing = ncip_msg_missing(m)) != NULL) {
		ncip_error_set(err, NCIP_PT_NEEDED_DATA_MISSING, missing,
		    "a needed element is missing");
		return (NULL);
	}
	if ((w.doc = xmlNewDoc((const xmlChar *)"1.0")) == NULL) {
		w_nomem(&w);
		return (NULL);
	}
	if (w_envelope(&w, d, &root) == -1 || w_body(&w, root, m) == -1 ||
	    w.failed) {
		xmlFreeDoc(w.doc);
		return (NULL);
	}
	return (w.doc);
}

static void
w_quiet(void *ctx, xmlErrorPtr e)
{
	/* A failed dump shows as no output; the message says enough. */
}

/* Build a message as bytes. */
int
ncip_build(const struct ncip_msg *m, const struct ncip_dialect *d,
    char **out, size_t *outlen, struct ncip_error *err)
{
	struct ncip_quiet q;
	xmlDocPtr	 doc;
	xmlChar		*mem = NULL;
	int		 len = 0;

	*out = NULL;
	*outlen = 0;
	if ((doc = ncip_build_doc(m, d, err)) == NULL)
		return (-1);
	ncip_quiet(&q, w_quiet, NULL);
	xmlDocDumpFormatMemoryEnc(doc, &mem, &len, "UTF-8", 0);
	ncip_unquiet(&q);
	xmlFreeDoc(doc);
	if (mem == NULL || len <= 0 || (*out = malloc((size_t)len + 1)) ==
	    NULL) {
		xmlFree(mem);
		if (err != NULL)
			ncip_error_set(err, NCIP_PT_TEMPORARY_FAILURE, NULL,
			    "out of memory");
		return (-1);
	}
	memcpy(*out, mem, (size_t)len);
	(*out)[len] = '\0';
	*outlen = (size_t)len;
	xmlFree(mem);
	return (0);
}
