/* Access log lines of core/v1 HTTPLogger (JSON, logFormat, combined). */
#ifndef AILERON_ACCESSLOG_H
#define AILERON_ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "http_parse.h"

struct request;
struct exchange;

/*
 * The lines of HTTPLogger hl (the runtime of src/middleware/http_logger.c):
 * the "server" request line of r, and its response line from what the
 * response writer sent (status 499 when nothing was sent).
 */
void accesslog_server_request(
    const struct conf_httplogger *hl, struct request *r);
void accesslog_server_response(
    const struct conf_httplogger *hl, struct request *r);

/*
 * Tripperware ("client") lines: the upstream request head of exchange x
 * as it will be sent, and the upstream response head x received.
 */
void accesslog_client_request(const struct conf_httplogger *hl,
    struct request *r, const struct exchange *x);
void accesslog_client_response(const struct conf_httplogger *hl,
    struct request *r, const struct exchange *x);

/* Apply replacers to value[0..len) into out (NUL-terminated); its length. */
size_t accesslog_replace(const struct conf_replacer *r, size_t n,
    const char *value, size_t len, char *out, size_t size);

/* The 20-character request id of AILERON (URL-safe base64 of 15 bytes). */
void accesslog_make_id(char out[21]);

#endif
