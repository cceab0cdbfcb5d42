/* Reverse proxy: serve one client connection, forwarding each request upstream. */
#ifndef AILERON_PROXY_H
#define AILERON_PROXY_H

#include <signal.h>
#include <sys/socket.h>

#include "conf.h"
#include "route.h"

struct proxy;

/* Per-worker proxy state: buffers and the upstream keep-alive pool. */
/* stop_fd becomes readable and *stopping non-zero when the worker stops. */
struct proxy *proxy_new(struct conf *c, struct routes *rt, int stop_fd,
    const volatile sig_atomic_t *stopping);
void proxy_free(struct proxy *px);

/*
 * Serve client fd (accepted on a listener of srv, peer address sa) until
 * the connection ends; closes fd.  Returns the number of requests served.
 */
unsigned proxy_serve(struct proxy *px, int fd, const struct sockaddr *sa,
    socklen_t salen, const struct conf_server *srv);

/* Close idle upstream connections older than their idle timeout. */
void proxy_expire_idle(struct proxy *px);

#endif
