/* Unit tests: CORS policy evaluation (preflight, actual requests, origins). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "middleware/cors.h"

/* A heap copy of a NULL-terminated list of literals. */
static char **
dup_list(const char *const *l, size_t *n)
{
	char **out;

	for (*n = 0; l[*n] != NULL; (*n)++)
		;
	out = calloc(*n + 1, sizeof(*out));
	ck_assert_ptr_nonnull(out);
	for (size_t i = 0; i < *n; i++)
		out[i] = strdup(l[i]);
	return out;
}

static char default_headers[] = "Content-Type,X-Requested-With";
static char none[] = "";

/* Build a policy: origins and methods are NULL-terminated lists. */
static void
policy_init(struct cors_policy *p, const char *const *origins,
    const char *const *methods)
{
	memset(p, 0, sizeof(*p));
	p->origins = dup_list(origins, &p->norigins);
	p->methods = dup_list(methods, &p->nmethods);
	p->joined_methods = cors_join_methods(p->methods, p->nmethods);
	p->joined_headers = default_headers;
	p->joined_exposed = none;
	strcpy(p->max_age, "0");
}

/* Free a list made by dup_list. */
static void
free_list(char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

/* Free what policy_init allocated. */
static void
policy_done(struct cors_policy *p)
{
	free_list(p->origins, p->norigins);
	free_list(p->methods, p->nmethods);
	free(p->joined_methods);
}

/* The headers as "Name: value\n" lines, for one comparison per case. */
static void
render(const struct cors_header *h, size_t n, char *out, size_t size)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		size_t l = strlen(h[i].name) + strlen(h[i].value) + 3;

		ck_assert(o + l < size);
		strcat(out + o, h[i].name);
		strcat(out + o, ": ");
		strcat(out + o, h[i].value);
		strcat(out + o, "\n");
		o += l;
	}
}

static const char *const origins_one[] = { "http://allowed-origin.com", NULL };
static const char *const origins_star[] = { "http://allowed-origin.com", "*",
	NULL };
static const char *const methods_pg[] = { "POST", "GET", NULL };

START_TEST(join_methods)
{
	static const char *const l1[] = { "POST", "GET", "OPTIONS", NULL };
	static const char *const l2[] = { "PUT", "GET", "PUT", "DELETE", NULL };
	size_t n1, n2;
	char **m1 = dup_list(l1, &n1), **m2 = dup_list(l2, &n2);
	char *s;

	s = cors_join_methods(m1, n1);
	ck_assert_str_eq(s, "GET,OPTIONS,POST");
	free(s);
	s = cors_join_methods(m2, n2);
	ck_assert_str_eq(s, "DELETE,GET,PUT");
	free(s);
	s = cors_join_methods(m2, 0);
	ck_assert_str_eq(s, "");
	free(s);
	free_list(m1, n1);
	free_list(m2, n2);
}
END_TEST

START_TEST(evaluate_table)
{
	static const struct {
		int star, credentials, nowild, privnet;
		struct cors_request r;
		enum cors_action want;
		const char *headers;
	} cases[] = {
		/* preflight from the allowed origin: 200, its ACAO */
		{ 0, 0, 0, 0,
		    { "OPTIONS", "http://allowed-origin.com", "GET", NULL,
		        NULL },
		    CORS_PREFLIGHT_OK,
		    "Vary: Origin\nAccess-Control-Allow-Methods: GET,POST\n"
		    "Vary: Access-Control-Request-Method\n"
		    "Vary: Access-Control-Request-Headers\n"
		    "Access-Control-Max-Age: 0\n"
		    "Access-Control-Allow-Origin: "
		    "http://allowed-origin.com\n" },
		/* preflight from another origin: 403, no ACAO */
		{ 0, 0, 0, 0,
		    { "OPTIONS", "http://disallowed-origin.com", "GET", NULL,
		        NULL },
		    CORS_PREFLIGHT_FORBIDDEN,
		    "Vary: Origin\nAccess-Control-Allow-Methods: GET,POST\n"
		    "Vary: Access-Control-Request-Method\n"
		    "Vary: Access-Control-Request-Headers\n"
		    "Access-Control-Max-Age: 0\n" },
		/* the requested method and headers are not checked */
		{ 0, 0, 0, 0,
		    { "OPTIONS", "http://allowed-origin.com", "DELETE",
		        "Foo,Bar", NULL },
		    CORS_PREFLIGHT_OK,
		    "Vary: Origin\nAccess-Control-Allow-Methods: GET,POST\n"
		    "Vary: Access-Control-Request-Method\n"
		    "Vary: Access-Control-Request-Headers\n"
		    "Access-Control-Allow-Headers: "
		    "Content-Type,X-Requested-With\n"
		    "Access-Control-Max-Age: 0\n"
		    "Access-Control-Allow-Origin: "
		    "http://allowed-origin.com\n" },
		/* OPTIONS with an empty ACRM is an actual request (refused) */
		{ 0, 0, 0, 0,
		    { "OPTIONS", "http://allowed-origin.com", "", NULL, NULL },
		    CORS_FORBIDDEN,
		    "Vary: Origin\nAccess-Control-Allow-Methods: GET,POST\n"
		    "Access-Control-Allow-Headers: "
		    "Content-Type,X-Requested-With\n"
		    "Access-Control-Allow-Origin: "
		    "http://allowed-origin.com\n" },
		/* preflight with the wildcard */
		{ 1, 0, 0, 0,
		    { "OPTIONS", "http://other.com", "GET", NULL, NULL },
		    CORS_PREFLIGHT_OK,
		    "Vary: Origin\nAccess-Control-Allow-Methods: GET,POST\n"
		    "Vary: Access-Control-Request-Method\n"
		    "Vary: Access-Control-Request-Headers\n"
		    "Access-Control-Max-Age: 0\n"
		    "Access-Control-Allow-Origin: *\n" },
		/* disableWildCardOrigin echoes the origin */
		{ 1, 0, 1, 0,
		    { "OPTIONS", "http://other.com", "GET", NULL, NULL },
		    CORS_PREFLIGHT_OK,
		    "Vary: Origin\nAccess-Control-Allow-Methods: GET,POST\n"
		    "Vary: Access-Control-Request-Method\n"
		    "Vary: Access-Control-Request-Headers\n"
		    "Access-Control-Max-Age: 0\n"
		    "Access-Control-Allow-Origin: http://other.com\n" },
		/* private network asked, allowed, credentials */
		{ 0, 1, 0, 1,
		    { "OPTIONS", "http://allowed-origin.com", "GET", NULL,
		        "true" },
		    CORS_PREFLIGHT_OK,
		    "Vary: Origin\nAccess-Control-Allow-Methods: GET,POST\n"
		    "Vary: Access-Control-Request-Method\n"
		    "Vary: Access-Control-Request-Headers\n"
		    "Access-Control-Allow-Credentials: true\n"
		    "Access-Control-Max-Age: 0\n"
		    "Vary: Access-Control-Request-Private-Network\n"
		    "Access-Control-Allow-Private-Network: true\n"
		    "Access-Control-Allow-Origin: "
		    "http://allowed-origin.com\n" },
		/* private network asked, not allowed: only the Vary */
		{ 0, 0, 0, 0,
		    { "OPTIONS", "http://allowed-origin.com", "GET", NULL,
		        "true" },
		    CORS_PREFLIGHT_OK,
		    "Vary: Origin\nAccess-Control-Allow-Methods: GET,POST\n"
		    "Vary: Access-Control-Request-Method\n"
		    "Vary: Access-Control-Request-Headers\n"
		    "Access-Control-Max-Age: 0\n"
		    "Vary: Access-Control-Request-Private-Network\n"
		    "Access-Control-Allow-Origin: "
		    "http://allowed-origin.com\n" },
		/* actual GET from the allowed origin */
		{ 0, 0, 0, 0,
		    { "GET", "http://allowed-origin.com", NULL, NULL, NULL },
		    CORS_FORWARD,
		    "Vary: Origin\nAccess-Control-Allow-Methods: GET,POST\n"
		    "Access-Control-Allow-Headers: "
		    "Content-Type,X-Requested-With\n"
		    "Access-Control-Allow-Origin: "
		    "http://allowed-origin.com\n" },
		/* DELETE is not allowed: 403 with ACAO already there */
		{ 0, 0, 0, 0,
		    { "DELETE", "http://allowed-origin.com", NULL, NULL, NULL },
		    CORS_FORBIDDEN,
		    "Vary: Origin\nAccess-Control-Allow-Methods: GET,POST\n"
		    "Access-Control-Allow-Headers: "
		    "Content-Type,X-Requested-With\n"
		    "Access-Control-Allow-Origin: "
		    "http://allowed-origin.com\n" },
		/* no Origin at all: 403 */
		{ 1, 0, 0, 0, { "GET", NULL, NULL, NULL, NULL }, CORS_FORBIDDEN,
		    "Vary: Origin\nAccess-Control-Allow-Methods: GET,POST\n"
		    "Access-Control-Allow-Headers: "
		    "Content-Type,X-Requested-With\n" },
		/* an empty Origin: 403 */
		{ 1, 0, 0, 0, { "GET", "", NULL, NULL, NULL }, CORS_FORBIDDEN,
		    "Vary: Origin\nAccess-Control-Allow-Methods: GET,POST\n"
		    "Access-Control-Allow-Headers: "
		    "Content-Type,X-Requested-With\n" },
		/* credentials with the wildcard answer: no ACAC (intent) */
		{ 1, 1, 0, 0, { "GET", "http://other.com", NULL, NULL, NULL },
		    CORS_FORWARD,
		    "Vary: Origin\nAccess-Control-Allow-Methods: GET,POST\n"
		    "Access-Control-Allow-Headers: "
		    "Content-Type,X-Requested-With\n"
		    "Access-Control-Allow-Origin: *\n" },
		/* credentials with an exact origin: ACAC */
		{ 1, 1, 0, 0,
		    { "GET", "http://allowed-origin.com", NULL, NULL, NULL },
		    CORS_FORWARD,
		    "Vary: Origin\nAccess-Control-Allow-Methods: GET,POST\n"
		    "Access-Control-Allow-Headers: "
		    "Content-Type,X-Requested-With\n"
		    "Access-Control-Allow-Origin: http://allowed-origin.com\n"
		    "Access-Control-Allow-Credentials: true\n" },
		/* origins compare exactly: case matters */
		{ 0, 0, 0, 0,
		    { "GET", "http://Allowed-Origin.com", NULL, NULL, NULL },
		    CORS_FORBIDDEN,
		    "Vary: Origin\nAccess-Control-Allow-Methods: GET,POST\n"
		    "Access-Control-Allow-Headers: "
		    "Content-Type,X-Requested-With\n" },
	};
	struct cors_header h[CORS_MAX_HEADERS];
	struct cors_policy p;
	char got[2048];
	size_t i, nh;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		policy_init(
		    &p, cases[i].star ? origins_star : origins_one, methods_pg);
		p.allow_credentials = cases[i].credentials;
		p.disable_wildcard_origin = cases[i].nowild;
		p.allow_private_network = cases[i].privnet;
		ck_assert_msg(
		    cors_evaluate(&p, &cases[i].r, h, &nh) == cases[i].want,
		    "case %zu: action", i);
		render(h, nh, got, sizeof(got));
		ck_assert_msg(strcmp(got, cases[i].headers) == 0,
		    "case %zu: got\n%s", i, got);
		policy_done(&p);
	}
}
END_TEST

/* The AILERON test with headers, max age, policies and no wildcard. */
START_TEST(full_policy)
{
	static const char *const origins[] = { "http://cors.com", NULL };
	static const char *const methods[] = { "GET", "OPTIONS", NULL };
	char allowed[] = "X-Allowed-1,X-Allowed-2";
	char exposed[] = "X-Exposed-1,X-Exposed-2";
	struct cors_request pre = { "OPTIONS", "http://cors.com", "GET",
		"Foo,Bar", NULL };
	struct cors_request act = { "OPTIONS", "http://cors.com", NULL, NULL,
		NULL };
	struct cors_header h[CORS_MAX_HEADERS];
	struct cors_policy p;
	char got[2048];
	size_t nh;

	policy_init(&p, origins, methods);
	p.joined_headers = allowed;
	p.joined_exposed = exposed;
	strcpy(p.max_age, "3600");
	p.allow_credentials = 1;
	p.disable_wildcard_origin = 1;
	p.embedder = cors_embedder_value("EmbedderRequireCorp");
	p.opener = cors_opener_value("OpenerSameOrigin");
	p.resource = cors_resource_value("ResourceSameOrigin");

	ck_assert(cors_evaluate(&p, &pre, h, &nh) == CORS_PREFLIGHT_OK);
	render(h, nh, got, sizeof(got));
	ck_assert_str_eq(got,
	    "Vary: Origin\nAccess-Control-Allow-Methods: GET,OPTIONS\n"
	    "Vary: Access-Control-Request-Method\n"
	    "Vary: Access-Control-Request-Headers\n"
	    "Access-Control-Allow-Headers: X-Allowed-1,X-Allowed-2\n"
	    "Access-Control-Expose-Headers: X-Exposed-1,X-Exposed-2\n"
	    "Access-Control-Allow-Credentials: true\n"
	    "Access-Control-Max-Age: 3600\n"
	    "Access-Control-Allow-Origin: http://cors.com\n");

	ck_assert(cors_evaluate(&p, &act, h, &nh) == CORS_FORWARD);
	render(h, nh, got, sizeof(got));
	ck_assert_str_eq(got,
	    "Vary: Origin\nAccess-Control-Allow-Methods: GET,OPTIONS\n"
	    "Access-Control-Allow-Headers: X-Allowed-1,X-Allowed-2\n"
	    "Access-Control-Expose-Headers: X-Exposed-1,X-Exposed-2\n"
	    "Access-Control-Allow-Origin: http://cors.com\n"
	    "Access-Control-Allow-Credentials: true\n"
	    "Cross-Origin-Embedder-Policy: require-corp\n"
	    "Cross-Origin-Opener-Policy: same-origin\n"
	    "Cross-Origin-Resource-Policy: same-origin\n");
	policy_done(&p);
}
END_TEST

START_TEST(policy_enums)
{
	ck_assert_str_eq(
	    cors_embedder_value("EmbedderUnsafeNone"), "unsafe-none");
	ck_assert_str_eq(
	    cors_embedder_value("EmbedderCredentialless"), "credentialless");
	ck_assert_str_eq(cors_opener_value("OpenerSameOriginAllowPopups"),
	    "same-origin-allow-popups");
	ck_assert_str_eq(cors_resource_value("ResourceSameSite"), "same-site");
	ck_assert_str_eq(
	    cors_resource_value("ResourceCrossOrigin"), "cross-origin");
	ck_assert_ptr_null(cors_embedder_value("require-corp"));
	ck_assert_ptr_null(cors_opener_value(""));
	ck_assert_ptr_null(cors_resource_value("OpenerSameOrigin"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cors");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, join_methods);
	tcase_add_test(tc, evaluate_table);
	tcase_add_test(tc, full_policy);
	tcase_add_test(tc, policy_enums);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
