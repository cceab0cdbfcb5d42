/* Routing: virtual hosts and handler patterns, then load-balancer matchers. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <fnmatch.h>
#include <stdio.h>
#include <pcre2.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "route.h"

/* One segment of a mounted pattern: literal text or a {name} wildcard. */
struct route_seg {
	int wild;
	char *text; /* literal text or wildcard name (points into path) */
	size_t len;
};

/* How a pattern ends (Go ServeMux): exact, "{$}", or a subtree. */
enum route_end { END_EXACT, END_SLASH, END_SUBTREE };

/* One mounted pattern: host (or any) plus path segments. */
struct route_entry {
	char *host; /* NULL: any host */
	char *path; /* cleaned pattern; segment texts point into it */
	struct route_seg *segs;
	size_t nsegs;
	int end;     /* enum route_end */
	char *multi; /* name of a final {name...}, or NULL */
	conf_methods methods;
	struct conf_proxy *proxy;
	const struct conf_handler *spec; /* the vhost handler it came from */
};

struct route_server {
	const struct conf_server *srv;
	struct route_entry *entries;
	size_t nentries;
	char **vhost_hosts; /* every host named by a vhost: those 404 locally */
	size_t nvhost_hosts;
};

/* A regex compiled by route_build, freed by route_free. */
struct route_regex {
	int type;
	void *re;
};

struct routes {
	struct route_server *servers;
	size_t nservers;
	struct route_regex *regexes;
	size_t nregexes;
	void ***slots; /* per-matcher arrays of compiled patterns */
	size_t nslots;
};

/* Allocate an array of n compiled-pattern slots owned by rt. */
static void **
route_slots(struct routes *rt, size_t n)
{
	void **a = calloc(n, sizeof(void *));

	if (a == NULL)
		fatal("calloc");
	rt->slots = realloc(rt->slots, (rt->nslots + 1) * sizeof(*rt->slots));
	if (rt->slots == NULL)
		fatal("realloc");
	rt->slots[rt->nslots++] = a;
	return a;
}

/*
 * Clean in[0..len) as Go's path.Clean, keeping a trailing slash, into out,
 * which has room for len + 3 bytes; returns the length written (NUL added).
 */
static size_t
route_clean_into(const char *in, size_t len, int keep_slash, char *out)
{
	size_t o = 0, i = 0;

	out[o++] = '/';
	while (i < len) {
		size_t start, seg;

		while (i < len && in[i] == '/')
			i++;
		start = i;
		while (i < len && in[i] != '/')
			i++;
		seg = i - start;
		if (seg == 0 || (seg == 1 && in[start] == '.'))
			continue;
		if (seg == 2 && in[start] == '.' && in[start + 1] == '.') {
			if (o > 1) {
				o--;
				while (o > 1 && out[o - 1] != '/')
					o--;
			}
			continue;
		}
		if (o > 1 && out[o - 1] != '/')
			out[o++] = '/';
		memcpy(out + o, in + start, seg);
		o += seg;
	}
	if (keep_slash && o > 1 && out[o - 1] != '/')
		out[o++] = '/';
	out[o] = '\0';
	return o;
}

/* The same, malloc'd. */
static char *
route_clean(const char *in, int keep_slash)
{
	size_t len = strlen(in);
	char *out = malloc(len + 3);

	if (out == NULL)
		fatal("malloc");
	(void)route_clean_into(in, len, keep_slash, out);
	return out;
}

/*
 * Split a cleaned pattern into segments in place: "{name}" is a wildcard,
 * a final "{name...}" or trailing '/' a subtree, a final "{$}" matches
 * only the trailing slash.  Returns -1 for a malformed wildcard.
 */
static int
route_parse_pattern(struct route_entry *e)
{
	char *p = e->path + 1, *end = e->path + strlen(e->path);

	e->end = END_EXACT;
	if (end > e->path + 1 && end[-1] == '/') {
		e->end = END_SUBTREE;
		*--end = '\0';
	} else if (end == e->path + 1)
		e->end = END_SUBTREE; /* "/" */
	while (p < end) {
		char *q = strchr(p, '/');
		struct route_seg *sg;
		size_t len;

		if (q == NULL)
			q = end;
		*q = '\0';
		len = (size_t)(q - p);
		if (e->multi != NULL || e->end == END_SLASH)
			return -1; /* {name...} and {$} must come last */
		if (p[0] == '{' && len >= 3 && p[len - 1] == '}') {
			p[len - 1] = '\0';
			p++;
			len -= 2;
			if (strcmp(p, "$") == 0) {
				if (q != end)
					return -1;
				e->end = END_SLASH;
				p = q + 1;
				continue;
			}
			if (len > 3 && strcmp(p + len - 3, "...") == 0) {
				p[len - 3] = '\0';
				len -= 3;
				if (q != end || len == 0)
					return -1;
				e->multi = p;
				e->end = END_SUBTREE;
				p = q + 1;
				continue;
			}
			if (strspn(p,
			        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST"
			        "UVWXYZ"
			        "0123456789_") != len ||
			    (p[0] >= '0' && p[0] <= '9'))
				return -1;
			e->segs =
			    realloc(e->segs, (e->nsegs + 1) * sizeof(*e->segs));
			if (e->segs == NULL)
				fatal("realloc");
			sg = &e->segs[e->nsegs++];
			sg->wild = 1;
		} else {
			if (memchr(p, '{', len) != NULL ||
			    memchr(p, '}', len) != NULL)
				return -1;
			e->segs =
			    realloc(e->segs, (e->nsegs + 1) * sizeof(*e->segs));
			if (e->segs == NULL)
				fatal("realloc");
			sg = &e->segs[e->nsegs++];
			sg->wild = 0;
		}
		sg->text = p;
		sg->len = len;
		p = q + 1;
	}
	return 0;
}

/* Append one route entry to rs; -1 (logged) for an invalid pattern. */
static int
route_add(struct route_server *rs, const char *host, const char *path,
    int trailing, conf_methods methods, const struct conf_handler *spec)
{
	struct conf_proxy *proxy = spec->proxy;
	struct route_entry *e;
	int rc;
	char *shown;

	rs->entries =
	    realloc(rs->entries, (rs->nentries + 1) * sizeof(*rs->entries));
	if (rs->entries == NULL)
		fatal("realloc");
	e = &rs->entries[rs->nentries++];
	memset(e, 0, sizeof(*e));
	e->host = host != NULL ? strdup(host) : NULL;
	e->path = route_clean(path, trailing);
	e->methods = methods;
	e->proxy = proxy;
	e->spec = spec;
	if ((shown = strdup(e->path)) == NULL)
		fatal("strdup");
	rc = route_parse_pattern(e);
	if (rc < 0)
		log_error("%s: invalid pattern \"%s\"",
		    proxy->id ? proxy->id : "proxy", shown);
	free(shown);
	return rc;
}

/* Intersect two method sets where 0 means "all". */
static conf_methods
route_methods(conf_methods a, conf_methods b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a & b;
}

char *
route_join_pattern(const char *prefix, const char *pattern)
{
	size_t len = strlen(prefix) + strlen(pattern) + 4;
	char *joined, *c;
	int trailing;

	if ((joined = malloc(len)) == NULL)
		fatal("malloc");
	/* path.Join skips empty elements and cleans. */
	snprintf(joined, len, "%s%s%s", prefix,
	    prefix[0] != '\0' && pattern[0] != '\0' ? "/" : "", pattern);
	if (joined[0] == '\0')
		return joined;
	trailing = pattern[0] != '\0' && pattern[strlen(pattern) - 1] == '/';
	c = route_clean(joined, 0);
	snprintf(joined, len, "%s%s", joined[0] == '/' ? c : c + 1,
	    trailing && strcmp(c, "/") != 0 ? "/" : "");
	free(c);
	return joined;
}

/*
 * Add the routes of one handler in one vhost for each of its hosts, as
 * AILERON's mux.go builds them: p = path.Join(handlerSpec.pattern,
 * pattern) (a trailing '/' of pattern kept), or handlerSpec.pattern when
 * the handler has none; the route is path.Clean("/" + vhost.pattern + p)
 * with a trailing '/' only when p ends with one.  So a virtual host's
 * "pattern: /prefix" mounts the exact path /prefix, not a subtree.
 */
static int
route_add_handler(struct route_server *rs, const struct conf_vhost *vh,
    const struct conf_handler *h)
{
	const struct conf_proxy *p = h->proxy;
	const char *vp = vh->pattern ? vh->pattern : "";
	const char *hp = h->pattern ? h->pattern : "";
	size_t i, j, npat = p->npatterns ? p->npatterns : 1;
	conf_methods m = route_methods(vh->methods, p->methods);
	int rc = 0, trailing;

	for (i = 0; i < npat; i++) {
		char *joined, *path;
		size_t len;

		if (p->npatterns == 0) {
			if ((joined = strdup(hp)) == NULL)
				fatal("strdup");
		} else
			joined = route_join_pattern(hp, p->patterns[i]);
		len = strlen(vp) + strlen(joined) + 2;
		if ((path = malloc(len)) == NULL)
			fatal("malloc");
		trailing =
		    joined[0] != '\0' && joined[strlen(joined) - 1] == '/';
		snprintf(path, len, "/%s%s", vp, joined);
		if (vh->nhosts == 0 &&
		    route_add(rs, NULL, path, trailing, m, h) < 0)
			rc = -1;
		for (j = 0; j < vh->nhosts; j++)
			if (route_add(rs, vh->hosts[j], path, trailing, m, h) <
			    0)
				rc = -1;
		free(joined);
		free(path);
	}
	return rc;
}

/* Compile a pattern if its type is a regex; rt owns the result. -1 on error. */
static int
route_compile_one(struct routes *rt, int type, const char *pattern, void **out)
{
	int errcode;
	PCRE2_SIZE erroff;

	*out = NULL;
	if (type == MATCH_REGEX) {
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern,
		    PCRE2_ZERO_TERMINATED, PCRE2_UTF, &errcode, &erroff, NULL);

		if (re == NULL) {
			log_error("invalid regular expression \"%s\"", pattern);
			return -1;
		}
		*out = re;
	} else if (type == MATCH_REGEX_POSIX) {
		regex_t *re = malloc(sizeof(*re));

		if (re == NULL)
			fatal("malloc");
		if (regcomp(re, pattern, REG_EXTENDED) != 0) {
			free(re);
			log_error(
			    "invalid POSIX regular expression \"%s\"", pattern);
			return -1;
		}
		*out = re;
	}
	if (*out != NULL) {
		rt->regexes = realloc(
		    rt->regexes, (rt->nregexes + 1) * sizeof(*rt->regexes));
		if (rt->regexes == NULL)
			fatal("realloc");
		rt->regexes[rt->nregexes].type = type;
		rt->regexes[rt->nregexes++].re = *out;
	}
	return 0;
}

/* Compile every regex of every load balancer of p; -1 on error. */
static int
route_compile_proxy(struct routes *rt, struct conf_proxy *p)
{
	size_t i, j, k;

	for (i = 0; i < p->nlbs; i++) {
		struct conf_lb *lb = &p->lbs[i];
		struct conf_param_matcher *sets[3] = { lb->header_matchers,
			lb->query_matchers, lb->path_param_matchers };
		size_t nsets[3] = { lb->nheader_matchers, lb->nquery_matchers,
			lb->npath_param_matchers };

		for (j = 0; j < lb->npath_matchers; j++) {
			struct conf_path_matcher *pm = &lb->path_matchers[j];

			if (route_compile_one(rt, pm->match_type,
			        pm->match ? pm->match : "", &pm->compiled) < 0)
				return -1;
		}
		for (k = 0; k < 3; k++) {
			for (j = 0; j < nsets[k]; j++) {
				struct conf_param_matcher *pm = &sets[k][j];
				size_t n;

				if (pm->npatterns == 0)
					continue;
				pm->compiled = route_slots(rt, pm->npatterns);
				for (n = 0; n < pm->npatterns; n++)
					if (route_compile_one(rt,
					        pm->match_type, pm->patterns[n],
					        &pm->compiled[n]) < 0)
						return -1;
			}
		}
	}
	return 0;
}

/* A handler's name for messages. */
static const char *
route_name(const struct conf_proxy *p)
{
	return p->id != NULL ? p->id : "a handler";
}

/* Do a and b match exactly the same requests (Go: a pattern conflict)? */
static int
route_same(const struct route_entry *a, const struct route_entry *b)
{
	size_t i;

	if ((a->host == NULL) != (b->host == NULL) ||
	    (a->host != NULL && strcasecmp(a->host, b->host) != 0) ||
	    a->nsegs != b->nsegs || a->end != b->end)
		return 0;
	for (i = 0; i < a->nsegs; i++)
		if (a->segs[i].wild != b->segs[i].wild ||
		    (!a->segs[i].wild &&
		        (a->segs[i].len != b->segs[i].len ||
		            memcmp(a->segs[i].text, b->segs[i].text,
		                a->segs[i].len) != 0)))
			return 0;
	return 1;
}

/*
 * Two handlers mounted on the same pattern (same host, same segments) is
 * an error, as Go's ServeMux refuses it; -1 after logging.
 */
static int
route_duplicates(const struct route_server *rs)
{
	size_t i, j;
	int rc = 0;

	for (i = 0; i < rs->nentries; i++)
		for (j = 0; j < i; j++)
			if (rs->entries[i].spec != rs->entries[j].spec &&
			    route_same(&rs->entries[i], &rs->entries[j])) {
				log_error("%s: %s and %s are both mounted at "
				          "the same pattern%s%s",
				    rs->srv->id != NULL ? rs->srv->id
				                        : "server",
				    route_name(rs->entries[j].proxy),
				    route_name(rs->entries[i].proxy),
				    rs->entries[i].host != NULL ? " of host "
				                                : "",
				    rs->entries[i].host != NULL
				        ? rs->entries[i].host
				        : "");
				rc = -1;
				break;
			}
	return rc;
}

struct routes *
route_build(struct conf *c)
{
	struct routes *rt = calloc(1, sizeof(*rt));
	size_t i, v, h;
	int bad = 0;

	if (rt == NULL)
		fatal("calloc");
	for (i = 0; i < c->nproxies; i++)
		if (route_compile_proxy(rt, c->proxies[i]) < 0) {
			route_free(rt);
			return NULL;
		}
	rt->servers =
	    calloc(c->nservers ? c->nservers : 1, sizeof(*rt->servers));
	if (rt->servers == NULL)
		fatal("calloc");
	rt->nservers = c->nservers;
	for (i = 0; i < c->nservers; i++) {
		struct route_server *rs = &rt->servers[i];
		const struct conf_server *srv = c->servers[i];

		rs->srv = srv;
		for (v = 0; v < srv->nvhosts; v++) {
			const struct conf_vhost *vh = &srv->vhosts[v];

			for (h = 0; h < vh->nhandlers; h++)
				if (vh->handlers[h].kind ==
				        CONF_HANDLER_PROXY &&
				    route_add_handler(
				        rs, vh, &vh->handlers[h]) < 0)
					bad = 1;
			for (h = 0; h < vh->nhosts; h++) {
				rs->vhost_hosts = realloc(rs->vhost_hosts,
				    (rs->nvhost_hosts + 1) * sizeof(char *));
				if (rs->vhost_hosts == NULL)
					fatal("realloc");
				rs->vhost_hosts[rs->nvhost_hosts++] =
				    vh->hosts[h];
			}
		}
		if (route_duplicates(rs) < 0)
			bad = 1;
	}
	if (bad) {
		route_free(rt);
		return NULL;
	}
	return rt;
}

void
route_free(struct routes *rt)
{
	size_t i, j;

	if (rt == NULL)
		return;
	for (i = 0; i < rt->nservers; i++) {
		struct route_server *rs = &rt->servers[i];

		for (j = 0; j < rs->nentries; j++) {
			free(rs->entries[j].host);
			free(rs->entries[j].path);
			free(rs->entries[j].segs);
		}
		free(rs->entries);
		free(rs->vhost_hosts);
	}
	for (i = 0; i < rt->nregexes; i++) {
		if (rt->regexes[i].type == MATCH_REGEX)
			pcre2_code_free(rt->regexes[i].re);
		else {
			regfree(rt->regexes[i].re);
			free(rt->regexes[i].re);
		}
	}
	free(rt->regexes);
	for (i = 0; i < rt->nslots; i++)
		free(rt->slots[i]);
	free(rt->slots);
	free(rt->servers);
	free(rt);
}

/*
 * Does entry e match path?  On success the wildcard values are stored in
 * params (at most ROUTE_MAX_PARAMS) and their number returned; -1 if not.
 */
static int
route_path_matches(const struct route_entry *e, const char *path, size_t len,
    struct route_param *params)
{
	const char *s = path, *end = path + len;
	size_t i, np = 0;

	for (i = 0; i < e->nsegs; i++) {
		const struct route_seg *sg = &e->segs[i];
		const char *q;

		if (s >= end || *s != '/')
			return -1;
		s++;
		if ((q = memchr(s, '/', (size_t)(end - s))) == NULL)
			q = end;
		if (sg->wild) {
			if (q == s)
				return -1;
			if (np < ROUTE_MAX_PARAMS) {
				params[np].name = sg->text;
				params[np].value = s;
				params[np++].len = (size_t)(q - s);
			}
		} else if ((size_t)(q - s) != sg->len ||
		    memcmp(s, sg->text, sg->len) != 0)
			return -1;
		s = q;
	}
	switch (e->end) {
	case END_EXACT:
		return s == end ? (int)np : -1;
	case END_SLASH:
		return s + 1 == end && *s == '/' ? (int)np : -1;
	default:
		if (s >= end || *s != '/')
			return -1;
		if (e->multi != NULL && np < ROUTE_MAX_PARAMS) {
			params[np].name = e->multi;
			params[np].value = s + 1;
			params[np++].len = (size_t)(end - s - 1);
		}
		return (int)np;
	}
}

/* Number of segments of a clean path ending in '/' ("/a/b/": 2). */
static size_t
route_segments(const char *p, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i + 1 < len; i++)
		if (p[i] == '/')
			n++;
	return n;
}

/*
 * Is a more specific than b (both match the same request)?  Segment by
 * segment a literal beats a wildcard; a pattern with segments left beats
 * a subtree that ended; an exact end beats a subtree.
 */
static int
route_more_specific(const struct route_entry *a, const struct route_entry *b)
{
	size_t i;

	for (i = 0; i < a->nsegs && i < b->nsegs; i++)
		if (a->segs[i].wild != b->segs[i].wild)
			return !a->segs[i].wild;
	if (a->nsegs != b->nsegs)
		return a->nsegs > b->nsegs;
	if (a->end != b->end)
		return a->end != END_SUBTREE;
	return 0;
}

/* Length of the host part of a Host value (port stripped). */
static size_t
route_host_len(const char *host, size_t len)
{
	size_t i;

	if (len > 0 && host[0] == '[') {
		for (i = 0; i < len && host[i] != ']'; i++)
			;
		return i < len ? i + 1 : len;
	}
	for (i = 0; i < len && host[i] != ':'; i++)
		;
	return i;
}

/* Is name (NUL-terminated) equal to host[0..len) ignoring case? */
static int
route_host_eq(const char *name, const char *host, size_t len)
{
	return strlen(name) == len && strncasecmp(name, host, len) == 0;
}

/* The most specific entry of srv matching r (fills r->params), or NULL. */
static const struct route_entry *
route_best(
    const struct routes *rt, const struct conf_server *srv, struct route_req *r)
{
	const struct route_server *rs = NULL;
	const struct route_entry *best = NULL;
	struct route_param params[ROUTE_MAX_PARAMS];
	size_t i, hlen = 0;
	int host_specific = 0, np;

	r->nparams = 0;
	for (i = 0; i < rt->nservers; i++)
		if (rt->servers[i].srv == srv)
			rs = &rt->servers[i];
	if (rs == NULL)
		return NULL;
	if (r->host != NULL)
		hlen = route_host_len(r->host, r->host_len);
	/* A host named by some vhost only sees that host's routes (Go mux). */
	for (i = 0; r->host != NULL && i < rs->nvhost_hosts; i++)
		if (route_host_eq(rs->vhost_hosts[i], r->host, hlen))
			host_specific = 1;
	for (i = 0; i < rs->nentries; i++) {
		const struct route_entry *e = &rs->entries[i];

		if (host_specific != (e->host != NULL))
			continue;
		if (e->host != NULL && !route_host_eq(e->host, r->host, hlen))
			continue;
		if ((np = route_path_matches(e, r->path, r->path_len, params)) <
		    0)
			continue;
		if (best == NULL || route_more_specific(e, best)) {
			best = e;
			memcpy(r->params, params, (size_t)np * sizeof(*params));
			r->nparams = (size_t)np;
		}
	}
	return best;
}

struct conf_proxy *
route_find(
    const struct routes *rt, const struct conf_server *srv, struct route_req *r)
{
	const struct route_entry *best = route_best(rt, srv, r);

	r->spec = NULL;
	if (best == NULL)
		return NULL;
	if (best->methods != 0 && (best->methods & (1u << r->method)) == 0)
		return NULL;
	r->spec = best->spec;
	return best->proxy;
}

int
route_redirect(const struct routes *rt, const struct conf_server *srv,
    const struct route_req *r, char *out, size_t size)
{
	const struct route_entry *e;
	struct route_req t = *r;
	char *clean;
	size_t len;
	int rc = 0, keep;

	if (r->method == HTTP_M_CONNECT || r->path_len == 0 ||
	    memchr(r->path, '\0', r->path_len) != NULL)
		return 0;
	keep = r->path[r->path_len - 1] == '/';
	/* Cleaning adds one byte at most (a leading '/'): room for two more. */
	if (r->path_len + 3 <= size)
		len = route_clean_into(r->path, r->path_len, keep, out);
	else {
		/* Too long to clean in place: it may still shrink to fit. */
		clean = route_clean(r->path, keep);
		len = strlen(clean);
		if (len + 2 > size) {
			free(clean);
			return 0;
		}
		memcpy(out, clean, len + 1);
		free(clean);
	}
	t.path = out;
	t.path_len = len;
	/* "/tree" with only "/tree/" mounted: redirect to "/tree/". */
	e = route_best(rt, srv, &t);
	if ((e == NULL || e->end == END_SUBTREE) && out[len - 1] != '/') {
		out[len] = '/';
		out[len + 1] = '\0';
		t.path_len = len + 1;
		e = route_best(rt, srv, &t);
		if (e != NULL && e->end == END_SUBTREE && e->multi == NULL &&
		    route_segments(out, len + 1) == e->nsegs)
			return 1;
		out[len] = '\0';
	}
	/* A path that is not clean ("//", ".", ".."): to the clean one. */
	if (len != r->path_len || memcmp(out, r->path, len) != 0)
		rc = 1;
	return rc;
}

/* Match value against a regex compiled by route_compile_one. */
static int
route_regex_match(int type, const void *compiled, const char *value, size_t len)
{
	if (type == MATCH_REGEX) {
		pcre2_code *re = (pcre2_code *)(uintptr_t)compiled;
		pcre2_match_data *md = pcre2_match_data_create(1, NULL);
		int rc;

		rc = pcre2_match(re, (PCRE2_SPTR)value, len, 0, 0, md, NULL);
		pcre2_match_data_free(md);
		return rc >= 0;
	} else {
		const regex_t *re = compiled;
		regmatch_t m[1];

		/* value is NUL-terminated at len for every caller. */
		m[0].rm_so = 0;
		m[0].rm_eo = (regoff_t)len;
		return regexec(re, value, 1, m, REG_STARTEND) == 0;
	}
}

int
route_match(int type, const char *pattern, const void *compiled,
    const char *value, size_t len)
{
	size_t plen = strlen(pattern);

	switch (type) {
	case MATCH_EXACT:
		return len == plen && memcmp(value, pattern, len) == 0;
	case MATCH_PREFIX:
		return len >= plen && memcmp(value, pattern, plen) == 0;
	case MATCH_SUFFIX:
		return len >= plen &&
		    memcmp(value + len - plen, pattern, plen) == 0;
	case MATCH_CONTAINS:
		return plen == 0 || memmem(value, len, pattern, plen) != NULL;
	case MATCH_PATH:
	case MATCH_FILEPATH:
		return fnmatch(pattern, value, FNM_PATHNAME) == 0;
	case MATCH_REGEX:
	case MATCH_REGEX_POSIX:
		if (compiled == NULL)
			return 0;
		return route_regex_match(type, compiled, value, len);
	}
	return 0;
}

/* Append n bytes to out at *o if they fit; -1 otherwise. */
static int
route_put(char *out, size_t size, size_t *o, const char *s, size_t n)
{
	if (*o + n >= size)
		return -1;
	memcpy(out + *o, s, n);
	*o += n;
	return 0;
}

/* Expand a Go Regexp.Expand template for one PCRE2 match. */
static int
route_expand(const pcre2_code *re, const char *tmpl, const char *subject,
    const PCRE2_SIZE *ov, int nmatch, char *out, size_t size, size_t *o)
{
	size_t i = 0, tl = strlen(tmpl);

	while (i < tl) {
		char name[64];
		size_t nl = 0;
		int group = -1, braced = 0;

		if (tmpl[i] != '$') {
			if (route_put(out, size, o, tmpl + i, 1) < 0)
				return -1;
			i++;
			continue;
		}
		i++;
		if (i < tl && tmpl[i] == '$') {
			if (route_put(out, size, o, "$", 1) < 0)
				return -1;
			i++;
			continue;
		}
		if (i < tl && tmpl[i] == '{') {
			braced = 1;
			i++;
		}
		while (i < tl && nl < sizeof(name) - 1 &&
		    (tmpl[i] == '_' || (tmpl[i] >= '0' && tmpl[i] <= '9') ||
		        (tmpl[i] >= 'a' && tmpl[i] <= 'z') ||
		        (tmpl[i] >= 'A' && tmpl[i] <= 'Z')))
			name[nl++] = tmpl[i++];
		name[nl] = '\0';
		if (braced) {
			if (i >= tl || tmpl[i] != '}' || nl == 0) {
				/* Not a valid reference: copy literally. */
				if (route_put(out, size, o, "${", 2) < 0 ||
				    route_put(out, size, o, name, nl) < 0)
					return -1;
				continue;
			}
			i++;
		} else if (nl == 0) {
			if (route_put(out, size, o, "$", 1) < 0)
				return -1;
			continue;
		}
		if (strspn(name, "0123456789") == nl)
			group = atoi(name);
		else
			group = pcre2_substring_number_from_name(
			    re, (PCRE2_SPTR)name);
		if (group >= 0 && group < nmatch &&
		    ov[2 * group] != PCRE2_UNSET &&
		    route_put(out, size, o, subject + ov[2 * group],
		        ov[2 * group + 1] - ov[2 * group]) < 0)
			return -1;
	}
	return 0;
}

int
route_expand_go(const void *re, const char *tmpl, const char *subject,
    const size_t *ov, int nmatch, char *out, size_t size, size_t *o)
{
	return route_expand((const pcre2_code *)re, tmpl, subject,
	    (const PCRE2_SIZE *)ov, nmatch, out, size, o);
}

/* Rewrite path with a PCRE2 regex: concatenate the expansions of every match. */
static int
route_rewrite_pcre(const pcre2_code *re, const char *tmpl, const char *path,
    size_t len, char *out, size_t size, size_t *o)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	PCRE2_SIZE start = 0;
	int rc, ret = 0;

	while (start <= len) {
		PCRE2_SIZE *ov;

		rc = pcre2_match(re, (PCRE2_SPTR)path, len, start, 0, md, NULL);
		if (rc < 0)
			break;
		ov = pcre2_get_ovector_pointer(md);
		if (route_expand(re, tmpl, path, ov, rc, out, size, o) < 0) {
			ret = -1;
			break;
		}
		start = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
	}
	pcre2_match_data_free(md);
	return ret;
}

/* Rewrite path with a POSIX regex: numeric groups only. */
static int
route_rewrite_posix(const regex_t *re, const char *tmpl, const char *path,
    size_t len, char *out, size_t size, size_t *o)
{
	regmatch_t m[10];
	size_t start = 0;

	while (start <= len) {
		size_t i = 0, tl = strlen(tmpl);

		m[0].rm_so = (regoff_t)start;
		m[0].rm_eo = (regoff_t)len;
		if (regexec(re, path, 10, m, REG_STARTEND) != 0)
			break;
		while (i < tl) {
			if (tmpl[i] == '$' && i + 1 < tl &&
			    tmpl[i + 1] == '$') {
				if (route_put(out, size, o, "$", 1) < 0)
					return -1;
				i += 2;
			} else if (tmpl[i] == '$' && i + 1 < tl &&
			    tmpl[i + 1] >= '0' && tmpl[i + 1] <= '9') {
				int g = tmpl[i + 1] - '0';

				if (m[g].rm_so >= 0 &&
				    route_put(out, size, o, path + m[g].rm_so,
				        (size_t)(m[g].rm_eo - m[g].rm_so)) < 0)
					return -1;
				i += 2;
			} else {
				if (route_put(out, size, o, tmpl + i, 1) < 0)
					return -1;
				i++;
			}
		}
		start = m[0].rm_eo > m[0].rm_so ? (size_t)m[0].rm_eo
		                                : (size_t)m[0].rm_eo + 1;
	}
	return 0;
}

/* Try one path matcher; on match write the upstream path to out. */
static int
route_path_matcher(const struct conf_path_matcher *pm, const char *path,
    size_t len, char *out, size_t size)
{
	size_t tl = pm->trim_prefix ? strlen(pm->trim_prefix) : 0, o = 0;
	const char *t = path;
	size_t tlen = len;
	char tbuf[8192];
	int rc = 0;

	if (tl > 0 && len >= tl && memcmp(path, pm->trim_prefix, tl) == 0) {
		t = path + tl;
		tlen = len - tl;
	}
	/* Matchers need a NUL-terminated subject. */
	if (t[tlen] != '\0') {
		if (tlen >= sizeof(tbuf))
			return 0;
		memcpy(tbuf, t, tlen);
		tbuf[tlen] = '\0';
		t = tbuf;
	}
	if (!route_match(pm->match_type, pm->match ? pm->match : "",
	        pm->compiled, t, tlen))
		return 0;
	if (pm->append_prefix != NULL &&
	    route_put(out, size, &o, pm->append_prefix,
	        strlen(pm->append_prefix)) < 0)
		return 0;
	if (pm->rewrite != NULL && pm->rewrite[0] != '\0' &&
	    pm->match_type == MATCH_REGEX)
		rc = route_rewrite_pcre(
		    pm->compiled, pm->rewrite, t, tlen, out, size, &o);
	else if (pm->rewrite != NULL && pm->rewrite[0] != '\0' &&
	    pm->match_type == MATCH_REGEX_POSIX)
		rc = route_rewrite_posix(
		    pm->compiled, pm->rewrite, t, tlen, out, size, &o);
	else
		rc = route_put(out, size, &o, t, tlen);
	if (rc < 0)
		return 0;
	out[o] = '\0';
	return 1;
}

#define ROUTE_VALUE_MAX 16384

/* Append s[0..n) to the value being joined in buf; 0 if it does not fit. */
static int
route_join(char *buf, size_t size, size_t *o, const char *s, size_t n)
{
	if (*o + n + 1 > size)
		return 0;
	memcpy(buf + *o, s, n);
	*o += n;
	buf[*o] = '\0';
	return 1;
}

/*
 * Decode a query component as Go's QueryUnescape ('+' is a space) into
 * out; returns the length or -1 for a bad escape or no room.
 */
static int
route_query_unescape(const char *in, size_t len, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		int c = (unsigned char)in[i];

		if (c == '+')
			c = ' ';
		else if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return -1;
			hi = http_hexval((unsigned char)in[i + 1]);
			lo = http_hexval((unsigned char)in[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
			/* The decoded path is a C string: no NUL in it. */
			if (c == 0)
				return -1;
		}
		if (o + 1 >= size)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (int)o;
}

/*
 * Values of query key in raw (Go's url.ParseQuery: '&'-separated pairs,
 * pairs with ';' or bad escapes dropped), decoded.  With first set only
 * the first value, else all joined with ','.  Returns 1 when the key is
 * present (value in buf), 0 when missing.
 */
static int
route_query_value(const char *raw, size_t rawlen, const char *key, int first,
    char *buf, size_t size, size_t *len)
{
	char k[1024], v[ROUTE_VALUE_MAX];
	size_t i = 0, o = 0;
	int found = 0;

	buf[0] = '\0';
	while (raw != NULL && i < rawlen) {
		size_t j = i, eq;
		int kl, vl;

		while (j < rawlen && raw[j] != '&')
			j++;
		for (eq = i; eq < j && raw[eq] != '='; eq++)
			;
		if (j > i && memchr(raw + i, ';', j - i) == NULL &&
		    (kl = route_query_unescape(
		         raw + i, eq - i, k, sizeof(k))) >= 0 &&
		    strcmp(k, key) == 0 &&
		    (vl = route_query_unescape(raw + (eq < j ? eq + 1 : j),
		         eq < j ? j - eq - 1 : 0, v, sizeof(v))) >= 0) {
			if ((found && !route_join(buf, size, &o, ",", 1)) ||
			    !route_join(buf, size, &o, v, (size_t)vl))
				return 0;
			found = 1;
			if (first)
				break;
		}
		i = j + 1;
	}
	*len = o;
	return found;
}

/*
 * Values of header name in r: with first set only the first line's value,
 * else all lines joined with ','.  Returns 1 when present, 0 when missing.
 */
static int
route_header_value(const struct route_req *r, const char *name, int first,
    char *buf, size_t size, size_t *len)
{
	size_t o = 0, nl = strlen(name);
	uint32_t i;
	int found = 0;

	buf[0] = '\0';
	for (i = 0; r->msg != NULL && i < r->msg->nfields; i++) {
		const struct http_field *f = &r->msg->fields[i];

		if (f->name.len != nl ||
		    strncasecmp(r->buf + f->name.off, name, nl) != 0)
			continue;
		if ((found && !route_join(buf, size, &o, ",", 1)) ||
		    !route_join(
		        buf, size, &o, r->buf + f->value.off, f->value.len))
			return 0;
		found = 1;
		if (first)
			break;
	}
	*len = o;
	return found;
}

/* Value of path wildcard name in r (1), or 0 when missing. */
static int
route_param_value(const struct route_req *r, const char *name, char *buf,
    size_t size, size_t *len)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].name, name) == 0) {
			if (!route_join(buf, size, &o, r->params[i].value,
			        r->params[i].len))
				return 0;
			*len = o;
			return 1;
		}
	*len = 0;
	return 0;
}

/*
 * Value of a Cookie named name (Go's Request.Cookie: the first one, with
 * surrounding double quotes removed).  1 when present, 0 when missing.
 */
static int
route_cookie_value(const struct route_req *r, const char *name, char *buf,
    size_t size, size_t *len)
{
	size_t nl = strlen(name);
	uint32_t i;

	buf[0] = '\0';
	*len = 0;
	for (i = 0; r->msg != NULL && i < r->msg->nfields; i++) {
		const struct http_field *f = &r->msg->fields[i];
		const char *v = r->buf + f->value.off, *e = v + f->value.len;

		if (f->name.len != 6 ||
		    strncasecmp(r->buf + f->name.off, "Cookie", 6) != 0)
			continue;
		while (v < e) {
			const char *semi = memchr(v, ';', (size_t)(e - v));
			const char *pe = semi != NULL ? semi : e, *eq;
			size_t o = 0;

			while (v < pe && (*v == ' ' || *v == '\t'))
				v++;
			eq = memchr(v, '=', (size_t)(pe - v));
			if (eq != NULL && (size_t)(eq - v) == nl &&
			    memcmp(v, name, nl) == 0) {
				const char *vs = eq + 1, *ve = pe;

				while (ve > vs &&
				    (ve[-1] == ' ' || ve[-1] == '\t'))
					ve--;
				if (ve - vs >= 2 && vs[0] == '"' &&
				    ve[-1] == '"') {
					vs++;
					ve--;
				}
				if (!route_join(
				        buf, size, &o, vs, (size_t)(ve - vs)))
					return 0;
				*len = o;
				return 1;
			}
			v = pe + 1;
		}
	}
	return 0;
}

/*
 * Do all of the parameter matchers pass (AND across matchers, OR across
 * a matcher's patterns)?  A missing key or a matcher without patterns
 * fails.
 */
static int
route_params_match(const struct conf_param_matcher *pms, size_t n,
    const struct route_req *r, int source)
{
	static char buf[ROUTE_VALUE_MAX];
	size_t i, k, len = 0;
	int found;

	for (i = 0; i < n; i++) {
		const struct conf_param_matcher *pm = &pms[i];
		int ok = 0;

		if (source == HASH_HEADER)
			found = route_header_value(
			    r, pm->key, 0, buf, sizeof(buf), &len);
		else if (source == HASH_QUERY)
			found = route_query_value(r->query, r->query_len,
			    pm->key, 0, buf, sizeof(buf), &len);
		else
			found = route_param_value(
			    r, pm->key, buf, sizeof(buf), &len);
		if (!found || (source == HASH_PATH_PARAM && len == 0))
			return 0;
		for (k = 0; k < pm->npatterns && !ok; k++)
			ok = route_match(pm->match_type, pm->patterns[k],
			    pm->compiled != NULL ? pm->compiled[k] : NULL, buf,
			    len);
		if (!ok)
			return 0;
	}
	return 1;
}

const char *
route_hash_key(const struct conf_lb *lb, const struct route_req *r,
    const char *client, char *buf, size_t size, size_t *len)
{
	const char *key = lb->hash_key != NULL ? lb->hash_key : "";

	*len = 0;
	if (size == 0)
		return "";
	buf[0] = '\0';
	switch (lb->hash_source) {
	case HASH_HEADER:
		(void)route_header_value(r, key, 1, buf, size, len);
		return buf;
	case HASH_COOKIE:
		(void)route_cookie_value(r, key, buf, size, len);
		return buf;
	case HASH_QUERY:
		(void)route_query_value(
		    r->query, r->query_len, key, 1, buf, size, len);
		return buf;
	case HASH_PATH_PARAM:
		(void)route_param_value(r, key, buf, size, len);
		return buf;
	default:
		*len = strlen(client);
		return client;
	}
}

struct conf_lb *
route_select_lb(const struct conf_proxy *p, const struct route_req *r,
    char *out, size_t outsize)
{
	size_t i, j, k;

	for (i = 0; i < p->nlbs; i++) {
		const struct conf_lb *lb = &p->lbs[i];
		int ok = 0;

		if (lb->methods != 0 && (lb->methods & (1u << r->method)) == 0)
			continue;
		if (lb->nhosts > 0) {
			for (k = 0; k < lb->nhosts; k++)
				if (r->host != NULL &&
				    strlen(lb->hosts[k]) == r->host_len &&
				    memcmp(lb->hosts[k], r->host,
				        r->host_len) == 0)
					ok = 1;
			if (!ok)
				continue;
		}
		if (!route_params_match(lb->header_matchers,
		        lb->nheader_matchers, r, HASH_HEADER) ||
		    !route_params_match(lb->query_matchers, lb->nquery_matchers,
		        r, HASH_QUERY) ||
		    !route_params_match(lb->path_param_matchers,
		        lb->npath_param_matchers, r, HASH_PATH_PARAM))
			continue;
		for (j = 0; j < lb->npath_matchers; j++)
			if (route_path_matcher(&lb->path_matchers[j], r->path,
			        r->path_len, out, outsize))
				return (struct conf_lb *)(uintptr_t)lb;
	}
	return NULL;
}

int
route_decode_path(const char *in, size_t len, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		int c = (unsigned char)in[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return -1;
			hi = http_hexval((unsigned char)in[i + 1]);
			lo = http_hexval((unsigned char)in[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
			/* The decoded path is a C string: no NUL in it. */
			if (c == 0)
				return -1;
		}
		if (o + 1 >= size)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (int)o;
}

/* Does Go's path encoding keep byte c as is? */
static int
route_path_keeps(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return strchr("-_.~$&+,/:;=@", c) != NULL && c != '\0';
}

int
route_encode_path(const char *in, size_t len, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (route_path_keeps(c)) {
			if (o + 1 >= size)
				return -1;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= size)
				return -1;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return (int)o;
}
