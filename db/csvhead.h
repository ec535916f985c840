/* csvhead.h — the header line of a reference-data CSV file (units,
 * successors, crime groups, clusters, days off, targets), read within
 * bounds. The rows themselves are parsed by PostgreSQL's COPY (db/admin.c);
 * the header is ours, because it names the columns COPY is told to fill.
 *
 * A header is an optional UTF-8 byte-order mark, then at most CSVHEAD_MAX
 * bytes of names separated by commas, then CR LF or LF. Each name must be one
 * of `allowed`, exactly, and appear once; every name of `required` must be
 * there. No quoting: no column of ours needs it, and a quoted header is
 * refused rather than guessed at. Pure: no file, no database, no allocation
 * (fuzzed by db/fuzz/fuzz_csvhead.c). */
#ifndef ANTT_DB_CSVHEAD_H
#define ANTT_DB_CSVHEAD_H

#include <stddef.h>

#define CSVHEAD_MAX 1024

/* The files anttd loads, and the columns each may and must have. */
typedef enum {
    CSV_UNITS,
    CSV_SUCCESSORS,
    CSV_GROUPS,
    CSV_CLUSTERS,
    CSV_DAYS_OFF,
    CSV_TARGETS,
    CSV_KINDS
} csv_kind_t;

typedef struct {
    const char *what;
    const char *const *allowed, *const *required; /* NULL-terminated */
} csv_format_t;

extern const csv_format_t CSV_FORMATS[CSV_KINDS];

/* Check the header line (n bytes at line, the end of line included or
 * not) and write its names into cols as "a, b, c" (a list for COPY). 0, or
 * -1 with err; cols is never written past cap. */
int csvhead_parse(const char *line, size_t n, const char *const *allowed,
                  const char *const *required, char *cols, size_t cap, char *err, size_t errlen);

/* The same for the first line of the file at path (errors name the file). */
int csvhead_read(const char *path, const char *const *allowed, const char *const *required,
                 char *cols, size_t cap, char *err, size_t errlen);

#endif
