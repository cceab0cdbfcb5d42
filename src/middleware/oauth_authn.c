/* app/v1 OAuthAuthenticationHandler: the entry point (resource server), the context of a request, answers. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "arena.h"
#include "errpage.h"
#include "http.h"
#include "kenc.h"
#include "log.h"
#include "middleware.h"
#include "middleware/authn.h"
#include "middleware/oauth_authn.h"
#include "middleware/oauth_internal.h"
#include "request.h"
#include "response.h"
#include "session.h"

/* The value of query parameter key (raw, as written), or NULL. */
static const char *
oauth_query(const struct request *r, const char *key, size_t *len)
{
	const char *p = r->query, *end, *amp, *eq;
	size_t klen = strlen(key);

	if (p == NULL)
		return NULL;
	end = p + r->query_len;
	for (; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq != NULL && (size_t)(eq - p) == klen &&
		    memcmp(p, key, klen) == 0) {
			*len = (size_t)(amp - eq - 1);
			return eq + 1;
		}
	}
	return NULL;
}

/* The context the request names (query, then header, else "default"). */
const struct oauth_conf_ctx *
oauth_context(const struct oauth_authn_conf_spec *os, const struct request *r)
{
	const char *name = NULL;
	size_t n = 0;

	if (os->query_key != NULL && os->query_key[0] != '\0')
		name = oauth_query(r, os->query_key, &n);
	if ((name == NULL || n == 0) && os->header_key != NULL &&
	    os->header_key[0] != '\0')
		name = authn_header(r, os->header_key, &n);
	if (name == NULL || n == 0) {
		name = "default";
		n = 7;
	}
	return oauth_context_named(os, name, n);
}
#define OAUTH_E_INTRO "E3054"

/*
 * Refuse r: 401 with AILERON's Bearer challenge (the resource server:
 * challenge set), or status with code through the errorHandler.
 */
int
oauth_refuse(struct request *r, const struct conf_errhandler *eh, int status,
    const char *code, int challenge)
{
	const char *accept;
	char body[256], ctype[64];
	size_t alen = 0, n;

	if (eh != NULL || status != 401 || !challenge) {
		/* A custom ErrorHandler writes its own 401 (no challenge). */
		if (eh != NULL)
			r->errhandler = eh;
		return response_error(r, status, code) < 0 ? HANDLER_ABORT
		                                           : HANDLER_OK;
	}
	accept = request_header(r, HDR_ACCEPT, &alen);
	n = http_error_body(
	    401, accept, alen, ctype, sizeof(ctype), body, sizeof(body));
	if (response_start(r, 401, NULL, 0) < 0 ||
	    response_add(r, HDR_CONTENT_TYPE, "Content-Type", 12, ctype,
	        strlen(ctype)) < 0 ||
	    response_add_str(r, "X-Content-Type-Options", "nosniff") < 0 ||
	    response_add_str(
	        r, "WWW-Authenticate", "Bearer error=\"invalid_token\"") < 0 ||
	    response_add_str(r, "Vary", "Accept") < 0 ||
	    response_send_head(r, RESPONSE_LENGTH, n) < 0 ||
	    response_body(r, body, n) < 0 || response_end(r) < 0)
		return HANDLER_ABORT;
	return HANDLER_OK;
}

/* The context called name[0..n), or NULL. */
const struct oauth_conf_ctx *
oauth_context_named(
    const struct oauth_authn_conf_spec *os, const char *name, size_t n)
{
	size_t i;

	for (i = 0; name != NULL && i < os->nctxs; i++)
		if (strlen(os->ctxs[i].name) == n &&
		    memcmp(os->ctxs[i].name, name, n) == 0)
			return &os->ctxs[i];
	return NULL;
}

/* Does r's path equal p (a configured path; NULL or empty: never)? */
int
oauth_path_is(const struct request *r, const char *p)
{
	return p != NULL && p[0] != '\0' && r->path != NULL &&
	    r->path_len == strlen(p) && memcmp(r->path, p, r->path_len) == 0;
}

/* b[0..n) as base64url without padding, in arena a. */
char *
oauth_b64url(struct arena *a, const void *b, size_t n)
{
	char *out = arena_alloc(a, kenc_encoded_len(KENC_BASE64RAWURL, n) + 1);

	out[kenc_encode(KENC_BASE64RAWURL, b, n, out)] = '\0';
	return out;
}

/* n (at most 96) random bytes as base64url without padding, or NULL. */
char *
oauth_random(struct arena *a, size_t n)
{
	unsigned char b[96];

	if (n > sizeof(b) || RAND_bytes(b, (int)n) != 1)
		return NULL;
	return oauth_b64url(a, b, n);
}

/* A hex digit's value, or -1. */
static int
oauth_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Query parameter key of r, decoded as Go's Query().Get ('+' a space),
 * or NULL when absent, malformed or holding a control character.
 */
char *
oauth_query_value(struct request *r, const char *key)
{
	const char *v;
	size_t n, i, k = 0;
	char *out;

	if ((v = oauth_query(r, key, &n)) == NULL)
		return NULL;
	out = arena_alloc(r->arena, n + 1);
	for (i = 0; i < n; i++) {
		int c = (unsigned char)v[i];

		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (n - i < 3 || oauth_hex(v[i + 1]) < 0 ||
			    oauth_hex(v[i + 2]) < 0)
				return NULL;
			c = oauth_hex(v[i + 1]) * 16 + oauth_hex(v[i + 2]);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return NULL;
		out[k++] = (char)c;
	}
	out[k] = '\0';
	return out;
}

/*
 * Answer r with status and body[0..n) of type ctype (nosniff: with
 * X-Content-Type-Options: nosniff).
 */
int
oauth_answer(struct request *r, int status, const char *ctype, int nosniff,
    const char *body, size_t n)
{
	if (response_start(r, status, NULL, 0) < 0 ||
	    response_add(r, HDR_CONTENT_TYPE, "Content-Type", 12, ctype,
	        strlen(ctype)) < 0 ||
	    (nosniff &&
	        response_add_str(r, "X-Content-Type-Options", "nosniff") < 0) ||
	    response_send_head(r, RESPONSE_LENGTH, n) < 0 ||
	    response_body(r, body, n) < 0 || response_end(r) < 0)
		return HANDLER_ABORT;
	return HANDLER_OK;
}

/* Wipe and free the secret s (malloc'd; NULL: nothing). */
void
oauth_wipe_free(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

/*
 * Keep the JSON of o (released here; NULL: none) in session ss under key,
 * the copy in between wiped; 0, or -1.
 */
int
oauth_session_put_json(struct session *ss, const char *key, json_t *o)
{
	char *js = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	int rc = js != NULL ? session_put(ss, key, js, strlen(js)) : -1;

	json_decref(o);
	oauth_wipe_free(js);
	return rc;
}

/* 302 to loc, as AILERON writes it (no body). */
int
oauth_redirect(struct request *r, const char *loc)
{
	if (response_start(r, 302, NULL, 0) < 0 ||
	    response_add_str(r, "Location", loc) < 0 ||
	    response_add(r, HDR_CONTENT_TYPE, "Content-Type", 12,
	        "text/plain; charset=utf-8", 25) < 0 ||
	    response_add_str(r, "X-Content-Type-Options", "nosniff") < 0 ||
	    response_send_head(r, RESPONSE_LENGTH, 0) < 0 ||
	    response_end(r) < 0)
		return HANDLER_ABORT;
	return HANDLER_OK;
}

int
oauth_authn_try(const void *spec, struct request *r,
    const struct conf_errhandler *eh, const char **fapi_id)
{
	const struct oauth_authn_conf_spec *os = spec;
	const struct oauth_conf_ctx *c;
	char *x5t = NULL;
	const char *t;
	size_t n;
	int64_t exp;
	int st;

	if (os->cc.set)
		return oauth_cc_try(os, r, eh);
	if (os->ropc.set)
		return oauth_ropc_try(os, r, eh);
	if (os->ac.set)
		return oauth_ac_try(os, r, eh);
	if ((c = oauth_context(os, r)) == NULL)
		return OAUTH_AUTHN_CONTINUE;
	if ((t = authn_header(r, os->rs.header_key, &n)) == NULL)
		return OAUTH_AUTHN_CONTINUE;
	if (n >= 7 && memcmp(t, "Bearer ", 7) == 0) {
		t += 7;
		n -= 7;
	}
	if (n == 0)
		return OAUTH_AUTHN_CONTINUE;
	if (c->introspection) {
		if ((st = oauth_introspect(c, r->arena, t, n, &exp,
		         os->rs.fapi ? &x5t : NULL)) != 0) {
			log_debug("E3054 OAuthAuthenticationHandler: token "
			          "refused by introspection (%d)",
			    st);
			return oauth_refuse(r, eh, st, OAUTH_E_INTRO, 1);
		}
	} else if (oauth_validate(c, 0, t, n, NULL, NULL) != 0) {
		log_debug("E3050 OAuthAuthenticationHandler: invalid token");
		return oauth_refuse(r, eh, 401, ERRPAGE_AUTHN, 1);
	} else if (os->rs.fapi)
		x5t = oauth_jwt_claim(r->arena, t, n, "cnf", "x5t#S256");
	if (os->rs.fapi) {
		if (!oauth_cert_bound(r, x5t)) {
			log_debug("E3056 OAuthAuthenticationHandler: the token "
			          "is not bound to the client certificate");
			return oauth_refuse(r, eh, 401, ERRPAGE_AUTHN, 1);
		}
		*fapi_id = oauth_fapi_id(r);
	}
	if (c->at_header != NULL && c->at_header[0] != '\0')
		request_proxy_header(
		    r, c->at_header, strlen(c->at_header), t, n);
	return HANDLER_DECLINED;
}
