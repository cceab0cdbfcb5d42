/* XML <-> JSON in the simple, BadgerFish and RayFish conventions of AILERON's zxml. */
#ifndef AILERON_XMLJSON_H
#define AILERON_XMLJSON_H

#include <stddef.h>

/*
 * What SOAPRESTMiddleware converts with (aileron-projects/go zencoding/zxml
 * as AILERON configures it): XML is read with libxml2, JSON with jansson;
 * the output is what zxml writes: JSON compact with sorted keys, numbers
 * verbatim, HTML not escaped, a newline at the end; XML with the
 * <?xml ...?> header, indented by two spaces, elements and attributes in
 * the order the JSON object has them (zxml's order is random).
 */

enum xmljson_rules { XMLJSON_SIMPLE = 0, XMLJSON_BADGERFISH, XMLJSON_RAYFISH };

/* Hard limits: element depth, and the size of what a conversion makes. */
#define XMLJSON_MAX_DEPTH 256
#define XMLJSON_MAX_OUT   (64u * 1024 * 1024)

struct xmljson_opts {
	int rules;                /* enum xmljson_rules */
	const char *text_key;     /* "$" ("#text" for RayFish) */
	const char *attr_prefix;  /* "@" */
	const char *ns_sep;       /* ":" */
	const char *name_key;     /* RayFish: "#name" */
	const char *children_key; /* RayFish: "#children" */
	int trim_space;
	int prefer_short; /* simple only */
};

/* Set up libxml2 once (the master, before fork); optional. */
void xmljson_init(void);

/* AILERON's defaults for rules (every string set, both flags off). */
void xmljson_opts_init(struct xmljson_opts *o, int rules);

/*
 * Convert XML xml[0..len) to JSON.  0 with a malloc'd *out of *outlen
 * bytes (NUL-terminated too), or -1 with a message in err (size bytes).
 */
int xmljson_to_json(const struct xmljson_opts *o, const char *xml, size_t len,
    char **out, size_t *outlen, char *err, size_t size);

/* Convert JSON json[0..len) to XML, the same way. */
int xmljson_to_xml(const struct xmljson_opts *o, const char *json, size_t len,
    char **out, size_t *outlen, char *err, size_t size);

#endif
