/* A config field that is a mapping of strings (response headers). */
#ifndef AILERON_CONF_KV_H
#define AILERON_CONF_KV_H

#include "conf_table.h"

/*
 * Setter for a mapping of header names to values into a struct conf_kv
 * array at f->off with its count at f->off_n; names and values may not
 * hold line breaks, names no ':'.
 */
int conf_set_kv(struct loader *, const struct conf_field *f, const char *key,
    yaml_node_t *v, void *obj);

#define FHEADERS(n, t, m, cnt)                                       \
	{                                                            \
		.name = (n), .type = CF_FUNC, .off = offsetof(t, m), \
		.off_n = offsetof(t, cnt), .set = conf_set_kv        \
	}

#endif
