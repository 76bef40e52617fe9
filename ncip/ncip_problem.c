/* SPDX-License-Identifier: ISC */
/*
 * NCIP problem types: their standard strings, the schemes they are sent
 * with, and matching what a peer sent against them.
 */

#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ncip.h"

#define SCM_BASE	"http://www.niso.org/ncip/v1_0/schemes/"
#define SCM_PE		SCM_BASE "processingerrortype/"
#define SCM_MESSAGING	SCM_BASE "messagingerrortype/messagingerrortype.scm"
#define SCM_GENERAL	SCM_PE "generalprocessingerror.scm"

/* Where a type belongs: messaging, general, or a service's own scheme. */
enum scope {
	SC_MESSAGING,
	SC_GENERAL,
	SC_SERVICE,
};

static const struct {
	enum ncip_problem_type	 kind;
	const char		*name;
	enum scope		 scope;
	enum ncip_service	 usual;	/* the service whose scheme it is */
} types[] = {
	{ NCIP_PT_NONE, "", SC_GENERAL, NCIP_SVC_NONE },
	{ NCIP_PT_INVALID_MESSAGE_SYNTAX, "Invalid Message Syntax Error",
	    SC_MESSAGING, NCIP_SVC_NONE },
	{ NCIP_PT_PROTOCOL_ERROR, "Protocol Error", SC_MESSAGING,
	    NCIP_SVC_NONE },
	{ NCIP_PT_UNKNOWN_ELEMENT, "Unknown Element", SC_MESSAGING,
	    NCIP_SVC_NONE },
	{ NCIP_PT_UNKNOWN_SCHEME, "Unknown Scheme", SC_MESSAGING,
	    NCIP_SVC_NONE },
	{ NCIP_PT_UNKNOWN_SERVICE, "Unknown Service", SC_MESSAGING,
	    NCIP_SVC_NONE },
	{ NCIP_PT_UNKNOWN_VALUE, "Unknown Value From Known Scheme",
	    SC_MESSAGING, NCIP_SVC_NONE },
	{ NCIP_PT_UNSUPPORTED_SERVICE, "Unsupported Service", SC_GENERAL,
	    NCIP_SVC_NONE },
	{ NCIP_PT_NEEDED_DATA_MISSING, "Needed Data Missing", SC_GENERAL,
	    NCIP_SVC_NONE },
	{ NCIP_PT_TEMPORARY_FAILURE, "Temporary Processing Failure",
	    SC_GENERAL, NCIP_SVC_NONE },
	{ NCIP_PT_UNKNOWN_AGENCY, "Unknown Agency", SC_GENERAL,
	    NCIP_SVC_NONE },
	{ NCIP_PT_UNAUTHORIZED_SERVICE, "Unauthorized Service For Agency",
	    SC_GENERAL, NCIP_SVC_NONE },
	{ NCIP_PT_AGENCY_AUTH_FAILED, "Agency Authentication Failed",
	    SC_GENERAL, NCIP_SVC_NONE },
	{ NCIP_PT_INVALID_DATE, "Invalid Date", SC_GENERAL, NCIP_SVC_NONE },
	{ NCIP_PT_INVALID_AMOUNT, "Invalid Amount", SC_GENERAL,
	    NCIP_SVC_NONE },
	{ NCIP_PT_UNKNOWN_USER, "Unknown User", SC_SERVICE,
	    NCIP_LOOKUP_USER },
	{ NCIP_PT_USER_AUTH_FAILED, "User Authentication Failed", SC_SERVICE,
	    NCIP_LOOKUP_USER },
	{ NCIP_PT_USER_BLOCKED, "User Blocked", SC_SERVICE,
	    NCIP_CHECKOUT_ITEM },
	{ NCIP_PT_USER_INELIGIBLE_CHECKOUT,
	    "User Ineligible To Check Out This Item", SC_SERVICE,
	    NCIP_CHECKOUT_ITEM },
	{ NCIP_PT_USER_INELIGIBLE_REQUEST,
	    "User Ineligible To Request This Item", SC_SERVICE,
	    NCIP_REQUEST_ITEM },
	{ NCIP_PT_UNKNOWN_ITEM, "Unknown Item", SC_SERVICE,
	    NCIP_LOOKUP_ITEM },
	{ NCIP_PT_UNKNOWN_REQUEST, "Unknown Request", SC_SERVICE,
	    NCIP_CANCEL_REQUEST_ITEM },
	{ NCIP_PT_ITEM_NOT_CIRCULATE, "Item Does Not Circulate", SC_SERVICE,
	    NCIP_CHECKOUT_ITEM },
	{ NCIP_PT_ITEM_NOT_CHECKED_OUT, "Item Not Checked Out", SC_SERVICE,
	    NCIP_CHECKIN_ITEM },
	{ NCIP_PT_MAX_CHECKOUTS, "Maximum Check Outs Exceeded", SC_SERVICE,
	    NCIP_CHECKOUT_ITEM },
	{ NCIP_PT_MAX_RENEWALS, "Maximum Renewals Exceeded", SC_SERVICE,
	    NCIP_RENEW_ITEM },
	{ NCIP_PT_DUPLICATE_REQUEST, "Duplicate Request", SC_SERVICE,
	    NCIP_REQUEST_ITEM },
	{ NCIP_PT_REQUEST_PROCESSED, "Request Already Processed", SC_SERVICE,
	    NCIP_CANCEL_REQUEST_ITEM },
	{ NCIP_PT_CANNOT_ACCEPT_ITEM, "Cannot Accept Item", SC_SERVICE,
	    NCIP_ACCEPT_ITEM },
	{ NCIP_PT_DUPLICATE_ITEM, "Duplicate Item", SC_SERVICE,
	    NCIP_ACCEPT_ITEM },
	{ NCIP_PT_DUPLICATE_USER, "Duplicate User", SC_SERVICE,
	    NCIP_CREATE_USER },
	{ NCIP_PT_OTHER, "", SC_GENERAL, NCIP_SVC_NONE },
};

#define NTYPES	(sizeof(types) / sizeof(types[0]))
_Static_assert(NTYPES == NCIP_PT__COUNT, "one row per problem type");

/* Each carried request's own processing error scheme, by request. */
static const struct {
	enum ncip_service	 svc;
	const char		*scheme;
} service_schemes[] = {
	{ NCIP_LOOKUP_USER, SCM_PE "lookupuserprocessingerror.scm" },
	{ NCIP_LOOKUP_ITEM, SCM_PE "lookupitemprocessingerror.scm" },
	{ NCIP_CHECKOUT_ITEM, SCM_PE "checkoutitemprocessingerror.scm" },
	{ NCIP_CHECKIN_ITEM, SCM_PE "checkinitemprocessingerror.scm" },
	{ NCIP_RENEW_ITEM, SCM_PE "renewitemprocessingerror.scm" },
	{ NCIP_REQUEST_ITEM, SCM_PE "requestitemprocessingerror.scm" },
	{ NCIP_CANCEL_REQUEST_ITEM,
	    SCM_PE "cancelrequestitemprocessingerror.scm" },
	{ NCIP_ACCEPT_ITEM, SCM_PE "acceptitemprocessingerror.scm" },
	{ NCIP_CREATE_USER, SCM_PE "createuserprocessingerror.scm" },
	{ NCIP_UPDATE_USER, SCM_PE "updateuserprocessingerror.scm" },
	{ NCIP_DELETE_ITEM, SCM_PE "deleteitemprocessingerror.scm" },
};

/* Return the standard string of a type. */
const char *
ncip_problem_name(enum ncip_problem_type kind)
{
	if (kind <= NCIP_PT_NONE || kind >= NCIP_PT__COUNT)
		return ("");
	return (types[kind].name);
}

static const char *
service_scheme(enum ncip_service svc)
{
	const struct ncip_service_info	*si = ncip_service_info(svc);
	size_t				 i;

	if (!ncip_service_is_request(svc) && si->request != NCIP_SVC_NONE)
		svc = si->request;
	for (i = 0; i < sizeof(service_schemes) / sizeof(service_schemes[0]);
	    i++) {
		if (service_schemes[i].svc == svc)
			return (service_schemes[i].scheme);
	}
	return (NULL);
}

/* Return the scheme URI a type is sent with in answer to a service. */
const char *
ncip_problem_scheme(enum ncip_problem_type kind, enum ncip_service svc)
{
	const char	*s;

	if (kind <= NCIP_PT_NONE || kind >= NCIP_PT__COUNT)
		return (SCM_GENERAL);
	switch (types[kind].scope) {
	case SC_MESSAGING:
		return (SCM_MESSAGING);
	case SC_GENERAL:
		return (SCM_GENERAL);
	case SC_SERVICE:
		if ((s = service_scheme(svc)) != NULL)
			return (s);
		if ((s = service_scheme(types[kind].usual)) != NULL)
			return (s);
		break;
	}
	return (SCM_GENERAL);
}

/* Return 1 for the messaging errors. */
int
ncip_problem_is_messaging(enum ncip_problem_type kind)
{
	if (kind <= NCIP_PT_NONE || kind >= NCIP_PT__COUNT)
		return (0);
	return (types[kind].scope == SC_MESSAGING);
}

/* Match a ProblemType string case-insensitively. */
enum ncip_problem_type
ncip_problem_lookup(const char *s)
{
	size_t	 i;

	if (s == NULL)
		return (NCIP_PT_OTHER);
	for (i = 1; i < NTYPES; i++) {
		if (types[i].kind != NCIP_PT_OTHER &&
		    strcasecmp(types[i].name, s) == 0)
			return (types[i].kind);
	}
	/* One spelling seen in the wild for the standard check-out limit. */
	if (strcasecmp(s, "Maximum Checkouts Exceeded") == 0)
		return (NCIP_PT_MAX_CHECKOUTS);
	return (NCIP_PT_OTHER);
}

/* Fill a parse error. */
void
ncip_error_set(struct ncip_error *err, enum ncip_problem_type kind,
    const char *element, const char *detail)
{
	if (err == NULL)
		return;
	err->kind = kind;
	(void)snprintf(err->element, sizeof(err->element), "%s",
	    element != NULL ? element : "");
	(void)snprintf(err->detail, sizeof(err->detail), "%s",
	    detail != NULL ? detail : "");
}
