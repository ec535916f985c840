/* dblink.c — the link to the database (see dblink.h). */
#include "daemon/dblink.h"

#include "daemon/log.h"
#include "daemon/loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

struct dblink {
    store_t *store;
    blanes_t *q;
    regwatch_t *w;
    int reconnect_max_ms;
    char synchronous_acks[16];
    volatile sig_atomic_t *stop;
    int up;    /* last state logged (-1: nothing yet) */
    int fatal; /* stopping because of an error that retrying cannot fix */
    int64_t next_connect_us, backoff_ms;
    int64_t down_since_us; /* intake paused since (0: not paused) */
    char last_server[300]; /* the database server of the last connection (host:port) */
    uint64_t failovers;
};

dblink_t *dblink_new(store_t *store, blanes_t *q, regwatch_t *w, int reconnect_max_ms,
                     const char *synchronous_acks, volatile sig_atomic_t *stop)
{
    dblink_t *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->store = store;
    l->q = q;
    l->w = w;
    l->reconnect_max_ms = reconnect_max_ms;
    snprintf(l->synchronous_acks, sizeof l->synchronous_acks, "%s", synchronous_acks);
    l->stop = stop;
    l->backoff_ms = 100;
    l->up = -1;
    return l;
}

void dblink_free(dblink_t **l)
{
    free(*l);
    *l = NULL;
}

void dblink_lost(dblink_t *l, int64_t now)
{
    l->up = 0;
    l->next_connect_us = 0; /* try again at once, then back off */
    if (!l->down_since_us) l->down_since_us = now;
}

int dblink_fatal(const dblink_t *l)
{
    return l->fatal;
}

uint64_t dblink_failovers(const dblink_t *l)
{
    return l->failovers;
}

/* Connected, and the registry loaded on the connection: say where, and what
 * changed since the last connection. */
static void connected(dblink_t *l, int64_t now)
{
    const char *server = store_server(l->store);
    if (l->last_server[0] && strcmp(l->last_server, server)) {
        l->failovers++;
        log_warn("store", "the database failed over: now on %s (was %s)", server, l->last_server);
    }
    if (l->down_since_us)
        log_info("store", "intake resumes after a pause of %lld ms (events held: %u)",
                 (long long)((now - l->down_since_us) / 1000), blanes_held(l->q));
    l->down_since_us = 0;
    snprintf(l->last_server, sizeof l->last_server, "%s", server);
    /* systemd (Type=notify): ready once the sockets are bound and the
     * database answers; harmless without systemd. */
    sd_notifyf(0, "READY=1\nSTATUS=connected to %s, %s", server,
               store_synchronous(l->store) ? "replicating synchronously"
                                           : "not replicating synchronously");
    if (!store_synchronous(l->store) && strcmp(l->synchronous_acks, "off"))
        log_warn("store",
                 "the database does not replicate synchronously: an ack means the event is "
                 "on ONE server%s",
                 strcmp(l->synchronous_acks, "require")
                     ? " (synchronous_acks = warn)"
                     : "; holding events until it does (synchronous_acks = require)");
    regwatch_connected(l->w);
    l->up = 1;
    l->backoff_ms = 100;
}

int64_t dblink_connect_when(void *state, int64_t now, int64_t due)
{
    (void)now, (void)due;
    const dblink_t *l = state;
    return store_connected(l->store) ? LOOP_NEVER : l->next_connect_us;
}

int64_t dblink_connect_run(void *state, int64_t now)
{
    dblink_t *l = state;
    if (store_connected(l->store)) return LOOP_NEVER;
    /* Lost, however it was noticed (a commit, a ping, a notice): intake is paused. */
    if (!l->down_since_us && l->last_server[0]) l->down_since_us = now;
    if (now < l->next_connect_us) return l->next_connect_us;
    char err[512];
    int rc = store_connect(l->store, err, sizeof err);
    if (rc == -2) {
        log_error("store", "%s", err);
        l->fatal = 1;
        *l->stop = 1;
        return LOOP_NEVER;
    }
    int ok = rc == 0;
    if (ok && regwatch_load(l->w, now, err, sizeof err) < 0) {
        store_disconnect(l->store);
        ok = 0;
    }
    if (ok) {
        connected(l, now);
        return LOOP_NEVER;
    }
    if (l->up != 0) log_warn("store", "database unavailable, holding events and retrying: %s", err);
    l->up = 0;
    l->next_connect_us = now + l->backoff_ms * 1000;
    l->backoff_ms =
        l->backoff_ms * 2 > l->reconnect_max_ms ? l->reconnect_max_ms : l->backoff_ms * 2;
    return l->next_connect_us;
}

int64_t dblink_ping_when(void *state, int64_t now, int64_t due)
{
    (void)now;
    dblink_t *l = state;
    return store_connected(l->store) && !blanes_busy(l->q) ? due : LOOP_NEVER;
}

int64_t dblink_ping_run(void *state, int64_t now)
{
    dblink_t *l = state;
    if (store_ping(l->store) < 0) {
        log_warn("store", "database connection lost while idle");
        dblink_lost(l, now);
    }
    return now + 5 * 1000000LL;
}
