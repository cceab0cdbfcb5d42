/* app/v1 HeaderPolicyMiddleware: MIME and length checks, request/response header rules. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <regex.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "conf_table.h"
#include "kind.h"
#include "http_parse.h"
#include "log.h"
#include "middleware.h"
#include "middleware/header_policy.h"
#include "middleware/matcher.h"
#include "request.h"
#include "response.h"
#include "route.h"

#define HEADER_POLICY_VALUE_MAX 16384

/*
 * Config part.
 */

/* add and set: a mapping of header names to values, kept in order. */
static int
header_policy_conf_set_map(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	struct header_policy_pair **arr =
	    (struct header_policy_pair **)(void *)((char *)obj + f->off);
	size_t *np = (size_t *)(void *)((char *)obj + f->off_n);
	yaml_node_pair_t *p;
	size_t n;
	int rc = 0;

	if (v->type != YAML_MAPPING_NODE) {
		conf_expected(ld, key, v, "a mapping");
		return -1;
	}
	n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
	*arr = arena_alloc(ld->arena, (n + 1) * sizeof(**arr));
	*np = 0;
	for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(ld->doc, p->value);
		struct header_policy_pair *e = &(*arr)[*np];

		if (k->type != YAML_SCALAR_NODE ||
		    val->type != YAML_SCALAR_NODE) {
			conf_expected(ld, key, v, "a mapping of strings");
			rc = -1;
			continue;
		}
		e->name = arena_strdup(ld->arena, conf_sval(k));
		e->value = arena_strdup(ld->arena, conf_sval(val));
		if (!header_policy_name_valid(e->name)) {
			conf_errorn(
			    ld, k, "field \"%s\": invalid header name", key);
			rc = -1;
			continue;
		}
		if (!header_policy_value_valid(e->value)) {
			conf_errorn(ld, val,
			    "field \"%s\": control character in the value of "
			    "%s",
			    key, e->name);
			rc = -1;
			continue;
		}
		header_policy_canonical(e->name, strlen(e->name), e->name);
		(*np)++;
	}
	return rc;
}

/* rewrites[].replacer: a ReplacerSpec (fixed, value or regexp here). */
static int
header_policy_conf_set_repl(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	struct header_policy_conf_rewrite *rw = obj;

	(void)f;
	(void)key;
	rw->has_repl = 1;
	return conf_parse_object(
	    ld, v, &http_logger_conf_replacer_table, &rw->repl);
}

static const struct conf_field header_policy_conf_rewrite_fields[] = {
	FSTR("name", struct header_policy_conf_rewrite, name),
	FFUNC("replacer", header_policy_conf_set_repl, 0),
	FEND,
};
static const struct conf_table header_policy_conf_rewrite_table = {
	header_policy_conf_rewrite_fields, NULL
};

/* Header names of a list must be tokens; stored canonical. */
static void
header_policy_conf_names(struct loader *ld, yaml_node_t *node,
    const char *field, char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!header_policy_name_valid(names[i])) {
			conf_errorn(ld, conf_field_node(ld, node, field),
			    "field \"%s\": invalid header name \"%s\"", field,
			    names[i]);
			continue;
		}
		header_policy_canonical(names[i], strlen(names[i]), names[i]);
	}
}

static void
header_policy_conf_part_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct header_policy_conf_part *cp = obj;
	size_t i;

	header_policy_conf_names(ld, node, "allows", cp->allows, cp->nallows);
	header_policy_conf_names(
	    ld, node, "removes", cp->removes, cp->nremoves);
	for (i = 0; i < cp->nrewrites; i++) {
		char *name = cp->rewrites[i].name;

		if (name == NULL || name[0] == '\0')
			continue; /* ignored, as AILERON */
		if (!header_policy_name_valid(name))
			conf_errorn(ld, conf_field_node(ld, node, "rewrites"),
			    "field \"rewrites\": invalid header name \"%s\"",
			    name);
		else
			header_policy_canonical(name, strlen(name), name);
	}
}

static const struct conf_field header_policy_conf_part_fields[] = {
	FSTRS("allows", struct header_policy_conf_part, allows, nallows, 0),
	FSTRS("removes", struct header_policy_conf_part, removes, nremoves, 0),
	{ .name = "add",
	    .type = CF_FUNC,
	    .off = offsetof(struct header_policy_conf_part, add),
	    .off_n = offsetof(struct header_policy_conf_part, nadd),
	    .set = header_policy_conf_set_map },
	{ .name = "set",
	    .type = CF_FUNC,
	    .off = offsetof(struct header_policy_conf_part, set),
	    .off_n = offsetof(struct header_policy_conf_part, nset),
	    .set = header_policy_conf_set_map },
	FLIST("rewrites", struct header_policy_conf_part, rewrites, nrewrites,
	    struct header_policy_conf_rewrite,
	    &header_policy_conf_rewrite_table),
	FEND,
};
static const struct conf_table header_policy_conf_part_table = {
	header_policy_conf_part_fields, header_policy_conf_part_check
};

/* The runtime part of one policy from what was read. */
static void
header_policy_conf_build_part(struct loader *ld,
    const struct header_policy_conf_part *cp, struct header_policy_part *p)
{
	size_t i;

	p->allows = cp->allows;
	p->nallows = cp->nallows;
	p->removes = cp->removes;
	p->nremoves = cp->nremoves;
	p->add = cp->add;
	p->nadd = cp->nadd;
	p->set = cp->set;
	p->nset = cp->nset;
	p->rewrites =
	    arena_alloc(ld->arena, (cp->nrewrites + 1) * sizeof(*p->rewrites));
	for (i = 0; i < cp->nrewrites; i++) {
		const struct header_policy_conf_rewrite *rw = &cp->rewrites[i];
		struct header_policy_rewrite *o = &p->rewrites[p->nrewrites];

		if (rw->name == NULL || rw->name[0] == '\0' || !rw->has_repl ||
		    rw->repl.kind == 0)
			continue; /* ignored, as AILERON */
		o->name = rw->name;
		o->repl.value = rw->repl.value;
		o->repl.from = rw->repl.from;
		o->repl.to = rw->repl.to;
		o->repl.npairs = rw->repl.nfrom;
		o->repl.pattern = rw->repl.pattern;
		o->repl.replace = rw->repl.replace;
		o->repl.literal = rw->repl.literal;
		o->repl.re = rw->repl.compiled; /* conf_free frees it */
		if (rw->repl.kind == REPL_FIXED)
			o->repl.type = HEADER_REPL_FIXED;
		else if (rw->repl.kind == REPL_VALUE)
			o->repl.type = HEADER_REPL_VALUE;
		else
			o->repl.type = HEADER_REPL_REGEXP;
		p->nrewrites++;
	}
}

static void
header_policy_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct header_policy_conf_spec *hs = obj;

	(void)node;
	header_policy_conf_build_part(ld, &hs->req, &hs->policy.req);
	header_policy_conf_build_part(ld, &hs->res, &hs->policy.res);
}

static const struct conf_field header_policy_conf_fields[] = {
	FSTRS("allowMIMEs", struct header_policy_conf_spec, policy.mimes,
	    policy.nmimes, 0),
	FINT("maxContentLength", struct header_policy_conf_spec,
	    policy.max_length, INT64_MIN, INT64_MAX),
	FOBJ("requestPolicy", struct header_policy_conf_spec, req,
	    &header_policy_conf_part_table),
	FOBJ("responsePolicy", struct header_policy_conf_spec, res,
	    &header_policy_conf_part_table),
	FEND,
};
static const struct conf_table header_policy_conf_table = {
	header_policy_conf_fields, header_policy_conf_check
};

extern const struct middleware_ops header_policy_middleware;

const struct kind header_policy_conf_kind = {
	.api_version = "app/v1",
	.kind = "HeaderPolicyMiddleware",
	.roles = KIND_ROLE_MIDDLEWARE,
	.middleware = &header_policy_middleware,
	.table = &header_policy_conf_table,
	.size = sizeof(struct header_policy_conf_spec),
	.id_off = KIND_NO_OFF,
	.eh_off = KIND_NO_OFF,
};

/*
 * Runtime part.
 */

/* 1 for an RFC 9110 tchar. */
static int
header_policy_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

int
header_policy_name_valid(const char *name)
{
	if (*name == '\0')
		return 0;
	for (; *name != '\0'; name++)
		if (!header_policy_tchar((unsigned char)*name))
			return 0;
	return 1;
}

int
header_policy_value_valid(const char *value)
{
	for (; *value != '\0'; value++)
		if (((unsigned char)*value < 0x20 && *value != '\t') ||
		    *value == 0x7f)
			return 0;
	return 1;
}

void
header_policy_canonical(const char *in, size_t n, char *out)
{
	size_t i;
	int upper = 1;

	for (i = 0; i < n; i++)
		if (!header_policy_tchar((unsigned char)in[i])) {
			memcpy(out, in, n); /* Go leaves such names alone */
			out[n] = '\0';
			return;
		}
	for (i = 0; i < n; i++) {
		char c = in[i];

		if (upper && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!upper && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		out[i] = c;
		upper = c == '-';
	}
	out[n] = '\0';
}

void
header_policy_media_type(const char *ct, size_t len, char *out, size_t size)
{
	size_t i, start = 0, end, o = 0, slashes = 0;

	out[0] = '\0';
	if (ct == NULL)
		return;
	for (end = 0; end < len && ct[end] != ';'; end++)
		;
	while (start < end && (ct[start] == ' ' || ct[start] == '\t'))
		start++;
	while (end > start && (ct[end - 1] == ' ' || ct[end - 1] == '\t'))
		end--;
	if (end - start + 1 > size)
		return;
	for (i = start; i < end; i++) {
		unsigned char c = (unsigned char)ct[i];

		if (c == '/') {
			/* a subtype must follow the slash, and only one */
			if (++slashes > 1 || i == start || i + 1 == end)
				goto bad;
		} else if (!header_policy_tchar(c))
			goto bad;
		out[o++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	out[o] = '\0';
	return;
bad:
	out[0] = '\0';
}

int
header_policy_check(const struct header_policy *p, const char *ct, size_t ctlen,
    int chunked, uint64_t length, const char **reason)
{
	char mt[256];
	size_t i;

	*reason = NULL;
	if (p->nmimes > 0) {
		header_policy_media_type(ct, ctlen, mt, sizeof(mt));
		for (i = 0; i < p->nmimes; i++)
			if (strcmp(p->mimes[i], mt) == 0)
				break;
		if (i == p->nmimes) {
			*reason = "requested media type is not allowed";
			return 415;
		}
	}
	if (p->max_length > 0) {
		if (chunked) {
			*reason = "unknown sized request is not allowed.";
			return 411;
		}
		if (length > (uint64_t)p->max_length) {
			*reason =
			    "request's ContentLength exceeded max allowed "
			    "length.";
			return 413;
		}
	}
	return 0;
}

int
header_replacer_compile(struct header_replacer *r, char *err, size_t size)
{
	int errcode;
	PCRE2_SIZE erroff;

	if (r->type != HEADER_REPL_REGEXP)
		return 0;
	if (r->pattern == NULL || r->pattern[0] == '\0') {
		snprintf(err, size, "regexp replacer needs a pattern");
		return -1;
	}
	if (r->posix) {
		regex_t *re = malloc(sizeof(*re));

		if (re == NULL)
			fatal("malloc");
		if (regcomp(re, r->pattern, REG_EXTENDED) != 0) {
			free(re);
			snprintf(err, size,
			    "invalid POSIX regular expression \"%s\"",
			    r->pattern);
			return -1;
		}
		r->re = re;
		return 0;
	}
	r->re = pcre2_compile((PCRE2_SPTR)r->pattern, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF, &errcode, &erroff, NULL);
	if (r->re == NULL) {
		snprintf(
		    err, size, "invalid regular expression \"%s\"", r->pattern);
		return -1;
	}
	return 0;
}

void
header_replacer_reset(struct header_replacer *r)
{
	if (r->re == NULL)
		return;
	if (r->posix) {
		regfree(r->re);
		free(r->re);
	} else
		pcre2_code_free(r->re);
	r->re = NULL;
}

/* Append n bytes to out at *o; -1 if they do not fit. */
static int
header_policy_put(char *out, size_t size, size_t *o, const char *s, size_t n)
{
	if (*o + n >= size)
		return -1;
	memcpy(out + *o, s, n);
	*o += n;
	return 0;
}

/* Replace every occurrence of from by to in s; result in out. */
static int
header_replace_all(const char *s, size_t n, const char *from, const char *to,
    char *out, size_t size, size_t *o)
{
	size_t fl = strlen(from), tl = strlen(to), i = 0;

	*o = 0;
	if (fl == 0)
		return header_policy_put(out, size, o, s, n);
	while (i < n) {
		if (n - i >= fl && memcmp(s + i, from, fl) == 0) {
			if (header_policy_put(out, size, o, to, tl) < 0)
				return -1;
			i += fl;
		} else if (header_policy_put(out, size, o, s + i++, 1) < 0)
			return -1;
	}
	return 0;
}

/* Expand $n, ${n} and $$ of a POSIX replacement for one match. */
static int
header_expand_posix(const char *tmpl, const char *s, const regmatch_t *m,
    char *out, size_t size, size_t *o)
{
	size_t i = 0, tl = strlen(tmpl);

	while (i < tl) {
		int g = -1;

		if (tmpl[i] == '$' && i + 1 < tl && tmpl[i + 1] == '$') {
			if (header_policy_put(out, size, o, "$", 1) < 0)
				return -1;
			i += 2;
			continue;
		}
		if (tmpl[i] == '$' && i + 1 < tl && tmpl[i + 1] >= '0' &&
		    tmpl[i + 1] <= '9') {
			g = tmpl[i + 1] - '0';
			i += 2;
		} else if (tmpl[i] == '$' && i + 3 < tl && tmpl[i + 1] == '{' &&
		    tmpl[i + 2] >= '0' && tmpl[i + 2] <= '9' &&
		    tmpl[i + 3] == '}') {
			g = tmpl[i + 2] - '0';
			i += 4;
		}
		if (g < 0) {
			if (header_policy_put(out, size, o, tmpl + i++, 1) < 0)
				return -1;
		} else if (m[g].rm_so >= 0 &&
		    header_policy_put(out, size, o, s + m[g].rm_so,
		        (size_t)(m[g].rm_eo - m[g].rm_so)) < 0)
			return -1;
	}
	return 0;
}

/*
 * Go's ReplaceAllString (or ReplaceAllLiteralString): every match of the
 * regex replaced by the expanded template.  s is NUL-terminated at n.
 */
static int
header_regexp_replace(const struct header_replacer *r, const char *s, size_t n,
    char *out, size_t size, size_t *o)
{
	size_t pos = 0, last = 0;
	long prev_end = -1;

	*o = 0;
	while (pos <= n) {
		size_t so, eo;

		if (r->posix) {
			regmatch_t m[10];

			m[0].rm_so = (regoff_t)pos;
			m[0].rm_eo = (regoff_t)n;
			if (regexec(r->re, s, 10, m, REG_STARTEND) != 0)
				break;
			so = (size_t)m[0].rm_so;
			eo = (size_t)m[0].rm_eo;
			if (eo == so && (long)so == prev_end)
				goto skip;
			if (header_policy_put(
			        out, size, o, s + last, so - last) < 0)
				return -1;
			if (r->literal ? header_policy_put(out, size, o,
			                     r->replace, strlen(r->replace))
			               : header_expand_posix(
			                     r->replace, s, m, out, size, o))
				return -1;
		} else {
			pcre2_match_data *md =
			    pcre2_match_data_create_from_pattern(r->re, NULL);
			PCRE2_SIZE *ov;
			int rc, bad;

			rc = pcre2_match(
			    r->re, (PCRE2_SPTR)s, n, pos, 0, md, NULL);
			if (rc < 0) {
				pcre2_match_data_free(md);
				break;
			}
			ov = pcre2_get_ovector_pointer(md);
			so = ov[0];
			eo = ov[1];
			if (eo == so && (long)so == prev_end) {
				pcre2_match_data_free(md);
				goto skip;
			}
			bad = header_policy_put(
			          out, size, o, s + last, so - last) < 0 ||
			    (r->literal ? header_policy_put(out, size, o,
			                      r->replace, strlen(r->replace))
			                : route_expand_go(r->re, r->replace, s,
			                      ov, rc, out, size, o)) < 0;
			pcre2_match_data_free(md);
			if (bad)
				return -1;
		}
		last = eo;
		prev_end = (long)eo;
		if (eo > so) {
			pos = eo;
			continue;
		}
	skip:
		/* An empty match: step over one byte (a whole UTF-8 sequence). */
		pos++;
		while (pos < n && ((unsigned char)s[pos] & 0xc0) == 0x80)
			pos++;
	}
	return header_policy_put(out, size, o, s + last, n - last);
}

const char *
header_replacer_apply(const struct header_replacer *r, const char *value,
    size_t vlen, struct arena *a, size_t *outlen)
{
	char b1[HEADER_POLICY_VALUE_MAX], b2[HEADER_POLICY_VALUE_MAX];
	char *buf = b1, *tmp = b2, *src;
	size_t i, o = vlen;

	*outlen = vlen;
	switch (r->type) {
	case HEADER_REPL_FIXED:
		*outlen = strlen(r->value);
		return r->value;
	case HEADER_REPL_VALUE:
		if (vlen >= sizeof(b1))
			return value;
		memcpy(buf, value, vlen);
		for (i = 0; i < r->npairs; i++) {
			src = buf;
			if (header_replace_all(src, o, r->from[i], r->to[i],
			        tmp, sizeof(b2), &o) < 0)
				return value; /* too long: keep the value */
			buf = tmp;
			tmp = src;
		}
		break;
	case HEADER_REPL_REGEXP:
		/* the regex functions want a NUL-terminated subject */
		if (vlen >= sizeof(b2) || r->re == NULL)
			return value;
		memcpy(tmp, value, vlen);
		tmp[vlen] = '\0';
		if (header_regexp_replace(r, tmp, vlen, buf, sizeof(b1), &o) <
		    0)
			return value;
		break;
	default:
		return value;
	}
	*outlen = o;
	return arena_strndup(a, buf, o);
}

void
header_policy_headers_add(struct header_policy_headers *h, const char *name,
    size_t nlen, const char *value, size_t vlen)
{
	if (h->n == h->cap) {
		size_t ncap = h->cap ? h->cap * 2 : 16;

		h->f = arena_realloc(h->arena, h->f, h->cap * sizeof(*h->f),
		    ncap * sizeof(*h->f));
		h->cap = ncap;
	}
	h->f[h->n].name = name;
	h->f[h->n].nlen = nlen;
	h->f[h->n].value = value;
	h->f[h->n].vlen = vlen;
	h->f[h->n].deleted = 0;
	h->n++;
}

/* 1 if field f is named name (case-insensitive). */
static int
header_policy_is(const struct header_policy_field *f, const char *name)
{
	return !f->deleted && strlen(name) == f->nlen &&
	    strncasecmp(f->name, name, f->nlen) == 0;
}

int
header_policy_suppressed(
    const struct header_policy_headers *h, const char *name)
{
	size_t i;
	int marked = 0;

	for (i = 0; i < h->n; i++) {
		if (!header_policy_is(&h->f[i], name))
			continue;
		if (h->f[i].value != NULL)
			return 0;
		marked = 1;
	}
	return marked;
}

/* Delete every field named name. */
static void
header_policy_delete(struct header_policy_headers *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (header_policy_is(&h->f[i], name))
			h->f[i].deleted = 1;
}

/* allows: delete each field whose name is not listed (Host stays). */
static void
header_policy_allows(const struct header_policy_part *part,
    struct header_policy_headers *h, int is_request)
{
	size_t i, j;

	for (i = 0; i < h->n; i++) {
		if (h->f[i].deleted)
			continue;
		if (is_request && h->f[i].nlen == 4 &&
		    strncasecmp(h->f[i].name, "Host", 4) == 0)
			continue;
		for (j = 0; j < part->nallows; j++)
			if (header_policy_is(&h->f[i], part->allows[j]))
				break;
		if (j == part->nallows)
			h->f[i].deleted = 1;
	}
}

void
header_policy_apply(const struct header_policy_part *part,
    struct header_policy_headers *h, int is_request)
{
	size_t i, j;

	if (part->nallows > 0)
		header_policy_allows(part, h, is_request);
	for (i = 0; i < part->nremoves; i++) {
		/* Go keeps the key with no value: no automatic header either. */
		header_policy_delete(h, part->removes[i]);
		header_policy_headers_add(
		    h, part->removes[i], strlen(part->removes[i]), NULL, 0);
	}
	for (i = 0; i < part->nadd; i++)
		header_policy_headers_add(h, part->add[i].name,
		    strlen(part->add[i].name), part->add[i].value,
		    strlen(part->add[i].value));
	for (i = 0; i < part->nset; i++) {
		header_policy_delete(h, part->set[i].name);
		header_policy_headers_add(h, part->set[i].name,
		    strlen(part->set[i].name), part->set[i].value,
		    strlen(part->set[i].value));
	}
	for (i = 0; i < part->nrewrites; i++) {
		const struct header_policy_rewrite *rw = &part->rewrites[i];

		for (j = 0; j < h->n; j++)
			if (header_policy_is(&h->f[j], rw->name) &&
			    h->f[j].value != NULL)
				h->f[j].value = header_replacer_apply(&rw->repl,
				    h->f[j].value, h->f[j].vlen, h->arena,
				    &h->f[j].vlen);
	}
}

/* The header id that asks the response writer to look the name up. */
#ifdef RESPONSE_HDR_LOOKUP
#define HEADER_POLICY_LOOKUP RESPONSE_HDR_LOOKUP
#else
#define HEADER_POLICY_LOOKUP HDR_OTHER
#endif

/* 1 if a policy part has nothing to do. */
static int
header_policy_part_empty(const struct header_policy_part *p)
{
	return p->nallows == 0 && p->nremoves == 0 && p->nadd == 0 &&
	    p->nset == 0 && p->nrewrites == 0;
}

/*
 * The request policy on the upstream request: removed fields are dropped
 * (r->drop), and what was added, set or rewritten goes as proxy headers
 * (appended after the fields kept).  Content-Length is never dropped:
 * it is framing, not a header to Go's policy either.
 */
static void
header_policy_request_edit(
    const struct header_policy_part *part, struct request *r)
{
	const struct http_msg *m = r->msg;
	struct header_policy_headers h;
	uint32_t i;

	memset(&h, 0, sizeof(h));
	h.arena = r->arena;
	for (i = 0; i < m->nfields; i++)
		header_policy_headers_add(&h, r->buf + m->fields[i].name.off,
		    m->fields[i].name.len, r->buf + m->fields[i].value.off,
		    m->fields[i].value.len);
	header_policy_apply(part, &h, 1);
	for (i = 0; i < h.n; i++) {
		const struct header_policy_field *f = &h.f[i];
		int orig = i < m->nfields, changed;

		if (orig && m->fields[i].id == HDR_CONTENT_LENGTH)
			continue;
		changed = orig && !f->deleted &&
		    f->value != r->buf + m->fields[i].value.off;
		if (orig && (f->deleted || changed))
			r->drop[i / 64] |= (uint64_t)1 << (i % 64);
		if (f->deleted || f->value == NULL || (orig && !changed))
			continue;
		request_proxy_header(r, f->name, f->nlen, f->value, f->vlen);
	}
}

/* The MIME and length checks, then the request policy. */
static int
header_policy_request_hook(void *inst, struct request *r)
{
	const struct header_policy_conf_spec *hs = inst;
	const struct http_msg *m = r->msg;
	const char *ct, *reason;
	size_t ctlen = 0;
	int status;

	ct = mw_request_header_span(r, "Content-Type", &ctlen);
	status = header_policy_check(&hs->policy, ct, ctlen,
	    m->body == HTTP_BODY_CHUNKED,
	    m->body == HTTP_BODY_LENGTH ? m->content_length : 0, &reason);
	if (status != 0) {
		log_debug("E3211 header policy error. %s", reason);
		return response_error(r, status, "E3211") < 0 ? HANDLER_ABORT
		                                              : HANDLER_OK;
	}
	if (!header_policy_part_empty(&hs->policy.req))
		header_policy_request_edit(&hs->policy.req, r);
	return HANDLER_DECLINED;
}

/*
 * The response policy, once, just before the head is sent: the head's
 * fields are taken out, edited and put back.  A removed Date stays away.
 */
static void
header_policy_head_hook(void *inst, struct request *r)
{
	const struct header_policy_conf_spec *hs = inst;
	const struct header_policy_part *part = &hs->policy.res;
	const struct response *rs = &r->resp;
	struct header_policy_headers h;
	uint8_t *ids;
	size_t i, nfields;

	if (header_policy_part_empty(part))
		return;
	memset(&h, 0, sizeof(h));
	h.arena = r->arena;
	nfields = rs->head.nfields;
	ids = arena_alloc(r->arena, nfields + 1);
	for (i = 0; i < nfields; i++) {
		const struct http_field *f = &rs->head.fields[i];

		ids[i] = f->id; /* kept for the fields put back */

		header_policy_headers_add(&h,
		    arena_strndup(
		        r->arena, rs->head_buf + f->name.off, f->name.len),
		    f->name.len,
		    arena_strndup(
		        r->arena, rs->head_buf + f->value.off, f->value.len),
		    f->value.len);
	}
	header_policy_apply(part, &h, 0);
	for (i = 0; i < h.n; i++)
		(void)response_del(r, h.f[i].name);
	for (i = 0; i < h.n; i++)
		if (!h.f[i].deleted && h.f[i].value != NULL)
			(void)response_add(r,
			    i < nfields ? ids[i] : HEADER_POLICY_LOOKUP,
			    h.f[i].name, h.f[i].nlen, h.f[i].value,
			    h.f[i].vlen);
	if (header_policy_suppressed(&h, "Date"))
		r->resp.no_date = 1;
}

const struct middleware_ops header_policy_middleware = {
	.name = "app/v1/HeaderPolicyMiddleware",
	.request = header_policy_request_hook,
	.head = header_policy_head_hook,
};
