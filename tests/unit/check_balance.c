/* Unit tests: load-balancing algorithms. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "balance.h"
#include "health.h"

static const char *const urls[] = { "http://127.0.0.1:1", "http://127.0.0.1:2",
	"http://127.0.0.1:3" };
static const char *const seeds[] = { "foo", "bar", "baz", "alice", "bob",
	"12345", "" };

/* Build an LB with the given weights (upstreams named u0, u1, ...). */
static struct conf_lb *
make_lb(int algorithm, const int *weights, size_t n)
{
	struct conf_lb *lb = calloc(1, sizeof(*lb));
	size_t i;

	lb->algorithm = algorithm;
	lb->upstreams = calloc(n, sizeof(*lb->upstreams));
	lb->nupstreams = n;
	for (i = 0; i < n; i++) {
		lb->upstreams[i].weight = weights[i];
		lb->upstreams[i].url = (char *)(uintptr_t)urls[i % 3];
		lb->total_weight += (uint64_t)weights[i];
	}
	return lb;
}

static void
free_lb(struct conf_lb *lb)
{
	free(lb->upstreams);
	free(lb);
}

START_TEST(rr_weighted_sequence)
{
	static const int w[] = { 1, 2, 3 };
	static const int want[] = { 0, 1, 1, 2, 2, 2, 0, 1, 1, 2, 2, 2, 0 };
	struct conf_lb *lb = make_lb(LB_ROUND_ROBIN, w, 3);
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_int_eq(balance_pick(lb, NULL, 0), want[i]);
	free_lb(lb);
}
END_TEST

START_TEST(rr_index_table)
{
	static const struct {
		int w[4];
		size_t n;
		uint64_t step;
		int want;
	} cases[] = {
		{ { 1 }, 1, 0, 0 },
		{ { 1 }, 1, 99, 0 },
		{ { 1, 1 }, 2, 3, 1 },
		{ { 5, 1 }, 2, 4, 0 },
		{ { 5, 1 }, 2, 5, 1 },
		{ { 5, 1 }, 2, 6, 0 },
		{ { 2, 2, 2 }, 3, 4, 2 },
		{ { 65535, 1 }, 2, 65535, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf_lb *lb =
		    make_lb(LB_ROUND_ROBIN, cases[i].w, cases[i].n);

		ck_assert_msg(
		    balance_rr_index(lb, cases[i].step) == cases[i].want,
		    "case %zu", i);
		free_lb(lb);
	}
}
END_TEST

START_TEST(rr_shared_counter)
{
	static const int w[] = { 1, 1 };
	struct conf_lb *lb = make_lb(LB_ROUND_ROBIN, w, 2);
	struct conf_lb_shared sh = { 41 };

	lb->shared = &sh;
	ck_assert_int_eq(balance_pick(lb, NULL, 0), 1);
	ck_assert_int_eq(balance_pick(lb, NULL, 0), 0);
	ck_assert_uint_eq(sh.rr_counter, 43);
	free_lb(lb);
}
END_TEST

START_TEST(empty_lb)
{
	struct conf_lb *lb = make_lb(LB_ROUND_ROBIN, NULL, 0);

	ck_assert_int_eq(balance_pick(lb, "k", 1), -1);
	free_lb(lb);
}
END_TEST

START_TEST(hash_primitives)
{
	/* Published xxHash64 and SplitMix64 values. */
	ck_assert_uint_eq(balance_hash("", 0), 0xef46db3751d8e999ULL);
	ck_assert_uint_eq(balance_hash("abc", 3), 0x44bc2cf5ad770999ULL);
	ck_assert_uint_eq(balance_mix(0), 0xe220a8397b1dcdafULL);
	ck_assert_uint_eq(balance_maglev_size(1), 3);
	ck_assert_uint_eq(balance_maglev_size(12), 13);
	ck_assert_uint_eq(balance_maglev_size(38), 41);
	ck_assert_uint_eq(balance_maglev_size(1200), 1231);
	/* i = 40, 41 give 1681 = 41 * 41 and 1763 = 41 * 43: skipped. */
	ck_assert_uint_eq(balance_maglev_size(1640), 1847);
}
END_TEST

/*
 * Selections for weights 1/2/3 and the seeds above, computed by the
 * independent Python model in tests/integration/lbref.py.
 */
START_TEST(hash_known_selections)
{
	static const struct {
		int algorithm;
		int want[7];
	} cases[] = {
		{ LB_DIRECT_HASH, { 2, 0, 1, 1, 0, 1, 1 } },
		{ LB_RING_HASH, { 0, 2, 2, 2, 2, 2, 2 } },
		{ LB_MAGLEV, { 1, 1, 2, 2, 2, 2, 0 } },
	};
	static const int w[] = { 1, 2, 3 };
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf_lb *lb = make_lb(cases[i].algorithm, w, 3);
		struct arena *a = arena_new(4096);

		balance_build_lb(a, lb);
		for (j = 0; j < sizeof(seeds) / sizeof(seeds[0]); j++)
			ck_assert_msg(balance_pick(lb, seeds[j],
			                  strlen(seeds[j])) == cases[i].want[j],
			    "algorithm %d seed %s", cases[i].algorithm,
			    seeds[j]);
		arena_free(a);
		free_lb(lb);
	}
}
END_TEST

START_TEST(hash_distribution_and_health)
{
	static const int w[] = { 100, 200, 300 };
	static const int algs[] = { LB_DIRECT_HASH, LB_RING_HASH, LB_MAGLEV,
		LB_RANDOM, LB_ROUND_ROBIN };
	struct conf_upstream_shared sh[3];
	size_t i, k;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		struct conf_lb *lb = make_lb(algs[i], w, 3);
		struct arena *a = arena_new(4096);
		int count[3] = { 0, 0, 0 };
		char key[16];

		balance_build_lb(a, lb);
		for (k = 0; k < 6000; k++) {
			int n = snprintf(key, sizeof(key), "%zu", k);

			count[balance_pick(lb, key, (size_t)n)]++;
		}
		/* Proportional to the weights within 25%. */
		for (k = 0; k < 3; k++)
			ck_assert_msg(count[k] > 750 * (int)(k + 1) &&
			        count[k] < 1250 * (int)(k + 1),
			    "algorithm %d upstream %zu: %d", algs[i], k,
			    count[k]);
		/* An upstream that is down is never chosen. */
		memset(sh, 0, sizeof(sh));
		for (k = 0; k < 3; k++)
			lb->upstreams[k].shared = &sh[k];
		sh[2].down = 1;
		for (k = 0; k < 600; k++) {
			int n = snprintf(key, sizeof(key), "%zu", k);

			ck_assert_int_ne(balance_pick(lb, key, (size_t)n), 2);
		}
		sh[0].down = sh[1].down = 1;
		ck_assert_int_eq(balance_pick(lb, "x", 1), -1);
		arena_free(a);
		free_lb(lb);
	}
}
END_TEST

START_TEST(health_passive_and_addrs)
{
	struct conf_upstream_shared sh;
	struct conf_upstream up;
	static const struct {
		const char *addr;
		int ok;
	} addrs[] = {
		{ "127.0.0.1:80", 0 },
		{ "[::1]:8080", 0 },
		{ "http://localhost:8080/healthz", 0 },
		{ "http://[::1]:1", 0 },
		{ "localhost", -1 },
		{ "https://localhost:443/", -1 },
		{ "localhost:http", -1 },
		{ ":80", -1 },
		{ "[::1]", -1 },
	};
	size_t i;

	memset(&sh, 0, sizeof(sh));
	memset(&up, 0, sizeof(up));
	up.url = (char *)(uintptr_t) "http://127.0.0.1:1";
	up.shared = &sh;
	up.enable_passive = 1;
	up.health_check_interval = 60;
	ck_assert(health_usable(NULL));
	health_report(&up, 0);
	health_report(&up, 0);
	health_report(&up, 1); /* a success resets the count */
	health_report(&up, 0);
	health_report(&up, 0);
	ck_assert(health_usable(&sh));
	health_report(&up, 0); /* the third in a row */
	ck_assert(!health_usable(&sh));
	ck_assert_uint_eq(sh.fails, HEALTH_PASSIVE_FAILS - 1);
	sh.down_until = 1; /* cool-down over */
	ck_assert(health_usable(&sh));
	sh.down = 1; /* active checks say down */
	ck_assert(!health_usable(&sh));
	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		ck_assert_msg(health_addr_check(addrs[i].addr) == addrs[i].ok,
		    "%s", addrs[i].addr);
}
END_TEST

static Suite *
balance_suite(void)
{
	Suite *s = suite_create("balance");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, rr_weighted_sequence);
	tcase_add_test(tc, rr_index_table);
	tcase_add_test(tc, rr_shared_counter);
	tcase_add_test(tc, empty_lb);
	tcase_add_test(tc, hash_primitives);
	tcase_add_test(tc, hash_known_selections);
	tcase_add_test(tc, hash_distribution_and_health);
	tcase_add_test(tc, health_passive_and_addrs);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(balance_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
