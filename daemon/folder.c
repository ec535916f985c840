/* folder.c — see folder.h. */
#include "daemon/folder.h"

#include "daemon/log.h"
#include "db/fold.h"
#include "proto/util.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define TRIM_EVERY       64    /* windows with rows between two trims of the input */
#define TRIM_ROWS        10000 /* rows one trim deletes at most */
#define RETRY_MS         1000  /* after an error, or while another daemon folds */
#define STOP_CATCH_UP_MS 5000  /* folding what is left, when the daemon stops */
#define HAND_HWM         10000 /* windows queued for the loop before handing waits */
#define BEHIND_EVERY_MS  1000  /* while idle or held back: how far behind the figures are */
#define CATCH_UP_ROWS    2000  /* batches in a window that mean a backlog: the next at once */
/* A daemon that does not publish asks for the fold less often, so that
 * after a takeover one that publishes is likelier to get it (every daemon
 * of a database should publish: the stream is the folder's). */
#define QUIET_RETRY_MS 10000
#define HAND_WAIT_MS   2000 /* how long a window waits for room, then is dropped */

const int64_t FOLD_LAG_BOUNDS_US[FOLD_LAG_BUCKETS - 1] = {50000,   100000,  250000, 500000,
                                                          1000000, 2000000, 5000000};

struct folder {
    char *conninfo;
    int interval_ms;
    pthread_t thread;
    _Atomic int stop;
    _Atomic int leading;
    _Atomic uint64_t windows, rows, errors;
    _Atomic int64_t lag_us;
    _Atomic uint64_t epoch, dropped;
    _Atomic uint64_t lag_hist[FOLD_LAG_BUCKETS];
    _Atomic int64_t lag_sum_us;
    void *tx, *rx;     /* the pair: the thread's end, the loop's end */
    uint64_t sent_win; /* the last window handed over (the thread's) */
    char endpoint[64];
};

/* One window to the loop. A loop that does not take it within HAND_WAIT_MS
 * (stopping, or stuck) loses it from the live stream only: subscribers see
 * the unit versions jump and take a snapshot. */
static void hand(folder_t *f, uint64_t win, const uint8_t *content, size_t len)
{
    if (!f->tx || !len) return;
    uint64_t head[2] = {f->epoch, win};
    for (int waited = 0;; waited += 10) {
        if (zmq_send(f->tx, head, sizeof head, ZMQ_SNDMORE | ZMQ_DONTWAIT) == sizeof head) {
            zmq_send(f->tx, content, len, 0); /* the second frame goes with the first */
            f->sent_win = win;
            return;
        }
        if (errno != EAGAIN || waited >= HAND_WAIT_MS || f->stop) break;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    f->dropped++;
    f->sent_win = win;
}

static void hand_again(void *ctx, uint64_t win, const uint8_t *content, size_t len)
{
    hand(ctx, win, content, len);
}

/* This daemon now folds: the stream's epoch, the old slot let go, and the
 * windows the previous folder may not have published. */
static int took_over(folder_t *f, db_t *c, char *err, size_t errlen)
{
    uint64_t epoch = 0, windows = 0;
    if (fold_windows(c, &windows, err, errlen) < 0) return -1;
    /* Fewer windows than this daemon published: the database lost some
     * (an asynchronous standby promoted, a restore). Their numbers and unit
     * versions will be reused for other deltas, which subscribers would
     * skip as repeats: a new epoch makes them take a snapshot. */
    const int lost = f->sent_win > windows;
    if (fold_epoch(c, lost, &epoch, err, errlen) < 0) return -1;
    if (lost)
        log_warn("fold",
                 "the database has %llu windows, this daemon published %llu: windows were lost "
                 "(an asynchronous failover or a restore); new stream epoch %llu",
                 (unsigned long long)windows, (unsigned long long)f->sent_win,
                 (unsigned long long)epoch);
    if (lost) f->sent_win = windows;
    f->epoch = epoch;
    fold_forget_slot(c);
    if (f->tx && fold_republish(c, f->sent_win, hand_again, f, err, errlen) < 0) return -1;
    return 0;
}

static void sleep_ms(const folder_t *f, int ms)
{
    for (int left = ms; left > 0 && !f->stop; left -= 50) {
        struct timespec ts = {0, (left < 50 ? left : 50) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void *run(void *arg)
{
    folder_t *f = arg;
    db_t *c = NULL;
    char err[512];
    unsigned since_trim = 0;
    int64_t behind_at = 0;
    while (!f->stop) {
        if (!c) {
            c = db_connect(f->conninfo, "anttd-fold", err, sizeof err);
            if (!c || fold_session(c, err, sizeof err) < 0) {
                if (!f->errors++ || f->errors % 60 == 0) /* the first, then every minute */
                    log_warn("fold", "cannot connect (figures wait): %s", err);
                db_close(&c);
                sleep_ms(f, RETRY_MS);
                continue;
            }
        }
        if (!f->leading) {
            const int held = fold_lead(c, err, sizeof err);
            if (held < 0) db_close(&c);
            if (held == 1 && took_over(f, c, err, sizeof err) < 0) {
                log_warn("fold", "taking the fold over: %s", err);
                db_close(&c); /* the lock goes with the session */
                sleep_ms(f, RETRY_MS);
                continue;
            }
            if (held == 1 && f->tx)
                log_info("fold",
                         "publishing: this daemon folds the batches and publishes them "
                         "(epoch %llu)",
                         (unsigned long long)f->epoch);
            else if (held == 1)
                log_info("fold", "folding: this daemon adds the batches to the figures");
            f->leading = held == 1;
            if (held != 1) {
                sleep_ms(f, f->tx ? RETRY_MS : QUIET_RETRY_MS);
                continue;
            }
        }
        fold_window_t w;
        const int64_t started = mono_us() / 1000;
        const int rc = fold_once(c, &w, err, sizeof err);
        if (rc < 0) {
            f->errors++;
            log_warn("fold", "a window failed (folded again later): %s", err);
            if (!db_ok(c)) { /* the session is gone, and the lock with it */
                f->leading = 0;
                db_close(&c);
            } /* else (a deadlock, a statement refused): the lead is kept */
            sleep_ms(f, RETRY_MS);
            continue;
        }
        if (w.rows > 0) {
            if (w.unpublished)
                log_warn("fold",
                         "window %llu: deltas of %d unit(s) this build cannot publish (a newer "
                         "build's metric?) are in the figures; their subscribers resnapshot",
                         (unsigned long long)w.windows, w.unpublished);
            hand(f, w.windows, w.content, w.content_len);
            fold_window_clear(&w);
            f->windows++;
            f->rows += (uint64_t)w.rows;
            f->lag_us = w.lag_us;
            int b = 0;
            while (b < FOLD_LAG_BUCKETS - 1 && w.lag_us > FOLD_LAG_BOUNDS_US[b])
                b++;
            f->lag_hist[b]++;
            f->lag_sum_us += w.lag_us;
            if (++since_trim >= TRIM_EVERY) {
                since_trim = 0;
                if (fold_trim(c, TRIM_ROWS, err, sizeof err) < 0)
                    log_warn("fold", "trimming the folded input: %s", err);
            }
            /* A window costs about the same whether it holds ten batches or
             * a thousand (its sums, roll-ups and versions are statements of
             * their own), and it runs on the database's cores that the ack
             * path needs: one window an interval, unless it is catching up
             * (a backlog: folded at once). */
            if (w.rows < CATCH_UP_ROWS)
                sleep_ms(f, f->interval_ms - (int)(mono_us() / 1000 - started));
            continue;
        }
        /* Nothing folded: idle, or held back by a transaction still open.
         * The lag shown is then that of the oldest batch not folded. */
        const int64_t now = mono_us() / 1000;
        if (now - behind_at >= BEHIND_EVERY_MS) {
            int64_t us = 0;
            if (fold_behind(c, &us, err, sizeof err) == 0) f->lag_us = us;
            behind_at = now;
        }
        sleep_ms(f, f->interval_ms);
    }
    /* Stopping: what this daemon acked is folded before it goes (at most
     * STOP_CATCH_UP_MS), so the figures are whole even with no other
     * daemon left to fold. */
    if (c && f->leading && fold_catch_up(c, STOP_CATCH_UP_MS, hand_again, f, err, sizeof err) < 0)
        log_warn("fold", "stopping: the last batches are not folded yet: %s", err);
    db_close(&c);
    return NULL;
}

static void close_pair(folder_t *f)
{
    if (f->tx) zmq_close(f->tx);
    if (f->rx) zmq_close(f->rx);
    f->tx = f->rx = NULL;
}

/* The pair between the thread and the loop (made here, before the thread
 * starts: pthread_create orders the handover of tx to it). */
static int open_pair(folder_t *f, void *zctx)
{
    const int hwm = HAND_HWM, linger = 0;
    snprintf(f->endpoint, sizeof f->endpoint, "inproc://antt-fold-%p", (void *)f);
    f->rx = zmq_socket(zctx, ZMQ_PAIR);
    f->tx = zmq_socket(zctx, ZMQ_PAIR);
    if (!f->rx || !f->tx || zmq_setsockopt(f->rx, ZMQ_RCVHWM, &hwm, sizeof hwm) ||
        zmq_setsockopt(f->tx, ZMQ_SNDHWM, &hwm, sizeof hwm) ||
        zmq_setsockopt(f->rx, ZMQ_LINGER, &linger, sizeof linger) ||
        zmq_setsockopt(f->tx, ZMQ_LINGER, &linger, sizeof linger) || zmq_bind(f->rx, f->endpoint) ||
        zmq_connect(f->tx, f->endpoint)) {
        close_pair(f);
        return -1;
    }
    return 0;
}

folder_t *folder_start(const char *conninfo, int interval_ms, void *zctx, char *err, size_t errlen)
{
    folder_t *f = calloc(1, sizeof *f);
    if (!f || !(f->conninfo = strdup(conninfo))) {
        free(f);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    f->interval_ms = interval_ms;
    if (zctx && open_pair(f, zctx) < 0) {
        snprintf(err, errlen, "the fold's pair: %s", zmq_strerror(errno));
        free(f->conninfo);
        free(f);
        return NULL;
    }
    if (pthread_create(&f->thread, NULL, run, f) != 0) {
        close_pair(f);
        free(f->conninfo);
        free(f);
        snprintf(err, errlen, "cannot start the fold's thread");
        return NULL;
    }
    return f;
}

void *folder_socket(folder_t *f)
{
    return f ? f->rx : NULL;
}

void folder_halt(folder_t *f)
{
    if (!f || f->stop) return;
    f->stop = 1;
    pthread_join(f->thread, NULL);
}

void folder_free(folder_t **fp)
{
    folder_t *f = *fp;
    if (!f) return;
    folder_halt(f);
    close_pair(f);
    free(f->conninfo);
    free(f);
    *fp = NULL;
}

void folder_stats(folder_t *f, folder_stats_t *out)
{
    memset(out, 0, sizeof *out);
    if (!f) return;
    out->leading = f->leading;
    out->windows = f->windows;
    out->rows = f->rows;
    out->errors = f->errors;
    out->lag_us = f->lag_us;
    out->epoch = f->epoch;
    out->dropped = f->dropped;
    for (int i = 0; i < FOLD_LAG_BUCKETS; i++)
        out->lag_hist[i] = f->lag_hist[i];
    out->lag_sum_s = (double)f->lag_sum_us / 1e6;
}
