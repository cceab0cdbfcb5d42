/* Check unit tests for StaticFileHandler's path mapping and listings. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "static_path.h"

/* Decoded paths and what Go's path.Clean("/" + p) makes of them. */
static const struct {
	const char *in;
	const char *out;
} clean_cases[] = {
	{ "", "/" },
	{ "/", "/" },
	{ "a", "/a" },
	{ "/a/b/", "/a/b" },
	{ "//a//b", "/a/b" },
	{ "/a/./b/.", "/a/b" },
	{ "/a/../b", "/b" },
	{ "/../../etc/passwd", "/etc/passwd" },
	{ "/a/b/../../..", "/" },
	{ "/..", "/" },
	{ "/...", "/..." },
	{ "/a/..b", "/a/..b" },
	{ "/.a/b.", "/.a/b." },
	{ "/a/b/c/../../d", "/a/d" },
};

START_TEST(test_clean)
{
	char out[64];
	const char *in = clean_cases[_i].in;

	ck_assert_int_eq(static_path_clean(in, strlen(in), out, sizeof(out)),
	    (int)strlen(clean_cases[_i].out));
	ck_assert_str_eq(out, clean_cases[_i].out);
}
END_TEST

START_TEST(test_clean_bad)
{
	char out[8];

	ck_assert_int_eq(static_path_clean("/a\0b", 4, out, sizeof(out)), -1);
	ck_assert_int_eq(
	    static_path_clean("/abcdefgh", 9, out, sizeof(out)), -1);
	ck_assert_int_eq(static_path_clean("/abcdef", 7, out, sizeof(out)), 7);
}
END_TEST

/* Go's path.Base. */
static const struct {
	const char *in, *out;
} base_cases[] = {
	{ "", "." },
	{ "/", "/" },
	{ "///", "/" },
	{ "/a", "a" },
	{ "/a/b/", "b" },
	{ "a", "a" },
	{ "/foo.txt//", "foo.txt" },
};

START_TEST(test_base)
{
	size_t n;
	const char *in = base_cases[_i].in;
	const char *b = static_path_base(in, strlen(in), &n);

	ck_assert_uint_eq(n, strlen(base_cases[_i].out));
	ck_assert(memcmp(b, base_cases[_i].out, n) == 0);
}
END_TEST

static char tree[64], outside[128];
static int rootfd = -1;

/* Write a file with content under the tree (path relative to it). */
static void
put(const char *rel, const char *content)
{
	char p[256];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	ck_assert_ptr_nonnull(fp = fopen(p, "w"));
	fputs(content, fp);
	fclose(fp);
}

/* A tree under a temporary directory: root/ holds what is served. */
static void
tree_setup(void)
{
	char p[256];

	strcpy(tree, "/tmp/check_static.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tree));
	snprintf(outside, sizeof(outside), "%s/secret", tree);
	put("secret", "secret");
	snprintf(p, sizeof(p), "%s/root", tree);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/root/sub", tree);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/root/empty", tree);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/root/noindex", tree);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	put("root/foo.txt", "foo=bar");
	put("root/foo.json", "{}");
	put("root/sub/index.html", "<p>hi</p>");
	put("root/noindex/a b.txt", "x");
	put("root/noindex/x&y<z>\"'.txt", "x");
	put("root/noindex/q?#.txt", "x");
	put("root/noindex/c:d", "x");
	put("root/noindex/*", "x");
	snprintf(p, sizeof(p), "%s/root/noindex/dir", tree);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/root/in", tree);
	ck_assert_int_eq(symlink("foo.txt", p), 0);
	snprintf(p, sizeof(p), "%s/root/subl", tree);
	ck_assert_int_eq(symlink("sub", p), 0);
	snprintf(p, sizeof(p), "%s/root/up", tree);
	ck_assert_int_eq(symlink("../secret", p), 0);
	snprintf(p, sizeof(p), "%s/root/abs", tree);
	ck_assert_int_eq(symlink(outside, p), 0);
	snprintf(p, sizeof(p), "%s/root/etc", tree);
	ck_assert_int_eq(symlink("/etc", p), 0);
	snprintf(p, sizeof(p), "%s/root/fifo", tree);
	ck_assert_int_eq(mkfifo(p, 0644), 0);
	snprintf(p, sizeof(p), "%s/root", tree);
	ck_assert_int_ge(rootfd = open(p, O_RDONLY | O_DIRECTORY), 0);
}

static void
tree_teardown(void)
{
	char cmd[128];

	close(rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tree);
	ck_assert_int_eq(system(cmd), 0);
	static_path_force_walk(0);
}

/*
 * Request paths (after stripPrefix), listing on or off, and the outcome:
 * action, status (errors), location (redirects) or the content of the
 * file; with openat2 and with the component walk (symlinks refused).
 */
static const struct {
	const char *path;
	int listing;
	enum static_action act;
	int status;
	const char *what; /* location, file content, or NULL */
	int walk_status;  /* != 0: the component walk answers this error */
} resolve_cases[] = {
	{ "/foo.txt", 0, STATIC_FILE, 0, "foo=bar", 0 },
	{ "/foo.txt", 1, STATIC_FILE, 0, "foo=bar", 0 },
	{ "/foo.txt/", 1, STATIC_REDIRECT, 301, "../foo.txt", 0 },
	{ "/foo.txt/x", 1, STATIC_ERROR, 404, NULL, 0 },
	{ "/nope", 1, STATIC_ERROR, 404, NULL, 0 },
	{ "/", 0, STATIC_ERROR, 404, NULL, 0 },
	{ "/", 1, STATIC_LISTING, 0, NULL, 0 },
	{ "/sub", 0, STATIC_ERROR, 404, NULL, 0 },
	{ "/sub", 1, STATIC_REDIRECT, 301, "sub/", 0 },
	{ "/sub/", 1, STATIC_FILE, 0, "<p>hi</p>", 0 },
	{ "/sub/index.html", 1, STATIC_REDIRECT, 301, "./", 0 },
	{ "/sub/index.html", 0, STATIC_REDIRECT, 301, "./", 0 },
	{ "/empty/", 1, STATIC_LISTING, 0, NULL, 0 },
	{ "/../secret", 1, STATIC_ERROR, 404, NULL, 0 },
	{ "/sub/../../secret", 1, STATIC_ERROR, 404, NULL, 0 },
	{ "/sub/../foo.txt", 1, STATIC_FILE, 0, "foo=bar", 0 },
	{ "/in", 0, STATIC_FILE, 0, "foo=bar", 404 },
	{ "/subl/", 1, STATIC_FILE, 0, "<p>hi</p>", 404 },
	{ "/up", 1, STATIC_ERROR, 404, NULL, 404 },
	{ "/abs", 1, STATIC_ERROR, 404, NULL, 404 },
	{ "/etc/passwd", 1, STATIC_ERROR, 404, NULL, 404 },
	{ "/etc/", 1, STATIC_ERROR, 404, NULL, 404 },
	{ "/fifo", 1, STATIC_ERROR, 404, NULL, 0 },
};

/* Read what fd holds (small files). */
static void
check_content(int fd, const char *want)
{
	char buf[64];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, want);
}

/* Run resolve case i, with the component walk when walk is set. */
static void
run_resolve(int i, int walk)
{
	struct static_result res;
	const char *p = resolve_cases[i].path;
	int status = resolve_cases[i].status;
	enum static_action act = resolve_cases[i].act;

	if (walk && resolve_cases[i].walk_status != 0) {
		act = STATIC_ERROR;
		status = resolve_cases[i].walk_status;
	}
	static_path_force_walk(walk);
	static_resolve(rootfd, p, strlen(p), resolve_cases[i].listing, &res);
	ck_assert_msg(res.action == act, "%s: action %d", p, res.action);
	switch (act) {
	case STATIC_ERROR:
		ck_assert_int_eq(res.status, status);
		ck_assert_int_eq(res.fd, -1);
		break;
	case STATIC_REDIRECT:
		ck_assert_int_eq(res.status, 301);
		ck_assert_str_eq(res.location, resolve_cases[i].what);
		ck_assert_int_eq(res.fd, -1);
		break;
	case STATIC_FILE:
		ck_assert(S_ISREG(res.st.st_mode));
		check_content(res.fd, resolve_cases[i].what);
		close(res.fd);
		break;
	case STATIC_LISTING:
		ck_assert(S_ISDIR(res.st.st_mode));
		close(res.fd);
		break;
	}
}

START_TEST(test_resolve)
{
	run_resolve(_i, 0);
}
END_TEST

START_TEST(test_resolve_walk)
{
	run_resolve(_i, 1);
}
END_TEST

/* The listing of a directory: Go's FileServer body, byte for byte. */
START_TEST(test_listing)
{
	char p[256];
	size_t len;
	char *body;
	int fd;

	snprintf(p, sizeof(p), "%s/root/noindex", tree);
	ck_assert_int_ge(fd = open(p, O_RDONLY | O_DIRECTORY), 0);
	ck_assert_ptr_nonnull(body = static_listing(fd, &len));
	ck_assert_uint_eq(len, strlen(body));
	ck_assert_str_eq(body,
	    "<!doctype html>\n"
	    "<meta name=\"viewport\" content=\"width=device-width\">\n"
	    "<pre>\n"
	    "<a href=\"*\">*</a>\n"
	    "<a href=\"a%20b.txt\">a b.txt</a>\n"
	    "<a href=\"./c:d\">c:d</a>\n"
	    "<a href=\"dir/\">dir/</a>\n"
	    "<a href=\"q%3F%23.txt\">q?#.txt</a>\n"
	    "<a "
	    "href=\"x&y%3Cz%3E%22%27.txt\">x&amp;y&lt;z&gt;&#34;&#39;.txt</a>\n"
	    "</pre>\n");
	free(body);
	close(fd);
}
END_TEST

/* The root listing shows symlinks as they are (not as directories). */
START_TEST(test_listing_root)
{
	size_t len;
	char *body = static_listing(rootfd, &len);

	ck_assert_ptr_nonnull(body);
	ck_assert_ptr_nonnull(strstr(body,
	    "<a href=\"foo.txt\">foo.txt</a>\n"
	    "<a href=\"in\">in</a>\n"
	    "<a href=\"noindex/\">noindex/</a>\n"));
	ck_assert_ptr_nonnull(strstr(body, "<a href=\"subl\">subl</a>\n"));
	free(body);
}
END_TEST

static Suite *
static_path_suite(void)
{
	Suite *s = suite_create("static_path");
	TCase *tc = tcase_create("clean");
	TCase *tf = tcase_create("files");

	tcase_add_loop_test(tc, test_clean, 0,
	    (int)(sizeof(clean_cases) / sizeof(clean_cases[0])));
	tcase_add_test(tc, test_clean_bad);
	tcase_add_loop_test(tc, test_base, 0,
	    (int)(sizeof(base_cases) / sizeof(base_cases[0])));
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tf, tree_setup, tree_teardown);
	tcase_add_loop_test(tf, test_resolve, 0,
	    (int)(sizeof(resolve_cases) / sizeof(resolve_cases[0])));
	tcase_add_loop_test(tf, test_resolve_walk, 0,
	    (int)(sizeof(resolve_cases) / sizeof(resolve_cases[0])));
	tcase_add_test(tf, test_listing);
	tcase_add_test(tf, test_listing_root);
	suite_add_tcase(s, tf);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(static_path_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
