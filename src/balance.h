/* Load-balancing algorithms: choose an upstream of a load balancer. */
#ifndef AILERON_BALANCE_H
#define AILERON_BALANCE_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* Prepare per-LB tables (hash rings) for every proxy of c; -1 on error. */
int balance_build(struct conf *c);

/*
 * Pick an upstream of lb; key/keylen is the hash source value for the
 * hashing algorithms (ignored by the others).  Returns an index into
 * lb->upstreams, or -1 when the LB has no upstream.
 */
int balance_pick(const struct conf_lb *lb, const char *key, size_t keylen);

/* Build the lookup structure (ring, Maglev table) of one LB in arena a. */
struct arena;
void balance_build_lb(struct arena *a, struct conf_lb *lb);

/* SplitMix64 finaliser, xxHash64 (seed 0), and the Maglev table size. */
uint64_t balance_mix(uint64_t z);
uint64_t balance_hash(const char *s, size_t len);
uint64_t balance_maglev_size(uint64_t n);

/* Round robin step: the upstream for the n-th request (weights in order). */
int balance_rr_index(const struct conf_lb *lb, uint64_t n);

#endif
