/* app/v1 CompressionMiddleware: gzip or brotli response bodies, streamed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress.h"
#include "conf_table.h"
#include "http.h"
#include "kind.h"
#include "log.h"
#include "middleware.h"
#include "request.h"
#include "response.h"

/*
 * Config part.
 */

struct compression_conf_spec {
	char *id;
	int32_t gzip_level;
	int32_t brotli_level;
	int32_t min_size;
	char **mimes;
	size_t nmimes;
	struct compress_conf cc; /* what the runtime reads */
};

/* Levels and sizes as AILERON merges them; MIME types in lower case. */
static void
compression_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct compression_conf_spec *s = obj;
	size_t i;
	char *p;

	(void)ld;
	(void)node;
	compress_conf_defaults(&s->cc);
	if (s->gzip_level != 0)
		s->cc.gzip_level = s->gzip_level;
	/* brotliLevel 0 keeps the default 4; -1 asks for 0 */
	if (s->brotli_level != 0)
		s->cc.brotli_level = s->brotli_level < 0 ? 0 : s->brotli_level;
	if (s->min_size != 0)
		s->cc.min_size = s->min_size;
	for (i = 0; i < s->nmimes; i++)
		for (p = s->mimes[i]; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	if (s->nmimes > 0) {
		s->cc.mimes = (const char *const *)s->mimes;
		s->cc.nmimes = s->nmimes;
	}
}

static const struct conf_field compression_conf_fields[] = {
	FINTD("gzipLevel", struct compression_conf_spec, gzip_level, 0, 9, "6"),
	FINTD("brotliLevel", struct compression_conf_spec, brotli_level, -1, 11,
	    "4"),
	FINTD("minimumSize", struct compression_conf_spec, min_size, INT32_MIN,
	    INT32_MAX, "1024"),
	FSTRS("targetMIMEs", struct compression_conf_spec, mimes, nmimes,
	    CF_UNIQUE),
	FEND,
};
static const struct conf_table compression_conf_table = {
	compression_conf_fields, compression_conf_check
};

const struct kind compression_conf_kind = {
	.api_version = "app/v1",
	.kind = "CompressionMiddleware",
	.roles = KIND_ROLE_MIDDLEWARE,
	.table = &compression_conf_table,
	.size = sizeof(struct compression_conf_spec),
	.id_off = offsetof(struct compression_conf_spec, id),
	.eh_off = KIND_NO_OFF,
	.middleware = &compression_middleware,
};

/*
 * Runtime part.
 */

/*
 * The worker's current request (one at a time): what its client accepts
 * and whether its response is being compressed.
 */
static struct {
	const struct request *r;
	int alg;    /* negotiated coding; COMPRESS_NONE: none acceptable */
	int active; /* this response is compressed */
	struct compress_enc *enc;
} compression_cur;

/* Per worker: one encoder per coding, reset for each response. */
static struct compress_enc *compression_encs[3];

static int
compression_request(void *inst, struct request *r)
{
	const struct http_field *f;
	int i;

	(void)inst;
	compression_cur.r = NULL;
	compression_cur.active = 0;
	compression_cur.enc = NULL;
	i = http_find_name(r->msg, r->buf, "Accept-Encoding", 15);
	if (i < 0 || (f = &r->msg->fields[i])->value.len == 0)
		return HANDLER_DECLINED; /* no Vary, nothing compressed */
	compression_cur.r = r;
	compression_cur.alg =
	    compress_negotiate(r->buf + f->value.off, f->value.len);
	return HANDLER_DECLINED;
}

/*
 * The head: Vary always (the answer depended on Accept-Encoding); the
 * coding when AILERON's rules say so.  1 when this body is compressed.
 */
static int
compression_start(const struct compression_conf_spec *s, struct request *r)
{
	const char *ct, *ce;
	size_t ctlen = 0, celen = 0;
	char cl[24] = "", val[256];
	int n = 0, alg;

	if (compression_cur.r != r)
		return 0;
	response_add_str(r, "Vary", "Accept-Encoding");
	if ((alg = compression_cur.alg) == COMPRESS_NONE)
		return 0;
	if (r->resp.framing == RESPONSE_LENGTH)
		n = snprintf(
		    cl, sizeof(cl), "%llu", (unsigned long long)r->resp.length);
	ct = response_get(r, "Content-Type", &ctlen);
	ce = response_get(r, "Content-Encoding", &celen);
	if (compress_decide(&s->cc, alg, n > 0 ? cl : NULL, (size_t)n, ct,
	        ctlen, ce, celen) == COMPRESS_NONE)
		return 0;
	if (ce != NULL && celen > 0) {
		if (celen + 6 > sizeof(val))
			return 0; /* a long list of codings stays as it is */
		snprintf(val, sizeof(val), "%.*s,%s", (int)celen, ce,
		    compress_token(alg));
		response_set(r, "Content-Encoding", val);
	} else
		response_set(r, "Content-Encoding", compress_token(alg));
	return 1;
}

/* Not compressing: the body passes, zero-copy and Content-Length kept. */
static void
compression_head(void *inst, struct request *r)
{
	compression_cur.active = compression_start(inst, r);
	if (!compression_cur.active)
		response_filter_skip(r);
}

/* Compressed bytes go on to the next filter. */
static int
compression_out(void *arg, const void *p, size_t n)
{
	return response_filter_next(arg, p, n, 0);
}

/* The worker's encoder for alg, ready for a new stream; NULL on error. */
static struct compress_enc *
compression_encoder(
    const struct compression_conf_spec *s, int alg, uint64_t size_hint)
{
	struct compress_enc **e = &compression_encs[alg];
	int level =
	    alg == COMPRESS_GZIP ? s->cc.gzip_level : s->cc.brotli_level;

	if (*e != NULL && compress_reset(*e, size_hint) == 0)
		return *e;
	compress_free(*e);
	*e = compress_new(alg, level, size_hint);
	return *e;
}

static int
compression_body(
    void *inst, struct request *r, const void *data, size_t n, int last)
{
	if (compression_cur.r != r || !compression_cur.active)
		return response_filter_next(r, data, n, last);
	if (compression_cur.enc == NULL &&
	    (compression_cur.enc = compression_encoder(
	         inst, compression_cur.alg, r->resp.length)) == NULL)
		return -1;
	if (compress_write(compression_cur.enc, data, n, compression_out, r) ==
	    -1)
		return -1;
	if (!last)
		return 0;
	if (compress_finish(compression_cur.enc, compression_out, r) == -1)
		return -1;
	return response_filter_next(r, NULL, 0, 1);
}

static void
compression_done(void *inst, struct request *r)
{
	(void)inst;
	(void)r;
	compression_cur.r = NULL;
	compression_cur.active = 0;
	compression_cur.enc = NULL;
}

const struct middleware_ops compression_middleware = {
	.name = "app/v1/CompressionMiddleware",
	.request = compression_request,
	.head = compression_head,
	.body = compression_body,
	.done = compression_done,
};
