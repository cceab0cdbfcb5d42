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
#include <time.h>
#include <unistd.h>

#include "balance.h"
#include "compat.h"
#include "conn.h"
#include "daemon.h"
#include "health.h"
#include "listen.h"
#include "log.h"
#include "logrotate.h"
#include "master.h"
#include "pipeline.h"
#include "pool.h"
#include "route.h"
#include "scoreboard.h"
#include "tlsclient.h"
#include "worker.h"

#define MASTER_BACKOFF_MAX_MS 30000

/* The master's tick; pool maintenance runs every MASTER_TICKS_PER_SEC. */
#define MASTER_TICK_MS       100
#define MASTER_TICKS_PER_SEC (1000 / MASTER_TICK_MS)

static volatile sig_atomic_t master_sig_chld, master_sig_hup, master_sig_term,
    master_sig_quit, master_sig_alrm, master_sig_usr1, master_sig_io;

/* Everything one configuration generation owns in the master. */
struct generation {
	unsigned id;
	struct conf *conf;
	struct routes *routes;
	struct pipeline *pipeline;
	struct listener *listeners;
	size_t nlisteners;
	struct conf_lb_shared *shm;
	size_t shmlen;
	int handoff[2]; /* workers pass idle connections to idle workers */
	struct pool_settings pool;
	struct daemon_privs privs;
};

struct worker_slot {
	pid_t pid;
	unsigned gen;
	int sb;   /* scoreboard slot */
	int told; /* the master told it to stop */
	int64_t started;
};

struct master {
	const struct master_opts *opts;
	struct generation *cur;
	struct worker_slot *slots;
	size_t nslots;
	int master_pipe[2]; /* workers see EOF on [0] when the master dies */
	int wake_pipe[2];   /* workers write [1] to wake the master (SIGIO) */
	unsigned ticks;
	int stopping;
	int64_t stop_deadline;
	int64_t next_spawn; /* back-off after workers die at start */
	int64_t backoff;
	int quick_deaths; /* workers that died within a second of starting */
	int respawn;      /* workers to replace at once (crashed, recycled) */
	int spawn_rate;   /* doubles while idle workers are short */
	int at_max;       /* maxWorkers was reached (logged once) */
	int sb_full;      /* the scoreboard was full (logged once) */
	size_t sb_slots;
	unsigned rot_gen;     /* log rotation the workers must reopen for */
	int rot_wait;         /* archives wait for the workers' reopens */
	int64_t rot_deadline; /* ... at most until then */
};

/* How long workers may take to reopen after a rotation (they are quick). */
#define MASTER_ROTATE_WAIT_MS 10000

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
		master_sig_term = 1;
		break;
	case SIGQUIT:
		master_sig_quit = 1;
		break;
	case SIGALRM:
		master_sig_alrm = 1;
		break;
	case SIGUSR1:
		master_sig_usr1 = 1;
		break;
	case SIGIO:
		master_sig_io = 1;
		break;
	}
}

static const int master_sigs[] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT, SIGQUIT,
	SIGALRM, SIGUSR1, SIGIO };

/* The master's signals as a set. */
static void
master_sigset(sigset_t *set)
{
	size_t i;

	sigemptyset(set);
	for (i = 0; i < sizeof(master_sigs) / sizeof(master_sigs[0]); i++)
		sigaddset(set, master_sigs[i]);
}

/*
 * Block the master's signals from the very start (*old gets the mask to
 * wait with): a SIGHUP or SIGTERM sent while the first generation is
 * built (its listeners may already accept, its log file exist) waits for
 * the main loop instead of killing the master with the default action.
 */
static void
master_block_signals(sigset_t *old)
{
	sigset_t set;

	master_sigset(&set);
	sigprocmask(SIG_BLOCK, &set, old);
}

/* Install the master's handlers (its signals are blocked already). */
static void
master_signals(void)
{
	struct sigaction sa;
	struct itimerval it;
	sigset_t set;
	size_t i;

	master_sigset(&set);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = master_on_signal;
	sa.sa_mask = set;
	for (i = 0; i < sizeof(master_sigs) / sizeof(master_sigs[0]); i++)
		sigaction(master_sigs[i], &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/*
	 * A tick drives pool growth on waiting requests, and every second
	 * pool maintenance and stop deadlines.
	 */
	memset(&it, 0, sizeof(it));
	it.it_interval.tv_usec = MASTER_TICK_MS * 1000;
	it.it_value.tv_usec = MASTER_TICK_MS * 1000;
	setitimer(ITIMER_REAL, &it, NULL);
}

void
master_conf_error(void *ctx, const char *msg)
{
	(void)ctx;
	printf("aileron: %s\n", msg);
	fflush(stdout);
}

/* Report a config error found on reload in the log (stdout may be gone). */
static void
master_reload_error(void *ctx, const char *msg)
{
	(void)ctx;
	log_error("%s", msg);
}

/* Name of a signal for logs: "SIGSEGV" (or its number). */
static const char *
master_signame(int sig, char *buf, size_t size)
{
#ifdef HAVE_SIGABBREV_NP
	const char *n = sigabbrev_np(sig);

	if (n != NULL) {
		snprintf(buf, size, "SIG%s", n);
		return buf;
	}
#endif
	snprintf(buf, size, "signal %d", sig);
	return buf;
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
	pipeline_free(g->pipeline);
	route_free(g->routes);
	if (g->shm != NULL)
		munmap(g->shm, g->shmlen);
	health_free(g->conf);
	tlsclient_free(g->conf);
	conf_free(g->conf);
	free(g);
}

/*
 * The bodyOutputPath directories this load created belong to the worker
 * user, which writes the journal's body files there.
 */
static void
master_own_body_dirs(const struct conf *c, const struct daemon_privs *pv)
{
	size_t i;

	for (i = 0; pv->drop && i < c->nbody_dirs; i++)
		if (chown(c->body_dirs[i], pv->uid, pv->gid) < 0)
			log_warn("bodyOutputPath %s", c->body_dirs[i]);
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
	/* One queue for all generations: taken over from old on success. */
	if (old == NULL &&
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
	        0, g->handoff) < 0) {
		log_warn("socketpair");
		goto fail;
	}
	pool_settings(&c->process, sysconf(_SC_NPROCESSORS_ONLN), &g->pool);
	if (daemon_privs_resolve(&c->process, &g->privs) < 0 ||
	    (g->routes = route_build(c)) == NULL ||
	    (g->pipeline = pipeline_build(c, g->routes)) == NULL ||
	    balance_build(c) < 0 || tlsclient_build(c) < 0 ||
	    master_map_shared(g) < 0)
		goto fail;
	g->listeners = listen_open(
	    c, old ? old->listeners : NULL, old ? old->nlisteners : 0);
	if (g->listeners == NULL)
		goto fail;
	g->nlisteners = c->nservers;
	if (health_build(c, &g->privs) < 0) /* last: may fork the prober */
		goto fail;
	/* Workers reopen the log file on SIGUSR1 as their own user. */
	log_set_owner(g->privs.drop ? g->privs.uid : (uid_t)-1);
	master_own_body_dirs(c, &g->privs);
	if (log_reopen() < 0)
		log_warn("reopening the log file");
	if (old != NULL) {
		memcpy(g->handoff, old->handoff, sizeof(g->handoff));
		old->handoff[0] = old->handoff[1] = -1;
	}
	return g;
fail:
	health_free(c);
	tlsclient_free(c);
	g->conf = NULL; /* the caller still owns c */
	master_gen_free(g);
	return NULL;
}

/* What a worker of generation g inherits. */
static void
master_worker_env(const struct generation *g, struct worker_env *env)
{
	memset(env, 0, sizeof(*env));
	env->conf = g->conf;
	env->routes = g->routes;
	env->pipeline = g->pipeline;
	env->listeners = g->listeners;
	env->nlisteners = g->nlisteners;
	env->master_fd = -1;
	env->wake_fd = -1;
	env->handoff[0] = g->handoff[0];
	env->handoff[1] = g->handoff[1];
	env->generation = g->id;
	env->sb_slot = -1;
	env->max_requests = (uint64_t)g->conf->process.max_requests_per_worker;
}

/* Fork one worker of the current generation; -1 if none could be. */
static int
master_spawn(struct master *ms)
{
	struct worker_env env;
	struct worker_slot *s;
	pid_t pid;
	int sb;

	if ((sb = scoreboard_claim(ms->cur->id)) < 0) {
		if (!ms->sb_full)
			log_warnx("scoreboard full (%zu workers): waiting for "
			          "old workers to exit",
			    ms->sb_slots);
		ms->sb_full = 1;
		return -1;
	}
	ms->sb_full = 0;
	master_worker_env(ms->cur, &env);
	env.master_fd = ms->master_pipe[0];
	env.wake_fd = ms->wake_pipe[1];
	env.sb_slot = sb;
	if ((pid = fork()) < 0) {
		log_warn("fork");
		scoreboard_release(sb);
		return -1;
	}
	if (pid == 0) {
		close(ms->master_pipe[1]);
		close(ms->wake_pipe[0]);
		setproctitle("worker");
		daemon_privs_drop(&ms->cur->privs);
		worker_run(&env);
	}
	scoreboard_set_pid(sb, pid);
	log_ack_reset(sb);
	ms->slots = realloc(ms->slots, (ms->nslots + 1) * sizeof(*ms->slots));
	if (ms->slots == NULL)
		fatal("realloc");
	s = &ms->slots[ms->nslots++];
	s->pid = pid;
	s->gen = ms->cur->id;
	s->sb = sb;
	s->told = 0;
	s->started = conn_now_ms();
	return 0;
}

/*
 * Count the workers of generation gen not told to stop; *idle gets those
 * of them idle or starting (a starting worker is about to be idle).
 */
static int
master_count(const struct master *ms, unsigned gen, int *idle)
{
	size_t i;
	int n = 0, st;

	*idle = 0;
	for (i = 0; i < ms->nslots; i++) {
		if (ms->slots[i].gen != gen || ms->slots[i].told)
			continue;
		n++;
		st = scoreboard_state(ms->slots[i].sb);
		if (st == SB_IDLE || st == SB_STARTING)
			(*idle)++;
	}
	return n;
}

/* Tell worker s to stop with sig. */
static void
master_tell(struct worker_slot *s, int sig)
{
	if (sig == SIGTERM || sig == SIGKILL) {
		s->told = 1;
		scoreboard_mark_stopping(s->sb);
	}
	kill(s->pid, sig);
}

/* Send sig to every worker (SIGTERM, SIGKILL: marks them told to stop). */
static void
master_signal_workers(struct master *ms, int sig)
{
	size_t i;

	for (i = 0; i < ms->nslots; i++)
		master_tell(&ms->slots[i], sig);
}

/* Log how a worker ended and slow respawning if it died right at start. */
static void
master_reaped(struct master *ms, const struct worker_slot *s, int status)
{
	int64_t now = conn_now_ms();
	char name[32];

	if (WIFSIGNALED(status) && (!s->told || WTERMSIG(status) != SIGKILL))
		log_error("worker %ld exited on signal %d (%s)", (long)s->pid,
		    WTERMSIG(status),
		    master_signame(WTERMSIG(status), name, sizeof(name)));
	else if (WIFSIGNALED(status))
		log_warnx("worker %ld killed", (long)s->pid);
	else if (WEXITSTATUS(status) != 0)
		log_error("worker %ld exited with status %d", (long)s->pid,
		    WEXITSTATUS(status));
	if (ms->stopping || s->gen != ms->cur->id || s->told)
		return;
	/* Not told to stop: it crashed or was recycled; replace it now. */
	ms->respawn++;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	/* One early crash is a request's fault; a whole pool's is ours. */
	if (now - s->started < 1000 &&
	    ++ms->quick_deaths > ms->cur->pool.start) {
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
		if (logrotate_reaped(pid)) {
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				log_error("log archive manager %ld failed",
				    (long)pid);
			continue;
		}
		for (i = 0; i < ms->nslots; i++) {
			if (ms->slots[i].pid != pid)
				continue;
			master_reaped(ms, &ms->slots[i], status);
			scoreboard_release(ms->slots[i].sb);
			ms->slots[i] = ms->slots[--ms->nslots];
			break;
		}
	}
}

/* Stop one idle worker of the current generation (the newest). */
static void
master_kill_idle(struct master *ms)
{
	size_t i;

	for (i = ms->nslots; i-- > 0;) {
		struct worker_slot *s = &ms->slots[i];

		if (s->gen == ms->cur->id && !s->told &&
		    scoreboard_state(s->sb) == SB_IDLE) {
			master_tell(s, SIGTERM);
			return;
		}
	}
}

/* Empty the wake pipe (workers wrote a byte each). */
static void
master_drain_wake(struct master *ms)
{
	char buf[64];

	while (read(ms->wake_pipe[0], buf, sizeof(buf)) > 0)
		;
}

/* Log once that maxWorkers stopped the pool from growing. */
static void
master_at_max(struct master *ms, int at_max)
{
	if (at_max && !ms->at_max)
		log_warnx("all %d workers are busy (processConfig.maxWorkers); "
		          "consider raising it",
		    ms->cur->pool.max);
	ms->at_max = at_max;
}

/*
 * Requests wait for a worker: connections with a request that busy
 * workers handed off and nobody took yet.  Fork as many workers as they
 * outnumber the idle ones, now (a worker woke us, or the tick), not at
 * the once-a-second maintenance.  (The accept queues are no such signal:
 * a burst of new connections is accepted and parked in a moment.)
 */
static int
master_grow(struct master *ms, int tick)
{
	int total, idle, waiting, n, at_max;

	waiting = scoreboard_handoff_queued();
	if (waiting == 0) {
		scoreboard_wake_done();
		return 0;
	}
	total = master_count(ms, ms->cur->id, &idle);
	n = pool_demand(&ms->cur->pool, total, idle, waiting, &at_max);
	master_at_max(ms, at_max);
	/*
	 * Workers may wake us again once new workers come, or at the tick:
	 * not while nothing can change (at maxWorkers, or idle enough).
	 */
	if (n > 0 || tick)
		scoreboard_wake_done();
	while (n-- > 0)
		if (master_spawn(ms) < 0)
			break;
	return waiting;
}

/*
 * Pool maintenance: replace workers that died at once; grow at once on
 * waiting requests; on the second tick grow or shrink the pool by its
 * spare workers, as Apache prefork does, counting waiting requests
 * against the idle workers.  A fixed pool is refilled whenever it is short.
 */
static void
master_maintain(struct master *ms, int tick)
{
	const struct pool_settings *ps = &ms->cur->pool;
	struct pool_action act;
	int total, idle, n, waiting = 0;

	if (ms->stopping || conn_now_ms() < ms->next_spawn)
		return;
	total = master_count(ms, ms->cur->id, &idle);
	scoreboard_set_full(ps->fixed || total >= ps->max);
	for (; ms->respawn > 0 && total < ps->max; ms->respawn--, total++)
		if (master_spawn(ms) < 0)
			break;
	ms->respawn = 0;
	if (!ps->fixed && (tick || master_sig_io)) {
		master_sig_io = 0;
		master_drain_wake(ms);
		waiting = master_grow(ms, tick);
	}
	if (!ps->fixed && (!tick || ++ms->ticks % MASTER_TICKS_PER_SEC != 0))
		return;
	total = master_count(ms, ms->cur->id, &idle);
	idle = idle > waiting ? idle - waiting : 0;
	pool_decide(ps, total, idle, &ms->spawn_rate, &act);
	master_at_max(ms, act.at_max);
	for (n = 0; n < act.spawn; n++)
		if (master_spawn(ms) < 0)
			break;
	if (act.kill && waiting == 0)
		master_kill_idle(ms);
}

/* Fork the first workers of the current generation. */
static void
master_start_workers(struct master *ms)
{
	int n;

	ms->spawn_rate = 1;
	for (n = 0; n < ms->cur->pool.start; n++)
		if (master_spawn(ms) < 0)
			break;
}

/* Workers of a generation at most: the scoreboard has room for two. */
static void
master_cap_pool(struct master *ms, struct generation *g)
{
	int cap = (int)(ms->sb_slots / 2);

	if (g->pool.max <= cap)
		return;
	log_warnx("maxWorkers %d exceeds the %d set at start; restart "
	          "aileron to raise it",
	    g->pool.max, cap);
	g->pool.max = cap;
	if (g->pool.start > cap)
		g->pool.start = cap;
	if (g->pool.min_spare > cap)
		g->pool.min_spare = cap;
}

/*
 * Size the scoreboard for twice the larger of maxWorkers and its default,
 * so that a reload may grow a small pool up to the default cap.
 */
static void
master_size_scoreboard(struct master *ms)
{
	struct conf_process dflt;
	struct pool_settings ps;
	int max = ms->cur->pool.max;

	memset(&dflt, 0, sizeof(dflt));
	pool_settings(&dflt, sysconf(_SC_NPROCESSORS_ONLN), &ps);
	if (ps.max > max)
		max = ps.max;
	ms->sb_slots = (size_t)max * 2;
}

/* SIGHUP: load the config again; on success start a new generation. */
static void
master_reload(struct master *ms)
{
	struct generation *g, *old = ms->cur;
	struct conf *c;

	log_info("reloading configuration");
	daemon_home_enter();
	c = conf_load(
	    ms->opts->paths, ms->opts->npaths, master_reload_error, NULL);
	if (c == NULL) {
		daemon_home_leave();
		log_error("reload failed: configuration has errors; "
		          "keeping the running configuration");
		return;
	}
	g = master_gen_new(c, old, old->id + 1);
	daemon_home_leave();
	if (g == NULL) {
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
	scoreboard_reloaded(g->id); /* first: old workers know they are old */
	master_signal_workers(ms, SIGTERM);
	master_cap_pool(ms, g);
	ms->cur = g;
	log_use(c->default_logger);
	logrotate_use(c->file_loggers, c->nfile_loggers);
	ms->next_spawn = 0;
	ms->respawn = 0;
	ms->at_max = 0;
	master_gen_free(
	    old); /* before forking: new workers inherit none of it */
	master_start_workers(ms);
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
	scoreboard_stopping();
	master_signal_workers(ms, SIGTERM);
	/* After the signal, so that no worker waits on a dead listener. */
	listen_shut(ms->cur->listeners, ms->cur->nlisteners);
}

/*
 * Log rotation, on the tick: rotate the files due and tell the workers to
 * reopen; once every worker did (or the wait is over), the archives are
 * moved, compressed and expired in a child process.
 */
static void
master_rotate(struct master *ms)
{
	size_t i;

	if (logrotate_tick(time(NULL)) > 0) {
		ms->rot_gen = log_ack_bump();
		ms->rot_wait = 1;
		ms->rot_deadline = conn_now_ms() + MASTER_ROTATE_WAIT_MS;
		health_signal(ms->cur->conf, SIGUSR1);
		master_signal_workers(ms, SIGUSR1);
	}
	if (!ms->rot_wait)
		return;
	for (i = 0; i < ms->nslots; i++)
		if (!log_ack_done(ms->slots[i].sb, ms->rot_gen))
			break;
	if (i < ms->nslots) {
		if (conn_now_ms() < ms->rot_deadline)
			return;
		log_warnx("worker %ld did not reopen the log files in %d ms; "
		          "archiving anyway",
		    (long)ms->slots[i].pid, MASTER_ROTATE_WAIT_MS);
	}
	ms->rot_wait = 0;
	logrotate_manage();
}

/* SIGUSR1: reopen the log file here, then in every worker. */
static void
master_reopen(struct master *ms)
{
	if (log_reopen() < 0)
		log_warn("reopening the log file");
	else
		log_info("log file reopened");
	health_signal(ms->cur->conf, SIGUSR1);
	master_signal_workers(ms, SIGUSR1);
}

/*
 * Single-process mode (-X) for debuggers: serve in this process, as one
 * worker would, until SIGTERM or SIGINT.  No reload, no respawn.
 */
static int
master_single(struct master *ms)
{
	struct worker_env env;
	size_t i;

	close(ms->master_pipe[0]);
	close(ms->master_pipe[1]);
	if (scoreboard_init(1) < 0)
		return 1;
	for (i = 0; i < ms->cur->nlisteners; i++)
		log_info("server started. listening on %s (single process)",
		    ms->cur->listeners[i].name);
	master_worker_env(ms->cur, &env);
	env.single = 1;
	env.sb_slot = scoreboard_claim(ms->cur->id);
	setproctitle("single process");
	if (ms->opts->ready != NULL)
		ms->opts->ready();
	daemon_privs_drop(&ms->cur->privs);
	worker_run(&env);
}

/*
 * The wake pipe: a worker that queued a connection while no worker takes
 * it writes a byte; O_ASYNC turns that into SIGIO for the master, which
 * waits in sigsuspend() (and may have other credentials than workers).
 */
static void
master_wake_open(struct master *ms)
{
	if (pipe2(ms->wake_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		fatal("pipe2");
	if (fcntl(ms->wake_pipe[0], F_SETOWN, getpid()) < 0 ||
	    fcntl(ms->wake_pipe[0], F_SETFL, O_NONBLOCK | O_ASYNC) < 0)
		log_warn("wake pipe: no SIGIO, the pool grows on the tick");
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
	master_block_signals(&old);
	master_raise_nofile();
	if (pipe2(ms.master_pipe, O_CLOEXEC) < 0)
		fatal("pipe2");
	ms.wake_pipe[0] = ms.wake_pipe[1] = -1;
	daemon_home_enter();
	ms.cur = master_gen_new(c, NULL, 1);
	daemon_home_leave();
	if (ms.cur == NULL) {
		conf_free(c);
		return 1;
	}
	if (opts->single) {
		sigprocmask(SIG_SETMASK, &old, NULL); /* the worker's own */
		return master_single(&ms);
	}
	master_size_scoreboard(&ms);
	master_wake_open(&ms);
	if (scoreboard_init(ms.sb_slots) < 0)
		return 1;
	if (log_ack_init(ms.sb_slots) < 0)
		fatal("mmap");
	/* AILERON starts each run in a new file: archive the last one. */
	logrotate_use(ms.cur->conf->file_loggers, ms.cur->conf->nfile_loggers);
	(void)logrotate_startup();
	logrotate_manage(); /* AILERON manages the archives at start too */
	setproctitle("master");
	master_signals();
	for (i = 0; i < ms.cur->nlisteners; i++)
		log_info("server started. listening on %s",
		    ms.cur->listeners[i].name);
	/* Ready once listening: workers must not inherit a daemon's stdio. */
	if (opts->ready != NULL)
		opts->ready();
	master_start_workers(&ms);
	for (;;) {
		int tick;

		sigsuspend(&old);
		if (master_sig_chld) {
			master_sig_chld = 0;
			master_reap(&ms);
		}
		if (master_sig_quit && !ms.stopping) {
			log_info("fast stop: killing %zu workers", ms.nslots);
			ms.stopping = 1;
			ms.stop_deadline = INT64_MAX;
			master_signal_workers(&ms, SIGKILL);
		}
		if (master_sig_term && !ms.stopping)
			master_begin_stop(&ms);
		if (master_sig_hup) {
			master_sig_hup = 0;
			if (!ms.stopping)
				master_reload(&ms);
		}
		if (master_sig_usr1) {
			master_sig_usr1 = 0;
			master_reopen(&ms);
		}
		tick = master_sig_alrm;
		master_sig_alrm = 0;
		if (tick && !ms.stopping)
			master_rotate(&ms);
		if (master_sig_io && ms.stopping)
			master_sig_io = 0;
		if (ms.stopping) {
			if (ms.nslots == 0)
				break;
			if (conn_now_ms() >= ms.stop_deadline) {
				log_warnx("graceful period over: killing %zu "
				          "workers",
				    ms.nslots);
				master_signal_workers(&ms, SIGKILL);
				ms.stop_deadline = INT64_MAX;
			}
			continue;
		}
		master_maintain(&ms, tick);
	}
	/* No worker writes any more: archive what the last rotation made. */
	logrotate_stop();
	logrotate_use(NULL, 0);
	master_gen_free(ms.cur);
	free(ms.slots);
	log_info("stopped");
	return 0;
}
