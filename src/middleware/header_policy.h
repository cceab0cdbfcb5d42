/* app/v1 HeaderPolicyMiddleware: MIME and length checks, request/response header rules. */
#ifndef AILERON_MW_HEADER_POLICY_H
#define AILERON_MW_HEADER_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct arena;

/* A header list being edited; strings live in the caller's buffers or the arena. */
struct header_policy_field {
	const char *name;
	size_t nlen;
	const char *value; /* NULL: the name is suppressed (see removes) */
	size_t vlen;
	int deleted;
};

struct header_policy_headers {
	struct header_policy_field *f;
	size_t n, cap;
	struct arena *arena; /* new fields and rewritten values */
};

enum header_replacer_type {
	HEADER_REPL_FIXED = 1, /* fixed{value} */
	HEADER_REPL_VALUE,     /* value{fromTo} */
	HEADER_REPL_REGEXP     /* regexp{pattern,replace,posix,literal} */
};

/* A ReplacerSpec of the kinds aileron supports (fixed, value, regexp). */
struct header_replacer {
	int type;
	char *value;       /* fixed */
	char **from, **to; /* value: pairs, in config order */
	size_t npairs;
	char *pattern, *replace; /* regexp */
	int posix, literal;
	void *re; /* pcre2_code, or regex_t when posix */
};

struct header_policy_pair {
	char *name; /* canonical */
	char *value;
};

struct header_policy_rewrite {
	char *name; /* canonical */
	struct header_replacer repl;
};

/* One HeaderPolicySpec: applied as allows, removes, add, set, rewrites. */
struct header_policy_part {
	char **allows; /* canonical names */
	size_t nallows;
	char **removes;
	size_t nremoves;
	struct header_policy_pair *add, *set;
	size_t nadd, nset;
	struct header_policy_rewrite *rewrites;
	size_t nrewrites;
};

struct header_policy {
	char **mimes; /* allowMIMEs; none: off */
	size_t nmimes;
	int64_t max_length; /* maxContentLength; <= 0: off */
	struct header_policy_part req, res;
};

/* A HeaderPolicySpec as read. */
struct header_policy_conf_rewrite {
	char *name;
	struct conf_replacer repl;
	int has_repl;
};

struct header_policy_conf_part {
	char **allows, **removes;
	size_t nallows, nremoves;
	struct header_policy_pair *add, *set; /* from the maps, in order */
	size_t nadd, nset;
	struct header_policy_conf_rewrite *rewrites;
	size_t nrewrites;
};

/* The spec as read; policy is what the runtime uses. */
struct header_policy_conf_spec {
	struct header_policy policy;
	struct header_policy_conf_part req, res;
};

/* Go's CanonicalMIMEHeaderKey into out (n + 1 bytes); invalid names unchanged. */
void header_policy_canonical(const char *in, size_t n, char *out);
/* 1 if name is a non-empty header token. */
int header_policy_name_valid(const char *name);
/* 1 if value has no control characters (HTAB allowed). */
int header_policy_value_valid(const char *value);

/*
 * The lower-cased media type of a Content-Type value (parameters
 * stripped) into out; "" when missing or unparsable, as Go's
 * mime.ParseMediaType leaves it.
 */
void header_policy_media_type(
    const char *ct, size_t len, char *out, size_t size);

/*
 * The request checks: 415 if the media type is not allowed, 411 for a
 * body of unknown length and 413 above max_length when that is set, 0 if
 * the request passes.  ct may be NULL (no Content-Type).  *reason gets
 * the text logged with E3211.
 */
int header_policy_check(const struct header_policy *p, const char *ct,
    size_t ctlen, int chunked, uint64_t length, const char **reason);

/*
 * Compile a replacer's regex; -1 after writing the reason to err.  Free
 * with header_replacer_reset.
 */
int header_replacer_compile(struct header_replacer *r, char *err, size_t size);
void header_replacer_reset(struct header_replacer *r);
/*
 * Run r on a value; the result is in the arena (or value itself).
 * Returns the result, its length in *outlen.
 */
const char *header_replacer_apply(const struct header_replacer *r,
    const char *value, size_t vlen, struct arena *a, size_t *outlen);

/* Append a field (strings borrowed). */
void header_policy_headers_add(struct header_policy_headers *h,
    const char *name, size_t nlen, const char *value, size_t vlen);
/* 1 if name was removed by a policy and has no value now. */
int header_policy_suppressed(
    const struct header_policy_headers *h, const char *name);

/*
 * Apply one policy part to h.  For requests Host is never removed by
 * allows.
 */
void header_policy_apply(const struct header_policy_part *part,
    struct header_policy_headers *h, int is_request);

#endif
