/* report_cmd.c — `antt report`: its options into a report_args_t, the
 * database connection, and report_write (report/report.h) to stdout. */
#include "cli/report_cmd.h"

#include "cmd/dbconn.h"
#include "cmd/opt.h"
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --targets clearance=N,...: each named target into target[] (the others
 * stay as they were). 0, or -1 with err. */
static int parse_targets(double target[REPORT_TARGETS], const char *spec, char *err, size_t errlen)
{
    char copy[256];
    snprintf(copy, sizeof copy, "%s", spec);
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        int k = -1;
        if (eq) {
            *eq = '\0';
            for (int i = 0; i < REPORT_TARGETS; i++)
                if (!strcmp(t, REPORT_TARGET_NAMES[i])) k = i;
        }
        const int count = k == REPORT_TARGET_WANTED;
        if (k < 0 || opt_double(eq + 1, 0, count ? 1e9 : 100, &target[k]) < 0 ||
            (count && target[k] != (double)(long long)target[k])) {
            snprintf(err, errlen,
                     "--targets: '%s%s%s' is not clearance=N, major=N, tipoff=N (N a percentage, "
                     "0..100) or wanted=N (a count)",
                     t, eq ? "=" : "", eq ? eq + 1 : "");
            return -1;
        }
    }
    return 0;
}

static void usage(FILE *f, const opt_t *opts, size_t n)
{
    fprintf(f, "usage: antt report --unit CODE|group:NAME --year YYYY [options]\n"
               "The year-end figures of a unit's subtree (or a group of units, such as an\n"
               "emulation cluster), from the tallies (antt.rates). Rates with nothing to divide\n"
               "by print as \"—\" (no data) and are never compared with a target.\n\n");
    opt_print(f, opts, n);
    fprintf(f, "\nCSV and JSON give every figure of the text: counts as integers, rates with two\n"
               "decimals (a dot, whatever --lang), no data as empty / null.\n"
               "exit codes: 0 done; 2 bad usage, or an unknown unit, group or crime group;\n"
               "5 database error.\n");
}

int report_main(int argc, char **argv)
{
    const char *unit = NULL, *fmt = "text", *lang = "vi", *dsn = NULL, *group = NULL,
               *start = "01-01", *targets_spec = NULL, *conv = getenv("ANTT_RATE_CONVENTION"),
               *at = NULL;
    long year = 0, cmp_year = 0;
    const opt_t opts[] = {
        {"unit", 'u', OPT_STR, &unit, 0, 0, "CODE", "a unit code (its subtree), or group:NAME",
         NULL},
        {"year", 'y', OPT_INT, &year, 2000, 2100, "YYYY", "the (statistical) year", NULL},
        {"compare", 'c', OPT_INT, &cmp_year, 2000, 2100, "YYYY", "compare the cases with this year",
         NULL},
        {"group", 'g', OPT_STR, &group, 0, 0, "SLUG", "one crime group only (antt.crime_groups)",
         NULL},
        {"targets", 't', OPT_STR, &targets_spec, 0, 0, "clearance=N,major=N,tipoff=N,wanted=N",
         "targets, in % (each given replaces the one on record in antt.targets)", NULL},
        {"format", 'f', OPT_STR, &fmt, 0, 0, "text|csv|json", "default text", NULL},
        {"lang", 'l', OPT_STR, &lang, 0, 0, "vi|en", "language of the text (default vi)", NULL},
        {"convention", 0, OPT_STR, &conv, 0, 0, "carry|plain",
         "the rate shown first and compared with targets (ANTT_RATE_CONVENTION; default carry)",
         NULL},
        {"year-start", 0, OPT_STR, &start, 0, 0, "MM-DD",
         "first day of the statistical year (default 01-01; the police use 12-15)", NULL},
        OPT_AT(&at),
        OPT_DB(&dsn),
    };
    const size_t nopts = sizeof opts / sizeof opts[0];
    char err[1024];
    int rc = opt_parse(opts, nopts, argc, argv, 0, NULL, err, sizeof err);
    if (rc == OPT_HELP) {
        usage(stdout, opts, nopts);
        return ANTT_EXIT_OK;
    }
    double target[REPORT_TARGETS] = {-1, -1, -1, -1};
    int mm = 0, dd = 0, n = 0;
    if (rc == OPT_ERR) {
    } else if (!unit || !year) {
        snprintf(err, sizeof err, "--unit and --year are required");
        rc = OPT_ERR;
    } else if (strcmp(fmt, "text") && strcmp(fmt, "csv") && strcmp(fmt, "json")) {
        snprintf(err, sizeof err, "--format: '%s' is not text, csv or json", fmt);
        rc = OPT_ERR;
    } else if (strcmp(lang, "vi") && strcmp(lang, "en")) {
        snprintf(err, sizeof err, "--lang: '%s' is not vi or en", lang);
        rc = OPT_ERR;
    } else if (conv && strcmp(conv, "carry") && strcmp(conv, "plain")) {
        snprintf(err, sizeof err, "--convention: '%s' is not carry or plain", conv);
        rc = OPT_ERR;
    } else if (sscanf(start, "%2d-%2d%n", &mm, &dd, &n) != 2 || n != 5 || start[2] != '-' ||
               mm < 1 || mm > 12 || dd < 1 || dd > 28) {
        snprintf(err, sizeof err,
                 "--year-start: '%s' is not MM-DD (a day up to 28, so that every year has it)",
                 start);
        rc = OPT_ERR;
    } else if (targets_spec && parse_targets(target, targets_spec, err, sizeof err) < 0) {
        rc = OPT_ERR;
    }
    if (rc == OPT_ERR) {
        fprintf(stderr, "antt report: %s (antt report --help)\n", err);
        return ANTT_EXIT_USAGE;
    }
    report_args_t ra = {.unit = unit,
                        .group = group,
                        .year = (int)year,
                        .cmp_year = (int)cmp_year,
                        .vi = !strcmp(lang, "vi"),
                        .carry_first = !conv || !strcmp(conv, "carry"),
                        .start_mm = mm,
                        .start_dd = dd,
                        .format = fmt};
    for (int t = 0; t < REPORT_TARGETS; t++)
        ra.target[t] = target[t], ra.fallback[t] = -1;
    db_t *c = dbconn_open(dsn, "antt-report", err, sizeof err);
    int code = !c || dbconn_as_of(c, at, err, sizeof err) < 0
                   ? ANTT_EXIT_DB
                   : report_write(c, &ra, stdout, err, sizeof err);
    db_close(&c);
    if (code) {
        fprintf(stderr, "antt report: %s\n", err);
        return code;
    }
    return fflush(stdout) == 0 ? ANTT_EXIT_OK : ANTT_EXIT_SPOOL;
}
