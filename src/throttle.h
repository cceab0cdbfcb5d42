/* Rate limiters of app/v1 ThrottleMiddleware, shared by all workers. */
#ifndef AILERON_THROTTLE_H
#define AILERON_THROTTLE_H

#include <stdint.h>

/* The algorithm oneof of an apiThrottler. */
enum throttle_alg {
	THROTTLE_MAX_CONNS = 1, /* maxConnections{maxConns} */
	THROTTLE_TOKEN_BUCKET, /* tokenBucket{bucketSize, fillInterval, fillRate} */
	THROTTLE_FIXED_WINDOW, /* fixedWindow{windowSize, limit} */
	THROTTLE_LEAKY_BUCKET  /* leakyBucket{bucketSize, leakInterval} */
};

/* One limiter's parameters, all >= 1 (the config loader checks). */
struct throttle_params {
	int alg;             /* enum throttle_alg */
	int64_t size;        /* maxConns, bucketSize or limit */
	int64_t rate;        /* tokenBucket fillRate; fixedWindow: = limit */
	int64_t interval_ns; /* fillInterval, windowSize or leakInterval */
};

/*
 * A limiter: its parameters and its state in a shared mapping made by
 * throttle_new() in the master before fork, so that every worker draws
 * from the same limiter.  Times are CLOCK_MONOTONIC nanoseconds, passed
 * in by the caller (throttle_clock() in the server, a fake in tests).
 */
struct throttle;

/* Map a limiter whose clock starts at now; NULL (logged) on error. */
struct throttle *throttle_new(const struct throttle_params *p, uint64_t now);
/* Unmap it; accepts NULL.  Workers that inherited it keep their copy. */
void throttle_free(struct throttle *t);
/*
 * Ask for one request at time now: 1 accepted, 0 refused.  A leaky
 * bucket accepts into its queue: *wait is then how long the request must
 * wait before it goes on (0 for the others, and for a leaky bucket's
 * first request after an idle leakInterval).  An accepted request of
 * maxConnections holds a slot until throttle_release().
 */
int throttle_take(struct throttle *t, uint64_t now, uint64_t *wait);
/* The accepted request ended: give back its maxConnections slot. */
void throttle_release(struct throttle *t);
/* maxConnections slots held now (tests, status). */
int64_t throttle_in_use(const struct throttle *t);
/*
 * AILERON's retry backoff before attempt n (0-based): exponential with
 * full jitter, 1 ms + r mod min(10 s, 1 ms * 2^n), in nanoseconds; r is
 * a random number.
 */
uint64_t throttle_backoff(unsigned n, uint64_t r);
/* CLOCK_MONOTONIC in nanoseconds: one clock for every process. */
uint64_t throttle_clock(void);
/*
 * Admit a request the way the middleware does: take; on refusal retry
 * max_retry + 1 times after a backoff; sleep out a leaky bucket's wait.
 * While sleeping it watches client_fd (-1: none) and refuses when the
 * client went away.  1 admitted (release it when the request ends), 0
 * refused: answer 429.
 */
int throttle_admit(struct throttle *t, int max_retry, int client_fd);

#endif
