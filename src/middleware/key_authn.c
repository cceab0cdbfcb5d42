/* app/v1 KeyAuthnMiddleware: API keys in a request header, checked against a key store. */
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

struct key_authn_conf_spec {
	struct authn_conf_common c;
	char *key_header; /* keyHeaderName */
	int hash_alg;
	char *hmac_secret;
	struct authn_conf_env env;
	struct authn_conf_file file;
	/* built at load */
	struct authn_store store;
	unsigned char *hmac;
	size_t hmac_len;
};

static const struct conf_field key_authn_conf_env_fields[] = {
	FSTRD("keyPrefix", struct authn_conf_env, p1, "GATEWAY_APIKEY_"),
	FENUM("encoding", struct authn_conf_env, encoding, kenc_names),
	FEND,
};
static const struct conf_table key_authn_conf_env_table = {
	key_authn_conf_env_fields, authn_conf_env_mark
};

/* Load the keys and the HMAC secret now. */
static void
key_authn_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct key_authn_conf_spec *ks = obj;

	(void)authn_conf_hmac(
	    ld, node, ks->hash_alg, ks->hmac_secret, &ks->hmac, &ks->hmac_len);
	authn_conf_load(
	    ld, node, &ks->env, &ks->file, AUTHN_KEYS, "key", &ks->store);
}

static const struct conf_field key_authn_conf_fields[] = {
	FFUNCAT("logger", struct key_authn_conf_spec, c.logger, conf_set_ref),
	FFUNCAT(
	    "errorHandler", struct key_authn_conf_spec, c.eh_ref, conf_set_ref),
	FSTRD("claimsKey", struct key_authn_conf_spec, c.claims_key,
	    "AuthnClaims"),
	FBOOL("keepCredentials", struct key_authn_conf_spec, c.keep),
	FSTRD("keyHeaderName", struct key_authn_conf_spec, key_header,
	    "X-Api-Key"),
	FENUM("hashAlg", struct key_authn_conf_spec, hash_alg, khash_names),
	FSTR("hmacSecret", struct key_authn_conf_spec, hmac_secret),
	FOBJ("envProvider", struct key_authn_conf_spec, env,
	    &key_authn_conf_env_table),
	FOBJD("fileProvider", struct key_authn_conf_spec, file,
	    &authn_conf_file_table, "null"),
	FEND,
};
static const struct conf_table key_authn_conf_table = { key_authn_conf_fields,
	key_authn_conf_check };

static void
key_authn_conf_build(struct loader *ld, struct conf_doc *doc)
{
	struct key_authn_conf_spec *ks = doc->obj;

	authn_conf_refs(ld, &ks->c);
}

extern const struct middleware_ops key_authn_middleware;

const struct kind key_authn_conf_kind = {
	.api_version = "app/v1",
	.kind = "KeyAuthnMiddleware",
	.roles = KIND_ROLE_MIDDLEWARE,
	.table = &key_authn_conf_table,
	.size = sizeof(struct key_authn_conf_spec),
	.id_off = KIND_NO_OFF,
	.eh_off = KIND_NO_OFF,
	.build = key_authn_conf_build,
	.middleware = &key_authn_middleware,
};

/*
 * Runtime part.
 */

/* Let a request with a known key through; 403 for the others. */
static int
key_authn_request_hook(void *inst, struct request *r)
{
	const struct key_authn_conf_spec *ks = inst;
	unsigned char buf[KHASH_MAX], *given = buf;
	const char *key;
	size_t n;
	long len;

	if ((key = authn_header(r, ks->key_header, &n)) == NULL) {
		log_debug("KeyAuthnMiddleware: no API key");
		return authn_error(r, &ks->c, 403, "");
	}
	if (ks->hash_alg == KHASH_UNKNOWN)
		given = (unsigned char *)(uintptr_t)key; /* compared as it is */
	else if ((len = authn_transform(ks->hash_alg, ks->hmac, ks->hmac_len,
	              key, n, buf, sizeof(buf))) < 0)
		return authn_error(r, &ks->c, 500, "");
	else
		n = (size_t)len;
	if (authn_find_secret(&ks->store, given, n) == NULL) {
		OPENSSL_cleanse(buf, sizeof(buf));
		log_debug("KeyAuthnMiddleware: invalid API key");
		return authn_error(r, &ks->c, 403, "");
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	if (!ks->c.keep)
		authn_drop_header(r, ks->key_header);
	return HANDLER_DECLINED;
}

const struct middleware_ops key_authn_middleware = {
	.name = "app/v1/KeyAuthnMiddleware",
	.request = key_authn_request_hook,
};
