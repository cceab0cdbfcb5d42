/* core/v1 HTTPHandler: a handler wrapped in its own middleware, its patterns prefixed. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf_table.h"
#include "kind.h"
#include "route.h"

/*
 * An HTTPHandler has no runtime of its own: pipeline.c puts its
 * middleware into the chain of every route that reaches it (after the
 * virtual host's and the handler spec's, before an inner HTTPHandler's)
 * and serves the route with the wrapped handler's instance.
 */

/* Where its build stands (nested HTTPHandlers are built inner first). */
enum http_handler_conf_state { HH_NEW, HH_BUILDING, HH_BUILT };

/* The spec: the runtime struct first, vhost handlers point at it. */
struct http_handler_conf_spec {
	struct conf_proxy px; /* kind, patterns, methods, inner, middleware */
	char *pattern;
	struct conf_ref *handler; /* the reference as written */
	int state;                /* enum http_handler_conf_state */
};

/* The handler it wraps (resolved before the build steps run). */
static void
http_handler_conf_bind(struct loader *ld, void *user, struct conf_doc *d)
{
	struct http_handler_conf_spec *hs = user;

	(void)ld;
	hs->px.inner = d->obj;
}

static int
http_handler_conf_set_handler(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	struct http_handler_conf_spec *hs = obj;
	struct conf_ref *r = arena_alloc(ld->arena, sizeof(*r));

	(void)f;
	(void)key;
	if (conf_parse_object(ld, v, &conf_ref_table, r) < 0 || r->id == NULL)
		return -1;
	hs->handler = r;
	conf_defer_ref(ld, r, KIND_ROLE_HANDLER, http_handler_conf_bind, hs);
	return 0;
}

static void
http_handler_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct http_handler_conf_spec *hs = obj;

	(void)ld;
	(void)node;
	hs->px.kind = CONF_PROXY_WRAPPER;
}

static const struct conf_field http_handler_conf_fields[] = {
	FSTR("pattern", struct http_handler_conf_spec, pattern),
	KIND_FMIDDLEWARE(
	    struct http_handler_conf_spec, px.middleware, px.nmiddleware),
	FFUNC("handler", http_handler_conf_set_handler, CF_REQUIRED),
	FEND,
};
static const struct conf_table http_handler_conf_table = {
	http_handler_conf_fields, http_handler_conf_check
};

/* Add a pattern to the HTTPHandler's own, unless it is there already. */
static void
http_handler_conf_add_pattern(
    struct loader *ld, struct conf_proxy *px, const char *pat)
{
	size_t i;

	for (i = 0; i < px->npatterns; i++)
		if (strcmp(px->patterns[i], pat) == 0)
			return;
	px->patterns = arena_realloc(ld->arena, px->patterns,
	    px->npatterns * sizeof(*px->patterns),
	    (px->npatterns + 1) * sizeof(*px->patterns));
	px->patterns[px->npatterns++] = arena_strdup(ld->arena, pat);
}

/*
 * Its patterns: pattern joined before each of the wrapped handler's
 * (path.Join, a trailing '/' kept), or pattern alone when that one has
 * none; its methods: the wrapped handler's.  An inner HTTPHandler is
 * finished first; one that wraps itself, directly or not, is an error.
 */
static void
http_handler_conf_finish(struct loader *ld, struct http_handler_conf_spec *hs)
{
	struct conf_proxy *in = hs->px.inner;
	const char *pattern = hs->pattern != NULL ? hs->pattern : "";
	size_t i;
	char *p;

	if (hs->state == HH_BUILT)
		return;
	if (hs->state == HH_BUILDING) {
		conf_error(ld, &hs->handler->pos,
		    "%s: an HTTPHandler cannot wrap itself, directly or "
		    "through others",
		    hs->px.id != NULL ? hs->px.id : "HTTPHandler");
		hs->px.inner = NULL;
		return;
	}
	hs->state = HH_BUILDING;
	if (in != NULL && in->kind == CONF_PROXY_WRAPPER)
		http_handler_conf_finish(
		    ld, (struct http_handler_conf_spec *)(void *)in);
	hs->state = HH_BUILT;
	if ((in = hs->px.inner) == NULL)
		return; /* reported */
	hs->px.methods = in->methods;
	if (in->npatterns == 0 && pattern[0] != '\0')
		http_handler_conf_add_pattern(ld, &hs->px, pattern);
	for (i = 0; i < in->npatterns; i++) {
		p = route_join_pattern(pattern, in->patterns[i]);
		http_handler_conf_add_pattern(ld, &hs->px, p);
		free(p);
	}
}

static void
http_handler_conf_build(struct loader *ld, struct conf_doc *d)
{
	http_handler_conf_finish(ld, d->obj);
}

const struct kind http_handler_conf_kind = {
	.api_version = "core/v1",
	.kind = "HTTPHandler",
	.roles = KIND_ROLE_HANDLER,
	.table = &http_handler_conf_table,
	.size = sizeof(struct http_handler_conf_spec),
	.id_off = offsetof(struct http_handler_conf_spec, px.id),
	.eh_off = KIND_NO_OFF,
	.build = http_handler_conf_build,
};
