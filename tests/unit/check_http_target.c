/* Check unit tests for request targets and Expect. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "http_target.h"

/* Split: authority, path and query of each target form. */
static const struct {
	const char *t;
	int rv;
	const char *auth, *path, *query; /* query NULL: none */
} split_cases[] = {
	{ "/", 0, NULL, "/", NULL },
	{ "/a?b=c", 0, NULL, "/a", "b=c" },
	{ "/a?", 0, NULL, "/a", "" },
	{ "/a?b?c", 0, NULL, "/a", "b?c" },
	{ "http://h/x", 0, "h", "/x", NULL },
	{ "HTTP://h:1/x?q", 0, "h:1", "/x", "q" },
	{ "https://h", 0, "h", "", NULL },
	{ "http://h?q", 0, "h", "", "q" },
	{ "http:///x", -1, NULL, NULL, NULL },
	{ "http://u@h/x", -1, NULL, NULL, NULL },
	{ "http://h/x@y", 0, "h", "/x@y", NULL },
	{ "ftp://h/x", -1, NULL, NULL, NULL },
	{ "*", -1, NULL, NULL, NULL },
	{ "h:443", -1, NULL, NULL, NULL },
	{ "a/b", -1, NULL, NULL, NULL },
	{ "", -1, NULL, NULL, NULL },
};

/* Compare a view with an expected string (NULL: the view is NULL). */
static void
check_view(const char *p, size_t n, const char *want)
{
	if (want == NULL) {
		ck_assert_ptr_null(p);
		return;
	}
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(n, strlen(want));
	ck_assert(memcmp(p, want, n) == 0);
}

START_TEST(test_target_split)
{
	struct http_target t;
	const char *s = split_cases[_i].t;

	ck_assert_int_eq(
	    http_target_split(s, strlen(s), &t), split_cases[_i].rv);
	if (split_cases[_i].rv != 0)
		return;
	check_view(t.authority, t.authority_len, split_cases[_i].auth);
	check_view(t.path, t.path_len, split_cases[_i].path);
	check_view(t.query, t.query_len, split_cases[_i].query);
}
END_TEST

/* Parse a request head for the Expect checks. */
static int
expect_of(const char *raw)
{
	static struct http_msg m;

	http_request_init(&m, NULL);
	ck_assert_int_eq(
	    http_parse_request(&m, raw, strlen(raw)), HTTP_PARSE_DONE);
	return http_expect_check(&m, raw);
}

START_TEST(test_expect)
{
	ck_assert_int_eq(expect_of("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
	ck_assert_int_eq(expect_of("GET / HTTP/1.1\r\nHost: a\r\n"
	                           "Expect: 100-continue\r\n\r\n"),
	    0);
	ck_assert_int_eq(expect_of("GET / HTTP/1.0\r\n"
	                           "expect: 100-CONTINUE\r\n\r\n"),
	    0);
	ck_assert_int_eq(expect_of("GET / HTTP/1.1\r\nHost: a\r\n"
	                           "Expect: foo, 100-continue\r\n\r\n"),
	    0);
	ck_assert_int_eq(expect_of("GET / HTTP/1.1\r\nHost: a\r\n"
	                           "Expect: foo\r\n\r\n"),
	    417);
	ck_assert_int_eq(expect_of("GET / HTTP/1.1\r\nHost: a\r\n"
	                           "Expect:\r\n\r\n"),
	    417);
	ck_assert_int_eq(
	    expect_of("GET / HTTP/1.0\r\nExpect: 200-ok\r\n\r\n"), 417);
	ck_assert_int_eq(expect_of("GET / HTTP/1.1\r\nHost: a\r\n"
	                           "Expect: 100-continue\r\nExpect: x\r\n\r\n"),
	    417);
}
END_TEST

static Suite *
http_target_suite(void)
{
	Suite *s = suite_create("http_target");
	TCase *tc = tcase_create("target");

	tcase_add_loop_test(tc, test_target_split, 0,
	    (int)(sizeof(split_cases) / sizeof(split_cases[0])));
	tcase_add_test(tc, test_expect);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(http_target_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
