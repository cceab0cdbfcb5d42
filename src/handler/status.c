/* app/v1 StatusHandler: the scoreboard as a page, as Apache's mod_status. */
#include <stddef.h>

#include "conf_table.h"
#include "kind.h"

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
