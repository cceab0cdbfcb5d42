/* Range requests and conditional requests, as Go's http.ServeContent. */
#ifndef AILERON_HTTP_RANGE_H
#define AILERON_HTTP_RANGE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* More ranges than this in one request: the Range field is ignored. */
#define HTTP_RANGE_MAX 64

/* One byte range of a representation. */
struct http_range {
	int64_t start;
	int64_t length;
};

/* http_range_parse() results besides 0. */
#define HTTP_RANGE_INVALID    -1 /* 416 */
#define HTTP_RANGE_NO_OVERLAP -2 /* 416 with "Content-Range: bytes * /size" */

/*
 * Parse the value of a Range field (s, len bytes) against a representation
 * of size bytes into out (HTTP_RANGE_MAX entries).  Returns 0 with the
 * count in *n (0: send the whole representation, which is also the answer
 * for an empty representation, for ranges adding up to more than size,
 * and for more than HTTP_RANGE_MAX ranges), or one of the errors above.
 */
int http_range_parse(
    const char *s, size_t len, int64_t size, struct http_range *out, size_t *n);

/* Write "bytes first-last/size" into buf; returns the length. */
size_t http_range_content_range(
    const struct http_range *r, int64_t size, char *buf, size_t bufsize);

/* Room for one part head of a multipart/byteranges body. */
#define HTTP_RANGE_PART_HEAD_MAX 512

/*
 * The head of part r of a multipart/byteranges body (first: the first
 * part) into buf, as Go's mime/multipart writes it; 0 if it did not fit.
 */
size_t http_range_part_head(char *buf, size_t size, const char *boundary,
    int first, const struct http_range *r, int64_t total, const char *ctype);
/* The closing delimiter of such a body; 0 if it did not fit. */
size_t http_range_part_tail(char *buf, size_t size, const char *boundary);
/* The length of the whole multipart body for ranges r[n]. */
int64_t http_range_multipart_size(const struct http_range *r, size_t n,
    const char *boundary, int64_t total, const char *ctype);

/*
 * Parse an HTTP date (IMF-fixdate, RFC 850 or asctime, as Go's
 * http.ParseTime); 0 and the time in *t, or -1.
 */
int http_date_parse(const char *s, size_t len, time_t *t);

/* Format t as an IMF-fixdate into buf (at least 30 bytes). */
void http_date_format(time_t t, char *buf);

/* The request fields a conditional request is decided on (NULL: absent). */
struct http_cond {
	const char *if_match, *if_none_match, *if_modified_since,
	    *if_unmodified_since, *if_range;
	size_t if_match_len, if_none_match_len, if_modified_since_len,
	    if_unmodified_since_len, if_range_len;
	int get_or_head; /* the method is GET or HEAD */
};

/*
 * Evaluate the preconditions of c (RFC 9110 13.2.2, in Go's order) for a
 * representation last modified at mtime (0: unknown) with entity tag
 * etag (NULL: none).  Returns 0 to go on, 304 or 412.  On 0, *use_range
 * says whether a Range field is to be honoured (If-Range).
 */
int http_cond_check(
    const struct http_cond *c, time_t mtime, const char *etag, int *use_range);

#endif
