/* AILERON's CommonKeyCryptType: AES-GCM/CBC/CFB/CTR/OFB with a fresh IV per call. */
#ifndef AILERON_KCIPHER_H
#define AILERON_KCIPHER_H

#include <stddef.h>

#include "kname.h"

/* kernel.CommonKeyCryptType, with AILERON's numbers. */
enum kcipher_type {
	KCIPHER_UNKNOWN = 0,
	KCIPHER_AESGCM = 1, /* 12-byte nonce || ciphertext || 16-byte tag */
	KCIPHER_AESCBC = 2, /* 16-byte IV || PKCS#7-padded blocks */
	KCIPHER_AESCFB = 3, /* 16-byte IV || ciphertext (CFB-128) */
	KCIPHER_AESCTR = 4, /* 16-byte IV || ciphertext (128-bit counter) */
	KCIPHER_AESOFB = 5  /* 16-byte IV || ciphertext */
};

/* AILERON's names ("AESGCM", ..., "CommonKeyCryptTypeUnknown"). */
extern const struct kname kcipher_names[];

/* Map an AILERON name to its type: 0, or -1 if unknown. */
int kcipher_from_name(const char *name, enum kcipher_type *type);
/* Whether klen is an AES key length (16, 24 or 32). */
int kcipher_key_ok(size_t klen);
/* Length of the encryption of n bytes; 0 if type is unknown. */
size_t kcipher_encrypted_len(enum kcipher_type type, size_t n);
/*
 * Encrypt in[0..n) under key into out (kcipher_encrypted_len bytes) with a
 * fresh random IV, in AILERON's layout.  0, or -1 with *err set to a
 * static message (which never holds key or data).
 */
int kcipher_encrypt(enum kcipher_type type, const unsigned char *key,
    size_t klen, const void *in, size_t n, unsigned char *out, size_t *outlen,
    const char **err);
/* Decrypt what kcipher_encrypt made into out (n bytes): 0, or -1 and *err. */
int kcipher_decrypt(enum kcipher_type type, const unsigned char *key,
    size_t klen, const void *in, size_t n, unsigned char *out, size_t *outlen,
    const char **err);

/* Fill buf with n random bytes (RAND_bytes): 0, or -1. */
int kcipher_random(void *buf, size_t n);
/* Tests only: replace the random source (NULL: RAND_bytes again). */
void kcipher_set_random(int (*fn)(void *buf, size_t n));

#endif
