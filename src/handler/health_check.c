/* app/v1 HealthCheckHandler: 200 with the JSON body {}. */
#include <stddef.h>
#include <stdint.h>

#include "conf_table.h"
#include "handler.h"
#include "kind.h"
#include "response.h"

/*
 * Config part.
 */

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

/*
 * Runtime part.
 */

/* Answer every request with 200 {}. */
static int
health_check_serve(void *inst, struct request *r)
{
	(void)inst;
	if (response_start(r, 200, NULL, 0) < 0 ||
	    response_add_str(
	        r, "Content-Type", "application/json; charset=utf-8") < 0 ||
	    response_add_str(r, "X-Content-Type-Options", "nosniff") < 0 ||
	    response_send_head(r, RESPONSE_LENGTH, 2) < 0 ||
	    response_body(r, "{}", 2) < 0 || response_end(r) < 0)
		return HANDLER_ABORT;
	return HANDLER_OK;
}

const struct handler_ops health_check_handler = {
	.name = "app/v1/HealthCheckHandler",
	.serve = health_check_serve,
};
