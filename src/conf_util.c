/* Small helpers of the config readers: whole files, CRLF, realloc, mkdir -p. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_util.h"
#include "log.h"

char *
conf_read_file(const char *path, size_t max, size_t *lenp)
{
	char *buf;
	size_t len = 0, cap = 16384;
	ssize_t n;
	int fd, saved;

	if ((fd = open(path, O_RDONLY)) == -1)
		return NULL;
	buf = conf_realloc(NULL, cap + 1);
	for (;;) {
		if (len == cap) {
			if (cap >= max) {
				errno = EFBIG;
				goto fail;
			}
			cap = cap * 2 < max ? cap * 2 : max;
			buf = conf_realloc(buf, cap + 1);
		}
		if ((n = read(fd, buf + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*lenp = len;
	return buf;
fail:
	saved = errno;
	close(fd);
	free(buf);
	errno = saved;
	return NULL;
}

size_t
conf_crlf(char *buf, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++)
		if (!(buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n'))
			buf[o++] = buf[i];
	if (o < len)
		buf[o] = '\0';
	return o;
}

void *
conf_realloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL)
		fatal("realloc");
	return p;
}

int
conf_mkdirs(const char *dir)
{
	char path[PATH_MAX];
	size_t i, n = strlen(dir);

	if (n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(path, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		/*
		 * 0755 whatever the umask: workers running as another user
		 * reopen the log files beneath (SIGUSR1, rotation).
		 */
		if (mkdir(path, 0755) == 0)
			(void)chmod(path, 0755);
		else if (errno != EEXIST)
			return -1;
		path[i] = dir[i];
	}
	return 0;
}
