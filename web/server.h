/* server.h — the console's HTTP side (libmicrohttpd): static pages, the
 * login, JSON for each page, and the live event stream.
 *
 *   POST /api/login   name, password (form)   -> {name, scope, lang}, cookie
 *   POST /api/logout
 *   GET  /api/me                               -> {name, scope, lang}; {name: null}
 *   GET  /api/overview?unit=&from=&to=[&cfrom=&cto=]
 *   GET  /api/children?unit=&from=&to=
 *   GET  /api/months?unit=&from=&to=
 *   GET  /api/tipoffs?unit=&within=&from=&to=
 *   GET  /api/stations?unit=
 *   GET  /api/report?unit=&year=[&cmp=&lang=en&stat=1&format=csv|json]
 *                                              the year-end report, as antt report
 *   GET  /api/events                            Server-Sent Events: "tally"
 *   GET  /, /static/FILE                       the page
 *   GET  /metrics                              the console's counters (Prometheus
 *                                              text; not through the trusted proxy)
 *
 * Every /api/ request but login and me needs the session cookie (401
 * without);
 * every unit is checked against the viewer's scope on the server (403
 * outside it, whatever the page asked). Every parameter is parsed whole
 * (web/param.h): unknown, repeated or malformed ones are 400. Answers are
 * JSON, UTF-8. */
#ifndef ANTT_WEB_SERVER_H
#define ANTT_WEB_SERVER_H

#include "web/live.h"
#include "web/pool.h"

typedef struct {
    const char *listen;             /* "HOST:PORT" (IPv4) */
    const char *static_dir;         /* the page's files */
    const char *tls_cert, *tls_key; /* PEM files; NULL: plain HTTP (behind a proxy) */
    int session_idle_s, session_max_s;
    int login_fails, login_window_s; /* throttle: this many failures in the window */
    int silent_hours;                /* a station silent after this long */
    int max_connections;
    int per_address;           /* connections from one address (but the trusted proxy's) */
    int request_seconds;       /* for a request to arrive whole */
    int max_hashes;            /* Argon2id checks at once; beyond: 503 at once */
    const char *trusted_proxy; /* its address: X-Forwarded-For's last hop is the client; NULL */
} server_cfg_t;

typedef struct server server_t;

/* Serve with the pool's connections and the stream (live may be NULL: no
 * live updates). NULL with err. */
server_t *server_start(const server_cfg_t *cfg, pool_t *pool, live_t *live, char *err,
                       size_t errlen);
void server_stop(server_t **s);

#endif
