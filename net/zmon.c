/* zmon.c — see zmon.h. */
#include "net/zmon.h"

#include <stdio.h>
#include <string.h>
#include <zmq.h>

int zmon_start(zmon_t *m, void *ctx, void *sock, int mask, int unbounded)
{
    /* A name of its own: a stopped monitor's endpoint may linger a while. */
    static unsigned long serial;
    char ep[80];
    m->sock = sock;
    m->pipe = NULL;
    snprintf(ep, sizeof ep, "inproc://antt-monitor-%p-%lu", (void *)m,
             __atomic_add_fetch(&serial, 1, __ATOMIC_RELAXED));
    if (zmq_socket_monitor(sock, ep, mask) < 0) return -1;
    m->pipe = zmq_socket(ctx, ZMQ_PAIR);
    int zero = 0; /* an inproc pipe with a 0 high-water mark on one end has none */
    if (m->pipe && unbounded) zmq_setsockopt(m->pipe, ZMQ_RCVHWM, &zero, sizeof zero);
    if (!m->pipe || zmq_connect(m->pipe, ep) < 0) {
        zmon_stop(m);
        return -1;
    }
    return 0;
}

uint16_t zmon_next(zmon_t *m, int timeout_ms, char *ep, size_t eplen)
{
    uint32_t value;
    return zmon_next_value(m, timeout_ms, &value, ep, eplen);
}

uint16_t zmon_next_value(zmon_t *m, int timeout_ms, uint32_t *value, char *ep, size_t eplen)
{
    *value = 0;
    if (!m->pipe) return 0;
    zmq_pollitem_t it = {m->pipe, 0, ZMQ_POLLIN, 0};
    if (timeout_ms && zmq_poll(&it, 1, timeout_ms) <= 0) return 0;
    zmq_msg_t f;
    zmq_msg_init(&f);
    if (zmq_msg_recv(&f, m->pipe, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&f);
        return 0;
    }
    uint16_t event = 0;
    if (zmq_msg_size(&f) >= 2) memcpy(&event, zmq_msg_data(&f), 2);
    if (zmq_msg_size(&f) >= 6) memcpy(value, (const char *)zmq_msg_data(&f) + 2, 4);
    int more = zmq_msg_more(&f);
    zmq_msg_close(&f);
    if (ep && eplen) ep[0] = '\0';
    while (more) { /* the endpoint frame */
        zmq_msg_init(&f);
        zmq_msg_recv(&f, m->pipe, 0);
        if (ep && eplen)
            snprintf(ep, eplen, "%.*s", (int)zmq_msg_size(&f), (const char *)zmq_msg_data(&f));
        more = zmq_msg_more(&f);
        zmq_msg_close(&f);
    }
    return event ? event : 0xffff;
}

void *zmon_socket(const zmon_t *m)
{
    return m->pipe;
}

void zmon_stop(zmon_t *m)
{
    if (m->pipe) {
        zmq_msg_t f;
        zmq_msg_init(&f);
        while (zmq_msg_recv(&f, m->pipe, ZMQ_DONTWAIT) >= 0) {
        }
        zmq_msg_close(&f);
    }
    if (m->sock) zmq_socket_monitor(m->sock, NULL, 0);
    if (m->pipe) {
        int zero = 0;
        zmq_setsockopt(m->pipe, ZMQ_LINGER, &zero, sizeof zero);
        zmq_close(m->pipe);
    }
    m->pipe = NULL;
    m->sock = NULL;
}
