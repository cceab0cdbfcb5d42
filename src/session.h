/* Sessions: AILERON's session data (a JSON map) and its secure encoding; the API other kinds use. */
#ifndef AILERON_SESSION_H
#define AILERON_SESSION_H

#include <stddef.h>

/*
 * A session is AILERON's kernel/session DefaultSession: a map from key to
 * bytes (Go's map[string][]byte), saved as its JSON, {"key":"<base64 of
 * the bytes>",...} with the keys sorted.  What a kind stores under a key
 * is, as in AILERON, the JSON of its value (Persist): a Go []byte is the
 * JSON string of its base64 (session_put_blob).  An unmodified session is
 * saved as the bytes it was restored from.
 *
 * The SessionMiddleware (src/middleware/session.c) restores the session
 * of each request before the handlers and the inner middleware run and
 * saves it in the head of every response; they reach it with
 * session_of(r).  Everything lives in the request's arena.
 */

/* The most bytes the JSON of a session may take (session_put refuses more). */
#define SESSION_MAX_DATA (16 * 1024)
/* The most bytes a restored (and decompressed) session may take. */
#define SESSION_MAX_PLAIN (64 * 1024)
/* The most bytes an encoded session read from a store may take. */
#define SESSION_MAX_STORED (2 * SESSION_MAX_PLAIN)

struct arena;
struct request;

struct session_entry {
	char *key;
	unsigned char *val; /* NULL: JSON null */
	size_t len;
};

struct session {
	struct arena *arena;
	struct session_entry *e; /* sorted by key (bytes) */
	size_t n, cap;
	const unsigned char *raw; /* the JSON restored, or NULL */
	size_t raw_len;
	int restored; /* from a cookie */
	int updated;  /* changed since: save the new JSON */
};

/* The session of request r (the innermost SessionMiddleware's), or NULL. */
struct session *session_of(const struct request *r);

/* An empty session whose data lives in arena a. */
void session_init(struct session *s, struct arena *a);
/* The bytes under key (n bytes), or NULL when key is absent or null. */
const unsigned char *session_get(
    const struct session *s, const char *key, size_t *n);
/*
 * Store n bytes (the JSON of a value) under key: 0, or -1 when the
 * session would outgrow SESSION_MAX_DATA (it is left unchanged).
 */
int session_put(struct session *s, const char *key, const void *v, size_t n);
/* Remove key: 1 if it was there, 0 if not. */
int session_delete(struct session *s, const char *key);
/*
 * Go's []byte values (Persist/Extract of a []byte): the JSON string of the
 * base64 of the bytes.  session_get_blob gives the bytes (NUL-terminated
 * in the arena) or NULL when key is absent or not such a string.
 */
int session_put_blob(
    struct session *s, const char *key, const void *v, size_t n);
const unsigned char *session_get_blob(
    const struct session *s, const char *key, size_t *n);

/*
 * The JSON of s (the restored bytes when not updated, else a fresh map in
 * s's arena): its length, with *out pointing at it.
 */
size_t session_marshal(const struct session *s, const unsigned char **out);
/*
 * Restore s from JSON in[0..n): 0, or -1 when it is not a JSON object of
 * base64 strings.  Zero bytes restore an empty session (AILERON fails
 * them: see aileron.yaml(5)).
 */
int session_unmarshal(struct session *s, const void *in, size_t n);

/*
 * Session IDs of the key-value store: base32hex (RFC 4648, upper case,
 * no padding) of SESSION_ID_BYTES random bytes, as AILERON's
 * base32.HexEncoding of a 30-byte zuid.
 */
#define SESSION_ID_BYTES 30
#define SESSION_ID_LEN   48
/* A new ID into out (SESSION_ID_LEN + 1 bytes): 0, or -1 (no randomness). */
int session_id_new(char *out);
/* The ID of SESSION_ID_BYTES bytes b into out (SESSION_ID_LEN + 1 bytes). */
void session_id_encode(const unsigned char *b, char *out);
/* Whether id[0..n) has the form of an ID (so it may reach the store). */
int session_id_valid(const char *id, size_t n);
/* The store's key of a session, <prefix><id>, NUL-terminated in arena a. */
char *session_kvs_key(
    struct arena *a, const char *prefix, const char *id, size_t n);

/* AILERON's SecureEncoder: gzip (optional), encryption, HMAC. */
struct session_encoder {
	int hash_alg; /* enum khash_alg */
	const unsigned char *hmac_key;
	size_t hmac_klen;
	int cipher; /* enum kcipher_type */
	const unsigned char *crypt_key;
	size_t crypt_klen;
	int compress; /* enableCompression */
	int no_hmac;  /* disableHMAC */
	int no_crypt; /* disableEncryption */
};

/*
 * Encode in[0..n): gzip level 6 if compress, encrypt unless no_crypt,
 * append the HMAC unless no_hmac.  The result in arena a.  0, or -1 with
 * *err set to a static message.
 */
int session_encode(const struct session_encoder *enc, struct arena *a,
    const void *in, size_t n, unsigned char **out, size_t *outlen,
    const char **err);
/*
 * Decode what session_encode made (check the HMAC, decrypt, gunzip at
 * most SESSION_MAX_PLAIN bytes): 0, or -1 with *err set.
 */
int session_decode(const struct session_encoder *enc, struct arena *a,
    const void *in, size_t n, unsigned char **out, size_t *outlen,
    const char **err);

#endif
