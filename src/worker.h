/* Worker process: accept connections on the inherited listeners and serve them. */
#ifndef AILERON_WORKER_H
#define AILERON_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "listen.h"
#include "route.h"

struct pipeline;

/* What a worker inherits from the master at fork. */
struct worker_env {
	struct conf *conf;
	struct routes *routes;
	struct pipeline *pipeline; /* handlers and middleware (pipeline.h) */
	struct listener *listeners;
	size_t nlisteners;
	int master_fd; /* read end of a pipe the master holds open; -1: none */
	int handoff
	    [2]; /* SEQPACKET pair: [1] send idle connections, [0] take */
	unsigned generation;
	int sb_slot;           /* scoreboard slot, -1: none */
	uint64_t max_requests; /* processConfig.maxRequestsPerWorker */
	int single;            /* -X: SIGINT and SIGQUIT stop too */
};

/* Run the worker loop; never returns. */
void worker_run(const struct worker_env *env) __attribute__((noreturn));

#endif
