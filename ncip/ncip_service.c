/* SPDX-License-Identifier: ISC */
/*
 * The NCIP service table: every service element of NCIP 2.02 (and
 * LookupVersion), with the ones circlink carries marked supported.
 */

#include "config.h"

#include <stddef.h>
#include <string.h>

#include "ncip.h"

#define SVC(s, n, resp, req)	{ s, n, resp, req, 1 }
#define NOT(n)			{ NCIP_SVC_NONE, n, NCIP_SVC_NONE, \
				    NCIP_SVC_NONE, 0 }

/* Indexed by enum ncip_service for the carried ones, then the rest. */
static const struct ncip_service_info services[] = {
	{ NCIP_SVC_NONE, "", NCIP_SVC_NONE, NCIP_SVC_NONE, 0 },
	SVC(NCIP_LOOKUP_VERSION, "LookupVersion", NCIP_LOOKUP_VERSION_RESP,
	    NCIP_SVC_NONE),
	SVC(NCIP_LOOKUP_VERSION_RESP, "LookupVersionResponse", NCIP_SVC_NONE,
	    NCIP_LOOKUP_VERSION),
	SVC(NCIP_LOOKUP_USER, "LookupUser", NCIP_LOOKUP_USER_RESP,
	    NCIP_SVC_NONE),
	SVC(NCIP_LOOKUP_USER_RESP, "LookupUserResponse", NCIP_SVC_NONE,
	    NCIP_LOOKUP_USER),
	SVC(NCIP_LOOKUP_ITEM, "LookupItem", NCIP_LOOKUP_ITEM_RESP,
	    NCIP_SVC_NONE),
	SVC(NCIP_LOOKUP_ITEM_RESP, "LookupItemResponse", NCIP_SVC_NONE,
	    NCIP_LOOKUP_ITEM),
	SVC(NCIP_CHECKOUT_ITEM, "CheckOutItem", NCIP_CHECKOUT_ITEM_RESP,
	    NCIP_SVC_NONE),
	SVC(NCIP_CHECKOUT_ITEM_RESP, "CheckOutItemResponse", NCIP_SVC_NONE,
	    NCIP_CHECKOUT_ITEM),
	SVC(NCIP_CHECKIN_ITEM, "CheckInItem", NCIP_CHECKIN_ITEM_RESP,
	    NCIP_SVC_NONE),
	SVC(NCIP_CHECKIN_ITEM_RESP, "CheckInItemResponse", NCIP_SVC_NONE,
	    NCIP_CHECKIN_ITEM),
	SVC(NCIP_RENEW_ITEM, "RenewItem", NCIP_RENEW_ITEM_RESP,
	    NCIP_SVC_NONE),
	SVC(NCIP_RENEW_ITEM_RESP, "RenewItemResponse", NCIP_SVC_NONE,
	    NCIP_RENEW_ITEM),
	SVC(NCIP_REQUEST_ITEM, "RequestItem", NCIP_REQUEST_ITEM_RESP,
	    NCIP_SVC_NONE),
	SVC(NCIP_REQUEST_ITEM_RESP, "RequestItemResponse", NCIP_SVC_NONE,
	    NCIP_REQUEST_ITEM),
	SVC(NCIP_CANCEL_REQUEST_ITEM, "CancelRequestItem",
	    NCIP_CANCEL_REQUEST_ITEM_RESP, NCIP_SVC_NONE),
	SVC(NCIP_CANCEL_REQUEST_ITEM_RESP, "CancelRequestItemResponse",
	    NCIP_SVC_NONE, NCIP_CANCEL_REQUEST_ITEM),
	SVC(NCIP_ACCEPT_ITEM, "AcceptItem", NCIP_ACCEPT_ITEM_RESP,
	    NCIP_SVC_NONE),
	SVC(NCIP_ACCEPT_ITEM_RESP, "AcceptItemResponse", NCIP_SVC_NONE,
	    NCIP_ACCEPT_ITEM),
	SVC(NCIP_CREATE_USER, "CreateUser", NCIP_CREATE_USER_RESP,
	    NCIP_SVC_NONE),
	SVC(NCIP_CREATE_USER_RESP, "CreateUserResponse", NCIP_SVC_NONE,
	    NCIP_CREATE_USER),
	SVC(NCIP_UPDATE_USER, "UpdateUser", NCIP_UPDATE_USER_RESP,
	    NCIP_SVC_NONE),
	SVC(NCIP_UPDATE_USER_RESP, "UpdateUserResponse", NCIP_SVC_NONE,
	    NCIP_UPDATE_USER),
	SVC(NCIP_DELETE_ITEM, "DeleteItem", NCIP_DELETE_ITEM_RESP,
	    NCIP_SVC_NONE),
	SVC(NCIP_DELETE_ITEM_RESP, "DeleteItemResponse", NCIP_SVC_NONE,
	    NCIP_DELETE_ITEM),
	SVC(NCIP_LOOKUP_ITEM_SET, "LookupItemSet", NCIP_LOOKUP_ITEM_SET_RESP,
	    NCIP_SVC_NONE),
	SVC(NCIP_LOOKUP_ITEM_SET_RESP, "LookupItemSetResponse", NCIP_SVC_NONE,
	    NCIP_LOOKUP_ITEM_SET),
	SVC(NCIP_PROBLEM, "Problem", NCIP_SVC_NONE, NCIP_SVC_NONE),

	/* The rest of NCIP 2.02: known, answered Unsupported Service. */
	NOT("AgencyCreated"), NOT("AgencyCreatedResponse"),
	NOT("AgencyUpdated"), NOT("AgencyUpdatedResponse"),
	NOT("CancelRecallItem"), NOT("CancelRecallItemResponse"),
	NOT("CirculationStatusChangeReported"),
	NOT("CirculationStatusChangeReportedResponse"),
	NOT("CirculationStatusUpdated"),
	NOT("CirculationStatusUpdatedResponse"),
	NOT("CreateAgency"), NOT("CreateAgencyResponse"),
	NOT("CreateItem"), NOT("CreateItemResponse"),
	NOT("CreateUserFiscalTransaction"),
	NOT("CreateUserFiscalTransactionResponse"),
	NOT("DeleteUser"), NOT("DeleteUserResponse"),
	NOT("ItemCheckedIn"), NOT("ItemCheckedInResponse"),
	NOT("ItemCheckedOut"), NOT("ItemCheckedOutResponse"),
	NOT("ItemCreated"), NOT("ItemCreatedResponse"),
	NOT("ItemRecallCancelled"), NOT("ItemRecallCancelledResponse"),
	NOT("ItemRecalled"), NOT("ItemRecalledResponse"),
	NOT("ItemReceived"), NOT("ItemReceivedResponse"),
	NOT("ItemRenewed"), NOT("ItemRenewedResponse"),
	NOT("ItemRequestCancelled"), NOT("ItemRequestCancelledResponse"),
	NOT("ItemRequestUpdated"), NOT("ItemRequestUpdatedResponse"),
	NOT("ItemRequested"), NOT("ItemRequestedResponse"),
	NOT("ItemShipped"), NOT("ItemShippedResponse"),
	NOT("ItemUpdated"), NOT("ItemUpdatedResponse"),
	NOT("LookupAgency"), NOT("LookupAgencyResponse"),
	NOT("LookupRequest"), NOT("LookupRequestResponse"),
	NOT("RecallItem"), NOT("RecallItemResponse"),
	NOT("ReportCirculationStatusChange"),
	NOT("ReportCirculationStatusChangeResponse"),
	NOT("SendUserNotice"), NOT("SendUserNoticeResponse"),
	NOT("UndoCheckOutItem"), NOT("UndoCheckOutItemResponse"),
	NOT("UpdateAgency"), NOT("UpdateAgencyResponse"),
	NOT("UpdateCirculationStatus"),
	NOT("UpdateCirculationStatusResponse"),
	NOT("UpdateItem"), NOT("UpdateItemResponse"),
	NOT("UpdateRequestItem"), NOT("UpdateRequestItemResponse"),
	NOT("UserCreated"), NOT("UserCreatedResponse"),
	NOT("UserFiscalTransactionCreated"),
	NOT("UserFiscalTransactionCreatedResponse"),
	NOT("UserNoticeSent"), NOT("UserNoticeSentResponse"),
	NOT("UserUpdated"), NOT("UserUpdatedResponse"),
	/* Version 1 names that version 2 dropped or renamed. */
	NOT("RenewAll"), NOT("RenewAllResponse"),
	NOT("LookupAgencyRequest"),
};

#define NSERVICES	(sizeof(services) / sizeof(services[0]))
_Static_assert(NSERVICES > NCIP_SVC__COUNT, "a row per carried service");

/* Return the row of a service. */
const struct ncip_service_info *
ncip_service_info(enum ncip_service svc)
{
	if (svc <= NCIP_SVC_NONE || svc >= NCIP_SVC__COUNT)
		return (&services[0]);
	return (&services[svc]);
}

/* Return the element name of a service. */
const char *
ncip_service_name(enum ncip_service svc)
{
	return (ncip_service_info(svc)->name);
}

/* Return the row for an element name, or NULL for no NCIP service. */
const struct ncip_service_info *
ncip_service_by_name(const char *name)
{
	size_t	 i;

	if (name == NULL || *name == '\0')
		return (NULL);
	for (i = 1; i < NSERVICES; i++) {
		if (strcmp(services[i].name, name) == 0)
			return (&services[i]);
	}
	return (NULL);
}

/* Return 1 for a request. */
int
ncip_service_is_request(enum ncip_service svc)
{
	const struct ncip_service_info	*si = ncip_service_info(svc);

	return (si->supported && si->response != NCIP_SVC_NONE);
}
