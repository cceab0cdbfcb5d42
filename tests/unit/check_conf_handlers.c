/* Check unit tests for the config of EchoHandler, StaticFileHandler, TemplateHandler and HTTPHandler. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

/* Every error the loader reported. */
static struct {
	char msg[16][512];
	int n;
} errs;

static void
collect(void *ctx, const char *msg)
{
	(void)ctx;
	if (errs.n < 16)
		snprintf(errs.msg[errs.n], sizeof(errs.msg[0]), "%s", msg);
	errs.n++;
}

static struct conf *
load(const char *text)
{
	memset(&errs, 0, sizeof(errs));
	return conf_load_string("t.yaml", text, collect, NULL);
}

#define HEAD                                                     \
	"apiVersion: core/v1\n"                                  \
	"kind: Entrypoint\n"                                     \
	"spec:\n"                                                \
	"  runners: [{apiVersion: core/v1, kind: HTTPServer}]\n" \
	"---\n"                                                  \
	"apiVersion: core/v1\n"                                  \
	"kind: HTTPServer\n"                                     \
	"spec:\n"                                                \
	"  virtualHosts:\n"                                      \
	"    - handlers:\n"                                      \
	"        - handler: {apiVersion: %s, kind: %s}\n"        \
	"---\n"

/* Good documents: the handler's kind, patterns and methods as loaded. */
static const struct {
	const char *av, *kind, *doc;
	int px_kind;
	const char *pattern; /* the first, or NULL */
} good[] = {
	{ "app/v1", "EchoHandler", "apiVersion: app/v1\nkind: EchoHandler\n",
	    CONF_PROXY_ECHO, NULL },
	{ "app/v1", "EchoHandler",
	    "apiVersion: app/v1\nkind: EchoHandler\nspec:\n"
	    "  patterns: [/echo]\n  methods: [GET, POST]\n",
	    CONF_PROXY_ECHO, "/echo" },
	{ "core/v1", "StaticFileHandler",
	    "apiVersion: core/v1\nkind: StaticFileHandler\nspec: {}\n",
	    CONF_PROXY_STATIC, NULL },
	{ "core/v1", "StaticFileHandler",
	    "apiVersion: core/v1\nkind: StaticFileHandler\nspec:\n"
	    "  rootDir: /\n  stripPrefix: /prefix\n  enableListing: true\n"
	    "  patterns: [/prefix/]\n  header: {foo: bar, Cache-Control: "
	    "no-cache}\n",
	    CONF_PROXY_STATIC, "/prefix/" },
	{ "core/v1", "TemplateHandler",
	    "apiVersion: core/v1\nkind: TemplateHandler\nspec:\n"
	    "  mimeContents: []\n",
	    CONF_PROXY_TEMPLATE, NULL },
	{ "core/v1", "TemplateHandler",
	    "apiVersion: core/v1\nkind: TemplateHandler\nspec:\n"
	    "  patterns: [/t]\n"
	    "  mimeContents:\n"
	    "    - mimeType: application/json\n      statusCode: 302\n"
	    "      header: {alice: bob}\n      templateType: GoText\n"
	    "      template: '{\"method\":\"{{.method}}\"}'\n"
	    "    - template: plain\n"
	    "    - mimeType: text/html\n      templateType: GoHTML\n"
	    "      template: '{{range $k, $v := .header}}{{$k}}{{end}}'\n",
	    CONF_PROXY_TEMPLATE, "/t" },
};

START_TEST(test_good)
{
	char text[2048];
	struct conf *c;
	const struct conf_proxy *px;

	snprintf(text, sizeof(text), HEAD "%s", good[_i].av, good[_i].kind,
	    good[_i].doc);
	c = load(text);
	if (c == NULL)
		ck_abort_msg("%s: %s", good[_i].kind, errs.msg[0]);
	ck_assert_int_eq(errs.n, 0);
	px = c->servers[0]->vhosts[0].handlers[0].proxy;
	ck_assert_ptr_nonnull(px);
	ck_assert_int_eq(px->kind, good[_i].px_kind);
	if (good[_i].pattern == NULL)
		ck_assert_uint_eq(px->npatterns, 0);
	else
		ck_assert_str_eq(px->patterns[0], good[_i].pattern);
	conf_free(c);
}
END_TEST

/*
 * core/v1 HTTPHandler: pattern joined before each of the wrapped
 * handler's patterns (path.Join, a trailing '/' kept, duplicates once),
 * or alone when that has none; its methods are the wrapped handler's.
 */
static const struct {
	const char *pattern, *inner, *want[3];
} hh[] = {
	{ "/api", "[/]", { "/api/" } },
	{ "/prefix", "[/test]", { "/prefix/test" } },
	{ "\"\"", "[/x/, /y]", { "/x/", "/y" } },
	{ "/api", "[]", { "/api" } },
	{ "\"\"", "[]", { NULL } },
	{ "/a", "[x, /x, x/]", { "/a/x", "/a/x/" } },
	{ "api", "[v1/]", { "api/v1/" } },
};

START_TEST(test_http_handler_patterns)
{
	char text[2048];
	struct conf *c;
	const struct conf_proxy *px;
	size_t i;

	snprintf(text, sizeof(text),
	    HEAD "apiVersion: core/v1\nkind: HTTPHandler\nspec:\n"
	         "  pattern: %s\n"
	         "  handler: {apiVersion: app/v1, kind: EchoHandler}\n"
	         "---\n"
	         "apiVersion: app/v1\nkind: EchoHandler\nspec:\n"
	         "  patterns: %s\n  methods: [GET, POST]\n",
	    "core/v1", "HTTPHandler", hh[_i].pattern, hh[_i].inner);
	c = load(text);
	if (c == NULL)
		ck_abort_msg("%s", errs.msg[0]);
	px = c->servers[0]->vhosts[0].handlers[0].proxy;
	ck_assert_int_eq(px->kind, CONF_PROXY_WRAPPER);
	ck_assert_ptr_nonnull(px->inner);
	ck_assert_int_eq(px->inner->kind, CONF_PROXY_ECHO);
	ck_assert_uint_eq(px->methods, px->inner->methods);
	ck_assert_uint_ne(px->methods, 0);
	for (i = 0; i < 3 && hh[_i].want[i] != NULL; i++) {
		ck_assert_uint_gt(px->npatterns, i);
		ck_assert_str_eq(px->patterns[i], hh[_i].want[i]);
	}
	ck_assert_uint_eq(px->npatterns, i);
	/* Both are served: the wrapped one gets its instance. */
	ck_assert_uint_eq(c->nproxies, 2);
	ck_assert_ptr_eq(c->proxies[1], px->inner);
	conf_free(c);
}
END_TEST

/* Bad documents (after the head: line 13 is the document's first). */
static const struct {
	const char *av, *kind, *doc, *err;
} bad[] = {
	{ "app/v1", "EchoHandler",
	    "apiVersion: app/v1\nkind: EchoHandler\nspec:\n  bogus: 1\n",
	    "t.yaml:16:3: unknown field \"bogus\" in app/v1 EchoHandler spec" },
	{ "app/v1", "EchoHandler",
	    "apiVersion: app/v1\nkind: EchoHandler\nspec:\n"
	    "  patterns: [/a, /a]\n",
	    "t.yaml:16:18: field \"patterns\": duplicate value \"/a\"" },
	{ "core/v1", "StaticFileHandler",
	    "apiVersion: core/v1\nkind: StaticFileHandler\nspec:\n"
	    "  rootDir: /nonexistent/dir\n",
	    "t.yaml:16:12: field \"rootDir\": /nonexistent/dir: No such file "
	    "or directory" },
	{ "core/v1", "StaticFileHandler",
	    "apiVersion: core/v1\nkind: StaticFileHandler\nspec:\n"
	    "  rootDir: /etc/hostname\n",
	    "t.yaml:16:12: field \"rootDir\": /etc/hostname: Not a directory" },
	{ "core/v1", "StaticFileHandler",
	    "apiVersion: core/v1\nkind: StaticFileHandler\nspec:\n"
	    "  header: {\"a b\": c}\n",
	    "t.yaml:16:12: field \"header\": header names cannot be empty or "
	    "contain ':' or white space, nor values line breaks" },
	{ "core/v1", "StaticFileHandler",
	    "apiVersion: core/v1\nkind: StaticFileHandler\nspec:\n"
	    "  header: [a]\n",
	    "t.yaml:16:11: field \"header\": expected a mapping, got a list" },
	{ "core/v1", "StaticFileHandler",
	    "apiVersion: core/v1\nkind: StaticFileHandler\nspec:\n"
	    "  header: {Content-Length: 5}\n",
	    "t.yaml:16:11: field \"header\": Content-Length is set by the "
	    "server" },
	{ "core/v1", "StaticFileHandler",
	    "apiVersion: core/v1\nkind: StaticFileHandler\nspec:\n"
	    "  enableListing: yes please\n",
	    "t.yaml:16:18: field \"enableListing\": expected a boolean, got "
	    "\"yes please\"" },
	{ "core/v1", "TemplateHandler",
	    "apiVersion: core/v1\nkind: TemplateHandler\nspec:\n"
	    "  mimeContents:\n    - mimeType: text/*\n",
	    "t.yaml:17:17: field \"mimeType\": invalid media type \"text/*\" "
	    "(want type/subtype, lower-case type, no wildcards)" },
	{ "core/v1", "TemplateHandler",
	    "apiVersion: core/v1\nkind: TemplateHandler\nspec:\n"
	    "  mimeContents:\n    - statusCode: 1000\n",
	    "t.yaml:17:19: field \"statusCode\": 1000 is out of range "
	    "(0..999)" },
	{ "core/v1", "TemplateHandler",
	    "apiVersion: core/v1\nkind: TemplateHandler\nspec:\n"
	    "  mimeContents:\n    - statusCode: 101\n",
	    "t.yaml:17:19: field \"statusCode\": 101 is not a final status" },
	{ "core/v1", "TemplateHandler",
	    "apiVersion: core/v1\nkind: TemplateHandler\nspec:\n"
	    "  mimeContents:\n    - templateType: Jinja\n",
	    "t.yaml:17:21: field \"templateType\": invalid value \"Jinja\" "
	    "(expected one of Text, GoText, GoHTML)" },
	{ "core/v1", "TemplateHandler",
	    "apiVersion: core/v1\nkind: TemplateHandler\nspec:\n"
	    "  mimeContents:\n    - templateFile: /nonexistent.html\n",
	    "t.yaml:17:21: field \"templateFile\": /nonexistent.html: No such "
	    "file or directory" },
	{ "core/v1", "TemplateHandler",
	    "apiVersion: core/v1\nkind: TemplateHandler\nspec:\n"
	    "  mimeContents:\n    - templateType: GoText\n"
	    "      template: \"a\\n{{if .x}}\"\n",
	    "t.yaml:17:5: field \"mimeContents\"[0]: template: line 2: "
	    "unexpected EOF" },
	{ "core/v1", "TemplateHandler",
	    "apiVersion: core/v1\nkind: TemplateHandler\nspec:\n"
	    "  mimeContents:\n    - templateType: GoHTML\n"
	    "      template: \"{{template \\\"x\\\"}}\"\n",
	    "t.yaml:17:5: field \"mimeContents\"[0]: template: line 1: this "
	    "action is not supported" },
};

START_TEST(test_bad)
{
	char text[2048];

	snprintf(text, sizeof(text), HEAD "%s", bad[_i].av, bad[_i].kind,
	    bad[_i].doc);
	if (load(text) != NULL)
		ck_abort_msg("%s loaded", bad[_i].doc);
	ck_assert_int_ge(errs.n, 1);
	ck_assert_str_eq(errs.msg[0], bad[_i].err);
}
END_TEST

static Suite *
conf_handlers_suite(void)
{
	Suite *s = suite_create("conf_handlers");
	TCase *tc = tcase_create("conf_handlers");

	tcase_add_loop_test(
	    tc, test_good, 0, (int)(sizeof(good) / sizeof(good[0])));
	tcase_add_loop_test(
	    tc, test_bad, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_loop_test(tc, test_http_handler_patterns, 0,
	    (int)(sizeof(hh) / sizeof(hh[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(conf_handlers_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
