/* app/v1 RedisClient: a Redis connection per worker (hiredis), opened when first used. */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "arena.h"
#include "balance.h"
#include "resolve.h"
#include "conf_table.h"
#include "conn.h"
#include "kind.h"
#include "log.h"
#include "redis_client.h"

/*
 * Config part.
 */

struct redis_client {
	char *id;
	char **addrs;
	size_t naddrs;
	char *name;
	int32_t db;
	char *username, *password;
	int32_t max_retries, min_retry_backoff, max_retry_backoff;
	int32_t dial_timeout, read_timeout, write_timeout;
	int context_timeout, pool_fifo;
	int32_t pool_size, pool_timeout, min_idle, max_idle;
	int32_t conn_max_idle, conn_max_life, max_redirects;
	int read_only, route_latency, route_random;
	int64_t timeout, expiration;
	/* built by the check */
	char host[256];
	int port;
	char addr[300];
	/* built in the master at each load (none: the name did not resolve) */
	struct resolved ra;
	/* runtime: this process's connection (never the master's) */
	redisContext *ctx;
	pid_t pid;
	pid_t seeded; /* the process that seeded health's jitter */
	time_t opened, used;
	struct redis_health health;
	struct redis_errors errors;
	char why[320]; /* why the last command failed, for the outage lines */
};

#define MS_MAX 86400000 /* a day, in ms */

/* The addresses: one server (cluster and sentinel are refused). */
static void
redis_client_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct redis_client *c = obj;
	const char *why;

	if (c->naddrs > 1) {
		conf_errorn(ld, conf_field_node(ld, node, "addrs"),
		    "field \"addrs\": aileron talks to one Redis server, not a "
		    "cluster: give one address");
		return;
	}
	if (c->naddrs == 0)
		return; /* the default fills it */
	why = redis_client_split_addr(
	    c->addrs[0], c->host, sizeof(c->host), &c->port);
	if (why != NULL) {
		conf_errorn(ld, conf_field_node(ld, node, "addrs"),
		    "field \"addrs\": %s", why);
		return;
	}
	(void)snprintf(c->addr, sizeof(c->addr), "%s", c->addrs[0]);
}

static const struct conf_field redis_client_conf_fields[] = {
	FSTRSD(
	    "addrs", struct redis_client, addrs, naddrs, 0, "localhost:6379"),
	FSTR("name", struct redis_client, name),
	FINT("db", struct redis_client, db, 0, 65535),
	FSTR("username", struct redis_client, username),
	FSTR("password", struct redis_client, password),
	FUNSUP("sentinelUsername", "Redis Sentinel is not supported"),
	FUNSUP("sentinelPassword", "Redis Sentinel is not supported"),
	FINTD("maxRetries", struct redis_client, max_retries, 0, 10, "2"),
	FINT("minRetryBackoff", struct redis_client, min_retry_backoff, 0,
	    MS_MAX),
	FINTD("maxRetryBackoff", struct redis_client, max_retry_backoff, 0,
	    MS_MAX, "3"),
	FINTD("dialTimeout", struct redis_client, dial_timeout, 0, MS_MAX,
	    "5000"),
	FINTD("readTimeout", struct redis_client, read_timeout, 0, MS_MAX,
	    "5000"),
	FINTD("writeTimeout", struct redis_client, write_timeout, 0, MS_MAX,
	    "5000"),
	FBOOL("contextTimeoutEnabled", struct redis_client, context_timeout),
	FBOOL("poolFIFO", struct redis_client, pool_fifo),
	FINTD("poolSize", struct redis_client, pool_size, 0, 1000000, "1000"),
	FINT("poolTimeout", struct redis_client, pool_timeout, 0, MS_MAX),
	FINTD("minIdleConns", struct redis_client, min_idle, 0, 1000000, "10"),
	FINTD("maxIdleConns", struct redis_client, max_idle, 0, 1000000, "100"),
	FINTD("connMaxIdleTime", struct redis_client, conn_max_idle, 0, MS_MAX,
	    "10000"),
	FINTD("connMaxLifetime", struct redis_client, conn_max_life, 0, MS_MAX,
	    "600000"),
	FUNSUP("tlsConfig",
	    "Debian 12's hiredis (0.14) has no TLS: reach Redis over "
	    "loopback or a tunnel (stunnel, spiped)"),
	FINT("maxRedirects", struct redis_client, max_redirects, 0, 1000),
	FBOOL("readOnly", struct redis_client, read_only),
	FBOOL("routeByLatency", struct redis_client, route_latency),
	FBOOL("routeRandomly", struct redis_client, route_random),
	FUNSUP("masterName", "Redis Sentinel is not supported"),
	FINTD("timeout", struct redis_client, timeout, 1, MS_MAX, "10000"),
	FINT("expiration", struct redis_client, expiration, -1,
	    INT64_MAX / 1000000),
	FEND,
};
static const struct conf_table redis_client_conf_table = {
	redis_client_conf_fields, redis_client_conf_check
};

static void redis_client_drop(struct redis_client *c);

/* Close a worker's connection when its config is freed. */
static void
redis_client_conf_forget(void *arg)
{
	redis_client_drop(arg);
}

static const char *redis_client_resolve(
    const struct redis_client *c, struct resolved *r);

/*
 * Have the config's end close a worker's connection; resolve the server's
 * name (in the master, at each load: a reload resolves it again).  A name
 * that does not resolve yet fails nothing (Redis may come later): the
 * workers resolve it when they dial.
 */
static void
redis_client_conf_build(struct loader *ld, struct conf_doc *doc)
{
	struct redis_client *c = doc->obj;
	const char *why;

	conf_at_free(ld, redis_client_conf_forget, c);
	if (!conf_resolve_names)
		return;
	if ((why = redis_client_resolve(c, &c->ra)) != NULL)
		log_warnx("RedisClient %s: cannot resolve %s: %s; the workers "
		          "will resolve it each time they dial",
		    c->addr, c->host, why);
}

const struct kind redis_client_conf_kind = {
	.api_version = "app/v1",
	.kind = "RedisClient",
	.roles = KIND_ROLE_KVS,
	.table = &redis_client_conf_table,
	.size = sizeof(struct redis_client),
	.id_off = offsetof(struct redis_client, id),
	.eh_off = KIND_NO_OFF,
	.build = redis_client_conf_build,
};

/*
 * Runtime part.
 */

const char *
redis_client_split_addr(const char *s, char *host, size_t hsize, int *port)
{
	struct conf_hostport hp;
	const char *why;
	size_t i;
	int p = 0;

	why = conf_split_hostport(s, strlen(s), &hp);
	if (why != NULL)
		return why;
	if (hp.hlen == 0)
		return "the address has no host";
	if (hp.hlen >= hsize)
		return "the host name is too long";
	if (hp.port == NULL) {
		*port = 6379;
	} else {
		if (hp.plen == 0 || hp.plen > 5)
			return "the port is not a number from 1 to 65535";
		for (i = 0; i < hp.plen; i++) {
			if (hp.port[i] < '0' || hp.port[i] > '9')
				return "the port is not a number from 1 to "
				       "65535";
			p = p * 10 + (hp.port[i] - '0');
		}
		if (p < 1 || p > 65535)
			return "the port is not a number from 1 to 65535";
		*port = p;
	}
	memcpy(host, hp.host, hp.hlen);
	host[hp.hlen] = '\0';
	return NULL;
}

/* c's host and port into *r (resolve_host): NULL, or why not. */
static const char *
redis_client_resolve(const struct redis_client *c, struct resolved *r)
{
	char port[8];

	(void)snprintf(port, sizeof(port), "%d", c->port);
	return resolve_host(c->host, port, r);
}

int
redis_client_reply(
    const struct redisReply *rep, int want, char *err, size_t errsize)
{
	if (rep->type == REDIS_REPLY_ERROR) {
		(void)snprintf(err, errsize, "%.*s",
		    rep->len > 200 ? 200 : (int)rep->len, rep->str);
		return -1;
	}
	if (want == REDIS_REPLY_STRING && rep->type == REDIS_REPLY_STRING)
		return 1;
	if (want == REDIS_REPLY_STRING && rep->type == REDIS_REPLY_NIL)
		return 0;
	if (want == REDIS_REPLY_STATUS && rep->type == REDIS_REPLY_STATUS &&
	    rep->len == 2 && memcmp(rep->str, "OK", 2) == 0)
		return 0;
	if (want == REDIS_REPLY_INTEGER && rep->type == REDIS_REPLY_INTEGER)
		return 0;
	(void)snprintf(err, errsize, "unexpected reply (type %d)", rep->type);
	return -1;
}

int
redis_client_set_args(const void *key, size_t klen, const void *val, size_t n,
    int64_t exp, char *num, const char **argv, size_t *argl)
{
	int argc = 3;

	argv[0] = "SET", argl[0] = 3;
	argv[1] = key, argl[1] = klen;
	argv[2] = val, argl[2] = n;
	if (exp > 0) {
		argv[3] = "PX", argl[3] = 2;
		argl[4] = (size_t)snprintf(num, 24, "%lld", (long long)exp);
		argv[4] = num;
		argc = 5;
	} else if (exp < 0) {
		argv[3] = "KEEPTTL", argl[3] = 7;
		argc = 4;
	}
	return argc;
}

/* The last error, for *err. */
static char redis_client_err[704];

/* "addr: what" for *err; what is kept for the outage lines. */
static const char *
redis_client_error(struct redis_client *c, const char *what)
{
	(void)snprintf(c->why, sizeof(c->why), "%s", what);
	(void)snprintf(redis_client_err, sizeof(redis_client_err), "%s: %s",
	    c->addr, c->why);
	return redis_client_err;
}

int64_t
redis_health_wait(const struct redis_health *h, int64_t now)
{
	return h->down && now < h->retry_at ? h->retry_at - now : 0;
}

/* One more failed command; a reminder is due every REDIS_LOG_EVERY ms. */
static enum redis_health_log
redis_health_count(struct redis_health *h, int64_t now)
{
	h->failed++;
	h->total++;
	if (now - h->logged < REDIS_LOG_EVERY)
		return REDIS_LOG_NONE;
	h->logged = now;
	return REDIS_LOG_STILL;
}

void
redis_health_seed(struct redis_health *h, uint64_t seed)
{
	h->rng = seed;
}

/* A wait from [b - b / 2, b] (SplitMix64: cheap, and the state is ours). */
static int64_t
redis_health_jitter(struct redis_health *h, int64_t b)
{
	uint64_t r = balance_mix(h->rng += 0x9e3779b97f4a7c15ULL);

	return b - (int64_t)(r % (uint64_t)(b / 2 + 1));
}

enum redis_health_log
redis_health_dial_failed(struct redis_health *h, int64_t now)
{
	if (h->backoff < REDIS_BACKOFF_MIN)
		h->backoff = REDIS_BACKOFF_MIN;
	h->retry_at = now + redis_health_jitter(h, h->backoff);
	h->backoff = h->backoff > REDIS_BACKOFF_MAX / 2 ? REDIS_BACKOFF_MAX
	                                                : h->backoff * 2;
	if (h->down)
		return redis_health_count(h, now);
	h->down = 1;
	h->since = h->logged = now;
	h->failed = 0; /* the one the first line tells */
	h->total = 1;
	return REDIS_LOG_DOWN;
}

enum redis_health_log
redis_health_refused(struct redis_health *h, int64_t now)
{
	return redis_health_count(h, now);
}

enum redis_health_log
redis_health_ok(struct redis_health *h)
{
	h->backoff = REDIS_BACKOFF_MIN;
	if (!h->down)
		return REDIS_LOG_NONE;
	h->down = 0;
	return REDIS_LOG_BACK;
}

int
redis_errors_count(struct redis_errors *e, int64_t now)
{
	e->count++;
	if (e->seen && now - e->logged < REDIS_LOG_EVERY)
		return 0;
	e->seen = 1;
	e->logged = now;
	return 1;
}

/* Log what the health change asks for (never the password: c->why never holds it). */
static void
redis_client_tell(
    struct redis_client *c, enum redis_health_log what, int64_t now)
{
	struct redis_health *h = &c->health;
	int64_t d = now - h->since;

	switch (what) {
	case REDIS_LOG_NONE:
		break;
	case REDIS_LOG_DOWN:
		log_error("RedisClient %s: %s; down: this worker dials again "
		          "in %lld ms (backing off up to %d ms), commands fail "
		          "at once until then",
		    c->addr, c->why, (long long)(h->retry_at - now),
		    REDIS_BACKOFF_MAX);
		break;
	case REDIS_LOG_STILL:
		log_error("RedisClient %s: %s; still down after %lld s: %lu "
		          "commands failed in this worker since the last line",
		    c->addr, c->why, (long long)(d / 1000), h->failed);
		h->failed = 0;
		break;
	case REDIS_LOG_BACK:
		log_warnx("RedisClient %s: back after %lld.%03lld s down "
		          "(%lu commands failed in this worker)",
		    c->addr, (long long)(d / 1000), (long long)(d % 1000),
		    h->total);
		break;
	}
}

/*
 * The server answered an error reply (c->why): a line at once, then at
 * most one every REDIS_LOG_EVERY ms (the count since the last one).
 */
static void
redis_client_tell_reply(struct redis_client *c)
{
	struct redis_errors *e = &c->errors;

	if (!redis_errors_count(e, conn_now_ms()))
		return;
	if (e->count == 1)
		log_error("RedisClient %s: %s; this worker logs the error "
		          "replies at most every %d s",
		    c->addr, c->why, REDIS_LOG_EVERY / 1000);
	else
		log_error("RedisClient %s: %s; %lu error replies in this "
		          "worker since the last line",
		    c->addr, c->why, e->count);
	e->count = 0;
}

/*
 * The server failed a dial or a command: down, no dial for a backoff.
 * The jitter is seeded in each worker (they are forked from one master).
 */
static void
redis_client_went_down(struct redis_client *c)
{
	int64_t now = conn_now_ms();

	if (c->seeded != getpid()) {
		c->seeded = getpid();
		redis_health_seed(&c->health,
		    (uint64_t)c->seeded << 32 ^ (uint64_t)time(NULL) ^
		        (uint64_t)now);
	}
	redis_client_tell(c, redis_health_dial_failed(&c->health, now), now);
}

/* Close this process's connection (one inherited is only forgotten). */
static void
redis_client_drop(struct redis_client *c)
{
	if (c->ctx == NULL)
		return;
	if (c->pid == getpid())
		redisFree(c->ctx);
	c->ctx = NULL;
}

/* A timeout in ms: ms, or cap when ms is 0 or above it. */
static int64_t
redis_client_ms(int64_t ms, int64_t cap)
{
	return ms <= 0 || ms > cap ? cap : ms;
}

/*
 * Send a command and read its reply, waiting in conn_wait() (the worker's
 * watch runs meanwhile): the sending is bounded by the write timeout, the
 * reply by the read timeout.  The reply (to free), or NULL with *err set
 * (*timedout when a wait timed out).
 */
static redisReply *
redis_client_exec(struct redis_client *c, int argc, const char **argv,
    const size_t *argl, const char **err, int *timedout)
{
	redisContext *ctx = c->ctx;
	void *rep = NULL;
	int64_t deadline;
	int done = 0, w = -1;

	*timedout = 0;
	if (redisAppendCommandArgv(ctx, argc, argv, argl) != REDIS_OK)
		goto fail;
	deadline = conn_deadline(redis_client_ms(c->write_timeout, c->timeout));
	for (;;) {
		if (redisBufferWrite(ctx, &done) != REDIS_OK)
			goto fail;
		if (done)
			break;
		if ((w = conn_wait(ctx->fd, POLLOUT, deadline, -1)) <= 0)
			goto waitfail;
	}
	deadline = conn_deadline(redis_client_ms(c->read_timeout, c->timeout));
	do {
		if ((w = conn_wait(ctx->fd, POLLIN, deadline, -1)) <= 0)
			goto waitfail;
		if (redisBufferRead(ctx) != REDIS_OK ||
		    redisGetReplyFromReader(ctx, &rep) != REDIS_OK)
			goto fail;
	} while (rep == NULL);
	return rep;
waitfail:
	*timedout = w == 0;
	*err = redis_client_error(c, w == 0 ? "timed out" : strerror(errno));
	return NULL;
fail:
	*err = redis_client_error(c, ctx->errstr);
	return NULL;
}

/* Send a command the connection needs (AUTH, SELECT); 0, or -1 with *err. */
static int
redis_client_setup(struct redis_client *c, int argc, const char **argv,
    const size_t *argl, const char **err)
{
	redisReply *rep;
	char msg[220];
	int rc, timedout;

	if ((rep = redis_client_exec(c, argc, argv, argl, err, &timedout)) ==
	    NULL)
		return -1;
	rc = redis_client_reply(rep, REDIS_REPLY_STATUS, msg, sizeof(msg));
	freeReplyObject(rep);
	if (rc < 0) {
		char what[300];

		(void)snprintf(what, sizeof(what), "%s: %s", argv[0], msg);
		*err = redis_client_error(c, what);
	}
	return rc;
}

/*
 * Dial the server's addresses in turn until one answers, each connect
 * (a socket of ours, non-blocking) waited for in conn_wait() until its
 * share of the dial timeout, then hand the socket to hiredis: 0, or -1
 * with *err (each address's failure when there are several).
 */
static int
redis_client_dial(struct redis_client *c, const char **err)
{
	int64_t deadline =
	    conn_deadline(redis_client_ms(c->dial_timeout, c->timeout));
	const struct resolved *ra = &c->ra;
	struct resolved resolved;
	const char *what;
	char why[sizeof(c->why)];
	int fd;

	if (ra->n == 0) { /* the master could not resolve the name */
		if ((what = redis_client_resolve(c, &resolved)) != NULL) {
			(void)snprintf(why, sizeof(why),
			    "cannot resolve %s: %s", c->host, what);
			*err = redis_client_error(c, why);
			return -1;
		}
		ra = &resolved;
	}
	if ((fd = resolve_dial(ra, deadline, why, sizeof(why))) < 0) {
		*err = redis_client_error(c, ra->n > 1 ? why : strerror(errno));
		return -1;
	}
	if ((c->ctx = redisConnectFd(fd)) == NULL) {
		close(fd);
		*err = redis_client_error(c, "out of memory");
		return -1;
	}
	c->pid = getpid();
	/* Our socket does not block: hiredis must take EAGAIN as "later". */
	c->ctx->flags &= ~REDIS_BLOCK;
	return 0;
}

/* Dial the server, log in, select the database: 0, or -1 with *err. */
static int
redis_client_open(struct redis_client *c, const char **err)
{
	const char *argv[3];
	size_t argl[3];
	char db[16];
	int argc = 0;

	if (redis_client_dial(c, err) < 0)
		goto fail;
	if (c->password != NULL && *c->password != '\0') {
		argv[argc] = "AUTH", argl[argc++] = 4;
		if (c->username != NULL && *c->username != '\0')
			argv[argc] = c->username,
			argl[argc++] = strlen(c->username);
		argv[argc] = c->password, argl[argc++] = strlen(c->password);
		if (redis_client_setup(c, argc, argv, argl, err) < 0)
			goto fail;
	}
	if (c->db != 0) {
		argv[0] = "SELECT", argl[0] = 6;
		argl[1] = (size_t)snprintf(db, sizeof(db), "%d", (int)c->db);
		argv[1] = db;
		if (redis_client_setup(c, 2, argv, argl, err) < 0)
			goto fail;
	}
	c->opened = c->used = time(NULL);
	return 0;
fail:
	redis_client_drop(c);
	return -1;
}

/*
 * Without a connection during the backoff: fail at once (*down set,
 * *err saying why), no dial; 0 when a dial is allowed.
 */
static int
redis_client_refuse(struct redis_client *c, const char **err, int *down)
{
	int64_t now = conn_now_ms();
	int64_t wait = redis_health_wait(&c->health, now);

	if (wait == 0)
		return 0;
	(void)snprintf(redis_client_err, sizeof(redis_client_err),
	    "%s: %s (down; next dial in %lld ms)", c->addr, c->why,
	    (long long)wait);
	*err = redis_client_err;
	*down = 1;
	redis_client_tell(c, redis_health_refused(&c->health, now), now);
	return -1;
}

/*
 * Run a command: its reply (to free), or NULL with *err set (and *down
 * when the server is held down: the failure is logged here).  A command
 * that fails on a connection that was open is sent again on a new one,
 * unless it timed out.  A failed dial, a timeout, or a fresh connection
 * that breaks holds the server down for a backoff.
 */
static redisReply *
redis_client_run(struct redis_client *c, int argc, const char **argv,
    const size_t *argl, const char **err, int *down)
{
	redisReply *rep;
	time_t now = time(NULL);
	int attempt, fresh, timedout;

	if (c->ctx != NULL &&
	    (c->pid != getpid() ||
	        (c->conn_max_life > 0 &&
	            (now - c->opened) * 1000 >= c->conn_max_life) ||
	        (c->conn_max_idle > 0 &&
	            (now - c->used) * 1000 >= c->conn_max_idle)))
		redis_client_drop(c);
	*down = 0;
	for (attempt = 0;; attempt++) {
		fresh = c->ctx == NULL;
		if (fresh && redis_client_refuse(c, err, down) < 0)
			return NULL;
		if (fresh && redis_client_open(c, err) < 0)
			break;
		rep = redis_client_exec(c, argc, argv, argl, err, &timedout);
		if (rep != NULL) {
			c->used = time(NULL);
			if (c->health.down) /* no clock read when all is well */
				redis_client_tell(c,
				    redis_health_ok(&c->health), conn_now_ms());
			return rep;
		}
		redis_client_drop(c);
		/* a server that does not answer in time is not asked again */
		if (fresh || timedout)
			break;
		if (attempt >= c->max_retries)
			return NULL;
		log_debug("RedisClient %s: %s; reconnecting", c->addr, *err);
	}
	*down = 1;
	redis_client_went_down(c);
	return NULL;
}

/*
 * Run a command and check its reply against want: as redis_client_reply,
 * but REDIS_CLIENT_REFUSED (logged here) for an error or unexpected reply.
 */
static int
redis_client_do(struct redis_client *c, int argc, const char **argv,
    const size_t *argl, int want, redisReply **out, const char **err)
{
	redisReply *rep;
	char msg[220];
	int rc, down;

	rep = redis_client_run(c, argc, argv, argl, err, &down);
	if (rep == NULL)
		return down ? REDIS_CLIENT_DOWN : -1;
	rc = redis_client_reply(rep, want, msg, sizeof(msg));
	if (rc < 0) {
		*err = redis_client_error(c, msg);
		redis_client_tell_reply(c);
		rc = REDIS_CLIENT_REFUSED;
	}
	if (out != NULL && rc > 0)
		*out = rep;
	else
		freeReplyObject(rep);
	return rc;
}

int
redis_client_get(struct redis_client *c, const void *key, size_t klen,
    size_t max, struct arena *a, unsigned char **val, size_t *n,
    const char **err)
{
	const char *argv[2] = { "GET", key };
	size_t argl[2] = { 3, klen };
	redisReply *rep = NULL;
	int rc;

	rc = redis_client_do(c, 2, argv, argl, REDIS_REPLY_STRING, &rep, err);
	if (rc <= 0)
		return rc;
	if ((size_t)rep->len > max) {
		char what[80];

		(void)snprintf(what, sizeof(what),
		    "a value of %zu bytes, more than %zu", (size_t)rep->len,
		    max);
		freeReplyObject(rep);
		*err = redis_client_error(c, what);
		return -1;
	}
	*val = arena_alloc(a, rep->len + 1);
	memcpy(*val, rep->str, rep->len);
	(*val)[rep->len] = '\0';
	*n = rep->len;
	freeReplyObject(rep);
	return 1;
}

int
redis_client_set(struct redis_client *c, const void *key, size_t klen,
    const void *val, size_t n, const char **err)
{
	const char *argv[5];
	size_t argl[5];
	char num[24];
	int argc;

	argc = redis_client_set_args(
	    key, klen, val, n, c->expiration, num, argv, argl);
	return redis_client_do(
	    c, argc, argv, argl, REDIS_REPLY_STATUS, NULL, err);
}

int
redis_client_touch(
    struct redis_client *c, const void *key, size_t klen, const char **err)
{
	const char *argv[3] = { "PEXPIRE", key, NULL };
	size_t argl[3] = { 7, klen, 0 };
	char num[24];

	if (c->expiration <= 0)
		return 0;
	argl[2] = (size_t)snprintf(
	    num, sizeof(num), "%lld", (long long)c->expiration);
	argv[2] = num;
	return redis_client_do(
	    c, 3, argv, argl, REDIS_REPLY_INTEGER, NULL, err);
}

int
redis_client_del(
    struct redis_client *c, const void *key, size_t klen, const char **err)
{
	const char *argv[2] = { "DEL", key };
	size_t argl[2] = { 3, klen };

	return redis_client_do(
	    c, 2, argv, argl, REDIS_REPLY_INTEGER, NULL, err);
}

const char *
redis_client_addr(const struct redis_client *c)
{
	return c->addr;
}

int
redis_client_expires(const struct redis_client *c)
{
	return c->expiration > 0;
}
