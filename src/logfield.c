/* SLogger fieldReplacers: remove or rewrite fields of a JSON log line by dot path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "jsonscan.h"
#include "log.h"
#include "logfield.h"
#include "replacer.h"

/*
 * In the object at obj ('{'), the member key[0..klen): *mstart gets where
 * it begins (its key's quote), *vstart and *vend its value.  0 or -1.
 */
static int
lf_member(const char *obj, const char *end, const char *key, size_t klen,
    const char **mstart, const char **vstart, const char **vend)
{
	struct jsonscan_member m = { NULL, NULL, NULL, NULL };

	while (jsonscan_next(obj, end, &m) > 0)
		if ((size_t)(m.key_end - m.key) == klen + 2 &&
		    memcmp(m.key + 1, key, klen) == 0) {
			*mstart = m.key;
			*vstart = m.value;
			*vend = m.value_end;
			return 0;
		}
	return -1;
}

/* Decode the JSON string at s ('"'..'"') into out; its length. */
static size_t
lf_unescape(const char *s, const char *e, char *out)
{
	size_t o = 0;
	unsigned v;
	int i;

	for (s++, e--; s < e; s++) {
		if (*s != '\\') {
			out[o++] = *s;
			continue;
		}
		switch (*++s) {
		case 'n':
			out[o++] = '\n';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case 'b':
			out[o++] = '\b';
			break;
		case 'f':
			out[o++] = '\f';
			break;
		case 'u':
			for (v = 0, i = 1; i <= 4 && s + i < e; i++)
				v = v * 16 +
				    (unsigned)(s[i] <= '9'
				            ? s[i] - '0'
				            : (s[i] | 0x20) - 'a' + 10);
			s += 4;
			/* aileron escapes bytes as \u00XX: take them back. */
			if (v < 0x100)
				out[o++] = (char)v;
			break;
		default:
			out[o++] = *s;
			break;
		}
	}
	return o;
}

/* Apply one field replacer to line[0..len); the new line (in a, or line). */
static const char *
lf_apply(const struct log_field_repl *fr, struct arena *a, const char *line,
    size_t len, size_t *outlen)
{
	const char *end = line + len, *obj = line, *path = fr->field, *dot;
	const char *ms = NULL, *vs = NULL, *ve = NULL, *cut, *rest, *rv;
	size_t klen, n, rn, en;
	char *buf, *out;

	for (;;) {
		dot = strchr(path, '.');
		klen = dot != NULL ? (size_t)(dot - path) : strlen(path);
		if (lf_member(obj, end, path, klen, &ms, &vs, &ve) < 0)
			goto same;
		if (dot == NULL)
			break;
		obj = vs;
		path = dot + 1;
	}
	if (fr->r == NULL) {
		/* Remove the member and one comma beside it. */
		cut = ms;
		rest = jsonscan_ws(ve, end);
		while (cut > line && (cut[-1] == ' ' || cut[-1] == '\t'))
			cut--;
		if (cut > line && cut[-1] == ',')
			cut--;
		else if (rest < end && *rest == ',')
			rest = jsonscan_ws(rest + 1, end);
		n = (size_t)(cut - line);
		out = arena_alloc(a, n + (size_t)(end - rest) + 1);
		memcpy(out, line, n);
		memcpy(out + n, rest, (size_t)(end - rest));
		*outlen = n + (size_t)(end - rest);
		return out;
	}
	if (*vs != '"')
		goto same; /* only strings are rewritten (AILERON) */
	buf = arena_alloc(a, (size_t)(ve - vs) + 1);
	n = lf_unescape(vs, ve, buf);
	rv = replacer_apply(fr->r, a, buf, n, &rn);
	buf = arena_alloc(a, rn * 6 + 1);
	log_escape(buf, rn * 6 + 1, rv, rn);
	en = strlen(buf);
	n = (size_t)(vs - line);
	out = arena_alloc(a, n + en + 2 + (size_t)(end - ve) + 1);
	memcpy(out, line, n);
	out[n++] = '"';
	memcpy(out + n, buf, en);
	n += en;
	out[n++] = '"';
	memcpy(out + n, ve, (size_t)(end - ve));
	*outlen = n + (size_t)(end - ve);
	return out;
same:
	*outlen = len;
	return line;
}

const char *
logfield_apply(const struct log_field_repl *frs, size_t nfrs, const char *line,
    size_t len, size_t *outlen)
{
	static struct arena *a;
	size_t i;

	*outlen = len;
	if (nfrs == 0 || len == 0 || line[0] != '{')
		return line;
	if (a == NULL)
		a = arena_new(16384);
	arena_reset(a); /* the last line written is done with */
	for (i = 0; i < nfrs; i++)
		line = lf_apply(&frs[i], a, line, *outlen, outlen);
	return line;
}
