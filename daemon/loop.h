/* loop.h — a small event loop over zmq_poll (Redis's ae, CZMQ's zloop).
 *
 * A loop is a table of rows, each {items, when, run, state}: the sockets or
 * descriptors the row waits on now, when it is next due, what to run, and
 * the state it runs on. One turn:
 *   1. every row that is due (its time has come, or LOOP_EACH_TURN) runs, in
 *      table order, the clock read again after each;
 *   2. one zmq_poll of every row's items, waiting until the earliest due row
 *      (at most max_wait_us);
 *   3. every row with a ready item runs, once, in table order.
 * A row's run returns when it is next due; its when, if any, may put that
 * later or earlier from what else it knows (a gate: "not while the database
 * is down"), and is asked afresh on every turn. The engine knows nothing of
 * what the rows do, and its clock can be replaced (tests). */
#ifndef ANTT_DAEMON_LOOP_H
#define ANTT_DAEMON_LOOP_H

#include <signal.h>
#include <stdint.h>
#include <zmq.h>

#define LOOP_NEVER     INT64_MAX /* not due: runs only when its items are ready */
#define LOOP_EACH_TURN INT64_MIN /* due at every turn, without shortening the wait */
#define LOOP_ROWS_MAX  32
#define LOOP_ROW_ITEMS 2 /* items one row may wait on */

/* Fill it[0 .. LOOP_ROW_ITEMS-1] with what the row waits on now; returns how
 * many (0: nothing now). */
typedef int (*loop_items_fn)(void *state, int64_t now, zmq_pollitem_t *it);
/* When the row is next due, given due, what its run last returned. */
typedef int64_t (*loop_when_fn)(void *state, int64_t now, int64_t due);
/* Run the row; returns when it is next due (LOOP_NEVER, LOOP_EACH_TURN, or a time). */
typedef int64_t (*loop_run_fn)(void *state, int64_t now);

typedef struct {
    const char *name;    /* for the reader and for errors */
    loop_items_fn items; /* NULL: waits on nothing */
    loop_when_fn when;   /* NULL: due is when run said */
    loop_run_fn run;
    void *state; /* the row's own (borrowed) */
    int64_t due; /* first due time, then what run returned */
} loop_row_t;

typedef struct {
    loop_row_t rows[LOOP_ROWS_MAX];
    int nrows;
    int64_t (*clock)(void);            /* monotonic microseconds */
    const volatile sig_atomic_t *stop; /* set: the turn ends at the next row */
    void (*after_run)(void *ctx);      /* after every run of a row; may be NULL */
    void *ctx;
    long last_wait_ms; /* the timeout of the last poll (-1 before any) */
} loop_t;

/* An empty loop. clock NULL: CLOCK_MONOTONIC. stop may be NULL. */
void loop_init(loop_t *l, int64_t (*clock)(void), const volatile sig_atomic_t *stop);

/* Append a row (it runs after the rows added before it): its index, or -1
 * when the table is full. */
int loop_add(loop_t *l, const loop_row_t *row);

/* The time row i is next due now (its when asked). */
int64_t loop_due(const loop_t *l, int i, int64_t now);

/* The poll's timeout in ms for a turn at now: until the earliest due row
 * (rounded up), 0 when one is due, at most max_wait_us. */
long loop_wait_ms(const loop_t *l, int64_t now, int64_t max_wait_us);

/* One turn. 0 after the poll and the ready rows; 1 when it ended early (stop
 * set, or the poll interrupted by a signal); -1 when zmq_poll failed
 * otherwise (errno as zmq_errno()). */
int loop_turn(loop_t *l, int64_t max_wait_us);

#endif
