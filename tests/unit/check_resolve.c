/* Unit tests: names to addresses, the dial timeout's shares, dialing addresses in turn (resolve.c). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "resolve.h"

/* A dial's timeout over several addresses, as Go's dialer shares it. */
static const struct {
	int64_t now, deadline;
	size_t left;
	int64_t want;
} shares[] = {
	{ 0, 5000, 1, 5000 },    /* the last address: all that is left */
	{ 0, 5000, 2, 2500 },    /* an equal share */
	{ 2500, 5000, 1, 5000 }, /* (the first failed at once: more) */
	{ 0, 10000, 8, 2000 },   /* at least 2 s ... */
	{ 0, 1500, 2, 1500 },    /* ... or all of it when less */
	{ 1000, 3000, 3, 3000 }, { 0, 9000, 3, 3000 },
	{ 6000, 5000, 2, 5000 }, /* already past: the deadline */
};

START_TEST(dial_share)
{
	ck_assert_int_eq(
	    resolve_share(shares[_i].now, shares[_i].deadline, shares[_i].left),
	    shares[_i].want);
}
END_TEST

START_TEST(literals)
{
	struct resolved r;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&r.ss[0];
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&r.ss[0];

	ck_assert_ptr_null(resolve_host("127.0.0.1", "8080", &r));
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(sin->sin_family, AF_INET);
	ck_assert_int_eq(ntohs(sin->sin_port), 8080);
	ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), INADDR_LOOPBACK);
	ck_assert_ptr_null(resolve_host("::1", "443", &r));
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(sin6->sin6_family, AF_INET6);
	ck_assert_int_eq(ntohs(sin6->sin6_port), 443);
	ck_assert(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
}
END_TEST

/* localhost comes from /etc/hosts (no DNS): 127.0.0.1 among its addresses. */
START_TEST(hosts_name)
{
	struct resolved r;
	size_t i, v4 = 0;

	ck_assert_ptr_null(resolve_host("localhost", "80", &r));
	ck_assert_uint_ge(r.n, 1);
	ck_assert_uint_le(r.n, RESOLVE_ADDRS_MAX);
	for (i = 0; i < r.n; i++) {
		const struct sockaddr_in *sin =
		    (const struct sockaddr_in *)&r.ss[i];

		if (sin->sin_family == AF_INET &&
		    ntohl(sin->sin_addr.s_addr) == INADDR_LOOPBACK)
			v4++;
	}
	ck_assert_uint_eq(v4, 1);
}
END_TEST

/* A loopback port: listening (backlog 4) or, with listening 0, closed. */
static int
loopback_port(int listening, int *fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(s, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	if (listening) {
		ck_assert_int_eq(listen(s, 4), 0);
		*fd = s;
	} else {
		close(s); /* bound, never listened: the port refuses */
	}
	return ntohs(sin.sin_port);
}

static void
add_addr(struct resolved *r, int port)
{
	char p[8];
	struct resolved one;

	snprintf(p, sizeof(p), "%d", port);
	ck_assert_ptr_null(resolve_host("127.0.0.1", p, &one));
	r->ss[r->n] = one.ss[0];
	r->len[r->n++] = one.len[0];
}

/* The first address refuses: the second is dialed, the first's failure told. */
START_TEST(dial_in_turn)
{
	struct resolved r = { 0 };
	char why[256], want[64];
	int ls, fd, closed = loopback_port(0, NULL);

	add_addr(&r, closed);
	add_addr(&r, loopback_port(1, &ls));
	fd = resolve_dial(&r, conn_deadline(5000), why, sizeof(why));
	ck_assert_int_ge(fd, 0);
	snprintf(want, sizeof(want), "127.0.0.1:%d: %s", closed,
	    strerror(ECONNREFUSED));
	ck_assert_str_eq(why, want);
	close(fd);
	close(ls);
}
END_TEST

/* Every address refuses: -1, errno from the last, each one in why. */
START_TEST(dial_all_fail)
{
	struct resolved r = { 0 };
	char why[256];
	int a = loopback_port(0, NULL), b = loopback_port(0, NULL);

	add_addr(&r, a);
	add_addr(&r, b);
	errno = 0;
	ck_assert_int_eq(resolve_dial(&r, conn_deadline(5000), why, 12), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	ck_assert_uint_eq(strlen(why), 11); /* cut at its size */
	ck_assert_int_eq(
	    resolve_dial(&r, conn_deadline(5000), why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "; 127.0.0.1:"));
	/* one address: its errno only, no list */
	r.n = 1;
	ck_assert_int_eq(resolve_dial(&r, 0, why, sizeof(why)), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	ck_assert_str_eq(why, "");
}
END_TEST

static Suite *
resolve_suite(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(
	    tc, dial_share, 0, sizeof(shares) / sizeof(shares[0]));
	tcase_add_test(tc, literals);
	tcase_add_test(tc, hosts_name);
	tcase_add_test(tc, dial_in_turn);
	tcase_add_test(tc, dial_all_fail);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(resolve_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
