/* app/v1 EchoHandler: answers with a dump of the request, as AILERON does. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "conf_table.h"
#include "conn.h"
#include "echo_body.h"
#include "handler.h"
#include "http_parse.h"
#include "kind.h"
#include "proxy.h"
#include "request.h"
#include "response.h"

/* The spec: the runtime struct first, vhost handlers point at it. */
struct echo_conf_spec {
	struct conf_proxy px;
};

static void
echo_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct echo_conf_spec *es = obj;

	(void)ld;
	(void)node;
	es->px.kind = CONF_PROXY_ECHO;
}

static const struct conf_field echo_conf_fields[] = {
	FSTRS("patterns", struct echo_conf_spec, px.patterns, px.npatterns,
	    CF_UNIQUE),
	FMETHODS("methods", struct echo_conf_spec, px.methods),
	FEND,
};
static const struct conf_table echo_conf_table = { echo_conf_fields,
	echo_conf_check };

const struct kind echo_conf_kind = {
	.api_version = "app/v1",
	.kind = "EchoHandler",
	.roles = KIND_ROLE_HANDLER,
	.table = &echo_conf_table,
	.size = sizeof(struct echo_conf_spec),
	.id_off = offsetof(struct echo_conf_spec, px.id),
	.eh_off = KIND_NO_OFF,
	.handler = &echo_handler,
};

/*
 * Runtime.
 */

/* Bytes read from the client per call; also holds pipelined bytes. */
#define ECHO_READ_SIZE (64 * 1024)
static char echo_rbuf[ECHO_READ_SIZE];

/*
 * Read the whole request body (AILERON shows up to 16 MiB, drains the
 * rest).  0 with r->body_read set, or the status to answer (400, 408).
 */
static int
echo_read_body(struct request *r, struct body_buf *b)
{
	const struct http_msg *m = r->msg;
	const char *extra;
	size_t nextra;
	int status;

	if (m->body == HTTP_BODY_LENGTH)
		b->too_large = m->content_length > ECHO_BODY_MAX;
	status = request_read_body(
	    r, echo_rbuf, sizeof(echo_rbuf), body_buf_keep, b, &extra, &nextra);
	if (status != 0)
		return status;
	if (m->body != HTTP_BODY_NONE)
		request_keep_pipelined(r, extra, nextra);
	r->body_read = 1;
	return 0;
}

/* A copy of span s of the head as a string in the request's arena. */
static const char *
echo_span(struct request *r, struct http_span s)
{
	return arena_strndup(r->arena, r->buf + s.off, s.len);
}

void
echo_request_view(struct request *r, struct echo_req *er)
{
	const struct http_msg *m = r->msg;
	struct echo_field *f;
	char *proto, *remote;
	size_t i, rlen;

	memset(er, 0, sizeof(*er));
	/* The headers as middleware left them: removed ones out, added in. */
	f = arena_alloc(
	    r->arena, (m->nfields + r->nproxy_headers + 1) * sizeof(*f));
	for (i = 0; i < m->nfields; i++) {
		if (m->fields[i].id == HDR_HOST ||
		    (r->drop[i / 64] >> (i % 64) & 1) != 0)
			continue;
		f[er->nfields].name = r->buf + m->fields[i].name.off;
		f[er->nfields].name_len = m->fields[i].name.len;
		f[er->nfields].value = r->buf + m->fields[i].value.off;
		f[er->nfields++].value_len = m->fields[i].value.len;
	}
	for (i = 0; i < r->nproxy_headers; i++) {
		const struct request_header *h = &r->proxy_headers[i];

		if (h->name_len == 4 && strncasecmp(h->name, "Host", 4) == 0)
			continue;
		f[er->nfields].name = h->name;
		f[er->nfields].name_len = h->name_len;
		f[er->nfields].value = h->value;
		f[er->nfields++].value_len = h->value_len;
	}
	proto = arena_alloc(r->arena, 16);
	snprintf(proto, 16, "HTTP/1.%d", m->version_minor);
	rlen = strlen(r->ip) + strlen(r->port) + 4;
	remote = arena_alloc(r->arena, rlen);
	snprintf(remote, rlen, strchr(r->ip, ':') ? "[%s]:%s" : "%s:%s", r->ip,
	    r->port);
	er->proto = proto;
	er->host = arena_strndup(r->arena, r->host ? r->host : "", r->host_len);
	er->method = echo_span(r, m->method);
	er->uri = echo_span(r, m->target);
	er->path = r->path;
	er->path_len = r->path_len;
	er->query =
	    r->query ? arena_strndup(r->arena, r->query, r->query_len) : "";
	er->remote = remote;
	er->fields = f;
}

/* Answer with the dump of r (200), or Go's unescape error (500). */
static int
echo_serve(void *inst, struct request *r)
{
	struct body_buf b = { NULL, 0, 0, ECHO_BODY_MAX, 0, 0 };
	struct echo_req er;
	char *body;
	size_t len;
	int status;

	(void)inst;
	if ((status = echo_read_body(r, &b)) != 0) {
		free(b.p);
		return status;
	}
	echo_request_view(r, &er);
	er.body = b.too_large ? NULL : (b.p ? b.p : "");
	er.body_len = b.len;
	body = echo_body_build(&er, &len, &status);
	free(b.p);
	if (body == NULL)
		return 500;
	if (response_start(r, status, NULL, 0) < 0 ||
	    response_add_str(r, "Content-Type", "text/plain;charset=utf-8") <
	        0 ||
	    (status == 200 &&
	        response_add_str(r, "X-Content-Type-Options", "nosniff") < 0) ||
	    response_send_head(r, RESPONSE_LENGTH, len) < 0 ||
	    response_body(r, body, len) < 0 || response_end(r) < 0) {
		free(body);
		return HANDLER_ABORT;
	}
	free(body);
	return HANDLER_OK;
}

const struct handler_ops echo_handler = {
	.name = "app/v1/EchoHandler",
	.serve = echo_serve,
};
