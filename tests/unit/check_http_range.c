/* Check unit tests for Range parsing, HTTP dates and preconditions. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_range.h"

/* Range values against a size: result, count and "start+length" pairs. */
static const struct {
	const char *s;
	int64_t size;
	int rv;
	size_t n;
	int64_t r[6];
} range_cases[] = {
	{ "bytes=0-4", 10, 0, 1, { 0, 5 } },
	{ "bytes=0-", 10, 0, 1, { 0, 10 } },
	{ "bytes=5-100", 10, 0, 1, { 5, 5 } },
	{ "bytes=9-9", 10, 0, 1, { 9, 1 } },
	{ "bytes=-3", 10, 0, 1, { 7, 3 } },
	{ "bytes=-30", 10, 0, 1, { 0, 10 } },
	{ "bytes=-0", 10, 0, 1, { 10, 0 } },
	{ "bytes= 0 - 1 , 3-4", 10, 0, 2, { 0, 2, 3, 2 } },
	{ "bytes=0-1,,4-5", 10, 0, 2, { 0, 2, 4, 2 } },
	{ "bytes=0-0,2-2,-1", 10, 0, 3, { 0, 1, 2, 1, 9, 1 } },
	{ "bytes=0-1,20-30", 10, 0, 1, { 0, 2 } },
	{ "bytes=+1-2", 10, 0, 1, { 1, 2 } },
	/* More bytes than the file: ignored, the whole file is sent. */
	{ "bytes=0-9,0-9", 10, 0, 0, { 0 } },
	{ "bytes=", 10, 0, 0, { 0 } },
	{ "bytes=10-", 10, HTTP_RANGE_NO_OVERLAP, 0, { 0 } },
	{ "bytes=10-20,30-", 10, HTTP_RANGE_NO_OVERLAP, 0, { 0 } },
	{ "bytes=0-", 0, 0, 0, { 0 } },
	{ "bytes=5-1", 10, HTTP_RANGE_INVALID, 0, { 0 } },
	{ "bytes=a-1", 10, HTTP_RANGE_INVALID, 0, { 0 } },
	{ "bytes=1-b", 10, HTTP_RANGE_INVALID, 0, { 0 } },
	{ "bytes=--1", 10, HTTP_RANGE_INVALID, 0, { 0 } },
	{ "bytes=-", 10, HTTP_RANGE_INVALID, 0, { 0 } },
	{ "bytes=1", 10, HTTP_RANGE_INVALID, 0, { 0 } },
	{ "bytes=-1-2", 10, HTTP_RANGE_INVALID, 0, { 0 } },
	{ "bytes=99999999999999999999-", 10, HTTP_RANGE_INVALID, 0, { 0 } },
	{ "bytes=0-99999999999999999999", 10, HTTP_RANGE_INVALID, 0, { 0 } },
	{ "bytes=0-1,x", 10, HTTP_RANGE_INVALID, 0, { 0 } },
	{ "Bytes=0-1", 10, HTTP_RANGE_INVALID, 0, { 0 } },
	{ "items=0-1", 10, HTTP_RANGE_INVALID, 0, { 0 } },
	{ "", 10, HTTP_RANGE_INVALID, 0, { 0 } },
};

START_TEST(test_range_parse)
{
	struct http_range r[HTTP_RANGE_MAX];
	const char *s = range_cases[_i].s;
	size_t n = 99, i;

	ck_assert_int_eq(
	    http_range_parse(s, strlen(s), range_cases[_i].size, r, &n),
	    range_cases[_i].rv);
	ck_assert_uint_eq(n, range_cases[_i].n);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(r[i].start, range_cases[_i].r[2 * i]);
		ck_assert_int_eq(r[i].length, range_cases[_i].r[2 * i + 1]);
	}
}
END_TEST

/* Too many ranges: the field is ignored rather than served piecemeal. */
START_TEST(test_range_many)
{
	struct http_range r[HTTP_RANGE_MAX];
	char s[8 * (HTTP_RANGE_MAX + 2)];
	size_t n = 99, i, o;

	o = (size_t)snprintf(s, sizeof(s), "bytes=0-0");
	for (i = 1; i < HTTP_RANGE_MAX; i++)
		o += (size_t)snprintf(s + o, sizeof(s) - o, ",%zu-%zu", i, i);
	ck_assert_int_eq(http_range_parse(s, o, 1000, r, &n), 0);
	ck_assert_uint_eq(n, HTTP_RANGE_MAX);
	o += (size_t)snprintf(s + o, sizeof(s) - o, ",999-");
	ck_assert_int_eq(http_range_parse(s, o, 1000, r, &n), 0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_range_multipart)
{
	struct http_range r[2] = { { 0, 2 }, { 5, 3 } };
	char buf[HTTP_RANGE_PART_HEAD_MAX], body[1024];
	const char *b = "BOUND", *ct = "text/plain; charset=utf-8";
	size_t o = 0;

	ck_assert_uint_eq(http_range_content_range(&r[1], 10, buf, sizeof(buf)),
	    strlen("bytes 5-7/10"));
	ck_assert_str_eq(buf, "bytes 5-7/10");
	o += http_range_part_head(
	    body + o, sizeof(body) - o, b, 1, &r[0], 10, ct);
	memcpy(body + o, "ab", 2);
	o += 2;
	o += http_range_part_head(
	    body + o, sizeof(body) - o, b, 0, &r[1], 10, ct);
	memcpy(body + o, "fgh", 3);
	o += 3;
	o += http_range_part_tail(body + o, sizeof(body) - o, b);
	body[o] = '\0';
	ck_assert_str_eq(body,
	    "--BOUND\r\nContent-Range: bytes 0-1/10\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n\r\nab"
	    "\r\n--BOUND\r\nContent-Range: bytes 5-7/10\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n\r\nfgh"
	    "\r\n--BOUND--\r\n");
	ck_assert_int_eq(
	    http_range_multipart_size(r, 2, b, 10, ct), (int64_t)o);
}
END_TEST

/* Dates in the three forms Go accepts, and ones it refuses (-1). */
static const struct {
	const char *s;
	long long t;
} date_cases[] = {
	{ "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 },
	{ "Sunday, 06-Nov-94 08:49:37 GMT", 784111777 },
	{ "Sun Nov  6 08:49:37 1994", 784111777 },
	{ "Sun Nov 16 08:49:37 1994", 784111777 + 10 * 86400 },
	{ "sun, 06 nov 1994 08:49:37 GMT", 784111777 },
	{ "Thu, 01 Jan 1970 00:00:00 GMT", 0 },
	{ "Tue, 29 Feb 2000 00:00:00 GMT", 951782400 },
	{ "Thursday, 01-Jan-15 00:00:00 GMT", 1420070400 },
	{ "Sun, 06 Nov 1994 08:49:37 UTC", -1 },
	{ "Sun, 06 Nov 1994 08:49:37 GMT ", -1 },
	{ "Sun, 6 Nov 1994 08:49:37 GMT", -1 },
	{ "Sun, 31 Nov 1994 08:49:37 GMT", -1 },
	{ "Tue, 29 Feb 2001 00:00:00 GMT", -1 },
	{ "Sun, 06 Nov 1994 24:00:00 GMT", -1 },
	{ "Sun, 06 Foo 1994 08:49:37 GMT", -1 },
	{ "yesterday", -1 },
	{ "", -1 },
};

START_TEST(test_date_parse)
{
	const char *s = date_cases[_i].s;
	time_t t = 0;
	int rv = http_date_parse(s, strlen(s), &t);

	if (date_cases[_i].t < 0) {
		ck_assert_int_eq(rv, -1);
		return;
	}
	ck_assert_int_eq(rv, 0);
	ck_assert_int_eq((long long)t, date_cases[_i].t);
}
END_TEST

START_TEST(test_date_format)
{
	char buf[30];

	http_date_format(784111777, buf);
	ck_assert_str_eq(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
}
END_TEST

#define MT    784111777 /* the file's mtime */
#define DATE  "Sun, 06 Nov 1994 08:49:37 GMT"
#define EARLY "Sat, 05 Nov 1994 08:49:37 GMT"

/* Preconditions: fields, method, etag; expected status and range use. */
static const struct {
	const char *im, *inm, *ims, *ius, *ir;
	int get;
	const char *etag;
	int status, use_range;
} cond_cases[] = {
	{ NULL, NULL, NULL, NULL, NULL, 1, NULL, 0, 1 },
	{ NULL, NULL, DATE, NULL, NULL, 1, NULL, 304, 1 },
	{ NULL, NULL, EARLY, NULL, NULL, 1, NULL, 0, 1 },
	{ NULL, NULL, DATE, NULL, NULL, 0, NULL, 0, 1 },
	{ NULL, NULL, "garbage", NULL, NULL, 1, NULL, 0, 1 },
	{ NULL, NULL, NULL, DATE, NULL, 1, NULL, 0, 1 },
	{ NULL, NULL, NULL, EARLY, NULL, 1, NULL, 412, 1 },
	{ NULL, NULL, NULL, EARLY, NULL, 0, NULL, 412, 1 },
	{ NULL, NULL, NULL, "garbage", NULL, 1, NULL, 0, 1 },
	/* If-Match: strong comparison; without an etag only "*" matches. */
	{ "*", NULL, NULL, NULL, NULL, 1, NULL, 0, 1 },
	{ "\"a\"", NULL, NULL, NULL, NULL, 1, NULL, 412, 1 },
	{ "\"a\"", NULL, NULL, NULL, NULL, 1, "\"a\"", 0, 1 },
	{ "\"x\", \"a\"", NULL, NULL, NULL, NULL, 1, "\"a\"", 0, 1 },
	{ "W/\"a\"", NULL, NULL, NULL, NULL, 1, "W/\"a\"", 412, 1 },
	{ "\"a\"", NULL, NULL, EARLY, NULL, 1, "\"a\"", 0, 1 },
	{ "bad", NULL, NULL, NULL, NULL, 1, "\"a\"", 412, 1 },
	/* If-None-Match: weak comparison, wins over If-Modified-Since. */
	{ NULL, "\"a\"", NULL, NULL, NULL, 1, "\"a\"", 304, 1 },
	{ NULL, "W/\"a\"", NULL, NULL, NULL, 1, "\"a\"", 304, 1 },
	{ NULL, "\"a\"", NULL, NULL, NULL, 0, "\"a\"", 412, 1 },
	{ NULL, "*", NULL, NULL, NULL, 1, NULL, 304, 1 },
	{ NULL, "\"b\"", DATE, NULL, NULL, 1, "\"a\"", 0, 1 },
	{ NULL, "\"b\"", NULL, NULL, NULL, 1, NULL, 0, 1 },
	/* If-Range: a date equal to mtime, or a strongly equal etag. */
	{ NULL, NULL, NULL, NULL, DATE, 1, NULL, 0, 1 },
	{ NULL, NULL, NULL, NULL, EARLY, 1, NULL, 0, 0 },
	{ NULL, NULL, NULL, NULL, "\"a\"", 1, "\"a\"", 0, 1 },
	{ NULL, NULL, NULL, NULL, "\"a\"", 1, NULL, 0, 0 },
	{ NULL, NULL, NULL, NULL, "W/\"a\"", 1, "W/\"a\"", 0, 0 },
	{ NULL, NULL, NULL, NULL, "junk", 1, NULL, 0, 0 },
	{ NULL, NULL, NULL, NULL, EARLY, 0, NULL, 0, 1 },
};

/* Length of an optional string. */
static size_t
slen(const char *s)
{
	return s ? strlen(s) : 0;
}

START_TEST(test_cond)
{
	struct http_cond c;
	int use = -1;

	memset(&c, 0, sizeof(c));
	c.if_match = cond_cases[_i].im;
	c.if_match_len = slen(c.if_match);
	c.if_none_match = cond_cases[_i].inm;
	c.if_none_match_len = slen(c.if_none_match);
	c.if_modified_since = cond_cases[_i].ims;
	c.if_modified_since_len = slen(c.if_modified_since);
	c.if_unmodified_since = cond_cases[_i].ius;
	c.if_unmodified_since_len = slen(c.if_unmodified_since);
	c.if_range = cond_cases[_i].ir;
	c.if_range_len = slen(c.if_range);
	c.get_or_head = cond_cases[_i].get;
	ck_assert_int_eq(http_cond_check(&c, MT, cond_cases[_i].etag, &use),
	    cond_cases[_i].status);
	if (cond_cases[_i].status == 0)
		ck_assert_int_eq(use, cond_cases[_i].use_range);
}
END_TEST

/* An unknown mtime (0) disables the date conditions. */
START_TEST(test_cond_no_mtime)
{
	struct http_cond c;
	int use;

	memset(&c, 0, sizeof(c));
	c.if_modified_since = DATE;
	c.if_modified_since_len = strlen(DATE);
	c.if_unmodified_since = EARLY;
	c.if_unmodified_since_len = strlen(EARLY);
	c.get_or_head = 1;
	ck_assert_int_eq(http_cond_check(&c, 0, NULL, &use), 0);
}
END_TEST

static Suite *
http_range_suite(void)
{
	Suite *s = suite_create("http_range");
	TCase *tc = tcase_create("range");

	tcase_add_loop_test(tc, test_range_parse, 0,
	    (int)(sizeof(range_cases) / sizeof(range_cases[0])));
	tcase_add_test(tc, test_range_many);
	tcase_add_test(tc, test_range_multipart);
	tcase_add_loop_test(tc, test_date_parse, 0,
	    (int)(sizeof(date_cases) / sizeof(date_cases[0])));
	tcase_add_test(tc, test_date_format);
	tcase_add_loop_test(tc, test_cond, 0,
	    (int)(sizeof(cond_cases) / sizeof(cond_cases[0])));
	tcase_add_test(tc, test_cond_no_mtime);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(http_range_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
