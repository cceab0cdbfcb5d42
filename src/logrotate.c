/* SLogger file rotation: the master renames, workers reopen, a child archives. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "compat.h"
#include "conf_util.h"
#include "log.h"
#include "logrotate.h"

#define LR_MAX_FILES 16
#define LR_NAME_MAX  NAME_MAX

/*
 * Design.  Every process writes whole lines with one write(2) to an
 * O_APPEND descriptor.  The master alone rotates: it renames the active
 * file to its archive name, reopens its own descriptor on a new file and
 * sends SIGUSR1 to the workers, whose handler reopens theirs at once
 * (dup3 onto the same number) and acknowledges in shared memory.  A line
 * written between the rename and a worker's reopen lands, whole, at the
 * end of the archive.  Only once every worker acknowledged does a child
 * process move, compress and expire the archives, so that none is
 * compressed or deleted while a worker may still append to it.
 */

/* One rotating file in the master. */
struct lr_file {
	const struct log_rotate *cf;
	char *path;    /* our copy: the key across reloads */
	char *pattern; /* filled in (logrotate_pattern_fill) */
	long index;    /* highest %i used or found */
	time_t last;   /* last second the cron was checked */
	char **fresh;  /* archives made since the last manager started */
	size_t nfresh;
	size_t nready; /* of those, the first no worker writes to any more */
	int sweep; /* the next manager also takes older archives in logDir */
	int busy;  /* an archive name was taken: warned once */
};

static struct lr_file lr_files[LR_MAX_FILES];
static size_t lr_nfiles;
static pid_t lr_child;
static int lr_again; /* archives wait for the running manager to end */

/* The specifier at p[1] of "%x"; 0 if p is no specifier. */
static int
lr_spec(const char *p)
{
	return p[0] == '%' && p[1] != '\0' ? (unsigned char)p[1] : 0;
}

int
logrotate_pattern_check(const char *pattern, char *err, size_t errsize)
{
	const char *p;
	int c;

	if (strchr(pattern, '/') != NULL || strchr(pattern, '\\') != NULL) {
		snprintf(err, errsize,
		    "archivedFilePattern \"%s\": must be a file name, not a "
		    "path",
		    pattern);
		return -1;
	}
	for (p = pattern; *p != '\0'; p++) {
		if ((c = lr_spec(p)) == 0)
			continue;
		if (strchr("YMDhmsuiHUGpP", c) == NULL) {
			snprintf(err, errsize,
			    "archivedFilePattern \"%s\": invalid specifier "
			    "%%%c (%%Y %%M %%D %%h %%m %%s %%u %%i %%H %%U "
			    "%%G %%p %%P)",
			    pattern, c);
			return -1;
		}
		p++;
	}
	return 0;
}

/* Append s to the malloc'd *buf of length *len. */
static void
lr_append(char **buf, size_t *len, const char *s, size_t n)
{
	*buf = conf_realloc(*buf, *len + n + 1);
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

char *
logrotate_pattern_fill(const char *pattern)
{
	char *out = NULL, host[256], num[32];
	const char *p, *v;
	size_t len = 0;
	int c, dated = 0;

	lr_append(&out, &len, "", 0);
	for (p = pattern; *p != '\0'; p++) {
		c = lr_spec(p);
		v = NULL;
		switch (c) {
		case 'H':
			if (gethostname(host, sizeof(host)) < 0)
				host[0] = '\0';
			host[sizeof(host) - 1] = '\0';
			v = host;
			break;
		case 'U':
			snprintf(num, sizeof(num), "%ld", (long)getuid());
			v = num;
			break;
		case 'G':
			snprintf(num, sizeof(num), "%ld", (long)getegid());
			v = num;
			break;
		case 'p':
			snprintf(num, sizeof(num), "%ld", (long)getpid());
			v = num;
			break;
		case 'P':
			snprintf(num, sizeof(num), "%ld", (long)getppid());
			v = num;
			break;
		case 0:
			lr_append(&out, &len, p, 1);
			continue;
		default:
			dated = 1;
			lr_append(&out, &len, p, 2);
			p++;
			continue;
		}
		lr_append(&out, &len, v, strlen(v));
		p++;
	}
	if (!dated)
		lr_append(&out, &len, ".%i", 3);
	return out;
}

int
logrotate_name(
    const char *pattern, time_t t, long index, char *out, size_t size)
{
	struct tm tm;
	const char *p;
	size_t o = 0;
	int n;

	localtime_r(&t, &tm);
	for (p = pattern; *p != '\0'; p++) {
		switch (lr_spec(p)) {
		case 'Y':
			n = snprintf(
			    out + o, size - o, "%04d", tm.tm_year + 1900);
			break;
		case 'M':
			n = snprintf(out + o, size - o, "%02d", tm.tm_mon + 1);
			break;
		case 'D':
			n = snprintf(out + o, size - o, "%02d", tm.tm_mday);
			break;
		case 'h':
			n = snprintf(out + o, size - o, "%02d", tm.tm_hour);
			break;
		case 'm':
			n = snprintf(out + o, size - o, "%02d", tm.tm_min);
			break;
		case 's':
			n = snprintf(out + o, size - o, "%02d", tm.tm_sec);
			break;
		case 'u':
			n = snprintf(out + o, size - o, "%lld", (long long)t);
			break;
		case 'i':
			n = snprintf(out + o, size - o, "%ld", index);
			break;
		default:
			n = snprintf(out + o, size - o, "%c", *p);
			p--; /* one character only */
			break;
		}
		p++;
		if (n < 0 || (size_t)n >= size - o)
			return -1;
		o += (size_t)n;
	}
	if (o >= size)
		return -1;
	out[o] = '\0';
	return 0;
}

/* Read digits (exactly want, or at least one when want < 0). */
static int
lr_digits(const char **s, int want, long long *v)
{
	const char *p = *s;
	int n = 0;

	*v = 0;
	while (*p >= '0' && *p <= '9' && (want < 0 || n < want) &&
	    *v < LLONG_MAX / 10 - 9) {
		*v = *v * 10 + (*p - '0');
		p++;
		n++;
	}
	if (n == 0 || (want >= 0 && n != want))
		return -1;
	*s = p;
	return 0;
}

int
logrotate_scan(const char *pattern, const char *name, time_t *t, long *index)
{
	long long y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, u = 0, i = 0, v;
	const char *p, *n = name;
	struct tm tm;
	int c;

	*t = 0;
	*index = 0;
	for (p = pattern; *p != '\0'; p++) {
		if ((c = lr_spec(p)) == 0) {
			if (*n++ != *p)
				return 0;
			continue;
		}
		p++;
		if (lr_digits(&n,
		        strchr("YMDhms", c) == NULL ? -1
		            : c == 'Y'              ? 4
		                                    : 2,
		        &v) < 0)
			return 0;
		switch (c) {
		case 'Y':
			y = v;
			break;
		case 'M':
			mo = v;
			break;
		case 'D':
			d = v;
			break;
		case 'h':
			h = v;
			break;
		case 'm':
			mi = v;
			break;
		case 's':
			s = v;
			break;
		case 'u':
			u = v;
			break;
		case 'i':
			i = v;
			break;
		default:
			return 0;
		}
	}
	if (*n != '\0' || mo > 12 || d > 31 || h > 23 || mi > 59 || s > 59)
		return 0;
	*index = i > LONG_MAX ? LONG_MAX : (long)i;
	if (u > 0)
		*t = (time_t)u;
	else if (y > 0 && mo > 0 && d > 0) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = (int)y - 1900;
		tm.tm_mon = (int)mo - 1;
		tm.tm_mday = (int)d;
		tm.tm_hour = (int)h;
		tm.tm_min = (int)mi;
		tm.tm_sec = (int)s;
		tm.tm_isdst = -1;
		*t = mktime(&tm);
	}
	return 1;
}

/*
 * The archive manager (a child process).
 */

/* An archive found in a directory. */
struct lr_found {
	char name[LR_NAME_MAX + 1];
	time_t t;
	long index;
	off_t size;
};

/* Newest first: by time, then by index (AILERON's order). */
static int
lr_found_cmp(const void *a, const void *b)
{
	const struct lr_found *x = a, *y = b;

	if (x->t != y->t)
		return x->t > y->t ? -1 : 1;
	if (x->index != y->index)
		return x->index > y->index ? -1 : 1;
	return strcmp(y->name, x->name);
}

/* The regular files of dir named by pattern (+ ext); malloc'd, *n. */
static struct lr_found *
lr_list(const char *dir, const char *pattern, const char *ext, size_t *n)
{
	struct lr_found *v = NULL, *f;
	char name[LR_NAME_MAX + 1], path[PATH_MAX];
	size_t el = strlen(ext), nl;
	struct dirent *de;
	struct stat st;
	DIR *d;

	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		nl = strlen(de->d_name);
		if (nl < el || strcmp(de->d_name + nl - el, ext) != 0 ||
		    nl - el >= sizeof(name))
			continue;
		memcpy(name, de->d_name, nl - el);
		name[nl - el] = '\0';
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		v = conf_realloc(v, (*n + 1) * sizeof(*v));
		f = &v[*n];
		if (!logrotate_scan(pattern, name, &f->t, &f->index))
			continue;
		snprintf(f->name, sizeof(f->name), "%s", de->d_name);
		f->size = st.st_size;
		(*n)++;
	}
	closedir(d);
	return v;
}

/* gzip src into dst (level -2..9, -2 Huffman only), then remove src. */
static int
lr_gzip(const char *src, const char *dst, int level)
{
	char mode[8], buf[32768];
	ssize_t n;
	gzFile gz;
	int in, out, rc = 0;

	if (level == -2)
		snprintf(mode, sizeof(mode), "wbh");
	else if (level == -1)
		snprintf(mode, sizeof(mode), "wb");
	else
		snprintf(mode, sizeof(mode), "wb%d", level);
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (out < 0 || (gz = gzdopen(out, mode)) == NULL) {
		if (out >= 0)
			close(out);
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (gzwrite(gz, buf, (unsigned)n) != (int)n) {
			rc = -1;
			break;
		}
	if (n < 0)
		rc = -1;
	if (gzclose(gz) != Z_OK)
		rc = -1;
	close(in);
	if (rc < 0) {
		unlink(dst);
		return -1;
	}
	return unlink(src);
}

/* Copy src to dst across file systems, then remove src. */
static int
lr_copy(const char *src, const char *dst)
{
	char buf[32768];
	ssize_t n;
	int in, out, rc = 0;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			rc = -1;
			break;
		}
	if (n < 0 || close(out) < 0)
		rc = -1;
	close(in);
	if (rc < 0) {
		unlink(dst);
		return -1;
	}
	return unlink(src);
}

/* Move one archive name of logDir to backupDir, compressed if asked. */
static void
lr_archive_one(const struct log_rotate *r, const char *name)
{
	char src[PATH_MAX], dst[PATH_MAX];

	snprintf(src, sizeof(src), "%s/%s", r->dir, name);
	if (r->compress != 0) {
		snprintf(dst, sizeof(dst), "%s/%s.gz", r->backup_dir, name);
		if (lr_gzip(src, dst, r->compress) < 0)
			log_warn("compressing %s", src);
		return;
	}
	if (strcmp(r->dir, r->backup_dir) == 0)
		return;
	snprintf(dst, sizeof(dst), "%s/%s", r->backup_dir, name);
	if (rename(src, dst) < 0 && (errno != EXDEV || lr_copy(src, dst) < 0))
		log_warn("moving %s to %s", src, r->backup_dir);
}

/* Is dir/name the active file of r? */
static int
lr_is_active(const struct log_rotate *r, const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return strcmp(path, r->path) == 0;
}

void
logrotate_archive(const struct log_rotate *r, const char *pattern,
    char *const *names, size_t nnames, int sweep)
{
	const char *ext = r->compress != 0 ? ".gz" : "";
	struct lr_found *v;
	char path[PATH_MAX];
	time_t now = time(NULL);
	int64_t total = 0;
	size_t i, n;

	if (access(r->dir, F_OK) < 0)
		return; /* logDir is gone: nothing to archive */
	if (conf_mkdirs(r->backup_dir) < 0) {
		log_warn("backupDir %s", r->backup_dir);
		return;
	}
	for (i = 0; i < nnames; i++)
		lr_archive_one(r, names[i]);
	if (sweep) {
		/* Archives left in logDir by an earlier run. */
		v = lr_list(r->dir, pattern, "", &n);
		for (i = 0; i < n; i++)
			if (!lr_is_active(r, r->dir, v[i].name))
				lr_archive_one(r, v[i].name);
		free(v);
	}
	v = lr_list(r->backup_dir, pattern, ext, &n);
	if (n > 1)
		qsort(v, n, sizeof(*v), lr_found_cmp);
	for (i = 0; i < n; i++) {
		if (lr_is_active(r, r->backup_dir, v[i].name))
			continue; /* a pattern that matches the active file */
		total += v[i].size;
		if ((r->max_backup > 0 && i >= (size_t)r->max_backup) ||
		    (r->max_age > 0 && v[i].t > 0 &&
		        now - v[i].t > r->max_age) ||
		    (r->max_total > 0 && total > r->max_total)) {
			snprintf(path, sizeof(path), "%s/%s", r->backup_dir,
			    v[i].name);
			if (unlink(path) < 0 && errno != ENOENT)
				log_warn("removing %s", path);
		}
	}
	free(v);
}

/*
 * The master side.
 */

/* Forget the first n fresh archive names of f. */
static void
lr_fresh_drop(struct lr_file *f, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		free(f->fresh[i]);
	memmove(f->fresh, f->fresh + n, (f->nfresh - n) * sizeof(char *));
	f->nfresh -= n;
	f->nready -= n;
	if (f->nfresh == 0) {
		free(f->fresh);
		f->fresh = NULL;
	}
}

/* The highest %i among the archives of f in logDir and backupDir. */
static long
lr_highest(const struct lr_file *f)
{
	struct lr_found *v;
	long hi = 0;
	size_t n, i, k;
	static const char *const exts[] = { "", ".gz" };

	for (k = 0; k < 3; k++) {
		v = lr_list(k == 0 ? f->cf->dir : f->cf->backup_dir, f->pattern,
		    exts[k == 2], &n);
		for (i = 0; i < n; i++)
			if (v[i].index > hi)
				hi = v[i].index;
		free(v);
	}
	return hi;
}

void
logrotate_use(struct log_logger *const *lgs, size_t n)
{
	struct lr_file old[LR_MAX_FILES], *f;
	size_t nold = lr_nfiles, i, j;
	long hi;

	memcpy(old, lr_files, sizeof(old));
	memset(lr_files, 0, sizeof(lr_files));
	lr_nfiles = 0;
	for (i = 0; i < n; i++) {
		const struct log_rotate *cf = lgs[i]->rotate;

		if (cf == NULL)
			continue;
		for (j = 0; j < lr_nfiles; j++)
			if (strcmp(lr_files[j].path, cf->path) == 0)
				break;
		if (j < lr_nfiles)
			continue; /* two SLoggers of one file: the first */
		if (lr_nfiles == LR_MAX_FILES) {
			log_warnx("%s: more than %d rotated log files: not "
			          "rotated",
			    cf->path, LR_MAX_FILES);
			continue;
		}
		f = &lr_files[lr_nfiles++];
		f->cf = cf;
		for (j = 0; j < nold; j++)
			if (old[j].path != NULL &&
			    strcmp(old[j].path, cf->path) == 0)
				break;
		if (j < nold) {
			/* A reload keeps what it knew of the same file. */
			*f = old[j];
			f->cf = cf;
			memset(&old[j], 0, sizeof(old[j]));
			free(f->pattern);
		} else {
			if ((f->path = strdup(cf->path)) == NULL)
				fatal("strdup");
			f->last = time(NULL);
		}
		f->pattern = logrotate_pattern_fill(cf->pattern);
		hi = lr_highest(f);
		if (hi > f->index)
			f->index = hi;
	}
	for (j = 0; j < nold; j++) {
		lr_fresh_drop(&old[j], old[j].nfresh);
		free(old[j].path);
		free(old[j].pattern);
	}
}

/* Does dir/name exist? */
static int
lr_exists(const char *dir, const char *name, const char *ext)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s%s", dir, name, ext);
	return lstat(path, &st) == 0;
}

/*
 * Rename the active file of f to its next archive name and reopen the log
 * files here; 0, or -1 if it stays as it is (the name is taken, or the
 * rename failed).
 */
static int
lr_rotate(struct lr_file *f, time_t now)
{
	const struct log_rotate *cf = f->cf;
	char name[LR_NAME_MAX + 1], path[PATH_MAX];

	if (logrotate_name(f->pattern, now, f->index + 1, name, sizeof(name)) <
	    0)
		return -1;
	if (lr_exists(cf->dir, name, "") ||
	    lr_exists(cf->backup_dir, name, "") ||
	    lr_exists(cf->backup_dir, name, ".gz")) {
		/* A name by the second, taken this second: rotate later. */
		if (!f->busy)
			log_warnx("%s: archive %s exists already: rotating "
			          "later",
			    cf->path, name);
		f->busy = 1;
		return -1;
	}
	f->busy = 0;
	snprintf(path, sizeof(path), "%s/%s", cf->dir, name);
	if (rename(cf->path, path) < 0) {
		log_warn("rotating %s to %s", cf->path, path);
		return -1;
	}
	f->index++;
	f->fresh = conf_realloc(f->fresh, (f->nfresh + 1) * sizeof(char *));
	if ((f->fresh[f->nfresh++] = strdup(name)) == NULL)
		fatal("strdup");
	if (log_reopen() < 0)
		log_warn("reopening the log file");
	return 0;
}

/* The size of the active file, -1 if there is none. */
static int64_t
lr_size(const struct lr_file *f)
{
	struct stat st;

	if (stat(f->cf->path, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	return (int64_t)st.st_size;
}

int
logrotate_startup(void)
{
	size_t i;
	int n = 0;

	for (i = 0; i < lr_nfiles; i++) {
		lr_files[i].sweep = 1;
		if (lr_size(&lr_files[i]) > 0 &&
		    lr_rotate(&lr_files[i], time(NULL)) == 0)
			n++;
	}
	return n;
}

int
logrotate_tick(time_t now)
{
	struct lr_file *f;
	int64_t size;
	size_t i;
	int n = 0, due;
	time_t t;

	for (i = 0; i < lr_nfiles; i++) {
		f = &lr_files[i];
		due = 0;
		if (f->cf->has_cron) {
			/* Every second since the last look (at most a day). */
			t = f->last + 1;
			if (now - t > 86400)
				t = now - 86400;
			for (; t <= now && !due; t++)
				due = cron_match(&f->cf->cron, t);
			f->last = now;
		}
		if ((size = lr_size(f)) <= 0)
			continue; /* nothing written since the last rotation */
		if (f->cf->size > 0 && size >= f->cf->size)
			due = 1;
		if (due && lr_rotate(f, now) == 0)
			n++;
	}
	return n;
}

/* Start the archive manager on the archives ready now. */
static void
lr_fork(void)
{
	size_t i;
	pid_t pid;

	lr_again = 0;
	if ((pid = fork()) < 0) {
		log_warn("fork (log archive manager)");
		return;
	}
	if (pid == 0) {
		setproctitle("log archive manager");
		log_procname("log archive manager");
		for (i = 0; i < lr_nfiles; i++)
			logrotate_archive(lr_files[i].cf, lr_files[i].pattern,
			    lr_files[i].fresh, lr_files[i].nready,
			    lr_files[i].sweep);
		_exit(0);
	}
	lr_child = pid;
	for (i = 0; i < lr_nfiles; i++) {
		lr_fresh_drop(&lr_files[i], lr_files[i].nready);
		lr_files[i].sweep = 0;
	}
}

void
logrotate_manage(void)
{
	size_t i;

	if (lr_nfiles == 0)
		return;
	/* Called once every worker reopened: all archives so far are done. */
	for (i = 0; i < lr_nfiles; i++)
		lr_files[i].nready = lr_files[i].nfresh;
	if (lr_child > 0)
		lr_again = 1;
	else
		lr_fork();
}

void
logrotate_stop(void)
{
	size_t i;

	if (lr_nfiles == 0)
		return;
	for (i = 0; i < lr_nfiles; i++)
		lr_files[i].nready = lr_files[i].nfresh;
	if (lr_child > 0 && waitpid(lr_child, NULL, 0) == lr_child)
		lr_child = 0;
	if (lr_child != 0)
		return;
	lr_fork();
	/* A stop is over once the archives are: wait for the manager. */
	if (lr_child > 0 && waitpid(lr_child, NULL, 0) == lr_child)
		lr_child = 0;
}

int
logrotate_reaped(pid_t pid)
{
	if (pid != lr_child || pid <= 0)
		return 0;
	lr_child = 0;
	if (lr_again)
		lr_fork();
	return 1;
}
