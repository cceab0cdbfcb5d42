/* app/v1 RedisClient: the key-value store other kinds (SessionMiddleware) use. */
#ifndef AILERON_REDIS_CLIENT_H
#define AILERON_REDIS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

/*
 * A RedisClient is one Redis server (addrs[0]) that each worker reaches
 * through its own connection (hiredis, blocking), opened the first time
 * the worker needs it, never in the master.  A command that fails on a
 * connection that was open (the server restarted, the connection idled
 * out) is sent again on a new one, up to maxRetries times; a failed dial
 * or a timeout is not retried.  Sending is bounded by min(writeTimeout, timeout),
 * each read by min(readTimeout, timeout), the dial by
 * min(dialTimeout, timeout).  The error strings are static, valid until
 * the next call.
 */

struct arena;
struct redisReply;
struct redis_client;

/*
 * GET key: 1 with the value (NUL-terminated, in arena a), 0 when the key
 * is absent, -1 with *err set (a value longer than max bytes too).
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

#endif
