/* Check unit tests for TemplateHandler's Accept negotiation and data. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "mime_content.h"

START_TEST(test_type_ok)
{
	ck_assert_int_eq(mime_content_type_ok("text/plain"), 1);
	ck_assert_int_eq(mime_content_type_ok("application/vnd.a+json"), 1);
	ck_assert_int_eq(mime_content_type_ok("image/SVG-1.0"), 1);
	ck_assert_int_eq(mime_content_type_ok("Text/plain"), 0);
	ck_assert_int_eq(mime_content_type_ok("text/*"), 0);
	ck_assert_int_eq(mime_content_type_ok("*/*"), 0);
	ck_assert_int_eq(mime_content_type_ok("text/"), 0);
	ck_assert_int_eq(mime_content_type_ok("/plain"), 0);
	ck_assert_int_eq(mime_content_type_ok("text"), 0);
	ck_assert_int_eq(mime_content_type_ok("text/plain; charset=utf-8"), 0);
	ck_assert_int_eq(mime_content_type_ok(""), 0);
}
END_TEST

/* Go's ParseMediaType, parameters dropped (NULL: an error). */
static const struct {
	const char *in, *out;
} media_cases[] = {
	{ "text/html", "text/html" },
	{ " Text/HTML ; q=0.9", "text/html" },
	{ "*/*", "*/*" },
	{ "text/*;q=0.1", "text/*" },
	{ "text", "text" },
	{ "text/html; bad param", "text/html" },
	{ "", NULL },
	{ " ", NULL },
	{ "text/", NULL },
	{ "/html", NULL },
	{ "a/b/c", NULL },
	{ "te xt/html", NULL },
	{ "text/h(tml", NULL },
};

START_TEST(test_media_type)
{
	char out[64];
	const char *in = media_cases[_i].in;
	int rv = mime_content_media_type(in, strlen(in), out, sizeof(out));

	if (media_cases[_i].out == NULL)
		ck_assert_int_eq(rv, -1);
	else {
		ck_assert_int_eq(rv, (int)strlen(media_cases[_i].out));
		ck_assert_str_eq(out, media_cases[_i].out);
	}
}
END_TEST

/* Accept values against the contents json, text/plain, text/html. */
static const struct {
	const char *accept; /* NULL: no Accept field */
	int want;
} find_cases[] = {
	{ "application/json", 0 },
	{ "text/plain", 1 },
	{ "text/html", 2 },
	{ "invalid/content", -1 },
	{ NULL, -1 },
	{ "", -1 },
	{ "*/*", 0 },
	{ "text/*", 1 },
	{ "*", -1 },
	{ "*/json", 0 },
	{ "application/*son", 0 },
	{ "text/css, text/html;q=0.1, text/plain", 2 },
	{ "bad value, TEXT/PLAIN", 1 },
	{ "text/html;q=0, application/json", 2 },
	{ ",,text/plain", 1 },
	{ "*/*json", 0 },
	{ "*/*/*", -1 },
	{ "text/pl*n", 1 },
	{ "text/*l*i*", 1 },
	{ "*t*e*x*t*/*h*", 2 },
};

START_TEST(test_find)
{
	static const char *const types[] = { "application/json", "text/plain",
		"text/html" };
	const char *a = find_cases[_i].accept;

	ck_assert_int_eq(mime_content_find(a, a ? strlen(a) : 0, types, 3),
	    find_cases[_i].want);
}
END_TEST

#define F(n, v)                                    \
	{                                          \
		n, sizeof(n) - 1, v, sizeof(v) - 1 \
	}

/* Many stars against a long type: quick, not exponential. */
START_TEST(test_find_stars)
{
	static const char *const types[] = {
		"application/"
		"vnd.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	};
	char accept[200];

	memset(accept, '*', sizeof(accept));
	memcpy(accept + 100, "/x", 2);
	ck_assert_int_eq(
	    mime_content_find(accept, sizeof(accept), types, 1), -1);
	accept[101] = '*';
	ck_assert_int_eq(
	    mime_content_find(accept, sizeof(accept), types, 1), 0);
}
END_TEST

/* The data, printed as Go prints the map. */
START_TEST(test_data)
{
	static const struct echo_field f[] = { F("host", "h:1"),
		F("user-agent", "curl/8"), F("Accept", "a"), F("ACCEPT", "b"),
		F("Transfer-Encoding", "chunked") };
	static const char q[] = "b=2&a=1&a=%zz&c&x;y=1&%41=3+4&a=0&&=e";
	struct mime_content_req r = { "HTTP/1.1", "h:1", "GET", "1.2.3.4:5",
		"/p", 2, q, sizeof(q) - 1, f, 5 };
	struct arena *a = arena_new(1024);
	struct gotmpl *t;
	struct gotmpl_value *v;
	char err[128];
	size_t len;
	char *out;

	v = mime_content_data(a, &r);
	t = gotmpl_parse(NULL, "{{.}}", 5, GOTMPL_TEXT, err, sizeof(err));
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(out = gotmpl_exec(t, v, a, &len));
	ck_assert_str_eq(out,
	    "map[header:map[Accept:[a b] User-Agent:[curl/8]] host:h:1 "
	    "method:GET path:/p proto:HTTP/1.1 "
	    "query:map[:[e] A:[3 4] a:[1 0] b:[2] c:[]] remote:1.2.3.4:5]");
	free(out);
	gotmpl_free(t);
	arena_free(a);
}
END_TEST

/* No query and no fields: empty maps. */
START_TEST(test_data_empty)
{
	struct mime_content_req r = { "HTTP/1.0", "", "HEAD", "[::1]:9", "/", 1,
		NULL, 0, NULL, 0 };
	struct arena *a = arena_new(1024);
	struct gotmpl *t;
	char err[128];
	size_t len;
	char *out;

	t = gotmpl_parse(NULL, "{{.header}} {{.query}} {{index .query \"x\"}}",
	    44, GOTMPL_TEXT, err, sizeof(err));
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(
	    out = gotmpl_exec(t, mime_content_data(a, &r), a, &len));
	ck_assert_str_eq(out, "map[] map[] []");
	free(out);
	gotmpl_free(t);
	arena_free(a);
}
END_TEST

static Suite *
mime_content_suite(void)
{
	Suite *s = suite_create("mime_content");
	TCase *tc = tcase_create("mime_content");

	tcase_add_test(tc, test_type_ok);
	tcase_add_loop_test(tc, test_media_type, 0,
	    (int)(sizeof(media_cases) / sizeof(media_cases[0])));
	tcase_add_loop_test(tc, test_find, 0,
	    (int)(sizeof(find_cases) / sizeof(find_cases[0])));
	tcase_add_test(tc, test_find_stars);
	tcase_add_test(tc, test_data);
	tcase_add_test(tc, test_data_empty);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(mime_content_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
