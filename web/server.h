/* server.h — the console's HTTP side (libmicrohttpd): static pages, the
 * login, JSON for each page, and the live event stream. Its endpoints are
 * the rows of server.c's page table (server_page below), each documented
 * in docs/http-api.md with its parameters, answers and errors (a test holds
 * the document to the table).
 *
 * Every /api/ request but login and me needs the session cookie (401
 * without); every unit is checked against the viewer's scope on the server (403
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

/* Who may ask for a page: anyone (no session looked at), anyone with the
 * session read when there is one (/api/me), a logged-in viewer (401
 * without). */
typedef enum { SERVER_OPEN, SERVER_WHOEVER, SERVER_VIEWER } server_who_t;

/* A row of the page table, as documents see it: GET (HEAD too) or POST, the
 * path (a final '*': any file name there), who may ask, and whether it is a
 * question whose parameters web/param.c parses (the path's last part names
 * it). */
typedef struct {
    const char *method, *path;
    server_who_t who;
    int question;
} server_page_t;

/* Row i of the page table: 0, or -1 past its end. */
int server_page(size_t i, server_page_t *out);

/* Serve with the pool's connections and the stream (live may be NULL: no
 * live updates). NULL with err. */
server_t *server_start(const server_cfg_t *cfg, pool_t *pool, live_t *live, char *err,
                       size_t errlen);
void server_stop(server_t **s);

#endif
