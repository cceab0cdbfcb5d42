/* Unit tests: ThrottleMiddleware's limiters, on a fake clock and across fork(). */
#include <sys/socket.h>
#include <sys/wait.h>

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "throttle.h"

#define MS 1000000ULL

/* One request of a scenario: when it comes, and what it gets. */
struct step {
	uint64_t at_ms;
	int ok;
	uint64_t wait_ms;
};

static const struct {
	const char *name;
	struct throttle_params p;
	struct step steps[16];
	size_t n;
} scenarios[] = {
	/* maxConns 3: the 4th and 5th in flight are refused. */
	{ "maxConns", { THROTTLE_MAX_CONNS, 3, 0, 0 },
	    { { 0, 1, 0 }, { 0, 1, 0 }, { 0, 1, 0 }, { 0, 0, 0 },
	        { 5000, 0, 0 } },
	    5 },
	/* AILERON's test: {5, 100 ms, 2}, 10 requests 15 ms apart: 7 in. */
	{ "tokenBucket", { THROTTLE_TOKEN_BUCKET, 5, 2, 100 * MS },
	    { { 0, 1, 0 }, { 15, 1, 0 }, { 30, 1, 0 }, { 45, 1, 0 },
	        { 60, 1, 0 }, { 75, 0, 0 }, { 90, 0, 0 }, { 105, 1, 0 },
	        { 120, 1, 0 }, { 135, 0, 0 } },
	    10 },
	/* The refill resets to min(rate * elapsed / interval, size) - 1. */
	{ "tokenBucket refill capped",
	    { THROTTLE_TOKEN_BUCKET, 3, 10, 10 * MS },
	    { { 0, 1, 0 }, { 0, 1, 0 }, { 0, 1, 0 }, { 9, 0, 0 },
	        { 1000, 1, 0 }, { 1000, 1, 0 }, { 1000, 1, 0 },
	        { 1000, 0, 0 } },
	    8 },
	/* Not additive: 2.5 intervals idle refill one token, not three. */
	{ "tokenBucket slow", { THROTTLE_TOKEN_BUCKET, 1, 1, 100 * MS },
	    { { 0, 1, 0 }, { 99, 0, 0 }, { 100, 1, 0 }, { 150, 0, 0 },
	        { 350, 1, 0 }, { 350, 0, 0 }, { 449, 0, 0 }, { 450, 1, 0 } },
	    8 },
	/* AILERON's test: {100 ms, 5}, bursts of 10 150 ms apart: 5 each. */
	{ "fixedWindow", { THROTTLE_FIXED_WINDOW, 5, 0, 100 * MS },
	    { { 0, 1, 0 }, { 0, 1, 0 }, { 0, 1, 0 }, { 0, 1, 0 }, { 0, 1, 0 },
	        { 0, 0, 0 }, { 0, 0, 0 }, { 150, 1, 0 }, { 150, 1, 0 },
	        { 150, 1, 0 }, { 150, 1, 0 }, { 150, 1, 0 }, { 150, 0, 0 },
	        { 249, 0, 0 } },
	    14 },
	/* AILERON's test: {4, 50 ms}, 10 at once: 1 goes, 4 queue, 5 refused. */
	{ "leakyBucket", { THROTTLE_LEAKY_BUCKET, 4, 0, 50 * MS },
	    { { 0, 1, 0 }, { 0, 1, 50 }, { 0, 1, 100 }, { 0, 1, 150 },
	        { 0, 1, 200 }, { 0, 0, 0 }, { 0, 0, 0 },
	        /* three have left by 110 ms, two wait: room for two */
	        { 110, 1, 140 }, { 110, 1, 190 }, { 110, 0, 0 },
	        /* idle: the first goes at once */
	        { 1000, 1, 0 }, { 1010, 1, 40 } },
	    12 },
};

START_TEST(scenario_table)
{
	struct throttle *t;
	uint64_t wait;
	size_t i, j;
	int ok;

	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		t = throttle_new(&scenarios[i].p, 0);
		ck_assert_ptr_nonnull(t);
		for (j = 0; j < scenarios[i].n; j++) {
			const struct step *s = &scenarios[i].steps[j];

			ok = throttle_take(t, s->at_ms * MS, &wait);
			ck_assert_msg(ok == s->ok, "%s step %zu: got %d",
			    scenarios[i].name, j, ok);
			ck_assert_msg(wait == s->wait_ms * MS,
			    "%s step %zu: wait %llu ns", scenarios[i].name, j,
			    (unsigned long long)wait);
		}
		throttle_free(t);
	}
}
END_TEST

START_TEST(max_conns_release)
{
	struct throttle_params p = { THROTTLE_MAX_CONNS, 2, 0, 0 };
	struct throttle *t = throttle_new(&p, 0);
	uint64_t wait;

	ck_assert_int_eq(throttle_take(t, 0, &wait), 1);
	ck_assert_int_eq(throttle_take(t, 0, &wait), 1);
	ck_assert_int_eq(throttle_take(t, 0, &wait), 0);
	ck_assert_int_eq(throttle_in_use(t), 2); /* a refusal holds nothing */
	throttle_release(t);
	ck_assert_int_eq(throttle_in_use(t), 1);
	ck_assert_int_eq(throttle_take(t, 0, &wait), 1);
	ck_assert_int_eq(throttle_take(t, 0, &wait), 0);
	throttle_free(t);
}
END_TEST

/* Draw n times in a child; its exit status is how many it got. */
static pid_t
draw_in_child(struct throttle *t, int n, uint64_t now)
{
	pid_t pid = fork();
	uint64_t wait;
	int got = 0, i;

	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		for (i = 0; i < n; i++)
			got += throttle_take(t, now, &wait);
		_exit(got);
	}
	return pid;
}

/* Two processes draw from one limiter: the limit holds for both together. */
START_TEST(across_fork)
{
	static const struct throttle_params ps[] = {
		{ THROTTLE_TOKEN_BUCKET, 150, 1, 1000 * MS },
		{ THROTTLE_FIXED_WINDOW, 150, 0, 1000 * MS },
		{ THROTTLE_MAX_CONNS, 150, 0, 0 },
		{ THROTTLE_LEAKY_BUCKET, 149, 0, 1000 * MS },
	};
	struct throttle *t;
	uint64_t wait;
	int status, got, i;
	size_t k;
	pid_t pid;

	for (k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
		t = throttle_new(&ps[k], 0);
		pid = draw_in_child(t, 200, 10 * MS);
		for (got = 0, i = 0; i < 200; i++)
			got += throttle_take(t, 10 * MS, &wait);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status));
		ck_assert_msg(got + WEXITSTATUS(status) == 150,
		    "params %zu: %d + %d", k, got, WEXITSTATUS(status));
		throttle_free(t);
	}
}
END_TEST

/* A slot taken in a child is seen, and given back, in the parent. */
START_TEST(max_conns_shared)
{
	struct throttle_params p = { THROTTLE_MAX_CONNS, 1, 0, 0 };
	struct throttle *t = throttle_new(&p, 0);
	uint64_t wait;
	int status;
	pid_t pid;

	pid = draw_in_child(t, 1, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 1);
	ck_assert_int_eq(throttle_in_use(t), 1);
	ck_assert_int_eq(throttle_take(t, 0, &wait), 0);
	throttle_release(t);
	ck_assert_int_eq(throttle_take(t, 0, &wait), 1);
	throttle_free(t);
}
END_TEST

START_TEST(backoff_table)
{
	static const struct {
		unsigned n;
		uint64_t r, want;
	} cases[] = {
		{ 0, 0, 1 * MS },
		{ 0, MS - 1, 2 * MS - 1 },
		{ 0, MS, 1 * MS },
		{ 1, MS, 2 * MS },
		{ 3, 7 * MS, 8 * MS },
		{ 3, 8 * MS, 1 * MS },
		{ 13, 8192 * MS - 1, 8193 * MS - 1 }, /* 8192 ms: under cap */
		{ 13, 8192 * MS, 1 * MS },
		{ 14, 10000 * MS - 1, 10001 * MS - 1 }, /* capped at 10 s */
		{ 14, 10000 * MS, 1 * MS },
		{ 200, UINT64_MAX, 1 * MS + UINT64_MAX % (10000 * MS) },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(
		    throttle_backoff(cases[i].n, cases[i].r) == cases[i].want,
		    "case %zu", i);
}
END_TEST

/* The leaky bucket's wait is slept out; the request then goes on. */
START_TEST(admit_waits)
{
	struct throttle_params p = { THROTTLE_LEAKY_BUCKET, 2, 0, 20 * MS };
	struct throttle *t = throttle_new(&p, throttle_clock());
	uint64_t start;

	ck_assert_int_eq(throttle_admit(t, 0, -1), 1);
	start = throttle_clock();
	ck_assert_int_eq(throttle_admit(t, 0, -1), 1);
	ck_assert_uint_ge(throttle_clock() - start, 10 * MS);
	throttle_free(t);
}
END_TEST

/*
 * A client that goes away while queued is refused at once (the queue
 * would hold it for 100 s), and so is one waiting for a retry.
 */
START_TEST(admit_client_gone)
{
	struct throttle_params lp = { THROTTLE_LEAKY_BUCKET, 2, 0,
		100000 * MS };
	struct throttle_params mp = { THROTTLE_MAX_CONNS, 1, 0, 0 };
	struct throttle *t = throttle_new(&lp, throttle_clock());
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(throttle_admit(t, 0, sv[0]), 1);
	close(sv[1]);
	ck_assert_int_eq(throttle_admit(t, 0, sv[0]), 0);
	close(sv[0]);
	throttle_free(t);

	/* maxRetry 30 would sleep for minutes; the client is gone. */
	t = throttle_new(&mp, 0);
	ck_assert_int_eq(throttle_admit(t, 0, -1), 1);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	ck_assert_int_eq(throttle_admit(t, 30, sv[0]), 0);
	ck_assert_int_eq(throttle_in_use(t), 1);
	close(sv[0]);
	throttle_free(t);
}
END_TEST

/* A pipelined byte from the client does not count as going away. */
START_TEST(admit_pipelined)
{
	struct throttle_params p = { THROTTLE_LEAKY_BUCKET, 2, 0, 20 * MS };
	struct throttle *t = throttle_new(&p, throttle_clock());
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(write(sv[1], "G", 1), 1);
	ck_assert_int_eq(throttle_admit(t, 0, sv[0]), 1);
	ck_assert_int_eq(throttle_admit(t, 0, sv[0]), 1);
	close(sv[0]);
	close(sv[1]);
	throttle_free(t);
}
END_TEST

/* Retries find the slot given back in the meantime by another process. */
START_TEST(admit_retry)
{
	struct throttle_params p = { THROTTLE_MAX_CONNS, 1, 0, 0 };
	struct throttle *t = throttle_new(&p, 0);
	uint64_t wait;
	pid_t pid;
	int status;

	ck_assert_int_eq(throttle_take(t, 0, &wait), 1);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		usleep(20000);
		throttle_release(t);
		_exit(0);
	}
	/* 12 retries sleep up to 8 s in all: plenty for 20 ms. */
	ck_assert_int_eq(throttle_admit(t, 12, -1), 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(throttle_in_use(t), 1);
	throttle_free(t);
}
END_TEST

static Suite *
throttle_suite(void)
{
	Suite *s = suite_create("throttle");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, scenario_table);
	tcase_add_test(tc, max_conns_release);
	tcase_add_test(tc, across_fork);
	tcase_add_test(tc, max_conns_shared);
	tcase_add_test(tc, backoff_table);
	tcase_add_test(tc, admit_waits);
	tcase_add_test(tc, admit_client_gone);
	tcase_add_test(tc, admit_pipelined);
	tcase_add_test(tc, admit_retry);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(throttle_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
