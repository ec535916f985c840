/* reg.c — see reg.h. Three open-addressing tables keyed by short strings. */
#include "daemon/reg.h"

#include "daemon/util.h"

#include "proto/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_NONE INT32_MIN

typedef struct {
    char code[LEDGER_UNIT_CAP];
    char path[24]; /* "PP.DDD.CCCCC" and deeper hierarchies to 23 bytes */
    int32_t valid_from, valid_to; /* local days since 1970; valid_to exclusive; DAY_NONE: open */
} unit_t;

typedef struct {
    char id[ANTT_MAX_NODE_BYTES + 1];
    uint32_t unit; /* index into units */
    int revoked;
} node_t;

typedef struct {
    char slug[LEDGER_GROUP_CAP];
    int is_crime;
} group_t;

/* A table: items in an array, an index of slots (item + 1, 0 = empty). */
typedef struct {
    void *items;
    size_t size, n;
    uint32_t *slots;
    size_t nslots; /* power of two, at least 2n */
} tab_t;

struct reg {
    tab_t units, nodes, groups;
    int64_t utc_offset_us;
};

static uint64_t hash(const char *s, size_t n)
{
    return fnv1a(s, n, FNV_SEED);
}

/* Every item type starts with its NUL-terminated key. */
static const char *key_of(const tab_t *t, size_t i) { return (const char *)t->items + i * t->size; }

static long tab_find(const tab_t *t, const char *k, size_t n)
{
    if (!t->nslots) return -1;
    for (size_t s = hash(k, n) & (t->nslots - 1);; s = (s + 1) & (t->nslots - 1)) {
        uint32_t v = t->slots[s];
        if (!v) return -1;
        const char *key = key_of(t, v - 1);
        if (!strncmp(key, k, n) && key[n] == '\0') return (long)v - 1;
    }
}

static void tab_free(tab_t *t)
{
    free(t->items);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

/* Build the slot index over t->items[0..n). -1 on allocation failure. */
static int tab_index(tab_t *t)
{
    size_t ns = 16;
    while (ns < 2 * t->n + 1) ns *= 2;
    t->slots = calloc(ns, sizeof *t->slots);
    if (!t->slots) return -1;
    t->nslots = ns;
    for (size_t i = 0; i < t->n; i++) {
        const char *k = key_of(t, i);
        size_t s = hash(k, strlen(k)) & (ns - 1);
        while (t->slots[s]) s = (s + 1) & (ns - 1);
        t->slots[s] = (uint32_t)i + 1;
    }
    return 0;
}

reg_t *reg_new(int64_t utc_offset_us)
{
    reg_t *r = calloc(1, sizeof *r);
    if (r) r->utc_offset_us = utc_offset_us;
    return r;
}

void reg_free(reg_t **r)
{
    if (!*r) return;
    tab_free(&(*r)->units);
    tab_free(&(*r)->nodes);
    tab_free(&(*r)->groups);
    free(*r);
    *r = NULL;
}

void reg_counts(const reg_t *r, int *units, int *nodes, int *groups)
{
    *units = (int)r->units.n;
    *nodes = (int)r->nodes.n;
    *groups = (int)r->groups.n;
}

static int query(PGconn *c, const char *sql, PGresult **out, char *err, size_t errlen)
{
    *out = PQexec(c, sql);
    if (PQresultStatus(*out) == PGRES_TUPLES_OK) return 0;
    snprintf(err, errlen, "%s", PQresultErrorMessage(*out));
    PQclear(*out);
    *out = NULL;
    return -1;
}

static int32_t day_or_none(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? DAY_NONE : (int32_t)atol(PQgetvalue(res, row, col));
}

int reg_load(reg_t *r, PGconn *c, char *err, size_t errlen)
{
    tab_t units = {.size = sizeof(unit_t)}, nodes = {.size = sizeof(node_t)},
          groups = {.size = sizeof(group_t)};
    PGresult *res = NULL;
    int rc = -1;

    if (query(c,
              "SELECT code, path, valid_from - date '1970-01-01', valid_to - date '1970-01-01' "
              "FROM antt.units",
              &res, err, errlen) < 0)
        goto out;
    units.n = (size_t)PQntuples(res);
    if (!(units.items = calloc(units.n + 1, units.size))) goto oom;
    for (size_t i = 0; i < units.n; i++) {
        unit_t *u = (unit_t *)units.items + i;
        snprintf(u->code, sizeof u->code, "%s", PQgetvalue(res, (int)i, 0));
        if (snprintf(u->path, sizeof u->path, "%s", PQgetvalue(res, (int)i, 1)) >=
            (int)sizeof u->path) {
            snprintf(err, errlen, "unit %s: path too deep", u->code);
            goto out;
        }
        u->valid_from = day_or_none(res, (int)i, 2);
        u->valid_to = day_or_none(res, (int)i, 3);
    }
    PQclear(res);
    res = NULL;
    if (tab_index(&units) < 0) goto oom;

    if (query(c, "SELECT node_id, unit_code, revoked_at IS NOT NULL FROM antt.nodes", &res, err,
              errlen) < 0)
        goto out;
    nodes.n = (size_t)PQntuples(res);
    if (!(nodes.items = calloc(nodes.n + 1, nodes.size))) goto oom;
    for (size_t i = 0; i < nodes.n; i++) {
        node_t *nd = (node_t *)nodes.items + i;
        snprintf(nd->id, sizeof nd->id, "%s", PQgetvalue(res, (int)i, 0));
        const char *uc = PQgetvalue(res, (int)i, 1);
        long u = tab_find(&units, uc, strlen(uc));
        if (u < 0) {
            snprintf(err, errlen, "node %s: unit %s not in antt.units", nd->id, uc);
            goto out;
        }
        nd->unit = (uint32_t)u;
        nd->revoked = PQgetvalue(res, (int)i, 2)[0] == 't';
    }
    PQclear(res);
    res = NULL;
    if (tab_index(&nodes) < 0) goto oom;

    if (query(c, "SELECT slug, is_crime FROM antt.crime_groups", &res, err, errlen) < 0) goto out;
    groups.n = (size_t)PQntuples(res);
    if (!(groups.items = calloc(groups.n + 1, groups.size))) goto oom;
    for (size_t i = 0; i < groups.n; i++) {
        group_t *g = (group_t *)groups.items + i;
        snprintf(g->slug, sizeof g->slug, "%s", PQgetvalue(res, (int)i, 0));
        g->is_crime = PQgetvalue(res, (int)i, 1)[0] == 't';
    }
    PQclear(res);
    res = NULL;
    if (tab_index(&groups) < 0) goto oom;

    tab_free(&r->units);
    tab_free(&r->nodes);
    tab_free(&r->groups);
    r->units = units;
    r->nodes = nodes;
    r->groups = groups;
    return 0;
oom:
    snprintf(err, errlen, "out of memory loading the registry");
out:
    PQclear(res);
    tab_free(&units);
    tab_free(&nodes);
    tab_free(&groups);
    return rc;
}

static int32_t local_day(const reg_t *r, int64_t us)
{
    const int64_t day = 86400LL * 1000000;
    int64_t l = us + r->utc_offset_us;
    return (int32_t)(l / day - (l % day < 0));
}

static int verdict(verdict_t *v, ack_status_t st, int code, const char *field, const char *what,
                   ev_str_t s)
{
    v->status = st;
    v->code = code;
    v->field = field;
    snprintf(v->msg, sizeof v->msg, "%s %.*s", what, (int)s.n, s.p);
    return -code;
}

/* Check one unit field: known, valid at `at_us`, inside the node's subtree. */
static int unit_ok(const reg_t *r, const unit_t *home, ev_str_t code, int64_t at_us,
                   const char *field, verdict_t *v)
{
    long i = tab_find(&r->units, code.p, code.n);
    if (i < 0) return verdict(v, ACK_REJECTED, ANTT_E_UNKNOWN_UNIT, field, "unknown unit", code);
    const unit_t *u = (const unit_t *)r->units.items + i;
    int32_t d = local_day(r, at_us);
    if ((u->valid_from != DAY_NONE && d < u->valid_from) ||
        (u->valid_to != DAY_NONE && d >= u->valid_to))
        return verdict(v, ACK_REJECTED, ANTT_E_UNKNOWN_UNIT, field,
                       "unit not valid at the event's time:", code);
    size_t hl = strlen(home->path);
    if (!(strncmp(u->path, home->path, hl) == 0 && (u->path[hl] == '\0' || u->path[hl] == '.')))
        return verdict(v, ACK_REJECTED, ANTT_E_OUT_OF_SCOPE, field,
                       "outside the node's area: unit", code);
    return 0;
}

int reg_admit(const reg_t *r, const ev_t *ev, verdict_t *v)
{
    long ni = tab_find(&r->nodes, ev->node.p, ev->node.n);
    if (ni < 0)
        return verdict(v, ACK_DEFERRED, ANTT_E_UNKNOWN_NODE, "node",
                       "node is not registered; resend once it is:", ev->node);
    const node_t *nd = (const node_t *)r->nodes.items + ni;
    if (nd->revoked)
        return verdict(v, ACK_REJECTED, ANTT_E_UNKNOWN_NODE, "node", "node was revoked:",
                       ev->node);
    const unit_t *home = (const unit_t *)r->units.items + nd->unit;
    int rc = unit_ok(r, home, ev->unit, ev->time_us, "unit", v);
    if (rc) return rc;
    if (ev->present & EVB(EVF_OCCURRED_UNIT)) {
        int64_t at = (ev->present & EVB(EVF_OCCURRED_AT)) ? ev->occurred_us : ev->time_us;
        if ((rc = unit_ok(r, home, ev->occurred_unit, at, "occurred_unit", v))) return rc;
    }
    if ((ev->present & EVB(EVF_GROUP)) && tab_find(&r->groups, ev->group.p, ev->group.n) < 0)
        return verdict(v, ACK_REJECTED, ANTT_E_UNKNOWN_GROUP, "group", "unknown crime group",
                       ev->group);
    return 0;
}

int reg_might_learn(const reg_t *r, const ev_t *ev)
{
    return tab_find(&r->nodes, ev->node.p, ev->node.n) < 0 ||
           tab_find(&r->units, ev->unit.p, ev->unit.n) < 0;
}

int reg_is_crime(void *ctx, const char *grp)
{
    const reg_t *r = ctx;
    long i = tab_find(&r->groups, grp, strlen(grp));
    return i >= 0 && ((const group_t *)r->groups.items)[i].is_crime;
}

const char *reg_unit_path(const reg_t *r, const char *code, size_t n)
{
    long i = tab_find(&r->units, code, n);
    return i < 0 ? NULL : ((const unit_t *)r->units.items)[i].path;
}
