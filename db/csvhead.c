/* csvhead.c — see csvhead.h. An earlier reader appended with
 * "o += snprintf(cols + o, cap - o, ...)", which runs past cap once a
 * header repeats its columns (o > cap makes cap - o huge): a stack overflow
 * from a file. Here every write is checked against what is left. */
#include "db/csvhead.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const UNITS[] = {"code",        "name",       "level",    "kind",
                                    "parent_code", "valid_from", "valid_to", NULL};
static const char *const UNITS_REQ[] = {"code", "name", "level", "kind", "parent_code", NULL};
/* ours (code,successor,effective[,share_note][,note]) or the official
 * conversion table's (old_code,new_code,effective,share_note,note) */
static const char *const SUCC[] = {"code",      "successor",  "old_code", "new_code",
                                   "effective", "share_note", "note",     NULL};
static const char *const SUCC_REQ[] = {"effective", NULL};
static const char *const GROUPS[] = {"slug", "name_vi", "name_en", "is_crime", NULL};
static const char *const CLUSTERS[] = {"cluster", "code", NULL};
static const char *const DAYS_OFF[] = {"day", "off", "name", "source", NULL};
static const char *const TARGETS[] = {"unit", "year", "figure", "target", "source", NULL};
static const char *const TARGETS_REQ[] = {"unit", "year", "figure", "target", NULL};

const csv_format_t CSV_FORMATS[CSV_KINDS] = {
    [CSV_UNITS] = {"units", UNITS, UNITS_REQ},
    [CSV_SUCCESSORS] = {"successors", SUCC, SUCC_REQ},
    [CSV_GROUPS] = {"crime groups", GROUPS, GROUPS},
    [CSV_CLUSTERS] = {"clusters", CLUSTERS, CLUSTERS},
    [CSV_DAYS_OFF] = {"days off", DAYS_OFF, DAYS_OFF},
    [CSV_TARGETS] = {"targets", TARGETS, TARGETS_REQ},
};

/* Append s to cols (length *o, capacity cap): 0, or -1 when it does not fit. */
static int append(char *cols, size_t cap, size_t *o, const char *s, size_t n)
{
    if (n >= cap - *o) return -1;
    memcpy(cols + *o, s, n);
    *o += n;
    cols[*o] = '\0';
    return 0;
}

static int name_index(const char *const *list, const char *p, size_t n)
{
    for (int i = 0; list[i]; i++)
        if (strlen(list[i]) == n && !memcmp(list[i], p, n)) return i;
    return -1;
}

/* A name for an error message: printable ASCII only, at most 40 bytes. */
static void shown(char out[48], const char *p, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < 40; i++)
        out[k++] = (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?';
    if (n > 40) out[k++] = '.', out[k++] = '.', out[k++] = '.';
    out[k] = '\0';
}

int csvhead_parse(const char *line, size_t n, const char *const *allowed,
                  const char *const *required, char *cols, size_t cap, char *err, size_t errlen)
{
    if (!cap) return -1;
    cols[0] = '\0';
    if (n >= 3 && !memcmp(line, "\xef\xbb\xbf", 3)) line += 3, n -= 3; /* a spreadsheet's BOM */
    const char *nl = memchr(line, '\n', n);
    if (nl) n = (size_t)(nl - line);
    if (n && line[n - 1] == '\r') n--;
    if (n > CSVHEAD_MAX) { /* the names, without the end of line */
        snprintf(err, errlen, "the header is over %d bytes", CSVHEAD_MAX);
        return -1;
    }
    if (!n) {
        snprintf(err, errlen, "the header is empty");
        return -1;
    }
    unsigned long long seen = 0; /* bit i: allowed[i] named */
    size_t o = 0;
    for (size_t at = 0; at <= n;) {
        const char *p = line + at;
        const char *comma = memchr(p, ',', n - at);
        const size_t len = comma ? (size_t)(comma - p) : n - at;
        char show[48];
        shown(show, p, len);
        const int i = name_index(allowed, p, len);
        if (i < 0 || i >= 64) {
            snprintf(err, errlen, "unknown column '%s' in the header", show);
            return -1;
        }
        if (seen & (1ULL << i)) {
            snprintf(err, errlen, "column '%s' appears twice in the header", show);
            return -1;
        }
        seen |= 1ULL << i;
        if ((o && append(cols, cap, &o, ", ", 2) < 0) || append(cols, cap, &o, p, len) < 0) {
            snprintf(err, errlen, "the header names too many columns");
            return -1;
        }
        at += len + 1;
    }
    for (const char *const *q = required; *q; q++) {
        const int i = name_index(allowed, *q, strlen(*q));
        if (i < 0 || !(seen & (1ULL << i))) {
            snprintf(err, errlen, "column '%s' is missing from the header", *q);
            return -1;
        }
    }
    return 0;
}

int csvhead_read(const char *path, const char *const *allowed, const char *const *required,
                 char *cols, size_t cap, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[CSVHEAD_MAX + 5]; /* a BOM, the names, CR LF */
    const size_t got = fread(line, 1, sizeof line, f);
    fclose(f);
    if (!got) {
        snprintf(err, errlen, "%s: empty file", path);
        return -1;
    }
    const char *nl = memchr(line, '\n', got);
    const size_t n = nl ? (size_t)(nl - line) + 1 : got;
    if (!nl && got == sizeof line) {
        snprintf(err, errlen, "%s: the header is over %d bytes", path, CSVHEAD_MAX);
        return -1;
    }
    char e[200];
    if (csvhead_parse(line, n, allowed, required, cols, cap, e, sizeof e) < 0) {
        snprintf(err, errlen, "%s: %s", path, e);
        return -1;
    }
    return 0;
}
