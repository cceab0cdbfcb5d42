/* app/v1 TimeoutMiddleware: a deadline per API, 504 if nothing was sent by then. */
#include <limits.h>
#include <stddef.h>

#include "arena.h"
#include "conf_table.h"
#include "conn.h"
#include "kind.h"
#include "middleware.h"
#include "middleware/timeout.h"
#include "request.h"

/*
 * Config part.
 */

static const struct conf_field timeout_conf_api_fields[] = {
	{ .name = "matcher",
	    .type = CF_OBJECT,
	    .flags = CF_REQUIRED,
	    .off = offsetof(struct timeout_conf_api, matcher),
	    .table = &mw_matcher_conf_table },
	FMETHODS("methods", struct timeout_conf_api, methods),
	FINT("timeout", struct timeout_conf_api, timeout, 0, INT32_MAX),
	FEND,
};
static const struct conf_table timeout_conf_api_table = {
	timeout_conf_api_fields, NULL
};

/* Keep the entries with a timeout (> 0), in order, for the runtime. */
static void
timeout_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct timeout_conf_spec *ts = obj;
	size_t i;

	(void)node;
	ts->policy.apis =
	    arena_alloc(ld->arena, (ts->napis + 1) * sizeof(*ts->policy.apis));
	for (i = 0; i < ts->napis; i++) {
		struct timeout_api *a;

		if (ts->apis[i].timeout <= 0)
			continue;
		a = &ts->policy.apis[ts->policy.napis++];
		a->matcher = ts->apis[i].matcher.m;
		a->methods = ts->apis[i].methods;
		a->timeout_ms = ts->apis[i].timeout;
	}
}

static const struct conf_field timeout_conf_fields[] = {
	FINT("defaultTimeout", struct timeout_conf_spec, policy.default_ms, 0,
	    INT32_MAX),
	FLIST("apiTimeouts", struct timeout_conf_spec, apis, napis,
	    struct timeout_conf_api, &timeout_conf_api_table),
	FEND,
};
static const struct conf_table timeout_conf_table = { timeout_conf_fields,
	timeout_conf_check };

extern const struct middleware_ops timeout_middleware;

const struct kind timeout_conf_kind = {
	.api_version = "app/v1",
	.kind = "TimeoutMiddleware",
	.roles = KIND_ROLE_MIDDLEWARE,
	.middleware = &timeout_middleware,
	.table = &timeout_conf_table,
	.size = sizeof(struct timeout_conf_spec),
	.id_off = KIND_NO_OFF,
	.eh_off = KIND_NO_OFF,
};

/*
 * Runtime part.
 */

int32_t
timeout_select(
    const struct timeout_policy *p, int method, const char *path, size_t plen)
{
	size_t i;

	for (i = 0; i < p->napis; i++)
		if (mw_methods_listed(p->apis[i].methods, method) &&
		    mw_matcher_match(&p->apis[i].matcher, path, plen))
			return p->apis[i].timeout_ms;
	return p->default_ms > 0 ? p->default_ms : 0;
}

struct timespec
timeout_deadline(const struct timespec *now, int32_t ms)
{
	struct timespec d = *now;

	d.tv_sec += ms / 1000;
	d.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (d.tv_nsec >= 1000000000L) {
		d.tv_sec++;
		d.tv_nsec -= 1000000000L;
	}
	return d;
}

int
timeout_poll_ms(
    const struct timespec *deadline, const struct timespec *now, int cap_ms)
{
	long long ns, left;

	ns = (long long)(deadline->tv_sec - now->tv_sec) * 1000000000LL +
	    (deadline->tv_nsec - now->tv_nsec);
	/* Round a partial millisecond up so poll() does not spin. */
	left = ns > 0 ? (ns + 999999) / 1000000 : 0;
	if (left > INT_MAX)
		left = INT_MAX;
	if (cap_ms >= 0 && left > cap_ms)
		left = cap_ms;
	return (int)left;
}

int
timeout_status(const struct timespec *deadline, const struct timespec *now,
    int response_started)
{
	int passed;

	passed = now->tv_sec > deadline->tv_sec ||
	    (now->tv_sec == deadline->tv_sec &&
	        now->tv_nsec >= deadline->tv_nsec);
	return passed && !response_started ? 504 : 0;
}

/* The earlier of two deadlines (0: none). */
static int64_t
timeout_min(int64_t a, int64_t b)
{
	return a == 0 || (b != 0 && b < a) ? b : a;
}

/*
 * Bound the handler's I/O by the API's deadline: the ReverseProxyHandler
 * waits for the upstream, relays and reads the body within the request's
 * deadlines, and answers 504 itself when they pass before its response
 * began.  (AILERON waits for the handler either way.)
 */
static int
timeout_request_hook(void *inst, struct request *r)
{
	const struct timeout_conf_spec *ts = inst;
	const char *path;
	size_t plen = 0;
	int32_t ms;
	int64_t d;

	if ((path = mw_request_path(r, &plen)) == NULL)
		return HANDLER_DECLINED; /* routing answers 400 */
	if ((ms = timeout_select(&ts->policy, r->msg->method_id, path, plen)) <=
	    0)
		return HANDLER_DECLINED;
	d = conn_deadline(ms);
	r->read_deadline = timeout_min(r->read_deadline, d);
	r->write_deadline = timeout_min(r->write_deadline, d);
	return HANDLER_DECLINED;
}

const struct middleware_ops timeout_middleware = {
	.name = "app/v1/TimeoutMiddleware",
	.request = timeout_request_hook,
};
