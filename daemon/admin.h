/* admin.h — the one-shot commands of anttd: reference data and nodes.
 * Each runs in its own transaction and returns 0, or -1 with err filled. */
#ifndef ANTT_DAEMON_ADMIN_H
#define ANTT_DAEMON_ADMIN_H

#include <libpq-fe.h>
#include <stddef.h>

/* Load a units CSV (db/units-cluster2.csv): header code,name,level,kind,
 * parent_code[,valid_from][,valid_to]; rows upserted by code, the path
 * computed from parents in the file or already loaded. *n gets the rows. */
int admin_load_units(PGconn *c, const char *path, int *n, char *err, size_t errlen);

/* Load a crime groups CSV (db/crime_groups.csv): slug,name_vi,name_en,is_crime. */
int admin_load_groups(PGconn *c, const char *path, int *n, char *err, size_t errlen);

/* Load unit merges (code,successor,effective): code was merged into
 * successor from `effective` on. Both units must be loaded. */
int admin_load_successors(PGconn *c, const char *path, int *n, char *err, size_t errlen);

/* Load emulation clusters (CSV: cluster,code): each cluster named in the
 * file gets exactly the units listed (antt.unit_groups; "group:NAME" in
 * antt.rates and antt report). */
int admin_load_clusters(PGconn *c, const char *path, int *n, char *err, size_t errlen);

/* Register (or re-register) node_id for unit_code; revoke one. */
int admin_add_node(PGconn *c, const char *node_id, const char *unit_code, char *err, size_t errlen);
/* Register a node PREFIX<code> for every commune under unit (a station
 * each: the demo and the benchmark). *n gets how many. */
int admin_add_nodes_under(PGconn *c, const char *unit, const char *prefix, int *n, char *err,
                          size_t errlen);
int admin_revoke_node(PGconn *c, const char *node_id, char *err, size_t errlen);

#endif
