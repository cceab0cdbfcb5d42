/* Unit tests: CompressionMiddleware's rules, and its encoders read back. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <brotli/decode.h>
#include <zlib.h>

#include "compress.h"

START_TEST(negotiate_table)
{
	static const struct {
		const char *ae;
		int want;
	} cases[] = {
		{ "", COMPRESS_NONE },
		{ "identity", COMPRESS_NONE },
		{ "*", COMPRESS_NONE },
		{ "gzip", COMPRESS_GZIP },
		{ "GZIP", COMPRESS_GZIP },
		{ "br", COMPRESS_BR },
		/* AILERON's tests */
		{ "deflate, gzip, zstd", COMPRESS_GZIP },
		{ "deflate, br, zstd", COMPRESS_BR },
		/* br before gzip when both are as welcome */
		{ "gzip, deflate, br", COMPRESS_BR },
		{ "gzip;q=1.0, br;q=1", COMPRESS_BR },
		/* q decides otherwise; q=0 refuses */
		{ "gzip;q=1, br;q=0.5", COMPRESS_GZIP },
		{ "br;q=0.001, gzip;q=0.002", COMPRESS_GZIP },
		{ "gzip;q=0", COMPRESS_NONE },
		{ "gzip ; q=0.000, br", COMPRESS_BR },
		{ "br;q=0, gzip;q=0.0", COMPRESS_NONE },
		{ "br;Q=0", COMPRESS_NONE },
		{ "br;level=1;q=0", COMPRESS_NONE },
		/* whole codings, not substrings */
		{ "brotli, xgzip, gzipped", COMPRESS_NONE },
		{ "x-gzip", COMPRESS_NONE },
		/* malformed q: as if absent */
		{ "gzip;q=abc", COMPRESS_GZIP },
		{ "gzip;q=", COMPRESS_GZIP },
		{ ",,, gzip ,", COMPRESS_GZIP },
		{ "\tbr\t", COMPRESS_BR },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(compress_negotiate(cases[i].ae,
		                  strlen(cases[i].ae)) == cases[i].want,
		    "case %zu: %s", i, cases[i].ae);
}
END_TEST

START_TEST(mime_table)
{
	static const char *json[] = { "application/json" };
	static const struct {
		int custom;
		const char *ct;
		int want;
	} cases[] = {
		{ 0, "application/json", 1 },
		{ 0, "text/html; charset=utf-8", 1 },
		{ 0, "Text/HTML;charset=utf-8", 1 },
		{ 0, " text/css ", 1 },
		{ 0, "image/svg+xml", 1 },
		{ 0, "text/js", 1 },
		{ 0, "image/png", 0 },
		{ 0, "application/octet-stream", 0 },
		{ 0, "text/htmlx", 0 },
		{ 0, "text", 0 },
		{ 0, "", 0 },
		{ 0, ";charset=utf-8", 0 },
		{ 1, "application/json", 1 },
		{ 1, "application/json; charset=utf-8", 1 },
		{ 1, "text/plain", 0 },
	};
	struct compress_conf c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		compress_conf_defaults(&c);
		if (cases[i].custom) {
			c.mimes = json;
			c.nmimes = 1;
		}
		ck_assert_msg(compress_mime_target(&c, cases[i].ct,
		                  strlen(cases[i].ct)) == cases[i].want,
		    "case %zu: %s", i, cases[i].ct);
	}
}
END_TEST

START_TEST(decide_table)
{
	static const char *json[] = { "application/json" };
	static const struct {
		int64_t min;
		int alg;
		const char *cl, *ct, *ce;
		int want;
	} cases[] = {
		/* AILERON's tests: targets [application/json] */
		{ 1, COMPRESS_GZIP, "24", "application/json", NULL,
		    COMPRESS_GZIP },
		{ 1, COMPRESS_BR, "24", "application/json", NULL, COMPRESS_BR },
		{ 1, COMPRESS_GZIP, "24", "text/plain", NULL, COMPRESS_NONE },
		{ 20, COMPRESS_GZIP, "24", "application/json", NULL,
		    COMPRESS_GZIP },
		{ 20, COMPRESS_GZIP, "19", "application/json", NULL,
		    COMPRESS_NONE },
		{ 20, COMPRESS_GZIP, "20", "application/json", NULL,
		    COMPRESS_GZIP },
		/* no Content-Length (chunked, streamed): never */
		{ 1, COMPRESS_GZIP, NULL, "application/json", NULL,
		    COMPRESS_NONE },
		{ -1, COMPRESS_GZIP, NULL, "application/json", NULL,
		    COMPRESS_NONE },
		/* negative minimumSize: every size, even a malformed one */
		{ -1, COMPRESS_GZIP, "0", "application/json", NULL,
		    COMPRESS_GZIP },
		{ -1, COMPRESS_GZIP, "x", "application/json", NULL,
		    COMPRESS_GZIP },
		{ 1, COMPRESS_GZIP, "x", "application/json", NULL,
		    COMPRESS_NONE },
		{ 1, COMPRESS_GZIP, "", "application/json", NULL,
		    COMPRESS_NONE },
		{ 1, COMPRESS_GZIP, "99999999999999999999999",
		    "application/json", NULL, COMPRESS_NONE },
		{ 1, COMPRESS_GZIP, "24", NULL, NULL, COMPRESS_NONE },
		/* compressed already; an unrelated coding is not */
		{ 1, COMPRESS_GZIP, "24", "application/json", "gzip",
		    COMPRESS_NONE },
		{ 1, COMPRESS_GZIP, "24", "application/json", "br",
		    COMPRESS_NONE },
		{ 1, COMPRESS_GZIP, "24", "application/json", "x-deflate",
		    COMPRESS_NONE },
		{ 1, COMPRESS_GZIP, "24", "application/json", "compress",
		    COMPRESS_NONE },
		{ 1, COMPRESS_GZIP, "24", "application/json", "zstd",
		    COMPRESS_NONE },
		{ 1, COMPRESS_BR, "24", "application/json", "identity",
		    COMPRESS_BR },
		{ 1, COMPRESS_NONE, "24", "application/json", NULL,
		    COMPRESS_NONE },
	};
	struct compress_conf c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		compress_conf_defaults(&c);
		c.mimes = json;
		c.nmimes = 1;
		c.min_size = cases[i].min;
		ck_assert_msg(
		    compress_decide(&c, cases[i].alg, cases[i].cl,
		        cases[i].cl ? strlen(cases[i].cl) : 0, cases[i].ct,
		        cases[i].ct ? strlen(cases[i].ct) : 0, cases[i].ce,
		        cases[i].ce ? strlen(cases[i].ce) : 0) == cases[i].want,
		    "case %zu", i);
	}
}
END_TEST

START_TEST(defaults)
{
	struct compress_conf c;
	size_t n;

	compress_conf_defaults(&c);
	ck_assert_int_eq(c.gzip_level, 6);
	ck_assert_int_eq(c.brotli_level, 4);
	ck_assert_int_eq(c.min_size, 1024);
	for (n = 0; compress_default_mimes[n] != NULL; n++)
		;
	ck_assert_uint_eq(n, 14);
	/* 1023 bytes stay as they are with the defaults. */
	ck_assert_int_eq(compress_decide(&c, COMPRESS_GZIP, "1023", 4,
	                     "text/plain", 10, NULL, 0),
	    COMPRESS_NONE);
	ck_assert_int_eq(compress_decide(&c, COMPRESS_GZIP, "1024", 4,
	                     "text/plain", 10, NULL, 0),
	    COMPRESS_GZIP);
}
END_TEST

/* A growable byte buffer the encoder writes to. */
struct sink {
	unsigned char *p;
	size_t len, cap;
	size_t calls;
	int fail; /* make out() fail */
};

static int
sink_out(void *arg, const void *p, size_t n)
{
	struct sink *s = arg;

	ck_assert_uint_gt(n, 0);
	if (s->fail)
		return -1;
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->p = realloc(s->p, s->cap);
		ck_assert_ptr_nonnull(s->p);
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
	s->calls++;
	return 0;
}

/*
 * Decode n bytes of alg into *out (malloc'd); returns the decoded length.
 * With whole, the stream must be complete; without, it must stop where
 * a flush left it, everything so far decodable.
 */
static size_t
decode(
    int alg, const unsigned char *p, size_t n, unsigned char **out, int whole)
{
	size_t cap = 1 << 16, len = 0;
	unsigned char *o = malloc(cap);

	ck_assert_ptr_nonnull(o);
	if (alg == COMPRESS_GZIP) {
		z_stream z;
		int r;

		memset(&z, 0, sizeof(z));
		ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
		z.next_in = (Bytef *)(uintptr_t)p;
		z.avail_in = (uInt)n;
		do {
			if (len == cap)
				o = realloc(o, cap *= 2);
			z.next_out = o + len;
			z.avail_out = (uInt)(cap - len);
			r = inflate(&z, Z_SYNC_FLUSH);
			len = cap - z.avail_out;
		} while (r == Z_OK && (z.avail_in > 0 || z.avail_out == 0));
		ck_assert_int_eq(r, whole ? Z_STREAM_END : Z_OK);
		ck_assert_uint_eq(z.avail_in, 0);
		inflateEnd(&z);
	} else {
		BrotliDecoderState *d =
		    BrotliDecoderCreateInstance(NULL, NULL, NULL);
		BrotliDecoderResult r;
		const uint8_t *in = p;
		size_t avail_in = n, avail_out;
		uint8_t *next;

		do {
			if (len == cap)
				o = realloc(o, cap *= 2);
			next = o + len;
			avail_out = cap - len;
			r = BrotliDecoderDecompressStream(
			    d, &avail_in, &in, &avail_out, &next, NULL);
			len = cap - avail_out;
		} while (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT);
		ck_assert_int_eq(r,
		    whole ? BROTLI_DECODER_RESULT_SUCCESS
		          : BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT);
		ck_assert_uint_eq(avail_in, 0);
		BrotliDecoderDestroyInstance(d);
	}
	*out = o;
	return len;
}

/* Text that compresses well, and bytes that do not (xorshift). */
static unsigned char *
make_body(int kind, size_t n)
{
	unsigned char *b = malloc(n + 1);
	uint64_t x = 88172645463325252ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (kind == 0)
			b[i] =
			    (unsigned char)"{\"message\": \"Test Body\"}\n"[i %
			        25];
		else {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			b[i] = (unsigned char)x;
		}
	}
	return b;
}

/*
 * Compress size bytes of a body of kind in chunks of chunk bytes, decode
 * it and compare.  A big text body shrinks.
 */
static void
check_round_trip(int alg, int level, int kind, size_t size, size_t chunk)
{
	unsigned char *body = make_body(kind, size), *back;
	struct compress_enc *e = compress_new(alg, level, size);
	struct sink sk;
	size_t off, n, got;

	ck_assert_ptr_nonnull(e);
	memset(&sk, 0, sizeof(sk));
	for (off = 0; off < size; off += n) {
		n = size - off < chunk ? size - off : chunk;
		ck_assert_int_eq(
		    compress_write(e, body + off, n, sink_out, &sk), 0);
	}
	ck_assert_int_eq(compress_finish(e, sink_out, &sk), 0);
	got = decode(alg, sk.p, sk.len, &back, 1);
	ck_assert_msg(got == size && memcmp(back, body, got) == 0,
	    "alg %d level %d kind %d size %zu chunk %zu", alg, level, kind,
	    size, chunk);
	if (kind == 0 && size >= 70000)
		ck_assert_msg(sk.len < size / 10, "alg %d level %d: %zu -> %zu",
		    alg, level, size, sk.len);
	free(back);
	free(sk.p);
	free(body);
	compress_free(e);
}

START_TEST(round_trip)
{
	static const struct {
		int alg, level;
	} encs[] = { { COMPRESS_GZIP, 1 }, { COMPRESS_GZIP, 6 },
		{ COMPRESS_GZIP, 9 }, { COMPRESS_BR, 0 }, { COMPRESS_BR, 4 },
		{ COMPRESS_BR, 11 } };
	static const size_t sizes[] = { 0, 1, 24, 70000, 300000 };
	static const size_t chunks[] = { 1, 7, 4096, 65536, SIZE_MAX };
	size_t i, s, k;
	int kind;

	for (i = 0; i < sizeof(encs) / sizeof(encs[0]); i++)
		for (s = 0; s < 5; s++)
			for (k = 0; k < 5; k++)
				for (kind = 0; kind < 2; kind++)
					if (chunks[k] >= 4096 ||
					    sizes[s] <= 70000)
						check_round_trip(encs[i].alg,
						    encs[i].level, kind,
						    sizes[s], chunks[k]);
}
END_TEST

/*
 * Output leaves the encoder while the body still comes in: the encoder
 * holds at most twice its window (brotli: 1 MiB here), never the body.
 */
START_TEST(streams)
{
	static const struct {
		int alg, level;
		uint64_t hint;
	} encs[] = { { COMPRESS_GZIP, 6, 0 }, { COMPRESS_BR, 0, 0 },
		{ COMPRESS_BR, 4, 0 }, { COMPRESS_BR, 4, 1 << 30 } };
	unsigned char *chunk = make_body(1, 65536);
	struct compress_enc *e;
	struct sink sk;
	size_t i, in;

	for (i = 0; i < sizeof(encs) / sizeof(encs[0]); i++) {
		memset(&sk, 0, sizeof(sk));
		e = compress_new(encs[i].alg, encs[i].level, encs[i].hint);
		for (in = 0; sk.len == 0 && in <= (2U << 20); in += 65536)
			ck_assert_int_eq(
			    compress_write(e, chunk, 65536, sink_out, &sk), 0);
		ck_assert_msg(sk.len > 0, "encoder %zu held %zu bytes", i, in);
		compress_free(e);
		free(sk.p);
	}
	free(chunk);
}
END_TEST

/* After a flush, the receiver can decode everything written so far. */
START_TEST(flush_then_more)
{
	static const int algs[] = { COMPRESS_GZIP, COMPRESS_BR };
	struct compress_enc *e;
	unsigned char *back;
	struct sink sk;
	size_t a, got;

	for (a = 0; a < 2; a++) {
		memset(&sk, 0, sizeof(sk));
		e = compress_new(algs[a], 5, 0);
		ck_assert_int_eq(
		    compress_write(e, "data: one\n", 10, sink_out, &sk), 0);
		ck_assert_int_eq(compress_flush(e, sink_out, &sk), 0);
		got = decode(algs[a], sk.p, sk.len, &back, 0);
		ck_assert_uint_eq(got, 10);
		ck_assert(memcmp(back, "data: one\n", 10) == 0);
		free(back);
		ck_assert_int_eq(
		    compress_write(e, "data: two\n", 10, sink_out, &sk), 0);
		ck_assert_int_eq(compress_finish(e, sink_out, &sk), 0);
		got = decode(algs[a], sk.p, sk.len, &back, 1);
		ck_assert_uint_eq(got, 20);
		ck_assert(memcmp(back, "data: one\ndata: two\n", 20) == 0);
		free(back);
		free(sk.p);
		compress_free(e);
	}
}
END_TEST

/* One encoder, two streams: the second is whole on its own. */
START_TEST(reset_reuses)
{
	static const int algs[] = { COMPRESS_GZIP, COMPRESS_BR };
	struct compress_enc *e;
	unsigned char *back;
	struct sink sk;
	size_t a, got;
	int round;

	for (a = 0; a < 2; a++) {
		e = compress_new(algs[a], 1, 0);
		for (round = 0; round < 2; round++) {
			memset(&sk, 0, sizeof(sk));
			if (round == 1)
				ck_assert_int_eq(compress_reset(e, 6), 0);
			ck_assert_int_eq(
			    compress_write(e, round ? "second" : "first!", 6,
			        sink_out, &sk),
			    0);
			ck_assert_int_eq(compress_finish(e, sink_out, &sk), 0);
			got = decode(algs[a], sk.p, sk.len, &back, 1);
			ck_assert_uint_eq(got, 6);
			ck_assert(
			    memcmp(back, round ? "second" : "first!", 6) == 0);
			free(back);
			free(sk.p);
		}
		compress_free(e);
	}
}
END_TEST

/* A failing writer (the client went away) stops the encoder with -1. */
START_TEST(out_failure)
{
	static const int algs[] = { COMPRESS_GZIP, COMPRESS_BR };
	unsigned char *body = make_body(1, 100000);
	struct compress_enc *e;
	struct sink sk;
	size_t a;

	for (a = 0; a < 2; a++) {
		memset(&sk, 0, sizeof(sk));
		sk.fail = 1;
		e = compress_new(algs[a], 1, 0);
		ck_assert_int_eq(
		    compress_write(e, body, 100000, sink_out, &sk), -1);
		compress_free(e);
		e = compress_new(algs[a], 1, 0);
		ck_assert_int_eq(compress_write(e, "x", 1, sink_out, &sk), 0);
		ck_assert_int_eq(compress_finish(e, sink_out, &sk), -1);
		compress_free(e);
	}
	ck_assert_ptr_null(compress_new(COMPRESS_NONE, 1, 0));
	compress_free(NULL);
	free(body);
}
END_TEST

static Suite *
compress_suite(void)
{
	Suite *s = suite_create("compress");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, negotiate_table);
	tcase_add_test(tc, mime_table);
	tcase_add_test(tc, decide_table);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, streams);
	tcase_add_test(tc, flush_then_more);
	tcase_add_test(tc, reset_reuses);
	tcase_add_test(tc, out_failure);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(compress_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
