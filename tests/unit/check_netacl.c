/* Check unit tests for client network allow-lists (listenConfig.networks). */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "netacl.h"

/* Parsing: what is accepted, what is refused. */
static const struct {
	const char *s;
	int ok;
	unsigned bits; /* over the 128-bit form */
} parse_cases[] = {
	{ "192.168.0.1/32", 1, 128 },
	{ "10.0.0.0/8", 1, 104 },
	{ "0.0.0.0/0", 1, 96 },
	{ "127.0.0.1", 1, 128 },
	{ "::1", 1, 128 },
	{ "::/0", 1, 0 },
	{ "2001:db8::/32", 1, 32 },
	{ "10.0.0.0/33", 0, 0 },
	{ "::/129", 0, 0 },
	{ "10.0.0.0/", 0, 0 },
	{ "10.0.0.0/-1", 0, 0 },
	{ "10.0.0.0/8x", 0, 0 },
	{ "10.0.0/8", 0, 0 },
	{ "example.com/8", 0, 0 },
	{ "/8", 0, 0 },
	{ "", 0, 0 },
};

START_TEST(test_parse)
{
	struct netacl_net n;
	const char *why = netacl_parse(parse_cases[_i].s, &n);

	if (!parse_cases[_i].ok) {
		ck_assert_ptr_nonnull(why);
		return;
	}
	ck_assert_ptr_null(why);
	ck_assert_uint_eq(n.bits, parse_cases[_i].bits);
}
END_TEST

/* Matching: networks, client address, allowed. */
static const struct {
	const char *nets[3];
	const char *client;
	int allowed;
} match_cases[] = {
	{ { NULL }, "203.0.113.9", 1 },
	{ { "192.168.0.1/32" }, "127.0.0.1", 0 },
	{ { "192.168.0.1/32" }, "192.168.0.1", 1 },
	{ { "192.168.0.0/24" }, "192.168.0.254", 1 },
	{ { "192.168.0.0/24" }, "192.168.1.1", 0 },
	{ { "127.0.0.0/8" }, "127.1.2.3", 1 },
	{ { "127.0.0.0/8" }, "::ffff:127.0.0.1", 1 },
	{ { "10.0.0.0/9" }, "10.127.255.255", 1 },
	{ { "10.0.0.0/9" }, "10.128.0.0", 0 },
	{ { "::1" }, "::1", 1 },
	{ { "::1" }, "127.0.0.1", 0 },
	{ { "2001:db8::/32" }, "2001:db8:ffff::1", 1 },
	{ { "2001:db8::/32" }, "2001:db9::1", 0 },
	{ { "0.0.0.0/0" }, "198.51.100.1", 1 },
	{ { "0.0.0.0/0" }, "::1", 0 },
	{ { "10.0.0.0/8", "::1", "192.0.2.0/24" }, "192.0.2.77", 1 },
	{ { "10.0.0.0/8", "::1", "192.0.2.0/24" }, "::1", 1 },
	{ { "10.0.0.0/8", "::1", "192.0.2.0/24" }, "192.0.3.1", 0 },
};

/* Fill ss with a numeric address of either family. */
static const struct sockaddr *
make_addr(const char *ip, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1)
		s4->sin_family = AF_INET;
	else {
		ck_assert_int_eq(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
	}
	return (const struct sockaddr *)ss;
}

START_TEST(test_allows)
{
	struct netacl_net nets[3];
	struct netacl acl = { nets, 0 };
	struct sockaddr_storage ss;
	size_t i;

	for (i = 0; i < 3 && match_cases[_i].nets[i] != NULL; i++)
		ck_assert_ptr_null(
		    netacl_parse(match_cases[_i].nets[i], &nets[acl.nnets++]));
	ck_assert_int_eq(
	    netacl_allows(&acl, make_addr(match_cases[_i].client, &ss)),
	    match_cases[_i].allowed);
}
END_TEST

/* A Unix-socket peer is refused by a non-empty list, allowed by none. */
START_TEST(test_unix_peer)
{
	struct netacl_net n;
	struct netacl acl = { &n, 1 };
	struct sockaddr_un un;

	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	ck_assert_ptr_null(netacl_parse("0.0.0.0/0", &n));
	ck_assert_int_eq(netacl_allows(&acl, (struct sockaddr *)&un), 0);
	acl.nnets = 0;
	ck_assert_int_eq(netacl_allows(&acl, (struct sockaddr *)&un), 1);
	ck_assert_int_eq(netacl_allows(NULL, (struct sockaddr *)&un), 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("netacl");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_parse, 0,
	    (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
	tcase_add_loop_test(tc, test_allows, 0,
	    (int)(sizeof(match_cases) / sizeof(match_cases[0])));
	tcase_add_test(tc, test_unix_peer);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
