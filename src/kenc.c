/* AILERON's EncodingType: Base16, Base32 (four alphabets), Base64 (four forms). */
#include <stdint.h>
#include <string.h>

#include "kenc.h"

const struct kname kenc_names[] = {
	{ "EncodingTypeUnknown", KENC_UNKNOWN },
	{ "Base16", KENC_BASE16 },
	{ "Base32", KENC_BASE32 },
	{ "Base32Hex", KENC_BASE32HEX },
	{ "Base32Escaped", KENC_BASE32ESCAPED },
	{ "Base32HexEscaped", KENC_BASE32HEXESCAPED },
	{ "Base64", KENC_BASE64 },
	{ "Base64Raw", KENC_BASE64RAW },
	{ "Base64URL", KENC_BASE64URL },
	{ "Base64RawURL", KENC_BASE64RAWURL },
	{ NULL, 0 },
};

/* One encoding: its alphabet, bits per character and padding. */
struct kenc_alpha {
	const char *chars;
	int bits;   /* 4, 5 or 6 */
	int padded; /* '=' up to a whole quantum */
};

static const struct kenc_alpha kenc_alphas[] = {
	[KENC_BASE16] = { "0123456789abcdef", 4, 0 },
	[KENC_BASE32] = { "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 5, 1 },
	[KENC_BASE32HEX] = { "0123456789ABCDEFGHIJKLMNOPQRSTUV", 5, 1 },
	[KENC_BASE32ESCAPED] = { "BCDFGHJKLMNPQRSTUVWXYZ0123456789", 5, 1 },
	[KENC_BASE32HEXESCAPED] = { "0123456789BCDFGHJKLMNPQRSTUVWXYZ", 5, 1 },
	[KENC_BASE64] = { "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                  "0123456789+/",
	    6, 1 },
	[KENC_BASE64RAW] = { "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                     "abcdefghijklmnopqrstuvwxyz0123456789+/",
	    6, 0 },
	[KENC_BASE64URL] = { "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                     "abcdefghijklmnopqrstuvwxyz0123456789-_",
	    6, 1 },
	[KENC_BASE64RAWURL] = { "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                        "abcdefghijklmnopqrstuvwxyz0123456789-_",
	    6, 0 },
};

/* The alphabet of type, or NULL if type is not an encoding. */
static const struct kenc_alpha *
kenc_alpha(enum kenc_type type)
{
	if ((int)type <= KENC_UNKNOWN || type > KENC_BASE64RAWURL)
		return NULL;
	return &kenc_alphas[type];
}

int
kenc_from_name(const char *name, enum kenc_type *type)
{
	int v;

	if (kname_lookup(kenc_names, name, &v) == -1)
		return -1;
	*type = (enum kenc_type)v;
	return 0;
}

/* Characters per quantum: 2 (hex), 8 (base32) or 4 (base64). */
static size_t
kenc_quantum(const struct kenc_alpha *al)
{
	return al->bits == 4 ? 2 : al->bits == 5 ? 8 : 4;
}

size_t
kenc_encoded_len(enum kenc_type type, size_t n)
{
	const struct kenc_alpha *al = kenc_alpha(type);
	size_t q;

	if (al == NULL)
		return 0;
	if (al->bits == 4)
		return n * 2;
	if (al->padded) {
		q = kenc_quantum(al);
		/* Whole quanta of 5 (base32) or 3 (base64) bytes. */
		return (n + (size_t)al->bits * q / 8 - 1) /
		    ((size_t)al->bits * q / 8) * q;
	}
	return (n * 8 + (size_t)al->bits - 1) / (size_t)al->bits;
}

size_t
kenc_encode(enum kenc_type type, const void *in, size_t n, char *out)
{
	const struct kenc_alpha *al = kenc_alpha(type);
	const unsigned char *p = in;
	unsigned mask;
	uint32_t acc = 0;
	size_t i, o = 0, len;
	int nbits = 0;

	if (al == NULL)
		return 0;
	mask = (1u << al->bits) - 1;
	for (i = 0; i < n; i++) {
		acc = (acc << 8) | p[i];
		nbits += 8;
		while (nbits >= al->bits) {
			nbits -= al->bits;
			out[o++] = al->chars[(acc >> nbits) & mask];
		}
		acc &= (1u << nbits) - 1;
	}
	if (nbits > 0)
		out[o++] = al->chars[(acc << (al->bits - nbits)) & mask];
	len = kenc_encoded_len(type, n);
	while (o < len)
		out[o++] = '=';
	return o;
}

size_t
kenc_decoded_max(enum kenc_type type, size_t n)
{
	const struct kenc_alpha *al = kenc_alpha(type);

	if (al == NULL)
		return 0;
	return n * (size_t)al->bits / 8 + 1;
}

/* Whether d data characters and p pad characters end an encoding well. */
static int
kenc_tail_ok(const struct kenc_alpha *al, size_t d, size_t p)
{
	/* Pad characters needed after d % quantum data characters. */
	static const int pad64[4] = { 0, -1, 2, 1 };
	static const int pad32[8] = { 0, -1, 6, -1, 4, 3, -1, 1 };
	int need;

	if (al->bits == 4)
		return p == 0 && d % 2 == 0;
	need = al->bits == 6 ? pad64[d % 4] : pad32[d % 8];
	if (need < 0)
		return 0;
	return p == (al->padded ? (size_t)need : 0);
}

int
kenc_decode(
    enum kenc_type type, const char *in, size_t n, void *out, size_t *outlen)
{
	const struct kenc_alpha *al = kenc_alpha(type);
	unsigned char *o = out;
	signed char rev[256];
	uint32_t acc = 0;
	size_t i, d = 0, p = 0, len = 0;
	int nbits = 0, skip_nl;

	if (al == NULL)
		return -1;
	memset(rev, -1, sizeof(rev));
	for (i = 0; i < ((size_t)1 << al->bits); i++)
		rev[(unsigned char)al->chars[i]] = (signed char)i;
	if (al->bits == 4)
		for (i = 10; i < 16; i++)
			rev[(unsigned char)("ABCDEF"[i - 10])] = (signed char)i;
	skip_nl = al->bits != 4;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (skip_nl && (c == '\r' || c == '\n'))
			continue;
		if (c == '=' && al->padded) {
			p++;
			continue;
		}
		if (p > 0 || rev[c] < 0)
			return -1; /* data after padding, or not in the alphabet */
		d++;
		acc = (acc << al->bits) | (uint32_t)rev[c];
		nbits += al->bits;
		if (nbits >= 8) {
			nbits -= 8;
			o[len++] = (unsigned char)(acc >> nbits);
			acc &= (1u << nbits) - 1;
		}
	}
	if (!kenc_tail_ok(al, d, p))
		return -1;
	*outlen = len;
	return 0;
}
