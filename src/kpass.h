/* AILERON's PasswordCryptSpec: bcrypt, scrypt, PBKDF2, Argon2i/id hashing and checking. */
#ifndef AILERON_KPASS_H
#define AILERON_KPASS_H

#include <stddef.h>
#include <stdint.h>

#include "khash.h"
#include "kname.h"

/* The member of the PasswordCryptSpec oneof. */
enum kpass_method {
	KPASS_NONE = 0,
	KPASS_BCRYPT, /* stored "$2a$NN$<salt><hash>" */
	KPASS_SCRYPT, /* stored salt || key, as every method below */
	KPASS_PBKDF2,
	KPASS_ARGON2I,
	KPASS_ARGON2ID
};

/*
 * One PasswordCryptSpec as the config loader fills it; zero fields take
 * AILERON's defaults in kpass_check().  Field names follow the YAML.
 */
struct kpass_spec {
	int method;       /* enum kpass_method */
	int cost;         /* bcrypt (10) */
	int salt_len;     /* saltLen (32) */
	int n, r, p;      /* scrypt (32768, 8, 1) */
	int key_len;      /* keyLen (32) */
	int iter;         /* pbkdf2 (4096) */
	int hash_alg;     /* pbkdf2 hashAlg (enum khash_alg; SHA256) */
	uint32_t time;    /* argon2 (i: 3, id: 1) */
	uint32_t memory;  /* argon2 KiB (i: 32768, id: 65536) */
	uint32_t threads; /* argon2 lanes (4, at most 255) */
};

/* The oneof keys: "bcrypt", "scrypt", "pbkdf2", "argon2i", "argon2id". */
extern const struct kname kpass_names[];

/* Map a oneof key to its method: 0, or -1 if unknown. */
int kpass_from_name(const char *name, enum kpass_method *method);
/*
 * Apply the defaults to spec and check it as AILERON does at start-up
 * (one hash of the empty password): 0, or -1 with a message in err.
 */
int kpass_check(struct kpass_spec *spec, char *err, size_t errsize);
/* Size of a stored value made by kpass_sum(). */
size_t kpass_sum_len(const struct kpass_spec *spec);
/*
 * Hash pw[0..n) with a fresh random salt into out (kpass_sum_len bytes,
 * bcrypt NUL-terminated): the stored value and its length.  0, or -1.
 */
int kpass_sum(const struct kpass_spec *spec, const void *pw, size_t n,
    unsigned char *out, size_t *outlen);
/* kpass_sum() with the given salt (salt_len bytes; bcrypt: 16): tests. */
int kpass_sum_salt(const struct kpass_spec *spec, const void *salt,
    const void *pw, size_t n, unsigned char *out, size_t *outlen);
/*
 * Whether pw[0..n) matches the stored value: 0 if it does, -1 if not (a
 * malformed stored value does not match).  The comparison of the derived
 * keys takes constant time (CRYPTO_memcmp).
 */
int kpass_verify(const struct kpass_spec *spec, const void *stored, size_t slen,
    const void *pw, size_t n);

#endif
