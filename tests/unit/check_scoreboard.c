/* Unit tests: the scoreboard's idle workers and full pool, as a busy worker sees them (scoreboard.c). */
#include <check.h>
#include <signal.h>
#include <stdlib.h>

#include "scoreboard.h"

static volatile sig_atomic_t stop;

/* One process plays the master and, attached to a slot, its worker. */
START_TEST(idle_elsewhere)
{
	int a, b;

	ck_assert_int_eq(scoreboard_init(130), 0);
	/* the pool may grow: someone can take a connection */
	ck_assert_int_eq(scoreboard_idle_elsewhere(), 1);
	scoreboard_set_full(1);
	ck_assert_int_eq(scoreboard_idle_elsewhere(), 0);
	a = scoreboard_claim(1);
	b = scoreboard_claim(1);
	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(b, 0);
	/* slots past the first 64 have their bit in the next word */
	while (b < 64)
		b = scoreboard_claim(1);
	ck_assert_int_eq(scoreboard_idle_elsewhere(), 0); /* starting */
	scoreboard_attach(b, 0, &stop);                   /* idle */
	ck_assert_int_eq(scoreboard_idle_elsewhere(), 1);
	scoreboard_set_state(SB_READING);
	ck_assert_int_eq(scoreboard_idle_elsewhere(), 0);
	scoreboard_set_state(SB_IDLE);
	scoreboard_set_state(SB_IDLE); /* twice: still one bit */
	ck_assert_int_eq(scoreboard_idle_elsewhere(), 1);
	scoreboard_set_state(SB_PROXYING);
	scoreboard_set_state(SB_WRITING);
	ck_assert_int_eq(scoreboard_idle_elsewhere(), 0);
	/* the master stops an idle worker: it takes nothing any more */
	scoreboard_set_state(SB_IDLE);
	scoreboard_mark_stopping(b);
	ck_assert_int_eq(scoreboard_idle_elsewhere(), 0);
	scoreboard_set_state(SB_IDLE); /* a stopping worker stays stopping */
	ck_assert_int_eq(scoreboard_idle_elsewhere(), 0);
	/* a worker that died idle: its slot is freed, its bit with it */
	scoreboard_attach(a, 0, &stop);
	ck_assert_int_eq(scoreboard_idle_elsewhere(), 1);
	scoreboard_release(a);
	ck_assert_int_eq(scoreboard_idle_elsewhere(), 0);
	scoreboard_set_full(0);
	ck_assert_int_eq(scoreboard_idle_elsewhere(), 1);
}
END_TEST

static Suite *
scoreboard_suite(void)
{
	Suite *s = suite_create("scoreboard");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, idle_elsewhere);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(scoreboard_suite());
	int failed;

	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
