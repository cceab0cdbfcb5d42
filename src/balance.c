/* Load-balancing algorithms: choose an upstream of a load balancer. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "arena.h"
#include "balance.h"
#include "health.h"
#include "log.h"

/* One point of a hash ring. */
struct balance_point {
	uint64_t key;
	uint32_t idx;
};

/* Precomputed lookup structure of a RingHash or Maglev LB. */
struct balance_table {
	struct balance_point *ring; /* RingHash, sorted by key */
	size_t nring;
	uint32_t *maglev; /* Maglev, M entries */
	uint64_t m;
};

uint64_t
balance_mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t
balance_hash(const char *s, size_t len)
{
	return XXH64(s, len, 0);
}

/* Upstream identity: xxHash64 of its URL (trailing '/' already trimmed). */
static uint64_t
balance_id(const struct conf_upstream *up)
{
	return balance_hash(up->url, strlen(up->url));
}

/* May upstream i of lb take requests (health checks)? */
static int
balance_up(const struct conf_lb *lb, size_t i)
{
	return health_usable(lb->upstreams[i].shared);
}

static int
balance_point_cmp(const void *a, const void *b)
{
	const struct balance_point *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Is n prime (trial division; n is at most a few million times 2)? */
static int
balance_prime(uint64_t n)
{
	uint64_t d;

	if (n < 2)
		return 0;
	for (d = 2; d * d <= n; d++)
		if (n % d == 0)
			return 0;
	return 1;
}

uint64_t
balance_maglev_size(uint64_t n)
{
	static const uint64_t small[] = { 3, 5, 7, 11, 13, 17, 19, 23, 29, 31,
		37 };
	uint64_t i, v;

	for (i = 0; i < sizeof(small) / sizeof(small[0]); i++)
		if (small[i] >= n)
			return small[i];
	for (i = 0;; i++) {
		v = i * i + i + 41;
		if (v >= n && balance_prime(v))
			return v;
	}
}

/* Build the RingHash ring of lb: weight points per upstream. */
static void
balance_build_ring(struct arena *a, struct conf_lb *lb, struct balance_table *t)
{
	size_t i, n = 0;
	int w;

	t->ring = arena_alloc(a, lb->total_weight * sizeof(*t->ring));
	for (i = 0; i < lb->nupstreams; i++) {
		uint64_t k = balance_id(&lb->upstreams[i]);

		for (w = 0; w < lb->upstreams[i].weight; w++) {
			k = balance_mix(k);
			t->ring[n].key = k;
			t->ring[n++].idx = (uint32_t)i;
		}
	}
	t->nring = n;
	qsort(t->ring, n, sizeof(*t->ring), balance_point_cmp);
}

/* Build the Maglev lookup table of lb. */
static void
balance_build_maglev(
    struct arena *a, struct conf_lb *lb, struct balance_table *t)
{
	uint64_t m = balance_maglev_size(2 * lb->total_weight), filled = 0;
	uint64_t *next, *offset, *skip;
	size_t i, n = lb->nupstreams;
	int w;

	t->m = m;
	t->maglev = arena_alloc(a, m * sizeof(*t->maglev));
	next = calloc(n, sizeof(*next));
	offset = calloc(n, sizeof(*offset));
	skip = calloc(n, sizeof(*skip));
	if (next == NULL || offset == NULL || skip == NULL)
		fatal("calloc");
	for (i = 0; i < m; i++)
		t->maglev[i] = UINT32_MAX;
	for (i = 0; i < n; i++) {
		uint64_t key = balance_mix(balance_id(&lb->upstreams[i]));

		offset[i] = key % m;
		skip[i] = key % (m - 1) + 1;
	}
	while (filled < m) {
		for (i = 0; i < n && filled < m; i++) {
			for (w = 0; w < lb->upstreams[i].weight && filled < m;
			     w++) {
				uint64_t p;

				do {
					p = (offset[i] + skip[i] * next[i]) % m;
					next[i]++;
				} while (t->maglev[p] != UINT32_MAX);
				t->maglev[p] = (uint32_t)i;
				filled++;
			}
		}
	}
	free(next);
	free(offset);
	free(skip);
}

/* Build the lookup structure of one LB (no-op for the other algorithms). */
void
balance_build_lb(struct arena *a, struct conf_lb *lb)
{
	struct balance_table *t;

	lb->balance = NULL;
	if (lb->nupstreams == 0 ||
	    (lb->algorithm != LB_RING_HASH && lb->algorithm != LB_MAGLEV))
		return;
	t = arena_alloc(a, sizeof(*t));
	if (lb->algorithm == LB_RING_HASH)
		balance_build_ring(a, lb, t);
	else
		balance_build_maglev(a, lb, t);
	lb->balance = t;
}

int
balance_build(struct conf *c)
{
	size_t i, j;

	for (i = 0; i < c->nproxies; i++)
		for (j = 0; j < c->proxies[i]->nlbs; j++)
			balance_build_lb(c->arena, &c->proxies[i]->lbs[j]);
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

/* Round robin, skipping upstreams that are down. */
static int
balance_pick_rr(const struct conf_lb *lb)
{
	uint64_t tries;

	for (tries = 0; tries < lb->total_weight; tries++) {
		int i = balance_rr_index(lb, balance_rr_next(lb));

		if (i >= 0 && balance_up(lb, (size_t)i))
			return i;
	}
	return -1;
}

/* Weighted choice: the upstream maximising w / -ln(u), u in (0, 1). */
static int
balance_pick_weighted(const struct conf_lb *lb, uint64_t k, int random)
{
	double best = -1.0;
	size_t i;
	int pick = -1;

	for (i = 0; i < lb->nupstreams; i++) {
		double u, score;

		if (random) {
			uint64_t r;

			do
				arc4random_buf(&r, sizeof(r));
			while (r == 0);
			k = r;
		} else
			k = balance_mix(k);
		u = (double)k / 18446744073709551616.0;
		score = (double)lb->upstreams[i].weight / -log(u);
		if (!balance_up(lb, i))
			continue;
		if (score > best) {
			best = score;
			pick = (int)i;
		}
	}
	return pick;
}

/* RingHash: the first point at or after mix(h), wrapping; skip down ones. */
static int
balance_pick_ring(const struct conf_lb *lb, uint64_t h)
{
	const struct balance_table *t = lb->balance;
	uint64_t q = balance_mix(h);
	size_t lo = 0, hi = t->nring, n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->ring[mid].key < q)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (n = 0; n < t->nring; n++) {
		const struct balance_point *p = &t->ring[(lo + n) % t->nring];

		if (balance_up(lb, p->idx))
			return (int)p->idx;
	}
	return -1;
}

/* Maglev: table[mix(h) mod M]; a down upstream passes to the next slot. */
static int
balance_pick_maglev(const struct conf_lb *lb, uint64_t h)
{
	const struct balance_table *t = lb->balance;
	uint64_t s = balance_mix(h) % t->m, n;

	for (n = 0; n < t->m; n++) {
		uint32_t idx = t->maglev[(s + n) % t->m];

		if (balance_up(lb, idx))
			return (int)idx;
	}
	return -1;
}

int
balance_pick(const struct conf_lb *lb, const char *key, size_t keylen)
{
	uint64_t h;

	if (lb->nupstreams == 0)
		return -1;
	if (key == NULL)
		key = "";
	h = balance_hash(key, keylen);
	switch (lb->algorithm) {
	case LB_RANDOM:
		return balance_pick_weighted(lb, 0, 1);
	case LB_DIRECT_HASH:
		return balance_pick_weighted(lb, h, 0);
	case LB_RING_HASH:
		if (lb->balance != NULL)
			return balance_pick_ring(lb, h);
		return -1;
	case LB_MAGLEV:
		if (lb->balance != NULL)
			return balance_pick_maglev(lb, h);
		return -1;
	case LB_ROUND_ROBIN:
	default:
		return balance_pick_rr(lb);
	}
}
