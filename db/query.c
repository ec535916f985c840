/* query.c — see query.h. The text of every statement is here, beside the
 * function that runs it. */
#include "db/query.h"

#include <stdio.h>
#include <stdlib.h>

int query_unit_on(db_t *c, const char *code, const char *day, db_row_fn fn, void *ctx, char *err,
                  size_t errlen)
{
    const char *p[2] = {code, day};
    return db_rows(c,
                   "SELECT code, name, path FROM antt.unit_on($1, coalesce($2::date,"
                   " (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date)) WHERE code IS NOT NULL",
                   2, p, fn, ctx, err, errlen);
}

int query_unit(db_t *c, const char *code, db_row_fn fn, void *ctx, char *err, size_t errlen)
{
    return query_unit_on(c, code, NULL, fn, ctx, err, errlen);
}

int query_unit_partials(db_t *c, const char *unit, const char *day, db_row_fn fn, void *ctx,
                        char *err, size_t errlen)
{
    const char *p[2] = {unit, day};
    return db_rows(c, "SELECT * FROM antt.scope_partials($1, $2::date) ORDER BY 1", 2, p, fn, ctx,
                   err, errlen);
}

int query_unit_children(db_t *c, const char *code, db_row_fn fn, void *ctx, char *err,
                        size_t errlen)
{
    return db_rows(c,
                   "SELECT code, name, path FROM antt.children_on($1,"
                   " (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date) ORDER BY code",
                   1, &code, fn, ctx, err, errlen);
}

int query_child_members(db_t *c, const char *unit, db_row_fn fn, void *ctx, char *err,
                        size_t errlen)
{
    return db_rows(c,
                   "WITH d AS (SELECT (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS d),"
                   " kids AS (SELECT k.code FROM d, antt.children_on($1, d.d) k"
                   "  UNION ALL SELECT $1 WHERE NOT EXISTS"
                   "  (SELECT 1 FROM d, antt.children_on($1, d.d)))"
                   " SELECT k.code, s.code, s.valid_from - date '1970-01-01',"
                   " s.valid_to - date '1970-01-01', u.path FROM d, kids k,"
                   " antt.scope_units(k.code, d.d) s JOIN antt.units u ON u.code = s.code"
                   " AND u.valid_from IS NOT DISTINCT FROM s.valid_from ORDER BY 2, 1",
                   1, &unit, fn, ctx, err, errlen);
}

int query_communes(db_t *c, const char *under, db_row_fn fn, void *ctx, char *err, size_t errlen)
{
    const char *p[1] = {under && *under ? under : NULL};
    return db_rows(c,
                   "SELECT c FROM antt.communes($1) c WHERE $1::text IS NOT NULL UNION"
                   " SELECT code FROM antt.units WHERE $1::text IS NULL AND level = 'commune'"
                   " AND daterange(valid_from, valid_to) @> antt.today() ORDER BY 1",
                   1, p, fn, ctx, err, errlen);
}

int query_unit_group(db_t *c, const char *group, db_row_fn fn, void *ctx, char *err, size_t errlen)
{
    return db_rows(c, "SELECT count(*) FROM antt.unit_groups WHERE grp = $1 HAVING count(*) > 0", 1,
                   &group, fn, ctx, err, errlen);
}

int query_crime_group(db_t *c, const char *slug, db_row_fn fn, void *ctx, char *err, size_t errlen)
{
    return db_rows(c,
                   "SELECT slug, name_vi, name_en, is_crime FROM antt.crime_groups WHERE slug = $1",
                   1, &slug, fn, ctx, err, errlen);
}

int query_crime_groups(db_t *c, db_row_fn fn, void *ctx, char *err, size_t errlen)
{
    return db_rows(c,
                   "SELECT slug, name_vi, name_en FROM antt.crime_groups WHERE is_crime"
                   " ORDER BY slug",
                   0, NULL, fn, ctx, err, errlen);
}

int query_rates_groups(db_t *c, const char *unit, const char *from, const char *to,
                       const char *group, const char *on, db_row_fn fn, void *ctx, char *err,
                       size_t errlen)
{
    const char *p[5] = {unit, from, to, on, group};
    return db_rows(c, "SELECT * FROM antt.rates_groups($1, $2::date, $3::date, $4::date, $5)", 5, p,
                   fn, ctx, err, errlen);
}

int query_tipoff_times(db_t *c, const char *unit, const char *from, const char *to, db_row_fn fn,
                       void *ctx, char *err, size_t errlen)
{
    const char *p[3] = {unit, from, to};
    return db_rows(c, "SELECT * FROM antt.tipoff_processing($1, $2::date, $3::date)", 3, p, fn, ctx,
                   err, errlen);
}

int query_tipoffs_open(db_t *c, const char *unit, const char *within, db_row_fn fn, void *ctx,
                       char *err, size_t errlen)
{
    const char *p[2] = {unit, within};
    return db_rows(c,
                   "SELECT unit, ref, kind, to_char(received_at AT TIME ZONE 'Asia/Ho_Chi_Minh',"
                   " 'YYYY-MM-DD HH24:MI'), to_char(deadline AT TIME ZONE 'Asia/Ho_Chi_Minh',"
                   " 'YYYY-MM-DD HH24:MI'), extended, days_left"
                   " FROM antt.tipoffs_open($1, $2::interval)",
                   2, p, fn, ctx, err, errlen);
}

int query_tipoffs_overdue(db_t *c, const char *unit, db_row_fn fn, void *ctx, char *err,
                          size_t errlen)
{
    return db_rows(c, "SELECT count(*) FROM antt.tipoffs_open($1)", 1, &unit, fn, ctx, err, errlen);
}

int query_period(db_t *c, const char *period, db_row_fn fn, void *ctx, char *err, size_t errlen)
{
    return db_rows(c,
                   "SELECT (date_trunc(CASE $1 WHEN 'today' THEN 'day' ELSE $1 END,"
                   " now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date - date '1970-01-01'),"
                   " ((now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date + 1 - date '1970-01-01')",
                   1, &period, fn, ctx, err, errlen);
}

int query_province_figures_send(db_t *c, int silent_hours, char *err, size_t errlen)
{
    char h[16];
    snprintf(h, sizeof h, "%d", silent_hours);
    const char *p[1] = {h};
    return db_send(
        c,
        "WITH st AS (SELECT antt.province_today(n.unit_code) AS province,"
        "  count(*) FILTER (WHERE NOT coalesce(s.connected, false) AND (s.last_message_at IS NULL"
        "   OR s.last_message_at < now() - make_interval(hours => $1::int))) AS silent,"
        "  count(*) FILTER (WHERE s.missing > 0) AS losing,"
        "  extract(epoch FROM max(s.last_message_at))::bigint AS last_message"
        "  FROM antt.nodes n LEFT JOIN antt.node_status s USING (node_id)"
        "  WHERE n.revoked_at IS NULL GROUP BY 1)"
        " , p AS MATERIALIZED (SELECT u.code FROM antt.units u WHERE u.level = 'province'"
        "  AND (u.valid_to IS NULL OR u.valid_to > antt.today()))"
        " SELECT p.code, r.resolution_rate, r.tipoffs_overdue, coalesce(st.silent, 0),"
        " coalesce(st.losing, 0), st.last_message"
        " FROM p LEFT JOIN st ON st.province = p.code"
        /* this year, read as a whole year (nothing is dated after today):
         * its year rows, not its months and days */
        " JOIN antt.rates_many((SELECT array_agg(code) FROM p),"
        "  date_trunc('year', now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date,"
        "  (date_trunc('year', now() AT TIME ZONE 'Asia/Ho_Chi_Minh') + interval '1 year')::date,"
        "  antt.today()) r ON r.code = p.code"
        " ORDER BY p.code",
        1, p, err, errlen);
}

static int head_row(void *ctx, int n, const char *const *names, const char *const *v)
{
    (void)n, (void)names;
    query_snapshot_t *q = ctx;
    q->epoch = v[0] ? strtoull(v[0], NULL, 10) : 0;
    q->seq = v[1] ? strtoull(v[1], NULL, 10) : 0;
    return 0;
}

int query_snapshot(db_t *c, const char *unit, int64_t from, int64_t to, query_snapshot_t *q,
                   char *err, size_t errlen)
{
    char f[24], t[24], e[64];
    snprintf(f, sizeof f, "%lld", (long long)from);
    snprintf(t, sizeof t, "%lld", (long long)to);
    const char *p[3] = {unit, f, t};
    /* One snapshot of the database for the versions and the tallies: a unit's
     * version changes in the transaction that changes its tallies. */
    if (db_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL, NULL, err,
                errlen) < 0)
        return -1;
    int rc = db_rows(c,
                     "SELECT coalesce((SELECT epoch FROM antt.stream_state), 0),"
                     " coalesce((SELECT windows FROM antt.fold_state), 0)",
                     0, NULL, head_row, q, err, errlen);
    if (rc == 0)
        rc = db_rows(c,
                     "SELECT v.unit, v.version FROM antt.unit_versions v"
                     " WHERE v.unit IN (SELECT antt.scope($1))",
                     1, p, q->versions, q->ctx, err, errlen);
    if (rc == 0)
        rc = db_rows(c,
                     "SELECT t.unit, t.day - date '1970-01-01', t.metric, t.grp, t.severity,"
                     " t.value FROM antt.scope_tallies($1, date '1970-01-01' + $2::int,"
                     " date '1970-01-01' + $3::int, antt.today()) t WHERE t.value <> 0",
                     3, p, q->tallies, q->ctx, err, errlen);
    db_exec(c, rc == 0 ? "COMMIT" : "ROLLBACK", 0, NULL, NULL, NULL, e, sizeof e);
    return rc;
}

int query_as_of(db_t *c, const char *instant, char *err, size_t errlen)
{
    const char *p[1] = {instant};
    /* (checked as a timestamptz first: a bad value is an error here, not in
     * every later figure) */
    return db_exec(c, "SELECT set_config('antt.as_of', $1::timestamptz::text, false)", 1, p, NULL,
                   NULL, err, errlen);
}

int query_targets(db_t *c, const char *unit, int year, db_row_fn fn, void *ctx, char *err,
                  size_t errlen)
{
    char y[16];
    snprintf(y, sizeof y, "%d", year);
    const char *p[2] = {unit, y};
    return db_rows(
        c,
        "SELECT figure, target::text FROM antt.targets WHERE unit = $1 AND year = $2::int"
        " ORDER BY figure",
        2, p, fn, ctx, err, errlen);
}

int query_wanted(db_t *c, const char *unit, const char *from, const char *to, const char *on,
                 db_row_fn fn, void *ctx, char *err, size_t errlen)
{
    const char *p[4] = {unit, from, to, on};
    return db_rows(c,
                   "SELECT wanted_found, wanted_arrested, wanted_surrendered, wanted_dangerous,"
                   " wanted_withdrawn FROM antt.wanted_many(ARRAY[$1::text], $2::date, $3::date,"
                   " $4::date)",
                   4, p, fn, ctx, err, errlen);
}
