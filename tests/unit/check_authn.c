/* Unit tests: the Authorization parsers and comparisons of the authn middleware. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "khash.h"
#include "middleware/authn.h"

#define DIR TEST_DATA_DIR "/authn/"

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

/* Every error the loader reported. */
struct errs {
	char msg[16][512];
	int n;
};

static struct errs errs;

static void
collect(void *ctx, const char *msg)
{
	struct errs *e = ctx;

	if (e->n < 16)
		snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s", msg);
	e->n++;
}

/* A server, then the document under test from line 11 on. */
#define HEAD                                                            \
	"apiVersion: core/v1\nkind: Entrypoint\nspec:\n  runners:\n"    \
	"    - apiVersion: core/v1\n      kind: HTTPServer\n---\n"      \
	"apiVersion: core/v1\nkind: HTTPServer\nspec: {addr: \":1\"}\n" \
	"---\n"
#define BASIC  "apiVersion: app/v1\nkind: BasicAuthnMiddleware\nspec:\n"
#define DIGEST "apiVersion: app/v1\nkind: DigestAuthnMiddleware\nspec:\n"
#define KEY    "apiVersion: app/v1\nkind: KeyAuthnMiddleware\nspec:\n"
#define IDKEY  "apiVersion: app/v1\nkind: IDKeyAuthnMiddleware\nspec:\n"

static const char *const good[] = {
	HEAD BASIC "  {}\n",
	HEAD BASIC "  realm: 'a \"quoted\" realm'\n"
	           "  fileProvider: {paths: [" DIR "users.list]}\n",
	HEAD BASIC "  passwordCrypt: {pbkdf2: {saltLen: 8, iter: 10}}\n"
	           "  fileProvider:\n    encoding: Base16\n"
	           "    paths: [" DIR "users-hex.list]\n",
	HEAD BASIC "  envProvider: {usernamePrefix: X_, encoding: Base64}\n",
	HEAD DIGEST "  {}\n",
	HEAD DIGEST "  algorithm: sha-512-256\n"
	            "  fileProvider: {paths: [" DIR "users.list]}\n",
	HEAD KEY "  {}\n",
	HEAD KEY "  hashAlg: BLAKE2b_512\n  hmacSecret: a2V5\n"
	         "  keyHeaderName: Token\n",
	HEAD IDKEY "  commonKeyCryptType: AESGCM\n"
	           "  cryptSecret: MDEyMzQ1Njc4OWFiY2RlZg==\n",
	/* PascalCase names are AILERON's too */
	HEAD KEY "  HashAlg: SHA256\n  KeyHeaderName: X-Key\n",
};

START_TEST(conf_good)
{
	struct conf *c;
	int i;

	memset(&errs, 0, sizeof(errs));
	c = conf_load_string("t.yaml", good[_i], collect, &errs);
	for (i = 0; i < errs.n && i < 16; i++)
		fprintf(stderr, "case %d: %s\n", _i, errs.msg[i]);
	ck_assert_ptr_nonnull(c);
	conf_free(c);
}
END_TEST

static const struct {
	const char *text;
	const char *want[6];
} bad[] = {
	{ HEAD BASIC "  fileProvider: {paths: [" DIR "bad.list]}\n",
	    { "t.yaml:15:17: " DIR "bad.list line 3: expected user:secret",
	        "t.yaml:15:17: " DIR "bad.list line 6: the text after the "
	        "secret is not a JSON object" } },
	{ HEAD IDKEY "  fileProvider: {paths: [" DIR "dup.list]}\n",
	    { "t.yaml:15:17: " DIR "dup.list line 4: duplicate id "
	      "\"user0\"" } },
	{ HEAD BASIC "  fileProvider:\n    encoding: Base16\n"
	             "    paths: [" DIR "bad.list]\n",
	    { "t.yaml:16:5: " DIR "bad.list line 1: the secret is not "
	      "valid Base16",
	        "t.yaml:16:5: " DIR "bad.list line 3: expected user:secret",
	        "t.yaml:16:5: " DIR "bad.list line 4: the secret is not "
	        "valid Base16",
	        "t.yaml:16:5: " DIR "bad.list line 5: the secret is not "
	        "valid Base16",
	        "t.yaml:16:5: " DIR "bad.list line 6: the text after the "
	        "secret is not a JSON object" } },
	{ HEAD BASIC "  passwordCrypt: {argon2i: {saltLen: 4}}\n",
	    { "t.yaml:15:18: passwordCrypt: argon2: saltLen must be at "
	      "least 8" } },
	{ HEAD BASIC "  passwordCrypt: {}\n",
	    { "t.yaml:15:18: passwordCrypt: one of bcrypt, scrypt, pbkdf2, "
	      "argon2i or argon2id" } },
	{ HEAD BASIC "  commonKeyCryptType: AESXTS\n",
	    { "t.yaml:15:23: field \"commonKeyCryptType\": invalid value "
	      "\"AESXTS\" (expected one of CommonKeyCryptTypeUnknown, "
	      "AESGCM, AESCBC, AESCFB, AESCTR, AESOFB)" } },
	{ HEAD DIGEST "  algorithm: SHA-1\n  passwordCrypt: {bcrypt: {}}\n",
	    { "t.yaml:15:14: algorithm: expected MD5, SHA-256 or "
	      "SHA-512-256, got \"SHA-1\"",
	        "t.yaml:16:18: passwordCrypt: Digest needs the passwords "
	        "themselves; hashed passwords cannot be checked" } },
	{ HEAD KEY "  hmacSecret: a2V5\n",
	    { "t.yaml:15:15: hmacSecret needs hashAlg" } },
	{ HEAD KEY "  fileProvider: {paths: [" DIR "users.list]}\n"
	           "  envProvider: {}\n",
	    { "t.yaml:15:3: only one of envProvider and fileProvider may be "
	      "set" } },
	{ HEAD IDKEY "  cryptSecret: a2V5\n  commonKeyCryptType: AESCBC\n",
	    { "t.yaml:15:16: cryptSecret: expected the base64 of a 16, 24 "
	      "or 32-byte key" } },
};

START_TEST(conf_bad)
{
	struct conf *c;
	int i;

	memset(&errs, 0, sizeof(errs));
	c = conf_load_string("t.yaml", bad[_i].text, collect, &errs);
	ck_assert_ptr_null(c);
	for (i = 0; bad[_i].want[i] != NULL; i++) {
		ck_assert_msg(
		    i < errs.n, "case %d: missing %s", _i, bad[_i].want[i]);
		ck_assert_str_eq(errs.msg[i], bad[_i].want[i]);
	}
	ck_assert_msg(errs.n == i, "case %d: %d errors, last %s", _i, errs.n,
	    errs.msg[errs.n - 1]);
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
	tcase_add_loop_test(tc, conf_good, 0, sizeof(good) / sizeof(good[0]));
	tcase_add_loop_test(tc, conf_bad, 0, sizeof(bad) / sizeof(bad[0]));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
