/* Listening sockets: bound in the master, inherited by workers, kept across reloads. */
#ifndef AILERON_LISTEN_H
#define AILERON_LISTEN_H

#include <sys/socket.h>

#include "conf.h"

struct listener {
	int fd;
	struct conf_server *srv; /* the server of the current generation */
	struct sockaddr_storage ss;
	socklen_t sslen;
	char name[128]; /* "[::]:8080" or "unix:/run/x.sock" for logs */
};

/*
 * Bind one listener per server of c.  Sockets already open in old
 * (nold entries, may be NULL) for the same address are reused and taken
 * out of old (fd set to -1).  Returns a malloc'd array of c->nservers
 * listeners, or NULL after logging the error.
 */
struct listener *listen_open(struct conf *c, struct listener *old, size_t nold);

/*
 * Close every fd still open in ls (removing the files of Unix sockets)
 * and free the array; accepts NULL.  Master only.
 */
void listen_close(struct listener *ls, size_t n);

/*
 * On stop: shut the listening sockets down for every process that shares
 * them (Linux stops listening on shutdown(2), even with other copies
 * open), so new clients are refused at once instead of waiting in a
 * backlog nobody serves; then close ours (fds become -1, ls stays).
 */
void listen_shut(struct listener *ls, size_t n);

#endif
