/* Request bodies read while the connection is parked, before a worker commits to the request. */
#ifndef AILERON_BODYWAIT_H
#define AILERON_BODYWAIT_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "http_parse.h"

/*
 * How many body bytes a parked request may gather before a worker takes
 * it (per connection, on top of the head; httpConfig.requestBodyBuffer):
 * a slow body costs a descriptor and this much memory, not a process.
 */
#define BODYWAIT_DEFAULT (64 * 1024)
#define BODYWAIT_MAX     (1024 * 1024)

/* Where the wait for one request's body stands (kept while parked). */
struct bodywait {
	int started;            /* chunked: ch initialised */
	size_t seen;            /* chunked: body bytes walked so far */
	struct http_chunked ch; /* chunked: parser state after seen */
};

/*
 * Read the body of request m (head complete in buf[0..*len)) without
 * waiting, into buf up to cap bytes.  Returns HTTP_PARSE_DONE when the
 * worker should take the request (the whole body is there, buf is full,
 * the chunked framing is bad, which the request path reports, or the
 * client waits for "100 Continue", which the request path sends when a
 * handler reads the body),
 * HTTP_PARSE_AGAIN when the connection should be parked until readable,
 * -1 when the client closed or failed.  *bw must be zeroed before the
 * first call for a request.
 */
int bodywait_read(struct bodywait *bw, struct io *io, const struct http_msg *m,
    char *buf, size_t *len, size_t cap, uint32_t max_trailer);

#endif
