/* folder.h — the daemon's fold: a thread of its own, on a connection of its
 * own, that adds the committed batches' deltas to the figures (db/fold.h),
 * when this daemon holds the fold's lock (one daemon of a pair folds; the
 * other takes over when its session ends). Off the stations' loop: a
 * window's statements never delay an ack.
 *
 * The fold is also the stream's source: after each window commits, the
 * thread hands exactly what it committed (epoch, window, content) to the
 * loop through an inproc socket (folder_socket), and the loop publishes it
 * (daemon/publisher.h). On taking the fold over, it hands again the windows
 * its predecessor may not have sent (db/fold.h, fold_republish). */
#ifndef ANTT_DAEMON_FOLDER_H
#define ANTT_DAEMON_FOLDER_H

#include <stddef.h>
#include <stdint.h>

typedef struct folder folder_t;

#define FOLD_LAG_BUCKETS 8
extern const int64_t FOLD_LAG_BOUNDS_US[FOLD_LAG_BUCKETS - 1];

typedef struct {
    int leading;      /* this daemon folds now */
    uint64_t windows; /* windows that folded rows, since start */
    uint64_t rows;    /* fold_input rows folded, since start */
    uint64_t errors;  /* windows that failed (folded again later) */
    int64_t lag_us;   /* the last window with rows: how long its oldest row waited */
    uint64_t epoch;   /* the stream's, once this daemon has folded */
    uint64_t dropped; /* windows not handed to the loop (it did not take them) */
    /* windows with rows by lag (oldest batch to COMMIT): <= 0.05, 0.1, 0.25,
     * 0.5, 1, 2, 5 s, more; and the sum */
    uint64_t lag_hist[FOLD_LAG_BUCKETS];
    double lag_sum_s;
} folder_stats_t;

/* Start folding on conninfo: look again interval_ms after a window that
 * found nothing. zctx: hand the windows to the loop through an inproc pair
 * made in it (NULL: the stream is off, nothing is handed). NULL with err. */
folder_t *folder_start(const char *conninfo, int interval_ms, void *zctx, char *err, size_t errlen);
/* Stop folding: the thread folds what is left (a few seconds at most) and
 * ends; what it handed over stays on folder_socket for the loop to take. */
void folder_halt(folder_t *f);
void folder_free(folder_t **f);
void folder_stats(folder_t *f, folder_stats_t *out);

/* The loop's end of the pair (a ZeroMQ socket; NULL when the stream is off).
 * Each message: frame 1 = epoch and window (two uint64, host order),
 * frame 2 = the window's content (db/tallylog.h). */
void *folder_socket(folder_t *f);

#define FOLDER_HEAD_BYTES 16

#endif
