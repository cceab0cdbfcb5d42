/* Labelled Prometheus counters in shared memory, counted by all workers. */
#ifndef AILERON_PROMVEC_H
#define AILERON_PROMVEC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * One counter family with fixed label names (a CounterVec), such as
 * PrometheusMeter's http_requests_total{code,host,method,path}.  The
 * master makes it before fork; every worker counts into the same table,
 * so the numbers are the server's, not one worker's.  A series (one set
 * of label values) takes an entry on first use and keeps it; label
 * values together may take PROMVEC_KEY bytes.  Once max_series entries
 * are taken, or when values are too long, the count goes to a dropped
 * counter instead: a client choosing paths cannot grow the table.
 */
#define PROMVEC_KEY 384

struct promvec;

/* One label value: bytes and length (not NUL-terminated). */
struct promvec_val {
	const char *p;
	size_t len;
};

/*
 * A family with nlabels label names (kept by pointer: static strings)
 * and room for max_series series; NULL (logged) on error.
 */
struct promvec *promvec_new(
    const char *const *labels, size_t nlabels, size_t max_series);
/* Unmap it; accepts NULL. */
void promvec_free(struct promvec *v);
/* Add n to the series of vals (nlabels values): 0, or -1 when dropped. */
int promvec_add(struct promvec *v, const struct promvec_val *vals, uint64_t n);
/* Series in use and counts dropped so far. */
size_t promvec_series(const struct promvec *v);
uint64_t promvec_dropped(const struct promvec *v);
/*
 * Write the family as Prometheus text format 0.0.4: HELP, TYPE, then
 * one line per series, label names and series sorted as client_golang
 * sorts them.  Nothing when no series exists.  0, or -1 on error.
 */
int promvec_write(
    const struct promvec *v, FILE *f, const char *name, const char *help);

#endif
