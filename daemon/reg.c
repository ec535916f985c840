/* reg.c — see reg.h. Three open-addressing tables keyed by short strings. */
#include "daemon/reg.h"

#include "db/registry.h"
#include "proto/hindex.h"
#include "proto/util.h"

#include "proto/err.h"
#include "net/key.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    char code[LEDGER_UNIT_CAP];
    char path[24]; /* "PP.DDD.CCCCC" and deeper hierarchies to 23 bytes */
    int32_t valid_from,
        valid_to; /* local days since 1970; valid_to exclusive; REG_DAY_NONE: open */
} unit_t;

typedef struct {
    char id[ANTT_MAX_NODE_BYTES + 1];
    uint32_t unit; /* index into units: the version of its unit valid today (or the last) */
    char unit_code[LEDGER_UNIT_CAP];
    int revoked;
} node_t;

typedef struct {
    char slug[LEDGER_GROUP_CAP];
    int is_crime;
} group_t;

/* A dissolved unit's successors, for the message that refuses its code. */
typedef struct {
    char code[LEDGER_UNIT_CAP];
    char list[48]; /* "06040, 06004" */
} succ_t;

typedef struct {
    char name[REG_NAME_CAP];
    char scope[32]; /* topic prefix: unit path + "." ("20.180."), "" for every unit */
    int revoked;
} sub_t;

typedef struct {
    char z85[KEY_Z85_LEN + 1];
    uint32_t idx; /* node or subscriber */
} keyref_t;

/* A table: items in an array, indexed by their key. */
typedef struct {
    void *items;
    size_t size, n;
    uint32_t cap;
    hindex_t idx;
} tab_t;

struct reg {
    tab_t units, nodes, groups, subs, node_keys, sub_keys, succs;
    int64_t utc_offset_us;
};

/* What a builder collects before the tables are indexed. */
typedef struct {
    char unit[LEDGER_UNIT_CAP];
} unitref_t;

struct reg_build {
    reg_t r;                           /* the tables being filled */
    unitref_t *node_units, *sub_units; /* unit codes, resolved at the end */
    uint32_t cap_nu, cap_su;
    int failed;    /* an allocation failed */
    char err[256]; /* the first row refused */
};

/* Every item type starts with its NUL-terminated key. */
static const char *key_of(const tab_t *t, size_t i)
{
    return (const char *)t->items + i * t->size;
}

static long tab_find(const tab_t *t, const char *k, size_t n)
{
    hindex_iter_t it = hindex_find(&t->idx, hindex_hash(k, n));
    for (long i; (i = hindex_next(&t->idx, &it)) >= 0;) {
        const char *key = key_of(t, (size_t)i);
        if (!strncmp(key, k, n) && key[n] == '\0') return i;
    }
    return -1;
}

/* The version of unit code (n bytes) valid on local day d (a code may have
 * several versions, never two valid on one day: the statistics office reuses
 * codes). *valid 0 when none is: then the version that began last, for
 * messages and paths. NULL when the code is unknown. */
static long unit_version(const tab_t *t, const char *code, size_t n, int32_t d, int *valid)
{
    hindex_iter_t it = hindex_find(&t->idx, hindex_hash(code, n));
    long best = -1;
    *valid = 0;
    for (long i; (i = hindex_next(&t->idx, &it)) >= 0;) {
        const unit_t *u = (const unit_t *)t->items + i;
        if (strncmp(u->code, code, n) || u->code[n]) continue;
        if ((u->valid_from == REG_DAY_NONE || d >= u->valid_from) &&
            (u->valid_to == REG_DAY_NONE || d < u->valid_to)) {
            *valid = 1;
            return i;
        }
        /* REG_DAY_NONE (from the beginning) is INT32_MIN: the earliest */
        if (best < 0 || u->valid_from > ((const unit_t *)t->items + best)->valid_from) best = i;
    }
    return best;
}

static int32_t today(int64_t utc_offset_us)
{
    const int64_t day = 86400LL * 1000000;
    int64_t l = (int64_t)time(NULL) * 1000000 + utc_offset_us;
    return (int32_t)(l / day - (l % day < 0));
}

static void tab_free(tab_t *t)
{
    free(t->items);
    hindex_free(&t->idx);
    size_t size = t->size;
    memset(t, 0, sizeof *t);
    t->size = size;
}

/* A zeroed new item at the end, or NULL when out of memory. */
static void *tab_push(tab_t *t)
{
    if (grow_array(&t->items, &t->cap, (uint32_t)t->n + 1, t->size) < 0) return NULL;
    void *it = (char *)t->items + t->n * t->size;
    memset(it, 0, t->size);
    t->n++;
    return it;
}

/* Index t->items[0..n). -1 on allocation failure. */
static int tab_index(tab_t *t)
{
    hindex_clear(&t->idx);
    if (hindex_reserve(&t->idx, (uint32_t)t->n) < 0) return -1;
    for (size_t i = 0; i < t->n; i++) {
        const char *k = key_of(t, i);
        if (hindex_add(&t->idx, hindex_hash(k, strlen(k)), (uint32_t)i) < 0) return -1;
    }
    return 0;
}

static void tabs_init(reg_t *r)
{
    r->units.size = sizeof(unit_t);
    r->nodes.size = sizeof(node_t);
    r->groups.size = sizeof(group_t);
    r->subs.size = sizeof(sub_t);
    r->node_keys.size = sizeof(keyref_t);
    r->sub_keys.size = sizeof(keyref_t);
    r->succs.size = sizeof(succ_t);
}

static void tabs_free(reg_t *r)
{
    tab_free(&r->units);
    tab_free(&r->nodes);
    tab_free(&r->groups);
    tab_free(&r->subs);
    tab_free(&r->node_keys);
    tab_free(&r->sub_keys);
    tab_free(&r->succs);
}

reg_t *reg_new(int64_t utc_offset_us)
{
    reg_t *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    tabs_init(r);
    r->utc_offset_us = utc_offset_us;
    return r;
}

void reg_free(reg_t **r)
{
    if (!*r) return;
    tabs_free(*r);
    free(*r);
    *r = NULL;
}

void reg_counts(const reg_t *r, int *units, int *nodes, int *groups)
{
    *units = (int)r->units.n;
    *nodes = (int)r->nodes.n;
    *groups = (int)r->groups.n;
}

int reg_subscriber_count(const reg_t *r)
{
    return (int)r->subs.n;
}

/* ---- building ---------------------------------------------------------- */

reg_build_t *reg_build_new(void)
{
    reg_build_t *b = calloc(1, sizeof *b);
    if (b) tabs_init(&b->r);
    return b;
}

void reg_build_free(reg_build_t **b)
{
    if (!*b) return;
    tabs_free(&(*b)->r);
    free((*b)->node_units);
    free((*b)->sub_units);
    free(*b);
    *b = NULL;
}

__attribute__((format(printf, 2, 3))) static int refuse_row(reg_build_t *b, const char *fmt, ...)
{
    if (!b->err[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b->err, sizeof b->err, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int reg_build_unit(reg_build_t *b, const char *code, const char *path, int32_t valid_from,
                   int32_t valid_to)
{
    if (strlen(code) >= LEDGER_UNIT_CAP) return refuse_row(b, "unit %s: code too long", code);
    if (strlen(path) >= sizeof(((unit_t *)0)->path))
        return refuse_row(b, "unit %s: path %s too deep", code, path);
    unit_t *u = tab_push(&b->r.units);
    if (!u) return b->failed = 1, -1;
    snprintf(u->code, sizeof u->code, "%s", code);
    snprintf(u->path, sizeof u->path, "%s", path);
    u->valid_from = valid_from;
    u->valid_to = valid_to;
    return 0;
}

/* Remember a key for item idx of its table. */
static int add_key(reg_build_t *b, tab_t *keys, const char *z85, uint32_t idx, const char *who)
{
    if (!z85 || !z85[0]) return 0;
    if (!key_z85_ok(z85))
        return refuse_row(b, "%s: public key %s is not 40 Z85 characters", who, z85);
    keyref_t *k = tab_push(keys);
    if (!k) return b->failed = 1, -1;
    memcpy(k->z85, z85, KEY_Z85_LEN + 1);
    k->idx = idx;
    return 0;
}

int reg_build_node(reg_build_t *b, const char *id, const char *unit, int revoked,
                   const char *public_key)
{
    if (strlen(id) > ANTT_MAX_NODE_BYTES) return refuse_row(b, "node %s: id too long", id);
    if (grow_array((void **)&b->node_units, &b->cap_nu, (uint32_t)b->r.nodes.n + 1,
                   sizeof *b->node_units) < 0)
        return b->failed = 1, -1;
    node_t *nd = tab_push(&b->r.nodes);
    if (!nd) return b->failed = 1, -1;
    uint32_t i = (uint32_t)b->r.nodes.n - 1;
    snprintf(nd->id, sizeof nd->id, "%s", id);
    nd->revoked = revoked;
    snprintf(b->node_units[i].unit, sizeof b->node_units[i].unit, "%s", unit);
    return add_key(b, &b->r.node_keys, public_key, i, id);
}

int reg_build_successor(reg_build_t *b, const char *code, const char *successor)
{
    /* rows come ordered by code: a split's successors follow each other */
    succ_t *s = b->r.succs.n ? (succ_t *)b->r.succs.items + (b->r.succs.n - 1) : NULL;
    if (!s || strcmp(s->code, code)) {
        if (!(s = tab_push(&b->r.succs))) return b->failed = 1, -1;
        snprintf(s->code, sizeof s->code, "%s", code);
    }
    size_t n = strlen(s->list);
    snprintf(s->list + n, sizeof s->list - n, "%s%s", n ? ", " : "", successor);
    return 0;
}

int reg_build_group(reg_build_t *b, const char *slug, int is_crime)
{
    group_t *g = tab_push(&b->r.groups);
    if (!g) return b->failed = 1, -1;
    snprintf(g->slug, sizeof g->slug, "%s", slug);
    g->is_crime = is_crime;
    return 0;
}

int reg_build_subscriber(reg_build_t *b, const char *name, const char *unit, int revoked,
                         const char *public_key)
{
    if (strlen(name) >= REG_NAME_CAP) return refuse_row(b, "subscriber %s: name too long", name);
    if (grow_array((void **)&b->sub_units, &b->cap_su, (uint32_t)b->r.subs.n + 1,
                   sizeof *b->sub_units) < 0)
        return b->failed = 1, -1;
    sub_t *s = tab_push(&b->r.subs);
    if (!s) return b->failed = 1, -1;
    uint32_t i = (uint32_t)b->r.subs.n - 1;
    snprintf(s->name, sizeof s->name, "%s", name);
    s->revoked = revoked;
    snprintf(b->sub_units[i].unit, sizeof b->sub_units[i].unit, "%s", unit ? unit : "");
    return add_key(b, &b->r.sub_keys, public_key, i, name);
}

int reg_build_finish(reg_t *r, reg_build_t **bp, char *err, size_t errlen)
{
    reg_build_t *b = *bp;
    int rc = -1;
    if (b->failed) {
        snprintf(err, errlen, "out of memory loading the registry");
        goto out;
    }
    if (b->err[0]) {
        snprintf(err, errlen, "%s", b->err);
        goto out;
    }
    reg_t *n = &b->r;
    if (tab_index(&n->units) < 0) goto oom;
    for (size_t i = 0; i < n->nodes.n; i++) {
        /* a node's area: its unit as it is today (or as it was last) */
        int valid;
        long u = unit_version(&n->units, b->node_units[i].unit, strlen(b->node_units[i].unit),
                              today(r->utc_offset_us), &valid);
        node_t *nd = (node_t *)n->nodes.items + i;
        if (u < 0) {
            snprintf(err, errlen, "node %s: unit %s not in antt.units", nd->id,
                     b->node_units[i].unit);
            goto out;
        }
        nd->unit = (uint32_t)u;
        snprintf(nd->unit_code, sizeof nd->unit_code, "%s", b->node_units[i].unit);
    }
    for (size_t i = 0; i < n->subs.n; i++) {
        sub_t *s = (sub_t *)n->subs.items + i;
        const char *uc = b->sub_units[i].unit;
        if (!uc[0]) continue; /* every unit */
        int valid;
        long u = unit_version(&n->units, uc, strlen(uc), today(r->utc_offset_us), &valid);
        if (u < 0) {
            snprintf(err, errlen, "subscriber %s: unit %s not in antt.units", s->name, uc);
            goto out;
        }
        snprintf(s->scope, sizeof s->scope, "%s.", ((unit_t *)n->units.items)[u].path);
    }
    if (tab_index(&n->nodes) < 0 || tab_index(&n->groups) < 0 || tab_index(&n->subs) < 0 ||
        tab_index(&n->node_keys) < 0 || tab_index(&n->sub_keys) < 0 || tab_index(&n->succs) < 0)
        goto oom;
    tabs_free(r);
    r->units = n->units;
    r->nodes = n->nodes;
    r->groups = n->groups;
    r->subs = n->subs;
    r->node_keys = n->node_keys;
    r->sub_keys = n->sub_keys;
    r->succs = n->succs;
    memset(n, 0, sizeof *n);
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "out of memory loading the registry");
out:
    reg_build_free(bp);
    return rc;
}

/* ---- loading from the database ----------------------------------------- */

static void sink_unit(void *b, const char *code, const char *path, int32_t from, int32_t to)
{
    reg_build_unit(b, code, path, from, to);
}
static void sink_node(void *b, const char *id, const char *unit, int revoked, const char *key)
{
    reg_build_node(b, id, unit, revoked, key);
}
static void sink_group(void *b, const char *slug, int is_crime)
{
    reg_build_group(b, slug, is_crime);
}
static void sink_successor(void *b, const char *code, const char *successor)
{
    reg_build_successor(b, code, successor);
}
static void sink_subscriber(void *b, const char *name, const char *unit, int revoked,
                            const char *key)
{
    reg_build_subscriber(b, name, unit, revoked, key);
}

int reg_load(reg_t *r, db_t *c, char *err, size_t errlen)
{
    static const registry_sink_t SINK = {sink_unit, sink_node, sink_group, sink_subscriber,
                                         sink_successor};
    reg_build_t *b = reg_build_new();
    if (!b) {
        snprintf(err, errlen, "out of memory loading the registry");
        return -1;
    }
    if (registry_read(c, &SINK, b, err, errlen) < 0) {
        reg_build_free(&b);
        return -1;
    }
    return reg_build_finish(r, &b, err, errlen);
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

/* Check one unit field: known, valid at `at_us`, inside the node's subtree
 * (out_code: 302 for a claimed node, 401 for an authenticated one). */
static int unit_ok(const reg_t *r, const unit_t *home, ev_str_t code, int64_t at_us,
                   const char *field, int out_code, verdict_t *v)
{
    int valid;
    long i = unit_version(&r->units, code.p, code.n, local_day(r, at_us), &valid);
    if (i < 0) return verdict(v, ACK_REJECTED, ANTT_E_UNKNOWN_UNIT, field, "unknown unit", code);
    const unit_t *u = (const unit_t *)r->units.items + i;
    if (!valid) {
        const int32_t d = local_day(r, at_us);
        long si = tab_find(&r->succs, code.p, code.n);
        if (u->valid_to != REG_DAY_NONE && d >= u->valid_to && si >= 0) {
            /* dissolved: say where it went (the reorganisation of 1 July 2025) */
            const time_t t = (time_t)u->valid_to * 86400;
            struct tm tm;
            gmtime_r(&t, &tm);
            verdict(v, ACK_REJECTED, ANTT_E_UNKNOWN_UNIT, field, "unit dissolved:", code);
            size_t n = strlen(v->msg);
            snprintf(v->msg + n, sizeof v->msg - n, " (from %04d-%02d-%02d; successor: %s)",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     ((const succ_t *)r->succs.items + si)->list);
            return -ANTT_E_UNKNOWN_UNIT;
        }
        return verdict(v, ACK_REJECTED, ANTT_E_UNKNOWN_UNIT, field,
                       "unit not valid at the event's time:", code);
    }
    size_t hl = strlen(home->path);
    if (!(strncmp(u->path, home->path, hl) == 0 && (u->path[hl] == '\0' || u->path[hl] == '.')))
        return verdict(v, ACK_REJECTED, out_code, field,
                       out_code == ANTT_E_OUT_OF_SCOPE
                           ? "outside the node's area: unit"
                           : "outside the authenticated node's area: unit",
                       code);
    return 0;
}

int reg_admit(const reg_t *r, const ev_t *ev, const char *auth_node, verdict_t *v)
{
    if (auth_node &&
        !(strlen(auth_node) == ev->node.n && !memcmp(auth_node, ev->node.p, ev->node.n))) {
        v->status = ACK_REJECTED;
        v->code = ANTT_E_NODE_MISMATCH;
        v->field = "node";
        snprintf(v->msg, sizeof v->msg, "event names node %.*s; this connection is node %s",
                 (int)(ev->node.n > 64 ? 64 : ev->node.n), ev->node.p, auth_node);
        return -ANTT_E_NODE_MISMATCH;
    }
    long ni = tab_find(&r->nodes, ev->node.p, ev->node.n);
    if (ni < 0)
        return verdict(v, ACK_DEFERRED, ANTT_E_UNKNOWN_NODE, "node",
                       "node is not registered; resend once it is:", ev->node);
    const node_t *nd = (const node_t *)r->nodes.items + ni;
    if (nd->revoked)
        return verdict(v, ACK_REJECTED, ANTT_E_UNKNOWN_NODE, "node", "node was revoked:", ev->node);
    /* The node's area when it recorded the event: its unit's version valid
     * then (a reused code names another area after the reorganisation), or
     * its last version (a dissolved unit). */
    int valid;
    long hv = unit_version(&r->units, nd->unit_code, strlen(nd->unit_code),
                           local_day(r, ev->time_us), &valid);
    const unit_t *home = (const unit_t *)r->units.items + (hv >= 0 ? (uint32_t)hv : nd->unit);
    int out = auth_node ? ANTT_E_UNIT_NOT_AUTHORISED : ANTT_E_OUT_OF_SCOPE;
    int rc = unit_ok(r, home, ev->unit, ev->time_us, "unit", out, v);
    if (rc) return rc;
    if (ev->present & EVB(EVF_OCCURRED_UNIT)) {
        int64_t at = (ev->present & EVB(EVF_OCCURRED_AT)) ? ev->occurred_us : ev->time_us;
        if ((rc = unit_ok(r, home, ev->occurred_unit, at, "occurred_unit", out, v))) return rc;
    }
    if ((ev->present & EVB(EVF_GROUP)) && tab_find(&r->groups, ev->group.p, ev->group.n) < 0)
        return verdict(v, ACK_REJECTED, ANTT_E_UNKNOWN_GROUP, "group", "unknown crime group",
                       ev->group);
    return 0;
}

/* ---- who may connect ---------------------------------------------------- */

int reg_key(const reg_t *r, reg_domain_t dom, const char *z85, const char **user)
{
    const tab_t *keys = dom == REG_NODES ? &r->node_keys : &r->sub_keys;
    long k = tab_find(keys, z85, strlen(z85));
    if (k < 0) return -1;
    uint32_t idx = ((const keyref_t *)keys->items)[k].idx;
    if (dom == REG_NODES) {
        const node_t *nd = (const node_t *)r->nodes.items + idx;
        *user = nd->id;
        return nd->revoked ? -2 : 0;
    }
    const sub_t *s = (const sub_t *)r->subs.items + idx;
    *user = s->name;
    return s->revoked ? -2 : 0;
}

int reg_user_ok(const reg_t *r, reg_domain_t dom, const char *user)
{
    if (dom == REG_NODES) {
        long i = tab_find(&r->nodes, user, strlen(user));
        return i >= 0 && !((const node_t *)r->nodes.items)[i].revoked;
    }
    return reg_subscriber_scope(r, user) != NULL;
}

const char *reg_subscriber_scope(const reg_t *r, const char *name)
{
    long i = tab_find(&r->subs, name, strlen(name));
    if (i < 0) return NULL;
    const sub_t *s = (const sub_t *)r->subs.items + i;
    return s->revoked ? NULL : s->scope;
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
    int valid;
    long i = unit_version(&r->units, code, n, today(r->utc_offset_us), &valid);
    return i < 0 ? NULL : ((const unit_t *)r->units.items)[i].path;
}
