/* app/v1 BodyLimitMiddleware: refuse request bodies above maxSize. */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf_table.h"
#include "conn.h"
#include "errpage.h"
#include "kind.h"
#include "middleware.h"
#include "middleware/body_limit.h"
#include "proxy.h"
#include "request.h"
#include "response.h"

/*
 * Config part.
 */

/* memLimit defaults to maxSize (0 merges to it); tempPath to $TMPDIR or /tmp. */
static void
body_limit_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct body_limit_policy *p = obj;
	const char *tmp = getenv("TMPDIR");
	size_t n;

	(void)node;
	if (p->mem_limit == 0)
		p->mem_limit = p->max_size;
	if (p->temp_path == NULL || p->temp_path[0] == '\0')
		p->temp_path = arena_strdup(
		    ld->arena, tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	/* as Go's filepath.Clean for the trailing slashes */
	n = strlen(p->temp_path);
	while (n > 1 && p->temp_path[n - 1] == '/')
		p->temp_path[--n] = '\0';
}

static const struct conf_field body_limit_conf_fields[] = {
	FINTD("maxSize", struct body_limit_policy, max_size, INT64_MIN,
	    INT64_MAX, "4194304"),
	FINT("memLimit", struct body_limit_policy, mem_limit, INT64_MIN,
	    INT64_MAX),
	FSTR("tempPath", struct body_limit_policy, temp_path),
	FEND,
};
static const struct conf_table body_limit_conf_table = { body_limit_conf_fields,
	body_limit_conf_check };

extern const struct middleware_ops body_limit_middleware;

const struct kind body_limit_conf_kind = {
	.api_version = "app/v1",
	.kind = "BodyLimitMiddleware",
	.roles = KIND_ROLE_MIDDLEWARE,
	.table = &body_limit_conf_table,
	.size = sizeof(struct body_limit_policy),
	.id_off = KIND_NO_OFF,
	.eh_off = KIND_NO_OFF,
	.middleware = &body_limit_middleware,
};

/*
 * Runtime part.
 *
 * Our parser frames a Content-Length body exactly, so the length is
 * known before a byte is read: AILERON reads such bodies into memory or
 * a temp file (memLimit, tempPath) only to learn that the body is as
 * long as announced, which we need not do; they stream.  A chunked body
 * is counted while it streams by the decoder every body reader starts
 * with request_chunked_init() (request.h), which stops at the chunk that
 * would pass maxSize: the reader then answers 413 (closing the
 * connection) and the ReverseProxyHandler drops the upstream exchange.
 */

enum body_limit_action
body_limit_decide(const struct body_limit_policy *p, int body, uint64_t length)
{
	if (p->max_size <= 0)
		return BODY_LIMIT_PASS;
	if (body == HTTP_BODY_LENGTH && length > (uint64_t)p->max_size)
		return BODY_LIMIT_TOO_LARGE;
	if (body == HTTP_BODY_CHUNKED)
		return BODY_LIMIT_COUNT;
	return BODY_LIMIT_PASS;
}

int
body_limit_drainable(uint64_t length, size_t avail, int expect_continue)
{
	if (avail >= length)
		return 1;
	/* A client waiting for 100 Continue sends nothing: do not ask. */
	if (expect_continue && avail == 0)
		return 0;
	return length - avail <= BODY_LIMIT_DRAIN_MAX;
}

/*
 * Read and drop the rest of a refused body of known length, as AILERON
 * does, so the connection can serve the next request; a long one is not
 * read (the connection closes after the 413).
 */
static void
body_limit_drain(struct request *r)
{
	static char sink[16384];
	const struct http_msg *m = r->msg;
	size_t avail = r->buf_len - m->head_len;
	uint64_t left;
	int64_t deadline;

	if (!body_limit_drainable(m->content_length, avail, m->expect_continue))
		return;
	if (avail >= m->content_length) {
		/* All here: what follows is the next pipelined request. */
		r->body_read = 1;
		request_keep_pipelined(r,
		    r->buf + m->head_len + m->content_length,
		    avail - (size_t)m->content_length);
		return;
	}
	deadline = conn_deadline(BODY_LIMIT_DRAIN_MS);
	if (r->read_deadline != 0 && r->read_deadline < deadline)
		deadline = r->read_deadline;
	for (left = m->content_length - avail; left > 0;) {
		ssize_t n = conn_read(&r->client->io, sink,
		    left < sizeof(sink) ? (size_t)left : sizeof(sink),
		    deadline);

		if (n <= 0)
			return; /* gone or slow: the connection closes */
		left -= (uint64_t)n;
	}
	r->body_read = 1;
	request_keep_pipelined(r, r->buf + r->buf_len, 0);
}

/*
 * Refuse a Content-Length above maxSize with 413 (E3205) before the
 * handler runs; let the readers of a chunked body stop at maxSize.
 */
static int
body_limit_request(void *inst, struct request *r)
{
	const struct body_limit_policy *p = inst;
	const struct http_msg *m = r->msg;

	switch (body_limit_decide(p, m->body, m->content_length)) {
	case BODY_LIMIT_TOO_LARGE:
		body_limit_drain(r);
		return response_error(r, 413, ERRPAGE_BODY_TOO_LARGE) < 0
		    ? HANDLER_ABORT
		    : HANDLER_OK;
	case BODY_LIMIT_COUNT:
		request_body_limit(r, (uint64_t)p->max_size);
		break;
	default:
		break;
	}
	return HANDLER_DECLINED;
}

const struct middleware_ops body_limit_middleware = {
	.name = "app/v1/BodyLimitMiddleware",
	.request = body_limit_request,
};
