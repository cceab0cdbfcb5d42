/* Scoreboard: worker states and server-wide counters in shared memory. */
#ifndef AILERON_SCOREBOARD_H
#define AILERON_SCOREBOARD_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The master maps the scoreboard once, before the first fork, with room
 * for twice the hard cap of workers (a generation being replaced finishes
 * its requests beside the new one); it survives reloads.  Every worker
 * owns one slot and is its only writer; the server-wide counters are
 * updated with atomic adds by all workers.  Anyone who inherited the
 * mapping may read it at any time with the read API below.
 */

/* What a worker is doing. */
enum sb_state {
	SB_FREE = 0, /* slot unused */
	SB_STARTING, /* forked, not yet in its accept loop */
	SB_IDLE,     /* polling listeners and parked connections */
	SB_READING,  /* reading a request head or body */
	SB_PROXYING, /* forwarding a request, waiting for the upstream */
	SB_WRITING,  /* relaying a response to the client */
	SB_CLOSING,  /* closing a client connection */
	SB_STOPPING, /* told to stop, or recycled: finishing, then exits */
	SB_NSTATES
};

#define SB_CLIENT_MAX  48  /* client address, NUL-terminated */
#define SB_REQUEST_MAX 160 /* "METHOD target", JSON-escaped, NUL-terminated */

/* One worker's slot, as a reader gets it. */
struct sb_worker {
	uint32_t seq; /* internal: odd while client/request change */
	int32_t pid;
	uint32_t generation;
	int32_t state;              /* enum sb_state */
	uint64_t requests;          /* requests this worker began */
	uint64_t bytes_in;          /* bytes from clients, counted at close */
	uint64_t bytes_out;         /* bytes to clients, counted at close */
	int64_t started;            /* fork time, ms since the epoch */
	int64_t changed;            /* last state change, ms since the epoch */
	char client[SB_CLIENT_MAX]; /* client of the current or last request */
	char request[SB_REQUEST_MAX]; /* current or last request */
};

/* Server-wide counters, summed over all workers since the master started. */
struct sb_counters {
	uint64_t accepted;        /* client connections */
	uint64_t requests;        /* requests read */
	uint64_t status[5];       /* responses by class: [0] 1xx .. [4] 5xx */
	uint64_t upstream_errors; /* connect failures and invalid responses */
	uint64_t handoffs; /* requests a busy worker passed to an idle one */
	uint64_t waiting;  /* of those, not taken yet (a gauge) */
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t reloads;    /* successful reloads */
	uint64_t generation; /* current configuration generation */
	int64_t started;     /* master start, ms since the epoch */
};

/*
 * Per-upstream counters live in a table of SB_UPSTREAMS entries keyed by
 * the upstream's URL, claimed on first use and kept for the master's
 * life: across reloads the same URL keeps its entry.  URLs longer than
 * SB_UPSTREAM_URL - 1 bytes are told apart by a hash of the whole URL
 * and shown cut.  Once the table is full, further upstreams are counted
 * together in one more entry whose url is "other".
 */
#define SB_UPSTREAMS    256
#define SB_UPSTREAM_URL 128
/*
 * Latency histogram: time from just before asking for an upstream
 * connection to the upstream's response head.  Bucket i counts the
 * observations up to scoreboard_bucket_us(i) microseconds; the last one
 * is +Inf.
 */
#define SB_BUCKETS 12

/* A latency histogram, as a reader gets it (cumulative buckets). */
struct sb_histogram {
	uint64_t bucket[SB_BUCKETS]; /* observations <= bound; last: count */
	uint64_t sum_us;             /* sum of the observations */
};

/* One upstream's counters, as a reader gets it. */
struct sb_upstream {
	char url[SB_UPSTREAM_URL]; /* NUL-terminated, maybe cut */
	uint64_t status[5];        /* responses by class: [0] 1xx .. [4] 5xx */
	uint64_t errors;           /* connect failures, timeouts, bad heads */
	struct sb_histogram latency;
};

/*
 * Master side.
 */

/* Map a scoreboard of nslots slots; once, before any fork.  -1 on error. */
int scoreboard_init(size_t nslots);
/* Take a free slot for a worker of generation gen; -1 when full. */
int scoreboard_claim(unsigned gen);
/* Record the pid of the worker forked for slot i. */
void scoreboard_set_pid(int i, pid_t pid);
/* Free slot i once its worker was reaped. */
void scoreboard_release(int i);
/*
 * Count a successful reload to generation gen; call it before the old
 * workers are told to stop, so that they know they are old.
 */
void scoreboard_reloaded(unsigned gen);
/* The server stops: no generation accepts connections any more. */
void scoreboard_stopping(void);
/*
 * Connections handed off by busy workers and not yet taken by idle ones:
 * requests waiting for a worker, the master's signal to grow the pool.
 */
int scoreboard_handoff_queued(void);
/* The master looked at the pool: a worker may wake it again. */
void scoreboard_wake_done(void);
/* State of slot i, read by the master's pool maintenance. */
int scoreboard_state(int i);
/* Mark slot i as stopping (the master told its worker to stop). */
void scoreboard_mark_stopping(int i);
/* The master: the pool cannot grow now (at maxWorkers, or a fixed pool). */
void scoreboard_set_full(int full);

/*
 * Worker side: a worker attaches to its slot, then reports what it does.
 * These are cheap (no system call but in scoreboard_conn_end) and do
 * nothing when the worker has no slot.
 */

/*
 * Attach the calling worker to slot i.  After max_requests requests (0:
 * unlimited) *stop is set, so that the worker finishes the current
 * response with "Connection: close" and exits to be replaced.
 */
void scoreboard_attach(
    int i, uint64_t max_requests, volatile sig_atomic_t *stop);
void scoreboard_set_state(enum sb_state st);
/* A client connection was accepted. */
void scoreboard_accepted(void);
/* A request head was read from client (an address): method and target. */
void scoreboard_request_begin(const char *client, const char *method,
    size_t mlen, const char *target, size_t tlen);
/* The response to the current request has status; its body follows. */
void scoreboard_response(int status);
/* Talking to upstream url failed (connect, timeout, invalid response). */
void scoreboard_upstream_error(const char *url);
/* Monotonic clock in microseconds, to measure upstream latency. */
int64_t scoreboard_clock(void);
/*
 * Upstream url sent a response head with status, usec microseconds after
 * the forwarding attempt began.
 */
void scoreboard_upstream_response(const char *url, int status, int64_t usec);
/*
 * Recent upstream latency in microseconds: the fastest of the last
 * window of 8 responses that some worker completed (shared, so a new
 * worker knows it at once).  The minimum, so that a fast upstream on a
 * busy machine (slow answers while the CPUs are short) still looks
 * fast, while a slow one never looks fast.
 */
int64_t scoreboard_upstream_recent_us(void);
/*
 * The client connection fd is about to be closed for good (not handed to
 * another worker): count the bytes the kernel moved on it.
 */
void scoreboard_conn_end(int fd);
/* A connection went to the handoff queue; returns the queue's length. */
int scoreboard_handoff_sent(void);
/* A connection was taken from the handoff queue. */
void scoreboard_handoff_taken(void);
/*
 * True when the caller should wake the master (nobody did since it last
 * looked at the pool); at most one worker gets true until then.
 */
int scoreboard_wake_claim(void);
/* True when the worker served its maxRequestsPerWorker requests. */
int scoreboard_recycled(void);
/* Does some generation serve (the server is not stopping)? */
int scoreboard_serving(void);
/*
 * Could another worker take a connection now: one is idle, or the pool
 * can still grow?  (A word per 64 slots is read, nothing written.)
 */
int scoreboard_idle_elsewhere(void);

/*
 * Read API (metrics, status page).  Readers never block writers: a slot
 * copy is consistent, counters are read one by one with atomic loads.
 * Any process that inherited the mapping can read it, for example a
 * worker answering a status request:
 *
 *	struct sb_counters c;
 *	struct sb_worker w;
 *	size_t i;
 *
 *	scoreboard_read_counters(&c);
 *	for (i = 0; i < scoreboard_nslots(); i++)
 *		if (scoreboard_read_slot(i, &w) == 0)
 *			printf("%d %s %s\n", (int)w.pid,
 *			    scoreboard_state_name(w.state), w.request);
 *
 * Slots of workers that exited are free (-1); a worker's counters end
 * with it, the server-wide counters keep growing for the master's life.
 */

/* Number of slots; 0 before scoreboard_init. */
size_t scoreboard_nslots(void);
/* Copy slot i into *w; returns 0, or -1 if the slot is free (or i bad). */
int scoreboard_read_slot(size_t i, struct sb_worker *w);
/* Copy the server-wide counters into *c. */
void scoreboard_read_counters(struct sb_counters *c);
/* Copy the server-wide upstream latency histogram into *h. */
void scoreboard_read_latency(struct sb_histogram *h);
/*
 * Copy upstream entry i (0 <= i <= SB_UPSTREAMS, the last being "other")
 * into *u; -1 if it is unused (or i bad).
 */
int scoreboard_read_upstream(size_t i, struct sb_upstream *u);
/* Upper bound of histogram bucket i in microseconds; -1 for +Inf. */
int64_t scoreboard_bucket_us(size_t i);
/* Lower-case name of a state ("idle", "reading", ...). */
const char *scoreboard_state_name(int state);

#endif
