/* harness.h — the integration tests' tools: a database per test (copied from
 * a template the suite prepares with anttd itself), the real anttd binary
 * started and stopped by PID, a DEALER client speaking PROTOCOL.md over
 * loopback TCP, and a sender that resends what was not acked, as a node does.
 * Helpers fail the running Criterion test on any setup error. */
#ifndef ANTT_TESTS_HARNESS_H
#define ANTT_TESTS_HARNESS_H

#include "proto/ack.h"
#include "proto/ev.h"
#include "net/key.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IT_NOW_US 1686798000000000LL /* 2023-06-15T03:00:00Z, events' "now" */
#define IT_DAY_US (86400LL * 1000000)

/* ---- PostgreSQL ---- */
typedef struct {
    char name[64];
    char dsn[512];
} it_db_t;

/* A fresh database from the template (schema, cluster-II units, crime
 * groups, nodes ls-180-06040 -> 06040, ls-180 -> 180, ls-181 -> 181) on the
 * suite's server (ANTT_TEST_DSN), or on the server at dsn_base when given. */
void it_db_create(it_db_t *db, const char *dsn_base);
void it_db_drop(it_db_t *db, const char *dsn_base);

PGconn *it_pg(const it_db_t *db);
/* The single integer a query returns (fails the test on error). */
long long it_scalar(PGconn *c, const char *sql);
/* What it_scalar and it_tally do before a question about the figures the
 * fold keeps (the tallies and their sums, the units' versions, what is
 * computed from them): by default, wait (at most 20 s) until the daemon's
 * fold has added every batch committed so far (antt.fold_wait); a test
 * without a daemon folds itself instead (or sets NULL). */
extern void (*it_before_figures)(PGconn *c);
void it_fold_wait(PGconn *c);
/* Sum of a tally metric (optionally restricted by a WHERE fragment). */
long long it_tally(PGconn *c, const char *metric, const char *where);

/* A private PostgreSQL server (for tests that stop and start it). */
typedef struct {
    char dir[256];
    int port;
    char dsn[256]; /* of database antt_test */
} it_server_t;
void it_server_init(it_server_t *s);  /* initdb + start + createdb + template */
void it_server_stop(it_server_t *s);  /* fast shutdown, by pg_ctl */
void it_server_start(it_server_t *s); /* again on the same port */
void it_server_destroy(it_server_t *s);

/* A pg_auto_failover formation (deploy/ha/cluster.sh): monitor, primary,
 * synchronous secondary, under a fresh directory in /tmp. it_formation_start
 * fills dir and dsn (the multi-host conninfo with target_session_attrs) and
 * loads the schema, the cluster-II units, the crime groups and node
 * ls-180-06040 -> 06040. it_formation runs one of cluster.sh's verbs
 * (kill-primary, rejoin, stop, ...): its exit status. it_formation_destroy
 * stops everything and removes dir (nothing when dir is empty). */
typedef struct {
    char dir[256];
    char dsn[512];
} it_formation_t;
void it_formation_start(it_formation_t *f);
int it_formation(const it_formation_t *f, const char *verb);
/* Until the nodes' settled states are these (cluster.sh wait): 0 or not. */
int it_formation_wait(const it_formation_t *f, const char *states);
void it_formation_destroy(it_formation_t *f);

/* ---- anttd ---- */
/* Sleep ms milliseconds. */
void it_sleep_ms(int ms);

/* A TCP port free on 127.0.0.1 just now. */
int it_free_port(void);

/* GET http://127.0.0.1:port/path; the status code, the body in out. */
int it_http_get(int port, const char *path, char *out, size_t cap);

/* A slow client: a connection to port from address src (any of 127/8) that
 * has sent head (a request line and a header, not the end of the headers)
 * and then nothing. Its descriptor, or -1 when it cannot connect. */
int it_slow_open(const char *src, int port, const char *head);

/* 1 when the server has closed fd (EOF or reset), without waiting. */
int it_closed_by_server(int fd);

/* How many of the n descriptors the server has closed, waiting up to ms
 * for all of them (a loaded machine takes its time to refuse). */
int it_closed_within(const int *fds, int n, int ms);

/* Any request: cookie ("NAME=VALUE") and an urlencoded form body are
 * optional; set_cookie (at least 1024 bytes) receives the answer's
 * Set-Cookie as NAME=VALUE. The status, the body in out; -1 no answer. */
int it_http(int port, const char *method, const char *path, const char *cookie, const char *form,
            char *out, size_t cap, char *set_cookie, size_t sccap);
/* The status line and headers of the last answer it_http read. */
const char *it_http_headers(void);

typedef struct {
    pid_t pid;
    int port, pub_port;
    char log[256];
} it_daemon_t;

/* The anttd binary it_daemon_start, it_daemon_restart and it_anttd run: the
 * build's, unless a test points it at another (the rolling upgrade test's next builds). */
extern const char *it_anttd_path;

/* Start anttd on free loopback ports with the database and extra flags
 * (NULL-terminated, may be NULL); wait until it listens. */
void it_daemon_start(it_daemon_t *d, const char *dsn, const char *const *extra);
/* Restart on the same ports. */
void it_daemon_restart(it_daemon_t *d, const char *dsn, const char *const *extra);
/* Send sig and wait for the exit; returns the exit status (or 128+signal). */
int it_daemon_stop(it_daemon_t *d, int sig);
/* Kill it if still running, and remove its log (kept when ANTT_KEEP_LOGS is set). */
void it_daemon_forget(it_daemon_t *d);
/* 1 while the process runs. */
int it_daemon_alive(const it_daemon_t *d);
/* 1 when the daemon's log contains s. */
int it_log_has(const it_daemon_t *d, const char *s);

/* In a child just forked from `parent`: die (SIGTERM) when the test process
 * does. A test killed for its time runs no fini, and a server left running
 * would hold ctest's output pipe open (and ctest would wait for it). */
void it_child_of(pid_t parent);

/* Run anttd once with args (a command); returns its exit status, and its
 * stdout in out (may be NULL). */
int it_anttd(const char *dsn, const char *const *args, char *out, size_t outlen);

/* ---- client ---- */
typedef struct {
    void *ctx, *sock;
    uint32_t next_corr;
    char *reply; /* the last reply's payload (owned) */
    size_t reply_len;
} it_client_t;

void it_client_open(it_client_t *c, int port);
/* The same, as a CURVE client pinning server_pub, with keypair k. */
void it_client_open_curve(it_client_t *c, int port, const char *server_pub, const key_pair_t *k);

/* A suite's usual fixture: a database of its own, a daemon on it (no extra
 * arguments) and a client connected; and its end (the daemon stopped, if it
 * still runs, and the database dropped). */
void it_up(it_db_t *db, it_daemon_t *d, it_client_t *cl);
void it_down(it_db_t *db, it_daemon_t *d, it_client_t *cl);
void it_client_close(it_client_t *c);

/* Send raw payload bytes (with a correlation frame) and wait for the reply.
 * Returns the reply's message-level code (0 = read) and fills acks (at most
 * cap; strings borrow the client's reply buffer) and *n; -1 on timeout. */
int it_send_raw(it_client_t *c, const void *payload, size_t len, ack_t *acks, size_t cap, size_t *n,
                int timeout_ms);

/* Encode events (one map when n == 1, else a batch) and it_send_raw them. */
int it_submit(it_client_t *c, const ev_t *evs, size_t n, ack_t *acks, int timeout_ms);

/* One event in a message of its own, its answer (the test fails when none
 * comes); IT_ACCEPTED fails the test unless it was accepted. */
ack_t it_one(it_client_t *c, const ev_t *ev);
#define IT_ACCEPTED(c, ev)                                                                         \
    do {                                                                                           \
        ack_t a_ = it_one((c), (ev));                                                              \
        cr_assert_eq(a_.status, ACK_ACCEPTED, "status %d code %d: %.*s", a_.status, a_.code,       \
                     (int)a_.msg.n, a_.msg.p ? a_.msg.p : "");                                     \
    } while (0)

/* Publish-only: one PUSH message to the daemon's PULL port. */
void it_publish(int pub_port, const void *payload, size_t len);

/* ---- events ---- */
/* Strings that live until it_strings_free (event fields borrow them). */
const char *it_str(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void it_strings_free(void);

/* A fresh random UUIDv7 for IT_NOW-ish times. */
void it_new_id(uint8_t id[16]);

/* Base events of each type, node ls-180-06040, unit 06040, valid at IT_NOW. */
void it_incident(ev_t *ev, const char *ref, const char *group, ev_severity_t sev,
                 int64_t occurred_us);
void it_cleared(ev_t *ev, const char *ref, int64_t cleared_us, uint32_t suspects);
void it_tipoff(ev_t *ev, const char *ref, int64_t received_us);
void it_resolved(ev_t *ev, const char *ref, ev_outcome_t outcome, int64_t at_us);
/* A wanted person found by 06040 (its node), on the notice (issuer, ref). */
void it_wanted_found(ev_t *ev, const char *issuer, const char *ref, ev_how_t how,
                     ev_category_t category, int64_t found_us);
void it_wanted_withdrawn(ev_t *ev, const char *issuer, const char *ref, int64_t at_us);

/* ---- a node's sender: keep messages until acked, resend after a timeout ---- */
typedef struct it_sender it_sender_t;

/* Messages of `per_msg` events from evs[0..n) (borrowed). */
it_sender_t *it_sender_new(int port, const ev_t *evs, size_t n, size_t per_msg);
void it_sender_free(it_sender_t **s);
/* Run up to `ms` milliseconds with at most `window` messages in flight,
 * resending a message unanswered for resend_ms. Stops early once every
 * event is answered for good, or once `stop_after_acked` events (if > 0)
 * are. Returns the number of events answered for good so far. */
size_t it_sender_run(it_sender_t *s, int ms, int window, int resend_ms, size_t stop_after_acked);
/* Counts of final statuses seen (first answer per event). */
void it_sender_counts(const it_sender_t *s, size_t *accepted, size_t *duplicate, size_t *rejected,
                      size_t *deferred);
/* The sender's station also lists the daemon on port (its DEALER takes
 * turns between them, as libantt's does with several endpoints). */
void it_sender_also(it_sender_t *s, int port);

/* Forget the connection (after the daemon restarted): reopen the socket. */
void it_sender_reconnect(it_sender_t *s);

#endif
