/* EchoHandler's response body: the request dumped as AILERON prints it. */
#ifndef AILERON_ECHO_BODY_H
#define AILERON_ECHO_BODY_H

#include <stddef.h>

/* Request bodies larger than this are not shown (AILERON: 1<<24). */
#define ECHO_BODY_MAX (16u * 1024 * 1024)

/* A request header field as received. */
struct echo_field {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

/* What the dump shows; strings NUL-terminated unless a length is given. */
struct echo_req {
	const char *proto; /* "HTTP/1.1" */
	const char *host;  /* Host */
	const char *method;
	const char *uri;  /* the request target as received */
	const char *path; /* decoded path */
	size_t path_len;
	const char *query;               /* raw query, "" when none */
	const char *remote;              /* "ip:port", "[v6]:port" */
	const struct echo_field *fields; /* without Host */
	size_t nfields;
	const char *body; /* NULL: the body was too large to show */
	size_t body_len;
};

struct request;

/*
 * Fill er, the view of request r (src/handler/echo.c; strings in r's
 * arena; no body): what EchoHandler shows and TemplateHandler's
 * templates see.
 */
void echo_request_view(struct request *r, struct echo_req *er);

/*
 * Build the dump of r.  Returns a malloc'd body and its length in *len
 * with *status 200, or, when the path or query holds a bad escape, Go's
 * error text with *status 500.  NULL only when out of memory.
 */
char *echo_body_build(const struct echo_req *r, size_t *len, int *status);

/* Go's CanonicalMIMEHeaderKey in place: upper case after start and '-'. */
void echo_canon_name(char *s, size_t n);

/*
 * Append s (len bytes) to a growing buffer as a Go json.Encoder string
 * (quotes included, <, > and & escaped); the buffer helpers are below.
 */
struct echo_buf {
	char *p;
	size_t len, size;
	int failed; /* an allocation failed: p is NULL */
};
void echo_buf_put(struct echo_buf *b, const char *s, size_t n);
void echo_buf_json(struct echo_buf *b, const char *s, size_t n);

#endif
