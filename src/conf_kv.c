/* A config field that is a mapping of strings (response headers). */
#include <string.h>

#include "arena.h"
#include "conf_kv.h"

int
conf_set_kv(struct loader *ld, const struct conf_field *f, const char *key,
    yaml_node_t *v, void *obj)
{
	struct conf_kv **arr =
	    (struct conf_kv **)(void *)((char *)obj + f->off);
	size_t *n = (size_t *)(void *)((char *)obj + f->off_n);
	yaml_node_pair_t *pr;
	size_t cnt;

	if (conf_is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE) {
		conf_expected(ld, key, v, "a mapping");
		return -1;
	}
	cnt = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
	*arr = arena_alloc(ld->arena, (cnt + 1) * sizeof(**arr));
	*n = 0;
	for (pr = v->data.mapping.pairs.start; pr < v->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, pr->key);
		yaml_node_t *val = yaml_document_get_node(ld->doc, pr->value);

		if (k->type != YAML_SCALAR_NODE ||
		    val->type != YAML_SCALAR_NODE) {
			conf_expected(ld, key, val, "a mapping of strings");
			return -1;
		}
		if (conf_sval(k)[0] == '\0' ||
		    strpbrk(conf_sval(k), "\r\n: \t") != NULL ||
		    strpbrk(conf_sval(val), "\r\n") != NULL) {
			conf_errorn(ld, k,
			    "field \"%s\": header names cannot be empty or "
			    "contain ':' or white space, nor values line "
			    "breaks",
			    key);
			return -1;
		}
		(*arr)[*n].key = arena_strdup(ld->arena, conf_sval(k));
		(*arr)[*n].value = arena_strdup(ld->arena, conf_sval(val));
		(*n)++;
	}
	return 0;
}
