/* Error log: leveled JSON lines, one write(2) each so processes never interleave. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int log_level = LOG_L_INFO;
static int log_fd = STDOUT_FILENO;
static const char *log_name = "master";
static char *log_path; /* log file, reopened on SIGUSR1; NULL: stdout */
static uid_t log_owner = (uid_t)-1; /* who must be able to reopen it */

static const char *const log_level_names[] = { "TRACE", "DEBUG", "INFO", "WARN",
	"ERROR" };

void
log_init(void)
{
	const char *env = getenv("GATEWAY_LOG_LEVEL");
	size_t i;

	if (env == NULL)
		return;
	for (i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]);
	     i++) {
		if (strcasecmp(env, log_level_names[i]) == 0)
			log_level = (int)i;
	}
	if (strcasecmp(env, "FATAL") == 0)
		log_level = LOG_L_ERROR;
}

/* Open the log file for appending, owned by log_owner if set. */
static int
log_open_path(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return -1;
	/* Workers that dropped privileges reopen it too. */
	if (log_owner != (uid_t)-1 && geteuid() == 0 &&
	    fchown(fd, log_owner, (gid_t)-1) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
log_set_file(const char *path)
{
	int fd;

	if ((fd = log_open_path(path)) < 0)
		return -1;
	free(log_path);
	if ((log_path = strdup(path)) == NULL) {
		close(fd);
		return -1;
	}
	if (log_fd != STDOUT_FILENO && log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = fd;
	return 0;
}

void
log_set_owner(uid_t uid)
{
	log_owner = uid;
}

int
log_reopen(void)
{
	int fd;

	if (log_path == NULL)
		return 0;
	if ((fd = log_open_path(log_path)) < 0)
		return -1;
	/* Keep the descriptor number: a line is never written to a closed fd. */
	if (dup3(fd, log_fd, O_CLOEXEC) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

void
log_procname(const char *name)
{
	log_name = name;
}

void
log_set_level(int level)
{
	log_level = level;
}

int
log_get_level(void)
{
	return log_level;
}

void
log_escape(char *dst, size_t dstsize, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	if (dstsize == 0)
		return;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
			if (o + 1 >= dstsize)
				break;
			dst[o++] = (char)ch;
		} else if (ch == '"' || ch == '\\') {
			if (o + 2 >= dstsize)
				break;
			dst[o++] = '\\';
			dst[o++] = (char)ch;
		} else {
			if (o + 6 >= dstsize)
				break;
			memcpy(dst + o, "\\u00", 4);
			dst[o + 4] = hex[ch >> 4];
			dst[o + 5] = hex[ch & 15];
			o += 6;
		}
	}
	dst[o] = '\0';
}

/* Format one JSON log line and write it with a single write(2). */
static void log_vwrite(int level, const char *fmt, va_list ap, int errnum)
    LOG_PRINTF(2, 0);

static void
log_vwrite(int level, const char *fmt, va_list ap, int errnum)
{
	char msg[2048], esc[4096], line[4608];
	struct tm tm;
	time_t now = time(NULL);
	char ts[32];
	int n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errnum != 0) {
		size_t l = strlen(msg);

		snprintf(msg + l, sizeof(msg) - l, ": %s", strerror(errnum));
	}
	log_escape(esc, sizeof(esc), msg, strlen(msg));
	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	n = snprintf(line, sizeof(line),
	    "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"%s\","
	    "\"process\":\"%s\",\"pid\":%ld}\n",
	    ts, log_level_names[level], esc, log_name, (long)getpid());
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	while (write(log_fd, line, (size_t)n) < 0 && errno == EINTR)
		;
}

#define LOG_FN(fn, level, witherr)                                   \
	void fn(const char *fmt, ...)                                \
	{                                                            \
		int saved = errno;                                   \
		va_list ap;                                          \
		if (log_level > (level))                             \
			return;                                      \
		va_start(ap, fmt);                                   \
		log_vwrite((level), fmt, ap, (witherr) ? saved : 0); \
		va_end(ap);                                          \
		errno = saved;                                       \
	}

LOG_FN(log_debug, LOG_L_DEBUG, 0)
LOG_FN(log_info, LOG_L_INFO, 0)
LOG_FN(log_warn, LOG_L_WARN, 1)
LOG_FN(log_warnx, LOG_L_WARN, 0)
LOG_FN(log_error, LOG_L_ERROR, 0)

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_L_ERROR, fmt, ap, saved);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_L_ERROR, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
