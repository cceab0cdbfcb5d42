/* Unit tests: RedisClient's addresses, reply checks, SET arguments and backoff. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "redis_client.h"

static const struct {
	const char *in;
	const char *host; /* NULL: refused */
	int port;
} addrs[] = {
	{ "localhost:6379", "localhost", 6379 },
	{ "127.0.0.1:1", "127.0.0.1", 1 },
	{ "redis.example.com", "redis.example.com", 6379 },
	{ "[::1]:7000", "::1", 7000 },
	{ "h:65535", "h", 65535 },
	{ "h:0", NULL, 0 },
	{ "h:65536", NULL, 0 },
	{ "h:123456", NULL, 0 },
	{ "h:6x", NULL, 0 },
	{ "h:", NULL, 0 },
	{ ":6379", NULL, 0 },
	{ "", NULL, 0 },
};

START_TEST(split_addr)
{
	char host[64];
	int port = -1;
	const char *why;

	why = redis_client_split_addr(addrs[_i].in, host, sizeof(host), &port);
	if (addrs[_i].host == NULL) {
		ck_assert_msg(why != NULL, "%s accepted", addrs[_i].in);
		return;
	}
	ck_assert_msg(why == NULL, "%s: %s", addrs[_i].in, why);
	ck_assert_str_eq(host, addrs[_i].host);
	ck_assert_int_eq(port, addrs[_i].port);
}
END_TEST

START_TEST(split_addr_long_host)
{
	char host[8];
	int port;

	ck_assert_ptr_nonnull(
	    redis_client_split_addr("abcdefgh:1", host, sizeof(host), &port));
	ck_assert_ptr_null(
	    redis_client_split_addr("abcdefg:1", host, sizeof(host), &port));
}
END_TEST

/* A reply as hiredis builds it. */
static redisReply
reply(int type, const char *str, long long integer)
{
	redisReply r;

	memset(&r, 0, sizeof(r));
	r.type = type;
	r.integer = integer;
	if (str != NULL) {
		r.str = (char *)(uintptr_t)str;
		r.len = strlen(str);
	}
	return r;
}

START_TEST(replies)
{
	char err[64];
	redisReply r;

	r = reply(REDIS_REPLY_STRING, "data", 0);
	ck_assert_int_eq(
	    redis_client_reply(&r, REDIS_REPLY_STRING, err, sizeof(err)), 1);
	r = reply(REDIS_REPLY_NIL, NULL, 0);
	ck_assert_int_eq(
	    redis_client_reply(&r, REDIS_REPLY_STRING, err, sizeof(err)), 0);
	r = reply(REDIS_REPLY_STATUS, "OK", 0);
	ck_assert_int_eq(
	    redis_client_reply(&r, REDIS_REPLY_STATUS, err, sizeof(err)), 0);
	r = reply(REDIS_REPLY_INTEGER, NULL, 1);
	ck_assert_int_eq(
	    redis_client_reply(&r, REDIS_REPLY_INTEGER, err, sizeof(err)), 0);
	/* errors: the server's message, cut to the buffer */
	r = reply(
	    REDIS_REPLY_ERROR, "WRONGPASS invalid username-password pair", 0);
	ck_assert_int_eq(
	    redis_client_reply(&r, REDIS_REPLY_STATUS, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "WRONGPASS invalid username-password pair");
	r = reply(REDIS_REPLY_ERROR, "NOAUTH Authentication required.", 0);
	ck_assert_int_eq(
	    redis_client_reply(&r, REDIS_REPLY_STRING, err, 7), -1);
	ck_assert_str_eq(err, "NOAUTH");
	/* what the command does not answer */
	r = reply(REDIS_REPLY_STATUS, "QUEUED", 0);
	ck_assert_int_eq(
	    redis_client_reply(&r, REDIS_REPLY_STATUS, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "unexpected reply (type 5)");
	r = reply(REDIS_REPLY_ARRAY, NULL, 0);
	ck_assert_int_eq(
	    redis_client_reply(&r, REDIS_REPLY_STRING, err, sizeof(err)), -1);
	r = reply(REDIS_REPLY_INTEGER, NULL, 1);
	ck_assert_int_eq(
	    redis_client_reply(&r, REDIS_REPLY_STRING, err, sizeof(err)), -1);
	r = reply(REDIS_REPLY_NIL, NULL, 0);
	ck_assert_int_eq(
	    redis_client_reply(&r, REDIS_REPLY_STATUS, err, sizeof(err)), -1);
}
END_TEST

START_TEST(set_args)
{
	const char *argv[5];
	size_t argl[5];
	char num[24];

	ck_assert_int_eq(
	    redis_client_set_args("k", 1, "v\0w", 3, 0, num, argv, argl), 3);
	ck_assert_str_eq(argv[0], "SET");
	ck_assert_uint_eq(argl[2], 3);
	ck_assert_int_eq(memcmp(argv[2], "v\0w", 3), 0);
	ck_assert_int_eq(
	    redis_client_set_args("k", 1, "v", 1, 1500, num, argv, argl), 5);
	ck_assert_str_eq(argv[3], "PX");
	ck_assert_str_eq(argv[4], "1500");
	ck_assert_uint_eq(argl[4], 4);
	ck_assert_int_eq(
	    redis_client_set_args("k", 1, "v", 1, -1, num, argv, argl), 4);
	ck_assert_str_eq(argv[3], "KEEPTTL");
	ck_assert_uint_eq(argl[3], 7);
}
END_TEST

/* Whether the wait after a failed dial with backoff b is in [b - b/2, b]. */
static int
jittered(int64_t wait, int64_t b)
{
	return wait >= b - b / 2 && wait <= b;
}

/* Down at the first failed dial; the backoff doubles to its cap. */
START_TEST(health_backoff)
{
	struct redis_health h;
	int64_t now = 1000, want = REDIS_BACKOFF_MIN, w;
	int i;

	memset(&h, 0, sizeof(h));
	redis_health_seed(&h, 42);
	ck_assert_int_eq(redis_health_wait(&h, now), 0);
	ck_assert_int_eq(redis_health_ok(&h), REDIS_LOG_NONE);
	ck_assert_int_eq(redis_health_dial_failed(&h, now), REDIS_LOG_DOWN);
	ck_assert_int_eq(h.down, 1);
	w = redis_health_wait(&h, now);
	ck_assert_msg(
	    jittered(w, REDIS_BACKOFF_MIN), "first wait %lld", (long long)w);
	ck_assert_int_eq(redis_health_wait(&h, now + 40), w - 40);
	for (i = 0; i < 12; i++) {
		now = h.retry_at; /* the next dial, as soon as allowed */
		ck_assert_int_eq(redis_health_wait(&h, now), 0);
		want =
		    want * 2 > REDIS_BACKOFF_MAX ? REDIS_BACKOFF_MAX : want * 2;
		redis_health_dial_failed(&h, now);
		w = redis_health_wait(&h, now);
		ck_assert_msg(jittered(w, want), "wait %lld, backoff %lld",
		    (long long)w, (long long)want);
	}
	ck_assert_int_eq(want, REDIS_BACKOFF_MAX);
	ck_assert_int_eq(h.backoff, REDIS_BACKOFF_MAX);
	/* Back: one WARN line, and the next outage starts from the minimum. */
	ck_assert_int_eq(redis_health_ok(&h), REDIS_LOG_BACK);
	ck_assert_int_eq(h.down, 0);
	ck_assert_int_eq(redis_health_wait(&h, now), 0);
	ck_assert_int_eq(redis_health_ok(&h), REDIS_LOG_NONE);
	ck_assert_int_eq(redis_health_dial_failed(&h, now + 1), REDIS_LOG_DOWN);
	w = redis_health_wait(&h, now + 1);
	ck_assert_msg(jittered(w, REDIS_BACKOFF_MIN),
	    "wait %lld after the "
	    "outage",
	    (long long)w);
}
END_TEST

/*
 * The jitter: workers seeded differently (by pid) wait differently, over
 * the whole of [b/2, b]; one worker's waits vary from dial to dial.
 */
START_TEST(health_jitter)
{
	struct redis_health h;
	int64_t w, lo = REDIS_BACKOFF_MAX, hi = 0, first = -1;
	int i, j, differ = 0, low = 0, high = 0;

	for (i = 0; i < 200; i++) {
		memset(&h, 0, sizeof(h));
		redis_health_seed(&h, (uint64_t)(1000 + i) << 32 ^ 1765000000);
		for (j = 0; j < 6; j++) /* the cap, with room to spare */
			redis_health_dial_failed(&h, 0);
		w = redis_health_wait(&h, 0);
		ck_assert_msg(
		    jittered(w, REDIS_BACKOFF_MAX), "wait %lld", (long long)w);
		lo = w < lo ? w : lo;
		hi = w > hi ? w : hi;
		low += w < REDIS_BACKOFF_MAX * 3 / 4;
		high += w >= REDIS_BACKOFF_MAX * 3 / 4;
		if (first < 0)
			first = w;
		differ += w != first;
	}
	/* Uniform over 1001 values: 200 draws spread over most of them. */
	ck_assert_int_lt(lo, REDIS_BACKOFF_MAX / 2 + 100);
	ck_assert_int_gt(hi, REDIS_BACKOFF_MAX - 100);
	ck_assert_int_gt(low, 60);
	ck_assert_int_gt(high, 60);
	ck_assert_int_gt(differ, 190);
	/* The same worker: the waits at the cap are not all the same. */
	memset(&h, 0, sizeof(h));
	redis_health_seed(&h, 7);
	differ = 0;
	first = -1;
	for (j = 0; j < 20; j++) {
		redis_health_dial_failed(&h, 0);
		w = redis_health_wait(&h, 0);
		if (j >= 5) {
			ck_assert(jittered(w, REDIS_BACKOFF_MAX));
			differ += w != first;
			first = w;
		}
	}
	ck_assert_int_gt(differ, 10);
}
END_TEST

/* While down: a reminder at most every REDIS_LOG_EVERY ms, with counts. */
START_TEST(health_lines)
{
	struct redis_health h;
	int64_t t0 = 5000, t;
	int i, lines = 0;

	memset(&h, 0, sizeof(h));
	ck_assert_int_eq(redis_health_dial_failed(&h, t0), REDIS_LOG_DOWN);
	/* 1000 refused commands over 2.5 reminder intervals: 2 lines. */
	for (i = 1; i <= 1000; i++) {
		t = t0 + (int64_t)i * REDIS_LOG_EVERY * 5 / 2 / 1000;
		if (redis_health_refused(&h, t) == REDIS_LOG_STILL) {
			lines++;
			ck_assert_int_eq(h.failed, 400);
			h.failed = 0; /* the caller reports and resets */
		}
	}
	ck_assert_int_eq(lines, 2);
	ck_assert_uint_eq(h.failed, 200);
	ck_assert_uint_eq(h.total, 1001);
	/* A failed dial counts and may remind too; success ends it. */
	t = t0 + REDIS_LOG_EVERY * 4;
	ck_assert_int_eq(redis_health_dial_failed(&h, t), REDIS_LOG_STILL);
	ck_assert_int_eq(redis_health_dial_failed(&h, t + 1), REDIS_LOG_NONE);
	ck_assert_uint_eq(h.total, 1003);
	ck_assert_int_eq(redis_health_ok(&h), REDIS_LOG_BACK);
	ck_assert_int_eq(h.since, t0);
}
END_TEST

/*
 * Error replies: a line for the first, then at most one per
 * REDIS_LOG_EVERY ms with the count since the last line.
 */
START_TEST(error_lines)
{
	struct redis_errors e;
	int64_t t0 = 0, t; /* the clock may read 0: a line is still due */
	int i, lines = 0;

	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(redis_errors_count(&e, t0), 1);
	ck_assert_uint_eq(e.count, 1);
	e.count = 0;
	/* 1000 more over 2.5 intervals: 2 lines of 400. */
	for (i = 1; i <= 1000; i++) {
		t = t0 + (int64_t)i * REDIS_LOG_EVERY * 5 / 2 / 1000;
		if (redis_errors_count(&e, t)) {
			lines++;
			ck_assert_uint_eq(e.count, 400);
			e.count = 0;
		}
	}
	ck_assert_int_eq(lines, 2);
	ck_assert_uint_eq(e.count, 200);
	/* After a quiet spell, the next error reply is told at once. */
	e.count = 0;
	t = t0 + REDIS_LOG_EVERY * 10;
	ck_assert_int_eq(redis_errors_count(&e, t), 1);
	ck_assert_uint_eq(e.count, 1);
	e.count = 0;
	ck_assert_int_eq(redis_errors_count(&e, t + REDIS_LOG_EVERY - 1), 0);
	ck_assert_int_eq(redis_errors_count(&e, t + REDIS_LOG_EVERY), 1);
	ck_assert_uint_eq(e.count, 2);
}
END_TEST

static Suite *
redis_client_suite(void)
{
	Suite *s = suite_create("redis_client");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(
	    tc, split_addr, 0, sizeof(addrs) / sizeof(addrs[0]));
	tcase_add_test(tc, split_addr_long_host);
	tcase_add_test(tc, replies);
	tcase_add_test(tc, set_args);
	tcase_add_test(tc, health_backoff);
	tcase_add_test(tc, health_jitter);
	tcase_add_test(tc, health_lines);
	tcase_add_test(tc, error_lines);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(redis_client_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
