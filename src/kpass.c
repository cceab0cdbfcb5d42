/* AILERON's PasswordCryptSpec: bcrypt, scrypt, PBKDF2, Argon2i/id hashing and checking. */
#include <crypt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "kcipher.h"
#include "kpass.h"

#define KPASS_MAX         1024 /* bound on saltLen and keyLen */
#define KPASS_BCRYPT_SALT 16   /* random bytes in a bcrypt salt */

const struct kname kpass_names[] = {
	{ "bcrypt", KPASS_BCRYPT },
	{ "scrypt", KPASS_SCRYPT },
	{ "pbkdf2", KPASS_PBKDF2 },
	{ "argon2i", KPASS_ARGON2I },
	{ "argon2id", KPASS_ARGON2ID },
	{ NULL, 0 },
};

int
kpass_from_name(const char *name, enum kpass_method *method)
{
	int v;

	if (kname_lookup(kpass_names, name, &v) == -1)
		return -1;
	*method = (enum kpass_method)v;
	return 0;
}

/* A zero field takes its default (Go's cmp.Or). */
static void
kpass_defaults(struct kpass_spec *s)
{
	int id = s->method == KPASS_ARGON2ID;

#define KPASS_DEFAULT(f, v)         \
	do {                        \
		if (s->f == 0)      \
			s->f = (v); \
	} while (0)
	KPASS_DEFAULT(cost, 10);
	KPASS_DEFAULT(salt_len, 32);
	KPASS_DEFAULT(n, 32768);
	KPASS_DEFAULT(r, 8);
	KPASS_DEFAULT(p, 1);
	KPASS_DEFAULT(key_len, 32);
	KPASS_DEFAULT(iter, 4096);
	KPASS_DEFAULT(hash_alg, KHASH_SHA256);
	KPASS_DEFAULT(time, id ? 1u : 3u);
	KPASS_DEFAULT(memory, id ? 65536u : 32768u);
	KPASS_DEFAULT(threads, 4u);
#undef KPASS_DEFAULT
	/* Go's bcrypt uses its default cost below the minimum. */
	if (s->cost < 4)
		s->cost = 10;
}

/* PBKDF2's digest: the SHA-1, SHA-2 and SHA-3 families. */
static const EVP_MD *
kpass_pbkdf2_md(int alg)
{
	const char *name;

	if (alg < KHASH_SHA1 || alg > KHASH_SHA3_512)
		return NULL;
	if ((name = khash_ossl_name((enum khash_alg)alg)) == NULL)
		return NULL;
	return EVP_get_digestbyname(name);
}

/* Check the fields of spec (defaults applied): NULL, or what is wrong. */
static const char *
kpass_invalid(const struct kpass_spec *s)
{
	if (s->method == KPASS_BCRYPT)
		return s->cost > 31 ? "bcrypt: cost must be 4..31" : NULL;
	if (s->salt_len < 0 || s->salt_len > KPASS_MAX || s->key_len < 0 ||
	    s->key_len > KPASS_MAX)
		return "saltLen and keyLen must be 0..1024";
	switch (s->method) {
	case KPASS_SCRYPT:
		/* Go's golang.org/x/crypto/scrypt limits. */
		if (s->n <= 1 || (s->n & (s->n - 1)) != 0)
			return "scrypt: n must be > 1 and a power of 2";
		if (s->r < 1 || s->p < 1 ||
		    (uint64_t)s->r * (uint64_t)s->p >= 1u << 30 ||
		    s->r > INT_MAX / 128 / s->p || s->r > INT_MAX / 256 ||
		    s->n > INT_MAX / 128 / s->r)
			return "scrypt: parameters are too large";
		return NULL;
	case KPASS_PBKDF2:
		if (s->iter < 1)
			return "pbkdf2: iter must be positive";
		if (kpass_pbkdf2_md(s->hash_alg) == NULL)
			return "pbkdf2: hashAlg must be a SHA-1, SHA-2 or "
			       "SHA-3 "
			       "algorithm";
		return NULL;
	case KPASS_ARGON2I:
	case KPASS_ARGON2ID:
		if (s->threads > 255)
			return "argon2: threads must be at most 255";
		if (s->salt_len < (int)ARGON2_MIN_SALT_LENGTH)
			return "argon2: saltLen must be at least 8";
		if (s->key_len < (int)ARGON2_MIN_OUTLEN)
			return "argon2: keyLen must be at least 4";
		return NULL;
	default:
		return "unknown password crypt method";
	}
}

/* The key of pw under salt by the method of s into key (s->key_len). */
static int
kpass_derive(const struct kpass_spec *s, const unsigned char *salt,
    const void *pw, size_t n, unsigned char *key)
{
	argon2_context ac;
	uint64_t mem;
	uint32_t lanes;
	int ok;

	if (n > INT_MAX)
		return -1;
	switch (s->method) {
	case KPASS_SCRYPT:
		/* Room for B and V, so that libcrypto's default cap never bites. */
		mem = 128 * (uint64_t)s->r *
		    ((uint64_t)s->n + 2 + (uint64_t)s->p);
		ok = EVP_PBE_scrypt(pw, n, salt, (size_t)s->salt_len,
		    (uint64_t)s->n, (uint64_t)s->r, (uint64_t)s->p, mem + 4096,
		    key, (size_t)s->key_len);
		return ok == 1 ? 0 : -1;
	case KPASS_PBKDF2:
		ok = PKCS5_PBKDF2_HMAC(pw, (int)n, salt, s->salt_len, s->iter,
		    kpass_pbkdf2_md(s->hash_alg), s->key_len, key);
		return ok == 1 ? 0 : -1;
	case KPASS_ARGON2I:
	case KPASS_ARGON2ID:
		lanes = s->threads;
		memset(&ac, 0, sizeof(ac));
		ac.out = key;
		ac.outlen = (uint32_t)s->key_len;
		ac.pwd = (uint8_t *)(uintptr_t)pw;
		ac.pwdlen = (uint32_t)n;
		ac.salt = (uint8_t *)(uintptr_t)salt;
		ac.saltlen = (uint32_t)s->salt_len;
		ac.t_cost = s->time;
		/* Go raises the memory to 8 blocks per lane; libargon2 refuses. */
		ac.m_cost = s->memory < 8 * lanes ? 8 * lanes : s->memory;
		ac.lanes = lanes;
		ac.threads = 1; /* the result depends on lanes only */
		ac.version = ARGON2_VERSION_13;
		ac.flags = ARGON2_DEFAULT_FLAGS;
		ok = argon2_ctx(
		    &ac, s->method == KPASS_ARGON2I ? Argon2_i : Argon2_id);
		return ok == ARGON2_OK ? 0 : -1;
	default:
		return -1;
	}
}

size_t
kpass_sum_len(const struct kpass_spec *s)
{
	if (s->method == KPASS_BCRYPT)
		return CRYPT_OUTPUT_SIZE;
	return (size_t)s->salt_len + (size_t)s->key_len;
}

/* bcrypt of pw with a setting ("$2a$NN$salt"), in data; NULL on error. */
static const char *
kpass_bcrypt(
    const char *setting, const void *pw, size_t n, struct crypt_data *data)
{
	char buf[CRYPT_OUTPUT_SIZE];
	const char *h;

	/* A C string cannot hold NUL; nor does bcrypt look past 72 bytes. */
	if (n >= sizeof(buf) || memchr(pw, '\0', n) != NULL)
		return NULL;
	memcpy(buf, pw, n);
	buf[n] = '\0';
	memset(data, 0, sizeof(*data));
	h = crypt_rn(buf, setting, data, sizeof(*data));
	OPENSSL_cleanse(buf, sizeof(buf));
	if (h == NULL || h[0] == '*')
		return NULL;
	return h;
}

int
kpass_sum_salt(const struct kpass_spec *s, const void *salt, const void *pw,
    size_t n, unsigned char *out, size_t *outlen)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data data;
	const char *h;
	int rc;

	if (s->method == KPASS_BCRYPT) {
		if (crypt_gensalt_rn("$2a$", (unsigned long)s->cost, salt,
		        KPASS_BCRYPT_SALT, setting, sizeof(setting)) == NULL ||
		    (h = kpass_bcrypt(setting, pw, n, &data)) == NULL)
			return -1;
		*outlen = strlen(h);
		memcpy(out, h, *outlen + 1);
		OPENSSL_cleanse(&data, sizeof(data));
		return 0;
	}
	memcpy(out, salt, (size_t)s->salt_len);
	rc = kpass_derive(s, salt, pw, n, out + s->salt_len);
	*outlen = kpass_sum_len(s);
	return rc;
}

int
kpass_sum(const struct kpass_spec *s, const void *pw, size_t n,
    unsigned char *out, size_t *outlen)
{
	unsigned char salt[KPASS_MAX];
	size_t slen =
	    s->method == KPASS_BCRYPT ? KPASS_BCRYPT_SALT : (size_t)s->salt_len;

	if (slen > sizeof(salt) || kcipher_random(salt, slen) == -1)
		return -1;
	return kpass_sum_salt(s, salt, pw, n, out, outlen);
}

int
kpass_check(struct kpass_spec *s, char *err, size_t errsize)
{
	unsigned char out[CRYPT_OUTPUT_SIZE + 2 * KPASS_MAX];
	const char *why;
	size_t len;

	kpass_defaults(s);
	if ((why = kpass_invalid(s)) != NULL) {
		snprintf(err, errsize, "%s", why);
		return -1;
	}
	/* As AILERON does: hash once to validate the parameters. */
	if (kpass_sum(s, "", 0, out, &len) == -1) {
		snprintf(err, errsize, "%s: cannot hash with these parameters",
		    kname_name(kpass_names, s->method));
		return -1;
	}
	return 0;
}

/* Verify a bcrypt string stored[0..slen) against pw. */
static int
kpass_verify_bcrypt(const char *stored, size_t slen, const void *pw, size_t n)
{
	char setting[CRYPT_OUTPUT_SIZE];
	struct crypt_data data;
	const char *h;
	int rc = -1;

	/* Only bcrypt: never let crypt(3) pick DES or MD5 from the prefix. */
	if (slen >= sizeof(setting) || slen < 7 ||
	    (memcmp(stored, "$2a$", 4) != 0 && memcmp(stored, "$2b$", 4) != 0 &&
	        memcmp(stored, "$2y$", 4) != 0) ||
	    memchr(stored, '\0', slen) != NULL)
		return -1;
	memcpy(setting, stored, slen);
	setting[slen] = '\0';
	if ((h = kpass_bcrypt(setting, pw, n, &data)) != NULL &&
	    strlen(h) == slen && CRYPTO_memcmp(h, stored, slen) == 0)
		rc = 0;
	OPENSSL_cleanse(&data, sizeof(data));
	return rc;
}

int
kpass_verify(const struct kpass_spec *s, const void *stored, size_t slen,
    const void *pw, size_t n)
{
	const unsigned char *st = stored;
	unsigned char key[KPASS_MAX];
	int rc = -1;

	if (s->method == KPASS_BCRYPT)
		return kpass_verify_bcrypt(stored, slen, pw, n);
	if (s->salt_len < 0 || s->key_len < 0 || s->key_len > KPASS_MAX ||
	    slen < (size_t)s->salt_len ||
	    slen - (size_t)s->salt_len != (size_t)s->key_len)
		return -1;
	if (kpass_derive(s, st, pw, n, key) == 0 &&
	    CRYPTO_memcmp(key, st + s->salt_len, (size_t)s->key_len) == 0)
		rc = 0;
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}
