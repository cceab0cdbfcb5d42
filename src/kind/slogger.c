/* core/v1 SLogger: the operator's log (level, format, where it goes). */
#include <errno.h>
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

/* Level names, stored +1 so that 0 means "unset" (non-zero wins). */
static const struct conf_enum slogger_conf_levels[] = {
	{ "Trace", LOG_L_TRACE + 1 },
	{ "Debug", LOG_L_DEBUG + 1 },
	{ "Info", LOG_L_INFO + 1 },
	{ "Warn", LOG_L_WARN + 1 },
	{ "Error", LOG_L_ERROR + 1 },
	{ "Fatal", LOG_L_FATAL + 1 },
	{ NULL, 0 },
};

static const struct conf_enum slogger_conf_targets[] = {
	{ "Stdout", LOG_T_STDOUT },
	{ "Stderr", LOG_T_STDERR },
	{ "Discard", LOG_T_DISCARD },
	{ "File", LOG_T_FILE },
	{ NULL, 0 },
};

#define SLOGGER_CONF_ROTATE_WHY                                 \
	"not supported yet (aileron does not rotate its logs: " \
	"use logrotate(8), which sends SIGUSR1 to re-open them)"

/* core/v1 SLogger spec as read. */
struct slogger_conf_spec {
	struct log_logger lg;
	char *output_time_format;
	char *date_format;
	char *time_format;
	char *log_dir;
	char *log_file_name;
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

static void
slogger_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct slogger_conf_spec *ss = obj;
	struct log_logger *lg = &ss->lg;
	const char *dir, *name;
	yaml_node_t *dnode;
	size_t n;

	lg->level--; /* stored +1, defaulted in the table */
	lg->output_time_format = ss->output_time_format;
	lg->date_format = ss->date_format;
	lg->time_format = ss->time_format;
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
		dir = ss->log_dir;
		name = ss->log_file_name;
		n = strlen(dir) + strlen(name) + 2;
		lg->path = arena_alloc(ld->arena, n);
		snprintf(lg->path, n, "%s/%s", dir, name);
		dnode = conf_field_node(
		    ld, conf_field_node(ld, node, "logOutput"), "logDir");
		lg->fd = -1;
		if (slogger_conf_dir(ld, dnode, dir) == 1)
			lg->fd = conf_open_log(ld, dnode, lg->path);
		break;
	}
}

static const struct conf_field slogger_conf_output_fields[] = {
	FENUMD("outputTarget", struct slogger_conf_spec, lg.target,
	    slogger_conf_targets, "Stdout"),
	FSTRD("logDir", struct slogger_conf_spec, log_dir, "."),
	FSTRD("logFileName", struct slogger_conf_spec, log_file_name,
	    "application.log"),
	FUNSUP("backupDir", SLOGGER_CONF_ROTATE_WHY),
	FUNSUP("archivedFilePattern", SLOGGER_CONF_ROTATE_WHY),
	FUNSUP("cron", SLOGGER_CONF_ROTATE_WHY),
	FUNSUP("rotateSize", SLOGGER_CONF_ROTATE_WHY),
	FUNSUP("timeZone", SLOGGER_CONF_ROTATE_WHY),
	FUNSUP("compressLevel", SLOGGER_CONF_ROTATE_WHY),
	FUNSUP("maxAge", SLOGGER_CONF_ROTATE_WHY),
	FUNSUP("maxBackup", SLOGGER_CONF_ROTATE_WHY),
	FUNSUP("maxTotalSize", SLOGGER_CONF_ROTATE_WHY),
	FUNSUP("outputRedirectTarget", NULL),
	FEND,
};
static const struct conf_table slogger_conf_output_table = {
	slogger_conf_output_fields, NULL
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
	FUNSUP("fieldReplacers", NULL),
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
