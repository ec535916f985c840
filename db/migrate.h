/* migrate.h — the schema as numbered migrations, carried inside the binary.
 *
 * db/migrations/NNN_name.sql are embedded at build time (cmake/
 * embed_migrations.cmake). antt.schema_migrations records what was applied;
 * each migration runs in its own transaction under an advisory lock, so two
 * daemons starting together do not race. A database newer than the binary
 * is refused (store_connect). */
#ifndef ANTT_DB_MIGRATE_H
#define ANTT_DB_MIGRATE_H

#include "db/pg.h"

#include <stddef.h>

typedef struct {
    int version;
    const char *name;
    const char *sql;
    size_t len;
} migration_t;

extern const migration_t MIGRATIONS[];
extern const int MIGRATION_COUNT;

/* The highest version this binary knows. */
int migrate_latest(void);

/* The highest version applied (0: none). 0, or -1 with err. */
int migrate_current(db_t *c, int *version, char *err, size_t errlen);

/* Apply every pending migration; *applied gets how many. 0, or -1 with err
 * (the failing migration rolled back, earlier ones kept). */
int migrate_apply(db_t *c, int *applied, char *err, size_t errlen);

#endif
