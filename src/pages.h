/* Whole pages of a process's own, for what a worker keeps: never the master's heap. */
#ifndef AILERON_PAGES_H
#define AILERON_PAGES_H

#include <stddef.h>

/*
 * size bytes, zeroed, in pages mapped for them alone; NULL when out of
 * memory.  A worker's malloc() would reuse the holes the master's heap
 * was left with, copying a page of the master's for each small object;
 * these pages cost nothing until written, and are the worker's alone.
 */
void *pages_alloc(size_t size);

/* Give back what pages_alloc(size) returned (NULL is ignored). */
void pages_free(void *p, size_t size);

/*
 * The contents of p (from pages_alloc(size)) are not needed now: give its
 * pages back; the next touch gets zeroed ones (under AddressSanitizer,
 * where the memory is malloc's, nothing is dropped).
 */
void pages_drop(void *p, size_t size);

/*
 * An object kept on a free list of its own (not given back to malloc):
 * under AddressSanitizer any use of p[0..size) is reported until
 * pages_unpoison(); elsewhere these do nothing.
 */
void pages_poison(void *p, size_t size);
void pages_unpoison(void *p, size_t size);

#endif
