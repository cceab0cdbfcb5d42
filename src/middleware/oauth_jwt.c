/* OAuthAuthenticationHandler tokens: JWS algorithms, access and ID token validation, JWKS, signing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjose/cjose.h>
#include <jansson.h>

#include "arena.h"
#include "conn.h"
#include "kenc.h"
#include "log.h"
#include "middleware/oauth_internal.h"

#define OAUTH_MAX_TOKEN 16384 /* bytes of a token: longer is refused */

static const struct oauth_alg_name oauth_alg_names[] = { { "ES256", OAUTH_ES256,
	                                                     OAUTH_FAM_P256 },
	{ "ES384", OAUTH_ES384, OAUTH_FAM_P384 },
	{ "ES512", OAUTH_ES512, OAUTH_FAM_P521 },
	{ "HS256", OAUTH_HS256, OAUTH_FAM_HMAC },
	{ "HS384", OAUTH_HS384, OAUTH_FAM_HMAC },
	{ "HS512", OAUTH_HS512, OAUTH_FAM_HMAC },
	{ "RS256", OAUTH_RS256, OAUTH_FAM_RSA },
	{ "RS384", OAUTH_RS384, OAUTH_FAM_RSA },
	{ "RS512", OAUTH_RS512, OAUTH_FAM_RSA },
	{ "PS256", OAUTH_PS256, OAUTH_FAM_RSA },
	{ "PS384", OAUTH_PS384, OAUTH_FAM_RSA },
	{ "PS512", OAUTH_PS512, OAUTH_FAM_RSA }, { NULL, 0, 0 } };

/* The name and family of alg (enum oauth_alg), or NULL. */
static const struct oauth_alg_name *
oauth_alg_of(int alg)
{
	const struct oauth_alg_name *a;

	for (a = oauth_alg_names; a->name != NULL; a++)
		if (a->alg == alg)
			return a;
	return NULL;
}

/* The entry of the JWS alg called name (never none), or NULL. */
const struct oauth_alg_name *
oauth_alg_named(const char *name)
{
	const struct oauth_alg_name *a;

	for (a = oauth_alg_names; a->name != NULL; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

/* The family an alg needs. */
int
oauth_alg_family(int alg)
{
	const struct oauth_alg_name *a = oauth_alg_of(alg);

	return a != NULL ? a->family : OAUTH_FAM_NONE;
}

/* The JWS name of alg, or NULL. */
const char *
oauth_alg_str(int alg)
{
	const struct oauth_alg_name *a = oauth_alg_of(alg);

	return a != NULL ? a->name : NULL;
}

/* Compact JWS: three non-empty base64url segments, no padding. */
static int
oauth_jws_shape(const char *t, size_t n)
{
	size_t i, dots = 0, seg = 0;

	for (i = 0; i < n; i++) {
		char c = t[i];

		if (c == '.') {
			if (seg == 0)
				return 0;
			dots++;
			seg = 0;
		} else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_')
			seg++;
		else
			return 0;
	}
	return dots == 2 && seg > 0;
}

/* A JSON number claim as seconds; 0 when absent, -1 when not a number. */
int
oauth_claim_time(json_t *claims, const char *name, double *t)
{
	json_t *v = json_object_get(claims, name);

	if (v == NULL)
		return 0;
	if (!json_is_number(v))
		return -1;
	*t = json_number_value(v);
	return 1;
}

/* An ID token's azp (OIDC core 3.1.3.7, as AILERON): 0 when good. */
static int
oauth_azp_check(const struct oauth_conf_ctx *c, json_t *claims)
{
	json_t *aud = json_object_get(claims, "aud");
	const char *azp = json_string_value(json_object_get(claims, "azp"));
	const char *id = c->client.id != NULL ? c->client.id : "";

	if (azp == NULL || azp[0] == '\0') {
		if (!json_is_array(aud) || json_array_size(aud) <= 1)
			return 0;
		azp = "";
	}
	return strcmp(azp, id) == 0 ? 0 : -1;
}

/* Whether claim aud (a string or an array of them) names want. */
int
oauth_aud_has(json_t *aud, const char *want)
{
	json_t *e;
	size_t i;

	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	json_array_foreach(aud, i, e)
	{
		if (json_is_string(e) &&
		    strcmp(json_string_value(e), want) == 0)
			return 1;
	}
	return 0;
}

/*
 * The registered claims under the context's atValidation (idtValidation
 * when idt). 0 when good.  With no issuer given and discovery, iss must
 * be the discovery document's issuer.
 */
static int
oauth_claims_check(const struct oauth_conf_ctx *c, int idt, json_t *claims)
{
	const struct oauth_conf_valid *v = idt ? &c->idt : &c->at;
	const char *want_iss = idt ? c->idt_iss : c->iss;
	const char *want_aud = idt ? c->idt_aud : c->aud;
	double now = (double)time(NULL), lw = (double)v->leeway, t;
	json_t *iss;
	int rc;

	if ((rc = oauth_claim_time(claims, "exp", &t)) < 0 ||
	    (rc == 0 && !v->exp_optional) || (rc == 1 && now - lw >= t))
		return -1;
	if ((rc = oauth_claim_time(claims, "nbf", &t)) < 0 ||
	    (rc == 1 && now + lw < t))
		return -1;
	if ((rc = oauth_claim_time(claims, "iat", &t)) < 0 ||
	    (rc == 1 && !v->iat_disabled && now + lw < t))
		return -1;
	if (idt && oauth_azp_check(c, claims) != 0)
		return -1;
	if (want_iss == NULL && (idt ? c->idt_iss_disc : c->iss_disc) &&
	    (want_iss = oauth_disc_issuer(c)) == NULL)
		return -1; /* the issuer is not known yet */
	if (want_iss != NULL) {
		iss = json_object_get(claims, "iss");
		if (!json_is_string(iss) ||
		    strcmp(json_string_value(iss), want_iss) != 0)
			return -1;
	}
	if (want_aud != NULL)
		return oauth_aud_has(json_object_get(claims, "aud"), want_aud)
		    ? 0
		    : -1;
	return 0;
}

/* The header's alg, allowed by the context: its table entry, or NULL. */
static const struct oauth_alg_name *
oauth_alg_allowed(const struct oauth_conf_valid *v, const char *alg)
{
	const struct oauth_alg_name *a;
	size_t i;

	if (alg == NULL || (a = oauth_alg_named(alg)) == NULL)
		return NULL; /* none and everything unknown */
	if (v->nmethods == 0)
		return a;
	for (i = 0; i < v->nmethods; i++)
		if (strcmp(v->methods[i], alg) == 0)
			return a;
	return NULL;
}

/* Whether key k may verify a token whose header says alg a and kid. */
static int
oauth_key_fits(const struct oauth_conf_key *k, const struct oauth_alg_name *a,
    const char *kid)
{
	if (kid != NULL) {
		if (k->kid == NULL || strcmp(k->kid, kid) != 0)
			return 0;
	} else if (k->kid != NULL && k->kid[0] != '\0')
		return 0;
	if (k->alg != OAUTH_ALG_UNKNOWN && k->alg != a->alg)
		return 0;
	return k->family == a->family;
}

static int oauth_jwks_verify(const struct oauth_conf_jwt *j, cjose_jws_t *jws,
    const struct oauth_alg_name *a, const char *kid);

/*
 * The claims of JWS t[0..n) when its signature verifies with a key of j
 * (configured, or of the JWKS of the issuer it names) and its alg is one
 * of v's validMethods (never none); NULL otherwise.  The caller owns them.
 */
json_t *
oauth_jws_claims(const struct oauth_conf_jwt *j,
    const struct oauth_conf_valid *v, const char *t, size_t n)
{
	const struct oauth_alg_name *a;
	cjose_jws_t *jws;
	cjose_header_t *hdr;
	cjose_err err;
	const char *alg, *kid;
	uint8_t *pl = NULL;
	size_t pl_len = 0, i;
	json_t *claims = NULL, *kv;
	int ok = 0;

	if (n > OAUTH_MAX_TOKEN || !oauth_jws_shape(t, n))
		return NULL;
	if ((jws = cjose_jws_import(t, n, &err)) == NULL)
		return NULL;
	hdr = cjose_jws_get_protected(jws);
	alg = hdr != NULL ? cjose_header_get(hdr, CJOSE_HDR_ALG, &err) : NULL;
	kv = hdr != NULL ? json_object_get((json_t *)hdr, "kid") : NULL;
	if (kv != NULL && !json_is_string(kv))
		goto out;
	kid = kv != NULL ? json_string_value(kv) : NULL;
	if ((a = oauth_alg_allowed(v, alg)) == NULL)
		goto out;
	for (i = 0; i < j->nkeys && !ok; i++) {
		const struct oauth_conf_key *k = &j->keys[i];

		if (k->jwk != NULL && oauth_key_fits(k, a, kid) &&
		    cjose_jws_verify(jws, k->jwk, &err))
			ok = 1;
	}
	/* JWKS keys carry kids: a token without one never uses them. */
	if (!ok && kid != NULL && j->njwks > 0)
		ok = oauth_jwks_verify(j, jws, a, kid);
	if (ok && cjose_jws_get_plaintext(jws, &pl, &pl_len, &err))
		claims = json_loadb(
		    (const char *)pl, pl_len, JSON_REJECT_DUPLICATES, NULL);
	if (claims != NULL && !json_is_object(claims)) {
		json_decref(claims);
		claims = NULL;
	}
out:
	cjose_jws_release(jws);
	return claims;
}

/*
 * Verify token t[0..n) in context c, an ID token when idt. 0 when good;
 * *exp (may be NULL) gets its exp claim (0 when none).
 */
int
oauth_validate(const struct oauth_conf_ctx *c, int idt, const char *t, size_t n,
    int64_t *exp, const char *nonce)
{
	json_t *claims =
	    oauth_jws_claims(&c->jwt, idt ? &c->idt : &c->at, t, n);
	int ok = claims != NULL && oauth_claims_check(c, idt, claims) == 0;

	if (ok && nonce != NULL) {
		const char *got =
		    json_string_value(json_object_get(claims, "nonce"));

		ok = got != NULL && strcmp(got, nonce) == 0;
	}
	if (ok && exp != NULL) {
		json_t *e = json_object_get(claims, "exp");

		*exp = json_is_number(e) ? (int64_t)json_number_value(e) : 0;
	}
	json_decref(claims);
	return ok ? 0 : -1;
}

/*
 * Claims cl (released here) signed as a compact JWS (typ JWT) with k, in
 * arena a; or NULL after logging fail.
 */
char *
oauth_sign(
    const struct oauth_signer *k, json_t *cl, struct arena *a, const char *fail)
{
	cjose_header_t *hdr = NULL;
	cjose_jws_t *jws = NULL;
	char *pl = NULL, *out = NULL;
	const char *ser;
	cjose_err err;

	if (k != NULL && k->jwk != NULL && cl != NULL &&
	    (pl = json_dumps(cl, JSON_COMPACT)) != NULL &&
	    (hdr = cjose_header_new(&err)) != NULL &&
	    cjose_header_set(hdr, CJOSE_HDR_ALG, k->alg, &err) &&
	    cjose_header_set(hdr, "typ", "JWT", &err) &&
	    (k->kid == NULL ||
	        cjose_header_set(hdr, CJOSE_HDR_KID, k->kid, &err)) &&
	    (jws = cjose_jws_sign(
	         k->jwk, hdr, (const uint8_t *)pl, strlen(pl), &err)) != NULL &&
	    cjose_jws_export(jws, &ser, &err))
		out = arena_strdup(a, ser);
	cjose_jws_release(jws);
	cjose_header_release(hdr);
	free(pl);
	json_decref(cl);
	if (out == NULL)
		log_warn("%s", fail);
	return out;
}

/* A string member of doc into the arena, or NULL when absent or empty. */
char *
oauth_json_str(struct arena *a, json_t *doc, const char *name)
{
	const char *v = json_string_value(json_object_get(doc, name));

	return v != NULL && v[0] != '\0' ? arena_strdup(a, v) : NULL;
}

/*
 * JWKS (jwtHandler.JWKs): the key sets of the issuers, fetched by each
 * worker when a token needs them, kept OAUTH_JWKS_TTL_MS, fetched again
 * for an unknown kid at most every OAUTH_JWKS_RETRY_MS.
 */

#define OAUTH_JWKS_SLOTS    16
#define OAUTH_JWKS_KEYS     64
#define OAUTH_JWKS_TTL_MS   (300 * 1000)
#define OAUTH_JWKS_RETRY_MS 5000

struct oauth_jwk {
	cjose_jwk_t *jwk;
	char kid[128];
	int alg; /* UNKNOWN: any of the family */
	int family;
};

struct oauth_jwks_slot {
	const struct oauth_ep *ep;
	struct oauth_jwk keys[OAUTH_JWKS_KEYS];
	size_t n;
	int64_t fetched; /* ms; 0: never */
	int64_t tried;
};
static struct oauth_jwks_slot oauth_jwks[OAUTH_JWKS_SLOTS];

/* One JWK of a set, if it can verify signatures: 0, else -1. */
static int
oauth_jwk_read(json_t *e, struct oauth_jwk *k)
{
	const char *kty = json_string_value(json_object_get(e, "kty"));
	const char *kid = json_string_value(json_object_get(e, "kid"));
	const char *use = json_string_value(json_object_get(e, "use"));
	const char *alg = json_string_value(json_object_get(e, "alg"));
	const char *crv = json_string_value(json_object_get(e, "crv"));
	const struct oauth_alg_name *a;
	cjose_err err;
	char *js;

	if (kty == NULL || kid == NULL || strlen(kid) >= sizeof(k->kid) ||
	    (use != NULL && strcmp(use, "sig") != 0))
		return -1;
	if (strcmp(kty, "RSA") == 0)
		k->family = OAUTH_FAM_RSA;
	else if (strcmp(kty, "EC") == 0 && crv != NULL)
		k->family = strcmp(crv, "P-256") == 0 ? OAUTH_FAM_P256
		    : strcmp(crv, "P-384") == 0       ? OAUTH_FAM_P384
		    : strcmp(crv, "P-521") == 0       ? OAUTH_FAM_P521
		                                      : OAUTH_FAM_NONE;
	else
		return -1; /* oct, OKP: not from a URL */
	if (k->family == OAUTH_FAM_NONE)
		return -1;
	k->alg = OAUTH_ALG_UNKNOWN;
	if (alg != NULL) {
		if ((a = oauth_alg_named(alg)) == NULL ||
		    a->family != k->family)
			return -1;
		k->alg = a->alg;
	}
	if ((js = json_dumps(e, JSON_COMPACT)) == NULL)
		return -1;
	k->jwk = cjose_jwk_import(js, strlen(js), &err);
	free(js);
	if (k->jwk == NULL)
		return -1;
	if (k->family == OAUTH_FAM_RSA &&
	    cjose_jwk_get_keysize(k->jwk, &err) < 2048) {
		cjose_jwk_release(k->jwk);
		return -1;
	}
	snprintf(k->kid, sizeof(k->kid), "%s", kid);
	return 0;
}

/* Fetch the set of slot d again; keep the old one when that fails. */
static void
oauth_jwks_fetch(struct oauth_jwks_slot *d)
{
	struct oauth_jwk keys[OAUTH_JWKS_KEYS];
	struct oauth_reply rep;
	json_t *doc, *set, *e;
	size_t i, n = 0;
	char *buf;

	d->tried = conn_now_ms();
	if ((buf = malloc(OAUTH_HTTP_MAX)) == NULL)
		return;
	if (oauth_http(d->ep, NULL, 0, NULL, buf, &rep) < 0 ||
	    rep.status != 200) {
		log_warn("OAuthAuthenticationHandler: no JWKS from %s",
		    d->ep->up.url);
		free(buf);
		return;
	}
	doc = json_loadb(rep.body, rep.len, 0, NULL);
	free(buf);
	set = json_object_get(doc, "keys");
	if (!json_is_array(set)) {
		log_warn("OAuthAuthenticationHandler: %s is not a JWKS",
		    d->ep->up.url);
		json_decref(doc);
		return;
	}
	json_array_foreach(set, i, e)
	{
		if (n < OAUTH_JWKS_KEYS && oauth_jwk_read(e, &keys[n]) == 0)
			n++;
	}
	json_decref(doc);
	for (i = 0; i < d->n; i++)
		cjose_jwk_release(d->keys[i].jwk);
	memcpy(d->keys, keys, n * sizeof(keys[0]));
	d->n = n;
	d->fetched = d->tried;
}

/* The key called kid in slot d fitting alg a, or NULL. */
static const struct oauth_jwk *
oauth_jwks_find(const struct oauth_jwks_slot *d, const struct oauth_alg_name *a,
    const char *kid)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->keys[i].kid, kid) == 0 &&
		    d->keys[i].family == a->family &&
		    (d->keys[i].alg == OAUTH_ALG_UNKNOWN ||
		        d->keys[i].alg == a->alg))
			return &d->keys[i];
	return NULL;
}

/* Verify jws with the JWKS of its (unverified) issuer. 1 when good. */
static int
oauth_jwks_verify(const struct oauth_conf_jwt *j, cjose_jws_t *jws,
    const struct oauth_alg_name *a, const char *kid)
{
	const struct oauth_conf_jwks *w = NULL;
	struct oauth_jwks_slot *d = NULL;
	const struct oauth_jwk *k;
	cjose_err err;
	uint8_t *pl;
	size_t len, i;
	json_t *claims;
	const char *iss;
	int64_t now;

	if (!cjose_jws_get_plaintext(jws, &pl, &len, &err))
		return 0;
	claims = json_loadb((const char *)pl, len, 0, NULL);
	iss = json_string_value(json_object_get(claims, "iss"));
	for (i = 0; iss != NULL && i < j->njwks; i++)
		if (strcmp(j->jwks[i].iss, iss) == 0)
			w = &j->jwks[i];
	json_decref(claims);
	if (w == NULL)
		return 0;
	for (i = 0; i < OAUTH_JWKS_SLOTS; i++)
		if (oauth_jwks[i].ep == w->ep || oauth_jwks[i].ep == NULL) {
			d = &oauth_jwks[i];
			d->ep = w->ep;
			break;
		}
	if (d == NULL)
		return 0;
	now = conn_now_ms();
	k = oauth_jwks_find(d, a, kid);
	if ((k == NULL || now - d->fetched >= OAUTH_JWKS_TTL_MS) &&
	    (d->tried == 0 || now - d->tried >= OAUTH_JWKS_RETRY_MS)) {
		oauth_jwks_fetch(d);
		k = oauth_jwks_find(d, a, kid);
	}
	return k != NULL && cjose_jws_verify(jws, k->jwk, &err);
}

/*
 * Claim name of JWT t[0..len) (already verified), a string in the arena;
 * with member, that string member of the claim (an object); or NULL.
 */
char *
oauth_jwt_claim(struct arena *a, const char *t, size_t len, const char *name,
    const char *member)
{
	const char *p = memchr(t, '.', len), *e;
	char *pl, *v;
	size_t n;
	json_t *o, *c;

	if (p == NULL ||
	    (e = memchr(p + 1, '.', len - (size_t)(p + 1 - t))) == NULL)
		return NULL;
	p++;
	pl = arena_alloc(
	    a, kenc_decoded_max(KENC_BASE64RAWURL, (size_t)(e - p)) + 1);
	if (kenc_decode(KENC_BASE64RAWURL, p, (size_t)(e - p), pl, &n) < 0)
		return NULL;
	o = json_loadb(pl, n, 0, NULL);
	c = json_object_get(o, name);
	v = member != NULL ? oauth_json_str(a, c, member)
	                   : oauth_json_str(a, o, name);
	json_decref(o);
	return v;
}
