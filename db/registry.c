/* registry.c — see registry.h. */
#include "db/registry.h"

#include <stdlib.h>

typedef struct {
    const registry_sink_t *sink;
    void *ctx;
    char kind; /* which table the rows come from: u, n, g, s, x, d */
} reader_t;

static int32_t day_or_none(const char *v)
{
    return v ? (int32_t)atol(v) : REGISTRY_DAY_NONE;
}

static int row(void *ctx, int n, const char *const *names, const char *const *v)
{
    (void)n, (void)names;
    const reader_t *r = ctx;
    const registry_sink_t *k = r->sink;
    switch (r->kind) {
    case 'u': k->unit(r->ctx, v[0], v[1], day_or_none(v[2]), day_or_none(v[3])); break;
    case 'n': k->node(r->ctx, v[0], v[1], v[2][0] == 't', v[3]); break;
    case 'g': k->group(r->ctx, v[0], v[1][0] == 't'); break;
    case 'x': k->successor(r->ctx, v[0], v[1], v[2][0] == 't'); break;
    case 'd': k->day_off(r->ctx, (int32_t)atol(v[0]), v[1][0] == 't'); break;
    default: k->subscriber(r->ctx, v[0], v[1], v[2][0] == 't', v[3]); break;
    }
    return 0;
}

int registry_read(db_t *c, const registry_sink_t *sink, void *ctx, char *err, size_t errlen)
{
    static const struct {
        char kind;
        const char *sql;
    } TABLES[] = {
        {'u', "SELECT code, path, valid_from - date '1970-01-01', valid_to - date '1970-01-01'"
              " FROM antt.units"},
        {'n', "SELECT node_id, unit_code, revoked_at IS NOT NULL, coalesce(public_key, '')"
              " FROM antt.nodes"},
        {'g', "SELECT slug, is_crime FROM antt.crime_groups"},
        {'s', "SELECT name, coalesce(unit_code, ''), revoked_at IS NOT NULL,"
              " coalesce(public_key, '') FROM antt.subscribers"},
        {'x', "SELECT code, successor, share_note <> '' FROM antt.unit_successors"
              " ORDER BY code, ord, successor"},
        {'d', "SELECT day - date '1970-01-01', off FROM antt.days_off ORDER BY day"},
    };
    for (size_t i = 0; i < sizeof TABLES / sizeof TABLES[0]; i++) {
        reader_t r = {sink, ctx, TABLES[i].kind};
        if (db_rows(c, TABLES[i].sql, 0, NULL, row, &r, err, errlen) < 0) return -1;
    }
    return 0;
}
