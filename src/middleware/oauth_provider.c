/* OAuthAuthenticationHandler provider client: HTTP exchanges, discovery, token endpoint, introspection. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "arena.h"
#include "conn.h"
#include "http_parse.h"
#include "kenc.h"
#include "log.h"
#include "middleware/oauth_internal.h"
#include "upstream.h"

/*
 * Introspection (RFC 7662) and discovery: one blocking exchange with the
 * provider per request, within OAUTH_HTTP_MS.
 */

#define OAUTH_HTTP_MS    10000 /* whole exchange */
#define OAUTH_DISC_MS    5000  /* discovery retried at most this often */
#define OAUTH_DISC_SLOTS 16
#define OAUTH_DISC_URL   512 /* bytes of a discovered endpoint URL, at most */

static struct upstream_pool *oauth_pool; /* per worker */

/* The endpoints each context found by discovery, per worker. */
struct oauth_disc_slot {
	const struct oauth_conf_ctx *c;
	struct oauth_ep intro, token, authz, uinfo;
	int64_t next_try; /* not found yet: not before (ms) */
	char istore[OAUTH_URL_STORE(OAUTH_DISC_URL)];
	char tstore[OAUTH_URL_STORE(OAUTH_DISC_URL)];
	char astore[OAUTH_URL_STORE(OAUTH_DISC_URL)];
	char ustore[OAUTH_URL_STORE(OAUTH_DISC_URL)];
	char issuer[OAUTH_DISC_URL + 1]; /* "" until discovered */
};
static struct oauth_disc_slot oauth_disc[OAUTH_DISC_SLOTS];

/* Append s[0..n) to f, form-encoded. */
void
oauth_form_add(char *f, size_t *len, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, k = *len;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			f[k++] = (char)c;
		else {
			f[k++] = '%';
			f[k++] = hex[c >> 4];
			f[k++] = hex[c & 15];
		}
	}
	*len = k;
}

/* The body of a chunked answer, decoded in place; -1 if malformed. */
static int
oauth_dechunk(char *b, size_t n, size_t *out)
{
	struct http_chunked ch;
	struct http_span d;
	size_t pos = 0, used, w = 0;
	int rc;

	http_chunked_init(&ch, 0);
	for (;;) {
		rc = http_chunked_parse(&ch, b + pos, n - pos, &used, &d);
		if (rc == HTTP_CHUNK_ERROR)
			return -1;
		if (d.len > 0) {
			memmove(b + w, b + pos + d.off, d.len);
			w += d.len;
		}
		pos += used;
		if (rc == HTTP_CHUNK_DONE)
			break;
		if (used == 0 || pos >= n)
			return -1; /* cut short */
	}
	*out = w;
	return 0;
}

/* Whether buf[0..len) holds the whole answer whose head m parsed. */
static int
oauth_http_whole(const struct http_msg *m, const char *buf, size_t len)
{
	struct http_chunked ch;
	size_t used;

	switch (m->body) {
	case HTTP_BODY_NONE:
		return 1;
	case HTTP_BODY_LENGTH:
		return len - m->head_len >= m->content_length;
	case HTTP_BODY_CHUNKED:
		http_chunked_init(&ch, 0);
		return http_chunked_parse(&ch, buf + m->head_len,
		           len - m->head_len, &used, NULL) == HTTP_CHUNK_DONE;
	}
	return 0; /* until the connection closes */
}

/*
 * One exchange with ep (form: POST it, NULL: GET), auth the value of an
 * Authorization header or NULL; -1: transport error.
 */
int
oauth_http(const struct oauth_ep *ep, const char *form, size_t flen,
    const char *auth, char *buf, struct oauth_reply *rep)
{
	int64_t dl = conn_deadline(OAUTH_HTTP_MS);
	struct http_msg m;
	struct io io;
	size_t len = 0, i;
	ssize_t n;
	int reused, hl, rc, eof = 0;

	if (oauth_pool == NULL)
		oauth_pool = upstream_pool_new();
	if (upstream_get(oauth_pool, &ep->up, ep->cc, &io, &reused) < 0)
		return -1;
	hl = snprintf(buf, OAUTH_HTTP_MAX,
	    "%s %s HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\n"
	    "User-Agent: aileron\r\nConnection: close\r\n%s%s%s\r\n",
	    form != NULL ? "POST" : "GET", ep->path, ep->up.authority,
	    auth != NULL ? "Authorization: " : "", auth != NULL ? auth : "",
	    auth != NULL ? "\r\n" : "");
	if (form != NULL && hl > 0 && hl < OAUTH_HTTP_MAX)
		hl += snprintf(buf + hl - 2, OAUTH_HTTP_MAX - (size_t)hl + 2,
		          "Content-Type: application/x-www-form-urlencoded\r\n"
		          "Content-Length: %zu\r\n\r\n",
		          flen) -
		    2;
	if (hl <= 0 || hl >= OAUTH_HTTP_MAX) { /* a config this long: no */
		OPENSSL_cleanse(buf, OAUTH_HTTP_MAX);
		conn_close(&io);
		return -1;
	}
	rc = conn_write(&io, buf, (size_t)hl, dl) < 0 ||
	    (form != NULL && conn_write(&io, form, flen, dl) < 0);
	if (auth != NULL)
		OPENSSL_cleanse(buf, (size_t)hl); /* the client secret */
	if (rc) {
		conn_close(&io);
		return -1;
	}
	/* Read until the answer is whole (or the provider closes). */
	http_response_init(&m, NULL, form != NULL ? HTTP_M_POST : HTTP_M_GET);
	rc = HTTP_PARSE_AGAIN;
	while (len < OAUTH_HTTP_MAX) {
		if ((n = conn_read(&io, buf + len, OAUTH_HTTP_MAX - len, dl)) <
		    0)
			break;
		if (n == 0) {
			eof = 1;
			break;
		}
		len += (size_t)n;
		if (rc == HTTP_PARSE_AGAIN &&
		    (rc = http_parse_response(&m, buf, len)) !=
		        HTTP_PARSE_DONE &&
		    rc != HTTP_PARSE_AGAIN)
			break;
		if (rc == HTTP_PARSE_DONE && oauth_http_whole(&m, buf, len))
			break;
	}
	conn_close(&io);
	if (rc != HTTP_PARSE_DONE ||
	    (!oauth_http_whole(&m, buf, len) &&
	        !(eof && m.body == HTTP_BODY_CLOSE)))
		return -1;
	rep->status = m.status;
	rep->json = 0;
	for (i = 0; i < m.nfields; i++) {
		const struct http_field *f = &m.fields[i];

		if (f->name.len == 12 &&
		    strncasecmp(buf + f->name.off, "Content-Type", 12) == 0 &&
		    memmem(buf + f->value.off, f->value.len, "application/json",
		        16) != NULL)
			rep->json = 1;
	}
	rep->body = buf + m.head_len;
	rep->len = len - m.head_len;
	if (m.body == HTTP_BODY_CHUNKED)
		return oauth_dechunk(buf + m.head_len, rep->len, &rep->len);
	if (m.body == HTTP_BODY_LENGTH) {
		if (m.content_length > rep->len)
			return -1;
		rep->len = (size_t)m.content_length;
	} else if (m.body == HTTP_BODY_NONE)
		rep->len = 0;
	return 0;
}

/* The endpoint called name in discovery document doc into ep (cc's). */
static void
oauth_disc_take(json_t *doc, const char *name, struct oauth_ep *ep, char *store,
    const struct conf_client *cc)
{
	json_t *v = json_object_get(doc, name);

	if (ep->set || !json_is_string(v) ||
	    strlen(json_string_value(v)) > OAUTH_DISC_URL ||
	    oauth_url_split(json_string_value(v), ep, store) != NULL)
		return;
	ep->cc = cc;
}

/* The endpoint called which of ep (a context's, or a discovery slot's). */
static const struct oauth_ep *
oauth_ep_pick(const struct oauth_ep *intro, const struct oauth_ep *token,
    const struct oauth_ep *authz, const struct oauth_ep *uinfo, int which)
{
	return which == OAUTH_EP_INTRO ? intro
	    : which == OAUTH_EP_TOKEN  ? token
	    : which == OAUTH_EP_AUTHZ  ? authz
	                               : uinfo;
}

/* The discovery document's names of the endpoints (enum oauth_which). */
static const char *const oauth_disc_names[] = { "introspection_endpoint",
	"token_endpoint", "authorization_endpoint", "userinfo_endpoint" };

/* The discovery slot of c, or NULL when all are taken. */
static struct oauth_disc_slot *
oauth_disc_slot(const struct oauth_conf_ctx *c)
{
	size_t i;

	for (i = 0; i < OAUTH_DISC_SLOTS; i++)
		if (oauth_disc[i].c == c || oauth_disc[i].c == NULL) {
			oauth_disc[i].c = c;
			return &oauth_disc[i];
		}
	return NULL;
}

/*
 * Fetch c's discovery document into d (at most every OAUTH_DISC_MS):
 * the endpoints c lacks and the issuer.  buf: OAUTH_HTTP_MAX bytes.
 */
static void
oauth_disc_load(
    const struct oauth_conf_ctx *c, struct oauth_disc_slot *d, char *buf)
{
	struct oauth_reply rep;
	const char *iss;
	json_t *doc;

	if (conn_now_ms() < d->next_try)
		return;
	d->next_try = conn_now_ms() + OAUTH_DISC_MS;
	if (oauth_http(&c->disc, NULL, 0, NULL, buf, &rep) < 0 ||
	    rep.status != 200) {
		log_warn("OAuthAuthenticationHandler: discovery at %s failed",
		    c->disc.up.url);
		return;
	}
	doc = json_loadb(rep.body, rep.len, 0, NULL);
	oauth_disc_take(doc, oauth_disc_names[OAUTH_EP_INTRO], &d->intro,
	    d->istore, c->introspector.cc);
	oauth_disc_take(doc, oauth_disc_names[OAUTH_EP_TOKEN], &d->token,
	    d->tstore, c->redeemer.cc);
	oauth_disc_take(doc, oauth_disc_names[OAUTH_EP_AUTHZ], &d->authz,
	    d->astore, c->prov_cc);
	oauth_disc_take(doc, oauth_disc_names[OAUTH_EP_USERINFO], &d->uinfo,
	    d->ustore, c->prov_cc);
	iss = json_string_value(json_object_get(doc, "issuer"));
	if (d->issuer[0] == '\0' && iss != NULL && iss[0] != '\0' &&
	    strlen(iss) <= OAUTH_DISC_URL)
		memcpy(d->issuer, iss, strlen(iss) + 1);
	json_decref(doc);
}

/* The issuer of c's discovery document, or NULL when not known. */
const char *
oauth_disc_issuer(const struct oauth_conf_ctx *c)
{
	static char buf[OAUTH_HTTP_MAX];
	struct oauth_disc_slot *d;

	if (!c->disc.set || (d = oauth_disc_slot(c)) == NULL)
		return NULL;
	if (d->issuer[0] == '\0')
		oauth_disc_load(c, d, buf);
	return d->issuer[0] != '\0' ? d->issuer : NULL;
}

/*
 * An endpoint of c (enum oauth_which): configured, or found by discovery
 * (tried at most every OAUTH_DISC_MS).
 */
const struct oauth_ep *
oauth_endpoint(const struct oauth_conf_ctx *c, int which, char *buf)
{
	const struct oauth_ep *mine =
	    oauth_ep_pick(&c->intro, &c->token, &c->authz, &c->uinfo, which);
	struct oauth_disc_slot *d;

	if (mine->set)
		return mine;
	if (!c->disc.set || (d = oauth_disc_slot(c)) == NULL)
		return NULL;
	mine = oauth_ep_pick(&d->intro, &d->token, &d->authz, &d->uinfo, which);
	if (mine->set)
		return mine;
	oauth_disc_load(c, d, buf);
	if (!mine->set)
		log_warn("OAuthAuthenticationHandler: discovery at %s gave no "
		         "usable %s",
		    c->disc.up.url, oauth_disc_names[which]);
	return mine->set ? mine : NULL;
}

/*
 * An RFC 7523 client assertion of c for endpoint ep, signed with q's key
 * (iss and sub the client ID, aud the endpoint's URL, a random jti, exp
 * in a minute as AILERON's), in arena a; NULL when it cannot be made.
 */
static char *
oauth_assertion(const struct oauth_conf_ctx *c, const struct oauth_conf_req *q,
    const struct oauth_ep *ep, struct arena *a)
{
	const char *id = c->client.id != NULL ? c->client.id : "";
	char *jti = oauth_random(a, 18);
	json_t *cl = NULL;
	time_t now = time(NULL);

	if (jti != NULL)
		cl = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "iss", id,
		    "sub", id, "aud", ep->up.url, "jti", jti, "iat",
		    (json_int_t)now, "exp", (json_int_t)now + 60);
	return oauth_sign(q->sign, cl, a,
	    "E3061 OAuthAuthenticationHandler: cannot make the client "
	    "assertion");
}

/*
 * A form for the provider at ep: params (form-encoded already) then the
 * client authentication of q: client_id and client_secret (FormAuth),
 * client_id (TLS client auth), a client assertion (ClientSecretJWT,
 * PrivateKeyJWT), or *auth set to a Basic value (BasicAuth).  In arena
 * a; *len its length; NULL when the assertion cannot be made.
 */
static char *
oauth_form(const struct oauth_conf_ctx *c, struct arena *a,
    const struct oauth_conf_req *q, const struct oauth_ep *ep,
    const char *params, size_t plen, size_t *len, char **auth)
{
	static const char atype[] =
	    "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-"
	    "assertion-type%3Ajwt-bearer&client_assertion=";
	const char *id = c->client.id != NULL ? c->client.id : "";
	const char *sec = c->client.secret != NULL ? c->client.secret : "";
	size_t il = strlen(id), sl = strlen(sec), flen = plen, al = 0;
	char *form, *as = NULL;
	int method = q->auth;

	*auth = NULL;
	if (method == OAUTH_AUTH_SECRET_JWT || method == OAUTH_AUTH_PKEY_JWT) {
		if ((as = oauth_assertion(c, q, ep, a)) == NULL)
			return NULL;
		al = strlen(as);
	}
	form = arena_alloc(a, plen + 3 * (il + sl) + al + sizeof(atype) + 64);
	memcpy(form, params, plen);
	if (as != NULL) {
		/* the JWS is base64url and dots: nothing to encode */
		memcpy(form + flen, atype, sizeof(atype) - 1);
		flen += sizeof(atype) - 1;
		memcpy(form + flen, as, al);
		flen += al;
		OPENSSL_cleanse(as, al);
	} else if (method == OAUTH_AUTH_BASIC) {
		char *pair = arena_alloc(a, il + sl + 2);

		memcpy(pair, id, il);
		pair[il] = ':';
		memcpy(pair + il + 1, sec, sl);
		*auth = arena_alloc(
		    a, 7 + kenc_encoded_len(KENC_BASE64, il + sl + 1));
		memcpy(*auth, "Basic ", 6);
		(*auth)[6 +
		    kenc_encode(KENC_BASE64, pair, il + sl + 1, *auth + 6)] =
		    '\0';
		OPENSSL_cleanse(pair, il + sl + 1);
	} else if (il > 0) {
		memcpy(form + flen, "&client_id=", 11);
		flen += 11;
		oauth_form_add(form, &flen, id, il);
		if (method == OAUTH_AUTH_FORM && sl > 0) {
			memcpy(form + flen, "&client_secret=", 15);
			flen += 15;
			oauth_form_add(form, &flen, sec, sl);
		}
	}
	*len = flen;
	return form;
}

/*
 * POST form params to ep for c with the client authentication of method;
 * buf (OAUTH_HTTP_MAX bytes) receives the answer.  0, or -1 after logging
 * (the form and the secret are never logged, and wiped).
 */
static int
oauth_post(const struct oauth_conf_ctx *c, struct arena *a,
    const struct oauth_ep *ep, const struct oauth_conf_req *q,
    const char *params, size_t plen, char *buf, struct oauth_reply *rep,
    const char *what)
{
	size_t flen;
	char *auth, *form = oauth_form(c, a, q, ep, params, plen, &flen, &auth);
	int rc;

	if (form == NULL)
		return -1;
	rc = oauth_http(ep, form, flen, auth, buf, rep);

	OPENSSL_cleanse(form, flen);
	if (auth != NULL)
		OPENSSL_cleanse(auth, strlen(auth));
	if (rc < 0)
		log_warn("OAuthAuthenticationHandler: %s at %s failed", what,
		    ep->up.url);
	return rc;
}

/*
 * Ask the provider about token t: 0 when active, else the status to
 * answer (401, or 500 when the provider could not tell).  *exp gets the
 * exp it tells (0 when none).
 */
int
oauth_introspect(const struct oauth_conf_ctx *c, struct arena *a, const char *t,
    size_t n, int64_t *exp, char **x5t)
{
	const struct oauth_ep *ep;
	struct oauth_reply rep;
	size_t flen = 0;
	char *form, *buf;
	json_t *doc, *e;
	int active;

	*exp = 0;
	buf = arena_alloc(a, OAUTH_HTTP_MAX);
	if ((ep = oauth_endpoint(c, OAUTH_EP_INTRO, buf)) == NULL)
		return 500;
	form = arena_alloc(a, 3 * n + 8);
	memcpy(form, "token=", 6);
	flen = 6;
	oauth_form_add(form, &flen, t, n);
	if (oauth_post(c, a, ep, &c->introspector, form, flen, buf, &rep,
	        "E3054 introspection") < 0)
		return 500;
	if (!rep.json || rep.status >= 500)
		return 500;
	if (rep.status != 200)
		return 401;
	doc = json_loadb(rep.body, rep.len, 0, NULL);
	active =
	    json_is_object(doc) && json_is_true(json_object_get(doc, "active"));
	e = json_object_get(doc, "exp");
	if (json_is_number(e))
		*exp = (int64_t)json_number_value(e);
	if (x5t != NULL)
		*x5t =
		    oauth_json_str(a, json_object_get(doc, "cnf"), "x5t#S256");
	json_decref(doc);
	return active ? 0 : 401;
}

/*
 * A token request (RFC 6749 3.2) with form params (encoded, without the
 * client authentication): 0 with tk filled, else the status to answer as
 * AILERON does: 401 when the provider refused (4xx), 500 when it failed
 * or could not be asked.
 */
int
oauth_token_request(const struct oauth_conf_ctx *c, struct arena *a,
    const char *params, size_t plen, struct oauth_tokens *tk)
{
	const struct oauth_ep *ep;
	struct oauth_reply rep;
	json_t *doc;
	char *buf;

	memset(tk, 0, sizeof(*tk));
	buf = arena_alloc(a, OAUTH_HTTP_MAX);
	if ((ep = oauth_endpoint(c, OAUTH_EP_TOKEN, buf)) == NULL)
		return 500;
	if (oauth_post(c, a, ep, &c->redeemer, params, plen, buf, &rep,
	        "E3052 token request") < 0)
		return 500;
	tk->status = rep.status;
	if (!rep.json || rep.status >= 500) {
		log_warn("E3052 OAuthAuthenticationHandler: token request at "
		         "%s: status %d%s",
		    ep->up.url, rep.status, rep.json ? "" : ", not JSON");
		return 500;
	}
	if (rep.status != 200) {
		log_debug("E3052 OAuthAuthenticationHandler: token request at "
		          "%s refused: status %d",
		    ep->up.url, rep.status);
		return 401;
	}
	doc = json_loadb(rep.body, rep.len, 0, NULL);
	if (!json_is_object(doc)) {
		log_warn("E3052 OAuthAuthenticationHandler: token request at "
		         "%s: not a JSON object",
		    ep->up.url);
		json_decref(doc);
		return 500;
	}
	tk->at = oauth_json_str(a, doc, "access_token");
	tk->rt = oauth_json_str(a, doc, "refresh_token");
	tk->idt = oauth_json_str(a, doc, "id_token");
	json_decref(doc);
	tk->body = arena_strndup(a, rep.body, rep.len);
	tk->len = rep.len;
	return 0;
}

/* Append "&name=" and v form-encoded to f (capacity checked by the caller). */
void
oauth_param(char *f, size_t *len, const char *name, const char *v)
{
	size_t n = strlen(name);

	if (*len > 0)
		f[(*len)++] = '&';
	memcpy(f + *len, name, n);
	*len += n;
	f[(*len)++] = '=';
	oauth_form_add(f, len, v, strlen(v));
}

/* Append "&scope=" and client.scopes to f, when there are scopes. */
void
oauth_scope_add(const struct oauth_conf_ctx *c, char *f, size_t *len)
{
	size_t n = strlen(c->scope);

	if (n == 0)
		return;
	memcpy(f + *len, "&scope=", 7);
	memcpy(f + *len + 7, c->scope, n);
	*len += 7 + n;
}
