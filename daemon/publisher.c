/* publisher.c — the log read by one daemon, published (see publisher.h). */
#include "daemon/publisher.h"

#include "daemon/log.h"
#include "daemon/loop.h"
#include "db/slot.h"

#include <stdlib.h>

struct publisher {
    slot_t *slot;
    stream_t *stream;
    const reg_t *reg;
    store_t *store;
    void (*changed)(void *ctx);
    void *ctx;
    int64_t next_us;   /* next try to become the reader */
    int64_t logged_us; /* the last "cannot read the log" line */
};

publisher_t *publisher_new(const char *conninfo, stream_t *stream, const reg_t *reg, store_t *store,
                           void (*changed)(void *ctx), void *ctx)
{
    publisher_t *p = calloc(1, sizeof *p);
    if (!p || !(p->slot = slot_new(conninfo))) {
        free(p);
        return NULL;
    }
    p->stream = stream;
    p->reg = reg;
    p->store = store;
    p->changed = changed;
    p->ctx = ctx;
    return p;
}

void publisher_free(publisher_t **p)
{
    if (!*p) return;
    slot_free(&(*p)->slot);
    free(*p);
    *p = NULL;
}

int publisher_leading(const publisher_t *p)
{
    return p && slot_leading(p->slot);
}

int64_t publisher_lag(publisher_t *p)
{
    return publisher_leading(p) ? slot_lag(p->slot) : -1;
}

int64_t publisher_lead_when(void *state, int64_t now, int64_t due)
{
    (void)now, (void)due;
    const publisher_t *p = state;
    return !slot_leading(p->slot) && store_connected(p->store) ? p->next_us : LOOP_NEVER;
}

int64_t publisher_lead_run(void *state, int64_t now)
{
    publisher_t *p = state;
    char err[512];
    int rc = slot_lead(p->slot, err, sizeof err);
    p->next_us = now + 1000000; /* also after an error: a takeover waits for it */
    if (rc == 1) {
        log_info("stream", "publishing: this daemon reads the database's log (epoch %llu)",
                 (unsigned long long)slot_epoch(p->slot));
        if (slot_warning(p->slot)[0]) log_warn("stream", "%s", slot_warning(p->slot));
        p->changed(p->ctx);
    } else if (rc < 0 && now - p->logged_us > 60000000) {
        log_error("stream", "cannot read the database's log, not publishing: %s", err);
        p->logged_us = now;
    }
    return p->next_us;
}

int publisher_log_items(void *state, int64_t now, zmq_pollitem_t *it)
{
    (void)now;
    const publisher_t *p = state;
    const int fd = slot_socket(p->slot);
    if (fd < 0) return 0;
    it[0] = (zmq_pollitem_t){NULL, fd, ZMQ_POLLIN, 0};
    return 1;
}

static void on_logged(void *ctx, uint64_t lsn, const uint8_t *content, size_t len)
{
    publisher_t *p = ctx;
    if (stream_publish_log(p->stream, p->reg, slot_epoch(p->slot), lsn, content, len) < 0)
        log_error("stream", "a logged transaction at %llu is not laid out as expected: skipped",
                  (unsigned long long)lsn);
}

int64_t publisher_log_run(void *state, int64_t now)
{
    publisher_t *p = state;
    char err[512];
    if (slot_read(p->slot, on_logged, p, err, sizeof err) < 0) {
        log_warn("stream", "stopped reading the database's log: %s", err);
        p->next_us = now + 1000000;
        p->changed(p->ctx);
    }
    return LOOP_NEVER;
}
