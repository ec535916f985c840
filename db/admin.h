/* admin.h — the one-shot commands of anttd: reference data and nodes.
 * Each runs in its own transaction and returns 0, or -1 with err filled. */
#ifndef ANTT_DB_ADMIN_H
#define ANTT_DB_ADMIN_H

#include "db/pg.h"

#include <stddef.h>

/* Load a units CSV (data/units-cluster2.csv): header code,name,level,kind,
 * parent_code[,valid_from][,valid_to]; rows upserted by code, the path
 * computed from parents in the file or already loaded. *n gets the rows. */
int admin_load_units(db_t *c, const char *path, int *n, char *err, size_t errlen);

/* Load a crime groups CSV (data/crime_groups.csv): slug,name_vi,name_en,is_crime. */
int admin_load_groups(db_t *c, const char *path, int *n, char *err, size_t errlen);

/* Days off (data/days-off.csv: day,off,name,source): the file's years replace
 * those on record. The stored deadlines then no longer follow the rules:
 * the caller recomputes them (verify_deadlines). */
int admin_load_days_off(db_t *c, const char *path, int *n, char *err, size_t errlen);

/* Targets (unit,year,figure,target[,source]; figure clearance, major or
 * tipoff; target a percentage): a row per unit, year and figure, replaced
 * when loaded again; an unknown unit refuses the file. */
int admin_load_targets(db_t *c, const char *path, int *n, char *err, size_t errlen);

/* Load unit merges (code,successor,effective): code was merged into
 * successor from `effective` on. Both units must be loaded. */
int admin_load_successors(db_t *c, const char *path, int *n, char *err, size_t errlen);

/* How many tallies are dated on a day no version of their unit was valid
 * (events stored before a map dissolved their unit): they are in no figure
 * until `anttd --repair` places them at the heirs. -1 with err. */
long admin_stranded_tallies(db_t *c, char *err, size_t errlen);

/* Load emulation clusters (CSV: cluster,code): each cluster named in the
 * file gets exactly the units listed (antt.unit_groups; "group:NAME" in
 * antt.rates and antt report). */
int admin_load_clusters(db_t *c, const char *path, int *n, char *err, size_t errlen);

typedef enum { ADMIN_NODES = 0, ADMIN_SUBSCRIBERS = 1, ADMIN_VIEWERS = 2 } admin_kind_t;

typedef enum {
    ADMIN_OK = 0,
    ADMIN_EXISTS = -1,     /* enrolled already and replace not given: nothing changed */
    ADMIN_KEY_IN_USE = -2, /* a key belongs to another node or subscriber */
    ADMIN_NO_UNIT = -3,    /* a unit is not in antt.units */
    ADMIN_BAD_NAME = -4,   /* not a valid node or subscriber name */
    ADMIN_DB = -5,         /* the database failed */
} admin_rc_t;

/* Enrol n nodes or subscribers in one statement — the one enrolment path of
 * anttd --add-node, antt node|subscriber add and antt load --enroll. keys[i]
 * NULL: no key (a node keeps the key it has). units[i] NULL: a subscriber of
 * every unit. Without replace, an enrolled one is left as it is, except a
 * node registered without a key, which takes its first key. *changed: rows
 * inserted or changed, *inserted: of them new. On error err says why. */
admin_rc_t admin_enroll(db_t *c, admin_kind_t kind, int n, const char *const *names,
                        const char *const *units, const char *const *keys, int replace,
                        int *changed, int *inserted, char *err, size_t errlen);

/* Register a node PREFIX<code> for every commune under unit (a station
 * per commune, no keys: the load generator, the demo). */
int admin_add_nodes_under(db_t *c, const char *unit, const char *prefix, int *n, char *err,
                          size_t errlen);

/* A console account (antt.viewers): name, scope (a unit code, "group:NAME",
 * or NULL for every unit), hash (libsodium crypto_pwhash_str: Argon2id),
 * lang ("vi" or "en"). Without replace an existing account is left as it is
 * (ADMIN_EXISTS); with it, its scope, password and language change and a
 * revocation is lifted. ADMIN_NO_UNIT: the scope names no unit or group. */
admin_rc_t admin_viewer_set(db_t *c, const char *name, const char *scope, const char *hash,
                            const char *lang, int replace, int *inserted, char *err, size_t errlen);

/* Revoke a node, subscriber or viewer. *found: it exists; *revoked: this
 * call revoked it (0 when it was already). 0, or -1 with err. */
int admin_revoke(db_t *c, admin_kind_t kind, const char *name, int *found, int *revoked, char *err,
                 size_t errlen);

/* Nodes (under unit, NULL: all), subscribers or viewers, as rows: name,
 * unit (a viewer's scope), key (a viewer's language), status. */
int admin_list(db_t *c, admin_kind_t kind, const char *unit, db_row_fn fn, void *ctx, char *err,
               size_t errlen);

#endif
