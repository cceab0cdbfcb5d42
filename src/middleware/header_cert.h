/* app/v1 HeaderCertMiddleware: verify a client certificate passed in a header. */
#ifndef AILERON_MW_HEADER_CERT_H
#define AILERON_MW_HEADER_CERT_H

#include <stddef.h>

#include <openssl/x509.h>

#define HEADER_CERT_DEFAULT_HEADER "X-SSL-Client-Cert"

/* The spec as read; roots is built at load (the master, before fork). */
struct header_cert_conf_spec {
	char **root_cas;
	size_t nroot_cas;
	char *cert_header;        /* default X-SSL-Client-Cert */
	char *fingerprint_header; /* NULL: no fingerprint check */
	X509_STORE *roots;
};

/*
 * Load the rootCAs PEM files into a new store (in the master, before
 * fork).  A file that cannot be read or holds no certificate is an
 * error: NULL after writing the reason to err.
 */
X509_STORE *header_cert_load_roots(
    const char *const *paths, size_t n, char *err, size_t errsize);

/* The outcome of a check: status 0 (pass), 400 or 401; code the E-code or "". */
struct header_cert_result {
	int status;
	const char *code;   /* "E3214", "E3215" or "" */
	const char *reason; /* for the log */
};

/*
 * Check a request: cert is the certHeader value (NULL if missing), fp
 * the fingerprintHeader value when that header is configured (NULL if
 * missing), check_fp whether it is.
 */
struct header_cert_result header_cert_check(X509_STORE *roots, const char *cert,
    size_t certlen, int check_fp, const char *fp, size_t fplen);

/*
 * Decode padded URL-safe base64 (Go base64.URLEncoding; CR and LF are
 * skipped) into out.  Returns the length, or -1 for bad input.
 */
long header_cert_b64url_decode(
    const char *in, size_t len, unsigned char *out, size_t size);

#endif
