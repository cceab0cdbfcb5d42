/* Worker pool sizing: effective settings and the once-a-second decision. */
#ifndef AILERON_POOL_H
#define AILERON_POOL_H

#include "conf.h"

#define POOL_MAX_SPAWN_RATE 32 /* workers forked per tick at most */

/* The pool settings in force, every automatic value resolved. */
struct pool_settings {
	int fixed; /* processConfig.workers: exactly start workers */
	int start;
	int min_spare;
	int max_spare;
	int max; /* hard cap on the workers of the current generation */
};

/*
 * Resolve p's settings for a machine with ncpu CPUs: automatic values
 * (0) get defaults that scale with ncpu, the rest are clamped so that
 * min_spare < max_spare and start, min_spare <= max.
 */
void pool_settings(
    const struct conf_process *p, long ncpu, struct pool_settings *ps);

/* What one maintenance tick does. */
struct pool_action {
	int spawn;  /* workers to fork now */
	int kill;   /* idle workers to stop now (0 or 1) */
	int at_max; /* spawning was wanted but the hard cap was reached */
};

/*
 * Decide one tick for a generation with total workers of which idle are
 * idle (or starting).  *rate is the spawn rate carried between ticks:
 * while spares are short, rate workers are forked and it doubles up to
 * POOL_MAX_SPAWN_RATE; otherwise it falls back to 1.
 */
void pool_decide(const struct pool_settings *ps, int total, int idle, int *rate,
    struct pool_action *act);

/*
 * Workers to fork at once because waiting requests (connections in the
 * handoff queue and in the listeners' accept queues) outnumber the idle
 * workers: the difference, at most POOL_MAX_SPAWN_RATE and within the
 * hard cap (*at_max set when the cap cut it).  0 for a fixed pool.
 */
int pool_demand(const struct pool_settings *ps, int total, int idle,
    int waiting, int *at_max);

#endif
