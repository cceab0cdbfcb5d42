/* libFuzzer target: the request-field parsers of the content handlers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "echo_body.h"
#include "http_range.h"
#include "mime.h"
#include "mime_content.h"
#include "static_path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every parser gets the same bytes: none may crash, all stay in bounds. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { "application/json", "text/plain",
		"text/html" };
	const char *s = (const char *)data;
	struct http_range rg[HTTP_RANGE_MAX];
	struct http_cond c;
	struct echo_req er;
	char clean[512], *str, *body;
	size_t n, i, blen;
	time_t t;
	int use, status;

	if (size > 8192)
		return 0;
	if (http_range_parse(s, size, 1000, rg, &n) == 0)
		for (i = 0; i < n; i++)
			if (rg[i].start < 0 || rg[i].length < 0 ||
			    rg[i].start + rg[i].length > 1000)
				abort();
	(void)http_date_parse(s, size, &t);
	memset(&c, 0, sizeof(c));
	c.if_match = c.if_none_match = c.if_range = c.if_modified_since = s;
	c.if_match_len = c.if_none_match_len = c.if_range_len =
	    c.if_modified_since_len = size;
	c.get_or_head = 1;
	status = http_cond_check(&c, 784111777, "\"etag\"", &use);
	if (status != 0 && status != 304 && status != 412)
		abort();
	if (static_path_clean(s, size, clean, sizeof(clean)) >= 0 &&
	    (clean[0] != '/' || strstr(clean, "/../") != NULL ||
	        strstr(clean, "//") != NULL))
		abort();
	(void)mime_content_find(s, size, types, 3);
	(void)mime_sniff(s, size);
	(void)mime_by_name(s, size);
	/* The echo dump with the input as path and query. */
	if ((str = malloc(size + 1)) == NULL)
		abort();
	memcpy(str, s, size);
	str[size] = '\0';
	memset(&er, 0, sizeof(er));
	er.proto = er.host = er.method = er.uri = er.remote = "";
	er.path = str;
	er.path_len = size;
	er.query = str;
	er.body = str;
	er.body_len = size;
	if ((body = echo_body_build(&er, &blen, &status)) != NULL &&
	    status != 200 && status != 500)
		abort();
	free(body);
	free(str);
	return 0;
}
