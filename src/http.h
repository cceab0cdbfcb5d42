/* HTTP helpers: status texts, dates, error bodies, header lookup. */
#ifndef AILERON_HTTP_H
#define AILERON_HTTP_H

#include <stddef.h>

#include "http_parse.h"

/* Reason phrase for a status code ("Unknown" when unknown). */
const char *http_status_text(int status);

/* Current time as an IMF-fixdate, cached per second; 29 characters. */
const char *http_date_now(void);

/*
 * The body of an error response in AILERON's style into out (size
 * bytes): JSON, XML or YAML chosen by the first entry of accept (may be
 * NULL); its Content-Type into ctype.  Returns the body's length, or 0
 * if it did not fit.
 */
size_t http_error_body(int status, const char *accept, size_t accept_len,
    char *ctype, size_t csize, char *out, size_t size);

/* Plain-text protocol error (400, 414, 431, 501, 505) with Connection: close. */
size_t http_plain_error_format(char *out, size_t size, int status);

/* Find the first field with id in m; returns its index or -1. */
int http_find(const struct http_msg *m, int id);
/* Find the first field named name (case-insensitive) in m; -1 if none. */
int http_find_name(
    const struct http_msg *m, const char *buf, const char *name, size_t len);

#endif
