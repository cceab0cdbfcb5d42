/* libFuzzer target: the YAML config loader on an in-memory document. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Count the errors; a config with errors must load as NULL. */
static void
fuzz_conf_error(void *ctx, const char *msg)
{
	(void)msg;
	(*(int *)ctx)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *c;
	char *text;
	int errs = 0;

	/* An SLogger with outputTarget File must not create files. */
	conf_open_log_files = 0;
	/* A RedisClient's addrs must not make DNS queries. */
	conf_resolve_names = 0;
	/* Configs are small; huge inputs only slow the search down. */
	if (size > 64 * 1024)
		return 0;
	if ((text = malloc(size + 1)) == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	c = conf_load_string("fuzz.yaml", text, fuzz_conf_error, &errs);
	if ((c == NULL) != (errs > 0))
		abort();
	conf_free(c);
	free(text);
	return 0;
}
