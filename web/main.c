/* main.c — anttweb, the console: the province's and the Ministry's figures
 * in a browser. Options, then serve until SIGINT/SIGTERM.
 *
 *   anttweb [--listen 127.0.0.1:9730] [--db CONNINFO] [--static DIR]
 *           [--stream tcp://127.0.0.1:7722 [--key FILE --server-key FILE.pub | --insecure]]
 *           [--tls-cert FILE --tls-key FILE] [--session-hours 8] [--silent-hours 24]
 *           [--max-connections 200] [--per-address 16] [--request-seconds 10]
 *           [--max-hashes N] [--login-fails 5] [--login-window-minutes 15]
 *           [--trusted-proxy ADDR]
 */
#include "lib/antt.h"
#include "cmd/dbconn.h"
#include "cmd/opt.h"
#include "web/live.h"
#include "web/pool.h"
#include "web/server.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef ANTTWEB_SHARE_DIR
#define ANTTWEB_SHARE_DIR "/usr/local/share/antt/web"
#endif

/* The page: the build tree's copy (static/ beside the program) when run
 * from it, else the installed one. Found from the program's own place, not
 * from the build's path compiled in: on a server that path is nobody's, and
 * whoever made it would choose the page. */
static const char *page_dir(char *buf, size_t cap)
{
    char index[PATH_MAX + 32];
    const ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
    char *slash = n > 0 ? memrchr(buf, '/', (size_t)n) : NULL;
    if (slash && (size_t)(slash - buf) + sizeof "/static" <= cap) {
        memcpy(slash, "/static", sizeof "/static");
        snprintf(index, sizeof index, "%s/index.html", buf);
        if (access(index, R_OK) == 0) return buf;
    }
    return ANTTWEB_SHARE_DIR;
}

int main(int argc, char **argv)
{
    static char own[PATH_MAX];
    const char *listen = "127.0.0.1:9730", *dsn = NULL, *dir = page_dir(own, sizeof own),
               *stream = NULL, *key = NULL, *server_key = NULL, *cert = NULL, *tls_key = NULL,
               *proxy = NULL;
    long session_hours = 8, silent_hours = 24, pool_size = 4, max_conn = 200, per_addr = 16,
         request_s = 10, max_hashes = 0, login_fails = 5, login_window_min = 15;
    int insecure = 0;
    const opt_t opts[] = {
        {"listen", 'l', OPT_STR, &listen, 0, 0, "HOST:PORT",
         "where to serve (default 127.0.0.1:9730)", NULL},
        OPT_DB(&dsn),
        {"static", 0, OPT_STR, &dir, 0, 0, "DIR", "the page's files", NULL},
        {"stream", 's', OPT_STR, &stream, 0, 0, "ENDPOINTS",
         "the tally stream of every daemon (tcp://...:7722,...): live updates", NULL},
        {"key", 'k', OPT_STR, &key, 0, 0, "FILE",
         "the console's subscriber keypair (antt keygen; antt subscriber add --all)", NULL},
        {"server-key", 0, OPT_STR, &server_key, 0, 0, "Z85|FILE.pub", "the daemons' public key",
         NULL},
        {"insecure", 0, OPT_FLAG, &insecure, 0, 0, NULL,
         "follow the stream without CURVE (a daemon run --insecure)", NULL},
        {"tls-cert", 0, OPT_STR, &cert, 0, 0, "FILE", "serve HTTPS with this certificate (PEM)",
         NULL},
        {"tls-key", 0, OPT_STR, &tls_key, 0, 0, "FILE", "and its private key (PEM)", NULL},
        {"session-hours", 0, OPT_INT, &session_hours, 1, 24 * 30, "H",
         "a session ends after this long unused (default 8)", NULL},
        {"silent-hours", 0, OPT_INT, &silent_hours, 1, 8760, "H",
         "a station is silent after this long (default 24)", NULL},
        {"pool", 0, OPT_INT, &pool_size, 1, 64, "N", "database connections (default 4)", NULL},
        {"max-connections", 0, OPT_INT, &max_conn, 8, 10000, "N",
         "browser connections at once (default 200)", NULL},
        {"per-address", 0, OPT_INT, &per_addr, 1, 10000, "N",
         "connections at once from one address, the trusted proxy's excepted (default 16)", NULL},
        {"request-seconds", 0, OPT_INT, &request_s, 1, 600, "S",
         "a request must arrive whole within this long (default 10)", NULL},
        {"max-hashes", 0, OPT_INT, &max_hashes, 1, 64, "N",
         "password checks at once (Argon2id, 64 MiB and a core each); more logins are answered "
         "503 (default: half the cores, at least 1)",
         NULL},
        {"login-fails", 0, OPT_INT, &login_fails, 1, 1000, "N",
         "failed logins from an address, or for a name, before they wait (default 5)", NULL},
        {"login-window-minutes", 0, OPT_INT, &login_window_min, 1, 1440, "M",
         "how long failed logins are remembered (default 15)", NULL},
        {"trusted-proxy", 0, OPT_STR, &proxy, 0, 0, "ADDR",
         "the TLS proxy's address: from it, the client is X-Forwarded-For's last hop", NULL},
    };
    const size_t nopts = sizeof opts / sizeof opts[0];
    char err[512];
    int rc = opt_parse(opts, nopts, argc, argv, 0, NULL, err, sizeof err);
    if (rc == OPT_HELP) {
        printf("usage: anttweb [options]\n"
               "The console: figures, children, trends, tip-offs and stations of a unit, for\n"
               "viewers (antt viewer add) who see their scope only. It reads the database\n"
               "(use a role in antt_reader: it never writes) and follows the tally stream.\n\n");
        opt_print(stdout, opts, nopts);
        return 0;
    }
    if (rc == OPT_ERR) {
        fprintf(stderr, "anttweb: %s (anttweb --help)\n", err);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    /* SIGINT and SIGTERM are taken by sigwait below, blocked in every thread
     * (the threads started from here inherit the mask): a handler with
     * pause() could run on the server's thread and never wake this one, or
     * come between the check and pause() — run.sh's stop once hung on it. */
    sigset_t stopset;
    sigemptyset(&stopset);
    sigaddset(&stopset, SIGINT);
    sigaddset(&stopset, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stopset, NULL);
    pool_t *pool = pool_new(dbconn_dsn(dsn), (int)pool_size);
    live_t *live = NULL;
    if (stream) {
        antt_sec_t sec = {.server_key = server_key, .key_file = key, .insecure = insecure};
        if (!(live = live_start(stream, &sec, err, sizeof err))) {
            fprintf(stderr, "anttweb: %s\n", err);
            pool_free(&pool);
            return 2;
        }
    }
    server_cfg_t cfg = {
        .listen = listen,
        .static_dir = dir,
        .tls_cert = cert,
        .tls_key = tls_key,
        .session_idle_s = (int)session_hours * 3600,
        .session_max_s =
            24 * 3600 > (int)session_hours * 3600 ? 24 * 3600 : (int)session_hours * 3600,
        .login_fails = (int)login_fails,
        .login_window_s = (int)login_window_min * 60,
        .silent_hours = (int)silent_hours,
        .max_connections = (int)max_conn,
        .per_address = (int)per_addr,
        .request_seconds = (int)request_s,
        /* Argon2id takes a core while it runs: by default half
         * of them, so that a flood of logins leaves the rest
         * to the viewers (measured on two cores) */
        .max_hashes = max_hashes                          ? (int)max_hashes
                      : sysconf(_SC_NPROCESSORS_ONLN) > 1 ? (int)(sysconf(_SC_NPROCESSORS_ONLN) / 2)
                                                          : 1,
        .trusted_proxy = proxy};
    server_t *srv = pool ? server_start(&cfg, pool, live, err, sizeof err) : NULL;
    if (!srv) {
        fprintf(stderr, "anttweb: %s\n", pool ? err : "out of memory");
        live_stop(&live);
        pool_free(&pool);
        return 2;
    }
    fprintf(stderr, "anttweb: serving %s://%s/ (static %s%s%s)\n", cert ? "https" : "http", listen,
            dir, stream ? ", stream " : "", stream ? stream : "");
    int sig = 0;
    sigwait(&stopset, &sig);
    fprintf(stderr, "anttweb: stopping\n");
    server_stop(&srv);
    live_stop(&live);
    pool_free(&pool);
    return 0;
}
