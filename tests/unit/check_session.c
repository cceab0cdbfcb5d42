/* Unit tests: the session's JSON map and its secure encoding, against vectors made by AILERON's rules. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "kcipher.h"
#include "kenc.h"
#include "khash.h"
#include "session.h"

/*
 * The vectors were computed with Python by the Go rules: json.Marshal of
 * a map[string][]byte (sorted keys, base64 values, <>& escaped), HMAC
 * appended, AES-GCM with a 12-byte nonce in front.
 */
static const char vec_json[] =
    "{\"__csrf_token__\":\"ImRHOXJaVzQ9Ig==\",\"a\\u003c\\u0026\":\"InYi\"}";
static const char vec_hmac[] =
    "eyJfX2NzcmZfdG9rZW5fXyI6IkltUkhPWEphVnpROUlnPT0iLCJhXHUwMDNjXHUwMDI2Ij"
    "oiSW5ZaSJ9E4CAf7SJfVt4tB49GNzQJaXzVBFEEJpL2+tXtGhqsio=";
static const char vec_gcm[] =
    "AQEBAQEBAQEBAQEB3fIgFmRHnu15W2KITL8SCVmvhmKPLQfyd8Cj1N+9Scdt+2SR1LfstO"
    "96VdCLOlW9SXsw8Krr2rwoB28uWODkFHf4JADdwIy2RBs3zyoMjZcXeFbeNazHA57DgboS"
    "r0SkmQsjWP3Zmy6T/Coz";
static const char vec_ctr[] =
    "AQEBAQEBAQEBAQEBAQEBAfRgnRSNHREhdGI1wiRfcCP6737YSs9pMasfSP7mrJkOMXkXSu"
    "IINIzxVGkd8Yd76S2q4W+IOz5nx58+OQ==";

static struct arena *a;

static void
setup(void)
{
	a = arena_new(4096);
}

static void
teardown(void)
{
	arena_free(a);
	kcipher_set_random(NULL);
}

/* A random source of 0x01 bytes (the vectors' nonce and IV). */
static int
ones(void *buf, size_t n)
{
	memset(buf, 1, n);
	return 0;
}

/* Base64 of p[0..n), NUL-terminated in the arena. */
static char *
b64(const unsigned char *p, size_t n)
{
	char *s = arena_alloc(a, kenc_encoded_len(KENC_BASE64, n) + 1);

	s[kenc_encode(KENC_BASE64, p, n, s)] = '\0';
	return s;
}

/* The vector's session: a Go []byte and a JSON string, keys out of order. */
static void
vec_session(struct session *s)
{
	session_init(s, a);
	ck_assert_int_eq(session_put(s, "a<&", "\"v\"", 3), 0);
	ck_assert_int_eq(session_put_blob(s, "__csrf_token__", "token", 5), 0);
}

START_TEST(marshal_vector)
{
	struct session s;
	const unsigned char *j;
	size_t n;

	vec_session(&s);
	n = session_marshal(&s, &j);
	ck_assert_uint_eq(n, strlen(vec_json));
	ck_assert_int_eq(memcmp(j, vec_json, n), 0);
}
END_TEST

START_TEST(unmarshal_vector)
{
	struct session s;
	const unsigned char *v, *j;
	size_t n;

	session_init(&s, a);
	ck_assert_int_eq(session_unmarshal(&s, vec_json, strlen(vec_json)), 0);
	ck_assert_int_eq(s.restored, 1);
	v = session_get(&s, "a<&", &n);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(memcmp(v, "\"v\"", 3), 0);
	v = session_get_blob(&s, "__csrf_token__", &n);
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq((const char *)v, "token");
	ck_assert_ptr_null(session_get(&s, "missing", &n));
	ck_assert_ptr_null(session_get_blob(&s, "a<&", &n)); /* not base64 */
	/* Unmodified: the restored bytes are saved as they came. */
	ck_assert_ptr_eq(session_marshal(&s, &j) > 0 ? j : NULL,
	    (const unsigned char *)vec_json);
	ck_assert_int_eq(session_delete(&s, "a<&"), 1);
	ck_assert_int_eq(session_delete(&s, "a<&"), 0);
	n = session_marshal(&s, &j);
	ck_assert_int_eq(
	    memcmp(j, "{\"__csrf_token__\":\"ImRHOXJaVzQ9Ig==\"}", n), 0);
}
END_TEST

START_TEST(unmarshal_errors)
{
	static const char *bad[] = { "[]", "{\"k\":1}", "{\"k\":\"!!\"}",
		"{\"k\":\"InYi\"", "{\"k\":{}}", "\"s\"", "{\"k\":\"InY\"}" };
	struct session s;
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		session_init(&s, a);
		ck_assert_msg(session_unmarshal(&s, bad[i], strlen(bad[i])) < 0,
		    "accepted %s", bad[i]);
	}
	/* Zero bytes (AILERON's empty session) and null: an empty session. */
	session_init(&s, a);
	ck_assert_int_eq(session_unmarshal(&s, "", 0), 0);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_int_eq(session_unmarshal(&s, "null", 4), 0);
	ck_assert_uint_eq(s.n, 0);
	/* A null value is kept as null; duplicates: the last wins (Go). */
	session_init(&s, a);
	ck_assert_int_eq(session_unmarshal(&s,
	                     "{\"n\":null,\"k\":\"YQ==\",\"k\":\"Yg==\"}", 32),
	    0);
	ck_assert_ptr_null(session_get(&s, "n", &n));
	ck_assert_int_eq(*session_get(&s, "k", &n), 'b');
	s.updated = 1;
	{
		const unsigned char *j;

		n = session_marshal(&s, &j);
		ck_assert_int_eq(
		    memcmp(j, "{\"k\":\"Yg==\",\"n\":null}", n), 0);
	}
}
END_TEST

START_TEST(encode_vectors)
{
	struct session_encoder enc = { 0 };
	unsigned char key[32], *out, *back;
	size_t n, bn;
	const char *err = NULL;

	/* HMAC only: SHA256 under "k". */
	enc.hash_alg = KHASH_SHA256;
	enc.hmac_key = (const unsigned char *)"k";
	enc.hmac_klen = 1;
	enc.no_crypt = 1;
	ck_assert_int_eq(
	    session_encode(&enc, a, vec_json, strlen(vec_json), &out, &n, &err),
	    0);
	ck_assert_str_eq(b64(out, n), vec_hmac);
	/* AES-256-GCM under 0x02 bytes, nonce 0x01 bytes, HMAC "hmac-key". */
	memset(key, 2, sizeof(key));
	enc.no_crypt = 0;
	enc.cipher = KCIPHER_AESGCM;
	enc.crypt_key = key;
	enc.crypt_klen = 32;
	enc.hmac_key = (const unsigned char *)"hmac-key";
	enc.hmac_klen = 8;
	kcipher_set_random(ones);
	ck_assert_int_eq(
	    session_encode(&enc, a, vec_json, strlen(vec_json), &out, &n, &err),
	    0);
	ck_assert_str_eq(b64(out, n), vec_gcm);
	ck_assert_int_eq(session_decode(&enc, a, out, n, &back, &bn, &err), 0);
	ck_assert_uint_eq(bn, strlen(vec_json));
	ck_assert_int_eq(memcmp(back, vec_json, bn), 0);
	/* AES-128-CTR, no HMAC. */
	enc.cipher = KCIPHER_AESCTR;
	enc.crypt_klen = 16;
	enc.no_hmac = 1;
	ck_assert_int_eq(
	    session_encode(&enc, a, vec_json, strlen(vec_json), &out, &n, &err),
	    0);
	ck_assert_str_eq(b64(out, n), vec_ctr);
}
END_TEST

/* Every cipher, with and without gzip and HMAC: decode(encode(x)) == x. */
START_TEST(encode_roundtrip)
{
	struct session_encoder enc = { 0 };
	struct session s, t;
	unsigned char key[24], *out, *back;
	const unsigned char *j;
	size_t n, bn, jn, en;
	const char *err = NULL;
	char big[3000];

	memset(key, 7, sizeof(key));
	memset(big, 'x', sizeof(big));
	session_init(&s, a);
	ck_assert_int_eq(session_put(&s, "big", big, sizeof(big)), 0);
	ck_assert_int_eq(session_put_blob(&s, "blob", "\0\1\2", 3), 0);
	jn = session_marshal(&s, &j);
	enc.hash_alg = KHASH_SHA512;
	enc.hmac_key = key;
	enc.hmac_klen = 5;
	enc.cipher = KCIPHER_AESGCM + _i % 5;
	enc.crypt_key = key;
	enc.crypt_klen = 24;
	enc.compress = _i / 5 % 2;
	enc.no_hmac = _i / 10 % 2;
	ck_assert_int_eq(session_encode(&enc, a, j, jn, &out, &en, &err), 0);
	if (enc.compress)
		ck_assert_uint_lt(en, 500); /* 3000 x's squeeze well */
	ck_assert_int_eq(session_decode(&enc, a, out, en, &back, &bn, &err), 0);
	session_init(&t, a);
	ck_assert_int_eq(session_unmarshal(&t, back, bn), 0);
	ck_assert_int_eq(
	    memcmp(session_get_blob(&t, "blob", &n), "\0\1\2", 3), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_ptr_nonnull(session_get(&t, "big", &n));
	ck_assert_uint_eq(n, sizeof(big));
	/* A flipped byte fails: the HMAC, the GCM tag or the padding. */
	if (!enc.no_hmac || enc.cipher == KCIPHER_AESGCM) {
		out[en - 20] ^= 1;
		ck_assert_int_eq(
		    session_decode(&enc, a, out, en, &back, &bn, &err), -1);
	}
	/* The empty session (AILERON's fresh one) round-trips too. */
	ck_assert_int_eq(session_encode(&enc, a, "", 0, &out, &n, &err), 0);
	ck_assert_int_eq(session_decode(&enc, a, out, n, &back, &bn, &err), 0);
	ck_assert_uint_eq(bn, 0);
}
END_TEST

START_TEST(decode_errors)
{
	struct session_encoder enc = { 0 };
	static unsigned char bomb[SESSION_MAX_PLAIN + 1];
	unsigned char key[16], *out, *back;
	size_t n, bn;
	const char *err = NULL;
	struct session s;
	char *big;

	memset(key, 3, sizeof(key));
	enc.hash_alg = KHASH_SHA256;
	enc.hmac_key = key;
	enc.hmac_klen = 16;
	enc.cipher = KCIPHER_AESCBC;
	enc.crypt_key = key;
	enc.crypt_klen = 16;
	ck_assert_int_eq(
	    session_decode(&enc, a, "short", 5, &back, &bn, &err), -1);
	ck_assert_str_eq(err, "invalid hash");
	ck_assert_int_eq(session_encode(&enc, a, "{}", 2, &out, &n, &err), 0);
	out[n - 1] ^= 1;
	ck_assert_int_eq(session_decode(&enc, a, out, n, &back, &bn, &err), -1);
	ck_assert_str_eq(err, "hashes are not matched");
	/* Decompression stops at SESSION_MAX_PLAIN bytes. */
	enc.no_hmac = enc.no_crypt = 0;
	enc.compress = 1;
	memset(bomb, ' ', sizeof(bomb));
	ck_assert_int_eq(
	    session_encode(&enc, a, bomb, sizeof(bomb), &out, &n, &err), 0);
	ck_assert_int_eq(session_decode(&enc, a, out, n, &back, &bn, &err), -1);
	ck_assert_str_eq(err, "failed to extract compressed data");
	/* session_put refuses what would outgrow SESSION_MAX_DATA. */
	big = arena_alloc(a, SESSION_MAX_DATA);
	memset(big, 'y', SESSION_MAX_DATA);
	session_init(&s, a);
	ck_assert_int_eq(session_put(&s, "k", big, SESSION_MAX_DATA / 2), 0);
	ck_assert_int_eq(session_put(&s, "l", big, SESSION_MAX_DATA / 2), -1);
	ck_assert_ptr_null(session_get(&s, "l", &n));
	ck_assert_int_eq(session_put(&s, "k", big, SESSION_MAX_DATA / 3), 0);
	ck_assert_int_eq(session_put_blob(&s, "b", big, SESSION_MAX_DATA), -1);
}
END_TEST

/* The store's IDs: base32hex of 30 bytes, as Python's b32hexencode. */
START_TEST(session_ids)
{
	unsigned char b[SESSION_ID_BYTES];
	char id[SESSION_ID_LEN + 1], id2[SESSION_ID_LEN + 1];
	size_t i;

	for (i = 0; i < sizeof(b); i++)
		b[i] = (unsigned char)i;
	session_id_encode(b, id);
	ck_assert_str_eq(
	    id, "000G40O40K30E209185GO38E1S8124GJ2GAHC5OO34D1M70T");
	memset(b, 0xff, sizeof(b));
	session_id_encode(b, id);
	ck_assert_str_eq(
	    id, "VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVV");
	ck_assert_int_eq(session_id_new(id), 0);
	ck_assert_int_eq(session_id_new(id2), 0);
	ck_assert_uint_eq(strlen(id), SESSION_ID_LEN);
	ck_assert_str_ne(id, id2);
	ck_assert(session_id_valid(id, strlen(id)));
	ck_assert(!session_id_valid(id, strlen(id) - 1));
	id2[0] = 'W';
	ck_assert(!session_id_valid(id2, SESSION_ID_LEN));
	id2[0] = 'a';
	ck_assert(!session_id_valid(id2, SESSION_ID_LEN));
	id2[0] = '*';
	ck_assert(!session_id_valid(id2, SESSION_ID_LEN));
	ck_assert(!session_id_valid("", 0));
}
END_TEST

START_TEST(session_keys)
{
	ck_assert_str_eq(session_kvs_key(a, "sess:", "AB", 2), "sess:AB");
	ck_assert_str_eq(session_kvs_key(a, NULL, "ABC", 2), "AB");
	ck_assert_str_eq(session_kvs_key(a, "", "ABC", 3), "ABC");
}
END_TEST

static Suite *
session_suite(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, marshal_vector);
	tcase_add_test(tc, unmarshal_vector);
	tcase_add_test(tc, unmarshal_errors);
	tcase_add_test(tc, encode_vectors);
	tcase_add_loop_test(tc, encode_roundtrip, 0, 20);
	tcase_add_test(tc, decode_errors);
	tcase_add_test(tc, session_ids);
	tcase_add_test(tc, session_keys);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(session_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
