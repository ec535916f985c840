/* tallylog.c — see tallylog.h. */
#include "db/tallylog.h"

#include "rules/ledger.h"
#include "proto/encode.h"
#include "proto/mp.h"
#include "proto/util.h"

#include <stdlib.h>
#include <string.h>

#define C_ "COLLATE \"C\""
// clang-format off
const char TALLYLOG_SQL[] =
    "WITH d AS (SELECT * FROM unnest($1::text[], $2::bytea[]) AS d(unit, deltas)),"
    " v AS (INSERT INTO antt.unit_versions AS u (unit, version)"
    "  SELECT unit, 1 FROM d ORDER BY unit " C_
    "  ON CONFLICT (unit) DO UPDATE SET version = u.version + 1 RETURNING u.unit, u.version)"
    " SELECT string_agg("
    "  int4send(octet_length(convert_to(v.unit, 'UTF8'))) || convert_to(v.unit, 'UTF8')"
    "  || int8send(v.version) || int4send(octet_length(d.deltas)) || d.deltas, ''::bytea"
    "  ORDER BY v.unit " C_ ") FROM v JOIN d ON d.unit = v.unit";
// clang-format on

void tallylog_free(tallylog_t *t)
{
    free(t->order);
    if (t->sb.data) msgpack_sbuffer_destroy(&t->sb);
    memset(t, 0, sizeof *t);
}

static int by_unit(const void *a, const void *b, void *ctx)
{
    const tallymap_t *m = ctx;
    return strcmp(m->items[*(const uint32_t *)a].k.unit, m->items[*(const uint32_t *)b].k.unit);
}

int tallylog_params(tallylog_t *t, const tallymap_t *m, pgcopy_t *arr, size_t off[2], size_t len[2])
{
    if (grow_array((void **)&t->order, &t->cap, m->n + 1, sizeof *t->order) < 0) return -1;
    if (!t->sb.data) msgpack_sbuffer_init(&t->sb);
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->n; i++)
        if (m->items[i].value) t->order[n++] = i;
    if (!n) return 0;
    qsort_r(t->order, n, sizeof *t->order, by_unit, (void *)m);
    uint32_t units = 0;
    off[0] = pgcopy_array_begin(arr, PGCOPY_OID_TEXT);
    for (uint32_t a = 0; a < n;) {
        const char *unit = m->items[t->order[a]].k.unit;
        pgcopy_cstr(arr, unit);
        units++;
        while (a < n && !strcmp(m->items[t->order[a]].k.unit, unit))
            a++;
    }
    pgcopy_array_end(arr, off[0], units);
    len[0] = arr->n - off[0];
    off[1] = pgcopy_array_begin(arr, PGCOPY_OID_BYTEA);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &t->sb, msgpack_sbuffer_write);
    for (uint32_t a = 0; a < n;) {
        const char *unit = m->items[t->order[a]].k.unit;
        uint32_t b = a;
        while (b < n && !strcmp(m->items[t->order[b]].k.unit, unit))
            b++;
        msgpack_sbuffer_clear(&t->sb);
        msgpack_pack_array(&pk, b - a);
        for (uint32_t k = a; k < b; k++) {
            const tally_t *tl = &m->items[t->order[k]];
            const char *metric = ledger_metric_name(tl->k.metric);
            const char *sev = ev_enum_name(&EV_SEVERITIES, tl->k.severity);
            msgpack_pack_array(&pk, 5);
            msgpack_pack_int32(&pk, tl->k.day);
            enc_str(&pk, metric, strlen(metric));
            enc_str(&pk, tl->k.grp, strlen(tl->k.grp));
            enc_str(&pk, sev, strlen(sev));
            msgpack_pack_int64(&pk, tl->value);
        }
        pgcopy_bytea(arr, t->sb.data, t->sb.size);
        a = b;
    }
    pgcopy_array_end(arr, off[1], units);
    len[1] = arr->n - off[1];
    return arr->oom ? -1 : (int)units;
}

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

int tallylog_next(const uint8_t *content, size_t len, size_t *pos, tallylog_unit_t *u)
{
    size_t p = *pos;
    if (p == len) return 0;
    if (len - p < 4) return -1;
    size_t n = (size_t)be(content + p, 4);
    p += 4;
    if (len - p < n + 12) return -1;
    u->unit = (const char *)content + p;
    u->unit_len = n;
    p += n;
    u->version = be(content + p, 8);
    p += 8;
    size_t m = (size_t)be(content + p, 4);
    p += 4;
    if (len - p < m) return -1;
    u->deltas = content + p;
    u->deltas_len = m;
    *pos = p + m;
    return 1;
}

int32_t tallylog_last_day(const tallylog_unit_t *u)
{
    mp_reader_t r;
    mp_obj_t o;
    int32_t last = INT32_MIN;
    mp_init(&r, u->deltas, u->deltas_len);
    if (mp_read(&r, &o) < 0 || o.type != MP_ARRAY) return INT32_MIN;
    for (uint32_t i = o.n; i > 0; i--) {
        mp_obj_t row, day;
        if (mp_read(&r, &row) < 0 || row.type != MP_ARRAY || row.n < 1 || mp_read(&r, &day) < 0)
            return INT32_MIN;
        if (day.type == MP_UINT && day.v.u <= INT32_MAX && (int32_t)day.v.u > last)
            last = (int32_t)day.v.u;
        else if (day.type == MP_INT && day.v.i >= INT32_MIN && (int32_t)day.v.i > last)
            last = (int32_t)day.v.i;
        for (uint32_t k = 1; k < row.n; k++)
            if (mp_skip(&r, 2) < 0) return INT32_MIN;
    }
    return last;
}
