/* A subset of Go's text/template and html/template for TemplateHandler. */
#ifndef AILERON_GOTMPL_H
#define AILERON_GOTMPL_H

#include <stddef.h>

struct arena;

/* The values a template sees (Go: string, bool, int, []string, maps). */
enum gotmpl_kind {
	GOTMPL_NIL, /* a missing value */
	GOTMPL_STRING,
	GOTMPL_BOOL,
	GOTMPL_INT,
	GOTMPL_LIST, /* items */
	GOTMPL_MAP   /* entries, sorted by key */
};

struct gotmpl_entry;

struct gotmpl_value {
	enum gotmpl_kind kind;
	const char *s; /* STRING */
	size_t len;
	long long i;                        /* INT, BOOL */
	const struct gotmpl_value *items;   /* LIST */
	const struct gotmpl_entry *entries; /* MAP */
	size_t n;
	/* MAP: the kind of a missing element for index (GOTMPL_LIST: []) */
	enum gotmpl_kind elem;
};

struct gotmpl_entry {
	const char *key;
	size_t key_len;
	struct gotmpl_value v;
};

/* Template flavours: TemplateHandler's templateType GoText and GoHTML. */
#define GOTMPL_TEXT 0
#define GOTMPL_HTML 1 /* every action's output is HTML-escaped */

struct gotmpl;

/*
 * Parse template src (len bytes, which must outlive the template).  NULL
 * with a message in err (size bytes) for a syntax error or something
 * outside the subset.  The template lives in arena a (freed with it), or
 * in its own when a is NULL (then gotmpl_free frees it).
 */
struct gotmpl *gotmpl_parse(struct arena *a, const char *src, size_t len,
    int flavour, char *err, size_t size);

/* Free a template parsed into its own arena; accepts NULL. */
void gotmpl_free(struct gotmpl *t);

/*
 * Execute t over data.  Returns a malloc'd result with its length in
 * *len, or NULL for an execution error (AILERON then sends an empty
 * body) or no memory.  Scratch values come from arena a (reset by the
 * caller).  Output is capped at GOTMPL_OUT_MAX bytes (an error beyond).
 */
#define GOTMPL_OUT_MAX (4u * 1024 * 1024)
/* So are more than this many actions and range iterations in one run. */
#define GOTMPL_STEPS_MAX 1000000u
char *gotmpl_exec(const struct gotmpl *t, const struct gotmpl_value *data,
    struct arena *a, size_t *len);

/* Sort the entries of a map by key (bytewise), as Go prints and ranges. */
void gotmpl_sort(struct gotmpl_entry *e, size_t n);

#endif
