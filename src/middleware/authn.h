/* Shared by the Basic, Digest, Key and IDKey authn middleware: credential stores and checks. */
#ifndef AILERON_MW_AUTHN_H
#define AILERON_MW_AUTHN_H

#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "conf_table.h"
#include "kcipher.h"
#include "kenc.h"
#include "khash.h"
#include "kpass.h"

struct loader;
struct request;
struct conf_errhandler;

#define AUTHN_MAX_FILE (16 << 20) /* bytes per credential file */

/* One credential: a user (or API id) and its secret, decoded. */
struct authn_cred {
	char *name; /* NULL for KeyAuthn (the key is the secret) */
	size_t name_len;
	unsigned char *secret;
	size_t secret_len;
	unsigned char digest[32]; /* SHA-256 of secret: KeyAuthn's lookup */
};

/* Every credential of one middleware, sorted by name (or by digest). */
struct authn_store {
	struct authn_cred *v;
	size_t n;
};

/* envProvider: pairs <p1><n>=name, <p2><n>=secret (Key: p1 only). */
struct authn_conf_env {
	char *p1;
	char *p2;
	int encoding; /* enum kenc_type */
	int set;
};

/* fileProvider: files of lines name:secret[:attrs] (Key: key[:attrs]). */
struct authn_conf_file {
	char **paths;
	size_t npaths;
	int encoding;
	int set;
};

/* The members of the PasswordCryptSpec oneof, each set when written. */
struct authn_conf_bcrypt {
	int32_t cost;
	int set;
};
struct authn_conf_scrypt {
	int32_t salt_len, n, r, p, key_len;
	int set;
};
struct authn_conf_pbkdf2 {
	int32_t salt_len, iter, key_len;
	int hash_alg;
	int set;
};
struct authn_conf_argon2 {
	int64_t salt_len, time, memory, threads, key_len;
	int set;
};
struct authn_conf_pass {
	struct authn_conf_bcrypt bcrypt;
	struct authn_conf_scrypt scrypt;
	struct authn_conf_pbkdf2 pbkdf2;
	struct authn_conf_argon2 argon2i;
	struct authn_conf_argon2 argon2id;
	struct kpass_spec spec; /* method KPASS_NONE: plain equality */
	int set;
};

/* What every authn kind's spec starts with. */
struct authn_conf_common {
	struct conf_ref *logger; /* resolved, not used (as AILERON) */
	struct conf_ref *eh_ref; /* spec.errorHandler */
	const struct conf_errhandler *eh;
	char *claims_key; /* read, not used: only OPA needs it */
	int keep;         /* keepCredentials */
};

/* PasswordCryptSpec: bcrypt, scrypt, pbkdf2 or argon2. */
extern const struct conf_table authn_conf_pass_table;
/* fileProvider: {paths, encoding}, the same for every kind. */
extern const struct conf_table authn_conf_file_table;
/* The check of each kind's envProvider table: marks it written. */
void authn_conf_env_mark(struct loader *ld, void *obj, yaml_node_t *node);

/* How the lines of a store read. */
enum authn_form {
	AUTHN_PAIRS, /* name:secret[:attrs] */
	AUTHN_KEYS   /* key[:attrs] */
};

/*
 * Fill st from the provider the spec chose (file when written, else env),
 * decoding secrets with the provider's encoding.  what names the left
 * part in errors ("user", "id"); secrets are never shown.  Errors are
 * reported at node (the spec).  The store is wiped when the config is
 * freed.
 */
void authn_conf_load(struct loader *ld, yaml_node_t *node,
    const struct authn_conf_env *env, const struct authn_conf_file *file,
    enum authn_form form, const char *what, struct authn_store *st);

/*
 * Decrypt every secret of st with cryptSecret (base64) and the cipher:
 * AILERON does it per request; here once, at load.  A cryptSecret with
 * no cipher, a bad key or a secret that does not decrypt is an error.
 */
void authn_conf_decrypt(struct loader *ld, yaml_node_t *node,
    struct authn_store *st, int cipher, const char *crypt_secret,
    const char *what);

/* Resolve spec.logger and spec.errorHandler (the build step). */
void authn_conf_refs(struct loader *ld, struct authn_conf_common *c);

/*
 * The key transform of Key and IDKey: HMAC under hmac (when hlen > 0),
 * else the hash alg (when set), else none.  Checks at load: 0, or -1
 * after reporting.
 */
int authn_conf_hmac(struct loader *ld, yaml_node_t *node, int alg,
    const char *hmac_secret, unsigned char **key, size_t *klen);

/* Runtime. */

/* The credential called name, or NULL (a binary search). */
const struct authn_cred *authn_find(
    const struct authn_store *st, const char *name, size_t len);
/* The credential whose secret is s (KeyAuthn), or NULL; constant-time compare. */
const struct authn_cred *authn_find_secret(
    const struct authn_store *st, const unsigned char *s, size_t len);
/* 1 if a[0..alen) equals b[0..blen), in time independent of the contents. */
int authn_equal(
    const unsigned char *a, size_t alen, const unsigned char *b, size_t blen);
/*
 * Transform key[0..n) into out (KHASH_MAX bytes, or n when nothing is
 * set): its length, or -1.
 */
long authn_transform(int alg, const unsigned char *hmac, size_t hlen,
    const char *key, size_t n, unsigned char *out, size_t size);
/* Have the upstream (and EchoHandler) not see request header name. */
void authn_drop_header(struct request *r, const char *name);
/* The first request header called name, or NULL when missing or empty. */
const char *authn_header(
    const struct request *r, const char *name, size_t *len);
/* Answer with an error body through the kind's errorHandler, if any. */
int authn_error(struct request *r, const struct authn_conf_common *c,
    int status, const char *code);

/*
 * Parse a Basic Authorization value (v[0..n)) as Go's BasicAuth does into
 * user and password (into buf, n bytes at least).  0, or -1 if malformed.
 */
int authn_basic_parse(const char *v, size_t n, char *buf, const char **user,
    size_t *ulen, const char **pass, size_t *plen);

/* The parameters of a Digest Authorization value (NUL-terminated, or NULL). */
struct authn_digest {
	const char *username;
	const char *realm;
	const char *nonce;
	const char *uri;
	const char *response;
	const char *algorithm;
	const char *cnonce;
	const char *opaque;
	const char *qop;
	const char *nc;
	const char *userhash;
};

/*
 * Parse a Digest Authorization value (v[0..n)) as RFC 7616 writes it:
 * "Digest" then auth-params, values as tokens or quoted strings (unescaped
 * into buf, n + 1 bytes at least).  Parameter names are case-insensitive;
 * unknown ones are ignored.  0, or -1 if malformed or a known parameter
 * is repeated.
 */
int authn_digest_parse(
    const char *v, size_t n, char *buf, struct authn_digest *d);

#endif
