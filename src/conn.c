/* Socket I/O with deadlines: non-blocking fds, poll() only when a call would block. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"

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
	return ms > 0 ? conn_now_ms() + ms : 0;
}

int
conn_wait(int fd, short events, int64_t deadline, int stop_fd)
{
	struct pollfd pfd[2];
	int timeout, n, nfds = 1;

	pfd[0].fd = fd;
	pfd[0].events = events;
	if (stop_fd >= 0) {
		pfd[1].fd = stop_fd;
		pfd[1].events = POLLIN;
		nfds = 2;
	}
	for (;;) {
		if (deadline == 0)
			timeout = -1;
		else {
			int64_t left = deadline - conn_now_ms();

			if (left <= 0)
				return 0;
			timeout = left > 1000000 ? 1000000 : (int)left;
		}
		n = poll(pfd, (nfds_t)nfds, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			continue; /* recheck the deadline */
		if (nfds == 2 && pfd[1].revents != 0)
			return 2;
		return 1;
	}
}

ssize_t
conn_read(int fd, void *buf, size_t n, int64_t deadline)
{
	ssize_t r;
	int w;

	for (;;) {
		r = read(fd, buf, n);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if ((w = conn_wait(fd, POLLIN, deadline, -1)) <= 0) {
			if (w == 0)
				errno = ETIMEDOUT;
			return -1;
		}
	}
}

int
conn_write(int fd, const void *buf, size_t n, int64_t deadline)
{
	struct iovec iov;

	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = n;
	return conn_writev(fd, &iov, 1, deadline);
}

int
conn_writev(int fd, struct iovec *iov, int iovcnt, int64_t deadline)
{
	ssize_t r;
	int w;

	while (iovcnt > 0) {
		if (iov->iov_len == 0) {
			iov++;
			iovcnt--;
			continue;
		}
		r = writev(fd, iov, iovcnt);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
			if ((w = conn_wait(fd, POLLOUT, deadline, -1)) <= 0) {
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

void
conn_setup(int fd)
{
	int on = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}
