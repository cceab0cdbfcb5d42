/* app/v1 StatusHandler: the scoreboard as a mod_status-like page (rendered by status.c). */
#include <stdlib.h>

#include "handler.h"
#include "response.h"
#include "status.h"

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
	int rc = HANDLER_ABORT;

	if (response_start(r, 200, NULL, 0) == 0 &&
	    response_add_str(r, "Content-Type", ctype) == 0 &&
	    response_add_str(r, "Cache-Control", "no-store") == 0 &&
	    response_add_str(r, "X-Content-Type-Options", "nosniff") == 0 &&
	    response_send_head(r, RESPONSE_LENGTH, blen) == 0 &&
	    response_body(r, body, blen) == 0 && response_end(r) == 0)
		rc = HANDLER_OK;
	free(body);
	return rc;
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
