/* OAuthAuthenticationHandler flows holding tokens: client credentials (per worker) and ROPC (session). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "arena.h"
#include "errpage.h"
#include "log.h"
#include "middleware.h"
#include "middleware/authn.h"
#include "middleware/form.h"
#include "middleware/oauth_authn.h"
#include "middleware/oauth_internal.h"
#include "request.h"
#include "session.h"

#define OAUTH_CC_EARLY 5 /* seconds before exp a cached token is replaced */

/* An access token: 0 when good (*exp set), else 401, or 500 (provider). */
static int
oauth_at_check(const struct oauth_conf_ctx *c, struct arena *a, const char *at,
    int64_t *exp)
{
	if (c->introspection)
		return oauth_introspect(c, a, at, strlen(at), exp, NULL);
	return oauth_validate(c, 0, at, strlen(at), exp, NULL) == 0 ? 0 : 401;
}

/*
 * AILERON's validOauthClaims: check the tokens h holds; an access token
 * that will not do is refreshed with the refresh token, if any (early:
 * also one expiring within OAUTH_CC_EARLY seconds).  0 when good,
 * OAUTH_REAUTH, or a status to answer (401, 500).
 */
int
oauth_held_check(const struct oauth_conf_ctx *c, struct arena *a,
    struct oauth_held *h, int early, const char *nonce)
{
	int64_t now = (int64_t)time(NULL);
	struct oauth_tokens tk;
	size_t plen = 0;
	char *params;
	int st;

	if (h->at == NULL && h->idt == NULL)
		return OAUTH_REAUTH;
	if (h->at != NULL) {
		if (early && h->at_exp > 0 && now + OAUTH_CC_EARLY >= h->at_exp)
			st = 401;
		else if (c->at.skip_unexpired && now < h->at_exp)
			st = 0;
		else
			st = oauth_at_check(c, a, h->at, &h->at_exp);
		if (st == 500)
			return 500;
		if (st != 0) {
			if (h->rt == NULL)
				return OAUTH_REAUTH;
			params = arena_alloc(a, 3 * strlen(h->rt) + 64);
			oauth_param(
			    params, &plen, "grant_type", "refresh_token");
			oauth_param(params, &plen, "refresh_token", h->rt);
			st = oauth_token_request(c, a, params, plen, &tk);
			OPENSSL_cleanse(params, plen);
			if (st == 401)
				return OAUTH_REAUTH;
			if (st != 0)
				return st;
			h->updated = 1;
			h->at = tk.at;
			h->rt = tk.rt;
			if (tk.idt != NULL)
				h->idt = tk.idt;
			if (h->at == NULL)
				return OAUTH_REAUTH;
			if ((st = oauth_at_check(c, a, h->at, &h->at_exp)) != 0)
				return st == 500 ? 500 : OAUTH_REAUTH;
		}
	}
	if (h->idt != NULL && !(c->idt.skip_unexpired && now < h->idt_exp)) {
		if (oauth_validate(c, 1, h->idt, strlen(h->idt), &h->idt_exp,
		        nonce) != 0) {
			log_debug(
			    "E3050 OAuthAuthenticationHandler: invalid ID "
			    "token");
			return 401;
		}
	}
	return 0;
}

/* Hand the tokens to the upstream: atProxyHeader, idtProxyHeader. */
void
oauth_forward(const struct oauth_conf_ctx *c, struct request *r,
    const struct oauth_held *h)
{
	if (c->at_header != NULL && c->at_header[0] != '\0' && h->at != NULL)
		request_proxy_header(r, c->at_header, strlen(c->at_header),
		    h->at, strlen(h->at));
	if (c->idt_header != NULL && c->idt_header[0] != '\0' && h->idt != NULL)
		request_proxy_header(r, c->idt_header, strlen(c->idt_header),
		    h->idt, strlen(h->idt));
}

/*
 * clientCredentialsHandler: each worker keeps the access token of each
 * context (and its refresh token) and asks for a new one when it will
 * not do.
 */

#define OAUTH_CC_SLOTS 16

struct oauth_cc_slot {
	const struct oauth_conf_ctx *c;
	char *at, *rt; /* malloc'd */
	int64_t at_exp;
};
static struct oauth_cc_slot oauth_cc[OAUTH_CC_SLOTS];

/* Keep what h holds in slot d (NULL: no room, nothing kept). */
static void
oauth_cc_keep(struct oauth_cc_slot *d, const struct oauth_held *h)
{
	if (d == NULL)
		return;
	if (d->at != NULL && d->at != h->at) {
		oauth_wipe_free(d->at);
		d->at = NULL;
	}
	if (d->rt != NULL && d->rt != h->rt) {
		oauth_wipe_free(d->rt);
		d->rt = NULL;
	}
	if (d->at == NULL && h->at != NULL)
		d->at = strdup(h->at);
	if (d->rt == NULL && h->rt != NULL)
		d->rt = strdup(h->rt);
	d->at_exp = h->at_exp;
}

int
oauth_cc_try(const struct oauth_authn_conf_spec *os, struct request *r,
    const struct conf_errhandler *eh)
{
	const struct oauth_conf_ctx *c;
	struct oauth_cc_slot *d = NULL;
	struct oauth_held h;
	struct oauth_tokens tk;
	size_t i, plen = 0;
	char *params;
	int st;

	if ((c = oauth_context(os, r)) == NULL)
		return oauth_refuse(r, eh, 401, ERRPAGE_AUTHN, 0);
	for (i = 0; i < OAUTH_CC_SLOTS && d == NULL; i++)
		if (oauth_cc[i].c == c || oauth_cc[i].c == NULL) {
			d = &oauth_cc[i];
			d->c = c;
		}
	memset(&h, 0, sizeof(h));
	if (d != NULL) {
		h.at = d->at;
		h.rt = d->rt;
		h.at_exp = d->at_exp;
	}
	st = oauth_held_check(c, r->arena, &h, 1, NULL);
	if (st == 0) {
		if (h.updated)
			oauth_cc_keep(d, &h);
		oauth_forward(c, r, &h);
		return HANDLER_DECLINED;
	}
	if (st != OAUTH_REAUTH)
		return oauth_refuse(r, eh, st, OAUTH_E_TOKEN, 0);
	params = arena_alloc(r->arena, strlen(c->scope) + 64);
	oauth_param(params, &plen, "grant_type", "client_credentials");
	oauth_scope_add(c, params, &plen);
	if ((st = oauth_token_request(c, r->arena, params, plen, &tk)) != 0)
		return oauth_refuse(r, eh, st, OAUTH_E_TOKEN, 0);
	memset(&h, 0, sizeof(h));
	h.at = tk.at;
	h.rt = tk.rt;
	if (h.at == NULL ||
	    (st = oauth_at_check(c, r->arena, h.at, &h.at_exp)) != 0) {
		log_warn("E3050 OAuthAuthenticationHandler: the access token "
		         "of the client credentials flow is not valid");
		return oauth_refuse(
		    r, eh, st == 500 ? 500 : 401, ERRPAGE_AUTHN, 0);
	}
	oauth_cc_keep(d, &h);
	oauth_forward(c, r, &h);
	return HANDLER_DECLINED;
}

/*
 * ropcHandler: the tokens live in the session (SessionMiddleware) under
 * "_ropc", as AILERON's OAuthTokens JSON.
 */

#define OAUTH_ROPC_KEY "_ropc"

/* h as AILERON's OAuthTokens (claims not kept), or NULL. */
static json_t *
oauth_held_obj(const struct oauth_conf_ctx *c, const struct oauth_held *h)
{
	return json_pack("{s:s, s:s, s:I, s:n, s:s, s:I, s:n, s:s}", "context",
	    c->name, "idt", h->idt != NULL ? h->idt : "", "idt_exp",
	    (json_int_t)h->idt_exp, "idt_claims", "at",
	    h->at != NULL ? h->at : "", "at_exp", (json_int_t)h->at_exp,
	    "at_claims", "rt", h->rt != NULL ? h->rt : "");
}

/* The JSON of h as AILERON's OAuthTokens (claims not kept); malloc'd. */
static char *
oauth_held_json(const struct oauth_conf_ctx *c, const struct oauth_held *h)
{
	json_t *o = oauth_held_obj(c, h);
	char *js = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return js;
}

/* The tokens the session holds under key, their context: 0, or -1. */
static int
oauth_held_restore(const struct oauth_authn_conf_spec *os,
    const struct session *ss, const char *key, struct arena *a,
    struct oauth_held *h, const struct oauth_conf_ctx **c)
{
	const unsigned char *v;
	const char *name;
	json_t *o, *e;
	size_t n;

	memset(h, 0, sizeof(*h));
	if ((v = session_get(ss, key, &n)) == NULL)
		return -1;
	o = json_loadb((const char *)v, n, 0, NULL);
	name = json_string_value(json_object_get(o, "context"));
	*c = name != NULL ? oauth_context_named(os, name, strlen(name)) : NULL;
	if (!json_is_object(o) || *c == NULL) {
		json_decref(o);
		return -1;
	}
	h->at = oauth_json_str(a, o, "at");
	h->rt = oauth_json_str(a, o, "rt");
	h->idt = oauth_json_str(a, o, "idt");
	if (json_is_integer(e = json_object_get(o, "at_exp")))
		h->at_exp = (int64_t)json_integer_value(e);
	if (json_is_integer(e = json_object_get(o, "idt_exp")))
		h->idt_exp = (int64_t)json_integer_value(e);
	json_decref(o);
	return 0;
}

/* Keep h in the session; -1 when it does not fit. */
int
oauth_held_save(struct session *ss, const char *key,
    const struct oauth_conf_ctx *c, const struct oauth_held *h)
{
	int rc = oauth_session_put_json(ss, key, oauth_held_obj(c, h));

	if (rc < 0)
		log_warn("OAuthAuthenticationHandler: the tokens do not fit in "
		         "the session");
	return rc;
}

/*
 * The tokens session ss holds under key, checked (oauth_held_check) and
 * kept again when refreshed: 0 with *h and *c set; -1 when it holds none;
 * OAUTH_REAUTH when they will not do (dropped from the session); else the
 * status to refuse with (500 also when they no longer fit).
 */
int
oauth_held_session(const struct oauth_authn_conf_spec *os, struct session *ss,
    const char *key, struct arena *a, struct oauth_held *h,
    const struct oauth_conf_ctx **c)
{
	int st;

	if (oauth_held_restore(os, ss, key, a, h, c) != 0)
		return -1;
	if ((st = oauth_held_check(*c, a, h, 0, NULL)) != 0) {
		session_delete(ss, key);
		return st;
	}
	if (h->updated && oauth_held_save(ss, key, *c, h) < 0)
		return 500;
	return 0;
}

/* The redeemTokenPath answers JSON. */
#define OAUTH_ROPC_TYPE "application/json; charset=utf-8"

/*
 * The username and password of an ROPC request into the arena: from the
 * form fields usernameKey and passwordKey of a POST, PUT or PATCH body
 * (Go's PostFormValue) when both are set, else from Authorization:
 * Basic.  0, or -1 when missing or empty.
 */
static int
oauth_ropc_credentials(const struct oauth_authn_conf_spec *os,
    struct request *r, char **u, size_t *ulen, char **pw, size_t *plen)
{
	const char *v, *user, *pass, *m = r->buf + r->msg->method.off;
	size_t n, ml = r->msg->method.len;
	char *buf;

	if (os->ropc.user_key != NULL && os->ropc.user_key[0] != '\0') {
		if (!((ml == 4 && memcmp(m, "POST", 4) == 0) ||
		        (ml == 3 && memcmp(m, "PUT", 3) == 0) ||
		        (ml == 5 && memcmp(m, "PATCH", 5) == 0)) ||
		    mw_body_gather(r, OAUTH_MAX_FORM) < 0 ||
		    (user = mw_form_value(r, os->ropc.user_key, ulen)) ==
		        NULL ||
		    (pass = mw_form_value(r, os->ropc.pass_key, plen)) ==
		        NULL ||
		    *ulen == 0 || *plen == 0)
			return -1;
		*u = arena_strndup(r->arena, user, *ulen);
		*pw = arena_strndup(r->arena, pass, *plen);
		OPENSSL_cleanse((char *)(uintptr_t)pass, *plen);
		return 0;
	}
	if ((v = authn_header(r, "Authorization", &n)) == NULL)
		return -1;
	buf = arena_alloc(r->arena, n + 1);
	if (authn_basic_parse(v, n, buf, &user, ulen, &pass, plen) < 0 ||
	    *ulen == 0 || *plen == 0) {
		OPENSSL_cleanse(buf, n);
		return -1;
	}
	*u = arena_strndup(r->arena, user, *ulen);
	*pw = arena_strndup(r->arena, pass, *plen);
	OPENSSL_cleanse(buf, n);
	return 0;
}

/* Exchange the client's Basic credentials at the token endpoint. */
static int
oauth_ropc_exchange(const struct oauth_authn_conf_spec *os,
    const struct oauth_conf_ctx *c, struct request *r,
    const struct conf_errhandler *eh, struct session *ss)
{
	struct oauth_tokens tk;
	struct oauth_held h;
	size_t ulen, plen, flen = 0;
	char *u, *pw, *params;
	int st;

	if (oauth_ropc_credentials(os, r, &u, &ulen, &pw, &plen) < 0)
		return oauth_refuse(r, eh, 401, ERRPAGE_AUTHN, 0);
	params =
	    arena_alloc(r->arena, 3 * (ulen + plen) + strlen(c->scope) + 64);
	oauth_param(params, &flen, "grant_type", "password");
	oauth_param(params, &flen, "username", u);
	oauth_param(params, &flen, "password", pw);
	OPENSSL_cleanse(pw, plen);
	oauth_scope_add(c, params, &flen);
	st = oauth_token_request(c, r->arena, params, flen, &tk);
	OPENSSL_cleanse(params, flen);
	if (st != 0)
		return oauth_refuse(r, eh, st, OAUTH_E_TOKEN, 0);
	memset(&h, 0, sizeof(h));
	h.at = tk.at;
	h.rt = tk.rt;
	h.idt = tk.idt;
	if ((st = oauth_held_check(c, r->arena, &h, 0, NULL)) != 0) {
		log_debug("E3050 OAuthAuthenticationHandler: the tokens of the "
		          "password flow are not valid");
		return oauth_refuse(
		    r, eh, st == 500 ? 500 : 401, ERRPAGE_AUTHN, 0);
	}
	if (oauth_held_save(ss, OAUTH_ROPC_KEY, c, &h) < 0)
		return oauth_refuse(r, eh, 500, ERRPAGE_AUTHN, 0);
	oauth_forward(c, r, &h);
	if (oauth_path_is(r, os->ropc.redeem_path))
		return oauth_answer(
		    r, tk.status, OAUTH_ROPC_TYPE, 1, tk.body, tk.len);
	return HANDLER_DECLINED;
}

int
oauth_ropc_try(const struct oauth_authn_conf_spec *os, struct request *r,
    const struct conf_errhandler *eh)
{
	struct session *ss = session_of(r);
	const struct oauth_conf_ctx *c;
	struct oauth_held h;
	int st;

	if (ss == NULL) /* AILERON: no session, the next handler's turn */
		return OAUTH_AUTHN_CONTINUE;
	st = oauth_held_session(os, ss, OAUTH_ROPC_KEY, r->arena, &h, &c);
	if (st == 0) {
		char *js;
		int rc;

		oauth_forward(c, r, &h);
		if (!oauth_path_is(r, os->ropc.redeem_path))
			return HANDLER_DECLINED;
		if ((js = oauth_held_json(c, &h)) == NULL)
			return oauth_refuse(r, eh, 500, ERRPAGE_AUTHN, 0);
		rc = oauth_answer(r, 200, OAUTH_ROPC_TYPE, 1, js, strlen(js));
		oauth_wipe_free(js);
		return rc;
	}
	if (st == -1)
		session_delete(ss, OAUTH_ROPC_KEY);
	else if (st != OAUTH_REAUTH)
		return oauth_refuse(r, eh, st, ERRPAGE_AUTHN, 0);
	if ((c = oauth_context(os, r)) == NULL)
		return OAUTH_AUTHN_CONTINUE;
	return oauth_ropc_exchange(os, c, r, eh, ss);
}
