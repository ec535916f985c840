/* figures.c — the province figures of /metrics (see figures.h). */
#include "daemon/figures.h"

#include "daemon/log.h"
#include "daemon/loop.h"
#include "db/query.h"
#include "proto/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct figures {
    const char *conninfo;
    int silent_hours;
    store_t *store;
    blanes_t *q;
    void (*publish)(void *ctx, const metrics_t *rows);
    void *ctx;
    db_t *db;           /* a connection of its own */
    int busy;           /* the query is out; its rows come into `rows` */
    int64_t sent_us;    /* when it went */
    int64_t refresh_us; /* next time to ask */
    metrics_t rows;
};

figures_t *figures_new(const char *conninfo, int silent_hours, store_t *store, blanes_t *q,
                       void (*publish)(void *ctx, const metrics_t *rows), void *ctx)
{
    figures_t *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->conninfo = conninfo;
    f->silent_hours = silent_hours;
    f->store = store;
    f->q = q;
    f->publish = publish;
    f->ctx = ctx;
    return f;
}

void figures_free(figures_t **f)
{
    if (!*f) return;
    db_close(&(*f)->db);
    free(*f);
    *f = NULL;
}

/* One province's figures (code, rate or NULL, overdue, silent, losing, last). */
static int province_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)ncols, (void)names;
    metrics_t *m = ctx;
    if (m->nprov >= METRICS_PROVINCES) return 0;
    const int i = m->nprov++;
    snprintf(m->prov[i], sizeof m->prov[i], "%.7s", v[0]);
    m->resolution_rate[i] = v[1] ? atof(v[1]) : -1;
    m->overdue[i] = strtoull(v[2], NULL, 10);
    m->silent[i] = strtoull(v[3], NULL, 10);
    m->losing[i] = strtoull(v[4], NULL, 10);
    m->last_message[i] = v[5] ? strtoll(v[5], NULL, 10) : 0;
    return 0;
}

int64_t figures_ask_when(void *state, int64_t now, int64_t due)
{
    (void)due;
    figures_t *f = state;
    if (!store_connected(f->store)) return LOOP_NEVER;
    const int64_t late = f->refresh_us + 300 * 1000000LL;
    return blanes_busy(f->q) && now < late ? late : f->refresh_us;
}

int64_t figures_ask_run(void *state, int64_t now)
{
    figures_t *f = state;
    if (!store_connected(f->store) || now < f->refresh_us) return f->refresh_us;
    f->refresh_us = now + 30 * 1000000LL;
    f->publish(f->ctx, NULL);
    if (f->busy) return f->refresh_us; /* the last one is still out */
    char err[256];
    if (!f->db && !(f->db = db_connect(f->conninfo, "anttd figures", err, sizeof err))) {
        log_warn("metrics", "province figures: %s", err);
        return f->refresh_us;
    }
    if (query_province_figures_send(f->db, f->silent_hours, err, sizeof err) < 0) {
        log_warn("metrics", "province figures: %s", err);
        db_close(&f->db);
        return f->refresh_us;
    }
    memset(&f->rows, 0, sizeof f->rows);
    f->busy = 1;
    f->sent_us = mono_us();
    return f->refresh_us;
}

int figures_answer_items(void *state, int64_t now, zmq_pollitem_t *it)
{
    (void)now;
    const figures_t *f = state;
    const int fd = f->busy ? db_socket(f->db) : -1;
    if (fd < 0) return 0;
    it[0] = (zmq_pollitem_t){NULL, fd, ZMQ_POLLIN, 0};
    return 1;
}

int64_t figures_answer_run(void *state, int64_t now)
{
    (void)now;
    figures_t *f = state;
    char err[256];
    const int rc = db_collect(f->db, province_row, &f->rows, err, sizeof err);
    if (rc == 1) return LOOP_NEVER; /* more to come */
    f->busy = 0;
    const int64_t took = mono_us() - f->sent_us;
    if (took > 5000000) /* say so: a slow query here is worth measuring */
        log_warn("metrics", "the province figures took %lld ms", (long long)took / 1000);
    if (rc < 0) {
        log_warn("metrics", "province figures: %s", err);
        db_close(&f->db);
        return LOOP_NEVER;
    }
    f->publish(f->ctx, &f->rows);
    return LOOP_NEVER;
}
