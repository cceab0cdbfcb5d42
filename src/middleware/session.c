/* app/v1 SessionMiddleware: the request's session, kept in cookies or in Redis (AILERON's stores). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "conf_table.h"
#include "kcipher.h"
#include "kenc.h"
#include "khash.h"
#include "kind.h"
#include "kname.h"
#include "log.h"
#include "middleware.h"
#include "middleware/cookie.h"
#include "middleware/matcher.h"
#include "middleware/skipper.h"
#include "pipeline.h"
#include "redis_client.h"
#include "request.h"
#include "response.h"
#include "session.h"

/* AILERON's cookie chunk: 4096 - 128 bytes of value at most. */
#define SESSION_CHUNK 3968
/* The most chunk cookies a session may take (31744 characters). */
#define SESSION_MAX_CHUNKS 8

/*
 * Config part.
 */

/* app/v1 SecureEncoderSpec. */
struct session_conf_enc {
	int hash_alg;
	char *hmac_secret; /* base64 */
	int cipher;
	char *crypt_secret; /* base64 */
	int enable_compression, disable_hmac, disable_encryption;
};

struct session_conf_spec {
	char *id;
	struct conf_errhandler *errhandler; /* metadata.errorHandler */
	struct conf_ref *eh_ref;            /* spec.errorHandler */
	const struct conf_errhandler *eh;   /* ... resolved */
	struct conf_ref *storage_ref;       /* spec.storage */
	struct redis_client *store;         /* ... resolved; NULL: cookies */
	char *prefix;                       /* the store's key prefix */
	char *cookie_name;
	struct cookie_spec cookie;
	struct session_conf_enc enc;
	/* built by the check */
	struct session_encoder encoder;
};

/* AILERON's enum names (kname) as the table engine wants them. */
static const struct kname *
session_conf_enums(const struct kname *k, struct kname *e, size_t max)
{
	size_t i;

	if (e[0].name == NULL)
		for (i = 0; k[i].name != NULL && i + 1 < max; i++) {
			e[i].name = k[i].name;
			e[i].value = k[i].value;
		}
	return e;
}

static int
session_conf_set_hash(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	static struct kname e[32];

	return conf_get_enum(ld, key, v, session_conf_enums(khash_names, e, 32),
	    (int *)(void *)((char *)obj + f->off));
}

static int
session_conf_set_cipher(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	static struct kname e[16];

	return conf_get_enum(ld, key, v,
	    session_conf_enums(kcipher_names, e, 16),
	    (int *)(void *)((char *)obj + f->off));
}

static const struct conf_field session_conf_enc_fields[] = {
	FFUNCATD("hashAlg", struct session_conf_enc, hash_alg,
	    session_conf_set_hash, "SHA256"),
	FSTR("hmacSecret", struct session_conf_enc, hmac_secret),
	FFUNCATD("commonKeyCryptType", struct session_conf_enc, cipher,
	    session_conf_set_cipher, "AESGCM"),
	FSTR("cryptSecret", struct session_conf_enc, crypt_secret),
	FBOOL("enableCompression", struct session_conf_enc, enable_compression),
	FBOOL("disableHMAC", struct session_conf_enc, disable_hmac),
	FBOOL("disableEncryption", struct session_conf_enc, disable_encryption),
	FEND,
};
static const struct conf_table session_conf_enc_table = {
	session_conf_enc_fields, NULL
};

/*
 * A secret as bytes: the base64 given, or the hash (alg) of the host
 * name, as AILERON's defaults.  NULL after reporting.
 */
static unsigned char *
session_conf_secret(struct loader *ld, yaml_node_t *node, const char *field,
    const char *b64, enum khash_alg alg, size_t *len)
{
	unsigned char *k;
	char host[256];
	size_t n;

	if (b64 == NULL || *b64 == '\0') { /* the host name's hash */
		if (gethostname(host, sizeof(host)) < 0)
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
		k = arena_alloc(ld->arena, KHASH_MAX);
		*len = (size_t)khash_sum(alg, host, strlen(host), k);
		return k;
	}
	n = strlen(b64);
	k = arena_alloc(ld->arena, kenc_decoded_max(KENC_BASE64, n) + 1);
	if (kenc_decode(KENC_BASE64, b64, n, k, len) < 0) {
		conf_errorn(ld, conf_field_node(ld, node, field),
		    "field \"%s\": not valid base64", field);
		return NULL;
	}
	return k;
}

/* The name rules of AILERON: cookieName ^[0-9a-zA-Z-_]+$, prefix ^[0-9a-zA-Z-_:]*$. */
static int
session_conf_name_ok(const char *s, const char *extra, int empty_ok)
{
	if (*s == '\0')
		return empty_ok;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr(extra, *s) == NULL)
			return 0;
	return 1;
}

static void
session_conf_enc_build(
    struct loader *ld, yaml_node_t *node, struct session_conf_spec *s)
{
	struct session_encoder *e = &s->encoder;
	yaml_node_t *en =
	    node != NULL ? conf_field_node(ld, node, "secureEncoder") : NULL;

	if (en == node)
		en = NULL;
	if (s->enc.hash_alg == KHASH_UNKNOWN) /* a zero keeps the default */
		s->enc.hash_alg = KHASH_SHA256;
	if (s->enc.cipher == KCIPHER_UNKNOWN)
		s->enc.cipher = KCIPHER_AESGCM;
	e->hash_alg = s->enc.hash_alg;
	e->cipher = s->enc.cipher;
	e->compress = s->enc.enable_compression;
	e->no_hmac = s->enc.disable_hmac;
	e->no_crypt = s->enc.disable_encryption;
	if (!e->no_hmac && !khash_hmac_ok((enum khash_alg)e->hash_alg))
		conf_errorn(ld,
		    en != NULL ? conf_field_node(ld, en, "hashAlg") : node,
		    "field \"hashAlg\": %s has no HMAC",
		    kname_name(khash_names, e->hash_alg));
	e->hmac_key = session_conf_secret(ld, en, "hmacSecret",
	    s->enc.hmac_secret, KHASH_SHA512, &e->hmac_klen);
	e->crypt_key = session_conf_secret(ld, en, "cryptSecret",
	    s->enc.crypt_secret, KHASH_SHA256, &e->crypt_klen);
	if (!e->no_crypt && e->crypt_key != NULL &&
	    !kcipher_key_ok(e->crypt_klen))
		conf_errorn(ld,
		    en != NULL ? conf_field_node(ld, en, "cryptSecret") : node,
		    "field \"cryptSecret\": an AES key is 16, 24 or 32 bytes, "
		    "not %zu",
		    e->crypt_klen);
}

static void
session_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct session_conf_spec *s = obj;

	if (s->cookie_name == NULL || *s->cookie_name == '\0')
		s->cookie_name = arena_strdup(ld->arena, "_SESSION");
	if (!session_conf_name_ok(s->cookie_name, "-_", 0))
		conf_errorn(ld, conf_field_node(ld, node, "cookieName"),
		    "field \"cookieName\": must match ^[0-9a-zA-Z-_]+$");
	if (s->prefix != NULL && !session_conf_name_ok(s->prefix, "-_:", 1))
		conf_errorn(ld, conf_field_node(ld, node, "prefix"),
		    "field \"prefix\": must match ^[0-9a-zA-Z-_:]*$");
	s->cookie.set = cookie_spec_written(ld, node, "cookie");
	session_conf_enc_build(ld, node, s);
}

static const struct conf_field session_conf_fields[] = {
	FFUNCAT("storage", struct session_conf_spec, storage_ref, conf_set_ref),
	FSTR("prefix", struct session_conf_spec, prefix),
	FSTRD("cookieName", struct session_conf_spec, cookie_name, "_SESSION"),
	FOBJ("cookie", struct session_conf_spec, cookie, &cookie_spec_table),
	FOBJ("secureEncoder", struct session_conf_spec, enc,
	    &session_conf_enc_table),
	FUNSUP("tracer", NULL),
	FFUNCAT("errorHandler", struct session_conf_spec, eh_ref, conf_set_ref),
	FEND,
};
static const struct conf_table session_conf_table = { session_conf_fields,
	session_conf_check };

/* Resolve the store and the error handler. */
static void
session_conf_build(struct loader *ld, struct conf_doc *doc)
{
	struct session_conf_spec *s = doc->obj;
	struct conf_doc *d;

	if (s->storage_ref != NULL &&
	    (d = conf_resolve_ref(ld, s->storage_ref, KIND_ROLE_KVS)) != NULL)
		s->store = d->obj;
	if (s->eh_ref != NULL &&
	    (d = conf_resolve_ref(ld, s->eh_ref, KIND_ROLE_ERRHANDLER)) != NULL)
		s->eh = d->obj;
}

extern const struct middleware_ops session_middleware;

const struct kind session_conf_kind = {
	.api_version = "app/v1",
	.kind = "SessionMiddleware",
	.roles = KIND_ROLE_MIDDLEWARE,
	.table = &session_conf_table,
	.size = sizeof(struct session_conf_spec),
	.id_off = offsetof(struct session_conf_spec, id),
	.eh_off = offsetof(struct session_conf_spec, errhandler),
	.build = session_conf_build,
	.middleware = &session_middleware,
};

/*
 * Runtime part.
 */

/* Per request: the session and what the request's cookies held. */
struct session_state {
	struct session ss;
	size_t ncookies;  /* cookies in the request (Go's len(r.Cookies())) */
	unsigned present; /* bit i: the request had chunk i */
	int saved;
	char *id; /* the store's session ID (NULL: not stored yet) */
};

/*
 * A store failure: ERROR, or DEBUG when the RedisClient logged it (the
 * server held down, an error reply: not a line per request).
 */
#define SESSION_LOG_STORE(rc, ...)                                            \
	log_msg(REDIS_CLIENT_LOGGED(rc) ? LOG_L_DEBUG : LOG_L_ERROR, LOG_LOC, \
	    0, __VA_ARGS__)

/* Answer 500 E3212 through the middleware's error handler. */
static int
session_fail(const struct session_conf_spec *s, struct request *r)
{
	if (s->eh != NULL)
		r->errhandler = s->eh;
	else if (s->errhandler != NULL)
		r->errhandler = s->errhandler;
	return response_error(r, 500, "E3212") < 0 ? HANDLER_ABORT : HANDLER_OK;
}

/*
 * The store: restore the session whose ID the cookie holds.  A missing,
 * malformed or unknown ID, or data that fails the HMAC or decryption,
 * starts a new session (with a new ID once saved); 0, or -1 after
 * logging when Redis failed or the data is not a session.
 */
static int
session_kvs_restore(const struct session_conf_spec *s, struct request *r,
    struct session_state *st)
{
	const char *id, *err = NULL;
	unsigned char *raw, *data;
	size_t idlen, rawlen, dlen;
	char *key;
	int rc;

	id = cookie_get(r, s->cookie_name, &idlen);
	if (id == NULL || !session_id_valid(id, idlen))
		return 0;
	key = session_kvs_key(r->arena, s->prefix, id, idlen);
	rc = redis_client_get(s->store, key, strlen(key), SESSION_MAX_STORED,
	    r->arena, &raw, &rawlen, &err);
	if (rc < 0) {
		SESSION_LOG_STORE(rc,
		    "E3212 SessionMiddleware: session not restored: "
		    "RedisClient %s",
		    err);
		return -1;
	}
	if (rc == 0)
		return 0; /* expired or never saved: a new session */
	if (session_decode(
	        &s->encoder, r->arena, raw, rawlen, &data, &dlen, &err) < 0) {
		log_debug("SessionMiddleware: stored session dropped: %s", err);
		return 0;
	}
	if (session_unmarshal(&st->ss, data, dlen) < 0) {
		log_error("E3212 SessionMiddleware: the stored session is not "
		          "a JSON map of base64");
		return -1;
	}
	st->id = arena_strndup(r->arena, id, idlen);
	return 0;
}

/*
 * The session cookie's value: chunks <name>0, <name>1, ... joined by
 * index (an index must be below the number of the request's cookies, as
 * AILERON reads them).  NULL with *len 0 when there is none; NULL with
 * *why set when there are more chunks or characters than aileron takes.
 */
static const char *
session_cookie_value(const struct session_conf_spec *s, struct request *r,
    struct session_state *st, size_t *len, const char **why)
{
	struct cookie_iter it = { 0, NULL, NULL };
	const char *part[SESSION_MAX_CHUNKS], *n, *v;
	size_t plen[SESSION_MAX_CHUNKS], nl, vl, pl = strlen(s->cookie_name);
	size_t i, total = 0;
	char *out;

	*len = 0;
	while (cookie_next(r, &it, &n, &nl, &v, &vl))
		st->ncookies++;
	memset(&it, 0, sizeof(it));
	while (cookie_next(r, &it, &n, &nl, &v, &vl)) {
		size_t idx = 0, d;

		if (nl <= pl || memcmp(n, s->cookie_name, pl) != 0)
			continue;
		for (d = pl; d < nl && isdigit((unsigned char)n[d]); d++)
			if (idx < st->ncookies)
				idx = idx * 10 + (size_t)(n[d] - '0');
		if (d < nl || idx >= st->ncookies)
			continue; /* not a chunk (Go: Atoi fails, or too high) */
		if (idx >= SESSION_MAX_CHUNKS) {
			*why = "more session cookie chunks than aileron takes";
			return NULL;
		}
		if (st->present & (1u << idx))
			total -= plen[idx];
		st->present |= 1u << idx;
		part[idx] = v;
		plen[idx] = vl;
		total += vl;
	}
	if (total == 0)
		return NULL;
	if (total > SESSION_MAX_CHUNKS * SESSION_CHUNK) {
		*why = "the session cookie is longer than aileron takes";
		return NULL;
	}
	out = arena_alloc(r->arena, total + 1);
	for (i = 0; i < SESSION_MAX_CHUNKS; i++)
		if (st->present & (1u << i)) {
			memcpy(out + *len, part[i], plen[i]);
			*len += plen[i];
		}
	return out;
}

/* Restore the request's session, or start a new one; 500 E3212 on a bad cookie. */
static int
session_request(void *inst, struct request *r)
{
	const struct session_conf_spec *s = inst;
	struct session_state *st = arena_alloc(r->arena, sizeof(*st));
	void **slot = mw_state_slot(r, inst);
	const char *v, *why = NULL;
	unsigned char *raw, *data;
	size_t n, rawlen, dlen;

	session_init(&st->ss, r->arena);
	if (s->store != NULL) {
		if (session_kvs_restore(s, r, st) < 0)
			return session_fail(s, r);
		if (slot != NULL)
			*slot = st;
		return HANDLER_DECLINED;
	}
	v = session_cookie_value(s, r, st, &n, &why);
	if (v == NULL && why != NULL)
		goto bad;
	if (v != NULL) {
		raw = arena_alloc(r->arena, kenc_decoded_max(KENC_BASE64, n));
		if (kenc_decode(KENC_BASE64, v, n, raw, &rawlen) < 0) {
			why = "the session cookie is not valid base64";
			goto bad;
		}
		if (session_decode(&s->encoder, r->arena, raw, rawlen, &data,
		        &dlen, &why) < 0)
			goto bad;
		if (session_unmarshal(&st->ss, data, dlen) < 0) {
			why = "the session data is not a JSON map of base64";
			goto bad;
		}
	}
	if (slot != NULL)
		*slot = st;
	return HANDLER_DECLINED;
bad:
	log_debug("E3212 SessionMiddleware: %s", why);
	return session_fail(s, r);
}

/* Add one Set-Cookie field; log when the head has no room for it. */
static void
session_set_cookie(struct request *r, const char *value)
{
	if (response_add_str(r, "Set-Cookie", value) < 0)
		log_error("E3212 SessionMiddleware: no room for the session "
		          "cookie in the response head");
}

/*
 * The store: save the session in Redis and its ID in the cookie.  A new
 * session that holds nothing is not stored; one restored and unchanged
 * only has its expiration renewed.  A failure is logged and the
 * response leaves without the cookie.
 */
static void
session_kvs_save(const struct session_conf_spec *s, struct request *r,
    struct session_state *st)
{
	const unsigned char *json;
	unsigned char *enc;
	const char *err = NULL;
	size_t jlen, elen;
	char *key;
	int rc;

	if (st->id == NULL && !st->ss.updated)
		return;
	if (st->id == NULL) {
		st->id = arena_alloc(r->arena, SESSION_ID_LEN + 1);
		if (session_id_new(st->id) < 0) {
			log_error("E3212 SessionMiddleware: session not saved: "
			          "no random bytes for its ID");
			return;
		}
	}
	key = session_kvs_key(r->arena, s->prefix, st->id, strlen(st->id));
	if (!st->ss.updated && st->ss.restored)
		rc = redis_client_touch(s->store, key, strlen(key), &err);
	else {
		jlen = session_marshal(&st->ss, &json);
		if (session_encode(&s->encoder, r->arena, json, jlen, &enc,
		        &elen, &err) < 0) {
			log_error(
			    "E3212 SessionMiddleware: session not saved: %s",
			    err);
			return;
		}
		rc = redis_client_set(
		    s->store, key, strlen(key), enc, elen, &err);
	}
	if (rc < 0) {
		SESSION_LOG_STORE(rc,
		    "E3212 SessionMiddleware: session not saved: "
		    "RedisClient %s",
		    err);
		return;
	}
	session_set_cookie(r,
	    cookie_format(
	        r->arena, &s->cookie, s->cookie_name, st->id, strlen(st->id)));
}

/* Save the session in cookies before the response head leaves (once). */
static void
session_head(void *inst, struct request *r)
{
	const struct session_conf_spec *s = inst;
	void **slot = mw_state_slot(r, inst);
	struct session_state *st = slot != NULL ? *slot : NULL;
	const unsigned char *json;
	unsigned char *enc;
	const char *err = NULL;
	size_t jlen, elen, n, m, l, i, pl = strlen(s->cookie_name);
	char *val, *name;

	if (st == NULL || st->saved)
		return;
	st->saved = 1;
	if (s->store != NULL) {
		session_kvs_save(s, r, st);
		return;
	}
	jlen = session_marshal(&st->ss, &json);
	if (session_encode(
	        &s->encoder, r->arena, json, jlen, &enc, &elen, &err) < 0) {
		log_error(
		    "E3212 SessionMiddleware: session not saved: %s", err);
		return;
	}
	n = kenc_encoded_len(KENC_BASE64, elen);
	if (n > SESSION_MAX_CHUNKS * SESSION_CHUNK) {
		log_error("E3212 SessionMiddleware: session not saved: %zu "
		          "bytes are more than %d cookies hold",
		    n, SESSION_MAX_CHUNKS);
		return;
	}
	val = arena_alloc(r->arena, n + 1);
	kenc_encode(KENC_BASE64, enc, elen, val);
	m = (n + SESSION_CHUNK - 1) / SESSION_CHUNK;
	l = m > 0 ? (n + m - 1) / m : 0;
	name = arena_alloc(r->arena, pl + 24);
	for (i = 0; i < m; i++) {
		(void)snprintf(name, pl + 24, "%s%zu", s->cookie_name, i);
		session_set_cookie(r,
		    cookie_format(r->arena, &s->cookie, name, val + i * l,
		        i * l + l > n ? n - i * l : l));
	}
	/* chunks the request had that the session no longer needs */
	for (i = m; i < st->ncookies && i < SESSION_MAX_CHUNKS; i++)
		if (st->present & (1u << i)) {
			int nl =
			    snprintf(name, pl + 24, "%s%zu", s->cookie_name, i);

			session_set_cookie(r,
			    cookie_format_delete(r->arena, name, (size_t)nl));
		}
}

struct session *
session_of(const struct request *r)
{
	struct session *found = NULL;
	size_t i, base;

	if (r->chain == NULL || r->mw_state == NULL)
		return NULL;
	for (i = 0; i < r->chain->nmws; i++)
		if (skipper_unwrap(r->chain->mws[i])->ops ==
		        &session_middleware &&
		    r->mw_state[i] != NULL)
			found = &((struct session_state *)r->mw_state[i])->ss;
	base = r->chain->nmws;
	for (i = 0; r->handler != NULL && i < r->handler->nmws; i++)
		if (skipper_unwrap(r->handler->mws[i])->ops ==
		        &session_middleware &&
		    r->mw_state[base + i] != NULL)
			found = &((struct session_state *)r->mw_state[base + i])
			             ->ss;
	return found;
}

const struct middleware_ops session_middleware = {
	.name = "app/v1/SessionMiddleware",
	.request = session_request,
	.head = session_head,
};
