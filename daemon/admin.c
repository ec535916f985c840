/* admin.c — see admin.h. CSV files are parsed by PostgreSQL's COPY (FORMAT
 * csv): one well-tested parser, quoting included, and no row-by-row inserts. */
#include "daemon/admin.h"

#include "daemon/sql.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail_res(PGresult *r, PGconn *c, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(c));
    size_t n = strlen(err);
    while (n && err[n - 1] == '\n')
        err[--n] = '\0';
    PQclear(r);
    return -1;
}

static int exec_params(PGconn *c, const char *sql, int n, const char *const *params, PGresult **out,
                       char *err, size_t errlen)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return fail_res(r, c, err, errlen);
    if (out)
        *out = r;
    else
        PQclear(r);
    return 0;
}

static void rollback(PGconn *c)
{
    PQclear(PQexec(c, "ROLLBACK"));
}

/* Read the header line of a CSV file and check its columns against the
 * allowed list; write them comma-separated into cols. */
static int csv_header(const char *path, const char *const *allowed, const char *const *required,
                      char *cols, size_t cap, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[512];
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        snprintf(err, errlen, "%s: empty file", path);
        return -1;
    }
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    cols[0] = '\0';
    size_t o = 0;
    for (char *save = NULL, *tok = strtok_r(line, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            ok |= !strcmp(*a, tok);
        if (!ok) {
            snprintf(err, errlen, "%s: unknown column '%s' in the header", path, tok);
            return -1;
        }
        o += (size_t)snprintf(cols + o, cap - o, "%s%s", o ? ", " : "", tok);
    }
    for (const char *const *q = required; *q; q++)
        if (!strstr(cols, *q)) {
            snprintf(err, errlen, "%s: column '%s' is missing from the header", path, *q);
            return -1;
        }
    return 0;
}

/* COPY the file's bytes into table (cols). */
static int copy_file(PGconn *c, const char *path, const char *table, const char *cols, char *err,
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

int admin_load_units(PGconn *c, const char *path, int *n, char *err, size_t errlen)
{
    static const char *const allowed[] = {"code",        "name",       "level",    "kind",
                                          "parent_code", "valid_from", "valid_to", NULL};
    static const char *const required[] = {"code", "name", "level", "kind", "parent_code", NULL};
    char cols[256];
    PGresult *r = NULL;
    const char *src = base_name(path);
    *n = 0;
    if (csv_header(path, allowed, required, cols, sizeof cols, err, errlen) < 0) return -1;
    if (exec_params(c, "BEGIN", 0, NULL, NULL, err, errlen) < 0) return -1;
    if (exec_params(c, SQL_LOAD_UNITS_STAGE, 0, NULL, NULL, err, errlen) < 0) goto fail;
    if (copy_file(c, path, "load_units", cols, err, errlen) < 0) goto fail;
    if (exec_params(c, SQL_LOAD_UNITS_APPLY, 1, &src, &r, err, errlen) < 0) goto fail;
    *n = atoi(PQcmdTuples(r));
    PQclear(r);
    if (exec_params(c, SQL_LOAD_UNITS_ORPHANS, 1, &src, &r, err, errlen) < 0) goto fail;
    if (!PQgetisnull(r, 0, 0)) {
        snprintf(err, errlen, "%s: parent not found (in the file or loaded before) for: %.300s",
                 path, PQgetvalue(r, 0, 0));
        PQclear(r);
        goto fail;
    }
    PQclear(r);
    return exec_params(c, "COMMIT", 0, NULL, NULL, err, errlen);
fail:
    rollback(c);
    return -1;
}

/* A CSV file whose columns are exactly `cols`, staged into a temporary
 * table and applied in one transaction; *n is the rows the apply touched. */
static int load_simple(PGconn *c, const char *path, const char *const *cols, const char *stage,
                       const char *table, const char *apply, int *n, char *err, size_t errlen)
{
    char list[128];
    PGresult *r = NULL;
    *n = 0;
    if (csv_header(path, cols, cols, list, sizeof list, err, errlen) < 0) return -1;
    if (exec_params(c, "BEGIN", 0, NULL, NULL, err, errlen) < 0) return -1;
    if (exec_params(c, stage, 0, NULL, NULL, err, errlen) < 0 ||
        copy_file(c, path, table, list, err, errlen) < 0 ||
        exec_params(c, apply, 0, NULL, &r, err, errlen) < 0) {
        rollback(c);
        return -1;
    }
    *n = atoi(PQcmdTuples(r));
    PQclear(r);
    return exec_params(c, "COMMIT", 0, NULL, NULL, err, errlen);
}

int admin_load_groups(PGconn *c, const char *path, int *n, char *err, size_t errlen)
{
    static const char *const cols[] = {"slug", "name_vi", "name_en", "is_crime", NULL};
    return load_simple(c, path, cols, SQL_LOAD_GROUPS_STAGE, "load_groups", SQL_LOAD_GROUPS_APPLY,
                       n, err, errlen);
}

int admin_load_successors(PGconn *c, const char *path, int *n, char *err, size_t errlen)
{
    static const char *const cols[] = {"code", "successor", "effective", NULL};
    return load_simple(c, path, cols, SQL_LOAD_SUCCESSORS_STAGE, "load_successors",
                       SQL_LOAD_SUCCESSORS_APPLY, n, err, errlen);
}

int admin_load_clusters(PGconn *c, const char *path, int *n, char *err, size_t errlen)
{
    static const char *const cols[] = {"cluster", "code", NULL};
    return load_simple(c, path, cols, SQL_LOAD_CLUSTERS_STAGE, "load_clusters",
                       SQL_LOAD_CLUSTERS_APPLY, n, err, errlen);
}

int admin_add_node(PGconn *c, const char *node_id, const char *unit_code, char *err, size_t errlen)
{
    const char *p[2] = {node_id, unit_code};
    return exec_params(c, SQL_ADD_NODE, 2, p, NULL, err, errlen);
}

int admin_add_nodes_under(PGconn *c, const char *unit, const char *prefix, int *n, char *err,
                          size_t errlen)
{
    const char *p[2] = {unit, prefix};
    PGresult *r;
    if (exec_params(c, SQL_ADD_NODES_UNDER, 2, p, &r, err, errlen) < 0) return -1;
    *n = atoi(PQcmdTuples(r));
    PQclear(r);
    return 0;
}

int admin_revoke_node(PGconn *c, const char *node_id, char *err, size_t errlen)
{
    PGresult *r;
    if (exec_params(c, SQL_REVOKE_NODE, 1, &node_id, &r, err, errlen) < 0) return -1;
    int n = atoi(PQcmdTuples(r));
    PQclear(r);
    if (!n) {
        snprintf(err, errlen, "no node '%s'", node_id);
        return -1;
    }
    return 0;
}
