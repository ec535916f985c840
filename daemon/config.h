/* config.h — anttd's settings: one struct, filled in layers
 *   built-in defaults <- file (--config, key = value) <- environment (ANTT_KEY)
 *   <- command-line flags (--key=value)
 * and validated once, with an error naming the key and the value. The list of
 * keys, their defaults and limits is the table in config.c, printed by
 * `anttd --help` and shown in deploy/anttd.conf.example. */
#ifndef ANTT_DAEMON_CONFIG_H
#define ANTT_DAEMON_CONFIG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char db[1024];            /* libpq conninfo; empty: the PG* environment variables */
    char listen[256];         /* ROUTER endpoint, acked submissions */
    char publish_listen[256]; /* PULL endpoint, publish-only; empty: off */
    int batch_max_events;     /* a transaction holds at most this many events ... */
    int batch_max_ms;         /* ... and waits at most this long for more */
    int queue_max_events;     /* events held in memory (database slow or down) */
    int store_connections;    /* batches committed at once; 0: from the cores */
    int rcvhwm, sndhwm;       /* ZeroMQ high-water marks, messages per peer */
    int heartbeat_ivl_ms, heartbeat_timeout_ms;
    int max_sockets;            /* ZMQ_MAX_SOCKETS, and the descriptor limit we ask for */
    int reconnect_max_ms;       /* database reconnect back-off ceiling */
    int orphan_max_age_days;    /* events for unknown cases are deferred while younger */
    int node_silent_hours;      /* not connected, no message for this long: silent */
    int overdue_record_seconds; /* antt.overdue_daily is written this often */
    int utc_offset_min;         /* statistics day: Asia/Ho_Chi_Minh is +420 */
    int tipoff_limit_days, tipoff_receipt_day_counts, tipoff_complex_months,
        tipoff_procuracy_months;
    int reject_raw_max;   /* bytes of a refused message kept in antt.rejects */
    int migrate_on_start; /* 1: apply pending migrations at start */
    char http_listen[64]; /* HOST:PORT for /metrics and /healthz; empty: off */
    int http_max_connections, http_per_ip, http_timeout_s; /* the HTTP side's bounds */
    char tally_publish[256];  /* PUB endpoint of the tally stream; empty: off */
    char tally_snapshot[256]; /* ROUTER endpoint answering snapshot requests; empty: off */
    int snapshot_queue, snapshot_per_peer, snapshot_peer_hwm; /* daemon/snap.h's budgets */
    int fold_interval_ms;                                     /* daemon/folder.h */
    int federation_check_s;                                   /* daemon/federator.h; 0: off */
    int federation_auto_resync; /* 1: resync a province with no slot by itself */
    int snapshot_bytes_max_mb;
    int subscriber_queue; /* subscriptions a stream connection may have waiting */
    char log_level[16];
    char synchronous_acks[16];   /* off, warn, require (db/store.h store_sync_t) */
    char curve_key_file[1024];   /* the server's CURVE keypair (antt keygen); mode 0600 */
    int insecure;                /* 1: no CURVE, no authentication (development only) */
    int node_rate;               /* events a second per node, on average; 0: no limit */
    int node_burst;              /* events a node may send at once */
    int refusal_records_per_min; /* refused handshakes recorded (row + log line), at most */
} cfg_t;

/* Fill c with the built-in defaults. */
void cfg_defaults(cfg_t *c);

/* Apply key=value (one setting). 0, or -1 with err filled ("batch_max_ms:
 * '0' is below 1"). */
int cfg_set(cfg_t *c, const char *key, const char *value, char *err, size_t errlen);

/* Read a file of `key = value` lines: blank lines, # comment lines, and a
 * trailing `# comment` after a value (outside double quotes). 0 or -1. */
int cfg_load_file(cfg_t *c, const char *path, char *err, size_t errlen);

/* Apply every ANTT_<KEY> environment variable that names a key. 0 or -1. */
int cfg_load_env(cfg_t *c, char *err, size_t errlen);

/* Write every setting, one per line, secrets masked, to buf. */
void cfg_describe(const cfg_t *c, char *buf, size_t len);

/* The conninfo with any password replaced by "****" (for logs). */
void cfg_mask_conninfo(const char *conninfo, char *out, size_t len);

/* The keys whose value differs between running and wanted but which a
 * running daemon cannot change (endpoints, database, sizes: all but
 * batch_max_ms and log_level), comma-separated into out. Their count. */
int cfg_restart_needed(const cfg_t *running, const cfg_t *wanted, char *out, size_t len);

/* The settings' names, for the command line: i in [0, cfg_key_count()). */
size_t cfg_key_count(void);
const char *cfg_key_name(size_t i, int *is_bool);

/* What the table says of one key, as anttd.conf(5) states it (its test
 * compares the page with this): kind is "string", "integer", "boolean" or
 * "one of A, B, C"; min and max bound an integer; def is the default as
 * the table writes it; reloadable is 1 when SIGHUP applies a new value. */
typedef struct {
    const char *key, *kind, *def;
    long min, max;
    int reloadable;
} cfg_key_info_t;

/* Key i of the table, i in [0, cfg_key_count()). 0, or -1 past the end. */
int cfg_key_info(size_t i, cfg_key_info_t *out);

/* One line per key: name, default, meaning (for --help). */
void cfg_usage(char *buf, size_t len);

/* store_connections as it applies: the setting, or (0) the online cores,
 * 1 to 4 (more connections than cores only wait on each other). */
int cfg_store_connections(const cfg_t *c);

/* synchronous_acks as a number: off 0, warn 1, require 2; -1 not one of them. */
int cfg_sync_parse(const char *v);

#endif
