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

PGconn *dbconn_open(const char *dsn, const char *app, char *err, size_t errlen)
{
    const char *conninfo = dbconn_dsn(dsn);
    /* dbname is expanded (expand_dbname=1): a conninfo or URI there is read
     * whole, and application_name before it stays unless the conninfo sets it. */
    const char *keys[] = {"application_name", "dbname", NULL};
    const char *vals[] = {app, conninfo, NULL};
    if (!*conninfo) keys[1] = NULL;
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(c) != CONNECTION_OK) {
        snprintf(err, errlen, "cannot connect to the database: %s", PQerrorMessage(c));
        size_t n = strlen(err);
        while (n && err[n - 1] == '\n')
            err[--n] = '\0';
        PQfinish(c);
        return NULL;
    }
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    return c;
}
