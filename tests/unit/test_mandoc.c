/* test_mandoc.c — the man pages say what the code does.
 *
 * anttd.conf(5) documents every key of the settings table (daemon/config.c)
 * and no other, each with the table's type, bounds, default and reload
 * rule; deploy/anttd.conf.example names every key; anttd(8) gives each
 * reference file's columns as the loader's header check (db/csvhead.c)
 * allows and requires them. */
#include "daemon/config.h"
#include "db/csvhead.h"

#include "fixtures.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text between `from` and `to` (exclusive) in doc, as a new string. */
static char *section(const char *doc, const char *from, const char *to)
{
    const char *a = strstr(doc, from);
    cr_assert(a, "no '%s' in the page", from);
    const char *b = strstr(a, to);
    cr_assert(b, "no '%s' after '%s'", to, from);
    return strndup(a, (size_t)(b - a));
}

/* A key's entry in anttd.conf(5): a line "*key*", then the line
 * "\tKIND. Default: DEF. Takes effect: on SIGHUP." (or "at restart."),
 * where KIND is "integer, MIN..MAX UNIT" for integers. */
typedef struct {
    char key[64], kind[512], unit[512], def[512];
    long min, max;
    int reloadable, has_bounds;
} entry_t;

static void parse_entry(const char *key, size_t keylen, const char *line, entry_t *e)
{
    memset(e, 0, sizeof *e);
    snprintf(e->key, sizeof e->key, "%.*s", (int)keylen, key);
    cr_assert_eq(line[0], '\t', "%s: no description under the key", e->key);
    const char *eol = strchr(line, '\n');
    cr_assert(eol);
    char spec[512];
    snprintf(spec, sizeof spec, "%.*s", (int)(eol - line - 1), line + 1);
    char *d = strstr(spec, ". Default: "), *w = strstr(spec, ". Takes effect: ");
    cr_assert(d && w && d < w, "%s: '%s' is not KIND. Default: DEF. Takes effect: WHEN.", e->key,
              spec);
    *d = '\0';
    *w = '\0';
    snprintf(e->def, sizeof e->def, "%s", d + 11);
    const char *when = w + 16;
    cr_assert(!strcmp(when, "on SIGHUP.") || !strcmp(when, "at restart."), "%s: takes effect '%s'",
              e->key, when);
    e->reloadable = !strcmp(when, "on SIGHUP.");
    if (!strncmp(spec, "integer, ", 9)) {
        int used = 0;
        cr_assert_eq(sscanf(spec + 9, "%ld..%ld %n", &e->min, &e->max, &used), 2,
                     "%s: bounds in '%s'", e->key, spec);
        snprintf(e->unit, sizeof e->unit, "%s", spec + 9 + used);
        e->has_bounds = 1;
        snprintf(e->kind, sizeof e->kind, "integer");
    } else {
        snprintf(e->kind, sizeof e->kind, "%s", spec);
    }
}

/* The default as the table writes it: strings and words in quotes, booleans
 * as false/true, integers bare. */
static void page_default(const entry_t *e, char *out, size_t cap)
{
    size_t n = strlen(e->def);
    if (n >= 2 && e->def[0] == '"' && e->def[n - 1] == '"')
        snprintf(out, cap, "%.*s", (int)(n - 2), e->def + 1);
    else if (!strcmp(e->kind, "boolean"))
        snprintf(out, cap, "%s",
                 !strcmp(e->def, "true")    ? "1"
                 : !strcmp(e->def, "false") ? "0"
                                            : "?");
    else { /* (a copy: gcc -O2 takes snprintf's %s here as unbounded) */
        const size_t m = n < cap ? n : cap - 1;
        memcpy(out, e->def, m);
        out[m] = '\0';
    }
}

/* Every "*key*" line of the KEYS section, in order; their count. */
static size_t page_entries(const char *keys, entry_t *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = keys; (p = strstr(p, "\n*"));) {
        p++;
        const char *end = strchr(p + 1, '*');
        cr_assert(end);
        int plain = 1;
        for (const char *c = p + 1; c < end; c++)
            plain &= islower((unsigned char)*c) || *c == '_';
        if (!plain || end[1] != '\n') continue;
        cr_assert_lt(n, cap);
        parse_entry(p + 1, (size_t)(end - p - 1), end + 2, &out[n++]);
    }
    return n;
}

Test(mandoc, anttd_conf_documents_every_key_of_the_table_as_it_is)
{
    char *doc = fx_slurp(ANTT_SOURCE_DIR "/daemon/anttd.conf.5.scd");
    char *keys = section(doc, "\n# KEYS\n", "\n# FILES\n");
    static entry_t pg[128];
    const size_t n = page_entries(keys, pg, sizeof pg / sizeof pg[0]);
    int seen[128] = {0};
    for (size_t i = 0; i < cfg_key_count(); i++) {
        cfg_key_info_t k;
        cr_assert_eq(cfg_key_info(i, &k), 0);
        size_t j = 0;
        while (j < n && strcmp(pg[j].key, k.key))
            j++;
        if (j == n) {
            cr_expect(0, "anttd.conf(5) does not document the key %s", k.key);
            continue;
        }
        cr_expect_eq(seen[j]++, 0, "%s is documented twice", k.key);
        const entry_t *e = &pg[j];
        cr_expect_str_eq(e->kind, k.kind, "%s: the page says %s, the table %s", k.key, e->kind,
                         k.kind);
        char def[512];
        page_default(e, def, sizeof def);
        cr_expect_str_eq(def, k.def, "%s: the page's default is %s, the table's \"%s\"", k.key,
                         e->def, k.def);
        if (!strcmp(k.kind, "integer")) {
            cr_expect(e->has_bounds && e->min == k.min && e->max == k.max,
                      "%s: the page's bounds %ld..%ld, the table's %ld..%ld", k.key, e->min, e->max,
                      k.min, k.max);
            cr_expect(e->unit[0], "%s: no unit", k.key);
        }
        cr_expect_eq(e->reloadable, k.reloadable, "%s: the page says it takes effect %s", k.key,
                     e->reloadable ? "on SIGHUP" : "at restart");
    }
    for (size_t j = 0; j < n; j++)
        cr_expect(seen[j], "anttd.conf(5) documents %s, which is not a setting", pg[j].key);
    free(keys);
    free(doc);
}

/* deploy/anttd.conf.example: every key is set or shown (`key = ...` or
 * `# key = ...`), and every key it sets exists. */
Test(mandoc, the_example_file_names_every_key_and_only_keys)
{
    char *ex = fx_slurp(ANTT_SOURCE_DIR "/deploy/anttd.conf.example");
    for (size_t i = 0; i < cfg_key_count(); i++) {
        const char *k = cfg_key_name(i, NULL);
        char set[96], shown[96];
        snprintf(set, sizeof set, "\n%s = ", k);
        snprintf(shown, sizeof shown, "\n# %s = ", k);
        cr_expect(strstr(ex, set) || strstr(ex, shown), "anttd.conf.example lacks %s", k);
    }
    char err[256];
    cfg_t c;
    cfg_defaults(&c);
    cr_expect_eq(cfg_load_file(&c, ANTT_SOURCE_DIR "/deploy/anttd.conf.example", err, sizeof err),
                 0, "%s", err);
    free(ex);
}

/* Names in a "Columns: a, b|c; optional: d, e." sentence: all (a, b, c,
 * d, e) and the required ones (a: a name alone before "optional"). */
static void columns(const char *s, char all[][32], size_t *nall, char req[][32], size_t *nreq)
{
    *nall = *nreq = 0;
    int optional = 0;
    for (const char *p = s; *p && *p != '.';) {
        if (!strncmp(p, "optional: ", 10)) {
            optional = 1;
            p += 10;
            continue;
        }
        size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
        cr_assert(len > 0 && len < 32, "a column list: '%.40s'", p);
        const int alt = p[len] == '|' || (p > s && p[-1] == '|');
        snprintf(all[(*nall)++], 32, "%.*s", (int)len, p);
        if (!optional && !alt) snprintf(req[(*nreq)++], 32, "%.*s", (int)len, p);
        p += len;
        p += strspn(p, "|,; ");
    }
}

static int listed(char list[][32], size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], name)) return 1;
    return 0;
}

static size_t count(const char *const *v)
{
    size_t n = 0;
    while (v[n])
        n++;
    return n;
}

/* Each --load-X paragraph of anttd(8) says "Columns: ..." as csvhead
 * checks the file's header line. */
Test(mandoc, anttd_gives_each_files_columns_as_the_loader_checks_them)
{
    static const struct {
        const char *option;
        csv_kind_t kind;
    } FILES[] = {
        {"*--load-units*", CSV_UNITS},       {"*--load-successors*", CSV_SUCCESSORS},
        {"*--load-groups*", CSV_GROUPS},     {"*--load-clusters*", CSV_CLUSTERS},
        {"*--load-days-off*", CSV_DAYS_OFF}, {"*--load-targets*", CSV_TARGETS},
    };
    char *doc = fx_slurp(ANTT_SOURCE_DIR "/daemon/anttd.8.scd");
    for (size_t i = 0; i < sizeof FILES / sizeof FILES[0]; i++) {
        const csv_format_t *fm = &CSV_FORMATS[FILES[i].kind];
        const char *p = strstr(doc, FILES[i].option);
        cr_assert(p, "anttd(8) lacks %s", FILES[i].option);
        const char *end = strstr(p, "\n\n");
        cr_assert(end);
        /* the paragraph on one line: wrapped lines start with a tab */
        char para[2048];
        size_t o = 0;
        for (const char *c = p; c < end && o + 1 < sizeof para; c++)
            if (*c == '\n' && c[1] == '\t') {
                para[o++] = ' ';
                c++;
            } else {
                para[o++] = *c;
            }
        para[o] = '\0';
        const char *cols = strstr(para, "Columns: ");
        cr_assert(cols, "%s: no 'Columns: ' in its paragraph", FILES[i].option);
        char all[16][32], req[16][32];
        size_t nall, nreq;
        columns(cols + 9, all, &nall, req, &nreq);
        for (size_t k = 0; fm->allowed[k]; k++)
            cr_expect(listed(all, nall, fm->allowed[k]),
                      "%s: the loader takes %s, the page omits it", fm->what, fm->allowed[k]);
        for (size_t k = 0; k < nall; k++) {
            int known = 0;
            for (size_t j = 0; fm->allowed[j]; j++)
                known |= !strcmp(fm->allowed[j], all[k]);
            cr_expect(known, "%s: the page names %s, which the loader refuses", fm->what, all[k]);
        }
        cr_expect_eq(nall, count(fm->allowed), "%s: each column once", fm->what);
        for (size_t k = 0; fm->required[k]; k++)
            cr_expect(listed(req, nreq, fm->required[k]),
                      "%s: %s is required, the page does not say so", fm->what, fm->required[k]);
        for (size_t k = 0; k < nreq; k++) {
            int needed = 0;
            for (size_t j = 0; fm->required[j]; j++)
                needed |= !strcmp(fm->required[j], req[k]);
            cr_expect(needed, "%s: the page requires %s, the loader does not", fm->what, req[k]);
        }
    }
    free(doc);
}

/* libantt(3)'s synopsis declares every function antt.h declares. */
Test(mandoc, libantt_documents_every_function_of_antt_h)
{
    char *h = fx_slurp(ANTT_SOURCE_DIR "/lib/antt.h");
    char *page = fx_slurp(ANTT_SOURCE_DIR "/lib/libantt.3.scd");
    char *syn = section(page, "\n# SYNOPSIS\n", "\n# DESCRIPTION\n");
    int n = 0;
    /* a declaration: a line that does not start with a blank or a comment,
     * naming antt_NAME( */
    for (const char *line = h; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "") {
        if (*line == ' ' || *line == '/' || *line == '#' || *line == '\n') continue;
        const char *eol = strchr(line, '\n');
        for (const char *p = strstr(line, "antt_"); p && (!eol || p < eol);
             p = strstr(p + 1, "antt_")) {
            const size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
            if (p[len] != '(') continue;
            char name[64];
            snprintf(name, sizeof name, "%.*s(", (int)len, p);
            const char *at = syn;
            while ((at = strstr(at + 1, name)) && at[-1] != ' ' && at[-1] != '*')
                ;
            cr_expect(at, "libantt(3) does not declare %s", name);
            n++;
        }
    }
    cr_expect_geq(n, 12, "antt.h's functions: %d", n);
    free(syn);
    free(page);
    free(h);
}
