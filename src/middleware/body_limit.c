/* app/v1 BodyLimitMiddleware: refuse request bodies above maxSize. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "conf_table.h"
#include "kind.h"
#include "middleware/body_limit.h"

/*
 * Config part.
 */

/* memLimit defaults to maxSize (0 merges to it); tempPath to $TMPDIR or /tmp. */
static void
body_limit_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct body_limit_policy *p = obj;
	const char *tmp = getenv("TMPDIR");
	size_t n;

	(void)node;
	if (p->mem_limit == 0)
		p->mem_limit = p->max_size;
	if (p->temp_path == NULL || p->temp_path[0] == '\0')
		p->temp_path = arena_strdup(
		    ld->arena, tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	/* as Go's filepath.Clean for the trailing slashes */
	n = strlen(p->temp_path);
	while (n > 1 && p->temp_path[n - 1] == '/')
		p->temp_path[--n] = '\0';
}

static const struct conf_field body_limit_conf_fields[] = {
	FINTD("maxSize", struct body_limit_policy, max_size, INT64_MIN,
	    INT64_MAX, "4194304"),
	FINT("memLimit", struct body_limit_policy, mem_limit, INT64_MIN,
	    INT64_MAX),
	FSTR("tempPath", struct body_limit_policy, temp_path),
	FEND,
};
static const struct conf_table body_limit_conf_table = { body_limit_conf_fields,
	body_limit_conf_check };

/* Not usable as middleware until the runtime part is wired (phase B). */
const struct kind body_limit_conf_kind = {
	.api_version = "app/v1",
	.kind = "BodyLimitMiddleware",
	.table = &body_limit_conf_table,
	.size = sizeof(struct body_limit_policy),
	.id_off = KIND_NO_OFF,
	.eh_off = KIND_NO_OFF,
};

/*
 * Runtime part.
 */

enum body_limit_action
body_limit_decide(
    const struct body_limit_policy *p, int chunked, uint64_t length)
{
	if (p->max_size <= 0)
		return BODY_LIMIT_PASS;
	if (!chunked && length > (uint64_t)p->max_size)
		return BODY_LIMIT_TOO_LARGE;
	if (chunked || p->mem_limit <= 0)
		return BODY_LIMIT_COUNT;
	if (length <= (uint64_t)p->mem_limit)
		return BODY_LIMIT_MEMORY;
	return BODY_LIMIT_FILE;
}

int
body_limit_count(const struct body_limit_policy *p, uint64_t *total, size_t n,
    int response_started)
{
	*total += n;
	if (p->max_size <= 0 || *total <= (uint64_t)p->max_size)
		return 0;
	return response_started ? -1 : 413;
}

int
body_limit_tempfile(const struct body_limit_policy *p, char *path, size_t size)
{
	static uint64_t counter;
	struct timeval tv;
	struct tm tm;
	char stamp[32];
	int fd, tries;

	for (tries = 0; tries < 16; tries++) {
		gettimeofday(&tv, NULL);
		localtime_r(&tv.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
		/*
		 * The counter is per worker; O_EXCL and the retry keep two
		 * workers in the same microsecond apart.
		 */
		if ((size_t)snprintf(path, size, "%s/body-%s.%06ld-%020llu",
		        p->temp_path, stamp, (long)tv.tv_usec,
		        (unsigned long long)++counter) >= size) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			unlink(path);
			return fd;
		}
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

/* Write all n bytes of buf to fd; -1 on error. */
static int
body_limit_write(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

int
body_limit_spool(const struct body_limit_policy *p, int fd, uint64_t length,
    body_limit_read_fn rd, void *ctx)
{
	char buf[16384];
	uint64_t total = 0, max = (uint64_t)p->max_size;

	while (total < max) {
		size_t want = sizeof(buf);
		ssize_t r;

		if (max - total < want)
			want = (size_t)(max - total);
		if ((r = rd(ctx, buf, want)) < 0)
			return 500;
		if (r == 0)
			break;
		if (body_limit_write(fd, buf, (size_t)r) < 0)
			return 500;
		total += (uint64_t)r;
	}
	if (total != length)
		return 400;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return 500;
	return 0;
}

int
body_limit_read_all(
    void *buf, uint64_t length, body_limit_read_fn rd, void *ctx)
{
	uint64_t got = 0;

	while (got < length) {
		ssize_t r = rd(ctx, (char *)buf + got, (size_t)(length - got));

		if (r <= 0)
			return 400;
		got += (uint64_t)r;
	}
	return 0;
}
