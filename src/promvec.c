/* Labelled Prometheus counters in shared memory, counted by all workers. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "promvec.h"
#include "shm.h"

#define PV_MAXLABELS 8
#define PV_SPIN      1000000 /* loads to wait for a claimer */

enum { PV_FREE = 0, PV_CLAIMING, PV_READY };

/*
 * One series.  The key is its label values, each as a 2-byte length and
 * the bytes, in label order; used goes FREE -> CLAIMING (one worker
 * copies the key) -> READY and stays.
 */
struct pv_entry {
	uint32_t used;
	uint32_t keylen;
	uint64_t hash;
	uint64_t count;
	unsigned char key[PROMVEC_KEY];
};

struct pv_shared {
	uint64_t series;
	uint64_t dropped;
	struct pv_entry e[];
};

struct promvec {
	const char *const *pv_labels;
	size_t pv_nlabels;
	size_t pv_max;
	size_t pv_maplen;
	size_t pv_order[PV_MAXLABELS]; /* label indexes, by name */
	struct pv_shared *pv_sh;
};

struct promvec *
promvec_new(const char *const *labels, size_t nlabels, size_t max_series)
{
	struct promvec *v;
	size_t i, j, t;

	if (nlabels == 0 || nlabels > PV_MAXLABELS || max_series == 0) {
		log_warnx("promvec: bad label count or size");
		return NULL;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		log_warn("calloc");
		return NULL;
	}
	v->pv_labels = labels;
	v->pv_nlabels = nlabels;
	v->pv_max = max_series;
	for (i = 0; i < nlabels; i++)
		v->pv_order[i] = i;
	for (i = 1; i < nlabels; i++) /* insertion sort by name */
		for (j = i; j > 0 &&
		     strcmp(labels[v->pv_order[j - 1]],
		         labels[v->pv_order[j]]) > 0;
		     j--) {
			t = v->pv_order[j];
			v->pv_order[j] = v->pv_order[j - 1];
			v->pv_order[j - 1] = t;
		}
	v->pv_maplen =
	    sizeof(struct pv_shared) + max_series * sizeof(struct pv_entry);
	if ((v->pv_sh = shm_map(v->pv_maplen)) == NULL) {
		free(v);
		return NULL;
	}
	return v;
}

void
promvec_free(struct promvec *v)
{
	if (v == NULL)
		return;
	shm_unmap(v->pv_sh, v->pv_maplen);
	free(v);
}

/* FNV-1a over the key. */
static uint64_t
pv_hash(const unsigned char *k, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	while (n-- > 0)
		h = (h ^ *k++) * 1099511628211ULL;
	return h;
}

/* Encode vals as a key into k; its length, or 0 when too long. */
static size_t
pv_key(const struct promvec *v, const struct promvec_val *vals,
    unsigned char k[PROMVEC_KEY])
{
	size_t i, n = 0;

	for (i = 0; i < v->pv_nlabels; i++) {
		if (vals[i].len > PROMVEC_KEY - n - 2)
			return 0;
		k[n++] = (unsigned char)(vals[i].len >> 8);
		k[n++] = (unsigned char)vals[i].len;
		memcpy(k + n, vals[i].p, vals[i].len);
		n += vals[i].len;
	}
	return n;
}

/* The entry of key k (n bytes), claimed if new; NULL when full. */
static struct pv_entry *
pv_find(struct promvec *v, const unsigned char *k, size_t n)
{
	uint64_t h = pv_hash(k, n);
	struct pv_entry *e;
	uint32_t used;
	size_t i;
	int spin;

	for (i = 0; i < v->pv_max; i++) {
		e = &v->pv_sh->e[(h + i) % v->pv_max];
		used = __atomic_load_n(&e->used, __ATOMIC_ACQUIRE);
		if (used == PV_FREE &&
		    __atomic_compare_exchange_n(&e->used, &used, PV_CLAIMING, 0,
		        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			e->hash = h;
			e->keylen = (uint32_t)n;
			memcpy(e->key, k, n);
			__atomic_store_n(&e->used, PV_READY, __ATOMIC_RELEASE);
			__atomic_add_fetch(
			    &v->pv_sh->series, 1, __ATOMIC_RELAXED);
			return e;
		}
		/* Another worker is copying its key in: a few instructions. */
		for (spin = 0; used == PV_CLAIMING && spin < PV_SPIN; spin++)
			used = __atomic_load_n(&e->used, __ATOMIC_ACQUIRE);
		if (used == PV_CLAIMING)
			return NULL; /* stuck (its claimer died): never twice */
		if (e->hash == h && e->keylen == n && memcmp(e->key, k, n) == 0)
			return e;
	}
	return NULL;
}

int
promvec_add(struct promvec *v, const struct promvec_val *vals, uint64_t n)
{
	unsigned char k[PROMVEC_KEY];
	struct pv_entry *e = NULL;
	size_t len;

	if ((len = pv_key(v, vals, k)) > 0)
		e = pv_find(v, k, len);
	if (e == NULL) {
		__atomic_add_fetch(&v->pv_sh->dropped, n, __ATOMIC_RELAXED);
		return -1;
	}
	__atomic_add_fetch(&e->count, n, __ATOMIC_RELAXED);
	return 0;
}

size_t
promvec_series(const struct promvec *v)
{
	return (size_t)__atomic_load_n(&v->pv_sh->series, __ATOMIC_RELAXED);
}

uint64_t
promvec_dropped(const struct promvec *v)
{
	return __atomic_load_n(&v->pv_sh->dropped, __ATOMIC_RELAXED);
}

/* Label value i of a key: its bytes and length. */
static const unsigned char *
pv_value(const unsigned char *k, size_t i, size_t *len)
{
	size_t n;

	for (;;) {
		n = (size_t)k[0] << 8 | k[1];
		if (i-- == 0)
			break;
		k += 2 + n;
	}
	*len = n;
	return k + 2;
}

/* For qsort: the promvec being written (qsort has no argument). */
static const struct promvec *pv_sorting;

/* Order series by their values, labels taken in name order. */
static int
pv_cmp(const void *a, const void *b)
{
	const struct pv_entry *x = *(const struct pv_entry *const *)a;
	const struct pv_entry *y = *(const struct pv_entry *const *)b;
	const unsigned char *xv, *yv;
	size_t i, xl, yl;
	int c;

	for (i = 0; i < pv_sorting->pv_nlabels; i++) {
		xv = pv_value(x->key, pv_sorting->pv_order[i], &xl);
		yv = pv_value(y->key, pv_sorting->pv_order[i], &yl);
		if ((c = memcmp(xv, yv, xl < yl ? xl : yl)) != 0)
			return c;
		if (xl != yl)
			return xl < yl ? -1 : 1;
	}
	return 0;
}

/* A label value as the text format wants it: \\, \" and \n escaped. */
static void
pv_put_value(FILE *f, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\\' || p[i] == '"')
			fputc('\\', f);
		if (p[i] == '\n')
			fputs("\\n", f);
		else if (p[i] < 0x20 || p[i] == 0x7f)
			fputc('?', f); /* no escape exists: never sent */
		else
			fputc(p[i], f);
	}
}

int
promvec_write(
    const struct promvec *v, FILE *f, const char *name, const char *help)
{
	struct pv_entry **list;
	const unsigned char *val;
	size_t i, j, n = 0, len, l;

	if ((list = calloc(v->pv_max, sizeof(*list))) == NULL) {
		log_warn("calloc");
		return -1;
	}
	for (i = 0; i < v->pv_max; i++)
		if (__atomic_load_n(&v->pv_sh->e[i].used, __ATOMIC_ACQUIRE) ==
		    PV_READY)
			list[n++] = &v->pv_sh->e[i];
	pv_sorting = v;
	qsort(list, n, sizeof(*list), pv_cmp);
	if (n > 0)
		fprintf(
		    f, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (i = 0; i < n; i++) {
		fprintf(f, "%s{", name);
		for (j = 0; j < v->pv_nlabels; j++) {
			l = v->pv_order[j];
			val = pv_value(list[i]->key, l, &len);
			fprintf(
			    f, "%s%s=\"", j > 0 ? "," : "", v->pv_labels[l]);
			pv_put_value(f, val, len);
			fputc('"', f);
		}
		fprintf(f, "} %llu\n",
		    (unsigned long long)__atomic_load_n(
		        &list[i]->count, __ATOMIC_RELAXED));
	}
	free(list);
	return ferror(f) ? -1 : 0;
}
