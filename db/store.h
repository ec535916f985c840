/* store.h — a batch into PostgreSQL in one transaction; verdicts out.
 *
 *   pipeline 1: BEGIN; which of the batch's ids are stored already; the
 *               touched incidents and tip-offs SELECT ... FOR UPDATE (in key
 *               order, so concurrent daemons cannot deadlock on them)
 *   in C:       the ledger over the events in arrival order; tally deltas
 *               summed per key
 *   pipeline 2: the accepted events (with their original bytes), their ids,
 *               the new and changed case states, one row of the fold's
 *               input (the batch's tally deltas and stations: db/fold.h
 *               adds them to the figures later, one writer), the
 *               refusals; COMMIT
 *
 * Two round trips per batch, however many events it holds: every statement
 * is prepared once per connection and takes the batch's values as binary
 * arrays (unnest), so there is never a statement per row. Only after COMMIT
 * are the verdicts in the batch final and may be sent.
 *
 * No row that many batches update: batches of several stores wait for
 * each other only on a case they both touch. A store is one connection,
 * used by one thread at a time. Two daemons on one database, or one daemon
 * committing on several stores at once (store_connections): an id or a new
 * case stored concurrently by another makes an INSERT fail with a unique
 * violation; deadlocks and serialization failures likewise. The store then
 * rolls back and runs the batch again from the start, reading the other's
 * committed work. */
#ifndef ANTT_DB_STORE_H
#define ANTT_DB_STORE_H

#include "rules/ledger.h"
#include "db/pg.h"
#include "db/tallymap.h"
#include "proto/ev.h"

#include <stdint.h>

typedef struct store store_t;

/* Where an event or a refusal came from, as antt.rejects records it;
 * PATH_HANDSHAKE: a connection refused before any message. */
typedef enum { PATH_ACKED = 0, PATH_PUBLISH = 1, PATH_HANDSHAKE = 2 } path_t;

/* One event of the work: decoded (its original bytes at ev.raw), with the
 * slot its verdict goes in. */
typedef struct {
    ev_t ev;
    verdict_t v;    /* fixed: given; otherwise written by store_commit */
    uint8_t fixed;  /* refused before the store (decoder, registry): only recorded */
    uint8_t path;   /* path_t */
    int32_t dup_of; /* written by the store: an earlier event of the work with this id, or -1 */
    int32_t case_version; /* written by the store, accepted: the case's version this event made */
} store_ev_t;

/* A message refused whole before it was decoded (1xx, 402, a refused
 * handshake): recorded in antt.rejects, nothing else. */
typedef struct {
    uint32_t at; /* recorded before event `at` of the work, so rows keep arrival order */
    uint8_t path;
    int code;
    const char *node, *msg; /* node: "" when unknown */
    const uint8_t *raw;     /* the first raw_len bytes of the message */
    uint32_t raw_len, raw_total;
} store_refusal_t;

/* What one transaction stores: the caller's events (verdicts written in
 * place) and the refusals to record. Nothing here is a socket or a reply:
 * the daemon translates its batches into this view and back. */
typedef struct {
    store_ev_t *ev;
    uint32_t nev;
    const store_refusal_t *refusals; /* ordered by `at` */
    uint32_t nrefusals;
} store_work_t;

typedef enum {
    STORE_OK = 0,
    STORE_DOWN = -1,   /* the connection is gone: keep the batch, reconnect, try again */
    STORE_FAILED = -2, /* the database refused the batch for another reason, repeatedly */
    STORE_UNSAFE = -3, /* not stored: synchronous replication is required and is off */
} store_rc_t;

/* What a commit must mean (setting synchronous_acks): on one server is
 * enough (OFF); say so when it is one (WARN: store_synchronous tells);
 * only on two (REQUIRE: a batch is not committed, STORE_UNSAFE, while the
 * database does not replicate synchronously — a pg_auto_failover primary
 * whose secondary is gone — and waits, like a database that is down). */
typedef enum { STORE_SYNC_OFF = 0, STORE_SYNC_WARN = 1, STORE_SYNC_REQUIRE = 2 } store_sync_t;

typedef struct {
    uint64_t batches, events, accepted, duplicates, rejected, deferred, retries;
    uint64_t isolated; /* events deferred alone: the database refused them, not their batch */
    uint64_t commit_us_total;
    /* time in: begin+stage, read (dups, locks), ledger, write (COPY), apply+COMMIT */
    uint64_t phase_us[5];
    /* committed batches by duration: <= 1, 2, 5, 10, 20, 50, 100 ms, more */
    uint64_t commit_hist[8];
} store_stats_t;

/* A store for the conninfo (copied; empty: PG* variables). Not connected.
 * lcfg (copied) is the ledger's configuration, its is_crime callback
 * included: the caller's registry answers it. */
store_t *store_new(const char *conninfo, const ledger_cfg_t *lcfg, uint32_t reject_raw_max);
void store_free(store_t **s);

/* Apply pending migrations on each connect (migrate_on_start). */
void store_set_migrate(store_t *s, int on);

/* LISTEN for the registry's notices on each connect (default on). anttd
 * commits on several stores (daemon/committer.h) and listens on one: the
 * others would keep notices nobody reads. */
void store_set_listen(store_t *s, int on);

/* What a commit must mean (default STORE_SYNC_WARN). */
void store_set_sync(store_t *s, store_sync_t mode);

/* 1 when the database replicated synchronously at the last look (each
 * connect and each batch), 0 when not, -1 not known yet. */
int store_synchronous(const store_t *s);

/* The server of the connection ("host:port"), "" when down: a change across
 * a reconnection is a failover. */
const char *store_server(const store_t *s);

/* Connect, check the schema version, prepare the session. 0; -1 with err
 * when the database cannot be reached (try again later); -2 when its schema
 * is not the one this binary needs (retrying will not help). The password
 * never appears in err. */
int store_connect(store_t *s, char *err, size_t errlen);
int store_connected(const store_t *s);
void store_disconnect(store_t *s);

/* A round trip to see that the server is still there (an idle connection
 * does not notice a server that went away). 0, or -1 after disconnecting. */
/* The connection's socket, for the caller's poll (-1 when not connected). */
int store_socket(const store_t *s);

/* How many "who may connect changed" notices arrived since the last call
 * (LISTEN antt_registry; they queue while a batch commits). */
int store_registry_changed(store_t *s);

int store_ping(store_t *s);

/* The connection, for the reads of db/query.h (registry, snapshots,
 * figures) between batches. Borrowed; NULL when down. */
db_t *store_db(store_t *s);

/* Store the work w in one transaction. now_us is the clock for deferring
 * events about unknown cases. On STORE_OK every event of w has its final
 * verdict; on error the events keep only their fixed verdicts and w may be
 * committed again. err describes the failure. A server that went away, is
 * shutting down or became read-only (a failover) is STORE_DOWN: reconnect
 * (a multi-host conninfo with target_session_attrs=read-write finds the new
 * primary) and commit again.
 *
 * One station's values must not fail another's events: when the database
 * refuses the work for its data (not a conflict, not the server), the store
 * commits its halves apart down to the event that fails alone, defers that
 * one with 500 (recorded in antt.rejects), stores the rest and answers
 * STORE_OK, with err saying what was deferred (err is empty otherwise). Only
 * data faults (SQLSTATE classes 22 and 23 but 23505, P0001) are searched, within a
 * budget of transactions: others (disk full, permissions) are STORE_FAILED. */
store_rc_t store_commit(store_t *s, store_work_t *w, int64_t now_us, char *err, size_t errlen);

const store_stats_t *store_stats(const store_t *s);

/* Upper bounds (ms) of commit_hist's buckets but the last. */
extern const int STORE_COMMIT_BUCKETS_MS[7];

/* Parse a row of SQL_LOCK_INCIDENTS / SQL_LOCK_TIPOFFS (or the verify
 * queries, same columns), as text values, into a state. */
void store_row_incident(const char *const *v, inc_state_t *st);
void store_row_tipoff(const char *const *v, tip_state_t *st);
void store_row_wanted(const char *const *v, wanted_state_t *st);

#endif
