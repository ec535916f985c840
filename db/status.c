/* status.c — see status.h. */
#include "db/status.h"

#include <stdio.h>
#include <stdlib.h>

// clang-format off
/* Connection state: $1 nodes, $2 connected ('t'/'f'), $3 the daemon. A
 * daemon's "gone" does not undo another daemon's "connected" (a station
 * that moved to the other daemon of a pair). */
#define SQL_NODE_CONNECTIONS                                                                     \
    "INSERT INTO antt.node_status AS s (node_id, connected, connected_via,"                      \
    " connection_changed_at)"                                                                    \
    " SELECT x.n, x.c, $3, now() FROM unnest($1::text[], $2::bool[]) AS x(n, c)"                 \
    " WHERE EXISTS (SELECT 1 FROM antt.nodes d WHERE d.node_id = x.n)"                           \
    " ON CONFLICT (node_id) DO UPDATE SET connected = EXCLUDED.connected,"                       \
    "  connected_via = EXCLUDED.connected_via,"                                                  \
    "  connection_changed_at = EXCLUDED.connection_changed_at"                                   \
    " WHERE EXCLUDED.connected OR s.connected_via IS NULL"                                        \
    "  OR s.connected_via = EXCLUDED.connected_via"
// clang-format on

int status_connections(db_t *c, const char *via, const char *const *nodes, const int *connected,
                       int n, char *err, size_t errlen)
{
    if (n <= 0) return 0;
    const char **flags = malloc((size_t)n * sizeof *flags);
    char *a[2] = {db_text_array(n, nodes), NULL};
    int rc = -1;
    if (flags) {
        for (int i = 0; i < n; i++)
            flags[i] = connected[i] ? "t" : "f";
        a[1] = db_text_array(n, flags);
    }
    if (!a[0] || !a[1]) {
        snprintf(err, errlen, "out of memory");
    } else {
        const char *p[3] = {a[0], a[1], via};
        rc = db_exec(c, SQL_NODE_CONNECTIONS, 3, p, NULL, NULL, err, errlen);
    }
    free(a[0]);
    free(a[1]);
    free(flags);
    return rc;
}

// clang-format off
#define SQL_NODE_FORGET                                                                          \
    "UPDATE antt.node_status SET connected = false, connection_changed_at = now()"               \
    " WHERE connected AND connected_via = $1"
// clang-format on

int status_forget(db_t *c, const char *via, char *err, size_t errlen)
{
    return db_exec(c, SQL_NODE_FORGET, 1, &via, NULL, NULL, err, errlen);
}

static int long_row(void *ctx, int n, const char *const *names, const char *const *v)
{
    (void)n, (void)names;
    *(long *)ctx = v[0] ? atol(v[0]) : 0;
    return 0;
}

int status_record_overdue(db_t *c, long *units, char *err, size_t errlen)
{
    *units = 0;
    return db_rows(c, "SELECT antt.record_overdue()", 0, NULL, long_row, units, err, errlen);
}

int status_close_year(db_t *c, long *moved, char *err, size_t errlen)
{
    *moved = 0;
    return db_rows(c,
                   "SELECT antt.tallies_before_advance(date_trunc('year', now() AT TIME ZONE"
                   " 'Asia/Ho_Chi_Minh')::date)::int",
                   0, NULL, long_row, moved, err, errlen);
}
