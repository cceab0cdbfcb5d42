/* The response writer: builds, frames and sends every response; keep-alive decided here once. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sendfile.h>
#include <sys/uio.h>

#include "conn.h"
#include "errpage.h"
#include "http.h"
#include "middleware.h"
#include "pipeline.h"
#include "proxy.h"
#include "request.h"
#include "response.h"
#include "scoreboard.h"
#include "splice.h"

/* Room kept at the end of the head for Date, framing and Connection. */
#define RESPONSE_TAIL 160

/* Append s[0..n) to the head; -1 when it does not fit. */
static int
response_put(struct response *rs, const char *s, size_t n, size_t reserve)
{
	if (rs->head_len + n + reserve > rs->head_size)
		return -1;
	memcpy(rs->head_buf + rs->head_len, s, n);
	rs->head_len += n;
	return 0;
}

/* The id of a header name the writer cares about, else HDR_OTHER. */
static int
response_hdr_id(const char *name, size_t n)
{
	static const struct {
		const char *name;
		int id;
	} ids[] = {
		{ "Date", HDR_DATE },
		{ "Content-Length", HDR_CONTENT_LENGTH },
		{ "Transfer-Encoding", HDR_TRANSFER_ENCODING },
		{ "Connection", HDR_CONNECTION },
		{ "Content-Type", HDR_CONTENT_TYPE },
	};
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (strlen(ids[i].name) == n &&
		    strncasecmp(ids[i].name, name, n) == 0)
			return ids[i].id;
	return HDR_OTHER;
}

int
response_start(
    struct request *r, int status, const char *reason, size_t reason_len)
{
	struct response *rs = &r->resp;
	char line[32];
	int n;

	if (rs->started)
		return -1;
	if (reason == NULL) {
		reason = http_status_text(status);
		reason_len = strlen(reason);
	}
	rs->status = status;
	rs->head_len = 0;
	rs->head.nfields = 0;
	n = snprintf(line, sizeof(line), "HTTP/1.1 %03d ", status);
	if (response_put(rs, line, (size_t)n, RESPONSE_TAIL) < 0 ||
	    response_put(rs, reason, reason_len, RESPONSE_TAIL) < 0 ||
	    response_put(rs, "\r\n", 2, RESPONSE_TAIL) < 0)
		return -1;
	return 0;
}

/* Append a field and index it, leaving reserve bytes free. */
static int
response_field_add(struct response *rs, int id, const char *name, size_t nlen,
    const char *value, size_t vlen, size_t reserve)
{
	struct http_field *f;
	size_t start = rs->head_len;

	if (rs->head.nfields >= HTTP_MAX_HEADERS)
		return -1;
	if (response_put(rs, name, nlen, reserve) < 0 ||
	    response_put(rs, ": ", 2, reserve) < 0 ||
	    response_put(rs, value, vlen, reserve) < 0 ||
	    response_put(rs, "\r\n", 2, reserve) < 0) {
		rs->head_len = start;
		return -1;
	}
	f = &rs->head.fields[rs->head.nfields++];
	f->name.off = (uint32_t)start;
	f->name.len = (uint32_t)nlen;
	f->value.off = (uint32_t)(start + nlen + 2);
	f->value.len = (uint32_t)vlen;
	f->id = (uint8_t)(id >= 0 ? id : response_hdr_id(name, nlen));
	f->flags = 0;
	return 0;
}

int
response_add(struct request *r, int id, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
	if (r->resp.started)
		return -1;
	return response_field_add(
	    &r->resp, id, name, nlen, value, vlen, RESPONSE_TAIL);
}

int
response_add_str(struct request *r, const char *name, const char *value)
{
	return response_add(
	    r, RESPONSE_HDR_LOOKUP, name, strlen(name), value, strlen(value));
}

/* Does field f of the head have name[0..n)? */
static int
response_named(const struct response *rs, const struct http_field *f,
    const char *name, size_t n)
{
	return f->name.len == n &&
	    strncasecmp(rs->head_buf + f->name.off, name, n) == 0;
}

int
response_del(struct request *r, const char *name)
{
	struct response *rs = &r->resp;
	size_t n = strlen(name);
	uint32_t i, j, off, len;
	int removed = 0;

	if (rs->started)
		return 0;
	for (i = 0; i < rs->head.nfields;) {
		struct http_field *f = &rs->head.fields[i];

		if (!response_named(rs, f, name, n)) {
			i++;
			continue;
		}
		off = f->name.off;
		len = f->value.off + f->value.len + 2 - off;
		memmove(rs->head_buf + off, rs->head_buf + off + len,
		    rs->head_len - off - len);
		rs->head_len -= len;
		memmove(f, f + 1, (rs->head.nfields - i - 1) * sizeof(*f));
		rs->head.nfields--;
		for (j = i; j < rs->head.nfields; j++) {
			rs->head.fields[j].name.off -= len;
			rs->head.fields[j].value.off -= len;
		}
		removed++;
	}
	return removed;
}

int
response_set(struct request *r, const char *name, const char *value)
{
	(void)response_del(r, name);
	return response_add_str(r, name, value);
}

const char *
response_get(const struct request *r, const char *name, size_t *len)
{
	const struct response *rs = &r->resp;
	size_t n = strlen(name);
	uint32_t i;

	for (i = 0; i < rs->head.nfields; i++)
		if (response_named(rs, &rs->head.fields[i], name, n)) {
			*len = rs->head.fields[i].value.len;
			return rs->head_buf + rs->head.fields[i].value.off;
		}
	return NULL;
}

/* The first field with id, or NULL. */
static const struct http_field *
response_field(const struct response *rs, int id)
{
	uint32_t i;

	for (i = 0; i < rs->head.nfields; i++)
		if (rs->head.fields[i].id == id)
			return &rs->head.fields[i];
	return NULL;
}

/* A field the writer adds itself (room was reserved for it). */
static int
response_tail(struct response *rs, int id, const char *name, const char *value)
{
	return response_field_add(
	    rs, id, name, strlen(name), value, strlen(value), 0);
}

/* The middleware entered by r, innermost last: entry i, or NULL. */
static const struct middleware *
response_mw(const struct request *r, size_t i)
{
	size_t n = r->chain != NULL ? r->chain->nmws : 0;

	if (i < n)
		return r->chain->mws[i];
	i -= n;
	if (r->handler != NULL && i < r->handler->nmws)
		return r->handler->mws[i];
	return NULL;
}

/* The size the access log shows: Content-Length, 0, or -1 (unknown). */
static int64_t
response_log_size(const struct response *rs)
{
	const struct http_field *f;

	switch (rs->framing) {
	case RESPONSE_LENGTH:
		return (int64_t)rs->length;
	case RESPONSE_NONE:
		f = response_field(rs, HDR_CONTENT_LENGTH);
		return f != NULL
		    ? strtoll(rs->head_buf + f->value.off, NULL, 10)
		    : 0;
	default:
		return -1;
	}
}

/*
 * The one keep-alive decision: the client asked for it, the server allows
 * it, no stop is under way, the request body was read, and the body's end
 * can be seen without closing.
 */
static int
response_decide_close(const struct request *r)
{
	const struct http_msg *m = r->msg;
	const struct response *rs = &r->resp;

	return rs->close || !m->keep_alive ||
	    (r->stopping != NULL && *r->stopping) ||
	    r->srv->disable_keep_alive ||
	    (m->body != HTTP_BODY_NONE && !r->body_read) ||
	    rs->framing == RESPONSE_CLOSE;
}

int
response_send_head(struct request *r, int framing, uint64_t length)
{
	struct response *rs = &r->resp;
	size_t i, n = r->nentered;
	char line[64];

	if (rs->started)
		return -1;
	/*
	 * Middleware see the head last-in first: innermost first, with the
	 * framing and length the handler gave.  A body filter that leaves
	 * this body alone says so (response_filter_skip): the zero-copy
	 * paths and Content-Length then stay if no other filter runs.
	 */
	rs->framing = framing;
	rs->length = length;
	rs->hold = 0;
	for (i = n; i-- > 0;) {
		const struct middleware *mw = response_mw(r, i);

		rs->filter_skip = 0;
		rs->filter_observe = 0;
		if (mw->ops->head != NULL)
			mw->ops->head(mw->inst, r);
		if (mw->ops->body != NULL && !rs->filter_skip) {
			rs->filters++;
			if (!rs->filter_observe)
				rs->changers++;
		}
	}
	/* A filter may change the length: chunk it (1.1) or close (1.0). */
	if (rs->changers > 0 && framing == RESPONSE_LENGTH) {
		(void)response_del(r, "Content-Length");
		framing = r->msg->version_minor >= 1 ? RESPONSE_CHUNKED
		                                     : RESPONSE_CLOSE;
	}
	rs->started = 1;
	rs->framing = framing;
	rs->length = length;
	rs->chunked_out = framing == RESPONSE_CHUNKED;
	/* After a 101 the connection is the tunnel's: never reused. */
	rs->close = framing == RESPONSE_UPGRADE || response_decide_close(r);
	if (!rs->no_date && response_field(rs, HDR_DATE) == NULL &&
	    response_tail(rs, HDR_DATE, "Date", http_date_now()) < 0)
		return -1;
	if (framing == RESPONSE_LENGTH &&
	    response_field(rs, HDR_CONTENT_LENGTH) == NULL) {
		snprintf(
		    line, sizeof(line), "%llu", (unsigned long long)length);
		if (response_tail(
		        rs, HDR_CONTENT_LENGTH, "Content-Length", line) < 0)
			return -1;
	}
	if (framing == RESPONSE_CHUNKED &&
	    response_tail(
	        rs, HDR_TRANSFER_ENCODING, "Transfer-Encoding", "chunked") < 0)
		return -1;
	if (framing != RESPONSE_UPGRADE) {
		if (rs->close &&
		    response_tail(rs, HDR_CONNECTION, "Connection", "close") <
		        0)
			return -1;
		if (!rs->close && r->msg->version_minor == 0 &&
		    response_tail(
		        rs, HDR_CONNECTION, "Connection", "keep-alive") < 0)
			return -1;
	}
	if (response_put(rs, "\r\n", 2, 0) < 0)
		return -1;
	rs->log_size = response_log_size(rs);
	rs->pending = rs->head_buf;
	scoreboard_response(rs->status);
	return 0;
}

/*
 * Write the pending head (if any) and data[0..n) in one writev; with
 * chunk, data goes as one chunk of the chunked coding.
 */
static int
response_write(struct request *r, const void *data, size_t n, int chunk)
{
	struct response *rs = &r->resp;
	struct iovec iov[4];
	char hdr[24];
	int cnt = 0;

	if (rs->failed)
		return -1;
	if (rs->pending != NULL) {
		iov[cnt].iov_base = (void *)(uintptr_t)rs->pending;
		iov[cnt++].iov_len = rs->head_len;
	}
	if (n > 0 && chunk) {
		iov[cnt].iov_base = hdr;
		iov[cnt++].iov_len =
		    (size_t)snprintf(hdr, sizeof(hdr), "%zx\r\n", n);
	}
	if (n > 0) {
		iov[cnt].iov_base = (void *)(uintptr_t)data;
		iov[cnt++].iov_len = n;
	}
	if (n > 0 && chunk) {
		iov[cnt].iov_base = (void *)(uintptr_t) "\r\n";
		iov[cnt++].iov_len = 2;
	}
	if (cnt == 0)
		return 0;
	if (conn_writev(&r->client->io, iov, cnt, r->write_deadline) < 0) {
		rs->failed = 1;
		return -1;
	}
	if (rs->pending != NULL)
		rs->head_bytes = rs->head_len;
	rs->pending = NULL;
	rs->body_bytes += n;
	return 0;
}

/* Body bytes after the last filter: framed as one chunk when chunking. */
static int
response_wire(struct request *r, const void *data, size_t n)
{
	if (r->msg->method_id == HTTP_M_HEAD)
		return 0;
	return response_write(r, data, n, r->resp.chunked_out);
}

/* Run the body filters from entry pos outwards, then the wire. */
static int
response_pass(
    struct request *r, size_t pos, const void *data, size_t n, int last)
{
	struct response *rs = &r->resp;
	size_t i;
	int rc, saved;

	for (i = pos; rs->filters > 0 && i-- > 0;) {
		const struct middleware *mw = response_mw(r, i);

		if (mw->ops->body == NULL)
			continue;
		saved = rs->filter_pos;
		rs->filter_pos = (int)i;
		rc = mw->ops->body(mw->inst, r, data, n, last);
		rs->filter_pos = saved;
		return rc;
	}
	return n > 0 ? response_wire(r, data, n) : 0;
}

int
response_filter_next(struct request *r, const void *data, size_t n, int last)
{
	return response_pass(r, (size_t)r->resp.filter_pos, data, n, last);
}

int
response_body(struct request *r, const void *data, size_t n)
{
	if (!r->resp.started || n == 0)
		return r->resp.started ? 0 : -1;
	return response_pass(r, r->nentered, data, n, 0);
}

int
response_raw(struct request *r, const void *data, size_t n)
{
	if (!r->resp.started)
		return -1;
	r->resp.chunked_out = 0;
	return response_write(r, data, n, 0);
}

int
response_flush(struct request *r)
{
	if (!r->resp.started)
		return -1;
	if (r->resp.hold)
		return 0; /* a filter keeps the head until the body ends */
	return response_write(r, NULL, 0, 0);
}

int
response_continue(struct request *r)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

	if (r->resp.started)
		return 0;
	return conn_write(
	    &r->client->io, cont, sizeof(cont) - 1, r->write_deadline);
}

int
response_splice(struct request *r, struct splice_pipe *pipe, int fd, uint64_t n)
{
	struct response *rs = &r->resp;

	if (rs->filters > 0 || rs->pending != NULL || rs->failed ||
	    r->client->io.ssl != NULL)
		return 1;
	if (splice_relay(pipe, fd, r->client->io.fd, n, r->write_deadline) <
	    0) {
		rs->failed = 1;
		return -1;
	}
	rs->body_bytes += n;
	return 0;
}

void
response_filter_skip(struct request *r)
{
	r->resp.filter_skip = 1;
}

void
response_filter_observe(struct request *r)
{
	r->resp.filter_observe = 1;
}

void
response_hold(struct request *r)
{
	r->resp.hold = 1;
}

int
response_restart(struct request *r)
{
	struct response *rs = &r->resp;

	if (!rs->started || rs->pending == NULL || rs->head_bytes > 0 ||
	    rs->body_bytes > 0 || rs->failed)
		return -1;
	rs->status = 0;
	rs->started = 0;
	rs->framing = RESPONSE_NONE;
	rs->length = 0;
	rs->head.nfields = 0;
	rs->head_len = 0;
	rs->pending = NULL;
	rs->chunked_out = 0;
	rs->filters = 0;
	rs->filter_skip = 0;
	rs->filter_observe = 0;
	rs->changers = 0;
	rs->no_date = 0;
	rs->hold = 0;
	rs->log_size = 0;
	return 0;
}

int
response_sendfile(struct request *r, int fd, int64_t off, uint64_t n)
{
	struct response *rs = &r->resp;
	int out = r->client->io.fd;
	off_t o = (off_t)off;

	if (!rs->started || rs->filters > 0 || rs->chunked_out || rs->failed ||
	    r->client->io.ssl != NULL)
		return 1;
	if (r->msg->method_id == HTTP_M_HEAD)
		return 0;
	if (response_write(r, NULL, 0, 0) < 0)
		return -1;
	while (n > 0) {
		ssize_t w =
		    sendfile(out, fd, &o, n > (1u << 30) ? 1u << 30 : n);

		if (w > 0) {
			n -= (uint64_t)w;
			rs->body_bytes += (uint64_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    conn_wait(out, POLLOUT, r->write_deadline, -1) == 1)
			continue;
		/* Timeout, a gone client, or the file shrank under us. */
		rs->failed = 1;
		return -1;
	}
	return 0;
}

int
response_filtered(const struct request *r)
{
	return r->resp.filters > 0;
}

int
response_end(struct request *r)
{
	struct response *rs = &r->resp;

	if (!rs->started)
		return -1;
	if (rs->filters > 0 && response_pass(r, r->nentered, NULL, 0, 1) < 0)
		return -1;
	if (rs->chunked_out && r->msg->method_id != HTTP_M_HEAD) {
		rs->chunked_out = 0;
		if (response_write(r, "0\r\n\r\n", 5, 0) < 0)
			return -1;
		rs->body_bytes -= 5;
	}
	if (response_write(r, NULL, 0, 0) < 0)
		return -1;
	rs->complete = 1;
	return 0;
}

int
response_simple(struct request *r, int status, const char *ctype,
    const void *body, size_t n)
{
	if (response_start(r, status, NULL, 0) < 0 ||
	    (ctype != NULL &&
	        response_add(r, HDR_CONTENT_TYPE, "Content-Type", 12, ctype,
	            strlen(ctype)) < 0) ||
	    response_send_head(r, RESPONSE_LENGTH, n) < 0 ||
	    response_body(r, body, n) < 0)
		return -1;
	return response_end(r);
}

/* The message of an error code, for ErrorHandler messages matchers. */
static const char *
response_error_message(const char *code)
{
	if (strcmp(code, ERRPAGE_NO_UPSTREAM) == 0)
		return "cannot find upstream";
	if (strcmp(code, ERRPAGE_UNAVAILABLE) == 0)
		return "upstream unavailable";
	if (strcmp(code, ERRPAGE_TIMEOUT) == 0)
		return "upstream timeout";
	if (strcmp(code, ERRPAGE_SWITCH) == 0)
		return "protocol switch failed";
	if (strcmp(code, ERRPAGE_NOT_FOUND) == 0)
		return "not found";
	if (strcmp(code, ERRPAGE_THROTTLE) == 0)
		return "too many requests.";
	if (strcmp(code, ERRPAGE_BODY_TOO_LARGE) == 0)
		return "request body size exceeded the body limit.";
	if (strcmp(code, ERRPAGE_AUTHN) == 0)
		return "authentication failed";
	return "upstream round trip failed";
}

int
response_error(struct request *r, int status, const char *code)
{
	const char *accept;
	char body[256], ctype[64];
	size_t alen = 0, n;
	int rc;

	if (r->resp.started)
		return -1;
	if (code == NULL) {
		/* A protocol error: text/plain, and the connection closes. */
		const char *text = http_status_text(status);

		n = (size_t)snprintf(body, sizeof(body), "%d %s", status, text);
		r->resp.close = 1;
		if (r->write_deadline == 0)
			r->write_deadline = conn_deadline(1000);
		return response_simple(
		    r, status, "text/plain; charset=utf-8", body, n);
	}
	accept = request_header(r, HDR_ACCEPT, &alen);
	/* An ErrorHandler's errorMessages may replace the default body. */
	if ((rc = errpage_send(r, r->errhandler, status, code,
	         response_error_message(code), accept, alen)) != 0)
		return rc < 0 ? -1 : 0;
	n = http_error_body(
	    status, accept, alen, ctype, sizeof(ctype), body, sizeof(body));
	if (response_start(r, status, NULL, 0) < 0 ||
	    response_add(r, HDR_CONTENT_TYPE, "Content-Type", 12, ctype,
	        strlen(ctype)) < 0 ||
	    response_add_str(r, "X-Content-Type-Options", "nosniff") < 0 ||
	    response_add_str(r, "Vary", "Accept") < 0 ||
	    response_send_head(r, RESPONSE_LENGTH, n) < 0 ||
	    response_body(r, body, n) < 0)
		return -1;
	return response_end(r);
}

void
response_close(struct request *r)
{
	r->resp.close = 1;
}

int
response_started(const struct request *r)
{
	return r->resp.started;
}

int
response_keep_alive(const struct request *r)
{
	const struct response *rs = &r->resp;

	return rs->started && rs->complete && !rs->failed && !rs->close;
}
