/* Socket I/O with deadlines over plain TCP or TLS: non-blocking fds, poll() only when a call would block. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "conn.h"

#define CONN_TLS_COALESCE 16384 /* writev over TLS: one record when small */

static size_t (*conn_watch_fill)(struct pollfd *, size_t);
static void (*conn_watch_ready)(const struct pollfd *, size_t);
static int64_t conn_watch_from; /* the watch begins then (ms; 0: at once) */

void
conn_set_watch(size_t (*fill)(struct pollfd *, size_t),
    void (*ready)(const struct pollfd *, size_t), int after_ms)
{
	conn_watch_fill = fill;
	conn_watch_ready = ready;
	conn_set_watch_after(after_ms);
}

void
conn_set_watch_after(int after_ms)
{
	conn_watch_from = conn_deadline_from(conn_now_ms(), after_ms);
}

int64_t
conn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
conn_deadline(int64_t ms)
{
	return ms > 0 ? conn_deadline_from(conn_now_ms(), ms) : 0;
}

int64_t
conn_deadline_from(int64_t start, int64_t ms)
{
	if (ms <= 0)
		return 0;
	return ms > INT64_MAX - start ? INT64_MAX : start + ms;
}

int
conn_poll(struct pollfd *fds, size_t nfds, int64_t deadline)
{
	struct pollfd pfd[CONN_POLL_MAX + CONN_WATCH_MAX];
	size_t i, nwatch;
	int timeout, n, ready;

	if (nfds > CONN_POLL_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (;;) {
		int64_t now = conn_now_ms();

		if (deadline == 0)
			timeout = -1;
		else if (deadline <= now)
			return 0;
		else
			timeout = deadline - now > 1000000
			    ? 1000000
			    : (int)(deadline - now);
		nwatch = 0;
		if (conn_watch_fill != NULL && now >= conn_watch_from)
			nwatch = conn_watch_fill(pfd + nfds, CONN_WATCH_MAX);
		/*
		 * Until the watch begins (or begins again: the fill may put
		 * it off), a quick answer moves nothing; then look again.
		 */
		if (conn_watch_fill != NULL && conn_watch_from > now &&
		    (timeout < 0 || timeout > conn_watch_from - now))
			timeout = (int)(conn_watch_from - now);
		for (i = 0; i < nfds; i++) {
			pfd[i] = fds[i];
			pfd[i].revents = 0;
		}
		n = poll(pfd, (nfds_t)(nfds + nwatch), timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			continue; /* recheck the deadline */
		if (nwatch > 0)
			conn_watch_ready(pfd + nfds, nwatch);
		for (i = 0, ready = 0; i < nfds; i++) {
			fds[i].revents = pfd[i].revents;
			ready += pfd[i].revents != 0;
		}
		if (ready > 0)
			return ready;
	}
}

int
conn_wait(int fd, short events, int64_t deadline, int stop_fd)
{
	struct pollfd pfd[2];
	size_t n = 1;
	int rc;

	pfd[0].fd = fd;
	pfd[0].events = events;
	if (stop_fd >= 0) {
		pfd[1].fd = stop_fd;
		pfd[1].events = POLLIN;
		n = 2;
	}
	if ((rc = conn_poll(pfd, n, deadline)) <= 0)
		return rc;
	return n == 2 && pfd[1].revents != 0 ? 2 : 1;
}

int
conn_pending(const struct io *io)
{
	return io->ssl != NULL ? SSL_pending(io->ssl) : 0;
}

/*
 * After a TLS call returned r <= 0: wait for what OpenSSL asks for.
 * Returns 1 to retry, 0 at a clean EOF, -1 on error (errno set).
 */
static int
conn_tls_wait(struct io *io, int r, int64_t deadline)
{
	int err = SSL_get_error(io->ssl, r), w;
	short ev;

	switch (err) {
	case SSL_ERROR_WANT_READ:
		ev = POLLIN;
		break;
	case SSL_ERROR_WANT_WRITE:
		ev = POLLOUT;
		break;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (errno == 0)
			errno = ECONNRESET;
		return -1;
	default:
		ERR_clear_error();
		errno = EPROTO;
		return -1;
	}
	if (deadline < 0) {
		errno = EAGAIN;
		return -1;
	}
	if ((w = conn_wait(io->fd, ev, deadline, -1)) <= 0) {
		if (w == 0)
			errno = ETIMEDOUT;
		return -1;
	}
	return 1;
}

/* Read with a deadline; a negative deadline means "do not wait". */
static ssize_t
conn_read_until(struct io *io, void *buf, size_t n, int64_t deadline)
{
	ssize_t r;
	int w;

	for (;;) {
		if (io->ssl != NULL) {
			ERR_clear_error();
			r = SSL_read(
			    io->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
			if (r > 0)
				return r;
			if ((w = conn_tls_wait(io, (int)r, deadline)) <= 0)
				return w;
			continue;
		}
		r = read(io->fd, buf, n);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (deadline < 0)
			return -1;
		if ((w = conn_wait(io->fd, POLLIN, deadline, -1)) <= 0) {
			if (w == 0)
				errno = ETIMEDOUT;
			return -1;
		}
	}
}

ssize_t
conn_read(struct io *io, void *buf, size_t n, int64_t deadline)
{
	return conn_read_until(io, buf, n, deadline < 0 ? 0 : deadline);
}

ssize_t
conn_read_now(struct io *io, void *buf, size_t n)
{
	return conn_read_until(io, buf, n, -1);
}

/* Write all of buf over TLS. */
static int
conn_tls_write(struct io *io, const void *buf, size_t n, int64_t deadline)
{
	const char *p = buf;
	int r, w;

	while (n > 0) {
		ERR_clear_error();
		r = SSL_write(io->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if ((w = conn_tls_wait(io, r, deadline)) <= 0) {
			if (w == 0)
				errno = EPIPE;
			return -1;
		}
	}
	return 0;
}

/* writev over TLS: small vectors coalesced into one record. */
static int
conn_tls_writev(struct io *io, struct iovec *iov, int iovcnt, int64_t deadline)
{
	char buf[CONN_TLS_COALESCE];
	size_t total = 0, o = 0;
	int i;

	for (i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (total <= sizeof(buf)) {
		for (i = 0; i < iovcnt; i++) {
			if (iov[i].iov_len > 0)
				memcpy(
				    buf + o, iov[i].iov_base, iov[i].iov_len);
			o += iov[i].iov_len;
		}
		return conn_tls_write(io, buf, o, deadline);
	}
	for (i = 0; i < iovcnt; i++)
		if (iov[i].iov_len > 0 &&
		    conn_tls_write(
		        io, iov[i].iov_base, iov[i].iov_len, deadline) < 0)
			return -1;
	return 0;
}

int
conn_write(struct io *io, const void *buf, size_t n, int64_t deadline)
{
	struct iovec iov;

	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = n;
	return conn_writev(io, &iov, 1, deadline);
}

int
conn_writev(struct io *io, struct iovec *iov, int iovcnt, int64_t deadline)
{
	ssize_t r;
	int w;

	if (io->ssl != NULL)
		return conn_tls_writev(io, iov, iovcnt, deadline);
	while (iovcnt > 0) {
		if (iov->iov_len == 0) {
			iov++;
			iovcnt--;
			continue;
		}
		r = writev(io->fd, iov, iovcnt);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
			if ((w = conn_wait(io->fd, POLLOUT, deadline, -1)) <=
			    0) {
				if (w == 0)
					errno = ETIMEDOUT;
				return -1;
			}
			continue;
		}
		while (iovcnt > 0 && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

int
conn_connect(const struct sockaddr *sa, socklen_t salen, int64_t deadline)
{
	int fd, err = 0, w, on = 1;
	socklen_t len = sizeof(err);

	fd = socket(
	    sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (connect(fd, sa, salen) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EINTR)
		goto fail;
	if ((w = conn_wait(fd, POLLOUT, deadline, -1)) <= 0) {
		if (w == 0)
			errno = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		goto fail;
	if (err != 0) {
		errno = err;
		goto fail;
	}
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

int
conn_handshake(struct io *io, int64_t deadline)
{
	int r, w;

	for (;;) {
		ERR_clear_error();
		if ((r = SSL_do_handshake(io->ssl)) == 1)
			return 0;
		if ((w = conn_tls_wait(io, r, deadline)) <= 0) {
			if (w == 0)
				errno = ECONNRESET;
			return -1;
		}
	}
}

int
conn_handshake_now(struct io *io, int64_t deadline)
{
	int r, w, e;

	for (;;) {
		ERR_clear_error();
		if ((r = SSL_do_handshake(io->ssl)) == 1)
			return 0;
		if ((e = SSL_get_error(io->ssl, r)) == SSL_ERROR_WANT_READ) {
			errno = EAGAIN;
			return -1;
		}
		if (e == SSL_ERROR_SSL) {
			/* The reason stays in OpenSSL's queue for the caller. */
			errno = EPROTO;
			return -1;
		}
		if ((w = conn_tls_wait(io, r, deadline)) <= 0) {
			if (w == 0)
				errno = ECONNRESET;
			return -1;
		}
	}
}

void
conn_close(struct io *io)
{
	if (io->ssl != NULL) {
		/* One non-blocking close_notify; never wait for the peer's. */
		ERR_clear_error();
		if (SSL_is_init_finished(io->ssl))
			(void)SSL_shutdown(io->ssl);
		ERR_clear_error();
		SSL_free(io->ssl);
		io->ssl = NULL;
	}
	if (io->fd >= 0)
		close(io->fd);
	io->fd = -1;
}

void
conn_setup(int fd)
{
	int on = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}
