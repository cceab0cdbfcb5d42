/* Client connections of a worker: read request heads, hand each request to the pipeline. */
#ifndef AILERON_PROXY_H
#define AILERON_PROXY_H

#include <signal.h>
#include <sys/socket.h>

#include "conf.h"
#include "conn.h"
#include "route.h"

struct proxy;
struct http_msg;
struct pipeline;

/* One client connection owned by a worker. */
struct client {
	struct io io;
	const struct conf_server *srv;
	char ip[46]; /* peer address, IPv4-mapped shown as IPv4 */
	char port[8];
	unsigned nreq;    /* requests served */
	int64_t deadline; /* parked: close when this passes (0: never) */
	int64_t accepted; /* when the connection was accepted (ms) */

	/* private to proxy.c */
	int handshake;      /* TLS handshake not done yet */
	size_t len;         /* bytes in the worker's head buffer */
	int64_t head_start; /* when the current head began */
	char *saved;        /* parked: partial head */
	size_t saved_len;
	struct http_msg *saved_msg; /* parked: its parser state */
	struct bodywait *bodywait;  /* parked: head done, body arriving */
	int linger;                 /* closing with the request body unread */
	int lingering;     /* parked half-closed: what comes is dropped */
	uint64_t lingered; /* bytes dropped so far */
	struct client *next_free; /* freed: the next spare */
};

#define PROXY_PARKED 0 /* waits for more bytes: poll it, then run again */
#define PROXY_CLOSED 1 /* ended: free it */

/* Per-worker connection state: the head and response-head buffers, the request. */
struct proxy *proxy_new(struct conf *c, const struct pipeline *pl,
    const volatile sig_atomic_t *stopping);
void proxy_free(struct proxy *px);

/* A client connection just accepted on a listener of srv; NULL on ENOMEM. */
struct client *proxy_client_new(
    int fd, const struct sockaddr *sa, const struct conf_server *srv);
/* Close and free a client connection; accepts NULL. */
void proxy_client_free(struct client *cl);

/*
 * Serve every request of cl that can be read without waiting: returns
 * PROXY_PARKED when the connection waits for more bytes (cl->deadline
 * set) or PROXY_CLOSED when it ended.  The request path itself blocks,
 * bounded by the server's timeouts.
 */
int proxy_client_run(struct proxy *px, struct client *cl);

/*
 * A parked connection's deadline passed: a request whose body came too
 * slowly gets 408 (the caller then frees it).
 */
void proxy_client_expire(struct proxy *px, struct client *cl);

/* Close idle upstream connections older than their idle timeout. */
void proxy_expire_idle(struct proxy *px);
/*
 * The worker has been idle a while: give back the memory its last
 * requests dirtied (scratch buffers, free heap pages).
 */
void proxy_trim_idle(struct proxy *px);

#endif
