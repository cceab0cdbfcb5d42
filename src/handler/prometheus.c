/* app/v1 PrometheusMeter as a handler: the scoreboard's counters in Prometheus text. */
#include "handler.h"
#include "status.h"

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
