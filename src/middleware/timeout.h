/* app/v1 TimeoutMiddleware: a deadline per API, 504 if nothing was sent by then. */
#ifndef AILERON_MW_TIMEOUT_H
#define AILERON_MW_TIMEOUT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "middleware/matcher.h"

/* One apiTimeouts entry (entries with timeout <= 0 are dropped at load). */
struct timeout_api {
	struct mw_matcher matcher;
	conf_methods methods; /* 0: every method */
	int32_t timeout_ms;
};

struct timeout_policy {
	int32_t default_ms; /* 0: none */
	struct timeout_api *apis;
	size_t napis;
};

/* An apiTimeouts entry as read. */
struct timeout_conf_api {
	struct mw_matcher_conf matcher; /* required */
	conf_methods methods;
	int32_t timeout;
};

/* The spec as read; policy is what the runtime uses. */
struct timeout_conf_spec {
	struct timeout_policy policy;
	struct timeout_conf_api *apis;
	size_t napis;
};

/* The timeout in ms for a request (enum http_method, decoded path); 0: none. */
int32_t timeout_select(
    const struct timeout_policy *p, int method, const char *path, size_t plen);

/* The absolute CLOCK_MONOTONIC deadline ms after now. */
struct timespec timeout_deadline(const struct timespec *now, int32_t ms);

/*
 * Milliseconds left until deadline as a poll() timeout: 0 once passed,
 * and never more than cap_ms when cap_ms >= 0 (the caller's own timeout).
 */
int timeout_poll_ms(
    const struct timespec *deadline, const struct timespec *now, int cap_ms);

/*
 * The status the middleware answers when the inner handler returns:
 * 504 if the deadline passed and nothing was sent yet, else 0 (keep what
 * the handler did).
 */
int timeout_status(const struct timespec *deadline, const struct timespec *now,
    int response_started);

#endif
