/* app/v1 TrackingMiddleware: request and trace IDs, sent upstream as proxy headers. */
#include <sys/random.h>

#include <errno.h>
#include <string.h>
#include <time.h>

#include "middleware/tracking.h"

uint64_t
tracking_host_hash(const char *hostname)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *hostname != '\0'; hostname++) {
		h ^= (uint8_t)*hostname;
		h *= 1099511628211ULL;
	}
	return h;
}

void
tracking_base32(const uint8_t *in, size_t n, char *out)
{
	static const char alphabet[] = "0123456789BCDFGHJKLMNPQRSTUVWXYZ";
	uint32_t acc = 0;
	int bits = 0;
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(acc << (5 - bits)) & 31];
	while (o % 8 != 0)
		out[o++] = '=';
	out[o] = '\0';
}

/* Fill buf with n random bytes from the kernel CSPRNG; -1 on failure. */
static int
tracking_random(uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(buf + got, n - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

int
tracking_new_id(char *out, uint64_t host_hash)
{
	uint8_t raw[30];
	struct timespec ts;
	uint64_t us;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	for (i = 0; i < 8; i++) {
		raw[i] = (uint8_t)(us >> (56 - 8 * i));
		raw[8 + i] = (uint8_t)(host_hash >> (56 - 8 * i));
	}
	if (tracking_random(raw + 16, 14) < 0)
		return -1;
	tracking_base32(raw, sizeof(raw), out);
	return 0;
}

int
tracking_name_valid(const char *name)
{
	return strspn(name,
	           "0123456789abcdefghijklmnopqrstuvwxyz"
	           "ABCDEFGHIJKLMNOPQRSTUVWXYZ-_") == strlen(name);
}

const char *
tracking_trace_id(const char *request_id, const char *extracted)
{
	return extracted != NULL && extracted[0] != '\0' ? extracted
	                                                 : request_id;
}
