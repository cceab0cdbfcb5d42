/* app/v1 PrometheusMeter as a handler: the scoreboard's counters in Prometheus text. */
#include <stddef.h>

#include "conf_table.h"
#include "handler.h"
#include "kind.h"
#include "status.h"

/*
 * Config part.
 */

/* The spec: the runtime struct first, vhost handlers point at it. */
struct prometheus_conf_spec {
	struct conf_proxy px;
};

/* Served like a proxy without load balancers. */
static void
prometheus_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct prometheus_conf_spec *ms = obj;

	(void)ld;
	(void)node;
	ms->px.kind = CONF_PROXY_METRICS;
}

static const struct conf_field prometheus_conf_fields[] = {
	FSTRSD("patterns", struct prometheus_conf_spec, px.patterns,
	    px.npatterns, CF_UNIQUE, "/metrics"),
	FMETHODS("methods", struct prometheus_conf_spec, px.methods),
	FEND,
};
static const struct conf_table prometheus_conf_table = { prometheus_conf_fields,
	prometheus_conf_check };

const struct kind prometheus_conf_kind = {
	.api_version = "app/v1",
	.kind = "PrometheusMeter",
	.roles = KIND_ROLE_HANDLER,
	.table = &prometheus_conf_table,
	.size = sizeof(struct prometheus_conf_spec),
	.id_off = offsetof(struct prometheus_conf_spec, px.id),
	.eh_off = KIND_NO_OFF,
};

/*
 * Runtime part.
 */

/* The metrics page. */
static int
prometheus_serve(void *inst, struct request *r)
{
	(void)inst;
	return status_handler_send(r, CONF_PROXY_METRICS);
}

const struct handler_ops prometheus_handler = {
	.name = "app/v1/PrometheusMeter",
	.serve = prometheus_serve,
};
