/* Client network allow-lists: listenConfig.networks (CIDR blocks). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "netacl.h"

/* Write the IPv4-mapped IPv6 form of a 4-byte address. */
static void
netacl_map4(const void *a4, uint8_t out[16])
{
	memset(out, 0, 10);
	out[10] = 0xff;
	out[11] = 0xff;
	memcpy(out + 12, a4, 4);
}

const char *
netacl_parse(const char *s, struct netacl_net *out)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned char a[16];
	unsigned long bits, max;
	char *end;

	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return "is not an IP address or CIDR block";
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, a) == 1) {
		netacl_map4(a, out->addr);
		max = 32;
	} else if (inet_pton(AF_INET6, buf, a) == 1) {
		memcpy(out->addr, a, 16);
		max = 128;
	} else
		return "is not an IP address or CIDR block";
	bits = max;
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9')
			return "has a bad prefix length";
		bits = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || bits > max)
			return "has a bad prefix length";
	}
	out->bits = (unsigned)(bits + (128 - max));
	return NULL;
}

/* Whether the first bits bits of a and b agree. */
static int
netacl_prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(a, b, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

int
netacl_allows(const struct netacl *acl, const struct sockaddr *sa)
{
	uint8_t a[16];
	size_t i;

	if (acl == NULL || acl->nnets == 0)
		return 1;
	if (sa->sa_family == AF_INET)
		netacl_map4(
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    a);
	else if (sa->sa_family == AF_INET6)
		memcpy(a,
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    16);
	else
		return 0;
	for (i = 0; i < acl->nnets; i++)
		if (netacl_prefix_eq(a, acl->nets[i].addr, acl->nets[i].bits))
			return 1;
	return 0;
}
