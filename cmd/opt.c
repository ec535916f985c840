/* opt.c — see opt.h. getopt_long does the scanning (so `--opt=value`,
 * abbreviations and `--` behave as in every GNU tool); this file adds the
 * table, strict numbers and messages that name the option. */
#include "cmd/opt.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int opt_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s || isspace((unsigned char)*s)) return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max) return -1;
    *out = v;
    return 0;
}

int opt_double(const char *s, double min, double max, double *out)
{
    /* Plain decimals only: strtod would also take "inf", "0x1p3" or " 5". */
    const char *p = s;
    if (*p == '-') p++;
    if (!isdigit((unsigned char)*p)) return -1;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p)) return -1;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p) return -1;
    double v = strtod(s, NULL);
    if (v < min || v > max) return -1;
    *out = v;
    return 0;
}

static int store(const opt_t *o, const char *value, char *err, size_t errlen)
{
    switch (o->kind) {
    case OPT_FLAG: *(int *)o->dest = 1; return 0;
    case OPT_STR: *(const char **)o->dest = value; return 0;
    case OPT_INT:
        if (opt_long(value, o->min, o->max, (long *)o->dest) == 0) return 0;
        snprintf(err, errlen, "--%s: '%s' is not a whole number in %ld..%ld", o->name, value,
                 o->min, o->max);
        return -1;
    case OPT_NUM:
        if (opt_double(value, (double)o->min, (double)o->max, (double *)o->dest) == 0) return 0;
        snprintf(err, errlen, "--%s: '%s' is not a number in %ld..%ld", o->name, value, o->min,
                 o->max);
        return -1;
    case OPT_FN: return o->fn(o->dest, o->name, value, err, errlen);
    }
    return -1;
}

int opt_parse(const opt_t *opts, size_t n, int argc, char **argv, int in_order, int *first,
              char *err, size_t errlen)
{
    struct option *lo = calloc(n + 2, sizeof *lo);
    char shorts[128];
    size_t s = 0;
    if (!lo) {
        snprintf(err, errlen, "out of memory");
        return OPT_ERR;
    }
    if (in_order) shorts[s++] = '+'; /* stop at the first operand */
    shorts[s++] = ':';               /* report a missing value as ':' */
    shorts[s++] = 'h';
    for (size_t i = 0; i < n; i++) {
        lo[i].name = opts[i].name;
        lo[i].has_arg = opts[i].kind == OPT_FLAG ? no_argument : required_argument;
        lo[i].val = 0x100 + (int)i;
        if (opts[i].letter && s + 3 < sizeof shorts) {
            shorts[s++] = (char)opts[i].letter;
            if (opts[i].kind != OPT_FLAG) shorts[s++] = ':';
        }
    }
    shorts[s] = '\0';
    lo[n].name = "help";
    lo[n].val = 'h';
    int rc = OPT_OK;
    optind = 0; /* glibc: a full re-initialisation, each command parses afresh */
    opterr = 0;
    for (int c; rc == OPT_OK && (c = getopt_long(argc, argv, shorts, lo, NULL)) != -1;) {
        if (c == 'h') {
            rc = OPT_HELP;
        } else if (c == '?' || c == ':') {
            const char *what = argv[optind - 1];
            if (c == ':')
                snprintf(err, errlen, "%s needs a value", what);
            else if (optopt >= 0x100)
                snprintf(err, errlen, "%s takes no value", what);
            else if (optopt)
                snprintf(err, errlen, "unknown option '-%c'", optopt);
            else
                snprintf(err, errlen, "unknown or ambiguous option '%s'", what);
            rc = OPT_ERR;
        } else {
            const opt_t *o = NULL;
            if (c >= 0x100)
                o = &opts[c - 0x100];
            else
                for (size_t i = 0; i < n && !o; i++)
                    if (opts[i].letter == c) o = &opts[i];
            if (o && store(o, optarg, err, errlen) < 0) rc = OPT_ERR;
        }
    }
    if (first)
        *first = optind;
    else if (rc == OPT_OK && optind < argc) {
        snprintf(err, errlen, "unexpected '%s'", argv[optind]);
        rc = OPT_ERR;
    }
    free(lo);
    return rc;
}

void opt_print(FILE *f, const opt_t *opts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const opt_t *o = &opts[i];
        if (!o->help) continue;
        char left[64];
        int k = 0;
        if (o->letter)
            k = snprintf(left, sizeof left, "-%c, ", o->letter);
        else
            k = snprintf(left, sizeof left, "    ");
        snprintf(left + k, sizeof left - (size_t)k, "--%s%s%s", o->name,
                 o->kind == OPT_FLAG ? "" : " ",
                 o->kind == OPT_FLAG ? "" : (o->metavar ? o->metavar : "VALUE"));
        if (strlen(left) >= 26)
            fprintf(f, "  %s\n  %-26s %s\n", left, "", o->help);
        else
            fprintf(f, "  %-26s %s\n", left, o->help);
    }
    fprintf(f, "  %-26s %s\n", "-h, --help", "this text");
}
