/* Worker process: accept connections, park idle ones, serve each request that is ready. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "pages.h"
#include "pipeline.h"
#include "netacl.h"
#include "proxy.h"
#include "scoreboard.h"
#include "worker.h"

/*
 * How many client connections one worker keeps: idle keep-alive
 * connections and connections still sending their request head wait
 * here, polled together, so they cost a file descriptor and not a process.
 */
#define WORKER_MAX_CLIENTS 512
/* No taker for a parked connection now: look again after this long. */
#define WORKER_WATCH_RECHECK_MS 100

/*
 * When the watch hands parked connections with a request waiting to
 * idle workers.  Behind a slow upstream (recent responses took
 * WORKER_SLOW_UPSTREAM_US or more) at once: the request would wait a
 * whole upstream response otherwise.  5 ms: a fast upstream on a
 * machine whose CPUs are short answers eight requests in a row that
 * slowly only when the machine is overloaded; a 10 ms one always does.
 * Behind a fast one only once the current work lasted
 * WORKER_WATCH_AFTER_MS (a long stream or a tunnel does): the request is
 * served here soon, and moving it costs more than it saves (and a busy
 * pool would grow for nothing).
 */
#define WORKER_SLOW_UPSTREAM_US 5000
#define WORKER_WATCH_AFTER_MS   20

/*
 * A worker that queues a waiting connection while this many are queued
 * (its own included) wakes the master: idle workers are short.
 */
#define WORKER_WAKE_DEPTH 2

/*
 * Told to stop, a worker gives its idle keep-alive connections this long
 * for a request already on its way (answered with "Connection: close")
 * before it closes them: a client reusing a connection just as a reload
 * happens is served, not reset.
 */
#define WORKER_STOP_GRACE_MS 500

/*
 * Out of descriptors (accept() fails with EMFILE or ENFILE), a worker stops
 * accepting for this long, as nginx does: the listener stays readable, so
 * retrying at once would spin and log without end.  Parked connections are
 * served meanwhile, and one line is logged per pause.
 */
#define WORKER_ACCEPT_PAUSE_MS 500

/*
 * A worker that served nothing for this long gives back the memory its
 * requests dirtied (proxy_trim_idle), once per idle spell: after a burst
 * the pool's idle workers hold a few pages each, not their buffers.
 */
#define WORKER_TRIM_IDLE_MS 1000

/*
 * What travels with a handed-off connection (the fd goes as SCM_RIGHTS).
 * The queue outlives generations (a reload hands idle connections to the
 * new one), so the listener is named by its address, not its index.
 */
struct worker_handoff_msg {
	uint32_t lsslen;
	uint32_t nreq;
	uint32_t waiting; /* a request waits: counted in the scoreboard */
	struct sockaddr_storage lss; /* the listener's address */
	struct sockaddr_storage ss;  /* the peer's */
};

static struct worker *worker_self; /* for the watch of conn_wait() */

static volatile sig_atomic_t worker_stop, worker_reopen_failed;
static int worker_stop_pipe[2] = { -1, -1 };

/* The small fields first: with few connections, one page is written. */
struct worker {
	const struct worker_env *env;
	struct proxy *px;
	size_t nclients;
	struct pollfd *pfd;
	size_t npfd;           /* entries of pfd */
	int64_t accept_resume; /* out of descriptors: no accept() before this */
	int handoff_full; /* a handoff failed: keep the rest this request */
	int slow;         /* the upstream is slow: the watch starts at once */
	int64_t active;   /* when poll() last found something to do */
	int trimmed;      /* proxy_trim_idle() ran since then */
	struct client *clients[WORKER_MAX_CLIENTS];
};

/* SIGTERM (and SIGINT, SIGQUIT with -X): finish the request, then exit. */
static void
worker_on_stop(int sig)
{
	int saved = errno;

	(void)sig;
	worker_stop = 1;
	if (worker_stop_pipe[1] >= 0 && write(worker_stop_pipe[1], "x", 1) < 0)
		worker_stop = 1; /* pipe full: it is readable already */
	errno = saved;
}

/*
 * SIGUSR1: reopen the log files at once, in the handler (open and dup3
 * are async-signal-safe), so that no line goes to a rotated file after
 * the master asked; failures are logged between requests.
 */
static void
worker_on_usr1(int sig)
{
	(void)sig;
	if (log_reopen_async() > 0)
		worker_reopen_failed = 1;
}

/* Install the worker's signal dispositions and unblock signals. */
static void
worker_signals(int single)
{
	struct sigaction sa;
	sigset_t set;

	if (pipe2(worker_stop_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		fatal("pipe2");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	if (single) {
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGQUIT, &sa, NULL);
	}
	sa.sa_handler = worker_on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	/* Ctrl-C reaches the whole group: the master coordinates the stop. */
	sa.sa_handler = SIG_IGN;
	if (!single) {
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGQUIT, &sa, NULL);
	}
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
}

/* Index of the listener whose server is srv, or -1. */
static int
worker_listener_index(const struct worker *w, const struct conf_server *srv)
{
	size_t i;

	for (i = 0; i < w->env->nlisteners; i++)
		if (w->env->listeners[i].srv == srv)
			return (int)i;
	return -1;
}

/* Control buffer for one passed descriptor. */
union worker_cmsg {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(int))];
};

/* Point mh at one handoff message and a control buffer for one fd. */
static void
worker_handoff_msghdr(struct msghdr *mh, struct iovec *iov,
    struct worker_handoff_msg *hm, union worker_cmsg *cbuf)
{
	memset(mh, 0, sizeof(*mh));
	memset(cbuf, 0, sizeof(*cbuf));
	iov->iov_base = hm;
	iov->iov_len = sizeof(*hm);
	mh->msg_iov = iov;
	mh->msg_iovlen = 1;
	mh->msg_control = cbuf->buf;
	mh->msg_controllen = sizeof(cbuf->buf);
}

/*
 * Send one idle client to the handoff queue; 0 when it went.  waiting:
 * it has a request waiting behind a slow upstream, so it counts as
 * demand for workers.
 */
static int
worker_handoff_send(struct worker *w, struct client *cl, int waiting)
{
	struct worker_handoff_msg hm;
	union worker_cmsg cbuf;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *cm;
	socklen_t len = sizeof(hm.ss);
	int li = worker_listener_index(w, cl->srv);

	if (li < 0 ||
	    getpeername(cl->io.fd, (struct sockaddr *)&hm.ss, &len) < 0)
		return -1;
	memset(&hm.lss, 0, sizeof(hm.lss));
	memcpy(&hm.lss, &w->env->listeners[li].ss, w->env->listeners[li].sslen);
	hm.lsslen = (uint32_t)w->env->listeners[li].sslen;
	hm.nreq = cl->nreq;
	hm.waiting = waiting != 0;
	worker_handoff_msghdr(&mh, &iov, &hm, &cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &cl->io.fd, sizeof(int));
	if (sendmsg(w->env->handoff[1], &mh, MSG_DONTWAIT | MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(hm))
		return -1;
	/*
	 * Another connection is still queued: idle workers are short, so
	 * the master should grow the pool now (one wake until it looked).
	 */
	if (waiting && scoreboard_handoff_sent() >= WORKER_WAKE_DEPTH &&
	    w->env->wake_fd >= 0 && scoreboard_wake_claim() &&
	    write(w->env->wake_fd, "w", 1) < 0)
		return 0; /* the pipe is full: the master has been woken */
	return 0;
}

/* Whether parked client cl can move to another worker. */
static int
worker_can_hand_off(const struct client *cl)
{
	/* A partial head's bytes are here; TLS state does not travel; a
	 * lingering close stays where it is. */
	return cl->saved_len == 0 && cl->io.ssl == NULL && !cl->lingering;
}

/* Hand parked client i to the queue; 0 when it went (and is gone here). */
static int
worker_hand_off(struct worker *w, size_t i, int waiting)
{
	if (worker_handoff_send(w, w->clients[i], waiting) < 0) {
		w->handoff_full = 1;
		return -1;
	}
	proxy_client_free(
	    w->clients[i]); /* our copy; the receiver has its own */
	w->clients[i] = w->clients[--w->nclients];
	return 0;
}

/* Hand every idle parked connection to the queue, for the siblings. */
static void
worker_hand_off_idle(struct worker *w)
{
	size_t i = w->nclients;

	if (w->env->handoff[1] < 0)
		return;
	while (i-- > 0)
		if (worker_can_hand_off(w->clients[i]) &&
		    worker_hand_off(w, i, 0) < 0)
			break;
}

/*
 * The watch, first half: while this worker is busy with a request, poll
 * its parked connections that could move, too.
 */
static size_t
worker_watch_fill(struct pollfd *pfd, size_t max)
{
	struct worker *w = worker_self;
	size_t i, n = 0;

	/* Stopping, the queue has no takers: keep them. */
	if (w == NULL || w->env->handoff[1] < 0 || w->handoff_full ||
	    worker_stop || !scoreboard_serving())
		return 0;
	for (i = 0; i < w->nclients && n < max; i++) {
		if (!worker_can_hand_off(w->clients[i]))
			continue;
		pfd[n].fd = w->clients[i]->io.fd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		n++;
	}
	/*
	 * With every worker busy and the pool at its cap, a handoff would
	 * only move the wait (through the queue, at the cost of two more
	 * wake-ups): keep them for after this request, and look again in a
	 * while, should a worker be idle then.
	 */
	if (n > 0 && !scoreboard_idle_elsewhere()) {
		conn_set_watch_after(WORKER_WATCH_RECHECK_MS);
		return 0;
	}
	return n;
}

/*
 * The watch, second half: a parked connection sent its next request (or
 * closed) while this worker is busy: hand it to an idle worker now.
 */
static void
worker_watch_ready(const struct pollfd *pfd, size_t n)
{
	struct worker *w = worker_self;
	size_t i, j;

	for (i = 0; i < n && !w->handoff_full; i++) {
		if (pfd[i].revents == 0)
			continue;
		/* A descriptor names one parked connection of this worker. */
		for (j = 0; j < w->nclients; j++)
			if (w->clients[j]->io.fd == pfd[i].fd) {
				(void)worker_hand_off(w, j, w->slow);
				break;
			}
	}
}

/* Take one handed-off connection from the queue and serve it. */
static void worker_run_client(struct worker *w, struct client *cl);

static void
worker_handoff_take(struct worker *w)
{
	struct worker_handoff_msg hm;
	union worker_cmsg cbuf;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *cm;
	struct client *cl;
	size_t li;
	int fd = -1;

	worker_handoff_msghdr(&mh, &iov, &hm, &cbuf);
	if (recvmsg(w->env->handoff[0], &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) !=
	    (ssize_t)sizeof(hm))
		return;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm == NULL || cm->cmsg_type != SCM_RIGHTS)
		return;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (hm.waiting)
		scoreboard_handoff_taken();
	/* Our listener for the same address (a reload may have removed it). */
	for (li = 0; li < w->env->nlisteners; li++)
		if (w->env->listeners[li].sslen == hm.lsslen &&
		    memcmp(&w->env->listeners[li].ss, &hm.lss, hm.lsslen) == 0)
			break;
	if (li == w->env->nlisteners) {
		close(fd);
		return;
	}
	cl = proxy_client_new(
	    fd, (struct sockaddr *)&hm.ss, w->env->listeners[li].srv);
	if (cl == NULL) {
		close(fd);
		return;
	}
	cl->nreq = hm.nreq;
	cl->deadline = conn_deadline(cl->srv->idle_timeout);
	worker_run_client(w, cl);
}

/* Close client cl for good (not handed off): count its bytes. */
static void
worker_close(struct client *cl)
{
	scoreboard_conn_end(cl->io.fd);
	proxy_client_free(cl);
}

/* Remove client i (closing it). */
static void
worker_drop(struct worker *w, size_t i)
{
	worker_close(w->clients[i]);
	w->clients[i] = w->clients[--w->nclients];
}

/* Run client cl; keep it parked or free it. */
static void
worker_run_client(struct worker *w, struct client *cl)
{
	scoreboard_set_state(SB_READING);
	w->slow = scoreboard_upstream_recent_us() >= WORKER_SLOW_UPSTREAM_US;
	conn_set_watch_after(w->slow ? 0 : WORKER_WATCH_AFTER_MS);
	if (proxy_client_run(w->px, cl) == PROXY_PARKED &&
	    w->nclients < WORKER_MAX_CLIENTS)
		w->clients[w->nclients++] = cl;
	else
		worker_close(cl);
}

/* Accept one connection from listener l and serve what it sent. */
static void
worker_accept(struct worker *w, const struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct client *cl;
	int fd;

	fd = accept4(
	    l->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE) {
			log_warn("accept on %s (not accepting for %d ms)",
			    l->name, WORKER_ACCEPT_PAUSE_MS);
			w->accept_resume =
			    conn_deadline(WORKER_ACCEPT_PAUSE_MS);
		} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR && errno != ECONNABORTED)
			log_warn("accept on %s", l->name);
		return;
	}
	/* listenConfig.networks: others are closed unanswered, as AILERON. */
	if (!netacl_allows(&l->srv->networks, (struct sockaddr *)&ss)) {
		close(fd);
		return;
	}
	scoreboard_accepted();
	if ((cl = proxy_client_new(fd, (struct sockaddr *)&ss, l->srv)) ==
	    NULL) {
		close(fd);
		return;
	}
	worker_run_client(w, cl);
}

/* Milliseconds until the earliest parked deadline (at most 1000). */
static int
worker_timeout(const struct worker *w, int64_t now)
{
	int64_t t = 1000;
	size_t i;

	if (w->accept_resume > now && w->accept_resume - now < t)
		t = w->accept_resume - now;
	for (i = 0; i < w->nclients; i++) {
		int64_t d = w->clients[i]->deadline;

		if (d != 0 && d - now < t)
			t = d - now < 0 ? 0 : d - now;
	}
	return (int)t;
}

/* Close parked connections whose deadline passed (idle or slow heads). */
static void
worker_expire(struct worker *w, int64_t now)
{
	size_t i = w->nclients;

	while (i-- > 0)
		if (w->clients[i]->deadline != 0 &&
		    w->clients[i]->deadline <= now) {
			proxy_client_expire(w->px, w->clients[i]);
			worker_drop(w, i);
		}
}

/*
 * Serve the parked clients that poll() found readable.  They stay parked
 * until their turn, so while one waits on its upstream the watch may hand
 * the others to idle workers; those are gone when their turn comes.
 */
static void
worker_serve_ready(struct worker *w, size_t first, size_t nparked)
{
	struct client *ready[WORKER_MAX_CLIENTS];
	size_t i, j, n = 0;

	for (i = 0; i < nparked; i++)
		if (w->pfd[first + i].revents != 0)
			ready[n++] = w->clients[i];
	for (i = 0; i < n; i++) {
		for (j = 0; j < w->nclients; j++)
			if (w->clients[j] == ready[i])
				break;
		if (j == w->nclients)
			continue; /* handed off meanwhile */
		w->clients[j] = w->clients[--w->nclients];
		worker_run_client(w, ready[i]);
	}
}

/*
 * On stop: a worker that stops alone (pool shrink, maxRequestsPerWorker)
 * hands its idle keep-alive connections to its siblings, and a worker of
 * an old generation to the new one (after a reload); when the server
 * stops they get a short grace, then close.  Heads and bodies in progress
 * and new connections that have not sent their first request yet are
 * kept (served, or they time out).
 */
static void
worker_drop_idle(struct worker *w)
{
	int64_t grace = conn_deadline(WORKER_STOP_GRACE_MS);
	size_t i;

	if (!w->env->single && scoreboard_serving())
		worker_hand_off_idle(w);
	i = w->nclients;
	while (i-- > 0) {
		struct client *cl = w->clients[i];

		if (cl->saved_len == 0 && cl->nreq > 0 &&
		    (cl->deadline == 0 || cl->deadline > grace))
			cl->deadline = grace;
	}
}

/* One round: poll listeners, control pipes and parked clients. */
static int
worker_round(struct worker *w)
{
	const struct worker_env *env = w->env;
	size_t i, n = env->nlisteners, nfds, nparked = w->nclients;
	int64_t now = conn_now_ms();
	int accepting = !worker_stop && w->nclients < WORKER_MAX_CLIENTS &&
	    now >= w->accept_resume;
	int rc;

	if (worker_reopen_failed) {
		worker_reopen_failed = 0;
		log_warnx("reopening the log file failed");
	}
	scoreboard_set_state(SB_IDLE);
	w->handoff_full = 0;
	for (i = 0; i < n; i++) {
		w->pfd[i].fd = accepting ? env->listeners[i].fd : -1;
		w->pfd[i].events = POLLIN;
	}
	w->pfd[n].fd = worker_stop_pipe[0];
	w->pfd[n].events = POLLIN;
	w->pfd[n + 1].fd = env->master_fd;
	w->pfd[n + 1].events = POLLIN;
	w->pfd[n + 2].fd = accepting ? env->handoff[0] : -1;
	w->pfd[n + 2].events = POLLIN;
	for (i = 0; i < nparked; i++) {
		w->pfd[n + 3 + i].fd = w->clients[i]->io.fd;
		w->pfd[n + 3 + i].events = POLLIN;
	}
	nfds = n + 3 + nparked;
	rc = poll(w->pfd, (nfds_t)nfds, worker_timeout(w, now));
	if (rc < 0 && errno != EINTR)
		fatal("poll");
	if (rc > 0 && w->pfd[n + 1].revents != 0) {
		log_warnx("master went away, exiting");
		return -1;
	}
	if (rc > 0) {
		w->active = now;
		w->trimmed = 0;
		worker_serve_ready(w, n + 3, nparked);
		if (accepting && (w->pfd[n + 2].revents & POLLIN))
			worker_handoff_take(w);
		for (i = 0; i < n && accepting; i++)
			if ((w->pfd[i].revents & POLLIN) && !worker_stop &&
			    w->accept_resume <= now)
				worker_accept(w, &env->listeners[i]);
	}
	worker_expire(w, conn_now_ms());
	if (rc == 0 && !w->trimmed &&
	    conn_now_ms() - w->active >= WORKER_TRIM_IDLE_MS) {
		proxy_trim_idle(w->px);
		w->trimmed = 1;
	}
	if (worker_stop) {
		worker_drop_idle(w);
		if (w->nclients == 0)
			return -1;
	}
	proxy_expire_idle(w->px);
	return 0;
}

void
worker_run(const struct worker_env *env)
{
	struct worker *w;

	log_procname("worker");
	log_ack_slot(env->single ? -1 : env->sb_slot);
	worker_signals(env->single);
	scoreboard_attach(env->sb_slot, env->max_requests, &worker_stop);
	/* Not on the stack: its 12 KiB would all be written to zero it. */
	if ((w = pages_alloc(sizeof(*w))) == NULL)
		fatal("mmap");
	w->env = env;
	w->npfd = env->nlisteners + 3 + WORKER_MAX_CLIENTS;
	if ((w->pfd = pages_alloc(w->npfd * sizeof(*w->pfd))) == NULL)
		fatal("mmap");
	if (pipeline_worker_init(env->pipeline) < 0)
		fatalx("worker: cannot set up the handlers");
	w->px = proxy_new(env->conf, env->pipeline, &worker_stop);
	worker_self = w;
	conn_set_watch(
	    worker_watch_fill, worker_watch_ready, WORKER_WATCH_AFTER_MS);
	while (worker_round(w) == 0)
		;
	while (w->nclients > 0)
		worker_drop(w, w->nclients - 1);
	proxy_free(w->px);
	pages_free(w->pfd, w->npfd * sizeof(*w->pfd));
	pages_free(w, sizeof(*w));
	exit(0);
}
