/* Unit tests: the Authorization parsers and comparisons of the authn middleware. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "khash.h"
#include "middleware/authn.h"

START_TEST(basic_table)
{
	static const struct {
		const char *in;
		const char *user, *pass; /* NULL: malformed */
	} t[] = {
		{ "Basic dXNlcjA6cGFzc3dvcmQw", "user0", "password0" },
		{ "basic dXNlcjA6cGFzc3dvcmQw", "user0", "password0" },
		{ "BASIC dXNlcjA6cGFzc3dvcmQw", "user0", "password0" },
		{ "Basic dTo=", "u", "" },        /* "u:" */
		{ "Basic OnA=", "", "p" },        /* ":p" */
		{ "Basic YTpiOmM=", "a", "b:c" }, /* first colon splits */
		{ "Basic dXNlcjA=", NULL, NULL }, /* no colon */
		{ "Basic dTo", NULL, NULL },      /* no padding */
		{ "Basic dTo==", NULL, NULL },    /* too much padding */
		{ "Basic dT o=", NULL, NULL },    /* space inside */
		{ "Basic  dTo=", NULL, NULL },    /* two spaces (as Go) */
		{ "Basic d-o=", NULL, NULL },     /* URL alphabet */
		{ "Basic", NULL, NULL },
		{ "Basic ", NULL, NULL },
		{ "Basi dTo=", NULL, NULL },
		{ "Bearer dTo=", NULL, NULL },
		{ "BasicdTo=", NULL, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *u, *p;
		size_t ul, pl, n = strlen(t[i].in);
		char *buf = malloc(n + 8);
		int rc;

		ck_assert_ptr_nonnull(buf);
		rc = authn_basic_parse(t[i].in, n, buf, &u, &ul, &p, &pl);
		if (t[i].user == NULL)
			ck_assert_msg(rc == -1, "case %zu: %s", i, t[i].in);
		else {
			ck_assert_msg(rc == 0, "case %zu: %s", i, t[i].in);
			ck_assert_uint_eq(ul, strlen(t[i].user));
			ck_assert_uint_eq(pl, strlen(t[i].pass));
			ck_assert(memcmp(u, t[i].user, ul) == 0);
			ck_assert(memcmp(p, t[i].pass, pl) == 0);
		}
		free(buf);
	}
}
END_TEST

/* Parse in and return d; rc in *rc. */
static struct authn_digest
digest(const char *in, int *rc, char **buf)
{
	struct authn_digest d;
	size_t n = strlen(in);

	*buf = malloc(n + 1);
	ck_assert_ptr_nonnull(*buf);
	*rc = authn_digest_parse(in, n, *buf, &d);
	return d;
}

START_TEST(digest_good)
{
	struct authn_digest d;
	char *buf;
	int rc;

	d = digest(
	    "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
	    "uri=\"/dir/index.html\", algorithm=SHA-256, nonce=\"7ypf/xlj\","
	    " nc=00000001, cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGe"
	    "mxURZJ\", qop=auth, response=\"753927fa0e85d155564e2e272a28d1"
	    "802ca10daf4496794697cf8db5856cb6c1\", opaque=\"FQhe/qaU925kfnzj"
	    "CeV0\", x-ext=\"a,b\"",
	    &rc, &buf);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(d.username, "Mufasa");
	ck_assert_str_eq(d.realm, "http-auth@example.org");
	ck_assert_str_eq(d.uri, "/dir/index.html");
	ck_assert_str_eq(d.algorithm, "SHA-256");
	ck_assert_str_eq(d.nonce, "7ypf/xlj");
	ck_assert_str_eq(d.nc, "00000001");
	ck_assert_str_eq(d.qop, "auth");
	ck_assert_str_eq(d.opaque, "FQhe/qaU925kfnzjCeV0");
	ck_assert_ptr_null(d.userhash);
	free(buf);

	/* quoted pairs, commas in quotes, BWS, odd case, empty elements */
	d = digest("digest ,USERNAME = \"a\\\"b,c\\\\\" ,, uri=\"/x,y\",nc=1",
	    &rc, &buf);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(d.username, "a\"b,c\\");
	ck_assert_str_eq(d.uri, "/x,y");
	ck_assert_str_eq(d.nc, "1");
	ck_assert_ptr_null(d.response);
	free(buf);

	d = digest("Digest realm=\"\"", &rc, &buf);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(d.realm, "");
	free(buf);
}
END_TEST

START_TEST(digest_bad)
{
	static const char *const t[] = {
		"Digest",
		"Digest=",
		"Digestusername=\"a\"",
		"Basic username=\"a\"",
		"Digest username",
		"Digest username=",
		"Digest username=\"a",
		"Digest username=\"a\\",
		"Digest =\"a\"",
		"Digest username=\"a\" realm=\"b\"",
		"Digest username=a b",
		"Digest username=\"a\", username=\"b\"",
		"Digest nonce=\"a\", NONCE=\"b\"",
		"Digest username=(a)",
		"Digest u\"ser=\"a\"",
	};
	struct authn_digest d;
	size_t i;
	char *buf;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		d = digest(t[i], &rc, &buf);
		(void)d;
		ck_assert_msg(rc == -1, "case %zu: %s", i, t[i]);
		free(buf);
	}
}
END_TEST

START_TEST(equal_and_transform)
{
	unsigned char out[KHASH_MAX];
	long n;

	ck_assert(authn_equal(
	    (const unsigned char *)"abc", 3, (const unsigned char *)"abc", 3));
	ck_assert(!authn_equal(
	    (const unsigned char *)"abc", 3, (const unsigned char *)"abd", 3));
	ck_assert(!authn_equal(
	    (const unsigned char *)"abc", 3, (const unsigned char *)"abc", 2));
	ck_assert(authn_equal(
	    (const unsigned char *)"", 0, (const unsigned char *)"", 0));
	/* none: the key itself; too long for out: -1 */
	ck_assert_int_eq(authn_transform(0, NULL, 0, "key", 3, out, 3), 3);
	ck_assert_int_eq(authn_transform(0, NULL, 0, "key", 3, out, 2), -1);
	/* SHA-256 of the key of AILERON's examples */
	n = authn_transform(KHASH_SHA256, NULL, 0,
	    "bd16d0c8-7bc0-4bf4-a0b0-bccaa3e2f072", 36, out, sizeof(out));
	ck_assert_int_eq(n, 32);
	ck_assert_uint_eq(out[0], 0xd7);
	ck_assert_uint_eq(out[31], 0xd6);
	/* HMAC-SHA256 under "example_password" */
	n = authn_transform(KHASH_SHA256,
	    (const unsigned char *)"example_password", 16,
	    "bd16d0c8-7bc0-4bf4-a0b0-bccaa3e2f072", 36, out, sizeof(out));
	ck_assert_int_eq(n, 32);
	ck_assert_uint_eq(out[0], 0x06);
	ck_assert_uint_eq(out[31], 0x6f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("authn");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, basic_table);
	tcase_add_test(tc, digest_good);
	tcase_add_test(tc, digest_bad);
	tcase_add_test(tc, equal_and_transform);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
