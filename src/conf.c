/* Configuration loader: YAML documents -> struct conf, through field tables. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <yaml.h>

#include "arena.h"
#include "conf.h"
#include "errpage.h"
#include "health.h"
#include "conf_table.h"
#include "conf_util.h"
#include "http_parse.h"
#include "kind.h"
#include "log.h"
#include "tls.h"

#define CONF_MAX_ERRORS 50         /* then give up */
#define CONF_MAX_VISITS 200000     /* YAML nodes walked per document */
#define CONF_MAX_FIELDS 32         /* per table */
#define CONF_MAX_DEPTH  64         /* YAML nesting */

/* What every document has around its spec. */
struct conf_meta {
	char *name;
	char *namespace;
	char *error_handler; /* metadata.errorHandler */
};

struct conf_envelope {
	char *api_version;
	char *kind;
	struct conf_meta meta;
	const struct kind *k; /* how to read spec, into obj */
	void *obj;
	int has_spec;
};

/* core/v1 Entrypoint spec. */
struct ep_spec {
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

/* core/v1 HTTPServer spec: the server plus what only loading needs. */
struct srv_spec {
	struct conf_server srv;
	struct conf_addr addr;
	struct conf_addr listen_addr;
};

static void conf_verror(struct loader *, const struct conf_pos *, const char *,
    va_list) LOG_PRINTF(3, 0);
static int conf_set_middleware(struct loader *, const struct conf_field *,
    const char *, yaml_node_t *, void *);

/*
 * Errors and positions.
 */

static void
conf_verror(
    struct loader *ld, const struct conf_pos *pos, const char *fmt, va_list ap)
{
	char msg[1024], full[1536];

	if (ld->gave_up)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (pos != NULL && pos->file != NULL)
		snprintf(full, sizeof(full), "%s:%d:%d: %s", pos->file,
		    pos->line, pos->column, msg);
	else
		snprintf(full, sizeof(full), "%s", msg);
	if (ld->err != NULL)
		ld->err(ld->ctx, full);
	if (++ld->nerrors >= CONF_MAX_ERRORS) {
		if (ld->err != NULL)
			ld->err(ld->ctx, "too many errors, giving up");
		ld->gave_up = 1;
	}
}

void
conf_error(struct loader *ld, const struct conf_pos *pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_verror(ld, pos, fmt, ap);
	va_end(ap);
}

/* Position in the file of a libyaml mark in the current document. */
static struct conf_pos
conf_mark_pos(struct loader *ld, yaml_mark_t m)
{
	struct conf_pos pos;
	int line = (int)m.line, col = (int)m.column;

	if (ld->env != NULL)
		conf_env_map(ld->env, &line, &col);
	pos.file = ld->file;
	pos.line = ld->line0 + line;
	pos.column = col + 1;
	return pos;
}

struct conf_pos
conf_node_pos(struct loader *ld, yaml_node_t *n)
{
	return n != NULL ? conf_mark_pos(ld, n->start_mark) : ld->docpos;
}

void
conf_errorn(struct loader *ld, yaml_node_t *n, const char *fmt, ...)
{
	struct conf_pos pos = conf_node_pos(ld, n);
	va_list ap;

	va_start(ap, fmt);
	conf_verror(ld, &pos, fmt, ap);
	va_end(ap);
}

/* An object id: apiVersion/kind/namespace/name. */
char *
conf_make_id(struct loader *ld, const char *av, const char *kind,
    const char *ns, const char *name)
{
	size_t n = strlen(av) + strlen(kind) + strlen(ns) + strlen(name) + 4;
	char *s = arena_alloc(ld->arena, n);

	snprintf(s, n, "%s/%s/%s/%s", av, kind, ns, name);
	return s;
}

/* "file:line:column" of pos, for messages naming a second place. */
const char *
conf_pos_str(const struct conf_pos *pos, char *buf, size_t size)
{
	snprintf(buf, size, "%s:%d:%d", pos->file, pos->line, pos->column);
	return buf;
}

/* Account for n bytes appended to the message path at old. */
static size_t
conf_path_grew(struct loader *ld, size_t old, int n)
{
	size_t room = sizeof(ld->path) - old;

	ld->pathlen =
	    n < 0 || (size_t)n >= room ? sizeof(ld->path) - 1 : old + (size_t)n;
	return old;
}

/* Message path: "core/v1 HTTPServer spec.virtualHosts[0]". */
size_t
conf_path_push(struct loader *ld, const char *name)
{
	size_t old = ld->pathlen;

	return conf_path_grew(ld, old,
	    snprintf(ld->path + old, sizeof(ld->path) - old, "%s%s",
	        old == ld->rootlen ? " " : ".", name));
}

size_t
conf_path_index(struct loader *ld, size_t i)
{
	size_t old = ld->pathlen;

	return conf_path_grew(ld, old,
	    snprintf(ld->path + old, sizeof(ld->path) - old, "[%zu]", i));
}

/* The last element of the path: "httpConfig", "handlers[0]". */
const char *
conf_path_last(struct loader *ld)
{
	size_t i = ld->pathlen;

	while (
	    i > ld->rootlen && ld->path[i - 1] != '.' && ld->path[i - 1] != ' ')
		i--;
	return i > ld->rootlen ? ld->path + i : "document";
}

void
conf_path_pop(struct loader *ld, size_t old)
{
	ld->pathlen = old;
	ld->path[old] = '\0';
}

/*
 * YAML nodes.
 */

const char *
conf_sval(yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

int
conf_all_in(const char *s, const char *set)
{
	if (*s == '\0')
		return 0;
	return s[strspn(s, set)] == '\0';
}

/* YAML 1.2 core schema float, without the special values. */
static int
conf_is_float(const char *s)
{
	int digits = 0;

	if (*s == '-' || *s == '+')
		s++;
	for (; *s >= '0' && *s <= '9'; s++)
		digits++;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			digits++;
	if (digits == 0)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!conf_all_in(s, "0123456789"))
			return 0;
		return 1;
	}
	return *s == '\0';
}

/* What a plain scalar resolves to under the YAML 1.2 core schema. */
int
conf_scalar_class(yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	static const char *const bools[] = { "true", "True", "TRUE", "false",
		"False", "FALSE" };
	static const char *const floats[] = { ".inf", ".Inf", ".INF", "-.inf",
		"-.Inf", "-.INF", "+.inf", "+.Inf", "+.INF", ".nan", ".NaN",
		".NAN" };
	const char *s = conf_sval(n), *d = s;
	size_t i;

	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return SC_STRING;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(s, nulls[i]) == 0)
			return SC_NULL;
	for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
		if (strcmp(s, bools[i]) == 0)
			return SC_BOOL;
	if (*d == '-' || *d == '+')
		d++;
	if (conf_all_in(d, "0123456789") ||
	    (strncmp(s, "0x", 2) == 0 &&
	        conf_all_in(s + 2, "0123456789abcdefABCDEF")) ||
	    (strncmp(s, "0o", 2) == 0 && conf_all_in(s + 2, "01234567")))
		return SC_INT;
	for (i = 0; i < sizeof(floats) / sizeof(floats[0]); i++)
		if (strcmp(s, floats[i]) == 0)
			return SC_FLOAT;
	return conf_is_float(s) ? SC_FLOAT : SC_STRING;
}

int
conf_is_null(yaml_node_t *n)
{
	return n == NULL ||
	    (n->type == YAML_SCALAR_NODE && conf_scalar_class(n) == SC_NULL);
}

/* Copy s[0..n) for a message: quoted, escaped, shortened. */
const char *
conf_quote(const char *s, size_t n, char *buf, size_t size)
{
	size_t i, o = 0;

	buf[o++] = '"';
	for (i = 0; i < n && o + 8 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == 60) {
			o += (size_t)snprintf(buf + o, size - o, "...");
			break;
		}
		if (c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, size - o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* What a node is, for "expected X, got Y" messages. */
static const char *
conf_describe(yaml_node_t *n, char *buf, size_t size)
{
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (conf_scalar_class(n) == SC_STRING)
		return conf_quote(
		    conf_sval(n), n->data.scalar.length, buf, size);
	snprintf(buf, size, "%s", conf_sval(n));
	return buf;
}

void
conf_expected(
    struct loader *ld, const char *key, yaml_node_t *v, const char *what)
{
	char buf[128];

	conf_errorn(ld, v, "field \"%s\": expected %s, got %s", key, what,
	    conf_describe(v, buf, sizeof(buf)));
}

/* Count a visited node; -1 once a document walks too many of them. */
static int
conf_visit(struct loader *ld, yaml_node_t *n)
{
	if (++ld->visits <= CONF_MAX_VISITS)
		return 0;
	if (!ld->too_big)
		conf_errorn(ld, n, "document too large (or too many aliases)");
	ld->too_big = 1;
	return -1;
}

/*
 * Scalar readers.
 */

int
conf_get_string(struct loader *ld, const char *key, yaml_node_t *v, char **out)
{
	if (v->type != YAML_SCALAR_NODE || conf_scalar_class(v) != SC_STRING) {
		conf_expected(ld, key, v, "a string");
		return -1;
	}
	if (strlen(conf_sval(v)) != v->data.scalar.length) {
		conf_errorn(
		    ld, v, "field \"%s\": contains a NUL character", key);
		return -1;
	}
	*out = arena_strndup(ld->arena, conf_sval(v), v->data.scalar.length);
	return 0;
}

int
conf_get_int(struct loader *ld, const char *key, yaml_node_t *v, int64_t min,
    int64_t max, int64_t *out)
{
	const char *s;
	char *end;
	long long n;
	int cls, base = 10;

	if (v->type != YAML_SCALAR_NODE)
		goto bad;
	s = conf_sval(v);
	cls = conf_scalar_class(v);
	if (cls == SC_INT) {
		if (strncmp(s, "0x", 2) == 0 || strncmp(s, "0o", 2) == 0) {
			base = s[1] == 'x' ? 16 : 8;
			s += 2;
		}
	} else if (cls != SC_STRING ||
	    (*s != '-' && *s != '+' && !(*s >= '0' && *s <= '9')))
		goto bad;
	errno = 0;
	n = strtoll(s, &end, base);
	if (*end != '\0' || end == s)
		goto bad;
	if (errno == ERANGE || n < min || n > max) {
		conf_errorn(ld, v,
		    "field \"%s\": %s is out of range (%" PRId64 "..%" PRId64
		    ")",
		    key, conf_sval(v), min, max);
		return -1;
	}
	*out = n;
	return 0;
bad:
	conf_expected(ld, key, v, "an integer");
	return -1;
}

int
conf_get_bool(struct loader *ld, const char *key, yaml_node_t *v, int *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes",
		"YES", "on", "On", "ON" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No",
		"NO", "off", "Off", "OFF" };
	size_t i;

	if (v->type == YAML_SCALAR_NODE &&
	    v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (strcmp(conf_sval(v), yes[i]) == 0) {
				*out = 1;
				return 0;
			}
			if (strcmp(conf_sval(v), no[i]) == 0) {
				*out = 0;
				return 0;
			}
		}
	}
	conf_expected(ld, key, v, "a boolean");
	return -1;
}

int
conf_get_enum(struct loader *ld, const char *key, yaml_node_t *v,
    const struct conf_enum *e, int *out)
{
	char list[512], buf[128];
	size_t i, n = 0;
	int64_t num;

	if (v->type == YAML_SCALAR_NODE && conf_scalar_class(v) == SC_INT) {
		num = strtoll(conf_sval(v), NULL, 10);
		for (i = 0; e[i].name != NULL; i++)
			if (e[i].value == num) {
				*out = e[i].value;
				return 0;
			}
	} else if (v->type == YAML_SCALAR_NODE &&
	    conf_scalar_class(v) == SC_STRING) {
		for (i = 0; e[i].name != NULL; i++)
			if (strcmp(e[i].name, conf_sval(v)) == 0) {
				*out = e[i].value;
				return 0;
			}
	} else {
		conf_expected(ld, key, v, "a name");
		return -1;
	}
	list[0] = '\0';
	for (i = 0; e[i].name != NULL; i++) {
		if (e[i].name[0] == '\0')
			continue;
		if (n > 0 && n < sizeof(list))
			n += (size_t)snprintf(list + n, sizeof(list) - n, ", ");
		if (n < sizeof(list))
			n += (size_t)snprintf(
			    list + n, sizeof(list) - n, "%s", e[i].name);
	}
	conf_errorn(ld, v,
	    "field \"%s\": invalid value %s (expected one of %s)", key,
	    conf_describe(v, buf, sizeof(buf)), list);
	return -1;
}

static const struct conf_enum conf_http_methods[] = {
	{ "HTTPMethodUnknown", HTTP_M_OTHER },
	{ "GET", HTTP_M_GET },
	{ "HEAD", HTTP_M_HEAD },
	{ "POST", HTTP_M_POST },
	{ "PUT", HTTP_M_PUT },
	{ "PATCH", HTTP_M_PATCH },
	{ "DELETE", HTTP_M_DELETE },
	{ "CONNECT", HTTP_M_CONNECT },
	{ "OPTIONS", HTTP_M_OPTIONS },
	{ "TRACE", HTTP_M_TRACE },
	{ NULL, 0 },
};

int
conf_get_methods(
    struct loader *ld, const char *key, yaml_node_t *v, conf_methods *out)
{
	yaml_node_item_t *it;
	yaml_node_t *n;
	conf_methods mask = 0;
	char buf[128];
	int m, rc = 0;

	if (v->type != YAML_SEQUENCE_NODE) {
		conf_expected(ld, key, v, "a list");
		return -1;
	}
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		n = yaml_document_get_node(ld->doc, *it);
		if (conf_get_enum(ld, key, n, conf_http_methods, &m) < 0) {
			rc = -1;
			continue;
		}
		if (m == HTTP_M_OTHER)
			continue;
		if (mask & (1u << m)) {
			conf_errorn(ld, n, "field \"%s\": duplicate value %s",
			    key, conf_describe(n, buf, sizeof(buf)));
			rc = -1;
		}
		mask |= 1u << m;
	}
	*out = mask;
	return rc;
}

/* A list of enum values (names or numbers), no duplicates. */
int
conf_get_enums(struct loader *ld, const char *key, yaml_node_t *v,
    const struct conf_enum *e, int **arrp, size_t *np)
{
	yaml_node_item_t *it;
	yaml_node_t *n;
	size_t count, i, j;
	char buf[128];
	int *arr, rc = 0;

	if (v->type != YAML_SEQUENCE_NODE) {
		conf_expected(ld, key, v, "a list");
		return -1;
	}
	it = v->data.sequence.items.start;
	count = (size_t)(v->data.sequence.items.top - it);
	arr = count > 0 ? arena_alloc(ld->arena, count * sizeof(*arr)) : NULL;
	for (i = 0; i < count; i++) {
		n = yaml_document_get_node(ld->doc, it[i]);
		arr[i] = -1;
		if (conf_get_enum(ld, key, n, e, &arr[i]) < 0) {
			rc = -1;
			continue;
		}
		for (j = 0; j < i; j++)
			if (arr[j] == arr[i]) {
				conf_errorn(ld, n,
				    "field \"%s\": duplicate value %s", key,
				    conf_describe(n, buf, sizeof(buf)));
				rc = -1;
				break;
			}
	}
	*arrp = arr;
	*np = count;
	return rc;
}

int
conf_is_hostname(const char *s)
{
	return conf_all_in(s,
	    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-");
}

int
conf_get_strings(struct loader *ld, const char *key, yaml_node_t *v, int flags,
    char ***arrp, size_t *np)
{
	yaml_node_item_t *it;
	yaml_node_t *n;
	char **arr, buf[128];
	size_t count, i, j;
	int rc = 0;

	if (v->type != YAML_SEQUENCE_NODE) {
		conf_expected(ld, key, v, "a list");
		return -1;
	}
	it = v->data.sequence.items.start;
	count = (size_t)(v->data.sequence.items.top - it);
	arr = count > 0 ? arena_alloc(ld->arena, count * sizeof(*arr)) : NULL;
	for (i = 0; i < count; i++) {
		n = yaml_document_get_node(ld->doc, it[i]);
		if (conf_get_string(ld, key, n, &arr[i]) < 0) {
			rc = -1;
			arr[i] = arena_strdup(ld->arena, "");
			continue;
		}
		if ((flags & CF_HOSTNAME) && !conf_is_hostname(arr[i])) {
			conf_errorn(ld, n,
			    "field \"%s\": invalid host name %s (letters, "
			    "digits, \".\" and \"-\" only)",
			    key, conf_describe(n, buf, sizeof(buf)));
			rc = -1;
		}
		for (j = 0; (flags & CF_UNIQUE) && j < i; j++)
			if (strcmp(arr[i], arr[j]) == 0) {
				conf_errorn(ld, n,
				    "field \"%s\": duplicate value %s", key,
				    conf_describe(n, buf, sizeof(buf)));
				rc = -1;
				break;
			}
	}
	*arrp = arr;
	*np = count;
	return rc;
}

/* Read a list of objects of size esize, each through table t. */
int
conf_get_list(struct loader *ld, const char *key, yaml_node_t *v,
    const struct conf_table *t, size_t esize, void **arrp, size_t *np)
{
	yaml_node_item_t *it;
	size_t count, i, old;
	char *arr;
	int rc = 0;

	if (v->type != YAML_SEQUENCE_NODE) {
		conf_expected(ld, key, v, "a list");
		return -1;
	}
	it = v->data.sequence.items.start;
	count = (size_t)(v->data.sequence.items.top - it);
	arr = count > 0 ? arena_alloc(ld->arena, count * esize) : NULL;
	for (i = 0; i < count && !ld->too_big; i++) {
		old = conf_path_index(ld, i);
		if (conf_parse_object(ld,
		        yaml_document_get_node(ld->doc, it[i]), t,
		        arr + i * esize) < 0)
			rc = -1;
		conf_path_pop(ld, old);
	}
	*arrp = arr;
	*np = count;
	return rc;
}

/* Is v the zero value of its type (false, 0, "", [])? */
int
conf_is_zero(yaml_node_t *v)
{
	const char *s;

	if (v->type == YAML_SEQUENCE_NODE)
		return v->data.sequence.items.top ==
		    v->data.sequence.items.start;
	if (v->type != YAML_SCALAR_NODE)
		return 0;
	s = conf_sval(v);
	if (v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return *s == '\0';
	return strcmp(s, "false") == 0 || strcmp(s, "False") == 0 ||
	    strcmp(s, "FALSE") == 0 || strcmp(s, "0") == 0;
}

/*
 * The table engine.
 */

/* Does key name field: its camelCase name, or the PascalCase proto name? */
static int
conf_name_eq(const char *field, const char *key)
{
	return strcmp(field, key) == 0 ||
	    (key[0] >= 'A' && key[0] <= 'Z' && strcasecmp(field, key) == 0);
}

const struct conf_field *
conf_find_field(const struct conf_table *t, const char *key)
{
	const struct conf_field *f;

	for (f = t->fields; f->name != NULL; f++)
		if (conf_name_eq(f->name, key))
			return f;
	return NULL;
}

/* The value node of field name in mapping node, or node itself. */
yaml_node_t *
conf_field_node(struct loader *ld, yaml_node_t *node, const char *name)
{
	yaml_node_pair_t *p;
	yaml_node_t *k;

	if (node == NULL || node->type != YAML_MAPPING_NODE)
		return node;
	for (p = node->data.mapping.pairs.start;
	     p < node->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(ld->doc, p->key);
		if (k->type == YAML_SCALAR_NODE &&
		    conf_name_eq(name, conf_sval(k)))
			return yaml_document_get_node(ld->doc, p->value);
	}
	return node;
}

static void
conf_store_int(void *dst, size_t size, int64_t v)
{
	int32_t v32 = (int32_t)v;

	if (size == sizeof(int64_t))
		memcpy(dst, &v, sizeof(v));
	else
		memcpy(dst, &v32, sizeof(v32));
}

static int
conf_set_field(struct loader *ld, const struct conf_field *f, yaml_node_t *k,
    yaml_node_t *v, void *obj)
{
	const char *key = conf_sval(k);
	char *dst = (char *)obj + f->off;
	int64_t i;
	int rc = 0;
	size_t old;

	old = conf_path_push(ld, f->name);
	switch (f->type) {
	case CF_STRING:
		rc = conf_get_string(ld, key, v, (char **)(void *)dst);
		break;
	case CF_INT:
		if ((rc = conf_get_int(ld, key, v, f->min, f->max, &i)) == 0)
			conf_store_int(dst, f->size, i);
		break;
	case CF_BOOL:
		rc = conf_get_bool(ld, key, v, (int *)(void *)dst);
		break;
	case CF_ENUM:
		rc = conf_get_enum(ld, key, v, f->enums, (int *)(void *)dst);
		break;
	case CF_METHODS:
		rc = conf_get_methods(ld, key, v, (conf_methods *)(void *)dst);
		break;
	case CF_STRINGS:
		rc = conf_get_strings(ld, key, v, f->flags,
		    (char ***)(void *)dst,
		    (size_t *)(void *)((char *)obj + f->off_n));
		break;
	case CF_OBJECT:
		rc = conf_parse_object(ld, v, f->table, dst);
		break;
	case CF_LIST:
		rc = conf_get_list(ld, key, v, f->table, f->size,
		    (void **)(void *)dst,
		    (size_t *)(void *)((char *)obj + f->off_n));
		break;
	case CF_FUNC:
		rc = f->set(ld, f, key, v, obj);
		break;
	case CF_ENUMS:
		rc = conf_get_enums(ld, key, v, f->enums, (int **)(void *)dst,
		    (size_t *)(void *)((char *)obj + f->off_n));
		break;
	case CF_UNSUPPORTED:
		if (conf_is_zero(v))
			break;
		rc = -1;
		if (f->why != NULL)
			conf_errorn(ld, k, "field \"%s\": %s", key, f->why);
		else
			conf_errorn(
			    ld, k, "field \"%s\" is not supported yet", key);
		break;
	}
	conf_path_pop(ld, old);
	return rc;
}

/* The earlier key of node equal to the key of pair p (YAML duplicate). */
static yaml_node_t *
conf_dup_key(struct loader *ld, yaml_node_t *node, yaml_node_pair_t *p)
{
	yaml_node_t *k = yaml_document_get_node(ld->doc, p->key), *k2;
	yaml_node_pair_t *q;

	for (q = node->data.mapping.pairs.start; q < p; q++) {
		k2 = yaml_document_get_node(ld->doc, q->key);
		if (k2->type == YAML_SCALAR_NODE &&
		    strcmp(conf_sval(k2), conf_sval(k)) == 0)
			return k2;
	}
	return NULL;
}

/*
 * One key/value pair of an object read through table t; seen[] holds the
 * key node of every field set so far.
 */
static void
conf_parse_pair(struct loader *ld, yaml_node_t *node, yaml_node_pair_t *p,
    const struct conf_table *t, void *obj, yaml_node_t **seen)
{
	yaml_node_t *k = yaml_document_get_node(ld->doc, p->key);
	yaml_node_t *v = yaml_document_get_node(ld->doc, p->value), *first;
	const struct conf_field *f;
	struct conf_pos pos;
	char where[512];
	size_t idx;

	if (k->type != YAML_SCALAR_NODE) {
		conf_errorn(ld, k, "expected a field name in %s, got a %s",
		    ld->path,
		    k->type == YAML_MAPPING_NODE ? "mapping" : "list");
		return;
	}
	if ((first = conf_dup_key(ld, node, p)) != NULL) {
		pos = conf_node_pos(ld, first);
		conf_errorn(ld, k, "duplicate key \"%s\" (first at %s)",
		    conf_sval(k), conf_pos_str(&pos, where, sizeof(where)));
		return;
	}
	if ((f = conf_find_field(t, conf_sval(k))) == NULL) {
		conf_errorn(ld, k, "unknown field \"%s\" in %s", conf_sval(k),
		    ld->path);
		return;
	}
	if ((idx = (size_t)(f - t->fields)) >= CONF_MAX_FIELDS)
		fatalx("conf: field table too large"); /* a bug, not input */
	if (seen[idx] != NULL) {
		pos = conf_node_pos(ld, seen[idx]);
		conf_errorn(ld, k,
		    "duplicate field \"%s\" (also given as \"%s\" at %s)",
		    conf_sval(k), conf_sval(seen[idx]),
		    conf_pos_str(&pos, where, sizeof(where)));
		return;
	}
	if (conf_is_null(v)) /* null is unset, as in proto JSON */
		return;
	seen[idx] = k;
	conf_set_field(ld, f, k, v, obj);
}

/* Is the int of size bytes at p zero? */
static int
conf_int_is_zero(const void *p, size_t size)
{
	int64_t v64;
	int32_t v32;

	if (size == sizeof(int64_t)) {
		memcpy(&v64, p, sizeof(v64));
		return v64 == 0;
	}
	memcpy(&v32, p, sizeof(v32));
	return v32 == 0;
}

/* Store f's default in obj if the value there is still zero. */
static void
conf_field_default(struct loader *ld, const struct conf_field *f, void *obj)
{
	char *dst = (char *)obj + f->off;
	size_t *np = (size_t *)(void *)((char *)obj + f->off_n);
	char ***ap = (char ***)(void *)dst;
	const struct conf_enum *e;
	char **sp = (char **)(void *)dst;
	int *ip = (int *)(void *)dst;

	switch (f->type) {
	case CF_STRING:
		if (*sp == NULL || **sp == '\0')
			*sp = (char *)(uintptr_t)f->def; /* never written */
		break;
	case CF_INT:
		if (conf_int_is_zero(dst, f->size))
			conf_store_int(dst, f->size, strtoll(f->def, NULL, 10));
		break;
	case CF_STRINGS: /* .def is the one element */
		if (*np != 0)
			break;
		*ap = arena_alloc(ld->arena, sizeof(char *));
		(*ap)[0] = (char *)(uintptr_t)f->def;
		*np = 1;
		break;
	case CF_ENUM:
		if (*ip != 0)
			break;
		for (e = f->enums; e->name != NULL; e++)
			if (strcmp(e->name, f->def) == 0)
				*ip = e->value;
		break;
	}
}

void
conf_table_defaults(struct loader *ld, const struct conf_table *t, void *obj)
{
	const struct conf_field *f;

	for (f = t->fields; f->name != NULL; f++)
		if (f->type == CF_OBJECT)
			conf_table_defaults(ld, f->table, (char *)obj + f->off);
		else if (f->def != NULL)
			conf_field_default(ld, f, obj);
}

/*
 * Read mapping node into obj through table t, apply the defaults (those
 * of t, of nested objects not written, then the defaults hook), then run
 * the table's check (also when node is absent or null).  Every error is
 * reported; returns -1 if there was any.
 */
static int
conf_parse_obj(struct loader *ld, yaml_node_t *node, const struct conf_table *t,
    void *obj, void (*defaults)(struct loader *, void *))
{
	yaml_node_t *seen[CONF_MAX_FIELDS];
	yaml_node_pair_t *p;
	const struct conf_field *f;
	int before = ld->nerrors;
	size_t i;

	memset(seen, 0, sizeof(seen));
	if (conf_is_null(node))
		node = NULL;
	else if (node->type != YAML_MAPPING_NODE) {
		conf_expected(ld, conf_path_last(ld), node, "a mapping");
		return -1;
	} else if (conf_visit(ld, node) < 0)
		return -1;
	for (p = node != NULL ? node->data.mapping.pairs.start : NULL;
	     p != NULL && p < node->data.mapping.pairs.top && !ld->too_big; p++)
		conf_parse_pair(ld, node, p, t, obj, seen);
	if (ld->too_big)
		return -1;
	for (f = t->fields; f->name != NULL && f - t->fields < CONF_MAX_FIELDS;
	     f++) {
		i = (size_t)(f - t->fields);
		if ((f->flags & CF_REQUIRED) && seen[i] == NULL)
			conf_errorn(ld, node, "missing field \"%s\" in %s",
			    f->name, ld->path);
		if (f->type == CF_OBJECT && seen[i] == NULL)
			conf_table_defaults(ld, f->table, (char *)obj + f->off);
		else if (f->type != CF_OBJECT && f->def != NULL)
			conf_field_default(ld, f, obj);
	}
	if (defaults != NULL)
		defaults(ld, obj);
	if (t->check != NULL)
		t->check(ld, obj, node);
	return ld->nerrors > before ? -1 : 0;
}

int
conf_parse_object(
    struct loader *ld, yaml_node_t *node, const struct conf_table *t, void *obj)
{
	return conf_parse_obj(ld, node, t, obj, NULL);
}

/*
 * Names, references and addresses.
 */

/* ^[0-9A-Za-z-.]*$ */
static int
conf_is_name(const char *s)
{
	return *s == '\0' ||
	    conf_all_in(s,
	        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	        "-.");
}

static int
conf_is_alnum(const char *s)
{
	return conf_all_in(s,
	    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
}

/* ^[0-9A-Za-z]+/[0-9A-Za-z]+$ */
static int
conf_is_api_version(const char *s)
{
	const char *slash = strchr(s, '/');
	char group[64];

	if (slash == NULL || slash == s || (size_t)(slash - s) >= sizeof(group))
		return 0;
	memcpy(group, s, (size_t)(slash - s));
	group[slash - s] = '\0';
	return conf_is_alnum(group) && conf_is_alnum(slash + 1);
}

/* Check a metadata or reference name/namespace; empty means "default". */
int
conf_check_name(
    struct loader *ld, yaml_node_t *node, const char *field, char **s)
{
	char buf[128];

	if (*s == NULL || **s == '\0') {
		*s = arena_strdup(ld->arena, "default");
		return 0;
	}
	if (conf_is_name(*s))
		return 0;
	conf_errorn(ld, conf_field_node(ld, node, field),
	    "field \"%s\": invalid name %s (letters, digits, \"-\" and \".\" "
	    "only)",
	    field, conf_quote(*s, strlen(*s), buf, sizeof(buf)));
	return -1;
}

static void
conf_check_meta(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_meta *m = obj;

	/* With a bad name, references to the document cannot be checked. */
	if ((conf_check_name(ld, node, "name", &m->name) |
	        conf_check_name(ld, node, "namespace", &m->namespace)) != 0)
		ld->lost++;
}

static void
conf_check_ref(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_ref *r = obj;
	char buf[128];
	int bad = 0;

	r->pos = conf_node_pos(ld, node);
	if (r->api_version == NULL || r->kind == NULL) {
		conf_errorn(ld, node, "missing field \"%s\" in %s",
		    r->api_version == NULL ? "apiVersion" : "kind", ld->path);
		return;
	}
	if (!conf_is_api_version(r->api_version)) {
		conf_errorn(ld, conf_field_node(ld, node, "apiVersion"),
		    "field \"apiVersion\": invalid value %s (expected "
		    "group/version, e.g. core/v1)",
		    conf_quote(r->api_version, strlen(r->api_version), buf,
		        sizeof(buf)));
		bad = 1;
	}
	if (!conf_is_alnum(r->kind)) {
		conf_errorn(ld, conf_field_node(ld, node, "kind"),
		    "field \"kind\": invalid value %s",
		    conf_quote(r->kind, strlen(r->kind), buf, sizeof(buf)));
		bad = 1;
	}
	bad |= conf_check_name(ld, node, "name", &r->name) < 0;
	bad |= conf_check_name(ld, node, "namespace", &r->namespace) < 0;
	if (!bad) /* else it cannot be resolved: the id stays NULL */
		r->id = conf_make_id(
		    ld, r->api_version, r->kind, r->namespace, r->name);
}

static const struct conf_field conf_ref_fields[] = {
	FSTR("apiVersion", struct conf_ref, api_version),
	FSTR("kind", struct conf_ref, kind),
	FSTR("name", struct conf_ref, name),
	FSTR("namespace", struct conf_ref, namespace),
	FEND,
};
const struct conf_table conf_ref_table = { conf_ref_fields, conf_check_ref };

/*
 * A reference field read into a new conf_ref at the member's offset; a
 * null value leaves it unset.
 */
int
conf_set_ref(struct loader *ld, const struct conf_field *f, const char *key,
    yaml_node_t *v, void *obj)
{
	struct conf_ref **rp = (void *)((char *)obj + f->off);
	struct conf_ref *r;

	(void)key;
	if (conf_is_null(v))
		return 0;
	r = arena_alloc(ld->arena, sizeof(*r));
	if (conf_parse_object(ld, v, &conf_ref_table, r) < 0 || r->id == NULL)
		return -1;
	*rp = r;
	return 0;
}

/* Resolve r later, to a document playing role, then call bind. */
void
conf_defer_ref(struct loader *ld, struct conf_ref *r, unsigned role,
    conf_bind_fn bind, void *user)
{
	struct conf_defer *d;

	if (ld->ndefer == ld->capdefer) {
		ld->capdefer = ld->capdefer != 0 ? ld->capdefer * 2 : 16;
		ld->defer =
		    conf_realloc(ld->defer, ld->capdefer * sizeof(*ld->defer));
	}
	d = &ld->defer[ld->ndefer++];
	d->ref = r;
	d->role = role;
	d->bind = bind;
	d->user = user;
}

/* A vhost handler serves the document it names (its runtime struct). */
static void
conf_bind_handler(struct loader *ld, void *user, struct conf_doc *d)
{
	struct conf_handler *h = user;

	(void)ld;
	h->kind = CONF_HANDLER_PROXY;
	h->proxy = d->obj;
}

/* A vhost handler's reference; resolved once every file has been read. */
static int
conf_set_handler(struct loader *ld, const struct conf_field *f, const char *key,
    yaml_node_t *v, void *obj)
{
	struct conf_ref *r = arena_alloc(ld->arena, sizeof(*r));

	(void)f;
	(void)key;
	if (conf_parse_object(ld, v, &conf_ref_table, r) < 0 || r->id == NULL)
		return -1;
	conf_defer_ref(ld, r, KIND_ROLE_HANDLER, conf_bind_handler, obj);
	return 0;
}

static int
conf_parse_port(const char *s, size_t n)
{
	int port = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		port = port * 10 + (s[i] - '0');
	}
	return port >= 1 && port <= 65535 ? port : -1;
}

/* host:port split out of a listen address or a URL authority. */
struct conf_hostport {
	const char *host; /* without brackets */
	size_t hlen;
	const char *port; /* NULL when there is none */
	size_t plen;
};

/*
 * Split p[0..n) as host, host:port, [v6] or [v6]:port (host may be empty).
 * Returns NULL, or what is wrong with it.
 */
static const char *
conf_split_hostport(const char *p, size_t n, struct conf_hostport *hp)
{
	const char *end = p + n, *q;

	memset(hp, 0, sizeof(*hp));
	if (n > 0 && *p == '[') {
		if ((q = memchr(p, ']', n)) == NULL ||
		    (q + 1 < end && q[1] != ':'))
			return "bad IPv6 address";
		hp->host = p + 1;
		hp->hlen = (size_t)(q - p - 1);
		if (++q == end)
			return NULL;
	} else {
		q = memchr(p, ':', n);
		hp->host = p;
		hp->hlen = (size_t)((q != NULL ? q : end) - p);
		if (q == NULL)
			return NULL;
		if (memchr(q + 1, ':', (size_t)(end - q - 1)) != NULL)
			return "IPv6 addresses must be in brackets";
	}
	hp->port = q + 1;
	hp->plen = (size_t)(end - q - 1);
	if (conf_parse_port(hp->port, hp->plen) < 0)
		return "port must be 1..65535";
	return NULL;
}

/* The address family named by a "tcp4://"-style prefix of s[0..n). */
static int
conf_network(const char *s, size_t n)
{
	if (n == 3 && strncmp(s, "tcp", 3) == 0)
		return AF_UNSPEC;
	if (n == 4 && strncmp(s, "tcp4", 4) == 0)
		return AF_INET;
	if (n == 4 && strncmp(s, "tcp6", 4) == 0)
		return AF_INET6;
	return -1;
}

/*
 * Read a listen address: [tcp|tcp4|tcp6://]host:port, :port or
 * [v6]:port.  -1 with an error reported if it is not one.
 */
int
conf_parse_addr(struct loader *ld, yaml_node_t *v, const char *key,
    const char *s, struct conf_addr *a)
{
	struct conf_hostport hp;
	const char *p = s, *sep, *why;
	char buf[128];

	conf_quote(s, strlen(s), buf, sizeof(buf));
	a->family = AF_UNSPEC;
	if ((sep = strstr(s, "://")) != NULL) {
		p = sep + 3;
		if (strncmp(s, "unix", 4) == 0)
			p = "@";
		else if ((a->family = conf_network(s, (size_t)(sep - s))) < 0) {
			conf_errorn(ld, v,
			    "field \"%s\": invalid address %s: unknown "
			    "network \"%.*s\" (tcp, tcp4 or tcp6)",
			    key, buf, (int)(sep - s), s);
			return -1;
		}
	}
	if (*p == '@' || *p == '/') {
		conf_errorn(ld, v,
		    "field \"%s\": unix sockets are not supported yet", key);
		return -1;
	}
	if ((why = conf_split_hostport(p, strlen(p), &hp)) != NULL) {
		conf_errorn(ld, v, "field \"%s\": invalid address %s: %s", key,
		    buf, why);
		return -1;
	}
	if (hp.port == NULL || strcspn(hp.host, " \t/[]") < hp.hlen) {
		conf_errorn(ld, v,
		    "field \"%s\": invalid address %s (expected host:port, "
		    ":port or [v6]:port)",
		    key, buf);
		return -1;
	}
	a->addr = arena_strdup(ld->arena, s);
	a->host = arena_strndup(ld->arena, hp.host, hp.hlen);
	a->port = arena_strndup(ld->arena, hp.port, hp.plen);
	/* An empty host with tcp4/tcp6 means that family's any-address. */
	if (hp.hlen == 0 && a->family == AF_INET)
		a->host = arena_strdup(ld->arena, "0.0.0.0");
	else if (hp.hlen == 0 && a->family == AF_INET6)
		a->host = arena_strdup(ld->arena, "::");
	a->set = 1;
	return 0;
}

int
conf_set_addr(struct loader *ld, const struct conf_field *f, const char *key,
    yaml_node_t *v, void *obj)
{
	struct conf_addr *a = (void *)((char *)obj + f->off);
	char *s;

	if (conf_get_string(ld, key, v, &s) < 0)
		return -1;
	if (*s == '\0') /* non-zero wins: "" keeps the default */
		return 0;
	return conf_parse_addr(ld, v, key, s, a);
}

/* What is wrong with upstream URL s, or NULL; fills up if nothing. */
const char *
conf_parse_url(struct loader *ld, const char *s, struct conf_upstream *up)
{
	struct conf_hostport hp;
	const char *p, *end, *q, *why;
	size_t len;

	if (strncmp(s, "http://", 7) == 0)
		p = s + 7;
	else if (strncmp(s, "https://", 8) == 0) {
		p = s + 8;
		up->tls = 1;
	} else
		return "must start with http:// or https://";
	for (q = s; *q != '\0'; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f)
			return "contains white space or control characters";
	end = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(end - p)) != NULL)
		return "user information is not supported";
	if ((why = conf_split_hostport(p, (size_t)(end - p), &hp)) != NULL)
		return why;
	if (hp.hlen == 0)
		return "missing host";
	up->host = arena_strndup(ld->arena, hp.host, hp.hlen);
	up->port = hp.port != NULL
	    ? arena_strndup(ld->arena, hp.port, hp.plen)
	    : arena_strdup(ld->arena, up->tls ? "443" : "80");
	up->authority = arena_strndup(ld->arena, p, (size_t)(end - p));
	q = end + strcspn(end, "?#");
	if (*q == '?' && (len = strcspn(q + 1, "#")) > 0)
		up->query = arena_strndup(ld->arena, q + 1, len);
	return NULL;
}

/*
 * An upstream URL: scheme, host (no brackets), port, authority as written
 * (the Host header to send), raw query.  The path is ignored.
 */
int
conf_set_url(struct loader *ld, const struct conf_field *f, const char *key,
    yaml_node_t *v, void *obj)
{
	struct conf_upstream *up = obj;
	const char *why;
	char buf[128], *url;
	size_t len;

	(void)f;
	if (conf_get_string(ld, key, v, &url) < 0)
		return -1;
	up->pos = conf_node_pos(ld, v);
	if ((why = conf_parse_url(ld, url, up)) != NULL) {
		conf_errorn(ld, v, "field \"%s\": invalid URL %s: %s", key,
		    conf_quote(url, strlen(url), buf, sizeof(buf)), why);
		return -1;
	}
	len = strlen(url);
	if (len > 0 && url[len - 1] == '/')
		url[len - 1] = '\0';
	up->url = url;
	return 0;
}

/*
 * core/v1 HTTPClient (HTTP/1.1 transport only).
 */

/* retryConfig.retryStatusCodes: unique status codes. */
static int
conf_set_retry_status(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	struct conf_client *cc = obj;
	yaml_node_item_t *it;
	size_t n, i, j;

	(void)f;
	if (conf_is_null(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE) {
		conf_expected(ld, key, v, "a list");
		return -1;
	}
	n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	cc->retry_status = arena_alloc(ld->arena, (n + 1) * sizeof(int32_t));
	for (i = 0, it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++, i++) {
		yaml_node_t *e = yaml_document_get_node(ld->doc, *it);
		int64_t code;

		if (conf_get_int(ld, key, e, 100, 999, &code) < 0)
			return -1;
		for (j = 0; j < cc->nretry_status; j++)
			if (cc->retry_status[j] == code) {
				conf_errorn(ld, e,
				    "field \"%s\": duplicate value %" PRId64,
				    key, code);
				return -1;
			}
		cc->retry_status[cc->nretry_status++] = (int32_t)code;
	}
	return 0;
}

static const struct conf_field conf_retry_fields[] = {
	FINT("maxRetry", struct conf_client, max_retry, 0, 100),
	FINT("maxContentLength", struct conf_client, max_content_length, 0,
	    16777216),
	FFUNC("retryStatusCodes", conf_set_retry_status, 0),
	FEND,
};
static const struct conf_table conf_retry_table = { conf_retry_fields, NULL };

/* A client tlsConfig was given: check that its files can be read. */
static void
conf_check_tls_client(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_tls_client *t = obj;
	size_t i, k;

	t->set = 1;
	for (i = 0; i < t->nroot_cas; i++)
		if (access(t->root_cas[i], R_OK) != 0)
			conf_errorn(ld, conf_field_node(ld, node, "rootCAs"),
			    "field \"rootCAs\": %s: %s", t->root_cas[i],
			    strerror(errno));
	for (i = 0; i < t->npairs; i++) {
		const char *files[2] = { t->pairs[i].cert_file,
			t->pairs[i].key_file };

		for (k = 0; k < 2; k++) {
			if (files[k] == NULL)
				conf_errorn(ld,
				    conf_field_node(ld, node, "certKeyPairs"),
				    "field \"certKeyPairs\": certFile and "
				    "keyFile are required");
			else if (access(files[k], R_OK) != 0)
				conf_errorn(ld,
				    conf_field_node(ld, node, "certKeyPairs"),
				    "field \"certKeyPairs\": %s: %s", files[k],
				    strerror(errno));
		}
	}
	if ((t->min_version != 0 &&
	        (t->min_version < 769 || t->min_version > 772)) ||
	    (t->max_version != 0 &&
	        (t->max_version < 769 || t->max_version > 772)))
		conf_errorn(ld, node,
		    "%s: minVersion and maxVersion must be 769 (TLS 1.0) to "
		    "772 (TLS 1.3)",
		    ld->path);
}

static const struct conf_field conf_cert_pair_fields[] = {
	FSTR("certFile", struct conf_cert_pair, cert_file),
	FSTR("keyFile", struct conf_cert_pair, key_file),
	FEND,
};
static const struct conf_table conf_cert_pair_table = { conf_cert_pair_fields,
	NULL };

static const struct conf_field conf_tls_client_fields[] = {
	FLIST("certKeyPairs", struct conf_tls_client, pairs, npairs,
	    struct conf_cert_pair, &conf_cert_pair_table),
	FSTRS(
	    "rootCAs", struct conf_tls_client, root_cas, nroot_cas, CF_UNIQUE),
	FSTR("serverName", struct conf_tls_client, server_name),
	FBOOL(
	    "insecureSkipVerify", struct conf_tls_client, insecure_skip_verify),
	FINT("minVersion", struct conf_tls_client, min_version, 0, 65535),
	FINT("maxVersion", struct conf_tls_client, max_version, 0, 65535),
	FUNSUP("nextProtos", NULL),
	FUNSUP("clientAuth", NULL),
	FUNSUP("clientCAs", NULL),
	FUNSUP("tlsCipher", NULL),
	FUNSUP("sessionTicketsDisabled", NULL),
	FUNSUP("curvePreferences", NULL),
	FUNSUP("dynamicRecordSizingDisabled", NULL),
	FUNSUP("renegotiation", NULL),
	FEND,
};
static const struct conf_table conf_tls_client_table = { conf_tls_client_fields,
	conf_check_tls_client };

static const struct conf_field conf_dial_fields[] = {
	FINT("timeout", struct conf_client, dial_timeout, INT32_MIN, INT32_MAX),
	FOBJ("tlsConfig", struct conf_client, dial_tls, &conf_tls_client_table),
	FUNSUP("localAddress", NULL),
	FUNSUP("replaceTargets", NULL),
	FUNSUP("fallbackDelay", NULL),
	FUNSUP("sockOption", NULL),
	FEND,
};
static const struct conf_table conf_dial_table = { conf_dial_fields, NULL };

static const struct conf_field conf_transport_fields[] = {
	FOBJ("tlsConfig", struct conf_client, tls, &conf_tls_client_table),
	FINT("tlsHandshakeTimeout", struct conf_client, tls_handshake_timeout,
	    INT64_MIN, CONF_MAX_SECONDS * 1000),
	FBOOL("disableKeepAlives", struct conf_client, disable_keep_alives),
	FBOOL("disableCompression", struct conf_client, disable_compression),
	FINT("maxIdleConns", struct conf_client, max_idle_conns, 0, INT32_MAX),
	FINT("maxIdleConnsPerHost", struct conf_client, max_idle_per_host, 0,
	    INT32_MAX),
	FINT("maxConnsPerHost", struct conf_client, max_conns_per_host, 0,
	    INT32_MAX),
	FINT("idleConnTimeout", struct conf_client, idle_timeout, INT64_MIN,
	    CONF_MAX_SECONDS * 1000),
	FINT("responseHeaderTimeout", struct conf_client,
	    response_header_timeout, INT64_MIN, CONF_MAX_SECONDS * 1000),
	FUNSUP("expectContinueTimeout", NULL),
	FINT("maxResponseHeaderBytes", struct conf_client,
	    max_response_header_bytes, INT64_MIN, INT64_MAX),
	FUNSUP("writeBufferSize", NULL),
	FUNSUP("readBufferSize", NULL),
	FUNSUP("allowHTTP2", "HTTP/2 is not supported"),
	FFLAT("dialConfig", &conf_dial_table),
	FEND,
};
static const struct conf_table conf_transport_table = { conf_transport_fields,
	NULL };

/* Defaults of the HTTP/1.1 transport (reference 2.4), "non-zero wins". */
static void
conf_check_client(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_client *cc = obj;

	(void)ld;
	(void)node;
	if (cc->dial_timeout == 0)
		cc->dial_timeout = 10000;
	else if (cc->dial_timeout < 0)
		cc->dial_timeout = 0;
	if (cc->idle_timeout < 0)
		cc->idle_timeout = 0;
	if (cc->response_header_timeout < 0)
		cc->response_header_timeout = 0;
	if (cc->max_response_header_bytes < 0)
		cc->max_response_header_bytes = 0;
	if (cc->tls_handshake_timeout < 0)
		cc->tls_handshake_timeout = 0;
	if (cc->dial_tls.set) /* dialConfig.tlsConfig takes precedence */
		cc->tls = cc->dial_tls;
}

static const struct conf_field conf_client_fields[] = {
	FUNSUP("tripperwares", NULL),
	FFLAT("retryConfig", &conf_retry_table),
	FFLAT("httpTransportConfig", &conf_transport_table),
	FUNSUP("http2TransportConfig", "HTTP/2 is not supported"),
	FUNSUP("http3TransportConfig", "HTTP/3 is not supported"),
	FEND,
};
static const struct conf_table conf_client_table = { conf_client_fields,
	conf_check_client };

/*
 * core/v1 HTTPServer.
 */

static const struct conf_field conf_handler_fields[] = {
	FSTR("pattern", struct conf_handler, pattern),
	FFUNC("middleware", conf_set_middleware, 0),
	FFUNC("handler", conf_set_handler, CF_REQUIRED),
	FEND,
};
static const struct conf_table conf_handler_table = { conf_handler_fields,
	NULL };

static const struct conf_field conf_vhost_fields[] = {
	FSTRS(
	    "hosts", struct conf_vhost, hosts, nhosts, CF_UNIQUE | CF_HOSTNAME),
	FSTR("pattern", struct conf_vhost, pattern),
	FMETHODS("methods", struct conf_vhost, methods),
	FFUNC("middleware", conf_set_middleware, 0),
	FLIST("handlers", struct conf_vhost, handlers, nhandlers,
	    struct conf_handler, &conf_handler_table),
	FEND,
};
static const struct conf_table conf_vhost_table = { conf_vhost_fields, NULL };

/*
 * kernel.TLSConfig.
 */

/* Go's cipher suite names with their IANA numbers (tls.go). */
static const struct conf_enum conf_tls_ciphers[] = {
	{ "TLS_RSA_WITH_RC4_128_SHA", 0x0005 },
	{ "TLS_RSA_WITH_3DES_EDE_CBC_SHA", 0x000a },
	{ "TLS_RSA_WITH_AES_128_CBC_SHA", 0x002f },
	{ "TLS_RSA_WITH_AES_256_CBC_SHA", 0x0035 },
	{ "TLS_RSA_WITH_AES_128_CBC_SHA256", 0x003c },
	{ "TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009c },
	{ "TLS_RSA_WITH_AES_256_GCM_SHA384", 0x009d },
	{ "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", 0xc007 },
	{ "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xc009 },
	{ "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 0xc00a },
	{ "TLS_ECDHE_RSA_WITH_RC4_128_SHA", 0xc011 },
	{ "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", 0xc012 },
	{ "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xc013 },
	{ "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 0xc014 },
	{ "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 0xc023 },
	{ "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 0xc027 },
	{ "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xc02f },
	{ "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xc02b },
	{ "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xc030 },
	{ "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xc02c },
	{ "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xcca8 },
	{ "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0xcca9 },
	/* TLS 1.3 suites: accepted, not configurable (as in Go). */
	{ "TLS_AES_128_GCM_SHA256", 0x1301 },
	{ "TLS_AES_256_GCM_SHA384", 0x1302 },
	{ "TLS_CHACHA20_POLY1305_SHA256", 0x1303 },
	{ NULL, 0 },
};

/* Go's CurveID names and numbers. */
static const struct conf_enum conf_tls_curves[] = {
	{ "CurveP256", 23 },
	{ "CurveP384", 24 },
	{ "CurveP521", 25 },
	{ "X25519", 29 },
	{ NULL, 0 },
};

static const struct conf_enum conf_tls_client_auths[] = {
	{ "NoClientCert", TLS_AUTH_NONE },
	{ "RequestClientCert", TLS_AUTH_REQUEST },
	{ "RequireAnyClientCert", TLS_AUTH_REQUIRE_ANY },
	{ "VerifyClientCertIfGiven", TLS_AUTH_VERIFY_IF_GIVEN },
	{ "RequireAndVerifyClientCert", TLS_AUTH_REQUIRE_VERIFY },
	{ NULL, 0 },
};

static const struct conf_enum conf_tls_renegotiations[] = {
	{ "RenegotiateNever", 0 },
	{ "RenegotiateOnceAsClient", 1 },
	{ "RenegotiateFreelyAsClient", 2 },
	{ NULL, 0 },
};

static void
conf_check_tls_pair(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_tls_pair *p = obj;

	p->cert_pos = conf_node_pos(ld, conf_field_node(ld, node, "certFile"));
	p->key_pos = conf_node_pos(ld, conf_field_node(ld, node, "keyFile"));
}

static const struct conf_field conf_tls_pair_fields[] = {
	FSTR("certFile", struct conf_tls_pair, cert_file),
	FSTR("keyFile", struct conf_tls_pair, key_file),
	FEND,
};
static const struct conf_table conf_tls_pair_table = { conf_tls_pair_fields,
	conf_check_tls_pair };

/* A TLS version number: 0 (default) or 769 (TLS 1.0) .. 772 (TLS 1.3). */
static int
conf_check_tls_version(
    struct loader *ld, yaml_node_t *node, const char *key, int *v, int def)
{
	if (*v == 0) {
		*v = def;
		return 0;
	}
	if (*v >= 0x0301 && *v <= 0x0304)
		return 0;
	conf_errorn(ld, conf_field_node(ld, node, key),
	    "field \"%s\": unsupported TLS version %d (769 = TLS 1.0, 770 = "
	    "TLS 1.1, 771 = TLS 1.2, 772 = TLS 1.3)",
	    key, *v);
	return -1;
}

static void
conf_check_tls(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_tls *t = obj;
	yaml_node_t *list;
	size_t i;
	int bad;

	t->pos = conf_node_pos(ld, node);
	t->client_cas_pos =
	    conf_node_pos(ld, conf_field_node(ld, node, "clientCAs"));
	t->root_cas_pos =
	    conf_node_pos(ld, conf_field_node(ld, node, "rootCAs"));
	bad = conf_check_tls_version(
	          ld, node, "minVersion", &t->min_version, 0x0303) < 0;
	bad |= conf_check_tls_version(
	           ld, node, "maxVersion", &t->max_version, 0x0304) < 0;
	if (!bad && t->min_version > t->max_version)
		conf_errorn(ld, conf_field_node(ld, node, "minVersion"),
		    "field \"minVersion\": %d is above maxVersion %d",
		    t->min_version, t->max_version);
	list = conf_field_node(ld, node, "nextProtos");
	for (i = 0; i < t->nnext_protos; i++) {
		yaml_node_t *n =
		    list != node && list->type == YAML_SEQUENCE_NODE
		    ? yaml_document_get_node(
		          ld->doc, list->data.sequence.items.start[i])
		    : node;

		if (strcmp(t->next_protos[i], "h2") == 0)
			conf_errorn(ld, n,
			    "field \"nextProtos\": \"h2\": HTTP/2 is not "
			    "supported");
		else if (strcmp(t->next_protos[i], "http/1.1") != 0)
			conf_errorn(ld, n,
			    "field \"nextProtos\": unsupported protocol "
			    "\"%s\" (only \"http/1.1\")",
			    t->next_protos[i]);
	}
	for (i = 0; i < t->npairs; i++)
		if (t->pairs[i].cert_file == NULL ||
		    t->pairs[i].key_file == NULL ||
		    *t->pairs[i].cert_file == '\0' ||
		    *t->pairs[i].key_file == '\0')
			conf_error(ld, &t->pairs[i].cert_pos,
			    "field \"certKeyPairs\": certFile and keyFile are "
			    "both required");
}

static const struct conf_field conf_tls_fields[] = {
	FLIST("certKeyPairs", struct conf_tls, pairs, npairs,
	    struct conf_tls_pair, &conf_tls_pair_table),
	FSTRS("rootCAs", struct conf_tls, root_cas, nroot_cas, CF_UNIQUE),
	FSTRS("nextProtos", struct conf_tls, next_protos, nnext_protos,
	    CF_UNIQUE),
	FSTR("serverName", struct conf_tls, server_name),
	FENUM(
	    "clientAuth", struct conf_tls, client_auth, conf_tls_client_auths),
	FSTRS("clientCAs", struct conf_tls, client_cas, nclient_cas, CF_UNIQUE),
	FBOOL("insecureSkipVerify", struct conf_tls, insecure_skip_verify),
	FENUMS(
	    "tlsCipher", struct conf_tls, ciphers, nciphers, conf_tls_ciphers),
	FBOOL("sessionTicketsDisabled", struct conf_tls,
	    session_tickets_disabled),
	FINT("minVersion", struct conf_tls, min_version, 0, 65535),
	FINT("maxVersion", struct conf_tls, max_version, 0, 65535),
	FENUMS("curvePreferences", struct conf_tls, curves, ncurves,
	    conf_tls_curves),
	FBOOL("dynamicRecordSizingDisabled", struct conf_tls,
	    dynamic_record_sizing_disabled),
	FENUM("renegotiation", struct conf_tls, renegotiation,
	    conf_tls_renegotiations),
	FEND,
};
static const struct conf_table conf_tls_table = { conf_tls_fields,
	conf_check_tls };

/* listenConfig.tlsConfig: TLS on the listener; certKeyPairs required. */
static int
conf_set_listen_tls(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	struct conf_tls *t = arena_alloc(ld->arena, sizeof(*t));
	int rc;

	memset(t, 0, sizeof(*t));
	*(struct conf_tls **)(void *)((char *)obj + f->off) = t;
	if ((rc = conf_parse_object(ld, v, &conf_tls_table, t)) < 0)
		return rc;
	if (t->npairs == 0) {
		conf_errorn(ld, v,
		    "field \"%s\": a TLS listener needs certKeyPairs", key);
		return -1;
	}
	return 0;
}

static const struct conf_field conf_listen_fields[] = {
	FFUNCAT("addr", struct srv_spec, listen_addr, conf_set_addr),
	FFUNCAT("tlsConfig", struct srv_spec, srv.tls, conf_set_listen_tls),
	FUNSUP("connectionLimit", NULL),
	FUNSUP("networks", NULL),
	FUNSUP("readDeadline", NULL),
	FUNSUP("writeDeadline", NULL),
	FUNSUP("keepAliveConfig", NULL),
	FUNSUP("sockOption", NULL),
	FEND,
};
static const struct conf_table conf_listen_table = { conf_listen_fields, NULL };

static const struct conf_field conf_http_fields[] = {
	FBOOL("enableGeneralOptionsHandler", struct srv_spec,
	    srv.enable_general_options),
	FINT("readTimeout", struct srv_spec, srv.read_timeout, INT64_MIN,
	    CONF_MAX_SECONDS),
	FINT("readHeaderTimeout", struct srv_spec, srv.read_header_timeout,
	    INT64_MIN, CONF_MAX_SECONDS),
	FINT("writeTimeout", struct srv_spec, srv.write_timeout, INT64_MIN,
	    CONF_MAX_SECONDS),
	FINT("idleTimeout", struct srv_spec, srv.idle_timeout, INT64_MIN,
	    CONF_MAX_SECONDS),
	FINT("maxHeaderBytes", struct srv_spec, srv.max_header_bytes, 0,
	    CONF_MAX_HEADER_BYTES),
	FBOOL("disableKeepAlive", struct srv_spec, srv.disable_keep_alive),
	FINT("maxRequestLineBytes", struct srv_spec, srv.max_request_line_bytes,
	    0, CONF_MAX_HEADER_BYTES),
	FINT("maxHeaderCount", struct srv_spec, srv.max_header_count, 0,
	    HTTP_MAX_HEADERS),
	FINT("maxTrailerBytes", struct srv_spec, srv.max_trailer_bytes, 0,
	    CONF_MAX_HEADER_BYTES),
	FFLAT("listenConfig", &conf_listen_table),
	FUNSUP("altSvc", NULL),
	FUNSUP("allowHTTP2", "HTTP/2 is not supported"),
	FEND,
};
static const struct conf_table conf_http_table = { conf_http_fields, NULL };

/* Seconds as read (non-zero wins over def) to milliseconds; <0 is none. */
int64_t
conf_ms(int64_t sec, int64_t def)
{
	if (sec == 0)
		sec = def;
	return sec < 0 ? 0 : sec * 1000;
}

static void
conf_check_server(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct srv_spec *ss = obj;
	struct conf_server *srv = &ss->srv;
	struct conf_addr *a = &ss->addr;

	(void)node;
	if (ss->listen_addr.set)
		a = &ss->listen_addr;
	else if (!a->set)
		conf_parse_addr(ld, NULL, "addr", ":8080", a);
	srv->pos = ld->docpos;
	srv->addr = a->addr;
	srv->host = a->host;
	srv->port = a->port;
	srv->family = a->family;
	if (srv->shutdown_timeout == 0)
		srv->shutdown_timeout = 30;
	else if (srv->shutdown_timeout < 0)
		srv->shutdown_timeout = 0;
	srv->read_timeout = conf_ms(srv->read_timeout, 30);
	srv->read_header_timeout = conf_ms(srv->read_header_timeout, 30);
	srv->write_timeout = conf_ms(srv->write_timeout, 30);
	srv->idle_timeout = conf_ms(srv->idle_timeout, 10);
	if (srv->max_header_bytes == 0)
		srv->max_header_bytes = 8192;
	/* By default the request line may use the whole head, as in Go. */
	if (srv->max_request_line_bytes == 0 ||
	    srv->max_request_line_bytes > srv->max_header_bytes + 4096)
		srv->max_request_line_bytes = srv->max_header_bytes + 4096;
	if (srv->max_header_count == 0)
		srv->max_header_count = HTTP_DEF_MAX_HEADERS;
	if (srv->max_trailer_bytes == 0)
		srv->max_trailer_bytes = HTTP_DEF_MAX_TRAILER;
}

static const struct conf_field conf_server_fields[] = {
	FFUNCAT("addr", struct srv_spec, addr, conf_set_addr),
	FINT("shutdownTimeout", struct srv_spec, srv.shutdown_timeout,
	    INT32_MIN, INT32_MAX),
	FFLAT("httpConfig", &conf_http_table),
	FUNSUP("http2Config", "HTTP/2 is not supported"),
	FUNSUP("http3Config", "HTTP/3 is not supported"),
	FFUNC("middleware", conf_set_middleware, 0),
	FLIST("virtualHosts", struct srv_spec, srv.vhosts, srv.nvhosts,
	    struct conf_vhost, &conf_vhost_table),
	FUNSUP("enableProfile", NULL),
	FUNSUP("enableExpvar", NULL),
	FEND,
};
static const struct conf_table conf_server_table = { conf_server_fields,
	conf_check_server };

/*
 * core/v1 SLogger and core/v1 HTTPLogger (the operator's logs).
 */

/* Level names, stored +1 so that 0 means "unset" (non-zero wins). */
static const struct conf_enum conf_log_levels[] = {
	{ "Trace", LOG_L_TRACE + 1 },
	{ "Debug", LOG_L_DEBUG + 1 },
	{ "Info", LOG_L_INFO + 1 },
	{ "Warn", LOG_L_WARN + 1 },
	{ "Error", LOG_L_ERROR + 1 },
	{ "Fatal", LOG_L_FATAL + 1 },
	{ NULL, 0 },
};

static const struct conf_enum conf_log_targets[] = {
	{ "Stdout", LOG_T_STDOUT },
	{ "Stderr", LOG_T_STDERR },
	{ "Discard", LOG_T_DISCARD },
	{ "File", LOG_T_FILE },
	{ NULL, 0 },
};

#define CONF_ROTATE_WHY                                         \
	"not supported yet (aileron does not rotate its logs: " \
	"use logrotate(8), which sends SIGUSR1 to re-open them)"

/* core/v1 SLogger spec as read. */
struct slog_spec {
	struct log_logger lg;
	char *output_time_format;
	char *date_format;
	char *time_format;
	char *log_dir;
	char *log_file_name;
};

/* Remember a log file the config opened, for conf_free(). */
void
conf_keep_fd(struct loader *ld, int fd)
{
	struct conf *c = ld->conf;

	c->log_fds = arena_realloc(ld->arena, c->log_fds,
	    c->nlog_fds * sizeof(int), (c->nlog_fds + 1) * sizeof(int));
	c->log_fds[c->nlog_fds++] = fd;
}

int conf_open_log_files = 1;

/* Open a log file as a real start would; -1 after reporting. */
static int
conf_open_log(struct loader *ld, yaml_node_t *node, const char *path)
{
	int fd;

	if (!conf_open_log_files)
		return -1;
	if ((fd = log_file_open(path)) < 0) {
		conf_errorn(ld, node, "log file %s: %s", path, strerror(errno));
		return -1;
	}
	conf_keep_fd(ld, fd);
	return fd;
}

static void
conf_check_slogger(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct slog_spec *ss = obj;
	struct log_logger *lg = &ss->lg;
	const char *dir, *name;
	size_t n;

	lg->level = lg->level == 0 ? LOG_L_INFO : lg->level - 1;
	lg->output_time_format =
	    ss->output_time_format != NULL && *ss->output_time_format != '\0'
	    ? ss->output_time_format
	    : "2006-01-02 15:04:05";
	lg->date_format = ss->date_format != NULL && *ss->date_format != '\0'
	    ? ss->date_format
	    : "2006-01-02";
	lg->time_format = ss->time_format != NULL && *ss->time_format != '\0'
	    ? ss->time_format
	    : "15:04:05.000";
	switch (lg->target) {
	case LOG_T_STDOUT:
		lg->fd = STDOUT_FILENO;
		break;
	case LOG_T_STDERR:
		lg->fd = STDERR_FILENO;
		break;
	case LOG_T_DISCARD:
		lg->fd = -1;
		break;
	case LOG_T_FILE:
		dir = ss->log_dir != NULL && *ss->log_dir != '\0' ? ss->log_dir
		                                                  : ".";
		name = ss->log_file_name != NULL && *ss->log_file_name != '\0'
		    ? ss->log_file_name
		    : "application.log";
		n = strlen(dir) + strlen(name) + 2;
		lg->path = arena_alloc(ld->arena, n);
		snprintf(lg->path, n, "%s/%s", dir, name);
		lg->fd = conf_open_log(ld,
		    conf_field_node(
		        ld, conf_field_node(ld, node, "logOutput"), "logDir"),
		    lg->path);
		break;
	}
}

static const struct conf_field conf_log_output_fields[] = {
	FENUM("outputTarget", struct slog_spec, lg.target, conf_log_targets),
	FSTR("logDir", struct slog_spec, log_dir),
	FSTR("logFileName", struct slog_spec, log_file_name),
	FUNSUP("backupDir", CONF_ROTATE_WHY),
	FUNSUP("archivedFilePattern", CONF_ROTATE_WHY),
	FUNSUP("cron", CONF_ROTATE_WHY),
	FUNSUP("rotateSize", CONF_ROTATE_WHY),
	FUNSUP("timeZone", CONF_ROTATE_WHY),
	FUNSUP("compressLevel", CONF_ROTATE_WHY),
	FUNSUP("maxAge", CONF_ROTATE_WHY),
	FUNSUP("maxBackup", CONF_ROTATE_WHY),
	FUNSUP("maxTotalSize", CONF_ROTATE_WHY),
	FUNSUP("outputRedirectTarget", NULL),
	FEND,
};
static const struct conf_table conf_log_output_table = { conf_log_output_fields,
	NULL };

static const struct conf_field conf_slogger_fields[] = {
	FENUM("level", struct slog_spec, lg.level, conf_log_levels),
	FFLAT("logOutput", &conf_log_output_table),
	FBOOL("unstructured", struct slog_spec, lg.unstructured),
	FSTR("outputTimeFormat", struct slog_spec, output_time_format),
	FSTR("dateFormat", struct slog_spec, date_format),
	FSTR("timeFormat", struct slog_spec, time_format),
	FBOOL("noLocation", struct slog_spec, lg.no_location),
	FBOOL("noDatetime", struct slog_spec, lg.no_datetime),
	FUNSUP("fieldReplacers", NULL),
	FEND,
};
static const struct conf_table conf_slogger_table = { conf_slogger_fields,
	conf_check_slogger };

/* ReplacerSpec value.fromTo: a mapping of strings to strings. */
static int
conf_set_from_to(struct loader *ld, const struct conf_field *f, const char *key,
    yaml_node_t *v, void *obj)
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
conf_check_repl_fixed(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_replacer *r = obj;

	(void)node;
	r->kind = REPL_FIXED;
	if (r->value == NULL)
		r->value = arena_strdup(ld->arena, "");
}

static void
conf_check_repl_regexp(struct loader *ld, void *obj, yaml_node_t *node)
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

static const struct conf_field conf_repl_fixed_fields[] = {
	FSTR("value", struct conf_replacer, value),
	FEND,
};
static const struct conf_table conf_repl_fixed_table = { conf_repl_fixed_fields,
	conf_check_repl_fixed };

static const struct conf_field conf_repl_value_fields[] = {
	FFUNC("fromTo", conf_set_from_to, 0),
	FEND,
};
static const struct conf_table conf_repl_value_table = { conf_repl_value_fields,
	NULL };

static const struct conf_field conf_repl_regexp_fields[] = {
	FSTR("pattern", struct conf_replacer, pattern),
	FSTR("replace", struct conf_replacer, replace),
	FUNSUP("posix", NULL),
	FBOOL("literal", struct conf_replacer, literal),
	FEND,
};
static const struct conf_table conf_repl_regexp_table = {
	conf_repl_regexp_fields, conf_check_repl_regexp
};

/* A ReplacerSpec is a oneof: exactly one member. */
static void
conf_check_replacer(struct loader *ld, void *obj, yaml_node_t *node)
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

static const struct conf_field conf_replacer_fields[] = {
	FFLAT("fixed", &conf_repl_fixed_table),
	FFLAT("value", &conf_repl_value_table),
	FFLAT("regexp", &conf_repl_regexp_table),
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
static const struct conf_table conf_replacer_table = { conf_replacer_fields,
	conf_check_replacer };

static const struct conf_field conf_log_header_fields[] = {
	FSTR("name", struct conf_log_header, name),
	FLIST("replacers", struct conf_log_header, replacers, nreplacers,
	    struct conf_replacer, &conf_replacer_table),
	FEND,
};
static const struct conf_table conf_log_header_table = { conf_log_header_fields,
	NULL };

/* LoggingSpec.bodies: only used in journal mode, which is refused. */
struct conf_log_body {
	char *mime;
	struct conf_replacer *replacers;
	size_t nreplacers;
};

static const struct conf_field conf_log_body_fields[] = {
	FSTR("mime", struct conf_log_body, mime),
	FLIST("replacers", struct conf_log_body, replacers, nreplacers,
	    struct conf_replacer, &conf_replacer_table),
	FUNSUP("jsonFields", NULL),
	FEND,
};
static const struct conf_table conf_log_body_table = { conf_log_body_fields,
	NULL };

/* Where LoggingSpec.bodies is read to (checked, then unused). */
struct conf_log_spec_in {
	struct conf_log_spec s;
	struct conf_log_body *bodies;
	size_t nbodies;
};

static void
conf_check_log_spec(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_log_spec *s = obj;

	(void)ld;
	(void)node;
	if (s->max_content_length == 0)
		s->max_content_length = 4096;
}

static const struct conf_field conf_log_spec_fields[] = {
	FLIST("headers", struct conf_log_spec_in, s.headers, s.nheaders,
	    struct conf_log_header, &conf_log_header_table),
	FLIST("bodies", struct conf_log_spec_in, bodies, nbodies,
	    struct conf_log_body, &conf_log_body_table),
	FLIST("queries", struct conf_log_spec_in, s.queries, s.nqueries,
	    struct conf_replacer, &conf_replacer_table),
	FSTR("logFormat", struct conf_log_spec_in, s.log_format),
	FUNSUP("bodyOutputPath", NULL),
	FUNSUP("base64", NULL),
	FINT("maxContentLength", struct conf_log_spec_in, s.max_content_length,
	    INT64_MIN, INT64_MAX),
	FSTRS("mimes", struct conf_log_spec_in, s.mimes, s.nmimes, 0),
	FEND,
};
static const struct conf_table conf_log_spec_table = { conf_log_spec_fields,
	conf_check_log_spec };

static const struct conf_enum conf_access_formats[] = {
	{ "JSON", ACCESS_JSON },
	{ "Combined", ACCESS_COMBINED },
	{ NULL, 0 },
};

/* core/v1 HTTPLogger spec as read. */
struct hlog_spec {
	struct conf_httplogger hl;
	struct conf_log_spec_in request;
	struct conf_log_spec_in response;
	struct conf_ref *logger;
	char *timezone;
};

static void
conf_check_httplogger(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct hlog_spec *hs = obj;
	char buf[128];

	hs->hl.request = hs->request.s;
	hs->hl.response = hs->response.s;
	if (hs->hl.time_format == NULL || *hs->hl.time_format == '\0')
		hs->hl.time_format =
		    arena_strdup(ld->arena, "2006-01-02 15:04:05.000");
	if (hs->timezone == NULL || *hs->timezone == '\0' ||
	    strcmp(hs->timezone, "Local") == 0)
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

static const struct conf_field conf_httplogger_fields[] = {
	FFUNCAT("logger", struct hlog_spec, logger, conf_set_ref),
	FUNSUP("errorHandler", NULL),
	FUNSUP("journal", NULL),
	FSTR("timezone", struct hlog_spec, timezone),
	FSTR("timeFormat", struct hlog_spec, hl.time_format),
	FOBJ("request", struct hlog_spec, request, &conf_log_spec_table),
	FOBJ("response", struct hlog_spec, response, &conf_log_spec_table),
	FENUM("accessLogFormat", struct hlog_spec, hl.format,
	    conf_access_formats),
	FEND,
};
static const struct conf_table conf_httplogger_table = { conf_httplogger_fields,
	conf_check_httplogger };

/* Add HTTPLogger hl to the access loggers of srv, once. */
static void
conf_add_access_logger(
    struct loader *ld, struct conf_server *srv, struct conf_httplogger *hl)
{
	size_t i;

	for (i = 0; i < srv->naccess_loggers; i++)
		if (srv->access_loggers[i] == hl)
			return;
	srv->access_loggers = arena_realloc(ld->arena, srv->access_loggers,
	    srv->naccess_loggers * sizeof(hl),
	    (srv->naccess_loggers + 1) * sizeof(hl));
	srv->access_loggers[srv->naccess_loggers++] = hl;
}

/* Middleware (an HTTPLogger): logs every request of the server. */
static void
conf_bind_middleware(struct loader *ld, void *user, struct conf_doc *d)
{
	conf_add_access_logger(ld, &((struct srv_spec *)user)->srv,
	    &((struct hlog_spec *)d->obj)->hl);
}

/*
 * middleware: references resolved once every file is read; each must be
 * an HTTPLogger, which logs every request of the server being read.
 */
static int
conf_set_middleware(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	struct conf_ref *refs = NULL;
	void *list = NULL;
	size_t n = 0, i;
	int rc;

	(void)f;
	(void)obj;
	rc = conf_get_list(
	    ld, key, v, &conf_ref_table, sizeof(*refs), &list, &n);
	refs = list;
	for (i = 0; i < n; i++)
		if (refs[i].id != NULL && ld->spec != NULL)
			conf_defer_ref(ld, &refs[i], KIND_ROLE_MIDDLEWARE,
			    conf_bind_middleware, ld->spec);
	return rc;
}

/*
 * core/v1 Entrypoint.
 */

/* Entrypoint spec.processConfig: our process-model extension. */
static const struct conf_field conf_process_fields[] = {
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
conf_check_process(struct loader *ld, void *obj, yaml_node_t *node)
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

static const struct conf_table conf_process_table = { conf_process_fields,
	conf_check_process };

static const struct conf_field conf_ep_fields[] = {
	FLIST("runners", struct ep_spec, runners, nrunners, struct conf_ref,
	    &conf_ref_table),
	FFUNCAT("defaultLogger", struct ep_spec, default_logger, conf_set_ref),
	FLIST("loggers", struct ep_spec, loggers, nloggers, struct conf_ref,
	    &conf_ref_table),
	FFUNCAT(
	    "defaultErrorHandler", struct ep_spec, default_eh, conf_set_ref),
	FLIST("errorHandlers", struct ep_spec, ehs, nehs, struct conf_ref,
	    &conf_ref_table),
	FUNSUP("initializers", NULL),
	FUNSUP("finalizers", NULL),
	FOBJ("processConfig", struct ep_spec, process, &conf_process_table),
	FEND,
};
static const struct conf_table conf_ep_table = { conf_ep_fields, NULL };

/*
 * Documents.
 */

/* spec: read in place, so that errors come in file order. */
static int
conf_set_spec(struct loader *ld, const struct conf_field *f, const char *key,
    yaml_node_t *v, void *obj)
{
	struct conf_envelope *env = obj;
	int rc;

	(void)f;
	(void)key;
	env->has_spec = 1;
	ld->spec = env->obj;
	rc = conf_parse_obj(ld, v, env->k->table, env->obj, env->k->defaults);
	ld->spec = NULL;
	return rc;
}

static const struct conf_field conf_meta_fields[] = {
	FSTR("name", struct conf_meta, name),
	FSTR("namespace", struct conf_meta, namespace),
	FUNSUP("logger", NULL),
	FSTR("errorHandler", struct conf_meta, error_handler),
	FEND,
};
static const struct conf_table conf_meta_table = { conf_meta_fields,
	conf_check_meta };

static const struct conf_field conf_envelope_fields[] = {
	FSTR("apiVersion", struct conf_envelope, api_version),
	FSTR("kind", struct conf_envelope, kind),
	FOBJ("metadata", struct conf_envelope, meta, &conf_meta_table),
	FFUNC("spec", conf_set_spec, 0),
	FEND,
};
static const struct conf_table conf_envelope_table = { conf_envelope_fields,
	NULL };

/* An HTTPLogger's logger: an SLogger (its struct log_logger first). */
static void
conf_build_httplogger(struct loader *ld, struct conf_doc *doc)
{
	struct hlog_spec *hs = doc->obj;
	struct conf_doc *d;

	if (hs->logger != NULL && hs->logger->id != NULL &&
	    (d = conf_resolve_ref(ld, hs->logger, KIND_ROLE_LOGGER)) != NULL)
		hs->hl.logger = d->obj;
}

static void
conf_add_proxy(struct loader *ld, struct conf_proxy *px)
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
}

/* The error handler of es->ehs that name (an id) is, or NULL. */
static struct conf_errhandler *
conf_ep_errhandler(struct loader *ld, struct ep_spec *es, const char *name)
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
conf_ep_errhandlers(struct loader *ld, struct ep_spec *es)
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
		if ((eh = conf_ep_errhandler(ld, es, d->eh_name)) == NULL) {
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
conf_ep_loggers(struct loader *ld, struct ep_spec *es)
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
conf_build_entrypoint(struct loader *ld, struct conf_doc *doc)
{
	struct ep_spec *es = doc->obj;
	struct conf *c = ld->conf;
	struct conf_server *srv;
	struct conf_doc *d;
	struct conf_ref *r;
	char where[512];
	size_t i, v, h;

	c->has_entrypoint = 1;
	c->process = es->process;
	conf_ep_errhandlers(ld, es);
	conf_ep_loggers(ld, es);
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
					conf_add_proxy(ld,
					    srv->vhosts[v].handlers[h].proxy);
	}
}

const struct kind entrypoint_conf_kind = {
	.api_version = "core/v1",
	.kind = "Entrypoint",
	.flags = KIND_F_SINGLE,
	.table = &conf_ep_table,
	.size = sizeof(struct ep_spec),
	.id_off = KIND_NO_OFF,
	.eh_off = KIND_NO_OFF,
	.build = conf_build_entrypoint,
};

const struct kind http_server_conf_kind = {
	.api_version = "core/v1",
	.kind = "HTTPServer",
	.roles = KIND_ROLE_RUNNER,
	.table = &conf_server_table,
	.size = sizeof(struct srv_spec),
	.id_off = offsetof(struct srv_spec, srv.id),
	.eh_off = offsetof(struct srv_spec, srv.errhandler),
};


const struct kind http_client_conf_kind = {
	.api_version = "core/v1",
	.kind = "HTTPClient",
	.roles = KIND_ROLE_CLIENT,
	.table = &conf_client_table,
	.size = sizeof(struct conf_client),
	.id_off = offsetof(struct conf_client, id),
	.eh_off = KIND_NO_OFF,
};


const struct kind slogger_conf_kind = {
	.api_version = "core/v1",
	.kind = "SLogger",
	.roles = KIND_ROLE_LOGGER,
	.table = &conf_slogger_table,
	.size = sizeof(struct slog_spec),
	.id_off = offsetof(struct slog_spec, lg.id),
	.eh_off = KIND_NO_OFF,
};

const struct kind http_logger_conf_kind = {
	.api_version = "core/v1",
	.kind = "HTTPLogger",
	.roles = KIND_ROLE_MIDDLEWARE | KIND_ROLE_TRIPPERWARE,
	.table = &conf_httplogger_table,
	.size = sizeof(struct hlog_spec),
	.id_off = offsetof(struct hlog_spec, hl.id),
	.eh_off = KIND_NO_OFF,
	.build = conf_build_httplogger,
};

struct conf_doc *
conf_doc_find(struct loader *ld, const char *id)
{
	size_t i;

	for (i = 0; i < ld->ndocs; i++)
		if (strcmp(ld->docs[i].id, id) == 0)
			return &ld->docs[i];
	return NULL;
}

/* Register a document under its id; an error if the id is taken. */
static void
conf_doc_add(struct loader *ld, const struct kind *kind, const char *av,
    const char *name, const char *ns, void *obj)
{
	struct conf_doc *d;
	char *id = conf_make_id(ld, av, kind->kind, ns, name);
	char where[512];

	if ((d = conf_doc_find(ld, id)) != NULL) {
		conf_pos_str(&d->pos, where, sizeof(where));
		if (kind->flags & KIND_F_SINGLE)
			conf_error(ld, &ld->docpos,
			    "more than one %s %s (the first is at %s)", av,
			    kind->kind, where);
		else
			conf_error(ld, &ld->docpos,
			    "duplicate %s (first "
			    "defined at %s)",
			    id, where);
		return;
	}
	if (ld->ndocs == ld->capdocs) {
		ld->capdocs = ld->capdocs != 0 ? ld->capdocs * 2 : 16;
		ld->docs =
		    conf_realloc(ld->docs, ld->capdocs * sizeof(*ld->docs));
	}
	d = &ld->docs[ld->ndocs++];
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	d->id = id;
	d->pos = ld->docpos;
	d->obj = obj;
	if (obj != NULL && kind->id_off != KIND_NO_OFF)
		*(char **)(void *)((char *)obj + kind->id_off) = id;
}

/* apiVersion or kind as a string ("" if absent); -1 if not a string. */
static int
conf_doc_string(
    struct loader *ld, yaml_node_t *root, const char *name, const char **out)
{
	yaml_node_t *v = conf_field_node(ld, root, name);

	*out = "";
	if (v == root || conf_is_null(v))
		return 0;
	if (v->type != YAML_SCALAR_NODE || conf_scalar_class(v) != SC_STRING) {
		conf_expected(ld, name, v, "a string");
		return -1;
	}
	*out = conf_sval(v);
	return 0;
}

/* metadata.name or .namespace without checks, for an unsupported kind. */
static const char *
conf_doc_meta(struct loader *ld, yaml_node_t *root, const char *name)
{
	yaml_node_t *md = conf_field_node(ld, root, "metadata"), *v;

	if (md == root || md->type != YAML_MAPPING_NODE)
		return "default";
	v = conf_field_node(ld, md, name);
	if (v == md || v->type != YAML_SCALAR_NODE || *conf_sval(v) == '\0')
		return "default";
	return conf_sval(v);
}

/* Read one YAML document (its root node). */
static void
conf_doc_load(struct loader *ld, yaml_node_t *root)
{
	const struct kind *kind;
	struct conf_envelope env;
	const char *av, *kn;
	size_t old;
	void *obj;

	if (conf_is_null(root))
		return;
	if (root->type != YAML_MAPPING_NODE) {
		conf_errorn(ld, root,
		    "expected a mapping (apiVersion, kind, "
		    "metadata, spec) at the top of the document");
		ld->lost++;
		return;
	}
	if (conf_doc_string(ld, root, "apiVersion", &av) < 0 ||
	    conf_doc_string(ld, root, "kind", &kn) < 0) {
		ld->lost++;
		return;
	}
	if (*av == '\0' && *kn == '\0')
		return; /* not a resource: skipped, as AILERON does */
	if (*av == '\0' || *kn == '\0') {
		conf_errorn(ld, root, "missing field \"%s\"",
		    *av == '\0' ? "apiVersion" : "kind");
		ld->lost++;
		return;
	}
	if ((kind = kind_find(av, kn)) == NULL) {
		conf_errorn(ld, conf_field_node(ld, root, "kind"),
		    "unknown kind %s %s", av, kn);
		ld->lost++;
		return;
	}
	if (kind->status != KIND_OK) {
		conf_errorn(ld, conf_field_node(ld, root, "kind"),
		    "kind %s %s is not supported%s", av, kn,
		    kind->status == KIND_LATER ? " yet" : "");
		/* Known, so that references to it are not "undefined". */
		conf_doc_add(ld, kind, av, conf_doc_meta(ld, root, "name"),
		    conf_doc_meta(ld, root, "namespace"), NULL);
		return;
	}
	ld->rootlen = ld->pathlen =
	    (size_t)snprintf(ld->path, sizeof(ld->path), "%s %s", av, kn);
	memset(&env, 0, sizeof(env));
	env.k = kind;
	env.obj = obj = arena_alloc(ld->arena, kind->size);
	conf_parse_object(ld, root, &conf_envelope_table, &env);
	if (ld->too_big) {
		ld->lost++;
		return;
	}
	if (!env.has_spec) { /* defaults still apply */
		old = conf_path_push(ld, "spec");
		ld->spec = obj;
		conf_parse_obj(ld, NULL, kind->table, obj, kind->defaults);
		ld->spec = NULL;
		conf_path_pop(ld, old);
	}
	if (kind->flags & KIND_F_SINGLE) /* its id is fixed */
		env.meta.name = env.meta.namespace =
		    arena_strdup(ld->arena, ".entrypoint");
	if (env.meta.name == NULL) /* no metadata at all */
		conf_check_meta(ld, &env.meta, NULL);
	conf_doc_add(ld, kind, av, env.meta.name, env.meta.namespace, obj);
	if (ld->ndocs > 0 && ld->docs[ld->ndocs - 1].obj == obj)
		ld->docs[ld->ndocs - 1].eh_name = env.meta.error_handler;
}

static void
conf_env_error(void *ctx, int line, int col, const char *msg)
{
	struct loader *ld = ctx;
	struct conf_pos pos;

	pos.file = ld->file;
	pos.line = ld->line0 + line;
	pos.column = col + 1;
	conf_error(ld, &pos, "%s", msg);
}

static void
conf_yaml_error(struct loader *ld, yaml_parser_t *p)
{
	struct conf_pos pos, cpos;
	char where[512];

	pos = conf_mark_pos(ld, p->problem_mark);
	if (p->error == YAML_READER_ERROR) {
		pos.line = ld->line0;
		pos.column = 1;
		conf_error(ld, &pos, "YAML: %s (at byte %zu of the document)",
		    p->problem != NULL ? p->problem : "read error",
		    p->problem_offset);
		return;
	}
	if (p->context != NULL) {
		cpos = conf_mark_pos(ld, p->context_mark);
		snprintf(where, sizeof(where), "%d:%d", cpos.line, cpos.column);
		conf_error(ld, &pos, "YAML: %s (%s at %s)",
		    p->problem != NULL ? p->problem : "syntax error",
		    p->context, where);
	} else
		conf_error(ld, &pos, "YAML: %s",
		    p->problem != NULL ? p->problem : "syntax error");
}

/*
 * libyaml has no nesting limit and slows down quadratically with depth, so
 * refuse a document nested deeper than CONF_MAX_DEPTH before loading it.
 * A syntax error is left for yaml_parser_load() to report.
 */
static int
conf_check_depth(struct loader *ld, const struct conf_envtext *et)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct conf_pos pos;
	int depth = 0, rc = 0, done = 0;

	if (!yaml_parser_initialize(&p))
		fatal("yaml_parser_initialize");
	yaml_parser_set_input_string(
	    &p, (const unsigned char *)et->text, et->len);
	while (!done && yaml_parser_parse(&p, &ev)) {
		if (ev.type == YAML_SEQUENCE_START_EVENT ||
		    ev.type == YAML_MAPPING_START_EVENT) {
			if (++depth > CONF_MAX_DEPTH) {
				pos = conf_mark_pos(ld, ev.start_mark);
				conf_error(ld, &pos,
				    "YAML: nested more than %d levels deep",
				    CONF_MAX_DEPTH);
				rc = -1;
			}
		} else if (ev.type == YAML_SEQUENCE_END_EVENT ||
		    ev.type == YAML_MAPPING_END_EVENT)
			depth--;
		done = rc < 0 || ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return rc;
}

/* One piece of a file between "---" lines, starting at file line line0. */
static void
conf_piece(struct loader *ld, int line0, const char *text, size_t len)
{
	struct conf_envtext et;
	yaml_parser_t p;
	yaml_document_t doc, next;
	yaml_node_t *root;
	struct conf_pos pos;

	ld->line0 = line0;
	ld->env = NULL;
	if (conf_env_subst(text, len, &et, conf_env_error, ld) < 0) {
		conf_envtext_free(&et);
		ld->lost++;
		return;
	}
	ld->env = &et;
	if (conf_check_depth(ld, &et) < 0) {
		conf_envtext_free(&et);
		ld->env = NULL;
		ld->lost++;
		return;
	}
	if (!yaml_parser_initialize(&p))
		fatal("yaml_parser_initialize");
	yaml_parser_set_input_string(
	    &p, (const unsigned char *)et.text, et.len);
	if (!yaml_parser_load(&p, &doc)) {
		conf_yaml_error(ld, &p);
		ld->lost++;
		goto out;
	}
	if ((root = yaml_document_get_root_node(&doc)) != NULL) {
		if (!yaml_parser_load(&p, &next))
			conf_yaml_error(ld, &p);
		else {
			if (yaml_document_get_root_node(&next) != NULL) {
				pos = conf_mark_pos(ld, next.start_mark);
				conf_error(ld, &pos,
				    "a second YAML document: "
				    "separate documents with a line that is "
				    "exactly \"---\"");
			}
			yaml_document_delete(&next);
		}
		ld->doc = &doc;
		ld->docpos = conf_node_pos(ld, root);
		ld->visits = 0;
		ld->too_big = 0;
		conf_doc_load(ld, root);
		ld->doc = NULL;
	}
	yaml_document_delete(&doc);
out:
	yaml_parser_delete(&p);
	conf_envtext_free(&et);
	ld->env = NULL;
}

static int
conf_is_blank(const char *s, const char *end)
{
	for (; s < end; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n')
			return 0;
	return 1;
}

/*
 * Read the text of one file: CRLF to LF, split on lines that are exactly
 * "---", blank pieces dropped.
 */
static void
conf_text(struct loader *ld, const char *file, char *buf, size_t len)
{
	char *p, *end, *nl, *le, *start;
	int line = 1, start_line = 1;

	ld->file = arena_strdup(ld->arena, file);
	start = p = buf;
	end = buf + conf_crlf(buf, len);
	for (;;) {
		nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
		le = nl != NULL ? nl : end;
		if (p == end || (le - p == 3 && memcmp(p, "---", 3) == 0)) {
			if (!conf_is_blank(start, p))
				conf_piece(
				    ld, start_line, start, (size_t)(p - start));
			if (p == end || ld->gave_up)
				break;
			start = nl != NULL ? nl + 1 : end;
			start_line = line + 1;
		}
		p = nl != NULL ? nl + 1 : end;
		line++;
	}
}

static void
conf_file(struct loader *ld, const char *path)
{
	char *buf;
	size_t len;

	if ((buf = conf_read_file(path, CONF_MAX_FILE, &len)) == NULL) {
		conf_error(ld, NULL, "%s: %s", path, strerror(errno));
		return;
	}
	conf_text(ld, path, buf, len);
	free(buf);
}

static int
conf_has_ext(const char *name)
{
	static const char *const exts[] = { ".yaml", ".yml", ".json" };
	size_t i, n = strlen(name), e;

	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		e = strlen(exts[i]);
		if (n > e && strcmp(name + n - e, exts[i]) == 0)
			return 1;
	}
	return 0;
}

static int
conf_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory: its .yaml, .yml and .json files, in name order. */
static void
conf_dir(struct loader *ld, const char *path)
{
	DIR *dir;
	struct dirent *de;
	struct stat st;
	char **names = NULL, *full;
	size_t n = 0, i, len;

	if ((dir = opendir(path)) == NULL) {
		conf_error(ld, NULL, "%s: %s", path, strerror(errno));
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		if (!conf_has_ext(de->d_name))
			continue;
		names = conf_realloc(names, (n + 1) * sizeof(*names));
		if ((names[n] = strdup(de->d_name)) == NULL)
			fatal("strdup");
		n++;
	}
	closedir(dir);
	if (n > 0)
		qsort(names, n, sizeof(*names), conf_strcmp);
	for (i = 0; i < n; i++) {
		len = strlen(path) + strlen(names[i]) + 2;
		full = conf_realloc(NULL, len);
		snprintf(full, len, "%s%s%s", path,
		    path[strlen(path) - 1] == '/' ? "" : "/", names[i]);
		if (!ld->gave_up && stat(full, &st) == 0 && S_ISREG(st.st_mode))
			conf_file(ld, full);
		free(full);
		free(names[i]);
	}
	free(names);
}

static void
conf_path(struct loader *ld, const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		conf_error(ld, NULL, "%s: %s", path, strerror(errno));
		return;
	}
	if (S_ISDIR(st.st_mode))
		conf_dir(ld, path);
	else
		conf_file(ld, path);
}

/*
 * References, once every document is read.
 */

/* The document a reference names, with its kind checked for a role. */
struct conf_doc *
conf_resolve_ref(struct loader *ld, const struct conf_ref *r, unsigned role)
{
	struct conf_doc *d;

	if ((d = conf_doc_find(ld, r->id)) == NULL) {
		/* It may be in a document that could not be read. */
		if (ld->lost == 0)
			conf_error(
			    ld, &r->pos, "undefined reference to %s", r->id);
		return NULL;
	}
	if (d->kind->status != KIND_OK)
		return NULL; /* already reported */
	if ((d->kind->roles & role) == 0) {
		conf_error(ld, &r->pos, "%s cannot be used as %s", r->id,
		    kind_role_name(role));
		return NULL;
	}
	return d;
}

/* Resolve the deferred references that play (or not) role. */
static void
conf_resolve_deferred(struct loader *ld, unsigned role, int want)
{
	struct conf_defer *df;
	struct conf_doc *d;
	size_t i;

	for (i = 0; i < ld->ndefer; i++) {
		df = &ld->defer[i];
		if (((df->role & role) != 0) != want)
			continue;
		if ((d = conf_resolve_ref(ld, df->ref, df->role)) != NULL)
			df->bind(ld, df->user, d);
	}
}

/* Run the build step of every document of kinds with(out) flag. */
static void
conf_build(struct loader *ld, int flag, int want)
{
	const struct kind *const *k;
	size_t i;

	for (k = kind_registry; *k != NULL; k++) {
		if ((*k)->build == NULL || (((*k)->flags & flag) != 0) != want)
			continue;
		for (i = 0; i < ld->ndocs; i++)
			if (ld->docs[i].kind == *k)
				(*k)->build(ld, &ld->docs[i]);
	}
}

/*
 * Once every document is read: handler references (servers point at
 * them), each kind's build step in registry order, the middleware and
 * tripperware references (they attach to what was built), and last the
 * Entrypoint's build, which links the rest.
 */
static void
conf_resolve(struct loader *ld)
{
	const struct kind *const *k;
	size_t i;

	conf_resolve_deferred(ld, KIND_ROLE_HANDLER, 1);
	conf_build(ld, KIND_F_SINGLE, 0);
	for (k = kind_registry; *k != NULL; k++) {
		if (!((*k)->flags & KIND_F_SINGLE))
			continue;
		for (i = 0; i < ld->ndocs; i++)
			if (ld->docs[i].kind == *k)
				break;
		if (i == ld->ndocs) {
			if (ld->lost == 0)
				conf_error(ld, NULL, "no %s %s",
				    (*k)->api_version, (*k)->kind);
			return;
		}
	}
	conf_resolve_deferred(ld, KIND_ROLE_HANDLER, 0);
	conf_build(ld, KIND_F_SINGLE, 1);
}

/*
 * Public interface.
 */

static void
conf_loader_init(struct loader *ld, conf_error_fn err, void *ctx)
{
	struct arena *a = arena_new(16384);

	memset(ld, 0, sizeof(*ld));
	ld->arena = a;
	ld->conf = arena_alloc(a, sizeof(*ld->conf));
	ld->conf->arena = a;
	ld->err = err;
	ld->ctx = ctx;
}

static struct conf *
conf_loader_finish(struct loader *ld)
{
	struct conf *c = ld->conf;

	if (!ld->gave_up)
		conf_resolve(ld);
	free(ld->docs);
	free(ld->defer);
	/* Certificates and keys are read now: -c and reloads check them. */
	if (ld->nerrors == 0 && tls_conf_build(c, ld->err, ld->ctx) < 0)
		ld->nerrors++;
	if (ld->nerrors > 0) {
		conf_free(c);
		return NULL;
	}
	return c;
}

struct conf *
conf_load(char *const *paths, size_t npaths, conf_error_fn err, void *ctx)
{
	struct loader ld;
	size_t i;

	conf_loader_init(&ld, err, ctx);
	for (i = 0; i < npaths && !ld.gave_up; i++)
		conf_path(&ld, paths[i]);
	return conf_loader_finish(&ld);
}

struct conf *
conf_load_string(
    const char *name, const char *text, conf_error_fn err, void *ctx)
{
	struct loader ld;
	size_t len = strlen(text);
	char *buf = conf_realloc(NULL, len + 1);

	memcpy(buf, text, len + 1);
	conf_loader_init(&ld, err, ctx);
	conf_text(&ld, name, buf, len);
	free(buf);
	return conf_loader_finish(&ld);
}

void
conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	tls_conf_free(c);
	for (i = 0; i < c->nlog_fds; i++)
		log_file_close(c->log_fds[i]);
	for (i = 0; i < c->nlog_regexes; i++)
		pcre2_code_free(c->log_regexes[i]);
	arena_free(c->arena);
}
