/* -t/-o: print a kind's default manifest, or a loaded one merged over it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "conf.h"
#include "conf_int.h"
#include "conf_table.h"
#include "conf_util.h"
#include "kind.h"
#include "log.h"
#include "template.h"

/* A YAML tree we can merge and print. */
struct tnode {
	int type; /* YAML_SCALAR_NODE, YAML_SEQUENCE_NODE, YAML_MAPPING_NODE */
	char *value;
	int quoted;       /* scalar was not plain */
	struct tnode **k; /* mapping keys (scalars) */
	struct tnode **v; /* mapping values, or sequence items */
	size_t n;
};

static struct tnode *
tmpl_new(int type)
{
	struct tnode *t = calloc(1, sizeof(*t));

	if (t == NULL)
		fatal("calloc");
	t->type = type;
	return t;
}

static void
tmpl_free(struct tnode *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		if (t->k != NULL)
			tmpl_free(t->k[i]);
		tmpl_free(t->v[i]);
	}
	free(t->k);
	free(t->v);
	free(t->value);
	free(t);
}

static void
tmpl_push(struct tnode *t, struct tnode *k, struct tnode *v)
{
	t->v = conf_realloc(t->v, (t->n + 1) * sizeof(*t->v));
	if (t->type == YAML_MAPPING_NODE)
		t->k = conf_realloc(t->k, (t->n + 1) * sizeof(*t->k));
	if (t->k != NULL)
		t->k[t->n] = k;
	t->v[t->n++] = v;
}

static struct tnode *
tmpl_scalar(const char *s, int quoted)
{
	struct tnode *t = tmpl_new(YAML_SCALAR_NODE);

	if ((t->value = strdup(s)) == NULL)
		fatal("strdup");
	t->quoted = quoted;
	return t;
}

/* Copy a libyaml node (depth-limited: the loader already checked it). */
static struct tnode *
tmpl_from_yaml(yaml_document_t *doc, yaml_node_t *n, int depth)
{
	struct tnode *t;
	yaml_node_item_t *it;
	yaml_node_pair_t *p;

	if (n == NULL || depth > 64)
		return tmpl_scalar("null", 0);
	switch (n->type) {
	case YAML_MAPPING_NODE:
		t = tmpl_new(YAML_MAPPING_NODE);
		for (p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++)
			tmpl_push(t,
			    tmpl_from_yaml(doc,
			        yaml_document_get_node(doc, p->key), depth + 1),
			    tmpl_from_yaml(doc,
			        yaml_document_get_node(doc, p->value),
			        depth + 1));
		return t;
	case YAML_SEQUENCE_NODE:
		t = tmpl_new(YAML_SEQUENCE_NODE);
		for (it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++)
			tmpl_push(t, NULL,
			    tmpl_from_yaml(doc,
			        yaml_document_get_node(doc, *it), depth + 1));
		return t;
	default:
		return tmpl_scalar((const char *)n->data.scalar.value,
		    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE);
	}
}

/* Parse one YAML document text into a tree; NULL if it does not parse. */
static struct tnode *
tmpl_parse(const char *text, size_t len)
{
	yaml_parser_t p;
	yaml_document_t doc;
	struct tnode *t = NULL;

	if (!yaml_parser_initialize(&p))
		fatal("yaml_parser_initialize");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (yaml_parser_load(&p, &doc)) {
		if (yaml_document_get_root_node(&doc) != NULL)
			t = tmpl_from_yaml(
			    &doc, yaml_document_get_root_node(&doc), 0);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&p);
	return t;
}

static struct tnode *
tmpl_get(const struct tnode *t, const char *key)
{
	size_t i;

	if (t == NULL || t->type != YAML_MAPPING_NODE)
		return NULL;
	for (i = 0; i < t->n; i++)
		if (strcmp(t->k[i]->value, key) == 0)
			return t->v[i];
	return NULL;
}

/* The zero value of a scalar: AILERON merges "non-zero wins". */
static int
tmpl_is_zero(const struct tnode *t)
{
	if (t->type == YAML_SEQUENCE_NODE)
		return t->n == 0;
	if (t->type != YAML_SCALAR_NODE)
		return 0;
	if (t->quoted)
		return t->value[0] == '\0';
	return strcmp(t->value, "") == 0 || strcmp(t->value, "0") == 0 ||
	    strcmp(t->value, "false") == 0 || strcmp(t->value, "null") == 0 ||
	    strcmp(t->value, "~") == 0;
}

/*
 * Merge user over def (both consumed): mappings key by key, scalars only
 * when the user's is non-zero, lists appended.
 */
static struct tnode *
tmpl_merge(struct tnode *def, struct tnode *user)
{
	size_t i, j;

	if (def == NULL)
		return user;
	if (user == NULL)
		return def;
	if (def->type == YAML_MAPPING_NODE && user->type == YAML_MAPPING_NODE) {
		for (i = 0; i < user->n; i++) {
			for (j = 0; j < def->n; j++)
				if (strcmp(def->k[j]->value,
				        user->k[i]->value) == 0)
					break;
			if (j < def->n) {
				def->v[j] = tmpl_merge(def->v[j], user->v[i]);
				tmpl_free(user->k[i]);
			} else
				tmpl_push(def, user->k[i], user->v[i]);
		}
		user->n = 0;
		tmpl_free(user);
		return def;
	}
	if (def->type == YAML_SEQUENCE_NODE &&
	    user->type == YAML_SEQUENCE_NODE) {
		for (i = 0; i < user->n; i++)
			tmpl_push(def, NULL, user->v[i]);
		user->n = 0;
		tmpl_free(user);
		return def;
	}
	if (user->type == YAML_SCALAR_NODE && tmpl_is_zero(user) &&
	    def->type == YAML_SCALAR_NODE) {
		tmpl_free(user);
		return def;
	}
	tmpl_free(def);
	return user;
}

static void
tmpl_put_quoted(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", fp);
		else if (c == '\t')
			fputs("\\t", fp);
		else if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\u%04x", c);
		else
			fputc(c, fp);
	}
	fputc('"', fp);
}

/* A scalar as it was written: plain stays plain, anything else quoted. */
static void
tmpl_put_scalar_yaml(FILE *fp, const struct tnode *t)
{
	if (!t->quoted && t->value[0] != '\0')
		fputs(t->value, fp);
	else
		tmpl_put_quoted(fp, t->value);
}

/* The value after "key:" or "-": inline scalar or empty, or a block. */
static void tmpl_yaml(FILE *fp, const struct tnode *t, int indent, int first);

static void
tmpl_yaml_value(FILE *fp, const struct tnode *v, int indent)
{
	if (v->type == YAML_SCALAR_NODE) {
		fputc(' ', fp);
		tmpl_put_scalar_yaml(fp, v);
		fputc('\n', fp);
	} else if (v->n == 0)
		fputs(v->type == YAML_MAPPING_NODE ? " {}\n" : " []\n", fp);
	else {
		fputc('\n', fp);
		tmpl_yaml(fp, v, indent, 0);
	}
}

/*
 * Block YAML of a mapping or sequence at indent; with first set the first
 * line follows a "- " already written (a mapping inside a list).
 */
static void
tmpl_yaml(FILE *fp, const struct tnode *t, int indent, int first)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct tnode *v = t->v[i];

		if (!(first && i == 0))
			fprintf(fp, "%*s", indent, "");
		if (t->type == YAML_MAPPING_NODE) {
			tmpl_put_scalar_yaml(fp, t->k[i]);
			fputc(':', fp);
			tmpl_yaml_value(fp, v, indent + 2);
		} else if (v->type != YAML_SCALAR_NODE && v->n > 0) {
			fputs("- ", fp);
			if (v->type == YAML_MAPPING_NODE)
				tmpl_yaml(fp, v, indent + 2, 1);
			else {
				fputs("\n", fp);
				tmpl_yaml(fp, v, indent + 2, 0);
			}
		} else {
			fputc('-', fp);
			tmpl_yaml_value(fp, v, indent + 2);
		}
	}
}

/* A plain scalar as JSON: numbers, booleans and null stay bare. */
static void
tmpl_put_scalar_json(FILE *fp, const struct tnode *t)
{
	const char *s = t->value;
	char *end;

	if (!t->quoted) {
		if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0 ||
		    strcmp(s, "null") == 0) {
			fputs(s, fp);
			return;
		}
		if (strcmp(s, "~") == 0) {
			fputs("null", fp);
			return;
		}
		if (*s != '\0' && (strtod(s, &end), *end == '\0') &&
		    strspn(s, "0123456789.-+eE") == strlen(s)) {
			fputs(s, fp);
			return;
		}
	}
	tmpl_put_quoted(fp, s);
}

static void
tmpl_json(FILE *fp, const struct tnode *t, int indent)
{
	size_t i;

	if (t->type == YAML_SCALAR_NODE) {
		tmpl_put_scalar_json(fp, t);
		return;
	}
	if (t->n == 0) {
		fputs(t->type == YAML_MAPPING_NODE ? "{}" : "[]", fp);
		return;
	}
	fputs(t->type == YAML_MAPPING_NODE ? "{\n" : "[\n", fp);
	for (i = 0; i < t->n; i++) {
		fprintf(fp, "%*s", indent + 2, "");
		if (t->type == YAML_MAPPING_NODE) {
			tmpl_put_quoted(fp, t->k[i]->value);
			fputs(": ", fp);
		}
		tmpl_json(fp, t->v[i], indent + 2);
		fputs(i + 1 < t->n ? ",\n" : "\n", fp);
	}
	fprintf(
	    fp, "%*s%c", indent, "", t->type == YAML_MAPPING_NODE ? '}' : ']');
}

/* Does document d have this apiVersion/kind/namespace/name? */
static int
tmpl_doc_is(const struct tnode *d, const struct kind *k, const char *ns,
    const char *name)
{
	const struct tnode *a = tmpl_get(d, "apiVersion"),
	                   *kn = tmpl_get(d, "kind"),
	                   *md = tmpl_get(d, "metadata");
	const struct tnode *n = tmpl_get(md, "name"),
	                   *s = tmpl_get(md, "namespace");
	const char *dn =
	    n != NULL && n->type == YAML_SCALAR_NODE && n->value[0] != '\0'
	    ? n->value
	    : "default";
	const char *ds =
	    s != NULL && s->type == YAML_SCALAR_NODE && s->value[0] != '\0'
	    ? s->value
	    : "default";

	if (a == NULL || kn == NULL || a->type != YAML_SCALAR_NODE ||
	    kn->type != YAML_SCALAR_NODE)
		return 0;
	if (strcmp(a->value, k->api_version) != 0 ||
	    strcmp(kn->value, k->kind) != 0)
		return 0;
	if (k->flags & KIND_F_SINGLE) /* its id is fixed */
		return 1;
	return strcmp(dn, name) == 0 && strcmp(ds, ns) == 0;
}

/* The document with that id in one file (split as the loader does). */
static struct tnode *
tmpl_find_in_file(
    const char *path, const struct kind *k, const char *ns, const char *name)
{
	struct conf_envtext et;
	struct tnode *d, *found = NULL;
	char *buf, *p, *start, *end, *nl;
	size_t len;

	if ((buf = conf_read_file(path, 64 << 20, &len)) == NULL)
		return NULL;
	end = buf + conf_crlf(buf, len);
	start = p = buf;
	while (found == NULL) {
		nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
		if (p == end ||
		    ((nl != NULL ? nl : end) - p == 3 &&
		        memcmp(p, "---", 3) == 0)) {
			if (conf_env_subst(start, (size_t)(p - start), &et,
			        NULL, NULL) == 0 &&
			    (d = tmpl_parse(et.text, et.len)) != NULL) {
				if (tmpl_doc_is(d, k, ns, name))
					found = d;
				else
					tmpl_free(d);
			}
			conf_envtext_free(&et);
			if (p == end)
				break;
			start = nl != NULL ? nl + 1 : end;
		}
		p = nl != NULL ? nl + 1 : end;
	}
	free(buf);
	return found;
}

/* Can s be written as a plain YAML scalar that reads back as a string? */
static int
tmpl_is_plain(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
	        *s == '/'))
		return 0;
	if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0 ||
	    strcmp(s, "null") == 0 || strcmp(s, "True") == 0 ||
	    strcmp(s, "False") == 0 || strcmp(s, "Null") == 0 ||
	    strcmp(s, "TRUE") == 0 || strcmp(s, "FALSE") == 0 ||
	    strcmp(s, "NULL") == 0)
		return 0;
	return s[strspn(s,
	           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	           "0123456789._/-")] == '\0';
}

static void
tmpl_put_string(FILE *fp, const char *s)
{
	if (tmpl_is_plain(s))
		fputs(s, fp);
	else
		tmpl_put_quoted(fp, s);
}

/*
 * The YAML of table t at indent: each field with its default (see
 * conf_table.h) or its zero value; unsupported fields are left out.
 */
static void
tmpl_gen_table(FILE *fp, const struct conf_table *t, int indent)
{
	const struct conf_field *f;

	for (f = t->fields; f->name != NULL; f++) {
		if (f->type == CF_UNSUPPORTED)
			continue;
		fprintf(fp, "%*s%s:", indent, "", f->name);
		switch (f->type) {
		case CF_STRING:
		case CF_ENUM:
			fputc(' ', fp);
			if (f->def != NULL)
				tmpl_put_string(fp, f->def);
			else
				fputs("null", fp);
			break;
		case CF_INT:
			fprintf(fp, " %s", f->def != NULL ? f->def : "0");
			break;
		case CF_STRINGS:
			if (f->def != NULL) {
				fputs(" [", fp);
				tmpl_put_string(fp, f->def);
				fputc(']', fp);
			} else
				fputs(" []", fp);
			break;
		case CF_OBJECT:
			if (f->def == NULL) {
				fputc('\n', fp);
				tmpl_gen_table(fp, f->table, indent + 2);
				continue;
			}
			fprintf(fp, " %s", f->def);
			break;
		case CF_BOOL:
			fprintf(fp, " %s", f->def != NULL ? f->def : "false");
			break;
		case CF_METHODS:
		case CF_LIST:
		case CF_ENUMS:
			fprintf(fp, " %s", f->def != NULL ? f->def : "[]");
			break;
		default: /* CF_FUNC */
			fprintf(fp, " %s", f->def != NULL ? f->def : "null");
			break;
		}
		fputc('\n', fp);
	}
}

/* The default manifest of kind k, named ns/name, as YAML text. */
static char *
tmpl_gen(const struct kind *k, const char *ns, const char *name, size_t *lenp)
{
	char *text = NULL;
	FILE *fp;

	if ((fp = open_memstream(&text, lenp)) == NULL)
		fatal("open_memstream");
	fprintf(fp,
	    "apiVersion: %s\nkind: %s\nmetadata:\n  name: ", k->api_version,
	    k->kind);
	tmpl_put_quoted(fp, name);
	fputs("\n  namespace: ", fp);
	tmpl_put_quoted(fp, ns);
	fputs("\nspec:\n", fp);
	tmpl_gen_table(fp, k->table, 2);
	if (fclose(fp) != 0)
		fatal("open_memstream");
	return text;
}

int
template_print(
    FILE *fp, const char *what, int json, char *const *paths, size_t npaths)
{
	char av[128], kind[128], ns[128], name[128], *text;
	const struct kind *k;
	struct tnode *def, *user = NULL;
	const char *p[5];
	char buf[512];
	size_t n = 0, i, len;
	char *s, *save = NULL;

	if (snprintf(buf, sizeof(buf), "%s", what) >= (int)sizeof(buf))
		return -1;
	for (s = strtok_r(buf, "/", &save); s != NULL && n < 5;
	     s = strtok_r(NULL, "/", &save))
		p[n++] = s;
	if ((n != 3 && n != 5) || strtok_r(NULL, "/", &save) != NULL)
		return -1;
	snprintf(av, sizeof(av), "%s/%s", p[0], p[1]);
	snprintf(kind, sizeof(kind), "%s", p[2]);
	snprintf(ns, sizeof(ns), "%s", n == 5 ? p[3] : "default");
	snprintf(name, sizeof(name), "%s", n == 5 ? p[4] : "default");
	if ((k = kind_find(av, kind)) == NULL || k->status != KIND_OK)
		return -1;
	if (k->flags & KIND_F_SINGLE) /* its id is fixed */
		snprintf(ns, sizeof(ns), "%s", ".entrypoint"),
		    snprintf(name, sizeof(name), "%s", ".entrypoint");
	text = tmpl_gen(k, ns, name, &len);
	if ((def = tmpl_parse(text, len)) == NULL)
		fatalx("template of %s does not parse", kind);
	free(text);
	if (n == 5) {
		for (i = 0; i < npaths && user == NULL; i++)
			user = tmpl_find_in_file(paths[i], k, ns, name);
		if (user == NULL) {
			tmpl_free(def);
			return -2;
		}
		/* The template's metadata already names it (defaulted). */
		for (i = 0; i < user->n; i++)
			if (strcmp(user->k[i]->value, "metadata") == 0) {
				tmpl_free(user->k[i]);
				tmpl_free(user->v[i]);
				memmove(&user->k[i], &user->k[i + 1],
				    (user->n - i - 1) * sizeof(*user->k));
				memmove(&user->v[i], &user->v[i + 1],
				    (user->n - i - 1) * sizeof(*user->v));
				user->n--;
				break;
			}
		def = tmpl_merge(def, user);
	}
	if (json) {
		tmpl_json(fp, def, 0);
		fputc('\n', fp);
	} else
		tmpl_yaml(fp, def, 0, 0);
	tmpl_free(def);
	return 0;
}
