/* watch.c — `antt watch` (see watch.h).
 *
 *   antt watch --unit CODE [--period today|month|year] [--db CONNINFO]
 *              [--stream tcp://...:7722] [--snapshot tcp://...:7723] [--for SECONDS]
 *
 * Rows are the unit's children today (each with its subtree and the old
 * units it was made of, for their days: antt.children_on, scope_units),
 * columns the period's
 * incidents, cleared, clearance % (cleared / occurred in the period: plain),
 * major-case clearance %, suspects, tip-offs received / resolved / overdue
 * and resolution % (resolved / received: plain), wanted persons found
 * (arrested or surrendered). Crime columns count crime
 * groups only. On a terminal the table is redrawn in place (plain ANSI, fine
 * over SSH); otherwise one block of lines per update. The database gives the
 * hierarchy and, every 30 s, the overdue counts; the figures come from the
 * stream. A gap or a daemon restart takes a new snapshot. */
#include "cli/watch.h"

#include "cmd/dbconn.h"
#include "cmd/opt.h"
#include "report/report.h"
#include "cli/term.h"
#include "lib/tview.h"
#include "db/query.h"
#include "proto/encode.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define MAX_ROWS 512

typedef struct {
    char code[8], name[256], path[32];
    int64_t inc, clr, minc, mclr, sus, trec, tres, over, wanted;
} wrow_t;

/* A unit version whose deltas count for a row (a child made of old units
 * counts theirs for their days), sorted by code. */
typedef struct {
    char code[8], path[32];
    int32_t from, to; /* days [from, to); INT32_MIN / INT32_MAX when open */
    int row;
} member_t;

typedef struct {
    wrow_t *rows;
    int n;
    member_t *members;
    int nmembers;
    char **crime; /* crime group slugs */
    int ncrime;
    int32_t from, to; /* days [from, to) */
    db_t *c;
} wctx_t;

/* The first column of the first row, copied. */
typedef struct {
    char v[64];
    int rows;
} first_t;

static int first_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)names;
    first_t *f = ctx;
    if (!f->rows++) snprintf(f->v, sizeof f->v, "%s", ncols > 0 && v[0] ? v[0] : "");
    return 0;
}

/* The path of query_unit's row (code, name, path). */
static int path_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)names;
    first_t *f = ctx;
    if (!f->rows++) snprintf(f->v, sizeof f->v, "%s", ncols > 2 && v[2] ? v[2] : "");
    return 0;
}

typedef struct {
    int32_t from, to;
    int rows;
} period_t;

static int period_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)ncols, (void)names;
    period_t *p = ctx;
    p->rows++;
    p->from = v[0] ? atoi(v[0]) : 0;
    p->to = v[1] ? atoi(v[1]) : 0;
    return 0;
}

/* Units (code, name, path) into w->rows, at most MAX_ROWS. */
static int unit_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)ncols, (void)names;
    wctx_t *w = ctx;
    if (w->n >= MAX_ROWS) return 0;
    wrow_t *r = &w->rows[w->n++];
    snprintf(r->code, sizeof r->code, "%s", v[0]);
    snprintf(r->name, sizeof r->name, "%s", v[1]);
    snprintf(r->path, sizeof r->path, "%s", v[2]);
    return 0;
}

static int crime_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)ncols, (void)names;
    wctx_t *w = ctx;
    char **c = realloc(w->crime, ((size_t)w->ncrime + 2) * sizeof *c);
    if (!c) return 1;
    w->crime = c;
    if ((c[w->ncrime] = strdup(v[0]))) w->ncrime++;
    c[w->ncrime] = NULL;
    return 0;
}

static int is_crime(const wctx_t *w, const char *grp)
{
    for (int i = 0; i < w->ncrime; i++)
        if (!strcmp(w->crime[i], grp)) return 1;
    return 0;
}

/* query_child_members' rows (child, code, from, to), in code order. */
static int member_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)ncols, (void)names;
    wctx_t *w = ctx;
    int row = -1;
    for (int i = 0; i < w->n && row < 0; i++)
        if (!strcmp(w->rows[i].code, v[0])) row = i;
    if (row < 0) return 0;
    member_t *m = realloc(w->members, ((size_t)w->nmembers + 1) * sizeof *m);
    if (!m) return 1;
    w->members = m;
    m += w->nmembers++;
    snprintf(m->code, sizeof m->code, "%s", v[1]);
    m->from = v[2] ? atoi(v[2]) : INT32_MIN;
    m->to = v[3] ? atoi(v[3]) : INT32_MAX;
    snprintf(m->path, sizeof m->path, "%s", v[4] ? v[4] : "");
    m->row = row;
    return 0;
}

/* Subscribe to the unit's topic and to every member's that it does not
 * hold: since 1 July 2025 a district's communes and a commune's old units
 * have topics of their own ("20.06040." for district 180). */
static void subscribe_members(void *sub, const wctx_t *w, const char *topic)
{
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, topic, strlen(topic));
    const size_t tn = strlen(topic);
    for (int i = 0; i < w->nmembers; i++) {
        char t[40];
        int n = snprintf(t, sizeof t, "%s.", w->members[i].path);
        if (n <= 1 || (size_t)n >= sizeof t || ((size_t)n >= tn && !memcmp(t, topic, tn))) continue;
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = !strcmp(w->members[j].path, w->members[i].path);
        if (!seen) zmq_setsockopt(sub, ZMQ_SUBSCRIBE, t, (size_t)n);
    }
}

static int cmp_member(const void *a, const void *b)
{
    return strcmp(((const member_t *)a)->code, ((const member_t *)b)->code);
}

static void add_row(wctx_t *w, wrow_t *r, int32_t day, const char *metric, const char *grp,
                    const char *sev, int64_t v);

/* A delta of unit on day counts for every row whose members hold it. */
static void add_cell(void *ctx, const char *unit, int32_t day, const char *metric, const char *grp,
                     const char *sev, int64_t v)
{
    wctx_t *w = ctx;
    if (day < w->from || day >= w->to) return;
    member_t key;
    snprintf(key.code, sizeof key.code, "%s", unit);
    const member_t *m = bsearch(&key, w->members, (size_t)w->nmembers, sizeof *m, cmp_member);
    if (!m) return;
    while (m > w->members && !strcmp(m[-1].code, unit))
        m--;
    for (; m < w->members + w->nmembers && !strcmp(m->code, unit); m++)
        if (day >= m->from && day < m->to) add_row(w, &w->rows[m->row], day, metric, grp, sev, v);
}

static void add_row(wctx_t *w, wrow_t *r, int32_t day, const char *metric, const char *grp,
                    const char *sev, int64_t v)
{
    (void)day;
    const int crime = is_crime(w, grp);
    const int major = !strcmp(sev, "very_serious") || !strcmp(sev, "especially_serious");
    if (!strcmp(metric, "incidents") && crime)
        r->inc += v, r->minc += major ? v : 0;
    else if (!strcmp(metric, "cleared") && crime)
        r->clr += v, r->mclr += major ? v : 0;
    else if (!strcmp(metric, "suspects") && crime)
        r->sus += v;
    else if (!strcmp(metric, "tipoffs_received"))
        r->trec += v;
    else if (!strcmp(metric, "tipoffs_resolved"))
        r->tres += v;
    else if (!strcmp(metric, "wanted_found"))
        r->wanted += v;
}

static void pct(char *out, size_t cap, int64_t a, int64_t b)
{
    if (!b)
        snprintf(out, cap, "-");
    else
        report_num(out, cap, 100.0 * (double)a / (double)b, 1, 1);
}

static void draw(wctx_t *w, const tview_t *tv, int tty, const char *unit, const char *period)
{
    for (int i = 0; i < w->n; i++) {
        wrow_t *r = &w->rows[i];
        r->inc = r->clr = r->minc = r->mclr = r->sus = r->trec = r->tres = r->wanted = 0;
    }
    tview_foreach(tv, add_cell, w);
    /* Hanoi's clock (UTC+7 all year, no summer time) with its zone, whatever
     * the terminal's TZ: the figures' days are Hanoi's days. */
    char when[40];
    time_t t = time(NULL) + 7 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S +07:00 (Hanoi)", &tm);
    if (tty) printf("\033[H\033[2J");
    printf("antt watch %s — %s — %s\n", unit, period, when);
    char name[4 * 28 + 1];
    term_cell(name, sizeof name, "name", 28, 0);
    printf("%-6s %s %9s %8s %7s %7s %8s %8s %8s %7s %7s %6s\n", "unit", name, "incidents",
           "cleared", "clear%", "major%", "suspects", "tip_recv", "tip_res", "overdue", "res%",
           "wanted");
    for (int i = 0; i < w->n; i++) {
        const wrow_t *r = &w->rows[i];
        char a[16], b[16], c[16];
        pct(a, sizeof a, r->clr, r->inc);
        pct(b, sizeof b, r->mclr, r->minc);
        pct(c, sizeof c, r->tres, r->trec);
        term_cell(name, sizeof name, r->name, 28, 0);
        printf("%-6s %s %9lld %8lld %7s %7s %8lld %8lld %8lld %7lld %7s %6lld\n", r->code, name,
               (long long)r->inc, (long long)r->clr, a, b, (long long)r->sus, (long long)r->trec,
               (long long)r->tres, (long long)r->over, c, (long long)r->wanted);
    }
    if (!tty) printf("\n");
    fflush(stdout);
}

static void overdue(wctx_t *w)
{
    for (int i = 0; i < w->n; i++) {
        first_t f = {0};
        char e[256];
        if (query_tipoffs_overdue(w->c, w->rows[i].code, first_row, &f, e, sizeof e) == 0 && f.rows)
            w->rows[i].over = atoll(f.v);
    }
}

/* A snapshot from one endpoint; 0, -1 when it did not answer (said). */
static int snapshot_from(void *ctx, const antt_sec_t *sec, const char *ep, const char *unit,
                         tview_t *tv, int32_t from, int32_t to)
{
    void *req = zmq_socket(ctx, ZMQ_REQ);
    int zero = 0;
    zmq_setsockopt(req, ZMQ_LINGER, &zero, sizeof zero);
    char err[512];
    if (antt_sec_apply(req, sec, err, sizeof err) < 0) {
        fprintf(stderr, "antt watch: %s\n", err);
        zmq_close(req);
        return -1;
    }
    zmq_connect(req, ep);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    enc_str(&pk, "unit", 4);
    enc_str(&pk, unit, strlen(unit));
    enc_str(&pk, "from", 4);
    msgpack_pack_int32(&pk, from);
    enc_str(&pk, "to", 2);
    msgpack_pack_int32(&pk, to);
    zmq_send(req, sb.data, sb.size, 0);
    msgpack_sbuffer_destroy(&sb);
    zmq_pollitem_t it = {req, 0, ZMQ_POLLIN, 0};
    int rc = -1;
    if (zmq_poll(&it, 1, 10000) == 1) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        zmq_msg_recv(&m, req, 0);
        rc = tview_snapshot(tv, zmq_msg_data(&m), zmq_msg_size(&m), err, sizeof err);
        if (rc < 0) fprintf(stderr, "antt watch: %s: %s\n", ep, err);
        zmq_msg_close(&m);
    } else {
        fprintf(stderr, "antt watch: no snapshot from %s\n", ep);
    }
    zmq_close(req);
    return rc;
}

/* A snapshot from the first of the endpoints (comma-separated: every daemon
 * on the database answers the same) that answers. */
static int snapshot(void *ctx, const antt_sec_t *sec, const char *eps, const char *unit,
                    tview_t *tv, int32_t from, int32_t to)
{
    char list[1024], *save = NULL;
    snprintf(list, sizeof list, "%s", eps);
    for (char *ep = strtok_r(list, ", ", &save); ep; ep = strtok_r(NULL, ", ", &save))
        if (snapshot_from(ctx, sec, ep, unit, tv, from, to) == 0) return 0;
    return -1;
}

int watch_main(const antt_sec_t *sec, int argc, char **argv)
{
    const char *unit = NULL, *period = "today", *dsn = NULL, *stream_ep = "tcp://127.0.0.1:7722",
               *snap_ep = "tcp://127.0.0.1:7723";
    long for_s = 0;
    const opt_t opts[] = {
        {"unit", 'u', OPT_STR, &unit, 0, 0, "CODE", "the unit whose children are rows", NULL},
        {"period", 'p', OPT_STR, &period, 0, 0, "today|month|year",
         "the period counted (default today)", NULL},
        {"stream", 0, OPT_STR, &stream_ep, 0, 0, "EP[,EP...]",
         "the tally stream: every daemon's endpoint (tcp://127.0.0.1:7722)", NULL},
        {"snapshot", 0, OPT_STR, &snap_ep, 0, 0, "EP[,EP...]",
         "snapshot endpoints, tried in order (tcp://127.0.0.1:7723)", NULL},
        {"for", 0, OPT_INT, &for_s, 1, 31536000, "SECONDS",
         "stop after this long (default: until Ctrl-C)", NULL},
        OPT_DB(&dsn),
    };
    const size_t nopts = sizeof opts / sizeof opts[0];
    char err[512];
    int prc = opt_parse(opts, nopts, argc, argv, 0, NULL, err, sizeof err);
    if (prc == OPT_HELP) {
        printf("usage: antt [--server-key Z85|FILE --key FILE | --insecure] watch --unit CODE "
               "[options]\n"
               "A live table of the unit's children, from anttd's tally stream. With CURVE (the\n"
               "default) --key is a subscriber's keypair, enrolled with antt subscriber add.\n");
        opt_print(stdout, opts, nopts);
        printf("exit codes: 0 done; 2 bad usage or an unknown unit; 3 no snapshot from anttd;\n"
               "5 database error.\n");
        return ANTT_EXIT_OK;
    }
    if (prc == OPT_OK && !unit) {
        snprintf(err, sizeof err, "--unit is required");
        prc = OPT_ERR;
    } else if (prc == OPT_OK && strcmp(period, "today") && strcmp(period, "month") &&
               strcmp(period, "year")) {
        snprintf(err, sizeof err, "--period: '%s' is not today, month or year", period);
        prc = OPT_ERR;
    } else if (prc == OPT_OK && !sec->insecure &&
               (!sec->server_key || !*sec->server_key || !sec->key_file || !*sec->key_file)) {
        snprintf(
            err, sizeof err,
            "the tally stream speaks CURVE: give the daemon's public key (--server-key) and a "
            "subscriber's keypair (--key FILE, from antt keygen, enrolled with antt subscriber "
            "add), or --insecure for a development daemon");
        prc = OPT_ERR;
    }
    if (prc == OPT_ERR) {
        fprintf(stderr, "antt watch: %s\n", err);
        return ANTT_EXIT_USAGE;
    }
    wctx_t w = {0};
    w.c = dbconn_open(dsn, "antt-watch", err, sizeof err);
    if (!w.c) {
        fprintf(stderr, "antt watch: %s\n", err);
        return ANTT_EXIT_DB;
    }
    /* The period, in Hanoi days. */
    period_t pd = {0};
    if (query_period(w.c, period, period_row, &pd, err, sizeof err) < 0 || !pd.rows) {
        fprintf(stderr, "antt watch: %s\n", pd.rows ? err : "no period");
        db_close(&w.c);
        return ANTT_EXIT_DB;
    }
    w.from = pd.from;
    w.to = pd.to;
    w.rows = calloc(MAX_ROWS, sizeof *w.rows);
    first_t self = {0};
    char e[256];
    if (!w.rows || query_unit(w.c, unit, path_row, &self, e, sizeof e) < 0 || !self.rows ||
        query_unit_children(w.c, unit, unit_row, &w, e, sizeof e) < 0 ||
        (!w.n && query_unit(w.c, unit, unit_row, &w, e, sizeof e) < 0) || !w.n) {
        fprintf(stderr, "antt watch: unit '%s' is not in antt.units\n", unit);
        free(w.rows);
        db_close(&w.c);
        return ANTT_EXIT_USAGE;
    }
    query_crime_groups(w.c, crime_row, &w, e, sizeof e);
    if (query_child_members(w.c, unit, member_row, &w, e, sizeof e) < 0) {
        fprintf(stderr, "antt watch: %s\n", e);
        free(w.rows);
        free(w.members);
        db_close(&w.c);
        return ANTT_EXIT_DB;
    }
    qsort(w.members, (size_t)w.nmembers, sizeof *w.members, cmp_member);
    char topic[sizeof self.v + 1];
    snprintf(topic, sizeof topic, "%s.", self.v);

    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    if (antt_sec_apply(sub, sec, err, sizeof err) < 0) {
        fprintf(stderr, "antt watch: %s\n", err);
        zmq_close(sub);
        zmq_ctx_term(ctx);
        db_close(&w.c);
        return ANTT_EXIT_USAGE;
    }
    subscribe_members(sub, &w, topic);
    /* One stream, whichever daemon publishes it: listen to all of them. */
    char eps[1024], *save = NULL;
    snprintf(eps, sizeof eps, "%s", stream_ep);
    for (char *ep = strtok_r(eps, ", ", &save); ep; ep = strtok_r(NULL, ", ", &save))
        zmq_connect(sub, ep);
    usleep(200000); /* the subscription first, then the snapshot: no gap between them */
    tview_t *tv = tview_new();
    int rc =
        snapshot(ctx, sec, snap_ep, unit, tv, w.from, w.to) < 0 ? ANTT_EXIT_TIMEOUT : ANTT_EXIT_OK;
    const int tty = isatty(STDOUT_FILENO);
    time_t end = for_s ? time(NULL) + for_s : 0, next_over = 0, next_draw = 0;
    int dirty = 1;
    while (rc == 0 && (!end || time(NULL) < end)) {
        if (time(NULL) >= next_over) {
            overdue(&w);
            next_over = time(NULL) + 30;
            dirty = 1;
        }
        if (dirty && time(NULL) >= next_draw) {
            draw(&w, tv, tty, unit, period);
            next_draw = time(NULL) + 1;
            dirty = 0;
        }
        zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 500) <= 0) continue;
        zmq_msg_t t, b;
        zmq_msg_init(&t);
        zmq_msg_init(&b);
        zmq_msg_recv(&t, sub, 0);
        if (zmq_msg_more(&t)) zmq_msg_recv(&b, sub, 0);
        int a = tview_apply(tv, zmq_msg_data(&b), zmq_msg_size(&b));
        if (a == TV_GAP || a == TV_EPOCH) {
            fprintf(stderr, "antt watch: %s; taking a new snapshot\n",
                    a == TV_GAP ? "a gap"
                                : "the stream started again (a new epoch: its log was lost or the "
                                  "database failed over)");
            if (snapshot(ctx, sec, snap_ep, unit, tv, w.from, w.to) < 0) rc = ANTT_EXIT_TIMEOUT;
        }
        dirty = 1;
        zmq_msg_close(&t);
        zmq_msg_close(&b);
    }
    if (rc == 0) draw(&w, tv, tty, unit, period);
    tview_free(&tv);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    for (int i = 0; i < w.ncrime; i++)
        free(w.crime[i]);
    free(w.crime);
    free(w.rows);
    free(w.members);
    db_close(&w.c);
    return rc;
}
