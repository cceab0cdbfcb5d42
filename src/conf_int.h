/* The ${...} expander of conf_env.c, as the loader and -t use it. */
#ifndef AILERON_CONF_INT_H
#define AILERON_CONF_INT_H

#include <stddef.h>

/*
 * One top-level ${...} replaced by conf_env_subst(): where it stood in the
 * input and where its value stands in the output.  Lines and columns are
 * 0-based and count characters, as libyaml's marks do.
 */
struct conf_envmap {
	int in_line, in_col;     /* the '$' */
	int in_eline, in_ecol;   /* just after the '}' */
	int out_line, out_col;   /* first character of the value */
	int out_eline, out_ecol; /* just after the value */
};

/* A text after substitution, with the map back to the original. */
struct conf_envtext {
	char *text; /* NUL-terminated, malloc'd */
	size_t len;
	struct conf_envmap *map; /* in text order */
	size_t nmap;
};

/* Receives each substitution error with the 0-based position of its '$'. */
typedef void (*conf_env_errfn)(void *ctx, int line, int col, const char *msg);

/*
 * Expand every ${...} in in[0..len) into out.  Errors (${P:?word} with P
 * unset, bad syntax) go to fn; returns -1 if there was any, 0 otherwise.
 * out is filled in either case and must be released with
 * conf_envtext_free().
 */
int conf_env_subst(const char *in, size_t len, struct conf_envtext *out,
    conf_env_errfn fn, void *ctx);

/* Turn a 0-based position in the expanded text into one in the input. */
void conf_env_map(const struct conf_envtext *t, int *line, int *col);

void conf_envtext_free(struct conf_envtext *t);

#endif
