/* Scoreboard: worker states and server-wide counters in shared memory. */
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/sockios.h>
#include <linux/tcp.h> /* glibc's tcp_info lacks the byte counts */

#include "log.h"
#include "scoreboard.h"

#define SB_READ_TRIES 64

struct scoreboard {
	struct sb_counters c;
	uint32_t serving; /* generation that accepts; 0 while stopping */
	size_t nslots;
	struct sb_worker slots[];
};

static struct scoreboard *sb;
static struct sb_worker *sb_self; /* this worker's slot */
static uint64_t sb_max_requests;
static volatile sig_atomic_t *sb_stop;

static const char *const sb_state_names[SB_NSTATES] = { "free", "starting",
	"idle", "reading", "proxying", "writing", "closing", "stopping" };

#define SB_ADD(p, n)   __atomic_fetch_add((p), (n), __ATOMIC_RELAXED)
#define SB_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define SB_LOAD(p)     __atomic_load_n((p), __ATOMIC_RELAXED)

/* Wall clock in milliseconds since the epoch. */
static int64_t
sb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
scoreboard_init(size_t nslots)
{
	size_t len = sizeof(*sb) + nslots * sizeof(struct sb_worker);
	void *p;

	if (sb != NULL)
		return 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED) {
		log_warn("mmap scoreboard");
		return -1;
	}
	sb = p; /* mmap gives zeroes: every slot is SB_FREE */
	sb->nslots = nslots;
	sb->c.started = sb_now();
	sb->c.generation = 1;
	sb->serving = 1;
	return 0;
}

int
scoreboard_claim(unsigned gen)
{
	struct sb_worker *w;
	size_t i;

	if (sb == NULL)
		return -1;
	for (i = 0; i < sb->nslots; i++) {
		w = &sb->slots[i];
		if (SB_LOAD(&w->state) != SB_FREE)
			continue;
		memset(w, 0, sizeof(*w));
		w->generation = gen;
		w->started = w->changed = sb_now();
		SB_STORE(&w->state, SB_STARTING);
		return (int)i;
	}
	return -1;
}

void
scoreboard_set_pid(int i, pid_t pid)
{
	if (sb != NULL && i >= 0 && (size_t)i < sb->nslots)
		SB_STORE(&sb->slots[i].pid, (int32_t)pid);
}

void
scoreboard_release(int i)
{
	if (sb != NULL && i >= 0 && (size_t)i < sb->nslots) {
		SB_STORE(&sb->slots[i].pid, 0);
		SB_STORE(&sb->slots[i].state, SB_FREE);
	}
}

void
scoreboard_reloaded(unsigned gen)
{
	if (sb == NULL)
		return;
	SB_ADD(&sb->c.reloads, 1);
	SB_STORE(&sb->c.generation, gen);
	SB_STORE(&sb->serving, gen);
}

void
scoreboard_stopping(void)
{
	if (sb != NULL)
		SB_STORE(&sb->serving, 0);
}

int
scoreboard_siblings_serve(void)
{
	return sb_self != NULL &&
	    SB_LOAD(&sb->serving) == SB_LOAD(&sb_self->generation);
}

int
scoreboard_state(int i)
{
	if (sb == NULL || i < 0 || (size_t)i >= sb->nslots)
		return SB_FREE;
	return SB_LOAD(&sb->slots[i].state);
}

void
scoreboard_mark_stopping(int i)
{
	if (sb != NULL && i >= 0 && (size_t)i < sb->nslots)
		SB_STORE(&sb->slots[i].state, SB_STOPPING);
}

void
scoreboard_attach(int i, uint64_t max_requests, volatile sig_atomic_t *stop)
{
	if (sb == NULL || i < 0 || (size_t)i >= sb->nslots)
		return;
	sb_self = &sb->slots[i];
	sb_max_requests = max_requests;
	sb_stop = stop;
	SB_STORE(&sb_self->pid, (int32_t)getpid());
	scoreboard_set_state(SB_IDLE);
}

void
scoreboard_set_state(enum sb_state st)
{
	if (sb_self == NULL)
		return;
	/* A stopping worker stays "stopping" to the master until it exits. */
	if (SB_LOAD(&sb_self->state) == SB_STOPPING || (sb_stop && *sb_stop))
		st = SB_STOPPING;
	SB_STORE(&sb_self->state, (int32_t)st);
	SB_STORE(&sb_self->changed, sb_now());
}

/* Begin changing the slot's strings (seqlock write side). */
static void
sb_write_begin(void)
{
	__atomic_add_fetch(&sb_self->seq, 1, __ATOMIC_ACQ_REL);
}

static void
sb_write_end(void)
{
	__atomic_add_fetch(&sb_self->seq, 1, __ATOMIC_RELEASE);
}

void
scoreboard_accepted(void)
{
	if (sb_self != NULL)
		SB_ADD(&sb->c.accepted, 1);
}

void
scoreboard_request_begin(const char *client, const char *method, size_t mlen,
    const char *target, size_t tlen)
{
	char line[SB_REQUEST_MAX];
	size_t n;

	if (sb_self == NULL)
		return;
	SB_ADD(&sb->c.requests, 1);
	n = SB_ADD(&sb_self->requests, 1) + 1;
	if (sb_max_requests > 0 && n >= sb_max_requests && sb_stop != NULL)
		*sb_stop = 1; /* the last one: answer with Connection: close */
	if (mlen > 16)
		mlen = 16;
	memcpy(line, method, mlen);
	line[mlen] = ' ';
	if (tlen > sizeof(line) - mlen - 2)
		tlen = sizeof(line) - mlen - 2;
	memcpy(line + mlen + 1, target, tlen);
	sb_write_begin();
	strncpy(sb_self->client, client, sizeof(sb_self->client) - 1);
	sb_self->client[sizeof(sb_self->client) - 1] = '\0';
	log_escape(
	    sb_self->request, sizeof(sb_self->request), line, mlen + 1 + tlen);
	sb_write_end();
	scoreboard_set_state(SB_PROXYING);
}

void
scoreboard_response(int status)
{
	if (sb_self == NULL)
		return;
	if (status >= 100 && status < 600)
		SB_ADD(&sb->c.status[status / 100 - 1], 1);
	scoreboard_set_state(SB_WRITING);
}

void
scoreboard_upstream_error(void)
{
	if (sb_self != NULL)
		SB_ADD(&sb->c.upstream_errors, 1);
}

void
scoreboard_conn_end(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	uint64_t in = 0, out = 0;
	int queued = 0;

	if (sb_self == NULL)
		return;
	scoreboard_set_state(SB_CLOSING);
	/* The kernel counts the bytes; what is not acked yet is queued. */
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
	    len >= offsetof(struct tcp_info, tcpi_bytes_received) +
	            sizeof(ti.tcpi_bytes_received)) {
		in = ti.tcpi_bytes_received;
		out = ti.tcpi_bytes_acked;
		if (ioctl(fd, SIOCOUTQ, &queued) == 0 && queued > 0)
			out += (uint64_t)queued;
	}
	SB_ADD(&sb_self->bytes_in, in);
	SB_ADD(&sb_self->bytes_out, out);
	SB_ADD(&sb->c.bytes_in, in);
	SB_ADD(&sb->c.bytes_out, out);
}

int
scoreboard_recycled(void)
{
	return sb_self != NULL && sb_max_requests > 0 &&
	    SB_LOAD(&sb_self->requests) >= sb_max_requests;
}

size_t
scoreboard_nslots(void)
{
	return sb != NULL ? sb->nslots : 0;
}

int
scoreboard_read_slot(size_t i, struct sb_worker *w)
{
	const struct sb_worker *s;
	uint32_t s1, s2;
	int tries;

	if (sb == NULL || i >= sb->nslots)
		return -1;
	s = &sb->slots[i];
	for (tries = 0; tries < SB_READ_TRIES; tries++) {
		s1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		memcpy(w, s, sizeof(*w));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
		if (s1 == s2)
			break;
	}
	/* A writer that kept changing: its strings may be cut, never unterminated. */
	w->client[sizeof(w->client) - 1] = '\0';
	w->request[sizeof(w->request) - 1] = '\0';
	return w->state == SB_FREE ? -1 : 0;
}

void
scoreboard_read_counters(struct sb_counters *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	if (sb == NULL)
		return;
	c->accepted = SB_LOAD(&sb->c.accepted);
	c->requests = SB_LOAD(&sb->c.requests);
	for (i = 0; i < 5; i++)
		c->status[i] = SB_LOAD(&sb->c.status[i]);
	c->upstream_errors = SB_LOAD(&sb->c.upstream_errors);
	c->bytes_in = SB_LOAD(&sb->c.bytes_in);
	c->bytes_out = SB_LOAD(&sb->c.bytes_out);
	c->reloads = SB_LOAD(&sb->c.reloads);
	c->generation = SB_LOAD(&sb->c.generation);
	c->started = sb->c.started;
}

const char *
scoreboard_state_name(int state)
{
	if (state < 0 || state >= SB_NSTATES)
		return "unknown";
	return sb_state_names[state];
}
