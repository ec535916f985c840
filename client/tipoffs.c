/* tipoffs.c — `antt tipoffs`: tip-offs past or near their legal deadline,
 * and processing times per unit (db/migrations/003_tipoffs.sql).
 *
 *   antt tipoffs --unit CODE (--overdue | --due-within 3d) [--db CONNINFO]
 *   antt tipoffs --unit CODE --times --from 2023-01-01 --to 2024-01-01 [--db CONNINFO]
 */
#include "client/tipoffs.h"

#include "client/dbconn.h"
#include "client/fields.h"
#include "client/opt.h"
#include "client/term.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f, const opt_t *opts, size_t n)
{
    fprintf(f, "usage: antt tipoffs --unit CODE (--overdue | --due-within Nd) [--db CONNINFO]\n"
               "       antt tipoffs --unit CODE --times --from DATE --to DATE [--db CONNINFO]\n"
               "Pending tip-offs past their deadline, or due within N days (days left or late,\n"
               "counted in Hanoi calendar days); or processing times (receipt to decision) per\n"
               "child unit, for decisions in [from, to).\n");
    opt_print(f, opts, n);
    fprintf(f, "exit codes: 0 done; 2 bad usage or an unknown unit; 5 database error.\n");
}

/* "3", "3d": days, 1..366. */
static int days_arg(void *ctx, const char *name, const char *v, char *err, size_t errlen)
{
    char num[16];
    size_t n = strlen(v);
    if (n && v[n - 1] == 'd') n--;
    snprintf(num, sizeof num, "%.*s", (int)(n < sizeof num ? n : sizeof num - 1), v);
    if (n >= sizeof num || opt_long(num, 1, 366, ctx) < 0) {
        snprintf(err, errlen, "--%s: '%s' is not N or Nd (days, 1..366)", name, v);
        return -1;
    }
    return 0;
}

/* A calendar date, checked (no 2023-02-31). */
static int date_arg(void *ctx, const char *name, const char *v, char *err, size_t errlen)
{
    int64_t us;
    if (strlen(v) != 10 || fields_time(v, &us) < 0) {
        snprintf(err, errlen, "--%s: '%s' is not a date (YYYY-MM-DD)", name, v);
        return -1;
    }
    *(const char **)ctx = v;
    return 0;
}

int tipoffs_main(int argc, char **argv)
{
    const char *unit = NULL, *dsn = NULL, *from = NULL, *to = NULL;
    int overdue = 0, times = 0;
    long within = 0;
    const opt_t opts[] = {
        {"unit", 'u', OPT_STR, &unit, 0, 0, "CODE", "the unit (its subtree)", NULL},
        {"overdue", 'o', OPT_FLAG, &overdue, 0, 0, NULL, "pending tip-offs past their deadline",
         NULL},
        {"due-within", 0, OPT_FN, &within, 0, 0, "Nd", "pending tip-offs due within N days",
         days_arg},
        {"times", 0, OPT_FLAG, &times, 0, 0, NULL, "processing-time percentiles per child unit",
         NULL},
        {"from", 0, OPT_FN, &from, 0, 0, "DATE", "--times: decisions from this day", date_arg},
        {"to", 0, OPT_FN, &to, 0, 0, "DATE", "--times: decisions before this day", date_arg},
        OPT_DB(&dsn),
    };
    const size_t nopts = sizeof opts / sizeof opts[0];
    char err[512];
    int rc = opt_parse(opts, nopts, argc, argv, 0, NULL, err, sizeof err);
    if (rc == OPT_HELP) {
        usage(stdout, opts, nopts);
        return ANTT_EXIT_OK;
    }
    if (rc == OPT_OK && (!unit || overdue + !!within + times != 1 || (times && (!from || !to)))) {
        snprintf(err, sizeof err,
                 "--unit and one of --overdue, --due-within N, --times --from --to");
        rc = OPT_ERR;
    }
    if (rc == OPT_ERR) {
        fprintf(stderr, "antt tipoffs: %s (antt tipoffs --help)\n", err);
        return ANTT_EXIT_USAGE;
    }
    char interval[32] = "";
    if (within) snprintf(interval, sizeof interval, "%ld days", within);
    PGconn *c = dbconn_open(dsn, "antt-tipoffs", err, sizeof err);
    if (!c) {
        fprintf(stderr, "antt tipoffs: %s\n", err);
        return ANTT_EXIT_DB;
    }
    const char *pu[1] = {unit};
    PGresult *r =
        PQexecParams(c, "SELECT 1 FROM antt.units WHERE code = $1", 1, NULL, pu, NULL, NULL, 0);
    const int known = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    PQclear(r);
    if (!known) {
        fprintf(stderr, "antt tipoffs: unit '%s' is not in antt.units\n", unit);
        PQfinish(c);
        return ANTT_EXIT_USAGE;
    }
    if (times) {
        const char *p[3] = {unit, from, to};
        r = PQexecParams(c, "SELECT * FROM antt.tipoff_processing($1, $2::date, $3::date)", 3, NULL,
                         p, NULL, NULL, 0);
    } else {
        const char *p[2] = {unit, within ? interval : NULL};
        r = PQexecParams(
            c,
            "SELECT unit, ref, kind, to_char(received_at AT TIME ZONE 'Asia/Ho_Chi_Minh',"
            " 'YYYY-MM-DD HH24:MI'), to_char(deadline AT TIME ZONE 'Asia/Ho_Chi_Minh',"
            " 'YYYY-MM-DD HH24:MI'), extended, days_left"
            " FROM antt.tipoffs_open($1, $2::interval)",
            2, NULL, p, NULL, NULL, 0);
    }
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "antt tipoffs: %s", PQresultErrorMessage(r));
        PQclear(r);
        PQfinish(c);
        return ANTT_EXIT_DB;
    }
    int n = PQntuples(r);
    char name[4 * 40 + 1], ref[4 * 24 + 1];
    if (times) {
        term_cell(name, sizeof name, "name", 40, 0);
        printf("%-8s %s %8s %9s %9s %9s\n", "unit", name, "decided", "p50_days", "p90_days",
               "max_days");
        for (int i = 0; i < n; i++) {
            term_cell(name, sizeof name, PQgetvalue(r, i, 1), 40, 0);
            printf("%-8s %s %8s %9s %9s %9s\n", PQgetvalue(r, i, 0), name, PQgetvalue(r, i, 2),
                   PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5));
        }
    } else {
        term_cell(ref, sizeof ref, "ref", 24, 0);
        printf("%-6s %s %-15s %-17s %-17s %-17s %s\n", "unit", ref, "kind", "received (+07)",
               "deadline (+07)", "extended", overdue ? "days late" : "days left");
        for (int i = 0; i < n; i++) {
            int days = atoi(PQgetvalue(r, i, 6));
            term_cell(ref, sizeof ref, PQgetvalue(r, i, 1), 24, 0);
            printf("%-6s %s %-15s %-17s %-17s %-17s %d\n", PQgetvalue(r, i, 0), ref,
                   PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4),
                   PQgetvalue(r, i, 5)[0] ? PQgetvalue(r, i, 5) : "-", overdue ? -days : days);
        }
        printf("%d tip-off(s) %s\n", n, overdue ? "overdue" : "due");
    }
    PQclear(r);
    PQfinish(c);
    return 0;
}
