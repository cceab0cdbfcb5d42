/* app/v1 Skipper: run a middleware chain unless a skip condition matches. */
#include <stddef.h>

#include "arena.h"
#include "conf_table.h"
#include "kind.h"
#include "middleware/skipper.h"

/*
 * Config part.
 */

static const struct conf_field skipper_conf_cond_fields[] = {
	FOBJ("matcher", struct skipper_conf_cond, matcher,
	    &mw_matcher_conf_table),
	FMETHODS("methods", struct skipper_conf_cond, methods),
	FEND,
};
static const struct conf_table skipper_conf_cond_table = {
	skipper_conf_cond_fields, NULL
};

/* Append a resolved document to a list of the spec. */
static void
skipper_conf_push(
    struct loader *ld, struct conf_doc ***arr, size_t *n, struct conf_doc *d)
{
	*arr = arena_realloc(
	    ld->arena, *arr, *n * sizeof(**arr), (*n + 1) * sizeof(**arr));
	(*arr)[(*n)++] = d;
}

static void
skipper_conf_bind_mw(struct loader *ld, void *user, struct conf_doc *d)
{
	struct skipper_conf_spec *ss = user;

	skipper_conf_push(ld, &ss->mws, &ss->nmws, d);
}

static void
skipper_conf_bind_tw(struct loader *ld, void *user, struct conf_doc *d)
{
	struct skipper_conf_spec *ss = user;

	skipper_conf_push(ld, &ss->tws, &ss->ntws, d);
}

/* middleware and tripperware: references, resolved once all is read. */
static int
skipper_conf_set_refs(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	struct skipper_conf_spec *ss = obj;
	int mw = f->off == offsetof(struct skipper_conf_spec, mw_refs);
	struct conf_ref **refs = mw ? &ss->mw_refs : &ss->tw_refs;
	size_t *n = mw ? &ss->nmw_refs : &ss->ntw_refs, i;
	void *list = NULL;
	int rc;

	rc = conf_get_list(
	    ld, key, v, &conf_ref_table, sizeof(**refs), &list, n);
	*refs = list;
	for (i = 0; i < *n; i++)
		if ((*refs)[i].id != NULL)
			conf_defer_ref(ld, &(*refs)[i],
			    mw ? KIND_ROLE_MIDDLEWARE : KIND_ROLE_TRIPPERWARE,
			    mw ? skipper_conf_bind_mw : skipper_conf_bind_tw,
			    ss);
	return rc;
}

/* The conditions as the runtime tests them. */
static void
skipper_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct skipper_conf_spec *ss = obj;
	size_t i;

	(void)node;
	ss->conds =
	    arena_alloc(ld->arena, (ss->nconditions + 1) * sizeof(*ss->conds));
	for (i = 0; i < ss->nconditions; i++) {
		ss->conds[i].matcher = ss->conditions[i].matcher.m;
		ss->conds[i].methods = ss->conditions[i].methods;
	}
	ss->nconds = ss->nconditions;
}

static const struct conf_field skipper_conf_fields[] = {
	FLIST("skipConditions", struct skipper_conf_spec, conditions,
	    nconditions, struct skipper_conf_cond, &skipper_conf_cond_table),
	FFUNCAT("middleware", struct skipper_conf_spec, mw_refs,
	    skipper_conf_set_refs),
	FFUNCAT("tripperware", struct skipper_conf_spec, tw_refs,
	    skipper_conf_set_refs),
	FEND,
};
static const struct conf_table skipper_conf_table = { skipper_conf_fields,
	skipper_conf_check };

/* Not usable as middleware until the runtime part is wired (phase B). */
const struct kind skipper_conf_kind = {
	.api_version = "app/v1",
	.kind = "Skipper",
	.table = &skipper_conf_table,
	.size = sizeof(struct skipper_conf_spec),
	.id_off = KIND_NO_OFF,
	.eh_off = KIND_NO_OFF,
};

/*
 * Runtime part.
 */

int
skipper_should_skip(const struct skipper_cond *conds, size_t n, int method,
    const char *path, size_t plen)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (mw_methods_listed(conds[i].methods, method) &&
		    mw_matcher_match(&conds[i].matcher, path, plen))
			return 1;
	return 0;
}
