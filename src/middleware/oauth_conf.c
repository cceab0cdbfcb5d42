/* OAuthAuthenticationHandler config: contexts, providers and the handlers, checked and built at load. */
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include <cjose/cjose.h>
#include <openssl/ssl.h>

#include "arena.h"
#include "conf_table.h"
#include "kind.h"
#include "middleware/oauth_authn.h"
#include "middleware/oauth_internal.h"
#include "tlsclient.h"
#include "upstream.h"

#define OAUTH_MAX_LEEWAY 3600 /* seconds */

static const struct kname oauth_conf_auths[] = {
	{ "FormAuth", OAUTH_AUTH_FORM }, { "BasicAuth", OAUTH_AUTH_BASIC },
	{ "ClientSecretJWT", OAUTH_AUTH_SECRET_JWT },
	{ "PrivateKeyJWT", OAUTH_AUTH_PKEY_JWT },
	{ "TLSClientAuth", OAUTH_AUTH_TLS },
	{ "SelfSignedTLSClientAuth", OAUTH_AUTH_SELF_TLS }, { NULL, 0 }
};

/* Whether an optional object is given (null, as -t writes it, is not). */
static int
oauth_conf_given(yaml_node_t *node)
{
	return node != NULL && !conf_is_null(node);
}

static void
oauth_conf_rs_mark(struct loader *ld, void *obj, yaml_node_t *node)
{
	(void)ld;
	((struct oauth_conf_rs *)obj)->set = oauth_conf_given(node);
}

static const struct conf_field oauth_conf_rs_fields[] = {
	FSTRD("headerKey", struct oauth_conf_rs, header_key, "Authorization"),
	FBOOL("enabledFAPI", struct oauth_conf_rs, fapi),
	FEND,
};
static const struct conf_table oauth_conf_rs_table = { oauth_conf_rs_fields,
	oauth_conf_rs_mark };

static void
oauth_conf_cc_mark(struct loader *ld, void *obj, yaml_node_t *node)
{
	(void)ld;
	((struct oauth_conf_cc *)obj)->set = oauth_conf_given(node);
}

static const struct conf_field oauth_conf_cc_fields[] = {
	FEND,
};
static const struct conf_table oauth_conf_cc_table = { oauth_conf_cc_fields,
	oauth_conf_cc_mark };

static void
oauth_conf_ropc_mark(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct oauth_conf_ropc *o = obj;

	o->set = oauth_conf_given(node);
	if (o->redeem_path != NULL && o->redeem_path[0] != '/' &&
	    o->redeem_path[0] != '\0')
		conf_errorn(ld, conf_field_node(ld, node, "redeemTokenPath"),
		    "redeemTokenPath: a path starting with /");
	if ((o->user_key == NULL || o->user_key[0] == '\0') !=
	    (o->pass_key == NULL || o->pass_key[0] == '\0'))
		conf_errorn(ld, node,
		    "usernameKey and passwordKey: both or neither (AILERON "
		    "would read the Authorization header instead)");
}

static const struct conf_field oauth_conf_ropc_fields[] = {
	FSTR("redeemTokenPath", struct oauth_conf_ropc, redeem_path),
	FSTR("usernameKey", struct oauth_conf_ropc, user_key),
	FSTR("passwordKey", struct oauth_conf_ropc, pass_key),
	FEND,
};
static const struct conf_table oauth_conf_ropc_table = { oauth_conf_ropc_fields,
	oauth_conf_ropc_mark };

static const struct kname oauth_conf_pkce[] = { { "S256", 0 }, { "Plain", 1 },
	{ NULL, 0 } };

static void
oauth_conf_regfree(void *arg)
{
	regfree(arg);
}

/* The path of callbackURL (an absolute URL or a path), or NULL. */
static char *
oauth_conf_url_path(struct loader *ld, const char *u)
{
	const char *p = u;

	if (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0) {
		p = strchr(u, ':') + 3;
		p += strcspn(p, "/?#");
	}
	if (*p != '/')
		return NULL;
	return arena_strndup(ld->arena, p, strcspn(p, "?#"));
}

static void
oauth_conf_ac_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct oauth_conf_ac *a = obj;
	size_t i, n = 0;
	const char *u;

	a->set = oauth_conf_given(node);
	if (!a->set)
		return;
	if (a->callback_url == NULL || a->callback_url[0] == '\0' ||
	    (a->callback_path = oauth_conf_url_path(ld, a->callback_url)) ==
	        NULL)
		conf_errorn(ld, node,
		    "callbackURL: required, an http(s) URL or a path (where "
		    "the provider sends the browser back)");
	for (u = a->callback_url; u != NULL && *u != '\0'; u++)
		if ((unsigned char)*u <= 0x20 || (unsigned char)*u >= 0x7f)
			conf_errorn(ld,
			    conf_field_node(ld, node, "callbackURL"),
			    "callbackURL: a URL without spaces or controls");
	if (regcomp(&a->re,
	        a->redirect_pattern != NULL && a->redirect_pattern[0] != '\0'
	            ? a->redirect_pattern
	            : "^/.*$",
	        REG_EXTENDED | REG_NOSUB) != 0) {
		conf_errorn(ld,
		    conf_field_node(ld, node, "redirectPathPattern"),
		    "redirectPathPattern: not a POSIX extended regular "
		    "expression");
		a->set = 0;
		return;
	}
	conf_at_free(ld, oauth_conf_regfree, &a->re);
	for (i = 0; i < a->nurl_params; i++)
		n += 3 * strlen(a->url_params[i]) + 1;
	a->extra = arena_alloc(ld->arena, n + 1);
	for (i = 0, n = 0; i < a->nurl_params; i++) {
		const char *q;

		if (i > 0)
			a->extra[n++] = '&';
		/* as written, but what would break the URL escaped */
		for (q = a->url_params[i]; *q != '\0'; q++) {
			unsigned char c = (unsigned char)*q;

			if (c <= 0x20 || c >= 0x7f || c == '#') {
				snprintf(a->extra + n, 4, "%%%02X", c);
				n += 3;
			} else
				a->extra[n++] = (char)c;
		}
	}
}

static const struct conf_field oauth_conf_req_fields[] = {
	FFUNCAT(
	    "roundTripper", struct oauth_conf_req, round_tripper, conf_set_ref),
	FENUM(
	    "clientAuthMethod", struct oauth_conf_req, auth, oauth_conf_auths),
	FUNSUP("extraHeader", "not supported (AILERON does not send it)"),
	FUNSUP("extraQuery", "not supported (AILERON does not send it)"),
	FEND,
};
static const struct conf_table oauth_conf_req_table = { oauth_conf_req_fields,
	NULL };

/* JWKs: a mapping of issuers to JWKS URLs. */
static int
oauth_conf_set_jwks(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	struct oauth_conf_jwt *j = obj;
	yaml_node_pair_t *p;
	size_t n;

	(void)f;
	if (conf_is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE) {
		conf_expected(ld, key, v, "a mapping of issuers to JWKS URLs");
		return -1;
	}
	n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
	j->jwks = arena_alloc(ld->arena, (n + 1) * sizeof(*j->jwks));
	for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(ld->doc, p->value);
		struct oauth_conf_jwks *e = &j->jwks[j->njwks];

		if (k->type != YAML_SCALAR_NODE ||
		    val->type != YAML_SCALAR_NODE) {
			conf_expected(
			    ld, key, v, "a mapping of issuers to JWKS URLs");
			return -1;
		}
		e->iss = arena_strdup(ld->arena, conf_sval(k));
		e->url = arena_strdup(ld->arena, conf_sval(val));
		e->ep = NULL;
		j->njwks++;
	}
	return 0;
}

static const struct conf_field oauth_conf_jwt_fields[] = {
	FUNSUP("privateKeys", "not used by resourceServerHandler"),
	FLIST("publicKeys", struct oauth_conf_jwt, keys, nkeys,
	    struct oauth_conf_key, &oauth_conf_key_table),
	FFUNCAT("JWKs", struct oauth_conf_jwt, jwks, oauth_conf_set_jwks),
	FUNSUP("useJKU",
	    "refused: a token must not choose where its keys come from; "
	    "give JWKs"),
	FEND,
};
static const struct conf_table oauth_conf_jwt_table = { oauth_conf_jwt_fields,
	NULL };

static const struct kname oauth_conf_jarm_modes[] = { { "ResponseModeJWT",
	                                                  OAUTH_JARM_JWT },
	{ "ResponseModeQueryJWT", OAUTH_JARM_QUERY },
	{ "ResponseModeFragmentJWT", OAUTH_JARM_FRAGMENT },
	{ "ResponseModeFormPostJWT", OAUTH_JARM_FORM_POST }, { NULL, 0 } };

/* The endpoints of j's JWKS URLs (their HTTPClient is set by the build). */
static void
oauth_conf_jwks_eps(
    struct loader *ld, yaml_node_t *node, struct oauth_conf_jwt *j)
{
	size_t i;

	for (i = 0; i < j->njwks; i++) {
		struct oauth_conf_jwks *w = &j->jwks[i];
		struct oauth_ep *kep = arena_alloc(ld->arena, sizeof(*kep));
		const char *why;
		char *store =
		    arena_alloc(ld->arena, OAUTH_URL_STORE(strlen(w->url)));

		if ((why = oauth_url_split(w->url, kep, store)) != NULL)
			conf_errorn(ld, conf_field_node(ld, node, "jwtHandler"),
			    "jwtHandler.JWKs[%s]: %s: %s", w->iss, w->url, why);
		w->ep = kep;
	}
}

static void
oauth_conf_jarm_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct oauth_conf_jarm *j = obj;

	j->set = oauth_conf_given(node);
	if (j->mode == OAUTH_JARM_FRAGMENT)
		conf_errorn(ld, conf_field_node(ld, node, "responseMode"),
		    "responseMode: ResponseModeFragmentJWT cannot work: a "
		    "browser never sends the fragment to the callback");
	oauth_conf_jwks_eps(ld, node, &j->jwt);
}

static const struct conf_field oauth_conf_jarm_fields[] = {
	FENUM("responseMode", struct oauth_conf_jarm, mode,
	    oauth_conf_jarm_modes),
	FOBJ("jwtHandler", struct oauth_conf_jarm, jwt, &oauth_conf_jwt_table),
	FEND,
};
static const struct conf_table oauth_conf_jarm_table = { oauth_conf_jarm_fields,
	oauth_conf_jarm_check };

static void
oauth_conf_ro_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct oauth_conf_ro *o = obj;

	o->set = oauth_conf_given(node);
	if (!o->set)
		return;
	if (o->jwt.nkeys == 0 || o->jwt.keys[0].jwk == NULL)
		conf_errorn(ld, node,
		    "requestObject.jwtHandler.privateKeys: a key that signs "
		    "the request objects is required");
	else
		o->sign = oauth_conf_signer(ld, &o->jwt.keys[0]);
	if (o->uri != NULL && o->uri[0] != '\0' &&
	    (o->uri_path = oauth_conf_url_path(ld, o->uri)) == NULL)
		conf_errorn(ld, conf_field_node(ld, node, "requestURI"),
		    "requestURI: an http(s) URL where the provider fetches "
		    "the request object");
}

static const struct conf_field oauth_conf_ro_fields[] = {
	FSTR("requestURI", struct oauth_conf_ro, uri),
	FOBJ("jwtHandler", struct oauth_conf_ro, jwt, &oauth_conf_cjwt_table),
	FINT("exp", struct oauth_conf_ro, exp, 0, 3600),
	FINT("nbf", struct oauth_conf_ro, nbf, 0, 3600),
	FBOOL("disableCache", struct oauth_conf_ro, no_cache),
	FEND,
};
static const struct conf_table oauth_conf_ro_table = { oauth_conf_ro_fields,
	oauth_conf_ro_check };

static const struct conf_field oauth_conf_ac_fields[] = {
	FBOOL("disableState", struct oauth_conf_ac, no_state),
	FBOOL("disableNonce", struct oauth_conf_ac, no_nonce),
	FBOOL("disablePKCE", struct oauth_conf_ac, no_pkce),
	FENUM("pkceMethod", struct oauth_conf_ac, pkce_plain, oauth_conf_pkce),
	FSTR("loginPath", struct oauth_conf_ac, login_path),
	FSTR("callbackURL", struct oauth_conf_ac, callback_url),
	FSTR("redirectPath", struct oauth_conf_ac, redirect_path),
	FSTR("redirectKey", struct oauth_conf_ac, redirect_key),
	FSTR("redirectPathPattern", struct oauth_conf_ac, redirect_pattern),
	FBOOL("redirectToLogin", struct oauth_conf_ac, to_login),
	FBOOL("unauthorizeAny", struct oauth_conf_ac, unauthorize_any),
	FBOOL("restoreRequest", struct oauth_conf_ac, restore),
	FSTRS("urlParams", struct oauth_conf_ac, url_params, nurl_params, 0),
	FSTR("userInfoPath", struct oauth_conf_ac, userinfo_path),
	FBOOL("enabledFAPI", struct oauth_conf_ac, fapi),
	FOBJ("requestObject", struct oauth_conf_ac, ro, &oauth_conf_ro_table),
	FOBJ("jarm", struct oauth_conf_ac, jarm, &oauth_conf_jarm_table),
	FEND,
};
static const struct conf_table oauth_conf_ac_table = { oauth_conf_ac_fields,
	oauth_conf_ac_check };

/*
 * clientCredentialsHandler, ropcHandler: members of AILERON's oneof, so
 * null (as -t writes the ones not chosen) leaves them unset.
 */
static int
oauth_conf_set_mode(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	(void)key;
	if (conf_is_null(v))
		return 0;
	return conf_parse_object(ld, v,
	    strcmp(f->name, "ropcHandler") == 0 ? &oauth_conf_ropc_table
	        : strcmp(f->name, "clientCredentialsHandler") == 0
	        ? &oauth_conf_cc_table
	        : &oauth_conf_ac_table,
	    (char *)obj + f->off);
}

/* validMethods: JWS alg names, never none. */
static void
oauth_conf_valid_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct oauth_conf_valid *v = obj;
	size_t i;

	for (i = 0; i < v->nmethods; i++) {
		if (oauth_alg_named(v->methods[i]) == NULL)
			conf_errorn(ld,
			    conf_field_node(ld, node, "validMethods"),
			    "validMethods: unknown or refused algorithm \"%s\" "
			    "(ES256..ES512, HS256..HS512, RS256..RS512, "
			    "PS256..PS512)",
			    v->methods[i]);
	}
}

static const struct conf_field oauth_conf_valid_fields[] = {
	FBOOL("skipUnexpired", struct oauth_conf_valid, skip_unexpired),
	FSTR("iss", struct oauth_conf_valid, iss),
	FSTR("aud", struct oauth_conf_valid, aud),
	FBOOL("expOptional", struct oauth_conf_valid, exp_optional),
	FBOOL("iatDisabled", struct oauth_conf_valid, iat_disabled),
	FINTD("leeway", struct oauth_conf_valid, leeway, 0, OAUTH_MAX_LEEWAY,
	    "5"),
	FSTRS("validMethods", struct oauth_conf_valid, methods, nmethods, 0),
	FEND,
};
static const struct conf_table oauth_conf_valid_table = {
	oauth_conf_valid_fields, oauth_conf_valid_check
};

static const struct conf_field oauth_conf_endpoints_fields[] = {
	FSTR("authorization", struct oauth_conf_endpoints, authorization),
	FSTR("token", struct oauth_conf_endpoints, token),
	FSTR("userinfo", struct oauth_conf_endpoints, userinfo),
	FSTR("introspection", struct oauth_conf_endpoints, introspection),
	FSTR("revocation", struct oauth_conf_endpoints, revocation),
	FSTR("jwks", struct oauth_conf_endpoints, jwks),
	FSTR("discovery", struct oauth_conf_endpoints, discovery),
	FEND,
};
static const struct conf_table oauth_conf_endpoints_table = {
	oauth_conf_endpoints_fields, NULL
};

static const struct conf_field oauth_conf_provider_fields[] = {
	FSTR("issuer", struct oauth_conf_provider, issuer),
	FSTR("baseURL", struct oauth_conf_provider, base_url),
	FOBJ("endpoints", struct oauth_conf_provider, ep,
	    &oauth_conf_endpoints_table),
	FFUNCAT("roundTripper", struct oauth_conf_provider, round_tripper,
	    conf_set_ref),
	FEND,
};
static const struct conf_table oauth_conf_provider_table = {
	oauth_conf_provider_fields, NULL
};

static const struct conf_field oauth_conf_client_fields[] = {
	FSTR("id", struct oauth_conf_client, id),
	FSTR("secret", struct oauth_conf_client, secret),
	FSTR("audience", struct oauth_conf_client, audience),
	FSTRS("scopes", struct oauth_conf_client, scopes, nscopes, 0),
	FOBJ("jwtHandler", struct oauth_conf_client, jwt,
	    &oauth_conf_cjwt_table),
	FEND,
};
static const struct conf_table oauth_conf_client_table = {
	oauth_conf_client_fields, NULL
};

/* Copy s[0..n) and a NUL to *store, moving it on; the copy. */
static char *
oauth_store(char **store, const char *s, size_t n)
{
	char *d = *store;

	memcpy(d, s, n);
	d[n] = '\0';
	*store += n + 1;
	return d;
}

/*
 * Split url (http://host[:port][/path][?query]) into ep, its strings in
 * store (OAUTH_URL_STORE(strlen(url)) bytes at least): NULL, or what is
 * wrong.
 */
const char *
oauth_url_split(const char *url, struct oauth_ep *ep, char *store)
{
	struct conf_hostport hp;
	const char *p, *e, *why;
	size_t n;

	memset(ep, 0, sizeof(*ep));
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return "a URL without spaces, controls or non-ASCII";
	if (strncmp(url, "https://", 8) == 0) {
		ep->up.tls = 1;
		p = url + 8;
	} else if (strncmp(url, "http://", 7) == 0)
		p = url + 7;
	else
		return "not an http:// or https:// URL";
	e = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(e - p)) != NULL)
		return "credentials in the URL are not supported";
	if (e == p ||
	    (why = conf_split_hostport(p, (size_t)(e - p), &hp)) != NULL)
		return "no host in the URL";
	if (hp.hlen == 0 || (hp.port != NULL && hp.plen == 0))
		return "no host in the URL";
	ep->up.url = oauth_store(&store, url, strlen(url));
	ep->up.authority = oauth_store(&store, p, (size_t)(e - p));
	ep->up.host = oauth_store(&store, hp.host, hp.hlen);
	if (hp.port != NULL)
		ep->up.port = oauth_store(&store, hp.port, hp.plen);
	else
		ep->up.port = ep->up.tls ? oauth_store(&store, "443", 3)
		                         : oauth_store(&store, "80", 2);
	ep->path = store;
	if (*e != '/')
		*store++ = '/';
	n = strcspn(e, "#");
	memcpy(store, e, n);
	store[n] = '\0';
	ep->up.weight = 1;
	ep->set = 1;
	return NULL;
}

/* baseURL joined with an endpoint path (an absolute URL stays). */
static char *
oauth_conf_join(struct loader *ld, const char *base, const char *path)
{
	size_t bl, pl = strlen(path);
	char *u;

	if (strncmp(path, "http://", 7) == 0 ||
	    strncmp(path, "https://", 8) == 0 || base == NULL)
		base = "";
	bl = strlen(base);
	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	u = arena_alloc(ld->arena, bl + pl + 2);
	memcpy(u, base, bl);
	if (bl > 0 && path[0] != '/')
		u[bl++] = '/';
	memcpy(u + bl, path, pl + 1);
	return u;
}

/*
 * Build endpoint path of the provider, when given, into ep: 1, 0 when
 * not given, -1 after reporting.
 */
static int
oauth_conf_ep(struct loader *ld, yaml_node_t *node, const char *base,
    const char *path, const char *what, struct oauth_ep *ep)
{
	const char *url, *why;
	char *store;

	if (path == NULL || path[0] == '\0')
		return 0;
	url = oauth_conf_join(ld, base, path);
	store = arena_alloc(ld->arena, OAUTH_URL_STORE(strlen(url)));
	if ((why = oauth_url_split(url, ep, store)) != NULL) {
		conf_errorn(ld, conf_field_node(ld, node, "provider"),
		    "provider.endpoints.%s: %s: %s", what, url, why);
		return -1;
	}
	conf_upstream_resolve(ld, &ep->up);
	return 1;
}

/* The first of a, b, c written; NULL when none or "-" (check off). */
static const char *
oauth_conf_check_on(const char *a, const char *b, const char *c)
{
	const char *v = a;

	if (v == NULL || v[0] == '\0')
		v = b;
	if (v == NULL || v[0] == '\0')
		v = c;
	return v != NULL && v[0] != '\0' && strcmp(v, "-") != 0 ? v : NULL;
}

static void
oauth_conf_scope(struct loader *ld, struct oauth_conf_ctx *c)
{
	size_t i, n = 0, len = 0;

	for (i = 0; i < c->client.nscopes; i++)
		n += 3 * strlen(c->client.scopes[i]) + 3;
	c->scope = arena_alloc(ld->arena, n + 1);
	for (i = 0; i < c->client.nscopes; i++) {
		if (i > 0) {
			memcpy(c->scope + len, "%20", 3);
			len += 3;
		}
		oauth_form_add(c->scope, &len, c->client.scopes[i],
		    strlen(c->client.scopes[i]));
	}
	c->scope[len] = '\0';
}

/*
 * The key that signs q's client assertions (ClientSecretJWT: an HS* key
 * of client.jwtHandler.privateKeys, else HS256 with client.secret;
 * PrivateKeyJWT: an RS*, PS* or ES* key there), as AILERON's client
 * jwtHandler: the first that fits.
 */
static void
oauth_conf_assert(struct loader *ld, yaml_node_t *node,
    struct oauth_conf_ctx *c, struct oauth_conf_req *q, const char *what)
{
	const struct oauth_conf_cjwt *j = &c->client.jwt;
	int hmac = q->auth == OAUTH_AUTH_SECRET_JWT;
	cjose_err err;
	size_t i;

	if (q->auth != OAUTH_AUTH_SECRET_JWT && q->auth != OAUTH_AUTH_PKEY_JWT)
		return;
	for (i = 0; i < j->nkeys; i++)
		if (j->keys[i].jwk != NULL &&
		    (j->keys[i].family == OAUTH_FAM_HMAC) == hmac) {
			q->sign = oauth_conf_signer(ld, &j->keys[i]);
			return;
		}
	if (hmac && c->client.secret != NULL && c->client.secret[0] != '\0') {
		q->sign = arena_alloc(ld->arena, sizeof(*q->sign));
		q->sign->jwk =
		    cjose_jwk_create_oct_spec((const uint8_t *)c->client.secret,
		        strlen(c->client.secret), &err);
		if (q->sign->jwk != NULL) {
			conf_at_free(ld, oauth_conf_jwk_free, q->sign->jwk);
			q->sign->alg = "HS256";
			q->sign->kid = NULL;
			return;
		}
	}
	conf_errorn(ld, conf_field_node(ld, node, what),
	    hmac ? "%s.clientAuthMethod: ClientSecretJWT needs client.secret "
	           "or an HS256, HS384 or HS512 key (keyType COMMON) in "
	           "client.jwtHandler.privateKeys"
	         : "%s.clientAuthMethod: PrivateKeyJWT needs an RS*, PS* or "
	           "ES* key (keyType PRIVATE) in "
	           "client.jwtHandler.privateKeys",
	    what);
}

/* The checks in force: AILERON's defaults, "-" switches one off. */
static void
oauth_conf_ctx_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct oauth_conf_ctx *c = obj;
	const struct oauth_conf_endpoints *ep = &c->provider.ep;

	oauth_conf_jwks_eps(ld, node, &c->jwt);
	(void)oauth_conf_ep(ld, node, c->provider.base_url, ep->discovery,
	    "discovery", &c->disc);
	(void)oauth_conf_ep(
	    ld, node, c->provider.base_url, ep->token, "token", &c->token);
	(void)oauth_conf_ep(ld, node, c->provider.base_url, ep->authorization,
	    "authorization", &c->authz);
	(void)oauth_conf_ep(ld, node, c->provider.base_url, ep->userinfo,
	    "userinfo", &c->uinfo);
	if (c->introspection &&
	    oauth_conf_ep(ld, node, c->provider.base_url, ep->introspection,
	        "introspection", &c->intro) == 0 &&
	    !c->disc.set)
		conf_errorn(ld,
		    conf_field_node(ld, node, "enableIntrospection"),
		    "enableIntrospection: needs "
		    "provider.endpoints.introspection or discovery");
	oauth_conf_scope(ld, c);
	oauth_conf_assert(ld, node, c, &c->redeemer, "tokenRedeemer");
	if (c->introspection)
		oauth_conf_assert(
		    ld, node, c, &c->introspector, "tokenIntrospector");
	c->idt_iss = oauth_conf_check_on(c->idt.iss, c->provider.issuer, NULL);
	c->idt_aud =
	    oauth_conf_check_on(c->idt.aud, c->client.audience, c->client.id);
	c->iss = oauth_conf_check_on(c->at.iss, c->provider.issuer, NULL);
	c->aud =
	    oauth_conf_check_on(c->at.aud, c->client.audience, c->client.id);
	/* no issuer given ("-" is one): the discovery document's */
	c->iss_disc = c->iss == NULL && c->disc.set &&
	    (c->at.iss == NULL || c->at.iss[0] == '\0');
	c->idt_iss_disc = c->idt_iss == NULL && c->disc.set &&
	    (c->idt.iss == NULL || c->idt.iss[0] == '\0');
}

static const struct conf_field oauth_conf_ctx_fields[] = {
	FSTRD("name", struct oauth_conf_ctx, name, "default"),
	FOBJ("provider", struct oauth_conf_ctx, provider,
	    &oauth_conf_provider_table),
	FOBJ("client", struct oauth_conf_ctx, client, &oauth_conf_client_table),
	FOBJ("tokenRedeemer", struct oauth_conf_ctx, redeemer,
	    &oauth_conf_req_table),
	FOBJ("tokenIntrospector", struct oauth_conf_ctx, introspector,
	    &oauth_conf_req_table),
	FOBJ("jwtHandler", struct oauth_conf_ctx, jwt, &oauth_conf_jwt_table),
	FBOOL("enableIntrospection", struct oauth_conf_ctx, introspection),
	FSTRD("claimsKey", struct oauth_conf_ctx, claims_key, "AuthnClaims"),
	FSTR("atProxyHeader", struct oauth_conf_ctx, at_header),
	FSTR("idtProxyHeader", struct oauth_conf_ctx, idt_header),
	FOBJ(
	    "atValidation", struct oauth_conf_ctx, at, &oauth_conf_valid_table),
	FOBJ("idtValidation", struct oauth_conf_ctx, idt,
	    &oauth_conf_valid_table),
	FEND,
};
static const struct conf_table oauth_conf_ctx_table = { oauth_conf_ctx_fields,
	oauth_conf_ctx_check };

/* A field name fit for an HTTP header (a token), or NULL. */
static int
oauth_conf_token(const char *s)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		        (*s >= 'A' && *s <= 'Z') || strchr(extra, *s) != NULL))
			return 0;
	return 1;
}

static void
oauth_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct oauth_authn_conf_spec *os = obj;
	int modes = os->rs.set + os->cc.set + os->ropc.set + os->ac.set;
	const char *mode = os->cc.set ? "clientCredentialsHandler"
	    : os->ropc.set            ? "ropcHandler"
	                              : "authorizationCodeHandler";
	size_t i, j;

	if (modes == 0) {
		conf_errorn(ld, node,
		    "one of authorizationCodeHandler, "
		    "clientCredentialsHandler, "
		    "resourceServerHandler and ropcHandler is required");
		return;
	}
	if (modes > 1) {
		conf_errorn(ld, node,
		    "only one of authorizationCodeHandler, "
		    "clientCredentialsHandler, resourceServerHandler and "
		    "ropcHandler may be given");
		return;
	}
	for (i = 0; !os->rs.set && i < os->nctxs; i++) {
		const struct oauth_conf_ctx *c = &os->ctxs[i];

		if (!c->token.set && !c->disc.set)
			conf_errorn(ld, node,
			    "contexts[%zu]: %s needs provider.endpoints.token "
			    "or "
			    "provider.endpoints.discovery",
			    i, mode);
		if (os->ac.set && !c->authz.set && !c->disc.set)
			conf_errorn(ld, node,
			    "contexts[%zu]: %s needs "
			    "provider.endpoints.authorization or "
			    "provider.endpoints.discovery",
			    i, mode);
		if (os->ac.set && os->ac.userinfo_path != NULL &&
		    os->ac.userinfo_path[0] != '\0' && !c->uinfo.set &&
		    !c->disc.set)
			conf_errorn(ld, node,
			    "contexts[%zu]: userInfoPath needs "
			    "provider.endpoints.userinfo or "
			    "provider.endpoints.discovery",
			    i);
	}
	if (os->rs.set && !oauth_conf_token(os->rs.header_key))
		conf_errorn(ld, node,
		    "resourceServerHandler.headerKey: not a header name");
	for (i = 0; i < os->nctxs; i++) {
		const struct oauth_conf_ctx *c = &os->ctxs[i];

		if (c->at_header != NULL && c->at_header[0] != '\0' &&
		    !oauth_conf_token(c->at_header))
			conf_errorn(ld, node,
			    "contexts[%zu].atProxyHeader: not a header name",
			    i);
		if (c->idt_header != NULL && c->idt_header[0] != '\0' &&
		    !oauth_conf_token(c->idt_header))
			conf_errorn(ld, node,
			    "contexts[%zu].idtProxyHeader: not a header name",
			    i);
		for (j = 0; j < i; j++)
			if (strcmp(os->ctxs[j].name, c->name) == 0)
				conf_errorn(ld, node,
				    "contexts[%zu]: a second context named "
				    "\"%s\"",
				    i, c->name);
	}
}

static const struct conf_field oauth_conf_fields[] = {
	FFUNCAT("logger", struct oauth_authn_conf_spec, logger, conf_set_ref),
	FFUNCAT(
	    "errorHandler", struct oauth_authn_conf_spec, eh_ref, conf_set_ref),
	FLIST("contexts", struct oauth_authn_conf_spec, ctxs, nctxs,
	    struct oauth_conf_ctx, &oauth_conf_ctx_table),
	FSTR("contextQueryKey", struct oauth_authn_conf_spec, query_key),
	FSTR("contextHeaderKey", struct oauth_authn_conf_spec, header_key),
	FFUNCAT("authorizationCodeHandler", struct oauth_authn_conf_spec, ac,
	    oauth_conf_set_mode),
	FFUNCAT("clientCredentialsHandler", struct oauth_authn_conf_spec, cc,
	    oauth_conf_set_mode),
	FFUNCAT("ropcHandler", struct oauth_authn_conf_spec, ropc,
	    oauth_conf_set_mode),
	FOBJD("resourceServerHandler", struct oauth_authn_conf_spec, rs,
	    &oauth_conf_rs_table, "{}"),
	FEND,
};
static const struct conf_table oauth_conf_table = { oauth_conf_fields,
	oauth_conf_check };

static void
oauth_conf_ssl_free(void *arg)
{
	SSL_CTX_free(arg);
}

/*
 * The client of one requester: a copy of the HTTPClient ref names (its
 * timeouts, tlsConfig), else the defaults; with an SSL_CTX of its own when
 * tls (an https endpoint, or one discovery may give).
 */
static const struct conf_client *
oauth_conf_client(struct loader *ld, struct conf_doc *doc,
    const struct conf_ref *ref, int tls)
{
	struct conf_client *cc = arena_alloc(ld->arena, sizeof(*cc));
	struct conf_doc *d;

	cc->id = doc->id;
	cc->dial_timeout = UPSTREAM_DIAL_TIMEOUT_MS;
	cc->tls_handshake_timeout = UPSTREAM_TLS_TIMEOUT_MS;
	if (ref != NULL &&
	    (d = conf_resolve_ref(ld, ref, KIND_ROLE_CLIENT)) != NULL) {
		*cc = *(const struct conf_client *)d->obj;
		if (cc->dial_timeout <= 0)
			cc->dial_timeout = UPSTREAM_DIAL_TIMEOUT_MS;
		if (cc->tls_handshake_timeout <= 0)
			cc->tls_handshake_timeout = UPSTREAM_TLS_TIMEOUT_MS;
	}
	cc->disable_keep_alives = 1;
	cc->tls_ctx = NULL;
	if (tls) {
		cc->tls_ctx =
		    tlsclient_ctx_new(cc->id, cc->tls.set ? &cc->tls : NULL);
		if (cc->tls_ctx == NULL)
			conf_error(ld, &doc->pos,
			    "%s: cannot set up TLS to the provider (see above)",
			    doc->id);
		else
			conf_at_free(ld, oauth_conf_ssl_free, cc->tls_ctx);
	}
	return cc;
}

/* Whether one of j's JWKS URLs is https. */
static int
oauth_conf_jwks_tls(const struct oauth_conf_jwt *j)
{
	size_t i;

	for (i = 0; i < j->njwks; i++)
		if (j->jwks[i].ep != NULL &&
		    ((struct oauth_ep *)j->jwks[i].ep)->up.tls)
			return 1;
	return 0;
}

/* j's JWKS are fetched with cc. */
static void
oauth_conf_jwks_cc(struct oauth_conf_jwt *j, const struct conf_client *cc)
{
	size_t i;

	for (i = 0; i < j->njwks; i++)
		if (j->jwks[i].ep != NULL)
			((struct oauth_ep *)j->jwks[i].ep)->cc = cc;
}

/* jarm.jwtHandler.JWKs: fetched with the defaults (AILERON: Go's). */
static void
oauth_conf_jarm_build(
    struct loader *ld, struct conf_doc *doc, struct oauth_conf_jwt *j)
{
	if (j->njwks > 0)
		oauth_conf_jwks_cc(j,
		    oauth_conf_client(ld, doc, NULL, oauth_conf_jwks_tls(j)));
}

static void
oauth_conf_build(struct loader *ld, struct conf_doc *doc)
{
	struct oauth_authn_conf_spec *os = doc->obj;
	size_t i;

	if (os->logger != NULL)
		(void)conf_resolve_ref(ld, os->logger, KIND_ROLE_LOGGER);
	if (os->eh_ref != NULL)
		(void)conf_resolve_ref(ld, os->eh_ref, KIND_ROLE_ERRHANDLER);
	oauth_conf_jarm_build(ld, doc, &os->ac.jarm.jwt);
	for (i = 0; i < os->nctxs; i++) {
		struct oauth_conf_ctx *c = &os->ctxs[i];
		int disc = c->disc.set,
		    tls = c->disc.up.tls || c->uinfo.up.tls ||
		    oauth_conf_jwks_tls(&c->jwt);

		c->prov_cc =
		    oauth_conf_client(ld, doc, c->provider.round_tripper, tls);
		c->disc.cc = c->prov_cc;
		c->uinfo.cc = c->prov_cc;
		oauth_conf_jwks_cc(&c->jwt, c->prov_cc);
		c->redeemer.cc =
		    oauth_conf_client(ld, doc, c->redeemer.round_tripper,
		        !os->rs.set && (disc || c->token.up.tls));
		c->token.cc = c->redeemer.cc;
		c->introspector.cc =
		    oauth_conf_client(ld, doc, c->introspector.round_tripper,
		        c->introspection && (disc || c->intro.up.tls));
		c->intro.cc = c->introspector.cc;
	}
}

const struct kind oauth_authn_conf_kind = {
	.api_version = "app/v1",
	.kind = "OAuthAuthenticationHandler",
	.roles = KIND_ROLE_AUTHN,
	.table = &oauth_conf_table,
	.size = sizeof(struct oauth_authn_conf_spec),
	.id_off = KIND_NO_OFF,
	.eh_off = KIND_NO_OFF,
	.build = oauth_conf_build,
};
