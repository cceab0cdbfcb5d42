/* AILERON's ReplacerSpec: the fifteen value replacers of HTTPLogger and SLogger. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <pcre2.h>

#include "arena.h"
#include "kcipher.h"
#include "kenc.h"
#include "khash.h"
#include "replacer.h"

/*
 * Backtracking steps allowed per match: RE2 (Go) is linear, PCRE2 is not,
 * and the subject is a client's header.  Past it the value is an error.
 */
#define RX_MATCH_LIMIT   1000000
#define RX_DFA_WORKSPACE 4096 /* ints for pcre2_dfa_match() */

const struct kname replacer_names[] = {
	{ "fixed", REPLACER_FIXED },
	{ "value", REPLACER_VALUE },
	{ "left", REPLACER_LEFT },
	{ "right", REPLACER_RIGHT },
	{ "trim", REPLACER_TRIM },
	{ "trimLeft", REPLACER_TRIM_LEFT },
	{ "trimRight", REPLACER_TRIM_RIGHT },
	{ "trimPrefix", REPLACER_TRIM_PREFIX },
	{ "trimSuffix", REPLACER_TRIM_SUFFIX },
	{ "encode", REPLACER_ENCODE },
	{ "hash", REPLACER_HASH },
	{ "regexp", REPLACER_REGEXP },
	{ "expand", REPLACER_EXPAND },
	{ "encrypt", REPLACER_ENCRYPT },
	{ "hmac", REPLACER_HMAC },
	{ NULL, 0 },
};

/*
 * A compiled pattern.  Go's regexp is leftmost-first (like PCRE2) or, with
 * posix, leftmost-longest, which PCRE2's backtracker cannot do.  For posix
 * pcre2_dfa_match() finds the longest match at the leftmost position; the
 * groups, when a template needs them, come from a second pattern
 * "(?:pat)(?C1)" run anchored there, whose callout rejects every path not
 * ending where the DFA did: the groups a backtracker finds first among the
 * longest matches, which is the choice Go documents.  The DFA cannot take
 * invalid UTF-8, so such subjects go to byte-mode copies of both.
 */
struct rx {
	pcre2_code *code; /* perl: UTF + MATCH_INVALID_UTF; posix: UTF DFA */
	pcre2_code *sub;  /* posix: the anchored group finder */
	pcre2_code *bcode, *bsub; /* posix: byte-mode copies (may be NULL) */
	pcre2_match_data *md;
	pcre2_match_data *dmd;
	pcre2_match_context *mctx;
	int *ws;
	PCRE2_SIZE *ov; /* 2 * (ncap + 1): the last match and its groups */
	uint32_t ncap;
	int posix;
	size_t want_end; /* posix: where the callout lets a match end */
};

/* One piece of a template: literal text, a group or nothing (SEG_NONE). */
#define SEG_LITERAL (-2)
#define SEG_NONE    (-1)
struct rseg {
	int group; /* group number, SEG_LITERAL or SEG_NONE */
	size_t off, len;
};

struct replacer {
	const struct replacer_spec *spec;
	int kind;
	struct rx *rx;      /* NULL: the whole value */
	unsigned char *key; /* hmac key, AES key (hex-decoded) */
	size_t klen;
	const char *tmpl; /* regexp.replace or expand.template */
	struct rseg *segs;
	size_t nsegs;
	int need_groups; /* a segment names a group */
};

/* Output that grows in the arena. */
struct rbuf {
	struct arena *a;
	char *p;
	size_t len, cap;
};

int
replacer_from_name(const char *name, enum replacer_kind *kind)
{
	int v;

	if (kname_lookup(replacer_names, name, &v) == -1)
		return -1;
	*kind = (enum replacer_kind)v;
	return 0;
}

/* UTF-8 as Go decodes it. */

/*
 * Decode the code point at p[0..n) into *cp as Go's utf8.DecodeRune: its
 * width (0 if n is 0), or width 1 and U+FFFD if the bytes are not UTF-8.
 */
static size_t
utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t w, i;
	uint32_t c;

	if (n == 0)
		return 0;
	*cp = 0xfffd;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		w = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		w = 3;
		c = p[0] & 0x0f;
		lo = p[0] == 0xe0 ? 0xa0 : 0x80;
		hi = p[0] == 0xed ? 0x9f : 0xbf;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		w = 4;
		c = p[0] & 0x07;
		lo = p[0] == 0xf0 ? 0x90 : 0x80;
		hi = p[0] == 0xf4 ? 0x8f : 0xbf;
	} else
		return 1;
	if (n < w || p[1] < lo || p[1] > hi)
		return 1;
	for (i = 1; i < w; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 1;
		c = (c << 6) | (p[i] & 0x3f);
	}
	*cp = c;
	return w;
}

/* The last code point of p[0..n), as Go's utf8.DecodeLastRune: its width. */
static size_t
utf8_decode_last(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t start, lim;

	if (n == 0)
		return 0;
	start = n - 1;
	if (p[start] < 0x80) {
		*cp = p[start];
		return 1;
	}
	lim = n > 4 ? n - 4 : 0;
	while (start > lim && (p[start] & 0xc0) == 0x80)
		start--;
	if (utf8_decode(p + start, n - start, cp) != n - start) {
		*cp = 0xfffd;
		return 1;
	}
	return n - start;
}

/* Offset of the first byte at or after i that is not UTF-8 (n if none). */
static size_t
utf8_invalid_at(const char *p, size_t n, size_t i)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t w;
	uint32_t cp;

	while (i < n) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if ((w = utf8_decode(u + i, n - i, &cp)) == 1)
			return i;
		i += w;
	}
	return n;
}

/* Whether p[0..n) is valid UTF-8. */
static int
utf8_valid(const char *p, size_t n)
{
	return utf8_invalid_at(p, n, 0) == n;
}

/* Output buffer. */

static void
rbuf_init(struct rbuf *b, struct arena *a, size_t hint)
{
	b->a = a;
	b->len = 0;
	b->cap = hint < 64 ? 64 : hint;
	b->p = arena_alloc(a, b->cap);
}

/* Room for n more bytes at b->p + b->len. */
static char *
rbuf_room(struct rbuf *b, size_t n)
{
	size_t cap;

	if (n > b->cap - b->len) {
		cap = b->cap * 2 > b->len + n ? b->cap * 2 : b->len + n;
		b->p = arena_realloc(b->a, b->p, b->len, cap);
		b->cap = cap;
	}
	return b->p + b->len;
}

static void
rbuf_put(struct rbuf *b, const void *s, size_t n)
{
	if (n == 0)
		return;
	memcpy(rbuf_room(b, n), s, n);
	b->len += n;
}

static void
rbuf_puts(struct rbuf *b, const char *s)
{
	rbuf_put(b, s, strlen(s));
}

/* n times s. */
static void
rbuf_repeat(struct rbuf *b, const char *s, size_t n)
{
	size_t l = strlen(s);

	while (n-- > 0)
		rbuf_put(b, s, l);
}

/* "!ERROR[msg]": what a failed replacement writes instead of the data. */
static void
rbuf_error(struct rbuf *b, const char *msg)
{
	rbuf_puts(b, "!ERROR[");
	rbuf_puts(b, msg);
	rbuf_puts(b, "]");
}

/* Code points of p[0..n) with each invalid byte as U+FFFD (Go's string([]rune)). */
static void
rbuf_put_runes(struct rbuf *b, const char *p, size_t n)
{
	size_t start = 0, bad;

	for (;;) {
		bad = utf8_invalid_at(p, n, start);
		rbuf_put(b, p + start, bad - start);
		if (bad == n)
			return;
		rbuf_put(b, "\xef\xbf\xbd", 3);
		start = bad + 1;
	}
}

/* Regular expressions. */

/* The callout of the group finder: only a path ending at want_end goes on. */
static int
rx_callout(pcre2_callout_block *cb, void *arg)
{
	const struct rx *rx = arg;

	return cb->current_position == rx->want_end ? 0 : 1;
}

static void
rx_free(struct rx *rx)
{
	if (rx == NULL)
		return;
	pcre2_code_free(rx->code);
	pcre2_code_free(rx->sub);
	pcre2_code_free(rx->bcode);
	pcre2_code_free(rx->bsub);
	pcre2_match_data_free(rx->md);
	pcre2_match_data_free(rx->dmd);
	pcre2_match_context_free(rx->mctx);
	free(rx->ws);
	free(rx->ov);
	free(rx);
}

/* Compile pat with opts; NULL with a message in err (if not NULL). */
static pcre2_code *
rx_pcre2(
    const char *pat, uint32_t opts, const char *what, char *err, size_t errsize)
{
	char msg[256];
	PCRE2_SIZE off;
	pcre2_code *code;
	int rc;

	code = pcre2_compile(
	    (PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, opts, &rc, &off, NULL);
	if (code == NULL && err != NULL) {
		pcre2_get_error_message(rc, (PCRE2_UCHAR *)msg, sizeof(msg));
		snprintf(err, errsize,
		    "invalid pattern for %s `%s`: %s at offset %zu", what, pat,
		    msg, (size_t)off);
	}
	return code;
}

/* The anchored group finder of a posix pattern: "(?:pat\E)(?C1)". */
static pcre2_code *
rx_pcre2_sub(const char *pat, uint32_t opts)
{
	size_t n = strlen(pat) + 16;
	pcre2_code *code;
	char *p;

	if ((p = malloc(n)) == NULL)
		return NULL;
	snprintf(p, n, "(?:%s\\E)(?C1)", pat);
	code = rx_pcre2(p, opts | PCRE2_NO_AUTO_POSSESS, NULL, NULL, 0);
	free(p);
	return code;
}

/* Compile a pattern (Go's regexp or, with posix, leftmost-longest). */
static struct rx *
rx_compile(const char *pat, int posix, char *err, size_t errsize)
{
	const uint32_t common =
	    PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C;
	uint32_t backrefs = 0;
	struct rx *rx;

	if ((rx = calloc(1, sizeof(*rx))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	rx->posix = posix;
	rx->code =
	    rx_pcre2(pat, posix ? common : common | PCRE2_MATCH_INVALID_UTF,
	        posix ? "RegexPOSIX" : "Regex", err, errsize);
	if (rx->code == NULL)
		goto fail;
	pcre2_pattern_info(rx->code, PCRE2_INFO_CAPTURECOUNT, &rx->ncap);
	pcre2_pattern_info(rx->code, PCRE2_INFO_BACKREFMAX, &backrefs);
	if (posix && backrefs > 0) {
		snprintf(err, errsize,
		    "invalid pattern for RegexPOSIX `%s`: backreferences "
		    "are not POSIX",
		    pat);
		goto fail;
	}
	if ((rx->md = pcre2_match_data_create(rx->ncap + 1, NULL)) == NULL ||
	    (rx->dmd = pcre2_match_data_create(1, NULL)) == NULL ||
	    (rx->mctx = pcre2_match_context_create(NULL)) == NULL ||
	    (rx->ov = calloc(2 * (rx->ncap + 1), sizeof(*rx->ov))) == NULL)
		goto nomem;
	pcre2_set_match_limit(rx->mctx, RX_MATCH_LIMIT);
	pcre2_set_callout(rx->mctx, rx_callout, rx);
	if (posix) {
		if ((rx->ws = calloc(RX_DFA_WORKSPACE, sizeof(int))) == NULL ||
		    (rx->sub = rx_pcre2_sub(pat, common)) == NULL)
			goto nomem;
		/* Byte mode cannot take every UTF pattern (\x{100}): then NULL. */
		rx->bcode = rx_pcre2(pat, common & ~PCRE2_UTF, NULL, NULL, 0);
		rx->bsub = rx_pcre2_sub(pat, common & ~PCRE2_UTF);
	}
	return rx;
nomem:
	snprintf(err, errsize, "out of memory");
fail:
	rx_free(rx);
	return NULL;
}

/*
 * The first match of rx in s[0..len) at or after pos into rx->ov (groups
 * only if groups is set; utf: s is valid UTF-8): 1, 0 if none, or -1 with
 * *err set.
 */
static int
rx_find(struct rx *rx, const char *s, size_t len, size_t pos, int groups,
    int utf, const char **err)
{
	const PCRE2_SIZE *ov;
	pcre2_code *code = rx->code, *sub = rx->sub;
	uint32_t i, n;
	int rc;

	for (i = 0; i < 2 * (rx->ncap + 1); i++)
		rx->ov[i] = PCRE2_UNSET;
	if (!rx->posix) {
		rc = pcre2_match(
		    code, (PCRE2_SPTR)s, len, pos, 0, rx->md, rx->mctx);
		if (rc == PCRE2_ERROR_NOMATCH)
			return 0;
		if (rc < 0)
			goto error;
		ov = pcre2_get_ovector_pointer(rx->md);
		n = pcre2_get_ovector_count(rx->md);
		memcpy(rx->ov, ov, 2 * n * sizeof(*ov));
		return 1;
	}
	if (!utf) {
		code = rx->bcode;
		sub = rx->bsub;
		if (code == NULL || sub == NULL) {
			*err = "invalid UTF-8 for this pattern";
			return -1;
		}
	}
	rc = pcre2_dfa_match(code, (PCRE2_SPTR)s, len, pos,
	    utf ? PCRE2_NO_UTF_CHECK : 0, rx->dmd, rx->mctx, rx->ws,
	    RX_DFA_WORKSPACE);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0)
		goto error;
	ov = pcre2_get_ovector_pointer(rx->dmd);
	rx->ov[0] = ov[0];
	rx->ov[1] = ov[1];
	if (!groups || rx->ncap == 0)
		return 1;
	rx->want_end = ov[1];
	rc = pcre2_match(sub, (PCRE2_SPTR)s, len, rx->ov[0],
	    PCRE2_ANCHORED | (utf ? PCRE2_NO_UTF_CHECK : 0), rx->md, rx->mctx);
	if (rc < 0)
		goto error;
	ov = pcre2_get_ovector_pointer(rx->md);
	memcpy(rx->ov, ov, 2 * (rx->ncap + 1) * sizeof(*ov));
	return 1;
error:
	*err = rc == PCRE2_ERROR_MATCHLIMIT ? "regexp: match limit exceeded"
	                                    : "regexp: matching failed";
	return -1;
}

/* Replacements of a match. */

/* encode(data): the encoding chosen for r, straight into b. */
static void
repl_encode_data(
    const struct replacer *r, struct rbuf *b, const void *p, size_t n)
{
	enum kenc_type t = (enum kenc_type)r->spec->encoding;
	char *o = rbuf_room(b, kenc_encoded_len(t, n));

	b->len += kenc_encode(t, p, n, o);
}

/* The transform of encode, hash, hmac and encrypt on s[0..n). */
static void
repl_transform(
    const struct replacer *r, struct rbuf *b, const char *s, size_t n)
{
	unsigned char sum[KHASH_MAX], *ct;
	const char *err;
	size_t clen;
	int len;

	switch (r->kind) {
	case REPLACER_ENCODE:
		repl_encode_data(r, b, s, n);
		return;
	case REPLACER_HASH:
		if ((len = khash_sum((enum khash_alg)r->spec->alg, s, n, sum)) <
		    0) {
			rbuf_error(b, "hash failed");
			return;
		}
		repl_encode_data(r, b, sum, (size_t)len);
		return;
	case REPLACER_HMAC:
		if ((len = khash_hmac((enum khash_alg)r->spec->alg, r->key,
		         r->klen, s, n, sum)) < 0) {
			rbuf_error(b, "hmac failed");
			return;
		}
		repl_encode_data(r, b, sum, (size_t)len);
		return;
	case REPLACER_ENCRYPT:
		ct = arena_alloc(b->a,
		    kcipher_encrypted_len((enum kcipher_type)r->spec->alg, n));
		if (kcipher_encrypt((enum kcipher_type)r->spec->alg, r->key,
		        r->klen, s, n, ct, &clen, &err) == -1) {
			rbuf_error(b, err);
			return;
		}
		repl_encode_data(r, b, ct, clen);
		return;
	default:
		return;
	}
}

/* Go's Regexp.Expand of the template of r for the match in r->rx->ov. */
static void
repl_expand(const struct replacer *r, struct rbuf *b, const char *s)
{
	const PCRE2_SIZE *ov = r->rx->ov;
	const struct rseg *g;
	size_t i;

	for (i = 0; i < r->nsegs; i++) {
		g = &r->segs[i];
		if (g->group == SEG_LITERAL)
			rbuf_put(b, r->tmpl + g->off, g->len);
		else if (g->group >= 0 && ov[2 * g->group] != PCRE2_UNSET)
			rbuf_put(b, s + ov[2 * g->group],
			    ov[2 * g->group + 1] - ov[2 * g->group]);
	}
}

/*
 * Go's Regexp.ReplaceAll: every match replaced by the template (regexp) or
 * the transform (encode, hash, hmac, encrypt), except an empty match right
 * after the previous one; the search moves on by one code point at least.
 */
static int
repl_replace_all(const struct replacer *r, struct rbuf *b, const char *s,
    size_t len, const char **err)
{
	struct rx *rx = r->rx;
	size_t last = 0, pos = 0, w;
	uint32_t cp;
	int utf = !rx->posix || utf8_valid(s, len), rc;

	while (pos <= len) {
		rc = rx_find(rx, s, len, pos, r->need_groups, utf, err);
		if (rc == -1)
			return -1;
		if (rc == 0)
			break;
		rbuf_put(b, s + last, rx->ov[0] - last);
		if (rx->ov[1] > last || rx->ov[0] == 0) {
			if (r->kind == REPLACER_REGEXP)
				repl_expand(r, b, s);
			else
				repl_transform(
				    r, b, s + rx->ov[0], rx->ov[1] - rx->ov[0]);
		}
		last = rx->ov[1];
		w = utf8_decode((const unsigned char *)s + pos, len - pos, &cp);
		if (pos + w > rx->ov[1])
			pos += w;
		else if (pos + 1 > rx->ov[1])
			pos++;
		else
			pos = rx->ov[1];
	}
	rbuf_put(b, s + last, len - last);
	return 0;
}

/*
 * expand: only the template expanded for each match (Go's
 * FindAllSubmatchIndex then Expand), an empty match right after the
 * previous one left out.
 */
static int
repl_expand_all(const struct replacer *r, struct rbuf *b, const char *s,
    size_t len, const char **err)
{
	struct rx *rx = r->rx;
	size_t pos = 0, prev = (size_t)-1, w;
	uint32_t cp;
	int utf = !rx->posix || utf8_valid(s, len), accept, rc;

	while (pos <= len) {
		rc = rx_find(rx, s, len, pos, r->need_groups, utf, err);
		if (rc == -1)
			return -1;
		if (rc == 0)
			break;
		accept = 1;
		if (rx->ov[1] == pos) {
			if (rx->ov[0] == prev)
				accept = 0;
			w = utf8_decode(
			    (const unsigned char *)s + pos, len - pos, &cp);
			pos = w > 0 ? pos + w : len + 1;
		} else
			pos = rx->ov[1];
		prev = rx->ov[1];
		if (accept)
			repl_expand(r, b, s);
	}
	return 0;
}

/* The simple replacers. */

/* strings.ReplaceAll(s, from, to), an empty from matching at every code point. */
static void
repl_value_pair(
    struct rbuf *b, const char *s, size_t len, const char *from, const char *to)
{
	size_t flen = strlen(from), tlen = strlen(to), p = 0, w;
	const char *hit;
	uint32_t cp;

	if (flen == 0) {
		for (;;) {
			rbuf_put(b, to, tlen);
			if (p >= len)
				break;
			w = utf8_decode(
			    (const unsigned char *)s + p, len - p, &cp);
			rbuf_put(b, s + p, w);
			p += w;
		}
		return;
	}
	while ((hit = memmem(s + p, len - p, from, flen)) != NULL) {
		rbuf_put(b, s + p, (size_t)(hit - (s + p)));
		rbuf_put(b, to, tlen);
		p = (size_t)(hit - s) + flen;
	}
	rbuf_put(b, s + p, len - p);
}

/* value: each pair in order over the result of the one before. */
static const char *
repl_value(const struct replacer *r, struct arena *a, const char *s, size_t len,
    size_t *outlen)
{
	const struct replacer_spec *sp = r->spec;
	struct rbuf b;
	size_t i;

	for (i = 0; i < sp->nfrom; i++) {
		if (sp->from[i][0] != '\0' &&
		    memmem(s, len, sp->from[i], strlen(sp->from[i])) == NULL)
			continue; /* no copy when nothing changes */
		rbuf_init(&b, a, len + 16);
		repl_value_pair(&b, s, len, sp->from[i], sp->to[i]);
		s = b.p;
		len = b.len;
	}
	*outlen = len;
	return s;
}

/* Byte offset of code point k of s[0..len) (len if there are fewer). */
static size_t
rune_offset(const char *s, size_t len, size_t k)
{
	size_t p = 0;
	uint32_t cp;

	while (k-- > 0 && p < len)
		p += utf8_decode((const unsigned char *)s + p, len - p, &cp);
	return p;
}

/* Code points in s[0..len). */
static size_t
rune_count(const char *s, size_t len)
{
	size_t p = 0, n = 0;
	uint32_t cp;

	while (p < len) {
		p += utf8_decode((const unsigned char *)s + p, len - p, &cp);
		n++;
	}
	return n;
}

/* left and right: length units (code points, or bytes) become char. */
static const char *
repl_left_right(const struct replacer *r, struct arena *a, const char *s,
    size_t len, int bytes, size_t *outlen)
{
	const char *c = r->spec->chr != NULL ? r->spec->chr : "";
	size_t n = bytes ? len : rune_count(s, len), k = r->spec->length, cut;
	struct rbuf b;

	rbuf_init(&b, a, len + k * strlen(c));
	if (n <= k)
		rbuf_repeat(&b, c, n);
	else if (r->kind == REPLACER_LEFT) {
		rbuf_repeat(&b, c, k);
		cut = bytes ? k : rune_offset(s, len, k);
		if (bytes)
			rbuf_put(&b, s + cut, len - cut);
		else
			rbuf_put_runes(&b, s + cut, len - cut);
	} else {
		cut = bytes ? n - k : rune_offset(s, len, n - k);
		if (bytes)
			rbuf_put(&b, s, cut);
		else
			rbuf_put_runes(&b, s, cut);
		rbuf_repeat(&b, c, k);
	}
	*outlen = b.len;
	return b.p;
}

/* Whether code point cp is in cutset (Go: invalid bytes are U+FFFD). */
static int
cutset_has(const char *cutset, uint32_t cp)
{
	const unsigned char *u = (const unsigned char *)cutset;
	size_t n = strlen(cutset), p = 0;
	uint32_t c;

	while (p < n) {
		p += utf8_decode(u + p, n - p, &c);
		if (c == cp)
			return 1;
	}
	return 0;
}

/* strings.Trim/TrimLeft/TrimRight of s[*off..*off + *len) by cutset. */
static void
trim_cutset(const char *s, size_t *off, size_t *len, const char *cutset,
    int left, int right)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t w;
	uint32_t cp;

	if (cutset[0] == '\0')
		return;
	while (left && *len > 0) {
		w = utf8_decode(u + *off, *len, &cp);
		if (!cutset_has(cutset, cp))
			break;
		*off += w;
		*len -= w;
	}
	while (right && *len > 0) {
		w = utf8_decode_last(u + *off, *len, &cp);
		if (!cutset_has(cutset, cp))
			break;
		*len -= w;
	}
}

/*
 * trim*, trimPrefix, trimSuffix: the strings in order until one changes
 * the length.  A slice of the input, never a copy.
 */
static const char *
repl_trim(const struct replacer *r, const char *s, size_t len, size_t *outlen)
{
	const struct replacer_spec *sp = r->spec;
	size_t i, off = 0, n = len, l;

	for (i = 0; i < sp->nstrs && n == len; i++) {
		l = strlen(sp->strs[i]);
		switch (r->kind) {
		case REPLACER_TRIM:
		case REPLACER_TRIM_LEFT:
		case REPLACER_TRIM_RIGHT:
			trim_cutset(s, &off, &n, sp->strs[i],
			    r->kind != REPLACER_TRIM_RIGHT,
			    r->kind != REPLACER_TRIM_LEFT);
			break;
		case REPLACER_TRIM_PREFIX:
			if (l <= n && memcmp(s, sp->strs[i], l) == 0) {
				off = l;
				n -= l;
			}
			break;
		default:
			if (l <= n && memcmp(s + n - l, sp->strs[i], l) == 0)
				n -= l;
			break;
		}
	}
	*outlen = n;
	return s + off;
}

/* Apply r; bytes: the body flavour. */
static const char *
repl_apply(const struct replacer *r, struct arena *a, const char *in,
    size_t len, int bytes, size_t *outlen)
{
	const char *err = NULL;
	struct rbuf b;
	int rc = 0;

	switch (r->kind) {
	case REPLACER_FIXED:
		*outlen = strlen(r->spec->value);
		return r->spec->value;
	case REPLACER_VALUE:
		return repl_value(r, a, in, len, outlen);
	case REPLACER_LEFT:
	case REPLACER_RIGHT:
		return repl_left_right(r, a, in, len, bytes, outlen);
	case REPLACER_TRIM:
	case REPLACER_TRIM_LEFT:
	case REPLACER_TRIM_RIGHT:
	case REPLACER_TRIM_PREFIX:
	case REPLACER_TRIM_SUFFIX:
		return repl_trim(r, in, len, outlen);
	default:
		break;
	}
	rbuf_init(&b, a, len * 2 + 64);
	if (r->kind == REPLACER_EXPAND)
		rc = repl_expand_all(r, &b, in, len, &err);
	else if (r->rx != NULL)
		rc = repl_replace_all(r, &b, in, len, &err);
	else
		repl_transform(r, &b, in, len);
	if (rc == -1) {
		/* Never the unmasked value: the whole of it becomes the error. */
		b.len = 0;
		rbuf_error(&b, err);
	}
	*outlen = b.len;
	return b.p;
}

const char *
replacer_apply(const struct replacer *r, struct arena *a, const char *in,
    size_t len, size_t *outlen)
{
	return repl_apply(r, a, in, len, 0, outlen);
}

const char *
replacer_apply_bytes(const struct replacer *r, struct arena *a, const char *in,
    size_t len, size_t *outlen)
{
	return repl_apply(r, a, in, len, 1, outlen);
}

const char *
replacer_apply_all(struct replacer *const *rs, size_t n, struct arena *a,
    const char *in, size_t len, size_t *outlen)
{
	size_t i;

	for (i = 0; i < n; i++)
		in = repl_apply(rs[i], a, in, len, 0, &len);
	*outlen = len;
	return in;
}

/* Compilation. */

/* Whether the code point cp may be in a $name (Go: letter, digit, '_'). */
static int
tmpl_name_rune(uint32_t cp, const char *p, size_t w, pcre2_code **cls)
{
	pcre2_match_data *md;
	int rc;

	if (cp < 0x80)
		return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
		    (cp >= 'A' && cp <= 'Z') || cp == '_';
	if (cp == 0xfffd && w == 1)
		return 0;
	if (*cls == NULL &&
	    (*cls = rx_pcre2("\\A[\\p{L}\\p{Nd}]", PCRE2_UTF, NULL, NULL, 0)) ==
	        NULL)
		return 0;
	if ((md = pcre2_match_data_create(1, NULL)) == NULL)
		return 0;
	rc = pcre2_match(*cls, (PCRE2_SPTR)p, w, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc > 0;
}

/* Add a template piece to r. */
static int
tmpl_add(struct replacer *r, int group, size_t off, size_t len)
{
	struct rseg *s;

	if (group == SEG_LITERAL && len == 0)
		return 0;
	s = realloc(r->segs, (r->nsegs + 1) * sizeof(*s));
	if (s == NULL)
		return -1;
	r->segs = s;
	s[r->nsegs].group = group;
	s[r->nsegs].off = off;
	s[r->nsegs].len = len;
	r->nsegs++;
	if (group > 0)
		r->need_groups = 1;
	return 0;
}

/*
 * The group that a $name or ${name} at t[*i..] stands for (Go's extract):
 * 0 and *i past it, or -1 if it is malformed (the '$' is then literal).
 */
static int
tmpl_name(
    struct replacer *r, const char *t, size_t *i, int *group, pcre2_code **cls)
{
	size_t n = strlen(t), p = *i, start, w;
	char name[256];
	uint32_t cp;
	int brace = 0, num = 0, rc;

	if (p < n && t[p] == '{') {
		brace = 1;
		p++;
	}
	start = p;
	while (p < n) {
		w = utf8_decode((const unsigned char *)t + p, n - p, &cp);
		if (!tmpl_name_rune(cp, t + p, w, cls))
			break;
		p += w;
	}
	if (p == start || (brace && (p >= n || t[p] != '}')))
		return -1;
	for (size_t k = start; k < p; k++) {
		if (t[k] < '0' || t[k] > '9' || num >= 100000000) {
			num = -1;
			break;
		}
		num = num * 10 + (t[k] - '0');
	}
	if (t[start] == '0' && p - start > 1)
		num = -1; /* no leading zeros: "$01" is the name "01" */
	*i = p + (size_t)brace;
	if (num >= 0) {
		*group = num <= (int)r->rx->ncap ? num : SEG_NONE;
		return 0;
	}
	*group = SEG_NONE;
	if (p - start < sizeof(name)) {
		memcpy(name, t + start, p - start);
		name[p - start] = '\0';
		rc = pcre2_substring_number_from_name(
		    r->rx->code, (PCRE2_SPTR)name);
		if (rc > 0)
			*group = rc;
	}
	return 0;
}

/* Split the template t (Go's Expand rules) into pieces. */
static int
tmpl_parse(struct replacer *r, const char *t, int literal)
{
	pcre2_code *cls = NULL;
	size_t i = 0, n = strlen(t), dollar;
	const char *d;
	int group, rc = 0;

	r->tmpl = t;
	if (literal)
		return tmpl_add(r, SEG_LITERAL, 0, n);
	while (rc == 0 && (d = memchr(t + i, '$', n - i)) != NULL) {
		dollar = (size_t)(d - t);
		rc = tmpl_add(r, SEG_LITERAL, i, dollar - i);
		i = dollar + 1;
		if (i < n && t[i] == '$') { /* "$$" is "$" */
			rc = rc ? rc : tmpl_add(r, SEG_LITERAL, i, 1);
			i++;
		} else if (tmpl_name(r, t, &i, &group, &cls) == -1)
			rc = rc ? rc : tmpl_add(r, SEG_LITERAL, dollar, 1);
		else
			rc = rc ? rc : tmpl_add(r, group, 0, 0);
	}
	pcre2_code_free(cls);
	return rc ? rc : tmpl_add(r, SEG_LITERAL, i, n - i);
}

/* Decode the hex key of r (hmac.key, encrypt.password). */
static int
repl_key(struct replacer *r, const char *what, char *err, size_t errsize)
{
	const char *k = r->spec->key;
	size_t n = k != NULL ? strlen(k) : 0;

	if (n == 0) {
		snprintf(err, errsize, "%s is required", what);
		return -1;
	}
	if ((r->key = malloc(n / 2 + 1)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	if (kenc_decode(KENC_BASE16, k, n, r->key, &r->klen) == -1) {
		OPENSSL_cleanse(r->key, n / 2 + 1);
		r->klen = 0;
		snprintf(err, errsize, "%s is not hex encoded", what);
		return -1;
	}
	return 0;
}

/* Check the enums and key of encode, hash, hmac and encrypt. */
static int
repl_check_transform(struct replacer *r, char *err, size_t errsize)
{
	const struct replacer_spec *sp = r->spec;

	switch (r->kind) {
	case REPLACER_HASH:
		if (khash_size((enum khash_alg)sp->alg) == 0) {
			snprintf(err, errsize, "unsupported hash algorithm");
			return -1;
		}
		break;
	case REPLACER_HMAC:
		if (!khash_hmac_ok((enum khash_alg)sp->alg)) {
			snprintf(err, errsize, "unsupported hmac algorithm");
			return -1;
		}
		if (repl_key(r, "hmac key", err, errsize) == -1)
			return -1;
		break;
	case REPLACER_ENCRYPT:
		if (kcipher_encrypted_len((enum kcipher_type)sp->alg, 0) == 0) {
			snprintf(err, errsize, "unsupported encryption");
			return -1;
		}
		if (repl_key(r, "encryption password", err, errsize) == -1)
			return -1;
		/* AILERON would log "!ERROR[...]" for every value instead. */
		if (!kcipher_key_ok(r->klen)) {
			snprintf(err, errsize,
			    "encryption password must be 16, 24 or 32 bytes "
			    "(hex-decoded), not %zu",
			    r->klen);
			return -1;
		}
		break;
	default:
		break;
	}
	if (kenc_encoded_len((enum kenc_type)sp->encoding, 1) == 0) {
		snprintf(err, errsize, "unsupported encoding");
		return -1;
	}
	return 0;
}

/* Check the strings a kind needs (a NULL list is empty). */
static int
repl_check_strings(const struct replacer_spec *sp, char *err, size_t errsize)
{
	size_t i;

	if (sp->kind == REPLACER_FIXED && sp->value == NULL)
		goto missing;
	for (i = 0; i < sp->nfrom; i++)
		if (sp->from[i] == NULL || sp->to[i] == NULL)
			goto missing;
	for (i = 0; i < sp->nstrs; i++)
		if (sp->strs[i] == NULL)
			goto missing;
	return 0;
missing:
	snprintf(err, errsize, "missing string in the replacer spec");
	return -1;
}

struct replacer *
replacer_compile(const struct replacer_spec *sp, char *err, size_t errsize)
{
	struct replacer *r;
	const char *pat = sp->pattern != NULL ? sp->pattern : "";

	if (sp->kind <= REPLACER_NONE || sp->kind > REPLACER_HMAC) {
		snprintf(err, errsize, "unsupported replacer type");
		return NULL;
	}
	if (repl_check_strings(sp, err, errsize) == -1)
		return NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	r->spec = sp;
	r->kind = sp->kind;
	switch (sp->kind) {
	case REPLACER_ENCODE:
	case REPLACER_HASH:
	case REPLACER_HMAC:
	case REPLACER_ENCRYPT:
		/* As AILERON: the pattern first, then the enums and key. */
		if (pat[0] != '\0' &&
		    (r->rx = rx_compile(pat, sp->posix, err, errsize)) == NULL)
			goto fail;
		if (repl_check_transform(r, err, errsize) == -1)
			goto fail;
		break;
	case REPLACER_REGEXP:
	case REPLACER_EXPAND:
		if (pat[0] == '\0') {
			snprintf(err, errsize,
			    "empty string for regular expression");
			goto fail;
		}
		if ((r->rx = rx_compile(pat, sp->posix, err, errsize)) == NULL)
			goto fail;
		if (tmpl_parse(r,
		        sp->kind == REPLACER_REGEXP
		            ? (sp->replace ? sp->replace : "")
		            : (sp->tmpl ? sp->tmpl : ""),
		        sp->kind == REPLACER_REGEXP && sp->literal) == -1) {
			snprintf(err, errsize, "out of memory");
			goto fail;
		}
		break;
	default:
		break;
	}
	return r;
fail:
	replacer_free(r);
	return NULL;
}

void
replacer_free(struct replacer *r)
{
	if (r == NULL)
		return;
	rx_free(r->rx);
	if (r->key != NULL) {
		OPENSSL_cleanse(r->key, r->klen);
		free(r->key);
	}
	free(r->segs);
	free(r);
}
