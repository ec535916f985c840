/* enroll.c — see enroll.h. Every statement takes its values as parameters. */
#include "client/enroll.h"

#include "client/dbconn.h"
#include "client/opt.h"
#include "client/term.h"
#include "proto/key.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int enroll_keygen(int argc, char **argv)
{
    char err[512];
    int first;
    int rc = opt_parse(NULL, 0, argc, argv, 0, &first, err, sizeof err);
    if (rc == OPT_HELP) {
        printf("usage: antt keygen FILE\n"
               "Writes a CURVE keypair: FILE (secret, mode 0600; never leaves the machine) and\n"
               "FILE.pub (the public key, for the operator: antt node add ... --key FILE.pub,\n"
               "or for stations: --server-key FILE.pub). Refuses to replace an existing file.\n"
               "exit codes: 0 written; 2 bad usage; 4 the files could not be written.\n");
        return ANTT_EXIT_OK;
    }
    if (rc == OPT_OK && argc - first != 1) {
        snprintf(err, sizeof err, "one FILE is needed");
        rc = OPT_ERR;
    }
    if (rc == OPT_ERR) {
        fprintf(stderr, "antt keygen: %s (antt keygen --help)\n", err);
        return ANTT_EXIT_USAGE;
    }
    key_pair_t k;
    if (key_generate(argv[first], &k, err, sizeof err) < 0) {
        fprintf(stderr, "antt keygen: %s\n", err);
        return ANTT_EXIT_SPOOL;
    }
    printf("%s\n", k.pub);
    fprintf(stderr, "antt keygen: wrote %s (secret) and %s.pub\n", argv[first], argv[first]);
    memset(&k, 0, sizeof k);
    return ANTT_EXIT_OK;
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
        fprintf(
            f,
            "usage: antt node add NODE --unit CODE --key Z85|FILE.pub [--replace] [--db CONNINFO]\n"
            "       antt node revoke NODE [--db CONNINFO]\n"
            "       antt node list [--unit CODE] [--db CONNINFO]\n"
            "A node reports for its unit's subtree, authenticated by its key. add on a node\n"
            "registered without a key gives it this one; --replace changes the key or unit\n"
            "of an enrolled node (and lifts a revocation). revoke refuses the key's next\n"
            "connection and cuts the ones it has within seconds.\n");
    else
        fprintf(
            f,
            "usage: antt subscriber add NAME (--unit CODE | --all) --key Z85|FILE.pub [--replace]\n"
            "                          [--db CONNINFO]\n"
            "       antt subscriber revoke NAME [--db CONNINFO]\n"
            "       antt subscriber list [--db CONNINFO]\n"
            "A subscriber of the tally stream sees its unit's subtree only (--all: every\n"
            "unit, for the ministry). revoke cuts its connections within seconds.\n");
    fprintf(f, "--db defaults to ANTT_DB, else the PG* environment variables.\n");
}

static PGconn *db(const args_t *a)
{
    char err[512];
    PGconn *c = dbconn_open(a->dsn, "antt-enroll", err, sizeof err);
    if (!c) fprintf(stderr, "antt %s: %s\n", a->what, err);
    return c;
}

/* Run a statement; 0 with *out, or 1 (printed). */
static int run(PGconn *c, const args_t *a, const char *sql, int n, const char *const *p,
               PGresult **out)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        *out = r;
        return 0;
    }
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char *constraint = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
    int code = ANTT_EXIT_USAGE;
    if (state && !strcmp(state, "23505") && constraint && strstr(constraint, "public_key")) {
        fprintf(stderr, "antt %s: this key already belongs to another %s\n", a->what, a->what);
        code = ANTT_EXIT_REJECTED;
    } else if (state && !strcmp(state, "23503")) {
        fprintf(stderr, "antt %s: unit '%s' is not in antt.units\n", a->what,
                a->unit ? a->unit : "");
    } else if (state && !strcmp(state, "23514")) {
        fprintf(stderr,
                "antt %s: '%s' is not a valid %s name (letters, digits, . _ : -; 1 to 64)\n",
                a->what, a->name ? a->name : "", a->what);
    } else {
        fprintf(stderr, "antt %s: %s", a->what, PQresultErrorMessage(r));
        code = ANTT_EXIT_DB;
    }
    PQclear(r);
    return code;
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
    int rc = run(c, a, sql, 4, p, &r);
    if (rc) return rc;
    int rows = PQntuples(r);
    int inserted = rows && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (!rows) {
        fprintf(stderr, "antt %s: %s is already enrolled; --replace to give it this key%s\n",
                a->what, a->name, a->kind == ENROLL_NODES ? " and unit" : " and scope");
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
    int rc = run(
        c, a,
        a->kind == ENROLL_NODES
            ? "UPDATE antt.nodes SET revoked_at = now() WHERE node_id = $1 AND revoked_at IS NULL"
            : "UPDATE antt.subscribers SET revoked_at = now() WHERE name = $1 AND revoked_at IS "
              "NULL",
        1, p, &r);
    if (rc) return rc;
    int n = atoi(PQcmdTuples(r));
    PQclear(r);
    if (!n) {
        fprintf(stderr, "antt %s: no %s %s that is not already revoked\n", a->what, a->what,
                a->name);
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
                       " FROM antt.nodes WHERE $1::text IS NULL OR unit_code IN (SELECT "
                       "antt.subtree($1))"
                       " ORDER BY node_id",
                       1, p, &r)
                 : run(c, a,
                       "SELECT name, coalesce(unit_code, '(all)'), public_key,"
                       " CASE WHEN revoked_at IS NULL THEN 'active' ELSE 'revoked ' ||"
                       " to_char(revoked_at, 'YYYY-MM-DD HH24:MI') END"
                       " FROM antt.subscribers ORDER BY name",
                       0, NULL, &r);
    if (rc) return rc;
    char name[4 * 24 + 1];
    term_cell(name, sizeof name, a->what, 24, 0);
    printf("%s %-8s %-40s %s\n", name, "unit", "public key", "status");
    for (int i = 0; i < PQntuples(r); i++) {
        term_cell(name, sizeof name, PQgetvalue(r, i, 0), 24, 0);
        printf("%s %-8s %-40s %s\n", name, PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
               PQgetvalue(r, i, 3));
    }
    PQclear(r);
    return 0;
}

int enroll_main(enroll_kind_t kind, int argc, char **argv)
{
    args_t a = {.kind = kind, .what = kind == ENROLL_NODES ? "node" : "subscriber"};
    const opt_t node_opts[] = {
        {"unit", 'u', OPT_STR, &a.unit, 0, 0, "CODE",
         "the unit it reports for (add), or lists (list)", NULL},
        {"key", 'k', OPT_STR, &a.key, 0, 0, "Z85|FILE.pub", "its public key (add)", NULL},
        {"replace", 0, OPT_FLAG, &a.replace, 0, 0, NULL,
         "change the key or unit of an enrolled node", NULL},
        OPT_DB(&a.dsn),
    };
    const opt_t sub_opts[] = {
        {"unit", 'u', OPT_STR, &a.unit, 0, 0, "CODE", "the subtree it may see (add)", NULL},
        {"all", 0, OPT_FLAG, &a.all, 0, 0, NULL, "every unit (the ministry) (add)", NULL},
        {"key", 'k', OPT_STR, &a.key, 0, 0, "Z85|FILE.pub", "its public key (add)", NULL},
        {"replace", 0, OPT_FLAG, &a.replace, 0, 0, NULL,
         "change the key or scope of an enrolled subscriber", NULL},
        OPT_DB(&a.dsn),
    };
    const opt_t *opts = kind == ENROLL_NODES ? node_opts : sub_opts;
    const size_t nopts = kind == ENROLL_NODES ? sizeof node_opts / sizeof node_opts[0]
                                              : sizeof sub_opts / sizeof sub_opts[0];
    char err[512];
    int first;
    int rc = opt_parse(opts, nopts, argc, argv, 0, &first, err, sizeof err);
    if (rc == OPT_HELP) {
        usage(&a, stdout);
        opt_print(stdout, opts, nopts);
        printf("exit codes: 0 done; 1 refused (already enrolled, nothing to revoke, key in use);\n"
               "2 bad usage or input; 5 database error.\n");
        return ANTT_EXIT_OK;
    }
    /* operands: VERB [NAME] */
    const char *verb = first < argc ? argv[first] : NULL;
    if (verb && strcmp(verb, "list") && first + 1 < argc) a.name = argv[first + 1];
    const int operands = argc - first, want = verb && strcmp(verb, "list") ? 2 : 1;
    int ok = rc == OPT_OK && verb && operands == want &&
             (!strcmp(verb, "add")
                  ? a.name && a.key && (kind == ENROLL_NODES ? a.unit && !a.all : !a.unit != !a.all)
              : !strcmp(verb, "revoke") ? a.name && !a.key && !a.unit && !a.all && !a.replace
              : !strcmp(verb, "list")
                  ? !a.key && !a.all && !a.replace && (kind == ENROLL_NODES || !a.unit)
                  : 0);
    if (!ok) {
        if (rc == OPT_ERR)
            fprintf(stderr, "antt %s: %s\n", a.what, err);
        else if (!verb)
            fprintf(stderr, "antt %s: add, revoke or list?\n", a.what);
        else
            fprintf(stderr, "antt %s: these arguments do not make a '%s'\n", a.what, verb);
        usage(&a, stderr);
        return ANTT_EXIT_USAGE;
    }
    PGconn *c = db(&a);
    if (!c) return ANTT_EXIT_DB;
    rc = !strcmp(verb, "add") ? add(c, &a) : !strcmp(verb, "revoke") ? revoke(c, &a) : list(c, &a);
    PQfinish(c);
    return rc;
}
