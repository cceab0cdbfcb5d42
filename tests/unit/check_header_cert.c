/* Unit tests: HeaderCertMiddleware decoding, verification and fingerprints. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "middleware/header_cert.h"

#define DIR TEST_DATA_DIR "/headercert/"

/* Read a whole file into a NUL-terminated malloc'd string. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(65536);

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(buf);
	*len = fread(buf, 1, 65535, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* The certHeader value a front proxy sends: base64url (padded) of the PEM. */
static char *
header_value(const char *file, int urlsafe)
{
	size_t len, i;
	char *pem = slurp(file, &len);
	char *out = malloc(len * 2 + 4);

	ck_assert_ptr_nonnull(out);
	EVP_EncodeBlock((unsigned char *)out, (unsigned char *)pem, (int)len);
	for (i = 0; urlsafe && out[i] != '\0'; i++)
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	free(pem);
	return out;
}

static X509_STORE *
roots(const char *file)
{
	const char *paths[] = { file };
	char err[256];
	X509_STORE *s = header_cert_load_roots(paths, 1, err, sizeof(err));

	ck_assert_msg(s != NULL, "%s", err);
	return s;
}

START_TEST(b64url_table)
{
	static const struct {
		const char *in;
		long want;
		const char *out;
	} cases[] = {
		{ "", 0, "" },
		{ "Zm9v", 3, "foo" },
		{ "Zm9vYg==", 4, "foob" },
		{ "Zm9vYmE=", 5, "fooba" },
		{ "Zm9v\r\nYmE=\n", 5, "fooba" },
		{ "-_-_", 3, "\xfb\xff\xbf" },
		{ "+/+/", -1, NULL },   /* the standard alphabet fails */
		{ "Zm9vYg", -1, NULL }, /* padding is required */
		{ "Zm9vY===", -1, NULL },
		{ "Zm9vYg==Zm9v", -1, NULL }, /* nothing after padding */
		{ "Zm=v", -1, NULL },
		{ "Zm9", -1, NULL },
		{ "Zm 9v", -1, NULL },
	};
	unsigned char out[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long n = header_cert_b64url_decode(
		    cases[i].in, strlen(cases[i].in), out, sizeof(out));

		ck_assert_msg(n == cases[i].want, "case %zu: %ld", i, n);
		if (n > 0)
			ck_assert(memcmp(out, cases[i].out, (size_t)n) == 0);
	}
	/* output that does not fit */
	ck_assert_int_eq(header_cert_b64url_decode("Zm9vYmFy", 8, out, 5), -1);
}
END_TEST

START_TEST(load_roots)
{
	const char *two[] = { DIR "root.crt", DIR "roots.pem" };
	const char *missing[] = { DIR "root.crt", DIR "missing.crt" };
	const char *empty[] = { DIR "empty.pem" };
	char err[256];
	X509_STORE *s;

	s = header_cert_load_roots(two, 2, err, sizeof(err));
	ck_assert_ptr_nonnull(s);
	X509_STORE_free(s);
	ck_assert_ptr_null(
	    header_cert_load_roots(missing, 2, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "missing.crt"));
	ck_assert_ptr_null(header_cert_load_roots(empty, 1, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "no certificate"));
}
END_TEST

START_TEST(check_table)
{
	static const struct {
		const char *roots, *cert; /* cert NULL: no header */
		int urlsafe, check_fp;
		const char *fp; /* "FILE": the right one from client.fp */
		int status;
		const char *code;
	} cases[] = {
		{ "root.crt", "client.crt", 1, 0, NULL, 0, "" },
		{ "roots.pem", "client-other.crt", 1, 0, NULL, 0, "" },
		{ "root.crt", "client-serverauth.crt", 1, 0, NULL, 0, "" },
		/* Go's default EKU is serverAuth */
		{ "root.crt", "client-clientauth.crt", 1, 0, NULL, 401, "" },
		{ "root.crt", "client-other.crt", 1, 0, NULL, 401, "" },
		{ "root.crt", "client-expired.crt", 1, 0, NULL, 401, "" },
		/* a root is an anchor itself */
		{ "root.crt", "root.crt", 1, 0, NULL, 0, "" },
		{ "root.crt", NULL, 1, 0, NULL, 400, "E3214" },
		{ "root.crt", "empty.pem", 1, 0, NULL, 400, "E3214" },
		{ "root.crt", "client.crt", 1, 1, "FILE", 0, "" },
		{ "root.crt", "client.crt", 1, 1, "UPPER", 0, "" },
		{ "root.crt", "client.crt", 1, 1, NULL, 401, "E3215" },
		{ "root.crt", "client.crt", 1, 1, "00", 401, "E3215" },
		/* verification comes before the fingerprint */
		{ "root.crt", "client-other.crt", 1, 1, "FILE", 401, "" },
	};
	size_t i, fplen;
	char *fp = slurp(DIR "client.fp", &fplen), upper[80];

	fplen = strcspn(fp, "\n");
	fp[fplen] = '\0';
	for (i = 0; i <= fplen; i++)
		upper[i] =
		    (char)(fp[i] >= 'a' && fp[i] <= 'f' ? fp[i] - 32 : fp[i]);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[512];
		X509_STORE *s;
		char *v = NULL;
		const char *f = cases[i].fp;
		struct header_cert_result r;

		snprintf(path, sizeof(path), DIR "%s", cases[i].roots);
		s = roots(path);
		if (cases[i].cert != NULL) {
			snprintf(path, sizeof(path), DIR "%s", cases[i].cert);
			v = header_value(path, cases[i].urlsafe);
		}
		if (f != NULL && strcmp(f, "FILE") == 0)
			f = fp;
		else if (f != NULL && strcmp(f, "UPPER") == 0)
			f = upper;
		r = header_cert_check(s, v, v ? strlen(v) : 0,
		    cases[i].check_fp, f, f ? strlen(f) : 0);
		ck_assert_msg(r.status == cases[i].status, "case %zu: %d %s", i,
		    r.status, r.reason ? r.reason : "");
		ck_assert_msg(strcmp(r.code, cases[i].code) == 0,
		    "case %zu: %s", i, r.code);
		free(v);
		X509_STORE_free(s);
	}
	free(fp);
}
END_TEST

/* Garbage that decodes: not PEM, PEM of junk, a truncated certificate. */
START_TEST(bad_input)
{
	static const char *const bodies[] = {
		"hello",
		"-----BEGIN CERTIFICATE-----\nAAAA\n-----END "
		"CERTIFICATE-----\n",
		"-----BEGIN CERTIFICATE-----\n",
	};
	X509_STORE *s = roots(DIR "root.crt");
	unsigned char enc[512];
	size_t i, j;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct header_cert_result r;

		EVP_EncodeBlock(enc, (const unsigned char *)bodies[i],
		    (int)strlen(bodies[i]));
		for (j = 0; enc[j] != '\0'; j++)
			if (enc[j] == '+')
				enc[j] = '-';
			else if (enc[j] == '/')
				enc[j] = '_';
		r = header_cert_check(
		    s, (const char *)enc, strlen((char *)enc), 0, NULL, 0);
		ck_assert_msg(r.status == 400, "case %zu", i);
		ck_assert_str_eq(r.code, "E3214");
	}
	X509_STORE_free(s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("header_cert");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, b64url_table);
	tcase_add_test(tc, load_roots);
	tcase_add_test(tc, check_table);
	tcase_add_test(tc, bad_input);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
