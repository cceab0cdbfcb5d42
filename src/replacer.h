/* AILERON's ReplacerSpec: the fifteen value replacers of HTTPLogger and SLogger. */
#ifndef AILERON_REPLACER_H
#define AILERON_REPLACER_H

#include <stddef.h>
#include <stdint.h>

#include "kname.h"

struct arena;

/* The member of the ReplacerSpec oneof (AILERON's ReplaceType + 1). */
enum replacer_kind {
	REPLACER_NONE = 0,
	REPLACER_FIXED,
	REPLACER_VALUE,
	REPLACER_LEFT,
	REPLACER_RIGHT,
	REPLACER_TRIM,
	REPLACER_TRIM_LEFT,
	REPLACER_TRIM_RIGHT,
	REPLACER_TRIM_PREFIX,
	REPLACER_TRIM_SUFFIX,
	REPLACER_ENCODE,
	REPLACER_HASH,
	REPLACER_REGEXP,
	REPLACER_EXPAND,
	REPLACER_ENCRYPT,
	REPLACER_HMAC
};

/* The oneof keys: "fixed", "value", ..., "trimPrefix", ..., "hmac". */
extern const struct kname replacer_names[];

/*
 * One ReplacerSpec as the config loader fills it (YAML names in the
 * comments).  The strings belong to the config and must outlive the
 * compiled replacer, which points at them.
 */
struct replacer_spec {
	int kind;                /* enum replacer_kind */
	const char *value;       /* fixed.value */
	const char *const *from; /* value.fromTo keys, applied in order, */
	const char *const *to;   /* and their replacements */
	size_t nfrom;
	const char *chr;         /* left/right.char */
	uint32_t length;         /* left/right.length */
	const char *const *strs; /* trim*.cutSets, trimPrefix.prefixes, */
	size_t nstrs;            /* trimSuffix.suffixes */
	const char *pattern;     /* optional for encode, hash, hmac, encrypt */
	int posix;           /* leftmost-longest (else RE2's leftmost-first) */
	const char *replace; /* regexp.replace */
	int literal;         /* regexp.literal */
	const char *tmpl;    /* expand.template */
	int encoding;    /* encode/hash/hmac/encrypt.encoding: enum kenc_type */
	int alg;         /* hash/hmac: enum khash_alg; encrypt: kcipher_type */
	const char *key; /* hmac.key, encrypt.password: hex */
};

struct replacer;

/* Map a oneof key to its kind: 0, or -1 if unknown. */
int replacer_from_name(const char *name, enum replacer_kind *kind);
/*
 * Check and compile spec (start-up, in the master): its regex, enums and
 * keys.  NULL with a message in err (which never holds a key) on error.
 */
struct replacer *replacer_compile(
    const struct replacer_spec *spec, char *err, size_t errsize);
/* Free a compiled replacer and wipe its key; accepts NULL. */
void replacer_free(struct replacer *r);
/*
 * Apply r to in[0..len) as AILERON's string replacers do (left and right
 * count code points).  The result, *outlen bytes without a NUL, is in a,
 * or points into in or into the spec: nothing else is allocated.  A
 * failure (regex limits, encryption) gives "!ERROR[msg]" for the part
 * concerned, never the unmasked input.  in is only read.  A compiled
 * replacer keeps its match state: not for two threads at once.
 */
const char *replacer_apply(const struct replacer *r, struct arena *a,
    const char *in, size_t len, size_t *outlen);
/* The same for bodies (AILERON's bytes replacers: left and right count bytes). */
const char *replacer_apply_bytes(const struct replacer *r, struct arena *a,
    const char *in, size_t len, size_t *outlen);
/* Apply rs[0..n) in order, each to the result of the one before. */
const char *replacer_apply_all(struct replacer *const *rs, size_t n,
    struct arena *a, const char *in, size_t len, size_t *outlen);

#endif
