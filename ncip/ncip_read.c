/* SPDX-License-Identifier: ISC */
/*
 * Reading a checked NCIP document into a message: versions 1 and 2, any
 * namespace dialect, element order tolerated, unknown elements skipped,
 * each element read through a table of the children it may hold.
 */

#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#include "ncip.h"

#define CODE_MAX	NCIP_ID_MAX		/* a coded value */
#define SCHEME_MAX	(4 * NCIP_ID_MAX)	/* a scheme URI */
#define DATE_MAX	64

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* Append a zeroed slot to an arena array; slot is NULL on no memory. */
#define PUSH(r, arr, n, slot) do {					\
	void	*a_ = (arr);						\
	(slot) = ncip_arena_push((r)->m, &a_, &(n), sizeof(*(arr)));	\
	(arr) = a_;							\
} while (0)

struct rd {
	struct ncip_msg		*m;
	struct ncip_error	*err;
	size_t			 text_max;
	int			 failed;
};

/* How one child element is read into the structure being filled. */
enum fkind {
	F_STR,		/* free text, up to text_max */
	F_IDSTR,	/* an identifier or secret, up to NCIP_ID_MAX */
	F_CODE,		/* a coded value, either version */
	F_AGENCY,	/* FromAgencyId and kin: an agency inside */
	F_DATE,
	F_FLAG,		/* an empty element that says yes */
	F_COUNT,	/* a non-negative integer into a long */
	F_ID,		/* UserId, ItemId, RequestId and version 1 forms */
	F_MONEY,	/* Amount, AccountBalance */
	F_SUB,		/* children read with another table at off */
	F_SUBP,		/* the same, and the int at off set to 1 */
	F_CALL,		/* a function of its own */
};

struct field {
	const char		*name;
	enum fkind		 kind;
	size_t			 off;
	const struct field	*sub;
	size_t			 nsub;
	int			(*fn)(struct rd *, xmlNodePtr, void *);
};

#define FS(n, k, t, m)		{ n, k, offsetof(t, m), NULL, 0, NULL }
#define FSUB(n, k, t, m, s)	{ n, k, offsetof(t, m), s, nitems(s), NULL }
#define FFLAT(n, s)		{ n, F_SUB, 0, s, nitems(s), NULL }
#define FCALL(n, f)		{ n, F_CALL, 0, NULL, 0, f }

static int	rd_fields(struct rd *, xmlNodePtr, const struct field *, size_t,
		    void *);

static int
rd_fail(struct rd *r, enum ncip_problem_type kind, const char *element,
    const char *detail)
{
	if (!r->failed) {
		r->failed = 1;
		ncip_error_set(r->err, kind, element, detail);
	}
	return (-1);
}

static int
rd_nomem(struct rd *r)
{
	return (rd_fail(r, NCIP_PT_TEMPORARY_FAILURE, NULL, "out of memory"));
}

/* An element of NCIP's namespace, or of none. */
static int
is_el(xmlNodePtr n)
{
	return (n->type == XML_ELEMENT_NODE && (n->ns == NULL ||
	    n->ns->href == NULL ||
	    strcmp((const char *)n->ns->href, NCIP_NS) == 0));
}

static xmlNodePtr
next_el(xmlNodePtr n)
{
	for (; n != NULL; n = n->next) {
		if (is_el(n))
			return (n);
	}
	return (NULL);
}

#define FIRST(p)	next_el((p)->children)
#define NEXT(c)		next_el((c)->next)

static int
named(xmlNodePtr n, const char *name)
{
	return (strcmp((const char *)n->name, name) == 0);
}

static int
ends_with(xmlNodePtr n, const char *suffix)
{
	size_t	 ln = strlen((const char *)n->name), ls = strlen(suffix);

	return (ln >= ls && strcmp((const char *)n->name + ln - ls,
	    suffix) == 0);
}

/*
 * Copy the text of a node list into the arena, trimmed of surrounding
 * white space; empty text reads as absent.
 */
static int
rd_text_list(struct rd *r, xmlNodePtr list, const char *what, size_t max,
    const char **out)
{
	xmlNodePtr	 t;
	size_t		 len = 0, b, e, l;
	char		*s, detail[NCIP_ERR_DETAIL_MAX];

	*out = NULL;
	for (t = list; t != NULL; t = t->next) {
		if ((t->type == XML_TEXT_NODE ||
		    t->type == XML_CDATA_SECTION_NODE) && t->content != NULL)
			len += strlen((const char *)t->content);
	}
	if (len == 0)
		return (0);
	if ((s = ncip_arena_alloc(r->m, len + 1)) == NULL)
		return (rd_nomem(r));
	len = 0;
	for (t = list; t != NULL; t = t->next) {
		if ((t->type == XML_TEXT_NODE ||
		    t->type == XML_CDATA_SECTION_NODE) && t->content != NULL) {
			l = strlen((const char *)t->content);
			memcpy(s + len, t->content, l);
			len += l;
		}
	}
	s[len] = '\0';
	for (b = 0; b < len && isspace((unsigned char)s[b]); b++)
		;
	for (e = len; e > b && isspace((unsigned char)s[e - 1]); e--)
		;
	if (e - b > max) {
		(void)snprintf(detail, sizeof(detail), "longer than %zu bytes",
		    max);
		return (rd_fail(r, NCIP_PT_INVALID_MESSAGE_SYNTAX, what,
		    detail));
	}
	if (e == b)
		return (0);
	memmove(s, s + b, e - b);
	s[e - b] = '\0';
	*out = s;
	return (0);
}

static int
rd_str(struct rd *r, xmlNodePtr n, size_t max, const char **out)
{
	return (rd_text_list(r, n->children, (const char *)n->name, max,
	    out));
}

/* The Scheme attribute, whatever namespace it came in. */
static int
rd_scheme_attr(struct rd *r, xmlNodePtr n, const char **out)
{
	xmlAttrPtr	 a;

	*out = NULL;
	for (a = n->properties; a != NULL; a = a->next) {
		if (strcmp((const char *)a->name, "Scheme") == 0)
			return (rd_text_list(r, a->children, "Scheme",
			    SCHEME_MAX, out));
	}
	return (0);
}

/* A coded value: text and Scheme attribute, or Scheme and Value children. */
static int
rd_code(struct rd *r, xmlNodePtr n, struct ncip_code *c)
{
	xmlNodePtr	 k;
	int		 kids = 0;

	for (k = FIRST(n); k != NULL; k = NEXT(k)) {
		if (named(k, "Scheme")) {
			kids = 1;
			if (rd_str(r, k, SCHEME_MAX, &c->scheme) == -1)
				return (-1);
		} else if (named(k, "Value")) {
			kids = 1;
			if (rd_str(r, k, CODE_MAX, &c->value) == -1)
				return (-1);
		}
	}
	if (kids)
		return (0);
	if (rd_str(r, n, CODE_MAX, &c->value) == -1)
		return (-1);
	return (rd_scheme_attr(r, n, &c->scheme));
}

/* FromAgencyId and kin: AgencyId (2) or UniqueAgencyId (1) inside. */
static int
rd_agency(struct rd *r, xmlNodePtr n, struct ncip_code *c)
{
	xmlNodePtr	 k;

	for (k = FIRST(n); k != NULL; k = NEXT(k)) {
		if (named(k, "AgencyId") || named(k, "UniqueAgencyId"))
			return (rd_code(r, k, c));
	}
	/* Some peers put the agency straight in. */
	return (rd_code(r, n, c));
}

/*
 * UserId, ItemId, RequestId and version 1's Unique* and Visible* forms:
 * an agency, a type and a value, whatever the prefix of their names.
 */
static int
rd_id(struct rd *r, xmlNodePtr n, struct ncip_id *id)
{
	xmlNodePtr	 k;

	for (k = FIRST(n); k != NULL; k = NEXT(k)) {
		if (named(k, "AgencyId") || named(k, "UniqueAgencyId")) {
			if (rd_code(r, k, &id->agency) == -1)
				return (-1);
		} else if (ends_with(k, "IdentifierType")) {
			if (rd_code(r, k, &id->type) == -1)
				return (-1);
		} else if (ends_with(k, "IdentifierValue") ||
		    named(k, "VisibleUserIdentifier") ||
		    named(k, "VisibleItemIdentifier")) {
			if (rd_str(r, k, NCIP_ID_MAX, &id->value) == -1)
				return (-1);
		}
	}
	return (0);
}

/* A non-negative count; what does not read as one is left absent. */
static int
rd_count(struct rd *r, xmlNodePtr n, long *out)
{
	const char	*s;
	char		*end;
	long		 v;

	if (rd_str(r, n, DATE_MAX, &s) == -1)
		return (-1);
	if (s == NULL || !isdigit((unsigned char)*s))
		return (0);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0)
		return (0);
	*out = v;
	return (0);
}

/*
 * MonetaryValue is an integer of minor units; "2.50" from a peer that
 * sends decimals reads as 250.
 */
static int
money_value(const char *s, long long *out)
{
	long long	 v = 0;
	int		 neg = 0, frac = -1;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!isdigit((unsigned char)*s))
		return (-1);
	for (; *s != '\0'; s++) {
		if (*s == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (!isdigit((unsigned char)*s) || frac == 2)
			return (-1);
		if (v > (LLONG_MAX - 9) / 10)
			return (-1);
		v = v * 10 + (*s - '0');
		if (frac >= 0)
			frac++;
	}
	if (frac >= 0) {
		for (; frac < 2; frac++) {
			if (v > LLONG_MAX / 10)
				return (-1);
			v *= 10;
		}
	}
	*out = neg ? -v : v;
	return (0);
}

static int
rd_money(struct rd *r, xmlNodePtr n, struct ncip_money *mo)
{
	xmlNodePtr	 k;
	const char	*s;

	mo->set = 1;
	for (k = FIRST(n); k != NULL; k = NEXT(k)) {
		if (named(k, "CurrencyCode")) {
			if (rd_code(r, k, &mo->currency) == -1)
				return (-1);
		} else if (named(k, "MonetaryValue")) {
			if (rd_str(r, k, DATE_MAX, &s) == -1)
				return (-1);
			if (s == NULL || money_value(s, &mo->value) == -1)
				return (rd_fail(r, NCIP_PT_INVALID_AMOUNT,
				    "MonetaryValue", "not an integer amount"));
		}
	}
	return (0);
}

static int
rd_date(struct rd *r, xmlNodePtr n, struct ncip_date *d)
{
	const char	*s;

	if (rd_str(r, n, DATE_MAX, &s) == -1)
		return (-1);
	if (s == NULL)
		return (0);
	/* A date that does not read is kept as text, not set. */
	(void)ncip_date_parse(s, d);
	return (0);
}

/* Read one child through a table; unknown children are skipped. */
static int
rd_one(struct rd *r, xmlNodePtr c, const struct field *f, size_t nf,
    void *base)
{
	size_t	 i;
	char	*p;

	for (i = 0; i < nf; i++) {
		if (named(c, f[i].name))
			break;
	}
	if (i == nf)
		return (0);
	p = (char *)base + f[i].off;
	switch (f[i].kind) {
	case F_STR:
		return (rd_str(r, c, r->text_max, (const char **)(void *)p));
	case F_IDSTR:
		return (rd_str(r, c, NCIP_ID_MAX, (const char **)(void *)p));
	case F_CODE:
		return (rd_code(r, c, (struct ncip_code *)(void *)p));
	case F_AGENCY:
		return (rd_agency(r, c, (struct ncip_code *)(void *)p));
	case F_DATE:
		return (rd_date(r, c, (struct ncip_date *)(void *)p));
	case F_FLAG:
		*(int *)(void *)p = 1;
		return (0);
	case F_COUNT:
		return (rd_count(r, c, (long *)(void *)p));
	case F_ID:
		return (rd_id(r, c, (struct ncip_id *)(void *)p));
	case F_MONEY:
		return (rd_money(r, c, (struct ncip_money *)(void *)p));
	case F_SUBP:
		*(int *)(void *)p = 1;
		/* FALLTHROUGH */
	case F_SUB:
		return (rd_fields(r, c, f[i].sub, f[i].nsub, p));
	case F_CALL:
		return (f[i].fn(r, c, base));
	}
	return (0);
}

static int
rd_fields(struct rd *r, xmlNodePtr n, const struct field *f, size_t nf,
    void *base)
{
	xmlNodePtr	 c;

	for (c = FIRST(n); c != NULL; c = NEXT(c)) {
		if (rd_one(r, c, f, nf, base) == -1)
			return (-1);
	}
	return (0);
}

/* Header. */
static const struct field header_fields[] = {
	FS("FromSystemId", F_CODE, struct ncip_header, from_system),
	FS("FromSystemAuthentication", F_IDSTR, struct ncip_header,
	    from_system_auth),
	FS("FromAgencyId", F_AGENCY, struct ncip_header, from_agency),
	FS("FromAgencyAuthentication", F_IDSTR, struct ncip_header,
	    from_agency_auth),
	FS("OnBehalfOfAgency", F_AGENCY, struct ncip_header, on_behalf_of),
	FS("ToSystemId", F_CODE, struct ncip_header, to_system),
	FS("ToAgencyId", F_AGENCY, struct ncip_header, to_agency),
	FS("ApplicationProfileType", F_CODE, struct ncip_header, profile),
};

static const struct field auth_fields[] = {
	FS("AuthenticationInputData", F_IDSTR, struct ncip_auth, data),
	FS("AuthenticationDataFormatType", F_CODE, struct ncip_auth, format),
	FS("AuthenticationInputType", F_CODE, struct ncip_auth, type),
};

static int
push_auth(struct rd *r, xmlNodePtr n, struct ncip_auth **arr, size_t *na)
{
	struct ncip_auth	*a;

	PUSH(r, *arr, *na, a);
	if (a == NULL)
		return (rd_nomem(r));
	return (rd_fields(r, n, auth_fields, nitems(auth_fields), a));
}

/* Bibliographic ids and descriptions. */
static const struct field bib_item_id_fields[] = {
	FS("BibliographicItemIdentifier", F_IDSTR, struct ncip_bibid, value),
	FS("BibliographicItemIdentifierCode", F_CODE, struct ncip_bibid, code),
};

static const struct field bib_record_id_fields[] = {
	FS("BibliographicRecordIdentifier", F_IDSTR, struct ncip_bibid, value),
	FS("AgencyId", F_CODE, struct ncip_bibid, agency),
	FS("UniqueAgencyId", F_CODE, struct ncip_bibid, agency),
	FS("BibliographicRecordIdentifierCode", F_CODE, struct ncip_bibid,
	    code),
};

static int
rd_bibid(struct rd *r, xmlNodePtr n, struct ncip_bibid *b)
{
	if (named(n, "BibliographicItemId")) {
		b->kind = NCIP_BIBID_ITEM;
		return (rd_fields(r, n, bib_item_id_fields,
		    nitems(bib_item_id_fields), b));
	}
	b->kind = NCIP_BIBID_RECORD;
	return (rd_fields(r, n, bib_record_id_fields,
	    nitems(bib_record_id_fields), b));
}

/* BibliographicId: one of the two kinds inside. */
static int
push_bibid(struct rd *r, xmlNodePtr n, struct ncip_bibid **arr, size_t *nb)
{
	struct ncip_bibid	*b;
	xmlNodePtr		 k;

	for (k = FIRST(n); k != NULL; k = NEXT(k)) {
		if (!named(k, "BibliographicItemId") &&
		    !named(k, "BibliographicRecordId"))
			continue;
		PUSH(r, *arr, *nb, b);
		if (b == NULL)
			return (rd_nomem(r));
		return (rd_bibid(r, k, b));
	}
	return (0);
}

static int
bib_item_id(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_bib	*b = base;

	return (rd_bibid(r, n, &b->item_id));
}

static int
bib_record_id(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_bib		*b = base;
	struct ncip_bibid	*id;

	PUSH(r, b->record_ids, b->nrecord_ids, id);
	if (id == NULL)
		return (rd_nomem(r));
	return (rd_bibid(r, n, id));
}

static const struct field bib_fields[] = {
	FS("Author", F_STR, struct ncip_bib, author),
	FCALL("BibliographicItemId", bib_item_id),
	FCALL("BibliographicRecordId", bib_record_id),
	FS("Edition", F_STR, struct ncip_bib, edition),
	FS("PlaceOfPublication", F_STR, struct ncip_bib, place),
	FS("PublicationDate", F_STR, struct ncip_bib, publication_date),
	FS("Publisher", F_STR, struct ncip_bib, publisher),
	FS("Title", F_STR, struct ncip_bib, title),
	FS("Language", F_CODE, struct ncip_bib, language),
	FS("MediumType", F_CODE, struct ncip_bib, medium),
};

/* Locations. */
static int
location_name(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_location		*l = base;
	struct ncip_location_name	*ln;
	xmlNodePtr			 i, k;
	long				 level;

	for (i = FIRST(n); i != NULL; i = NEXT(i)) {
		if (!named(i, "LocationNameInstance"))
			continue;
		PUSH(r, l->names, l->nnames, ln);
		if (ln == NULL)
			return (rd_nomem(r));
		for (k = FIRST(i); k != NULL; k = NEXT(k)) {
			if (named(k, "LocationNameLevel")) {
				level = 0;
				if (rd_count(r, k, &level) == -1)
					return (-1);
				ln->level = level > 0 && level <= UINT_MAX ?
				    (unsigned int)level : 0;
			} else if (named(k, "LocationNameValue")) {
				if (rd_str(r, k, r->text_max, &ln->value) == -1)
					return (-1);
			}
		}
	}
	return (0);
}

static const struct field location_fields[] = {
	FS("LocationType", F_CODE, struct ncip_location, type),
	FCALL("LocationName", location_name),
	FS("ValidFromDate", F_DATE, struct ncip_location, valid_from),
	FS("ValidToDate", F_DATE, struct ncip_location, valid_to),
};

static int
push_location(struct rd *r, xmlNodePtr n, struct ncip_location **arr,
    size_t *nl)
{
	struct ncip_location	*l;

	PUSH(r, *arr, *nl, l);
	if (l == NULL)
		return (rd_nomem(r));
	return (rd_fields(r, n, location_fields, nitems(location_fields), l));
}

/* ItemOptionalFields. */
static int
item_bib(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_item_fields	*f = base;

	f->has_bib = 1;
	return (rd_fields(r, n, bib_fields, nitems(bib_fields), &f->bib));
}

static int
item_restriction(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_item_fields	*f = base;
	struct ncip_code	*c;

	PUSH(r, f->restrictions, f->nrestrictions, c);
	if (c == NULL)
		return (rd_nomem(r));
	return (rd_code(r, n, c));
}

static int
item_location(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_item_fields	*f = base;

	return (push_location(r, n, &f->locations, &f->nlocations));
}

static const struct field item_desc_fields[] = {
	FS("CallNumber", F_STR, struct ncip_item_fields, call_number),
	FS("CopyNumber", F_STR, struct ncip_item_fields, copy_number),
};

static const struct field item_fields[] = {
	FCALL("BibliographicDescription", item_bib),
	FCALL("ItemUseRestrictionType", item_restriction),
	FS("CirculationStatus", F_CODE, struct ncip_item_fields, circ_status),
	FS("HoldQueueLength", F_COUNT, struct ncip_item_fields,
	    hold_queue_length),
	FFLAT("ItemDescription", item_desc_fields),
	FCALL("Location", item_location),
	FS("DateDue", F_DATE, struct ncip_item_fields, date_due),
};

/* Names and addresses. */
static const struct field structured_name_fields[] = {
	FS("Prefix", F_STR, struct ncip_name, prefix),
	FS("GivenName", F_STR, struct ncip_name, given),
	FS("Initials", F_STR, struct ncip_name, initials),
	FS("Surname", F_STR, struct ncip_name, surname),
	FS("Suffix", F_STR, struct ncip_name, suffix),
};

static const struct field personal_name_fields[] = {
	FS("UnstructuredPersonalUserName", F_STR, struct ncip_name,
	    unstructured),
	FFLAT("StructuredPersonalUserName", structured_name_fields),
};

static const struct field org_name_fields[] = {
	FS("OrganizationNameType", F_CODE, struct ncip_name, org_type),
	FS("OrganizationName", F_STR, struct ncip_name, org_name),
};

static const struct field name_fields[] = {
	FFLAT("PersonalNameInformation", personal_name_fields),
	FFLAT("OrganizationNameInformation", org_name_fields),
};

static const struct field structured_address_fields[] = {
	FS("LocationWithinBuilding", F_STR, struct ncip_address,
	    within_building),
	FS("HouseName", F_STR, struct ncip_address, house_name),
	FS("Street", F_STR, struct ncip_address, street),
	FS("PostOfficeBox", F_STR, struct ncip_address, po_box),
	FS("District", F_STR, struct ncip_address, district),
	FS("Line1", F_STR, struct ncip_address, line1),
	FS("Line2", F_STR, struct ncip_address, line2),
	FS("Locality", F_STR, struct ncip_address, locality),
	FS("Region", F_STR, struct ncip_address, region),
	FS("Country", F_STR, struct ncip_address, country),
	FS("PostalCode", F_STR, struct ncip_address, postal_code),
	FS("CareOf", F_STR, struct ncip_address, care_of),
};

static const struct field unstructured_address_fields[] = {
	FS("UnstructuredAddressType", F_CODE, struct ncip_address,
	    unstructured_type),
	FS("UnstructuredAddressData", F_STR, struct ncip_address,
	    unstructured),
};

static const struct field physical_address_fields[] = {
	FFLAT("StructuredAddress", structured_address_fields),
	FFLAT("UnstructuredAddress", unstructured_address_fields),
	FS("PhysicalAddressType", F_CODE, struct ncip_address, physical_type),
};

static const struct field electronic_address_fields[] = {
	FS("ElectronicAddressType", F_CODE, struct ncip_address,
	    electronic_type),
	FS("ElectronicAddressData", F_STR, struct ncip_address, electronic),
};

static int
address_physical(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_address	*a = base;

	a->kind = NCIP_ADDR_PHYSICAL;
	return (rd_fields(r, n, physical_address_fields,
	    nitems(physical_address_fields), a));
}

static int
address_electronic(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_address	*a = base;

	a->kind = NCIP_ADDR_ELECTRONIC;
	return (rd_fields(r, n, electronic_address_fields,
	    nitems(electronic_address_fields), a));
}

static const struct field address_fields[] = {
	FS("UserAddressRoleType", F_CODE, struct ncip_address, role),
	FS("ValidFromDate", F_DATE, struct ncip_address, valid_from),
	FS("ValidToDate", F_DATE, struct ncip_address, valid_to),
	FCALL("PhysicalAddress", address_physical),
	FCALL("ElectronicAddress", address_electronic),
};

/* Privileges, blocks, previous ids. */
static const struct field fee_fields[] = {
	FS("Amount", F_MONEY, struct ncip_privilege, fee),
};

static const struct field privilege_status_fields[] = {
	FS("UserPrivilegeStatusType", F_CODE, struct ncip_privilege, status),
	FS("DateOfUserPrivilegeStatus", F_DATE, struct ncip_privilege,
	    status_date),
};

static const struct field privilege_fields[] = {
	FS("AgencyId", F_CODE, struct ncip_privilege, agency),
	FS("UniqueAgencyId", F_CODE, struct ncip_privilege, agency),
	FS("AgencyUserPrivilegeType", F_CODE, struct ncip_privilege, type),
	FS("ValidFromDate", F_DATE, struct ncip_privilege, valid_from),
	FS("ValidToDate", F_DATE, struct ncip_privilege, valid_to),
	FFLAT("UserPrivilegeFee", fee_fields),
	FFLAT("UserPrivilegeStatus", privilege_status_fields),
	FS("UserPrivilegeDescription", F_STR, struct ncip_privilege,
	    description),
};

static const struct field block_fields[] = {
	FS("AgencyId", F_CODE, struct ncip_block, agency),
	FS("UniqueAgencyId", F_CODE, struct ncip_block, agency),
	FS("BlockOrTrapType", F_CODE, struct ncip_block, type),
	FS("ValidFromDate", F_DATE, struct ncip_block, valid_from),
	FS("ValidToDate", F_DATE, struct ncip_block, valid_to),
};

static const struct field prev_unique_fields[] = {
	FS("UniqueAgencyId", F_CODE, struct ncip_prev_id, agency),
	FS("UserIdentifierValue", F_IDSTR, struct ncip_prev_id, value),
};

static const struct field prev_id_fields[] = {
	FS("AgencyId", F_CODE, struct ncip_prev_id, agency),
	FS("UniqueAgencyId", F_CODE, struct ncip_prev_id, agency),
	FS("UserIdentifierValue", F_IDSTR, struct ncip_prev_id, value),
	FFLAT("UniqueUserId", prev_unique_fields),
	FS("ValidFromDate", F_DATE, struct ncip_prev_id, valid_from),
	FS("ValidToDate", F_DATE, struct ncip_prev_id, valid_to),
};

/* UserOptionalFields, and the same fields elsewhere. */
static int
user_id(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_user_fields	*f = base;
	struct ncip_id		*id;

	PUSH(r, f->user_ids, f->nuser_ids, id);
	if (id == NULL)
		return (rd_nomem(r));
	return (rd_id(r, n, id));
}

static int
user_address(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_user_fields	*f = base;
	struct ncip_address	*a;

	PUSH(r, f->addresses, f->naddresses, a);
	if (a == NULL)
		return (rd_nomem(r));
	return (rd_fields(r, n, address_fields, nitems(address_fields), a));
}

static int
user_language(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_user_fields	*f = base;
	struct ncip_code	*c;

	PUSH(r, f->languages, f->nlanguages, c);
	if (c == NULL)
		return (rd_nomem(r));
	return (rd_code(r, n, c));
}

static int
user_privilege(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_user_fields	*f = base;
	struct ncip_privilege	*p;

	PUSH(r, f->privileges, f->nprivileges, p);
	if (p == NULL)
		return (rd_nomem(r));
	return (rd_fields(r, n, privilege_fields, nitems(privilege_fields),
	    p));
}

static int
user_block(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_user_fields	*f = base;
	struct ncip_block	*b;

	PUSH(r, f->blocks, f->nblocks, b);
	if (b == NULL)
		return (rd_nomem(r));
	return (rd_fields(r, n, block_fields, nitems(block_fields), b));
}

static int
user_previous(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_user_fields	*f = base;
	struct ncip_prev_id	*p;

	PUSH(r, f->previous_ids, f->nprevious_ids, p);
	if (p == NULL)
		return (rd_nomem(r));
	return (rd_fields(r, n, prev_id_fields, nitems(prev_id_fields), p));
}

static const struct field user_fields[] = {
	FCALL("VisibleUserId", user_id),
	FCALL("UserId", user_id),
	FSUB("NameInformation", F_SUBP, struct ncip_user_fields, name,
	    name_fields),
	FCALL("UserAddressInformation", user_address),
	FS("DateOfBirth", F_DATE, struct ncip_user_fields, birth),
	FCALL("UserLanguage", user_language),
	FCALL("UserPrivilege", user_privilege),
	FCALL("BlockOrTrap", user_block),
	FCALL("PreviousUserId", user_previous),
};

/* DeleteUserFields and AddUserFields. */
static int
user_change(struct rd *r, xmlNodePtr n, struct ncip_user_change *ch)
{
	xmlNodePtr	 c;

	ch->present = 1;
	for (c = FIRST(n); c != NULL; c = NEXT(c)) {
		if (named(c, "AuthenticationInput")) {
			if (push_auth(r, c, &ch->auth, &ch->nauth) == -1)
				return (-1);
		} else if (rd_one(r, c, user_fields, nitems(user_fields),
		    &ch->fields) == -1)
			return (-1);
	}
	return (0);
}

/* Loans, requests, counts. */
static int
loan_bibid(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_loan	*l = base;

	return (push_bibid(r, n, &l->bib_ids, &l->nbib_ids));
}

static const struct field loan_fields[] = {
	FS("ItemId", F_ID, struct ncip_loan, item_id),
	FS("UniqueItemId", F_ID, struct ncip_loan, item_id),
	FCALL("BibliographicId", loan_bibid),
	FS("ReminderLevel", F_COUNT, struct ncip_loan, reminder_level),
	FS("DateDue", F_DATE, struct ncip_loan, date_due),
	FS("IndeterminateLoanPeriodFlag", F_FLAG, struct ncip_loan,
	    indeterminate),
	FS("Amount", F_MONEY, struct ncip_loan, amount),
	FS("Title", F_STR, struct ncip_loan, title),
	FS("MediumType", F_CODE, struct ncip_loan, medium),
};

static int
hold_bibid(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_hold	*h = base;

	return (push_bibid(r, n, &h->bib_ids, &h->nbib_ids));
}

static const struct field hold_fields[] = {
	FS("ItemId", F_ID, struct ncip_hold, item_id),
	FS("UniqueItemId", F_ID, struct ncip_hold, item_id),
	FS("RequestId", F_ID, struct ncip_hold, request_id),
	FS("UniqueRequestId", F_ID, struct ncip_hold, request_id),
	FCALL("BibliographicId", hold_bibid),
	FS("RequestType", F_CODE, struct ncip_hold, type),
	FS("RequestStatusType", F_CODE, struct ncip_hold, status),
	FS("DatePlaced", F_DATE, struct ncip_hold, date_placed),
	FS("PickupDate", F_DATE, struct ncip_hold, pickup_date),
	FS("PickupLocation", F_CODE, struct ncip_hold, pickup_location),
	FS("PickupExpiryDate", F_DATE, struct ncip_hold, pickup_expiry),
	FS("ReminderLevel", F_COUNT, struct ncip_hold, reminder_level),
	FS("HoldQueuePosition", F_COUNT, struct ncip_hold, queue_position),
	FS("Title", F_STR, struct ncip_hold, title),
	FS("MediumType", F_CODE, struct ncip_hold, medium),
};

static int
count_by(struct rd *r, xmlNodePtr n, struct ncip_count *c,
    enum ncip_count_by by)
{
	c->by = by;
	return (rd_code(r, n, &c->code));
}

static int
count_status(struct rd *r, xmlNodePtr n, void *base)
{
	return (count_by(r, n, base, NCIP_COUNT_CIRC_STATUS));
}

static int
count_restriction(struct rd *r, xmlNodePtr n, void *base)
{
	return (count_by(r, n, base, NCIP_COUNT_RESTRICTION));
}

static int
count_request_type(struct rd *r, xmlNodePtr n, void *base)
{
	return (count_by(r, n, base, NCIP_COUNT_REQUEST_TYPE));
}

static const struct field count_fields[] = {
	FCALL("CirculationStatus", count_status),
	FCALL("ItemUseRestrictionType", count_restriction),
	FCALL("RequestType", count_request_type),
	FS("LoanedItemCountValue", F_COUNT, struct ncip_count, value),
	FS("RequestedItemCountValue", F_COUNT, struct ncip_count, value),
};

/* Fiscal accounts. */
static const struct field item_details_fields[] = {
	FS("ItemId", F_ID, struct ncip_fiscal, item_id),
	FS("UniqueItemId", F_ID, struct ncip_fiscal, item_id),
	FSUB("BibliographicDescription", F_SUB, struct ncip_fiscal, item_bib,
	    bib_fields),
	FS("DateDue", F_DATE, struct ncip_fiscal, item_date_due),
};

static int
fiscal_item(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_fiscal	*f = base;

	f->has_item = 1;
	return (rd_fields(r, n, item_details_fields,
	    nitems(item_details_fields), f));
}

static const struct field fiscal_ref_fields[] = {
	FS("AgencyId", F_CODE, struct ncip_fiscal, ref_agency),
	FS("UniqueAgencyId", F_CODE, struct ncip_fiscal, ref_agency),
	FS("FiscalTransactionIdentifierValue", F_IDSTR, struct ncip_fiscal,
	    ref_id),
};

static const struct field fiscal_fields[] = {
	FS("FiscalActionType", F_CODE, struct ncip_fiscal, action),
	FFLAT("FiscalTransactionReferenceId", fiscal_ref_fields),
	FS("FiscalTransactionType", F_CODE, struct ncip_fiscal, type),
	FS("ValidFromDate", F_DATE, struct ncip_fiscal, valid_from),
	FS("ValidToDate", F_DATE, struct ncip_fiscal, valid_to),
	FS("Amount", F_MONEY, struct ncip_fiscal, amount),
	FS("PaymentMethodType", F_CODE, struct ncip_fiscal, payment_method),
	FS("FiscalTransactionDescription", F_STR, struct ncip_fiscal,
	    description),
	FS("RequestId", F_ID, struct ncip_fiscal, request_id),
	FS("UniqueRequestId", F_ID, struct ncip_fiscal, request_id),
	FCALL("ItemDetails", fiscal_item),
};

static const struct field account_detail_fields[] = {
	FS("AccrualDate", F_DATE, struct ncip_account_detail, accrual),
	FSUB("FiscalTransactionInformation", F_SUB, struct ncip_account_detail,
	    tx, fiscal_fields),
};

static int
account_detail(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_account		*a = base;
	struct ncip_account_detail	*d;

	PUSH(r, a->details, a->ndetails, d);
	if (d == NULL)
		return (rd_nomem(r));
	return (rd_fields(r, n, account_detail_fields,
	    nitems(account_detail_fields), d));
}

static const struct field account_fields[] = {
	FS("AccountBalance", F_MONEY, struct ncip_account, balance),
	FCALL("AccountDetails", account_detail),
};

/* RoutingInformation. */
static const struct field destination_fields[] = {
	FS("BinNumber", F_STR, struct ncip_routing, bin),
	FSUB("Location", F_SUB, struct ncip_routing, destination,
	    location_fields),
};

static const struct field routing_fields[] = {
	FS("RoutingInstructions", F_STR, struct ncip_routing, instructions),
	FFLAT("Destination", destination_fields),
	FS("RequestType", F_CODE, struct ncip_routing, request_type),
	FS("UserId", F_ID, struct ncip_routing, user_id),
	FS("UniqueUserId", F_ID, struct ncip_routing, user_id),
	FSUB("NameInformation", F_SUBP, struct ncip_routing, name,
	    name_fields),
};

/* Problem, both versions. */
static const struct field problem_fields[] = {
	FS("ProblemType", F_CODE, struct ncip_problem, type),
	FS("ProblemDetail", F_STR, struct ncip_problem, detail),
	FS("ProblemElement", F_STR, struct ncip_problem, element),
	FS("ProblemValue", F_STR, struct ncip_problem, value),
};

/*
 * Version 1 nests ProcessingErrorElement: the outer ElementName names the
 * element, the innermost ProcessingErrorValue carries the value.
 */
static int
problem_v1_element(struct rd *r, xmlNodePtr e, struct ncip_problem *p)
{
	xmlNodePtr	 k, inner;
	size_t		 max = r->text_max;

	while (e != NULL) {
		inner = NULL;
		for (k = FIRST(e); k != NULL; k = NEXT(k)) {
			if (named(k, "ElementName") && p->element == NULL) {
				if (rd_str(r, k, max, &p->element) == -1)
					return (-1);
			} else if (ends_with(k, "ErrorValue")) {
				if (rd_str(r, k, max, &p->value) == -1)
					return (-1);
			} else if (inner == NULL &&
			    ends_with(k, "ErrorElement"))
				inner = k;
		}
		e = inner;
	}
	return (0);
}

static int
body_problem(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_msg		*m = r->m;
	struct ncip_problem	*p;
	xmlNodePtr		 c, e;

	/* Only answers carry problems; a request's stray one is skipped. */
	if (ncip_service_is_request(m->service))
		return (0);
	PUSH(r, m->problems, m->nproblems, p);
	if (p == NULL)
		return (rd_nomem(r));
	if (rd_fields(r, n, problem_fields, nitems(problem_fields), p) == -1)
		return (-1);
	for (c = FIRST(n); c != NULL; c = NEXT(c)) {
		if (!named(c, "ProcessingError") && !named(c, "MessagingError"))
			continue;
		for (e = FIRST(c); e != NULL; e = NEXT(e)) {
			if (ends_with(e, "ErrorType")) {
				if (rd_code(r, e, &p->type) == -1)
					return (-1);
			} else if (ends_with(e, "ErrorElement")) {
				if (problem_v1_element(r, e, p) == -1)
					return (-1);
			}
		}
	}
	p->kind = ncip_problem_lookup(p->type.value);
	/* A value about authentication may be the secret itself. */
	if (p->element != NULL &&
	    strncasecmp(p->element, "AuthenticationInput", 19) == 0)
		p->value = NULL;
	return (0);
}

/* The service element's children. */
static int
body_version(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_msg	*m = r->m;
	const char	**v, *s;

	if (rd_str(r, n, r->text_max, &s) == -1)
		return (-1);
	if (s == NULL)
		return (0);
	PUSH(r, m->versions, m->nversions, v);
	if (v == NULL)
		return (rd_nomem(r));
	*v = s;
	return (0);
}

static int
body_visible_user(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_msg	*m = r->m;

	/* CreateUser lists the user's ids; elsewhere one names the user. */
	if (m->service != NCIP_CREATE_USER && m->user_id.value == NULL)
		return (rd_id(r, n, &m->user_id));
	return (user_id(r, n, &m->user));
}

static int
body_auth(struct rd *r, xmlNodePtr n, void *base)
{
	return (push_auth(r, n, &r->m->auth, &r->m->nauth));
}

static int
body_item_id(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_msg	*m = r->m;
	struct ncip_id	*id;

	if (m->item_id.value == NULL)
		return (rd_id(r, n, &m->item_id));
	PUSH(r, m->more_item_ids, m->nmore_item_ids, id);
	if (id == NULL)
		return (rd_nomem(r));
	return (rd_id(r, n, id));
}

static int
body_bibid(struct rd *r, xmlNodePtr n, void *base)
{
	return (push_bibid(r, n, &r->m->bib_ids, &r->m->nbib_ids));
}

static int
push_code(struct rd *r, xmlNodePtr n, struct ncip_code **arr, size_t *nc)
{
	struct ncip_code	*c;

	PUSH(r, *arr, *nc, c);
	if (c == NULL)
		return (rd_nomem(r));
	return (rd_code(r, n, c));
}

static int
body_user_element(struct rd *r, xmlNodePtr n, void *base)
{
	return (push_code(r, n, &r->m->user_elements, &r->m->nuser_elements));
}

static int
body_item_element(struct rd *r, xmlNodePtr n, void *base)
{
	return (push_code(r, n, &r->m->item_elements, &r->m->nitem_elements));
}

static int
body_pending(struct rd *r, xmlNodePtr n, void *base)
{
	xmlNodePtr	 k;

	r->m->pending = 1;
	for (k = FIRST(n); k != NULL; k = NEXT(k)) {
		if (named(k, "DateOfExpectedReply"))
			return (rd_date(r, k, &r->m->expected_reply));
	}
	return (0);
}

static int
body_account(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_msg		*m = r->m;
	struct ncip_account	*a;

	PUSH(r, m->accounts, m->naccounts, a);
	if (a == NULL)
		return (rd_nomem(r));
	return (rd_fields(r, n, account_fields, nitems(account_fields), a));
}

static int
push_count(struct rd *r, xmlNodePtr n, struct ncip_count **arr, size_t *nc)
{
	struct ncip_count	*c;

	PUSH(r, *arr, *nc, c);
	if (c == NULL)
		return (rd_nomem(r));
	return (rd_fields(r, n, count_fields, nitems(count_fields), c));
}

static int
body_loan_count(struct rd *r, xmlNodePtr n, void *base)
{
	return (push_count(r, n, &r->m->loan_counts, &r->m->nloan_counts));
}

static int
body_hold_count(struct rd *r, xmlNodePtr n, void *base)
{
	return (push_count(r, n, &r->m->hold_counts, &r->m->nhold_counts));
}

static int
body_loan(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_msg		*m = r->m;
	struct ncip_loan	*l;

	PUSH(r, m->loans, m->nloans, l);
	if (l == NULL)
		return (rd_nomem(r));
	l->reminder_level = -1;
	return (rd_fields(r, n, loan_fields, nitems(loan_fields), l));
}

static int
body_hold(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_msg		*m = r->m;
	struct ncip_hold	*h;

	PUSH(r, m->holds, m->nholds, h);
	if (h == NULL)
		return (rd_nomem(r));
	h->reminder_level = -1;
	h->queue_position = -1;
	return (rd_fields(r, n, hold_fields, nitems(hold_fields), h));
}

static int
body_user_child(struct rd *r, xmlNodePtr n, void *base)
{
	return (rd_one(r, n, user_fields, nitems(user_fields), &r->m->user));
}

static int
body_delete_fields(struct rd *r, xmlNodePtr n, void *base)
{
	return (user_change(r, n, &r->m->user_delete));
}

static int
body_add_fields(struct rd *r, xmlNodePtr n, void *base)
{
	return (user_change(r, n, &r->m->user_add));
}

/*
 * LookupItemSetResponse: each BibInformation with its HoldingsSets and
 * their copies, or its Problems; a set or a copy keeps its first Problem.
 */
static int
rd_problem_one(struct rd *r, xmlNodePtr n, struct ncip_problem **out)
{
	struct ncip_problem	*p;

	if (*out != NULL)
		return (0);	/* the first says enough */
	if ((p = ncip_arena_alloc(r->m, sizeof(*p))) == NULL)
		return (rd_nomem(r));
	if (rd_fields(r, n, problem_fields, nitems(problem_fields), p) == -1)
		return (-1);
	p->kind = ncip_problem_lookup(p->type.value);
	p->value = NULL;	/* not ours to repeat */
	*out = p;
	return (0);
}

static int
copy_problem(struct rd *r, xmlNodePtr n, void *base)
{
	return (rd_problem_one(r, n, &((struct ncip_copy *)base)->problem));
}

static const struct field copy_fields[] = {
	FS("ItemId", F_ID, struct ncip_copy, item_id),
	FSUB("ItemOptionalFields", F_SUBP, struct ncip_copy, item,
	    item_fields),
	FCALL("Problem", copy_problem),
};

static const struct field holdings_fields[] = {
	FS("HoldingsSetId", F_IDSTR, struct ncip_holdings, id),
	FS("CallNumber", F_STR, struct ncip_holdings, call_number),
};

static int
holdings_set(struct rd *r, xmlNodePtr n, struct ncip_bib_info *bi)
{
	struct ncip_holdings	*h;
	struct ncip_copy	*c;
	xmlNodePtr		 k;
	size_t			 i;

	PUSH(r, bi->holdings, bi->nholdings, h);
	if (h == NULL)
		return (rd_nomem(r));
	if (rd_fields(r, n, holdings_fields, nitems(holdings_fields), h) ==
	    -1)
		return (-1);
	for (k = FIRST(n); k != NULL; k = NEXT(k)) {
		if (named(k, "ItemInformation")) {
			PUSH(r, h->copies, h->ncopies, c);
			if (c == NULL)
				return (rd_nomem(r));
			c->item.hold_queue_length = -1;
			if (rd_fields(r, k, copy_fields, nitems(copy_fields),
			    c) == -1)
				return (-1);
		} else if (named(k, "Problem")) {
			if (rd_problem_one(r, k, &h->problem) == -1)
				return (-1);
		}
	}
	for (i = 0; i < h->ncopies; i++)
		if (h->copies[i].item.call_number == NULL)
			h->copies[i].item.call_number = h->call_number;
	return (0);
}

static int
body_bib_info(struct rd *r, xmlNodePtr n, void *base)
{
	struct ncip_msg		*m = r->m;
	struct ncip_bib_info	*bi;
	struct ncip_problem	*pb;
	struct ncip_bibid	*ids = NULL;
	size_t			 nids = 0;
	xmlNodePtr		 k;

	PUSH(r, m->bib_infos, m->nbib_infos, bi);
	if (bi == NULL)
		return (rd_nomem(r));
	for (k = FIRST(n); k != NULL; k = NEXT(k)) {
		if (named(k, "BibliographicId")) {
			if (nids == 0 && push_bibid(r, k, &ids, &nids) == -1)
				return (-1);
		} else if (named(k, "BibliographicDescription")) {
			bi->has_bib = 1;
			if (rd_fields(r, k, bib_fields, nitems(bib_fields),
			    &bi->bib) == -1)
				return (-1);
		} else if (named(k, "HoldingsSet")) {
			if (holdings_set(r, k, bi) == -1)
				return (-1);
		} else if (named(k, "Problem")) {
			PUSH(r, bi->problems, bi->nproblems, pb);
			if (pb == NULL)
				return (rd_nomem(r));
			if (rd_fields(r, k, problem_fields,
			    nitems(problem_fields), pb) == -1)
				return (-1);
			pb->kind = ncip_problem_lookup(pb->type.value);
			pb->value = NULL;
		}
	}
	if (nids > 0)
		bi->bib_id = ids[0];
	return (0);
}

static int	body_transaction(struct rd *, xmlNodePtr, void *);

static const struct field body_fields[] = {
	FSUB("InitiationHeader", F_SUBP, struct ncip_msg, header,
	    header_fields),
	FSUB("ResponseHeader", F_SUBP, struct ncip_msg, header,
	    header_fields),
	FS("FromAgencyId", F_AGENCY, struct ncip_msg, header.from_agency),
	FS("ToAgencyId", F_AGENCY, struct ncip_msg, header.to_agency),
	FCALL("VersionSupported", body_version),
	FS("UserId", F_ID, struct ncip_msg, user_id),
	FS("UniqueUserId", F_ID, struct ncip_msg, user_id),
	FCALL("VisibleUserId", body_visible_user),
	FCALL("AuthenticationInput", body_auth),
	FCALL("ItemId", body_item_id),
	FCALL("UniqueItemId", body_item_id),
	FCALL("VisibleItemId", body_item_id),
	FS("RequestId", F_ID, struct ncip_msg, request_id),
	FS("UniqueRequestId", F_ID, struct ncip_msg, request_id),
	FCALL("BibliographicId", body_bibid),
	FCALL("UserElementType", body_user_element),
	FCALL("ItemElementType", body_item_element),
	FS("LoanedItemsDesired", F_FLAG, struct ncip_msg, loans_desired),
	FS("RequestedItemsDesired", F_FLAG, struct ncip_msg, holds_desired),
	FS("UserFiscalAccountDesired", F_FLAG, struct ncip_msg,
	    account_desired),
	FS("RequestType", F_CODE, struct ncip_msg, request_type),
	FS("RequestScopeType", F_CODE, struct ncip_msg, request_scope),
	FS("RequestedActionType", F_CODE, struct ncip_msg, requested_action),
	FS("PickupLocation", F_CODE, struct ncip_msg, pickup_location),
	FS("PickupExpiryDate", F_DATE, struct ncip_msg, pickup_expiry),
	FS("DesiredDateDue", F_DATE, struct ncip_msg, desired_date_due),
	FS("DateForReturn", F_DATE, struct ncip_msg, date_for_return),
	FS("DateDue", F_DATE, struct ncip_msg, date_due),
	FS("IndeterminateLoanPeriodFlag", F_FLAG, struct ncip_msg,
	    indeterminate),
	FS("RenewalCount", F_COUNT, struct ncip_msg, renewal_count),
	FCALL("Pending", body_pending),
	FS("HoldPickupDate", F_DATE, struct ncip_msg, hold_pickup_date),
	FS("DateAvailable", F_DATE, struct ncip_msg, date_available),
	FSUB("RoutingInformation", F_SUBP, struct ncip_msg, routing,
	    routing_fields),
	FCALL("UserFiscalAccount", body_account),
	FCALL("LoanedItemsCount", body_loan_count),
	FCALL("LoanedItem", body_loan),
	FCALL("RequestedItemsCount", body_hold_count),
	FCALL("RequestedItem", body_hold),
	FCALL("UserTransaction", body_transaction),
	FSUB("UserOptionalFields", F_SUBP, struct ncip_msg, user,
	    user_fields),
	FSUB("ItemOptionalFields", F_SUBP, struct ncip_msg, item,
	    item_fields),
	FCALL("NameInformation", body_user_child),
	FCALL("UserAddressInformation", body_user_child),
	FCALL("DateOfBirth", body_user_child),
	FCALL("UserLanguage", body_user_child),
	FCALL("UserPrivilege", body_user_child),
	FCALL("BlockOrTrap", body_user_child),
	FCALL("PreviousUserId", body_user_child),
	FCALL("DeleteUserFields", body_delete_fields),
	FCALL("AddUserFields", body_add_fields),
	FS("MaximumItemsCount", F_COUNT, struct ncip_msg, max_items),
	FCALL("BibInformation", body_bib_info),
	FCALL("Problem", body_problem),
};

/* Version 1 wraps a user's loans and requests in UserTransaction. */
static int
body_transaction(struct rd *r, xmlNodePtr n, void *base)
{
	return (rd_fields(r, n, body_fields, nitems(body_fields), base));
}

/* How the peer wrote the envelope: version, namespace, attributes. */
static int
read_dialect(struct rd *r, xmlDocPtr doc, xmlNodePtr root, xmlNodePtr svc,
    struct ncip_dialect *d, const char **version)
{
	xmlAttrPtr	 a;
	xmlNodePtr	 c, k;
	const char	*v = NULL;
	int		 v1 = 0;

	ncip_dialect_default(d, 2);
	d->version_str = NULL;
	if (root->ns == NULL)
		d->ns = NCIP_NSS_NONE;
	else
		d->ns = root->ns->prefix == NULL ? NCIP_NSS_DEFAULT :
		    NCIP_NSS_PREFIX;
	d->qualified_attrs = 0;
	for (a = root->properties; a != NULL; a = a->next) {
		if (strcmp((const char *)a->name, "version") != 0)
			continue;
		d->qualified_attrs = a->ns != NULL;
		if (rd_text_list(r, a->children, "version",
		    NCIP_VERSION_STR_MAX - 1, &v) == -1)
			return (-1);
	}
	if (v != NULL && (strstr(v, "v1_0") != NULL ||
	    strstr(v, "ncip_v1") != NULL || strstr(v, "v1_01") != NULL))
		v1 = 1;
	if (doc->intSubset != NULL)
		v1 = 1;
	/* No version said: the shape of the ids tells. */
	for (c = svc != NULL && v == NULL ? FIRST(svc) : NULL; c != NULL &&
	    !v1; c = NEXT(c)) {
		if (strncmp((const char *)c->name, "Unique", 6) == 0)
			v1 = 1;
		for (k = FIRST(c); k != NULL && !v1; k = NEXT(k)) {
			if (named(k, "UniqueAgencyId"))
				v1 = 1;
		}
	}
	if (v1) {
		d->version = 1;
		d->doctype = doc->intSubset != NULL;
	}
	*version = v;
	return (0);
}

/* Find the one service element, or the bare Problems. */
static int
find_service(struct rd *r, xmlNodePtr root, xmlNodePtr *svc, int *nprob)
{
	xmlNodePtr	 c;
	int		 others = 0;

	*svc = NULL;
	*nprob = 0;
	for (c = FIRST(root); c != NULL; c = NEXT(c)) {
		if (named(c, "Problem"))
			(*nprob)++;
		else if (named(c, "Ext"))
			continue;
		else if (*svc == NULL)
			*svc = c;
		else
			others++;
	}
	if (*svc == NULL && *nprob == 0)
		return (rd_fail(r, NCIP_PT_INVALID_MESSAGE_SYNTAX,
		    "NCIPMessage", "no service element"));
	if (*svc != NULL && (others > 0 || *nprob > 0))
		return (rd_fail(r, NCIP_PT_INVALID_MESSAGE_SYNTAX,
		    "NCIPMessage", "more than one service element"));
	return (0);
}

/* Read a checked document into a message. */
struct ncip_msg *
ncip_read_doc(xmlDocPtr doc, const struct ncip_limits *l,
    struct ncip_error *err)
{
	const struct ncip_service_info	*si;
	struct ncip_dialect		 d;
	struct rd			 r;
	xmlNodePtr			 root, svc, c;
	const char			*version, *missing;
	int				 nprob;

	memset(&r, 0, sizeof(r));
	r.err = err;
	r.text_max = l->text_max;
	/* The service is set once known; the arena serves from the start. */
	if ((r.m = ncip_msg_new(NCIP_PROBLEM)) == NULL) {
		ncip_error_set(err, NCIP_PT_TEMPORARY_FAILURE, NULL,
		    "out of memory");
		return (NULL);
	}

	root = xmlDocGetRootElement(doc);
	if (root == NULL || !is_el(root) || !named(root, "NCIPMessage")) {
		rd_fail(&r, NCIP_PT_INVALID_MESSAGE_SYNTAX, "NCIPMessage",
		    "the root element is not NCIPMessage");
		goto fail;
	}
	if (find_service(&r, root, &svc, &nprob) == -1 ||
	    read_dialect(&r, doc, root, svc, &d, &version) == -1)
		goto fail;
	err->dialect = d;
	(void)snprintf(err->version_str, sizeof(err->version_str), "%s",
	    version != NULL ? version : "");
	r.m->dialect = d;
	r.m->version_str = version;
	r.m->dialect.version_str = version;

	if (svc != NULL) {
		si = ncip_service_by_name((const char *)svc->name);
		if (si == NULL) {
			rd_fail(&r, NCIP_PT_UNKNOWN_SERVICE,
			    (const char *)svc->name, "not an NCIP service");
			goto fail;
		}
		if (!si->supported) {
			rd_fail(&r, NCIP_PT_UNSUPPORTED_SERVICE,
			    (const char *)svc->name, "service not supported");
			goto fail;
		}
		err->service = r.m->service = si->svc;
		if (rd_fields(&r, svc, body_fields, nitems(body_fields),
		    r.m) == -1)
			goto fail;
	} else {
		err->service = NCIP_PROBLEM;
		for (c = FIRST(root); c != NULL; c = NEXT(c)) {
			if (named(c, "Problem") &&
			    body_problem(&r, c, r.m) == -1)
				goto fail;
		}
	}

	if ((missing = ncip_msg_missing(r.m)) != NULL) {
		rd_fail(&r, NCIP_PT_NEEDED_DATA_MISSING, missing,
		    "a needed element is missing");
		goto fail;
	}
	return (r.m);

 fail:
	ncip_msg_free(r.m);
	return (NULL);
}
