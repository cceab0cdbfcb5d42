/* libFuzzer target: a session cookie's decoding (gzip, JSON map of base64) and re-encoding. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "kenc.h"
#include "khash.h"
#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The first byte picks gzip or not; the rest is what a cookie brings
 * once its HMAC and encryption are off: decoded, restored, changed,
 * saved and restored again, which must give the same map.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;
	struct session_encoder enc = { 0 };
	struct session s, t;
	unsigned char *plain, *out, *back;
	const unsigned char *j, *v, *w;
	size_t n, on, bn, jn, i, vn, wn;
	const char *err;

	if (size < 1 || size > 65536)
		return 0;
	if (a == NULL)
		a = arena_new(65536);
	enc.hash_alg = KHASH_SHA256;
	enc.no_hmac = enc.no_crypt = 1;
	enc.compress = data[0] & 1;
	if (session_decode(&enc, a, data + 1, size - 1, &plain, &n, &err) < 0)
		goto out;
	session_init(&s, a);
	if (session_unmarshal(&s, plain, n) < 0)
		goto out;
	for (i = 0; i < s.n; i++)
		(void)session_get_blob(&s, s.e[i].key, &vn);
	(void)session_put_blob(&s, "__csrf_token__", data, size);
	if (s.n > 0)
		(void)session_delete(&s, s.e[0].key);
	jn = session_marshal(&s, &j);
	if (session_encode(&enc, a, j, jn, &out, &on, &err) < 0 ||
	    session_decode(&enc, a, out, on, &back, &bn, &err) < 0)
		abort();
	session_init(&t, a);
	if (session_unmarshal(&t, back, bn) < 0 || t.n != s.n)
		abort();
	for (i = 0; i < s.n; i++) {
		v = session_get(&s, s.e[i].key, &vn);
		w = session_get(&t, s.e[i].key, &wn);
		if ((v == NULL) != (w == NULL) ||
		    (v != NULL && (vn != wn || memcmp(v, w, vn) != 0)))
			abort();
	}
out:
	arena_reset(a);
	return 0;
}
