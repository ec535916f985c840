/* viewer.c — see viewer.h. The password is read from the terminal (twice,
 * not echoed) or, when standard input is not a terminal, from its first
 * line; it is hashed here (Argon2id, libsodium) and only the hash leaves. */
#include "cli/viewer.h"

#include "cmd/dbconn.h"
#include "cmd/opt.h"
#include "cli/term.h"
#include "db/admin.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PASSWORD_MIN 10
#define PASSWORD_MAX 256

typedef struct {
    const char *name, *unit, *group, *lang, *dsn;
    int all, replace;
} args_t;

static void usage(FILE *f)
{
    fprintf(f, "usage: antt viewer add NAME (--unit CODE | --group NAME | --all) [--lang vi|en]\n"
               "                      [--replace] [--db CONNINFO]\n"
               "       antt viewer revoke NAME [--db CONNINFO]\n"
               "       antt viewer list [--db CONNINFO]\n"
               "An account of the console (anttweb): it sees the figures of its unit (and of\n"
               "the units it is made of), of an emulation cluster (--group), or of every unit\n"
               "(--all). The password is asked twice on a terminal, or read from the first line\n"
               "of standard input; 10 to 256 bytes. --replace sets a new password, scope\n"
               "or language for an existing account and lifts a revocation.\n"
               "--db defaults to ANTT_DB, else the PG* environment variables.\n");
}

/* One line from stream f into buf, without its newline, not echoed when f
 * is a terminal. 0, or -1 at end of input. */
static int read_secret(FILE *f, const char *prompt, char *buf, size_t cap)
{
    const int tty = isatty(fileno(f));
    struct termios was, quiet;
    if (tty) {
        fprintf(stderr, "%s", prompt);
        tcgetattr(fileno(f), &was);
        quiet = was;
        quiet.c_lflag &= (tcflag_t)~ECHO;
        tcsetattr(fileno(f), TCSAFLUSH, &quiet);
    }
    const int got = fgets(buf, (int)cap, f) != NULL;
    if (tty) {
        tcsetattr(fileno(f), TCSAFLUSH, &was);
        fprintf(stderr, "\n");
    }
    if (!got) return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

static int add(const args_t *a)
{
    char pw[PASSWORD_MAX + 2], again[PASSWORD_MAX + 2];
    if (read_secret(stdin, "password: ", pw, sizeof pw) < 0) {
        fprintf(stderr, "antt viewer: no password given\n");
        return ANTT_EXIT_USAGE;
    }
    if (isatty(fileno(stdin)) &&
        (read_secret(stdin, "again: ", again, sizeof again) < 0 || strcmp(pw, again))) {
        sodium_memzero(pw, sizeof pw);
        sodium_memzero(again, sizeof again);
        fprintf(stderr, "antt viewer: the two passwords differ\n");
        return ANTT_EXIT_USAGE;
    }
    sodium_memzero(again, sizeof again);
    const size_t n = strlen(pw);
    if (n < PASSWORD_MIN || n > PASSWORD_MAX) {
        sodium_memzero(pw, sizeof pw);
        fprintf(stderr, "antt viewer: a password of %d to %d bytes, please\n", PASSWORD_MIN,
                PASSWORD_MAX);
        return ANTT_EXIT_USAGE;
    }
    char hash[crypto_pwhash_STRBYTES];
    /* Argon2id, libsodium's "interactive" cost: ~64 MiB and a fraction of a
     * second to check, once per login. */
    const int hashed =
        sodium_init() >= 0 && crypto_pwhash_str(hash, pw, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                                crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0;
    sodium_memzero(pw, sizeof pw);
    if (!hashed) {
        fprintf(stderr, "antt viewer: hashing the password failed (out of memory?)\n");
        return ANTT_EXIT_SPOOL;
    }
    char scope[80] = "";
    if (a->group)
        snprintf(scope, sizeof scope, "group:%s", a->group);
    else if (a->unit)
        snprintf(scope, sizeof scope, "%s", a->unit);
    char err[512];
    db_t *c = dbconn_open(a->dsn, "antt-viewer", err, sizeof err);
    if (!c) {
        fprintf(stderr, "antt viewer: %s\n", err);
        return ANTT_EXIT_DB;
    }
    int inserted = 0;
    admin_rc_t rc = admin_viewer_set(c, a->name, a->all ? NULL : scope, hash, a->lang, a->replace,
                                     &inserted, err, sizeof err);
    db_close(&c);
    switch (rc) {
    case ADMIN_OK:
        printf("viewer %s %s: scope %s, language %s\n", a->name, inserted ? "added" : "updated",
               a->all ? "(all)" : scope, a->lang);
        return ANTT_EXIT_OK;
    case ADMIN_EXISTS:
        fprintf(stderr, "antt viewer: %s exists; --replace to change it\n", a->name);
        return ANTT_EXIT_REJECTED;
    case ADMIN_NO_UNIT: fprintf(stderr, "antt viewer: %s\n", err); return ANTT_EXIT_USAGE;
    case ADMIN_BAD_NAME:
        fprintf(stderr,
                "antt viewer: '%s' is not a valid name (letters, digits, . _ : @ -; 1 to 64)\n",
                a->name);
        return ANTT_EXIT_USAGE;
    default: fprintf(stderr, "antt viewer: %s\n", err); return ANTT_EXIT_DB;
    }
}

static int list_row(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)ncols, (void)names;
    int *rows = ctx;
    char name[4 * 24 + 1];
    if (!(*rows)++) {
        term_cell(name, sizeof name, "viewer", 24, 0);
        printf("%s %-14s %-4s %s\n", name, "scope", "lang", "status");
    }
    term_cell(name, sizeof name, v[0], 24, 0);
    printf("%s %-14s %-4s %s\n", name, v[1] ? v[1] : "", v[2] ? v[2] : "", v[3] ? v[3] : "");
    return 0;
}

static int other(const args_t *a, const char *verb)
{
    char err[512];
    db_t *c = dbconn_open(a->dsn, "antt-viewer", err, sizeof err);
    if (!c) {
        fprintf(stderr, "antt viewer: %s\n", err);
        return ANTT_EXIT_DB;
    }
    int rc = ANTT_EXIT_OK, found = 0, n = 0, rows = 0;
    if (!strcmp(verb, "revoke")) {
        if (admin_revoke(c, ADMIN_VIEWERS, a->name, &found, &n, err, sizeof err) < 0) {
            fprintf(stderr, "antt viewer: %s\n", err);
            rc = ANTT_EXIT_DB;
        } else if (!n) {
            fprintf(stderr, "antt viewer: no viewer %s that is not already revoked\n", a->name);
            rc = ANTT_EXIT_REJECTED;
        } else {
            printf("viewer %s revoked: it cannot log in, and its sessions end\n", a->name);
        }
    } else if (admin_list(c, ADMIN_VIEWERS, NULL, list_row, &rows, err, sizeof err) < 0) {
        fprintf(stderr, "antt viewer: %s\n", err);
        rc = ANTT_EXIT_DB;
    }
    db_close(&c);
    return rc;
}

int viewer_main(int argc, char **argv)
{
    args_t a = {.lang = "vi"};
    const opt_t opts[] = {
        {"unit", 'u', OPT_STR, &a.unit, 0, 0, "CODE", "the unit it sees (add)", NULL},
        {"group", 'g', OPT_STR, &a.group, 0, 0, "NAME",
         "an emulation cluster it sees (antt.unit_groups) (add)", NULL},
        {"all", 0, OPT_FLAG, &a.all, 0, 0, NULL, "every unit (the ministry) (add)", NULL},
        {"lang", 'l', OPT_STR, &a.lang, 0, 0, "vi|en", "its console's language (default vi)", NULL},
        {"replace", 0, OPT_FLAG, &a.replace, 0, 0, NULL, "change an existing account", NULL},
        OPT_DB(&a.dsn),
    };
    const size_t nopts = sizeof opts / sizeof opts[0];
    char err[512];
    int first;
    int rc = opt_parse(opts, nopts, argc, argv, 0, &first, err, sizeof err);
    if (rc == OPT_HELP) {
        usage(stdout);
        opt_print(stdout, opts, nopts);
        printf("exit codes: 0 done; 1 refused (exists, nothing to revoke); 2 bad usage or input;\n"
               "5 database error.\n");
        return ANTT_EXIT_OK;
    }
    const char *verb = first < argc ? argv[first] : NULL;
    if (verb && strcmp(verb, "list") && first + 1 < argc) a.name = argv[first + 1];
    const int operands = argc - first, want = verb && strcmp(verb, "list") ? 2 : 1;
    const int scopes = !!a.unit + !!a.group + a.all;
    const int ok = rc == OPT_OK && verb && operands == want &&
                   (!strcmp(verb, "add")
                        ? a.name && scopes == 1 && (!strcmp(a.lang, "vi") || !strcmp(a.lang, "en"))
                    : !strcmp(verb, "revoke") || !strcmp(verb, "list") ? !scopes && !a.replace
                                                                       : 0);
    if (!ok) {
        if (rc == OPT_ERR)
            fprintf(stderr, "antt viewer: %s\n", err);
        else if (!verb)
            fprintf(stderr, "antt viewer: add, revoke or list?\n");
        else
            fprintf(stderr, "antt viewer: these arguments do not make a '%s'\n", verb);
        usage(stderr);
        return ANTT_EXIT_USAGE;
    }
    return !strcmp(verb, "add") ? add(&a) : other(&a, verb);
}
