/* slot.c — see slot.h. The replication protocol and pgoutput's messages are
 * PostgreSQL's "Streaming Replication Protocol" and "Logical Replication
 * Message Formats" chapters (proto_version 1). */
#include "db/slot.h"

#include "db/pg.h"
#include "db/tallylog.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define LEAD_LOCK   "7720002" /* pg_try_advisory_lock key: the stream's reader */
#define PUBLICATION "antt_stream"

/* How long a commit handed over stays unconfirmed. Handed over is not sent:
 * the caller's PUB socket queues it for its I/O thread, and a daemon killed
 * (or stopped: the socket does not linger) loses what is queued. Confirmed
 * at once, that would be skipped by the next reader too — a gap every
 * subscriber sees (test_stream caught it on a loaded machine). A second
 * later, the next reader repeats it instead, and subscribers skip repeats. */
#define CONFIRM_AFTER_US 1000000

struct slot {
    char conninfo[1024];
    db_t *lock;    /* the session holding the advisory lock */
    PGconn *repl;  /* the replication connection, while reading */
    char name[64]; /* the slot's */
    uint64_t epoch;
    uint64_t confirmed; /* what was handed over long enough ago to be forgotten */
    uint64_t handed;    /* the end of the last commit handed over */
    uint64_t held;      /* a commit's end, to be confirmed at held_at + CONFIRM_AFTER_US */
    int64_t held_at;
    uint64_t begin_lsn; /* the current transaction's commit position */
    int64_t last_status_us;
    int dirty; /* confirmed moved since the last status update */
    char warning[256];
};

slot_t *slot_new(const char *conninfo)
{
    slot_t *s = calloc(1, sizeof *s);
    if (s) snprintf(s->conninfo, sizeof s->conninfo, "%s", conninfo ? conninfo : "");
    return s;
}

void slot_stop(slot_t *s)
{
    if (s->repl) PQfinish(s->repl);
    s->repl = NULL;
    db_close(&s->lock); /* the lock goes with its session */
}

void slot_free(slot_t **sp)
{
    if (!*sp) return;
    slot_stop(*sp);
    free(*sp);
    *sp = NULL;
}

const char *slot_warning(const slot_t *s)
{
    return s->warning;
}

int slot_leading(const slot_t *s)
{
    return s->repl != NULL;
}

int slot_socket(const slot_t *s)
{
    return s->repl ? PQsocket(s->repl) : -1;
}

uint64_t slot_epoch(const slot_t *s)
{
    return s->epoch;
}

/* The first column of a one-row answer, copied ("" when none). */
typedef struct {
    char v[128];
    int rows;
} one_t;

static int one_row(void *ctx, int n, const char *const *names, const char *const *v)
{
    (void)names;
    one_t *o = ctx;
    if (!o->rows++) snprintf(o->v, sizeof o->v, "%s", n > 0 && v[0] ? v[0] : "");
    return 0;
}

static int ask(db_t *c, const char *sql, int np, const char *const *p, one_t *o, char *err,
               size_t errlen)
{
    memset(o, 0, sizeof *o);
    return db_rows(c, sql, np, p, one_row, o, err, errlen);
}

static int64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* The slot (created, with a new epoch, when missing or lost) and the epoch. */
static int prepare(slot_t *s, char *err, size_t errlen)
{
    one_t o;
    if (ask(s->lock, "SHOW wal_level", 0, NULL, &o, err, errlen) < 0) return -1;
    if (strcmp(o.v, "logical")) {
        snprintf(err, errlen,
                 "the tally stream is read from the database's log: set wal_level = logical "
                 "(it is %s) and restart PostgreSQL",
                 o.v);
        return -1;
    }
    s->warning[0] = '\0';
    if (ask(s->lock, "SHOW max_slot_wal_keep_size", 0, NULL, &o, err, errlen) < 0) return -1;
    if (!strcmp(o.v, "-1"))
        snprintf(s->warning, sizeof s->warning,
                 "max_slot_wal_keep_size is -1: while no daemon publishes, the stream's slot keeps "
                 "the database's log without bound; set it (e.g. 4GB)");
    if (ask(s->lock,
            "SELECT 'antt_' || left(regexp_replace(lower(current_database()),"
            " '[^a-z0-9_]', '_', 'g'), 58)",
            0, NULL, &o, err, errlen) < 0)
        return -1;
    snprintf(s->name, sizeof s->name, "%.63s", o.v);
    const char *p[1] = {s->name};
    if (ask(s->lock,
            "SELECT coalesce(wal_status, '') FROM pg_replication_slots WHERE slot_name = $1", 1, p,
            &o, err, errlen) < 0)
        return -1;
    int fresh = 0;
    if (o.rows && !strcmp(o.v, "lost")) { /* past max_slot_wal_keep_size: start again */
        if (ask(s->lock, "SELECT pg_drop_replication_slot($1)", 1, p, &o, err, errlen) < 0)
            return -1;
        o.rows = 0;
    }
    if (!o.rows) {
        if (ask(s->lock, "SELECT lsn FROM pg_create_logical_replication_slot($1, 'pgoutput')", 1, p,
                &o, err, errlen) < 0)
            return -1;
        fresh = 1;
    }
    uint64_t e = 0;
    if (getrandom(&e, sizeof e, 0) != sizeof e) e = (uint64_t)now_us();
    char ep[24];
    snprintf(ep, sizeof ep, "%llu", (unsigned long long)(e & 0x7fffffffffffffffULL));
    const char *pe[1] = {ep};
    /* A new slot is a new stream; an existing one keeps its epoch. */
    if (ask(s->lock,
            fresh ? "INSERT INTO antt.stream_state (epoch) VALUES ($1::bigint)"
                    " ON CONFLICT (one) DO UPDATE SET epoch = EXCLUDED.epoch RETURNING epoch"
                  : "INSERT INTO antt.stream_state (epoch) VALUES ($1::bigint)"
                    " ON CONFLICT (one) DO UPDATE SET epoch = antt.stream_state.epoch"
                    " RETURNING epoch",
            1, pe, &o, err, errlen) < 0)
        return -1;
    s->epoch = strtoull(o.v, NULL, 10);
    return 0;
}

int slot_lead(slot_t *s, char *err, size_t errlen)
{
    if (s->repl) return 1;
    one_t o;
    if (!s->lock && !(s->lock = db_connect(s->conninfo, "anttd-stream", err, errlen))) return -1;
    if (ask(s->lock, "SELECT pg_try_advisory_lock(" LEAD_LOCK ")", 0, NULL, &o, err, errlen) < 0) {
        db_close(&s->lock);
        return -1;
    }
    if (strcmp(o.v, "t")) return 0; /* another daemon reads */
    if (prepare(s, err, errlen) < 0) goto fail;
    /* The replication connection: our defaults, then the operator's conninfo. */
    const char *keys[] = {"replication", "application_name", "connect_timeout", "dbname", NULL};
    const char *vals[] = {"database", "anttd-stream", "5", s->conninfo[0] ? s->conninfo : NULL,
                          NULL};
    if (!vals[3]) keys[3] = NULL;
    s->repl = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(s->repl) != CONNECTION_OK) {
        db_result_error(NULL, s->repl, NULL, err, errlen);
        goto fail;
    }
    char cmd[256];
    snprintf(cmd, sizeof cmd,
             "START_REPLICATION SLOT %s LOGICAL 0/0 (\"proto_version\" '1',"
             " \"publication_names\" '" PUBLICATION "', \"messages\" 'true')",
             s->name);
    PGresult *r = PQexec(s->repl, cmd);
    if (PQresultStatus(r) != PGRES_COPY_BOTH) {
        db_result_error(r, s->repl, NULL, err, errlen);
        PQclear(r);
        goto fail; /* e.g. the old reader's walsender has not gone yet */
    }
    PQclear(r);
    PQsetnonblocking(s->repl, 1);
    s->confirmed = s->handed = s->held = 0;
    s->dirty = 0;
    s->last_status_us = now_us();
    return 1;
fail:
    slot_stop(s);
    return -1;
}

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

/* Standby status update: what we have handed over may be forgotten. */
static int status(slot_t *s)
{
    uint8_t m[34];
    m[0] = 'r';
    put_be(m + 1, s->confirmed, 8);  /* written */
    put_be(m + 9, s->confirmed, 8);  /* flushed */
    put_be(m + 17, s->confirmed, 8); /* applied */
    /* microseconds since 2000-01-01, PostgreSQL's epoch */
    put_be(m + 25, (uint64_t)(now_us() - 946684800000000LL), 8);
    m[33] = 0;
    s->last_status_us = now_us();
    s->dirty = 0;
    return PQputCopyData(s->repl, (const char *)m, sizeof m) == 1 && PQflush(s->repl) >= 0 ? 0 : -1;
}

/* One pgoutput message (after XLogData's header). */
static void decoded(slot_t *s, const uint8_t *p, size_t n, slot_msg_fn fn, void *ctx)
{
    if (n < 1) return;
    switch (p[0]) {
    case 'B': /* Begin: final (commit) LSN, commit time, xid */
        if (n >= 9) s->begin_lsn = be(p + 1, 8);
        break;
    case 'M': { /* Message: flags, LSN, prefix, length, content */
        if (n < 10) return;
        const char *prefix = (const char *)p + 10;
        const size_t pl = strnlen(prefix, n - 10);
        if (10 + pl + 1 + 4 > n) return;
        const uint8_t *q = p + 10 + pl + 1;
        const size_t len = (size_t)be(q, 4);
        if (10 + pl + 1 + 4 + len > n || strcmp(prefix, TALLYLOG_PREFIX)) return;
        fn(ctx, s->begin_lsn, q + 4, len);
        break;
    }
    case 'C': /* Commit: flags, commit LSN, end LSN, time */
        if (n >= 25) s->handed = be(p + 10, 8);
        break;
    default: break; /* relations, types, origins: none of ours */
    }
}

int slot_read(slot_t *s, slot_msg_fn fn, void *ctx, char *err, size_t errlen)
{
    if (!s->repl) return -1;
    if (!PQconsumeInput(s->repl)) goto lost;
    for (;;) {
        char *buf = NULL;
        int n = PQgetCopyData(s->repl, &buf, 1);
        if (n == 0) break; /* nothing more for now */
        if (n < 0) goto lost;
        const uint8_t *p = (const uint8_t *)buf;
        if (p[0] == 'w' && n >= 25) {
            decoded(s, p + 25, (size_t)n - 25, fn, ctx);
        } else if (p[0] == 'k' && n >= 18) { /* keepalive: walEnd, time, reply? */
            if (p[17] && status(s) < 0) {
                PQfreemem(buf);
                goto lost;
            }
        }
        PQfreemem(buf);
    }
    /* Confirm what was handed over a while ago (CONFIRM_AFTER_US): one
     * commit held at a time, so a busy stream is confirmed within twice that. */
    const int64_t now = now_us();
    if (s->held && now - s->held_at >= CONFIRM_AFTER_US) {
        s->confirmed = s->held;
        s->dirty = 1;
        s->held = 0;
    }
    if (!s->held && s->handed > s->confirmed) {
        s->held = s->handed;
        s->held_at = now;
    }
    if ((s->dirty || now_us() - s->last_status_us > 10000000) && status(s) < 0) goto lost;
    return 0;
lost:
    db_result_error(NULL, s->repl, NULL, err, errlen);
    slot_stop(s);
    return -1;
}

int64_t slot_lag(slot_t *s)
{
    if (!s->lock || !s->name[0]) return -1;
    one_t o;
    char err[128];
    const char *p[1] = {s->name};
    if (ask(s->lock,
            "SELECT (pg_current_wal_lsn() - confirmed_flush_lsn)::bigint FROM pg_replication_slots"
            " WHERE slot_name = $1",
            1, p, &o, err, sizeof err) < 0 ||
        !o.rows || !o.v[0])
        return -1;
    return strtoll(o.v, NULL, 10);
}
