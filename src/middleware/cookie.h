/* core/v1 CookieSpec and Go's cookie syntax: Set-Cookie values, request cookies. */
#ifndef AILERON_MIDDLEWARE_COOKIE_H
#define AILERON_MIDDLEWARE_COOKIE_H

#include <stddef.h>
#include <stdint.h>

#include "conf_table.h"

#define COOKIE_SAMESITE_DEFAULT 0
#define COOKIE_SAMESITE_LAX     1
#define COOKIE_SAMESITE_STRICT  2
#define COOKIE_SAMESITE_NONE    3

/* core/v1 CookieSpec (name and value are read but never used, as in AILERON). */
struct cookie_spec {
	char *name, *value, *path, *domain;
	int64_t expires_in, max_age;
	int secure, http_only, same_site;
	/* set by the owner's check: the spec was written, so it is used as
	 * is; unset means AILERON's default "Path=/; HttpOnly; Secure" */
	int set;
};

extern const struct conf_table cookie_spec_table;

struct arena;
struct request;

/* Whether field name of mapping node was written (and not null). */
int cookie_spec_written(struct loader *ld, yaml_node_t *node, const char *name);

/*
 * The Set-Cookie value "name=value" with the attributes of spec in Go's
 * order (http.Cookie String()), NUL-terminated in arena a.
 */
char *cookie_format(struct arena *a, const struct cookie_spec *spec,
    const char *name, const char *value, size_t vlen);

/* The Set-Cookie value that deletes cookie name: "name=; Max-Age=0". */
char *cookie_format_delete(struct arena *a, const char *name, size_t nlen);

/*
 * The request's cookies in Go's order (r.Cookies(): every Cookie field,
 * pairs split at ';', names that are tokens, values of cookie octets with
 * surrounding quotes removed; a pair without '=' has an empty value).
 * Start with it zeroed; cookie_next returns 0 at the end.
 */
struct cookie_iter {
	size_t field;
	const char *p, *end;
};
int cookie_next(const struct request *r, struct cookie_iter *it,
    const char **name, size_t *nlen, const char **value, size_t *vlen);

/* The value of the first cookie called name (Go's r.Cookie), or NULL. */
const char *cookie_get(const struct request *r, const char *name, size_t *len);

#endif
