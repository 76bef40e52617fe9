/* SPDX-License-Identifier: ISC */
/*
 * The NCIP wire codec over libxml2: versions 1 and 2 of the messages
 * circlink speaks, parsed into plain structures and built back in the
 * dialect a peer asks for, with problems, safe parsing and redaction for
 * logs.  Nothing here does I/O.
 */

#ifndef CIRCLINK_NCIP_H
#define CIRCLINK_NCIP_H

#include <sys/types.h>

#include <stddef.h>
#include <time.h>

/*
 * Including this header does not need libxml2's headers: the one call that
 * hands out a libxml2 tree uses the tree's struct tag.
 */
struct _xmlDoc;
struct _xmlError;

#define NCIP_NS			"http://www.niso.org/2008/ncip"
#define NCIP_NS_PREFIX		"ns1"
#define NCIP_V2_02		\
	"http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd"
#define NCIP_V2_01		\
	"http://www.niso.org/schemas/ncip/v2_0/imp1/xsd/ncip_v2_01.xsd"
#define NCIP_V2_0		\
	"http://www.niso.org/schemas/ncip/v2_0/ncip_v2_0.xsd"
#define NCIP_V1_0		\
	"http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd"
#define NCIP_V1_01		\
	"http://www.niso.org/ncip/v1_01/imp1/dtd/ncip_v1_01.dtd"
#define NCIP_V1_PUBLIC_ID	"-//NISO//NCIP DTD Version 1.0//EN"
#define NCIP_V1_01_PUBLIC_ID	"-//NISO//NCIP DTD Version 1.01//EN"

#define NCIP_BODY_MAX		(1024 * 1024)	/* default cap on a body */
#define NCIP_DEPTH_MAX		64	/* default cap on element nesting */
#define NCIP_ELEMENTS_MAX	20000	/* default cap on elements */
#define NCIP_TEXT_MAX		4096	/* default cap on one field's text */
#define NCIP_ID_MAX		256	/* cap on identifiers and codes */
#define NCIP_ERR_ELEMENT_MAX	64
#define NCIP_ERR_DETAIL_MAX	192
#define NCIP_VERSION_STR_MAX	160

/*
 * Messages, requests and responses alike.  NCIP_PROBLEM is a bare Problem
 * under the root.  Services the codec does not carry have rows in the
 * service table (ncip_service_by_name()) with supported 0.
 */
enum ncip_service {
	NCIP_SVC_NONE = 0,
	NCIP_LOOKUP_VERSION,
	NCIP_LOOKUP_VERSION_RESP,
	NCIP_LOOKUP_USER,
	NCIP_LOOKUP_USER_RESP,
	NCIP_LOOKUP_ITEM,
	NCIP_LOOKUP_ITEM_RESP,
	NCIP_CHECKOUT_ITEM,
	NCIP_CHECKOUT_ITEM_RESP,
	NCIP_CHECKIN_ITEM,
	NCIP_CHECKIN_ITEM_RESP,
	NCIP_RENEW_ITEM,
	NCIP_RENEW_ITEM_RESP,
	NCIP_REQUEST_ITEM,
	NCIP_REQUEST_ITEM_RESP,
	NCIP_CANCEL_REQUEST_ITEM,
	NCIP_CANCEL_REQUEST_ITEM_RESP,
	NCIP_ACCEPT_ITEM,
	NCIP_ACCEPT_ITEM_RESP,
	NCIP_CREATE_USER,
	NCIP_CREATE_USER_RESP,
	NCIP_UPDATE_USER,
	NCIP_UPDATE_USER_RESP,
	NCIP_DELETE_ITEM,
	NCIP_DELETE_ITEM_RESP,
	NCIP_LOOKUP_ITEM_SET,		/* version 2 only */
	NCIP_LOOKUP_ITEM_SET_RESP,
	NCIP_PROBLEM,
	NCIP_SVC__COUNT
};

/* One row of the service table. */
struct ncip_service_info {
	enum ncip_service	 svc;	/* NCIP_SVC_NONE: not carried */
	const char		*name;	/* element name, "LookupUser" */
	enum ncip_service	 response;	/* requests: their answer */
	enum ncip_service	 request;	/* responses: their question */
	int			 supported;
};

/*
 * Problem types: the standard ones with their schemes, then NCIP_PT_OTHER
 * for a string a peer made up (kept in ncip_problem.type.value).  The
 * messaging errors travel in version 1 as MessagingError, the rest as
 * ProcessingError.
 */
enum ncip_problem_type {
	NCIP_PT_NONE = 0,
	/* messaging errors (messagingerrortype.scm) */
	NCIP_PT_INVALID_MESSAGE_SYNTAX,	/* Invalid Message Syntax Error */
	NCIP_PT_PROTOCOL_ERROR,		/* Protocol Error */
	NCIP_PT_UNKNOWN_ELEMENT,	/* Unknown Element */
	NCIP_PT_UNKNOWN_SCHEME,		/* Unknown Scheme */
	NCIP_PT_UNKNOWN_SERVICE,	/* Unknown Service */
	NCIP_PT_UNKNOWN_VALUE,		/* Unknown Value From Known Scheme */
	/* general processing errors (generalprocessingerror.scm) */
	NCIP_PT_UNSUPPORTED_SERVICE,	/* Unsupported Service */
	NCIP_PT_NEEDED_DATA_MISSING,	/* Needed Data Missing */
	NCIP_PT_TEMPORARY_FAILURE,	/* Temporary Processing Failure */
	NCIP_PT_UNKNOWN_AGENCY,		/* Unknown Agency */
	NCIP_PT_UNAUTHORIZED_SERVICE,	/* Unauthorized Service For Agency */
	NCIP_PT_AGENCY_AUTH_FAILED,	/* Agency Authentication Failed */
	NCIP_PT_INVALID_DATE,		/* Invalid Date */
	NCIP_PT_INVALID_AMOUNT,		/* Invalid Amount */
	/* service processing errors (<service>processingerror.scm) */
	NCIP_PT_UNKNOWN_USER,
	NCIP_PT_USER_AUTH_FAILED,
	NCIP_PT_USER_BLOCKED,
	NCIP_PT_USER_INELIGIBLE_CHECKOUT,
	NCIP_PT_USER_INELIGIBLE_REQUEST,
	NCIP_PT_UNKNOWN_ITEM,
	NCIP_PT_UNKNOWN_REQUEST,
	NCIP_PT_ITEM_NOT_CIRCULATE,
	NCIP_PT_ITEM_NOT_CHECKED_OUT,
	NCIP_PT_MAX_CHECKOUTS,
	NCIP_PT_MAX_RENEWALS,
	NCIP_PT_DUPLICATE_REQUEST,
	NCIP_PT_REQUEST_PROCESSED,	/* Request Already Processed */
	NCIP_PT_CANNOT_ACCEPT_ITEM,
	NCIP_PT_DUPLICATE_ITEM,
	NCIP_PT_DUPLICATE_USER,
	NCIP_PT_OTHER,			/* a peer's own string */
	NCIP_PT__COUNT
};

/* How messages are written for one peer, and how a parsed one came. */
enum ncip_ns_style {
	NCIP_NSS_DEFAULT,	/* xmlns="http://www.niso.org/2008/ncip" */
	NCIP_NSS_PREFIX,	/* xmlns:ns1="..." and ns1:Element */
	NCIP_NSS_NONE,		/* no namespace at all */
};

struct ncip_dialect {
	int			 version;	/* 1 or 2 */
	const char		*version_str;	/* NULL: NCIP_V2_02/NCIP_V1_0 */
	enum ncip_ns_style	 ns;		/* version 2 only */
	int			 qualified_attrs; /* ns1:version, ns1:Scheme */
	int			 doctype;	/* version 1: a DOCTYPE */
};

/* Parse limits; a zero member takes its NCIP_*_MAX default. */
struct ncip_limits {
	size_t			 body_max;
	size_t			 depth_max;
	size_t			 elements_max;
	size_t			 text_max;
};

/*
 * A coded value: version 2 writes value with a Scheme attribute, version 1
 * writes <Scheme> and <Value> children.  Absent when value is NULL.
 */
struct ncip_code {
	const char		*scheme;	/* NULL: none */
	const char		*value;
};

/*
 * A date.  Parsing keeps the text received; set is 1 when it read as a
 * date (t in UTC; nozone says the peer gave no zone and UTC was assumed).
 * Building writes t as YYYY-MM-DDTHH:MM:SSZ and only when set is 1.
 */
struct ncip_date {
	int			 set;
	time_t			 t;
	int			 nozone;
	const char		*text;		/* parsed messages only */
};

/* Money in minor units (USD 2.50 is 250). */
struct ncip_money {
	int			 set;
	struct ncip_code	 currency;	/* CurrencyCode, "USD" */
	long long		 value;		/* MonetaryValue */
};

/*
 * UserId, ItemId, RequestId (version 1: UniqueUserId, UniqueItemId,
 * UniqueRequestId with UniqueAgencyId).  Absent when value is NULL.
 */
struct ncip_id {
	struct ncip_code	 agency;	/* AgencyId / UniqueAgencyId */
	struct ncip_code	 type;		/* *IdentifierType, version 2 */
	const char		*value;		/* *IdentifierValue */
};

/* Secret-bearing kinds of AuthenticationInput. */
enum ncip_auth_kind {
	NCIP_AUTH_OTHER,
	NCIP_AUTH_BARCODE,	/* Barcode Id */
	NCIP_AUTH_USER_ID,	/* User Id, username */
	NCIP_AUTH_PIN,		/* PIN, pin */
	NCIP_AUTH_PASSWORD,	/* Password */
};

/* AuthenticationInput.  data is a secret for PIN and Password: never log. */
struct ncip_auth {
	const char		*data;		/* AuthenticationInputData */
	struct ncip_code	 format;	/* ...DataFormatType */
	struct ncip_code	 type;		/* AuthenticationInputType */
};

/* InitiationHeader or ResponseHeader. */
struct ncip_header {
	int			 present;
	struct ncip_code	 from_system;	/* FromSystemId */
	const char		*from_system_auth; /* secret */
	struct ncip_code	 from_agency;	/* FromAgencyId/AgencyId */
	const char		*from_agency_auth; /* secret */
	struct ncip_code	 on_behalf_of;	/* initiation only */
	struct ncip_code	 to_system;	/* ToSystemId */
	struct ncip_code	 to_agency;	/* ToAgencyId/AgencyId */
	struct ncip_code	 profile;	/* ApplicationProfileType */
};

/* Problem. */
struct ncip_problem {
	enum ncip_problem_type	 kind;		/* matched from type.value */
	struct ncip_code	 type;		/* ProblemType as sent */
	const char		*detail;	/* ProblemDetail */
	const char		*element;	/* ProblemElement */
	const char		*value;		/* ProblemValue; no secret */
};

/*
 * What a parse failure becomes: the Problem to answer with, and what the
 * parser learned of the request so the answer fits it.  Holds no secret.
 */
struct ncip_error {
	enum ncip_problem_type	 kind;
	char			 element[NCIP_ERR_ELEMENT_MAX];
	char			 detail[NCIP_ERR_DETAIL_MAX];
	enum ncip_service	 service;	/* NCIP_SVC_NONE if not known */
	struct ncip_dialect	 dialect;	/* as far as seen; no string */
	char			 version_str[NCIP_VERSION_STR_MAX]; /* or "" */
};

/* BibliographicId, or the ids inside a BibliographicDescription. */
enum ncip_bibid_kind {
	NCIP_BIBID_ITEM,	/* BibliographicItemId: ISBN, ISSN, ... */
	NCIP_BIBID_RECORD,	/* BibliographicRecordId: OCLC, SYSNUMBER... */
};

struct ncip_bibid {
	enum ncip_bibid_kind	 kind;
	const char		*value;		/* the identifier */
	struct ncip_code	 code;		/* *IdentifierCode */
	struct ncip_code	 agency;	/* records: or AgencyId */
};

/* BibliographicDescription. */
struct ncip_bib {
	const char		*author;
	struct ncip_bibid	 item_id;	/* BibliographicItemId */
	struct ncip_bibid	*record_ids;	/* BibliographicRecordId* */
	size_t			 nrecord_ids;
	const char		*edition;
	const char		*place;		/* PlaceOfPublication */
	const char		*publication_date;
	const char		*publisher;
	const char		*title;
	struct ncip_code	 language;
	struct ncip_code	 medium;	/* MediumType */
};

/* LocationNameInstance. */
struct ncip_location_name {
	unsigned int		 level;		/* 1 agency, 2 branch, ... */
	const char		*value;
};

/* Location: a type (Permanent, Current) and a name in levels. */
struct ncip_location {
	struct ncip_code	 type;		/* LocationType */
	struct ncip_location_name *names;	/* one at least */
	size_t			 nnames;
	struct ncip_date	 valid_from;
	struct ncip_date	 valid_to;
};

/* ItemOptionalFields (present says whether the element is there). */
struct ncip_item_fields {
	int			 present;
	int			 has_bib;
	struct ncip_bib		 bib;
	struct ncip_code	*restrictions;	/* ItemUseRestrictionType* */
	size_t			 nrestrictions;
	struct ncip_code	 circ_status;	/* CirculationStatus */
	long			 hold_queue_length;	/* -1: absent */
	const char		*call_number;	/* ItemDescription/CallNumber */
	const char		*copy_number;
	struct ncip_location	*locations;
	size_t			 nlocations;
	struct ncip_date	 date_due;	/* version 2 only */
};

/* NameInformation: a person's name, structured or not, or a body's. */
struct ncip_name {
	int			 present;
	const char		*prefix;
	const char		*given;
	const char		*initials;
	const char		*surname;	/* needed when structured */
	const char		*suffix;
	const char		*unstructured;
	struct ncip_code	 org_type;	/* OrganizationNameType */
	const char		*org_name;	/* OrganizationName */
};

enum ncip_addr_kind {
	NCIP_ADDR_PHYSICAL,
	NCIP_ADDR_ELECTRONIC,
};

/*
 * UserAddressInformation.  A physical address is structured (street or
 * line1 and the rest) unless unstructured is set.  An electronic one has a
 * type (mailto, tel, fax, ...) and data.
 */
struct ncip_address {
	struct ncip_code	 role;		/* UserAddressRoleType */
	struct ncip_date	 valid_from;
	struct ncip_date	 valid_to;
	enum ncip_addr_kind	 kind;
	struct ncip_code	 physical_type;	/* PhysicalAddressType */
	const char		*within_building;
	const char		*house_name;
	const char		*street;
	const char		*po_box;
	const char		*district;
	const char		*line1;
	const char		*line2;
	const char		*locality;
	const char		*region;
	const char		*country;
	const char		*postal_code;
	const char		*care_of;
	struct ncip_code	 unstructured_type;
	const char		*unstructured;	/* UnstructuredAddressData */
	struct ncip_code	 electronic_type; /* mailto, tel... */
	const char		*electronic;	/* ElectronicAddressData */
};

/* UserPrivilege. */
struct ncip_privilege {
	struct ncip_code	 agency;
	struct ncip_code	 type;		/* AgencyUserPrivilegeType */
	struct ncip_date	 valid_from;
	struct ncip_date	 valid_to;
	struct ncip_money	 fee;		/* UserPrivilegeFee/Amount */
	struct ncip_code	 status;	/* UserPrivilegeStatusType */
	struct ncip_date	 status_date;
	const char		*description;
};

/* BlockOrTrap. */
struct ncip_block {
	struct ncip_code	 agency;
	struct ncip_code	 type;		/* BlockOrTrapType */
	struct ncip_date	 valid_from;
	struct ncip_date	 valid_to;
};

/* PreviousUserId (version 1: a UniqueUserId inside). */
struct ncip_prev_id {
	struct ncip_code	 agency;
	const char		*value;
	struct ncip_date	 valid_from;
	struct ncip_date	 valid_to;
};

/*
 * UserOptionalFields, and the same fields where CreateUser and UpdateUser
 * carry them.  user_ids are version 2's UserId* and version 1's
 * VisibleUserId (type and value; no agency).
 */
struct ncip_user_fields {
	int			 present;
	struct ncip_name	 name;
	struct ncip_address	*addresses;
	size_t			 naddresses;
	struct ncip_date	 birth;		/* DateOfBirth */
	struct ncip_code	*languages;	/* UserLanguage* */
	size_t			 nlanguages;
	struct ncip_privilege	*privileges;
	size_t			 nprivileges;
	struct ncip_block	*blocks;
	size_t			 nblocks;
	struct ncip_id		*user_ids;
	size_t			 nuser_ids;
	struct ncip_prev_id	*previous_ids;
	size_t			 nprevious_ids;
};

/* DeleteUserFields or AddUserFields of UpdateUser. */
struct ncip_user_change {
	int			 present;
	struct ncip_auth	*auth;		/* AuthenticationInput* */
	size_t			 nauth;
	struct ncip_user_fields	 fields;	/* no ids */
};

/* LoanedItem. */
struct ncip_loan {
	struct ncip_id		 item_id;
	struct ncip_bibid	*bib_ids;	/* version 2 only */
	size_t			 nbib_ids;
	long			 reminder_level;	/* -1: absent */
	struct ncip_date	 date_due;
	int			 indeterminate;	/* instead of date_due */
	struct ncip_money	 amount;
	const char		*title;
	struct ncip_code	 medium;
};

/* RequestedItem: a hold or other request the user has. */
struct ncip_hold {
	struct ncip_id		 item_id;	/* item_id or request_id */
	struct ncip_id		 request_id;
	struct ncip_bibid	*bib_ids;
	size_t			 nbib_ids;
	struct ncip_code	 type;		/* RequestType */
	struct ncip_code	 status;	/* RequestStatusType */
	struct ncip_date	 date_placed;	/* needed */
	struct ncip_date	 pickup_date;
	struct ncip_code	 pickup_location;
	struct ncip_date	 pickup_expiry;
	long			 reminder_level;	/* -1: absent */
	long			 queue_position;	/* -1: absent */
	const char		*title;
	struct ncip_code	 medium;
};

/* LoanedItemsCount or RequestedItemsCount. */
enum ncip_count_by {
	NCIP_COUNT_CIRC_STATUS,		/* CirculationStatus */
	NCIP_COUNT_RESTRICTION,		/* ItemUseRestrictionType */
	NCIP_COUNT_REQUEST_TYPE,	/* RequestType: requests only */
};

struct ncip_count {
	enum ncip_count_by	 by;
	struct ncip_code	 code;
	long			 value;
};

/* FiscalTransactionInformation (ItemDetails kept to id, title, due). */
struct ncip_fiscal {
	struct ncip_code	 action;	/* FiscalActionType */
	struct ncip_code	 ref_agency;	/* the reference id's */
	const char		*ref_id;
	struct ncip_code	 type;		/* FiscalTransactionType */
	struct ncip_date	 valid_from;
	struct ncip_date	 valid_to;
	struct ncip_money	 amount;	/* needed */
	struct ncip_code	 payment_method;
	const char		*description;
	struct ncip_id		 request_id;
	int			 has_item;	/* ItemDetails */
	struct ncip_id		 item_id;
	struct ncip_bib		 item_bib;
	struct ncip_date	 item_date_due;
};

/* AccountDetails. */
struct ncip_account_detail {
	struct ncip_date	 accrual;	/* AccrualDate, needed */
	struct ncip_fiscal	 tx;
};

/* UserFiscalAccount. */
struct ncip_account {
	struct ncip_money	 balance;	/* AccountBalance, needed */
	struct ncip_account_detail *details;
	size_t			 ndetails;
};

/* RoutingInformation of a CheckInItemResponse. */
struct ncip_routing {
	int			 present;
	const char		*instructions;	/* RoutingInstructions */
	const char		*bin;		/* Destination/BinNumber */
	struct ncip_location	 destination;	/* Destination/Location */
	struct ncip_code	 request_type;
	struct ncip_id		 user_id;
	struct ncip_name	 name;
};

/* One copy in a LookupItemSetResponse: an ItemInformation. */
struct ncip_copy {
	struct ncip_id		 item_id;
	struct ncip_item_fields	 item;		/* ItemOptionalFields */
	struct ncip_problem	*problem;	/* NULL: none */
};

/*
 * HoldingsSet: copies of a title held together (at one agency, say), or
 * a Problem saying why they cannot be listed.  Reading gives a copy
 * without a CallNumber of its own the set's.
 */
struct ncip_holdings {
	const char		*id;		/* HoldingsSetId; NULL: none */
	const char		*call_number;
	struct ncip_copy	*copies;	/* ItemInformation+ */
	size_t			 ncopies;
	struct ncip_problem	*problem;	/* NULL: none */
};

/*
 * BibInformation: the answer for one title of a LookupItemSet, its
 * holdings or Problems (Unknown Item for a title with no copy), which
 * then stand instead of the holdings.
 */
struct ncip_bib_info {
	struct ncip_bibid	 bib_id;	/* as asked; value NULL: none */
	int			 has_bib;
	struct ncip_bib		 bib;		/* BibliographicDescription */
	struct ncip_holdings	*holdings;	/* HoldingsSet+ */
	size_t			 nholdings;
	struct ncip_problem	*problems;	/* Problem+ instead */
	size_t			 nproblems;
};

struct ncip_arena;	/* the codec's own: every string of a message */

/*
 * One message.  The same flat structure serves every service: each fills
 * the members its row in NCIP.md names and leaves the rest empty.  A parsed
 * message owns everything it points to (one arena, freed in one call).  A
 * message a caller fills may point at the caller's own strings and arrays;
 * ncip_msg_free() frees only what came from the message's arena.  Each
 * array comes with its count; a count or level of -1 is absent.
 */
struct ncip_msg {
	enum ncip_service	 service;
	struct ncip_dialect	 dialect;	/* how it came; how to answer */
	const char		*version_str;	/* as received, to echo */
	struct ncip_header	 header;	/* LookupVersion's too */

	/* Problems: a bare Problem, or a response that failed. */
	struct ncip_problem	*problems;
	size_t			 nproblems;

	/* Who and what. */
	struct ncip_id		 user_id;
	struct ncip_auth	*auth;		/* AuthenticationInput+ */
	size_t			 nauth;
	struct ncip_id		 item_id;
	struct ncip_id		*more_item_ids;	/* RequestItem's ItemId 2.. */
	size_t			 nmore_item_ids;
	struct ncip_id		 request_id;
	struct ncip_bibid	*bib_ids;	/* RequestItem's */
	size_t			 nbib_ids;

	/* What the request asks for. */
	struct ncip_code	*user_elements;	/* UserElementType* */
	size_t			 nuser_elements;
	struct ncip_code	*item_elements;	/* ItemElementType* */
	size_t			 nitem_elements;
	int			 loans_desired;	/* LoanedItemsDesired */
	int			 holds_desired;	/* RequestedItemsDesired */
	int			 account_desired; /* UserFiscalAccount... */
	struct ncip_code	 request_type;	/* Hold, Loan, Page */
	struct ncip_code	 request_scope;	/* Item, Bibliographic Item */
	struct ncip_code	 requested_action;	/* AcceptItem */
	struct ncip_code	 pickup_location;
	struct ncip_date	 pickup_expiry;
	struct ncip_date	 desired_date_due;
	struct ncip_date	 date_for_return; /* Accept, Renew */

	/* CreateUser's fields, and a LookupUserResponse's optional ones. */
	struct ncip_user_fields	 user;
	/* UpdateUser: deletes are carried out before adds. */
	struct ncip_user_change	 user_delete;
	struct ncip_user_change	 user_add;

	/* Answers. */
	const char		**versions;	/* VersionSupported+ */
	size_t			 nversions;
	struct ncip_date	 date_due;
	int			 indeterminate;	/* no due date */
	long			 renewal_count;	/* -1: absent */
	int			 pending;	/* RenewItemResponse Pending */
	struct ncip_date	 expected_reply;	/* Pending's date */
	struct ncip_date	 hold_pickup_date;
	struct ncip_date	 date_available;
	struct ncip_routing	 routing;
	struct ncip_account	*accounts;	/* UserFiscalAccount* */
	size_t			 naccounts;
	struct ncip_count	*loan_counts;	/* LoanedItemsCount* */
	size_t			 nloan_counts;
	struct ncip_loan	*loans;
	size_t			 nloans;
	struct ncip_count	*hold_counts;	/* RequestedItemsCount* */
	size_t			 nhold_counts;
	struct ncip_hold	*holds;		/* RequestedItem* */
	size_t			 nholds;
	struct ncip_item_fields	 item;		/* ItemOptionalFields */
	/* LookupItemSet: how many items at most; its answer, per title. */
	long			 max_items;	/* -1: absent */
	struct ncip_bib_info	*bib_infos;	/* BibInformation* */
	size_t			 nbib_infos;

	struct ncip_arena	*arena;
};

/* Bits of ncip_user_element_mask(): the user data a request asks for. */
#define NCIP_UE_AUTH		0x001	/* Authentication Input */
#define NCIP_UE_BLOCK		0x002	/* Block Or Trap */
#define NCIP_UE_BIRTH		0x004	/* Date Of Birth */
#define NCIP_UE_NAME		0x008	/* Name Information */
#define NCIP_UE_ADDRESS		0x010	/* User Address Information */
#define NCIP_UE_LANGUAGE	0x020	/* User Language */
#define NCIP_UE_PRIVILEGE	0x040	/* User Privilege */
#define NCIP_UE_USER_ID		0x080	/* User Id, Visible User Id */
#define NCIP_UE_PREVIOUS_ID	0x100	/* Previous User Id */
#define NCIP_UE_OTHER		0x200	/* a value the codec does not know */

/* Bits of ncip_item_element_mask(). */
#define NCIP_IE_BIB		0x001	/* Bibliographic Description */
#define NCIP_IE_CIRC_STATUS	0x002	/* Circulation Status */
#define NCIP_IE_HOLD_QUEUE	0x004	/* Hold Queue Length */
#define NCIP_IE_DESCRIPTION	0x008	/* Item Description */
#define NCIP_IE_LOCATION	0x010	/* Location */
#define NCIP_IE_RESTRICTION	0x020	/* Item Use Restriction Type */
#define NCIP_IE_DATE_DUE	0x040	/* Date Due */
#define NCIP_IE_OTHER		0x080

/* What ncip_user_status() read from privileges and blocks. */
enum ncip_user_state {
	NCIP_USER_UNKNOWN,	/* nothing said either way */
	NCIP_USER_ACTIVE,
	NCIP_USER_BLOCKED,
};

/* ncip_init.c */
/*
 * Set up libxml2 for the codec: initialise the parser and install an
 * external entity loader that refuses every load, for the whole process.
 * The caller calls it once at start, before any thread parses XML, and
 * before the first ncip_parse().  A caller that needs libxml2 to load a
 * file (a schema in a test) must do so before, or from memory.  Returns 0.
 */
int		 ncip_init(void);

/* ncip_service.c */
/* Return the row of a service, never NULL (NCIP_SVC_NONE gives a blank). */
const struct ncip_service_info *ncip_service_info(enum ncip_service);
/* Return the element name of a service ("LookupUserResponse"), never NULL. */
const char	*ncip_service_name(enum ncip_service);
/*
 * Return the row for an element name of the NCIP 2.02 service list, carried
 * or not (supported says which), or NULL when the name is no NCIP service.
 */
const struct ncip_service_info *ncip_service_by_name(const char *);
/* Return 1 for a request, 0 for a response or a bare Problem. */
int		 ncip_service_is_request(enum ncip_service);

/* ncip_problem.c */
/* Return the standard string of a type ("Unknown User"), never NULL. */
const char	*ncip_problem_name(enum ncip_problem_type);
/*
 * Return the scheme URI a type is sent with in answer to a service (a
 * request or its response; NCIP_SVC_NONE picks the type's usual service),
 * never NULL.
 */
const char	*ncip_problem_scheme(enum ncip_problem_type, enum ncip_service);
/* Return 1 for the messaging errors (version 1 MessagingError). */
int		 ncip_problem_is_messaging(enum ncip_problem_type);
/* Match a ProblemType string case-insensitively; NCIP_PT_OTHER if none. */
enum ncip_problem_type ncip_problem_lookup(const char *);
/* Fill a parse error: what kind, which element, a detail (may be NULL). */
void		 ncip_error_set(struct ncip_error *, enum ncip_problem_type,
		    const char *, const char *);

/* ncip_msg.c */
/*
 * Make an empty message of a service in version 2.02's default dialect,
 * with counts and levels marked absent.  NULL on no memory.  Free it with
 * ncip_msg_free().
 */
struct ncip_msg	*ncip_msg_new(enum ncip_service);
/* Free a message and everything its arena holds; NULL is fine. */
void		 ncip_msg_free(struct ncip_msg *);
/*
 * Copy a string into the message's arena, so it lives as long as the
 * message.  NULL in gives NULL; NULL on no memory.
 */
char		*ncip_msg_strdup(struct ncip_msg *, const char *);
/* Zeroed space for n objects of a size in the arena; NULL on no memory. */
void		*ncip_msg_calloc(struct ncip_msg *, size_t, size_t);
/*
 * Append a Problem (strings copied into the arena; type's standard string
 * and scheme unless kind is NCIP_PT_OTHER, whose string is other).  The
 * value must never be a secret.  Returns 0, or -1 on no memory.
 */
int		 ncip_msg_add_problem(struct ncip_msg *, enum ncip_problem_type,
		    const char *, const char *, const char *, const char *);
/*
 * Return the name of the first element a service needs that the message
 * lacks ("UserId", "ItemId"...), or NULL when it has all.  A response that
 * carries problems needs nothing else.
 */
const char	*ncip_msg_missing(const struct ncip_msg *);
/* Return the kind of an AuthenticationInput, from its type's value. */
enum ncip_auth_kind ncip_auth_kind(const struct ncip_auth *);
/* Return the NCIP_UE_* bits of a request's UserElementType list. */
unsigned int	 ncip_user_element_mask(const struct ncip_msg *);
/* Return the NCIP_IE_* bits of a request's ItemElementType list. */
unsigned int	 ncip_item_element_mask(const struct ncip_msg *);
/*
 * Read whether a user may borrow from what the fields hold: a privilege
 * status of BLOCKED (or ACTIVE), or a BlockOrTrap in force at now.
 */
enum ncip_user_state ncip_user_status(const struct ncip_user_fields *,
		    time_t);

/* ncip_reply.c */
/*
 * Make the response to a request: its response service, the request's
 * dialect and version string, a ResponseHeader with the agencies swapped
 * (LookupVersion: the agencies swapped), and the request's ids echoed where
 * the response carries them.  NULL for a response or on no memory.
 */
struct ncip_msg	*ncip_reply_new(const struct ncip_msg *);
/*
 * Make the response a request gets when it fails: as ncip_reply_new() with
 * one Problem (element and detail may be NULL).  NULL on no memory.
 */
struct ncip_msg	*ncip_reply_problem(const struct ncip_msg *,
		    enum ncip_problem_type, const char *, const char *);
/*
 * Make the answer to bytes that failed to parse: the service's response
 * with the Problem when the service was recognised and supported, a bare
 * Problem otherwise, in the dialect seen.  NULL on no memory.
 */
struct ncip_msg	*ncip_reply_error(const struct ncip_error *);

/* ncip_parse.c */
/*
 * Parse one NCIP body.  The body is refused before any parsing when longer
 * than the limit; documents with an internal DTD subset are refused, a
 * version 1 DOCTYPE naming the public DTD is accepted without loading it;
 * nesting, element count and text lengths are capped while walking.
 * Limits may be NULL for the defaults.  Returns the message, which the
 * caller frees with ncip_msg_free(), or NULL with err filled in (no memory
 * gives NCIP_PT_TEMPORARY_FAILURE).  Requires ncip_init().
 */
struct ncip_msg	*ncip_parse(const char *, size_t, const struct ncip_limits *,
		    struct ncip_error *);

/* ncip_build.c */
/*
 * Build a message as a libxml2 document in a dialect (NULL: the message's
 * own), elements in the schema's order.  Where the schema takes one of
 * UserId and AuthenticationInput, AuthenticationInput goes when there is
 * any.  Reading is tolerant, building is strict: every element the schema
 * needs must be there.  Version 1 carries no LoanedItemsCount or
 * RequestedItemsCount, no BibliographicId beside loans and requests, no
 * ItemOptionalFields DateDue, no ProblemDetail, one Problem, and RequestId
 * or ItemId where version 2 takes both.  Returns the document, which the
 * caller frees with xmlFreeDoc(), or NULL with err filled in: a needed
 * element missing (NCIP_PT_NEEDED_DATA_MISSING), a date outside years
 * 1-9999 (NCIP_PT_INVALID_DATE), text that is not UTF-8, no memory.
 */
struct _xmlDoc	*ncip_build_doc(const struct ncip_msg *,
		    const struct ncip_dialect *, struct ncip_error *);
/*
 * Build a message as bytes (UTF-8, with an XML declaration) in a dialect
 * (NULL: the message's own).  Returns 0 and sets *out to a NUL-terminated
 * buffer the caller frees with free() and *outlen to its length, or -1
 * with err filled in.
 */
int		 ncip_build(const struct ncip_msg *,
		    const struct ncip_dialect *, char **, size_t *,
		    struct ncip_error *);
/* Set a dialect to a version's defaults: 2 gives 2.02 default namespace. */
void		 ncip_dialect_default(struct ncip_dialect *, int);

/* ncip_date.c */
/*
 * Read an xs:dateTime or a common ISO 8601 form (date only, no zone,
 * offsets, fractions) into d; d->text points at the argument.  Returns 0,
 * or -1 when it is no date (d->set 0).
 */
int		 ncip_date_parse(const char *, struct ncip_date *);
/*
 * Write t as YYYY-MM-DDTHH:MM:SSZ; the buffer gets its NUL.  Returns -1
 * (and an empty string) for a year outside 1-9999.
 */
int		 ncip_date_format(time_t, char [32]);
/* Return a set date for t. */
struct ncip_date ncip_date_at(time_t);

/* ncip_redact.c */
/*
 * Write a log-safe rendering of an NCIP body: AuthenticationInputData and
 * the header authentications become ********; names, addresses, e-mail,
 * phone, dates of birth are dropped; user ids keep their first four
 * characters and are masked; titles and authors are dropped from a message
 * that names a user.  Bytes that do not parse safely render as a note
 * with their length and nothing of their content.  Always NUL-terminates;
 * returns the length written (cut at the buffer's size).
 */
size_t		 ncip_redact(const char *, size_t, char *, size_t);
/* The same for a message in memory, rendered as version 2 XML. */
size_t		 ncip_msg_redact(const struct ncip_msg *, char *, size_t);

/*
 * For the codec's own files only: the arena behind a message, the safe
 * document reader that ncip_parse() and ncip_redact() share, and the
 * catching of libxml2's context-free errors.  Nothing outside ncip/ may
 * call these.
 */
/* ncip_init.c */
/* Where libxml2's errors go while the codec works (a callback). */
typedef void	(*ncip_xml_errfn)(void *, struct _xmlError *);
/* The thread's libxml2 error handler, saved while the codec works. */
struct ncip_quiet {
	ncip_xml_errfn		 fn;
	void			*ctx;
};
/*
 * Send this thread's libxml2 errors that have no parser context (encoding
 * and I/O errors, which libxml2 prints by default) to fn with ctx, saving
 * the handler in place; ncip_unquiet() puts it back.
 */
void		 ncip_quiet(struct ncip_quiet *, ncip_xml_errfn, void *);
void		 ncip_unquiet(const struct ncip_quiet *);

/* ncip_msg.c */
/* Return zeroed, aligned space that lives as long as m, or NULL. */
void		*ncip_arena_alloc(struct ncip_msg *, size_t);
/*
 * Append a zeroed slot to an arena array of *n objects of a size, growing
 * it (capacity implied by *n) when full.  Returns the slot or NULL.
 */
void		*ncip_arena_push(struct ncip_msg *, void **, size_t *, size_t);
/* Copy len bytes and a NUL into the arena; NULL on no memory. */
char		*ncip_arena_strndup(struct ncip_msg *, const char *, size_t);

/* ncip_parse.c */
/*
 * Parse bytes into a libxml2 document with every safety check of
 * ncip_parse() (size, DTD, depth, element count, text length).  Returns
 * the document, freed with xmlFreeDoc(), or NULL with err filled in.
 */
struct _xmlDoc	*ncip_parse_doc(const char *, size_t,
		    const struct ncip_limits *, struct ncip_error *);

/* ncip_read.c */
/*
 * Read a checked document into a message (limits filled in).  Returns the
 * message or NULL with err filled in.
 */
struct ncip_msg	*ncip_read_doc(struct _xmlDoc *, const struct ncip_limits *,
		    struct ncip_error *);

#endif /* CIRCLINK_NCIP_H */
