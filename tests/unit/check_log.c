/* Unit tests for the logs: SLogger/HTTPLogger config, Go time layouts, replacers, ids. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "arena.h"
#include "conf.h"
#include "log.h"
#include "logfield.h"
#include "logrotate.h"
#include "replacer.h"

/* The first middleware of the first server: an HTTPLogger here. */
#define LOGGER0(c) \
	((struct conf_httplogger *)(c)->servers[0]->vhosts[0].middleware[0].obj)

struct errs {
	char msg[32][512];
	int n;
};

static struct errs errs;

static void
collect(void *ctx, const char *msg)
{
	struct errs *e = ctx;

	if (e->n < 32)
		snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s", msg);
	e->n++;
}

static struct conf *
load_str(const char *text)
{
	memset(&errs, 0, sizeof(errs));
	return conf_load_string("t.yaml", text, collect, &errs);
}

#define EP_LOGGER                                             \
	"apiVersion: core/v1\n"                               \
	"kind: Entrypoint\n"                                  \
	"spec:\n"                                             \
	"  defaultLogger:\n"                                  \
	"    apiVersion: core/v1\n"                           \
	"    kind: SLogger\n"                                 \
	"  runners:\n"                                        \
	"    - {apiVersion: core/v1, kind: HTTPServer}\n"     \
	"---\n"                                               \
	"apiVersion: core/v1\n"                               \
	"kind: HTTPServer\n"                                  \
	"spec:\n"                                             \
	"  virtualHosts:\n"                                   \
	"    - middleware:\n"                                 \
	"        - {apiVersion: core/v1, kind: HTTPLogger}\n" \
	"---\n"

START_TEST(test_slogger_defaults)
{
	struct conf *c = load_str(EP_LOGGER "apiVersion: core/v1\n"
	                                    "kind: SLogger\n"
	                                    "---\n"
	                                    "apiVersion: core/v1\n"
	                                    "kind: HTTPLogger\n");
	const struct log_logger *lg;
	const struct conf_httplogger *hl;

	ck_assert_ptr_nonnull(c);
	lg = c->default_logger;
	ck_assert_ptr_nonnull(lg);
	ck_assert_str_eq(lg->id, "core/v1/SLogger/default/default");
	ck_assert_int_eq(lg->level, LOG_L_INFO);
	ck_assert_int_eq(lg->target, LOG_T_STDOUT);
	ck_assert_int_eq(lg->fd, 1);
	ck_assert_str_eq(lg->output_time_format, "2006-01-02 15:04:05");
	ck_assert_str_eq(lg->date_format, "2006-01-02");
	ck_assert_str_eq(lg->time_format, "15:04:05.000");
	ck_assert_uint_eq(c->servers[0]->nmiddleware, 0);
	ck_assert_uint_eq(c->servers[0]->vhosts[0].nmiddleware, 1);
	hl = LOGGER0(c);
	ck_assert_ptr_null(hl->logger);
	ck_assert_str_eq(hl->time_format, "2006-01-02 15:04:05.000");
	ck_assert_int_eq(hl->format, ACCESS_JSON);
	conf_free(c);
}
END_TEST

START_TEST(test_slogger_file)
{
	char dir[] = "/tmp/aileron-log-XXXXXX", text[2048], path[600];
	struct conf *c;

	conf_make_log_dirs = 1; /* a start: the file is created */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(text, sizeof(text),
	    EP_LOGGER "apiVersion: core/v1\n"
	              "kind: SLogger\n"
	              "spec:\n"
	              "  level: Debug\n"
	              "  unstructured: true\n"
	              "  noLocation: true\n"
	              "  logOutput: {outputTarget: File, logDir: %s}\n"
	              "---\n"
	              "apiVersion: core/v1\n"
	              "kind: HTTPLogger\n"
	              "spec:\n"
	              "  logger: {apiVersion: core/v1, kind: SLogger}\n"
	              "  timezone: UTC\n"
	              "  accessLogFormat: Combined\n",
	    dir);
	c = load_str(text);
	ck_assert_ptr_nonnull(c);
	snprintf(path, sizeof(path), "%s/application.log", dir);
	ck_assert_str_eq(c->default_logger->path, path);
	ck_assert_int_ge(c->default_logger->fd, 3);
	ck_assert_int_eq(c->default_logger->level, LOG_L_DEBUG);
	ck_assert_int_eq(c->default_logger->unstructured, 1);
	ck_assert_int_eq(c->default_logger->no_location, 1);
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_ptr_eq(LOGGER0(c)->logger, c->default_logger);
	ck_assert_int_eq(LOGGER0(c)->utc, 1);
	ck_assert_int_eq(LOGGER0(c)->format, ACCESS_COMBINED);
	conf_free(c);
	unlink(path);
	rmdir(dir);
	conf_make_log_dirs = 0;
}
END_TEST

/* Rotation settings: AILERON's defaults, then every field given. */
START_TEST(test_slogger_rotate)
{
	char dir[] = "/tmp/aileron-log-XXXXXX", text[2048], path[600];
	const struct log_rotate *r;
	struct conf *c;

	conf_make_log_dirs = 1; /* a start: the file is created */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(text, sizeof(text),
	    EP_LOGGER "apiVersion: core/v1\nkind: HTTPLogger\n---\n"
	              "apiVersion: core/v1\nkind: SLogger\nspec:\n"
	              "  logOutput: {outputTarget: File, logDir: %s}\n",
	    dir);
	c = load_str(text);
	ck_assert_msg(c != NULL, "%s", errs.msg[0]);
	r = c->default_logger->rotate;
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->size, 1024LL << 20);
	ck_assert_str_eq(r->pattern, "application.log");
	ck_assert_str_eq(r->backup_dir, dir);
	ck_assert_int_eq(r->has_cron, 0);
	ck_assert_int_eq(r->compress, 0);
	ck_assert_int_eq(c->default_logger->redirect, 0);
	ck_assert_int_eq(c->default_logger->utc, 0);
	ck_assert_uint_eq(c->nfile_loggers, 1);
	conf_free(c);
	snprintf(text, sizeof(text),
	    EP_LOGGER "apiVersion: core/v1\nkind: HTTPLogger\n---\n"
	              "apiVersion: core/v1\nkind: SLogger\nspec:\n"
	              "  logOutput:\n"
	              "    outputTarget: File\n"
	              "    logDir: %s\n"
	              "    logFileName: a.log\n"
	              "    backupDir: %s/old\n"
	              "    archivedFilePattern: a.%%Y%%M%%D.%%i.log\n"
	              "    cron: \"TZ=UTC */10 * * * * *\"\n"
	              "    rotateSize: 3\n"
	              "    compressLevel: -2\n"
	              "    maxAge: 60\n"
	              "    maxBackup: 4\n"
	              "    maxTotalSize: 5\n"
	              "    timeZone: UTC\n"
	              "    outputRedirectTarget: Stderr\n",
	    dir, dir);
	c = load_str(text);
	ck_assert_msg(c != NULL, "%s", errs.msg[0]);
	r = c->default_logger->rotate;
	snprintf(path, sizeof(path), "%s/a.log", dir);
	ck_assert_str_eq(r->path, path);
	snprintf(path, sizeof(path), "%s/old", dir);
	ck_assert_str_eq(r->backup_dir, path);
	ck_assert_str_eq(r->pattern, "a.%Y%M%D.%i.log");
	ck_assert_int_eq(r->has_cron, 1);
	ck_assert_int_eq(r->size, 3LL << 20);
	ck_assert_int_eq(r->compress, -2);
	ck_assert_int_eq(r->max_age, 60);
	ck_assert_int_eq(r->max_backup, 4);
	ck_assert_int_eq(r->max_total, 5LL << 20);
	ck_assert_int_eq(c->default_logger->redirect, LOG_T_STDERR + 1);
	ck_assert_int_eq(c->default_logger->utc, 1);
	/* Loading created no backupDir (the archive manager does). */
	ck_assert_int_ne(access(path, F_OK), 0);
	conf_free(c);
	snprintf(path, sizeof(path), "%s/a.log", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/application.log", dir);
	unlink(path);
	rmdir(dir);
	conf_make_log_dirs = 0;
}
END_TEST

/* fieldReplacers on JSON lines: field, replacer (NULL: remove), result. */
static const struct {
	const char *line, *field, *fixed, *want;
} field_cases[] = {
	{ "{\"a\":1,\"msg\":\"hi\",\"b\":2}\n", "msg", NULL,
	    "{\"a\":1,\"b\":2}\n" },
	{ "{\"msg\":\"hi\",\"b\":2}\n", "msg", NULL, "{\"b\":2}\n" },
	{ "{\"a\":1,\"msg\":\"hi\"}\n", "msg", NULL, "{\"a\":1}\n" },
	{ "{\"msg\":\"hi\"}\n", "msg", NULL, "{}\n" },
	{ "{ \"a\" : 1 , \"msg\" : \"hi\" }\n", "a", NULL,
	    "{\"msg\" : \"hi\" }\n" },
	{ "{\"a\": 1 ,\"b\":2}\n", "b", NULL, "{\"a\": 1 }\n" },
	{ "{\"msg\":\"hi\"}\n", "msg", "***", "{\"msg\":\"***\"}\n" },
	{ "{\"msg\":\"a \\\"q\\\" \\u0001\"}\n", "msg", "\"x\"",
	    "{\"msg\":\"\\\"x\\\"\"}\n" },
	{ "{\"pid\":12}\n", "pid", "***", "{\"pid\":12}\n" },
	{ "{\"location\":{\"file\":\"a.c\",\"func\":\"f\",\"line\":3},"
	  "\"x\":\"{,}\"}\n",
	    "location.func", "***",
	    "{\"location\":{\"file\":\"a.c\",\"func\":\"***\",\"line\":3},"
	    "\"x\":\"{,}\"}\n" },
	{ "{\"r\":{\"h\":{\"A\":\"1\",\"B\":[1,{\"c\":2}]}},\"z\":0}\n",
	    "r.h.B", NULL, "{\"r\":{\"h\":{\"A\":\"1\"}},\"z\":0}\n" },
	{ "{\"r\":{\"h\":{\"A\":\"1\"}}}\n", "r.x.A", NULL,
	    "{\"r\":{\"h\":{\"A\":\"1\"}}}\n" },
	{ "{\"r\":\"s\"}\n", "r.h", NULL, "{\"r\":\"s\"}\n" },
	{ "time=x msg=hi\n", "msg", NULL, "time=x msg=hi\n" },
};

START_TEST(test_field_replacers)
{
	struct replacer_spec sp;
	struct log_field_repl fr;
	char err[128];
	const char *out;
	size_t n;

	memset(&sp, 0, sizeof(sp));
	sp.kind = REPLACER_FIXED;
	sp.value = field_cases[_i].fixed;
	fr.field = field_cases[_i].field;
	fr.r = NULL;
	if (sp.value != NULL)
		ck_assert_ptr_nonnull(
		    fr.r = replacer_compile(&sp, err, sizeof(err)));
	out = logfield_apply(
	    &fr, 1, field_cases[_i].line, strlen(field_cases[_i].line), &n);
	ck_assert_int_eq((int)n, (int)strlen(field_cases[_i].want));
	ck_assert(memcmp(out, field_cases[_i].want, n) == 0);
	replacer_free(fr.r);
}
END_TEST

/* Each bad document and the first error it gives. */
static const struct {
	const char *doc;
	const char *err;
} bad_cases[] = {
	{ "apiVersion: core/v1\nkind: SLogger\nspec:\n"
	  "  logOutput: {outputTarget: File, logDir: /etc/hostname/dir, "
	  "cron: \"*/0 * * * *\"}\n",
	    "t.yaml:20:68: cron \"*/0 * * * *\": invalid minute \"*/0\"" },
	{ "apiVersion: core/v1\nkind: SLogger\nspec:\n"
	  "  logOutput: {outputTarget: File, logDir: /etc/hostname/dir, "
	  "archivedFilePattern: \"app.%d.log\"}\n",
	    "t.yaml:20:83: archivedFilePattern \"app.%d.log\": invalid "
	    "specifier %d (%Y %M %D %h %m %s %u %i %H %U %G %p %P)" },
	{ "apiVersion: core/v1\nkind: SLogger\nspec:\n"
	  "  logOutput: {archivedFilePattern: \"logs/app.%i\", "
	  "outputTarget: File, logDir: /etc/hostname/dir}\n",
	    "t.yaml:20:36: archivedFilePattern \"logs/app.%i\": must be a "
	    "file name, not a path" },
	{ "apiVersion: core/v1\nkind: SLogger\nspec:\n"
	  "  logOutput: {rotateSize: -1}\n",
	    "t.yaml:20:27: field \"rotateSize\": -1 is out of range "
	    "(0..4294967295)" },
	{ "apiVersion: core/v1\nkind: SLogger\nspec:\n"
	  "  logOutput: {maxTotalSize: -5}\n",
	    "t.yaml:20:29: field \"maxTotalSize\": -5 is out of range "
	    "(0..4294967295)" },
	{ "apiVersion: core/v1\nkind: SLogger\nspec:\n"
	  "  logOutput: {compressLevel: 10}\n",
	    "t.yaml:20:30: field \"compressLevel\": 10 is out of range "
	    "(-2..9)" },
	{ "apiVersion: core/v1\nkind: SLogger\nspec:\n"
	  "  logOutput: {outputTarget: File, outputRedirectTarget: File}\n",
	    "t.yaml:20:57: outputRedirectTarget: File is not allowed "
	    "(Stdout, Stderr or Discard)" },
	{ "apiVersion: core/v1\nkind: SLogger\nspec:\n"
	  "  logOutput: {timeZone: Asia/Tokyo}\n",
	    "t.yaml:20:25: timeZone \"Asia/Tokyo\": only Local and UTC "
	    "are supported" },
	{ "apiVersion: core/v1\nkind: SLogger\nspec:\n  level: Loud\n",
	    "t.yaml:20:10: field \"level\": invalid value \"Loud\" (expected "
	    "one of Trace, Debug, Info, Warn, Error, Fatal)" },
	{ "apiVersion: core/v1\nkind: SLogger\nspec:\n"
	  "  logOutput: {outputTarget: File, logDir: /etc/hostname/dir}\n",
	    "t.yaml:20:43: logDir /etc/hostname/dir: Not a directory" },
	{ "apiVersion: core/v1\nkind: SLogger\nspec:\n"
	  "  unstructured: true\n  fieldReplacers: [{field: msg}]\n",
	    "t.yaml:21:19: fieldReplacers: not supported with unstructured: "
	    "true" },
	{ "apiVersion: core/v1\nkind: SLogger\nspec:\n"
	  "  fieldReplacers: [{field: msg, replacer: {}}]\n",
	    "t.yaml:20:43: empty replacer" },
	{ "apiVersion: core/v1\nkind: HTTPLogger\nspec:\n"
	  "  request: {headers: [{name: A, replacers: [{encode: {}}]}]}\n",
	    "t.yaml:20:45: replacer encode: unsupported encoding" },
	{ "apiVersion: core/v1\nkind: HTTPLogger\nspec:\n"
	  "  request: {headers: [{name: A, replacers: [{hash: {alg: "
	  "MD5, encoding: Base64}}]}]}\n",
	    "t.yaml:20:58: field \"alg\": invalid value \"MD5\" (expected one "
	    "of HashAlgUnknown, SHA1, SHA224, SHA256, SHA384, SHA512, "
	    "SHA512_224, "
	    "SHA512_256, SHA3_224, SHA3_256, SHA3_384, SHA3_512, SHAKE128, "
	    "SHAKE256, BLAKE2s_256, BLAKE2b_256, BLAKE2b_384, BLAKE2b_512)" },
	{ "apiVersion: core/v1\nkind: HTTPLogger\nspec:\n"
	  "  request: {headers: [{name: A, replacers: "
	  "[{regexp: {pattern: \"(\"}}]}]}\n",
	    "t.yaml:20:45: replacer regexp: invalid pattern for Regex `(`: "
	    "missing closing parenthesis at offset 1" },
	{ "apiVersion: core/v1\nkind: HTTPLogger\nspec:\n"
	  "  request: {headers: [{name: A, replacers: "
	  "[{fixed: {value: x}, value: {fromTo: {a: b}}}]}]}\n",
	    "t.yaml:20:45: a replacer has exactly one of fixed, value, "
	    "regexp, ..." },
	{ "apiVersion: core/v1\nkind: HTTPLogger\nspec:\n"
	  "  response: {bodies: [{mime: a/b, jsonFields: [\"a.*\"]}]}\n",
	    "t.yaml:20:47: field \"jsonFields\": \"a.*\" is not supported "
	    "(only key paths such as a.b.0.c)" },
	{ "apiVersion: core/v1\nkind: HTTPLogger\nspec:\n"
	  "  timezone: Asia/Tokyo\n",
	    "t.yaml:20:13: field \"timezone\": \"Asia/Tokyo\" is not "
	    "supported yet (Local or UTC)" },
	{ "apiVersion: core/v1\nkind: HTTPLogger\nspec:\n"
	  "  logger: {apiVersion: core/v1, kind: HTTPLogger}\n",
	    "t.yaml:20:11: core/v1/HTTPLogger/default/default cannot be "
	    "used as a logger" },
};

START_TEST(test_bad)
{
	char text[4096];
	struct conf *c;

	snprintf(text, sizeof(text), "%s%s", EP_LOGGER, bad_cases[_i].doc);
	c = load_str(text);
	ck_assert_ptr_null(c);
	ck_assert_int_ge(errs.n, 1);
	if (bad_cases[_i].err != NULL)
		ck_assert_str_eq(errs.msg[0], bad_cases[_i].err);
	else
		ck_abort_msg("every case names its error");
}
END_TEST

/* Go layouts against a fixed UTC time: 2024-03-05 07:08:09.012345678. */
static const struct {
	const char *layout;
	const char *want;
} time_cases[] = {
	{ "2006-01-02 15:04:05", "2024-03-05 07:08:09" },
	{ "2006-01-02 15:04:05.000", "2024-03-05 07:08:09.012" },
	{ "15:04:05.000000", "07:08:09.012345" },
	{ "15:04:05.999", "07:08:09.012" },
	{ "Jan _2 3:4:5 PM", "Mar  5 7:8:9 AM" },
	{ "Monday, 02-January-06 MST", "Tuesday, 05-March-24 UTC" },
	{ "2006-01-02T15:04:05Z07:00", "2024-03-05T07:08:09Z" },
	{ "2006-01-02T15:04:05-0700", "2024-03-05T07:08:09+0000" },
	{ "day 002 of 2006", "day 065 of 2024" },
	{ "literal text", "literal text" },
	{ "", "" },
};

START_TEST(test_time_layouts)
{
	struct timespec ts = { 1709622489, 12345678 };
	char out[128];

	log_format_time(time_cases[_i].layout, &ts, 1, out, sizeof(out));
	ck_assert_str_eq(out, time_cases[_i].want);
}
END_TEST

START_TEST(test_time_truncates)
{
	struct timespec ts = { 1709622489, 0 };
	char out[8];

	log_format_time("2006-01-02 15:04:05", &ts, 1, out, sizeof(out));
	ck_assert_uint_lt(strlen(out), sizeof(out));
}
END_TEST

/* Header h's replacers applied to in, NUL-terminated (in arena a). */
static const char *
repl(struct arena *a, const struct conf_log_header *h, const char *in)
{
	size_t n;
	const char *out = accesslog_replace(
	    h->replacers, h->nreplacers, a, in, strlen(in), &n, 0);

	return arena_strndup(a, out, n);
}

START_TEST(test_replacers)
{
	struct conf *c = load_str(EP_LOGGER
	    "apiVersion: core/v1\n"
	    "kind: SLogger\n"
	    "---\n"
	    "apiVersion: core/v1\n"
	    "kind: HTTPLogger\n"
	    "spec:\n"
	    "  request:\n"
	    "    headers:\n"
	    "      - name: A\n"
	    "        replacers: [{fixed: {value: \"#MASKED#\"}}]\n"
	    "      - name: B\n"
	    "        replacers: [{value: {fromTo: {secret: \"***\"}}}]\n"
	    "      - name: C\n"
	    "        replacers:\n"
	    "          - regexp: {pattern: \"([a-z]+)=([0-9]+)\", "
	    "replace: \"$1=###\"}\n"
	    "          - regexp: {pattern: \"###\", replace: \"$$x\", "
	    "literal: true}\n"
	    "      - name: D\n"
	    "        replacers: [{value: {fromTo: {bar: \"##MASKED##\", "
	    "bob: \"%%MASKED%%\"}}}]\n"
	    "      - name: E\n"
	    "        replacers: [{regexp: {pattern: \".*\", "
	    "replace: \"##MASKED##\"}}]\n"
	    "      - name: F\n"
	    "        replacers: [{regexp: {pattern: \"x*\", "
	    "replace: \"-\"}}]\n");
	const struct conf_log_spec *s;
	struct arena *a = arena_new(4096);

	if (c == NULL)
		fprintf(stderr, "%s\n", errs.msg[0]);
	ck_assert_ptr_nonnull(c);
	s = &LOGGER0(c)->request;
	ck_assert_uint_eq(s->nheaders, 6);
	ck_assert_str_eq(repl(a, &s->headers[0], "Bearer x"), "#MASKED#");
	ck_assert_str_eq(repl(a, &s->headers[1], "secret"), "***");
	/* fromTo replaces every occurrence (AILERON: strings.ReplaceAll). */
	ck_assert_str_eq(repl(a, &s->headers[1], "secrets"), "***s");
	ck_assert_str_eq(
	    repl(a, &s->headers[1], "a secret, secret"), "a ***, ***");
	ck_assert_str_eq(repl(a, &s->headers[1], "public"), "public");
	/* Several pairs, each replaced everywhere. */
	ck_assert_str_eq(repl(a, &s->headers[3], "foo=bar&alice=bob"),
	    "foo=##MASKED##&alice=%%MASKED%%");
	/* ".*" replaces once, as Go's ReplaceAllString does. */
	ck_assert_str_eq(repl(a, &s->headers[4], "anything"), "##MASKED##");
	ck_assert_str_eq(repl(a, &s->headers[4], ""), "##MASKED##");
	/* "x*" on "abc": empty matches around each rune, as Go. */
	ck_assert_str_eq(repl(a, &s->headers[5], "abxc"), "-a-b-c-");
	/* Two replacers in order, the second literal. */
	ck_assert_str_eq(repl(a, &s->headers[2], "a=1, b=22"), "a=$$x, b=$$x");
	arena_free(a);
	conf_free(c);
}
END_TEST

START_TEST(test_ids)
{
	char a[21], b[21];

	accesslog_make_id(a);
	accesslog_make_id(b);
	ck_assert_uint_eq(strlen(a), 20);
	ck_assert_str_ne(a, b);
	ck_assert_uint_eq(strspn(a,
	                      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
	                      "wxyz0123456789-_"),
	    20);
	/* Same host and second: only the counter part differs. */
	ck_assert_int_eq(memcmp(a, b, 10), 0);
}
END_TEST

/* Read a whole small file into buf. */
static const char *
slurp(const char *path, char *buf, size_t size)
{
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	if (fp != NULL) {
		n = fread(buf, 1, size - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	return buf;
}

START_TEST(test_log_file_reopen)
{
	char dir[] = "/tmp/aileron-log-XXXXXX", path[600], moved[600];
	char buf[8192];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.log", dir);
	snprintf(moved, sizeof(moved), "%s/a.log.1", dir);
	ck_assert_int_eq(log_set_file(path), 0);
	log_use(NULL);
	log_info("first %s", "line\x01\"");
	ck_assert_int_eq(rename(path, moved), 0);
	ck_assert_int_eq(log_reopen(), 0);
	log_warnx("second");
	slurp(moved, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "\"msg\":\"first line\\u0001\\\"\""));
	ck_assert_ptr_nonnull(strstr(buf, "\"location\":{\"file\":"));
	ck_assert_ptr_null(strstr(buf, "second"));
	slurp(path, buf, sizeof(buf));
	ck_assert_ptr_nonnull(
	    strstr(buf, "\"level\":\"WARN\",\"msg\":\"second\""));
	ck_assert_ptr_nonnull(strstr(buf, "\"func\":\"test_log_file_reopen"));
	unlink(path);
	unlink(moved);
	rmdir(dir);
}
END_TEST

/* A relative log file is re-opened where it was, after a chdir("/"). */
START_TEST(test_log_file_relative)
{
	char dir[] = "/tmp/aileron-log-XXXXXX", old[PATH_MAX], path[600];
	int fd, fd2;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_nonnull(getcwd(old, sizeof(old)));
	ck_assert_int_eq(chdir(dir), 0);
	fd = log_file_open("rel.log");
	ck_assert_int_ge(fd, 0);
	fd2 = log_file_open("rel.log");
	ck_assert_int_eq(fd, fd2); /* shared by path */
	ck_assert_int_eq(chdir("/"), 0);
	snprintf(path, sizeof(path), "%s/rel.log", dir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(log_reopen(), 0);
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_int_eq(access("/rel.log", F_OK), -1);
	log_file_close(fd);
	log_file_close(fd2);
	ck_assert_int_eq(chdir(old), 0);
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_slogger_defaults);
	tcase_add_test(tc, test_slogger_file);
	tcase_add_test(tc, test_slogger_rotate);
	tcase_add_loop_test(tc, test_field_replacers, 0,
	    (int)(sizeof(field_cases) / sizeof(field_cases[0])));
	tcase_add_loop_test(
	    tc, test_bad, 0, sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_loop_test(tc, test_time_layouts, 0,
	    sizeof(time_cases) / sizeof(time_cases[0]));
	tcase_add_test(tc, test_time_truncates);
	tcase_add_test(tc, test_replacers);
	tcase_add_test(tc, test_ids);
	tcase_add_test(tc, test_log_file_reopen);
	tcase_add_test(tc, test_log_file_relative);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
