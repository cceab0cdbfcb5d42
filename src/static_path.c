/* StaticFileHandler's file system side: URL path to file under a root, listings. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "route.h"
#include "static_path.h"

static int static_force_walk;

int
static_path_clean(const char *p, size_t len, char *out, size_t size)
{
	size_t i = 0, o = 1;

	if (size < 2 || memchr(p, '\0', len) != NULL)
		return -1;
	out[0] = '/';
	while (i < len) {
		size_t s, n;

		while (i < len && p[i] == '/')
			i++;
		s = i;
		while (i < len && p[i] != '/')
			i++;
		n = i - s;
		if (n == 0 || (n == 1 && p[s] == '.'))
			continue;
		if (n == 2 && p[s] == '.' && p[s + 1] == '.') {
			/* Back to the previous '/', never above the root. */
			while (o > 1 && out[o - 1] != '/')
				o--;
			if (o > 1)
				o--;
			continue;
		}
		if (o > 1) {
			if (o + 1 >= size)
				return -1;
			out[o++] = '/';
		}
		if (o + n >= size)
			return -1;
		memcpy(out + o, p + s, n);
		o += n;
	}
	out[o] = '\0';
	return (int)o;
}

const char *
static_path_base(const char *p, size_t len, size_t *blen)
{
	size_t e, orig = len;

	while (len > 0 && p[len - 1] == '/')
		len--;
	if (len == 0) {
		/* "" is ".", all slashes is "/". */
		*blen = 1;
		return orig > 0 ? "/" : ".";
	}
	e = len;
	while (len > 0 && p[len - 1] != '/')
		len--;
	*blen = e - len;
	return p + len;
}

void
static_path_force_walk(int on)
{
	static_force_walk = on;
}

/* The status for errno e from opening a path. */
static int
static_errno_status(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
	case ELOOP:
	case EXDEV:
	case ENAMETOOLONG:
	case ENXIO:
		return 404;
	case EACCES:
	case EPERM:
		return 403;
	default:
		return 500;
	}
}

/* Open rel under rootfd, one component at a time, following no symlink. */
static int
static_path_walk(int rootfd, const char *rel)
{
	char comp[NAME_MAX + 1];
	int dfd = rootfd, fd;

	for (;;) {
		const char *slash = strchr(rel, '/');
		size_t n = slash ? (size_t)(slash - rel) : strlen(rel);

		if (n > NAME_MAX) {
			errno = ENAMETOOLONG;
			fd = -1;
			break;
		}
		memcpy(comp, rel, n);
		comp[n] = '\0';
		fd = openat(dfd, comp,
		    O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		        (slash ? O_DIRECTORY : 0));
		if (dfd != rootfd) {
			int e = errno;

			close(dfd);
			errno = e;
		}
		if (fd < 0 || slash == NULL)
			break;
		dfd = fd;
		rel = slash + 1;
	}
	return fd;
}

int
static_path_open(int rootfd, const char *clean, int *fd, struct stat *st)
{
	const char *rel = clean[1] ? clean + 1 : ".";
	struct open_how how;
	int f = -1;

	*fd = -1;
	if (!static_force_walk) {
		memset(&how, 0, sizeof(how));
		how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
		f = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
	}
	if (static_force_walk || (f < 0 && (errno == ENOSYS || errno == EPERM)))
		f = static_path_walk(rootfd, rel);
	if (f < 0)
		return static_errno_status(errno);
	if (fstat(f, st) < 0) {
		close(f);
		return 500;
	}
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode)) {
		close(f);
		return 404;
	}
	*fd = f;
	return 0;
}

/* A growing output buffer; on allocation failure it is freed and NULL. */
struct static_buf {
	char *p;
	size_t len, size;
};

static void
static_put(struct static_buf *b, const char *s, size_t n)
{
	if (b->p == NULL)
		return;
	if (b->len + n + 1 > b->size) {
		size_t ns = b->size * 2 + n;
		char *np = realloc(b->p, ns);

		if (np == NULL) {
			free(b->p);
			b->p = NULL;
			return;
		}
		b->p = np;
		b->size = ns;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* Append s escaped as Go's htmlReplacer does. */
static void
static_put_html(struct static_buf *b, const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		const char *r;

		switch (s[i]) {
		case '&':
			r = "&amp;";
			break;
		case '<':
			r = "&lt;";
			break;
		case '>':
			r = "&gt;";
			break;
		case '"':
			r = "&#34;";
			break;
		case '\'':
			r = "&#39;";
			break;
		default:
			continue;
		}
		static_put(b, s + k, i - k);
		static_put(b, r, strlen(r));
		k = i + 1;
	}
	static_put(b, s + k, n - k);
}

/* Append name as Go's url.URL{Path: name}.String() writes it. */
static void
static_put_href(struct static_buf *b, const char *name, size_t n)
{
	const char *slash = memchr(name, '/', n);
	size_t seg = slash ? (size_t)(slash - name) : n;
	char enc[3 * NAME_MAX + 8];
	int el;

	if (n == 1 && name[0] == '*') {
		static_put(b, "*", 1);
		return;
	}
	/* A colon in the first segment would read as a scheme. */
	if (memchr(name, ':', seg) != NULL)
		static_put(b, "./", 2);
	if ((el = route_encode_path(name, n, enc, sizeof(enc))) >= 0)
		static_put(b, enc, (size_t)el);
}

/* One directory entry: its name and whether it is a directory. */
struct static_ent {
	char *name;
	int dir;
};

static int
static_ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct static_ent *)a)->name,
	    ((const struct static_ent *)b)->name);
}

/* Read the entries of dirfd into *ents; their count, or -1. */
static long
static_read_dir(int dirfd, struct static_ent **ents)
{
	struct static_ent *e = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int fd;

	*ents = NULL;
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		struct stat st;
		int dir = de->d_type == DT_DIR;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type == DT_UNKNOWN &&
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			dir = S_ISDIR(st.st_mode);
		if (n == STATIC_LISTING_MAX)
			goto fail;
		if (n == cap) {
			struct static_ent *ne;

			cap = cap ? cap * 2 : 32;
			if ((ne = realloc(e, cap * sizeof(*e))) == NULL)
				goto fail;
			e = ne;
		}
		if ((e[n].name = strdup(de->d_name)) == NULL)
			goto fail;
		e[n++].dir = dir;
	}
	if (errno != 0)
		goto fail;
	closedir(d);
	qsort(e, n, sizeof(*e), static_ent_cmp);
	*ents = e;
	return (long)n;
fail:
	while (n > 0)
		free(e[--n].name);
	free(e);
	closedir(d);
	return -1;
}

char *
static_listing(int dirfd, size_t *len)
{
	static const char head[] = "<!doctype html>\n"
	                           "<meta name=\"viewport\" "
	                           "content=\"width=device-width\">\n"
	                           "<pre>\n";
	struct static_buf b = { NULL, 0, 0 };
	struct static_ent *e;
	long n, i;

	if ((n = static_read_dir(dirfd, &e)) < 0)
		return NULL;
	b.size = 256 + (size_t)n * 64;
	b.p = malloc(b.size);
	static_put(&b, head, sizeof(head) - 1);
	for (i = 0; i < n; i++) {
		char name[NAME_MAX + 2];
		size_t nl = strlen(e[i].name);

		memcpy(name, e[i].name, nl);
		if (e[i].dir)
			name[nl++] = '/';
		static_put(&b, "<a href=\"", 9);
		static_put_href(&b, name, nl);
		static_put(&b, "\">", 2);
		static_put_html(&b, name, nl);
		static_put(&b, "</a>\n", 5);
		free(e[i].name);
	}
	free(e);
	static_put(&b, "</pre>\n", 7);
	if (b.p != NULL) {
		b.p[b.len] = '\0';
		*len = b.len;
	}
	return b.p;
}

/* Set res to a redirect to a + b. */
static void
static_redirect(struct static_result *res, const char *a, const char *b,
    size_t blen, const char *c)
{
	res->action = STATIC_REDIRECT;
	res->status = 301;
	if ((size_t)snprintf(res->location, sizeof(res->location), "%s%.*s%s",
	        a, (int)blen, b, c) >= sizeof(res->location)) {
		res->action = STATIC_ERROR;
		res->status = 404;
	}
}

/* Set res to an error status, closing an open fd. */
static void
static_error(struct static_result *res, int status)
{
	if (res->fd >= 0)
		close(res->fd);
	res->fd = -1;
	res->action = STATIC_ERROR;
	res->status = status;
}

void
static_resolve(int rootfd, const char *upath, size_t len, int listing,
    struct static_result *res)
{
	char clean[4096], idx[4096 + 16];
	const char *base;
	size_t blen;
	int rv, fd;
	struct stat st;

	memset(res, 0, sizeof(*res));
	res->fd = -1;
	if (len >= 11 && memcmp(upath + len - 11, "/index.html", 11) == 0) {
		static_redirect(res, "./", "", 0, "");
		return;
	}
	if (static_path_clean(upath, len, clean, sizeof(clean)) < 0) {
		static_error(res, 404);
		return;
	}
	if ((rv = static_path_open(rootfd, clean, &res->fd, &res->st)) != 0) {
		static_error(res, rv);
		return;
	}
	if (S_ISDIR(res->st.st_mode) && !listing) {
		static_error(res, 404);
		return;
	}
	base = static_path_base(upath, len, &blen);
	if (S_ISDIR(res->st.st_mode) && (len == 0 || upath[len - 1] != '/')) {
		close(res->fd);
		res->fd = -1;
		static_redirect(res, "", base, blen, "/");
		return;
	}
	if (!S_ISDIR(res->st.st_mode) && len > 0 && upath[len - 1] == '/') {
		close(res->fd);
		res->fd = -1;
		if (blen == 1 && (base[0] == '/' || base[0] == '.'))
			static_error(res, 500);
		else
			static_redirect(res, "../", base, blen, "");
		return;
	}
	if (S_ISDIR(res->st.st_mode)) {
		/* Its index.html, when that is a file. */
		snprintf(
		    idx, sizeof(idx), "%s/index.html", clean[1] ? clean : "");
		if (static_path_open(rootfd, idx, &fd, &st) == 0) {
			if (S_ISREG(st.st_mode)) {
				close(res->fd);
				res->fd = fd;
				res->st = st;
				res->action = STATIC_FILE;
				res->name = "index.html";
				res->name_len = 10;
				return;
			}
			close(fd);
		}
		res->action = STATIC_LISTING;
		return;
	}
	res->action = STATIC_FILE;
	res->name = static_path_base(upath, len, &res->name_len);
}
