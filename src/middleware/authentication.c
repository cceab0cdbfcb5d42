/* app/v1 AuthenticationMiddleware: tries its authentication handlers in order; none succeeding is 401. */
#include <stddef.h>

#include "arena.h"
#include "conf_table.h"
#include "errpage.h"
#include "kind.h"
#include "middleware.h"
#include "middleware/authn.h"
#include "middleware/matcher.h"
#include "middleware/oauth_authn.h"
#include "request.h"
#include "response.h"

/*
 * Config part.
 */

struct authentication_conf_spec {
	struct authn_conf_common c;
	struct conf_ref *refs; /* handlers */
	size_t nrefs;
	/* built at load: the handlers' config objects */
	const void **handlers;
};

static const struct conf_field authentication_conf_fields[] = {
	FFUNCAT(
	    "logger", struct authentication_conf_spec, c.logger, conf_set_ref),
	FFUNCAT("errorHandler", struct authentication_conf_spec, c.eh_ref,
	    conf_set_ref),
	FLIST("handlers", struct authentication_conf_spec, refs, nrefs,
	    struct conf_ref, &conf_ref_table),
	FEND,
};
static const struct conf_table authentication_conf_table = {
	authentication_conf_fields, NULL
};

static void
authentication_conf_build(struct loader *ld, struct conf_doc *doc)
{
	struct authentication_conf_spec *as = doc->obj;
	struct conf_doc *d;
	size_t i;

	authn_conf_refs(ld, &as->c);
	as->handlers = arena_alloc(
	    ld->arena, (as->nrefs > 0 ? as->nrefs : 1) * sizeof(void *));
	for (i = 0; i < as->nrefs; i++) {
		d = conf_resolve_ref(ld, &as->refs[i], KIND_ROLE_AUTHN);
		as->handlers[i] = d != NULL ? d->obj : NULL;
	}
}

extern const struct middleware_ops authentication_middleware;

const struct kind authentication_conf_kind = {
	.api_version = "app/v1",
	.kind = "AuthenticationMiddleware",
	.roles = KIND_ROLE_MIDDLEWARE,
	.table = &authentication_conf_table,
	.size = sizeof(struct authentication_conf_spec),
	.id_off = KIND_NO_OFF,
	.eh_off = KIND_NO_OFF,
	.build = authentication_conf_build,
	.middleware = &authentication_middleware,
};

/*
 * Runtime part.
 */

/* Per request: what the response gets (FAPI's interaction id). */
struct authentication_state {
	const char *fapi_id;
};

/* The first handler that decides wins; none: 401. */
static int
authentication_request_hook(void *inst, struct request *r)
{
	const struct authentication_conf_spec *as = inst;
	struct authentication_state *st;
	const char *fapi_id;
	void **slot;
	size_t i;
	int rc;

	for (i = 0; i < as->nrefs; i++) {
		fapi_id = NULL;
		rc = oauth_authn_try(as->handlers[i], r, as->c.eh, &fapi_id);
		if (rc == HANDLER_DECLINED && fapi_id != NULL &&
		    (slot = mw_state_slot(r, inst)) != NULL) {
			st = arena_alloc(r->arena, sizeof(*st));
			st->fapi_id = fapi_id;
			*slot = st;
		}
		if (rc != OAUTH_AUTHN_CONTINUE)
			return rc;
	}
	return authn_error(r, &as->c, 401, ERRPAGE_AUTHN);
}

/* x-fapi-interaction-id on the response of an accepted FAPI request. */
static void
authentication_head_hook(void *inst, struct request *r)
{
	void **slot = mw_state_slot(r, inst);
	const struct authentication_state *st = slot != NULL ? *slot : NULL;

	if (st != NULL)
		(void)response_set(r, "X-Fapi-Interaction-Id", st->fapi_id);
}

const struct middleware_ops authentication_middleware = {
	.name = "app/v1/AuthenticationMiddleware",
	.request = authentication_request_hook,
	.head = authentication_head_hook,
};
