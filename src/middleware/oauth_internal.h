/* OAuthAuthenticationHandler: what its files (src/middleware/oauth_*.c) share. */
#ifndef AILERON_MW_OAUTH_INTERNAL_H
#define AILERON_MW_OAUTH_INTERNAL_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include <cjose/cjose.h>
#include <jansson.h>

#include "conf_table.h"

struct arena;
struct request;
struct session;

/* What oauth_url_split() stores for a URL of n bytes (five copies at most). */
#define OAUTH_URL_STORE(n) (5 * (n) + 16)

/* SigningKeyAlgorithm (AILERON's numbers). */
enum oauth_alg {
	OAUTH_ALG_UNKNOWN = 0,
	OAUTH_ALG_NONE,
	OAUTH_ES256,
	OAUTH_ES384,
	OAUTH_ES512,
	OAUTH_EDDSA,
	OAUTH_HS256,
	OAUTH_HS384,
	OAUTH_HS512,
	OAUTH_RS256,
	OAUTH_RS384,
	OAUTH_RS512,
	OAUTH_PS256,
	OAUTH_PS384,
	OAUTH_PS512
};

/* SigningKeyType. */
enum oauth_key_type {
	OAUTH_KEY_UNKNOWN = 0,
	OAUTH_KEY_COMMON,
	OAUTH_KEY_PUBLIC,
	OAUTH_KEY_PRIVATE
};

/* What a key verifies: the family of the JWS alg it fits. */
enum oauth_family {
	OAUTH_FAM_NONE = 0,
	OAUTH_FAM_HMAC, /* HS*: a common secret */
	OAUTH_FAM_RSA,  /* RS*, PS* */
	OAUTH_FAM_P256, /* ES256 */
	OAUTH_FAM_P384, /* ES384 */
	OAUTH_FAM_P521  /* ES512 */
};

/* A JWS alg name as tokens write it, its family. */
struct oauth_alg_name {
	const char *name;
	int alg;
	int family;
};

/* One SigningKeySpec of jwtHandler.publicKeys. */
struct oauth_conf_key {
	char *kid;
	int alg;  /* enum oauth_alg; UNKNOWN: any alg of the key's family */
	int type; /* enum oauth_key_type */
	char *file;
	char *string;
	/* built at load */
	cjose_jwk_t *jwk;
	int family;
};

/* TokenValidation. */
struct oauth_conf_valid {
	int skip_unexpired;
	char *iss;
	char *aud;
	int exp_optional;
	int iat_disabled;
	int32_t leeway;
	char **methods;
	size_t nmethods;
};

struct oauth_conf_endpoints {
	char *authorization, *token, *userinfo, *introspection, *revocation;
	char *jwks, *discovery;
};

struct oauth_conf_provider {
	char *issuer;
	char *base_url;
	struct oauth_conf_endpoints ep;
	struct conf_ref *round_tripper;
};

/* client.jwtHandler: the keys that sign the client's assertions. */
struct oauth_conf_cjwt {
	struct oauth_conf_key *keys;
	size_t nkeys;
};

struct oauth_conf_client {
	char *id;
	char *secret;
	char *audience;
	char **scopes;
	size_t nscopes;
	struct oauth_conf_cjwt jwt;
};

/* jwtHandler.JWKs: issuer -> JWKS URL. */
struct oauth_conf_jwks {
	char *iss;
	char *url;
	void *ep; /* struct oauth_ep, built by the context's check */
};

struct oauth_conf_jwt {
	struct oauth_conf_key *keys;
	size_t nkeys;
	struct oauth_conf_jwks *jwks;
	size_t njwks;
};

/* An endpoint of the provider, as an upstream and a path. */
struct oauth_ep {
	struct conf_upstream up;
	const char *path; /* with the query */
	int set;
	const struct conf_client *cc; /* dial, TLS: set by the build */
};

/* ClientAuthMethod (AILERON's numbers). */
enum oauth_auth {
	OAUTH_AUTH_FORM = 0,
	OAUTH_AUTH_BASIC,
	OAUTH_AUTH_SECRET_JWT,
	OAUTH_AUTH_PKEY_JWT,
	OAUTH_AUTH_TLS,
	OAUTH_AUTH_SELF_TLS
};

/* A signing key: client assertions, request objects. */
struct oauth_signer {
	cjose_jwk_t *jwk;
	const char *alg; /* its JWS alg */
	const char *kid; /* NULL: none in the header */
};

/* ClientRequester: tokenRedeemer, tokenIntrospector. */
struct oauth_conf_req {
	struct conf_ref *round_tripper;
	int auth; /* enum oauth_auth */
	/* built at load */
	const struct conf_client *cc;
	struct oauth_signer *sign; /* ClientSecretJWT, PrivateKeyJWT */
};

/* One Context. */
struct oauth_conf_ctx {
	char *name;
	struct oauth_conf_provider provider;
	struct oauth_conf_client client;
	struct oauth_conf_req redeemer;
	struct oauth_conf_req introspector;
	struct oauth_conf_jwt jwt;
	int introspection;
	char *claims_key;
	char *at_header;
	char *idt_header;
	struct oauth_conf_valid at;
	struct oauth_conf_valid idt;
	/* built at load: NULL when the check is off */
	const char *iss;
	const char *aud;
	struct oauth_ep intro; /* introspection endpoint, when known */
	struct oauth_ep token; /* token endpoint, when known */
	struct oauth_ep authz; /* authorization endpoint, when known */
	struct oauth_ep uinfo; /* userinfo endpoint, when known */
	struct oauth_ep disc;  /* discovery endpoint */
	const struct conf_client *prov_cc; /* provider.roundTripper */
	char *scope;                       /* client.scopes, form-encoded */
	const char *idt_iss, *idt_aud;     /* as iss and aud, for ID tokens */
	int iss_disc, idt_iss_disc;        /* iss: the discovery document's */
};

struct oauth_conf_rs {
	char *header_key;
	int fapi; /* enabledFAPI: certificate-bound tokens, interaction id */
	int set;
};

/* clientCredentialsHandler: no fields. */
struct oauth_conf_cc {
	int set;
};

/* ropcHandler. */
struct oauth_conf_ropc {
	char *redeem_path;
	char *user_key, *pass_key; /* both: credentials from a form body */
	int set;
};

/* authorizationCodeHandler.jarm (ResponseModeMethod: AILERON's numbers). */
enum oauth_jarm_mode {
	OAUTH_JARM_JWT = 0,
	OAUTH_JARM_QUERY,
	OAUTH_JARM_FRAGMENT,
	OAUTH_JARM_FORM_POST
};

struct oauth_conf_jarm {
	int mode; /* enum oauth_jarm_mode */
	struct oauth_conf_jwt jwt;
	int set;
};

/* authorizationCodeHandler.requestObject. */
struct oauth_conf_ro {
	char *uri; /* requestURI: by reference */
	struct oauth_conf_cjwt jwt;
	int32_t exp, nbf;
	int no_cache;
	int set;
	/* built at load */
	char *uri_path;
	struct oauth_signer *sign;
};

/* authorizationCodeHandler (OIDC). */
struct oauth_conf_ac {
	int no_state, no_nonce, no_pkce;
	int pkce_plain; /* PKCEMethod: 0 S256, 1 plain */
	char *login_path;
	char *callback_url;
	char *redirect_path;
	char *redirect_key;
	char *redirect_pattern;
	int to_login, unauthorize_any, restore;
	char **url_params;
	size_t nurl_params;
	char *userinfo_path;
	int fapi;
	struct oauth_conf_jarm jarm;
	struct oauth_conf_ro ro;
	int set;
	/* built at load */
	char *callback_path;
	char *extra; /* urlParams, joined by & */
	regex_t re;
};

struct oauth_authn_conf_spec {
	struct conf_ref *logger;
	struct conf_ref *eh_ref;
	struct oauth_conf_ctx *ctxs;
	size_t nctxs;
	char *query_key;
	char *header_key;
	struct oauth_conf_rs rs;
	struct oauth_conf_cc cc;
	struct oauth_conf_ropc ropc;
	struct oauth_conf_ac ac;
};
#define OAUTH_HTTP_MAX (64 << 10) /* bytes of a provider's answer */

/* An answer of the provider. */
struct oauth_reply {
	int status;
	int json; /* Content-Type says application/json */
	const char *body;
	size_t len;
};

/* Which endpoint oauth_endpoint() gives. */
enum oauth_which {
	OAUTH_EP_INTRO,
	OAUTH_EP_TOKEN,
	OAUTH_EP_AUTHZ,
	OAUTH_EP_USERINFO
};

/* What the token endpoint gave (strings in the arena). */
struct oauth_tokens {
	char *at, *rt, *idt;
	int status;       /* the provider's */
	const char *body; /* its raw answer */
	size_t len;
};

/*
 * Tokens a client credentials or ROPC flow holds (AILERON's OAuthTokens):
 * strings in an arena, or in the worker's cache.
 */
struct oauth_held {
	const char *at, *rt, *idt;
	int64_t at_exp, idt_exp; /* seconds; 0: not known */
	int updated;
};

#define OAUTH_REAUTH  (-2) /* the tokens held will not do: authenticate */
#define OAUTH_E_TOKEN "E3052"

/* ROPC credentials in a form body: a whole body of at most 64 KiB. */
#define OAUTH_MAX_FORM 65536

/* oauth_authn.c */
const struct oauth_conf_ctx *oauth_context(
    const struct oauth_authn_conf_spec *os, const struct request *r);
const struct oauth_conf_ctx *oauth_context_named(
    const struct oauth_authn_conf_spec *os, const char *name, size_t n);
int oauth_refuse(struct request *r, const struct conf_errhandler *eh,
    int status, const char *code, int challenge);
int oauth_path_is(const struct request *r, const char *p);
char *oauth_b64url(struct arena *a, const void *b, size_t n);
char *oauth_random(struct arena *a, size_t n);
char *oauth_query_value(struct request *r, const char *key);
int oauth_redirect(struct request *r, const char *loc);
void oauth_wipe_free(char *s);
int oauth_session_put_json(struct session *ss, const char *key, json_t *o);
int oauth_answer(struct request *r, int status, const char *ctype, int nosniff,
    const char *body, size_t n);

/* oauth_conf.c */
const char *oauth_url_split(const char *url, struct oauth_ep *ep, char *store);

/* oauth_conf_key.c */
extern const struct conf_table oauth_conf_key_table;
extern const struct conf_table oauth_conf_cjwt_table;
void oauth_conf_jwk_free(void *arg);
struct oauth_signer *oauth_conf_signer(
    struct loader *ld, const struct oauth_conf_key *k);

/* oauth_jwt.c */
const struct oauth_alg_name *oauth_alg_named(const char *name);
int oauth_alg_family(int alg);
const char *oauth_alg_str(int alg);
int oauth_claim_time(json_t *claims, const char *name, double *t);
int oauth_aud_has(json_t *aud, const char *want);
json_t *oauth_jws_claims(const struct oauth_conf_jwt *j,
    const struct oauth_conf_valid *v, const char *t, size_t n);
int oauth_validate(const struct oauth_conf_ctx *c, int idt, const char *t,
    size_t n, int64_t *exp, const char *nonce);
char *oauth_sign(const struct oauth_signer *k, json_t *cl, struct arena *a,
    const char *fail);
char *oauth_json_str(struct arena *a, json_t *doc, const char *name);
char *oauth_jwt_claim(struct arena *a, const char *t, size_t len,
    const char *name, const char *member);

/* oauth_provider.c */
void oauth_form_add(char *f, size_t *len, const char *s, size_t n);
int oauth_http(const struct oauth_ep *ep, const char *form, size_t flen,
    const char *auth, char *buf, struct oauth_reply *rep);
const char *oauth_disc_issuer(const struct oauth_conf_ctx *c);
const struct oauth_ep *oauth_endpoint(
    const struct oauth_conf_ctx *c, int which, char *buf);
int oauth_introspect(const struct oauth_conf_ctx *c, struct arena *a,
    const char *t, size_t n, int64_t *exp, char **x5t);
int oauth_token_request(const struct oauth_conf_ctx *c, struct arena *a,
    const char *params, size_t plen, struct oauth_tokens *tk);
void oauth_param(char *f, size_t *len, const char *name, const char *v);
void oauth_scope_add(const struct oauth_conf_ctx *c, char *f, size_t *len);

/* oauth_flows.c */
int oauth_held_check(const struct oauth_conf_ctx *c, struct arena *a,
    struct oauth_held *h, int early, const char *nonce);
void oauth_forward(const struct oauth_conf_ctx *c, struct request *r,
    const struct oauth_held *h);
int oauth_held_save(struct session *ss, const char *key,
    const struct oauth_conf_ctx *c, const struct oauth_held *h);
int oauth_held_session(const struct oauth_authn_conf_spec *os,
    struct session *ss, const char *key, struct arena *a, struct oauth_held *h,
    const struct oauth_conf_ctx **c);
int oauth_cc_try(const struct oauth_authn_conf_spec *os, struct request *r,
    const struct conf_errhandler *eh);
int oauth_ropc_try(const struct oauth_authn_conf_spec *os, struct request *r,
    const struct conf_errhandler *eh);

/* oauth_authcode.c */
int oauth_ac_try(const struct oauth_authn_conf_spec *os, struct request *r,
    const struct conf_errhandler *eh);

/* oauth_fapi.c */
extern const char *const oauth_jarm_modes[];
int oauth_jarm(const struct oauth_conf_ac *ac, const struct oauth_conf_ctx *c,
    struct request *r, char **code, char **state);
char *oauth_ro_make(const struct oauth_conf_ac *ac,
    const struct oauth_conf_ctx *c, struct arena *a, const char *state,
    const char *nonce, const char *ch);
char *oauth_ro_uri(
    const struct oauth_conf_ro *ro, struct arena *a, const char *obj);
int oauth_ro_serve(const struct oauth_conf_ac *ac,
    const struct oauth_conf_ctx *c, struct request *r,
    const struct conf_errhandler *eh);
int oauth_cert_bound(const struct request *r, const char *x5t);
const char *oauth_fapi_id(struct request *r);

#endif
