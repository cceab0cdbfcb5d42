/* Scoreboard: worker states and server-wide counters in shared memory. */
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/sockios.h>
#include <linux/tcp.h> /* glibc's tcp_info lacks the byte counts */

#include "log.h"
#include "scoreboard.h"

#define SB_READ_TRIES 64
#define SB_CLAIM_SPIN 1000

/* A histogram in shared memory: buckets are not cumulative. */
struct sb_hist {
	uint64_t bucket[SB_BUCKETS];
	uint64_t sum_us;
};

/* States of an upstream entry; url and hash are set once, while claiming. */
enum sb_up_state { SB_UP_FREE = 0, SB_UP_CLAIMING, SB_UP_READY };

struct sb_uentry {
	uint32_t used; /* enum sb_up_state */
	uint64_t hash; /* of the whole URL */
	char url[SB_UPSTREAM_URL];
	uint64_t status[5];
	uint64_t errors;
	struct sb_hist latency;
};

struct scoreboard {
	struct sb_counters c;
	uint32_t serving;  /* generation that accepts; 0 while stopping */
	int32_t queued;    /* connections handed off, not yet taken */
	int64_t recent_us; /* fastest upstream response of a recent window */
	uint32_t wake;     /* a worker asked the master to look (1) */
	uint32_t full;     /* the pool cannot grow: at maxWorkers, or fixed */
	size_t nslots;
	struct sb_hist latency;                /* all upstreams */
	struct sb_uentry up[SB_UPSTREAMS + 1]; /* the last: "other" */
	struct sb_worker slots[];
};

/* Bucket bounds in microseconds, Prometheus' default buckets; +Inf last. */
static const int64_t sb_bounds[SB_BUCKETS - 1] = { 5000, 10000, 25000, 50000,
	100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000 };

static struct scoreboard *sb;
/* After the slots, in the same mapping: a bit per slot whose worker is idle. */
static uint64_t *sb_idle;
static struct sb_worker *sb_self; /* this worker's slot */
static uint64_t sb_max_requests;
static volatile sig_atomic_t *sb_stop;
/* A worker's window of upstream responses for the recent latency. */
#define SB_RECENT_WINDOW 8
static int64_t sb_up_window_min;
static unsigned sb_up_window_n;

static const char *const sb_state_names[SB_NSTATES] = { "free", "starting",
	"idle", "reading", "proxying", "writing", "closing", "stopping" };

#define SB_ADD(p, n)   __atomic_fetch_add((p), (n), __ATOMIC_RELAXED)
#define SB_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define SB_LOAD(p)     __atomic_load_n((p), __ATOMIC_RELAXED)

/* Set or clear slot i's bit in the idle bitmap. */
static void
sb_idle_mark(size_t i, int idle)
{
	uint64_t bit = (uint64_t)1 << (i % 64);

	if (idle)
		__atomic_fetch_or(&sb_idle[i / 64], bit, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&sb_idle[i / 64], ~bit, __ATOMIC_RELAXED);
}

/* Wall clock in milliseconds since the epoch. */
static int64_t
sb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
scoreboard_init(size_t nslots)
{
	size_t slots = sizeof(*sb) + nslots * sizeof(struct sb_worker);
	size_t words = (nslots + 63) / 64;
	size_t len = slots + words * sizeof(uint64_t);
	void *p;

	if (sb != NULL)
		return 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED) {
		log_warn("mmap scoreboard");
		return -1;
	}
	sb = p; /* mmap gives zeroes: every slot is SB_FREE */
	sb_idle = (uint64_t *)(void *)((char *)p + slots);
	sb->nslots = nslots;
	sb->c.started = sb_now();
	sb->c.generation = 1;
	sb->serving = 1;
	strncpy(sb->up[SB_UPSTREAMS].url, "other", SB_UPSTREAM_URL);
	sb->up[SB_UPSTREAMS].used = SB_UP_READY;
	return 0;
}

int
scoreboard_claim(unsigned gen)
{
	struct sb_worker *w;
	size_t i;

	if (sb == NULL)
		return -1;
	for (i = 0; i < sb->nslots; i++) {
		w = &sb->slots[i];
		if (SB_LOAD(&w->state) != SB_FREE)
			continue;
		memset(w, 0, sizeof(*w));
		w->generation = gen;
		w->started = w->changed = sb_now();
		SB_STORE(&w->state, SB_STARTING);
		return (int)i;
	}
	return -1;
}

void
scoreboard_set_pid(int i, pid_t pid)
{
	if (sb != NULL && i >= 0 && (size_t)i < sb->nslots)
		SB_STORE(&sb->slots[i].pid, (int32_t)pid);
}

void
scoreboard_release(int i)
{
	if (sb != NULL && i >= 0 && (size_t)i < sb->nslots) {
		sb_idle_mark((size_t)i, 0);
		SB_STORE(&sb->slots[i].pid, 0);
		SB_STORE(&sb->slots[i].state, SB_FREE);
	}
}

void
scoreboard_reloaded(unsigned gen)
{
	if (sb == NULL)
		return;
	SB_ADD(&sb->c.reloads, 1);
	SB_STORE(&sb->c.generation, gen);
	SB_STORE(&sb->serving, gen);
	/* The old generation's queue closes with it. */
	SB_STORE(&sb->queued, 0);
}

void
scoreboard_stopping(void)
{
	if (sb != NULL)
		SB_STORE(&sb->serving, 0);
}

int
scoreboard_serving(void)
{
	return sb != NULL && SB_LOAD(&sb->serving) != 0;
}

int
scoreboard_handoff_sent(void)
{
	if (sb == NULL)
		return 0;
	SB_ADD(&sb->c.handoffs, 1);
	return __atomic_add_fetch(&sb->queued, 1, __ATOMIC_RELAXED);
}

void
scoreboard_handoff_taken(void)
{
	if (sb != NULL)
		SB_ADD(&sb->queued, -1);
}

int
scoreboard_handoff_queued(void)
{
	int32_t n = sb != NULL ? SB_LOAD(&sb->queued) : 0;

	return n > 0 ? n : 0;
}

int
scoreboard_wake_claim(void)
{
	return sb != NULL &&
	    __atomic_exchange_n(&sb->wake, 1, __ATOMIC_RELAXED) == 0;
}

void
scoreboard_wake_done(void)
{
	if (sb != NULL)
		SB_STORE(&sb->wake, 0);
}

int
scoreboard_state(int i)
{
	if (sb == NULL || i < 0 || (size_t)i >= sb->nslots)
		return SB_FREE;
	return SB_LOAD(&sb->slots[i].state);
}

void
scoreboard_mark_stopping(int i)
{
	if (sb != NULL && i >= 0 && (size_t)i < sb->nslots) {
		sb_idle_mark((size_t)i, 0);
		SB_STORE(&sb->slots[i].state, SB_STOPPING);
	}
}

void
scoreboard_set_full(int full)
{
	if (sb != NULL && SB_LOAD(&sb->full) != (uint32_t)(full != 0))
		SB_STORE(&sb->full, (uint32_t)(full != 0));
}

int
scoreboard_idle_elsewhere(void)
{
	size_t i, words;

	if (sb == NULL)
		return 0;
	if (!SB_LOAD(&sb->full))
		return 1; /* the master may still fork one */
	words = (sb->nslots + 63) / 64;
	for (i = 0; i < words; i++)
		if (SB_LOAD(&sb_idle[i]) != 0)
			return 1;
	return 0;
}

void
scoreboard_attach(int i, uint64_t max_requests, volatile sig_atomic_t *stop)
{
	if (sb == NULL || i < 0 || (size_t)i >= sb->nslots)
		return;
	sb_self = &sb->slots[i];
	sb_max_requests = max_requests;
	sb_stop = stop;
	SB_STORE(&sb_self->pid, (int32_t)getpid());
	scoreboard_set_state(SB_IDLE);
}

void
scoreboard_set_state(enum sb_state st)
{
	int32_t was;

	if (sb_self == NULL)
		return;
	/* A stopping worker stays "stopping" to the master until it exits. */
	was = SB_LOAD(&sb_self->state);
	if (was == SB_STOPPING || (sb_stop && *sb_stop))
		st = SB_STOPPING;
	if ((was == SB_IDLE) != (st == SB_IDLE))
		sb_idle_mark((size_t)(sb_self - sb->slots), st == SB_IDLE);
	SB_STORE(&sb_self->state, (int32_t)st);
	SB_STORE(&sb_self->changed, sb_now());
}

/* Begin changing the slot's strings (seqlock write side). */
static void
sb_write_begin(void)
{
	__atomic_add_fetch(&sb_self->seq, 1, __ATOMIC_ACQ_REL);
}

static void
sb_write_end(void)
{
	__atomic_add_fetch(&sb_self->seq, 1, __ATOMIC_RELEASE);
}

void
scoreboard_accepted(void)
{
	if (sb_self != NULL)
		SB_ADD(&sb->c.accepted, 1);
}

void
scoreboard_request_begin(const char *client, const char *method, size_t mlen,
    const char *target, size_t tlen)
{
	char line[SB_REQUEST_MAX];
	size_t n;

	if (sb_self == NULL)
		return;
	SB_ADD(&sb->c.requests, 1);
	n = SB_ADD(&sb_self->requests, 1) + 1;
	if (sb_max_requests > 0 && n >= sb_max_requests && sb_stop != NULL)
		*sb_stop = 1; /* the last one: answer with Connection: close */
	if (mlen > 16)
		mlen = 16;
	memcpy(line, method, mlen);
	line[mlen] = ' ';
	if (tlen > sizeof(line) - mlen - 2)
		tlen = sizeof(line) - mlen - 2;
	memcpy(line + mlen + 1, target, tlen);
	sb_write_begin();
	strncpy(sb_self->client, client, sizeof(sb_self->client) - 1);
	sb_self->client[sizeof(sb_self->client) - 1] = '\0';
	log_escape(
	    sb_self->request, sizeof(sb_self->request), line, mlen + 1 + tlen);
	sb_write_end();
	scoreboard_set_state(SB_PROXYING);
}

void
scoreboard_response(int status)
{
	if (sb_self == NULL)
		return;
	if (status >= 100 && status < 600)
		SB_ADD(&sb->c.status[status / 100 - 1], 1);
	scoreboard_set_state(SB_WRITING);
}

/* FNV-1a hash of a string. */
static uint64_t
sb_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/*
 * The entry of upstream url: found by hash and linear probing, claimed
 * with a compare-and-swap when a free entry comes first; the "other"
 * entry when the table is full.
 */
static struct sb_uentry *
sb_upstream_entry(const char *url)
{
	struct sb_uentry *e;
	uint64_t h = sb_hash(url);
	size_t n = strlen(url), k;
	uint32_t used;
	int spin;

	if (n > SB_UPSTREAM_URL - 1)
		n = SB_UPSTREAM_URL - 1;
	for (k = 0; k < SB_UPSTREAMS; k++) {
		e = &sb->up[(h + k) % SB_UPSTREAMS];
		used = __atomic_load_n(&e->used, __ATOMIC_ACQUIRE);
		if (used == SB_UP_FREE &&
		    __atomic_compare_exchange_n(&e->used, &used, SB_UP_CLAIMING,
		        0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			e->hash = h;
			memcpy(e->url, url, n);
			e->url[n] = '\0';
			__atomic_store_n(
			    &e->used, SB_UP_READY, __ATOMIC_RELEASE);
			return e;
		}
		/* Another worker is copying its URL in: a few instructions. */
		for (spin = 0; used == SB_UP_CLAIMING && spin < SB_CLAIM_SPIN;
		     spin++)
			used = __atomic_load_n(&e->used, __ATOMIC_ACQUIRE);
		if (used != SB_UP_READY)
			break; /* a claimer died in the middle: give up */
		if (e->hash == h && strncmp(e->url, url, n) == 0 &&
		    e->url[n] == '\0')
			return e;
	}
	return &sb->up[SB_UPSTREAMS];
}

/* Count one observation of usec microseconds in histogram h. */
static void
sb_observe(struct sb_hist *h, int64_t usec)
{
	size_t i;

	if (usec < 0)
		usec = 0;
	for (i = 0; i < SB_BUCKETS - 1 && usec > sb_bounds[i]; i++)
		;
	SB_ADD(&h->bucket[i], 1);
	SB_ADD(&h->sum_us, (uint64_t)usec);
}

void
scoreboard_upstream_error(const char *url)
{
	if (sb_self == NULL)
		return;
	SB_ADD(&sb->c.upstream_errors, 1);
	SB_ADD(&sb_upstream_entry(url)->errors, 1);
}

int64_t
scoreboard_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
scoreboard_upstream_response(const char *url, int status, int64_t usec)
{
	struct sb_uentry *e;

	if (sb_up_window_n == 0 || usec < sb_up_window_min)
		sb_up_window_min = usec;
	if (++sb_up_window_n == SB_RECENT_WINDOW && sb != NULL) {
		SB_STORE(&sb->recent_us, sb_up_window_min);
		sb_up_window_n = 0;
	}
	if (sb_self == NULL)
		return;
	e = sb_upstream_entry(url);
	if (status >= 100 && status < 600)
		SB_ADD(&e->status[status / 100 - 1], 1);
	sb_observe(&e->latency, usec);
	sb_observe(&sb->latency, usec);
}

int64_t
scoreboard_upstream_recent_us(void)
{
	return sb != NULL ? SB_LOAD(&sb->recent_us) : 0;
}

void
scoreboard_conn_end(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	uint64_t in = 0, out = 0;
	int queued = 0;

	if (sb_self == NULL)
		return;
	scoreboard_set_state(SB_CLOSING);
	/* The kernel counts the bytes; what is not acked yet is queued. */
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
	    len >= offsetof(struct tcp_info, tcpi_bytes_received) +
	            sizeof(ti.tcpi_bytes_received)) {
		in = ti.tcpi_bytes_received;
		out = ti.tcpi_bytes_acked;
		if (ioctl(fd, SIOCOUTQ, &queued) == 0 && queued > 0)
			out += (uint64_t)queued;
	}
	SB_ADD(&sb_self->bytes_in, in);
	SB_ADD(&sb_self->bytes_out, out);
	SB_ADD(&sb->c.bytes_in, in);
	SB_ADD(&sb->c.bytes_out, out);
}

int
scoreboard_recycled(void)
{
	return sb_self != NULL && sb_max_requests > 0 &&
	    SB_LOAD(&sb_self->requests) >= sb_max_requests;
}

size_t
scoreboard_nslots(void)
{
	return sb != NULL ? sb->nslots : 0;
}

int
scoreboard_read_slot(size_t i, struct sb_worker *w)
{
	const struct sb_worker *s;
	uint32_t s1, s2;
	int tries;

	if (sb == NULL || i >= sb->nslots)
		return -1;
	s = &sb->slots[i];
	for (tries = 0; tries < SB_READ_TRIES; tries++) {
		s1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		memcpy(w, s, sizeof(*w));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
		if (s1 == s2)
			break;
	}
	/* A writer that kept changing: its strings may be cut, never unterminated. */
	w->client[sizeof(w->client) - 1] = '\0';
	w->request[sizeof(w->request) - 1] = '\0';
	return w->state == SB_FREE ? -1 : 0;
}

void
scoreboard_read_counters(struct sb_counters *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	if (sb == NULL)
		return;
	c->accepted = SB_LOAD(&sb->c.accepted);
	c->requests = SB_LOAD(&sb->c.requests);
	for (i = 0; i < 5; i++)
		c->status[i] = SB_LOAD(&sb->c.status[i]);
	c->upstream_errors = SB_LOAD(&sb->c.upstream_errors);
	c->handoffs = SB_LOAD(&sb->c.handoffs);
	c->waiting = (uint64_t)scoreboard_handoff_queued();
	c->bytes_in = SB_LOAD(&sb->c.bytes_in);
	c->bytes_out = SB_LOAD(&sb->c.bytes_out);
	c->reloads = SB_LOAD(&sb->c.reloads);
	c->generation = SB_LOAD(&sb->c.generation);
	c->started = sb->c.started;
}

/* Copy histogram h, making its buckets cumulative. */
static void
sb_read_hist(const struct sb_hist *h, struct sb_histogram *out)
{
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < SB_BUCKETS; i++) {
		total += SB_LOAD(&h->bucket[i]);
		out->bucket[i] = total;
	}
	out->sum_us = SB_LOAD(&h->sum_us);
}

void
scoreboard_read_latency(struct sb_histogram *h)
{
	memset(h, 0, sizeof(*h));
	if (sb != NULL)
		sb_read_hist(&sb->latency, h);
}

int
scoreboard_read_upstream(size_t i, struct sb_upstream *u)
{
	const struct sb_uentry *e;
	size_t k;

	memset(u, 0, sizeof(*u));
	if (sb == NULL || i > SB_UPSTREAMS)
		return -1;
	e = &sb->up[i];
	if (__atomic_load_n(&e->used, __ATOMIC_ACQUIRE) != SB_UP_READY)
		return -1;
	memcpy(u->url, e->url, sizeof(u->url));
	u->url[sizeof(u->url) - 1] = '\0';
	for (k = 0; k < 5; k++)
		u->status[k] = SB_LOAD(&e->status[k]);
	u->errors = SB_LOAD(&e->errors);
	sb_read_hist(&e->latency, &u->latency);
	/* "other" shows only once something was counted in it. */
	if (i == SB_UPSTREAMS && u->errors == 0 &&
	    u->latency.bucket[SB_BUCKETS - 1] == 0)
		return -1;
	return 0;
}

int64_t
scoreboard_bucket_us(size_t i)
{
	return i < SB_BUCKETS - 1 ? sb_bounds[i] : -1;
}

const char *
scoreboard_state_name(int state)
{
	if (state < 0 || state >= SB_NSTATES)
		return "unknown";
	return sb_state_names[state];
}
