/* gate.h — who may hold a connection to one of our HTTP servers (the
 * console, anttweb; anttd's /metrics and /healthz), and for how long its
 * request may take to arrive: the defence against slow clients
 * ("slowloris"), which libmicrohttpd's idle timeout is not (one header line
 * a second keeps an idle timer young forever).
 *
 * Three rules, each with a counter of what it refused:
 *   - at most per_addr connections from one address (except the trusted
 *     proxy's, behind which every user has the same one);
 *   - a request (line, headers and body) must arrive whole within
 *     deadline_ms of the connection's start or of the previous answer on
 *     it; a reaper thread cuts the late ones (shutdown(2): libmicrohttpd sees
 *     the end of the stream and closes the connection itself);
 *   - at most max connections: when full, the oldest connection whose
 *     request is still arriving is cut to make room (a client that sends its
 *     request at once is never the one waiting), and only when every one is
 *     being answered is the newcomer refused.
 * Independent of libmicrohttpd (the server tells it of each connection and
 * request); thread-safe. */
#ifndef ANTT_NET_GATE_H
#define ANTT_NET_GATE_H

#include <stdint.h>
#include <sys/socket.h>

typedef struct {
    int max;             /* connections at once */
    int per_addr;        /* from one address */
    int64_t deadline_ms; /* for a request to arrive whole */
    const char *exempt;  /* an address not limited per address (the trusted proxy); NULL */
    int reaper;          /* 1: a thread enforces the deadline (0 in unit tests: gate_reap) */
} gate_cfg_t;

typedef struct {
    uint64_t refused_per_addr; /* over per_addr */
    uint64_t refused_full;     /* full of connections being answered */
    uint64_t evicted;          /* cut to make room for a newcomer */
    uint64_t deadline_cut;     /* their request did not arrive in time */
    int open;                  /* connections now */
} gate_stats_t;

typedef struct gate gate_t;
typedef struct gate_conn gate_conn_t;

/* NULL when memory or a thread cannot be had. */
gate_t *gate_new(const gate_cfg_t *cfg);
void gate_free(gate_t **g);

/* Before a connection from addr is taken: 1 admit (having perhaps cut the
 * oldest connection still arriving), 0 refuse. */
int gate_admit(gate_t *g, const struct sockaddr *addr, int64_t now_ms);

/* The admitted connection on socket fd starts its clock; NULL when the
 * table is full (then the caller closes it). */
gate_conn_t *gate_open(gate_t *g, int fd, const struct sockaddr *addr, int64_t now_ms);

/* Its request has arrived whole: off the clock, and never evicted. */
void gate_arrived(gate_t *g, gate_conn_t *c);

/* Its answer is sent: the clock starts again for the next request. */
void gate_answered(gate_t *g, gate_conn_t *c, int64_t now_ms);

/* The connection is gone (before its socket is closed). */
void gate_close(gate_t *g, gate_conn_t *c);

/* Cut every connection whose request is late at now_ms; how many. */
int gate_reap(gate_t *g, int64_t now_ms);

void gate_stats(gate_t *g, gate_stats_t *out);

/* A monotonic clock in milliseconds. */
int64_t gate_now_ms(void);

#endif
