/* config.c — the table of settings and the three layers (see config.h). */
#include "daemon/config.h"

#include "daemon/log.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum { K_STR, K_INT, K_BOOL, K_LEVEL, K_SYNC } kind_t;

typedef struct {
    const char *key;
    kind_t kind;
    size_t off;
    size_t cap;     /* strings: buffer size */
    long min, max;  /* integers */
    int reloadable; /* 1: a running daemon takes a new value on SIGHUP (as pgbouncer marks them) */
    const char *def;
    const char *help;
} key_t_;

#define S(f)          K_STR, offsetof(cfg_t, f), sizeof(((cfg_t *)0)->f), 0, 0, 0
#define I(f, lo, hi)  K_INT, offsetof(cfg_t, f), 0, lo, hi, 0
#define IR(f, lo, hi) K_INT, offsetof(cfg_t, f), 0, lo, hi, 1 /* reloadable */

static const key_t_ KEYS[] = {
    {"db", S(db), "",
     "libpq conninfo (\"host=... dbname=...\" or a postgresql:// URI); empty: PG* variables"},
    {"listen", S(listen), "tcp://127.0.0.1:7720", "ROUTER endpoint for acked submissions"},
    {"publish_listen", S(publish_listen), "tcp://127.0.0.1:7721",
     "PULL endpoint for publish-only nodes; empty: off"},
    {"batch_max_events", I(batch_max_events, 1, 100000), "2000", "events per transaction, at most"},
    {"batch_max_ms", IR(batch_max_ms, 0, 10000), "0",
     "how long a batch waits for more events (0: commit what has arrived; more arrives while it "
     "commits)"},
    {"queue_max_events", I(queue_max_events, 1000, 10000000), "100000",
     "events held in memory while the database is slow or down"},
    {"store_connections", I(store_connections, 0, 16), "0",
     "connections committing batches at once, a node's always on the same one (0: one per "
     "online core, at most 4)"},
    {"rcvhwm", I(rcvhwm, 1, 1000000), "1000", "ZeroMQ receive high-water mark (messages per peer)"},
    {"sndhwm", I(sndhwm, 1, 1000000), "1000", "ZeroMQ send high-water mark (replies per peer)"},
    {"heartbeat_ivl_ms", I(heartbeat_ivl_ms, 0, 600000), "10000",
     "ZMTP heartbeat interval; 0: off"},
    {"heartbeat_timeout_ms", I(heartbeat_timeout_ms, 0, 3600000), "30000",
     "drop a peer silent this long"},
    {"max_sockets", I(max_sockets, 1024, 1000000), "20000",
     "ZMQ_MAX_SOCKETS and the file descriptor limit asked for"},
    {"reconnect_max_ms", I(reconnect_max_ms, 100, 600000), "5000",
     "database reconnect back-off ceiling"},
    {"orphan_max_age_days", I(orphan_max_age_days, 0, 3650), "30",
     "an event for an unknown case is deferred while younger, then rejected"},
    {"node_silent_hours", I(node_silent_hours, 1, 8760), "24",
     "a station not connected and with no message for this long is silent"},
    {"overdue_record_seconds", I(overdue_record_seconds, 1, 86400), "600",
     "how often today's overdue tip-offs per unit are written (the console's trend)"},
    {"utc_offset_min", I(utc_offset_min, -720, 840), "420",
     "statistics day offset from UTC (Asia/Ho_Chi_Minh: 420)"},
    {"tipoff_limit_days", I(tipoff_limit_days, 1, 366), "20",
     "tip-off time limit from receipt (CPC 2015 Art. 147)"},
    {"tipoff_receipt_day_counts", K_BOOL, offsetof(cfg_t, tipoff_receipt_day_counts), 0, 0, 1, 0,
     "0", "1: the day of receipt is day 1 of the limit; 0: day 1 is the day after (Art. 134)"},
    {"tipoff_complex_months", I(tipoff_complex_months, 1, 24), "2",
     "complex-matter extension: at most this many months from receipt (Art. 147, 134)"},
    {"tipoff_procuracy_months", I(tipoff_procuracy_months, 1, 24), "2",
     "the procuracy's extension: this many months more (Art. 147, 134)"},
    {"reject_raw_max", I(reject_raw_max, 0, 1 << 20), "4096",
     "bytes of a refused message kept in antt.rejects"},
    {"tally_publish", S(tally_publish), "tcp://127.0.0.1:7722",
     "PUB endpoint of the tally stream; empty: off"},
    {"tally_snapshot", S(tally_snapshot), "tcp://127.0.0.1:7723",
     "endpoint answering tally snapshot requests; empty: off"},
    {"subscriber_queue", I(subscriber_queue, 1, 100000), "64",
     "subscriptions one stream connection may have waiting: what a flood of them stores before "
     "its connection is cut"},
    {"snapshot_queue", I(snapshot_queue, 1, 1000), "8",
     "snapshots waiting or being read, over all requesters; more are refused (busy)"},
    {"snapshot_per_peer", I(snapshot_per_peer, 1, 100), "1",
     "snapshots one requester may have waiting; more are refused"},
    {"snapshot_peer_hwm", I(snapshot_peer_hwm, 1, 1000), "2",
     "answers queued to one requester that does not read them; more are dropped"},
    {"snapshot_bytes_max_mb", I(snapshot_bytes_max_mb, 1, 65536), "128",
     "MiB of snapshot answers held for all requesters together; past it requests are refused "
     "(busy)"},
    {"fold_interval_ms", I(fold_interval_ms, 1, 10000), "200",
     "the fold's pace: one window of batches this often (at once while catching up); the "
     "figures lag the acks by about this"},
    {"federation_check_s", I(federation_check_s, 0, 3600), "10",
     "on a Ministry's database: how often its provinces' feeds are looked at (/metrics; "
     "federation_auto_resync); 0: never"},
    {"federation_auto_resync", K_BOOL, offsetof(cfg_t, federation_auto_resync), 0, 0, 1, 0, "1",
     "resync a province whose primary has no slot for the Ministry (its failover) by itself"},
    {"http_listen", S(http_listen), "127.0.0.1:9720",
     "HOST:PORT serving /metrics and /healthz; empty: off"},
    {"http_max_connections", I(http_max_connections, 1, 10000), "64",
     "HTTP connections at once, in all"},
    {"http_per_ip", I(http_per_ip, 1, 10000), "8", "HTTP connections at once from one address"},
    {"http_timeout_s", I(http_timeout_s, 1, 3600), "5",
     "an HTTP connection idle this long is closed"},
    {"migrate_on_start", K_BOOL, offsetof(cfg_t, migrate_on_start), 0, 0, 1, 0, "0",
     "apply pending migrations at start"},
    {"curve_key_file", S(curve_key_file), "",
     "the server's CURVE keypair file (antt keygen; mode 0600); required unless insecure"},
    {"insecure", K_BOOL, offsetof(cfg_t, insecure), 0, 0, 1, 0, "0",
     "1: plaintext, no authentication of nodes or subscribers (development only)"},
    {"node_rate", I(node_rate, 0, 1000000), "2000",
     "events a second one node may send on average (CURVE on); 0: no limit"},
    {"node_burst", I(node_burst, 1000, 10000000), "20000",
     "events one node may send at once (a spool flushed after days offline)"},
    {"refusal_records_per_min", I(refusal_records_per_min, 1, 100000), "60",
     "refused handshakes recorded in antt.rejects and the log a minute, over all keys (the rest "
     "are counted); one per key a minute"},
    {"log_level", K_LEVEL, offsetof(cfg_t, log_level), sizeof(((cfg_t *)0)->log_level), 0, 0, 1,
     "info", "error, warn, info or debug"},
    {"synchronous_acks", K_SYNC, offsetof(cfg_t, synchronous_acks),
     sizeof(((cfg_t *)0)->synchronous_acks), 0, 0, 0, "warn",
     "what an ack must mean: require (committed on two servers: hold the queue while the database "
     "does not replicate synchronously), warn (say so when it does not) or off"},
};
#define NKEYS (sizeof KEYS / sizeof KEYS[0])

int cfg_store_connections(const cfg_t *c)
{
    if (c->store_connections > 0) return c->store_connections;
    /* One per core, at most 4: on two cores shared with PostgreSQL, two
     * connections committed 1.11x and 1.21x what one did in two runs, four
     * 0.87x (docs/benchmarks.md); more than the cores only contend. */
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores < 1 ? 1 : cores > 4 ? 4 : (int)cores;
}

int cfg_sync_parse(const char *v)
{
    return !strcmp(v, "off") ? 0 : !strcmp(v, "warn") ? 1 : !strcmp(v, "require") ? 2 : -1;
}

static const key_t_ *find(const char *key)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (!strcmp(KEYS[i].key, key)) return &KEYS[i];
    return NULL;
}

void cfg_defaults(cfg_t *c)
{
    memset(c, 0, sizeof *c);
    char err[256];
    for (size_t i = 0; i < NKEYS; i++) {
        int rc = cfg_set(c, KEYS[i].key, KEYS[i].def, err, sizeof err);
        (void)rc; /* the defaults are valid: test_config checks it */
    }
}

int cfg_set(cfg_t *c, const char *key, const char *value, char *err, size_t errlen)
{
    const key_t_ *k = find(key);
    static const char *const REPLACED[][2] = {
        {"tipoff_complex_max_days", "tipoff_complex_months"},
        {"tipoff_procuracy_max_days", "tipoff_procuracy_months"},
    };
    for (size_t i = 0; !k && i < sizeof REPLACED / sizeof REPLACED[0]; i++)
        if (!strcmp(key, REPLACED[i][0])) {
            snprintf(err, errlen,
                     "setting '%s' is gone: extensions are counted in months (CPC Art. 134), "
                     "set '%s'",
                     key, REPLACED[i][1]);
            return -1;
        }
    if (!k) {
        snprintf(err, errlen, "unknown setting '%s'", key);
        return -1;
    }
    char *field = (char *)c + k->off;
    switch (k->kind) {
    case K_LEVEL:
        if (log_level_parse(value) < 0) {
            snprintf(err, errlen, "%s: '%s' is not error, warn, info or debug", key, value);
            return -1;
        }
        goto text;
    case K_SYNC:
        if (cfg_sync_parse(value) < 0) {
            snprintf(err, errlen, "%s: '%s' is not require, warn or off", key, value);
            return -1;
        }
        goto text;
    case K_STR:
    text:
        if (strlen(value) >= k->cap) {
            snprintf(err, errlen, "%s: value longer than %zu bytes", key, k->cap - 1);
            return -1;
        }
        memcpy(field, value, strlen(value) + 1);
        return 0;
    case K_BOOL:
        if (!strcmp(value, "1") || !strcmp(value, "true") || !strcmp(value, "yes") ||
            !strcmp(value, "on")) {
            *(int *)field = 1;
        } else if (!strcmp(value, "0") || !strcmp(value, "false") || !strcmp(value, "no") ||
                   !strcmp(value, "off")) {
            *(int *)field = 0;
        } else {
            snprintf(err, errlen, "%s: '%s' is not a boolean (true/false)", key, value);
            return -1;
        }
        return 0;
    case K_INT: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end) {
            snprintf(err, errlen, "%s: '%s' is not an integer", key, value);
            return -1;
        }
        if (v < k->min || v > k->max) {
            snprintf(err, errlen, "%s: '%s' is outside %ld..%ld", key, value, k->min, k->max);
            return -1;
        }
        *(int *)field = (int)v;
        return 0;
    }
    }
    return -1;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* A value may be followed by a comment: `key = value   # why`. A '#' starts
 * one at the start of the value or after white space, outside double quotes
 * ("a#b" and `password=a#b` keep theirs); quotes around a value are removed.
 * 0, or -1 for a quoted value followed by something else. */
static int strip_comment(char **val)
{
    char *v = *val;
    if (*v == '"') {
        char *close = strchr(v + 1, '"');
        if (!close) return -1;
        char *rest = close + 1;
        while (isspace((unsigned char)*rest))
            rest++;
        if (*rest && *rest != '#') return -1;
        *close = '\0';
        *val = v + 1;
        return 0;
    }
    for (char *p = v; *p; p++)
        if (*p == '#' && (p == v || isspace((unsigned char)p[-1]))) {
            *p = '\0';
            break;
        }
    *val = trim(v);
    return 0;
}

int cfg_load_file(cfg_t *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[2048], sub[256];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#') continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected key = value", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        if (strip_comment(&val) < 0) {
            snprintf(err, errlen,
                     "%s:%d: %s: a quoted value must end with a quote (and may be followed "
                     "by a # comment only)",
                     path, lineno, key);
            rc = -1;
            break;
        }
        if (cfg_set(c, key, val, sub, sizeof sub) < 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, sub);
            rc = -1;
            break;
        }
    }
    fclose(f);
    return rc;
}

int cfg_load_env(cfg_t *c, char *err, size_t errlen)
{
    for (size_t i = 0; i < NKEYS; i++) {
        char name[64] = "ANTT_";
        size_t n = 5;
        for (const char *p = KEYS[i].key; *p && n < sizeof name - 1; p++)
            name[n++] = (char)toupper((unsigned char)*p);
        name[n] = '\0';
        const char *v = getenv(name);
        if (!v) continue;
        char sub[256];
        if (cfg_set(c, KEYS[i].key, v, sub, sizeof sub) < 0) {
            snprintf(err, errlen, "environment %s: %s", name, sub);
            return -1;
        }
    }
    return 0;
}

/* Mask the value of password=... in a key/value conninfo, and the password of
 * a URI (postgresql://user:secret@host/db). */
void cfg_mask_conninfo(const char *ci, char *out, size_t len)
{
    size_t o = 0;
    const char *p = ci;
    const int uri = !strncmp(ci, "postgresql://", 13) || !strncmp(ci, "postgres://", 11);
    if (uri) {
        char tmp[1024];
        snprintf(tmp, sizeof tmp, "%s", ci);
        char *user = strstr(tmp, "://") + 3;
        char *at = strchr(user, '@');
        char *colon = strchr(user, ':');
        char *slash = strchr(user, '/');
        if (at && (!slash || at < slash) && colon && colon < at)
            snprintf(out, len, "%.*s****%s", (int)(colon + 1 - tmp), tmp, at);
        else
            snprintf(out, len, "%s", tmp);
        char *pw = strstr(out, "password=");
        if (pw) { /* in the query string */
            char *e = pw + 9;
            while (*e && *e != '&')
                e++;
            if ((size_t)(pw + 13 - out) + strlen(e) < len) {
                memmove(pw + 13, e, strlen(e) + 1);
                memcpy(pw + 9, "****", 4);
            } else {
                *pw = '\0';
            }
        }
        return;
    }
    while (*p && o + 1 < len) {
        if (!strncmp(p, "password", 8)) {
            const char *q = p + 8;
            while (*q == ' ')
                q++;
            if (*q == '=' && (p == ci || p[-1] == ' ')) {
                q++;
                while (*q == ' ')
                    q++;
                o += (size_t)snprintf(out + o, len - o, "password=****");
                if (*q == '\'') { /* quoted value, with \' escapes */
                    for (q++; *q && *q != '\''; q++)
                        if (*q == '\\' && q[1]) q++;
                    if (*q) q++;
                } else {
                    while (*q && *q != ' ')
                        q++;
                }
                p = q;
                if (o >= len) break;
                continue;
            }
        }
        out[o++] = *p++;
    }
    out[o < len ? o : len - 1] = '\0';
}

void cfg_describe(const cfg_t *c, char *buf, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < NKEYS && o < len; i++) {
        const key_t_ *k = &KEYS[i];
        const char *field = (const char *)c + k->off;
        if (k->kind == K_STR || k->kind == K_LEVEL || k->kind == K_SYNC) {
            char v[1024];
            if (!strcmp(k->key, "db"))
                cfg_mask_conninfo(field, v, sizeof v);
            else
                snprintf(v, sizeof v, "%s", field);
            o += (size_t)snprintf(buf + o, len - o, "%s = \"%s\"\n", k->key, v);
        } else {
            o += (size_t)snprintf(buf + o, len - o, "%s = %d\n", k->key, *(const int *)field);
        }
    }
}

void cfg_usage(char *buf, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < NKEYS && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "  %-26s %s (default: \"%s\"%s)\n", KEYS[i].key,
                              KEYS[i].help, KEYS[i].def,
                              KEYS[i].reloadable ? "; SIGHUP applies it" : "");
}

int cfg_restart_needed(const cfg_t *running, const cfg_t *wanted, char *out, size_t len)
{
    size_t o = 0;
    int n = 0;
    if (len) out[0] = '\0';
    for (size_t i = 0; i < NKEYS; i++) {
        const key_t_ *k = &KEYS[i];
        const char *a = (const char *)running + k->off, *b = (const char *)wanted + k->off;
        const int same = (k->kind == K_STR || k->kind == K_LEVEL || k->kind == K_SYNC)
                             ? !strcmp(a, b)
                             : *(const int *)a == *(const int *)b;
        if (same || k->reloadable) continue;
        n++;
        if (o < len) o += (size_t)snprintf(out + o, len - o, "%s%s", o ? ", " : "", k->key);
    }
    return n;
}

size_t cfg_key_count(void)
{
    return NKEYS;
}

const char *cfg_key_name(size_t i, int *is_bool)
{
    if (i >= NKEYS) return NULL;
    if (is_bool) *is_bool = KEYS[i].kind == K_BOOL;
    return KEYS[i].key;
}

int cfg_key_info(size_t i, cfg_key_info_t *out)
{
    static const char *const KIND[] = {
        [K_STR] = "string",
        [K_INT] = "integer",
        [K_BOOL] = "boolean",
        [K_LEVEL] = "one of error, warn, info, debug",
        [K_SYNC] = "one of require, warn, off",
    };
    if (i >= NKEYS) return -1;
    const key_t_ *k = &KEYS[i];
    *out = (cfg_key_info_t){k->key, KIND[k->kind], k->def, k->min, k->max, k->reloadable};
    return 0;
}
