/* app/v1 TrackingMiddleware: request and trace IDs, sent upstream as proxy headers. */
#include <sys/random.h>

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf_table.h"
#include "kind.h"
#include "arena.h"
#include "log.h"
#include "middleware.h"
#include "middleware/header_policy.h"
#include "middleware/matcher.h"
#include "request.h"
#include "middleware/tracking.h"

/*
 * Config part.
 */

/* One of the three names: ^[0-9a-zA-Z-_]*$, "" is unset, stored canonical. */
static void
tracking_conf_name(
    struct loader *ld, yaml_node_t *node, const char *field, char **name)
{
	if (*name == NULL)
		return;
	if (!tracking_name_valid(*name)) {
		conf_errorn(ld, conf_field_node(ld, node, field),
		    "field \"%s\": must match ^[0-9a-zA-Z-_]*$", field);
		return;
	}
	if (**name == '\0')
		*name = NULL;
	else
		header_policy_canonical(*name, strlen(*name), *name);
}

static void
tracking_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct tracking_conf_spec *ts = obj;
	char host[256];

	tracking_conf_name(
	    ld, node, "requestIDProxyName", &ts->request_id_proxy_name);
	tracking_conf_name(
	    ld, node, "traceIDProxyName", &ts->trace_id_proxy_name);
	tracking_conf_name(
	    ld, node, "traceIDExtractName", &ts->trace_id_extract_name);
	if (gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	ts->host_hash = tracking_host_hash(host);
}

static const struct conf_field tracking_conf_fields[] = {
	FSTR("requestIDProxyName", struct tracking_conf_spec,
	    request_id_proxy_name),
	FSTR(
	    "traceIDProxyName", struct tracking_conf_spec, trace_id_proxy_name),
	FSTR("traceIDExtractName", struct tracking_conf_spec,
	    trace_id_extract_name),
	FEND,
};
static const struct conf_table tracking_conf_table = { tracking_conf_fields,
	tracking_conf_check };

extern const struct middleware_ops tracking_middleware;

const struct kind tracking_conf_kind = {
	.api_version = "app/v1",
	.kind = "TrackingMiddleware",
	.roles = KIND_ROLE_MIDDLEWARE,
	.middleware = &tracking_middleware,
	.table = &tracking_conf_table,
	.size = sizeof(struct tracking_conf_spec),
	.id_off = KIND_NO_OFF,
	.eh_off = KIND_NO_OFF,
};

/*
 * Runtime part.
 */

uint64_t
tracking_host_hash(const char *hostname)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *hostname != '\0'; hostname++) {
		h ^= (uint8_t)*hostname;
		h *= 1099511628211ULL;
	}
	return h;
}

void
tracking_base32(const uint8_t *in, size_t n, char *out)
{
	static const char alphabet[] = "0123456789BCDFGHJKLMNPQRSTUVWXYZ";
	uint32_t acc = 0;
	int bits = 0;
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(acc << (5 - bits)) & 31];
	while (o % 8 != 0)
		out[o++] = '=';
	out[o] = '\0';
}

/* Fill buf with n random bytes from the kernel CSPRNG; -1 on failure. */
static int
tracking_random(uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(buf + got, n - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

int
tracking_new_id(char *out, uint64_t host_hash)
{
	uint8_t raw[30];
	struct timespec ts;
	uint64_t us;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	for (i = 0; i < 8; i++) {
		raw[i] = (uint8_t)(us >> (56 - 8 * i));
		raw[8 + i] = (uint8_t)(host_hash >> (56 - 8 * i));
	}
	if (tracking_random(raw + 16, 14) < 0)
		return -1;
	tracking_base32(raw, sizeof(raw), out);
	return 0;
}

int
tracking_name_valid(const char *name)
{
	return strspn(name,
	           "0123456789abcdefghijklmnopqrstuvwxyz"
	           "ABCDEFGHIJKLMNOPQRSTUVWXYZ-_") == strlen(name);
}

const char *
tracking_trace_id(const char *request_id, const char *extracted)
{
	return extracted != NULL && extracted[0] != '\0' ? extracted
	                                                 : request_id;
}

/* Make the IDs and hand them to the ReverseProxyHandler as proxy headers. */
static int
tracking_request_hook(void *inst, struct request *r)
{
	const struct tracking_conf_spec *ts = inst;
	char *id = arena_alloc(r->arena, TRACKING_ID_LEN + 1);
	const char *trace, *ext = NULL;
	size_t elen = 0;

	if (tracking_new_id(id, ts->host_hash) < 0) {
		log_error("TrackingMiddleware: no random bytes");
		return 500;
	}
	if (ts->trace_id_extract_name != NULL)
		ext =
		    mw_request_header_span(r, ts->trace_id_extract_name, &elen);
	if (ext != NULL && elen > 0)
		trace = arena_strndup(r->arena, ext, elen);
	else
		trace = id;
	if (ts->request_id_proxy_name != NULL)
		request_proxy_header(r, ts->request_id_proxy_name,
		    strlen(ts->request_id_proxy_name), id, TRACKING_ID_LEN);
	if (ts->trace_id_proxy_name != NULL)
		request_proxy_header(r, ts->trace_id_proxy_name,
		    strlen(ts->trace_id_proxy_name), trace, strlen(trace));
	return HANDLER_DECLINED;
}

const struct middleware_ops tracking_middleware = {
	.name = "app/v1/TrackingMiddleware",
	.request = tracking_request_hook,
};
