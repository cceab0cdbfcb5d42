/* Small helpers of the config readers: whole files, CRLF, realloc, mkdir -p. */
#ifndef AILERON_CONF_UTIL_H
#define AILERON_CONF_UTIL_H

#include <stddef.h>

/*
 * Read a whole file (at most max bytes) into a malloc'd, NUL-terminated
 * buffer; NULL with errno set on failure.
 */
char *conf_read_file(const char *path, size_t max, size_t *lenp);

/* realloc(3) that does not fail (fatal on exhaustion, like the arena). */
void *conf_realloc(void *p, size_t n);

/*
 * Create dir and its missing parents, mode 0755 whatever the umask (as
 * AILERON's os.MkdirAll, but workers running as another user must reach
 * the files beneath); 0, or -1 with errno.  Only when the server starts or
 * reloads (conf_make_log_dirs), never for a check.
 */
int conf_mkdirs(const char *dir);

/* Turn CRLF into LF in buf[0..len); returns the new length. */
size_t conf_crlf(char *buf, size_t len);

#endif
