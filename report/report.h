/* report.h — the year-end report: the figures as provincial reports state
 * them, computed by the database from the tallies (antt.rates), rendered as
 * text, CSV or JSON. Used by `antt report` (cli/) and the console (web/). */
#ifndef ANTT_REPORT_REPORT_H
#define ANTT_REPORT_REPORT_H

#include "db/pg.h"

#include <stddef.h>
#include <stdio.h>

/* Numbers the way a report writes them: vi "1.315" and "23,25"; en "1,315"
 * and "23.25". decimals < 0: an integer. */
void report_num(char *out, size_t cap, double v, int decimals, int vi);

#define REPORT_TARGETS       4 /* clearance, major, tipoff, wanted */
#define REPORT_TARGET_WANTED 3 /* the one that is a count, not a percentage */

/* Their names, as --targets and antt.targets write them. */
extern const char *const REPORT_TARGET_NAMES[REPORT_TARGETS];

/* A report, as `antt report` makes it, for the console too. */
typedef struct {
    const char *unit;   /* a code or group:NAME */
    const char *group;  /* one crime group, or NULL */
    int year, cmp_year; /* cmp_year 0: no comparison */
    int vi, carry_first;
    int start_mm, start_dd; /* the (statistical) year's first day; 0: 1 January */
    /* targets for clearance, major-case clearance and tip-off resolution
     * (in %) and wanted persons found (a count): given (replacing the one on
     * record in antt.targets), or < 0; fallback: used when neither is there
     * (< 0: none). A zero-initialised field is a target of 0: set all. */
    double target[REPORT_TARGETS], fallback[REPORT_TARGETS];
    const char *format; /* "text", "csv" or "json" */
} report_args_t;

/* Write the report to out. ANTT_EXIT_OK, or an exit code with err (an
 * unknown unit or crime group: ANTT_EXIT_USAGE; the database: _DB). */
int report_write(db_t *c, const report_args_t *a, FILE *out, char *err, size_t errlen);

#endif
