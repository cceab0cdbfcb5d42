/* Check unit tests for the Go template subset of TemplateHandler. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "gotmpl.h"

#define S(x)                                                                  \
	{                                                                     \
		GOTMPL_STRING, x, sizeof(x) - 1, 0, NULL, NULL, 0, GOTMPL_NIL \
	}
#define E(k, v)                     \
	{                           \
		k, sizeof(k) - 1, v \
	}

/* The data AILERON gives a template, as for the README's curl request. */
static const struct gotmpl_value accept_v[] = { S("text/html") };
static const struct gotmpl_value ua_v[] = { S("curl/7.68.0") };
static const struct gotmpl_value q1_v[] = { S("1"), S("2") };
static const struct gotmpl_entry header_e[] = {
	E("Accept",
	    ((struct gotmpl_value) {
	        GOTMPL_LIST, NULL, 0, 0, accept_v, NULL, 1, GOTMPL_NIL })),
	E("User-Agent",
	    ((struct gotmpl_value) {
	        GOTMPL_LIST, NULL, 0, 0, ua_v, NULL, 1, GOTMPL_NIL })),
};
static const struct gotmpl_entry query_e[] = {
	E("a",
	    ((struct gotmpl_value) {
	        GOTMPL_LIST, NULL, 0, 0, q1_v, NULL, 2, GOTMPL_NIL })),
};
static const struct gotmpl_entry root_e[] = {
	E("header",
	    ((struct gotmpl_value) {
	        GOTMPL_MAP, NULL, 0, 0, NULL, header_e, 2, GOTMPL_LIST })),
	E("host", ((struct gotmpl_value)S("localhost:8080"))),
	E("method", ((struct gotmpl_value)S("GET"))),
	E("path", ((struct gotmpl_value)S("/<a>&\"'+"))),
	E("proto", ((struct gotmpl_value)S("HTTP/1.1"))),
	E("query",
	    ((struct gotmpl_value) {
	        GOTMPL_MAP, NULL, 0, 0, NULL, NULL, 0, GOTMPL_LIST })),
	E("query2",
	    ((struct gotmpl_value) {
	        GOTMPL_MAP, NULL, 0, 0, NULL, query_e, 1, GOTMPL_LIST })),
	E("remote", ((struct gotmpl_value)S("127.0.0.1:46818"))),
};
static const struct gotmpl_value root = { GOTMPL_MAP, NULL, 0, 0, NULL, root_e,
	sizeof(root_e) / sizeof(root_e[0]), GOTMPL_NIL };

/* Templates, flavour, and their output (NULL: an execution error). */
static const struct {
	const char *tpl;
	int html;
	const char *out;
} exec_cases[] = {
	{ "", 0, "" },
	{ "plain text", 0, "plain text" },
	{ "{\"method\":\"{{.method}}\"}", 0, "{\"method\":\"GET\"}" },
	{ "method={{.method}}", 0, "method=GET" },
	{ "<a href=\"/test\">{{.path}}</a>", 1,
	    "<a href=\"/test\">/&lt;a&gt;&amp;&#34;&#39;&#43;</a>" },
	{ "{{.path}}", 0, "/<a>&\"'+" },
	{ "{{ .header }}", 0,
	    "map[Accept:[text/html] User-Agent:[curl/7.68.0]]" },
	{ "{{ .header.Accept }}", 0, "[text/html]" },
	{ "{{index .header \"User-Agent\" }}", 1, "[curl/7.68.0]" },
	{ "{{index .header \"X-None\"}}", 0, "[]" },
	{ "{{index .header \"Accept\" 0}}", 0, "text/html" },
	{ "{{index .query2 \"a\" 1}}", 0, "2" },
	{ "{{.query}}", 0, "map[]" },
	{ "{{.query2}}", 0, "map[a:[1 2]]" },
	{ "{{.missing}}", 0, "<no value>" },
	{ "{{.missing}}", 1, "" },
	{ "{{.missing.deeper}}", 0, "<no value>" },
	{ "{{.header.X}}", 0, "<no value>" },
	{ "{{.}}", 0,
	    "map[header:map[Accept:[text/html] User-Agent:[curl/7.68.0]] "
	    "host:localhost:8080 method:GET path:/<a>&\"'+ proto:HTTP/1.1 "
	    "query:map[] query2:map[a:[1 2]] remote:127.0.0.1:46818]" },
	/* Trim markers and comments. */
	{ "a  {{- .method -}}  b", 0, "aGETb" },
	{ "a {{- /* c */ -}} b", 0, "ab" },
	{ "a{{/* c {{ */}}b", 0, "ab" },
	{ "{{- .method}}\n", 0, "GET\n" },
	{ "x {{-3}}", 0, "x -3" },
	/* if, else if, else; with; truth. */
	{ "{{if .method}}y{{else}}n{{end}}", 0, "y" },
	{ "{{if .missing}}y{{else}}n{{end}}", 0, "n" },
	{ "{{if .query}}y{{else if .query2}}q2{{else}}n{{end}}", 0, "q2" },
	{ "{{if eq .method \"POST\"}}p{{else if eq .method \"GET\"}}g{{end}}",
	    0, "g" },
	{ "{{if not .query}}empty{{end}}", 0, "empty" },
	{ "{{if and .method .query}}y{{else}}n{{end}}", 0, "n" },
	{ "{{or .missing .method}}", 0, "GET" },
	{ "{{and .method .host}}", 0, "localhost:8080" },
	{ "{{with .header}}{{.Accept}}{{end}}", 0, "[text/html]" },
	{ "{{with .missing}}y{{else}}n{{end}}", 0, "n" },
	{ "{{with $x := .method}}{{$x}}{{.}}{{end}}", 0, "GETGET" },
	{ "{{with .missing}}a{{else with .method}}{{.}}{{end}}", 0, "GET" },
	/* range over maps (sorted) and lists, else, variables, $. */
	{ "{{range $k, $v := .header}}{{$k}}={{index $v 0}};{{end}}", 0,
	    "Accept=text/html;User-Agent=curl/7.68.0;" },
	{ "{{range .query2.a}}<{{.}}>{{end}}", 0, "<1><2>" },
	{ "{{range $i, $e := .query2.a}}{{$i}}:{{$e}} {{end}}", 0, "0:1 1:2 " },
	{ "{{range .query}}x{{else}}none{{end}}", 0, "none" },
	{ "{{range .query2.a}}{{$.method}}{{end}}", 0, "GETGET" },
	{ "{{$m := .method}}{{range .query2.a}}{{$m}}{{end}}", 0, "GETGET" },
	{ "{{$m := 1}}{{$m = 2}}{{$m}}", 0, "2" },
	{ "{{range 3}}{{.}}{{end}}", 0, "012" },
	/* Functions and pipelines. */
	{ "{{.method | printf \"%s!\"}}", 0, "GET!" },
	{ "{{printf \"%q %d%%\" .method 5}}", 0, "\"GET\" 5%" },
	{ "{{printf \"%v\" .query2.a}}", 0, "[1 2]" },
	{ "{{len .header}} {{len .method}} {{len .query2.a}}", 0, "2 3 2" },
	{ "{{print 1 2 \"a\" 3 true}}", 0, "1 2a3 true" },
	{ "{{println \"a\" 1}}", 0, "a 1\n" },
	{ "{{html \"<a href='x'>\"}}", 0, "&lt;a href=&#39;x&#39;&gt;" },
	{ "{{urlquery \"a b&c/d\"}}", 0, "a+b%26c%2Fd" },
	{ "{{\"<b>\"}}", 1, "&lt;b&gt;" },
	{ "{{`raw \\n`}}", 0, "raw \\n" },
	{ "{{\"esc\\t\\\"q\\\"\"}}", 0, "esc\t\"q\"" },
	{ "{{(index .header \"Accept\")}}", 0, "[text/html]" },
	{ "{{(.header).Accept}}", 0, "[text/html]" },
	{ "{{lt 1 2}} {{ge \"a\" \"b\"}} {{ne 1 2 1}}", 0, "true false false" },
	{ "{{true}} {{false}} {{print nil}}", 0, "true false <nil>" },
	{ "{{\"}}\"}}", 0, "}}" },
	/* Execution errors: AILERON sends an empty body. */
	{ "x{{.method.x}}", 0, NULL },
	{ "{{index .header 1}}", 0, NULL },
	{ "{{index .query2.a 5}}", 0, NULL },
	{ "{{range .method}}{{end}}", 0, NULL },
	{ "{{printf \"%d\" .method}}", 0, NULL },
	{ "{{printf \"%x\" 1}}", 0, NULL },
	{ "{{printf \"%s\"}}", 0, NULL },
	{ "{{eq .header 1}}", 0, NULL },
	{ "{{len 3}}", 0, NULL },
	{ "{{not 1 2}}", 0, NULL },
	{ "{{$x = 1}}", 0, NULL },
};

START_TEST(test_exec)
{
	const char *tpl = exec_cases[_i].tpl;
	struct arena *a = arena_new(1024);
	struct gotmpl *t;
	char err[256];
	size_t len = 0;
	char *out;

	t = gotmpl_parse(NULL, tpl, strlen(tpl),
	    exec_cases[_i].html ? GOTMPL_HTML : GOTMPL_TEXT, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s: %s", tpl, err);
	out = gotmpl_exec(t, &root, a, &len);
	if (exec_cases[_i].out == NULL)
		ck_assert_msg(out == NULL, "%s: %s", tpl, out);
	else {
		ck_assert_msg(out != NULL, "%s: failed", tpl);
		ck_assert_str_eq(out, exec_cases[_i].out);
		ck_assert_uint_eq(len, strlen(exec_cases[_i].out));
	}
	free(out);
	gotmpl_free(t);
	arena_free(a);
}
END_TEST

/* Templates refused at start-up, and the start of the message. */
static const struct {
	const char *tpl;
	const char *err;
} parse_cases[] = {
	{ "{{.method", "template: line 1: unclosed action" },
	{ "a\n{{if .x}}", "template: line 2: unexpected EOF" },
	{ "{{end}}", "template: line 1: unexpected {{end}}" },
	{ "{{else}}", "template: line 1: unexpected {{else}}" },
	{ "{{if .x}}{{else}}{{else}}{{end}}",
	    "template: line 1: expected end" },
	{ "{{range .x}}{{else if .y}}{{end}}",
	    "template: line 1: unexpected input after else" },
	{ "{{foo}}", "template: line 1: function \"foo\" not defined" },
	{ "{{template \"x\"}}",
	    "template: line 1: this action is not supported" },
	{ "{{define \"x\"}}{{end}}", "template: line 1: this action" },
	{ "{{.a | .b}}", "template: line 1: non-function in pipeline" },
	{ "{{.a .b}}",
	    "template: line 1: can't give argument to non-function" },
	{ "{{\"abc}}", "template: line 1: unclosed action" },
	{ "{{\"abc\n}}\"", "template: line 1: unterminated quoted string" },
	{ "{{-/* c */-}}", "template: line 1: bad or unsupported number" },
	{ "{{nil}}", "template: line 1: nil is not a command" },
	{ "{{\"a\\qb\"}}", "template: line 1: unsupported escape" },
	{ "{{1.5}}", "template: line 1: bad or unsupported number" },
	{ "{{}}", "template: line 1: missing value for command" },
	{ "{{(.a}}", "template: line 1: unclosed left paren" },
	{ "{{/* x }}", "template: line 1: unclosed comment" },
	{ "{{if $a, $b := .x}}{{end}}", "template: line 1: too many" },
	{ "{{.a}} }} {{ .b ! }}", "template: line 1: unexpected \"!\"" },
	{ "{{end x}}", "template: line 1: unexpected input in end" },
};

START_TEST(test_parse_error)
{
	const char *tpl = parse_cases[_i].tpl;
	char err[256] = "";
	struct gotmpl *t;

	t = gotmpl_parse(NULL, tpl, strlen(tpl), GOTMPL_TEXT, err, sizeof(err));
	ck_assert_msg(t == NULL, "%s parsed", tpl);
	ck_assert_msg(
	    strncmp(err, parse_cases[_i].err, strlen(parse_cases[_i].err)) == 0,
	    "%s: %s", tpl, err);
}
END_TEST

/* The README's template.html, as GoHTML, gives the README's page. */
START_TEST(test_example_template)
{
	static const char tpl[] =
	    "<!doctype html>\n<html>\n<head>\n  <title>AILERON "
	    "Gateway</title>\n"
	    "</head>\n<body>\n  <h1>AILERON Gateway</h1>\n  <p>\n"
	    "    proto : {{ .proto }}</br>\n    host : {{ .host }}</br>\n"
	    "    method : {{ .method }}</br>\n    path : {{ .path }}</br>\n"
	    "    remote : {{ .remote }}</br>\n    header : {{ .header }}</br>\n"
	    "    User-Agent : {{index .header \"User-Agent\" }}</br>\n"
	    "    query : {{ .query }}</br>\n  </p>\n</body>\n</html>";
	struct gotmpl_entry e[8];
	struct gotmpl_value data = root;
	struct arena *a = arena_new(1024);
	struct gotmpl *t;
	char err[128];
	size_t len;
	char *out;

	memcpy(e, root_e, sizeof(e));
	e[3].v.s = "/";
	e[3].v.len = 1;
	data.entries = e;
	t = gotmpl_parse(
	    NULL, tpl, sizeof(tpl) - 1, GOTMPL_HTML, err, sizeof(err));
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(out = gotmpl_exec(t, &data, a, &len));
	ck_assert_str_eq(out,
	    "<!doctype html>\n<html>\n<head>\n  <title>AILERON "
	    "Gateway</title>\n"
	    "</head>\n<body>\n  <h1>AILERON Gateway</h1>\n  <p>\n"
	    "    proto : HTTP/1.1</br>\n    host : localhost:8080</br>\n"
	    "    method : GET</br>\n    path : /</br>\n"
	    "    remote : 127.0.0.1:46818</br>\n"
	    "    header : map[Accept:[text/html] "
	    "User-Agent:[curl/7.68.0]]</br>\n"
	    "    User-Agent : [curl/7.68.0]</br>\n"
	    "    query : map[]</br>\n  </p>\n</body>\n</html>");
	free(out);
	gotmpl_free(t);
	arena_free(a);
}
END_TEST

/* Output beyond the cap is an execution error, not a huge body. */
START_TEST(test_exec_cap)
{
	static const char tpl[] = "{{range 2000000}}xxxxxxxxxx{{end}}";
	struct arena *a = arena_new(1024);
	struct gotmpl *t;
	char err[128];
	size_t len;

	t = gotmpl_parse(
	    NULL, tpl, sizeof(tpl) - 1, GOTMPL_TEXT, err, sizeof(err));
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_null(gotmpl_exec(t, &root, a, &len));
	gotmpl_free(t);
	arena_free(a);
}
END_TEST

/* A loop that prints nothing still ends: the step budget. */
START_TEST(test_exec_steps)
{
	static const char tpl[] = "{{range 2000000000}}{{end}}";
	struct arena *a = arena_new(1024);
	struct gotmpl *t;
	char err[128];
	size_t len;

	t = gotmpl_parse(
	    NULL, tpl, sizeof(tpl) - 1, GOTMPL_TEXT, err, sizeof(err));
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_null(gotmpl_exec(t, &root, a, &len));
	gotmpl_free(t);
	arena_free(a);
}
END_TEST

/* gotmpl_sort orders keys bytewise, shorter first on a common prefix. */
START_TEST(test_sort)
{
	struct gotmpl_entry e[] = { E("b", ((struct gotmpl_value)S("1"))),
		E("aa", ((struct gotmpl_value)S("2"))),
		E("a", ((struct gotmpl_value)S("3"))),
		E("B", ((struct gotmpl_value)S("4"))) };

	gotmpl_sort(e, 4);
	ck_assert_str_eq(e[0].key, "B");
	ck_assert_str_eq(e[1].key, "a");
	ck_assert_str_eq(e[2].key, "aa");
	ck_assert_str_eq(e[3].key, "b");
}
END_TEST

static Suite *
gotmpl_suite(void)
{
	Suite *s = suite_create("gotmpl");
	TCase *tc = tcase_create("gotmpl");

	tcase_add_loop_test(tc, test_exec, 0,
	    (int)(sizeof(exec_cases) / sizeof(exec_cases[0])));
	tcase_add_loop_test(tc, test_parse_error, 0,
	    (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
	tcase_add_test(tc, test_example_template);
	tcase_add_test(tc, test_exec_cap);
	tcase_add_test(tc, test_exec_steps);
	tcase_add_test(tc, test_sort);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(gotmpl_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
