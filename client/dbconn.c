/* dbconn.c — see dbconn.h. */
#include "client/dbconn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *dbconn_dsn(const char *dsn)
{
    if (dsn && *dsn) return dsn;
    const char *env = getenv("ANTT_DB");
    return env ? env : "";
}

db_t *dbconn_open(const char *dsn, const char *app, char *err, size_t errlen)
{
    char e[480];
    db_t *c = db_connect(dbconn_dsn(dsn), app, e, sizeof e);
    if (!c) snprintf(err, errlen, "cannot connect to the database: %s", e);
    return c;
}
