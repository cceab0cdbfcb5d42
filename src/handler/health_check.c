/* app/v1 HealthCheckHandler: 200 with the JSON body {}. */
#include "handler.h"
#include "response.h"

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
