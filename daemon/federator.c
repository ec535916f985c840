/* federator.c — see federator.h. */
#include "daemon/federator.h"

#include "daemon/log.h"
#include "db/pg.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct federator {
    char *conninfo;
    int check_s, auto_resync;
    pthread_t thread;
    _Atomic int stop;
    pthread_mutex_t mu; /* guards stats */
    federator_stats_t stats;
    int down_quiet; /* checks in a row this province's reference feed was stalled */
    /* checks in a row each province's worker was not heard from, by code */
    char qcode[FEDERATOR_MAX][4];
    int quiet[FEDERATOR_MAX];
};

/* Sleep ms in short steps, returning early when asked to stop. */
static void nap(federator_t *f, int ms)
{
    for (int t = 0; t < ms && !f->stop; t += 100) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void resync(federator_t *f, db_t *c, const char *code)
{
    char err[1024];
    const int missing = fed_slot_missing(c, code, err, sizeof err);
    if (missing < 0) log_warn("federation", "province %s: %s", code, err);
    if (missing != 1) return;
    log_warn("federation",
             "province %s: its primary has no slot for the Ministry (a failover, or a slot past "
             "max_slot_wal_keep_size), or a resync was left unfinished: resyncing",
             code);
    fed_resync_t r;
    const int rc = fed_resync(c, code, &r, err, sizeof err);
    if (rc == FED_BUSY) { /* another daemon or an operator is at it */
        log_info("federation", "province %s: %s", code, err);
        return;
    }
    pthread_mutex_lock(&f->mu);
    f->stats.resyncs += rc == 0;
    f->stats.resync_failures += rc != 0;
    pthread_mutex_unlock(&f->mu);
    if (rc < 0)
        log_error("federation",
                  "province %s: resync failed (tried again at the next check; by hand: anttd "
                  "--federation-resync %s): %s",
                  code, code, err);
    else
        log_info("federation",
                 "province resynced code=%s stream_from=%s keys_corrected=%ld days_differing=%ld"
                 " events_added=%ld events_removed=%ld case_rows=%ld",
                 code, r.lsn, r.keys, r.days_differing, r.events_added, r.events_removed, r.cases);
}

/* On a province's database: its reference feed from the Ministry, taken
 * again when the Ministry's primary has no slot for it (its failover). */
static void check_down(federator_t *f, db_t *c)
{
    char code[8], err[1024];
    const int st = fed_reference_stalled(c, code, err, sizeof err);
    if (st < 0) {
        log_warn("federation", "the reference feed: %s", err);
        return;
    }
    f->down_quiet = st ? f->down_quiet + 1 : 0;
    if (st != 1 || f->down_quiet < 2 || !f->auto_resync) return;
    f->down_quiet = 0;
    log_warn("federation", "the Ministry's primary has no slot for this province's reference data"
                           " (the Ministry failed over): taking it again");
    fed_resync_t r;
    const int rc = fed_reference(c, code, NULL, &r, err, sizeof err);
    pthread_mutex_lock(&f->mu);
    f->stats.resyncs += rc == 0;
    f->stats.resync_failures += rc != 0;
    pthread_mutex_unlock(&f->mu);
    if (rc < 0)
        log_error("federation",
                  "the reference data: %s (tried again at the next check; by hand: anttd "
                  "--federation-reference %s)",
                  err, code);
    else
        log_info("federation",
                 "reference data taken again from the Ministry stream_from=%s rows=%ld", r.lsn,
                 r.cases);
}

static void check(federator_t *f, db_t *c)
{
    check_down(f, c);
    fed_status_t now[FEDERATOR_MAX];
    char err[512];
    const int n = fed_status(c, now, FEDERATOR_MAX, err, sizeof err);
    if (n < 0) {
        log_warn("federation", "the provinces' feeds: %s", err);
        return;
    }
    pthread_mutex_lock(&f->mu);
    f->stats.n = n;
    memcpy(f->stats.p, now, (size_t)n * sizeof now[0]);
    pthread_mutex_unlock(&f->mu);
    int quiet[FEDERATOR_MAX];
    for (int i = 0; i < n; i++) {
        int before = 0;
        for (int j = 0; j < FEDERATOR_MAX && f->qcode[j][0]; j++)
            if (!strcmp(f->qcode[j], now[i].code)) before = f->quiet[j];
        quiet[i] = now[i].streaming ? 0 : before + 1;
    }
    memset(f->qcode, 0, sizeof f->qcode);
    for (int i = 0; i < n; i++) {
        memcpy(f->qcode[i], now[i].code, sizeof f->qcode[i]);
        f->quiet[i] = quiet[i];
    }
    for (int i = 0; i < n && !f->stop; i++)
        if (f->auto_resync && quiet[i] >= 2) {
            resync(f, c, now[i].code);
            f->quiet[i] = 0; /* two more checks before the next try */
        }
}

static void *run(void *arg)
{
    federator_t *f = arg;
    db_t *c = NULL;
    while (!f->stop) {
        if (!db_ok(c)) {
            db_close(&c);
            char err[512];
            if (!(c = db_connect(f->conninfo, "anttd-federation", err, sizeof err))) {
                nap(f, 1000 * f->check_s);
                continue;
            }
        }
        check(f, c);
        nap(f, 1000 * f->check_s);
    }
    db_close(&c);
    return NULL;
}

federator_t *federator_start(const char *conninfo, int check_s, int auto_resync, char *err,
                             size_t errlen)
{
    err[0] = '\0';
    if (check_s <= 0) return NULL;
    federator_t *f = calloc(1, sizeof *f);
    if (!f || !(f->conninfo = strdup(conninfo ? conninfo : ""))) {
        free(f);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    f->check_s = check_s;
    f->auto_resync = auto_resync;
    pthread_mutex_init(&f->mu, NULL);
    if (pthread_create(&f->thread, NULL, run, f) != 0) {
        pthread_mutex_destroy(&f->mu);
        free(f->conninfo);
        free(f);
        snprintf(err, errlen, "cannot start the federation's thread");
        return NULL;
    }
    return f;
}

void federator_free(federator_t **fp)
{
    federator_t *f = *fp;
    if (!f) return;
    f->stop = 1;
    pthread_join(f->thread, NULL);
    pthread_mutex_destroy(&f->mu);
    free(f->conninfo);
    free(f);
    *fp = NULL;
}

void federator_stats(federator_t *f, federator_stats_t *out)
{
    if (!f) {
        memset(out, 0, sizeof *out);
        return;
    }
    pthread_mutex_lock(&f->mu);
    *out = f->stats;
    pthread_mutex_unlock(&f->mu);
}
