/* metrics.c — see metrics.h.
 *
 * Slow clients: libmicrohttpd's timeout (Debian's 0.9.75 measured: a
 * trickling request is closed about a timeout after it starts) frees a
 * place only for the trickler to take it again, so sixty-four of them from
 * eight addresses keep every place taken; and its meaning is the library's
 * to change. So every connection passes the gate (net/gate.h), the console's
 * too: a request must arrive whole within http_timeout_s of the connection's
 * start or of the previous answer on it, else it is cut; at
 * http_max_connections the oldest connection still arriving is cut to make
 * room for a newcomer, so a scraper that sends its request at once is served
 * however many trickle; http_per_ip is the gate's too, so that what it
 * refuses is counted. */
#include "daemon/metrics.h"

#include "net/gate.h"
#include "proto/ack.h"
#include "proto/err.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct metrics_srv {
    struct MHD_Daemon *d;
    gate_t *gate;       /* who may connect, and how long a request may take */
    pthread_mutex_t mu; /* m, fed */
    metrics_t m;
    federator_t *fed;
    volatile int started; /* libmicrohttpd's messages are no longer printed */
};

typedef struct {
    char *buf;
    size_t n, cap;
} out_t;

static void put(out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out_t *o, const char *fmt, ...)
{
    if (o->n >= o->cap) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(o->buf + o->n, o->cap - o->n, fmt, ap);
    va_end(ap);
    if (w > 0) o->n += (size_t)w < o->cap - o->n ? (size_t)w : o->cap - o->n;
}

/* A Ministry's provinces (daemon/federator.h): nothing on a province. */
static void render_federation(out_t *o, const federator_stats_t *f)
{
    if (!f->n) return;
    put(o,
        "# HELP antt_federation_resyncs_total Provinces this daemon resynced (a primary with no"
        " slot for the Ministry), and resyncs that failed.\n"
        "# TYPE antt_federation_resyncs_total counter\nantt_federation_resyncs_total %llu\n"
        "# TYPE antt_federation_resync_failures_total counter\n"
        "antt_federation_resync_failures_total %llu\n"
        "# HELP antt_federation_streaming 1 when the province's apply worker runs and has heard"
        " from it.\n# TYPE antt_federation_streaming gauge\n",
        (unsigned long long)f->resyncs, (unsigned long long)f->resync_failures);
    for (int i = 0; i < f->n; i++)
        put(o, "antt_federation_streaming{province=\"%s\"} %d\n", f->p[i].code, f->p[i].streaming);
    put(o, "# HELP antt_federation_lag_seconds The last batch applied: from its transaction on"
           " the province to its applying here (the clocks' difference included).\n"
           "# TYPE antt_federation_lag_seconds gauge\n");
    for (int i = 0; i < f->n; i++)
        if (f->p[i].lag_s >= 0)
            put(o, "antt_federation_lag_seconds{province=\"%s\"} %.3f\n", f->p[i].code,
                f->p[i].lag_s);
    put(o, "# HELP antt_federation_last_applied_seconds Since the province's last batch was"
           " applied here.\n# TYPE antt_federation_last_applied_seconds gauge\n");
    for (int i = 0; i < f->n; i++)
        if (f->p[i].since_applied_s >= 0)
            put(o, "antt_federation_last_applied_seconds{province=\"%s\"} %.3f\n", f->p[i].code,
                f->p[i].since_applied_s);
    put(o, "# HELP antt_federation_last_received_seconds Since the province's walsender was last"
           " heard from (keepalives included).\n"
           "# TYPE antt_federation_last_received_seconds gauge\n");
    for (int i = 0; i < f->n; i++)
        if (f->p[i].since_receipt_s >= 0)
            put(o, "antt_federation_last_received_seconds{province=\"%s\"} %.3f\n", f->p[i].code,
                f->p[i].since_receipt_s);
    put(o, "# HELP antt_federation_conflicts Case rows the province sent for a unit outside its"
           " subtrees, set aside (antt.federation_conflicts), not applied.\n"
           "# TYPE antt_federation_conflicts gauge\n");
    for (int i = 0; i < f->n; i++)
        put(o, "antt_federation_conflicts{province=\"%s\"} %lld\n", f->p[i].code,
            f->p[i].conflicts);
    put(o, "# HELP antt_federation_batches_total Batches applied from the province.\n"
           "# TYPE antt_federation_batches_total counter\n");
    for (int i = 0; i < f->n; i++)
        put(o, "antt_federation_batches_total{province=\"%s\"} %lld\n", f->p[i].code,
            f->p[i].batches);
}

size_t metrics_render(const metrics_t *m, char *buf, size_t cap)
{
    out_t o = {buf, 0, cap};
    put(&o, "# HELP antt_events_total Events answered, by type and ack status.\n"
            "# TYPE antt_events_total counter\n");
    for (int t = 1; t < EV_TYPE_COUNT; t++)
        for (int s = 0; s < 4; s++)
            put(&o, "antt_events_total{type=\"%s\",status=\"%s\"} %llu\n",
                ev_enum_name(&EV_TYPES, t), ack_status_name((ack_status_t)s),
                (unsigned long long)m->events[t][s]);
    put(&o, "# HELP antt_rejects_total Refusals (rejected or deferred events, refused messages), "
            "by code.\n"
            "# TYPE antt_rejects_total counter\n");
    for (int c = 1; c < METRICS_CODES; c++)
        if (m->rejects[c])
            put(&o, "antt_rejects_total{code=\"%d\",name=\"%s\"} %llu\n", c, antt_err_name(c),
                (unsigned long long)m->rejects[c]);
    static const char *const BB[6] = {"1", "10", "100", "1000", "10000", "+Inf"};
    put(&o, "# HELP antt_batch_events Events per committed batch.\n# TYPE antt_batch_events "
            "histogram\n");
    uint64_t cum = 0;
    for (int i = 0; i < 6; i++) {
        cum += m->batch_hist[i];
        put(&o, "antt_batch_events_bucket{le=\"%s\"} %llu\n", BB[i], (unsigned long long)cum);
    }
    put(&o, "antt_batch_events_sum %llu\nantt_batch_events_count %llu\n",
        (unsigned long long)m->batch_sum, (unsigned long long)m->batches);
    static const char *const CB[8] = {"0.001", "0.002", "0.005", "0.01",
                                      "0.02",  "0.05",  "0.1",   "+Inf"};
    put(&o, "# HELP antt_commit_seconds Time to store a batch, BEGIN to COMMIT.\n"
            "# TYPE antt_commit_seconds histogram\n");
    cum = 0;
    for (int i = 0; i < 8; i++) {
        cum += m->commit_hist[i];
        put(&o, "antt_commit_seconds_bucket{le=\"%s\"} %llu\n", CB[i], (unsigned long long)cum);
    }
    put(&o, "antt_commit_seconds_sum %.6f\nantt_commit_seconds_count %llu\n", m->commit_sum_s,
        (unsigned long long)cum);
    static const char *const FB[FOLD_LAG_BUCKETS] = {"0.05", "0.1", "0.25", "0.5",
                                                     "1",    "2",   "5",    "+Inf"};
    put(&o, "# HELP antt_fold_window_lag_seconds Each folded window: how long its oldest batch"
            " waited, from its transaction's start to the window's COMMIT (and publication).\n"
            "# TYPE antt_fold_window_lag_seconds histogram\n");
    cum = 0;
    for (int i = 0; i < FOLD_LAG_BUCKETS; i++) {
        cum += m->fold_lag_hist[i];
        put(&o, "antt_fold_window_lag_seconds_bucket{le=\"%s\"} %llu\n", FB[i],
            (unsigned long long)cum);
    }
    put(&o, "antt_fold_window_lag_seconds_sum %.6f\nantt_fold_window_lag_seconds_count %llu\n",
        m->fold_lag_sum_s, (unsigned long long)cum);
    put(&o,
        "# HELP antt_queue_events Events held in memory, waiting for the database.\n"
        "# TYPE antt_queue_events gauge\nantt_queue_events %llu\n",
        (unsigned long long)m->queue_events);
    put(&o,
        "# HELP antt_queue_peak_events The most events the queue has held since the daemon "
        "started (a burst between two scrapes shows here).\n"
        "# TYPE antt_queue_peak_events gauge\nantt_queue_peak_events %llu\n",
        (unsigned long long)m->queue_peak_events);
    put(&o,
        "# HELP antt_queue_capacity_events Events the queue may hold (queue_max_events).\n"
        "# TYPE antt_queue_capacity_events gauge\nantt_queue_capacity_events %llu\n",
        (unsigned long long)m->queue_capacity);
    put(&o,
        "# HELP antt_intake_paused 1 while the daemon does not read: its queue is full or the "
        "database is down.\n"
        "# TYPE antt_intake_paused gauge\nantt_intake_paused %d\n",
        m->intake_paused);
    put(&o,
        "# HELP antt_database_up 1 when the database connection is up.\n"
        "# TYPE antt_database_up gauge\nantt_database_up %d\n",
        m->db_up);
    put(&o,
        "# HELP antt_connected_nodes Connections on the acked submission socket.\n"
        "# TYPE antt_connected_nodes gauge\nantt_connected_nodes %lld\n",
        (long long)m->connected);
    put(&o,
        "# HELP antt_replies_dropped_total Replies that could not be queued (peer gone or full).\n"
        "# TYPE antt_replies_dropped_total counter\nantt_replies_dropped_total %llu\n",
        (unsigned long long)m->replies_dropped);
    /* HELP and TYPE always, the sample only when known: a dashboard finds the
     * metric before the daemon knows its value. */
    put(&o, "# HELP antt_database_synchronous 1 when a commit is on two servers (synchronous"
            " replication), 0 when on one.\n"
            "# TYPE antt_database_synchronous gauge\n");
    if (m->synchronous >= 0) put(&o, "antt_database_synchronous %d\n", m->synchronous);
    put(&o,
        "# HELP antt_database_failovers_total Reconnections that found another primary.\n"
        "# TYPE antt_database_failovers_total counter\nantt_database_failovers_total %llu\n",
        (unsigned long long)m->failovers);
    put(&o,
        "# HELP antt_registry_stale 1 while the registry (nodes, keys, units) cannot be loaded:"
        " every handshake refused, every event deferred.\n"
        "# TYPE antt_registry_stale gauge\nantt_registry_stale %d\n"
        "# HELP antt_registry_load_failures_total Registry loads that failed.\n"
        "# TYPE antt_registry_load_failures_total counter\nantt_registry_load_failures_total %llu\n"
        "# HELP antt_events_isolated_total Events deferred alone because the database refused"
        " them (the rest of their batch stored).\n"
        "# TYPE antt_events_isolated_total counter\nantt_events_isolated_total %llu\n",
        m->registry_stale, (unsigned long long)m->registry_failures,
        (unsigned long long)m->events_isolated);
    put(&o,
        "# HELP antt_calendar_last_year The last year whose days off are on record (antt.days_off;"
        " 0: none). Below next year in December: load the new year's holidays.\n"
        "# TYPE antt_calendar_last_year gauge\nantt_calendar_last_year %d\n",
        m->days_off_last_year);
    put(&o,
        "# HELP antt_snapshots_total Snapshot requests by what became of them: served, failed"
        " (database), refused (bad, scope, busy: the queue full, per_peer: one at a time),"
        " dropped (the requester did not read).\n"
        "# TYPE antt_snapshots_total counter\n"
        "antt_snapshots_total{result=\"served\"} %llu\nantt_snapshots_total{result=\"failed\"} "
        "%llu\n"
        "antt_snapshots_total{result=\"bad\"} %llu\nantt_snapshots_total{result=\"scope\"} %llu\n"
        "antt_snapshots_total{result=\"busy\"} %llu\n"
        "antt_snapshots_total{result=\"per_peer\"} %llu\n"
        "antt_snapshots_total{result=\"dropped\"} %llu\n"
        "# HELP antt_snapshots_in_flight Snapshots queued or being read.\n"
        "# TYPE antt_snapshots_in_flight gauge\nantt_snapshots_in_flight %llu\n"
        "# HELP antt_snapshots_held_bytes Snapshot answers not yet written to their requesters"
        " (snapshot_bytes_max_mb bounds them).\n"
        "# TYPE antt_snapshots_held_bytes gauge\nantt_snapshots_held_bytes %llu\n"
        "# HELP antt_subscriptions_refused_total Subscriptions refused: no unit's topic, or"
        " outside the subscriber's scope.\n"
        "# TYPE antt_subscriptions_refused_total counter\nantt_subscriptions_refused_total %llu\n"
        "# HELP antt_subscribers_cut_total Stream connections cut for a subscription to no unit's"
        " topic (a longer one than any unit's is cut by libzmq, uncounted).\n"
        "# TYPE antt_subscribers_cut_total counter\nantt_subscribers_cut_total %llu\n",
        (unsigned long long)m->snap_served, (unsigned long long)m->snap_failed,
        (unsigned long long)m->snap_bad, (unsigned long long)m->snap_scope,
        (unsigned long long)m->snap_busy, (unsigned long long)m->snap_peer,
        (unsigned long long)m->snap_dropped, (unsigned long long)m->snap_inflight,
        (unsigned long long)m->snap_held_bytes, (unsigned long long)m->subs_refused,
        (unsigned long long)m->subs_cut);
    put(&o,
        "# HELP antt_stream_publishing 1 when this daemon folds and publishes the tally stream"
        " (one daemon at a time).\n"
        "# TYPE antt_stream_publishing gauge\nantt_stream_publishing %d\n",
        m->stream_publishing);
    put(&o,
        "# HELP antt_fold_leading 1 when this daemon folds the committed batches into the figures"
        " (one daemon at a time).\n"
        "# TYPE antt_fold_leading gauge\nantt_fold_leading %d\n"
        "# HELP antt_fold_windows_total Windows this daemon folded that held batches.\n"
        "# TYPE antt_fold_windows_total counter\nantt_fold_windows_total %llu\n"
        "# HELP antt_fold_batches_total Batches this daemon folded into the figures.\n"
        "# TYPE antt_fold_batches_total counter\nantt_fold_batches_total %llu\n"
        "# HELP antt_fold_errors_total Windows that failed (folded again later).\n"
        "# TYPE antt_fold_errors_total counter\nantt_fold_errors_total %llu\n"
        "# HELP antt_fold_lag_seconds How long the oldest batch of the last window waited to be"
        " folded: how far the figures trail the acks.\n"
        "# TYPE antt_fold_lag_seconds gauge\nantt_fold_lag_seconds %.3f\n",
        m->fold_leading, (unsigned long long)m->fold_windows, (unsigned long long)m->fold_rows,
        (unsigned long long)m->fold_errors, m->fold_lag_s);
    put(&o,
        "# HELP antt_stream_windows_total Folded windows this daemon published on the stream.\n"
        "# TYPE antt_stream_windows_total counter\nantt_stream_windows_total %llu\n"
        "# HELP antt_stream_windows_dropped_total Folded windows the loop did not take from the"
        " fold in time: missing from the live stream (subscribers see the gap and resnapshot).\n"
        "# TYPE antt_stream_windows_dropped_total counter\nantt_stream_windows_dropped_total"
        " %llu\n",
        (unsigned long long)m->stream_windows, (unsigned long long)m->stream_dropped);
    put(&o,
        "# HELP antt_insecure 1 when the daemon runs without CURVE (no authentication).\n"
        "# TYPE antt_insecure gauge\nantt_insecure %d\n",
        m->insecure);
    put(&o,
        "# HELP antt_handshakes_total CURVE handshakes answered, by result.\n"
        "# TYPE antt_handshakes_total counter\n"
        "antt_handshakes_total{result=\"allowed\"} %llu\n"
        "antt_handshakes_total{result=\"refused\"} %llu\n",
        (unsigned long long)m->handshakes_allowed, (unsigned long long)m->handshakes_refused);
    put(&o,
        "# HELP antt_refusals_unrecorded_total Refused handshakes counted but not recorded in "
        "antt.rejects and the log (over refusal_records_per_min).\n"
        "# TYPE antt_refusals_unrecorded_total counter\nantt_refusals_unrecorded_total %llu\n",
        (unsigned long long)m->refusals_unrecorded);
    put(&o,
        "# HELP antt_connections_cut_total Connections cut because their key was revoked.\n"
        "# TYPE antt_connections_cut_total counter\nantt_connections_cut_total %llu\n",
        (unsigned long long)m->connections_cut);
    put(&o, "# HELP antt_tipoff_resolution_ratio Tip-off resolution rate this calendar year, with "
            "carry-over (0..1).\n"
            "# TYPE antt_tipoff_resolution_ratio gauge\n");
    for (int i = 0; i < m->nprov; i++)
        if (m->resolution_rate[i] >= 0)
            put(&o, "antt_tipoff_resolution_ratio{province=\"%s\"} %.4f\n", m->prov[i],
                m->resolution_rate[i] / 100.0);
    put(&o, "# HELP antt_tipoffs_overdue Pending tip-offs past their deadline.\n"
            "# TYPE antt_tipoffs_overdue gauge\n");
    for (int i = 0; i < m->nprov; i++)
        put(&o, "antt_tipoffs_overdue{province=\"%s\"} %llu\n", m->prov[i],
            (unsigned long long)m->overdue[i]);
    put(&o, "# HELP antt_nodes_silent Stations not connected and with no message for "
            "node_silent_hours.\n"
            "# TYPE antt_nodes_silent gauge\n");
    for (int i = 0; i < m->nprov; i++)
        put(&o, "antt_nodes_silent{province=\"%s\"} %llu\n", m->prov[i],
            (unsigned long long)m->silent[i]);
    put(&o, "# HELP antt_nodes_losing Stations whose sequence numbers have holes (events that "
            "never arrived).\n"
            "# TYPE antt_nodes_losing gauge\n");
    for (int i = 0; i < m->nprov; i++)
        put(&o, "antt_nodes_losing{province=\"%s\"} %llu\n", m->prov[i],
            (unsigned long long)m->losing[i]);
    put(&o, "# HELP antt_province_last_message_seconds When a station of the province last sent "
            "anything (Unix time; absent: never).\n"
            "# TYPE antt_province_last_message_seconds gauge\n");
    for (int i = 0; i < m->nprov; i++)
        if (m->last_message[i])
            put(&o, "antt_province_last_message_seconds{province=\"%s\"} %lld\n", m->prov[i],
                (long long)m->last_message[i]);
    render_federation(&o, &m->fed);
    return o.n;
}

/* The connection's place at the gate (NULL: it has none, and is being cut). */
static gate_conn_t *gate_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    (void)version, (void)upload, (void)upload_size, (void)state;
    metrics_srv_t *s = cls;
    gate_arrived(s->gate, gate_of(c)); /* the request is in (a GET has no body): off the clock */
    if (strcmp(method, "GET")) return MHD_NO;
    int code = 200;
    char *body = NULL;
    size_t n = 0;
    const char *type = "text/plain; version=0.0.4; charset=utf-8";
    if (!strcmp(url, "/metrics")) {
        metrics_t copy;
        pthread_mutex_lock(&s->mu);
        copy = s->m;
        federator_stats(s->fed, &copy.fed);
        pthread_mutex_unlock(&s->mu);
        size_t cap = 1 << 20;
        body = malloc(cap);
        if (!body) return MHD_NO;
        n = metrics_render(&copy, body, cap);
        gate_stats_t g;
        gate_stats(s->gate, &g);
        if (n < cap)
            n += (size_t)snprintf(
                body + n, cap - n,
                "# HELP antt_http_connections_refused_total Connections to /metrics and /healthz "
                "refused at once: over http_per_ip from one address, or every place taken by a "
                "request being answered.\n"
                "# TYPE antt_http_connections_refused_total counter\n"
                "antt_http_connections_refused_total{reason=\"per_address\"} %llu\n"
                "antt_http_connections_refused_total{reason=\"full\"} %llu\n"
                "# HELP antt_http_connections_cut_total Connections cut: their request had not "
                "arrived whole within http_timeout_s, or the oldest such was cut to make room.\n"
                "# TYPE antt_http_connections_cut_total counter\n"
                "antt_http_connections_cut_total{reason=\"deadline\"} %llu\n"
                "antt_http_connections_cut_total{reason=\"evicted\"} %llu\n",
                (unsigned long long)g.refused_per_addr, (unsigned long long)g.refused_full,
                (unsigned long long)g.deadline_cut, (unsigned long long)g.evicted);
        if (n > cap) n = cap;
    } else if (!strcmp(url, "/healthz")) {
        pthread_mutex_lock(&s->mu);
        int ok = s->m.db_up && s->m.schema_ok && !s->m.held_unsafe && !s->m.registry_stale;
        const int unsafe = s->m.held_unsafe, stale = s->m.registry_stale;
        pthread_mutex_unlock(&s->mu);
        code = ok ? 200 : 503;
        body = strdup(ok       ? "ok\n"
                      : unsafe ? "not ready: holding events until the database "
                                 "replicates synchronously (synchronous_acks = require)\n"
                      : stale  ? "not ready: the registry cannot be loaded (every station "
                                 "refused until it is)\n"
                               : "not ready: database unreachable or schema not current\n");
        n = body ? strlen(body) : 0;
        type = "text/plain; charset=utf-8";
    } else {
        code = 404;
        body = strdup("not found: /metrics, /healthz\n");
        n = body ? strlen(body) : 0;
        type = "text/plain; charset=utf-8";
    }
    if (!body) return MHD_NO;
    struct MHD_Response *r = MHD_create_response_from_buffer(n, body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result rc = MHD_queue_response(c, (unsigned)code, r);
    MHD_destroy_response(r);
    return rc;
}

/* ---- the gate ------------------------------------------------------------ */

/* Before a connection is accepted: the gate says whether it may be. */
static enum MHD_Result admit(void *cls, const struct sockaddr *addr, socklen_t len)
{
    (void)len;
    metrics_srv_t *s = cls;
    return gate_admit(s->gate, addr, gate_now_ms()) ? MHD_YES : MHD_NO;
}

static void connection(void *cls, struct MHD_Connection *c, void **socket_context,
                       enum MHD_ConnectionNotificationCode toe)
{
    metrics_srv_t *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        gate_close(s->gate, *socket_context);
        *socket_context = NULL;
        return;
    }
    const union MHD_ConnectionInfo *fd =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *ad =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!fd) return;
    *socket_context =
        gate_open(s->gate, fd->connect_fd, ad ? ad->client_addr : NULL, gate_now_ms());
    if (!*socket_context) shutdown(fd->connect_fd, SHUT_RDWR); /* no place to watch it from */
}

/* An answer is sent: the clock starts again for the next request. */
static void completed(void *cls, struct MHD_Connection *c, void **state,
                      enum MHD_RequestTerminationCode why)
{
    (void)state, (void)why;
    metrics_srv_t *s = cls;
    gate_answered(s->gate, gate_of(c), gate_now_ms());
}

/* libmicrohttpd's messages while starting only: afterwards it writes a line
 * per connection a client or the gate ends, which slow clients would turn
 * into a flood of log (they are counted instead). */
__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    const metrics_srv_t *s = cls;
    if (!s->started) {
        fprintf(stderr, "anttd: http: ");
        vfprintf(stderr, fmt, ap);
    }
}

/* After libmicrohttpd has stopped: the gate's table is its connections'. */
static void srv_free(metrics_srv_t *s)
{
    gate_free(&s->gate);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

metrics_srv_t *metrics_start(const char *listen, const metrics_limits_t *lim, char *err,
                             size_t errlen)
{
    char host[64];
    int port = 0;
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof host || (port = atoi(colon + 1)) <= 0 ||
        port > 65535) {
        snprintf(err, errlen, "http_listen: '%s' is not HOST:PORT", listen);
        return NULL;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "http_listen: '%s' is not an IPv4 address", host);
        return NULL;
    }
    metrics_srv_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    pthread_mutex_init(&s->mu, NULL);
    const gate_cfg_t gc = {.max = lim->max_connections,
                           .per_addr = lim->per_ip,
                           .deadline_ms = (int64_t)lim->timeout_s * 1000,
                           .reaper = 1};
    if (!(s->gate = gate_new(&gc))) {
        snprintf(err, errlen, "http_listen: out of memory");
        srv_free(s);
        return NULL;
    }
    /* epoll on a thread of its own: descriptors past FD_SETSIZE (thousands of
     * stations) must not take monitoring down, as select() would. The limits
     * are the gate's; libmicrohttpd's own is the gate's table, beyond its
     * max, as connections the gate cut may linger a moment before
     * libmicrohttpd has closed them. The idle timeout stays as a backstop. */
    const unsigned limit = (unsigned)lim->max_connections * 2 + 16;
    s->d =
        /* the logger first: libmicrohttpd says so otherwise, on stderr */
        MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, admit, s, answer, s,
                         MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, MHD_OPTION_SOCK_ADDR,
                         (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT, limit,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)lim->timeout_s,
                         MHD_OPTION_NOTIFY_CONNECTION, connection, s, MHD_OPTION_NOTIFY_COMPLETED,
                         completed, s, MHD_OPTION_END);
    if (!s->d) {
        snprintf(err, errlen, "http_listen: cannot serve on %s", listen);
        srv_free(s);
        return NULL;
    }
    s->started = 1;
    return s;
}

void metrics_stop(metrics_srv_t **sp)
{
    metrics_srv_t *s = *sp;
    if (!s) return;
    MHD_stop_daemon(s->d);
    srv_free(s);
    *sp = NULL;
}

void metrics_update_gauges(metrics_srv_t *s, uint64_t queue_events, int64_t connected)
{
    if (!s) return;
    pthread_mutex_lock(&s->mu);
    s->m.queue_events = queue_events;
    if (queue_events > s->m.queue_peak_events) s->m.queue_peak_events = queue_events;
    s->m.connected = connected;
    pthread_mutex_unlock(&s->mu);
}

void metrics_update(metrics_srv_t *s, const metrics_t *now)
{
    if (!s) return;
    pthread_mutex_lock(&s->mu);
    const uint64_t peak = s->m.queue_peak_events;
    s->m = *now;
    if (peak > s->m.queue_peak_events) s->m.queue_peak_events = peak;
    pthread_mutex_unlock(&s->mu);
}

void metrics_watch_federator(metrics_srv_t *s, federator_t *f)
{
    if (!s) return;
    pthread_mutex_lock(&s->mu);
    s->fed = f;
    pthread_mutex_unlock(&s->mu);
}
