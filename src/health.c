/* Upstream health: passive ejection by the workers, active probes by a helper process. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "conn.h"
#include "daemon.h"
#include "health.h"
#include "log.h"
#include "resolve.h"

/* What a generation's health checking owns in the master. */
struct health {
	struct conf_upstream_shared *shm;
	size_t shmlen;
	pid_t helper; /* 0: no active checks */
};

/* Every upstream of c, in order, through fn. */
static size_t
health_each(
    struct conf *c, void (*fn)(struct conf_upstream *, void *), void *arg)
{
	size_t i, j, k, n = 0;

	for (i = 0; i < c->nproxies; i++)
		for (j = 0; j < c->proxies[i]->nlbs; j++) {
			struct conf_lb *lb = &c->proxies[i]->lbs[j];

			for (k = 0; k < lb->nupstreams; k++) {
				if (fn != NULL)
					fn(&lb->upstreams[k], arg);
				n++;
			}
		}
	return n;
}

/* Count the upstreams that are checked (first pass of health_build). */
static void
health_count(struct conf_upstream *up, void *arg)
{
	if (up->enable_passive || up->enable_active)
		(*(size_t *)arg)++;
}

/* Count the actively checked upstreams. */
static void
health_count_active(struct conf_upstream *up, void *arg)
{
	if (up->enable_active)
		(*(size_t *)arg)++;
}

/* Give each checked upstream its slot of shared state. */
static void
health_assign(struct conf_upstream *up, void *arg)
{
	struct conf_upstream_shared **next = arg;

	up->shared = NULL;
	if (up->enable_passive || up->enable_active)
		up->shared = (*next)++;
}

int
health_usable(const struct conf_upstream_shared *sh)
{
	int64_t until;

	if (sh == NULL)
		return 1;
	if (__atomic_load_n(&sh->down, __ATOMIC_RELAXED))
		return 0;
	until = __atomic_load_n(&sh->down_until, __ATOMIC_RELAXED);
	return until == 0 || conn_now_ms() >= until;
}

void
health_report(const struct conf_upstream *up, int ok)
{
	struct conf_upstream_shared *sh = up->shared;
	int64_t cool;
	uint32_t n;

	if (sh == NULL || !up->enable_passive)
		return;
	if (ok) {
		if (__atomic_load_n(&sh->fails, __ATOMIC_RELAXED) != 0)
			__atomic_store_n(&sh->fails, 0, __ATOMIC_RELAXED);
		return;
	}
	n = __atomic_add_fetch(&sh->fails, 1, __ATOMIC_RELAXED);
	if (n < HEALTH_PASSIVE_FAILS)
		return;
	cool = up->health_check_interval > 0
	    ? (int64_t)up->health_check_interval * 1000
	    : HEALTH_COOLDOWN_MS;
	__atomic_store_n(
	    &sh->down_until, conn_now_ms() + cool, __ATOMIC_RELAXED);
	/* After the cool-down one more failure takes it out again. */
	__atomic_store_n(
	    &sh->fails, HEALTH_PASSIVE_FAILS - 1, __ATOMIC_RELAXED);
	log_warnx("upstream %s: %u consecutive failures, out for %lld ms",
	    up->url, n, (long long)cool);
}

/* Split "host:port" or "[v6]:port" into host and port; -1 if malformed. */
static int
health_split(const char *a, size_t len, char *host, size_t hsize, char *port,
    size_t psize)
{
	const char *colon;
	size_t hl;

	if (len > 0 && a[0] == '[') {
		const char *rb = memchr(a, ']', len);

		if (rb == NULL || rb + 1 >= a + len || rb[1] != ':')
			return -1;
		hl = (size_t)(rb - a - 1);
		a++;
		colon = rb + 1;
	} else {
		colon = NULL;
		for (hl = 0; hl < len; hl++)
			if (a[hl] == ':')
				colon = a + hl;
		if (colon == NULL)
			return -1;
		hl = (size_t)(colon - a);
	}
	if (hl + 1 > hsize || (size_t)(a + len - colon - 1) + 1 > psize ||
	    colon + 1 >= a + len)
		return -1;
	memcpy(host, a, hl);
	host[hl] = '\0';
	memcpy(port, colon + 1, (size_t)(a + len - colon - 1));
	port[a + len - colon - 1] = '\0';
	return 0;
}

int
health_addr_check(const char *addr)
{
	char host[256], port[16];
	const char *a = addr, *slash;
	size_t alen;

	if (strncmp(a, "http://", 7) == 0)
		a += 7;
	else if (strchr(a, '/') != NULL)
		return -1; /* another scheme, or a path without http:// */
	slash = strchr(a, '/');
	alen = slash != NULL ? (size_t)(slash - a) : strlen(a);
	if (health_split(a, alen, host, sizeof(host), port, sizeof(port)) < 0 ||
	    host[0] == '\0' || strspn(port, "0123456789") != strlen(port))
		return -1;
	return 0;
}

int
health_probe(const char *addr, int64_t timeout_ms)
{
	char host[256], port[16], req[1024], resp[64];
	const char *a = addr, *path = "/", *slash;
	struct resolved ra;
	int64_t deadline = conn_deadline(timeout_ms);
	struct io io = { -1, NULL };
	size_t alen, got = 0;
	int http = 0, ok = 0, n;

	if (strncmp(a, "http://", 7) == 0) {
		http = 1;
		a += 7;
	}
	slash = strchr(a, '/');
	alen = slash != NULL ? (size_t)(slash - a) : strlen(a);
	if (slash != NULL)
		path = slash;
	if (health_split(a, alen, host, sizeof(host), port, sizeof(port)) < 0)
		return 0;
	/* each address in turn, as the workers dial the upstream */
	if (resolve_host(host, port, &ra) != NULL ||
	    (io.fd = resolve_dial(&ra, deadline, NULL, 0)) < 0)
		return 0;
	if (!http) {
		conn_close(&io);
		return 1;
	}
	n = snprintf(req, sizeof(req),
	    "GET %s HTTP/1.1\r\nHost: %.*s\r\nUser-Agent: aileron-health\r\n"
	    "Connection: close\r\n\r\n",
	    path, (int)alen, a);
	if (n > 0 && (size_t)n < sizeof(req) &&
	    conn_write(&io, req, (size_t)n, deadline) == 0) {
		while (got < 12) {
			ssize_t r = conn_read(
			    &io, resp + got, sizeof(resp) - 1 - got, deadline);

			if (r <= 0)
				break;
			got += (size_t)r;
		}
		resp[got] = '\0';
		/* "HTTP/1.x NNN": healthy on 2xx and 3xx. */
		ok = got >= 12 && strncmp(resp, "HTTP/1.", 7) == 0 &&
		    (resp[9] == '2' || resp[9] == '3');
	}
	conn_close(&io);
	return ok;
}

/* Active checking state of one upstream inside the helper. */
struct health_target {
	struct conf_upstream *up;
	const char *addr;
	int64_t next;
	int64_t interval;
	int good, bad;
};

/* Collect the actively checked upstreams (helper). */
static void
health_collect(struct conf_upstream *up, void *arg)
{
	struct health_target **t = arg;
	static char buf[1024];

	if (!up->enable_active || up->shared == NULL)
		return;
	(*t)->up = up;
	if (up->health_check_addr != NULL && up->health_check_addr[0] != '\0')
		(*t)->addr = up->health_check_addr;
	else {
		/* Default: a TCP connect to the upstream itself. */
		snprintf(buf, sizeof(buf),
		    strchr(up->host, ':') != NULL ? "[%s]:%s" : "%s:%s",
		    up->host, up->port);
		(*t)->addr = strdup(buf);
		if ((*t)->addr == NULL)
			fatal("strdup");
	}
	(*t)->interval = up->health_check_interval > 0
	    ? (int64_t)up->health_check_interval * 1000
	    : HEALTH_INTERVAL_MS;
	(*t)->next = conn_now_ms() + (int64_t)up->initial_delay * 1000;
	(*t)++;
}

/* Close inherited sockets and pipes: the helper needs none of them. */
static void
health_close_inherited(void)
{
	long max = sysconf(_SC_OPEN_MAX);
	int fd;

	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = 3; fd < max; fd++) {
		struct stat st;

		if (fstat(fd, &st) == 0 &&
		    (S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode)))
			close(fd);
	}
}

/* SIGUSR1 in the helper: reopen the log files (a rotation, logrotate). */
static void
health_on_usr1(int sig)
{
	(void)sig;
	(void)log_reopen_async();
}

/* The helper process: probe every target on its schedule, forever. */
static void __attribute__((noreturn)) health_helper(
    struct conf *c, size_t n, pid_t master, const struct daemon_privs *pv)
{
	struct health_target *t = calloc(n, sizeof(*t)), *end = t;
	struct sigaction sa;
	sigset_t none;
	size_t i;

	if (t == NULL)
		fatal("calloc");
	log_procname("health");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = health_on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	health_close_inherited();
	daemon_privs_drop(pv); /* probes need no privileges */
	(void)health_each(c, health_collect, &end);
	n = (size_t)(end - t);
	for (;;) {
		int64_t now = conn_now_ms(), wait = 1000;

		if (getppid() != master)
			_exit(0); /* the master is gone */
		for (i = 0; i < n; i++) {
			struct health_target *h = &t[i];
			int64_t timeout = h->interval < HEALTH_PROBE_TIMEOUT_MS
			    ? h->interval
			    : HEALTH_PROBE_TIMEOUT_MS;
			uint32_t down;

			if (now < h->next) {
				if (h->next - now < wait)
					wait = h->next - now;
				continue;
			}
			h->next = now + h->interval;
			down = __atomic_load_n(
			    &h->up->shared->down, __ATOMIC_RELAXED);
			if (health_probe(h->addr, timeout)) {
				h->bad = 0;
				if (down && ++h->good >= HEALTH_RISE) {
					__atomic_store_n(&h->up->shared->down,
					    0, __ATOMIC_RELAXED);
					log_info("upstream %s: active health "
					         "check passed, back in",
					    h->up->url);
				}
			} else {
				h->good = 0;
				if (!down && ++h->bad >= HEALTH_FALL) {
					__atomic_store_n(&h->up->shared->down,
					    1, __ATOMIC_RELAXED);
					log_warnx(
					    "upstream %s: active health "
					    "check of %s failed, taken out",
					    h->up->url, h->addr);
				}
			}
			now = conn_now_ms();
			if (h->interval < wait)
				wait = h->interval;
		}
		if (wait > 0)
			(void)poll(NULL, 0, (int)wait);
	}
}

int
health_build(struct conf *c, const struct daemon_privs *pv)
{
	struct conf_upstream_shared *next;
	struct health *h;
	size_t n = 0, active = 0;
	pid_t pid;

	(void)health_each(c, health_count, &n);
	c->health = NULL;
	if (n == 0)
		return 0;
	h = arena_alloc(c->arena, sizeof(*h));
	h->shmlen = n * sizeof(*h->shm);
	h->shm = mmap(NULL, h->shmlen, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (h->shm == MAP_FAILED) {
		log_warn("mmap");
		return -1;
	}
	next = h->shm;
	(void)health_each(c, health_assign, &next);
	(void)health_each(c, health_count_active, &active);
	c->health = h;
	if (active == 0)
		return 0;
	if ((pid = fork()) < 0) {
		log_warn("fork");
		munmap(h->shm, h->shmlen);
		c->health = NULL;
		return -1;
	}
	if (pid == 0)
		health_helper(c, active, getppid(), pv);
	h->helper = pid;
	return 0;
}

void
health_signal(const struct conf *c, int sig)
{
	if (c != NULL && c->health != NULL && c->health->helper > 0)
		kill(c->health->helper, sig);
}

void
health_free(struct conf *c)
{
	struct health *h;

	if (c == NULL || (h = c->health) == NULL)
		return;
	if (h->helper > 0)
		kill(h->helper, SIGTERM); /* reaped with the workers */
	munmap(h->shm, h->shmlen);
	c->health = NULL;
}
