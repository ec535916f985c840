/* zmon.h — a ZeroMQ socket's monitor, read the one way every part of ANTT
 * reads it (the daemon counts connections; libantt follows its connection
 * and explains failed handshakes).
 *
 * libzmq publishes a socket's events on an inproc PAIR: two frames each (a
 * 16-bit event and 32-bit value, then the endpoint). Its I/O thread sends
 * them blocking, holding the socket's monitor lock, so the reader must stay
 * open and drained until monitoring is off: zmon_stop does it in that
 * order. */
#ifndef ANTT_NET_ZMON_H
#define ANTT_NET_ZMON_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    void *sock; /* the monitored socket */
    void *pipe; /* our end of the monitor's PAIR; NULL when not monitoring */
} zmon_t;

/* Monitor sock for the events in mask (ZMQ_EVENT_*). unbounded: the pipe has
 * no high-water mark, so no event is ever dropped (a count kept from them
 * must not drift). 0, or -1 (m is then inert: every call below is a no-op). */
int zmon_start(zmon_t *m, void *ctx, void *sock, int mask, int unbounded);

/* The next event within timeout_ms (0: only one already waiting) and, when
 * ep is given, the endpoint it concerns. 0 when there is none; 0xffff for
 * an event libzmq numbered 0. */
uint16_t zmon_next(zmon_t *m, int timeout_ms, char *ep, size_t eplen);

/* The same with the event's value (the connection's descriptor for
 * ACCEPTED and DISCONNECTED) in *value. */
uint16_t zmon_next_value(zmon_t *m, int timeout_ms, uint32_t *value, char *ep, size_t eplen);

/* The pipe, to poll with the caller's other sockets (NULL: none). */
void *zmon_socket(const zmon_t *m);

/* Drain, stop monitoring, close the pipe. */
void zmon_stop(zmon_t *m);

#endif
