/* app/v1 BasicAuthnMiddleware: HTTP Basic authentication against a credential store. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "arena.h"
#include "conf_table.h"
#include "errpage.h"
#include "kcipher.h"
#include "kenc.h"
#include "kind.h"
#include "kpass.h"
#include "log.h"
#include "middleware.h"
#include "middleware/authn.h"
#include "request.h"
#include "response.h"

/*
 * Config part.
 */

#define BASIC_AUTHN_MAX_REALM 256

struct basic_authn_conf_spec {
	struct authn_conf_common c;
	struct authn_conf_pass pass;
	int cipher; /* commonKeyCryptType */
	char *crypt_secret;
	char *realm;
	int prefer_error;
	struct authn_conf_env env;
	struct authn_conf_file file;
	/* built at load */
	struct authn_store store;
	char *challenge;      /* the WWW-Authenticate value */
	unsigned char *dummy; /* a stored value no password matches */
	size_t dummy_len;
};

static const struct conf_field basic_authn_conf_env_fields[] = {
	FSTRD("usernamePrefix", struct authn_conf_env, p1,
	    "GATEWAY_BASIC_USERNAME_"),
	FSTRD("passwordPrefix", struct authn_conf_env, p2,
	    "GATEWAY_BASIC_PASSWORD_"),
	FENUM("encoding", struct authn_conf_env, encoding, kenc_names),
	FEND,
};
static const struct conf_table basic_authn_conf_env_table = {
	basic_authn_conf_env_fields, authn_conf_env_mark
};

/* Quote the realm as an HTTP quoted-string; -1 if it cannot be sent. */
static int
basic_authn_conf_challenge(struct loader *ld, struct basic_authn_conf_spec *bs)
{
	char q[2 * BASIC_AUTHN_MAX_REALM + 1];
	const char *s = bs->realm != NULL ? bs->realm : "";
	size_t n = 0;
	int len;

	if (strlen(s) > BASIC_AUTHN_MAX_REALM)
		return -1;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -1;
		if (c == '"' || c == '\\')
			q[n++] = '\\';
		q[n++] = (char)c;
	}
	q[n] = '\0';
	len = snprintf(NULL, 0, "Basic realm=\"%s\", charset=\"UTF-8\"", q);
	bs->challenge = arena_alloc(ld->arena, (size_t)len + 1);
	snprintf(bs->challenge, (size_t)len + 1,
	    "Basic realm=\"%s\", charset=\"UTF-8\"", q);
	return 0;
}

/* Load the store, decrypt it, and prepare what the runtime needs. */
static void
basic_authn_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct basic_authn_conf_spec *bs = obj;
	unsigned char pw[16];
	size_t cap;

	if (basic_authn_conf_challenge(ld, bs) == -1)
		conf_errorn(ld, conf_field_node(ld, node, "realm"),
		    "realm: at most %d characters, no control characters",
		    BASIC_AUTHN_MAX_REALM);
	authn_conf_load(
	    ld, node, &bs->env, &bs->file, AUTHN_PAIRS, "user", &bs->store);
	authn_conf_decrypt(
	    ld, node, &bs->store, bs->cipher, bs->crypt_secret, "user");
	if (!bs->pass.set || bs->pass.spec.method == KPASS_NONE)
		return;
	/* Unknown users are checked against this, so that they take as long. */
	cap = kpass_sum_len(&bs->pass.spec);
	bs->dummy = arena_alloc(ld->arena, cap + 1);
	if (kcipher_random(pw, sizeof(pw)) == -1 ||
	    kpass_sum(&bs->pass.spec, pw, sizeof(pw), bs->dummy,
	        &bs->dummy_len) == -1)
		bs->dummy_len = 0;
	OPENSSL_cleanse(pw, sizeof(pw));
}

static const struct conf_field basic_authn_conf_fields[] = {
	FFUNCAT("logger", struct basic_authn_conf_spec, c.logger, conf_set_ref),
	FFUNCAT("errorHandler", struct basic_authn_conf_spec, c.eh_ref,
	    conf_set_ref),
	FSTRD("claimsKey", struct basic_authn_conf_spec, c.claims_key,
	    "AuthnClaims"),
	FBOOL("keepCredentials", struct basic_authn_conf_spec, c.keep),
	FOBJD("passwordCrypt", struct basic_authn_conf_spec, pass,
	    &authn_conf_pass_table, "null"),
	FENUM("commonKeyCryptType", struct basic_authn_conf_spec, cipher,
	    kcipher_names),
	FSTR("cryptSecret", struct basic_authn_conf_spec, crypt_secret),
	FSTR("realm", struct basic_authn_conf_spec, realm),
	FBOOL("preferError", struct basic_authn_conf_spec, prefer_error),
	FOBJ("envProvider", struct basic_authn_conf_spec, env,
	    &basic_authn_conf_env_table),
	FOBJD("fileProvider", struct basic_authn_conf_spec, file,
	    &authn_conf_file_table, "null"),
	FEND,
};
static const struct conf_table basic_authn_conf_table = {
	basic_authn_conf_fields, basic_authn_conf_check
};

static void
basic_authn_conf_build(struct loader *ld, struct conf_doc *doc)
{
	struct basic_authn_conf_spec *bs = doc->obj;

	authn_conf_refs(ld, &bs->c);
}

extern const struct middleware_ops basic_authn_middleware;

const struct kind basic_authn_conf_kind = {
	.api_version = "app/v1",
	.kind = "BasicAuthnMiddleware",
	.roles = KIND_ROLE_MIDDLEWARE,
	.table = &basic_authn_conf_table,
	.size = sizeof(struct basic_authn_conf_spec),
	.id_off = KIND_NO_OFF,
	.eh_off = KIND_NO_OFF,
	.build = basic_authn_conf_build,
	.middleware = &basic_authn_middleware,
};

/*
 * Runtime part.
 */

/* 401 with the challenge and an empty body: the client asks the user. */
static int
basic_authn_challenge(const struct basic_authn_conf_spec *bs, struct request *r)
{
	if (response_start(r, 401, NULL, 0) < 0 ||
	    response_add_str(r, "WWW-Authenticate", bs->challenge) < 0 ||
	    response_send_head(r, RESPONSE_LENGTH, 0) < 0 ||
	    response_end(r) < 0)
		return HANDLER_ABORT;
	return HANDLER_OK;
}

/* Whether pw matches the credential c (NULL: unknown user). */
static int
basic_authn_verify(const struct basic_authn_conf_spec *bs,
    const struct authn_cred *c, const char *pw, size_t n)
{
	const struct kpass_spec *s = &bs->pass.spec;

	if (bs->pass.set && s->method != KPASS_NONE) {
		if (c == NULL) {
			if (bs->dummy_len > 0)
				(void)kpass_verify(
				    s, bs->dummy, bs->dummy_len, pw, n);
			return 0;
		}
		return kpass_verify(s, c->secret, c->secret_len, pw, n) == 0;
	}
	if (c == NULL) {
		(void)authn_equal(
		    (const unsigned char *)pw, n, (const unsigned char *)pw, n);
		return 0;
	}
	return authn_equal(
	    c->secret, c->secret_len, (const unsigned char *)pw, n);
}

/* Let a request with good credentials through; challenge the others. */
static int
basic_authn_request_hook(void *inst, struct request *r)
{
	const struct basic_authn_conf_spec *bs = inst;
	const struct authn_cred *c;
	const char *v, *user, *pw;
	size_t n, ulen, plen, bsize;
	char *buf;
	int ok;

	v = authn_header(r, "Authorization", &n);
	bsize = v != NULL ? kenc_decoded_max(KENC_BASE64, n) + 1 : 0;
	buf = v != NULL ? arena_alloc(r->arena, bsize) : NULL;
	if (v == NULL ||
	    authn_basic_parse(v, n, buf, &user, &ulen, &pw, &plen) == -1) {
		if (buf != NULL)
			OPENSSL_cleanse(buf, bsize);
		log_debug("BasicAuthnMiddleware: no valid Basic credentials");
		return basic_authn_challenge(bs, r);
	}
	c = authn_find(&bs->store, user, ulen);
	ok = basic_authn_verify(bs, c, pw, plen);
	OPENSSL_cleanse(buf, bsize); /* the password */
	if (!ok) {
		log_debug("E3050 BasicAuthnMiddleware: authentication failed");
		if (bs->prefer_error)
			return authn_error(r, &bs->c, 401, ERRPAGE_AUTHN);
		return basic_authn_challenge(bs, r);
	}
	if (!bs->c.keep)
		authn_drop_header(r, "Authorization");
	return HANDLER_DECLINED;
}

const struct middleware_ops basic_authn_middleware = {
	.name = "app/v1/BasicAuthnMiddleware",
	.request = basic_authn_request_hook,
};
