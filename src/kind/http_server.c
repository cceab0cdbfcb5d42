/* core/v1 HTTPServer: a listener, its limits and timeouts, virtual hosts. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "bodywait.h"
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
	int network;     /* listenConfig.network as an AF_ value ... */
	int network_set; /* ... when this is set */
	struct conf_pos network_pos;
};

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
	KIND_FMIDDLEWARE(struct conf_handler, middleware, nmiddleware),
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
	KIND_FMIDDLEWARE(struct conf_vhost, middleware, nmiddleware),
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

/*
 * listenConfig.network: not in AILERON's current ListenConfig (its
 * address carries the network, "unix:///x.sock"), but its
 * listen-unix-socket example still writes network: unix with a bare
 * address; read it so that the example runs.
 */
static int
http_server_conf_set_network(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	struct http_server_conf_spec *ss = obj;
	char *s;

	(void)f;
	if (conf_get_string(ld, key, v, &s) < 0)
		return -1;
	if (*s == '\0')
		return 0;
	if ((ss->network = conf_network(s, strlen(s))) < 0) {
		conf_errorn(ld, v,
		    "field \"%s\": unknown network \"%s\" (tcp, tcp4, "
		    "tcp6 or unix)",
		    key, s);
		return -1;
	}
	ss->network_set = 1;
	ss->network_pos = conf_node_pos(ld, v);
	return 0;
}

/* listenConfig.networks: CIDR blocks (or addresses) allowed to connect. */
static int
http_server_conf_set_networks(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	struct netacl *acl = (void *)((char *)obj + f->off);
	yaml_node_item_t *it;
	const char *why;
	char **strs;
	size_t n, i;
	int rc;

	if (conf_is_null(v))
		return 0;
	if ((rc = conf_get_strings(ld, key, v, CF_UNIQUE, &strs, &n)) < 0)
		return -1;
	acl->nets = arena_alloc(ld->arena, (n + 1) * sizeof(*acl->nets));
	acl->nnets = n;
	it = v->data.sequence.items.start;
	for (i = 0; i < n; i++) {
		if ((why = netacl_parse(strs[i], &acl->nets[i])) == NULL)
			continue;
		conf_errorn(ld, yaml_document_get_node(ld->doc, it[i]),
		    "field \"%s\": \"%s\" %s", key, strs[i], why);
		rc = -1;
	}
	return rc;
}

/* One option of sockOption group gname into sv; 1 if it is to be set. */
static int
http_server_conf_sockopt(struct loader *ld, const char *gname, yaml_node_t *ok,
    yaml_node_t *ov, struct sockopt_val *sv, int *rc)
{
	const struct sockopt_def *d = sockopt_find(gname, conf_sval(ok));
	int64_t n = 0;
	int b = 0;
	char *str = NULL;

	if (d == NULL) {
		conf_errorn(ld, ok, "field \"%s\": unknown field \"%s\"", gname,
		    conf_sval(ok));
		*rc = -1;
		return 0;
	}
	if (d->type == SOCKOPT_STRING) {
		if (conf_get_string(ld, d->name, ov, &str) < 0)
			*rc = -1;
	} else if (d->type == SOCKOPT_BOOL ||
	    (d->type == SOCKOPT_NONE && strcmp(d->name, "segment") != 0)) {
		if (conf_get_bool(ld, d->name, ov, &b) < 0)
			*rc = -1;
		n = b;
	} else if (conf_get_int(ld, d->name, ov, INT32_MIN, INT32_MAX, &n) < 0)
		*rc = -1;
	if (*rc < 0 || !sockopt_is_set(d, (int)n, str))
		return 0;
	sv->def = d;
	sv->ival = (int)n;
	sv->sval = str;
	return 1;
}

/*
 * sockOption: {soOption: {...}, ipOption: {...}, ipv6Option: {},
 * tcpOption: {...}, udpOption: {...}} into the list of options to set.
 */
static int
http_server_conf_set_sockopts(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	static const char *const groups[] = { "soOption", "ipOption",
		"ipv6Option", "tcpOption", "udpOption" };
	struct sockopt_set **setp = (void *)((char *)obj + f->off);
	struct sockopt_set *set;
	yaml_node_pair_t *gp, *op;
	size_t cap = 0, g;
	int rc = 0;

	if (conf_is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE) {
		conf_expected(ld, key, v, "a mapping");
		return -1;
	}
	for (gp = v->data.mapping.pairs.start; gp < v->data.mapping.pairs.top;
	     gp++) {
		yaml_node_t *gv = yaml_document_get_node(ld->doc, gp->value);

		if (gv->type == YAML_MAPPING_NODE)
			cap += (size_t)(gv->data.mapping.pairs.top -
			    gv->data.mapping.pairs.start);
	}
	set = arena_alloc(ld->arena, sizeof(*set));
	set->vals = arena_alloc(ld->arena, (cap + 1) * sizeof(*set->vals));
	set->nvals = 0;
	for (gp = v->data.mapping.pairs.start; gp < v->data.mapping.pairs.top;
	     gp++) {
		yaml_node_t *gk = yaml_document_get_node(ld->doc, gp->key);
		yaml_node_t *gv = yaml_document_get_node(ld->doc, gp->value);
		const char *gname = conf_sval(gk);

		for (g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
			if (strcmp(gname, groups[g]) == 0)
				break;
		if (g == sizeof(groups) / sizeof(groups[0])) {
			conf_errorn(ld, gk,
			    "field \"%s\": unknown field \"%s\" (soOption, "
			    "ipOption, ipv6Option, tcpOption or udpOption)",
			    key, gname);
			rc = -1;
			continue;
		}
		if (conf_is_null(gv))
			continue;
		if (gv->type != YAML_MAPPING_NODE) {
			conf_expected(ld, gname, gv, "a mapping");
			rc = -1;
			continue;
		}
		for (op = gv->data.mapping.pairs.start;
		     op < gv->data.mapping.pairs.top; op++)
			set->nvals += (size_t)http_server_conf_sockopt(ld,
			    gname, yaml_document_get_node(ld->doc, op->key),
			    yaml_document_get_node(ld->doc, op->value),
			    &set->vals[set->nvals], &rc);
	}
	*setp = set->nvals > 0 ? set : NULL;
	return rc;
}

static const struct conf_field http_server_conf_listen_fields[] = {
	FFUNCAT(
	    "addr", struct http_server_conf_spec, listen_addr, conf_set_addr),
	FFUNCD("network", http_server_conf_set_network, 0, "\"\""),
	FFUNCAT("tlsConfig", struct http_server_conf_spec, srv.tls,
	    http_server_conf_set_listen_tls),
	FUNSUP("connectionLimit", NULL),
	FFUNCATD("networks", struct http_server_conf_spec, srv.networks,
	    http_server_conf_set_networks, "[]"),
	FINT("readDeadline", struct http_server_conf_spec, srv.read_deadline, 0,
	    INT32_MAX),
	FINT("writeDeadline", struct http_server_conf_spec, srv.write_deadline,
	    0, INT32_MAX),
	FUNSUP("keepAliveConfig", NULL),
	FFUNCATD("sockOption", struct http_server_conf_spec, srv.sockopts,
	    http_server_conf_set_sockopts, "null"),
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
	FINTD("requestBodyBuffer", struct http_server_conf_spec,
	    srv.request_body_buffer, -1, BODYWAIT_MAX,
	    "65536"), /* BODYWAIT_DEFAULT */
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

/* listenConfig.network must agree with the address it applies to. */
static void
http_server_conf_check_network(
    struct loader *ld, struct http_server_conf_spec *ss, struct conf_addr *a)
{
	if ((ss->network == AF_UNIX) != (a->family == AF_UNIX))
		conf_error(ld, &ss->network_pos,
		    "field \"network\": %s does not go with the address "
		    "\"%s\"",
		    ss->network == AF_UNIX ? "unix" : "a tcp network",
		    a->addr != NULL ? a->addr : "");
	else if (a->family == AF_UNSPEC && ss->network != AF_UNSPEC) {
		a->family = ss->network;
		if (a->host == NULL || a->host[0] == '\0')
			a->host = arena_strdup(ld->arena,
			    ss->network == AF_INET ? "0.0.0.0" : "::");
	}
}

static void
http_server_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct http_server_conf_spec *ss = obj;
	struct conf_server *srv = &ss->srv;
	struct conf_addr *a = &ss->addr;

	if (ss->listen_addr.set)
		a = &ss->listen_addr;
	else if (!a->set)
		conf_parse_addr(ld, NULL, "addr", HTTP_SERVER_CONF_ADDR, a);
	if (ss->network_set)
		http_server_conf_check_network(ld, ss, a);
	if (a->family == AF_UNIX && srv->networks.nnets > 0)
		conf_errorn(ld, node,
		    "field \"networks\": a unix socket listener has no client "
		    "networks to allow");
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
	if (srv->request_body_buffer < 0)
		srv->request_body_buffer = 0;
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
	/* middleware of each level: server, virtual host, handler entry */
	KIND_FMIDDLEWARE(
	    struct http_server_conf_spec, srv.middleware, srv.nmiddleware),
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
