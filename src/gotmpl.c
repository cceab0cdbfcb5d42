/* A subset of Go's text/template and html/template for TemplateHandler. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "gotmpl.h"
#include "log.h"

/*
 * The subset: text; {{pipeline}}; comments; trim markers
 * "{{- " and " -}}"; if / else if / else, range (with $i, $e :=, else),
 * with (else) and end; variables ($, $x :=, $x =); field chains (.a.b,
 * $x.a, (pipeline).a) on maps; string, raw string, integer, true, false
 * and nil literals; pipelines with '|'; the functions and, or, not, len,
 * index, print, printf (%s %v %d %q %%), println, eq, ne, lt, le, gt, ge,
 * html, urlquery.  define, template, block, break and continue are
 * refused at parse time.
 */

enum gt_arg_type {
	A_DOT,    /* . with an optional field chain */
	A_VAR,    /* $name with an optional chain */
	A_STRING, /* "..." or `...` */
	A_INT,
	A_BOOL,
	A_NIL,
	A_FUNC, /* a function name */
	A_PIPE  /* (pipeline) with an optional chain */
};

struct gt_pipe;

struct gt_arg {
	enum gt_arg_type type;
	const char *s; /* STRING value, VAR or FUNC name */
	size_t len;
	long long num;
	const char **fields; /* the chain */
	size_t *field_lens;
	size_t nfields;
	struct gt_pipe *pipe;
};

struct gt_cmd {
	struct gt_arg *args;
	size_t nargs;
};

struct gt_pipe {
	const char *decl[2]; /* declared or assigned variables (with '$') */
	size_t decl_len[2];
	int ndecl;
	int assign; /* '=' rather than ':=' */
	struct gt_cmd *cmds;
	size_t ncmds;
};

enum gt_node_type { N_TEXT, N_ACTION, N_IF, N_RANGE, N_WITH };

struct gt_node {
	enum gt_node_type type;
	const char *text; /* N_TEXT */
	size_t len;
	struct gt_pipe *pipe;
	struct gt_node *list, *elselist;
	struct gt_node *next;
};

struct gotmpl {
	struct arena *arena; /* its own, or NULL */
	int flavour;
	struct gt_node *root;
};

/* Parser state. */
struct gt_parser {
	struct arena *a;
	const char *src, *end;
	const char *p;       /* in text: next byte; in an action: the lexer */
	const char *act_end; /* the end of the current action's body */
	const char *after;   /* just after the current action ("}}", trim) */
	char *err;
	size_t errsize;
	int failed;
};

static void gt_error(struct gt_parser *ps, const char *at, const char *fmt, ...)
    LOG_PRINTF(3, 4);

/* Record the first error with the line it is on. */
static void
gt_error(struct gt_parser *ps, const char *at, const char *fmt, ...)
{
	const char *q;
	int line = 1, n;
	va_list ap;

	if (ps->failed)
		return;
	ps->failed = 1;
	for (q = ps->src; q < at && q < ps->end; q++)
		line += *q == '\n';
	n = snprintf(ps->err, ps->errsize, "template: line %d: ", line);
	if (n < 0 || (size_t)n >= ps->errsize)
		return;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errsize - (size_t)n, fmt, ap);
	va_end(ap);
}

static int
gt_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
gt_is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || (unsigned char)c >= 0x80;
}

/* Skip spaces in the current action. */
static void
gt_skip(struct gt_parser *ps)
{
	while (ps->p < ps->act_end && gt_is_space(*ps->p))
		ps->p++;
}

/* Is the word w next (followed by a non-identifier byte)? Consume it. */
static int
gt_word(struct gt_parser *ps, const char *w)
{
	size_t n = strlen(w);

	gt_skip(ps);
	if ((size_t)(ps->act_end - ps->p) < n || memcmp(ps->p, w, n) != 0 ||
	    (ps->p + n < ps->act_end && gt_is_alnum(ps->p[n])))
		return 0;
	ps->p += n;
	return 1;
}

/* Read an identifier at p; its length. */
static size_t
gt_ident(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && gt_is_alnum(*q))
		q++;
	return (size_t)(q - p);
}

/* Read a chain of .field elements into arg. */
static void
gt_chain(struct gt_parser *ps, struct gt_arg *arg)
{
	while (ps->p < ps->act_end && *ps->p == '.' &&
	    ps->p + 1 < ps->act_end && gt_is_alnum(ps->p[1])) {
		size_t n = gt_ident(ps->p + 1, ps->act_end);

		arg->fields = arena_realloc(ps->a, arg->fields,
		    arg->nfields * sizeof(*arg->fields),
		    (arg->nfields + 1) * sizeof(*arg->fields));
		arg->field_lens = arena_realloc(ps->a, arg->field_lens,
		    arg->nfields * sizeof(*arg->field_lens),
		    (arg->nfields + 1) * sizeof(*arg->field_lens));
		arg->fields[arg->nfields] = ps->p + 1;
		arg->field_lens[arg->nfields++] = n;
		ps->p += 1 + n;
	}
}

/* Decode a quoted string literal at ps->p into arg. */
static int
gt_string(struct gt_parser *ps, struct gt_arg *arg)
{
	const char *q = ps->p + 1;
	char *out, *o;

	if (*ps->p == '`') {
		const char *e = memchr(q, '`', (size_t)(ps->act_end - q));

		if (e == NULL) {
			gt_error(ps, ps->p, "unterminated raw quoted string");
			return -1;
		}
		arg->s = q;
		arg->len = (size_t)(e - q);
		ps->p = e + 1;
		return 0;
	}
	o = out = arena_alloc(ps->a, (size_t)(ps->act_end - q) + 1);
	for (; q < ps->act_end && *q != '"'; q++) {
		if (*q == '\n')
			break;
		if (*q != '\\') {
			*o++ = *q;
			continue;
		}
		if (++q == ps->act_end)
			break;
		switch (*q) {
		case 'n':
			*o++ = '\n';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case '\\':
		case '"':
			*o++ = *q;
			break;
		default:
			gt_error(
			    ps, q, "unsupported escape \\%c in string", *q);
			return -1;
		}
	}
	if (q >= ps->act_end || *q != '"') {
		gt_error(ps, ps->p, "unterminated quoted string");
		return -1;
	}
	arg->s = out;
	arg->len = (size_t)(o - out);
	ps->p = q + 1;
	return 0;
}

static struct gt_pipe *gt_pipeline(struct gt_parser *ps, int decl_ok);

/* The known functions. */
static const char *const gt_funcs[] = { "and", "or", "not", "len", "index",
	"print", "printf", "println", "eq", "ne", "lt", "le", "gt", "ge",
	"html", "urlquery", NULL };

/* Parse one operand; 0, 1 when none is next, -1 on error. */
static int
gt_operand(struct gt_parser *ps, struct gt_arg *arg)
{
	const char *p;
	size_t n, i;

	gt_skip(ps);
	memset(arg, 0, sizeof(*arg));
	if (ps->p >= ps->act_end)
		return 1;
	p = ps->p;
	switch (*p) {
	case '|':
	case ')':
		return 1;
	case '.':
		arg->type = A_DOT;
		if (p + 1 < ps->act_end && gt_is_alnum(p[1]))
			gt_chain(ps, arg);
		else
			ps->p++;
		return 0;
	case '$':
		arg->type = A_VAR;
		n = 1 + gt_ident(p + 1, ps->act_end);
		arg->s = p;
		arg->len = n;
		ps->p += n;
		gt_chain(ps, arg);
		return 0;
	case '"':
	case '`':
		arg->type = A_STRING;
		return gt_string(ps, arg);
	case '(':
		ps->p++;
		arg->type = A_PIPE;
		if ((arg->pipe = gt_pipeline(ps, 0)) == NULL)
			return -1;
		gt_skip(ps);
		if (ps->p >= ps->act_end || *ps->p != ')') {
			gt_error(ps, p, "unclosed left paren");
			return -1;
		}
		ps->p++;
		gt_chain(ps, arg);
		return 0;
	}
	if ((*p >= '0' && *p <= '9') || *p == '-' || *p == '+') {
		char *e;

		arg->type = A_INT;
		arg->num = strtoll(p, &e, 10);
		if (e <= p || e[-1] < '0' || e[-1] > '9' || e > ps->act_end ||
		    (e < ps->act_end && gt_is_alnum(*e)) ||
		    (e < ps->act_end && *e == '.')) {
			gt_error(ps, p, "bad or unsupported number");
			return -1;
		}
		ps->p = e;
		return 0;
	}
	n = gt_ident(p, ps->act_end);
	if (n == 0) {
		gt_error(ps, p, "unexpected \"%c\" in command", *p);
		return -1;
	}
	ps->p += n;
	if ((n == 4 && memcmp(p, "true", 4) == 0) ||
	    (n == 5 && memcmp(p, "false", 5) == 0)) {
		arg->type = A_BOOL;
		arg->num = n == 4;
		return 0;
	}
	if (n == 3 && memcmp(p, "nil", 3) == 0) {
		arg->type = A_NIL;
		return 0;
	}
	for (i = 0; gt_funcs[i] != NULL; i++)
		if (strlen(gt_funcs[i]) == n &&
		    memcmp(gt_funcs[i], p, n) == 0) {
			arg->type = A_FUNC;
			arg->s = p;
			arg->len = n;
			return 0;
		}
	gt_error(ps, p, "function \"%.*s\" not defined", (int)n, p);
	return -1;
}

/* Parse a command: operands up to '|', ')' or the end of the action. */
static int
gt_command(struct gt_parser *ps, struct gt_cmd *cmd)
{
	struct gt_arg arg;
	int rv;

	memset(cmd, 0, sizeof(*cmd));
	while ((rv = gt_operand(ps, &arg)) == 0) {
		cmd->args = arena_realloc(ps->a, cmd->args,
		    cmd->nargs * sizeof(arg), (cmd->nargs + 1) * sizeof(arg));
		cmd->args[cmd->nargs++] = arg;
	}
	if (rv < 0)
		return -1;
	if (cmd->nargs == 0) {
		gt_error(ps, ps->p, "missing value for command");
		return -1;
	}
	if (cmd->nargs == 1 && cmd->args[0].type == A_NIL) {
		gt_error(ps, ps->p, "nil is not a command");
		return -1;
	}
	if (cmd->nargs > 1 && cmd->args[0].type != A_FUNC) {
		gt_error(ps, ps->p, "can't give argument to non-function");
		return -1;
	}
	return 0;
}

/* Parse "$x :=", "$x, $y :=" or "$x =" at the start of a pipeline. */
static void
gt_decl(struct gt_parser *ps, struct gt_pipe *pp)
{
	const char *save = ps->p;
	int i;

	for (i = 0; i < 2; i++) {
		size_t n;

		gt_skip(ps);
		if (ps->p >= ps->act_end || *ps->p != '$')
			break;
		n = 1 + gt_ident(ps->p + 1, ps->act_end);
		pp->decl[i] = ps->p;
		pp->decl_len[i] = n;
		ps->p += n;
		gt_skip(ps);
		if (ps->p < ps->act_end && *ps->p == ',' && i == 0) {
			ps->p++;
			continue;
		}
		if (ps->act_end - ps->p >= 2 && memcmp(ps->p, ":=", 2) == 0) {
			ps->p += 2;
			pp->ndecl = i + 1;
			return;
		}
		if (ps->p < ps->act_end && *ps->p == '=' &&
		    (ps->p + 1 == ps->act_end || ps->p[1] != '=')) {
			ps->p++;
			pp->ndecl = i + 1;
			pp->assign = 1;
			return;
		}
		break;
	}
	ps->p = save;
	pp->ndecl = 0;
}

/* Parse a pipeline up to ')' or the end of the action. */
static struct gt_pipe *
gt_pipeline(struct gt_parser *ps, int decl_ok)
{
	struct gt_pipe *pp = arena_alloc(ps->a, sizeof(*pp));

	if (decl_ok)
		gt_decl(ps, pp);
	for (;;) {
		struct gt_cmd cmd;

		if (gt_command(ps, &cmd) < 0)
			return NULL;
		if (pp->ncmds > 0 && cmd.args[0].type != A_FUNC) {
			gt_error(ps, ps->p, "non-function in pipeline");
			return NULL;
		}
		pp->cmds = arena_realloc(ps->a, pp->cmds,
		    pp->ncmds * sizeof(cmd), (pp->ncmds + 1) * sizeof(cmd));
		pp->cmds[pp->ncmds++] = cmd;
		gt_skip(ps);
		if (ps->p < ps->act_end && *ps->p == '|') {
			ps->p++;
			continue;
		}
		return pp;
	}
}

/* Actions that end a list. */
enum gt_stop { STOP_EOF, STOP_END, STOP_ELSE };

/*
 * Find the next action from ps->p: set *text_end to where the text before
 * it ends (left trim applied), ps->p to its body, ps->act_end to the end
 * of its body and ps->after to just after "}}" (right trim applied).
 * Returns 0 when there is no further action.
 */
static int
gt_next_action(struct gt_parser *ps, const char **text_end)
{
	const char **after = &ps->after;
	const char *o = ps->p, *c, *body;

	for (;;) {
		o = memchr(o, '{', (size_t)(ps->end - o));
		if (o == NULL || o + 1 >= ps->end) {
			*text_end = ps->end;
			return 0;
		}
		if (o[1] == '{')
			break;
		o++;
	}
	*text_end = o;
	body = o + 2;
	if (body + 1 < ps->end && body[0] == '-' && gt_is_space(body[1])) {
		while (*text_end > ps->p && gt_is_space((*text_end)[-1]))
			(*text_end)--;
		body += 2;
	}
	/* The closing "}}": outside string literals. */
	for (c = body; c + 1 < ps->end; c++) {
		if (*c == '"' || *c == '`') {
			char q = *c;

			/* A quoted string ends at the line's end too. */
			for (c++; c < ps->end && *c != q; c++) {
				if (q == '"' && *c == '\n')
					break;
				if (q == '"' && *c == '\\')
					c++;
			}
			if (c >= ps->end)
				break;
			continue;
		}
		if (c[0] == '}' && c[1] == '}')
			break;
	}
	if (c + 1 >= ps->end) {
		gt_error(ps, o, "unclosed action");
		return -1;
	}
	*after = c + 2;
	ps->act_end = c;
	if (c - body >= 2 && c[-1] == '-' && gt_is_space(c[-2])) {
		ps->act_end = c - 2;
		while (*after < ps->end && gt_is_space(**after))
			(*after)++;
	}
	ps->p = body;
	return 1;
}

static struct gt_node *gt_list(struct gt_parser *ps, enum gt_stop *stop);

/* A new node appended to the list at *tail. */
static struct gt_node *
gt_node(struct gt_parser *ps, struct gt_node ***tail, enum gt_node_type type)
{
	struct gt_node *n = arena_alloc(ps->a, sizeof(*n));

	n->type = type;
	**tail = n;
	*tail = &n->next;
	return n;
}

/* The pipeline of if/range/with, which must fill the rest of the action. */
static int
gt_control(struct gt_parser *ps, struct gt_node *n, const char *kw)
{
	if ((n->pipe = gt_pipeline(ps, 1)) == NULL)
		return -1;
	gt_skip(ps);
	if (ps->p != ps->act_end) {
		gt_error(ps, ps->p, "unexpected input in %s", kw);
		return -1;
	}
	if (n->pipe->ndecl > 1 && n->type != N_RANGE) {
		gt_error(ps, ps->p, "too many declarations in %s", kw);
		return -1;
	}
	return 0;
}

/*
 * The lists of control node n, from ps->p (just after its action) to its
 * {{end}}: the list, then after {{else}} the else list, or after
 * {{else if ...}} / {{else with ...}} a nested node of the same type that
 * shares the {{end}}.
 */
static int
gt_control_lists(struct gt_parser *ps, struct gt_node *n)
{
	enum gt_stop stop;

	n->list = gt_list(ps, &stop);
	if (ps->failed)
		return -1;
	if (stop == STOP_EOF) {
		gt_error(ps, ps->end, "unexpected EOF");
		return -1;
	}
	if (stop == STOP_END)
		return 0;
	gt_skip(ps);
	if (ps->p == ps->act_end) {
		ps->p = ps->after;
		n->elselist = gt_list(ps, &stop);
		if (ps->failed)
			return -1;
		if (stop != STOP_END) {
			gt_error(ps, ps->p,
			    stop == STOP_EOF ? "unexpected EOF"
			                     : "expected end; found else");
			return -1;
		}
		return 0;
	}
	if ((n->type == N_IF && gt_word(ps, "if")) ||
	    (n->type == N_WITH && gt_word(ps, "with"))) {
		struct gt_node **tail = &n->elselist;
		struct gt_node *e = gt_node(ps, &tail, n->type);

		if (gt_control(ps, e, n->type == N_IF ? "if" : "with") < 0)
			return -1;
		ps->p = ps->after;
		return gt_control_lists(ps, e);
	}
	gt_error(ps, ps->p, "unexpected input after else");
	return -1;
}

/*
 * Parse a list of nodes up to {{end}}, {{else}} or the end of the source.
 * On return ps->p is after the stopping action ({{else}}: after "else",
 * inside the action, for "else if").
 */
static struct gt_node *
gt_list(struct gt_parser *ps, enum gt_stop *stop)
{
	struct gt_node *head = NULL, **tail = &head;

	*stop = STOP_EOF;
	while (!ps->failed) {
		const char *text_end, *start = ps->p;
		int rv = gt_next_action(ps, &text_end);

		if (rv < 0)
			break;
		if (text_end > start) {
			struct gt_node *t = gt_node(ps, &tail, N_TEXT);

			t->text = start;
			t->len = (size_t)(text_end - start);
		}
		if (rv == 0) {
			ps->p = ps->end;
			break;
		}
		gt_skip(ps);
		if (ps->act_end - ps->p >= 2 && memcmp(ps->p, "/*", 2) == 0) {
			if (ps->act_end - ps->p < 4 ||
			    memcmp(ps->act_end - 2, "*/", 2) != 0) {
				gt_error(ps, ps->p, "unclosed comment");
				break;
			}
			ps->p = ps->after;
			continue;
		}
		if (gt_word(ps, "end")) {
			gt_skip(ps);
			if (ps->p != ps->act_end) {
				gt_error(ps, ps->p, "unexpected input in end");
				break;
			}
			*stop = STOP_END;
			ps->p = ps->after;
			break;
		}
		if (gt_word(ps, "else")) {
			/* The caller reads on in the action ("else if"). */
			*stop = STOP_ELSE;
			break;
		}
		if (gt_word(ps, "if") || gt_word(ps, "range") ||
		    gt_word(ps, "with")) {
			const char *kw = ps->p[-1] == 'f' ? "if"
			    : ps->p[-1] == 'e'            ? "range"
			                                  : "with";
			struct gt_node *n = gt_node(ps, &tail,
			    kw[0] == 'i'       ? N_IF
			        : kw[0] == 'r' ? N_RANGE
			                       : N_WITH);

			if (gt_control(ps, n, kw) < 0)
				break;
			ps->p = ps->after;
			if (gt_control_lists(ps, n) < 0)
				break;
			continue;
		}
		if (gt_word(ps, "define") || gt_word(ps, "template") ||
		    gt_word(ps, "block") || gt_word(ps, "break") ||
		    gt_word(ps, "continue")) {
			gt_error(ps, ps->p, "this action is not supported");
			break;
		}
		{
			struct gt_node *n = gt_node(ps, &tail, N_ACTION);

			if ((n->pipe = gt_pipeline(ps, 1)) == NULL)
				break;
			gt_skip(ps);
			if (ps->p != ps->act_end) {
				gt_error(ps, ps->p,
				    "unexpected \"%c\" in operand", *ps->p);
				break;
			}
			ps->p = ps->after;
		}
	}
	return head;
}

struct gotmpl *
gotmpl_parse(struct arena *a, const char *src, size_t len, int flavour,
    char *err, size_t size)
{
	struct gt_parser ps;
	struct gotmpl *t;
	enum gt_stop stop;

	memset(&ps, 0, sizeof(ps));
	ps.a = a != NULL ? a : arena_new(4096);
	ps.src = ps.p = src;
	ps.end = src + len;
	ps.err = err;
	ps.errsize = size;
	t = arena_alloc(ps.a, sizeof(*t));
	t->arena = a != NULL ? NULL : ps.a;
	t->flavour = flavour;
	t->root = gt_list(&ps, &stop);
	if (!ps.failed && stop != STOP_EOF)
		gt_error(&ps, ps.p, "unexpected {{%s}}",
		    stop == STOP_END ? "end" : "else");
	if (ps.failed) {
		if (a == NULL)
			arena_free(ps.a);
		return NULL;
	}
	return t;
}

void
gotmpl_free(struct gotmpl *t)
{
	if (t != NULL)
		arena_free(t->arena);
}

static int
gt_entry_cmp(const void *a, const void *b)
{
	const struct gotmpl_entry *x = a, *y = b;
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = memcmp(x->key, y->key, n);

	if (c != 0)
		return c;
	return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

void
gotmpl_sort(struct gotmpl_entry *e, size_t n)
{
	qsort(e, n, sizeof(*e), gt_entry_cmp);
}

/* Execution state. */
struct gt_var {
	const char *name;
	size_t len;
	struct gotmpl_value v;
};

struct gt_exec {
	const struct gotmpl *t;
	struct arena *a;
	char *out;
	size_t len, size;
	struct gt_var *vars;
	size_t nvars, capvars;
	size_t
	    steps; /* nodes run and range iterations, up to GOTMPL_STEPS_MAX */
	int failed;
};

/* Append to the output (up to GOTMPL_OUT_MAX). */
static void
gt_out(struct gt_exec *x, const char *s, size_t n)
{
	if (x->failed)
		return;
	if (x->len + n > GOTMPL_OUT_MAX) {
		x->failed = 1;
		return;
	}
	if (x->len + n + 1 > x->size) {
		size_t ns = (x->size + n) * 2 + 64;
		char *np = realloc(x->out, ns);

		if (np == NULL) {
			x->failed = 1;
			return;
		}
		x->out = np;
		x->size = ns;
	}
	memcpy(x->out + x->len, s, n);
	x->len += n;
}

/* A growing string in the arena (for print results). */
struct gt_str {
	char *p;
	size_t len, size;
};

static void
gt_str_put(struct gt_exec *x, struct gt_str *s, const char *p, size_t n)
{
	if (s->len + n > GOTMPL_OUT_MAX) {
		x->failed = 1;
		return;
	}
	if (s->len + n + 1 > s->size) {
		size_t ns = (s->size + n) * 2 + 32;

		s->p = arena_realloc(x->a, s->p, s->size, ns);
		s->size = ns;
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
	s->p[s->len] = '\0';
}

/* Print v as Go's fmt %v does. */
static void
gt_format(struct gt_exec *x, struct gt_str *s, const struct gotmpl_value *v)
{
	char num[32];
	size_t i;

	switch (v->kind) {
	case GOTMPL_NIL:
		gt_str_put(x, s, "<nil>", 5);
		break;
	case GOTMPL_STRING:
		gt_str_put(x, s, v->s, v->len);
		break;
	case GOTMPL_BOOL:
		gt_str_put(x, s, v->i ? "true" : "false", v->i ? 4 : 5);
		break;
	case GOTMPL_INT:
		gt_str_put(x, s, num,
		    (size_t)snprintf(num, sizeof(num), "%lld", v->i));
		break;
	case GOTMPL_LIST:
		gt_str_put(x, s, "[", 1);
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				gt_str_put(x, s, " ", 1);
			gt_format(x, s, &v->items[i]);
		}
		gt_str_put(x, s, "]", 1);
		break;
	case GOTMPL_MAP:
		gt_str_put(x, s, "map[", 4);
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				gt_str_put(x, s, " ", 1);
			gt_str_put(
			    x, s, v->entries[i].key, v->entries[i].key_len);
			gt_str_put(x, s, ":", 1);
			gt_format(x, s, &v->entries[i].v);
		}
		gt_str_put(x, s, "]", 1);
		break;
	}
}

/* Go's truth: non-zero, non-empty. */
static int
gt_true(const struct gotmpl_value *v)
{
	switch (v->kind) {
	case GOTMPL_NIL:
		return 0;
	case GOTMPL_STRING:
		return v->len > 0;
	case GOTMPL_BOOL:
	case GOTMPL_INT:
		return v->i != 0;
	case GOTMPL_LIST:
	case GOTMPL_MAP:
		return v->n > 0;
	}
	return 0;
}

/* Look key up in map m; NULL when missing. */
static const struct gotmpl_value *
gt_lookup(const struct gotmpl_value *m, const char *key, size_t len)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct gotmpl_entry *e = &m->entries[mid];
		size_t n = len < e->key_len ? len : e->key_len;
		int c = memcmp(key, e->key, n);

		if (c == 0)
			c = len < e->key_len ? -1 : len > e->key_len;
		if (c == 0)
			return &e->v;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static const struct gotmpl_value gt_nil = { GOTMPL_NIL, NULL, 0, 0, NULL, NULL,
	0, GOTMPL_NIL };

/* Walk a field chain from v; -1 (an execution error) on a non-map. */
static int
gt_walk(struct gt_exec *x, const struct gt_arg *arg, struct gotmpl_value *v)
{
	size_t i;

	for (i = 0; i < arg->nfields; i++) {
		const struct gotmpl_value *f;

		if (v->kind == GOTMPL_NIL)
			return 0; /* Go: a missing value stays missing */
		if (v->kind != GOTMPL_MAP) {
			x->failed = 1;
			return -1;
		}
		f = gt_lookup(v, arg->fields[i], arg->field_lens[i]);
		*v = f ? *f : gt_nil;
	}
	return 0;
}

/* The value of variable name; -1 if undefined (cannot happen once parsed). */
static int
gt_var_get(
    struct gt_exec *x, const char *name, size_t len, struct gotmpl_value *v)
{
	size_t i;

	for (i = x->nvars; i > 0; i--)
		if (x->vars[i - 1].len == len &&
		    memcmp(x->vars[i - 1].name, name, len) == 0) {
			*v = x->vars[i - 1].v;
			return 0;
		}
	x->failed = 1;
	return -1;
}

static void
gt_var_push(struct gt_exec *x, const char *name, size_t len,
    const struct gotmpl_value *v)
{
	if (x->nvars == x->capvars) {
		size_t nc = x->capvars ? x->capvars * 2 : 8;

		x->vars = arena_realloc(x->a, x->vars,
		    x->capvars * sizeof(*x->vars), nc * sizeof(*x->vars));
		x->capvars = nc;
	}
	x->vars[x->nvars].name = name;
	x->vars[x->nvars].len = len;
	x->vars[x->nvars++].v = *v;
}

static int gt_pipe_eval(struct gt_exec *x, const struct gt_pipe *pp,
    const struct gotmpl_value *dot, struct gotmpl_value *out);

/* Evaluate a non-function operand. */
static int
gt_arg_eval(struct gt_exec *x, const struct gt_arg *arg,
    const struct gotmpl_value *dot, struct gotmpl_value *v)
{
	memset(v, 0, sizeof(*v));
	switch (arg->type) {
	case A_DOT:
		*v = *dot;
		return gt_walk(x, arg, v);
	case A_VAR:
		if (gt_var_get(x, arg->s, arg->len, v) < 0)
			return -1;
		return gt_walk(x, arg, v);
	case A_PIPE:
		if (gt_pipe_eval(x, arg->pipe, dot, v) < 0)
			return -1;
		return gt_walk(x, arg, v);
	case A_STRING:
		v->kind = GOTMPL_STRING;
		v->s = arg->s;
		v->len = arg->len;
		return 0;
	case A_INT:
		v->kind = GOTMPL_INT;
		v->i = arg->num;
		return 0;
	case A_BOOL:
		v->kind = GOTMPL_BOOL;
		v->i = arg->num;
		return 0;
	case A_NIL:
		v->kind = GOTMPL_NIL;
		return 0;
	case A_FUNC:
		/* A function name as an argument: evaluated without args. */
		break;
	}
	x->failed = 1;
	return -1;
}

/* A string value made of s. */
static void
gt_string_value(struct gotmpl_value *v, const char *s, size_t n)
{
	memset(v, 0, sizeof(*v));
	v->kind = GOTMPL_STRING;
	v->s = s;
	v->len = n;
}

/* Compare basic values a and b (eq/lt...); -2 when incomparable. */
static int
gt_compare(const struct gotmpl_value *a, const struct gotmpl_value *b)
{
	size_t n;
	int c;

	if (a->kind != b->kind)
		return -2;
	switch (a->kind) {
	case GOTMPL_STRING:
		n = a->len < b->len ? a->len : b->len;
		c = memcmp(a->s, b->s, n);
		if (c == 0)
			c = a->len < b->len ? -1 : a->len > b->len;
		return c < 0 ? -1 : c > 0;
	case GOTMPL_INT:
	case GOTMPL_BOOL:
		return a->i < b->i ? -1 : a->i > b->i;
	case GOTMPL_NIL:
		return 0;
	default:
		return -2;
	}
}

/* Escape s as Go's html/template htmlEscaper (the HTML text context). */
static void
gt_html(struct gt_exec *x, struct gt_str *o, const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		const char *r;

		switch (s[i]) {
		case '\0':
			r = "\xEF\xBF\xBD";
			break;
		case '"':
			r = "&#34;";
			break;
		case '&':
			r = "&amp;";
			break;
		case '\'':
			r = "&#39;";
			break;
		case '+':
			r = "&#43;";
			break;
		case '<':
			r = "&lt;";
			break;
		case '>':
			r = "&gt;";
			break;
		default:
			continue;
		}
		gt_str_put(x, o, s + k, i - k);
		gt_str_put(x, o, r, strlen(r));
		k = i + 1;
	}
	gt_str_put(x, o, s + k, n - k);
}

/* Go's url.QueryEscape. */
static void
gt_urlquery(struct gt_exec *x, struct gt_str *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[3];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~')
			gt_str_put(x, o, s + i, 1);
		else if (c == ' ')
			gt_str_put(x, o, "+", 1);
		else {
			e[0] = '%';
			e[1] = hex[c >> 4];
			e[2] = hex[c & 15];
			gt_str_put(x, o, e, 3);
		}
	}
}

/* Go's fmt.Sprint spacing: a space between operands when neither is a string. */
static void
gt_sprint(struct gt_exec *x, struct gt_str *o, const struct gotmpl_value *v,
    size_t n, int ln)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0 &&
		    (ln ||
		        (v[i].kind != GOTMPL_STRING &&
		            v[i - 1].kind != GOTMPL_STRING)))
			gt_str_put(x, o, " ", 1);
		gt_format(x, o, &v[i]);
	}
	if (ln)
		gt_str_put(x, o, "\n", 1);
}

/* Go's %q of a string. */
static void
gt_quote(struct gt_exec *x, struct gt_str *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	gt_str_put(x, o, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[4] = { '\\', 'x', 0, 0 };

		if (c == '"' || c == '\\') {
			e[1] = (char)c;
			gt_str_put(x, o, e, 2);
		} else if (c == '\n')
			gt_str_put(x, o, "\\n", 2);
		else if (c == '\t')
			gt_str_put(x, o, "\\t", 2);
		else if (c == '\r')
			gt_str_put(x, o, "\\r", 2);
		else if (c < 0x20 || c == 0x7F) {
			e[2] = hex[c >> 4];
			e[3] = hex[c & 15];
			gt_str_put(x, o, e, 4);
		} else
			gt_str_put(x, o, s + i, 1);
	}
	gt_str_put(x, o, "\"", 1);
}

/* printf with %s %v %d %q %%; other verbs are an error. */
static int
gt_printf(
    struct gt_exec *x, struct gt_str *o, const struct gotmpl_value *v, size_t n)
{
	const char *f;
	size_t i, fl, ai = 1;

	if (n == 0 || v[0].kind != GOTMPL_STRING)
		return -1;
	f = v[0].s;
	fl = v[0].len;
	for (i = 0; i < fl; i++) {
		const struct gotmpl_value *a;

		if (f[i] != '%') {
			gt_str_put(x, o, f + i, 1);
			continue;
		}
		if (++i == fl)
			return -1;
		if (f[i] == '%') {
			gt_str_put(x, o, "%", 1);
			continue;
		}
		if (ai >= n)
			return -1;
		a = &v[ai++];
		switch (f[i]) {
		case 's':
		case 'v':
			gt_format(x, o, a);
			break;
		case 'd':
			if (a->kind != GOTMPL_INT)
				return -1;
			gt_format(x, o, a);
			break;
		case 'q':
			if (a->kind != GOTMPL_STRING)
				return -1;
			gt_quote(x, o, a->s, a->len);
			break;
		default:
			return -1;
		}
	}
	return ai == n ? 0 : -1;
}

/* Call function name (len) with n evaluated arguments. */
static int
gt_call(struct gt_exec *x, const char *name, size_t len,
    const struct gotmpl_value *v, size_t n, struct gotmpl_value *out)
{
	struct gt_str s = { NULL, 0, 0 };
	size_t i;
	int c;

#define IS(f) (len == sizeof(f) - 1 && memcmp(name, f, len) == 0)
	memset(out, 0, sizeof(*out));
	if (IS("and") || IS("or")) {
		int want = IS("or");

		if (n == 0)
			return -1;
		for (i = 0; i + 1 < n; i++)
			if (gt_true(&v[i]) == want)
				break;
		*out = v[i];
		return 0;
	}
	if (IS("not")) {
		if (n != 1)
			return -1;
		out->kind = GOTMPL_BOOL;
		out->i = !gt_true(&v[0]);
		return 0;
	}
	if (IS("len")) {
		if (n != 1 || v[0].kind == GOTMPL_NIL ||
		    v[0].kind == GOTMPL_INT || v[0].kind == GOTMPL_BOOL)
			return -1;
		out->kind = GOTMPL_INT;
		out->i =
		    (long long)(v[0].kind == GOTMPL_STRING ? v[0].len : v[0].n);
		return 0;
	}
	if (IS("index")) {
		if (n == 0)
			return -1;
		*out = v[0];
		for (i = 1; i < n; i++) {
			const struct gotmpl_value *e;

			if (out->kind == GOTMPL_MAP &&
			    v[i].kind == GOTMPL_STRING) {
				enum gotmpl_kind zero = out->elem;

				e = gt_lookup(out, v[i].s, v[i].len);
				if (e != NULL)
					*out = *e;
				else {
					memset(out, 0, sizeof(*out));
					out->kind = zero;
				}
			} else if (out->kind == GOTMPL_LIST &&
			    v[i].kind == GOTMPL_INT) {
				if (v[i].i < 0 || (size_t)v[i].i >= out->n)
					return -1;
				*out = out->items[v[i].i];
			} else
				return -1;
		}
		return 0;
	}
	if (IS("eq") || IS("ne")) {
		int eq = 0;

		if (n < 2)
			return -1;
		for (i = 1; i < n; i++) {
			if ((c = gt_compare(&v[0], &v[i])) == -2)
				return -1;
			eq |= c == 0;
		}
		out->kind = GOTMPL_BOOL;
		out->i = IS("eq") ? eq : !eq;
		return 0;
	}
	if (IS("lt") || IS("le") || IS("gt") || IS("ge")) {
		if (n != 2 || (c = gt_compare(&v[0], &v[1])) == -2 ||
		    v[0].kind == GOTMPL_BOOL || v[0].kind == GOTMPL_NIL)
			return -1;
		out->kind = GOTMPL_BOOL;
		out->i = IS("lt") ? c < 0
		    : IS("le")    ? c <= 0
		    : IS("gt")    ? c > 0
		                  : c >= 0;
		return 0;
	}
	if (IS("print") || IS("println"))
		gt_sprint(x, &s, v, n, IS("println"));
	else if (IS("printf")) {
		if (gt_printf(x, &s, v, n) < 0)
			return -1;
	} else if (IS("html") || IS("urlquery")) {
		struct gt_str t = { NULL, 0, 0 };

		gt_sprint(x, &t, v, n, 0);
		if (IS("html"))
			gt_html(x, &s, t.p ? t.p : "", t.len);
		else
			gt_urlquery(x, &s, t.p ? t.p : "", t.len);
	} else
		return -1;
#undef IS
	gt_string_value(out, s.p ? s.p : "", s.len);
	return 0;
}

/* Evaluate one command; prev is the previous command's result (or NULL). */
static int
gt_cmd_eval(struct gt_exec *x, const struct gt_cmd *cmd,
    const struct gotmpl_value *dot, const struct gotmpl_value *prev,
    struct gotmpl_value *out)
{
	struct gotmpl_value *argv;
	size_t i, n;

	if (cmd->args[0].type != A_FUNC) {
		if (prev != NULL || cmd->nargs > 1)
			return -1;
		return gt_arg_eval(x, &cmd->args[0], dot, out);
	}
	n = cmd->nargs - 1 + (prev != NULL);
	argv = arena_alloc(x->a, (n + 1) * sizeof(*argv));
	for (i = 1; i < cmd->nargs; i++) {
		const struct gt_arg *a = &cmd->args[i];

		if (a->type == A_FUNC) {
			if (gt_call(x, a->s, a->len, NULL, 0, &argv[i - 1]) < 0)
				return -1;
		} else if (gt_arg_eval(x, a, dot, &argv[i - 1]) < 0)
			return -1;
	}
	if (prev != NULL)
		argv[n - 1] = *prev;
	if (gt_call(x, cmd->args[0].s, cmd->args[0].len, argv, n, out) < 0) {
		x->failed = 1;
		return -1;
	}
	return 0;
}

/* Evaluate a pipeline (declarations and assignments included). */
static int
gt_pipe_eval(struct gt_exec *x, const struct gt_pipe *pp,
    const struct gotmpl_value *dot, struct gotmpl_value *out)
{
	struct gotmpl_value v, prev;
	size_t i;

	memset(&v, 0, sizeof(v)); /* a parsed pipeline has a command */
	for (i = 0; i < pp->ncmds; i++) {
		if (gt_cmd_eval(x, &pp->cmds[i], dot, i ? &prev : NULL, &v) <
		    0) {
			x->failed = 1;
			return -1;
		}
		prev = v;
	}
	*out = v;
	return 0;
}

/* Bind the declared variable of a plain action, if, or with. */
static int
gt_declare(
    struct gt_exec *x, const struct gt_pipe *pp, const struct gotmpl_value *v)
{
	size_t i;

	if (pp->ndecl == 0)
		return 0;
	if (!pp->assign) {
		gt_var_push(x, pp->decl[0], pp->decl_len[0], v);
		return 0;
	}
	for (i = x->nvars; i > 0; i--)
		if (x->vars[i - 1].len == pp->decl_len[0] &&
		    memcmp(x->vars[i - 1].name, pp->decl[0], pp->decl_len[0]) ==
		        0) {
			x->vars[i - 1].v = *v;
			return 0;
		}
	x->failed = 1;
	return -1;
}

static void gt_run(
    struct gt_exec *x, const struct gt_node *n, const struct gotmpl_value *dot);

/* Print the value of an action: escaped for GoHTML; nil as Go prints it. */
static void
gt_print(struct gt_exec *x, const struct gotmpl_value *v)
{
	struct gt_str s = { NULL, 0, 0 }, h = { NULL, 0, 0 };

	if (v->kind == GOTMPL_NIL) {
		if (x->t->flavour == GOTMPL_TEXT)
			gt_out(x, "<no value>", 10);
		return;
	}
	if (v->kind == GOTMPL_STRING && x->t->flavour == GOTMPL_TEXT) {
		gt_out(x, v->s, v->len);
		return;
	}
	gt_format(x, &s, v);
	if (x->t->flavour == GOTMPL_HTML) {
		gt_html(x, &h, s.p ? s.p : "", s.len);
		gt_out(x, h.p ? h.p : "", h.len);
	} else
		gt_out(x, s.p ? s.p : "", s.len);
}

/* Run range over v. */
static void
gt_range(struct gt_exec *x, const struct gt_node *n,
    const struct gotmpl_value *v, const struct gotmpl_value *dot)
{
	size_t i, depth = x->nvars;

	if (v->kind != GOTMPL_LIST && v->kind != GOTMPL_MAP &&
	    v->kind != GOTMPL_NIL && v->kind != GOTMPL_INT) {
		x->failed = 1; /* Go: range can't iterate over a string */
		return;
	}
	if ((v->kind == GOTMPL_INT ? v->i <= 0 : v->n == 0)) {
		if (n->elselist != NULL)
			gt_run(x, n->elselist, dot);
		return;
	}
	for (i = 0;
	     !x->failed && i < (v->kind == GOTMPL_INT ? (size_t)v->i : v->n);
	     i++) {
		struct gotmpl_value key, elem;

		if (++x->steps > GOTMPL_STEPS_MAX) {
			x->failed = 1;
			break;
		}
		memset(&key, 0, sizeof(key));
		if (v->kind == GOTMPL_MAP) {
			gt_string_value(
			    &key, v->entries[i].key, v->entries[i].key_len);
			elem = v->entries[i].v;
		} else {
			key.kind = GOTMPL_INT;
			key.i = (long long)i;
			elem = v->kind == GOTMPL_LIST ? v->items[i] : key;
		}
		if (n->pipe->ndecl == 1)
			gt_var_push(
			    x, n->pipe->decl[0], n->pipe->decl_len[0], &elem);
		else if (n->pipe->ndecl == 2) {
			gt_var_push(
			    x, n->pipe->decl[0], n->pipe->decl_len[0], &key);
			gt_var_push(
			    x, n->pipe->decl[1], n->pipe->decl_len[1], &elem);
		}
		gt_run(x, n->list, &elem);
		x->nvars = depth;
	}
}

/* Run a list of nodes with dot. */
static void
gt_run(
    struct gt_exec *x, const struct gt_node *n, const struct gotmpl_value *dot)
{
	size_t depth = x->nvars;

	for (; n != NULL && !x->failed; n = n->next) {
		struct gotmpl_value v;

		if (++x->steps > GOTMPL_STEPS_MAX) {
			x->failed = 1;
			break;
		}
		if (n->type == N_TEXT) {
			gt_out(x, n->text, n->len);
			continue;
		}
		if (gt_pipe_eval(x, n->pipe, dot, &v) < 0)
			break;
		switch (n->type) {
		case N_ACTION:
			if (n->pipe->ndecl > 0)
				gt_declare(x, n->pipe, &v);
			else
				gt_print(x, &v);
			break;
		case N_IF:
		case N_WITH: {
			size_t d = x->nvars;

			gt_declare(x, n->pipe, &v);
			if (gt_true(&v))
				gt_run(
				    x, n->list, n->type == N_WITH ? &v : dot);
			else if (n->elselist != NULL)
				gt_run(x, n->elselist, dot);
			x->nvars = d;
			break;
		}
		case N_RANGE:
			gt_range(x, n, &v, dot);
			break;
		case N_TEXT:
			break;
		}
	}
	/* Variables live to the end of the control structure they are in. */
	x->nvars = depth;
}

char *
gotmpl_exec(const struct gotmpl *t, const struct gotmpl_value *data,
    struct arena *a, size_t *len)
{
	struct gt_exec x;

	memset(&x, 0, sizeof(x));
	x.t = t;
	x.a = a;
	gt_var_push(&x, "$", 1, data);
	gt_out(&x, "", 0);
	gt_run(&x, t->root, data);
	if (x.failed || x.out == NULL) {
		free(x.out);
		return NULL;
	}
	x.out[x.len] = '\0';
	*len = x.len;
	return x.out;
}
