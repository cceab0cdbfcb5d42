/* Host names to addresses (in the master, at load) and dialing them in turn (in a worker). */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "resolve.h"

const char *
resolve_host(const char *host, const char *port, struct resolved *r)
{
	struct addrinfo hints, *res, *ai;
	int rc;

	r->n = 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) == EAI_NONAME) {
		hints.ai_flags = AI_NUMERICSERV;
		rc = getaddrinfo(host, port, &hints, &res);
	}
	if (rc != 0)
		return rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc);
	for (ai = res; ai != NULL && r->n < RESOLVE_ADDRS_MAX; ai = ai->ai_next)
		if (ai->ai_addrlen <= sizeof(r->ss[0])) {
			memcpy(&r->ss[r->n], ai->ai_addr, ai->ai_addrlen);
			r->len[r->n++] = ai->ai_addrlen;
		}
	freeaddrinfo(res);
	return r->n > 0 ? NULL : "no address";
}

int64_t
resolve_share(int64_t now, int64_t deadline, size_t left)
{
	int64_t rest = deadline - now, part;

	if (deadline == 0 || left <= 1 || rest <= RESOLVE_SHARE_MIN)
		return deadline;
	part = rest / (int64_t)left;
	return now + (part < RESOLVE_SHARE_MIN ? RESOLVE_SHARE_MIN : part);
}

/* Append address sa's failure e to the list in b (cut at size). */
static void
resolve_failed(
    char *b, size_t size, const struct sockaddr *sa, socklen_t len, int e)
{
	char host[64], port[8]; /* numeric: 46 + a scope at most */
	size_t n = strlen(b);
	int v6 = sa->sa_family == AF_INET6;

	if (getnameinfo(sa, len, host, sizeof(host), port, sizeof(port),
	        NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		(void)snprintf(host, sizeof(host), "?"), port[0] = '\0';
	if (n + 1 < size)
		(void)snprintf(b + n, size - n, "%s%s%s%s:%s: %s",
		    n > 0 ? "; " : "", v6 ? "[" : "", host, v6 ? "]" : "", port,
		    strerror(e));
}

int
resolve_dial(const struct resolved *r, int64_t deadline, char *why, size_t size)
{
	size_t i;
	int fd = -1, e = ETIMEDOUT;

	if (size > 0)
		why[0] = '\0';
	for (i = 0; i < r->n && fd < 0; i++) {
		int64_t now = conn_now_ms();

		if (deadline != 0 && now >= deadline)
			e = ETIMEDOUT;
		else if ((fd = conn_connect((const struct sockaddr *)&r->ss[i],
		              r->len[i],
		              resolve_share(now, deadline, r->n - i))) < 0)
			e = errno;
		if (fd < 0 && r->n > 1 && size > 0)
			resolve_failed(why, size,
			    (const struct sockaddr *)&r->ss[i], r->len[i], e);
	}
	if (fd < 0)
		errno = e;
	return fd;
}
