/* libFuzzer target: TemplateHandler's Go template subset, parsed and run. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "gotmpl.h"
#include "mime_content.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The first byte picks GoText or GoHTML; the rest is the template. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct echo_field f[] = {
		{ "Accept", 6, "text/html", 9 },
		{ "user-agent", 10, "fuzz", 4 },
		{ "ACCEPT", 6, "*/*", 3 },
	};
	struct mime_content_req q = { "HTTP/1.1", "h:1", "GET", "1.2.3.4:5",
		"/a b", 4, "x=1&y=%41&x=2", 13, f, 3 };
	struct arena *a;
	struct gotmpl *t;
	char err[256], *src, *out;
	size_t len;

	if (size < 1 || size > 16 * 1024)
		return 0;
	if ((src = malloc(size)) == NULL)
		abort();
	memcpy(src, data + 1, size - 1);
	a = arena_new(4096);
	t = gotmpl_parse(a, src, size - 1,
	    data[0] & 1 ? GOTMPL_HTML : GOTMPL_TEXT, err, sizeof(err));
	if (t == NULL && err[0] == '\0')
		abort(); /* a refusal always says why */
	if (t != NULL) {
		out = gotmpl_exec(t, mime_content_data(a, &q), a, &len);
		if (out != NULL && strlen(out) > len)
			abort();
		free(out);
	}
	arena_free(a);
	free(src);
	return 0;
}
