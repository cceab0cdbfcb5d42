/* CompressionMiddleware's rules and a streaming gzip/brotli encoder. */
#ifndef AILERON_COMPRESS_H
#define AILERON_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

enum compress_alg { COMPRESS_NONE = 0, COMPRESS_GZIP, COMPRESS_BR };

/* app/v1 CompressionMiddleware spec, defaults filled. */
struct compress_conf {
	int gzip_level;   /* 1..9 (gzipLevel, default 6) */
	int brotli_level; /* 0..11 (brotliLevel, default 4; -1 means 0) */
	int64_t min_size; /* minimumSize (default 1024); < 0: every size */
	const char *const *mimes; /* targetMIMEs, lower case; NULL: default */
	size_t nmimes;
};

#define COMPRESS_GZIP_LEVEL   6
#define COMPRESS_BROTLI_LEVEL 4
#define COMPRESS_MIN_SIZE     1024

/* AILERON's default targetMIMEs (NULL-terminated). */
extern const char *const compress_default_mimes[];

/* Fill c with AILERON's defaults. */
void compress_conf_defaults(struct compress_conf *c);
/*
 * The coding to answer a request's Accept-Encoding (ae, len bytes) with:
 * among the codings named and not refused with q=0, the one with the
 * highest q; br before gzip on a tie.  COMPRESS_NONE when neither is
 * acceptable.
 */
int compress_negotiate(const char *ae, size_t len);
/* True when the media type of Content-Type ct (len bytes) is a target. */
int compress_mime_target(
    const struct compress_conf *c, const char *ct, size_t len);
/*
 * At the response head: compress with alg (from compress_negotiate)?
 * cl, ct, ce are the Content-Length, Content-Type and Content-Encoding
 * values (NULL when absent).  Returns alg or COMPRESS_NONE: AILERON only
 * compresses a body whose Content-Length is known and >= minimumSize,
 * whose type is a target and that carries no compression coding yet.
 */
int compress_decide(const struct compress_conf *c, int alg, const char *cl,
    size_t cllen, const char *ct, size_t ctlen, const char *ce, size_t celen);
/* "gzip" or "br": the Content-Encoding token of alg. */
const char *compress_token(int alg);

/*
 * A streaming encoder: body bytes go in as they come, compressed bytes
 * go out through the caller's function whenever the encoder's buffer
 * fills, on a flush and at the end.  Nothing is buffered whole.
 */
struct compress_enc;

/* Where compressed bytes go: 0, or -1 to stop (the error is returned). */
typedef int (*compress_out_fn)(void *arg, const void *p, size_t n);

/*
 * An encoder for alg at level; size_hint (0: unknown) is the expected
 * body size, which lets brotli take a smaller window.  NULL (logged) on
 * error.
 */
struct compress_enc *compress_new(int alg, int level, uint64_t size_hint);
/* Start a new stream with the same encoder; 0 or -1. */
int compress_reset(struct compress_enc *e, uint64_t size_hint);
/* Compress n bytes; 0, or -1 (encoder error or out failed). */
int compress_write(struct compress_enc *e, const void *p, size_t n,
    compress_out_fn out, void *arg);
/* Send out everything so far, decodable as it stands; 0 or -1. */
int compress_flush(struct compress_enc *e, compress_out_fn out, void *arg);
/* End the stream (trailer included); 0 or -1. */
int compress_finish(struct compress_enc *e, compress_out_fn out, void *arg);
/* Free the encoder; accepts NULL. */
void compress_free(struct compress_enc *e);

#endif
