/* tipoffs.c — `antt tipoffs`: tip-offs past or near their legal deadline,
 * and processing times per unit (db/migrations/003_tipoffs.sql).
 *
 *   antt tipoffs --unit CODE (--overdue | --due-within 3d) [--db CONNINFO]
 *   antt tipoffs --unit CODE --times --from 2023-01-01 --to 2024-01-01 [--db CONNINFO]
 */
#include "client/tipoffs.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(FILE *f, int rc)
{
    fprintf(f, "usage: antt tipoffs --unit CODE (--overdue | --due-within Nd) [--db CONNINFO]\n"
               "       antt tipoffs --unit CODE --times --from DATE --to DATE [--db CONNINFO]\n"
               "Pending tip-offs past their deadline, or due within N days (days left or late,\n"
               "counted in Hanoi calendar days); or processing times (receipt to decision) per\n"
               "child unit, for decisions in [from, to).\n");
    return rc;
}

int tipoffs_main(int argc, char **argv)
{
    const char *unit = NULL, *dsn = "", *within = NULL, *from = NULL, *to = NULL;
    int overdue = 0, times = 0;
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--help")) return usage(stdout, 0);
        if (!strcmp(o, "--overdue")) {
            overdue = 1;
            continue;
        }
        if (!strcmp(o, "--times")) {
            times = 1;
            continue;
        }
        if (i + 1 >= argc) return usage(stderr, 2);
        const char *v = argv[++i];
        if (!strcmp(o, "--unit")) unit = v;
        else if (!strcmp(o, "--db")) dsn = v;
        else if (!strcmp(o, "--due-within")) within = v;
        else if (!strcmp(o, "--from")) from = v;
        else if (!strcmp(o, "--to")) to = v;
        else return usage(stderr, 2);
    }
    if (!unit || overdue + !!within + times != 1 || (times && (!from || !to))) return usage(stderr, 2);
    char interval[32] = "";
    if (within) {
        char *end;
        long n = strtol(within, &end, 10);
        if (n <= 0 || n > 366 || (strcmp(end, "d") && strcmp(end, ""))) {
            fprintf(stderr, "antt tipoffs: --due-within N or Nd (days, 1..366)\n");
            return 2;
        }
        snprintf(interval, sizeof interval, "%ld days", n);
    }
    PGconn *c = PQconnectdb(dsn);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "antt tipoffs: %s", PQerrorMessage(c));
        PQfinish(c);
        return 4;
    }
    PGresult *r;
    if (times) {
        const char *p[3] = {unit, from, to};
        r = PQexecParams(c, "SELECT * FROM antt.tipoff_processing($1, $2::date, $3::date)", 3, NULL, p,
                         NULL, NULL, 0);
    } else {
        const char *p[2] = {unit, within ? interval : NULL};
        r = PQexecParams(c,
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
        return 4;
    }
    int n = PQntuples(r);
    if (times) {
        printf("%-8s %-40s %8s %9s %9s %9s\n", "unit", "name", "decided", "p50_days", "p90_days",
               "max_days");
        for (int i = 0; i < n; i++)
            printf("%-8s %-40s %8s %9s %9s %9s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
                   PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5));
    } else {
        printf("%-6s %-24s %-15s %-17s %-17s %-17s %s\n", "unit", "ref", "kind", "received (+07)",
               "deadline (+07)", "extended", overdue ? "days late" : "days left");
        for (int i = 0; i < n; i++) {
            int days = atoi(PQgetvalue(r, i, 6));
            printf("%-6s %-24s %-15s %-17s %-17s %-17s %d\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
                   PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4),
                   PQgetvalue(r, i, 5)[0] ? PQgetvalue(r, i, 5) : "-", overdue ? -days : days);
        }
        printf("%d tip-off(s) %s\n", n, overdue ? "overdue" : "due");
    }
    PQclear(r);
    PQfinish(c);
    return 0;
}
