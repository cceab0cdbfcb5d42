/* Socket I/O with deadlines over plain TCP or TLS: non-blocking fds, poll() only when a call would block. */
#ifndef AILERON_CONN_H
#define AILERON_CONN_H

#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

typedef struct ssl_st SSL;

/* One end of a connection: a non-blocking socket, with TLS when ssl is set. */
struct io {
	int fd;
	SSL *ssl; /* NULL: plain TCP */
};

/* Monotonic clock in milliseconds. */
int64_t conn_now_ms(void);

/* Deadline ms from now, or 0 (none) when ms <= 0. */
int64_t conn_deadline(int64_t ms);

/*
 * Deadline ms after start, or 0 (none) when ms <= 0; saturates at
 * INT64_MAX, so the longest timeouts mean "very long", never an overflow.
 */
int64_t conn_deadline_from(int64_t start, int64_t ms);

/*
 * Wait until fd is ready for events or the deadline (0 = none) passes.
 * If stop_fd >= 0 it is watched too.  Returns 1 when fd is ready, 0 on
 * timeout, 2 when stop_fd became readable, -1 on error.
 */
int conn_wait(int fd, short events, int64_t deadline, int stop_fd);

/* Descriptors one conn_poll() takes at most. */
#define CONN_POLL_MAX 2

/*
 * poll() on fds[0..nfds) until one is ready (their revents set; returns
 * how many) or the deadline (0 = none) passes (0); -1 on error.  The
 * worker's watch runs meanwhile, as in conn_wait(): a long exchange (a
 * tunnel, a slow stream) does not hold the worker's parked connections.
 */
int conn_poll(struct pollfd *fds, size_t nfds, int64_t deadline);

/* Bytes already decrypted and waiting in io (TLS); 0 for plain TCP. */
int conn_pending(const struct io *io);

/* Read up to n bytes: >0 bytes, 0 at EOF, -1 on error (errno ETIMEDOUT on timeout). */
ssize_t conn_read(struct io *io, void *buf, size_t n, int64_t deadline);

/* Read without waiting: like conn_read, but -1 with errno EAGAIN if nothing is there. */
ssize_t conn_read_now(struct io *io, void *buf, size_t n);

/* Write all n bytes; 0 on success, -1 on error or timeout. */
int conn_write(struct io *io, const void *buf, size_t n, int64_t deadline);

/* Write all of iov (modified); 0 on success, -1 on error or timeout. */
int conn_writev(struct io *io, struct iovec *iov, int iovcnt, int64_t deadline);

/* Connect a new non-blocking TCP socket; returns fd or -1 (ETIMEDOUT). */
int conn_connect(const struct sockaddr *sa, socklen_t salen, int64_t deadline);

/* Run the TLS handshake of io->ssl (client or server side); 0 or -1. */
int conn_handshake(struct io *io, int64_t deadline);

/*
 * Advance the TLS handshake of io->ssl without waiting for the peer: 0
 * when done, -1 with errno EAGAIN when it needs the peer's bytes (poll
 * for POLLIN, then call again), -1 with another errno on failure (EPROTO:
 * the reason is left in OpenSSL's error queue).  If
 * OpenSSL must write and the socket is full, it waits until deadline.
 */
int conn_handshake_now(struct io *io, int64_t deadline);

/* Close io: a best-effort TLS close_notify, then the socket. */
void conn_close(struct io *io);

/* Descriptors a watch may add to one conn_wait() at most. */
#define CONN_WATCH_MAX 512

/*
 * While conn_wait() or conn_poll() blocks, the worker also watches its
 * parked connections: fill puts up to max pollfds at pfd and returns how
 * many; ready gets them back after a poll() that saw any event at all
 * (check revents).  The watch begins after_ms after the worker started
 * its current work (conn_set_watch_after; 0: at once), however many
 * waits that work makes.  A parked connection whose next request arrives
 * is so handed to an idle worker while this request waits, not after it.
 * fill may put the watch off (conn_set_watch_after) and return 0: the
 * wait then looks again at that time.
 */
void conn_set_watch(size_t (*fill)(struct pollfd *pfd, size_t max),
    void (*ready)(const struct pollfd *pfd, size_t n), int after_ms);
/* The worker starts new work: the watch begins after_ms from now. */
void conn_set_watch_after(int after_ms);

/* Prepare an accepted client socket: TCP_NODELAY. */
void conn_setup(int fd);

#endif
