/* core/v1 HTTPLogger: access logs, as server middleware or proxy tripperware. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "accesslog.h"
#include "arena.h"
#include "conf_table.h"
#include "kind.h"
#include "middleware.h"

/*
 * Config part.
 */

/* ReplacerSpec value.fromTo: a mapping of strings to strings. */
static int
http_logger_conf_set_from_to(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	struct conf_replacer *r = obj;
	yaml_node_pair_t *p;
	size_t n, i = 0;
	int rc = 0;

	(void)f;
	if (v->type != YAML_MAPPING_NODE) {
		conf_expected(ld, key, v, "a mapping");
		return -1;
	}
	n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
	r->from = arena_alloc(ld->arena, (n + 1) * sizeof(char *));
	r->to = arena_alloc(ld->arena, (n + 1) * sizeof(char *));
	for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(ld->doc, p->value);

		if (k->type != YAML_SCALAR_NODE ||
		    val->type != YAML_SCALAR_NODE) {
			conf_expected(ld, key, v, "a mapping of strings");
			rc = -1;
			continue;
		}
		r->from[i] = arena_strdup(ld->arena, conf_sval(k));
		r->to[i] = arena_strdup(ld->arena, conf_sval(val));
		i++;
	}
	r->nfrom = i;
	r->kind = REPL_VALUE;
	return rc;
}

/* fixed{value}: the value may be empty. */
static void
http_logger_conf_check_repl_fixed(
    struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_replacer *r = obj;

	(void)node;
	r->kind = REPL_FIXED;
	if (r->value == NULL)
		r->value = arena_strdup(ld->arena, "");
}

static void
http_logger_conf_check_repl_regexp(
    struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_replacer *r = obj;
	char msg[256], buf[128];
	PCRE2_SIZE off;
	int rc;

	r->kind = REPL_REGEXP;
	if (r->pattern == NULL)
		r->pattern = arena_strdup(ld->arena, "");
	if (r->replace == NULL)
		r->replace = arena_strdup(ld->arena, "");
	r->compiled = pcre2_compile((PCRE2_SPTR)r->pattern,
	    PCRE2_ZERO_TERMINATED, PCRE2_UTF, &rc, &off, NULL);
	if (r->compiled == NULL) {
		pcre2_get_error_message(rc, (PCRE2_UCHAR *)msg, sizeof(msg));
		conf_errorn(ld, conf_field_node(ld, node, "pattern"),
		    "field \"pattern\": invalid regular expression %s: %s "
		    "(at offset %zu)",
		    conf_quote(
		        r->pattern, strlen(r->pattern), buf, sizeof(buf)),
		    msg, (size_t)off);
		return;
	}
	ld->conf->log_regexes = arena_realloc(ld->arena, ld->conf->log_regexes,
	    ld->conf->nlog_regexes * sizeof(void *),
	    (ld->conf->nlog_regexes + 1) * sizeof(void *));
	ld->conf->log_regexes[ld->conf->nlog_regexes++] = r->compiled;
}

static const struct conf_field http_logger_conf_repl_fixed_fields[] = {
	FSTR("value", struct conf_replacer, value),
	FEND,
};
static const struct conf_table http_logger_conf_repl_fixed_table = {
	http_logger_conf_repl_fixed_fields, http_logger_conf_check_repl_fixed
};

static const struct conf_field http_logger_conf_repl_value_fields[] = {
	FFUNC("fromTo", http_logger_conf_set_from_to, 0),
	FEND,
};
static const struct conf_table http_logger_conf_repl_value_table = {
	http_logger_conf_repl_value_fields, NULL
};

static const struct conf_field http_logger_conf_repl_regexp_fields[] = {
	FSTR("pattern", struct conf_replacer, pattern),
	FSTR("replace", struct conf_replacer, replace),
	FUNSUP("posix", NULL),
	FBOOL("literal", struct conf_replacer, literal),
	FEND,
};
static const struct conf_table http_logger_conf_repl_regexp_table = {
	http_logger_conf_repl_regexp_fields, http_logger_conf_check_repl_regexp
};

/* A ReplacerSpec is a oneof: exactly one member. */
static void
http_logger_conf_check_replacer(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_replacer *r = obj;
	size_t n = 0;

	if (node != NULL && node->type == YAML_MAPPING_NODE)
		n = (size_t)(node->data.mapping.pairs.top -
		    node->data.mapping.pairs.start);
	if (n > 1)
		conf_errorn(ld, node,
		    "a replacer has exactly one of fixed, value, regexp, ...");
	else if (r->kind == 0 && n == 0)
		conf_errorn(ld, node, "empty replacer");
	else if (r->kind == REPL_VALUE && r->from == NULL)
		r->nfrom = 0;
}

static const struct conf_field http_logger_conf_replacer_fields[] = {
	FFLAT("fixed", &http_logger_conf_repl_fixed_table),
	FFLAT("value", &http_logger_conf_repl_value_table),
	FFLAT("regexp", &http_logger_conf_repl_regexp_table),
	FUNSUP("left", NULL),
	FUNSUP("right", NULL),
	FUNSUP("trim", NULL),
	FUNSUP("trimLeft", NULL),
	FUNSUP("trimRight", NULL),
	FUNSUP("trimPrefix", NULL),
	FUNSUP("trimSuffix", NULL),
	FUNSUP("encode", NULL),
	FUNSUP("hash", NULL),
	FUNSUP("expand", NULL),
	FUNSUP("encrypt", NULL),
	FUNSUP("hmac", NULL),
	FEND,
};
const struct conf_table http_logger_conf_replacer_table = {
	http_logger_conf_replacer_fields, http_logger_conf_check_replacer
};

static const struct conf_field http_logger_conf_header_fields[] = {
	FSTR("name", struct conf_log_header, name),
	FLIST("replacers", struct conf_log_header, replacers, nreplacers,
	    struct conf_replacer, &http_logger_conf_replacer_table),
	FEND,
};
static const struct conf_table http_logger_conf_header_table = {
	http_logger_conf_header_fields, NULL
};

/* LoggingSpec.bodies: only used in journal mode, which is refused. */
struct http_logger_conf_body {
	char *mime;
	struct conf_replacer *replacers;
	size_t nreplacers;
};

static const struct conf_field http_logger_conf_body_fields[] = {
	FSTR("mime", struct http_logger_conf_body, mime),
	FLIST("replacers", struct http_logger_conf_body, replacers, nreplacers,
	    struct conf_replacer, &http_logger_conf_replacer_table),
	FUNSUP("jsonFields", NULL),
	FEND,
};
static const struct conf_table http_logger_conf_body_table = {
	http_logger_conf_body_fields, NULL
};

/* Where LoggingSpec.bodies is read to (checked, then unused). */
struct http_logger_conf_spec_in {
	struct conf_log_spec s;
	struct http_logger_conf_body *bodies;
	size_t nbodies;
};

static const struct conf_field http_logger_conf_spec_fields[] = {
	FLIST("headers", struct http_logger_conf_spec_in, s.headers, s.nheaders,
	    struct conf_log_header, &http_logger_conf_header_table),
	FLIST("bodies", struct http_logger_conf_spec_in, bodies, nbodies,
	    struct http_logger_conf_body, &http_logger_conf_body_table),
	FLIST("queries", struct http_logger_conf_spec_in, s.queries, s.nqueries,
	    struct conf_replacer, &http_logger_conf_replacer_table),
	FSTR("logFormat", struct http_logger_conf_spec_in, s.log_format),
	FUNSUP("bodyOutputPath", NULL),
	FUNSUP("base64", NULL),
	FINTD("maxContentLength", struct http_logger_conf_spec_in,
	    s.max_content_length, INT64_MIN, INT64_MAX, "4096"),
	FSTRS("mimes", struct http_logger_conf_spec_in, s.mimes, s.nmimes, 0),
	FEND,
};
static const struct conf_table http_logger_conf_spec_table = {
	http_logger_conf_spec_fields, NULL
};

static const struct conf_enum http_logger_conf_formats[] = {
	{ "JSON", ACCESS_JSON },
	{ "Combined", ACCESS_COMBINED },
	{ NULL, 0 },
};

/* core/v1 HTTPLogger spec as read. */
struct http_logger_conf_spec {
	struct conf_httplogger hl;
	struct http_logger_conf_spec_in request;
	struct http_logger_conf_spec_in response;
	struct conf_ref *logger;
	char *timezone;
};

static void
http_logger_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct http_logger_conf_spec *hs = obj;
	char buf[128];

	hs->hl.request = hs->request.s;
	hs->hl.response = hs->response.s;
	if (strcmp(hs->timezone, "Local") == 0)
		hs->hl.utc = 0;
	else if (strcmp(hs->timezone, "UTC") == 0)
		hs->hl.utc = 1;
	else
		conf_errorn(ld, conf_field_node(ld, node, "timezone"),
		    "field \"timezone\": %s is not supported yet (Local or "
		    "UTC)",
		    conf_quote(
		        hs->timezone, strlen(hs->timezone), buf, sizeof(buf)));
}

static const struct conf_field http_logger_conf_fields[] = {
	FFUNCAT("logger", struct http_logger_conf_spec, logger, conf_set_ref),
	FUNSUP("errorHandler", NULL),
	FUNSUP("journal", NULL),
	FSTRD("timezone", struct http_logger_conf_spec, timezone, "Local"),
	FSTRD("timeFormat", struct http_logger_conf_spec, hl.time_format,
	    "2006-01-02 15:04:05.000"),
	FOBJ("request", struct http_logger_conf_spec, request,
	    &http_logger_conf_spec_table),
	FOBJ("response", struct http_logger_conf_spec, response,
	    &http_logger_conf_spec_table),
	FENUMD("accessLogFormat", struct http_logger_conf_spec, hl.format,
	    http_logger_conf_formats, "JSON"),
	FEND,
};
static const struct conf_table http_logger_conf_table = {
	http_logger_conf_fields, http_logger_conf_check
};

/* An HTTPLogger's logger: an SLogger (its struct log_logger first). */
static void
http_logger_conf_build(struct loader *ld, struct conf_doc *doc)
{
	struct http_logger_conf_spec *hs = doc->obj;
	struct conf_doc *d;

	if (hs->logger != NULL && hs->logger->id != NULL &&
	    (d = conf_resolve_ref(ld, hs->logger, KIND_ROLE_LOGGER)) != NULL)
		hs->hl.logger = d->obj;
}

const struct kind http_logger_conf_kind = {
	.api_version = "core/v1",
	.kind = "HTTPLogger",
	.roles = KIND_ROLE_MIDDLEWARE | KIND_ROLE_TRIPPERWARE,
	.table = &http_logger_conf_table,
	.size = sizeof(struct http_logger_conf_spec),
	.id_off = offsetof(struct http_logger_conf_spec, hl.id),
	.eh_off = KIND_NO_OFF,
	.build = http_logger_conf_build,
	.middleware = &http_logger_middleware,
	.tripperware = &http_logger_tripperware,
};

/*
 * Runtime part.
 */

/* The request line, when the request comes in; never answers. */
static int
http_logger_request(void *inst, struct request *r)
{
	accesslog_server_request(inst, r);
	return HANDLER_DECLINED;
}

/* The response line, from what the response writer sent. */
static void
http_logger_done(void *inst, struct request *r)
{
	accesslog_server_response(inst, r);
}

/* The upstream request head, before it is sent. */
static int
http_logger_trip_request(void *inst, struct request *r, struct exchange *x)
{
	accesslog_client_request(inst, r, x);
	return HANDLER_DECLINED;
}

/* The upstream response head, when it has been read. */
static void
http_logger_trip_response(void *inst, struct request *r, struct exchange *x)
{
	accesslog_client_response(inst, r, x);
}

/* The instance is the config object (struct conf_httplogger). */
const struct middleware_ops http_logger_middleware = {
	.name = "core/v1/HTTPLogger",
	.request = http_logger_request,
	.done = http_logger_done,
};

const struct tripperware_ops http_logger_tripperware = {
	.name = "core/v1/HTTPLogger",
	.request = http_logger_trip_request,
	.response = http_logger_trip_response,
};
