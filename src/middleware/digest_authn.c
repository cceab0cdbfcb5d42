/* app/v1 DigestAuthnMiddleware: HTTP Digest authentication with checked, expiring nonces. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "arena.h"
#include "conf_table.h"
#include "kcipher.h"
#include "kenc.h"
#include "khash.h"
#include "kind.h"
#include "log.h"
#include "middleware.h"
#include "middleware/authn.h"
#include "request.h"
#include "response.h"
#include "shm.h"

/*
 * A nonce is base64(issued[8] || random[12] || mac[16]): mac is the
 * HMAC-SHA256 (truncated) of the first 20 bytes under a key made at load,
 * so a nonce proves that this configuration issued it, and when.  It is
 * good for DIGEST_AUTHN_LIFETIME seconds.  Issued nonces are remembered
 * in shared memory (all workers) with the last nonce count used, so that
 * a request is not accepted twice.
 */
#define DIGEST_AUTHN_LIFETIME  300
#define DIGEST_AUTHN_NONCE     36 /* bytes; 48 base64 characters */
#define DIGEST_AUTHN_SLOTS     8192
#define DIGEST_AUTHN_PROBE     8
#define DIGEST_AUTHN_MAX_REALM 256
#define DIGEST_AUTHN_HEX       (2 * EVP_MAX_MD_SIZE + 1)

/* One remembered nonce. */
struct digest_authn_slot {
	unsigned char mac[16]; /* the nonce's MAC: its identity */
	int64_t expires;       /* 0: free */
	uint32_t nc;           /* the highest nonce count accepted */
};

struct digest_authn_table {
	pthread_mutex_t lock;
	struct digest_authn_slot slot[DIGEST_AUTHN_SLOTS];
};

/*
 * Config part.
 */

struct digest_authn_conf_spec {
	struct authn_conf_common c;
	struct authn_conf_pass pass; /* refused: Digest needs the password */
	int cipher;                  /* commonKeyCryptType */
	char *crypt_secret;
	char *realm;
	char *algorithm; /* MD5, SHA-256, SHA-512-256 */
	struct authn_conf_env env;
	struct authn_conf_file file;
	/* built at load */
	struct authn_store store; /* secrets replaced by hex HA1 */
	const EVP_MD *md;
	char *challenge; /* up to the nonce */
	struct digest_authn_table *table;
};

static const struct conf_field digest_authn_conf_env_fields[] = {
	FSTRD("usernamePrefix", struct authn_conf_env, p1,
	    "GATEWAY_DIGEST_USERNAME_"),
	FSTRD("passwordPrefix", struct authn_conf_env, p2,
	    "GATEWAY_DIGEST_PASSWORD_"),
	FENUM("encoding", struct authn_conf_env, encoding, kenc_names),
	FEND,
};
static const struct conf_table digest_authn_conf_env_table = {
	digest_authn_conf_env_fields, authn_conf_env_mark
};

/* The challenge up to the nonce: realm, algorithm. */
#define DIGEST_AUTHN_CHALLENGE                                             \
	"Digest realm=\"%s\", qop=\"auth\", algorithm=%s, charset=UTF-8, " \
	"nonce=\""

/* The name of the algorithm md (one of the three). */
static const char *
digest_authn_alg(const EVP_MD *md)
{
	if (EVP_MD_get_type(md) == EVP_MD_get_type(EVP_md5()))
		return "MD5";
	if (EVP_MD_get_type(md) == EVP_MD_get_type(EVP_sha256()))
		return "SHA-256";
	return "SHA-512-256";
}

/* The lower-case hex digest of the pieces p[0..n) joined by ':'. */
static void
digest_authn_hash(const EVP_MD *md, const char *const *p, const size_t *len,
    size_t n, char *hex)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t i;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, md, NULL) != 1)
		fatalx("digest: cannot start %s", digest_authn_alg(md));
	for (i = 0; i < n; i++)
		if ((i > 0 && EVP_DigestUpdate(ctx, ":", 1) != 1) ||
		    EVP_DigestUpdate(ctx, p[i], len[i]) != 1)
			fatalx("digest: update failed");
	if (EVP_DigestFinal_ex(ctx, d, &dlen) != 1)
		fatalx("digest: final failed");
	EVP_MD_CTX_free(ctx);
	hex[kenc_encode(KENC_BASE16, d, dlen, hex)] = '\0';
	OPENSSL_cleanse(d, sizeof(d));
}

/*
 * The nonce key: made once per master process, so that the nonces of a
 * configuration still verify after a reload (they are then unknown to
 * the new table: the client is told they are stale and retries).
 */
static unsigned char digest_authn_key[32];
static int digest_authn_keyed;

/* conf_free: the nonce table. */
static void
digest_authn_conf_free(void *arg)
{
	shm_unmap(arg, sizeof(struct digest_authn_table));
}

/* Replace every password by HA1 = H(user:realm:password). */
static void
digest_authn_conf_ha1(struct loader *ld, struct digest_authn_conf_spec *ds)
{
	const char *p[3];
	size_t len[3], i;
	char hex[DIGEST_AUTHN_HEX];

	for (i = 0; i < ds->store.n; i++) {
		struct authn_cred *c = &ds->store.v[i];

		p[0] = c->name;
		len[0] = c->name_len;
		p[1] = ds->realm;
		len[1] = strlen(ds->realm);
		p[2] = (const char *)c->secret;
		len[2] = c->secret_len;
		digest_authn_hash(ds->md, p, len, 3, hex);
		OPENSSL_cleanse(c->secret, c->secret_len);
		c->secret = (unsigned char *)arena_strdup(ld->arena, hex);
		c->secret_len = strlen(hex);
	}
	OPENSSL_cleanse(hex, sizeof(hex));
}

/* The algorithm, the realm, the store, the nonce key and table. */
static void
digest_authn_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct digest_authn_conf_spec *ds = obj;
	const char *a = ds->algorithm, *s;
	int len;

	if (strcasecmp(a, "MD5") == 0)
		ds->md = EVP_md5();
	else if (strcasecmp(a, "SHA-256") == 0)
		ds->md = EVP_sha256();
	else if (strcasecmp(a, "SHA-512-256") == 0)
		ds->md = EVP_sha512_256();
	else
		conf_errorn(ld, conf_field_node(ld, node, "algorithm"),
		    "algorithm: expected MD5, SHA-256 or SHA-512-256, got "
		    "\"%s\"",
		    a);
	for (s = ds->realm; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '"' ||
		    *s == '\\')
			break;
	if (*s != '\0' || strlen(ds->realm) > DIGEST_AUTHN_MAX_REALM)
		conf_errorn(ld, conf_field_node(ld, node, "realm"),
		    "realm: at most %d characters, no control characters, "
		    "quotes or backslashes",
		    DIGEST_AUTHN_MAX_REALM);
	if (ds->pass.set)
		conf_errorn(ld, conf_field_node(ld, node, "passwordCrypt"),
		    "passwordCrypt: Digest needs the passwords themselves; "
		    "hashed passwords cannot be checked");
	authn_conf_load(
	    ld, node, &ds->env, &ds->file, AUTHN_PAIRS, "user", &ds->store);
	authn_conf_decrypt(
	    ld, node, &ds->store, ds->cipher, ds->crypt_secret, "user");
	if (ds->md == NULL || ld->nerrors > 0)
		return;
	digest_authn_conf_ha1(ld, ds);
	len = snprintf(NULL, 0, DIGEST_AUTHN_CHALLENGE, ds->realm,
	    digest_authn_alg(ds->md));
	ds->challenge = arena_alloc(ld->arena, (size_t)len + 1);
	snprintf(ds->challenge, (size_t)len + 1, DIGEST_AUTHN_CHALLENGE,
	    ds->realm, digest_authn_alg(ds->md));
	if (!digest_authn_keyed) {
		if (kcipher_random(
		        digest_authn_key, sizeof(digest_authn_key)) == -1) {
			conf_errorn(
			    ld, node, "no random bytes for the nonce key");
			return;
		}
		digest_authn_keyed = 1;
	}
	if ((ds->table = shm_map(sizeof(*ds->table))) == NULL ||
	    shm_mutex_init(&ds->table->lock) == -1) {
		conf_errorn(ld, node, "cannot map the nonce table");
		return;
	}
	conf_at_free(ld, digest_authn_conf_free, ds->table);
}

static const struct conf_field digest_authn_conf_fields[] = {
	FFUNCAT(
	    "logger", struct digest_authn_conf_spec, c.logger, conf_set_ref),
	FFUNCAT("errorHandler", struct digest_authn_conf_spec, c.eh_ref,
	    conf_set_ref),
	FSTRD("claimsKey", struct digest_authn_conf_spec, c.claims_key,
	    "AuthnClaims"),
	FBOOL("keepCredentials", struct digest_authn_conf_spec, c.keep),
	FOBJD("passwordCrypt", struct digest_authn_conf_spec, pass,
	    &authn_conf_pass_table, "null"),
	FENUM("commonKeyCryptType", struct digest_authn_conf_spec, cipher,
	    kcipher_names),
	FSTR("cryptSecret", struct digest_authn_conf_spec, crypt_secret),
	FSTRD("realm", struct digest_authn_conf_spec, realm, ""),
	FSTRD("algorithm", struct digest_authn_conf_spec, algorithm, "MD5"),
	FOBJ("envProvider", struct digest_authn_conf_spec, env,
	    &digest_authn_conf_env_table),
	FOBJD("fileProvider", struct digest_authn_conf_spec, file,
	    &authn_conf_file_table, "null"),
	FEND,
};
static const struct conf_table digest_authn_conf_table = {
	digest_authn_conf_fields, digest_authn_conf_check
};

static void
digest_authn_conf_build(struct loader *ld, struct conf_doc *doc)
{
	struct digest_authn_conf_spec *ds = doc->obj;

	authn_conf_refs(ld, &ds->c);
}

extern const struct middleware_ops digest_authn_middleware;

const struct kind digest_authn_conf_kind = {
	.api_version = "app/v1",
	.kind = "DigestAuthnMiddleware",
	.roles = KIND_ROLE_MIDDLEWARE,
	.table = &digest_authn_conf_table,
	.size = sizeof(struct digest_authn_conf_spec),
	.id_off = KIND_NO_OFF,
	.eh_off = KIND_NO_OFF,
	.build = digest_authn_conf_build,
	.middleware = &digest_authn_middleware,
};

/*
 * Runtime part.
 */

/* Seconds of the monotonic-enough wall clock, for nonce lifetimes. */
static int64_t
digest_authn_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

/* The MAC of a nonce's first 20 bytes. */
static void
digest_authn_mac(const unsigned char *n, unsigned char *mac)
{
	unsigned char full[KHASH_MAX];

	if (khash_hmac(KHASH_SHA256, digest_authn_key, sizeof(digest_authn_key),
	        n, 20, full) < 0)
		fatalx("digest: HMAC failed");
	memcpy(mac, full, 16);
}

/* The first slot of a nonce's probe window. */
static size_t
digest_authn_home(const unsigned char *mac)
{
	return ((size_t)mac[0] | (size_t)mac[1] << 8) % DIGEST_AUTHN_SLOTS;
}

/* Remember a new nonce, evicting the one that expires first if full. */
static void
digest_authn_remember(struct digest_authn_table *t, const unsigned char *mac,
    int64_t expires, int64_t now)
{
	size_t h = digest_authn_home(mac), i, pick = h;

	shm_mutex_lock(&t->lock);
	for (i = 0; i < DIGEST_AUTHN_PROBE; i++) {
		struct digest_authn_slot *s =
		    &t->slot[(h + i) % DIGEST_AUTHN_SLOTS];

		if (s->expires <= now) {
			pick = (h + i) % DIGEST_AUTHN_SLOTS;
			break;
		}
		if (s->expires < t->slot[pick].expires)
			pick = (h + i) % DIGEST_AUTHN_SLOTS;
	}
	memcpy(t->slot[pick].mac, mac, 16);
	t->slot[pick].expires = expires;
	t->slot[pick].nc = 0;
	shm_mutex_unlock(&t->lock);
}

/*
 * Accept nonce count nc for a remembered nonce: 1 if it is higher than
 * any accepted before, 0 for a replay, -1 if the nonce is not (or no
 * longer) remembered.
 */
static int
digest_authn_count(struct digest_authn_table *t, const unsigned char *mac,
    uint32_t nc, int64_t now)
{
	size_t h = digest_authn_home(mac), i;
	int rc = -1;

	shm_mutex_lock(&t->lock);
	for (i = 0; i < DIGEST_AUTHN_PROBE; i++) {
		struct digest_authn_slot *s =
		    &t->slot[(h + i) % DIGEST_AUTHN_SLOTS];

		if (s->expires <= now || CRYPTO_memcmp(s->mac, mac, 16) != 0)
			continue;
		rc = nc > s->nc;
		if (rc)
			s->nc = nc;
		break;
	}
	shm_mutex_unlock(&t->lock);
	return rc;
}

/* 401 with a fresh nonce (stale: the credentials were right, the nonce old). */
static int
digest_authn_challenge(
    const struct digest_authn_conf_spec *ds, struct request *r, int stale)
{
	unsigned char n[DIGEST_AUTHN_NONCE];
	int64_t now = digest_authn_now();
	char *v;
	size_t len = strlen(ds->challenge), i;

	for (i = 0; i < 8; i++)
		n[i] = (unsigned char)((uint64_t)now >> (56 - 8 * i));
	if (kcipher_random(n + 8, 12) == -1)
		return authn_error(r, &ds->c, 500, "");
	digest_authn_mac(n, n + 20);
	digest_authn_remember(
	    ds->table, n + 20, now + DIGEST_AUTHN_LIFETIME, now);
	v = arena_alloc(r->arena, len + 64 + 16);
	memcpy(v, ds->challenge, len);
	len += kenc_encode(KENC_BASE64, n, sizeof(n), v + len);
	memcpy(v + len, stale ? "\", stale=true" : "\"", stale ? 13 : 2);
	if (response_start(r, 401, NULL, 0) < 0 ||
	    response_add_str(r, "WWW-Authenticate", v) < 0 ||
	    response_send_head(r, RESPONSE_LENGTH, 0) < 0 ||
	    response_end(r) < 0)
		return HANDLER_ABORT;
	return HANDLER_OK;
}

/* Decode and check a nonce: 1 good, 0 authentic but expired, -1 forged. */
static int
digest_authn_nonce(const char *s, unsigned char *mac, int64_t now)
{
	unsigned char n[64], want[16];
	size_t len, i;
	int64_t issued = 0;

	if (strlen(s) != 48 || kenc_decode(KENC_BASE64, s, 48, n, &len) == -1 ||
	    len != DIGEST_AUTHN_NONCE)
		return -1;
	digest_authn_mac(n, want);
	if (CRYPTO_memcmp(want, n + 20, 16) != 0)
		return -1;
	memcpy(mac, want, 16);
	for (i = 0; i < 8; i++)
		issued = (int64_t)((uint64_t)issued << 8 | n[i]);
	return now >= issued && now - issued <= DIGEST_AUTHN_LIFETIME;
}

/* nc: exactly 8 hex digits, not zero. */
static int
digest_authn_nc(const char *s, uint32_t *nc)
{
	unsigned char b[4];
	size_t len;

	if (s == NULL || strlen(s) != 8 ||
	    kenc_decode(KENC_BASE16, s, 8, b, &len) == -1)
		return -1;
	*nc = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
	return *nc == 0 ? -1 : 0;
}

/* The response a client knowing HA1 sends for request r and d. */
static void
digest_authn_expect(const struct digest_authn_conf_spec *ds,
    const struct request *r, const char *ha1, const struct authn_digest *d,
    char *hex)
{
	const char *p[6];
	size_t len[6];
	char ha2[DIGEST_AUTHN_HEX];

	p[0] = r->buf + r->msg->method.off;
	len[0] = r->msg->method.len;
	p[1] = d->uri;
	len[1] = strlen(d->uri);
	digest_authn_hash(ds->md, p, len, 2, ha2);
	p[0] = ha1;
	p[1] = d->nonce;
	p[2] = d->nc;
	p[3] = d->cnonce;
	p[4] = d->qop;
	p[5] = ha2;
	len[0] = strlen(ha1);
	len[1] = strlen(d->nonce);
	len[2] = strlen(d->nc);
	len[3] = strlen(d->cnonce);
	len[4] = strlen(d->qop);
	len[5] = strlen(ha2);
	digest_authn_hash(ds->md, p, len, 6, hex);
}

/* Whether d is complete, in the form we asked for, for this request. */
static int
digest_authn_wellformed(const struct digest_authn_conf_spec *ds,
    const struct request *r, const struct authn_digest *d, uint32_t *nc)
{
	const char *target = r->buf + r->msg->target.off;

	if (d->username == NULL || d->nonce == NULL || d->uri == NULL ||
	    d->response == NULL || d->cnonce == NULL || d->cnonce[0] == '\0' ||
	    d->qop == NULL || strcmp(d->qop, "auth") != 0 ||
	    digest_authn_nc(d->nc, nc) == -1)
		return 0;
	if (d->userhash != NULL && strcasecmp(d->userhash, "false") != 0)
		return 0;
	if (d->algorithm != NULL &&
	    strcasecmp(d->algorithm, digest_authn_alg(ds->md)) != 0)
		return 0;
	/* The uri signed must be this request's target. */
	return strlen(d->uri) == r->msg->target.len &&
	    memcmp(d->uri, target, r->msg->target.len) == 0;
}

/* Let a request with a good, fresh Digest response through. */
static int
digest_authn_request_hook(void *inst, struct request *r)
{
	const struct digest_authn_conf_spec *ds = inst;
	const struct authn_cred *c;
	struct authn_digest d;
	unsigned char mac[16];
	char want[DIGEST_AUTHN_HEX], dummy[DIGEST_AUTHN_HEX];
	const char *v;
	char *buf;
	size_t n;
	uint32_t nc;
	int64_t now = digest_authn_now();
	int fresh, ok;

	v = authn_header(r, "Authorization", &n);
	buf = v != NULL ? arena_alloc(r->arena, n + 1) : NULL;
	if (v == NULL || authn_digest_parse(v, n, buf, &d) == -1 ||
	    !digest_authn_wellformed(ds, r, &d, &nc)) {
		log_debug("DigestAuthnMiddleware: no valid Digest credentials");
		return digest_authn_challenge(ds, r, 0);
	}
	if ((fresh = digest_authn_nonce(d.nonce, mac, now)) == -1) {
		log_debug("DigestAuthnMiddleware: a nonce not issued here");
		return digest_authn_challenge(ds, r, 0);
	}
	c = authn_find(&ds->store, d.username, strlen(d.username));
	if (c == NULL) {
		memset(dummy, '0', 64);
		dummy[64] = '\0';
	}
	digest_authn_expect(
	    ds, r, c != NULL ? (const char *)c->secret : dummy, &d, want);
	ok = c != NULL &&
	    authn_equal((const unsigned char *)want, strlen(want),
	        (const unsigned char *)d.response, strlen(d.response));
	OPENSSL_cleanse(want, sizeof(want));
	if (!ok) {
		log_debug("DigestAuthnMiddleware: authentication failed");
		return digest_authn_challenge(ds, r, 0);
	}
	/* Right credentials: is the nonce still good, the count new? */
	if (!fresh ||
	    (ok = digest_authn_count(ds->table, mac, nc, now)) == -1) {
		log_debug("DigestAuthnMiddleware: stale nonce");
		return digest_authn_challenge(ds, r, 1);
	}
	if (ok == 0) {
		log_debug("DigestAuthnMiddleware: nonce count replayed");
		return digest_authn_challenge(ds, r, 0);
	}
	if (!ds->c.keep)
		authn_drop_header(r, "Authorization");
	return HANDLER_DECLINED;
}

const struct middleware_ops digest_authn_middleware = {
	.name = "app/v1/DigestAuthnMiddleware",
	.request = digest_authn_request_hook,
};
