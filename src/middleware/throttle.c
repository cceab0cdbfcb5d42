/* app/v1 ThrottleMiddleware: rate limits by path and method, for the whole server. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_table.h"
#include "errpage.h"
#include "kind.h"
#include "log.h"
#include "middleware.h"
#include "proxy.h"
#include "request.h"
#include "response.h"
#include "route.h"
#include "throttle.h"

/*
 * Config part.
 */

/* kernel.MatcherSpec: patterns (OR) and their matchType; regexes compiled. */
struct throttle_conf_matcher {
	char **patterns;
	size_t npatterns;
	int match_type; /* enum conf_match_type */
	int set;
};

/* The four members of the algorithm oneof; set when written. */
struct throttle_conf_max_conns {
	int64_t max_conns;
	int set;
};
struct throttle_conf_token_bucket {
	int64_t bucket_size;
	int64_t fill_interval; /* ms */
	int64_t fill_rate;
	int set;
};
struct throttle_conf_fixed_window {
	int64_t window_size; /* ms */
	int64_t limit;
	int set;
};
struct throttle_conf_leaky_bucket {
	int64_t bucket_size;
	int64_t leak_interval; /* ms */
	int set;
};

/* One apiThrottlers entry. */
struct throttle_conf_rule {
	struct throttle_conf_matcher matcher;
	conf_methods methods;
	int32_t max_retry;
	struct throttle_conf_max_conns mc;
	struct throttle_conf_token_bucket tb;
	struct throttle_conf_fixed_window fw;
	struct throttle_conf_leaky_bucket lb;
	struct throttle_params params; /* from the member set */
	struct conf_pos pos;
};

struct throttle_conf_spec {
	char *id;
	struct conf_errhandler *errhandler; /* metadata.errorHandler */
	struct throttle_conf_rule *rules;
	size_t nrules;
};

static const struct kname throttle_conf_match_types[] = {
	{ "Exact", MATCH_EXACT },
	{ "Prefix", MATCH_PREFIX },
	{ "Suffix", MATCH_SUFFIX },
	{ "Contains", MATCH_CONTAINS },
	{ "Path", MATCH_PATH },
	{ "FilePath", MATCH_FILEPATH },
	{ "Regex", MATCH_REGEX },
	{ "RegexPOSIX", MATCH_REGEX_POSIX },
	{ NULL, 0 },
};

/* A written (not null) object sets its oneof member or the matcher. */
#define THROTTLE_CONF_MARK(name, type)                                    \
	static void name(struct loader *ld, void *obj, yaml_node_t *node) \
	{                                                                 \
		(void)ld;                                                 \
		((type *)obj)->set = node != NULL && !conf_is_null(node); \
	}
THROTTLE_CONF_MARK(throttle_conf_mark_mc, struct throttle_conf_max_conns)
THROTTLE_CONF_MARK(throttle_conf_mark_tb, struct throttle_conf_token_bucket)
THROTTLE_CONF_MARK(throttle_conf_mark_fw, struct throttle_conf_fixed_window)
THROTTLE_CONF_MARK(throttle_conf_mark_lb, struct throttle_conf_leaky_bucket)

/*
 * Compile pattern of match type (a regex; others need nothing) into *out;
 * NULL with a message in err (size bytes) when it is invalid.  The
 * runtime keeps what it compiles; the config check frees it at once.
 */
static int
throttle_compile(
    int type, const char *pattern, void **out, char *err, size_t size)
{
	PCRE2_UCHAR msg[128];
	PCRE2_SIZE erroff;
	int code;

	*out = NULL;
	if (type == MATCH_REGEX) {
		*out = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
		    PCRE2_UTF, &code, &erroff, NULL);
		if (*out == NULL) {
			pcre2_get_error_message(code, msg, sizeof(msg));
			snprintf(err, size, "%s at offset %zu", (char *)msg,
			    (size_t)erroff);
			return -1;
		}
	} else if (type == MATCH_REGEX_POSIX) {
		if ((*out = malloc(sizeof(regex_t))) == NULL)
			fatal("malloc");
		if ((code = regcomp(*out, pattern, REG_EXTENDED)) != 0) {
			regerror(code, *out, err, size);
			free(*out);
			*out = NULL;
			return -1;
		}
	}
	return 0;
}

/* Free what throttle_compile made; accepts NULL. */
static void
throttle_compiled_free(int type, void *re)
{
	if (re == NULL)
		return;
	if (type == MATCH_REGEX)
		pcre2_code_free(re);
	else {
		regfree(re);
		free(re);
	}
}

/* A bad regex is a config error. */
static void
throttle_conf_check_matcher(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct throttle_conf_matcher *m = obj;
	char err[256];
	void *re;
	size_t i;

	m->set = node != NULL && !conf_is_null(node);
	for (i = 0; i < m->npatterns; i++) {
		if (throttle_compile(m->match_type, m->patterns[i], &re, err,
		        sizeof(err)) == -1)
			conf_errorn(ld, node,
			    "patterns[%zu]: invalid %s \"%s\": %s", i,
			    m->match_type == MATCH_REGEX
			        ? "regular expression"
			        : "POSIX regular expression",
			    m->patterns[i], err);
		throttle_compiled_free(m->match_type, re);
	}
}

/* Exactly one algorithm; its parameters for the limiter. */
static void
throttle_conf_check_rule(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct throttle_conf_rule *r = obj;
	struct throttle_params *p = &r->params;
	int n = r->mc.set + r->tb.set + r->fw.set + r->lb.set;

	if (!r->matcher.set)
		conf_errorn(ld, node, "matcher is required");
	if (n != 1) {
		conf_errorn(ld, node,
		    n == 0 ? "one of maxConnections, tokenBucket, fixedWindow "
		             "or leakyBucket is required"
		           : "only one of maxConnections, tokenBucket, "
		             "fixedWindow or leakyBucket may be set");
		return;
	}
	if (r->mc.set)
		*p = (struct throttle_params) { THROTTLE_MAX_CONNS,
			r->mc.max_conns, 0, 0 };
	else if (r->tb.set)
		*p = (struct throttle_params) { THROTTLE_TOKEN_BUCKET,
			r->tb.bucket_size, r->tb.fill_rate,
			r->tb.fill_interval * 1000000 };
	else if (r->fw.set)
		*p = (struct throttle_params) { THROTTLE_FIXED_WINDOW,
			r->fw.limit, r->fw.limit, r->fw.window_size * 1000000 };
	else
		*p = (struct throttle_params) { THROTTLE_LEAKY_BUCKET,
			r->lb.bucket_size, 0, r->lb.leak_interval * 1000000 };
}

/* Sizes and intervals: >= 1 once defaults merged (0 takes the default). */
#define THROTTLE_MS_MAX ((int64_t)INT32_MAX)

static const struct conf_field throttle_conf_mc_fields[] = {
	FINTD("maxConns", struct throttle_conf_max_conns, max_conns, 0,
	    INT32_MAX, "128"),
	FEND,
};
static const struct conf_table throttle_conf_mc_table = {
	throttle_conf_mc_fields, throttle_conf_mark_mc
};

static const struct conf_field throttle_conf_tb_fields[] = {
	FINTD("bucketSize", struct throttle_conf_token_bucket, bucket_size, 0,
	    INT32_MAX, "1000"),
	FINTD("fillInterval", struct throttle_conf_token_bucket, fill_interval,
	    0, THROTTLE_MS_MAX, "1000"),
	FINTD("fillRate", struct throttle_conf_token_bucket, fill_rate, 0,
	    INT32_MAX, "1000"),
	FEND,
};
static const struct conf_table throttle_conf_tb_table = {
	throttle_conf_tb_fields, throttle_conf_mark_tb
};

static const struct conf_field throttle_conf_fw_fields[] = {
	FINTD("windowSize", struct throttle_conf_fixed_window, window_size, 0,
	    THROTTLE_MS_MAX, "1000"),
	FINTD("limit", struct throttle_conf_fixed_window, limit, 0, INT32_MAX,
	    "1000"),
	FEND,
};
static const struct conf_table throttle_conf_fw_table = {
	throttle_conf_fw_fields, throttle_conf_mark_fw
};

static const struct conf_field throttle_conf_lb_fields[] = {
	FINTD("bucketSize", struct throttle_conf_leaky_bucket, bucket_size, 0,
	    INT32_MAX, "1000"),
	FINTD("leakInterval", struct throttle_conf_leaky_bucket, leak_interval,
	    0, THROTTLE_MS_MAX, "1"),
	FEND,
};
static const struct conf_table throttle_conf_lb_table = {
	throttle_conf_lb_fields, throttle_conf_mark_lb
};

static const struct conf_field throttle_conf_matcher_fields[] = {
	FSTRS("patterns", struct throttle_conf_matcher, patterns, npatterns,
	    CF_UNIQUE),
	FENUMD("matchType", struct throttle_conf_matcher, match_type,
	    throttle_conf_match_types, "Exact"),
	FEND,
};
static const struct conf_table throttle_conf_matcher_table = {
	throttle_conf_matcher_fields, throttle_conf_check_matcher
};

static const struct conf_field throttle_conf_rule_fields[] = {
	FOBJ("matcher", struct throttle_conf_rule, matcher,
	    &throttle_conf_matcher_table),
	FMETHODS("methods", struct throttle_conf_rule, methods),
	FINT("maxRetry", struct throttle_conf_rule, max_retry, 0, INT32_MAX),
	FOBJ("maxConnections", struct throttle_conf_rule, mc,
	    &throttle_conf_mc_table),
	FOBJ("tokenBucket", struct throttle_conf_rule, tb,
	    &throttle_conf_tb_table),
	FOBJ("fixedWindow", struct throttle_conf_rule, fw,
	    &throttle_conf_fw_table),
	FOBJ("leakyBucket", struct throttle_conf_rule, lb,
	    &throttle_conf_lb_table),
	FEND,
};
static const struct conf_table throttle_conf_rule_table = {
	throttle_conf_rule_fields, throttle_conf_check_rule
};

static const struct conf_field throttle_conf_fields[] = {
	FLIST("apiThrottlers", struct throttle_conf_spec, rules, nrules,
	    struct throttle_conf_rule, &throttle_conf_rule_table),
	FEND,
};
static const struct conf_table throttle_conf_table = { throttle_conf_fields,
	NULL };

const struct kind throttle_conf_kind = {
	.api_version = "app/v1",
	.kind = "ThrottleMiddleware",
	.roles = KIND_ROLE_MIDDLEWARE,
	.table = &throttle_conf_table,
	.size = sizeof(struct throttle_conf_spec),
	.id_off = offsetof(struct throttle_conf_spec, id),
	.eh_off = offsetof(struct throttle_conf_spec, errhandler),
	.middleware = &throttle_middleware,
};

/*
 * Runtime part.
 */

/* One rule's limiter (mapped before fork) and its compiled patterns. */
struct throttle_rule {
	const struct throttle_conf_rule *conf;
	struct throttle *lim;
	void **compiled;
};

struct throttle_inst {
	struct throttle_rule *rules;
	size_t nrules;
};

/*
 * maxConnections slots the worker's current request holds, given back
 * when it ends.  A worker serves one request at a time.
 */
#define THROTTLE_HELD_MAX 16
static struct throttle *throttle_held[THROTTLE_HELD_MAX];
static size_t throttle_nheld;

static void
throttle_destroy(void *p)
{
	struct throttle_inst *t = p;
	size_t i, j;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrules; i++) {
		throttle_free(t->rules[i].lim);
		for (j = 0; t->rules[i].compiled != NULL &&
		     j < t->rules[i].conf->matcher.npatterns;
		     j++)
			throttle_compiled_free(
			    t->rules[i].conf->matcher.match_type,
			    t->rules[i].compiled[j]);
		free(t->rules[i].compiled);
	}
	free(t->rules);
	free(t);
}

/* Master, before fork: the limiters in shared memory, the patterns compiled. */
static void *
throttle_create(const void *conf, struct conf *c)
{
	const struct throttle_conf_spec *spec = conf;
	const struct throttle_conf_matcher *m;
	struct throttle_inst *t;
	uint64_t now = throttle_clock();
	char err[256];
	size_t i, j;

	(void)c;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->rules = calloc(spec->nrules + 1, sizeof(*t->rules))) == NULL)
		fatal("calloc");
	t->nrules = spec->nrules;
	for (i = 0; i < spec->nrules; i++) {
		t->rules[i].conf = &spec->rules[i];
		m = &spec->rules[i].matcher;
		if ((t->rules[i].lim = throttle_new(
		         &spec->rules[i].params, now)) == NULL ||
		    (t->rules[i].compiled =
		            calloc(m->npatterns + 1, sizeof(void *))) == NULL)
			goto fail;
		for (j = 0; j < m->npatterns; j++)
			if (throttle_compile(m->match_type, m->patterns[j],
			        &t->rules[i].compiled[j], err,
			        sizeof(err)) == -1) {
				log_warnx("%s: %s", m->patterns[j], err);
				goto fail;
			}
	}
	return t;
fail:
	throttle_destroy(t);
	return NULL;
}

/* Does rule r take a request with method and path (NUL-terminated)? */
static int
throttle_rule_matches(
    const struct throttle_rule *r, int method, const char *path, size_t len)
{
	const struct throttle_conf_matcher *m = &r->conf->matcher;
	size_t i;

	if (r->conf->methods != 0 && (r->conf->methods & (1u << method)) == 0)
		return 0;
	for (i = 0; i < m->npatterns; i++)
		if (route_match(m->match_type, m->patterns[i], r->compiled[i],
		        path, len))
			return 1;
	return 0;
}

/* 429 through the error handler, E3213, no Retry-After (AILERON's). */
static int
throttle_refuse(struct request *r)
{
	return response_error(r, 429, ERRPAGE_THROTTLE) == -1 ? HANDLER_ABORT
	                                                      : HANDLER_OK;
}

/*
 * The first rule matching the method and the path decides: admitted
 * (after waiting, maybe), or 429 E3213.  No rule matches: on we go.
 */
static int
throttle_request(void *inst, struct request *r)
{
	static char path[8192];
	struct throttle_inst *t = inst;
	struct throttle_rule *rule;
	size_t i;

	/*
	 * Server middleware run before routing splits the target (until
	 * then the path is empty; a split one is at least "/").
	 */
	if (r->path_len == 0 &&
	    request_split_target(r, path, sizeof(path)) == -1)
		return HANDLER_DECLINED; /* routing answers 400 */
	for (i = 0; i < t->nrules; i++) {
		rule = &t->rules[i];
		if (!throttle_rule_matches(
		        rule, r->msg->method_id, r->path, r->path_len))
			continue;
		if (!throttle_admit(rule->lim, rule->conf->max_retry,
		        r->client != NULL ? r->client->io.fd : -1))
			return throttle_refuse(r);
		if (rule->conf->params.alg == THROTTLE_MAX_CONNS) {
			if (throttle_nheld == THROTTLE_HELD_MAX) {
				throttle_release(rule->lim);
				return throttle_refuse(r);
			}
			throttle_held[throttle_nheld++] = rule->lim;
		}
		break;
	}
	return HANDLER_DECLINED;
}

/* The request ended: give back its maxConnections slots. */
static void
throttle_done(void *inst, struct request *r)
{
	(void)inst;
	(void)r;
	while (throttle_nheld > 0)
		throttle_release(throttle_held[--throttle_nheld]);
}

const struct middleware_ops throttle_middleware = {
	.name = "app/v1/ThrottleMiddleware",
	.create = throttle_create,
	.destroy = throttle_destroy,
	.request = throttle_request,
	.done = throttle_done,
};
