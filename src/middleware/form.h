/* Form bodies for middleware: a whole body in the buffer, its fields. */
#ifndef AILERON_MW_FORM_H
#define AILERON_MW_FORM_H

#include <stddef.h>

struct request;

/*
 * The request body when its media type is mime and the whole of it is
 * already in the request's buffer (it stays there for the handler);
 * NULL otherwise.
 */
const char *mw_body_buffered(struct request *r, const char *mime, size_t *len);

/*
 * Read the rest of a Content-Length body of at most max bytes into the
 * request's buffer (the handler still gets it): 0, or -1 when the body
 * is chunked, larger, or cannot be read in time.
 */
int mw_body_gather(struct request *r, size_t max);

/*
 * The first value of form field key in a buffered
 * application/x-www-form-urlencoded body (Go's PostFormValue), decoded in
 * the request's arena; NULL when absent.
 */
const char *mw_form_value(struct request *r, const char *key, size_t *len);

#endif
