/* Upstream health: passive ejection by the workers, active probes by a helper process. */
#ifndef AILERON_HEALTH_H
#define AILERON_HEALTH_H

#include "conf.h"
#include "daemon.h"

#define HEALTH_PASSIVE_FAILS    3     /* consecutive failures to eject */
#define HEALTH_COOLDOWN_MS      10000 /* passive cool-down by default */
#define HEALTH_INTERVAL_MS      10000 /* active probe interval by default */
#define HEALTH_PROBE_TIMEOUT_MS 5000  /* at most; never above the interval */
#define HEALTH_FALL             2     /* failed probes to mark down */
#define HEALTH_RISE             2     /* good probes to mark up again */

/*
 * Master, per generation: map the health state of every upstream with
 * enablePassive or enableActive in shared memory and, if any upstream is
 * actively checked, fork the helper process that probes them.  -1 on error.
 */
int health_build(struct conf *c, const struct daemon_privs *pv);

/* Master: stop the generation's helper and unmap its state; accepts NULL. */
void health_free(struct conf *c);
/* Send sig to the probing helper of c, if it has one (SIGUSR1: reopen). */
void health_signal(const struct conf *c, int sig);

/* Worker: record the outcome of talking to up (passive checks). */
void health_report(const struct conf_upstream *up, int ok);

/* Is an upstream with state sh usable now?  (NULL: always.) */
int health_usable(const struct conf_upstream_shared *sh);

/* Is addr a usable healthCheckAddr (see health_probe)?  0 or -1. */
int health_addr_check(const char *addr);

/*
 * One active probe of addr ("host:port": TCP connect; "http://host:port/
 * path": GET with a 2xx or 3xx answer) within timeout_ms; 1 when healthy.
 */
int health_probe(const char *addr, int64_t timeout_ms);

#endif
