/* app/v1 CSRFMiddleware: CSRF tokens checked as middleware, issued as a handler. */
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "arena.h"
#include "conf_table.h"
#include "handler.h"
#include "http_parse.h"
#include "jsonscan.h"
#include "kenc.h"
#include "khash.h"
#include "kind.h"
#include "kname.h"
#include "log.h"
#include "middleware.h"
#include "middleware/authn.h"
#include "middleware/cookie.h"
#include "middleware/form.h"
#include "middleware/header_policy.h"
#include "middleware/matcher.h"
#include "request.h"
#include "response.h"
#include "session.h"

/*
 * Config part.
 */

#define CSRF_SOURCE_HEADER 0
#define CSRF_SOURCE_FORM   1
#define CSRF_SOURCE_JSON   2

/* The largest token: hex of a seed and an HMAC, each KHASH_MAX bytes. */
#define CSRF_TOKEN_MAX (4 * KHASH_MAX)
/* Where the synchronizer token lives in the session (AILERON's key). */
#define CSRF_SESSION_KEY "__csrf_token__"

struct csrf_conf_header {
	char *header_name;
	char *allowed_pattern;
	pcre2_code *re; /* NULL: no pattern */
};

struct csrf_conf_double {
	char *cookie_name;
	struct cookie_spec cookie;
	int token_source;
	char *source_key;
};

struct csrf_conf_sync {
	int token_source;
	char *source_key;
};

#define CSRF_CUSTOM_HEADER 0
#define CSRF_DOUBLE_SUBMIT 1
#define CSRF_SYNCHRONIZER  2

/* The spec: the runtime struct first, vhost handlers point at it. */
struct csrf_conf_spec {
	struct conf_proxy px; /* the token endpoint: patterns, methods */
	conf_methods skip_methods;
	char *proxy_header_name; /* canonical, or NULL */
	int issue_new;
	char *secret; /* base64 */
	int32_t seed_size;
	int hash_alg;
	struct csrf_conf_header crh;
	struct csrf_conf_double dsc;
	struct csrf_conf_sync sync;
	/* built by the check */
	int strategy; /* CSRF_* */
	unsigned char *key;
	size_t klen;
	size_t hsize; /* the hash's size: also the seed's */
};

static const struct kname csrf_conf_sources[] = {
	{ "Header", CSRF_SOURCE_HEADER },
	{ "Form", CSRF_SOURCE_FORM },
	{ "JSON", CSRF_SOURCE_JSON },
	{ NULL, 0 },
};

/* AILERON's name rule for headers, cookies and keys: ^[0-9a-zA-Z-_]+$. */
static int
csrf_name_valid(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return 0;
	return 1;
}

static void
csrf_conf_name(
    struct loader *ld, yaml_node_t *node, const char *field, const char *value)
{
	if (value != NULL && !csrf_name_valid(value))
		conf_errorn(ld, conf_field_node(ld, node, field),
		    "field \"%s\": must match ^[0-9a-zA-Z-_]+$", field);
}

/* Free the compiled allowedPattern with the config. */
static void
csrf_conf_free_re(void *re)
{
	pcre2_code_free(re);
}

static void
csrf_conf_header_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct csrf_conf_header *h = obj;
	PCRE2_SIZE off;
	int err;

	static char dflt[] = "X-Requested-With";

	if (h->header_name == NULL || *h->header_name == '\0')
		h->header_name = dflt;
	csrf_conf_name(ld, node, "headerName", h->header_name);
	if (h->allowed_pattern == NULL || *h->allowed_pattern == '\0')
		return;
	h->re = pcre2_compile((PCRE2_SPTR)h->allowed_pattern,
	    PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
	if (h->re != NULL)
		conf_at_free(ld, csrf_conf_free_re, h->re);
	if (h->re == NULL) {
		PCRE2_UCHAR msg[128];

		pcre2_get_error_message(err, msg, sizeof(msg));
		conf_errorn(ld, conf_field_node(ld, node, "allowedPattern"),
		    "field \"allowedPattern\": invalid regular expression "
		    "\"%s\": %s",
		    h->allowed_pattern, (const char *)msg);
	}
}

static const struct conf_field csrf_conf_header_fields[] = {
	FSTRD("headerName", struct csrf_conf_header, header_name,
	    "X-Requested-With"),
	FSTR("allowedPattern", struct csrf_conf_header, allowed_pattern),
	FEND,
};
static const struct conf_table csrf_conf_header_table = {
	csrf_conf_header_fields, csrf_conf_header_check
};

static void
csrf_conf_double_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct csrf_conf_double *d = obj;

	csrf_conf_name(ld, node, "cookieName", d->cookie_name);
	csrf_conf_name(ld, node, "sourceKey", d->source_key);
	d->cookie.set = cookie_spec_written(ld, node, "cookie");
}

static const struct conf_field csrf_conf_double_fields[] = {
	FSTRD(
	    "cookieName", struct csrf_conf_double, cookie_name, "__csrfToken"),
	FOBJ("cookie", struct csrf_conf_double, cookie, &cookie_spec_table),
	FENUMD("tokenSource", struct csrf_conf_double, token_source,
	    csrf_conf_sources, "Header"),
	FSTRD("sourceKey", struct csrf_conf_double, source_key, "__csrfToken"),
	FEND,
};
static const struct conf_table csrf_conf_double_table = {
	csrf_conf_double_fields, csrf_conf_double_check
};

static void
csrf_conf_sync_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct csrf_conf_sync *s = obj;

	csrf_conf_name(ld, node, "sourceKey", s->source_key);
}

static const struct conf_field csrf_conf_sync_fields[] = {
	FENUMD("tokenSource", struct csrf_conf_sync, token_source,
	    csrf_conf_sources, "Header"),
	FSTRD("sourceKey", struct csrf_conf_sync, source_key, "__csrfToken"),
	FEND,
};
static const struct conf_table csrf_conf_sync_table = { csrf_conf_sync_fields,
	csrf_conf_sync_check };

/* Whether the spec wrote field name (a mapping, not null). */
static int
csrf_conf_has(struct loader *ld, yaml_node_t *node, const char *name)
{
	yaml_node_t *v;

	if (node == NULL || (v = conf_field_node(ld, node, name)) == node)
		return 0;
	return v != NULL && !conf_is_null(v);
}

/* The secret as bytes: the base64 given, or SHA-512 of the host name. */
static void
csrf_conf_secret(struct loader *ld, yaml_node_t *node, struct csrf_conf_spec *s)
{
	char host[256];
	size_t n;

	if (s->secret == NULL || *s->secret == '\0') {
		if (gethostname(host, sizeof(host)) < 0)
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
		s->key = arena_alloc(ld->arena, KHASH_MAX);
		s->klen =
		    (size_t)khash_sum(KHASH_SHA512, host, strlen(host), s->key);
		return;
	}
	n = strlen(s->secret);
	s->key = arena_alloc(ld->arena, kenc_decoded_max(KENC_BASE64, n) + 1);
	if (kenc_decode(KENC_BASE64, s->secret, n, s->key, &s->klen) < 0)
		conf_errorn(ld, conf_field_node(ld, node, "secret"),
		    "field \"secret\": not valid base64");
}

static void
csrf_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct csrf_conf_spec *s = obj;
	int n = 0;

	s->px.kind = CONF_PROXY_CSRF;
	if (csrf_conf_has(ld, node, "customRequestHeader"))
		n++, s->strategy = CSRF_CUSTOM_HEADER;
	if (csrf_conf_has(ld, node, "doubleSubmitCookies"))
		n++, s->strategy = CSRF_DOUBLE_SUBMIT;
	if (csrf_conf_has(ld, node, "synchronizerToken"))
		n++, s->strategy = CSRF_SYNCHRONIZER;
	if (n > 1)
		conf_errorn(ld, node,
		    "only one of customRequestHeader, doubleSubmitCookies and "
		    "synchronizerToken may be set");
	if (n == 0) /* AILERON's default: a custom header, X-Requested-With */
		csrf_conf_header_check(ld, &s->crh, NULL);
	if (s->proxy_header_name != NULL && *s->proxy_header_name == '\0')
		s->proxy_header_name = NULL;
	if (s->proxy_header_name != NULL)
		header_policy_canonical(s->proxy_header_name,
		    strlen(s->proxy_header_name), s->proxy_header_name);
	if (s->hash_alg == KHASH_UNKNOWN) /* a zero value keeps the default */
		s->hash_alg = KHASH_SHA256;
	if (!khash_hmac_ok((enum khash_alg)s->hash_alg))
		conf_errorn(ld, conf_field_node(ld, node, "hashAlg"),
		    "field \"hashAlg\": %s has no HMAC",
		    kname_name(khash_names, s->hash_alg));
	s->hsize = khash_size((enum khash_alg)s->hash_alg);
	csrf_conf_secret(ld, node, s);
}

static const struct conf_field csrf_conf_fields[] = {
	FSTRSD("patterns", struct csrf_conf_spec, px.patterns, px.npatterns,
	    CF_UNIQUE, "/token"),
	FMETHODS("methods", struct csrf_conf_spec, px.methods),
	FMETHODS("skipMethods", struct csrf_conf_spec, skip_methods),
	FSTR("proxyHeaderName", struct csrf_conf_spec, proxy_header_name),
	FBOOL("issueNew", struct csrf_conf_spec, issue_new),
	FSTR("secret", struct csrf_conf_spec, secret),
	FINTD("seedSize", struct csrf_conf_spec, seed_size, 5, INT32_MAX, "20"),
	FENUMD(
	    "hashAlg", struct csrf_conf_spec, hash_alg, khash_names, "SHA256"),
	FOBJ("customRequestHeader", struct csrf_conf_spec, crh,
	    &csrf_conf_header_table),
	/* one of the three: -t shows the default one */
	FOBJD("doubleSubmitCookies", struct csrf_conf_spec, dsc,
	    &csrf_conf_double_table, "null"),
	FOBJD("synchronizerToken", struct csrf_conf_spec, sync,
	    &csrf_conf_sync_table, "null"),
	FEND,
};
static const struct conf_table csrf_conf_table = { csrf_conf_fields,
	csrf_conf_check };

extern const struct middleware_ops csrf_middleware;

const struct kind csrf_conf_kind = {
	.api_version = "app/v1",
	.kind = "CSRFMiddleware",
	.roles = KIND_ROLE_HANDLER | KIND_ROLE_MIDDLEWARE,
	.table = &csrf_conf_table,
	.size = sizeof(struct csrf_conf_spec),
	.id_off = offsetof(struct csrf_conf_spec, px.id),
	.eh_off = KIND_NO_OFF,
	.middleware = &csrf_middleware,
};

/*
 * Runtime part.
 */

/* hex(seed || HMAC(secret, seed)) into out; the seed as long as the hash. */
static int
csrf_token_new(const struct csrf_conf_spec *s, char *out)
{
	unsigned char b[2 * KHASH_MAX];

	if (RAND_bytes(b, (int)s->hsize) != 1 ||
	    khash_hmac((enum khash_alg)s->hash_alg, s->key, s->klen, b,
	        s->hsize, b + s->hsize) < 0)
		return -1;
	kenc_encode(KENC_BASE16, b, 2 * s->hsize, out);
	out[4 * s->hsize] = '\0';
	return 0;
}

/* Whether t[0..n) is hex of the right length whose HMAC matches. */
static int
csrf_token_valid(const struct csrf_conf_spec *s, const char *t, size_t n)
{
	unsigned char b[2 * KHASH_MAX + 1], mac[KHASH_MAX];
	size_t len = 0;

	if (n != 4 * s->hsize || kenc_decode(KENC_BASE16, t, n, b, &len) < 0 ||
	    len != 2 * s->hsize ||
	    khash_hmac((enum khash_alg)s->hash_alg, s->key, s->klen, b,
	        s->hsize, mac) < 0)
		return 0;
	return CRYPTO_memcmp(mac, b + s->hsize, s->hsize) == 0;
}

/* Unescape the JSON string s..e (quotes excluded) into out; its length. */
static size_t
csrf_json_unescape(const char *s, const char *e, char *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	size_t o = 0;
	const char *c;

	for (; s < e; s++) {
		if (*s != '\\' || s + 1 >= e) {
			out[o++] = *s;
			continue;
		}
		s++;
		if ((c = strchr(from, *s)) != NULL && *s != '\0')
			out[o++] = to[c - from];
		else if (*s == 'u' && e - s > 4) {
			char hex[5] = { s[1], s[2], s[3], s[4], '\0' };
			unsigned long u = strtoul(hex, NULL, 16);

			if (u < 0x80)
				out[o++] = (char)u;
			else if (u < 0x800) {
				out[o++] = (char)(0xc0 | (u >> 6));
				out[o++] = (char)(0x80 | (u & 0x3f));
			} else {
				out[o++] = (char)(0xe0 | (u >> 12));
				out[o++] = (char)(0x80 | ((u >> 6) & 0x3f));
				out[o++] = (char)(0x80 | (u & 0x3f));
			}
			s += 4;
		} else
			out[o++] = *s;
	}
	return o;
}

/*
 * Member key of the top-level JSON object in the body, as gjson's
 * GetBytes(body, key).String() reads it (leniently: a body cut short
 * after the member still gives it): a string unescaped, a number or
 * literal as written.  NULL when absent.
 */
static const char *
csrf_json_value(struct request *r, const char *key, size_t *len)
{
	struct jsonscan_member m = { NULL, NULL, NULL, NULL };
	const char *p, *end;
	size_t klen = strlen(key), n;
	char *out;

	if ((p = mw_body_buffered(r, "application/json", &n)) == NULL)
		return NULL;
	end = p + n;
	p = jsonscan_ws(p, end);
	out = arena_alloc(r->arena, n + 1);
	while (jsonscan_next(p, end, &m) > 0) {
		if (csrf_json_unescape(m.key + 1, m.key_end - 1, out) != klen ||
		    memcmp(out, key, klen) != 0)
			continue;
		if (*m.value == '"')
			*len = csrf_json_unescape(
			    m.value + 1, m.value_end - 1, out);
		else if (*m.value == 'n') /* null */
			*len = 0;
		else {
			*len = (size_t)(m.value_end - m.value);
			memcpy(out, m.value, *len);
		}
		return out;
	}
	return NULL;
}

/* The token a request carries in source at key, or NULL. */
static const char *
csrf_source(struct request *r, int source, const char *key, size_t *len)
{
	if (source == CSRF_SOURCE_FORM)
		return mw_form_value(r, key, len);
	if (source == CSRF_SOURCE_JSON)
		return csrf_json_value(r, key, len);
	return mw_request_header_span(r, key, len);
}

/*
 * synchronizerToken: the token kept in the session must equal the one the
 * request carries and be valid.  0 with *tok set, 403, or 500 when there
 * is no session or no token in it.
 */
static int
csrf_get_sync(
    const struct csrf_conf_spec *s, struct request *r, const char **tok)
{
	struct session *ss = session_of(r);
	const unsigned char *st;
	const char *t;
	size_t sn = 0, n = 0;

	if (ss == NULL) {
		log_debug("E3210 CSRFMiddleware: no session (the "
		          "synchronizer token needs app/v1 SessionMiddleware "
		          "before it)");
		return 500;
	}
	if ((st = session_get_blob(ss, CSRF_SESSION_KEY, &sn)) == NULL) {
		log_debug("E3210 CSRFMiddleware: no token in the session");
		return 500;
	}
	if ((t = csrf_source(
	         r, s->sync.token_source, s->sync.source_key, &n)) == NULL ||
	    n != sn || CRYPTO_memcmp(st, t, n) != 0 ||
	    !csrf_token_valid(s, t, n))
		return 403;
	*tok = arena_strndup(r->arena, t, n);
	return 0;
}

/* The request's valid token (NUL-terminated in the arena), or NULL. */
static const char *
csrf_get(const struct csrf_conf_spec *s, struct request *r)
{
	const char *t, *c;
	size_t n = 0, cn = 0;

	if (s->strategy == CSRF_SYNCHRONIZER)
		return csrf_get_sync(s, r, &t) == 0 ? t : NULL;
	if (s->strategy == CSRF_CUSTOM_HEADER) {
		t = mw_request_header_span(r, s->crh.header_name, &n);
		if (t == NULL || n == 0)
			return NULL;
		t = arena_strndup(r->arena, t, n);
		if (s->crh.re != NULL) {
			pcre2_match_data *md =
			    pcre2_match_data_create_from_pattern(
			        s->crh.re, NULL);
			int hit = md != NULL &&
			    pcre2_match(s->crh.re, (PCRE2_SPTR)t, n, 0, 0, md,
			        NULL) >= 0;

			pcre2_match_data_free(md);
			if (hit)
				return t;
		}
		return csrf_token_valid(s, t, n) ? t : NULL;
	}
	/* doubleSubmitCookies: the cookie and the source agree, and verify */
	if ((c = cookie_get(r, s->dsc.cookie_name, &cn)) == NULL ||
	    (t = csrf_source(r, s->dsc.token_source, s->dsc.source_key, &n)) ==
	        NULL ||
	    n != cn || CRYPTO_memcmp(c, t, n) != 0 ||
	    !csrf_token_valid(s, t, n))
		return NULL;
	return arena_strndup(r->arena, t, n);
}

/* Drop the incoming proxyHeaderName fields: only ours goes upstream. */
static void
csrf_drop_proxy_header(const struct csrf_conf_spec *s, struct request *r)
{
	const struct http_msg *m = r->msg;
	size_t i, n = strlen(s->proxy_header_name);

	for (i = 0; i < m->nfields; i++)
		if (m->fields[i].name.len == n &&
		    strncasecmp(r->buf + m->fields[i].name.off,
		        s->proxy_header_name, n) == 0)
			r->drop[i / 64] |= (uint64_t)1 << (i % 64);
}

static int
csrf_request(void *inst, struct request *r)
{
	const struct csrf_conf_spec *s = inst;
	const char *t = NULL;
	int rc;

	if (s->proxy_header_name != NULL)
		csrf_drop_proxy_header(s, r);
	if (s->skip_methods != 0 &&
	    mw_methods_listed(s->skip_methods, r->msg->method_id))
		return HANDLER_DECLINED;
	if (s->strategy == CSRF_SYNCHRONIZER &&
	    (rc = csrf_get_sync(s, r, &t)) != 0)
		return response_error(r, rc, rc == 500 ? "E3210" : "E3209") < 0
		    ? HANDLER_ABORT
		    : HANDLER_OK;
	if (s->strategy != CSRF_SYNCHRONIZER && (t = csrf_get(s, r)) == NULL) {
		log_debug("E3209 CSRFMiddleware: invalid csrf token");
		return response_error(r, 403, "E3209") < 0 ? HANDLER_ABORT
		                                           : HANDLER_OK;
	}
	if (s->proxy_header_name != NULL)
		request_proxy_header(r, s->proxy_header_name,
		    strlen(s->proxy_header_name), t, strlen(t));
	return HANDLER_DECLINED;
}

/* Does Accept contain s (Go's strings.Contains)? */
static int
csrf_accepts(const char *a, size_t n, const char *s)
{
	return a != NULL && memmem(a, n, s, strlen(s)) != NULL;
}

/* synchronizerToken: keep token t in the session (a Go []byte). */
static int
csrf_store_sync(struct request *r, const char *t)
{
	struct session *ss = session_of(r);

	if (ss == NULL) {
		log_debug("E3210 CSRFMiddleware: no session to keep the token "
		          "in (app/v1 SessionMiddleware must come before)");
		return -1;
	}
	if (session_put_blob(ss, CSRF_SESSION_KEY, t, strlen(t)) < 0) {
		log_error("E3210 CSRFMiddleware: the session is full");
		return -1;
	}
	return 0;
}

/* The token endpoint: reuse the request's token or make one, store it, return it. */
static int
csrf_serve(void *inst, struct request *r)
{
	const struct csrf_conf_spec *s = inst;
	const char *t = NULL, *ctype, *accept;
	char fresh[CSRF_TOKEN_MAX + 1], *body;
	size_t alen = 0, blen;

	if (!s->issue_new)
		t = csrf_get(s, r);
	if (t == NULL) {
		if (csrf_token_new(s, fresh) < 0) {
			log_error("E3208 CSRFMiddleware: no new token");
			return response_error(r, 500, "E3208") < 0
			    ? HANDLER_ABORT
			    : HANDLER_OK;
		}
		t = fresh;
	}
	if (s->strategy == CSRF_SYNCHRONIZER && csrf_store_sync(r, t) < 0)
		return response_error(r, 500, "E3210") < 0 ? HANDLER_ABORT
		                                           : HANDLER_OK;
	accept = mw_request_header_span(r, "Accept", &alen);
	body = arena_alloc(r->arena, strlen(t) + 32);
	if (csrf_accepts(accept, alen, "text/plain")) {
		ctype = "text/plain; charset=utf-8";
		blen = (size_t)sprintf(body, "%s", t);
	} else if (csrf_accepts(accept, alen, "application/json") ||
	    csrf_accepts(accept, alen, "text/json")) {
		ctype = "application/json; charset=utf-8";
		blen = (size_t)sprintf(body, "{\"token\":\"%s\"}", t);
	} else if (csrf_accepts(accept, alen, "application/xml") ||
	    csrf_accepts(accept, alen, "text/xml")) {
		ctype = "application/xml; charset=utf-8";
		blen = (size_t)sprintf(body, "<token>%s</token>", t);
	} else {
		ctype = "text/plain; charset=utf-8";
		blen = (size_t)sprintf(body, "%s", t);
	}
	if (response_start(r, 200, NULL, 0) < 0 ||
	    (s->strategy == CSRF_DOUBLE_SUBMIT &&
	        response_add_str(r, "Set-Cookie",
	            cookie_format(r->arena, &s->dsc.cookie, s->dsc.cookie_name,
	                t, strlen(t))) < 0) ||
	    response_set(r, "X-Content-Type-Options", "nosniff") < 0 ||
	    response_set(r, "Cache-Control", "no-store") < 0 ||
	    response_set(r, "Content-Type", ctype) < 0 ||
	    response_send_head(r, RESPONSE_LENGTH, blen) < 0 ||
	    response_body(r, body, blen) < 0 || response_end(r) < 0)
		return HANDLER_ABORT;
	return HANDLER_OK;
}

const struct middleware_ops csrf_middleware = {
	.name = "app/v1/CSRFMiddleware",
	.request = csrf_request,
};

const struct handler_ops csrf_handler = {
	.name = "app/v1/CSRFMiddleware",
	.serve = csrf_serve,
};
