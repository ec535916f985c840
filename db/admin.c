/* admin.c — see admin.h. CSV files are parsed by PostgreSQL's COPY (FORMAT
 * csv): one well-tested parser, quoting included, and no row-by-row inserts. */
#include "db/admin.h"

#include "db/csvhead.h"

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

// clang-format off
#define SQL_LOAD_UNITS_STAGE                                                                     \
    "CREATE TEMP TABLE load_units (code text, name text, level text, kind text,"               \
    " parent_code text, valid_from date, valid_to date) ON COMMIT DROP"
/* Paths from the root: a row's parent is in the file or already loaded. */
/* A version of a code from a later date ends the open version before it (the
 * statistics office reuses codes: identity is code + validity). */
#define SQL_LOAD_UNITS_SUPERSEDE                                                                 \
    "UPDATE antt.units u SET valid_to = l.valid_from FROM load_units l"                          \
    " WHERE u.code = l.code AND l.valid_from IS NOT NULL AND u.valid_to IS NULL"                 \
    " AND (u.valid_from IS NULL OR u.valid_from < l.valid_from)"
/* Paths from the root: a row's parent is in the file or already loaded, in
 * the version valid when the row begins. A row without an end does not
 * reopen a version a later map ended (loading the old map again). */
#define SQL_LOAD_UNITS_APPLY                                                                     \
    "WITH RECURSIVE t AS ("                                                                      \
    "  SELECT l.code, CASE WHEN coalesce(l.parent_code, '') = '' THEN l.code"                   \
    "                      ELSE u.path || '.' || l.code END AS path"                             \
    "  FROM load_units l LEFT JOIN antt.units u ON u.code = l.parent_code"                       \
    "   AND daterange(u.valid_from, u.valid_to) @> coalesce(l.valid_from, '-infinity'::date)"    \
    "  WHERE coalesce(l.parent_code, '') = ''"                                                   \
    "     OR (u.code IS NOT NULL AND NOT EXISTS"                                                 \
    "         (SELECT 1 FROM load_units p WHERE p.code = l.parent_code))"                        \
    "  UNION ALL"                                                                                \
    "  SELECT l.code, t.path || '.' || l.code FROM load_units l JOIN t ON l.parent_code = t.code)" \
    " INSERT INTO antt.units AS u (code, name, level, kind, parent_code, path, valid_from,"      \
    "  valid_to, source)"                                                                        \
    " SELECT l.code, l.name, l.level, l.kind, nullif(l.parent_code, ''), t.path, l.valid_from,"  \
    "  l.valid_to, $1 FROM load_units l JOIN t USING (code)"                                     \
    " ON CONFLICT (code, valid_from) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level," \
    "  kind = EXCLUDED.kind, parent_code = EXCLUDED.parent_code, path = EXCLUDED.path,"          \
    "  valid_to = coalesce(EXCLUDED.valid_to, u.valid_to), source = EXCLUDED.source"
#define SQL_LOAD_UNITS_ORPHANS                                                                   \
    "SELECT string_agg(code, ', ' ORDER BY code) FROM load_units l"                              \
    " WHERE NOT EXISTS (SELECT 1 FROM antt.units u WHERE u.code = l.code AND u.source = $1)"
// clang-format on

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

// clang-format off
#define SQL_LOAD_GROUPS_STAGE                                                                    \
    "CREATE TEMP TABLE load_groups (slug text, name_vi text, name_en text, is_crime bool)"     \
    " ON COMMIT DROP"
#define SQL_LOAD_GROUPS_APPLY                                                                    \
    "INSERT INTO antt.crime_groups AS g (slug, name_vi, name_en, is_crime)"                      \
    " SELECT slug, name_vi, name_en, is_crime FROM load_groups"                                  \
    " ON CONFLICT (slug) DO UPDATE SET name_vi = EXCLUDED.name_vi, name_en = EXCLUDED.name_en,"  \
    "  is_crime = EXCLUDED.is_crime"
// clang-format on

int admin_load_groups(db_t *c, const char *path, int *n, char *err, size_t errlen)
{
    return load_simple(c, path, CSV_GROUPS, SQL_LOAD_GROUPS_STAGE, "load_groups",
                       SQL_LOAD_GROUPS_APPLY, n, err, errlen);
}

// clang-format off
/* Days off (migration 014): the file's years replace what is on record for
 * them (a day the file no longer lists is dropped). */
#define SQL_LOAD_DAYS_OFF_STAGE                                                                  \
    "CREATE TEMP TABLE load_days_off (day date, off bool, name text, source text)"              \
    " ON COMMIT DROP"
#define SQL_LOAD_DAYS_OFF_APPLY                                                                  \
    "WITH gone AS (DELETE FROM antt.days_off o WHERE extract(year FROM o.day) IN"               \
    "  (SELECT DISTINCT extract(year FROM day) FROM load_days_off)"                             \
    "  AND o.day NOT IN (SELECT day FROM load_days_off))"                                       \
    " INSERT INTO antt.days_off AS o (day, off, name, source)"                                  \
    " SELECT day, off, name, source FROM load_days_off"                                         \
    " ON CONFLICT (day) DO UPDATE SET off = EXCLUDED.off, name = EXCLUDED.name,"                \
    "  source = EXCLUDED.source"
// clang-format on

int admin_load_days_off(db_t *c, const char *path, int *n, char *err, size_t errlen)
{
    return load_simple(c, path, CSV_DAYS_OFF, SQL_LOAD_DAYS_OFF_STAGE, "load_days_off",
                       SQL_LOAD_DAYS_OFF_APPLY, n, err, errlen);
}

// clang-format off
#define SQL_LOAD_SUCCESSORS_STAGE                                                                \
    "CREATE TEMP TABLE load_successors (code text, successor text, effective date,"             \
    " share_note text, note text, ord serial) ON COMMIT DROP"
/* A unit with successors is dissolved at `effective` (its open version ends
 * there, unless a version of its code begins there: a reused code). Rows
 * without a successor (UNMAPPED: nobody traced where it went) still end it. */
#define SQL_LOAD_SUCCESSORS_APPLY                                                                \
    "WITH ended AS (UPDATE antt.units u SET valid_to = s.effective FROM load_successors s"       \
    "  WHERE u.code = s.code AND u.valid_to IS NULL"                                             \
    "  AND (u.valid_from IS NULL OR u.valid_from < s.effective))"                                \
    " INSERT INTO antt.unit_successors (code, successor, effective, share_note, note, ord)"       \
    " SELECT DISTINCT ON (code, successor) code, successor, effective,"                          \
    "  coalesce(share_note, ''), coalesce(note, ''), ord FROM load_successors"                   \
    " WHERE coalesce(successor, '') <> '' ORDER BY code, successor, ord"                         \
    " ON CONFLICT (code, successor) DO UPDATE SET effective = EXCLUDED.effective,"               \
    "  share_note = EXCLUDED.share_note, note = EXCLUDED.note, ord = EXCLUDED.ord"
// clang-format on

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

// clang-format off
/* Tallies outside every version of their unit (admin_stranded_tallies). */
#define SQL_STRANDED_TALLIES                                                                     \
    "SELECT count(*) FROM antt.tallies t WHERE NOT EXISTS (SELECT 1 FROM antt.units u"           \
    " WHERE u.code = t.unit AND daterange(u.valid_from, u.valid_to) @> t.day)"
// clang-format on

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

// clang-format off
/* Targets (migration 015): a row per unit, year and figure, replaced when
 * loaded again; a unit that is no code of antt.units (any era), 'all' or a
 * group of units is refused. */
#define SQL_LOAD_TARGETS_STAGE                                                                   \
    "CREATE TEMP TABLE load_targets (unit text, year int, figure text, target numeric,"         \
    " source text) ON COMMIT DROP"
#define SQL_LOAD_TARGETS_CHECK                                                                   \
    "SELECT t.unit FROM load_targets t WHERE t.unit <> 'all' AND NOT EXISTS"                     \
    " (SELECT 1 FROM antt.units u WHERE u.code = t.unit) AND NOT EXISTS"                         \
    " (SELECT 1 FROM antt.unit_groups g WHERE 'group:' || g.grp = t.unit) LIMIT 1"
#define SQL_LOAD_TARGETS_APPLY                                                                   \
    "INSERT INTO antt.targets AS t (unit, year, figure, target, source)"                         \
    " SELECT unit, year, figure, target, coalesce(source, '') FROM load_targets"                 \
    " ON CONFLICT (unit, year, figure) DO UPDATE SET target = EXCLUDED.target,"                  \
    "  source = EXCLUDED.source"
// clang-format on

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

// clang-format off
/* Clusters: the file is the whole membership of each cluster it names. */
#define SQL_LOAD_CLUSTERS_STAGE                                                                  \
    "CREATE TEMP TABLE load_clusters (cluster text, code text) ON COMMIT DROP"
#define SQL_LOAD_CLUSTERS_APPLY                                                                  \
    "WITH gone AS (DELETE FROM antt.unit_groups g WHERE g.grp IN (SELECT cluster FROM load_clusters)" \
    "  AND (g.grp, g.code) NOT IN (SELECT cluster, code FROM load_clusters))"                    \
    " INSERT INTO antt.unit_groups (grp, code) SELECT DISTINCT cluster, code FROM load_clusters"   \
    " ON CONFLICT DO NOTHING"
#define SQL_ADD_NODES_UNDER                                                                      \
    "INSERT INTO antt.nodes (node_id, unit_code)"                                                \
    " SELECT $2 || c, c FROM antt.communes($1) c"                                                \
    " ON CONFLICT (node_id) DO UPDATE SET unit_code = EXCLUDED.unit_code, revoked_at = NULL"
/* Enrolment, one path for every caller: $1 names, $2 units, $3 keys (a NULL
 * key keeps the node's), $4 replace. Without replace, an existing row
 * changes only when it is a node registered without a key, for the same
 * unit, not revoked (anttd --add-node, then antt node add). RETURNING: one
 * row per node inserted (true) or changed (false). */
#define SQL_ENROL_NODES                                                                          \
    "INSERT INTO antt.nodes AS n (node_id, unit_code, public_key)"                               \
    " SELECT * FROM unnest($1::text[], $2::text[], $3::text[])"                                  \
    " ON CONFLICT (node_id) DO UPDATE SET unit_code = EXCLUDED.unit_code,"                       \
    " public_key = coalesce(EXCLUDED.public_key, n.public_key), revoked_at = NULL"               \
    " WHERE $4::boolean OR (n.public_key IS NULL AND n.revoked_at IS NULL"                      \
    " AND n.unit_code = EXCLUDED.unit_code)"                                                     \
    " RETURNING (xmax = 0)"
#define SQL_ENROL_SUBSCRIBERS                                                                    \
    "INSERT INTO antt.subscribers AS s (name, unit_code, public_key)"                            \
    " SELECT * FROM unnest($1::text[], $2::text[], $3::text[])"                                  \
    " ON CONFLICT (name) DO UPDATE SET unit_code = EXCLUDED.unit_code,"                          \
    " public_key = EXCLUDED.public_key, revoked_at = NULL WHERE $4::boolean"                     \
    " RETURNING (xmax = 0)"
// clang-format on

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

// clang-format off
/* Revocation keeps the first revocation's time; RETURNING: one row when
 * the node or subscriber exists, true when this revoked it. */
#define SQL_REVOKE_NODE                                                                          \
    "WITH old AS (SELECT revoked_at FROM antt.nodes WHERE node_id = $1 FOR UPDATE)"              \
    " UPDATE antt.nodes n SET revoked_at = coalesce(n.revoked_at, now()) FROM old"               \
    " WHERE n.node_id = $1 RETURNING old.revoked_at IS NULL"
#define SQL_REVOKE_SUBSCRIBER                                                                    \
    "WITH old AS (SELECT revoked_at FROM antt.subscribers WHERE name = $1 FOR UPDATE)"           \
    " UPDATE antt.subscribers s SET revoked_at = coalesce(s.revoked_at, now()) FROM old"         \
    " WHERE s.name = $1 RETURNING old.revoked_at IS NULL"
#define SQL_REVOKE_VIEWER                                                                        \
    "WITH old AS (SELECT revoked_at FROM antt.viewers WHERE name = $1 FOR UPDATE)"               \
    " UPDATE antt.viewers v SET revoked_at = coalesce(v.revoked_at, now()) FROM old"             \
    " WHERE v.name = $1 RETURNING old.revoked_at IS NULL"
#define SQL_LIST_VIEWERS                                                                         \
    "SELECT name, coalesce(scope, '(all)'), lang,"                                               \
    " CASE WHEN revoked_at IS NULL THEN 'active' ELSE 'revoked ' ||"                             \
    " to_char(revoked_at, 'YYYY-MM-DD HH24:MI') END FROM antt.viewers ORDER BY name"
/* A node whose unit has no version valid today reports for a dissolved
 * unit (the 2025 reorganisation): said after its status. */
#define SQL_LIST_NODES                                                                           \
    "SELECT n.node_id, n.unit_code, coalesce(n.public_key, '-'),"                                \
    " CASE WHEN n.revoked_at IS NULL THEN 'active' ELSE 'revoked ' ||"                           \
    " to_char(n.revoked_at, 'YYYY-MM-DD HH24:MI') END ||"                                        \
    " coalesce((SELECT ', unit dissolved ' || max(u.valid_to)::text FROM antt.units u"           \
    "  WHERE u.code = n.unit_code"                                                              \
    "  HAVING bool_and(u.valid_to IS NOT NULL AND u.valid_to <= antt.today())), '')"             \
    " FROM antt.nodes n WHERE $1::text IS NULL OR n.unit_code IN (SELECT antt.scope($1))"        \
    " ORDER BY n.node_id"
#define SQL_LIST_SUBSCRIBERS                                                                     \
    "SELECT name, coalesce(unit_code, '(all)'), public_key,"                                     \
    " CASE WHEN revoked_at IS NULL THEN 'active' ELSE 'revoked ' ||"                             \
    " to_char(revoked_at, 'YYYY-MM-DD HH24:MI') END"                                             \
    " FROM antt.subscribers ORDER BY name"
// clang-format on

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

// clang-format off
/* A viewer's scope names a unit (any era) or a group of units. */
#define SQL_SCOPE_KNOWN                                                                          \
    "SELECT count(*) FROM (SELECT 1 FROM antt.units WHERE code = $1 UNION ALL"                   \
    " SELECT 1 FROM antt.unit_groups WHERE 'group:' || grp = $1) x"
/* $1 name, $2 scope, $3 hash, $4 lang, $5 replace: a row (inserted?) when
 * written, none when it exists and replace is false. */
#define SQL_VIEWER_SET                                                                           \
    "INSERT INTO antt.viewers AS v (name, scope, password_hash, lang)"                           \
    " VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET scope = EXCLUDED.scope,"          \
    " password_hash = EXCLUDED.password_hash, lang = EXCLUDED.lang, revoked_at = NULL"           \
    " WHERE $5::bool RETURNING xmax = 0"
// clang-format on

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
