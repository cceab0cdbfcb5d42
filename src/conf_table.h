/* The config table engine: what kind modules use to read their spec. */
#ifndef AILERON_CONF_TABLE_H
#define AILERON_CONF_TABLE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "conf.h"
#include "conf_int.h"
#include "kname.h"
#include "log.h"

/*
 * A kind module (see kind.h) describes its spec with a struct conf_table:
 * a list of struct conf_field (YAML name, type, where it is stored, its
 * default) and a check run once the fields are read.  conf_parse_object()
 * walks a table over a YAML mapping: unknown and duplicate fields are
 * rejected with file:line:column, every error is counted and reported, and
 * then the defaults apply.
 *
 * Defaults (.def).  AILERON merges a manifest over the kind's defaults
 * and a zero value (0, "", false, []) never overrides a non-zero default.
 * For CF_STRING, CF_INT, CF_ENUM and CF_STRINGS fields .def is the value
 * as text (a number in decimal, an enum by its name, the one element of a
 * list): the engine stores it wherever the value read is still zero,
 * before the table's check runs (in nested objects that were not written
 * too).  For other types .def is YAML text that -t prints instead of the
 * zero value ("[]", "null", a quoted string), and the setter or the check
 * applies the default.  -t prints every field of the tables this way, so
 * templates and defaults cannot disagree.
 */

#define CONF_MAX_FILE         (64 << 20) /* bytes per config file */
#define CONF_MAX_SECONDS      (INT64_MAX / 1000)
#define CONF_MAX_HEADER_BYTES (1 << 20)

/* Field types of the tables. */
enum conf_type {
	CF_STRING = 1, /* char * */
	CF_INT,        /* int32_t or int64_t (by size), within min..max */
	CF_BOOL,       /* int */
	CF_ENUM,       /* int, from a name or number in enums */
	CF_METHODS,    /* conf_methods from a list of HTTPMethod */
	CF_STRINGS,    /* char ** and a size_t count at off_n */
	CF_OBJECT,     /* nested table on the object at off (0: flattened) */
	CF_LIST,       /* array of size-byte elements and a count at off_n */
	CF_FUNC,       /* the setter does it all */
	CF_ENUMS,      /* int array of enums values and a count at off_n */
	CF_UNSUPPORTED /* refused unless empty or zero */
};

/* Field flags. */
#define CF_REQUIRED 0x01
#define CF_UNIQUE   0x02 /* CF_STRINGS: no duplicates */
#define CF_HOSTNAME 0x04 /* CF_STRINGS: ^[0-9a-zA-Z.-]+$ */

struct loader;
struct conf_field;
struct kind;

/* Sets one field from node v; key is the field name as written. */
typedef int (*conf_setter)(struct loader *, const struct conf_field *,
    const char *key, yaml_node_t *v, void *obj);

/* Runs after every field of an object was read (node may be NULL). */
typedef void (*conf_checker)(struct loader *, void *obj, yaml_node_t *node);

struct conf_table {
	const struct conf_field *fields; /* ends with a NULL name */
	conf_checker check;
};

/*
 * One field: its camelCase name (the PascalCase proto name matches too),
 * how to read it and where to store it.
 */
struct conf_field {
	const char *name;
	int type;
	int flags;
	size_t off;
	size_t off_n;
	size_t size;
	int64_t min;
	int64_t max;
	const struct kname *enums;
	const struct conf_table *table;
	conf_setter set;
	const char *why; /* CF_UNSUPPORTED: NULL means "not supported yet" */
	const char *def; /* the default (see above) */
};

/* A macro's value as a string, for a .def. */
#define CONF_STR_(x) #x
#define CONF_STR(x)  CONF_STR_(x)

#define MEMBER_SIZE(t, m) sizeof(((t *)0)->m)
#define FSTR(n, t, m)                                                 \
	{                                                             \
		.name = (n), .type = CF_STRING, .off = offsetof(t, m) \
	}
#define FINT(n, t, m, lo, hi)                                       \
	{                                                           \
		.name = (n), .type = CF_INT, .off = offsetof(t, m), \
		.size = MEMBER_SIZE(t, m), .min = (lo), .max = (hi) \
	}
#define FBOOL(n, t, m)                                              \
	{                                                           \
		.name = (n), .type = CF_BOOL, .off = offsetof(t, m) \
	}
#define FENUM(n, t, m, e)                                            \
	{                                                            \
		.name = (n), .type = CF_ENUM, .off = offsetof(t, m), \
		.enums = (e)                                         \
	}
#define FMETHODS(n, t, m)                                              \
	{                                                              \
		.name = (n), .type = CF_METHODS, .off = offsetof(t, m) \
	}
#define FSTRS(n, t, m, cnt, fl)                                  \
	{                                                        \
		.name = (n), .type = CF_STRINGS, .flags = (fl),  \
		.off = offsetof(t, m), .off_n = offsetof(t, cnt) \
	}
#define FOBJ(n, t, m, tbl)                                             \
	{                                                              \
		.name = (n), .type = CF_OBJECT, .off = offsetof(t, m), \
		.table = (tbl)                                         \
	}
#define FOBJD(n, t, m, tbl, d)                                         \
	{                                                              \
		.name = (n), .type = CF_OBJECT, .off = offsetof(t, m), \
		.table = (tbl), .def = (d)                             \
	}
#define FFLAT(n, tbl)                                          \
	{                                                      \
		.name = (n), .type = CF_OBJECT, .table = (tbl) \
	}
#define FLIST(n, t, m, cnt, et, tbl)                                          \
	{                                                                     \
		.name = (n), .type = CF_LIST, .off = offsetof(t, m),          \
		.off_n = offsetof(t, cnt), .size = sizeof(et), .table = (tbl) \
	}
#define FENUMS(n, t, m, cnt, e)                                       \
	{                                                             \
		.name = (n), .type = CF_ENUMS, .off = offsetof(t, m), \
		.off_n = offsetof(t, cnt), .enums = (e)               \
	}
#define FFUNC(n, fn, fl)                                                 \
	{                                                                \
		.name = (n), .type = CF_FUNC, .set = (fn), .flags = (fl) \
	}
#define FFUNCAT(n, t, m, fn)                                         \
	{                                                            \
		.name = (n), .type = CF_FUNC, .off = offsetof(t, m), \
		.set = (fn)                                          \
	}
#define FUNSUP(n, w)                                            \
	{                                                       \
		.name = (n), .type = CF_UNSUPPORTED, .why = (w) \
	}

/* The same with a default (YAML text, see above). */
#define FSTRD(n, t, m, d)                                              \
	{                                                              \
		.name = (n), .type = CF_STRING, .off = offsetof(t, m), \
		.def = (d)                                             \
	}
#define FINTD(n, t, m, lo, hi, d)                                    \
	{                                                            \
		.name = (n), .type = CF_INT, .off = offsetof(t, m),  \
		.size = MEMBER_SIZE(t, m), .min = (lo), .max = (hi), \
		.def = (d)                                           \
	}
#define FENUMD(n, t, m, e, d)                                        \
	{                                                            \
		.name = (n), .type = CF_ENUM, .off = offsetof(t, m), \
		.enums = (e), .def = (d)                             \
	}
#define FSTRSD(n, t, m, cnt, fl, d)                                          \
	{                                                                    \
		.name = (n), .type = CF_STRINGS, .flags = (fl),              \
		.off = offsetof(t, m), .off_n = offsetof(t, cnt), .def = (d) \
	}
#define FFUNCD(n, fn, fl, d)                                              \
	{                                                                 \
		.name = (n), .type = CF_FUNC, .set = (fn), .flags = (fl), \
		.def = (d)                                                \
	}
#define FFUNCATD(n, t, m, fn, d)                                     \
	{                                                            \
		.name = (n), .type = CF_FUNC, .off = offsetof(t, m), \
		.set = (fn), .def = (d)                              \
	}
#define FEND                 \
	{                    \
		.name = NULL \
	}

/* A reference to another document: {apiVersion, kind, namespace, name}. */
struct conf_ref {
	char *api_version;
	char *kind;
	char *name;
	char *namespace;
	char *id;
	struct conf_pos pos;
};

/* A listen address as read from addr or listenConfig.addr. */
struct conf_addr {
	char *addr;
	char *host;
	char *port;
	int family;
	int set;
};

/* Every document read, by id, for references and duplicates. */
struct conf_doc {
	const struct kind *kind;
	char *id;
	struct conf_pos pos;
	void *obj;
	struct conf_ref *runner; /* servers: the runner reference using it */
	char *eh_name;           /* metadata.errorHandler */
};

/*
 * Called for a deferred reference once it resolved to doc (see
 * conf_defer_ref()); user is what the setter passed.
 */
typedef void (*conf_bind_fn)(struct loader *, void *user, struct conf_doc *);

/* A reference resolved once every file has been read. */
struct conf_defer {
	struct conf_ref *ref;
	unsigned role; /* KIND_ROLE_* the referenced kind must play */
	conf_bind_fn bind;
	void *user;
};

/* The loader's state: one per conf_load(). */
struct loader {
	struct conf *conf;
	struct arena *arena;
	conf_error_fn err;
	void *ctx;
	int nerrors;
	int gave_up;
	int lost; /* documents that could not be read at all */

	/* the document being read */
	const char *file; /* arena copy */
	int line0;        /* file line of the piece's first line */
	const struct conf_envtext *env;
	yaml_document_t *doc;
	struct conf_pos docpos;
	size_t visits;
	int too_big;
	char path[256]; /* "core/v1 HTTPServer spec.virtualHosts[0]" */
	size_t pathlen;
	size_t rootlen;
	void *spec; /* the spec object of the document being read */

	struct conf_doc *docs;
	size_t ndocs;
	size_t capdocs;
	struct conf_defer *defer;
	size_t ndefer;
	size_t capdefer;
};

/*
 * Errors: each one is counted; at file:line:column of pos, of node n (the
 * document when NULL).
 */
void conf_error(struct loader *, const struct conf_pos *, const char *, ...)
    LOG_PRINTF(3, 4);
void conf_errorn(struct loader *, yaml_node_t *, const char *, ...)
    LOG_PRINTF(3, 4);
/* Report that key's value v is not what (e.g. "a mapping"). */
void conf_expected(
    struct loader *, const char *key, yaml_node_t *v, const char *what);
struct conf_pos conf_node_pos(struct loader *, yaml_node_t *);
const char *conf_pos_str(const struct conf_pos *, char *buf, size_t size);

/* The message path ("core/v1 HTTPServer spec.virtualHosts[0]"). */
size_t conf_path_push(struct loader *, const char *name);
size_t conf_path_index(struct loader *, size_t i);
const char *conf_path_last(struct loader *);
void conf_path_pop(struct loader *, size_t old);

/* YAML nodes. */
const char *conf_sval(yaml_node_t *);
int conf_is_null(yaml_node_t *);
int conf_is_zero(yaml_node_t *);
const char *conf_quote(const char *s, size_t n, char *buf, size_t size);
/* The value node of field name in mapping node, or node itself. */
yaml_node_t *conf_field_node(struct loader *, yaml_node_t *, const char *name);

/* Scalar and list readers: 0, or -1 after reporting. */
int conf_get_string(struct loader *, const char *key, yaml_node_t *, char **);
int conf_get_int(struct loader *, const char *key, yaml_node_t *, int64_t min,
    int64_t max, int64_t *);
int conf_get_bool(struct loader *, const char *key, yaml_node_t *, int *);
int conf_get_enum(struct loader *, const char *key, yaml_node_t *,
    const struct kname *, int *);
int conf_get_methods(
    struct loader *, const char *key, yaml_node_t *, conf_methods *);
int conf_get_enums(struct loader *, const char *key, yaml_node_t *,
    const struct kname *, int **arrp, size_t *np);
int conf_get_strings(struct loader *, const char *key, yaml_node_t *, int flags,
    char ***arrp, size_t *np);
int conf_get_list(struct loader *, const char *key, yaml_node_t *,
    const struct conf_table *, size_t esize, void **arrp, size_t *np);

/*
 * Read mapping node into obj through table t, apply the defaults, then run
 * the table's check (also when node is absent or null).
 */
int conf_parse_object(
    struct loader *, yaml_node_t *node, const struct conf_table *, void *obj);
/* Store t's defaults wherever obj still holds a zero value. */
void conf_table_defaults(
    struct loader *, const struct conf_table *t, void *obj);

/* References ({apiVersion, kind, namespace, name}) between documents. */
extern const struct conf_table conf_ref_table;
int conf_set_ref(struct loader *, const struct conf_field *, const char *key,
    yaml_node_t *, void *obj);
/* Resolve r later, to a document playing role, then call bind. */
void conf_defer_ref(struct loader *, struct conf_ref *r, unsigned role,
    conf_bind_fn bind, void *user);
/* The document r names, if its kind plays role (else an error). */
struct conf_doc *conf_resolve_ref(
    struct loader *, const struct conf_ref *r, unsigned role);
struct conf_doc *conf_doc_find(struct loader *, const char *id);

/* Addresses and URLs. */
struct conf_hostport {
	const char *host; /* without brackets */
	size_t hlen;
	const char *port; /* NULL when there is none */
	size_t plen;
};
/*
 * Split p[0..n) as host, host:port, [v6] or [v6]:port (host may be
 * empty); NULL, or what is wrong.
 */
const char *conf_split_hostport(
    const char *p, size_t n, struct conf_hostport *hp);
/* The AF_ a network name ("tcp", "tcp4", "tcp6", "unix") means, or -1. */
int conf_network(const char *s, size_t n);
int conf_parse_addr(struct loader *, yaml_node_t *v, const char *key,
    const char *s, struct conf_addr *a);
int conf_set_addr(struct loader *, const struct conf_field *, const char *key,
    yaml_node_t *, void *obj);
int conf_set_url(struct loader *, const struct conf_field *, const char *key,
    yaml_node_t *, void *obj);

/* Have conf_free() call fn(arg) (what a kind built outside the arena). */
void conf_at_free(struct loader *, void (*fn)(void *), void *arg);

/* MatchType names (MATCH_*), ReplacerSpec (struct conf_replacer): shared. */
extern const struct kname reverse_proxy_conf_match_types[];
extern const struct conf_table http_logger_conf_replacer_table;
/* One ReplacerSpec (all fifteen) into a struct conf_log_repl, compiled. */
extern const struct conf_table http_logger_conf_repl_table;

/* Remember a log file the config opened, for conf_free(). */
void conf_keep_fd(struct loader *, int fd);
/* Open a log file as a real start would; -1 after reporting at node. */
int conf_open_log(struct loader *, yaml_node_t *node, const char *path);

#endif
