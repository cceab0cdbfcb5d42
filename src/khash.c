/* AILERON's HashAlg: digests and HMACs by AILERON's names (libcrypto, libb2). */
#include <stdint.h>

#include <blake2.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "khash.h"

const struct kname khash_names[] = {
	{ "HashAlgUnknown", KHASH_UNKNOWN },
	{ "SHA1", KHASH_SHA1 },
	{ "SHA224", KHASH_SHA224 },
	{ "SHA256", KHASH_SHA256 },
	{ "SHA384", KHASH_SHA384 },
	{ "SHA512", KHASH_SHA512 },
	{ "SHA512_224", KHASH_SHA512_224 },
	{ "SHA512_256", KHASH_SHA512_256 },
	{ "SHA3_224", KHASH_SHA3_224 },
	{ "SHA3_256", KHASH_SHA3_256 },
	{ "SHA3_384", KHASH_SHA3_384 },
	{ "SHA3_512", KHASH_SHA3_512 },
	{ "SHAKE128", KHASH_SHAKE128 },
	{ "SHAKE256", KHASH_SHAKE256 },
	{ "BLAKE2s_256", KHASH_BLAKE2S_256 },
	{ "BLAKE2b_256", KHASH_BLAKE2B_256 },
	{ "BLAKE2b_384", KHASH_BLAKE2B_384 },
	{ "BLAKE2b_512", KHASH_BLAKE2B_512 },
	{ NULL, 0 },
};

/* One algorithm: libcrypto's name (NULL: BLAKE2 via libb2) and size. */
static const struct {
	const char *ossl;
	size_t size;
} khash_algs[] = {
	[KHASH_SHA1] = { "SHA1", 20 },
	[KHASH_SHA224] = { "SHA224", 28 },
	[KHASH_SHA256] = { "SHA256", 32 },
	[KHASH_SHA384] = { "SHA384", 48 },
	[KHASH_SHA512] = { "SHA512", 64 },
	[KHASH_SHA512_224] = { "SHA512-224", 28 },
	[KHASH_SHA512_256] = { "SHA512-256", 32 },
	[KHASH_SHA3_224] = { "SHA3-224", 28 },
	[KHASH_SHA3_256] = { "SHA3-256", 32 },
	[KHASH_SHA3_384] = { "SHA3-384", 48 },
	[KHASH_SHA3_512] = { "SHA3-512", 64 },
	[KHASH_SHAKE128] = { "SHAKE128", 32 },
	[KHASH_SHAKE256] = { "SHAKE256", 64 },
	[KHASH_BLAKE2S_256] = { NULL, 32 },
	[KHASH_BLAKE2B_256] = { NULL, 32 },
	[KHASH_BLAKE2B_384] = { NULL, 48 },
	[KHASH_BLAKE2B_512] = { NULL, 64 },
};

#define KHASH_NALGS (sizeof(khash_algs) / sizeof(khash_algs[0]))

/*
 * Fetched once per process and kept (workers inherit them through fork):
 * an implicit fetch on every call would cost a lookup and a lock.
 */
static EVP_MD *khash_mds[KHASH_NALGS];
static EVP_MAC_CTX *khash_macs[KHASH_NALGS];
static EVP_MD_CTX *khash_ctx;

int
khash_from_name(const char *name, enum khash_alg *alg)
{
	int v;

	if (kname_lookup(khash_names, name, &v) == -1)
		return -1;
	*alg = (enum khash_alg)v;
	return 0;
}

size_t
khash_size(enum khash_alg alg)
{
	if ((int)alg <= KHASH_UNKNOWN || (size_t)alg >= KHASH_NALGS)
		return 0;
	return khash_algs[alg].size;
}

const char *
khash_ossl_name(enum khash_alg alg)
{
	return khash_size(alg) > 0 ? khash_algs[alg].ossl : NULL;
}

int
khash_hmac_ok(enum khash_alg alg)
{
	return khash_size(alg) > 0 && alg != KHASH_SHAKE128 &&
	    alg != KHASH_SHAKE256;
}

/* The libcrypto digest of alg (not BLAKE2), fetched on first use. */
static const EVP_MD *
khash_md(enum khash_alg alg)
{
	if (khash_mds[alg] == NULL)
		khash_mds[alg] = EVP_MD_fetch(NULL, khash_algs[alg].ossl, NULL);
	return khash_mds[alg];
}

/* BLAKE2 of in under key (klen 0: unkeyed), with AILERON's long-key rule. */
static int
khash_blake2(enum khash_alg alg, const void *key, size_t klen, const void *in,
    size_t n, unsigned char *out)
{
	unsigned char kbuf[KHASH_MAX];
	size_t size = khash_algs[alg].size;
	int rc;

	if (alg == KHASH_BLAKE2S_256) {
		if (klen > BLAKE2S_KEYBYTES) {
			if (khash_sum(KHASH_SHA256, key, klen, kbuf) == -1)
				return -1;
			key = kbuf;
			klen = 32;
		}
		rc = blake2s(out, in, key, size, n, klen);
	} else {
		if (klen > BLAKE2B_KEYBYTES) {
			if (khash_sum(KHASH_SHA512, key, klen, kbuf) == -1)
				return -1;
			key = kbuf;
			klen = 64;
		}
		rc = blake2b(out, in, key, size, n, klen);
	}
	OPENSSL_cleanse(kbuf, sizeof(kbuf));
	return rc == 0 ? (int)size : -1;
}

int
khash_sum(enum khash_alg alg, const void *in, size_t n, unsigned char *out)
{
	size_t size = khash_size(alg);
	unsigned int len;
	const EVP_MD *md;

	if (size == 0)
		return -1;
	if (khash_algs[alg].ossl == NULL)
		return khash_blake2(alg, NULL, 0, in, n, out);
	if ((md = khash_md(alg)) == NULL)
		return -1;
	if (khash_ctx == NULL && (khash_ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (!EVP_DigestInit_ex(khash_ctx, md, NULL) ||
	    !EVP_DigestUpdate(khash_ctx, in, n))
		return -1;
	if (alg == KHASH_SHAKE128 || alg == KHASH_SHAKE256) {
		if (!EVP_DigestFinalXOF(khash_ctx, out, size))
			return -1;
	} else if (!EVP_DigestFinal_ex(khash_ctx, out, &len) || len != size)
		return -1;
	return (int)size;
}

/* The HMAC context of alg with its digest set, made on first use. */
static EVP_MAC_CTX *
khash_mac(enum khash_alg alg)
{
	OSSL_PARAM params[2];
	EVP_MAC *mac;

	if (khash_macs[alg] != NULL)
		return khash_macs[alg];
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return NULL;
	khash_macs[alg] = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	if (khash_macs[alg] == NULL)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_MAC_PARAM_DIGEST, (char *)(uintptr_t)khash_algs[alg].ossl, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_CTX_set_params(khash_macs[alg], params)) {
		EVP_MAC_CTX_free(khash_macs[alg]);
		khash_macs[alg] = NULL;
	}
	return khash_macs[alg];
}

int
khash_hmac(enum khash_alg alg, const void *key, size_t klen, const void *in,
    size_t n, unsigned char *out)
{
	static const unsigned char empty[1];
	size_t len;
	EVP_MAC_CTX *ctx;

	if (!khash_hmac_ok(alg))
		return -1;
	if (khash_algs[alg].ossl == NULL)
		return khash_blake2(alg, key, klen, in, n, out);
	if ((ctx = khash_mac(alg)) == NULL)
		return -1;
	/* A NULL key would mean "the previous key": pass an empty one. */
	if (!EVP_MAC_init(ctx, klen > 0 ? key : empty, klen, NULL) ||
	    !EVP_MAC_update(ctx, in, n) ||
	    !EVP_MAC_final(ctx, out, &len, KHASH_MAX))
		return -1;
	return (int)len;
}
