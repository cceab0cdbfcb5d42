/* Kinds as modules: struct kind and the registry of every apiVersion/kind. */
#ifndef AILERON_KIND_H
#define AILERON_KIND_H

#include <stddef.h>

#include <yaml.h>

/*
 * Each kind of resource aileron reads (core/v1 HTTPServer, app/v1
 * StatusHandler, ...) is one file that owns its config part (field table,
 * enums, defaults, checks, build step) and its runtime part; kind.c lists
 * them.  conf.c only reads files and documents, walks the tables
 * (conf_table.h) and resolves references; template.c prints -t defaults
 * from the same tables.
 *
 * Adding a kind, e.g. app/v1 EchoHandler:
 *   1. src/handler/echo.c (src/kind/ for a non-handler, src/middleware/
 *      for a middleware): a one-line header comment; the spec struct with
 *      its runtime struct first; echo_conf_fields[] (FSTRD/FINTD/... with
 *      their defaults) and echo_conf_table; an optional check (errors with
 *      conf_errorn(), positions from the nodes) and build (references with
 *      conf_resolve_ref(), then whatever the master prepares before fork);
 *      and `const struct kind echo_conf_kind = { "app/v1", "EchoHandler",
 *      KIND_OK, KIND_ROLE_HANDLER, ... }`.  Config names echo_conf_*,
 *      runtime names echo_*.
 *   2. One line in kind.c: X(echo) in KIND_SUPPORTED (where its build
 *      step should run), and drop its LATER(...) line; the file in
 *      Makefile.am's libaileron_a_SOURCES.
 *   3. Tests: tests/unit/check_conf.c (a good and a bad manifest; the
 *      registry loop already checks that its -t template loads back),
 *      tests/integration for the runtime.
 *   4. Its section in man/aileron.yaml.5, and the kind in
 *      tests/integration/test_cli.py's KINDS.
 */

struct loader;
struct conf_doc;
struct conf_table;
struct conf_field;
struct handler_ops;
struct middleware_ops;
struct tripperware_ops;

enum kind_status {
	KIND_OK,    /* supported */
	KIND_LATER, /* refused: "not supported yet" */
	KIND_NEVER  /* refused: "not supported" (GoPlugin, ...) */
};

/* Flags. */
#define KIND_F_SINGLE 0x01 /* at most one per config, id fixed; required */

/* Roles: what a reference to a document of the kind may use it as. */
#define KIND_ROLE_RUNNER      0x01  /* Entrypoint runners */
#define KIND_ROLE_HANDLER     0x02  /* virtual host handlers */
#define KIND_ROLE_MIDDLEWARE  0x04  /* server middleware */
#define KIND_ROLE_TRIPPERWARE 0x08  /* proxy tripperwares */
#define KIND_ROLE_CLIENT      0x10  /* proxy roundTripper */
#define KIND_ROLE_LOGGER      0x20  /* loggers */
#define KIND_ROLE_ERRHANDLER  0x40  /* error handlers */
#define KIND_ROLE_AUTHN       0x80  /* AuthenticationMiddleware handlers */
#define KIND_ROLE_KVS         0x100 /* SessionMiddleware storage */

#define KIND_NO_OFF ((size_t)-1)

struct kind {
	const char *api_version;        /* "core/v1" */
	const char *kind;               /* "HTTPServer" */
	int status;                     /* enum kind_status */
	unsigned roles;                 /* KIND_ROLE_* */
	int flags;                      /* KIND_F_* */
	const struct conf_table *table; /* spec (its check runs last) */
	size_t size;                    /* of the spec object */
	size_t id_off; /* char *: the document's id, or KIND_NO_OFF */
	size_t eh_off; /* struct conf_errhandler *: metadata.errorHandler */

	/* Fill what the table cannot default (after the fields, before the
	 * table's check). */
	void (*defaults)(struct loader *, void *obj);
	/* Once every document is read, in registry order: resolve the
	 * references, then prepare in the master before fork (compile, open,
	 * map shared memory). */
	void (*build)(struct loader *, struct conf_doc *);

	/* The runtime part (NULL: not one). */
	const struct handler_ops *handler;
	const struct middleware_ops *middleware;
	const struct tripperware_ops *tripperware;
};

/* Every kind known, supported or not; ends with a NULL. */
extern const struct kind *const kind_registry[];

/* The kind named av/kind, or NULL if unknown. */
const struct kind *kind_find(const char *av, const char *kind);

struct arena;
struct conf_ware;

/*
 * Append the kind and config object of document d to a list of
 * middleware or tripperwares (*list, *n), unless it is there already.
 */
void kind_ware_add(struct arena *a, struct conf_ware **list, size_t *n,
    const struct conf_doc *d);

/*
 * Read the list of references at key (value v: middleware, tripperwares)
 * and, once every file is read, add each document that plays role to
 * (*list, *n) with kind_ware_add() (list NULL: read and check only).
 * 0, or -1 after reporting.
 */
int kind_read_wares(struct loader *ld, const char *key, yaml_node_t *v,
    unsigned role, struct conf_ware **list, size_t *n);

/*
 * A conf_setter for a middleware list: kind_read_wares() into the list
 * at f->off and its count at f->off_n of obj.  KIND_FMIDDLEWARE(t, m, n)
 * is its table entry, "middleware" of struct t.
 */
int kind_set_middleware(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj);
#define KIND_FMIDDLEWARE(t, m, cnt)                                           \
	{                                                                     \
		.name = "middleware", .type = CF_FUNC, .off = offsetof(t, m), \
		.off_n = offsetof(t, cnt), .set = kind_set_middleware,        \
		.def = "[]"                                                   \
	}

/* Role names for messages: "a handler", "middleware", ... */
const char *kind_role_name(unsigned role);

#endif
