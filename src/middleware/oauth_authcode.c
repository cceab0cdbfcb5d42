/* OAuthAuthenticationHandler authorizationCodeHandler: OIDC login, callback, restoreRequest, userinfo. */
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "arena.h"
#include "errpage.h"
#include "http.h"
#include "http_parse.h"
#include "kenc.h"
#include "log.h"
#include "middleware.h"
#include "middleware/form.h"
#include "middleware/oauth_authn.h"
#include "middleware/oauth_internal.h"
#include "request.h"
#include "proxy.h"
#include "response.h"
#include "session.h"

/*
 * authorizationCodeHandler: OIDC login through the browser.  The session
 * holds the tokens under "__authzCode" (OAuthTokens), the login's state,
 * nonce and PKCE verifier under "_csrf" and the page to return to under
 * "_authzCodeRed", as AILERON names them.
 */

#define OAUTH_AC_KEY  "__authzCode"
#define OAUTH_AC_RED  "_authzCodeRed"
#define OAUTH_AC_CSRF "_csrf"
#define OAUTH_AC_CALL "_authzCodeCall" /* enabledFAPI: the callback path */

/* The S256 challenge of a PKCE verifier. */
static char *
oauth_challenge(struct arena *a, const char *verifier)
{
	unsigned char d[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)verifier, strlen(verifier), d);
	return oauth_b64url(a, d, sizeof(d));
}

/* Where to return after the login: a path redirectPathPattern allows. */
static int
oauth_ac_rd_ok(const struct oauth_conf_ac *ac, const char *rd)
{
	const char *p;

	for (p = rd; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	/* "//host" and "/\host" leave the site: never (an open redirect) */
	if (rd[0] == '/' && (rd[1] == '/' || rd[1] == '\\'))
		return 0;
	return regexec(&ac->re, rd, 0, NULL, 0) == 0;
}

/* Keep state, nonce and verifier (JSON as AILERON's csrfStates). */
static int
oauth_ac_keep_csrf(
    struct session *ss, const char *state, const char *nonce, const char *ver)
{
	json_t *o = json_object();

	if (state != NULL)
		json_object_set_new(o, "s", json_string(state));
	if (nonce != NULL)
		json_object_set_new(o, "n", json_string(nonce));
	if (ver != NULL)
		json_object_set_new(o, "v", json_string(ver));
	return oauth_session_put_json(ss, OAUTH_AC_CSRF, o);
}

/* The authentication request URL (AILERON's parameters, then urlParams). */
static char *
oauth_ac_location(const struct oauth_conf_ac *ac,
    const struct oauth_conf_ctx *c, struct arena *a, const char *url,
    const char *state, const char *nonce, const char *ch, const char *ro)
{
	const char *id = c->client.id != NULL ? c->client.id : "";
	size_t n = strlen(url), cap;
	char *loc;

	cap = n + 3 * strlen(id) + 3 * strlen(ac->callback_url) +
	    strlen(c->scope) + strlen(ac->extra) + 3 * 3 * 128 + 256 +
	    (ro != NULL ? 3 *
	                    (strlen(ro) +
	                        (ac->ro.uri != NULL ? strlen(ac->ro.uri) : 0)) +
	                64
	                : 0);
	loc = arena_alloc(a, cap);
	memcpy(loc, url, n);
	loc[n++] = strchr(url, '?') != NULL ? '&' : '?';
	memcpy(loc + n, "response_type=code", 18);
	n += 18;
	oauth_param(loc, &n, "client_id", id);
	if (state != NULL)
		oauth_param(loc, &n, "state", state);
	if (nonce != NULL)
		oauth_param(loc, &n, "nonce", nonce);
	if (ch != NULL) {
		oauth_param(loc, &n, "code_challenge_method",
		    ac->pkce_plain ? "plain" : "S256");
		oauth_param(loc, &n, "code_challenge", ch);
	}
	oauth_scope_add(c, loc, &n);
	if (ro != NULL) { /* the other parameters are in the object */
		oauth_param(loc, &n,
		    ac->ro.uri_path != NULL ? "request_uri" : "request",
		    ac->ro.uri_path != NULL ? oauth_ro_uri(&ac->ro, a, ro)
		                            : ro);
		loc[n] = '\0';
		return loc;
	}
	oauth_param(loc, &n, "redirect_uri", ac->callback_url);
	if (ac->jarm.set)
		oauth_param(
		    loc, &n, "response_mode", oauth_jarm_modes[ac->jarm.mode]);
	if (ac->extra[0] != '\0') {
		loc[n++] = '&';
		memcpy(loc + n, ac->extra, strlen(ac->extra));
		n += strlen(ac->extra);
	}
	loc[n] = '\0';
	return loc;
}

#define OAUTH_AC_REQ "__sec_request__" /* restoreRequest: AILERON's key */

/* Whether header field f of r is Cookie or Authorization. */
static int
oauth_is_credential(const struct request *r, const struct http_field *f)
{
	return f->id == HDR_COOKIE ||
	    (f->name.len == 13 &&
	        strncasecmp(r->buf + f->name.off, "Authorization", 13) == 0);
}

/*
 * restoreRequest: keep r in the session (method, target, the header
 * fields but Cookie and Authorization, a Content-Length body of at most
 * OAUTH_MAX_FORM bytes) for the callback to replay.  0, or the status to
 * answer: 413 for a body that cannot be kept, 400 for a header field
 * value that is not UTF-8 (JSON cannot hold it), 500.
 */
static int
oauth_ac_keep_request(struct request *r, struct session *ss)
{
	const struct http_msg *m;
	json_t *o, *h;
	char *b64;
	uint32_t i;

	if (mw_body_gather(r, OAUTH_MAX_FORM) < 0)
		return 413;
	m = r->msg;
	o = json_object();
	h = json_array();
	json_object_set_new(
	    o, "m", json_stringn(r->buf + m->method.off, m->method.len));
	json_object_set_new(
	    o, "t", json_stringn(r->buf + m->target.off, m->target.len));
	for (i = 0; i < m->nfields; i++) {
		const struct http_field *f = &m->fields[i];

		if (oauth_is_credential(r, f))
			continue;
		/* NULL for a value that is not UTF-8: kept, it would be lost */
		if (json_array_append_new(h,
		        json_pack("[s%, s%]", r->buf + f->name.off,
		            (size_t)f->name.len, r->buf + f->value.off,
		            (size_t)f->value.len)) < 0) {
			json_decref(h);
			json_decref(o);
			log_debug("OAuthAuthenticationHandler: a header field "
			          "that is not UTF-8 cannot be kept");
			return 400;
		}
	}
	json_object_set_new(o, "h", h);
	if (m->body == HTTP_BODY_LENGTH) {
		b64 = arena_alloc(r->arena,
		    kenc_encoded_len(KENC_BASE64, m->content_length) + 1);
		b64[kenc_encode(KENC_BASE64, r->buf + m->head_len,
		    (size_t)m->content_length, b64)] = '\0';
		json_object_set_new(o, "b", json_string(b64));
	}
	return oauth_session_put_json(ss, OAUTH_AC_REQ, o) < 0 ? 500 : 0;
}

/* Append s[0..n) to b at *len. */
static void
oauth_put(char *b, size_t *len, const char *s, size_t n)
{
	memcpy(b + *len, s, n);
	*len += n;
}

/*
 * restoreRequest at the callback: r becomes the request kept at the login
 * (with the callback's Cookie and Authorization fields, as AILERON), its
 * target split again, the connection closed after it.  1 when restored,
 * 0 when none was kept, -1 when it cannot be.
 */
static int
oauth_ac_restore(struct request *r, struct session *ss)
{
	const struct http_msg *cm = r->msg;
	const unsigned char *v;
	const char *meth, *tgt, *body;
	struct http_msg *m;
	json_t *o, *h, *e;
	size_t n, len = 0, cap, blen = 0, i;
	char *nb, *path;
	uint32_t k;

	if ((v = session_get(ss, OAUTH_AC_REQ, &n)) == NULL)
		return 0;
	o = json_loadb((const char *)v, n, 0, NULL);
	session_delete(ss, OAUTH_AC_REQ);
	meth = json_string_value(json_object_get(o, "m"));
	tgt = json_string_value(json_object_get(o, "t"));
	h = json_object_get(o, "h");
	body = json_string_value(json_object_get(o, "b"));
	if (meth == NULL || tgt == NULL || !json_is_array(h)) {
		json_decref(o);
		return -1;
	}
	cap = strlen(meth) + strlen(tgt) + 16 + cm->head_len + n;
	nb = arena_alloc(r->arena, cap + 1);
	len = (size_t)snprintf(nb, cap, "%s %s HTTP/1.1\r\n", meth, tgt);
	json_array_foreach(h, i, e)
	{
		const char *hn = json_string_value(json_array_get(e, 0));
		const char *hv = json_string_value(json_array_get(e, 1));

		if (hn == NULL || hv == NULL ||
		    len + strlen(hn) + strlen(hv) + 4 > cap) {
			json_decref(o);
			return -1;
		}
		len +=
		    (size_t)snprintf(nb + len, cap - len, "%s: %s\r\n", hn, hv);
	}
	for (k = 0; k < cm->nfields; k++) {
		const struct http_field *f = &cm->fields[k];

		if (!oauth_is_credential(r, f))
			continue;
		oauth_put(nb, &len, r->buf + f->name.off,
		    (size_t)(f->value.off + f->value.len - f->name.off));
		oauth_put(nb, &len, "\r\n", 2);
	}
	oauth_put(nb, &len, "\r\n", 2);
	if (body != NULL) {
		char *bb = arena_alloc(r->arena,
		    len + kenc_decoded_max(KENC_BASE64, strlen(body)) + 1);

		memcpy(bb, nb, len);
		if (kenc_decode(
		        KENC_BASE64, body, strlen(body), bb + len, &blen) < 0) {
			json_decref(o);
			return -1;
		}
		nb = bb;
	}
	json_decref(o);
	m = arena_alloc(r->arena, sizeof(*m));
	http_request_init(m, &cm->limits);
	if (http_parse_request(m, nb, len) != HTTP_PARSE_DONE ||
	    (m->body == HTTP_BODY_LENGTH
	            ? m->content_length != blen
	            : blen != 0 || m->body != HTTP_BODY_NONE))
		return -1;
	if (cm->body != HTTP_BODY_NONE && !r->body_read)
		log_debug("OAuthAuthenticationHandler: the callback's body is "
		          "dropped with the connection");
	r->msg = m;
	r->buf = nb;
	r->buf_len = len + blen;
	r->body_read = m->body == HTTP_BODY_NONE;
	memset(r->drop, 0, sizeof(r->drop));
	path = arena_alloc(r->arena, m->target.len + 2);
	if (request_split_target(r, path, m->target.len + 2) < 0)
		return -1;
	if (r->rr != NULL) { /* routed already: the handler sees it too */
		r->rr->method = m->method_id;
		r->rr->path = r->path;
		r->rr->path_len = r->path_len;
		r->rr->query = r->query;
		r->rr->query_len = r->query_len;
		r->rr->host = r->host;
		r->rr->host_len = r->host_len;
		r->rr->msg = m;
		r->rr->buf = r->buf;
		r->rr->nparams = 0;
	}
	response_close(r);
	return 1;
}

/* The authentication request: keep state, nonce, verifier; 302. */
static int
oauth_ac_login(const struct oauth_authn_conf_spec *os,
    const struct oauth_conf_ctx *c, struct request *r,
    const struct conf_errhandler *eh, struct session *ss)
{
	const struct oauth_conf_ac *ac = &os->ac;
	const char *key = ac->redirect_key != NULL && ac->redirect_key[0]
	    ? ac->redirect_key
	    : "rd";
	char *rd, *state = NULL, *nonce = NULL, *ver = NULL, *ch = NULL;
	char *ro = NULL;
	const struct oauth_ep *ep;
	int st;

	if (!oauth_path_is(r, ac->login_path)) {
		if (ac->to_login && ac->login_path != NULL &&
		    ac->login_path[0] != '\0')
			return oauth_redirect(r, ac->login_path);
		if (ac->unauthorize_any)
			return oauth_refuse(r, eh, 401, ERRPAGE_AUTHN, 0);
		if (ac->restore && (st = oauth_ac_keep_request(r, ss)) != 0)
			return oauth_refuse(r, eh, st,
			    st == 413       ? ERRPAGE_BODY_TOO_LARGE
			        : st == 400 ? "E3057"
			                    : "E3004",
			    0);
	}
	rd = oauth_query_value(r, key);
	if ((rd == NULL || rd[0] == '\0') && ac->redirect_path != NULL &&
	    ac->redirect_path[0] != '\0')
		rd = arena_strdup(r->arena, ac->redirect_path);
	if (rd == NULL || rd[0] == '\0')
		rd = arena_strndup(
		    r->arena, r->buf + r->msg->target.off, r->msg->target.len);
	if (!oauth_ac_rd_ok(ac, rd))
		return oauth_refuse(r, eh, 401, ERRPAGE_AUTHN, 0);
	if ((ep = oauth_endpoint(c, OAUTH_EP_AUTHZ,
	         arena_alloc(r->arena, OAUTH_HTTP_MAX))) == NULL)
		return oauth_refuse(r, eh, 500, ERRPAGE_AUTHN, 0);
	if ((!ac->no_state && (state = oauth_random(r->arena, 84)) == NULL) ||
	    (!ac->no_nonce && (nonce = oauth_random(r->arena, 32)) == NULL) ||
	    (!ac->no_pkce && (ver = oauth_random(r->arena, 84)) == NULL))
		return oauth_refuse(r, eh, 500, ERRPAGE_AUTHN, 0);
	if (ver != NULL)
		ch = ac->pkce_plain ? ver : oauth_challenge(r->arena, ver);
	if (oauth_ac_keep_csrf(ss, state, nonce, ver) < 0 ||
	    session_put_blob(ss, OAUTH_AC_RED, rd, strlen(rd)) < 0 ||
	    (ac->fapi &&
	        session_put_blob(ss, OAUTH_AC_CALL, ac->callback_path,
	            strlen(ac->callback_path)) < 0))
		return oauth_refuse(r, eh, 500, ERRPAGE_AUTHN, 0);
	if (ac->ro.set &&
	    (ro = oauth_ro_make(ac, c, r->arena, state, nonce, ch)) == NULL)
		return oauth_refuse(r, eh, 500, "E3060", 0);
	return oauth_redirect(r,
	    oauth_ac_location(
	        ac, c, r->arena, ep->up.url, state, nonce, ch, ro));
}

/* Redeem the code of a callback: 0 with h filled, else a status. */
static int
oauth_ac_redeem(const struct oauth_conf_ac *ac, const struct oauth_conf_ctx *c,
    struct request *r, const char *code, const char *ver, const char *nonce,
    struct oauth_held *h)
{
	struct oauth_tokens tk;
	size_t plen = 0;
	char *params;
	int st;

	params = arena_alloc(r->arena,
	    3 *
	            (strlen(code) + strlen(ac->callback_url) +
	                (ver != NULL ? strlen(ver) : 0)) +
	        128);
	oauth_param(params, &plen, "grant_type", "authorization_code");
	oauth_param(params, &plen, "code", code);
	oauth_param(params, &plen, "redirect_uri", ac->callback_url);
	if (ver != NULL)
		oauth_param(params, &plen, "code_verifier", ver);
	st = oauth_token_request(c, r->arena, params, plen, &tk);
	OPENSSL_cleanse(params, plen);
	if (st != 0)
		return st;
	memset(h, 0, sizeof(*h));
	h->at = tk.at;
	h->rt = tk.rt;
	h->idt = tk.idt;
	if (nonce != NULL && h->idt == NULL) /* the nonce must come back */
		st = 401;
	else
		st = oauth_held_check(c, r->arena, h, 0, nonce);
	if (st != 0)
		log_debug("E3055 OAuthAuthenticationHandler: the tokens of the "
		          "authorization code flow are not valid");
	return st == 0 ? 0 : st == 500 ? 500 : 401;
}

/* The provider sent the browser back: check state, redeem the code. */
static int
oauth_ac_callback(const struct oauth_authn_conf_spec *os,
    const struct oauth_conf_ctx *c, struct request *r,
    const struct conf_errhandler *eh, struct session *ss)
{
	const struct oauth_conf_ac *ac = &os->ac;
	const char *state, *nonce, *ver;
	const unsigned char *v;
	struct oauth_held h;
	char *code, *got;
	json_t *o;
	size_t n;
	int st, ok;

	if ((v = session_get(ss, OAUTH_AC_CSRF, &n)) == NULL) {
		log_debug("E3057 OAuthAuthenticationHandler: a callback "
		          "without a login in the session");
		return oauth_refuse(r, eh, 401, ERRPAGE_AUTHN, 0);
	}
	o = json_loadb((const char *)v, n, 0, NULL);
	state = oauth_json_str(r->arena, o, "s");
	nonce = oauth_json_str(r->arena, o, "n");
	ver = oauth_json_str(r->arena, o, "v");
	json_decref(o);
	session_delete(ss, OAUTH_AC_CSRF); /* used once */
	if (ac->fapi) { /* FAPI 1 5.2.3: the callback the login expected */
		v = session_get_blob(ss, OAUTH_AC_CALL, &n);
		ok = v != NULL && n == strlen(ac->callback_path) &&
		    memcmp(v, ac->callback_path, n) == 0;
		session_delete(ss, OAUTH_AC_CALL);
		if (!ok) {
			log_debug("E3057 OAuthAuthenticationHandler: the "
			          "callback is not the one of the login");
			return oauth_refuse(r, eh, 401, ERRPAGE_AUTHN, 0);
		}
	}
	if (ac->jarm.set) {
		if (oauth_jarm(ac, c, r, &code, &got) < 0) {
			log_debug("E3057 OAuthAuthenticationHandler: callback "
			          "without a valid JARM response");
			return oauth_refuse(r, eh, 401, ERRPAGE_AUTHN, 0);
		}
	} else {
		got = oauth_query_value(r, "state");
		code = oauth_query_value(r, "code");
	}
	if ((!ac->no_state &&
	        (state == NULL || got == NULL || strcmp(state, got) != 0)) ||
	    code == NULL || code[0] == '\0') {
		log_debug("E3057 OAuthAuthenticationHandler: callback with a "
		          "wrong state or no code");
		return oauth_refuse(r, eh, 401, ERRPAGE_AUTHN, 0);
	}
	if ((st = oauth_ac_redeem(ac, c, r, code, ver, nonce, &h)) != 0)
		return oauth_refuse(r, eh, st, OAUTH_E_TOKEN, 0);
	if (oauth_held_save(ss, OAUTH_AC_KEY, c, &h) < 0)
		return oauth_refuse(r, eh, 500, ERRPAGE_AUTHN, 0);
	if (ac->restore && (st = oauth_ac_restore(r, ss)) != 0) {
		session_delete(ss, OAUTH_AC_RED);
		if (st < 0) {
			log_warn(
			    "E3004 OAuthAuthenticationHandler: the request "
			    "kept for restoreRequest cannot be restored");
			return oauth_refuse(r, eh, 500, "E3004", 0);
		}
		oauth_forward(c, r, &h);
		return HANDLER_DECLINED;
	}
	if ((v = session_get_blob(ss, OAUTH_AC_RED, &n)) == NULL)
		return oauth_refuse(r, eh, 403, ERRPAGE_AUTHN, 0);
	got = arena_strndup(r->arena, (const char *)v, n);
	session_delete(ss, OAUTH_AC_RED);
	if (!oauth_ac_rd_ok(ac, got))
		return oauth_refuse(r, eh, 403, ERRPAGE_AUTHN, 0);
	return oauth_redirect(r, got);
}

/*
 * userInfoPath, with valid tokens held: ask the userinfo endpoint with
 * the access token (a POST, as AILERON), check that its sub is the ID
 * token's and answer its JSON (200); a refusal of the provider is
 * answered with its status, a failure with 500 (E3064), a wrong answer
 * with 401 (E3065).
 */
static int
oauth_ac_userinfo(const struct oauth_conf_ctx *c, struct request *r,
    const struct conf_errhandler *eh, const struct oauth_held *h)
{
	char *buf = arena_alloc(r->arena, OAUTH_HTTP_MAX), *auth, *sub;
	const struct oauth_ep *ep;
	struct oauth_reply rep;
	const char *us;
	json_t *o;
	int ok, rc;

	if ((ep = oauth_endpoint(c, OAUTH_EP_USERINFO, buf)) == NULL)
		return oauth_refuse(r, eh, 500, "E3064", 0);
	auth = arena_alloc(r->arena, strlen(h->at) + 8);
	snprintf(auth, strlen(h->at) + 8, "Bearer %s", h->at);
	rc = oauth_http(ep, "", 0, auth, buf, &rep);
	OPENSSL_cleanse(auth, strlen(auth));
	if (rc < 0 || rep.status >= 500 || rep.status < 200) {
		log_warn("E3064 OAuthAuthenticationHandler: userinfo request "
		         "at %s failed",
		    ep->up.url);
		return oauth_refuse(r, eh, 500, "E3064", 0);
	}
	if (rep.status != 200) {
		log_debug("E3064 OAuthAuthenticationHandler: userinfo refused "
		          "(%d)",
		    rep.status);
		return oauth_refuse(r, eh, rep.status, "E3064", 0);
	}
	o = json_loadb(rep.body, rep.len, 0, NULL);
	us = json_string_value(json_object_get(o, "sub"));
	sub = h->idt != NULL &&
	        oauth_validate(c, 1, h->idt, strlen(h->idt), NULL, NULL) == 0
	    ? oauth_jwt_claim(r->arena, h->idt, strlen(h->idt), "sub", NULL)
	    : NULL;
	ok = us != NULL && sub != NULL && strcmp(us, sub) == 0;
	json_decref(o);
	if (!ok) {
		log_debug("E3065 OAuthAuthenticationHandler: the userinfo sub "
		          "is not the ID token's");
		return oauth_refuse(r, eh, 401, "E3065", 0);
	}
	return oauth_answer(r, 200, "application/json", 0, rep.body, rep.len);
}

int
oauth_ac_try(const struct oauth_authn_conf_spec *os, struct request *r,
    const struct conf_errhandler *eh)
{
	const struct oauth_conf_ac *ac = &os->ac;
	struct session *ss = session_of(r);
	const struct oauth_conf_ctx *c;
	struct oauth_held h;
	int st;

	if (ss == NULL) /* AILERON: no session, the next handler's turn */
		return OAUTH_AUTHN_CONTINUE;
	/* tokens that will not do are dropped from the session (AILERON
	 * deletes the ROPC key there: its evident intent) */
	st = oauth_held_session(os, ss, OAUTH_AC_KEY, r->arena, &h, &c);
	if (st == 0) {
		if (oauth_path_is(r, ac->userinfo_path))
			return oauth_ac_userinfo(c, r, eh, &h);
		oauth_forward(c, r, &h);
		if (oauth_path_is(r, ac->login_path) ||
		    oauth_path_is(r, ac->callback_path))
			return oauth_redirect(r,
			    ac->redirect_path != NULL &&
			            ac->redirect_path[0] != '\0'
			        ? ac->redirect_path
			        : "/");
		return HANDLER_DECLINED;
	}
	if (st != -1 && st != OAUTH_REAUTH)
		return oauth_refuse(r, eh, st, ERRPAGE_AUTHN, 0);
	if ((c = oauth_context(os, r)) == NULL)
		return OAUTH_AUTHN_CONTINUE;
	if (ac->ro.set && oauth_path_is(r, ac->ro.uri_path))
		return oauth_ro_serve(ac, c, r, eh);
	if (oauth_path_is(r, ac->callback_path))
		return oauth_ac_callback(os, c, r, eh, ss);
	return oauth_ac_login(os, c, r, eh, ss);
}
