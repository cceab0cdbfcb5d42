/* app/v1 CORSMiddleware: preflight answers and CORS headers on actual requests. */
#ifndef AILERON_MW_CORS_H
#define AILERON_MW_CORS_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* The policy as built at start-up (defaults applied, lists joined). */
struct cors_policy {
	char **origins; /* allowedOrigins, exact strings ("*" = any) */
	size_t norigins;
	char **methods; /* allowedMethods as method tokens */
	size_t nmethods;
	char *joined_methods; /* sorted, ","-joined */
	char *joined_headers; /* allowedHeaders ","-joined, "" if none */
	char *joined_exposed; /* exposedHeaders ","-joined, "" if none */
	char max_age[16];     /* decimal maxAge, always sent on preflight */
	const char *embedder; /* Cross-Origin-Embedder-Policy or NULL */
	const char *opener;   /* Cross-Origin-Opener-Policy or NULL */
	const char *resource; /* Cross-Origin-Resource-Policy or NULL */
	int allow_credentials;
	int allow_private_network;
	int disable_wildcard_origin;
};

/* corsPolicy as read; its check builds policy. */
struct cors_conf_policy {
	char **allowed_origins;
	size_t nallowed_origins;
	conf_methods allowed_methods;
	char **allowed_headers;
	size_t nallowed_headers;
	char **exposed_headers;
	size_t nexposed_headers;
	int allow_credentials;
	int32_t max_age;
	int embedder, opener, resource; /* enum values, 0: unset */
	int allow_private_network;
	int disable_wildcard_origin;
	struct cors_policy policy;
};

struct cors_conf_spec {
	struct cors_conf_policy cors;
};

/* The request headers CORS reads; NULL when absent. */
struct cors_request {
	const char *method; /* method token, NUL-terminated */
	const char *origin;
	const char *acrm;  /* Access-Control-Request-Method */
	const char *acrh;  /* Access-Control-Request-Headers */
	const char *acrpn; /* Access-Control-Request-Private-Network */
};

#define CORS_MAX_HEADERS 16

/* A response header to append, in order; both strings borrowed. */
struct cors_header {
	const char *name;
	const char *value;
};

enum cors_action {
	CORS_FORWARD = 0,  /* actual request allowed: add headers, go on */
	CORS_PREFLIGHT_OK, /* answer 200 with the headers, empty body */
	CORS_PREFLIGHT_FORBIDDEN, /* answer 403 with the headers, empty body */
	CORS_FORBIDDEN /* 403 through the error handler (E3204), headers kept */
};

/*
 * Evaluate r against p.  The response headers to add are written to h
 * (at most CORS_MAX_HEADERS) and their count to *nh; values point into p
 * or r.  Returns the action.
 */
enum cors_action cors_evaluate(const struct cors_policy *p,
    const struct cors_request *r, struct cors_header *h, size_t *nh);

/* The header value of a policy enum name (e.g. "EmbedderRequireCorp"), or NULL. */
const char *cors_embedder_value(const char *name);
const char *cors_opener_value(const char *name);
const char *cors_resource_value(const char *name);

/*
 * Sort and join the method names as AILERON emits them ("GET,OPTIONS,POST").
 * Returns a malloc'd string.
 */
char *cors_join_methods(char *const *methods, size_t n);

#endif
