/* Request targets: the forms of RFC 9112 3.2; Expect. */
#include <string.h>
#include <strings.h>

#include "http.h"
#include "http_target.h"

int
http_target_split(const char *t, size_t len, struct http_target *out)
{
	size_t i = 0, q;

	memset(out, 0, sizeof(*out));
	if (len >= 7 && strncasecmp(t, "http://", 7) == 0)
		i = 7;
	else if (len >= 8 && strncasecmp(t, "https://", 8) == 0)
		i = 8;
	if (i > 0) {
		/* absolute-form: the authority ends at '/', '?' or the end */
		out->authority = t + i;
		while (i < len && t[i] != '/' && t[i] != '?')
			i++;
		out->authority_len = (size_t)(t + i - out->authority);
		/* RFC 9110 4.2.4: userinfo in an http(s) URI is an error. */
		if (out->authority_len == 0 ||
		    memchr(out->authority, '@', out->authority_len) != NULL)
			return -1;
		t += i;
		len -= i;
	} else if (len == 0 || t[0] != '/')
		return -1;
	for (q = 0; q < len && t[q] != '?'; q++)
		;
	out->path = t;
	out->path_len = q;
	out->query = q < len ? t + q + 1 : NULL;
	out->query_len = q < len ? len - q - 1 : 0;
	return 0;
}

int
http_expect_check(const struct http_msg *m, const char *buf)
{
	uint32_t i;

	for (i = 0; i < m->nfields; i++) {
		const struct http_field *f = &m->fields[i];

		if (f->id == HDR_EXPECT &&
		    !http_token_list_has(
		        buf + f->value.off, f->value.len, "100-continue"))
			return 417;
	}
	return 0;
}
