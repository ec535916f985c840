/* server.c — see server.h. A thread per connection (libmicrohttpd's
 * MHD_USE_THREAD_PER_CONNECTION): a browser's event stream may wait on the
 * tally stream without holding anyone else up; the connections are
 * bounded (max_connections). */
#include "web/server.h"

#include "client/report.h"
#include "db/console.h"
#include "web/session.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COOKIE      "antt_session"
#define BODY_MAX    4096 /* a login form */
#define SSE_WAIT_MS 5000 /* also how long a stop may wait for a stream */

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
    /* checked when a name is unknown, so that a login costs the same whether
     * the name exists or not (no telling names by the answer's time) */
    char dummy[crypto_pwhash_STRBYTES];
};

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

/* ---- answers ------------------------------------------------------------ */

static void headers(struct MHD_Response *r, const char *type)
{
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; frame-ancestors 'none'; form-action 'self'");
}

/* Answer with body (taken: freed by libmicrohttpd). */
static enum MHD_Result send_owned(struct MHD_Connection *c, unsigned status, const char *type,
                                  char *body, size_t len, const char *cookie)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    headers(r, type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (cookie) MHD_add_response_header(r, "Set-Cookie", cookie);
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, char *json,
                                 const char *cookie)
{
    return send_owned(c, status, "application/json; charset=utf-8", json, strlen(json), cookie);
}

/* {"error": msg} (msg has no quotes or backslashes). */
static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
    char *b = malloc(strlen(msg) + 16);
    if (!b) return MHD_NO;
    sprintf(b, "{\"error\":\"%s\"}", msg);
    return send_json(c, status, b, NULL);
}

/* ---- the static page ---------------------------------------------------- */

static const char *type_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot) return "application/octet-stream";
    if (!strcmp(dot, ".html")) return "text/html; charset=utf-8";
    if (!strcmp(dot, ".js")) return "text/javascript; charset=utf-8";
    if (!strcmp(dot, ".css")) return "text/css; charset=utf-8";
    if (!strcmp(dot, ".json")) return "application/json; charset=utf-8";
    if (!strcmp(dot, ".svg")) return "image/svg+xml";
    return "application/octet-stream";
}

/* A file of the static directory: names of [a-z0-9._-] without "..". */
static enum MHD_Result send_static(server_t *s, struct MHD_Connection *c, const char *name)
{
    if (!*name || strstr(name, "..")) return send_error(c, 404, "no such page");
    for (const char *p = name; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || strchr("._-", *p)))
            return send_error(c, 404, "no such page");
    char path[800];
    /* the gzipped copy when the browser takes it */
    const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding");
    const int gz = ae && strstr(ae, "gzip");
    snprintf(path, sizeof path, "%s/%s.gz", s->static_dir, name);
    FILE *f = gz ? fopen(path, "rb") : NULL;
    const int zipped = f != NULL;
    if (!f) {
        snprintf(path, sizeof path, "%s/%s", s->static_dir, name);
        f = fopen(path, "rb");
    }
    if (!f) return send_error(c, 404, "no such page");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    size_t got = b ? fread(b, 1, (size_t)n, f) : 0;
    fclose(f);
    if (!b || got != (size_t)n) {
        free(b);
        return send_error(c, 500, "cannot read the page");
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(got, b, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(b);
        return MHD_NO;
    }
    headers(r, type_of(name));
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "Vary", "Accept-Encoding");
    if (zipped) MHD_add_response_header(r, "Content-Encoding", "gzip");
    enum MHD_Result ok = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ok;
}

/* ---- requests ----------------------------------------------------------- */

/* What a request collects between libmicrohttpd's calls (a POST body). */
typedef struct {
    char body[BODY_MAX + 1];
    size_t n;
    int too_big;
} req_t;

static const char *arg(struct MHD_Connection *c, const char *k)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, k);
}

static void client_addr(struct MHD_Connection *c, char out[64])
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = '\0';
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, out, 64);
}

/* One field of an application/x-www-form-urlencoded body, decoded. */
static int form_field(const char *body, const char *k, char *out, size_t cap)
{
    size_t kl = strlen(k);
    for (const char *p = body; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, k, kl) || p[kl] != '=') continue;
        size_t o = 0;
        for (const char *q = p + kl + 1; *q && *q != '&' && o + 1 < cap; q++) {
            if (*q == '+') {
                out[o++] = ' ';
            } else if (*q == '%' && isxdigit((unsigned char)q[1]) &&
                       isxdigit((unsigned char)q[2])) {
                char h[3] = {q[1], q[2], 0};
                out[o++] = (char)strtol(h, NULL, 16);
                q += 2;
            } else {
                out[o++] = *q;
            }
        }
        out[o] = '\0';
        return 0;
    }
    return -1;
}

static int valid_unit(const char *u)
{
    if (!u) return 0;
    if (!strcmp(u, "all")) return 1; /* the whole country */
    if (!strncmp(u, "group:", 6)) {
        size_t n = strlen(u + 6);
        if (!n || n > 32) return 0;
        for (const char *p = u + 6; *p; p++)
            if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-')) return 0;
        return 1;
    }
    size_t n = strlen(u);
    if (n != 2 && n != 3 && n != 5) return 0;
    for (const char *p = u; *p; p++)
        if (!isdigit((unsigned char)*p)) return 0;
    return 1;
}

/* Days since 1970-01-01 of a valid YYYY-MM-DD (H. Hinnant's days_from_civil). */
static long day_number(const char *d)
{
    long y = atol(d), m = atol(d + 5), dd = atol(d + 8);
    y -= m <= 2;
    const long era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
    const long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + dd - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static int valid_day(const char *d)
{
    if (!d || strlen(d) != 10 || d[4] != '-' || d[7] != '-') return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)d[i])) return 0;
    const int y = atoi(d), m = atoi(d + 5), dd = atoi(d + 8);
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || m < 1 || m > 12 || dd < 1 || dd > mdays[m - 1]) return 0;
    return m != 2 || dd < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
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

static enum MHD_Result login(server_t *s, struct MHD_Connection *c, const req_t *q)
{
    char name[80] = "", pw[300] = "", addr[64];
    client_addr(c, addr);
    if (q->too_big || form_field(q->body, "name", name, sizeof name) < 0 ||
        form_field(q->body, "password", pw, sizeof pw) < 0 || !name[0]) {
        sodium_memzero(pw, sizeof pw);
        return send_error(c, 400, "name and password, please");
    }
    pthread_mutex_lock(&s->mu);
    const int may = sessions_may_try(s->sessions, addr, name, now_s());
    pthread_mutex_unlock(&s->mu);
    if (!may) {
        sodium_memzero(pw, sizeof pw);
        return send_error(c, 429, "too many failed logins: wait a few minutes");
    }
    char err[256];
    db_t *db = pool_get(s->pool, err, sizeof err);
    if (!db) {
        sodium_memzero(pw, sizeof pw);
        return send_error(c, 503, "the database cannot be reached");
    }
    console_viewer_t v;
    int found = console_viewer(db, name, &v, err, sizeof err);
    const int ok =
        crypto_pwhash_str_verify(found == 1 ? v.hash : s->dummy, pw, strlen(pw)) == 0 && found == 1;
    sodium_memzero(pw, sizeof pw);
    session_who_t who = {0};
    char *topics = NULL;
    if (ok) {
        snprintf(who.name, sizeof who.name, "%.64s", name);
        snprintf(who.scope, sizeof who.scope, "%s", v.scope);
        snprintf(who.lang, sizeof who.lang, "%s", v.lang);
        topics = console_scope_topics(db, v.scope, err, sizeof err);
        /* a list that does not fit would filter the live stream wrongly: none */
        snprintf(who.topics, sizeof who.topics, "%s",
                 topics && strlen(topics) < sizeof who.topics ? topics : "[]");
        free(topics);
    }
    pool_put(s->pool, db);
    if (found < 0) return send_error(c, 503, "the database failed");
    pthread_mutex_lock(&s->mu);
    sessions_tried(s->sessions, addr, name, ok, now_s());
    char token[SESSION_TOKEN_HEX + 1] = "";
    const int opened = ok && sessions_open(s->sessions, &who, now_s(), token) == 0;
    pthread_mutex_unlock(&s->mu);
    if (!ok) return send_error(c, 401, "wrong name or password");
    if (!opened) return send_error(c, 500, "no session");
    char cookie[200];
    snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s", COOKIE, token,
             s->cert ? "; Secure" : "");
    char *b = malloc(256);
    if (!b) return MHD_NO;
    snprintf(b, 256, "{\"name\":\"%s\",\"scope\":%s%s%s,\"lang\":\"%s\"}", who.name,
             who.scope[0] ? "\"" : "", who.scope[0] ? who.scope : "null", who.scope[0] ? "\"" : "",
             who.lang);
    return send_json(c, 200, b, cookie);
}

static enum MHD_Result logout(server_t *s, struct MHD_Connection *c)
{
    const char *token = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE);
    pthread_mutex_lock(&s->mu);
    if (token) sessions_close(s->sessions, token, NULL);
    pthread_mutex_unlock(&s->mu);
    char *b = strdup("{}");
    return b ? send_json(c, 200, b, COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
             : MHD_NO;
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
        size_t n = live_wait(s->live, e->after, SSE_WAIT_MS, m, 32, &next);
        e->after = next;
        for (size_t i = 0; i < n && o + 128 < max; i++)
            if (in_prefixes(e, m[i].topic))
                o += (size_t)snprintf(buf + o, max - o,
                                      "event: tally\ndata: {\"unit\":\"%s\",\"topic\":\"%s\"}\n\n",
                                      m[i].unit, m[i].topic);
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

static enum MHD_Result events(server_t *s, struct MHD_Connection *c, const session_who_t *who)
{
    if (!s->live) return send_error(c, 503, "no tally stream configured");
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
    headers(r, "text/event-stream; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ok = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ok;
}

/* ---- the year-end report ------------------------------------------------ */

/* The year-end report of unit as `antt report` writes it (the same code),
 * ?year=&cmp=&lang=vi|en&stat=1 (the statistical year 15/12-14/12)
 * &format=text|csv|json. */
static enum MHD_Result report(struct MHD_Connection *c, db_t *db, const char *unit)
{
    const char *y = arg(c, "year"), *cmp = arg(c, "cmp"), *lang = arg(c, "lang"),
               *fmt = arg(c, "format"), *stat = arg(c, "stat");
    report_args_t a = {.unit = unit,
                       .year = y ? atoi(y) : 0,
                       .cmp_year = cmp && *cmp ? atoi(cmp) : 0,
                       .vi = !lang || strcmp(lang, "en"),
                       .carry_first = 1,
                       .start_mm = stat && !strcmp(stat, "1") ? 12 : 1,
                       .start_dd = stat && !strcmp(stat, "1") ? 15 : 1,
                       /* the targets on record; else the National
                        * Assembly's 90 % for tip-offs */
                       .target = {-1, -1, -1, -1},
                       .fallback = {-1, -1, 90, -1},
                       .format = fmt ? fmt : "text"};
    if (a.year < 2000 || a.year > 2100 || (a.cmp_year && (a.cmp_year < 2000 || a.cmp_year > 2100)))
        return send_error(c, 400, "year and cmp: 2000 to 2100");
    if (strcmp(a.format, "text") && strcmp(a.format, "csv") && strcmp(a.format, "json"))
        return send_error(c, 400, "format: text, csv or json");
    char *buf = NULL, err[512];
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return MHD_NO;
    int code = report_write(db, &a, m, err, sizeof err);
    fclose(m);
    if (code) {
        free(buf);
        return send_error(c, code == 2 ? 404 : 500, "no report");
    }
    const char *type = !strcmp(a.format, "csv")    ? "text/csv; charset=utf-8"
                       : !strcmp(a.format, "json") ? "application/json; charset=utf-8"
                                                   : "text/plain; charset=utf-8";
    return send_owned(c, 200, type, buf, len, NULL);
}

/* ---- the JSON endpoints -------------------------------------------------- */

static enum MHD_Result api(server_t *s, struct MHD_Connection *c, const char *what)
{
    char err[512];
    db_t *db = pool_get(s->pool, err, sizeof err);
    if (!db) return send_error(c, 503, "the database cannot be reached");
    session_who_t who;
    int w = who_of(s, c, db, &who);
    enum MHD_Result rc;
    char *json = NULL;
    const char *unit = arg(c, "unit"), *from = arg(c, "from"), *to = arg(c, "to");
    if (w < 0) {
        rc = send_error(c, 503, "the database failed");
        goto out;
    }
    if (!w && !strcmp(what, "me")) { /* who am I: nobody (the page asks before its login) */
        char *b = strdup("{\"name\":null}");
        rc = b ? send_json(c, 200, b, NULL) : MHD_NO;
        goto out;
    }
    if (!w) {
        rc = send_error(c, 401, "log in first");
        goto out;
    }
    if (!strcmp(what, "me")) {
        char *b = malloc(256);
        if (!b) {
            rc = MHD_NO;
            goto out;
        }
        snprintf(b, 256, "{\"name\":\"%s\",\"scope\":%s%s%s,\"lang\":\"%s\"}", who.name,
                 who.scope[0] ? "\"" : "", who.scope[0] ? who.scope : "null",
                 who.scope[0] ? "\"" : "", who.lang);
        rc = send_json(c, 200, b, NULL);
        goto out;
    }
    if (!strcmp(what, "events")) {
        pool_put(s->pool, db);
        return events(s, c, &who);
    }
    if (!strcmp(what, "units")) { /* the unit picker: within the viewer's scope */
        const char *q = arg(c, "q");
        if (q && strlen(q) > 64) {
            rc = send_error(c, 400, "q: at most 64 bytes");
            goto out;
        }
        json = console_units(db, who.scope, q, err, sizeof err);
        rc = json ? send_json(c, 200, json, NULL) : send_error(c, 500, "the query failed");
        goto out;
    }
    if (!valid_unit(unit)) {
        rc = send_error(c, 400, "unit: a unit code, group:NAME or all");
        goto out;
    }
    int in = console_in_scope(db, who.scope, unit, err, sizeof err);
    if (in < 0) {
        rc = send_error(c, 503, "the database failed");
        goto out;
    }
    if (!in) {
        rc = send_error(c, 403, "unit outside this viewer's scope");
        goto out;
    }
    if (!strcmp(what, "report")) {
        rc = report(c, db, unit);
        goto out;
    }
    const int dated = strcmp(what, "stations") != 0;
    if (dated && (!valid_day(from) || !valid_day(to))) {
        rc = send_error(c, 400, "from and to: YYYY-MM-DD");
        goto out;
    }
    /* a period of one day to ten years (a month-by-month answer of a
     * thousand years would be a way to make the server work for nothing) */
    if (dated && (day_number(to) <= day_number(from) || day_number(to) - day_number(from) > 3660)) {
        rc = send_error(c, 400, "from before to, at most ten years apart");
        goto out;
    }
    if (!strcmp(what, "overview")) {
        const char *cf = arg(c, "cfrom"), *ct = arg(c, "cto");
        if ((cf || ct) && (!valid_day(cf) || !valid_day(ct))) {
            rc = send_error(c, 400, "cfrom and cto: YYYY-MM-DD");
            goto out;
        }
        json = console_overview(db, unit, from, to, cf, ct, err, sizeof err);
    } else if (!strcmp(what, "children")) {
        json = console_children(db, unit, from, to, err, sizeof err);
    } else if (!strcmp(what, "months")) {
        json = console_months(db, unit, from, to, err, sizeof err);
    } else if (!strcmp(what, "tipoffs")) {
        const char *wd = arg(c, "within");
        int within = wd ? atoi(wd) : 3;
        if (within < 1 || within > 366) within = 3;
        json = console_tipoffs(db, unit, within, from, to, err, sizeof err);
    } else if (!strcmp(what, "overdue")) {
        json = console_overdue(db, unit, from, to, err, sizeof err);
    } else if (!strcmp(what, "stations")) {
        json = console_stations(db, unit, s->cfg.silent_hours, err, sizeof err);
    } else {
        rc = send_error(c, 404, "no such question");
        goto out;
    }
    rc = json ? send_json(c, 200, json, NULL) : send_error(c, 500, "the query failed");
out:
    pool_put(s->pool, db);
    return rc;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    (void)version;
    server_t *s = cls;
    const int post = !strcmp(method, "POST");
    if (post && !*state) { /* the first call: headers only */
        req_t *q = calloc(1, sizeof *q);
        if (!q) return MHD_NO;
        *state = q;
        return MHD_YES;
    }
    if (post && *upload_size) { /* the body, in pieces */
        req_t *q = *state;
        if (q->n + *upload_size > BODY_MAX)
            q->too_big = 1;
        else
            memcpy(q->body + q->n, upload, *upload_size), q->n += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    if (post) {
        req_t *q = *state;
        q->body[q->n] = '\0';
        if (!strcmp(url, "/api/login")) return login(s, c, q);
        if (!strcmp(url, "/api/logout")) return logout(s, c);
        return send_error(c, 404, "no such action");
    }
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return send_error(c, 405, "GET or POST only");
    if (!strncmp(url, "/api/", 5)) return api(s, c, url + 5);
    if (!strcmp(url, "/")) return send_static(s, c, "index.html");
    if (!strncmp(url, "/static/", 8)) return send_static(s, c, url + 8);
    return send_error(c, 404, "no such page");
}

static void done(void *cls, struct MHD_Connection *c, void **state,
                 enum MHD_RequestTerminationCode why)
{
    (void)cls, (void)c, (void)why;
    if (*state) {
        sodium_memzero(*state, sizeof(req_t)); /* a password went through it */
        free(*state);
        *state = NULL;
    }
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
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_ERROR_LOG | (s->cert ? MHD_USE_TLS : 0);
    if (s->cert)
        s->d = MHD_start_daemon(flags, 0, NULL, NULL, answer, s, MHD_OPTION_SOCK_ADDR,
                                (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT,
                                (unsigned)cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
                                MHD_OPTION_NOTIFY_COMPLETED, done, s, MHD_OPTION_HTTPS_MEM_CERT,
                                s->cert, MHD_OPTION_HTTPS_MEM_KEY, s->key, MHD_OPTION_END);
    else
        s->d = MHD_start_daemon(flags, 0, NULL, NULL, answer, s, MHD_OPTION_SOCK_ADDR,
                                (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT,
                                (unsigned)cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
                                MHD_OPTION_NOTIFY_COMPLETED, done, s, MHD_OPTION_END);
    if (!s->d) {
        snprintf(err, errlen, "cannot serve on %s", cfg->listen);
        goto fail;
    }
    return s;
fail:
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
    sessions_free(&s->sessions);
    free(s->cert);
    if (s->key) sodium_memzero(s->key, strlen(s->key));
    free(s->key);
    pthread_mutex_destroy(&s->mu);
    free(s);
    *sp = NULL;
}
