/* tallylog.h — a window's tally deltas as the stream publishes them, and
 * read back.
 *
 * The fold (db/fold.h) runs one statement per era of its window
 * (TALLYLOG_SQL): it bumps antt.unit_versions for every unit the window
 * changed and returns the content the stream publishes, for each unit in C
 * order:
 *
 *     u32 n, n bytes unit code, u64 version, u32 m, m bytes deltas
 *
 * (big-endian), deltas being the msgpack array PROTOCOL.md section 16.2
 * sends as "deltas": [[day, metric, group, severity, delta], ...]. The
 * window's contents, concatenated, are kept in antt.fold_windows and handed
 * to the publisher (daemon/publisher.h); tallylog_next walks them. */
#ifndef ANTT_DB_TALLYLOG_H
#define ANTT_DB_TALLYLOG_H

#include "db/pgcopy.h"
#include "db/tallymap.h"

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

/* The statement that bumps the versions of the units a window changed and
 * returns the content above (one bytea): $1 the units (distinct, C order),
 * $2 their deltas, both as tallylog_params makes them. Versions are bumped
 * in C order, as the tallies are, so writers take the row locks in one
 * order. */
extern const char TALLYLOG_SQL[];

/* Scratch kept between batches (no allocation once warm). */
typedef struct {
    uint32_t *order; /* tally indexes sorted by unit */
    uint32_t cap;
    msgpack_sbuffer sb;
} tallylog_t;

void tallylog_free(tallylog_t *t);

/* The statement's two array parameters from the non-zero deltas of m: the
 * units (text[], distinct, in C order) and their deltas (bytea[]), appended
 * to arr at *off[0] and *off[1] (lengths in len). The number of units (0:
 * nothing to log), or -1 out of memory. */
int tallylog_params(tallylog_t *t, const tallymap_t *m, pgcopy_t *arr, size_t off[2],
                    size_t len[2]);

/* One unit of a message's content. */
typedef struct {
    const char *unit;
    size_t unit_len;
    uint64_t version;
    const uint8_t *deltas; /* msgpack array */
    size_t deltas_len;
} tallylog_unit_t;

/* The unit at *pos of content (len bytes), advancing *pos: 1, 0 at the end,
 * -1 when the content is not laid out as above. */
int tallylog_next(const uint8_t *content, size_t len, size_t *pos, tallylog_unit_t *u);

/* The latest day among a unit's deltas (days since 1970), or INT32_MIN when
 * there is none or they cannot be read. */
int32_t tallylog_last_day(const tallylog_unit_t *u);

#endif
