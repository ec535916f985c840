/* test_apidoc.c — docs/http-api.md is what anttweb serves.
 *
 * The tables of the document that follow a "<!-- check: WHAT -->" line are
 * compared with the program:
 *   endpoints     every row is a row of the page table (web/server.c:
 *                 method, path, who may ask) and every row of the page
 *                 table is in it; a question's parameters are the ones
 *                 web/param.c lets it take, in bold those it needs
 *   parameters    every parameter param.c knows, and only those; each
 *                 bound written is where param.c's acceptance stops
 *   period-days N the longest period param.c accepts is N days
 * (the examples at its end are sent to a running anttweb by
 * tests/integration/test_web.c). */
#include "proto/ts.h"
#include "web/param.h"
#include "web/server.h"

#include "fixtures.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *doc;

static void load(void)
{
    doc = fx_slurp(ANTT_SOURCE_DIR "/docs/http-api.md");
}

static void unload(void)
{
    free(doc);
}

TestSuite(apidoc, .init = load, .fini = unload);

#define MAXROWS 64
#define MAXCELL 8

/* A table's rows (header and separator skipped), each cell trimmed. */
typedef struct {
    char cell[MAXROWS][MAXCELL][256];
    int ncell[MAXROWS];
    int n;
} table_t;

static void trim_into(char *out, size_t cap, const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    cr_assert_lt(n, cap, "a cell too long: %.*s", (int)n, s);
    memcpy(out, s, n);
    out[n] = '\0';
}

/* The table after the marker "<!-- check: what -->". */
static void table_after(const char *what, table_t *t)
{
    char marker[64];
    snprintf(marker, sizeof marker, "<!-- check: %s -->\n", what);
    const char *p = strstr(doc, marker);
    cr_assert(p, "docs/http-api.md has no %s", marker);
    p += strlen(marker);
    memset(t, 0, sizeof *t);
    for (int line = 0; *p == '|'; line++) {
        const char *eol = strchr(p, '\n');
        if (!eol) eol = p + strlen(p);
        if (line >= 2) { /* past the header and its separator */
            cr_assert_lt(t->n, MAXROWS);
            int k = 0;
            for (const char *c = p + 1; c < eol && k < MAXCELL;) {
                const char *bar = memchr(c, '|', (size_t)(eol - c));
                if (!bar) break;
                trim_into(t->cell[t->n][k++], 256, c, (size_t)(bar - c));
                c = bar + 1;
            }
            t->ncell[t->n++] = k;
        }
        p = *eol ? eol + 1 : eol;
    }
    cr_assert_gt(t->n, 0, "the %s table is empty", what);
}

static const char *who_name(server_who_t w)
{
    return w == SERVER_OPEN ? "—" : w == SERVER_WHOEVER ? "if any" : "needed";
}

/* What the documented parameter cell says of name: 2 needed (bold), 1
 * taken, 0 absent. Every name in the cell must be one param.c knows. */
static int documented(const char *cell, const char *name)
{
    if (!strncmp(cell, "—", strlen("—"))) return 0;
    char copy[256];
    snprintf(copy, sizeof copy, "%s", cell);
    int found = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        const int bold = !strncmp(tok, "**", 2);
        char *bare = bold ? tok + 2 : tok;
        if (bold) {
            char *end = strstr(bare, "**");
            cr_assert(end, "unclosed bold in %s", cell);
            *end = '\0';
        }
        int known = 0;
        for (size_t i = 0; param_name(i); i++)
            known |= !strcmp(param_name(i), bare);
        cr_expect(known, "'%s' is documented but param.c knows no such parameter", bare);
        if (!strcmp(bare, name)) found = bold ? 2 : 1;
    }
    return found;
}

Test(apidoc, every_endpoint_served_is_documented_and_no_other)
{
    table_t t;
    table_after("endpoints", &t);
    size_t npages = 0;
    server_page_t pg;
    for (; server_page(npages, &pg) == 0; npages++) {
        int row = -1;
        for (int r = 0; r < t.n; r++)
            if (!strcmp(t.cell[r][0], pg.method) && !strcmp(t.cell[r][1], pg.path)) row = r;
        cr_expect_geq(row, 0, "%s %s is served but not documented", pg.method, pg.path);
        if (row < 0) continue;
        cr_expect_str_eq(t.cell[row][2], who_name(pg.who), "%s %s: the session", pg.method,
                         pg.path);
        if (!pg.question) {
            cr_expect(!strncmp(t.cell[row][3], "—", strlen("—")),
                      "%s %s takes no query parameters: %s", pg.method, pg.path, t.cell[row][3]);
            continue;
        }
        const char *q = strrchr(pg.path, '/') + 1;
        cr_expect(param_known(q), "%s: param.c does not know the question", pg.path);
        for (size_t i = 0; param_name(i); i++)
            cr_expect_eq(documented(t.cell[row][3], param_name(i)), param_takes(q, param_name(i)),
                         "%s %s, parameter %s: documented %d, param.c %d (2 needed, 1 taken)",
                         pg.method, pg.path, param_name(i),
                         documented(t.cell[row][3], param_name(i)), param_takes(q, param_name(i)));
    }
    for (int r = 0; r < t.n; r++) {
        int served = 0;
        for (size_t i = 0; server_page(i, &pg) == 0; i++)
            served |= !strcmp(t.cell[r][0], pg.method) && !strcmp(t.cell[r][1], pg.path);
        cr_expect(served, "%s %s is documented but not served", t.cell[r][0], t.cell[r][1]);
    }
    cr_expect_eq((size_t)t.n, npages, "rows documented and served");
}

/* A question that takes the parameter called name. */
static const char *taker(const char *name)
{
    server_page_t pg;
    for (size_t i = 0; server_page(i, &pg) == 0; i++)
        if (pg.question && param_takes(strrchr(pg.path, '/') + 1, name))
            return strrchr(pg.path, '/') + 1;
    cr_assert_fail("no endpoint takes %s", name);
    return NULL;
}

/* param_take of one value alone: 0 or -1. */
static int take(const char *name, const char *v, size_t n)
{
    param_t p;
    char why[200];
    memset(&p, 0, sizeof p);
    return param_take(&p, taker(name), name, strlen(name), v, n, why, sizeof why);
}

static int take_str(const char *name, const char *v)
{
    return take(name, v, strlen(v));
}

static void day_text(long day, char out[16])
{
    int y, m, d;
    ts_civil_from_days((int32_t)day, &y, &m, &d);
    snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
}

/* The bounds of a row hold for name: its min and max taken, past them not. */
static void check_bounds(const char *name, const char *unit, const char *min, const char *max)
{
    if (!strcmp(unit, "day")) {
        char before[16];
        day_text(param_day_number(min) - 1, before);
        cr_expect_eq(take_str(name, min), 0, "%s=%s is documented as taken", name, min);
        cr_expect_eq(take_str(name, max), 0, "%s=%s is documented as taken", name, max);
        cr_expect_eq(take_str(name, before), -1, "%s=%s is before the documented min", name,
                     before);
        cr_expect_eq(take_str(name, "10000-01-01"), -1, "%s: past %s", name, max);
    } else if (!strcmp(unit, "bytes")) {
        const long lo = atol(min), hi = atol(max);
        char v[512];
        cr_assert_lt(hi, (long)sizeof v);
        memset(v, 'a', sizeof v);
        cr_expect_eq(take(name, v, (size_t)lo), 0, "%s of %ld bytes is documented as taken", name,
                     lo);
        cr_expect_eq(take(name, v, (size_t)hi), 0, "%s of %ld bytes is documented as taken", name,
                     hi);
        cr_expect_eq(take(name, v, (size_t)hi + 1), -1, "%s of %ld bytes is past the max", name,
                     hi + 1);
    } else { /* whole numbers: days, years */
        const long lo = atol(min), hi = atol(max);
        char v[32];
        snprintf(v, sizeof v, "%ld", lo);
        cr_expect_eq(take_str(name, v), 0, "%s=%s is documented as taken", name, v);
        snprintf(v, sizeof v, "%ld", hi);
        cr_expect_eq(take_str(name, v), 0, "%s=%s is documented as taken", name, v);
        snprintf(v, sizeof v, "%ld", lo - 1);
        cr_expect_eq(take_str(name, v), -1, "%s=%s is below the documented min", name, v);
        snprintf(v, sizeof v, "%ld", hi + 1);
        cr_expect_eq(take_str(name, v), -1, "%s=%s is above the documented max", name, v);
    }
}

/* Each `word` of the cell taken as a value of name, and no other. */
static void check_words(const char *name, const char *cell)
{
    int words = 0;
    for (const char *p = strchr(cell, '`'); p; p = strchr(p + 1, '`')) {
        const char *q = strchr(p + 1, '`');
        cr_assert(q, "unclosed ` in %s", cell);
        cr_expect_eq(take(name, p + 1, (size_t)(q - p - 1)), 0, "%s=%.*s is documented as taken",
                     name, (int)(q - p - 1), p + 1);
        words++;
        p = q;
    }
    cr_expect_gt(words, 0, "%s: which values?", name);
    cr_expect_eq(take_str(name, "xx"), -1, "%s takes a value not documented", name);
}

Test(apidoc, every_parameter_and_its_bounds_are_param_cs)
{
    table_t t;
    table_after("parameters", &t);
    for (size_t i = 0; param_name(i); i++) {
        int rows = 0;
        for (int r = 0; r < t.n; r++)
            rows += !strcmp(t.cell[r][0], param_name(i));
        cr_expect_eq(rows, 1, "parameter %s: documented %d times", param_name(i), rows);
    }
    for (int r = 0; r < t.n; r++) {
        const char *name = t.cell[r][0], *unit = t.cell[r][2];
        int known = 0;
        for (size_t i = 0; param_name(i); i++)
            known |= !strcmp(param_name(i), name);
        cr_expect(known, "%s is documented but param.c knows no such parameter", name);
        if (!known) continue;
        cr_assert_eq(t.ncell[r], 5, "%s: name, takes, unit, min, max", name);
        if (!strcmp(unit, "one of"))
            check_words(name, t.cell[r][1]);
        else if (t.cell[r][3][0] || t.cell[r][4][0])
            check_bounds(name, unit, t.cell[r][3], t.cell[r][4]);
    }
}

Test(apidoc, the_longest_period_is_param_cs)
{
    const char *p = strstr(doc, "<!-- check: period-days ");
    cr_assert(p, "docs/http-api.md does not say the longest period");
    const long days = atol(p + strlen("<!-- check: period-days "));
    cr_assert_gt(days, 0);
    const long from = param_day_number("2001-01-01");
    char f[16], to[16], why[200];
    day_text(from, f);
    for (long extra = 0; extra <= 1; extra++) {
        day_text(from + days + extra, to);
        param_t q;
        memset(&q, 0, sizeof q);
        cr_assert_eq(param_take(&q, "months", "unit", 4, "20", 2, why, sizeof why), 0);
        cr_assert_eq(param_take(&q, "months", "from", 4, f, 10, why, sizeof why), 0);
        cr_assert_eq(param_take(&q, "months", "to", 2, to, 10, why, sizeof why), 0);
        cr_expect_eq(param_finish(&q, "months", why, sizeof why), extra ? -1 : 0,
                     "from %s to %s (%ld days)", f, to, days + extra);
    }
}
