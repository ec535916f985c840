/* report.c — the year-end report: figures read once, rendered three ways
 * (see report.h; `antt report` is cli/report_cmd.c, the console web/server.c).
 *
 * The figures are read once from antt.rates() into a report_t, with every
 * derived figure (the change on the comparison year, each target's verdict)
 * computed once too; the three renderings — text, CSV, JSON — only format
 * that struct, so they cannot disagree on a figure or its rounding.
 *
 * A rate with nothing to divide by is NULL in antt.rates(): it is printed
 * as "—" (explained in a footnote), is null in JSON and empty in CSV, and is
 * never compared with a target. Counts are integers everywhere. */
#include "report/report.h"

#include "cmd/opt.h"
#include "db/query.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void report_num(char *out, size_t cap, double v, int decimals, int vi)
{
    char raw[64];
    snprintf(raw, sizeof raw, "%.*f", decimals < 0 ? 0 : decimals, fabs(v));
    char *dot = strchr(raw, '.');
    size_t intlen = dot ? (size_t)(dot - raw) : strlen(raw);
    size_t o = 0;
    if (v < 0 && strspn(raw, "0.") != strlen(raw) && o + 1 < cap) out[o++] = '-';
    for (size_t i = 0; i < intlen && o + 1 < cap; i++) {
        if (i && (intlen - i) % 3 == 0 && o + 1 < cap) out[o++] = vi ? '.' : ',';
        out[o++] = raw[i];
    }
    if (dot && decimals > 0)
        for (const char *p = dot; *p && o + 1 < cap; p++)
            out[o++] = *p == '.' ? (vi ? ',' : '.') : *p;
    out[o] = '\0';
}

/* The columns of antt.rates() a report shows, in the order of the CSV. */
enum {
    C_OCC,
    C_CLR,
    C_SUS,
    C_CARRY,
    C_CLR_PLAIN,
    C_CLR_CARRY,
    C_MOCC,
    C_MCLR,
    C_MCARRY,
    C_MCLR_PLAIN,
    C_MCLR_CARRY,
    C_TREC,
    C_TTR,
    C_TRES,
    C_TCARRY,
    C_TTO_RESOLVE,
    C_TDONE,
    C_TRATE,
    C_TPLAIN,
    C_TOVER,
    C_TRA,
    C_TRD,
    C_TRI,
    C_DC,
    C_DS,
    C_N
};
static const struct {
    const char *name;
    int rate; /* 1: a percentage with two decimals; 0: a count */
} COLS[C_N] = {
    {"occurred", 0},
    {"cleared", 0},
    {"suspects", 0},
    {"carried_over", 0},
    {"clearance_plain", 1},
    {"clearance_carry", 1},
    {"major_occurred", 0},
    {"major_cleared", 0},
    {"major_carried_over", 0},
    {"major_clearance_plain", 1},
    {"major_clearance_carry", 1},
    {"tipoffs_received", 0},
    {"tipoffs_transferred", 0},
    {"tipoffs_resumed", 0},
    {"tipoffs_carried_over", 0},
    {"tipoffs_to_resolve", 0},
    {"tipoffs_resolved", 0},
    {"resolution_rate", 1},
    {"resolution_plain", 1},
    {"tipoffs_overdue", 0},
    {"traffic_accidents", 0},
    {"traffic_deaths", 0},
    {"traffic_injuries", 0},
    {"drug_cases", 0},
    {"drug_suspects", 0},
};

typedef struct {
    long long n[C_N]; /* counts */
    double r[C_N];    /* rates, rounded to 2 decimals by antt.rates() */
    unsigned char null[C_N];
} figures_t;

typedef struct {
    char slug[48], name[160];
    figures_t f;
} group_t;

enum { T_CLEAR, T_MAJOR, T_TIP, T_WANTED, T_N };
_Static_assert(T_N == REPORT_TARGETS, "report_args_t has a target for each");
_Static_assert(T_WANTED == REPORT_TARGET_WANTED, "the count is the same target");

/* Wanted persons (antt.wanted_many): found (arrested + surrendered), of
 * which dangerous, and notices withdrawn. */
enum { W_FOUND, W_ARRESTED, W_SURRENDERED, W_DANGEROUS, W_WITHDRAWN, W_N };
static const char *const WANTED_NAMES[W_N] = {"found", "arrested", "surrendered", "dangerous",
                                              "withdrawn"};

/* A target and its verdict: met is 1/0, or -1 when the rate is "—";
 * margin: the rate less the target in percentage points, both as printed
 * (2 decimals). Where it came from: --targets, antt.targets (from_table) or
 * the caller's fallback (from_default). */
typedef struct {
    int set, col, met, from_table, from_default;
    double target, margin;
} target_t;

#define MAX_GROUPS   32
#define MAX_PARTIALS 32

/* A unit that was split between several successors (1 July 2025) and is
 * in the figures whole: they are not apportioned, so the report says so. */
typedef struct {
    char code[8], name[160], successors[96];
} partial_t;

typedef struct {
    /* what was asked */
    const char *unit, *group;
    int year, cmp_year; /* cmp_year 0: no comparison */
    int vi, carry_first;
    char from[40], last[40]; /* the period, both days included */
    /* what the database said */
    char name[256];
    figures_t f, cmp;
    long long wanted[W_N], wanted_cmp[W_N];
    group_t groups[MAX_GROUPS];
    int ngroups;
    partial_t partials[MAX_PARTIALS]; /* units counted whole though split */
    int npartials;
    /* derived, once for every rendering */
    long long diff; /* occurred - occurred in the comparison year */
    int has_pct;    /* 0 when the comparison year had no cases */
    double pct;     /* diff / before, in %, rounded to 2 decimals */
    target_t targets[T_N];
} report_t;

const char *const REPORT_TARGET_NAMES[REPORT_TARGETS] = {"clearance", "major", "tipoff", "wanted"};
#define TARGET_NAMES REPORT_TARGET_NAMES

/* ---- periods ---------------------------------------------------------- */

static int days_in_month(int y, int m)
{
    static const int DAYS[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : DAYS[m - 1];
}

/* The statistical year `year` starting on mm-dd: [from, to) and its last day. */
static void period(int year, int mm, int dd, char from[40], char to[40], char last[40])
{
    /* A year starting after 1 January begins in the previous calendar year. */
    const int y0 = (mm == 1 && dd == 1) ? year : year - 1;
    snprintf(from, 40, "%04d-%02d-%02d", y0, mm, dd);
    snprintf(to, 40, "%04d-%02d-%02d", y0 + 1, mm, dd);
    int ly = y0 + 1, lm = mm, ld = dd - 1;
    if (ld == 0 && --lm == 0) lm = 12, ly--;
    if (ld == 0) ld = days_in_month(ly, lm);
    snprintf(last, 40, "%04d-%02d-%02d", ly, lm, ld);
}

/* ---- reading ----------------------------------------------------------- */

static int db_fail(const char *what, const char *e, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s", what, e);
    return ANTT_EXIT_DB;
}

typedef struct {
    figures_t *f;      /* the row of the group asked (all crimes: grp NULL) */
    const char *group; /* NULL: all crimes */
    report_t *groups;  /* and each crime group's row into rp->groups, or NULL */
    int rows;
    const char *missing; /* a column antt.rates_groups does not have */
} fetch_t;

static int figures_of(fetch_t *x, figures_t *f, int ncols, const char *const *names,
                      const char *const *v)
{
    for (int i = 0; i < C_N; i++) {
        int col = 0;
        while (col < ncols && strcmp(names[col], COLS[i].name))
            col++;
        if (col == ncols) {
            x->missing = COLS[i].name;
            return 1;
        }
        f->null[i] = (unsigned char)!v[col];
        if (COLS[i].rate)
            f->r[i] = v[col] ? strtod(v[col], NULL) : 0;
        else
            f->n[i] = v[col] ? strtoll(v[col], NULL, 10) : 0;
    }
    return 0;
}

/* One row of antt.rates_groups: column 0 is the group (NULL: all crimes). */
static int rates_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    fetch_t *x = ctx;
    const char *g = v[0];
    if (!g == !x->group && (!g || !strcmp(g, x->group))) {
        x->rows++;
        return figures_of(x, x->f, ncols, names, v);
    }
    if (x->groups && g)
        for (int i = 0; i < x->groups->ngroups; i++)
            if (!strcmp(x->groups->groups[i].slug, g))
                return figures_of(x, &x->groups->groups[i].f, ncols, names, v);
    return 0;
}

/* on: the day the unit is taken on — the main period's last day, for the
 * comparison year too, so both count the same units (2024 figures of
 * Tuyên Quang 08 are those of the old units that became it). One query
 * gives the figures of all crimes (or of `group`) and, with `groups`, of
 * each crime group rp->groups names. */
static int fetch(db_t *c, const char *unit, const char *from, const char *to, const char *group,
                 const char *on, figures_t *f, report_t *groups, char *err, size_t errlen)
{
    fetch_t x = {.f = f, .group = group, .groups = groups};
    char e[400] = "";
    int rc = query_rates_groups(c, unit, from, to, group, on, rates_row, &x, e, sizeof e);
    if (x.missing) {
        snprintf(err, errlen, "antt.rates_groups has no column %s (is the schema current?)",
                 x.missing);
        return ANTT_EXIT_DB;
    }
    if (rc < 0) return db_fail("antt.rates_groups", e, err, errlen);
    if (x.rows != 1) return db_fail("antt.rates_groups", "not one row", err, errlen);
    return ANTT_EXIT_OK;
}

/* The first column of a one-row answer, when there is a row. */
typedef struct {
    char *out;
    size_t cap;
    int col, found;
} first_t;

static int first_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)names;
    first_t *x = ctx;
    x->found = 1;
    snprintf(x->out, x->cap, "%s", x->col < ncols && v[x->col] ? v[x->col] : "");
    return 1; /* one is enough */
}

/* The scope and the crime group must exist: a report of zeros for a
 * mistyped code would be signed as if it were true. */
static int check_names(db_t *c, report_t *rp, char *err, size_t errlen)
{
    char v[256], e[400];
    first_t x = {.out = v, .cap = sizeof v, .col = 0};
    if (!strcmp(rp->unit, "all")) { /* the whole country: every province of the period */
        snprintf(rp->name, sizeof rp->name, "%s", rp->vi ? "toàn quốc" : "the whole country");
    } else if (!strncmp(rp->unit, "group:", 6)) {
        if (query_unit_group(c, rp->unit + 6, first_row, &x, e, sizeof e) < 0)
            return db_fail("lookup", e, err, errlen);
        if (!x.found) {
            snprintf(err, errlen,
                     "no unit group '%s' in antt.unit_groups (clusters are loaded with anttd "
                     "--load-clusters FILE)",
                     rp->unit + 6);
            return ANTT_EXIT_USAGE;
        }
        snprintf(rp->name, sizeof rp->name, rp->vi ? "nhóm %s, %s đơn vị" : "group %s, %s units",
                 rp->unit + 6, v);
    } else {
        x = (first_t){.out = rp->name, .cap = sizeof rp->name, .col = 1};
        if (query_unit_on(c, rp->unit, rp->last, first_row, &x, e, sizeof e) < 0)
            return db_fail("lookup", e, err, errlen);
        if (!x.found) {
            snprintf(err, errlen, "unit '%s' is not in antt.units", rp->unit);
            return ANTT_EXIT_USAGE;
        }
    }
    if (rp->group) {
        x = (first_t){.out = v, .cap = sizeof v, .col = 3};
        if (query_crime_group(c, rp->group, first_row, &x, e, sizeof e) < 0)
            return db_fail("lookup", e, err, errlen);
        if (!x.found || strcmp(v, "t")) {
            snprintf(err, errlen, "'%s' is %s", rp->group,
                     x.found ? "not a crime group (its incidents are not crimes)"
                             : "not a crime group in antt.crime_groups");
            return ANTT_EXIT_USAGE;
        }
    }
    return ANTT_EXIT_OK;
}

static int group_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)ncols, (void)names;
    report_t *rp = ctx;
    if (rp->ngroups >= MAX_GROUPS) return 0;
    group_t *g = &rp->groups[rp->ngroups++];
    snprintf(g->slug, sizeof g->slug, "%s", v[0]);
    snprintf(g->name, sizeof g->name, "%s", v[rp->vi ? 1 : 2]);
    return 0;
}

/* The crime groups' names (none when --group): their figures come with the
 * main period's (fetch). */
/* A target on record (antt.targets) for a figure --targets did not give. */
static int target_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)ncols, (void)names;
    report_t *rp = ctx;
    for (int t = 0; t < T_N; t++)
        if (!strcmp(v[0], TARGET_NAMES[t]) && !rp->targets[t].set) {
            rp->targets[t].set = 1;
            rp->targets[t].from_table = 1;
            rp->targets[t].target = strtod(v[1], NULL);
        }
    return 0;
}

static int fetch_targets(db_t *c, report_t *rp, char *err, size_t errlen)
{
    char e[512];
    if (query_targets(c, rp->unit, rp->year, target_row, rp, e, sizeof e) < 0)
        return db_fail("antt.targets", e, err, errlen);
    return 0;
}

static int wanted_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)names;
    long long *w = ctx;
    for (int i = 0; i < W_N && i < ncols; i++)
        w[i] = v[i] ? atoll(v[i]) : 0;
    return 0;
}

/* The wanted-person figures of the unit over [from, to), its scope on `on`. */
static int fetch_wanted(db_t *c, const report_t *rp, const char *from, const char *to,
                        long long w[W_N], char *err, size_t errlen)
{
    char e[512];
    if (rp->group) return 0; /* a crime group's report: wanted persons have no group */
    if (query_wanted(c, rp->unit, from, to, rp->last, wanted_row, w, e, sizeof e) < 0)
        return db_fail("antt.wanted_many", e, err, errlen);
    return 0;
}

static int fetch_groups(db_t *c, report_t *rp, char *err, size_t errlen)
{
    if (rp->group) return ANTT_EXIT_OK;
    char e[400];
    if (query_crime_groups(c, group_row, rp, e, sizeof e) < 0)
        return db_fail("crime groups", e, err, errlen);
    return ANTT_EXIT_OK;
}

/* Keeps the groups with something to say this year, in slug order. */
static void keep_active_groups(report_t *rp)
{
    int kept = 0;
    for (int i = 0; i < rp->ngroups; i++) {
        const group_t *g = &rp->groups[i];
        if (g->f.n[C_OCC] + g->f.n[C_CLR] + g->f.n[C_CARRY] > 0) rp->groups[kept++] = *g;
    }
    rp->ngroups = kept;
}

static int partial_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)ncols, (void)names;
    report_t *rp = ctx;
    if (rp->npartials >= MAX_PARTIALS) return 0;
    partial_t *p = &rp->partials[rp->npartials++];
    snprintf(p->code, sizeof p->code, "%s", v[0]);
    snprintf(p->name, sizeof p->name, "%s", v[1] ? v[1] : "");
    snprintf(p->successors, sizeof p->successors, "%s", v[2] ? v[2] : "");
    return 0;
}

static int fetch_partials(db_t *c, report_t *rp, char *err, size_t errlen)
{
    char e[400];
    if (query_unit_partials(c, rp->unit, rp->last, partial_row, rp, e, sizeof e) < 0)
        return db_fail("antt.scope_partials", e, err, errlen);
    return ANTT_EXIT_OK;
}

static double round2(double x)
{
    return round(x * 100.0) / 100.0;
}

static void derive(report_t *rp)
{
    if (rp->cmp_year) {
        const long long before = rp->cmp.n[C_OCC];
        rp->diff = rp->f.n[C_OCC] - before;
        rp->has_pct = before > 0;
        rp->pct = before > 0 ? round2((double)rp->diff * 100.0 / (double)before) : 0;
    }
    rp->targets[T_CLEAR].col = rp->carry_first ? C_CLR_CARRY : C_CLR_PLAIN;
    rp->targets[T_MAJOR].col = rp->carry_first ? C_MCLR_CARRY : C_MCLR_PLAIN;
    rp->targets[T_TIP].col = rp->carry_first ? C_TRATE : C_TPLAIN;
    for (int t = 0; t < T_N; t++) {
        target_t *tg = &rp->targets[t];
        /* on the values as printed: 89,996% prints 90,00% and meets 90; a
         * count (wanted persons) is always there */
        const int count = t == T_WANTED;
        const double value = count ? (double)rp->wanted[W_FOUND] : round2(rp->f.r[tg->col]),
                     target = round2(tg->target);
        tg->met = !tg->set || (!count && rp->f.null[tg->col]) ? -1 : value >= target;
        tg->margin = tg->met < 0 ? 0 : round2(value - target);
    }
}

/* ---- text ------------------------------------------------------------- */

/* Buffers for the numbers of one printf: each call takes the next. */
typedef struct {
    char b[12][64];
    int i;
    int dashes; /* rates printed as "—" so far (for the footnote) */
    int vi;
} fmt_t;

static char *slot(fmt_t *fm)
{
    return fm->b[fm->i++ % 12];
}

static const char *cnt(fmt_t *fm, long long n)
{
    char *s = slot(fm);
    report_num(s, 64, (double)n, -1, fm->vi);
    return s;
}

static const char *rate(fmt_t *fm, const figures_t *f, int col)
{
    if (f->null[col]) {
        fm->dashes++;
        return "—";
    }
    char *s = slot(fm);
    report_num(s, 63, f->r[col], 2, fm->vi);
    strcat(s, "%");
    return s;
}

/* A target as given: "90", "92.5" / "92,5". */
static const char *target_num(fmt_t *fm, double v)
{
    char *s = slot(fm);
    report_num(s, 64, v, 2, fm->vi);
    char *end = s + strlen(s);
    while (end > s && end[-1] == '0')
        *--end = '\0';
    if (end > s && (end[-1] == ',' || end[-1] == '.')) *--end = '\0';
    return s;
}

/* English nouns: "1 case", "2 cases". */
static const char *en_n(fmt_t *fm, long long n, const char *one, const char *many)
{
    char *s = slot(fm);
    char num[32]; /* the longest long long, with separators: 26 bytes */
    report_num(num, sizeof num, (double)n, -1, 0);
    snprintf(s, 64, "%s %s", num, n == 1 ? one : many);
    return s;
}

static void text_change(FILE *o, fmt_t *fm, const report_t *rp)
{
    const int vi = rp->vi;
    const long long d = rp->diff, before = rp->cmp.n[C_OCC];
    const char *up = d > 0 ? (vi ? "tăng" : "up") : (vi ? "giảm" : "down");
    if (vi) {
        fprintf(o, ", so với năm %d ", rp->cmp_year);
        if (d == 0)
            fprintf(o, "không đổi%s", before ? "" : " (cả hai năm không có vụ nào)");
        else if (!before)
            fprintf(o, "%s %s vụ (năm %d không có vụ nào)", up, cnt(fm, llabs(d)), rp->cmp_year);
        else {
            char *p = slot(fm);
            report_num(p, 64, fabs(rp->pct), 2, 1);
            fprintf(o, "%s %s vụ (%s%%)", up, cnt(fm, llabs(d)), p);
        }
        return;
    }
    if (d == 0)
        fprintf(o, ", unchanged on %d%s", rp->cmp_year, before ? "" : " (no cases in either year)");
    else if (!before)
        fprintf(o, ", %s %s on %d, which had no cases", up, cnt(fm, llabs(d)), rp->cmp_year);
    else {
        char *p = slot(fm);
        report_num(p, 64, rp->pct, 2, 0);
        fprintf(o, ", %s %s (%s%s%%) on %d", up, cnt(fm, llabs(d)), d > 0 ? "+" : "", p,
                rp->cmp_year);
    }
}

/* "chỉ tiêu 80%: đạt (93,90%, vượt 13,90% chỉ tiêu)", as year-end reports
 * put it: the verdict, the rate and the margin in percentage points. */
static void text_target(FILE *o, fmt_t *fm, const report_t *rp, int t, const char *lead)
{
    const target_t *tg = &rp->targets[t];
    if (!tg->set) return;
    const int vi = rp->vi;
    if (t == T_WANTED)
        fprintf(o, vi ? "%schỉ tiêu %s đối tượng: " : "%starget %s: ", lead,
                cnt(fm, (long long)tg->target));
    else
        fprintf(o, vi ? "%schỉ tiêu %s%%: " : "%starget %s%%: ", lead, target_num(fm, tg->target));
    if (tg->met < 0) {
        fm->dashes++;
        fprintf(o, "—");
        return;
    }
    if (t == T_WANTED) { /* a count: "chỉ tiêu 400 đối tượng: đạt (450, vượt 50)" */
        const char *value = cnt(fm, rp->wanted[W_FOUND]),
                   *m = cnt(fm, llabs((long long)tg->margin));
        if (tg->margin > 0)
            fprintf(o, vi ? "đạt (%s, vượt %s)" : "met (%s, %s above the target)", value, m);
        else if (tg->margin < 0)
            fprintf(o,
                    vi ? "không đạt (%s, thấp hơn %s so với chỉ tiêu)"
                       : "not met (%s, %s below the target)",
                    value, m);
        else
            fprintf(o, vi ? "đạt (%s, đúng chỉ tiêu)" : "met (%s, exactly on the target)", value);
        return;
    }
    const char *value = rate(fm, &rp->f, tg->col);
    char *m = slot(fm);
    report_num(m, 64, fabs(tg->margin), 2, vi);
    if (tg->margin > 0)
        fprintf(o, vi ? "đạt (%s, vượt %s%% chỉ tiêu)" : "met (%s, %s points above the target)",
                value, m);
    else if (tg->margin < 0)
        fprintf(o,
                vi ? "không đạt (%s, thấp hơn %s%% so với chỉ tiêu)"
                   : "not met (%s, %s points below the target)",
                value, m);
    else
        fprintf(o, vi ? "đạt (%s, đúng chỉ tiêu)" : "met (%s, exactly on the target)", value);
}

/* "97,72% (có tính tồn; tồn đầu kỳ 33 vụ); 109,49% (trên số xảy ra)", the
 * convention chosen first. */
static void text_two_rates(FILE *o, fmt_t *fm, const report_t *rp, const figures_t *f,
                           int carry_col, int plain_col, long long carried)
{
    const int vi = rp->vi;
    char lc[96];
    if (vi)
        snprintf(lc, sizeof lc, "có tính tồn; tồn đầu kỳ %s vụ", cnt(fm, carried));
    else
        snprintf(lc, sizeof lc, "with carry-over; %s carried over", cnt(fm, carried));
    const char *lp = vi ? "trên số xảy ra" : "plain";
    const char *rc = rate(fm, f, carry_col), *rpl = rate(fm, f, plain_col);
    if (rp->carry_first)
        fprintf(o, "%s (%s); %s (%s)", rc, lc, rpl, lp);
    else
        fprintf(o, "%s (%s); %s (%s)", rpl, lp, rc, lc);
}

static void render_text(FILE *o, const report_t *rp)
{
    const int vi = rp->vi;
    const figures_t *f = &rp->f;
    fmt_t fm = {.vi = vi};
    fprintf(o, vi ? "Báo cáo năm %d — %s (%s)\n" : "Year %d report — %s (%s)\n", rp->year, rp->name,
            rp->unit);
    fprintf(o, vi ? "Kỳ báo cáo: %s đến %s\n" : "Period: %s to %s\n", rp->from, rp->last);
    if (rp->group) fprintf(o, vi ? "Nhóm tội phạm: %s\n" : "Crime group: %s\n", rp->group);
    if (vi)
        fprintf(o, "Tội phạm: xảy ra %s vụ", cnt(&fm, f->n[C_OCC]));
    else
        fprintf(o, "Crimes: %s occurred", en_n(&fm, f->n[C_OCC], "case", "cases"));
    if (rp->cmp_year) text_change(o, &fm, rp);
    fprintf(o, "\n");
    if (vi)
        fprintf(o, "Điều tra làm rõ %s vụ (kể cả vụ năm trước), %s đối tượng\n",
                cnt(&fm, f->n[C_CLR]), cnt(&fm, f->n[C_SUS]));
    else
        fprintf(o, "Cleared %s (including earlier ones), %s\n",
                en_n(&fm, f->n[C_CLR], "case", "cases"),
                en_n(&fm, f->n[C_SUS], "suspect", "suspects"));
    fprintf(o, vi ? "Tỷ lệ khám phá: " : "Clearance rate: ");
    text_two_rates(o, &fm, rp, f, C_CLR_CARRY, C_CLR_PLAIN, f->n[C_CARRY]);
    fprintf(o, "\n");
    if (rp->targets[T_CLEAR].set) {
        text_target(o, &fm, rp, T_CLEAR, "  ");
        fprintf(o, "\n");
    }
    fprintf(o,
            vi ? "Trọng án: xảy ra %s vụ, khám phá %s; tỷ lệ "
               : "Major cases: %s occurred, %s cleared; rate ",
            cnt(&fm, f->n[C_MOCC]), cnt(&fm, f->n[C_MCLR]));
    text_two_rates(o, &fm, rp, f, C_MCLR_CARRY, C_MCLR_PLAIN, f->n[C_MCARRY]);
    fprintf(o, "\n");
    if (rp->targets[T_MAJOR].set) {
        text_target(o, &fm, rp, T_MAJOR, "  ");
        fprintf(o, "\n");
    }
    fprintf(
        o,
        vi ? "Tố giác, tin báo, kiến nghị khởi tố: tiếp nhận %s, chuyển %s, phải giải quyết %s, "
             "đã giải quyết %s (tồn kỳ trước %s, phục hồi %s)\n"
           : "Tip-offs: %s received, %s transferred, %s to be resolved, %s resolved (%s carried "
             "over, %s resumed)\n",
        cnt(&fm, f->n[C_TREC]), cnt(&fm, f->n[C_TTR]), cnt(&fm, f->n[C_TTO_RESOLVE]),
        cnt(&fm, f->n[C_TDONE]), cnt(&fm, f->n[C_TCARRY]), cnt(&fm, f->n[C_TRES]));
    const char *l_res = vi ? "trên số phải giải quyết" : "of those to be resolved";
    const char *l_rec = vi ? "trên số tiếp nhận" : "of those received";
    const char *r_res = rate(&fm, f, C_TRATE), *r_rec = rate(&fm, f, C_TPLAIN);
    fprintf(o, vi ? "Tỷ lệ giải quyết: %s (%s); %s (%s)" : "Resolution rate: %s (%s); %s (%s)",
            rp->carry_first ? r_res : r_rec, rp->carry_first ? l_res : l_rec,
            rp->carry_first ? r_rec : r_res, rp->carry_first ? l_rec : l_res);
    text_target(o, &fm, rp, T_TIP, " — ");
    fprintf(o, "\n");
    /* a crime group's report has no line for a figure without a group
     * (NULL in antt.rates_many): the overdue count, traffic accidents, and
     * drug cases outside the drugs group */
    if (!f->null[C_TOVER])
        fprintf(o, vi ? "Quá hạn hiện tại: %s\n" : "Overdue now: %s\n", cnt(&fm, f->n[C_TOVER]));
    if (f->null[C_TRA])
        ;
    else if (vi)
        fprintf(o, "Tai nạn giao thông: %s vụ, %s người chết, %s người bị thương\n",
                cnt(&fm, f->n[C_TRA]), cnt(&fm, f->n[C_TRD]), cnt(&fm, f->n[C_TRI]));
    else
        fprintf(o, "Traffic accidents: %s, %s, %s injured\n", cnt(&fm, f->n[C_TRA]),
                en_n(&fm, f->n[C_TRD], "death", "deaths"), cnt(&fm, f->n[C_TRI]));
    if (f->null[C_DC])
        ;
    else if (vi)
        fprintf(o, "Ma túy: %s vụ, %s đối tượng\n", cnt(&fm, f->n[C_DC]), cnt(&fm, f->n[C_DS]));
    else
        fprintf(o, "Drugs: %s, %s\n", en_n(&fm, f->n[C_DC], "case", "cases"),
                en_n(&fm, f->n[C_DS], "suspect", "suspects"));
    /* "bắt, vận động đầu thú 450 đối tượng truy nã (12 đặc biệt nguy hiểm)"; not
     * in one crime group's report (a wanted person has none) */
    const long long *w = rp->wanted;
    if (rp->group) {
    } else if (vi)
        fprintf(o,
                "Truy nã: bắt, vận động đầu thú %s đối tượng truy nã (%s đặc biệt nguy hiểm; bắt "
                "giữ %s, đầu thú %s); đình nã %s",
                cnt(&fm, w[W_FOUND]), cnt(&fm, w[W_DANGEROUS]), cnt(&fm, w[W_ARRESTED]),
                cnt(&fm, w[W_SURRENDERED]), cnt(&fm, w[W_WITHDRAWN]));
    else
        fprintf(o,
                "Wanted persons: %s arrested or surrendered (%s wanted for very serious or "
                "especially serious crimes; %s arrested, %s surrendered); %s withdrawn",
                cnt(&fm, w[W_FOUND]), cnt(&fm, w[W_DANGEROUS]), cnt(&fm, w[W_ARRESTED]),
                cnt(&fm, w[W_SURRENDERED]), en_n(&fm, w[W_WITHDRAWN], "notice", "notices"));
    if (!rp->group) {
        if (rp->targets[T_WANTED].set) text_target(o, &fm, rp, T_WANTED, " — ");
        fprintf(o, "\n");
    }
    if (rp->ngroups) fprintf(o, vi ? "Theo nhóm tội phạm:\n" : "By crime group:\n");
    for (int i = 0; i < rp->ngroups; i++) {
        const figures_t *g = &rp->groups[i].f;
        fprintf(
            o, vi ? "  %s: xảy ra %s, khám phá %s, tỷ lệ " : "  %s: %s occurred, %s cleared, rate ",
            rp->groups[i].name, cnt(&fm, g->n[C_OCC]), cnt(&fm, g->n[C_CLR]));
        text_two_rates(o, &fm, rp, g, C_CLR_CARRY, C_CLR_PLAIN, g->n[C_CARRY]);
        fprintf(o,
                vi ? "; trọng án: xảy ra %s, khám phá %s, tỷ lệ "
                   : "; major cases: %s occurred, %s cleared, rate ",
                cnt(&fm, g->n[C_MOCC]), cnt(&fm, g->n[C_MCLR]));
        text_two_rates(o, &fm, rp, g, C_MCLR_CARRY, C_MCLR_PLAIN, g->n[C_MCARRY]);
        fprintf(o, "\n");
    }
    for (int i = 0; i < rp->npartials; i++) {
        const partial_t *p = &rp->partials[i];
        if (!i)
            fprintf(o, vi ? "Gồm cả đơn vị chỉ nhập một phần (tính toàn bộ số liệu của đơn vị cũ, "
                            "không chia tách):\n"
                          : "Includes units merged in part (each counted whole, not "
                            "apportioned):\n");
        fprintf(o, vi ? "  %s %s (nay thuộc %s)\n" : "  %s %s (now part of %s)\n", p->code, p->name,
                p->successors);
    }
    if (fm.dashes)
        fprintf(o, vi ? "—: không có số liệu (không có vụ việc nào để tính tỷ lệ)\n"
                      : "—: no data (nothing to compute the rate from)\n");
}

/* ---- CSV and JSON -------------------------------------------------------- */

/* A figure as a machine reads it: integers, rates with two decimals, "" for
 * no data. The same text in CSV and JSON. */
static void machine_num(char *out, size_t cap, const figures_t *f, int col)
{
    if (f->null[col])
        out[0] = '\0';
    else if (COLS[col].rate)
        snprintf(out, cap, "%.2f", f->r[col]);
    else
        snprintf(out, cap, "%lld", f->n[col]);
}

static const char *target_source(const target_t *tg)
{
    return tg->from_table ? "table" : tg->from_default ? "default" : "flag";
}

static void target_text(char *out, size_t cap, double v)
{
    snprintf(out, cap, "%.2f", v);
    char *end = out + strlen(out);
    while (end[-1] == '0')
        *--end = '\0';
    if (end[-1] == '.') *--end = '\0';
}

static void render_csv(FILE *o, const report_t *rp)
{
    char a[48], b[48];
    fprintf(o, "figure,%d", rp->year);
    if (rp->cmp_year) fprintf(o, ",%d", rp->cmp_year);
    fprintf(o, "\n");
    for (int i = 0; i < C_N; i++) {
        machine_num(a, sizeof a, &rp->f, i);
        fprintf(o, "%s,%s", COLS[i].name, a);
        if (rp->cmp_year) {
            machine_num(b, sizeof b, &rp->cmp, i);
            fprintf(o, ",%s", b);
        }
        fprintf(o, "\n");
    }
    if (rp->cmp_year) {
        fprintf(o, "occurred_change,%lld\n", rp->diff);
        if (rp->has_pct)
            fprintf(o, "occurred_change_percent,%.2f\n", rp->pct);
        else
            fprintf(o, "occurred_change_percent,\n");
    }
    for (int i = 0; i < W_N; i++) {
        fprintf(o, "wanted_%s,%lld", WANTED_NAMES[i], rp->wanted[i]);
        if (rp->cmp_year) fprintf(o, ",%lld", rp->wanted_cmp[i]);
        fprintf(o, "\n");
    }
    for (int t = 0; t < T_N; t++) {
        const target_t *tg = &rp->targets[t];
        if (!tg->set) continue;
        target_text(a, sizeof a, tg->target);
        fprintf(o, "target_%s,%s\ntarget_%s_figure,%s\ntarget_%s_met,%s\n", TARGET_NAMES[t], a,
                TARGET_NAMES[t], t == T_WANTED ? "wanted_found" : COLS[tg->col].name,
                TARGET_NAMES[t],
                tg->met < 0 ? ""
                : tg->met   ? "true"
                            : "false");
        if (tg->met < 0)
            fprintf(o, "target_%s_margin,\n", TARGET_NAMES[t]);
        else if (t == T_WANTED)
            fprintf(o, "target_%s_margin,%lld\n", TARGET_NAMES[t], (long long)tg->margin);
        else
            fprintf(o, "target_%s_margin,%.2f\n", TARGET_NAMES[t], tg->margin);
        fprintf(o, "target_%s_source,%s\n", TARGET_NAMES[t], target_source(tg));
    }
    for (int i = 0; i < rp->npartials; i++)
        fprintf(o, "partial_unit,%s\n", rp->partials[i].code);
    for (int g = 0; g < rp->ngroups; g++)
        for (int i = 0; i < C_N; i++) {
            machine_num(a, sizeof a, &rp->groups[g].f, i);
            fprintf(o, "%s.%s,%s%s\n", rp->groups[g].slug, COLS[i].name, a,
                    rp->cmp_year ? "," : "");
        }
}

static json_object *json_figures(const figures_t *f)
{
    json_object *o = json_object_new_object();
    char s[48];
    for (int i = 0; i < C_N; i++) {
        json_object *v = NULL;
        if (!f->null[i]) {
            machine_num(s, sizeof s, f, i);
            v = COLS[i].rate ? json_object_new_double_s(f->r[i], s)
                             : json_object_new_int64(f->n[i]);
        }
        json_object_object_add(o, COLS[i].name, v);
    }
    return o;
}

static void render_json(FILE *out, const report_t *rp)
{
    char s[48];
    json_object *o = json_object_new_object();
    json_object_object_add(o, "unit", json_object_new_string(rp->unit));
    json_object_object_add(o, "name", json_object_new_string(rp->name));
    json_object_object_add(o, "year", json_object_new_int(rp->year));
    json_object_object_add(o, "from", json_object_new_string(rp->from));
    json_object_object_add(o, "to", json_object_new_string(rp->last));
    json_object_object_add(o, "crime_group", rp->group ? json_object_new_string(rp->group) : NULL);
    json_object_object_add(o, "convention",
                           json_object_new_string(rp->carry_first ? "carry" : "plain"));
    json_object_object_add(o, "figures", json_figures(&rp->f));
    if (rp->cmp_year) {
        json_object_object_add(o, "compare_year", json_object_new_int(rp->cmp_year));
        json_object_object_add(o, "compare", json_figures(&rp->cmp));
        json_object *ch = json_object_new_object();
        json_object_object_add(ch, "difference", json_object_new_int64(rp->diff));
        snprintf(s, sizeof s, "%.2f", rp->pct);
        json_object_object_add(ch, "percent",
                               rp->has_pct ? json_object_new_double_s(rp->pct, s) : NULL);
        json_object *changes = json_object_new_object();
        json_object_object_add(changes, "occurred", ch);
        json_object_object_add(o, "change", changes);
    }
    json_object *tgs = json_object_new_object();
    for (int t = 0; t < T_N; t++) {
        const target_t *tg = &rp->targets[t];
        if (!tg->set) continue;
        json_object *j = json_object_new_object();
        target_text(s, sizeof s, tg->target);
        json_object_object_add(j, "target", json_object_new_double_s(tg->target, s));
        if (t == T_WANTED) { /* a count: integers */
            json_object_object_add(j, "figure", json_object_new_string("wanted_found"));
            json_object_object_add(j, "value", json_object_new_int64(rp->wanted[W_FOUND]));
            json_object_object_add(j, "met", json_object_new_boolean(tg->met));
            json_object_object_add(j, "margin", json_object_new_int64((long long)tg->margin));
        } else {
            json_object_object_add(j, "figure", json_object_new_string(COLS[tg->col].name));
            machine_num(s, sizeof s, &rp->f, tg->col);
            json_object_object_add(
                j, "value",
                rp->f.null[tg->col] ? NULL : json_object_new_double_s(rp->f.r[tg->col], s));
            json_object_object_add(j, "met", tg->met < 0 ? NULL : json_object_new_boolean(tg->met));
            snprintf(s, sizeof s, "%.2f", tg->margin);
            json_object_object_add(j, "margin",
                                   tg->met < 0 ? NULL : json_object_new_double_s(tg->margin, s));
        }
        json_object_object_add(j, "source", json_object_new_string(target_source(tg)));
        json_object_object_add(tgs, TARGET_NAMES[t], j);
    }
    json_object_object_add(o, "targets", tgs);
    for (int k = 0; k < (rp->cmp_year ? 2 : 1); k++) {
        json_object *w = json_object_new_object();
        for (int i = 0; i < W_N; i++)
            json_object_object_add(w, WANTED_NAMES[i],
                                   json_object_new_int64(k ? rp->wanted_cmp[i] : rp->wanted[i]));
        json_object_object_add(o, k ? "compare_wanted" : "wanted", w);
    }
    json_object *groups = json_object_new_array();
    for (int g = 0; g < rp->ngroups; g++) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "slug", json_object_new_string(rp->groups[g].slug));
        json_object_object_add(j, "name", json_object_new_string(rp->groups[g].name));
        json_object_object_add(j, "figures", json_figures(&rp->groups[g].f));
        json_object_array_add(groups, j);
    }
    json_object_object_add(o, "groups", groups);
    /* units counted whole in these figures though they were split */
    json_object *parts = json_object_new_array();
    for (int i = 0; i < rp->npartials; i++) {
        const partial_t *p = &rp->partials[i];
        json_object *j = json_object_new_object();
        json_object_object_add(j, "code", json_object_new_string(p->code));
        json_object_object_add(j, "name", json_object_new_string(p->name));
        json_object *succ = json_object_new_array();
        char copy[sizeof p->successors], *save = NULL;
        snprintf(copy, sizeof copy, "%s", p->successors);
        for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
            json_object_array_add(succ, json_object_new_string(t));
        json_object_object_add(j, "successors", succ);
        json_object_array_add(parts, j);
    }
    json_object_object_add(o, "partial_units", parts);
    fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
    json_object_put(o);
}

int report_write(db_t *c, const report_args_t *a, FILE *out, char *err, size_t errlen)
{
    report_t *rp = calloc(1, sizeof *rp);
    if (!rp) {
        snprintf(err, errlen, "out of memory");
        return ANTT_EXIT_SPOOL;
    }
    rp->unit = a->unit;
    rp->group = a->group;
    rp->year = a->year;
    rp->cmp_year = a->cmp_year;
    rp->vi = a->vi;
    rp->carry_first = a->carry_first;
    for (int t = 0; t < T_N; t++)
        if (a->target[t] >= 0) rp->targets[t].set = 1, rp->targets[t].target = a->target[t];
    char to[40], cfrom[40], cto[40], clast[40];
    const int mm = a->start_mm ? a->start_mm : 1, dd = a->start_dd ? a->start_dd : 1;
    period(rp->year, mm, dd, rp->from, to, rp->last);
    int code = check_names(c, rp, err, errlen);
    if (!code) code = fetch_targets(c, rp, err, errlen);
    for (int t = 0; t < T_N && !code; t++)
        if (!rp->targets[t].set && a->fallback[t] >= 0)
            rp->targets[t].set = 1, rp->targets[t].target = a->fallback[t],
            rp->targets[t].from_default = 1;
    if (!code) code = fetch_groups(c, rp, err, errlen);
    if (!code) code = fetch(c, a->unit, rp->from, to, a->group, rp->last, &rp->f, rp, err, errlen);
    if (!code) code = fetch_wanted(c, rp, rp->from, to, rp->wanted, err, errlen);
    if (!code && rp->cmp_year) {
        period(rp->cmp_year, mm, dd, cfrom, cto, clast);
        code = fetch(c, a->unit, cfrom, cto, a->group, rp->last, &rp->cmp, NULL, err, errlen);
        if (!code) code = fetch_wanted(c, rp, cfrom, cto, rp->wanted_cmp, err, errlen);
    }
    if (!code) code = fetch_partials(c, rp, err, errlen);
    if (!code) {
        keep_active_groups(rp);
        derive(rp);
        if (!a->format || !strcmp(a->format, "text"))
            render_text(out, rp);
        else if (!strcmp(a->format, "csv"))
            render_csv(out, rp);
        else
            render_json(out, rp);
    }
    free(rp);
    return code;
}
