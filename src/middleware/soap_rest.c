/* app/v1 SOAPRESTMiddleware: SOAP (XML) requests to JSON for the handler, its JSON answer back to XML. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "conf_table.h"
#include "conn.h"
#include "http.h"
#include "kind.h"
#include "log.h"
#include "middleware.h"
#include "mime_content.h"
#include "proxy.h"
#include "request.h"
#include "response.h"
#include "xmljson.h"

/*
 * Bounds AILERON does not have (it reads and keeps everything): the SOAP
 * request body read (413 above), and the handler's JSON answer kept for
 * conversion (500 E3220 above).
 */
#define SOAP_REST_MAX_BODY     (10u * 1024 * 1024)
#define SOAP_REST_MAX_RESPONSE (10u * 1024 * 1024)

/*
 * Config part.
 */

/* The members of the Rules oneof; set when written. */
struct soap_rest_conf_rules {
	char *text_key;
	char *attr_prefix;
	char *ns_sep;
	char *name_key;
	char *children_key;
	int trim_space;
	int prefer_short;
	int set;
};

struct soap_rest_conf_spec {
	char *id;
	struct conf_errhandler *errhandler; /* metadata.errorHandler */
	struct soap_rest_conf_rules simple, rayfish, badgerfish;
	struct xmljson_opts opts; /* what the runtime converts with */
};

static void
soap_rest_conf_mark(struct loader *ld, void *obj, yaml_node_t *node)
{
	(void)ld;
	((struct soap_rest_conf_rules *)obj)->set =
	    node != NULL && !conf_is_null(node);
}

/* cmp.Or: an empty string keeps the default. */
static const char *
soap_rest_conf_or(const char *v, const char *def)
{
	return v != NULL && v[0] != '\0' ? v : def;
}

/* The oneof: at most one member; none is simple with its defaults. */
static void
soap_rest_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct soap_rest_conf_spec *s = obj;
	struct soap_rest_conf_rules *r = &s->simple;
	struct xmljson_opts *o = &s->opts;
	int rules = XMLJSON_SIMPLE;

	if (s->simple.set + s->rayfish.set + s->badgerfish.set > 1)
		conf_errorn(ld, node,
		    "only one of simple, rayfish and badgerfish may be set");
	if (s->rayfish.set) {
		rules = XMLJSON_RAYFISH;
		r = &s->rayfish;
	} else if (s->badgerfish.set) {
		rules = XMLJSON_BADGERFISH;
		r = &s->badgerfish;
	}
	xmljson_opts_init(o, rules);
	o->text_key = soap_rest_conf_or(r->text_key, o->text_key);
	o->attr_prefix = soap_rest_conf_or(r->attr_prefix, o->attr_prefix);
	o->ns_sep = soap_rest_conf_or(r->ns_sep, o->ns_sep);
	o->name_key = soap_rest_conf_or(r->name_key, o->name_key);
	o->children_key = soap_rest_conf_or(r->children_key, o->children_key);
	o->trim_space = r->trim_space;
	o->prefer_short = rules == XMLJSON_SIMPLE && r->prefer_short;
}

#define SOAP_REST_CONF_COMMON                                             \
	FSTR("textKey", struct soap_rest_conf_rules, text_key),           \
	    FSTR("attrPrefix", struct soap_rest_conf_rules, attr_prefix), \
	    FSTR("namespaceSep", struct soap_rest_conf_rules, ns_sep),    \
	    FBOOL("trimSpace", struct soap_rest_conf_rules, trim_space)

static const struct conf_field soap_rest_conf_simple_fields[] = {
	SOAP_REST_CONF_COMMON,
	FBOOL("preferShort", struct soap_rest_conf_rules, prefer_short),
	FEND,
};
static const struct conf_field soap_rest_conf_rayfish_fields[] = {
	SOAP_REST_CONF_COMMON,
	FSTR("nameKey", struct soap_rest_conf_rules, name_key),
	FSTR("childrenKey", struct soap_rest_conf_rules, children_key),
	FEND,
};
static const struct conf_field soap_rest_conf_badgerfish_fields[] = {
	SOAP_REST_CONF_COMMON,
	FEND,
};
static const struct conf_table soap_rest_conf_simple_table = {
	soap_rest_conf_simple_fields, soap_rest_conf_mark
};
static const struct conf_table soap_rest_conf_rayfish_table = {
	soap_rest_conf_rayfish_fields, soap_rest_conf_mark
};
static const struct conf_table soap_rest_conf_badgerfish_table = {
	soap_rest_conf_badgerfish_fields, soap_rest_conf_mark
};

static const struct conf_field soap_rest_conf_fields[] = {
	FOBJ("simple", struct soap_rest_conf_spec, simple,
	    &soap_rest_conf_simple_table),
	/* the template shows the default member only */
	FOBJD("rayfish", struct soap_rest_conf_spec, rayfish,
	    &soap_rest_conf_rayfish_table, "null"),
	FOBJD("badgerfish", struct soap_rest_conf_spec, badgerfish,
	    &soap_rest_conf_badgerfish_table, "null"),
	FEND,
};
static const struct conf_table soap_rest_conf_table = { soap_rest_conf_fields,
	soap_rest_conf_check };

const struct kind soap_rest_conf_kind = {
	.api_version = "app/v1",
	.kind = "SOAPRESTMiddleware",
	.roles = KIND_ROLE_MIDDLEWARE,
	.table = &soap_rest_conf_table,
	.size = sizeof(struct soap_rest_conf_spec),
	.id_off = offsetof(struct soap_rest_conf_spec, id),
	.eh_off = offsetof(struct soap_rest_conf_spec, errhandler),
	.middleware = &soap_rest_middleware,
};

/*
 * Runtime part.
 */

enum soap_rest_state {
	SOAP_REST_IDLE = 0, /* not this request's, or answered by us */
	SOAP_REST_INNER,    /* the handler runs on the JSON request */
	SOAP_REST_ERROR     /* our own error response passes unchanged */
};

/*
 * The worker's current request (one at a time): what the reply's
 * Content-Type will be and the handler's answer as it is kept.
 */
static struct {
	const struct request *r;
	const void *inst;
	int state;
	const char *ctype;    /* the SOAP version's media type */
	int not_json;         /* the handler's answer is not application/json */
	struct body_buf resp; /* the handler's answer */
} soap_rest_cur;

/* A read buffer for the request body (one worker, one request). */
static char soap_rest_rbuf[64 * 1024];

/*
 * Read the whole request body into b: 0, with *extra and *nextra the
 * pipelined bytes after it (in buf or the read buffer), or the status to
 * answer (400, 408, 413).
 */
static int
soap_rest_read_body(
    struct request *r, struct body_buf *b, const char **extra, size_t *nextra)
{
	const struct http_msg *m = r->msg;
	struct body_tap *tap = r->body_tap;
	int status;

	if (m->body == HTTP_BODY_LENGTH &&
	    m->content_length > SOAP_REST_MAX_BODY)
		return 413;
	/* The handler feeds the body observers the converted body. */
	r->body_tap = NULL;
	status = request_read_body(r, soap_rest_rbuf, sizeof(soap_rest_rbuf),
	    body_buf_keep, b, extra, nextra);
	r->body_tap = tap;
	return status;
}

/* Remove every request header called name (the handler does not send it). */
static void
soap_rest_drop(struct request *r, const char *name)
{
	const struct http_msg *m = r->msg;
	size_t len = strlen(name);
	uint32_t i;

	for (i = 0; i < m->nfields; i++)
		if (m->fields[i].name.len == len &&
		    strncasecmp(r->buf + m->fields[i].name.off, name, len) == 0)
			r->drop[i / 64] |= (uint64_t)1 << (i % 64);
}

/* Go's http.Header.Set for the request the handler sees. */
static void
soap_rest_set(struct request *r, const char *name, const char *v, size_t n)
{
	soap_rest_drop(r, name);
	request_proxy_header(r, name, strlen(name), v, n);
}

/*
 * The media type of a Content-Type (Go's mime.ParseMediaType: lower case;
 * "" when malformed) into mt, and its action parameter (unquoted; "" when
 * none) into action.
 */
static void
soap_rest_media(const char *v, size_t n, char *mt, size_t mtsize, char *action,
    size_t asize)
{
	size_t i, k = 0, ks, ke;
	int q;

	if (mime_content_media_type(v, n, mt, mtsize) < 0)
		mt[0] = '\0';
	action[0] = '\0';
	for (i = 0; i < n && v[i] != ';'; i++)
		;
	while (i < n) {
		for (i++; i < n && (v[i] == ' ' || v[i] == '\t'); i++)
			;
		for (ks = i; i < n && v[i] != '=' && v[i] != ';'; i++)
			;
		for (ke = i; ke > ks && (v[ke - 1] == ' ' || v[ke - 1] == '\t');
		     ke--)
			;
		if (i >= n || v[i] == ';')
			continue;
		/* the value: a token or a quoted string (\ escapes) */
		q = ++i < n && v[i] == '"';
		k = 0;
		for (i += q; i < n && (q ? v[i] != '"' : v[i] != ';'); i++) {
			if (q && v[i] == '\\' && i + 1 < n)
				i++;
			else if (!q && (v[i] == ' ' || v[i] == '\t'))
				continue;
			if (ke - ks == 6 &&
			    strncasecmp(v + ks, "action", 6) == 0 &&
			    k + 1 < asize)
				action[k++] = v[i];
		}
		if (ke - ks == 6 && strncasecmp(v + ks, "action", 6) == 0)
			action[k] = '\0';
		while (i < n && v[i] != ';')
			i++;
	}
}

/* Master, before fork: libxml2 is set up once, not in every worker. */
static void *
soap_rest_create(const void *conf, struct conf *c)
{
	(void)c;
	xmljson_init();
	return (void *)(uintptr_t)conf;
}

/* Answer an error of ours through the middleware's ErrorHandler. */
static int
soap_rest_error(const struct soap_rest_conf_spec *s, struct request *r,
    int status, const char *code)
{
	if (s->errhandler != NULL)
		r->errhandler = s->errhandler;
	soap_rest_cur.state = SOAP_REST_ERROR;
	return response_error(r, status, code) < 0 ? HANDLER_ABORT : HANDLER_OK;
}

/*
 * The handler's request: the head as received, then the JSON body and
 * the bytes that followed the SOAP body (the next pipelined request),
 * all in the request's arena; the Content-Length of the JSON.
 */
static void
soap_rest_replace_body(struct request *r, const char *json, size_t jlen,
    const char *extra, size_t nextra)
{
	struct http_msg *m = r->msg;
	size_t hlen = m->head_len;
	char *nb = arena_alloc(r->arena, hlen + jlen + nextra + 1);
	char cl[24];
	int n;

	memcpy(nb, r->buf, hlen);
	memcpy(nb + hlen, json, jlen);
	if (nextra > 0)
		memcpy(nb + hlen + jlen, extra, nextra);
	r->buf = nb;
	r->buf_len = hlen + jlen + nextra;
	m->body = HTTP_BODY_LENGTH;
	m->content_length = jlen;
	m->expect_continue = 0;
	r->body_read = 1;
	request_keep_pipelined(r, nb + hlen + jlen, nextra);
	n = snprintf(cl, sizeof(cl), "%zu", jlen);
	soap_rest_set(r, "Content-Length", cl, (size_t)n);
}

static int
soap_rest_request(void *inst, struct request *r)
{
	const struct soap_rest_conf_spec *s = inst;
	struct body_buf b = { NULL, 0, 0, SOAP_REST_MAX_BODY, 1, 0 };
	char mt[128], action[1024], err[256];
	const char *ct, *extra, *sa = NULL;
	size_t ctlen = 0, salen = 0, nextra, jlen;
	char *json;
	int i, status;

	memset(&soap_rest_cur, 0, sizeof(soap_rest_cur));
	soap_rest_cur.r = r;
	soap_rest_cur.inst = inst;
	soap_rest_cur.resp.max = SOAP_REST_MAX_RESPONSE;
	ct = request_header(r, HDR_CONTENT_TYPE, &ctlen);
	soap_rest_media(ct != NULL ? ct : "", ctlen, mt, sizeof(mt), action,
	    sizeof(action));
	if (strcmp(mt, "application/soap+xml") == 0)
		soap_rest_cur.ctype = "application/soap+xml; charset=utf-8";
	else if (strcmp(mt, "text/xml") == 0 &&
	    (i = http_find_name(r->msg, r->buf, "SOAPAction", 10)) >= 0) {
		soap_rest_cur.ctype = "text/xml; charset=utf-8";
		sa = r->buf + r->msg->fields[i].value.off;
		salen = r->msg->fields[i].value.len;
	} else
		return soap_rest_error(s, r, 403, "E3216");
	if ((status = soap_rest_read_body(r, &b, &extra, &nextra)) != 0) {
		free(b.p);
		if (status == 400)
			return soap_rest_error(s, r, 400, "E3217");
		soap_rest_cur.state = SOAP_REST_ERROR;
		return response_error(r, status, NULL) < 0 ? HANDLER_ABORT
		                                           : HANDLER_OK;
	}
	if (xmljson_to_json(&s->opts, b.p != NULL ? b.p : "", b.len, &json,
	        &jlen, err, sizeof(err)) < 0) {
		free(b.p);
		log_debug("E3218 SOAPREST: %s", err);
		return soap_rest_error(s, r, 400, "E3218");
	}
	free(b.p);
	soap_rest_replace_body(r, json, jlen, extra, nextra);
	free(json);
	soap_rest_set(r, "Accept", "application/json", 16);
	soap_rest_set(r, "Content-Type", "application/json", 16);
	if (sa != NULL)
		soap_rest_set(r, "X-SOAP-Action", sa, salen);
	else
		soap_rest_set(r, "X-SOAP-Action", action, strlen(action));
	soap_rest_set(r, "X-Content-Type", mt, strlen(mt));
	soap_rest_cur.state = SOAP_REST_INNER;
	return HANDLER_DECLINED;
}

/* Is this response one the handler made on our JSON request? */
static int
soap_rest_ours(const void *inst, const struct request *r)
{
	return soap_rest_cur.r == r && soap_rest_cur.inst == inst &&
	    soap_rest_cur.state == SOAP_REST_INNER;
}

/*
 * The handler's head: kept back until its body is converted (inner
 * headers stay; Content-Length goes, the SOAP Content-Type comes).
 */
static void
soap_rest_head(void *inst, struct request *r)
{
	const char *ct;
	char mt[128], action[8];
	size_t len = 0;

	if (!soap_rest_ours(inst, r)) {
		response_filter_skip(r);
		return;
	}
	ct = response_get(r, "Content-Type", &len);
	soap_rest_media(
	    ct != NULL ? ct : "", len, mt, sizeof(mt), action, sizeof(action));
	soap_rest_cur.not_json = strcmp(mt, "application/json") != 0;
	(void)response_del(r, "Content-Length");
	(void)response_set(r, "Content-Type", soap_rest_cur.ctype);
	response_hold(r);
}

/* The converted body, or our error instead of the handler's answer. */
static int
soap_rest_finish(const struct soap_rest_conf_spec *s, struct request *r)
{
	char *xml = NULL, err[256];
	const char *code = NULL;
	size_t n = 0;
	int rc;

	if (soap_rest_cur.not_json)
		code = "E3219";
	else if (soap_rest_cur.resp.too_large)
		code = "E3220";
	else if (xmljson_to_xml(&s->opts,
	             soap_rest_cur.resp.p != NULL ? soap_rest_cur.resp.p : "",
	             soap_rest_cur.resp.len, &xml, &n, err, sizeof(err)) < 0) {
		log_debug("E3220 SOAPREST: %s", err);
		code = "E3220";
	}
	free(soap_rest_cur.resp.p);
	soap_rest_cur.resp.p = NULL;
	soap_rest_cur.resp.len = soap_rest_cur.resp.size = 0;
	if (code == NULL) {
		soap_rest_cur.state = SOAP_REST_IDLE;
		rc = response_filter_next(r, xml, n, 1);
		free(xml);
		return rc;
	}
	if (response_restart(r) < 0)
		return -1; /* the head left already: cut the response */
	return soap_rest_error(s, r, 500, code) == HANDLER_OK ? 0 : -1;
}

/* Keep the handler's body; convert it at its end. */
static int
soap_rest_body(
    void *inst, struct request *r, const void *data, size_t n, int last)
{
	if (!soap_rest_ours(inst, r))
		return response_filter_next(r, data, n, last);
	(void)body_buf_keep(&soap_rest_cur.resp, data, n); /* E3220 past max */
	if (!last)
		return 0;
	return soap_rest_finish(inst, r);
}

static void
soap_rest_done(void *inst, struct request *r)
{
	(void)inst;
	(void)r;
	free(soap_rest_cur.resp.p);
	memset(&soap_rest_cur, 0, sizeof(soap_rest_cur));
}

const struct middleware_ops soap_rest_middleware = {
	.name = "app/v1/SOAPRESTMiddleware",
	.create = soap_rest_create,
	.request = soap_rest_request,
	.head = soap_rest_head,
	.body = soap_rest_body,
	.done = soap_rest_done,
};
