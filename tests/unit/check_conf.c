/* Unit tests for the config loader (src/conf.c, src/conf_env.c). */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <sys/socket.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_int.h"
#include "http_parse.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/unit/data"
#endif
#define CONF_DIR TEST_DATA_DIR "/conf"

#define M(x) (1u << (x))

/* Every error the loader reported. */
struct errs {
	char msg[64][512];
	int n;
};

static struct errs errs;

static void
collect(void *ctx, const char *msg)
{
	struct errs *e = ctx;

	if (e->n < 64)
		snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s", msg);
	e->n++;
}

static void
print_errs(void)
{
	int i;

	for (i = 0; i < errs.n && i < 64; i++)
		fprintf(stderr, "  error: %s\n", errs.msg[i]);
}

static struct conf *
load_str(const char *text)
{
	memset(&errs, 0, sizeof(errs));
	return conf_load_string("t.yaml", text, collect, &errs);
}

static struct conf *
load_paths(const char *const *paths, size_t n)
{
	char *copy[4];
	struct conf *c;
	size_t i;

	ck_assert_uint_le(n, 4);
	for (i = 0; i < n; i++)
		copy[i] = strdup(paths[i]);
	memset(&errs, 0, sizeof(errs));
	c = conf_load(copy, n, collect, &errs);
	for (i = 0; i < n; i++)
		free(copy[i]);
	return c;
}

static struct conf *
load_ok(const char *text)
{
	struct conf *c = load_str(text);

	if (c == NULL)
		print_errs();
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(errs.n, 0);
	return c;
}

/* The errors must be exactly want[] (NULL-terminated), in order. */
static void
assert_errs(const char *const *want)
{
	int i;

	for (i = 0; want[i] != NULL; i++) {
		if (i >= errs.n) {
			print_errs();
			ck_abort_msg("missing error %d: %s", i, want[i]);
		}
		if (strcmp(errs.msg[i], want[i]) != 0)
			print_errs();
		ck_assert_str_eq(errs.msg[i], want[i]);
	}
	if (errs.n != i)
		print_errs();
	ck_assert_int_eq(errs.n, i);
}

#define EP                            \
	"apiVersion: core/v1\n"       \
	"kind: Entrypoint\n"          \
	"spec:\n"                     \
	"  runners:\n"                \
	"    - apiVersion: core/v1\n" \
	"      kind: HTTPServer\n"    \
	"---\n"

#define SERVER                  \
	"apiVersion: core/v1\n" \
	"kind: HTTPServer\n"

/*
 * Good configurations.
 */

static void
assert_basic_server(const struct conf_server *s)
{
	ck_assert_str_eq(s->id, "core/v1/HTTPServer/default/default");
	ck_assert_str_eq(s->addr, ":8080");
	ck_assert_str_eq(s->host, "");
	ck_assert_str_eq(s->port, "8080");
	ck_assert_int_eq(s->family, AF_UNSPEC);
	ck_assert_int_eq(s->nvhosts, 1);
	ck_assert_int_eq(s->vhosts[0].nhosts, 0);
	ck_assert_ptr_null(s->vhosts[0].pattern);
	ck_assert_int_eq(s->vhosts[0].methods, 0);
	ck_assert_int_eq(s->vhosts[0].nhandlers, 1);
	ck_assert_int_eq(s->vhosts[0].handlers[0].kind, CONF_HANDLER_PROXY);
	ck_assert_ptr_null(s->vhosts[0].handlers[0].pattern);
}

/* The tutorial: Entrypoint -> HTTPServer :8080 -> proxy / -> httpbin. */
START_TEST(test_tutorial)
{
	struct conf *c =
	    load_ok(EP SERVER "spec:\n"
	                      "  addr: \":8080\"\n"
	                      "  virtualHosts:\n"
	                      "    - handlers:\n"
	                      "        - handler:\n"
	                      "            apiVersion: core/v1\n"
	                      "            kind: ReverseProxyHandler\n"
	                      "---\n"
	                      "apiVersion: core/v1\n"
	                      "kind: ReverseProxyHandler\n"
	                      "spec:\n"
	                      "  loadBalancers:\n"
	                      "    - pathMatcher:\n"
	                      "        match: \"/\"\n"
	                      "        matchType: Prefix\n"
	                      "      upstreams:\n"
	                      "        - url: http://httpbin.org\n");
	struct conf_proxy *p;
	struct conf_lb *lb;

	ck_assert_int_eq(c->has_entrypoint, 1);
	ck_assert_int_eq(c->nservers, 1);
	assert_basic_server(c->servers[0]);
	ck_assert_int_eq(c->nproxies, 1);
	p = c->proxies[0];
	ck_assert_ptr_eq(c->servers[0]->vhosts[0].handlers[0].proxy, p);
	ck_assert_str_eq(p->id, "core/v1/ReverseProxyHandler/default/default");
	ck_assert_int_eq(p->npatterns, 0);
	ck_assert_int_eq(p->methods, 0);
	ck_assert_int_eq(p->nlbs, 1);
	lb = &p->lbs[0];
	ck_assert_int_eq(lb->algorithm, LB_ROUND_ROBIN);
	ck_assert_int_eq(lb->npath_matchers, 1);
	ck_assert_str_eq(lb->path_matchers[0].match, "/");
	ck_assert_int_eq(lb->path_matchers[0].match_type, MATCH_PREFIX);
	ck_assert_int_eq(lb->path_matchers[0].pos.line, 23);
	ck_assert_int_eq(lb->path_matchers[0].pos.column, 9);
	ck_assert_int_eq(lb->nupstreams, 1);
	ck_assert_str_eq(lb->upstreams[0].url, "http://httpbin.org");
	ck_assert_int_eq(lb->upstreams[0].tls, 0);
	ck_assert_str_eq(lb->upstreams[0].host, "httpbin.org");
	ck_assert_str_eq(lb->upstreams[0].port, "80");
	ck_assert_str_eq(lb->upstreams[0].authority, "httpbin.org");
	ck_assert_ptr_null(lb->upstreams[0].query);
	ck_assert_int_eq(lb->upstreams[0].weight, 1);
	ck_assert_int_eq(lb->total_weight, 1);
	ck_assert_ptr_null(lb->shared);
	ck_assert_str_eq(lb->upstreams[0].pos.file, "t.yaml");
	ck_assert_int_eq(lb->upstreams[0].pos.line, 26);
	ck_assert_int_eq(lb->upstreams[0].pos.column, 16);
	conf_free(c);
}
END_TEST

START_TEST(test_example_basic)
{
	const char *paths[] = { CONF_DIR
		"/examples/01-reverse-proxy-basic.yaml" };
	struct conf *c = load_paths(paths, 1);
	struct conf_lb *lb;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->nservers, 1);
	assert_basic_server(c->servers[0]);
	ck_assert_int_eq(c->nproxies, 1);
	lb = &c->proxies[0]->lbs[0];
	ck_assert_int_eq(lb->path_matchers[0].match_type, MATCH_PREFIX);
	ck_assert_str_eq(lb->upstreams[0].url, "http://httpbin.org");
	ck_assert_str_eq(lb->upstreams[0].pos.file, paths[0]);
	ck_assert_int_eq(lb->upstreams[0].pos.line, 28);
	ck_assert_int_eq(lb->upstreams[0].pos.column, 16);
	conf_free(c);
}
END_TEST

START_TEST(test_example_weighted)
{
	const char *paths[] = { CONF_DIR
		"/examples/03-reverse-proxy-weighted-upstreams.yaml" };
	struct conf *c = load_paths(paths, 1);
	struct conf_lb *lb;

	ck_assert_ptr_nonnull(c);
	lb = &c->proxies[0]->lbs[0];
	ck_assert_int_eq(lb->nupstreams, 2);
	ck_assert_str_eq(lb->upstreams[0].host, "ipconfig.io");
	ck_assert_int_eq(lb->upstreams[0].weight, 2);
	ck_assert_str_eq(lb->upstreams[1].host, "ifconfig.io");
	ck_assert_int_eq(lb->upstreams[1].weight, 1);
	ck_assert_int_eq(lb->total_weight, 3);
	conf_free(c);
}
END_TEST

START_TEST(test_example_round_robin)
{
	const char *paths[] = { CONF_DIR "/examples/04-lb-round-robin.yaml" };
	struct conf *c = load_paths(paths, 1);
	struct conf_lb *lb;
	char want[32];
	size_t i;

	ck_assert_ptr_nonnull(c);
	lb = &c->proxies[0]->lbs[0];
	ck_assert_int_eq(lb->algorithm, LB_ROUND_ROBIN);
	ck_assert_int_eq(lb->nupstreams, 5);
	ck_assert_int_eq(lb->total_weight, 5);
	for (i = 0; i < 5; i++) {
		snprintf(want, sizeof(want), "%zu", 8001 + i);
		ck_assert_str_eq(lb->upstreams[i].host, "localhost");
		ck_assert_str_eq(lb->upstreams[i].port, want);
		snprintf(want, sizeof(want), "localhost:%zu", 8001 + i);
		ck_assert_str_eq(lb->upstreams[i].authority, want);
	}
	conf_free(c);
}
END_TEST

/* Example 07 has only the proxy; the Entrypoint comes from another file. */
START_TEST(test_example_match_types)
{
	static const struct {
		const char *match;
		int type;
		const char *port;
	} want[] = {
		{ "/test1", MATCH_EXACT, "12301" },
		{ "/test2", MATCH_PREFIX, "12302" },
		{ "/test3", MATCH_SUFFIX, "12303" },
		{ "/test4", MATCH_CONTAINS, "12304" },
		{ "/test5/*", MATCH_PATH, "12305" },
		{ "/test6/*", MATCH_FILEPATH, "12306" },
		{ "^/test/[0-9]{3}/.*$", MATCH_REGEX, "12307" },
		{ "^/test/[a-z]{3}/.*$", MATCH_REGEX_POSIX, "12308" },
	};
	const char *paths[] = { CONF_DIR "/entrypoint-12300.yaml",
		CONF_DIR "/examples/07-test-path-match-types.yaml" };
	struct conf *c = load_paths(paths, 2);
	struct conf_proxy *p;
	size_t i;

	if (c == NULL)
		print_errs();
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->servers[0]->port, "12300");
	p = c->proxies[0];
	ck_assert_int_eq(p->nlbs, 8);
	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(p->lbs[i].npath_matchers, 1);
		ck_assert_str_eq(
		    p->lbs[i].path_matchers[0].match, want[i].match);
		ck_assert_int_eq(
		    p->lbs[i].path_matchers[0].match_type, want[i].type);
		ck_assert_ptr_null(p->lbs[i].path_matchers[0].compiled);
		ck_assert_str_eq(p->lbs[i].upstreams[0].host, "127.0.0.1");
		ck_assert_str_eq(p->lbs[i].upstreams[0].port, want[i].port);
		ck_assert_str_eq(p->lbs[i].path_matchers[0].pos.file, paths[1]);
	}
	conf_free(c);
}
END_TEST

START_TEST(test_example_multiple_servers)
{
	const char *paths[] = { CONF_DIR "/examples/14-multiple-servers.yaml" };
	struct conf *c = load_paths(paths, 1);
	char want[64];
	size_t i;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->nservers, 3);
	ck_assert_int_eq(c->nproxies, 0);
	for (i = 0; i < 3; i++) {
		snprintf(want, sizeof(want),
		    "core/v1/HTTPServer/default/server%zu", i + 1);
		ck_assert_str_eq(c->servers[i]->id, want);
		snprintf(want, sizeof(want), "%zu", 8081 + i);
		ck_assert_str_eq(c->servers[i]->port, want);
		ck_assert_int_eq(c->servers[i]->nvhosts, 0);
	}
	conf_free(c);
}
END_TEST

/* Example 09 asks for HTTP/2 and TLS: refused. */
START_TEST(test_example_unsupported)
{
	const char *paths[] = { CONF_DIR
		"/examples/09-tls-http2-server-and-tls-upstream.yaml" };
	const char *want[] = { CONF_DIR
		"/examples/09-tls-http2-server-and-tls-upstream.yaml:"
		"13:3: field \"http2Config\": HTTP/2 is not supported",
		CONF_DIR "/examples/09-tls-http2-server-and-tls-upstream.yaml:"
		         "44:3: field \"http2TransportConfig\": HTTP/2 is not "
		         "supported",
		NULL };

	ck_assert_ptr_null(load_paths(paths, 1));
	assert_errs(want);
}
END_TEST

START_TEST(test_directory)
{
	const char *paths[] = { CONF_DIR "/dir" };
	struct conf *c = load_paths(paths, 1);
	struct conf_upstream *up;

	if (c == NULL)
		print_errs();
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->nservers, 1);
	ck_assert_str_eq(
	    c->servers[0]->id, "core/v1/HTTPServer/default/from-dir");
	ck_assert_str_eq(c->servers[0]->host, "127.0.0.1");
	ck_assert_str_eq(c->servers[0]->port, "9090");
	ck_assert_int_eq(c->nproxies, 1);
	ck_assert_str_eq(
	    c->proxies[0]->id, "core/v1/ReverseProxyHandler/default/json");
	up = &c->proxies[0]->lbs[0].upstreams[0];
	ck_assert_str_eq(up->url, "http://127.0.0.1:9091");
	ck_assert_str_eq(up->pos.file, CONF_DIR "/dir/30-proxy.json");
	ck_assert_int_eq(up->pos.line, 9);
	ck_assert_int_eq(up->pos.column, 32);
	conf_free(c);
}
END_TEST

START_TEST(test_full)
{
	const char *paths[] = { CONF_DIR "/full.yaml" };
	struct conf *c = load_paths(paths, 1);
	struct conf_server *s;
	struct conf_vhost *vh;
	struct conf_proxy *p;
	struct conf_lb *lb;
	struct conf_upstream *up;

	if (c == NULL)
		print_errs();
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->process.workers, 4);
	ck_assert_int_eq(c->nservers, 1);
	s = c->servers[0];
	ck_assert_str_eq(s->id, "core/v1/HTTPServer/edge/main");
	ck_assert_str_eq(s->addr, "tcp6://[::1]:8443");
	ck_assert_str_eq(s->host, "::1");
	ck_assert_str_eq(s->port, "8443");
	ck_assert_int_eq(s->family, AF_INET6);
	ck_assert_int_eq(s->shutdown_timeout, 5);
	ck_assert_int_eq(s->enable_general_options, 1);
	ck_assert_int_eq(s->read_timeout, 11000);
	ck_assert_int_eq(s->read_header_timeout, 12000);
	ck_assert_int_eq(s->write_timeout, 13000);
	ck_assert_int_eq(s->idle_timeout, 14000);
	ck_assert_int_eq(s->max_header_bytes, 16384);
	ck_assert_int_eq(s->disable_keep_alive, 1);
	ck_assert_int_eq(s->pos.line, 15);
	ck_assert_int_eq(s->nvhosts, 2);
	vh = &s->vhosts[0];
	ck_assert_int_eq(vh->nhosts, 2);
	ck_assert_str_eq(vh->hosts[0], "example.com");
	ck_assert_str_eq(vh->hosts[1], "www.example.com");
	ck_assert_str_eq(vh->pattern, "/api");
	ck_assert_int_eq(vh->methods, M(HTTP_M_GET) | M(HTTP_M_POST));
	ck_assert_int_eq(vh->nhandlers, 1);
	ck_assert_str_eq(vh->handlers[0].pattern, "/v1");

	/* Two references to one proxy: one struct, listed once. */
	ck_assert_int_eq(c->nproxies, 1);
	p = c->proxies[0];
	ck_assert_ptr_eq(vh->handlers[0].proxy, p);
	ck_assert_ptr_eq(s->vhosts[1].handlers[0].proxy, p);
	ck_assert_str_eq(p->id, "core/v1/ReverseProxyHandler/edge/api");
	ck_assert_int_eq(p->npatterns, 2);
	ck_assert_str_eq(p->patterns[0], "/a/{id}");
	ck_assert_str_eq(p->patterns[1], "/b/");
	ck_assert_int_eq(p->methods,
	    M(HTTP_M_GET) | M(HTTP_M_HEAD) | M(HTTP_M_PUT) | M(HTTP_M_PATCH) |
	        M(HTTP_M_DELETE) | M(HTTP_M_OPTIONS));
	ck_assert_int_eq(p->nlbs, 2);

	lb = &p->lbs[0];
	ck_assert_int_eq(lb->algorithm, LB_MAGLEV);
	/* pathMatcher goes first although written after pathMatchers. */
	ck_assert_int_eq(lb->npath_matchers, 2);
	ck_assert_str_eq(
	    lb->path_matchers[0].match, "^/(?P<k>\\w+)/(?P<v>\\w+)$");
	ck_assert_int_eq(lb->path_matchers[0].match_type, MATCH_REGEX);
	ck_assert_str_eq(lb->path_matchers[0].rewrite, "/$v/$k");
	ck_assert_str_eq(lb->path_matchers[0].trim_prefix, "/pre");
	ck_assert_str_eq(lb->path_matchers[0].append_prefix, "/app");
	ck_assert_str_eq(lb->path_matchers[1].match, "/two");
	ck_assert_int_eq(lb->path_matchers[1].match_type, MATCH_SUFFIX);
	ck_assert_ptr_null(lb->path_matchers[1].rewrite);
	ck_assert_int_eq(lb->methods, M(HTTP_M_GET));
	ck_assert_int_eq(lb->nhosts, 2);
	ck_assert_str_eq(lb->hosts[0], "test.com:8080");
	ck_assert_int_eq(lb->npath_param_matchers, 1);
	ck_assert_str_eq(lb->path_param_matchers[0].key, "id");
	ck_assert_int_eq(lb->path_param_matchers[0].npatterns, 1);
	ck_assert_str_eq(lb->path_param_matchers[0].patterns[0], "[0-9]+");
	ck_assert_int_eq(
	    lb->path_param_matchers[0].match_type, MATCH_REGEX_POSIX);
	/* The matcher with an empty key is dropped. */
	ck_assert_int_eq(lb->nheader_matchers, 1);
	ck_assert_str_eq(lb->header_matchers[0].key, "X-Foo");
	ck_assert_int_eq(lb->header_matchers[0].npatterns, 2);
	ck_assert_str_eq(lb->header_matchers[0].patterns[1], "bar");
	ck_assert_int_eq(lb->header_matchers[0].match_type, MATCH_EXACT);
	ck_assert_int_eq(lb->nquery_matchers, 1);
	ck_assert_int_eq(lb->query_matchers[0].match_type, MATCH_PATH);
	ck_assert_int_eq(lb->hash_source, HASH_HEADER);
	ck_assert_str_eq(lb->hash_key, "Hash-Key");

	/* weight -1 is dropped, 0 becomes 1. */
	ck_assert_int_eq(lb->nupstreams, 3);
	ck_assert_int_eq(lb->total_weight, 7 + 1 + 1);
	up = &lb->upstreams[0];
	ck_assert_str_eq(
	    up->url, "https://[2001:db8::1]:8443/ignored/path/?x=1&y=2#frag");
	ck_assert_int_eq(up->tls, 1);
	ck_assert_str_eq(up->host, "2001:db8::1");
	ck_assert_str_eq(up->port, "8443");
	ck_assert_str_eq(up->authority, "[2001:db8::1]:8443");
	ck_assert_str_eq(up->query, "x=1&y=2");
	ck_assert_int_eq(up->weight, 7);
	ck_assert_int_eq(up->enable_passive, 1);
	ck_assert_int_eq(up->enable_active, 1);
	ck_assert_int_eq(up->initial_delay, 3);
	ck_assert_int_eq(up->health_check_interval, 9);
	ck_assert_str_eq(up->health_check_addr, "http://127.0.0.1:9000/health");
	up = &lb->upstreams[1];
	ck_assert_str_eq(up->url, "http://backend.local");
	ck_assert_str_eq(up->authority, "backend.local");
	ck_assert_str_eq(up->port, "80");
	ck_assert_int_eq(up->weight, 1);
	ck_assert_int_eq(up->enable_passive, 0);
	ck_assert_ptr_null(up->health_check_addr);
	up = &lb->upstreams[2];
	ck_assert_str_eq(up->url, "http://b2:81");
	ck_assert_str_eq(up->authority, "b2:81");
	ck_assert_int_eq(up->weight, 1);

	lb = &p->lbs[1];
	ck_assert_int_eq(lb->algorithm, LB_DIRECT_HASH);
	ck_assert_int_eq(lb->nupstreams, 0);
	ck_assert_int_eq(lb->total_weight, 0);
	ck_assert_int_eq(lb->npath_matchers, 0);
	ck_assert_int_eq(lb->hash_source, HASH_CLIENT_ADDR);
	conf_free(c);
}
END_TEST

START_TEST(test_defaults)
{
	struct conf *c = load_ok(EP SERVER);
	struct conf_server *s = c->servers[0];

	ck_assert_int_eq(c->process.workers, 0);
	ck_assert_str_eq(s->addr, ":8080");
	ck_assert_str_eq(s->host, "");
	ck_assert_str_eq(s->port, "8080");
	ck_assert_int_eq(s->shutdown_timeout, 30);
	ck_assert_int_eq(s->read_timeout, 30000);
	ck_assert_int_eq(s->read_header_timeout, 30000);
	ck_assert_int_eq(s->write_timeout, 30000);
	ck_assert_int_eq(s->idle_timeout, 10000);
	ck_assert_int_eq(s->max_header_bytes, 8192);
	ck_assert_int_eq(s->max_request_line_bytes, 8192 + 4096);
	ck_assert_int_eq(s->max_header_count, 100);
	ck_assert_int_eq(s->max_trailer_bytes, 8192);
	ck_assert_int_eq(s->disable_keep_alive, 0);
	ck_assert_int_eq(s->enable_general_options, 0);
	ck_assert_int_eq(s->nvhosts, 0);
	ck_assert_int_eq(c->nproxies, 0);
	conf_free(c);
}
END_TEST

/* A server with one proxy using an HTTPClient whose spec is given. */
#define CLIENT_CONF(spec)                                                     \
	EP SERVER "spec:\n"                                                   \
	          "  virtualHosts:\n"                                         \
	          "    - handlers:\n"                                         \
	          "        - handler: {apiVersion: core/v1, kind: "           \
	          "ReverseProxyHandler}\n"                                    \
	          "---\n"                                                     \
	          "apiVersion: core/v1\n"                                     \
	          "kind: ReverseProxyHandler\n"                               \
	          "spec:\n"                                                   \
	          "  roundTripper: {apiVersion: core/v1, kind: HTTPClient}\n" \
	          "---\n"                                                     \
	          "apiVersion: core/v1\n"                                     \
	          "kind: HTTPClient\n" spec

START_TEST(test_http_client)
{
	struct conf *c = load_ok(CLIENT_CONF(""));
	struct conf_client *cc = c->proxies[0]->client;

	ck_assert_ptr_nonnull(cc);
	ck_assert_int_eq(cc->dial_timeout, 10000);
	ck_assert_int_eq(cc->idle_timeout, 0);
	ck_assert_int_eq(cc->max_retry, 0);
	ck_assert_int_eq(cc->tls.set, 0);
	conf_free(c);
	c = load_ok(CLIENT_CONF(
	    "spec:\n"
	    "  retryConfig: {maxRetry: 2, maxContentLength: 10, "
	    "retryStatusCodes: [500, 503]}\n"
	    "  httpTransportConfig:\n"
	    "    dialConfig: {timeout: -1, tlsConfig: {serverName: dial}}\n"
	    "    tlsConfig: {serverName: transport, insecureSkipVerify: true}\n"
	    "    responseHeaderTimeout: 50\n"
	    "    maxResponseHeaderBytes: 200\n"
	    "    idleConnTimeout: 300\n"
	    "    disableKeepAlives: true\n"));
	cc = c->proxies[0]->client;
	ck_assert_int_eq(cc->dial_timeout, 0);
	ck_assert_int_eq(cc->max_retry, 2);
	ck_assert_int_eq(cc->max_content_length, 10);
	ck_assert_uint_eq(cc->nretry_status, 2);
	ck_assert_int_eq(cc->retry_status[1], 503);
	ck_assert_int_eq(cc->response_header_timeout, 50);
	ck_assert_int_eq(cc->max_response_header_bytes, 200);
	ck_assert_int_eq(cc->idle_timeout, 300);
	ck_assert_int_eq(cc->disable_keep_alives, 1);
	/* dialConfig.tlsConfig takes precedence over the transport's. */
	ck_assert_int_eq(cc->tls.set, 1);
	ck_assert_str_eq(cc->tls.server_name, "dial");
	ck_assert_int_eq(cc->tls.insecure_skip_verify, 0);
	conf_free(c);
}
END_TEST

START_TEST(test_process_config)
{
	struct conf *c = load_ok("apiVersion: core/v1\n"
	                         "kind: Entrypoint\n"
	                         "spec:\n"
	                         "  processConfig:\n"
	                         "    startWorkers: 3\n"
	                         "    minSpareWorkers: 2\n"
	                         "    maxSpareWorkers: 5\n"
	                         "    maxWorkers: 40\n"
	                         "    maxRequestsPerWorker: 1000\n"
	                         "    user: www-data\n"
	                         "    group: \"33\"\n"
	                         "    allowRootWorkers: true\n"
	                         "    pidFile: /run/aileron.pid\n"
	                         "  runners:\n"
	                         "    - apiVersion: core/v1\n"
	                         "      kind: HTTPServer\n"
	                         "---\n" SERVER);

	ck_assert_int_eq(c->process.workers, 0);
	ck_assert_int_eq(c->process.start_workers, 3);
	ck_assert_int_eq(c->process.min_spare_workers, 2);
	ck_assert_int_eq(c->process.max_spare_workers, 5);
	ck_assert_int_eq(c->process.max_workers, 40);
	ck_assert_int_eq(c->process.max_requests_per_worker, 1000);
	ck_assert_str_eq(c->process.user, "www-data");
	ck_assert_str_eq(c->process.group, "33");
	ck_assert_int_eq(c->process.allow_root_workers, 1);
	ck_assert_str_eq(c->process.pid_file, "/run/aileron.pid");
	conf_free(c);
}
END_TEST

/* Our own limits: set, defaulted, and the request line within the head. */
START_TEST(test_http_limits)
{
	struct conf *c;
	struct conf_server *s;

	c = load_ok(EP SERVER "spec:\n"
	                      "  httpConfig:\n"
	                      "    maxHeaderBytes: 1024\n"
	                      "    maxRequestLineBytes: 512\n"
	                      "    maxHeaderCount: 128\n"
	                      "    maxTrailerBytes: 64\n");
	s = c->servers[0];
	ck_assert_int_eq(s->max_request_line_bytes, 512);
	ck_assert_int_eq(s->max_header_count, 128);
	ck_assert_int_eq(s->max_trailer_bytes, 64);
	conf_free(c);
	c = load_ok(EP SERVER "spec:\n"
	                      "  httpConfig:\n"
	                      "    maxHeaderBytes: 1024\n"
	                      "    maxRequestLineBytes: 9000\n");
	s = c->servers[0];
	ck_assert_int_eq(s->max_request_line_bytes, 1024 + 4096);
	ck_assert_int_eq(s->request_body_buffer, 65536);
	conf_free(c);
	c = load_ok(EP SERVER "spec:\n"
	                      "  httpConfig:\n"
	                      "    requestBodyBuffer: -1\n");
	ck_assert_int_eq(c->servers[0]->request_body_buffer, 0);
	conf_free(c);
	c = load_ok(EP SERVER "spec:\n"
	                      "  httpConfig:\n"
	                      "    requestBodyBuffer: 1048576\n");
	ck_assert_int_eq(c->servers[0]->request_body_buffer, 1048576);
	conf_free(c);
	{
		static const char *const want[] = {
			"t.yaml:12:21: field \"maxHeaderCount\": 129 is out of "
			"range (0..128)",
			"t.yaml:13:22: field \"maxTrailerBytes\": -1 is out of "
			"range (0..1048576)",
			"t.yaml:14:24: field \"requestBodyBuffer\": -2 is out "
			"of "
			"range (-1..1048576)",
			NULL
		};

		ck_assert_ptr_null(
		    load_str(EP SERVER "spec:\n"
		                       "  httpConfig:\n"
		                       "    maxHeaderCount: 129\n"
		                       "    maxTrailerBytes: -1\n"
		                       "    requestBodyBuffer: -2\n"));
		assert_errs(want);
	}
}
END_TEST

/* Non-zero wins over defaults; negative timeouts mean none (0). */
static const struct {
	const char *spec;
	int64_t rt, rht, wt, it;
	int32_t mhb;
	int st;
} nonzero[] = {
	{ "httpConfig: {readTimeout: 0}", 30000, 30000, 30000, 10000, 8192,
	    30 },
	{ "httpConfig: {readTimeout: -1}", 0, 30000, 30000, 10000, 8192, 30 },
	{ "httpConfig: {readHeaderTimeout: -5, idleTimeout: 0}", 30000, 0,
	    30000, 10000, 8192, 30 },
	{ "httpConfig: {writeTimeout: \"45\", idleTimeout: -1}", 30000, 30000,
	    45000, 0, 8192, 30 },
	{ "httpConfig: {maxHeaderBytes: 0, disableKeepAlive: false}", 30000,
	    30000, 30000, 10000, 8192, 30 },
	{ "shutdownTimeout: 0", 30000, 30000, 30000, 10000, 8192, 30 },
	{ "shutdownTimeout: -1", 30000, 30000, 30000, 10000, 8192, 0 },
	{ "addr: \"\", shutdownTimeout: \"7\"", 30000, 30000, 30000, 10000,
	    8192, 7 },
	{ "HttpConfig: {ReadTimeout: 1, MaxHeaderBytes: \"100\"}", 1000, 30000,
	    30000, 10000, 100, 30 },
};

START_TEST(test_nonzero_wins)
{
	char text[1024];
	struct conf *c;
	struct conf_server *s;

	snprintf(
	    text, sizeof(text), EP SERVER "spec: {%s}\n", nonzero[_i].spec);
	c = load_ok(text);
	s = c->servers[0];
	ck_assert_int_eq(s->read_timeout, nonzero[_i].rt);
	ck_assert_int_eq(s->read_header_timeout, nonzero[_i].rht);
	ck_assert_int_eq(s->write_timeout, nonzero[_i].wt);
	ck_assert_int_eq(s->idle_timeout, nonzero[_i].it);
	ck_assert_int_eq(s->max_header_bytes, nonzero[_i].mhb);
	ck_assert_int_eq(s->shutdown_timeout, nonzero[_i].st);
	ck_assert_str_eq(s->addr, ":8080");
	conf_free(c);
}
END_TEST

/* Listen addresses: forms, prefixes and the listenConfig override. */
static const struct {
	const char *spec;
	const char *host, *port;
	int family;
} addrs[] = {
	{ "addr: \"127.0.0.1:80\"", "127.0.0.1", "80", AF_UNSPEC },
	{ "addr: \"[::]:443\"", "::", "443", AF_UNSPEC },
	{ "addr: \"localhost:65535\"", "localhost", "65535", AF_UNSPEC },
	{ "addr: \"tcp://:1\"", "", "1", AF_UNSPEC },
	{ "addr: \"tcp4://:8080\"", "0.0.0.0", "8080", AF_INET },
	{ "addr: \"tcp6://:8080\"", "::", "8080", AF_INET6 },
	{ "addr: \"tcp://[fe80::1%eth0]:80\"", "fe80::1%eth0", "80",
	    AF_UNSPEC },
	{ "addr: \"tcp4://10.1.2.3:8080\"", "10.1.2.3", "8080", AF_INET },
	{ "addr: \":1\", httpConfig: {listenConfig: {addr: \":2\"}}", "", "2",
	    AF_UNSPEC },
	{ "httpConfig: {listenConfig: {addr: \"\"}}, addr: \":3\"", "", "3",
	    AF_UNSPEC },
};

START_TEST(test_addr)
{
	char text[1024];
	struct conf *c;

	snprintf(text, sizeof(text), EP SERVER "spec: {%s}\n", addrs[_i].spec);
	c = load_ok(text);
	ck_assert_str_eq(c->servers[0]->host, addrs[_i].host);
	ck_assert_str_eq(c->servers[0]->port, addrs[_i].port);
	ck_assert_int_eq(c->servers[0]->family, addrs[_i].family);
	conf_free(c);
}
END_TEST

/* Upstream URLs: what the proxy needs from each. */
static const struct {
	const char *url;
	const char *stored, *host, *port, *authority, *query;
	int tls;
} urls[] = {
	{ "http://h", "http://h", "h", "80", "h", NULL, 0 },
	{ "https://h/", "https://h", "h", "443", "h", NULL, 1 },
	{ "http://h:8080/p/q/", "http://h:8080/p/q", "h", "8080", "h:8080",
	    NULL, 0 },
	{ "https://h:443", "https://h:443", "h", "443", "h:443", NULL, 1 },
	{ "http://[::1]", "http://[::1]", "::1", "80", "[::1]", NULL, 0 },
	{ "http://[fe80::1]:81/x?a=b", "http://[fe80::1]:81/x?a=b", "fe80::1",
	    "81", "[fe80::1]:81", "a=b", 0 },
	{ "http://h?x=1#f", "http://h?x=1#f", "h", "80", "h", "x=1", 0 },
	{ "http://h/#f?x=1", "http://h/#f?x=1", "h", "80", "h", NULL, 0 },
	{ "http://h/?", "http://h/?", "h", "80", "h", NULL, 0 },
	{ "http://10.0.0.1:65535", "http://10.0.0.1:65535", "10.0.0.1", "65535",
	    "10.0.0.1:65535", NULL, 0 },
};

START_TEST(test_urls)
{
	char text[1024];
	struct conf *c;
	struct conf_upstream *up;

	snprintf(text, sizeof(text),
	    EP SERVER "spec: {virtualHosts: [{handlers: [{handler: "
	              "{apiVersion: core/v1, kind: ReverseProxyHandler}}]}]}\n"
	              "---\n"
	              "apiVersion: core/v1\nkind: ReverseProxyHandler\n"
	              "spec: {loadBalancers: [{upstreams: [{url: \"%s\"}]}]}\n",
	    urls[_i].url);
	c = load_ok(text);
	up = &c->proxies[0]->lbs[0].upstreams[0];
	ck_assert_str_eq(up->url, urls[_i].stored);
	ck_assert_int_eq(up->tls, urls[_i].tls);
	ck_assert_str_eq(up->host, urls[_i].host);
	ck_assert_str_eq(up->port, urls[_i].port);
	ck_assert_str_eq(up->authority, urls[_i].authority);
	if (urls[_i].query == NULL)
		ck_assert_ptr_null(up->query);
	else
		ck_assert_str_eq(up->query, urls[_i].query);
	conf_free(c);
}
END_TEST

/* PascalCase proto names, quoted integers, enums by number, nulls. */
START_TEST(test_lenient_forms)
{
	struct conf *c = load_ok(
	    "APIVersion: core/v1\n"
	    "Kind: Entrypoint\n"
	    "Spec:\n"
	    "  Runners: [{APIVersion: core/v1, Kind: HTTPServer, Name: s}]\n"
	    "  ProcessConfig: {Workers: \"8\"}\n"
	    "---\n" SERVER "Metadata: {Name: s}\n"
	    "Spec:\n"
	    "  Addr: \":81\"\n"
	    "  VirtualHosts:\n"
	    "    - Methods: [1, \"HEAD\", 0]\n"
	    "      Handlers: [{Handler: {apiVersion: core/v1, kind: "
	    "ReverseProxyHandler}}]\n"
	    "---\n"
	    "apiVersion: core/v1\n"
	    "kind: ReverseProxyHandler\n"
	    "metadata:\n"
	    "spec:\n"
	    "  LoadBalancers:\n"
	    "    - LBAlgorithm: 2\n"
	    "      PathMatcher: {Match: /, MatchType: 1, Rewrite: ~}\n"
	    "      Hasher: {HashSource: Cookie, Key: sid}\n"
	    "      Upstreams:\n"
	    "        - URL: http://a\n"
	    "          Weight: \"-1\"\n"
	    "        - url: http://b\n"
	    "          weight: \"300\"\n"
	    "          enablePassive: yes\n"
	    "          healthCheckAddr: null\n");
	struct conf_lb *lb;

	ck_assert_int_eq(c->process.workers, 8);
	ck_assert_str_eq(c->servers[0]->port, "81");
	ck_assert_int_eq(
	    c->servers[0]->vhosts[0].methods, M(HTTP_M_GET) | M(HTTP_M_HEAD));
	lb = &c->proxies[0]->lbs[0];
	ck_assert_int_eq(lb->algorithm, LB_RING_HASH);
	ck_assert_int_eq(lb->path_matchers[0].match_type, MATCH_PREFIX);
	ck_assert_ptr_null(lb->path_matchers[0].rewrite);
	ck_assert_int_eq(lb->hash_source, HASH_COOKIE);
	ck_assert_str_eq(lb->hash_key, "sid");
	ck_assert_int_eq(lb->nupstreams, 1);
	ck_assert_str_eq(lb->upstreams[0].url, "http://b");
	ck_assert_int_eq(lb->upstreams[0].weight, 300);
	ck_assert_int_eq(lb->upstreams[0].enable_passive, 1);
	ck_assert_int_eq(lb->total_weight, 300);
	conf_free(c);
}
END_TEST

/* All weights -1: the LB stays, with no upstreams (502 at run time). */
START_TEST(test_weight_all_dropped)
{
	struct conf *c =
	    load_ok("apiVersion: core/v1\nkind: Entrypoint\n---\n"
	            "apiVersion: core/v1\nkind: ReverseProxyHandler\nspec:\n"
	            "  loadBalancers:\n"
	            "    - upstreams: [{url: http://a, weight: -1}]\n");

	/* Not referenced by a runner: not in conf->proxies. */
	ck_assert_int_eq(c->nservers, 0);
	ck_assert_int_eq(c->nproxies, 0);
	conf_free(c);
}
END_TEST

/* Skipped documents: no apiVersion/kind; comments; "---" splitting. */
START_TEST(test_split_and_skip)
{
	struct conf *c = load_ok("# only a comment\n"
	                         "---\n"
	                         "\n"
	                         "---\n"
	                         "foo: bar\n"
	                         "---\n"
	                         "~\n"
	                         "---\n" EP SERVER "spec:\n"
	                         "  addr: \":81\"\n"
	                         "---");

	ck_assert_str_eq(c->servers[0]->port, "81");
	ck_assert_int_eq(c->servers[0]->pos.line, 16);
	ck_assert_int_eq(c->servers[0]->pos.column, 1);
	conf_free(c);
}
END_TEST

START_TEST(test_crlf)
{
	const char *paths[] = { CONF_DIR "/crlf.yaml" };
	const char *want[] = { CONF_DIR
		"/crlf.yaml:9:3: unknown field \"bogus\" in core/v1 "
		"HTTPServer spec",
		NULL };

	ck_assert_ptr_null(load_paths(paths, 1));
	assert_errs(want);
}
END_TEST

START_TEST(test_missing_file)
{
	const char *paths[] = { CONF_DIR "/does-not-exist.yaml",
		CONF_DIR "/examples/01-reverse-proxy-basic.yaml" };
	const char *want[] = {
		CONF_DIR "/does-not-exist.yaml: No such file or directory", NULL
	};

	ck_assert_ptr_null(load_paths(paths, 2));
	assert_errs(want);
}
END_TEST

/* After CONF_MAX_ERRORS errors the loader stops. */
START_TEST(test_error_cap)
{
	char text[8192];
	size_t n;
	int i;

	n = (size_t)snprintf(text, sizeof(text), EP SERVER "spec:\n");
	for (i = 0; i < 80; i++)
		n += (size_t)snprintf(
		    text + n, sizeof(text) - n, "  bogus%d: 1\n", i);
	ck_assert_ptr_null(load_str(text));
	ck_assert_int_eq(errs.n, 51);
	ck_assert_str_eq(errs.msg[0],
	    "t.yaml:11:3: unknown field \"bogus0\" in core/v1 HTTPServer spec");
	ck_assert_str_eq(errs.msg[49],
	    "t.yaml:60:3: unknown field \"bogus49\" in core/v1 HTTPServer "
	    "spec");
	ck_assert_str_eq(errs.msg[50], "too many errors, giving up");
}
END_TEST

/* Aliases cannot make the loader walk N x N objects. */
START_TEST(test_alias_bomb)
{
	const int n = 600;
	size_t size = 64 * 1024, len;
	char *text = malloc(size);
	int i;

	len = (size_t)snprintf(text, size,
	    EP "apiVersion: core/v1\nkind: ReverseProxyHandler\n"
	       "metadata: {name: u}\n"
	       "x: [&u {url: http://a}, &l {upstreams: [*u");
	for (i = 1; i < n; i++)
		len += (size_t)snprintf(text + len, size - len, ", *u");
	len += (size_t)snprintf(
	    text + len, size - len, "]}]\nspec:\n  loadBalancers: [*l");
	for (i = 1; i < n; i++)
		len += (size_t)snprintf(text + len, size - len, ", *l");
	snprintf(text + len, size - len, "]\n");
	ck_assert_ptr_null(load_str(text));
	free(text);
	ck_assert_int_eq(errs.n, 2);
	ck_assert_str_eq(errs.msg[0],
	    "t.yaml:11:1: unknown field \"x\" in core/v1 ReverseProxyHandler");
	ck_assert_str_eq(errs.msg[1],
	    "t.yaml:11:5: document too large (or too many aliases)");
}
END_TEST

/* Deep nesting is refused before libyaml slows down on it. */
START_TEST(test_deep_nesting)
{
	char text[4096];
	size_t n;

	n = (size_t)snprintf(text, sizeof(text), EP SERVER "spec: ");
	memset(text + n, '[', 2000);
	text[n + 2000] = '\0';
	ck_assert_ptr_null(load_str(text));
	ck_assert_int_eq(errs.n, 1);
	ck_assert_str_eq(
	    errs.msg[0], "t.yaml:10:70: YAML: nested more than 64 levels deep");
}
END_TEST

/*
 * Bad configurations: the exact errors, in order.
 */

static const struct {
	const char *name;
	const char *text;
	const char *want[16];
} bad[] = {
	{ "tlsConfig",
	    EP SERVER "spec:\n"
	              "  httpConfig:\n"
	              "    listenConfig:\n"
	              "      tlsConfig:\n"
	              "        certKeyPairs: [{certFile: c.pem}]\n"
	              "        minVersion: 1\n"
	              "        nextProtos: [h2, spdy/3]\n"
	              "        clientAuth: Sometimes\n"
	              "        curvePreferences: [X25519, X25519]\n",
	    { "t.yaml:17:21: field \"clientAuth\": invalid value \"Sometimes\" "
	      "(expected one of NoClientCert, RequestClientCert, "
	      "RequireAnyClientCert, VerifyClientCertIfGiven, "
	      "RequireAndVerifyClientCert)",
	        "t.yaml:18:36: field \"curvePreferences\": duplicate value "
	        "\"X25519\"",
	        "t.yaml:15:21: field \"minVersion\": unsupported TLS version 1 "
	        "(769 = TLS 1.0, 770 = TLS 1.1, 771 = TLS 1.2, 772 = TLS 1.3)",
	        "t.yaml:16:22: field \"nextProtos\": \"h2\": HTTP/2 is not "
	        "supported",
	        "t.yaml:16:26: field \"nextProtos\": unsupported protocol "
	        "\"spdy/3\" (only \"http/1.1\")",
	        "t.yaml:14:35: field \"certKeyPairs\": certFile and keyFile "
	        "are "
	        "both required" } },
	{ "tlsConfig without certificates",
	    EP SERVER "spec:\n"
	              "  httpConfig:\n"
	              "    listenConfig:\n"
	              "      tlsConfig: {sessionTicketsDisabled: true}\n",
	    { "t.yaml:13:18: field \"tlsConfig\": a TLS listener needs "
	      "certKeyPairs" } },
	{ "unknown fields",
	    EP SERVER "spec:\n"
	              "  foo: 1\n"
	              "  httpConfig:\n"
	              "    bar: 2\n"
	              "  virtualHosts:\n"
	              "    - baz: 3\n"
	              "foo: 4\n",
	    { "t.yaml:11:3: unknown field \"foo\" in core/v1 HTTPServer spec",
	        "t.yaml:13:5: unknown field \"bar\" in core/v1 HTTPServer "
	        "spec.httpConfig",
	        "t.yaml:15:7: unknown field \"baz\" in core/v1 HTTPServer "
	        "spec.virtualHosts[0]",
	        "t.yaml:16:1: unknown field \"foo\" in core/v1 HTTPServer" } },
	{ "wrong types",
	    EP SERVER "spec:\n"
	              "  addr: 8080\n"
	              "  shutdownTimeout: abc\n"
	              "  httpConfig: [1]\n"
	              "  virtualHosts: {a: b}\n",
	    { "t.yaml:11:9: field \"addr\": expected a string, got 8080",
	        "t.yaml:12:20: field \"shutdownTimeout\": expected an integer, "
	        "got \"abc\"",
	        "t.yaml:13:15: field \"httpConfig\": expected a mapping, got a "
	        "list",
	        "t.yaml:14:17: field \"virtualHosts\": expected a list, got a "
	        "mapping" } },
	{ "more wrong types",
	    EP SERVER "spec:\n"
	              "  httpConfig: {disableKeepAlive: \"yes\", readTimeout: "
	              "1.5}\n"
	              "  virtualHosts: [a, {hosts: a.com, pattern: {}}]\n",
	    { "t.yaml:11:34: field \"disableKeepAlive\": expected a boolean, "
	      "got \"yes\"",
	        "t.yaml:11:54: field \"readTimeout\": expected an integer, got "
	        "1.5",
	        "t.yaml:12:18: field \"virtualHosts[0]\": expected a mapping, "
	        "got \"a\"",
	        "t.yaml:12:29: field \"hosts\": expected a list, got \"a.com\"",
	        "t.yaml:12:45: field \"pattern\": expected a string, got a "
	        "mapping" } },
	{ "bad enums",
	    EP SERVER "---\n"
	              "apiVersion: core/v1\n"
	              "kind: ReverseProxyHandler\n"
	              "spec:\n"
	              "  methods: [GET, get, GET]\n"
	              "  loadBalancers:\n"
	              "    - lbAlgorithm: roundrobin\n"
	              "      pathMatcher: {match: /, matchType: 9}\n"
	              "      hasher: {hashSource: [Header]}\n"
	              "    - pathMatchers: {match: /}\n",
	    { "t.yaml:14:18: field \"methods\": invalid value \"get\" "
	      "(expected one of HTTPMethodUnknown, GET, HEAD, POST, PUT, "
	      "PATCH, DELETE, CONNECT, OPTIONS, TRACE)",
	        "t.yaml:14:23: field \"methods\": duplicate value \"GET\"",
	        "t.yaml:16:20: field \"lbAlgorithm\": invalid value "
	        "\"roundrobin\" (expected one of RoundRobin, Random, RingHash, "
	        "Maglev, DirectHash)",
	        "t.yaml:17:42: field \"matchType\": invalid value 9 (expected "
	        "one of Exact, Prefix, Suffix, Contains, Path, FilePath, "
	        "Regex, "
	        "RegexPOSIX)",
	        "t.yaml:18:28: field \"hashSource\": expected a name, got a "
	        "list",
	        "t.yaml:19:21: field \"pathMatchers\": expected a list, got a "
	        "mapping" } },
	{ "out of range",
	    "apiVersion: core/v1\n"
	    "kind: Entrypoint\n"
	    "spec: {processConfig: {workers: 5000, maxWorker: 1}}\n"
	    "---\n" SERVER "spec:\n"
	    "  httpConfig:\n"
	    "    maxHeaderBytes: -1\n"
	    "    readTimeout: 99999999999999999999\n",
	    { "t.yaml:3:33: field \"workers\": 5000 is out of range (0..4096)",
	        "t.yaml:3:39: unknown field \"maxWorker\" in core/v1 "
	        "Entrypoint spec.processConfig",
	        "t.yaml:9:21: field \"maxHeaderBytes\": -1 is out of range "
	        "(0..1048576)",
	        "t.yaml:10:18: field \"readTimeout\": 99999999999999999999 is "
	        "out of range (-9223372036854775808..9223372036854775)" } },
	{ "dangling reference",
	    EP SERVER "spec:\n"
	              "  virtualHosts:\n"
	              "    - handlers:\n"
	              "        - handler:\n"
	              "            apiVersion: core/v1\n"
	              "            kind: ReverseProxyHandler\n"
	              "            name: nope\n",
	    { "t.yaml:14:13: undefined reference to "
	      "core/v1/ReverseProxyHandler/default/nope" } },
	{ "dangling runner",
	    EP "apiVersion: core/v1\nkind: HTTPServer\n"
	       "metadata: {namespace: other}\n",
	    { "t.yaml:5:7: undefined reference to "
	      "core/v1/HTTPServer/default/default" } },
	{ "no entrypoint", SERVER, { "no core/v1 Entrypoint" } },
	{ "two entrypoints",
	    EP SERVER "---\n"
	              "apiVersion: core/v1\n"
	              "kind: Entrypoint\n"
	              "metadata: {name: other}\n",
	    { "t.yaml:11:1: more than one core/v1 Entrypoint (the first is at "
	      "t.yaml:1:1)" } },
	{ "duplicate id",
	    EP SERVER "---\n" SERVER "metadata:\n"
	              "  name: default\n"
	              "  namespace: default\n",
	    { "t.yaml:11:1: duplicate core/v1/HTTPServer/default/default "
	      "(first defined at t.yaml:8:1)" } },
	{ "wrong kinds",
	    "apiVersion: core/v1\n"
	    "kind: Entrypoint\n"
	    "spec:\n"
	    "  runners:\n"
	    "    - {apiVersion: core/v1, kind: HTTPServer}\n"
	    "    - {apiVersion: core/v1, kind: ReverseProxyHandler}\n"
	    "    - {apiVersion: core/v1, kind: HTTPServer}\n"
	    "---\n" SERVER "spec:\n"
	    "  virtualHosts:\n"
	    "    - handlers: [{handler: {apiVersion: core/v1, kind: "
	    "HTTPServer}}]\n"
	    "---\n"
	    "apiVersion: core/v1\n"
	    "kind: ReverseProxyHandler\n",
	    { "t.yaml:13:28: core/v1/HTTPServer/default/default cannot be used "
	      "as a handler",
	        "t.yaml:6:7: core/v1/ReverseProxyHandler/default/default "
	        "cannot be used as a runner",
	        "t.yaml:7:7: runner core/v1/HTTPServer/default/default is "
	        "listed twice (first at t.yaml:5:7)" } },
	{ "kinds",
	    EP SERVER "---\n"
	              "apiVersion: core/v1\n"
	              "kind: FooBar\n"
	              "---\n"
	              "apiVersion: app/v1\n"
	              "kind: OpenTelemetryMeter\n"
	              "---\n"
	              "apiVersion: app/v1\n"
	              "kind: OPAAuthzMiddleware\n"
	              "---\n"
	              "apiVersion: core/v1\n"
	              "kind: GoPlugin\n"
	              "---\n"
	              "kind: HTTPServer\n",
	    { "t.yaml:12:7: unknown kind core/v1 FooBar",
	        "t.yaml:15:7: kind app/v1 OpenTelemetryMeter is not supported "
	        "yet",
	        "t.yaml:18:7: kind app/v1 OPAAuthzMiddleware is not "
	        "supported yet",
	        "t.yaml:21:7: kind core/v1 GoPlugin is not supported",
	        "t.yaml:23:1: missing field \"apiVersion\"" } },
	{ "references",
	    "apiVersion: core/v1\n"
	    "kind: Entrypoint\n"
	    "spec:\n"
	    "  runners:\n"
	    "    - {kind: HTTPServer}\n"
	    "    - {apiVersion: core-v1, kind: HTTP Server, name: 'a b'}\n"
	    "    - {apiVersion: core/v1, kind: HTTPServer, bogus: 1}\n",
	    { "t.yaml:5:7: missing field \"apiVersion\" in core/v1 Entrypoint "
	      "spec.runners[0]",
	        "t.yaml:6:20: field \"apiVersion\": invalid value \"core-v1\" "
	        "(expected group/version, e.g. core/v1)",
	        "t.yaml:6:35: field \"kind\": invalid value \"HTTP Server\"",
	        "t.yaml:6:54: field \"name\": invalid name \"a b\" (letters, "
	        "digits, \"-\" and \".\" only)",
	        "t.yaml:7:47: unknown field \"bogus\" in core/v1 Entrypoint "
	        "spec.runners[2]",
	        "t.yaml:7:7: undefined reference to "
	        "core/v1/HTTPServer/default/default" } },
	{ "metadata",
	    EP SERVER "metadata: {name: \"a/b\", namespace: x_y, logger: l, "
	              "uid: 1}\n",
	    { "t.yaml:10:41: field \"logger\" is not supported yet",
	        "t.yaml:10:52: unknown field \"uid\" in core/v1 HTTPServer "
	        "metadata",
	        "t.yaml:10:18: field \"name\": invalid name \"a/b\" (letters, "
	        "digits, \"-\" and \".\" only)",
	        "t.yaml:10:36: field \"namespace\": invalid name \"x_y\" "
	        "(letters, digits, \"-\" and \".\" only)" } },
	{ "vhosts and handlers",
	    EP SERVER "spec:\n"
	              "  virtualHosts:\n"
	              "    - hosts: [a.com, a.com, 'b_c', 'x:80']\n"
	              "      methods: [GET, GET]\n"
	              "      handlers:\n"
	              "        - pattern: /x\n"
	              "        - handler: {apiVersion: core/v1, kind: "
	              "ReverseProxyHandler}\n"
	              "---\n"
	              "apiVersion: core/v1\n"
	              "kind: ReverseProxyHandler\n"
	              "spec: {patterns: [/a, /a]}\n",
	    { "t.yaml:12:22: field \"hosts\": duplicate value \"a.com\"",
	        "t.yaml:12:29: field \"hosts\": invalid host name \"b_c\" "
	        "(letters, digits, \".\" and \"-\" only)",
	        "t.yaml:12:36: field \"hosts\": invalid host name \"x:80\" "
	        "(letters, digits, \".\" and \"-\" only)",
	        "t.yaml:13:22: field \"methods\": duplicate value \"GET\"",
	        "t.yaml:15:11: missing field \"handler\" in core/v1 HTTPServer "
	        "spec.virtualHosts[0].handlers[0]",
	        "t.yaml:20:23: field \"patterns\": duplicate value \"/a\"" } },
	{ "invalid URLs",
	    EP SERVER "---\n"
	              "apiVersion: core/v1\n"
	              "kind: ReverseProxyHandler\n"
	              "spec:\n"
	              "  loadBalancers:\n"
	              "    - upstreams:\n"
	              "        - url: ftp://x\n"
	              "        - url: http://\n"
	              "        - url: http://a:b:c\n"
	              "        - url: http://h:0/\n"
	              "        - url: http://u@h\n"
	              "        - url: \"http://a b\"\n"
	              "        - url: http://[::1\n"
	              "        - weight: 3\n",
	    { "t.yaml:16:16: field \"url\": invalid URL \"ftp://x\": must "
	      "start "
	      "with http:// or https://",
	        "t.yaml:17:16: field \"url\": invalid URL \"http://\": missing "
	        "host",
	        "t.yaml:18:16: field \"url\": invalid URL \"http://a:b:c\": "
	        "IPv6 "
	        "addresses must be in brackets",
	        "t.yaml:19:16: field \"url\": invalid URL \"http://h:0/\": "
	        "port "
	        "must be 1..65535",
	        "t.yaml:20:16: field \"url\": invalid URL \"http://u@h\": user "
	        "information is not supported",
	        "t.yaml:21:16: field \"url\": invalid URL \"http://a b\": "
	        "contains white space or control characters",
	        "t.yaml:22:16: field \"url\": invalid URL \"http://[::1\": bad "
	        "IPv6 address",
	        "t.yaml:23:11: missing field \"url\" in core/v1 "
	        "ReverseProxyHandler spec.loadBalancers[0].upstreams[7]" } },
	{ "process pool",
	    "apiVersion: core/v1\n"
	    "kind: Entrypoint\n"
	    "spec:\n"
	    "  processConfig:\n"
	    "    workers: 4\n"
	    "    maxWorkers: 8\n"
	    "    minSpareWorkers: 9\n"
	    "    maxSpareWorkers: 3\n"
	    "    user: \"\"\n"
	    "    maxRequestsPerWorker: -1\n",
	    { "t.yaml:10:27: field \"maxRequestsPerWorker\": -1 is out of "
	      "range (0..2147483647)",
	        "t.yaml:7:22: field \"minSpareWorkers\": cannot be combined "
	        "with \"workers\" (a fixed-size pool)",
	        "t.yaml:8:22: field \"maxSpareWorkers\": cannot be combined "
	        "with \"workers\" (a fixed-size pool)",
	        "t.yaml:6:17: field \"maxWorkers\": cannot be combined with "
	        "\"workers\" (a fixed-size pool)",
	        "t.yaml:8:22: field \"maxSpareWorkers\": must be greater than "
	        "minSpareWorkers (9)",
	        "t.yaml:7:22: field \"minSpareWorkers\": must not exceed "
	        "maxWorkers (8)",
	        "t.yaml:9:11: field \"user\": must not be empty" } },
	{ "weight out of range",
	    EP SERVER "---\n"
	              "apiVersion: core/v1\n"
	              "kind: ReverseProxyHandler\n"
	              "spec:\n"
	              "  loadBalancers:\n"
	              "    - upstreams:\n"
	              "        - {url: http://a, weight: 65536}\n"
	              "        - {url: http://b, weight: -2}\n"
	              "        - {url: http://c, weight: \"x1\"}\n",
	    { "t.yaml:16:35: field \"weight\": 65536 is out of range "
	      "(-1..65535)",
	        "t.yaml:17:35: field \"weight\": -2 is out of range "
	        "(-1..65535)",
	        "t.yaml:18:35: field \"weight\": expected an integer, got "
	        "\"x1\"" } },
	{ "bad patterns",
	    EP SERVER "---\n"
	              "apiVersion: core/v1\n"
	              "kind: ReverseProxyHandler\n"
	              "spec:\n"
	              "  loadBalancers:\n"
	              "    - pathMatchers:\n"
	              "        - {match: \"(\", matchType: Regex}\n"
	              "        - {match: \"[a\", matchType: RegexPOSIX}\n"
	              "        - {match: \"/a[\", matchType: Path}\n"
	              "        - {match: \"/a[]\", matchType: FilePath}\n"
	              "        - {match: \"/a\\\\\", matchType: Path}\n"
	              "        - {match: \"/a[^b-]\", matchType: Path}\n"
	              "        - {match: \"(\", matchType: Prefix}\n"
	              "        - {match: \"/[a-z]/\\\\*\", matchType: Path}\n"
	              "      headerMatchers:\n"
	              "        - {key: k, patterns: [ok, \"(\"], matchType: "
	              "Regex}\n"
	              "        - {key: \"\", patterns: [\"(\"], matchType: "
	              "Regex}\n",
	    { "t.yaml:16:19: field \"match\": invalid Regex \"(\": missing "
	      "closing parenthesis (at offset 1)",
	        "t.yaml:17:19: field \"match\": invalid RegexPOSIX \"[a\": "
	        "Unmatched [, [^, [:, [., or [=",
	        "t.yaml:18:19: field \"match\": invalid Path pattern \"/a[\": "
	        "syntax error",
	        "t.yaml:19:19: field \"match\": invalid FilePath pattern "
	        "\"/a[]\": syntax error",
	        "t.yaml:20:19: field \"match\": invalid Path pattern "
	        "\"/a\\\\\": syntax error",
	        "t.yaml:21:19: field \"match\": invalid Path pattern "
	        "\"/a[^b-]\": syntax error",
	        "t.yaml:25:35: field \"patterns\": invalid Regex \"(\": "
	        "missing closing parenthesis (at offset 1)" } },
	{ "YAML syntax error",
	    EP SERVER "spec:\n"
	              "  addr: \":8080\n"
	              "  foo: [\n",
	    { "t.yaml:13:1: YAML: found unexpected end of stream (while "
	      "scanning a quoted scalar at 11:9)" } },
	{ "YAML bad indentation",
	    EP SERVER "spec:\n"
	              "    addr: x\n"
	              "  foo: 1\n",
	    { "t.yaml:12:3: YAML: did not find expected key (while parsing a "
	      "block mapping at 8:1)" } },
	{ "YAML tab", EP SERVER "spec:\n\taddr: x\n",
	    { "t.yaml:11:1: YAML: found character that cannot start any token "
	      "(while scanning for the next token at 11:1)" } },
	{ "YAML duplicate keys",
	    EP SERVER "spec:\n"
	              "  addr: \":1\"\n"
	              "  Addr: \":2\"\n"
	              "  addr: \":3\"\n"
	              "  httpConfig: {x: 1, x: 2}\n",
	    { "t.yaml:12:3: duplicate field \"Addr\" (also given as \"addr\" "
	      "at "
	      "t.yaml:11:3)",
	        "t.yaml:13:3: duplicate key \"addr\" (first at t.yaml:11:3)",
	        "t.yaml:14:16: unknown field \"x\" in core/v1 HTTPServer "
	        "spec.httpConfig",
	        "t.yaml:14:22: duplicate key \"x\" (first at t.yaml:14:16)" } },
	{ "second YAML document",
	    EP SERVER "--- # not our separator: a YAML document start\n"
	              "foo: 1\n",
	    { "t.yaml:10:1: a second YAML document: separate documents with a "
	      "line that is exactly \"---\"" } },
	{ "not a mapping", EP "- a\n- b\n",
	    { "t.yaml:8:1: expected a mapping (apiVersion, kind, metadata, "
	      "spec) at the top of the document" } },
	{ "NUL in a string",
	    EP SERVER "spec: {virtualHosts: [{pattern: "
	              "\"a\\0b\"}]}\n",
	    { "t.yaml:10:33: field \"pattern\": contains a NUL character" } },
	{ "unsupported fields",
	    "apiVersion: core/v1\n"
	    "kind: Entrypoint\n"
	    "spec:\n"
	    "  loggers: []\n"
	    "  initializers: [{apiVersion: core/v1, kind: HTTPClient}]\n"
	    "  finalizers: [{apiVersion: core/v1, kind: HTTPClient}]\n"
	    "---\n" SERVER "metadata: {errorHandler: ''}\n"
	    "spec:\n"
	    "  middleware: []\n"
	    "  enableProfile: false\n"
	    "  enableExpvar: true\n"
	    "  http2Config: {}\n"
	    "  http3Config: {}\n"
	    "  httpConfig:\n"
	    "    allowHTTP2: true\n"
	    "    altSvc: 'h3=\":443\"'\n"
	    "    listenConfig:\n"
	    "      tlsConfig: {}\n"
	    "      networks: []\n"
	    "      connectionLimit: 10\n"
	    "  virtualHosts:\n"
	    "    - middleware: [{apiVersion: app/v1, kind: CORSMiddleware}]\n"
	    "---\n"
	    "apiVersion: core/v1\n"
	    "kind: ReverseProxyHandler\n"
	    "spec:\n"
	    "  tripperwares: [{apiVersion: core/v1, kind: HTTPLogger}]\n"
	    "  roundTripper: {apiVersion: core/v1, kind: HTTPClient}\n",
	    { "t.yaml:5:3: field \"initializers\" is not supported yet",
	        "t.yaml:6:3: field \"finalizers\" is not supported yet",
	        "t.yaml:14:3: field \"enableExpvar\" is not supported yet",
	        "t.yaml:15:3: field \"http2Config\": HTTP/2 is not supported",
	        "t.yaml:16:3: field \"http3Config\": HTTP/3 is not supported",
	        "t.yaml:18:5: field \"allowHTTP2\": HTTP/2 is not supported",
	        "t.yaml:19:5: field \"altSvc\" is not supported yet",
	        "t.yaml:21:18: field \"tlsConfig\": a TLS listener needs "
	        "certKeyPairs",
	        "t.yaml:23:7: field \"connectionLimit\" is not supported yet",
	        "t.yaml:31:17: undefined reference to "
	        "core/v1/HTTPClient/default/default",
	        "t.yaml:25:20: undefined reference to "
	        "app/v1/CORSMiddleware/default/default",
	        "t.yaml:30:18: undefined reference to "
	        "core/v1/HTTPLogger/default/default" } },
	{ "unsupported fields (2)",
	    EP SERVER
	    "spec:\n"
	    "  httpConfig: {listenConfig: {connectionLimit: 10}}\n"
	    "  virtualHosts:\n"
	    "    - middleware: [{apiVersion: app/v1, kind: X}]\n"
	    "      handlers: [{middleware: [{apiVersion: app/v1, kind: "
	    "X}]}]\n"
	    "---\n"
	    "apiVersion: core/v1\n"
	    "kind: ReverseProxyHandler\n"
	    "spec:\n"
	    "  tripperwares: [{apiVersion: core/v1, kind: HTTPLogger}]\n"
	    "  roundTripper: {apiVersion: core/v1, kind: HTTPClient}\n",
	    { "t.yaml:11:31: field \"connectionLimit\" is not supported yet",
	        "t.yaml:14:18: missing field \"handler\" in core/v1 HTTPServer "
	        "spec.virtualHosts[0].handlers[0]",
	        "t.yaml:20:17: undefined reference to "
	        "core/v1/HTTPClient/default/default",
	        "t.yaml:13:20: undefined reference to app/v1/X/default/default",
	        "t.yaml:14:32: undefined reference to "
	        "app/v1/X/default/default",
	        "t.yaml:19:18: undefined reference to "
	        "core/v1/HTTPLogger/default/default" } },
	{ "listen addresses",
	    EP SERVER "spec: {addr: \"unix://tmp/x.sock\"}\n"
	              "---\n" SERVER "metadata: {name: a}\n"
	              "spec: {addr: \"udp://:53\"}\n"
	              "---\n" SERVER "metadata: {name: b}\n"
	              "spec: {addr: \"::1:80\"}\n"
	              "---\n" SERVER "metadata: {name: c}\n"
	              "spec: {addr: localhost}\n"
	              "---\n" SERVER "metadata: {name: e}\n"
	              "spec: {addr: \"[::1]\"}\n"
	              "---\n" SERVER "metadata: {name: d}\n"
	              "spec:\n"
	              "  addr: \":http\"\n"
	              "  httpConfig: {listenConfig: {addr: \"@\"}}\n",
	    { "t.yaml:10:14: field \"addr\": invalid unix socket address "
	      "\"unix://tmp/x.sock\" (a path from / or @name, at most 107 "
	      "bytes)",
	        "t.yaml:15:14: field \"addr\": invalid address \"udp://:53\": "
	        "unknown network \"udp\" (tcp, tcp4, tcp6 or unix)",
	        "t.yaml:20:14: field \"addr\": invalid address \"::1:80\": "
	        "IPv6 "
	        "addresses must be in brackets",
	        "t.yaml:25:14: field \"addr\": invalid address \"localhost\" "
	        "(expected host:port, :port or [v6]:port)",
	        "t.yaml:30:14: field \"addr\": invalid address \"[::1]\" "
	        "(expected host:port, :port or [v6]:port)",
	        "t.yaml:36:9: field \"addr\": invalid address \":http\": port "
	        "must be 1..65535",
	        "t.yaml:37:37: field \"addr\": invalid unix socket address "
	        "\"@\" (a path from / or @name, at most 107 bytes)" } },
	{ "many errors in many documents",
	    EP SERVER "spec: {addr: 1}\n"
	              "---\n"
	              "apiVersion: core/v1\n"
	              "kind: ReverseProxyHandler\n"
	              "spec: {bogus: 1}\n"
	              "---\n"
	              "apiVersion: core/v1\n"
	              "kind: ReverseProxyHandler\n"
	              "metadata: {name: two}\n"
	              "spec: {loadBalancers: [{upstreams: [{url: x}]}]}\n",
	    { "t.yaml:10:14: field \"addr\": expected a string, got 1",
	        "t.yaml:14:8: unknown field \"bogus\" in core/v1 "
	        "ReverseProxyHandler spec",
	        "t.yaml:19:43: field \"url\": invalid URL \"x\": must start "
	        "with http:// or https://" } },
	{ "env: required variable",
	    EP SERVER "spec:\n"
	              "  addr: \"${AIL_T_UNSET:?set the listen address}\"\n"
	              "  bogus: ${AIL_T_UNSET?}\n"
	              "---\n"
	              "apiVersion: core/v1\n"
	              "kind: ReverseProxyHandler\n"
	              "spec: {bogus: 1}\n",
	    { "t.yaml:11:10: environment variable AIL_T_UNSET is unset or "
	      "empty: set the listen address",
	        "t.yaml:12:10: environment variable AIL_T_UNSET is unset",
	        "t.yaml:16:8: unknown field \"bogus\" in core/v1 "
	        "ReverseProxyHandler spec" } },
	{ "env: positions after substitution",
	    EP SERVER "spec: {addr: \"${AIL_T_VALUE}\", bogus: 1, x: "
	              "${AIL_T_BADADDR}}\n"
	              "# ${AIL_T_NL}\n"
	              "metadata: {bogus: 2}\n",
	    { "t.yaml:10:14: field \"addr\": invalid address \"value\" "
	      "(expected host:port, :port or [v6]:port)",
	        "t.yaml:10:32: unknown field \"bogus\" in core/v1 HTTPServer "
	        "spec",
	        "t.yaml:10:42: unknown field \"x\" in core/v1 HTTPServer spec",
	        "t.yaml:12:12: unknown field \"bogus\" in core/v1 HTTPServer "
	        "metadata" } },
	{ "env: bad value",
	    EP SERVER "spec:\n"
	              "  addr: ${AIL_T_BADADDR}\n"
	              "  httpConfig: {readTimeout: ${AIL_T_VALUE}}\n"
	              "  bad: ${}\n",
	    { "t.yaml:13:8: bad substitution \"${}\"" } },
	{ "env: bad value (2)",
	    EP SERVER "spec:\n"
	              "  addr: ${AIL_T_BADADDR}\n"
	              "  httpConfig: {readTimeout: ${AIL_T_VALUE}}\n",
	    { "t.yaml:11:9: field \"addr\": invalid address \"nope\" (expected "
	      "host:port, :port or [v6]:port)",
	        "t.yaml:12:29: field \"readTimeout\": expected an integer, got "
	        "\"value\"" } },
};

START_TEST(test_bad)
{
	setenv("AIL_T_VALUE", "value", 1);
	setenv("AIL_T_BADADDR", "nope", 1);
	setenv("AIL_T_NL", "one\n# two\n# three", 1);
	unsetenv("AIL_T_UNSET");
	if (load_str(bad[_i].text) != NULL)
		ck_abort_msg("%s: loaded", bad[_i].name);
	assert_errs(bad[_i].want);
}
END_TEST

/*
 * Environment substitution.
 */

static const struct {
	const char *in;
	const char *out;
	const char *err; /* the only error, or NULL */
} substs[] = {
	{ "${AIL_SET}", "value", NULL },
	{ "a ${AIL_SET} b ${AIL_UNSET:-x} c", "a value b x c", NULL },
	{ "${AIL_UNSET}", "", NULL },
	{ "${AIL_UNSET:-def}", "def", NULL },
	{ "${AIL_EMPTY:-def}", "def", NULL },
	{ "${AIL_EMPTY-def}", "", NULL },
	{ "${AIL_UNSET-def}", "def", NULL },
	{ "${AIL_SET:-def}", "value", NULL },
	{ "${AIL_SET:+alt}", "alt", NULL },
	{ "${AIL_EMPTY:+alt}", "", NULL },
	{ "${AIL_EMPTY+alt}", "alt", NULL },
	{ "${AIL_UNSET+alt}", "", NULL },
	{ "${AIL_SET:?msg}", "value", NULL },
	{ "${AIL_EMPTY?msg}", "", NULL },
	{ "${AIL_A_${AIL_B}}", "nested", NULL },
	{ "${AIL_UNSET:-${AIL_SET}}", "value", NULL },
	{ "${AIL_UNSET:-${AIL_UNSET2:-deep}}", "deep", NULL },
	{ "${AIL_UNSET:+${AIL_UNSET2:?never evaluated}}", "", NULL },
	{ "${#AIL_SET}", "5", NULL },
	{ "${#AIL_UNSET}", "0", NULL },
	{ "${AIL_SET:1:3}", "alu", NULL },
	{ "${AIL_SET: -2}", "ue", NULL },
	{ "${AIL_SET:2}", "lue", NULL },
	{ "${AIL_PATH#*/}", "b/c", NULL },
	{ "${AIL_PATH##*/}", "c", NULL },
	{ "${AIL_PATH%/*}", "a/b", NULL },
	{ "${AIL_PATH%%/*}", "a", NULL },
	{ "${AIL_PATH/b/X}", "a/X/c", NULL },
	{ "${AIL_PATH//[ac]/X}", "X/b/X", NULL },
	{ "${AIL_PATH/#a/X}", "X/b/c", NULL },
	{ "${AIL_PATH/%c/X}", "a/b/X", NULL },
	{ "${AIL_SET^}", "Value", NULL },
	{ "${AIL_SET^^}", "VALUE", NULL },
	{ "${AIL_UP,}", "aBC", NULL },
	{ "${AIL_UP,,}", "abc", NULL },
	{ "${AIL_SET@U}", "VALUE", NULL },
	{ "${AIL_SET@u}", "Value", NULL },
	{ "${!AIL_A_*}", "AIL_A_SET", NULL },
	{ "${!AIL_B}", "", NULL },
	{ "${AIL_ASSIGN:=assigned} ${AIL_ASSIGN}", "assigned assigned", NULL },
	{ "$AIL_SET ${AIL_SET", "$AIL_SET ${AIL_SET", NULL },
	{ "${AIL_SET\n}", "${AIL_SET\n}", NULL },
	{ "${AIL_UNSET:?must be set}", "",
	    "0:0: environment variable AIL_UNSET is unset or empty: must be "
	    "set" },
	{ "x\n  ${AIL_UNSET?}", "x\n  ",
	    "1:2: environment variable AIL_UNSET is unset" },
	{ "${}", "", "0:0: bad substitution \"${}\"" },
	{ "${AIL_SET:x}", "", "0:0: bad substitution \"${AIL_SET:x}\"" },
	{ "${AIL_SET@Q}", "", "0:0: bad substitution \"${AIL_SET@Q}\"" },
};

static void
subst_error(void *ctx, int line, int col, const char *msg)
{
	char *buf = ctx;

	snprintf(buf, 256, "%d:%d: %s", line, col, msg);
}

START_TEST(test_subst)
{
	struct conf_envtext t;
	char err[256] = "";
	int rc;

	setenv("AIL_SET", "value", 1);
	setenv("AIL_EMPTY", "", 1);
	setenv("AIL_B", "SET", 1);
	setenv("AIL_A_SET", "nested", 1);
	setenv("AIL_PATH", "a/b/c", 1);
	setenv("AIL_UP", "ABC", 1);
	unsetenv("AIL_UNSET");
	unsetenv("AIL_UNSET2");
	unsetenv("AIL_ASSIGN");
	rc = conf_env_subst(
	    substs[_i].in, strlen(substs[_i].in), &t, subst_error, err);
	ck_assert_str_eq(t.text, substs[_i].out);
	ck_assert_uint_eq(t.len, strlen(substs[_i].out));
	if (substs[_i].err != NULL) {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(err, substs[_i].err);
	} else {
		ck_assert_int_eq(rc, 0);
		ck_assert_str_eq(err, "");
	}
	conf_envtext_free(&t);
}
END_TEST

/* Positions in the expanded text map back to the original. */
START_TEST(test_subst_map)
{
	static const struct {
		int line, col, wline, wcol;
	} pos[] = {
		{ 0, 0, 0, 0 },  /* before any substitution */
		{ 0, 2, 0, 2 },  /* the value of ${AIL_SET}: its '$' */
		{ 0, 6, 0, 2 },  /* still in the value */
		{ 0, 7, 0, 12 }, /* just after it */
		{ 0, 9, 0, 14 }, /* further on the line */
		{ 1, 0, 1, 0 },  /* next line: ${AIL_NL} */
		{ 2, 2, 1, 0 },  /* inside its two-line value */
		{ 2, 3, 1, 9 },  /* just after it */
		{ 2, 4, 1, 10 },
		{ 3, 5, 2, 5 }, /* lines below keep their number */
	};
	const char *in = "a ${AIL_SET} x y\n${AIL_NL} z\nline2 end\n";
	struct conf_envtext t;
	size_t i;
	int line, col;

	setenv("AIL_SET", "value", 1);
	setenv("AIL_NL", "one\ntwo", 1);
	ck_assert_int_eq(conf_env_subst(in, strlen(in), &t, NULL, NULL), 0);
	ck_assert_str_eq(t.text, "a value x y\none\ntwo z\nline2 end\n");
	for (i = 0; i < sizeof(pos) / sizeof(pos[0]); i++) {
		line = pos[i].line;
		col = pos[i].col;
		conf_env_map(&t, &line, &col);
		ck_assert_int_eq(line, pos[i].wline);
		ck_assert_int_eq(col, pos[i].wcol);
	}
	conf_envtext_free(&t);
}
END_TEST

/* ${...} in a config, as the integration tests use it. */
START_TEST(test_subst_config)
{
	struct conf *c;

	setenv("AIL_T_PORT", "9999", 1);
	unsetenv("AIL_T_UNSET");
	c = load_ok(EP SERVER "spec:\n"
	                      "  addr: \":${AIL_T_PORT}\"\n"
	                      "  shutdownTimeout: ${AIL_T_UNSET:-12}\n"
	                      "# ${AIL_T_PORT} in a comment is fine\n");
	ck_assert_str_eq(c->servers[0]->addr, ":9999");
	ck_assert_int_eq(c->servers[0]->shutdown_timeout, 12);
	conf_free(c);
}
END_TEST

START_TEST(test_env_file)
{
	setenv("AIL_ENV_PRESET", "preset", 1);
	unsetenv("AIL_ENV_PLAIN");
	memset(&errs, 0, sizeof(errs));
	ck_assert_int_eq(
	    conf_load_env_file(CONF_DIR "/good.env", collect, &errs), 0);
	ck_assert_int_eq(errs.n, 0);
	ck_assert_str_eq(getenv("AIL_ENV_PLAIN"), "plain value");
	ck_assert_str_eq(getenv("AIL_ENV_EXPORTED"), "yes");
	ck_assert_str_eq(
	    getenv("AIL_ENV_SQ"), "single ${AIL_ENV_PLAIN} # not a comment");
	ck_assert_str_eq(getenv("AIL_ENV_DQ"), "double\tq plain value");
	ck_assert_str_eq(getenv("AIL_ENV_ML"), "multiline");
	ck_assert_str_eq(getenv("AIL_ENV_EMPTY"), "");
	/* The environment wins over the file. */
	ck_assert_str_eq(getenv("AIL_ENV_PRESET"), "preset");
	ck_assert_str_eq(getenv("AIL_ENV_HASH"), "a#b");
	ck_assert_str_eq(getenv("AIL_ENV_SPACED"), "spaced");
}
END_TEST

START_TEST(test_env_file_bad)
{
	const char *want[] = { CONF_DIR
		"/bad.env:2:6: invalid line: expected KEY=VALUE",
		CONF_DIR "/bad.env:3:1: unexpected text after the closing "
		         "quote",
		CONF_DIR "/bad.env:4:11: unterminated double-quoted value",
		NULL };

	memset(&errs, 0, sizeof(errs));
	ck_assert_int_eq(
	    conf_load_env_file(CONF_DIR "/bad.env", collect, &errs), -1);
	assert_errs(want);
	ck_assert_str_eq(getenv("AIL_BAD_GOOD"), "1");
	ck_assert_ptr_null(getenv("AIL_BAD_U"));

	memset(&errs, 0, sizeof(errs));
	ck_assert_int_eq(
	    conf_load_env_file(CONF_DIR "/none.env", collect, &errs), -1);
	ck_assert_int_eq(errs.n, 1);
	ck_assert_str_eq(
	    errs.msg[0], CONF_DIR "/none.env: No such file or directory");
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc;

	tc = tcase_create("good");
	tcase_add_test(tc, test_tutorial);
	tcase_add_test(tc, test_example_basic);
	tcase_add_test(tc, test_example_weighted);
	tcase_add_test(tc, test_example_round_robin);
	tcase_add_test(tc, test_example_match_types);
	tcase_add_test(tc, test_example_multiple_servers);
	tcase_add_test(tc, test_directory);
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_http_client);
	tcase_add_test(tc, test_process_config);
	tcase_add_test(tc, test_http_limits);
	tcase_add_loop_test(
	    tc, test_nonzero_wins, 0, sizeof(nonzero) / sizeof(nonzero[0]));
	tcase_add_loop_test(tc, test_addr, 0, sizeof(addrs) / sizeof(addrs[0]));
	tcase_add_loop_test(tc, test_urls, 0, sizeof(urls) / sizeof(urls[0]));
	tcase_add_test(tc, test_lenient_forms);
	tcase_add_test(tc, test_weight_all_dropped);
	tcase_add_test(tc, test_split_and_skip);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad");
	tcase_set_timeout(tc, 60); /* the alias bomb, under ASan when busy */
	tcase_add_test(tc, test_example_unsupported);
	tcase_add_test(tc, test_crlf);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_error_cap);
	tcase_add_test(tc, test_alias_bomb);
	tcase_add_test(tc, test_deep_nesting);
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("env");
	tcase_add_loop_test(
	    tc, test_subst, 0, sizeof(substs) / sizeof(substs[0]));
	tcase_add_test(tc, test_subst_map);
	tcase_add_test(tc, test_subst_config);
	tcase_add_test(tc, test_env_file);
	tcase_add_test(tc, test_env_file_bad);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(conf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
