/* dbconn.c — see dbconn.h. */
#include "cmd/dbconn.h"

#include "lib/fields.h"
#include "db/fold.h"
#include "db/query.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    if (!c) {
        snprintf(err, errlen, "cannot connect to the database: %s", e);
        return NULL;
    }
    /* Read your own writes: the batches committed before this command are
     * in its figures, or it says how old they are. */
    char as_of[64];
    double behind;
    if (fold_fresh(c, DBCONN_FRESH_MS, as_of, sizeof as_of, &behind, e, sizeof e) == 0)
        fprintf(stderr, "%s: figures as of %s, %.0f s behind (the fold has not caught up)\n", app,
                as_of, behind);
    return c;
}

int dbconn_at_arg(void *ctx, const char *name, const char *v, char *err, size_t errlen)
{
    int64_t us;
    if (fields_time(v, &us) < 0) {
        snprintf(err, errlen, "--%s: '%s' is not a time (YYYY-MM-DD[THH:MM[:SS]][+07:00])", name,
                 v);
        return -1;
    }
    *(const char **)ctx = v;
    return 0;
}

int dbconn_as_of(db_t *c, const char *at, char *err, size_t errlen)
{
    if (!at) return 0;
    int64_t us;
    if (fields_time(at, &us) < 0) {
        snprintf(err, errlen, "'%s' is not a time", at);
        return -1;
    }
    /* to the server as UTC, microseconds and all (a date alone is midnight
     * in Hanoi, as fields_time reads it, not in the session's zone) */
    const time_t sec = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char text[64];
    snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (long long)(us - (int64_t)sec * 1000000));
    return query_as_of(c, text, err, errlen);
}
