/* folder.h — the daemon's fold: a thread of its own, on a connection of its
 * own, that adds the committed batches' deltas to the figures (db/fold.h),
 * when this daemon holds the fold's lock (one daemon of a pair folds; the
 * other takes over when its session ends). Off the stations' loop: a
 * window's statements never delay an ack. */
#ifndef ANTT_DAEMON_FOLDER_H
#define ANTT_DAEMON_FOLDER_H

#include <stddef.h>
#include <stdint.h>

typedef struct folder folder_t;

typedef struct {
    int leading;      /* this daemon folds now */
    uint64_t windows; /* windows that folded rows, since start */
    uint64_t rows;    /* fold_input rows folded, since start */
    uint64_t errors;  /* windows that failed (folded again later) */
    int64_t lag_us;   /* the last window with rows: how long its oldest row waited */
} folder_stats_t;

/* Start folding on conninfo: look again interval_ms after a window that
 * found nothing. NULL with err. */
folder_t *folder_start(const char *conninfo, int interval_ms, char *err, size_t errlen);
void folder_stop(folder_t **f);
void folder_stats(folder_t *f, folder_stats_t *out);

#endif
