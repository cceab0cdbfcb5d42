/* MIME types of files: by name extension, or sniffed as Go does. */
#ifndef AILERON_MIME_H
#define AILERON_MIME_H

#include <stddef.h>

/* Bytes mime_sniff() looks at, like Go's sniffLen. */
#define MIME_SNIFF_LEN 512

/*
 * The type of a file named name (len bytes) by its extension, compared
 * without regard to case, as Go's mime.TypeByExtension answers on Debian
 * (text types carry "; charset=utf-8"); NULL when unknown.
 */
const char *mime_by_name(const char *name, size_t len);

/*
 * The type of content starting with data (len bytes, at most
 * MIME_SNIFF_LEN are used): Go's http.DetectContentType, never NULL.
 */
const char *mime_sniff(const void *data, size_t len);

#endif
