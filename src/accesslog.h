/* Access log: core/v1 HTTPLogger used as HTTPServer middleware. */
#ifndef AILERON_ACCESSLOG_H
#define AILERON_ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "http_parse.h"

/*
 * A request of server srv was parsed: m with its bytes in buf, from client
 * ip:port.  Writes the JSON "server" request line of each HTTPLogger of
 * srv and remembers what the response line needs.  Nothing happens when
 * srv has no HTTPLogger.
 */
void accesslog_begin(const struct conf_server *srv, const struct http_msg *m,
    const char *buf, const char *ip, const char *port);

/*
 * The response to that request ended; resp holds the response head that
 * was sent (resp[0] == '\0' when none was: logged as status 499).
 */
void accesslog_end(
    const struct conf_server *srv, const char *resp, size_t resp_size);

/*
 * Tripperware (client side) lines of upstream up's HTTPLoggers: the
 * request head sent upstream (head[0..len)) and the response head r
 * received (bytes in buf).  Nothing happens without such loggers.
 */
void accesslog_client_request(
    const struct conf_upstream *up, const char *head, size_t len);
void accesslog_client_response(
    const struct conf_upstream *up, const struct http_msg *r, const char *buf);

/* Apply replacers to value[0..len) into out (NUL-terminated); its length. */
size_t accesslog_replace(const struct conf_replacer *r, size_t n,
    const char *value, size_t len, char *out, size_t size);

/* The 20-character request id of AILERON (URL-safe base64 of 15 bytes). */
void accesslog_make_id(char out[21]);

#endif
