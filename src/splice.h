/* Zero-copy relay of a known number of bytes between two sockets via a pipe. */
#ifndef AILERON_SPLICE_H
#define AILERON_SPLICE_H

#include <stdint.h>

/* A pipe reused for every relay of one worker; fds are -1 until first use. */
struct splice_pipe {
	int fd[2];
};

/* Mark p as not open yet. */
void splice_init(struct splice_pipe *p);

/* Close p's pipe (if open). */
void splice_close(struct splice_pipe *p);

/*
 * Move exactly n bytes from socket in to socket out with splice(2), waiting
 * (up to deadline, 0 = none) whenever either side would block.  Returns 0
 * once all n bytes were written to out, -1 on error with errno set
 * (ETIMEDOUT, ECONNRESET when in ended early); after an error the pipe is
 * closed so that no stale bytes can reach the next relay.
 */
int splice_relay(
    struct splice_pipe *p, int in, int out, uint64_t n, int64_t deadline);

#endif
