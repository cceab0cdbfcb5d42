/* Config loader: files, YAML documents, references; kinds read their spec. */
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
#include "conf_table.h"
#include "conf_util.h"
#include "http_parse.h"
#include "resolve.h"
#include "kind.h"
#include "log.h"
#include "tls.h"

#define CONF_MAX_ERRORS 50     /* then give up */
#define CONF_MAX_VISITS 200000 /* YAML nodes walked per document */
#define CONF_MAX_FIELDS 32     /* per table */
#define CONF_MAX_DEPTH  64     /* YAML nesting */

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

static void conf_verror(struct loader *, const struct conf_pos *, const char *,
    va_list) LOG_PRINTF(3, 0);

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
static char *
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

enum { SC_NULL, SC_BOOL, SC_INT, SC_FLOAT, SC_STRING };

const char *
conf_sval(yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static int
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
static int
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
    const struct kname *e, int *out)
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

static const struct kname conf_http_methods[] = {
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
    const struct kname *e, int **arrp, size_t *np)
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

static int
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

static const struct conf_field *
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
	const struct kname *e;
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
static int
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

/*
 * Split p[0..n) as host, host:port, [v6] or [v6]:port (host may be empty).
 * Returns NULL, or what is wrong with it.
 */
const char *
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

int
conf_network(const char *s, size_t n)
{
	if (n == 3 && strncmp(s, "tcp", 3) == 0)
		return AF_UNSPEC;
	if (n == 4 && strncmp(s, "tcp4", 4) == 0)
		return AF_INET;
	if (n == 4 && strncmp(s, "tcp6", 4) == 0)
		return AF_INET6;
	if (n == 4 && strncmp(s, "unix", 4) == 0)
		return AF_UNIX;
	return -1;
}

/*
 * A Unix socket address p (of s as written): "/path" or "@name" (Linux's
 * abstract namespace), alone or after "unix://".  It fits sun_path.
 */
static int
conf_parse_unix_addr(struct loader *ld, yaml_node_t *v, const char *key,
    const char *s, const char *p, struct conf_addr *a)
{
	size_t len = strlen(p);

	if ((*p != '/' && *p != '@') || len < 2 || len > 107) {
		conf_errorn(ld, v,
		    "field \"%s\": invalid unix socket address \"%s\" "
		    "(a path from / or @name, at most 107 bytes)",
		    key, s);
		return -1;
	}
	a->addr = arena_strdup(ld->arena, s);
	a->host = arena_strdup(ld->arena, p);
	a->port = NULL;
	a->family = AF_UNIX;
	a->set = 1;
	return 0;
}

/*
 * Read a listen address: [tcp|tcp4|tcp6://]host:port, :port, [v6]:port,
 * or a unix socket: [unix://]/path or [unix://]@name.  -1 with an error
 * reported if it is not one.
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
		if ((a->family = conf_network(s, (size_t)(sep - s))) < 0) {
			conf_errorn(ld, v,
			    "field \"%s\": invalid address %s: unknown "
			    "network \"%.*s\" (tcp, tcp4, tcp6 or unix)",
			    key, buf, (int)(sep - s), s);
			return -1;
		}
	}
	if (a->family == AF_UNIX || (sep == NULL && (*p == '@' || *p == '/')))
		return conf_parse_unix_addr(ld, v, key, s, p, a);
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
static const char *
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
 * Resolve the host up is dialed at (its replaceTargets address or its
 * URL's) now, in the master: the workers dial the addresses in turn, and
 * a reload resolves again (as nginx does).  A name that does not resolve
 * fails nothing (it may later): a warning, and the workers resolve it
 * when they dial.  A unix socket, a bad URL (reported) or
 * conf_resolve_names off: nothing to do.
 */
void
conf_upstream_resolve(struct loader *ld, struct conf_upstream *up)
{
	const char *host = up->dial_host != NULL ? up->dial_host : up->host;
	const char *port = up->dial_port != NULL ? up->dial_port : up->port;
	struct resolved *r;
	const char *why;

	if (!conf_resolve_names || host == NULL || port == NULL ||
	    up->dial_unix != NULL)
		return;
	r = arena_alloc(ld->arena, sizeof(*r));
	if ((why = resolve_host(host, port, r)) != NULL) {
		log_warnx(
		    "upstream %s: cannot resolve %s: %s; the workers will "
		    "resolve it when they dial",
		    up->url, host, why);
		return;
	}
	up->addrs = r;
}

/*
 * Files that kinds open while loading.
 */

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
int conf_resolve_names = 1;
int conf_make_log_dirs;

/* Open a log file as a real start would; -1 after reporting. */
int
conf_open_log(struct loader *ld, yaml_node_t *node, const char *path)
{
	int fd;

	if (!conf_open_log_files)
		return -1;
	if (!conf_make_log_dirs && access(path, F_OK) != 0 && errno == ENOENT) {
		/* A check creates no file: a start must be able to. */
		const char *slash = strrchr(path, '/');
		char dir[4096];

		snprintf(dir, sizeof(dir), "%.*s",
		    slash == NULL       ? 1
		        : slash == path ? 1
		                        : (int)(slash - path),
		    slash == NULL ? "." : path);
		if (access(dir, W_OK | X_OK) < 0)
			conf_errorn(
			    ld, node, "log file %s: %s", path, strerror(errno));
		return -1;
	}
	if ((fd = log_file_open(path)) < 0) {
		conf_errorn(ld, node, "log file %s: %s", path, strerror(errno));
		return -1;
	}
	conf_keep_fd(ld, fd);
	return fd;
}

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
conf_at_free(struct loader *ld, void (*fn)(void *), void *arg)
{
	struct conf *c = ld->conf;

	c->cleanups = arena_realloc(ld->arena, c->cleanups,
	    c->ncleanups * sizeof(*c->cleanups),
	    (c->ncleanups + 1) * sizeof(*c->cleanups));
	c->cleanups[c->ncleanups].fn = fn;
	c->cleanups[c->ncleanups++].arg = arg;
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
	for (i = c->ncleanups; i > 0; i--)
		c->cleanups[i - 1].fn(c->cleanups[i - 1].arg);
	arena_free(c->arena);
}
