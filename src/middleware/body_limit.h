/* app/v1 BodyLimitMiddleware: refuse request bodies above maxSize. */
#ifndef AILERON_MW_BODY_LIMIT_H
#define AILERON_MW_BODY_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#define BODY_LIMIT_DEFAULT_MAX 4194304
#define BODY_LIMIT_DRAIN_MAX   (256 * 1024) /* refused body read and dropped */
#define BODY_LIMIT_DRAIN_MS    5000         /* ... within this time */

struct body_limit_policy {
	int64_t max_size;  /* <= 0: off */
	int64_t mem_limit; /* read, checked; not used (bodies stream) */
	char *temp_path;   /* read, checked; not used (bodies stream) */
};

enum body_limit_action {
	BODY_LIMIT_PASS = 0,  /* no limit, no body or short enough: go on */
	BODY_LIMIT_TOO_LARGE, /* Content-Length > maxSize: 413 (E3205) */
	BODY_LIMIT_COUNT      /* chunked: the readers stop at maxSize */
};

/*
 * What to do with a request body of kind body (enum http_body) whose
 * Content-Length is length.
 */
enum body_limit_action body_limit_decide(
    const struct body_limit_policy *p, int body, uint64_t length);

/*
 * 1 when a refused body of length bytes, avail of them here already, is
 * read and dropped before the 413 (the connection then stays usable):
 * at most BODY_LIMIT_DRAIN_MAX more bytes, and not from a client that
 * waits for 100 Continue before sending any.
 */
int body_limit_drainable(uint64_t length, size_t avail, int expect_continue);

#endif
