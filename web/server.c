/* server.c — see server.h. A thread per connection (libmicrohttpd's
 * MHD_USE_THREAD_PER_CONNECTION): a browser's event stream may wait on the
 * tally stream without holding anyone else up; the connections are
 * bounded, per address and in time, by the gate (net/gate.h).
 *
 * Every endpoint is a row of one table (PAGES, below): its method, path,
 * handler, who may ask, and whether it is a question (a database
 * connection, the session looked up, its parameters parsed by param.c,
 * the unit checked against the viewer's scope). answer() finds the row and
 * does what the row says before its handler runs. The one form (the
 * login) is decoded by libmicrohttpd's post processor; the JSON made here
 * is built with json-c (the questions' JSON comes whole from PostgreSQL). */
#include "web/server.h"

#include "report/report.h"
#include "db/console.h"
#include "db/fold.h"
#include "net/gate.h"
#include "proto/utf8.h"
#include "web/export.h"
#include "web/param.h"
#include "web/reply.h"
#include "web/session.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#define COOKIE      "antt_session"
#define DEVICE      "antt_device" /* a browser that logged in as the name before */
#define BODY_MAX    4096          /* a POST's body (a login form) */
#define FRESH_MS    2000          /* a question waits this long at most for the fold */
#define SSE_WAIT_MS 5000          /* also how long a stop may wait for a stream */

struct server {
    server_cfg_t cfg;
    char static_dir[512];
    char *cert, *key; /* PEM, read at start */
    pool_t *pool;
    live_t *live;
    sessions_t *sessions;
    pthread_mutex_t mu; /* sessions */
    struct MHD_Daemon *d;
    volatile int stopping;
    volatile int started; /* libmicrohttpd's messages are no longer printed */
    gate_t *gate;
    char proxy[64]; /* the trusted proxy's address, as inet_ntop writes it; "" none */
    int hashing;    /* password checks running now (under mu) */
    /* what was refused or done, for /metrics (under mu) */
    uint64_t logins[5]; /* by LOGIN_* */
    uint64_t bad_requests;
    /* checked when a name is unknown, so that a login costs the same whether
     * the name exists or not (no telling names by the answer's time) */
    char dummy[crypto_pwhash_STRBYTES];
};

enum { LOGIN_OK, LOGIN_FAILED, LOGIN_LOCKED_ADDR, LOGIN_LOCKED_NAME, LOGIN_BUSY };
static const char *const LOGIN_RESULT[5] = {"ok", "failed", "locked_address", "locked_name",
                                            "busy"};

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

/* ---- requests ----------------------------------------------------------- */

/* What a POST collects between libmicrohttpd's calls: the login form
 * through the post processor (any other body is counted and dropped). */
typedef struct {
    struct MHD_PostProcessor *pp; /* NULL: no form is read */
    param_login_t form;
    size_t body; /* its bytes so far */
    int bad;     /* over BODY_MAX, not a urlencoded form, or malformed */
} req_t;

/* One request as its handler sees it, after its row of the page table was
 * followed. */
typedef struct {
    server_t *s;
    struct MHD_Connection *c;
    const char *rest; /* the path past a prefix row's '*' ("" for others) */
    req_t *q;         /* a POST's body; NULL for a GET */
    db_t *db;         /* a question's connection of the pool (given back after) */
    int has_who;      /* a session: who, copied */
    session_who_t who;
    param_t p;            /* a question's parameters */
    const char *endpoint; /* a question's name: "overview", ... */
} call_t;

static void count_bad(server_t *s)
{
    pthread_mutex_lock(&s->mu);
    s->bad_requests++;
    pthread_mutex_unlock(&s->mu);
}

/* Every parameter of the query through param_take, with the lengths
 * libmicrohttpd decoded (a %00 inside a value shows as a length past the
 * NUL). */
typedef struct {
    param_t *p;
    const char *endpoint;
    char why[160];
    int bad;
} args_t;

static enum MHD_Result take_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    args_t *a = cls;
    if (param_take(a->p, a->endpoint, key, key_size, value, value_size, a->why, sizeof a->why) <
        0) {
        a->bad = 1;
        return MHD_NO; /* the first refusal is the answer */
    }
    return MHD_YES;
}

static int parse_args(struct MHD_Connection *c, const char *endpoint, param_t *p, char *why,
                      size_t whylen)
{
    args_t a = {.p = p, .endpoint = endpoint};
    memset(p, 0, sizeof *p);
    MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, take_arg, &a);
    if (a.bad) {
        snprintf(why, whylen, "%s", a.why);
        return -1;
    }
    return param_finish(p, endpoint, why, whylen);
}

/* The peer's address as text ("" when unknown). */
static void peer_addr(struct MHD_Connection *c, char out[64])
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = '\0';
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, out, 64);
}

static int from_proxy(const server_t *s, const char *peer)
{
    return s->proxy[0] && !strcmp(peer, s->proxy);
}

/* The last X-Forwarded-For header's value (a proxy that adds a header of
 * its own rather than appending puts it last). */
typedef struct {
    const char *v;
    size_t n;
} xff_t;

static enum MHD_Result last_xff(void *cls, enum MHD_ValueKind kind, const char *key,
                                size_t key_size, const char *value, size_t value_size)
{
    (void)kind, (void)key_size;
    xff_t *x = cls;
    if (value && !strcasecmp(key, "X-Forwarded-For")) x->v = value, x->n = value_size;
    return MHD_YES;
}

/* The client's address: the peer's, or when the peer is the trusted proxy,
 * the last hop of X-Forwarded-For (the address the proxy saw; anything
 * before it is what the client claimed). -1 when the proxy sent none. */
static int client_addr(const server_t *s, struct MHD_Connection *c, char out[64])
{
    peer_addr(c, out);
    if (!from_proxy(s, out)) return 0;
    xff_t x = {NULL, 0};
    MHD_get_connection_values_n(c, MHD_HEADER_KIND, last_xff, &x);
    return param_forwarded_for(x.v, x.n, out);
}

/* The session of the request's cookie, copied, and still allowed (the
 * account not revoked since). 1, 0 (no session), -1 database down. */
static int who_of(server_t *s, struct MHD_Connection *c, db_t *db, session_who_t *who)
{
    const char *token = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE);
    pthread_mutex_lock(&s->mu);
    const session_who_t *w = token ? sessions_find(s->sessions, token, now_s()) : NULL;
    if (w) *who = *w;
    pthread_mutex_unlock(&s->mu);
    if (!w) return 0;
    console_viewer_t v;
    char err[256];
    int found = console_viewer(db, who->name, &v, err, sizeof err);
    if (found < 0) return -1;
    if (!found) { /* revoked (or removed) since: its sessions end */
        pthread_mutex_lock(&s->mu);
        sessions_close(s->sessions, NULL, who->name);
        pthread_mutex_unlock(&s->mu);
        return 0;
    }
    return 1;
}

static enum MHD_Result send_busy(struct MHD_Connection *c)
{
    static const char *const retry[] = {"Retry-After", "1", NULL};
    json_object *o = json_object_new_object();
    if (o)
        json_object_object_add(o, "error",
                               json_object_new_string("too many logins at once: try again in a "
                                                      "moment"));
    return reply_object(c, 503, o, retry);
}

/* {name, scope (null: every unit), lang}: who is logged in. */
static json_object *who_object(const session_who_t *w)
{
    json_object *o = json_object_new_object();
    if (!o) return NULL;
    json_object_object_add(o, "name", json_object_new_string(w->name));
    json_object_object_add(o, "scope", w->scope[0] ? json_object_new_string(w->scope) : NULL);
    json_object_object_add(o, "lang", json_object_new_string(w->lang));
    return o;
}

/* Resolve the attempt reserved for (addr, name) and give back the password
 * check's place. */
static void attempt_done(server_t *s, const char *addr, const char *name, int outcome)
{
    pthread_mutex_lock(&s->mu);
    s->hashing--;
    sessions_resolve(s->sessions, addr, name, outcome, now_s());
    if (outcome != SESSIONS_VOID) s->logins[outcome == SESSIONS_OK ? LOGIN_OK : LOGIN_FAILED]++;
    pthread_mutex_unlock(&s->mu);
}

/* A login: the attempt is reserved against the throttle first (so attempts
 * made at once are limited as ones made in a row), then one of max_hashes
 * places to check a password is taken (none free: 503 at once, not a
 * queue), and the Argon2id check runs without holding a database
 * connection (the viewer's row is read and the connection given back
 * first): a flood of logins neither queues on nor starves the pool the
 * logged-in viewers' questions use. */
static enum MHD_Result login(call_t *x)
{
    server_t *s = x->s;
    struct MHD_Connection *c = x->c;
    param_login_t *f = &x->q->form;
    const char *name = f->name;
    char addr[64], err[256];
    if (client_addr(s, c, addr) < 0) {
        count_bad(s);
        return reply_error(c, 400, "the proxy sent no client address (X-Forwarded-For)");
    }
    if (x->q->bad || param_login_finish(f) < 0) {
        count_bad(s);
        return reply_error(c, 400, "name and password, please");
    }
    const char *device = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, DEVICE);
    pthread_mutex_lock(&s->mu);
    const int known = sessions_device_known(s->sessions, name, device);
    const int r = sessions_reserve(s->sessions, addr, name, known, now_s());
    int busy = 0;
    if (r == 0 && s->hashing >= s->cfg.max_hashes) {
        sessions_resolve(s->sessions, addr, name, SESSIONS_VOID, now_s());
        busy = 1;
    } else if (r == 0) {
        s->hashing++;
    }
    if (r < 0 || busy)
        s->logins[busy                        ? LOGIN_BUSY
                  : r == SESSIONS_LOCKED_ADDR ? LOGIN_LOCKED_ADDR
                                              : LOGIN_LOCKED_NAME]++;
    pthread_mutex_unlock(&s->mu);
    if (r < 0 || busy)
        return busy ? send_busy(c)
                    : reply_error(c, 429, "too many failed logins: wait a few minutes");
    db_t *db = pool_get(s->pool, err, sizeof err);
    console_viewer_t v;
    const int found = db ? console_viewer(db, name, &v, err, sizeof err) : -1;
    if (db) pool_put(s->pool, db);
    if (found < 0) {
        attempt_done(s, addr, name, SESSIONS_VOID);
        return reply_error(c, 503, "the database cannot be reached");
    }
    const int ok = crypto_pwhash_str_verify(found == 1 ? v.hash : s->dummy, f->password,
                                            f->password_len) == 0 &&
                   found == 1;
    sodium_memzero(f->password, sizeof f->password);
    attempt_done(s, addr, name, ok ? SESSIONS_OK : SESSIONS_FAILED);
    if (!ok) return reply_error(c, 401, "wrong name or password");
    session_who_t who = {0};
    snprintf(who.name, sizeof who.name, "%s", name);
    snprintf(who.scope, sizeof who.scope, "%s", v.scope);
    snprintf(who.lang, sizeof who.lang, "%s", v.lang);
    db = pool_get(s->pool, err, sizeof err);
    char *topics = db ? console_scope_topics(db, v.scope, err, sizeof err) : NULL;
    if (db) pool_put(s->pool, db);
    if (!topics) return reply_error(c, 503, "the database failed");
    /* a list that does not fit would filter the live stream wrongly: none */
    snprintf(who.topics, sizeof who.topics, "%s",
             strlen(topics) < sizeof who.topics ? topics : "[]");
    free(topics);
    char token[SESSION_TOKEN_HEX + 1] = "", dev[SESSION_TOKEN_HEX + 1];
    pthread_mutex_lock(&s->mu);
    const int opened = sessions_open(s->sessions, &who, now_s(), token) == 0;
    sessions_device_token(s->sessions, name, dev);
    pthread_mutex_unlock(&s->mu);
    if (!opened) return reply_error(c, 500, "no session");
    char cookie[200], devcookie[200];
    snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s", COOKIE, token,
             s->cert ? "; Secure" : "");
    snprintf(devcookie, sizeof devcookie,
             "%s=%s; Path=/api/login; Max-Age=2592000; HttpOnly; SameSite=Strict%s", DEVICE, dev,
             s->cert ? "; Secure" : "");
    /* the session's cookie first */
    const char *const cookies[] = {"Set-Cookie", cookie, "Set-Cookie", devcookie, NULL};
    return reply_object(c, 200, who_object(&who), cookies);
}

static enum MHD_Result logout(call_t *x)
{
    static const char *const clear[] = {
        "Set-Cookie", COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0", NULL};
    const char *token = MHD_lookup_connection_value(x->c, MHD_COOKIE_KIND, COOKIE);
    pthread_mutex_lock(&x->s->mu);
    if (token) sessions_close(x->s->sessions, token, NULL);
    pthread_mutex_unlock(&x->s->mu);
    return reply_object(x->c, 200, json_object_new_object(), clear);
}

/* ---- the live event stream ---------------------------------------------- */

typedef struct {
    server_t *s;
    char token[SESSION_TOKEN_HEX + 1];
    char prefixes[64][40];
    int nprefix; /* -1: every unit */
    uint64_t after;
} sse_t;

static int in_prefixes(const sse_t *e, const char *topic)
{
    if (e->nprefix < 0) return 1;
    for (int i = 0; i < e->nprefix; i++)
        if (!strncmp(topic, e->prefixes[i], strlen(e->prefixes[i]))) return 1;
    return 0;
}

/* The event of m, "event: tally" and its data {unit, topic}, written into
 * buf[0..max): its length, or 0 when it does not fit. */
static size_t sse_event(char *buf, size_t max, const live_msg_t *m)
{
    json_object *o = json_object_new_object();
    if (o) {
        json_object_object_add(o, "unit", json_object_new_string(m->unit));
        json_object_object_add(o, "topic", json_object_new_string(m->topic));
    }
    char *data = reply_json_text(o);
    const int n = data ? snprintf(buf, max, "event: tally\ndata: %s\n\n", data) : -1;
    free(data);
    return n > 0 && (size_t)n < max ? (size_t)n : 0;
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    sse_t *e = cls;
    server_t *s = e->s;
    if (s->stopping) return MHD_CONTENT_READER_END_OF_STREAM;
    pthread_mutex_lock(&s->mu);
    const int alive = sessions_find(s->sessions, e->token, now_s()) != NULL;
    pthread_mutex_unlock(&s->mu);
    if (!alive) return MHD_CONTENT_READER_END_OF_STREAM;
    live_msg_t m[32];
    size_t o = 0;
    while (!s->stopping) {
        uint64_t next;
        size_t n = live_wait(s->live, e->after, SSE_WAIT_MS, m, 32, &next), i;
        for (i = 0; i < n; i++) {
            if (in_prefixes(e, m[i].topic)) {
                const size_t w = sse_event(buf + o, max - o, &m[i]);
                if (!w && o) break; /* no room left: it goes first next time */
                o += w;             /* (0 in an empty buffer: too big for any, skipped) */
            }
            e->after = m[i].n;
        }
        if (i == n) e->after = next;
        if (o) return (ssize_t)o;
        if (!n) return (ssize_t)snprintf(buf, max, ": quiet\n\n"); /* keeps proxies open */
    }
    return MHD_CONTENT_READER_END_OF_STREAM;
}

static void sse_free(void *cls)
{
    sodium_memzero(cls, sizeof(sse_t));
    free(cls);
}

static enum MHD_Result events(call_t *x)
{
    server_t *s = x->s;
    struct MHD_Connection *c = x->c;
    const session_who_t *who = &x->who;
    if (!s->live) return reply_error(c, 503, "no tally stream configured");
    sse_t *e = calloc(1, sizeof *e);
    if (!e) return MHD_NO;
    e->s = s;
    snprintf(e->token, sizeof e->token, "%s",
             MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE));
    e->after = live_count(s->live);
    /* the scope's topic prefixes, from the JSON array kept with the session */
    if (strstr(who->topics, "[\"\"]")) {
        e->nprefix = -1;
    } else {
        for (const char *p = strchr(who->topics, '"'); p && e->nprefix < 64;) {
            const char *q = strchr(p + 1, '"');
            if (!q) break;
            snprintf(e->prefixes[e->nprefix++], sizeof e->prefixes[0], "%.*s", (int)(q - p - 1),
                     p + 1);
            p = strchr(q + 1, '"');
        }
    }
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, e, sse_free);
    if (!r) {
        free(e);
        return MHD_NO;
    }
    reply_headers(r, "text/event-stream; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ok = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ok;
}

/* ---- the year-end report ------------------------------------------------ */

/* The year-end report of unit as `antt report` writes it (the same code),
 * ?year=&cmp=&lang=vi|en&stat=1 (the statistical year 15/12-14/12)
 * &format=text|csv|json. */
static enum MHD_Result report(call_t *x)
{
    struct MHD_Connection *c = x->c;
    const param_t *p = &x->p;
    report_args_t a = {.unit = p->unit,
                       .year = p->year,
                       .cmp_year = p->cmp,
                       .vi = strcmp(p->lang, "en") != 0,
                       .carry_first = 1,
                       .start_mm = p->stat ? 12 : 1,
                       .start_dd = p->stat ? 15 : 1,
                       /* the targets on record; else the National
                        * Assembly's 90 % for tip-offs */
                       .target = {-1, -1, -1, -1},
                       .fallback = {-1, -1, 90, -1},
                       .format = p->format[0] ? p->format : "text"};
    char *buf = NULL, err[512];
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return MHD_NO;
    int code = report_write(x->db, &a, m, err, sizeof err);
    fclose(m);
    if (code) {
        free(buf);
        return reply_error(c, code == 2 ? 404 : 500, "no report");
    }
    const char *type = !strcmp(a.format, "csv")    ? "text/csv; charset=utf-8"
                       : !strcmp(a.format, "json") ? "application/json; charset=utf-8"
                                                   : "text/plain; charset=utf-8";
    return reply_owned(c, 200, type, buf, len, NULL);
}

/* ---- the questions -------------------------------------------------------- */

/* A question's answer: JSON from the database (taken), or 500; asked for
 * as a file (format=csv, the file a spreadsheet opens, web/export.h; or
 * format=json), the same saved rather than shown. */
static enum MHD_Result send_answer(call_t *x, char *json)
{
    if (!json) return reply_error(x->c, 500, "the query failed");
    const int csv = !strcmp(x->p.format, "csv");
    if (!csv && strcmp(x->p.format, "json")) return reply_json(x->c, 200, json, NULL);
    char name[160], disp[200];
    export_filename(name, sizeof name, x->endpoint, x->p.unit, x->p.from, x->p.to,
                    csv ? "csv" : "json");
    snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", name);
    const char *const extra[] = {"Content-Disposition", disp, NULL};
    if (!csv) return reply_json(x->c, 200, json, extra);
    char *buf = NULL, err[160];
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    const int rc = m ? export_csv(x->endpoint, json, x->p.part, m, err, sizeof err) : -1;
    if (m) fclose(m);
    free(json);
    if (rc) {
        free(buf);
        return reply_error(x->c, 500, "the answer could not be written as CSV");
    }
    return reply_owned(x->c, 200, "text/csv; charset=utf-8", buf, len, extra);
}

/* Who am I: {name, scope, lang}, or {name: null} before a login. */
static enum MHD_Result me(call_t *x)
{
    json_object *o = x->has_who ? who_object(&x->who) : json_object_new_object();
    if (o && !x->has_who) json_object_object_add(o, "name", NULL);
    return reply_object(x->c, 200, o, NULL);
}

/* The unit picker: within the viewer's scope. */
static enum MHD_Result units(call_t *x)
{
    char err[512];
    return send_answer(x, console_units(x->db, x->who.scope, x->p.q, err, sizeof err));
}

static enum MHD_Result overview(call_t *x)
{
    const param_t *p = &x->p;
    char err[512];
    return send_answer(x, console_overview(x->db, p->unit, p->from, p->to,
                                           p->cfrom[0] ? p->cfrom : NULL, p->cto[0] ? p->cto : NULL,
                                           err, sizeof err));
}

static enum MHD_Result children(call_t *x)
{
    char err[512];
    return send_answer(x, console_children(x->db, x->p.unit, x->p.from, x->p.to, err, sizeof err));
}

static enum MHD_Result months(call_t *x)
{
    char err[512];
    return send_answer(x, console_months(x->db, x->p.unit, x->p.from, x->p.to, err, sizeof err));
}

static enum MHD_Result tipoffs(call_t *x)
{
    char err[512];
    return send_answer(x, console_tipoffs(x->db, x->p.unit, x->p.within ? x->p.within : 3,
                                          x->p.from, x->p.to, err, sizeof err));
}

static enum MHD_Result overdue(call_t *x)
{
    char err[512];
    return send_answer(x, console_overdue(x->db, x->p.unit, x->p.from, x->p.to, err, sizeof err));
}

static enum MHD_Result stations(call_t *x)
{
    char err[512];
    return send_answer(x,
                       console_stations(x->db, x->p.unit, x->s->cfg.silent_hours, err, sizeof err));
}

/* ---- /metrics ------------------------------------------------------------ */

/* The console's own counters in the Prometheus text format: what its
 * budgets refused. Counts only (no names, addresses or figures). */
static enum MHD_Result send_metrics(server_t *s, struct MHD_Connection *c)
{
    gate_stats_t g;
    gate_stats(s->gate, &g);
    pthread_mutex_lock(&s->mu);
    uint64_t logins[5], bad = s->bad_requests;
    memcpy(logins, s->logins, sizeof logins);
    const int hashing = s->hashing, nsess = sessions_count(s->sessions, now_s());
    pthread_mutex_unlock(&s->mu);
    char *b = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&b, &n);
    if (!m) return MHD_NO;
    fprintf(m,
            "# HELP antt_web_connections Connections to the console now.\n"
            "# TYPE antt_web_connections gauge\nantt_web_connections %d\n"
            "# HELP antt_web_connections_refused_total Connections refused at once: over "
            "--per-address from one address, or every place taken by a request being answered.\n"
            "# TYPE antt_web_connections_refused_total counter\n"
            "antt_web_connections_refused_total{reason=\"per_address\"} %llu\n"
            "antt_web_connections_refused_total{reason=\"full\"} %llu\n"
            "# HELP antt_web_connections_cut_total Connections cut: their request had not arrived "
            "within --request-seconds, or the oldest such was cut to make room.\n"
            "# TYPE antt_web_connections_cut_total counter\n"
            "antt_web_connections_cut_total{reason=\"deadline\"} %llu\n"
            "antt_web_connections_cut_total{reason=\"evicted\"} %llu\n",
            g.open, (unsigned long long)g.refused_per_addr, (unsigned long long)g.refused_full,
            (unsigned long long)g.deadline_cut, (unsigned long long)g.evicted);
    fprintf(m, "# HELP antt_web_logins_total Login attempts, by result (locked_*: refused by the "
               "throttle; busy: --max-hashes password checks already running).\n"
               "# TYPE antt_web_logins_total counter\n");
    for (int i = 0; i < 5; i++)
        fprintf(m, "antt_web_logins_total{result=\"%s\"} %llu\n", LOGIN_RESULT[i],
                (unsigned long long)logins[i]);
    fprintf(m,
            "# HELP antt_web_password_checks Argon2id checks running now.\n"
            "# TYPE antt_web_password_checks gauge\nantt_web_password_checks %d\n"
            "# HELP antt_web_bad_requests_total Requests refused with 400 (a malformed or "
            "unknown parameter, a malformed login form).\n"
            "# TYPE antt_web_bad_requests_total counter\nantt_web_bad_requests_total %llu\n"
            "# HELP antt_web_sessions Sessions open now.\n"
            "# TYPE antt_web_sessions gauge\nantt_web_sessions %d\n",
            hashing, (unsigned long long)bad, nsess);
    fclose(m);
    if (!b) return MHD_NO;
    return reply_owned(c, 200, "text/plain; version=0.0.4; charset=utf-8", b, n, NULL);
}

/* ---- the page table ------------------------------------------------------ */

static enum MHD_Result metrics(call_t *x)
{
    /* for the operator's scraper, which connects directly; not for
     * whoever the proxy forwards */
    char peer[64];
    peer_addr(x->c, peer);
    if (from_proxy(x->s, peer)) return reply_error(x->c, 404, "no such page");
    return send_metrics(x->s, x->c);
}

static enum MHD_Result index_page(call_t *x)
{
    return reply_static(x->c, x->s->static_dir, "index.html");
}

static enum MHD_Result page_file(call_t *x)
{
    return reply_static(x->c, x->s->static_dir, x->rest);
}

enum {
    PAGE_QUESTION = 1u << 0, /* a connection of the pool held; its parameters parsed by
                                param.c, as the question the path's last part names */
    PAGE_SCOPED = 1u << 1,   /* its unit inside the viewer's scope, else 403 */
    PAGE_FORM = 1u << 2,     /* its body is the login form (the post processor) */
};

typedef struct {
    const char *method; /* GET (which HEAD reaches too) or POST */
    const char *path;   /* whole, or a prefix ending in '*' */
    enum MHD_Result (*run)(call_t *x);
    server_who_t who; /* the session: not looked at, read when there is one, needed (401) */
    unsigned what;    /* PAGE_* */
} page_t;

/* Every endpoint. docs/http-api.md documents each row, and
 * tests/unit/test_apidoc.c holds the two together. */
static const page_t PAGES[] = {
    {"POST", "/api/login", login, SERVER_OPEN, PAGE_FORM},
    {"POST", "/api/logout", logout, SERVER_OPEN, 0},
    {"GET", "/api/me", me, SERVER_WHOEVER, PAGE_QUESTION},
    {"GET", "/api/units", units, SERVER_VIEWER, PAGE_QUESTION},
    {"GET", "/api/overview", overview, SERVER_VIEWER, PAGE_QUESTION | PAGE_SCOPED},
    {"GET", "/api/children", children, SERVER_VIEWER, PAGE_QUESTION | PAGE_SCOPED},
    {"GET", "/api/months", months, SERVER_VIEWER, PAGE_QUESTION | PAGE_SCOPED},
    {"GET", "/api/tipoffs", tipoffs, SERVER_VIEWER, PAGE_QUESTION | PAGE_SCOPED},
    {"GET", "/api/overdue", overdue, SERVER_VIEWER, PAGE_QUESTION | PAGE_SCOPED},
    {"GET", "/api/stations", stations, SERVER_VIEWER, PAGE_QUESTION | PAGE_SCOPED},
    {"GET", "/api/report", report, SERVER_VIEWER, PAGE_QUESTION | PAGE_SCOPED},
    {"GET", "/api/events", events, SERVER_VIEWER, PAGE_QUESTION},
    {"GET", "/metrics", metrics, SERVER_OPEN, 0},
    {"GET", "/", index_page, SERVER_OPEN, 0},
    {"GET", "/static/*", page_file, SERVER_OPEN, 0},
};
#define NPAGES (sizeof PAGES / sizeof PAGES[0])

int server_page(size_t i, server_page_t *out)
{
    if (i >= NPAGES) return -1;
    *out = (server_page_t){.method = PAGES[i].method,
                           .path = PAGES[i].path,
                           .who = PAGES[i].who,
                           .question = (PAGES[i].what & PAGE_QUESTION) != 0};
    return 0;
}

/* The row of method and url, or NULL. */
static const page_t *page_find(const char *method, const char *url)
{
    const char *m = !strcmp(method, "HEAD") ? "GET" : method;
    for (size_t i = 0; i < NPAGES; i++) {
        const page_t *pg = &PAGES[i];
        const size_t n = strlen(pg->path);
        if (!strcmp(pg->method, m) &&
            (pg->path[n - 1] == '*' ? !strncmp(url, pg->path, n - 1) : !strcmp(url, pg->path)))
            return pg;
    }
    return NULL;
}

/* What the row of a whole request says, in order, then its handler: a
 * connection of the pool (503), the session (503 when the database
 * fails), the parameters (400), a session needed (401), the unit in the
 * viewer's scope (403). */
static enum MHD_Result page_run(server_t *s, struct MHD_Connection *c, const char *url,
                                const page_t *pg, req_t *q)
{
    call_t x = {.s = s, .c = c, .q = q, .rest = "", .endpoint = strrchr(pg->path, '/') + 1};
    const size_t n = strlen(pg->path);
    if (pg->path[n - 1] == '*') x.rest = url + n - 1;
    if (pg->who == SERVER_OPEN && !(pg->what & PAGE_QUESTION)) return pg->run(&x);
    char err[512], why[200];
    if (!(x.db = pool_get(s->pool, err, sizeof err)))
        return reply_error(c, 503, "the database cannot be reached");
    enum MHD_Result rc;
    const int w = who_of(s, c, x.db, &x.who);
    int in = 1;
    x.has_who = w > 0;
    if (w < 0) {
        rc = reply_error(c, 503, "the database failed");
    } else if ((pg->what & PAGE_QUESTION) && parse_args(c, x.endpoint, &x.p, why, sizeof why) < 0) {
        count_bad(s);
        rc = reply_error(c, 400, why);
    } else if (pg->who == SERVER_VIEWER && !x.has_who) {
        rc = reply_error(c, 401, "log in first");
    } else if ((pg->what & PAGE_SCOPED) &&
               (in = console_in_scope(x.db, x.who.scope, x.p.unit, err, sizeof err)) <= 0) {
        rc = in < 0 ? reply_error(c, 503, "the database failed")
                    : reply_error(c, 403, "unit outside this viewer's scope");
    } else {
        /* a unit's figures: the batches committed before the question are in
         * them, or they are what there is after FRESH_MS */
        char as_of[64];
        double behind;
        if ((pg->what & PAGE_SCOPED) &&
            fold_fresh(x.db, FRESH_MS, as_of, sizeof as_of, &behind, err, sizeof err) == 0)
            reply_set_stale(as_of, behind); /* said in the answer's headers */
        rc = pg->run(&x);
        reply_set_stale(NULL, 0);
    }
    pool_put(s->pool, x.db);
    return rc;
}

/* ---- a request's way in -------------------------------------------------- */

static gate_conn_t *gate_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* A field of the login form, or a piece of one, from the post processor. */
static enum MHD_Result form_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *filename, const char *type, const char *encoding,
                                  const char *data, uint64_t off, size_t size)
{
    (void)kind, (void)filename, (void)type, (void)encoding;
    return param_login_take(cls, key, data, off, size) == 0 ? MHD_YES : MHD_NO;
}

/* The post processor of a login form: of an urlencoded body only (the one
 * encoding the page sends; a multipart body is refused, not parsed). NULL
 * for any other, or out of memory. */
static struct MHD_PostProcessor *form_reader(struct MHD_Connection *c, req_t *q)
{
    static const char URLENCODED[] = MHD_HTTP_POST_ENCODING_FORM_URLENCODED;
    const char *type =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!type || strncasecmp(type, URLENCODED, sizeof URLENCODED - 1)) return NULL;
    return MHD_create_post_processor(c, 512, form_field, &q->form);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    (void)version;
    server_t *s = cls;
    const int post = !strcmp(method, "POST");
    const page_t *pg = page_find(method, url);
    /* the request has arrived whole (a POST's body too): off the gate's clock */
    if (!post || (*state && !*upload_size)) gate_arrived(s->gate, gate_of(c));
    if (post && !*state) { /* the first call: headers only */
        req_t *q = calloc(1, sizeof *q);
        if (!q) return MHD_NO;
        *state = q;
        if (pg && (pg->what & PAGE_FORM) && !(q->pp = form_reader(c, q))) q->bad = 1;
        return MHD_YES;
    }
    req_t *q = *state;
    if (post && *upload_size) { /* the body, in pieces */
        q->body += *upload_size;
        if (q->body > BODY_MAX)
            q->bad = 1;
        else if (q->pp && !q->bad && MHD_post_process(q->pp, upload, *upload_size) != MHD_YES)
            q->bad = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    if (post && q->pp) { /* the last field ends with the body; a dangling one is malformed */
        if (MHD_destroy_post_processor(q->pp) != MHD_YES) q->bad = 1;
        q->pp = NULL;
    }
    if (pg) return page_run(s, c, url, pg, post ? q : NULL);
    if (post) return reply_error(c, 404, "no such action");
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return reply_error(c, 405, "GET or POST only");
    return reply_error(c, 404, strncmp(url, "/api/", 5) ? "no such page" : "no such question");
}

static void done(void *cls, struct MHD_Connection *c, void **state,
                 enum MHD_RequestTerminationCode why)
{
    (void)why;
    server_t *s = cls;
    gate_answered(s->gate, gate_of(c), gate_now_ms()); /* the next request's clock */
    req_t *q = *state;
    if (q) {
        if (q->pp) MHD_destroy_post_processor(q->pp); /* a request cut short */
        sodium_memzero(q, sizeof *q);                 /* a password went through it */
        free(q);
        *state = NULL;
    }
}

/* libmicrohttpd's messages: while starting (why it cannot listen) only.
 * Afterwards it writes a line per connection a client or the gate ends,
 * which a flood would turn into a flood of log: those are counted instead
 * (/metrics). */
__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    const server_t *s = cls;
    if (!s->started) {
        fprintf(stderr, "anttweb: libmicrohttpd: ");
        vfprintf(stderr, fmt, ap);
    }
}

/* Before a connection is accepted: the gate says whether it may be. */
static enum MHD_Result admit(void *cls, const struct sockaddr *addr, socklen_t len)
{
    (void)len;
    server_t *s = cls;
    return gate_admit(s->gate, addr, gate_now_ms()) ? MHD_YES : MHD_NO;
}

static void connection(void *cls, struct MHD_Connection *c, void **socket_context,
                       enum MHD_ConnectionNotificationCode toe)
{
    server_t *s = cls;
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

/* ---- start and stop ----------------------------------------------------- */

static char *slurp(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read %s", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (b && fread(b, 1, (size_t)n, f) == (size_t)n)
        b[n] = '\0';
    else
        free(b), b = NULL, snprintf(err, errlen, "cannot read %s", path);
    fclose(f);
    return b;
}

server_t *server_start(const server_cfg_t *cfg, pool_t *pool, live_t *live, char *err,
                       size_t errlen)
{
    const char *colon = strrchr(cfg->listen, ':');
    char host[64];
    int port = colon ? atoi(colon + 1) : 0;
    if (!colon || (size_t)(colon - cfg->listen) >= sizeof host || port <= 0 || port > 65535) {
        snprintf(err, errlen, "listen: '%s' is not HOST:PORT", cfg->listen);
        return NULL;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - cfg->listen), cfg->listen);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "listen: '%s' is not an IPv4 address", host);
        return NULL;
    }
    server_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->cfg = *cfg;
    snprintf(s->static_dir, sizeof s->static_dir, "%s", cfg->static_dir);
    s->pool = pool;
    s->live = live;
    s->sessions = sessions_new(cfg->session_idle_s, cfg->session_max_s, cfg->login_fails,
                               cfg->login_window_s);
    pthread_mutex_init(&s->mu, NULL);
    if (!s->sessions) goto fail;
    if (cfg->trusted_proxy) {
        struct in_addr pa;
        if (inet_pton(AF_INET, cfg->trusted_proxy, &pa) != 1) {
            snprintf(err, errlen, "trusted-proxy: '%s' is not an IPv4 address", cfg->trusted_proxy);
            goto fail;
        }
        inet_ntop(AF_INET, &pa, s->proxy, sizeof s->proxy);
    }
    const gate_cfg_t gc = {.max = cfg->max_connections,
                           .per_addr = cfg->per_address,
                           .deadline_ms = (int64_t)cfg->request_seconds * 1000,
                           .exempt = s->proxy[0] ? s->proxy : NULL,
                           .reaper = 1};
    if (!(s->gate = gate_new(&gc))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    {
        uint8_t r[32];
        randombytes_buf(r, sizeof r);
        if (crypto_pwhash_str(s->dummy, (const char *)r, sizeof r,
                              crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
    }
    if (cfg->tls_cert || cfg->tls_key) {
        if (!cfg->tls_cert || !cfg->tls_key) {
            snprintf(err, errlen, "TLS needs both a certificate and its key");
            goto fail;
        }
        if (!(s->cert = slurp(cfg->tls_cert, err, errlen)) ||
            !(s->key = slurp(cfg->tls_key, err, errlen)))
            goto fail;
    }
    /* poll(), not select(): descriptors past FD_SETSIZE must not refuse
     * everyone. libmicrohttpd's own limit is the gate's table, beyond the
     * gate's max: the gate decides, and connections it cut may linger a
     * moment before libmicrohttpd has closed them. */
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_POLL | MHD_USE_ERROR_LOG | (s->cert ? MHD_USE_TLS : 0);
    const unsigned limit = (unsigned)cfg->max_connections * 2 + 16;
    if (s->cert)
        s->d = MHD_start_daemon(
            flags, 0, admit, s, answer, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT, limit,
            MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_NOTIFY_COMPLETED, done, s,
            MHD_OPTION_NOTIFY_CONNECTION, connection, s, MHD_OPTION_HTTPS_MEM_CERT, s->cert,
            MHD_OPTION_HTTPS_MEM_KEY, s->key, MHD_OPTION_END);
    else
        s->d = MHD_start_daemon(flags, 0, admit, s, answer, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
                                s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                MHD_OPTION_CONNECTION_LIMIT, limit, MHD_OPTION_CONNECTION_TIMEOUT,
                                60u, MHD_OPTION_NOTIFY_COMPLETED, done, s,
                                MHD_OPTION_NOTIFY_CONNECTION, connection, s, MHD_OPTION_END);
    if (!s->d) {
        snprintf(err, errlen, "cannot serve on %s", cfg->listen);
        goto fail;
    }
    s->started = 1;
    return s;
fail:
    gate_free(&s->gate);
    sessions_free(&s->sessions);
    free(s->cert);
    if (s->key) sodium_memzero(s->key, strlen(s->key));
    free(s->key);
    pthread_mutex_destroy(&s->mu);
    free(s);
    return NULL;
}

void server_stop(server_t **sp)
{
    server_t *s = *sp;
    if (!s) return;
    s->stopping = 1;
    MHD_stop_daemon(s->d);
    gate_free(&s->gate);
    sessions_free(&s->sessions);
    free(s->cert);
    if (s->key) sodium_memzero(s->key, strlen(s->key));
    free(s->key);
    pthread_mutex_destroy(&s->mu);
    free(s);
    *sp = NULL;
}
