/*
 * libFuzzer targets for the HTTP parsers, whole and split.  Built three
 * times: FUZZ_REQUEST (request heads), FUZZ_RESPONSE (response heads, the
 * first byte choosing the request method) and FUZZ_CHUNKED (the chunked
 * decoder in pieces of several sizes, with and without data spans).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"
#include "http_target.h"
#include "route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Byte-at-a-time runs are quadratic in the worst case; keep them short. */
#define FUZZ_BYTEWISE_MAX 4096

#define FUZZ_CHECK(cond)         \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

#if !defined(FUZZ_CHUNKED)
/* Check that every span of a finished head lies inside the head. */
static void
fuzz_check_head(const struct http_msg *m)
{
	uint32_t i;

	FUZZ_CHECK(m->nfields <= m->limits.max_headers);
	FUZZ_CHECK(m->head_len <= m->limits.max_head);
	FUZZ_CHECK(m->target.off + m->target.len <= m->head_len);
	FUZZ_CHECK(m->reason.off + m->reason.len <= m->head_len);
	for (i = 0; i < m->nfields; i++) {
		FUZZ_CHECK(m->fields[i].name.len > 0);
		FUZZ_CHECK(m->fields[i].name.off + m->fields[i].name.len <=
		    m->head_len);
		FUZZ_CHECK(m->fields[i].value.off + m->fields[i].value.len <=
		    m->head_len);
	}
	if (m->body == HTTP_BODY_CHUNKED)
		FUZZ_CHECK(m->te_index >= 0 && m->cl_index < 0);
	if (m->body == HTTP_BODY_LENGTH)
		FUZZ_CHECK(m->cl_index >= 0 && m->content_length > 0);
}

/* Parse one head whole and growing byte by byte; results must agree. */
static void
fuzz_head(const char *buf, size_t size, int resp, int req_method)
{
	static struct http_msg a, b;
	size_t n;
	int ra, rb = HTTP_PARSE_AGAIN;

	if (resp) {
		http_response_init(&a, NULL, req_method);
		http_response_init(&b, NULL, req_method);
		ra = http_parse_response(&a, buf, size);
	} else {
		http_request_init(&a, NULL);
		http_request_init(&b, NULL);
		ra = http_parse_request(&a, buf, size);
	}
	if (ra == HTTP_PARSE_DONE)
		fuzz_check_head(&a);
	if (size > FUZZ_BYTEWISE_MAX)
		return;
	for (n = 1; n <= size && rb == HTTP_PARSE_AGAIN; n++)
		rb = resp ? http_parse_response(&b, buf, n)
		          : http_parse_request(&b, buf, n);
	FUZZ_CHECK(ra == rb);
	if (ra == HTTP_PARSE_DONE) {
		FUZZ_CHECK(a.head_len == b.head_len && a.body == b.body &&
		    a.nfields == b.nfields &&
		    a.content_length == b.content_length &&
		    a.keep_alive == b.keep_alive);
		FUZZ_CHECK(memcmp(a.fields, b.fields,
		               a.nfields * sizeof(a.fields[0])) == 0);
	}
}

#endif

#if defined(FUZZ_CHUNKED)
/* Decode buf in pieces of step bytes; returns total consumed. */
static size_t
fuzz_chunked(const char *buf, size_t size, size_t step, int with_data, int *rv)
{
	struct http_chunked c;
	struct http_span d;
	size_t off = 0, n, used;

	http_chunked_init(&c, 0);
	*rv = HTTP_CHUNK_AGAIN;
	while (off < size && *rv == HTTP_CHUNK_AGAIN) {
		n = size - off < step ? size - off : step;
		*rv = http_chunked_parse(
		    &c, buf + off, n, &used, with_data ? &d : NULL);
		FUZZ_CHECK(used <= n);
		if (with_data)
			FUZZ_CHECK((size_t)d.off + d.len <= used);
		else if (*rv == HTTP_CHUNK_AGAIN)
			FUZZ_CHECK(used == n);
		off += used;
	}
	return off;
}
#endif

#if defined(FUZZ_REQUEST)
/*
 * The target handling of a parsed request as the proxy does it: split,
 * decode and re-encode, in buffers small enough that every length check
 * is reached; a decoded path re-encodes to the same decoded path.
 */
static void
fuzz_target(const char *buf, size_t size)
{
	static struct http_msg m;
	struct http_target t;
	char dec[256], enc[256 * 3], again[256];
	int n, e;

	http_request_init(&m, NULL);
	if (http_parse_request(&m, buf, size) != HTTP_PARSE_DONE ||
	    http_target_split(buf + m.target.off, m.target.len, &t) < 0)
		return;
	FUZZ_CHECK(t.path >= buf + m.target.off &&
	    t.path + t.path_len <= buf + m.target.off + m.target.len);
	if (t.authority != NULL)
		FUZZ_CHECK(t.authority_len > 0 &&
		    memchr(t.authority, '@', t.authority_len) == NULL);
	if ((n = route_decode_path(t.path, t.path_len, dec, sizeof(dec))) < 0)
		return;
	if ((e = route_encode_path(dec, (size_t)n, enc, sizeof(enc))) < 0)
		return;
	FUZZ_CHECK(
	    route_decode_path(enc, (size_t)e, again, sizeof(again)) == n &&
	    memcmp(again, dec, (size_t)n) == 0);
}
#endif

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
#if defined(FUZZ_CHUNKED)
	size_t u1, u2, u3;
	int r1, r2, r3;

	u1 = fuzz_chunked(buf, size, size > 0 ? size : 1, 0, &r1);
	u2 = fuzz_chunked(buf, size, 1 + (size > 0 ? data[0] % 13 : 0), 1, &r2);
	u3 = fuzz_chunked(buf, size, 1, 1, &r3);
	FUZZ_CHECK(r1 == r2 && r2 == r3);
	FUZZ_CHECK(u1 == u2 && u2 == u3);
#elif defined(FUZZ_RESPONSE)
	/* The first byte picks the request method; the rest is the head. */
	if (size == 0)
		return 0;
	fuzz_head(buf + 1, size - 1, 1, data[0] % 10);
#else
	fuzz_head(buf, size, 0, 0);
	fuzz_target(buf, size);
#endif
	return 0;
}
