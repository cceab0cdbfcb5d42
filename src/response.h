/* The response writer: the one way every handler, middleware and error path answers. */
#ifndef AILERON_RESPONSE_H
#define AILERON_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include "http_parse.h"

struct request;

/*
 * How the body of a response is delimited, as the handler knows it.  The
 * writer turns LENGTH into CHUNKED (HTTP/1.1) or CLOSE (HTTP/1.0) when a
 * body filter may change the length.
 */
enum response_framing {
	RESPONSE_NONE = 0, /* no body (Content-Length: 0 unless 1xx/204/304) */
	RESPONSE_LENGTH,   /* Content-Length: length */
	RESPONSE_CHUNKED,  /* Transfer-Encoding: chunked (1.0: close) */
	RESPONSE_CLOSE,    /* until the connection closes */
	RESPONSE_UPGRADE   /* 101: the connection becomes a tunnel */
};

/*
 * The state of the response of one request (lives in struct request).
 * The head is built as text in the worker's head buffer and indexed as
 * it is built: head.fields are spans into head_buf, so middleware can
 * read and change headers before the head is sent, and the access log
 * shows the headers that were sent, never re-parsing them.  Read-only
 * outside response.c.
 */
struct response {
	int status;           /* 0 until response_start */
	int started;          /* head written to the client */
	int close;            /* decided once: the connection closes after it */
	int framing;          /* enum response_framing */
	uint64_t length;      /* RESPONSE_LENGTH: the body's length */
	int complete;         /* response_end ran: all of it was sent */
	int failed;           /* a write to the client failed */
	uint64_t head_bytes;  /* bytes of head sent */
	uint64_t body_bytes;  /* body bytes sent (as framed on the wire) */
	int64_t log_size;     /* the size logs show: length, 0 or -1 */
	struct http_msg head; /* fields of the head being built / sent */
	char *head_buf;       /* worker's head buffer */
	size_t head_size;
	size_t head_len;     /* bytes of head built */
	const char *pending; /* RESPONSE_LENGTH: head waits for first bytes */
	int chunked_out;     /* the writer frames chunks itself */
	int filters;         /* body filters in the chain */
	int filter_pos;      /* the filter running (response_body) */
	int no_date;         /* a middleware removed Date: do not add one */
	int filter_skip;     /* the head hook running leaves the body alone */
	int filter_observe;  /* ... or only looks at it (keeps the framing) */
	int changers;        /* filters that may change the body */
	int hold;            /* the head waits for the body's end (a filter) */
};

/*
 * Begin the response: status line "HTTP/1.1 status reason" (reason NULL:
 * the standard text).  Call again before response_send_head to start
 * over (an error while building).  -1 when the head buffer is too small.
 */
int response_start(
    struct request *r, int status, const char *reason, size_t reason_len);

/*
 * Append a header field.  id is its enum http_hdr_id when the caller
 * knows it (a parsed field's id: HDR_OTHER for a name the parser does
 * not know), or RESPONSE_HDR_LOOKUP to have the writer find it.
 */
#define RESPONSE_HDR_LOOKUP -1
int response_add(struct request *r, int id, const char *name, size_t nlen,
    const char *value, size_t vlen);
/* Append a NUL-terminated name and value. */
int response_add_str(struct request *r, const char *name, const char *value);
/* Remove every field called name; how many were removed. */
int response_del(struct request *r, const char *name);
/* Replace every field called name with one (response_del + response_add). */
int response_set(struct request *r, const char *name, const char *value);
/* The value of the first field called name, or NULL (its length in *len). */
const char *response_get(
    const struct request *r, const char *name, size_t *len);

/*
 * Decide keep-alive (once: the client's wish, disableKeepAlive, a stop,
 * an unread request body, a close-delimited body), run the middleware's
 * head hooks (they may change status and headers), add Date (unless
 * there), Content-Length or Transfer-Encoding per framing, Connection,
 * and feed the scoreboard.  The head leaves with the first body bytes
 * (one writev) or at response_end.  -1 when the client is gone.
 */
int response_send_head(struct request *r, int framing, uint64_t length);

/*
 * Send body bytes: through the middleware's body filters, then framed
 * (chunked when the writer chunks).  Dropped for HEAD.  -1 on error.
 */
int response_body(struct request *r, const void *data, size_t n);

/*
 * Send bytes already framed for the wire (a verbatim chunked relay, the
 * first bytes of a tunnel): only when response_filtered() is 0.  The
 * head, if pending, goes with them; the writer then frames nothing
 * itself (no last chunk).  -1 on error.
 */
int response_raw(struct request *r, const void *data, size_t n);

/*
 * Zero-copy: move n body bytes from fd (a plain socket) to the client
 * with splice(2) through pipe (splice.h).  Returns 1 without doing
 * anything when it cannot (TLS, body filters, head pending), 0 when done,
 * -1 on error.
 */
struct splice_pipe;
int response_splice(
    struct request *r, struct splice_pipe *pipe, int fd, uint64_t n);

/* Send the head now if it still waits for body bytes.  -1 on error. */
int response_flush(struct request *r);

/* An interim "100 Continue" (the status of the response is not set). */
int response_continue(struct request *r);

/*
 * Zero-copy: send n body bytes of regular file fd from offset off with
 * sendfile(2) (RESPONSE_LENGTH bodies, plain sockets, no body filter; the
 * pending head goes first).  Returns 1 without doing anything when it
 * cannot (the caller then reads and calls response_body), 0 when done,
 * -1 on error (client gone, timeout, the file shrank).
 */
int response_sendfile(struct request *r, int fd, int64_t off, uint64_t n);

/*
 * From a head hook of a middleware with a body filter: this response's
 * body passes through it unchanged, so it does not count as a filter
 * (its body hook may still be called: it must pass the data on).
 */
void response_filter_skip(struct request *r);

/*
 * From a head hook of a middleware with a body filter: this response's
 * body passes through it unchanged but it wants to see it (journal
 * logging): the zero-copy paths step aside, the framing (Content-Length)
 * stays as the handler gave it.
 */
void response_filter_observe(struct request *r);

/*
 * From a head hook of a middleware whose body filter keeps the whole
 * body (SOAPREST): the head stays back, response_flush() included, until
 * the filter passes its first bytes on or the response ends, so that the
 * filter can still answer differently (response_restart).
 */
void response_hold(struct request *r);

/*
 * From a body filter while nothing of the response has left (the head is
 * held): forget the response so that the filter can answer anew
 * (response_error), through every middleware's head hook again.  -1 when
 * bytes were already sent.
 */
int response_restart(struct request *r);

/* Is a body filter in the chain (zero-copy paths must step aside)? */
int response_filtered(const struct request *r);

/* The body is complete: flush the head, the last chunk.  -1 on error. */
int response_end(struct request *r);

/* A whole response with a small body, in one call (Content-Length). */
int response_simple(struct request *r, int status, const char *ctype,
    const void *body, size_t n);

/*
 * An error response in AILERON's style, through the request's
 * ErrorHandler when one matches: code is an ERRPAGE_* code (errpage.h),
 * or NULL for a plain protocol error (400, 408, 413, 417, ...) that
 * closes the connection.  -1 when the client is gone.
 */
int response_error(struct request *r, int status, const char *code);

/* Force the connection to close after this response (before the head). */
void response_close(struct request *r);

/* Has the head been sent (a middleware can no longer answer)? */
int response_started(const struct request *r);

/* Will the connection serve another request after this one? */
int response_keep_alive(const struct request *r);

/*
 * For body filters (middleware.h): pass data on to the next filter, or
 * to the client after the last one.  last: no more data will follow.
 */
int response_filter_next(
    struct request *r, const void *data, size_t n, int last);

#endif
