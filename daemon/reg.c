/* reg.c — see reg.h. Three open-addressing tables keyed by short strings. */
#include "daemon/reg.h"

#include "db/registry.h"
#include "proto/hindex.h"
#include "proto/util.h"

#include "proto/err.h"
#include "proto/ts.h"
#include "net/key.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REG_PATH_CAP 24 /* "PP.DDD.CCCCC" and deeper hierarchies to 23 bytes */

typedef struct {
    char code[LEDGER_UNIT_CAP];
    char path[REG_PATH_CAP];
    /* A unit made of dissolved units (1 July 2025): the longest path that
     * holds all its predecessors ("20.180" for a commune made of district
     * 180's communes), so that district's node and subscribers keep it; ""
     * for a province and for a unit without predecessors. */
    char legacy[REG_PATH_CAP];
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

/* A dissolved unit's successor: one row per successor, a unit's rows
 * together and in the conversion table's order (the first is its heir by
 * default). */
typedef struct {
    char code[LEDGER_UNIT_CAP];
    char successor[LEDGER_UNIT_CAP];
    int partial;
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

/* The days that are not as their weekday says (antt.days_off), by day. */
typedef struct {
    int32_t *day;
    uint8_t *off;
    size_t n, cap;
} days_t;

struct reg {
    tab_t units, nodes, groups, subs, node_keys, sub_keys, succs;
    days_t days;
    int64_t utc_offset_us;
    /* The committers' threads read the tables through the ledger's hooks
     * while the loop may load new ones: readers hold it for a commit, a load
     * for its swap (writers first, or back-to-back commits would starve it).
     * Not used in a builder's embedded reg_t. */
    pthread_rwlock_t lock;
    int has_lock;
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

/* Cut acc to the longest path it shares with p, at a dot ("20.180.06040"
 * and "20.180.06043" share "20.180"). */
static void common_path(char *acc, const char *p)
{
    size_t last = 0;
    for (size_t k = 0;; k++) {
        const char a = acc[k], c = p[k];
        if ((a == '\0' || a == '.') && (c == '\0' || c == '.')) {
            last = k;
            if (!a || !c) break;
        } else if (a != c) {
            break;
        }
    }
    acc[last] = '\0';
}

/* 1 when path p is home or below it ("20.180" holds "20.180.06040"). */
static int inside(const char *home, const char *p)
{
    size_t hl = strlen(home);
    return p[0] && !strncmp(p, home, hl) && (p[hl] == '\0' || p[hl] == '.');
}

/* The successor rows of code (n bytes): *first and the count (0: none). A
 * code's rows are contiguous, in the conversion table's order. */
static uint32_t succ_rows(const tab_t *t, const char *code, size_t n, long *first)
{
    long i = -1;
    hindex_iter_t it = hindex_find(&t->idx, hindex_hash(code, n));
    for (long j; (j = hindex_next(&t->idx, &it)) >= 0;) {
        const char *k = key_of(t, (size_t)j);
        if (!strncmp(k, code, n) && k[n] == '\0' && (i < 0 || j < i)) i = j;
    }
    *first = i;
    uint32_t c = 0;
    while (i >= 0 && (size_t)i + c < t->n &&
           !strcmp(key_of(t, (size_t)i + c), key_of(t, (size_t)i)))
        c++;
    return c;
}

/* The version of a code that was dissolved (ended with successors or
 * without), or NULL. */
static const unit_t *dissolved_version(const tab_t *units, const char *code, size_t n)
{
    hindex_iter_t it = hindex_find(&units->idx, hindex_hash(code, n));
    const unit_t *best = NULL;
    for (long i; (i = hindex_next(&units->idx, &it)) >= 0;) {
        const unit_t *u = (const unit_t *)units->items + i;
        if (strncmp(u->code, code, n) || u->code[n] || u->valid_to == REG_DAY_NONE) continue;
        if (!best || u->valid_to > best->valid_to) best = u;
    }
    return best;
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
    free(r->days.day);
    free(r->days.off);
    memset(&r->days, 0, sizeof r->days);
}

reg_t *reg_new(int64_t utc_offset_us)
{
    reg_t *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    tabs_init(r);
    r->utc_offset_us = utc_offset_us;
    pthread_rwlockattr_t a;
    pthread_rwlockattr_init(&a);
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    r->has_lock = pthread_rwlock_init(&r->lock, &a) == 0;
    pthread_rwlockattr_destroy(&a);
    if (!r->has_lock) {
        free(r);
        return NULL;
    }
    return r;
}

void reg_hold(reg_t *r)
{
    pthread_rwlock_rdlock(&r->lock);
}

void reg_release(reg_t *r)
{
    pthread_rwlock_unlock(&r->lock);
}

void reg_free(reg_t **r)
{
    if (!*r) return;
    tabs_free(*r);
    if ((*r)->has_lock) pthread_rwlock_destroy(&(*r)->lock);
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

int reg_build_successor(reg_build_t *b, const char *code, const char *successor, int partial)
{
    if (strlen(code) >= LEDGER_UNIT_CAP || strlen(successor) >= LEDGER_UNIT_CAP)
        return refuse_row(b, "successor %s -> %s: code too long", code, successor);
    succ_t *s = tab_push(&b->r.succs);
    if (!s) return b->failed = 1, -1;
    snprintf(s->code, sizeof s->code, "%s", code);
    snprintf(s->successor, sizeof s->successor, "%s", successor);
    s->partial = partial;
    return 0;
}

int reg_build_day_off(reg_build_t *b, int32_t day, int off)
{
    days_t *d = &b->r.days;
    if (d->n && day <= d->day[d->n - 1]) return refuse_row(b, "days off: not in day order");
    if (d->n == d->cap) {
        const size_t cap = d->cap ? d->cap * 2 : 64;
        int32_t *dd = realloc(d->day, cap * sizeof *dd);
        if (dd) d->day = dd;
        uint8_t *oo = dd ? realloc(d->off, cap) : NULL;
        if (!oo) return b->failed = 1, -1;
        d->off = oo;
        d->cap = cap;
    }
    d->day[d->n] = day;
    d->off[d->n++] = (uint8_t)(off != 0);
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

/* Each unit made of dissolved units gets the path that holds all of them
 * (its successor rows name it, from the day they were dissolved). A
 * province is left out: it holds more than the data shows (Tuyên Quang 08's
 * own old communes are not in cluster II's list). -1 out of memory. */
static int legacies(reg_t *n)
{
    uint8_t *seen = calloc(n->units.n + 1, 1);
    if (!seen) return -1;
    for (size_t i = 0; i < n->succs.n; i++) {
        const succ_t *sr = (const succ_t *)n->succs.items + i;
        const unit_t *p = dissolved_version(&n->units, sr->code, strlen(sr->code));
        int valid;
        long si =
            p ? unit_version(&n->units, sr->successor, strlen(sr->successor), p->valid_to, &valid)
              : -1;
        if (si < 0 || !valid) continue;
        unit_t *su = (unit_t *)n->units.items + si;
        if (!strchr(su->path, '.')) continue;
        if (!seen[si]) {
            snprintf(su->legacy, sizeof su->legacy, "%s", p->path);
            seen[si] = 1;
        } else {
            common_path(su->legacy, p->path);
        }
    }
    free(seen);
    return 0;
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
    if (tab_index(&n->units) < 0 || tab_index(&n->succs) < 0) goto oom;
    if (legacies(n) < 0) goto oom;
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
        tab_index(&n->node_keys) < 0 || tab_index(&n->sub_keys) < 0)
        goto oom;
    pthread_rwlock_wrlock(&r->lock);
    tabs_free(r);
    r->units = n->units;
    r->nodes = n->nodes;
    r->groups = n->groups;
    r->subs = n->subs;
    r->node_keys = n->node_keys;
    r->sub_keys = n->sub_keys;
    r->succs = n->succs;
    r->days = n->days;
    pthread_rwlock_unlock(&r->lock);
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
static void sink_successor(void *b, const char *code, const char *successor, int partial)
{
    reg_build_successor(b, code, successor, partial);
}
static void sink_day_off(void *b, int32_t day, int off)
{
    reg_build_day_off(b, day, off);
}
static void sink_subscriber(void *b, const char *name, const char *unit, int revoked,
                            const char *key)
{
    reg_build_subscriber(b, name, unit, revoked, key);
}

int reg_load(reg_t *r, db_t *c, char *err, size_t errlen)
{
    static const registry_sink_t SINK = {sink_unit,       sink_node,      sink_group,
                                         sink_subscriber, sink_successor, sink_day_off};
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

/* 1 when a node at home may report for u: u is in home's subtree, or is a
 * new unit wholly inside it (a district's communes after 1 July 2025), or
 * u was dissolved and one of its successors is (a commune's old
 * predecessors belong to it; a province holds its old districts). */
static int covers(const reg_t *r, const unit_t *home, const unit_t *u, int depth)
{
    if (inside(home->path, u->path) || inside(home->path, u->legacy)) return 1;
    if (depth >= 4 || u->valid_to == REG_DAY_NONE) return 0;
    long first;
    uint32_t ns = succ_rows(&r->succs, u->code, strlen(u->code), &first);
    for (uint32_t k = 0; k < ns; k++) {
        const succ_t *sr = (const succ_t *)r->succs.items + first + k;
        int valid;
        long si =
            unit_version(&r->units, sr->successor, strlen(sr->successor), u->valid_to, &valid);
        if (si >= 0 && valid && covers(r, home, (const unit_t *)r->units.items + si, depth + 1))
            return 1;
    }
    return 0;
}

static void format_day(int32_t d, char out[16])
{
    const time_t t = (time_t)d * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y-%m-%d", &tm);
}

/* "unit dissolved: X (from D; successor: A, B)" into v. */
static int dissolved(const reg_t *r, const unit_t *u, const char *field, verdict_t *v)
{
    char day[16];
    format_day(u->valid_to, day);
    v->status = ACK_REJECTED;
    v->code = ANTT_E_UNKNOWN_UNIT;
    v->field = field;
    int n =
        snprintf(v->msg, sizeof v->msg, "unit dissolved: %s (from %s; successor: ", u->code, day);
    long first;
    uint32_t ns = succ_rows(&r->succs, u->code, strlen(u->code), &first);
    for (uint32_t k = 0; k < ns && n > 0 && (size_t)n < sizeof v->msg; k++) {
        const succ_t *sr = (const succ_t *)r->succs.items + first + k;
        n += snprintf(v->msg + n, sizeof v->msg - (size_t)n, "%s%s%s", k ? ", " : "", sr->successor,
                      sr->partial ? " in part" : "");
    }
    if (n > 0 && (size_t)n < sizeof v->msg)
        snprintf(v->msg + n, sizeof v->msg - (size_t)n, "%s)", ns ? "" : "none traced");
    return -ANTT_E_UNKNOWN_UNIT;
}

/* Check one unit field: known, valid at `at_us` or at `alt_us` (the
 * instant the event dates: an incident of 2024 reported in 2026 names the
 * units of 2024), or, when `case_key`, dissolved before (a follow-up names
 * the unit that reported the case); and one the node may report for
 * (out_code: 302 for a claimed node, 401 for an authenticated one). */
static int unit_ok(const reg_t *r, const unit_t *home, ev_str_t code, int64_t at_us, int64_t alt_us,
                   int case_key, const char *field, int out_code, verdict_t *v)
{
    int valid;
    int32_t d = local_day(r, at_us);
    long i = unit_version(&r->units, code.p, code.n, d, &valid);
    if (i < 0) return verdict(v, ACK_REJECTED, ANTT_E_UNKNOWN_UNIT, field, "unknown unit", code);
    if (!valid && alt_us != at_us) {
        const int32_t d2 = local_day(r, alt_us);
        int valid2;
        long i2 = unit_version(&r->units, code.p, code.n, d2, &valid2);
        if (valid2) i = i2, valid = 1, d = d2;
    }
    const unit_t *u = (const unit_t *)r->units.items + i;
    if (!valid) {
        const int gone = u->valid_to != REG_DAY_NONE && d >= u->valid_to;
        if (gone && !case_key) return dissolved(r, u, field, v);
        if (!gone)
            return verdict(v, ACK_REJECTED, ANTT_E_UNKNOWN_UNIT, field,
                           "unit not valid at the event's time:", code);
    }
    /* A follow-up's unit may be a reused code: the case may be the old
     * unit's (Đại Đồng's cases are 06040's, as are Thất Khê's now). */
    const unit_t *old = case_key ? dissolved_version(&r->units, code.p, code.n) : NULL;
    if (!covers(r, home, u, 0) && !(old && old != u && covers(r, home, old, 0)))
        return verdict(v, ACK_REJECTED, out_code, field,
                       out_code == ANTT_E_OUT_OF_SCOPE
                           ? "outside the node's area: unit"
                           : "outside the authenticated node's area: unit",
                       code);
    return 0;
}

/* Events about a case or tip-off reported earlier: their `unit` is the
 * case's key, which may have been dissolved since. */
static int follow_up(ev_type_t t)
{
    return t == EV_INCIDENT_CLEARED || t == EV_INCIDENT_CORRECTED || t == EV_INCIDENT_VOIDED ||
           t == EV_TIPOFF_EXTENDED || t == EV_TIPOFF_RESOLVED || t == EV_TIPOFF_RESUMED;
}

/* The instant a new report is about: when the incident occurred, the
 * tip-off was received, the wanted person was found or the notice
 * withdrawn. */
static int64_t dated_us(const ev_t *ev)
{
    if (ev->type == EV_INCIDENT_REPORTED) return ev->occurred_us;
    if (ev->type == EV_TIPOFF_RECEIVED || ev->type == EV_WANTED_FOUND ||
        ev->type == EV_WANTED_WITHDRAWN)
        return ev->at_us;
    return ev->time_us;
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
    int rc =
        unit_ok(r, home, ev->unit, ev->time_us, dated_us(ev), follow_up(ev->type), "unit", out, v);
    if (rc) return rc;
    if (ev->present & EVB(EVF_OCCURRED_UNIT)) {
        int64_t at = (ev->present & EVB(EVF_OCCURRED_AT)) ? ev->occurred_us : ev->time_us;
        if ((rc = unit_ok(r, home, ev->occurred_unit, at, at, 0, "occurred_unit", out, v)))
            return rc;
    }
    if ((ev->present & EVB(EVF_GROUP)) && tab_find(&r->groups, ev->group.p, ev->group.n) < 0)
        return verdict(v, ACK_REJECTED, ANTT_E_UNKNOWN_GROUP, "group", "unknown crime group",
                       ev->group);
    return 0;
}

/* ---- the heirs of dissolved units --------------------------------------- */

int reg_heir(void *ctx, const char *code, int32_t since, int32_t day, const char *prefer,
             char out[LEDGER_UNIT_CAP])
{
    const reg_t *r = ctx;
    char cur[LEDGER_UNIT_CAP];
    snprintf(cur, sizeof cur, "%s", code);
    for (int depth = 0; depth < 8; depth++) {
        int valid, then;
        long i = unit_version(&r->units, cur, strlen(cur), day, &valid);
        /* the code as it was named (a reused code: the old unit's case) */
        long j = depth ? -1 : unit_version(&r->units, cur, strlen(cur), since, &then);
        if (j >= 0 && then && j != i) i = j, valid = 0;
        if (i < 0) break;
        const unit_t *u = (const unit_t *)r->units.items + i;
        if (valid) {
            memcpy(out, cur, LEDGER_UNIT_CAP);
            return 0;
        }
        if (u->valid_to == REG_DAY_NONE || day < u->valid_to) break; /* before it existed */
        long first;
        uint32_t ns = succ_rows(&r->succs, cur, strlen(cur), &first);
        const succ_t *pick = ns ? (const succ_t *)r->succs.items + first : NULL;
        for (uint32_t k = 0; prefer && k < ns; k++)
            if (!strcmp(((const succ_t *)r->succs.items + first + k)->successor, prefer))
                pick = (const succ_t *)r->succs.items + first + k;
        if (pick) {
            snprintf(cur, sizeof cur, "%s", pick->successor);
            continue;
        }
        /* dissolved and traced nowhere: its parent's heir carries it */
        const char *dot = strrchr(u->path, '.');
        if (!dot) break;
        const char *pdot = dot;
        while (pdot > u->path && pdot[-1] != '.')
            pdot--;
        if ((size_t)(dot - pdot) >= sizeof cur) break;
        memcpy(cur, pdot, (size_t)(dot - pdot));
        cur[dot - pdot] = '\0';
    }
    return -1;
}

const char *reg_node_unit(void *ctx, const char *node, size_t n)
{
    const reg_t *r = ctx;
    long i = tab_find(&r->nodes, node, n);
    return i < 0 ? NULL : ((const node_t *)r->nodes.items)[i].unit_code;
}

int reg_each_wholly_inside(const reg_t *r, const char *path, size_t n,
                           void (*fn)(void *ctx, const char *path), void *ctx)
{
    char home[REG_PATH_CAP];
    if (n >= sizeof home) return 0;
    memcpy(home, path, n);
    home[n] = '\0';
    const int32_t d = today(r->utc_offset_us);
    int count = 0;
    for (size_t i = 0; i < r->units.n; i++) {
        const unit_t *u = (const unit_t *)r->units.items + i;
        if ((u->valid_from != REG_DAY_NONE && d < u->valid_from) ||
            (u->valid_to != REG_DAY_NONE && d >= u->valid_to))
            continue;
        if (inside(home, u->legacy) && !inside(home, u->path)) {
            fn(ctx, u->path);
            count++;
        }
    }
    return count;
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

int reg_scope_holds(const reg_t *r, const char *scope, const char *topic, size_t wn)
{
    const size_t sn = strlen(scope);
    if (wn >= sn && !memcmp(topic, scope, sn)) return 1;
    /* "20.06040." (or deeper): the unit's path is its first two or more
     * components; look for a unit valid today with that path */
    char path[REG_PATH_CAP], home[REG_PATH_CAP];
    if (!sn || sn > sizeof home || wn < 2 || wn > sizeof path || topic[wn - 1] != '.') return 0;
    memcpy(path, topic, wn - 1);
    path[wn - 1] = '\0';
    memcpy(home, scope, sn - 1);
    home[sn - 1] = '\0';
    const char *dot = strrchr(path, '.');
    const char *code = dot ? dot + 1 : path;
    int valid;
    long i = unit_version(&r->units, code, strlen(code), today(r->utc_offset_us), &valid);
    if (i < 0 || !valid) return 0;
    const unit_t *u = (const unit_t *)r->units.items + i;
    return !strcmp(u->path, path) && inside(home, u->legacy);
}

int reg_day_off(void *ctx, int32_t day)
{
    const days_t *d = &((const reg_t *)ctx)->days;
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (d->day[mid] < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < d->n && d->day[lo] == day) return d->off[lo];
    return lawtime_weekend(day);
}

int reg_days_off_in_year(const void *reg, int year)
{
    const reg_t *r = reg;
    const int32_t from = ts_days_from_civil(year, 1, 1), to = ts_days_from_civil(year + 1, 1, 1);
    int n = 0;
    for (size_t i = 0; i < r->days.n; i++)
        n += r->days.day[i] >= from && r->days.day[i] < to;
    return n;
}

int reg_days_off_last_year(const reg_t *r)
{
    if (!r->days.n) return 0;
    int y, m, d;
    ts_civil_from_days(r->days.day[r->days.n - 1], &y, &m, &d);
    return y;
}

void reg_ledger_hooks(reg_t *r, ledger_cfg_t *l)
{
    l->law.day_off = reg_day_off;
    l->law.day_off_ctx = r;
    l->is_crime = reg_is_crime;
    l->is_crime_ctx = r;
    l->heir = reg_heir;
    l->node_unit = reg_node_unit;
    l->heir_ctx = r;
}

const char *reg_unit_path_on(const reg_t *r, const char *code, size_t n, int32_t d)
{
    int valid;
    long i = unit_version(&r->units, code, n, d, &valid);
    return i < 0 ? NULL : ((const unit_t *)r->units.items)[i].path;
}

int reg_is_unit_topic(const reg_t *r, const char *topic, size_t n)
{
    if (n < 3 || n > REG_PATH_CAP || topic[n - 1] != '.') return 0;
    size_t c = n - 1; /* the last component: a unit's code */
    while (c > 0 && topic[c - 1] != '.')
        c--;
    const size_t cn = n - 1 - c;
    hindex_iter_t it = hindex_find(&r->units.idx, hindex_hash(topic + c, cn));
    for (long i; (i = hindex_next(&r->units.idx, &it)) >= 0;) {
        const unit_t *u = (const unit_t *)r->units.items + i;
        if (strlen(u->code) == cn && !memcmp(u->code, topic + c, cn) && strlen(u->path) == n - 1 &&
            !memcmp(u->path, topic, n - 1))
            return 1;
    }
    return 0;
}

const char *reg_unit_path(const reg_t *r, const char *code, size_t n)
{
    return reg_unit_path_on(r, code, n, today(r->utc_offset_us));
}
