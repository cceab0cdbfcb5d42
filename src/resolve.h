/* Host names to addresses (in the master, at load) and dialing them in turn (in a worker). */
#ifndef AILERON_RESOLVE_H
#define AILERON_RESOLVE_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

/* The addresses of a name kept; the least share of a dial timeout (ms). */
#define RESOLVE_ADDRS_MAX 8
#define RESOLVE_SHARE_MIN 2000

/* A name's addresses, in the order to try them. */
struct resolved {
	size_t n;
	struct sockaddr_storage ss[RESOLVE_ADDRS_MAX];
	socklen_t len[RESOLVE_ADDRS_MAX];
};

/*
 * host's addresses for port into *r (RESOLVE_ADDRS_MAX at most, IPv4 and
 * IPv6, in getaddrinfo()'s order): an address literal without a lookup,
 * a name with getaddrinfo(), which blocks (a master's job, at load).  No
 * AI_ADDRCONFIG: an address of a family the host cannot reach fails its
 * connect at once and the next is tried (localhost is ::1 and 127.0.0.1
 * where IPv6 is only on lo).  NULL, or why not (none kept; static).
 */
const char *resolve_host(
    const char *host, const char *port, struct resolved *r);

/*
 * Dial r's addresses in turn until one answers (conn_connect: the worker's
 * watch runs while it waits), each given an equal share of the time left
 * until deadline but RESOLVE_SHARE_MIN ms at least, as Go's dialer does:
 * the connected socket, or -1 with errno from the last address and, when
 * there are several, each address's failure in why ("[::1]:6379:
 * Connection refused; 127.0.0.1:6379: ...", cut at size).
 */
int resolve_dial(
    const struct resolved *r, int64_t deadline, char *why, size_t size);

/* The deadline of one of left addresses still to try, from now. */
int64_t resolve_share(int64_t now, int64_t deadline, size_t left);

#endif
