/* Unit tests of tls.c: contexts from a TLSConfig, errors, SNI and verification in memory. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "conf.h"
#include "tls.h"

static char dir[64];
static char errs[8][1024];
static int nerrs;

static void
collect(void *ctx, const char *msg)
{
	(void)ctx;
	if (nerrs < 8)
		snprintf(errs[nerrs++], sizeof(errs[0]), "%s", msg);
}

static char *
path(const char *name)
{
	static char buf[16][128];
	static int i;

	i = (i + 1) % 16;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

/* A self-signed certificate name.pem for DNS name dns, key name.key. */
static void
make_cert(const char *name, const char *dns)
{
	static long serial = 1;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	char san[128], file[160];
	FILE *fp;

	ck_assert_ptr_nonnull(key);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(
	    n, "CN", MBSTRING_ASC, (const unsigned char *)name, -1, -1, 0);
	X509_set_issuer_name(x, n);
	snprintf(san, sizeof(san), "DNS:%s", dns);
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
	ck_assert_ptr_nonnull(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
	snprintf(file, sizeof(file), "%s/%s.pem", dir, name);
	ck_assert_ptr_nonnull(fp = fopen(file, "w"));
	PEM_write_X509(fp, x);
	fclose(fp);
	snprintf(file, sizeof(file), "%s/%s.key", dir, name);
	ck_assert_ptr_nonnull(fp = fopen(file, "w"));
	PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL);
	fclose(fp);
	X509_free(x);
	EVP_PKEY_free(key);
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_tls.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	make_cert("a", "a.test");
	make_cert("b", "b.test");
	nerrs = 0;
}

static void
teardown(void)
{
	const char *names[] = { "a.pem", "a.key", "b.pem", "b.key" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(path(names[i]));
	rmdir(dir);
}

/* A TLSConfig with defaults as the loader sets them. */
static void
tls_init(struct conf_tls *t, struct conf_tls_pair *p, size_t npairs)
{
	static const struct conf_pos pos = { "t.yaml", 3, 4 };
	size_t i;

	memset(t, 0, sizeof(*t));
	t->pairs = p;
	t->npairs = npairs;
	t->min_version = TLS1_2_VERSION;
	t->max_version = TLS1_3_VERSION;
	t->pos = t->client_cas_pos = t->root_cas_pos = pos;
	for (i = 0; i < npairs; i++)
		p[i].cert_pos = p[i].key_pos = pos;
}

/* Run both handshakes over a socketpair; 0 when both ended well. */
static int
handshake(SSL *c, SSL *s)
{
	int i, rc, cdone = 0, sdone = 0;

	for (i = 0; i < 100 && !(cdone && sdone); i++) {
		if (!cdone) {
			rc = SSL_do_handshake(c);
			if (rc == 1)
				cdone = 1;
			else if (SSL_get_error(c, rc) != SSL_ERROR_WANT_READ)
				return -1;
		}
		if (!sdone) {
			rc = SSL_do_handshake(s);
			if (rc == 1)
				sdone = 1;
			else if (SSL_get_error(s, rc) != SSL_ERROR_WANT_READ)
				return -1;
		}
	}
	ERR_clear_error();
	return cdone && sdone ? 0 : -1;
}

/* Connect a client for host to server st; the CN the server showed, or NULL. */
static const char *
connect_to(struct conf_tls *st, struct conf_tls *ct, const char *host)
{
	static char cn[64];
	SSL_CTX *cctx;
	SSL *c, *s;
	X509 *peer;
	int sv[2], ok;

	ck_assert_int_eq(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	ck_assert_ptr_nonnull(cctx = tls_client_ctx_new(ct, collect, NULL));
	ck_assert_ptr_nonnull(c = tls_client_ssl_new(cctx, ct, sv[0], host));
	ck_assert_ptr_nonnull(s = tls_server_ssl_new(st, sv[1]));
	ok = handshake(c, s) == 0;
	cn[0] = '\0';
	if (ok && (peer = SSL_get1_peer_certificate(c)) != NULL) {
		X509_NAME_get_text_by_NID(X509_get_subject_name(peer),
		    NID_commonName, cn, sizeof(cn));
		X509_free(peer);
	}
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	close(sv[0]);
	close(sv[1]);
	return ok ? cn : NULL;
}

START_TEST(test_sni_and_verification)
{
	struct conf_tls_pair sp[2] = { { .cert_file = path("a.pem"),
		                           .key_file = path("a.key") },
		{ .cert_file = path("b.pem"), .key_file = path("b.key") } };
	char *roots[] = { path("a.pem"), path("b.pem") };
	struct conf_tls st, ct;
	char bname[] = "b.test";
	const char *cn;

	tls_init(&st, sp, 2);
	ck_assert_ptr_nonnull(
	    st.rt = tls_server_new(&st, "srv", collect, NULL));
	tls_init(&ct, NULL, 0);
	ct.root_cas = roots;
	ct.nroot_cas = 2;
	ck_assert_ptr_nonnull(cn = connect_to(&st, &ct, "b.test"));
	ck_assert_str_eq(cn, "b");
	ck_assert_ptr_nonnull(cn = connect_to(&st, &ct, "a.test"));
	ck_assert_str_eq(cn, "a");
	/* c.test: the default certificate, which is not valid for it. */
	ck_assert_ptr_null(connect_to(&st, &ct, "c.test"));
	ct.insecure_skip_verify = 1;
	ck_assert_ptr_nonnull(cn = connect_to(&st, &ct, "c.test"));
	ck_assert_str_eq(cn, "a");
	/* serverName overrides the host for SNI and verification. */
	ct.insecure_skip_verify = 0;
	ct.server_name = bname;
	ck_assert_ptr_nonnull(cn = connect_to(&st, &ct, "127.0.0.1"));
	ck_assert_str_eq(cn, "b");
	tls_server_free(st.rt);
	ck_assert_int_eq(nerrs, 0);
}
END_TEST

START_TEST(test_errors)
{
	struct conf_tls_pair sp[2] = {
		{ .cert_file = path("a.pem"), .key_file = path("b.key") },
		{ .cert_file = path("missing.pem"), .key_file = path("a.key") }
	};
	char *roots[] = { path("a.key") };
	struct conf_tls t;
	char want[512];

	tls_init(&t, sp, 2);
	ck_assert_ptr_null(tls_server_new(&t, "srv", collect, NULL));
	ck_assert_int_eq(nerrs, 2);
	snprintf(want, sizeof(want),
	    "t.yaml:3:4: field \"keyFile\": private key \"%s\" does not "
	    "match certificate \"%s\"",
	    path("b.key"), path("a.pem"));
	ck_assert_str_eq(errs[0], want);
	snprintf(want, sizeof(want),
	    "t.yaml:3:4: field \"certFile\": cannot open \"%s\": No such "
	    "file or directory",
	    path("missing.pem"));
	ck_assert_str_eq(errs[1], want);
	/* A client: a key is no CA file. */
	nerrs = 0;
	tls_init(&t, NULL, 0);
	t.root_cas = roots;
	t.nroot_cas = 1;
	ck_assert_ptr_null(tls_client_ctx_new(&t, collect, NULL));
	ck_assert_int_eq(nerrs, 1);
	snprintf(want, sizeof(want),
	    "t.yaml:3:4: field \"rootCAs\": cannot load CA certificates from "
	    "\"%s\": ",
	    path("a.key"));
	ck_assert_msg(strncmp(errs[0], want, strlen(want)) == 0, "%s", errs[0]);
}
END_TEST

START_TEST(test_conf_build)
{
	struct conf_tls_pair sp[1] = { { .cert_file = path("a.pem"),
	    .key_file = path("a.key") } };
	struct conf_server srv, *servers[1] = { &srv };
	struct conf_tls t;
	struct conf c;
	char id[] = "core/v1/HTTPServer/default/default";

	memset(&c, 0, sizeof(c));
	memset(&srv, 0, sizeof(srv));
	srv.id = id;
	srv.tls = &t;
	c.servers = servers;
	c.nservers = 1;
	tls_init(&t, sp, 1);
	ck_assert_int_eq(tls_conf_build(&c, collect, NULL), 0);
	ck_assert_ptr_nonnull(t.rt);
	ck_assert_int_eq(SSL_CTX_get_min_proto_version(tls_server_ctx(t.rt)),
	    TLS1_2_VERSION);
	tls_conf_free(&c);
	ck_assert_ptr_null(t.rt);
	/* A TLS 1.1 minimum lowers the security level so it can work. */
	t.min_version = TLS1_1_VERSION;
	ck_assert_int_eq(tls_conf_build(&c, collect, NULL), 0);
	ck_assert_int_eq(SSL_CTX_get_security_level(tls_server_ctx(t.rt)), 0);
	tls_conf_free(&c);
}
END_TEST

static Suite *
tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("tls");

	/* Key generation and handshakes under ASan on a busy machine. */
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sni_and_verification);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_conf_build);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(tls_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
