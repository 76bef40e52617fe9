/* SPDX-License-Identifier: ISC */
/*
 * NCIP messages in memory: the arena that owns a message's strings and
 * arrays, what a service needs, and small readings of what a message says.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ncip.h"

#define ARENA_CHUNK	4096

/* One block of the arena; blocks are chained and freed together. */
struct ncip_arena {
	struct ncip_arena	*next;
	size_t			 size;
	size_t			 used;
	/* the bytes follow, aligned for any object */
	max_align_t		 data[];
};

static struct ncip_arena *
arena_block(size_t size)
{
	struct ncip_arena	*a;

	if (size > SIZE_MAX - sizeof(*a))
		return (NULL);
	if ((a = malloc(sizeof(*a) + size)) == NULL)
		return (NULL);
	a->next = NULL;
	a->size = size;
	a->used = 0;
	return (a);
}

/* Return zeroed space from the arena chain of m, or NULL. */
void *
ncip_arena_alloc(struct ncip_msg *m, size_t size)
{
	struct ncip_arena	*a, *b;
	size_t			 align = sizeof(max_align_t), off;
	char			*p;

	if (size == 0)
		size = 1;
	if (size > SIZE_MAX - align)
		return (NULL);
	size = (size + align - 1) & ~(align - 1);
	a = m->arena;
	if (a == NULL || a->size - a->used < size) {
		/* Big requests get a block of their own behind the head. */
		if ((b = arena_block(size > ARENA_CHUNK / 4 ? size :
		    ARENA_CHUNK)) == NULL)
			return (NULL);
		if (a != NULL && size > ARENA_CHUNK / 4) {
			b->next = a->next;
			a->next = b;
		} else {
			b->next = a;
			m->arena = b;
		}
		a = b;
	}
	off = a->used;
	a->used += size;
	p = (char *)a->data + off;
	memset(p, 0, size);
	return (p);
}

/* Grow an arena array when n reaches its capacity; return the new slot. */
void *
ncip_arena_push(struct ncip_msg *m, void **arr, size_t *n, size_t size)
{
	size_t	 cap;
	void	*na;

	/* Capacity is implied by n: 4, then the next power of two. */
	if (*n == 0 || (*n >= 4 && (*n & (*n - 1)) == 0)) {
		cap = *n == 0 ? 4 : *n * 2;
		if (cap > SIZE_MAX / size)
			return (NULL);
		if ((na = ncip_arena_alloc(m, cap * size)) == NULL)
			return (NULL);
		if (*n > 0)
			memcpy(na, *arr, *n * size);
		*arr = na;
	}
	na = (char *)*arr + *n * size;
	memset(na, 0, size);
	(*n)++;
	return (na);
}

/* Copy len bytes and a NUL into the arena. */
char *
ncip_arena_strndup(struct ncip_msg *m, const char *s, size_t len)
{
	char	*p;

	if (len == SIZE_MAX || (p = ncip_arena_alloc(m, len + 1)) == NULL)
		return (NULL);
	memcpy(p, s, len);
	p[len] = '\0';
	return (p);
}

static void
msg_init(struct ncip_msg *m, enum ncip_service svc)
{
	memset(m, 0, sizeof(*m));
	m->service = svc;
	ncip_dialect_default(&m->dialect, 2);
	m->version_str = m->dialect.version_str;
	m->renewal_count = -1;
	m->item.hold_queue_length = -1;
	m->max_items = -1;
}

/* Make an empty message of a service. */
struct ncip_msg *
ncip_msg_new(enum ncip_service svc)
{
	struct ncip_msg	*m;

	if (svc <= NCIP_SVC_NONE || svc >= NCIP_SVC__COUNT)
		return (NULL);
	if ((m = malloc(sizeof(*m))) == NULL)
		return (NULL);
	msg_init(m, svc);
	return (m);
}

/* Free a message and its arena. */
void
ncip_msg_free(struct ncip_msg *m)
{
	struct ncip_arena	*a, *next;

	if (m == NULL)
		return;
	for (a = m->arena; a != NULL; a = next) {
		next = a->next;
		free(a);
	}
	free(m);
}

/* Copy a string into the message's arena. */
char *
ncip_msg_strdup(struct ncip_msg *m, const char *s)
{
	if (s == NULL)
		return (NULL);
	return (ncip_arena_strndup(m, s, strlen(s)));
}

/* Zeroed space for n objects in the message's arena. */
void *
ncip_msg_calloc(struct ncip_msg *m, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		return (NULL);
	return (ncip_arena_alloc(m, n * size));
}

/* Append a Problem to a message. */
int
ncip_msg_add_problem(struct ncip_msg *m, enum ncip_problem_type kind,
    const char *other, const char *element, const char *detail,
    const char *value)
{
	struct ncip_problem	*p;
	const char		*type;
	void			*arr = m->problems;

	if (kind <= NCIP_PT_NONE || kind >= NCIP_PT__COUNT)
		kind = NCIP_PT_TEMPORARY_FAILURE;
	type = kind == NCIP_PT_OTHER ? other : ncip_problem_name(kind);
	if (type == NULL)
		type = ncip_problem_name(NCIP_PT_TEMPORARY_FAILURE);
	if ((p = ncip_arena_push(m, &arr, &m->nproblems, sizeof(*p))) == NULL)
		return (-1);
	m->problems = arr;
	p->kind = kind;
	p->type.value = ncip_msg_strdup(m, type);
	p->type.scheme = ncip_msg_strdup(m, ncip_problem_scheme(kind,
	    m->service));
	p->element = ncip_msg_strdup(m, element);
	p->detail = ncip_msg_strdup(m, detail);
	p->value = ncip_msg_strdup(m, value);
	if (p->type.value == NULL || p->type.scheme == NULL ||
	    (element != NULL && p->element == NULL) ||
	    (detail != NULL && p->detail == NULL) ||
	    (value != NULL && p->value == NULL)) {
		m->nproblems--;
		return (-1);
	}
	return (0);
}

static int
has_user(const struct ncip_msg *m)
{
	return (m->user_id.value != NULL || m->nauth > 0);
}

static int
has_item_or_request(const struct ncip_msg *m)
{
	return (m->item_id.value != NULL || m->request_id.value != NULL);
}

/* Return the first element a service needs that the message lacks. */
const char *
ncip_msg_missing(const struct ncip_msg *m)
{
	if (m->service == NCIP_PROBLEM)
		return (m->nproblems == 0 ? "Problem" : NULL);
	if (!ncip_service_is_request(m->service) && m->nproblems > 0)
		return (NULL);

	switch (m->service) {
	case NCIP_LOOKUP_VERSION:
	case NCIP_LOOKUP_VERSION_RESP:
		if (m->header.from_agency.value == NULL)
			return ("FromAgencyId");
		if (m->header.to_agency.value == NULL)
			return ("ToAgencyId");
		if (m->service == NCIP_LOOKUP_VERSION_RESP &&
		    m->nversions == 0)
			return ("VersionSupported");
		return (NULL);
	case NCIP_LOOKUP_USER:
	case NCIP_UPDATE_USER:
		return (has_user(m) ? NULL : "UserId");
	case NCIP_LOOKUP_USER_RESP:
	case NCIP_CREATE_USER_RESP:
	case NCIP_UPDATE_USER_RESP:
		return (m->user_id.value == NULL ? "UserId" : NULL);
	case NCIP_LOOKUP_ITEM:
	case NCIP_LOOKUP_ITEM_RESP:
		return (has_item_or_request(m) ? NULL : "ItemId");
	case NCIP_LOOKUP_ITEM_SET:
		return (m->nbib_ids > 0 || m->item_id.value != NULL ? NULL :
		    "BibliographicId");
	case NCIP_LOOKUP_ITEM_SET_RESP:
		return (m->nbib_infos > 0 ? NULL : "BibInformation");
	case NCIP_CHECKOUT_ITEM:
	case NCIP_RENEW_ITEM:
		if (!has_user(m))
			return ("UserId");
		return (m->item_id.value == NULL ? "ItemId" : NULL);
	case NCIP_CHECKOUT_ITEM_RESP:
		if (m->item_id.value == NULL)
			return ("ItemId");
		if (m->user_id.value == NULL)
			return ("UserId");
		if (!m->date_due.set && !m->indeterminate)
			return ("DateDue");
		return (NULL);
	case NCIP_CHECKIN_ITEM:
	case NCIP_CHECKIN_ITEM_RESP:
	case NCIP_DELETE_ITEM:
	case NCIP_DELETE_ITEM_RESP:
		return (m->item_id.value == NULL ? "ItemId" : NULL);
	case NCIP_RENEW_ITEM_RESP:
		if (m->pending)
			return (NULL);
		return (m->item_id.value == NULL ? "ItemId" : NULL);
	case NCIP_REQUEST_ITEM:
		if (!has_user(m))
			return ("UserId");
		if (m->item_id.value == NULL && m->nbib_ids == 0)
			return ("ItemId");
		if (m->request_type.value == NULL)
			return ("RequestType");
		if (m->request_scope.value == NULL)
			return ("RequestScopeType");
		return (NULL);
	case NCIP_REQUEST_ITEM_RESP:
		if (!has_item_or_request(m))
			return ("ItemId");
		if (m->user_id.value == NULL)
			return ("UserId");
		if (m->request_type.value == NULL)
			return ("RequestType");
		if (m->request_scope.value == NULL)
			return ("RequestScopeType");
		return (NULL);
	case NCIP_CANCEL_REQUEST_ITEM:
		if (!has_user(m))
			return ("UserId");
		if (!has_item_or_request(m))
			return ("ItemId");
		return (m->request_type.value == NULL ? "RequestType" : NULL);
	case NCIP_CANCEL_REQUEST_ITEM_RESP:
		if (!has_item_or_request(m))
			return ("ItemId");
		return (m->user_id.value == NULL ? "UserId" : NULL);
	case NCIP_ACCEPT_ITEM:
		if (m->request_id.value == NULL)
			return ("RequestId");
		return (m->requested_action.value == NULL ?
		    "RequestedActionType" : NULL);
	case NCIP_ACCEPT_ITEM_RESP:
		return (m->request_id.value == NULL ? "RequestId" : NULL);
	case NCIP_CREATE_USER:
		return (m->user.name.present ? NULL : "NameInformation");
	default:
		return ("NCIPMessage");
	}
}

/* Return the kind of an AuthenticationInput. */
enum ncip_auth_kind
ncip_auth_kind(const struct ncip_auth *a)
{
	const char	*v = a->type.value;

	if (v == NULL)
		return (NCIP_AUTH_OTHER);
	if (strcasecmp(v, "PIN") == 0)
		return (NCIP_AUTH_PIN);
	if (strcasecmp(v, "Password") == 0)
		return (NCIP_AUTH_PASSWORD);
	if (strcasecmp(v, "Barcode Id") == 0 || strcasecmp(v, "Barcode") == 0)
		return (NCIP_AUTH_BARCODE);
	if (strcasecmp(v, "User Id") == 0 || strcasecmp(v, "username") == 0 ||
	    strcasecmp(v, "User Name") == 0)
		return (NCIP_AUTH_USER_ID);
	return (NCIP_AUTH_OTHER);
}

static const struct {
	const char	*name;
	unsigned int	 bit;
} user_elements[] = {
	{ "Authentication Input", NCIP_UE_AUTH },
	{ "Block Or Trap", NCIP_UE_BLOCK },
	{ "Date Of Birth", NCIP_UE_BIRTH },
	{ "Name Information", NCIP_UE_NAME },
	{ "User Address Information", NCIP_UE_ADDRESS },
	{ "User Language", NCIP_UE_LANGUAGE },
	{ "User Privilege", NCIP_UE_PRIVILEGE },
	{ "User Id", NCIP_UE_USER_ID },
	{ "Visible User Id", NCIP_UE_USER_ID },
	{ "Previous User Id", NCIP_UE_PREVIOUS_ID },
}, item_elements[] = {
	{ "Bibliographic Description", NCIP_IE_BIB },
	{ "Circulation Status", NCIP_IE_CIRC_STATUS },
	{ "Hold Queue Length", NCIP_IE_HOLD_QUEUE },
	{ "Item Description", NCIP_IE_DESCRIPTION },
	{ "Location", NCIP_IE_LOCATION },
	{ "Item Use Restriction Type", NCIP_IE_RESTRICTION },
	{ "Date Due", NCIP_IE_DATE_DUE },
};

/* Return the NCIP_UE_* bits of the UserElementType list. */
unsigned int
ncip_user_element_mask(const struct ncip_msg *m)
{
	unsigned int	 mask = 0;
	size_t		 i, j;

	for (i = 0; i < m->nuser_elements; i++) {
		if (m->user_elements[i].value == NULL)
			continue;
		for (j = 0; j < sizeof(user_elements) /
		    sizeof(user_elements[0]); j++) {
			if (strcasecmp(m->user_elements[i].value,
			    user_elements[j].name) == 0)
				break;
		}
		if (j < sizeof(user_elements) / sizeof(user_elements[0]))
			mask |= user_elements[j].bit;
		else
			mask |= NCIP_UE_OTHER;
	}
	return (mask);
}

/* Return the NCIP_IE_* bits of the ItemElementType list. */
unsigned int
ncip_item_element_mask(const struct ncip_msg *m)
{
	unsigned int	 mask = 0;
	size_t		 i, j;

	for (i = 0; i < m->nitem_elements; i++) {
		if (m->item_elements[i].value == NULL)
			continue;
		for (j = 0; j < sizeof(item_elements) /
		    sizeof(item_elements[0]); j++) {
			if (strcasecmp(m->item_elements[i].value,
			    item_elements[j].name) == 0)
				break;
		}
		if (j < sizeof(item_elements) / sizeof(item_elements[0]))
			mask |= item_elements[j].bit;
		else
			mask |= NCIP_IE_OTHER;
	}
	return (mask);
}

static int
in_force(const struct ncip_date *from, const struct ncip_date *to, time_t now)
{
	if (from->set && now < from->t)
		return (0);
	if (to->set && now > to->t)
		return (0);
	return (1);
}

/* Read whether a user is blocked or active from privileges and blocks. */
enum ncip_user_state
ncip_user_status(const struct ncip_user_fields *f, time_t now)
{
	enum ncip_user_state	 st = NCIP_USER_UNKNOWN;
	const char		*s;
	size_t			 i;

	/* Any block in force wins over whatever a privilege says. */
	for (i = 0; i < f->nblocks; i++) {
		if (in_force(&f->blocks[i].valid_from, &f->blocks[i].valid_to,
		    now))
			return (NCIP_USER_BLOCKED);
	}
	for (i = 0; i < f->nprivileges; i++) {
		if ((s = f->privileges[i].status.value) == NULL)
			continue;
		if (strcasecmp(s, "BLOCKED") == 0 ||
		    strcasecmp(s, "Blocked") == 0 ||
		    strcasecmp(s, "BARRED") == 0 ||
		    strcasecmp(s, "INACTIVE") == 0 ||
		    strcasecmp(s, "EXPIRED") == 0)
			return (NCIP_USER_BLOCKED);
		if (strcasecmp(s, "ACTIVE") == 0 || strcasecmp(s, "OK") == 0)
			st = NCIP_USER_ACTIVE;
	}
	return (st);
}
