/* Access log lines of core/v1 HTTPLogger (JSON, logFormat, combined). */
#ifndef AILERON_ACCESSLOG_H
#define AILERON_ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "http_parse.h"

struct arena;
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
 * Journal: the response head is about to leave (decides whether its body
 * is logged), and a piece of the response body going by (passed on).
 */
void accesslog_server_head(const struct conf_httplogger *hl, struct request *r);
int accesslog_server_body(const struct conf_httplogger *hl, struct request *r,
    const void *data, size_t n, int last);

/*
 * Tripperware ("client") lines: the upstream request head of exchange x
 * as it will be sent, and the upstream response head x received.
 */
void accesslog_client_request(const struct conf_httplogger *hl,
    struct request *r, const struct exchange *x);
void accesslog_client_response(
    const struct conf_httplogger *hl, struct request *r, struct exchange *x);
/* The exchange is over: journal lines that waited for their bodies. */
void accesslog_client_done(const struct conf_httplogger *hl, struct request *r,
    const struct exchange *x);

/*
 * Apply replacers rs[0..n) in order to in[0..len) (bytes: as AILERON's
 * body replacers); the result and its length in *outlen, in a or in.
 */
const char *accesslog_replace(const struct conf_log_repl *rs, size_t n,
    struct arena *a, const char *in, size_t len, size_t *outlen, int bytes);

/* The 20-character request id of AILERON (URL-safe base64 of 15 bytes). */
void accesslog_make_id(char out[21]);

#endif
