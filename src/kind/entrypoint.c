/* core/v1 Entrypoint: runners, loggers, error handlers, the process model. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "conf_table.h"
#include "kind.h"

/* core/v1 Entrypoint spec. */
struct entrypoint_conf_spec {
	struct conf_ref *runners;
	size_t nrunners;
	struct conf_ref *default_logger;
	struct conf_ref *loggers;
	size_t nloggers;
	struct conf_process process;
	struct conf_ref *default_eh; /* defaultErrorHandler */
	struct conf_ref *ehs;        /* errorHandlers */
	size_t nehs;
};

/* Entrypoint spec.processConfig: our process-model extension. */
static const struct conf_field entrypoint_conf_process_fields[] = {
	FINT("workers", struct conf_process, workers, 0, CONF_MAX_WORKERS),
	FINT("startWorkers", struct conf_process, start_workers, 0,
	    CONF_MAX_WORKERS),
	FINT("minSpareWorkers", struct conf_process, min_spare_workers, 0,
	    CONF_MAX_WORKERS),
	FINT("maxSpareWorkers", struct conf_process, max_spare_workers, 0,
	    CONF_MAX_WORKERS),
	FINT("maxWorkers", struct conf_process, max_workers, 0,
	    CONF_MAX_WORKERS),
	FINT("maxRequestsPerWorker", struct conf_process,
	    max_requests_per_worker, 0, INT32_MAX),
	FSTR("user", struct conf_process, user),
	FSTR("group", struct conf_process, group),
	FBOOL("allowRootWorkers", struct conf_process, allow_root_workers),
	FSTR("pidFile", struct conf_process, pid_file),
	FEND,
};

/* A fixed pool excludes the dynamic settings; spare bounds must be ordered. */
static void
entrypoint_conf_check_process(struct loader *ld, void *obj, yaml_node_t *node)
{
	static const char *const dyn[] = { "startWorkers", "minSpareWorkers",
		"maxSpareWorkers", "maxWorkers" };
	struct conf_process *p = obj;
	const int vals[] = { p->start_workers, p->min_spare_workers,
		p->max_spare_workers, p->max_workers };
	size_t i;

	if (node == NULL)
		return;
	for (i = 0; p->workers > 0 && i < sizeof(dyn) / sizeof(dyn[0]); i++)
		if (vals[i] > 0)
			conf_errorn(ld, conf_field_node(ld, node, dyn[i]),
			    "field \"%s\": cannot be combined with \"workers\" "
			    "(a fixed-size pool)",
			    dyn[i]);
	if (p->min_spare_workers > 0 && p->max_spare_workers > 0 &&
	    p->min_spare_workers >= p->max_spare_workers)
		conf_errorn(ld, conf_field_node(ld, node, "maxSpareWorkers"),
		    "field \"maxSpareWorkers\": must be greater than "
		    "minSpareWorkers (%d)",
		    p->min_spare_workers);
	if (p->max_workers > 0 && p->start_workers > p->max_workers)
		conf_errorn(ld, conf_field_node(ld, node, "startWorkers"),
		    "field \"startWorkers\": must not exceed maxWorkers (%d)",
		    p->max_workers);
	if (p->max_workers > 0 && p->min_spare_workers > p->max_workers)
		conf_errorn(ld, conf_field_node(ld, node, "minSpareWorkers"),
		    "field \"minSpareWorkers\": must not exceed maxWorkers "
		    "(%d)",
		    p->max_workers);
	if (p->user != NULL && p->user[0] == '\0')
		conf_errorn(ld, conf_field_node(ld, node, "user"),
		    "field \"user\": must not be empty");
	if (p->group != NULL && p->group[0] == '\0')
		conf_errorn(ld, conf_field_node(ld, node, "group"),
		    "field \"group\": must not be empty");
	if (p->pid_file != NULL && p->pid_file[0] == '\0')
		conf_errorn(ld, conf_field_node(ld, node, "pidFile"),
		    "field \"pidFile\": must not be empty");
}

static const struct conf_table entrypoint_conf_process_table = {
	entrypoint_conf_process_fields, entrypoint_conf_check_process
};

static const struct conf_field entrypoint_conf_fields[] = {
	FLIST("runners", struct entrypoint_conf_spec, runners, nrunners,
	    struct conf_ref, &conf_ref_table),
	FFUNCAT("defaultLogger", struct entrypoint_conf_spec, default_logger,
	    conf_set_ref),
	FLIST("loggers", struct entrypoint_conf_spec, loggers, nloggers,
	    struct conf_ref, &conf_ref_table),
	FFUNCAT("defaultErrorHandler", struct entrypoint_conf_spec, default_eh,
	    conf_set_ref),
	FLIST("errorHandlers", struct entrypoint_conf_spec, ehs, nehs,
	    struct conf_ref, &conf_ref_table),
	FUNSUP("initializers", NULL),
	FUNSUP("finalizers", NULL),
	FOBJ("processConfig", struct entrypoint_conf_spec, process,
	    &entrypoint_conf_process_table),
	FEND,
};
static const struct conf_table entrypoint_conf_table = { entrypoint_conf_fields,
	NULL };

/* Add a served handler, and the one an HTTPHandler wraps, once each. */
static void
entrypoint_conf_add_proxy(struct loader *ld, struct conf_proxy *px)
{
	struct conf *c = ld->conf;
	size_t i;

	for (i = 0; i < c->nproxies; i++)
		if (c->proxies[i] == px)
			return;
	c->proxies = arena_realloc(ld->arena, c->proxies,
	    c->nproxies * sizeof(*c->proxies),
	    (c->nproxies + 1) * sizeof(*c->proxies));
	c->proxies[c->nproxies++] = px;
	if (px->inner != NULL)
		entrypoint_conf_add_proxy(ld, px->inner);
}

/* The error handler of es->ehs that name (an id) is, or NULL. */
static struct conf_errhandler *
entrypoint_conf_errhandler(
    struct loader *ld, struct entrypoint_conf_spec *es, const char *name)
{
	struct conf_doc *e;
	size_t j;

	for (j = 0; j < es->nehs; j++)
		if (es->ehs[j].id != NULL && strcmp(es->ehs[j].id, name) == 0 &&
		    (e = conf_doc_find(ld, es->ehs[j].id)) != NULL &&
		    (e->kind->roles & KIND_ROLE_ERRHANDLER))
			return e->obj;
	return NULL;
}

/*
 * Resolve the Entrypoint's defaultErrorHandler and errorHandlers, then
 * every document's metadata.errorHandler, which must name one of the
 * registered ones ("core/v1/ErrorHandler/<namespace>/<name>").
 */
static void
entrypoint_conf_errhandlers(struct loader *ld, struct entrypoint_conf_spec *es)
{
	struct conf_errhandler *eh;
	struct conf_doc *d;
	size_t i;

	if (es->default_eh != NULL &&
	    (d = conf_resolve_ref(ld, es->default_eh, KIND_ROLE_ERRHANDLER)) !=
	        NULL)
		ld->conf->default_errhandler = d->obj;
	for (i = 0; i < es->nehs; i++)
		if (es->ehs[i].id != NULL)
			(void)conf_resolve_ref(
			    ld, &es->ehs[i], KIND_ROLE_ERRHANDLER);
	for (i = 0; i < ld->ndocs; i++) {
		d = &ld->docs[i];
		if (d->eh_name == NULL || d->eh_name[0] == '\0')
			continue;
		if ((eh = entrypoint_conf_errhandler(ld, es, d->eh_name)) ==
		    NULL) {
			conf_error(ld, &d->pos,
			    "metadata.errorHandler: \"%s\" is not one of the "
			    "Entrypoint's errorHandlers",
			    d->eh_name);
			continue;
		}
		if (d->kind->eh_off != KIND_NO_OFF)
			*(struct conf_errhandler **)(void *)((char *)d->obj +
			    d->kind->eh_off) = eh;
	}
}

/* defaultLogger and loggers: SLoggers (their struct log_logger first). */
static void
entrypoint_conf_loggers(struct loader *ld, struct entrypoint_conf_spec *es)
{
	struct conf_doc *d;
	size_t i;

	if (es->default_logger != NULL && es->default_logger->id != NULL &&
	    (d = conf_resolve_ref(ld, es->default_logger, KIND_ROLE_LOGGER)) !=
	        NULL)
		ld->conf->default_logger = d->obj;
	for (i = 0; i < es->nloggers; i++)
		if (es->loggers[i].id != NULL)
			(void)conf_resolve_ref(
			    ld, &es->loggers[i], KIND_ROLE_LOGGER);
}

/*
 * The Entrypoint links the rest: process settings, error handlers,
 * loggers, and the runners (HTTPServers, their struct conf_server first)
 * with the handlers they serve.
 */
static void
entrypoint_conf_build(struct loader *ld, struct conf_doc *doc)
{
	struct entrypoint_conf_spec *es = doc->obj;
	struct conf *c = ld->conf;
	struct conf_server *srv;
	struct conf_doc *d;
	struct conf_ref *r;
	char where[512];
	size_t i, v, h;

	c->has_entrypoint = 1;
	c->process = es->process;
	entrypoint_conf_errhandlers(ld, es);
	entrypoint_conf_loggers(ld, es);
	c->servers =
	    arena_alloc(ld->arena, (es->nrunners + 1) * sizeof(*c->servers));
	for (i = 0; i < es->nrunners; i++) {
		r = &es->runners[i];
		if (r->id == NULL) /* reported already */
			continue;
		if ((d = conf_resolve_ref(ld, r, KIND_ROLE_RUNNER)) == NULL)
			continue;
		if (d->runner != NULL) {
			conf_error(ld, &r->pos,
			    "runner %s is listed twice "
			    "(first at %s)",
			    r->id,
			    conf_pos_str(
			        &d->runner->pos, where, sizeof(where)));
			continue;
		}
		d->runner = r;
		srv = d->obj;
		c->servers[c->nservers++] = srv;
		for (v = 0; v < srv->nvhosts; v++)
			for (h = 0; h < srv->vhosts[v].nhandlers; h++)
				if (srv->vhosts[v].handlers[h].proxy != NULL)
					entrypoint_conf_add_proxy(ld,
					    srv->vhosts[v].handlers[h].proxy);
	}
}

const struct kind entrypoint_conf_kind = {
	.api_version = "core/v1",
	.kind = "Entrypoint",
	.flags = KIND_F_SINGLE,
	.table = &entrypoint_conf_table,
	.size = sizeof(struct entrypoint_conf_spec),
	.id_off = KIND_NO_OFF,
	.eh_off = KIND_NO_OFF,
	.build = entrypoint_conf_build,
};
