/* core/v1 StaticFileHandler: files under rootDir as Go's http.FileServer serves them. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "arena.h"
#include "conf_kv.h"
#include "conf_table.h"
#include "handler.h"
#include "http.h"
#include "http_range.h"
#include "kind.h"
#include "log.h"
#include "mime.h"
#include "request.h"
#include "response.h"
#include "route.h"
#include "static_path.h"

/* The spec: the runtime struct first, vhost handlers point at it. */
struct static_file_conf_spec {
	struct conf_proxy px;
	char *root_dir;
	char *strip_prefix;
	int enable_listing;
	struct conf_kv *headers;
	size_t nheaders;
};

static void
static_file_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct static_file_conf_spec *ss = obj;
	char *abs;
	size_t i;
	int fd;

	ss->px.kind = CONF_PROXY_STATIC;
	fd = open(ss->root_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (abs = realpath(ss->root_dir, NULL)) == NULL) {
		conf_errorn(ld, conf_field_node(ld, node, "rootDir"),
		    "field \"rootDir\": %s: %s", ss->root_dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	/* Absolute: a daemon opens it after changing to "/". */
	ss->root_dir = arena_strdup(ld->arena, abs);
	free(abs);
	for (i = 0; i < ss->nheaders; i++)
		if (strcasecmp(ss->headers[i].key, "Content-Length") == 0 ||
		    strcasecmp(ss->headers[i].key, "Transfer-Encoding") == 0 ||
		    strcasecmp(ss->headers[i].key, "Connection") == 0)
			conf_errorn(ld, conf_field_node(ld, node, "header"),
			    "field \"header\": %s is set by the server",
			    ss->headers[i].key);
}

static const struct conf_field static_file_conf_fields[] = {
	FSTRS("patterns", struct static_file_conf_spec, px.patterns,
	    px.npatterns, CF_UNIQUE),
	FMETHODS("methods", struct static_file_conf_spec, px.methods),
	FSTRD("rootDir", struct static_file_conf_spec, root_dir, "./"),
	FSTR("stripPrefix", struct static_file_conf_spec, strip_prefix),
	FBOOL("enableListing", struct static_file_conf_spec, enable_listing),
	FHEADERS("header", struct static_file_conf_spec, headers, nheaders),
	FEND,
};
static const struct conf_table static_file_conf_table = {
	static_file_conf_fields, static_file_conf_check
};

const struct kind static_file_conf_kind = {
	.api_version = "core/v1",
	.kind = "StaticFileHandler",
	.roles = KIND_ROLE_HANDLER,
	.table = &static_file_conf_table,
	.size = sizeof(struct static_file_conf_spec),
	.id_off = offsetof(struct static_file_conf_spec, px.id),
	.eh_off = offsetof(struct static_file_conf_spec, px.errhandler),
	.handler = &static_file_handler,
};

/*
 * Runtime.
 */

/* An instance: the spec and its root directory, opened in the master. */
struct static_file {
	const struct static_file_conf_spec *ss;
	int rootfd;
	const char *etag;  /* an ETag among the configured headers, or NULL */
	const char *ctype; /* a Content-Type among them, or NULL */
};

/* Open the root before fork: workers inherit it. */
static void *
static_file_create(const void *conf, struct conf *c)
{
	const struct static_file_conf_spec *ss = conf;
	struct static_file *sf;
	size_t i;

	(void)c;
	if ((sf = calloc(1, sizeof(*sf))) == NULL) {
		log_warn("StaticFileHandler");
		return NULL;
	}
	sf->ss = ss;
	sf->rootfd = open(ss->root_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sf->rootfd < 0) {
		log_warn("StaticFileHandler %s: rootDir %s", ss->px.id,
		    ss->root_dir);
		free(sf);
		return NULL;
	}
	for (i = 0; i < ss->nheaders; i++) {
		if (strcasecmp(ss->headers[i].key, "ETag") == 0)
			sf->etag = ss->headers[i].value;
		if (strcasecmp(ss->headers[i].key, "Content-Type") == 0)
			sf->ctype = ss->headers[i].value;
	}
	return sf;
}

static void
static_file_destroy(void *inst)
{
	struct static_file *sf = inst;

	if (sf == NULL)
		return;
	close(sf->rootfd);
	free(sf);
}

/*
 * Start a response with status and the headers every answer carries:
 * X-Content-Type-Options: nosniff, then the configured ones.
 */
static int
static_file_start(struct static_file *sf, struct request *r, int status)
{
	size_t i;

	if (response_start(r, status, NULL, 0) < 0 ||
	    response_add_str(r, "X-Content-Type-Options", "nosniff") < 0)
		return -1;
	for (i = 0; i < sf->ss->nheaders; i++)
		if (response_set(r, sf->ss->headers[i].key,
		        sf->ss->headers[i].value) < 0)
			return -1;
	return 0;
}

/*
 * An error (status >= 400) as AILERON's StaticFileHandler answers it: the
 * error handler's body, the configured headers kept (and Content-Range
 * for 416).  A custom ErrorHandler writes its own response.
 */
static int
static_file_error(struct static_file *sf, struct request *r, int status,
    const char *content_range)
{
	const char *accept;
	char body[256], ctype[64];
	size_t alen = 0, n;

	if (r->errhandler != NULL)
		return response_error(r, status, "E2140") < 0 ? HANDLER_ABORT
		                                              : HANDLER_OK;
	accept = request_header(r, HDR_ACCEPT, &alen);
	n = http_error_body(
	    status, accept, alen, ctype, sizeof(ctype), body, sizeof(body));
	if (static_file_start(sf, r, status) < 0 ||
	    response_set(r, "Content-Type", ctype) < 0 ||
	    response_add_str(r, "Vary", "Accept") < 0 ||
	    (content_range != NULL &&
	        response_add_str(r, "Content-Range", content_range) < 0) ||
	    response_send_head(r, RESPONSE_LENGTH, n) < 0 ||
	    response_body(r, body, n) < 0 || response_end(r) < 0)
		return HANDLER_ABORT;
	return HANDLER_OK;
}

/* A response without a body: 301 says Content-Length: 0, 304 nothing. */
static int
static_file_empty(struct request *r)
{
	if (response_send_head(r,
	        r->resp.status == 304 ? RESPONSE_NONE : RESPONSE_LENGTH,
	        0) < 0 ||
	    response_end(r) < 0)
		return HANDLER_ABORT;
	return HANDLER_OK;
}

/* 301 to location (relative, decoded) with the query kept. */
static int
static_file_redirect(
    struct static_file *sf, struct request *r, const char *location)
{
	char loc[3 * sizeof(((struct static_result *)0)->location) + 8];
	char *full;
	int n;

	if ((n = route_encode_path(
	         location, strlen(location), loc, sizeof(loc))) < 0)
		return static_file_error(sf, r, 404, NULL);
	full = arena_alloc(r->arena, (size_t)n + r->query_len + 2);
	memcpy(full, loc, (size_t)n);
	if (r->query != NULL && r->query_len > 0) {
		full[n++] = '?';
		memcpy(full + n, r->query, r->query_len);
		n += (int)r->query_len;
	}
	full[n] = '\0';
	if (static_file_start(sf, r, 301) < 0 ||
	    response_add_str(r, "Location", full) < 0)
		return HANDLER_ABORT;
	return static_file_empty(r);
}

/* The value of request header name, or NULL (length in *len). */
static const char *
static_file_field(const struct request *r, const char *name, size_t *len)
{
	int i = http_find_name(r->msg, r->buf, name, strlen(name));

	if (i < 0) {
		*len = 0;
		return NULL;
	}
	*len = r->msg->fields[i].value.len;
	return r->buf + r->msg->fields[i].value.off;
}

/* A 304: no Content-Type (Go's writeNotModified). */
static int
static_file_not_modified(
    struct static_file *sf, struct request *r, const char *lastmod)
{
	if (static_file_start(sf, r, 304) < 0)
		return HANDLER_ABORT;
	(void)response_del(r, "Content-Type");
	(void)response_del(r, "Content-Encoding");
	if (sf->etag == NULL && lastmod != NULL &&
	    response_set(r, "Last-Modified", lastmod) < 0)
		return HANDLER_ABORT;
	return static_file_empty(r);
}

/* A directory listing (enableListing), as Go's dirList. */
static int
static_file_listing(
    struct static_file *sf, struct request *r, const struct static_result *res)
{
	struct http_cond c;
	char lastmod[32];
	char *body;
	size_t len;
	int use, rc = HANDLER_ABORT;

	http_date_format(res->st.st_mtime, lastmod);
	memset(&c, 0, sizeof(c));
	c.get_or_head =
	    r->msg->method_id == HTTP_M_GET || r->msg->method_id == HTTP_M_HEAD;
	c.if_modified_since =
	    static_file_field(r, "If-Modified-Since", &c.if_modified_since_len);
	if (http_cond_check(&c, res->st.st_mtime, NULL, &use) == 304)
		return static_file_not_modified(sf, r, lastmod);
	if ((body = static_listing(res->fd, &len)) == NULL)
		return static_file_error(sf, r, 500, NULL);
	if (static_file_start(sf, r, 200) == 0 &&
	    response_set(r, "Last-Modified", lastmod) == 0 &&
	    response_set(r, "Content-Type", "text/html; charset=utf-8") == 0 &&
	    response_send_head(r, RESPONSE_LENGTH, len) == 0 &&
	    response_body(r, body, len) == 0 && response_end(r) == 0)
		rc = HANDLER_OK;
	free(body);
	return rc;
}

/* Send len bytes of fd from off: sendfile, or read and write. */
static int
static_file_copy(struct request *r, int fd, int64_t off, uint64_t len)
{
	char buf[64 * 1024];
	int rc;

	if ((rc = response_sendfile(r, fd, off, len)) <= 0)
		return rc;
	while (len > 0) {
		ssize_t n = pread(
		    fd, buf, len < sizeof(buf) ? len : sizeof(buf), (off_t)off);

		if (n <= 0)
			return -1; /* the file shrank: the client sees it short */
		if (response_body(r, buf, (size_t)n) < 0)
			return -1;
		off += n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* The Content-Type of a file: configured, by extension, or sniffed. */
static const char *
static_file_type(struct static_file *sf, const struct static_result *res)
{
	char buf[MIME_SNIFF_LEN];
	const char *t;
	ssize_t n;

	if (sf->ctype != NULL)
		return sf->ctype;
	if ((t = mime_by_name(res->name, res->name_len)) != NULL)
		return t;
	n = pread(res->fd, buf, sizeof(buf), 0);
	return mime_sniff(buf, n > 0 ? (size_t)n : 0);
}

/* A multipart/byteranges body of ranges rg[n]. */
static int
static_file_multipart(struct request *r, int fd, const struct http_range *rg,
    size_t n, int64_t size, const char *ctype, const char *boundary)
{
	char head[HTTP_RANGE_PART_HEAD_MAX];
	size_t i, hl;

	for (i = 0; i < n; i++) {
		hl = http_range_part_head(
		    head, sizeof(head), boundary, i == 0, &rg[i], size, ctype);
		if (response_body(r, head, hl) < 0 ||
		    static_file_copy(
		        r, fd, rg[i].start, (uint64_t)rg[i].length) < 0)
			return -1;
	}
	hl = http_range_part_tail(head, sizeof(head), boundary);
	return response_body(r, head, hl);
}

/* A file, as Go's ServeContent: preconditions, type, ranges, body. */
static int
static_file_content(
    struct static_file *sf, struct request *r, const struct static_result *res)
{
	struct http_range rg[HTTP_RANGE_MAX];
	struct http_cond c;
	const char *range, *ctype;
	char lastmod[32], cr[96], boundary[61], mpct[128];
	unsigned char rnd[30];
	int64_t size = res->st.st_size;
	size_t rlen, n = 0, i;
	int use, status, rv;

	http_date_format(res->st.st_mtime, lastmod);
	memset(&c, 0, sizeof(c));
	c.get_or_head =
	    r->msg->method_id == HTTP_M_GET || r->msg->method_id == HTTP_M_HEAD;
	c.if_match = static_file_field(r, "If-Match", &c.if_match_len);
	c.if_none_match =
	    static_file_field(r, "If-None-Match", &c.if_none_match_len);
	c.if_modified_since =
	    static_file_field(r, "If-Modified-Since", &c.if_modified_since_len);
	c.if_unmodified_since = static_file_field(
	    r, "If-Unmodified-Since", &c.if_unmodified_since_len);
	c.if_range = static_file_field(r, "If-Range", &c.if_range_len);
	status = http_cond_check(&c, res->st.st_mtime, sf->etag, &use);
	if (status == 304)
		return static_file_not_modified(sf, r, lastmod);
	if (status == 412)
		return static_file_error(sf, r, 412, NULL);
	ctype = static_file_type(sf, res);
	range = static_file_field(r, "Range", &rlen);
	if (range != NULL && rlen > 0 && use) {
		rv = http_range_parse(range, rlen, size, rg, &n);
		if (rv == HTTP_RANGE_NO_OVERLAP) {
			snprintf(
			    cr, sizeof(cr), "bytes */%lld", (long long)size);
			return static_file_error(sf, r, 416, cr);
		}
		if (rv != 0)
			return static_file_error(sf, r, 416, NULL);
	}
	if (static_file_start(sf, r, n > 0 ? 206 : 200) < 0 ||
	    response_set(r, "Last-Modified", lastmod) < 0 ||
	    response_set(r, "Accept-Ranges", "bytes") < 0)
		return HANDLER_ABORT;
	if (n == 0) {
		if (response_set(r, "Content-Type", ctype) < 0 ||
		    response_send_head(r, RESPONSE_LENGTH, (uint64_t)size) <
		        0 ||
		    (r->msg->method_id != HTTP_M_HEAD &&
		        static_file_copy(r, res->fd, 0, (uint64_t)size) < 0))
			return HANDLER_ABORT;
		return response_end(r) < 0 ? HANDLER_ABORT : HANDLER_OK;
	}
	if (n == 1) {
		http_range_content_range(&rg[0], size, cr, sizeof(cr));
		if (response_set(r, "Content-Type", ctype) < 0 ||
		    response_set(r, "Content-Range", cr) < 0 ||
		    response_send_head(
		        r, RESPONSE_LENGTH, (uint64_t)rg[0].length) < 0 ||
		    (r->msg->method_id != HTTP_M_HEAD &&
		        static_file_copy(r, res->fd, rg[0].start,
		            (uint64_t)rg[0].length) < 0))
			return HANDLER_ABORT;
		return response_end(r) < 0 ? HANDLER_ABORT : HANDLER_OK;
	}
	/* Several ranges: Go's random 30-byte boundary in hex. */
	arc4random_buf(rnd, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(boundary + 2 * i, 3, "%02x", rnd[i]);
	snprintf(
	    mpct, sizeof(mpct), "multipart/byteranges; boundary=%s", boundary);
	if (response_set(r, "Content-Type", mpct) < 0 ||
	    response_send_head(r, RESPONSE_LENGTH,
	        (uint64_t)http_range_multipart_size(
	            rg, n, boundary, size, ctype)) < 0 ||
	    (r->msg->method_id != HTTP_M_HEAD &&
	        static_file_multipart(
	            r, res->fd, rg, n, size, ctype, boundary) < 0))
		return HANDLER_ABORT;
	return response_end(r) < 0 ? HANDLER_ABORT : HANDLER_OK;
}

/* Serve r from the root: stripPrefix, then Go's FileServer. */
static int
static_file_serve(void *inst, struct request *r)
{
	struct static_file *sf = inst;
	const struct static_file_conf_spec *ss = sf->ss;
	struct static_result res;
	const char *p = r->path;
	size_t len = r->path_len, pl;
	char *upath;
	int rc;

	if (ss->strip_prefix != NULL && ss->strip_prefix[0] != '\0') {
		pl = strlen(ss->strip_prefix);
		if (len < pl || memcmp(p, ss->strip_prefix, pl) != 0)
			return static_file_error(sf, r, 404, NULL);
		p += pl;
		len -= pl;
	}
	/* FileServer: the path starts with '/'. */
	upath = arena_alloc(r->arena, len + 2);
	upath[0] = '/';
	memcpy(upath + (len > 0 && p[0] == '/' ? 0 : 1), p, len);
	len += len > 0 && p[0] == '/' ? 0 : 1;
	upath[len] = '\0';
	static_resolve(sf->rootfd, upath, len, ss->enable_listing, &res);
	switch (res.action) {
	case STATIC_REDIRECT:
		return static_file_redirect(sf, r, res.location);
	case STATIC_ERROR:
		return static_file_error(sf, r, res.status, NULL);
	case STATIC_LISTING:
		rc = static_file_listing(sf, r, &res);
		break;
	case STATIC_FILE:
	default:
		rc = static_file_content(sf, r, &res);
		break;
	}
	close(res.fd);
	return rc;
}

const struct handler_ops static_file_handler = {
	.name = "core/v1/StaticFileHandler",
	.create = static_file_create,
	.destroy = static_file_destroy,
	.serve = static_file_serve,
};
