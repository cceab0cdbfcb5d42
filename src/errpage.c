/* Error responses: AILERON's default bodies or an ErrorHandler's custom ones. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <fnmatch.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errpage.h"
#include "http.h"
#include "log.h"
#include "request.h"
#include "response.h"

/* A growing output buffer. */
struct errpage_buf {
	char *p;
	size_t len, cap;
};

static void
errpage_put(struct errpage_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			fatal("realloc");
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
errpage_puts(struct errpage_buf *b, const char *s)
{
	errpage_put(b, s, strlen(s));
}

const char *
errpage_kind(const char *code)
{
	static const struct {
		const char *code, *kind;
	} kinds[] = {
		{ ERRPAGE_UNAVAILABLE, "CoreProxyUpstreamUnavailable" },
		{ ERRPAGE_NO_UPSTREAM, "CoreProxyNoUpstream" },
		{ ERRPAGE_TIMEOUT, "CoreProxyTimeout" },
		{ ERRPAGE_ROUNDTRIP, "CoreProxyRoundtrip" },
		{ ERRPAGE_SWITCH, "CoreProxyProtocolSwitch" },
		{ ERRPAGE_NOT_FOUND, "CoreServerNotFound" },
		{ ERRPAGE_AUTHN, "AppAuthnAuthentication" },
	};
	size_t i;

	for (i = 0; code != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].code, code) == 0)
			return kinds[i].kind;
	return "";
}

/*
 * The variable a template action names ("{{.status}}", "{{ status }}"):
 * 0 status, 1 statusText, 2 code, 3 kind; -1 for anything else.
 */
static int
errpage_action(const char *s, size_t n)
{
	static const char *const names[] = { "status", "statusText", "code",
		"kind" };
	size_t i;

	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n > 0 && *s == '.') {
		s++;
		n--;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0)
			return (int)i;
	return -1;
}

int
errpage_check_template(int type, const char *t)
{
	const char *p = t, *e;

	if (type == TEMPLATE_TEXT || t == NULL)
		return 0;
	while ((p = strstr(p, "{{")) != NULL) {
		if ((e = strstr(p + 2, "}}")) == NULL ||
		    errpage_action(p + 2, (size_t)(e - p - 2)) < 0)
			return -1;
		p = e + 2;
	}
	return 0;
}

/* Append s, HTML-escaped when html is set. */
static void
errpage_value(struct errpage_buf *b, const char *s, int html)
{
	for (; html && *s != '\0'; s++) {
		switch (*s) {
		case '&':
			errpage_puts(b, "&amp;");
			break;
		case '<':
			errpage_puts(b, "&lt;");
			break;
		case '>':
			errpage_puts(b, "&gt;");
			break;
		case '"':
			errpage_puts(b, "&#34;");
			break;
		case '\'':
			errpage_puts(b, "&#39;");
			break;
		default:
			errpage_put(b, s, 1);
		}
	}
	if (!html)
		errpage_puts(b, s);
}

/* Expand a template with the error's variables into b. */
static void
errpage_expand(
    struct errpage_buf *b, int type, const char *t, const char *vars[4])
{
	const char *p = t, *a, *e;

	if (type == TEMPLATE_TEXT) {
		errpage_puts(b, t);
		return;
	}
	while ((a = strstr(p, "{{")) != NULL &&
	    (e = strstr(a + 2, "}}")) != NULL) {
		int v = errpage_action(a + 2, (size_t)(e - a - 2));

		errpage_put(b, p, (size_t)(a - p));
		if (v >= 0)
			errpage_value(b, vars[v], type == TEMPLATE_GO_HTML);
		p = e + 2;
	}
	errpage_puts(b, p);
}

int
errpage_check_regex(const char *re, char *err, size_t size)
{
	PCRE2_SIZE off;
	pcre2_code *c;
	int code;

	c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_UTF,
	    &code, &off, NULL);
	if (c == NULL) {
		PCRE2_UCHAR msg[128];

		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(
		    err, size, "%s at offset %zu", (char *)msg, (size_t)off);
		return -1;
	}
	pcre2_code_free(c);
	return 0;
}

/* Does any of the n regexes (compiled into *cache on first use) match? */
static int
errpage_any_regex(
    char **res, size_t n, void ***cache, const char *s, size_t len)
{
	pcre2_match_data *md;
	size_t i;
	int hit = 0;
	PCRE2_SIZE off;
	int code;

	if (*cache == NULL && n > 0) {
		if ((*cache = calloc(n, sizeof(void *))) == NULL)
			fatal("calloc");
		for (i = 0; i < n; i++)
			(*cache)[i] = pcre2_compile((PCRE2_SPTR)res[i],
			    PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &off,
			    NULL);
	}
	md = pcre2_match_data_create(1, NULL);
	for (i = 0; i < n && !hit; i++)
		hit = (*cache)[i] != NULL &&
		    pcre2_match(
		        (*cache)[i], (PCRE2_SPTR)s, len, 0, 0, md, NULL) >= 0;
	pcre2_match_data_free(md);
	return hit;
}

/* Does any glob of the n match s? */
static int
errpage_any_glob(char **globs, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fnmatch(globs[i], s, 0) == 0)
			return 1;
	return 0;
}

/* The first errorMessages entry of eh that applies to this error. */
static const struct conf_error_message *
errpage_find(const struct conf_errhandler *eh, const char *code,
    const char *kind, const char *message, const char *path, size_t plen)
{
	size_t i;

	for (i = 0; i < eh->nmessages; i++) {
		struct conf_error_message *m = &eh->messages[i];

		if (m->ncontents == 0)
			continue;
		if (m->npaths > 0 &&
		    !errpage_any_regex(
		        m->paths, m->npaths, &m->paths_re, path, plen))
			continue;
		if (errpage_any_glob(m->codes, m->ncodes, code) ||
		    errpage_any_glob(m->kinds, m->nkinds, kind) ||
		    errpage_any_regex(m->messages, m->nmessages,
		        &m->messages_re, message, strlen(message)))
			return m;
	}
	return NULL;
}

/* The content Accept asks for: the first that a media range matches. */
static const struct conf_mime_content *
errpage_pick(
    const struct conf_error_message *m, const char *accept, size_t alen)
{
	size_t i = 0, k;

	while (accept != NULL && i < alen) {
		char range[128];
		size_t j = i, n = 0;

		while (j < alen && accept[j] != ',')
			j++;
		for (k = i; k < j && accept[k] != ';'; k++)
			if (!isspace((unsigned char)accept[k]) &&
			    n < sizeof(range) - 1)
				range[n++] =
				    (char)tolower((unsigned char)accept[k]);
		range[n] = '\0';
		for (k = 0; n > 0 && k < m->ncontents; k++)
			if (fnmatch(range, m->contents[k].mime_type, 0) == 0)
				return &m->contents[k];
		i = j + 1;
	}
	return &m->contents[0];
}

/* Add header name: value unless the value could split the head. */
static int
errpage_header(struct request *r, const char *name, const char *value)
{
	if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL)
		return 0;
	return response_add_str(r, name, value);
}

int
errpage_send(struct request *r, const struct conf_errhandler *eh, int status,
    const char *code, const char *message, const char *accept, size_t alen)
{
	const struct conf_error_message *m;
	const struct conf_mime_content *mc;
	struct errpage_buf body = { NULL, 0, 0 }, hv = { NULL, 0, 0 };
	const char *kind = errpage_kind(code), *vars[4];
	char st[16];
	size_t i;
	int rc = -1;

	if (eh == NULL ||
	    (m = errpage_find(eh, code, kind, message, r->path, r->path_len)) ==
	        NULL)
		return 0;
	mc = errpage_pick(m, accept, alen);
	if (mc->status_code != 0)
		status = mc->status_code;
	snprintf(st, sizeof(st), "%d", status);
	vars[0] = st;
	vars[1] = http_status_text(status);
	vars[2] = code;
	vars[3] = kind;
	errpage_put(&body, "", 0);
	errpage_expand(&body, mc->template_type,
	    mc->template_text != NULL ? mc->template_text : "", vars);
	if (response_start(r, status, NULL, 0) < 0 ||
	    errpage_header(r, "Content-Type", mc->mime_type) < 0 ||
	    response_add_str(r, "X-Content-Type-Options", "nosniff") < 0)
		goto done;
	/* The content was chosen by Accept. */
	if (m->ncontents > 1 && response_add_str(r, "Vary", "Accept") < 0)
		goto done;
	for (i = 0; i < mc->nheaders; i++)
		if (errpage_header(
		        r, mc->headers[i].key, mc->headers[i].value) < 0)
			goto done;
	for (i = 0; i < m->nheader_template; i++) {
		hv.len = 0;
		errpage_put(&hv, "", 0);
		errpage_expand(
		    &hv, TEMPLATE_GO_TEXT, m->header_template[i].value, vars);
		if (errpage_header(r, m->header_template[i].key, hv.p) < 0)
			goto done;
	}
	if (response_send_head(r, RESPONSE_LENGTH, body.len) < 0 ||
	    response_body(r, body.p, body.len) < 0 || response_end(r) < 0)
		goto done;
	rc = 1;
done:
	free(hv.p);
	free(body.p);
	return rc;
}
