/* TemplateHandler's pure parts: Accept negotiation and the template data. */
#ifndef AILERON_MIME_CONTENT_H
#define AILERON_MIME_CONTENT_H

#include <stddef.h>

#include "echo_body.h"
#include "gotmpl.h"

struct arena;

/*
 * Is t a mimeType AILERON accepts (^[a-z]+/[0-9a-zA-Z.+-]+$)?  1 or 0.
 */
int mime_content_type_ok(const char *t);

/*
 * Go's mime.ParseMediaType of s (len bytes) without its parameters:
 * the lower-cased "type/subtype" (or a lone token) into out; its length,
 * or -1 when s is not a media type or it does not fit.
 */
int mime_content_media_type(const char *s, size_t len, char *out, size_t size);

/*
 * AILERON's findContent: walk the Accept entries (s, len bytes; NULL for
 * none) in order and return the index of the first of types[n] (lower
 * case) an entry matches as a glob ('*' stands for any run of bytes but
 * '/'), or -1 (406).
 */
int mime_content_find(
    const char *accept, size_t len, const char *const *types, size_t n);

/*
 * The data AILERON gives a template: {proto, host, method, path, remote,
 * header, query}, with header (canonical names, Host and
 * Transfer-Encoding left out) and query (Go's url.ParseQuery: pairs with
 * bad escapes or ';' dropped) as maps of lists.  Strings are NUL-free
 * views; everything lives in arena a.
 */
struct mime_content_req {
	const char *proto, *host, *method, *remote;
	const char *path; /* decoded */
	size_t path_len;
	const char *query; /* raw, or NULL */
	size_t query_len;
	const struct echo_field *fields;
	size_t nfields;
};
struct gotmpl_value *mime_content_data(
    struct arena *a, const struct mime_content_req *r);

#endif
