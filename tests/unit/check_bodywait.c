/* Unit tests: request bodies gathered while parked (bodywait.c), whole and byte by byte. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bodywait.h"

#define H "POST / HTTP/1.1\r\nHost: a\r\n"

/*
 * A request (head and what arrived of its body), the buffer's room for
 * the body, and what bodywait_read must answer: DONE (a worker takes it)
 * with len bytes in the buffer, or AGAIN (park).
 */
static const struct {
	const char *name, *raw;
	size_t room;
	int want;
	size_t len; /* bytes taken (0: all of raw) */
} cases[] = {
	{ "no body", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 64, HTTP_PARSE_DONE,
	    0 },
	{ "length, complete", H "Content-Length: 3\r\n\r\nabc", 64,
	    HTTP_PARSE_DONE, 0 },
	{ "length, partial", H "Content-Length: 3\r\n\r\nab", 64,
	    HTTP_PARSE_AGAIN, 0 },
	{ "length, nothing yet", H "Content-Length: 3\r\n\r\n", 64,
	    HTTP_PARSE_AGAIN, 0 },
	{ "length, pipelined bytes stay unread",
	    H "Content-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n", 64,
	    HTTP_PARSE_DONE, sizeof(H "Content-Length: 3\r\n\r\nabc") - 1 },
	{ "length, room full", H "Content-Length: 10\r\n\r\nabcd", 4,
	    HTTP_PARSE_DONE, 0 },
	{ "chunked, complete",
	    H "Transfer-Encoding: chunked\r\n\r\n"
	      "3\r\nabc\r\n0\r\n\r\n",
	    64, HTTP_PARSE_DONE, 0 },
	{ "chunked, no last chunk",
	    H "Transfer-Encoding: chunked\r\n\r\n"
	      "3\r\nabc\r\n",
	    64, HTTP_PARSE_AGAIN, 0 },
	{ "chunked, no final CRLF",
	    H "Transfer-Encoding: chunked\r\n\r\n"
	      "3\r\nabc\r\n0\r\n",
	    64, HTTP_PARSE_AGAIN, 0 },
	{ "chunked, bad framing: the request path reports it",
	    H "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nz", 64,
	    HTTP_PARSE_DONE, 0 },
	{ "expect 100-continue, nothing yet: a worker takes it (no 100)",
	    H "Expect: 100-continue\r\nContent-Length: 3\r\n\r\n", 64,
	    HTTP_PARSE_DONE, 0 },
	{ "expect 100-continue, part of the body came anyway: parked",
	    H "Expect: 100-continue\r\nContent-Length: 3\r\n\r\nab", 64,
	    HTTP_PARSE_AGAIN, 0 },
	{ "expect 100-continue with the body: no 100",
	    H "Expect: 100-continue\r\nContent-Length: 3\r\n\r\nabc", 64,
	    HTTP_PARSE_DONE, 0 },
};

/* Run case i, feeding its body bytes whole or one at a time. */
static void
run_case(size_t i, int trickle)
{
	const char *raw = cases[i].raw;
	size_t n = strlen(raw), len, sent, want_len;
	struct http_msg m;
	struct bodywait bw;
	struct io io;
	char buf[256];
	int sv[2], rc = HTTP_PARSE_AGAIN;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	io.fd = sv[0];
	io.ssl = NULL;
	http_request_init(&m, NULL);
	/* The head is in the buffer, as the worker found it. */
	for (len = 1; len <= n; len++)
		if ((rc = http_parse_request(&m, raw, len)) != HTTP_PARSE_AGAIN)
			break;
	ck_assert_msg(rc == HTTP_PARSE_DONE, "%s: head", cases[i].name);
	len = m.head_len;
	memcpy(buf, raw, len);
	memset(&bw, 0, sizeof(bw));
	sent = len;
	do {
		size_t k = trickle ? 1 : n - sent;

		if (sent < n) {
			ck_assert_int_eq(
			    write(sv[1], raw + sent, k), (ssize_t)k);
			sent += k;
		}
		rc = bodywait_read(
		    &bw, &io, &m, buf, &len, m.head_len + cases[i].room, 0);
	} while (rc == HTTP_PARSE_AGAIN && sent < n);
	want_len = cases[i].len != 0 ? cases[i].len : n;
	if (cases[i].want == HTTP_PARSE_DONE && cases[i].room < n - m.head_len)
		want_len = m.head_len + cases[i].room;
	ck_assert_msg(rc == cases[i].want, "%s (trickle %d): %d", cases[i].name,
	    trickle, rc);
	if (rc == HTTP_PARSE_DONE)
		ck_assert_msg(len == want_len, "%s (trickle %d): len %zu",
		    cases[i].name, trickle, len);
	ck_assert(memcmp(buf, raw, len) == 0);
	/* Nothing is ever written to the client ("100 Continue" included). */
	ck_assert_int_eq(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), -1);
	close(sv[0]);
	close(sv[1]);
}

START_TEST(table_whole)
{
	run_case((size_t)_i, 0);
}
END_TEST

START_TEST(table_trickled)
{
	run_case((size_t)_i, 1);
}
END_TEST

/* A client that goes away mid-body: close, never park. */
START_TEST(client_gone)
{
	static const char raw[] = H "Content-Length: 5\r\n\r\nab";
	struct http_msg m;
	struct bodywait bw;
	struct io io;
	char buf[128];
	size_t len;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	io.fd = sv[0];
	io.ssl = NULL;
	http_request_init(&m, NULL);
	ck_assert_int_eq(
	    http_parse_request(&m, raw, sizeof(raw) - 1), HTTP_PARSE_DONE);
	memcpy(buf, raw, sizeof(raw) - 1);
	len = sizeof(raw) - 1;
	memset(&bw, 0, sizeof(bw));
	close(sv[1]);
	ck_assert_int_eq(
	    bodywait_read(&bw, &io, &m, buf, &len, sizeof(buf), 0), -1);
	close(sv[0]);
}
END_TEST

static Suite *
bodywait_suite(void)
{
	Suite *s = suite_create("bodywait");
	TCase *tc = tcase_create("core");
	int n = (int)(sizeof(cases) / sizeof(cases[0]));

	tcase_add_loop_test(tc, table_whole, 0, n);
	tcase_add_loop_test(tc, table_trickled, 0, n);
	tcase_add_test(tc, client_gone);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(bodywait_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
