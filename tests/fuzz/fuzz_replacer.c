/* libFuzzer target: the replacers and the encodings on a client's header value. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "kenc.h"
#include "khash.h"
#include "kcipher.h"
#include "replacer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fz_cut[] = { "\xc3\xa9 ", "ab" };
static const char *const fz_from[] = { "", "a" },
                         *const fz_to[] = { "-", "bb" };

/* Specs that reach every path: perl and posix, templates, transforms. */
static const struct replacer_spec fz_specs[] = {
	{ .kind = REPLACER_REGEXP,
	    .pattern = "([a-z]+)@([a-z.]+)",
	    .replace = "$2:${1}x$$$1x$" },
	{ .kind = REPLACER_REGEXP,
	    .pattern = "(a|ab)(c|bcd)?(d*)",
	    .replace = "[$1|$2|$3]",
	    .posix = 1 },
	{ .kind = REPLACER_EXPAND, .pattern = "a*|b", .tmpl = "<$0>" },
	{ .kind = REPLACER_EXPAND,
	    .pattern = "(?<n>x+|xy)(y*)",
	    .tmpl = "<$n,$2>",
	    .posix = 1 },
	{ .kind = REPLACER_REGEXP, .pattern = "(a|aa)+$", .replace = "x" },
	{ .kind = REPLACER_REGEXP,
	    .pattern = "(?i)\xc3\x89|.$",
	    .replace = "!" },
	{ .kind = REPLACER_LEFT, .chr = "*", .length = 3 },
	{ .kind = REPLACER_RIGHT, .chr = "#", .length = 2 },
	{ .kind = REPLACER_TRIM, .strs = fz_cut, .nstrs = 2 },
	{ .kind = REPLACER_TRIM_RIGHT, .strs = fz_cut, .nstrs = 2 },
	{ .kind = REPLACER_VALUE, .from = fz_from, .to = fz_to, .nfrom = 2 },
	{ .kind = REPLACER_ENCODE,
	    .pattern = "[0-9]+",
	    .encoding = KENC_BASE32ESCAPED },
	{ .kind = REPLACER_HASH,
	    .pattern = "[a-z]+",
	    .posix = 1,
	    .alg = KHASH_SHA3_256,
	    .encoding = KENC_BASE64RAWURL },
	{ .kind = REPLACER_HMAC,
	    .alg = KHASH_BLAKE2B_384,
	    .encoding = KENC_BASE64,
	    .key = "000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0"
	           "d0e0f"
	           "000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0"
	           "d0e0f"
	           "ff" },
	{ .kind = REPLACER_ENCRYPT,
	    .pattern = "\\d+",
	    .alg = KCIPHER_AESGCM,
	    .encoding = KENC_BASE16,
	    .key = "000102030405060708090a0b0c0d0e0f" },
};

#define FZ_N (sizeof(fz_specs) / sizeof(fz_specs[0]))

static struct replacer *fz_rs[FZ_N];
static struct arena *fz_arena;

/* Encoding then decoding any bytes gives them back. */
static void
fz_encoding(enum kenc_type t, const uint8_t *p, size_t n)
{
	char *enc = malloc(kenc_encoded_len(t, n) + 1);
	unsigned char *dec = malloc(kenc_decoded_max(t, 2 * n + 8));
	size_t len, dlen;

	if (enc == NULL || dec == NULL)
		abort();
	len = kenc_encode(t, p, n, enc);
	if (len != kenc_encoded_len(t, n) ||
	    kenc_decode(t, enc, len, dec, &dlen) == -1 || dlen != n ||
	    memcmp(dec, p, n) != 0)
		abort();
	/* and any text decodes or is refused, within bounds */
	(void)kenc_decode(t, (const char *)p, n, dec, &dlen);
	free(enc);
	free(dec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *out, *in = (const char *)data + 1;
	char err[256];
	size_t i, n, len;

	if (size < 1 || size > 4096)
		return 0;
	if (fz_arena == NULL) {
		fz_arena = arena_new(16384);
		for (i = 0; i < FZ_N; i++)
			if ((fz_rs[i] = replacer_compile(
			         &fz_specs[i], err, sizeof(err))) == NULL)
				abort();
	}
	len = size - 1;
	i = data[0] % (FZ_N + 9);
	if (i >= FZ_N) {
		fz_encoding((enum kenc_type)(i - FZ_N + 1), data + 1, len);
		return 0;
	}
	if (data[0] & 0x80)
		out = replacer_apply_bytes(fz_rs[i], fz_arena, in, len, &n);
	else
		out = replacer_apply(fz_rs[i], fz_arena, in, len, &n);
	if (out == NULL && n > 0)
		abort();
	/* The trims only ever return a slice of their input. */
	if (fz_specs[i].kind == REPLACER_TRIM &&
	    (out < in || out + n > in + len))
		abort();
	out = replacer_apply_all(fz_rs, FZ_N, fz_arena, in, len, &n);
	if (out == NULL && n > 0)
		abort();
	arena_reset(fz_arena);
	return 0;
}
