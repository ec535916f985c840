/* console.c — see console.h. Every statement is beside its function. */
#include "db/console.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *json;
    int rows;
} one_t;

static int one_row(void *ctx, int n, const char *const *names, const char *const *v)
{
    (void)names;
    one_t *o = ctx;
    if (!o->rows++ && n > 0) o->json = strdup(v[0] ? v[0] : "null");
    return 0;
}

/* The first column of the first row, copied; NULL with err. */
static char *json_of(db_t *c, const char *sql, int n, const char *const *p, char *err,
                     size_t errlen)
{
    one_t o = {0};
    if (db_rows(c, sql, n, p, one_row, &o, err, errlen) < 0) {
        free(o.json);
        return NULL;
    }
    if (!o.json) snprintf(err, errlen, o.rows ? "out of memory" : "no answer");
    return o.json;
}

static int viewer_row(void *ctx, int n, const char *const *names, const char *const *v)
{
    (void)n, (void)names;
    console_viewer_t *w = ctx;
    snprintf(w->scope, sizeof w->scope, "%s", v[0] ? v[0] : "");
    snprintf(w->hash, sizeof w->hash, "%s", v[1]);
    snprintf(w->lang, sizeof w->lang, "%s", v[2]);
    w->lang[3] = 1; /* found */
    return 0;
}

int console_viewer(db_t *c, const char *name, console_viewer_t *v, char *err, size_t errlen)
{
    memset(v, 0, sizeof *v);
    if (db_rows(c,
                "SELECT scope, password_hash, lang FROM antt.viewers"
                " WHERE name = $1 AND revoked_at IS NULL",
                1, &name, viewer_row, v, err, errlen) < 0)
        return -1;
    const int found = v->lang[3] == 1;
    v->lang[3] = '\0';
    return found;
}

int console_in_scope(db_t *c, const char *scope, const char *unit, char *err, size_t errlen)
{
    const char *p[2] = {scope && *scope ? scope : NULL, unit};
    char *j = json_of(c,
                      "SELECT CASE"
                      " WHEN $2 = 'all' THEN $1::text IS NULL"
                      " WHEN $2 LIKE 'group:%' THEN $1::text IS NULL OR $1 = $2"
                      " WHEN NOT EXISTS (SELECT 1 FROM antt.units WHERE code = $2) THEN false"
                      " WHEN $1::text IS NULL THEN true"
                      " ELSE EXISTS (SELECT 1 FROM antt.scope_units($1, antt.today()) s"
                      "  JOIN antt.unit_on($2, antt.today()) u ON u.code = s.code"
                      "  AND s.valid_from IS NOT DISTINCT FROM u.valid_from) END::text",
                      2, p, err, errlen);
    if (!j) return -1;
    const int in = j[0] == 't';
    free(j);
    return in;
}

char *console_scope_topics(db_t *c, const char *scope, char *err, size_t errlen)
{
    const char *p[1] = {scope && *scope ? scope : NULL};
    /* the fewest prefixes: "20." covers "20.180." and every commune under it */
    return json_of(c,
                   "WITH t AS (SELECT DISTINCT u.path || '.' AS p"
                   "  FROM antt.scope_units($1, antt.today()) s JOIN antt.units u"
                   "  ON u.code = s.code AND u.valid_from IS NOT DISTINCT FROM s.valid_from)"
                   " SELECT CASE WHEN $1::text IS NULL THEN '[\"\"]'::json ELSE"
                   " (SELECT coalesce(json_agg(t.p ORDER BY t.p), '[]') FROM t WHERE NOT EXISTS"
                   "  (SELECT 1 FROM t o WHERE o.p <> t.p AND left(t.p, length(o.p)) = o.p))"
                   " END::text",
                   1, p, err, errlen);
}

char *console_overview(db_t *c, const char *unit, const char *from, const char *to,
                       const char *cmp_from, const char *cmp_to, char *err, size_t errlen)
{
    const char *p[5] = {unit, from, to, cmp_from && *cmp_from ? cmp_from : NULL,
                        cmp_to && *cmp_to ? cmp_to : NULL};
    return json_of(
        c,
        "WITH d AS (SELECT $3::date - 1 AS last)"
        " SELECT json_build_object('unit', $1::text,"
        "  'name', (SELECT u.name FROM d, antt.unit_on($1, d.last) u),"
        "  'level', (SELECT u.level FROM d, antt.unit_on($1, d.last) u),"
        "  'parents', (SELECT coalesce(json_agg(json_build_object('code', p.code, 'name', p.name)"
        "   ORDER BY length(p.path)), '[]') FROM d CROSS JOIN LATERAL antt.unit_on($1, d.last) u"
        "   JOIN antt.units p ON u.path LIKE p.path || '.%'"
        "   AND daterange(p.valid_from, p.valid_to) @> d.last),"
        "  'from', $2::date, 'to', $3::date, 'cfrom', $4::date, 'cto', $5::date,"
        "  'figures', (SELECT row_to_json(r) FROM d, antt.rates($1, $2::date, $3::date, NULL,"
        "   d.last) r),"
        "  'compare', CASE WHEN $4::date IS NULL THEN NULL ELSE (SELECT row_to_json(r) FROM d,"
        "   antt.rates($1, $4::date, $5::date, NULL, d.last) r) END,"
        "  'partial_units', (SELECT coalesce(json_agg(p), '[]') FROM d,"
        "   antt.scope_partials($1, d.last) p),"
        "  'wanted', (SELECT row_to_json(w) FROM d, antt.wanted_many(ARRAY[$1::text], $2::date,"
        "   $3::date, d.last) w),"
        /* the targets on record for the year the period ends in (antt
         * report's), else the National Assembly's 90 % for tip-offs */
        "  'targets', (SELECT jsonb_build_object('tipoff', 90)"
        "   || coalesce(jsonb_object_agg(t.figure, t.target), '{}') FROM d, antt.targets t"
        "   WHERE t.unit = $1 AND t.year = extract(year FROM d.last)))::text",
        5, p, err, errlen);
}

char *console_children(db_t *c, const char *unit, const char *from, const char *to, char *err,
                       size_t errlen)
{
    const char *p[3] = {unit, from, to};
    /* json, not jsonb, so the keys keep antt.rates' order: an export's
     * columns are these keys (web/export.h) */
    return json_of(c,
                   "WITH k AS MATERIALIZED (SELECT * FROM antt.children_on($1, $3::date - 1))"
                   " SELECT coalesce(json_agg((SELECT json_object_agg(e.key, e.value ORDER BY e.n)"
                   "  FROM (SELECT 'code' AS key, to_json(k.code) AS value, 0::bigint AS n"
                   "   UNION ALL SELECT 'name', to_json(k.name), 1"
                   "   UNION ALL SELECT j.key, j.value, 1 + j.n"
                   "   FROM json_each(row_to_json(r)) WITH ORDINALITY j(key, value, n)"
                   "   WHERE j.key NOT IN ('code', 'grp')) e) ORDER BY k.code), '[]')::text"
                   " FROM k JOIN antt.rates_many((SELECT array_agg(code) FROM k), $2::date,"
                   "  $3::date, $3::date - 1) r ON r.code = k.code",
                   3, p, err, errlen);
}

char *console_months(db_t *c, const char *unit, const char *from, const char *to, char *err,
                     size_t errlen)
{
    const char *p[3] = {unit, from, to};
    return json_of(
        c,
        "WITH m AS (SELECT date_trunc('month', t.day::timestamp)::date AS month, t.metric, t.grp,"
        "  sum(t.value) AS v FROM antt.scope_sums($1, $2::date, $3::date, $3::date - 1, false) t"
        "  GROUP BY 1, 2, 3),"
        " months AS (SELECT generate_series(date_trunc('month', $2::date),"
        "  $3::date - 1, interval '1 month')::date AS month)"
        " SELECT coalesce(json_agg(json_build_object('month', to_char(k.month, 'YYYY-MM'),"
        "  'occurred', coalesce((SELECT sum(v) FROM m WHERE m.month = k.month AND"
        "   m.metric = 'incidents' AND m.grp IN (SELECT slug FROM antt.crime_groups"
        "   WHERE is_crime)), 0),"
        "  'cleared', coalesce((SELECT sum(v) FROM m WHERE m.month = k.month AND"
        "   m.metric = 'cleared' AND m.grp IN (SELECT slug FROM antt.crime_groups"
        "   WHERE is_crime)), 0),"
        "  'received', coalesce((SELECT sum(v) FROM m WHERE m.month = k.month AND"
        "   m.metric = 'tipoffs_received'), 0),"
        "  'resolved', coalesce((SELECT sum(v) FROM m WHERE m.month = k.month AND"
        "   m.metric = 'tipoffs_resolved'), 0)) ORDER BY k.month), '[]')::text FROM months k",
        3, p, err, errlen);
}

char *console_tipoffs(db_t *c, const char *unit, int within_days, const char *from, const char *to,
                      char *err, size_t errlen)
{
    char days[16];
    snprintf(days, sizeof days, "%d", within_days);
    const char *p[4] = {unit, days, from, to};
    /* each open tip-off with its unit's name when it was received (the
     * 2025 map reused codes), else the newest */
#define OPEN_ROW                                                                                   \
    "json_build_object('unit', o.unit, 'unit_name', coalesce((SELECT u.name FROM"                  \
    " antt.unit_on(o.unit, (o.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date) u),"             \
    " (SELECT u.name FROM antt.units u WHERE u.code = o.unit"                                      \
    " ORDER BY u.valid_from DESC NULLS LAST LIMIT 1)), 'ref', o.ref, 'kind', o.kind,"              \
    " 'received_at', o.received_at, 'deadline', o.deadline, 'extended', o.extended,"               \
    " 'days_left', o.days_left)"
    return json_of(c,
                   "SELECT json_build_object("
                   "  'overdue', (SELECT coalesce(json_agg(" OPEN_ROW " ORDER BY o.deadline), '[]')"
                   "   FROM antt.tipoffs_open($1) o),"
                   "  'due', (SELECT coalesce(json_agg(" OPEN_ROW " ORDER BY o.deadline), '[]')"
                   "   FROM antt.tipoffs_open($1, make_interval(days => $2::int)) o),"
                   "  'times', (SELECT coalesce(json_agg(t), '[]')"
                   "   FROM antt.tipoff_processing($1, $3::date, $4::date) t))::text",
                   4, p, err, errlen);
}

char *console_overdue(db_t *c, const char *unit, const char *from, const char *to, char *err,
                      size_t errlen)
{
    const char *p[3] = {unit, from, to};
    return json_of(c,
                   "SELECT coalesce(json_agg(json_build_object('day', t.day, 'overdue', t.overdue)"
                   "  ORDER BY t.day), '[]')::text"
                   " FROM antt.overdue_trend($1, $2::date, $3::date, $3::date - 1) t",
                   3, p, err, errlen);
}

char *console_units(db_t *c, const char *scope, const char *q, char *err, size_t errlen)
{
    const char *p[2] = {scope && *scope ? scope : NULL, q ? q : ""};
    /* a viewer of every unit also gets the country and the clusters */
    return json_of(
        c,
        "WITH mine AS (SELECT u.code, u.name, u.level FROM antt.units u"
        "  WHERE daterange(u.valid_from, u.valid_to) @> antt.today()"
        "  AND ($1::text IS NULL OR (u.code, u.valid_from) IN (SELECT s.code, s.valid_from"
        "   FROM antt.scope_units($1, antt.today()) s))"
        "  UNION ALL SELECT 'all', NULL, 'country' WHERE $1::text IS NULL"
        "  UNION ALL SELECT DISTINCT 'group:' || g.grp, g.grp, 'cluster' FROM antt.unit_groups g"
        "   WHERE $1::text IS NULL OR $1 = 'group:' || g.grp),"
        " hit AS (SELECT * FROM mine WHERE $2 = '' OR position(lower($2) IN lower(code)) > 0"
        "  OR position(lower($2) IN lower(coalesce(name, ''))) > 0"
        "  ORDER BY array_position(ARRAY['country', 'cluster', 'province', 'district',"
        "   'commune'], level), code LIMIT 30)"
        " SELECT coalesce(json_agg(json_build_object('code', code, 'name', name, 'level', level)),"
        "  '[]')::text FROM hit",
        2, p, err, errlen);
}

char *console_stations(db_t *c, const char *unit, int silent_hours, char *err, size_t errlen)
{
    char h[16];
    snprintf(h, sizeof h, "%d", silent_hours);
    const char *p[2] = {unit, h};
    return json_of(
        c,
        "WITH here AS (SELECT DISTINCT s.code FROM antt.scope_units($1, antt.today()) s"
        "  WHERE daterange(s.valid_from, s.valid_to) @> antt.today()"
        "  OR s.valid_to IS NOT NULL)"
        " SELECT coalesce(json_agg(json_build_object('node', n.node_id, 'unit', n.unit_code,"
        "  'unit_name', coalesce((SELECT u.name FROM antt.unit_on(n.unit_code, antt.today()) u),"
        "   (SELECT u.name FROM antt.units u WHERE u.code = n.unit_code"
        "   ORDER BY u.valid_from DESC NULLS LAST LIMIT 1)),"
        "  'last_message_at', st.last_message_at, 'seq_max', st.seq_max,"
        "  'missing', coalesce(st.missing, 0),"
        "  'events_today', CASE WHEN st.day = antt.today() THEN st.events_day ELSE 0 END,"
        "  'connected', st.connected,"
        "  'state', CASE WHEN coalesce(st.missing, 0) > 0 THEN 'losing'"
        "   WHEN NOT coalesce(st.connected, false) AND (st.last_message_at IS NULL OR"
        "    st.last_message_at < now() - make_interval(hours => $2::int)) THEN 'silent'"
        "   WHEN st.day = antt.today() AND st.events_day > 0 THEN 'active'"
        "   ELSE 'quiet' END) ORDER BY n.node_id), '[]')::text"
        " FROM antt.nodes n LEFT JOIN antt.node_status st USING (node_id)"
        " WHERE n.revoked_at IS NULL AND n.unit_code IN (SELECT code FROM here)",
        2, p, err, errlen);
}
