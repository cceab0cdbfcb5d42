/* app/v1 CORSMiddleware: preflight answers and CORS headers on actual requests. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf_table.h"
#include "http_parse.h"
#include "kind.h"
#include "log.h"
#include "middleware.h"
#include "middleware/cors.h"
#include "middleware/matcher.h"
#include "request.h"
#include "response.h"

/*
 * Config part.
 */

static const struct kname cors_conf_embedder[] = {
	{ "EmbedderPolicy_Unknown", 0 },
	{ "EmbedderUnsafeNone", 1 },
	{ "EmbedderRequireCorp", 2 },
	{ "EmbedderCredentialless", 3 },
	{ NULL, 0 },
};
static const struct kname cors_conf_opener[] = {
	{ "OpenerPolicy_Unknown", 0 },
	{ "OpenerUnsafeNone", 1 },
	{ "OpenerSameOriginAllowPopups", 2 },
	{ "OpenerSameOrigin", 3 },
	{ NULL, 0 },
};
static const struct kname cors_conf_resource[] = {
	{ "ResourcePolicy_Unknown", 0 },
	{ "ResourceSameSite", 1 },
	{ "ResourceSameOrigin", 2 },
	{ "ResourceCrossOrigin", 3 },
	{ NULL, 0 },
};

/* Join n strings with "," into the arena. */
static char *
cors_conf_join(struct loader *ld, char *const *l, size_t n)
{
	size_t i, len = 1;
	char *s;

	for (i = 0; i < n; i++)
		len += strlen(l[i]) + 1;
	s = arena_alloc(ld->arena, len);
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(s, ",");
		strcat(s, l[i]);
	}
	return s;
}

/* conf_free: the sorted method list. */
static void
cors_conf_free(void *arg)
{
	free(arg);
}

/* The list defaults (when empty), then the policy the runtime uses. */
static void
cors_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	static const char *const def_headers[] = { "Content-Type",
		"X-Requested-With" };
	struct cors_conf_policy *c = obj;
	struct cors_policy *p = &c->policy;
	char *methods[32] = { NULL };
	size_t i, n = 0;
	int m;

	(void)node;
	if (c->nallowed_origins == 0) {
		c->allowed_origins = arena_alloc(ld->arena, sizeof(char *));
		c->allowed_origins[c->nallowed_origins++] =
		    arena_strdup(ld->arena, "*");
	}
	if (c->allowed_methods == 0)
		c->allowed_methods =
		    1u << HTTP_M_POST | 1u << HTTP_M_GET | 1u << HTTP_M_OPTIONS;
	if (c->nallowed_headers == 0) {
		c->allowed_headers = arena_alloc(ld->arena, 2 * sizeof(char *));
		for (i = 0; i < 2; i++)
			c->allowed_headers[c->nallowed_headers++] =
			    arena_strdup(ld->arena, def_headers[i]);
	}
	p->origins = c->allowed_origins;
	p->norigins = c->nallowed_origins;
	for (m = 1; m < 32; m++)
		if (c->allowed_methods & (1u << m))
			methods[n++] = (char *)(uintptr_t)http_method_name(m);
	p->methods = arena_alloc(ld->arena, (n + 1) * sizeof(char *));
	memcpy(p->methods, methods, n * sizeof(char *));
	p->nmethods = n;
	p->joined_methods = cors_join_methods(p->methods, n);
	conf_at_free(ld, cors_conf_free, p->joined_methods);
	p->joined_headers =
	    cors_conf_join(ld, c->allowed_headers, c->nallowed_headers);
	p->joined_exposed =
	    cors_conf_join(ld, c->exposed_headers, c->nexposed_headers);
	snprintf(p->max_age, sizeof(p->max_age), "%d", (int)c->max_age);
	p->embedder =
	    cors_embedder_value(kname_name(cors_conf_embedder, c->embedder));
	p->opener = cors_opener_value(kname_name(cors_conf_opener, c->opener));
	p->resource =
	    cors_resource_value(kname_name(cors_conf_resource, c->resource));
	p->allow_credentials = c->allow_credentials;
	p->allow_private_network = c->allow_private_network;
	p->disable_wildcard_origin = c->disable_wildcard_origin;
}

static const struct conf_field cors_conf_policy_fields[] = {
	FSTRS("allowedOrigins", struct cors_conf_policy, allowed_origins,
	    nallowed_origins, 0),
	FMETHODS("allowedMethods", struct cors_conf_policy, allowed_methods),
	FSTRS("allowedHeaders", struct cors_conf_policy, allowed_headers,
	    nallowed_headers, 0),
	FSTRS("exposedHeaders", struct cors_conf_policy, exposed_headers,
	    nexposed_headers, 0),
	FBOOL("allowCredentials", struct cors_conf_policy, allow_credentials),
	FINT("maxAge", struct cors_conf_policy, max_age, INT32_MIN, INT32_MAX),
	FENUM("corsEmbedderPolicy", struct cors_conf_policy, embedder,
	    cors_conf_embedder),
	FENUM("corsOpenerPolicy", struct cors_conf_policy, opener,
	    cors_conf_opener),
	FENUM("corsResourcePolicy", struct cors_conf_policy, resource,
	    cors_conf_resource),
	FBOOL("allowPrivateNetwork", struct cors_conf_policy,
	    allow_private_network),
	FBOOL("disableWildCardOrigin", struct cors_conf_policy,
	    disable_wildcard_origin),
	FEND,
};
static const struct conf_table cors_conf_policy_table = {
	cors_conf_policy_fields, cors_conf_check
};

static const struct conf_field cors_conf_fields[] = {
	FOBJ(
	    "corsPolicy", struct cors_conf_spec, cors, &cors_conf_policy_table),
	FEND,
};
/* Without corsPolicy its check has not run: build the default policy. */
static void
cors_conf_spec_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct cors_conf_spec *cs = obj;

	(void)node;
	if (cs->cors.policy.joined_methods == NULL)
		cors_conf_check(ld, &cs->cors, NULL);
}

static const struct conf_table cors_conf_table = { cors_conf_fields,
	cors_conf_spec_check };

extern const struct middleware_ops cors_middleware;

const struct kind cors_conf_kind = {
	.api_version = "app/v1",
	.kind = "CORSMiddleware",
	.roles = KIND_ROLE_MIDDLEWARE,
	.table = &cors_conf_table,
	.size = sizeof(struct cors_conf_spec),
	.id_off = KIND_NO_OFF,
	.eh_off = KIND_NO_OFF,
	.middleware = &cors_middleware,
};

/*
 * Runtime part.
 */

/* Append one header to h if there is room. */
static void
cors_put(struct cors_header *h, size_t *nh, const char *name, const char *value)
{
	if (*nh >= CORS_MAX_HEADERS)
		return;
	h[*nh].name = name;
	h[*nh].value = value;
	(*nh)++;
}

/* 1 if s is one of the n strings of list. */
static int
cors_listed(char *const *list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/*
 * The origin rule: the exact origin, else "*" (or the origin when the
 * wildcard is disabled).  Adds Access-Control-Allow-Origin; 0 if refused.
 */
static int
cors_origin(const struct cors_policy *p, const struct cors_request *r,
    struct cors_header *h, size_t *nh, int *wildcard)
{
	*wildcard = 0;
	if (r->origin == NULL || r->origin[0] == '\0')
		return 0;
	if (cors_listed(p->origins, p->norigins, r->origin)) {
		cors_put(h, nh, "Access-Control-Allow-Origin", r->origin);
		return 1;
	}
	if (cors_listed(p->origins, p->norigins, "*")) {
		if (p->disable_wildcard_origin)
			cors_put(
			    h, nh, "Access-Control-Allow-Origin", r->origin);
		else {
			cors_put(h, nh, "Access-Control-Allow-Origin", "*");
			*wildcard = 1;
		}
		return 1;
	}
	return 0;
}

/* A preflight: OPTIONS with a non-empty Access-Control-Request-Method. */
static enum cors_action
cors_preflight(const struct cors_policy *p, const struct cors_request *r,
    struct cors_header *h, size_t *nh)
{
	int wildcard;

	cors_put(h, nh, "Vary", "Origin");
	cors_put(h, nh, "Access-Control-Allow-Methods", p->joined_methods);
	cors_put(h, nh, "Vary", "Access-Control-Request-Method");
	cors_put(h, nh, "Vary", "Access-Control-Request-Headers");
	if (r->acrh != NULL && r->acrh[0] != '\0')
		cors_put(
		    h, nh, "Access-Control-Allow-Headers", p->joined_headers);
	if (p->joined_exposed[0] != '\0')
		cors_put(
		    h, nh, "Access-Control-Expose-Headers", p->joined_exposed);
	if (p->allow_credentials)
		cors_put(h, nh, "Access-Control-Allow-Credentials", "true");
	cors_put(h, nh, "Access-Control-Max-Age", p->max_age);
	if (r->acrpn != NULL && r->acrpn[0] != '\0') {
		cors_put(
		    h, nh, "Vary", "Access-Control-Request-Private-Network");
		if (p->allow_private_network)
			cors_put(h, nh, "Access-Control-Allow-Private-Network",
			    "true");
	}
	if (!cors_origin(p, r, h, nh, &wildcard))
		return CORS_PREFLIGHT_FORBIDDEN;
	return CORS_PREFLIGHT_OK;
}

/*
 * An actual request.  AILERON means to leave out
 * Access-Control-Allow-Credentials when the origin is answered with "*",
 * but tests for it before the origin is set, so it always sends it; we do
 * what it means (aileron.yaml(5)).
 */
static enum cors_action
cors_actual(const struct cors_policy *p, const struct cors_request *r,
    struct cors_header *h, size_t *nh)
{
	int allowed, wildcard;

	cors_put(h, nh, "Vary", "Origin");
	cors_put(h, nh, "Access-Control-Allow-Methods", p->joined_methods);
	if (p->joined_headers[0] != '\0')
		cors_put(
		    h, nh, "Access-Control-Allow-Headers", p->joined_headers);
	if (p->joined_exposed[0] != '\0')
		cors_put(
		    h, nh, "Access-Control-Expose-Headers", p->joined_exposed);
	allowed = cors_origin(p, r, h, nh, &wildcard);
	if (p->allow_credentials && allowed && !wildcard)
		cors_put(h, nh, "Access-Control-Allow-Credentials", "true");
	if (!allowed)
		return CORS_FORBIDDEN;
	if (!cors_listed(p->methods, p->nmethods, r->method))
		return CORS_FORBIDDEN;
	if (p->embedder != NULL)
		cors_put(h, nh, "Cross-Origin-Embedder-Policy", p->embedder);
	if (p->opener != NULL)
		cors_put(h, nh, "Cross-Origin-Opener-Policy", p->opener);
	if (p->resource != NULL)
		cors_put(h, nh, "Cross-Origin-Resource-Policy", p->resource);
	return CORS_FORWARD;
}

enum cors_action
cors_evaluate(const struct cors_policy *p, const struct cors_request *r,
    struct cors_header *h, size_t *nh)
{
	*nh = 0;
	if (strcmp(r->method, "OPTIONS") == 0 && r->acrm != NULL &&
	    r->acrm[0] != '\0')
		return cors_preflight(p, r, h, nh);
	return cors_actual(p, r, h, nh);
}

/* Map an enum name to its header value through a two-column table. */
static const char *
cors_enum_value(const char *const (*table)[2], size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(table[i][0], name) == 0)
			return table[i][1];
	return NULL;
}

const char *
cors_embedder_value(const char *name)
{
	static const char *const t[][2] = {
		{ "EmbedderUnsafeNone", "unsafe-none" },
		{ "EmbedderRequireCorp", "require-corp" },
		{ "EmbedderCredentialless", "credentialless" },
	};

	return cors_enum_value(t, sizeof(t) / sizeof(t[0]), name);
}

const char *
cors_opener_value(const char *name)
{
	static const char *const t[][2] = {
		{ "OpenerUnsafeNone", "unsafe-none" },
		{ "OpenerSameOriginAllowPopups", "same-origin-allow-popups" },
		{ "OpenerSameOrigin", "same-origin" },
	};

	return cors_enum_value(t, sizeof(t) / sizeof(t[0]), name);
}

const char *
cors_resource_value(const char *name)
{
	static const char *const t[][2] = {
		{ "ResourceSameSite", "same-site" },
		{ "ResourceSameOrigin", "same-origin" },
		{ "ResourceCrossOrigin", "cross-origin" },
	};

	return cors_enum_value(t, sizeof(t) / sizeof(t[0]), name);
}

/* qsort comparator for an array of strings. */
static int
cors_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
cors_join_methods(char *const *methods, size_t n)
{
	char **sorted, *out;
	size_t i, len = 1, o = 0;

	if ((sorted = calloc(n + 1, sizeof(*sorted))) == NULL)
		fatal("calloc");
	for (i = 0; i < n; i++) {
		sorted[i] = methods[i];
		len += strlen(methods[i]) + 1;
	}
	qsort(sorted, n, sizeof(*sorted), cors_cmp);
	if ((out = malloc(len)) == NULL)
		fatal("malloc");
	for (i = 0; i < n; i++) {
		size_t l = strlen(sorted[i]);

		if (i > 0 && strcmp(sorted[i], sorted[i - 1]) == 0)
			continue; /* duplicates once, as slices.Compact */
		if (o > 0)
			out[o++] = ',';
		memcpy(out + o, sorted[i], l);
		o += l;
	}
	out[o] = '\0';
	free(sorted);
	return out;
}

/* Per request: the response headers the policy adds. */
struct cors_state {
	struct cors_header h[CORS_MAX_HEADERS];
	size_t n;
	int answered; /* a preflight, answered here with the headers */
};

/* Answer a preflight: 200 or 403, the headers, an empty body. */
static int
cors_answer_preflight(struct request *r, struct cors_state *st, int status)
{
	size_t i;

	st->answered = 1;
	if (response_start(r, status, NULL, 0) < 0)
		return HANDLER_ABORT;
	for (i = 0; i < st->n; i++)
		if (response_add_str(r, st->h[i].name, st->h[i].value) < 0)
			return HANDLER_ABORT;
	if (response_send_head(r, RESPONSE_LENGTH, 0) < 0 ||
	    response_end(r) < 0)
		return HANDLER_ABORT;
	return HANDLER_OK;
}

/* Evaluate the request; answer preflights and refusals here. */
static int
cors_request_hook(void *inst, struct request *r)
{
	const struct cors_conf_spec *cs = inst;
	struct cors_state *st = arena_alloc(r->arena, sizeof(*st));
	struct cors_request cr;
	void **slot = mw_state_slot(r, inst);
	int m = r->msg->method_id;

	if (slot != NULL)
		*slot = st;
	/* An unknown method is never in allowedMethods. */
	cr.method = m != HTTP_M_OTHER ? http_method_name(m) : "";
	cr.origin = mw_request_header(r, "Origin");
	cr.acrm = mw_request_header(r, "Access-Control-Request-Method");
	cr.acrh = mw_request_header(r, "Access-Control-Request-Headers");
	cr.acrpn =
	    mw_request_header(r, "Access-Control-Request-Private-Network");
	switch (cors_evaluate(&cs->cors.policy, &cr, st->h, &st->n)) {
	case CORS_PREFLIGHT_OK:
		return cors_answer_preflight(r, st, 200);
	case CORS_PREFLIGHT_FORBIDDEN:
		return cors_answer_preflight(r, st, 403);
	case CORS_FORBIDDEN:
		log_debug("E3204 CORS forbidden");
		return response_error(r, 403, "E3204") < 0 ? HANDLER_ABORT
		                                           : HANDLER_OK;
	case CORS_FORWARD:
		break;
	}
	return HANDLER_DECLINED;
}

/* Add the policy's headers to whatever response goes out. */
static void
cors_head_hook(void *inst, struct request *r)
{
	void **slot = mw_state_slot(r, inst);
	struct cors_state *st = slot != NULL ? *slot : NULL;
	size_t i;

	if (st == NULL || st->answered)
		return;
	for (i = 0; i < st->n; i++)
		(void)response_add_str(r, st->h[i].name, st->h[i].value);
}

const struct middleware_ops cors_middleware = {
	.name = "app/v1/CORSMiddleware",
	.request = cors_request_hook,
	.head = cors_head_hook,
};
