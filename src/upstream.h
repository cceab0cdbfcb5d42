/* Upstream connections: address cache and the per-worker keep-alive pool. */
#ifndef AILERON_UPSTREAM_H
#define AILERON_UPSTREAM_H

#include <stdint.h>

#include "conf.h"
#include "conn.h"

#define UPSTREAM_DIAL_TIMEOUT_MS 10000
#define UPSTREAM_IDLE_TIMEOUT_MS 60000
#define UPSTREAM_TLS_TIMEOUT_MS  10000

struct upstream_pool;

struct upstream_pool *upstream_pool_new(void);
/* Close every pooled connection and free the pool; accepts NULL. */
void upstream_pool_free(struct upstream_pool *p);

/*
 * Fill io with a connection to up: an idle pooled one (*reused = 1) or a
 * new one dialled within cc's dial timeout (*reused = 0).  Returns -1 with
 * errno set (ETIMEDOUT for a dial timeout).
 */
int upstream_get(struct upstream_pool *p, const struct conf_upstream *up,
    const struct conf_client *cc, struct io *io, int *reused);

/*
 * Give back a connection whose last response ended cleanly; io is reset.
 * It is closed instead when cc disables keep-alive or its idle limits
 * are reached.
 */
void upstream_put(struct upstream_pool *p, const struct conf_upstream *up,
    const struct conf_client *cc, struct io *io);

/* Close pooled connections idle longer than their client's idle timeout. */
void upstream_expire(struct upstream_pool *p);

#endif
