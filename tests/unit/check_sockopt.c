/* Check unit tests for AILERON's SockOption fields applied to real sockets. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "sockopt.h"

/* Every documented field is known; unknown ones and wrong groups are not. */
START_TEST(test_find)
{
	static const char *known[][2] = {
		{ "soOption", "keepAlive" },
		{ "soOption", "bindToDevice" },
		{ "soOption", "sendBufferForce" },
		{ "ipOption", "ttl" },
		{ "ipOption", "localPortRangeLower" },
		{ "tcpOption", "noDelay" },
		{ "tcpOption", "fastOpenConnect" },
		{ "udpOption", "gro" },
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		ck_assert_ptr_nonnull(sockopt_find(known[i][0], known[i][1]));
	ck_assert_ptr_null(sockopt_find("soOption", "noDelay"));
	ck_assert_ptr_null(sockopt_find("tcpOption", "nodelay"));
	ck_assert_ptr_null(sockopt_find("ipv6Option", "ttl"));
}
END_TEST

/* AILERON ignores false, zero, negative and empty values. */
START_TEST(test_is_set)
{
	const struct sockopt_def *b = sockopt_find("tcpOption", "noDelay");
	const struct sockopt_def *n = sockopt_find("ipOption", "ttl");
	const struct sockopt_def *s = sockopt_find("soOption", "bindToDevice");
	const struct sockopt_def *u = sockopt_find("udpOption", "cork");

	ck_assert_int_eq(sockopt_is_set(b, 1, NULL), 1);
	ck_assert_int_eq(sockopt_is_set(b, 0, NULL), 0);
	ck_assert_int_eq(sockopt_is_set(n, 64, NULL), 1);
	ck_assert_int_eq(sockopt_is_set(n, -1, NULL), 0);
	ck_assert_int_eq(sockopt_is_set(s, 0, "lo"), 1);
	ck_assert_int_eq(sockopt_is_set(s, 0, ""), 0);
	ck_assert_int_eq(sockopt_is_set(u, 1, NULL), 0);
}
END_TEST

/* Read an int option back. */
static int
get_int(int fd, int level, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);

	ck_assert_int_eq(getsockopt(fd, level, opt, &v, &len), 0);
	return v;
}

/* Options land on a TCP socket with the values given. */
START_TEST(test_apply_tcp)
{
	struct sockopt_val v[] = {
		{ sockopt_find("soOption", "keepAlive"), 1, NULL },
		{ sockopt_find("soOption", "linger"), 7, NULL },
		{ sockopt_find("soOption", "receiveTimeout"), 1500, NULL },
		{ sockopt_find("ipOption", "ttl"), 33, NULL },
		{ sockopt_find("tcpOption", "noDelay"), 1, NULL },
		{ sockopt_find("tcpOption", "keepIdle"), 42, NULL },
		{ sockopt_find("ipOption", "localPortRangeLower"), 40000,
		    NULL },
		{ sockopt_find("ipOption", "localPortRangeUpper"), 40100,
		    NULL },
	};
	struct sockopt_set set = { v, sizeof(v) / sizeof(v[0]) };
	const struct sockopt_def *failed = NULL;
	struct linger lg;
	struct timeval tv;
	socklen_t len;
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(sockopt_apply(fd, AF_INET6, &set, &failed), 0);
	ck_assert_int_eq(get_int(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
	ck_assert_int_eq(get_int(fd, IPPROTO_IP, IP_TTL), 33);
	ck_assert_int_eq(get_int(fd, IPPROTO_TCP, TCP_NODELAY), 1);
	ck_assert_int_eq(get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE), 42);
	len = sizeof(lg);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len), 0);
	ck_assert_int_eq(lg.l_onoff, 1);
	ck_assert_int_eq(lg.l_linger, 7);
	len = sizeof(tv);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len), 0);
	ck_assert_int_eq(tv.tv_sec, 1);
	ck_assert_int_eq(tv.tv_usec, 500000);
	close(fd);
}
END_TEST

/* A Unix socket takes soOption only; TCP options are skipped. */
START_TEST(test_apply_unix)
{
	struct sockopt_val v[] = {
		{ sockopt_find("tcpOption", "noDelay"), 1, NULL },
		{ sockopt_find("soOption", "sendBuffer"), 65536, NULL },
	};
	struct sockopt_set set = { v, 2 };
	const struct sockopt_def *failed = NULL;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(sockopt_apply(fd, AF_UNIX, &set, &failed), 0);
	ck_assert_int_ge(get_int(fd, SOL_SOCKET, SO_SNDBUF), 65536);
	close(fd);
}
END_TEST

/* A failing option is named. */
START_TEST(test_apply_fails)
{
	struct sockopt_val v[] = {
		{ sockopt_find("tcpOption", "noDelay"), 1, NULL },
		{ sockopt_find("soOption", "bindToDevice"), 0,
		    "no-such-device0" },
	};
	struct sockopt_set set = { v, 2 };
	const struct sockopt_def *failed = NULL;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(sockopt_apply(fd, AF_INET, &set, &failed), -1);
	ck_assert_ptr_nonnull(failed);
	ck_assert_str_eq(failed->name, "bindToDevice");
	close(fd);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sockopt");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_is_set);
	tcase_add_test(tc, test_apply_tcp);
	tcase_add_test(tc, test_apply_unix);
	tcase_add_test(tc, test_apply_fails);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
