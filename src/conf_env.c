/* Config loader: ${...} environment substitution and -e env files. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_int.h"
#include "conf_util.h"
#include "log.h"

extern char **environ;

#define ENV_MAX_DEPTH 8
#define ENV_MAX_FILE  (16 * 1024 * 1024)

/* A growing, always NUL-terminated byte string. */
struct env_buf {
	char *p;
	size_t len;
	size_t cap;
};

struct envfile;

/* Where substitution errors go and how many there were. */
struct env_ctx {
	conf_env_errfn fn;
	void *ctx;
	int line; /* of the top-level '$' */
	int col;
	int errors;
};

static void env_error(struct env_ctx *, const char *, ...) LOG_PRINTF(2, 3);
static void envfile_error(struct envfile *, int, int, const char *, ...)
    LOG_PRINTF(4, 5);
static void env_expand(
    struct env_ctx *, const char *, size_t, struct env_buf *, int);
static void env_expr(
    struct env_ctx *, const char *, size_t, struct env_buf *, int);

static void
env_buf_add(struct env_buf *b, const char *s, size_t n)
{
	size_t cap;

	if (b->len + n + 1 > b->cap) {
		cap = b->cap != 0 ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = conf_realloc(b->p, cap);
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
env_buf_adds(struct env_buf *b, const char *s)
{
	env_buf_add(b, s, strlen(s));
}

static void
env_error(struct env_ctx *e, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->errors++;
	if (e->fn != NULL)
		e->fn(e->ctx, e->line, e->col, msg);
}

static void
env_bad(struct env_ctx *e, const char *c, size_t n)
{
	env_error(e, "bad substitution \"${%.*s}\"", (int)n, c);
}

/* Is c a UTF-8 continuation byte? */
static int
env_is_cont(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

/* Move a 0-based line/column (in characters) over s[0..n). */
static void
env_advance(const char *s, size_t n, int *line, int *col)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n') {
			(*line)++;
			*col = 0;
		} else if (!env_is_cont(s[i]))
			(*col)++;
	}
}

static int
env_is_name(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z') || c == '_';
}

/*
 * Index of the '}' closing the "${" at s[i], counting nested "${"; the
 * expression must end on its line.  (size_t)-1 if there is none.
 */
static size_t
env_find_close(const char *s, size_t n, size_t i)
{
	int depth = 0;

	for (; i < n && s[i] != '\n'; i++) {
		if (s[i] == '$' && i + 1 < n && s[i + 1] == '{') {
			depth++;
			i++;
		} else if (s[i] == '}' && --depth == 0)
			return i;
	}
	return (size_t)-1;
}

/* Index of the first sep in s[0..n) outside nested ${...}, or n. */
static size_t
env_find_sep(const char *s, size_t n, char sep)
{
	size_t i, close;

	for (i = 0; i < n; i++) {
		if (s[i] == '$' && i + 1 < n && s[i + 1] == '{' &&
		    (close = env_find_close(s, n, i)) != (size_t)-1)
			i = close;
		else if (s[i] == sep)
			return i;
	}
	return n;
}

/*
 * Read a parameter name at c[0..n): name characters and nested ${...}
 * (expanded).  Returns how many bytes it used.
 */
static size_t
env_name(
    struct env_ctx *e, const char *c, size_t n, struct env_buf *name, int depth)
{
	size_t i = 0, close;

	env_buf_add(name, "", 0);
	while (i < n) {
		if (env_is_name(c[i]))
			env_buf_add(name, c + i++, 1);
		else if (c[i] == '$' && i + 1 < n && c[i + 1] == '{' &&
		    (close = env_find_close(c, n, i)) != (size_t)-1) {
			env_expr(e, c + i + 2, close - i - 2, name, depth + 1);
			i = close + 1;
		} else
			break;
	}
	return i;
}

/* Expand the word w[0..n) into a fresh NUL-terminated string. */
static char *
env_word(struct env_ctx *e, const char *w, size_t n, int depth)
{
	struct env_buf b = { NULL, 0, 0 };

	env_buf_add(&b, "", 0);
	env_expand(e, w, n, &b, depth);
	return b.p;
}

static size_t
env_nchars(const char *v)
{
	size_t n = 0;

	for (; *v != '\0'; v++)
		if (!env_is_cont(*v))
			n++;
	return n;
}

/* Byte offset of character k of v (or its length). */
static size_t
env_char_off(const char *v, size_t k)
{
	size_t i;

	for (i = 0; v[i] != '\0'; i++)
		if (!env_is_cont(v[i]) && k-- == 0)
			return i;
	return i;
}

/* Read an integer with optional blanks and sign; -1 if there is none. */
static int
env_int(const char *s, size_t n, size_t *i, long *out)
{
	int neg = 0, digits = 0;
	long v = 0;

	while (*i < n && s[*i] == ' ')
		(*i)++;
	if (*i < n && (s[*i] == '-' || s[*i] == '+'))
		neg = s[(*i)++] == '-';
	while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
		if (v < 100000000)
			v = v * 10 + (s[*i] - '0');
		(*i)++;
		digits++;
	}
	while (*i < n && s[*i] == ' ')
		(*i)++;
	*out = neg ? -v : v;
	return digits > 0 ? 0 : -1;
}

/* ${P:off} and ${P:off:len}, counted in characters. */
static int
env_substring(const char *v, const char *r, size_t n, struct env_buf *out)
{
	size_t i = 0;
	long nch = (long)env_nchars(v), off, len;
	size_t a, b;

	if (env_int(r, n, &i, &off) < 0)
		return -1;
	if (off < 0)
		off += nch;
	len = nch - off;
	if (i < n) {
		if (r[i++] != ':' || env_int(r, n, &i, &len) < 0 || i != n)
			return -1;
		if (len < 0)
			len = nch + len - off;
		if (len < 0)
			return -1;
	}
	if (off < 0 || off >= nch || len <= 0)
		return 0;
	if (len > nch - off)
		len = nch - off;
	a = env_char_off(v, (size_t)off);
	b = env_char_off(v, (size_t)(off + len));
	env_buf_add(out, v + a, b - a);
	return 0;
}

/* Does pat match s[from..to)? */
static int
env_match(const char *pat, const char *s, size_t from, size_t to)
{
	char *tmp;
	int rc;

	if ((tmp = strndup(s + from, to - from)) == NULL)
		fatal("strndup");
	rc = fnmatch(pat, tmp, 0) == 0;
	free(tmp);
	return rc;
}

/* ${P#w} ${P##w} ${P%w} ${P%%w}: remove a matching prefix or suffix. */
static void
env_trim(const char *v, int suffix, int longest, const char *pat,
    struct env_buf *out)
{
	size_t len = strlen(v), step, k, at;

	for (step = 0; step <= len; step++) {
		k = longest ? len - step : step; /* length to remove */
		at = suffix ? len - k : k;
		if (at < len && env_is_cont(v[at]))
			continue;
		if (suffix && env_match(pat, v, at, len)) {
			env_buf_add(out, v, at);
			return;
		}
		if (!suffix && env_match(pat, v, 0, at)) {
			env_buf_adds(out, v + at);
			return;
		}
	}
	env_buf_adds(out, v);
}

/*
 * ${P/pat/s} (mode '1'), ${P//pat/s} ('a'), ${P/#pat/s} ('#') and
 * ${P/%pat/s} ('%'): replace the longest match(es) of pat.
 */
static void
env_replace(const char *v, int mode, const char *pat, const char *rep,
    struct env_buf *out)
{
	size_t len = strlen(v), i = 0, j, last = 0;
	int found;

	if (*pat == '\0') {
		env_buf_adds(out, v);
		return;
	}
	for (;;) {
		found = 0;
		for (j = len;; j--) {
			if ((j == len || !env_is_cont(v[j])) &&
			    (mode != '%' || j == len) &&
			    (j > i || mode == '#' || mode == '%') &&
			    env_match(pat, v, i, j)) {
				found = 1;
				break;
			}
			if (j == i)
				break;
		}
		if (found) {
			env_buf_add(out, v + last, i - last);
			env_buf_adds(out, rep);
			last = i = j;
			if (mode != 'a' || i == len)
				break;
			continue;
		}
		if (mode == '#' || i >= len)
			break;
		for (i++; i < len && env_is_cont(v[i]); i++)
			;
	}
	env_buf_adds(out, v + last);
}

/* ${P^} ${P^^} ${P,} ${P,,} (with an optional pattern) and ${P@U} etc. */
static void
env_case(
    const char *v, int upper, int all, const char *pat, struct env_buf *out)
{
	char ch[2] = { 0, 0 };
	size_t i;

	for (i = 0; v[i] != '\0'; i++) {
		ch[0] = v[i];
		if ((i == 0 || all) && (unsigned char)v[i] < 0x80 &&
		    fnmatch(pat, ch, 0) == 0) {
			if (upper && ch[0] >= 'a' && ch[0] <= 'z')
				ch[0] = (char)(ch[0] - 'a' + 'A');
			else if (!upper && ch[0] >= 'A' && ch[0] <= 'Z')
				ch[0] = (char)(ch[0] - 'A' + 'a');
		}
		env_buf_add(out, ch, 1);
	}
}

static int
env_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ${!prefix*}: names of the set variables starting with prefix. */
static void
env_names(const char *prefix, struct env_buf *out)
{
	size_t n = 0, i, plen = strlen(prefix);
	char **names;

	for (i = 0; environ[i] != NULL; i++)
		n++;
	if ((names = calloc(n + 1, sizeof(*names))) == NULL)
		fatal("calloc");
	for (n = 0, i = 0; environ[i] != NULL; i++)
		if (strncmp(environ[i], prefix, plen) == 0)
			names[n++] = environ[i];
	qsort(names, n, sizeof(*names), env_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0)
			env_buf_add(out, " ", 1);
		env_buf_add(out, names[i], strcspn(names[i], "="));
	}
	free(names);
}

/* The operators after a name: ${P<op>word}. */
static void
env_op(struct env_ctx *e, const char *name, const char *c, size_t n,
    const char *r, size_t rn, struct env_buf *out, int depth)
{
	const char *v = getenv(name);
	int colon = 0, use, op;
	char *w, *w2;
	size_t sep;

	if (rn == 0) {
		env_buf_adds(out, v != NULL ? v : "");
		return;
	}
	op = r[0];
	if (op == ':' && rn >= 2 && strchr("-=?+", r[1]) != NULL) {
		colon = 1;
		op = r[1];
	}
	switch (op) {
	case '-':
	case '=':
	case '?':
	case '+':
		use = v != NULL && (!colon || *v != '\0');
		if (op == '+') {
			if (use)
				env_expand(e, r + 1 + colon, rn - 1 - colon,
				    out, depth);
			return;
		}
		if (use) {
			env_buf_adds(out, v);
			return;
		}
		w = env_word(e, r + 1 + colon, rn - 1 - colon, depth);
		if (op == '?') {
			env_error(e, "environment variable %s is %s%s%s", name,
			    colon ? "unset or empty" : "unset",
			    *w != '\0' ? ": " : "", w);
		} else {
			if (op == '=' && setenv(name, w, 1) == -1)
				env_error(e, "cannot set %s: %s", name,
				    strerror(errno));
			env_buf_adds(out, w);
		}
		free(w);
		return;
	case ':':
		if (env_substring(v != NULL ? v : "", r + 1, rn - 1, out) < 0)
			env_bad(e, c, n);
		return;
	case '#':
	case '%':
		colon = rn >= 2 && r[1] == op;
		w = env_word(e, r + 1 + colon, rn - 1 - colon, depth);
		env_trim(v != NULL ? v : "", op == '%', colon, w, out);
		free(w);
		return;
	case '/':
		colon = rn >= 2 && strchr("/#%", r[1]) != NULL ? r[1] : 0;
		r += colon ? 2 : 1;
		rn -= colon ? 2 : 1;
		sep = env_find_sep(r, rn, '/');
		w = env_word(e, r, sep, depth);
		w2 = sep < rn ? env_word(e, r + sep + 1, rn - sep - 1, depth)
		              : strdup("");
		if (w2 == NULL)
			fatal("strdup");
		env_replace(v != NULL ? v : "",
		    colon == '/'     ? 'a'
		        : colon != 0 ? colon
		                     : '1',
		    w, w2, out);
		free(w);
		free(w2);
		return;
	case '^':
	case ',':
		colon = rn >= 2 && r[1] == op;
		w = env_word(e, r + 1 + colon, rn - 1 - colon, depth);
		env_case(v != NULL ? v : "", op == '^', colon,
		    *w != '\0' ? w : "?", out);
		free(w);
		return;
	case '@':
		if (rn == 2 && strchr("UuLl", r[1]) != NULL) {
			env_case(v != NULL ? v : "", r[1] == 'U' || r[1] == 'u',
			    r[1] == 'U' || r[1] == 'L', "?", out);
			return;
		}
		break;
	}
	env_bad(e, c, n);
}

/* Expand the inside of one ${...}: c[0..n). */
static void
env_expr(
    struct env_ctx *e, const char *c, size_t n, struct env_buf *out, int depth)
{
	struct env_buf name = { NULL, 0, 0 };
	const char *v;
	char num[32];
	size_t i;

	if (depth > ENV_MAX_DEPTH) {
		env_error(e, "substitution nested too deeply");
		return;
	}
	if (n > 1 && (c[0] == '#' || c[0] == '!')) {
		i = 1 + env_name(e, c + 1, n - 1, &name, depth);
		if (c[0] == '#' && i == n && name.len > 0) {
			v = getenv(name.p);
			snprintf(num, sizeof(num), "%zu",
			    v != NULL ? env_nchars(v) : 0);
			env_buf_adds(out, num);
		} else if (c[0] == '!' && i + 1 == n &&
		    (c[i] == '*' || c[i] == '@'))
			env_names(name.p, out);
		else if (c[0] == '!' && i == n && name.len > 0) {
			v = getenv(name.p);
			if (v != NULL && (v = getenv(v)) != NULL)
				env_buf_adds(out, v);
		} else
			env_bad(e, c, n);
		free(name.p);
		return;
	}
	i = env_name(e, c, n, &name, depth);
	if (i == 0)
		env_bad(e, c, n);
	else
		env_op(e, name.p, c, n, c + i, n - i, out, depth);
	free(name.p);
}

/* Copy s[0..n) to out, expanding every ${...}. */
static void
env_expand(
    struct env_ctx *e, const char *s, size_t n, struct env_buf *out, int depth)
{
	size_t i = 0, j, close;

	while (i < n) {
		if (s[i] == '$' && i + 1 < n && s[i + 1] == '{' &&
		    (close = env_find_close(s, n, i)) != (size_t)-1) {
			env_expr(e, s + i + 2, close - i - 2, out, depth + 1);
			i = close + 1;
			continue;
		}
		for (j = i + 1; j < n && s[j] != '$'; j++)
			;
		env_buf_add(out, s + i, j - i);
		i = j;
	}
}

static void
env_map_add(struct conf_envtext *t, size_t *cap, const struct conf_envmap *m)
{
	if (t->nmap == *cap) {
		*cap = *cap != 0 ? *cap * 2 : 8;
		t->map = conf_realloc(t->map, *cap * sizeof(*t->map));
	}
	t->map[t->nmap++] = *m;
}

/*
 * For every "${" of the line in[0..n), the index of its closing '}' in
 * close[] (else (size_t)-1): one pass with a stack, so that a line full of
 * unclosed "${" stays linear.  Same matching as env_find_close().
 */
static void
env_match_line(const char *in, size_t n, size_t *close, size_t *stack)
{
	size_t i, depth = 0;

	for (i = 0; i < n; i++) {
		close[i] = (size_t)-1;
		if (in[i] == '$' && i + 1 < n && in[i + 1] == '{') {
			stack[depth++] = i++;
			close[i] = (size_t)-1;
		} else if (in[i] == '}' && depth > 0)
			close[stack[--depth]] = i;
	}
}

/* Expand one line (without its newline) of conf_env_subst()'s input. */
static void
env_subst_line(struct env_ctx *e, const char *in, size_t n, const size_t *close,
    struct env_buf *b, struct conf_envtext *out, size_t *cap, int *pos)
{
	struct conf_envmap m;
	size_t i = 0, j, before;

	while (i < n) {
		if (in[i] == '$' && close[i] != (size_t)-1) {
			m.in_line = e->line = pos[0];
			m.in_col = e->col = pos[1];
			m.out_line = pos[2];
			m.out_col = pos[3];
			before = b->len;
			env_expr(e, in + i + 2, close[i] - i - 2, b, 1);
			env_advance(in + i, close[i] + 1 - i, &pos[0], &pos[1]);
			env_advance(
			    b->p + before, b->len - before, &pos[2], &pos[3]);
			m.in_eline = pos[0];
			m.in_ecol = pos[1];
			m.out_eline = pos[2];
			m.out_ecol = pos[3];
			env_map_add(out, cap, &m);
			i = close[i] + 1;
			continue;
		}
		for (j = i + 1; j < n && in[j] != '$'; j++)
			;
		env_buf_add(b, in + i, j - i);
		env_advance(in + i, j - i, &pos[0], &pos[1]);
		env_advance(in + i, j - i, &pos[2], &pos[3]);
		i = j;
	}
}

int
conf_env_subst(const char *in, size_t len, struct conf_envtext *out,
    conf_env_errfn fn, void *ctx)
{
	struct env_ctx e = { fn, ctx, 0, 0, 0 };
	struct env_buf b = { NULL, 0, 0 };
	size_t i, n, cap = 0, linecap = 0, *close = NULL, *stack = NULL;
	const char *nl;
	int pos[4] = { 0, 0, 0, 0 }; /* in line, col; out line, col */

	memset(out, 0, sizeof(out[0]));
	env_buf_add(&b, "", 0);
	for (i = 0; i < len; i += n) {
		nl = memchr(in + i, '\n', len - i);
		n = nl != NULL ? (size_t)(nl - (in + i)) : len - i;
		if (n >= linecap) {
			linecap = n + 1;
			close = conf_realloc(close, linecap * sizeof(*close));
			stack = conf_realloc(stack, linecap * sizeof(*stack));
		}
		env_match_line(in + i, n, close, stack);
		env_subst_line(&e, in + i, n, close, &b, out, &cap, pos);
		if (nl != NULL) {
			env_buf_add(&b, "\n", 1);
			pos[0]++;
			pos[1] = 0;
			pos[2]++;
			pos[3] = 0;
			n++;
		}
	}
	free(close);
	free(stack);
	out->text = b.p;
	out->len = b.len;
	return e.errors > 0 ? -1 : 0;
}

void
conf_env_map(const struct conf_envtext *t, int *line, int *col)
{
	const struct conf_envmap *m = NULL;
	size_t i;

	for (i = 0; i < t->nmap; i++) {
		if (t->map[i].out_line > *line ||
		    (t->map[i].out_line == *line && t->map[i].out_col > *col))
			break;
		m = &t->map[i];
	}
	if (m == NULL)
		return;
	if (*line < m->out_eline ||
	    (*line == m->out_eline && *col < m->out_ecol)) {
		*line = m->in_line;
		*col = m->in_col;
		return;
	}
	if (*line == m->out_eline)
		*col = m->in_ecol + (*col - m->out_ecol);
	*line = m->in_eline + (*line - m->out_eline);
}

void
conf_envtext_free(struct conf_envtext *t)
{
	if (t == NULL)
		return;
	free(t->text);
	free(t->map);
	memset(t, 0, sizeof(*t));
}

/* State while reading one env file. */
struct envfile {
	const char *path;
	conf_error_fn err;
	void *ctx;
	int errors;
	int line;   /* of the entry being read */
	int col;    /* of its value */
	char **set; /* names this file has set */
	size_t nset;
};

static void
envfile_error(struct envfile *f, int line, int col, const char *fmt, ...)
{
	char msg[512], full[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "%s:%d:%d: %s", f->path, line, col, msg);
	f->errors++;
	if (f->err != NULL)
		f->err(f->ctx, full);
}

static void
envfile_subst_error(void *ctx, int line, int col, const char *msg)
{
	struct envfile *f = ctx;

	envfile_error(f, f->line + line, f->col + col, "%s", msg);
}

/*
 * Set key=value unless the variable was already in the environment before
 * this file (as AILERON does, the process environment wins).
 */
static void
envfile_set(struct envfile *f, const char *key, const char *value)
{
	size_t i;

	if (getenv(key) != NULL) {
		for (i = 0; i < f->nset; i++)
			if (strcmp(f->set[i], key) == 0)
				break;
		if (i == f->nset)
			return;
	} else {
		f->set = conf_realloc(f->set, (f->nset + 1) * sizeof(*f->set));
		if ((f->set[f->nset] = strdup(key)) == NULL)
			fatal("strdup");
		f->nset++;
	}
	if (setenv(key, value, 1) == -1)
		envfile_error(
		    f, f->line, 1, "cannot set %s: %s", key, strerror(errno));
}

/*
 * Read a quoted value starting at the quote *pp; it may span lines, which
 * are joined without the newlines.  Escapes are read in double quotes.
 */
static int
envfile_quoted(struct envfile *f, const char **pp, const char *end, int *line,
    struct env_buf *v)
{
	const char *p = *pp;
	char q = *p++, c;
	int qline = *line, qcol = f->col;

	for (;;) {
		if (p >= end) {
			envfile_error(f, qline, qcol, "unterminated %s value",
			    q == '"' ? "double-quoted" : "single-quoted");
			*pp = p;
			return -1;
		}
		c = *p++;
		if (c == q)
			break;
		if (c == '\n') {
			(*line)++;
			continue;
		}
		if (q == '"' && c == '\\' && p < end) {
			c = *p++;
			switch (c) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case '"':
			case '\\':
				break;
			default:
				env_buf_add(v, "\\", 1);
				break;
			}
		}
		env_buf_add(v, &c, 1);
	}
	*pp = p;
	return 0;
}

/* Read one KEY=VALUE entry at *pp (a non-blank, non-comment line). */
static void
envfile_entry(struct envfile *f, const char *line_start, const char **pp,
    const char *end, int *line)
{
	struct env_buf v = { NULL, 0, 0 };
	struct conf_envtext t;
	const char *p = *pp, *k, *e;
	char *key = NULL;
	char quote = 0;

	env_buf_add(&v, "", 0);
	if (end - p > 7 && strncmp(p, "export", 6) == 0 &&
	    (p[6] == ' ' || p[6] == '\t'))
		for (p += 6; p < end && (*p == ' ' || *p == '\t'); p++)
			;
	for (k = p; p < end && env_is_name(*p); p++)
		;
	if (p == k)
		goto invalid;
	if ((key = strndup(k, (size_t)(p - k))) == NULL)
		fatal("strndup");
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p != '=')
		goto invalid;
	for (p++; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	f->line = *line;
	f->col = (int)(p - line_start) + 1;
	if (p < end && (*p == '"' || *p == '\'')) {
		quote = *p;
		if (envfile_quoted(f, &p, end, line, &v) < 0)
			goto done;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p != '\n' && *p != '#') {
			envfile_error(f, *line, 1,
			    "unexpected text after the closing quote");
			goto done;
		}
	} else {
		for (e = p; e < end && *e != '\n'; e++)
			if (*e == '#' && e > p &&
			    (e[-1] == ' ' || e[-1] == '\t'))
				break;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		env_buf_add(&v, p, (size_t)(e - p));
	}
	if (quote == '\'')
		envfile_set(f, key, v.p);
	else {
		if (conf_env_subst(v.p, v.len, &t, envfile_subst_error, f) == 0)
			envfile_set(f, key, t.text);
		conf_envtext_free(&t);
	}
	goto done;
invalid:
	envfile_error(f, *line, (int)(p - line_start) + 1,
	    "invalid line: expected KEY=VALUE");
done:
	while (p < end && *p != '\n')
		p++;
	*pp = p;
	free(key);
	free(v.p);
}

int
conf_load_env_file(const char *path, conf_error_fn err, void *ctx)
{
	struct envfile f;
	const char *p, *end, *ls;
	char *buf, msg[1024];
	size_t len, i;
	int line = 1;

	memset(&f, 0, sizeof(f));
	f.path = path;
	f.err = err;
	f.ctx = ctx;
	if ((buf = conf_read_file(path, ENV_MAX_FILE, &len)) == NULL) {
		snprintf(msg, sizeof(msg), "%s: %s", path, strerror(errno));
		if (err != NULL)
			err(ctx, msg);
		return -1;
	}
	end = buf + conf_crlf(buf, len);
	for (p = buf; p < end; p++, line++) {
		ls = p;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p != '\n' && *p != '#')
			envfile_entry(&f, ls, &p, end, &line);
		while (p < end && *p != '\n')
			p++;
	}
	for (i = 0; i < f.nset; i++)
		free(f.set[i]);
	free(f.set);
	free(buf);
	return f.errors > 0 ? -1 : 0;
}
