/* Unit tests for the kind registry (src/kind.c) and the table engine. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "conf_table.h"
#include "kind.h"
#include "template.h"

#define EP                      \
	"apiVersion: core/v1\n" \
	"kind: Entrypoint\n"    \
	"spec: {}\n"

/* Every error the loader reported. */
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

static void
print_errs(void)
{
	int i;

	for (i = 0; i < errs.n && i < 32; i++)
		fprintf(stderr, "  error: %s\n", errs.msg[i]);
}

static struct conf *
load_str(const char *text)
{
	memset(&errs, 0, sizeof(errs));
	return conf_load_string("t.yaml", text, collect, &errs);
}

/* Was msg among the errors? */
static int
has_err(const char *msg)
{
	int i;

	for (i = 0; i < errs.n && i < 32; i++)
		if (strcmp(errs.msg[i], msg) == 0)
			return 1;
	print_errs();
	return 0;
}

/* The supported kinds of the registry, then the refused ones. */
static const struct kind *
nth_kind(int status, int i)
{
	const struct kind *const *k;

	for (k = kind_registry; *k != NULL; k++)
		if ((*k)->status == status && i-- == 0)
			return *k;
	return NULL;
}

static int
count_kinds(int status)
{
	int n = 0;

	while (nth_kind(status, n) != NULL)
		n++;
	return n;
}

/* Each kind is registered once and found by its name. */
START_TEST(test_registry_unique)
{
	const struct kind *const *k, *const *j;

	for (k = kind_registry; *k != NULL; k++) {
		ck_assert_ptr_eq(kind_find((*k)->api_version, (*k)->kind), *k);
		for (j = k + 1; *j != NULL; j++)
			ck_assert(
			    strcmp((*k)->api_version, (*j)->api_version) != 0 ||
			    strcmp((*k)->kind, (*j)->kind) != 0);
		if ((*k)->status == KIND_OK) {
			ck_assert_ptr_nonnull((*k)->table);
			ck_assert_uint_gt((*k)->size, 0);
		} else
			ck_assert_ptr_null((*k)->table);
	}
	ck_assert_ptr_null(kind_find("core/v1", "NoSuchKind"));
	ck_assert_int_ge(count_kinds(KIND_OK), 10);
	ck_assert_int_eq(
	    kind_find("app/v1", "OPAAuthzMiddleware")->status, KIND_LATER);
	ck_assert_int_eq(kind_find("core/v1", "GoPlugin")->status, KIND_NEVER);
}
END_TEST

/* The refused kinds (not supported yet, then never), by index. */
static const struct kind *
nth_refused(int i)
{
	const struct kind *k = nth_kind(KIND_LATER, i);

	return k != NULL ? k
	                 : nth_kind(KIND_NEVER, i - count_kinds(KIND_LATER));
}

/*
 * A refused kind is an error naming it, never ignored: "not supported
 * yet" (LATER) or "not supported" (NEVER, e.g. GoPlugin).
 */
START_TEST(test_registry_refused)
{
	const struct kind *k = nth_refused(_i);
	char text[256], want[256];

	snprintf(text, sizeof(text), EP "---\napiVersion: %s\nkind: %s\n",
	    k->api_version, k->kind);
	snprintf(want, sizeof(want),
	    "t.yaml:6:7: kind %s %s is not supported%s", k->api_version,
	    k->kind, k->status == KIND_LATER ? " yet" : "");
	ck_assert_ptr_null(load_str(text));
	ck_assert_msg(has_err(want), "%s", want);
}
END_TEST

/* Every table rejects an unknown field, at its line and column. */
START_TEST(test_unknown_field)
{
	const struct kind *k = nth_kind(KIND_OK, _i);
	char text[256], want[256];

	snprintf(text, sizeof(text),
	    "apiVersion: %s\nkind: %s\nspec:\n  noSuchField: 1\n",
	    k->api_version, k->kind);
	snprintf(want, sizeof(want),
	    "t.yaml:4:3: unknown field \"noSuchField\" in %s %s spec",
	    k->api_version, k->kind);
	ck_assert_ptr_null(load_str(text));
	ck_assert_msg(has_err(want), "%s", want);
}
END_TEST

/* Every kind's -t template loads back through the loader, alone. */
START_TEST(test_template_loads)
{
	const struct kind *k = nth_kind(KIND_OK, _i);
	char what[128], *tmpl = NULL, *text;
	size_t len = 0, n;
	struct conf *c;
	FILE *fp;

	snprintf(what, sizeof(what), "%s/%s", k->api_version, k->kind);
	fp = open_memstream(&tmpl, &len);
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(template_print(fp, what, 0, NULL, 0), 0);
	fclose(fp);
	ck_assert(strncmp(tmpl, "apiVersion: ", 12) == 0);
	n = strlen(EP) + len + 8;
	text = malloc(n);
	ck_assert_ptr_nonnull(text);
	if (k->flags & KIND_F_SINGLE)
		snprintf(text, n, "%s", tmpl);
	else
		snprintf(text, n, EP "---\n%s", tmpl);
	c = load_str(text);
	if (strcmp(k->kind, "HTTPHandler") == 0) {
		/* As in AILERON, its default has no handler: refused. */
		ck_assert_ptr_null(c);
		ck_assert_int_eq(errs.n, 1);
		ck_assert(
		    strstr(errs.msg[0], "missing field \"handler\"") != NULL);
		free(text);
		free(tmpl);
		return;
	}
	if (c == NULL)
		fprintf(stderr, "%s", text);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(errs.n, 0);
	conf_free(c);
	free(text);
	free(tmpl);
}
END_TEST

/* A test table: one field of each type the engine defaults. */
struct tobj {
	int32_t i32;
	int64_t i64;
	char *s;
	int e;
	char **l;
	size_t nl;
	struct {
		int32_t n;
	} sub;
};

static const struct kname tenums[] = {
	{ "Zero", 0 },
	{ "One", 1 },
	{ "Two", 2 },
	{ NULL, 0 },
};

static const struct conf_field tsub_fields[] = {
	FINTD("n", struct tobj, sub.n, 0, 100, "7"),
	FEND,
};
static const struct conf_table tsub_table = { tsub_fields, NULL };

static const struct conf_field tfields[] = {
	FINTD("i32", struct tobj, i32, -5, 100, "30"),
	FINTD("i64", struct tobj, i64, -5, INT64_MAX, "8192"),
	FSTRD("s", struct tobj, s, "Local"),
	FENUMD("e", struct tobj, e, tenums, "Two"),
	FSTRSD("l", struct tobj, l, nl, 0, "/healthz"),
	FFLAT("sub", &tsub_table),
	FEND,
};
static const struct conf_table ttable = { tfields, NULL };

/* Zero values take the defaults, of nested objects too. */
START_TEST(test_defaults_fill_zero)
{
	struct loader ld;
	struct tobj o;
	char empty[] = "";

	memset(&ld, 0, sizeof(ld));
	ld.arena = arena_new(1024);
	memset(&o, 0, sizeof(o));
	o.s = empty;
	conf_table_defaults(&ld, &ttable, &o);
	ck_assert_int_eq(o.i32, 30);
	ck_assert_int_eq(o.i64, 8192);
	ck_assert_str_eq(o.s, "Local");
	ck_assert_int_eq(o.e, 2);
	ck_assert_uint_eq(o.nl, 1);
	ck_assert_str_eq(o.l[0], "/healthz");
	ck_assert_int_eq(o.sub.n, 7);
	arena_free(ld.arena);
}
END_TEST

/* Non-zero values, negative ones too, are kept. */
START_TEST(test_defaults_keep_nonzero)
{
	struct loader ld;
	struct tobj o;
	char s[] = "UTC", *l[] = { s };

	memset(&ld, 0, sizeof(ld));
	ld.arena = arena_new(1024);
	memset(&o, 0, sizeof(o));
	o.i32 = -1;
	o.i64 = 5;
	o.s = s;
	o.e = 1;
	o.l = l;
	o.nl = 1;
	o.sub.n = 3;
	conf_table_defaults(&ld, &ttable, &o);
	ck_assert_int_eq(o.i32, -1);
	ck_assert_int_eq(o.i64, 5);
	ck_assert_str_eq(o.s, "UTC");
	ck_assert_int_eq(o.e, 1);
	ck_assert_ptr_eq(o.l, l);
	ck_assert_int_eq(o.sub.n, 3);
	arena_free(ld.arena);
}
END_TEST

#define SERVER(http)                                      \
	"apiVersion: core/v1\n"                           \
	"kind: Entrypoint\n"                              \
	"spec:\n"                                         \
	"  runners:\n"                                    \
	"    - {apiVersion: core/v1, kind: HTTPServer}\n" \
	"---\n"                                           \
	"apiVersion: core/v1\n"                           \
	"kind: HTTPServer\n"                              \
	"spec:\n"                                         \
	"  shutdownTimeout: 0\n"                          \
	"  httpConfig: " http "\n"

/* Through the loader: a zero in a manifest does not override a default. */
START_TEST(test_defaults_through_loader)
{
	struct conf *c;

	c = load_str(SERVER("{readTimeout: 0, maxHeaderBytes: 0, "
	                    "idleTimeout: 0, maxTrailerBytes: 0}"));
	if (c == NULL)
		print_errs();
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->nservers, 1);
	ck_assert_int_eq(c->servers[0]->shutdown_timeout, 30);
	ck_assert_int_eq(c->servers[0]->read_timeout, 30000);
	ck_assert_int_eq(c->servers[0]->idle_timeout, 10000);
	ck_assert_int_eq(c->servers[0]->max_header_bytes, 8192);
	ck_assert_int_eq(c->servers[0]->max_trailer_bytes, 8192);
	conf_free(c);
	c = load_str(SERVER("{readTimeout: 5, maxHeaderBytes: 1024, "
	                    "idleTimeout: -1}"));
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->servers[0]->read_timeout, 5000);
	ck_assert_int_eq(c->servers[0]->idle_timeout, 0); /* none */
	ck_assert_int_eq(c->servers[0]->max_header_bytes, 1024);
	conf_free(c);
}
END_TEST

static Suite *
kind_suite(void)
{
	Suite *s = suite_create("kind");
	TCase *tc = tcase_create("registry");

	tcase_add_test(tc, test_registry_unique);
	tcase_add_loop_test(tc, test_registry_refused, 0,
	    count_kinds(KIND_LATER) + count_kinds(KIND_NEVER));
	tcase_add_loop_test(tc, test_unknown_field, 0, count_kinds(KIND_OK));
	tcase_add_loop_test(tc, test_template_loads, 0, count_kinds(KIND_OK));
	suite_add_tcase(s, tc);
	tc = tcase_create("defaults");
	tcase_add_test(tc, test_defaults_fill_zero);
	tcase_add_test(tc, test_defaults_keep_nonzero);
	tcase_add_test(tc, test_defaults_through_loader);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kind_suite());
	int failed;

	conf_open_log_files = 0; /* templates name ./application.log */
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
