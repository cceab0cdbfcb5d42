/* app/v1 CompressionMiddleware: gzip or brotli response bodies, streamed. */
#include <stdlib.h>
#include <string.h>

#include "compress.h"
#include "conf_table.h"
#include "kind.h"
#include "log.h"

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

/* No role yet: see throttle_conf_kind. */
const struct kind compression_conf_kind = {
	.api_version = "app/v1",
	.kind = "CompressionMiddleware",
	.roles = 0,
	.table = &compression_conf_table,
	.size = sizeof(struct compression_conf_spec),
	.id_off = offsetof(struct compression_conf_spec, id),
	.eh_off = KIND_NO_OFF,
};
