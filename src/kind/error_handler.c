/* core/v1 ErrorHandler: error pages by path, code, kind and media type. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf_kv.h"
#include "conf_table.h"
#include "conf_util.h"
#include "errpage.h"
#include "kind.h"

static const struct kname error_handler_conf_template_types[] = {
	{ "Text", TEMPLATE_TEXT },
	{ "GoText", TEMPLATE_GO_TEXT },
	{ "GoHTML", TEMPLATE_GO_HTML },
	{ NULL, 0 },
};

static const char error_handler_conf_template_help[] =
    "only {{.status}}, {{.statusText}}, {{.code}} and {{.kind}} are "
    "supported in templates";

static void
error_handler_conf_check_mime(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_mime_content *mc = obj;
	const char *t;
	size_t len;

	if (mc->mime_type == NULL) {
		conf_errorn(
		    ld, node, "missing field \"mimeType\" in %s", ld->path);
		return;
	}
	t = mc->mime_type;
	if (strspn(t, "abcdefghijklmnopqrstuvwxyz") == 0 ||
	    t[strspn(t, "abcdefghijklmnopqrstuvwxyz")] != '/' ||
	    t[strspn(t, "abcdefghijklmnopqrstuvwxyz") + 1] == '\0' ||
	    strspn(t + strspn(t, "abcdefghijklmnopqrstuvwxyz") + 1,
	        "abcdefghijklmnopqrstuvwxyz"
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-") !=
	        strlen(t + strspn(t, "abcdefghijklmnopqrstuvwxyz") + 1)) {
		conf_errorn(ld, conf_field_node(ld, node, "mimeType"),
		    "field \"mimeType\": invalid media type \"%s\"", t);
		return;
	}
	if (mc->template_file != NULL && mc->template_file[0] != '\0') {
		char *text =
		    conf_read_file(mc->template_file, CONF_MAX_FILE, &len);

		if (text == NULL) {
			conf_errorn(ld,
			    conf_field_node(ld, node, "templateFile"),
			    "field \"templateFile\": %s: %s", mc->template_file,
			    strerror(errno));
			return;
		}
		mc->template_text = arena_strndup(ld->arena, text, len);
		free(text);
	}
	if (errpage_check_template(mc->template_type, mc->template_text) < 0)
		conf_errorn(ld, node, "%s: %s", ld->path,
		    error_handler_conf_template_help);
}

static const struct conf_field error_handler_conf_mime_fields[] = {
	FSTR("mimeType", struct conf_mime_content, mime_type),
	FINT("statusCode", struct conf_mime_content, status_code, 0, 999),
	FHEADERS("header", struct conf_mime_content, headers, nheaders),
	FENUM("templateType", struct conf_mime_content, template_type,
	    error_handler_conf_template_types),
	FSTR("template", struct conf_mime_content, template_text),
	FSTR("templateFile", struct conf_mime_content, template_file),
	FEND,
};
static const struct conf_table error_handler_conf_mime_table = {
	error_handler_conf_mime_fields, error_handler_conf_check_mime
};

static void
error_handler_conf_check_message(
    struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_error_message *m = obj;
	char err[256];
	size_t i;

	for (i = 0; i < m->npaths; i++)
		if (errpage_check_regex(m->paths[i], err, sizeof(err)) < 0)
			conf_errorn(ld, conf_field_node(ld, node, "paths"),
			    "field \"paths\": invalid regular expression "
			    "\"%s\": %s",
			    m->paths[i], err);
	for (i = 0; i < m->nmessages; i++)
		if (errpage_check_regex(m->messages[i], err, sizeof(err)) < 0)
			conf_errorn(ld, conf_field_node(ld, node, "messages"),
			    "field \"messages\": invalid regular expression "
			    "\"%s\": %s",
			    m->messages[i], err);
	for (i = 0; i < m->nheader_template; i++)
		if (errpage_check_template(
		        TEMPLATE_GO_TEXT, m->header_template[i].value) < 0)
			conf_errorn(ld,
			    conf_field_node(ld, node, "headerTemplate"),
			    "field \"headerTemplate\": %s",
			    error_handler_conf_template_help);
}

static const struct conf_field error_handler_conf_message_fields[] = {
	FSTRS("paths", struct conf_error_message, paths, npaths, CF_UNIQUE),
	FSTRS("codes", struct conf_error_message, codes, ncodes, CF_UNIQUE),
	FSTRS("kinds", struct conf_error_message, kinds, nkinds, CF_UNIQUE),
	FSTRS("messages", struct conf_error_message, messages, nmessages,
	    CF_UNIQUE),
	FHEADERS("headerTemplate", struct conf_error_message, header_template,
	    nheader_template),
	FLIST("mimeContents", struct conf_error_message, contents, ncontents,
	    struct conf_mime_content, &error_handler_conf_mime_table),
	FEND,
};
static const struct conf_table error_handler_conf_message_table = {
	error_handler_conf_message_fields, error_handler_conf_check_message
};

static const struct conf_field error_handler_conf_fields[] = {
	FBOOL("stackAlways", struct conf_errhandler, stack_always),
	FLIST("errorMessages", struct conf_errhandler, messages, nmessages,
	    struct conf_error_message, &error_handler_conf_message_table),
	FEND,
};
static const struct conf_table error_handler_conf_table = {
	error_handler_conf_fields, NULL
};

/*
 * app/v1 HealthCheckHandler: answers 200 {} (no external probes).
 */

const struct kind error_handler_conf_kind = {
	.api_version = "core/v1",
	.kind = "ErrorHandler",
	.roles = KIND_ROLE_ERRHANDLER,
	.table = &error_handler_conf_table,
	.size = sizeof(struct conf_errhandler),
	.id_off = offsetof(struct conf_errhandler, id),
	.eh_off = KIND_NO_OFF,
};
