/* Unit tests: labelled counters in shared memory and their exposition. */
#include <sys/wait.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prommeter.h"
#include "promvec.h"

/* PrometheusMeter's labels, in AILERON's order of use. */
static const char *const labels[] = { "host", "path", "code", "method" };

/* Count one request. */
static int
count(struct promvec *v, const char *host, const char *path, const char *code,
    const char *method)
{
	struct promvec_val vals[4] = { { host, strlen(host) },
		{ path, strlen(path) }, { code, strlen(code) },
		{ method, strlen(method) } };

	return promvec_add(v, vals, 1);
}

/* The exposition text of v, malloc'd. */
static char *
text(const struct promvec *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(promvec_write(v, f, "http_requests_total",
	                     "Total number of received http requests"),
	    0);
	fclose(f);
	return buf;
}

/* AILERON's test: 5 GET /get and 5 POST /post on host metrics.com. */
START_TEST(aileron_counts)
{
	struct promvec *v = promvec_new(labels, 4, 64);
	char *t;
	int i;

	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(
		    count(v, "metrics.com", "/post", "200", "POST"), 0);
		ck_assert_int_eq(
		    count(v, "metrics.com", "/get", "200", "GET"), 0);
	}
	t = text(v);
	ck_assert_str_eq(t,
	    "# HELP http_requests_total Total number of received http "
	    "requests\n"
	    "# TYPE http_requests_total counter\n"
	    "http_requests_total{code=\"200\",host=\"metrics.com\","
	    "method=\"GET\",path=\"/get\"} 5\n"
	    "http_requests_total{code=\"200\",host=\"metrics.com\","
	    "method=\"POST\",path=\"/post\"} 5\n");
	ck_assert_uint_eq(promvec_series(v), 2);
	free(t);
	promvec_free(v);
}
END_TEST

/* Series sorted by values in label-name order; values escaped. */
START_TEST(sorted_and_escaped)
{
	static const struct {
		const char *host, *path, *code, *method;
	} incs[] = {
		{ "b:80", "/x", "200", "GET" },
		{ "a:80", "/x", "404", "GET" },
		{ "a:80", "/x", "200", "GET" },
		{ "a:80", "/y", "200", "GET" },
		{ "a:80", "/x", "0", "GET" },
		{ "a:80", "/x\"q\\\n\001", "200", "GET" },
		{ "a:80", "", "200", "GET" },
		{ "a:80", "/x", "200", "GET" },
	};
	struct promvec *v = promvec_new(labels, 4, 16);
	size_t i;
	char *t;

	for (i = 0; i < sizeof(incs) / sizeof(incs[0]); i++)
		count(v, incs[i].host, incs[i].path, incs[i].code,
		    incs[i].method);
	t = text(v);
	ck_assert_str_eq(t,
	    "# HELP http_requests_total Total number of received http "
	    "requests\n"
	    "# TYPE http_requests_total counter\n"
	    "http_requests_total{code=\"0\",host=\"a:80\",method=\"GET\","
	    "path=\"/x\"} 1\n"
	    "http_requests_total{code=\"200\",host=\"a:80\",method=\"GET\","
	    "path=\"\"} 1\n"
	    "http_requests_total{code=\"200\",host=\"a:80\",method=\"GET\","
	    "path=\"/x\"} 2\n"
	    "http_requests_total{code=\"200\",host=\"a:80\",method=\"GET\","
	    "path=\"/x\\\"q\\\\\\n?\"} 1\n"
	    "http_requests_total{code=\"200\",host=\"a:80\",method=\"GET\","
	    "path=\"/y\"} 1\n"
	    "http_requests_total{code=\"200\",host=\"b:80\",method=\"GET\","
	    "path=\"/x\"} 1\n"
	    "http_requests_total{code=\"404\",host=\"a:80\",method=\"GET\","
	    "path=\"/x\"} 1\n");
	free(t);
	promvec_free(v);
}
END_TEST

/* No series: no family at all, as client_golang does. */
START_TEST(empty_writes_nothing)
{
	struct promvec *v = promvec_new(labels, 4, 4);
	char *t = text(v);

	ck_assert_str_eq(t, "");
	free(t);
	promvec_free(v);
}
END_TEST

/* A full table, or values too long: counted as dropped, never grown. */
START_TEST(bounded)
{
	struct promvec *v = promvec_new(labels, 4, 3);
	char path[16], *longp = malloc(PROMVEC_KEY + 1);
	int i;

	for (i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "/p%d", i);
		ck_assert_int_eq(
		    count(v, "h", path, "200", "GET"), i < 3 ? 0 : -1);
	}
	/* a known series still counts */
	ck_assert_int_eq(count(v, "h", "/p0", "200", "GET"), 0);
	ck_assert_uint_eq(promvec_series(v), 3);
	ck_assert_uint_eq(promvec_dropped(v), 2);
	promvec_free(v);

	v = promvec_new(labels, 4, 3);
	memset(longp, 'a', PROMVEC_KEY);
	longp[PROMVEC_KEY] = '\0';
	ck_assert_int_eq(count(v, "h", longp, "200", "GET"), -1);
	longp[PROMVEC_KEY - 2 * 4 - 1 - 1 - 3 - 3] = '\0'; /* just fits */
	ck_assert_int_eq(count(v, "h", longp, "200", "GET"), 0);
	ck_assert_uint_eq(promvec_dropped(v), 1);
	free(longp);
	promvec_free(v);
	ck_assert_ptr_null(promvec_new(labels, 0, 3));
	ck_assert_ptr_null(promvec_new(labels, 4, 0));
	promvec_free(NULL);
}
END_TEST

/* Two processes count into one table: the sums are the server's. */
START_TEST(across_fork)
{
	struct promvec *v = promvec_new(labels, 4, 256);
	char path[16], *t, line[128];
	int i, status, c;
	pid_t pid;

	pid = fork();
	ck_assert_int_ne(pid, -1);
	c = pid == 0 ? 1 : 2;
	for (i = 0; i < 20000; i++) {
		snprintf(path, sizeof(path), "/p%d", i % 100);
		count(v, "h", path, "200", "GET");
		snprintf(path, sizeof(path), "/only%d", c);
		count(v, "h", path, "200", "GET");
	}
	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_uint_eq(promvec_series(v), 102);
	ck_assert_uint_eq(promvec_dropped(v), 0);
	t = text(v);
	ck_assert_ptr_nonnull(strstr(t, "method=\"GET\",path=\"/p7\"} 400\n"));
	ck_assert_ptr_nonnull(
	    strstr(t, "method=\"GET\",path=\"/only1\"} 20000\n"));
	ck_assert_ptr_nonnull(
	    strstr(t, "method=\"GET\",path=\"/only2\"} 20000\n"));
	/* each series once */
	snprintf(line, sizeof(line), "path=\"/p42\"}");
	ck_assert_ptr_null(strstr(strstr(t, line) + 1, line));
	free(t);
	promvec_free(v);
}
END_TEST

/* The meter's families, in client_golang's order, from any of its users. */
START_TEST(meter_write)
{
	static const char want[] =
	    "# HELP http_client_requests_total Total number of sent http "
	    "requests\n"
	    "# TYPE http_client_requests_total counter\n"
	    "http_client_requests_total{code=\"0\",host=\"127.0.0.1:9\","
	    "method=\"GET\",path=\"/get\"} 1\n"
	    "http_client_requests_total{code=\"200\",host=\"127.0.0.1:8\","
	    "method=\"GET\",path=\"/get\"} 5\n"
	    "# HELP http_requests_total Total number of received http "
	    "requests\n"
	    "# TYPE http_requests_total counter\n"
	    "http_requests_total{code=\"200\",host=\"metrics.com\","
	    "method=\"GET\",path=\"/get\"} 5\n"
	    "# HELP promhttp_metric_handler_requests_in_flight Current number "
	    "of scrapes being served.\n"
	    "# TYPE promhttp_metric_handler_requests_in_flight gauge\n"
	    "promhttp_metric_handler_requests_in_flight 1\n"
	    "# HELP promhttp_metric_handler_requests_total Total number of "
	    "scrapes by HTTP status code.\n"
	    "# TYPE promhttp_metric_handler_requests_total counter\n"
	    "promhttp_metric_handler_requests_total{code=\"200\"} 1\n"
	    "promhttp_metric_handler_requests_total{code=\"500\"} 0\n"
	    "promhttp_metric_handler_requests_total{code=\"503\"} 0\n";
	static int key, other;
	struct prommeter *mw = prommeter_get(&key), *h = prommeter_get(&key);
	struct prommeter *o = prommeter_get(&other);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int i;

	ck_assert_ptr_eq(mw, h); /* one meter per config object */
	ck_assert_ptr_ne(mw, o);
	for (i = 0; i < 5; i++) {
		prommeter_count_request(
		    mw, "metrics.com", 11, "/get", 4, 200, "GET", 3);
		prommeter_count_client(
		    mw, "127.0.0.1:8", 11, "/get", 4, 200, "GET", 3);
	}
	prommeter_count_client(mw, "127.0.0.1:9", 11, "/get", 4, 0, "GET", 3);
	prommeter_scrape_begin(h);
	prommeter_scrape_end(h, 200);
	prommeter_scrape_begin(h);
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(prommeter_write(h, f), 0);
	fclose(f);
	ck_assert_str_eq(buf, want);
	free(buf);
	prommeter_scrape_end(h, 200);
	prommeter_put(mw);
	prommeter_put(h);
	prommeter_put(o);
	/* the last user freed it: a new one starts from zero */
	mw = prommeter_get(&key);
	buf = NULL;
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(prommeter_write(mw, f), 0);
	fclose(f);
	ck_assert_ptr_null(strstr(buf, "http_requests_total{"));
	free(buf);
	prommeter_put(mw);
	prommeter_put(NULL);
}
END_TEST

static Suite *
promvec_suite(void)
{
	Suite *s = suite_create("promvec");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, aileron_counts);
	tcase_add_test(tc, sorted_and_escaped);
	tcase_add_test(tc, empty_writes_nothing);
	tcase_add_test(tc, bounded);
	tcase_add_test(tc, across_fork);
	tcase_add_test(tc, meter_write);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(promvec_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
