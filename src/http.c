/* HTTP helpers: status texts, dates, error bodies, header lookup. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http.h"

struct http_status_entry {
	int code;
	const char *text;
};

static const struct http_status_entry http_statuses[] = {
	{ 100, "Continue" },
	{ 101, "Switching Protocols" },
	{ 200, "OK" },
	{ 201, "Created" },
	{ 202, "Accepted" },
	{ 204, "No Content" },
	{ 206, "Partial Content" },
	{ 301, "Moved Permanently" },
	{ 302, "Found" },
	{ 304, "Not Modified" },
	{ 307, "Temporary Redirect" },
	{ 308, "Permanent Redirect" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" },
	{ 408, "Request Timeout" },
	{ 411, "Length Required" },
	{ 413, "Request Entity Too Large" },
	{ 414, "Request URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 417, "Expectation Failed" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" },
};

const char *
http_status_text(int status)
{
	size_t i;

	for (i = 0; i < sizeof(http_statuses) / sizeof(http_statuses[0]); i++)
		if (http_statuses[i].code == status)
			return http_statuses[i].text;
	return "Unknown";
}

const char *
http_date_now(void)
{
	static char buf[40];
	static time_t last;
	time_t now = time(NULL);
	struct tm tm;

	if (now != last) {
		gmtime_r(&now, &tm);
		strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		last = now;
	}
	return buf;
}

enum http_error_fmt { ERR_JSON, ERR_XML, ERR_YAML };

/* Pick the error body format from the first entry of an Accept value. */
static int
http_error_pick(const char *accept, size_t len, const char **type)
{
	static const struct {
		const char *mime;
		int fmt;
	} types[] = {
		{ "application/json", ERR_JSON },
		{ "text/json", ERR_JSON },
		{ "application/xml", ERR_XML },
		{ "text/xml", ERR_XML },
		{ "application/yaml", ERR_YAML },
		{ "text/yaml", ERR_YAML },
		{ "text/plain", ERR_YAML },
	};
	size_t n = 0, i;

	*type = "application/json";
	if (accept == NULL)
		return ERR_JSON;
	while (n < len && (accept[n] == ' ' || accept[n] == '\t'))
		n++;
	accept += n;
	len -= n;
	for (n = 0; n < len && accept[n] != ',' && accept[n] != ';'; n++)
		;
	while (n > 0 && (accept[n - 1] == ' ' || accept[n - 1] == '\t'))
		n--;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strlen(types[i].mime) == n &&
		    strncasecmp(types[i].mime, accept, n) == 0) {
			*type = types[i].mime;
			return types[i].fmt;
		}
	}
	return ERR_JSON;
}

size_t
http_error_body(int status, const char *accept, size_t accept_len, char *ctype,
    size_t csize, char *out, size_t size)
{
	const char *text = http_status_text(status), *type;
	int n;

	switch (http_error_pick(accept, accept_len, &type)) {
	case ERR_XML:
		n = snprintf(out, size,
		    "<result><status>%d</status><statusText>%s</statusText>"
		    "</result>",
		    status, text);
		break;
	case ERR_YAML:
		n = snprintf(
		    out, size, "status: %d\nstatusText: %s\n", status, text);
		break;
	default:
		n = snprintf(out, size, "{\"status\":%d,\"statusText\":\"%s\"}",
		    status, text);
		break;
	}
	snprintf(ctype, csize, "%s; charset=utf-8", type);
	if (n < 0 || (size_t)n >= size)
		return 0;
	return (size_t)n;
}

size_t
http_plain_error_format(char *out, size_t size, int status)
{
	const char *text = http_status_text(status);
	int n;

	n = snprintf(out, size,
	    "HTTP/1.1 %d %s\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Date: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "Connection: close\r\n"
	    "\r\n%d %s",
	    status, text, http_date_now(), strlen(text) + 4, status, text);
	if (n < 0 || (size_t)n >= size)
		return 0;
	return (size_t)n;
}

int
http_find(const struct http_msg *m, int id)
{
	uint32_t i;

	for (i = 0; i < m->nfields; i++)
		if (m->fields[i].id == id)
			return (int)i;
	return -1;
}

int
http_find_name(
    const struct http_msg *m, const char *buf, const char *name, size_t len)
{
	uint32_t i;

	for (i = 0; i < m->nfields; i++) {
		const struct http_field *f = &m->fields[i];

		if (f->name.len == len &&
		    strncasecmp(buf + f->name.off, name, len) == 0)
			return (int)i;
	}
	return -1;
}
