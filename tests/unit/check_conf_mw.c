/* Unit tests: the config parts of ThrottleMiddleware, CompressionMiddleware, AuthenticationMiddleware and OAuthAuthenticationHandler. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

/* Every error the loader reported. */
struct errs {
	char msg[16][512];
	int n;
};

static struct errs errs;

static void
collect(void *ctx, const char *msg)
{
	struct errs *e = ctx;

	if (e->n < 16)
		snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s", msg);
	e->n++;
}

/* A server, then the document under test from line 11 on. */
#define HEAD                                                            \
	"apiVersion: core/v1\nkind: Entrypoint\nspec:\n  runners:\n"    \
	"    - apiVersion: core/v1\n      kind: HTTPServer\n---\n"      \
	"apiVersion: core/v1\nkind: HTTPServer\nspec: {addr: \":1\"}\n" \
	"---\n"
#define THROTTLE "apiVersion: app/v1\nkind: ThrottleMiddleware\nspec:\n"
#define COMPRESS "apiVersion: app/v1\nkind: CompressionMiddleware\nspec:\n"
#define AUTHN    "apiVersion: app/v1\nkind: AuthenticationMiddleware\nspec:\n"
#define OAUTH    "apiVersion: app/v1\nkind: OAuthAuthenticationHandler\nspec:\n"
#define OAUTH_REF       \
	"  handlers:\n" \
	"    - {apiVersion: app/v1, kind: OAuthAuthenticationHandler}\n"

static const char *const good[] = {
	HEAD THROTTLE "  apiThrottlers: []\n",
	HEAD THROTTLE "  apiThrottlers:\n"
	              "    - matcher: {patterns: [\".*\"], matchType: Regex}\n"
	              "      tokenBucket: {bucketSize: 20, fillRate: 10}\n"
	              "    - matcher: {patterns: [\"/a\", \"/b\"]}\n"
	              "      methods: [GET, POST]\n"
	              "      maxRetry: 3\n"
	              "      maxConnections: {}\n"
	              "    - matcher: {patterns: [\"/c/*\"], matchType: Path}\n"
	              "      fixedWindow: {windowSize: 100, limit: 5}\n"
	              "    - matcher: {patterns: [\"^/d$\"], matchType: "
	              "RegexPOSIX}\n"
	              "      leakyBucket: {bucketSize: 0, leakInterval: 50}\n",
	/* PascalCase names are AILERON's too */
	HEAD THROTTLE "  APIThrottlers:\n"
	              "    - Matcher: {Patterns: [\"/\"], MatchType: Prefix}\n"
	              "      MaxConnections: {MaxConns: 3}\n",
	HEAD COMPRESS "  {}\n",
	HEAD COMPRESS "  gzipLevel: 9\n  brotliLevel: -1\n  minimumSize: -1\n"
	              "  targetMIMEs: [application/json, Text/Plain]\n",
	HEAD COMPRESS "  minimumSize: 10\n",
	/* server, virtual host and handler middleware */
	"apiVersion: core/v1\nkind: Entrypoint\nspec:\n  runners:\n"
	"    - apiVersion: core/v1\n      kind: HTTPServer\n---\n"
	"apiVersion: core/v1\nkind: HTTPServer\nspec:\n  addr: \":1\"\n"
	"  middleware:\n"
	"    - {apiVersion: app/v1, kind: ThrottleMiddleware}\n"
	"  virtualHosts:\n"
	"    - middleware:\n"
	"        - {apiVersion: app/v1, kind: CompressionMiddleware}\n"
	"      handlers:\n"
	"        - handler: {apiVersion: app/v1, kind: PrometheusMeter}\n"
	"          middleware:\n"
	"            - {apiVersion: app/v1, kind: ThrottleMiddleware}\n"
	"---\n" COMPRESS "  {}\n---\n" THROTTLE "  apiThrottlers: []\n"
	"---\napiVersion: app/v1\nkind: PrometheusMeter\n",
	HEAD AUTHN "  {}\n",
	HEAD AUTHN OAUTH_REF
	"---\n" OAUTH "  resourceServerHandler: {headerKey: X-Token}\n"
	"  contextQueryKey: ctx\n"
	"  contexts:\n"
	"    - provider: {issuer: \"http://idp/\"}\n"
	"      client: {id: rs}\n"
	"      jwtHandler:\n"
	"        publicKeys:\n"
	"          - {keyID: k, algorithm: HS256, keyType: COMMON, "
	"keyString: dGVzdA==}\n"
	"      atValidation: {aud: \"-\", leeway: 0, validMethods: [HS256]}\n",
};

START_TEST(test_good)
{
	struct conf *c;
	int i;

	memset(&errs, 0, sizeof(errs));
	c = conf_load_string("t.yaml", good[_i], collect, &errs);
	for (i = 0; i < errs.n && i < 16; i++)
		fprintf(stderr, "case %d: %s\n", _i, errs.msg[i]);
	ck_assert_ptr_nonnull(c);
	conf_free(c);
}
END_TEST

static const struct {
	const char *text;
	const char *want[6];
} bad[] = {
	{ HEAD THROTTLE
	    "  apiThrottlers:\n"
	    "    - matcher: {patterns: [\"([\"], matchType: Regex}\n"
	    "      maxConnections: {}\n",
	    { "t.yaml:16:16: patterns[0]: invalid regular expression \"([\": "
	      "missing terminating ] for character class at offset 2" } },
	{ HEAD THROTTLE "  apiThrottlers:\n"
	                "    - matcher: {patterns: [\"/\"]}\n",
	    { "t.yaml:16:7: one of maxConnections, tokenBucket, fixedWindow "
	      "or leakyBucket is required" } },
	{ HEAD THROTTLE "  apiThrottlers:\n"
	                "    - matcher: {patterns: [\"/\"]}\n"
	                "      maxConnections: {}\n"
	                "      leakyBucket: {}\n",
	    { "t.yaml:16:7: only one of maxConnections, tokenBucket, "
	      "fixedWindow or leakyBucket may be set" } },
	{ HEAD THROTTLE "  apiThrottlers:\n"
	                "    - tokenBucket: {}\n",
	    { "t.yaml:16:7: matcher is required" } },
	{ HEAD THROTTLE "  apiThrottlers:\n"
	                "    - matcher: {patterns: [\"/\"], matchType: Glob}\n"
	                "      maxRetry: -1\n"
	                "      tokenBucket: {fillRate: -5, burst: 1}\n",
	    { "t.yaml:16:45: field \"matchType\": invalid value \"Glob\" "
	      "(expected one of Exact, Prefix, Suffix, Contains, Path, "
	      "FilePath, Regex, RegexPOSIX)",
	        "t.yaml:17:17: field \"maxRetry\": -1 is out of range "
	        "(0..2147483647)",
	        "t.yaml:18:31: field \"fillRate\": -5 is out of range "
	        "(0..2147483647)",
	        "t.yaml:18:35: unknown field \"burst\" in app/v1 "
	        "ThrottleMiddleware spec.apiThrottlers[0].tokenBucket" } },
	{ HEAD COMPRESS "  gzipLevel: 10\n  brotliLevel: 12\n"
	                "  targetMIMEs: [a/b, a/b]\n  level: 1\n",
	    { "t.yaml:15:14: field \"gzipLevel\": 10 is out of range (0..9)",
	        "t.yaml:16:16: field \"brotliLevel\": 12 is out of range "
	        "(-1..11)",
	        "t.yaml:17:22: field \"targetMIMEs\": duplicate value \"a/b\"",
	        "t.yaml:18:3: unknown field \"level\" in app/v1 "
	        "CompressionMiddleware spec" } },
	/* middleware, not tripperware */
	{ HEAD COMPRESS "  {}\n---\n"
	                "apiVersion: core/v1\nkind: HTTPClient\nspec:\n"
	                "  tripperwares:\n    - apiVersion: app/v1\n"
	                "      kind: CompressionMiddleware\n",
	    { "t.yaml:21:7: app/v1/CompressionMiddleware/default/default "
	      "cannot be used as a tripperware" } },
	{ HEAD AUTHN OAUTH_REF,
	    { "t.yaml:16:7: undefined reference to "
	      "app/v1/OAuthAuthenticationHandler/default/default" } },
	{ HEAD OAUTH "  authorizationCodeHandler: {}\n",
	    { "t.yaml:15:29: callbackURL: required, an http(s) URL or a path "
	      "(where the provider sends the browser back)" } },
	{ HEAD OAUTH "  resourceServerHandler: {}\n  ropcHandler: {}\n",
	    { "t.yaml:15:3: only one of authorizationCodeHandler, "
	      "clientCredentialsHandler, resourceServerHandler and ropcHandler "
	      "may be given" } },
	{ HEAD OAUTH "  ropcHandler: {}\n  contexts: [{name: a}]\n",
	    { "t.yaml:15:3: contexts[0]: ropcHandler needs "
	      "provider.endpoints.token or provider.endpoints.discovery" } },
	{ HEAD OAUTH "  resourceServerHandler: {}\n  contexts:\n"
	             "    - jwtHandler:\n        publicKeys:\n"
	             "          - {algorithm: NONE}\n"
	             "          - {keyType: COMMON, keyString: \"!\"}\n"
	             "      enableIntrospection: true\n",
	    { "t.yaml:19:25: algorithm: NONE is refused: unsigned tokens are "
	      "never accepted",
	        "t.yaml:20:42: keyString: not valid base64",
	        "t.yaml:21:28: enableIntrospection: needs "
	        "provider.endpoints.introspection or discovery" } },
};

START_TEST(test_bad)
{
	struct conf *c;
	int i;

	memset(&errs, 0, sizeof(errs));
	c = conf_load_string("t.yaml", bad[_i].text, collect, &errs);
	ck_assert_ptr_null(c);
	for (i = 0; bad[_i].want[i] != NULL; i++) {
		ck_assert_msg(
		    i < errs.n, "case %d: missing %s", _i, bad[_i].want[i]);
		ck_assert_str_eq(errs.msg[i], bad[_i].want[i]);
	}
	ck_assert_msg(errs.n == i, "case %d: %d errors, last %s", _i, errs.n,
	    errs.msg[errs.n - 1]);
}
END_TEST

static Suite *
conf_mw_suite(void)
{
	Suite *s = suite_create("conf_mw");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_good, 0, sizeof(good) / sizeof(good[0]));
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(conf_mw_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
