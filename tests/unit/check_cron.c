/* Unit tests for cron expressions, archive name patterns and the archive manager. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "cron.h"
#include "logrotate.h"

/* A UTC second from its fields. */
static time_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return timegm(&tm);
}

/* Expressions (all in UTC) and seconds that match or do not. */
static const struct {
	const char *expr;
	int y, mo, d, h, mi, s;
	int match;
} match_cases[] = {
	{ "TZ=UTC * * * * * *", 2026, 12, 4, 20, 30, 17, 1 },
	{ "TZ=UTC */10 * * * * *", 2026, 12, 4, 20, 30, 40, 1 },
	{ "TZ=UTC */10 * * * * *", 2026, 12, 4, 20, 30, 41, 0 },
	{ "TZ=UTC 0 * * * *", 2026, 12, 4, 20, 0, 0, 1 },
	{ "TZ=UTC 0 * * * *", 2026, 12, 4, 20, 0, 1, 0 }, /* 5 fields: s 0 */
	{ "TZ=UTC 0 * * * *", 2026, 12, 4, 20, 1, 0, 0 },
	{ "TZ=UTC 5,7-9 * * * * *", 2026, 1, 1, 0, 0, 8, 1 },
	{ "TZ=UTC 5,7-9 * * * * *", 2026, 1, 1, 0, 0, 6, 0 },
	{ "TZ=UTC 10-20/5 * * * * *", 2026, 1, 1, 0, 0, 15, 1 },
	{ "TZ=UTC 10-20/5 * * * * *", 2026, 1, 1, 0, 0, 25, 0 },
	{ "TZ=UTC 50/3 * * * * *", 2026, 1, 1, 0, 0, 59, 1 }, /* 50,53,56,59 */
	{ "TZ=UTC 50/3 * * * * *", 2026, 1, 1, 0, 0, 2, 0 },
	{ "TZ=UTC 30 2 * * MON-FRI", 2026, 12, 4, 2, 30, 0, 1 }, /* a Friday */
	{ "TZ=UTC 30 2 * * MON-FRI", 2026, 12, 5, 2, 30, 0, 0 },
	{ "TZ=UTC 0 0 1 jan,Jul *", 2026, 7, 1, 0, 0, 0, 1 },
	{ "TZ=UTC 0 0 1 jan,Jul *", 2026, 8, 1, 0, 0, 0, 0 },
	/* Day of month AND day of week (zcron), not OR (Vixie cron). */
	{ "TZ=UTC 0 0 4 * 1", 2026, 12, 4, 0, 0, 0, 0 },
	{ "TZ=UTC 0 0 4 * 5", 2026, 12, 4, 0, 0, 0, 1 },
	{ "TZ=UTC @hourly", 2026, 12, 4, 7, 0, 0, 1 },
	{ "TZ=UTC @daily", 2026, 12, 4, 7, 0, 0, 0 },
	{ "CRON_TZ=UTC @friday", 2026, 12, 4, 0, 0, 0, 1 },
	{ "  TZ=UTC\t*/2  *  * * * *  ", 2026, 12, 4, 0, 0, 2, 1 },
	{ "TZ=Asia/Tokyo 0 0 9 * * *", 2026, 12, 4, 0, 0, 0, 1 },
	{ "TZ=Asia/Tokyo 0 0 9 * * *", 2026, 12, 4, 9, 0, 0, 0 },
};

START_TEST(test_cron_match)
{
	struct cron c;
	char err[256];
	time_t t;

	ck_assert_msg(
	    cron_parse(&c, match_cases[_i].expr, err, sizeof(err)) == 0,
	    "%s: %s", match_cases[_i].expr, err);
	t = utc(match_cases[_i].y, match_cases[_i].mo, match_cases[_i].d,
	    match_cases[_i].h, match_cases[_i].mi, match_cases[_i].s);
	ck_assert_msg(cron_match(&c, t) == match_cases[_i].match, "%s",
	    match_cases[_i].expr);
}
END_TEST

/* Bad expressions and the start of their message. */
static const struct {
	const char *expr;
	const char *msg;
} bad_cases[] = {
	{ "", "invalid number of fields" },
	{ "* * * *", "invalid number of fields" },
	{ "* * * * * * *", "invalid number of fields" },
	{ "60 * * * * *", "invalid second \"60\"" },
	{ "* 60 * * * *", "invalid minute \"60\"" },
	{ "* 24 * * *", "invalid hour \"24\"" },
	{ "* * 0 * *", "invalid day of month \"0\"" },
	{ "* * * 13 *", "invalid month \"13\"" },
	{ "* * * * 7", "invalid day of week \"7\"" },
	{ "*/0 * * * * *", "invalid second \"*/0\"" },
	{ "5-1 * * * *", "invalid minute \"5-1\"" },
	{ "1,,2 * * * *", "invalid minute \"1,,2\"" },
	{ "x * * * *", "invalid minute \"x\"" },
	{ "* * * FOO *", "invalid month \"FOO\"" },
	{ "* * * * MONDAY", "invalid day of week \"MONDAY\"" },
	{ "0 0 31 2 *", "never scheduled" },
	{ "TZ=Nowhere/Atlantis * * * * *", "unknown time zone" },
	{ "TZ=../../etc/passwd * * * * *", "unknown time zone" },
	{ "@every 1s", "unknown alias" },
	{ "@yearly", "unknown alias" },
};

START_TEST(test_cron_bad)
{
	struct cron c;
	char err[256];

	ck_assert_int_eq(
	    cron_parse(&c, bad_cases[_i].expr, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, bad_cases[_i].msg) != NULL, "%s: %s",
	    bad_cases[_i].expr, err);
}
END_TEST

/* A local second from its fields. */
static time_t
local(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

START_TEST(test_pattern_names)
{
	time_t t = local(2026, 12, 4, 9, 5, 7), st;
	char name[256], *p;
	long index;

	/* No time or index specifier: ".%i" is added (AILERON's zlog). */
	p = logrotate_pattern_fill("application.log");
	ck_assert_str_eq(p, "application.log.%i");
	ck_assert_int_eq(logrotate_name(p, t, 3, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "application.log.3");
	ck_assert(logrotate_scan(p, "application.log.12", &st, &index));
	ck_assert_int_eq(index, 12);
	ck_assert(!logrotate_scan(p, "application.log", &st, &index));
	ck_assert(!logrotate_scan(p, "application.log.1.gz", &st, &index));
	ck_assert(!logrotate_scan(p, "application.log.x", &st, &index));
	free(p);

	p = logrotate_pattern_fill("app-%Y%M%D-%h%m%s.%i.log");
	ck_assert_str_eq(p, "app-%Y%M%D-%h%m%s.%i.log");
	ck_assert_int_eq(logrotate_name(p, t, 1, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "app-20261204-090507.1.log");
	ck_assert(logrotate_scan(p, name, &st, &index));
	ck_assert_int_eq(index, 1);
	ck_assert(st == t);
	ck_assert(!logrotate_scan(p, "app-20261304-090507.1.log", &st, &index));
	ck_assert(!logrotate_scan(p, "app-2026124-090507.1.log", &st, &index));
	free(p);

	p = logrotate_pattern_fill("a.%u");
	ck_assert_int_eq(logrotate_name(p, t, 1, name, sizeof(name)), 0);
	ck_assert(logrotate_scan(p, name, &st, &index));
	ck_assert(st == t);
	free(p);

	/* %p is filled once, a trailing % is literal. */
	p = logrotate_pattern_fill("x-%p-%");
	snprintf(name, sizeof(name), "x-%ld-%%.%%i", (long)getpid());
	ck_assert_str_eq(p, name);
	free(p);
}
END_TEST

START_TEST(test_pattern_check)
{
	char err[256];

	ck_assert_int_eq(logrotate_pattern_check("a.%Y-%M-%D.%i.log.%H.%U.%G"
	                                         ".%p.%P",
	                     err, sizeof(err)),
	    0);
	ck_assert_int_eq(logrotate_pattern_check("a/%i", err, sizeof(err)), -1);
	ck_assert(strstr(err, "must be a file name") != NULL);
	ck_assert_int_eq(logrotate_pattern_check("a.%d", err, sizeof(err)), -1);
	ck_assert(strstr(err, "invalid specifier %d") != NULL);
}
END_TEST

/* Write size bytes of text to dir/name. */
static void
put(const char *dir, const char *name, size_t size)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	while (size-- > 0)
		fputc(size % 64 == 0 ? '\n' : 'x', f);
	fclose(f);
}

/* The names in dir, sorted, joined by spaces. */
static const char *
names(const char *dir)
{
	static char out[1024];
	struct dirent **v;
	int n, i;

	out[0] = '\0';
	n = scandir(dir, &v, NULL, alphasort);
	for (i = 0; i < n; i++) {
		if (v[i]->d_name[0] != '.') {
			if (out[0] != '\0')
				strcat(out, " ");
			strcat(out, v[i]->d_name);
		}
		free(v[i]);
	}
	free(v);
	return out;
}

/* Remove the test directory dir and all in it. */
static void
clean(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_archive_max_backup_and_move)
{
	char dir[] = "/tmp/aileron-lr-XXXXXX", bak[600], active[600];
	char f1[] = "a.log.5", *fresh[] = { f1 };
	struct log_rotate r;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(bak, sizeof(bak), "%s/old/deeper", dir);
	snprintf(active, sizeof(active), "%s/a.log.0", dir);
	memset(&r, 0, sizeof(r));
	r.dir = dir;
	r.path = active; /* an active file the pattern matches: left alone */
	r.backup_dir = bak;
	r.max_backup = 2;
	put(dir, "a.log", 10);
	put(dir, "a.log.0", 10);
	put(dir, "a.log.5", 10); /* just rotated */
	put(dir, "a.log.4", 10); /* left by an earlier run: swept */
	put(dir, "other", 10);
	/* Without sweeping, only the fresh archive moves. */
	logrotate_archive(&r, "a.log.%i", fresh, 1, 0);
	ck_assert_str_eq(names(bak), "a.log.5");
	ck_assert_str_eq(names(dir), "a.log a.log.0 a.log.4 old other");
	logrotate_archive(&r, "a.log.%i", NULL, 0, 1);
	ck_assert_str_eq(names(bak), "a.log.4 a.log.5");
	ck_assert_str_eq(names(dir), "a.log a.log.0 old other");
	put(bak, "a.log.1", 10);
	put(bak, "a.log.10", 10);
	logrotate_archive(&r, "a.log.%i", NULL, 0, 0);
	/* The newest two by index: 10 and 5. */
	ck_assert_str_eq(names(bak), "a.log.10 a.log.5");
	clean(dir);
}
END_TEST

START_TEST(test_archive_gzip_total_and_age)
{
	char dir[] = "/tmp/aileron-lr-XXXXXX", path[600], buf[64], act[] = "/x";
	char f3[] = "a.3.log", f4[] = "a.4.log", *fresh[] = { f3, f4 };
	struct log_rotate r;
	char name[64];
	gzFile gz;
	int n;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	memset(&r, 0, sizeof(r));
	r.dir = dir;
	r.path = act;
	r.backup_dir = dir;
	r.compress = 9;
	r.max_total = 3000;
	put(dir, "a.1.log.gz", 2000);
	put(dir, "a.2.log.gz", 2000);
	put(dir, "a.3.log", 5000);
	put(dir, "a.4.log", 5000);
	logrotate_archive(&r, "a.%i.log", fresh, 2, 0);
	/*
	 * Compressed (to some 50 bytes each), then counted from the newest:
	 * a.1 passes 3000 bytes in total and goes.
	 */
	ck_assert_str_eq(names(dir), "a.2.log.gz a.3.log.gz a.4.log.gz");
	snprintf(path, sizeof(path), "%s/a.4.log.gz", dir);
	gz = gzopen(path, "rb");
	ck_assert_ptr_nonnull(gz);
	n = gzread(gz, buf, sizeof(buf));
	ck_assert_int_eq(n, 64);
	ck_assert_int_eq(buf[0], 'x');
	gzclose(gz);
	clean(dir);

	/* maxAge counts from the date in the name. */
	ck_assert_ptr_nonnull(mkdtemp(strcpy(dir, "/tmp/aileron-lr-XXXXXX")));
	memset(&r, 0, sizeof(r));
	r.dir = dir;
	r.path = act;
	r.backup_dir = dir;
	r.max_age = 3600;
	ck_assert_int_eq(
	    logrotate_name("b.%u", time(NULL) - 7200, 0, name, sizeof(name)),
	    0);
	put(dir, name, 10);
	ck_assert_int_eq(
	    logrotate_name("b.%u", time(NULL) - 60, 0, name, sizeof(name)), 0);
	put(dir, name, 10);
	logrotate_archive(&r, "b.%u", NULL, 0, 0);
	ck_assert_str_eq(names(dir), name);
	clean(dir);
}
END_TEST

static Suite *
cron_suite(void)
{
	Suite *s = suite_create("cron");
	TCase *tc = tcase_create("cron");

	tcase_add_loop_test(tc, test_cron_match, 0,
	    (int)(sizeof(match_cases) / sizeof(match_cases[0])));
	tcase_add_loop_test(tc, test_cron_bad, 0,
	    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, test_pattern_names);
	tcase_add_test(tc, test_pattern_check);
	tcase_add_test(tc, test_archive_max_backup_and_move);
	tcase_add_test(tc, test_archive_gzip_total_and_age);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cron_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
