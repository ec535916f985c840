/* admin.c — see admin.h. CSV files are parsed by PostgreSQL's COPY (FORMAT
 * csv): one well-tested parser, quoting included, and no row-by-row inserts. */
#include "db/admin.h"

#include "db/csvhead.h"
#include "db/sql.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail_res(PGresult *r, db_t *c, char *err, size_t errlen)
{
    db_result_error(r, c, NULL, err, errlen);
    PQclear(r);
    return -1;
}

static void rollback(db_t *c)
{
    char e[64];
    db_exec(c, "ROLLBACK", 0, NULL, NULL, NULL, e, sizeof e);
}

/* The one value of a one-row query (NULL: SQL NULL), copied. */
typedef struct {
    char v[320];
    int null, rows;
} one_t;

static int one_row(void *ctx, int n, const char *const *names, const char *const *v)
{
    (void)names;
    one_t *o = ctx;
    o->rows++;
    o->null = n < 1 || !v[0];
    snprintf(o->v, sizeof o->v, "%s", o->null ? "" : v[0]);
    return 0;
}

/* COPY the file's bytes into table (cols). */
static int copy_file(db_t *c, const char *path, const char *table, const char *cols, char *err,
                     size_t errlen)
{
    char sql[512];
    snprintf(sql, sizeof sql, "COPY %s (%s) FROM STDIN (FORMAT csv, HEADER true)", table, cols);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) return fail_res(r, c, err, errlen);
    PQclear(r);
    FILE *f = fopen(path, "rb");
    if (!f) {
        PQputCopyEnd(c, "cannot open file");
        PQclear(PQgetResult(c));
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char buf[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        if (PQputCopyData(c, buf, (int)n) != 1) rc = -1;
    fclose(f);
    PQputCopyEnd(c, rc ? "write failed" : NULL);
    r = PQgetResult(c);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        char sub[400];
        fail_res(r, c, sub, sizeof sub);
        snprintf(err, errlen, "%s: %s", path, sub);
        while ((r = PQgetResult(c)))
            PQclear(r);
        return -1;
    }
    PQclear(r);
    while ((r = PQgetResult(c)))
        PQclear(r);
    return rc;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Commits a change of the map and gives the planner its new shape at once:
 * on a fresh database autovacuum would come later, and until then the
 * scope queries are planned for empty tables (seconds instead of ms). */
static int commit_map(db_t *c, char *err, size_t errlen)
{
    if (db_exec(c, "COMMIT", 0, NULL, NULL, NULL, err, errlen) < 0) return -1;
    return db_exec(c, "ANALYZE antt.units, antt.unit_successors, antt.unit_groups, antt.unit_scope",
                   0, NULL, NULL, NULL, err, errlen);
}

int admin_load_units(db_t *c, const char *path, int *n, char *err, size_t errlen)
{
    const csv_format_t *fm = &CSV_FORMATS[CSV_UNITS];
    char cols[256];
    const char *src = base_name(path);
    long rows = 0;
    one_t orphans = {0};
    *n = 0;
    if (csvhead_read(path, fm->allowed, fm->required, cols, sizeof cols, err, errlen) < 0)
        return -1;
    if (db_exec(c, "BEGIN", 0, NULL, NULL, NULL, err, errlen) < 0) return -1;
    if (db_exec(c, SQL_LOAD_UNITS_STAGE, 0, NULL, NULL, NULL, err, errlen) < 0) goto fail;
    if (copy_file(c, path, "load_units", cols, err, errlen) < 0) goto fail;
    if (db_exec(c, SQL_LOAD_UNITS_SUPERSEDE, 0, NULL, NULL, NULL, err, errlen) < 0 ||
        db_exec(c, SQL_LOAD_UNITS_APPLY, 1, &src, &rows, NULL, err, errlen) < 0)
        goto fail;
    *n = (int)rows;
    if (db_rows(c, SQL_LOAD_UNITS_ORPHANS, 1, &src, one_row, &orphans, err, errlen) < 0) goto fail;
    if (!orphans.null) {
        snprintf(err, errlen, "%s: parent not found (in the file or loaded before) for: %.300s",
                 path, orphans.v);
        goto fail;
    }
    return commit_map(c, err, errlen);
fail:
    rollback(c);
    return -1;
}

/* A CSV file whose columns are exactly `cols`, staged into a temporary
 * table and applied in one transaction; *n is the rows the apply touched. */
static int load_simple(db_t *c, const char *path, csv_kind_t kind, const char *stage,
                       const char *table, const char *apply, int *n, char *err, size_t errlen)
{
    char list[128];
    long rows = 0;
    *n = 0;
    const csv_format_t *fm = &CSV_FORMATS[kind];
    if (csvhead_read(path, fm->allowed, fm->required, list, sizeof list, err, errlen) < 0)
        return -1;
    if (db_exec(c, "BEGIN", 0, NULL, NULL, NULL, err, errlen) < 0) return -1;
    if (db_exec(c, stage, 0, NULL, NULL, NULL, err, errlen) < 0 ||
        copy_file(c, path, table, list, err, errlen) < 0 ||
        db_exec(c, apply, 0, NULL, &rows, NULL, err, errlen) < 0) {
        rollback(c);
        return -1;
    }
    *n = (int)rows;
    return db_exec(c, "COMMIT", 0, NULL, NULL, NULL, err, errlen);
}

int admin_load_groups(db_t *c, const char *path, int *n, char *err, size_t errlen)
{
    return load_simple(c, path, CSV_GROUPS, SQL_LOAD_GROUPS_STAGE, "load_groups",
                       SQL_LOAD_GROUPS_APPLY, n, err, errlen);
}

int admin_load_days_off(db_t *c, const char *path, int *n, char *err, size_t errlen)
{
    return load_simple(c, path, CSV_DAYS_OFF, SQL_LOAD_DAYS_OFF_STAGE, "load_days_off",
                       SQL_LOAD_DAYS_OFF_APPLY, n, err, errlen);
}

int admin_load_successors(db_t *c, const char *path, int *n, char *err, size_t errlen)
{
    const csv_format_t *fm = &CSV_FORMATS[CSV_SUCCESSORS];
    char cols[256];
    long rows = 0;
    *n = 0;
    if (csvhead_read(path, fm->allowed, fm->required, cols, sizeof cols, err, errlen) < 0)
        return -1;
    char mapped[256];
    size_t o = 0;
    for (char *save = NULL, *tok = strtok_r(cols, ", ", &save); tok;
         tok = strtok_r(NULL, ", ", &save))
        o += (size_t)snprintf(mapped + o, sizeof mapped - o, "%s%s", o ? ", " : "",
                              !strcmp(tok, "old_code")   ? "code"
                              : !strcmp(tok, "new_code") ? "successor"
                                                         : tok);
    if (!strstr(mapped, "code") || !strstr(mapped, "successor")) {
        snprintf(err, errlen, "%s: the header names no code/old_code or successor/new_code", path);
        return -1;
    }
    if (db_exec(c, "BEGIN", 0, NULL, NULL, NULL, err, errlen) < 0) return -1;
    if (db_exec(c, SQL_LOAD_SUCCESSORS_STAGE, 0, NULL, NULL, NULL, err, errlen) < 0 ||
        copy_file(c, path, "load_successors", mapped, err, errlen) < 0 ||
        db_exec(c, SQL_LOAD_SUCCESSORS_APPLY, 0, NULL, &rows, NULL, err, errlen) < 0) {
        rollback(c);
        return -1;
    }
    *n = (int)rows;
    return commit_map(c, err, errlen);
}

static int count_row(void *ctx, int n, const char *const *names, const char *const *v)
{
    (void)n, (void)names;
    *(long *)ctx = v[0] ? atol(v[0]) : 0;
    return 0;
}

long admin_stranded_tallies(db_t *c, char *err, size_t errlen)
{
    long n = 0;
    return db_rows(c, SQL_STRANDED_TALLIES, 0, NULL, count_row, &n, err, errlen) < 0 ? -1 : n;
}

static int first_unit(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)ncols, (void)names;
    char *out = ctx;
    if (!out[0]) snprintf(out, 64, "%s", v[0] ? v[0] : "");
    return 0;
}

int admin_load_targets(db_t *c, const char *path, int *n, char *err, size_t errlen)
{
    const csv_format_t *fm = &CSV_FORMATS[CSV_TARGETS];
    char cols[128], unknown[64] = "";
    long rows = 0;
    *n = 0;
    if (csvhead_read(path, fm->allowed, fm->required, cols, sizeof cols, err, errlen) < 0)
        return -1;
    if (db_exec(c, "BEGIN", 0, NULL, NULL, NULL, err, errlen) < 0) return -1;
    if (db_exec(c, SQL_LOAD_TARGETS_STAGE, 0, NULL, NULL, NULL, err, errlen) < 0 ||
        copy_file(c, path, "load_targets", cols, err, errlen) < 0 ||
        db_rows(c, SQL_LOAD_TARGETS_CHECK, 0, NULL, first_unit, unknown, err, errlen) < 0)
        goto fail;
    if (unknown[0]) {
        snprintf(err, errlen, "%s: unit '%s' is not in antt.units (nor 'all', nor a group)", path,
                 unknown);
        goto fail;
    }
    if (db_exec(c, SQL_LOAD_TARGETS_APPLY, 0, NULL, &rows, NULL, err, errlen) < 0) goto fail;
    *n = (int)rows;
    return db_exec(c, "COMMIT", 0, NULL, NULL, NULL, err, errlen);
fail:
    rollback(c);
    return -1;
}

int admin_load_clusters(db_t *c, const char *path, int *n, char *err, size_t errlen)
{
    return load_simple(c, path, CSV_CLUSTERS, SQL_LOAD_CLUSTERS_STAGE, "load_clusters",
                       SQL_LOAD_CLUSTERS_APPLY, n, err, errlen);
}

admin_rc_t admin_enroll(db_t *c, admin_kind_t kind, int n, const char *const *names,
                        const char *const *units, const char *const *keys, int replace,
                        int *changed, int *inserted, char *err, size_t errlen)
{
    char *a[3] = {db_text_array(n, names), db_text_array(n, units), db_text_array(n, keys)};
    const char *p[4] = {a[0], a[1], a[2], replace ? "t" : "f"};
    admin_rc_t rc = ADMIN_DB;
    *changed = *inserted = 0;
    if (!a[0] || !a[1] || !a[2]) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    /* One statement, whoever enrols (anttd --add-node, antt node add, antt
     * load --enroll): rows with no key keep the one they have. */
    PGresult *r = PQexecParams(c, kind == ADMIN_NODES ? SQL_ENROL_NODES : SQL_ENROL_SUBSCRIBERS, 4,
                               NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        *changed = PQntuples(r);
        for (int i = 0; i < *changed; i++)
            *inserted += PQgetvalue(r, i, 0)[0] == 't';
        rc = *changed ? ADMIN_OK : ADMIN_EXISTS;
        if (!*changed)
            snprintf(err, errlen, "already enrolled (replace to change its key or unit)");
    } else {
        const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        const char *constraint = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
        snprintf(err, errlen, "%s", PQresultErrorMessage(r));
        db_chomp(err);
        if (st && !strcmp(st, "23505") && constraint && strstr(constraint, "public_key"))
            rc = ADMIN_KEY_IN_USE;
        else if (st && !strcmp(st, "23503"))
            rc = ADMIN_NO_UNIT;
        else if (st && !strcmp(st, "23514"))
            rc = ADMIN_BAD_NAME;
    }
    PQclear(r);
out:
    for (int i = 0; i < 3; i++)
        free(a[i]);
    return rc;
}

int admin_add_nodes_under(db_t *c, const char *unit, const char *prefix, int *n, char *err,
                          size_t errlen)
{
    const char *p[2] = {unit, prefix};
    long rows = 0;
    if (db_exec(c, SQL_ADD_NODES_UNDER, 2, p, &rows, NULL, err, errlen) < 0) return -1;
    *n = (int)rows;
    return 0;
}

typedef struct {
    int found, revoked;
} revoke_t;

static int revoke_row(void *ctx, int n, const char *const *names, const char *const *v)
{
    (void)n, (void)names;
    revoke_t *r = ctx;
    r->found = 1;
    r->revoked = v[0] && v[0][0] == 't';
    return 0;
}

int admin_revoke(db_t *c, admin_kind_t kind, const char *name, int *found, int *revoked, char *err,
                 size_t errlen)
{
    revoke_t r = {0};
    const char *sql = kind == ADMIN_NODES         ? SQL_REVOKE_NODE
                      : kind == ADMIN_SUBSCRIBERS ? SQL_REVOKE_SUBSCRIBER
                                                  : SQL_REVOKE_VIEWER;
    if (db_rows(c, sql, 1, &name, revoke_row, &r, err, errlen) < 0) return -1;
    *found = r.found;
    *revoked = r.revoked;
    return 0;
}

int admin_list(db_t *c, admin_kind_t kind, const char *unit, db_row_fn fn, void *ctx, char *err,
               size_t errlen)
{
    if (kind == ADMIN_NODES) return db_rows(c, SQL_LIST_NODES, 1, &unit, fn, ctx, err, errlen);
    return db_rows(c, kind == ADMIN_SUBSCRIBERS ? SQL_LIST_SUBSCRIBERS : SQL_LIST_VIEWERS, 0, NULL,
                   fn, ctx, err, errlen);
}

static int set_row(void *ctx, int n, const char *const *names, const char *const *v)
{
    (void)n, (void)names;
    *(int *)ctx = v[0] && v[0][0] == 't' ? 1 : 0;
    return 0;
}

admin_rc_t admin_viewer_set(db_t *c, const char *name, const char *scope, const char *hash,
                            const char *lang, int replace, int *inserted, char *err, size_t errlen)
{
    const char *p[1] = {scope};
    long known = 0;
    if (scope && db_rows(c, SQL_SCOPE_KNOWN, 1, p, count_row, &known, err, errlen) < 0)
        return ADMIN_DB;
    if (scope && !known) {
        snprintf(err, errlen, "'%s' is not a unit of antt.units nor a group of antt.unit_groups",
                 scope);
        return ADMIN_NO_UNIT;
    }
    const char *q[5] = {name, scope, hash, lang, replace ? "t" : "f"};
    int got = -1;
    if (db_rows(c, SQL_VIEWER_SET, 5, q, set_row, &got, err, errlen) < 0)
        return strstr(err, "viewers_name_check") ? ADMIN_BAD_NAME : ADMIN_DB;
    if (got < 0) return ADMIN_EXISTS; /* no row: there, and not replaced */
    *inserted = got;
    return ADMIN_OK;
}
