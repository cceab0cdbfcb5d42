/* The registry of kinds: one line per apiVersion/kind aileron knows. */
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "conf_table.h"
#include "kind.h"

/*
 * The supported kinds, one line each (<file>_conf_kind of the kind's
 * file), in the order their build steps run: a kind with KIND_F_SINGLE,
 * the Entrypoint, runs last and links what the others built.
 */
#define KIND_SUPPORTED(X) \
	X(http_client)    \
	X(error_handler)  \
	X(reverse_proxy)  \
	X(health_check)   \
	X(prometheus)     \
	X(status)         \
	X(echo)           \
	X(static_file)    \
	X(template)       \
	X(http_handler)   \
	X(header_policy)  \
	X(body_limit)     \
	X(timeout)        \
	X(tracking)       \
	X(cors)           \
	X(csrf)           \
	X(redis_client)   \
	X(session)        \
	X(header_cert)    \
	X(basic_authn)    \
	X(key_authn)      \
	X(idkey_authn)    \
	X(digest_authn)   \
	X(oauth_authn)    \
	X(authentication) \
	X(skipper)        \
	X(slogger)        \
	X(http_logger)    \
	X(throttle)       \
	X(compression)    \
	X(soap_rest)      \
	X(http_server)    \
	X(entrypoint)

#define KIND_DECLARE(f) extern const struct kind f##_conf_kind;
#define KIND_ENTRY(f)   &f##_conf_kind,

KIND_SUPPORTED(KIND_DECLARE)

#define LATER(av, k)            \
	(&(const struct kind) { \
	    .api_version = (av), .kind = (k), .status = KIND_LATER })
#define NEVER(av, k)            \
	(&(const struct kind) { \
	    .api_version = (av), .kind = (k), .status = KIND_NEVER })

/*
 * Every kind: the supported ones, then those of AILERON's reference that
 * aileron refuses, so that they are named in errors, not "unknown".
 */
const struct kind *const kind_registry[] = {
	KIND_SUPPORTED(KIND_ENTRY)
	/* refused */
	NEVER("core/v1", "GoPlugin"),
	LATER("app/v1", "OPAAuthzMiddleware"),
	LATER("app/v1", "OpenTelemetryMeter"),
	LATER("app/v1", "OpenTelemetryTracer"),
	NULL,
};

const struct kind *
kind_find(const char *av, const char *kind)
{
	const struct kind *const *k;

	for (k = kind_registry; *k != NULL; k++)
		if (strcmp((*k)->api_version, av) == 0 &&
		    strcmp((*k)->kind, kind) == 0)
			return *k;
	return NULL;
}

void
kind_ware_add(struct arena *a, struct conf_ware **list, size_t *n,
    const struct conf_doc *d)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*list)[i].obj == d->obj)
			return;
	*list = arena_realloc(
	    a, *list, *n * sizeof(**list), (*n + 1) * sizeof(**list));
	(*list)[*n].kind = d->kind;
	(*list)[(*n)++].obj = d->obj;
}

/* Where kind_read_wares() adds what it resolves. */
struct kind_wares {
	struct conf_ware **list;
	size_t *n;
};

static void
kind_wares_bind(struct loader *ld, void *user, struct conf_doc *d)
{
	struct kind_wares *w = user;

	kind_ware_add(ld->arena, w->list, w->n, d);
}

int
kind_read_wares(struct loader *ld, const char *key, yaml_node_t *v,
    unsigned role, struct conf_ware **list, size_t *n)
{
	struct kind_wares *w;
	struct conf_ref *refs;
	void *got = NULL;
	size_t nrefs = 0, i;
	int rc;

	rc = conf_get_list(
	    ld, key, v, &conf_ref_table, sizeof(*refs), &got, &nrefs);
	refs = got;
	if (list == NULL)
		return rc;
	w = arena_alloc(ld->arena, sizeof(*w));
	w->list = list;
	w->n = n;
	for (i = 0; i < nrefs; i++)
		if (refs[i].id != NULL)
			conf_defer_ref(ld, &refs[i], role, kind_wares_bind, w);
	return rc;
}

int
kind_set_middleware(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	return kind_read_wares(ld, key, v, KIND_ROLE_MIDDLEWARE,
	    (struct conf_ware **)(void *)((char *)obj + f->off),
	    (size_t *)(void *)((char *)obj + f->off_n));
}

const char *
kind_role_name(unsigned role)
{
	switch (role) {
	case KIND_ROLE_RUNNER:
		return "a runner";
	case KIND_ROLE_HANDLER:
		return "a handler";
	case KIND_ROLE_MIDDLEWARE:
		return "middleware";
	case KIND_ROLE_TRIPPERWARE:
		return "a tripperware";
	case KIND_ROLE_CLIENT:
		return "a roundTripper";
	case KIND_ROLE_LOGGER:
		return "a logger";
	case KIND_ROLE_ERRHANDLER:
		return "an error handler";
	case KIND_ROLE_AUTHN:
		return "an authentication handler";
	case KIND_ROLE_KVS:
		return "a key-value store";
	}
	return "this";
}
