/* MatcherSpec {patterns, matchType} and small helpers shared by middleware kinds. */
#ifndef AILERON_MW_MATCHER_H
#define AILERON_MW_MATCHER_H

#include <stddef.h>

#include "conf.h"

/* Patterns of one match type (enum conf MATCH_*), regexes compiled. */
struct mw_matcher {
	int type;
	char **patterns; /* owned */
	void **compiled; /* per pattern: pcre2_code, regex_t or NULL */
	size_t npatterns;
};

/*
 * Compile n patterns of type into m (copies them).  Returns 0, or -1 after
 * writing the reason to err for an invalid Path pattern or regex.
 */
int mw_matcher_init(struct mw_matcher *m, int type, const char *const *patterns,
    size_t n, char *err, size_t errsize);
/* Free what mw_matcher_init made; accepts a zeroed matcher. */
void mw_matcher_reset(struct mw_matcher *m);
/* 1 if any pattern matches the NUL-terminated value of len bytes. */
int mw_matcher_match(const struct mw_matcher *m, const char *value, size_t len);

struct conf_table;

/*
 * A MatcherSpec as read: {patterns (unique), matchType}, compiled by the
 * table's check (an invalid pattern is an error at its position).
 */
struct mw_matcher_conf {
	char **patterns;
	size_t npatterns;
	int match_type;
	struct mw_matcher m;
};
extern const struct conf_table mw_matcher_conf_table;

struct request;

/*
 * The value of the first request header called name, as a NUL-terminated
 * copy in the request's arena, or NULL when there is none.
 */
const char *mw_request_header(struct request *r, const char *name);
/* The value of that header in place (not NUL-terminated), or NULL. */
const char *mw_request_header_span(
    const struct request *r, const char *name, size_t *len);
/*
 * The decoded request path, split into the arena (server middleware run
 * before routing splits the target); NULL for a target that routing will
 * refuse anyway.
 */
const char *mw_request_path(struct request *r, size_t *len);
/* The per-request state slot of entered middleware inst, or NULL. */
void **mw_state_slot(const struct request *r, const void *inst);

/* 1 if method (enum http_method) is in the mask, or the mask is 0 (all). */
int mw_methods_listed(conf_methods mask, int method);

#endif
