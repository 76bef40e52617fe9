/* SPDX-License-Identifier: ISC */
/*
 * The SIP2 wire codec: framing, parsing, building, checksums, character
 * sets, dates and log redaction.  Nothing here does I/O.
 */

#ifndef CIRCLINK_SIP2_H
#define CIRCLINK_SIP2_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SIP2_MSG_MAX		8192	/* default cap on one framed message */
#define SIP2_FIELD_MAX		255	/* longest variable field value */
#define SIP2_BUILD_MAX		(SIP2_MSG_MAX * 4) /* enough for any build */

/* Message codes, requests and responses alike. */
enum sip2_code {
	SIP2_BLOCK_PATRON = 1,
	SIP2_CHECKIN = 9,
	SIP2_CHECKIN_RESP = 10,
	SIP2_CHECKOUT = 11,
	SIP2_CHECKOUT_RESP = 12,
	SIP2_HOLD = 15,
	SIP2_HOLD_RESP = 16,
	SIP2_ITEM_INFO = 17,
	SIP2_ITEM_INFO_RESP = 18,
	SIP2_ITEM_STATUS = 19,
	SIP2_ITEM_STATUS_RESP = 20,
	SIP2_PATRON_STATUS = 23,
	SIP2_PATRON_STATUS_RESP = 24,
	SIP2_PATRON_ENABLE = 25,
	SIP2_PATRON_ENABLE_RESP = 26,
	SIP2_RENEW = 29,
	SIP2_RENEW_RESP = 30,
	SIP2_END_SESSION = 35,
	SIP2_END_SESSION_RESP = 36,
	SIP2_FEE_PAID = 37,
	SIP2_FEE_PAID_RESP = 38,
	SIP2_PATRON_INFO = 63,
	SIP2_PATRON_INFO_RESP = 64,
	SIP2_RENEW_ALL = 65,
	SIP2_RENEW_ALL_RESP = 66,
	SIP2_LOGIN = 93,
	SIP2_LOGIN_RESP = 94,
	SIP2_REQUEST_RESEND = 96,	/* "your message was garbled" */
	SIP2_RESEND = 97,		/* "send your last message again" */
	SIP2_ACS_STATUS = 98,
	SIP2_SC_STATUS = 99,
};

/*
 * Fixed fields, named once for every message that carries them.  A message's
 * spec lists which of these it has, in wire order, with their widths.
 */
enum sip2_fx {
	SIP2_FX_UID_ALGO,		/* 93: 1 */
	SIP2_FX_PWD_ALGO,		/* 93: 1 */
	SIP2_FX_OK,			/* 94 12 10 16 30 66: 1 */
	SIP2_FX_STATUS_CODE,		/* 99: 1 */
	SIP2_FX_MAX_PRINT_WIDTH,	/* 99: 3 */
	SIP2_FX_PROTOCOL_VERSION,	/* 99 98: 4 */
	SIP2_FX_ONLINE,			/* 98: 1 */
	SIP2_FX_CHECKIN_OK,		/* 98: 1 */
	SIP2_FX_CHECKOUT_OK,		/* 98: 1 */
	SIP2_FX_ACS_RENEWAL_POLICY,	/* 98: 1 */
	SIP2_FX_STATUS_UPDATE_OK,	/* 98: 1 */
	SIP2_FX_OFFLINE_OK,		/* 98: 1 */
	SIP2_FX_TIMEOUT,		/* 98: 3 */
	SIP2_FX_RETRIES,		/* 98: 3 */
	SIP2_FX_DATE,			/* transaction date, date/time sync: 18 */
	SIP2_FX_LANGUAGE,		/* 3 */
	SIP2_FX_PATRON_STATUS,		/* 14 */
	SIP2_FX_SUMMARY,		/* 63: 10 */
	SIP2_FX_HOLD_COUNT,		/* 64: 4 */
	SIP2_FX_OVERDUE_COUNT,		/* 64: 4 */
	SIP2_FX_CHARGED_COUNT,		/* 64: 4 */
	SIP2_FX_FINE_COUNT,		/* 64: 4 */
	SIP2_FX_RECALL_COUNT,		/* 64: 4 */
	SIP2_FX_UNAVAIL_HOLD_COUNT,	/* 64: 4 */
	SIP2_FX_SC_RENEWAL_POLICY,	/* 11: 1 */
	SIP2_FX_NO_BLOCK,		/* 11 09 29: 1 */
	SIP2_FX_NB_DUE_DATE,		/* 11 29: 18 */
	SIP2_FX_RETURN_DATE,		/* 09: 18 */
	SIP2_FX_RENEWAL_OK,		/* 12 30: 1 */
	SIP2_FX_MAGNETIC,		/* 12 10 30: 1 */
	SIP2_FX_DESENSITIZE,		/* 12 30: 1 */
	SIP2_FX_RESENSITIZE,		/* 10: 1 */
	SIP2_FX_ALERT,			/* 10: 1 */
	SIP2_FX_CARD_RETAINED,		/* 01: 1 */
	SIP2_FX_END_SESSION,		/* 36: 1 */
	SIP2_FX_FEE_TYPE,		/* 37 18: 2 */
	SIP2_FX_PAYMENT_TYPE,		/* 37: 2 */
	SIP2_FX_CURRENCY,		/* 37: 3 */
	SIP2_FX_PAYMENT_ACCEPTED,	/* 38: 1 */
	SIP2_FX_CIRC_STATUS,		/* 18: 2 */
	SIP2_FX_SECURITY_MARKER,	/* 18: 2 */
	SIP2_FX_ITEM_PROPS_OK,		/* 20: 1 */
	SIP2_FX_HOLD_MODE,		/* 15: 1 */
	SIP2_FX_AVAILABLE,		/* 16: 1 */
	SIP2_FX_THIRD_PARTY,		/* 29: 1 */
	SIP2_FX_RENEWED_COUNT,		/* 66: 4 */
	SIP2_FX_UNRENEWED_COUNT,	/* 66: 4 */
	SIP2_FX__COUNT
};

/* Character sets a terminal or an ILS may speak on the wire. */
enum sip2_charset {
	SIP2_CS_UTF8,
	SIP2_CS_ASCII,		/* diacritics folded on the way out */
	SIP2_CS_CP850,
	SIP2_CS_LATIN1,
};

/* Message terminators. */
enum sip2_term {
	SIP2_TERM_CR,
	SIP2_TERM_CRLF,
	SIP2_TERM_LF,
};

/* How one hop speaks: one of these per terminal and per backend. */
struct sip2_wire {
	enum sip2_charset	 charset;
	enum sip2_term		 term;
	char			 delim;		/* field delimiter, normally '|' */
	int			 checksums;	/* add AY/AZ when building */
};

/* Parse errors, in the order a parser meets them. */
enum sip2_err {
	SIP2_OK = 0,
	SIP2_ERR_SHORT,		/* shorter than a code */
	SIP2_ERR_CODE,		/* not a known message code */
	SIP2_ERR_FIXED,		/* fixed fields truncated */
	SIP2_ERR_CHECKSUM,	/* AZ present and wrong */
	SIP2_ERR_TRAILER,	/* AY or AZ malformed */
	SIP2_ERR_FIELD,		/* variable field malformed */
	SIP2_ERR_CHARSET,	/* bytes not valid in the wire charset */
	SIP2_ERR_TOOLONG,	/* over the length cap */
	SIP2_ERR_NOMEM,
};

/* What sip2_frame() found. */
enum sip2_frame_res {
	SIP2_FRAME_MORE,	/* no complete message yet */
	SIP2_FRAME_MSG,		/* one message at [off, off + msglen) */
	SIP2_FRAME_TOOLONG,	/* garbage over the cap; dropping to next CR/LF */
};

/* Framing state for one input stream. */
struct sip2_framer {
	size_t		 max;		/* length cap; 0 means SIP2_MSG_MAX */
	int		 skipping;	/* dropping an oversized message */
};

/* One message's static description. */
struct sip2_spec {
	int		 code;
	const char	*name;		/* "checkout", "patron-status", ... */
	int		 response;	/* code of the answer, 0 if none */
	int		 request;	/* 1 for requests sent by a terminal */
	size_t		 nfixed;
	struct {
		enum sip2_fx	 fx;
		size_t		 width;
	}		 fixed[12];
	const char	*required;	/* required field ids, "AOAAAB" */
};

struct sip2_msg;	/* opaque; owns all its strings */

/* sip2_spec.c */
/* Return the spec for a code, or NULL when the code is not SIP2 2.00. */
const struct sip2_spec	*sip2_spec_find(int);
/* Return the spec for a name ("checkout") or a two-digit code, or NULL. */
const struct sip2_spec	*sip2_spec_by_name(const char *);
/* Return a fixed field's name ("ok", "transaction-date"), never NULL. */
const char		*sip2_fx_name(enum sip2_fx);
/* Return the fixed field named so, or -1. */
int			 sip2_fx_from_name(const char *);
/* Return a human name for a field id ("patron id"), or NULL if unknown. */
const char		*sip2_field_name(const char *);

/* sip2_msg.c */
/*
 * Make an empty message of a known code, fixed fields blank (spaces), no
 * variable fields, no sequence.  Returns NULL on an unknown code or no
 * memory.  The caller frees it with sip2_msg_free().
 */
struct sip2_msg	*sip2_msg_new(int);
/* Free a message and every string it handed out; NULL is fine. */
void		 sip2_msg_free(struct sip2_msg *);
/* Return a deep copy, or NULL on no memory. */
struct sip2_msg	*sip2_msg_dup(const struct sip2_msg *);
int		 sip2_msg_code(const struct sip2_msg *);
const struct sip2_spec *sip2_msg_spec(const struct sip2_msg *);
/*
 * Return a fixed field's value (exactly its width, NUL-terminated) or NULL
 * when the message has no such field.  Valid until the message changes.
 */
const char	*sip2_msg_fixed(const struct sip2_msg *, enum sip2_fx);
/*
 * Set a fixed field: a shorter value is padded with spaces, a longer one cut.
 * Returns -1 if the message has no such field.
 */
int		 sip2_msg_set_fixed(struct sip2_msg *, enum sip2_fx, const char *);
/* Return the first value of a field id, or NULL.  Valid until a change. */
const char	*sip2_msg_field(const struct sip2_msg *, const char *);
/* Return how many variable fields there are (repeats and unknown included). */
size_t		 sip2_msg_nfields(const struct sip2_msg *);
/* Return field i's value and set *id to its two-character id. */
const char	*sip2_msg_field_at(const struct sip2_msg *, size_t,
		    const char **);
/*
 * Append a field.  The value is cut at SIP2_FIELD_MAX bytes and any '|' or
 * control character in it is dropped.  Returns -1 on no memory.
 */
int		 sip2_msg_add_field(struct sip2_msg *, const char *,
		    const char *);
/* Replace the first field with this id, or append one.  -1 on no memory. */
int		 sip2_msg_set_field(struct sip2_msg *, const char *,
		    const char *);
/* Remove every field with this id; returns how many went. */
int		 sip2_msg_del_field(struct sip2_msg *, const char *);
/* Return the sequence number 0-9, or -1 when the message had none. */
int		 sip2_msg_seq(const struct sip2_msg *);
void		 sip2_msg_set_seq(struct sip2_msg *, int);
/* Return the id of the first required field missing, or NULL. */
const char	*sip2_msg_missing(const struct sip2_msg *);

/* sip2_frame.c */
/*
 * Find the next message in data.  Leading CR and LF are skipped.  On
 * SIP2_FRAME_MSG the message (without terminator) is [*off, *off + *msglen).
 * In every case the caller drops *consumed bytes from its buffer.
 */
enum sip2_frame_res sip2_frame(struct sip2_framer *, const char *, size_t,
		    size_t *, size_t *, size_t *);

/* sip2_parse.c */
/*
 * Parse one framed message in the wire's charset into a message whose
 * strings are UTF-8.  A trailer with AZ is verified; AY is kept as the
 * sequence.  Returns NULL and sets *err on failure.
 */
struct sip2_msg	*sip2_parse(const char *, size_t, const struct sip2_wire *,
		    enum sip2_err *);
/* Return a short English description of a parse error, never NULL. */
const char	*sip2_strerror(enum sip2_err);

/* sip2_build.c */
/*
 * Encode a message for the wire: code, fixed fields, variable fields in
 * order, the AY/AZ trailer when wire->checksums (sequence 0 when the message
 * has none), and the terminator.  Returns the length written, or -1 when
 * out is too small.  Never writes a NUL past the returned length.
 */
ssize_t		 sip2_build(const struct sip2_msg *, const struct sip2_wire *,
		    char *, size_t);

/* sip2_checksum.c */
/* Return the SIP2 checksum of the bytes: their sum, negated, 16 bits. */
uint16_t	 sip2_checksum(const char *, size_t);
/* Return 1 if msg ends in a correct AZ trailer, 0 if wrong, -1 if none. */
int		 sip2_checksum_verify(const char *, size_t);

/* sip2_charset.c */
/* Set *cs from "utf-8", "ascii", "cp850", "iso-8859-1"; -1 if unknown. */
int		 sip2_charset_from_name(const char *, enum sip2_charset *);
const char	*sip2_charset_name(enum sip2_charset);
/* Convert wire bytes to UTF-8.  Returns output length or -1 (bad/too long). */
ssize_t		 sip2_to_utf8(enum sip2_charset, const char *, size_t,
		    char *, size_t);
/*
 * Convert UTF-8 to wire bytes, folding or replacing with '?' what the
 * charset cannot hold.  Returns output length or -1 when out is too small.
 */
ssize_t		 sip2_from_utf8(enum sip2_charset, const char *, size_t,
		    char *, size_t);

/* sip2_date.c */
/* Write t as an 18-character SIP2 date, local or UTC ("   Z"), NUL added. */
void		 sip2_date_format(time_t, int, char [19]);
/* Parse an 18-character SIP2 date; 18 blanks give 0.  -1 if malformed. */
int		 sip2_date_parse(const char *, time_t *);
/* Parse a due date in any common format (SIP2, ISO 8601, US). -1 if none. */
int		 sip2_date_parse_lenient(const char *, time_t *);

/* sip2_redact.c */
/*
 * Write a log-safe rendering of wire bytes: AC, AD, CO and CN values become
 * ********, patron ids (AA, CY) keep four characters and are masked, names,
 * addresses, e-mail, phone and birth date (AE, BD, BE, BF, PB, DA) are
 * dropped, control bytes are escaped.  Always NUL-terminates; returns the
 * length written.
 */
size_t		 sip2_redact(const char *, size_t, char, char *, size_t);
/*
 * Mask one patron id the way the logs show it: the first characters (four
 * at most), then one '*' for each character more.  Always terminates;
 * returns the length written.
 */
size_t		 sip2_redact_id(const char *, char *, size_t);
/* The same for a parsed message, rendered as wire text. */
size_t		 sip2_msg_redact(const struct sip2_msg *, char *, size_t);
/*
 * Write a multi-line "name: value" description for people, redacted unless
 * the last argument is 1.  Returns the length written; always terminates.
 */
size_t		 sip2_msg_describe(const struct sip2_msg *, char *, size_t,
		    int);

/* sip2_reply.c */
/*
 * Build the refusal a server sends for a request it cannot carry out: the
 * request's response code, "no" in its ok or status fields, the request's
 * institution, patron and item echoed, the screen message in AF, the
 * request's sequence, dated now.  NULL for codes with no response.
 */
struct sip2_msg	*sip2_reply_error(const struct sip2_msg *, const char *,
		    time_t);

/*
 * For the codec's own files only: raw access that lets sip2_parse() and
 * sip2_build() skip the copies, checks and calls per field of the calls
 * above.  Nothing outside sip2/ may use these.
 */

/* One variable field; its value is in the message's text buffer. */
struct sip2_field {
	uint32_t	 off;		/* value's offset, NUL-terminated */
	uint16_t	 len;		/* at most SIP2_FIELD_MAX */
	char		 id[3];
	uint8_t		 plain;		/* printable ASCII without '|' */
};

/* sip2_msg.c */
/*
 * Make a message of a known spec with room for n fields and len bytes of
 * text; set *fields and *text to those buffers.  Fixed fields are
 * undefined until sip2_msg_load_fixed().  NULL on no memory.
 */
struct sip2_msg	*sip2_msg_alloc(const struct sip2_spec *, size_t, size_t,
		    struct sip2_field **, char **);
/*
 * Say how many fields the caller wrote into the buffers of
 * sip2_msg_alloc(), how much text they use, and the sum of 3 + len over
 * them.  Values must be UTF-8 without control bytes.
 */
void		 sip2_msg_filled(struct sip2_msg *, size_t, size_t, size_t);
/*
 * Set all fixed fields from their wire form, one after another; the flag
 * says the bytes are known to be printable ASCII.
 */
void		 sip2_msg_load_fixed(struct sip2_msg *, const char *, int);
/* Write all fixed fields in wire form to out; returns the bytes written. */
size_t		 sip2_msg_store_fixed(const struct sip2_msg *, char *);
/* Return the fields, set *n to their number and *text to the values. */
const struct sip2_field *sip2_msg_fieldv(const struct sip2_msg *, size_t *,
		    const char **);

/* sip2_checksum.c */
/* Return the bytes' sum and set *printable to whether all are printable. */
uint32_t	 sip2_checksum_scan(const char *, size_t, int *);

#endif /* CIRCLINK_SIP2_H */
