/* PrometheusMeter's API-call counters, one set per config object, for all workers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "prommeter.h"
#include "promvec.h"
#include "shm.h"

struct prommeter {
	const void *key;
	unsigned refs;
	struct promvec *server;  /* http_requests_total */
	struct promvec *client;  /* http_client_requests_total */
	struct promvec *scrapes; /* promhttp_metric_handler_requests_total */
	int64_t *in_flight;      /* shared: scrapes being answered */
	struct prommeter *next;
};

/* The master's meters, by key (few: one per PrometheusMeter object). */
static struct prommeter *prommeters;

static const char *const pm_labels[] = { "host", "path", "code", "method" };
static const char *const pm_code[] = { "code" };

/* Add n to the series of status in a family labelled by code only. */
static void
pm_code_add(struct promvec *v, int status, uint64_t n)
{
	char code[16];
	struct promvec_val val = { code, 0 };

	val.len = (size_t)snprintf(code, sizeof(code), "%d", status);
	promvec_add(v, &val, n);
}

struct prommeter *
prommeter_get(const void *key)
{
	struct prommeter *m;

	for (m = prommeters; m != NULL; m = m->next)
		if (m->key == key) {
			m->refs++;
			return m;
		}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		log_warn("calloc");
		return NULL;
	}
	m->key = key;
	m->refs = 1;
	m->server = promvec_new(pm_labels, 4, PROMMETER_SERIES);
	m->client = promvec_new(pm_labels, 4, PROMMETER_SERIES);
	m->scrapes = promvec_new(pm_code, 1, 64);
	m->in_flight = shm_map(sizeof(*m->in_flight));
	if (m->server == NULL || m->client == NULL || m->scrapes == NULL ||
	    m->in_flight == NULL) {
		m->next = NULL;
		prommeter_put(m);
		return NULL;
	}
	/* client_golang shows these three from the start */
	pm_code_add(m->scrapes, 200, 0);
	pm_code_add(m->scrapes, 500, 0);
	pm_code_add(m->scrapes, 503, 0);
	m->next = prommeters;
	prommeters = m;
	return m;
}

void
prommeter_put(struct prommeter *m)
{
	struct prommeter **p;

	if (m == NULL || --m->refs > 0)
		return;
	for (p = &prommeters; *p != NULL; p = &(*p)->next)
		if (*p == m) {
			*p = m->next;
			break;
		}
	promvec_free(m->server);
	promvec_free(m->client);
	promvec_free(m->scrapes);
	shm_unmap(m->in_flight, sizeof(*m->in_flight));
	free(m);
}

/* Count one in v with AILERON's four labels. */
static void
pm_count(struct promvec *v, const char *host, size_t hlen, const char *path,
    size_t plen, int status, const char *method, size_t mlen)
{
	char code[16];
	struct promvec_val vals[4] = { { host, hlen }, { path, plen },
		{ code, 0 }, { method, mlen } };

	vals[2].len = (size_t)snprintf(code, sizeof(code), "%d", status);
	promvec_add(v, vals, 1);
}

void
prommeter_count_request(struct prommeter *m, const char *host, size_t hlen,
    const char *path, size_t plen, int status, const char *method, size_t mlen)
{
	pm_count(m->server, host, hlen, path, plen, status, method, mlen);
}

void
prommeter_count_client(struct prommeter *m, const char *host, size_t hlen,
    const char *path, size_t plen, int status, const char *method, size_t mlen)
{
	pm_count(m->client, host, hlen, path, plen, status, method, mlen);
}

void
prommeter_scrape_begin(struct prommeter *m)
{
	__atomic_add_fetch(m->in_flight, 1, __ATOMIC_RELAXED);
}

void
prommeter_scrape_end(struct prommeter *m, int status)
{
	pm_code_add(m->scrapes, status, 1);
	__atomic_sub_fetch(m->in_flight, 1, __ATOMIC_RELAXED);
}

int
prommeter_write(struct prommeter *m, FILE *f)
{
	uint64_t dropped;

	if (promvec_write(m->client, f, "http_client_requests_total",
	        "Total number of sent http requests") == -1 ||
	    promvec_write(m->server, f, "http_requests_total",
	        "Total number of received http requests") == -1)
		return -1;
	fprintf(f,
	    "# HELP promhttp_metric_handler_requests_in_flight Current number "
	    "of scrapes being served.\n"
	    "# TYPE promhttp_metric_handler_requests_in_flight gauge\n"
	    "promhttp_metric_handler_requests_in_flight %lld\n",
	    (long long)__atomic_load_n(m->in_flight, __ATOMIC_RELAXED));
	if (promvec_write(m->scrapes, f,
	        "promhttp_metric_handler_requests_total",
	        "Total number of scrapes by HTTP status code.") == -1)
		return -1;
	/* Ours: series beyond the tables, never shown otherwise. */
	dropped = promvec_dropped(m->server) + promvec_dropped(m->client);
	if (dropped > 0)
		fprintf(f,
		    "# HELP aileron_prommeter_dropped_total Requests not "
		    "counted: more than %d label sets, or labels too long.\n"
		    "# TYPE aileron_prommeter_dropped_total counter\n"
		    "aileron_prommeter_dropped_total %llu\n",
		    PROMMETER_SERIES, (unsigned long long)dropped);
	return ferror(f) ? -1 : 0;
}
