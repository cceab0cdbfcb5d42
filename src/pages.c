/* Whole pages of a process's own, for what a worker keeps: never the master's heap. */
#include <stdlib.h>
#include <sys/mman.h>

#include "pages.h"

/* Under AddressSanitizer these come from malloc, so that it checks them. */
#if defined(__SANITIZE_ADDRESS__)
#define PAGES_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PAGES_MALLOC 1
#endif
#endif

#ifdef PAGES_MALLOC
#include <sanitizer/asan_interface.h>
#endif

void *
pages_alloc(size_t size)
{
#ifdef PAGES_MALLOC
	return calloc(1, size);
#else
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
#endif
}

void
pages_free(void *p, size_t size)
{
#ifdef PAGES_MALLOC
	(void)size;
	free(p);
#else
	if (p != NULL)
		(void)munmap(p, size);
#endif
}

void
pages_drop(void *p, size_t size)
{
#ifdef PAGES_MALLOC
	(void)p;
	(void)size;
#else
	if (p != NULL)
		(void)madvise(p, size, MADV_DONTNEED);
#endif
}

void
pages_poison(void *p, size_t size)
{
#ifdef PAGES_MALLOC
	ASAN_POISON_MEMORY_REGION(p, size);
#else
	(void)p;
	(void)size;
#endif
}

void
pages_unpoison(void *p, size_t size)
{
#ifdef PAGES_MALLOC
	ASAN_UNPOISON_MEMORY_REGION(p, size);
#else
	(void)p;
	(void)size;
#endif
}
