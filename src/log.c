/* Application log: leveled JSON lines, one write(2) each so processes never interleave. */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "logfield.h"

#define LOG_MAX_FILES 64
#define LOG_LINE_MAX  8192

/* AILERON's default layouts (Go reference time). */
#define LOG_GO_OUTPUT "2006-01-02 15:04:05"
#define LOG_GO_DATE   "2006-01-02"
#define LOG_GO_TIME   "15:04:05.000"

static struct log_logger log_builtin = {
	.level = LOG_L_INFO,
	.target = LOG_T_STDOUT,
	.fd = STDOUT_FILENO,
	.output_time_format = LOG_GO_OUTPUT,
	.date_format = LOG_GO_DATE,
	.time_format = LOG_GO_TIME,
};
static const struct log_logger *log_cur = &log_builtin;
static int log_level = LOG_L_INFO;
static const char *log_name = "master";
static uid_t log_owner = (uid_t)-1; /* who must be able to reopen files */

/* Log files by path: shared between loggers, re-opened together. */
static struct log_file {
	char *path;
	int fd;
	int refs;
} log_files[LOG_MAX_FILES];

static const char *const log_level_names[] = { "TRACE", "DEBUG", "INFO", "WARN",
	"ERROR", "FATAL" };

/* Is environment variable name set to a false value? */
static int
log_env_false(const char *name)
{
	const char *v = getenv(name);

	return v != NULL &&
	    (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0 ||
	        strcasecmp(v, "f") == 0);
}

void
log_init(void)
{
	const char *env = getenv("GATEWAY_LOG_LEVEL");
	size_t i;

	log_builtin.no_location = log_env_false("GATEWAY_LOG_LOCATION");
	log_builtin.no_datetime = log_env_false("GATEWAY_LOG_DATETIME");
	if (env == NULL)
		return;
	for (i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]);
	     i++) {
		if (strcasecmp(env, log_level_names[i]) == 0)
			log_builtin.level = log_level = (int)i;
	}
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

/* Our own copy of lg's strings; NULL stays NULL. */
static char *
log_strdup(const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		fatal("strdup");
	return d;
}

static void
log_active_release(struct log_logger *a)
{
	if (a->target == LOG_T_FILE && a->fd >= 0)
		log_file_close(a->fd);
	free(a->id);
	free(a->path);
	free((char *)(uintptr_t)a->output_time_format);
	free((char *)(uintptr_t)a->date_format);
	free((char *)(uintptr_t)a->time_format);
	memset(a, 0, sizeof(*a));
}

/*
 * The application log keeps a copy of the logger, with its own reference
 * to the file, so that freeing the config it came from (a reload, the
 * end of master_run) does not close the log under it.
 */
static struct log_logger log_active[2];

void
log_forget_field_repls(const struct log_field_repl *frs)
{
	size_t i;

	for (i = 0; i < 2; i++)
		if (log_active[i].field_repls == frs) {
			log_active[i].field_repls = NULL;
			log_active[i].nfield_repls = 0;
		}
}

void
log_use(const struct log_logger *lg)
{
	struct log_logger *active = log_active;
	static int which;
	struct log_logger *a;

	if (lg == NULL) {
		log_cur = &log_builtin;
		log_level = log_cur->level;
		log_active_release(&active[which ^ 1]);
		log_active_release(&active[which]);
		return;
	}
	a = &active[which ^ 1];
	log_active_release(a);
	*a = *lg;
	a->id = log_strdup(lg->id);
	a->path = log_strdup(lg->path);
	a->output_time_format = log_strdup(lg->output_time_format);
	a->date_format = log_strdup(lg->date_format);
	a->time_format = log_strdup(lg->time_format);
	a->rotate = NULL; /* the master rotates from the config's copy */
	/* A check (-c) leaves a missing file closed: stderr then too. */
	if (lg->target == LOG_T_FILE &&
	    (lg->fd < 0 || lg->path == NULL ||
	        (a->fd = log_file_open(lg->path)) < 0)) {
		/* Out of slots (the config holds the file open): stderr. */
		a->target = LOG_T_STDERR;
		a->fd = STDERR_FILENO;
	}
	log_cur = a;
	log_level = a->level;
	/* The previous logger is released only after the switch. */
	log_active_release(&active[which]);
	which ^= 1;
}

const struct log_logger *
log_current(void)
{
	return log_cur;
}

/* Open path for appending; owned by log_owner when we are root. */
static int
log_open_path(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	/* Workers that dropped privileges re-open it too. */
	if (fd >= 0 && log_owner != (uid_t)-1 && geteuid() == 0 &&
	    fchown(fd, log_owner, (gid_t)-1) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

void
log_set_owner(uid_t uid)
{
	size_t i;

	log_owner = uid;
	for (i = 0; i < LOG_MAX_FILES; i++)
		if (log_files[i].refs > 0 && geteuid() == 0 &&
		    fchown(log_files[i].fd, uid, (gid_t)-1) < 0)
			log_warn("chown %s", log_files[i].path);
}

int
log_set_file(const char *path)
{
	int fd;

	if ((fd = log_file_open(path)) < 0)
		return -1;
	if (log_builtin.target == LOG_T_FILE)
		log_file_close(log_builtin.fd);
	log_builtin.target = LOG_T_FILE;
	log_builtin.fd = fd;
	return 0;
}

int
log_file_open(const char *path)
{
	size_t i, free_slot = LOG_MAX_FILES;
	char cwd[PATH_MAX], *abs;
	int fd;

	/*
	 * Files are known by absolute path: a daemon changes to "/" before
	 * SIGUSR1 re-opens them.
	 */
	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL) {
		if (asprintf(&abs, "%s/%s", cwd, path) < 0)
			abs = NULL;
	} else
		abs = strdup(path);
	if (abs == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < LOG_MAX_FILES; i++) {
		if (log_files[i].refs > 0 &&
		    strcmp(log_files[i].path, abs) == 0) {
			log_files[i].refs++;
			free(abs);
			return log_files[i].fd;
		}
		if (log_files[i].refs == 0 && free_slot == LOG_MAX_FILES)
			free_slot = i;
	}
	if (free_slot == LOG_MAX_FILES || (fd = log_open_path(abs)) < 0) {
		if (free_slot == LOG_MAX_FILES)
			errno = EMFILE;
		free(abs);
		return -1;
	}
	log_files[free_slot].path = abs;
	log_files[free_slot].fd = fd;
	log_files[free_slot].refs = 1;
	return fd;
}

void
log_file_close(int fd)
{
	size_t i;

	for (i = 0; i < LOG_MAX_FILES; i++) {
		if (log_files[i].refs == 0 || log_files[i].fd != fd)
			continue;
		if (--log_files[i].refs == 0) {
			close(fd);
			free(log_files[i].path);
			log_files[i].path = NULL;
		}
		return;
	}
}

/* Shared with the workers: the rotation generation and their acks. */
static struct log_acks {
	volatile unsigned gen;
	volatile unsigned ack[];
} * log_acks;
static size_t log_nacks;
static volatile int log_my_slot = -1;

int
log_ack_init(size_t nslots)
{
	size_t len = sizeof(*log_acks) + nslots * sizeof(unsigned);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	log_acks = p;
	log_nacks = nslots;
	return 0;
}

unsigned
log_ack_bump(void)
{
	if (log_acks == NULL)
		return 0;
	return ++log_acks->gen;
}

void
log_ack_reset(int slot)
{
	if (log_acks != NULL && slot >= 0 && (size_t)slot < log_nacks)
		log_acks->ack[slot] = log_acks->gen;
}

int
log_ack_done(int slot, unsigned gen)
{
	if (log_acks == NULL || slot < 0 || (size_t)slot >= log_nacks)
		return 1;
	return (int)(log_acks->ack[slot] - gen) >= 0;
}

void
log_ack_slot(int slot)
{
	log_my_slot = slot;
}

/*
 * Open path for appending as log_open_path() does, without errno games or
 * logging: safe in a signal handler.
 */
static int
log_open_async(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd >= 0 && log_owner != (uid_t)-1 && geteuid() == 0 &&
	    fchown(fd, log_owner, (gid_t)-1) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
log_reopen_async(void)
{
	int saved = errno, slot = log_my_slot, failed = 0, fd;
	unsigned gen = log_acks != NULL ? log_acks->gen : 0;
	size_t i;

	for (i = 0; i < LOG_MAX_FILES; i++) {
		if (log_files[i].refs == 0)
			continue;
		if ((fd = log_open_async(log_files[i].path)) < 0) {
			failed++;
			continue;
		}
		if (dup3(fd, log_files[i].fd, O_CLOEXEC) < 0)
			failed++;
		close(fd);
	}
	/*
	 * Every later write goes to the new files: the master may go on
	 * (not after a failure: this worker still writes to the old file).
	 */
	if (failed == 0 && log_acks != NULL && slot >= 0 &&
	    (size_t)slot < log_nacks)
		log_acks->ack[slot] = gen;
	errno = saved;
	return failed;
}

/*
 * Open each log file's path again and put the new file on the old fd
 * number with dup2(), so that every holder of the fd writes to the new
 * file.  A file that cannot be opened keeps the old one (and is logged).
 */
int
log_reopen(void)
{
	size_t i;
	int fd, rc = 0;

	for (i = 0; i < LOG_MAX_FILES; i++) {
		if (log_files[i].refs == 0)
			continue;
		if ((fd = log_open_path(log_files[i].path)) < 0) {
			log_warn("reopen %s", log_files[i].path);
			rc = -1;
			continue;
		}
		if (dup3(fd, log_files[i].fd, O_CLOEXEC) < 0) {
			log_warn("reopen %s: dup3", log_files[i].path);
			rc = -1;
		}
		close(fd);
	}
	return rc;
}

void
log_write_line(int fd, const char *line, size_t len)
{
	ssize_t n;

	if (fd < 0)
		return;
	while ((n = write(fd, line, len)) < 0 && errno == EINTR)
		;
}

void
log_write(const struct log_logger *lg, const char *line, size_t len)
{
	if (lg->nfield_repls > 0)
		line = logfield_apply(
		    lg->field_repls, lg->nfield_repls, line, len, &len);
	log_write_line(lg->fd, line, len);
	if (lg->redirect == LOG_T_STDOUT + 1)
		log_write_line(STDOUT_FILENO, line, len);
	else if (lg->redirect == LOG_T_STDERR + 1)
		log_write_line(STDERR_FILENO, line, len);
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

/* Append printf output to out[*o..size), never past the end. */
static void log_add(char *out, size_t size, size_t *o, const char *fmt, ...)
    LOG_PRINTF(4, 5);

static void
log_add(char *out, size_t size, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*o >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(out + *o, size - *o, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*o = (size_t)n >= size - *o ? size - 1 : *o + (size_t)n;
}

/* Does s start with prefix? */
static int
log_has(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

size_t
log_format_time(const char *layout, const struct timespec *ts, int utc,
    char *out, size_t size)
{
	static const char *const months[] = { "January", "February", "March",
		"April", "May", "June", "July", "August", "September",
		"October", "November", "December" };
	static const char *const days[] = { "Sunday", "Monday", "Tuesday",
		"Wednesday", "Thursday", "Friday", "Saturday" };
	const char *p = layout;
	struct tm tm;
	size_t o = 0, n;
	long off, frac;
	int h12, digits;

	if (size == 0)
		return 0;
	out[0] = '\0';
	if (utc)
		gmtime_r(&ts->tv_sec, &tm);
	else
		localtime_r(&ts->tv_sec, &tm);
	off = tm.tm_gmtoff / 60;
	h12 = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
	while (*p != '\0' && o + 1 < size) {
		if (log_has(p, "January")) {
			log_add(out, size, &o, "%s", months[tm.tm_mon]);
			p += 7;
		} else if (log_has(p, "Jan")) {
			log_add(out, size, &o, "%.3s", months[tm.tm_mon]);
			p += 3;
		} else if (log_has(p, "Monday")) {
			log_add(out, size, &o, "%s", days[tm.tm_wday]);
			p += 6;
		} else if (log_has(p, "Mon")) {
			log_add(out, size, &o, "%.3s", days[tm.tm_wday]);
			p += 3;
		} else if (log_has(p, "MST")) {
			log_add(out, size, &o, "%s",
			    utc || tm.tm_zone == NULL ? "UTC" : tm.tm_zone);
			p += 3;
		} else if (log_has(p, "2006")) {
			log_add(out, size, &o, "%04d", tm.tm_year + 1900);
			p += 4;
		} else if (log_has(p, "002")) {
			log_add(out, size, &o, "%03d", tm.tm_yday + 1);
			p += 3;
		} else if (log_has(p, "01")) {
			log_add(out, size, &o, "%02d", tm.tm_mon + 1);
			p += 2;
		} else if (log_has(p, "02")) {
			log_add(out, size, &o, "%02d", tm.tm_mday);
			p += 2;
		} else if (log_has(p, "_2")) {
			log_add(out, size, &o, "%2d", tm.tm_mday);
			p += 2;
		} else if (log_has(p, "15")) {
			log_add(out, size, &o, "%02d", tm.tm_hour);
			p += 2;
		} else if (log_has(p, "03")) {
			log_add(out, size, &o, "%02d", h12);
			p += 2;
		} else if (log_has(p, "04")) {
			log_add(out, size, &o, "%02d", tm.tm_min);
			p += 2;
		} else if (log_has(p, "05")) {
			log_add(out, size, &o, "%02d", tm.tm_sec);
			p += 2;
		} else if (log_has(p, "06")) {
			log_add(out, size, &o, "%02d", tm.tm_year % 100);
			p += 2;
		} else if (*p == '1') {
			log_add(out, size, &o, "%d", tm.tm_mon + 1);
			p++;
		} else if (*p == '2') {
			log_add(out, size, &o, "%d", tm.tm_mday);
			p++;
		} else if (*p == '3') {
			log_add(out, size, &o, "%d", h12);
			p++;
		} else if (*p == '4') {
			log_add(out, size, &o, "%d", tm.tm_min);
			p++;
		} else if (*p == '5') {
			log_add(out, size, &o, "%d", tm.tm_sec);
			p++;
		} else if (log_has(p, "PM") || log_has(p, "pm")) {
			log_add(out, size, &o, "%s",
			    tm.tm_hour >= 12 ? (*p == 'P' ? "PM" : "pm")
			                     : (*p == 'P' ? "AM" : "am"));
			p += 2;
		} else if ((log_has(p, "Z07:00") || log_has(p, "Z0700")) &&
		    off == 0) {
			log_add(out, size, &o, "Z");
			p += p[3] == ':' ? 6 : 5;
		} else if (log_has(p, "-07:00") || log_has(p, "Z07:00")) {
			log_add(out, size, &o, "%c%02ld:%02ld",
			    off < 0 ? '-' : '+', labs(off) / 60,
			    labs(off) % 60);
			p += 6;
		} else if (log_has(p, "-0700") || log_has(p, "Z0700")) {
			log_add(out, size, &o, "%c%02ld%02ld",
			    off < 0 ? '-' : '+', labs(off) / 60,
			    labs(off) % 60);
			p += 5;
		} else if ((*p == '.' || *p == ',') &&
		    (p[1] == '0' || p[1] == '9')) {
			/* Fractional seconds: .000 (fixed) or .999 (trimmed). */
			char fch = p[1];

			for (n = 1; p[n] == fch; n++)
				;
			digits = (int)n - 1;
			if (p[n] >= '0' && p[n] <= '9') {
				out[o++] = *p++; /* not a fraction */
				continue;
			}
			frac = ts->tv_nsec;
			for (n = (size_t)digits; n < 9; n++)
				frac /= 10;
			if (fch == '0')
				log_add(
				    out, size, &o, "%c%0*ld", *p, digits, frac);
			else if (frac != 0) {
				char tmp[16];
				int len = snprintf(
				    tmp, sizeof(tmp), "%0*ld", digits, frac);

				while (len > 0 && tmp[len - 1] == '0')
					len--;
				log_add(out, size, &o, "%c%.*s", *p, len, tmp);
			}
			p += digits + 1;
		} else
			out[o++] = *p++;
	}
	out[o] = '\0';
	return o;
}

/* Append s as a quoted JSON string (escaped). */
static void
log_add_json(char *out, size_t size, size_t *o, const char *s)
{
	char esc[2048];

	log_escape(esc, sizeof(esc), s, strlen(s));
	log_add(out, size, o, "\"%s\"", esc);
}

/* Append s as a logfmt value: bare if it has no space, quote or '='. */
static void
log_add_text(char *out, size_t size, size_t *o, const char *s)
{
	if (*s != '\0' && strpbrk(s, " \"=\\") == NULL) {
		char esc[2048];

		log_escape(esc, sizeof(esc), s, strlen(s));
		log_add(out, size, o, "%s", esc);
	} else
		log_add_json(out, size, o, s);
}

size_t
log_line_start(const struct log_logger *lg, int level, const char *msg,
    char *out, size_t size)
{
	struct timespec ts;
	struct tm tm;
	char t[128], d[128], tt[128];
	const char *lvl = log_level_names[level];
	size_t o = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (lg->utc)
		gmtime_r(&ts.tv_sec, &tm);
	else
		localtime_r(&ts.tv_sec, &tm);
	log_format_time(lg->output_time_format, &ts, lg->utc, t, sizeof(t));
	log_format_time(lg->date_format, &ts, lg->utc, d, sizeof(d));
	log_format_time(lg->time_format, &ts, lg->utc, tt, sizeof(tt));
	if (lg->unstructured) {
		log_add(out, size, &o, "time=");
		log_add_text(out, size, &o, t);
		log_add(out, size, &o, " level=%s msg=", lvl);
		log_add_text(out, size, &o, msg);
		if (!lg->no_datetime) {
			log_add(out, size, &o, " datetime.date=");
			log_add_text(out, size, &o, d);
			log_add(out, size, &o, " datetime.time=");
			log_add_text(out, size, &o, tt);
			log_add(out, size, &o, " datetime.zone=");
			log_add_text(out, size, &o,
			    lg->utc || tm.tm_zone == NULL ? "UTC" : tm.tm_zone);
		}
		return o;
	}
	log_add(out, size, &o, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":", t,
	    lvl);
	log_add_json(out, size, &o, msg);
	if (!lg->no_datetime)
		log_add(out, size, &o,
		    ",\"datetime\":{\"date\":\"%s\",\"time\":\"%s\","
		    "\"zone\":\"%s\"}",
		    d, tt, lg->utc || tm.tm_zone == NULL ? "UTC" : tm.tm_zone);
	return o;
}

/* The source file as "src/x.c", whatever the build directory was. */
static const char *
log_short_file(const char *file)
{
	const char *p = file, *q;

	while ((q = strstr(p, "src/")) != NULL && q[4] != '\0')
		if (strstr(q + 4, "src/") != NULL)
			p = q + 4;
		else
			return q;
	return file;
}

/* Format one log line of the current logger and write it once. */
static void log_vwrite(int level, const struct log_loc *loc, int errnum,
    const char *fmt, va_list ap) LOG_PRINTF(4, 0);

static void
log_vwrite(int level, const struct log_loc *loc, int errnum, const char *fmt,
    va_list ap)
{
	const struct log_logger *lg = log_cur;
	char msg[2048], line[LOG_LINE_MAX];
	size_t o, l;

	if (lg->fd < 0)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errnum != 0) {
		l = strlen(msg);
		snprintf(msg + l, sizeof(msg) - l, ": %s", strerror(errnum));
	}
	o = log_line_start(lg, level, msg, line, sizeof(line) - 2);
	if (lg->unstructured) {
		if (!lg->no_location)
			log_add(line, sizeof(line) - 2, &o,
			    " location.file=%s location.func=%s "
			    "location.line=%d",
			    log_short_file(loc->file), loc->func, loc->line);
		log_add(line, sizeof(line) - 2, &o, " process=%s pid=%ld",
		    log_name, (long)getpid());
	} else {
		if (!lg->no_location)
			log_add(line, sizeof(line) - 2, &o,
			    ",\"location\":{\"file\":\"%s\",\"func\":\"%s\","
			    "\"line\":%d}",
			    log_short_file(loc->file), loc->func, loc->line);
		log_add(line, sizeof(line) - 2, &o,
		    ",\"process\":\"%s\",\"pid\":%ld}", log_name,
		    (long)getpid());
	}
	line[o++] = '\n';
	log_write(lg, line, o);
}

void
log_msg(int level, const struct log_loc *loc, int witherr, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (log_level > level)
		return;
	va_start(ap, fmt);
	log_vwrite(level, loc, witherr ? saved : 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_fatal(const struct log_loc *loc, int witherr, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_L_FATAL, loc, witherr ? saved : 0, fmt, ap);
	va_end(ap);
	exit(1);
}
