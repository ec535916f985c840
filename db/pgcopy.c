/* pgcopy.c — binary COPY encoding (PostgreSQL docs, "COPY", Binary Format). */
#include "db/pgcopy.h"

#include <libpq-fe.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_EPOCH_US   946684800000000LL /* 2000-01-01 - 1970-01-01 */
#define PG_EPOCH_DAYS 10957

void pgcopy_free(pgcopy_t *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static uint8_t *room(pgcopy_t *b, size_t n)
{
    if (b->oom) return NULL;
    if (b->cap - b->n < n) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap - b->n < n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return NULL;
        }
        b->p = p;
        b->cap = cap;
    }
    uint8_t *w = b->p + b->n;
    b->n += n;
    return w;
}

static void be16(uint8_t *w, uint16_t v)
{
    w[0] = (uint8_t)(v >> 8), w[1] = (uint8_t)v;
}
static void be32(uint8_t *w, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        w[i] = (uint8_t)v;
}
static void be64(uint8_t *w, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        w[i] = (uint8_t)v;
}

void pgcopy_begin(pgcopy_t *b)
{
    static const uint8_t sig[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0};
    b->n = 0;
    b->rows = 0;
    b->oom = 0;
    uint8_t *w = room(b, 19);
    if (!w) return;
    memcpy(w, sig, 11);
    be32(w + 11, 0); /* flags */
    be32(w + 15, 0); /* header extension length */
}

void pgcopy_reset(pgcopy_t *b)
{
    b->n = 0;
    b->rows = 0;
    b->oom = 0;
}

void pgcopy_row(pgcopy_t *b, int16_t ncols)
{
    uint8_t *w = room(b, 2);
    if (w) be16(w, (uint16_t)ncols);
    b->rows++;
}

void pgcopy_null(pgcopy_t *b)
{
    uint8_t *w = room(b, 4);
    if (w) be32(w, 0xffffffffu);
}

void pgcopy_bytea(pgcopy_t *b, const void *p, size_t n)
{
    uint8_t *w = room(b, 4 + n);
    if (!w) return;
    be32(w, (uint32_t)n);
    if (n) memcpy(w + 4, p, n);
}

void pgcopy_text(pgcopy_t *b, const char *s, size_t n)
{
    pgcopy_bytea(b, s, n);
}
void pgcopy_cstr(pgcopy_t *b, const char *s)
{
    pgcopy_bytea(b, s, strlen(s));
}

void pgcopy_bool(pgcopy_t *b, int v)
{
    uint8_t *w = room(b, 5);
    if (!w) return;
    be32(w, 1);
    w[4] = v ? 1 : 0;
}

void pgcopy_int4(pgcopy_t *b, int32_t v)
{
    uint8_t *w = room(b, 8);
    if (!w) return;
    be32(w, 4);
    be32(w + 4, (uint32_t)v);
}

void pgcopy_int8(pgcopy_t *b, int64_t v)
{
    uint8_t *w = room(b, 12);
    if (!w) return;
    be32(w, 8);
    be64(w + 4, (uint64_t)v);
}

void pgcopy_uuid(pgcopy_t *b, const uint8_t id[16])
{
    pgcopy_bytea(b, id, 16);
}

void pgcopy_ts(pgcopy_t *b, int64_t unix_us)
{
    if (!unix_us)
        pgcopy_null(b);
    else
        pgcopy_int8(b, unix_us - PG_EPOCH_US);
}

void pgcopy_date(pgcopy_t *b, int32_t unix_days)
{
    pgcopy_int4(b, unix_days - PG_EPOCH_DAYS);
}

size_t pgcopy_array_begin(pgcopy_t *b, uint32_t elem_oid)
{
    size_t start = b->n;
    uint8_t *w = room(b, 20);
    if (!w) return start;
    be32(w, 1);     /* one dimension */
    be32(w + 4, 1); /* may hold NULLs (timestamps that are not set) */
    be32(w + 8, elem_oid);
    be32(w + 12, 0); /* element count, patched by pgcopy_array_end */
    be32(w + 16, 1); /* lower bound */
    return start;
}

void pgcopy_array_end(pgcopy_t *b, size_t start, uint32_t count)
{
    if (b->oom || start + 20 > b->n) return;
    be32(b->p + start + 12, count);
}

int pgcopy_send(db_t *c, const char *copy_sql, pgcopy_t *b, char *sqlstate, char *err,
                size_t errlen)
{
    sqlstate[0] = '\0';
    uint8_t *w = room(b, 2);
    if (w) be16(w, 0xffff); /* trailer */
    if (b->oom) {
        snprintf(err, errlen, "out of memory building COPY data");
        return -1;
    }
    PGresult *r = PQexec(c, copy_sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        db_result_error(r, c, sqlstate, err, errlen);
        PQclear(r);
        return -1;
    }
    PQclear(r);
    int rc = 0;
    const size_t chunk = 1 << 20;
    for (size_t off = 0; off < b->n && rc == 0; off += chunk) {
        size_t n = b->n - off < chunk ? b->n - off : chunk;
        if (PQputCopyData(c, (const char *)b->p + off, (int)n) != 1) rc = -1;
    }
    if (PQputCopyEnd(c, rc ? "client error" : NULL) != 1) rc = -1;
    r = PQgetResult(c);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        db_result_error(r, c, sqlstate, err, errlen);
        rc = -1;
    }
    PQclear(r);
    while ((r = PQgetResult(c)))
        PQclear(r);
    b->n -= 2; /* drop the trailer, so a failed batch can be resent as built */
    return rc;
}
