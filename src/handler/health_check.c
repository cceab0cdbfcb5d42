/* app/v1 HealthCheckHandler: answers 200 {} (no external probes). */
#include <stddef.h>
#include <stdint.h>

#include "conf_table.h"
#include "kind.h"

/* The spec: the runtime struct first, vhost handlers point at it. */
struct health_check_conf_spec {
	struct conf_proxy px; /* first: vhost handlers point at it */
	int32_t timeout;
	struct conf_ref *eh;
};

/* A health check is served like a proxy without load balancers. */
static void
health_check_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct health_check_conf_spec *hs = obj;

	(void)ld;
	(void)node;
	hs->px.kind = CONF_PROXY_HEALTH;
}

static const struct conf_field health_check_conf_fields[] = {
	FFUNCAT(
	    "errorHandler", struct health_check_conf_spec, eh, conf_set_ref),
	FSTRSD("patterns", struct health_check_conf_spec, px.patterns,
	    px.npatterns, CF_UNIQUE, "/healthz"),
	FMETHODS("methods", struct health_check_conf_spec, px.methods),
	FINTD("timeout", struct health_check_conf_spec, timeout, 0, INT32_MAX,
	    "30"),
	FUNSUP("externalProbes", NULL),
	FEND,
};
static const struct conf_table health_check_conf_table = {
	health_check_conf_fields, health_check_conf_check
};

/* A HealthCheckHandler's own errorHandler (metadata.errorHandler wins). */
static void
health_check_conf_build(struct loader *ld, struct conf_doc *doc)
{
	struct health_check_conf_spec *hs = doc->obj;
	struct conf_doc *d;

	if (hs->eh != NULL &&
	    (d = conf_resolve_ref(ld, hs->eh, KIND_ROLE_ERRHANDLER)) != NULL &&
	    hs->px.errhandler == NULL)
		hs->px.errhandler = d->obj;
}

const struct kind health_check_conf_kind = {
	.api_version = "app/v1",
	.kind = "HealthCheckHandler",
	.roles = KIND_ROLE_HANDLER,
	.table = &health_check_conf_table,
	.size = sizeof(struct health_check_conf_spec),
	.id_off = offsetof(struct health_check_conf_spec, px.id),
	.eh_off = offsetof(struct health_check_conf_spec, px.errhandler),
	.build = health_check_conf_build,
};
