/* Socket I/O with deadlines: non-blocking fds, poll() only when a call would block. */
#ifndef AILERON_CONN_H
#define AILERON_CONN_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Monotonic clock in milliseconds. */
int64_t conn_now_ms(void);

/* Deadline ms from now, or 0 (none) when ms <= 0. */
int64_t conn_deadline(int64_t ms);

/*
 * Wait until fd is ready for events or the deadline (0 = none) passes.
 * If stop_fd >= 0 it is watched too.  Returns 1 when fd is ready, 0 on
 * timeout, 2 when stop_fd became readable, -1 on error.
 */
int conn_wait(int fd, short events, int64_t deadline, int stop_fd);

/* Read up to n bytes: >0 bytes, 0 at EOF, -1 on error (errno ETIMEDOUT on timeout). */
ssize_t conn_read(int fd, void *buf, size_t n, int64_t deadline);

/* Write all n bytes; 0 on success, -1 on error or timeout. */
int conn_write(int fd, const void *buf, size_t n, int64_t deadline);

/* Write all of iov (modified); 0 on success, -1 on error or timeout. */
int conn_writev(int fd, struct iovec *iov, int iovcnt, int64_t deadline);

/* Connect a new non-blocking TCP socket; returns fd or -1 (ETIMEDOUT). */
int conn_connect(const struct sockaddr *sa, socklen_t salen, int64_t deadline);

/* Prepare an accepted client socket: non-blocking, TCP_NODELAY. */
void conn_setup(int fd);

#endif
