/* Unit tests: path matchers, path encoding, vhost routing, load-balancer selection. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

START_TEST(match_types)
{
	static const struct {
		int type;
		const char *pattern, *value;
		int want;
	} cases[] = {
		{ MATCH_EXACT, "/test1", "/test1", 1 },
		{ MATCH_EXACT, "/test1", "/test1/x", 0 },
		{ MATCH_EXACT, "", "", 1 },
		{ MATCH_EXACT, "", "/", 0 },
		{ MATCH_PREFIX, "/test2", "/test2/foo/bar", 1 },
		{ MATCH_PREFIX, "/api", "/apix", 1 },
		{ MATCH_PREFIX, "/api", "/ap", 0 },
		{ MATCH_PREFIX, "", "/anything", 1 },
		{ MATCH_SUFFIX, "/test3", "/foo/bar/test3", 1 },
		{ MATCH_SUFFIX, "/test3", "/test3/x", 0 },
		{ MATCH_CONTAINS, "/test4", "/foo/test4/bar", 1 },
		{ MATCH_CONTAINS, "/test4", "/foo/test/bar", 0 },
		{ MATCH_CONTAINS, "", "/x", 1 },
		{ MATCH_PATH, "/test5/*", "/test5/foo", 1 },
		{ MATCH_PATH, "/test5/*", "/test5/a/b", 0 },
		{ MATCH_PATH, "/t?st", "/test", 1 },
		{ MATCH_PATH, "/[a-c]x", "/bx", 1 },
		{ MATCH_PATH, "/[a-c]x", "/dx", 0 },
		{ MATCH_FILEPATH, "/test6/*", "/test6/foo", 1 },
		{ MATCH_FILEPATH, "/test6/*", "/test7/foo", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(route_match(cases[i].type, cases[i].pattern, NULL,
		                  cases[i].value,
		                  strlen(cases[i].value)) == cases[i].want,
		    "case %zu: %s vs %s", i, cases[i].pattern, cases[i].value);
}
END_TEST

START_TEST(decode_path)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "/plain", "/plain" },
		{ "/a%20b", "/a b" },
		{ "/%41%2Fx", "/A/x" },
		{ "/%e3%81%82", "/\xe3\x81\x82" },
		{ "/%zz", NULL },
		{ "/%4", NULL },
		{ "/%", NULL },
		{ "/a%00b", NULL },
		{ "/%00", NULL },
	};
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = route_decode_path(
		    cases[i].in, strlen(cases[i].in), out, sizeof(out));

		if (cases[i].out == NULL)
			ck_assert_msg(n == -1, "case %zu", i);
		else {
			ck_assert_int_eq(n, (int)strlen(cases[i].out));
			ck_assert_str_eq(out, cases[i].out);
		}
	}
}
END_TEST

START_TEST(encode_path)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "/plain/x-y_z.~", "/plain/x-y_z.~" },
		{ "/a b", "/a%20b" },
		{ "/q?x#y%", "/q%3Fx%23y%25" },
		{ "/$&+,:;=@", "/$&+,:;=@" },
		{ "/!*'()", "/%21%2A%27%28%29" },
		{ "/\xe3\x81\x82", "/%E3%81%82" },
	};
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_ge(route_encode_path(cases[i].in,
		                     strlen(cases[i].in), out, sizeof(out)),
		    0);
		ck_assert_str_eq(out, cases[i].out);
	}
	ck_assert_int_eq(route_encode_path(" ", 1, out, 3), -1);
}
END_TEST

/* A proxy with one LB holding one path matcher. */
static struct conf_proxy *
make_proxy(int type, const char *match, const char *trim, const char *append,
    const char *rewrite)
{
	struct conf_proxy *p = calloc(1, sizeof(*p));
	struct conf_lb *lb = calloc(1, sizeof(*lb));
	struct conf_path_matcher *pm = calloc(1, sizeof(*pm));

	pm->match_type = type;
	pm->match = (char *)(uintptr_t)match;
	pm->trim_prefix = (char *)(uintptr_t)trim;
	pm->append_prefix = (char *)(uintptr_t)append;
	pm->rewrite = (char *)(uintptr_t)rewrite;
	lb->path_matchers = pm;
	lb->npath_matchers = 1;
	p->lbs = lb;
	p->nlbs = 1;
	return p;
}

START_TEST(select_lb_paths)
{
	static const struct {
		int type;
		const char *match, *trim, *append, *rewrite, *path, *want;
	} cases[] = {
		{ MATCH_PREFIX, "/test", "/pre", NULL, NULL, "/pre/test",
		    "/test" },
		{ MATCH_PREFIX, "/", NULL, "/anything", NULL, "/get",
		    "/anything/get" },
		{ MATCH_PREFIX, "/anything", "/get", NULL, NULL,
		    "/get/anything/x", "/anything/x" },
		{ MATCH_PREFIX, "/x", NULL, "/v1/", NULL, "/x", "/v1//x" },
		{ MATCH_REGEX, "^/(?P<key>\\w+)/(?P<value>\\w+)$", NULL, NULL,
		    "/$value/$key", "/foo/bar", "/bar/foo" },
		{ MATCH_REGEX, "^/(\\w+)/(\\w+)$", NULL, NULL, "/${2}x/$1",
		    "/foo/bar", "/barx/foo" },
		{ MATCH_REGEX, "o", NULL, NULL, "0", "/foo", "00" },
		{ MATCH_REGEX, "^/a", NULL, NULL, "$$", "/a", "$" },
		{ MATCH_REGEX_POSIX, "^/test/([a-z]{3})/(.*)$", NULL, NULL,
		    "/$2/$1", "/test/abc/foo/bar", "/foo/bar/abc" },
		{ MATCH_EXACT, "/nope", NULL, NULL, NULL, "/other", NULL },
	};
	char out[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf_proxy *p = make_proxy(cases[i].type, cases[i].match,
		    cases[i].trim, cases[i].append, cases[i].rewrite);
		struct conf *c = calloc(1, sizeof(*c));
		struct route_req r;
		struct routes *rt;
		struct conf_lb *lb;

		c->proxies = &p;
		c->nproxies = 1;
		ck_assert_ptr_nonnull(rt = route_build(c));
		memset(&r, 0, sizeof(r));
		r.path = cases[i].path;
		r.path_len = strlen(cases[i].path);
		r.method = 1;
		lb = route_select_lb(p, &r, out, sizeof(out));
		if (cases[i].want == NULL)
			ck_assert_msg(lb == NULL, "case %zu", i);
		else {
			ck_assert_msg(lb != NULL, "case %zu", i);
			ck_assert_str_eq(out, cases[i].want);
		}
		route_free(rt);
		free(c);
		free(p->lbs->path_matchers);
		free(p->lbs);
		free(p);
	}
}
END_TEST

START_TEST(select_lb_methods_hosts)
{
	struct conf_proxy *p = make_proxy(MATCH_PREFIX, "/", NULL, NULL, NULL);
	char *hosts[] = { (char *)(uintptr_t) "test.com" };
	struct route_req r;
	char out[64];

	p->lbs->methods = (1u << HTTP_M_GET) | (1u << HTTP_M_PUT);
	p->lbs->hosts = hosts;
	p->lbs->nhosts = 1;
	memset(&r, 0, sizeof(r));
	r.path = "/";
	r.path_len = 1;
	r.host = "test.com";
	r.host_len = 8;
	r.method = HTTP_M_GET;
	ck_assert_ptr_nonnull(route_select_lb(p, &r, out, sizeof(out)));
	r.method = HTTP_M_PUT;
	ck_assert_ptr_nonnull(route_select_lb(p, &r, out, sizeof(out)));
	r.method = HTTP_M_POST;
	ck_assert_ptr_null(route_select_lb(p, &r, out, sizeof(out)));
	r.method = HTTP_M_GET;
	r.host = "test.com:12300"; /* the port is compared too */
	r.host_len = 14;
	ck_assert_ptr_null(route_select_lb(p, &r, out, sizeof(out)));
	r.host = "wrong.com";
	r.host_len = 9;
	ck_assert_ptr_null(route_select_lb(p, &r, out, sizeof(out)));
	free(p->lbs->path_matchers);
	free(p->lbs);
	free(p);
}
END_TEST

START_TEST(vhost_routing)
{
	struct conf_proxy pa, pb;
	struct conf_handler ha, hb;
	struct conf_vhost vh[2];
	struct conf_server srv, *srvs[1] = { &srv };
	struct conf_proxy *proxies[2] = { &pa, &pb };
	char *hosts[] = { (char *)(uintptr_t) "example.com" };
	char *pats[] = { (char *)(uintptr_t) "/api/" };
	struct conf c;
	struct routes *rt;
	struct route_req r;

	memset(&pa, 0, sizeof(pa));
	memset(&pb, 0, sizeof(pb));
	memset(&ha, 0, sizeof(ha));
	memset(&hb, 0, sizeof(hb));
	memset(vh, 0, sizeof(vh));
	memset(&srv, 0, sizeof(srv));
	memset(&c, 0, sizeof(c));
	pb.patterns = pats;
	pb.npatterns = 1;
	pb.methods = 1u << HTTP_M_GET;
	ha.kind = hb.kind = CONF_HANDLER_PROXY;
	ha.proxy = &pa;
	hb.proxy = &pb;
	vh[0].handlers = &ha; /* any host, catch-all */
	vh[0].nhandlers = 1;
	vh[1].hosts = hosts; /* example.com: /prefix/api/ only */
	vh[1].nhosts = 1;
	vh[1].pattern = (char *)(uintptr_t) "prefix";
	vh[1].handlers = &hb;
	vh[1].nhandlers = 1;
	srv.vhosts = vh;
	srv.nvhosts = 2;
	c.servers = srvs;
	c.nservers = 1;
	c.proxies = proxies;
	c.nproxies = 2;
	ck_assert_ptr_nonnull(rt = route_build(&c));
	memset(&r, 0, sizeof(r));
	r.method = HTTP_M_GET;
	r.path = "/prefix/api/x";
	r.path_len = strlen(r.path);
	r.host = "other.org:80";
	r.host_len = strlen(r.host);
	ck_assert_ptr_eq(route_find(rt, &srv, &r), &pa);
	r.host = "EXAMPLE.com:8080";
	r.host_len = strlen(r.host);
	ck_assert_ptr_eq(route_find(rt, &srv, &r), &pb);
	r.method = HTTP_M_POST; /* method not allowed: 404 */
	ck_assert_ptr_null(route_find(rt, &srv, &r));
	r.method = HTTP_M_GET;
	r.path = "/elsewhere"; /* a vhost's host never falls back */
	r.path_len = strlen(r.path);
	ck_assert_ptr_null(route_find(rt, &srv, &r));
	route_free(rt);
}
END_TEST

/* Mount one proxy per pattern on a host-less vhost and route paths. */
START_TEST(wildcard_patterns)
{
	static const char *const pats[] = { "/a/{x}", "/a/b", "/a/",
		"/f/{p...}", "/s/{$}", "/{id}/c", "/" };
	static const struct {
		const char *path;
		int want; /* index into pats */
		const char *param, *value;
	} cases[] = {
		{ "/a/b", 1, NULL, NULL },   /* literal beats wildcard */
		{ "/a/z", 0, "x", "z" },     /* wildcard beats subtree */
		{ "/a/z/y", 2, NULL, NULL }, /* only the subtree */
		{ "/a/", 2, NULL, NULL },    /* {x} needs a segment */
		{ "/f/", 3, "p", "" },       /* {p...} may be empty */
		{ "/f/1/2", 3, "p", "1/2" },
		{ "/s/", 4, NULL, NULL }, /* {$}: the slash only */
		{ "/s/x", 6, NULL, NULL },
		{ "/q/c", 5, "id", "q" },
		{ "/zzz", 6, NULL, NULL },
	};
	struct conf_proxy px[7], *proxies[7];
	struct conf_handler h[7];
	struct conf_vhost vh;
	struct conf_server srv, *srvs[1] = { &srv };
	char *pv[7];
	struct conf c;
	struct routes *rt;
	struct route_req r;
	size_t i, k;

	memset(&vh, 0, sizeof(vh));
	memset(&srv, 0, sizeof(srv));
	memset(&c, 0, sizeof(c));
	for (i = 0; i < 7; i++) {
		memset(&px[i], 0, sizeof(px[i]));
		memset(&h[i], 0, sizeof(h[i]));
		pv[i] = (char *)(uintptr_t)pats[i];
		px[i].patterns = &pv[i];
		px[i].npatterns = 1;
		h[i].kind = CONF_HANDLER_PROXY;
		h[i].proxy = &px[i];
		proxies[i] = &px[i];
	}
	vh.handlers = h;
	vh.nhandlers = 7;
	srv.vhosts = &vh;
	srv.nvhosts = 1;
	c.servers = srvs;
	c.nservers = 1;
	c.proxies = proxies;
	c.nproxies = 7;
	ck_assert_ptr_nonnull(rt = route_build(&c));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.method = HTTP_M_GET;
		r.path = cases[i].path;
		r.path_len = strlen(r.path);
		ck_assert_msg(route_find(rt, &srv, &r) == &px[cases[i].want],
		    "path %s", cases[i].path);
		if (cases[i].param == NULL)
			continue;
		for (k = 0; k < r.nparams; k++)
			if (strcmp(r.params[k].name, cases[i].param) == 0)
				break;
		ck_assert_msg(k < r.nparams, "path %s", cases[i].path);
		ck_assert_uint_eq(r.params[k].len, strlen(cases[i].value));
		ck_assert(memcmp(r.params[k].value, cases[i].value,
		              r.params[k].len) == 0);
	}
	route_free(rt);
	/* The same pattern twice (names of wildcards aside) is refused. */
	pv[1] = (char *)(uintptr_t) "/a/{y}";
	ck_assert_ptr_null(route_build(&c));
	pv[1] = (char *)(uintptr_t) "/a/b";
	/* Malformed wildcards fail the build. */
	pv[0] = (char *)(uintptr_t) "/a/{x...}/b";
	ck_assert_ptr_null(route_build(&c));
	pv[0] = (char *)(uintptr_t) "/a/x{y}";
	ck_assert_ptr_null(route_build(&c));
}
END_TEST

/* Parse a raw request head into m (the buffer must outlive m). */
static void
parse_head(struct http_msg *m, const char *raw)
{
	struct http_limits lim;

	memset(&lim, 0, sizeof(lim));
	lim.max_head = 8192;
	lim.max_line = 8192;
	http_request_init(m, &lim);
	ck_assert_int_eq(
	    http_parse_request(m, raw, strlen(raw)), HTTP_PARSE_DONE);
}

START_TEST(param_matchers)
{
	static const char raw[] = "GET / HTTP/1.1\r\nHost: x\r\n"
	                          "x-param: foo\r\nX-Param: bar\r\n"
	                          "Cookie: a=1; sid=\"s1\"\r\n\r\n";
	static const struct {
		int source, type;
		const char *key, *pattern, *query;
		int want;
	} cases[] = {
		{ HASH_HEADER, MATCH_EXACT, "X-Param", "foo,bar", NULL, 1 },
		{ HASH_HEADER, MATCH_EXACT, "x-param", "foo", NULL, 0 },
		{ HASH_HEADER, MATCH_PREFIX, "X-PARAM", "foo", NULL, 1 },
		{ HASH_HEADER, MATCH_EXACT, "Missing", "", NULL, 0 },
		{ HASH_QUERY, MATCH_EXACT, "param", "foo", "param=foo", 1 },
		{ HASH_QUERY, MATCH_EXACT, "param", "a b,c",
		    "param=a+b&param=c", 1 },
		{ HASH_QUERY, MATCH_EXACT, "p q", "/", "p%20q=%2F", 1 },
		{ HASH_QUERY, MATCH_EXACT, "param", "baz", "param=foo", 0 },
		{ HASH_QUERY, MATCH_EXACT, "param", "", "other=1", 0 },
		{ HASH_QUERY, MATCH_EXACT, "param", "", "param", 1 },
		{ HASH_QUERY, MATCH_REGEX, "param", "^f.o$", "x=1&param=foo",
		    1 },
		{ HASH_PATH_PARAM, MATCH_EXACT, "id", "42", NULL, 1 },
		{ HASH_PATH_PARAM, MATCH_EXACT, "id", "43", NULL, 0 },
		{ HASH_PATH_PARAM, MATCH_EXACT, "other", "", NULL, 0 },
	};
	struct http_msg m;
	size_t i;

	parse_head(&m, raw);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf_proxy *p =
		    make_proxy(MATCH_PREFIX, "/", NULL, NULL, NULL);
		struct conf_param_matcher pm;
		char *pats[1] = { (char *)(uintptr_t)cases[i].pattern };
		struct conf *c = calloc(1, sizeof(*c));
		struct routes *rt;
		struct route_req r;
		char out[64];

		memset(&pm, 0, sizeof(pm));
		pm.key = (char *)(uintptr_t)cases[i].key;
		pm.patterns = pats;
		pm.npatterns = 1;
		pm.match_type = cases[i].type;
		if (cases[i].source == HASH_HEADER) {
			p->lbs->header_matchers = &pm;
			p->lbs->nheader_matchers = 1;
		} else if (cases[i].source == HASH_QUERY) {
			p->lbs->query_matchers = &pm;
			p->lbs->nquery_matchers = 1;
		} else {
			p->lbs->path_param_matchers = &pm;
			p->lbs->npath_param_matchers = 1;
		}
		c->proxies = &p;
		c->nproxies = 1;
		ck_assert_ptr_nonnull(rt = route_build(c));
		memset(&r, 0, sizeof(r));
		r.method = HTTP_M_GET;
		r.path = "/";
		r.path_len = 1;
		r.msg = &m;
		r.buf = raw;
		r.query = cases[i].query;
		r.query_len = r.query ? strlen(r.query) : 0;
		r.params[0].name = "id";
		r.params[0].value = "42";
		r.params[0].len = 2;
		r.nparams = 1;
		ck_assert_msg((route_select_lb(p, &r, out, sizeof(out)) !=
		                  NULL) == cases[i].want,
		    "case %zu", i);
		route_free(rt);
		free(c);
		free(p->lbs->path_matchers);
		free(p->lbs);
		free(p);
	}
}
END_TEST

START_TEST(hash_keys)
{
	static const char raw[] = "GET / HTTP/1.1\r\nHost: x\r\n"
	                          "Hash-Key: one\r\nHash-Key: two\r\n"
	                          "Cookie: a=1; sid=\"s1\"\r\n\r\n";
	static const struct {
		int source;
		const char *key, *want;
	} cases[] = {
		{ HASH_CLIENT_ADDR, NULL, "192.0.2.1:1234" },
		{ HASH_HEADER, "hash-key", "one" },
		{ HASH_HEADER, "none", "" },
		{ HASH_COOKIE, "sid", "s1" },
		{ HASH_COOKIE, "a", "1" },
		{ HASH_COOKIE, "b", "" },
		{ HASH_QUERY, "q", "a b" },
		{ HASH_PATH_PARAM, "id", "42" },
	};
	struct http_msg m;
	struct conf_lb lb;
	struct route_req r;
	char buf[64];
	size_t i, len;
	const char *k;

	parse_head(&m, raw);
	memset(&r, 0, sizeof(r));
	r.msg = &m;
	r.buf = raw;
	r.query = "q=a+b&q=c";
	r.query_len = strlen(r.query);
	r.params[0].name = "id";
	r.params[0].value = "42";
	r.params[0].len = 2;
	r.nparams = 1;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&lb, 0, sizeof(lb));
		lb.hash_source = cases[i].source;
		lb.hash_key = (char *)(uintptr_t)cases[i].key;
		k = route_hash_key(
		    &lb, &r, "192.0.2.1:1234", buf, sizeof(buf), &len);
		ck_assert_uint_eq(len, strlen(cases[i].want));
		ck_assert_msg(
		    memcmp(k, cases[i].want, len) == 0, "case %zu", i);
	}
}
END_TEST

static Suite *
route_suite(void)
{
	Suite *s = suite_create("route");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, match_types);
	tcase_add_test(tc, decode_path);
	tcase_add_test(tc, encode_path);
	tcase_add_test(tc, select_lb_paths);
	tcase_add_test(tc, select_lb_methods_hosts);
	tcase_add_test(tc, vhost_routing);
	tcase_add_test(tc, wildcard_patterns);
	tcase_add_test(tc, param_matchers);
	tcase_add_test(tc, hash_keys);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(route_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
