/* Unit tests: middleware order and hooks, the response writer's keep-alive, Date and framing (over a socketpair). */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "arena.h"
#include "conf.h"
#include "http_parse.h"
#include "kind.h"
#include "middleware.h"
#include "middleware/skipper.h"
#include "pipeline.h"
#include "proxy.h"
#include "request.h"
#include "response.h"
#include "route.h"

/* One server, HealthCheckHandler on /healthz; keep-alive per test. */
static const char *const config_text =
    "apiVersion: core/v1\n"
    "kind: Entrypoint\n"
    "spec:\n"
    "  runners:\n"
    "    - apiVersion: core/v1\n"
    "      kind: HTTPServer\n"
    "---\n"
    "apiVersion: core/v1\n"
    "kind: HTTPServer\n"
    "spec:\n"
    "  addr: \"127.0.0.1:1\"\n"
    "  httpConfig: {enableGeneralOptionsHandler: true}\n"
    "  virtualHosts:\n"
    "    - handlers:\n"
    "        - handler: {apiVersion: app/v1, kind: HealthCheckHandler}\n"
    "---\n"
    "apiVersion: app/v1\n"
    "kind: HealthCheckHandler\n"
    "spec: {}\n";

static struct conf *conf;
static struct routes *routes;
static struct pipeline *pl;
static char trace[256]; /* what the test middleware saw, in order */
/* Instances of the test middleware: their names. */
static char name_a[] = "a", name_b[] = "b", name_c[] = "c", name_x[] = "x",
            name_s[] = "s", name_f[] = "f";

static void
conf_err(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s\n", msg);
}

static void
setup(void)
{
	conf = conf_load_string("test", config_text, conf_err, NULL);
	ck_assert_ptr_nonnull(conf);
	routes = route_build(conf);
	ck_assert_ptr_nonnull(routes);
	pl = pipeline_build(conf, routes);
	ck_assert_ptr_nonnull(pl);
	trace[0] = '\0';
}

static void
teardown(void)
{
	pipeline_free(pl);
	route_free(routes);
	conf_free(conf);
}

/* Test middleware: the instance is its name ("a", "b", ...). */
static void
trace_add(const char *what, const void *inst)
{
	strcat(trace, what);
	strcat(trace, inst);
	strcat(trace, " ");
}

static int
t_request(void *inst, struct request *r)
{
	trace_add("req", inst);
	/* "x" answers 403 itself; "s" returns a status for the pipeline. */
	if (strcmp(inst, "x") == 0)
		return response_simple(r, 403, "text/plain", "no", 2) < 0
		    ? HANDLER_ABORT
		    : HANDLER_OK;
	if (strcmp(inst, "s") == 0)
		return 429;
	return HANDLER_DECLINED;
}

static void
t_head(void *inst, struct request *r)
{
	trace_add("head", inst);
	ck_assert(!response_started(r));
	if (strcmp(inst, "b") == 0)
		ck_assert_int_eq(response_set(r, "X-Mw", "b"), 0);
}

static void
t_done(void *inst, struct request *r)
{
	(void)r;
	trace_add("done", inst);
}

/* A body filter that brackets every piece: "{}" -> "[{}]". */
static int
t_body(void *inst, struct request *r, const void *data, size_t n, int last)
{
	(void)inst;
	if (n == 0)
		return response_filter_next(r, data, n, last);
	if (response_filter_next(r, "[", 1, 0) < 0 ||
	    response_filter_next(r, data, n, 0) < 0)
		return -1;
	return response_filter_next(r, "]", 1, last);
}

static const struct middleware_ops t_ops = {
	.name = "test",
	.request = t_request,
	.head = t_head,
	.done = t_done,
};

static const struct middleware_ops t_filter_ops = {
	.name = "filter",
	.request = t_request,
	.head = t_head,
	.body = t_body,
	.done = t_done,
};

/* The client side of one request: what the server side sent back. */
struct exchange_result {
	char out[4096];
	int keep;
	int status;
	int64_t log_size;
};

/*
 * Parse raw as a request, run it through the pipeline with chain ch
 * (NULL: the server's), and read what was sent.
 */
static void
run(const char *raw, const struct chain *ch, int stopping,
    struct exchange_result *res)
{
	static char cbuf[8192], hbuf[70000];
	static struct http_msg msg;
	volatile sig_atomic_t stop = stopping;
	struct client cl;
	struct request r;
	int sv[2];
	ssize_t n;
	size_t len = strlen(raw);

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(&cl, 0, sizeof(cl));
	cl.io.fd = sv[0];
	cl.io.ssl = NULL;
	cl.srv = conf->servers[0];
	strcpy(cl.ip, "127.0.0.1");
	strcpy(cl.port, "5000");
	memcpy(cbuf, raw, len);
	http_request_init(&msg, NULL);
	ck_assert_int_eq(http_parse_request(&msg, cbuf, len), HTTP_PARSE_DONE);
	memset(&r, 0, sizeof(r));
	r.arena = arena_new(1024);
	r.stopping = &stop;
	request_init(&r, &cl, &msg, cbuf, len, hbuf, sizeof(hbuf));
	if (ch != NULL) {
		r.chain = ch;
		pipeline_serve(pl, &r);
	} else
		pipeline_run(pl, &r);
	res->keep = response_keep_alive(&r);
	res->status = r.resp.status;
	res->log_size = r.resp.log_size;
	request_reset(&r);
	arena_free(r.arena);
	close(sv[0]);
	n = read(sv[1], res->out, sizeof(res->out) - 1);
	ck_assert_int_ge(n, 0);
	res->out[n] = '\0';
	close(sv[1]);
}

/* Does the response head in out have the line "line\r\n"? */
static int
has_line(const char *out, const char *line)
{
	const char *end = strstr(out, "\r\n\r\n"), *p = out;
	size_t n = strlen(line);

	while ((p = strstr(p, line)) != NULL && p < end) {
		if (p[-1] == '\n' && p[n] == '\r')
			return 1;
		p++;
	}
	return 0;
}

START_TEST(keep_alive_decisions)
{
	static const struct {
		const char *raw;
		int stopping, disable;
		int keep;
		const char *conn; /* Connection line expected, or NULL: none */
	} cases[] = {
		{ "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", 0, 0, 1, NULL },
		{ "GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: "
		  "close\r\n\r\n",
		    0, 0, 0, "Connection: close" },
		{ "GET /healthz HTTP/1.0\r\n\r\n", 0, 0, 0,
		    "Connection: close" },
		{ "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 0,
		    0, 1, "Connection: keep-alive" },
		{ "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", 1, 0, 0,
		    "Connection: close" },
		{ "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", 0, 1, 0,
		    "Connection: close" },
		/* The body was never read: the connection cannot go on. */
		{ "POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: "
		  "3\r\n\r\n",
		    0, 0, 0, "Connection: close" },
		/* Issue 11: OPTIONS * follows disableKeepAlive and stops. */
		{ "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 0, 0, 1, NULL },
		{ "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 0, 1, 0,
		    "Connection: close" },
		{ "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 1, 0, 0,
		    "Connection: close" },
		/* Errors too: 404 keeps, a protocol error closes. */
		{ "GET /nothing HTTP/1.1\r\nHost: a\r\n\r\n", 0, 0, 1, NULL },
		{ "GET /healthz HTTP/1.1\r\nHost: a\r\nExpect: x\r\n\r\n", 0, 0,
		    0, "Connection: close" },
	};
	struct exchange_result res;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		conf->servers[0]->disable_keep_alive = cases[i].disable;
		run(cases[i].raw, NULL, cases[i].stopping, &res);
		ck_assert_msg(res.keep == cases[i].keep, "case %zu: keep %d", i,
		    res.keep);
		ck_assert_msg(has_line(res.out, "Date: ") ||
		        strstr(res.out, "\r\nDate: ") != NULL,
		    "case %zu: no Date", i);
		if (cases[i].conn != NULL)
			ck_assert_msg(has_line(res.out, cases[i].conn),
			    "case %zu: no %s in %s", i, cases[i].conn, res.out);
		else
			ck_assert_msg(
			    strstr(res.out, "\r\nConnection:") == NULL,
			    "case %zu: Connection in %s", i, res.out);
	}
}
END_TEST

START_TEST(writer_head_and_body)
{
	struct exchange_result res;

	run("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", NULL, 0, &res);
	ck_assert_int_eq(res.status, 200);
	ck_assert_int_eq(res.log_size, 2);
	ck_assert(strncmp(res.out, "HTTP/1.1 200 OK\r\n", 17) == 0);
	ck_assert(has_line(res.out, "Content-Length: 2"));
	ck_assert(has_line(res.out,
	    "Content-Type: application/json; "
	    "charset=utf-8"));
	ck_assert_str_eq(strstr(res.out, "\r\n\r\n"), "\r\n\r\n{}");
	/* HEAD: the same head, no body. */
	run("HEAD /healthz HTTP/1.1\r\nHost: a\r\n\r\n", NULL, 0, &res);
	ck_assert(has_line(res.out, "Content-Length: 2"));
	ck_assert_str_eq(strstr(res.out, "\r\n\r\n"), "\r\n\r\n");
}
END_TEST

START_TEST(chain_order)
{
	struct middleware a = { &t_ops, NULL, name_a };
	struct middleware b = { &t_ops, NULL, name_b };
	struct middleware c = { &t_ops, NULL, name_c };
	struct middleware *mws[] = { &a, &b, &c };
	struct chain ch = { mws, 3, 0 };
	struct exchange_result res;

	run("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", &ch, 0, &res);
	/* First outermost: requests in order, heads and dones reversed. */
	ck_assert_str_eq(
	    trace, "reqa reqb reqc headc headb heada donec doneb donea ");
	ck_assert(has_line(res.out, "X-Mw: b"));
	ck_assert_int_eq(res.status, 200);
}
END_TEST

START_TEST(chain_answer_stops)
{
	struct middleware a = { &t_ops, NULL, name_a };
	struct middleware x = { &t_ops, NULL, name_x };
	struct middleware c = { &t_ops, NULL, name_c };
	struct middleware *mws[] = { &a, &x, &c };
	struct chain ch = { mws, 3, 0 };
	struct exchange_result res;

	run("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", &ch, 0, &res);
	/* x answered: c and the handler never ran; a and x are done. */
	ck_assert_str_eq(trace, "reqa reqx headx heada donex donea ");
	ck_assert_int_eq(res.status, 403);
	ck_assert_str_eq(strstr(res.out, "\r\n\r\n"), "\r\n\r\nno");
	ck_assert(res.keep);
}
END_TEST

START_TEST(chain_status_is_answered)
{
	struct middleware s = { &t_ops, NULL, name_s };
	struct middleware *mws[] = { &s };
	struct chain ch = { mws, 1, 0 };
	struct exchange_result res;

	run("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", &ch, 0, &res);
	ck_assert_int_eq(res.status, 429);
	ck_assert(
	    strncmp(res.out, "HTTP/1.1 429 Too Many Requests\r\n", 32) == 0);
	ck_assert_ptr_nonnull(strstr(res.out, "{\"status\":429,"));
	ck_assert_str_eq(trace, "reqs heads dones ");
}
END_TEST

START_TEST(body_filter_chunks)
{
	struct middleware f = { &t_filter_ops, NULL, name_f };
	struct middleware *mws[] = { &f };
	struct chain ch = { mws, 1, 1 };
	struct exchange_result res;

	run("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", &ch, 0, &res);
	/* The length may change: chunked instead of Content-Length. */
	ck_assert(has_line(res.out, "Transfer-Encoding: chunked"));
	ck_assert(strstr(res.out, "Content-Length") == NULL);
	ck_assert_str_eq(strstr(res.out, "\r\n\r\n"),
	    "\r\n\r\n1\r\n[\r\n2\r\n{}\r\n1\r\n]\r\n0\r\n\r\n");
	ck_assert(res.keep);
	/* A 1.0 client: the body ends with the connection. */
	run("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &ch, 0,
	    &res);
	ck_assert(has_line(res.out, "Connection: close"));
	ck_assert_str_eq(strstr(res.out, "\r\n\r\n"), "\r\n\r\n[{}]");
	ck_assert(!res.keep);
}
END_TEST

START_TEST(header_edit)
{
	static char hbuf[4096];
	static struct http_msg msg;
	struct client cl;
	struct request r;
	const char *v;
	size_t n;

	memset(&cl, 0, sizeof(cl));
	cl.srv = conf->servers[0];
	http_request_init(&msg, NULL);
	memset(&r, 0, sizeof(r));
	request_init(&r, &cl, &msg, hbuf, 0, hbuf, sizeof(hbuf));
	ck_assert_int_eq(response_start(&r, 200, NULL, 0), 0);
	ck_assert_int_eq(response_add_str(&r, "A", "1"), 0);
	ck_assert_int_eq(response_add_str(&r, "B", "2"), 0);
	ck_assert_int_eq(response_add_str(&r, "a", "3"), 0);
	ck_assert_int_eq(response_del(&r, "A"), 2);
	ck_assert_int_eq(response_set(&r, "C", "4"), 0);
	ck_assert_int_eq(r.resp.head.nfields, 2);
	v = response_get(&r, "b", &n);
	ck_assert(v != NULL && n == 1 && *v == '2');
	v = response_get(&r, "c", &n);
	ck_assert(v != NULL && n == 1 && *v == '4');
	ck_assert(response_get(&r, "a", &n) == NULL);
	ck_assert(strncmp(hbuf, "HTTP/1.1 200 OK\r\nB: 2\r\nC: 4\r\n",
	              r.resp.head_len) == 0);
}
END_TEST

/*
 * A Skipper wrapping the filter f and b, between a and c: its guards
 * stand where f and b would; a skipped request passes them untouched
 * (f not counted as a filter: Content-Length stays), an applied one
 * runs them as if listed there.
 */
START_TEST(skipper_guards)
{
	extern const struct kind skipper_conf_kind;
	static const char *const prefix[] = { "/healthz" };
	struct kind kt = { .middleware = &t_ops };
	struct kind kf = { .middleware = &t_filter_ops };
	struct conf_ware inner[] = { { &kf, name_f }, { &kt, name_b } };
	struct skipper_cond cond;
	struct skipper_conf_spec ss;
	struct conf_ware wa = { &kt, name_a }, ws = { &skipper_conf_kind, &ss },
	                 wc = { &kt, name_c };
	struct middleware **mws = NULL;
	struct chain ch;
	struct exchange_result res;
	size_t n = 0;
	char err[128];
	int e = 0;

	memset(&cond, 0, sizeof(cond));
	ck_assert_int_eq(mw_matcher_init(&cond.matcher, MATCH_PREFIX, prefix, 1,
	                     err, sizeof(err)),
	    0);
	cond.methods = 1u << HTTP_M_GET;
	memset(&ss, 0, sizeof(ss));
	ss.mws = inner;
	ss.nmws = 2;
	ss.conds = &cond;
	ss.nconds = 1;
	pipeline_chain_add(pl, &mws, &n, &wa, &e);
	pipeline_chain_add(pl, &mws, &n, &ws, &e);
	pipeline_chain_add(pl, &mws, &n, &wc, &e);
	ck_assert_int_eq(e, 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_ptr_eq(skipper_unwrap(mws[1])->inst, name_f);
	ck_assert_ptr_eq(skipper_unwrap(mws[3])->inst, name_c);
	ch.mws = mws;
	ch.nmws = n;
	ch.nfilters = 1;

	run("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", &ch, 0, &res);
	ck_assert_str_eq(trace, "reqa reqc headc heada donec donea ");
	ck_assert(has_line(res.out, "Content-Length: 2"));
	ck_assert_str_eq(strstr(res.out, "\r\n\r\n"), "\r\n\r\n{}");
	ck_assert(!has_line(res.out, "X-Mw: b"));

	/* POST is not listed: applied */
	trace[0] = '\0';
	run("POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
	    &ch, 0, &res);
	ck_assert_str_eq(trace,
	    "reqa reqf reqb reqc headc headb headf heada "
	    "donec doneb donef donea ");
	ck_assert(has_line(res.out, "X-Mw: b"));
	ck_assert(has_line(res.out, "Transfer-Encoding: chunked"));
	ck_assert_str_eq(strstr(res.out, "\r\n\r\n"),
	    "\r\n\r\n1\r\n[\r\n2\r\n{}\r\n1\r\n]\r\n0\r\n\r\n");

	/* the same connection's next request decides again */
	trace[0] = '\0';
	run("GET /healthz/x HTTP/1.1\r\nHost: a\r\n\r\n", &ch, 0, &res);
	ck_assert_str_eq(trace, "reqa reqc headc heada donec donea ");
	mw_matcher_reset(&cond.matcher);
}
END_TEST

static Suite *
pipeline_suite(void)
{
	Suite *s = suite_create("pipeline");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, keep_alive_decisions);
	tcase_add_test(tc, writer_head_and_body);
	tcase_add_test(tc, chain_order);
	tcase_add_test(tc, chain_answer_stops);
	tcase_add_test(tc, chain_status_is_answered);
	tcase_add_test(tc, body_filter_chunks);
	tcase_add_test(tc, header_edit);
	tcase_add_test(tc, skipper_guards);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pipeline_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
