/* opt.h — the command-line convention of `antt`: one parser for every
 * command (getopt_long underneath), one meaning for each exit code.
 *
 * A command describes its options in a table; opt_parse() accepts
 * `--name value`, `--name=value` and the short letter where there is one,
 * checks numbers strictly (an integer is digits within the option's range,
 * never "abc" read as 0), and answers -h/--help itself. It prints nothing:
 * an error comes back in err ("--year: 'abc' is not a whole number") for the
 * command to print with its name and exit ANTT_EXIT_USAGE. */
#ifndef ANTT_CMD_OPT_H
#define ANTT_CMD_OPT_H

#include <stddef.h>
#include <stdio.h>

/* Exit codes of antt, each with one meaning (antt --help, antt(1)). */
enum {
    ANTT_EXIT_OK = 0,       /* done: every event accepted (or a duplicate), the report made */
    ANTT_EXIT_REJECTED = 1, /* refused: an event rejected by the daemon, a change refused */
    ANTT_EXIT_USAGE = 2,    /* bad usage or input: options, values, files, unknown names */
    ANTT_EXIT_TIMEOUT = 3,  /* the daemon did not answer in time (events stay spooled) */
    ANTT_EXIT_SPOOL = 4,    /* the spool (or another local file) could not be read or written */
    ANTT_EXIT_DB = 5,       /* the database could not be reached, or failed a query */
};

typedef enum {
    OPT_FLAG, /* no value; dest: int *, set to 1 */
    OPT_STR,  /* dest: const char ** (points into argv) */
    OPT_INT,  /* dest: long *, within [min, max] */
    OPT_NUM,  /* dest: double *, within [min, max]; digits with an optional fraction */
    OPT_FN,   /* a value handed to fn(dest, name, value, err, errlen): 0 or -1 */
} opt_kind_t;

typedef int (*opt_fn)(void *ctx, const char *name, const char *value, char *err, size_t errlen);

typedef struct {
    const char *name; /* the long name, without "--" */
    int letter;       /* a short option letter, or 0 */
    opt_kind_t kind;
    void *dest;
    long min, max;       /* OPT_INT, OPT_NUM */
    const char *metavar; /* for help: "CODE" */
    const char *help;    /* one line; NULL hides the option from the help text */
    opt_fn fn;           /* OPT_FN */
} opt_t;

enum { OPT_OK = 0, OPT_HELP = 1, OPT_ERR = -1 };

/* --db, as every command that reads the database has it (cmd/dbconn.h). */
#define OPT_DB(dest)                                                                               \
    {                                                                                              \
        "db", 'd', OPT_STR, (dest), 0, 0, "CONNINFO", "the database (default ANTT_DB, else PG*)",  \
            NULL                                                                                   \
    }

/* Parse argv[1..argc) (argv[0] names the command, as for getopt). With
 * in_order, parsing stops at the first operand (global options before a
 * subcommand); otherwise operands may come anywhere. *first receives the
 * index of the first operand (operands are moved to the end of argv); with
 * first NULL the command takes none, and one is an error. */
int opt_parse(const opt_t *opts, size_t n, int argc, char **argv, int in_order, int *first,
              char *err, size_t errlen);

/* The option list of a --help text, one line per option, aligned. */
void opt_print(FILE *f, const opt_t *opts, size_t n);

/* Strict conversions: the whole text, no spaces, in range. 0 or -1. */
int opt_long(const char *s, long min, long max, long *out);
int opt_double(const char *s, double min, double max, double *out);

#endif
