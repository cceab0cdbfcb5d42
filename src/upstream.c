/* Upstream connections: address cache and the per-worker keep-alive pool. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "pages.h"
#include "resolve.h"
#include "tlsclient.h"
#include "upstream.h"

#define UPSTREAM_POOL_SIZE  64
#define UPSTREAM_ADDR_CACHE 64
/*
 * A name that did not resolve when the config loaded is looked up by the
 * worker when it dials, a lookup that blocks it; after a failed one, the
 * dials of the next UPSTREAM_RESOLVE_RETRY_MS fail at once (502), so that a
 * name server that is down or slow holds a worker once per interval, not
 * on every request.
 */
#define UPSTREAM_RESOLVE_RETRY_MS 5000

struct upstream_idle {
	const struct conf_upstream *up;
	struct io io;
	int64_t since;
	int64_t idle_ms; /* 0: no idle timeout */
};

struct upstream_addr {
	const struct conf_upstream *up;
	struct sockaddr_storage ss;
	socklen_t sslen;  /* 0: the name did not resolve ... */
	int64_t retry_at; /* ... and is not looked up again before then */
};

/* The counts first, then the first entries of each: one page in use. */
struct upstream_pool {
	size_t nidle;
	size_t naddrs;
	struct upstream_idle idle[UPSTREAM_POOL_SIZE];
	struct upstream_addr addrs[UPSTREAM_ADDR_CACHE];
};

struct upstream_pool *
upstream_pool_new(void)
{
	/* A worker's own pages: see pages.h. */
	struct upstream_pool *p = pages_alloc(sizeof(*p));

	if (p == NULL)
		fatal("mmap");
	return p;
}

void
upstream_pool_free(struct upstream_pool *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nidle; i++)
		conn_close(&p->idle[i].io);
	pages_free(p, sizeof(*p));
}

/* A cache slot for up's address (the last one is reused when full). */
static struct upstream_addr *
upstream_addr_slot(struct upstream_pool *p, const struct conf_upstream *up)
{
	struct upstream_addr *a = &p->addrs[p->naddrs < UPSTREAM_ADDR_CACHE
	        ? p->naddrs++
	        : UPSTREAM_ADDR_CACHE - 1];

	a->up = up;
	return a;
}

/* up is dialled at a unix socket (dialConfig.replaceTargets). */
static const struct upstream_addr *
upstream_resolve_unix(struct upstream_pool *p, const struct conf_upstream *up)
{
	struct upstream_addr *a = upstream_addr_slot(p, up);
	struct sockaddr_un *un = (struct sockaddr_un *)&a->ss;
	size_t len = strlen(up->dial_unix); /* < sun_path: checked by conf */

	memset(&a->ss, 0, sizeof(a->ss));
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, up->dial_unix, len);
	if (up->dial_unix[0] == '@')
		un->sun_path[0] = '\0';
	a->sslen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
	    (up->dial_unix[0] == '@' ? 0 : 1));
	return a;
}

/*
 * An address literal ("127.0.0.1", "::1") and a numeric port need no
 * getaddrinfo(), whose results the worker would malloc; NULL otherwise.
 */
static struct upstream_addr *
upstream_resolve_numeric(
    struct upstream_pool *p, const struct conf_upstream *up)
{
	const char *host = up->dial_host != NULL ? up->dial_host : up->host;
	const char *port = up->dial_port != NULL ? up->dial_port : up->port;
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct upstream_addr *a;
	socklen_t len;
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(port, &end, 10);
	if (errno != 0 || end == port || *end != '\0' || n > 65535)
		return NULL;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)n);
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)n);
		len = sizeof(*sin6);
	} else
		return NULL;
	a = upstream_addr_slot(p, up);
	a->ss = ss;
	a->sslen = len;
	return a;
}

/* Resolve up's address, cached for the life of the worker; -1 on failure. */
static const struct upstream_addr *
upstream_resolve(struct upstream_pool *p, const struct conf_upstream *up)
{
	struct addrinfo hints, *res;
	struct upstream_addr *a;
	size_t i;
	int rc;

	for (i = 0, a = NULL; i < p->naddrs && a == NULL; i++)
		if (p->addrs[i].up == up)
			a = &p->addrs[i];
	if (a != NULL && a->sslen > 0)
		return a;
	if (a != NULL && conn_now_ms() < a->retry_at) {
		errno = EHOSTUNREACH; /* failed lately: logged then */
		return NULL;
	}
	if (a == NULL && up->dial_unix != NULL)
		return upstream_resolve_unix(p, up);
	if (a == NULL && (a = upstream_resolve_numeric(p, up)) != NULL)
		return a;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
	if (a == NULL)
		a = upstream_addr_slot(p, up);
	if ((rc = getaddrinfo(up->dial_host != NULL ? up->dial_host : up->host,
	         up->dial_port != NULL ? up->dial_port : up->port, &hints,
	         &res)) != 0) {
		log_error("cannot resolve upstream %s: %s (not looked up again "
		          "for %d ms)",
		    up->url, gai_strerror(rc), UPSTREAM_RESOLVE_RETRY_MS);
		a->sslen = 0;
		a->retry_at = conn_now_ms() + UPSTREAM_RESOLVE_RETRY_MS;
		errno = EHOSTUNREACH;
		return NULL;
	}
	memcpy(&a->ss, res->ai_addr, res->ai_addrlen);
	a->sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return a;
}

/*
 * Is a pooled connection still usable (no EOF, no stray bytes)?  Over
 * TLS, records that carry no data (TLS 1.3 session tickets) are consumed.
 */
static int
upstream_alive(struct io *io)
{
	char c;
	ssize_t r = recv(io->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 1;
	if (r <= 0 || io->ssl == NULL)
		return 0;
	r = conn_read_now(io, &c, 1);
	return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* Remove entry i from the idle list. */
static void
upstream_drop(struct upstream_pool *p, size_t i)
{
	p->idle[i] = p->idle[--p->nidle];
}

int
upstream_get(struct upstream_pool *p, const struct conf_upstream *up,
    const struct conf_client *cc, struct io *io, int *reused)
{
	const struct upstream_addr *a;
	size_t i = p->nidle;
	int64_t deadline;
	char why[512];

	/* Newest first: the most recently used connection is the warmest. */
	while (i-- > 0) {
		struct io cand;
		int stale;

		if (p->idle[i].up != up)
			continue;
		cand = p->idle[i].io;
		stale = p->idle[i].idle_ms > 0 &&
		    conn_now_ms() - p->idle[i].since >= p->idle[i].idle_ms;
		upstream_drop(p, i);
		if (!stale && upstream_alive(&cand)) {
			*io = cand;
			*reused = 1;
			return 0;
		}
		conn_close(&cand);
	}
	*reused = 0;
	io->ssl = NULL;
	deadline = conn_deadline(
	    cc != NULL ? cc->dial_timeout : UPSTREAM_DIAL_TIMEOUT_MS);
	if (up->addrs != NULL && up->dial_unix == NULL) {
		/* resolved at load: each address in turn, as Go dials */
		if ((io->fd = resolve_dial(
		         up->addrs, deadline, why, sizeof(why))) < 0) {
			int e = errno;

			if (up->addrs->n > 1)
				log_debug("upstream %s: %s", up->url, why);
			errno = e;
			return -1;
		}
	} else if ((a = upstream_resolve(p, up)) == NULL ||
	    (io->fd = conn_connect(
	         (const struct sockaddr *)&a->ss, a->sslen, deadline)) < 0)
		return -1;
	if (up->tls &&
	    tlsclient_start(io, up, cc, cc != NULL ? cc->tls_ctx : NULL,
	        conn_deadline(cc != NULL ? cc->tls_handshake_timeout
	                                 : UPSTREAM_TLS_TIMEOUT_MS)) < 0) {
		int err = errno;

		conn_close(io);
		errno = err;
		return -1;
	}
	return 0;
}

void
upstream_put(struct upstream_pool *p, const struct conf_upstream *up,
    const struct conf_client *cc, struct io *io)
{
	size_t i, same = 0;

	for (i = 0; i < p->nidle; i++)
		if (p->idle[i].up == up)
			same++;
	if (cc != NULL &&
	    (cc->disable_keep_alives ||
	        (cc->max_idle_per_host > 0 &&
	            same >= (size_t)cc->max_idle_per_host) ||
	        (cc->max_idle_conns > 0 &&
	            p->nidle >= (size_t)cc->max_idle_conns))) {
		conn_close(io);
		io->fd = -1;
		io->ssl = NULL;
		return;
	}
	if (p->nidle == UPSTREAM_POOL_SIZE) {
		conn_close(&p->idle[0].io);
		upstream_drop(p, 0);
	}
	p->idle[p->nidle].up = up;
	p->idle[p->nidle].io = *io;
	p->idle[p->nidle].since = conn_now_ms();
	p->idle[p->nidle].idle_ms =
	    cc != NULL ? cc->idle_timeout : UPSTREAM_IDLE_TIMEOUT_MS;
	p->nidle++;
	io->fd = -1;
	io->ssl = NULL;
}

void
upstream_expire(struct upstream_pool *p)
{
	int64_t now = conn_now_ms();
	size_t i = p->nidle;

	while (i-- > 0) {
		if ((p->idle[i].idle_ms > 0 &&
		        now - p->idle[i].since >= p->idle[i].idle_ms) ||
		    !upstream_alive(&p->idle[i].io)) {
			conn_close(&p->idle[i].io);
			upstream_drop(p, i);
		}
	}
}
