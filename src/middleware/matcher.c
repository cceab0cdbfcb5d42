/* MatcherSpec {patterns, matchType} and small helpers shared by middleware kinds. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <fnmatch.h>
#include <pcre2.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "conf_table.h"
#include "http.h"
#include "log.h"
#include "middleware.h"
#include "pipeline.h"
#include "request.h"
#include "middleware/matcher.h"
#include "middleware/skipper.h"
#include "route.h"

/*
 * Check a Go path.Match pattern the way Go does at start-up: a bracket
 * must close and a trailing backslash escapes nothing.
 */
static int
mw_matcher_path_valid(const char *p)
{
	for (; *p != '\0'; p++) {
		if (*p == '\\') {
			if (*++p == '\0')
				return 0;
		} else if (*p == '[') {
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				return 0; /* Go refuses an empty class */
			while (*p != '\0' && *p != ']') {
				if (*p == '\\' && *++p == '\0')
					return 0;
				p++;
			}
			if (*p == '\0')
				return 0;
		}
	}
	return 1;
}

/* Compile one pattern; NULL in *out for the non-regex types.  -1 on error. */
static int
mw_matcher_compile(
    int type, const char *pattern, void **out, char *err, size_t errsize)
{
	int errcode;
	PCRE2_SIZE erroff;

	*out = NULL;
	if (type == MATCH_REGEX) {
		*out = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
		    PCRE2_UTF, &errcode, &erroff, NULL);
		if (*out == NULL) {
			snprintf(err, errsize,
			    "invalid regular expression \"%s\"", pattern);
			return -1;
		}
	} else if (type == MATCH_REGEX_POSIX) {
		regex_t *re = malloc(sizeof(*re));

		if (re == NULL)
			fatal("malloc");
		if (regcomp(re, pattern, REG_EXTENDED) != 0) {
			free(re);
			snprintf(err, errsize,
			    "invalid POSIX regular expression \"%s\"", pattern);
			return -1;
		}
		*out = re;
	} else if ((type == MATCH_PATH || type == MATCH_FILEPATH) &&
	    !mw_matcher_path_valid(pattern)) {
		snprintf(err, errsize, "invalid path pattern \"%s\"", pattern);
		return -1;
	}
	return 0;
}

int
mw_matcher_init(struct mw_matcher *m, int type, const char *const *patterns,
    size_t n, char *err, size_t errsize)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	m->type = type;
	if (n == 0)
		return 0;
	m->patterns = calloc(n, sizeof(*m->patterns));
	m->compiled = calloc(n, sizeof(*m->compiled));
	if (m->patterns == NULL || m->compiled == NULL)
		fatal("calloc");
	for (i = 0; i < n; i++) {
		if ((m->patterns[i] = strdup(patterns[i])) == NULL)
			fatal("strdup");
		m->npatterns++;
		if (mw_matcher_compile(
		        type, patterns[i], &m->compiled[i], err, errsize) < 0) {
			mw_matcher_reset(m);
			return -1;
		}
	}
	return 0;
}

void
mw_matcher_reset(struct mw_matcher *m)
{
	size_t i;

	for (i = 0; i < m->npatterns; i++) {
		free(m->patterns[i]);
		if (m->compiled[i] == NULL)
			continue;
		if (m->type == MATCH_REGEX)
			pcre2_code_free(m->compiled[i]);
		else {
			regfree(m->compiled[i]);
			free(m->compiled[i]);
		}
	}
	free(m->patterns);
	free(m->compiled);
	memset(m, 0, sizeof(*m));
}

int
mw_matcher_match(const struct mw_matcher *m, const char *value, size_t len)
{
	size_t i;

	for (i = 0; i < m->npatterns; i++)
		if (route_match(
		        m->type, m->patterns[i], m->compiled[i], value, len))
			return 1;
	return 0;
}

int
mw_methods_listed(conf_methods mask, int method)
{
	if (mask == 0)
		return 1;
	/* HTTP_M_OTHER is never in a mask: unknown methods never match. */
	return method > 0 && method < 32 && (mask & (1u << method)) != 0;
}

/* conf_free: the compiled patterns of a matcher. */
static void
mw_matcher_conf_free(void *arg)
{
	mw_matcher_reset(arg);
}

/* Compile a MatcherSpec once read; errors at the matcher's position. */
static void
mw_matcher_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct mw_matcher_conf *mc = obj;
	char err[512];

	if (mw_matcher_init(&mc->m, mc->match_type,
	        (const char *const *)mc->patterns, mc->npatterns, err,
	        sizeof(err)) < 0) {
		conf_errorn(ld, conf_field_node(ld, node, "patterns"),
		    "field \"patterns\": %s", err);
		return;
	}
	conf_at_free(ld, mw_matcher_conf_free, &mc->m);
}

static const struct conf_field mw_matcher_conf_fields[] = {
	FSTRS(
	    "patterns", struct mw_matcher_conf, patterns, npatterns, CF_UNIQUE),
	FENUM("matchType", struct mw_matcher_conf, match_type,
	    reverse_proxy_conf_match_types),
	FEND,
};
const struct conf_table mw_matcher_conf_table = { mw_matcher_conf_fields,
	mw_matcher_conf_check };

const char *
mw_request_header_span(const struct request *r, const char *name, size_t *len)
{
	int i = http_find_name(r->msg, r->buf, name, strlen(name));

	if (i < 0)
		return NULL;
	*len = r->msg->fields[i].value.len;
	return r->buf + r->msg->fields[i].value.off;
}

const char *
mw_request_header(struct request *r, const char *name)
{
	size_t len;
	const char *v = mw_request_header_span(r, name, &len);

	return v != NULL ? arena_strndup(r->arena, v, len) : NULL;
}

#define MW_PATH_MAX 8192 /* as routing's */

const char *
mw_request_path(struct request *r, size_t *len)
{
	char *buf;

	/* Split now: request_init leaves the last request's path in r. */
	buf = arena_alloc(r->arena, MW_PATH_MAX);
	if (request_split_target(r, buf, MW_PATH_MAX) < 0)
		return NULL;
	*len = r->path_len;
	return r->path;
}

void **
mw_state_slot(const struct request *r, const void *inst)
{
	size_t i;

	if (r->chain == NULL || r->mw_state == NULL)
		return NULL;
	for (i = 0; i < r->chain->nmws; i++)
		if (skipper_unwrap(r->chain->mws[i])->inst == inst)
			return &r->mw_state[i];
	for (i = 0; r->handler != NULL && i < r->handler->nmws; i++)
		if (skipper_unwrap(r->handler->mws[i])->inst == inst)
			return &r->mw_state[r->chain->nmws + i];
	return NULL;
}
