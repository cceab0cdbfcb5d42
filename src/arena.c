/* Region allocator: many small allocations freed together. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "log.h"
#include "pages.h"

struct arena_block {
	struct arena_block *next;
	size_t size;
	size_t used;
	max_align_t data[];
};

struct arena {
	struct arena_block *head;
	size_t block_size;
	size_t pages; /* arena_new_pages: the size of its own pages, else 0 */
};

static struct arena_block *
arena_block_new(size_t size)
{
	struct arena_block *b;

	if ((b = malloc(sizeof(*b) + size)) == NULL)
		fatal("arena: out of memory");
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

struct arena *
arena_new(size_t block_size)
{
	struct arena *a;

	if ((a = malloc(sizeof(*a))) == NULL)
		fatal("arena: out of memory");
	a->pages = 0;
	a->block_size = block_size < 256 ? 256 : block_size;
	a->head = arena_block_new(a->block_size);
	return a;
}

/*
 * The arena and its first block in one run of pages (pages.h); the
 * blocks it grows later come from malloc() as in any arena.
 */
struct arena *
arena_new_pages(size_t block_size)
{
	const size_t align = sizeof(max_align_t);
	size_t off = (sizeof(struct arena) + align - 1) & ~(align - 1);
	size_t total;
	struct arena *a;
	struct arena_block *b;

	if (block_size < 256)
		block_size = 256;
	total = off + offsetof(struct arena_block, data) + block_size;
	if ((a = pages_alloc(total)) == NULL)
		fatal("arena: out of memory");
	b = (struct arena_block *)(void *)((char *)a + off);
	b->size = block_size; /* next and used: zero, as the pages are */
	a->head = b;
	a->block_size = block_size;
	a->pages = total;
	return a;
}

void
arena_free(struct arena *a)
{
	struct arena_block *b, *next;

	if (a == NULL)
		return;
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		if (a->pages == 0 || b->next != NULL)
			free(b); /* not the first block, within a's pages */
	}
	if (a->pages > 0)
		pages_free(a, a->pages);
	else
		free(a);
}

void
arena_reset(struct arena *a)
{
	struct arena_block *b, *next;

	/* Keep the last block in the list: it is the first one allocated. */
	for (b = a->head; b->next != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head = b;
	b->used = 0;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	const size_t align = sizeof(max_align_t);
	struct arena_block *b = a->head;
	void *p;

	n = (n + align - 1) & ~(align - 1);
	if (n == 0)
		n = align;
	if (b->size - b->used < n) {
		b = arena_block_new(n > a->block_size ? n : a->block_size);
		b->next = a->head;
		a->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

void *
arena_realloc(struct arena *a, void *old, size_t oldn, size_t newn)
{
	void *p = arena_alloc(a, newn);

	if (old != NULL && oldn > 0)
		memcpy(p, old, oldn < newn ? oldn : newn);
	return p;
}
