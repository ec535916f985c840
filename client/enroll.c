/* enroll.c — see enroll.h. Every statement takes its values as parameters. */
#include "client/enroll.h"

#include "proto/key.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int enroll_keygen(int argc, char **argv)
{
    if (argc != 1 || !strcmp(argv[0], "--help")) {
        printf("usage: antt keygen FILE\n"
               "Writes a CURVE keypair: FILE (secret, mode 0600; never leaves the machine) and\n"
               "FILE.pub (the public key, for the operator: antt node add ... --key FILE.pub,\n"
               "or for stations: --server-key FILE.pub). Refuses to replace an existing file.\n");
        return argc == 1 ? 0 : 2;
    }
    key_pair_t k;
    char err[512];
    if (key_generate(argv[0], &k, err, sizeof err) < 0) {
        fprintf(stderr, "antt keygen: %s\n", err);
        return 4;
    }
    printf("%s\n", k.pub);
    fprintf(stderr, "antt keygen: wrote %s (secret) and %s.pub\n", argv[0], argv[0]);
    memset(&k, 0, sizeof k);
    return 0;
}

typedef struct {
    enroll_kind_t kind;
    const char *what; /* "node" or "subscriber" */
    const char *name, *unit, *key, *dsn;
    int all, replace;
} args_t;

static void usage(const args_t *a, FILE *f)
{
    if (a->kind == ENROLL_NODES)
        fprintf(f, "usage: antt node add NODE --unit CODE --key Z85|FILE.pub [--replace] [--db CONNINFO]\n"
                   "       antt node revoke NODE [--db CONNINFO]\n"
                   "       antt node list [--unit CODE] [--db CONNINFO]\n"
                   "A node reports for its unit's subtree, authenticated by its key. add on a node\n"
                   "registered without a key gives it this one; --replace changes the key or unit\n"
                   "of an enrolled node (and lifts a revocation). revoke refuses the key's next\n"
                   "connection and cuts the ones it has within seconds.\n");
    else
        fprintf(f, "usage: antt subscriber add NAME (--unit CODE | --all) --key Z85|FILE.pub [--replace]\n"
                   "                          [--db CONNINFO]\n"
                   "       antt subscriber revoke NAME [--db CONNINFO]\n"
                   "       antt subscriber list [--db CONNINFO]\n"
                   "A subscriber of the tally stream sees its unit's subtree only (--all: every\n"
                   "unit, for the ministry). revoke cuts its connections within seconds.\n");
    fprintf(f, "--db defaults to ANTT_DB, else the PG* environment variables.\n");
}

static PGconn *db(const args_t *a)
{
    const char *keys[] = {"application_name", "dbname", NULL};
    const char *vals[] = {"antt-enroll", a->dsn, NULL};
    if (!a->dsn || !*a->dsn) keys[1] = NULL;
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "antt %s: %s", a->what, PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* Run a statement; 0 with *out, or 1 (printed). */
static int run(PGconn *c, const args_t *a, const char *sql, int n, const char *const *p, PGresult **out)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        *out = r;
        return 0;
    }
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char *constraint = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
    if (state && !strcmp(state, "23505") && constraint && strstr(constraint, "public_key"))
        fprintf(stderr, "antt %s: this key already belongs to another %s\n", a->what, a->what);
    else if (state && !strcmp(state, "23503"))
        fprintf(stderr, "antt %s: unit %s is not in antt.units\n", a->what, a->unit ? a->unit : "");
    else if (state && !strcmp(state, "23514"))
        fprintf(stderr, "antt %s: '%s' is not a valid %s name (letters, digits, . _ : -; 1 to 64)\n",
                a->what, a->name ? a->name : "", a->what);
    else
        fprintf(stderr, "antt %s: %s", a->what, PQresultErrorMessage(r));
    PQclear(r);
    return 1;
}

static int add(PGconn *c, const args_t *a)
{
    char pub[KEY_Z85_LEN + 1], err[512];
    if (key_load_public(a->key, pub, err, sizeof err) < 0) {
        fprintf(stderr, "antt %s: --key: %s\n", a->what, err);
        return 2;
    }
    const char *p[4] = {a->name, a->all ? NULL : a->unit, pub, a->replace ? "t" : "f"};
    /* A node registered without a key (anttd --add-node) takes one without
     * --replace; anything else that exists needs it. */
    const char *sql =
        a->kind == ENROLL_NODES
            ? "INSERT INTO antt.nodes AS n (node_id, unit_code, public_key) VALUES ($1, $2, $3)"
              " ON CONFLICT (node_id) DO UPDATE SET unit_code = EXCLUDED.unit_code,"
              " public_key = EXCLUDED.public_key, revoked_at = NULL"
              " WHERE $4::boolean OR (n.public_key IS NULL AND n.revoked_at IS NULL"
              " AND n.unit_code = EXCLUDED.unit_code)"
              " RETURNING (xmax = 0)"
            : "INSERT INTO antt.subscribers AS s (name, unit_code, public_key) VALUES ($1, $2, $3)"
              " ON CONFLICT (name) DO UPDATE SET unit_code = EXCLUDED.unit_code,"
              " public_key = EXCLUDED.public_key, revoked_at = NULL WHERE $4::boolean"
              " RETURNING (xmax = 0)";
    PGresult *r;
    if (run(c, a, sql, 4, p, &r)) return 1;
    int rows = PQntuples(r);
    int inserted = rows && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (!rows) {
        fprintf(stderr, "antt %s: %s is already enrolled; --replace to give it this key%s\n", a->what,
                a->name, a->kind == ENROLL_NODES ? " and unit" : " and scope");
        return 1;
    }
    printf("%s %s %s: unit %s, key %s\n", a->what, a->name, inserted ? "enrolled" : "updated",
           a->all ? "(all)" : a->unit, pub);
    return 0;
}

static int revoke(PGconn *c, const args_t *a)
{
    const char *p[1] = {a->name};
    PGresult *r;
    if (run(c, a,
            a->kind == ENROLL_NODES
                ? "UPDATE antt.nodes SET revoked_at = now() WHERE node_id = $1 AND revoked_at IS NULL"
                : "UPDATE antt.subscribers SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL",
            1, p, &r))
        return 1;
    int n = atoi(PQcmdTuples(r));
    PQclear(r);
    if (!n) {
        fprintf(stderr, "antt %s: no %s %s that is not already revoked\n", a->what, a->what, a->name);
        return 1;
    }
    printf("%s %s revoked: its key is refused from now on and its connections are cut\n", a->what,
           a->name);
    return 0;
}

static int list(PGconn *c, const args_t *a)
{
    const char *p[1] = {a->unit};
    PGresult *r;
    int rc = a->kind == ENROLL_NODES
                 ? run(c, a,
                       "SELECT node_id, unit_code, coalesce(public_key, '-'),"
                       " CASE WHEN revoked_at IS NULL THEN 'active' ELSE 'revoked ' ||"
                       " to_char(revoked_at, 'YYYY-MM-DD HH24:MI') END"
                       " FROM antt.nodes WHERE $1::text IS NULL OR unit_code IN (SELECT antt.subtree($1))"
                       " ORDER BY node_id",
                       1, p, &r)
                 : run(c, a,
                       "SELECT name, coalesce(unit_code, '(all)'), public_key,"
                       " CASE WHEN revoked_at IS NULL THEN 'active' ELSE 'revoked ' ||"
                       " to_char(revoked_at, 'YYYY-MM-DD HH24:MI') END"
                       " FROM antt.subscribers ORDER BY name",
                       0, NULL, &r);
    if (rc) return rc;
    printf("%-24s %-8s %-40s %s\n", a->what, "unit", "public key", "status");
    for (int i = 0; i < PQntuples(r); i++)
        printf("%-24s %-8s %-40s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
               PQgetvalue(r, i, 2), PQgetvalue(r, i, 3));
    PQclear(r);
    return 0;
}

int enroll_main(enroll_kind_t kind, int argc, char **argv)
{
    args_t a = {.kind = kind, .what = kind == ENROLL_NODES ? "node" : "subscriber",
                .dsn = getenv("ANTT_DB")};
    if (argc < 1 || !strcmp(argv[0], "--help")) {
        usage(&a, argc < 1 ? stderr : stdout);
        return argc < 1 ? 2 : 0;
    }
    const char *verb = argv[0];
    int i = 1;
    if (strcmp(verb, "list") && i < argc && strncmp(argv[i], "--", 2)) a.name = argv[i++];
    for (; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--all")) a.all = 1;
        else if (!strcmp(o, "--replace")) a.replace = 1;
        else if (i + 1 < argc && !strcmp(o, "--unit")) a.unit = argv[++i];
        else if (i + 1 < argc && !strcmp(o, "--key")) a.key = argv[++i];
        else if (i + 1 < argc && !strcmp(o, "--db")) a.dsn = argv[++i];
        else {
            fprintf(stderr, "antt %s: unexpected '%s'\n", a.what, o);
            usage(&a, stderr);
            return 2;
        }
    }
    int ok = !strcmp(verb, "add")      ? a.name && a.key && (kind == ENROLL_NODES ? a.unit && !a.all
                                                                                   : !a.unit != !a.all)
             : !strcmp(verb, "revoke") ? a.name && !a.key && !a.unit
             : !strcmp(verb, "list")   ? !a.key && !a.all && (kind == ENROLL_NODES || !a.unit)
                                       : 0;
    if (!ok) {
        usage(&a, stderr);
        return 2;
    }
    PGconn *c = db(&a);
    if (!c) return 3;
    int rc = !strcmp(verb, "add") ? add(c, &a) : !strcmp(verb, "revoke") ? revoke(c, &a) : list(c, &a);
    PQfinish(c);
    return rc;
}
