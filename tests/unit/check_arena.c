/* Unit tests: the region allocator (arena.c) and pages of a worker's own (pages.c). */
#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "pages.h"

/* Allocations are zeroed, aligned, apart, and survive the block filling up. */
static void
exercise(struct arena *a)
{
	char *p[64];
	size_t i;

	for (i = 0; i < 64; i++) {
		p[i] = arena_alloc(a, 100);
		ck_assert_ptr_nonnull(p[i]);
		ck_assert_uint_eq((uintptr_t)p[i] % _Alignof(max_align_t), 0);
		ck_assert_int_eq(p[i][0] | p[i][99], 0);
		memset(p[i], (int)i + 1, 100);
	}
	/* 64 x 112 bytes: past a 4096-byte first block */
	for (i = 0; i < 64; i++)
		ck_assert_int_eq(p[i][0], (int)i + 1);
	/* larger than a block: a block of its own */
	p[0] = arena_alloc(a, 10000);
	memset(p[0], 7, 10000);
	ck_assert_str_eq(arena_strdup(a, "kept"), "kept");
}

START_TEST(malloc_arena)
{
	struct arena *a = arena_new(4096);

	exercise(a);
	arena_reset(a);
	exercise(a);
	arena_free(a);
}
END_TEST

/* The same, with the first block in pages: reset keeps it, free returns it. */
START_TEST(pages_arena)
{
	struct arena *a = arena_new_pages(4096);
	char *first, *again;

	first = arena_alloc(a, 16);
	exercise(a);
	arena_reset(a);
	again = arena_alloc(a, 16);
	ck_assert_ptr_eq(again, first); /* the first block is reused */
	ck_assert_int_eq(again[0], 0);
	exercise(a);
	arena_free(a);
	arena_free(NULL);
}
END_TEST

START_TEST(pages_zeroed_and_dropped)
{
	size_t n = 3 * 4096 + 100, i;
	unsigned char *p = pages_alloc(n);

	ck_assert_ptr_nonnull(p);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(p[i], 0);
	memset(p, 0xa5, n);
	ck_assert_int_eq(p[n - 1], 0xa5);
	/* dropped contents are not needed: what comes back is usable */
	pages_drop(p, n);
	memset(p, 1, n);
	ck_assert_int_eq(p[n - 1], 1);
	pages_free(p, n);
	pages_free(NULL, n);
}
END_TEST

static Suite *
arena_suite(void)
{
	Suite *s = suite_create("arena");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, malloc_arena);
	tcase_add_test(tc, pages_arena);
	tcase_add_test(tc, pages_zeroed_and_dropped);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(arena_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
