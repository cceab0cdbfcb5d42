/* Unit tests: BodyLimitMiddleware decisions and the chunked decoder's body limit. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"
#include "middleware/body_limit.h"

START_TEST(decide_table)
{
	static const struct {
		int64_t max;
		int body;
		uint64_t length;
		enum body_limit_action want;
	} cases[] = {
		{ 0, HTTP_BODY_LENGTH, 100, BODY_LIMIT_PASS },
		{ -1, HTTP_BODY_CHUNKED, 0, BODY_LIMIT_PASS },
		{ 10, HTTP_BODY_LENGTH, 5, BODY_LIMIT_PASS },
		{ 10, HTTP_BODY_LENGTH, 10, BODY_LIMIT_PASS },
		{ 10, HTTP_BODY_LENGTH, 11, BODY_LIMIT_TOO_LARGE },
		{ 10, HTTP_BODY_NONE, 0, BODY_LIMIT_PASS },
		{ 10, HTTP_BODY_CHUNKED, 0, BODY_LIMIT_COUNT },
		{ 4194304, HTTP_BODY_LENGTH, 4194305, BODY_LIMIT_TOO_LARGE },
		{ 4194304, HTTP_BODY_LENGTH, UINT64_MAX, BODY_LIMIT_TOO_LARGE },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct body_limit_policy p = { cases[i].max, 0, NULL };

		ck_assert_msg(body_limit_decide(&p, cases[i].body,
		                  cases[i].length) == cases[i].want,
		    "case %zu", i);
	}
}
END_TEST

START_TEST(drainable_table)
{
	static const struct {
		uint64_t length;
		size_t avail;
		int expect, want;
	} cases[] = {
		{ 11, 11, 0, 1 },
		{ 11, 11, 1, 1 },
		{ 11, 0, 0, 1 },
		{ 11, 0, 1, 0 }, /* waits for 100 Continue */
		{ 11, 3, 1, 1 }, /* sent anyway */
		{ BODY_LIMIT_DRAIN_MAX, 0, 0, 1 },
		{ BODY_LIMIT_DRAIN_MAX + 1, 0, 0, 0 },
		{ BODY_LIMIT_DRAIN_MAX + 1, 1, 0, 1 },
		{ UINT64_MAX, 100, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(
		    body_limit_drainable(cases[i].length, cases[i].avail,
		        cases[i].expect) == cases[i].want,
		    "case %zu", i);
}
END_TEST

/*
 * The decoder with max_data: a body of exactly the limit passes, a chunk
 * that would cross it fails with too_large before its data is taken.
 * Each body is also fed one byte at a time.
 */
START_TEST(chunked_limit_table)
{
	static const struct {
		const char *body;
		uint64_t max;
		int want; /* HTTP_CHUNK_* */
		int too_large;
	} cases[] = {
		{ "0\r\n\r\n", 10, HTTP_CHUNK_DONE, 0 },
		{ "a\r\n0123456789\r\n0\r\n\r\n", 10, HTTP_CHUNK_DONE, 0 },
		{ "5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n", 10, HTTP_CHUNK_DONE,
		    0 },
		{ "b\r\n0123456789a\r\n0\r\n\r\n", 10, HTTP_CHUNK_ERROR, 1 },
		{ "5\r\n01234\r\n6\r\n567890\r\n0\r\n\r\n", 10,
		    HTTP_CHUNK_ERROR, 1 },
		{ "fffffffffff\r\n", 10, HTTP_CHUNK_ERROR, 1 },
		{ "b\r\n0123456789a\r\n0\r\n\r\n", 0, HTTP_CHUNK_DONE, 0 },
		{ "x\r\n", 10, HTTP_CHUNK_ERROR, 0 }, /* malformed: 400 */
	};
	size_t i, j, used, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_chunked c;
		int rc;

		len = strlen(cases[i].body);
		http_chunked_init(&c, 0);
		c.max_data = cases[i].max;
		rc = http_chunked_parse(&c, cases[i].body, len, &used, NULL);
		ck_assert_msg(rc == cases[i].want, "case %zu: rc %d", i, rc);
		ck_assert_msg(c.too_large == cases[i].too_large, "case %zu", i);
		http_chunked_init(&c, 0);
		c.max_data = cases[i].max;
		rc = HTTP_CHUNK_AGAIN;
		for (j = 0; j < len; j++) {
			rc = http_chunked_parse(
			    &c, cases[i].body + j, 1, &used, NULL);
			if (rc != HTTP_CHUNK_AGAIN)
				break;
		}
		ck_assert_msg(rc == cases[i].want, "case %zu bytewise", i);
		ck_assert_msg(
		    c.too_large == cases[i].too_large, "case %zu bytewise", i);
	}
}
END_TEST

/* The chunk crossing the limit is refused before any of its data is taken. */
START_TEST(chunked_limit_stops_before_data)
{
	static const char body[] = "4\r\n0123\r\n8\r\n45678901\r\n0\r\n\r\n";
	struct http_chunked c;
	struct http_span d;
	size_t used, off = 0, taken = 0;
	int rc;

	http_chunked_init(&c, 0);
	c.max_data = 10;
	do {
		rc = http_chunked_parse(
		    &c, body + off, sizeof(body) - 1 - off, &used, &d);
		taken += d.len;
		off += used;
	} while (rc == HTTP_CHUNK_AGAIN && used > 0);
	ck_assert_int_eq(rc, HTTP_CHUNK_ERROR);
	ck_assert_int_eq(c.too_large, 1);
	ck_assert_uint_eq(taken, 4);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("body_limit");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, decide_table);
	tcase_add_test(tc, drainable_table);
	tcase_add_test(tc, chunked_limit_table);
	tcase_add_test(tc, chunked_limit_stops_before_data);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
