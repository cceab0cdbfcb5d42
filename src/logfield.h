/* SLogger fieldReplacers: remove or rewrite fields of a JSON log line by dot path. */
#ifndef AILERON_LOGFIELD_H
#define AILERON_LOGFIELD_H

#include <stddef.h>

struct replacer;

/* One fieldReplacers entry: a dot path and its replacer (NULL: remove). */
struct log_field_repl {
	const char *field;
	struct replacer *r;
};

/*
 * Apply frs[0..n) in order to the JSON line[0..len) (a line that is not
 * a JSON object is returned as it is): a path names a member of the
 * top-level object, then of nested objects; without a replacer the member
 * is removed, with one a string value is rewritten (other values stay).
 * The result is valid until the next call.
 */
const char *logfield_apply(const struct log_field_repl *frs, size_t n,
    const char *line, size_t len, size_t *outlen);

#endif
