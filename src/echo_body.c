/* EchoHandler's response body: the request dumped as AILERON prints it. */
#include <stdlib.h>
#include <string.h>

#include "echo_body.h"
#include "http_parse.h"

void
echo_buf_put(struct echo_buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->size) {
		size_t ns = b->size * 2 + n + 64;
		char *np = realloc(b->p, ns);

		if (np == NULL) {
			free(b->p);
			b->p = NULL;
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

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t
echo_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2, cp = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		len = 3, cp = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return len;
}

void
echo_buf_json(struct echo_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k = 0;

	echo_buf_put(b, "\"", 1);
	while (i < n) {
		char esc[8];
		size_t el = 0, l;
		unsigned char c = u[i];

		if (c >= 0x80) {
			if ((l = echo_utf8_len(u + i, n - i)) == 0) {
				echo_buf_put(b, s + k, i - k);
				echo_buf_put(b, "\\ufffd", 6);
				k = ++i;
				continue;
			}
			/* U+2028 and U+2029 are escaped. */
			if (l == 3 && c == 0xE2 && u[i + 1] == 0x80 &&
			    (u[i + 2] == 0xA8 || u[i + 2] == 0xA9)) {
				echo_buf_put(b, s + k, i - k);
				echo_buf_put(b,
				    u[i + 2] == 0xA8 ? "\\u2028" : "\\u2029",
				    6);
				k = i += 3;
				continue;
			}
			i += l;
			continue;
		}
		switch (c) {
		case '"':
		case '\\':
			esc[0] = '\\';
			esc[1] = (char)c;
			el = 2;
			break;
		case '\b':
			el = 2, memcpy(esc, "\\b", 2);
			break;
		case '\f':
			el = 2, memcpy(esc, "\\f", 2);
			break;
		case '\n':
			el = 2, memcpy(esc, "\\n", 2);
			break;
		case '\r':
			el = 2, memcpy(esc, "\\r", 2);
			break;
		case '\t':
			el = 2, memcpy(esc, "\\t", 2);
			break;
		default:
			if (c < 0x20 || c == '<' || c == '>' || c == '&') {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				el = 6;
			}
		}
		if (el > 0) {
			echo_buf_put(b, s + k, i - k);
			echo_buf_put(b, esc, el);
			k = i + 1;
		}
		i++;
	}
	echo_buf_put(b, s + k, n - k);
	echo_buf_put(b, "\"", 1);
}

/* Append s as Go's strconv.Quote writes it (printable UTF-8 kept). */
static void
echo_buf_quote(struct echo_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, l;

	echo_buf_put(b, "\"", 1);
	while (i < n) {
		unsigned char c = u[i];
		char esc[4] = { '\\', 'x', 0, 0 };
		const char *named = NULL;

		if (c >= 0x80 && (l = echo_utf8_len(u + i, n - i)) > 0) {
			echo_buf_put(b, s + i, l);
			i += l;
			continue;
		}
		switch (c) {
		case '\a':
			named = "\\a";
			break;
		case '\b':
			named = "\\b";
			break;
		case '\f':
			named = "\\f";
			break;
		case '\n':
			named = "\\n";
			break;
		case '\r':
			named = "\\r";
			break;
		case '\t':
			named = "\\t";
			break;
		case '\v':
			named = "\\v";
			break;
		case '"':
			named = "\\\"";
			break;
		case '\\':
			named = "\\\\";
			break;
		}
		if (named != NULL)
			echo_buf_put(b, named, 2);
		else if (c < 0x20 || c >= 0x7F) {
			esc[2] = hex[c >> 4];
			esc[3] = hex[c & 15];
			echo_buf_put(b, esc, 4);
		} else
			echo_buf_put(b, s + i, 1);
		i++;
	}
	echo_buf_put(b, "\"", 1);
}

/*
 * Go's url.unescape: 0 with the result in b, or -1 with Go's error text
 * ("invalid URL escape \"%zz\"") in b.  plus: '+' is a space (query).
 */
static int
echo_unescape(struct echo_buf *b, const char *s, size_t n, int plus)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi = i + 2 < n
			    ? http_hexval((unsigned char)s[i + 1])
			    : -1,
			    lo = i + 2 < n
			    ? http_hexval((unsigned char)s[i + 2])
			    : -1;
			char c;

			if (hi < 0 || lo < 0) {
				size_t el = n - i > 3 ? 3 : n - i;

				b->len = 0;
				echo_buf_put(b, "invalid URL escape ", 19);
				echo_buf_quote(b, s + i, el);
				return -1;
			}
			c = (char)(hi * 16 + lo);
			echo_buf_put(b, s + k, i - k);
			echo_buf_put(b, &c, 1);
			i += 2;
			k = i + 1;
		} else if (plus && s[i] == '+') {
			echo_buf_put(b, s + k, i - k);
			echo_buf_put(b, " ", 1);
			k = i + 1;
		}
	}
	echo_buf_put(b, s + k, n - k);
	return 0;
}

/* A header field with its canonical name, for sorting. */
struct echo_sorted {
	char *name; /* canonical (Go's CanonicalMIMEHeaderKey) */
	size_t name_len;
	const struct echo_field *f;
	size_t order;
};

static int
echo_sorted_cmp(const void *a, const void *b)
{
	const struct echo_sorted *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);

	if (c != 0)
		return c;
	if (x->name_len != y->name_len)
		return x->name_len < y->name_len ? -1 : 1;
	return x->order < y->order ? -1 : 1;
}

void
echo_canon_name(char *s, size_t n)
{
	int upper = 1;
	size_t i;

	for (i = 0; i < n; i++) {
		if (upper && s[i] >= 'a' && s[i] <= 'z')
			s[i] = (char)(s[i] - 'a' + 'A');
		else if (!upper && s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
		upper = s[i] == '-';
	}
}

/*
 * The headers as Go's json.Encoder with two-space indent prints an
 * http.Header: canonical names sorted, values grouped in order, and
 * Transfer-Encoding left out as Go's server does.
 */
static void
echo_headers(struct echo_buf *b, const struct echo_field *f, size_t n)
{
	struct echo_sorted *s;
	size_t i, m = 0, total = 1;
	char *names, *np;

	for (i = 0; i < n; i++)
		total += f[i].name_len;
	if (n == 0) {
		echo_buf_put(b, "{}\n", 3);
		return;
	}
	s = calloc(n, sizeof(*s));
	np = names = malloc(total);
	if (s == NULL || names == NULL) {
		free(s);
		free(names);
		free(b->p);
		b->p = NULL;
		b->failed = 1;
		return;
	}
	for (i = 0; i < n; i++) {
		size_t nl = f[i].name_len;

		s[m].name = np;
		memcpy(np, f[i].name, nl);
		np += nl;
		s[m].name_len = nl;
		echo_canon_name(s[m].name, nl);
		if (nl == 17 && memcmp(s[m].name, "Transfer-Encoding", 17) == 0)
			continue;
		s[m].f = &f[i];
		s[m].order = i;
		m++;
	}
	qsort(s, m, sizeof(*s), echo_sorted_cmp);
	echo_buf_put(b, "{", 1);
	for (i = 0; i < m; i++) {
		int first = i == 0 || s[i].name_len != s[i - 1].name_len ||
		    memcmp(s[i].name, s[i - 1].name, s[i].name_len) != 0;
		int last = i + 1 == m || s[i].name_len != s[i + 1].name_len ||
		    memcmp(s[i].name, s[i + 1].name, s[i].name_len) != 0;

		if (first) {
			echo_buf_put(
			    b, i == 0 ? "\n  " : ",\n  ", i == 0 ? 3 : 4);
			echo_buf_json(b, s[i].name, s[i].name_len);
			echo_buf_put(b, ": [\n    ", 8);
		} else
			echo_buf_put(b, ",\n    ", 6);
		echo_buf_json(b, s[i].f->value, s[i].f->value_len);
		if (last)
			echo_buf_put(b, "\n  ]", 4);
	}
	echo_buf_put(b, m == 0 ? "}\n" : "\n}\n", m == 0 ? 2 : 3);
	free(names);
	free(s);
}

/* Append a NUL-terminated string. */
static void
echo_buf_str(struct echo_buf *b, const char *s)
{
	echo_buf_put(b, s, strlen(s));
}

char *
echo_body_build(const struct echo_req *r, size_t *len, int *status)
{
	struct echo_buf b = { NULL, 0, 0, 0 }, path = { NULL, 0, 0, 0 },
	                query = { NULL, 0, 0, 0 };

	*status = 200;
	echo_buf_put(&path, "", 0);
	echo_buf_put(&query, "", 0);
	if (echo_unescape(&path, r->path, r->path_len, 0) < 0) {
		free(query.p);
		*status = 500;
		*len = path.len;
		return path.p;
	}
	if (echo_unescape(&query, r->query, strlen(r->query), 1) < 0) {
		free(path.p);
		*status = 500;
		*len = query.len;
		return query.p;
	}
	echo_buf_str(&b, "---------- Request ----------\nProto   : ");
	echo_buf_str(&b, r->proto);
	echo_buf_str(&b, "\nHost   : ");
	echo_buf_str(&b, r->host);
	echo_buf_str(&b, "\nMethod : ");
	echo_buf_str(&b, r->method);
	echo_buf_str(&b, "\nURI    : ");
	echo_buf_str(&b, r->uri);
	echo_buf_str(&b, "\nPath   : ");
	echo_buf_put(&b, path.p ? path.p : "", path.len);
	echo_buf_str(&b, "\nQuery  : ");
	echo_buf_put(&b, query.p ? query.p : "", query.len);
	echo_buf_str(&b, "\nRemote : ");
	echo_buf_str(&b, r->remote);
	echo_buf_str(&b, "\n---------- Header ----------\n");
	echo_headers(&b, r->fields, r->nfields);
	echo_buf_str(&b, "---------- Body ----------\n");
	if (r->body == NULL)
		echo_buf_str(&b, "REQUEST BODY TOO LARGE\n");
	else
		echo_buf_put(&b, r->body, r->body_len);
	echo_buf_str(&b, "\n--------------------------\n");
	free(path.p);
	free(query.p);
	if (b.failed || path.failed || query.failed) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}
