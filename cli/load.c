/* load.c — `antt load`: simulated stations at a given rate, answers counted,
 * ack latency measured from send to reply.
 *
 *   antt load (--units FILE | --db CONNINFO) [--under CODE] [--node-prefix P] [--nodes N]
 *             [--rate EVENTS_PER_S] [--duration S] [--per-msg K] [--window W]
 *             [--duplicates FRACTION] [--malformed FRACTION] [--every S]
 *
 * Stations are named P<unit code> (P<code>.<k> when there are more stations
 * than units); they must be registered (anttd --add-nodes-under CODE P).
 * With CURVE (the default) each station needs a key: --enroll CONNINFO makes
 * a throwaway keypair per station and writes its public key into antt.nodes
 * (replacing any key the node had: test databases only).
 * --rate 0 sends as fast as the window allows. Duplicates resend a message
 * already sent (same bytes: answered `duplicate`); malformed messages are
 * refused whole by the daemon (1xx). */
#include "cli/load.h"

#include "cmd/dbconn.h"
#include "lib/loadgen.h"
#include "cmd/opt.h"
#include "db/admin.h"
#include "db/query.h"
#include "proto/ack.h"
#include "proto/err.h"
#include "net/key.h"
#include "proto/ts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define MAX_UNITS 20000

typedef struct {
    char code[8];
    char parent[8];
} unit_t;

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Commune codes from a file: one code a line, or a units CSV of db/
 * (code,name,level,kind,parent_code[,valid_from]), filtered to the subtree
 * of `under`. */
static int read_units(const char *path, const char *under, char (*out)[8], int max)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    static unit_t all[MAX_UNITS];
    static char level[MAX_UNITS];
    int n = 0, csv = 0;
    char line[512];
    while (fgets(line, sizeof line, f) && n < MAX_UNITS) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0]) continue;
        if (!strncmp(line, "code,", 5)) {
            csv = 1;
            continue;
        }
        if (!csv) {
            snprintf(all[n].code, sizeof all[n].code, "%.7s", line);
            all[n].parent[0] = '\0';
            level[n++] = 'c';
            continue;
        }
        /* code,name,level,kind,parent_code[,valid_from] (data/units-2025.csv
         * has the sixth column: communes whose parent is the province) */
        char *fld[6] = {0};
        char *p = line;
        for (int i = 0; i < 6; i++) {
            char *comma = strchr(p, ',');
            fld[i] = p;
            if (!comma) break;
            *comma = '\0';
            p = comma + 1;
        }
        if (!fld[2] || !fld[4]) continue;
        snprintf(all[n].code, sizeof all[n].code, "%.7s", fld[0]);
        snprintf(all[n].parent, sizeof all[n].parent, "%.7s", fld[4]);
        level[n++] = fld[2][0];
    }
    fclose(f);
    int m = 0;
    for (int i = 0; i < n && m < max; i++) {
        if (level[i] != 'c') continue;
        int inside = !under || !*under;
        for (const char *c = all[i].code; !inside && c && *c;) {
            if (!strcmp(c, under)) inside = 1;
            const char *parent = NULL;
            for (int j = 0; j < n; j++)
                if (!strcmp(all[j].code, c)) parent = all[j].parent;
            c = parent;
        }
        if (inside) memcpy(out[m++], all[i].code, 8);
    }
    return m;
}

typedef struct {
    char (*out)[8];
    int n, max;
} codes_t;

static int code_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)ncols, (void)names;
    codes_t *c = ctx;
    if (c->n < c->max) snprintf(c->out[c->n++], 8, "%.7s", v[0]);
    return 0;
}

/* Commune codes from the database: those under `under`, or all. */
static int db_units(const char *conninfo, const char *under, char (*out)[8], int max)
{
    char err[512];
    db_t *c = dbconn_open(conninfo, "antt-load", err, sizeof err);
    if (!c) {
        fprintf(stderr, "antt load: %s\n", err);
        return -1;
    }
    codes_t codes = {.out = out, .max = max};
    int rc = query_communes(c, under, code_row, &codes, err, sizeof err);
    if (rc < 0) fprintf(stderr, "antt load: %s\n", err);
    db_close(&c);
    return rc < 0 ? -1 : codes.n;
}

typedef struct {
    void *sock;
    lg_node_t g;
    int inflight;
    msgpack_sbuffer last; /* its last message, for a duplicate resend */
} sim_t;

typedef struct {
    int64_t *sent_at; /* by correlation number; 0 once answered */
    uint32_t n, cap;
} book_t;

static uint64_t book_add(book_t *b, int64_t t)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 4096;
        b->sent_at = realloc(b->sent_at, b->cap * sizeof *b->sent_at);
    }
    b->sent_at[b->n] = t;
    return b->n++;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Enrol every station with its public key, in one statement. */
static int enroll(const char *dsn, sim_t *sims, key_pair_t *keys, int n)
{
    char err[512];
    db_t *c = dbconn_open(dsn, "antt-load", err, sizeof err);
    if (!c) {
        fprintf(stderr, "antt load: --enroll: %s\n", err);
        return -1;
    }
    const char **v = calloc(3 * (size_t)n + 1, sizeof *v);
    int changed = 0, inserted = 0;
    admin_rc_t rc = ADMIN_DB;
    if (v) {
        for (int i = 0; i < n; i++) {
            v[i] = sims[i].g.node;
            v[n + i] = sims[i].g.unit;
            v[2 * n + i] = keys[i].pub;
        }
        rc = admin_enroll(c, ADMIN_NODES, n, v, v + n, v + 2 * n, 1, &changed, &inserted, err,
                          sizeof err);
    } else {
        snprintf(err, sizeof err, "out of memory");
    }
    if (rc != ADMIN_OK || changed != n)
        fprintf(stderr, "antt load: --enroll: %s (%d of %d stations enrolled)\n",
                rc == ADMIN_OK ? "not every station" : err, changed, n);
    free(v);
    db_close(&c);
    return rc == ADMIN_OK && changed == n ? 0 : -1;
}

int load_main(const char *endpoint, const antt_sec_t *sec, int argc, char **argv)
{
    const char *units_path = NULL, *dsn = NULL, *under = NULL, *prefix = "st-", *enroll_dsn = NULL;
    long nodes = 0, per_msg = 1, window = 4, every = 0;
    double rate = 100, secs = 10, dup_share = 0, bad_share = 0;
    const opt_t opts[] = {
        {"units", 0, OPT_STR, &units_path, 0, 0, "FILE",
         "communes from a file (data/units-cluster2.csv, or a code a line)", NULL},
        {"db", 'd', OPT_STR, &dsn, 0, 0, "CONNINFO", "communes from the database instead", NULL},
        {"under", 0, OPT_STR, &under, 0, 0, "CODE", "only the communes under this unit", NULL},
        {"node-prefix", 0, OPT_STR, &prefix, 0, 0, "P",
         "stations are P<commune code> (default st-)", NULL},
        {"nodes", 0, OPT_INT, &nodes, 1, MAX_UNITS * 10, "N",
         "this many stations (default: one a commune)", NULL},
        {"rate", 'r', OPT_NUM, &rate, 0, 10000000, "EVENTS_PER_S",
         "events a second in all (0: as fast as the window allows)", NULL},
        {"duration", 0, OPT_NUM, &secs, 0, 31536000, "S", "seconds of sending (default 10)", NULL},
        {"per-msg", 0, OPT_INT, &per_msg, 1, ANTT_MAX_BATCH, "K", "events a message (default 1)",
         NULL},
        {"window", 0, OPT_INT, &window, 1, 100000, "W", "messages in flight a station (default 4)",
         NULL},
        {"duplicates", 0, OPT_NUM, &dup_share, 0, 1, "FRACTION", "share of messages sent again",
         NULL},
        {"malformed", 0, OPT_NUM, &bad_share, 0, 1, "FRACTION", "share of malformed messages",
         NULL},
        {"every", 0, OPT_INT, &every, 0, 86400, "S", "print the flow every S seconds", NULL},
        {"enroll", 0, OPT_STR, &enroll_dsn, 0, 0, "CONNINFO",
         "with CURVE: give every station a throwaway key (test databases only)", NULL},
    };
    const size_t nopts = sizeof opts / sizeof opts[0];
    char perr[512];
    int prc = opt_parse(opts, nopts, argc, argv, 0, NULL, perr, sizeof perr);
    if (prc == OPT_HELP) {
        printf("usage: antt load (--units FILE | --db CONNINFO) [options]\n"
               "Simulated stations P<commune code> send a realistic mix; prints what was sent,\n"
               "the answers and the ack latency. They must be registered (anttd\n"
               "--add-nodes-under CODE=P); with CURVE, --enroll gives each a throwaway key.\n");
        opt_print(stdout, opts, nopts);
        return ANTT_EXIT_OK;
    }
    if (prc == OPT_OK && !units_path == !dsn) {
        snprintf(perr, sizeof perr, "--units FILE or --db CONNINFO (one of them)");
        prc = OPT_ERR;
    }
    if (prc == OPT_ERR) {
        fprintf(stderr, "antt load: %s (antt load --help)\n", perr);
        return ANTT_EXIT_USAGE;
    }
    static char units[MAX_UNITS][8];
    int nunits = dsn ? db_units(dsn, under, units, MAX_UNITS)
                     : read_units(units_path, under, units, MAX_UNITS);
    if (nunits <= 0) {
        fprintf(stderr, "antt load: no communes in %s%s%s\n", dsn ? "the database" : units_path,
                under ? " under " : "", under ? under : "");
        return ANTT_EXIT_USAGE;
    }
    if (nodes <= 0) nodes = nunits;
    char server[KEY_Z85_LEN + 1] = "";
    if (!sec->insecure) {
        char err[512];
        if (!enroll_dsn || !sec->server_key ||
            key_load_public(sec->server_key, server, err, sizeof err) < 0) {
            fprintf(stderr,
                    "antt load: with CURVE, --server-key and --enroll CONNINFO (each station"
                    " gets a key); or --insecure for a development daemon\n");
            return ANTT_EXIT_USAGE;
        }
    }

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    void *ctx = zmq_ctx_new();
    zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, nodes + 64);
    sim_t *sims = calloc((size_t)nodes, sizeof *sims);
    zmq_pollitem_t *items = calloc((size_t)nodes, sizeof *items);
    const unsigned run = lg_run_tag();
    key_pair_t *keys = sec->insecure ? NULL : calloc((size_t)nodes, sizeof *keys);
    for (int i = 0; i < nodes; i++) {
        char node[48];
        if (nodes <= nunits)
            snprintf(node, sizeof node, "%s%s", prefix, units[i]);
        else
            snprintf(node, sizeof node, "%s%s.%d", prefix, units[i % nunits], i / nunits);
        lg_init(&sims[i].g, node, units[i % nunits], run, (uint64_t)i + 1);
        sims[i].sock = zmq_socket(ctx, ZMQ_DEALER);
        int zero = 0, hwm = 100000;
        zmq_setsockopt(sims[i].sock, ZMQ_LINGER, &zero, sizeof zero);
        zmq_setsockopt(sims[i].sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
        char err[256];
        if (keys && (zmq_curve_keypair(keys[i].pub, keys[i].sec) < 0 ||
                     key_apply_client(sims[i].sock, server, &keys[i], err, sizeof err) < 0)) {
            fprintf(stderr, "antt load: CURVE: %s\n", zmq_strerror(zmq_errno()));
            return ANTT_EXIT_USAGE;
        }
        items[i] = (zmq_pollitem_t){sims[i].sock, 0, ZMQ_POLLIN, 0};
    }
    if (keys && enroll(enroll_dsn, sims, keys, nodes) < 0) return ANTT_EXIT_DB;
    if (keys) usleep(300000); /* the daemon hears of the new keys (NOTIFY) before we knock */
    free(keys);
    /* Several daemons (comma-separated): each station connects to all, as a
     * station of a province with two daemons does; its DEALER takes turns. */
    for (int i = 0; i < nodes; i++) {
        char eps[1024], *save = NULL;
        snprintf(eps, sizeof eps, "%s", endpoint);
        for (char *ep = strtok_r(eps, ", ", &save); ep; ep = strtok_r(NULL, ", ", &save))
            if (zmq_connect(sims[i].sock, ep) < 0) {
                fprintf(stderr, "antt load: connect %s: %s\n", ep, zmq_strerror(zmq_errno()));
                return ANTT_EXIT_USAGE;
            }
    }

    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    for (int i = 0; i < nodes; i++)
        msgpack_sbuffer_init(&sims[i].last);
    book_t book = {0};
    uint64_t sent_events = 0, msgs = 0, dups = 0, bads = 0, answers = 0, refused = 0;
    uint64_t st[ACK_STATUS_COUNT] = {0};
    size_t nlat = 0, cap_lat = 4096;
    int64_t *lat = malloc(cap_lat * sizeof *lat);
    const int64_t t0 = mono_us(), end = t0 + (int64_t)(secs * 1e6);
    int64_t next_report = t0 + (int64_t)every * 1000000;
    int next = 0;
    double due_events = 0;
    int64_t last_tick = t0;
    for (;;) {
        int64_t now = mono_us();
        int sending = now < end;
        if (sending) {
            /* How much may go now: by the rate, or by the windows. */
            if (rate > 0) {
                due_events += (double)(now - last_tick) * rate / 1e6;
                last_tick = now;
            }
            for (int tries = 0; tries < nodes; tries++) {
                if (rate > 0 && due_events < 1) break;
                sim_t *s = &sims[next];
                next = (next + 1) % nodes;
                if (rate == 0 && s->inflight >= window) continue;
                double r = (double)(lg_rand(&s->g) % 10000) / 10000.0;
                int n = per_msg;
                if (r < bad_share) {
                    lg_malformed(&s->g, &sb);
                    bads++;
                    n = 1;
                } else if (r < bad_share + dup_share && s->last.size) {
                    msgpack_sbuffer_clear(&sb);
                    msgpack_sbuffer_write(&sb, s->last.data, s->last.size);
                    dups++;
                } else {
                    lg_message(&s->g, n, &sb, ts_now_us());
                    sent_events += (uint64_t)n;
                    msgpack_sbuffer_clear(&s->last);
                    msgpack_sbuffer_write(&s->last, sb.data, sb.size);
                }
                uint64_t corr = book_add(&book, mono_us());
                zmq_send(s->sock, &corr, sizeof corr, ZMQ_SNDMORE);
                zmq_send(s->sock, sb.data, sb.size, 0);
                msgs++;
                s->inflight++;
                if (rate > 0) due_events -= n;
            }
        }
        int outstanding = 0;
        for (int i = 0; i < nodes; i++)
            outstanding += sims[i].inflight;
        if (!sending && (!outstanding || now > end + 10000000)) break;
        zmq_poll(items, nodes, 1);
        for (int i = 0; i < nodes; i++) {
            if (!(items[i].revents & ZMQ_POLLIN)) continue;
            for (;;) {
                zmq_msg_t f;
                uint64_t corr = UINT64_MAX;
                int nf = 0, done = 0;
                for (;;) {
                    zmq_msg_init(&f);
                    if (zmq_msg_recv(&f, sims[i].sock, nf ? 0 : ZMQ_DONTWAIT) < 0) {
                        zmq_msg_close(&f);
                        done = 1;
                        break;
                    }
                    int more = zmq_msg_more(&f);
                    if (nf == 0 && more && zmq_msg_size(&f) == 8)
                        memcpy(&corr, zmq_msg_data(&f), 8);
                    if (!more) {
                        ack_reply_t rep;
                        if (ack_open(&rep, zmq_msg_data(&f), zmq_msg_size(&f)) == 0) {
                            if (rep.code) refused++;
                            ack_t a;
                            while (ack_next(&rep, &a) == 1) {
                                if (a.status < ACK_STATUS_COUNT) st[a.status]++;
                                answers++;
                            }
                        }
                    }
                    nf++;
                    zmq_msg_close(&f);
                    if (!more) break;
                }
                if (done) break;
                sims[i].inflight--;
                if (corr < book.n && book.sent_at[corr]) {
                    if (nlat == cap_lat) lat = realloc(lat, (cap_lat *= 2) * sizeof *lat);
                    lat[nlat++] = mono_us() - book.sent_at[corr];
                    book.sent_at[corr] = 0;
                }
            }
        }
        if (every && now >= next_report) {
            printf(
                "load: t=%.0fs sent=%llu answered=%llu accepted=%llu duplicate=%llu rejected=%llu "
                "deferred=%llu refused_messages=%llu\n",
                (double)(now - t0) / 1e6, (unsigned long long)sent_events,
                (unsigned long long)answers, (unsigned long long)st[0], (unsigned long long)st[1],
                (unsigned long long)st[2], (unsigned long long)st[3], (unsigned long long)refused);
            fflush(stdout);
            next_report += (int64_t)every * 1000000;
        }
    }
    double el = (double)(mono_us() - t0) / 1e6;
    qsort(lat, nlat, sizeof *lat, cmp64);
    printf("load: stations=%ld seconds=%.1f events=%llu messages=%llu duplicates_resent=%llu "
           "malformed=%llu\n",
           nodes, el, (unsigned long long)sent_events, (unsigned long long)msgs,
           (unsigned long long)dups, (unsigned long long)bads);
    printf("load: answers accepted=%llu duplicate=%llu rejected=%llu deferred=%llu "
           "refused_messages=%llu events_per_s=%.0f\n",
           (unsigned long long)st[0], (unsigned long long)st[1], (unsigned long long)st[2],
           (unsigned long long)st[3], (unsigned long long)refused,
           (double)(st[0] + st[1] + st[2] + st[3]) / (el > 0 ? el : 1));
    printf("load: ack_latency_ms p50=%.2f p99=%.2f max=%.2f replies=%zu\n",
           nlat ? lat[nlat / 2] / 1000.0 : -1, nlat ? lat[nlat * 99 / 100] / 1000.0 : -1,
           nlat ? lat[nlat - 1] / 1000.0 : -1, nlat);
    int outstanding = 0;
    for (int i = 0; i < nodes; i++) {
        outstanding += sims[i].inflight;
        zmq_close(sims[i].sock);
        msgpack_sbuffer_destroy(&sims[i].last);
    }
    zmq_ctx_term(ctx);
    msgpack_sbuffer_destroy(&sb);
    free(sims);
    free(items);
    free(book.sent_at);
    free(lat);
    return outstanding ? 3 : 0;
}
