/* TLS contexts: built in the master when the config is loaded, used by workers after fork. */
#ifndef AILERON_TLS_H
#define AILERON_TLS_H

#include "conf.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

/* The contexts of one TLS listener: one SSL_CTX per certKeyPairs entry. */
struct tls_server;

/*
 * Build the TLS contexts of every TLS listener of c (stored in
 * srv->tls->rt): certificates, keys and CA files are read here, in the
 * master, so that workers never open them.  Each problem is reported
 * through err as "file:line:column: message"; returns -1 if there was any.
 */
int tls_conf_build(struct conf *c, conf_error_fn err, void *ctx);

/* Free what tls_conf_build made; accepts a config without TLS. */
void tls_conf_free(struct conf *c);

/*
 * A server context set for t (see tls_conf_build); id names the server
 * (session id context).  NULL after reporting through err.
 */
struct tls_server *tls_server_new(
    const struct conf_tls *t, const char *id, conf_error_fn err, void *ctx);
void tls_server_free(struct tls_server *ts);

/* The default (first certificate's) context of ts, e.g. for tests. */
SSL_CTX *tls_server_ctx(const struct tls_server *ts);

/*
 * A server-side SSL for an accepted non-blocking socket of a listener
 * whose TLS config is t; NULL on error (logged).
 */
SSL *tls_server_ssl_new(const struct conf_tls *t, int fd);

/*
 * A client context for TLS to upstreams from t (HTTPClient tlsConfig):
 * versions, tlsCipher, curvePreferences, rootCAs (added to the system's
 * CAs) unless insecureSkipVerify, the first certKeyPairs entry as the
 * client certificate, nextProtos as ALPN, sessionTicketsDisabled,
 * renegotiation (Never refuses it).  NULL after reporting through err.
 */
SSL_CTX *tls_client_ctx_new(
    const struct conf_tls *t, conf_error_fn err, void *ctx);

/*
 * A client-side SSL on connected socket fd for upstream host: SNI and
 * certificate verification use t->server_name if set, else host (an IP
 * address is verified as one and sent no SNI).  NULL on error (logged).
 */
SSL *tls_client_ssl_new(
    SSL_CTX *sctx, const struct conf_tls *t, int fd, const char *host);

/* "TLSv1.3 TLS_AES_128_GCM_SHA256 resumed" for logs (static buffer). */
const char *tls_describe(SSL *ssl);

/* Did the last handshake fail because the peer spoke plain HTTP? */
int tls_error_is_http(void);

/* The reason of the last OpenSSL error, or "unknown error"; clears the queue. */
const char *tls_error_string(char *buf, size_t size);

#endif
