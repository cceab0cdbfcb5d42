/* app/v1 IDKeyAuthnMiddleware: an API id and key in request headers, checked against a store. */
#include <string.h>

#include <openssl/crypto.h>

#include "conf_table.h"
#include "khash.h"
#include "kind.h"
#include "log.h"
#include "middleware.h"
#include "middleware/authn.h"
#include "request.h"

/*
 * Config part.
 */

struct idkey_authn_conf_spec {
	struct authn_conf_common c;
	char *key_header; /* keyHeaderName */
	char *id_header;  /* idHeaderName */
	int hash_alg;
	char *hmac_secret;
	int cipher; /* commonKeyCryptType */
	char *crypt_secret;
	struct authn_conf_env env;
	struct authn_conf_file file;
	/* built at load */
	struct authn_store store;
	unsigned char *hmac;
	size_t hmac_len;
};

static const struct conf_field idkey_authn_conf_env_fields[] = {
	FSTRD("keyPrefix", struct authn_conf_env, p2, "GATEWAY_APIKEY_KEY_"),
	FSTRD("idPrefix", struct authn_conf_env, p1, "GATEWAY_APIKEY_ID_"),
	FENUM("encoding", struct authn_conf_env, encoding, kenc_names),
	FEND,
};
static const struct conf_table idkey_authn_conf_env_table = {
	idkey_authn_conf_env_fields, authn_conf_env_mark
};

/* Load the keys (decrypted) and the HMAC secret now. */
static void
idkey_authn_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct idkey_authn_conf_spec *is = obj;

	(void)authn_conf_hmac(
	    ld, node, is->hash_alg, is->hmac_secret, &is->hmac, &is->hmac_len);
	authn_conf_load(
	    ld, node, &is->env, &is->file, AUTHN_PAIRS, "id", &is->store);
	authn_conf_decrypt(
	    ld, node, &is->store, is->cipher, is->crypt_secret, "id");
}

static const struct conf_field idkey_authn_conf_fields[] = {
	FFUNCAT("logger", struct idkey_authn_conf_spec, c.logger, conf_set_ref),
	FFUNCAT("errorHandler", struct idkey_authn_conf_spec, c.eh_ref,
	    conf_set_ref),
	FSTRD("claimsKey", struct idkey_authn_conf_spec, c.claims_key,
	    "AuthnClaims"),
	FBOOL("keepCredentials", struct idkey_authn_conf_spec, c.keep),
	FSTRD("keyHeaderName", struct idkey_authn_conf_spec, key_header,
	    "X-Api-Key"),
	FSTRD("idHeaderName", struct idkey_authn_conf_spec, id_header,
	    "X-Api-Id"),
	FENUM("hashAlg", struct idkey_authn_conf_spec, hash_alg, khash_names),
	FSTR("hmacSecret", struct idkey_authn_conf_spec, hmac_secret),
	FENUM("commonKeyCryptType", struct idkey_authn_conf_spec, cipher,
	    kcipher_names),
	FSTR("cryptSecret", struct idkey_authn_conf_spec, crypt_secret),
	FOBJ("envProvider", struct idkey_authn_conf_spec, env,
	    &idkey_authn_conf_env_table),
	FOBJD("fileProvider", struct idkey_authn_conf_spec, file,
	    &authn_conf_file_table, "null"),
	FEND,
};
static const struct conf_table idkey_authn_conf_table = {
	idkey_authn_conf_fields, idkey_authn_conf_check
};

static void
idkey_authn_conf_build(struct loader *ld, struct conf_doc *doc)
{
	struct idkey_authn_conf_spec *is = doc->obj;

	authn_conf_refs(ld, &is->c);
}

extern const struct middleware_ops idkey_authn_middleware;

const struct kind idkey_authn_conf_kind = {
	.api_version = "app/v1",
	.kind = "IDKeyAuthnMiddleware",
	.roles = KIND_ROLE_MIDDLEWARE,
	.table = &idkey_authn_conf_table,
	.size = sizeof(struct idkey_authn_conf_spec),
	.id_off = KIND_NO_OFF,
	.eh_off = KIND_NO_OFF,
	.build = idkey_authn_conf_build,
	.middleware = &idkey_authn_middleware,
};

/*
 * Runtime part.
 */

/* Let a request with a known id and its key through; 403 for the others. */
static int
idkey_authn_request_hook(void *inst, struct request *r)
{
	const struct idkey_authn_conf_spec *is = inst;
	unsigned char buf[KHASH_MAX];
	const unsigned char *given;
	const struct authn_cred *c;
	const char *id, *key;
	size_t idlen, n;
	long len;
	int ok;

	if ((id = authn_header(r, is->id_header, &idlen)) == NULL ||
	    (key = authn_header(r, is->key_header, &n)) == NULL) {
		log_debug("IDKeyAuthnMiddleware: no API id or key");
		return authn_error(r, &is->c, 403, "");
	}
	given = (const unsigned char *)key;
	if (is->hash_alg != KHASH_UNKNOWN) {
		if ((len = authn_transform(is->hash_alg, is->hmac, is->hmac_len,
		         key, n, buf, sizeof(buf))) < 0)
			return authn_error(r, &is->c, 500, "");
		given = buf;
		n = (size_t)len;
	}
	c = authn_find(&is->store, id, idlen);
	if (c != NULL)
		ok = authn_equal(c->secret, c->secret_len, given, n);
	else {
		/* An unknown id costs a comparison too. */
		(void)authn_equal(given, n, given, n);
		ok = 0;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	if (!ok) {
		log_debug("IDKeyAuthnMiddleware: invalid API id or key");
		return authn_error(r, &is->c, 403, "");
	}
	if (!is->c.keep) {
		authn_drop_header(r, is->id_header);
		authn_drop_header(r, is->key_header);
	}
	return HANDLER_DECLINED;
}

const struct middleware_ops idkey_authn_middleware = {
	.name = "app/v1/IDKeyAuthnMiddleware",
	.request = idkey_authn_request_hook,
};
