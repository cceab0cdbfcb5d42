/* Daemon life: detaching, the pid file, signalling a running master, privileges. */
#ifndef AILERON_DAEMON_H
#define AILERON_DAEMON_H

#include <sys/types.h>

#include "conf.h"

/* Supplementary groups resolved by the master; more are looked up by each worker. */
#define DAEMON_MAX_GROUPS 64

/* Who the workers run as. */
struct daemon_privs {
	int drop; /* switch to uid/gid in each worker */
	uid_t uid;
	gid_t gid;
	char user[64];
	int ngroups; /* groups[] of user, or -1: initgroups() in the worker */
	gid_t groups[DAEMON_MAX_GROUPS];
};

/*
 * Resolve processConfig user, group and allowRootWorkers into pv.
 * Started as root without a user, workers run as "nobody"; a root user
 * needs allowRootWorkers.  Not started as root, user and group are
 * ignored with a warning.  Returns -1 after logging an error.
 */
int daemon_privs_resolve(const struct conf_process *p, struct daemon_privs *pv);

/* In a new worker: take pv's groups, gid and uid; exits 1 on failure. */
void daemon_privs_drop(const struct daemon_privs *pv);

/*
 * Detach: fork, and in the child start a new session and chdir("/").  The
 * parent waits until the child calls daemon_ready() and exits 0, or exits
 * 1 if the child dies first.  Returns in the child only.
 */
void daemon_detach(void);

/*
 * The daemon lives in "/", but the relative paths of its config (rootDir,
 * logDir, credential files, ...) mean the directory it was started in,
 * as in the foreground: the master enters that directory while it loads
 * a config and builds a generation from it, and leaves it after.  No-ops
 * without daemon_detach().
 */
void daemon_home_enter(void);
void daemon_home_leave(void);
/* Startup succeeded: release the waiting parent, stdio to /dev/null. */
void daemon_ready(void);

/*
 * Create and lock the pid file at path and write our pid into it; it stays
 * locked for the life of this process and is removed at exit.  Returns -1
 * after printing an error (another instance holds it, or an I/O error).
 */
int daemon_pidfile_create(const char *path);

/* Remove the pid file if this process created it. */
void daemon_pidfile_remove(void);

/*
 * Send sig to the master that holds the pid file at path.  Returns 0, or
 * 1 after printing why not (not running, no permission).
 */
int daemon_pidfile_signal(const char *path, int sig);

#endif
