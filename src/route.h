/* Routing: virtual hosts and handler patterns, then load-balancer matchers. */
#ifndef AILERON_ROUTE_H
#define AILERON_ROUTE_H

#include <stddef.h>

#include "conf.h"
#include "http_parse.h"

#define ROUTE_MAX_PARAMS 16

/* A path wildcard's value: views into the pattern and the request path. */
struct route_param {
	const char *name;
	const char *value;
	size_t len;
};

/* The request as routing sees it; all strings are views, not copies. */
struct route_req {
	int method;       /* enum http_method */
	const char *path; /* decoded path, NUL-terminated */
	size_t path_len;
	const char *query; /* raw query without '?', or NULL */
	size_t query_len;
	const char *host; /* raw Host value (with port), or NULL */
	size_t host_len;
	const struct http_msg *msg; /* headers */
	const char *buf;            /* buffer the msg offsets point into */
	/* path wildcards ({name}, {name...}) filled in by route_find */
	struct route_param params[ROUTE_MAX_PARAMS];
	size_t nparams;
	/* the virtual host handler found by route_find (its chain) */
	const struct conf_handler *spec;
};

struct routes;

/* Build the routing tables of every server in c; NULL after logging errors. */
struct routes *route_build(struct conf *c);
void route_free(struct routes *rt);

/*
 * Find the proxy handling r on server srv (Go 1.22 ServeMux patterns: the
 * most specific match wins); NULL means 404.  Fills r->params and
 * r->spec.
 */
struct conf_proxy *route_find(const struct routes *rt,
    const struct conf_server *srv, struct route_req *r);

/*
 * Join a handler pattern to a prefix as path.Join does, keeping the
 * pattern's trailing '/' (a subtree stays one); malloc'd.
 */
char *route_join_pattern(const char *prefix, const char *pattern);

/*
 * Go ServeMux redirects: when r's path is not clean, or names a subtree
 * mounted only with its trailing slash, write the path to redirect to
 * (decoded) into out and return 1; 0 otherwise.
 */
int route_redirect(const struct routes *rt, const struct conf_server *srv,
    const struct route_req *r, char *out, size_t size);

/*
 * Select the first load balancer of p that matches r.  On success the
 * upstream path (trimmed, rewritten, prefixed; decoded form) is written to
 * out as a NUL-terminated string.  Returns NULL when none matches (404).
 */
struct conf_lb *route_select_lb(const struct conf_proxy *p,
    const struct route_req *r, char *out, size_t outsize);

/*
 * The hash source value of lb for r (hasher: ClientAddr, Header, Cookie,
 * Query, PathParam); client is the peer as "ip:port".  The result points
 * into r, client or buf; a missing value is "".
 */
const char *route_hash_key(const struct conf_lb *lb, const struct route_req *r,
    const char *client, char *buf, size_t size, size_t *len);

/*
 * Append the Go Regexp.Expand of tmpl for one PCRE2 match (re a
 * pcre2_code, ov its ovector of nmatch pairs) to out at *o; -1 if it does
 * not fit in size.
 */
int route_expand_go(const void *re, const char *tmpl, const char *subject,
    const size_t *ov, int nmatch, char *out, size_t size, size_t *o);

/* Match value against pattern with a match type (compiled may be NULL). */
int route_match(int type, const char *pattern, const void *compiled,
    const char *value, size_t len);

/*
 * Percent-decode the path part of a request target into out.  Returns the
 * decoded length, or -1 for a bad escape, %00 (the result is a C string)
 * or a result that does not fit.
 */
int route_decode_path(const char *in, size_t len, char *out, size_t size);

/* Percent-encode a decoded path as Go's URL.EscapedPath does; -1 if too long. */
int route_encode_path(const char *in, size_t len, char *out, size_t size);

#endif
