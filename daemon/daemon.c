/* daemon.c — the loop (see daemon.h). */
#include "daemon/daemon.h"
#include "proto/util.h"

#include "daemon/log.h"
#include "db/query.h"
#include "db/status.h"
#include "db/verify.h"
#include "proto/decode.h"
#include "proto/err.h"
#include "proto/ts.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <systemd/sd-daemon.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

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
    if (!d->store || !d->reg ||
        bqueue_init(&d->q, (uint32_t)cfg->batch_max_events, (uint32_t)cfg->queue_max_events) < 0) {
        snprintf(err, errlen, "out of memory");
        daemon_fini(d);
        return -1;
    }
    d->limit = limit_new((uint32_t)cfg->node_rate, (uint32_t)cfg->node_burst);
    d->presence = presence_new();
    if (!d->limit || !d->presence) {
        snprintf(err, errlen, "out of memory");
        daemon_fini(d);
        return -1;
    }
    store_set_migrate(d->store, cfg->migrate_on_start);
    store_set_sync(d->store, (store_sync_t)cfg_sync_parse(cfg->synchronous_acks));
    msgpack_sbuffer_init(&d->sbuf);
    msgpack_packer_init(&d->pk, &d->sbuf, msgpack_sbuffer_write);
    d->backoff_ms = 100;
    d->db_up = -1; /* nothing logged yet */
    /* who this daemon is to antt.node_status: its host and acked endpoint */
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    snprintf(d->via, sizeof d->via, "%.100s %.190s", host, cfg->listen);
    return 0;
}

void daemon_fini(daemon_t *d)
{
    if (d->q.ring) bqueue_free(&d->q);
    store_free(&d->store);
    reg_free(&d->reg);
    limit_free(&d->limit);
    presence_free(&d->presence);
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
    batch_t *b = bqueue_open(&d->q, 1);
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

/* Refusals over the global bound are counted, and said in one line at most
 * every 10 s: "N more refused handshakes not recorded". */
static void summarise_unrecorded(daemon_t *d, int64_t now)
{
    if (!d->in.auth || now - d->unrecorded_logged_us < 10000000) return;
    const uint64_t n = auth_take_unrecorded(d->in.auth);
    if (!n) return;
    d->unrecorded_logged_us = now;
    log_warn("auth",
             "%llu more refused handshakes not recorded (over refusal_records_per_min=%d; "
             "counted in antt_refusals_unrecorded_total)",
             (unsigned long long)n, d->cfg.refusal_records_per_min);
}

#define REG_STALE_WHY "the daemon cannot load its registry"

static void publish_metrics(daemon_t *d);

/* The registry failed to load (a reload after a change, a retry): who may
 * submit is not known, so nobody may — a revocation that cannot be
 * confirmed must not leave the key working. Handshakes are refused, open
 * connections cut, events deferred with 500 (kept and resent by their
 * stations); said at once and every 10 s after. */
static void registry_failed(daemon_t *d, const char *why, const char *err)
{
    const int64_t now = mono_us();
    d->reg_failures++;
    const int first = !d->reg_stale_us;
    if (first) d->reg_stale_us = now;
    if (first || now - d->reg_stale_logged_us > 10000000) {
        log_error("registry",
                  "reload (%s) failed, refusing every station until it loads (stale for %lld s): "
                  "%s",
                  why, (long long)((now - d->reg_stale_us) / 1000000), err);
        d->reg_stale_logged_us = now;
    }
    auth_close_all(d->in.auth, REG_STALE_WHY);
    int cut = auth_cut_revoked(d->in.auth, d->reg);
    if (first) {
        if (cut) log_warn("registry", "cut %d connections until the registry loads", cut);
        publish_metrics(d);
    }
}

static void registry_loaded(daemon_t *d)
{
    if (!d->reg_stale_us) return;
    log_info("registry", "loaded again after %lld s: taking events",
             (long long)((mono_us() - d->reg_stale_us) / 1000000));
    d->reg_stale_us = 0;
    auth_close_all(d->in.auth, NULL);
    publish_metrics(d);
}

static void admit(daemon_t *d, store_ev_t *e, const char *auth_node)
{
    if (d->reg_stale_us) {
        e->fixed = 1;
        e->v = (verdict_t){.status = ACK_DEFERRED, .code = ANTT_E_INTERNAL};
        snprintf(e->v.msg, sizeof e->v.msg, REG_STALE_WHY "; resend later");
        return;
    }
    int rc = reg_admit(d->reg, &e->ev, auth_node, &e->v);
    if (rc == 0) return;
    /* An operator may just have registered this node or unit: look again,
     * at most once a second. */
    int64_t now = mono_us();
    if (reg_might_learn(d->reg, &e->ev) && store_connected(d->store) &&
        now - d->reg_loaded_us > 1000000) {
        char err[256];
        d->reg_loaded_us = now;
        if (reg_load(d->reg, store_db(d->store), err, sizeof err) < 0) {
            registry_failed(d, "an unknown node or unit", err);
            admit(d, e, auth_node); /* deferred */
            return;
        }
        rc = reg_admit(d->reg, &e->ev, auth_node, &e->v);
        if (rc == 0) return;
    }
    e->fixed = 1;
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
    batch_t *b = bqueue_open(&d->q, m.count);
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
            admit(d, ev, auth_node);
        }
    }
}

/* ---- database ---------------------------------------------------------- */

/* The pending tip-offs' deadlines follow the rules in force (this daemon's
 * settings and antt.days_off): recomputed by the ledger when they were
 * computed under others (migration 014, a calendar loaded, a setting
 * changed), before any event is taken. 0, or -1 with err. */
static int deadlines_current(daemon_t *d, int warn, char *err, size_t errlen)
{
    ledger_cfg_t l = daemon_ledger_cfg(&d->cfg);
    reg_ledger_hooks(d->reg, &l);
    char rules[640];
    long changed = 0;
    FILE *quiet = fopen("/dev/null", "w");
    int rc = verify_deadline_rules(store_db(d->store), &l.law, rules, sizeof rules, err, errlen);
    if (rc == 0)
        rc = verify_deadlines(store_db(d->store), &l, rules, 0, quiet ? quiet : stderr, &changed,
                              err, errlen);
    if (quiet) fclose(quiet);
    if (rc < 0) return -1;
    if (rc == 1)
        log_info("deadlines", "pending tip-offs' deadlines recomputed (%s): %ld changed", rules,
                 changed);
    time_t t = time(NULL) + d->cfg.utc_offset_min * 60;
    struct tm tm;
    gmtime_r(&t, &tm);
    if (warn && !reg_days_off_in_year(d->reg, tm.tm_year + 1900))
        log_warn("deadlines",
                 "no days off on record for %d: limits in months move past Saturdays and Sundays "
                 "only; load the year's holidays (anttd --load-days-off FILE)",
                 tm.tm_year + 1900);
    return 0;
}

static void ensure_db(daemon_t *d, int64_t now)
{
    if (store_connected(d->store)) return;
    /* Lost, however it was noticed (a commit, a ping, a notice): intake is paused. */
    if (!d->down_since_us && d->last_server[0]) d->down_since_us = now;
    if (now < d->next_connect_us) return;
    char err[512];
    int rc = store_connect(d->store, err, sizeof err);
    if (rc == -2) {
        log_error("store", "%s", err);
        d->fatal = 1;
        daemon_stop = 1;
        return;
    }
    int ok = rc == 0;
    if (ok && (reg_load(d->reg, store_db(d->store), err, sizeof err) < 0 ||
               deadlines_current(d, 1, err, sizeof err) < 0)) {
        store_disconnect(d->store);
        ok = 0;
    }
    if (ok) {
        int u, n, g;
        reg_counts(d->reg, &u, &n, &g);
        d->reg_loaded_us = now;
        const char *server = store_server(d->store);
        if (d->last_server[0] && strcmp(d->last_server, server)) {
            d->met.failovers++;
            log_warn("store", "the database failed over: now on %s (was %s)", server,
                     d->last_server);
        }
        if (d->down_since_us)
            log_info("store", "intake resumes after a pause of %lld ms (events held: %u)",
                     (long long)((now - d->down_since_us) / 1000), d->q.held);
        d->down_since_us = 0;
        snprintf(d->last_server, sizeof d->last_server, "%s", server);
        /* systemd (Type=notify): ready once the sockets are bound and the
         * database answers; harmless without systemd. */
        sd_notifyf(0, "READY=1\nSTATUS=connected to %s, %s", server,
                   store_synchronous(d->store) ? "replicating synchronously"
                                               : "not replicating synchronously");
        if (!store_synchronous(d->store) && strcmp(d->cfg.synchronous_acks, "off"))
            log_warn("store",
                     "the database does not replicate synchronously: an ack means the event is "
                     "on ONE server%s",
                     strcmp(d->cfg.synchronous_acks, "require")
                         ? " (synchronous_acks = warn)"
                         : "; holding events until it does (synchronous_acks = require)");
        int cut = auth_cut_revoked(d->in.auth, d->reg); /* revoked while we were away */
        log_info("store", "database connected units=%d nodes=%d groups=%d subscribers=%d%s", u, n,
                 g, reg_subscriber_count(d->reg), cut ? " (revoked connections cut)" : "");
        d->db_up = 1;
        d->backoff_ms = 100;
        return;
    }
    if (d->db_up != 0)
        log_warn("store", "database unavailable, holding events and retrying: %s", err);
    d->db_up = 0;
    d->next_connect_us = now + d->backoff_ms * 1000;
    d->backoff_ms =
        d->backoff_ms * 2 > d->cfg.reconnect_max_ms ? d->cfg.reconnect_max_ms : d->backoff_ms * 2;
}

static int flush_due(daemon_t *d, int64_t now)
{
    batch_t *b = bqueue_oldest(&d->q);
    if (!b || !b->weight || !store_connected(d->store)) return 0;
    return d->q.n > 1 || b->sealed || b->weight >= d->q.max_weight ||
           now - b->opened_us >= (int64_t)d->cfg.batch_max_ms * 1000;
}

/* ---- metrics ------------------------------------------------------------ */

static void publish_metrics(daemon_t *d)
{
    if (!d->http) return;
    const store_stats_t *st = store_stats(d->store);
    memcpy(d->met.commit_hist, st->commit_hist, sizeof d->met.commit_hist);
    d->met.commit_sum_s = (double)st->commit_us_total / 1e6;
    d->met.queue_events = d->q.held;
    if (d->q.held > d->met.queue_peak_events) d->met.queue_peak_events = d->q.held;
    d->met.queue_capacity = (uint64_t)d->cfg.queue_max_events;
    d->met.db_up = store_connected(d->store);
    d->met.intake_paused = d->queue_full || !d->met.db_up;
    d->met.schema_ok = d->met.db_up; /* store_connect checked the schema version */
    d->met.stream_publishing = d->slot && slot_leading(d->slot);
    d->met.synchronous = store_synchronous(d->store);
    d->met.held_unsafe = d->unsafe_until_us != 0;
    d->met.registry_stale = d->reg_stale_us != 0;
    d->met.registry_failures = d->reg_failures;
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

/* Connections come and go on the acked socket (its monitor). The monitor's
 * pipe has no high-water mark (set when it was connected) and is drained on
 * every turn of the loop: a dropped DISCONNECTED would leave the count
 * drifting up for ever. */
static void watch_connections(daemon_t *d)
{
    const int64_t before = d->met.connected;
    uint32_t fd;
    for (uint16_t ev; (ev = zmon_next_value(&d->monitor, 0, &fd, NULL, 0));) {
        if (ev == ZMQ_EVENT_ACCEPTED) {
            d->met.connected++;
        } else if (ev == ZMQ_EVENT_DISCONNECTED) {
            if (d->met.connected > 0) d->met.connected--;
            presence_closed(d->presence, (int)fd);
        }
    }
    if (d->met.connected != before)
        metrics_update_gauges(d->http, d->met.queue_events, d->met.connected);
}

/* One province's figures into the metrics (code, rate or NULL, overdue). */
static int province_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)ncols, (void)names;
    metrics_t *m = ctx;
    if (m->nprov >= METRICS_PROVINCES) return 0;
    const int i = m->nprov++;
    snprintf(m->prov[i], sizeof m->prov[i], "%.7s", v[0]);
    m->resolution_rate[i] = v[1] ? atof(v[1]) : -1;
    m->overdue[i] = strtoull(v[2], NULL, 10);
    m->silent[i] = strtoull(v[3], NULL, 10);
    m->losing[i] = strtoull(v[4], NULL, 10);
    m->last_message[i] = v[5] ? strtoll(v[5], NULL, 10) : 0;
    return 0;
}

/* Per province: tip-off resolution this calendar year and overdue now —
 * asked every 30 s on a connection of its own without waiting, the rows
 * read when they come (figures_run): the query takes a few hundred ms
 * with thousands of overdue tip-offs, and the loop answering stations
 * must not stand still for it (it did: the p99 ack latency was that). */
static void refresh_provinces(daemon_t *d, int64_t now)
{
    if (!d->http || !store_connected(d->store) || now < d->prov_refresh_us) return;
    d->prov_refresh_us = now + 30 * 1000000LL;
    d->met.stream_lag_bytes = d->slot && slot_leading(d->slot) ? slot_lag(d->slot) : -1;
    publish_metrics(d);
    if (d->figures_busy) return; /* the last one is still out */
    char err[256];
    if (!d->figures_db &&
        !(d->figures_db = db_connect(d->cfg.db, "anttd figures", err, sizeof err))) {
        log_warn("metrics", "province figures: %s", err);
        return;
    }
    if (query_province_figures_send(d->figures_db, d->cfg.node_silent_hours, err, sizeof err) < 0) {
        log_warn("metrics", "province figures: %s", err);
        db_close(&d->figures_db);
        return;
    }
    d->figures = d->met;
    d->figures.nprov = 0;
    d->figures_busy = 1;
    d->figures_sent_us = mono_us();
}

static int figures_items(daemon_t *d, int64_t now, zmq_pollitem_t *it)
{
    (void)now;
    const int fd = d->figures_busy ? db_socket(d->figures_db) : -1;
    if (fd < 0) return 0;
    it[0] = (zmq_pollitem_t){NULL, fd, ZMQ_POLLIN, 0};
    return 1;
}

static void figures_run(daemon_t *d, int64_t now)
{
    (void)now;
    char err[256];
    const int rc = db_collect(d->figures_db, province_row, &d->figures, err, sizeof err);
    if (rc == 1) return; /* more to come */
    d->figures_busy = 0;
    const int64_t took = mono_us() - d->figures_sent_us;
    if (took > 5000000) /* say so: issue 17 measures this query */
        log_warn("metrics", "the province figures took %lld ms", (long long)took / 1000);
    if (rc < 0) {
        log_warn("metrics", "province figures: %s", err);
        db_close(&d->figures_db);
        return;
    }
    metrics_t *m = &d->figures;
    memcpy(d->met.prov, m->prov, sizeof m->prov);
    memcpy(d->met.resolution_rate, m->resolution_rate, sizeof m->resolution_rate);
    memcpy(d->met.overdue, m->overdue, sizeof m->overdue);
    memcpy(d->met.silent, m->silent, sizeof m->silent);
    memcpy(d->met.losing, m->losing, sizeof m->losing);
    memcpy(d->met.last_message, m->last_message, sizeof m->last_message);
    d->met.nprov = m->nprov;
    d->met.stream_lag_bytes = d->slot && slot_leading(d->slot) ? slot_lag(d->slot) : -1;
    publish_metrics(d);
}

/* Commit the oldest batch and answer it. */
static void flush_oldest(daemon_t *d)
{
    batch_t *b = bqueue_oldest(&d->q);
    if (d->q.n == 1) bqueue_seal(&d->q);
    char err[512] = "";
    store_work_t w;
    store_rc_t rc =
        batch_work(b, &w) < 0
            ? (snprintf(err, sizeof err, "out of memory listing refusals"), STORE_FAILED)
            : store_commit(d->store, &w, ts_now_us(), err, sizeof err);
    if (rc == STORE_DOWN) {
        log_warn("store", "database connection lost, holding %u events: %s", d->q.held, err);
        sd_notify(0, "STATUS=database connection lost: holding events, reconnecting");
        d->db_up = 0;
        d->next_connect_us = 0; /* try again at once, then back off */
        if (!d->down_since_us) d->down_since_us = mono_us();
        return;
    }
    if (rc == STORE_UNSAFE) { /* held, as if the database were down; looked at again in 1 s */
        const int64_t now = mono_us();
        if (!d->unsafe_until_us || now - d->unsafe_logged_us > 10000000) {
            log_warn("store", "%s (%u events held)", err, d->q.held);
            d->unsafe_logged_us = now;
        }
        const int first = !d->unsafe_until_us;
        d->unsafe_until_us = now + 1000000;
        if (first) publish_metrics(d); /* /healthz says why */
        return;
    }
    if (d->unsafe_until_us) {
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
        for (uint32_t i = 0; i < b->nev; i++) {
            store_ev_t *e = &b->ev[i];
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
    bqueue_pop(&d->q);
}

/* ---- the loop ---------------------------------------------------------- */

/* Who may connect changed (a notice from the database, SIGHUP, a new
 * connection): reload, then cut the connections of keys revoked since. */
static void registry_reload(daemon_t *d, const char *why)
{
    char err[512];
    if (!store_connected(d->store)) return;
    d->reg_loaded_us = mono_us();
    if (reg_load(d->reg, store_db(d->store), err, sizeof err) < 0) {
        registry_failed(d, why, err);
        return;
    }
    registry_loaded(d);
    if (deadlines_current(d, 0, err, sizeof err) < 0)
        log_error("deadlines", "recomputing the pending tip-offs' deadlines: %s", err);
    int cut = auth_cut_revoked(d->in.auth, d->reg);
    int u, n, g;
    reg_counts(d->reg, &u, &n, &g);
    log_info("registry", "reloaded (%s) units=%d nodes=%d subscribers=%d connections_cut=%d", why,
             u, n, reg_subscriber_count(d->reg), cut);
    publish_metrics(d);
}

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
    registry_reload(d, "SIGHUP");
    int u, n, g;
    reg_counts(d->reg, &u, &n, &g);
    log_info("config", "reloaded log_level=%s batch_max_ms=%d units=%d nodes=%d groups=%d",
             d->cfg.log_level, d->cfg.batch_max_ms, u, n, g);
}

/* ---- the services: each runs when its socket or timer is ready ---------- */

/* Registry notices (LISTEN antt_registry). libpq also queues the ones that
 * arrive while any statement runs on the connection (a commit, a ping, a
 * snapshot, the province figures), and then the socket is no longer
 * readable: so this looks every turn (a non-blocking read), not only when
 * the socket wakes the loop. */
static void check_notices(daemon_t *d)
{
    if (store_registry_changed(d->store))
        registry_reload(d, "changed in the database");
    else if (d->reg_stale_us && mono_us() - d->reg_loaded_us > 1000000)
        registry_reload(d, "retry");
}

/* Read what the intake sockets hold, fairly between them, until the queue is
 * full or the open batch is (a full batch goes to the database first). */
static void drain(daemon_t *d)
{
    void *socks[2] = {d->in.router, d->in.pull};
    for (int round = 0; round < 4096 && !bqueue_full(&d->q); round++) {
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
                    if (presence_seen(d->presence, fd, user) < 0)
                        log_warn("presence", "out of memory: node %s not followed", user);
                }
            }
            daemon_take(d, k == 0 ? PATH_ACKED : PATH_PUBLISH, fr, n, toomany, user);
            for (int i = 0; i < n; i++)
                zmq_msg_close(&fr[i]);
        }
        if (!got) break;
        if (bqueue_open_full(&d->q) && store_connected(d->store)) break;
    }
}

/* The intake's sockets, polled only while the queue has room. Under
 * sustained overload the queue fills and drains many times a second: say so
 * once, then at most every 10 s with a count. */
static int intake_items(daemon_t *d, int64_t now, zmq_pollitem_t *it)
{
    int full = bqueue_full(&d->q);
    if (full && !d->queue_full) {
        d->pauses++;
        if (now - d->pause_logged_us > 10000000) {
            log_warn("intake",
                     "queue full (%u events held): not reading until the database catches up"
                     " pauses=%llu",
                     d->q.held, (unsigned long long)d->pauses);
            d->pause_logged_us = now;
            d->pause_reported = 1;
        }
    } else if (!full && d->queue_full && d->pause_reported && !bqueue_oldest(&d->q)) {
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

static void intake_run(daemon_t *d, int64_t now)
{
    (void)now;
    drain(d);
}

/* Commit every batch that is due (full, sealed, or batch_max_ms old): the
 * database before reading more. */
static int64_t flush_when(daemon_t *d, int64_t now)
{
    batch_t *b = bqueue_oldest(&d->q);
    if (!b || !b->weight || !store_connected(d->store)) return INT64_MAX;
    if (d->unsafe_until_us > now) return d->unsafe_until_us;
    if (flush_due(d, now)) return now;
    return b->opened_us + (int64_t)d->cfg.batch_max_ms * 1000;
}

static void flush_run(daemon_t *d, int64_t now)
{
    while (flush_due(d, now) && d->unsafe_until_us <= now) {
        flush_oldest(d);
        now = mono_us();
    }
}

static int64_t connect_when(daemon_t *d, int64_t now)
{
    (void)now;
    return store_connected(d->store) ? INT64_MAX : d->next_connect_us;
}

/* Idle: is the server still there (an idle connection does not notice a
 * server that went away)? */
static int64_t ping_when(daemon_t *d, int64_t now)
{
    (void)now;
    return store_connected(d->store) && !bqueue_oldest(&d->q) ? d->ping_us : INT64_MAX;
}

static void ping_run(daemon_t *d, int64_t now)
{
    d->ping_us = now + 5 * 1000000LL;
    if (store_ping(d->store) < 0) {
        log_warn("store", "database connection lost while idle");
        d->db_up = 0;
        d->next_connect_us = 0;
        if (!d->down_since_us) d->down_since_us = now;
    }
}

/* The province figures for /metrics: a query over every province's year
 * that holds the loop for a moment, so it waits for a quiet turn (nothing
 * waiting for the database), for at most 5 minutes. */
static int64_t provinces_when(daemon_t *d, int64_t now)
{
    (void)now;
    if (!d->http || !store_connected(d->store)) return INT64_MAX;
    const int64_t late = d->prov_refresh_us + 300 * 1000000LL;
    const batch_t *b = bqueue_oldest(&d->q);
    return b && b->weight && now < late ? late : d->prov_refresh_us;
}

/* What the clock changes, not an event: today's overdue tip-offs per unit,
 * into antt.overdue_daily (the console's trend), and, when the year turns,
 * the year just ended into the sums before 1 January — at start, then every
 * overdue_record_seconds (10 min), between batches (a busy queue delays it,
 * at most five minutes). Two daemons write the same figures. */
static int64_t overdue_when(daemon_t *d, int64_t now)
{
    if (!store_connected(d->store)) return INT64_MAX;
    const batch_t *b = bqueue_oldest(&d->q);
    const int64_t late = d->overdue_next_us + 300 * 1000000LL;
    return b && b->weight && now < late ? late : d->overdue_next_us;
}

static void overdue_run(daemon_t *d, int64_t now)
{
    if (!store_connected(d->store) || now < d->overdue_next_us) return;
    d->overdue_next_us = now + d->cfg.overdue_record_seconds * 1000000LL;
    char err[256];
    long units = 0;
    if (status_record_overdue(store_db(d->store), &units, err, sizeof err) < 0)
        log_warn("overdue", "recording today's overdue tip-offs: %s", err);
    else
        log_debug("overdue", "today's overdue tip-offs recorded at %ld units", units);
    long moved = 0;
    if (status_close_year(store_db(d->store), &moved, err, sizeof err) < 0)
        log_warn("tallies", "closing the year: %s", err);
    else if (moved)
        log_info("tallies", "the year has turned: its sums are now history (tallies_before)");
}

/* The memory a burst left behind: a queue that filled (a bulk load, a
 * reconnection storm) keeps its batches' arrays for reuse, ~1 KiB an event,
 * and glibc keeps the heap they came from. Every 10 s with nothing waiting,
 * the batches not needed since the last look are freed and the heap trimmed
 * (measured: ~95 MiB after run.sh's bulk phases, otherwise kept for ever). */
static int64_t trim_when(daemon_t *d, int64_t now)
{
    (void)now;
    const batch_t *b = bqueue_oldest(&d->q);
    return b && b->weight ? INT64_MAX : d->trim_next_us;
}

static void trim_run(daemon_t *d, int64_t now)
{
    d->trim_next_us = now + 10 * 1000000LL;
    const size_t freed = bqueue_shrink(&d->q, 2);
    if (!freed) return;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    log_debug("memory", "freed %zu KiB of batches the queue no longer needs", freed / 1024);
}

/* Which nodes are connected, into antt.node_status: between batches, as
 * connections open and close (a station's state, not its events). */
static int64_t presence_when(daemon_t *d, int64_t now)
{
    (void)now;
    if (!d->in.auth || !store_connected(d->store)) return INT64_MAX;
    const batch_t *b = bqueue_oldest(&d->q);
    if (b && b->weight) return INT64_MAX;
    if (d->presence_reset && !presence_pending(d->presence)) return INT64_MAX;
    return now > d->presence_next_us ? now : d->presence_next_us;
}

static int write_presence(void *ctx, const char *const *nodes, const int *connected, int n)
{
    daemon_t *d = ctx;
    char err[256];
    if (status_connections(store_db(d->store), d->via, nodes, connected, n, err, sizeof err) < 0) {
        log_warn("presence", "not written (next time): %s", err);
        return -1;
    }
    return 0;
}

static void presence_run(daemon_t *d, int64_t now)
{
    (void)now;
    char err[256];
    if (!d->presence_reset) { /* the connections of this daemon's previous run are gone */
        if (status_forget(store_db(d->store), d->via, err, sizeof err) < 0) {
            log_warn("presence", "%s", err);
            d->presence_next_us = now + 5000000;
            return;
        }
        d->presence_reset = 1;
    }
    if (presence_flush(d->presence, write_presence, d) < 0) d->presence_next_us = now + 5000000;
}

static int64_t summary_when(daemon_t *d, int64_t now)
{
    (void)now;
    return d->in.auth ? d->unrecorded_check_us : INT64_MAX;
}

static void summary_run(daemon_t *d, int64_t now)
{
    d->unrecorded_check_us = now + 10000000;
    summarise_unrecorded(d, now);
}

static int notices_items(daemon_t *d, int64_t now, zmq_pollitem_t *it)
{
    (void)now;
    const int fd = store_socket(d->store);
    if (fd < 0) return 0;
    it[0] = (zmq_pollitem_t){NULL, fd, ZMQ_POLLIN, 0};
    return 1;
}

static void notices_run(daemon_t *d, int64_t now)
{
    (void)now;
    check_notices(d);
}

/* A socket-served handler's item (the socket may not exist: no item). */
#define SOCKET_ITEMS(name, expr)                                                                   \
    static int name(daemon_t *d, int64_t now, zmq_pollitem_t *it)                                  \
    {                                                                                              \
        (void)now;                                                                                 \
        void *s = (expr);                                                                          \
        if (!s) return 0;                                                                          \
        it[0] = (zmq_pollitem_t){s, -1, ZMQ_POLLIN, 0};                                            \
        return 1;                                                                                  \
    }
SOCKET_ITEMS(monitor_items, zmon_socket(&d->monitor))
SOCKET_ITEMS(zap_items, auth_socket(d->in.auth))
SOCKET_ITEMS(subscriptions_items, stream_publish_socket(d->stream))
SOCKET_ITEMS(snapshots_items, snap_request_socket(d->snap))
SOCKET_ITEMS(snapshot_answers_items, snap_answer_socket(d->snap))

/* The tally stream is read from the database's log by one daemon at a
 * time: try to be that daemon every second (db/slot.h). */
static int64_t lead_when(daemon_t *d, int64_t now)
{
    (void)now;
    return d->slot && !slot_leading(d->slot) && store_connected(d->store) ? d->lead_next_us
                                                                          : INT64_MAX;
}

static void lead_run(daemon_t *d, int64_t now)
{
    char err[512];
    int rc = slot_lead(d->slot, err, sizeof err);
    d->lead_next_us = now + 1000000; /* also after an error: a takeover waits for it */
    if (rc == 1) {
        log_info("stream", "publishing: this daemon reads the database's log (epoch %llu)",
                 (unsigned long long)slot_epoch(d->slot));
        if (slot_warning(d->slot)[0]) log_warn("stream", "%s", slot_warning(d->slot));
        publish_metrics(d);
    } else if (rc < 0 && now - d->lead_logged_us > 60000000) {
        log_error("stream", "cannot read the database's log, not publishing: %s", err);
        d->lead_logged_us = now;
    }
}

static int log_items(daemon_t *d, int64_t now, zmq_pollitem_t *it)
{
    (void)now;
    const int fd = d->slot ? slot_socket(d->slot) : -1;
    if (fd < 0) return 0;
    it[0] = (zmq_pollitem_t){NULL, fd, ZMQ_POLLIN, 0};
    return 1;
}

static void on_logged(void *ctx, uint64_t lsn, const uint8_t *content, size_t len)
{
    daemon_t *d = ctx;
    if (stream_publish_log(d->stream, d->reg, slot_epoch(d->slot), lsn, content, len) < 0)
        log_error("stream", "a logged transaction at %llu is not laid out as expected: skipped",
                  (unsigned long long)lsn);
}

static void log_run(daemon_t *d, int64_t now)
{
    char err[512];
    if (slot_read(d->slot, on_logged, d, err, sizeof err) < 0) {
        log_warn("stream", "stopped reading the database's log: %s", err);
        d->lead_next_us = now + 1000000;
        publish_metrics(d);
    }
}

static void connections_run(daemon_t *d, int64_t now)
{
    (void)now;
    watch_connections(d);
}

static void zap_run(daemon_t *d, int64_t now)
{
    (void)now;
    if (auth_serve(d->in.auth, d->reg, handshake_refused, d)) publish_metrics(d);
}

static void subscriptions_run(daemon_t *d, int64_t now)
{
    (void)now;
    const uint64_t refused = stream_subs_refused(d->stream);
    stream_subscriptions(d->stream, d->reg, d->in.auth);
    if (stream_subs_refused(d->stream) != refused) publish_metrics(d);
}

/* Snapshot requests: checked here, read by daemon/snap.c's thread. */
static void snapshots_run(daemon_t *d, int64_t now)
{
    (void)now;
    snap_take(d->snap, d->reg, d->in.auth);
    publish_metrics(d); /* the snapshot counters */
}

static void snapshot_answers_run(daemon_t *d, int64_t now)
{
    (void)now;
    snap_give(d->snap);
    publish_metrics(d);
}

/* A service of the loop (the CZMQ zloop idea): the sockets it serves
 * (items: how many it filled, at most 2) and the time it next wants to run
 * (when: INT64_MAX for never); run is called when one of its items is ready
 * or its time has come, or on every turn. Timers and every-turn services
 * run in table order, before the poll; then the services whose sockets are
 * ready. */
typedef struct {
    const char *name;
    int (*items)(daemon_t *d, int64_t now, zmq_pollitem_t *it);
    int64_t (*when)(daemon_t *d, int64_t now);
    void (*run)(daemon_t *d, int64_t now);
    int every_turn;
} handler_t;

static const handler_t HANDLERS[] = {
    {"connect", NULL, connect_when, ensure_db, 0},
    {"flush", NULL, flush_when, flush_run, 0},
    {"ping", NULL, ping_when, ping_run, 0},
    {"provinces", NULL, provinces_when, refresh_provinces, 0},
    {"overdue", NULL, overdue_when, overdue_run, 0},
    {"presence", NULL, presence_when, presence_run, 0},
    {"refusal summary", NULL, summary_when, summary_run, 0},
    {"memory", NULL, trim_when, trim_run, 0},
    {"stream reader", NULL, lead_when, lead_run, 0},
    {"registry notices", notices_items, NULL, notices_run, 1},
    {"province figures", figures_items, NULL, figures_run, 0},
    {"connections", monitor_items, NULL, connections_run, 0},
    {"ZAP", zap_items, NULL, zap_run, 0},
    {"subscriptions", subscriptions_items, NULL, subscriptions_run, 0},
    {"snapshots", snapshots_items, NULL, snapshots_run, 0},
    {"snapshot answers", snapshot_answers_items, NULL, snapshot_answers_run, 0},
    {"stream log", log_items, NULL, log_run, 0},
    {"intake", intake_items, NULL, intake_run, 0},
};
#define NHANDLERS (sizeof HANDLERS / sizeof HANDLERS[0])

/* ---- the loop: start, turns, stop ---------------------------------------- */

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
    if (d->stream && d->cfg.tally_publish[0] && !(d->slot = slot_new(d->cfg.db))) {
        log_error("stream", "out of memory");
        return -1;
    }
    zmon_start(&d->monitor, d->in.ctx, d->in.router, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED,
               1);
    publish_metrics(d);
    log_info("intake", "listening acked=%s publish=%s batch_max_events=%d batch_max_ms=%d",
             d->cfg.listen, d->cfg.publish_listen[0] ? d->cfg.publish_listen : "off",
             d->cfg.batch_max_events, d->cfg.batch_max_ms);
    return 0;
}

/* Run service h; /healthz follows the database's state at once (a slow
 * service after a reconnection must not delay it). */
static void run(daemon_t *d, size_t h, int64_t now)
{
    HANDLERS[h].run(d, now);
    if (store_connected(d->store) != d->met.db_up) publish_metrics(d);
}

/* One turn: the timers that are due and the every-turn services, then one poll of every service's
 * sockets (waiting at most until the next timer, and 1 s), then the
 * services whose sockets are ready. 0, or -1 when the loop must end. */
static int turn(daemon_t *d)
{
    if (daemon_reload) {
        daemon_reload = 0;
        reload(d);
    }
    int64_t now = mono_us(), next = now + 1000000;
    for (size_t h = 0; h < NHANDLERS && !daemon_stop; h++) {
        if (HANDLERS[h].every_turn || (HANDLERS[h].when && HANDLERS[h].when(d, now) <= now)) {
            run(d, h, now);
            now = mono_us();
        }
    }
    if (daemon_stop) return 0;

    zmq_pollitem_t items[2 * NHANDLERS];
    uint8_t owner[2 * NHANDLERS];
    int n = 0;
    for (size_t h = 0; h < NHANDLERS; h++) {
        if (HANDLERS[h].when) {
            int64_t w = HANDLERS[h].when(d, now);
            if (w < next) next = w;
        }
        if (!HANDLERS[h].items) continue;
        for (int k = HANDLERS[h].items(d, now, &items[n]); k > 0; k--)
            owner[n++] = (uint8_t)h;
    }
    long timeout = next <= now ? 0 : (long)((next - now + 999) / 1000);
    if (zmq_poll(items, n, timeout) < 0) {
        if (zmq_errno() == EINTR) return 0;
        log_error("intake", "zmq_poll: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    now = mono_us();
    for (int i = 0; i < n; i++) {
        if (!items[i].revents) continue;
        run(d, owner[i], now);
        while (i + 1 < n && owner[i + 1] == owner[i]) /* once per service */
            i++;
    }
    if (d->q.held != d->met.queue_events) { /* not only after a batch */
        d->met.queue_events = d->q.held;
        if (d->q.held > d->met.queue_peak_events) d->met.queue_peak_events = d->q.held;
        metrics_update_gauges(d->http, d->met.queue_events, d->met.connected);
    }
    return 0;
}

static void log_totals(const daemon_t *d)
{
    const store_stats_t *st = store_stats(d->store);
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

/* SIGTERM: what was received is committed and answered, if the database
 * lets us; what cannot be stored is not acked, and nodes will resend it. */
static void stop(daemon_t *d)
{
    if (d->q.n) bqueue_seal(&d->q);
    while (bqueue_oldest(&d->q) && store_connected(d->store)) {
        if (!bqueue_oldest(&d->q)->weight) {
            bqueue_pop(&d->q);
            continue;
        }
        flush_oldest(d);
        if (d->unsafe_until_us) break; /* not on two servers: not acked, nodes resend */
    }
    if (d->q.held)
        log_warn("intake", "stopping with %u events not stored (database down): not acked",
                 d->q.held);
    log_totals(d);
    zmon_stop(&d->monitor);
    slot_free(&d->slot);
    db_close(&d->figures_db);
    metrics_stop(&d->http);
    snap_close(&d->snap);
    stream_close(&d->stream);
    intake_close(&d->in, 2000);
}

int daemon_run(daemon_t *d)
{
    if (start(d) < 0) return 1;
    while (!daemon_stop && turn(d) == 0) {
    }
    stop(d);
    return d->fatal ? 1 : 0;
}
