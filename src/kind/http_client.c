/* core/v1 HTTPClient: the HTTP/1.1 transport (only) a proxy uses upstream. */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "arena.h"
#include "conf_table.h"
#include "conf_tls.h"
#include "kind.h"

/* tripperwares: inside those of the ReverseProxyHandler using the client. */
static int
http_client_conf_set_tripperwares(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	struct conf_client *cc = obj;

	(void)f;
	return kind_read_wares(ld, key, v, KIND_ROLE_TRIPPERWARE,
	    &cc->tripperwares, &cc->ntripperwares);
}

/* retryConfig.retryStatusCodes: unique status codes. */
static int
http_client_conf_set_retry_status(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	struct conf_client *cc = obj;
	yaml_node_item_t *it;
	size_t n, i, j;

	(void)f;
	if (conf_is_null(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE) {
		conf_expected(ld, key, v, "a list");
		return -1;
	}
	n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	cc->retry_status = arena_alloc(ld->arena, (n + 1) * sizeof(int32_t));
	for (i = 0, it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++, i++) {
		yaml_node_t *e = yaml_document_get_node(ld->doc, *it);
		int64_t code;

		if (conf_get_int(ld, key, e, 100, 999, &code) < 0)
			return -1;
		for (j = 0; j < cc->nretry_status; j++)
			if (cc->retry_status[j] == code) {
				conf_errorn(ld, e,
				    "field \"%s\": duplicate value %" PRId64,
				    key, code);
				return -1;
			}
		cc->retry_status[cc->nretry_status++] = (int32_t)code;
	}
	return 0;
}

static const struct conf_field http_client_conf_retry_fields[] = {
	FINT("maxRetry", struct conf_client, max_retry, 0, 100),
	FINT("maxContentLength", struct conf_client, max_content_length, 0,
	    16777216),
	FFUNCD("retryStatusCodes", http_client_conf_set_retry_status, 0, "[]"),
	FEND,
};
static const struct conf_table http_client_conf_retry_table = {
	http_client_conf_retry_fields, NULL
};

/*
 * One "(net|addr) > (net|addr)" of dialConfig.replaceTargets (AILERON's
 * pattern: ^\([\w:\-]+\|.+\)[ >]*\([\w:\-]+\|.+\)$).  The dialled
 * network is tcp (tcp4, tcp6); the target network is tcp or unix.
 */
static const char *
http_client_conf_parse_target(
    struct loader *ld, const char *s, struct conf_replace_target *rt)
{
	const char *p = s, *bar, *close, *net[2], *addr[2];
	struct conf_hostport hp;
	size_t nlen[2], alen[2];
	int i;

	for (i = 0; i < 2; i++) {
		if (i == 1)
			p += strspn(p, " >");
		if (*p != '(' || (bar = strchr(p, '|')) == NULL)
			return "expected \"(network|address) > "
			       "(network|address)\"";
		close = i == 0 ? strchr(bar, ')') : strrchr(bar, ')');
		if (close == NULL || close == bar + 1 || bar == p + 1)
			return "expected \"(network|address) > "
			       "(network|address)\"";
		net[i] = p + 1;
		nlen[i] = (size_t)(bar - p - 1);
		addr[i] = bar + 1;
		alen[i] = (size_t)(close - bar - 1);
		p = close + 1;
	}
	if (*p != '\0')
		return "unexpected text after the second \")\"";
	if (conf_network(net[0], nlen[0]) < 0 ||
	    conf_network(net[0], nlen[0]) == AF_UNIX)
		return "the dialled network must be tcp, tcp4 or tcp6";
	if (conf_network(net[1], nlen[1]) < 0)
		return "the target network must be tcp, tcp4, tcp6 or unix";
	rt->from = arena_strndup(ld->arena, addr[0], alen[0]);
	rt->to_unix = conf_network(net[1], nlen[1]) == AF_UNIX;
	rt->to = arena_strndup(ld->arena, addr[1], alen[1]);
	if (rt->to_unix &&
	    ((rt->to[0] != '/' && rt->to[0] != '@') || alen[1] < 2 ||
	        alen[1] > 107))
		return "a unix target is a path from / or @name (at most 107 "
		       "bytes)";
	if (!rt->to_unix &&
	    (conf_split_hostport(rt->to, alen[1], &hp) != NULL ||
	        hp.port == NULL || hp.hlen == 0))
		return "a tcp target is host:port";
	return NULL;
}

/* dialConfig.replaceTargets: the entries that parse (others reported). */
static int
http_client_conf_set_targets(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	struct conf_client *cc = obj;
	yaml_node_item_t *it;
	const char *why;
	char **strs;
	size_t n, i;
	int rc;

	(void)f;
	if (conf_is_null(v))
		return 0;
	if ((rc = conf_get_strings(ld, key, v, CF_UNIQUE, &strs, &n)) < 0)
		return -1;
	cc->replace_targets =
	    arena_alloc(ld->arena, (n + 1) * sizeof(*cc->replace_targets));
	cc->nreplace_targets = 0;
	it = v->data.sequence.items.start;
	for (i = 0; i < n; i++) {
		why = http_client_conf_parse_target(
		    ld, strs[i], &cc->replace_targets[cc->nreplace_targets]);
		if (why == NULL) {
			cc->nreplace_targets++;
			continue;
		}
		conf_errorn(ld, yaml_document_get_node(ld->doc, it[i]),
		    "field \"%s\": \"%s\": %s", key, strs[i], why);
		rc = -1;
	}
	return rc;
}

static const struct conf_field http_client_conf_dial_fields[] = {
	FINTD("timeout", struct conf_client, dial_timeout, INT32_MIN, INT32_MAX,
	    "10000"),
	FOBJD("tlsConfig", struct conf_client, dial_tls, &conf_tls_client_table,
	    "null"),
	FUNSUP("localAddress", NULL),
	FFUNCD("replaceTargets", http_client_conf_set_targets, 0, "[]"),
	FUNSUP("fallbackDelay", NULL),
	FUNSUP("sockOption", NULL),
	FEND,
};
static const struct conf_table http_client_conf_dial_table = {
	http_client_conf_dial_fields, NULL
};

static const struct conf_field http_client_conf_transport_fields[] = {
	FOBJD("tlsConfig", struct conf_client, tls, &conf_tls_client_table,
	    "null"),
	FINT("tlsHandshakeTimeout", struct conf_client, tls_handshake_timeout,
	    INT64_MIN, CONF_MAX_SECONDS * 1000),
	FBOOL("disableKeepAlives", struct conf_client, disable_keep_alives),
	FBOOL("disableCompression", struct conf_client, disable_compression),
	FINT("maxIdleConns", struct conf_client, max_idle_conns, 0, INT32_MAX),
	FINT("maxIdleConnsPerHost", struct conf_client, max_idle_per_host, 0,
	    INT32_MAX),
	FINT("maxConnsPerHost", struct conf_client, max_conns_per_host, 0,
	    INT32_MAX),
	FINT("idleConnTimeout", struct conf_client, idle_timeout, INT64_MIN,
	    CONF_MAX_SECONDS * 1000),
	FINT("responseHeaderTimeout", struct conf_client,
	    response_header_timeout, INT64_MIN, CONF_MAX_SECONDS * 1000),
	FUNSUP("expectContinueTimeout", NULL),
	FINTD("maxResponseHeaderBytes", struct conf_client,
	    max_response_header_bytes, INT64_MIN, INT64_MAX, "65536"),
	FUNSUP("writeBufferSize", NULL),
	FUNSUP("readBufferSize", NULL),
	FUNSUP("allowHTTP2", "HTTP/2 is not supported"),
	FFLAT("dialConfig", &http_client_conf_dial_table),
	FEND,
};
static const struct conf_table http_client_conf_transport_table = {
	http_client_conf_transport_fields, NULL
};

/* Defaults of the HTTP/1.1 transport (reference 2.4), "non-zero wins". */
static void
http_client_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_client *cc = obj;

	(void)ld;
	(void)node;
	if (cc->dial_timeout < 0)
		cc->dial_timeout = 0;
	if (cc->idle_timeout < 0)
		cc->idle_timeout = 0;
	if (cc->response_header_timeout < 0)
		cc->response_header_timeout = 0;
	if (cc->max_response_header_bytes < 0)
		cc->max_response_header_bytes = 0;
	if (cc->tls_handshake_timeout < 0)
		cc->tls_handshake_timeout = 0;
	if (cc->dial_tls.set) /* dialConfig.tlsConfig takes precedence */
		cc->tls = cc->dial_tls;
}

static const struct conf_field http_client_conf_fields[] = {
	FFUNCD("tripperwares", http_client_conf_set_tripperwares, 0, "[]"),
	FFLAT("retryConfig", &http_client_conf_retry_table),
	FFLAT("httpTransportConfig", &http_client_conf_transport_table),
	FUNSUP("http2TransportConfig", "HTTP/2 is not supported"),
	FUNSUP("http3TransportConfig", "HTTP/3 is not supported"),
	FEND,
};
static const struct conf_table http_client_conf_table = {
	http_client_conf_fields, http_client_conf_check
};

const struct kind http_client_conf_kind = {
	.api_version = "core/v1",
	.kind = "HTTPClient",
	.roles = KIND_ROLE_CLIENT,
	.table = &http_client_conf_table,
	.size = sizeof(struct conf_client),
	.id_off = offsetof(struct conf_client, id),
	.eh_off = KIND_NO_OFF,
};
