/* Check unit tests for EchoHandler's body: AILERON's dump, byte for byte. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "echo_body.h"

#define F(n, v)                                    \
	{                                          \
		n, sizeof(n) - 1, v, sizeof(v) - 1 \
	}

/* The example of the reference: GET /a%20b?x=1 from curl. */
START_TEST(test_echo_get)
{
	static const struct echo_field f[] = { F("Accept", "*/*") };
	struct echo_req r = { "HTTP/1.1", "localhost:8080", "GET", "/a%20b?x=1",
		"/a b", 4, "x=1", "127.0.0.1:51234", f, 1, "", 0 };
	size_t len;
	int status;
	char *b = echo_body_build(&r, &len, &status);

	ck_assert_int_eq(status, 200);
	ck_assert_uint_eq(len, strlen(b));
	ck_assert_str_eq(b,
	    "---------- Request ----------\n"
	    "Proto   : HTTP/1.1\n"
	    "Host   : localhost:8080\n"
	    "Method : GET\n"
	    "URI    : /a%20b?x=1\n"
	    "Path   : /a b\n"
	    "Query  : x=1\n"
	    "Remote : 127.0.0.1:51234\n"
	    "---------- Header ----------\n"
	    "{\n"
	    "  \"Accept\": [\n"
	    "    \"*/*\"\n"
	    "  ]\n"
	    "}\n"
	    "---------- Body ----------\n"
	    "\n"
	    "--------------------------\n");
	free(b);
}
END_TEST

/* Names canonicalised, sorted and grouped; JSON escapes as Go's. */
START_TEST(test_echo_headers)
{
	static const struct echo_field f[] = {
		F("x-b", "2"),
		F("User-Agent", "curl/8"),
		F("X-B", "1"),
		F("content-type", "a<b>&\"c\\"),
		F("transfer-encoding", "chunked"),
		F("x-ctl", "\x01\t\xe2\x80\xa8\xc3\xa9\xff"),
		F("X-Empty", ""),
	};
	struct echo_req r = { "HTTP/1.1", "h", "POST", "/p?a+b=%41", "/p", 2,
		"a+b=%41", "[::1]:2", f, 7, "hello", 5 };
	size_t len;
	int status;
	char *b = echo_body_build(&r, &len, &status);

	ck_assert_int_eq(status, 200);
	ck_assert_str_eq(b,
	    "---------- Request ----------\n"
	    "Proto   : HTTP/1.1\n"
	    "Host   : h\n"
	    "Method : POST\n"
	    "URI    : /p?a+b=%41\n"
	    "Path   : /p\n"
	    "Query  : a b=A\n"
	    "Remote : [::1]:2\n"
	    "---------- Header ----------\n"
	    "{\n"
	    "  \"Content-Type\": [\n"
	    "    \"a\\u003cb\\u003e\\u0026\\\"c\\\\\"\n"
	    "  ],\n"
	    "  \"User-Agent\": [\n"
	    "    \"curl/8\"\n"
	    "  ],\n"
	    "  \"X-B\": [\n"
	    "    \"2\",\n"
	    "    \"1\"\n"
	    "  ],\n"
	    "  \"X-Ctl\": [\n"
	    "    \"\\u0001\\t\\u2028\xc3\xa9\\ufffd\"\n"
	    "  ],\n"
	    "  \"X-Empty\": [\n"
	    "    \"\"\n"
	    "  ]\n"
	    "}\n"
	    "---------- Body ----------\n"
	    "hello\n"
	    "--------------------------\n");
	free(b);
}
END_TEST

/* No headers at all, and a body too large to show. */
START_TEST(test_echo_empty)
{
	struct echo_req r = { "HTTP/1.0", "", "PUT", "/", "/", 1, "",
		"1.2.3.4:5", NULL, 0, NULL, 0 };
	size_t len;
	int status;
	char *b = echo_body_build(&r, &len, &status);

	ck_assert_int_eq(status, 200);
	ck_assert_ptr_nonnull(strstr(b,
	    "---------- Header ----------\n{}\n"
	    "---------- Body ----------\n"
	    "REQUEST BODY TOO LARGE\n\n"
	    "--------------------------\n"));
	free(b);
}
END_TEST

/* Bad escapes: Go's error text, status 500. */
static const struct {
	const char *path, *query, *err;
} bad_cases[] = {
	{ "/%zz", "", "invalid URL escape \"%zz\"" },
	{ "/a%", "", "invalid URL escape \"%\"" },
	{ "/a%4", "", "invalid URL escape \"%4\"" },
	{ "/a%4g/%zz", "", "invalid URL escape \"%4g\"" },
	{ "/", "a=%zz", "invalid URL escape \"%zz\"" },
	{ "/", "a=%\x01x", "invalid URL escape \"%\\x01x\"" },
	{ "/", "a=%\"", "invalid URL escape \"%\\\"\"" },
	{ "/", "a=%\xc3\xa9", "invalid URL escape \"%\xc3\xa9\"" },
};

START_TEST(test_echo_bad_escape)
{
	struct echo_req r = { "HTTP/1.1", "h", "GET", "/", bad_cases[_i].path,
		strlen(bad_cases[_i].path), bad_cases[_i].query, "a:1", NULL, 0,
		"", 0 };
	size_t len;
	int status;
	char *b = echo_body_build(&r, &len, &status);

	ck_assert_int_eq(status, 500);
	ck_assert_uint_eq(len, strlen(bad_cases[_i].err));
	ck_assert_str_eq(b, bad_cases[_i].err);
	free(b);
}
END_TEST

/* The decoded path is decoded once more, as AILERON does (%2541 -> %41 -> A). */
START_TEST(test_echo_double_decode)
{
	struct echo_req r = { "HTTP/1.1", "h", "GET", "/%2541", "/%41", 4, "",
		"a:1", NULL, 0, "", 0 };
	size_t len;
	int status;
	char *b = echo_body_build(&r, &len, &status);

	ck_assert_int_eq(status, 200);
	ck_assert_ptr_nonnull(strstr(b, "Path   : /A\n"));
	free(b);
}
END_TEST

static Suite *
echo_body_suite(void)
{
	Suite *s = suite_create("echo_body");
	TCase *tc = tcase_create("echo");

	tcase_add_test(tc, test_echo_get);
	tcase_add_test(tc, test_echo_headers);
	tcase_add_test(tc, test_echo_empty);
	tcase_add_loop_test(tc, test_echo_bad_escape, 0,
	    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, test_echo_double_decode);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(echo_body_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
