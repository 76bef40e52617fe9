/* SPDX-License-Identifier: ISC */
/*
 * The control socket of circlinkd and the words circlinkctl and the daemon
 * share over it.
 */

#ifndef CIRCLINK_CONTROL_H
#define CIRCLINK_CONTROL_H

#include <sys/types.h>

#define CONTROL_SOCKET		"circlinkd.sock"	/* in the state dir */
#define CONTROL_LINE_MAX	4096	/* one line of a request */
#define CONTROL_TIMEOUT		10	/* s a client may take */

/*
 * A request is one line of words, and for a command that needs a
 * credential a second line holding it.  The answer's first line is "ok"
 * or "error: " and why; lines of detail may follow; then the daemon
 * closes the connection.
 */
#define CONTROL_OK		"ok"
#define CONTROL_ERROR		"error: "

/*
 * link import [dry-run]: after the command the client sends its file one
 * line at a time, each as IMPORT_ROW and the line (at most IMPORT_LINE_MAX
 * bytes), or IMPORT_BAD and why it could not ("line-too-long",
 * "nul-byte"), then IMPORT_END on a line of its own.  The answer, once
 * the header row is read, is "ok" and one line per row, "line N OUTCOME
 * REASON [PARTNER]", in the order rows are decided, then "summary ..."
 * with the counts; or an error.
 */
#define IMPORT_LINE_MAX		1024
#define IMPORT_ROW		'>'
#define IMPORT_BAD		'!'
#define IMPORT_END		"."

struct event_base;

/*
 * Open the control socket in dir, creating dir (mode 0750) when it is
 * missing, and give both to uid and gid when they are not -1.  A socket
 * left by a daemon that is gone is replaced; one a live daemon answers on
 * is not.  Returns -1 with a message in err.
 */
int	 control_open(struct event_base *, const char *, uid_t, gid_t, char *,
	    size_t);
/* Close the socket and every control connection, and remove the file. */
void	 control_close(void);

#endif /* CIRCLINK_CONTROL_H */
