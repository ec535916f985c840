/* folder.c — see folder.h. */
#include "daemon/folder.h"

#include "daemon/log.h"
#include "db/fold.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TRIM_EVERY       64    /* windows with rows between two trims of the input */
#define TRIM_ROWS        10000 /* rows one trim deletes at most */
#define RETRY_MS         1000  /* after an error, or while another daemon folds */
#define STOP_CATCH_UP_MS 5000  /* folding what is left, when the daemon stops */

struct folder {
    char *conninfo;
    int interval_ms;
    pthread_t thread;
    _Atomic int stop;
    _Atomic int leading;
    _Atomic uint64_t windows, rows, errors;
    _Atomic int64_t lag_us;
};

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
            if (held == 1) log_info("fold", "folding: this daemon adds the batches to the figures");
            f->leading = held == 1;
            if (held != 1) {
                sleep_ms(f, RETRY_MS);
                continue;
            }
        }
        fold_window_t w;
        const int rc = fold_once(c, &w, err, sizeof err);
        if (rc < 0) {
            f->errors++;
            log_warn("fold", "a window failed (folded again later): %s", err);
            f->leading = 0; /* the lock goes with the session */
            db_close(&c);
            sleep_ms(f, RETRY_MS);
            continue;
        }
        if (w.rows > 0) {
            f->windows++;
            f->rows += (uint64_t)w.rows;
            f->lag_us = w.lag_us;
            if (++since_trim >= TRIM_EVERY) {
                since_trim = 0;
                if (fold_trim(c, TRIM_ROWS, err, sizeof err) < 0)
                    log_warn("fold", "trimming the folded input: %s", err);
            }
            continue; /* more may have ended meanwhile */
        }
        sleep_ms(f, f->interval_ms);
    }
    /* Stopping: what this daemon acked is folded before it goes (at most
     * STOP_CATCH_UP_MS), so the figures are whole even with no other
     * daemon left to fold. */
    if (c && fold_catch_up(c, STOP_CATCH_UP_MS, err, sizeof err) < 0)
        log_warn("fold", "stopping: the last batches are not folded yet: %s", err);
    db_close(&c);
    return NULL;
}

folder_t *folder_start(const char *conninfo, int interval_ms, char *err, size_t errlen)
{
    folder_t *f = calloc(1, sizeof *f);
    if (!f || !(f->conninfo = strdup(conninfo))) {
        free(f);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    f->interval_ms = interval_ms;
    if (pthread_create(&f->thread, NULL, run, f) != 0) {
        free(f->conninfo);
        free(f);
        snprintf(err, errlen, "cannot start the fold's thread");
        return NULL;
    }
    return f;
}

void folder_stop(folder_t **fp)
{
    folder_t *f = *fp;
    if (!f) return;
    f->stop = 1;
    pthread_join(f->thread, NULL);
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
}
