/* TemplateHandler's pure parts: Accept negotiation and the template data. */
#include <string.h>

#include "arena.h"
#include "http_parse.h"
#include "mime_content.h"

int
mime_content_type_ok(const char *t)
{
	const char *p = t;

	while (*p >= 'a' && *p <= 'z')
		p++;
	if (p == t || *p++ != '/' || *p == '\0')
		return 0;
	for (; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		        (*p >= 'A' && *p <= 'Z') || *p == '.' || *p == '+' ||
		        *p == '-'))
			return 0;
	return 1;
}

/* Go's mime token byte: visible ASCII but the tspecials. */
static int
mime_content_token(char c)
{
	return c > 0x20 && c < 0x7F && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

int
mime_content_media_type(const char *s, size_t len, char *out, size_t size)
{
	const char *semi = memchr(s, ';', len), *e;
	size_t i, o = 0;
	int slash = 0;

	e = semi ? semi : s + len;
	while (s < e && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++;
	while (e > s &&
	    (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		e--;
	for (i = 0; s + i < e; i++) {
		char c = s[i];

		if (c == '/') {
			if (slash || o == 0)
				return -1;
			slash = 1;
		} else if (!mime_content_token(c))
			return -1;
		if (o + 1 >= size)
			return -1;
		out[o++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	if (o == 0 || out[o - 1] == '/')
		return -1;
	out[o] = '\0';
	return (int)o;
}

/*
 * Glob p[0..pn) against s[0..sn), neither holding '/': '*' matches any
 * run of bytes.  Linear backtracking to the last '*' only, so that a
 * client's "****...*" costs O(pn * sn), not exponential time.
 */
static int
mime_content_glob_seg(const char *p, size_t pn, const char *s, size_t sn)
{
	size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;

	while (si < sn) {
		if (pi < pn && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < pn && p[pi] == s[si]) {
			pi++;
			si++;
		} else if (star != (size_t)-1) {
			pi = star + 1;
			si = ++mark;
		} else
			return 0;
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

/* Go's path.Match for a pattern of token bytes: '*' never matches '/'. */
static int
mime_content_glob(const char *p, const char *s)
{
	for (;;) {
		const char *ps = strchr(p, '/'), *ss = strchr(s, '/');
		size_t pn = ps ? (size_t)(ps - p) : strlen(p);
		size_t sn = ss ? (size_t)(ss - s) : strlen(s);

		if ((ps == NULL) != (ss == NULL) ||
		    !mime_content_glob_seg(p, pn, s, sn))
			return 0;
		if (ps == NULL)
			return 1;
		p = ps + 1;
		s = ss + 1;
	}
}

int
mime_content_find(
    const char *accept, size_t len, const char *const *types, size_t n)
{
	const char *p, *end;

	if (accept == NULL)
		return -1;
	p = accept;
	end = accept + len;
	while (p <= end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma ? comma : end;
		char mt[256];
		size_t j;

		if (mime_content_media_type(
		        p, (size_t)(e - p), mt, sizeof(mt)) >= 0)
			for (j = 0; j < n; j++)
				if (mime_content_glob(mt, types[j]))
					return (int)j;
		p = e + 1;
	}
	return -1;
}

/* A string value viewing s. */
static struct gotmpl_value
mime_content_str(const char *s, size_t n)
{
	struct gotmpl_value v;

	memset(&v, 0, sizeof(v));
	v.kind = GOTMPL_STRING;
	v.s = s;
	v.len = n;
	return v;
}

/* Pairs (key, value) grouped into a map of lists, keys sorted. */
struct mime_content_pair {
	const char *k, *v;
	size_t kl, vl;
};

static int
mime_content_pair_cmp(
    const struct mime_content_pair *a, const struct mime_content_pair *b)
{
	size_t n = a->kl < b->kl ? a->kl : b->kl;
	int c = memcmp(a->k, b->k, n);

	return c != 0 ? c : (a->kl > b->kl) - (a->kl < b->kl);
}

/* Build the map from pairs p[n] (stable insertion sort keeps value order). */
static struct gotmpl_value *
mime_content_map(struct arena *a, struct mime_content_pair *p, size_t n)
{
	struct gotmpl_value *m = arena_alloc(a, sizeof(*m));
	struct gotmpl_entry *e;
	size_t i, j, ne = 0;

	for (i = 1; i < n; i++) {
		struct mime_content_pair t = p[i];

		for (j = i; j > 0 && mime_content_pair_cmp(&p[j - 1], &t) > 0;
		     j--)
			p[j] = p[j - 1];
		p[j] = t;
	}
	e = arena_alloc(a, (n ? n : 1) * sizeof(*e));
	for (i = 0; i < n; i = j) {
		struct gotmpl_value *items;

		for (j = i + 1;
		     j < n && mime_content_pair_cmp(&p[i], &p[j]) == 0; j++)
			;
		items = arena_alloc(a, (j - i) * sizeof(*items));
		e[ne].key = p[i].k;
		e[ne].key_len = p[i].kl;
		e[ne].v.kind = GOTMPL_LIST;
		e[ne].v.items = items;
		e[ne].v.n = j - i;
		for (; i < j; i++)
			*items++ = mime_content_str(p[i].v, p[i].vl);
		ne++;
	}
	m->kind = GOTMPL_MAP;
	m->entries = e;
	m->n = ne;
	m->elem = GOTMPL_LIST;
	return m;
}

/* Go's QueryUnescape into the arena; NULL for a bad escape. */
static char *
mime_content_unescape(struct arena *a, const char *s, size_t n, size_t *len)
{
	char *out = arena_alloc(a, n + 1);
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= n ||
			    (hi = http_hexval((unsigned char)s[i + 1])) < 0 ||
			    (lo = http_hexval((unsigned char)s[i + 2])) < 0)
				return NULL;
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else
			out[o++] = s[i] == '+' ? ' ' : s[i];
	}
	*len = o;
	return out;
}

/* One key=value pair of a query; -1 to skip it (empty, ';', bad escape). */
static int
mime_content_query_pair(
    struct arena *a, const char *s, size_t n, struct mime_content_pair *p)
{
	const char *eq = memchr(s, '=', n);
	size_t kn = eq ? (size_t)(eq - s) : n;
	const char *k, *v = "";

	p->vl = 0;
	if (n == 0 || memchr(s, ';', n) != NULL ||
	    (k = mime_content_unescape(a, s, kn, &p->kl)) == NULL)
		return -1;
	if (eq != NULL &&
	    (v = mime_content_unescape(a, eq + 1, n - kn - 1, &p->vl)) == NULL)
		return -1;
	p->k = k;
	p->v = v;
	return 0;
}

/* Go's url.ParseQuery, errors skipped, as a map. */
static struct gotmpl_value *
mime_content_query(struct arena *a, const char *q, size_t len)
{
	struct mime_content_pair *p;
	const char *s, *end;
	size_t n = 0, cap = 1;

	if (q == NULL) {
		q = "";
		len = 0;
	}
	end = q + len;
	for (s = q; s < end; s++)
		cap += *s == '&';
	p = arena_alloc(a, cap * sizeof(*p));
	for (s = q; s < end;) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		const char *e = amp ? amp : end;

		if (mime_content_query_pair(a, s, (size_t)(e - s), &p[n]) == 0)
			n++;
		s = e + 1;
	}
	return mime_content_map(a, p, n);
}

struct gotmpl_value *
mime_content_data(struct arena *a, const struct mime_content_req *r)
{
	struct mime_content_pair *p;
	struct gotmpl_entry *e = arena_alloc(a, 7 * sizeof(*e));
	struct gotmpl_value *root = arena_alloc(a, sizeof(*root));
	size_t i, n = 0;

	p = arena_alloc(a, (r->nfields ? r->nfields : 1) * sizeof(*p));
	for (i = 0; i < r->nfields; i++) {
		char *name =
		    arena_strndup(a, r->fields[i].name, r->fields[i].name_len);

		echo_canon_name(name, r->fields[i].name_len);
		if (strcmp(name, "Host") == 0 ||
		    strcmp(name, "Transfer-Encoding") == 0)
			continue;
		p[n].k = name;
		p[n].kl = r->fields[i].name_len;
		p[n].v = r->fields[i].value;
		p[n++].vl = r->fields[i].value_len;
	}
	/* In key order, as the map must be. */
	e[0].key = "header";
	e[0].v = *mime_content_map(a, p, n);
	e[1].key = "host";
	e[1].v = mime_content_str(r->host, strlen(r->host));
	e[2].key = "method";
	e[2].v = mime_content_str(r->method, strlen(r->method));
	e[3].key = "path";
	e[3].v = mime_content_str(r->path, r->path_len);
	e[4].key = "proto";
	e[4].v = mime_content_str(r->proto, strlen(r->proto));
	e[5].key = "query";
	e[5].v = *mime_content_query(a, r->query, r->query ? r->query_len : 0);
	e[6].key = "remote";
	e[6].v = mime_content_str(r->remote, strlen(r->remote));
	for (i = 0; i < 7; i++)
		e[i].key_len = strlen(e[i].key);
	root->kind = GOTMPL_MAP;
	root->entries = e;
	root->n = 7;
	return root;
}
