/* Socket options of AILERON's SockOption (soOption, ipOption, tcpOption) applied to sockets. */
#include <netinet/in.h>
#include <stdint.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "sockopt.h"

#ifndef TCP_FASTOPEN_CONNECT
#define TCP_FASTOPEN_CONNECT 30
#endif
#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif
#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

/* Every field of AILERON's kernel.SockOption and what it sets on Linux. */
static const struct sockopt_def sockopt_defs[] = {
	{ "soOption", "bindToDevice", SOL_SOCKET, SO_BINDTODEVICE,
	    SOCKOPT_STRING },
	{ "soOption", "debug", SOL_SOCKET, SO_DEBUG, SOCKOPT_BOOL },
	{ "soOption", "keepAlive", SOL_SOCKET, SO_KEEPALIVE, SOCKOPT_BOOL },
	{ "soOption", "linger", SOL_SOCKET, SO_LINGER, SOCKOPT_LINGER },
	{ "soOption", "mark", SOL_SOCKET, SO_MARK, SOCKOPT_INT },
	{ "soOption", "receiveBuffer", SOL_SOCKET, SO_RCVBUF, SOCKOPT_INT },
	{ "soOption", "receiveBufferForce", SOL_SOCKET, SO_RCVBUFFORCE,
	    SOCKOPT_INT },
	{ "soOption", "receiveTimeout", SOL_SOCKET, SO_RCVTIMEO, SOCKOPT_MSEC },
	{ "soOption", "sendTimeout", SOL_SOCKET, SO_SNDTIMEO, SOCKOPT_MSEC },
	{ "soOption", "reuseAddr", SOL_SOCKET, SO_REUSEADDR, SOCKOPT_BOOL },
	{ "soOption", "reusePort", SOL_SOCKET, SO_REUSEPORT, SOCKOPT_BOOL },
	{ "soOption", "sendBuffer", SOL_SOCKET, SO_SNDBUF, SOCKOPT_INT },
	{ "soOption", "sendBufferForce", SOL_SOCKET, SO_SNDBUFFORCE,
	    SOCKOPT_INT },
	{ "ipOption", "bindAddressNoPort", IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT,
	    SOCKOPT_BOOL },
	{ "ipOption", "freeBind", IPPROTO_IP, IP_FREEBIND, SOCKOPT_BOOL },
	{ "ipOption", "localPortRangeUpper", IPPROTO_IP, IP_LOCAL_PORT_RANGE,
	    SOCKOPT_INT },
	{ "ipOption", "localPortRangeLower", IPPROTO_IP, IP_LOCAL_PORT_RANGE,
	    SOCKOPT_INT },
	{ "ipOption", "transparent", IPPROTO_IP, IP_TRANSPARENT, SOCKOPT_BOOL },
	{ "ipOption", "ttl", IPPROTO_IP, IP_TTL, SOCKOPT_INT },
	{ "tcpOption", "cork", IPPROTO_TCP, TCP_CORK, SOCKOPT_BOOL },
	{ "tcpOption", "deferAccept", IPPROTO_TCP, TCP_DEFER_ACCEPT,
	    SOCKOPT_INT },
	{ "tcpOption", "keepCount", IPPROTO_TCP, TCP_KEEPCNT, SOCKOPT_INT },
	{ "tcpOption", "keepIdle", IPPROTO_TCP, TCP_KEEPIDLE, SOCKOPT_INT },
	{ "tcpOption", "keepInterval", IPPROTO_TCP, TCP_KEEPINTVL,
	    SOCKOPT_INT },
	{ "tcpOption", "linger2", IPPROTO_TCP, TCP_LINGER2, SOCKOPT_INT },
	{ "tcpOption", "maxSegment", IPPROTO_TCP, TCP_MAXSEG, SOCKOPT_INT },
	{ "tcpOption", "noDelay", IPPROTO_TCP, TCP_NODELAY, SOCKOPT_BOOL },
	{ "tcpOption", "quickAck", IPPROTO_TCP, TCP_QUICKACK, SOCKOPT_BOOL },
	{ "tcpOption", "synCount", IPPROTO_TCP, TCP_SYNCNT, SOCKOPT_INT },
	{ "tcpOption", "userTimeout", IPPROTO_TCP, TCP_USER_TIMEOUT,
	    SOCKOPT_INT },
	{ "tcpOption", "windowClamp", IPPROTO_TCP, TCP_WINDOW_CLAMP,
	    SOCKOPT_INT },
	{ "tcpOption", "fastOpen", IPPROTO_TCP, TCP_FASTOPEN, SOCKOPT_BOOL },
	{ "tcpOption", "fastOpenConnect", IPPROTO_TCP, TCP_FASTOPEN_CONNECT,
	    SOCKOPT_BOOL },
	/* UDP options: aileron has no UDP sockets; accepted and ignored. */
	{ "udpOption", "cork", IPPROTO_UDP, UDP_CORK, SOCKOPT_NONE },
	{ "udpOption", "segment", IPPROTO_UDP, UDP_SEGMENT, SOCKOPT_NONE },
	{ "udpOption", "gro", IPPROTO_UDP, UDP_GRO, SOCKOPT_NONE },
};

const struct sockopt_def *
sockopt_find(const char *group, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(sockopt_defs) / sizeof(sockopt_defs[0]); i++)
		if (strcmp(sockopt_defs[i].group, group) == 0 &&
		    strcmp(sockopt_defs[i].name, name) == 0)
			return &sockopt_defs[i];
	return NULL;
}

int
sockopt_is_set(const struct sockopt_def *d, int ival, const char *sval)
{
	switch (d->type) {
	case SOCKOPT_STRING:
		return sval != NULL && sval[0] != '\0';
	case SOCKOPT_NONE:
		return 0;
	default:
		return ival > 0;
	}
}

/* Set one option; 0 or -1 with errno. */
static int
sockopt_set_one(int fd, const struct sockopt_val *v)
{
	const struct sockopt_def *d = v->def;
	struct linger lg;
	struct timeval tv;
	int one = 1;

	switch (d->type) {
	case SOCKOPT_BOOL:
		return setsockopt(fd, d->level, d->opt, &one, sizeof(one));
	case SOCKOPT_INT:
		return setsockopt(fd, d->level, d->opt, &v->ival, sizeof(int));
	case SOCKOPT_STRING:
		return setsockopt(fd, d->level, d->opt, v->sval,
		    (socklen_t)strlen(v->sval) + 1);
	case SOCKOPT_LINGER:
		lg.l_onoff = 1;
		lg.l_linger = v->ival;
		return setsockopt(fd, d->level, d->opt, &lg, sizeof(lg));
	case SOCKOPT_MSEC:
		tv.tv_sec = v->ival / 1000;
		tv.tv_usec = (v->ival % 1000) * 1000;
		return setsockopt(fd, d->level, d->opt, &tv, sizeof(tv));
	default:
		return 0;
	}
}

/*
 * IP_LOCAL_PORT_RANGE takes both bounds in one 32-bit value (lower in
 * the low 16 bits); set it once, from whichever bounds are given.
 */
static int
sockopt_port_range(int fd, const struct sockopt_set *s)
{
	uint32_t lo = 0, hi = 0, v;
	int seen = 0;
	size_t i;

	for (i = 0; i < s->nvals; i++) {
		if (s->vals[i].def->opt != IP_LOCAL_PORT_RANGE ||
		    s->vals[i].def->level != IPPROTO_IP)
			continue;
		seen = 1;
		if (strcmp(s->vals[i].def->name, "localPortRangeLower") == 0)
			lo = (uint32_t)s->vals[i].ival;
		else
			hi = (uint32_t)s->vals[i].ival;
	}
	if (!seen)
		return 0;
	v = (hi << 16) | lo;
	return setsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &v, sizeof(v));
}

int
sockopt_apply(int fd, int family, const struct sockopt_set *s,
    const struct sockopt_def **failed)
{
	const struct sockopt_def *range = NULL;
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < s->nvals; i++) {
		const struct sockopt_def *d = s->vals[i].def;

		if (d->level != SOL_SOCKET && family == AF_UNIX)
			continue;
		if (d->level == IPPROTO_IP && d->opt == IP_LOCAL_PORT_RANGE) {
			range = d;
			continue;
		}
		if (sockopt_set_one(fd, &s->vals[i]) < 0) {
			*failed = d;
			return -1;
		}
	}
	if (range != NULL && sockopt_port_range(fd, s) < 0) {
		*failed = range;
		return -1;
	}
	return 0;
}
