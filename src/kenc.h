/* AILERON's EncodingType: Base16, Base32 (four alphabets), Base64 (four forms). */
#ifndef AILERON_KENC_H
#define AILERON_KENC_H

#include <stddef.h>

#include "kname.h"

/* kernel.EncodingType, with AILERON's numbers. */
enum kenc_type {
	KENC_UNKNOWN = 0,          /* EncodingTypeUnknown: "none" */
	KENC_BASE16 = 1,           /* lower-case hex */
	KENC_BASE32 = 2,           /* RFC 4648, padded */
	KENC_BASE32HEX = 3,        /* RFC 4648 extended hex, padded */
	KENC_BASE32ESCAPED = 4,    /* BCDFGHJKLMNPQRSTUVWXYZ0123456789 */
	KENC_BASE32HEXESCAPED = 5, /* 0123456789BCDFGHJKLMNPQRSTUVWXYZ */
	KENC_BASE64 = 6,           /* standard, padded */
	KENC_BASE64RAW = 7,        /* standard, no padding */
	KENC_BASE64URL = 8,        /* URL-safe, padded */
	KENC_BASE64RAWURL = 9      /* URL-safe, no padding */
};

/* AILERON's names ("Base16", ..., "EncodingTypeUnknown"). */
extern const struct kname kenc_names[];

/* Map an AILERON name to its type: 0, or -1 if unknown. */
int kenc_from_name(const char *name, enum kenc_type *type);
/* Length of the encoding of n bytes; 0 for KENC_UNKNOWN. */
size_t kenc_encoded_len(enum kenc_type type, size_t n);
/* Encode in[0..n) into out (kenc_encoded_len bytes, no NUL); the length. */
size_t kenc_encode(enum kenc_type type, const void *in, size_t n, char *out);
/* Room that decoding n characters may need. */
size_t kenc_decoded_max(enum kenc_type type, size_t n);
/*
 * Decode in[0..n) into out (kenc_decoded_max bytes) as Go's decoders do:
 * hex in either case; base32/base64 skip CR and LF, need exact padding
 * (or none for the raw forms) and ignore unused trailing bits.  0, or -1
 * if the input is malformed.
 */
int kenc_decode(
    enum kenc_type type, const char *in, size_t n, void *out, size_t *outlen);

#endif
