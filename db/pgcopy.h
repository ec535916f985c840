/* pgcopy.h — rows in PostgreSQL's binary COPY format, built in one growable
 * buffer that is reused from batch to batch (no allocation once warm).
 *
 *   pgcopy_begin(&b);
 *   for each row: pgcopy_row(&b, 3); pgcopy_uuid(&b, id); pgcopy_text(...); ...
 *   pgcopy_send(conn, "COPY t (a, b, c) FROM STDIN (FORMAT binary)", &b, err, n);
 *
 * Binary COPY skips the text escaping and parsing of every value, and sends
 * bytea (the raw events) as is rather than hex-doubled. */
#ifndef ANTT_DB_PGCOPY_H
#define ANTT_DB_PGCOPY_H

#include "db/pg.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *p;
    size_t n, cap;
    uint32_t rows;
    int oom; /* an allocation failed: pgcopy_send refuses the buffer */
} pgcopy_t;

void pgcopy_free(pgcopy_t *b);

void pgcopy_begin(pgcopy_t *b);
/* Empty the buffer without a COPY header (for array parameters). */
void pgcopy_reset(pgcopy_t *b);
void pgcopy_row(pgcopy_t *b, int16_t ncols);
void pgcopy_null(pgcopy_t *b);
void pgcopy_text(pgcopy_t *b, const char *s, size_t n);
void pgcopy_cstr(pgcopy_t *b, const char *s);
void pgcopy_bytea(pgcopy_t *b, const void *p, size_t n);
void pgcopy_bool(pgcopy_t *b, int v);
void pgcopy_int4(pgcopy_t *b, int32_t v);
void pgcopy_int8(pgcopy_t *b, int64_t v);
void pgcopy_uuid(pgcopy_t *b, const uint8_t id[16]);
/* timestamptz from Unix microseconds; 0 writes NULL (our "not set"). */
void pgcopy_ts(pgcopy_t *b, int64_t unix_us);
/* date from days since 1970-01-01. */
void pgcopy_date(pgcopy_t *b, int32_t unix_days);

/* Binary arrays (a bound parameter's value): the elements are written with
 * the same calls as COPY fields. Several arrays may share one buffer:
 *   size_t a = pgcopy_array_begin(&b, PGCOPY_OID_TEXT); ...elements...;
 *   pgcopy_array_end(&b, a, count);   then the value is b.p + a, length b.n - a. */
#define PGCOPY_OID_BOOL        16
#define PGCOPY_OID_INT8        20
#define PGCOPY_OID_INT4        23
#define PGCOPY_OID_TEXT        25
#define PGCOPY_OID_BYTEA       17
#define PGCOPY_OID_DATE        1082
#define PGCOPY_OID_TIMESTAMPTZ 1184
#define PGCOPY_OID_UUID        2950
size_t pgcopy_array_begin(pgcopy_t *b, uint32_t elem_oid);
void pgcopy_array_end(pgcopy_t *b, size_t start, uint32_t count);

/* Run `copy_sql` and stream the buffer (with its trailer). 0, or -1 with err
 * and *sqlstate (5 chars + NUL, "" when not a server error) filled. */
int pgcopy_send(db_t *c, const char *copy_sql, pgcopy_t *b, char *sqlstate, char *err,
                size_t errlen);

#endif
