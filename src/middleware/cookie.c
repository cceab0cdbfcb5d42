/* core/v1 CookieSpec and Go's cookie syntax: Set-Cookie values, request cookies. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "conf_table.h"
#include "http_parse.h"
#include "middleware/cookie.h"
#include "request.h"

static const struct kname cookie_same_sites[] = {
	{ "Default", COOKIE_SAMESITE_DEFAULT },
	{ "Lax", COOKIE_SAMESITE_LAX },
	{ "Strict", COOKIE_SAMESITE_STRICT },
	{ "None", COOKIE_SAMESITE_NONE },
	{ NULL, 0 },
};

static const struct conf_field cookie_spec_fields[] = {
	FSTR("name", struct cookie_spec, name),
	FSTR("value", struct cookie_spec, value),
	FSTR("path", struct cookie_spec, path),
	FSTR("domain", struct cookie_spec, domain),
	FINT("expiresIn", struct cookie_spec, expires_in, 0, CONF_MAX_SECONDS),
	FINT("maxAge", struct cookie_spec, max_age, INT32_MIN, INT32_MAX),
	FBOOL("secure", struct cookie_spec, secure),
	FBOOL("httpOnly", struct cookie_spec, http_only),
	FENUM("sameSite", struct cookie_spec, same_site, cookie_same_sites),
	FEND,
};
const struct conf_table cookie_spec_table = { cookie_spec_fields, NULL };

int
cookie_spec_written(struct loader *ld, yaml_node_t *node, const char *name)
{
	yaml_node_t *v;

	if (node == NULL || (v = conf_field_node(ld, node, name)) == node)
		return 0;
	return v != NULL && !conf_is_null(v);
}

char *
cookie_format(struct arena *a, const struct cookie_spec *spec, const char *name,
    const char *value, size_t vlen)
{
	size_t size = strlen(name) + vlen + 160, n;
	char *out, date[64];

	if (spec->set && spec->path != NULL)
		size += strlen(spec->path);
	if (spec->set && spec->domain != NULL)
		size += strlen(spec->domain);
	out = arena_alloc(a, size);
	n = (size_t)snprintf(out, size, "%s=%.*s", name, (int)vlen, value);
	if (!spec->set) { /* AILERON's default cookie */
		(void)snprintf(out + n, size - n, "; Path=/; HttpOnly; Secure");
		return out;
	}
	if (spec->path != NULL && *spec->path != '\0')
		n += (size_t)snprintf(
		    out + n, size - n, "; Path=%s", spec->path);
	if (spec->domain != NULL && *spec->domain != '\0')
		n += (size_t)snprintf(out + n, size - n, "; Domain=%s",
		    spec->domain + (spec->domain[0] == '.'));
	if (spec->expires_in > 0) {
		time_t t = time(NULL) + (time_t)spec->expires_in;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		n += (size_t)snprintf(out + n, size - n, "; Expires=%s", date);
	}
	if (spec->max_age > 0)
		n += (size_t)snprintf(out + n, size - n, "; Max-Age=%lld",
		    (long long)spec->max_age);
	else if (spec->max_age < 0)
		n += (size_t)snprintf(out + n, size - n, "; Max-Age=0");
	if (spec->http_only)
		n += (size_t)snprintf(out + n, size - n, "; HttpOnly");
	if (spec->secure)
		n += (size_t)snprintf(out + n, size - n, "; Secure");
	if (spec->same_site == COOKIE_SAMESITE_LAX)
		(void)snprintf(out + n, size - n, "; SameSite=Lax");
	else if (spec->same_site == COOKIE_SAMESITE_STRICT)
		(void)snprintf(out + n, size - n, "; SameSite=Strict");
	else if (spec->same_site == COOKIE_SAMESITE_NONE)
		(void)snprintf(out + n, size - n, "; SameSite=None");
	return out;
}

char *
cookie_format_delete(struct arena *a, const char *name, size_t nlen)
{
	char *out = arena_alloc(a, nlen + 16);

	(void)snprintf(out, nlen + 16, "%.*s=; Max-Age=0", (int)nlen, name);
	return out;
}

/* An HTTP token character (a cookie name's). */
static int
cookie_token_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

/* ASCII white space, as textproto.TrimString trims it. */
static int
cookie_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* One "name=value" pair in [p, end), trimmed: 0 if Go drops it. */
static int
cookie_pair(const char *p, const char *end, const char **name, size_t *nlen,
    const char **value, size_t *vlen)
{
	const char *eq, *ne, *v, *q;

	while (p < end && cookie_space(*p))
		p++;
	while (end > p && cookie_space(end[-1]))
		end--;
	if (p == end)
		return 0;
	eq = memchr(p, '=', (size_t)(end - p));
	ne = eq != NULL ? eq : end;
	v = eq != NULL ? eq + 1 : end;
	while (ne > p && cookie_space(ne[-1]))
		ne--;
	if (ne == p)
		return 0;
	for (q = p; q < ne; q++)
		if (!cookie_token_char((unsigned char)*q))
			return 0;
	if (end - v > 1 && *v == '"' && end[-1] == '"')
		v++, end--;
	for (q = v; q < end; q++)
		if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7f ||
		    *q == '"' || *q == ';' || *q == '\\')
			return 0;
	*name = p;
	*nlen = (size_t)(ne - p);
	*value = v;
	*vlen = (size_t)(end - v);
	return 1;
}

int
cookie_next(const struct request *r, struct cookie_iter *it, const char **name,
    size_t *nlen, const char **value, size_t *vlen)
{
	const struct http_msg *m = r->msg;

	for (;;) {
		const char *e;

		while (it->p == NULL || it->p >= it->end) {
			if (it->field >= m->nfields)
				return 0;
			if (m->fields[it->field].id == HDR_COOKIE) {
				it->p = r->buf + m->fields[it->field].value.off;
				it->end =
				    it->p + m->fields[it->field].value.len;
			}
			it->field++;
		}
		for (e = it->p; e < it->end && *e != ';'; e++)
			;
		if (cookie_pair(it->p, e, name, nlen, value, vlen)) {
			it->p = e + 1;
			return 1;
		}
		it->p = e + 1;
	}
}

const char *
cookie_get(const struct request *r, const char *name, size_t *len)
{
	struct cookie_iter it = { 0, NULL, NULL };
	const char *n, *v;
	size_t nl, vl, want = strlen(name);

	while (cookie_next(r, &it, &n, &nl, &v, &vl))
		if (nl == want && memcmp(n, name, nl) == 0) {
			*len = vl;
			return v;
		}
	return NULL;
}
