/* app/v1 BodyLimitMiddleware: refuse request bodies above maxSize. */
#ifndef AILERON_MW_BODY_LIMIT_H
#define AILERON_MW_BODY_LIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BODY_LIMIT_DEFAULT_MAX 4194304

struct body_limit_policy {
	int64_t max_size;  /* <= 0: off */
	int64_t mem_limit; /* <= 0: count while streaming */
	char *temp_path;   /* directory for bodies above mem_limit */
};

enum body_limit_action {
	BODY_LIMIT_PASS = 0,  /* no limit: forward as is */
	BODY_LIMIT_TOO_LARGE, /* drain the body, then 413 (E3205) */
	BODY_LIMIT_COUNT,     /* forward, counting; see body_limit_count */
	BODY_LIMIT_MEMORY,    /* read the whole body into memory first */
	BODY_LIMIT_FILE       /* spool the body to a temp file first */
};

/*
 * What to do with a request body: chunked says the length is unknown,
 * else length is the Content-Length (0 with no body).
 */
enum body_limit_action body_limit_decide(
    const struct body_limit_policy *p, int chunked, uint64_t length);

/*
 * Account n more bytes read by a counting reader into *total.  Returns 0
 * while within max_size; past it, 413 if the response has not started
 * (send it with Connection: close) or -1 (abort the connection).
 */
int body_limit_count(const struct body_limit_policy *p, uint64_t *total,
    size_t n, int response_started);

/* Read up to n body bytes into buf: >0 bytes, 0 at the end, -1 on error. */
typedef ssize_t (*body_limit_read_fn)(void *ctx, void *buf, size_t n);

/*
 * Create the temp file for a spooled body,
 * <temp_path>/body-<YYYYMMDDhhmmss.uuuuuu>-<20-digit counter>, opened
 * read-write with mode 0600 and already unlinked, so nothing is left
 * behind whatever happens.  The name is written to path.  Returns the fd
 * or -1 (errno set).
 */
int body_limit_tempfile(
    const struct body_limit_policy *p, char *path, size_t size);

/*
 * Copy the body (length bytes announced) from rd into fd, at most
 * max_size bytes, then rewind fd.  Returns 0, 400 if the body was shorter
 * or longer than announced (E3206), 500 on a read or write error (E3207).
 */
int body_limit_spool(const struct body_limit_policy *p, int fd, uint64_t length,
    body_limit_read_fn rd, void *ctx);

/*
 * Read exactly length bytes from rd into buf (length <= mem_limit).
 * Returns 0, or 400 on a short body or read error (E3206).
 */
int body_limit_read_all(
    void *buf, uint64_t length, body_limit_read_fn rd, void *ctx);

#endif
