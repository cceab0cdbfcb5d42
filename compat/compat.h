/* Portability: declarations for libc functions glibc 2.36 lacks. */
#ifndef AILERON_COMPAT_H
#define AILERON_COMPAT_H

#include <stddef.h>

#include "config.h"

#ifndef HAVE_STRLCPY
size_t strlcpy(char *dst, const char *src, size_t size);
#endif

#ifndef HAVE_SETPROCTITLE
/* Copy argv[] strings and environ so that their space can hold a title. */
void setproctitle_init(int argc, char **argv);
/* Set the process title shown by ps(1) to "aileron: " and fmt. */
void setproctitle(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#else
#define setproctitle_init(argc, argv) ((void)0)
#endif

#endif
