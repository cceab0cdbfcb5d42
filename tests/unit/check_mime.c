/* Check unit tests for MIME types by extension and by sniffing. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

/* File names and the type their extension gives (NULL: none). */
static const struct {
	const char *name;
	const char *type;
} ext_cases[] = {
	{ "foo.txt", "text/plain; charset=utf-8" },
	{ "foo.json", "application/json" },
	{ "/a/b/index.html", "text/html; charset=utf-8" },
	{ "HELLO.HTML", "text/html; charset=utf-8" },
	{ "x.Css", "text/css; charset=utf-8" },
	{ "x.js", "text/javascript; charset=utf-8" },
	{ "x.svg", "image/svg+xml" },
	{ "x.png", "image/png" },
	{ "x.jpg", "image/jpeg" },
	{ "x.wasm", "application/wasm" },
	{ "x.xml", "text/xml; charset=utf-8" },
	{ "x.woff2", "font/woff2" },
	{ "x.zip", "application/zip" },
	{ "a.tar.gz", "application/gzip" },
	{ "README", NULL },
	{ "dir.json/README", NULL },
	{ "x.", NULL },
	{ "x.unknownext", NULL },
	{ "x.jsonx", NULL },
	{ "x.jso", NULL },
	{ ".json", "application/json" },
	{ "", NULL },
};

START_TEST(test_mime_ext)
{
	const char *n = ext_cases[_i].name, *t = mime_by_name(n, strlen(n));

	if (ext_cases[_i].type == NULL)
		ck_assert_msg(t == NULL, "%s: %s", n, t);
	else
		ck_assert_msg(t != NULL && strcmp(t, ext_cases[_i].type) == 0,
		    "%s: %s", n, t ? t : "NULL");
}
END_TEST

/* A NUL inside the extension never matches. */
START_TEST(test_mime_ext_nul)
{
	ck_assert_ptr_null(mime_by_name("x.j\0son", 8));
	ck_assert_ptr_nonnull(mime_by_name("x.json\0", 6));
}
END_TEST

/* Content and the type Go's DetectContentType gives for it. */
static const struct {
	const char *data;
	size_t len; /* 0: strlen(data) */
	const char *type;
} sniff_cases[] = {
	{ "", 0, "text/plain; charset=utf-8" },
	{ "Hello, world\n", 0, "text/plain; charset=utf-8" },
	{ "  <!DOCTYPE html>\n<html>", 0, "text/html; charset=utf-8" },
	{ "<!doctype html>\n<html>", 0, "text/html; charset=utf-8" },
	{ "<HtMl><body>", 0, "text/html; charset=utf-8" },
	{ "<html", 0, "text/plain; charset=utf-8" },
	{ "<htmlx>", 0, "text/plain; charset=utf-8" },
	{ "<p>a</p>", 0, "text/html; charset=utf-8" },
	{ "<!-- c -->", 0, "text/html; charset=utf-8" },
	{ "<hello>AILERON Gateway</hello>\n", 0, "text/plain; charset=utf-8" },
	{ "\n<?xml version=\"1.0\"?><a/>", 0, "text/xml; charset=utf-8" },
	{ "{ \"hello\": \"AILERON Gateway\" }\n", 0,
	    "text/plain; charset=utf-8" },
	{ "%PDF-1.4", 0, "application/pdf" },
	{ "%!PS-Adobe-3.0", 0, "application/postscript" },
	{ "\xFE\xFF\x00\x41", 4, "text/plain; charset=utf-16be" },
	{ "\xFF\xFE\x41\x00", 4, "text/plain; charset=utf-16le" },
	{ "\xEF\xBB\xBFhi", 0, "text/plain; charset=utf-8" },
	{ "GIF89a..", 0, "image/gif" },
	{ "\x89PNG\r\n\x1a\n\0\0", 10, "image/png" },
	{ "\xFF\xD8\xFF\xE0", 4, "image/jpeg" },
	{ "BMxxxx", 0, "image/bmp" },
	{ "\x00\x00\x01\x00\x01", 5, "image/x-icon" },
	{ "RIFF\x10\x00\x00\x00WEBPVP8 ", 16, "image/webp" },
	{ "RIFF\x10\x00\x00\x00WAVEfmt ", 16, "audio/wave" },
	{ "RIFF\x10\x00\x00\x00"
	  "AVI LIST",
	    16, "video/avi" },
	{ "ID3\x03", 4, "audio/mpeg" },
	{ "OggS\x00\x02", 6, "application/ogg" },
	{ "\x00\x00\x00\x18"
	  "ftypmp42\x00\x00\x00\x00mp42isom",
	    24, "video/mp4" },
	{ "\x00\x00\x00\x18"
	  "ftypisom\x00\x00\x00\x00isomavc1",
	    24, "application/octet-stream" },
	{ "\x1A\x45\xDF\xA3\x01", 5, "video/webm" },
	{ "wOF2\x00", 5, "font/woff2" },
	{ "\x1F\x8B\x08\x00", 4, "application/x-gzip" },
	{ "PK\x03\x04", 4, "application/zip" },
	{ "Rar!\x1A\x07\x01\x00", 8, "application/x-rar-compressed" },
	{ "\x00\x61\x73\x6D\x01", 5, "application/wasm" },
	{ "a\x01"
	  "b",
	    3, "application/octet-stream" },
	{ "text\x1b[0m", 0, "text/plain; charset=utf-8" },
};

START_TEST(test_mime_sniff)
{
	const char *d = sniff_cases[_i].data;
	size_t len = sniff_cases[_i].len ? sniff_cases[_i].len : strlen(d);

	ck_assert_str_eq(mime_sniff(d, len), sniff_cases[_i].type);
}
END_TEST

/* Only the first 512 bytes count: a binary byte after them is ignored. */
START_TEST(test_mime_sniff_limit)
{
	char buf[MIME_SNIFF_LEN + 2];

	memset(buf, 'a', sizeof(buf));
	buf[MIME_SNIFF_LEN] = '\x01';
	ck_assert_str_eq(
	    mime_sniff(buf, sizeof(buf)), "text/plain; charset=utf-8");
	buf[MIME_SNIFF_LEN - 1] = '\x01';
	ck_assert_str_eq(
	    mime_sniff(buf, sizeof(buf)), "application/octet-stream");
}
END_TEST

static Suite *
mime_suite(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("mime");

	tcase_add_loop_test(tc, test_mime_ext, 0,
	    (int)(sizeof(ext_cases) / sizeof(ext_cases[0])));
	tcase_add_test(tc, test_mime_ext_nul);
	tcase_add_loop_test(tc, test_mime_sniff, 0,
	    (int)(sizeof(sniff_cases) / sizeof(sniff_cases[0])));
	tcase_add_test(tc, test_mime_sniff_limit);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(mime_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
