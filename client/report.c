/* report.c — `antt report` (see report.h).
 *
 *   antt report --unit CODE --year 2023 [--compare 2022] [--group SLUG]
 *               [--targets clearance=80,tipoff=90] [--format text|csv|json]
 *               [--lang vi|en] [--convention carry|plain] [--year-start MM-DD]
 *               [--db CONNINFO]
 *
 * The statistical year starts on --year-start (default 01-01, the calendar
 * year; 12-15 is the police statistical year: "2023" = 15 Dec 2022 – 14 Dec
 * 2023). Each rate is given in both conventions, labelled; --convention (or
 * ANTT_RATE_CONVENTION) chooses the one shown first and compared with the
 * target. Every figure comes from antt.rates(): counts, never copied rates. */
#include "client/report.h"

#include <json-c/json.h>
#include <libpq-fe.h>
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
    if (v < 0 && o + 1 < cap) out[o++] = '-';
    for (size_t i = 0; i < intlen && o + 1 < cap; i++) {
        if (i && (intlen - i) % 3 == 0 && o + 1 < cap) out[o++] = vi ? '.' : ',';
        out[o++] = raw[i];
    }
    if (dot && decimals > 0)
        for (const char *p = dot; *p && o + 1 < cap; p++) out[o++] = *p == '.' ? (vi ? ',' : '.') : *p;
    out[o] = '\0';
}

/* The columns of antt.rates() this report shows. */
enum {
    C_OCC, C_CLR, C_SUS, C_CARRY, C_CLR_PLAIN, C_CLR_CARRY, C_MOCC, C_MCLR, C_MCARRY,
    C_MCLR_PLAIN, C_MCLR_CARRY, C_TREC, C_TTR, C_TRES, C_TCARRY, C_TTO_RESOLVE, C_TDONE, C_TRATE,
    C_TPLAIN, C_TOVER, C_TRA, C_TRD, C_TRI, C_DC, C_DS, C_N
};
static const char *const COLS[C_N] = {
    "occurred", "cleared", "suspects", "carried_over", "clearance_plain", "clearance_carry",
    "major_occurred", "major_cleared", "major_carried_over", "major_clearance_plain",
    "major_clearance_carry", "tipoffs_received", "tipoffs_transferred", "tipoffs_resumed",
    "tipoffs_carried_over", "tipoffs_to_resolve", "tipoffs_resolved", "resolution_rate",
    "resolution_plain", "tipoffs_overdue", "traffic_accidents", "traffic_deaths",
    "traffic_injuries", "drug_cases", "drug_suspects"};

typedef struct {
    double v[C_N];
    int null[C_N];
} figures_t;

static int fetch(PGconn *c, const char *unit, int year, const char *start, const char *group,
                 figures_t *f)
{
    char from[40], to[40];
    int mm = 1, dd = 1;
    sscanf(start, "%d-%d", &mm, &dd);
    /* A year starting after 1 January begins in the previous calendar year. */
    const int y0 = (mm == 1 && dd == 1) ? year : year - 1;
    snprintf(from, sizeof from, "%04d-%02d-%02d", y0, mm, dd);
    snprintf(to, sizeof to, "%04d-%02d-%02d", y0 + 1, mm, dd);
    const char *p[4] = {unit, from, to, group};
    PGresult *r = PQexecParams(c, "SELECT * FROM antt.rates($1, $2::date, $3::date, $4)", 4, NULL, p,
                               NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        fprintf(stderr, "antt report: %s", PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    for (int i = 0; i < C_N; i++) {
        int col = PQfnumber(r, COLS[i]);
        f->null[i] = col < 0 || PQgetisnull(r, 0, col);
        f->v[i] = f->null[i] ? 0 : atof(PQgetvalue(r, 0, col));
    }
    PQclear(r);
    return 0;
}

typedef struct {
    int vi, carry_first;
    double target_clear, target_tip; /* < 0: none */
} style_t;

static const char *pct(char *buf, size_t cap, const figures_t *f, int col, int vi)
{
    if (f->null[col]) return vi ? "không tính được" : "n/a";
    report_num(buf, cap, f->v[col], 2, vi);
    strncat(buf, "%", cap - strlen(buf) - 1);
    return buf;
}

/* "giảm 83 vụ (23,25%)" / "down 83 (-23.25%)". */
static void change(char *out, size_t cap, double now, double before, int vi, const char *unit_vi)
{
    double d = now - before;
    char n[32], p[32];
    report_num(n, sizeof n, fabs(d), -1, vi);
    if (before == 0) {
        snprintf(out, cap, vi ? "%s %s %s (năm so sánh: 0)" : "%s %s (comparison year: 0)",
                 vi ? (d >= 0 ? "tăng" : "giảm") : (d >= 0 ? "up" : "down"), n, vi ? unit_vi : "");
        return;
    }
    report_num(p, sizeof p, fabs(d) * 100.0 / before, 2, vi);
    if (d == 0) snprintf(out, cap, vi ? "không đổi" : "unchanged");
    else if (vi) snprintf(out, cap, "%s %s %s (%s%%)", d > 0 ? "tăng" : "giảm", n, unit_vi, p);
    else snprintf(out, cap, "%s %s (%s%s%%)", d > 0 ? "up" : "down", n, d > 0 ? "+" : "-", p);
}

static void text_report(const char *unit, const char *uname, int year, const figures_t *f,
                        const figures_t *cmp, int cmp_year, const style_t *st)
{
    const int vi = st->vi;
    char a[32], b[32], c[32], d[32], ch[96];
#define N(x) (report_num(a, sizeof a, (x), -1, vi), a)
    printf(vi ? "Báo cáo năm %d — %s (%s)\n" : "Year %d report — %s (%s)\n", year, uname, unit);
    printf(vi ? "Tội phạm: xảy ra %s vụ" : "Crimes: %s cases occurred", N(f->v[C_OCC]));
    if (cmp) {
        change(ch, sizeof ch, f->v[C_OCC], cmp->v[C_OCC], vi, "vụ");
        if (vi) printf(", so với năm %d %s", cmp_year, ch);
        else printf(", %s on %d", ch, cmp_year);
    }
    printf("\n");
    report_num(b, sizeof b, f->v[C_SUS], -1, vi);
    printf(vi ? "Điều tra làm rõ %s vụ (kể cả vụ năm trước), %s đối tượng\n"
              : "Cleared %s cases (including earlier ones), %s suspects\n",
           N(f->v[C_CLR]), b);
    const char *lc = vi ? "có tính tồn" : "with carry-over", *lp = vi ? "trên số xảy ra" : "plain";
    char lcn[96];
    snprintf(lcn, sizeof lcn, vi ? "%s; tồn đầu kỳ %s vụ" : "%s; %s carried over", lc, N(f->v[C_CARRY]));
    pct(c, sizeof c, f, C_CLR_CARRY, vi);
    pct(d, sizeof d, f, C_CLR_PLAIN, vi);
    printf(vi ? "Tỷ lệ khám phá: %s (%s); %s (%s)\n" : "Clearance rate: %s (%s); %s (%s)\n",
           st->carry_first ? c : d, st->carry_first ? lcn : lp, st->carry_first ? d : c,
           st->carry_first ? lp : lcn);
    if (st->target_clear >= 0) {
        double r = f->v[st->carry_first ? C_CLR_CARRY : C_CLR_PLAIN];
        report_num(a, sizeof a, st->target_clear, -1, vi);
        printf(vi ? "  chỉ tiêu %s%%: %s\n" : "  target %s%%: %s\n", a,
               vi ? (r >= st->target_clear ? "đạt" : "không đạt") : (r >= st->target_clear ? "met" : "not met"));
    }
    pct(c, sizeof c, f, C_MCLR_CARRY, vi);
    pct(d, sizeof d, f, C_MCLR_PLAIN, vi);
    printf(vi ? "Trọng án: xảy ra %s vụ, khám phá %s; tỷ lệ %s (%s); %s (%s)\n"
              : "Major cases: %s occurred, %s cleared; rate %s (%s); %s (%s)\n",
           N(f->v[C_MOCC]), (report_num(b, sizeof b, f->v[C_MCLR], -1, vi), b),
           st->carry_first ? c : d, st->carry_first ? lc : lp, st->carry_first ? d : c,
           st->carry_first ? lp : lc);
    report_num(b, sizeof b, f->v[C_TTR], -1, vi);
    printf(vi ? "Tố giác, tin báo, kiến nghị khởi tố: tiếp nhận %s, chuyển %s, " : "Tip-offs: %s received, %s transferred, ",
           N(f->v[C_TREC]), b);
    report_num(a, sizeof a, f->v[C_TTO_RESOLVE], -1, vi);
    report_num(b, sizeof b, f->v[C_TDONE], -1, vi);
    printf(vi ? "phải giải quyết %s, đã giải quyết %s\n" : "%s to be resolved, %s resolved\n", a, b);
    pct(c, sizeof c, f, C_TRATE, vi);
    pct(d, sizeof d, f, C_TPLAIN, vi);
    printf(vi ? "Tỷ lệ giải quyết: %s (%s); %s (%s)" : "Resolution rate: %s (%s); %s (%s)",
           st->carry_first ? c : d, st->carry_first ? (vi ? "trên số phải giải quyết" : "of those to be resolved")
                                                    : (vi ? "trên số tiếp nhận" : "of those received"),
           st->carry_first ? d : c, st->carry_first ? (vi ? "trên số tiếp nhận" : "of those received")
                                                    : (vi ? "trên số phải giải quyết" : "of those to be resolved"));
    if (st->target_tip >= 0) {
        double r = f->v[st->carry_first ? C_TRATE : C_TPLAIN];
        report_num(a, sizeof a, st->target_tip, -1, vi);
        printf(vi ? " — chỉ tiêu %s%%: %s" : " — target %s%%: %s", a,
               vi ? (r >= st->target_tip ? "đạt" : "không đạt") : (r >= st->target_tip ? "met" : "not met"));
    }
    printf("\n");
    printf(vi ? "Quá hạn hiện tại: %s\n" : "Overdue now: %s\n", N(f->v[C_TOVER]));
    report_num(b, sizeof b, f->v[C_TRD], -1, vi);
    report_num(c, sizeof c, f->v[C_TRI], -1, vi);
    printf(vi ? "Tai nạn giao thông: %s vụ, %s người chết, %s người bị thương\n"
              : "Traffic accidents: %s, %s deaths, %s injured\n",
           N(f->v[C_TRA]), b, c);
    report_num(b, sizeof b, f->v[C_DS], -1, vi);
    printf(vi ? "Ma túy: %s vụ, %s đối tượng\n" : "Drugs: %s cases, %s suspects\n", N(f->v[C_DC]), b);
#undef N
}

int report_main(int argc, char **argv)
{
    const char *unit = NULL, *fmt = "text", *lang = "vi", *dsn = "", *group = NULL,
               *start = "01-01", *targets = NULL;
    const char *conv = getenv("ANTT_RATE_CONVENTION");
    int year = 0, cmp_year = 0;
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--help")) {
            printf("usage: antt report --unit CODE --year YYYY [--compare YYYY] [--group SLUG]\n"
                   "                   [--targets clearance=80,tipoff=90] [--format text|csv|json]\n"
                   "                   [--lang vi|en] [--convention carry|plain] [--year-start MM-DD]\n"
                   "                   [--db CONNINFO]\n"
                   "The year-end figures of a unit's subtree (or group:NAME), from the tallies.\n");
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "antt report: %s needs a value\n", o);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(o, "--unit")) unit = v;
        else if (!strcmp(o, "--year")) year = atoi(v);
        else if (!strcmp(o, "--compare")) cmp_year = atoi(v);
        else if (!strcmp(o, "--group")) group = v;
        else if (!strcmp(o, "--targets")) targets = v;
        else if (!strcmp(o, "--format")) fmt = v;
        else if (!strcmp(o, "--lang")) lang = v;
        else if (!strcmp(o, "--convention")) conv = v;
        else if (!strcmp(o, "--year-start")) start = v;
        else if (!strcmp(o, "--db")) dsn = v;
        else {
            fprintf(stderr, "antt report: unknown option %s\n", o);
            return 2;
        }
    }
    int mm = 0, dd = 0;
    if (!unit || year < 2000 || year > 2100 || sscanf(start, "%d-%d", &mm, &dd) != 2 || mm < 1 ||
        mm > 12 || dd < 1 || dd > 28 ||
        (strcmp(fmt, "text") && strcmp(fmt, "csv") && strcmp(fmt, "json")) ||
        (strcmp(lang, "vi") && strcmp(lang, "en")) ||
        (conv && strcmp(conv, "carry") && strcmp(conv, "plain"))) {
        fprintf(stderr, "antt report: --unit and --year are required; --format text|csv|json, "
                        "--lang vi|en, --convention carry|plain, --year-start MM-DD (day <= 28)\n");
        return 2;
    }
    style_t st = {.vi = !strcmp(lang, "vi"), .carry_first = !conv || !strcmp(conv, "carry"),
                  .target_clear = -1, .target_tip = -1};
    if (targets) {
        char *copy = strdup(targets), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (!strncmp(t, "clearance=", 10)) st.target_clear = atof(t + 10);
            else if (!strncmp(t, "tipoff=", 7)) st.target_tip = atof(t + 7);
            else {
                fprintf(stderr, "antt report: --targets clearance=N,tipoff=N\n");
                free(copy);
                return 2;
            }
        }
        free(copy);
    }
    PGconn *c = PQconnectdb(dsn);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "antt report: %s", PQerrorMessage(c));
        PQfinish(c);
        return 4;
    }
    figures_t f, cmp;
    char uname[256] = "";
    const char *p1[1] = {unit};
    PGresult *r = PQexecParams(c, "SELECT name FROM antt.units WHERE code = $1", 1, NULL, p1, NULL, NULL, 0);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        snprintf(uname, sizeof uname, "%s", PQgetvalue(r, 0, 0));
    else snprintf(uname, sizeof uname, "%s", unit);
    PQclear(r);
    if (fetch(c, unit, year, start, group, &f) < 0 ||
        (cmp_year && fetch(c, unit, cmp_year, start, group, &cmp) < 0)) {
        PQfinish(c);
        return 4;
    }
    /* Per crime group (text): the headline rate of most reports is social order's. */
    typedef struct {
        char slug[40], name[128];
        figures_t f;
    } grp_t;
    grp_t groups[32];
    int ngroups = 0;
    if (!strcmp(fmt, "text") && !group) {
        r = PQexec(c, "SELECT slug, name_vi, name_en FROM antt.crime_groups WHERE is_crime ORDER BY slug");
        for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r) && ngroups < 32; i++) {
            grp_t *g = &groups[ngroups];
            snprintf(g->slug, sizeof g->slug, "%s", PQgetvalue(r, i, 0));
            snprintf(g->name, sizeof g->name, "%s", PQgetvalue(r, i, st.vi ? 1 : 2));
            if (fetch(c, unit, year, start, g->slug, &g->f) == 0 && g->f.v[C_OCC] + g->f.v[C_CLR] > 0)
                ngroups++;
        }
        PQclear(r);
    }
    PQfinish(c);
    if (!strcmp(fmt, "text")) {
        text_report(unit, uname, year, &f, cmp_year ? &cmp : NULL, cmp_year, &st);
        if (ngroups) printf(st.vi ? "Theo nhóm tội phạm:\n" : "By crime group:\n");
        for (int i = 0; i < ngroups; i++) {
            const figures_t *g = &groups[i].f;
            char a[32], b[32], x[32], y[32], mx[32];
            pct(mx, sizeof mx, g, st.carry_first ? C_MCLR_CARRY : C_MCLR_PLAIN, st.vi);
            report_num(a, sizeof a, g->v[C_OCC], -1, st.vi);
            report_num(b, sizeof b, g->v[C_CLR], -1, st.vi);
            pct(x, sizeof x, g, st.carry_first ? C_CLR_CARRY : C_CLR_PLAIN, st.vi);
            pct(y, sizeof y, g, st.carry_first ? C_CLR_PLAIN : C_CLR_CARRY, st.vi);
            printf(st.vi ? "  %s: xảy ra %s, khám phá %s, tỷ lệ %s (%s), %s (%s); trọng án %s\n"
                         : "  %s: %s occurred, %s cleared, rate %s (%s), %s (%s); major cases %s\n",
                   groups[i].name, a, b, x,
                   st.carry_first ? (st.vi ? "có tính tồn" : "with carry-over") : (st.vi ? "trên số xảy ra" : "plain"),
                   y, st.carry_first ? (st.vi ? "trên số xảy ra" : "plain") : (st.vi ? "có tính tồn" : "with carry-over"),
                   mx);
        }
    } else if (!strcmp(fmt, "csv")) {
        printf("figure,%d%s\n", year, cmp_year ? (snprintf(uname, sizeof uname, ",%d", cmp_year), uname) : "");
        for (int i = 0; i < C_N; i++) {
            printf("%s,", COLS[i]);
            if (!f.null[i]) printf("%g", f.v[i]);
            if (cmp_year) {
                printf(",");
                if (!cmp.null[i]) printf("%g", cmp.v[i]);
            }
            printf("\n");
        }
    } else {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "unit", json_object_new_string(unit));
        json_object_object_add(o, "name", json_object_new_string(uname));
        json_object_object_add(o, "year", json_object_new_int(year));
        json_object *fig = json_object_new_object();
        for (int i = 0; i < C_N; i++)
            json_object_object_add(fig, COLS[i], f.null[i] ? NULL : json_object_new_double(f.v[i]));
        json_object_object_add(o, "figures", fig);
        if (cmp_year) {
            json_object *cf = json_object_new_object();
            for (int i = 0; i < C_N; i++)
                json_object_object_add(cf, COLS[i], cmp.null[i] ? NULL : json_object_new_double(cmp.v[i]));
            json_object_object_add(o, "compare_year", json_object_new_int(cmp_year));
            json_object_object_add(o, "compare", cf);
        }
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
        json_object_put(o);
    }
    return 0;
}
