/* app/v1 HeaderCertMiddleware: verify a client certificate passed in a header. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "conf_table.h"
#include "kind.h"
#include "log.h"
#include "middleware.h"
#include "middleware/header_cert.h"
#include "middleware/matcher.h"
#include "request.h"
#include "response.h"

/*
 * Config part.
 */

/* conf_free: the root store. */
static void
header_cert_conf_free(void *arg)
{
	X509_STORE_free(arg);
}

/* Load the roots now: a file that cannot be used stops the start. */
static void
header_cert_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct header_cert_conf_spec *hs = obj;
	char err[1024];

	if (hs->fingerprint_header != NULL && hs->fingerprint_header[0] == '\0')
		hs->fingerprint_header = NULL;
	hs->roots = header_cert_load_roots(
	    (const char *const *)hs->root_cas, hs->nroot_cas, err, sizeof(err));
	if (hs->roots == NULL) {
		conf_errorn(ld, conf_field_node(ld, node, "rootCAs"),
		    "field \"rootCAs\": %s", err);
		return;
	}
	conf_at_free(ld, header_cert_conf_free, hs->roots);
}

static const struct conf_field header_cert_conf_fields[] = {
	FSTRS("rootCAs", struct header_cert_conf_spec, root_cas, nroot_cas, 0),
	FSTRD("certHeader", struct header_cert_conf_spec, cert_header,
	    HEADER_CERT_DEFAULT_HEADER),
	FSTR("fingerprintHeader", struct header_cert_conf_spec,
	    fingerprint_header),
	FEND,
};
static const struct conf_table header_cert_conf_table = {
	header_cert_conf_fields, header_cert_conf_check
};

extern const struct middleware_ops header_cert_middleware;

const struct kind header_cert_conf_kind = {
	.api_version = "app/v1",
	.kind = "HeaderCertMiddleware",
	.roles = KIND_ROLE_MIDDLEWARE,
	.middleware = &header_cert_middleware,
	.table = &header_cert_conf_table,
	.size = sizeof(struct header_cert_conf_spec),
	.id_off = KIND_NO_OFF,
	.eh_off = KIND_NO_OFF,
};

/*
 * Runtime part.
 */

#define HEADER_CERT_MAX 32768 /* decoded PEM text */

/* The value of one URL-safe base64 character, -1 if not in the alphabet. */
static int
header_cert_b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

long
header_cert_b64url_decode(
    const char *in, size_t len, unsigned char *out, size_t size)
{
	unsigned char q[4];
	size_t i, nq = 0, o = 0;
	int pad = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		int v;

		if (c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			/* padding only in the last two places of a quantum */
			if (nq < 2)
				return -1;
			pad++;
			q[nq++] = 0;
		} else {
			if (pad > 0 || (v = header_cert_b64val(c)) < 0)
				return -1;
			q[nq++] = (unsigned char)v;
		}
		if (nq < 4)
			continue;
		if (o + 3 - (size_t)pad > size)
			return -1;
		out[o++] = (unsigned char)(q[0] << 2 | q[1] >> 4);
		if (pad < 2)
			out[o++] = (unsigned char)(q[1] << 4 | q[2] >> 2);
		if (pad < 1)
			out[o++] = (unsigned char)(q[2] << 6 | q[3]);
		nq = 0;
		if (pad > 0)
			break; /* nothing may follow the padding */
	}
	for (i++; i < len && pad > 0; i++)
		if (in[i] != '\r' && in[i] != '\n')
			return -1;
	if (nq != 0)
		return -1; /* unpadded or truncated */
	return (long)o;
}

X509_STORE *
header_cert_load_roots(
    const char *const *paths, size_t n, char *err, size_t errsize)
{
	X509_STORE *store;
	size_t i;

	if ((store = X509_STORE_new()) == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		BIO *bio = BIO_new_file(paths[i], "r");
		X509 *x;
		int count = 0;

		if (bio == NULL) {
			snprintf(err, errsize, "cannot read %s", paths[i]);
			goto fail;
		}
		while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
			X509_STORE_add_cert(store, x);
			X509_free(x);
			count++;
		}
		ERR_clear_error(); /* the end of the file */
		BIO_free(bio);
		if (count == 0) {
			snprintf(
			    err, errsize, "no certificate in %s", paths[i]);
			goto fail;
		}
	}
	return store;
fail:
	X509_STORE_free(store);
	return NULL;
}

/* Parse the first PEM block of text as a DER certificate; NULL on failure. */
static X509 *
header_cert_parse(const unsigned char *text, long len)
{
	BIO *bio = BIO_new_mem_buf(text, (int)len);
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	const unsigned char *p;
	long dlen = 0;
	X509 *x = NULL;

	if (bio == NULL)
		return NULL;
	/* Like Go's pem.Decode: the first block, whatever its type. */
	if (PEM_read_bio(bio, &name, &header, &data, &dlen) == 1) {
		p = data;
		x = d2i_X509(NULL, &p, dlen);
		if (x != NULL && p != data + dlen) {
			X509_free(x); /* trailing bytes: Go refuses */
			x = NULL;
		}
	}
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(bio);
	ERR_clear_error();
	return x;
}

/*
 * Go's default key usage is serverAuth: a certificate of the chain that
 * lists extended key usages must list serverAuth or anyExtendedKeyUsage.
 */
static int
header_cert_eku_ok(STACK_OF(X509) * chain)
{
	int i;

	for (i = 0; i < sk_X509_num(chain); i++) {
		X509 *c = sk_X509_value(chain, i);

		if ((X509_get_extension_flags(c) & EXFLAG_XKUSAGE) == 0)
			continue;
		if ((X509_get_extended_key_usage(c) &
		        (XKU_SSL_SERVER | XKU_ANYEKU)) == 0)
			return 0;
	}
	return 1;
}

/* Verify x against roots only: no intermediates, no name check. */
static int
header_cert_verify(X509_STORE *roots, X509 *x)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok = 0;

	if (ctx == NULL)
		return 0;
	if (X509_STORE_CTX_init(ctx, roots, x, NULL) == 1) {
		/* Any certificate of the pool is an anchor, as in Go. */
		X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN);
		ok = X509_verify_cert(ctx) == 1 &&
		    header_cert_eku_ok(X509_STORE_CTX_get0_chain(ctx));
	}
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/* Compare the lower-case hex SHA-256 of x's DER with fp, case-insensitively. */
static int
header_cert_fp_ok(X509 *x, const char *fp, size_t fplen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	static const char hex[] = "0123456789abcdef";
	unsigned int i;

	if (fp == NULL || X509_digest(x, EVP_sha256(), md, &mdlen) != 1 ||
	    fplen != mdlen * 2)
		return 0;
	for (i = 0; i < mdlen; i++) {
		char hi = fp[2 * i], lo = fp[2 * i + 1];

		if (hi >= 'A' && hi <= 'Z')
			hi = (char)(hi - 'A' + 'a');
		if (lo >= 'A' && lo <= 'Z')
			lo = (char)(lo - 'A' + 'a');
		if (hi != hex[md[i] >> 4] || lo != hex[md[i] & 15])
			return 0;
	}
	return 1;
}

struct header_cert_result
header_cert_check(X509_STORE *roots, const char *cert, size_t certlen,
    int check_fp, const char *fp, size_t fplen)
{
	struct header_cert_result res = { 0, "", NULL };
	unsigned char *pem;
	long n;
	X509 *x;

	if (cert == NULL || certlen == 0)
		return (struct header_cert_result) { 400, "E3214",
			"cert not found" };
	if ((pem = malloc(HEADER_CERT_MAX)) == NULL)
		return (struct header_cert_result) { 500, "", "out of memory" };
	n = header_cert_b64url_decode(cert, certlen, pem, HEADER_CERT_MAX);
	x = n < 0 ? NULL : header_cert_parse(pem, n);
	free(pem);
	if (n < 0)
		return (struct header_cert_result) { 400, "E3214",
			"base64 decode failed" };
	if (x == NULL)
		return (struct header_cert_result) { 400, "E3214",
			"x509 parse failed" };
	if (!header_cert_verify(roots, x))
		res = (struct header_cert_result) { 401, "",
			"certificate verification failed" };
	else if (check_fp && !header_cert_fp_ok(x, fp, fplen))
		res = (struct header_cert_result) { 401, "E3215",
			"fingerprint mismatch" };
	X509_free(x);
	return res;
}

/* Verify the certificate the front proxy passed; refuse otherwise. */
static int
header_cert_request_hook(void *inst, struct request *r)
{
	const struct header_cert_conf_spec *hs = inst;
	struct header_cert_result res;
	const char *cert, *fp = NULL;
	size_t clen = 0, fplen = 0;

	cert = mw_request_header_span(r, hs->cert_header, &clen);
	if (hs->fingerprint_header != NULL)
		fp = mw_request_header_span(r, hs->fingerprint_header, &fplen);
	res = header_cert_check(
	    hs->roots, cert, clen, hs->fingerprint_header != NULL, fp, fplen);
	if (res.status == 0)
		return HANDLER_DECLINED;
	log_debug("%s%sHeaderCertMiddleware: %s", res.code,
	    res.code[0] != '\0' ? " " : "", res.reason);
	return response_error(r, res.status, res.code) < 0 ? HANDLER_ABORT
	                                                   : HANDLER_OK;
}

const struct middleware_ops header_cert_middleware = {
	.name = "app/v1/HeaderCertMiddleware",
	.request = header_cert_request_hook,
};
