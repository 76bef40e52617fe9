/* SPDX-License-Identifier: ISC */
/*
 * Framing: cut a byte stream into SIP2 messages at CR, LF or CRLF, with a
 * cap on a message's length so that garbage cannot grow a buffer.
 */

#include "config.h"

#include <string.h>

#include "sip2.h"

/* Return the index of the first CR or LF in [from, to), or to. */
static size_t
frame_term(const char *data, size_t from, size_t to)
{
	const char	*cr, *lf;
	size_t		 end;

	if (from >= to)
		return (to);
	cr = memchr(data + from, '\r', to - from);
	end = cr != NULL ? (size_t)(cr - data) : to;
	if (end == from)
		return (end);
	lf = memchr(data + from, '\n', end - from);
	return (lf != NULL ? (size_t)(lf - data) : end);
}

/*
 * Find the next message in data.  Blank lines are skipped.  A message over
 * the cap is reported once as SIP2_FRAME_TOOLONG and dropped up to its
 * terminator, even when that comes in later reads.
 */
enum sip2_frame_res
sip2_frame(struct sip2_framer *fr, const char *data, size_t len,
    size_t *off, size_t *msglen, size_t *consumed)
{
	size_t	 max = fr->max != 0 ? fr->max : SIP2_MSG_MAX;
	size_t	 start = 0, t, lim;

	*off = 0;
	*msglen = 0;
	*consumed = 0;
	if (len == 0)
		return (SIP2_FRAME_MORE);

	if (fr->skipping) {
		if ((start = frame_term(data, 0, len)) == len) {
			*consumed = len;
			return (SIP2_FRAME_MORE);
		}
		fr->skipping = 0;
	}
	while (start < len && (data[start] == '\r' || data[start] == '\n'))
		start++;

	lim = len - start > max ? start + max + 1 : len;
	if ((t = frame_term(data, start, lim)) == lim) {
		if (len - start <= max) {
			*consumed = start;
			return (SIP2_FRAME_MORE);
		}
		/* Over the cap: drop through the terminator, if we have it. */
		if ((t = frame_term(data, lim, len)) == len) {
			fr->skipping = 1;
			*consumed = len;
		} else
			*consumed = t + 1;
		return (SIP2_FRAME_TOOLONG);
	}

	*off = start;
	*msglen = t - start;
	if (data[t] == '\r' && t + 1 < len && data[t + 1] == '\n')
		t++;
	*consumed = t + 1;
	return (SIP2_FRAME_MSG);
}
