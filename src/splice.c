/* Zero-copy relay of a known number of bytes between two sockets via a pipe. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "conn.h"
#include "splice.h"

#define SPLICE_CHUNK     (1024 * 1024) /* at most this much per splice(2) call */
#define SPLICE_PIPE_SIZE (256 * 1024)  /* pipe capacity (default 64 KiB) */

void
splice_init(struct splice_pipe *p)
{
	p->fd[0] = p->fd[1] = -1;
}

void
splice_close(struct splice_pipe *p)
{
	if (p->fd[0] >= 0)
		close(p->fd[0]);
	if (p->fd[1] >= 0)
		close(p->fd[1]);
	splice_init(p);
}

/* Move up to n bytes from fd in to fd out; >0 moved, 0 EOF, -1 errno. */
static ssize_t
splice_step(int in, int out, size_t n)
{
	ssize_t r;

	do
		r = splice(
		    in, NULL, out, NULL, n, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	while (r < 0 && errno == EINTR);
	return r;
}

int
splice_relay(
    struct splice_pipe *p, int in, int out, uint64_t n, int64_t deadline)
{
	size_t inpipe = 0; /* bytes read into the pipe, not yet written */
	int err, w;

	if (p->fd[0] < 0) {
		if (pipe2(p->fd, O_NONBLOCK | O_CLOEXEC) < 0) {
			splice_init(p);
			return -1;
		}
		(void)fcntl(p->fd[0], F_SETPIPE_SZ, SPLICE_PIPE_SIZE);
	}
	while (n > 0 || inpipe > 0) {
		int progress = 0;
		ssize_t r;

		if (n > 0) {
			r = splice_step(in, p->fd[1],
			    n < SPLICE_CHUNK ? (size_t)n : SPLICE_CHUNK);
			if (r == 0) {
				errno = ECONNRESET; /* body ended early */
				goto fail;
			}
			if (r > 0) {
				n -= (uint64_t)r;
				inpipe += (size_t)r;
				progress = 1;
			} else if (errno != EAGAIN)
				goto fail;
		}
		if (inpipe > 0) {
			r = splice_step(p->fd[0], out, inpipe);
			if (r > 0) {
				inpipe -= (size_t)r;
				progress = 1;
			} else if (r == 0 || errno != EAGAIN) {
				if (r == 0)
					errno = EPIPE;
				goto fail;
			}
		}
		if (progress)
			continue;
		/* Both sides would block (or the pipe is full): wait. */
		if (inpipe > 0)
			w = conn_wait(out, POLLOUT, deadline, -1);
		else
			w = conn_wait(in, POLLIN, deadline, -1);
		if (w <= 0) {
			if (w == 0)
				errno = ETIMEDOUT;
			goto fail;
		}
	}
	return 0;
fail:
	err = errno;
	splice_close(p);
	errno = err;
	return -1;
}
