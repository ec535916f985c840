/* dbconn.h — how every antt command that reads the database connects: the
 * --db option (a libpq conninfo or URI), else ANTT_DB, else libpq's own PG*
 * variables (PGHOST, PGPORT, PGDATABASE, ...), so that one exported setting
 * serves report, tipoffs, watch, node and subscriber alike. */
#ifndef ANTT_CMD_DBCONN_H
#define ANTT_CMD_DBCONN_H

#include "db/pg.h"

#include <stddef.h>

/* The conninfo a command uses: dsn when given, else $ANTT_DB, else "". */
const char *dbconn_dsn(const char *dsn);

/* How long a command waits for the batches committed before it to be in
 * the figures (db/fold.h) before it answers with what there is. */
#define DBCONN_FRESH_MS 5000

/* A connection named `app` (application_name), once the batches committed
 * before it are folded (at most DBCONN_FRESH_MS; past that it says, on
 * stderr, how old the figures are). NULL with err. */
db_t *dbconn_open(const char *dsn, const char *app, char *err, size_t errlen);

/* --at TIME, for the commands whose figures include "overdue now" (antt
 * tipoffs, antt report): those figures as of that instant instead. */
#define OPT_AT(dest)                                                                               \
    {                                                                                              \
        "at", 0, OPT_FN, (dest), 0, 0, "TIME",                                                     \
            "overdue as of this instant (YYYY-MM-DD[THH:MM[:SS]][+07:00]; default now)",           \
            dbconn_at_arg                                                                          \
    }
int dbconn_at_arg(void *ctx, const char *name, const char *v, char *err, size_t errlen);

/* Set the connection's "now" for overdue figures (at: as --at took it;
 * NULL: the clock). 0, or -1 with err. */
int dbconn_as_of(db_t *c, const char *at, char *err, size_t errlen);

#endif
