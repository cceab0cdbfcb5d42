/* Portability: strlcpy for libcs without it. */
#include <string.h>

#include "compat.h"

#ifndef HAVE_STRLCPY
/* Copy src into dst of size bytes, always NUL-terminated; returns strlen(src). */
size_t
strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len >= size ? size - 1 : len;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
#endif
