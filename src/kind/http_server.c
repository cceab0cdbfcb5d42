/* core/v1 HTTPServer: a listener, its limits and timeouts, virtual hosts. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "conf_table.h"
#include "conf_tls.h"
#include "http_parse.h"
#include "kind.h"

#define HTTP_SERVER_CONF_ADDR ":8080" /* addr and listenConfig.addr unset */

/* core/v1 HTTPServer spec: the server plus what only loading needs. */
struct http_server_conf_spec {
	struct conf_server srv;
	struct conf_addr addr;
	struct conf_addr listen_addr;
};

/*
 * middleware: references resolved once every file is read; the server's
 * chain takes them in the order read (server, virtual hosts, handlers).
 */
static int
http_server_conf_set_middleware(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	struct conf_server *srv = ld->spec != NULL
	    ? &((struct http_server_conf_spec *)ld->spec)->srv
	    : NULL;

	(void)f;
	(void)obj;
	return kind_read_wares(ld, key, v, KIND_ROLE_MIDDLEWARE,
	    srv != NULL ? &srv->middleware : NULL,
	    srv != NULL ? &srv->nmiddleware : NULL);
}

/* A vhost handler serves the document it names (its runtime struct). */
static void
http_server_conf_bind_handler(struct loader *ld, void *user, struct conf_doc *d)
{
	struct conf_handler *h = user;

	(void)ld;
	h->kind = CONF_HANDLER_PROXY;
	h->proxy = d->obj;
}

/* A vhost handler's reference; resolved once every file has been read. */
static int
http_server_conf_set_handler(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	struct conf_ref *r = arena_alloc(ld->arena, sizeof(*r));

	(void)f;
	(void)key;
	if (conf_parse_object(ld, v, &conf_ref_table, r) < 0 || r->id == NULL)
		return -1;
	conf_defer_ref(
	    ld, r, KIND_ROLE_HANDLER, http_server_conf_bind_handler, obj);
	return 0;
}

static const struct conf_field http_server_conf_handler_fields[] = {
	FSTR("pattern", struct conf_handler, pattern),
	FFUNCD("middleware", http_server_conf_set_middleware, 0, "[]"),
	FFUNC("handler", http_server_conf_set_handler, CF_REQUIRED),
	FEND,
};
static const struct conf_table http_server_conf_handler_table = {
	http_server_conf_handler_fields, NULL
};

static const struct conf_field http_server_conf_vhost_fields[] = {
	FSTRS(
	    "hosts", struct conf_vhost, hosts, nhosts, CF_UNIQUE | CF_HOSTNAME),
	FSTR("pattern", struct conf_vhost, pattern),
	FMETHODS("methods", struct conf_vhost, methods),
	FFUNCD("middleware", http_server_conf_set_middleware, 0, "[]"),
	FLIST("handlers", struct conf_vhost, handlers, nhandlers,
	    struct conf_handler, &http_server_conf_handler_table),
	FEND,
};
static const struct conf_table http_server_conf_vhost_table = {
	http_server_conf_vhost_fields, NULL
};

/* listenConfig.tlsConfig: TLS on the listener; certKeyPairs required. */
static int
http_server_conf_set_listen_tls(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	struct conf_tls *t = arena_alloc(ld->arena, sizeof(*t));
	int rc;

	memset(t, 0, sizeof(*t));
	*(struct conf_tls **)(void *)((char *)obj + f->off) = t;
	if ((rc = conf_parse_object(ld, v, &conf_tls_table, t)) < 0)
		return rc;
	if (t->npairs == 0) {
		conf_errorn(ld, v,
		    "field \"%s\": a TLS listener needs certKeyPairs", key);
		return -1;
	}
	return 0;
}

static const struct conf_field http_server_conf_listen_fields[] = {
	FFUNCAT(
	    "addr", struct http_server_conf_spec, listen_addr, conf_set_addr),
	FFUNCAT("tlsConfig", struct http_server_conf_spec, srv.tls,
	    http_server_conf_set_listen_tls),
	FUNSUP("connectionLimit", NULL),
	FUNSUP("networks", NULL),
	FUNSUP("readDeadline", NULL),
	FUNSUP("writeDeadline", NULL),
	FUNSUP("keepAliveConfig", NULL),
	FUNSUP("sockOption", NULL),
	FEND,
};
static const struct conf_table http_server_conf_listen_table = {
	http_server_conf_listen_fields, NULL
};

static const struct conf_field http_server_conf_http_fields[] = {
	FBOOL("enableGeneralOptionsHandler", struct http_server_conf_spec,
	    srv.enable_general_options),
	FINTD("readTimeout", struct http_server_conf_spec, srv.read_timeout,
	    INT64_MIN, CONF_MAX_SECONDS, "30"),
	FINTD("readHeaderTimeout", struct http_server_conf_spec,
	    srv.read_header_timeout, INT64_MIN, CONF_MAX_SECONDS, "30"),
	FINTD("writeTimeout", struct http_server_conf_spec, srv.write_timeout,
	    INT64_MIN, CONF_MAX_SECONDS, "30"),
	FINTD("idleTimeout", struct http_server_conf_spec, srv.idle_timeout,
	    INT64_MIN, CONF_MAX_SECONDS, "10"),
	FINTD("maxHeaderBytes", struct http_server_conf_spec,
	    srv.max_header_bytes, 0, CONF_MAX_HEADER_BYTES, "8192"),
	FBOOL("disableKeepAlive", struct http_server_conf_spec,
	    srv.disable_keep_alive),
	FINT("maxRequestLineBytes", struct http_server_conf_spec,
	    srv.max_request_line_bytes, 0, CONF_MAX_HEADER_BYTES),
	FINTD("maxHeaderCount", struct http_server_conf_spec,
	    srv.max_header_count, 0, HTTP_MAX_HEADERS,
	    CONF_STR(HTTP_DEF_MAX_HEADERS)),
	FINTD("maxTrailerBytes", struct http_server_conf_spec,
	    srv.max_trailer_bytes, 0, CONF_MAX_HEADER_BYTES,
	    CONF_STR(HTTP_DEF_MAX_TRAILER)),
	FFLAT("listenConfig", &http_server_conf_listen_table),
	FUNSUP("altSvc", NULL),
	FUNSUP("allowHTTP2", "HTTP/2 is not supported"),
	FEND,
};
static const struct conf_table http_server_conf_http_table = {
	http_server_conf_http_fields, NULL
};

/* Seconds as read (defaulted in the table) to milliseconds; <0 is none. */
static int64_t
http_server_conf_ms(int64_t sec)
{
	return sec < 0 ? 0 : sec * 1000;
}

static void
http_server_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct http_server_conf_spec *ss = obj;
	struct conf_server *srv = &ss->srv;
	struct conf_addr *a = &ss->addr;

	(void)node;
	if (ss->listen_addr.set)
		a = &ss->listen_addr;
	else if (!a->set)
		conf_parse_addr(ld, NULL, "addr", HTTP_SERVER_CONF_ADDR, a);
	srv->pos = ld->docpos;
	srv->addr = a->addr;
	srv->host = a->host;
	srv->port = a->port;
	srv->family = a->family;
	if (srv->shutdown_timeout < 0)
		srv->shutdown_timeout = 0;
	srv->read_timeout = http_server_conf_ms(srv->read_timeout);
	srv->read_header_timeout =
	    http_server_conf_ms(srv->read_header_timeout);
	srv->write_timeout = http_server_conf_ms(srv->write_timeout);
	srv->idle_timeout = http_server_conf_ms(srv->idle_timeout);
	/* By default the request line may use the whole head, as in Go. */
	if (srv->max_request_line_bytes == 0 ||
	    srv->max_request_line_bytes > srv->max_header_bytes + 4096)
		srv->max_request_line_bytes = srv->max_header_bytes + 4096;
}

static const struct conf_field http_server_conf_fields[] = {
	FFUNCATD("addr", struct http_server_conf_spec, addr, conf_set_addr,
	    "\"" HTTP_SERVER_CONF_ADDR "\""),
	FINTD("shutdownTimeout", struct http_server_conf_spec,
	    srv.shutdown_timeout, INT32_MIN, INT32_MAX, "30"),
	FFLAT("httpConfig", &http_server_conf_http_table),
	FUNSUP("http2Config", "HTTP/2 is not supported"),
	FUNSUP("http3Config", "HTTP/3 is not supported"),
	FFUNCD("middleware", http_server_conf_set_middleware, 0, "[]"),
	FLIST("virtualHosts", struct http_server_conf_spec, srv.vhosts,
	    srv.nvhosts, struct conf_vhost, &http_server_conf_vhost_table),
	FUNSUP("enableProfile", NULL),
	FUNSUP("enableExpvar", NULL),
	FEND,
};
static const struct conf_table http_server_conf_table = {
	http_server_conf_fields, http_server_conf_check
};

const struct kind http_server_conf_kind = {
	.api_version = "core/v1",
	.kind = "HTTPServer",
	.roles = KIND_ROLE_RUNNER,
	.table = &http_server_conf_table,
	.size = sizeof(struct http_server_conf_spec),
	.id_off = offsetof(struct http_server_conf_spec, srv.id),
	.eh_off = offsetof(struct http_server_conf_spec, srv.errhandler),
};
