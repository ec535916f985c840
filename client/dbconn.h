/* dbconn.h — how every antt command that reads the database connects: the
 * --db option (a libpq conninfo or URI), else ANTT_DB, else libpq's own PG*
 * variables (PGHOST, PGPORT, PGDATABASE, ...), so that one exported setting
 * serves report, tipoffs, watch, node and subscriber alike. */
#ifndef ANTT_CLIENT_DBCONN_H
#define ANTT_CLIENT_DBCONN_H

#include "db/pg.h"

#include <stddef.h>

/* The conninfo a command uses: dsn when given, else $ANTT_DB, else "". */
const char *dbconn_dsn(const char *dsn);

/* A connection named `app` (application_name). NULL with err. */
db_t *dbconn_open(const char *dsn, const char *app, char *err, size_t errlen);

#endif
