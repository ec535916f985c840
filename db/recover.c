/* recover.c — another database's event log, streamed (db/recover.h). */
#include "db/recover.h"

#include <libpq-fe.h>
#include <stdio.h>

int recover_read(db_t *src, recover_fn each, void *ctx, char *err, size_t errlen)
{
    PGconn *c = src;
    /* One snapshot, and rows one at a time (single-row mode): a province's
     * whole log goes through without being held. */
    if (db_exec(src, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL, NULL, err,
                errlen) < 0)
        return -1;
    if (!PQsendQueryParams(c, "SELECT raw FROM antt.events ORDER BY n", 0, NULL, NULL, NULL, NULL,
                           1) ||
        !PQsetSingleRowMode(c)) {
        snprintf(err, errlen, "%s", PQerrorMessage(c));
        return -1;
    }
    int rc = 0, failed = 0;
    PGresult *res;
    while ((res = PQgetResult(c))) {
        const ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_SINGLE_TUPLE && !rc) {
            rc = each(ctx, (const uint8_t *)PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
        } else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && !failed) {
            snprintf(err, errlen, "%s", PQresultErrorMessage(res));
            failed = 1;
        }
        PQclear(res);
    }
    char e[256];
    db_exec(src, "ROLLBACK", 0, NULL, NULL, NULL, e, sizeof e);
    return failed ? -1 : rc;
}
