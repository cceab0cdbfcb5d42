/* Master process: supervise worker generations, reload on SIGHUP, stop on SIGTERM. */
#ifndef AILERON_MASTER_H
#define AILERON_MASTER_H

#include <stddef.h>

#include "conf.h"

struct master_opts {
	char **paths; /* -f arguments */
	size_t npaths;
	int single;          /* -X: serve in the master, no workers */
	void (*ready)(void); /* called once listening and workers started */
};

/* Run the master with an already loaded config c (taken over); returns the exit code. */
int master_run(const struct master_opts *opts, struct conf *c);

/* Report one config error on stdout (the conf_error_fn of the CLI). */
void master_conf_error(void *ctx, const char *msg);

#endif
