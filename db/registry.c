/* registry.c — see registry.h. */
#include "db/registry.h"

#include <stdlib.h>

typedef struct {
    const registry_sink_t *sink;
    void *ctx;
} reader_t;

static int32_t day_or_none(const char *v)
{
    return v ? (int32_t)atol(v) : REGISTRY_DAY_NONE;
}

static int unit_row(void *ctx, int n, const char *const *names, const char *const *v)
{
    (void)n, (void)names;
    reader_t *r = ctx;
    r->sink->unit(r->ctx, v[0], v[1], day_or_none(v[2]), day_or_none(v[3]));
    return 0;
}

static int node_row(void *ctx, int n, const char *const *names, const char *const *v)
{
    (void)n, (void)names;
    reader_t *r = ctx;
    r->sink->node(r->ctx, v[0], v[1], v[2][0] == 't', v[3]);
    return 0;
}

static int group_row(void *ctx, int n, const char *const *names, const char *const *v)
{
    (void)n, (void)names;
    reader_t *r = ctx;
    r->sink->group(r->ctx, v[0], v[1][0] == 't');
    return 0;
}

static int subscriber_row(void *ctx, int n, const char *const *names, const char *const *v)
{
    (void)n, (void)names;
    reader_t *r = ctx;
    r->sink->subscriber(r->ctx, v[0], v[1], v[2][0] == 't', v[3]);
    return 0;
}

int registry_read(db_t *c, const registry_sink_t *sink, void *ctx, char *err, size_t errlen)
{
    reader_t r = {sink, ctx};
    if (db_rows(c,
                "SELECT code, path, valid_from - date '1970-01-01', valid_to - date '1970-01-01'"
                " FROM antt.units",
                0, NULL, unit_row, &r, err, errlen) < 0 ||
        db_rows(c,
                "SELECT node_id, unit_code, revoked_at IS NOT NULL, coalesce(public_key, '')"
                " FROM antt.nodes",
                0, NULL, node_row, &r, err, errlen) < 0 ||
        db_rows(c, "SELECT slug, is_crime FROM antt.crime_groups", 0, NULL, group_row, &r, err,
                errlen) < 0 ||
        db_rows(c,
                "SELECT name, coalesce(unit_code, ''), revoked_at IS NOT NULL,"
                " coalesce(public_key, '') FROM antt.subscribers",
                0, NULL, subscriber_row, &r, err, errlen) < 0)
        return -1;
    return 0;
}
