/* core/v1 SLogger: the operator's log (level, format, where it goes). */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "conf_table.h"
#include "conf_util.h"
#include "kind.h"
#include "log.h"
#include "logfield.h"
#include "logrotate.h"

/* Level names, stored +1 so that 0 means "unset" (non-zero wins). */
static const struct kname slogger_conf_levels[] = {
	{ "Trace", LOG_L_TRACE + 1 },
	{ "Debug", LOG_L_DEBUG + 1 },
	{ "Info", LOG_L_INFO + 1 },
	{ "Warn", LOG_L_WARN + 1 },
	{ "Error", LOG_L_ERROR + 1 },
	{ "Fatal", LOG_L_FATAL + 1 },
	{ NULL, 0 },
};

static const struct kname slogger_conf_targets[] = {
	{ "Stdout", LOG_T_STDOUT },
	{ "Stderr", LOG_T_STDERR },
	{ "Discard", LOG_T_DISCARD },
	{ "File", LOG_T_FILE },
	{ NULL, 0 },
};

/* outputRedirectTarget, stored as LOG_T_* + 1 (0: none); File is refused. */
static const struct kname slogger_conf_redirects[] = {
	{ "Stdout", LOG_T_STDOUT + 1 },
	{ "Stderr", LOG_T_STDERR + 1 },
	{ "Discard", LOG_T_DISCARD + 1 },
	{ "File", LOG_T_FILE + 1 },
	{ NULL, 0 },
};

/* One fieldReplacers entry as read. */
struct slogger_conf_field {
	char *field;
	struct conf_log_repl repl; /* kind 0: no replacer, remove the field */
};

/* core/v1 SLogger spec as read. */
struct slogger_conf_spec {
	struct log_logger lg;
	char *output_time_format;
	char *date_format;
	char *time_format;
	char *log_dir;
	char *log_file_name;
	char *backup_dir;
	char *pattern;
	char *cron;
	char *time_zone;
	char *time_layout; /* deprecated, unused (as in AILERON) */
	int64_t rotate_size;
	int64_t max_total_size;
	int32_t compress_level;
	int32_t max_age;
	int32_t max_backup;
	struct slogger_conf_field *fields;
	size_t nfields;
};

/*
 * Make sure logDir dir is there before its file is opened: 1 to open the
 * file, 0 to leave it closed, -1 after reporting an error at node.  Only
 * a start or a reload (conf_make_log_dirs) creates a missing directory;
 * a check (-c) warns that it will be created and touches nothing.
 */
static int
slogger_conf_dir(struct loader *ld, yaml_node_t *node, const char *dir)
{
	struct conf_pos pos;
	struct stat st;
	char where[128];

	if (!conf_open_log_files)
		return 0;
	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 1;
		errno = ENOTDIR;
	} else if (errno == ENOENT && conf_make_log_dirs) {
		if (conf_mkdirs(dir) == 0)
			return 1;
		conf_errorn(ld, node, "logDir %s: cannot create it: %s", dir,
		    strerror(errno));
		return -1;
	} else if (errno == ENOENT) {
		pos = conf_node_pos(ld, node);
		log_warnx("%s: logDir %s does not exist: it will be created "
		          "when the server starts",
		    conf_pos_str(&pos, where, sizeof(where)), dir);
		return 0;
	}
	conf_errorn(ld, node, "logDir %s: %s", dir, strerror(errno));
	return -1;
}

/* The node of logOutput field name, for messages. */
static yaml_node_t *
slogger_conf_out_node(struct loader *ld, yaml_node_t *node, const char *name)
{
	return conf_field_node(
	    ld, conf_field_node(ld, node, "logOutput"), name);
}

/* Join dir and name into an arena string. */
static char *
slogger_conf_join(struct loader *ld, const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = arena_alloc(ld->arena, n);

	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/*
 * dir as an absolute path (arena), as log_file_open() knows files: the
 * master rotates from "/" once it runs as a daemon.
 */
static char *
slogger_conf_abs(struct loader *ld, const char *dir)
{
	char cwd[PATH_MAX];

	if (dir[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return arena_strdup(ld->arena, dir);
	return slogger_conf_join(ld, cwd, dir);
}

/* The rotation settings of a File SLogger (AILERON's zlog defaults). */
static void
slogger_conf_rotate(
    struct loader *ld, struct slogger_conf_spec *ss, yaml_node_t *node)
{
	struct log_rotate *r = arena_alloc(ld->arena, sizeof(*r));
	char err[512];

	memset(r, 0, sizeof(*r));
	r->dir = slogger_conf_abs(ld, ss->log_dir);
	r->path = slogger_conf_join(ld, r->dir, ss->log_file_name);
	r->backup_dir = slogger_conf_abs(ld,
	    ss->backup_dir != NULL && ss->backup_dir[0] != '\0' ? ss->backup_dir
	                                                        : ss->log_dir);
	r->pattern = ss->pattern != NULL && ss->pattern[0] != '\0'
	    ? ss->pattern
	    : ss->log_file_name;
	if (logrotate_pattern_check(r->pattern, err, sizeof(err)) < 0)
		conf_errorn(ld,
		    slogger_conf_out_node(ld, node, "archivedFilePattern"),
		    "%s", err);
	if (ss->cron != NULL && ss->cron[0] != '\0') {
		if (cron_parse(&r->cron, ss->cron, err, sizeof(err)) < 0)
			conf_errorn(ld, slogger_conf_out_node(ld, node, "cron"),
			    "%s", err);
		r->has_cron = 1;
	}
	r->size = ss->rotate_size * 1024 * 1024;
	r->compress = ss->compress_level;
	r->max_age = ss->max_age;
	r->max_backup = ss->max_backup;
	r->max_total = ss->max_total_size * 1024 * 1024;
	ss->lg.rotate = r;
}

/* The config is freed: the application log must not use its replacers. */
static void
slogger_conf_forget(void *frs)
{
	log_forget_field_repls(frs);
}

/* fieldReplacers: the entries with a field, for the JSON lines. */
static void
slogger_conf_replacers(
    struct loader *ld, struct slogger_conf_spec *ss, yaml_node_t *node)
{
	struct log_field_repl *frs;
	size_t i, n = 0;

	if (ss->nfields == 0)
		return;
	if (ss->lg.unstructured) {
		conf_errorn(ld, conf_field_node(ld, node, "fieldReplacers"),
		    "fieldReplacers: not supported with unstructured: true");
		return;
	}
	frs = arena_alloc(ld->arena, ss->nfields * sizeof(*frs));
	for (i = 0; i < ss->nfields; i++) {
		if (ss->fields[i].field == NULL ||
		    ss->fields[i].field[0] == '\0')
			continue; /* AILERON skips them */
		frs[n].field = ss->fields[i].field;
		frs[n].r = ss->fields[i].repl.r;
		n++;
	}
	ss->lg.field_repls = frs;
	ss->lg.nfield_repls = n;
	conf_at_free(ld, slogger_conf_forget, frs);
}

static void
slogger_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct slogger_conf_spec *ss = obj;
	struct log_logger *lg = &ss->lg;
	yaml_node_t *dnode;

	lg->level--; /* stored +1, defaulted in the table */
	lg->output_time_format = ss->output_time_format;
	lg->date_format = ss->date_format;
	lg->time_format = ss->time_format;
	slogger_conf_replacers(ld, ss, node);
	if (strcmp(ss->time_zone, "UTC") == 0)
		lg->utc = 1;
	else if (strcmp(ss->time_zone, "Local") != 0)
		conf_errorn(ld, slogger_conf_out_node(ld, node, "timeZone"),
		    "timeZone \"%s\": only Local and UTC are supported",
		    ss->time_zone);
	if (lg->redirect == LOG_T_FILE + 1)
		conf_errorn(ld,
		    slogger_conf_out_node(ld, node, "outputRedirectTarget"),
		    "outputRedirectTarget: File is not allowed (Stdout, "
		    "Stderr or Discard)");
	if (lg->target != LOG_T_FILE)
		lg->redirect = 0; /* AILERON redirects File output only */
	switch (lg->target) {
	case LOG_T_STDOUT:
		lg->fd = STDOUT_FILENO;
		break;
	case LOG_T_STDERR:
		lg->fd = STDERR_FILENO;
		break;
	case LOG_T_DISCARD:
		lg->fd = -1;
		break;
	case LOG_T_FILE:
		lg->path =
		    slogger_conf_join(ld, ss->log_dir, ss->log_file_name);
		dnode = slogger_conf_out_node(ld, node, "logDir");
		lg->fd = -1;
		slogger_conf_rotate(ld, ss, node);
		if (slogger_conf_dir(ld, dnode, ss->log_dir) == 1)
			lg->fd = conf_open_log(ld, dnode, lg->path);
		if (lg->fd >= 0) {
			struct conf *c = ld->conf;

			c->file_loggers = arena_realloc(ld->arena,
			    c->file_loggers, c->nfile_loggers * sizeof(lg),
			    (c->nfile_loggers + 1) * sizeof(lg));
			c->file_loggers[c->nfile_loggers++] = lg;
		}
		break;
	}
}

static const struct conf_field slogger_conf_output_fields[] = {
	FENUMD("outputTarget", struct slogger_conf_spec, lg.target,
	    slogger_conf_targets, "Stdout"),
	FSTRD("logDir", struct slogger_conf_spec, log_dir, "."),
	FSTRD("logFileName", struct slogger_conf_spec, log_file_name,
	    "application.log"),
	FSTR("backupDir", struct slogger_conf_spec, backup_dir),
	FSTR("archivedFilePattern", struct slogger_conf_spec, pattern),
	FSTR("cron", struct slogger_conf_spec, cron),
	FINTD("rotateSize", struct slogger_conf_spec, rotate_size, 0,
	    UINT32_MAX, "1024"),
	FSTR("timeLayout", struct slogger_conf_spec, time_layout),
	FSTRD("timeZone", struct slogger_conf_spec, time_zone, "Local"),
	FINT("compressLevel", struct slogger_conf_spec, compress_level, -2, 9),
	FINT("maxAge", struct slogger_conf_spec, max_age, INT32_MIN, INT32_MAX),
	FINT("maxBackup", struct slogger_conf_spec, max_backup, INT32_MIN,
	    INT32_MAX),
	FINT("maxTotalSize", struct slogger_conf_spec, max_total_size, 0,
	    UINT32_MAX),
	FENUM("outputRedirectTarget", struct slogger_conf_spec, lg.redirect,
	    slogger_conf_redirects),
	FEND,
};
static const struct conf_table slogger_conf_output_table = {
	slogger_conf_output_fields, NULL
};

static const struct conf_field slogger_conf_field_fields[] = {
	FSTR("field", struct slogger_conf_field, field),
	FOBJ("replacer", struct slogger_conf_field, repl,
	    &http_logger_conf_repl_table),
	FEND,
};
static const struct conf_table slogger_conf_field_table = {
	slogger_conf_field_fields, NULL
};

static const struct conf_field slogger_conf_fields[] = {
	FENUMD("level", struct slogger_conf_spec, lg.level, slogger_conf_levels,
	    "Info"),
	FFLAT("logOutput", &slogger_conf_output_table),
	FBOOL("unstructured", struct slogger_conf_spec, lg.unstructured),
	FSTRD("outputTimeFormat", struct slogger_conf_spec, output_time_format,
	    "2006-01-02 15:04:05"),
	FSTRD(
	    "dateFormat", struct slogger_conf_spec, date_format, "2006-01-02"),
	FSTRD("timeFormat", struct slogger_conf_spec, time_format,
	    "15:04:05.000"),
	FBOOL("noLocation", struct slogger_conf_spec, lg.no_location),
	FBOOL("noDatetime", struct slogger_conf_spec, lg.no_datetime),
	FLIST("fieldReplacers", struct slogger_conf_spec, fields, nfields,
	    struct slogger_conf_field, &slogger_conf_field_table),
	FEND,
};
static const struct conf_table slogger_conf_table = { slogger_conf_fields,
	slogger_conf_check };

const struct kind slogger_conf_kind = {
	.api_version = "core/v1",
	.kind = "SLogger",
	.roles = KIND_ROLE_LOGGER,
	.table = &slogger_conf_table,
	.size = sizeof(struct slogger_conf_spec),
	.id_off = offsetof(struct slogger_conf_spec, lg.id),
	.eh_off = KIND_NO_OFF,
};
