/* libFuzzer target: the Basic and Digest Authorization parsers on a client's header value. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "middleware/authn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every value found must lie inside buf and be NUL-terminated there. */
static void
fz_inside(const char *v, const char *buf, size_t size)
{
	if (v == NULL)
		return;
	if (v < buf || v >= buf + size ||
	    memchr(v, '\0', size - (size_t)(v - buf)) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct authn_digest d;
	const char *in = (const char *)data, *u, *p;
	char *buf;
	size_t ul, pl, bsize = size + 1;

	/* exactly the room the middleware gives each parser */
	if ((buf = malloc(bsize)) == NULL)
		return 0;
	if (authn_basic_parse(in, size, buf, &u, &ul, &p, &pl) == 0 &&
	    (u != buf || ul + 1 + pl > size || p != buf + ul + 1))
		abort();
	if (authn_digest_parse(in, size, buf, &d) == 0) {
		fz_inside(d.username, buf, bsize);
		fz_inside(d.realm, buf, bsize);
		fz_inside(d.nonce, buf, bsize);
		fz_inside(d.uri, buf, bsize);
		fz_inside(d.response, buf, bsize);
		fz_inside(d.algorithm, buf, bsize);
		fz_inside(d.cnonce, buf, bsize);
		fz_inside(d.opaque, buf, bsize);
		fz_inside(d.qop, buf, bsize);
		fz_inside(d.nc, buf, bsize);
		fz_inside(d.userhash, buf, bsize);
	}
	free(buf);
	return 0;
}
