/* committer.c — a batch committed on a thread and connection of its own
 * (see committer.h). */
#include "daemon/committer.h"

#include "proto/ts.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct committer {
    store_t *store; /* the thread's alone */
    reg_t *reg;
    int wake_fd;
    pthread_t thread;
    int started;
    int given; /* the loop's alone: a batch is out */
    /* under mu: the hand-over both ways */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    batch_t *job; /* given, not yet done */
    store_work_t work;
    uint64_t epoch; /* the loop's, with the job */
    batch_t *done;  /* done, not yet taken back */
    committer_result_t result;
    store_stats_t stats; /* the store's, as of the last batch done */
    int quit;
    /* the thread's alone */
    uint64_t conn_epoch; /* the epoch its connection was made in */
};

/* One batch: connect when needed, commit holding the registry. */
static void commit(committer_t *c, store_work_t *w, uint64_t epoch, committer_result_t *r)
{
    r->err[0] = '\0';
    r->unconnected = 0;
    if (!store_connected(c->store) || c->conn_epoch != epoch) {
        if (store_connect(c->store, r->err, sizeof r->err) < 0) {
            r->rc = STORE_DOWN;
            r->unconnected = 1;
            r->synchronous = -1;
            return;
        }
        c->conn_epoch = epoch;
    }
    reg_hold(c->reg);
    r->rc = store_commit(c->store, w, ts_now_us(), r->err, sizeof r->err);
    reg_release(c->reg);
    r->synchronous = store_synchronous(c->store);
}

static void *run(void *arg)
{
    committer_t *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->job && !c->quit)
            pthread_cond_wait(&c->cv, &c->mu);
        if (!c->job) break;
        batch_t *b = c->job;
        store_work_t w = c->work;
        const uint64_t epoch = c->epoch;
        pthread_mutex_unlock(&c->mu);
        committer_result_t r;
        commit(c, &w, epoch, &r);
        pthread_mutex_lock(&c->mu);
        c->result = r;
        c->stats = *store_stats(c->store);
        c->job = NULL;
        c->done = b;
        const uint64_t one = 1;
        if (write(c->wake_fd, &one, sizeof one) < 0) { /* a full counter still wakes the poll */
        }
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

committer_t *committer_new(const char *conninfo, const ledger_cfg_t *lcfg, uint32_t reject_raw_max,
                           store_sync_t sync, reg_t *reg, int wake_fd, char *err, size_t errlen)
{
    committer_t *c = calloc(1, sizeof *c);
    if (!c || !(c->store = store_new(conninfo, lcfg, reject_raw_max))) {
        snprintf(err, errlen, "out of memory");
        free(c);
        return NULL;
    }
    store_set_sync(c->store, sync);
    store_set_migrate(c->store, 0);
    store_set_listen(c->store, 0);
    c->reg = reg;
    c->wake_fd = wake_fd;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    const int rc = pthread_create(&c->thread, NULL, run, c);
    if (rc) {
        snprintf(err, errlen, "starting a committer: %s", strerror(rc));
        committer_free(&c);
        return NULL;
    }
    c->started = 1;
    return c;
}

void committer_free(committer_t **cp)
{
    committer_t *c = *cp;
    if (!c) return;
    if (c->started) {
        pthread_mutex_lock(&c->mu);
        c->quit = 1;
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->thread, NULL);
    }
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    store_free(&c->store);
    free(c);
    *cp = NULL;
}

int committer_give(committer_t *c, batch_t *b, const store_work_t *w, uint64_t epoch)
{
    if (c->given) return -1;
    pthread_mutex_lock(&c->mu);
    c->job = b;
    c->work = *w;
    c->epoch = epoch;
    c->given = 1;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    return 0;
}

batch_t *committer_take(committer_t *c, committer_result_t *r)
{
    if (!c->given) return NULL;
    pthread_mutex_lock(&c->mu);
    batch_t *b = c->done;
    if (b) {
        *r = c->result;
        c->done = NULL;
        c->given = 0;
    }
    pthread_mutex_unlock(&c->mu);
    return b;
}

int committer_busy(const committer_t *c)
{
    return c->given;
}

void committer_add_stats(const committer_t *c, store_stats_t *sum)
{
    committer_t *m = (committer_t *)c; /* the mutex, not the figures */
    pthread_mutex_lock(&m->mu);
    const store_stats_t *s = &c->stats;
    sum->batches += s->batches;
    sum->events += s->events;
    sum->accepted += s->accepted;
    sum->duplicates += s->duplicates;
    sum->rejected += s->rejected;
    sum->deferred += s->deferred;
    sum->retries += s->retries;
    sum->isolated += s->isolated;
    sum->commit_us_total += s->commit_us_total;
    for (int i = 0; i < 5; i++)
        sum->phase_us[i] += s->phase_us[i];
    for (int i = 0; i < 8; i++)
        sum->commit_hist[i] += s->commit_hist[i];
    pthread_mutex_unlock(&m->mu);
}
