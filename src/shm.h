/* Shared memory for server-wide state: anonymous mappings and robust locks. */
#ifndef AILERON_SHM_H
#define AILERON_SHM_H

#include <pthread.h>
#include <stddef.h>

/*
 * The master maps these before it forks, so that every worker inherits
 * the same pages: limits and counters then hold for the whole server,
 * not per worker.  A lock whose owner died (a crashed worker) is taken
 * over by the next locker, who finds the state as the dead owner left it.
 */

/* Map len zeroed bytes shared with future children; NULL (logged) on error. */
void *shm_map(size_t len);
/* Unmap what shm_map returned; accepts NULL. */
void shm_unmap(void *p, size_t len);
/* Make *m a process-shared, robust mutex; 0 or -1 (logged). */
int shm_mutex_init(pthread_mutex_t *m);
/* Lock *m, recovering it when its previous owner died holding it. */
void shm_mutex_lock(pthread_mutex_t *m);
void shm_mutex_unlock(pthread_mutex_t *m);

#endif
