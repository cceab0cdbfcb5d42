/* Metrics and status: app/v1 PrometheusMeter and app/v1 StatusHandler. */
#ifndef AILERON_STATUS_H
#define AILERON_STATUS_H

#include <stddef.h>

/*
 * Render the body of a PrometheusMeter (kind CONF_PROXY_METRICS:
 * Prometheus text) or StatusHandler (CONF_PROXY_STATUS: a text page, or
 * "Key: value" lines when the query starts with "auto") from the
 * scoreboard.  Returns a malloc'd body of *len bytes; *ctype is its
 * Content-Type.
 */
char *status_render(
    int kind, const char *query, size_t qlen, size_t *len, const char **ctype);

struct request;

/*
 * Answer r with the page of kind (CONF_PROXY_METRICS or
 * CONF_PROXY_STATUS): the StatusHandler's and PrometheusMeter's runtime
 * (src/handler/status.c).  HANDLER_OK or HANDLER_ABORT.
 */
int status_handler_send(struct request *r, int kind);
/* Answer r with the page body (blen bytes of type ctype) as above. */
int status_handler_reply(
    struct request *r, const char *body, size_t blen, const char *ctype);

#endif
