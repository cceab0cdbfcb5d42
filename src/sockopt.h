/* Socket options of AILERON's SockOption (soOption, ipOption, tcpOption) applied to sockets. */
#ifndef AILERON_SOCKOPT_H
#define AILERON_SOCKOPT_H

#include <stddef.h>

enum sockopt_type {
	SOCKOPT_BOOL,   /* set to 1 when true; false leaves the OS default */
	SOCKOPT_INT,    /* set when > 0 */
	SOCKOPT_STRING, /* set when not empty (SO_BINDTODEVICE) */
	SOCKOPT_LINGER, /* struct linger { 1, seconds } when > 0 */
	SOCKOPT_MSEC,   /* struct timeval from milliseconds when > 0 */
	SOCKOPT_NONE    /* known to AILERON, nothing to set on Linux */
};

/* One option AILERON names: group ("soOption"), field, and what it sets. */
struct sockopt_def {
	const char *group;
	const char *name;
	int level; /* SOL_SOCKET, IPPROTO_IP, IPPROTO_TCP, IPPROTO_UDP */
	int opt;
	enum sockopt_type type;
};

/* One option to set, with its value. */
struct sockopt_val {
	const struct sockopt_def *def;
	int ival;
	const char *sval;
};

struct sockopt_set {
	struct sockopt_val *vals;
	size_t nvals;
};

/* The option called name in group, or NULL if AILERON has none such. */
const struct sockopt_def *sockopt_find(const char *group, const char *name);

/*
 * Whether a value would be set at all (AILERON ignores false, zero,
 * negative and empty values).
 */
int sockopt_is_set(const struct sockopt_def *d, int ival, const char *sval);

/*
 * Set every option of s on fd, a socket of family (AF_UNIX sockets take
 * only soOption).  0, or -1 with errno and *failed naming the option.
 */
int sockopt_apply(int fd, int family, const struct sockopt_set *s,
    const struct sockopt_def **failed);

#endif
