/* Sessions: AILERON's session data (a JSON map) and its secure encoding. */
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <zlib.h>

#include "arena.h"
#include "kcipher.h"
#include "kenc.h"
#include "khash.h"
#include "session.h"

void
session_init(struct session *s, struct arena *a)
{
	memset(s, 0, sizeof(*s));
	s->arena = a;
}

/* The index of key in s, or where it would go (*found says which). */
static size_t
session_find(const struct session *s, const char *key, int *found)
{
	size_t lo = 0, hi = s->n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->e[mid].key, key);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const unsigned char *
session_get(const struct session *s, const char *key, size_t *n)
{
	int found;
	size_t i = session_find(s, key, &found);

	if (!found || s->e[i].val == NULL)
		return NULL;
	*n = s->e[i].len;
	return s->e[i].val;
}

/*
 * Go's encoding/json escaping of a string (escapeHTML on): into out when
 * not NULL; the length either way.  Bytes from 0x80 pass as they are.
 */
static size_t
session_json_str(const char *s, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (out != NULL)
		out[o] = '"';
	o++;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[7];

		switch (c) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default:
			if (c < 0x20 || c == '<' || c == '>' || c == '&') {
				u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0';
				u[4] = hex[c >> 4], u[5] = hex[c & 15],
				u[6] = '\0';
				esc = u;
			}
		}
		if (esc == NULL) {
			if (out != NULL)
				out[o] = (char)c;
			o++;
			continue;
		}
		if (out != NULL)
			memcpy(out + o, esc, strlen(esc));
		o += strlen(esc);
	}
	if (out != NULL)
		out[o] = '"';
	return o + 1;
}

/* The JSON of one entry, "key":"<base64>" or "key":null, into out. */
static size_t
session_json_entry(const struct session_entry *e, char *out)
{
	size_t o = session_json_str(e->key, strlen(e->key), out);

	if (out != NULL)
		out[o] = ':';
	o++;
	if (e->val == NULL) {
		if (out != NULL)
			memcpy(out + o, "null", 4);
		return o + 4;
	}
	if (out != NULL) {
		out[o] = '"';
		kenc_encode(KENC_BASE64, e->val, e->len, out + o + 1);
		out[o + 1 + kenc_encoded_len(KENC_BASE64, e->len)] = '"';
	}
	return o + 2 + kenc_encoded_len(KENC_BASE64, e->len);
}

/* The length of the JSON of s's map. */
static size_t
session_json_len(const struct session *s)
{
	size_t i, len = 2;

	for (i = 0; i < s->n; i++)
		len += session_json_entry(&s->e[i], NULL) + (i > 0);
	return len;
}

/* Put key's entry (val NULL: null) without checking the size. */
static void
session_set(struct session *s, const char *key, unsigned char *val, size_t n)
{
	int found;
	size_t i = session_find(s, key, &found);

	if (!found) {
		if (s->n == s->cap) {
			size_t cap = s->cap == 0 ? 8 : 2 * s->cap;

			s->e = arena_realloc(s->arena, s->e,
			    s->cap * sizeof(*s->e), cap * sizeof(*s->e));
			s->cap = cap;
		}
		memmove(&s->e[i + 1], &s->e[i], (s->n - i) * sizeof(*s->e));
		s->n++;
		s->e[i].key = arena_strdup(s->arena, key);
	}
	s->e[i].val = val;
	s->e[i].len = n;
}

int
session_put(struct session *s, const char *key, const void *v, size_t n)
{
	struct session_entry ne = { (char *)(uintptr_t)key, NULL, n };
	size_t len = session_json_len(s) + 1, i;
	unsigned char *val;
	int found;

	ne.val = (unsigned char *)(uintptr_t) "";
	i = session_find(s, key, &found);
	if (found)
		len -= session_json_entry(&s->e[i], NULL) + 1;
	if (n > SESSION_MAX_DATA ||
	    len + session_json_entry(&ne, NULL) > SESSION_MAX_DATA)
		return -1;
	val = arena_alloc(s->arena, n + 1);
	if (n > 0)
		memcpy(val, v, n);
	session_set(s, key, val, n);
	s->updated = 1;
	return 0;
}

int
session_delete(struct session *s, const char *key)
{
	int found;
	size_t i = session_find(s, key, &found);

	if (!found)
		return 0;
	memmove(&s->e[i], &s->e[i + 1], (s->n - i - 1) * sizeof(*s->e));
	s->n--;
	s->updated = 1;
	return 1;
}

int
session_put_blob(struct session *s, const char *key, const void *v, size_t n)
{
	size_t len;
	char *j;

	if (n > SESSION_MAX_DATA)
		return -1;
	len = kenc_encoded_len(KENC_BASE64, n);
	j = arena_alloc(s->arena, len + 2);
	j[0] = '"';
	kenc_encode(KENC_BASE64, v, n, j + 1);
	j[len + 1] = '"';
	return session_put(s, key, j, len + 2);
}

const unsigned char *
session_get_blob(const struct session *s, const char *key, size_t *n)
{
	const unsigned char *v = session_get(s, key, n);
	unsigned char *out;

	/* Go decodes a JSON string of plain base64 (no escapes in it). */
	if (v == NULL || *n < 2 || v[0] != '"' || v[*n - 1] != '"' ||
	    memchr(v + 1, '\\', *n - 2) != NULL)
		return NULL;
	out = arena_alloc(s->arena, kenc_decoded_max(KENC_BASE64, *n - 2) + 1);
	if (kenc_decode(KENC_BASE64, (const char *)v + 1, *n - 2, out, n) < 0)
		return NULL;
	out[*n] = '\0';
	return out;
}

size_t
session_marshal(const struct session *s, const unsigned char **out)
{
	size_t i, o = 0;
	char *j;

	if (!s->updated) { /* AILERON re-saves what it restored */
		*out = s->raw;
		return s->raw != NULL ? s->raw_len : 0;
	}
	j = arena_alloc(s->arena, session_json_len(s) + 1);
	j[o++] = '{';
	for (i = 0; i < s->n; i++) {
		if (i > 0)
			j[o++] = ',';
		o += session_json_entry(&s->e[i], j + o);
	}
	j[o++] = '}';
	*out = (const unsigned char *)j;
	return o;
}

int
session_unmarshal(struct session *s, const void *in, size_t n)
{
	json_error_t jerr;
	json_t *root, *v;
	const char *key;
	int rc = -1;

	s->raw = in;
	s->raw_len = n;
	if (n == 0)
		return 0;
	root = json_loadb(in, n, JSON_DECODE_ANY, &jerr);
	if (root == NULL)
		return -1;
	if (json_is_null(root)) {
		s->restored = 1;
		rc = 0;
		goto done;
	}
	if (!json_is_object(root))
		goto done;
	json_object_foreach(root, key, v)
	{
		unsigned char *val = NULL;
		size_t len = 0;

		if (json_is_string(v)) {
			size_t sl = json_string_length(v);

			val = arena_alloc(
			    s->arena, kenc_decoded_max(KENC_BASE64, sl) + 1);
			if (kenc_decode(KENC_BASE64, json_string_value(v), sl,
			        val, &len) < 0)
				goto done;
		} else if (!json_is_null(v))
			goto done;
		session_set(s, key, val, len);
	}
	s->restored = 1;
	rc = 0;
done:
	json_decref(root);
	return rc;
}

/* gzip in[0..n) at level 6 into the arena, with Go's header (OS 255). */
static int
session_gzip(struct arena *a, const void *in, size_t n, unsigned char **out,
    size_t *outlen)
{
	z_stream z;
	gz_header h;
	uLong bound;
	int rc;

	memset(&z, 0, sizeof(z));
	memset(&h, 0, sizeof(h));
	h.os = 255;
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -1;
	(void)deflateSetHeader(&z, &h);
	bound = deflateBound(&z, (uLong)n) + 32;
	*out = arena_alloc(a, bound);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = *out;
	z.avail_out = (uInt)bound;
	rc = deflate(&z, Z_FINISH);
	*outlen = bound - z.avail_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -1;
}

/* gunzip in[0..n) into the arena: at most SESSION_MAX_PLAIN bytes. */
static int
session_gunzip(struct arena *a, const void *in, size_t n, unsigned char **out,
    size_t *outlen)
{
	z_stream z;
	int rc;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return -1;
	*out = arena_alloc(a, SESSION_MAX_PLAIN + 1);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = *out;
	z.avail_out = SESSION_MAX_PLAIN + 1;
	rc = inflate(&z, Z_FINISH);
	*outlen = SESSION_MAX_PLAIN + 1 - z.avail_out;
	inflateEnd(&z);
	return rc == Z_STREAM_END && *outlen <= SESSION_MAX_PLAIN ? 0 : -1;
}

int
session_encode(const struct session_encoder *enc, struct arena *a,
    const void *in, size_t n, unsigned char **out, size_t *outlen,
    const char **err)
{
	unsigned char *data = (unsigned char *)(uintptr_t)in, *b;
	size_t len = n, bl;
	int m;

	if (enc->compress && session_gzip(a, data, len, &data, &len) < 0) {
		*err = "failed to compress data";
		return -1;
	}
	bl = (enc->no_crypt ? len
	                    : kcipher_encrypted_len(
	                          (enum kcipher_type)enc->cipher, len)) +
	    KHASH_MAX;
	b = arena_alloc(a, bl);
	if (enc->no_crypt) {
		if (len > 0)
			memcpy(b, data, len);
	} else if (kcipher_encrypt((enum kcipher_type)enc->cipher,
	               enc->crypt_key, enc->crypt_klen, len > 0 ? data : b, len,
	               b, &len, err) < 0)
		return -1;
	if (!enc->no_hmac) {
		m = khash_hmac((enum khash_alg)enc->hash_alg, enc->hmac_key,
		    enc->hmac_klen, b, len, b + len);
		if (m < 0) {
			*err = "HMAC failed";
			return -1;
		}
		len += (size_t)m;
	}
	*out = b;
	*outlen = len;
	return 0;
}

int
session_decode(const struct session_encoder *enc, struct arena *a,
    const void *in, size_t n, unsigned char **out, size_t *outlen,
    const char **err)
{
	const unsigned char *data = in;
	unsigned char mac[KHASH_MAX], *b;
	size_t len = n, hs;

	if (!enc->no_hmac) {
		hs = khash_size((enum khash_alg)enc->hash_alg);
		if (n < hs) {
			*err = "invalid hash";
			return -1;
		}
		len = n - hs;
		if (khash_hmac((enum khash_alg)enc->hash_alg, enc->hmac_key,
		        enc->hmac_klen, data, len, mac) < 0 ||
		    CRYPTO_memcmp(mac, data + len, hs) != 0) {
			*err = "hashes are not matched";
			return -1;
		}
	}
	b = arena_alloc(a, len + 1);
	if (enc->no_crypt) {
		if (len > 0)
			memcpy(b, data, len);
	} else if (kcipher_decrypt((enum kcipher_type)enc->cipher,
	               enc->crypt_key, enc->crypt_klen, data, len, b, &len,
	               err) < 0)
		return -1;
	if (enc->compress && session_gunzip(a, b, len, &b, &len) < 0) {
		*err = "failed to extract compressed data";
		return -1;
	}
	*out = b;
	*outlen = len;
	return 0;
}

void
session_id_encode(const unsigned char *b, char *out)
{
	static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
	uint64_t acc = 0;
	size_t i, o = 0;
	int bits = 0;

	/* 30 bytes are 240 bits: 48 digits, no padding */
	for (i = 0; i < SESSION_ID_BYTES; i++) {
		acc = (acc << 8) | b[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = digits[(acc >> bits) & 31];
		}
	}
	out[o] = '\0';
}

int
session_id_new(char *out)
{
	unsigned char b[SESSION_ID_BYTES];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	session_id_encode(b, out);
	OPENSSL_cleanse(b, sizeof(b));
	return 0;
}

int
session_id_valid(const char *id, size_t n)
{
	size_t i;

	if (n != SESSION_ID_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		        (id[i] >= 'A' && id[i] <= 'V')))
			return 0;
	return 1;
}

char *
session_kvs_key(struct arena *a, const char *prefix, const char *id, size_t n)
{
	size_t pl = prefix != NULL ? strlen(prefix) : 0;
	char *k = arena_alloc(a, pl + n + 1);

	if (pl > 0)
		memcpy(k, prefix, pl);
	memcpy(k + pl, id, n);
	k[pl + n] = '\0';
	return k;
}
