/* Unit tests: MatcherSpec, Skipper conditions and TimeoutMiddleware decisions. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "http_parse.h"
#include "middleware/matcher.h"
#include "middleware/skipper.h"
#include "middleware/timeout.h"

START_TEST(matcher_table)
{
	static const struct {
		int type;
		const char *patterns[3];
		const char *value;
		int want;
	} cases[] = {
		{ MATCH_PREFIX, { "/health" }, "/healthz", 1 },
		{ MATCH_PREFIX, { "/health" }, "/x", 0 },
		{ MATCH_EXACT, { "/a", "/b" }, "/b", 1 },
		{ MATCH_EXACT, { "/a", "/b" }, "/c", 0 },
		{ MATCH_EXACT, { NULL }, "/c", 0 },
		{ MATCH_SUFFIX, { ".json" }, "/x/y.json", 1 },
		{ MATCH_CONTAINS, { "/v1/" }, "/api/v1/users", 1 },
		{ MATCH_PATH, { "/a/*" }, "/a/b", 1 },
		{ MATCH_PATH, { "/a/*" }, "/a/b/c", 0 },
		{ MATCH_REGEX, { "^/item/[0-9]+$" }, "/item/42", 1 },
		{ MATCH_REGEX, { "^/item/[0-9]+$" }, "/item/4x", 0 },
		{ MATCH_REGEX, { "[0-9]" }, "/unanchored/7/x", 1 },
		{ MATCH_REGEX_POSIX, { "^/t/[a-z]{3}/.*$" }, "/t/abc/x", 1 },
		{ MATCH_REGEX_POSIX, { "^/t/[a-z]{3}/.*$" }, "/t/ab/x", 0 },
	};
	struct mw_matcher m;
	char err[256];
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (n = 0; n < 3 && cases[i].patterns[n] != NULL; n++)
			;
		ck_assert_int_eq(mw_matcher_init(&m, cases[i].type,
		                     cases[i].patterns, n, err, sizeof(err)),
		    0);
		ck_assert_msg(mw_matcher_match(&m, cases[i].value,
		                  strlen(cases[i].value)) == cases[i].want,
		    "case %zu", i);
		mw_matcher_reset(&m);
	}
}
END_TEST

START_TEST(matcher_invalid)
{
	static const struct {
		int type;
		const char *pattern;
	} cases[] = {
		{ MATCH_REGEX, "(" },
		{ MATCH_REGEX, "[a-" },
		{ MATCH_REGEX_POSIX, "(" },
		{ MATCH_PATH, "/a/[b" },
		{ MATCH_PATH, "/a\\" },
		{ MATCH_FILEPATH, "[]" },
	};
	struct mw_matcher m;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *p[2] = { "/ok", cases[i].pattern };

		err[0] = '\0';
		ck_assert_msg(mw_matcher_init(&m, cases[i].type, p, 2, err,
		                  sizeof(err)) == -1,
		    "case %zu", i);
		ck_assert_msg(strstr(err, cases[i].pattern) != NULL,
		    "case %zu: %s", i, err);
		ck_assert_uint_eq(m.npatterns, 0);
	}
}
END_TEST

START_TEST(skip_conditions)
{
	static const char *const health[] = { "/health" };
	static const char *const admin[] = { "^/admin/" };
	struct skipper_cond c[2];
	char err[128];
	static const struct {
		int method;
		const char *path;
		int want;
	} cases[] = {
		{ HTTP_M_GET, "/healthz", 1 }, /* no methods: any */
		{ HTTP_M_DELETE, "/health", 1 },
		{ HTTP_M_OTHER, "/health", 1 },
		{ HTTP_M_GET, "/x", 0 },
		{ HTTP_M_GET, "/admin/x", 1 }, /* listed method */
		{ HTTP_M_POST, "/admin/x", 1 },
		{ HTTP_M_PUT, "/admin/x", 0 },   /* method not listed */
		{ HTTP_M_OTHER, "/admin/x", 0 }, /* unknown: never listed */
		{ HTTP_M_GET, "/x/admin/", 0 },
	};
	size_t i;

	memset(c, 0, sizeof(c));
	ck_assert_int_eq(mw_matcher_init(&c[0].matcher, MATCH_PREFIX, health, 1,
	                     err, sizeof(err)),
	    0);
	ck_assert_int_eq(mw_matcher_init(&c[1].matcher, MATCH_REGEX, admin, 1,
	                     err, sizeof(err)),
	    0);
	c[1].methods = 1u << HTTP_M_GET | 1u << HTTP_M_POST;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(
		    skipper_should_skip(c, 2, cases[i].method, cases[i].path,
		        strlen(cases[i].path)) == cases[i].want,
		    "case %zu: %d %s", i, cases[i].method, cases[i].path);
	ck_assert_int_eq(
	    skipper_should_skip(c, 0, HTTP_M_GET, "/health", 7), 0);
	mw_matcher_reset(&c[0].matcher);
	mw_matcher_reset(&c[1].matcher);
}
END_TEST

/* AILERON's test: default 50 ms, GET /applied-api-timeout 100 ms (Exact). */
START_TEST(timeout_select_table)
{
	static const char *const applied[] = { "/applied-api-timeout" };
	struct timeout_api api;
	struct timeout_policy p = { 50, &api, 1 };
	char err[128];
	static const struct {
		int method;
		const char *path;
		int32_t want;
	} cases[] = {
		{ HTTP_M_GET, "/default", 50 },
		{ HTTP_M_GET, "/applied-api-timeout", 100 },
		{ HTTP_M_POST, "/applied-api-timeout", 50 },
		{ HTTP_M_GET, "/applied-api-timeout/x", 50 },
		{ HTTP_M_GET, "/not-applied-api-timeout", 50 },
	};
	size_t i;

	memset(&api, 0, sizeof(api));
	ck_assert_int_eq(mw_matcher_init(&api.matcher, MATCH_EXACT, applied, 1,
	                     err, sizeof(err)),
	    0);
	api.methods = 1u << HTTP_M_GET;
	api.timeout_ms = 100;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(timeout_select(&p, cases[i].method, cases[i].path,
		                  strlen(cases[i].path)) == cases[i].want,
		    "case %zu", i);
	p.default_ms = 0;
	ck_assert_int_eq(timeout_select(&p, HTTP_M_GET, "/default", 8), 0);
	ck_assert_int_eq(
	    timeout_select(&p, HTTP_M_GET, "/applied-api-timeout", 20), 100);
	mw_matcher_reset(&api.matcher);
}
END_TEST

START_TEST(timeout_deadlines)
{
	static const struct {
		struct timespec now;
		int32_t ms;
		struct timespec later;
		int cap, poll_ms, started, status;
	} cases[] = {
		/* 50 ms, checked at once: 50 left, no 504 */
		{ { 10, 0 }, 50, { 10, 0 }, -1, 50, 0, 0 },
		/* carried into the next second */
		{ { 10, 990000000 }, 50, { 11, 0 }, -1, 40, 0, 0 },
		/* a partial millisecond rounds up */
		{ { 10, 0 }, 1, { 10, 500000 }, -1, 1, 0, 0 },
		/* the caller's shorter timeout wins */
		{ { 10, 0 }, 5000, { 10, 0 }, 30, 30, 0, 0 },
		/* exactly at the deadline: passed, nothing sent: 504 */
		{ { 10, 0 }, 50, { 10, 50000000 }, -1, 0, 0, 504 },
		/* long past it but the response started: keep it */
		{ { 10, 0 }, 50, { 12, 0 }, -1, 0, 1, 0 },
		{ { 10, 0 }, 1500, { 12, 0 }, 100, 0, 0, 504 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct timespec d =
		    timeout_deadline(&cases[i].now, cases[i].ms);

		ck_assert_msg(timeout_poll_ms(&d, &cases[i].later,
		                  cases[i].cap) == cases[i].poll_ms,
		    "case %zu: poll %d", i,
		    timeout_poll_ms(&d, &cases[i].later, cases[i].cap));
		ck_assert_msg(timeout_status(&d, &cases[i].later,
		                  cases[i].started) == cases[i].status,
		    "case %zu: status", i);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("skipper");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, matcher_table);
	tcase_add_test(tc, matcher_invalid);
	tcase_add_test(tc, skip_conditions);
	tcase_add_test(tc, timeout_select_table);
	tcase_add_test(tc, timeout_deadlines);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
