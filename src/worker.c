/* Worker process: accept connections on the inherited listeners and serve them. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "proxy.h"
#include "worker.h"

static volatile sig_atomic_t worker_stop;
static int worker_stop_pipe[2] = { -1, -1 };

/* SIGTERM/SIGINT/SIGQUIT: finish the current request, then exit. */
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

/* Install the worker's signal dispositions and unblock signals. */
static void
worker_signals(void)
{
	struct sigaction sa;
	sigset_t set;

	if (pipe2(worker_stop_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		fatal("pipe2");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	/* Ctrl-C reaches the whole group: the master coordinates the stop. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
}

/* Accept one connection from listener l and serve it to the end. */
static void
worker_accept(struct proxy *px, const struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd;

	fd = accept4(
	    l->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("accept on %s", l->name);
		return;
	}
	proxy_serve(px, fd, (struct sockaddr *)&ss, len, l->srv);
}

void
worker_run(const struct worker_env *env)
{
	struct pollfd *pfd;
	struct proxy *px;
	size_t i, n = env->nlisteners;

	log_procname("worker");
	worker_signals();
	if ((pfd = calloc(n + 2, sizeof(*pfd))) == NULL)
		fatal("calloc");
	for (i = 0; i < n; i++) {
		pfd[i].fd = env->listeners[i].fd;
		pfd[i].events = POLLIN;
	}
	pfd[n].fd = worker_stop_pipe[0];
	pfd[n].events = POLLIN;
	pfd[n + 1].fd = env->master_fd;
	pfd[n + 1].events = POLLIN;
	px = proxy_new(
	    env->conf, env->routes, worker_stop_pipe[0], &worker_stop);
	while (!worker_stop) {
		int rc = poll(pfd, (nfds_t)(n + 2), 1000);

		if (rc < 0 && errno != EINTR)
			fatal("poll");
		if (rc <= 0) {
			proxy_expire_idle(px);
			continue;
		}
		if (pfd[n + 1].revents != 0) {
			log_warnx("master went away, exiting");
			break;
		}
		if (pfd[n].revents != 0)
			break;
		for (i = 0; i < n && !worker_stop; i++) {
			if (pfd[i].revents & POLLIN) {
				worker_accept(px, &env->listeners[i]);
			}
		}
	}
	proxy_free(px);
	free(pfd);
	exit(0);
}
