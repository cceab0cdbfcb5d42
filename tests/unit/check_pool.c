/* Unit tests: worker pool settings, maintenance decisions and the scoreboard. */
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pool.h"
#include "scoreboard.h"

START_TEST(settings_table)
{
	static const struct {
		struct conf_process in;
		long ncpu;
		struct pool_settings want;
	} cases[] = {
		/* automatic, on a 2-core and a 64-core machine */
		{ { 0 }, 2, { 0, 8, 4, 16, 256 } },
		{ { 0 }, 64, { 0, 256, 64, 256, 1024 } },
		{ { 0 }, 0, { 0, 8, 4, 16, 256 } },
		/* fixed pool */
		{ { .workers = 3 }, 64, { 1, 3, 0, 3, 3 } },
		/* explicit values kept */
		{ { .start_workers = 2,
		      .min_spare_workers = 1,
		      .max_spare_workers = 3,
		      .max_workers = 10 },
		    2, { 0, 2, 1, 3, 10 } },
		/* a small cap pulls the automatic values under it */
		{ { .max_workers = 4 }, 2, { 0, 4, 4, 16, 4 } },
		/* max spare below an automatic min spare: one above it */
		{ { .max_spare_workers = 2 }, 2, { 0, 8, 4, 5, 256 } },
	};
	struct pool_settings ps;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pool_settings(&cases[i].in, cases[i].ncpu, &ps);
		ck_assert_msg(memcmp(&ps, &cases[i].want, sizeof(ps)) == 0,
		    "case %zu: got fixed %d start %d spare %d..%d max %d", i,
		    ps.fixed, ps.start, ps.min_spare, ps.max_spare, ps.max);
	}
}
END_TEST

START_TEST(decide_table)
{
	static const struct {
		struct pool_settings ps;
		int total, idle, rate;
		int spawn, kill, at_max, rate_after;
	} cases[] = {
		/* spares short: spawn at the rate, which doubles */
		{ { 0, 8, 4, 16, 256 }, 8, 0, 1, 1, 0, 0, 2 },
		{ { 0, 8, 4, 16, 256 }, 9, 0, 2, 2, 0, 0, 4 },
		{ { 0, 8, 10, 16, 256 }, 11, 0, 8, 8, 0, 0, 16 },
		{ { 0, 8, 40, 80, 256 }, 30, 0, 32, 32, 0, 0, 32 },
		/* the whole rate, even when fewer are missing (Apache) */
		{ { 0, 8, 4, 16, 256 }, 8, 3, 16, 16, 0, 0, 32 },
		/* enough spares: nothing, the rate falls back */
		{ { 0, 8, 4, 16, 256 }, 8, 8, 16, 0, 0, 0, 1 },
		/* too many spares: stop one per tick */
		{ { 0, 8, 4, 16, 256 }, 40, 17, 4, 0, 1, 0, 1 },
		/* the hard cap */
		{ { 0, 8, 4, 16, 10 }, 9, 0, 4, 1, 0, 1, 8 },
		{ { 0, 8, 4, 16, 10 }, 10, 0, 4, 0, 0, 1, 8 },
		/* a fixed pool is refilled at once, never shrunk */
		{ { 1, 5, 0, 5, 5 }, 2, 0, 1, 3, 0, 0, 1 },
		{ { 1, 5, 0, 5, 5 }, 5, 5, 1, 0, 0, 0, 1 },
	};
	struct pool_action act;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rate = cases[i].rate;

		pool_decide(
		    &cases[i].ps, cases[i].total, cases[i].idle, &rate, &act);
		ck_assert_msg(act.spawn == cases[i].spawn &&
		        act.kill == cases[i].kill &&
		        act.at_max == cases[i].at_max &&
		        rate == cases[i].rate_after,
		    "case %zu: spawn %d kill %d at_max %d rate %d", i,
		    act.spawn, act.kill, act.at_max, rate);
	}
}
END_TEST

/* Growth on waiting requests: what they outnumber idle workers by, capped. */
START_TEST(demand_table)
{
	static const struct {
		struct pool_settings ps;
		int total, idle, waiting;
		int spawn, at_max;
	} cases[] = {
		/* nothing waits, or idle workers will take it */
		{ { 0, 8, 4, 16, 256 }, 8, 0, 0, 0, 0 },
		{ { 0, 8, 4, 16, 256 }, 8, 3, 3, 0, 0 },
		/* the difference */
		{ { 0, 8, 4, 16, 256 }, 8, 1, 6, 5, 0 },
		/* at most POOL_MAX_SPAWN_RATE at once */
		{ { 0, 8, 4, 16, 256 }, 8, 0, 100, 32, 0 },
		/* the hard cap */
		{ { 0, 8, 4, 16, 10 }, 8, 0, 5, 2, 1 },
		{ { 0, 8, 4, 16, 10 }, 10, 0, 5, 0, 1 },
		/* a fixed pool never grows */
		{ { 1, 5, 0, 5, 5 }, 5, 0, 9, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int at_max = -1, n;

		n = pool_demand(&cases[i].ps, cases[i].total, cases[i].idle,
		    cases[i].waiting, &at_max);
		ck_assert_msg(n == cases[i].spawn && at_max == cases[i].at_max,
		    "case %zu: spawn %d at_max %d", i, n, at_max);
	}
}
END_TEST

/* A connected loopback TCP pair: *a accepted, *b the client. */
static void
tcp_pair(int *a, int *b)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sin, &len), 0);
	*b = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(*b, (struct sockaddr *)&sin, sizeof(sin)), 0);
	*a = accept(l, NULL, NULL);
	ck_assert_int_ge(*a, 0);
	close(l);
}

/*
 * The scoreboard seen by the master after a forked worker used it: slot
 * life cycle, per-slot and server-wide counters, recycling.  The board
 * is mapped once per process, so this one test covers it all.
 */
START_TEST(scoreboard_life)
{
	struct sb_counters c;
	struct sb_worker w;
	int i, j, status;
	pid_t pid;

	ck_assert_int_eq(scoreboard_nslots(), 0);
	ck_assert_int_eq(scoreboard_read_slot(0, &w), -1);
	ck_assert_int_eq(scoreboard_init(2), 0);
	ck_assert_int_eq(scoreboard_nslots(), 2);
	i = scoreboard_claim(7);
	j = scoreboard_claim(7);
	ck_assert_int_eq(i, 0);
	ck_assert_int_eq(j, 1);
	ck_assert_int_eq(scoreboard_claim(7), -1); /* full */
	scoreboard_release(j);
	ck_assert_int_eq(scoreboard_read_slot(1, &w), -1);
	ck_assert_int_eq(scoreboard_state(i), SB_STARTING);
	if ((pid = fork()) == 0) {
		static volatile sig_atomic_t stop;
		static const char get[] = "GET";
		char target[300];
		int a, b;

		memset(target, 'x', sizeof(target));
		target[0] = '/';
		target[1] = '"';
		scoreboard_attach(i, 2, &stop);
		tcp_pair(&a, &b);
		scoreboard_accepted();
		scoreboard_request_begin("192.0.2.9", get, 3, "/a", 2);
		if (stop)
			_exit(2); /* recycled too early */
		scoreboard_response(200);
		if (write(a, "hello", 5) != 5 || read(b, target + 100, 5) != 5)
			_exit(3);
		scoreboard_request_begin(
		    "192.0.2.1", get, 3, target, sizeof(target));
		scoreboard_response(502);
		scoreboard_upstream_error("http://192.0.2.7");
		scoreboard_conn_end(a);
		_exit(stop && scoreboard_recycled() ? 0 : 4);
	}
	ck_assert_int_gt(pid, 0);
	scoreboard_set_pid(i, pid);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(scoreboard_read_slot((size_t)i, &w), 0);
	ck_assert_int_eq(w.pid, pid);
	ck_assert_int_eq(w.generation, 7);
	ck_assert_int_eq(w.state, SB_STOPPING); /* recycled */
	ck_assert_int_eq(w.requests, 2);
	ck_assert_int_eq(w.bytes_out, 5);
	ck_assert_str_eq(w.client, "192.0.2.1");
	/* escaped and cut, never overflowing */
	ck_assert_int_eq(strncmp(w.request, "GET /\\\"xxx", 10), 0);
	ck_assert_int_eq(strlen(w.request), SB_REQUEST_MAX - 1);
	scoreboard_read_counters(&c);
	ck_assert_int_eq(c.accepted, 1);
	ck_assert_int_eq(c.requests, 2);
	ck_assert_int_eq(c.status[1], 1);
	ck_assert_int_eq(c.status[4], 1);
	ck_assert_int_eq(c.upstream_errors, 1);
	ck_assert_int_eq(c.bytes_out, 5);
	ck_assert_int_eq(c.reloads, 0);
	scoreboard_reloaded(8);
	scoreboard_read_counters(&c);
	ck_assert_int_eq(c.reloads, 1);
	ck_assert_int_eq(c.generation, 8);
	scoreboard_release(i);
	ck_assert_int_eq(scoreboard_read_slot((size_t)i, &w), -1);
	ck_assert_str_eq(scoreboard_state_name(SB_PROXYING), "proxying");
	ck_assert_str_eq(scoreboard_state_name(99), "unknown");
}
END_TEST

/* Index of the upstream entry with url, or -1. */
static int
find_upstream(const char *url, struct sb_upstream *u)
{
	size_t i;

	for (i = 0; i <= SB_UPSTREAMS; i++)
		if (scoreboard_read_upstream(i, u) == 0 &&
		    strcmp(u->url, url) == 0)
			return (int)i;
	return -1;
}

/* Number of upstream entries in use, "other" included. */
static int
count_upstreams(void)
{
	struct sb_upstream u;
	size_t i;
	int n = 0;

	for (i = 0; i <= SB_UPSTREAMS; i++)
		n += scoreboard_read_upstream(i, &u) == 0;
	return n;
}

START_TEST(scoreboard_upstreams)
{
	static const struct {
		int64_t usec;
		int bucket; /* first cumulative bucket that counts it */
	} obs[] = { { -5, 0 }, { 0, 0 }, { 5000, 0 }, { 5001, 1 },
		{ 100000, 4 }, { 100001, 5 }, { 250000, 5 }, { 999999, 7 },
		{ 10000000, 10 }, { 10000001, 11 }, { 3600000000LL, 11 } };
	struct sb_upstream u, v;
	struct sb_histogram h;
	char url[200], url2[200];
	int a, b, i, j, n, status;
	size_t k;
	pid_t pid;

	ck_assert_int_eq(scoreboard_bucket_us(0), 5000);
	ck_assert_int_eq(scoreboard_bucket_us(SB_BUCKETS - 2), 10000000);
	ck_assert_int_eq(scoreboard_bucket_us(SB_BUCKETS - 1), -1);
	ck_assert_int_eq(scoreboard_init(1), 0);
	i = scoreboard_claim(1);
	ck_assert_int_ge(i, 0);
	/* Without a slot (the master) nothing is counted. */
	scoreboard_upstream_response("http://a", 200, 1000);
	ck_assert_int_eq(count_upstreams(), 0);
	scoreboard_attach(i, 0, NULL);

	/* Claimed on first use; the same URL keeps its entry. */
	scoreboard_upstream_response("http://a", 200, 1000);
	a = find_upstream("http://a", &u);
	ck_assert_int_ge(a, 0);
	scoreboard_upstream_response("http://a", 503, 200000);
	scoreboard_upstream_error("http://a");
	ck_assert_int_eq(find_upstream("http://a", &u), a);
	ck_assert_int_eq(count_upstreams(), 1);
	ck_assert_uint_eq(u.status[1], 1);
	ck_assert_uint_eq(u.status[4], 1);
	ck_assert_uint_eq(u.errors, 1);
	ck_assert_uint_eq(u.latency.bucket[0], 1);
	ck_assert_uint_eq(u.latency.bucket[4], 1);
	ck_assert_uint_eq(u.latency.bucket[5], 2);
	ck_assert_uint_eq(u.latency.bucket[SB_BUCKETS - 1], 2);
	ck_assert_uint_eq(u.latency.sum_us, 201000);

	/* Another process (a worker) finds the same entry. */
	if ((pid = fork()) == 0) {
		scoreboard_upstream_response("http://a", 404, 1000);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(find_upstream("http://a", &u), a);
	ck_assert_uint_eq(u.status[3], 1);

	/* Bucket bounds are inclusive ("le"). */
	for (k = 0; k < sizeof(obs) / sizeof(obs[0]); k++) {
		find_upstream("http://a", &u);
		scoreboard_upstream_response("http://a", 200, obs[k].usec);
		find_upstream("http://a", &v);
		for (j = 0; j < SB_BUCKETS; j++)
			ck_assert_msg(
			    v.latency.bucket[j] - u.latency.bucket[j] ==
			        (j >= obs[k].bucket),
			    "case %zu bucket %d", k, j);
	}

	/* Long URLs are told apart by their hash, shown cut. */
	memset(url, 'x', sizeof(url));
	memcpy(url, "http://", 7);
	url[sizeof(url) - 1] = '\0';
	memcpy(url2, url, sizeof(url2));
	url2[sizeof(url2) - 2] = 'y';
	scoreboard_upstream_error(url);
	scoreboard_upstream_error(url2);
	scoreboard_upstream_error(url2);
	ck_assert_int_eq(count_upstreams(), 3);
	url[SB_UPSTREAM_URL - 1] = '\0';
	n = 0;
	for (k = 0; k < SB_UPSTREAMS; k++)
		if (scoreboard_read_upstream(k, &u) == 0 &&
		    strcmp(u.url, url) == 0)
			n += (int)u.errors;
	ck_assert_int_eq(n, 3);

	/* A full table counts the rest in "other". */
	for (j = 3; j < SB_UPSTREAMS; j++) {
		snprintf(url, sizeof(url), "http://10.0.0.%d:8080", j);
		scoreboard_upstream_error(url);
	}
	ck_assert_int_eq(count_upstreams(), SB_UPSTREAMS);
	ck_assert_int_eq(scoreboard_read_upstream(SB_UPSTREAMS, &u), -1);
	scoreboard_upstream_response("http://new1", 200, 1000);
	scoreboard_upstream_error("http://new2");
	ck_assert_int_eq(count_upstreams(), SB_UPSTREAMS + 1);
	b = find_upstream("other", &u);
	ck_assert_int_eq(b, SB_UPSTREAMS);
	ck_assert_uint_eq(u.status[1], 1);
	ck_assert_uint_eq(u.errors, 1);
	ck_assert_uint_eq(u.latency.bucket[0], 1);
	/* Known URLs keep their entries. */
	scoreboard_upstream_error("http://a");
	ck_assert_int_eq(find_upstream("http://a", &u), a);
	ck_assert_uint_eq(u.errors, 2);
	ck_assert_int_eq(scoreboard_read_upstream(SB_UPSTREAMS + 1, &u), -1);

	/* The server-wide histogram has every observation. */
	scoreboard_read_latency(&h);
	ck_assert_uint_eq(h.bucket[SB_BUCKETS - 1], 2 + 1 + 11 + 1);
	ck_assert_uint_eq(h.bucket[0], 1 + 1 + 3 + 1);
}
END_TEST

static Suite *
pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, settings_table);
	tcase_add_test(tc, decide_table);
	tcase_add_test(tc, demand_table);
	tcase_add_test(tc, scoreboard_life);
	tcase_add_test(tc, scoreboard_upstreams);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pool_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
