/* Portability: declarations for libc functions glibc 2.36 lacks. */
#ifndef AILERON_COMPAT_H
#define AILERON_COMPAT_H

#include <stddef.h>

#include "config.h"

#ifndef HAVE_STRLCPY
size_t strlcpy(char *dst, const char *src, size_t size);
#endif

#endif
