/* Region allocator: many small allocations freed together. */
#ifndef AILERON_ARENA_H
#define AILERON_ARENA_H

#include <stddef.h>

struct arena;

/* Create an arena whose blocks are at least block_size bytes. */
struct arena *arena_new(size_t block_size);
/* The same, with the arena and its first block in pages of its own (pages.h). */
struct arena *arena_new_pages(size_t block_size);
/* Free every block and the arena itself; accepts NULL. */
void arena_free(struct arena *a);
/* Forget all allocations but keep the first block for reuse. */
void arena_reset(struct arena *a);
/* Allocate n zeroed bytes aligned for any type; aborts on exhaustion. */
void *arena_alloc(struct arena *a, size_t n);
/* Copy a string or the first n bytes of s (NUL-terminated copy). */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* Grow an array allocated from the arena (old contents copied). */
void *arena_realloc(struct arena *a, void *old, size_t oldn, size_t newn);

#endif
