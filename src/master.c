/* Master process: supervise worker generations, reload on SIGHUP, stop on SIGTERM. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "balance.h"
#include "conn.h"
#include "health.h"
#include "listen.h"
#include "log.h"
#include "master.h"
#include "route.h"
#include "tlsclient.h"
#include "worker.h"

#define MASTER_BACKOFF_MAX_MS 30000

static volatile sig_atomic_t master_sig_chld, master_sig_hup, master_sig_term,
    master_sig_alrm, master_sig_usr1;

/* Everything one configuration generation owns in the master. */
struct generation {
	unsigned id;
	struct conf *conf;
	struct routes *routes;
	struct listener *listeners;
	size_t nlisteners;
	struct conf_lb_shared *shm;
	size_t shmlen;
	int handoff[2]; /* workers pass idle connections to idle workers */
	int nworkers;   /* target pool size */
};

struct worker_slot {
	pid_t pid;
	unsigned gen;
	int64_t started;
};

struct master {
	const struct master_opts *opts;
	struct generation *cur;
	struct worker_slot *slots;
	size_t nslots;
	int master_pipe[2]; /* workers see EOF on [0] when the master dies */
	int stopping;
	int64_t stop_deadline;
	int64_t next_spawn; /* back-off after workers die at start */
	int64_t backoff;
	int quick_deaths; /* workers that died within a second of starting */
};

/* Signal handler of the master: record the signal, nothing else. */
static void
master_on_signal(int sig)
{
	switch (sig) {
	case SIGCHLD:
		master_sig_chld = 1;
		break;
	case SIGHUP:
		master_sig_hup = 1;
		break;
	case SIGTERM:
	case SIGINT:
	case SIGQUIT:
		master_sig_term = 1;
		break;
	case SIGALRM:
		master_sig_alrm = 1;
		break;
	case SIGUSR1:
		master_sig_usr1 = 1;
		break;
	}
}

/* Block the master's signals and install handlers; *old gets the old mask. */
static void
master_signals(sigset_t *old)
{
	static const int sigs[] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT, SIGQUIT,
		SIGALRM, SIGUSR1 };
	struct sigaction sa;
	struct itimerval it;
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, old);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = master_on_signal;
	sa.sa_mask = set;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* A one-second tick drives pool maintenance and stop deadlines. */
	memset(&it, 0, sizeof(it));
	it.it_interval.tv_sec = 1;
	it.it_value.tv_sec = 1;
	setitimer(ITIMER_REAL, &it, NULL);
}

void
master_conf_error(void *ctx, const char *msg)
{
	(void)ctx;
	printf("aileron: %s\n", msg);
	fflush(stdout);
}

/* Number of workers when the config leaves it automatic. */
static int
master_auto_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	return n * 4 < 8 ? 8 : (int)(n * 4);
}

/* Map the per-LB state shared by the workers of a generation. */
static int
master_map_shared(struct generation *g)
{
	size_t i, j, n = 0, k = 0;

	for (i = 0; i < g->conf->nproxies; i++)
		n += g->conf->proxies[i]->nlbs;
	g->shmlen = (n ? n : 1) * sizeof(struct conf_lb_shared);
	g->shm = mmap(NULL, g->shmlen, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g->shm == MAP_FAILED) {
		g->shm = NULL;
		log_warn("mmap");
		return -1;
	}
	for (i = 0; i < g->conf->nproxies; i++)
		for (j = 0; j < g->conf->proxies[i]->nlbs; j++)
			g->conf->proxies[i]->lbs[j].shared = &g->shm[k++];
	return 0;
}

/* Free a generation's master-side resources; listeners must be closed first. */
static void
master_gen_free(struct generation *g)
{
	if (g == NULL)
		return;
	listen_close(g->listeners, g->nlisteners);
	if (g->handoff[0] >= 0)
		close(g->handoff[0]);
	if (g->handoff[1] >= 0)
		close(g->handoff[1]);
	route_free(g->routes);
	if (g->shm != NULL)
		munmap(g->shm, g->shmlen);
	health_free(g->conf);
	tlsclient_free(g->conf);
	conf_free(g->conf);
	free(g);
}

/* Build a generation from a loaded config, reusing sockets of old. */
static struct generation *
master_gen_new(struct conf *c, struct generation *old, unsigned id)
{
	struct generation *g = calloc(1, sizeof(*g));

	if (g == NULL)
		fatal("calloc");
	g->id = id;
	g->conf = c;
	g->handoff[0] = g->handoff[1] = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
	        0, g->handoff) < 0) {
		log_warn("socketpair");
		goto fail;
	}
	g->nworkers =
	    c->process.workers > 0 ? c->process.workers : master_auto_workers();
	if ((g->routes = route_build(c)) == NULL || balance_build(c) < 0 ||
	    tlsclient_build(c) < 0 || master_map_shared(g) < 0)
		goto fail;
	g->listeners = listen_open(
	    c, old ? old->listeners : NULL, old ? old->nlisteners : 0);
	if (g->listeners == NULL)
		goto fail;
	g->nlisteners = c->nservers;
	if (health_build(c) < 0) /* last: it may fork the probing helper */
		goto fail;
	return g;
fail:
	health_free(c);
	tlsclient_free(c);
	g->conf = NULL; /* the caller still owns c */
	master_gen_free(g);
	return NULL;
}

/* Fork one worker of the current generation. */
static void
master_spawn(struct master *ms)
{
	struct worker_env env;
	struct worker_slot *s;
	pid_t pid;

	env.conf = ms->cur->conf;
	env.routes = ms->cur->routes;
	env.listeners = ms->cur->listeners;
	env.nlisteners = ms->cur->nlisteners;
	env.master_fd = ms->master_pipe[0];
	env.handoff[0] = ms->cur->handoff[0];
	env.handoff[1] = ms->cur->handoff[1];
	env.generation = ms->cur->id;
	if ((pid = fork()) < 0) {
		log_warn("fork");
		return;
	}
	if (pid == 0) {
		close(ms->master_pipe[1]);
		worker_run(&env);
	}
	ms->slots = realloc(ms->slots, (ms->nslots + 1) * sizeof(*ms->slots));
	if (ms->slots == NULL)
		fatal("realloc");
	s = &ms->slots[ms->nslots++];
	s->pid = pid;
	s->gen = ms->cur->id;
	s->started = conn_now_ms();
}

/* Workers of generation gen still running. */
static int
master_count(const struct master *ms, unsigned gen)
{
	size_t i;
	int n = 0;

	for (i = 0; i < ms->nslots; i++)
		if (ms->slots[i].gen == gen)
			n++;
	return n;
}

/* Send sig to every worker not of generation keep (0: to all). */
static void
master_signal_workers(struct master *ms, int sig, unsigned keep)
{
	size_t i;

	for (i = 0; i < ms->nslots; i++)
		if (keep == 0 || ms->slots[i].gen != keep)
			kill(ms->slots[i].pid, sig);
}

/* Log how a worker ended and slow respawning if it died right at start. */
static void
master_reaped(struct master *ms, const struct worker_slot *s, int status)
{
	int64_t now = conn_now_ms();

	if (WIFSIGNALED(status))
		log_error("worker %ld exited on signal %d (%s)", (long)s->pid,
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status) != 0)
		log_error("worker %ld exited with status %d", (long)s->pid,
		    WEXITSTATUS(status));
	else
		return;
	if (ms->stopping || s->gen != ms->cur->id)
		return;
	/* One early crash is a request's fault; a whole pool's is ours. */
	if (now - s->started < 1000 && ++ms->quick_deaths > ms->cur->nworkers) {
		ms->backoff = ms->backoff ? ms->backoff * 2 : 500;
		if (ms->backoff > MASTER_BACKOFF_MAX_MS)
			ms->backoff = MASTER_BACKOFF_MAX_MS;
		ms->next_spawn = now + ms->backoff;
		log_error("workers die at start; next spawn in %lld ms",
		    (long long)ms->backoff);
	} else if (now - s->started >= 1000) {
		ms->backoff = 0;
		ms->quick_deaths = 0;
	}
}

/* Collect every exited worker. */
static void
master_reap(struct master *ms)
{
	pid_t pid;
	int status;
	size_t i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < ms->nslots; i++) {
			if (ms->slots[i].pid != pid)
				continue;
			master_reaped(ms, &ms->slots[i], status);
			ms->slots[i] = ms->slots[--ms->nslots];
			break;
		}
	}
}

/* Keep the current generation at its target size. */
static void
master_maintain(struct master *ms)
{
	int n;

	if (ms->stopping || conn_now_ms() < ms->next_spawn)
		return;
	for (n = master_count(ms, ms->cur->id); n < ms->cur->nworkers; n++)
		master_spawn(ms);
}

/* SIGHUP: load the config again; on success start a new generation. */
static void
master_reload(struct master *ms)
{
	struct generation *g, *old = ms->cur;
	struct conf *c;

	log_info("reloading configuration");
	c = conf_load(
	    ms->opts->paths, ms->opts->npaths, master_conf_error, NULL);
	if (c == NULL) {
		log_error("reload failed: configuration has errors; "
		          "keeping the running configuration");
		return;
	}
	if ((g = master_gen_new(c, old, old->id + 1)) == NULL) {
		conf_free(c);
		log_error("reload failed; keeping the running configuration");
		return;
	}
	/*
	 * Old workers stop accepting first, finish their requests in flight
	 * and exit; the listening sockets keep queueing connections until the
	 * new workers, forked right after, accept them.  So every connection
	 * made after the reload sees the new configuration.
	 */
	master_signal_workers(ms, SIGTERM, 0);
	ms->cur = g;
	ms->next_spawn = 0;
	master_gen_free(
	    old); /* before forking: new workers inherit none of it */
	master_maintain(ms);
	log_info("configuration reloaded (generation %u)", g->id);
}

/* Begin a graceful stop: workers finish what they do within the timeout. */
static void
master_begin_stop(struct master *ms)
{
	int timeout = 0;
	size_t i;

	for (i = 0; i < ms->cur->conf->nservers; i++)
		if (ms->cur->conf->servers[i]->shutdown_timeout > timeout)
			timeout = ms->cur->conf->servers[i]->shutdown_timeout;
	for (i = 0; i < ms->cur->nlisteners; i++)
		log_info("server shutting down %s with graceful period %d "
		         "seconds.",
		    ms->cur->listeners[i].name, timeout);
	ms->stopping = 1;
	ms->stop_deadline = conn_now_ms() + (int64_t)timeout * 1000;
	master_signal_workers(ms, SIGTERM, 0);
}

/* Allow as many descriptors as the hard limit: workers park connections. */
static void
master_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("setrlimit RLIMIT_NOFILE");
	}
}

int
master_run(const struct master_opts *opts, struct conf *c)
{
	struct master ms;
	sigset_t old;
	size_t i;

	memset(&ms, 0, sizeof(ms));
	ms.opts = opts;
	master_raise_nofile();
	if (pipe2(ms.master_pipe, O_CLOEXEC) < 0)
		fatal("pipe2");
	if ((ms.cur = master_gen_new(c, NULL, 1)) == NULL) {
		conf_free(c);
		return 1;
	}
	master_signals(&old);
	for (i = 0; i < ms.cur->nlisteners; i++)
		log_info("server started. listening on %s",
		    ms.cur->listeners[i].name);
	master_maintain(&ms);
	for (;;) {
		sigsuspend(&old);
		if (master_sig_chld) {
			master_sig_chld = 0;
			master_reap(&ms);
		}
		if (master_sig_term && !ms.stopping)
			master_begin_stop(&ms);
		if (master_sig_hup) {
			master_sig_hup = 0;
			if (!ms.stopping)
				master_reload(&ms);
		}
		if (master_sig_usr1)
			master_sig_usr1 = 0; /* log reopening: later */
		master_sig_alrm = 0;
		if (ms.stopping) {
			if (ms.nslots == 0)
				break;
			if (conn_now_ms() >= ms.stop_deadline) {
				log_warnx("graceful period over: killing %zu "
				          "workers",
				    ms.nslots);
				master_signal_workers(&ms, SIGKILL, 0);
				ms.stop_deadline = INT64_MAX;
			}
			continue;
		}
		master_maintain(&ms);
	}
	master_gen_free(ms.cur);
	free(ms.slots);
	log_info("stopped");
	return 0;
}
