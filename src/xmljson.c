/* XML <-> JSON in the simple, BadgerFish and RayFish conventions of AILERON's zxml. */
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xmljson.h"

/*
 * The rules are zxml's (simple.go, badgerfish.go, rayfish.go and
 * tokenutil.go); the names below follow them.  Go's encoding/xml
 * decoder is replaced by libxml2's SAX1 interface, which reports
 * attributes in document order with their prefixes as written, so that
 * namespaces are resolved here exactly as Go's decoder does.  The
 * document is parsed inside a wrapper element, because Go's decoder
 * accepts several root elements (a list in JSON) and text between them.
 * Entities: only the predefined ones and character references; a
 * DOCTYPE cannot appear inside the wrapper, so nothing is loaded or
 * expanded.
 */

#define XJ_XML_URL  "http://www.w3.org/XML/1998/namespace"
#define XJ_WRAP     "aileron-xmljson-root"
#define XJ_HEADER   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define XJ_NUM_MARK "\\u0000"

/* A growing output buffer; failed once it could not grow or got too big. */
struct xj_buf {
	char *p;
	size_t len, size;
	int failed;
};

static void
xj_put(struct xj_buf *b, const void *s, size_t n)
{
	if (b->failed || n == 0)
		return;
	if (n > XMLJSON_MAX_OUT - b->len) {
		b->failed = 1;
		return;
	}
	if (b->len + n + 1 > b->size) {
		size_t ns = b->size < 256 ? 256 : b->size;
		char *np;

		while (ns < b->len + n + 1)
			ns *= 2;
		if ((np = realloc(b->p, ns)) == NULL) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->size = ns;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
xj_puts(struct xj_buf *b, const char *s)
{
	xj_put(b, s, strlen(s));
}

/* A malloc'd copy of s[0..n) or of a + b; NULL when out of memory. */
static char *
xj_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static char *
xj_concat(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *p = malloc(la + lb + lc + 1);

	if (p != NULL) {
		memcpy(p, a, la);
		memcpy(p + la, b, lb);
		memcpy(p + la + lb, c, lc + 1);
	}
	return p;
}

/* Length of the UTF-8 sequence at s (n bytes) and its code point; 0: invalid. */
static size_t
xj_utf8(const unsigned char *s, size_t n, unsigned *cp)
{
	size_t len, i;
	unsigned c = s[0], min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, c &= 0x07, min = 0x10000;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Go's unicode.IsSpace. */
static int
xj_is_space(unsigned c)
{
	switch (c) {
	case '\t':
	case '\n':
	case '\v':
	case '\f':
	case '\r':
	case ' ':
	case 0x85:
	case 0xa0:
	case 0x1680:
	case 0x2028:
	case 0x2029:
	case 0x202f:
	case 0x205f:
	case 0x3000:
		return 1;
	default:
		return c >= 0x2000 && c <= 0x200a;
	}
}

/* Go's bytes.TrimSpace: s[*off..*off+*n) without Unicode space around. */
static void
xj_trim(const char *s, size_t *off, size_t *n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, end = *n, l, j;
	unsigned c;

	while (
	    i < end && (l = xj_utf8(u + i, end - i, &c)) > 0 && xj_is_space(c))
		i += l;
	while (end > i) {
		/* the start of the last sequence */
		for (j = end - 1; j > i && (u[j] & 0xc0) == 0x80; j--)
			;
		if ((l = xj_utf8(u + j, end - j, &c)) == 0 || j + l != end ||
		    !xj_is_space(c))
			break;
		end = j;
	}
	*off = i;
	*n = end - i;
}

static void xj_seterr(char *err, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The message for the caller, with the input's bytes made safe to log. */
static void
xj_seterr(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;
	char *p;

	if (size == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	for (p = err; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
}

void
xmljson_init(void)
{
	xmlInitParser();
}

void
xmljson_opts_init(struct xmljson_opts *o, int rules)
{
	memset(o, 0, sizeof(*o));
	o->rules = rules;
	o->text_key = rules == XMLJSON_RAYFISH ? "#text" : "$";
	o->attr_prefix = "@";
	o->ns_sep = ":";
	o->name_key = "#name";
	o->children_key = "#children";
}

/*
 * JSON output as Go's json.Encoder with SetEscapeHTML(false) writes it:
 * object keys sorted, strings escaped as Go escapes them.
 */

static void
xj_json_string(struct xj_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, start = 0, l;
	unsigned c;
	char esc[8];

	xj_put(b, "\"", 1);
	while (i < n) {
		const char *rep = NULL;

		if (u[i] >= 0x20 && u[i] < 0x80 && u[i] != '"' &&
		    u[i] != '\\') {
			i++;
			continue;
		}
		if (u[i] >= 0x80) {
			l = xj_utf8(u + i, n - i, &c);
			if (l > 0 && c != 0x2028 && c != 0x2029) {
				i += l;
				continue;
			}
			xj_put(b, s + start, i - start);
			if (l == 0) {
				xj_puts(b, "\\ufffd");
				l = 1;
			} else
				xj_puts(b, c == 0x2028 ? "\\u2028" : "\\u2029");
			i += l;
			start = i;
			continue;
		}
		switch (u[i]) {
		case '"':
			rep = "\\\"";
			break;
		case '\\':
			rep = "\\\\";
			break;
		case '\b':
			rep = "\\b";
			break;
		case '\f':
			rep = "\\f";
			break;
		case '\n':
			rep = "\\n";
			break;
		case '\r':
			rep = "\\r";
			break;
		case '\t':
			rep = "\\t";
			break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[u[i] >> 4];
			esc[5] = hex[u[i] & 15];
			esc[6] = '\0';
			rep = esc;
			break;
		}
		xj_put(b, s + start, i - start);
		xj_puts(b, rep);
		start = ++i;
	}
	xj_put(b, s + start, i - start);
	xj_put(b, "\"", 1);
}

static int
xj_keycmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
xj_json_write(struct xj_buf *b, json_t *v)
{
	const char **keys;
	const char *k;
	json_t *e;
	size_t i, n;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		n = json_object_size(v);
		if ((keys = calloc(n + 1, sizeof(*keys))) == NULL) {
			b->failed = 1;
			return;
		}
		i = 0;
		json_object_foreach(v, k, e) keys[i++] = k;
		qsort(keys, n, sizeof(*keys), xj_keycmp);
		xj_put(b, "{", 1);
		for (i = 0; i < n; i++) {
			if (i > 0)
				xj_put(b, ",", 1);
			xj_json_string(b, keys[i], strlen(keys[i]));
			xj_put(b, ":", 1);
			xj_json_write(b, json_object_get(v, keys[i]));
		}
		xj_put(b, "}", 1);
		free(keys);
		break;
	case JSON_ARRAY:
		xj_put(b, "[", 1);
		json_array_foreach(v, i, e)
		{
			if (i > 0)
				xj_put(b, ",", 1);
			xj_json_write(b, e);
		}
		xj_put(b, "]", 1);
		break;
	case JSON_STRING:
		xj_json_string(b, json_string_value(v), json_string_length(v));
		break;
	default: /* the decoder makes nothing else */
		xj_put(b, "null", 4);
		break;
	}
}

/*
 * XML to JSON.
 */

/* A (key, value) pair: a child element as zxml's maps hold it. */
struct xj_pair {
	char *key;
	json_t *val;
};

/* A prefix/name and URL: a namespace binding or zxml's ns list entry. */
struct xj_ns {
	char *key;
	char *url;
};

/* One open element. */
struct xj_frame {
	char *name;    /* its JSON name */
	json_t *attrs; /* simple, BadgerFish: its map; RayFish: children */
	struct xj_pair *kids;
	size_t nkids, kcap;
	struct xj_buf text;
	size_t nns, nbind; /* list lengths when it opened */
};

struct xj_dec {
	const struct xmljson_opts *o;
	xmlParserCtxtPtr ctxt;
	struct xj_frame *st; /* st[0] is the wrapper */
	size_t depth, cap;
	/* zxml's ns list: (prefix, URL), latest last */
	struct xj_ns *ns;
	size_t nns, nscap;
	/* Go's decoder: prefix -> URL bindings in scope, latest last */
	struct xj_ns *bind;
	size_t nbind, bindcap;
	struct xj_buf run; /* character data not yet taken */
	json_t *roots;
	int failed;
	char err[128];
};

static void
xj_fail(struct xj_dec *d, const char *msg)
{
	if (!d->failed) {
		d->failed = 1;
		snprintf(d->err, sizeof(d->err), "%s", msg);
	}
	if (d->ctxt != NULL)
		xmlStopParser(d->ctxt);
}

static int
xj_ns_push(struct xj_ns **list, size_t *n, size_t *cap, const char *key,
    size_t klen, const char *url)
{
	struct xj_ns *e;

	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct xj_ns *nl = realloc(*list, nc * sizeof(*nl));

		if (nl == NULL)
			return -1;
		*list = nl;
		*cap = nc;
	}
	e = &(*list)[*n];
	e->key = xj_strndup(key, klen);
	e->url = xj_strndup(url, strlen(url));
	if (e->key == NULL || e->url == NULL) {
		free(e->key);
		free(e->url);
		return -1;
	}
	(*n)++;
	return 0;
}

static void
xj_ns_pop(struct xj_ns *list, size_t *n, size_t to)
{
	while (*n > to) {
		(*n)--;
		free(list[*n].key);
		free(list[*n].url);
	}
}

/* Go's xml.Name: Space and Local of a name as written. */
struct xj_name {
	const char *space; /* prefix, later a URL; "" when none */
	size_t slen;
	const char *local;
	size_t llen;
};

/* Go's nsname(): split at the colon; -1 for more than one colon. */
static int
xj_split(const char *q, struct xj_name *nm)
{
	const char *c = strchr(q, ':');

	nm->space = "";
	nm->slen = 0;
	nm->local = q;
	nm->llen = strlen(q);
	if (c == NULL)
		return 0;
	if (strchr(c + 1, ':') != NULL)
		return -1;
	if (c == q || c[1] == '\0')
		return 0; /* ":a" and "a:" stay whole */
	nm->space = q;
	nm->slen = (size_t)(c - q);
	nm->local = c + 1;
	nm->llen = strlen(c + 1);
	return 0;
}

static int
xj_is(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* The URL bound to prefix p (n bytes; "" the default), or NULL. */
static const char *
xj_bound(const struct xj_dec *d, const char *p, size_t n)
{
	size_t i;

	for (i = d->nbind; i-- > 0;)
		if (xj_is(p, n, d->bind[i].key))
			return d->bind[i].url;
	return NULL;
}

/* Go's Decoder.translate: the Space of a name becomes its URL. */
static void
xj_translate(const struct xj_dec *d, struct xj_name *nm, int element)
{
	const char *url;

	if (xj_is(nm->space, nm->slen, "xmlns"))
		return;
	if (nm->slen == 0 && !element)
		return;
	if (xj_is(nm->space, nm->slen, "xml")) {
		nm->space = XJ_XML_URL;
		nm->slen = strlen(XJ_XML_URL);
	} else if (nm->slen == 0 && xj_is(nm->local, nm->llen, "xmlns"))
		return;
	if ((url = xj_bound(d, nm->space, nm->slen)) != NULL) {
		nm->space = url;
		nm->slen = strlen(url);
	}
}

/* zxml's tokenName (element) and attrName (prefix != NULL). */
static char *
xj_token_name(const struct xj_dec *d, const struct xj_name *nm,
    const char *prefix, int use_ns)
{
	const char *sep = d->o->ns_sep, *key;
	struct xj_buf b = { NULL, 0, 0, 0 };
	size_t i;

	if (prefix != NULL)
		xj_puts(&b, prefix);
	if (nm->slen == 0)
		goto local;
	key = NULL;
	for (i = use_ns ? d->nns : 0; i-- > 0;)
		if (xj_is(nm->space, nm->slen, d->ns[i].url)) {
			key = d->ns[i].key;
			break;
		}
	if (key != NULL && prefix == NULL && strcmp(key, "xmlns") == 0) {
		/* the default namespace: no prefix */
	} else if (key != NULL) {
		xj_puts(&b, key);
		xj_puts(&b, sep);
	} else if (xj_is(nm->space, nm->slen, XJ_XML_URL)) {
		xj_puts(&b, "xml");
		xj_puts(&b, sep);
	} else {
		xj_put(&b, nm->space, nm->slen);
		xj_puts(&b, sep);
	}
local:
	xj_put(&b, nm->local, nm->llen);
	if (b.p == NULL && !b.failed)
		return xj_strndup("", 0);
	return b.failed ? (free(b.p), NULL) : b.p;
}

/* Append a character run to the current element's text, as zxml does. */
static void
xj_take_run(struct xj_dec *d, const char *s, size_t n)
{
	struct xj_frame *f = &d->st[d->depth - 1];
	size_t off = 0, tn = n;

	if (d->depth <= 1)
		return; /* text outside the root elements: ignored */
	xj_trim(s, &off, &tn);
	if (tn == 0)
		return; /* only spaces */
	if (d->o->trim_space)
		xj_put(&f->text, s + off, tn);
	else
		xj_put(&f->text, s, n);
	if (f->text.failed)
		xj_fail(d, "text too large");
}

static void
xj_flush_run(struct xj_dec *d)
{
	if (d->run.len > 0)
		xj_take_run(d, d->run.p, d->run.len);
	d->run.len = 0;
}

static void
xj_frame_free(struct xj_frame *f)
{
	size_t i;

	free(f->name);
	json_decref(f->attrs);
	for (i = 0; i < f->nkids; i++) {
		free(f->kids[i].key);
		json_decref(f->kids[i].val);
	}
	free(f->kids);
	free(f->text.p);
	memset(f, 0, sizeof(*f));
}

static json_t *
xj_empty(const struct xj_dec *d)
{
	return d->o->rules == XMLJSON_BADGERFISH ? json_object()
	                                         : json_string("");
}

/* zxml's mergeChildren: children into target, repeated names as lists. */
static int
xj_merge(json_t *target, struct xj_frame *f)
{
	json_t *count, *c, *groups, *arr;
	size_t i;
	int rc = -1;

	if (f->nkids == 1)
		return json_object_set(target, f->kids[0].key, f->kids[0].val);
	if ((count = json_object()) == NULL)
		return -1;
	if ((groups = json_object()) == NULL) {
		json_decref(count);
		return -1;
	}
	for (i = 0; i < f->nkids; i++) {
		c = json_object_get(count, f->kids[i].key);
		if (json_object_set_new(count, f->kids[i].key,
		        json_integer(c ? json_integer_value(c) + 1 : 1)) < 0)
			goto out;
	}
	for (i = 0; i < f->nkids; i++) {
		const char *k = f->kids[i].key;

		if (json_integer_value(json_object_get(count, k)) == 1) {
			if (json_object_set(target, k, f->kids[i].val) < 0)
				goto out;
			continue;
		}
		if ((arr = json_object_get(groups, k)) == NULL) {
			if ((arr = json_array()) == NULL ||
			    json_object_set_new(groups, k, arr) < 0 ||
			    json_object_set(target, k, arr) < 0)
				goto out;
		}
		if (json_array_append(arr, f->kids[i].val) < 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(count);
	json_decref(groups);
	return rc;
}

/* The value of a closed element (its name in f->name), zxml's way. */
static json_t *
xj_finish(struct xj_dec *d, struct xj_frame *f)
{
	const struct xmljson_opts *o = d->o;
	json_t *val = NULL, *res;

	if (f->text.len > 0 &&
	    (val = json_stringn(f->text.p, f->text.len)) == NULL)
		return NULL;
	if (o->rules == XMLJSON_RAYFISH) {
		if (val == NULL && (val = json_string("")) == NULL)
			return NULL;
		res = json_object();
		if (res == NULL ||
		    json_object_set_new(
		        res, o->name_key, json_string(f->name)) < 0 ||
		    json_object_set_new(res, o->text_key, val) < 0 ||
		    json_object_set(res, o->children_key, f->attrs) < 0) {
			json_decref(res);
			return NULL;
		}
		return res;
	}
	if (o->rules == XMLJSON_BADGERFISH && val != NULL) {
		if (f->nkids == f->kcap) {
			size_t nc = f->kcap ? f->kcap * 2 : 4;
			struct xj_pair *nk = realloc(f->kids, nc * sizeof(*nk));

			if (nk == NULL) {
				json_decref(val);
				return NULL;
			}
			f->kids = nk;
			f->kcap = nc;
		}
		f->kids[f->nkids].key =
		    xj_strndup(o->text_key, strlen(o->text_key));
		f->kids[f->nkids++].val = val;
		if (f->kids[f->nkids - 1].key == NULL)
			return NULL;
		val = NULL;
	}
	if (f->nkids > 0 && xj_merge(f->attrs, f) < 0) {
		json_decref(val);
		return NULL;
	}
	if (json_object_size(f->attrs) == 0) {
		if (o->rules == XMLJSON_BADGERFISH)
			return xj_empty(d);
		if (val == NULL && (val = xj_empty(d)) == NULL)
			return NULL;
		if (o->prefer_short)
			return val;
	}
	if (val != NULL && json_object_set_new(f->attrs, o->text_key, val) < 0)
		return NULL;
	return json_incref(f->attrs);
}

/* Attach a closed element's value to its parent (or the roots). */
static int
xj_attach(struct xj_dec *d, struct xj_frame *f, json_t *val)
{
	struct xj_frame *p = &d->st[d->depth - 1];
	json_t *obj;

	if (d->o->rules == XMLJSON_RAYFISH)
		return json_array_append_new(
		    d->depth == 1 ? d->roots : p->attrs, val);
	if (d->depth == 1) {
		if ((obj = json_object()) == NULL ||
		    json_object_set_new(obj, f->name, val) < 0) {
			json_decref(obj);
			return -1;
		}
		return json_array_append_new(d->roots, obj);
	}
	if (p->nkids == p->kcap) {
		size_t nc = p->kcap ? p->kcap * 2 : 4;
		struct xj_pair *nk = realloc(p->kids, nc * sizeof(*nk));

		if (nk == NULL) {
			json_decref(val);
			return -1;
		}
		p->kids = nk;
		p->kcap = nc;
	}
	p->kids[p->nkids].key = f->name;
	p->kids[p->nkids++].val = val;
	f->name = NULL;
	return 0;
}

/* zxml's parseNamespace: declarations (and prefixed attributes) to the ns list. */
static int
xj_ns_note(struct xj_dec *d, const struct xj_name *nm, const char *value)
{
	if (nm->slen == 0) {
		if (!xj_is(nm->local, nm->llen, "xmlns"))
			return 0;
		return xj_ns_push(
		    &d->ns, &d->nns, &d->nscap, "xmlns", 5, value);
	}
	return xj_ns_push(
	    &d->ns, &d->nns, &d->nscap, nm->local, nm->llen, value);
}

/* BadgerFish's attrsToMap entry for one attribute. */
static int
xj_badger_attr(
    struct xj_dec *d, json_t *m, const struct xj_name *nm, const char *value)
{
	const struct xmljson_opts *o = d->o;
	char *key, *nskey;
	json_t *x;
	int rc;

	if ((nm->slen == 0 && !xj_is(nm->local, nm->llen, "xmlns")) ||
	    (nm->slen > 0 && !xj_is(nm->space, nm->slen, "xmlns"))) {
		if ((key = xj_token_name(
		         d, nm, o->attr_prefix, nm->slen > 0)) == NULL)
			return -1;
		rc = json_object_set_new(m, key, json_string(value));
		free(key);
		return rc;
	}
	key = nm->slen == 0 ? xj_strndup(o->text_key, strlen(o->text_key))
	                    : xj_strndup(nm->local, nm->llen);
	nskey = xj_concat(o->attr_prefix, "xmlns", "");
	rc = -1;
	if (key != NULL && nskey != NULL) {
		if ((x = json_object_get(m, nskey)) == NULL ||
		    !json_is_object(x)) {
			x = json_object();
			if (json_object_set_new(m, nskey, x) < 0)
				x = NULL;
		}
		rc = x == NULL
		    ? -1
		    : json_object_set_new(x, key, json_string(value));
	}
	free(key);
	free(nskey);
	return rc;
}

static void
xj_start(void *ctx, const xmlChar *qname, const xmlChar **atts)
{
	struct xj_dec *d = ctx;
	const struct xmljson_opts *o = d->o;
	struct xj_frame *f;
	struct xj_name en, an;
	size_t i;

	if (d->failed)
		return;
	xj_flush_run(d);
	if (d->depth >= XMLJSON_MAX_DEPTH) {
		xj_fail(d, "elements nested too deep");
		return;
	}
	if (d->depth == d->cap) {
		size_t nc = d->cap ? d->cap * 2 : 16;
		struct xj_frame *ns = realloc(d->st, nc * sizeof(*ns));

		if (ns == NULL) {
			xj_fail(d, "out of memory");
			return;
		}
		d->st = ns;
		d->cap = nc;
	}
	f = &d->st[d->depth];
	memset(f, 0, sizeof(*f));
	f->nns = d->nns;
	f->nbind = d->nbind;
	d->depth++;
	if (d->depth == 1)
		return; /* the wrapper */
	/* Go's decoder: bind the declared prefixes, then translate names. */
	for (i = 0; atts != NULL && atts[i] != NULL; i += 2) {
		const char *a = (const char *)atts[i];
		const char *v = (const char *)atts[i + 1];

		if (strncmp(a, "xmlns:", 6) == 0 &&
		    strchr(a + 6, ':') == NULL && a[6] != '\0') {
			if (xj_ns_push(&d->bind, &d->nbind, &d->bindcap, a + 6,
			        strlen(a + 6), v) < 0)
				goto nomem;
		} else if (strcmp(a, "xmlns") == 0 &&
		    xj_ns_push(&d->bind, &d->nbind, &d->bindcap, "", 0, v) < 0)
			goto nomem;
	}
	if (xj_split((const char *)qname, &en) < 0) {
		xj_fail(d, "expected element name after <");
		return;
	}
	xj_translate(d, &en, 1);
	/* zxml: the ns list first, from the translated attributes */
	for (i = 0; atts != NULL && atts[i] != NULL; i += 2) {
		if (xj_split((const char *)atts[i], &an) < 0) {
			xj_fail(d, "expected attribute name in element");
			return;
		}
		xj_translate(d, &an, 0);
		if (xj_ns_note(d, &an, (const char *)atts[i + 1]) < 0)
			goto nomem;
	}
	if ((f->name = xj_token_name(d, &en, NULL, 1)) == NULL)
		goto nomem;
	f->attrs = o->rules == XMLJSON_RAYFISH ? json_array() : json_object();
	if (f->attrs == NULL)
		goto nomem;
	for (i = 0; atts != NULL && atts[i] != NULL; i += 2) {
		const char *v = atts[i + 1] ? (const char *)atts[i + 1] : "";
		char *key;
		json_t *e;
		int rc;

		(void)xj_split((const char *)atts[i], &an);
		xj_translate(d, &an, 0);
		if (o->rules == XMLJSON_BADGERFISH) {
			if (xj_badger_attr(d, f->attrs, &an, v) < 0)
				goto nomem;
			continue;
		}
		if ((key = xj_token_name(d, &an, o->attr_prefix, 1)) == NULL)
			goto nomem;
		if (o->rules == XMLJSON_SIMPLE) {
			rc = json_object_set_new(f->attrs, key, json_string(v));
		} else {
			e = json_object();
			rc = e == NULL ||
			        json_object_set_new(
			            e, o->name_key, json_string(key)) < 0 ||
			        json_object_set_new(
			            e, o->text_key, json_string(v)) < 0 ||
			        json_object_set_new(
			            e, o->children_key, json_array()) < 0
			    ? -1
			    : json_array_append_new(f->attrs, e);
			if (rc < 0)
				json_decref(e);
		}
		free(key);
		if (rc < 0)
			goto nomem;
	}
	return;
nomem:
	xj_fail(d, "out of memory");
}

static void
xj_end(void *ctx, const xmlChar *qname)
{
	struct xj_dec *d = ctx;
	struct xj_frame *f;
	json_t *val;

	(void)qname;
	if (d->failed || d->depth == 0)
		return;
	xj_flush_run(d);
	f = &d->st[--d->depth];
	if (d->depth > 0) {
		if ((val = xj_finish(d, f)) == NULL || xj_attach(d, f, val) < 0)
			xj_fail(d, "out of memory");
	}
	xj_ns_pop(d->ns, &d->nns, f->nns);
	xj_ns_pop(d->bind, &d->nbind, f->nbind);
	xj_frame_free(f);
}

static void
xj_chars(void *ctx, const xmlChar *s, int n)
{
	struct xj_dec *d = ctx;

	if (d->failed || n <= 0)
		return;
	xj_put(&d->run, s, (size_t)n);
	if (d->run.failed)
		xj_fail(d, "text too large");
}

/* CDATA is a run of its own, as Go's decoder reports it. */
static void
xj_cdata(void *ctx, const xmlChar *s, int n)
{
	struct xj_dec *d = ctx;

	if (d->failed)
		return;
	xj_flush_run(d);
	if (n > 0)
		xj_take_run(d, (const char *)s, (size_t)n);
}

/* Comments and processing instructions end a run of text. */
static void
xj_comment(void *ctx, const xmlChar *s)
{
	(void)s;
	xj_flush_run(ctx);
}

static void
xj_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
	(void)target;
	(void)data;
	xj_flush_run(ctx);
}

/* libxml2's messages: kept in the context, not printed. */
static void
xj_quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/* The value of pseudo-attribute name in an XML declaration, or NULL. */
static const char *
xj_decl_attr(const char *d, size_t n, const char *name, size_t *vlen)
{
	size_t nl = strlen(name), i, j;
	char q;

	for (i = 0; i + nl < n; i++) {
		if (memcmp(d + i, name, nl) != 0)
			continue;
		for (j = i + nl; j < n &&
		     (d[j] == ' ' || d[j] == '\t' || d[j] == '\r' ||
		         d[j] == '\n');
		     j++)
			;
		if (j >= n || d[j++] != '=')
			continue;
		while (j < n &&
		    (d[j] == ' ' || d[j] == '\t' || d[j] == '\r' ||
		        d[j] == '\n'))
			j++;
		if (j >= n || (d[j] != '"' && d[j] != '\''))
			continue;
		q = d[j++];
		for (i = j; i < n && d[i] != q; i++)
			;
		*vlen = i - j;
		return d + j;
	}
	return NULL;
}

/*
 * Go's decoder takes an XML declaration after comments too: find it
 * after the leading spaces and comments, check it as Go does (version
 * 1.0, no encoding but UTF-8) and leave it out of what libxml2 reads.
 * Sets *off and *n to the declaration's place (n 0: none).
 */
static int
xj_find_decl(
    struct xj_dec *d, const char *x, size_t len, size_t *off, size_t *n)
{
	size_t i = 0, vlen;
	const char *e, *v;

	*off = *n = 0;
	for (;;) {
		while (i < len &&
		    (x[i] == ' ' || x[i] == '\t' || x[i] == '\r' ||
		        x[i] == '\n'))
			i++;
		if (len - i < 4 || memcmp(x + i, "<!--", 4) != 0)
			break;
		if ((e = memmem(x + i + 4, len - i - 4, "-->", 3)) == NULL)
			return 0; /* libxml2 reports it */
		i = (size_t)(e - x) + 3;
	}
	if (len - i < 6 || memcmp(x + i, "<?xml", 5) != 0 ||
	    (x[i + 5] != ' ' && x[i + 5] != '\t' && x[i + 5] != '\r' &&
	        x[i + 5] != '\n'))
		return 0;
	if ((e = memmem(x + i, len - i, "?>", 2)) == NULL)
		return 0;
	*off = i;
	*n = (size_t)(e - x) + 2 - i;
	v = xj_decl_attr(x + i + 5, *n - 7, "version", &vlen);
	if (v != NULL && !(vlen == 3 && memcmp(v, "1.0", 3) == 0)) {
		xj_fail(d, "unsupported version in the XML declaration");
		return -1;
	}
	v = xj_decl_attr(x + i + 5, *n - 7, "encoding", &vlen);
	if (v != NULL && vlen > 0 &&
	    !(vlen == 5 && strncasecmp(v, "utf-8", 5) == 0) &&
	    !(vlen == 4 && strncasecmp(v, "utf8", 4) == 0)) {
		xj_fail(d, "encoding declared but not UTF-8");
		return -1;
	}
	return 0;
}

/* Feed the document to libxml2 inside the wrapper element. */
static void
xj_parse(struct xj_dec *d, const char *xml, size_t len)
{
	xmlSAXHandler sax;
	size_t doff, dlen;

	memset(&sax, 0, sizeof(sax));
	sax.initialized = 1; /* SAX1: qualified names as written */
	sax.startElement = xj_start;
	sax.endElement = xj_end;
	sax.characters = xj_chars;
	sax.ignorableWhitespace = xj_chars;
	sax.cdataBlock = xj_cdata;
	sax.comment = xj_comment;
	sax.processingInstruction = xj_pi;
	sax.warning = xj_quiet;
	sax.error = xj_quiet;
	sax.fatalError = xj_quiet;
	xmlSetGenericErrorFunc(NULL, xj_quiet);
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (len >= 3 && memcmp(xml, "\xef\xbb\xbf", 3) == 0) {
		xml += 3;
		len -= 3;
	}
	if (len > INT32_MAX / 2) {
		xj_fail(d, "document too large");
		return;
	}
	d->ctxt = xmlCreatePushParserCtxt(&sax, d, NULL, 0, NULL);
	if (d->ctxt == NULL) {
		xj_fail(d, "out of memory");
		return;
	}
	(void)xmlCtxtUseOptions(d->ctxt, XML_PARSE_NONET);
	if (xj_find_decl(d, xml, len, &doff, &dlen) < 0)
		return;
	(void)xmlParseChunk(d->ctxt, "<" XJ_WRAP ">", sizeof(XJ_WRAP) + 1, 0);
	if (doff > 0)
		(void)xmlParseChunk(d->ctxt, xml, (int)doff, 0);
	if (len > doff + dlen)
		(void)xmlParseChunk(
		    d->ctxt, xml + doff + dlen, (int)(len - doff - dlen), 0);
	(void)xmlParseChunk(d->ctxt, "</" XJ_WRAP ">", sizeof(XJ_WRAP) + 2, 1);
	if (!d->failed && !d->ctxt->wellFormed) {
		const xmlError *e = xmlCtxtGetLastError(d->ctxt);
		size_t n;

		d->failed = 1;
		snprintf(d->err, sizeof(d->err), "%s",
		    e != NULL && e->message != NULL ? e->message
		                                    : "malformed XML");
		n = strlen(d->err);
		while (n > 0 && d->err[n - 1] == '\n')
			d->err[--n] = '\0';
	}
}

int
xmljson_to_json(const struct xmljson_opts *o, const char *xml, size_t len,
    char **out, size_t *outlen, char *err, size_t size)
{
	struct xj_dec d;
	struct xj_buf b = { NULL, 0, 0, 0 };
	json_t *top = NULL;
	size_t i;

	*out = NULL;
	*outlen = 0;
	memset(&d, 0, sizeof(d));
	d.o = o;
	if ((d.roots = json_array()) == NULL) {
		xj_seterr(err, size, "out of memory");
		return -1;
	}
	xj_parse(&d, xml, len);
	for (i = d.depth; i-- > 0;)
		xj_frame_free(&d.st[i]);
	free(d.st);
	xj_ns_pop(d.ns, &d.nns, 0);
	xj_ns_pop(d.bind, &d.nbind, 0);
	free(d.ns);
	free(d.bind);
	free(d.run.p);
	if (d.ctxt != NULL)
		xmlFreeParserCtxt(d.ctxt);
	if (d.failed) {
		json_decref(d.roots);
		xj_seterr(err, size, "xml decoder: %s", d.err);
		return -1;
	}
	switch (json_array_size(d.roots)) {
	case 0:
		top = json_object();
		break;
	case 1:
		top = json_incref(json_array_get(d.roots, 0));
		break;
	default:
		top = json_incref(d.roots);
		break;
	}
	json_decref(d.roots);
	if (top == NULL) {
		xj_seterr(err, size, "out of memory");
		return -1;
	}
	xj_json_write(&b, top);
	xj_put(&b, "\n", 1);
	json_decref(top);
	if (b.failed) {
		free(b.p);
		xj_seterr(err, size, "json encoder: output too large");
		return -1;
	}
	*out = b.p;
	*outlen = b.len;
	return 0;
}

/*
 * JSON to XML.  jansson keeps no number's text, and zxml (json.Number)
 * writes numbers as they came: before parsing, every number becomes a
 * string marked by a leading NUL ("\u0000"), and a string that itself
 * begins with a NUL gets a second one, so that the marks cannot be
 * confused with the data.
 */

/* A strict JSON number at s[0..n)? */
static int
xj_is_number(const char *s, size_t n)
{
	size_t i = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i >= n)
		return 0;
	if (s[i] == '0')
		i++;
	else if (s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		if (++i >= n || s[i] < '0' || s[i] > '9')
			return 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return i == n;
}

/* The marked copy of json (see above); -1 on a malformed number. */
static int
xj_mark_numbers(const char *s, size_t n, struct xj_buf *b)
{
	size_t i = 0, j;

	while (i < n) {
		if (s[i] == '"') {
			j = i + 1;
			if (n - j >= 6 && memcmp(s + j, XJ_NUM_MARK, 6) == 0) {
				xj_put(b, "\"" XJ_NUM_MARK, 7);
				i++;
			}
			while (j < n && s[j] != '"')
				j += s[j] == '\\' ? 2 : 1;
			if (j > n)
				j = n;
			xj_put(b, s + i, j - i + (j < n));
			i = j + 1;
			continue;
		}
		if (s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) {
			for (j = i; j < n && strchr("+-.eE0123456789", s[j]) &&
			     s[j] != '\0';
			     j++)
				;
			if (!xj_is_number(s + i, j - i))
				return -1;
			xj_put(b, "\"" XJ_NUM_MARK, 7);
			xj_put(b, s + i, j - i);
			xj_put(b, "\"", 1);
			i = j;
			continue;
		}
		j = i;
		while (j < n && s[j] != '"' && s[j] != '-' &&
		    (s[j] < '0' || s[j] > '9'))
			j++;
		xj_put(b, s + i, j - i);
		i = j;
	}
	return 0;
}

/* A string value: its text, and whether it was a number. */
static const char *
xj_text(json_t *v, size_t *n, int *number)
{
	const char *s = json_string_value(v);

	*n = json_string_length(v);
	*number = 0;
	if (*n > 0 && s[0] == '\0') {
		*number = *n < 2 || s[1] != '\0';
		(*n)--;
		return s + 1;
	}
	return s;
}

struct xj_enc {
	const struct xmljson_opts *o;
	struct xj_buf out;
	int depth, indented_in, put_newline;
	char err[160];
	int failed;
};

static int xj_efail(struct xj_enc *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
xj_efail(struct xj_enc *e, const char *fmt, ...)
{
	va_list ap;

	if (!e->failed) {
		e->failed = 1;
		va_start(ap, fmt);
		vsnprintf(e->err, sizeof(e->err), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Go's printer.writeIndent with Indent("", "  "). */
static void
xj_indent(struct xj_enc *e, int delta)
{
	int i;

	if (delta < 0) {
		e->depth--;
		if (e->indented_in) {
			e->indented_in = 0;
			return;
		}
		e->indented_in = 0;
	}
	if (e->put_newline)
		xj_put(&e->out, "\n", 1);
	else
		e->put_newline = 1;
	for (i = 0; i < e->depth; i++)
		xj_put(&e->out, "  ", 2);
	if (delta > 0) {
		e->depth++;
		e->indented_in = 1;
	}
}

/* Go's escapeText: text (newlines kept) or attribute values (nl). */
static void
xj_escape(struct xj_buf *b, const char *s, size_t n, int nl)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, start = 0, l;
	unsigned c;

	while (i < n) {
		const char *rep = NULL;

		l = xj_utf8(u + i, n - i, &c);
		if (l == 0) {
			rep = "\xef\xbf\xbd";
			l = 1;
		} else {
			switch (c) {
			case '"':
				rep = "&#34;";
				break;
			case '\'':
				rep = "&#39;";
				break;
			case '&':
				rep = "&amp;";
				break;
			case '<':
				rep = "&lt;";
				break;
			case '>':
				rep = "&gt;";
				break;
			case '\t':
				rep = "&#x9;";
				break;
			case '\n':
				rep = nl ? "&#xA;" : NULL;
				break;
			case '\r':
				rep = "&#xD;";
				break;
			default:
				if (!(c >= 0x20 && c <= 0xd7ff) &&
				    !(c >= 0xe000 && c <= 0xfffd) &&
				    !(c >= 0x10000 && c <= 0x10ffff))
					rep = "\xef\xbf\xbd";
				break;
			}
		}
		if (rep == NULL) {
			i += l;
			continue;
		}
		xj_put(b, s + start, i - start);
		xj_puts(b, rep);
		i += l;
		start = i;
	}
	xj_put(b, s + start, i - start);
}

/* zxml's restoreNamespace: the configured separator back to ':'. */
static char *
xj_restore_ns(const struct xmljson_opts *o, const char *key)
{
	const char *p;

	if (strcmp(o->ns_sep, ":") == 0 || o->ns_sep[0] == '\0' ||
	    (p = strstr(key, o->ns_sep)) == NULL || p == key)
		return xj_strndup(key, strlen(key));
	{
		char *r = malloc(strlen(key) + 2);

		if (r == NULL)
			return NULL;
		memcpy(r, key, (size_t)(p - key));
		r[p - key] = ':';
		strcpy(r + (p - key) + 1, p + strlen(o->ns_sep));
		return r;
	}
}

/* One attribute of a start tag. */
struct xj_attr {
	char *name;
	const char *value;
	size_t vlen;
};

struct xj_attrs {
	struct xj_attr *a;
	size_t n, cap;
};

static int
xj_attr_add(struct xj_attrs *as, char *name, const char *v, size_t vlen)
{
	if (name == NULL)
		return -1;
	if (as->n == as->cap) {
		size_t nc = as->cap ? as->cap * 2 : 8;
		struct xj_attr *na = realloc(as->a, nc * sizeof(*na));

		if (na == NULL) {
			free(name);
			return -1;
		}
		as->a = na;
		as->cap = nc;
	}
	as->a[as->n].name = name;
	as->a[as->n].value = v;
	as->a[as->n++].vlen = vlen;
	return 0;
}

static void
xj_attrs_free(struct xj_attrs *as)
{
	size_t i;

	for (i = 0; i < as->n; i++)
		free(as->a[i].name);
	free(as->a);
}

/* XML 1.0 (fifth edition) NameStartChar, or NameChar when rest. */
static int
xj_name_char(unsigned c, int rest)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    c == ':' || (c >= 0xc0 && c <= 0xd6) || (c >= 0xd8 && c <= 0xf6) ||
	    (c >= 0xf8 && c <= 0x2ff) || (c >= 0x370 && c <= 0x37d) ||
	    (c >= 0x37f && c <= 0x1fff) || (c >= 0x200c && c <= 0x200d) ||
	    (c >= 0x2070 && c <= 0x218f) || (c >= 0x2c00 && c <= 0x2fef) ||
	    (c >= 0x3001 && c <= 0xd7ff) || (c >= 0xf900 && c <= 0xfdcf) ||
	    (c >= 0xfdf0 && c <= 0xfffd) || (c >= 0x10000 && c <= 0xeffff))
		return 1;
	return rest &&
	    ((c >= '0' && c <= '9') || c == '-' || c == '.' || c == 0xb7 ||
	        (c >= 0x300 && c <= 0x36f) || (c >= 0x203f && c <= 0x2040));
}

/*
 * Is name an XML name as libxml2 reads them (Go writes any; aileron
 * refuses what would make broken XML)?
 */
static int
xj_check_name(struct xj_enc *e, const char *name)
{
	const unsigned char *u = (const unsigned char *)name;
	size_t n = strlen(name), i, l;
	unsigned c;

	if (n == 0)
		return xj_efail(e, "xml encoder: start tag with no name");
	for (i = 0; i < n; i += l)
		if ((l = xj_utf8(u + i, n - i, &c)) == 0 ||
		    !xj_name_char(c, i > 0))
			return xj_efail(
			    e, "xml encoder: invalid name %.100s", name);
	return 0;
}

/* Start tag, text, then children through fn, end tag. */
static int
xj_element(
    struct xj_enc *e, const char *name, const struct xj_attrs *as, json_t *text)
{
	const struct xmljson_opts *o = e->o;
	size_t i, n = 0, off = 0;
	const char *s = NULL;
	int number = 0;

	if (xj_check_name(e, name) < 0)
		return -1;
	for (i = 0; i < as->n; i++)
		if (as->a[i].name[0] != '\0' &&
		    xj_check_name(e, as->a[i].name) < 0)
			return -1;
	if (text != NULL) {
		switch (json_typeof(text)) {
		case JSON_STRING:
			s = xj_text(text, &n, &number);
			if (!number && o->trim_space)
				xj_trim(s, &off, &n);
			s += off;
			break;
		case JSON_TRUE:
			s = "true", n = 4;
			break;
		case JSON_FALSE:
			s = "false", n = 5;
			break;
		case JSON_NULL:
			break;
		default:
			return xj_efail(e,
			    "invalid data type: json value must be "
			    "null,string,bool or number");
		}
	}
	xj_indent(e, 1);
	xj_put(&e->out, "<", 1);
	xj_puts(&e->out, name);
	for (i = 0; i < as->n; i++) {
		if (as->a[i].name[0] == '\0')
			continue; /* Go skips attributes without a name */
		xj_put(&e->out, " ", 1);
		xj_puts(&e->out, as->a[i].name);
		xj_put(&e->out, "=\"", 2);
		xj_escape(&e->out, as->a[i].value, as->a[i].vlen, 1);
		xj_put(&e->out, "\"", 1);
	}
	xj_put(&e->out, ">", 1);
	if (s != NULL)
		xj_escape(&e->out, s, n, 0);
	return 0;
}

static void
xj_element_end(struct xj_enc *e, const char *name)
{
	xj_indent(e, -1);
	xj_put(&e->out, "</", 2);
	xj_puts(&e->out, name);
	xj_put(&e->out, ">", 1);
}

/* The key of the current iteration, -1 when it was a number. */
static const char *
xj_key(void *it)
{
	const char *k = json_object_iter_key(it);

	if (json_object_iter_key_len(it) != strlen(k))
		return NULL;
	return k;
}

/* An attribute value: a string, or null (empty); else an error. */
static int
xj_attr_value(
    struct xj_enc *e, json_t *v, const char **s, size_t *n, const char *what)
{
	int number;

	if (json_is_null(v)) {
		*s = "";
		*n = 0;
		return 0;
	}
	if (json_is_string(v)) {
		*s = xj_text(v, n, &number);
		if (!number)
			return 0;
	}
	return xj_efail(e, "invalid data type: %s", what);
}

/* simple and BadgerFish: element key with value v (zxml's encode). */
static int
xj_encode(struct xj_enc *e, const char *key, json_t *v)
{
	const struct xmljson_opts *o = e->o;
	size_t plen = strlen(o->attr_prefix), i, n;
	struct xj_attrs as = { NULL, 0, 0 };
	json_t *text = NULL, *x, *vv;
	const char *k, *kk, *s = NULL;
	char *name = NULL;
	void *it, *it2;
	int rc = -1;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
		{
			if (xj_encode(e, key, x) < 0)
				return -1;
		}
		return 0;
	}
	if (!json_is_object(v))
		text = v;
	for (it = json_is_object(v) ? json_object_iter(v) : NULL; it != NULL;
	     it = json_object_iter_next(v, it)) {
		if ((k = xj_key(it)) == NULL)
			goto badkey;
		x = json_object_iter_value(it);
		if (strcmp(k, o->text_key) == 0) {
			text = x;
			continue;
		}
		if (strncmp(k, o->attr_prefix, plen) != 0)
			continue; /* a child */
		if (o->rules == XMLJSON_BADGERFISH && json_is_object(x)) {
			for (it2 = json_object_iter(x); it2 != NULL;
			     it2 = json_object_iter_next(x, it2)) {
				if ((kk = xj_key(it2)) == NULL)
					goto badkey;
				vv = json_object_iter_value(it2);
				if (!json_is_string(vv) ||
				    xj_attr_value(e, vv, &s, &n,
				        "namespace must be string") < 0) {
					xj_efail(e,
					    "invalid data type: namespace "
					    "must be string");
					goto out;
				}
				name = strcmp(kk, o->text_key) == 0
				    ? xj_restore_ns(o, k + plen)
				    : NULL;
				if (name == NULL) {
					char *base = xj_restore_ns(o, k + plen);

					name = base ? xj_concat(base, ":", kk)
					            : NULL;
					free(base);
				}
				if (xj_attr_add(&as, name, s, n) < 0)
					goto nomem;
				name = NULL;
			}
			continue;
		}
		if (xj_attr_value(
		        e, x, &s, &n, "attribute must be string or null") < 0)
			goto out;
		if (xj_attr_add(&as, xj_restore_ns(o, k + plen), s, n) < 0)
			goto nomem;
	}
	if ((name = xj_restore_ns(o, key)) == NULL)
		goto nomem;
	if (xj_element(e, name, &as, text) < 0)
		goto out;
	for (it = json_is_object(v) ? json_object_iter(v) : NULL; it != NULL;
	     it = json_object_iter_next(v, it)) {
		k = json_object_iter_key(it);
		if (strcmp(k, o->text_key) == 0 ||
		    strncmp(k, o->attr_prefix, plen) == 0)
			continue;
		if (xj_encode(e, k, json_object_iter_value(it)) < 0)
			goto out;
	}
	xj_element_end(e, name);
	rc = 0;
	goto out;
badkey:
	xj_efail(e, "json decoder: invalid object key");
	goto out;
nomem:
	xj_efail(e, "out of memory");
out:
	free(name);
	xj_attrs_free(&as);
	return rc;
}

/* RayFish: one element object (zxml's RayFish.Encode). */
static int
xj_encode_ray(struct xj_enc *e, json_t *obj)
{
	const struct xmljson_opts *o = e->o;
	size_t plen = strlen(o->attr_prefix), i, n;
	struct xj_attrs as = { NULL, 0, 0 };
	json_t *text = NULL, *kids = NULL, *c, *nm;
	const char *k, *name = "", *cn, *s = NULL;
	char *ename = NULL;
	void *it;
	int rc = -1, number;

	if (json_object_size(obj) == 0)
		return 0;
	for (it = json_object_iter(obj); it != NULL;
	     it = json_object_iter_next(obj, it)) {
		json_t *v = json_object_iter_value(it);

		if ((k = xj_key(it)) == NULL)
			return xj_efail(e, "json decoder: invalid key");
		if (strcmp(k, o->name_key) == 0) {
			if (!json_is_string(v) ||
			    (name = xj_text(v, &n, &number), number))
				return xj_efail(e,
				    "invalid data type: NAME must be string");
		} else if (strcmp(k, o->text_key) == 0)
			text = v;
		else if (strcmp(k, o->children_key) == 0) {
			if (!json_is_array(v))
				return xj_efail(e,
				    "invalid data type: CHILDREN must be "
				    "array");
			kids = v;
		} else
			return xj_efail(e,
			    "invalid json structure: key not allowed. %.80s",
			    k);
	}
	json_array_foreach(kids, i, c)
	{
		/* errors go through out: attributes may be collected */
		if (!json_is_object(c)) {
			xj_efail(
			    e, "invalid data type: CHILDREN must be object");
			goto out;
		}
		if ((nm = json_object_get(c, o->name_key)) == NULL) {
			xj_efail(e, "invalid json structure: NAME not found");
			goto out;
		}
		if (!json_is_string(nm) ||
		    (cn = xj_text(nm, &n, &number), number)) {
			xj_efail(e, "invalid data type: NAME must be string");
			goto out;
		}
		if (strncmp(cn, o->attr_prefix, plen) != 0)
			continue;
		if (xj_attr_value(e, json_object_get(c, o->text_key), &s, &n,
		        "attribute must be string or null") < 0)
			goto out;
		if (xj_attr_add(&as, xj_restore_ns(o, cn + plen), s, n) < 0) {
			xj_efail(e, "out of memory");
			goto out;
		}
	}
	if ((ename = xj_restore_ns(o, name)) == NULL) {
		xj_efail(e, "out of memory");
		goto out;
	}
	if (xj_element(e, ename, &as, text) < 0)
		goto out;
	json_array_foreach(kids, i, c)
	{
		cn = json_string_value(json_object_get(c, o->name_key));
		if (strncmp(cn, o->attr_prefix, plen) == 0)
			continue;
		if (xj_encode_ray(e, c) < 0)
			goto out;
	}
	xj_element_end(e, ename);
	rc = 0;
out:
	free(ename);
	xj_attrs_free(&as);
	return rc;
}

/* One top-level object. */
static int
xj_encode_top(struct xj_enc *e, json_t *obj)
{
	void *it;
	const char *k;

	if (e->o->rules == XMLJSON_RAYFISH)
		return xj_encode_ray(e, obj);
	for (it = json_object_iter(obj); it != NULL;
	     it = json_object_iter_next(obj, it)) {
		if ((k = xj_key(it)) == NULL)
			return xj_efail(e, "json decoder: invalid key");
		if (xj_encode(e, k, json_object_iter_value(it)) < 0)
			return -1;
	}
	return 0;
}

int
xmljson_to_xml(const struct xmljson_opts *o, const char *json, size_t len,
    char **out, size_t *outlen, char *err, size_t size)
{
	struct xj_buf m = { NULL, 0, 0, 0 };
	struct xj_enc e;
	json_error_t je;
	json_t *top, *x;
	size_t i;

	*out = NULL;
	*outlen = 0;
	if (xj_mark_numbers(json, len, &m) < 0) {
		free(m.p);
		xj_seterr(err, size, "json decoder: invalid number");
		return -1;
	}
	if (m.failed) {
		free(m.p);
		xj_seterr(err, size, "json decoder: input too large");
		return -1;
	}
	top = json_loadb(m.p != NULL ? m.p : "", m.len,
	    JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL, &je);
	free(m.p);
	if (top == NULL) {
		xj_seterr(err, size, "json decoder: %s", je.text);
		return -1;
	}
	memset(&e, 0, sizeof(e));
	e.o = o;
	xj_puts(&e.out, XJ_HEADER);
	if (json_is_object(top))
		(void)xj_encode_top(&e, top);
	else if (json_is_array(top)) {
		json_array_foreach(top, i, x)
		{
			if (!json_is_object(x)) {
				xj_efail(&e,
				    "invalid json structure: want objects "
				    "in the array");
				break;
			}
			if (xj_encode_top(&e, x) < 0)
				break;
		}
	} else
		xj_efail(&e, "invalid json structure: want an object");
	json_decref(top);
	if (!e.failed && e.out.failed)
		xj_efail(&e, "xml encoder: output too large");
	if (e.failed) {
		free(e.out.p);
		xj_seterr(err, size, "%s", e.err);
		return -1;
	}
	*out = e.out.p;
	*outlen = e.out.len;
	return 0;
}
