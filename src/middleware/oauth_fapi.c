/* OAuthAuthenticationHandler FAPI: JARM, request objects, certificate-bound tokens, interaction id. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>

#include "arena.h"
#include "http_parse.h"
#include "kenc.h"
#include "middleware/form.h"
#include "middleware/matcher.h"
#include "middleware/oauth_internal.h"
#include "request.h"
#include "proxy.h"
#include "response.h"

/* response_mode of each ResponseModeMethod. */
const char *const oauth_jarm_modes[] = { "jwt", "query.jwt", "fragment.jwt",
	"form_post.jwt" };

/*
 * JARM: the callback's authorization response JWT ("response" in the
 * query, or in the form body of a POST for form_post.jwt) verified with
 * jarm.jwtHandler's keys (the context's when it has none) and an alg of
 * idtValidation.validMethods; exp required and not past (idtValidation's
 * leeway), iss the provider's issuer (configured or discovered), aud the
 * client's audience (else id).  0 with *code and *state (NULL when
 * disableState) from it, or -1.
 */
int
oauth_jarm(const struct oauth_conf_ac *ac, const struct oauth_conf_ctx *c,
    struct request *r, char **code, char **state)
{
	const struct oauth_conf_jwt *j =
	    ac->jarm.jwt.nkeys + ac->jarm.jwt.njwks > 0 ? &ac->jarm.jwt
	                                                : &c->jwt;
	const char *t = NULL, *iss = c->provider.issuer, *aud;
	json_t *cl, *v;
	double exp;
	size_t n = 0;
	int ok;

	if (ac->jarm.mode == OAUTH_JARM_FORM_POST) {
		if (r->msg->method_id == HTTP_M_POST &&
		    mw_body_gather(r, OAUTH_MAX_FORM) == 0)
			t = mw_form_value(r, "response", &n);
	} else if ((t = oauth_query_value(r, "response")) != NULL)
		n = strlen(t);
	if (t == NULL || (cl = oauth_jws_claims(j, &c->idt, t, n)) == NULL)
		return -1;
	if (iss == NULL || iss[0] == '\0')
		iss = c->disc.set ? oauth_disc_issuer(c) : "";
	aud = c->client.audience != NULL && c->client.audience[0] != '\0'
	    ? c->client.audience
	    : c->client.id != NULL ? c->client.id
	                           : "";
	v = json_object_get(cl, "iss");
	ok = oauth_claim_time(cl, "exp", &exp) == 1 &&
	    (double)time(NULL) - (double)c->idt.leeway < exp && iss != NULL &&
	    (iss[0] == '\0' ||
	        (json_is_string(v) &&
	            strcmp(json_string_value(v), iss) == 0)) &&
	    oauth_aud_has(json_object_get(cl, "aud"), aud);
	*code = ok ? oauth_json_str(r->arena, cl, "code") : NULL;
	*state =
	    ok && !ac->no_state ? oauth_json_str(r->arena, cl, "state") : NULL;
	json_decref(cl);
	return ok && *code != NULL && (ac->no_state || *state != NULL) ? 0 : -1;
}

/*
 * A request object (signed authorization request) of c: iss the client,
 * aud the provider's issuer, iat, nbf (now less requestObject.nbf), exp
 * (now plus requestObject.exp, 60 s when 0), scope, response_type,
 * client_id, redirect_uri, response_mode (jarm), urlParams, and state,
 * nonce and the PKCE challenge when given.  In arena a, or NULL.
 */
char *
oauth_ro_make(const struct oauth_conf_ac *ac, const struct oauth_conf_ctx *c,
    struct arena *a, const char *state, const char *nonce, const char *ch)
{
	const struct oauth_conf_ro *ro = &ac->ro;
	const char *iss = c->provider.issuer;
	time_t now = time(NULL);
	size_t i, n = 1;
	char *scope;
	json_t *cl = json_object();

	for (i = 0; i < c->client.nscopes; i++)
		n += strlen(c->client.scopes[i]) + 1;
	scope = arena_alloc(a, n);
	scope[0] = '\0';
	for (i = 0, n = 0; i < c->client.nscopes; i++)
		n += (size_t)sprintf(
		    scope + n, "%s%s", i > 0 ? " " : "", c->client.scopes[i]);
	for (i = 0; i < ac->nurl_params; i++) {
		const char *p = ac->url_params[i], *eq = strchr(p, '=');

		if (eq != NULL && eq > p)
			json_object_set_new(cl,
			    arena_strndup(a, p, (size_t)(eq - p)),
			    json_string(eq + 1));
	}
	if (iss == NULL || iss[0] == '\0')
		iss = oauth_disc_issuer(c);
	json_object_set_new(cl, "iss", json_string(c->client.id));
	if (iss != NULL)
		json_object_set_new(cl, "aud", json_string(iss));
	json_object_set_new(cl, "iat", json_integer((json_int_t)now));
	json_object_set_new(cl, "nbf", json_integer((json_int_t)now - ro->nbf));
	json_object_set_new(cl, "exp",
	    json_integer((json_int_t)now + (ro->exp > 0 ? ro->exp : 60)));
	json_object_set_new(cl, "scope", json_string(scope));
	json_object_set_new(cl, "response_type", json_string("code"));
	json_object_set_new(cl, "client_id", json_string(c->client.id));
	json_object_set_new(cl, "redirect_uri", json_string(ac->callback_url));
	if (ac->jarm.set)
		json_object_set_new(cl, "response_mode",
		    json_string(oauth_jarm_modes[ac->jarm.mode]));
	if (state != NULL)
		json_object_set_new(cl, "state", json_string(state));
	if (nonce != NULL)
		json_object_set_new(cl, "nonce", json_string(nonce));
	if (ch != NULL) {
		json_object_set_new(cl, "code_challenge", json_string(ch));
		json_object_set_new(cl, "code_challenge_method",
		    json_string(ac->pkce_plain ? "plain" : "S256"));
	}
	return oauth_sign(ro->sign, cl, a,
	    "E3060 OAuthAuthenticationHandler: cannot make the request "
	    "object");
}

/*
 * requestURI without disableCache, else with the base64url SHA-256 of
 * request object ro as its fragment (AILERON's cache buster).
 */
char *
oauth_ro_uri(const struct oauth_conf_ro *ro, struct arena *a, const char *obj)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	size_t n = strlen(ro->uri);
	char *out;

	if (!ro->no_cache)
		return ro->uri;
	SHA256((const unsigned char *)obj, strlen(obj), d);
	out = arena_alloc(
	    a, n + 2 + kenc_encoded_len(KENC_BASE64RAWURL, sizeof(d)));
	memcpy(out, ro->uri, n);
	out[n++] = '#';
	out[n + kenc_encode(KENC_BASE64RAWURL, d, sizeof(d), out + n)] = '\0';
	return out;
}

/* requestURI's path: the provider fetches a request object (no state). */
int
oauth_ro_serve(const struct oauth_conf_ac *ac, const struct oauth_conf_ctx *c,
    struct request *r, const struct conf_errhandler *eh)
{
	char *obj = oauth_ro_make(ac, c, r->arena, NULL, NULL, NULL);

	if (obj == NULL)
		return oauth_refuse(r, eh, 401, "E3060", 0);
	return oauth_answer(
	    r, 200, "application/jwt; charset=utf-8", 0, obj, strlen(obj));
}

/*
 * RFC 8705 certificate-bound access token: thumbprint x5t (the token's
 * cnf.x5t#S256) is the base64url SHA-256 of the DER of the certificate
 * the client presented on this TLS connection.
 */
int
oauth_cert_bound(const struct request *r, const char *x5t)
{
	unsigned char d[SHA256_DIGEST_LENGTH], *der = NULL;
	char b64[64];
	X509 *x;
	int n, ok;

	if (x5t == NULL || r->client->io.ssl == NULL ||
	    (x = SSL_get0_peer_certificate(r->client->io.ssl)) == NULL ||
	    (n = i2d_X509(x, &der)) <= 0)
		return 0;
	SHA256(der, (size_t)n, d);
	OPENSSL_free(der);
	b64[kenc_encode(KENC_BASE64RAWURL, d, sizeof(d), b64)] = '\0';
	ok = strlen(x5t) == strlen(b64) &&
	    CRYPTO_memcmp(x5t, b64, strlen(b64)) == 0;
	return ok;
}

/*
 * FAPI's x-fapi-interaction-id: the client's (a token of 128 bytes at
 * most), else a random RFC 4122 UUID; in the arena.
 */
const char *
oauth_fapi_id(struct request *r)
{
	unsigned char b[16];
	const char *v;
	size_t n, i;
	char *id;

	v = mw_request_header_span(r, "X-Fapi-Interaction-Id", &n);
	if (v != NULL && n > 0 && n <= 128) {
		for (i = 0; i < n && (unsigned char)v[i] > 0x20 &&
		     (unsigned char)v[i] < 0x7f;
		     i++)
			;
		if (i == n)
			return arena_strndup(r->arena, v, n);
	}
	if (RAND_bytes(b, sizeof(b)) != 1)
		return NULL;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	id = arena_alloc(r->arena, 37);
	snprintf(id, 37,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x"
	    "%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
	    b[11], b[12], b[13], b[14], b[15]);
	return id;
}
