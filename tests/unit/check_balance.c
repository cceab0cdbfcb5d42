/* Unit tests: load-balancing algorithms. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "balance.h"

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

static Suite *
balance_suite(void)
{
	Suite *s = suite_create("balance");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, rr_weighted_sequence);
	tcase_add_test(tc, rr_index_table);
	tcase_add_test(tc, rr_shared_counter);
	tcase_add_test(tc, empty_lb);
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
