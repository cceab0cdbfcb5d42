/* OAuthAuthenticationHandler keys: jwtHandler keys and secrets loaded as JWKs, signers, AILERON's kids. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cjose/cjose.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "arena.h"
#include "conf_table.h"
#include "kenc.h"
#include "middleware/oauth_internal.h"

#define OAUTH_MAX_KEY_FILE (1 << 20) /* bytes of a key file */

static const struct kname oauth_conf_algs[] = { { "ALGORITHM_UNKNOWN",
	                                            OAUTH_ALG_UNKNOWN },
	{ "NONE", OAUTH_ALG_NONE }, { "ES256", OAUTH_ES256 },
	{ "ES384", OAUTH_ES384 }, { "ES512", OAUTH_ES512 },
	{ "EdDSA", OAUTH_EDDSA }, { "HS256", OAUTH_HS256 },
	{ "HS384", OAUTH_HS384 }, { "HS512", OAUTH_HS512 },
	{ "RS256", OAUTH_RS256 }, { "RS384", OAUTH_RS384 },
	{ "RS512", OAUTH_RS512 }, { "PS256", OAUTH_PS256 },
	{ "PS384", OAUTH_PS384 }, { "PS512", OAUTH_PS512 }, { NULL, 0 } };

static const struct kname oauth_conf_key_types[] = { { "KEY_TYPE_UNKNOWN",
	                                                 OAUTH_KEY_UNKNOWN },
	{ "COMMON", OAUTH_KEY_COMMON }, { "PUBLIC", OAUTH_KEY_PUBLIC },
	{ "PRIVATE", OAUTH_KEY_PRIVATE }, { NULL, 0 } };

void
oauth_conf_jwk_free(void *arg)
{
	cjose_jwk_release(arg);
}

/* Read a key file or keyString (base64) into *buf; its length, or -1. */
static long
oauth_conf_key_bytes(struct loader *ld, yaml_node_t *node,
    const struct oauth_conf_key *k, unsigned char **buf)
{
	size_t n;

	if (k->file != NULL && k->file[0] != '\0') {
		FILE *fp = fopen(k->file, "rb");

		if (fp == NULL) {
			conf_errorn(ld,
			    conf_field_node(ld, node, "keyFilePath"),
			    "keyFilePath: cannot open %s: %s", k->file,
			    strerror(errno));
			return -1;
		}
		*buf = arena_alloc(ld->arena, OAUTH_MAX_KEY_FILE + 1);
		n = fread(*buf, 1, OAUTH_MAX_KEY_FILE + 1, fp);
		fclose(fp);
		if (n > OAUTH_MAX_KEY_FILE) {
			conf_errorn(ld,
			    conf_field_node(ld, node, "keyFilePath"),
			    "keyFilePath: %s is larger than %d bytes", k->file,
			    OAUTH_MAX_KEY_FILE);
			return -1;
		}
		return (long)n;
	}
	if (k->string == NULL || k->string[0] == '\0') {
		conf_errorn(ld, node, "a key needs keyFilePath or keyString");
		return -1;
	}
	n = strlen(k->string);
	*buf = arena_alloc(ld->arena, kenc_decoded_max(KENC_BASE64, n) + 1);
	if (kenc_decode(KENC_BASE64, k->string, n, (char *)*buf, &n) == -1) {
		conf_errorn(ld, conf_field_node(ld, node, "keyString"),
		    "keyString: not valid base64");
		return -1;
	}
	return (long)n;
}

/* A BIGNUM parameter of pkey as big-endian bytes of width w (0: its own). */
static uint8_t *
oauth_conf_bn(struct loader *ld, const EVP_PKEY *pkey, const char *name,
    size_t w, size_t *len)
{
	BIGNUM *bn = NULL;
	uint8_t *out;
	int n;

	if (!EVP_PKEY_get_bn_param(pkey, name, &bn))
		return NULL;
	n = BN_num_bytes(bn);
	if (w == 0)
		w = (size_t)n;
	out = arena_alloc(ld->arena, w > 0 ? w : 1);
	if ((size_t)n > w || BN_bn2binpad(bn, out, (int)w) < 0) {
		BN_free(bn);
		return NULL;
	}
	BN_free(bn);
	*len = w;
	return out;
}

/* The EC curves of keys: OpenSSL's name, cjose's, family, coordinate bytes. */
static const struct oauth_conf_curve {
	const char *group;
	cjose_jwk_ec_curve crv;
	int family;
	size_t w;
} oauth_conf_curves[] = {
	{ "prime256v1", CJOSE_JWK_EC_P_256, OAUTH_FAM_P256, 32 },
	{ "secp384r1", CJOSE_JWK_EC_P_384, OAUTH_FAM_P384, 48 },
	{ "secp521r1", CJOSE_JWK_EC_P_521, OAUTH_FAM_P521, 66 },
};

/* The curve of EC key pkey, or NULL when it is none of those. */
static const struct oauth_conf_curve *
oauth_conf_curve(const EVP_PKEY *pkey)
{
	char group[64];
	size_t i;

	if (!EVP_PKEY_get_utf8_string_param(
	        pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL))
		return NULL;
	for (i = 0;
	     i < sizeof(oauth_conf_curves) / sizeof(oauth_conf_curves[0]); i++)
		if (strcmp(group, oauth_conf_curves[i].group) == 0)
			return &oauth_conf_curves[i];
	return NULL;
}

/* n and e of RSA key pkey into rs: 0, or -1 (none, or under 2048 bits). */
static int
oauth_conf_rsa_pub(
    struct loader *ld, const EVP_PKEY *pkey, cjose_jwk_rsa_keyspec *rs)
{
	memset(rs, 0, sizeof(*rs));
	rs->n = oauth_conf_bn(ld, pkey, OSSL_PKEY_PARAM_RSA_N, 0, &rs->nlen);
	rs->e = oauth_conf_bn(ld, pkey, OSSL_PKEY_PARAM_RSA_E, 0, &rs->elen);
	return rs->n != NULL && rs->e != NULL && rs->nlen >= 256 ? 0 : -1;
}

/* Wipe the private key bytes b[0..n), if any. */
static void
oauth_conf_wipe(uint8_t *b, size_t n)
{
	if (b != NULL)
		OPENSSL_cleanse(b, n);
}

/* The JWK of an RSA or EC public key (read from PEM by OpenSSL). */
static cjose_jwk_t *
oauth_conf_pkey_jwk(struct loader *ld, EVP_PKEY *pkey, int *family)
{
	cjose_err err;

	if (EVP_PKEY_is_a(pkey, "RSA")) {
		cjose_jwk_rsa_keyspec rs;

		if (oauth_conf_rsa_pub(ld, pkey, &rs) < 0)
			return NULL; /* fewer than 2048 bits: refused */
		*family = OAUTH_FAM_RSA;
		return cjose_jwk_create_RSA_spec(&rs, &err);
	}
	if (EVP_PKEY_is_a(pkey, "EC")) {
		const struct oauth_conf_curve *cv = oauth_conf_curve(pkey);
		cjose_jwk_ec_keyspec es;

		if (cv == NULL)
			return NULL;
		memset(&es, 0, sizeof(es));
		es.crv = cv->crv;
		*family = cv->family;
		es.x = oauth_conf_bn(
		    ld, pkey, OSSL_PKEY_PARAM_EC_PUB_X, cv->w, &es.xlen);
		es.y = oauth_conf_bn(
		    ld, pkey, OSSL_PKEY_PARAM_EC_PUB_Y, cv->w, &es.ylen);
		if (es.x == NULL || es.y == NULL)
			return NULL;
		return cjose_jwk_create_EC_spec(&es, &err);
	}
	return NULL;
}

/* The JWK of an RSA or EC private key, with its private parts. */
static cjose_jwk_t *
oauth_conf_priv_jwk(struct loader *ld, EVP_PKEY *pkey, int *family)
{
	cjose_jwk_t *jwk = NULL;
	cjose_err err;

	if (EVP_PKEY_is_a(pkey, "RSA")) {
		cjose_jwk_rsa_keyspec rs;
		int pub = oauth_conf_rsa_pub(ld, pkey, &rs) == 0;

		rs.d =
		    oauth_conf_bn(ld, pkey, OSSL_PKEY_PARAM_RSA_D, 0, &rs.dlen);
		rs.p = oauth_conf_bn(
		    ld, pkey, OSSL_PKEY_PARAM_RSA_FACTOR1, 0, &rs.plen);
		rs.q = oauth_conf_bn(
		    ld, pkey, OSSL_PKEY_PARAM_RSA_FACTOR2, 0, &rs.qlen);
		rs.dp = oauth_conf_bn(
		    ld, pkey, OSSL_PKEY_PARAM_RSA_EXPONENT1, 0, &rs.dplen);
		rs.dq = oauth_conf_bn(
		    ld, pkey, OSSL_PKEY_PARAM_RSA_EXPONENT2, 0, &rs.dqlen);
		rs.qi = oauth_conf_bn(
		    ld, pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, 0, &rs.qilen);
		if (pub && rs.d != NULL) {
			*family = OAUTH_FAM_RSA;
			jwk = cjose_jwk_create_RSA_spec(&rs, &err);
		}
		oauth_conf_wipe(rs.d, rs.dlen);
		oauth_conf_wipe(rs.p, rs.plen);
		oauth_conf_wipe(rs.q, rs.qlen);
		oauth_conf_wipe(rs.dp, rs.dplen);
		oauth_conf_wipe(rs.dq, rs.dqlen);
		oauth_conf_wipe(rs.qi, rs.qilen);
		return jwk;
	}
	if (EVP_PKEY_is_a(pkey, "EC")) {
		const struct oauth_conf_curve *cv = oauth_conf_curve(pkey);
		cjose_jwk_ec_keyspec es;
		int fam;

		/* its public half must be usable too */
		if (cv == NULL ||
		    (jwk = oauth_conf_pkey_jwk(ld, pkey, &fam)) == NULL)
			return NULL;
		cjose_jwk_release(jwk);
		memset(&es, 0, sizeof(es));
		es.crv = cv->crv;
		es.d = oauth_conf_bn(
		    ld, pkey, OSSL_PKEY_PARAM_PRIV_KEY, cv->w, &es.dlen);
		if (es.d == NULL)
			return NULL;
		*family = cv->family;
		jwk = cjose_jwk_create_EC_spec(&es, &err);
		OPENSSL_cleanse(es.d, es.dlen);
		return jwk;
	}
	return NULL;
}

/*
 * The JWK of key k into k->jwk and k->family: a COMMON secret, or a PEM
 * key (PUBLIC; PRIVATE: its public half, or the whole key when sign);
 * checked against k->alg when set.  0, or -1 after reporting.
 */
static int
oauth_conf_key_load(
    struct loader *ld, yaml_node_t *node, struct oauth_conf_key *k, int sign)
{
	unsigned char *buf;
	cjose_err err;
	long n;

	if ((n = oauth_conf_key_bytes(ld, node, k, &buf)) < 0)
		return -1;
	if (k->type == OAUTH_KEY_COMMON) {
		if (n == 0) {
			conf_errorn(ld, node, "a COMMON key must not be empty");
			return -1;
		}
		k->family = OAUTH_FAM_HMAC;
		k->jwk = cjose_jwk_create_oct_spec(buf, (size_t)n, &err);
		OPENSSL_cleanse(buf, (size_t)n);
	} else {
		BIO *bio = BIO_new_mem_buf(buf, (int)n);
		EVP_PKEY *pkey = NULL;

		if (bio != NULL)
			pkey = k->type == OAUTH_KEY_PUBLIC
			    ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)
			    : PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		BIO_free(bio);
		if (k->type == OAUTH_KEY_PRIVATE)
			OPENSSL_cleanse(buf, (size_t)n);
		if (pkey == NULL) {
			conf_errorn(ld, node,
			    "E3400 the key is not a PEM %s key",
			    k->type == OAUTH_KEY_PUBLIC ? "public" : "private");
			return -1;
		}
		k->jwk = sign ? oauth_conf_priv_jwk(ld, pkey, &k->family)
		              : oauth_conf_pkey_jwk(ld, pkey, &k->family);
		EVP_PKEY_free(pkey);
	}
	if (k->jwk == NULL) {
		conf_errorn(ld, node,
		    "E3400 unusable key: RSA of 2048 bits or more, EC P-256, "
		    "P-384 or P-521, or a COMMON secret");
		return -1;
	}
	conf_at_free(ld, oauth_conf_jwk_free, k->jwk);
	if (k->alg != OAUTH_ALG_UNKNOWN &&
	    oauth_alg_family(k->alg) != k->family) {
		conf_errorn(ld, conf_field_node(ld, node, "algorithm"),
		    "algorithm: does not fit the key (%s)",
		    k->family == OAUTH_FAM_HMAC      ? "a COMMON secret"
		        : k->family == OAUTH_FAM_RSA ? "an RSA key"
		                                     : "an EC key");
		return -1;
	}
	return 0;
}

/* Load one public key: a PEM (PUBLIC, PRIVATE: its public half) or a secret. */
static void
oauth_conf_key_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct oauth_conf_key *k = obj;

	if (k->alg == OAUTH_ALG_NONE) {
		conf_errorn(ld, conf_field_node(ld, node, "algorithm"),
		    "algorithm: NONE is refused: unsigned tokens are never "
		    "accepted");
		return;
	}
	if (k->alg == OAUTH_EDDSA) {
		conf_errorn(ld, conf_field_node(ld, node, "algorithm"),
		    "algorithm: EdDSA is not supported yet");
		return;
	}
	if (k->type == OAUTH_KEY_UNKNOWN) {
		conf_errorn(ld, conf_field_node(ld, node, "keyType"),
		    "keyType: COMMON, PUBLIC or PRIVATE is required");
		return;
	}
	(void)oauth_conf_key_load(ld, node, k, 0);
}

static const struct conf_field oauth_conf_key_fields[] = {
	FSTR("keyID", struct oauth_conf_key, kid),
	FENUM("algorithm", struct oauth_conf_key, alg, oauth_conf_algs),
	FENUM("keyType", struct oauth_conf_key, type, oauth_conf_key_types),
	FSTR("keyFilePath", struct oauth_conf_key, file),
	FSTR("keyString", struct oauth_conf_key, string),
	FUNSUP("jwtHeader", NULL),
	FEND,
};
const struct conf_table oauth_conf_key_table = { oauth_conf_key_fields,
	oauth_conf_key_check };

/*
 * AILERON's kid of a signing key without keyID: base32 of SHA-1 of
 * SHA3-512 of algorithm, keyType, keyFilePath and the JSON of jwtHeader
 * ("null", as it is never given here).
 */
static char *
oauth_conf_kid(struct loader *ld, const struct oauth_conf_key *k)
{
	unsigned char d3[64], d1[SHA_DIGEST_LENGTH];
	const char *alg = oauth_alg_str(k->alg);
	const char *typ = k->type == OAUTH_KEY_COMMON ? "COMMON"
	    : k->type == OAUTH_KEY_PUBLIC             ? "PUBLIC"
	                                              : "PRIVATE";
	const char *file = k->file != NULL ? k->file : "";
	size_t n = strlen(alg) + strlen(typ) + strlen(file) + 5;
	char *sig = arena_alloc(ld->arena, n), *out;
	unsigned int dl = sizeof(d3);

	snprintf(sig, n, "%s%s%snull", alg, typ, file);
	if (!EVP_Digest(sig, strlen(sig), d3, &dl, EVP_sha3_512(), NULL))
		return NULL;
	SHA1(d3, sizeof(d3), d1);
	out = arena_alloc(
	    ld->arena, kenc_encoded_len(KENC_BASE32, sizeof(d1)) + 1);
	out[kenc_encode(KENC_BASE32, d1, sizeof(d1), out)] = '\0';
	return out;
}

/*
 * Load one signing key of client.jwtHandler.privateKeys: a COMMON secret
 * (HS*) or a PEM private key (RS*, PS*, ES*) with its algorithm.
 */
static void
oauth_conf_skey_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct oauth_conf_key *k = obj;

	if (oauth_alg_str(k->alg) == NULL) {
		conf_errorn(ld, conf_field_node(ld, node, "algorithm"),
		    "algorithm: required to sign: HS256..HS512 (COMMON), "
		    "RS256..RS512, PS256..PS512 or ES256..ES512 (PRIVATE)");
		return;
	}
	if (k->type != OAUTH_KEY_COMMON && k->type != OAUTH_KEY_PRIVATE) {
		conf_errorn(ld, conf_field_node(ld, node, "keyType"),
		    "keyType: COMMON or PRIVATE (a key that signs)");
		return;
	}
	if (oauth_conf_key_load(ld, node, k, 1) < 0)
		return;
	if (k->kid == NULL || k->kid[0] == '\0')
		k->kid = oauth_conf_kid(ld, k);
}

/* The same fields as publicKeys, checked as keys that sign. */
static const struct conf_table oauth_conf_skey_table = { oauth_conf_key_fields,
	oauth_conf_skey_check };

/* client.jwtHandler: privateKeys sign the client assertions. */
static const struct conf_field oauth_conf_cjwt_fields[] = {
	FLIST("privateKeys", struct oauth_conf_cjwt, keys, nkeys,
	    struct oauth_conf_key, &oauth_conf_skey_table),
	FUNSUP("publicKeys", "not used by the client's jwtHandler"),
	FUNSUP("JWKs", "not used by the client's jwtHandler"),
	FUNSUP("useJKU", "not used by the client's jwtHandler"),
	FEND,
};
const struct conf_table oauth_conf_cjwt_table = { oauth_conf_cjwt_fields,
	NULL };

/* The signer of key k (loaded by oauth_conf_skey_check). */
struct oauth_signer *
oauth_conf_signer(struct loader *ld, const struct oauth_conf_key *k)
{
	struct oauth_signer *g = arena_alloc(ld->arena, sizeof(*g));

	g->jwk = k->jwk;
	g->alg = oauth_alg_str(k->alg);
	g->kid = k->kid;
	return g;
}
