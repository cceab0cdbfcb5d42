/* app/v1 RedisClient: the key-value store other kinds (SessionMiddleware) use. */
#ifndef AILERON_REDIS_CLIENT_H
#define AILERON_REDIS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

/*
 * A RedisClient is one Redis server (addrs[0]) that each worker reaches
 * through its own connection (hiredis), opened the first time the worker
 * needs it, never in the master.  The server's name is resolved when the
 * config is loaded (in the master: a reload resolves it again) into
 * RESOLVE_ADDRS_MAX addresses at most, IPv4 and IPv6, that a dial tries
 * in turn, each connect waited for in conn_wait() and given a share of
 * the dial timeout (resolve_dial); the socket is then handed to
 * hiredis.  An address literal needs no lookup; a name that does not
 * resolve at load is warned about once and resolved by the worker at each
 * dial, with a getaddrinfo() that blocks.  A command that fails on a
 * connection that was open (the server restarted, the connection idled
 * out) is sent again, once, on a new one (maxRetries is at least 1: its
 * 0 is the default, 2); a failed dial, a timeout or a failure on the new
 * connection is not retried.  Sending a command is bounded by
 * min(writeTimeout, timeout), reading its reply by min(readTimeout,
 * timeout), the dial by min(dialTimeout, timeout).  Every wait goes
 * through conn_wait(), so the worker's watch hands its parked connections
 * on while Redis is slow.  The error strings are static, valid until the
 * next call.
 *
 * A worker whose dial failed (or whose command timed out, or whose
 * connection broke and could not be dialed again) holds the server down:
 * it does not dial again for a backoff (REDIS_BACKOFF_MIN ms, doubled
 * after each failed dial up to REDIS_BACKOFF_MAX, back to the minimum on
 * success; each wait drawn at random between half the backoff and the
 * whole of it, so that the workers do not dial again in step), and the
 * commands asked meanwhile fail at once with REDIS_CLIENT_DOWN.  The
 * client logs the outage itself: once (ERROR) when the server goes down,
 * at most every REDIS_LOG_EVERY ms while it stays down (with the count of
 * failed commands), once (WARN) when it is back.  An error reply from a
 * server that is up (NOAUTH, OOM, "max number of clients reached") is
 * REDIS_CLIENT_REFUSED, logged by the client too: at once (ERROR), then
 * at most every REDIS_LOG_EVERY ms, with the count.  A caller logs a
 * failure for which REDIS_CLIENT_LOGGED(rc) holds at DEBUG only.
 */

/* Milliseconds: the first backoff, its cap, the interval of the reminders. */
#define REDIS_BACKOFF_MIN 100
#define REDIS_BACKOFF_MAX 2000
#define REDIS_LOG_EVERY   10000
/* What the commands return (besides -1) when the server is down ... */
#define REDIS_CLIENT_DOWN (-2)
/* ... or answered an error reply. */
#define REDIS_CLIENT_REFUSED (-3)
/* Whether the client logged the failure rc itself. */
#define REDIS_CLIENT_LOGGED(rc) \
	((rc) == REDIS_CLIENT_DOWN || (rc) == REDIS_CLIENT_REFUSED)

struct arena;
struct redisReply;
struct redis_client;

/*
 * GET key: 1 with the value (NUL-terminated, in arena a), 0 when the key
 * is absent, -1 with *err set (a value longer than max bytes too), or
 * REDIS_CLIENT_DOWN or REDIS_CLIENT_REFUSED with *err set (already logged
 * by the client); the same for the other commands.
 */
int redis_client_get(struct redis_client *, const void *key, size_t klen,
    size_t max, struct arena *a, unsigned char **val, size_t *n,
    const char **err);
/* SET key with the configured expiration: 0, or -1 with *err set. */
int redis_client_set(struct redis_client *, const void *key, size_t klen,
    const void *val, size_t n, const char **err);
/*
 * Give key its configured expiration again (PEXPIRE; nothing to do
 * without one): 0, or -1 with *err set.
 */
int redis_client_touch(
    struct redis_client *, const void *key, size_t klen, const char **err);
/* DEL key: 0, or -1 with *err set. */
int redis_client_del(
    struct redis_client *, const void *key, size_t klen, const char **err);
/* "host:port", for messages. */
const char *redis_client_addr(const struct redis_client *);
/* Whether an expiration is configured (not 0, not KeepTTL). */
int redis_client_expires(const struct redis_client *);

/*
 * Pure helpers (unit-tested).
 * redis_client_split_addr: "host:port", "[v6]:port" or "host" (port
 * 6379) into host (NUL-terminated, hsize bytes at most) and port; NULL
 * or what is wrong.
 */
const char *redis_client_split_addr(
    const char *s, char *host, size_t hsize, int *port);
/*
 * What a reply means for a command expecting want: a REDIS_REPLY_*
 * type, or REDIS_REPLY_STATUS "OK".  1: a bulk string (GET), 0: nil or
 * the status or integer wanted, -1 with *err set (an error reply, or an
 * unexpected type).
 */
int redis_client_reply(
    const struct redisReply *rep, int want, char *err, size_t errsize);
/*
 * The arguments of SET key val with expiration exp (ms; 0: none; -1:
 * KEEPTTL) into argv/argl (5 entries at least; the number buffer num of
 * 24 bytes): the count.
 */
int redis_client_set_args(const void *key, size_t klen, const void *val,
    size_t n, int64_t exp, char *num, const char **argv, size_t *argl);

/*
 * A worker's view of its server: up, or down since a time with no dial
 * before retry_at.  Times are CLOCK_MONOTONIC milliseconds, passed in.
 */
struct redis_health {
	int down;
	int64_t since;        /* when it went down */
	int64_t retry_at;     /* no dial before */
	int64_t backoff;      /* the wait after the next failed dial */
	int64_t logged;       /* the last ERROR line */
	unsigned long failed; /* commands failed since that line */
	unsigned long total;  /* commands failed since it went down */
	uint64_t rng;         /* the jitter's pseudo-random state */
};
/* What the caller of a redis_health_* function logs. */
enum redis_health_log {
	REDIS_LOG_NONE,
	REDIS_LOG_DOWN, /* ERROR: the server went down */
	REDIS_LOG_STILL, /* ERROR: still down; failed commands since the last line */
	REDIS_LOG_BACK /* WARN: up again; total failed, time down */
};
/* The milliseconds left before a dial is allowed (0: dial). */
int64_t redis_health_wait(const struct redis_health *, int64_t now);
/*
 * Seed the jitter (each worker its own seed, after fork: the workers'
 * waits differ).
 */
void redis_health_seed(struct redis_health *, uint64_t seed);
/*
 * A dial failed (or a command timed out): down, no dial for a wait drawn
 * from [backoff - backoff / 2, backoff]; the backoff doubles to its cap.
 */
enum redis_health_log redis_health_dial_failed(
    struct redis_health *, int64_t now);
/* A command failed without a dial, during the backoff. */
enum redis_health_log redis_health_refused(struct redis_health *, int64_t now);
/* A command was answered: up again. */
enum redis_health_log redis_health_ok(struct redis_health *);

/*
 * A worker's count of its server's error replies, for the lines that
 * tell them: the first at once, then one every REDIS_LOG_EVERY ms at most.
 */
struct redis_errors {
	int seen;            /* a line was logged */
	int64_t logged;      /* when */
	unsigned long count; /* error replies since that line, counted here */
};
/*
 * One more error reply at now: 1 when a line is due (the caller logs
 * count, then sets it to 0), 0 when not.
 */
int redis_errors_count(struct redis_errors *, int64_t now);

#endif
