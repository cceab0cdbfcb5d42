/* Error responses: AILERON's default bodies or an ErrorHandler's custom ones. */
#ifndef AILERON_ERRPAGE_H
#define AILERON_ERRPAGE_H

#include <stddef.h>

#include "conf.h"

struct request;

/* AILERON error codes of the errors aileron produces. */
#define ERRPAGE_NO_UPSTREAM    "E2122" /* no load balancer matched: 404 */
#define ERRPAGE_UNAVAILABLE    "E2121" /* no usable upstream: 502 */
#define ERRPAGE_TIMEOUT        "E2123" /* upstream timeout: 504 */
#define ERRPAGE_ROUNDTRIP      "E2124" /* upstream failed: 502 */
#define ERRPAGE_SWITCH         "E2125" /* protocol switch refused: 502 */
#define ERRPAGE_NOT_FOUND      "E2131" /* no route in the server: 404 */
#define ERRPAGE_THROTTLE       "E3213" /* ThrottleMiddleware refused: 429 */
#define ERRPAGE_BODY_TOO_LARGE "E3205" /* BodyLimitMiddleware: 413 */
#define ERRPAGE_AUTHN          "E3050" /* authentication failed: 401 */

/*
 * Answer r with the error code (one of the above), message and status
 * through eh's errorMessages, the client's Accept (accept[0..alen))
 * picking the content.  Returns 1 when it answered, 0 when eh is NULL or
 * nothing matches (the caller sends the default body), -1 when the
 * response could not be sent.
 */
int errpage_send(struct request *r, const struct conf_errhandler *eh,
    int status, const char *code, const char *message, const char *accept,
    size_t alen);

/* Check a regular expression for errorMessages; -1 with a message in err. */
int errpage_check_regex(const char *re, char *err, size_t size);

/*
 * Check a template of type type: Text is literal; GoText and GoHTML may
 * only use {{.status}}, {{.statusText}}, {{.code}} and {{.kind}}.  -1 if
 * it uses anything else.
 */
int errpage_check_template(int type, const char *t);

/* The kind name of an error code ("CoreProxyNoUpstream"), or "". */
const char *errpage_kind(const char *code);

#endif
