/* Metrics and status: the scoreboard as Prometheus text or a mod_status-like page. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "conf.h"
#include "log.h"
#include "scoreboard.h"
#include "status.h"

/* A growable text buffer. */
struct st_buf {
	char *p;
	size_t len;
	size_t cap;
};

static void st_printf(struct st_buf *b, const char *fmt, ...) LOG_PRINTF(2, 3);

static void
st_printf(struct st_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		b->cap = b->cap * 2 + (size_t)n;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			fatal("realloc");
	}
}

/* One Prometheus metric family with a single sample. */
static void
st_metric(struct st_buf *b, const char *name, const char *type,
    const char *help, unsigned long long v)
{
	st_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name,
	    type, name, v);
}

/* Workers per state over the slots in use; the total is returned. */
static unsigned
st_count_states(unsigned counts[SB_NSTATES])
{
	struct sb_worker w;
	unsigned total = 0;
	size_t i;

	memset(counts, 0, SB_NSTATES * sizeof(counts[0]));
	for (i = 0; i < scoreboard_nslots(); i++) {
		if (scoreboard_read_slot(i, &w) < 0 || w.state <= SB_FREE ||
		    w.state >= SB_NSTATES)
			continue;
		counts[w.state]++;
		total++;
	}
	return total;
}

/*
 * A Prometheus label value into dst (2 * SB_UPSTREAM_URL bytes):
 * backslash, double quote and newline escaped.
 */
static void
st_label(char *dst, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n')
			*dst++ = '\\';
		*dst++ = *s == '\n' ? 'n' : *s;
	}
	*dst = '\0';
}

/*
 * The samples of histogram h of family name, labels (escaped,
 * 'upstream="..."') or "" for none.
 */
static void
st_histogram(struct st_buf *b, const char *name, const char *labels,
    const struct sb_histogram *h)
{
	const char *open = *labels != '\0' ? "{" : "";
	const char *close = *labels != '\0' ? "}" : "";
	const char *comma = *labels != '\0' ? "," : "";
	int64_t us;
	size_t i;

	for (i = 0; i < SB_BUCKETS; i++) {
		if ((us = scoreboard_bucket_us(i)) < 0)
			st_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name,
			    labels, comma, (unsigned long long)h->bucket[i]);
		else
			st_printf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name,
			    labels, comma, (double)us / 1e6,
			    (unsigned long long)h->bucket[i]);
	}
	st_printf(b, "%s_sum%s%s%s %llu.%06llu\n", name, open, labels, close,
	    (unsigned long long)(h->sum_us / 1000000),
	    (unsigned long long)(h->sum_us % 1000000));
	st_printf(b, "%s_count%s%s%s %llu\n", name, open, labels, close,
	    (unsigned long long)h->bucket[SB_BUCKETS - 1]);
}

/*
 * Per-upstream families; the unlabelled samples of errors and latency
 * are the totals over all upstreams.
 */
static void
st_prometheus_upstreams(struct st_buf *b, const struct sb_counters *c)
{
	static const char *const classes[] = { "1xx", "2xx", "3xx", "4xx",
		"5xx" };
	char label[2 * SB_UPSTREAM_URL + 16], esc[2 * SB_UPSTREAM_URL];
	struct sb_upstream u;
	struct sb_histogram h;
	size_t i;
	int s;

	st_printf(b,
	    "# HELP aileron_upstream_requests_total Responses from each "
	    "upstream by status class.\n"
	    "# TYPE aileron_upstream_requests_total counter\n");
	for (i = 0; i <= SB_UPSTREAMS; i++) {
		if (scoreboard_read_upstream(i, &u) < 0)
			continue;
		st_label(esc, u.url);
		for (s = 0; s < 5; s++)
			st_printf(b,
			    "aileron_upstream_requests_total{upstream=\"%s\","
			    "code=\"%s\"} %llu\n",
			    esc, classes[s], (unsigned long long)u.status[s]);
	}
	st_printf(b,
	    "# HELP aileron_upstream_errors_total Upstream connect failures, "
	    "timeouts and invalid responses; without a label, of all.\n"
	    "# TYPE aileron_upstream_errors_total counter\n"
	    "aileron_upstream_errors_total %llu\n",
	    (unsigned long long)c->upstream_errors);
	for (i = 0; i <= SB_UPSTREAMS; i++) {
		if (scoreboard_read_upstream(i, &u) < 0)
			continue;
		st_label(esc, u.url);
		st_printf(b,
		    "aileron_upstream_errors_total{upstream=\"%s\"} %llu\n",
		    esc, (unsigned long long)u.errors);
	}
	st_printf(b,
	    "# HELP aileron_upstream_response_seconds Time to the upstream's "
	    "response head; without a label, of all.\n"
	    "# TYPE aileron_upstream_response_seconds histogram\n");
	scoreboard_read_latency(&h);
	st_histogram(b, "aileron_upstream_response_seconds", "", &h);
	for (i = 0; i <= SB_UPSTREAMS; i++) {
		if (scoreboard_read_upstream(i, &u) < 0)
			continue;
		st_label(esc, u.url);
		snprintf(label, sizeof(label), "upstream=\"%s\"", esc);
		st_histogram(
		    b, "aileron_upstream_response_seconds", label, &u.latency);
	}
}

/* Prometheus text exposition format, version 0.0.4. */
static void
st_prometheus(struct st_buf *b)
{
	static const char *const classes[] = { "1xx", "2xx", "3xx", "4xx",
		"5xx" };
	struct sb_counters c;
	unsigned counts[SB_NSTATES];
	int s;

	scoreboard_read_counters(&c);
	st_count_states(counts);
	st_metric(b, "aileron_connections_total", "counter",
	    "Client connections accepted.", (unsigned long long)c.accepted);
	st_metric(b, "aileron_requests_total", "counter",
	    "Requests read from clients.", (unsigned long long)c.requests);
	st_metric(b, "aileron_handoffs_total", "counter",
	    "Requests on parked connections that a busy worker passed to an "
	    "idle one.",
	    (unsigned long long)c.handoffs);
	st_metric(b, "aileron_waiting_requests", "gauge",
	    "Passed requests no worker has taken yet (the pool grows on them).",
	    (unsigned long long)c.waiting);
	st_printf(b,
	    "# HELP aileron_responses_total Responses by status class.\n"
	    "# TYPE aileron_responses_total counter\n");
	for (s = 0; s < 5; s++)
		st_printf(b, "aileron_responses_total{class=\"%s\"} %llu\n",
		    classes[s], (unsigned long long)c.status[s]);
	st_metric(b, "aileron_received_bytes_total", "counter",
	    "Bytes received from clients (counted when connections close).",
	    (unsigned long long)c.bytes_in);
	st_metric(b, "aileron_sent_bytes_total", "counter",
	    "Bytes sent to clients (counted when connections close).",
	    (unsigned long long)c.bytes_out);
	st_metric(b, "aileron_reloads_total", "counter",
	    "Successful configuration reloads.", (unsigned long long)c.reloads);
	st_metric(b, "aileron_config_generation", "gauge",
	    "Generation of the running configuration.",
	    (unsigned long long)c.generation);
	st_printf(b,
	    "# HELP aileron_start_time_seconds When the master started, "
	    "seconds since the epoch.\n"
	    "# TYPE aileron_start_time_seconds gauge\n"
	    "aileron_start_time_seconds %lld.%03lld\n",
	    (long long)(c.started / 1000), (long long)(c.started % 1000));
	st_printf(b,
	    "# HELP aileron_workers Worker processes by state.\n"
	    "# TYPE aileron_workers gauge\n");
	for (s = SB_FREE + 1; s < SB_NSTATES; s++)
		st_printf(b, "aileron_workers{state=\"%s\"} %u\n",
		    scoreboard_state_name(s), counts[s]);
	st_prometheus_upstreams(b, &c);
}

/* Apache's one-letter scoreboard key of a state. */
static char
st_letter(int state)
{
	static const char letters[SB_NSTATES] = { '.', 'S', '_', 'R', 'P', 'W',
		'C', 'G' };

	return state >= 0 && state < SB_NSTATES ? letters[state] : '?';
}

/* Seconds since ms (ms since the epoch) as "1d 2h 3m 4s". */
static void
st_duration(struct st_buf *b, long long s)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		st_printf(b, "%lldd ", s / 86400);
	if (s >= 3600)
		st_printf(b, "%lldh ", s / 3600 % 24);
	if (s >= 60)
		st_printf(b, "%lldm ", s / 60 % 60);
	st_printf(b, "%llds", s % 60);
}

/* The machine-readable page (?auto), as Apache's mod_status has one. */
static void
st_auto(struct st_buf *b, const struct sb_counters *c, long long now_ms,
    const unsigned counts[SB_NSTATES], unsigned total)
{
	unsigned busy = total - counts[SB_IDLE] - counts[SB_STARTING];
	int s;

	st_printf(b, "ServerVersion: aileron %s\n", PACKAGE_VERSION);
	st_printf(b, "Uptime: %lld\n", (now_ms - c->started) / 1000);
	st_printf(b, "Generation: %llu\nReloads: %llu\n",
	    (unsigned long long)c->generation, (unsigned long long)c->reloads);
	st_printf(b, "TotalConnections: %llu\nTotalRequests: %llu\n",
	    (unsigned long long)c->accepted, (unsigned long long)c->requests);
	for (s = 0; s < 5; s++)
		st_printf(b, "Responses%dxx: %llu\n", s + 1,
		    (unsigned long long)c->status[s]);
	st_printf(b, "UpstreamErrors: %llu\n",
	    (unsigned long long)c->upstream_errors);
	st_printf(b, "HandOffs: %llu\nWaitingRequests: %llu\n",
	    (unsigned long long)c->handoffs, (unsigned long long)c->waiting);
	st_printf(b, "BytesIn: %llu\nBytesOut: %llu\n",
	    (unsigned long long)c->bytes_in, (unsigned long long)c->bytes_out);
	st_printf(b, "Workers: %u\nBusyWorkers: %u\nIdleWorkers: %u\n", total,
	    busy, counts[SB_IDLE]);
}

/* One line per upstream: responses by class, errors, mean latency. */
static void
st_page_upstreams(struct st_buf *b)
{
	struct sb_upstream u;
	unsigned long long n;
	size_t i;
	int any = 0;

	for (i = 0; i <= SB_UPSTREAMS; i++) {
		if (scoreboard_read_upstream(i, &u) < 0)
			continue;
		if (!any)
			st_printf(b, "%-30s %8s %8s %8s %8s %8s %8s %9s\n",
			    "Upstream", "1xx", "2xx", "3xx", "4xx", "5xx",
			    "Errors", "Mean(ms)");
		any = 1;
		n = (unsigned long long)u.latency.bucket[SB_BUCKETS - 1];
		st_printf(b,
		    "%-30s %8llu %8llu %8llu %8llu %8llu %8llu %9.1f\n", u.url,
		    (unsigned long long)u.status[0],
		    (unsigned long long)u.status[1],
		    (unsigned long long)u.status[2],
		    (unsigned long long)u.status[3],
		    (unsigned long long)u.status[4],
		    (unsigned long long)u.errors,
		    n > 0 ? (double)u.latency.sum_us / (double)n / 1000.0
		          : 0.0);
	}
	if (any)
		st_printf(b, "\n");
}

/* The human page: counters, then one line per worker. */
static void
st_page(struct st_buf *b, int autofmt)
{
	struct sb_counters c;
	struct sb_worker w;
	unsigned counts[SB_NSTATES], total;
	struct timespec ts;
	long long now_ms;
	char when[64];
	time_t t;
	size_t i;

	clock_gettime(CLOCK_REALTIME, &ts);
	now_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	scoreboard_read_counters(&c);
	total = st_count_states(counts);
	if (autofmt) {
		st_auto(b, &c, now_ms, counts, total);
		return;
	}
	t = (time_t)(c.started / 1000);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", localtime(&t));
	st_printf(b, "aileron %s status\n\n", PACKAGE_VERSION);
	st_printf(b, "Started %s, up ", when);
	st_duration(b, (now_ms - c.started) / 1000);
	st_printf(b, "\nConfiguration generation %llu, %llu reloads\n\n",
	    (unsigned long long)c.generation, (unsigned long long)c.reloads);
	st_printf(b,
	    "%llu connections, %llu requests, %llu bytes in, %llu bytes "
	    "out\n",
	    (unsigned long long)c.accepted, (unsigned long long)c.requests,
	    (unsigned long long)c.bytes_in, (unsigned long long)c.bytes_out);
	st_printf(b,
	    "Responses: 1xx %llu, 2xx %llu, 3xx %llu, 4xx %llu, 5xx %llu\n",
	    (unsigned long long)c.status[0], (unsigned long long)c.status[1],
	    (unsigned long long)c.status[2], (unsigned long long)c.status[3],
	    (unsigned long long)c.status[4]);
	st_printf(b, "Upstream errors: %llu\n",
	    (unsigned long long)c.upstream_errors);
	st_printf(b, "Requests handed to idle workers: %llu, waiting: %llu\n\n",
	    (unsigned long long)c.handoffs, (unsigned long long)c.waiting);
	st_page_upstreams(b);
	st_printf(b, "%u workers: %u busy, %u idle\n\n", total,
	    total - counts[SB_IDLE] - counts[SB_STARTING], counts[SB_IDLE]);
	for (i = 0; i < scoreboard_nslots(); i++)
		if (scoreboard_read_slot(i, &w) == 0 && w.state > SB_FREE)
			st_printf(b, "%c", st_letter(w.state));
	st_printf(b,
	    "\n\nKey: \"S\" starting, \"_\" idle, \"R\" reading, \"P\" "
	    "proxying, \"W\" writing,\n     \"C\" closing, \"G\" stopping "
	    "(gracefully)\n\n");
	st_printf(b, "%-8s %-4s %-9s %9s %8s  %-22s %s\n", "PID", "Gen",
	    "State", "Requests", "For(s)", "Client", "Request");
	for (i = 0; i < scoreboard_nslots(); i++) {
		if (scoreboard_read_slot(i, &w) < 0 || w.state <= SB_FREE)
			continue;
		st_printf(b, "%-8d %-4u %-9s %9llu %8.1f  %-22s %s\n",
		    (int)w.pid, (unsigned)w.generation,
		    scoreboard_state_name(w.state),
		    (unsigned long long)w.requests,
		    (double)(now_ms - w.changed) / 1000.0, w.client, w.request);
	}
}

char *
status_render(
    int kind, const char *query, size_t qlen, size_t *len, const char **ctype)
{
	struct st_buf b;

	b.cap = 4096;
	b.len = 0;
	if ((b.p = malloc(b.cap)) == NULL)
		fatal("malloc");
	b.p[0] = '\0';
	if (kind == CONF_PROXY_METRICS) {
		st_prometheus(&b);
		*ctype = "text/plain; version=0.0.4; charset=utf-8";
	} else {
		st_page(&b,
		    query != NULL && qlen >= 4 &&
		        strncmp(query, "auto", 4) == 0);
		*ctype = "text/plain; charset=utf-8";
	}
	*len = b.len;
	return b.p;
}
