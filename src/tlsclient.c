/* HTTPS upstreams: client SSL_CTX per HTTPClient, built in the master. */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "tlsclient.h"

/* Log the OpenSSL error queue after msg. */
static void
tlsclient_log(const char *what, const char *msg)
{
	char buf[256];
	unsigned long e = ERR_get_error();

	ERR_error_string_n(e, buf, sizeof(buf));
	log_error("%s: %s: %s", what, msg, e != 0 ? buf : "unknown error");
	ERR_clear_error();
}

void *
tlsclient_ctx_new(const char *what, const struct conf_tls_client *tls)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	size_t i;

	if (ctx == NULL) {
		tlsclient_log(what, "SSL_CTX_new");
		return NULL;
	}
	SSL_CTX_set_mode(ctx,
	    SSL_MODE_ENABLE_PARTIAL_WRITE |
	        SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (!SSL_CTX_set_min_proto_version(ctx,
	        tls != NULL && tls->min_version != 0 ? tls->min_version
	                                             : TLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx,
	        tls != NULL && tls->max_version != 0 ? tls->max_version
	                                             : TLS1_3_VERSION)) {
		tlsclient_log(what, "TLS versions");
		goto fail;
	}
	if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		tlsclient_log(what, "system trust store");
		goto fail;
	}
	for (i = 0; tls != NULL && i < tls->nroot_cas; i++)
		if (SSL_CTX_load_verify_locations(
		        ctx, tls->root_cas[i], NULL) != 1) {
			tlsclient_log(what, tls->root_cas[i]);
			goto fail;
		}
	if (tls != NULL && tls->npairs > 0) {
		const struct conf_cert_pair *cp = &tls->pairs[0];

		if (SSL_CTX_use_certificate_chain_file(ctx, cp->cert_file) !=
		        1 ||
		    SSL_CTX_use_PrivateKey_file(
		        ctx, cp->key_file, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(ctx) != 1) {
			tlsclient_log(what, cp->cert_file);
			goto fail;
		}
	}
	SSL_CTX_set_verify(ctx,
	    tls != NULL && tls->insecure_skip_verify ? SSL_VERIFY_NONE
	                                             : SSL_VERIFY_PEER,
	    NULL);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* Does proxy p have an HTTPS upstream? */
static int
tlsclient_https(const struct conf_proxy *p)
{
	size_t j, k;

	for (j = 0; j < p->nlbs; j++)
		for (k = 0; k < p->lbs[j].nupstreams; k++)
			if (p->lbs[j].upstreams[k].tls)
				return 1;
	return 0;
}

int
tlsclient_build(struct conf *c)
{
	size_t i;
	int need_default = 0;

	c->tls_default = NULL;
	for (i = 0; i < c->nproxies; i++) {
		struct conf_client *cc = c->proxies[i]->client;

		if (!tlsclient_https(c->proxies[i]))
			continue;
		if (cc == NULL || !cc->tls.set)
			need_default = 1;
		else if (cc->tls_ctx == NULL &&
		    (cc->tls_ctx = tlsclient_ctx_new(cc->id, &cc->tls)) == NULL)
			goto fail;
	}
	if (!need_default)
		return 0;
	if ((c->tls_default = tlsclient_ctx_new("HTTPS upstreams", NULL)) ==
	    NULL)
		goto fail;
	/* HTTPClients without a tlsConfig share the default context. */
	for (i = 0; i < c->nproxies; i++) {
		struct conf_client *cc = c->proxies[i]->client;

		if (cc != NULL && cc->tls_ctx == NULL &&
		    tlsclient_https(c->proxies[i])) {
			SSL_CTX_up_ref(c->tls_default);
			cc->tls_ctx = c->tls_default;
		}
	}
	return 0;
fail:
	tlsclient_free(c);
	return -1;
}

void
tlsclient_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nproxies; i++) {
		struct conf_client *cc = c->proxies[i]->client;

		if (cc != NULL && cc->tls_ctx != NULL) {
			SSL_CTX_free(cc->tls_ctx);
			cc->tls_ctx = NULL;
		}
	}
	SSL_CTX_free(c->tls_default);
	c->tls_default = NULL;
}

int
tlsclient_start(struct io *io, const struct conf_upstream *up,
    const struct conf_client *cc, void *ctx, int64_t deadline)
{
	const char *name = up->host;
	unsigned char addr[16];
	X509_VERIFY_PARAM *vp;
	int is_ip;

	if (ctx == NULL) {
		errno = ECONNABORTED;
		return -1;
	}
	if (cc->tls.server_name != NULL && cc->tls.server_name[0] != '\0')
		name = cc->tls.server_name;
	is_ip = inet_pton(AF_INET, name, addr) == 1 ||
	    inet_pton(AF_INET6, name, addr) == 1;
	if ((io->ssl = SSL_new(ctx)) == NULL ||
	    SSL_set_fd(io->ssl, io->fd) != 1) {
		tlsclient_log(up->url, "SSL_new");
		errno = ECONNABORTED;
		return -1;
	}
	SSL_set_connect_state(io->ssl);
	if (!is_ip) {
		char
		    sni[256]; /* the macro takes a char * (clang -Wcast-qual) */

		if ((size_t)snprintf(sni, sizeof(sni), "%s", name) <
		    sizeof(sni))
			(void)SSL_set_tlsext_host_name(io->ssl, sni);
	}
	vp = SSL_get0_param(io->ssl);
	X509_VERIFY_PARAM_set_hostflags(
	    vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if ((is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, name)
	           : X509_VERIFY_PARAM_set1_host(vp, name, 0)) != 1) {
		tlsclient_log(up->url, "verification name");
		errno = ECONNABORTED;
		return -1;
	}
	if (conn_handshake(io, deadline) < 0) {
		long v = SSL_get_verify_result(io->ssl);

		if (errno != ETIMEDOUT) {
			if (v != X509_V_OK)
				log_error("upstream %s: TLS: certificate "
				          "verification failed: %s",
				    up->url, X509_verify_cert_error_string(v));
			else
				tlsclient_log(up->url, "TLS handshake");
			errno = ECONNABORTED;
		}
		ERR_clear_error();
		return -1;
	}
	return 0;
}
