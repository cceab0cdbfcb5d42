/* app/v1 StatusHandler: the scoreboard as a mod_status-like page (rendered by status.c). */
#include <stddef.h>
#include <stdlib.h>

#include "conf_table.h"
#include "handler.h"
#include "kind.h"
#include "response.h"
#include "status.h"

/*
 * Config part.
 */

/* The spec: the runtime struct first, vhost handlers point at it. */
struct status_conf_spec {
	struct conf_proxy px;
};

/* Served like a proxy without load balancers. */
static void
status_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct status_conf_spec *ms = obj;

	(void)ld;
	(void)node;
	ms->px.kind = CONF_PROXY_STATUS;
}

static const struct conf_field status_conf_fields[] = {
	FSTRSD("patterns", struct status_conf_spec, px.patterns, px.npatterns,
	    CF_UNIQUE, "/server-status"),
	FMETHODS("methods", struct status_conf_spec, px.methods),
	FEND,
};
static const struct conf_table status_conf_table = { status_conf_fields,
	status_conf_check };

const struct kind status_conf_kind = {
	.api_version = "app/v1",
	.kind = "StatusHandler",
	.roles = KIND_ROLE_HANDLER,
	.table = &status_conf_table,
	.size = sizeof(struct status_conf_spec),
	.id_off = offsetof(struct status_conf_spec, px.id),
	.eh_off = KIND_NO_OFF,
};

/*
 * Runtime part.
 */

/*
 * Send the page status_render makes for kind (the StatusHandler's or the
 * PrometheusMeter's): 200, never cached.
 */
int
status_handler_send(struct request *r, int kind)
{
	const char *ctype;
	size_t blen;
	char *body = status_render(kind, r->query, r->query_len, &blen, &ctype);
	int rc = status_handler_reply(r, body, blen, ctype);

	free(body);
	return rc;
}

int
status_handler_reply(
    struct request *r, const char *body, size_t blen, const char *ctype)
{
	if (response_start(r, 200, NULL, 0) == 0 &&
	    response_add_str(r, "Content-Type", ctype) == 0 &&
	    response_add_str(r, "Cache-Control", "no-store") == 0 &&
	    response_add_str(r, "X-Content-Type-Options", "nosniff") == 0 &&
	    response_send_head(r, RESPONSE_LENGTH, blen) == 0 &&
	    response_body(r, body, blen) == 0 && response_end(r) == 0)
		return HANDLER_OK;
	return HANDLER_ABORT;
}

/* The status page ("?auto": Key: value lines). */
static int
status_handler_serve(void *inst, struct request *r)
{
	(void)inst;
	return status_handler_send(r, CONF_PROXY_STATUS);
}

const struct handler_ops status_handler = {
	.name = "app/v1/StatusHandler",
	.serve = status_handler_serve,
};
