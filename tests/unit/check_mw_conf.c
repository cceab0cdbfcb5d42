/* Unit tests: the config parts of the middleware kinds (fields, defaults, errors). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

#define DIR TEST_DATA_DIR "/headercert/"

struct errs {
	char msg[16][512];
	int n;
};

static void
collect(void *ctx, const char *msg)
{
	struct errs *e = ctx;

	if (e->n < 16)
		snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s", msg);
	e->n++;
}

/* A server with a health check, then the documents under test. */
#define HEAD                                             \
	"apiVersion: core/v1\nkind: Entrypoint\nspec:\n" \
	"  runners:\n    - apiVersion: core/v1\n"        \
	"      kind: HTTPServer\n---\n"                  \
	"apiVersion: core/v1\nkind: HTTPServer\nspec:\n" \
	"  addr: \":18080\"\n  virtualHosts:\n"          \
	"    - handlers:\n        - handler:\n"          \
	"            apiVersion: app/v1\n"               \
	"            kind: HealthCheckHandler\n---\n"    \
	"apiVersion: app/v1\nkind: HealthCheckHandler\n---\n"

START_TEST(manifests)
{
	static const struct {
		const char *yaml;
		const char
		    *err; /* NULL: loads; else a part of the first error */
	} cases[] = {
		/* every kind with defaults only */
		{ "apiVersion: app/v1\nkind: CORSMiddleware\n---\n"
		  "apiVersion: app/v1\nkind: TrackingMiddleware\n---\n"
		  "apiVersion: app/v1\nkind: BodyLimitMiddleware\n---\n"
		  "apiVersion: app/v1\nkind: TimeoutMiddleware\n---\n"
		  "apiVersion: app/v1\nkind: HeaderPolicyMiddleware\n---\n"
		  "apiVersion: app/v1\nkind: Skipper\n",
		    NULL },
		/* AILERON's examples, their middleware documents */
		{ "apiVersion: app/v1\nkind: HeaderPolicyMiddleware\nspec:\n"
		  "  maxContentLength: 10\n  requestPolicy:\n"
		  "    removes: [Authorization]\n    rewrites:\n"
		  "      - name: User-Agent\n        replacer:\n"
		  "          fixed:\n            value: \"*****\"\n"
		  "  responsePolicy:\n"
		  "    removes: [Date, X-Content-Type-Options]\n",
		    NULL },
		{ "apiVersion: app/v1\nkind: BodyLimitMiddleware\nspec:\n"
		  "  maxSize: 10\n  memLimit: 5\n  tempPath: \"./\"\n",
		    NULL },
		{ "apiVersion: app/v1\nkind: CORSMiddleware\nspec:\n"
		  "  corsPolicy:\n    allowedOrigins: "
		  "[\"http://localhost:8080\","
		  " \"http://example.com\"]\n    allowedMethods: [GET, HEAD]\n",
		    NULL },
		{ "apiVersion: app/v1\nkind: TrackingMiddleware\nspec:\n"
		  "  requestIDProxyName: X-Aileron-Request-ID\n"
		  "  traceIDProxyName: X-Aileron-Trace-ID\n",
		    NULL },
		{ "apiVersion: app/v1\nkind: HeaderCertMiddleware\nspec:\n"
		  "  rootCAs: [" DIR "root.crt]\n"
		  "  certHeader: X-SSL-Client-Cert\n"
		  "  fingerprintHeader: X-SSL-Client-Fingerprint\n",
		    NULL },
		{ "apiVersion: app/v1\nkind: TimeoutMiddleware\nspec:\n"
		  "  defaultTimeout: 50\n  apiTimeouts:\n"
		  "    - matcher: {patterns: [/applied-api-timeout], "
		  "matchType: Exact}\n      methods: [GET]\n"
		  "      timeout: 100\n",
		    NULL },
		{ "apiVersion: app/v1\nkind: Skipper\nspec:\n"
		  "  skipConditions:\n    - matcher: {patterns: [/health], "
		  "matchType: Prefix}\n",
		    NULL },
		/* bad input, one error each */
		{ "apiVersion: app/v1\nkind: CORSMiddleware\nspec:\n"
		  "  corsPolicy:\n    allowedMethods: [GET, BREW]\n",
		    "invalid value \"BREW\"" },
		{ "apiVersion: app/v1\nkind: CORSMiddleware\nspec:\n"
		  "  corsPolicy:\n    corsOpenerPolicy: same-origin\n",
		    "field \"corsOpenerPolicy\"" },
		{ "apiVersion: app/v1\nkind: CORSMiddleware\nspec:\n"
		  "  allowedOrigins: [\"*\"]\n",
		    "unknown field \"allowedOrigins\"" },
		{ "apiVersion: app/v1\nkind: TrackingMiddleware\nspec:\n"
		  "  traceIDExtractName: \"X Trace\"\n",
		    "must match ^[0-9a-zA-Z-_]*$" },
		{ "apiVersion: app/v1\nkind: BodyLimitMiddleware\nspec:\n"
		  "  maxSize: ten\n",
		    "field \"maxSize\"" },
		{ "apiVersion: app/v1\nkind: TimeoutMiddleware\nspec:\n"
		  "  defaultTimeout: -1\n",
		    "out of range" },
		{ "apiVersion: app/v1\nkind: TimeoutMiddleware\nspec:\n"
		  "  apiTimeouts:\n    - timeout: 10\n",
		    "missing field \"matcher\"" },
		{ "apiVersion: app/v1\nkind: TimeoutMiddleware\nspec:\n"
		  "  apiTimeouts:\n    - matcher: {patterns: [\"(\"], "
		  "matchType: Regex}\n",
		    "invalid regular expression \"(\"" },
		{ "apiVersion: app/v1\nkind: TimeoutMiddleware\nspec:\n"
		  "  apiTimeouts:\n    - matcher: {patterns: [/a, /a]}\n",
		    "duplicate" },
		{ "apiVersion: app/v1\nkind: Skipper\nspec:\n"
		  "  skipConditions:\n    - matcher: {patterns: [\"/a/[b\"], "
		  "matchType: Path}\n",
		    "invalid path pattern" },
		{ "apiVersion: app/v1\nkind: Skipper\nspec:\n"
		  "  middleware:\n    - apiVersion: app/v1\n"
		  "      kind: CORSMiddleware\n      name: nope\n",
		    "undefined reference" },
		{ "apiVersion: app/v1\nkind: HeaderCertMiddleware\nspec:\n"
		  "  rootCAs: [" DIR "missing.crt]\n",
		    "cannot read" },
		{ "apiVersion: app/v1\nkind: HeaderCertMiddleware\nspec:\n"
		  "  rootCAs: [" DIR "empty.pem]\n",
		    "no certificate in" },
		{ "apiVersion: app/v1\nkind: HeaderPolicyMiddleware\nspec:\n"
		  "  requestPolicy:\n    add: {\"bad name\": x}\n",
		    "invalid header name" },
		{ "apiVersion: app/v1\nkind: HeaderPolicyMiddleware\nspec:\n"
		  "  responsePolicy:\n    set: {X-A: \"a\\r\\nX-B: b\"}\n",
		    "control character" },
		{ "apiVersion: app/v1\nkind: HeaderPolicyMiddleware\nspec:\n"
		  "  requestPolicy:\n    removes: [\"a:b\"]\n",
		    "invalid header name \"a:b\"" },
		{ "apiVersion: app/v1\nkind: HeaderPolicyMiddleware\nspec:\n"
		  "  requestPolicy:\n    rewrites:\n      - name: X-A\n"
		  "        replacer: {regexp: {pattern: \"(\"}}\n",
		    "invalid regular expression" },
		{ "apiVersion: app/v1\nkind: HeaderPolicyMiddleware\nspec:\n"
		  "  requestPolicy:\n    rewrites:\n      - name: X-A\n"
		  "        replacer: {hash: {alg: SHA256}}\n",
		    "not supported yet" },
		/* both are middleware now */
		{ "apiVersion: app/v1\nkind: BodyLimitMiddleware\n---\n"
		  "apiVersion: app/v1\nkind: Skipper\nspec:\n  middleware:\n"
		  "    - apiVersion: app/v1\n      kind: BodyLimitMiddleware\n"
		  "---\n"
		  "apiVersion: core/v1\nkind: HTTPServer\nmetadata: {name: b}\n"
		  "spec:\n  addr: \":18081\"\n  middleware:\n"
		  "    - apiVersion: app/v1\n      kind: BodyLimitMiddleware\n"
		  "    - apiVersion: app/v1\n      kind: Skipper\n",
		    NULL },
		/* a Skipper wrapping itself, directly or through another */
		{ "apiVersion: app/v1\nkind: Skipper\nspec:\n  middleware:\n"
		  "    - apiVersion: app/v1\n      kind: Skipper\n",
		    "wraps itself" },
		{ "apiVersion: app/v1\nkind: Skipper\nmetadata: {name: a}\n"
		  "spec:\n  middleware:\n"
		  "    - {apiVersion: app/v1, kind: Skipper, name: b}\n---\n"
		  "apiVersion: app/v1\nkind: Skipper\nmetadata: {name: b}\n"
		  "spec:\n  middleware:\n"
		  "    - {apiVersion: app/v1, kind: Skipper, name: c}\n---\n"
		  "apiVersion: app/v1\nkind: Skipper\nmetadata: {name: c}\n"
		  "spec:\n  middleware:\n"
		  "    - {apiVersion: app/v1, kind: Skipper, name: a}\n",
		    "wraps itself" },
		/* a Skipper is a tripperware too, but not of itself */
		{ "apiVersion: app/v1\nkind: Skipper\n---\n"
		  "apiVersion: core/v1\nkind: ReverseProxyHandler\n"
		  "metadata: {name: rp}\nspec:\n  tripperwares:\n"
		  "    - apiVersion: app/v1\n      kind: Skipper\n",
		    NULL },
		{ "apiVersion: app/v1\nkind: Skipper\nspec:\n  tripperware:\n"
		  "    - apiVersion: app/v1\n      kind: Skipper\n",
		    "wraps itself" },
		/* a handler is no tripperware */
		{ "apiVersion: app/v1\nkind: EchoHandler\n---\n"
		  "apiVersion: core/v1\nkind: ReverseProxyHandler\n"
		  "metadata: {name: rp}\nspec:\n  tripperwares:\n"
		  "    - apiVersion: app/v1\n      kind: EchoHandler\n",
		    "cannot be used as a tripperware" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct errs e;
		char *text;
		struct conf *c;

		memset(&e, 0, sizeof(e));
		if (asprintf(&text, "%s%s", HEAD, cases[i].yaml) < 0)
			ck_abort();
		c = conf_load_string("t.yaml", text, collect, &e);
		free(text);
		if (cases[i].err == NULL)
			ck_assert_msg(c != NULL, "case %zu: %s", i,
			    e.n > 0 ? e.msg[0] : "");
		else {
			ck_assert_msg(c == NULL, "case %zu loaded", i);
			ck_assert_msg(
			    e.n >= 1 && strstr(e.msg[0], cases[i].err) != NULL,
			    "case %zu: %s", i, e.n > 0 ? e.msg[0] : "no error");
		}
		conf_free(c);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mw_conf");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, manifests);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
