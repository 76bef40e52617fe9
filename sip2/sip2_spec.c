/* SPDX-License-Identifier: ISC */
/*
 * The static description of every SIP2 2.00 message: its code, name, fixed
 * fields in wire order with their widths, and required variable fields.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sip2.h"

#define F(x, w)		{ SIP2_FX_##x, (w) }
#define DATE		F(DATE, 18)

static const struct sip2_spec specs[] = {
	{ SIP2_LOGIN, "login", SIP2_LOGIN_RESP, 1, 2,
	    { F(UID_ALGO, 1), F(PWD_ALGO, 1) }, "CNCO" },
	{ SIP2_LOGIN_RESP, "login-response", 0, 0, 1,
	    { F(OK, 1) }, "" },
	{ SIP2_SC_STATUS, "sc-status", SIP2_ACS_STATUS, 1, 3,
	    { F(STATUS_CODE, 1), F(MAX_PRINT_WIDTH, 3),
	    F(PROTOCOL_VERSION, 4) }, "" },
	{ SIP2_ACS_STATUS, "acs-status", 0, 0, 10,
	    { F(ONLINE, 1), F(CHECKIN_OK, 1), F(CHECKOUT_OK, 1),
	    F(ACS_RENEWAL_POLICY, 1), F(STATUS_UPDATE_OK, 1),
	    F(OFFLINE_OK, 1), F(TIMEOUT, 3), F(RETRIES, 3), DATE,
	    F(PROTOCOL_VERSION, 4) }, "AOBX" },
	{ SIP2_PATRON_STATUS, "patron-status", SIP2_PATRON_STATUS_RESP, 1, 2,
	    { F(LANGUAGE, 3), DATE }, "AOAAACAD" },
	{ SIP2_PATRON_STATUS_RESP, "patron-status-response", 0, 0, 3,
	    { F(PATRON_STATUS, 14), F(LANGUAGE, 3), DATE }, "AOAAAE" },
	{ SIP2_PATRON_INFO, "patron-info", SIP2_PATRON_INFO_RESP, 1, 3,
	    { F(LANGUAGE, 3), DATE, F(SUMMARY, 10) }, "AOAA" },
	{ SIP2_PATRON_INFO_RESP, "patron-info-response", 0, 0, 9,
	    { F(PATRON_STATUS, 14), F(LANGUAGE, 3), DATE, F(HOLD_COUNT, 4),
	    F(OVERDUE_COUNT, 4), F(CHARGED_COUNT, 4), F(FINE_COUNT, 4),
	    F(RECALL_COUNT, 4), F(UNAVAIL_HOLD_COUNT, 4) }, "AOAAAE" },
	{ SIP2_CHECKOUT, "checkout", SIP2_CHECKOUT_RESP, 1, 4,
	    { F(SC_RENEWAL_POLICY, 1), F(NO_BLOCK, 1), DATE,
	    F(NB_DUE_DATE, 18) }, "AOAAABAC" },
	{ SIP2_CHECKOUT_RESP, "checkout-response", 0, 0, 5,
	    { F(OK, 1), F(RENEWAL_OK, 1), F(MAGNETIC, 1), F(DESENSITIZE, 1),
	    DATE }, "AOAAABAJAH" },
	{ SIP2_CHECKIN, "checkin", SIP2_CHECKIN_RESP, 1, 3,
	    { F(NO_BLOCK, 1), DATE, F(RETURN_DATE, 18) }, "APAOABAC" },
	{ SIP2_CHECKIN_RESP, "checkin-response", 0, 0, 5,
	    { F(OK, 1), F(RESENSITIZE, 1), F(MAGNETIC, 1), F(ALERT, 1),
	    DATE }, "AOABAQ" },
	{ SIP2_BLOCK_PATRON, "block-patron", SIP2_PATRON_STATUS_RESP, 1, 2,
	    { F(CARD_RETAINED, 1), DATE }, "AOALAAAC" },
	{ SIP2_END_SESSION, "end-session", SIP2_END_SESSION_RESP, 1, 1,
	    { DATE }, "AOAA" },
	{ SIP2_END_SESSION_RESP, "end-session-response", 0, 0, 2,
	    { F(END_SESSION, 1), DATE }, "AOAA" },
	{ SIP2_FEE_PAID, "fee-paid", SIP2_FEE_PAID_RESP, 1, 4,
	    { DATE, F(FEE_TYPE, 2), F(PAYMENT_TYPE, 2), F(CURRENCY, 3) },
	    "BVAOAA" },
	{ SIP2_FEE_PAID_RESP, "fee-paid-response", 0, 0, 2,
	    { F(PAYMENT_ACCEPTED, 1), DATE }, "AOAA" },
	{ SIP2_ITEM_INFO, "item-info", SIP2_ITEM_INFO_RESP, 1, 1,
	    { DATE }, "AOAB" },
	{ SIP2_ITEM_INFO_RESP, "item-info-response", 0, 0, 4,
	    { F(CIRC_STATUS, 2), F(SECURITY_MARKER, 2), F(FEE_TYPE, 2),
	    DATE }, "ABAJ" },
	{ SIP2_ITEM_STATUS, "item-status-update", SIP2_ITEM_STATUS_RESP, 1, 1,
	    { DATE }, "AOABCH" },
	{ SIP2_ITEM_STATUS_RESP, "item-status-update-response", 0, 0, 2,
	    { F(ITEM_PROPS_OK, 1), DATE }, "AB" },
	{ SIP2_PATRON_ENABLE, "patron-enable", SIP2_PATRON_ENABLE_RESP, 1, 1,
	    { DATE }, "AOAA" },
	{ SIP2_PATRON_ENABLE_RESP, "patron-enable-response", 0, 0, 3,
	    { F(PATRON_STATUS, 14), F(LANGUAGE, 3), DATE }, "AOAAAE" },
	{ SIP2_HOLD, "hold", SIP2_HOLD_RESP, 1, 2,
	    { F(HOLD_MODE, 1), DATE }, "AOAA" },
	{ SIP2_HOLD_RESP, "hold-response", 0, 0, 3,
	    { F(OK, 1), F(AVAILABLE, 1), DATE }, "AOAA" },
	{ SIP2_RENEW, "renew", SIP2_RENEW_RESP, 1, 4,
	    { F(THIRD_PARTY, 1), F(NO_BLOCK, 1), DATE, F(NB_DUE_DATE, 18) },
	    "AOAA" },
	{ SIP2_RENEW_RESP, "renew-response", 0, 0, 5,
	    { F(OK, 1), F(RENEWAL_OK, 1), F(MAGNETIC, 1), F(DESENSITIZE, 1),
	    DATE }, "AOAAABAJAH" },
	{ SIP2_RENEW_ALL, "renew-all", SIP2_RENEW_ALL_RESP, 1, 1,
	    { DATE }, "AOAA" },
	{ SIP2_RENEW_ALL_RESP, "renew-all-response", 0, 0, 4,
	    { F(OK, 1), F(RENEWED_COUNT, 4), F(UNRENEWED_COUNT, 4), DATE },
	    "AO" },
	{ SIP2_RESEND, "resend", 0, 1, 0, { F(OK, 0) }, "" },
	{ SIP2_REQUEST_RESEND, "request-resend", 0, 0, 0, { F(OK, 0) }, "" },
};

#define NSPECS	(sizeof(specs) / sizeof(specs[0]))

/* Index into specs plus one, by code; 0 for codes that are not SIP2. */
static const unsigned char spec_index[100] = {
	[SIP2_LOGIN] = 1,
	[SIP2_LOGIN_RESP] = 2,
	[SIP2_SC_STATUS] = 3,
	[SIP2_ACS_STATUS] = 4,
	[SIP2_PATRON_STATUS] = 5,
	[SIP2_PATRON_STATUS_RESP] = 6,
	[SIP2_PATRON_INFO] = 7,
	[SIP2_PATRON_INFO_RESP] = 8,
	[SIP2_CHECKOUT] = 9,
	[SIP2_CHECKOUT_RESP] = 10,
	[SIP2_CHECKIN] = 11,
	[SIP2_CHECKIN_RESP] = 12,
	[SIP2_BLOCK_PATRON] = 13,
	[SIP2_END_SESSION] = 14,
	[SIP2_END_SESSION_RESP] = 15,
	[SIP2_FEE_PAID] = 16,
	[SIP2_FEE_PAID_RESP] = 17,
	[SIP2_ITEM_INFO] = 18,
	[SIP2_ITEM_INFO_RESP] = 19,
	[SIP2_ITEM_STATUS] = 20,
	[SIP2_ITEM_STATUS_RESP] = 21,
	[SIP2_PATRON_ENABLE] = 22,
	[SIP2_PATRON_ENABLE_RESP] = 23,
	[SIP2_HOLD] = 24,
	[SIP2_HOLD_RESP] = 25,
	[SIP2_RENEW] = 26,
	[SIP2_RENEW_RESP] = 27,
	[SIP2_RENEW_ALL] = 28,
	[SIP2_RENEW_ALL_RESP] = 29,
	[SIP2_RESEND] = 30,
	[SIP2_REQUEST_RESEND] = 31,
};

static const char *const fx_names[SIP2_FX__COUNT] = {
	[SIP2_FX_UID_ALGO] = "uid-algorithm",
	[SIP2_FX_PWD_ALGO] = "pwd-algorithm",
	[SIP2_FX_OK] = "ok",
	[SIP2_FX_STATUS_CODE] = "status-code",
	[SIP2_FX_MAX_PRINT_WIDTH] = "max-print-width",
	[SIP2_FX_PROTOCOL_VERSION] = "protocol-version",
	[SIP2_FX_ONLINE] = "online-status",
	[SIP2_FX_CHECKIN_OK] = "checkin-ok",
	[SIP2_FX_CHECKOUT_OK] = "checkout-ok",
	[SIP2_FX_ACS_RENEWAL_POLICY] = "acs-renewal-policy",
	[SIP2_FX_STATUS_UPDATE_OK] = "status-update-ok",
	[SIP2_FX_OFFLINE_OK] = "offline-ok",
	[SIP2_FX_TIMEOUT] = "timeout-period",
	[SIP2_FX_RETRIES] = "retries-allowed",
	[SIP2_FX_DATE] = "transaction-date",
	[SIP2_FX_LANGUAGE] = "language",
	[SIP2_FX_PATRON_STATUS] = "patron-status",
	[SIP2_FX_SUMMARY] = "summary",
	[SIP2_FX_HOLD_COUNT] = "hold-items-count",
	[SIP2_FX_OVERDUE_COUNT] = "overdue-items-count",
	[SIP2_FX_CHARGED_COUNT] = "charged-items-count",
	[SIP2_FX_FINE_COUNT] = "fine-items-count",
	[SIP2_FX_RECALL_COUNT] = "recall-items-count",
	[SIP2_FX_UNAVAIL_HOLD_COUNT] = "unavailable-holds-count",
	[SIP2_FX_SC_RENEWAL_POLICY] = "sc-renewal-policy",
	[SIP2_FX_NO_BLOCK] = "no-block",
	[SIP2_FX_NB_DUE_DATE] = "nb-due-date",
	[SIP2_FX_RETURN_DATE] = "return-date",
	[SIP2_FX_RENEWAL_OK] = "renewal-ok",
	[SIP2_FX_MAGNETIC] = "magnetic-media",
	[SIP2_FX_DESENSITIZE] = "desensitize",
	[SIP2_FX_RESENSITIZE] = "resensitize",
	[SIP2_FX_ALERT] = "alert",
	[SIP2_FX_CARD_RETAINED] = "card-retained",
	[SIP2_FX_END_SESSION] = "end-session",
	[SIP2_FX_FEE_TYPE] = "fee-type",
	[SIP2_FX_PAYMENT_TYPE] = "payment-type",
	[SIP2_FX_CURRENCY] = "currency-type",
	[SIP2_FX_PAYMENT_ACCEPTED] = "payment-accepted",
	[SIP2_FX_CIRC_STATUS] = "circulation-status",
	[SIP2_FX_SECURITY_MARKER] = "security-marker",
	[SIP2_FX_ITEM_PROPS_OK] = "item-properties-ok",
	[SIP2_FX_HOLD_MODE] = "hold-mode",
	[SIP2_FX_AVAILABLE] = "available",
	[SIP2_FX_THIRD_PARTY] = "third-party-allowed",
	[SIP2_FX_RENEWED_COUNT] = "renewed-count",
	[SIP2_FX_UNRENEWED_COUNT] = "unrenewed-count",
};

/* Every field id SIP2 2.00 defines, and the common extensions, by id. */
static const struct {
	const char	*id;
	const char	*name;
} field_names[] = {
	{ "AA", "patron id" },
	{ "AB", "item id" },
	{ "AC", "terminal password" },
	{ "AD", "patron password" },
	{ "AE", "name" },
	{ "AF", "screen message" },
	{ "AG", "print line" },
	{ "AH", "due date" },
	{ "AJ", "title" },
	{ "AL", "blocked card message" },
	{ "AM", "library name" },
	{ "AN", "terminal location" },
	{ "AO", "institution id" },
	{ "AP", "current location" },
	{ "AQ", "permanent location" },
	{ "AS", "hold items" },
	{ "AT", "overdue items" },
	{ "AU", "charged items" },
	{ "AV", "fine items" },
	{ "AY", "sequence number" },
	{ "AZ", "checksum" },
	{ "BD", "home address" },
	{ "BE", "e-mail address" },
	{ "BF", "home phone number" },
	{ "BG", "owner" },
	{ "BH", "currency type" },
	{ "BI", "cancel" },
	{ "BK", "transaction id" },
	{ "BL", "valid patron" },
	{ "BM", "renewed items" },
	{ "BN", "unrenewed items" },
	{ "BO", "fee acknowledged" },
	{ "BP", "start item" },
	{ "BQ", "end item" },
	{ "BR", "queue position" },
	{ "BS", "pickup location" },
	{ "BT", "fee type" },
	{ "BU", "recall items" },
	{ "BV", "fee amount" },
	{ "BW", "expiration date" },
	{ "BX", "supported messages" },
	{ "BY", "hold type" },
	{ "BZ", "hold items limit" },
	{ "CA", "overdue items limit" },
	{ "CB", "charged items limit" },
	{ "CC", "fee limit" },
	{ "CD", "unavailable hold items" },
	{ "CF", "hold queue length" },
	{ "CG", "fee id" },
	{ "CH", "item properties" },
	{ "CI", "security inhibit" },
	{ "CJ", "recall date" },
	{ "CK", "media type" },
	{ "CL", "sort bin" },
	{ "CM", "hold pickup date" },
	{ "CN", "login user id" },
	{ "CO", "login password" },
	{ "CP", "location code" },
	{ "CQ", "valid patron password" },
	{ "CR", "collection code" },
	{ "CS", "call number" },
	{ "CT", "destination location" },
	{ "CV", "alert type" },
	{ "CY", "hold patron id" },
	{ "DA", "hold patron name" },
	{ "PA", "expiry date" },
	{ "PB", "birth date" },
	{ "PC", "patron class" },
	{ "PI", "internet profile" },
};

#define NFIELDS	(sizeof(field_names) / sizeof(field_names[0]))

/* Return the spec for a code, or NULL when the code is not SIP2 2.00. */
const struct sip2_spec *
sip2_spec_find(int code)
{
	if (code < 0 || code >= 100 || spec_index[code] == 0)
		return (NULL);
	return (&specs[spec_index[code] - 1]);
}

/* Return the spec for a name ("checkout") or a two-digit code, or NULL. */
const struct sip2_spec *
sip2_spec_by_name(const char *name)
{
	size_t	 i;

	if (name == NULL)
		return (NULL);
	if (name[0] >= '0' && name[0] <= '9' && name[1] >= '0' &&
	    name[1] <= '9' && name[2] == '\0')
		return (sip2_spec_find((name[0] - '0') * 10 + name[1] - '0'));
	for (i = 0; i < NSPECS; i++) {
		if (strcmp(specs[i].name, name) == 0)
			return (&specs[i]);
	}
	return (NULL);
}

/* Return a fixed field's name ("ok", "transaction-date"), never NULL. */
const char *
sip2_fx_name(enum sip2_fx fx)
{
	if ((int)fx < 0 || fx >= SIP2_FX__COUNT)
		return ("unknown");
	return (fx_names[fx]);
}

/* Return the fixed field named so, or -1. */
int
sip2_fx_from_name(const char *name)
{
	int	 i;

	if (name == NULL)
		return (-1);
	for (i = 0; i < SIP2_FX__COUNT; i++) {
		if (strcmp(fx_names[i], name) == 0)
			return (i);
	}
	return (-1);
}

/* Return a human name for a field id ("patron id"), or NULL if unknown. */
const char *
sip2_field_name(const char *id)
{
	size_t	 lo = 0, hi = NFIELDS, mid;
	int	 c;

	if (id == NULL || id[0] == '\0' || id[1] == '\0')
		return (NULL);
	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strncmp(id, field_names[mid].id, 2);
		if (c == 0)
			return (field_names[mid].name);
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (NULL);
}
