/* app/v1 PrometheusMeter: metrics as a handler, API calls counted as middleware and tripperware. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_table.h"
#include "handler.h"
#include "kind.h"
#include "log.h"
#include "middleware.h"
#include "prommeter.h"
#include "request.h"
#include "response.h"
#include "status.h"

/*
 * Config part.
 */

/* The spec: the runtime struct first, vhost handlers point at it. */
struct prometheus_conf_spec {
	struct conf_proxy px;
};

/* Served like a proxy without load balancers. */
static void
prometheus_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct prometheus_conf_spec *ms = obj;

	(void)ld;
	(void)node;
	ms->px.kind = CONF_PROXY_METRICS;
}

static const struct conf_field prometheus_conf_fields[] = {
	FSTRSD("patterns", struct prometheus_conf_spec, px.patterns,
	    px.npatterns, CF_UNIQUE, "/metrics"),
	FMETHODS("methods", struct prometheus_conf_spec, px.methods),
	FEND,
};
static const struct conf_table prometheus_conf_table = { prometheus_conf_fields,
	prometheus_conf_check };

const struct kind prometheus_conf_kind = {
	.api_version = "app/v1",
	.kind = "PrometheusMeter",
	.roles =
	    KIND_ROLE_HANDLER | KIND_ROLE_MIDDLEWARE | KIND_ROLE_TRIPPERWARE,
	.table = &prometheus_conf_table,
	.size = sizeof(struct prometheus_conf_spec),
	.id_off = offsetof(struct prometheus_conf_spec, px.id),
	.eh_off = KIND_NO_OFF,
	.middleware = &prometheus_middleware,
	.tripperware = &prometheus_tripperware,
};

/*
 * Runtime part: one meter (prommeter.h) shared by the handler, middleware
 * and tripperware instances of a PrometheusMeter object.
 */

static void *
prometheus_create(const void *conf, struct conf *c)
{
	(void)c;
	return prommeter_get(conf);
}

static void
prometheus_destroy(void *inst)
{
	prommeter_put(inst);
}

/* The scoreboard's aileron_* metrics, then the meter's families. */
static int
prometheus_serve(void *inst, struct request *r)
{
	const char *ctype;
	char *page, *buf = NULL;
	size_t plen, len = 0;
	FILE *f;
	int rc;

	prommeter_scrape_begin(inst);
	page = status_render(CONF_PROXY_METRICS, NULL, 0, &plen, &ctype);
	if ((f = open_memstream(&buf, &len)) == NULL)
		fatal("open_memstream");
	if (fwrite(page, 1, plen, f) != plen || prommeter_write(inst, f) == -1)
		fatal("open_memstream");
	fclose(f);
	rc = status_handler_reply(r, buf, len, ctype);
	prommeter_scrape_end(inst, rc == HANDLER_OK ? 200 : 0);
	free(page);
	free(buf);
	return rc;
}

/* A request ended: count it by Host, path, status sent and method. */
static void
prometheus_done(void *inst, struct request *r)
{
	prommeter_count_request(inst, r->host != NULL ? r->host : "",
	    r->host != NULL ? r->host_len : 0, r->path != NULL ? r->path : "",
	    r->path != NULL ? r->path_len : 0, r->resp.status,
	    r->buf + r->msg->method.off, r->msg->method.len);
}

/*
 * An upstream exchange ended: count it by the upstream's host:port, the
 * path sent (from the request line: "METHOD /path?query HTTP/1.1"), its
 * status (0: no response) and the method.
 */
static void
prometheus_trip_done(void *inst, struct request *r, struct exchange *x)
{
	const char *p = x->head, *end = x->head + x->head_len, *sp, *path, *q;

	(void)r;
	sp = memchr(p, ' ', (size_t)(end - p));
	path = sp != NULL ? sp + 1 : end;
	for (q = path; q < end && *q != ' ' && *q != '?'; q++)
		;
	prommeter_count_client(inst, x->up->authority, strlen(x->up->authority),
	    path, (size_t)(q - path), x->resp != NULL ? x->status : 0, p,
	    sp != NULL ? (size_t)(sp - p) : 0);
}

const struct handler_ops prometheus_handler = {
	.name = "app/v1/PrometheusMeter",
	.create = prometheus_create,
	.destroy = prometheus_destroy,
	.serve = prometheus_serve,
};

const struct middleware_ops prometheus_middleware = {
	.name = "app/v1/PrometheusMeter",
	.create = prometheus_create,
	.destroy = prometheus_destroy,
	.done = prometheus_done,
};

const struct tripperware_ops prometheus_tripperware = {
	.name = "app/v1/PrometheusMeter",
	.create = prometheus_create,
	.destroy = prometheus_destroy,
	.done = prometheus_trip_done,
};
