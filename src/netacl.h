/* Client network allow-lists: listenConfig.networks (CIDR blocks). */
#ifndef AILERON_NETACL_H
#define AILERON_NETACL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* One CIDR block; IPv4 blocks are kept as IPv4-mapped IPv6. */
struct netacl_net {
	uint8_t addr[16];
	unsigned bits; /* prefix length over the 128-bit form */
};

struct netacl {
	struct netacl_net *nets;
	size_t nnets;
};

/*
 * Parse "a.b.c.d/n", "x::y/n" or a plain address (a /32 or /128) into
 * *out; NULL on success, else what is wrong.
 */
const char *netacl_parse(const char *s, struct netacl_net *out);

/*
 * Whether a client at sa may connect: always when acl has no blocks;
 * never for families other than IPv4 and IPv6 when it has.
 */
int netacl_allows(const struct netacl *acl, const struct sockaddr *sa);

#endif
