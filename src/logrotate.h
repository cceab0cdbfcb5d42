/* SLogger file rotation: the master renames, workers reopen, a child archives. */
#ifndef AILERON_LOGROTATE_H
#define AILERON_LOGROTATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "cron.h"

struct log_logger;

/* One File SLogger's rotation settings (logOutput), as the config holds. */
struct log_rotate {
	char *dir;        /* logDir */
	char *path;       /* the active file: logDir/logFileName */
	char *backup_dir; /* backupDir; logDir when not given */
	char *pattern;    /* archivedFilePattern (logFileName when not given) */
	int64_t size;     /* rotateSize in bytes; 0: never by size */
	int has_cron;
	struct cron cron;
	int compress;      /* gzip level -2..9; 0: none */
	int64_t max_age;   /* seconds; <= 0: no limit */
	int max_backup;    /* <= 0: no limit */
	int64_t max_total; /* bytes; 0: no limit */
};

/*
 * Is pattern a valid archivedFilePattern (no '/', only the specifiers
 * %Y %M %D %h %m %s %u %i %H %U %G %p %P)?  0, or -1 with err set.
 */
int logrotate_pattern_check(const char *pattern, char *err, size_t errsize);
/*
 * The pattern as used: %H %U %G %p %P filled in now, and ".%i" appended
 * when it has no %Y %M %D %h %m %s %u %i.  malloc'd.
 */
char *logrotate_pattern_fill(const char *pattern);
/* An archive name: the pattern with time t (local) and index filled in. */
int logrotate_name(
    const char *pattern, time_t t, long index, char *out, size_t size);
/*
 * Does name match pattern?  *t gets its time (0 without %Y%M%D or %u) and
 * *index its %i (0 without).
 */
int logrotate_scan(
    const char *pattern, const char *name, time_t *t, long *index);

/*
 * Master side.  logrotate_use() takes the File loggers of the config now
 * running (their settings must live until the next call).
 */
void logrotate_use(struct log_logger *const *lgs, size_t n);
/*
 * Rotate the non-empty files at start-up (the next logrotate_manage()
 * also takes the archives older runs left in logDir); the number rotated.
 */
int logrotate_startup(void);
/* Rotate the files due (cron second passed, size reached); the number. */
int logrotate_tick(time_t now);
/*
 * Once no process writes to the archives made so far: move, compress and
 * expire them in a child process (one at a time; later calls wait).
 */
void logrotate_manage(void);
/*
 * The master stops and no worker writes any more: archive every archive
 * made (after the running manager, if any, ended), and wait for that.
 */
void logrotate_stop(void);
/* A child exited: 1 if it was the archive manager. */
int logrotate_reaped(pid_t pid);
/* Move, compress and expire the archives of r now (the child's work). */
void logrotate_archive(const struct log_rotate *r, const char *pattern,
    char *const *names, size_t nnames, int sweep);

#endif
