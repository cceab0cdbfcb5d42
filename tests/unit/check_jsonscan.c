/* Check unit tests for the shared JSON scanner (SLogger fieldReplacers, CSRF tokens in JSON bodies). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "jsonscan.h"

/* jsonscan_value on text: how many bytes the value takes, -1 for NULL. */
static const struct {
	const char *text;
	int want;
} value_cases[] = {
	{ "\"abc\",", 5 },
	{ "\"a\\\"b\"}", 6 }, /* an escaped quote does not close */
	{ "\"a\\\\\"}", 5 },  /* an escaped backslash does not escape */
	{ "\"{[,\"]", 5 },    /* brackets in a string are text */
	{ "\"abc", -1 },      /* a string cut short */
	{ "\"abc\\", -1 },
	{ "123,", 3 },
	{ "123}", 3 },
	{ "123]", 3 },
	{ "123 ,", 3 }, /* RFC 8259: the blank is not the value's */
	{ "-1.5e+3\r\n}", 7 },
	{ "true\t,", 4 },
	{ "null", 4 },    /* a number or literal may run to the end */
	{ "12\"x\"", 2 }, /* a quote ends a number */
	{ "{\"a\":[1,{\"b\":\"}\"}],\"c\":2},", 25 },
	{ "[1,[2,[3]]] ,", 11 },
	{ "{}", 2 },
	{ "[]", 2 },
	{ "{\"a\":1", -1 }, /* a nested value cut short */
	{ "[1,2", -1 },
	{ "{\"a\":\"}", -1 }, /* its last string cut short */
	{ "", -1 },           /* no value at all */
	{ ",", -1 },
	{ "}", -1 }, /* the enclosing object's end, not a value */
	{ "]", -1 },
	{ ":", -1 },
};

START_TEST(test_value)
{
	const char *t = value_cases[_i].text, *end = t + strlen(t), *e;

	e = jsonscan_value(t, end);
	if (value_cases[_i].want < 0)
		ck_assert_msg(e == NULL, "case %d: %s", _i, t);
	else {
		ck_assert_msg(e != NULL, "case %d: %s", _i, t);
		ck_assert_int_eq((int)(e - t), value_cases[_i].want);
	}
}
END_TEST

START_TEST(test_ws_string)
{
	const char *t = " \t\r\n\"x\\\"\" \f", *end = t + strlen(t), *p;

	p = jsonscan_ws(t, end);
	ck_assert_int_eq((int)(p - t), 4);
	p = jsonscan_string(p, end);
	ck_assert_int_eq((int)(p - t), 9);
	/* a form feed is not JSON white space */
	ck_assert_int_eq((int)(jsonscan_ws(p, end) - t), 10);
	ck_assert_ptr_eq(jsonscan_ws(end, end), end);
}
END_TEST

/*
 * jsonscan_next over an object: its members "key=value" joined by "|",
 * then "$" for a clean end or "!" for a refusal.
 */
static const struct {
	const char *text, *want;
} next_cases[] = {
	{ "{}", "$" },
	{ " {}", "!" }, /* obj is at the '{' */
	{ "{ \"a\" : 1 , \"b\":\"x\" }", "\"a\"=1|\"b\"=\"x\"|$" },
	{ "{\"a\":{\"b\":[1,2]},\"c\":null}\n",
	    "\"a\"={\"b\":[1,2]}|\"c\"=null|$" },
	{ "{\"k\\\"q\":true}", "\"k\\\"q\"=true|$" },
	{ "{\"a\":1,\"b\":2", "\"a\"=1|\"b\"=2|!" }, /* cut short after b */
	{ "{\"a\":1,\"b\":", "\"a\"=1|!" },
	{ "{\"a\":1 \"b\":2}", "\"a\"=1|!" }, /* a comma is needed */
	{ "{\"a\":1,}", "\"a\"=1|!" },        /* and a member after it */
	{ "{\"a\":}", "!" },                  /* a value too */
	{ "{\"a\":,\"b\":1}", "!" },
	{ "{\"a\" 1}", "!" },
	{ "{a:1}", "!" },
	{ "[1]", "!" },
	{ "", "!" },
};

START_TEST(test_next)
{
	const char *t = next_cases[_i].text, *end = t + strlen(t);
	struct jsonscan_member m;
	char got[256];
	size_t n = 0;
	int rc;

	memset(&m, 0, sizeof(m));
	while ((rc = jsonscan_next(t, end, &m)) > 0) {
		ck_assert_uint_lt(n + (size_t)(m.key_end - m.key) +
		        (size_t)(m.value_end - m.value) + 2,
		    sizeof(got));
		memcpy(got + n, m.key, (size_t)(m.key_end - m.key));
		n += (size_t)(m.key_end - m.key);
		got[n++] = '=';
		memcpy(got + n, m.value, (size_t)(m.value_end - m.value));
		n += (size_t)(m.value_end - m.value);
		got[n++] = '|';
	}
	got[n++] = rc == 0 ? '$' : '!';
	got[n] = '\0';
	ck_assert_str_eq(got, next_cases[_i].want);
}
END_TEST

static Suite *
jsonscan_suite(void)
{
	Suite *s = suite_create("jsonscan");
	TCase *tc = tcase_create("scan");

	tcase_add_loop_test(tc, test_value, 0,
	    (int)(sizeof(value_cases) / sizeof(value_cases[0])));
	tcase_add_test(tc, test_ws_string);
	tcase_add_loop_test(tc, test_next, 0,
	    (int)(sizeof(next_cases) / sizeof(next_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(jsonscan_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
