/* Worker pool sizing: effective settings and the once-a-second decision. */
#include <string.h>

#include "pool.h"

/* Clamp v into lo..hi. */
static int
pool_clamp(long v, int lo, int hi)
{
	if (v < lo)
		return lo;
	if (v > hi)
		return hi;
	return (int)v;
}

void
pool_settings(const struct conf_process *p, long ncpu, struct pool_settings *ps)
{
	memset(ps, 0, sizeof(*ps));
	if (ncpu < 1)
		ncpu = 1;
	if (p->workers > 0) {
		ps->fixed = 1;
		ps->start = ps->max = p->workers;
		ps->min_spare = 0;
		ps->max_spare = p->workers;
		return;
	}
	/*
	 * A worker serves one connection at a time, so the pool is sized in
	 * connections: 2 CPUs get 8 to start, 4 to 16 spares and up to 256
	 * workers; 64 CPUs get 256 to start, 64 to 256 spares and 1024.
	 */
	ps->max = p->max_workers > 0
	    ? p->max_workers
	    : pool_clamp(ncpu * 16, 256, CONF_MAX_WORKERS);
	ps->min_spare = p->min_spare_workers > 0 ? p->min_spare_workers
	                                         : pool_clamp(ncpu, 4, 1024);
	ps->max_spare = p->max_spare_workers > 0
	    ? p->max_spare_workers
	    : pool_clamp(ncpu * 4, 16, 2048);
	ps->start = p->start_workers > 0 ? p->start_workers
	                                 : pool_clamp(ncpu * 4, 8, 1024);
	if (ps->min_spare > ps->max)
		ps->min_spare = ps->max;
	if (ps->max_spare <= ps->min_spare)
		ps->max_spare = ps->min_spare + 1;
	if (ps->start > ps->max)
		ps->start = ps->max;
}

void
pool_decide(const struct pool_settings *ps, int total, int idle, int *rate,
    struct pool_action *act)
{
	int want;

	memset(act, 0, sizeof(*act));
	if (*rate < 1)
		*rate = 1;
	if (ps->fixed) {
		/* A fixed pool is refilled at once, whatever the rate. */
		act->spawn = total < ps->max ? ps->max - total : 0;
		return;
	}
	if (idle > ps->max_spare) {
		act->kill = 1;
		*rate = 1;
		return;
	}
	if (idle >= ps->min_spare) {
		*rate = 1;
		return;
	}
	/* As Apache does: the whole rate, so that a burst is met quickly. */
	want = *rate;
	if (total + want > ps->max) {
		want = ps->max - total;
		act->at_max = 1;
	}
	act->spawn = want > 0 ? want : 0;
	if (*rate < POOL_MAX_SPAWN_RATE)
		*rate *= 2;
}

int
pool_demand(const struct pool_settings *ps, int total, int idle, int waiting,
    int *at_max)
{
	int want = waiting - idle;

	*at_max = 0;
	if (ps->fixed || want <= 0)
		return 0;
	if (want > POOL_MAX_SPAWN_RATE)
		want = POOL_MAX_SPAWN_RATE;
	if (total + want > ps->max) {
		want = ps->max - total;
		*at_max = 1;
	}
	return want > 0 ? want : 0;
}
