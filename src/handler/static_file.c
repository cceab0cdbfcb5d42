/* core/v1 StaticFileHandler: files under rootDir as Go's http.FileServer serves them. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf_kv.h"
#include "conf_table.h"
#include "kind.h"

/* The spec: the runtime struct first, vhost handlers point at it. */
struct static_file_conf_spec {
	struct conf_proxy px;
	char *root_dir;
	char *strip_prefix;
	int enable_listing;
	struct conf_kv *headers;
	size_t nheaders;
	int rootfd; /* worker: the open root, -1 before */
};

static void
static_file_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct static_file_conf_spec *ss = obj;
	size_t i;
	int fd;

	ss->px.kind = CONF_PROXY_STATIC;
	ss->rootfd = -1;
	fd = open(ss->root_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		conf_errorn(ld, conf_field_node(ld, node, "rootDir"),
		    "field \"rootDir\": %s: %s", ss->root_dir, strerror(errno));
		return;
	}
	close(fd);
	for (i = 0; i < ss->nheaders; i++)
		if (strcasecmp(ss->headers[i].key, "Content-Length") == 0 ||
		    strcasecmp(ss->headers[i].key, "Transfer-Encoding") == 0 ||
		    strcasecmp(ss->headers[i].key, "Connection") == 0)
			conf_errorn(ld, conf_field_node(ld, node, "header"),
			    "field \"header\": %s is set by the server",
			    ss->headers[i].key);
}

static const struct conf_field static_file_conf_fields[] = {
	FSTRS("patterns", struct static_file_conf_spec, px.patterns,
	    px.npatterns, CF_UNIQUE),
	FMETHODS("methods", struct static_file_conf_spec, px.methods),
	FSTRD("rootDir", struct static_file_conf_spec, root_dir, "./"),
	FSTR("stripPrefix", struct static_file_conf_spec, strip_prefix),
	FBOOL("enableListing", struct static_file_conf_spec, enable_listing),
	FHEADERS("header", struct static_file_conf_spec, headers, nheaders),
	FEND,
};
static const struct conf_table static_file_conf_table = {
	static_file_conf_fields, static_file_conf_check
};

const struct kind static_file_conf_kind = {
	.api_version = "core/v1",
	.kind = "StaticFileHandler",
	.roles = KIND_ROLE_HANDLER,
	.table = &static_file_conf_table,
	.size = sizeof(struct static_file_conf_spec),
	.id_off = offsetof(struct static_file_conf_spec, px.id),
	.eh_off = offsetof(struct static_file_conf_spec, px.errhandler),
};
