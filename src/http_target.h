/* Request targets: the forms of RFC 9112 3.2; Expect. */
#ifndef AILERON_HTTP_TARGET_H
#define AILERON_HTTP_TARGET_H

#include <stddef.h>

#include "http_parse.h"

/* A request target split into views of the original bytes. */
struct http_target {
	const char *authority; /* absolute-form authority, else NULL */
	size_t authority_len;
	const char *path; /* raw (still encoded) path */
	size_t path_len;
	const char *query; /* raw query without '?', or NULL */
	size_t query_len;
};

/*
 * Split an origin-form or http(s) absolute-form target.  An absolute-form
 * target without a path has the empty path.  Returns -1 for any other
 * form (authority-form, "*", other schemes) and for an empty authority or
 * one with userinfo.
 */
int http_target_split(const char *t, size_t len, struct http_target *out);

/*
 * 0 when every Expect field of request m (head in buf) asks for
 * 100-continue or there is none; 417 otherwise.
 */
int http_expect_check(const struct http_msg *m, const char *buf);

#endif
