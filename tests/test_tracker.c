/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of the request tracker's state machine and of the record a
 * request is kept as, without the store or the network.
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

#include <cmocka.h>

#include "tracker.h"

/* A request placed for a district student on a metro title. */
static void
placed(struct tracker_req *r)
{
	memset(r, 0, sizeof(*r));
	memset(r->id, 0xab, sizeof(r->id));
	assert_int_equal(tracker_apply(r, TRACKER_EV_PLACE, 100), 0);
	snprintf(r->home, sizeof(r->home), "district");
	snprintf(r->patron, sizeof(r->patron), "22000000002");
	snprintf(r->owner, sizeof(r->owner), "metro");
	snprintf(r->account, sizeof(r->account), "21090000002");
	snprintf(r->title, sizeof(r->title), "The Left Hand of Darkness");
	snprintf(r->pickup_partner, sizeof(r->pickup_partner), "district");
	snprintf(r->pickup, sizeof(r->pickup), "LINCOLN");
	snprintf(r->delivery, sizeof(r->delivery), "MAIN");
	r->expires = 1000000;
}

static void
test_whole_life(void **state)
{
	struct tracker_req	 r;
	const enum tracker_event evs[] = { TRACKER_EV_TRAP,
	    TRACKER_EV_RECEIVE, TRACKER_EV_LOAN, TRACKER_EV_RETURN,
	    TRACKER_EV_COMPLETE };
	const enum tracker_state want[] = { TRACKER_IN_TRANSIT,
	    TRACKER_RECEIVED, TRACKER_LOANED, TRACKER_RETURNED,
	    TRACKER_COMPLETED };
	size_t			 i;

	placed(&r);
	assert_int_equal(r.state, TRACKER_PLACED);
	assert_int_equal(r.at[TRACKER_PLACED], 100);
	for (i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
		assert_int_equal(tracker_apply(&r, evs[i], 200 + i), 0);
		assert_int_equal(r.state, want[i]);
		assert_int_equal(r.at[want[i]], 200 + i);
	}
	assert_true(tracker_ended(r.state));
}

static void
test_repeat_changes_nothing(void **state)
{
	struct tracker_req	 r;

	placed(&r);
	assert_true(tracker_repeat(TRACKER_PLACED, TRACKER_EV_PLACE));
	assert_int_equal(tracker_apply(&r, TRACKER_EV_PLACE, 500), 0);
	assert_int_equal(r.at[TRACKER_PLACED], 100);
	assert_int_equal(tracker_apply(&r, TRACKER_EV_TRAP, 200), 0);
	assert_int_equal(tracker_apply(&r, TRACKER_EV_TRAP, 300), 0);
	assert_int_equal(r.at[TRACKER_IN_TRANSIT], 200);
	assert_int_equal(r.state, TRACKER_IN_TRANSIT);
	assert_false(tracker_repeat(TRACKER_IN_TRANSIT, TRACKER_EV_PLACE));
}

static void
test_out_of_order_refused(void **state)
{
	struct tracker_req	 r;

	placed(&r);
	errno = 0;
	assert_int_equal(tracker_apply(&r, TRACKER_EV_LOAN, 200), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(r.state, TRACKER_PLACED);
	assert_int_equal(tracker_apply(&r, TRACKER_EV_RECEIVE, 200), -1);
	assert_int_equal(tracker_apply(&r, TRACKER_EV_COMPLETE, 200), -1);
	assert_int_equal(tracker_next(TRACKER_NONE, TRACKER_EV_TRAP), -1);
	assert_int_equal(tracker_next(TRACKER_STATE__COUNT,
	    TRACKER_EV_PLACE), -1);
	assert_int_equal(tracker_next(TRACKER_PLACED, TRACKER_EV__COUNT), -1);
}

static void
test_cancel_until_lent(void **state)
{
	assert_int_equal(tracker_next(TRACKER_PLACED, TRACKER_EV_CANCEL),
	    TRACKER_CANCELLED);
	assert_int_equal(tracker_next(TRACKER_IN_TRANSIT, TRACKER_EV_CANCEL),
	    TRACKER_CANCELLED);
	assert_int_equal(tracker_next(TRACKER_RECEIVED, TRACKER_EV_CANCEL),
	    TRACKER_CANCELLED);
	assert_int_equal(tracker_next(TRACKER_LOANED, TRACKER_EV_CANCEL), -1);
	assert_int_equal(tracker_next(TRACKER_RETURNED, TRACKER_EV_CANCEL),
	    -1);
	assert_int_equal(tracker_next(TRACKER_COMPLETED, TRACKER_EV_CANCEL),
	    -1);
	/* Cancelled twice: the second is a repeat, not an error. */
	assert_int_equal(tracker_next(TRACKER_CANCELLED, TRACKER_EV_CANCEL),
	    TRACKER_CANCELLED);
}

static void
test_expiry_only_while_waiting(void **state)
{
	assert_int_equal(tracker_next(TRACKER_PLACED, TRACKER_EV_EXPIRE),
	    TRACKER_CANCELLED);
	assert_int_equal(tracker_next(TRACKER_RECEIVED, TRACKER_EV_EXPIRE),
	    TRACKER_CANCELLED);
	assert_int_equal(tracker_next(TRACKER_IN_TRANSIT, TRACKER_EV_EXPIRE),
	    -1);
	assert_int_equal(tracker_next(TRACKER_LOANED, TRACKER_EV_EXPIRE), -1);
}

static void
test_return_at_owner_completes(void **state)
{
	assert_int_equal(tracker_next(TRACKER_LOANED, TRACKER_EV_COMPLETE),
	    TRACKER_COMPLETED);
	assert_true(tracker_repeat(TRACKER_COMPLETED, TRACKER_EV_RETURN));
	assert_false(tracker_ended(TRACKER_RETURNED));
	assert_true(tracker_ended(TRACKER_CANCELLED));
}

static void
test_record_round_trip(void **state)
{
	struct tracker_req	 r, back;
	char			 buf[4096];
	int			 n;

	placed(&r);
	assert_int_equal(tracker_apply(&r, TRACKER_EV_TRAP, 150), 0);
	snprintf(r.item, sizeof(r.item), "31000000001");
	snprintf(r.temp_item, sizeof(r.temp_item), "31000000001");
	r.cancelled_by = TRACKER_BY_STAFF;
	n = tracker_encode(&r, buf, sizeof(buf));
	assert_true(n > 0);
	memset(&back, 0x55, sizeof(back));
	memcpy(back.id, r.id, sizeof(r.id));
	assert_int_equal(tracker_decode(&back, buf, n), 0);
	assert_memory_equal(&back, &r, sizeof(r));
}

/*
 * A request written ahead of its owner's answer reads back placing, and
 * a restart's cancel ends it; nothing else moves it but the placing.
 */
static void
test_placing_record(void **state)
{
	struct tracker_req	 r, back;
	char			 buf[4096];
	int			 n;

	placed(&r);
	r.state = TRACKER_NONE;
	r.at[TRACKER_PLACED] = 0;
	n = tracker_encode(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, "state=placing"));
	memset(&back, 0, sizeof(back));
	assert_int_equal(tracker_decode(&back, buf, n), 0);
	assert_int_equal(back.state, TRACKER_NONE);
	assert_int_equal(tracker_next(TRACKER_NONE, TRACKER_EV_TRAP), -1);
	assert_int_equal(tracker_next(TRACKER_NONE, TRACKER_EV_EXPIRE), -1);
	back.cancelled_by = TRACKER_BY_GATEWAY;
	assert_int_equal(tracker_apply(&back, TRACKER_EV_CANCEL, 120), 0);
	assert_int_equal(back.state, TRACKER_CANCELLED);
	assert_string_equal(tracker_who_name(back.cancelled_by), "gateway");
	n = tracker_encode(&back, buf, sizeof(buf));
	assert_int_equal(tracker_decode(&r, buf, n), 0);
	assert_int_equal(r.cancelled_by, TRACKER_BY_GATEWAY);
}

static void
test_record_refuses_control_chars(void **state)
{
	struct tracker_req	 r;
	char			 buf[4096];

	placed(&r);
	snprintf(r.title, sizeof(r.title), "two\nlines");
	errno = 0;
	assert_int_equal(tracker_encode(&r, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EINVAL);
	placed(&r);
	assert_int_equal(tracker_encode(&r, buf, 20), -1);
	assert_int_equal(errno, ENOSPC);
}

static void
test_record_garbage_refused(void **state)
{
	struct tracker_req	 r;
	const char		*bad[] = {
		"", "v=1\n", "v=2\nstate=placed\n", "state=placed\n",
		"v=1\nstate=placed", "v=1\nstate=bogus\n",
		"v=1\nstate=none\n", "v=1\nstate=placed\nwho=x\n",
		"v=1\nstate=placed\nexpires=-4\n",
		"v=1\nstate=placed\nat-bogus=4\n",
		"v=1\nstate=placed\nno-equals\n",
	};
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_int_equal(tracker_decode(&r, bad[i], strlen(bad[i])),
		    -1);
		assert_int_equal(errno, EINVAL);
	}
	assert_int_equal(tracker_decode(&r, "v=1\nstate=placed\n", 17), 0);
}

static void
test_id_hex(void **state)
{
	uint8_t	 id[TRACKER_ID_LEN], back[TRACKER_ID_LEN];
	char	 hex[TRACKER_HEX_LEN + 1];
	size_t	 i;

	for (i = 0; i < sizeof(id); i++)
		id[i] = i * 17;
	tracker_id_hex(id, hex);
	assert_int_equal(strlen(hex), TRACKER_HEX_LEN);
	assert_int_equal(tracker_id_parse(hex, back), 0);
	assert_memory_equal(id, back, sizeof(id));
	assert_int_equal(tracker_id_parse("00ff", back), -1);
	hex[3] = 'g';
	assert_int_equal(tracker_id_parse(hex, back), -1);
	assert_string_equal(tracker_state_name(99), "?");
	assert_int_equal(tracker_state_parse("in-transit"),
	    TRACKER_IN_TRANSIT);
	assert_int_equal(tracker_state_parse("nope"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_life),
		cmocka_unit_test(test_repeat_changes_nothing),
		cmocka_unit_test(test_out_of_order_refused),
		cmocka_unit_test(test_cancel_until_lent),
		cmocka_unit_test(test_expiry_only_while_waiting),
		cmocka_unit_test(test_return_at_owner_completes),
		cmocka_unit_test(test_record_round_trip),
		cmocka_unit_test(test_placing_record),
		cmocka_unit_test(test_record_refuses_control_chars),
		cmocka_unit_test(test_record_garbage_refused),
		cmocka_unit_test(test_id_hex),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
