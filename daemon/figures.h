/* figures.h — the province figures of /metrics: per province, tip-off
 * resolution this calendar year, overdue tip-offs now, silent and losing
 * nodes, the last message (db/query.h, query_province_figures_send).
 *
 * The query takes a few hundred ms with thousands of overdue tip-offs, and
 * the loop answering stations must not stand still for it (it did: the p99
 * ack latency was that). So it is asked every 30 s on a connection of its
 * own without waiting, at a quiet turn (no batch waiting for the database;
 * at most 5 minutes late), and its rows are read when they come. Two rows of
 * the loop: "provinces" (the timer that asks) and "province figures" (the
 * connection's socket, while an answer is out). */
#ifndef ANTT_DAEMON_FIGURES_H
#define ANTT_DAEMON_FIGURES_H

#include "daemon/batch.h"
#include "daemon/metrics.h"
#include "db/store.h"

#include <stdint.h>
#include <zmq.h>

typedef struct figures figures_t;

/* publish(ctx, rows) when the figures should be shown: rows holds new
 * province figures (prov .. last_message, nprov), or is NULL when only the
 * other figures sampled with them are due (every 30 s). conninfo, store and
 * q are borrowed. NULL: out of memory. */
figures_t *figures_new(const char *conninfo, int silent_hours, store_t *store, blanes_t *q,
                       void (*publish)(void *ctx, const metrics_t *rows), void *ctx);
/* Closes its connection. */
void figures_free(figures_t **f);

/* The loop's rows (state: the figures_t). */
int64_t figures_ask_when(void *f, int64_t now, int64_t due);
int64_t figures_ask_run(void *f, int64_t now);
int figures_answer_items(void *f, int64_t now, zmq_pollitem_t *it);
int64_t figures_answer_run(void *f, int64_t now);

#endif
