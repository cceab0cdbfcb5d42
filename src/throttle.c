/* Rate limiters of app/v1 ThrottleMiddleware, shared by all workers. */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/rand.h>

#include "conn.h"
#include "log.h"
#include "shm.h"
#include "throttle.h"

#define TH_MS 1000000ULL

/* The state every worker sees, in one shared mapping per limiter. */
struct throttle_shared {
	pthread_mutex_t th_mu; /* buckets and leaky bucket */
	int64_t th_tokens;     /* buckets: tokens left */
	uint64_t th_filled;    /* buckets: last refill */
	uint64_t th_next;      /* leaky bucket: next free release time */
	int64_t th_in_use;     /* maxConnections: slots held (atomic) */
};

struct throttle {
	struct throttle_params th_p;
	struct throttle_shared *th_sh;
};

struct throttle *
throttle_new(const struct throttle_params *p, uint64_t now)
{
	struct throttle *t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		log_warn("calloc");
		return NULL;
	}
	t->th_p = *p;
	if (t->th_p.alg == THROTTLE_FIXED_WINDOW)
		t->th_p.rate = t->th_p.size;
	if ((t->th_sh = shm_map(sizeof(*t->th_sh))) == NULL)
		goto fail;
	if (shm_mutex_init(&t->th_sh->th_mu) == -1)
		goto fail;
	t->th_sh->th_tokens = t->th_p.size; /* a bucket starts full */
	t->th_sh->th_filled = now;
	t->th_sh->th_next = now;
	return t;
fail:
	throttle_free(t);
	return NULL;
}

void
throttle_free(struct throttle *t)
{
	if (t == NULL)
		return;
	shm_unmap(t->th_sh, sizeof(*t->th_sh));
	free(t);
}

/*
 * Token bucket (and fixed window): take a token if one is left; an empty
 * bucket whose fillInterval has passed is reset, not topped up, to
 * min(fillRate * elapsed / fillInterval, bucketSize) tokens, one of which
 * this request takes.  This is AILERON's lazy, non-additive refill.
 */
static int
throttle_bucket(struct throttle *t, uint64_t now)
{
	struct throttle_shared *sh = t->th_sh;
	uint64_t passed;
	double x;
	int ok = 1;

	shm_mutex_lock(&sh->th_mu);
	if (sh->th_tokens > 0)
		sh->th_tokens--;
	else {
		passed = now > sh->th_filled ? now - sh->th_filled : 0;
		if (passed < (uint64_t)t->th_p.interval_ns)
			ok = 0;
		else {
			x = (double)t->th_p.rate * (double)passed /
			    (double)t->th_p.interval_ns;
			if (x > (double)t->th_p.size)
				x = (double)t->th_p.size;
			sh->th_tokens = (int64_t)x - 1;
			sh->th_filled = now;
		}
	}
	shm_mutex_unlock(&sh->th_mu);
	return ok;
}

/*
 * Leaky bucket: requests leave one per leakInterval, in the order they
 * came.  Each accepted request books the next free release time; the
 * ones booked in the future are the queue, and a full queue (bucketSize
 * waiting) refuses at once.  A request that gives up keeps its booking,
 * so the rate never goes above one per interval.
 */
static int
throttle_leaky(struct throttle *t, uint64_t now, uint64_t *wait)
{
	struct throttle_shared *sh = t->th_sh;
	uint64_t iv = (uint64_t)t->th_p.interval_ns, slot, waiting;
	int ok = 1;

	shm_mutex_lock(&sh->th_mu);
	slot = sh->th_next > now ? sh->th_next : now;
	if (slot > now) {
		/* Bookings after now: slots next - k * iv > now, k >= 1. */
		waiting = (sh->th_next - now + iv - 1) / iv - 1;
		if (waiting >= (uint64_t)t->th_p.size)
			ok = 0;
	}
	if (ok) {
		sh->th_next = slot + iv;
		*wait = slot - now;
	}
	shm_mutex_unlock(&sh->th_mu);
	return ok;
}

int
throttle_take(struct throttle *t, uint64_t now, uint64_t *wait)
{
	int64_t n;

	*wait = 0;
	switch (t->th_p.alg) {
	case THROTTLE_MAX_CONNS:
		n = __atomic_add_fetch(
		    &t->th_sh->th_in_use, 1, __ATOMIC_ACQ_REL);
		if (n <= t->th_p.size)
			return 1;
		__atomic_sub_fetch(&t->th_sh->th_in_use, 1, __ATOMIC_ACQ_REL);
		return 0;
	case THROTTLE_TOKEN_BUCKET:
	case THROTTLE_FIXED_WINDOW:
		return throttle_bucket(t, now);
	case THROTTLE_LEAKY_BUCKET:
		return throttle_leaky(t, now, wait);
	default:
		return 1;
	}
}

void
throttle_release(struct throttle *t)
{
	if (t->th_p.alg == THROTTLE_MAX_CONNS)
		__atomic_sub_fetch(&t->th_sh->th_in_use, 1, __ATOMIC_ACQ_REL);
}

int64_t
throttle_in_use(const struct throttle *t)
{
	return __atomic_load_n(&t->th_sh->th_in_use, __ATOMIC_ACQUIRE);
}

uint64_t
throttle_backoff(unsigned n, uint64_t r)
{
	uint64_t cap = 10000 * TH_MS, v = TH_MS;

	while (n-- > 0 && v < cap)
		v *= 2;
	if (v > cap)
		v = cap;
	return TH_MS + r % v;
}

uint64_t
throttle_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Sleep ns nanoseconds unless the client goes away first: 0 slept, -1
 * gone.  A client that sent more bytes (a pipelined request) is not gone;
 * it is no longer watched.  The sleep goes through conn_wait(), so the
 * worker's parked connections are handed to idle workers meanwhile
 * instead of waiting out this request's turn with it.
 */
static int
throttle_sleep(uint64_t ns, int *fd)
{
	int64_t ms = (int64_t)((ns + TH_MS - 1) / TH_MS);
	int64_t deadline = conn_deadline(ms > 0 ? ms : 1);
	char c;
	int n;

	for (;;) {
		n = conn_wait(*fd, POLLIN | POLLRDHUP, deadline, -1);
		if (n == 0)
			return 0;
		if (n == -1)
			return -1;
		n = (int)recv(*fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			return -1;
		if (n == -1)
			continue; /* a spurious wakeup */
		*fd = -1;         /* poll() ignores it from now on */
	}
}

/* A random 64-bit number for the backoff's jitter. */
static uint64_t
throttle_random(void)
{
	uint64_t r = 0;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint64_t)random();
	return r;
}

int
throttle_admit(struct throttle *t, int max_retry, int client_fd)
{
	uint64_t wait;
	int fd = client_fd, i;

	if (throttle_take(t, throttle_clock(), &wait))
		goto accepted;
	if (max_retry <= 0)
		return 0;
	/* AILERON retries max_retry + 1 times. */
	for (i = 0; i <= max_retry; i++) {
		if (throttle_sleep(
		        throttle_backoff((unsigned)i, throttle_random()),
		        &fd) == -1)
			return 0;
		if (throttle_take(t, throttle_clock(), &wait))
			goto accepted;
	}
	return 0;
accepted:
	if (wait > 0 && throttle_sleep(wait, &fd) == -1) {
		throttle_release(t);
		return 0;
	}
	return 1;
}
