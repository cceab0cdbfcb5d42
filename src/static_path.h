/* StaticFileHandler's file system side: URL path to file under a root, listings. */
#ifndef AILERON_STATIC_PATH_H
#define AILERON_STATIC_PATH_H

#include <stddef.h>
#include <sys/stat.h>

/*
 * Clean a decoded URL path as Go's path.Clean("/" + p): one '/' between
 * elements, no "." or "..", no trailing '/', never above "/".  Writes a
 * NUL-terminated result into out; its length, or -1 if it does not fit
 * or p holds a NUL byte.
 */
int static_path_clean(const char *p, size_t len, char *out, size_t size);

/* The last element of a path as Go's path.Base ("/a/b/" -> "b"). */
const char *static_path_base(const char *p, size_t len, size_t *blen);

/*
 * Open clean path (from static_path_clean) under the directory rootfd:
 * symlinks are followed only while they stay beneath the root, ".."
 * cannot leave it (openat2 RESOLVE_BENEATH; without openat2 no symlink is
 * followed).  Regular files and directories only.  0 with the open fd and
 * its stat, or the status to answer: 404 (missing, not a directory on the
 * way, leaving the root, not a regular file), 403 (permission), 500.
 */
int static_path_open(int rootfd, const char *clean, int *fd, struct stat *st);

/* Tests: 1 pretends openat2 is missing (the component walk is used). */
void static_path_force_walk(int on);

/*
 * The body of Go's FileServer listing of directory dirfd (left open):
 * entries sorted by name, directories with a trailing '/'.  Returns a
 * malloc'd body and its length in *len, or NULL (read error, or more
 * than STATIC_LISTING_MAX entries).
 */
#define STATIC_LISTING_MAX 10000
char *static_listing(int dirfd, size_t *len);

/* What Go's serveFile does with a request path. */
enum static_action {
	STATIC_ERROR,    /* status: 404, 403 or 500 */
	STATIC_REDIRECT, /* 301 to location (relative; the caller adds ?query) */
	STATIC_FILE,     /* serve fd (a regular file), st its stat */
	STATIC_LISTING   /* list fd (a directory), st its stat */
};

struct static_result {
	enum static_action action;
	int status;
	int fd; /* STATIC_FILE, STATIC_LISTING: the caller closes it */
	struct stat st;
	const char *name; /* STATIC_FILE: the file name (for its type) */
	size_t name_len;
	char location[4096]; /* STATIC_REDIRECT: decoded, relative */
};

/*
 * Resolve upath (decoded request path after stripPrefix, len bytes) under
 * rootfd as Go's FileServer: "/index.html" suffix -> redirect "./", a
 * directory without its trailing '/' -> redirect, a file with one ->
 * redirect "../name", a directory -> its index.html or a listing (only
 * with listing set: otherwise every directory is 404).
 */
void static_resolve(int rootfd, const char *upath, size_t len, int listing,
    struct static_result *res);

#endif
