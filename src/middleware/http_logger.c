/* core/v1 HTTPLogger: access logs, as server middleware or proxy tripperware. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "accesslog.h"
#include "arena.h"
#include "conf_table.h"
#include "conf_util.h"
#include "kcipher.h"
#include "kenc.h"
#include "khash.h"
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

/*
 * AILERON's ReplacerSpec, all fifteen, for HTTPLogger's headers, queries
 * and bodies: read into a struct replacer_spec (the conf_log_repl's
 * first member, so the member tables below name its fields) and
 * compiled by replacer.c when the replacer has been read.
 */

/* value.fromTo: a mapping of strings to strings, in the order written. */
static int
http_logger_conf_set_from_to2(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	struct replacer_spec *sp = obj;
	const char **from, **to;
	yaml_node_pair_t *p;
	size_t n, i = 0;
	int rc = 0;

	(void)f;
	if (v->type != YAML_MAPPING_NODE) {
		conf_expected(ld, key, v, "a mapping");
		return -1;
	}
	n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
	from = arena_alloc(ld->arena, (n + 1) * sizeof(char *));
	to = arena_alloc(ld->arena, (n + 1) * sizeof(char *));
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
		from[i] = arena_strdup(ld->arena, conf_sval(k));
		to[i] = arena_strdup(ld->arena, conf_sval(val));
		i++;
	}
	sp->from = from;
	sp->to = to;
	sp->nfrom = i;
	return rc;
}

/*
 * An enum of AILERON's kernel package (EncodingType, HashAlg, ...) from
 * f->enums; -1 when invalid, so the replacer's check does not report a
 * second error for it.
 */
static int
http_logger_conf_set_enum(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	int *dst = (int *)(void *)((char *)obj + f->off);

	if (conf_get_enum(ld, key, v, f->enums, dst) < 0) {
		*dst = -1;
		return -1;
	}
	return 0;
}

/* One member table per oneof key; its check says which key it was. */
#define HTTP_LOGGER_MEMBER(name, kindv, ...)                                  \
	static void http_logger_conf_is_##name(                               \
	    struct loader *ld, void *obj, yaml_node_t *node)                  \
	{                                                                     \
		(void)ld;                                                     \
		(void)node;                                                   \
		((struct replacer_spec *)obj)->kind = (kindv);                \
	}                                                                     \
	static const struct conf_field http_logger_conf_##name##_fields[] = { \
		__VA_ARGS__, FEND                                             \
	};                                                                    \
	static const struct conf_table http_logger_conf_##name##_table = {    \
		http_logger_conf_##name##_fields, http_logger_conf_is_##name  \
	}

#define RS   struct replacer_spec
#define RPAT FSTR("pattern", RS, pattern), FBOOL("posix", RS, posix)
#define RENUM(n, m, e)                                                \
	{                                                             \
		.name = (n), .type = CF_FUNC, .off = offsetof(RS, m), \
		.enums = (e), .set = http_logger_conf_set_enum        \
	}
#define RENC RENUM("encoding", encoding, kenc_names)

HTTP_LOGGER_MEMBER(fixed, REPLACER_FIXED, FSTR("value", RS, value));
HTTP_LOGGER_MEMBER(
    value, REPLACER_VALUE, FFUNC("fromTo", http_logger_conf_set_from_to2, 0));
HTTP_LOGGER_MEMBER(left, REPLACER_LEFT, FSTR("char", RS, chr),
    FINT("length", RS, length, 0, INT32_MAX));
HTTP_LOGGER_MEMBER(right, REPLACER_RIGHT, FSTR("char", RS, chr),
    FINT("length", RS, length, 0, INT32_MAX));
HTTP_LOGGER_MEMBER(trim, REPLACER_TRIM, FSTRS("cutSets", RS, strs, nstrs, 0));
HTTP_LOGGER_MEMBER(
    trim_left, REPLACER_TRIM_LEFT, FSTRS("cutSets", RS, strs, nstrs, 0));
HTTP_LOGGER_MEMBER(
    trim_right, REPLACER_TRIM_RIGHT, FSTRS("cutSets", RS, strs, nstrs, 0));
HTTP_LOGGER_MEMBER(
    trim_prefix, REPLACER_TRIM_PREFIX, FSTRS("prefixes", RS, strs, nstrs, 0));
HTTP_LOGGER_MEMBER(
    trim_suffix, REPLACER_TRIM_SUFFIX, FSTRS("suffixes", RS, strs, nstrs, 0));
HTTP_LOGGER_MEMBER(encode, REPLACER_ENCODE, RPAT, RENC);
HTTP_LOGGER_MEMBER(
    hash, REPLACER_HASH, RPAT, RENUM("alg", alg, khash_names), RENC);
HTTP_LOGGER_MEMBER(regexp, REPLACER_REGEXP, RPAT, FSTR("replace", RS, replace),
    FBOOL("literal", RS, literal));
HTTP_LOGGER_MEMBER(expand, REPLACER_EXPAND, RPAT, FSTR("template", RS, tmpl));
HTTP_LOGGER_MEMBER(encrypt, REPLACER_ENCRYPT, RPAT,
    RENUM("alg", alg, kcipher_names), RENC, FSTR("password", RS, key));
HTTP_LOGGER_MEMBER(hmac, REPLACER_HMAC, RPAT, RENUM("alg", alg, khash_names),
    RENC, FSTR("key", RS, key));

#undef RS
#undef RPAT
#undef RENC

static void
http_logger_conf_free_replacer(void *r)
{
	replacer_free(r);
}

/* A ReplacerSpec is a oneof: exactly one member; then compile it. */
static void
http_logger_conf_check_repl(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_log_repl *lr = obj;
	char err[256];
	size_t n = 0;

	if (node != NULL && node->type == YAML_MAPPING_NODE)
		n = (size_t)(node->data.mapping.pairs.top -
		    node->data.mapping.pairs.start);
	if (n > 1) {
		conf_errorn(ld, node,
		    "a replacer has exactly one of fixed, value, regexp, ...");
		return;
	}
	if (lr->spec.kind == REPLACER_NONE) {
		conf_errorn(ld, node, "empty replacer");
		return;
	}
	if (lr->spec.alg < 0 || lr->spec.encoding < 0)
		return; /* an enum was reported already */
	if (lr->spec.kind == REPLACER_FIXED && lr->spec.value == NULL)
		lr->spec.value = "";
	if ((lr->r = replacer_compile(&lr->spec, err, sizeof(err))) == NULL) {
		conf_errorn(ld, node, "replacer %s: %s",
		    kname_name(replacer_names, lr->spec.kind), err);
		return;
	}
	conf_at_free(ld, http_logger_conf_free_replacer, lr->r);
}

static const struct conf_field http_logger_conf_repl_fields[] = {
	FFLAT("fixed", &http_logger_conf_fixed_table),
	FFLAT("value", &http_logger_conf_value_table),
	FFLAT("left", &http_logger_conf_left_table),
	FFLAT("right", &http_logger_conf_right_table),
	FFLAT("trim", &http_logger_conf_trim_table),
	FFLAT("trimLeft", &http_logger_conf_trim_left_table),
	FFLAT("trimRight", &http_logger_conf_trim_right_table),
	FFLAT("trimPrefix", &http_logger_conf_trim_prefix_table),
	FFLAT("trimSuffix", &http_logger_conf_trim_suffix_table),
	FFLAT("encode", &http_logger_conf_encode_table),
	FFLAT("hash", &http_logger_conf_hash_table),
	FFLAT("regexp", &http_logger_conf_regexp_table),
	FFLAT("expand", &http_logger_conf_expand_table),
	FFLAT("encrypt", &http_logger_conf_encrypt_table),
	FFLAT("hmac", &http_logger_conf_hmac_table),
	FEND,
};
const struct conf_table http_logger_conf_repl_table = {
	http_logger_conf_repl_fields, http_logger_conf_check_repl
};

static const struct conf_field http_logger_conf_header_fields[] = {
	FSTR("name", struct conf_log_header, name),
	FLIST("replacers", struct conf_log_header, replacers, nreplacers,
	    struct conf_log_repl, &http_logger_conf_repl_table),
	FEND,
};
static const struct conf_table http_logger_conf_header_table = {
	http_logger_conf_header_fields, NULL
};

/*
 * jsonFields: gjson paths; aileron takes key paths ("a.b", "list.0.c"),
 * not gjson's wildcards, queries, modifiers or escapes.
 */
static void
http_logger_conf_check_body(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_log_body *b = obj;
	char buf[128];
	size_t i;

	for (i = 0; i < b->njson_fields; i++) {
		const char *f = b->json_fields[i];
		size_t n = strlen(f);

		if (n > 0 && strcspn(f, "*?#|@\\!=<>%") == n && f[0] != '.' &&
		    f[n - 1] != '.' && strstr(f, "..") == NULL)
			continue;
		conf_errorn(ld, conf_field_node(ld, node, "jsonFields"),
		    "field \"jsonFields\": %s is not supported (only key paths "
		    "such as a.b.0.c)",
		    conf_quote(f, n, buf, sizeof(buf)));
	}
}

static const struct conf_field http_logger_conf_body_fields[] = {
	FSTR("mime", struct conf_log_body, mime),
	FLIST("replacers", struct conf_log_body, replacers, nreplacers,
	    struct conf_log_repl, &http_logger_conf_repl_table),
	FSTRS("jsonFields", struct conf_log_body, json_fields, njson_fields, 0),
	FEND,
};
static const struct conf_table http_logger_conf_body_table = {
	http_logger_conf_body_fields, http_logger_conf_check_body
};

/* AILERON's default LoggingSpec.mimes. */
static const char *const http_logger_conf_default_mimes[] = {
	"application/json", "application/x-www-form-urlencoded",
	"application/xml", "application/soap+xml", "application/graphql+json",
	"text/plain", "text/html", "text/xml"
};

/* The defaults of a LoggingSpec, whether it was written or not. */
static void
http_logger_conf_spec_defaults(struct loader *ld, struct conf_log_spec *s)
{
	size_t i,
	    n = sizeof(http_logger_conf_default_mimes) /
	    sizeof(http_logger_conf_default_mimes[0]);

	if (s->nmimes == 0) {
		s->mimes = arena_alloc(ld->arena, n * sizeof(char *));
		for (i = 0; i < n; i++)
			s->mimes[i] = arena_strdup(
			    ld->arena, http_logger_conf_default_mimes[i]);
		s->nmimes = n;
	}
	if (s->body_output_path == NULL)
		s->body_output_path = arena_strdup(ld->arena, "");
}

static void
http_logger_conf_check_spec(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_log_spec *s = obj;
	struct conf *c = ld->conf;
	struct stat st;
	size_t n;
	char *p;

	http_logger_conf_spec_defaults(ld, s);
	/* As Go's filepath.Clean for the trailing slashes. */
	p = s->body_output_path;
	for (n = strlen(p); n > 1 && p[n - 1] == '/';)
		p[--n] = '\0';
	if (p[0] == '\0' || !conf_make_log_dirs || stat(p, &st) == 0)
		return;
	/* AILERON makes it at load; aileron when it starts, never on -c. */
	if (conf_mkdirs(p) < 0) {
		conf_errorn(ld, conf_field_node(ld, node, "bodyOutputPath"),
		    "field \"bodyOutputPath\": %s: cannot create it: %s", p,
		    strerror(errno));
		return;
	}
	c->body_dirs = arena_realloc(ld->arena, c->body_dirs,
	    c->nbody_dirs * sizeof(char *),
	    (c->nbody_dirs + 1) * sizeof(char *));
	c->body_dirs[c->nbody_dirs++] = p;
}

static const struct conf_field http_logger_conf_spec_fields[] = {
	FLIST("headers", struct conf_log_spec, headers, nheaders,
	    struct conf_log_header, &http_logger_conf_header_table),
	FLIST("bodies", struct conf_log_spec, bodies, nbodies,
	    struct conf_log_body, &http_logger_conf_body_table),
	FLIST("queries", struct conf_log_spec, queries, nqueries,
	    struct conf_log_repl, &http_logger_conf_repl_table),
	FSTR("logFormat", struct conf_log_spec, log_format),
	FSTRD("bodyOutputPath", struct conf_log_spec, body_output_path, ""),
	FBOOL("base64", struct conf_log_spec, base64),
	FINTD("maxContentLength", struct conf_log_spec, max_content_length,
	    INT64_MIN, INT64_MAX, "4096"),
	FSTRS("mimes", struct conf_log_spec, mimes, nmimes, 0),
	FEND,
};
static const struct conf_table http_logger_conf_spec_table = {
	http_logger_conf_spec_fields, http_logger_conf_check_spec
};

static const struct kname http_logger_conf_formats[] = {
	{ "JSON", ACCESS_JSON },
	{ "Combined", ACCESS_COMBINED },
	{ NULL, 0 },
};

/* core/v1 HTTPLogger spec as read. */
struct http_logger_conf_spec {
	struct conf_httplogger hl;
	struct conf_ref *logger;
	char *timezone;
};

static void
http_logger_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct http_logger_conf_spec *hs = obj;
	char buf[128];

	http_logger_conf_spec_defaults(ld, &hs->hl.request);
	http_logger_conf_spec_defaults(ld, &hs->hl.response);
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
	FBOOL("journal", struct http_logger_conf_spec, hl.journal),
	FSTRD("timezone", struct http_logger_conf_spec, timezone, "Local"),
	FSTRD("timeFormat", struct http_logger_conf_spec, hl.time_format,
	    "2006-01-02 15:04:05.000"),
	FOBJ("request", struct http_logger_conf_spec, hl.request,
	    &http_logger_conf_spec_table),
	FOBJ("response", struct http_logger_conf_spec, hl.response,
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

/* Journal: whether the response body is logged (else no filter). */
static void
http_logger_head(void *inst, struct request *r)
{
	accesslog_server_head(inst, r);
}

/* Journal: the response body goes by. */
static int
http_logger_body(
    void *inst, struct request *r, const void *data, size_t n, int last)
{
	return accesslog_server_body(inst, r, data, n, last);
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

/* Journal: the lines that waited for the bodies of the exchange. */
static void
http_logger_trip_done(void *inst, struct request *r, struct exchange *x)
{
	accesslog_client_done(inst, r, x);
}

/* The instance is the config object (struct conf_httplogger). */
const struct middleware_ops http_logger_middleware = {
	.name = "core/v1/HTTPLogger",
	.request = http_logger_request,
	.head = http_logger_head,
	.body = http_logger_body,
	.done = http_logger_done,
};

const struct tripperware_ops http_logger_tripperware = {
	.name = "core/v1/HTTPLogger",
	.request = http_logger_trip_request,
	.response = http_logger_trip_response,
	.done = http_logger_trip_done,
};
