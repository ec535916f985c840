/* tipoffs.c — `antt tipoffs`: tip-offs past or near their legal deadline,
 * and processing times per unit (db/migrations/003_tipoffs.sql).
 *
 *   antt tipoffs --unit CODE (--overdue | --due-within 3d) [--db CONNINFO]
 *   antt tipoffs --unit CODE --times --from 2023-01-01 --to 2024-01-01 [--db CONNINFO]
 */
#include "cli/tipoffs.h"

#include "cmd/dbconn.h"
#include "lib/fields.h"
#include "cmd/opt.h"
#include "cli/term.h"
#include "db/query.h"

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

typedef struct {
    int rows;
} first_seen_t;

static int seen_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)ncols, (void)names, (void)v;
    ((first_seen_t *)ctx)->rows++;
    return 0;
}

typedef struct {
    int times, overdue, n;
} list_t;

static void header(const list_t *l)
{
    char cell[4 * 40 + 1];
    if (l->times) {
        term_cell(cell, sizeof cell, "name", 40, 0);
        printf("%-8s %s %8s %9s %9s %9s\n", "unit", cell, "decided", "p50_days", "p90_days",
               "max_days");
    } else {
        term_cell(cell, sizeof cell, "ref", 24, 0);
        printf("%-6s %s %-15s %-17s %-17s %-17s %s\n", "unit", cell, "kind", "received (+07)",
               "deadline (+07)", "extended", l->overdue ? "days late" : "days left");
    }
}

#define V(i) (v[i] ? v[i] : "")

static int list_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)ncols, (void)names;
    list_t *l = ctx;
    if (!l->n++) header(l);
    char cell[4 * 40 + 1];
    if (l->times) {
        term_cell(cell, sizeof cell, V(1), 40, 0);
        printf("%-8s %s %8s %9s %9s %9s\n", V(0), cell, V(2), V(3), V(4), V(5));
    } else {
        int days = atoi(V(6));
        term_cell(cell, sizeof cell, V(1), 24, 0);
        printf("%-6s %s %-15s %-17s %-17s %-17s %d\n", V(0), cell, V(2), V(3), V(4),
               V(5)[0] ? V(5) : "-", l->overdue ? -days : days);
    }
    return 0;
}

int tipoffs_main(int argc, char **argv)
{
    const char *unit = NULL, *dsn = NULL, *from = NULL, *to = NULL, *at = NULL;
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
        OPT_AT(&at),
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
    db_t *c = dbconn_open(dsn, "antt-tipoffs", err, sizeof err);
    if (!c) {
        fprintf(stderr, "antt tipoffs: %s\n", err);
        return ANTT_EXIT_DB;
    }
    if (dbconn_as_of(c, at, err, sizeof err) < 0) {
        fprintf(stderr, "antt tipoffs: %s\n", err);
        db_close(&c);
        return ANTT_EXIT_DB;
    }
    first_seen_t known = {0};
    if (query_unit(c, unit, seen_row, &known, err, sizeof err) < 0 || !known.rows) {
        fprintf(stderr, "antt tipoffs: unit '%s' is not in antt.units\n", unit);
        db_close(&c);
        return ANTT_EXIT_USAGE;
    }
    list_t l = {.times = times, .overdue = overdue};
    int qrc = times ? query_tipoff_times(c, unit, from, to, list_row, &l, err, sizeof err)
                    : query_tipoffs_open(c, unit, within ? interval : NULL, list_row, &l, err,
                                         sizeof err);
    db_close(&c);
    if (qrc < 0) {
        fprintf(stderr, "antt tipoffs: %s\n", err);
        return ANTT_EXIT_DB;
    }
    if (!l.n) header(&l);
    if (!times) printf("%d tip-off(s) %s\n", l.n, overdue ? "overdue" : "due");
    return 0;
}
