/* core/v1 ReverseProxyHandler: routes to load balancers of upstreams. */
#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

static const struct conf_enum reverse_proxy_conf_match_types[] = {
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

static const struct conf_enum reverse_proxy_conf_lb_algorithms[] = {
	{ "RoundRobin", LB_ROUND_ROBIN },
	{ "Random", LB_RANDOM },
	{ "RingHash", LB_RING_HASH },
	{ "Maglev", LB_MAGLEV },
	{ "DirectHash", LB_DIRECT_HASH },
	{ NULL, 0 },
};

static const struct conf_enum reverse_proxy_conf_hash_sources[] = {
	{ "ClientAddr", HASH_CLIENT_ADDR },
	{ "Header", HASH_HEADER },
	{ "Cookie", HASH_COOKIE },
	{ "Query", HASH_QUERY },
	{ "PathParam", HASH_PATH_PARAM },
	{ NULL, 0 },
};

/* A list of HTTPMethod names: a bit mask, no duplicates. */

/* Add HTTPLogger hl to the client-side loggers of every upstream of px. */
static void
reverse_proxy_conf_add_client_logger(
    struct loader *ld, struct conf_proxy *px, struct conf_httplogger *hl)
{
	struct conf_upstream *up;
	size_t l, u, i;

	for (l = 0; l < px->nlbs; l++)
		for (u = 0; u < px->lbs[l].nupstreams; u++) {
			up = &px->lbs[l].upstreams[u];
			for (i = 0; i < up->nclient_loggers; i++)
				if (up->client_loggers[i] == hl)
					break;
			if (i < up->nclient_loggers)
				continue;
			up->client_loggers =
			    arena_realloc(ld->arena, up->client_loggers,
			        up->nclient_loggers * sizeof(hl),
			        (up->nclient_loggers + 1) * sizeof(hl));
			up->client_loggers[up->nclient_loggers++] = hl;
		}
}

/* A tripperware (an HTTPLogger): logs what the proxy sends upstream. */
static void
reverse_proxy_conf_bind_tripperware(
    struct loader *ld, void *user, struct conf_doc *d)
{
	reverse_proxy_conf_add_client_logger(
	    ld, user, d->obj /* its struct conf_httplogger first */);
}

/*
 * tripperwares of a ReverseProxyHandler: HTTPLoggers that log what is sent
 * to and received from its upstreams (resolved later, like middleware).
 */
static int
reverse_proxy_conf_set_tripperwares(struct loader *ld,
    const struct conf_field *f, const char *key, yaml_node_t *v, void *obj)
{
	struct conf_ref *refs = NULL;
	void *list = NULL;
	size_t n = 0, i;
	int rc;

	(void)f;
	rc = conf_get_list(
	    ld, key, v, &conf_ref_table, sizeof(*refs), &list, &n);
	refs = list;
	for (i = 0; i < n; i++)
		if (refs[i].id != NULL)
			conf_defer_ref(ld, &refs[i], KIND_ROLE_TRIPPERWARE,
			    reverse_proxy_conf_bind_tripperware,
			    &((struct reverse_proxy_conf_spec *)obj)->px);
	return rc;
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

/* A ReverseProxyHandler's roundTripper: an HTTPClient. */
static void
reverse_proxy_conf_build(struct loader *ld, struct conf_doc *doc)
{
	struct reverse_proxy_conf_spec *ps = doc->obj;
	struct conf_doc *d;

	if (ps->round_tripper != NULL &&
	    (d = conf_resolve_ref(ld, ps->round_tripper, KIND_ROLE_CLIENT)) !=
	        NULL)
		ps->px.client = d->obj;
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
