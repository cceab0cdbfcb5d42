/* core/v1 ReverseProxyHandler: forward a routed request upstream (retries, streaming, splice, WebSocket tunnel). */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "arena.h"
#include "balance.h"
#include "conn.h"
#include "errpage.h"
#include "handler.h"
#include "health.h"
#include "http.h"
#include "log.h"
#include "middleware.h"
#include "pages.h"
#include "pipeline.h"
#include "proxy.h"
#include "request.h"
#include "response.h"
#include "route.h"
#include "scoreboard.h"
#include "splice.h"
#include "upstream.h"

/*
 * Config part.
 */

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "arena.h"
#include "conf_table.h"
#include "health.h"
#include "kind.h"

/* ReverseProxyHandler spec: the proxy plus its roundTripper reference. */
struct reverse_proxy_conf_spec {
	struct conf_proxy px; /* first: documents point at it */
	struct conf_ref *round_tripper;
};

const struct kname reverse_proxy_conf_match_types[] = {
	{ "Exact", MATCH_EXACT },
	{ "Prefix", MATCH_PREFIX },
	{ "Suffix", MATCH_SUFFIX },
	{ "Contains", MATCH_CONTAINS },
	{ "Path", MATCH_PATH },
	{ "FilePath", MATCH_FILEPATH },
	{ "Regex", MATCH_REGEX },
	{ "RegexPOSIX", MATCH_REGEX_POSIX },
	{ NULL, 0 },
};

static const struct kname reverse_proxy_conf_lb_algorithms[] = {
	{ "RoundRobin", LB_ROUND_ROBIN },
	{ "Random", LB_RANDOM },
	{ "RingHash", LB_RING_HASH },
	{ "Maglev", LB_MAGLEV },
	{ "DirectHash", LB_DIRECT_HASH },
	{ NULL, 0 },
};

static const struct kname reverse_proxy_conf_hash_sources[] = {
	{ "ClientAddr", HASH_CLIENT_ADDR },
	{ "Header", HASH_HEADER },
	{ "Cookie", HASH_COOKIE },
	{ "Query", HASH_QUERY },
	{ "PathParam", HASH_PATH_PARAM },
	{ NULL, 0 },
};

/* A list of HTTPMethod names: a bit mask, no duplicates. */

/*
 * tripperwares of a ReverseProxyHandler: what wraps each exchange with an
 * upstream, first outermost (resolved later, like middleware).
 */
static int
reverse_proxy_conf_set_tripperwares(struct loader *ld,
    const struct conf_field *f, const char *key, yaml_node_t *v, void *obj)
{
	struct conf_proxy *px = &((struct reverse_proxy_conf_spec *)obj)->px;

	(void)f;
	return kind_read_wares(ld, key, v, KIND_ROLE_TRIPPERWARE,
	    &px->tripperwares, &px->ntripperwares);
}

/* Patterns. */

/* One character of a bracket expression (Go's path.Match getEsc). */
static int
reverse_proxy_conf_glob_esc(const char **pp)
{
	const char *p = *pp;

	if (*p == '\0' || *p == '-' || *p == ']')
		return -1;
	if (*p == '\\' && *++p == '\0')
		return -1;
	for (p++; ((unsigned char)*p & 0xc0) == 0x80; p++)
		;
	if (*p == '\0')
		return -1;
	*pp = p;
	return 0;
}

/* Syntax check of a Go path.Match / filepath.Match pattern. */
static int
reverse_proxy_conf_glob_check(const char *p)
{
	int nrange;

	while (*p != '\0') {
		if (*p == '\\') {
			if (*++p == '\0')
				return -1;
			p++;
		} else if (*p == '[') {
			if (*++p == '^')
				p++;
			for (nrange = 0;; nrange++) {
				if (*p == ']' && nrange > 0) {
					p++;
					break;
				}
				if (reverse_proxy_conf_glob_esc(&p) < 0)
					return -1;
				if (*p == '-' &&
				    (p++, reverse_proxy_conf_glob_esc(&p) < 0))
					return -1;
			}
		} else
			p++;
	}
	return 0;
}

/* Check that pattern compiles under match type type. */
static int
reverse_proxy_conf_check_pattern(struct loader *ld, yaml_node_t *v,
    const char *key, int type, const char *pat)
{
	char msg[256], buf[128];
	PCRE2_SIZE off;
	pcre2_code *re;
	regex_t rx;
	int rc;

	switch (type) {
	case MATCH_REGEX:
		re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
		    PCRE2_UTF, &rc, &off, NULL);
		if (re != NULL) {
			pcre2_code_free(re);
			return 0;
		}
		pcre2_get_error_message(rc, (PCRE2_UCHAR *)msg, sizeof(msg));
		conf_errorn(ld, v,
		    "field \"%s\": invalid Regex %s: %s (at "
		    "offset %zu)",
		    key, conf_quote(pat, strlen(pat), buf, sizeof(buf)), msg,
		    (size_t)off);
		return -1;
	case MATCH_REGEX_POSIX:
		if ((rc = regcomp(&rx, pat, REG_EXTENDED)) == 0) {
			regfree(&rx);
			return 0;
		}
		regerror(rc, &rx, msg, sizeof(msg));
		conf_errorn(ld, v, "field \"%s\": invalid RegexPOSIX %s: %s",
		    key, conf_quote(pat, strlen(pat), buf, sizeof(buf)), msg);
		return -1;
	case MATCH_PATH:
	case MATCH_FILEPATH:
		if (reverse_proxy_conf_glob_check(pat) == 0)
			return 0;
		conf_errorn(ld, v,
		    "field \"%s\": invalid %s pattern %s: "
		    "syntax error",
		    key, type == MATCH_PATH ? "Path" : "FilePath",
		    conf_quote(pat, strlen(pat), buf, sizeof(buf)));
		return -1;
	}
	return 0;
}

static void
reverse_proxy_conf_check_path_matcher(
    struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_path_matcher *pm = obj;

	pm->pos = conf_node_pos(ld, node);
	reverse_proxy_conf_check_pattern(ld, conf_field_node(ld, node, "match"),
	    "match", pm->match_type, pm->match != NULL ? pm->match : "");
}

static void
reverse_proxy_conf_check_param_matcher(
    struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_param_matcher *pm = obj;
	yaml_node_t *list = conf_field_node(ld, node, "patterns");
	size_t i;

	if (pm->key == NULL || pm->key[0] == '\0')
		return; /* ignored: see reverse_proxy_conf_drop_keyless() */
	for (i = 0; i < pm->npatterns; i++)
		reverse_proxy_conf_check_pattern(ld,
		    list != node ? yaml_document_get_node(ld->doc,
		                       list->data.sequence.items.start[i])
		                 : node,
		    "patterns", pm->match_type, pm->patterns[i]);
}

static const struct conf_field reverse_proxy_conf_path_matcher_fields[] = {
	FSTR("match", struct conf_path_matcher, match),
	FENUM("matchType", struct conf_path_matcher, match_type,
	    reverse_proxy_conf_match_types),
	FSTR("rewrite", struct conf_path_matcher, rewrite),
	FSTR("trimPrefix", struct conf_path_matcher, trim_prefix),
	FSTR("appendPrefix", struct conf_path_matcher, append_prefix),
	FEND,
};
static const struct conf_table reverse_proxy_conf_path_matcher_table = {
	reverse_proxy_conf_path_matcher_fields,
	reverse_proxy_conf_check_path_matcher
};

static const struct conf_field reverse_proxy_conf_param_matcher_fields[] = {
	FSTR("key", struct conf_param_matcher, key),
	FSTRS("patterns", struct conf_param_matcher, patterns, npatterns, 0),
	FENUM("matchType", struct conf_param_matcher, match_type,
	    reverse_proxy_conf_match_types),
	FEND,
};
static const struct conf_table reverse_proxy_conf_param_matcher_table = {
	reverse_proxy_conf_param_matcher_fields,
	reverse_proxy_conf_check_param_matcher
};

/* pathMatcher: goes first in path_matchers, whatever the key order. */
static int
reverse_proxy_conf_set_path_matcher(struct loader *ld,
    const struct conf_field *f, const char *key, yaml_node_t *v, void *obj)
{
	struct conf_lb *lb = obj;
	struct conf_path_matcher pm;
	const size_t sz = sizeof(pm);
	int rc;

	(void)f;
	(void)key;
	memset(&pm, 0, sizeof(pm));
	rc = conf_parse_object(
	    ld, v, &reverse_proxy_conf_path_matcher_table, &pm);
	lb->path_matchers = arena_realloc(ld->arena, lb->path_matchers,
	    lb->npath_matchers * sz, (lb->npath_matchers + 1) * sz);
	memmove(
	    lb->path_matchers + 1, lb->path_matchers, lb->npath_matchers * sz);
	lb->path_matchers[0] = pm;
	lb->npath_matchers++;
	return rc;
}

static int
reverse_proxy_conf_set_path_matchers(struct loader *ld,
    const struct conf_field *f, const char *key, yaml_node_t *v, void *obj)
{
	struct conf_lb *lb = obj;
	struct conf_path_matcher *arr;
	const size_t sz = sizeof(*arr);
	size_t n = 0;
	void *list = NULL;
	int rc;

	(void)f;
	rc = conf_get_list(
	    ld, key, v, &reverse_proxy_conf_path_matcher_table, sz, &list, &n);
	if (n == 0)
		return rc;
	arr = arena_realloc(ld->arena, lb->path_matchers,
	    lb->npath_matchers * sz, (lb->npath_matchers + n) * sz);
	memcpy(arr + lb->npath_matchers, list, n * sz);
	lb->path_matchers = arr;
	lb->npath_matchers += n;
	return rc;
}

/* Upstreams and load balancers. */

static void
reverse_proxy_conf_check_upstream(
    struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_upstream *up = obj;

	if (up->weight == 0)
		up->weight = 1;
	if (up->health_check_addr != NULL && up->health_check_addr[0] != '\0' &&
	    health_addr_check(up->health_check_addr) < 0)
		conf_errorn(ld, conf_field_node(ld, node, "healthCheckAddr"),
		    "field \"healthCheckAddr\": expected host:port or "
		    "http://host:port/path, got \"%s\"",
		    up->health_check_addr);
}

static const struct conf_field reverse_proxy_conf_upstream_fields[] = {
	FFUNC("url", conf_set_url, CF_REQUIRED),
	FINT("weight", struct conf_upstream, weight, -1, 65535),
	FBOOL("enablePassive", struct conf_upstream, enable_passive),
	FBOOL("enableActive", struct conf_upstream, enable_active),
	FINT("initialDelay", struct conf_upstream, initial_delay, 0, INT32_MAX),
	FINT("healthCheckInterval", struct conf_upstream, health_check_interval,
	    0, INT32_MAX),
	FSTR("healthCheckAddr", struct conf_upstream, health_check_addr),
	FEND,
};
static const struct conf_table reverse_proxy_conf_upstream_table = {
	reverse_proxy_conf_upstream_fields, reverse_proxy_conf_check_upstream
};

/* Drop param matchers without a key (AILERON ignores them). */
static void
reverse_proxy_conf_drop_keyless(struct conf_param_matcher *pm, size_t *n)
{
	size_t i, o = 0;

	for (i = 0; i < *n; i++)
		if (pm[i].key != NULL && pm[i].key[0] != '\0')
			pm[o++] = pm[i];
	*n = o;
}

static void
reverse_proxy_conf_check_lb(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_lb *lb = obj;
	size_t i, o = 0;

	lb->pos = conf_node_pos(ld, node);
	lb->total_weight = 0;
	for (i = 0; i < lb->nupstreams; i++) {
		if (lb->upstreams[i].weight < 0)
			continue;
		lb->upstreams[o++] = lb->upstreams[i];
		lb->total_weight += (uint64_t)lb->upstreams[i].weight;
	}
	lb->nupstreams = o;
	if (o == 0)
		lb->upstreams = NULL;
	reverse_proxy_conf_drop_keyless(
	    lb->header_matchers, &lb->nheader_matchers);
	reverse_proxy_conf_drop_keyless(
	    lb->query_matchers, &lb->nquery_matchers);
	reverse_proxy_conf_drop_keyless(
	    lb->path_param_matchers, &lb->npath_param_matchers);
}

static const struct conf_field reverse_proxy_conf_hasher_fields[] = {
	FENUM("hashSource", struct conf_lb, hash_source,
	    reverse_proxy_conf_hash_sources),
	FSTR("key", struct conf_lb, hash_key),
	FEND,
};
static const struct conf_table reverse_proxy_conf_hasher_table = {
	reverse_proxy_conf_hasher_fields, NULL
};

static const struct conf_field reverse_proxy_conf_lb_fields[] = {
	FENUM("lbAlgorithm", struct conf_lb, algorithm,
	    reverse_proxy_conf_lb_algorithms),
	FLIST("upstreams", struct conf_lb, upstreams, nupstreams,
	    struct conf_upstream, &reverse_proxy_conf_upstream_table),
	FFUNC("pathMatcher", reverse_proxy_conf_set_path_matcher, 0),
	FFUNC("pathMatchers", reverse_proxy_conf_set_path_matchers, 0),
	FMETHODS("methods", struct conf_lb, methods),
	FSTRS("hosts", struct conf_lb, hosts, nhosts, CF_UNIQUE),
	FLIST("pathParamMatchers", struct conf_lb, path_param_matchers,
	    npath_param_matchers, struct conf_param_matcher,
	    &reverse_proxy_conf_param_matcher_table),
	FLIST("headerMatchers", struct conf_lb, header_matchers,
	    nheader_matchers, struct conf_param_matcher,
	    &reverse_proxy_conf_param_matcher_table),
	FLIST("queryMatchers", struct conf_lb, query_matchers, nquery_matchers,
	    struct conf_param_matcher, &reverse_proxy_conf_param_matcher_table),
	FFLAT("hasher", &reverse_proxy_conf_hasher_table),
	FEND,
};
static const struct conf_table reverse_proxy_conf_lb_table = {
	reverse_proxy_conf_lb_fields, reverse_proxy_conf_check_lb
};

static const struct conf_field reverse_proxy_conf_fields[] = {
	FSTRS("patterns", struct reverse_proxy_conf_spec, px.patterns,
	    px.npatterns, CF_UNIQUE),
	FMETHODS("methods", struct reverse_proxy_conf_spec, px.methods),
	FFUNCD("tripperwares", reverse_proxy_conf_set_tripperwares, 0, "[]"),
	FFUNCAT("roundTripper", struct reverse_proxy_conf_spec, round_tripper,
	    conf_set_ref),
	FLIST("loadBalancers", struct reverse_proxy_conf_spec, px.lbs, px.nlbs,
	    struct conf_lb, &reverse_proxy_conf_lb_table),
	FEND,
};
static const struct conf_table reverse_proxy_conf_table = {
	reverse_proxy_conf_fields, NULL
};

/*
 * Apply the HTTPClient's dialConfig.replaceTargets to the upstreams of
 * px: an upstream dialled as host:port (the URL's, as Go dials it) that a
 * target names is dialled at the target's address instead.
 */
static void
reverse_proxy_conf_targets(struct loader *ld, struct conf_proxy *px)
{
	const struct conf_client *cc = px->client;
	size_t i, j, k;
	char hp[300];

	if (cc->nreplace_targets == 0)
		return;
	for (i = 0; i < px->nlbs; i++) {
		for (j = 0; j < px->lbs[i].nupstreams; j++) {
			struct conf_upstream *up = &px->lbs[i].upstreams[j];

			if (up->host == NULL || up->port == NULL)
				continue; /* a bad url, reported already */
			snprintf(hp, sizeof(hp),
			    strchr(up->host, ':') != NULL ? "[%s]:%s" : "%s:%s",
			    up->host, up->port);
			for (k = 0; k < cc->nreplace_targets; k++) {
				const struct conf_replace_target *rt =
				    &cc->replace_targets[k];
				struct conf_hostport to;

				if (strcmp(rt->from, hp) != 0)
					continue;
				if (rt->to_unix)
					up->dial_unix = rt->to;
				else if (conf_split_hostport(rt->to,
				             strlen(rt->to), &to) == NULL) {
					up->dial_host = arena_strndup(
					    ld->arena, to.host, to.hlen);
					up->dial_port = arena_strndup(
					    ld->arena, to.port, to.plen);
				}
				break;
			}
		}
	}
}

/* Resolve every upstream's host now, in the master (conf_upstream_resolve). */
static void
reverse_proxy_conf_resolve(struct loader *ld, struct conf_proxy *px)
{
	size_t i, j;

	for (i = 0; i < px->nlbs; i++)
		for (j = 0; j < px->lbs[i].nupstreams; j++)
			conf_upstream_resolve(ld, &px->lbs[i].upstreams[j]);
}

/* A ReverseProxyHandler's roundTripper: an HTTPClient; the upstreams' addresses. */
static void
reverse_proxy_conf_build(struct loader *ld, struct conf_doc *doc)
{
	struct reverse_proxy_conf_spec *ps = doc->obj;
	struct conf_doc *d;

	if (ps->round_tripper != NULL &&
	    (d = conf_resolve_ref(ld, ps->round_tripper, KIND_ROLE_CLIENT)) !=
	        NULL) {
		ps->px.client = d->obj;
		reverse_proxy_conf_targets(ld, &ps->px);
	}
	reverse_proxy_conf_resolve(ld, &ps->px);
}

const struct kind reverse_proxy_conf_kind = {
	.api_version = "core/v1",
	.kind = "ReverseProxyHandler",
	.roles = KIND_ROLE_HANDLER,
	.table = &reverse_proxy_conf_table,
	.size = sizeof(struct reverse_proxy_conf_spec),
	.id_off = offsetof(struct reverse_proxy_conf_spec, px.id),
	.eh_off = offsetof(struct reverse_proxy_conf_spec, px.errhandler),
	.build = reverse_proxy_conf_build,
};

/*
 * Runtime part.
 */

#define REVERSE_PROXY_HEAD_SLACK        4096 /* Go allows maxHeaderBytes + 4096 */
#define REVERSE_PROXY_UBUF_SIZE         (64 * 1024) /* upstream head and body buffer */
#define REVERSE_PROXY_BODY_SIZE         (64 * 1024) /* client body buffer */
#define REVERSE_PROXY_PATH_MAX          8192
#define REVERSE_PROXY_MAX_RESPONSE_HEAD (64 * 1024)
#define REVERSE_PROXY_SPLICE_MIN        (64 * 1024) /* splice bodies this long */

/* An instance: its config, and the whole config for the worker's sizes. */
struct reverse_proxy_inst {
	const struct conf_proxy *p;
	struct conf *conf;
};

/*
 * Per-worker state shared by every instance (one request at a time):
 * buffers, the upstream keep-alive pool, the splice pipe.
 */
struct reverse_proxy_worker {
	struct upstream_pool *pool;
	struct http_msg resp; /* the upstream response */
	char *bbuf;           /* client body relay, tunnel */
	char *ubuf;           /* upstream response */
	char *obuf;           /* upstream request head being built */
	size_t osize;
	struct conf_client defclient;       /* the built-in transport */
	struct splice_pipe pipe;            /* zero-copy relay of long bodies */
	char upath[REVERSE_PROXY_PATH_MAX]; /* upstream path, decoded */
	char epath[REVERSE_PROXY_PATH_MAX * 3];
};

static struct reverse_proxy_worker *reverse_proxy_state;

/* The built-in transport when a proxy names no roundTripper (reference 2.4). */
static const struct conf_client reverse_proxy_default_client = {
	.dial_timeout = UPSTREAM_DIAL_TIMEOUT_MS,
	.idle_timeout = UPSTREAM_IDLE_TIMEOUT_MS,
	.tls_handshake_timeout = UPSTREAM_TLS_TIMEOUT_MS,
};

/* Body state of the client request while it is forwarded. */
struct reqbody {
	int kind;      /* enum http_body */
	uint64_t left; /* LENGTH: bytes still to read from the client */
	struct http_chunked chunked;
	int done;         /* the whole body has been read */
	size_t extra_off; /* pipelined bytes after the body */
	size_t extra_len;
	int extra_in_bbuf; /* ... in bbuf rather than cbuf */
	int status;        /* to answer when reading the body failed, or 0 */
};

/* Append s[0..n) to the outbound head; -1 when it does not fit. */
static int
reverse_proxy_out(
    struct reverse_proxy_worker *px, size_t *o, const char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (*o + n > px->osize)
		return -1;
	memcpy(px->obuf + *o, s, n);
	*o += n;
	return 0;
}

/* Append a NUL-terminated string to the outbound head. */
static int
reverse_proxy_outs(struct reverse_proxy_worker *px, size_t *o, const char *s)
{
	return reverse_proxy_out(px, o, s, strlen(s));
}

/* Append "Name: value\r\n" for field f of a head stored in buf. */
static int
reverse_proxy_out_field(struct reverse_proxy_worker *px, size_t *o,
    const char *buf, const struct http_field *f)
{
	if (reverse_proxy_out(px, o, buf + f->name.off, f->name.len) < 0 ||
	    reverse_proxy_out(px, o, ": ", 2) < 0 ||
	    reverse_proxy_out(px, o, buf + f->value.off, f->value.len) < 0 ||
	    reverse_proxy_out(px, o, "\r\n", 2) < 0)
		return -1;
	return 0;
}

/* Append the X-Forwarded-For header: prior values, then the client IP. */
static int
reverse_proxy_out_xff(struct reverse_proxy_worker *px, size_t *o,
    const struct http_msg *m, const struct request *rq)
{
	uint32_t i;
	int any = 0;

	if (reverse_proxy_outs(px, o, "X-Forwarded-For: ") < 0)
		return -1;
	for (i = 0; i < m->nfields; i++) {
		const struct http_field *f = &m->fields[i];

		if (f->id != HDR_X_FORWARDED_FOR)
			continue;
		if ((any && reverse_proxy_out(px, o, ", ", 2) < 0) ||
		    reverse_proxy_out(
		        px, o, rq->buf + f->value.off, f->value.len) < 0)
			return -1;
		any = 1;
	}
	if ((any && reverse_proxy_out(px, o, ", ", 2) < 0) ||
	    reverse_proxy_outs(px, o, rq->ip) < 0 ||
	    reverse_proxy_out(px, o, "\r\n", 2) < 0)
		return -1;
	return 0;
}

/* Append the headers middleware asked for, names canonicalised. */
static int
reverse_proxy_out_proxy_headers(
    struct reverse_proxy_worker *px, size_t *o, const struct request *rq)
{
	size_t i, j, start;
	int up;

	for (i = 0; i < rq->nproxy_headers; i++) {
		const struct request_header *h = &rq->proxy_headers[i];

		start = *o;
		if (reverse_proxy_out(px, o, h->name, h->name_len) < 0)
			return -1;
		for (j = 0, up = 1; j < h->name_len; j++) {
			char *c = px->obuf + start + j;

			*c = up ? (char)toupper((unsigned char)*c)
			        : (char)tolower((unsigned char)*c);
			up = *c == '-';
		}
		if (reverse_proxy_out(px, o, ": ", 2) < 0 ||
		    reverse_proxy_out(px, o, h->value, h->value_len) < 0 ||
		    reverse_proxy_out(px, o, "\r\n", 2) < 0)
			return -1;
	}
	return 0;
}

/*
 * Build the upstream request head in obuf: request line with the encoded
 * upstream path and joined query, the client's end-to-end headers, then
 * Host and the X-Forwarded-* headers.  Returns its length or 0.
 */
static size_t
reverse_proxy_build_request(struct reverse_proxy_worker *px,
    const struct request *rq, const struct http_msg *m,
    const struct conf_upstream *up, const struct conf_client *cc,
    const char *query, size_t qlen)
{
	const char *buf = rq->buf;
	size_t o = 0;
	uint32_t i;
	int elen;

	elen = route_encode_path(
	    px->upath, strlen(px->upath), px->epath, sizeof(px->epath));
	if (elen < 0)
		return 0;
	if (elen == 0)
		strcpy(px->epath, "/");
	if (reverse_proxy_out(px, &o, buf + m->method.off, m->method.len) < 0 ||
	    reverse_proxy_out(px, &o, " ", 1) < 0 ||
	    reverse_proxy_outs(px, &o, px->epath) < 0)
		return 0;
	if (up->query != NULL || qlen > 0) {
		if (reverse_proxy_out(px, &o, "?", 1) < 0)
			return 0;
		if (up->query != NULL &&
		    reverse_proxy_outs(px, &o, up->query) < 0)
			return 0;
		if (up->query != NULL && qlen > 0 &&
		    reverse_proxy_out(px, &o, "&", 1) < 0)
			return 0;
		if (qlen > 0 && reverse_proxy_out(px, &o, query, qlen) < 0)
			return 0;
	}
	if (reverse_proxy_outs(px, &o, " HTTP/1.1\r\nHost: ") < 0 ||
	    reverse_proxy_outs(px, &o, up->authority) < 0 ||
	    reverse_proxy_out(px, &o, "\r\n", 2) < 0)
		return 0;
	for (i = 0; i < m->nfields; i++) {
		const struct http_field *f = &m->fields[i];

		if ((rq->drop[i / 64] >> (i % 64) & 1) != 0)
			continue; /* a middleware removed it */
		if ((f->flags & HTTP_FIELD_HOP) || f->id == HDR_HOST ||
		    f->id == HDR_X_FORWARDED_FOR ||
		    f->id == HDR_X_FORWARDED_HOST ||
		    f->id == HDR_X_FORWARDED_PORT ||
		    f->id == HDR_X_FORWARDED_PROTO || f->id == HDR_EXPECT)
			continue;
		if (reverse_proxy_out_field(px, &o, buf, f) < 0)
			return 0;
	}
	if (m->te_trailers &&
	    reverse_proxy_outs(px, &o, "Te: trailers\r\n") < 0)
		return 0;
	if (m->conn_upgrade) {
		if (reverse_proxy_outs(px, &o, "Connection: Upgrade\r\n") < 0)
			return 0;
		for (i = 0; i < m->nfields; i++)
			if (m->fields[i].id == HDR_UPGRADE &&
			    reverse_proxy_out_field(
			        px, &o, buf, &m->fields[i]) < 0)
				return 0;
	}
	if (!m->conn_upgrade && cc->disable_keep_alives &&
	    reverse_proxy_outs(px, &o, "Connection: close\r\n") < 0)
		return 0;
	if (m->body == HTTP_BODY_CHUNKED &&
	    reverse_proxy_outs(px, &o, "Transfer-Encoding: chunked\r\n") < 0)
		return 0;
	/* As Go does: methods that expect a body say when it is empty. */
	if (m->body == HTTP_BODY_NONE && m->cl_index < 0 &&
	    (m->method_id == HTTP_M_POST || m->method_id == HTTP_M_PUT ||
	        m->method_id == HTTP_M_PATCH) &&
	    reverse_proxy_outs(px, &o, "Content-Length: 0\r\n") < 0)
		return 0;
	/* A unix-socket peer has no address: no X-Forwarded-For/-Port. */
	if (rq->ip[0] != '\0' &&
	    (reverse_proxy_out_xff(px, &o, m, rq) < 0 ||
	        reverse_proxy_outs(px, &o, "X-Forwarded-Port: ") < 0 ||
	        reverse_proxy_outs(px, &o, rq->port) < 0 ||
	        reverse_proxy_out(px, &o, "\r\n", 2) < 0))
		return 0;
	if (reverse_proxy_outs(px, &o, "X-Forwarded-Host: ") < 0 ||
	    reverse_proxy_out(px, &o, rq->host, rq->host_len) < 0 ||
	    reverse_proxy_outs(px, &o,
	        rq->client->io.ssl != NULL
	            ? "\r\nX-Forwarded-Proto: https\r\n"
	            : "\r\nX-Forwarded-Proto: http\r\n") < 0 ||
	    reverse_proxy_out_proxy_headers(px, &o, rq) < 0 ||
	    reverse_proxy_out(px, &o, "\r\n", 2) < 0)
		return 0;
	return o;
}

/*
 * Take the body bytes that arrived with the head (cbuf after the head):
 * returns how many of them belong to the body, and records where any
 * pipelined bytes after the body start.  -1 on a malformed chunked body.
 */
static ssize_t
reverse_proxy_body_start(
    struct request *rq, const struct http_msg *m, struct reqbody *rb)
{
	size_t avail = rq->buf_len - m->head_len, used = 0;
	int rc;

	memset(rb, 0, sizeof(*rb));
	rb->kind = m->body;
	switch (m->body) {
	case HTTP_BODY_LENGTH:
		used = avail < m->content_length ? avail
		                                 : (size_t)m->content_length;
		rb->left = m->content_length - used;
		rb->done = rb->left == 0;
		break;
	case HTTP_BODY_CHUNKED:
		request_chunked_init(rq, &rb->chunked);
		rc = http_chunked_parse(
		    &rb->chunked, rq->buf + m->head_len, avail, &used, NULL);
		if (rc == HTTP_CHUNK_ERROR) {
			rb->status = request_chunked_status(&rb->chunked);
			return -1;
		}
		rb->done = rc == HTTP_CHUNK_DONE;
		break;
	default:
		rb->done = 1;
		break;
	}
	rb->extra_off = m->head_len + used;
	rb->extra_len = avail - used;
	body_tap_feed(rq->body_tap, rq->buf + m->head_len, used);
	return (ssize_t)used;
}

/*
 * Read the next piece of the request body from the client into bbuf.
 * Returns the number of bytes to forward, 0 when the body is complete,
 * -1 on error (client gone, timeout, malformed chunk).
 */
static ssize_t
reverse_proxy_body_read(
    struct reverse_proxy_worker *px, struct request *rq, struct reqbody *rb)
{
	size_t want = REVERSE_PROXY_BODY_SIZE, used = 0;
	ssize_t r;
	int rc;

	if (rb->done)
		return 0;
	if (rb->kind == HTTP_BODY_LENGTH && rb->left < want)
		want = (size_t)rb->left;
	r = conn_read(&rq->client->io, px->bbuf, want, rq->read_deadline);
	if (r < 0 && errno == ETIMEDOUT)
		rb->status = 408; /* readTimeout: the body came too slowly */
	if (r <= 0)
		return -1;
	if (rb->kind == HTTP_BODY_LENGTH) {
		rb->left -= (uint64_t)r;
		rb->done = rb->left == 0;
		body_tap_feed(rq->body_tap, px->bbuf, (size_t)r);
		return r;
	}
	rc = http_chunked_parse(&rb->chunked, px->bbuf, (size_t)r, &used, NULL);
	if (rc == HTTP_CHUNK_ERROR) {
		rb->status = request_chunked_status(&rb->chunked);
		return -1;
	}
	if (rc == HTTP_CHUNK_DONE) {
		rb->done = 1;
		/* Bytes after the body are the next pipelined request. */
		rb->extra_in_bbuf = 1;
		rb->extra_off = used;
		rb->extra_len = (size_t)r - used;
	}
	body_tap_feed(rq->body_tap, px->bbuf, used);
	return (ssize_t)used;
}

/* Status to answer when talking to the upstream failed with errno err. */
static int
reverse_proxy_upstream_status(int err)
{
	return err == ETIMEDOUT ? 504 : 502;
}

/*
 * Read and parse the upstream response head into ubuf, skipping interim
 * 1xx responses other than 101.  Returns HTTP_PARSE_DONE with *ulen the
 * bytes in ubuf, or a status (502/504) with *got set when any byte came.
 */
static int
reverse_proxy_read_response(struct reverse_proxy_worker *px, struct request *rq,
    struct io *uio, const struct conf_client *cc, struct http_msg *r,
    int method, size_t *ulen, int *got)
{
	struct http_limits lim;
	int64_t deadline = rq->write_deadline;
	size_t len = 0;
	int rc;

	memset(&lim, 0, sizeof(lim));
	lim.max_head = REVERSE_PROXY_MAX_RESPONSE_HEAD;
	if (cc->max_response_header_bytes > 0 &&
	    cc->max_response_header_bytes < REVERSE_PROXY_MAX_RESPONSE_HEAD)
		lim.max_head = (uint32_t)cc->max_response_header_bytes;
	lim.max_line = lim.max_head;
	if (cc->response_header_timeout > 0) {
		int64_t rht = conn_deadline(cc->response_header_timeout);

		if (deadline == 0 || rht < deadline)
			deadline = rht;
	}
	*got = 0;
	http_response_init(r, &lim, method);
	for (;;) {
		ssize_t n = conn_read(uio, px->ubuf + len,
		    REVERSE_PROXY_UBUF_SIZE - len, deadline);

		if (n < 0)
			return reverse_proxy_upstream_status(errno);
		if (n == 0)
			return 502;
		*got = 1;
		len += (size_t)n;
		for (;;) {
			rc = http_parse_response(r, px->ubuf, len);
			if (rc == HTTP_PARSE_AGAIN)
				break;
			if (rc != HTTP_PARSE_DONE)
				return 502;
			if (r->status >= 200 || r->status == 101) {
				*ulen = len;
				return HTTP_PARSE_DONE;
			}
			/* Interim response: drop it and parse what follows. */
			memmove(px->ubuf, px->ubuf + r->head_len,
			    len - r->head_len);
			len -= r->head_len;
			http_response_init(r, &lim, method);
			if (len == 0)
				break;
		}
		if (len >= REVERSE_PROXY_UBUF_SIZE)
			return 502;
	}
}

/* How the response body travels to the client. */
enum resp_mode {
	RESP_NONE,    /* no body */
	RESP_LENGTH,  /* Content-Length bytes, verbatim */
	RESP_CHUNKED, /* chunked, verbatim */
	RESP_DECHUNK, /* chunked upstream, close-delimited to a 1.0 client */
	RESP_RECHUNK, /* close-delimited upstream, chunked to a 1.1 client */
	RESP_CLOSE    /* close-delimited both ways */
};

/* Choose how to relay a response body of kind body to this client. */
static int
reverse_proxy_resp_mode(const struct http_msg *req, const struct http_msg *r)
{
	switch (r->body) {
	case HTTP_BODY_LENGTH:
		return RESP_LENGTH;
	case HTTP_BODY_CHUNKED:
		return req->version_minor >= 1 ? RESP_CHUNKED : RESP_DECHUNK;
	case HTTP_BODY_CLOSE:
		return req->version_minor >= 1 ? RESP_RECHUNK : RESP_CLOSE;
	default:
		return RESP_NONE;
	}
}

/* The writer's framing for a relay mode. */
static int
reverse_proxy_framing(int mode)
{
	switch (mode) {
	case RESP_LENGTH:
		return RESPONSE_LENGTH;
	case RESP_CHUNKED:
	case RESP_RECHUNK:
		return RESPONSE_CHUNKED;
	case RESP_DECHUNK:
	case RESP_CLOSE:
		return RESPONSE_CLOSE;
	default:
		return RESPONSE_NONE;
	}
}

/*
 * Begin the client response from upstream response r (bytes in ubuf):
 * status line and end-to-end fields; the writer adds the rest.  -1 when
 * it does not fit.
 */
static int
reverse_proxy_response_fields(struct reverse_proxy_worker *px,
    struct request *rq, const struct http_msg *r, int mode)
{
	const char *buf = px->ubuf;
	uint32_t i;

	if (response_start(rq, r->status, buf + r->reason.off, r->reason.len) <
	    0)
		return -1;
	for (i = 0; i < r->nfields; i++) {
		const struct http_field *f = &r->fields[i];

		/* Trailers travel with a chunked body: keep their announcement. */
		if ((f->flags & HTTP_FIELD_HOP) &&
		    !(mode == RESP_CHUNKED && f->id == HDR_TRAILER))
			continue;
		if (response_add(rq, f->id, buf + f->name.off, f->name.len,
		        buf + f->value.off, f->value.len) < 0)
			return -1;
	}
	return 0;
}

/* State of a response body relay. */
struct respbody {
	int mode;
	uint64_t left; /* RESP_LENGTH */
	struct http_chunked chunked;
	int done;
	int extra; /* bytes came after the body: never reuse the upstream */
	struct body_tap *tap; /* the exchange's observers (tripperware) */
};

/*
 * Forward one slice of upstream body bytes to the client according to the
 * mode; sets rb->done at the end of the body.  -1 on error.
 */
static int
reverse_proxy_resp_forward(
    struct request *rq, struct respbody *rb, const char *data, size_t n)
{
	size_t used = 0, off = 0;
	struct http_span span;
	int rc;

	switch (rb->mode) {
	case RESP_LENGTH:
		if (n > rb->left) {
			n = (size_t)rb->left; /* upstream bug: drop the rest */
			rb->extra = 1;
		}
		rb->left -= n;
		rb->done = rb->left == 0;
		body_tap_feed(rb->tap, data, n);
		return response_body(rq, data, n);
	case RESP_CHUNKED:
		/* Verbatim: the chunks go out as they came. */
		rc = http_chunked_parse(&rb->chunked, data, n, &used, NULL);
		if (rc == HTTP_CHUNK_ERROR) {
			/* The head still goes out; the body is cut. */
			(void)response_flush(rq);
			return -1;
		}
		rb->done = rc == HTTP_CHUNK_DONE;
		rb->extra = rb->done && used < n;
		body_tap_feed(rb->tap, data, used);
		return response_raw(rq, data, used);
	case RESP_DECHUNK:
		/* The data of the chunks, to a 1.0 client or a body filter. */
		if (response_flush(rq) < 0)
			return -1;
		while (off < n && !rb->done) {
			rc = http_chunked_parse(
			    &rb->chunked, data + off, n - off, &used, &span);
			if (rc == HTTP_CHUNK_ERROR)
				return -1;
			if (span.len > 0 &&
			    response_body(rq, data + off + span.off, span.len) <
			        0)
				return -1;
			rb->done = rc == HTTP_CHUNK_DONE;
			off += used;
			if (used == 0 && span.len == 0)
				break;
		}
		rb->extra = rb->done && off < n;
		body_tap_feed(rb->tap, data, off);
		return 0;
	case RESP_RECHUNK:
	case RESP_CLOSE:
		body_tap_feed(rb->tap, data, n);
		return response_body(rq, data, n);
	default:
		rb->done = 1;
		return 0;
	}
}

/*
 * Relay the response body: the body bytes that came with the head (the
 * head leaves with them), then everything read from the upstream until
 * the body ends (a head without body bytes is sent at once, not held
 * back).  Returns 0 when the response was relayed completely, -1
 * otherwise.
 */
static int
reverse_proxy_relay_response(struct reverse_proxy_worker *px,
    struct request *rq, struct io *uio, struct respbody *rb, size_t off,
    size_t len)
{
	int rc;

	if (rb->mode == RESP_NONE ||
	    (rb->mode == RESP_LENGTH && rb->left == 0)) {
		rb->done = 1;
		rb->extra = len > off;
		return response_end(rq);
	}
	if (len > off) {
		if (reverse_proxy_resp_forward(
		        rq, rb, px->ubuf + off, len - off) < 0)
			return -1;
	} else if (response_flush(rq) < 0)
		return -1;
	/*
	 * A long body of known length between two plain sockets moves through
	 * a pipe with splice(2): no copy to and from user space (the writer
	 * steps aside for TLS and body filters).
	 */
	if (rb->mode == RESP_LENGTH && rb->left >= REVERSE_PROXY_SPLICE_MIN &&
	    uio->ssl == NULL && conn_pending(uio) == 0 && rb->tap == NULL) {
		rc = response_splice(rq, &px->pipe, uio->fd, rb->left);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			rb->left = 0;
			rb->done = 1;
		}
	}
	while (!rb->done) {
		ssize_t n = conn_read(
		    uio, px->ubuf, REVERSE_PROXY_UBUF_SIZE, rq->write_deadline);

		if (n < 0)
			return -1;
		if (n == 0) {
			if (rb->mode == RESP_RECHUNK ||
			    rb->mode == RESP_CLOSE) {
				rb->done = 1;
				break;
			}
			return -1; /* upstream closed early */
		}
		if (reverse_proxy_resp_forward(rq, rb, px->ubuf, (size_t)n) < 0)
			return -1;
	}
	return response_end(rq);
}

/*
 * Copy bytes both ways between client and upstream until one side ends
 * or nothing moved for the server's readTimeout (the tunnel idle timeout).
 */
static void
reverse_proxy_tunnel(
    struct reverse_proxy_worker *px, struct request *rq, struct io *uio)
{
	struct io *ios[2] = { &rq->client->io, uio };
	struct pollfd pfd[2];
	int i,
	    idle =
	        rq->srv->read_timeout > 0 && rq->srv->read_timeout < INT32_MAX
	    ? (int)rq->srv->read_timeout
	    : -1;

	for (;;) {
		int ready[2];

		for (i = 0; i < 2; i++) {
			pfd[i].fd = ios[i]->fd;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
			ready[i] = conn_pending(ios[i]) > 0;
		}
		if (!ready[0] && !ready[1]) {
			/* conn_poll: the worker's parked connections move on. */
			int n = conn_poll(
			    pfd, 2, idle < 0 ? 0 : conn_deadline(idle));

			if (n <= 0)
				return; /* error or idle too long */
			for (i = 0; i < 2; i++)
				ready[i] = pfd[i].revents != 0;
		}
		for (i = 0; i < 2; i++) {
			ssize_t r;

			if (!ready[i])
				continue;
			r = conn_read_now(
			    ios[i], px->bbuf, REVERSE_PROXY_BODY_SIZE);
			if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				continue;
			if (r <= 0 ||
			    conn_write(ios[1 - i], px->bbuf, (size_t)r,
			        conn_deadline(rq->srv->write_timeout)) < 0)
				return;
		}
	}
}

/* Send the request head, the body bytes already here, and the rest. */
static int
reverse_proxy_send_request(struct reverse_proxy_worker *px, struct request *rq,
    const struct http_msg *m, struct io *uio, size_t hlen, struct reqbody *rb,
    const char *body, size_t blen, int *body_sent)
{
	struct iovec iov[2];
	ssize_t n;

	*body_sent = 0;
	iov[0].iov_base = px->obuf;
	iov[0].iov_len = hlen;
	iov[1].iov_base = (void *)(uintptr_t)body;
	iov[1].iov_len = blen;
	if (conn_writev(uio, iov, 2, rq->write_deadline) < 0)
		return -1;
	if (!rb->done && m->expect_continue && blen == 0 &&
	    response_continue(rq) < 0)
		return -1;
	while ((n = reverse_proxy_body_read(px, rq, rb)) > 0) {
		*body_sent = 1;
		if (conn_write(uio, px->bbuf, (size_t)n, rq->write_deadline) <
		    0)
			return -1;
	}
	if (n < 0)
		return -2; /* client side failed */
	return 0;
}

/* The first value of header id in a head stored in buf, or NULL. */
static const struct http_span *
reverse_proxy_field(const struct http_msg *m, int id)
{
	uint32_t i;

	for (i = 0; i < m->nfields; i++)
		if (m->fields[i].id == id)
			return &m->fields[i].value;
	return NULL;
}

/* Does the response's Upgrade equal the request's (ignoring case)? */
static int
reverse_proxy_same_upgrade(const char *qbuf, const struct http_msg *q,
    const char *rbuf, const struct http_msg *r)
{
	const struct http_span *a = reverse_proxy_field(q, HDR_UPGRADE);
	const struct http_span *b = reverse_proxy_field(r, HDR_UPGRADE);

	return a != NULL && b != NULL && a->len == b->len &&
	    strncasecmp(qbuf + a->off, rbuf + b->off, a->len) == 0;
}

/*
 * Read a whole Content-Length body (first bytes already in cbuf) into a
 * malloc'd buffer so that a retry can send it again.  NULL when the
 * client fails, and NULL with *nomem set when there is no memory for it
 * (nothing was read: the body can still be streamed, without retries).
 */
static char *
reverse_proxy_buffer_body(struct reverse_proxy_worker *px, struct request *rq,
    const struct http_msg *m, struct reqbody *rb, size_t first, int *nomem)
{
	size_t len = (size_t)m->content_length;
	char *b = malloc(len > 0 ? len : 1);
	ssize_t n;

	*nomem = b == NULL;
	if (b == NULL) {
		log_warn("buffering a body of %zu bytes for retries", len);
		return NULL;
	}
	memcpy(b, rq->buf + m->head_len, first);
	if (!rb->done && m->expect_continue && first == 0 &&
	    response_continue(rq) < 0) {
		free(b);
		return NULL;
	}
	while ((n = reverse_proxy_body_read(px, rq, rb)) > 0) {
		memcpy(b + first, px->bbuf, (size_t)n);
		first += (size_t)n;
	}
	if (n < 0) {
		free(b);
		return NULL;
	}
	return b;
}

/* Is status one of cc's retryStatusCodes? */
static int
reverse_proxy_retry_status(const struct conf_client *cc, int status)
{
	size_t i;

	for (i = 0; i < cc->nretry_status; i++)
		if (cc->retry_status[i] == status)
			return 1;
	return 0;
}

/* Sleep before retry n (0-based): full jitter, base 1 ms, cap 10 s. */
static void
reverse_proxy_backoff(unsigned n)
{
	uint32_t cap = n >= 14 ? 10000 : (1u << n);

	if (cap > 10000)
		cap = 10000;
	(void)poll(NULL, 0, (int)arc4random_uniform(cap + 1));
}

/* Answer an error on the client side: status with code, the connection closing if close. */
static int
reverse_proxy_error(struct request *rq, int status, int close, const char *code)
{
	if (close)
		response_close(rq);
	return response_error(rq, status, code) < 0 ? HANDLER_ABORT
	                                            : HANDLER_OK;
}

/*
 * Answer a client body that could not be read (the connection closes): a
 * malformed one in plain text, one past BodyLimitMiddleware's maxSize as
 * AILERON's 413 (E3205), a slow one as 408.
 */
static int
reverse_proxy_body_error(struct request *rq, int status)
{
	return reverse_proxy_error(
	    rq, status, 1, status == 413 ? ERRPAGE_BODY_TOO_LARGE : NULL);
}

/* Switch protocols: relay the 101 head, then tunnel until one side ends. */
static int
reverse_proxy_upgrade(struct reverse_proxy_worker *px, struct request *rq,
    const struct http_msg *m, struct io *uio, const struct reqbody *rb,
    size_t ulen)
{
	const struct http_msg *r = &px->resp;
	uint32_t i;

	/* The protocol switched to must be the one asked for. */
	if (!m->conn_upgrade ||
	    !reverse_proxy_same_upgrade(rq->buf, m, px->ubuf, r)) {
		log_error("upstream %s: unexpected protocol switch",
		    rq->route != NULL ? rq->route->id : "?");
		return reverse_proxy_error(rq, 502, 1, ERRPAGE_SWITCH);
	}
	/* The 101 head has no Connection/Upgrade (hop-by-hop): re-add. */
	if (reverse_proxy_response_fields(px, rq, r, RESP_NONE) < 0 ||
	    response_add_str(rq, "Connection", "Upgrade") < 0)
		return HANDLER_ABORT;
	for (i = 0; i < r->nfields; i++)
		if (r->fields[i].id == HDR_UPGRADE &&
		    response_add(rq, HDR_UPGRADE,
		        px->ubuf + r->fields[i].name.off, r->fields[i].name.len,
		        px->ubuf + r->fields[i].value.off,
		        r->fields[i].value.len) < 0)
			return HANDLER_ABORT;
	if (response_send_head(rq, RESPONSE_UPGRADE, 0) < 0 ||
	    response_raw(rq, px->ubuf + r->head_len, ulen - r->head_len) < 0 ||
	    response_end(rq) < 0)
		return HANDLER_ABORT;
	if (rb->extra_len > 0 &&
	    conn_write(uio,
	        (rb->extra_in_bbuf ? px->bbuf : rq->buf) + rb->extra_off,
	        rb->extra_len, rq->write_deadline) < 0)
		return HANDLER_ABORT;
	reverse_proxy_tunnel(px, rq, uio);
	return HANDLER_ABORT; /* the connection was the tunnel's */
}

/*
 * Forward one request to upstream up through client cc and relay the
 * response.  HANDLER_OK when a response was sent in full.
 */
static int
reverse_proxy_forward(struct reverse_proxy_worker *px, struct request *rq,
    const struct handler *h, struct http_msg *m, const struct conf_upstream *up,
    const struct conf_client *cc)
{
	struct http_msg *r = &px->resp;
	struct io uio = { -1, NULL };
	struct reqbody rb;
	struct respbody sb;
	struct exchange x;
	size_t hlen, ulen = 0, blen;
	ssize_t first;
	char *replay = NULL;
	const char *body;
	int reused, rc, got, sent, mode, status, stale = 0;
	int replayable;
	unsigned attempt;
	int64_t t0;
	int res = HANDLER_ABORT;

	memset(&rb, 0, sizeof(rb));
	memset(&x, 0, sizeof(x));
	x.up = up;
	x.status = 0;
	clock_gettime(CLOCK_REALTIME, &x.start);
	if ((hlen = reverse_proxy_build_request(
	         px, rq, m, up, cc, rq->query, rq->query_len)) == 0) {
		res = reverse_proxy_error(rq, 500, 1, ERRPAGE_ROUNDTRIP);
		goto out;
	}
	x.head = px->obuf;
	x.head_len = hlen;
	if (h->ntws > 0)
		x.state = arena_alloc(rq->arena, h->ntws * sizeof(*x.state));
	if (h->ntws > 0 &&
	    (rc = pipeline_exchange_request(h, rq, &x)) != HANDLER_DECLINED) {
		/* A tripperware answered instead of the upstream. */
		res = rc >= 400
		    ? reverse_proxy_error(rq, rc, 0, ERRPAGE_ROUNDTRIP)
		    : rc;
		goto out;
	}
	if ((first = reverse_proxy_body_start(rq, m, &rb)) < 0) {
		res = reverse_proxy_body_error(rq, rb.status);
		goto out;
	}
	/* Only what can be sent again is retried: no body, or a small one. */
	replayable = cc->max_retry > 0 &&
	    (m->body == HTTP_BODY_NONE ||
	        (m->body == HTTP_BODY_LENGTH &&
	            m->content_length <= (uint64_t)cc->max_content_length));
	body = rq->buf + m->head_len;
	blen = (size_t)first;
	if (replayable && m->body == HTTP_BODY_LENGTH && !rb.done) {
		int nomem;

		replay =
		    reverse_proxy_buffer_body(px, rq, m, &rb, blen, &nomem);
		if (replay == NULL && !nomem)
			goto out;
		/* No memory for the copy: stream the body, without retries. */
		replayable = replay != NULL;
		if (replay != NULL) {
			body = replay;
			blen = (size_t)m->content_length;
		}
	}
	for (attempt = 0;; attempt++) {
		x.attempt = attempt;
		t0 = scoreboard_clock();
		if (upstream_get(px->pool, up, cc, &uio, &reused) < 0) {
			status = reverse_proxy_upstream_status(errno);
			scoreboard_upstream_error(up->url);
			log_error("upstream %s: connect: %s", up->url,
			    strerror(errno));
			health_report(up, 0);
			goto failed;
		}
		rc = reverse_proxy_send_request(
		    px, rq, m, &uio, hlen, &rb, body, blen, &sent);
		if (rc == -2) {
			/* The client failed while sending the body. */
			rq->body_read = 0;
			if (rb.status != 0)
				res = reverse_proxy_body_error(rq, rb.status);
			goto out;
		}
		if (rc == 0)
			rc = reverse_proxy_read_response(
			    px, rq, &uio, cc, r, m->method_id, &ulen, &got);
		else
			got = 0;
		if (rc == HTTP_PARSE_DONE) {
			x.resp = r;
			x.resp_buf = px->ubuf;
			x.status = r->status;
			if (h->ntws > 0)
				pipeline_exchange_response(h, rq, &x);
			scoreboard_upstream_response(
			    up->url, r->status, scoreboard_clock() - t0);
			health_report(up, 1);
			if (!replayable ||
			    !reverse_proxy_retry_status(cc, r->status))
				break;
			conn_close(&uio);
			status = 502;
			scoreboard_upstream_error(up->url);
			log_error("upstream %s: status %d (attempt %u)",
			    up->url, r->status, attempt + 1);
			goto failed;
		}
		/* A pooled connection the upstream closed: retry once. */
		if (reused && !got && (!sent || replayable) && !stale &&
		    rc != 504) {
			conn_close(&uio);
			stale = 1;
			attempt--;
			continue;
		}
		conn_close(&uio);
		status = rc == 504 ? 504 : 502;
		scoreboard_upstream_error(up->url);
		log_error("upstream %s: no valid response (%d)", up->url, rc);
		health_report(up, 0);
	failed:
		if (replayable && attempt < (unsigned)cc->max_retry) {
			reverse_proxy_backoff(attempt);
			continue;
		}
		/* Retries exhausted: 502 whatever the last failure was. */
		if (replayable)
			status = 502;
		rq->body_read = rb.done;
		res = reverse_proxy_error(rq, status, 0,
		    status == 504 ? ERRPAGE_TIMEOUT : ERRPAGE_ROUNDTRIP);
		goto out;
	}
	rq->body_read = rb.done;
	if (r->status == 101) {
		res = reverse_proxy_upgrade(px, rq, m, &uio, &rb, ulen);
		rb.extra_len = 0;
		goto out;
	}
	mode = reverse_proxy_resp_mode(m, r);
	if (reverse_proxy_response_fields(px, rq, r, mode) < 0 ||
	    response_send_head(
	        rq, reverse_proxy_framing(mode), r->content_length) < 0) {
		res = reverse_proxy_error(rq, 502, 1, ERRPAGE_ROUNDTRIP);
		goto out;
	}
	memset(&sb, 0, sizeof(sb));
	sb.mode = mode;
	/* A body filter gets the data of the chunks, not the chunks. */
	if (mode == RESP_CHUNKED && response_filtered(rq))
		sb.mode = RESP_DECHUNK;
	sb.left = r->content_length;
	sb.tap = x.resp_tap;
	http_chunked_init(&sb.chunked, 0);
	if (m->method_id == HTTP_M_HEAD)
		sb.mode = RESP_NONE;
	if (reverse_proxy_relay_response(px, rq, &uio, &sb, r->head_len, ulen) <
	    0) {
		log_warnx("upstream %s: response body relay failed", up->url);
		goto out;
	}
	if (r->keep_alive && sb.mode != RESP_CLOSE && sb.mode != RESP_RECHUNK &&
	    mode != RESP_RECHUNK && rb.done && !sb.extra) {
		upstream_put(px->pool, up, cc, &uio);
	}
	res = HANDLER_OK;
out:
	if (h->ntws > 0)
		pipeline_exchange_done(h, rq, &x);
	free(replay);
	if (uio.fd >= 0)
		conn_close(&uio);
	/* Bytes after the body are the next pipelined request. */
	if (rb.kind != 0 || rb.done)
		request_keep_pipelined(rq,
		    (rb.extra_in_bbuf ? px->bbuf : rq->buf) + rb.extra_off,
		    rb.extra_len);
	return res;
}

/*
 * Per worker, once: the buffers and the upstream pool, in pages of the
 * worker's own (pages.h), page-aligned so that an idle worker can give
 * the body buffers back (reverse_proxy_trim_idle).  The state's 32 KiB
 * of path buffers cost nothing until a request writes them.
 */
static int
reverse_proxy_worker_init(void *inst)
{
	const struct reverse_proxy_inst *ri = inst;
	struct reverse_proxy_worker *st;
	size_t i, max = 8192;

	if (reverse_proxy_state != NULL)
		return 0;
	if ((st = pages_alloc(sizeof(*st))) == NULL)
		fatal("mmap");
	for (i = 0; i < ri->conf->nservers; i++)
		if ((size_t)ri->conf->servers[i]->max_header_bytes > max)
			max = (size_t)ri->conf->servers[i]->max_header_bytes;
	splice_init(&st->pipe);
	st->osize = (max + REVERSE_PROXY_HEAD_SLACK) * 2 + 1024;
	st->bbuf = pages_alloc(REVERSE_PROXY_BODY_SIZE);
	st->ubuf = pages_alloc(REVERSE_PROXY_UBUF_SIZE);
	st->obuf = pages_alloc(st->osize);
	if (st->bbuf == NULL || st->ubuf == NULL || st->obuf == NULL)
		fatal("mmap");
	st->pool = upstream_pool_new();
	reverse_proxy_state = st;
	return 0;
}

void
reverse_proxy_expire_idle(void)
{
	if (reverse_proxy_state != NULL)
		upstream_expire(reverse_proxy_state->pool);
}

void
reverse_proxy_trim_idle(void)
{
	if (reverse_proxy_state == NULL)
		return;
	/* Scratch between requests: the next touch gets zeroed pages. */
	pages_drop(reverse_proxy_state->bbuf, REVERSE_PROXY_BODY_SIZE);
	pages_drop(reverse_proxy_state->ubuf, REVERSE_PROXY_UBUF_SIZE);
	pages_drop(reverse_proxy_state->obuf, reverse_proxy_state->osize);
}

void
reverse_proxy_worker_free(void)
{
	if (reverse_proxy_state == NULL)
		return;
	upstream_pool_free(reverse_proxy_state->pool);
	splice_close(&reverse_proxy_state->pipe);
	pages_free(reverse_proxy_state->bbuf, REVERSE_PROXY_BODY_SIZE);
	pages_free(reverse_proxy_state->ubuf, REVERSE_PROXY_UBUF_SIZE);
	pages_free(reverse_proxy_state->obuf, reverse_proxy_state->osize);
	pages_free(reverse_proxy_state, sizeof(*reverse_proxy_state));
	reverse_proxy_state = NULL;
}

/* Pick a load balancer and an upstream for rq, then forward it. */
static int
reverse_proxy_serve(void *inst, struct request *rq)
{
	const struct reverse_proxy_inst *ri = inst;
	const struct conf_proxy *p = ri->p;
	struct reverse_proxy_worker *px = reverse_proxy_state;
	struct conf_lb *lb;
	char client[INET6_ADDRSTRLEN + 16], hbuf[4096];
	const struct conf_client *cc;
	const char *key;
	size_t klen;
	int idx;

	if ((lb = route_select_lb(p, rq->rr, px->upath, sizeof(px->upath))) ==
	    NULL)
		return reverse_proxy_error(rq, 404, 0, ERRPAGE_NO_UPSTREAM);
	/* ClientAddr hashes Go's RemoteAddr: "ip:port", "[v6]:port". */
	snprintf(client, sizeof(client),
	    strchr(rq->ip, ':') != NULL ? "[%s]:%s" : "%s:%s", rq->ip,
	    rq->port);
	key = route_hash_key(lb, rq->rr, client, hbuf, sizeof(hbuf), &klen);
	if ((idx = balance_pick(lb, key, klen)) < 0)
		return reverse_proxy_error(rq, 502, 0, ERRPAGE_UNAVAILABLE);
	if ((cc = p->client) == NULL) {
		px->defclient = reverse_proxy_default_client;
		px->defclient.tls_ctx = ri->conf->tls_default;
		cc = &px->defclient;
	}
	return reverse_proxy_forward(
	    px, rq, rq->handler, rq->msg, &lb->upstreams[idx], cc);
}

/* Master: an instance of ReverseProxyHandler p. */
static void *
reverse_proxy_create(const void *conf, struct conf *c)
{
	struct reverse_proxy_inst *ri = malloc(sizeof(*ri));

	if (ri == NULL)
		fatal("malloc");
	ri->p = conf;
	ri->conf = c;
	return ri;
}

const struct handler_ops reverse_proxy_handler = {
	.name = "core/v1/ReverseProxyHandler",
	.create = reverse_proxy_create,
	.destroy = free,
	.worker_init = reverse_proxy_worker_init,
	.serve = reverse_proxy_serve,
};
