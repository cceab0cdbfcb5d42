/* Load-balancing algorithms: choose an upstream of a load balancer. */
#ifndef AILERON_BALANCE_H
#define AILERON_BALANCE_H

#include <stddef.h>

#include "conf.h"

/* Prepare per-LB tables (hash rings) for every proxy of c; -1 on error. */
int balance_build(struct conf *c);

/*
 * Pick an upstream of lb; key/keylen is the hash source value for the
 * hashing algorithms (ignored by the others).  Returns an index into
 * lb->upstreams, or -1 when the LB has no upstream.
 */
int balance_pick(const struct conf_lb *lb, const char *key, size_t keylen);

/* Round robin step: the upstream for the n-th request (weights in order). */
int balance_rr_index(const struct conf_lb *lb, uint64_t n);

#endif
