/* daemon.c — the batch path (take -> batch -> commit -> replies) and the
 * loop's table of rows (see daemon.h, daemon/README.md). */
#include "daemon/daemon.h"

#include "daemon/log.h"
#include "proto/decode.h"
#include "proto/err.h"
#include "proto/ts.h"
#include "proto/util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

volatile sig_atomic_t daemon_stop, daemon_reload;

ledger_cfg_t daemon_ledger_cfg(const cfg_t *c)
{
    const int64_t day = 86400LL * 1000000;
    ledger_cfg_t l = {
        .utc_offset_us = (int64_t)c->utc_offset_min * 60 * 1000000,
        .law = {.utc_offset_us = (int64_t)c->utc_offset_min * 60 * 1000000,
                .limit_days = c->tipoff_limit_days,
                .receipt_day_counts = c->tipoff_receipt_day_counts,
                .complex_months = c->tipoff_complex_months,
                .procuracy_months = c->tipoff_procuracy_months},
        .orphan_max_age_us = c->orphan_max_age_days * day,
    };
    return l;
}

static void publish_metrics(daemon_t *d);

/* What the services say changed: /metrics and /healthz follow. */
static void show(void *ctx)
{
    publish_metrics(ctx);
}

/* The province figures, or (rows NULL) only the figures sampled with them. */
static void show_provinces(void *ctx, const metrics_t *rows)
{
    daemon_t *d = ctx;
    if (rows) {
        memcpy(d->met.prov, rows->prov, sizeof rows->prov);
        memcpy(d->met.resolution_rate, rows->resolution_rate, sizeof rows->resolution_rate);
        memcpy(d->met.overdue, rows->overdue, sizeof rows->overdue);
        memcpy(d->met.silent, rows->silent, sizeof rows->silent);
        memcpy(d->met.losing, rows->losing, sizeof rows->losing);
        memcpy(d->met.last_message, rows->last_message, sizeof rows->last_message);
        d->met.nprov = rows->nprov;
    }
    publish_metrics(d);
}

/* The gauges that move between batches: events held, connections. */
static void show_gauges(void *ctx)
{
    daemon_t *d = ctx;
    d->met.connected = nodestatus_connected(d->nodes);
    metrics_update_gauges(d->http, d->met.queue_events, d->met.connected);
}

int daemon_init(daemon_t *d, const cfg_t *cfg, const char *config_path, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->cfg = *cfg;
    d->config_path = config_path;
    log_set_level((log_level_t)log_level_parse(cfg->log_level));
    ledger_cfg_t l = daemon_ledger_cfg(cfg);
    d->reg = reg_new(l.utc_offset_us);
    /* The ledger asks the registry which groups are crimes and where a
     * dissolved unit's work went. */
    reg_ledger_hooks(d->reg, &l);
    d->store = d->reg ? store_new(cfg->db, &l, (uint32_t)cfg->reject_raw_max) : NULL;
    d->wake_fd = -1;
    d->synchronous = -1;
    if (!d->store || !d->reg ||
        blanes_init(&d->q, (uint32_t)cfg_store_connections(cfg), (uint32_t)cfg->batch_max_events,
                    (uint32_t)cfg->queue_max_events) < 0) {
        snprintf(err, errlen, "out of memory");
        daemon_fini(d);
        return -1;
    }
    d->limit = limit_new((uint32_t)cfg->node_rate, (uint32_t)cfg->node_burst);
    d->regwatch = regwatch_new(d->reg, d->store, &d->in, &l, cfg->utc_offset_min, show, d);
    d->link = d->regwatch ? dblink_new(d->store, &d->q, d->regwatch, cfg->reconnect_max_ms,
                                       cfg->synchronous_acks, &daemon_stop)
                          : NULL;
    d->nodes = nodestatus_new(d->store, &d->q, &d->in, cfg->listen, show_gauges, d);
    d->housekeep = housekeep_new(d->store, &d->q, &d->in, cfg->overdue_record_seconds,
                                 cfg->refusal_records_per_min);
    if (!d->limit || !d->regwatch || !d->link || !d->nodes || !d->housekeep) {
        snprintf(err, errlen, "out of memory");
        daemon_fini(d);
        return -1;
    }
    store_set_migrate(d->store, cfg->migrate_on_start);
    store_set_sync(d->store, (store_sync_t)cfg_sync_parse(cfg->synchronous_acks));
    msgpack_sbuffer_init(&d->sbuf);
    msgpack_packer_init(&d->pk, &d->sbuf, msgpack_sbuffer_write);
    loop_init(&d->loop, mono_us, &daemon_stop);
    return 0;
}

void daemon_fini(daemon_t *d)
{
    for (uint32_t i = 0; i < BLANES_MAX; i++)
        committer_free(&d->committers[i]);
    if (d->wake_fd >= 0) close(d->wake_fd);
    d->wake_fd = -1;
    blanes_free(&d->q);
    publisher_free(&d->publisher);
    metrics_watch_federator(d->http, NULL);
    federator_free(&d->federator);
    folder_free(&d->folder);
    figures_free(&d->figures);
    housekeep_free(&d->housekeep);
    nodestatus_free(&d->nodes);
    dblink_free(&d->link);
    regwatch_free(&d->regwatch);
    store_free(&d->store);
    reg_free(&d->reg);
    limit_free(&d->limit);
    msgpack_sbuffer_destroy(&d->sbuf);
    memset(&d->sbuf, 0, sizeof d->sbuf);
}

/* ---- replies ----------------------------------------------------------- */

/* Reply at once to a message refused whole, echoing its envelope frames
 * (frames[0] is the routing id; nframes 1 when the envelope itself was bad). */
static void reply_whole(daemon_t *d, const zmq_msg_t *frames, int nframes, int code,
                        const char *msg)
{
    if (!d->in.router) return;
    msgpack_sbuffer_clear(&d->sbuf);
    ack_reply_begin(&d->pk, code, msg, 0);
    const uint8_t *f[BATCH_MAX_FRAMES];
    uint8_t fl[BATCH_MAX_FRAMES];
    if (nframes > BATCH_MAX_FRAMES) nframes = 1;
    for (int i = 0; i < nframes; i++) {
        f[i] = zmq_msg_data((zmq_msg_t *)&frames[i]);
        fl[i] = (uint8_t)zmq_msg_size((zmq_msg_t *)&frames[i]);
    }
    intake_reply(&d->in, f, fl, nframes, d->sbuf.data, d->sbuf.size);
}

const msgpack_sbuffer *daemon_ack(daemon_t *d, const batch_t *b, const bmsg_t *m)
{
    msgpack_sbuffer_clear(&d->sbuf);
    ack_reply_begin(&d->pk, 0, NULL, m->count);
    for (uint32_t i = 0; i < m->count; i++) {
        const store_ev_t *e = &b->ev[m->first + i];
        ack_t a = {.index = i,
                   .has_id = (e->ev.present & EVB(EVF_ID)) != 0,
                   .status = e->v.status,
                   .code = e->v.code,
                   .field = ev_cstr(e->v.field),
                   .msg = ev_cstr(e->v.msg)};
        memcpy(a.id, e->ev.id, 16);
        ack_pack(&d->pk, &a);
    }
    return &d->sbuf;
}

static void reply_batch(daemon_t *d, const batch_t *b)
{
    if (!d->in.router) return;
    for (uint32_t mi = 0; mi < b->nmsg; mi++) {
        const bmsg_t *m = batch_msg_at(b, mi);
        if (m->path != PATH_ACKED || m->code) continue;
        const msgpack_sbuffer *sb = daemon_ack(d, b, m);
        const uint8_t *f[BATCH_MAX_FRAMES];
        for (int k = 0; k < m->nframes; k++)
            f[k] = batch_frame(b, m, k);
        intake_reply(&d->in, f, m->flen, m->nframes, sb->data, sb->size);
    }
}

/* ---- taking a message -------------------------------------------------- */

/* Keep a refusal for antt.rejects (written with the next batch). */
static void record(daemon_t *d, path_t path, const char *node, int code, const char *msg,
                   const void *raw, size_t len)
{
    const uint32_t lane = blanes_lane(&d->q, node, node ? strlen(node) : 0);
    batch_t *b = blanes_open(&d->q, lane, 1);
    bmsg_t *m = b ? batch_msg(b, path, NULL, NULL, 0, mono_us()) : NULL;
    if (!m) return;
    m->code = code;
    snprintf(m->msg, sizeof m->msg, "%s", msg);
    snprintf(m->node, sizeof m->node, "%s", node ? node : "");
    if (raw) batch_keep_raw(b, m, raw, len, (size_t)d->cfg.reject_raw_max);
    batch_weigh(b, 1);
}

/* A message refused whole: answered now, recorded with the next batch
 * unless keep is 0 (a flood's refusals are counted, not each stored). */
static void refuse(daemon_t *d, path_t path, const zmq_msg_t *env, int nenv, zmq_msg_t *payload,
                   const char *node, int code, const char *msg, int keep)
{
    d->refused_msgs++;
    if (path == PATH_ACKED && env && nenv > 0) reply_whole(d, env, nenv, code, msg);
    if (keep)
        record(d, path, node, code, msg, zmq_msg_data(payload), zmq_msg_size(payload));
    else if (code > 0 && code < METRICS_CODES)
        d->met.rejects[code]++;
    zmq_msg_close(payload);
    zmq_msg_init(payload);
}

/* A handshake the ZAP handler refused: counted, logged and recorded once a
 * minute per key (a stranger retrying every second fills nothing). */
static void handshake_refused(void *ctx, const auth_refusal_t *r)
{
    daemon_t *d = ctx;
    if (!r->record) {
        d->met.rejects[ANTT_E_KEY_REFUSED]++;
        return;
    }
    char msg[192];
    snprintf(msg, sizeof msg, "%s connection from %s refused: %s (key %s)",
             r->dom == REG_NODES ? "node" : "subscriber", r->address, r->why,
             r->key[0] ? r->key : "none");
    log_warn("auth", "%s%s%s", msg, r->user ? "; owner " : "", r->user ? r->user : "");
    record(d, PATH_HANDSHAKE, r->user, ANTT_E_KEY_REFUSED, msg, NULL, 0);
}

void daemon_take(daemon_t *d, path_t path, zmq_msg_t *frames, int nframes, int toomany,
                 const char *auth_node)
{
    zmq_msg_t *payload = &frames[nframes - 1];
    const zmq_msg_t *env = path == PATH_ACKED ? frames : NULL;
    int nenv = nframes - 1; /* frames echoed in the reply: routing id + envelope */
    d->msgs++;

    if (path == PATH_ACKED && nframes < 2) return; /* a ROUTER always gives a routing id */
    if (toomany || (path == PATH_PUBLISH && nframes != 1)) {
        refuse(d, path, env, 1, payload, auth_node, ANTT_E_MALFORMED, /* echo the routing id only */
               path == PATH_ACKED ? "more than 4 envelope frames before the payload"
                                  : "publish-only messages have exactly one frame",
               1);
        return;
    }
    for (int i = 1; i < nenv; i++)
        if (zmq_msg_size(&frames[i]) > 255) {
            refuse(d, path, env, 1, payload, auth_node, ANTT_E_MALFORMED,
                   "an envelope frame over 255 bytes", 1);
            return;
        }

    dec_msg_t m;
    dec_err_t e;
    if (dec_open(&m, zmq_msg_data(payload), zmq_msg_size(payload), ts_now_us(), &e) < 0) {
        refuse(d, path, env, nenv, payload, auth_node, e.code, e.msg, 1);
        return;
    }
    /* The node's rate, before anything is stored or allocated for it. */
    if (auth_node && !limit_take(d->limit, auth_node, m.count, mono_us())) {
        int64_t now = mono_us();
        int keep = now - d->limit_logged_us > 10000000; /* one row and line per 10 s */
        d->limited_msgs++;
        if (keep) {
            log_warn("intake",
                     "node %s over its rate (%d events/s, burst %d): refusing with 402"
                     " limited_messages=%llu",
                     auth_node, d->cfg.node_rate, d->cfg.node_burst,
                     (unsigned long long)d->limited_msgs);
            d->limit_logged_us = now;
        }
        refuse(d, path, env, nenv, payload, auth_node, ANTT_E_RATE_LIMITED,
               "over this node's event rate; resend later", keep);
        return;
    }
    /* Its lane: the node's, so that its messages commit and are answered
     * in the order they came (daemon/batch.h). */
    uint32_t lane = 0;
    if (d->q.n > 1) {
        const char *node = auth_node;
        size_t nlen = node ? strlen(node) : 0;
        if (!node && dec_node(&m, &node, &nlen) < 0) node = NULL, nlen = 0;
        lane = blanes_lane(&d->q, node, nlen);
    }
    d->last_lane = lane;
    batch_t *b = blanes_open(&d->q, lane, m.count);
    if (!b) { /* the loop stops reading before this can happen */
        refuse(d, path, env, nenv, payload, auth_node, ANTT_E_INTERNAL,
               "server queue full; resend later", 1);
        return;
    }
    const void *before = zmq_msg_data(payload);
    bmsg_t *bm = batch_msg(b, path, payload, frames, path == PATH_ACKED ? nenv : 0, mono_us());
    if (!bm) {
        log_error("intake", "out of memory taking a message");
        return;
    }
    /* A small zmq_msg_t holds its bytes inside itself, and it has moved:
     * the decoder reads on from the payload's new home (no second pass). */
    dec_move(&m, before, zmq_msg_data(&bm->payload));
    for (uint32_t i = 0; i < m.count; i++) {
        store_ev_t *ev = batch_event(b, bm);
        if (!ev) {
            log_error("intake", "out of memory taking an event");
            return;
        }
        d->events_in++;
        int rc = dec_next(&m, &ev->ev, &e);
        if (rc < 0) {
            ev->fixed = 1;
            ev->v.status = ACK_REJECTED;
            ev->v.code = e.code;
            ev->v.field = e.field;
            snprintf(ev->v.msg, sizeof ev->v.msg, "%.159s", e.msg);
        } else {
            regwatch_admit(d->regwatch, ev, auth_node);
        }
    }
}

/* ---- committing -------------------------------------------------------- */

/* Lane i's oldest batch may go to its committer now (full, sealed, another
 * behind it, or batch_max_ms old), the database permitting. */
static int lane_due(const daemon_t *d, uint32_t i, int64_t now)
{
    const bqueue_t *q = &d->q.lane[i];
    const batch_t *b = q->n ? q->ring[q->head] : NULL;
    if (!b || !b->weight || committer_busy(d->committers[i])) return 0;
    return q->n > 1 || b->sealed || b->weight >= q->max_weight ||
           now - b->opened_us >= (int64_t)d->cfg.batch_max_ms * 1000;
}

/* The committers' statistics, summed (the loop's own store commits nothing). */
static void store_totals(const daemon_t *d, store_stats_t *st)
{
    memset(st, 0, sizeof *st);
    for (uint32_t i = 0; i < d->q.n; i++)
        if (d->committers[i]) committer_add_stats(d->committers[i], st);
}

/* ---- metrics ------------------------------------------------------------ */

static void publish_metrics(daemon_t *d)
{
    if (!d->http) return;
    store_stats_t totals;
    store_totals(d, &totals);
    const store_stats_t *st = &totals;
    memcpy(d->met.commit_hist, st->commit_hist, sizeof d->met.commit_hist);
    d->met.commit_sum_s = (double)st->commit_us_total / 1e6;
    const uint32_t held = blanes_held(&d->q);
    d->met.queue_events = held;
    if (held > d->met.queue_peak_events) d->met.queue_peak_events = held;
    d->met.queue_capacity = (uint64_t)d->cfg.queue_max_events;
    d->met.db_up = store_connected(d->store);
    d->met.intake_paused = d->queue_full || !d->met.db_up;
    d->met.schema_ok = d->met.db_up; /* store_connect checked the schema version */
    d->met.stream_publishing = publisher_leading(d->publisher);
    folder_stats_t fs;
    folder_stats(d->folder, &fs);
    d->met.fold_leading = fs.leading;
    d->met.fold_windows = fs.windows;
    d->met.fold_rows = fs.rows;
    d->met.fold_errors = fs.errors;
    d->met.fold_lag_s = (double)fs.lag_us / 1e6;
    d->met.stream_windows = publisher_windows(d->publisher);
    d->met.stream_dropped = fs.dropped;
    memcpy(d->met.fold_lag_hist, fs.lag_hist, sizeof d->met.fold_lag_hist);
    d->met.fold_lag_sum_s = fs.lag_sum_s;
    d->met.synchronous = d->synchronous >= 0 ? d->synchronous : store_synchronous(d->store);
    d->met.held_unsafe = d->unsafe_until_us != 0;
    d->met.registry_stale = regwatch_stale(d->regwatch);
    d->met.registry_failures = regwatch_failures(d->regwatch);
    d->met.days_off_last_year = reg_days_off_last_year(d->reg);
    d->met.failovers = dblink_failovers(d->link);
    d->met.connected = nodestatus_connected(d->nodes);
    d->met.events_isolated = st->isolated;
    if (d->snap) {
        const snap_stats_t *ss = snap_stats(d->snap);
        d->met.snap_served = ss->served;
        d->met.snap_failed = ss->failed;
        d->met.snap_bad = ss->bad;
        d->met.snap_scope = ss->scope;
        d->met.snap_busy = ss->busy + ss->busy_late;
        d->met.snap_peer = ss->peer;
        d->met.snap_dropped = ss->dropped;
        d->met.snap_inflight = ss->inflight;
        d->met.snap_held_bytes = ss->held_bytes;
    }
    d->met.subs_refused = stream_subs_refused(d->stream);
    d->met.subs_cut = stream_subs_cut(d->stream);
    d->met.replies_dropped = d->in.replies_dropped;
    if (d->in.auth) {
        const auth_stats_t *a = auth_stats(d->in.auth);
        d->met.handshakes_allowed = a->allowed;
        d->met.handshakes_refused = a->refused;
        d->met.refusals_unrecorded = a->unrecorded;
        d->met.connections_cut = a->cut;
    }
    metrics_update(d->http, &d->met);
}

static void count_batch(daemon_t *d, const batch_t *b)
{
    metrics_t *m = &d->met;
    for (uint32_t mi = 0; mi < b->nmsg; mi++) {
        const bmsg_t *bm = batch_msg_at(b, mi);
        if (bm->code > 0 && bm->code < METRICS_CODES) m->rejects[bm->code]++;
    }
    for (uint32_t i = 0; i < b->nev; i++) {
        const store_ev_t *e = &b->ev[i];
        if (e->ev.type > EV_NONE && e->ev.type < EV_TYPE_COUNT && e->v.status < 4)
            m->events[e->ev.type][e->v.status]++;
        if ((e->v.status == ACK_REJECTED || e->v.status == ACK_DEFERRED) && e->v.code > 0 &&
            e->v.code < METRICS_CODES)
            m->rejects[e->v.code]++;
    }
    static const uint32_t bounds[5] = {1, 10, 100, 1000, 10000};
    int k = 0;
    while (k < 5 && b->nev > bounds[k])
        k++;
    m->batch_hist[k]++;
    m->batch_sum += b->nev;
    m->batches++;
    publish_metrics(d);
}

/* A batch back from lane i's committer: answered, or (the database down,
 * not replicating synchronously) kept at the lane's head for another try. */
static void finish(daemon_t *d, uint32_t i, batch_t *b, const committer_result_t *r)
{
    const char *err = r->err;
    store_rc_t rc = r->rc;
    /* Lanes answer out of order: a batch handed over before the one that
     * found the database unsafe (or safe) says nothing newer about it. */
    const int fresh = d->lane_given_us[i] >= d->state_given_us;
    if (fresh && r->synchronous >= 0) d->synchronous = r->synchronous;
    if (rc == STORE_DOWN) {
        /* The lane tries again once the loop's connection is back, and
         * backs off while its own cannot be made (the server full). */
        const int64_t now = mono_us();
        int64_t ms = d->lane_backoff_ms[i] ? d->lane_backoff_ms[i] * 2 : 100;
        if (ms > d->cfg.reconnect_max_ms) ms = d->cfg.reconnect_max_ms;
        d->lane_backoff_ms[i] = ms;
        d->lane_retry_us[i] = now + ms * 1000;
        if (!store_connected(d->store)) return; /* said already */
        if (r->unconnected && store_ping(d->store) == 0) {
            /* The lane's own connection could not be made (the server
             * full, say) while the loop's still answers: the lane waits,
             * the others and the loop's connection go on. */
            if (ms == 100 || ms == d->cfg.reconnect_max_ms)
                log_warn("store", "a committer cannot connect, its lane waits: %s", err);
            return;
        }
        log_warn("store", "database connection lost, holding %u events: %s", blanes_held(&d->q),
                 err);
        sd_notify(0, "STATUS=database connection lost: holding events, reconnecting");
        /* The loop's connection is dropped too: the link reconnects it (the
         * registry with it), says whether the database is up, and the
         * committers connect again after it. */
        store_disconnect(d->store);
        dblink_lost(d->link, now);
        return;
    }
    d->lane_backoff_ms[i] = 0;
    d->lane_retry_us[i] = 0;
    if (rc == STORE_UNSAFE) { /* held, as if the database were down; looked at again in 1 s */
        const int64_t now = mono_us();
        if (!d->unsafe_until_us || now - d->unsafe_logged_us > 10000000) {
            log_warn("store", "%s (%u events held)", err, blanes_held(&d->q));
            d->unsafe_logged_us = now;
        }
        const int first = !d->unsafe_until_us;
        d->unsafe_until_us = now + 1000000;
        if (fresh) d->state_given_us = d->lane_given_us[i];
        if (first) publish_metrics(d); /* /healthz says why */
        return;
    }
    if (fresh) d->state_given_us = d->lane_given_us[i];
    if (d->unsafe_until_us && fresh) {
        d->unsafe_until_us = 0;
        log_info("store", "the database replicates synchronously again: committing");
        publish_metrics(d);
    }
    if (rc == STORE_OK && err[0]) /* an event the database refused, deferred alone */
        log_error("store", "%s", err);
    if (rc == STORE_FAILED) {
        /* Not stored: every event not already refused is deferred with 500,
         * so its node resends it; the batch's refusals are not recorded. */
        log_error("store", "batch of %u events not stored: %s", b->nev, err);
        for (uint32_t k = 0; k < b->nev; k++) {
            store_ev_t *e = &b->ev[k];
            if (e->fixed) continue;
            e->v.status = ACK_DEFERRED;
            e->v.code = ANTT_E_INTERNAL;
            e->v.field = NULL;
            snprintf(e->v.msg, sizeof e->v.msg,
                     "the server could not store the event; resend later");
        }
    }
    reply_batch(d, b);
    count_batch(d, b);
    bqueue_pop(&d->q.lane[i]);
}

/* Lane i's oldest batch to its committer (sealed first: nothing is added
 * to a batch that commits). */
static void dispatch(daemon_t *d, uint32_t i)
{
    bqueue_t *q = &d->q.lane[i];
    batch_t *b = bqueue_oldest(q);
    if (q->n == 1) bqueue_seal(q);
    store_work_t w;
    if (batch_work(b, &w) < 0) {
        committer_result_t r = {.rc = STORE_FAILED, .synchronous = -1};
        snprintf(r.err, sizeof r.err, "out of memory listing refusals");
        finish(d, i, b, &r);
        return;
    }
    d->lane_given_us[i] = mono_us();
    committer_give(d->committers[i], b, &w, d->db_epoch);
}

/* The batches the committers are done with. */
static int collect(daemon_t *d)
{
    int n = 0;
    for (uint32_t i = 0; i < d->q.n; i++) {
        committer_result_t r;
        batch_t *b = committer_take(d->committers[i], &r);
        if (!b) continue;
        finish(d, i, b, &r);
        n++;
    }
    return n;
}

/* ---- SIGHUP -------------------------------------------------------------- */

static void reload(daemon_t *d)
{
    cfg_t c = d->cfg;
    char err[512];
    if ((d->config_path && cfg_load_file(&c, d->config_path, err, sizeof err) < 0) ||
        cfg_load_env(&c, err, sizeof err) < 0) {
        log_error("config", "reload refused, keeping the running settings: %s", err);
        return;
    }
    /* Settings that need a restart (endpoints, database, sizes) are kept,
     * and said to be: a changed file must not look applied when it is not. */
    char pending[512];
    if (cfg_restart_needed(&d->cfg, &c, pending, sizeof pending))
        log_warn("config",
                 "changed, but needs a restart to take effect (the running values stay): %s",
                 pending);
    d->cfg.batch_max_ms = c.batch_max_ms;
    snprintf(d->cfg.log_level, sizeof d->cfg.log_level, "%s", c.log_level);
    log_set_level((log_level_t)log_level_parse(c.log_level));
    regwatch_reload(d->regwatch, "SIGHUP");
    int u, n, g;
    reg_counts(d->reg, &u, &n, &g);
    log_info("config", "reloaded log_level=%s batch_max_ms=%d units=%d nodes=%d groups=%d",
             d->cfg.log_level, d->cfg.batch_max_ms, u, n, g);
}

/* ---- the rows the batch path runs itself ------------------------------------ */

/* Read what the intake sockets hold, fairly between them, until the queue is
 * full or the open batch is (a full batch goes to the database first). */
static void drain(daemon_t *d)
{
    void *socks[2] = {d->in.router, d->in.pull};
    for (int round = 0; round < 4096 && !blanes_full(&d->q); round++) {
        int got = 0;
        for (int k = 0; k < 2; k++) {
            if (!socks[k]) continue;
            zmq_msg_t fr[INTAKE_MAX_FRAMES];
            int toomany;
            int n = intake_recv(socks[k], fr, &toomany);
            if (n <= 0) continue;
            got = 1;
            const char *user = NULL;
            if (d->in.auth) {
                int fd;
                user = intake_user(&fr[n - 1], &fd);
                if (!user || !reg_user_ok(d->reg, REG_NODES, user)) {
                    /* revoked since its handshake: cut it now (its events
                     * are refused by admission, 301) */
                    auth_cut_fd(d->in.auth, fd);
                    if (!user) user = "";
                } else {
                    auth_seen(d->in.auth, fd, REG_NODES, user);
                    nodestatus_seen(d->nodes, fd, user);
                }
            }
            daemon_take(d, k == 0 ? PATH_ACKED : PATH_PUBLISH, fr, n, toomany, user);
            for (int i = 0; i < n; i++)
                zmq_msg_close(&fr[i]);
        }
        if (!got) break;
        /* a full batch whose committer waits goes first */
        const uint32_t l = d->last_lane;
        if (bqueue_open_full(&d->q.lane[l]) && !committer_busy(d->committers[l]) &&
            store_connected(d->store))
            break;
    }
}

/* The intake's sockets, polled only while the queue has room. Under
 * sustained overload the queue fills and drains many times a second: say so
 * once, then at most every 10 s with a count. */
static int intake_items(void *state, int64_t now, zmq_pollitem_t *it)
{
    daemon_t *d = state;
    int full = blanes_full(&d->q);
    if (full && !d->queue_full) {
        d->pauses++;
        if (now - d->pause_logged_us > 10000000) {
            log_warn("intake",
                     "queue full (%u events held): not reading until the database catches up"
                     " pauses=%llu",
                     blanes_held(&d->q), (unsigned long long)d->pauses);
            d->pause_logged_us = now;
            d->pause_reported = 1;
        }
    } else if (!full && d->pause_reported &&
               (!blanes_busy(&d->q) || blanes_held(&d->q) <= d->q.max_held / 2)) {
        /* the committers go on while intake reads: "drained" is back to half */
        log_info("intake", "queue drained: reading");
        d->pause_reported = 0;
    }
    if (full != d->queue_full) {
        d->queue_full = full;
        publish_metrics(d); /* antt_intake_paused */
    }
    if (full) return 0;
    int n = 0;
    it[n++] = (zmq_pollitem_t){d->in.router, -1, ZMQ_POLLIN, 0};
    if (d->in.pull) it[n++] = (zmq_pollitem_t){d->in.pull, -1, ZMQ_POLLIN, 0};
    return n;
}

static int64_t intake_run(void *d, int64_t now)
{
    (void)now;
    drain(d);
    return LOOP_NEVER;
}

/* Give every lane's batch that is due to its committer: when the loop's
 * connection is up, the lane's committer free, its back-off over and the
 * database not holding batches (synchronous_acks = require). */
static int64_t flush_when(void *state, int64_t now, int64_t due)
{
    (void)due;
    daemon_t *d = state;
    if (!store_connected(d->store)) return LOOP_NEVER;
    int64_t next = LOOP_NEVER;
    for (uint32_t i = 0; i < d->q.n; i++) {
        const batch_t *b = bqueue_oldest(&d->q.lane[i]);
        if (!b || !b->weight || committer_busy(d->committers[i])) continue;
        int64_t t = lane_due(d, i, now) ? now : b->opened_us + (int64_t)d->cfg.batch_max_ms * 1000;
        if (t < d->lane_retry_us[i]) t = d->lane_retry_us[i];
        if (t < d->unsafe_until_us) t = d->unsafe_until_us;
        if (t < next) next = t;
    }
    return next;
}

/* Its time is the lanes' (flush_when), not its own. */
static int64_t flush_run(void *state, int64_t now)
{
    daemon_t *d = state;
    if (!store_connected(d->store) || d->unsafe_until_us > now) return LOOP_NEVER;
    for (uint32_t i = 0; i < d->q.n; i++)
        if (d->lane_retry_us[i] <= now && lane_due(d, i, now)) dispatch(d, i);
    return LOOP_NEVER;
}

/* A committer is done: its batch is answered (or kept), and the lanes
 * free again take their next batch at once. */
static int commits_items(void *state, int64_t now, zmq_pollitem_t *it)
{
    (void)now;
    const daemon_t *d = state;
    it[0] = (zmq_pollitem_t){NULL, d->wake_fd, ZMQ_POLLIN, 0};
    return 1;
}

static int64_t commits_run(void *state, int64_t now)
{
    daemon_t *d = state;
    uint64_t n;
    if (read(d->wake_fd, &n, sizeof n) < 0 && errno != EAGAIN)
        log_error("store", "reading the committers' wake-up: %s", strerror(errno));
    if (collect(d)) flush_run(d, mono_us());
    (void)now;
    return LOOP_NEVER;
}

/* A socket-served row's item (the socket may not exist: no item). */
#define SOCKET_ITEMS(name, expr)                                                                   \
    static int name(void *state, int64_t now, zmq_pollitem_t *it)                                  \
    {                                                                                              \
        (void)now;                                                                                 \
        daemon_t *d = state;                                                                       \
        void *s = (expr);                                                                          \
        if (!s) return 0;                                                                          \
        it[0] = (zmq_pollitem_t){s, -1, ZMQ_POLLIN, 0};                                            \
        return 1;                                                                                  \
    }
SOCKET_ITEMS(zap_items, auth_socket(d->in.auth))
SOCKET_ITEMS(subscriptions_items, stream_publish_socket(d->stream))
SOCKET_ITEMS(snapshots_items, snap_request_socket(d->snap))
SOCKET_ITEMS(snapshot_answers_items, snap_answer_socket(d->snap))

static int64_t zap_run(void *state, int64_t now)
{
    (void)now;
    daemon_t *d = state;
    if (auth_serve(d->in.auth, d->reg, handshake_refused, d)) publish_metrics(d);
    return LOOP_NEVER;
}

static int64_t subscriptions_run(void *state, int64_t now)
{
    (void)now;
    daemon_t *d = state;
    const uint64_t refused = stream_subs_refused(d->stream);
    stream_subscriptions(d->stream, d->reg, d->in.auth);
    if (stream_subs_refused(d->stream) != refused) publish_metrics(d);
    return LOOP_NEVER;
}

/* Snapshot requests: checked here, read by daemon/snap.c's thread. */
static int64_t snapshots_run(void *state, int64_t now)
{
    (void)now;
    daemon_t *d = state;
    snap_take(d->snap, d->reg, d->in.auth);
    publish_metrics(d); /* the snapshot counters */
    return LOOP_NEVER;
}

static int64_t snapshot_answers_run(void *state, int64_t now)
{
    (void)now;
    daemon_t *d = state;
    snap_give(d->snap);
    publish_metrics(d);
    return LOOP_NEVER;
}

/* ---- the loop's table ---------------------------------------------------- */

/* The rows, in the order they run in a turn: first the timers that are due
 * and the every-turn rows, then (after the poll) the rows whose sockets are
 * ready. A service that is off (no /metrics, no stream) has no rows. */
static int add_rows(daemon_t *d)
{
    const loop_row_t rows[] = {
        {"connect", NULL, dblink_connect_when, dblink_connect_run, d->link, 0},
        {"flush", NULL, flush_when, flush_run, d, LOOP_NEVER},
        {"commits", commits_items, NULL, commits_run, d, LOOP_NEVER},
        {"ping", NULL, dblink_ping_when, dblink_ping_run, d->link, 0},
        {"provinces", NULL, figures_ask_when, figures_ask_run, d->figures, 0},
        {"overdue", NULL, housekeep_overdue_when, housekeep_overdue_run, d->housekeep, 0},
        {"presence", NULL, nodestatus_presence_when, nodestatus_presence_run, d->nodes, 0},
        {"refusal summary", NULL, housekeep_summary_when, housekeep_summary_run, d->housekeep, 0},
        {"memory", NULL, housekeep_trim_when, housekeep_trim_run, d->housekeep, 0},
        {"registry notices", regwatch_notices_items, NULL, regwatch_notices_run, d->regwatch,
         LOOP_EACH_TURN},
        {"province figures", figures_answer_items, NULL, figures_answer_run, d->figures,
         LOOP_NEVER},
        {"connections", nodestatus_monitor_items, NULL, nodestatus_monitor_run, d->nodes,
         LOOP_NEVER},
        {"ZAP", zap_items, NULL, zap_run, d, LOOP_NEVER},
        {"subscriptions", subscriptions_items, NULL, subscriptions_run, d, LOOP_NEVER},
        {"snapshots", snapshots_items, NULL, snapshots_run, d, LOOP_NEVER},
        {"snapshot answers", snapshot_answers_items, NULL, snapshot_answers_run, d, LOOP_NEVER},
        {"stream", publisher_items, NULL, publisher_run, d->publisher, LOOP_NEVER},
        {"intake", intake_items, NULL, intake_run, d, LOOP_NEVER},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].state && loop_add(&d->loop, &rows[i]) < 0) return -1;
    return 0;
}

/* After every row: /healthz follows the database's state at once (a slow
 * row after a reconnection must not delay it). */
static void after_run(void *ctx)
{
    daemon_t *d = ctx;
    const int up = store_connected(d->store);
    if (d->db_was_up && !up) { /* lost: the committers connect afresh (a failover) */
        d->db_epoch++;
        d->synchronous = -1;
    }
    d->db_was_up = up;
    if (up != d->met.db_up) publish_metrics(d);
}

/* ---- start, turns, stop --------------------------------------------------- */

/* The key, the sockets, /metrics, the stream. 0, or -1 (logged). */
static int start(daemon_t *d)
{
    char err[512];
    const key_pair_t *key = NULL;
    if (d->cfg.insecure) {
        log_warn("security",
                 "INSECURE: CURVE is off. Anyone who can reach %s may submit as any node and read "
                 "the tally stream, and everything travels in clear text. For development on "
                 "loopback only; set curve_key_file in production.",
                 d->cfg.listen);
    } else {
        if (!d->cfg.curve_key_file[0]) {
            log_error("security", "no server key: set curve_key_file (make one with antt keygen), "
                                  "or insecure=1 for development");
            return -1;
        }
        if (key_load_pair(d->cfg.curve_key_file, &d->key, err, sizeof err) < 0) {
            log_error("security", "%s", err);
            return -1;
        }
        key = &d->key;
        log_info("security", "CURVE on; server public key %s", d->key.pub);
    }
    d->met.insecure = key == NULL;
    if (intake_open(&d->in, &d->cfg, key, err, sizeof err) < 0) {
        log_error("intake", "%s", err);
        return -1;
    }
    if (d->cfg.http_listen[0]) {
        const metrics_limits_t lim = {d->cfg.http_max_connections, d->cfg.http_per_ip,
                                      d->cfg.http_timeout_s};
        d->http = metrics_start(d->cfg.http_listen, &lim, err, sizeof err);
        if (!d->http) {
            log_error("metrics", "%s", err);
            intake_close(&d->in, 0);
            return -1;
        }
        log_info("metrics", "serving http://%s/metrics and /healthz", d->cfg.http_listen);
    }
    if (d->cfg.tally_publish[0] || d->cfg.tally_snapshot[0]) {
        d->stream = stream_open(d->in.ctx, d->cfg.tally_publish, key, d->cfg.subscriber_queue, err,
                                sizeof err);
        const snap_limits_t sl = {d->cfg.snapshot_queue, d->cfg.snapshot_per_peer,
                                  d->cfg.snapshot_peer_hwm,
                                  (uint64_t)d->cfg.snapshot_bytes_max_mb << 20};
        if (d->stream && d->cfg.tally_snapshot[0])
            d->snap =
                snap_open(d->in.ctx, d->cfg.tally_snapshot, key, d->cfg.db, &sl, err, sizeof err);
        if (!d->stream || (d->cfg.tally_snapshot[0] && !d->snap)) {
            log_error("stream", "%s", err);
            stream_close(&d->stream);
            metrics_stop(&d->http);
            intake_close(&d->in, 0);
            return -1;
        }
    }
    if (d->http && !(d->figures = figures_new(d->cfg.db, d->cfg.node_silent_hours, d->store, &d->q,
                                              show_provinces, d))) {
        log_error("metrics", "out of memory");
        return -1;
    }
    char ferr[256];
    const int publishing = d->stream && d->cfg.tally_publish[0];
    if (!(d->folder = folder_start(d->cfg.db, d->cfg.fold_interval_ms,
                                   publishing ? d->in.ctx : NULL, ferr, sizeof ferr))) {
        log_error("fold", "%s", ferr);
        return -1;
    }
    d->federator = federator_start(d->cfg.db, d->cfg.federation_check_s,
                                   d->cfg.federation_auto_resync, ferr, sizeof ferr);
    if (!d->federator && ferr[0]) {
        log_error("federation", "%s", ferr);
        return -1;
    }
    metrics_watch_federator(d->http, d->federator);
    if (publishing && !(d->publisher = publisher_new(d->folder, d->stream, d->reg))) {
        log_error("stream", "out of memory");
        return -1;
    }
    if ((d->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
        log_error("store", "eventfd: %s", strerror(errno));
        return -1;
    }
    ledger_cfg_t l = daemon_ledger_cfg(&d->cfg);
    reg_ledger_hooks(d->reg, &l);
    for (uint32_t i = 0; i < d->q.n; i++)
        if (!(d->committers[i] =
                  committer_new(d->cfg.db, &l, (uint32_t)d->cfg.reject_raw_max,
                                (store_sync_t)cfg_sync_parse(d->cfg.synchronous_acks), d->reg,
                                d->wake_fd, err, sizeof err))) {
            log_error("store", "%s", err);
            return -1;
        }
    if (add_rows(d) < 0) {
        log_error("anttd", "the loop's table is full");
        return -1;
    }
    d->loop.after_run = after_run;
    d->loop.ctx = d;
    nodestatus_watch(d->nodes, d->in.ctx, d->in.router);
    publish_metrics(d);
    log_info("intake",
             "listening acked=%s publish=%s batch_max_events=%d batch_max_ms=%d "
             "store_connections=%u",
             d->cfg.listen, d->cfg.publish_listen[0] ? d->cfg.publish_listen : "off",
             d->cfg.batch_max_events, d->cfg.batch_max_ms, d->q.n);
    return 0;
}

static void log_totals(const daemon_t *d)
{
    store_stats_t totals;
    store_totals(d, &totals);
    const store_stats_t *st = &totals;
    log_info("anttd",
             "stopped messages=%llu refused_messages=%llu events=%llu accepted=%llu "
             "duplicate=%llu rejected=%llu deferred=%llu batches=%llu retries=%llu "
             "replies_dropped=%llu",
             (unsigned long long)d->msgs, (unsigned long long)d->refused_msgs,
             (unsigned long long)d->events_in, (unsigned long long)st->accepted,
             (unsigned long long)st->duplicates, (unsigned long long)st->rejected,
             (unsigned long long)st->deferred, (unsigned long long)st->batches,
             (unsigned long long)st->retries, (unsigned long long)d->in.replies_dropped);
    log_info("store", "time_ms stage=%llu read=%llu ledger=%llu write=%llu commit=%llu total=%llu",
             (unsigned long long)st->phase_us[0] / 1000, (unsigned long long)st->phase_us[1] / 1000,
             (unsigned long long)st->phase_us[2] / 1000, (unsigned long long)st->phase_us[3] / 1000,
             (unsigned long long)st->phase_us[4] / 1000,
             (unsigned long long)st->commit_us_total / 1000);
    const uint64_t *h = st->commit_hist;
    log_info("store",
             "commits_by_ms le1=%llu le2=%llu le5=%llu le10=%llu le20=%llu le50=%llu le100=%llu "
             "over=%llu",
             (unsigned long long)h[0], (unsigned long long)h[1], (unsigned long long)h[2],
             (unsigned long long)h[3], (unsigned long long)h[4], (unsigned long long)h[5],
             (unsigned long long)h[6], (unsigned long long)h[7]);
}

/* SIGTERM: every lane's batches go to their committers while the database
 * takes them, and the batches out are waited for (a commit that ends is
 * answered; one that fails is not). */
static void finish_lanes(daemon_t *d)
{
    d->unsafe_until_us = 0; /* one more try, as each lane's next batch */
    for (;;) {
        int out = 0;
        for (uint32_t i = 0; i < d->q.n; i++) {
            bqueue_t *q = &d->q.lane[i];
            const int busy = committer_busy(d->committers[i]);
            while (!busy && bqueue_oldest(q) && !bqueue_oldest(q)->weight)
                bqueue_pop(q);
            if (!busy && bqueue_oldest(q) && store_connected(d->store) && !d->unsafe_until_us)
                dispatch(d, i);
            out += committer_busy(d->committers[i]);
        }
        if (!out) return;
        struct pollfd p = {d->wake_fd, POLLIN, 0};
        if (poll(&p, 1, 1000) > 0) {
            uint64_t n;
            if (read(d->wake_fd, &n, sizeof n) < 0) { /* EAGAIN: another woke first */
            }
        }
        collect(d);
    }
}

/* SIGTERM: what was received is committed and answered, if the database
 * lets us; what cannot be stored is not acked, and nodes will resend it. */
static void stop(daemon_t *d)
{
    for (uint32_t i = 0; i < d->q.n; i++)
        bqueue_seal(&d->q.lane[i]);
    if (d->committers[0]) finish_lanes(d);
    if (blanes_held(&d->q))
        log_warn("intake", "stopping with %u events not stored (database down): not acked",
                 blanes_held(&d->q));
    log_totals(d);
    for (uint32_t i = 0; i < d->q.n; i++)
        committer_free(&d->committers[i]);
    metrics_watch_federator(d->http, NULL);
    federator_free(&d->federator);
    folder_halt(d->folder);        /* what this daemon acked, folded */
    publisher_drain(d->publisher); /* and published */
    publisher_free(&d->publisher);
    folder_free(&d->folder);
    nodestatus_unwatch(d->nodes);
    figures_free(&d->figures);
    metrics_stop(&d->http);
    snap_close(&d->snap);
    stream_close(&d->stream);
    intake_close(&d->in, 2000);
}

/* The queue's gauge follows every turn, not only batches. */
static void queue_gauges(daemon_t *d)
{
    const uint32_t held = blanes_held(&d->q);
    if (held == d->met.queue_events) return;
    d->met.queue_events = held;
    if (held > d->met.queue_peak_events) d->met.queue_peak_events = held;
    metrics_update_gauges(d->http, d->met.queue_events, d->met.connected);
}

int daemon_run(daemon_t *d)
{
    if (start(d) < 0) return 1;
    while (!daemon_stop) {
        if (daemon_reload) {
            daemon_reload = 0;
            reload(d);
        }
        const int rc = loop_turn(&d->loop, 1000000); /* a turn waits 1 s at most */
        if (rc < 0) {
            log_error("intake", "zmq_poll: %s", zmq_strerror(zmq_errno()));
            break;
        }
        if (rc == 0) queue_gauges(d);
    }
    stop(d);
    return dblink_fatal(d->link) ? 1 : 0;
}
