/* Unit tests: the fifteen replacers against AILERON's txtutil tests and Go's regexp rules. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "kcipher.h"
#include "kenc.h"
#include "khash.h"
#include "replacer.h"

static struct arena *arena;

static void
setup(void)
{
	arena = arena_new(4096);
}

static void
teardown(void)
{
	arena_free(arena);
	kcipher_set_random(NULL);
}

/* The random source of AILERON's test: "1234567890123456" over and over. */
static int
repeat_random(void *buf, size_t n)
{
	static const char block[] = "1234567890123456";
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)block[i % 16];
	return 0;
}

static int
no_random(void *buf, size_t n)
{
	(void)buf;
	(void)n;
	return -1;
}

/* Apply sp to in (string flavour unless bytes); a NUL-terminated copy. */
static const char *
apply(const struct replacer_spec *sp, const char *in, int bytes)
{
	char err[256];
	struct replacer *r = replacer_compile(sp, err, sizeof(err));
	const char *out;
	size_t n;

	ck_assert_msg(r != NULL, "compile: %s", err);
	if (bytes)
		out = replacer_apply_bytes(r, arena, in, strlen(in), &n);
	else
		out = replacer_apply(r, arena, in, strlen(in), &n);
	out = arena_strndup(arena, out, n);
	replacer_free(r);
	return out;
}

/* hex of a string, for the keys of hmac and encrypt */
static const char *
hexkey(const char *s)
{
	size_t n = strlen(s);
	char *h = arena_alloc(arena, 2 * n + 1);

	h[kenc_encode(KENC_BASE16, s, n, h)] = '\0';
	return h;
}

/* Four inputs of AILERON's internal/txtutil tests and what each gives. */
struct inout {
	const char *in, *out;
};

static void
check_table(const struct replacer_spec *sp, const struct inout *io, size_t n,
    const char *name)
{
	size_t i;
	const char *got;

	for (i = 0; i < n; i++) {
		got = apply(sp, io[i].in, 0);
		ck_assert_msg(strcmp(got, io[i].out) == 0,
		    "%s: %s -> got \"%s\" want \"%s\"", name, io[i].in, got,
		    io[i].out);
	}
}

#define CHECK(sp, ...)                                                      \
	do {                                                                \
		static const struct inout io_[] = { __VA_ARGS__ };          \
		check_table(&(sp), io_, sizeof(io_) / sizeof(io_[0]), #sp); \
	} while (0)

static const char *abc012[] = { "abc012" };
static const char *abc_012[] = { "abc", "012" };
static const char *abc[] = { "abc" };

START_TEST(simple)
{
	static const char *from[] = { "foo", "alice" },
	                  *to[] = { "***", "###" };
	struct replacer_spec fixed = { .kind = REPLACER_FIXED, .value = "***" };
	struct replacer_spec value0 = { .kind = REPLACER_VALUE };
	struct replacer_spec value = {
		.kind = REPLACER_VALUE, .from = from, .to = to, .nfrom = 2
	};
	struct replacer_spec left0 = {
		.kind = REPLACER_LEFT, .chr = "", .length = 3
	};
	struct replacer_spec left = {
		.kind = REPLACER_LEFT, .chr = "*", .length = 3
	};
	struct replacer_spec right0 = {
		.kind = REPLACER_RIGHT, .chr = "", .length = 3
	};
	struct replacer_spec right = {
		.kind = REPLACER_RIGHT, .chr = "*", .length = 3
	};

	CHECK(fixed, { "", "***" }, { "123-456-7890", "***" },
	    { "foo=bar", "***" }, { "alice,bob", "***" });
	CHECK(value0, { "", "" }, { "123-456-7890", "123-456-7890" },
	    { "foo=bar", "foo=bar" }, { "alice,bob", "alice,bob" });
	CHECK(value, { "", "" }, { "123-456-7890", "123-456-7890" },
	    { "foo=bar", "***=bar" }, { "alice,bob", "###,bob" });
	CHECK(left0, { "", "" }, { "123-456-7890", "-456-7890" },
	    { "foo=bar", "=bar" }, { "alice,bob", "ce,bob" });
	CHECK(left, { "", "" }, { "123-456-7890", "***-456-7890" },
	    { "foo=bar", "***=bar" }, { "alice,bob", "***ce,bob" },
	    { "123-456-789", "***-456-789" }, { "ab", "**" });
	CHECK(right0, { "", "" }, { "123-456-7890", "123-456-7" },
	    { "foo=bar", "foo=" }, { "alice,bob", "alice," });
	CHECK(right, { "", "" }, { "123-456-7890", "123-456-7***" },
	    { "foo=bar", "foo=***" }, { "alice,bob", "alice,***" },
	    { "123-456-789", "123-456-***" });
}
END_TEST

START_TEST(trims)
{
	static const char *star[] = { "*#" }, *phone[] = { "Phone: " },
	                  *cc[] = { " (+81)" };
	struct replacer_spec trim0 = { .kind = REPLACER_TRIM };
	struct replacer_spec trim1 = {
		.kind = REPLACER_TRIM, .strs = abc012, .nstrs = 1
	};
	struct replacer_spec trim2 = {
		.kind = REPLACER_TRIM, .strs = abc_012, .nstrs = 2
	};
	struct replacer_spec tl1 = {
		.kind = REPLACER_TRIM_LEFT, .strs = abc012, .nstrs = 1
	};
	struct replacer_spec tl2 = {
		.kind = REPLACER_TRIM_LEFT, .strs = abc_012, .nstrs = 2
	};
	struct replacer_spec tr1 = {
		.kind = REPLACER_TRIM_RIGHT, .strs = abc012, .nstrs = 1
	};
	struct replacer_spec tr2 = {
		.kind = REPLACER_TRIM_RIGHT, .strs = abc_012, .nstrs = 2
	};
	struct replacer_spec tp1 = {
		.kind = REPLACER_TRIM_PREFIX, .strs = abc, .nstrs = 1
	};
	struct replacer_spec tp2 = {
		.kind = REPLACER_TRIM_PREFIX, .strs = abc_012, .nstrs = 2
	};
	struct replacer_spec ts1 = {
		.kind = REPLACER_TRIM_SUFFIX, .strs = abc, .nstrs = 1
	};
	struct replacer_spec ts2 = {
		.kind = REPLACER_TRIM_SUFFIX, .strs = abc_012, .nstrs = 2
	};
	struct replacer_spec ex_trim = {
		.kind = REPLACER_TRIM, .strs = star, .nstrs = 1
	};
	struct replacer_spec ex_tl = {
		.kind = REPLACER_TRIM_LEFT, .strs = star, .nstrs = 1
	};
	struct replacer_spec ex_tr = {
		.kind = REPLACER_TRIM_RIGHT, .strs = star, .nstrs = 1
	};
	struct replacer_spec ex_tp = {
		.kind = REPLACER_TRIM_PREFIX, .strs = phone, .nstrs = 1
	};
	struct replacer_spec ex_ts = {
		.kind = REPLACER_TRIM_SUFFIX, .strs = cc, .nstrs = 1
	};

	CHECK(trim0, { "", "" }, { "alice,bob", "alice,bob" });
	CHECK(trim1, { "", "" }, { "123-456-7890", "3-456-789" },
	    { "foo=bar", "foo=bar" }, { "alice,bob", "lice,bo" },
	    { "abc012", "" });
	CHECK(trim2, { "123-456-7890", "3-456-789" },
	    { "alice,bob", "lice,bo" }, { "abc012", "012" });
	CHECK(tl1, { "123-456-7890", "3-456-7890" },
	    { "alice,bob", "lice,bob" }, { "abc012", "" });
	CHECK(tl2, { "123-456-7890", "3-456-7890" }, { "abc012", "012" });
	CHECK(tr1, { "123-456-7890", "123-456-789" },
	    { "alice,bob", "alice,bo" }, { "abc012", "" });
	CHECK(tr2, { "123-456-7890", "123-456-789" }, { "abc012", "abc" });
	CHECK(tp1, { "", "" }, { "foo=bar", "foo=bar" }, { "abc012", "012" });
	CHECK(tp2, { "abc012", "012" }, { "012abc", "abc" });
	CHECK(ts1, { "", "" }, { "abc012", "abc012" }, { "012abc", "012" });
	CHECK(ts2, { "abc012", "abc" });
	CHECK(ex_trim, { "*#*#123-456-789*#*#", "123-456-789" });
	CHECK(ex_tl, { "*#*#123-456-789*#*#", "123-456-789*#*#" });
	CHECK(ex_tr, { "*#*#123-456-789*#*#", "*#*#123-456-789" });
	CHECK(ex_tp, { "Phone: 123-456-789", "123-456-789" });
	CHECK(ex_ts, { "123-456-789 (+81)", "123-456-789" });
}
END_TEST

#define PAT "([4-6]{3}|foo|alice)"

START_TEST(encode_hash_hmac)
{
	struct replacer_spec enc = { .kind = REPLACER_ENCODE,
		.encoding = KENC_BASE64 };
	struct replacer_spec encp = {
		.kind = REPLACER_ENCODE, .pattern = PAT, .encoding = KENC_BASE64
	};
	struct replacer_spec ex_encp = { .kind = REPLACER_ENCODE,
		.pattern = "[4-6]{3}",
		.encoding = KENC_BASE64 };
	struct replacer_spec hash = { .kind = REPLACER_HASH,
		.alg = KHASH_SHA256,
		.encoding = KENC_BASE16 };
	struct replacer_spec hashp = { .kind = REPLACER_HASH,
		.pattern = PAT,
		.alg = KHASH_SHA256,
		.encoding = KENC_BASE16 };
	struct replacer_spec ex_hash = { .kind = REPLACER_HASH,
		.alg = KHASH_SHA256,
		.encoding = KENC_BASE64 };
	struct replacer_spec ex_hashp = { .kind = REPLACER_HASH,
		.pattern = "[4-6]{3}",
		.alg = KHASH_SHA256,
		.encoding = KENC_BASE64 };
	struct replacer_spec hmac = { .kind = REPLACER_HMAC,
		.alg = KHASH_SHA256,
		.encoding = KENC_BASE64,
		.key = hexkey("key") };
	struct replacer_spec hmacp = { .kind = REPLACER_HMAC,
		.pattern = PAT,
		.alg = KHASH_SHA256,
		.encoding = KENC_BASE64,
		.key = hexkey("key") };
	struct replacer_spec ex_hmac = { .kind = REPLACER_HMAC,
		.alg = KHASH_SHA256,
		.encoding = KENC_BASE64,
		.key = hexkey("hmac-key") };
	struct replacer_spec ex_hmacp = { .kind = REPLACER_HMAC,
		.pattern = "[4-6]{3}",
		.alg = KHASH_SHA256,
		.encoding = KENC_BASE64,
		.key = hexkey("hmac-key") };

	CHECK(enc, { "", "" }, { "123-456-7890", "MTIzLTQ1Ni03ODkw" },
	    { "foo=bar", "Zm9vPWJhcg==" }, { "alice,bob", "YWxpY2UsYm9i" },
	    { "123-456-789", "MTIzLTQ1Ni03ODk=" });
	CHECK(encp, { "", "" }, { "123-456-7890", "123-NDU2-7890" },
	    { "foo=bar", "Zm9v=bar" }, { "alice,bob", "YWxpY2U=,bob" });
	CHECK(ex_encp, { "123-456-789", "123-NDU2-789" });
	CHECK(hash,
	    { "",
	        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8"
	        "55" },
	    { "123-456-7890",
	        "29ec0a06044bedff0bec4d81516da5843c93b7b4cb8b3ec0bf379a78085747"
	        "bd" },
	    { "foo=bar",
	        "3ba8907e7a252327488df390ed517c45b96dead033600219bdca7107d1d3f8"
	        "8a" },
	    { "alice,bob",
	        "f0e50e8fced90be1bda596553cfabf29ecee566958f394452b6d401b192f6d"
	        "ce" });
	CHECK(hashp, { "", "" },
	    { "123-456-7890",
	        "123-b3a8e0e1f9ab1bfe3a36f231f676f78bb30a519d2b21e6c530c0eee8eb"
	        "b4a5d0-7890" },
	    { "foo=bar",
	        "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7"
	        "ae=bar" },
	    { "alice,bob",
	        "2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e"
	        "90,bob" });
	CHECK(ex_hash,
	    { "123-456-789", "XedIoOiHNR5HjPNnACwzdo4ug7MLk6RSC+/qSWwSBnk=" });
	CHECK(ex_hashp,
	    { "123-456-789",
	        "123-s6jg4fmrG/46NvIx9nb3i7MKUZ0rIebFMMDu6Ou0pdA=-789" });
	CHECK(hmac, { "", "XV0TlWPJW1lnub2ajJsjOp3ttFByeUzSMtwbdIMmB9A=" },
	    { "123-456-7890", "/nJh2RdsJUhOliz5mxMLH7m74HHNlg3CZufnEFsOCf4=" },
	    { "foo=bar", "Yiah6setCP3dBTAArIlpjf7aoys6dnOXJMcjRELn9HE=" },
	    { "alice,bob", "a2gqD0ndiZdbGCMk37kff3Hza5KoPDIg2iVW5BKW9DA=" });
	CHECK(hmacp, { "", "" },
	    { "123-456-7890",
	        "123-1fPIVCyIOletgTeQXfNzfszl9l5kKG1LAL0hlb7ST30=-7890" },
	    { "foo=bar", "bqHZ9ek6jzreAmJh/+XXKhyQgE7ZRASmmJKhY7ijVJc==bar" },
	    { "alice,bob",
	        "dvtV6SnAa5ewHDWVDuX3L+QVsV7TpzVsOecJkG27XEU=,bob" });
	CHECK(ex_hmac,
	    { "123-456-789", "dzBuTQoT6Bpub2nIGs6vQfOba9TEYWm+gWqgo/hdpyw=" });
	CHECK(ex_hmacp,
	    { "123-456-789",
	        "123-fqlEWXgPubzJUBErpbq1C0QvNfXNSFWOxG/ufgAg6iE=-789" });
}
END_TEST

/* AILERON's encrypt vectors: AES-CBC, IV from "1234567890123456". */
START_TEST(encrypt)
{
	struct replacer_spec enc = { .kind = REPLACER_ENCRYPT,
		.alg = KCIPHER_AESCBC,
		.encoding = KENC_BASE16,
		.key = hexkey("16_byte_password") };
	struct replacer_spec encp = { .kind = REPLACER_ENCRYPT,
		.pattern = PAT,
		.alg = KCIPHER_AESCBC,
		.encoding = KENC_BASE16,
		.key = hexkey("16_byte_password") };
	struct replacer_spec ex = { .kind = REPLACER_ENCRYPT,
		.pattern = "[4-6]{3}",
		.alg = KCIPHER_AESCBC,
		.encoding = KENC_BASE16,
		.key = hexkey("16_bytes_secrets") };
	struct replacer_spec gcm = { .kind = REPLACER_ENCRYPT,
		.alg = KCIPHER_AESGCM,
		.encoding = KENC_BASE64,
		.key = hexkey("16_bytes_secrets") };

	kcipher_set_random(repeat_random);
	CHECK(enc,
	    { "",
	        "313233343536373839303132333435365ecacef641fb482c85c05d0790b2f7"
	        "14" },
	    { "123-456-7890",
	        "31323334353637383930313233343536e6983166eab85d52e24ae2b01ba6e3"
	        "73" },
	    { "foo=bar",
	        "313233343536373839303132333435362aa0145db4669f5ea7b91aee38b73f"
	        "ed" },
	    { "alice,bob",
	        "313233343536373839303132333435364babde52fde974ad663986822d9d6f"
	        "7f" });
	CHECK(encp, { "", "" },
	    { "123-456-7890",
	        "123-313233343536373839303132333435367caf7f92b33d98fca4916aabb7"
	        "5d1142-7890" },
	    { "foo=bar",
	        "313233343536373839303132333435360ec0570462f1fb9bfe98ec20df31ef"
	        "f8=bar" },
	    { "alice,bob",
	        "31323334353637383930313233343536b670297f836facf2358c2cbbc9590f"
	        "94,bob" });
	CHECK(ex,
	    { "123-456-789",
	        "123-3132333435363738393031323334353670c048862b4ccd751b35ae4889"
	        "e901f7-789" });
	/* A failure is written instead of the data, never the data. */
	kcipher_set_random(no_random);
	CHECK(encp,
	    { "123-456-7890", "123-!ERROR[no random bytes for the IV]-7890" },
	    { "bob", "bob" });
	/* Real randomness: two encryptions differ and both decrypt. */
	kcipher_set_random(NULL);
	{
		const char *a = apply(&gcm, "secret", 0),
		           *b = apply(&gcm, "secret", 0), *err;
		unsigned char ct[128], pt[128];
		size_t n, pn;

		ck_assert_str_ne(a, b);
		ck_assert_int_eq(
		    kenc_decode(KENC_BASE64, a, strlen(a), ct, &n), 0);
		ck_assert_int_eq(kcipher_decrypt(KCIPHER_AESGCM,
		                     (const unsigned char *)"16_bytes_secrets",
		                     16, ct, n, pt, &pn, &err),
		    0);
		ck_assert_uint_eq(pn, 6);
		ck_assert_int_eq(memcmp(pt, "secret", 6), 0);
	}
}
END_TEST

START_TEST(regexp)
{
	struct replacer_spec re = { .kind = REPLACER_REGEXP,
		.pattern = "([0-9]{3}|foo|alice)",
		.replace = "*" };
	struct replacer_spec rep = { .kind = REPLACER_REGEXP,
		.pattern = "([0-9]{3}|foo|alice)",
		.replace = "*",
		.posix = 1 };
	struct replacer_spec lit = { .kind = REPLACER_REGEXP,
		.pattern = "([0-9]{3}|foo|alice)",
		.replace = "$1",
		.literal = 1 };
	struct replacer_spec ex = { .kind = REPLACER_REGEXP,
		.pattern = "[0-9]([0-9])[0-9]",
		.replace = "$1" };
	struct replacer_spec exp = { .kind = REPLACER_EXPAND,
		.pattern = "([0-9]{3}|foo|alice)",
		.tmpl = "*" };
	struct replacer_spec expp = { .kind = REPLACER_EXPAND,
		.pattern = "([0-9]{3}|foo|alice)",
		.tmpl = "*",
		.posix = 1 };
	struct replacer_spec ex_exp = { .kind = REPLACER_EXPAND,
		.pattern = "[0-9]([0-9])[0-9]",
		.tmpl = "$1" };

	CHECK(re, { "", "" }, { "123-456-7890", "*-*-*0" },
	    { "foo=bar", "*=bar" }, { "alice,bob", "*,bob" });
	CHECK(rep, { "", "" }, { "123-456-7890", "*-*-*0" },
	    { "foo=bar", "*=bar" }, { "alice,bob", "*,bob" });
	CHECK(lit, { "", "" }, { "123-456-7890", "$1-$1-$10" },
	    { "foo=bar", "$1=bar" }, { "alice,bob", "$1,bob" });
	CHECK(ex, { "123-456-789", "2-5-8" });
	CHECK(exp, { "", "" }, { "123-456-7890", "***" }, { "foo=bar", "*" },
	    { "alice,bob", "*" });
	CHECK(expp, { "", "" }, { "123-456-7890", "***" }, { "foo=bar", "*" },
	    { "alice,bob", "*" });
	CHECK(ex_exp, { "123-456-789", "258" });
}
END_TEST

/* Go's Regexp.Expand: $1x is the group named "1x", ${1}x is group 1 and x. */
START_TEST(template_rules)
{
	static const struct {
		const char *pattern, *replace, *in, *out;
	} cases[] = {
		{ "(a)", "$1x", "a", "" },
		{ "(a)", "${1}x", "a", "ax" },
		{ "(a)", "$$1", "a", "$1" },
		{ "(a)", "$", "a", "$" },
		{ "(a)", "x$!", "a", "x$!" },
		{ "(a)", "${1", "a", "${1" },
		{ "(a)", "$2", "a", "" },
		{ "(a)", "$0$0", "a", "aa" },
		{ "(a)", "$01", "a", "" },
		{ "(?P<w>[a-z]+)", "<$w>", "hi yo", "<hi> <yo>" },
		{ "(?<w>[a-z]+)", "<${w}>", "hi", "<hi>" },
		{ "(?P<w>[a-z]+)", "<$wx>", "hi", "<>" },
		{ "(a)|(b)", "[$1|$2]", "ab", "[a|][|b]" },
		{ "(é)", "$1\xc3\xa9", "é", "" },
		{ "(é)", "${1}€", "é", "é€" },
		{ "(é)", "$1€", "é", "é€" },
		/* empty matches: Go's "-b-c-" and "-a-b-c-" */
		{ "a*", "-", "baaac", "-b-c-" },
		{ "x*", "-", "abc", "-a-b-c-" },
		{ ".", "<$0>", "h\xc3\xa9", "<h><\xc3\xa9>" },
		{ "$", "!", "a\n", "a\n!" },
		{ "^", ">", "ab", ">ab" },
	};
	struct replacer_spec sp = { .kind = REPLACER_REGEXP };
	const char *got;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sp.pattern = cases[i].pattern;
		sp.replace = cases[i].replace;
		got = apply(&sp, cases[i].in, 0);
		ck_assert_msg(strcmp(got, cases[i].out) == 0,
		    "case %zu: got \"%s\" want \"%s\"", i, got, cases[i].out);
	}
}
END_TEST

/* expand keeps only the expansions; an empty match after a match is skipped. */
START_TEST(expand_rules)
{
	static const struct {
		const char *pattern, *tmpl, *in, *out;
		int posix;
	} cases[] = {
		{ "a*", "<$0>", "baaac", "<><aaa><>", 0 },
		{ "(\\w+)@(\\w+)", "$2:$1;", "a@b c@d", "b:a;d:c;", 0 },
		{ "z", "x", "abc", "", 0 },
		/* posix: leftmost-longest, groups as a backtracker finds them */
		{ "(fo|foo)", "[$1]", "foo", "[fo]", 0 },
		{ "(fo|foo)", "[$1]", "foo", "[foo]", 1 },
		{ "(a|ab)(c|bcd)(d*)", "$1,$2,$3", "abcd", "a,bcd,", 1 },
		{ "(a|ab)(b*)", "$1/$2", "abb", "a/bb", 1 },
		{ "a|ab", "[$0]",
		    "ab\xff"
		    "ab",
		    "[ab][ab]", 1 },
		{ ".", "[$0]", "\xc3\xa9", "[\xc3\xa9]", 1 },
		{ ".", "[$0]", "\xff\xc3\xa9", "[\xff][\xc3][\xa9]", 1 },
	};
	struct replacer_spec sp = { .kind = REPLACER_EXPAND };
	const char *got;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sp.pattern = cases[i].pattern;
		sp.tmpl = cases[i].tmpl;
		sp.posix = cases[i].posix;
		got = apply(&sp, cases[i].in, 0);
		ck_assert_msg(strcmp(got, cases[i].out) == 0,
		    "case %zu: got \"%s\" want \"%s\"", i, got, cases[i].out);
	}
}
END_TEST

/* Code points for headers, bytes for bodies; Go's U+FFFD for bad bytes. */
START_TEST(code_points)
{
	static const char *uu[] = { "\xc3\xbc" }, *e[] = { "" }, *x[] = { "x" };
	static const char *bad[] = { "\xef\xbf\xbd" };
	struct replacer_spec left = {
		.kind = REPLACER_LEFT, .chr = "*", .length = 2
	};
	struct replacer_spec right = {
		.kind = REPLACER_RIGHT, .chr = "*", .length = 1
	};
	struct replacer_spec trim = {
		.kind = REPLACER_TRIM, .strs = uu, .nstrs = 1
	};
	struct replacer_spec trimbad = {
		.kind = REPLACER_TRIM, .strs = bad, .nstrs = 1
	};
	struct replacer_spec ins = {
		.kind = REPLACER_VALUE, .from = e, .to = x, .nfrom = 1
	};

	CHECK(left, { "日本語", "**語" },
	    { "\xff"
	      "ab",
	        "**b" },
	    { "a\xff"
	      "bc",
	        "**bc" },
	    { "ab\xff", "**\xef\xbf\xbd" });
	CHECK(right, { "héllo", "héll*" },
	    { "\xff"
	      "ab",
	        "\xef\xbf\xbd"
	        "a*" });
	ck_assert_str_eq(apply(&left, "日本", 1), "**\xa5\xe6\x9c\xac");
	ck_assert_str_eq(apply(&right, "日本", 1), "日\xe6\x9c*");
	CHECK(trim,
	    { "\xc3\xbc"
	      "a\xc3\xbc",
	        "a" },
	    { "\xc3"
	      "a",
	        "\xc3"
	        "a" });
	CHECK(trimbad,
	    { "\xff"
	      "a\xfe",
	        "a" });
	/* strings.ReplaceAll with an empty old: at every code point */
	CHECK(ins, { "", "x" }, { "ab", "xaxbx" }, { "é", "xéx" });
}
END_TEST

/* value pairs in order; zero copies where nothing changes. */
START_TEST(chains)
{
	static const char *from[] = { "a", "b" }, *to[] = { "b", "c" };
	static const char *pre[] = { "Bearer " };
	struct replacer_spec value = {
		.kind = REPLACER_VALUE, .from = from, .to = to, .nfrom = 2
	};
	struct replacer_spec enc = { .kind = REPLACER_ENCODE,
		.encoding = KENC_BASE64 };
	struct replacer_spec fixed = { .kind = REPLACER_FIXED,
		.value = "*MASKED*" };
	struct replacer_spec tp = {
		.kind = REPLACER_TRIM_PREFIX, .strs = pre, .nstrs = 1
	};
	struct replacer_spec left = {
		.kind = REPLACER_LEFT, .chr = "#", .length = 4
	};
	struct replacer *rs[3];
	const char *in = "Bearer token123", *out;
	char err[128];
	size_t n;

	CHECK(value, { "a", "c" }, { "xyz", "xyz" });
	rs[0] = replacer_compile(&enc, err, sizeof(err));
	rs[1] = replacer_compile(&fixed, err, sizeof(err));
	out = replacer_apply_all(rs, 2, arena, "text/html", 9, &n);
	ck_assert_uint_eq(n, 8);
	ck_assert_int_eq(memcmp(out, "*MASKED*", 8), 0);
	ck_assert_ptr_eq(out, fixed.value);
	replacer_free(rs[0]);
	replacer_free(rs[1]);
	rs[0] = replacer_compile(&tp, err, sizeof(err));
	rs[1] = replacer_compile(&left, err, sizeof(err));
	out = replacer_apply(rs[0], arena, in, strlen(in), &n);
	ck_assert_ptr_eq(out, in + 7);
	out = replacer_apply_all(rs, 2, arena, in, strlen(in), &n);
	ck_assert_uint_eq(n, 8);
	ck_assert_int_eq(memcmp(out, "####n123", 8), 0);
	out = replacer_apply_all(rs, 0, arena, in, strlen(in), &n);
	ck_assert_ptr_eq(out, in);
	replacer_free(rs[0]);
	replacer_free(rs[1]);
	replacer_free(NULL);
}
END_TEST

/* Start-up errors, AILERON's messages where it has them. */
START_TEST(compile_errors)
{
	static const struct {
		struct replacer_spec sp;
		const char *err;
	} cases[] = {
		{ { .kind = REPLACER_NONE }, "unsupported replacer type" },
		{ { .kind = 99 }, "unsupported replacer type" },
		{ { .kind = REPLACER_FIXED },
		    "missing string in the replacer spec" },
		{ { .kind = REPLACER_ENCODE }, "unsupported encoding" },
		{ { .kind = REPLACER_HASH }, "unsupported hash algorithm" },
		{ { .kind = REPLACER_HASH, .encoding = KENC_BASE16 },
		    "unsupported hash algorithm" },
		{ { .kind = REPLACER_HASH, .alg = KHASH_SHA256 },
		    "unsupported encoding" },
		{ { .kind = REPLACER_REGEXP },
		    "empty string for regular expression" },
		{ { .kind = REPLACER_EXPAND },
		    "empty string for regular expression" },
		{ { .kind = REPLACER_REGEXP, .pattern = "[0-9a-" },
		    "invalid pattern for Regex `[0-9a-`: missing terminating ] "
		    "for "
		    "character class at offset 6" },
		{ { .kind = REPLACER_EXPAND, .pattern = "[0-9a-", .posix = 1 },
		    "invalid pattern for RegexPOSIX `[0-9a-`: missing "
		    "terminating "
		    "] for character class at offset 6" },
		{ { .kind = REPLACER_REGEXP, .pattern = "(a)\\1", .posix = 1 },
		    "invalid pattern for RegexPOSIX `(a)\\1`: backreferences "
		    "are "
		    "not POSIX" },
		{ { .kind = REPLACER_ENCRYPT,
		      .encoding = KENC_BASE16,
		      .key = "31323334353637383930313233343536" },
		    "unsupported encryption" },
		{ { .kind = REPLACER_ENCRYPT,
		      .alg = KCIPHER_AESCBC,
		      .key = "31323334353637383930313233343536" },
		    "unsupported encoding" },
		{ { .kind = REPLACER_ENCRYPT,
		      .alg = KCIPHER_AESCBC,
		      .encoding = KENC_BASE16,
		      .key = "INVALID_Hex" },
		    "encryption password is not hex encoded" },
		{ { .kind = REPLACER_ENCRYPT,
		      .alg = KCIPHER_AESCBC,
		      .encoding = KENC_BASE16 },
		    "encryption password is required" },
		{ { .kind = REPLACER_ENCRYPT,
		      .alg = KCIPHER_AESCBC,
		      .encoding = KENC_BASE16,
		      .key = "696e76616c6964206c656e677468" },
		    "encryption password must be 16, 24 or 32 bytes "
		    "(hex-decoded), "
		    "not 14" },
		{ { .kind = REPLACER_HMAC,
		      .encoding = KENC_BASE16,
		      .key = "00" },
		    "unsupported hmac algorithm" },
		{ { .kind = REPLACER_HMAC,
		      .alg = KHASH_SHAKE128,
		      .encoding = KENC_BASE16,
		      .key = "00" },
		    "unsupported hmac algorithm" },
		{ { .kind = REPLACER_HMAC,
		      .alg = KHASH_SHA256,
		      .encoding = KENC_BASE16,
		      .key = "Invalid Hex Key" },
		    "hmac key is not hex encoded" },
		{ { .kind = REPLACER_HMAC, .alg = KHASH_SHA256, .key = "00" },
		    "unsupported encoding" },
	};
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_ptr_null(
		    replacer_compile(&cases[i].sp, err, sizeof(err)));
		ck_assert_msg(strcmp(err, cases[i].err) == 0,
		    "case %zu: got \"%s\"", i, err);
	}
}
END_TEST

/* Names of the oneof; a runaway pattern gives an error, not the value. */
START_TEST(names_and_limits)
{
	struct replacer_spec sp = {
		.kind = REPLACER_REGEXP, .pattern = "(a|aa)+$", .replace = "x"
	};
	enum replacer_kind k;
	char in[64];

	ck_assert_int_eq(replacer_from_name("trimPrefix", &k), 0);
	ck_assert_int_eq(k, REPLACER_TRIM_PREFIX);
	ck_assert_int_eq(replacer_from_name("hmac", &k), 0);
	ck_assert_int_eq(k, REPLACER_HMAC);
	ck_assert_int_eq(replacer_from_name("HMAC", &k), -1);
	memset(in, 'a', sizeof(in) - 2);
	in[sizeof(in) - 2] = 'b';
	in[sizeof(in) - 1] = '\0';
	ck_assert_str_eq(
	    apply(&sp, in, 0), "!ERROR[regexp: match limit exceeded]");
}
END_TEST

static Suite *
replacer_suite(void)
{
	Suite *s = suite_create("replacer");
	TCase *tc = tcase_create("replacer");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, simple);
	tcase_add_test(tc, trims);
	tcase_add_test(tc, encode_hash_hmac);
	tcase_add_test(tc, encrypt);
	tcase_add_test(tc, regexp);
	tcase_add_test(tc, template_rules);
	tcase_add_test(tc, expand_rules);
	tcase_add_test(tc, code_points);
	tcase_add_test(tc, chains);
	tcase_add_test(tc, compile_errors);
	tcase_add_test(tc, names_and_limits);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(replacer_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
