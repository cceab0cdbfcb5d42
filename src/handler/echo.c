/* app/v1 EchoHandler: answers with a dump of the request, as AILERON does. */
#include <stddef.h>

#include "conf_table.h"
#include "kind.h"

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
};
