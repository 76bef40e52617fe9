/* SPDX-License-Identifier: ISC */
/*
 * Tests of the NCIP side of translation: NCIP requests into the neutral
 * request, neutral results into NCIP answers, neutral requests into NCIP
 * calls in each partner profile, and ILS answers merged back; version 2
 * output is validated against the NCIP 2.02 schema.
 */

#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "ncip.h"
#include "circlinkd.h"

#ifndef XLATE_NCIP_XSD
#define XLATE_NCIP_XSD	"tests/data/ncip/ncip_v2_02.xsd"
#endif

/* route.c, linked in through circ.c, refers to the daemon's state. */
struct gateway	*gw;

static xmlSchemaPtr	 schema;
static char		 schema_err[512];

#define PIN	"7q4Z"

#define V2	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>" \
	"<NCIPMessage xmlns=\"http://www.niso.org/2008/ncip\" " \
	"version=\"http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd\">"
#define V1	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>" \
	"<NCIPMessage " \
	"version=\"http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd\">"
#define END	"</NCIPMessage>"
#define IHDR	"<InitiationHeader><FromAgencyId>" \
	"<AgencyId>DISTRICT</AgencyId></FromAgencyId><ToAgencyId>" \
	"<AgencyId>METRO</AgencyId></ToAgencyId></InitiationHeader>"
#define RHDR	"<ResponseHeader><FromAgencyId><AgencyId>METRO</AgencyId>" \
	"</FromAgencyId><ToAgencyId><AgencyId>CIRCLINK</AgencyId>" \
	"</ToAgencyId></ResponseHeader>"
#define V1IHDR	"<InitiationHeader><FromAgencyId><UniqueAgencyId><Scheme/>" \
	"<Value>DISTRICT</Value></UniqueAgencyId></FromAgencyId><ToAgencyId>" \
	"<UniqueAgencyId><Scheme/><Value>METRO</Value></UniqueAgencyId>" \
	"</ToAgencyId></InitiationHeader>"
#define V1RHDR	"<ResponseHeader><FromAgencyId><UniqueAgencyId><Scheme/>" \
	"<Value>METRO</Value></UniqueAgencyId></FromAgencyId><ToAgencyId>" \
	"<UniqueAgencyId><Scheme/><Value>CIRCLINK</Value></UniqueAgencyId>" \
	"</ToAgencyId></ResponseHeader>"
#define AUTH(data, type)	"<AuthenticationInput>" \
	"<AuthenticationInputData>" data "</AuthenticationInputData>" \
	"<AuthenticationDataFormatType>text/plain" \
	"</AuthenticationDataFormatType><AuthenticationInputType>" type \
	"</AuthenticationInputType></AuthenticationInput>"
#define USER(v)	"<UserId><AgencyId>METRO</AgencyId><UserIdentifierValue>" v \
	"</UserIdentifierValue></UserId>"
#define ITEM(v)	"<ItemId><AgencyId>METRO</AgencyId><ItemIdentifierValue>" v \
	"</ItemIdentifierValue></ItemId>"
#define UE(v)	"<UserElementType>" v "</UserElementType>"
#define IE(v)	"<ItemElementType>" v "</ItemElementType>"
#define PROBLEM(svc, type)	V2 "<" svc ">" RHDR "<Problem><ProblemType>" \
	type "</ProblemType><ProblemDetail>peer words</ProblemDetail>" \
	"</Problem></" svc ">" END

/* Requests as NCIP callers send them. */
static const char lookup_user_auth[] = V2 "<LookupUser>" IHDR
    AUTH("21000012345678", "Barcode Id") AUTH(PIN, "PIN")
    UE("Name Information") UE("User Address Information")
    UE("User Privilege") UE("Block Or Trap") UE("Date Of Birth")
    UE("User Language") UE("User Id") UE("Authentication Input")
    "<LoanedItemsDesired/><RequestedItemsDesired/>"
    "<UserFiscalAccountDesired/></LookupUser>" END;
static const char lookup_user_v1[] = V1 "<LookupUser>" V1IHDR
    "<UniqueUserId><UniqueAgencyId><Scheme/><Value>METRO</Value>"
    "</UniqueAgencyId><UserIdentifierValue>21000012345678"
    "</UserIdentifierValue></UniqueUserId>"
    "<UserElementType><Scheme/><Value>Visible User Id</Value>"
    "</UserElementType><UserElementType><Scheme/><Value>Block Or Trap"
    "</Value></UserElementType><LoanedItemsDesired/></LookupUser>" END;
static const char lookup_user_pin_only[] = V2 "<LookupUser>" IHDR
    AUTH(PIN, "PIN") "</LookupUser>" END;
static const char lookup_item[] = V2 "<LookupItem>" IHDR ITEM("31000000000456")
    IE("Bibliographic Description") IE("Circulation Status")
    IE("Hold Queue Length") IE("Item Description") IE("Location")
    IE("Date Due") "</LookupItem>" END;
static const char lookup_item_v1[] = V1 "<LookupItem>" V1IHDR
    "<UniqueItemId><UniqueAgencyId><Scheme/><Value>METRO</Value>"
    "</UniqueAgencyId><ItemIdentifierValue>31000000000456"
    "</ItemIdentifierValue></UniqueItemId><ItemElementType><Scheme/>"
    "<Value>Circulation Status</Value></ItemElementType><ItemElementType>"
    "<Scheme/><Value>Location</Value></ItemElementType></LookupItem>" END;
static const char checkout[] = V2 "<CheckOutItem>" IHDR
    AUTH("21000012345678", "Barcode Id") AUTH(PIN, "PIN")
    ITEM("31000000000456")
    "<DesiredDateDue>2024-04-01T23:59:00Z</DesiredDateDue>"
    IE("Bibliographic Description") "</CheckOutItem>" END;
static const char checkout_v1[] = V1 "<CheckOutItem>" V1IHDR
    "<UniqueUserId><UniqueAgencyId><Scheme/><Value>METRO</Value>"
    "</UniqueAgencyId><UserIdentifierValue>21000012345678"
    "</UserIdentifierValue></UniqueUserId><UniqueItemId><UniqueAgencyId>"
    "<Scheme/><Value>METRO</Value></UniqueAgencyId><ItemIdentifierValue>"
    "31000000000456</ItemIdentifierValue></UniqueItemId></CheckOutItem>"
    END;
static const char checkin[] = V2 "<CheckInItem>" IHDR ITEM("32000000004242")
    IE("Bibliographic Description") "</CheckInItem>" END;
static const char renew[] = V2 "<RenewItem>" IHDR USER("21000012345678")
    ITEM("31000000000456") "<DesiredDateDue>2024-05-01T23:59:00Z"
    "</DesiredDateDue></RenewItem>" END;
static const char request_by_item[] = V2 "<RequestItem>" IHDR
    USER("21000012345678") ITEM("31000000000456")
    "<RequestId><AgencyId>DISTRICT</AgencyId><RequestIdentifierValue>"
    "CL-2024-000117</RequestIdentifierValue></RequestId>"
    "<RequestType>Hold</RequestType><RequestScopeType>Item"
    "</RequestScopeType><PickupLocation>LINCOLN</PickupLocation>"
    "<PickupExpiryDate>2024-04-30T23:59:00Z</PickupExpiryDate>"
    "</RequestItem>" END;
static const char request_by_bib[] = V2 "<RequestItem>" IHDR
    USER("21000012345678") "<BibliographicId><BibliographicItemId>"
    "<BibliographicItemIdentifier>9780547773742"
    "</BibliographicItemIdentifier><BibliographicItemIdentifierCode>ISBN"
    "</BibliographicItemIdentifierCode></BibliographicItemId>"
    "</BibliographicId><BibliographicId><BibliographicRecordId>"
    "<BibliographicRecordIdentifier>b1234567"
    "</BibliographicRecordIdentifier><BibliographicRecordIdentifierCode>"
    "SYSNUMBER</BibliographicRecordIdentifierCode></BibliographicRecordId>"
    "</BibliographicId><RequestType>Hold</RequestType>"
    "<RequestScopeType>Bibliographic Item</RequestScopeType>"
    "<PickupLocation>LINCOLN</PickupLocation></RequestItem>" END;
static const char cancel_request[] = V2 "<CancelRequestItem>" IHDR
    USER("21000012345678") "<RequestId><AgencyId>METRO</AgencyId>"
    "<RequestIdentifierValue>HOLD-55012</RequestIdentifierValue>"
    "</RequestId><RequestType>Hold</RequestType></CancelRequestItem>" END;
static const char accept_item[] = V2 "<AcceptItem>" IHDR
    "<RequestId><AgencyId>METRO</AgencyId><RequestIdentifierValue>"
    "HOLD-55013</RequestIdentifierValue></RequestId>"
    "<RequestedActionType>Hold For Pickup</RequestedActionType>"
    "<UserId><AgencyId>DISTRICT</AgencyId><UserIdentifierValue>"
    "22000098765432</UserIdentifierValue></UserId>" ITEM("31000000000456")
    "<DateForReturn>2024-04-15T23:59:00Z</DateForReturn>"
    "<ItemOptionalFields><BibliographicDescription><Author>Le Guin"
    "</Author><Title>A Wizard of Earthsea</Title>"
    "</BibliographicDescription></ItemOptionalFields>"
    "<PickupLocation>LINCOLN</PickupLocation></AcceptItem>" END;
static const char create_user[] = V2 "<CreateUser>" IHDR
    "<UserId><AgencyId>DISTRICT</AgencyId><UserIdentifierValue>"
    "22000098765432</UserIdentifierValue></UserId><NameInformation>"
    "<PersonalNameInformation><StructuredPersonalUserName><GivenName>Sam"
    "</GivenName><Surname>Lee</Surname></StructuredPersonalUserName>"
    "</PersonalNameInformation></NameInformation><UserPrivilege>"
    "<AgencyId>DISTRICT</AgencyId><AgencyUserPrivilegeType>STUDENT"
    "</AgencyUserPrivilegeType></UserPrivilege></CreateUser>" END;
static const char update_user[] = V2 "<UpdateUser>" IHDR
    USER("21000012345678") "<DeleteUserFields><UserLanguage>eng"
    "</UserLanguage></DeleteUserFields><AddUserFields><UserLanguage>spa"
    "</UserLanguage></AddUserFields></UpdateUser>" END;
static const char delete_item[] = V2 "<DeleteItem>" IHDR
    ITEM("31000000000456") "</DeleteItem>" END;
static const char lookup_version[] = V2 "<LookupVersion><FromAgencyId>"
    "<AgencyId>DISTRICT</AgencyId></FromAgencyId><ToAgencyId><AgencyId>"
    "METRO</AgencyId></ToAgencyId></LookupVersion>" END;
static const char a_response[] = V2 "<DeleteItemResponse>" RHDR
    ITEM("31000000000456") "</DeleteItemResponse>" END;

/* Answers as an NCIP ILS gives them. */
static const char lookup_user_resp[] = V2 "<LookupUserResponse>" RHDR
    USER("21000012345678")
    "<UserFiscalAccount><AccountBalance><CurrencyCode>USD</CurrencyCode>"
    "<MonetaryValue>250</MonetaryValue></AccountBalance><AccountDetails>"
    "<AccrualDate>2024-02-20T15:04:00Z</AccrualDate>"
    "<FiscalTransactionInformation><FiscalActionType>Assess"
    "</FiscalActionType><FiscalTransactionReferenceId><AgencyId>METRO"
    "</AgencyId><FiscalTransactionIdentifierValue>FINE-88121"
    "</FiscalTransactionIdentifierValue></FiscalTransactionReferenceId>"
    "<FiscalTransactionType>Overdue Fine</FiscalTransactionType><Amount>"
    "<CurrencyCode>USD</CurrencyCode><MonetaryValue>350</MonetaryValue>"
    "</Amount><FiscalTransactionDescription>Returned late"
    "</FiscalTransactionDescription></FiscalTransactionInformation>"
    "</AccountDetails><AccountDetails><AccrualDate>2024-02-21T10:00:00Z"
    "</AccrualDate><FiscalTransactionInformation><FiscalActionType>"
    "Payment</FiscalActionType><FiscalTransactionType>Overdue Fine"
    "</FiscalTransactionType><Amount><CurrencyCode>USD</CurrencyCode>"
    "<MonetaryValue>100</MonetaryValue></Amount>"
    "</FiscalTransactionInformation></AccountDetails></UserFiscalAccount>"
    "<LoanedItemsCount><CirculationStatus>On Loan</CirculationStatus>"
    "<LoanedItemCountValue>2</LoanedItemCountValue></LoanedItemsCount>"
    "<LoanedItem>" ITEM("31000000000456") "<DateDue>2099-03-22T23:59:00Z"
    "</DateDue><Title>A Wizard of Earthsea</Title></LoanedItem>"
    "<LoanedItem>" ITEM("31000000000789") "<DateDue>2001-03-01T23:59:00Z"
    "</DateDue><Title>The Dispossessed</Title></LoanedItem>"
    "<RequestedItem>" ITEM("31000000000999") "<RequestType>Hold"
    "</RequestType><RequestStatusType>Available For Pickup"
    "</RequestStatusType><DatePlaced>2024-02-28T10:15:00Z</DatePlaced>"
    "</RequestedItem><RequestedItem><RequestId><AgencyId>METRO</AgencyId>"
    "<RequestIdentifierValue>HOLD-1</RequestIdentifierValue></RequestId>"
    "<RequestType>Hold</RequestType><RequestStatusType>In Process"
    "</RequestStatusType><DatePlaced>2024-02-28T10:15:00Z</DatePlaced>"
    "<Title>The Lathe of Heaven</Title></RequestedItem>"
    "<UserOptionalFields><NameInformation><PersonalNameInformation>"
    "<StructuredPersonalUserName><GivenName>Jane</GivenName><Surname>Doe"
    "</Surname></StructuredPersonalUserName></PersonalNameInformation>"
    "</NameInformation><UserAddressInformation><UserAddressRoleType>Home"
    "</UserAddressRoleType><PhysicalAddress><StructuredAddress><Street>"
    "12 Main St</Street><Locality>Springfield</Locality><Region>IL"
    "</Region><Country>US</Country><PostalCode>62701</PostalCode>"
    "</StructuredAddress><PhysicalAddressType>Postal Address"
    "</PhysicalAddressType></PhysicalAddress></UserAddressInformation>"
    "<UserAddressInformation><UserAddressRoleType>Home"
    "</UserAddressRoleType><ElectronicAddress><ElectronicAddressType>"
    "mailto</ElectronicAddressType><ElectronicAddressData>"
    "mailto:jane@example.org</ElectronicAddressData></ElectronicAddress>"
    "</UserAddressInformation><UserAddressInformation>"
    "<UserAddressRoleType>Home</UserAddressRoleType><ElectronicAddress>"
    "<ElectronicAddressType>tel</ElectronicAddressType>"
    "<ElectronicAddressData>555-0100</ElectronicAddressData>"
    "</ElectronicAddress></UserAddressInformation><DateOfBirth>"
    "2009-05-14T00:00:00Z</DateOfBirth><UserLanguage>eng</UserLanguage>"
    "<UserPrivilege><AgencyId>METRO</AgencyId><AgencyUserPrivilegeType>"
    "STATUS</AgencyUserPrivilegeType><UserPrivilegeStatus>"
    "<UserPrivilegeStatusType>ACTIVE</UserPrivilegeStatusType>"
    "</UserPrivilegeStatus></UserPrivilege><UserPrivilege><AgencyId>METRO"
    "</AgencyId><AgencyUserPrivilegeType>STUDENT</AgencyUserPrivilegeType>"
    "<ValidToDate>2099-08-31T23:59:59Z</ValidToDate></UserPrivilege>"
    "<BlockOrTrap><AgencyId>METRO</AgencyId><BlockOrTrapType>"
    "Fines Over Limit</BlockOrTrapType><ValidFromDate>"
    "2001-02-20T00:00:00Z</ValidFromDate></BlockOrTrap><BlockOrTrap>"
    "<AgencyId>METRO</AgencyId><BlockOrTrapType>Card Reported Lost"
    "</BlockOrTrapType><ValidFromDate>2098-01-01T00:00:00Z</ValidFromDate>"
    "</BlockOrTrap></UserOptionalFields></LookupUserResponse>" END;
static const char lookup_user_resp_v1[] = V1 "<LookupUserResponse>" V1RHDR
    "<UniqueUserId><UniqueAgencyId><Scheme/><Value>METRO</Value>"
    "</UniqueAgencyId><UserIdentifierValue>21000012345678"
    "</UserIdentifierValue></UniqueUserId><UserTransaction><LoanedItem>"
    "<UniqueItemId><UniqueAgencyId><Scheme/><Value>METRO</Value>"
    "</UniqueAgencyId><ItemIdentifierValue>31000000000111"
    "</ItemIdentifierValue></UniqueItemId><DateDue>2099-01-01T00:00:00Z"
    "</DateDue></LoanedItem></UserTransaction></LookupUserResponse>" END;
static const char lookup_user_resp_small[] = V2 "<LookupUserResponse>" RHDR
    USER("S-1") "<LoanedItem>" ITEM("31000000000222")
    "<DateDue>2099-01-01T00:00:00Z</DateDue></LoanedItem>"
    "<UserOptionalFields><NameInformation><PersonalNameInformation>"
    "<UnstructuredPersonalUserName>Other Name"
    "</UnstructuredPersonalUserName></PersonalNameInformation>"
    "</NameInformation></UserOptionalFields></LookupUserResponse>" END;
static const char lookup_user_resp_blocked[] = V2 "<LookupUserResponse>"
    RHDR USER("21000012345678") "<UserOptionalFields><BlockOrTrap>"
    "<AgencyId>METRO</AgencyId><BlockOrTrapType>Blocked By Circulation "
    "Terminal</BlockOrTrapType></BlockOrTrap></UserOptionalFields>"
    "</LookupUserResponse>" END;
static const char lookup_user_resp_loans[] = V2 "<LookupUserResponse>" RHDR
    USER("21000012345678") "<LoanedItem>" ITEM("31000000000456")
    "<DateDue>2099-03-22T23:59:00Z</DateDue></LoanedItem><LoanedItem>"
    ITEM("31000000000789") "<DateDue>2099-03-01T23:59:00Z</DateDue>"
    "</LoanedItem></LookupUserResponse>" END;
static const char lookup_item_resp[] = V2 "<LookupItemResponse>" RHDR
    ITEM("31000000000456") "<ItemOptionalFields><BibliographicDescription>"
    "<Author>Le Guin</Author><Title>A Wizard of Earthsea</Title>"
    "<MediumType>Book</MediumType></BibliographicDescription>"
    "<CirculationStatus>On Loan</CirculationStatus><HoldQueueLength>2"
    "</HoldQueueLength><ItemDescription><CallNumber>FIC LEG"
    "</CallNumber></ItemDescription><Location><LocationType>Permanent"
    "</LocationType><LocationName><LocationNameInstance>"
    "<LocationNameLevel>1</LocationNameLevel><LocationNameValue>METRO"
    "</LocationNameValue></LocationNameInstance><LocationNameInstance>"
    "<LocationNameLevel>2</LocationNameLevel><LocationNameValue>MAIN"
    "</LocationNameValue></LocationNameInstance></LocationName></Location>"
    "<Location><LocationType>Current</LocationType><LocationName>"
    "<LocationNameInstance><LocationNameLevel>1</LocationNameLevel>"
    "<LocationNameValue>EAST</LocationNameValue></LocationNameInstance>"
    "</LocationName></Location><DateDue>2099-03-22T23:59:00Z</DateDue>"
    "</ItemOptionalFields></LookupItemResponse>" END;
static const char checkout_resp[] = V2 "<CheckOutItemResponse>" RHDR
    ITEM("31000000000456") USER("21000012345678")
    "<DateDue>2024-04-01T23:59:00Z</DateDue><ItemOptionalFields>"
    "<BibliographicDescription><Title>A Wizard of Earthsea</Title>"
    "</BibliographicDescription></ItemOptionalFields>"
    "</CheckOutItemResponse>" END;
static const char checkin_resp[] = V2 "<CheckInItemResponse>" RHDR
    ITEM("32000000004242") USER("22000098765432") "<RoutingInformation>"
    "<RoutingInstructions>Route to LINCOLN: hold for another student"
    "</RoutingInstructions><Destination><BinNumber>7</BinNumber>"
    "<Location><LocationType>Current</LocationType><LocationName>"
    "<LocationNameInstance><LocationNameLevel>1</LocationNameLevel>"
    "<LocationNameValue>DISTRICT</LocationNameValue>"
    "</LocationNameInstance><LocationNameInstance><LocationNameLevel>2"
    "</LocationNameLevel><LocationNameValue>LINCOLN</LocationNameValue>"
    "</LocationNameInstance></LocationName></Location></Destination>"
    "<RequestType>Hold</RequestType><UserId><AgencyId>DISTRICT</AgencyId>"
    "<UserIdentifierValue>22000011112222</UserIdentifierValue></UserId>"
    "</RoutingInformation><ItemOptionalFields><BibliographicDescription>"
    "<Title>Hatchet</Title></BibliographicDescription>"
    "</ItemOptionalFields></CheckInItemResponse>" END;
static const char renew_resp[] = V2 "<RenewItemResponse>" RHDR
    ITEM("31000000000456") "<DateDue>2024-05-01T23:59:00Z</DateDue>"
    "<RenewalCount>1</RenewalCount></RenewItemResponse>" END;
static const char renew_resp_pending[] = V2 "<RenewItemResponse>" RHDR
    "<Pending><DateOfExpectedReply>2024-04-02T12:00:00Z"
    "</DateOfExpectedReply></Pending></RenewItemResponse>" END;
static const char request_resp[] = V2 "<RequestItemResponse>" RHDR
    "<RequestId><AgencyId>METRO</AgencyId><RequestIdentifierValue>"
    "HOLD-55013</RequestIdentifierValue></RequestId>"
    USER("21000012345678") "<RequestType>Hold</RequestType>"
    "<RequestScopeType>Item</RequestScopeType><DateAvailable>"
    "2001-01-01T00:00:00Z</DateAvailable></RequestItemResponse>" END;
static const char cancel_resp[] = V2 "<CancelRequestItemResponse>" RHDR
    "<RequestId><AgencyId>METRO</AgencyId><RequestIdentifierValue>"
    "HOLD-55012</RequestIdentifierValue></RequestId>"
    USER("21000012345678") "</CancelRequestItemResponse>" END;
static const char accept_resp[] = V2 "<AcceptItemResponse>" RHDR
    "<RequestId><AgencyId>METRO</AgencyId><RequestIdentifierValue>"
    "HOLD-55013</RequestIdentifierValue></RequestId>"
    ITEM("TMP-31000000000456") "</AcceptItemResponse>" END;
static const char create_user_resp[] = V2 "<CreateUserResponse>" RHDR
    USER("M-4711") "</CreateUserResponse>" END;
static const char update_user_resp[] = V2 "<UpdateUserResponse>" RHDR
    USER("21000012345678") "</UpdateUserResponse>" END;
static const char delete_item_resp[] = V2 "<DeleteItemResponse>" RHDR
    ITEM("31000000000456") "</DeleteItemResponse>" END;
static const char lookup_version_resp[] = V2 "<LookupVersionResponse>"
    "<FromAgencyId><AgencyId>METRO</AgencyId></FromAgencyId><ToAgencyId>"
    "<AgencyId>CIRCLINK</AgencyId></ToAgencyId><VersionSupported>"
    "http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd"
    "</VersionSupported></LookupVersionResponse>" END;
static const char renew_max[] = PROBLEM("RenewItemResponse",
    "Maximum Renewals Exceeded");

/*
 * Helpers.
 */

static time_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (timegm(&tm));
}

static struct ncip_msg *
parse(const char *xml)
{
	struct ncip_error	 err;
	struct ncip_msg		*m;

	memset(&err, 0, sizeof(err));
	if ((m = ncip_parse(xml, strlen(xml), NULL, &err)) == NULL)
		fail_msg("does not parse: %s %s %s",
		    ncip_problem_name(err.kind), err.element, err.detail);
	return (m);
}

/* The message as bytes in its own dialect; the test fails otherwise. */
static char *
text(const struct ncip_msg *m)
{
	struct ncip_error	 err;
	char			*out;
	size_t			 len;

	if (ncip_build(m, NULL, &out, &len, &err) == -1)
		fail_msg("%s does not build: %s %s %s",
		    ncip_service_name(m->service), ncip_problem_name(err.kind),
		    err.element, err.detail);
	return (out);
}

static void
schema_error(void *ctx, xmlErrorPtr e)
{
	if (schema_err[0] == '\0' && e != NULL && e->message != NULL)
		(void)snprintf(schema_err, sizeof(schema_err), "line %d: %s",
		    e->line, e->message);
}

/* Take every element and attribute out of any namespace. */
static void
unqualify(xmlNodePtr n)
{
	xmlAttrPtr	 a;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		unqualify(n->children);
		n->ns = NULL;
		for (a = n->properties; a != NULL; a = a->next)
			a->ns = NULL;
		if (n->nsDef != NULL) {
			xmlFreeNsList(n->nsDef);
			n->nsDef = NULL;
		}
	}
}

/* Put every element and attribute in the NCIP namespace, as ns1. */
static void
qualify(xmlNodePtr n, xmlNsPtr ns)
{
	xmlAttrPtr	 a;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		n->ns = ns;
		for (a = n->properties; a != NULL; a = a->next)
			a->ns = ns;
		qualify(n->children, ns);
	}
}

/*
 * Validate a version 2 message against the 2.02 schema: as it is, or with
 * names first put in the namespace (for the dialects that leave it out).
 */
static void
valid(const char *xml, int normalize)
{
	xmlSchemaValidCtxtPtr	 vc;
	xmlDocPtr		 doc;
	xmlNodePtr		 root;
	xmlNsPtr		 ns;
	int			 rc;

	doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL,
	    XML_PARSE_NONET);
	assert_non_null(doc);
	if (normalize) {
		root = xmlDocGetRootElement(doc);
		unqualify(root);
		ns = xmlNewNs(root, (const xmlChar *)NCIP_NS,
		    (const xmlChar *)"ns1");
		assert_non_null(ns);
		qualify(root, ns);
	}
	schema_err[0] = '\0';
	vc = xmlSchemaNewValidCtxt(schema);
	assert_non_null(vc);
	xmlSchemaSetValidStructuredErrors(vc, schema_error, NULL);
	rc = xmlSchemaValidateDoc(vc, doc);
	xmlSchemaFreeValidCtxt(vc);
	xmlFreeDoc(doc);
	if (rc != 0)
		fail_msg("not valid NCIP 2.02: %s\n%s", schema_err, xml);
}

static void
has(const char *xml, const char *s)
{
	if (strstr(xml, s) == NULL)
		fail_msg("\"%s\" missing from\n%s", s, xml);
}

static void
lacks(const char *xml, const char *s)
{
	if (strstr(xml, s) != NULL)
		fail_msg("\"%s\" must not be in\n%s", s, xml);
}

/* One translation: the parsed request, its neutral form, the arena. */
struct fx {
	struct ncip_msg		*q;
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*a;
	struct ncip_msg		*out;
	char			*xml;
};

static void
fx_req(struct fx *f, const char *xml)
{
	memset(f, 0, sizeof(*f));
	assert_non_null(f->a = circ_arena_new());
	f->q = parse(xml);
	assert_int_equal(xlate_ncip_req(&f->req, f->q, f->a), 0);
}

static void
fx_done(struct fx *f)
{
	free(f->xml);
	ncip_msg_free(f->out);
	ncip_msg_free(f->q);
	circ_arena_free(f->a);
}

/* Answer the request with the result and build the answer. */
static const char *
fx_reply(struct fx *f)
{
	f->out = xlate_ncip_reply(&f->req, &f->res);
	assert_non_null(f->out);
	f->xml = text(f->out);
	return (f->xml);
}

/*
 * Check an answer to a version 2 request of the samples above: in the
 * caller's dialect (default namespace, unqualified version, its version
 * string), and valid once its attributes are qualified.
 */
static void
fx_valid(const struct fx *f)
{
	has(f->xml, "<NCIPMessage xmlns=\"http://www.niso.org/2008/ncip\" "
	    "version=\"http://www.niso.org/schemas/ncip/v2_02/"
	    "ncip_v2_02.xsd\">");
	valid(f->xml, 1);
}

static void
partner(struct conf_partner *p, int version, int ns, int qualified,
    int by_auth)
{
	static char	 metro[] = "METRO";

	memset(p, 0, sizeof(*p));
	p->institutions[0] = metro;
	p->ninstitutions = 1;
	p->has_backend = 1;
	p->backend.proto = BACKEND_NCIP;
	p->backend.ncip.version = version;
	p->backend.ncip.ns_style = ns;
	p->backend.ncip.qualified_attrs = qualified;
	p->backend.ncip.from_agency = (char *)(uintptr_t)"CIRCLINK";
	p->backend.ncip.from_agency_auth = (char *)(uintptr_t)"agency-secret";
	p->backend.ncip.app_profile = (char *)(uintptr_t)"CIRCLINK-METRO";
	p->backend.ncip.user_by_auth = by_auth;
}

/* A neutral request as the SIP2 side decodes one. */
static void
sip2_req(struct circ_req *req, int code)
{
	memset(req, 0, sizeof(*req));
	req->op = circ_op_sip2(code);
	assert_non_null(req->op);
	req->summary = -1;
	req->institution = "METRO";
	req->patron = "21000012345678";
	req->item = "31000000000456";
}

/* Build a backend request and return its text; the caller frees both. */
static char *
backend(const struct circ_req *req, const struct conf_partner *p,
    struct ncip_msg **mp)
{
	struct ncip_msg	*m;

	m = xlate_ncip_backend_req(req, p, utc(2024, 3, 1, 12, 0, 0));
	if (m == NULL)
		fail_msg("no backend request: %s", strerror(errno));
	*mp = m;
	return (text(m));
}

/* Merge one answer given as XML; returns what the merge returned. */
static int
merge(const struct circ_req *req, int step, const char *xml,
    struct circ_result *res, struct circ_arena *a)
{
	struct ncip_msg	*m = parse(xml);
	int		 rc;

	rc = xlate_ncip_backend_reply(req, step, m, res, a);
	/* The result must not point into the answer: free it now. */
	ncip_msg_free(m);
	return (rc);
}

/*
 * The op table.
 */

static void
test_op_table_has_a_row_per_service(void **state)
{
	const struct circ_op_info	*op;
	int				 svc;

	for (svc = NCIP_SVC_NONE + 1; svc < NCIP_SVC__COUNT; svc++) {
		op = circ_op_ncip((enum ncip_service)svc);
		assert_non_null(op);
		assert_int_equal(op->code, svc);
		if (ncip_service_is_request((enum ncip_service)svc))
			assert_int_not_equal(op->op, CIRC_NONE);
		else
			assert_int_equal(op->op, CIRC_NONE);
	}
	assert_null(circ_op_ncip(NCIP_SVC_NONE));
	assert_int_equal(circ_op_ncip(NCIP_CANCEL_REQUEST_ITEM)->op, CIRC_HOLD);
	assert_int_equal(circ_op_ncip(NCIP_LOOKUP_VERSION)->flags,
	    CIRC_F_LOCAL);
	assert_int_equal(circ_op_ncip(NCIP_CHECKOUT_ITEM)->perm,
	    PERM_CIRCULATION);
}

/*
 * NCIP requests into the neutral request.
 */

static void
test_req_lookup_user_by_authentication_input(void **state)
{
	struct fx	 f;
	unsigned int	 mask;

	fx_req(&f, lookup_user_auth);
	assert_int_equal(f.req.op->op, CIRC_PATRON_INFO);
	assert_ptr_equal(f.req.ncip, f.q);
	assert_string_equal(f.req.institution, "METRO");
	assert_string_equal(f.req.patron, "21000012345678");
	assert_true(f.req.has_pin);
	assert_string_equal(f.req.pin, PIN);
	assert_true(f.req.want_loans);
	assert_true(f.req.want_holds);
	assert_true(f.req.want_fines);
	assert_int_equal(f.req.summary, -1);
	mask = ncip_user_element_mask(f.req.ncip);
	assert_int_equal(mask & (NCIP_UE_NAME | NCIP_UE_ADDRESS |
	    NCIP_UE_PRIVILEGE | NCIP_UE_BLOCK | NCIP_UE_BIRTH),
	    NCIP_UE_NAME | NCIP_UE_ADDRESS | NCIP_UE_PRIVILEGE |
	    NCIP_UE_BLOCK | NCIP_UE_BIRTH);
	fx_done(&f);
}

static void
test_req_lookup_user_by_user_id_v1(void **state)
{
	struct fx	 f;

	fx_req(&f, lookup_user_v1);
	assert_int_equal(f.req.op->op, CIRC_PATRON_INFO);
	assert_int_equal(f.q->dialect.version, 1);
	assert_string_equal(f.req.patron, "21000012345678");
	assert_false(f.req.has_pin);
	assert_null(f.req.pin);
	assert_true(f.req.want_loans);
	assert_false(f.req.want_holds);
	assert_false(f.req.want_fines);
	assert_int_equal(ncip_user_element_mask(f.req.ncip),
	    NCIP_UE_USER_ID | NCIP_UE_BLOCK);
	fx_done(&f);
}

static void
test_req_lookup_user_without_patron_is_refused(void **state)
{
	struct ncip_msg		*m = parse(lookup_user_pin_only);
	struct circ_req		 req;

	errno = 0;
	assert_int_equal(xlate_ncip_req(&req, m, NULL), -1);
	assert_int_equal(errno, EINVAL);
	ncip_msg_free(m);
}

static void
test_req_lookup_item(void **state)
{
	struct fx	 f;

	fx_req(&f, lookup_item);
	assert_int_equal(f.req.op->op, CIRC_ITEM_INFO);
	assert_true(f.req.op->flags & CIRC_F_BY_ITEM);
	assert_string_equal(f.req.item, "31000000000456");
	assert_null(f.req.patron);
	assert_int_equal(ncip_item_element_mask(f.req.ncip), NCIP_IE_BIB |
	    NCIP_IE_CIRC_STATUS | NCIP_IE_HOLD_QUEUE | NCIP_IE_DESCRIPTION |
	    NCIP_IE_LOCATION | NCIP_IE_DATE_DUE);
	fx_done(&f);
}

static void
test_req_checkout(void **state)
{
	struct fx	 f;

	fx_req(&f, checkout);
	assert_int_equal(f.req.op->op, CIRC_CHECKOUT);
	assert_true(f.req.op->flags & CIRC_F_RETRY);
	assert_string_equal(f.req.patron, "21000012345678");
	assert_string_equal(f.req.pin, PIN);
	assert_string_equal(f.req.item, "31000000000456");
	assert_int_equal(f.req.desired_due, utc(2024, 4, 1, 23, 59, 0));
	fx_done(&f);
}

static void
test_req_checkin(void **state)
{
	struct fx	 f;

	fx_req(&f, checkin);
	assert_int_equal(f.req.op->op, CIRC_CHECKIN);
	assert_string_equal(f.req.item, "32000000004242");
	assert_null(f.req.patron);
	fx_done(&f);
}

static void
test_req_renew(void **state)
{
	struct fx	 f;

	fx_req(&f, renew);
	assert_int_equal(f.req.op->op, CIRC_RENEW);
	assert_string_equal(f.req.patron, "21000012345678");
	assert_false(f.req.has_pin);
	assert_string_equal(f.req.item, "31000000000456");
	assert_int_equal(f.req.desired_due, utc(2024, 5, 1, 23, 59, 0));
	fx_done(&f);
}

static void
test_req_request_item_by_item_id(void **state)
{
	struct fx	 f;

	fx_req(&f, request_by_item);
	assert_int_equal(f.req.op->op, CIRC_HOLD);
	assert_int_equal(f.req.hold_mode, '+');
	assert_int_equal(f.req.hold_type, 3);
	assert_string_equal(f.req.item, "31000000000456");
	assert_null(f.req.bib_id);
	assert_string_equal(f.req.request_id, "CL-2024-000117");
	assert_string_equal(f.req.pickup, "LINCOLN");
	assert_int_equal(f.req.hold_expiry, utc(2024, 4, 30, 23, 59, 0));
	fx_done(&f);
}

static void
test_req_request_item_by_bibliographic_id(void **state)
{
	struct fx	 f;

	fx_req(&f, request_by_bib);
	assert_int_equal(f.req.op->op, CIRC_HOLD);
	assert_int_equal(f.req.hold_mode, '+');
	assert_int_equal(f.req.hold_type, 2);
	assert_null(f.req.item);
	assert_string_equal(f.req.bib_id, "9780547773742");
	assert_string_equal(f.req.bib_scheme, "ISBN");
	assert_int_equal(f.req.ncip->nbib_ids, 2);
	fx_done(&f);
}

static void
test_req_cancel_request_item(void **state)
{
	struct fx	 f;

	fx_req(&f, cancel_request);
	assert_int_equal(f.req.op->op, CIRC_HOLD);
	assert_int_equal(f.req.hold_mode, '-');
	assert_string_equal(f.req.request_id, "HOLD-55012");
	assert_string_equal(f.req.patron, "21000012345678");
	fx_done(&f);
}

static void
test_req_accept_item(void **state)
{
	struct fx	 f;

	fx_req(&f, accept_item);
	assert_int_equal(f.req.op->op, CIRC_ACCEPT_ITEM);
	assert_string_equal(f.req.request_id, "HOLD-55013");
	assert_string_equal(f.req.patron, "22000098765432");
	assert_string_equal(f.req.item, "31000000000456");
	assert_string_equal(f.req.title, "A Wizard of Earthsea");
	assert_string_equal(f.req.pickup, "LINCOLN");
	assert_int_equal(f.req.desired_due, utc(2024, 4, 15, 23, 59, 0));
	fx_done(&f);
}

static void
test_req_create_user(void **state)
{
	struct fx	 f;

	fx_req(&f, create_user);
	assert_int_equal(f.req.op->op, CIRC_CREATE_USER);
	assert_int_equal(f.req.op->perm, PERM_PATRON);
	assert_string_equal(f.req.patron, "22000098765432");
	assert_true(f.req.ncip->user.name.present);
	assert_string_equal(f.req.ncip->user.name.surname, "Lee");
	fx_done(&f);
}

static void
test_req_update_user(void **state)
{
	struct fx	 f;

	fx_req(&f, update_user);
	assert_int_equal(f.req.op->op, CIRC_UPDATE_USER);
	assert_string_equal(f.req.patron, "21000012345678");
	assert_true(f.req.ncip->user_add.present);
	assert_true(f.req.ncip->user_delete.present);
	fx_done(&f);
}

static void
test_req_delete_item(void **state)
{
	struct fx	 f;

	fx_req(&f, delete_item);
	assert_int_equal(f.req.op->op, CIRC_DELETE_ITEM);
	assert_int_equal(f.req.op->perm, PERM_CATALOGING);
	assert_string_equal(f.req.item, "31000000000456");
	fx_done(&f);
}

static void
test_req_lookup_version(void **state)
{
	struct fx	 f;

	fx_req(&f, lookup_version);
	assert_int_equal(f.req.op->op, CIRC_LOOKUP_VERSION);
	assert_true(f.req.op->flags & CIRC_F_LOCAL);
	assert_string_equal(f.req.institution, "METRO");
	fx_done(&f);
}

static void
test_req_response_is_no_request(void **state)
{
	struct ncip_msg	*m = parse(a_response);
	struct circ_req	 req;

	errno = 0;
	assert_int_equal(xlate_ncip_req(&req, m, NULL), -1);
	assert_int_equal(errno, ENOTSUP);
	ncip_msg_free(m);
}

/*
 * Neutral results into NCIP answers.
 */

static void
patron_result(struct circ_result *res, struct circ_arena *a)
{
	static const char	*charged[] = {
		"31000000000456", "31000000000789"
	};

	memset(res, 0, sizeof(*res));
	res->ok = 1;
	res->patron.found = 1;
	res->patron.pin_ok = 1;
	(void)snprintf(res->patron.status, sizeof(res->patron.status),
	    "%s", "Y         Y   ");
	res->patron.id = "21000012345678";
	res->patron.name = "Doe, Jane";
	res->patron.address = "12 Main St\nSpringfield IL 62701";
	res->patron.email = "jane@example.org";
	res->patron.phone = "555-0100";
	res->patron.birth = "20090514";
	res->patron.language = "001";
	res->patron.pclass = "STUDENT";
	res->patron.expires = utc(2099, 8, 31, 0, 0, 0);
	res->patron.owed = 1250;
	res->patron.currency = "USD";
	res->patron.counts[CIRC_LIST_CHARGED] = 2;
	res->patron.counts[CIRC_LIST_HOLDS] = 1;
	res->patron.counts[CIRC_LIST_UNAVAIL_HOLDS] = 2;
	res->patron.lists[CIRC_LIST_CHARGED] = charged;
	res->patron.nlists[CIRC_LIST_CHARGED] = 2;
	(void)a;
}

static void
test_reply_lookup_user_v2(void **state)
{
	struct fx		 f;
	struct ncip_msg		*back;
	const char		*xml;
	size_t			 i;
	int			 fines = 0, blocked = 0;

	fx_req(&f, lookup_user_auth);
	patron_result(&f.res, f.a);
	xml = fx_reply(&f);
	fx_valid(&f);
	lacks(xml, PIN);
	lacks(xml, "AuthenticationInput");

	back = parse(xml);
	assert_int_equal(back->service, NCIP_LOOKUP_USER_RESP);
	assert_string_equal(back->header.from_agency.value, "METRO");
	assert_string_equal(back->header.to_agency.value, "DISTRICT");
	assert_string_equal(back->user_id.value, "21000012345678");
	assert_int_equal(back->naccounts, 1);
	assert_int_equal(back->accounts[0].balance.value, 1250);
	assert_string_equal(back->accounts[0].balance.currency.value, "USD");
	assert_int_equal(back->nloan_counts, 1);
	assert_int_equal(back->loan_counts[0].value, 2);
	assert_int_equal(back->nloans, 2);
	assert_true(back->loans[1].indeterminate);
	assert_string_equal(back->loans[1].item_id.value, "31000000000789");
	assert_int_equal(back->nhold_counts, 1);
	assert_int_equal(back->hold_counts[0].value, 3);
	assert_string_equal(back->user.name.unstructured, "Doe, Jane");
	assert_int_equal(back->user.naddresses, 3);
	assert_string_equal(back->user.addresses[1].electronic,
	    "jane@example.org");
	assert_true(back->user.birth.set);
	assert_int_equal(back->user.birth.t, utc(2009, 5, 14, 0, 0, 0));
	assert_int_equal(back->user.nlanguages, 1);
	assert_string_equal(back->user.languages[0].value, "eng");
	for (i = 0; i < back->user.nprivileges; i++)
		if (strcmp(back->user.privileges[i].type.value, "STATUS") == 0)
			assert_string_equal(
			    back->user.privileges[i].status.value, "BLOCKED");
	assert_int_equal(back->user.nprivileges, 2);
	for (i = 0; i < back->user.nblocks; i++) {
		if (strcmp(back->user.blocks[i].type.value,
		    "Excessive Outstanding Fines") == 0)
			fines = 1;
		if (strcmp(back->user.blocks[i].type.value,
		    "Charge Privileges Denied") == 0)
			blocked = 1;
	}
	assert_true(fines && blocked);
	assert_int_equal(ncip_user_status(&back->user, time(NULL)),
	    NCIP_USER_BLOCKED);
	assert_int_equal(back->user.nuser_ids, 1);
	ncip_msg_free(back);
	fx_done(&f);
}

static void
test_reply_lookup_user_v1(void **state)
{
	struct fx		 f;
	struct ncip_msg		*back;
	const char		*xml;

	fx_req(&f, lookup_user_v1);
	patron_result(&f.res, f.a);
	xml = fx_reply(&f);
	has(xml, "<UniqueUserId>");
	has(xml, "<UniqueAgencyId>");
	has(xml, "<UserTransaction>");
	has(xml, "<VisibleUserId>");
	has(xml, "<BlockOrTrapType>");
	lacks(xml, "xmlns");
	back = parse(xml);
	assert_int_equal(back->dialect.version, 1);
	assert_string_equal(back->user_id.value, "21000012345678");
	assert_int_equal(back->nloans, 2);
	assert_int_equal(back->naccounts, 0);
	ncip_msg_free(back);
	fx_done(&f);
}

static void
item_result(struct circ_result *res)
{
	memset(res, 0, sizeof(*res));
	res->ok = 1;
	res->item.found = 1;
	res->item.id = "31000000000456";
	res->item.title = "A Wizard of Earthsea";
	res->item.author = "Le Guin";
	res->item.media = "001";
	res->item.call_number = "FIC LEG";
	res->item.permanent_location = "MAIN";
	res->item.current_location = "EAST";
	res->item.circ_status = 4;
	res->item.hold_queue = 2;
	res->item.due = utc(2024, 3, 22, 23, 59, 0);
}

static void
test_reply_lookup_item(void **state)
{
	struct fx		 f;
	struct ncip_msg		*back;
	const char		*xml;

	fx_req(&f, lookup_item);
	item_result(&f.res);
	xml = fx_reply(&f);
	fx_valid(&f);
	back = parse(xml);
	assert_string_equal(back->item_id.value, "31000000000456");
	assert_true(back->item.present);
	assert_string_equal(back->item.bib.title, "A Wizard of Earthsea");
	assert_string_equal(back->item.bib.medium.value, "Book");
	assert_string_equal(back->item.circ_status.value, "On Loan");
	assert_int_equal(back->item.hold_queue_length, 2);
	assert_string_equal(back->item.call_number, "FIC LEG");
	assert_int_equal(back->item.nlocations, 2);
	assert_string_equal(back->item.locations[0].type.value, "Permanent");
	assert_string_equal(back->item.locations[0].names[1].value, "MAIN");
	assert_int_equal(back->item.date_due.t, utc(2024, 3, 22, 23, 59, 0));
	ncip_msg_free(back);
	fx_done(&f);
}

static void
test_reply_lookup_item_v1(void **state)
{
	struct fx		 f;
	const char		*xml;

	fx_req(&f, lookup_item_v1);
	item_result(&f.res);
	xml = fx_reply(&f);
	has(xml, "<UniqueItemId>");
	has(xml, "<Value>On Loan</Value>");
	has(xml, "<LocationNameValue>EAST</LocationNameValue>");
	/* Only what was asked for. */
	lacks(xml, "Earthsea");
	lacks(xml, "<DateDue>");
	fx_done(&f);
}

static void
test_reply_checkout(void **state)
{
	struct fx		 f;
	struct ncip_msg		*back;
	const char		*xml;

	fx_req(&f, checkout);
	memset(&f.res, 0, sizeof(f.res));
	f.res.ok = 1;
	f.res.due = utc(2024, 4, 1, 23, 59, 0);
	f.res.item.title = "A Wizard of Earthsea";
	xml = fx_reply(&f);
	fx_valid(&f);
	lacks(xml, PIN);
	back = parse(xml);
	assert_string_equal(back->item_id.value, "31000000000456");
	/* The request named the patron by barcode: the answer by UserId. */
	assert_string_equal(back->user_id.value, "21000012345678");
	assert_true(back->date_due.set);
	assert_int_equal(back->date_due.t, utc(2024, 4, 1, 23, 59, 0));
	assert_string_equal(back->item.bib.title, "A Wizard of Earthsea");
	ncip_msg_free(back);
	fx_done(&f);
}

static void
test_reply_checkout_v1(void **state)
{
	struct fx		 f;
	const char		*xml;

	fx_req(&f, checkout_v1);
	memset(&f.res, 0, sizeof(f.res));
	f.res.ok = 1;
	f.res.due = utc(2024, 4, 1, 23, 59, 0);
	xml = fx_reply(&f);
	has(xml, "<CheckOutItemResponse>");
	has(xml, "<UniqueItemId>");
	has(xml, "<UniqueUserId>");
	has(xml, "<DateDue>2024-04-01T23:59:00Z</DateDue>");
	fx_done(&f);
}

static void
test_reply_checkout_free_text_due_is_indeterminate(void **state)
{
	struct fx		 f;
	const char		*xml;

	fx_req(&f, checkout);
	memset(&f.res, 0, sizeof(f.res));
	f.res.ok = 1;
	f.res.due_text = "next Tuesday";
	xml = fx_reply(&f);
	fx_valid(&f);
	has(xml, "<IndeterminateLoanPeriodFlag/>");
	fx_done(&f);
}

static void
test_reply_checkin_with_routing(void **state)
{
	struct fx		 f;
	struct ncip_msg		*back;
	const char		*xml;

	fx_req(&f, checkin);
	memset(&f.res, 0, sizeof(f.res));
	f.res.ok = 1;
	f.res.destination = "LINCOLN";
	f.res.sort_bin = "7";
	f.res.alert = 1;
	f.res.alert_type = 2;
	f.res.hold_patron = "22000011112222";
	f.res.user_id = "22000098765432";
	xml = fx_reply(&f);
	fx_valid(&f);
	back = parse(xml);
	assert_true(back->routing.present);
	assert_string_equal(back->routing.instructions,
	    "Hold for pickup at LINCOLN");
	assert_string_equal(back->routing.bin, "7");
	assert_string_equal(back->routing.request_type.value, "Hold");
	assert_string_equal(back->routing.user_id.value, "22000011112222");
	assert_int_equal(back->routing.destination.nnames, 2);
	assert_string_equal(back->routing.destination.names[1].value,
	    "LINCOLN");
	assert_string_equal(back->user_id.value, "22000098765432");
	ncip_msg_free(back);
	fx_done(&f);
}

static void
test_reply_checkin_without_routing(void **state)
{
	struct fx		 f;
	const char		*xml;

	fx_req(&f, checkin);
	memset(&f.res, 0, sizeof(f.res));
	f.res.ok = 1;
	xml = fx_reply(&f);
	fx_valid(&f);
	lacks(xml, "RoutingInformation");
	has(xml, "32000000004242");
	fx_done(&f);
}

static void
test_reply_renew(void **state)
{
	struct fx		 f;
	struct ncip_msg		*back;
	const char		*xml;

	fx_req(&f, renew);
	memset(&f.res, 0, sizeof(f.res));
	f.res.ok = 1;
	f.res.due = utc(2024, 5, 1, 23, 59, 0);
	xml = fx_reply(&f);
	fx_valid(&f);
	back = parse(xml);
	assert_string_equal(back->item_id.value, "31000000000456");
	assert_int_equal(back->date_due.t, utc(2024, 5, 1, 23, 59, 0));
	ncip_msg_free(back);
	fx_done(&f);
}

static void
test_reply_request_item(void **state)
{
	struct fx		 f;
	struct ncip_msg		*back;
	const char		*xml;

	fx_req(&f, request_by_item);
	memset(&f.res, 0, sizeof(f.res));
	f.res.ok = 1;
	f.res.request_id = "HOLD-55013";
	xml = fx_reply(&f);
	fx_valid(&f);
	back = parse(xml);
	assert_string_equal(back->request_id.value, "HOLD-55013");
	assert_string_equal(back->request_id.agency.value, "METRO");
	assert_string_equal(back->user_id.value, "21000012345678");
	assert_string_equal(back->request_type.value, "Hold");
	assert_string_equal(back->request_scope.value, "Item");
	ncip_msg_free(back);
	fx_done(&f);
}

static void
test_reply_request_item_by_bib_from_item_answer(void **state)
{
	struct fx		 f;
	struct ncip_msg		*back;
	const char		*xml;

	fx_req(&f, request_by_bib);
	memset(&f.res, 0, sizeof(f.res));
	f.res.ok = 1;
	f.res.item.id = "31000000000456";
	xml = fx_reply(&f);
	fx_valid(&f);
	back = parse(xml);
	assert_string_equal(back->item_id.value, "31000000000456");
	assert_string_equal(back->request_scope.value, "Bibliographic Item");
	ncip_msg_free(back);
	fx_done(&f);
}

static void
test_reply_request_item_without_ids_fails(void **state)
{
	struct fx	 f;

	fx_req(&f, request_by_bib);
	memset(&f.res, 0, sizeof(f.res));
	f.res.ok = 1;
	errno = 0;
	assert_null(xlate_ncip_reply(&f.req, &f.res));
	assert_int_equal(errno, EINVAL);
	fx_done(&f);
}

static void
test_reply_cancel_request_item(void **state)
{
	struct fx		 f;
	const char		*xml;

	fx_req(&f, cancel_request);
	memset(&f.res, 0, sizeof(f.res));
	f.res.ok = 1;
	xml = fx_reply(&f);
	fx_valid(&f);
	has(xml, "<CancelRequestItemResponse>");
	has(xml, "HOLD-55012");
	fx_done(&f);
}

static void
test_reply_accept_item(void **state)
{
	struct fx		 f;
	const char		*xml;

	fx_req(&f, accept_item);
	memset(&f.res, 0, sizeof(f.res));
	f.res.ok = 1;
	xml = fx_reply(&f);
	fx_valid(&f);
	has(xml, "<AcceptItemResponse>");
	has(xml, "HOLD-55013");
	fx_done(&f);
}

static void
test_reply_create_user(void **state)
{
	struct fx		 f;
	struct ncip_msg		*back;
	const char		*xml;

	fx_req(&f, create_user);
	memset(&f.res, 0, sizeof(f.res));
	f.res.ok = 1;
	f.res.user_id = "M-4711";
	xml = fx_reply(&f);
	fx_valid(&f);
	back = parse(xml);
	/* The request's own UserId is echoed: that is whom it created. */
	assert_string_equal(back->user_id.value, "22000098765432");
	ncip_msg_free(back);
	fx_done(&f);
}

static void
test_reply_update_user(void **state)
{
	struct fx		 f;
	const char		*xml;

	fx_req(&f, update_user);
	memset(&f.res, 0, sizeof(f.res));
	f.res.ok = 1;
	xml = fx_reply(&f);
	fx_valid(&f);
	has(xml, "<UpdateUserResponse>");
	fx_done(&f);
}

static void
test_reply_delete_item(void **state)
{
	struct fx		 f;
	const char		*xml;

	fx_req(&f, delete_item);
	memset(&f.res, 0, sizeof(f.res));
	f.res.ok = 1;
	xml = fx_reply(&f);
	fx_valid(&f);
	has(xml, "<DeleteItemResponse>");
	fx_done(&f);
}

static void
test_reply_lookup_version(void **state)
{
	struct fx		 f;
	struct ncip_msg		*back;
	const char		*xml;

	fx_req(&f, lookup_version);
	memset(&f.res, 0, sizeof(f.res));
	f.res.ok = 1;
	xml = fx_reply(&f);
	back = parse(xml);
	assert_int_equal(back->service, NCIP_LOOKUP_VERSION_RESP);
	assert_string_equal(back->header.from_agency.value, "METRO");
	assert_string_equal(back->header.to_agency.value, "DISTRICT");
	assert_int_equal(back->nversions, 5);
	assert_string_equal(back->versions[0], NCIP_V2_02);
	ncip_msg_free(back);
	fx_done(&f);
}

/* The dialects an NCIP caller may speak, and whether to validate as is. */
static const struct {
	int			 version;
	enum ncip_ns_style	 ns;
	int			 qualified;
} dialects[] = {
	{ 2, NCIP_NSS_DEFAULT, 1 },
	{ 2, NCIP_NSS_DEFAULT, 0 },
	{ 2, NCIP_NSS_PREFIX, 1 },
	{ 2, NCIP_NSS_NONE, 0 },
	{ 1, NCIP_NSS_NONE, 0 },
};

static void
test_reply_every_service_in_every_dialect(void **state)
{
	static const char	*requests[] = {
		lookup_user_auth, lookup_item, checkout, checkin, renew,
		request_by_item, request_by_bib, cancel_request, accept_item,
		create_user, update_user, delete_item,
	};
	struct fx		 f;
	struct ncip_msg		*back;
	size_t			 i, d;

	for (i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		for (d = 0; d < sizeof(dialects) / sizeof(dialects[0]); d++) {
			fx_req(&f, requests[i]);
			ncip_dialect_default(&f.q->dialect,
			    dialects[d].version);
			f.q->dialect.ns = dialects[d].ns;
			f.q->dialect.qualified_attrs = dialects[d].qualified;
			f.q->version_str = f.q->dialect.version_str;
			patron_result(&f.res, f.a);
			f.res.item = (struct circ_item){ .found = 1,
			    .id = "31000000000456", .title = "Hatchet",
			    .circ_status = 3, .hold_queue = -1 };
			f.res.request_id = "HOLD-1";
			f.res.user_id = "M-4711";
			f.res.due = utc(2024, 4, 1, 23, 59, 0);
			f.res.destination = "LINCOLN";
			f.res.alert_type = 4;
			(void)fx_reply(&f);
			lacks(f.xml, PIN);
			if (dialects[d].version == 2)
				valid(f.xml, dialects[d].ns !=
				    NCIP_NSS_DEFAULT || !dialects[d].qualified);
			back = parse(f.xml);
			assert_int_equal(back->service, f.out->service);
			assert_int_equal(back->dialect.version,
			    dialects[d].version);
			ncip_msg_free(back);
			fx_done(&f);
		}
	}
}

static void
test_reply_problem_for_each_error(void **state)
{
	struct fx		 f;
	struct ncip_msg		*back, *v1;
	enum circ_error		 e;
	char			*xml1;
	const char		*xml;

	for (e = CIRC_E_UNKNOWN_PATRON; e <= CIRC_E_REFUSED; e++) {
		fx_req(&f, checkout);
		memset(&f.res, 0, sizeof(f.res));
		f.res.error = e;
		f.res.screen = "Please see staff.";
		xml = fx_reply(&f);
		fx_valid(&f);
		lacks(xml, PIN);
		back = parse(xml);
		assert_int_equal(back->service, NCIP_CHECKOUT_ITEM_RESP);
		assert_int_equal(back->nproblems, 1);
		assert_int_equal(back->problems[0].kind,
		    xlate_ncip_problem(e, CIRC_CHECKOUT));
		assert_string_equal(back->problems[0].detail,
		    "Please see staff.");
		ncip_msg_free(back);

		/* The same answer in a version 1 caller's dialect. */
		v1 = parse(checkout_v1);
		ncip_msg_free(f.out);
		f.req.ncip = v1;
		f.out = xlate_ncip_reply(&f.req, &f.res);
		assert_non_null(f.out);
		xml1 = text(f.out);
		has(xml1, "Error>");
		has(xml1, ncip_problem_name(xlate_ncip_problem(e,
		    CIRC_CHECKOUT)));
		free(xml1);
		ncip_msg_free(v1);
		fx_done(&f);
	}
}

static void
test_reply_problem_names_user_id(void **state)
{
	struct fx		 f;
	struct ncip_msg		*back;

	fx_req(&f, renew);
	memset(&f.res, 0, sizeof(f.res));
	f.res.error = CIRC_E_UNKNOWN_PATRON;
	back = parse(fx_reply(&f));
	assert_int_equal(back->problems[0].kind, NCIP_PT_UNKNOWN_USER);
	assert_string_equal(back->problems[0].element, "UserId");
	assert_string_equal(back->problems[0].value, "21000012345678");
	ncip_msg_free(back);
	fx_done(&f);
}

static void
test_reply_problem_never_echoes_authentication(void **state)
{
	struct fx		 f;
	struct ncip_msg		*back;
	const char		*xml;

	fx_req(&f, lookup_user_auth);
	memset(&f.res, 0, sizeof(f.res));
	f.res.error = CIRC_E_BAD_PIN;
	xml = fx_reply(&f);
	fx_valid(&f);
	lacks(xml, PIN);
	back = parse(xml);
	assert_int_equal(back->problems[0].kind, NCIP_PT_USER_AUTH_FAILED);
	assert_string_equal(back->problems[0].element, "AuthenticationInput");
	assert_null(back->problems[0].value);
	ncip_msg_free(back);
	fx_done(&f);
}

static void
test_reply_without_ncip_request_fails(void **state)
{
	struct circ_req		 req;
	struct circ_result	 res;

	sip2_req(&req, SIP2_CHECKOUT);
	memset(&res, 0, sizeof(res));
	res.ok = 1;
	errno = 0;
	assert_null(xlate_ncip_reply(&req, &res));
	assert_int_equal(errno, EINVAL);
}

/*
 * Neutral requests into NCIP requests for an ILS.
 */

static void
test_backend_lookup_user_v2_pin_as_authentication_input(void **state)
{
	struct conf_partner	 p;
	struct circ_req		 req;
	struct ncip_msg		*m, *back;
	char			*xml;

	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	sip2_req(&req, SIP2_PATRON_INFO);
	req.pin = PIN;
	req.has_pin = 1;
	xml = backend(&req, &p, &m);
	valid(xml, 0);
	has(xml, "xmlns=\"http://www.niso.org/2008/ncip\"");
	has(xml, "<FromAgencyAuthentication>agency-secret"
	    "</FromAgencyAuthentication>");
	has(xml, ">CIRCLINK-METRO</ApplicationProfileType>");
	has(xml, "<LoanedItemsDesired/>");
	has(xml, "<RequestedItemsDesired/>");
	has(xml, "<UserFiscalAccountDesired/>");
	lacks(xml, "<UserId>");
	back = parse(xml);
	assert_int_equal(back->nauth, 2);
	assert_int_equal(ncip_auth_kind(&back->auth[0]), NCIP_AUTH_BARCODE);
	assert_string_equal(back->auth[0].data, "21000012345678");
	assert_int_equal(ncip_auth_kind(&back->auth[1]), NCIP_AUTH_PIN);
	assert_string_equal(back->auth[1].data, PIN);
	assert_string_equal(back->header.from_agency.value, "CIRCLINK");
	assert_string_equal(back->header.to_agency.value, "METRO");
	assert_int_equal(ncip_user_element_mask(back), NCIP_UE_BLOCK |
	    NCIP_UE_PRIVILEGE | NCIP_UE_NAME | NCIP_UE_ADDRESS |
	    NCIP_UE_BIRTH | NCIP_UE_LANGUAGE | NCIP_UE_USER_ID);
	ncip_msg_free(back);
	ncip_msg_free(m);
	free(xml);
}

static void
test_backend_lookup_user_v2_prefixed_user_id(void **state)
{
	struct conf_partner	 p;
	struct circ_req		 req;
	struct ncip_msg		*m;
	char			*xml;

	partner(&p, 2, NCIP_NSS_PREFIX, 1, 0);
	sip2_req(&req, SIP2_PATRON_INFO);
	xml = backend(&req, &p, &m);
	valid(xml, 0);
	has(xml, "<ns1:LookupUser>");
	has(xml, "ns1:version=");
	has(xml, "<ns1:UserIdentifierValue>21000012345678");
	lacks(xml, "AuthenticationInput");
	ncip_msg_free(m);
	free(xml);
}

static void
test_backend_lookup_user_unqualified_without_namespace(void **state)
{
	struct conf_partner	 p;
	struct circ_req		 req;
	struct ncip_msg		*m;
	char			*xml;

	partner(&p, 2, NCIP_NSS_NONE, 0, 0);
	p.backend.ncip.version_str = (char *)(uintptr_t)NCIP_V2_0;
	sip2_req(&req, SIP2_PATRON_STATUS);
	xml = backend(&req, &p, &m);
	lacks(xml, "xmlns");
	has(xml, "version=\"" NCIP_V2_0 "\"");
	valid(xml, 1);
	ncip_msg_free(m);
	free(xml);
}

static void
test_backend_lookup_user_v1_unique_ids(void **state)
{
	struct conf_partner	 p;
	struct circ_req		 req;
	struct ncip_msg		*m, *back;
	char			*xml;

	partner(&p, 1, 0, 0, 0);
	sip2_req(&req, SIP2_PATRON_INFO);
	xml = backend(&req, &p, &m);
	has(xml, "<!DOCTYPE NCIPMessage");
	has(xml, "<UniqueUserId>");
	has(xml, "<UniqueAgencyId>");
	has(xml, "<Value>Visible User Id</Value>");
	has(xml, "<Value>CIRCLINK-METRO</Value>");
	lacks(xml, "xmlns");
	back = parse(xml);
	assert_int_equal(back->dialect.version, 1);
	assert_string_equal(back->user_id.value, "21000012345678");
	assert_string_equal(back->user_id.agency.value, "METRO");
	ncip_msg_free(back);
	ncip_msg_free(m);
	free(xml);
}

static void
test_backend_authentication_input_types_from_profile(void **state)
{
	struct conf_partner	 p;
	struct circ_req		 req;
	struct ncip_msg		*m, *back;
	char			*xml;

	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 1);
	p.backend.ncip.auth_barcode_type = (char *)(uintptr_t)"username";
	p.backend.ncip.auth_pin_type = (char *)(uintptr_t)"pin";
	sip2_req(&req, SIP2_CHECKOUT);
	xml = backend(&req, &p, &m);
	valid(xml, 0);
	back = parse(xml);
	assert_int_equal(back->nauth, 1);
	assert_string_equal(back->auth[0].type.value, "username");
	assert_null(back->auth[0].type.scheme);
	ncip_msg_free(back);
	ncip_msg_free(m);
	free(xml);

	req.pin = PIN;
	req.has_pin = 1;
	xml = backend(&req, &p, &m);
	back = parse(xml);
	assert_int_equal(back->nauth, 2);
	assert_string_equal(back->auth[1].type.value, "pin");
	assert_string_equal(back->auth[1].data, PIN);
	ncip_msg_free(back);
	ncip_msg_free(m);
	free(xml);
}

static void
test_backend_patron_status(void **state)
{
	struct conf_partner	 p;
	struct circ_req		 req;
	struct ncip_msg		*m;
	char			*xml;

	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	sip2_req(&req, SIP2_PATRON_STATUS);
	xml = backend(&req, &p, &m);
	valid(xml, 0);
	assert_int_equal(ncip_user_element_mask(m), NCIP_UE_BLOCK |
	    NCIP_UE_PRIVILEGE | NCIP_UE_NAME);
	assert_true(m->account_desired);
	assert_false(m->loans_desired);
	assert_false(m->holds_desired);
	ncip_msg_free(m);
	free(xml);
}

static void
test_backend_lookup_user_from_ncip_caller_to_v1(void **state)
{
	struct conf_partner	 p;
	struct fx		 f;
	struct ncip_msg		*m;
	char			*xml;

	partner(&p, 1, 0, 0, 0);
	fx_req(&f, lookup_user_auth);
	xml = backend(&f.req, &p, &m);
	/* Version 1's spelling, and never a user's secrets asked back. */
	has(xml, "<Value>Visible User Id</Value>");
	lacks(xml, "Authentication Input<");
	/* The PIN goes to the ILS that checks it, in AuthenticationInput. */
	has(xml, "<AuthenticationInputData>" PIN "</AuthenticationInputData>");
	ncip_msg_free(m);
	free(xml);
	fx_done(&f);
}

static void
test_backend_checkout(void **state)
{
	struct conf_partner	 p;
	struct circ_req		 req;
	struct ncip_msg		*m;
	char			*xml;

	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	sip2_req(&req, SIP2_CHECKOUT);
	req.desired_due = utc(2024, 4, 1, 23, 59, 0);
	xml = backend(&req, &p, &m);
	valid(xml, 0);
	has(xml, "<DesiredDateDue>2024-04-01T23:59:00Z</DesiredDateDue>");
	has(xml, ">Bibliographic Description</ItemElementType>");
	has(xml, "<ItemIdentifierValue>31000000000456");
	ncip_msg_free(m);
	free(xml);

	partner(&p, 1, 0, 0, 0);
	xml = backend(&req, &p, &m);
	has(xml, "<CheckOutItem>");
	has(xml, "<UniqueItemId>");
	ncip_msg_free(m);
	free(xml);
}

static void
test_backend_checkout_offline_keeps_its_due_date(void **state)
{
	struct conf_partner	 p;
	struct circ_req		 req;
	struct ncip_msg		*m;
	char			*xml;

	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	sip2_req(&req, SIP2_CHECKOUT);
	req.no_block = 1;
	req.nb_due = utc(2024, 2, 10, 20, 0, 0);
	req.desired_due = utc(2024, 4, 1, 23, 59, 0);
	xml = backend(&req, &p, &m);
	valid(xml, 0);
	has(xml, "<DesiredDateDue>2024-02-10T20:00:00Z</DesiredDateDue>");
	ncip_msg_free(m);
	free(xml);
}

static void
test_backend_checkin(void **state)
{
	struct conf_partner	 p;
	struct circ_req		 req;
	struct ncip_msg		*m;
	char			*xml;

	partner(&p, 2, NCIP_NSS_PREFIX, 0, 0);
	sip2_req(&req, SIP2_CHECKIN);
	req.patron = NULL;
	xml = backend(&req, &p, &m);
	has(xml, "<ns1:CheckInItem>");
	lacks(xml, "ns1:version=");
	valid(xml, 1);
	ncip_msg_free(m);
	free(xml);
}

static void
test_backend_renew(void **state)
{
	struct conf_partner	 p;
	struct circ_req		 req;
	struct ncip_msg		*m;
	char			*xml;

	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	sip2_req(&req, SIP2_RENEW);
	xml = backend(&req, &p, &m);
	valid(xml, 0);
	has(xml, "<RenewItem>");
	has(xml, "<UserIdentifierValue>21000012345678");
	ncip_msg_free(m);
	free(xml);
}

static void
test_backend_item_info(void **state)
{
	struct conf_partner	 p;
	struct circ_req		 req;
	struct ncip_msg		*m;
	char			*xml;

	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	sip2_req(&req, SIP2_ITEM_INFO);
	req.patron = NULL;
	xml = backend(&req, &p, &m);
	valid(xml, 0);
	assert_int_equal(ncip_item_element_mask(m), NCIP_IE_BIB |
	    NCIP_IE_CIRC_STATUS | NCIP_IE_HOLD_QUEUE | NCIP_IE_DESCRIPTION |
	    NCIP_IE_LOCATION | NCIP_IE_DATE_DUE);
	ncip_msg_free(m);
	free(xml);

	partner(&p, 1, 0, 0, 0);
	xml = backend(&req, &p, &m);
	has(xml, "<LookupItem>");
	lacks(xml, "Date Due");
	ncip_msg_free(m);
	free(xml);
}

static void
test_backend_hold_specific_copy(void **state)
{
	struct conf_partner	 p;
	struct circ_req		 req;
	struct ncip_msg		*m, *back;
	char			*xml;

	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	sip2_req(&req, SIP2_HOLD);
	req.hold_mode = '+';
	req.hold_type = 3;
	req.pickup = "LINCOLN";
	req.hold_expiry = utc(2024, 4, 30, 23, 59, 0);
	xml = backend(&req, &p, &m);
	valid(xml, 0);
	back = parse(xml);
	assert_string_equal(back->request_type.value, "Hold");
	assert_string_equal(back->request_scope.value, "Item");
	assert_string_equal(back->item_id.value, "31000000000456");
	assert_string_equal(back->pickup_location.value, "LINCOLN");
	assert_int_equal(back->pickup_expiry.t, utc(2024, 4, 30, 23, 59, 0));
	ncip_msg_free(back);
	ncip_msg_free(m);
	free(xml);
}

static void
test_backend_hold_any_copy(void **state)
{
	struct conf_partner	 p;
	struct circ_req		 req;
	struct ncip_msg		*m;
	char			*xml;

	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	p.backend.ncip.request_type = (char *)(uintptr_t)"Page";
	sip2_req(&req, SIP2_HOLD);
	req.hold_mode = '+';
	req.hold_type = 2;
	xml = backend(&req, &p, &m);
	valid(xml, 0);
	has(xml, ">Bibliographic Item</RequestScopeType>");
	has(xml, ">Page</RequestType>");
	ncip_msg_free(m);
	free(xml);
}

static void
test_backend_hold_by_bib_from_ncip_caller_to_v1(void **state)
{
	struct conf_partner	 p;
	struct fx		 f;
	struct ncip_msg		*m, *back;
	char			*xml;

	partner(&p, 1, 0, 0, 0);
	fx_req(&f, request_by_bib);
	xml = backend(&f.req, &p, &m);
	has(xml, "<BibliographicRecordIdentifier>b1234567");
	has(xml, "<Value>Bibliographic Item</Value>");
	back = parse(xml);
	assert_int_equal(back->nbib_ids, 2);
	assert_string_equal(back->bib_ids[0].value, "9780547773742");
	assert_string_equal(back->pickup_location.value, "LINCOLN");
	ncip_msg_free(back);
	ncip_msg_free(m);
	free(xml);

	partner(&p, 2, NCIP_NSS_PREFIX, 1, 0);
	xml = backend(&f.req, &p, &m);
	valid(xml, 0);
	ncip_msg_free(m);
	free(xml);
	fx_done(&f);
}

static void
test_backend_hold_by_title_only_is_refused(void **state)
{
	struct conf_partner	 p;
	struct circ_req		 req;

	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	sip2_req(&req, SIP2_HOLD);
	req.hold_mode = '+';
	req.item = NULL;
	req.title = "Hatchet";
	errno = 0;
	assert_null(xlate_ncip_backend_req(&req, &p, 0));
	assert_int_equal(errno, EINVAL);
}

static void
test_backend_hold_cancel(void **state)
{
	struct conf_partner	 p;
	struct circ_req		 req;
	struct ncip_msg		*m;
	char			*xml;

	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	sip2_req(&req, SIP2_HOLD);
	req.hold_mode = '-';
	xml = backend(&req, &p, &m);
	valid(xml, 0);
	has(xml, "<CancelRequestItem>");
	has(xml, ">Hold</RequestType>");
	ncip_msg_free(m);
	free(xml);
}

static void
test_backend_hold_change_is_not_supported(void **state)
{
	struct conf_partner	 p;
	struct circ_req		 req;

	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	sip2_req(&req, SIP2_HOLD);
	req.hold_mode = '*';
	errno = 0;
	assert_null(xlate_ncip_backend_req(&req, &p, 0));
	assert_int_equal(errno, ENOTSUP);
}

static void
test_backend_operations_without_ncip_equivalent(void **state)
{
	static const int	 codes[] = {
		SIP2_FEE_PAID, SIP2_ITEM_STATUS, SIP2_PATRON_ENABLE,
		SIP2_END_SESSION, SIP2_LOGIN, SIP2_SC_STATUS,
	};
	struct conf_partner	 p;
	struct circ_req		 req;
	size_t			 i;

	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		sip2_req(&req, codes[i]);
		errno = 0;
		assert_null(xlate_ncip_backend_req(&req, &p, 0));
		assert_int_equal(errno, ENOTSUP);
	}
}

static void
test_backend_accept_item(void **state)
{
	struct conf_partner	 p;
	struct fx		 f;
	struct ncip_msg		*m;
	char			*xml;

	partner(&p, 2, NCIP_NSS_PREFIX, 1, 0);
	fx_req(&f, accept_item);
	xml = backend(&f.req, &p, &m);
	valid(xml, 0);
	has(xml, ">Hold For Pickup</ns1:RequestedActionType>");
	has(xml, "<ns1:Title>A Wizard of Earthsea</ns1:Title>");
	has(xml, "<ns1:DateForReturn>2024-04-15T23:59:00Z");
	ncip_msg_free(m);
	free(xml);
	fx_done(&f);
}

static void
test_backend_accept_item_from_neutral_request(void **state)
{
	struct conf_partner	 p;
	struct circ_req		 req;
	struct ncip_msg		*m;
	char			*xml;

	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	memset(&req, 0, sizeof(req));
	req.op = circ_op_ncip(NCIP_ACCEPT_ITEM);
	req.request_id = "CL-2024-000117";
	req.patron = "21000012345678";
	req.item = "32000000004242";
	req.title = "Hatchet";
	req.pickup = "MAIN";
	xml = backend(&req, &p, &m);
	valid(xml, 0);
	has(xml, "<RequestIdentifierValue>CL-2024-000117");
	has(xml, ">Hold For Pickup</RequestedActionType>");
	ncip_msg_free(m);
	free(xml);

	partner(&p, 1, 0, 0, 0);
	xml = backend(&req, &p, &m);
	has(xml, "<UniqueRequestId>");
	ncip_msg_free(m);
	free(xml);
}

static void
test_backend_create_user(void **state)
{
	struct conf_partner	 p;
	struct fx		 f;
	struct circ_req		 req;
	struct ncip_msg		*m;
	char			*xml;

	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	fx_req(&f, create_user);
	xml = backend(&f.req, &p, &m);
	valid(xml, 0);
	has(xml, "<Surname>Lee</Surname>");
	ncip_msg_free(m);
	free(xml);
	fx_done(&f);

	/* Without an NCIP caller's request there is no user to create. */
	memset(&req, 0, sizeof(req));
	req.op = circ_op_ncip(NCIP_CREATE_USER);
	req.patron = "22000098765432";
	errno = 0;
	assert_null(xlate_ncip_backend_req(&req, &p, 0));
	assert_int_equal(errno, EINVAL);
}

static void
test_backend_update_user(void **state)
{
	struct conf_partner	 p;
	struct fx		 f;
	struct ncip_msg		*m;
	char			*xml;

	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	fx_req(&f, update_user);
	xml = backend(&f.req, &p, &m);
	valid(xml, 0);
	has(xml, "<DeleteUserFields><UserLanguage>eng");
	has(xml, "<AddUserFields><UserLanguage>spa");
	ncip_msg_free(m);
	free(xml);
	fx_done(&f);
}

static void
test_backend_delete_item(void **state)
{
	struct conf_partner	 p;
	struct fx		 f;
	struct ncip_msg		*m;
	char			*xml;

	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	fx_req(&f, delete_item);
	xml = backend(&f.req, &p, &m);
	valid(xml, 0);
	has(xml, "<DeleteItem>");
	ncip_msg_free(m);
	free(xml);
	fx_done(&f);
}

static void
test_backend_lookup_version(void **state)
{
	struct conf_partner	 p;
	struct fx		 f;
	struct ncip_msg		*m;
	char			*xml;

	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	fx_req(&f, lookup_version);
	xml = backend(&f.req, &p, &m);
	/* No schema covers LookupVersion: check its shape. */
	has(xml, "<LookupVersion><FromAgencyId><AgencyId>CIRCLINK</AgencyId>"
	    "</FromAgencyId><ToAgencyId><AgencyId>METRO</AgencyId>"
	    "</ToAgencyId></LookupVersion>");
	ncip_msg_free(m);
	free(xml);
	fx_done(&f);
}

static void
test_backend_profile_must_be_usable(void **state)
{
	struct conf_partner	 p;
	struct circ_req		 req;

	sip2_req(&req, SIP2_CHECKOUT);
	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	p.backend.ncip.from_agency = NULL;
	errno = 0;
	assert_null(xlate_ncip_backend_req(&req, &p, 0));
	assert_int_equal(errno, EINVAL);

	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	p.backend.proto = BACKEND_SIP2;
	errno = 0;
	assert_null(xlate_ncip_backend_req(&req, &p, 0));
	assert_int_equal(errno, EINVAL);

	/* Without to_agency the partner's first institution is used. */
	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	p.ninstitutions = 0;
	errno = 0;
	assert_null(xlate_ncip_backend_req(&req, &p, 0));
	assert_int_equal(errno, EINVAL);
}

/* Build one request in one profile and check it is what NCIP allows. */
static void
backend_in_profile(const struct circ_req *req, size_t d, int by_auth)
{
	struct conf_partner	 p;
	struct ncip_msg		*m, *back;
	char			*xml;

	partner(&p, dialects[d].version, dialects[d].ns,
	    dialects[d].qualified, by_auth);
	xml = backend(req, &p, &m);
	has(xml, "CIRCLINK-METRO");
	has(xml, "agency-secret");
	if (dialects[d].version == 2)
		valid(xml, dialects[d].ns != NCIP_NSS_DEFAULT ||
		    !dialects[d].qualified);
	else
		has(xml, "<UniqueAgencyId>");
	back = parse(xml);
	assert_int_equal(back->service, m->service);
	assert_int_equal(back->dialect.version, dialects[d].version);
	ncip_msg_free(back);
	ncip_msg_free(m);
	free(xml);
}

static void
test_backend_every_operation_in_every_profile(void **state)
{
	static const struct {
		int		 code;	/* SIP2 code, or 0 for the NCIP one */
		int		 hold_mode;
		const char	*ncip;
	} ops[] = {
		{ SIP2_PATRON_STATUS, 0, NULL },
		{ SIP2_PATRON_INFO, 0, NULL },
		{ SIP2_CHECKOUT, 0, NULL },
		{ SIP2_CHECKIN, 0, NULL },
		{ SIP2_RENEW, 0, NULL },
		{ SIP2_RENEW_ALL, 0, NULL },
		{ SIP2_HOLD, '+', NULL },
		{ SIP2_HOLD, '-', NULL },
		{ SIP2_ITEM_INFO, 0, NULL },
		{ SIP2_BLOCK_PATRON, 0, NULL },
		{ 0, 0, lookup_user_auth },
		{ 0, 0, lookup_item },
		{ 0, 0, checkout },
		{ 0, 0, renew },
		{ 0, 0, request_by_item },
		{ 0, 0, request_by_bib },
		{ 0, 0, cancel_request },
		{ 0, 0, accept_item },
		{ 0, 0, create_user },
		{ 0, 0, update_user },
		{ 0, 0, delete_item },
	};
	struct circ_req		 req;
	struct fx		 f;
	size_t			 i, d;
	int			 by_auth;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (ops[i].ncip != NULL)
			fx_req(&f, ops[i].ncip);
		else {
			sip2_req(&req, ops[i].code);
			req.hold_mode = ops[i].hold_mode;
			req.request_id = "HOLD-1";
		}
		for (d = 0; d < sizeof(dialects) / sizeof(dialects[0]); d++)
			for (by_auth = 0; by_auth < 2; by_auth++)
				backend_in_profile(ops[i].ncip != NULL ?
				    &f.req : &req, d, by_auth);
		if (ops[i].ncip != NULL)
			fx_done(&f);
	}
}

static void
test_backend_renew_all_in_steps(void **state)
{
	struct conf_partner	 p;
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*a = circ_arena_new();
	struct ncip_msg		*m;
	char			*xml;

	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	sip2_req(&req, SIP2_RENEW_ALL);
	memset(&res, 0, sizeof(res));

	xml = backend(&req, &p, &m);
	valid(xml, 0);
	assert_int_equal(m->service, NCIP_LOOKUP_USER);
	assert_true(m->loans_desired);
	ncip_msg_free(m);
	free(xml);
	assert_int_equal(merge(&req, 0, lookup_user_resp_loans, &res, a), 0);
	assert_true(res.ok);

	assert_int_equal(xlate_ncip_backend_next(&req, 1, &res, &p, 0, &m), 1);
	xml = text(m);
	valid(xml, 0);
	has(xml, "<RenewItem>");
	has(xml, "<ItemIdentifierValue>31000000000456");
	ncip_msg_free(m);
	free(xml);
	assert_int_equal(merge(&req, 1, renew_resp, &res, a), 0);

	assert_int_equal(xlate_ncip_backend_next(&req, 2, &res, &p, 0, &m), 1);
	assert_string_equal(m->item_id.value, "31000000000789");
	ncip_msg_free(m);
	assert_int_equal(merge(&req, 2, renew_max, &res, a), 0);

	assert_int_equal(xlate_ncip_backend_next(&req, 3, &res, &p, 0, &m), 0);
	assert_null(m);
	assert_true(res.ok);
	assert_int_equal(res.renewed, 1);
	assert_int_equal(res.unrenewed, 1);
	assert_string_equal(res.renewed_items[0], "31000000000456");
	assert_string_equal(res.unrenewed_items[0], "31000000000789");
	circ_arena_free(a);
}

static void
test_backend_block_patron_in_steps(void **state)
{
	struct conf_partner	 p;
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*a = circ_arena_new();
	struct ncip_msg		*m;
	char			*xml;

	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	sip2_req(&req, SIP2_BLOCK_PATRON);
	memset(&res, 0, sizeof(res));

	xml = backend(&req, &p, &m);
	valid(xml, 0);
	has(xml, "<UpdateUser>");
	has(xml, "<AddUserFields><BlockOrTrap><AgencyId>METRO</AgencyId>");
	has(xml, "<ValidFromDate>2024-03-01T12:00:00Z</ValidFromDate>");
	ncip_msg_free(m);
	free(xml);
	assert_int_equal(merge(&req, 0, update_user_resp, &res, a), 0);
	assert_true(res.ok);

	assert_int_equal(xlate_ncip_backend_next(&req, 1, &res, &p, 0, &m), 1);
	assert_int_equal(m->service, NCIP_LOOKUP_USER);
	ncip_msg_free(m);
	assert_int_equal(merge(&req, 1, lookup_user_resp_blocked, &res, a), 0);
	assert_memory_equal(res.patron.status, "YYYY", 4);
	assert_int_equal(xlate_ncip_backend_next(&req, 2, &res, &p, 0, &m), 0);
	circ_arena_free(a);
}

static void
test_backend_next_after_failed_first_step(void **state)
{
	struct conf_partner	 p;
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*a = circ_arena_new();
	struct ncip_msg		*m;

	partner(&p, 2, NCIP_NSS_DEFAULT, 1, 0);
	sip2_req(&req, SIP2_RENEW_ALL);
	memset(&res, 0, sizeof(res));
	assert_int_equal(merge(&req, 0, PROBLEM("LookupUserResponse",
	    "Unknown User"), &res, a), 0);
	assert_false(res.ok);
	assert_int_equal(xlate_ncip_backend_next(&req, 1, &res, &p, 0, &m), 0);
	circ_arena_free(a);
}

/*
 * ILS answers merged into the neutral result.
 */

static void
test_merge_lookup_user(void **state)
{
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*a = circ_arena_new();
	struct circ_patron	*pa = &res.patron;

	sip2_req(&req, SIP2_PATRON_INFO);
	req.pin = PIN;
	req.has_pin = 1;
	memset(&res, 0, sizeof(res));
	assert_int_equal(merge(&req, 0, lookup_user_resp, &res, a), 0);
	assert_true(res.ok);
	assert_true(pa->found);
	assert_int_equal(pa->pin_ok, 1);
	assert_string_equal(pa->id, "21000012345678");
	/* A fines block in force; the lost-card block starts in 2098. */
	assert_string_equal(pa->status, "YYYY      Y   ");
	assert_string_equal(pa->name, "Doe, Jane");
	assert_string_equal(pa->address,
	    "12 Main St, Springfield, IL, 62701, US");
	assert_string_equal(pa->email, "jane@example.org");
	assert_string_equal(pa->phone, "555-0100");
	assert_string_equal(pa->birth, "20090514");
	assert_string_equal(pa->language, "001");
	assert_string_equal(pa->pclass, "STUDENT");
	assert_int_equal(pa->expires, utc(2099, 8, 31, 23, 59, 59));
	assert_int_equal(pa->owed, 250);
	assert_string_equal(pa->currency, "USD");
	assert_int_equal(pa->nfees, 1);
	assert_string_equal(pa->fees[0].id, "FINE-88121");
	assert_int_equal(pa->fees[0].amount, 350);
	assert_int_equal(pa->fees[0].type, 4);
	assert_string_equal(pa->fees[0].description, "Returned late");
	assert_int_equal(pa->counts[CIRC_LIST_FINES], 1);
	assert_int_equal(pa->counts[CIRC_LIST_CHARGED], 2);
	assert_int_equal(pa->nlists[CIRC_LIST_CHARGED], 2);
	assert_int_equal(pa->counts[CIRC_LIST_OVERDUE], 1);
	assert_string_equal(pa->lists[CIRC_LIST_OVERDUE][0], "31000000000789");
	assert_int_equal(pa->counts[CIRC_LIST_HOLDS], 1);
	assert_string_equal(pa->lists[CIRC_LIST_HOLDS][0], "31000000000999");
	assert_int_equal(pa->counts[CIRC_LIST_UNAVAIL_HOLDS], 1);
	assert_string_equal(pa->lists[CIRC_LIST_UNAVAIL_HOLDS][0],
	    "The Lathe of Heaven");
	circ_arena_free(a);
}

static void
test_merge_lookup_user_v1(void **state)
{
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*a = circ_arena_new();

	sip2_req(&req, SIP2_PATRON_INFO);
	memset(&res, 0, sizeof(res));
	assert_int_equal(merge(&req, 0, lookup_user_resp_v1, &res, a), 0);
	assert_true(res.patron.found);
	assert_int_equal(res.patron.pin_ok, -1);
	assert_string_equal(res.patron.status, "              ");
	assert_int_equal(res.patron.counts[CIRC_LIST_CHARGED], 1);
	assert_string_equal(res.patron.lists[CIRC_LIST_CHARGED][0],
	    "31000000000111");
	circ_arena_free(a);
}

static void
test_merge_two_partners_adds_up(void **state)
{
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*a = circ_arena_new();

	sip2_req(&req, SIP2_PATRON_INFO);
	memset(&res, 0, sizeof(res));
	assert_int_equal(merge(&req, 0, lookup_user_resp, &res, a), 0);
	assert_int_equal(merge(&req, 0, lookup_user_resp_small, &res, a), 0);
	assert_string_equal(res.patron.name, "Doe, Jane");
	assert_int_equal(res.patron.counts[CIRC_LIST_CHARGED], 3);
	assert_int_equal(res.patron.nlists[CIRC_LIST_CHARGED], 3);
	assert_string_equal(res.patron.lists[CIRC_LIST_CHARGED][2],
	    "31000000000222");
	circ_arena_free(a);
}

static void
test_merge_each_problem(void **state)
{
	static const struct {
		const char	*type;
		enum circ_error	 error;
	} cases[] = {
		{ "Unknown User", CIRC_E_UNKNOWN_PATRON },
		{ "User Authentication Failed", CIRC_E_BAD_PIN },
		{ "User Blocked", CIRC_E_BLOCKED },
		{ "Unknown Item", CIRC_E_UNKNOWN_ITEM },
		{ "Item Does Not Circulate", CIRC_E_NOT_AVAILABLE },
		{ "User Ineligible To Check Out This Item",
		    CIRC_E_NOT_AVAILABLE },
		{ "User Ineligible To Request This Item",
		    CIRC_E_NOT_AVAILABLE },
		{ "Item Not Checked Out", CIRC_E_NOT_CHARGED },
		{ "Maximum Check Outs Exceeded", CIRC_E_LIMIT },
		{ "maximum checkouts exceeded", CIRC_E_LIMIT },
		{ "Maximum Renewals Exceeded", CIRC_E_LIMIT },
		{ "Duplicate Request", CIRC_E_DUPLICATE },
		{ "Unsupported Service", CIRC_E_NOT_SUPPORTED },
		{ "Needed Data Missing", CIRC_E_NEEDED_DATA },
		{ "Temporary Processing Failure", CIRC_E_REFUSED },
		{ "Unknown Agency", CIRC_E_REFUSED },
		{ "Patron owes $5.00 at Main", CIRC_E_REFUSED },
	};
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*a = circ_arena_new();
	char			 xml[1024];
	size_t			 i;

	sip2_req(&req, SIP2_CHECKOUT);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		(void)snprintf(xml, sizeof(xml), V2 "<CheckOutItemResponse>"
		    RHDR "<Problem><ProblemType>%s</ProblemType>"
		    "<ProblemDetail>peer words</ProblemDetail></Problem>"
		    "</CheckOutItemResponse>" END, cases[i].type);
		memset(&res, 0, sizeof(res));
		assert_int_equal(merge(&req, 0, xml, &res, a), 0);
		assert_false(res.ok);
		if (res.error != cases[i].error)
			fail_msg("%s gave error %d", cases[i].type, res.error);
		/* The screen is the gateway's words, never the peer's. */
		assert_non_null(res.screen);
		assert_null(strstr(res.screen, "peer"));
		assert_null(strstr(res.screen, "$5.00"));
	}
	circ_arena_free(a);
}

static void
test_merge_bare_problem(void **state)
{
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*a = circ_arena_new();

	sip2_req(&req, SIP2_CHECKOUT);
	memset(&res, 0, sizeof(res));
	assert_int_equal(merge(&req, 0, V2 "<Problem><ProblemType>"
	    "Invalid Message Syntax Error</ProblemType></Problem>" END, &res,
	    a), 0);
	assert_false(res.ok);
	assert_int_equal(res.error, CIRC_E_REFUSED);
	circ_arena_free(a);
}

static void
test_merge_unknown_user(void **state)
{
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*a = circ_arena_new();

	sip2_req(&req, SIP2_PATRON_STATUS);
	memset(&res, 0, sizeof(res));
	assert_int_equal(merge(&req, 0, PROBLEM("LookupUserResponse",
	    "Unknown User"), &res, a), 0);
	assert_false(res.patron.found);
	assert_int_equal(res.patron.pin_ok, -1);
	assert_string_equal(res.patron.status, "YYYY          ");
	circ_arena_free(a);
}

static void
test_merge_bad_pin(void **state)
{
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*a = circ_arena_new();

	sip2_req(&req, SIP2_PATRON_STATUS);
	req.pin = PIN;
	req.has_pin = 1;
	memset(&res, 0, sizeof(res));
	assert_int_equal(merge(&req, 0, PROBLEM("LookupUserResponse",
	    "User Authentication Failed"), &res, a), 0);
	assert_true(res.patron.found);
	assert_int_equal(res.patron.pin_ok, 0);
	assert_int_equal(res.error, CIRC_E_BAD_PIN);
	circ_arena_free(a);
}

static void
test_merge_checkout(void **state)
{
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*a = circ_arena_new();

	sip2_req(&req, SIP2_CHECKOUT);
	memset(&res, 0, sizeof(res));
	assert_int_equal(merge(&req, 0, checkout_resp, &res, a), 0);
	assert_true(res.ok);
	assert_int_equal(res.due, utc(2024, 4, 1, 23, 59, 0));
	assert_string_equal(res.item.id, "31000000000456");
	assert_string_equal(res.item.title, "A Wizard of Earthsea");
	assert_string_equal(res.user_id, "21000012345678");
	circ_arena_free(a);
}

static void
test_merge_checkin_routing_elsewhere(void **state)
{
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*a = circ_arena_new();

	sip2_req(&req, SIP2_CHECKIN);
	req.location = "MAIN";
	memset(&res, 0, sizeof(res));
	assert_int_equal(merge(&req, 0, checkin_resp, &res, a), 0);
	assert_true(res.ok);
	assert_true(res.alert);
	assert_int_equal(res.alert_type, 2);
	assert_string_equal(res.destination, "LINCOLN");
	assert_string_equal(res.sort_bin, "7");
	assert_string_equal(res.screen,
	    "Route to LINCOLN: hold for another student");
	assert_string_equal(res.hold_patron, "22000011112222");
	assert_string_equal(res.item.title, "Hatchet");
	circ_arena_free(a);
}

static void
test_merge_checkin_routing_here(void **state)
{
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*a = circ_arena_new();

	sip2_req(&req, SIP2_CHECKIN);
	req.location = "lincoln";
	memset(&res, 0, sizeof(res));
	assert_int_equal(merge(&req, 0, checkin_resp, &res, a), 0);
	assert_int_equal(res.alert_type, 1);
	circ_arena_free(a);
}

static void
test_merge_checkin_of_item_not_out_is_ok(void **state)
{
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*a = circ_arena_new();

	sip2_req(&req, SIP2_CHECKIN);
	memset(&res, 0, sizeof(res));
	assert_int_equal(merge(&req, 0, PROBLEM("CheckInItemResponse",
	    "Item Not Checked Out"), &res, a), 0);
	assert_true(res.ok);
	assert_int_equal(res.error, CIRC_E_NONE);
	assert_string_equal(res.item.id, "31000000000456");
	circ_arena_free(a);
}

static void
test_merge_renew(void **state)
{
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*a = circ_arena_new();

	sip2_req(&req, SIP2_RENEW);
	memset(&res, 0, sizeof(res));
	assert_int_equal(merge(&req, 0, renew_resp, &res, a), 0);
	assert_true(res.ok);
	assert_true(res.renewal_ok);
	assert_int_equal(res.due, utc(2024, 5, 1, 23, 59, 0));
	circ_arena_free(a);
}

static void
test_merge_renew_pending(void **state)
{
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*a = circ_arena_new();

	sip2_req(&req, SIP2_RENEW);
	memset(&res, 0, sizeof(res));
	assert_int_equal(merge(&req, 0, renew_resp_pending, &res, a), 0);
	assert_false(res.ok);
	assert_int_equal(res.error, CIRC_E_REFUSED);
	assert_non_null(strstr(res.screen, "decide"));
	circ_arena_free(a);
}

static void
test_merge_lookup_item(void **state)
{
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*a = circ_arena_new();

	sip2_req(&req, SIP2_ITEM_INFO);
	memset(&res, 0, sizeof(res));
	assert_int_equal(merge(&req, 0, lookup_item_resp, &res, a), 0);
	assert_true(res.ok);
	assert_true(res.item.found);
	assert_string_equal(res.item.owner, "METRO");
	assert_string_equal(res.item.title, "A Wizard of Earthsea");
	assert_string_equal(res.item.author, "Le Guin");
	assert_string_equal(res.item.media, "001");
	assert_int_equal(res.item.circ_status, 4);
	assert_int_equal(res.item.hold_queue, 2);
	assert_string_equal(res.item.call_number, "FIC LEG");
	assert_string_equal(res.item.permanent_location, "MAIN");
	assert_string_equal(res.item.current_location, "EAST");
	assert_int_equal(res.item.due, utc(2099, 3, 22, 23, 59, 0));
	circ_arena_free(a);
}

static void
test_merge_request_item(void **state)
{
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*a = circ_arena_new();

	sip2_req(&req, SIP2_HOLD);
	req.hold_mode = '+';
	req.pickup = "LINCOLN";
	memset(&res, 0, sizeof(res));
	assert_int_equal(merge(&req, 0, request_resp, &res, a), 0);
	assert_true(res.ok);
	assert_true(res.available);
	assert_string_equal(res.request_id, "HOLD-55013");
	assert_string_equal(res.pickup, "LINCOLN");
	circ_arena_free(a);
}

static void
test_merge_cancel_request_item(void **state)
{
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*a = circ_arena_new();

	sip2_req(&req, SIP2_HOLD);
	req.hold_mode = '-';
	memset(&res, 0, sizeof(res));
	assert_int_equal(merge(&req, 0, cancel_resp, &res, a), 0);
	assert_true(res.ok);
	assert_string_equal(res.request_id, "HOLD-55012");
	circ_arena_free(a);
}

static void
test_merge_accept_item(void **state)
{
	struct fx	 f;

	fx_req(&f, accept_item);
	assert_int_equal(merge(&f.req, 0, accept_resp, &f.res, f.a), 0);
	assert_true(f.res.ok);
	assert_string_equal(f.res.item.id, "TMP-31000000000456");
	fx_done(&f);
}

static void
test_merge_accept_item_retry_is_ok(void **state)
{
	struct fx	 f;

	fx_req(&f, accept_item);
	assert_int_equal(merge(&f.req, 0, PROBLEM("AcceptItemResponse",
	    "Duplicate Item"), &f.res, f.a), 0);
	assert_true(f.res.ok);
	assert_string_equal(f.res.request_id, "HOLD-55013");
	fx_done(&f);
}

static void
test_merge_create_user(void **state)
{
	struct fx	 f;

	fx_req(&f, create_user);
	assert_int_equal(merge(&f.req, 0, create_user_resp, &f.res, f.a), 0);
	assert_true(f.res.ok);
	assert_string_equal(f.res.user_id, "M-4711");
	assert_string_equal(f.res.patron.id, "M-4711");
	fx_done(&f);
}

static void
test_merge_update_user(void **state)
{
	struct fx	 f;

	fx_req(&f, update_user);
	assert_int_equal(merge(&f.req, 0, update_user_resp, &f.res, f.a), 0);
	assert_true(f.res.ok);
	assert_string_equal(f.res.user_id, "21000012345678");
	fx_done(&f);
}

static void
test_merge_delete_item(void **state)
{
	struct fx	 f;

	fx_req(&f, delete_item);
	assert_int_equal(merge(&f.req, 0, delete_item_resp, &f.res, f.a), 0);
	assert_true(f.res.ok);
	assert_string_equal(f.res.item.id, "31000000000456");
	fx_done(&f);
}

static void
test_merge_lookup_version(void **state)
{
	struct fx	 f;

	fx_req(&f, lookup_version);
	assert_int_equal(merge(&f.req, 0, lookup_version_resp, &f.res, f.a),
	    0);
	assert_true(f.res.ok);
	fx_done(&f);
}

static void
test_merge_answer_of_another_service_is_refused(void **state)
{
	struct circ_req		 req;
	struct circ_result	 res;
	struct circ_arena	*a = circ_arena_new();

	sip2_req(&req, SIP2_CHECKIN);
	memset(&res, 0, sizeof(res));
	errno = 0;
	assert_int_equal(merge(&req, 0, checkout_resp, &res, a), -1);
	assert_int_equal(errno, EPROTO);
	assert_false(res.ok);
	assert_int_equal(res.error, CIRC_E_REFUSED);
	/* Nor is a second step of a one-step operation answered. */
	assert_int_equal(merge(&req, 1, checkin_resp, &res, a), -1);
	circ_arena_free(a);
}

static void
test_problem_mapping_round_trip(void **state)
{
	static const struct {
		enum circ_error	 error;
		enum circ_op	 op;
	} cases[] = {
		{ CIRC_E_UNKNOWN_PATRON, CIRC_PATRON_INFO },
		{ CIRC_E_BAD_PIN, CIRC_PATRON_INFO },
		{ CIRC_E_BLOCKED, CIRC_CHECKOUT },
		{ CIRC_E_UNKNOWN_ITEM, CIRC_ITEM_INFO },
		{ CIRC_E_NOT_AVAILABLE, CIRC_CHECKOUT },
		{ CIRC_E_NOT_AVAILABLE, CIRC_HOLD },
		{ CIRC_E_NOT_AVAILABLE, CIRC_CHECKIN },
		{ CIRC_E_NOT_CHARGED, CIRC_CHECKIN },
		{ CIRC_E_LIMIT, CIRC_CHECKOUT },
		{ CIRC_E_LIMIT, CIRC_RENEW },
		{ CIRC_E_DUPLICATE, CIRC_HOLD },
		{ CIRC_E_DUPLICATE, CIRC_CREATE_USER },
		{ CIRC_E_DUPLICATE, CIRC_ACCEPT_ITEM },
		{ CIRC_E_NOT_SUPPORTED, CIRC_FEE_PAID },
		{ CIRC_E_NEEDED_DATA, CIRC_HOLD },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(xlate_ncip_error(xlate_ncip_problem(
		    cases[i].error, cases[i].op)), cases[i].error);
	assert_int_equal(xlate_ncip_problem(CIRC_E_OFFLINE, CIRC_CHECKOUT),
	    NCIP_PT_TEMPORARY_FAILURE);
	assert_int_equal(xlate_ncip_problem(CIRC_E_TIMEOUT, CIRC_CHECKOUT),
	    NCIP_PT_TEMPORARY_FAILURE);
	assert_int_equal(xlate_ncip_error(NCIP_PT_OTHER), CIRC_E_REFUSED);
}

static int
group_setup(void **state)
{
	xmlSchemaParserCtxtPtr	 pc;
	FILE			*fp;
	char			*xsd;
	long			 len;

	/* The schema is read from memory: ncip_init() refuses file loads. */
	if ((fp = fopen(XLATE_NCIP_XSD, "rb")) == NULL ||
	    fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) <= 0 ||
	    fseek(fp, 0, SEEK_SET) != 0 ||
	    (xsd = malloc((size_t)len)) == NULL ||
	    fread(xsd, 1, (size_t)len, fp) != (size_t)len) {
		fprintf(stderr, "cannot read %s\n", XLATE_NCIP_XSD);
		return (-1);
	}
	fclose(fp);
	ncip_init();
	pc = xmlSchemaNewMemParserCtxt(xsd, (int)len);
	schema = pc != NULL ? xmlSchemaParse(pc) : NULL;
	xmlSchemaFreeParserCtxt(pc);
	free(xsd);
	return (schema == NULL ? -1 : 0);
}

static int
group_teardown(void **state)
{
	xmlSchemaFree(schema);
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_op_table_has_a_row_per_service),
		cmocka_unit_test(test_req_lookup_user_by_authentication_input),
		cmocka_unit_test(test_req_lookup_user_by_user_id_v1),
		cmocka_unit_test(
		    test_req_lookup_user_without_patron_is_refused),
		cmocka_unit_test(test_req_lookup_item),
		cmocka_unit_test(test_req_checkout),
		cmocka_unit_test(test_req_checkin),
		cmocka_unit_test(test_req_renew),
		cmocka_unit_test(test_req_request_item_by_item_id),
		cmocka_unit_test(test_req_request_item_by_bibliographic_id),
		cmocka_unit_test(test_req_cancel_request_item),
		cmocka_unit_test(test_req_accept_item),
		cmocka_unit_test(test_req_create_user),
		cmocka_unit_test(test_req_update_user),
		cmocka_unit_test(test_req_delete_item),
		cmocka_unit_test(test_req_lookup_version),
		cmocka_unit_test(test_req_response_is_no_request),
		cmocka_unit_test(test_reply_lookup_user_v2),
		cmocka_unit_test(test_reply_lookup_user_v1),
		cmocka_unit_test(test_reply_lookup_item),
		cmocka_unit_test(test_reply_lookup_item_v1),
		cmocka_unit_test(test_reply_checkout),
		cmocka_unit_test(test_reply_checkout_v1),
		cmocka_unit_test(
		    test_reply_checkout_free_text_due_is_indeterminate),
		cmocka_unit_test(test_reply_checkin_with_routing),
		cmocka_unit_test(test_reply_checkin_without_routing),
		cmocka_unit_test(test_reply_renew),
		cmocka_unit_test(test_reply_request_item),
		cmocka_unit_test(
		    test_reply_request_item_by_bib_from_item_answer),
		cmocka_unit_test(test_reply_request_item_without_ids_fails),
		cmocka_unit_test(test_reply_cancel_request_item),
		cmocka_unit_test(test_reply_accept_item),
		cmocka_unit_test(test_reply_create_user),
		cmocka_unit_test(test_reply_update_user),
		cmocka_unit_test(test_reply_delete_item),
		cmocka_unit_test(test_reply_lookup_version),
		cmocka_unit_test(test_reply_every_service_in_every_dialect),
		cmocka_unit_test(test_reply_problem_for_each_error),
		cmocka_unit_test(test_reply_problem_names_user_id),
		cmocka_unit_test(
		    test_reply_problem_never_echoes_authentication),
		cmocka_unit_test(test_reply_without_ncip_request_fails),
		cmocka_unit_test(
		    test_backend_lookup_user_v2_pin_as_authentication_input),
		cmocka_unit_test(test_backend_lookup_user_v2_prefixed_user_id),
		cmocka_unit_test(
		    test_backend_lookup_user_unqualified_without_namespace),
		cmocka_unit_test(test_backend_lookup_user_v1_unique_ids),
		cmocka_unit_test(
		    test_backend_authentication_input_types_from_profile),
		cmocka_unit_test(test_backend_patron_status),
		cmocka_unit_test(
		    test_backend_lookup_user_from_ncip_caller_to_v1),
		cmocka_unit_test(test_backend_checkout),
		cmocka_unit_test(
		    test_backend_checkout_offline_keeps_its_due_date),
		cmocka_unit_test(test_backend_checkin),
		cmocka_unit_test(test_backend_renew),
		cmocka_unit_test(test_backend_item_info),
		cmocka_unit_test(test_backend_hold_specific_copy),
		cmocka_unit_test(test_backend_hold_any_copy),
		cmocka_unit_test(
		    test_backend_hold_by_bib_from_ncip_caller_to_v1),
		cmocka_unit_test(test_backend_hold_by_title_only_is_refused),
		cmocka_unit_test(test_backend_hold_cancel),
		cmocka_unit_test(test_backend_hold_change_is_not_supported),
		cmocka_unit_test(
		    test_backend_operations_without_ncip_equivalent),
		cmocka_unit_test(test_backend_accept_item),
		cmocka_unit_test(test_backend_accept_item_from_neutral_request),
		cmocka_unit_test(test_backend_create_user),
		cmocka_unit_test(test_backend_update_user),
		cmocka_unit_test(test_backend_delete_item),
		cmocka_unit_test(test_backend_lookup_version),
		cmocka_unit_test(test_backend_profile_must_be_usable),
		cmocka_unit_test(test_backend_every_operation_in_every_profile),
		cmocka_unit_test(test_backend_renew_all_in_steps),
		cmocka_unit_test(test_backend_block_patron_in_steps),
		cmocka_unit_test(test_backend_next_after_failed_first_step),
		cmocka_unit_test(test_merge_lookup_user),
		cmocka_unit_test(test_merge_lookup_user_v1),
		cmocka_unit_test(test_merge_two_partners_adds_up),
		cmocka_unit_test(test_merge_each_problem),
		cmocka_unit_test(test_merge_bare_problem),
		cmocka_unit_test(test_merge_unknown_user),
		cmocka_unit_test(test_merge_bad_pin),
		cmocka_unit_test(test_merge_checkout),
		cmocka_unit_test(test_merge_checkin_routing_elsewhere),
		cmocka_unit_test(test_merge_checkin_routing_here),
		cmocka_unit_test(test_merge_checkin_of_item_not_out_is_ok),
		cmocka_unit_test(test_merge_renew),
		cmocka_unit_test(test_merge_renew_pending),
		cmocka_unit_test(test_merge_lookup_item),
		cmocka_unit_test(test_merge_request_item),
		cmocka_unit_test(test_merge_cancel_request_item),
		cmocka_unit_test(test_merge_accept_item),
		cmocka_unit_test(test_merge_accept_item_retry_is_ok),
		cmocka_unit_test(test_merge_create_user),
		cmocka_unit_test(test_merge_update_user),
		cmocka_unit_test(test_merge_delete_item),
		cmocka_unit_test(test_merge_lookup_version),
		cmocka_unit_test(
		    test_merge_answer_of_another_service_is_refused),
		cmocka_unit_test(test_problem_mapping_round_trip),
	};

	return (cmocka_run_group_tests_name("xlate_ncip", tests, group_setup,
	    group_teardown));
}
