/* enroll.c — see enroll.h. Every statement takes its values as parameters. */
#include "cli/enroll.h"

#include "cmd/dbconn.h"
#include "cmd/opt.h"
#include "cli/term.h"
#include "db/admin.h"
#include "net/key.h"

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

static db_t *db(const args_t *a)
{
    char err[512];
    db_t *c = dbconn_open(a->dsn, "antt-enroll", err, sizeof err);
    if (!c) fprintf(stderr, "antt %s: %s\n", a->what, err);
    return c;
}

static admin_kind_t kind_of(const args_t *a)
{
    return a->kind == ENROLL_NODES ? ADMIN_NODES : ADMIN_SUBSCRIBERS;
}

static int add(db_t *c, const args_t *a)
{
    char pub[KEY_Z85_LEN + 1], err[512];
    if (key_load_public(a->key, pub, err, sizeof err) < 0) {
        fprintf(stderr, "antt %s: --key: %s\n", a->what, err);
        return 2;
    }
    const char *name = a->name, *unit = a->all ? NULL : a->unit, *key = pub;
    int changed, inserted;
    admin_rc_t rc = admin_enroll(c, kind_of(a), 1, &name, &unit, &key, a->replace, &changed,
                                 &inserted, err, sizeof err);
    switch (rc) {
    case ADMIN_OK:
        printf("%s %s %s: unit %s, key %s\n", a->what, a->name, inserted ? "enrolled" : "updated",
               a->all ? "(all)" : a->unit, pub);
        return ANTT_EXIT_OK;
    case ADMIN_EXISTS:
        fprintf(stderr, "antt %s: %s is already enrolled; --replace to give it this key%s\n",
                a->what, a->name, a->kind == ENROLL_NODES ? " and unit" : " and scope");
        return ANTT_EXIT_REJECTED;
    case ADMIN_KEY_IN_USE:
        fprintf(stderr, "antt %s: this key already belongs to another %s\n", a->what, a->what);
        return ANTT_EXIT_REJECTED;
    case ADMIN_NO_UNIT:
        fprintf(stderr, "antt %s: unit '%s' is not in antt.units\n", a->what,
                a->unit ? a->unit : "");
        return ANTT_EXIT_USAGE;
    case ADMIN_BAD_NAME:
        fprintf(stderr,
                "antt %s: '%s' is not a valid %s name (letters, digits, . _ : -; 1 to 64)\n",
                a->what, a->name ? a->name : "", a->what);
        return ANTT_EXIT_USAGE;
    default: fprintf(stderr, "antt %s: %s\n", a->what, err); return ANTT_EXIT_DB;
    }
}

static int revoke(db_t *c, const args_t *a)
{
    char err[512];
    int found = 0, n = 0;
    if (admin_revoke(c, kind_of(a), a->name, &found, &n, err, sizeof err) < 0) {
        fprintf(stderr, "antt %s: %s\n", a->what, err);
        return ANTT_EXIT_DB;
    }
    if (!n) {
        fprintf(stderr, "antt %s: no %s %s that is not already revoked\n", a->what, a->what,
                a->name);
        return 1;
    }
    printf("%s %s revoked: its key is refused from now on and its connections are cut\n", a->what,
           a->name);
    return 0;
}

typedef struct {
    const char *what;
    int rows;
} listing_t;

static void list_line(const char *who, const char *unit, const char *key, const char *status)
{
    char name[4 * 24 + 1];
    term_cell(name, sizeof name, who, 24, 0);
    printf("%s %-8s %-40s %s\n", name, unit, key, status);
}

/* The header comes with the first row (or after an empty answer), so a
 * query that fails prints no table. */
static int list_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)ncols, (void)names;
    listing_t *l = ctx;
    if (!l->rows++) list_line(l->what, "unit", "public key", "status");
    list_line(v[0], v[1] ? v[1] : "", v[2] ? v[2] : "", v[3] ? v[3] : "");
    return 0;
}

static int list(db_t *c, const args_t *a)
{
    char err[512];
    listing_t l = {.what = a->what};
    if (admin_list(c, kind_of(a), a->unit, list_row, &l, err, sizeof err) < 0) {
        fprintf(stderr, "antt %s: %s\n", a->what, err);
        return ANTT_EXIT_DB;
    }
    if (!l.rows) list_line(a->what, "unit", "public key", "status");
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
    db_t *c = db(&a);
    if (!c) return ANTT_EXIT_DB;
    rc = !strcmp(verb, "add") ? add(c, &a) : !strcmp(verb, "revoke") ? revoke(c, &a) : list(c, &a);
    db_close(&c);
    return rc;
}
