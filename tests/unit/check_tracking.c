/* Unit tests: TrackingMiddleware IDs (format, uniqueness, trace ID choice). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "middleware/tracking.h"

/* Decode AILERON's base32 (no padding) back to bytes; -1 on a bad char. */
static int
b32_decode(const char *in, uint8_t *out, size_t n)
{
	static const char alphabet[] = "0123456789BCDFGHJKLMNPQRSTUVWXYZ";
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	for (; *in != '\0' && *in != '='; in++) {
		const char *p = strchr(alphabet, *in);

		if (p == NULL)
			return -1;
		acc = (acc << 5) | (uint32_t)(p - alphabet);
		bits += 5;
		if (bits >= 8) {
			if (o < n)
				out[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return (int)o;
}

START_TEST(base32_vectors)
{
	/* RFC 4648 base32hex vectors, mapped to the escaped alphabet. */
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "f", "DS======" },
		{ "fo", "DTRJ====" },
		{ "foo", "DTRQY===" },
		{ "foob", "DTRQYSJ=" },
		{ "fooba", "DTRQYSM1" },
		{ "foobar", "DTRQYSM1G8======" },
	};
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tracking_base32(
		    (const uint8_t *)cases[i].in, strlen(cases[i].in), out);
		ck_assert_msg(
		    strcmp(out, cases[i].out) == 0, "case %zu: %s", i, out);
	}
}
END_TEST

START_TEST(host_hash)
{
	/* FNV-1a 64 reference values. */
	ck_assert_uint_eq(tracking_host_hash(""), 0xcbf29ce484222325ULL);
	ck_assert_uint_eq(tracking_host_hash("a"), 0xaf63dc4c8601ec8cULL);
	ck_assert_uint_eq(tracking_host_hash("foobar"), 0x85944171f73967e8ULL);
}
END_TEST

START_TEST(new_ids)
{
	char a[TRACKING_ID_LEN + 1], b[TRACKING_ID_LEN + 1];
	uint8_t raw[30];
	uint64_t hh = tracking_host_hash("gateway.example"), us = 0, h = 0;
	struct timespec ts;
	int i;

	ck_assert_int_eq(tracking_new_id(a, hh), 0);
	ck_assert_int_eq(tracking_new_id(b, hh), 0);
	ck_assert_uint_eq(strlen(a), TRACKING_ID_LEN);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(b32_decode(a, raw, sizeof(raw)), 30);
	for (i = 0; i < 8; i++) {
		us = us << 8 | raw[i];
		h = h << 8 | raw[8 + i];
	}
	ck_assert_uint_eq(h, hh);
	clock_gettime(CLOCK_REALTIME, &ts);
	/* the time part is now, in microseconds, within ten seconds */
	ck_assert(us <= (uint64_t)ts.tv_sec * 1000000u + 1000000u);
	ck_assert(us + 10000000u >= (uint64_t)ts.tv_sec * 1000000u);
	/* the random tails differ */
	{
		uint8_t raw2[30];

		ck_assert_int_eq(b32_decode(b, raw2, sizeof(raw2)), 30);
		ck_assert(memcmp(raw + 16, raw2 + 16, 14) != 0);
	}
}
END_TEST

START_TEST(names_and_trace)
{
	static const struct {
		const char *name;
		int valid;
	} cases[] = {
		{ "", 1 },
		{ "X-Request-ID", 1 },
		{ "x_trace_id", 1 },
		{ "X-Trace ID", 0 },
		{ "X-Trace:ID", 0 },
		{ "X-Trace\nID", 0 },
		{ "X.Trace", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(
		    tracking_name_valid(cases[i].name) == cases[i].valid,
		    "case %zu", i);
	ck_assert_str_eq(
	    tracking_trace_id("REQ", "test-trace-id"), "test-trace-id");
	ck_assert_str_eq(tracking_trace_id("REQ", ""), "REQ");
	ck_assert_str_eq(tracking_trace_id("REQ", NULL), "REQ");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tracking");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, base32_vectors);
	tcase_add_test(tc, host_hash);
	tcase_add_test(tc, new_ids);
	tcase_add_test(tc, names_and_trace);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
