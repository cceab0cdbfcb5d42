/* libFuzzer target: the XML <-> JSON converter of SOAPRESTMiddleware, both ways and back. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xmljson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The same bytes as XML and as JSON under each convention: no crash, no
 * leak, output NUL-terminated; XML that converts to simple JSON converts
 * back to XML.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct xmljson_opts o;
	char *out, *back, err[256];
	size_t n, bn;
	int rules;

	if (size > 65536)
		return 0;
	for (rules = XMLJSON_SIMPLE; rules <= XMLJSON_RAYFISH; rules++) {
		xmljson_opts_init(&o, rules);
		o.trim_space = (size & 1) != 0;
		o.prefer_short = (size & 2) != 0;
		if (xmljson_to_json(&o, s, size, &out, &n, err, sizeof(err)) ==
		    0) {
			if (strlen(out) != n)
				abort();
			if (xmljson_to_xml(&o, out, n, &back, &bn, err,
			        sizeof(err)) != 0 &&
			    rules == XMLJSON_SIMPLE && !o.prefer_short)
				abort();
			if (back != NULL)
				free(back);
			free(out);
		}
		if (xmljson_to_xml(&o, s, size, &out, &n, err, sizeof(err)) ==
		    0) {
			if (strlen(out) != n)
				abort();
			free(out);
		}
	}
	return 0;
}
