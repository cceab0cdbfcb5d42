/* PrometheusMeter's API-call counters, one set per config object, for all workers. */
#ifndef AILERON_PROMMETER_H
#define AILERON_PROMMETER_H

#include <stddef.h>
#include <stdio.h>

/*
 * AILERON's PrometheusMeter is one object, whatever it is used as: the
 * handler shows what the middleware and the tripperware counted.  Here
 * the handler, middleware and tripperware instances of one config object
 * (key) share one meter: the first to be made in the master maps it,
 * before fork, and the last to go unmaps it.
 */
struct prommeter;

/* Series per family; more are counted as dropped (see promvec.h). */
#define PROMMETER_SERIES 4096

/* Master: the meter of config object key, made on first use; NULL on error. */
struct prommeter *prommeter_get(const void *key);
/* Master: one user of m fewer; the last frees it.  Accepts NULL. */
void prommeter_put(struct prommeter *m);

/*
 * A request ended (middleware): host as the client sent it (with any
 * port), the path, the status sent (0: nothing was sent) and the method.
 */
void prommeter_count_request(struct prommeter *m, const char *host, size_t hlen,
    const char *path, size_t plen, int status, const char *method, size_t mlen);
/*
 * An upstream exchange ended (tripperware): the upstream's host:port,
 * the path sent, its status (0: no response) and the method.
 */
void prommeter_count_client(struct prommeter *m, const char *host, size_t hlen,
    const char *path, size_t plen, int status, const char *method, size_t mlen);
/* The handler answers a scrape: in flight until prommeter_scrape_end(). */
void prommeter_scrape_begin(struct prommeter *m);
void prommeter_scrape_end(struct prommeter *m, int status);
/*
 * Write the meter's families in text format 0.0.4, sorted by name as
 * client_golang gathers them.  0, or -1 on a write error.
 */
int prommeter_write(struct prommeter *m, FILE *f);

#endif
