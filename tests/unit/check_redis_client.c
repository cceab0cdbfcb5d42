/* Unit tests: RedisClient's addresses, reply checks and SET arguments. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "redis_client.h"

static const struct {
	const char *in;
	const char *host; /* NULL: refused */
	int port;
} addrs[] = {
	{ "localhost:6379", "localhost", 6379 },
	{ "127.0.0.1:1", "127.0.0.1", 1 },
	{ "redis.example.com", "redis.example.com", 6379 },
	{ "[::1]:7000", "::1", 7000 },
	{ "h:65535", "h", 65535 },
	{ "h:0", NULL, 0 },
	{ "h:65536", NULL, 0 },
	{ "h:123456", NULL, 0 },
	{ "h:6x", NULL, 0 },
	{ "h:", NULL, 0 },
	{ ":6379", NULL, 0 },
	{ "", NULL, 0 },
};

START_TEST(split_addr)
{
	char host[64];
	int port = -1;
	const char *why;

	why = redis_client_split_addr(addrs[_i].in, host, sizeof(host), &port);
	if (addrs[_i].host == NULL) {
		ck_assert_msg(why != NULL, "%s accepted", addrs[_i].in);
		return;
	}
	ck_assert_msg(why == NULL, "%s: %s", addrs[_i].in, why);
	ck_assert_str_eq(host, addrs[_i].host);
	ck_assert_int_eq(port, addrs[_i].port);
}
END_TEST

START_TEST(split_addr_long_host)
{
	char host[8];
	int port;

	ck_assert_ptr_nonnull(
	    redis_client_split_addr("abcdefgh:1", host, sizeof(host), &port));
	ck_assert_ptr_null(
	    redis_client_split_addr("abcdefg:1", host, sizeof(host), &port));
}
END_TEST

/* A reply as hiredis builds it. */
static redisReply
reply(int type, const char *str, long long integer)
{
	redisReply r;

	memset(&r, 0, sizeof(r));
	r.type = type;
	r.integer = integer;
	if (str != NULL) {
		r.str = (char *)(uintptr_t)str;
		r.len = strlen(str);
	}
	return r;
}

START_TEST(replies)
{
	char err[64];
	redisReply r;

	r = reply(REDIS_REPLY_STRING, "data", 0);
	ck_assert_int_eq(
	    redis_client_reply(&r, REDIS_REPLY_STRING, err, sizeof(err)), 1);
	r = reply(REDIS_REPLY_NIL, NULL, 0);
	ck_assert_int_eq(
	    redis_client_reply(&r, REDIS_REPLY_STRING, err, sizeof(err)), 0);
	r = reply(REDIS_REPLY_STATUS, "OK", 0);
	ck_assert_int_eq(
	    redis_client_reply(&r, REDIS_REPLY_STATUS, err, sizeof(err)), 0);
	r = reply(REDIS_REPLY_INTEGER, NULL, 1);
	ck_assert_int_eq(
	    redis_client_reply(&r, REDIS_REPLY_INTEGER, err, sizeof(err)), 0);
	/* errors: the server's message, cut to the buffer */
	r = reply(
	    REDIS_REPLY_ERROR, "WRONGPASS invalid username-password pair", 0);
	ck_assert_int_eq(
	    redis_client_reply(&r, REDIS_REPLY_STATUS, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "WRONGPASS invalid username-password pair");
	r = reply(REDIS_REPLY_ERROR, "NOAUTH Authentication required.", 0);
	ck_assert_int_eq(
	    redis_client_reply(&r, REDIS_REPLY_STRING, err, 7), -1);
	ck_assert_str_eq(err, "NOAUTH");
	/* what the command does not answer */
	r = reply(REDIS_REPLY_STATUS, "QUEUED", 0);
	ck_assert_int_eq(
	    redis_client_reply(&r, REDIS_REPLY_STATUS, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "unexpected reply (type 5)");
	r = reply(REDIS_REPLY_ARRAY, NULL, 0);
	ck_assert_int_eq(
	    redis_client_reply(&r, REDIS_REPLY_STRING, err, sizeof(err)), -1);
	r = reply(REDIS_REPLY_INTEGER, NULL, 1);
	ck_assert_int_eq(
	    redis_client_reply(&r, REDIS_REPLY_STRING, err, sizeof(err)), -1);
	r = reply(REDIS_REPLY_NIL, NULL, 0);
	ck_assert_int_eq(
	    redis_client_reply(&r, REDIS_REPLY_STATUS, err, sizeof(err)), -1);
}
END_TEST

START_TEST(set_args)
{
	const char *argv[5];
	size_t argl[5];
	char num[24];

	ck_assert_int_eq(
	    redis_client_set_args("k", 1, "v\0w", 3, 0, num, argv, argl), 3);
	ck_assert_str_eq(argv[0], "SET");
	ck_assert_uint_eq(argl[2], 3);
	ck_assert_int_eq(memcmp(argv[2], "v\0w", 3), 0);
	ck_assert_int_eq(
	    redis_client_set_args("k", 1, "v", 1, 1500, num, argv, argl), 5);
	ck_assert_str_eq(argv[3], "PX");
	ck_assert_str_eq(argv[4], "1500");
	ck_assert_uint_eq(argl[4], 4);
	ck_assert_int_eq(
	    redis_client_set_args("k", 1, "v", 1, -1, num, argv, argl), 4);
	ck_assert_str_eq(argv[3], "KEEPTTL");
	ck_assert_uint_eq(argl[3], 7);
}
END_TEST

static Suite *
redis_client_suite(void)
{
	Suite *s = suite_create("redis_client");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(
	    tc, split_addr, 0, sizeof(addrs) / sizeof(addrs[0]));
	tcase_add_test(tc, split_addr_long_host);
	tcase_add_test(tc, replies);
	tcase_add_test(tc, set_args);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(redis_client_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
