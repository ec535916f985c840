/* loop.c — the event loop's engine (see loop.h). */
#include "daemon/loop.h"

#include <errno.h>
#include <string.h>
#include <time.h>

static int64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void loop_init(loop_t *l, int64_t (*clock)(void), const volatile sig_atomic_t *stop)
{
    memset(l, 0, sizeof *l);
    l->clock = clock ? clock : monotonic_us;
    l->stop = stop;
    l->last_wait_ms = -1;
}

int loop_add(loop_t *l, const loop_row_t *row)
{
    if (l->nrows >= LOOP_ROWS_MAX || !row->run) return -1;
    l->rows[l->nrows] = *row;
    return l->nrows++;
}

int64_t loop_due(const loop_t *l, int i, int64_t now)
{
    const loop_row_t *r = &l->rows[i];
    return r->when ? r->when(r->state, now, r->due) : r->due;
}

long loop_wait_ms(const loop_t *l, int64_t now, int64_t max_wait_us)
{
    int64_t next = now + max_wait_us;
    for (int i = 0; i < l->nrows; i++) {
        const int64_t w = loop_due(l, i, now);
        if (w != LOOP_EACH_TURN && w < next) next = w;
    }
    return next <= now ? 0 : (long)((next - now + 999) / 1000);
}

static int stopping(const loop_t *l)
{
    return l->stop && *l->stop;
}

static void run(loop_t *l, int i, int64_t now)
{
    loop_row_t *r = &l->rows[i];
    r->due = r->run(r->state, now);
    if (l->after_run) l->after_run(l->ctx);
}

int loop_turn(loop_t *l, int64_t max_wait_us)
{
    const int64_t start = l->clock();
    int64_t now = start;
    for (int i = 0; i < l->nrows && !stopping(l); i++) {
        if (loop_due(l, i, now) <= now) {
            run(l, i, now);
            now = l->clock();
        }
    }
    if (stopping(l)) return 1;

    zmq_pollitem_t items[LOOP_ROWS_MAX * LOOP_ROW_ITEMS];
    uint8_t owner[LOOP_ROWS_MAX * LOOP_ROW_ITEMS];
    int n = 0;
    for (int i = 0; i < l->nrows; i++) {
        const loop_row_t *r = &l->rows[i];
        if (!r->items) continue;
        int k = r->items(r->state, now, &items[n]);
        if (k > LOOP_ROW_ITEMS) k = LOOP_ROW_ITEMS;
        for (; k > 0; k--)
            owner[n++] = (uint8_t)i;
    }
    /* the wait is bounded from the turn's start, not from after its rows */
    l->last_wait_ms = loop_wait_ms(l, now, start + max_wait_us - now);
    if (zmq_poll(items, n, l->last_wait_ms) < 0) return zmq_errno() == EINTR ? 1 : -1;
    now = l->clock();
    for (int i = 0; i < n; i++) {
        if (!items[i].revents) continue;
        run(l, owner[i], now);
        while (i + 1 < n && owner[i + 1] == owner[i]) /* once per row */
            i++;
    }
    return 0;
}
