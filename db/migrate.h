/* migrate.h — the schema runner: numbered migrations, then repeatable files,
 * then post-steps, all carried inside the binary.
 *
 * db/migrations/NNN_name.sql (tables and their data) and db/schema's
 * repeatable files (one function or view each, in db/schema/ORDER) are
 * embedded at build time (cmake/embed_migrations.cmake); db/schema/README.md
 * gives the rules. antt.schema_migrations records the versions applied, each
 * in its own transaction; antt.schema_repeatables the checksum each
 * repeatable was last applied with: one changed (or new) is applied again,
 * all in one transaction, then the post-steps that a migration or a
 * repeatable asked for (antt.schema_post_steps keeps the requests until they
 * ran). Every transaction holds one advisory lock, so two daemons starting
 * together do not race. A database newer than the binary is left alone, its
 * repeatables included, and refused (store_connect). */
#ifndef ANTT_DB_MIGRATE_H
#define ANTT_DB_MIGRATE_H

#include "db/pg.h"

#include <stddef.h>

typedef struct {
    int version;
    const char *name;
    const char *sql;
    size_t len;
    const char *post; /* the post-steps it asks for, space-separated ("": none) */
    int oldest;       /* the oldest anttd, by the latest version it carries, that may run
                         once this is applied: its own version (contract, the default), 0
                         (expand: any anttd that reads this), or another (db/schema/README.md) */
} migration_t;

typedef struct {
    const char *name; /* its path under db/schema: "functions/antt.heir.sql" */
    const char *sql;
    size_t len;
    const char *checksum; /* SHA-256 of the file, hex */
    const char *post;
} repeatable_t;

extern const migration_t MIGRATIONS[];
extern const int MIGRATION_COUNT;
extern const repeatable_t REPEATABLES[];
extern const int REPEATABLE_COUNT;

/* What the runner cannot do alone. deadlines: recompute the pending
 * tip-offs' deadlines when the rules they were computed under differ
 * (antt.deadline_rules; migration 014 empties it) — the ledger's work, with
 * the caller's settings and registry; called after every run that left the
 * schema current, since the rules may change outside migrations too. NULL:
 * not done here (a starting daemon does it before it takes events). */
typedef struct {
    int (*deadlines)(db_t *c, const void *ctx, char *err, size_t errlen);
    const void *ctx;
} migrate_hooks_t;

/* What a run did. */
typedef struct {
    int versions;    /* numbered migrations applied */
    int repeatables; /* repeatable files (re)applied */
    int post_steps;  /* post-steps run */
} migrate_counts_t;

/* The highest version this binary knows. */
int migrate_latest(void);

/* The highest version applied (0: none). 0, or -1 with err. */
int migrate_current(db_t *c, int *version, char *err, size_t errlen);

/* For a database newer than this binary (current > migrate_latest()): the
 * oldest anttd its migrations beyond this binary's allow (*needs, the
 * latest version it must carry). This binary may run against it when
 * *needs <= migrate_latest(): every such migration was an expand, or a
 * contract of what this binary no longer uses. 0, or -1 with err. */
int migrate_needs(db_t *c, int *needs, char *err, size_t errlen);

/* Apply every pending migration, every changed repeatable and the post-steps
 * asked for, then hooks (may be NULL). 0, or -1 with err naming the file or
 * step (a failing migration rolled back, earlier ones kept; the repeatables
 * and post-steps roll back together). */
int migrate_apply(db_t *c, const migrate_hooks_t *hooks, migrate_counts_t *n, char *err,
                  size_t errlen);

#endif
