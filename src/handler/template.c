/* core/v1 TemplateHandler: a fixed or Go-templated body chosen by Accept. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "conf_kv.h"
#include "conf_table.h"
#include "conf_util.h"
#include "gotmpl.h"
#include "handler.h"
#include "http_parse.h"
#include "kind.h"
#include "mime_content.h"
#include "request.h"
#include "response.h"

/* The spec: the runtime struct first, vhost handlers point at it. */
struct template_conf_spec {
	struct conf_proxy px;
	struct conf_mime_content *contents;
	size_t ncontents;
	const char **types;    /* contents[i].mime_type, for negotiation */
	struct gotmpl **tmpls; /* GoText/GoHTML contents; NULL for Text */
	size_t *text_lens;     /* Text: the body's length */
};

static const struct kname template_conf_types[] = {
	{ "Text", TEMPLATE_TEXT },
	{ "GoText", TEMPLATE_GO_TEXT },
	{ "GoHTML", TEMPLATE_GO_HTML },
	{ NULL, 0 },
};

/* One mimeContents entry: its defaults, type, status and template file. */
static void
template_conf_check_content(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_mime_content *mc = obj;
	char *text;
	size_t len;

	if (mc->mime_type == NULL || mc->mime_type[0] == '\0')
		mc->mime_type = arena_strdup(ld->arena, "text/plain");
	if (!mime_content_type_ok(mc->mime_type))
		conf_errorn(ld, conf_field_node(ld, node, "mimeType"),
		    "field \"mimeType\": invalid media type \"%s\" (want "
		    "type/subtype, lower-case type, no wildcards)",
		    mc->mime_type);
	if (mc->status_code > 0 && mc->status_code < 200)
		conf_errorn(ld, conf_field_node(ld, node, "statusCode"),
		    "field \"statusCode\": %d is not a final status",
		    (int)mc->status_code);
	if (mc->status_code <= 0)
		mc->status_code = 200;
	if (mc->template_text == NULL)
		mc->template_text = arena_strdup(ld->arena, "");
	if (mc->template_file == NULL || mc->template_file[0] == '\0')
		return;
	if ((text = conf_read_file(mc->template_file, CONF_MAX_FILE, &len)) ==
	    NULL) {
		conf_errorn(ld, conf_field_node(ld, node, "templateFile"),
		    "field \"templateFile\": %s: %s", mc->template_file,
		    strerror(errno));
		return;
	}
	mc->template_text = arena_strndup(ld->arena, text, len);
	free(text);
}

static const struct conf_field template_conf_content_fields[] = {
	FSTR("mimeType", struct conf_mime_content, mime_type),
	FINT("statusCode", struct conf_mime_content, status_code, 0, 999),
	FHEADERS("header", struct conf_mime_content, headers, nheaders),
	FENUM("templateType", struct conf_mime_content, template_type,
	    template_conf_types),
	FSTR("template", struct conf_mime_content, template_text),
	FSTR("templateFile", struct conf_mime_content, template_file),
	FEND,
};
static const struct conf_table template_conf_content_table = {
	template_conf_content_fields, template_conf_check_content
};

/* Parse every Go template now, so that a bad one stops the start. */
static void
template_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct template_conf_spec *ts = obj;
	size_t i, n = ts->ncontents ? ts->ncontents : 1;

	ts->px.kind = CONF_PROXY_TEMPLATE;
	ts->types = arena_alloc(ld->arena, n * sizeof(*ts->types));
	ts->tmpls = arena_alloc(ld->arena, n * sizeof(*ts->tmpls));
	ts->text_lens = arena_alloc(ld->arena, n * sizeof(*ts->text_lens));
	for (i = 0; i < ts->ncontents; i++) {
		struct conf_mime_content *mc = &ts->contents[i];
		char err[256];

		ts->types[i] = mc->mime_type;
		ts->text_lens[i] = strlen(mc->template_text);
		if (mc->template_type == TEMPLATE_TEXT)
			continue;
		ts->tmpls[i] =
		    gotmpl_parse(ld->arena, mc->template_text, ts->text_lens[i],
		        mc->template_type == TEMPLATE_GO_HTML ? GOTMPL_HTML
		                                              : GOTMPL_TEXT,
		        err, sizeof(err));
		if (ts->tmpls[i] == NULL)
			conf_errorn(ld,
			    conf_field_node(ld, node, "mimeContents"),
			    "field \"mimeContents\"[%zu]: %s%s%s", i, err,
			    mc->template_file ? " in " : "",
			    mc->template_file ? mc->template_file : "");
	}
}

static const struct conf_field template_conf_fields[] = {
	FSTRS("patterns", struct template_conf_spec, px.patterns, px.npatterns,
	    CF_UNIQUE),
	FMETHODS("methods", struct template_conf_spec, px.methods),
	FLIST("mimeContents", struct template_conf_spec, contents, ncontents,
	    struct conf_mime_content, &template_conf_content_table),
	FEND,
};
static const struct conf_table template_conf_table = { template_conf_fields,
	template_conf_check };

const struct kind template_conf_kind = {
	.api_version = "core/v1",
	.kind = "TemplateHandler",
	.roles = KIND_ROLE_HANDLER,
	.table = &template_conf_table,
	.size = sizeof(struct template_conf_spec),
	.id_off = offsetof(struct template_conf_spec, px.id),
	.eh_off = offsetof(struct template_conf_spec, px.errhandler),
	.handler = &template_handler,
};

/*
 * Runtime.
 */

/* The body of content i for r: Text as is, Go templates executed. */
static char *
template_body(const struct template_conf_spec *ts, size_t i, struct request *r,
    size_t *len)
{
	struct mime_content_req q;
	struct echo_req er;
	char *out;

	echo_request_view(r, &er);
	memset(&q, 0, sizeof(q));
	q.proto = er.proto;
	q.host = er.host;
	q.method = er.method;
	q.remote = er.remote;
	q.path = er.path;
	q.path_len = er.path_len;
	q.query = r->query;
	q.query_len = r->query_len;
	q.fields = er.fields;
	q.nfields = er.nfields;
	out = gotmpl_exec(
	    ts->tmpls[i], mime_content_data(r->arena, &q), r->arena, len);
	if (out == NULL)
		*len = 0; /* AILERON: an execution error gives an empty body */
	return out;
}

/* Answer with the first content the client accepts, or 406. */
static int
template_serve(void *inst, struct request *r)
{
	const struct template_conf_spec *ts = inst;
	const struct conf_mime_content *mc;
	const char *accept, *body;
	char ctype[128], *made = NULL;
	size_t alen = 0, len, k;
	int i, rc = HANDLER_ABORT;

	accept = request_header(r, HDR_ACCEPT, &alen);
	i = mime_content_find(accept, alen, ts->types, ts->ncontents);
	if (i < 0)
		return response_error(r, 406, "") < 0 ? HANDLER_ABORT
		                                      : HANDLER_OK;
	mc = &ts->contents[i];
	if (mc->template_type == TEMPLATE_TEXT) {
		body = mc->template_text;
		len = ts->text_lens[i];
	} else {
		made = template_body(ts, (size_t)i, r, &len);
		body = made ? made : "";
	}
	/* 204 and 304 have no body. */
	if (mc->status_code == 204 || mc->status_code == 304)
		len = 0;
	snprintf(ctype, sizeof(ctype), "%s; charset=utf-8", mc->mime_type);
	if (response_start(r, mc->status_code, NULL, 0) < 0)
		goto out;
	for (k = 0; k < mc->nheaders; k++)
		if (response_add_str(
		        r, mc->headers[k].key, mc->headers[k].value) < 0)
			goto out;
	if (response_set(r, "Content-Type", ctype) < 0 ||
	    response_set(r, "X-Content-Type-Options", "nosniff") < 0 ||
	    response_add_str(r, "Vary", "Accept") < 0 ||
	    response_send_head(r,
	        len > 0 || (mc->status_code != 204 && mc->status_code != 304)
	            ? RESPONSE_LENGTH
	            : RESPONSE_NONE,
	        len) < 0 ||
	    response_body(r, body, len) < 0 || response_end(r) < 0)
		goto out;
	rc = HANDLER_OK;
out:
	free(made);
	return rc;
}

const struct handler_ops template_handler = {
	.name = "core/v1/TemplateHandler",
	.serve = template_serve,
};
