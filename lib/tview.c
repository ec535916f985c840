/* tview.c — see tview.h. */
#include "lib/tview.h"

#include "proto/hindex.h"
#include "proto/mp.h"
#include "proto/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char unit[8], metric[24], grp[33], sev[24];
    int32_t day;
    int64_t value;
} cell_t;

typedef struct {
    char unit[8];
    uint64_t useq;
} useq_t;

/* Cells and per-unit sequence numbers: arrays in order of first
 * appearance, each indexed by its key. */
struct tview {
    uint64_t epoch;
    cell_t *c;
    uint32_t nc, capc;
    hindex_t cidx;
    htab_t useq; /* unit -> useq_t */
    uint64_t gaps;
};

static uint64_t cell_hash(const char *unit, int32_t day, const char *metric, const char *grp,
                          const char *sev)
{
    uint64_t h = hindex_mix(HINDEX_SEED, unit, strlen(unit) + 1);
    h = hindex_mix(h, &day, sizeof day);
    h = hindex_mix(h, metric, strlen(metric) + 1);
    h = hindex_mix(h, grp, strlen(grp) + 1);
    return hindex_mix(h, sev, strlen(sev));
}

static cell_t *cell(tview_t *tv, const char *unit, int32_t day, const char *metric, const char *grp,
                    const char *sev, int create)
{
    const uint64_t h = cell_hash(unit, day, metric, grp, sev);
    hindex_iter_t it = hindex_find(&tv->cidx, h);
    for (long i; (i = hindex_next(&tv->cidx, &it)) >= 0;) {
        cell_t *c = &tv->c[i];
        if (c->day == day && !strcmp(c->unit, unit) && !strcmp(c->metric, metric) &&
            !strcmp(c->grp, grp) && !strcmp(c->sev, sev))
            return c;
    }
    if (!create || grow_array((void **)&tv->c, &tv->capc, tv->nc + 1, sizeof *tv->c) < 0 ||
        hindex_add(&tv->cidx, h, tv->nc) < 0)
        return NULL;
    cell_t *c = &tv->c[tv->nc++];
    snprintf(c->unit, sizeof c->unit, "%s", unit);
    snprintf(c->metric, sizeof c->metric, "%s", metric);
    snprintf(c->grp, sizeof c->grp, "%s", grp);
    snprintf(c->sev, sizeof c->sev, "%s", sev);
    c->day = day;
    c->value = 0;
    return c;
}

tview_t *tview_new(void)
{
    tview_t *tv = calloc(1, sizeof(tview_t));
    if (!tv) return NULL;
    tv->useq.size = sizeof(useq_t);
    tv->useq.keycap = sizeof((useq_t *)0)->unit;
    return tv;
}

void tview_free(tview_t **tv)
{
    if (!*tv) return;
    free((*tv)->c);
    hindex_free(&(*tv)->cidx);
    htab_free(&(*tv)->useq);
    free(*tv);
    *tv = NULL;
}

static void reset(tview_t *tv)
{
    tv->nc = 0; /* the memory is kept for the next snapshot */
    hindex_clear(&tv->cidx);
    htab_clear(&tv->useq);
    tv->gaps = 0;
}

/* Copy a str object into buf. 0 or -1. */
static int str(const mp_obj_t *o, char *buf, size_t cap)
{
    if (o->type != MP_STR || o->n >= cap) return -1;
    memcpy(buf, o->p, o->n);
    buf[o->n] = '\0';
    return 0;
}

static int key_is(const mp_obj_t *k, const char *lit)
{
    return k->type == MP_STR && k->n == strlen(lit) && !memcmp(k->p, lit, k->n);
}

static int integer(const mp_obj_t *o, int64_t *v)
{
    if (o->type == MP_UINT)
        *v = (int64_t)o->v.u;
    else if (o->type == MP_INT)
        *v = o->v.i;
    else
        return -1;
    return 0;
}

/* Read [unit?, day, metric, grp, sev, value] (with_unit: 6 items, else 5). */
static int row(mp_reader_t *r, int with_unit, char unit[8], int64_t *day, char metric[24],
               char grp[33], char sev[24], int64_t *value)
{
    mp_obj_t a, o;
    if (mp_next(r, &a) < 0 || a.type != MP_ARRAY || a.n != (uint32_t)(with_unit ? 6 : 5)) return -1;
    if (with_unit && (mp_next(r, &o) < 0 || str(&o, unit, 8) < 0)) return -1;
    if (mp_next(r, &o) < 0 || integer(&o, day) < 0) return -1;
    if (mp_next(r, &o) < 0 || str(&o, metric, 24) < 0) return -1;
    if (mp_next(r, &o) < 0 || str(&o, grp, 33) < 0) return -1;
    if (mp_next(r, &o) < 0 || str(&o, sev, 24) < 0) return -1;
    if (mp_next(r, &o) < 0 || integer(&o, value) < 0) return -1;
    return 0;
}

int tview_snapshot(tview_t *tv, const void *buf, size_t len, char *err, size_t errlen)
{
    reset(tv);
    mp_reader_t r;
    mp_init(&r, buf, len);
    mp_obj_t m, k, v;
    if (mp_next(&r, &m) < 0 || m.type != MP_MAP) goto bad;
    for (uint32_t i = 0; i < m.n; i++) {
        if (mp_next(&r, &k) < 0 || mp_next(&r, &v) < 0) goto bad;
        if (key_is(&k, "error")) {
            char e[128] = "";
            str(&v, e, sizeof e);
            snprintf(err, errlen, "snapshot refused: %s", e);
            return -1;
        } else if (key_is(&k, "epoch")) {
            int64_t e;
            if (integer(&v, &e) < 0) goto bad;
            tv->epoch = (uint64_t)e;
        } else if (key_is(&k, "useq")) {
            if (v.type != MP_MAP) goto bad;
            for (uint32_t j = 0; j < v.n; j++) {
                mp_obj_t uk, uv;
                char unit[8];
                int64_t q;
                if (mp_next(&r, &uk) < 0 || mp_next(&r, &uv) < 0 ||
                    str(&uk, unit, sizeof unit) < 0 || integer(&uv, &q) < 0)
                    goto bad;
                useq_t *u = htab_get_or_add(&tv->useq, unit, strlen(unit));
                if (!u) goto bad;
                u->useq = (uint64_t)q;
            }
        } else if (key_is(&k, "rows")) {
            if (v.type != MP_ARRAY) goto bad;
            for (uint32_t j = 0; j < v.n; j++) {
                char unit[8], metric[24], grp[33], sev[24];
                int64_t day, value;
                if (row(&r, 1, unit, &day, metric, grp, sev, &value) < 0) goto bad;
                cell_t *c = cell(tv, unit, (int32_t)day, metric, grp, sev, 1);
                if (!c) goto bad;
                c->value = value;
            }
        } else if (v.type == MP_ARRAY || v.type == MP_MAP) {
            goto bad; /* no nested values in keys we do not know */
        }
    }
    return 0;
bad:
    snprintf(err, errlen, "snapshot: not a snapshot reply");
    return -1;
}

int tview_apply(tview_t *tv, const void *buf, size_t len)
{
    mp_reader_t r;
    mp_init(&r, buf, len);
    mp_obj_t m, k, v;
    int64_t epoch = -1, q = -1;
    char unit[8] = "";
    if (mp_next(&r, &m) < 0 || m.type != MP_MAP) return TV_BAD;
    for (uint32_t i = 0; i < m.n; i++) {
        if (mp_next(&r, &k) < 0 || mp_next(&r, &v) < 0) return TV_BAD;
        if (key_is(&k, "epoch")) {
            if (integer(&v, &epoch) < 0) return TV_BAD;
        } else if (key_is(&k, "useq")) {
            if (integer(&v, &q) < 0) return TV_BAD;
        } else if (key_is(&k, "unit")) {
            if (str(&v, unit, sizeof unit) < 0) return TV_BAD;
        } else if (key_is(&k, "deltas")) {
            if (v.type != MP_ARRAY || epoch < 0 || q < 0 || !unit[0]) return TV_BAD;
            if ((uint64_t)epoch != tv->epoch) return TV_EPOCH;
            useq_t *u = htab_get_or_add(&tv->useq, unit, strlen(unit));
            if (!u) return TV_BAD;
            if ((uint64_t)q <= u->useq) return TV_OLD;
            if ((uint64_t)q != u->useq + 1) {
                tv->gaps++;
                return TV_GAP;
            }
            for (uint32_t j = 0; j < v.n; j++) {
                char u2[8], metric[24], grp[33], sev[24];
                int64_t day, delta;
                if (row(&r, 0, u2, &day, metric, grp, sev, &delta) < 0) return TV_BAD;
                cell_t *c = cell(tv, unit, (int32_t)day, metric, grp, sev, 1);
                if (!c) return TV_BAD;
                c->value += delta;
            }
            u->useq = (uint64_t)q;
            return TV_APPLIED;
        }
    }
    return TV_BAD;
}

int64_t tview_get(const tview_t *tv, const char *unit, int32_t day, const char *metric,
                  const char *grp, const char *severity)
{
    cell_t *c = cell((tview_t *)tv, unit, day, metric, grp, severity, 0);
    return c ? c->value : 0;
}

void tview_foreach(const tview_t *tv,
                   void (*fn)(void *ctx, const char *unit, int32_t day, const char *metric,
                              const char *grp, const char *severity, int64_t value),
                   void *ctx)
{
    for (uint32_t i = 0; i < tv->nc; i++) {
        const cell_t *c = &tv->c[i];
        if (c->value) fn(ctx, c->unit, c->day, c->metric, c->grp, c->sev, c->value);
    }
}

uint64_t tview_gaps(const tview_t *tv)
{
    return tv->gaps;
}
