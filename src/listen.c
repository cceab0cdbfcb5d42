/* Listening sockets: bound in the master, inherited by workers, kept across reloads. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"
#include "sockopt.h"

#define LISTEN_BACKLOG 511

/*
 * A Unix socket address: a path, or "@name" for Linux's abstract
 * namespace (a leading NUL, no file).  -1 if the name is too long.
 */
static int
listen_unix_addr(
    const char *path, struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct sockaddr_un *un = (struct sockaddr_un *)ss;
	size_t len = strlen(path);

	memset(ss, 0, sizeof(*ss));
	un->sun_family = AF_UNIX;
	if (len == 0 || len >= sizeof(un->sun_path)) {
		log_error("unix socket name too long (at most %zu bytes): %s",
		    sizeof(un->sun_path) - 1, path);
		return -1;
	}
	memcpy(un->sun_path, path, len);
	if (path[0] == '@')
		un->sun_path[0] = '\0';
	*sslen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
	    (path[0] == '@' ? 0 : 1));
	return 0;
}

/* Resolve a server's host:port to one socket address; -1 on failure. */
static int
listen_resolve(const struct conf_server *srv, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct addrinfo hints, *res;
	const char *host =
	    srv->host != NULL && srv->host[0] != '\0' ? srv->host : NULL;
	int rc;

	if (srv->family == AF_UNIX)
		return listen_unix_addr(srv->host, ss, sslen);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (host == NULL)
		hints.ai_family = AF_INET6;
	rc = getaddrinfo(host, srv->port, &hints, &res);
	if (rc != 0 && host == NULL) {
		hints.ai_family = AF_INET;
		rc = getaddrinfo(host, srv->port, &hints, &res);
	}
	if (rc != 0) {
		log_error("cannot resolve listen address %s: %s", srv->addr,
		    gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* Format an address as "[host]:port", "host:port" or "unix:path". */
static void
listen_name(
    const struct sockaddr_storage *ss, socklen_t sslen, char *out, size_t size)
{
	char host[INET6_ADDRSTRLEN];
	int port;

	if (ss->ss_family == AF_UNIX) {
		const struct sockaddr_un *un = (const void *)ss;
		size_t n = sslen - offsetof(struct sockaddr_un, sun_path);

		if (un->sun_path[0] == '\0')
			snprintf(out, size, "unix:@%.*s", (int)(n - 1),
			    un->sun_path + 1);
		else
			snprintf(out, size, "unix:%s", un->sun_path);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
		snprintf(out, size, "[%s]:%d", host, port);
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
		snprintf(out, size, "%s:%d", host, port);
	}
}

/*
 * A socket file left at a Unix listener's path by a process that is gone
 * (nothing accepts on it) is removed, as nginx does; anything else there
 * (a regular file, a live socket) is left for bind() to refuse.
 */
static void
listen_unlink_stale(const struct listener *l)
{
	const struct sockaddr_un *un = (const void *)&l->ss;
	struct stat st;
	int fd;

	if (un->sun_path[0] == '\0' || lstat(un->sun_path, &st) < 0 ||
	    !S_ISSOCK(st.st_mode))
		return;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	if (connect(fd, (const struct sockaddr *)&l->ss, l->sslen) < 0 &&
	    errno == ECONNREFUSED && unlink(un->sun_path) == 0)
		log_info("removed the stale socket %s", un->sun_path);
	close(fd);
}

/* Set the listener's sockOption; -1 after logging. */
static int
listen_sockopts(const struct listener *l, int fd)
{
	const struct sockopt_def *bad = NULL;

	if (sockopt_apply(fd, l->ss.ss_family, l->srv->sockopts, &bad) == 0)
		return 0;
	log_warn("%s: sockOption %s.%s", l->name, bad->group, bad->name);
	return -1;
}

/* Create, bind and listen on one socket; -1 after logging. */
static int
listen_bind(struct listener *l)
{
	int fd, on = 1, off = 0;

	fd = socket(
	    l->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_error("socket %s: %s", l->name, strerror(errno));
		return -1;
	}
	if (l->ss.ss_family == AF_UNIX)
		listen_unlink_stale(l);
	else
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (l->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	if (listen_sockopts(l, fd) < 0) {
		close(fd);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&l->ss, l->sslen) < 0) {
		log_error("bind %s: %s", l->name, strerror(errno));
		close(fd);
		return -1;
	}
	if (listen(fd, LISTEN_BACKLOG) < 0) {
		log_error("listen %s: %s", l->name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Take a still-open socket for the same address out of old; -1 if none. */
static int
listen_take(struct listener *old, size_t nold, const struct listener *l)
{
	size_t i;
	int fd;

	for (i = 0; i < nold; i++) {
		if (old[i].fd >= 0 && old[i].sslen == l->sslen &&
		    memcmp(&old[i].ss, &l->ss, l->sslen) == 0) {
			fd = old[i].fd;
			old[i].fd = -1;
			return fd;
		}
	}
	return -1;
}

struct listener *
listen_open(struct conf *c, struct listener *old, size_t nold)
{
	struct listener *ls;
	size_t i, j;

	if ((ls = calloc(c->nservers ? c->nservers : 1, sizeof(*ls))) == NULL)
		fatal("calloc");
	for (i = 0; i < c->nservers; i++)
		ls[i].fd = -1;
	for (i = 0; i < c->nservers; i++) {
		struct listener *l = &ls[i];

		l->srv = c->servers[i];
		if (listen_resolve(l->srv, &l->ss, &l->sslen) < 0)
			goto fail;
		listen_name(&l->ss, l->sslen, l->name, sizeof(l->name));
		for (j = 0; j < i; j++) {
			if (ls[j].sslen == l->sslen &&
			    memcmp(&ls[j].ss, &l->ss, l->sslen) == 0) {
				log_error("two servers listen on %s", l->name);
				goto fail;
			}
		}
		if ((l->fd = listen_take(old, nold, l)) < 0 &&
		    (l->fd = listen_bind(l)) < 0)
			goto fail;
	}
	return ls;
fail:
	/* Give reused sockets back to the old set so nothing is lost. */
	for (i = 0; i < c->nservers; i++) {
		for (j = 0; ls[i].fd >= 0 && j < nold; j++) {
			if (old[j].fd < 0 && old[j].sslen == ls[i].sslen &&
			    memcmp(&old[j].ss, &ls[i].ss, ls[i].sslen) == 0) {
				old[j].fd = ls[i].fd;
				ls[i].fd = -1;
			}
		}
	}
	listen_close(ls, c->nservers);
	return NULL;
}

/* A unix socket's file goes with its listener. */
static void
listen_unlink(const struct listener *l)
{
	const struct sockaddr_un *un = (const void *)&l->ss;

	if (l->ss.ss_family == AF_UNIX && un->sun_path[0] != '\0')
		unlink(un->sun_path);
}

void
listen_close(struct listener *ls, size_t n)
{
	size_t i;

	if (ls == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (ls[i].fd < 0)
			continue;
		close(ls[i].fd);
		/* Not across reloads: a reused listener's fd was taken out. */
		listen_unlink(&ls[i]);
	}
	free(ls);
}

void
listen_shut(struct listener *ls, size_t n)
{
	size_t i;

	for (i = 0; ls != NULL && i < n; i++) {
		if (ls[i].fd >= 0) {
			(void)shutdown(ls[i].fd, SHUT_RDWR);
			close(ls[i].fd);
			listen_unlink(&ls[i]);
		}
		ls[i].fd = -1;
	}
}
