/* Unit tests: HeaderPolicyMiddleware checks, header rules and replacers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "middleware/header_policy.h"

START_TEST(canonical_names)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "x-add-foo", "X-Add-Foo" },
		{ "X-AILERON-REQUEST-ID", "X-Aileron-Request-Id" },
		{ "content-type", "Content-Type" },
		{ "a--b", "A--B" },
		{ "-x", "-X" },
		{ "bad name", "bad name" }, /* not a token: unchanged */
		{ "", "" },
	};
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		header_policy_canonical(cases[i].in, strlen(cases[i].in), out);
		ck_assert_str_eq(out, cases[i].out);
	}
	ck_assert(header_policy_name_valid("X-Foo_1"));
	ck_assert(!header_policy_name_valid(""));
	ck_assert(!header_policy_name_valid("X Foo"));
	ck_assert(!header_policy_name_valid("X:Foo"));
	ck_assert(header_policy_value_valid("a b\tc"));
	ck_assert(header_policy_value_valid(""));
	ck_assert(!header_policy_value_valid("a\r\nX-Injected: 1"));
	ck_assert(!header_policy_value_valid("a\x7f"));
}
END_TEST

START_TEST(media_types)
{
	static const struct {
		const char *ct, *mt;
	} cases[] = {
		{ NULL, "" },
		{ "", "" },
		{ "application/json", "application/json" },
		{ "Application/JSON; charset=utf-8", "application/json" },
		{ "  text/plain ;q=1", "text/plain" },
		{ "text", "text" },
		{ "text/", "" },
		{ "/plain", "" },
		{ "a/b/c", "" },
		{ "text/pl ain", "" },
	};
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		header_policy_media_type(cases[i].ct,
		    cases[i].ct ? strlen(cases[i].ct) : 0, out, sizeof(out));
		ck_assert_msg(
		    strcmp(out, cases[i].mt) == 0, "case %zu: %s", i, out);
	}
}
END_TEST

START_TEST(check_table)
{
	char json[] = "application/json", text[] = "text/plain", none[] = "";
	char *mimes[] = { json, text, none };
	static const struct {
		size_t nmimes;
		int64_t max;
		const char *ct;
		int chunked;
		uint64_t length;
		int want;
	} cases[] = {
		{ 2, 0, "application/json", 0, 2, 0 },
		{ 2, 0, "application/xml", 0, 2, 415 },
		{ 2, 0, NULL, 0, 0, 415 }, /* a GET without Content-Type */
		{ 3, 0, NULL, 0, 0, 0 },   /* unless "" is listed */
		{ 2, 0, "text/plain; charset=utf-8", 0, 2, 0 },
		{ 0, 20, NULL, 0, 15, 0 }, { 0, 20, NULL, 0, 20, 0 },
		{ 0, 20, NULL, 0, 30, 413 }, { 0, 20, NULL, 1, 0, 411 },
		{ 0, 20, NULL, 0, 0, 0 }, /* no body counts as 0 */
		{ 0, 0, NULL, 1, 0, 0 },  /* off */
		{ 2, 20, "application/xml", 1, 0, 415 }, /* MIME first */
	};
	struct header_policy p;
	const char *reason;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got;

		memset(&p, 0, sizeof(p));
		p.mimes = mimes;
		p.nmimes = cases[i].nmimes;
		p.max_length = cases[i].max;
		got = header_policy_check(&p, cases[i].ct,
		    cases[i].ct ? strlen(cases[i].ct) : 0, cases[i].chunked,
		    cases[i].length, &reason);
		ck_assert_msg(got == cases[i].want, "case %zu: %d", i, got);
		ck_assert(got == 0 ? reason == NULL : reason != NULL);
	}
}
END_TEST

/* Headers from "Name: value" literals. */
static void
fill(struct header_policy_headers *h, struct arena *a, const char *const *l)
{
	memset(h, 0, sizeof(*h));
	h->arena = a;
	for (; *l != NULL; l++) {
		const char *c = strchr(*l, ':');

		header_policy_headers_add(
		    h, *l, (size_t)(c - *l), c + 2, strlen(c + 2));
	}
}

/* The live headers as "Name: value\n" lines. */
static void
render(const struct header_policy_headers *h, char *out, size_t size)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < h->n; i++)
		if (!h->f[i].deleted && h->f[i].value != NULL)
			o += (size_t)snprintf(out + o, size - o, "%.*s: %.*s\n",
			    (int)h->f[i].nlen, h->f[i].name, (int)h->f[i].vlen,
			    h->f[i].value);
}

START_TEST(apply_request)
{
	static const char *const in[] = { "Host: example.com", "X-Add-Foo: FOO",
		"X-Set-Foo: FOO", "X-Rewrites-Foo: FOO", "x-rewrites-foo: foo",
		"X-Allows-Foo: 1", "X-Allows-Bar: 2", "X-Allows-Baz: 3", NULL };
	char allow_foo[] = "X-Allows-Foo", allow_bar[] = "X-Allows-Bar",
	     add[] = "X-Add-Foo", set[] = "X-Set-Foo", rw[] = "X-Rewrites-Foo",
	     foo[] = "foo", fixed[] = "fOo";
	char *allows[] = { allow_foo, allow_bar, add, set, rw };
	struct header_policy_pair padd = { add, foo }, pset = { set, foo };
	struct header_policy_rewrite prw = { rw,
		{ HEADER_REPL_FIXED, fixed, NULL, NULL, 0, NULL, NULL, 0, 0,
		    NULL } };
	struct header_policy_part part;
	struct header_policy_headers h;
	struct arena *a = arena_new(4096);
	char got[1024];

	memset(&part, 0, sizeof(part));
	part.allows = allows;
	part.nallows = 5;
	part.add = &padd;
	part.nadd = 1;
	part.set = &pset;
	part.nset = 1;
	part.rewrites = &prw;
	part.nrewrites = 1;
	fill(&h, a, in);
	header_policy_apply(&part, &h, 1);
	render(&h, got, sizeof(got));
	ck_assert_str_eq(got,
	    "Host: example.com\n"
	    "X-Add-Foo: FOO\n"
	    "X-Rewrites-Foo: fOo\n"
	    "x-rewrites-foo: fOo\n"
	    "X-Allows-Foo: 1\n"
	    "X-Allows-Bar: 2\n"
	    "X-Add-Foo: foo\n"
	    "X-Set-Foo: foo\n");
	arena_free(a);
}
END_TEST

START_TEST(apply_response_removes)
{
	static const char *const in[] = { "X-Removes-Foo: 1",
		"X-Removes-Bar: 2", "X-Removes-Baz: 3", "X-Removes-Foo: 4",
		NULL };
	char foo[] = "X-Removes-Foo", bar[] = "X-Removes-Bar", date[] = "Date",
	     server[] = "Server", v[] = "again";
	char *removes[] = { foo, bar, date, server };
	struct header_policy_pair padd = { server, v };
	struct header_policy_part part;
	struct header_policy_headers h;
	struct arena *a = arena_new(4096);
	char got[1024];

	memset(&part, 0, sizeof(part));
	part.removes = removes;
	part.nremoves = 4;
	part.add = &padd;
	part.nadd = 1;
	fill(&h, a, in);
	header_policy_apply(&part, &h, 0);
	render(&h, got, sizeof(got));
	ck_assert_str_eq(got, "X-Removes-Baz: 3\nServer: again\n");
	/* removed names suppress automatic headers, unless added again */
	ck_assert(header_policy_suppressed(&h, "Date"));
	ck_assert(header_policy_suppressed(&h, "date"));
	ck_assert(header_policy_suppressed(&h, "X-Removes-Foo"));
	ck_assert(!header_policy_suppressed(&h, "Server"));
	ck_assert(!header_policy_suppressed(&h, "X-Removes-Baz"));
	ck_assert(!header_policy_suppressed(&h, "Content-Length"));
	arena_free(a);
}
END_TEST

START_TEST(replacers)
{
	char from1[] = "a", to1[] = "b", from2[] = "bb", to2[] = "X";
	char *from[] = { from1, from2 }, *to[] = { to1, to2 };
	static const struct {
		int type;
		const char *pattern, *replace;
		int posix, literal;
		const char *in, *out;
	} cases[] = {
		{ HEADER_REPL_REGEXP, "o+", "0", 0, 0, "foo boo", "f0 b0" },
		{ HEADER_REPL_REGEXP, "(\\w+)@(\\w+)", "${2}_$1", 0, 0,
		    "me@host you@there", "host_me there_you" },
		{ HEADER_REPL_REGEXP, "(?P<user>\\w+)@", "$user-", 0, 0,
		    "me@host", "me-host" },
		/* $1x is a group named "1x": empty */
		{ HEADER_REPL_REGEXP, "(a)", "$1x", 0, 0, "cab", "cb" },
		{ HEADER_REPL_REGEXP, "(a)", "${1}x", 0, 0, "cab", "caxb" },
		{ HEADER_REPL_REGEXP, "(a)", "$$1", 0, 0, "a", "$1" },
		{ HEADER_REPL_REGEXP, "(a)", "$1", 0, 1, "aa", "$1$1" },
		/* empty matches, as Go: between every character */
		{ HEADER_REPL_REGEXP, "x*", "-", 0, 0, "abc", "-a-b-c-" },
		{ HEADER_REPL_REGEXP, "x*", "-", 0, 0, "axb", "-a-b-" },
		{ HEADER_REPL_REGEXP, "nomatch", "-", 0, 0, "abc", "abc" },
		{ HEADER_REPL_REGEXP, "[0-9]+", "<$0>", 1, 0, "a12b3",
		    "a<12>b<3>" },
		{ HEADER_REPL_REGEXP, "(a|ab)(c|bcd)", "[$1|$2]", 1, 0, "abcd",
		    "[a|bcd]" }, /* leftmost-longest */
		{ HEADER_REPL_REGEXP, "(b)", "${1}${1}", 1, 0, "abc", "abbc" },
	};
	struct header_replacer r;
	struct arena *a = arena_new(4096);
	char err[256];
	const char *out;
	size_t i, n;

	memset(&r, 0, sizeof(r));
	r.type = HEADER_REPL_VALUE;
	r.from = from;
	r.to = to;
	r.npairs = 2;
	out = header_replacer_apply(&r, "aab", 3, a, &n);
	ck_assert_str_eq(out, "Xb"); /* a->b gives bbb, then bb->X */
	ck_assert_uint_eq(n, 2);
	{
		/* a result that would not fit keeps the value as it was */
		char big_to[101], in[201];

		memset(big_to, 'z', 100);
		big_to[100] = '\0';
		memset(in, 'a', 200);
		in[200] = '\0';
		r.to[0] = big_to;
		r.npairs = 1;
		out = header_replacer_apply(&r, in, 200, a, &n);
		ck_assert_ptr_eq(out, in);
		ck_assert_uint_eq(n, 200);
		r.to[0] = to1;
	}

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.type = cases[i].type;
		r.pattern = (char *)(uintptr_t)cases[i].pattern;
		r.replace = (char *)(uintptr_t)cases[i].replace;
		r.posix = cases[i].posix;
		r.literal = cases[i].literal;
		ck_assert_int_eq(
		    header_replacer_compile(&r, err, sizeof(err)), 0);
		out = header_replacer_apply(
		    &r, cases[i].in, strlen(cases[i].in), a, &n);
		ck_assert_msg(n == strlen(cases[i].out) &&
		        memcmp(out, cases[i].out, n) == 0,
		    "case %zu: %.*s", i, (int)n, out);
		header_replacer_reset(&r);
	}
	arena_free(a);
}
END_TEST

START_TEST(replacer_errors)
{
	static const struct {
		const char *pattern;
		int posix;
	} cases[] = {
		{ "", 0 },
		{ "(", 0 },
		{ "(", 1 },
		{ "a{2,1}", 0 },
	};
	struct header_replacer r;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.type = HEADER_REPL_REGEXP;
		r.pattern = (char *)(uintptr_t)cases[i].pattern;
		r.posix = cases[i].posix;
		err[0] = '\0';
		ck_assert_msg(
		    header_replacer_compile(&r, err, sizeof(err)) == -1,
		    "case %zu", i);
		ck_assert(err[0] != '\0');
		ck_assert_ptr_null(r.re);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("header_policy");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, canonical_names);
	tcase_add_test(tc, media_types);
	tcase_add_test(tc, check_table);
	tcase_add_test(tc, apply_request);
	tcase_add_test(tc, apply_response_removes);
	tcase_add_test(tc, replacers);
	tcase_add_test(tc, replacer_errors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
