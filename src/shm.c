/* Shared memory for server-wide state: anonymous mappings and robust locks. */
#include <sys/mman.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "log.h"
#include "shm.h"

void *
shm_map(size_t len)
{
	void *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED) {
		log_warn("mmap %zu bytes", len);
		return NULL;
	}
	return p;
}

void
shm_unmap(void *p, size_t len)
{
	if (p != NULL)
		munmap(p, len);
}

int
shm_mutex_init(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	int e;

	if ((e = pthread_mutexattr_init(&a)) != 0)
		goto fail;
	if ((e = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED)) !=
	        0 ||
	    (e = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST)) != 0 ||
	    (e = pthread_mutex_init(m, &a)) != 0) {
		pthread_mutexattr_destroy(&a);
		goto fail;
	}
	pthread_mutexattr_destroy(&a);
	return 0;
fail:
	log_warnx("shared mutex: %s", strerror(e));
	return -1;
}

void
shm_mutex_lock(pthread_mutex_t *m)
{
	int e = pthread_mutex_lock(m);

	/* The state under a robust lock is kept consistent at every store. */
	if (e == EOWNERDEAD)
		pthread_mutex_consistent(m);
	else if (e != 0)
		fatalx("shared mutex lock: %s", strerror(e));
}

void
shm_mutex_unlock(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
}
