/* Check unit tests for body_buf (request.c): a whole body kept up to a limit, dropped or refused past it. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

/* Pieces of n bytes each up to max: all kept, in order, growing past 16 KiB. */
START_TEST(test_keep)
{
	struct body_buf b = { NULL, 0, 0, 100000, 0, 0 };
	char piece[7000];
	size_t i, k;

	for (i = 0; i < 14; i++) {
		memset(piece, 'a' + (int)i, sizeof(piece));
		ck_assert_int_eq(body_buf_keep(&b, piece, sizeof(piece)), 0);
	}
	ck_assert_int_eq(body_buf_keep(&b, piece, 0), 0);
	ck_assert_uint_eq(b.len, 14 * sizeof(piece));
	ck_assert_uint_le(b.size, b.max);
	ck_assert_int_eq(b.too_large, 0);
	for (i = 0; i < 14; i++)
		for (k = 0; k < sizeof(piece); k += 999)
			ck_assert_int_eq(
			    b.p[i * sizeof(piece) + k], 'a' + (int)i);
	free(b.p);
}
END_TEST

/* max bytes fit; one more drops it all (Echo) or refuses (SOAPREST). */
START_TEST(test_limit)
{
	struct body_buf b = { NULL, 0, 0, 20000, _i, 0 };
	static char data[20001];

	memset(data, 'x', sizeof(data));
	ck_assert_int_eq(body_buf_keep(&b, data, 15000), 0);
	ck_assert_int_eq(body_buf_keep(&b, data, 5000), 0);
	ck_assert_uint_eq(b.len, 20000);
	ck_assert_uint_eq(b.size, 20000); /* capped at max */
	ck_assert_int_eq(body_buf_keep(&b, data, 1), _i ? -1 : 0);
	ck_assert_int_eq(b.too_large, 1);
	ck_assert_ptr_null(b.p);
	ck_assert_uint_eq(b.len, 0);
	/* and so for the rest */
	ck_assert_int_eq(body_buf_keep(&b, data, 1), _i ? -1 : 0);
	ck_assert_ptr_null(b.p);
	/* one piece larger than max at once */
	memset(&b, 0, sizeof(b));
	b.max = 20000;
	b.refuse = _i;
	ck_assert_int_eq(body_buf_keep(&b, data, sizeof(data)), _i ? -1 : 0);
	ck_assert_int_eq(b.too_large, 1);
	ck_assert_ptr_null(b.p);
}
END_TEST

static Suite *
body_buf_suite(void)
{
	Suite *s = suite_create("body_buf");
	TCase *tc = tcase_create("keep");

	tcase_add_test(tc, test_keep);
	tcase_add_loop_test(tc, test_limit, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(body_buf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
