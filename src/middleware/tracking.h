/* app/v1 TrackingMiddleware: request and trace IDs, sent upstream as proxy headers. */
#ifndef AILERON_MW_TRACKING_H
#define AILERON_MW_TRACKING_H

#include <stddef.h>
#include <stdint.h>

/* The spec as read and built (the runtime reads it as is). */
struct tracking_conf_spec {
	char *request_id_proxy_name; /* canonical, or NULL: not sent */
	char *trace_id_proxy_name;
	char *trace_id_extract_name; /* NULL: the trace ID is the request ID */
	uint64_t host_hash;          /* FNV-1a 64 of the host name */
};

#define TRACKING_ID_LEN 48 /* base32 of 30 bytes, no padding needed */

/*
 * FNV-1a 64 of the host name; computed once in the master (before fork)
 * so that every worker uses the same value.
 */
uint64_t tracking_host_hash(const char *hostname);

/*
 * A new request ID in AILERON's format into out (TRACKING_ID_LEN + 1
 * bytes): base32 (alphabet 0-9 then consonants) of the big-endian Unix
 * time in microseconds, the host hash and 14 random bytes from
 * getrandom().  Returns 0, or -1 if no randomness could be had.
 */
int tracking_new_id(char *out, uint64_t host_hash);

/* Base32 with AILERON's escaped-hex alphabet; out needs 8 chars per 5 bytes + 1. */
void tracking_base32(const uint8_t *in, size_t n, char *out);

/* 1 if name is a valid header name for the three name fields ("^[0-9a-zA-Z-_]*$"). */
int tracking_name_valid(const char *name);

/*
 * The trace ID: the extracted header value when present and non-empty,
 * else the request ID.
 */
const char *tracking_trace_id(const char *request_id, const char *extracted);

#endif
