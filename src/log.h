/* Error log: leveled messages to stderr (or a file) from master and workers. */
#ifndef AILERON_LOG_H
#define AILERON_LOG_H

#include <stdarg.h>
#include <sys/types.h>

enum log_level {
	LOG_L_TRACE,
	LOG_L_DEBUG,
	LOG_L_INFO,
	LOG_L_WARN,
	LOG_L_ERROR
};

#if defined(__GNUC__)
#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define LOG_NORETURN     __attribute__((noreturn))
#else
#define LOG_PRINTF(a, b)
#define LOG_NORETURN
#endif

/* Set up logging: level from GATEWAY_LOG_LEVEL, output to stderr. */
void log_init(void);
/* Write the log to the file at path (appending) instead of stdout; -1 on error. */
int log_set_file(const char *path);
/* The log file must be reopenable by uid (workers after a privilege drop). */
void log_set_owner(uid_t uid);
/* SIGUSR1: reopen the log file set by log_set_file (a no-op without one). */
int log_reopen(void);
/* Name of this process in log lines ("master", "worker"). */
void log_procname(const char *name);
void log_set_level(int level);
int log_get_level(void);

void log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
/* log_warn appends strerror(errno); log_warnx does not. */
void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_error(const char *fmt, ...) LOG_PRINTF(1, 2);
/* fatal appends strerror(errno); both exit 1. */
void fatal(const char *fmt, ...) LOG_PRINTF(1, 2) LOG_NORETURN;
void fatalx(const char *fmt, ...) LOG_PRINTF(1, 2) LOG_NORETURN;

/* Copy s into dst escaping control, non-ASCII, '"' and '\\' bytes (JSON). */
void log_escape(char *dst, size_t dstsize, const char *s, size_t len);

#endif
