/* Load-balancing algorithms: choose an upstream of a load balancer. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "balance.h"

int
balance_build(struct conf *c)
{
	(void)c;
	return 0;
}

int
balance_rr_index(const struct conf_lb *lb, uint64_t n)
{
	uint64_t pos;
	size_t i;

	if (lb->nupstreams == 0 || lb->total_weight == 0)
		return -1;
	pos = n % lb->total_weight;
	for (i = 0; i < lb->nupstreams; i++) {
		uint64_t w = (uint64_t)lb->upstreams[i].weight;

		if (pos < w)
			return (int)i;
		pos -= w;
	}
	return (int)lb->nupstreams - 1;
}

/* Next value of the round-robin sequence shared by every worker. */
static uint64_t
balance_rr_next(const struct conf_lb *lb)
{
	static uint64_t local;

	if (lb->shared == NULL)
		return local++;
	return __atomic_fetch_add(&lb->shared->rr_counter, 1, __ATOMIC_RELAXED);
}

int
balance_pick(const struct conf_lb *lb, const char *key, size_t keylen)
{
	(void)key;
	(void)keylen;
	if (lb->nupstreams == 0)
		return -1;
	switch (lb->algorithm) {
	case LB_ROUND_ROBIN:
	default:
		return balance_rr_index(lb, balance_rr_next(lb));
	}
}
