/* Check unit tests for the XML <-> JSON converter: zxml's own cases and its output format. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmljson.h"

#define DATA TEST_DATA_DIR "/xmljson/"

/* zxml's test cases (zencoding/zxml/..._test.go): file, and does it fail. */
struct zcase {
	const char *file;
	int decode_fails; /* xml/<file>.xml is malformed */
	int encode_fails; /* <rules>/<file>.json is not convertible */
};

static const struct zcase zcases[] = {
	{ "00_basic", 0, 0 },
	{ "00_datatype", 0, 0 },
	{ "00_multiple", 0, 0 },
	{ "00_wiki", 0, 0 },
	{ "ng_case01", 1, 1 },
	{ "ng_case02", 1, 1 },
	{ "ng_case03", -1, 1 },
	{ "ok_case01", 0, 0 },
	{ "ok_case02", 0, 0 },
	{ "ok_case03", 0, 0 },
	{ "ok_case04", 0, 0 },
	{ "ok_case05", 0, 0 },
	{ "ok_case06", 0, 0 },
	{ "ok_case07", 0, 0 },
	{ "ok_case08", 0, 0 },
	{ "ok_case09", 0, 0 },
	{ "ok_case10", 0, 0 },
	{ "ok_case11", 0, 0 },
	{ "ok_case12", 0, 0 },
	{ "ok_case13", 0, 0 },
	{ "ok_case14", 0, 0 },
	{ "ok_case15", 0, 0 },
	{ "ok_case16", 0, 0 },
	{ "ok_case17", 0, 0 },
	{ "ok_case18", 0, 0 },
	{ "ok_case19", 0, 0 },
	{ "ok_case20", 0, 0 },
	{ "ok_case21", 0, 0 },
	{ "soap_example", 0, 0 },
	{ "soap11_basic_fault", 0, 0 },
	{ "soap11_basic", 0, 0 },
	{ "soap12_basic_fault", 0, 0 },
	{ "soap12_basic", 0, 0 },
};
#define NZCASES (sizeof(zcases) / sizeof(zcases[0]))

/* The rules zxml's tests use: its New*() defaults (trimSpace on). */
struct zrules {
	const char *dir;
	int rules;
	int prefer_short;
	const char *suffix; /* of the JSON file */
};

static const struct zrules zrules[] = {
	{ "simple", XMLJSON_SIMPLE, 0, "" },
	{ "simple", XMLJSON_SIMPLE, 1, "_short" },
	{ "badgerfish", XMLJSON_BADGERFISH, 0, "" },
	{ "rayfish", XMLJSON_RAYFISH, 0, "" },
};
#define NZRULES (sizeof(zrules) / sizeof(zrules[0]))

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	ck_assert_msg(f != NULL, "open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return p;
}

static void
opts_for(struct xmljson_opts *o, const struct zrules *z)
{
	xmljson_opts_init(o, z->rules);
	o->trim_space = 1;
	o->prefer_short = z->prefer_short;
}

/* The same JSON value (zxml's equalJSON: unmarshalled, deep equal)? */
static int
json_same(const char *a, size_t alen, const char *b, size_t blen)
{
	json_error_t e;
	json_t *x = json_loadb(a, alen, JSON_DECODE_ANY, &e);
	json_t *y = json_loadb(b, blen, JSON_DECODE_ANY, &e);
	int eq = x != NULL && y != NULL && json_equal(x, y);

	json_decref(x);
	json_decref(y);
	return eq;
}

/*
 * The same XML (zxml's equalXML compares elements as maps, ignoring the
 * order of differently named siblings and of attributes): both read
 * back as simple JSON with sorted keys.
 */
static int
xml_same(const char *a, size_t alen, const char *b, size_t blen)
{
	struct xmljson_opts o;
	char *ja, *jb, err[256];
	size_t la, lb;
	int eq;

	xmljson_opts_init(&o, XMLJSON_SIMPLE);
	o.trim_space = 1;
	if (xmljson_to_json(&o, a, alen, &ja, &la, err, sizeof(err)) < 0)
		return 0;
	if (xmljson_to_json(&o, b, blen, &jb, &lb, err, sizeof(err)) < 0) {
		free(ja);
		return 0;
	}
	eq = json_same(ja, la, jb, lb);
	if (!eq)
		fprintf(stderr, "got  %s\nwant %s\n", ja, jb);
	free(ja);
	free(jb);
	return eq;
}

/* zxml's Decode tests: xml/<case>.xml to <rules>/<case><suffix>.json. */
START_TEST(test_zxml_decode)
{
	const struct zrules *z = &zrules[_i / NZCASES];
	const struct zcase *c = &zcases[_i % NZCASES];
	struct xmljson_opts o;
	char path[512], *xml, *want, *got, err[256];
	size_t xlen, wlen, glen;
	int rc;

	if (c->decode_fails < 0)
		return; /* no XML for this case */
	opts_for(&o, z);
	snprintf(path, sizeof(path), DATA "xml/%s.xml", c->file);
	xml = slurp(path, &xlen);
	rc = xmljson_to_json(&o, xml, xlen, &got, &glen, err, sizeof(err));
	if (c->decode_fails) {
		ck_assert_msg(rc == -1, "%s %s: converted", z->dir, c->file);
		ck_assert_ptr_null(got);
		ck_assert_msg(
		    strncmp(err, "xml decoder: ", 13) == 0, "%s", err);
		free(xml);
		return;
	}
	ck_assert_msg(rc == 0, "%s %s: %s", z->dir, c->file, err);
	ck_assert_uint_eq(strlen(got), glen);
	ck_assert_msg(glen > 0 && got[glen - 1] == '\n', "no newline at end");
	snprintf(path, sizeof(path), DATA "%s/%s%s.json", z->dir, c->file,
	    z->suffix);
	want = slurp(path, &wlen);
	ck_assert_msg(json_same(got, glen, want, wlen), "%s %s:\n%s\nwant %s",
	    z->dir, c->file, got, want);
	free(xml);
	free(want);
	free(got);
}
END_TEST

/* zxml's Encode tests: <rules>/<case><suffix>.json to <rules>/<case>.xml. */
START_TEST(test_zxml_encode)
{
	const struct zrules *z = &zrules[_i / NZCASES];
	const struct zcase *c = &zcases[_i % NZCASES];
	struct xmljson_opts o;
	char path[512], *json, *want, *got, err[256];
	size_t jlen, wlen, glen;
	int rc;

	opts_for(&o, z);
	snprintf(path, sizeof(path), DATA "%s/%s%s.json", z->dir, c->file,
	    z->suffix);
	json = slurp(path, &jlen);
	rc = xmljson_to_xml(&o, json, jlen, &got, &glen, err, sizeof(err));
	if (c->encode_fails) {
		ck_assert_msg(rc == -1, "%s %s: converted", z->dir, c->file);
		ck_assert_ptr_null(got);
		free(json);
		return;
	}
	ck_assert_msg(rc == 0, "%s %s: %s", z->dir, c->file, err);
	ck_assert_msg(
	    strncmp(got, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39) ==
	        0,
	    "no header");
	snprintf(path, sizeof(path), DATA "%s/%s.xml", z->dir, c->file);
	want = slurp(path, &wlen);
	ck_assert_msg(xml_same(got, glen, want, wlen), "%s %s:\n%s\nwant\n%s",
	    z->dir, c->file, got, want);
	free(json);
	free(want);
	free(got);
}
END_TEST

/* Exact outputs: what Go's encoders write, byte for byte. */
struct exact {
	int to_xml; /* JSON -> XML, else XML -> JSON */
	int rules;
	int prefer_short;
	const char *ns_sep;
	const char *in;
	const char *out; /* NULL: fails */
};

#define HDR "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

static const struct exact exacts[] = {
	/* AILERON's shapes (reference 3.11), keys sorted, Go's escapes */
	{ 0, XMLJSON_SIMPLE, 0, NULL,
	    "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/"
	    "soap-envelope\"><soap:Header/><soap:Body/></soap:Envelope>",
	    "{\"soap:Envelope\":{\"@xmlns:soap\":\"http://www.w3.org/2003/05/"
	    "soap-envelope\",\"soap:Body\":{\"$\":\"\"},\"soap:Header\":{\"$\":"
	    "\"\"}}}\n" },
	{ 0, XMLJSON_SIMPLE, 1, NULL,
	    "<soap:Envelope xmlns:soap=\"urn:s\"><soap:Header/><soap:Body/>"
	    "</soap:Envelope>",
	    "{\"soap:Envelope\":{\"@xmlns:soap\":\"urn:s\",\"soap:Body\":\"\","
	    "\"soap:Header\":\"\"}}\n" },
	{ 0, XMLJSON_BADGERFISH, 0, NULL,
	    "<soap:Envelope xmlns:soap=\"urn:s\"><soap:Header/><soap:Body/>"
	    "</soap:Envelope>",
	    "{\"soap:Envelope\":{\"@xmlns\":{\"soap\":\"urn:s\"},\"soap:Body\":"
	    "{},"
	    "\"soap:Header\":{}}}\n" },
	{ 0, XMLJSON_RAYFISH, 0, NULL,
	    "<soap:Envelope xmlns:soap=\"urn:s\"><soap:Body/></soap:Envelope>",
	    "{\"#children\":[{\"#children\":[],\"#name\":\"@xmlns:soap\","
	    "\"#text\":\"urn:s\"},{\"#children\":[],\"#name\":\"soap:Body\","
	    "\"#text\":\"\"}],\"#name\":\"soap:Envelope\",\"#text\":\"\"}\n" },
	{ 0, XMLJSON_SIMPLE, 1, NULL,
	    "<a x=\"1\"> <b>t</b><b>u</b><c/><!-- c --> </a>",
	    "{\"a\":{\"@x\":\"1\",\"b\":[\"t\",\"u\"],\"c\":\"\"}}\n" },
	{ 0, XMLJSON_SIMPLE, 1, NULL,
	    "<a>&lt;&amp;&quot;\t&#10;\xe2\x80\xa8</a>",
	    "{\"a\":\"<&\\\"\\t\\n\\u2028\"}\n" },
	/* text runs: spaces around each kept unless trimSpace */
	{ 0, XMLJSON_SIMPLE, 1, NULL, "<a> x <![CDATA[ y ]]> </a>",
	    "{\"a\":\" x  y \"}\n" },
	/* default namespace: no prefix; unknown prefixes kept */
	{ 0, XMLJSON_SIMPLE, 1, NULL,
	    "<a xmlns=\"urn:d\"><b/><p:c xmlns:p=\"urn:p\" "
	    "p:q=\"1\"/><u:d/></a>",
	    "{\"a\":{\"@xmlns\":\"urn:d\",\"b\":\"\",\"p:c\":{\"@p:q\":\"1\","
	    "\"@xmlns:p\":\"urn:p\"},\"u:d\":\"\"}}\n" },
	{ 0, XMLJSON_SIMPLE, 1, "_", "<p:a xmlns:p=\"urn:p\" xml:lang=\"en\"/>",
	    "{\"p_a\":{\"@xml_lang\":\"en\",\"@xmlns_p\":\"urn:p\"}}\n" },
	{ 0, XMLJSON_SIMPLE, 1, NULL, "", "{}\n" },
	{ 0, XMLJSON_SIMPLE, 1, NULL,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a>1</a>\n<b>2</b>",
	    "[{\"a\":\"1\"},{\"b\":\"2\"}]\n" },
	/* nothing is loaded or expanded */
	{ 0, XMLJSON_SIMPLE, 1, NULL,
	    "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>",
	    NULL },
	{ 0, XMLJSON_SIMPLE, 1, NULL,
	    "<!DOCTYPE a SYSTEM \"file:///etc/passwd\"><a/>", NULL },
	{ 0, XMLJSON_SIMPLE, 1, NULL, "<a>&e;</a>", NULL },
	{ 0, XMLJSON_SIMPLE, 1, NULL,
	    "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>", NULL },
	{ 0, XMLJSON_SIMPLE, 1, NULL, "<?xml version=\"1.1\"?><a/>", NULL },
	{ 0, XMLJSON_SIMPLE, 1, NULL,
	    "<!-- c --> <?xml version='1.0' encoding='utf-8'?><a/>",
	    "{\"a\":\"\"}\n" },
	{ 0, XMLJSON_SIMPLE, 1, NULL, "<a><b></a></b>", NULL },
	{ 0, XMLJSON_SIMPLE, 1, NULL, "<a:b:c/>", NULL },
	{ 0, XMLJSON_SIMPLE, 1, NULL, "<a/></aileron-xmljson-root><b/>", NULL },

	/* JSON -> XML: Go's indentation and escapes, numbers verbatim */
	{ 1, XMLJSON_SIMPLE, 0, NULL,
	    "{\"a\":{\"@x\":\"<\\\"'&\\n\",\"b\":[\"t\",\"u\"],\"c\":null,"
	    "\"n\":1.50,\"$\":\"a\\tb\\nc\"}}",
	    HDR "<a x=\"&lt;&#34;&#39;&amp;&#xA;\">a&#x9;b\nc\n"
	        "  <b>t</b>\n  <b>u</b>\n  <c></c>\n  <n>1.50</n>\n</a>" },
	{ 1, XMLJSON_SIMPLE, 0, NULL,
	    "{\"a\":[12345678901234567890, -0, 1e400, true, false]}",
	    HDR "<a>12345678901234567890</a>\n<a>-0</a>\n<a>1e400</a>\n"
	        "<a>true</a>\n<a>false</a>" },
	{ 1, XMLJSON_SIMPLE, 0, NULL, "[{\"a\":\"\\u0000x\"},{\"b\":{}}]",
	    HDR "<a>\xef\xbf\xbdx</a>\n<b></b>" },
	{ 1, XMLJSON_SIMPLE, 0, "_", "{\"s_a\":{\"@xmlns_s\":\"urn:s\"}}",
	    HDR "<s:a xmlns:s=\"urn:s\"></s:a>" },
	{ 1, XMLJSON_BADGERFISH, 0, NULL,
	    "{\"s:E\":{\"@xmlns\":{\"s\":\"urn:s\",\"$\":\"urn:d\"},\"s:B\":{"
	    "\"$\":\"x\"}}}",
	    HDR "<s:E xmlns:s=\"urn:s\" xmlns=\"urn:d\">\n  <s:B>x</s:B>\n"
	        "</s:E>" },
	{ 1, XMLJSON_RAYFISH, 0, NULL,
	    "{\"#name\":\"a\",\"#text\":\"t\",\"#children\":[{\"#name\":\"@x\","
	    "\"#text\":\"1\",\"#children\":[]},{\"#name\":\"b\",\"#text\":7,"
	    "\"#children\":[]}]}",
	    HDR "<a x=\"1\">t\n  <b>7</b>\n</a>" },
	/* trailing data after the value is ignored, as Go's Decode does */
	{ 1, XMLJSON_SIMPLE, 0, NULL, "{\"a\":\"b\"} trailing",
	    HDR "<a>b</a>" },
	{ 1, XMLJSON_SIMPLE, 0, NULL, "{\"a\":", NULL },
	{ 1, XMLJSON_SIMPLE, 0, NULL, "\"alice\"", NULL },
	{ 1, XMLJSON_SIMPLE, 0, NULL, "[\"alice\"]", NULL },
	{ 1, XMLJSON_SIMPLE, 0, NULL, "{1:\"b\"}", NULL },
	{ 1, XMLJSON_SIMPLE, 0, NULL, "{\"a\":01}", NULL },
	{ 1, XMLJSON_SIMPLE, 0, NULL, "{\"a\":{\"@x\":1}}", NULL },
	{ 1, XMLJSON_SIMPLE, 0, NULL, "{\"a\":{\"$\":[1]}}", NULL },
	{ 1, XMLJSON_SIMPLE, 0, NULL, "{\"a b\":\"x\"}", NULL },
	{ 1, XMLJSON_SIMPLE, 0, NULL, "{\"\":\"x\"}", NULL },
	{ 1, XMLJSON_SIMPLE, 0, NULL, "{\"a\":{\"@<\":\"x\"}}", NULL },
	{ 1, XMLJSON_RAYFISH, 0, NULL, "{\"#name\":\"a\",\"x\":1}", NULL },
	{ 1, XMLJSON_RAYFISH, 0, NULL, "{\"#name\":\"a\",\"#children\":{}}",
	    NULL },
	{ 1, XMLJSON_RAYFISH, 0, NULL, "{\"#name\":1}", NULL },
	{ 1, XMLJSON_BADGERFISH, 0, NULL, "{\"a\":{\"@xmlns\":{\"s\":null}}}",
	    NULL },
	{ 1, XMLJSON_SIMPLE, 0, NULL, "", NULL },
};

START_TEST(test_exact)
{
	const struct exact *x = &exacts[_i];
	struct xmljson_opts o;
	char *got, err[256];
	size_t glen;
	int rc;

	xmljson_opts_init(&o, x->rules);
	o.prefer_short = x->prefer_short;
	if (x->ns_sep != NULL)
		o.ns_sep = x->ns_sep;
	rc = x->to_xml ? xmljson_to_xml(&o, x->in, strlen(x->in), &got, &glen,
	                     err, sizeof(err))
	               : xmljson_to_json(&o, x->in, strlen(x->in), &got, &glen,
	                     err, sizeof(err));
	if (x->out == NULL) {
		ck_assert_msg(
		    rc == -1, "case %d converted: %s", _i, rc == 0 ? got : "");
		ck_assert_ptr_null(got);
		ck_assert_msg(err[0] != '\0', "no message");
		return;
	}
	ck_assert_msg(rc == 0, "case %d: %s", _i, err);
	ck_assert_uint_eq(glen, strlen(got));
	ck_assert_str_eq(got, x->out);
	free(got);
}
END_TEST

/* Nesting deeper than the limit is an error, not a crash. */
START_TEST(test_depth)
{
	struct xmljson_opts o;
	size_t n = 5000, i, len;
	char *doc = malloc(n * 7 + 1), *got, err[256];

	ck_assert_ptr_nonnull(doc);
	xmljson_opts_init(&o, XMLJSON_SIMPLE);
	for (i = 0; i < n; i++)
		memcpy(doc + i * 3, "<a>", 3);
	for (i = 0; i < n; i++)
		memcpy(doc + n * 3 + i * 4, "</a>", 4);
	ck_assert_int_eq(
	    xmljson_to_json(&o, doc, n * 7, &got, &len, err, sizeof(err)), -1);
	/* and JSON nested as deep */
	for (i = 0; i < n; i++)
		memcpy(doc + i * 5, "{\"a\":", 5);
	for (i = 0; i < n; i++)
		doc[n * 5 + i] = '}';
	ck_assert_int_eq(
	    xmljson_to_xml(&o, doc, n * 6, &got, &len, err, sizeof(err)), -1);
	free(doc);
}
END_TEST

/* A round trip through both directions keeps a SOAP envelope. */
START_TEST(test_round_trip)
{
	static const char env[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/"
	    "envelope/\">\n"
	    "  <soap:Header></soap:Header>\n"
	    "  <soap:Body>\n"
	    "    <m:GetPrice xmlns:m=\"https://www.w3schools.com/prices\">\n"
	    "      <m:Item>Apples</m:Item>\n"
	    "    </m:GetPrice>\n"
	    "  </soap:Body>\n"
	    "</soap:Envelope>";
	struct xmljson_opts o;
	char *json, *xml, err[256];
	size_t jlen, xlen;

	xmljson_opts_init(&o, _i);
	ck_assert_int_eq(xmljson_to_json(&o, env, sizeof(env) - 1, &json, &jlen,
	                     err, sizeof(err)),
	    0);
	ck_assert_int_eq(
	    xmljson_to_xml(&o, json, jlen, &xml, &xlen, err, sizeof(err)), 0);
	ck_assert_msg(xml_same(xml, xlen, env, sizeof(env) - 1), "%s", xml);
	free(json);
	free(xml);
}
END_TEST

static Suite *
xmljson_suite(void)
{
	Suite *s = suite_create("xmljson");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_zxml_decode, 0, NZCASES * NZRULES);
	tcase_add_loop_test(tc, test_zxml_encode, 0, NZCASES * NZRULES);
	tcase_add_loop_test(
	    tc, test_exact, 0, sizeof(exacts) / sizeof(exacts[0]));
	tcase_add_test(tc, test_depth);
	tcase_add_loop_test(tc, test_round_trip, 0, 3);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(xmljson_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
