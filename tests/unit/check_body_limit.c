/* Unit tests: BodyLimitMiddleware decisions, counting, spooling to temp files. */
#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "middleware/body_limit.h"

START_TEST(decide_table)
{
	static const struct {
		int64_t max, mem;
		int chunked;
		uint64_t length;
		enum body_limit_action want;
	} cases[] = {
		{ 0, 0, 0, 100, BODY_LIMIT_PASS },
		{ -1, 10, 1, 0, BODY_LIMIT_PASS },
		{ 10, 10, 0, 5, BODY_LIMIT_MEMORY },
		{ 10, 10, 0, 10, BODY_LIMIT_MEMORY },
		{ 10, 10, 0, 11, BODY_LIMIT_TOO_LARGE },
		{ 10, 10, 0, 0,
		    BODY_LIMIT_MEMORY }, /* no body: nothing to read */
		{ 10, 10, 1, 0, BODY_LIMIT_COUNT },
		{ 10, 0, 0, 5, BODY_LIMIT_COUNT },
		{ 10, -1, 0, 5, BODY_LIMIT_COUNT },
		{ 10, -1, 0, 11, BODY_LIMIT_TOO_LARGE },
		{ 10, 5, 0, 5, BODY_LIMIT_MEMORY },
		{ 10, 5, 0, 7, BODY_LIMIT_FILE },
		{ 10, 5, 0, 11, BODY_LIMIT_TOO_LARGE },
		{ 4194304, 4194304, 0, 4194305, BODY_LIMIT_TOO_LARGE },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct body_limit_policy p = { cases[i].max, cases[i].mem,
			NULL };

		ck_assert_msg(body_limit_decide(&p, cases[i].chunked,
		                  cases[i].length) == cases[i].want,
		    "case %zu", i);
	}
}
END_TEST

START_TEST(count_table)
{
	struct body_limit_policy p = { 10, 0, NULL };
	uint64_t total = 0;

	ck_assert_int_eq(body_limit_count(&p, &total, 4, 0), 0);
	ck_assert_int_eq(body_limit_count(&p, &total, 6, 0), 0);
	ck_assert_uint_eq(total, 10);
	/* one byte over, nothing sent: 413 */
	ck_assert_int_eq(body_limit_count(&p, &total, 1, 0), 413);
	/* over after the response started: abort */
	total = 9;
	ck_assert_int_eq(body_limit_count(&p, &total, 2, 1), -1);
	/* off */
	p.max_size = 0;
	total = 0;
	ck_assert_int_eq(body_limit_count(&p, &total, 1000, 0), 0);
}
END_TEST

/* A reader over a string, in chunks of at most step bytes; fail makes it error. */
struct src {
	const char *data;
	size_t len, off, step;
	int fail;
};

static ssize_t
src_read(void *ctx, void *buf, size_t n)
{
	struct src *s = ctx;

	if (s->fail && s->off > 0)
		return -1;
	if (n > s->step)
		n = s->step;
	if (n > s->len - s->off)
		n = s->len - s->off;
	memcpy(buf, s->data + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

/* A fresh temp directory for one test. */
static void
make_dir(char *dir, size_t size)
{
	snprintf(dir, size, "/tmp/check_body_limit.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Number of entries (besides . and ..) in dir. */
static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

START_TEST(spool_table)
{
	static const struct {
		const char *body;
		uint64_t length;
		size_t step;
		int fail, want;
	} cases[] = {
		{ "1234567", 7, 3, 0, 0 }, { "1234567890", 10, 1, 0, 0 },
		{ "12345", 7, 4, 0, 400 },         /* short body */
		{ "1234567890ABC", 7, 4, 0, 400 }, /* longer than announced */
		{ "1234567", 7, 3, 1, 500 },       /* read error */
	};
	char dir[64], path[PATH_MAX], got[32];
	struct body_limit_policy p = { 10, 5, dir };
	size_t i;

	make_dir(dir, sizeof(dir));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct src s = { cases[i].body, strlen(cases[i].body), 0,
			cases[i].step, cases[i].fail };
		int fd = body_limit_tempfile(&p, path, sizeof(path));
		ssize_t n;

		ck_assert_int_ge(fd, 0);
		ck_assert_msg(strncmp(path, dir, strlen(dir)) == 0 &&
		        strncmp(path + strlen(dir), "/body-", 6) == 0,
		    "%s", path);
		/* body-YYYYMMDDhhmmss.uuuuuu-<20 digits> */
		ck_assert_uint_eq(
		    strlen(path + strlen(dir) + 6), 14 + 1 + 6 + 1 + 20);
		/* already unlinked: nothing is left behind */
		ck_assert_int_eq(count_entries(dir), 0);
		ck_assert_msg(body_limit_spool(&p, fd, cases[i].length,
		                  src_read, &s) == cases[i].want,
		    "case %zu", i);
		if (cases[i].want == 0) {
			n = read(fd, got, sizeof(got));
			ck_assert_int_eq(n, (ssize_t)cases[i].length);
			ck_assert(memcmp(got, cases[i].body, (size_t)n) == 0);
		}
		close(fd);
	}
	rmdir(dir);
}
END_TEST

START_TEST(tempfile_errors)
{
	char missing[] = "/nonexistent/dir", tmp[] = "/tmp";
	struct body_limit_policy p = { 10, 5, missing };
	char path[PATH_MAX], small[8];

	ck_assert_int_eq(body_limit_tempfile(&p, path, sizeof(path)), -1);
	p.temp_path = tmp;
	ck_assert_int_eq(body_limit_tempfile(&p, small, sizeof(small)), -1);
}
END_TEST

START_TEST(read_all_table)
{
	char buf[16];
	struct src s = { "12345", 5, 0, 2, 0 };

	ck_assert_int_eq(body_limit_read_all(buf, 5, src_read, &s), 0);
	ck_assert(memcmp(buf, "12345", 5) == 0);
	s.off = 0;
	ck_assert_int_eq(body_limit_read_all(buf, 8, src_read, &s), 400);
	s.off = 0;
	s.fail = 1;
	ck_assert_int_eq(body_limit_read_all(buf, 5, src_read, &s), 400);
	ck_assert_int_eq(body_limit_read_all(buf, 0, src_read, &s), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("body_limit");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, decide_table);
	tcase_add_test(tc, count_table);
	tcase_add_test(tc, spool_table);
	tcase_add_test(tc, tempfile_errors);
	tcase_add_test(tc, read_all_table);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
