/* HTTPS upstreams: client SSL_CTX per HTTPClient, built in the master. */
#ifndef AILERON_TLSCLIENT_H
#define AILERON_TLSCLIENT_H

#include <stdint.h>

#include "conf.h"
#include "conn.h"

/*
 * Master, per generation: build the SSL_CTX of every HTTPClient with a
 * tlsConfig and, if some HTTPS upstream needs it, the default one
 * (system trust store).  -1 after logging an error.
 */
int tlsclient_build(struct conf *c);

/*
 * An SSL_CTX (returned as void *) for client connections with tls (NULL:
 * TLS 1.2..1.3, the system trust store); NULL after logging an error
 * naming what.  The caller frees it with SSL_CTX_free.
 */
void *tlsclient_ctx_new(const char *what, const struct conf_tls_client *tls);

/* Master: free what tlsclient_build made; accepts NULL. */
void tlsclient_free(struct conf *c);

/*
 * Start TLS on the connected io to up with ctx (an SSL_CTX) and cc's
 * settings: SNI, host name verification, handshake within deadline.
 * -1 with errno set (ETIMEDOUT on timeout, ECONNABORTED otherwise); the
 * caller closes io.
 */
int tlsclient_start(struct io *io, const struct conf_upstream *up,
    const struct conf_client *cc, void *ctx, int64_t deadline);

#endif
