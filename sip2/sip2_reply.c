/* SPDX-License-Identifier: ISC */
/*
 * Refusals: the response a server sends for a request it will not or
 * cannot carry out, complete enough that every terminal takes it.
 */

#include "config.h"

#include <string.h>
#include <time.h>

#include "sip2.h"

/* Ids a response carries back from its request, when the request has them. */
static const struct {
	int		 code;
	const char	*echo;
} reply_echo[] = {
	{ SIP2_LOGIN_RESP, "" },
	{ SIP2_ACS_STATUS, "AO" },
	{ SIP2_PATRON_STATUS_RESP, "AOAA" },
	{ SIP2_PATRON_INFO_RESP, "AOAA" },
	{ SIP2_CHECKOUT_RESP, "AOAAAB" },
	{ SIP2_RENEW_RESP, "AOAAAB" },
	{ SIP2_CHECKIN_RESP, "AOABAA" },
	{ SIP2_END_SESSION_RESP, "AOAA" },
	{ SIP2_FEE_PAID_RESP, "AOAA" },
	{ SIP2_ITEM_INFO_RESP, "AB" },
	{ SIP2_ITEM_STATUS_RESP, "AB" },
	{ SIP2_PATRON_ENABLE_RESP, "AOAA" },
	{ SIP2_HOLD_RESP, "AOAAAB" },
	{ SIP2_RENEW_ALL_RESP, "AO" },
};

/*
 * Return what a refusal puts in a fixed field: no, nothing, none, unknown.
 * A refused checkout or checkin leaves the item's security as it was.
 */
static const char *
reply_fixed(enum sip2_fx fx, const struct sip2_msg *req, const char *date)
{
	const char	*lang;

	switch (fx) {
	case SIP2_FX_OK:
	case SIP2_FX_ITEM_PROPS_OK:
		return ("0");
	case SIP2_FX_DATE:
		return (date);
	case SIP2_FX_PROTOCOL_VERSION:
		return ("2.00");
	case SIP2_FX_TIMEOUT:
	case SIP2_FX_RETRIES:
		return ("999");		/* unknown */
	case SIP2_FX_LANGUAGE:
		lang = sip2_msg_fixed(req, SIP2_FX_LANGUAGE);
		return (lang != NULL ? lang : "000");
	case SIP2_FX_PATRON_STATUS:
		/* Charge, renewal, recall and hold privileges denied. */
		return ("YYYY          ");
	case SIP2_FX_HOLD_COUNT:
	case SIP2_FX_OVERDUE_COUNT:
	case SIP2_FX_CHARGED_COUNT:
	case SIP2_FX_FINE_COUNT:
	case SIP2_FX_RECALL_COUNT:
	case SIP2_FX_UNAVAIL_HOLD_COUNT:
	case SIP2_FX_RENEWED_COUNT:
	case SIP2_FX_UNRENEWED_COUNT:
		return ("0000");
	case SIP2_FX_MAGNETIC:
		return ("U");
	case SIP2_FX_CIRC_STATUS:
	case SIP2_FX_FEE_TYPE:
		return ("01");		/* other */
	case SIP2_FX_SECURITY_MARKER:
		return ("00");		/* other */
	default:
		return ("N");
	}
}

static int
reply_fields(struct sip2_msg *m, const struct sip2_msg *req,
    const char *screen)
{
	const struct sip2_spec	*spec = sip2_msg_spec(m);
	const char		*echo = "", *r, *v;
	char			 id[3];
	size_t			 i;
	int			 code = spec->code;

	for (i = 0; i < sizeof(reply_echo) / sizeof(reply_echo[0]); i++) {
		if (reply_echo[i].code == code)
			echo = reply_echo[i].echo;
	}
	id[2] = '\0';
	for (r = echo; r[0] != '\0'; r += 2) {
		id[0] = r[0];
		id[1] = r[1];
		if ((v = sip2_msg_field(req, id)) != NULL &&
		    sip2_msg_add_field(m, id, v) == -1)
			return (-1);
	}
	/* Required fields go out even when there is nothing to say. */
	while ((r = sip2_msg_missing(m)) != NULL) {
		v = strcmp(r, "BX") == 0 ? "NNNNNNNNNNNNNNNN" : "";
		if (sip2_msg_add_field(m, r, v) == -1)
			return (-1);
	}
	if (code == SIP2_PATRON_STATUS_RESP || code == SIP2_PATRON_INFO_RESP ||
	    code == SIP2_PATRON_ENABLE_RESP) {
		if (sip2_msg_add_field(m, "BL", "N") == -1)
			return (-1);
		if (sip2_msg_field(req, "AD") != NULL &&
		    sip2_msg_add_field(m, "CQ", "N") == -1)
			return (-1);
	}
	if (screen != NULL && screen[0] != '\0' &&
	    sip2_msg_add_field(m, "AF", screen) == -1)
		return (-1);
	return (0);
}

/*
 * Build the refusal for a request: its response code with every fixed
 * field saying no, dated now in local time, the request's institution,
 * patron and item echoed, required fields present, the screen message in
 * AF and the request's sequence.  NULL for codes with no response and on
 * no memory.
 */
struct sip2_msg *
sip2_reply_error(const struct sip2_msg *req, const char *screen, time_t now)
{
	const struct sip2_spec	*spec;
	struct sip2_msg		*m;
	char			 date[19];
	size_t			 i;

	if (req == NULL || sip2_msg_spec(req)->response == 0)
		return (NULL);
	if ((m = sip2_msg_new(sip2_msg_spec(req)->response)) == NULL)
		return (NULL);
	spec = sip2_msg_spec(m);
	sip2_date_format(now, 0, date);
	for (i = 0; i < spec->nfixed; i++)
		sip2_msg_set_fixed(m, spec->fixed[i].fx,
		    reply_fixed(spec->fixed[i].fx, req, date));
	if (reply_fields(m, req, screen) == -1) {
		sip2_msg_free(m);
		return (NULL);
	}
	sip2_msg_set_seq(m, sip2_msg_seq(req));
	return (m);
}
