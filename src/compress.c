/* CompressionMiddleware's rules and a streaming gzip/brotli encoder. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <brotli/encode.h>
#include <zlib.h>

#include "compress.h"
#include "log.h"

#define CZ_BUF 16384 /* compressed bytes gathered before they go out */
#define CZ_IN  8192  /* brotli: small writes gathered before encoding */

const char *const compress_default_mimes[] = { "application/json",
	"application/manifest+json", "application/graphql+json", "text/html",
	"text/richtext", "text/plain", "text/css", "text/xml",
	"application/xml", "application/xhtml+xml", "image/svg+xml",
	"application/javascript", "text/javascript", "text/js", NULL };

struct compress_enc {
	int cz_alg;
	int cz_level;
	int cz_ready; /* gzip: z_stream initialised */
	z_stream cz_z;
	BrotliEncoderState *cz_br;
	size_t cz_len;   /* bytes waiting in cz_buf */
	size_t cz_inlen; /* brotli: bytes waiting in cz_in */
	unsigned char cz_buf[CZ_BUF];
	unsigned char cz_in[CZ_IN];
};

void
compress_conf_defaults(struct compress_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->gzip_level = COMPRESS_GZIP_LEVEL;
	c->brotli_level = COMPRESS_BROTLI_LEVEL;
	c->min_size = COMPRESS_MIN_SIZE;
}

const char *
compress_token(int alg)
{
	return alg == COMPRESS_BR ? "br" : alg == COMPRESS_GZIP ? "gzip" : "";
}

static int
cz_ows(int c)
{
	return c == ' ' || c == '\t';
}

/*
 * The q of one Accept-Encoding element's parameters (p..end, after the
 * coding), in thousandths: 1000 when absent or malformed.
 */
static int
cz_qvalue(const char *p, const char *end)
{
	int q, digits;

	while (p < end) {
		while (p < end && (*p == ';' || cz_ows(*p)))
			p++;
		if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') &&
		    p[1] == '=') {
			p += 2;
			if (p >= end || (*p != '0' && *p != '1'))
				return 1000;
			q = (*p++ - '0') * 1000;
			if (p < end && *p == '.')
				for (p++, digits = 100; p < end && digits > 0 &&
				     isdigit((unsigned char)*p);
				     p++, digits /= 10)
					q += (*p - '0') * digits;
			return q > 1000 ? 1000 : q;
		}
		while (p < end && *p != ';')
			p++;
	}
	return 1000;
}

int
compress_negotiate(const char *ae, size_t len)
{
	const char *p = ae, *end = ae + len, *elem, *name, *nend;
	int q, best = COMPRESS_NONE, bestq = 0, alg;

	while (p < end) {
		elem = p;
		while (p < end && *p != ',')
			p++;
		name = elem;
		while (name < p && cz_ows(*name))
			name++;
		for (nend = name; nend < p && *nend != ';' && !cz_ows(*nend);
		     nend++)
			;
		alg = COMPRESS_NONE;
		if (nend - name == 2 && strncasecmp(name, "br", 2) == 0)
			alg = COMPRESS_BR;
		else if (nend - name == 4 && strncasecmp(name, "gzip", 4) == 0)
			alg = COMPRESS_GZIP;
		if (alg != COMPRESS_NONE && (q = cz_qvalue(nend, p)) > 0 &&
		    (q > bestq || (q == bestq && alg == COMPRESS_BR))) {
			best = alg;
			bestq = q;
		}
		if (p < end)
			p++;
	}
	return best;
}

int
compress_mime_target(const struct compress_conf *c, const char *ct, size_t len)
{
	const char *const *m = c->mimes != NULL ? (const char *const *)c->mimes
	                                        : compress_default_mimes;
	size_t n = c->mimes != NULL ? c->nmimes : SIZE_MAX, i, b = 0, e;

	/* The media type: before any parameter, without white space. */
	while (b < len && cz_ows(ct[b]))
		b++;
	for (e = b; e < len && ct[e] != ';'; e++)
		;
	while (e > b && cz_ows(ct[e - 1]))
		e--;
	if (e == b)
		return 0;
	for (i = 0; i < n && m[i] != NULL; i++)
		if (strlen(m[i]) == e - b &&
		    strncasecmp(m[i], ct + b, e - b) == 0)
			return 1;
	return 0;
}

/* Does s (n bytes) contain the string w? */
static int
cz_contains(const char *s, size_t n, const char *w)
{
	size_t wl = strlen(w), i;

	for (i = 0; i + wl <= n; i++)
		if (memcmp(s + i, w, wl) == 0)
			return 1;
	return 0;
}

int
compress_decide(const struct compress_conf *c, int alg, const char *cl,
    size_t cllen, const char *ct, size_t ctlen, const char *ce, size_t celen)
{
	static const char *const codings[] = { "gzip", "br", "deflate",
		"compress", "zstd" };
	int64_t size = 0;
	size_t i;

	if (alg == COMPRESS_NONE || cl == NULL)
		return COMPRESS_NONE; /* unknown size: never compressed */
	/* Like Go's ParseInt, a malformed length counts as 0. */
	for (i = 0; i < cllen && isdigit((unsigned char)cl[i]) &&
	     size < INT64_MAX / 10 - 9;
	     i++)
		size = size * 10 + (cl[i] - '0');
	if (i != cllen || cllen == 0)
		size = 0;
	if (size < c->min_size)
		return COMPRESS_NONE;
	if (ct == NULL || !compress_mime_target(c, ct, ctlen))
		return COMPRESS_NONE;
	for (i = 0; ce != NULL && i < sizeof(codings) / sizeof(codings[0]); i++)
		if (cz_contains(ce, celen, codings[i]))
			return COMPRESS_NONE; /* compressed already */
	return alg;
}

/* Send what the buffer holds. */
static int
cz_drain(struct compress_enc *e, compress_out_fn out, void *arg)
{
	int r = 0;

	if (e->cz_len > 0)
		r = out(arg, e->cz_buf, e->cz_len);
	e->cz_len = 0;
	return r;
}

/* Run deflate with flush over the pending input until it is all taken. */
static int
cz_deflate(struct compress_enc *e, int flush, compress_out_fn out, void *arg)
{
	z_stream *z = &e->cz_z;
	int r;

	for (;;) {
		z->next_out = e->cz_buf + e->cz_len;
		z->avail_out = (uInt)(CZ_BUF - e->cz_len);
		r = deflate(z, flush);
		e->cz_len = CZ_BUF - z->avail_out;
		if (r == Z_STREAM_ERROR) {
			log_warnx("deflate: %s", z->msg ? z->msg : "error");
			return -1;
		}
		if (z->avail_out == 0) {
			if (cz_drain(e, out, arg) == -1)
				return -1;
			continue; /* maybe more to come */
		}
		if (z->avail_in == 0 || r == Z_STREAM_END)
			return 0;
	}
}

/* Run the brotli encoder with op over n bytes at p until it is all taken. */
static int
cz_brotli(struct compress_enc *e, BrotliEncoderOperation op, const void *p,
    size_t n, compress_out_fn out, void *arg)
{
	const uint8_t *in = p;
	uint8_t *o;
	size_t avail_out;

	for (;;) {
		o = e->cz_buf + e->cz_len;
		avail_out = CZ_BUF - e->cz_len;
		if (!BrotliEncoderCompressStream(
		        e->cz_br, op, &n, &in, &avail_out, &o, NULL)) {
			log_warnx("brotli: encoder error");
			return -1;
		}
		e->cz_len = CZ_BUF - avail_out;
		if (avail_out == 0) {
			if (cz_drain(e, out, arg) == -1)
				return -1;
			continue;
		}
		if (n == 0 && !BrotliEncoderHasMoreOutput(e->cz_br))
			return 0;
	}
}

/* Encode what cz_in gathered with op (process, flush or finish). */
static int
cz_brotli_end(struct compress_enc *e, BrotliEncoderOperation op,
    compress_out_fn out, void *arg)
{
	size_t n = e->cz_inlen;

	e->cz_inlen = 0;
	return cz_brotli(e, op, e->cz_in, n, out, arg);
}

/*
 * Brotli's fastest qualities (0, 1) emit a block for every call: a
 * stream written a few bytes at a time would grow.  Small writes are
 * gathered in cz_in first; big ones go straight in.
 */
static int
cz_brotli_write(struct compress_enc *e, const unsigned char *p, size_t n,
    compress_out_fn out, void *arg)
{
	size_t take;

	while (n > 0) {
		if (e->cz_inlen == 0 && n >= CZ_IN)
			return cz_brotli(
			    e, BROTLI_OPERATION_PROCESS, p, n, out, arg);
		take = CZ_IN - e->cz_inlen < n ? CZ_IN - e->cz_inlen : n;
		memcpy(e->cz_in + e->cz_inlen, p, take);
		e->cz_inlen += take;
		p += take;
		n -= take;
		if (e->cz_inlen == CZ_IN &&
		    cz_brotli_end(e, BROTLI_OPERATION_PROCESS, out, arg) == -1)
			return -1;
	}
	return 0;
}

/*
 * Brotli's window: about the body's size, 1 KiB to 1 MiB.  Brotli holds
 * up to twice its window before it writes anything; its default 4 MiB
 * window would keep 8 MiB per worker and delay the first byte as long.
 */
#define CZ_LGWIN_MAX 20

static int
cz_lgwin(uint64_t size_hint)
{
	int lg = BROTLI_MIN_WINDOW_BITS;

	while (lg < CZ_LGWIN_MAX &&
	    (size_hint == 0 || ((uint64_t)1 << lg) < size_hint))
		lg++;
	return lg;
}

/* (Re)make the encoder's stream state. */
static int
cz_start(struct compress_enc *e, uint64_t size_hint)
{
	e->cz_len = 0;
	e->cz_inlen = 0;
	if (e->cz_alg == COMPRESS_GZIP) {
		if (e->cz_ready)
			return deflateReset(&e->cz_z) == Z_OK ? 0 : -1;
		if (deflateInit2(&e->cz_z, e->cz_level, Z_DEFLATED, 15 + 16, 8,
		        Z_DEFAULT_STRATEGY) != Z_OK) {
			log_warnx("deflateInit2 failed");
			return -1;
		}
		e->cz_ready = 1;
		return 0;
	}
	if (e->cz_br != NULL)
		BrotliEncoderDestroyInstance(e->cz_br);
	if ((e->cz_br = BrotliEncoderCreateInstance(NULL, NULL, NULL)) ==
	    NULL) {
		log_warnx("brotli: cannot create an encoder");
		return -1;
	}
	BrotliEncoderSetParameter(
	    e->cz_br, BROTLI_PARAM_QUALITY, (uint32_t)e->cz_level);
	BrotliEncoderSetParameter(
	    e->cz_br, BROTLI_PARAM_LGWIN, (uint32_t)cz_lgwin(size_hint));
	if (size_hint > 0 && size_hint < (1U << 30))
		BrotliEncoderSetParameter(
		    e->cz_br, BROTLI_PARAM_SIZE_HINT, (uint32_t)size_hint);
	return 0;
}

struct compress_enc *
compress_new(int alg, int level, uint64_t size_hint)
{
	struct compress_enc *e;

	if (alg != COMPRESS_GZIP && alg != COMPRESS_BR)
		return NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		log_warn("calloc");
		return NULL;
	}
	e->cz_alg = alg;
	e->cz_level = level;
	if (cz_start(e, size_hint) == -1) {
		compress_free(e);
		return NULL;
	}
	return e;
}

int
compress_reset(struct compress_enc *e, uint64_t size_hint)
{
	return cz_start(e, size_hint);
}

int
compress_write(struct compress_enc *e, const void *p, size_t n,
    compress_out_fn out, void *arg)
{
	const unsigned char *in = p;
	size_t part;

	if (n == 0)
		return 0;
	if (e->cz_alg == COMPRESS_BR)
		return cz_brotli_write(e, p, n, out, arg);
	/* avail_in is an unsigned int: feed huge writes in parts. */
	while (n > 0) {
		part = n > (1U << 30) ? (1U << 30) : n;
		e->cz_z.next_in = (Bytef *)(uintptr_t)in;
		e->cz_z.avail_in = (uInt)part;
		if (cz_deflate(e, Z_NO_FLUSH, out, arg) == -1)
			return -1;
		in += part;
		n -= part;
	}
	return 0;
}

/* Send out all pending bytes: a sync flush, or the end of the stream. */
static int
cz_end(struct compress_enc *e, int final, compress_out_fn out, void *arg)
{
	int r;

	if (e->cz_alg == COMPRESS_BR)
		r = cz_brotli_end(e,
		    final ? BROTLI_OPERATION_FINISH : BROTLI_OPERATION_FLUSH,
		    out, arg);
	else {
		e->cz_z.avail_in = 0;
		r = cz_deflate(e, final ? Z_FINISH : Z_SYNC_FLUSH, out, arg);
	}
	if (r == -1)
		return -1;
	return cz_drain(e, out, arg);
}

int
compress_flush(struct compress_enc *e, compress_out_fn out, void *arg)
{
	return cz_end(e, 0, out, arg);
}

int
compress_finish(struct compress_enc *e, compress_out_fn out, void *arg)
{
	return cz_end(e, 1, out, arg);
}

void
compress_free(struct compress_enc *e)
{
	if (e == NULL)
		return;
	if (e->cz_ready)
		deflateEnd(&e->cz_z);
	if (e->cz_br != NULL)
		BrotliEncoderDestroyInstance(e->cz_br);
	free(e);
}
