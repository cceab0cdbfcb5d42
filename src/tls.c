/* TLS contexts: built in the master when the config is loaded, used by workers after fork. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "tls.h"

#define TLS_TICKET_KEYS 80 /* name (16) + HMAC key (32) + AES key (32) */

struct tls_server {
	SSL_CTX **ctxs; /* one per certificate, [0] the default */
	X509 **certs;   /* the leaf of each, for SNI */
	size_t n;
};

/* Where an error goes while a context is built. */
struct tls_report {
	conf_error_fn err;
	void *ctx;
	int nerrors;
	int quiet; /* count, do not report (said once already) */
};

/* Go cipher suites (IANA numbers) and their OpenSSL names. */
static const struct {
	int id;
	const char *name;
} tls_cipher_names[] = {
	{ 0x0005, "RC4-SHA" },
	{ 0x000a, "DES-CBC3-SHA" },
	{ 0x002f, "AES128-SHA" },
	{ 0x0035, "AES256-SHA" },
	{ 0x003c, "AES128-SHA256" },
	{ 0x009c, "AES128-GCM-SHA256" },
	{ 0x009d, "AES256-GCM-SHA384" },
	{ 0xc007, "ECDHE-ECDSA-RC4-SHA" },
	{ 0xc009, "ECDHE-ECDSA-AES128-SHA" },
	{ 0xc00a, "ECDHE-ECDSA-AES256-SHA" },
	{ 0xc011, "ECDHE-RSA-RC4-SHA" },
	{ 0xc012, "ECDHE-RSA-DES-CBC3-SHA" },
	{ 0xc013, "ECDHE-RSA-AES128-SHA" },
	{ 0xc014, "ECDHE-RSA-AES256-SHA" },
	{ 0xc023, "ECDHE-ECDSA-AES128-SHA256" },
	{ 0xc027, "ECDHE-RSA-AES128-SHA256" },
	{ 0xc02f, "ECDHE-RSA-AES128-GCM-SHA256" },
	{ 0xc02b, "ECDHE-ECDSA-AES128-GCM-SHA256" },
	{ 0xc030, "ECDHE-RSA-AES256-GCM-SHA384" },
	{ 0xc02c, "ECDHE-ECDSA-AES256-GCM-SHA384" },
	{ 0xcca8, "ECDHE-RSA-CHACHA20-POLY1305" },
	{ 0xcca9, "ECDHE-ECDSA-CHACHA20-POLY1305" },
};

/* Go CurveIDs and OpenSSL group names. */
static const struct {
	int id;
	const char *name;
} tls_curve_names[] = {
	{ 23, "P-256" },
	{ 24, "P-384" },
	{ 25, "P-521" },
	{ 29, "X25519" },
};

int
tls_error_is_http(void)
{
	unsigned long e = ERR_peek_last_error();

	return ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    (ERR_GET_REASON(e) == SSL_R_HTTP_REQUEST ||
	        ERR_GET_REASON(e) == SSL_R_HTTPS_PROXY_REQUEST);
}

const char *
tls_error_string(char *buf, size_t size)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	snprintf(buf, size, "%s", r != NULL ? r : "unknown error");
	ERR_clear_error();
	return buf;
}

/* Report one error at pos (the config place it comes from). */
static void tls_report(struct tls_report *rp, const struct conf_pos *pos,
    const char *fmt, ...) LOG_PRINTF(3, 4);

static void
tls_report(
    struct tls_report *rp, const struct conf_pos *pos, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	n = snprintf(msg, sizeof(msg),
	    "%s:%d:%d: ", pos->file != NULL ? pos->file : "?", pos->line,
	    pos->column);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	rp->nerrors++;
	if (rp->quiet)
		return;
	if (rp->err != NULL)
		rp->err(rp->ctx, msg);
	else
		log_error("%s", msg);
}

/*
 * Can path be read?  OpenSSL's own message for a missing file is vague,
 * so the file is opened first; -1 after reporting.
 */
static int
tls_check_file(struct tls_report *rp, const struct conf_pos *pos,
    const char *field, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		tls_report(rp, pos, "field \"%s\": cannot open \"%s\": %s",
		    field, path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* Accept any client certificate (RequestClientCert, RequireAnyClientCert). */
static int
tls_verify_any(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

/* ALPN: answer "http/1.1" when offered, else no ALPN at all. */
static int
tls_on_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	unsigned int i = 0;

	(void)ssl;
	(void)arg;
	while (i < inlen) {
		unsigned int n = in[i];

		if (i + 1 + n > inlen)
			break;
		if (n == 8 && memcmp(in + i + 1, "http/1.1", 8) == 0) {
			*out = in + i + 1;
			*outlen = (unsigned char)n;
			return SSL_TLSEXT_ERR_OK;
		}
		i += 1 + n;
	}
	return SSL_TLSEXT_ERR_NOACK;
}

/* SNI: switch to the first certificate valid for the name asked for. */
static int
tls_on_servername(SSL *ssl, int *alert, void *arg)
{
	const struct tls_server *ts = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	size_t i;

	(void)alert;
	if (name == NULL || ts->n < 2)
		return SSL_TLSEXT_ERR_OK;
	for (i = 0; i < ts->n; i++)
		if (X509_check_host(ts->certs[i], name, 0, 0, NULL) == 1) {
			if (i > 0 && SSL_set_SSL_CTX(ssl, ts->ctxs[i]) == NULL)
				return SSL_TLSEXT_ERR_ALERT_FATAL;
			break;
		}
	return SSL_TLSEXT_ERR_OK; /* no match: the default certificate */
}

/* Versions, cipher suites and curves of t on ctx; -1 after reporting. */
static int
tls_ctx_protocol(SSL_CTX *ctx, const struct conf_tls *t, struct tls_report *rp)
{
	char list[1024], ebuf[256];
	size_t i, j, o = 0;

	if (!SSL_CTX_set_min_proto_version(ctx, t->min_version) ||
	    !SSL_CTX_set_max_proto_version(ctx, t->max_version)) {
		tls_report(rp, &t->pos, "tlsConfig: TLS versions %#x..%#x: %s",
		    (unsigned)t->min_version, (unsigned)t->max_version,
		    tls_error_string(ebuf, sizeof(ebuf)));
		return -1;
	}
	/* OpenSSL 3 refuses TLS 1.0/1.1 above security level 0. */
	if (t->min_version < TLS1_2_VERSION)
		SSL_CTX_set_security_level(ctx, 0);
	list[0] = '\0';
	for (i = 0; i < t->nciphers; i++)
		for (j = 0;
		     j < sizeof(tls_cipher_names) / sizeof(tls_cipher_names[0]);
		     j++)
			if (tls_cipher_names[j].id == t->ciphers[i] &&
			    o < sizeof(list))
				o += (size_t)snprintf(list + o,
				    sizeof(list) - o, "%s%s", o > 0 ? ":" : "",
				    tls_cipher_names[j].name);
	/* Only TLS 1.3 names (not configurable, as in Go): the defaults. */
	if (o > 0 && !SSL_CTX_set_cipher_list(ctx, list)) {
		tls_report(rp, &t->pos,
		    "field \"tlsCipher\": none of the cipher suites is "
		    "available: %s",
		    tls_error_string(ebuf, sizeof(ebuf)));
		return -1;
	}
	o = 0;
	list[0] = '\0';
	for (i = 0; i < t->ncurves; i++)
		for (j = 0;
		     j < sizeof(tls_curve_names) / sizeof(tls_curve_names[0]);
		     j++)
			if (tls_curve_names[j].id == t->curves[i] &&
			    o < sizeof(list))
				o += (size_t)snprintf(list + o,
				    sizeof(list) - o, "%s%s", o > 0 ? ":" : "",
				    tls_curve_names[j].name);
	if (o > 0 && !SSL_CTX_set1_groups_list(ctx, list)) {
		tls_report(rp, &t->pos, "field \"curvePreferences\": %s: %s",
		    list, tls_error_string(ebuf, sizeof(ebuf)));
		return -1;
	}
	return 0;
}

/*
 * A server's TLS 1.2 suites without tlsCipher: forward-secret AEAD only
 * (ECDHE with AES-GCM or ChaCha20-Poly1305), as current hardening guides
 * ask, not OpenSSL's default with CBC, SHA-1 MACs and static RSA.  A
 * minVersion below TLS 1.2 asks for old clients, which have none of these:
 * it keeps OpenSSL's default.  tlsCipher, applied after, wins.
 */
#define TLS_SERVER_CIPHERS                                           \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

static void
tls_ctx_server_ciphers(SSL_CTX *ctx, const struct conf_tls *t)
{
	if (t->min_version >= TLS1_2_VERSION &&
	    !SSL_CTX_set_cipher_list(ctx, TLS_SERVER_CIPHERS))
		log_warnx(
		    "no AEAD cipher suite: OpenSSL's default for TLS 1.2");
}

/*
 * Client certificates: the verify mode of clientAuth and the CAs of
 * clientCAs (added to the system's, as AILERON does).
 */
static int
tls_ctx_client_auth(
    SSL_CTX *ctx, const struct conf_tls *t, struct tls_report *rp)
{
	STACK_OF(X509_NAME) * names;
	char ebuf[256];
	size_t i;
	int mode, before = rp->nerrors;

	switch (t->client_auth) {
	case TLS_AUTH_REQUEST:
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, tls_verify_any);
		break;
	case TLS_AUTH_REQUIRE_ANY:
		SSL_CTX_set_verify(ctx,
		    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
		    tls_verify_any);
		break;
	case TLS_AUTH_VERIFY_IF_GIVEN:
	case TLS_AUTH_REQUIRE_VERIFY:
		mode = SSL_VERIFY_PEER;
		if (t->client_auth == TLS_AUTH_REQUIRE_VERIFY)
			mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
		SSL_CTX_set_verify(ctx, mode, NULL);
		if (!SSL_CTX_set_default_verify_paths(ctx))
			ERR_clear_error(); /* no system store: files only */
		break;
	default:
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		return 0;
	}
	if ((names = sk_X509_NAME_new_null()) == NULL)
		fatalx("out of memory");
	for (i = 0; i < t->nclient_cas; i++) {
		const char *f = t->client_cas[i];

		if (tls_check_file(rp, &t->client_cas_pos, "clientCAs", f) < 0)
			continue;
		if (!SSL_CTX_load_verify_locations(ctx, f, NULL) ||
		    !SSL_add_file_cert_subjects_to_stack(names, f)) {
			tls_report(rp, &t->client_cas_pos,
			    "field \"clientCAs\": cannot load CA certificates "
			    "from \"%s\": %s",
			    f, tls_error_string(ebuf, sizeof(ebuf)));
			continue;
		}
	}
	/* The CA names sent in the certificate request: the files' only. */
	SSL_CTX_set_client_CA_list(ctx, names);
	return rp->nerrors > before ? -1 : 0;
}

/* Load the certificate chain and key of pair p into ctx. */
static int
tls_ctx_cert(SSL_CTX *ctx, const struct conf_tls_pair *p, struct tls_report *rp)
{
	char ebuf[256];

	if (tls_check_file(rp, &p->cert_pos, "certFile", p->cert_file) < 0 ||
	    tls_check_file(rp, &p->key_pos, "keyFile", p->key_file) < 0)
		return -1;
	if (!SSL_CTX_use_certificate_chain_file(ctx, p->cert_file)) {
		tls_report(rp, &p->cert_pos,
		    "field \"certFile\": cannot load certificate \"%s\": %s",
		    p->cert_file, tls_error_string(ebuf, sizeof(ebuf)));
		return -1;
	}
	if (!SSL_CTX_use_PrivateKey_file(ctx, p->key_file, SSL_FILETYPE_PEM)) {
		unsigned long e = ERR_peek_last_error();

		if (ERR_GET_LIB(e) == ERR_LIB_X509 &&
		    ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH)
			goto mismatch;
		tls_report(rp, &p->key_pos,
		    "field \"keyFile\": cannot load private key \"%s\": %s",
		    p->key_file, tls_error_string(ebuf, sizeof(ebuf)));
		return -1;
	}
	if (!SSL_CTX_check_private_key(ctx)) {
	mismatch:
		tls_report(rp, &p->key_pos,
		    "field \"keyFile\": private key \"%s\" does not match "
		    "certificate \"%s\"",
		    p->key_file, p->cert_file);
		ERR_clear_error();
		return -1;
	}
	return 0;
}

/* One server context for pair i of t, sharing ticket keys and SNI with ts. */
static SSL_CTX *
tls_server_ctx_new(const struct conf_tls *t, size_t i, struct tls_server *ts,
    const unsigned char *sid, unsigned char *keys, struct tls_report *rp)
{
	SSL_CTX *ctx;
	char ebuf[256];
	long opts = SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls_report(rp, &t->pos, "tlsConfig: %s",
		    tls_error_string(ebuf, sizeof(ebuf)));
		return NULL;
	}
	if (t->session_tickets_disabled)
		opts |= SSL_OP_NO_TICKET;
	SSL_CTX_set_options(ctx, opts);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	/*
	 * Resumption is by tickets only, sealed with keys made here, in the
	 * master: any worker accepts a ticket another one issued.  Without
	 * tickets there is no resumption (a per-worker cache would miss).
	 */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_session_id_context(ctx, sid, SHA256_DIGEST_LENGTH);
	if (t->session_tickets_disabled)
		SSL_CTX_set_num_tickets(ctx, 0);
	else if (SSL_CTX_set_tlsext_ticket_keys(ctx, keys, TLS_TICKET_KEYS) !=
	    1)
		fatalx("SSL_CTX_set_tlsext_ticket_keys");
	/* The settings common to all pairs are reported for the first. */
	rp->quiet = i > 0;
	tls_ctx_server_ciphers(ctx, t);
	if (tls_ctx_protocol(ctx, t, rp) < 0 ||
	    tls_ctx_client_auth(ctx, t, rp) < 0) {
		rp->quiet = 0;
		SSL_CTX_free(ctx);
		return NULL;
	}
	rp->quiet = 0;
	if (tls_ctx_cert(ctx, &t->pairs[i], rp) < 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (t->nnext_protos > 0)
		SSL_CTX_set_alpn_select_cb(ctx, tls_on_alpn, NULL);
	SSL_CTX_set_tlsext_servername_callback(ctx, tls_on_servername);
	SSL_CTX_set_tlsext_servername_arg(ctx, ts);
	return ctx;
}

struct tls_server *
tls_server_new(
    const struct conf_tls *t, const char *id, conf_error_fn err, void *ctx)
{
	struct tls_report rp = { err, ctx, 0, 0 };
	unsigned char sid[SHA256_DIGEST_LENGTH], keys[TLS_TICKET_KEYS];
	struct tls_server *ts;
	size_t i;

	if ((ts = calloc(1, sizeof(*ts))) == NULL ||
	    (ts->ctxs = calloc(t->npairs, sizeof(*ts->ctxs))) == NULL ||
	    (ts->certs = calloc(t->npairs, sizeof(*ts->certs))) == NULL)
		fatal("calloc");
	ts->n = t->npairs;
	if (!EVP_Digest(id, strlen(id), sid, NULL, EVP_sha256(), NULL) ||
	    RAND_bytes(keys, sizeof(keys)) != 1)
		fatalx("tls: cannot make session keys");
	for (i = 0; i < t->npairs; i++) {
		ts->ctxs[i] = tls_server_ctx_new(t, i, ts, sid, keys, &rp);
		if (ts->ctxs[i] != NULL)
			ts->certs[i] = SSL_CTX_get0_certificate(ts->ctxs[i]);
	}
	OPENSSL_cleanse(keys, sizeof(keys));
	if (rp.nerrors > 0) {
		tls_server_free(ts);
		return NULL;
	}
	return ts;
}

void
tls_server_free(struct tls_server *ts)
{
	size_t i;

	if (ts == NULL)
		return;
	for (i = 0; ts->ctxs != NULL && i < ts->n; i++)
		SSL_CTX_free(ts->ctxs[i]);
	free(ts->ctxs);
	free(ts->certs);
	free(ts);
}

SSL_CTX *
tls_server_ctx(const struct tls_server *ts)
{
	return ts->ctxs[0];
}

int
tls_conf_build(struct conf *c, conf_error_fn err, void *ctx)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < c->nservers; i++) {
		struct conf_tls *t = c->servers[i]->tls;

		if (t == NULL || t->rt != NULL)
			continue;
		if ((t->rt = tls_server_new(t, c->servers[i]->id, err, ctx)) ==
		    NULL)
			rc = -1;
	}
	return rc;
}

void
tls_conf_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->nservers; i++) {
		struct conf_tls *t = c->servers[i]->tls;

		if (t != NULL) {
			tls_server_free(t->rt);
			t->rt = NULL;
		}
	}
}

/* rootCAs: trusted for upstream certificates, with the system's CAs. */
static int
tls_ctx_root_cas(SSL_CTX *ctx, const struct conf_tls *t, struct tls_report *rp)
{
	char ebuf[256];
	size_t i;
	int before = rp->nerrors;

	if (t->insecure_skip_verify) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		return 0;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (!SSL_CTX_set_default_verify_paths(ctx))
		ERR_clear_error();
	for (i = 0; i < t->nroot_cas; i++) {
		const char *f = t->root_cas[i];

		if (tls_check_file(rp, &t->root_cas_pos, "rootCAs", f) < 0)
			continue;
		if (!SSL_CTX_load_verify_locations(ctx, f, NULL))
			tls_report(rp, &t->root_cas_pos,
			    "field \"rootCAs\": cannot load CA certificates "
			    "from \"%s\": %s",
			    f, tls_error_string(ebuf, sizeof(ebuf)));
	}
	return rp->nerrors > before ? -1 : 0;
}

SSL_CTX *
tls_client_ctx_new(const struct conf_tls *t, conf_error_fn err, void *ctx)
{
	struct tls_report rp = { err, ctx, 0, 0 };
	unsigned char alpn[256];
	char ebuf[256];
	size_t i, o = 0;
	SSL_CTX *c;

	if ((c = SSL_CTX_new(TLS_client_method())) == NULL) {
		tls_report(&rp, &t->pos, "tlsConfig: %s",
		    tls_error_string(ebuf, sizeof(ebuf)));
		return NULL;
	}
	if (t->session_tickets_disabled)
		SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
	if (t->renegotiation == 0)
		SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
	for (i = 0; i < t->nnext_protos; i++) {
		size_t n = strlen(t->next_protos[i]);

		if (n == 0 || n > 255 || o + 1 + n > sizeof(alpn))
			continue;
		alpn[o++] = (unsigned char)n;
		memcpy(alpn + o, t->next_protos[i], n);
		o += n;
	}
	if (tls_ctx_protocol(c, t, &rp) < 0 ||
	    tls_ctx_root_cas(c, t, &rp) < 0 ||
	    (t->npairs > 0 && tls_ctx_cert(c, &t->pairs[0], &rp) < 0) ||
	    (o > 0 && SSL_CTX_set_alpn_protos(c, alpn, (unsigned)o) != 0)) {
		SSL_CTX_free(c);
		return NULL;
	}
	return c;
}

SSL *
tls_client_ssl_new(
    SSL_CTX *sctx, const struct conf_tls *t, int fd, const char *host)
{
	const char *name =
	    t != NULL && t->server_name != NULL && *t->server_name != '\0'
	    ? t->server_name
	    : host;
	unsigned char addr[16];
	char ebuf[256];
	int ip;
	SSL *ssl;

	ip = inet_pton(AF_INET, name, addr) == 1 ||
	    inet_pton(AF_INET6, name, addr) == 1;
	if ((ssl = SSL_new(sctx)) == NULL || !SSL_set_fd(ssl, fd))
		goto fail;
	if (ip) {
		if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name))
			goto fail;
	} else {
		char sni[256]; /* the macro takes a char * */

		if ((size_t)snprintf(sni, sizeof(sni), "%s", name) >=
		        sizeof(sni) ||
		    !SSL_set_tlsext_host_name(ssl, sni) ||
		    !SSL_set1_host(ssl, name))
			goto fail;
	}
	SSL_set_connect_state(ssl);
	return ssl;
fail:
	log_warnx("TLS client for %s: %s", name,
	    tls_error_string(ebuf, sizeof(ebuf)));
	SSL_free(ssl);
	return NULL;
}

SSL *
tls_server_ssl_new(const struct conf_tls *t, int fd)
{
	const struct tls_server *ts = t->rt;
	char ebuf[256];
	SSL *ssl;

	if ((ssl = SSL_new(ts->ctxs[0])) == NULL || !SSL_set_fd(ssl, fd)) {
		log_warnx("SSL_new: %s", tls_error_string(ebuf, sizeof(ebuf)));
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_accept_state(ssl);
	return ssl;
}

const char *
tls_describe(SSL *ssl)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%s %s%s", SSL_get_version(ssl),
	    SSL_get_cipher_name(ssl),
	    SSL_session_reused(ssl) ? " resumed" : "");
	return buf;
}
