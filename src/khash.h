/* AILERON's HashAlg: digests and HMACs by AILERON's names (libcrypto, libb2). */
#ifndef AILERON_KHASH_H
#define AILERON_KHASH_H

#include <stddef.h>

#include "kname.h"

/* kernel.HashAlg, with AILERON's numbers. */
enum khash_alg {
	KHASH_UNKNOWN = 0,
	KHASH_SHA1 = 1,
	KHASH_SHA224 = 2,
	KHASH_SHA256 = 3,
	KHASH_SHA384 = 4,
	KHASH_SHA512 = 5,
	KHASH_SHA512_224 = 6,
	KHASH_SHA512_256 = 7,
	KHASH_SHA3_224 = 8,
	KHASH_SHA3_256 = 9,
	KHASH_SHA3_384 = 10,
	KHASH_SHA3_512 = 11,
	KHASH_SHAKE128 = 12, /* fixed 32-byte output */
	KHASH_SHAKE256 = 13, /* fixed 64-byte output */
	KHASH_BLAKE2S_256 = 14,
	KHASH_BLAKE2B_256 = 15,
	KHASH_BLAKE2B_384 = 16,
	KHASH_BLAKE2B_512 = 17
};

/* The largest output of any algorithm. */
#define KHASH_MAX 64

/* AILERON's names ("SHA256", "BLAKE2b_512", ..., "HashAlgUnknown"). */
extern const struct kname khash_names[];

/* Map an AILERON name to its algorithm: 0, or -1 if unknown. */
int khash_from_name(const char *name, enum khash_alg *alg);
/* Output size in bytes; 0 if alg is not a hash. */
size_t khash_size(enum khash_alg alg);
/* libcrypto's name of alg ("SHA512-256"), or NULL (BLAKE2, unknown). */
const char *khash_ossl_name(enum khash_alg alg);
/* Whether khash_hmac() takes alg (every hash but SHAKE). */
int khash_hmac_ok(enum khash_alg alg);
/* The digest of in[0..n) into out (KHASH_MAX bytes): its size, or -1. */
int khash_sum(enum khash_alg alg, const void *in, size_t n, unsigned char *out);
/*
 * The MAC of in[0..n) under key into out (KHASH_MAX bytes): its size, or
 * -1.  RFC 2104 HMAC, except BLAKE2, which is keyed BLAKE2 with keys
 * longer than 64 (b) or 32 (s) bytes first hashed with SHA-512 (SHA-256).
 */
int khash_hmac(enum khash_alg alg, const void *key, size_t klen, const void *in,
    size_t n, unsigned char *out);

#endif
