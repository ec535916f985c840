/* snap.c — see snap.h.
 *
 * Between the loop and the reader, a pair of inproc sockets: a job is
 * [routing id][delimiter flag][request]; an answer [routing id][flag][body].
 * The loop keeps the routing ids it queued (at most `queue` of them) to
 * count each requester's waiting snapshots. */
#include "daemon/snap.h"

#include "daemon/log.h"
#include "db/pg.h"
#include "db/fold.h"
#include "db/query.h"
#include "proto/encode.h"
#include "proto/mp.h"

#include <errno.h>
#include <stdatomic.h>
#include <msgpack.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zmq.h>

#define FRESH_MS 2000 /* a snapshot waits this long at most for the fold */
/* a ROUTER's routing ids are at most 255 bytes */
#define ID_CAP 256
/* the days a request may name: 1970-01-01 (nothing is counted before) to
 * day 1,000,000 (year 4707, later than anything) */
#define SNAP_DAY_MIN 0
#define SNAP_DAY_MAX 1000000

/* A snapshot being read: its requester's routing id (where the answer
 * goes) and who asked (the subscriber's name under CURVE, whatever
 * connection it used; the routing id otherwise). */
typedef struct {
    uint8_t id[ID_CAP];
    size_t n;
    char who[ID_CAP];
    size_t wn;
} rid_t;

/* Bytes of answers ZeroMQ still holds (queued to requesters, or being
 * written): added when an answer is made, taken off when ZeroMQ frees it.
 * A process-wide count: ZeroMQ may free an answer after its snap_t is gone
 * (when the context ends). */
static _Atomic uint64_t held_bytes;

/* What the reader is asked: the requester's envelope travels beside it. */
typedef struct {
    char unit[16];
    int64_t from, to;
} job_t;

struct snap {
    void *router;        /* requests in, answers out (the loop's) */
    void *jobs, *done;   /* the loop's ends of the pairs */
    void *rjobs, *rdone; /* the reader's ends */
    pthread_t reader;
    int started, secure;
    _Atomic int stop;
    char conninfo[1024];
    snap_limits_t lim;
    rid_t *waiting; /* routing ids queued or being read (lim.queue of them) */
    snap_stats_t st;
    /* the reader's own */
    db_t *db;
    msgpack_sbuffer sb, rows, units;
    uint64_t failed;    /* counted by the reader; read by the loop */
    uint64_t busy_late; /* refused by the reader: over the bytes' budget */
};

/* ---- the request ------------------------------------------------------ */

int snap_parse_request(const void *buf, size_t len, char unit[16], int64_t *from, int64_t *to)
{
    mp_reader_t r;
    mp_init(&r, buf, len);
    mp_obj_t o;
    if (mp_next(&r, &o) < 0 || o.type != MP_MAP || o.n > 16) return -1;
    unit[0] = '\0';
    *from = SNAP_DAY_MIN;
    *to = SNAP_DAY_MAX;
    for (uint32_t i = 0; i < o.n; i++) {
        mp_obj_t k, v;
        if (mp_next(&r, &k) < 0 || k.type != MP_STR) return -1;
        const uint8_t *at = r.p;
        if (mp_next(&r, &v) < 0) return -1;
        if (v.type == MP_ARRAY || v.type == MP_MAP) { /* not ours: step over it whole */
            r.p = at;
            if (mp_skip(&r, 4) < 0) return -1;
            continue;
        }
        const int is_day = v.type == MP_UINT || v.type == MP_INT;
        /* clamped to the days a date holds (PostgreSQL refuses past them) */
        const int64_t day = v.type == MP_UINT
                                ? (v.v.u > SNAP_DAY_MAX ? SNAP_DAY_MAX : (int64_t)v.v.u)
                                : SNAP_DAY_MIN; /* a negative day: the first */
        if (k.n == 4 && !memcmp(k.p, "unit", 4)) {
            if (v.type != MP_STR || v.n < 1 || v.n > 15) return -1;
            memcpy(unit, v.p, v.n);
            unit[v.n] = '\0';
            if (strlen(unit) != v.n) return -1; /* a NUL inside */
        } else if (k.n == 4 && !memcmp(k.p, "from", 4)) {
            if (!is_day) return -1;
            *from = day;
        } else if (k.n == 2 && !memcmp(k.p, "to", 2)) {
            if (!is_day) return -1;
            *to = day;
        }
    }
    if (mp_left(&r)) return -1; /* one map, nothing after it */
    return unit[0] ? 0 : -1;
}

/* ---- the reader thread ------------------------------------------------ */

#define KEY(pk, lit) enc_str(pk, lit, sizeof(lit) - 1)

typedef struct {
    msgpack_packer pk;
    uint32_t n;
} rows_t;

typedef struct {
    rows_t versions, tallies;
} snap_rows_t;

/* A tally row (unit, day, metric, grp, severity, value). */
static int snap_tally(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)ncols, (void)names;
    rows_t *r = &((snap_rows_t *)ctx)->tallies;
    msgpack_pack_array(&r->pk, 6);
    for (int col = 0; col < 6; col++) {
        const char *x = v[col] ? v[col] : "";
        if (col == 1)
            msgpack_pack_int32(&r->pk, atoi(x));
        else if (col == 5)
            msgpack_pack_int64(&r->pk, strtoll(x, NULL, 10));
        else
            enc_str(&r->pk, x, strlen(x));
    }
    r->n++;
    return 0;
}

/* A unit's version into "useq". */
static int snap_version(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)ncols, (void)names;
    rows_t *r = &((snap_rows_t *)ctx)->versions;
    enc_str(&r->pk, v[0], strlen(v[0]));
    msgpack_pack_uint64(&r->pk, strtoull(v[1], NULL, 10));
    r->n++;
    return 0;
}

static void pack_error(msgpack_sbuffer *sb, const char *e)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    KEY(&pk, "error");
    enc_str(&pk, e, strlen(e));
}

/* The snapshot of job into s->sb: 0, or -1 when it is an {"error"}. */
static int read_snapshot(snap_t *s, const job_t *j)
{
    msgpack_sbuffer_clear(&s->sb);
    /* checked again here: the requests queued while the answers held were
     * under the budget may together be over it; at most the one being read
     * when the budget is reached goes past it */
    if (atomic_load(&held_bytes) >= s->lim.bytes_max) {
        __atomic_add_fetch(&s->busy_late, 1, __ATOMIC_RELAXED);
        pack_error(&s->sb, "busy: ask again in a few seconds");
        return -1;
    }
    char err[256];
    if (!s->db || !db_ok(s->db)) {
        db_close(&s->db);
        s->db = db_connect(s->conninfo, "anttd snapshots", err, sizeof err);
        if (s->db && db_set_read_only(s->db, err, sizeof err) < 0) db_close(&s->db);
        if (!s->db) {
            log_warn("stream", "snapshots: %s", err);
            __atomic_add_fetch(&s->failed, 1, __ATOMIC_RELAXED);
            pack_error(&s->sb, "database unavailable");
            return -1;
        }
    }
    /* the batches acked before the request are in it (at most FRESH_MS;
     * after that the snapshot is what there is, and the stream brings the
     * rest, since its versions are the fold's) */
    char as_of[64];
    double behind;
    fold_fresh(s->db, FRESH_MS, as_of, sizeof as_of, &behind, err, sizeof err);
    snap_rows_t rows = {0};
    msgpack_sbuffer_clear(&s->rows);
    msgpack_sbuffer_clear(&s->units);
    msgpack_packer_init(&rows.tallies.pk, &s->rows, msgpack_sbuffer_write);
    msgpack_packer_init(&rows.versions.pk, &s->units, msgpack_sbuffer_write);
    query_snapshot_t q = {.versions = snap_version, .tallies = snap_tally, .ctx = &rows};
    if (query_snapshot(s->db, j->unit, j->from, j->to, &q, err, sizeof err) < 0) {
        log_warn("stream", "snapshot of %s: %s", j->unit, err);
        __atomic_add_fetch(&s->failed, 1, __ATOMIC_RELAXED);
        pack_error(&s->sb, "query failed");
        return -1;
    }
    msgpack_packer pk;
    msgpack_packer_init(&pk, &s->sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    KEY(&pk, "epoch");
    msgpack_pack_uint64(&pk, q.epoch);
    KEY(&pk, "seq");
    msgpack_pack_uint64(&pk, q.seq);
    KEY(&pk, "useq");
    msgpack_pack_map(&pk, rows.versions.n);
    msgpack_sbuffer_write(&s->sb, s->units.data, s->units.size);
    KEY(&pk, "rows");
    msgpack_pack_array(&pk, rows.tallies.n);
    msgpack_sbuffer_write(&s->sb, s->rows.data, s->rows.size);
    return 0;
}

static void free_answer(void *data, void *hint)
{
    atomic_fetch_sub(&held_bytes, (uint64_t)(uintptr_t)hint);
    free(data);
}

static void *reader(void *arg)
{
    snap_t *s = arg;
    /* below the loop: on a small machine, encoding a province must not
     * take the core the stations' acks need (Linux: a thread's own nice) */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10) < 0)
        log_debug("stream", "snapshots: the reader keeps the loop's priority");
    while (!s->stop) {
        zmq_pollitem_t it = {s->rjobs, -1, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 200) <= 0) continue;
        zmq_msg_t f[3];
        int n = 0, more = 1;
        while (more && n < 3) {
            zmq_msg_init(&f[n]);
            if (zmq_msg_recv(&f[n], s->rjobs, 0) < 0) break;
            more = zmq_msg_more(&f[n++]);
        }
        if (n == 3 && zmq_msg_size(&f[2]) == sizeof(job_t)) {
            job_t j;
            memcpy(&j, zmq_msg_data(&f[2]), sizeof j);
            /* the flag frame: bit 0 the REQ delimiter (as it came), bit 1
             * an {"error"} (not counted served) */
            uint8_t flag = *(const uint8_t *)zmq_msg_data(&f[1]);
            if (read_snapshot(s, &j) < 0) flag |= 2;
            zmq_msg_close(&f[1]);
            zmq_msg_init_size(&f[1], 1);
            memcpy(zmq_msg_data(&f[1]), &flag, 1);
            /* the body moves to the loop and on to the socket: not copied */
            zmq_msg_t body;
            const size_t len = s->sb.size;
            char *data = msgpack_sbuffer_release(&s->sb);
            atomic_fetch_add(&held_bytes, (uint64_t)len);
            if (zmq_msg_init_data(&body, data, len, free_answer, (void *)(uintptr_t)len) < 0) {
                free_answer(data, (void *)(uintptr_t)len);
                zmq_msg_init(&body); /* an empty answer: the loop still frees the slot */
            }
            zmq_msg_send(&f[0], s->rdone, ZMQ_SNDMORE);
            zmq_msg_send(&f[1], s->rdone, ZMQ_SNDMORE);
            zmq_msg_send(&body, s->rdone, 0);
        }
        for (int i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
    }
    db_close(&s->db);
    return NULL;
}

/* ---- the loop's side -------------------------------------------------- */

static void *pair(void *zctx, int bind, const char *ep)
{
    void *z = zmq_socket(zctx, ZMQ_PAIR);
    int zero = 0, hwm = 0; /* bounded by lim.queue, not by the socket */
    zmq_setsockopt(z, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(z, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(z, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if ((bind ? zmq_bind(z, ep) : zmq_connect(z, ep)) < 0) {
        zmq_close(z);
        return NULL;
    }
    return z;
}

snap_t *snap_open(void *zctx, const char *ep, const key_pair_t *key, const char *conninfo,
                  const snap_limits_t *lim, char *err, size_t errlen)
{
    snap_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->lim = *lim;
    s->secure = key != NULL;
    snprintf(s->conninfo, sizeof s->conninfo, "%s", conninfo);
    msgpack_sbuffer_init(&s->sb);
    msgpack_sbuffer_init(&s->rows);
    msgpack_sbuffer_init(&s->units);
    s->waiting = calloc((size_t)lim->queue, sizeof *s->waiting);
    s->router = zmq_socket(zctx, ZMQ_ROUTER);
    if (!s->waiting || !s->router) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    int zero = 0, one = 1, hwm = lim->peer_hwm;
    zmq_setsockopt(s->router, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s->router, ZMQ_SNDHWM, &hwm, sizeof hwm);
    /* an answer the requester's queue cannot take is an error to count,
     * not a silent drop */
    zmq_setsockopt(s->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    if (key_bind_server(s->router, key, AUTH_DOMAIN_STREAM, ep, err, errlen) < 0) goto fail;
    char a[64], b[64];
    snprintf(a, sizeof a, "inproc://antt-snap-jobs-%p", (void *)s);
    snprintf(b, sizeof b, "inproc://antt-snap-done-%p", (void *)s);
    if (!(s->jobs = pair(zctx, 1, a)) || !(s->rjobs = pair(zctx, 0, a)) ||
        !(s->rdone = pair(zctx, 1, b)) || !(s->done = pair(zctx, 0, b))) {
        snprintf(err, errlen, "snapshots: cannot make the reader's sockets");
        goto fail;
    }
    if (pthread_create(&s->reader, NULL, reader, s) != 0) {
        snprintf(err, errlen, "snapshots: cannot start the reader thread");
        goto fail;
    }
    s->started = 1;
    return s;
fail:
    snap_close(&s);
    return NULL;
}

void snap_close(snap_t **sp)
{
    snap_t *s = *sp;
    if (!s) return;
    s->stop = 1;
    if (s->started) pthread_join(s->reader, NULL);
    void *socks[5] = {s->router, s->jobs, s->done, s->rjobs, s->rdone};
    for (int i = 0; i < 5; i++)
        if (socks[i]) zmq_close(socks[i]);
    msgpack_sbuffer_destroy(&s->sb);
    msgpack_sbuffer_destroy(&s->rows);
    msgpack_sbuffer_destroy(&s->units);
    free(s->waiting);
    free(s);
    *sp = NULL;
}

void *snap_request_socket(snap_t *s)
{
    return s ? s->router : NULL;
}

void *snap_answer_socket(snap_t *s)
{
    return s ? s->done : NULL;
}

const snap_stats_t *snap_stats(const snap_t *s)
{
    ((snap_t *)s)->st.failed = __atomic_load_n(&s->failed, __ATOMIC_RELAXED);
    ((snap_t *)s)->st.held_bytes = atomic_load(&held_bytes);
    ((snap_t *)s)->st.busy_late = __atomic_load_n(&s->busy_late, __ATOMIC_RELAXED);
    return &s->st;
}

/* Send [id][""?][body] on the router; frames are consumed. 0, or -1 when
 * the requester cannot take it (gone, or its queue full: dropped). */
static int answer(snap_t *s, zmq_msg_t *id, int delim, zmq_msg_t *body)
{
    if (zmq_msg_send(id, s->router, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(id);
        zmq_msg_close(body);
        s->st.dropped++;
        return -1;
    }
    if (delim) zmq_send(s->router, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (zmq_msg_send(body, s->router, ZMQ_DONTWAIT) < 0) zmq_msg_close(body);
    return 0;
}

static void answer_error(snap_t *s, zmq_msg_t *id, int delim, const char *e)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    pack_error(&sb, e);
    zmq_msg_t body;
    zmq_msg_init_size(&body, sb.size);
    memcpy(zmq_msg_data(&body), sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    answer(s, id, delim, &body);
}

/* How many snapshots `who` has waiting, and a free slot (or -1). */
static int waiting_of(const snap_t *s, const char *who, size_t wn, int *free_slot)
{
    int n = 0;
    *free_slot = -1;
    for (int i = 0; i < s->lim.queue; i++) {
        const rid_t *w = &s->waiting[i];
        if (!w->n) {
            if (*free_slot < 0) *free_slot = i;
        } else if (w->wn == wn && !memcmp(w->who, who, wn)) {
            n++;
        }
    }
    return n;
}

void snap_take(snap_t *s, const reg_t *reg, auth_t *auth)
{
    if (!s) return;
    for (int round = 0; round < 64; round++) {
        /* the whole message, whatever its shape: a frame left behind would
         * be read as the start of the next message, its first frame taken
         * for a routing id, and the answer sent to another peer */
        zmq_msg_t f[3];
        int n = 0, more = 1;
        while (more) {
            zmq_msg_t part;
            zmq_msg_init(&part);
            if (zmq_msg_recv(&part, s->router, n ? 0 : ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&part);
                if (!n) return;
                break;
            }
            more = zmq_msg_more(&part);
            if (n < 3) {
                zmq_msg_init(&f[n]);
                zmq_msg_move(&f[n++], &part);
            } else {
                n = 4; /* too many: marked, the rest drained */
            }
            zmq_msg_close(&part);
        }
        const int frames = n;
        if (n > 3) n = 3;
        /* [id][request] from a DEALER, [id][""][request] from a REQ */
        const int delim = frames == 3 && zmq_msg_size(&f[1]) == 0;
        zmq_msg_t *req = frames == 2 ? &f[1] : delim ? &f[2] : NULL;
        char unit[16];
        int64_t from, to;
        const char *scope, *path = NULL;
        if (!req ||
            snap_parse_request(zmq_msg_data(req), zmq_msg_size(req), unit, &from, &to) < 0 ||
            !(path = reg_unit_path(reg, unit, strlen(unit)))) {
            s->st.bad++;
            answer_error(s, &f[0], delim, req ? "unknown unit or bad request" : "bad envelope");
            for (int i = 1; i < n; i++)
                zmq_msg_close(&f[i]);
            continue;
        }
        if (!(scope = auth_subscriber_scope(auth, reg, s->secure, req))) {
            for (int i = 0; i < n; i++)
                zmq_msg_close(&f[i]);
            continue;
        }
        char want[40];
        const int wl = snprintf(want, sizeof want, "%s.", path);
        /* who asks: the subscriber, over all its connections (CURVE), or
         * the connection */
        const char *user = s->secure ? zmq_msg_gets(req, "User-Id") : NULL;
        const char *who = user ? user : (const char *)zmq_msg_data(&f[0]);
        const size_t wn = user ? strlen(user) : zmq_msg_size(&f[0]);
        int slot;
        const char *refused = NULL;
        if (wl < 0 || (size_t)wl >= sizeof want || !reg_scope_holds(reg, scope, want, (size_t)wl))
            refused = "unit outside this subscriber's scope", s->st.scope++;
        else if (zmq_msg_size(&f[0]) > ID_CAP || wn > ID_CAP)
            refused = "bad envelope", s->st.bad++;
        else if (waiting_of(s, who, wn, &slot) >= s->lim.per_peer)
            refused = "one snapshot at a time: wait for the answer", s->st.peer++;
        else if (slot < 0 || atomic_load(&held_bytes) >= s->lim.bytes_max)
            refused = "busy: ask again in a few seconds", s->st.busy++;
        if (refused) {
            answer_error(s, &f[0], delim, refused);
            for (int i = 1; i < n; i++)
                zmq_msg_close(&f[i]);
            continue;
        }
        rid_t *w = &s->waiting[slot];
        w->n = zmq_msg_size(&f[0]);
        memcpy(w->id, zmq_msg_data(&f[0]), w->n);
        w->wn = wn;
        memcpy(w->who, who, wn);
        job_t j = {.from = from, .to = to};
        memcpy(j.unit, unit, sizeof j.unit);
        const uint8_t flag = (uint8_t)delim;
        zmq_msg_send(&f[0], s->jobs, ZMQ_SNDMORE);
        zmq_send(s->jobs, &flag, 1, ZMQ_SNDMORE);
        zmq_send(s->jobs, &j, sizeof j, 0);
        s->st.inflight++;
        for (int i = 1; i < n; i++)
            zmq_msg_close(&f[i]);
    }
}

void snap_give(snap_t *s)
{
    if (!s) return;
    for (int round = 0; round < 64; round++) {
        zmq_msg_t f[3];
        int n = 0, more = 1;
        while (more && n < 3) {
            zmq_msg_init(&f[n]);
            if (zmq_msg_recv(&f[n], s->done, n ? 0 : ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&f[n]);
                if (!n) return;
                break;
            }
            more = zmq_msg_more(&f[n++]);
        }
        if (n != 3) {
            for (int i = 0; i < n; i++)
                zmq_msg_close(&f[i]);
            continue;
        }
        for (int i = 0; i < s->lim.queue; i++) { /* the requester waits for one fewer */
            rid_t *w = &s->waiting[i];
            if (w->n == zmq_msg_size(&f[0]) && !memcmp(w->id, zmq_msg_data(&f[0]), w->n)) {
                w->n = 0;
                break;
            }
        }
        s->st.inflight--;
        const uint8_t flag = *(const uint8_t *)zmq_msg_data(&f[1]);
        zmq_msg_close(&f[1]);
        if (answer(s, &f[0], flag & 1, &f[2]) == 0 && !(flag & 2)) s->st.served++;
    }
}
