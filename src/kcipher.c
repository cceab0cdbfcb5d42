/* AILERON's CommonKeyCryptType: AES-GCM/CBC/CFB/CTR/OFB with a fresh IV per call. */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "kcipher.h"

#define KCIPHER_IV    16 /* bytes of randomness drawn per call (Go: one block) */
#define KCIPHER_NONCE 12 /* GCM uses the first 12 */
#define KCIPHER_TAG   16

const struct kname kcipher_names[] = {
	{ "CommonKeyCryptTypeUnknown", KCIPHER_UNKNOWN },
	{ "AESGCM", KCIPHER_AESGCM },
	{ "AESCBC", KCIPHER_AESCBC },
	{ "AESCFB", KCIPHER_AESCFB },
	{ "AESCTR", KCIPHER_AESCTR },
	{ "AESOFB", KCIPHER_AESOFB },
	{ NULL, 0 },
};

/* libcrypto's cipher names by type and key size (16, 24, 32). */
static const char *const kcipher_ossl[][3] = {
	[KCIPHER_AESGCM] = { "AES-128-GCM", "AES-192-GCM", "AES-256-GCM" },
	[KCIPHER_AESCBC] = { "AES-128-CBC", "AES-192-CBC", "AES-256-CBC" },
	[KCIPHER_AESCFB] = { "AES-128-CFB", "AES-192-CFB", "AES-256-CFB" },
	[KCIPHER_AESCTR] = { "AES-128-CTR", "AES-192-CTR", "AES-256-CTR" },
	[KCIPHER_AESOFB] = { "AES-128-OFB", "AES-192-OFB", "AES-256-OFB" },
};

/* Fetched on first use and kept, like the context (no threads here). */
static EVP_CIPHER *kcipher_evp[KCIPHER_AESOFB + 1][3];
static EVP_CIPHER_CTX *kcipher_ctx;
static int (*kcipher_rand_fn)(void *, size_t);

int
kcipher_from_name(const char *name, enum kcipher_type *type)
{
	int v;

	if (kname_lookup(kcipher_names, name, &v) == -1)
		return -1;
	*type = (enum kcipher_type)v;
	return 0;
}

int
kcipher_key_ok(size_t klen)
{
	return klen == 16 || klen == 24 || klen == 32;
}

size_t
kcipher_encrypted_len(enum kcipher_type type, size_t n)
{
	switch (type) {
	case KCIPHER_AESGCM:
		return KCIPHER_NONCE + n + KCIPHER_TAG;
	case KCIPHER_AESCBC:
		return KCIPHER_IV + (n / 16 + 1) * 16;
	case KCIPHER_AESCFB:
	case KCIPHER_AESCTR:
	case KCIPHER_AESOFB:
		return KCIPHER_IV + n;
	default:
		return 0;
	}
}

int
kcipher_random(void *buf, size_t n)
{
	if (kcipher_rand_fn != NULL)
		return kcipher_rand_fn(buf, n);
	return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

void
kcipher_set_random(int (*fn)(void *buf, size_t n))
{
	kcipher_rand_fn = fn;
}

/* The cipher and a reset context for type and klen; NULL and *err. */
static EVP_CIPHER_CTX *
kcipher_setup(
    enum kcipher_type type, size_t klen, const EVP_CIPHER **c, const char **err)
{
	int k = klen == 16 ? 0 : klen == 24 ? 1 : 2;

	if ((int)type <= KCIPHER_UNKNOWN || type > KCIPHER_AESOFB) {
		*err = "unknown cipher type";
		return NULL;
	}
	if (!kcipher_key_ok(klen)) {
		*err = "invalid AES key size (need 16, 24 or 32 bytes)";
		return NULL;
	}
	if (kcipher_evp[type][k] == NULL)
		kcipher_evp[type][k] =
		    EVP_CIPHER_fetch(NULL, kcipher_ossl[type][k], NULL);
	if (kcipher_ctx == NULL)
		kcipher_ctx = EVP_CIPHER_CTX_new();
	if (kcipher_evp[type][k] == NULL || kcipher_ctx == NULL) {
		*err = "cipher unavailable";
		return NULL;
	}
	EVP_CIPHER_CTX_reset(kcipher_ctx);
	*c = kcipher_evp[type][k];
	return kcipher_ctx;
}

int
kcipher_encrypt(enum kcipher_type type, const unsigned char *key, size_t klen,
    const void *in, size_t n, unsigned char *out, size_t *outlen,
    const char **err)
{
	size_t ivlen = type == KCIPHER_AESGCM ? KCIPHER_NONCE : KCIPHER_IV;
	unsigned char iv[KCIPHER_IV];
	const EVP_CIPHER *c;
	EVP_CIPHER_CTX *ctx;
	int l1, l2;

	if ((ctx = kcipher_setup(type, klen, &c, err)) == NULL)
		return -1;
	if (n > (size_t)INT_MAX - 64) {
		*err = "input too long";
		return -1;
	}
	if (kcipher_random(iv, sizeof(iv)) == -1) {
		*err = "no random bytes for the IV";
		return -1;
	}
	memcpy(out, iv, ivlen);
	if (!EVP_EncryptInit_ex2(ctx, c, key, iv, NULL) ||
	    !EVP_EncryptUpdate(ctx, out + ivlen, &l1, in, (int)n) ||
	    !EVP_EncryptFinal_ex(ctx, out + ivlen + l1, &l2)) {
		*err = "encryption failed";
		return -1;
	}
	*outlen = ivlen + (size_t)l1 + (size_t)l2;
	if (type == KCIPHER_AESGCM) {
		if (!EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, KCIPHER_TAG,
		        out + *outlen)) {
			*err = "encryption failed";
			return -1;
		}
		*outlen += KCIPHER_TAG;
	}
	return 0;
}

int
kcipher_decrypt(enum kcipher_type type, const unsigned char *key, size_t klen,
    const void *in, size_t n, unsigned char *out, size_t *outlen,
    const char **err)
{
	const unsigned char *p = in;
	size_t ivlen = type == KCIPHER_AESGCM ? KCIPHER_NONCE : KCIPHER_IV;
	size_t tag = type == KCIPHER_AESGCM ? KCIPHER_TAG : 0;
	const EVP_CIPHER *c;
	EVP_CIPHER_CTX *ctx;
	int l1, l2;

	if ((ctx = kcipher_setup(type, klen, &c, err)) == NULL)
		return -1;
	if (n < ivlen + tag || n > (size_t)INT_MAX ||
	    (type == KCIPHER_AESCBC && (n == ivlen || (n - ivlen) % 16 != 0))) {
		*err = "incorrect ciphertext length";
		return -1;
	}
	if (!EVP_DecryptInit_ex2(ctx, c, key, p, NULL) ||
	    !EVP_DecryptUpdate(
	        ctx, out, &l1, p + ivlen, (int)(n - ivlen - tag)) ||
	    (tag > 0 &&
	        !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, (int)tag,
	            (void *)(uintptr_t)(p + n - tag))) ||
	    !EVP_DecryptFinal_ex(ctx, out + l1, &l2)) {
		*err = type == KCIPHER_AESGCM ? "message authentication failed"
		                              : "decryption failed";
		return -1;
	}
	*outlen = (size_t)l1 + (size_t)l2;
	return 0;
}
