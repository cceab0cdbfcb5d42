/* setproctitle(3) for glibc: overwrite the argv (and environ) strings in place. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"

#ifndef HAVE_SETPROCTITLE
extern char **environ;

static char *spt_start; /* argv[0] as the kernel placed it */
static size_t spt_len;  /* contiguous bytes of argv and environ strings */

/* Duplicate s or die: called once at start, before anything could fail. */
static char *
spt_strdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		abort();
	return p;
}

void
setproctitle_init(int argc, char **argv)
{
	char *end, **env;
	size_t n, i;

	if (argc < 1 || argv[0] == NULL)
		return;
	end = argv[0];
	for (i = 0; i < (size_t)argc; i++)
		if (argv[i] == end)
			end = argv[i] + strlen(argv[i]) + 1;
	for (n = 0; environ != NULL && environ[n] != NULL; n++)
		if (environ[n] == end)
			end = environ[n] + strlen(environ[n]) + 1;
	/* The strings move to the heap; their old place holds the title. */
	if ((env = calloc(n + 1, sizeof(*env))) == NULL)
		abort();
	for (i = 0; i < n; i++)
		env[i] = spt_strdup(environ[i]);
	environ = env;
	spt_start = argv[0];
	spt_len = (size_t)(end - argv[0]);
	for (i = 0; i < (size_t)argc; i++)
		argv[i] = spt_strdup(argv[i]);
}

void
setproctitle(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	if (spt_start == NULL || spt_len < 2)
		return;
	n = snprintf(buf, sizeof(buf), "aileron: ");
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	n = (int)strlen(buf);
	if ((size_t)n >= spt_len)
		n = (int)spt_len - 1;
	memcpy(spt_start, buf, (size_t)n);
	memset(spt_start + n, '\0', spt_len - (size_t)n);
}
#endif
