/* Shared by the Basic, Digest, Key and IDKey authn middleware: credential stores and checks. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "arena.h"
#include "conf_table.h"
#include "handler.h"
#include "kcipher.h"
#include "kenc.h"
#include "khash.h"
#include "kind.h"
#include "middleware/authn.h"
#include "middleware/matcher.h"
#include "request.h"
#include "response.h"

extern char **environ;

/*
 * Config part.
 */

/* A written (not null) member of the PasswordCryptSpec oneof is set. */
#define AUTHN_CONF_MARK(name, type)                                       \
	static void name(struct loader *ld, void *obj, yaml_node_t *node) \
	{                                                                 \
		(void)ld;                                                 \
		((type *)obj)->set = node != NULL && !conf_is_null(node); \
	}
AUTHN_CONF_MARK(authn_conf_mark_bcrypt, struct authn_conf_bcrypt)
AUTHN_CONF_MARK(authn_conf_mark_scrypt, struct authn_conf_scrypt)
AUTHN_CONF_MARK(authn_conf_mark_pbkdf2, struct authn_conf_pbkdf2)
AUTHN_CONF_MARK(authn_conf_mark_argon2, struct authn_conf_argon2)

static const struct conf_field authn_conf_bcrypt_fields[] = {
	FINT("cost", struct authn_conf_bcrypt, cost, 0, 31),
	FEND,
};
static const struct conf_table authn_conf_bcrypt_table = {
	authn_conf_bcrypt_fields, authn_conf_mark_bcrypt
};

static const struct conf_field authn_conf_scrypt_fields[] = {
	FINT("saltLen", struct authn_conf_scrypt, salt_len, 0, 1024),
	FINT("n", struct authn_conf_scrypt, n, 0, INT32_MAX),
	FINT("r", struct authn_conf_scrypt, r, 0, INT32_MAX),
	FINT("p", struct authn_conf_scrypt, p, 0, INT32_MAX),
	FINT("keyLen", struct authn_conf_scrypt, key_len, 0, 1024),
	FEND,
};
static const struct conf_table authn_conf_scrypt_table = {
	authn_conf_scrypt_fields, authn_conf_mark_scrypt
};

static const struct conf_field authn_conf_pbkdf2_fields[] = {
	FINT("saltLen", struct authn_conf_pbkdf2, salt_len, 0, 1024),
	FINT("iter", struct authn_conf_pbkdf2, iter, 0, INT32_MAX),
	FINT("keyLen", struct authn_conf_pbkdf2, key_len, 0, 1024),
	FENUM("hashAlg", struct authn_conf_pbkdf2, hash_alg, khash_names),
	FEND,
};
static const struct conf_table authn_conf_pbkdf2_table = {
	authn_conf_pbkdf2_fields, authn_conf_mark_pbkdf2
};

static const struct conf_field authn_conf_argon2_fields[] = {
	FINT("saltLen", struct authn_conf_argon2, salt_len, 0, 1024),
	FINT("time", struct authn_conf_argon2, time, 0, UINT32_MAX),
	FINT("memory", struct authn_conf_argon2, memory, 0, UINT32_MAX),
	FINT("threads", struct authn_conf_argon2, threads, 0, 255),
	FINT("keyLen", struct authn_conf_argon2, key_len, 0, 1024),
	FEND,
};
static const struct conf_table authn_conf_argon2_table = {
	authn_conf_argon2_fields, authn_conf_mark_argon2
};

/* Exactly one member; checked (and tried once) as AILERON does at start. */
static void
authn_conf_pass_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct authn_conf_pass *p = obj;
	struct kpass_spec *s = &p->spec;
	const struct authn_conf_argon2 *a = NULL;
	char err[256];
	int n;

	p->set = node != NULL && !conf_is_null(node);
	if (!p->set)
		return;
	n = p->bcrypt.set + p->scrypt.set + p->pbkdf2.set + p->argon2i.set +
	    p->argon2id.set;
	if (n != 1) {
		conf_errorn(ld, node,
		    "passwordCrypt: %s of bcrypt, scrypt, pbkdf2, argon2i or "
		    "argon2id",
		    n == 0 ? "one" : "only one");
		return;
	}
	memset(s, 0, sizeof(*s));
	if (p->bcrypt.set) {
		s->method = KPASS_BCRYPT;
		s->cost = p->bcrypt.cost;
	} else if (p->scrypt.set) {
		s->method = KPASS_SCRYPT;
		s->salt_len = p->scrypt.salt_len;
		s->n = p->scrypt.n;
		s->r = p->scrypt.r;
		s->p = p->scrypt.p;
		s->key_len = p->scrypt.key_len;
	} else if (p->pbkdf2.set) {
		s->method = KPASS_PBKDF2;
		s->salt_len = p->pbkdf2.salt_len;
		s->iter = p->pbkdf2.iter;
		s->key_len = p->pbkdf2.key_len;
		s->hash_alg = p->pbkdf2.hash_alg;
	} else {
		s->method = p->argon2i.set ? KPASS_ARGON2I : KPASS_ARGON2ID;
		a = p->argon2i.set ? &p->argon2i : &p->argon2id;
		s->salt_len = (int)a->salt_len;
		s->time = (uint32_t)a->time;
		s->memory = (uint32_t)a->memory;
		s->threads = (uint32_t)a->threads;
		s->key_len = (int)a->key_len;
	}
	if (kpass_check(s, err, sizeof(err)) == -1)
		conf_errorn(ld, node, "passwordCrypt: %s", err);
}

static const struct conf_field authn_conf_pass_fields[] = {
	FOBJ(
	    "bcrypt", struct authn_conf_pass, bcrypt, &authn_conf_bcrypt_table),
	FOBJ(
	    "scrypt", struct authn_conf_pass, scrypt, &authn_conf_scrypt_table),
	FOBJ(
	    "pbkdf2", struct authn_conf_pass, pbkdf2, &authn_conf_pbkdf2_table),
	FOBJ("argon2i", struct authn_conf_pass, argon2i,
	    &authn_conf_argon2_table),
	FOBJ("argon2id", struct authn_conf_pass, argon2id,
	    &authn_conf_argon2_table),
	FEND,
};
const struct conf_table authn_conf_pass_table = { authn_conf_pass_fields,
	authn_conf_pass_check };

/* An envProvider written (not null) replaces the default provider. */
void
authn_conf_env_mark(struct loader *ld, void *obj, yaml_node_t *node)
{
	(void)ld;
	((struct authn_conf_env *)obj)->set =
	    node != NULL && !conf_is_null(node);
}

AUTHN_CONF_MARK(authn_conf_mark_file, struct authn_conf_file)

static const struct conf_field authn_conf_file_fields[] = {
	FSTRS("paths", struct authn_conf_file, paths, npaths, 0),
	FENUM("encoding", struct authn_conf_file, encoding, kenc_names),
	FEND,
};
const struct conf_table authn_conf_file_table = { authn_conf_file_fields,
	authn_conf_mark_file };

/* Where a credential came from, for errors (never its secret). */
struct authn_conf_src {
	const char *file; /* or the environment variable */
	size_t line;      /* 0: an environment variable */
};

/* A growing list of credentials while loading. */
struct authn_conf_list {
	struct authn_cred *v;
	struct authn_conf_src *src;
	size_t n, cap;
};

static const char *
authn_conf_where(const struct authn_conf_src *s, char *buf, size_t size)
{
	if (s->line == 0)
		snprintf(buf, size, "environment variable %s", s->file);
	else
		snprintf(buf, size, "%s line %zu", s->file, s->line);
	return buf;
}

/*
 * Attributes (the text after the secret) must be a JSON object: read
 * with libyaml, whose flow syntax JSON is.  1 if it is one.
 */
static int
authn_conf_attrs_ok(const char *s, size_t n)
{
	yaml_parser_t p;
	yaml_document_t d;
	yaml_node_t *root;
	int ok = 0;

	if (n == 0 || s[0] != '{' || s[n - 1] != '}')
		return 0;
	if (!yaml_parser_initialize(&p))
		return 0;
	yaml_parser_set_input_string(&p, (const unsigned char *)s, n);
	if (yaml_parser_load(&p, &d)) {
		root = yaml_document_get_root_node(&d);
		ok = root != NULL && root->type == YAML_MAPPING_NODE;
		yaml_document_delete(&d);
	}
	yaml_parser_delete(&p);
	return ok;
}

/* Add one credential, its secret decoded; -1 after reporting. */
static int
authn_conf_add(struct loader *ld, yaml_node_t *node, struct authn_conf_list *l,
    const struct authn_conf_src *src, int encoding, const char *what,
    const char *name, size_t nlen, const char *secret, size_t slen)
{
	struct authn_cred *c;
	unsigned char *buf;
	size_t len;
	char where[512];

	if (name != NULL && nlen == 0) {
		conf_errorn(ld, node, "%s: empty %s",
		    authn_conf_where(src, where, sizeof(where)), what);
		return -1;
	}
	if (slen == 0) {
		conf_errorn(ld, node, "%s: empty secret",
		    authn_conf_where(src, where, sizeof(where)));
		return -1;
	}
	if (encoding == KENC_UNKNOWN) {
		buf = arena_alloc(ld->arena, slen + 1);
		memcpy(buf, secret, slen);
		len = slen;
	} else {
		buf = arena_alloc(ld->arena,
		    kenc_decoded_max((enum kenc_type)encoding, slen) + 1);
		if (kenc_decode((enum kenc_type)encoding, secret, slen, buf,
		        &len) == -1 ||
		    len == 0) {
			conf_errorn(ld, node, "%s: the secret is not valid %s",
			    authn_conf_where(src, where, sizeof(where)),
			    kname_name(kenc_names, encoding));
			return -1;
		}
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;

		l->v = arena_realloc(ld->arena, l->v, l->cap * sizeof(*l->v),
		    cap * sizeof(*l->v));
		l->src = arena_realloc(ld->arena, l->src,
		    l->cap * sizeof(*l->src), cap * sizeof(*l->src));
		l->cap = cap;
	}
	c = &l->v[l->n];
	l->src[l->n++] = *src;
	c->name = name != NULL ? arena_strndup(ld->arena, name, nlen) : NULL;
	c->name_len = nlen;
	c->secret = buf;
	c->secret_len = len;
	if (khash_sum(KHASH_SHA256, buf, len, c->digest) < 0)
		fatalx("SHA-256 failed");
	return 0;
}

/* Go's strconv.Atoi: an optional sign and decimal digits. */
static int
authn_conf_atoi(const char *s, size_t n, long *v)
{
	char buf[32], *end;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (buf[0] == ' ' ||
	    (buf[0] != '+' && buf[0] != '-' && (buf[0] < '0' || buf[0] > '9')))
		return -1;
	errno = 0;
	*v = strtol(buf, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

/* One variable of the environment: <prefix><n>=value. */
struct authn_conf_var {
	const char *var; /* the whole "NAME=value" */
	long num;
	const char *value;
};

/* The variables starting with prefix, numbered (Key: any suffix). */
static size_t
authn_conf_vars(struct loader *ld, const char *prefix, int numbered,
    struct authn_conf_var **out)
{
	size_t plen = strlen(prefix), n = 0, cap = 0;
	struct authn_conf_var *v = NULL;
	char **e;

	for (e = environ; e != NULL && *e != NULL; e++) {
		const char *eq = strchr(*e, '=');
		long num = 0;

		if (eq == NULL || eq[1] == '\0' ||
		    strncmp(*e, prefix, plen) != 0)
			continue;
		if (numbered &&
		    authn_conf_atoi(
		        *e + plen, (size_t)(eq - *e) - plen, &num) == -1)
			continue;
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 16;

			v = arena_realloc(
			    ld->arena, v, cap * sizeof(*v), nc * sizeof(*v));
			cap = nc;
		}
		v[n].var = arena_strndup(ld->arena, *e, (size_t)(eq - *e));
		v[n].num = num;
		v[n++].value = eq + 1;
	}
	*out = v;
	return n;
}

/* Credentials from the environment; -1 after reporting. */
static int
authn_conf_env_load(struct loader *ld, yaml_node_t *node,
    const struct authn_conf_env *env, enum authn_form form, const char *what,
    struct authn_conf_list *l)
{
	struct authn_conf_var *names, *secrets;
	struct authn_conf_src src;
	size_t nn, ns, i, j;
	int rc = 0;

	if (form == AUTHN_KEYS) {
		ns = authn_conf_vars(ld, env->p1, 0, &secrets);
		for (i = 0; i < ns; i++) {
			src = (struct authn_conf_src) { secrets[i].var, 0 };
			if (authn_conf_add(ld, node, l, &src, env->encoding,
			        what, NULL, 0, secrets[i].value,
			        strlen(secrets[i].value)) == -1)
				rc = -1;
		}
		return rc;
	}
	nn = authn_conf_vars(ld, env->p1, 1, &names);
	ns = authn_conf_vars(ld, env->p2, 1, &secrets);
	for (i = 0; i < nn; i++)
		for (j = 0; j < ns; j++) {
			if (names[i].num != secrets[j].num)
				continue;
			src = (struct authn_conf_src) { secrets[j].var, 0 };
			if (authn_conf_add(ld, node, l, &src, env->encoding,
			        what, names[i].value, strlen(names[i].value),
			        secrets[j].value,
			        strlen(secrets[j].value)) == -1)
				rc = -1;
			break;
		}
	return rc;
}

/* Read a whole credential file (bounded); NULL after reporting. */
static char *
authn_conf_read(
    struct loader *ld, yaml_node_t *node, const char *path, size_t *len)
{
	FILE *f;
	char *buf;
	size_t n;

	if ((f = fopen(path, "r")) == NULL) {
		conf_errorn(ld, node, "fileProvider: cannot open %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	buf = malloc(AUTHN_MAX_FILE + 1);
	if (buf == NULL)
		fatal("malloc");
	n = fread(buf, 1, AUTHN_MAX_FILE + 1, f);
	if (ferror(f) || n > AUTHN_MAX_FILE) {
		conf_errorn(ld, node, "fileProvider: %s: %s", path,
		    ferror(f) ? strerror(errno) : "larger than 16 MiB");
		fclose(f);
		OPENSSL_cleanse(buf, n > AUTHN_MAX_FILE ? AUTHN_MAX_FILE : n);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Is c one of Go's bytes.Trim set " \n\r\t\f"? */
static int
authn_conf_space(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f';
}

/* One file's lines; -1 after reporting (every bad line is reported). */
static int
authn_conf_file_load(struct loader *ld, yaml_node_t *node, const char *path,
    int encoding, enum authn_form form, const char *what,
    struct authn_conf_list *l)
{
	struct authn_conf_src src = { arena_strdup(ld->arena, path), 0 };
	char *buf, *p, *end, *eol, where[512];
	size_t len;
	int rc = 0;

	if ((buf = authn_conf_read(ld, node, path, &len)) == NULL)
		return -1;
	for (p = buf, end = buf + len; p < end; p = eol + 1) {
		const char *name = NULL, *sec, *attrs = NULL, *c;
		size_t nlen = 0, slen, alen = 0;
		char *s = p, *e;

		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		src.line++;
		e = eol;
		while (s < e && authn_conf_space(*s))
			s++;
		while (e > s && authn_conf_space(e[-1]))
			e--;
		if (s == e || *s == '#')
			continue;
		sec = s;
		if (form == AUTHN_PAIRS) {
			if ((c = memchr(s, ':', (size_t)(e - s))) == NULL) {
				conf_errorn(ld, node, "%s: expected %s:secret",
				    authn_conf_where(
				        &src, where, sizeof(where)),
				    what);
				rc = -1;
				continue;
			}
			name = s;
			nlen = (size_t)(c - s);
			sec = c + 1;
		}
		slen = (size_t)(e - sec);
		if ((c = memchr(sec, ':', slen)) != NULL) {
			attrs = c + 1;
			alen = (size_t)(e - attrs);
			slen = (size_t)(c - sec);
		}
		if (attrs != NULL && !authn_conf_attrs_ok(attrs, alen)) {
			conf_errorn(ld, node,
			    "%s: the text after the %s is not a JSON object",
			    authn_conf_where(&src, where, sizeof(where)),
			    form == AUTHN_PAIRS ? "secret" : "key");
			rc = -1;
			continue;
		}
		if (authn_conf_add(ld, node, l, &src, encoding, what, name,
		        nlen, sec, slen) == -1)
			rc = -1;
	}
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

/* conf_free: wipe the secrets of a store. */
static void
authn_conf_wipe(void *arg)
{
	struct authn_store *st = arg;
	size_t i;

	for (i = 0; i < st->n; i++)
		OPENSSL_cleanse(st->v[i].secret, st->v[i].secret_len);
}

static int
authn_cmp_name(const void *a, const void *b)
{
	const struct authn_cred *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);

	if (c != 0)
		return c;
	return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

static int
authn_cmp_digest(const void *a, const void *b)
{
	const struct authn_cred *x = a, *y = b;

	return memcmp(x->digest, y->digest, sizeof(x->digest));
}

/* A credential with where it came from, while sorting. */
struct authn_conf_sorted {
	struct authn_cred c; /* first: the comparisons below take it */
	struct authn_conf_src s;
	size_t idx; /* its place in the input: equal ones keep their order */
};

static int
authn_conf_cmp_idx(const void *a, const void *b)
{
	const struct authn_conf_sorted *x = a, *y = b;

	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int
authn_conf_cmp_name(const void *a, const void *b)
{
	int c = authn_cmp_name(a, b);

	return c != 0 ? c : authn_conf_cmp_idx(a, b);
}

static int
authn_conf_cmp_digest(const void *a, const void *b)
{
	int c = authn_cmp_digest(a, b);

	return c != 0 ? c : authn_conf_cmp_idx(a, b);
}

/*
 * Sort l for the lookups, then report each duplicate (the later one) with
 * its origin.
 */
static void
authn_conf_sort(struct loader *ld, yaml_node_t *at, struct authn_conf_list *l,
    enum authn_form form, const char *what)
{
	struct authn_conf_sorted *tmp =
	    arena_alloc(ld->arena, l->n * sizeof(*tmp));
	char where[512];
	size_t i;

	for (i = 0; i < l->n; i++) {
		tmp[i].c = l->v[i];
		tmp[i].s = l->src[i];
		tmp[i].idx = i;
	}
	qsort(tmp, l->n, sizeof(*tmp),
	    form == AUTHN_KEYS ? authn_conf_cmp_digest : authn_conf_cmp_name);
	for (i = 0; i < l->n; i++) {
		l->v[i] = tmp[i].c;
		l->src[i] = tmp[i].s;
	}
	for (i = 1; i < l->n; i++) {
		const struct authn_cred *a = &l->v[i - 1];

		if ((form == AUTHN_KEYS ? authn_cmp_digest(a, &l->v[i])
		                        : authn_cmp_name(a, &l->v[i])) != 0)
			continue;
		if (a->name != NULL)
			conf_errorn(ld, at, "%s: duplicate %s \"%s\"",
			    authn_conf_where(&l->src[i], where, sizeof(where)),
			    what, a->name);
		else
			conf_errorn(ld, at, "%s: duplicate %s",
			    authn_conf_where(&l->src[i], where, sizeof(where)),
			    what);
	}
}

void
authn_conf_load(struct loader *ld, yaml_node_t *node,
    const struct authn_conf_env *env, const struct authn_conf_file *file,
    enum authn_form form, const char *what, struct authn_store *st)
{
	struct authn_conf_list l = { NULL, NULL, 0, 0 };
	yaml_node_t *at;
	size_t i;
	int rc = 0;

	memset(st, 0, sizeof(*st));
	if (env->set && file->set) {
		conf_errorn(ld, node,
		    "only one of envProvider and fileProvider may be set");
		return;
	}
	if (file->set) {
		at = conf_field_node(ld, node, "fileProvider");
		for (i = 0; i < file->npaths; i++)
			if (authn_conf_file_load(ld, at, file->paths[i],
			        file->encoding, form, what, &l) == -1)
				rc = -1;
	} else {
		at = conf_field_node(ld, node, "envProvider");
		rc = authn_conf_env_load(ld, at, env, form, what, &l);
	}
	st->v = l.v;
	st->n = l.n;
	conf_at_free(ld, authn_conf_wipe, st);
	if (rc == -1 || st->n == 0)
		return;
	authn_conf_sort(ld, at, &l, form, what);
}

void
authn_conf_decrypt(struct loader *ld, yaml_node_t *node, struct authn_store *st,
    int cipher, const char *crypt_secret, const char *what)
{
	unsigned char key[96], *out; /* 88 base64 characters at most */
	size_t klen, olen, i;
	const char *err;
	yaml_node_t *at = conf_field_node(ld, node, "cryptSecret");

	if (crypt_secret == NULL || crypt_secret[0] == '\0')
		return;
	if (cipher == KCIPHER_UNKNOWN) {
		conf_errorn(ld, at, "cryptSecret needs commonKeyCryptType");
		return;
	}
	if (strlen(crypt_secret) > 88 ||
	    kenc_decode(KENC_BASE64, crypt_secret, strlen(crypt_secret), key,
	        &klen) == -1 ||
	    !kcipher_key_ok(klen)) {
		conf_errorn(ld, at,
		    "cryptSecret: expected the base64 of a 16, 24 or 32-byte "
		    "key");
		OPENSSL_cleanse(key, sizeof(key));
		return;
	}
	for (i = 0; i < st->n; i++) {
		struct authn_cred *c = &st->v[i];

		out = arena_alloc(ld->arena, c->secret_len + 1);
		if (kcipher_decrypt((enum kcipher_type)cipher, key, klen,
		        c->secret, c->secret_len, out, &olen, &err) == -1) {
			conf_errorn(ld, at,
			    "cannot decrypt the secret of %s "
			    "\"%s\": %s",
			    what, c->name != NULL ? c->name : "?", err);
			continue;
		}
		OPENSSL_cleanse(c->secret, c->secret_len);
		c->secret = out;
		c->secret_len = olen;
		if (khash_sum(KHASH_SHA256, out, olen, c->digest) < 0)
			fatalx("SHA-256 failed");
	}
	OPENSSL_cleanse(key, sizeof(key));
}

void
authn_conf_refs(struct loader *ld, struct authn_conf_common *c)
{
	struct conf_doc *d;

	if (c->logger != NULL)
		(void)conf_resolve_ref(ld, c->logger, KIND_ROLE_LOGGER);
	if (c->eh_ref != NULL &&
	    (d = conf_resolve_ref(ld, c->eh_ref, KIND_ROLE_ERRHANDLER)) != NULL)
		c->eh = d->obj;
}

int
authn_conf_hmac(struct loader *ld, yaml_node_t *node, int alg,
    const char *hmac_secret, unsigned char **key, size_t *klen)
{
	yaml_node_t *at = conf_field_node(ld, node, "hmacSecret");
	size_t n;

	*key = NULL;
	*klen = 0;
	if (hmac_secret == NULL || hmac_secret[0] == '\0')
		return 0;
	if (alg == KHASH_UNKNOWN) {
		conf_errorn(ld, at, "hmacSecret needs hashAlg");
		return -1;
	}
	if (!khash_hmac_ok((enum khash_alg)alg)) {
		conf_errorn(ld, at, "hashAlg %s cannot make an HMAC",
		    kname_name(khash_names, alg));
		return -1;
	}
	n = strlen(hmac_secret);
	*key = arena_alloc(ld->arena, kenc_decoded_max(KENC_BASE64, n) + 1);
	if (kenc_decode(KENC_BASE64, hmac_secret, n, *key, klen) == -1 ||
	    *klen == 0) {
		conf_errorn(ld, at, "hmacSecret: expected base64");
		return -1;
	}
	return 0;
}

/*
 * Runtime part.
 */

const struct authn_cred *
authn_find(const struct authn_store *st, const char *name, size_t len)
{
	struct authn_cred key = { 0 };

	if (st->n == 0)
		return NULL;
	key.name = (char *)(uintptr_t)name;
	key.name_len = len;
	return bsearch(&key, st->v, st->n, sizeof(*st->v), authn_cmp_name);
}

const struct authn_cred *
authn_find_secret(
    const struct authn_store *st, const unsigned char *s, size_t len)
{
	struct authn_cred key = { 0 };
	const struct authn_cred *c;

	/*
	 * The search compares digests, so its timing says nothing useful
	 * about the stored secrets; the secret itself is then compared in
	 * constant time.
	 */
	if (st->n == 0 || khash_sum(KHASH_SHA256, s, len, key.digest) < 0)
		return NULL;
	c = bsearch(&key, st->v, st->n, sizeof(*st->v), authn_cmp_digest);
	if (c == NULL || !authn_equal(c->secret, c->secret_len, s, len))
		return NULL;
	return c;
}

int
authn_equal(
    const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	unsigned char da[32], db[32];

	/* Digests of both: equal lengths, constant-time comparison. */
	if (khash_sum(KHASH_SHA256, a, alen, da) < 0 ||
	    khash_sum(KHASH_SHA256, b, blen, db) < 0)
		return 0;
	return CRYPTO_memcmp(da, db, sizeof(da)) == 0 && alen == blen;
}

long
authn_transform(int alg, const unsigned char *hmac, size_t hlen,
    const char *key, size_t n, unsigned char *out, size_t size)
{
	int rc;

	if (hlen > 0)
		rc = khash_hmac((enum khash_alg)alg, hmac, hlen, key, n, out);
	else if (alg != KHASH_UNKNOWN)
		rc = khash_sum((enum khash_alg)alg, key, n, out);
	else {
		if (n > size)
			return -1;
		memcpy(out, key, n);
		return (long)n;
	}
	return rc;
}

void
authn_drop_header(struct request *r, const char *name)
{
	const struct http_msg *m = r->msg;
	size_t i, len = strlen(name);

	for (i = 0; i < m->nfields && i < HTTP_MAX_HEADERS; i++)
		if (m->fields[i].name.len == len &&
		    strncasecmp(r->buf + m->fields[i].name.off, name, len) == 0)
			r->drop[i / 64] |= (uint64_t)1 << (i % 64);
}

const char *
authn_header(const struct request *r, const char *name, size_t *len)
{
	const char *v = mw_request_header_span(r, name, len);

	return v != NULL && *len > 0 ? v : NULL;
}

int
authn_error(struct request *r, const struct authn_conf_common *c, int status,
    const char *code)
{
	if (c->eh != NULL)
		r->errhandler = c->eh;
	return response_error(r, status, code) < 0 ? HANDLER_ABORT : HANDLER_OK;
}

int
authn_basic_parse(const char *v, size_t n, char *buf, const char **user,
    size_t *ulen, const char **pass, size_t *plen)
{
	size_t len;
	char *c;

	if (n < 6 || strncasecmp(v, "Basic ", 6) != 0)
		return -1;
	if (kenc_decode(KENC_BASE64, v + 6, n - 6, buf, &len) == -1)
		return -1;
	if ((c = memchr(buf, ':', len)) == NULL)
		return -1;
	*user = buf;
	*ulen = (size_t)(c - buf);
	*pass = c + 1;
	*plen = len - *ulen - 1;
	return 0;
}

/* Is c a tchar of RFC 9110? */
static int
authn_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

/* Skip spaces and tabs. */
static const char *
authn_ows(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* The member of d that parameter name[0..n) fills, or NULL. */
static const char **
authn_digest_slot(struct authn_digest *d, const char *name, size_t n)
{
	static const struct {
		const char *name;
		size_t off;
	} keys[] = {
		{ "username", offsetof(struct authn_digest, username) },
		{ "realm", offsetof(struct authn_digest, realm) },
		{ "nonce", offsetof(struct authn_digest, nonce) },
		{ "uri", offsetof(struct authn_digest, uri) },
		{ "response", offsetof(struct authn_digest, response) },
		{ "algorithm", offsetof(struct authn_digest, algorithm) },
		{ "cnonce", offsetof(struct authn_digest, cnonce) },
		{ "opaque", offsetof(struct authn_digest, opaque) },
		{ "qop", offsetof(struct authn_digest, qop) },
		{ "nc", offsetof(struct authn_digest, nc) },
		{ "userhash", offsetof(struct authn_digest, userhash) },
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].name) == n &&
		    strncasecmp(keys[i].name, name, n) == 0)
			return (const char **)(void *)((char *)d + keys[i].off);
	return NULL;
}

int
authn_digest_parse(const char *v, size_t n, char *buf, struct authn_digest *d)
{
	const char *p, *end = v + n, *key, **slot;
	char *o = buf, *val;
	size_t klen;

	memset(d, 0, sizeof(*d));
	if (n < 7 || strncasecmp(v, "Digest", 6) != 0 ||
	    (v[6] != ' ' && v[6] != '\t'))
		return -1;
	for (p = v + 7;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		if (p == end)
			return 0;
		for (key = p; p < end && authn_tchar((unsigned char)*p); p++)
			;
		if ((klen = (size_t)(p - key)) == 0)
			return -1;
		p = authn_ows(p, end);
		if (p == end || *p++ != '=')
			return -1;
		p = authn_ows(p, end);
		val = o;
		if (p < end && *p == '"') {
			for (p++; p < end && *p != '"'; p++) {
				if (*p == '\\' && ++p == end)
					return -1;
				*o++ = *p;
			}
			if (p++ == end)
				return -1; /* no closing quote */
		} else {
			for (; p < end && authn_tchar((unsigned char)*p); p++)
				*o++ = *p;
			if (o == val)
				return -1;
		}
		*o++ = '\0';
		if ((slot = authn_digest_slot(d, key, klen)) != NULL) {
			if (*slot != NULL)
				return -1; /* repeated */
			*slot = val;
		}
		p = authn_ows(p, end);
		if (p < end && *p != ',')
			return -1;
	}
}
