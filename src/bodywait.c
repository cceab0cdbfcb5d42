/* Request bodies read while the connection is parked, before a worker commits to the request. */
#include <errno.h>
#include <string.h>

#include "bodywait.h"

/* Is the body of m in buf[0..len) complete (or the framing bad)? */
static int
bodywait_complete(struct bodywait *bw, const struct http_msg *m,
    const char *buf, size_t len, uint32_t max_trailer)
{
	size_t avail = len - m->head_len, used = 0;
	int rc;

	switch (m->body) {
	case HTTP_BODY_LENGTH:
		return avail >= m->content_length;
	case HTTP_BODY_CHUNKED:
		if (!bw->started) {
			http_chunked_init(&bw->ch, max_trailer);
			bw->started = 1;
		}
		if (avail == bw->seen)
			return 0;
		rc = http_chunked_parse(&bw->ch, buf + m->head_len + bw->seen,
		    avail - bw->seen, &used, NULL);
		bw->seen = avail;
		return rc != HTTP_CHUNK_AGAIN;
	default:
		return 1;
	}
}

int
bodywait_read(struct bodywait *bw, struct io *io, const struct http_msg *m,
    char *buf, size_t *len, size_t cap, uint32_t max_trailer)
{
	for (;;) {
		size_t want = cap - *len;
		ssize_t r;

		if (*len >= cap ||
		    bodywait_complete(bw, m, buf, *len, max_trailer))
			return HTTP_PARSE_DONE;
		/* Never read past a Content-Length body: pipelined bytes. */
		if (m->body == HTTP_BODY_LENGTH &&
		    m->head_len + m->content_length - *len < want)
			want = (size_t)(m->head_len + m->content_length - *len);
		r = conn_read_now(io, buf + *len, want);
		if (r == 0)
			return -1;
		if (r < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
			/* Decrypted bytes are invisible to poll(). */
			if (conn_pending(io) > 0)
				continue;
			/*
			 * A client that waits for "100 Continue" sends nothing
			 * until asked: the worker takes the request, and its
			 * middleware may answer (401, 413) before a handler
			 * asks for the body (RFC 9110, section 10.1.1).
			 */
			if (m->expect_continue && *len == m->head_len)
				return HTTP_PARSE_DONE;
			return HTTP_PARSE_AGAIN;
		}
		*len += (size_t)r;
	}
}
