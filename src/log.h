/* Application log: AILERON's default logger and core/v1 SLogger, JSON lines. */
#ifndef AILERON_LOG_H
#define AILERON_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

enum log_level {
	LOG_L_TRACE,
	LOG_L_DEBUG,
	LOG_L_INFO,
	LOG_L_WARN,
	LOG_L_ERROR,
	LOG_L_FATAL
};

/* Where an SLogger writes (LogOutputSpec.outputTarget). */
enum log_target { LOG_T_STDOUT, LOG_T_STDERR, LOG_T_DISCARD, LOG_T_FILE };

#if defined(__GNUC__)
#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define LOG_NORETURN     __attribute__((noreturn))
#else
#define LOG_PRINTF(a, b)
#define LOG_NORETURN
#endif

/*
 * One logger: the built-in default (JSON to stdout) or a core/v1 SLogger.
 * Time layouts are Go layouts ("2006-01-02 15:04:05.000"), interpreted by
 * log_format_time().  The config loader fills these; fd is opened by it.
 */
struct log_logger {
	char *id;   /* apiVersion/kind/namespace/name, NULL for built-in */
	int level;  /* enum log_level */
	int target; /* enum log_target */
	char *path; /* LOG_T_FILE: logDir/logFileName */
	int fd;     /* -1 for Discard */
	int unstructured;
	const char *output_time_format; /* top-level "time" */
	const char *date_format;        /* datetime.date */
	const char *time_format;        /* datetime.time */
	int no_location;
	int no_datetime;
	int utc;      /* logOutput.timeZone UTC (else local time) */
	int redirect; /* outputRedirectTarget: 0 none, else LOG_T_* + 1 */
	struct log_rotate *rotate; /* LOG_T_FILE rotation, see logrotate.h */
	const struct log_field_repl *field_repls; /* logfield.h */
	size_t nfield_repls;
};

/* Source location of a log call: log_info() and friends pass it. */
struct log_loc {
	const char *file;
	const char *func;
	int line;
};

#define LOG_LOC (&(const struct log_loc) { __FILE__, __func__, __LINE__ })

/*
 * Set up the built-in default logger: level from GATEWAY_LOG_LEVEL,
 * GATEWAY_LOG_LOCATION=false and GATEWAY_LOG_DATETIME=false, stdout.
 */
void log_init(void);
/*
 * Write the built-in logger's lines to the file at path (appending)
 * instead of stdout; -1 on error.  An SLogger in the config still wins.
 */
int log_set_file(const char *path);
/* Log files must be re-openable by uid (workers after a privilege drop). */
void log_set_owner(uid_t uid);
/* Name of this process in log lines ("master", "worker"). */
void log_procname(const char *name);
void log_set_level(int level);
int log_get_level(void);

/*
 * Make lg (an SLogger of a loaded config, or NULL for the built-in
 * default) the application log.  lg must live until the next call.
 */
void log_use(const struct log_logger *lg);
/* The logger application lines go to now. */
const struct log_logger *log_current(void);
/* The config that owns frs is freed: the application log forgets them. */
void log_forget_field_repls(const struct log_field_repl *frs);

/*
 * Files: logs that are files are opened through here, shared by path, and
 * re-opened together by log_reopen() (SIGUSR1, after logrotate moved them).
 * log_file_open returns an fd (O_APPEND, close-on-exec) or -1 with errno.
 */
int log_file_open(const char *path);
void log_file_close(int fd);
/* Re-open every log file in place (same fd numbers); 0 or -1 if one failed. */
int log_reopen(void);

/* Write one complete line to fd with a single write(2). */
void log_write_line(int fd, const char *line, size_t len);
/*
 * Write one line of logger lg, rewritten by its fieldReplacers: to its
 * file (or stream), then to its redirect.
 */
void log_write(const struct log_logger *lg, const char *line, size_t len);

/*
 * Rotation acknowledgements (see logrotate.c).  The master maps room for
 * nslots workers before forking; log_ack_bump() starts a rotation
 * generation; a worker's SIGUSR1 handler reopens the files (open, dup3:
 * async-signal-safe) and records the generation in its slot, so that the
 * master knows when no worker writes to the renamed file any more.
 */
int log_ack_init(size_t nslots);
unsigned log_ack_bump(void);
/* A new worker of slot i holds the files as they are now. */
void log_ack_reset(int slot);
/* Has the worker of slot i reopened since generation gen began? */
int log_ack_done(int slot, unsigned gen);
/* Worker: the slot its reopens acknowledge (-1: none). */
void log_ack_slot(int slot);
/*
 * Reopen every log file from a signal handler: no allocation, no lock, no
 * logging; returns the number of files that failed (the caller logs).
 */
int log_reopen_async(void);

/*
 * Format a time with a Go layout (2006 01 02 15 04 05 .000 .000000 MST
 * -0700 Z07:00 Jan January Mon Monday PM 06 1 2 3 _2 ...) into out.
 */
size_t log_format_time(const char *layout, const struct timespec *ts, int utc,
    char *out, size_t size);

/*
 * The start of a structured line of logger lg: `{"time":...,"level":...,
 * "msg":...,"datetime":{...}` (no closing brace) or, unstructured,
 * `time=... level=... msg=...`.  msg is escaped.  Returns the length.
 */
size_t log_line_start(const struct log_logger *lg, int level, const char *msg,
    char *out, size_t size);

void log_msg(int level, const struct log_loc *loc, int witherr, const char *fmt,
    ...) LOG_PRINTF(4, 5);
void log_fatal(const struct log_loc *loc, int witherr, const char *fmt, ...)
    LOG_PRINTF(3, 4) LOG_NORETURN;

#define log_trace(...) log_msg(LOG_L_TRACE, LOG_LOC, 0, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_L_DEBUG, LOG_LOC, 0, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_L_INFO, LOG_LOC, 0, __VA_ARGS__)
/* log_warn appends strerror(errno); log_warnx does not. */
#define log_warn(...)  log_msg(LOG_L_WARN, LOG_LOC, 1, __VA_ARGS__)
#define log_warnx(...) log_msg(LOG_L_WARN, LOG_LOC, 0, __VA_ARGS__)
#define log_error(...) log_msg(LOG_L_ERROR, LOG_LOC, 0, __VA_ARGS__)
/* fatal appends strerror(errno); both exit 1. */
#ifdef __CPPCHECK__
/* cppcheck does not see through the macros that a call never returns. */
void fatal(const char *fmt, ...) LOG_NORETURN;
void fatalx(const char *fmt, ...) LOG_NORETURN;
#else
#define fatal(...)  log_fatal(LOG_LOC, 1, __VA_ARGS__)
#define fatalx(...) log_fatal(LOG_LOC, 0, __VA_ARGS__)
#endif

/* Copy s into dst escaping control, non-ASCII, '"' and '\\' bytes (JSON). */
void log_escape(char *dst, size_t dstsize, const char *s, size_t len);

#endif
