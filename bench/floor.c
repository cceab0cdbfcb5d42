/* floor: the least a prefork, blocking proxy can do per request, as a bench peer. */

/*
 * Not a proxy for use: a measuring stick for bench/run (server "floor").
 * It keeps aileron's fixed model (processes, one request at a time each,
 * blocking I/O) and drops everything else: each of its processes accepts
 * one client connection, keeps it until the client closes, and per
 * request reads the head, writes it unchanged to its own keep-alive
 * upstream connection, reads the answer (Content-Length or chunked) and
 * writes it back.  No parsing beyond that, no routing, no headers added,
 * no parking: one process per connection, so a row with more connections
 * than processes stalls.  What it reaches on a machine is the ceiling of
 * the model there (two wake-ups per request: the client's request and the
 * upstream's answer).  Only GET/HEAD-style requests without a body.
 *
 *   floor PORT UPSTREAM_PORT PROCESSES     (127.0.0.1 both)
 */
#define _GNU_SOURCE
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define BUFSZ 65536

static char buf[BUFSZ];
static int up_port;

/* A TCP connection to 127.0.0.1:port, or -1. */
static int
dial(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static ssize_t
readsome(int fd, char *b, size_t n)
{
	ssize_t r;

	while ((r = read(fd, b, n)) < 0 && errno == EINTR)
		;
	return r;
}

static int
writeall(int fd, const char *b, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w, n -= (size_t)w;
	}
	return 0;
}

/* Read until b[0..*have) holds a head; its length, or -1 at EOF/error. */
static ssize_t
read_head(int fd, size_t *have)
{
	for (;;) {
		char *end = memmem(buf, *have, "\r\n\r\n", 4);
		ssize_t r;

		if (end != NULL)
			return end + 4 - buf;
		if (*have == BUFSZ)
			return -1;
		if ((r = readsome(fd, buf + *have, BUFSZ - *have)) <= 0)
			return -1;
		*have += (size_t)r;
	}
}

/* The value of header name in the head h[0..n), or NULL. */
static const char *
header(const char *h, size_t n, const char *name)
{
	size_t len = strlen(name);
	const char *p = h, *end = h + n;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p++;
		if ((size_t)(end - p) > len && strncasecmp(p, name, len) == 0 &&
		    p[len] == ':')
			return p + len + 1;
	}
	return NULL;
}

/* A chunked body's end, found byte by byte (sizes, data, trailers). */
struct chunks {
	enum {
		C_SIZE,
		C_EXT,
		C_DATA,
		C_DATA_END,
		C_TRAILER,
		C_TLINE,
		C_DONE
	} state;
	unsigned long left;
};

static void
chunks_feed(struct chunks *c, const char *p, size_t n)
{
	const char *end = p + n;

	while (p < end && c->state != C_DONE) {
		char ch = *p;

		switch (c->state) {
		case C_SIZE:
		case C_EXT:
			if (ch == '\n') {
				c->state = c->left == 0 ? C_TRAILER : C_DATA;
			} else if (c->state == C_SIZE &&
			    isxdigit((unsigned char)ch)) {
				c->left = c->left * 16 +
				    (unsigned long)(isdigit((unsigned char)ch)
				            ? ch - '0'
				            : (tolower(ch) - 'a' + 10));
			} else if (ch != '\r') {
				c->state = C_EXT;
			}
			p++;
			break;
		case C_DATA: {
			size_t take = (size_t)(end - p) < c->left
			    ? (size_t)(end - p)
			    : c->left;

			p += take;
			c->left -= take;
			if (c->left == 0)
				c->state = C_DATA_END;
			break;
		}
		case C_DATA_END:
			if (*p++ == '\n')
				c->state = C_SIZE;
			break;
		case C_TRAILER:
			if (ch == '\n')
				c->state = C_DONE;
			else if (ch != '\r')
				c->state = C_TLINE;
			p++;
			break;
		case C_TLINE:
			if (*p++ == '\n')
				c->state = C_TRAILER;
			break;
		case C_DONE:
			break;
		}
	}
}

/* Relay one answer from up to cl: 0, or -1 when either side failed. */
static int
relay_answer(int up, int cl)
{
	size_t have = 0;
	ssize_t head = read_head(up, &have);
	const char *v;
	long long left = 0;
	struct chunks ch = { C_SIZE, 0 };
	int chunked = 0;

	if (head < 0)
		return -1;
	if ((v = header(buf, (size_t)head, "Content-Length")) != NULL)
		left = strtoll(v, NULL, 10);
	else if ((v = header(buf, (size_t)head, "Transfer-Encoding")) != NULL &&
	    strstr(v, "chunked") != NULL)
		chunked = 1;
	for (;;) {
		size_t body = have - (size_t)head;
		ssize_t r;

		if (chunked)
			chunks_feed(&ch, buf + head, body);
		else
			left -= (long long)body;
		if (writeall(cl, buf, have) < 0)
			return -1;
		if (chunked ? ch.state == C_DONE : left <= 0)
			return 0;
		head = 0;
		if ((r = readsome(up, buf, BUFSZ)) <= 0)
			return -1;
		have = (size_t)r;
	}
}

/* Serve one client connection until it closes. */
static void
serve(int cl, int *up)
{
	size_t have = 0;
	ssize_t head;

	while ((head = read_head(cl, &have)) >= 0) {
		if (*up < 0 && (*up = dial(up_port)) < 0)
			return;
		if (writeall(*up, buf, (size_t)head) < 0 ||
		    relay_answer(*up, cl) < 0) {
			close(*up);
			*up = -1;
			return;
		}
		have = 0; /* no pipelining: wrk sends one request at a time */
	}
}

static void
child(int ls)
{
	int up = -1;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGTERM, SIG_DFL);
	for (;;) {
		int cl = accept(ls, NULL, NULL), one = 1;

		if (cl < 0)
			continue;
		(void)setsockopt(
		    cl, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		serve(cl, &up);
		close(cl);
	}
}

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int ls, one = 1, n, i;
	pid_t *kids;

	if (argc != 4) {
		fprintf(stderr, "usage: floor PORT UPSTREAM_PORT PROCESSES\n");
		return 2;
	}
	up_port = atoi(argv[2]);
	n = atoi(argv[3]);
	sin.sin_port = htons((unsigned short)atoi(argv[1]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((ls = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(ls, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(ls, 4096) < 0) {
		perror("floor: listen");
		return 1;
	}
	if (n < 1 || (kids = calloc((size_t)n, sizeof(*kids))) == NULL)
		return 2;
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	for (i = 0; i < n; i++)
		if ((kids[i] = fork()) == 0)
			child(ls);
	while (!stopping)
		pause();
	for (i = 0; i < n; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGTERM);
	while (wait(NULL) > 0)
		;
	return 0;
}
