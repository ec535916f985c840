/* cli.c — the antt command: git-style subcommands over libantt.
 *
 *   antt [GLOBAL OPTIONS] COMMAND [ARGS]   (antt --help lists both)
 *
 * Every command parses its options with cmd/opt.h (`--opt value`,
 * `--opt=value`, -h/--help) and exits with one of its ANTT_EXIT_* codes. */
#include "lib/antt.h"
#include "cli/enroll.h"
#include "lib/fields.h"
#include "cli/load.h"
#include "cmd/opt.h"
#include "cli/report_cmd.h"
#include "cli/tipoffs.h"
#include "cli/viewer.h"
#include "cli/watch.h"
#include "proto/err.h"
#include "proto/uuid.h"

#include <errno.h>
#include <signal.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#ifndef ANTT_VERSION
#define ANTT_VERSION "0"
#endif

typedef struct {
    const char *endpoint, *node, *spool;
    antt_sec_t sec;
    int timeout_s;
    antt_fsync_t fsync;
    char spool_buf[512];
} globals_t;

/* Which input line an event came from, to print its answer. */
typedef struct {
    uint8_t id[16];
    long line;
} origin_t;

typedef struct {
    origin_t *v;
    size_t n, cap;
    size_t accepted, duplicate, rejected;
} results_t;

static const char EXIT_HELP[] =
    "exit codes: 0 done (every event accepted, or a duplicate of one stored before);\n"
    "1 refused (an event rejected by the daemon; a change the database refused);\n"
    "2 bad usage or input; 3 not every event answered within --timeout (they stay\n"
    "spooled and go with the next run); 4 the spool or another local file could not\n"
    "be read or written; 5 the database could not be reached or failed.\n";

typedef struct {
    const char *synopsis, *help; /* help: lines separated by \n */
    int (*run)(globals_t *g, int argc, char **argv);
} command_t;

static const command_t *command_find(const char *name);
static void command_usage(FILE *f);

/* Fill `text` to `width` columns, the first line after `indent` columns
 * already printed, the next ones indented by `indent`. */
static void wrap(FILE *f, const char *text, int indent, int width)
{
    int col = indent;
    for (const char *p = text; *p;) {
        const size_t w = strcspn(p, " ");
        if (col > indent && col + 1 + (int)w > width) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', f);
            col++;
        }
        fprintf(f, "%.*s", (int)w, p);
        col += (int)w;
        p += w;
        p += strspn(p, " ");
    }
    fputc('\n', f);
}

static void usage(FILE *f, const opt_t *opts, size_t n)
{
    fprintf(f, "usage: antt [GLOBAL OPTIONS] COMMAND [ARGS]\n\ncommands:\n");
    command_usage(f);
    fprintf(f, "\nevent types (antt submit TYPE --help lists a type's fields):\n  ");
    wrap(f, fields_type_help(), 2, 80);
    fprintf(f, "\nglobal options (before the command):\n");
    opt_print(f, opts, n);
    fprintf(
        f,
        "\n"
        "Fields use PROTOCOL.md's names (--occurred-at or --occurred_at); times are RFC 3339\n"
        "(2023-06-13T10:00:00+07:00) or a date (Hanoi midnight); names of severities, kinds,\n"
        "sources, bases and outcomes may be given in Vietnamese (\"nghiem-trong\", \"tố giác\").\n"
        "CURVE is on unless --insecure: --server-key is the daemon's public key (pinned),\n"
        "--key this station's keypair file (antt keygen). Commands that read the database\n"
        "(report, tipoffs, watch, node, subscriber, viewer) take --db, else ANTT_DB,\n"
        "else PG*.\n"
        "\n%s",
        EXIT_HELP);
}

static void on_result(void *ctx, const antt_result_t *r)
{
    results_t *res = ctx;
    char id[UUID_TEXT_LEN + 1];
    uuid_format(r->id, id);
    long line = 0;
    for (size_t i = 0; i < res->n; i++)
        if (!memcmp(res->v[i].id, r->id, 16)) line = res->v[i].line;
    char where[32] = "";
    if (line > 0) snprintf(where, sizeof where, "line %ld: ", line);
    if (r->status == ACK_REJECTED) {
        res->rejected++;
        printf("%srejected %s %d %s%s%s%s %s\n", where, id, r->code, antt_err_name(r->code),
               r->field[0] ? " (" : "", r->field, r->field[0] ? ")" : "", r->msg);
    } else {
        if (r->status == ACK_ACCEPTED)
            res->accepted++;
        else
            res->duplicate++;
        printf("%s%s %s\n", where, ack_status_name(r->status), id);
    }
}

static void remember(results_t *res, const uint8_t id[16], long line)
{
    if (res->n == res->cap) {
        size_t cap = res->cap ? res->cap * 2 : 64;
        origin_t *v = realloc(res->v, cap * sizeof *v);
        if (!v) return;
        res->v = v;
        res->cap = cap;
    }
    memcpy(res->v[res->n].id, id, 16);
    res->v[res->n++].line = line;
}

/* libantt's codes to exit codes: a refused option or key is the user's
 * input, a spool that cannot be written is the local file's. */
static int exit_of(int rc)
{
    if (rc == ANTT_C_SPOOL_FULL || rc == ANTT_C_SPOOL_IO || rc == ANTT_C_NOMEM)
        return ANTT_EXIT_SPOOL;
    return ANTT_EXIT_USAGE;
}

static antt_t *open_client(globals_t *g, int *code)
{
    *code = ANTT_EXIT_USAGE;
    if (!g->node || !*g->node) {
        fprintf(stderr, "antt: --node (or ANTT_NODE) is required: the station's node id\n");
        return NULL;
    }
    if (!g->spool) {
        const char *home = getenv("HOME");
        char d[400];
        snprintf(d, sizeof d, "%s/.antt", home && *home ? home : ".");
        mkdir(d, 0700);
        snprintf(g->spool_buf, sizeof g->spool_buf, "%s/%s.spool", d, g->node);
        g->spool = g->spool_buf;
    }
    antt_opts_t o = antt_defaults();
    o.endpoints = g->endpoint;
    o.node = g->node;
    o.spool_path = g->spool;
    o.fsync = g->fsync;
    o.resend_ms = 5000;
    o.sec = g->sec;
    antt_t *a;
    char err[512];
    int rc = antt_open(&a, &o, err, sizeof err);
    if (rc) {
        fprintf(stderr, "antt: %s\n", err);
        *code = exit_of(rc);
        return NULL;
    }
    return a;
}

/* Send and wait for answers until nothing is pending or the timeout. */
static int wait_answers(antt_t *a, const globals_t *g, results_t *res)
{
    const time_t end = time(NULL) + g->timeout_s;
    while (antt_pending(a) && time(NULL) < end)
        if (antt_poll(a, 200, on_result, res) < 0) break;
    if (antt_spool_error(a)) {
        fprintf(stderr, "antt: %s\n", antt_spool_error(a));
        return ANTT_EXIT_SPOOL;
    }
    if (antt_pending(a)) {
        if (antt_conn_error(a)) fprintf(stderr, "antt: not connected: %s\n", antt_conn_error(a));
        fprintf(stderr,
                "antt: %zu event(s) not answered within %d s; they stay in %s and go with the "
                "next run\n",
                antt_pending(a), g->timeout_s, g->spool);
        return ANTT_EXIT_TIMEOUT;
    }
    return res->rejected ? ANTT_EXIT_REJECTED : ANTT_EXIT_OK;
}

static int submit_error(int rc)
{
    return rc <= ANTT_C_SPOOL_FULL ? exit_of(rc) : ANTT_EXIT_USAGE; /* -ANTT_E_*: the event */
}

/* A flag of `antt submit TYPE`: the field of the same name (dashes or
 * underscores). */
typedef struct {
    ev_t *ev;
    fields_buf_t *buf;
} field_ctx_t;

static int set_field(void *ctx, const char *name, const char *value, char *err, size_t errlen)
{
    field_ctx_t *fc = ctx;
    char key[64];
    snprintf(key, sizeof key, "%s", name);
    for (char *p = key; *p; p++)
        if (*p == '-') *p = '_';
    return fields_set(fc->ev, fc->buf, key, value, err, errlen);
}

/* The options of one event type: each field it allows, by its wire name and,
 * where that has an underscore, with dashes ("--occurred-at"). Required
 * fields first. Returns the count. */
static size_t type_options(ev_type_t t, field_ctx_t *fc, opt_t *out, size_t cap, char helps[][512])
{
    const uint32_t req = ev_required(t), allowed = ev_allowed(t);
    static char dashed[EVF_COUNT][32];
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int f = 0; f < EVF_COUNT && n + 2 <= cap; f++) {
            if (!(allowed & EVB(f)) || !fields_settable((ev_field_t)f) || !!(req & EVB(f)) != !pass)
                continue;
            const char *name = ev_field_name((ev_field_t)f), *metavar;
            char desc[400];
            const char *what = fields_describe(t, (ev_field_t)f, &metavar, desc, sizeof desc);
            snprintf(helps[f], 512, "%s%s", (req & EVB(f)) && f != EVF_TIME ? "required: " : "",
                     what);
            snprintf(dashed[f], sizeof dashed[f], "%s", name);
            for (char *p = dashed[f]; *p; p++)
                if (*p == '_') *p = '-';
            out[n++] = (opt_t){dashed[f], 0, OPT_FN, fc, 0, 0, metavar, helps[f], set_field};
            if (strcmp(dashed[f], name))
                out[n++] = (opt_t){name, 0, OPT_FN, fc, 0, 0, metavar, NULL, set_field};
        }
    return n;
}

/* antt submit TYPE --field value ... (argv[0] is TYPE) */
static int submit_flags(globals_t *g, int argc, char **argv)
{
    ev_t ev;
    fields_buf_t buf = {.used = 0};
    memset(&ev, 0, sizeof ev);
    ev.type = fields_type(argv[0]);
    if (!ev.type) {
        fprintf(stderr, "antt submit: unknown event type '%s'; one of: %s\n", argv[0],
                fields_type_help());
        return ANTT_EXIT_USAGE;
    }
    ev.present = EVB(EVF_TYPE);
    field_ctx_t fc = {&ev, &buf};
    opt_t opts[2 * EVF_COUNT];
    static char helps[EVF_COUNT][512];
    const size_t n = type_options(ev.type, &fc, opts, sizeof opts / sizeof opts[0], helps);
    char err[512];
    int rc = opt_parse(opts, n, argc, argv, 0, NULL, err, sizeof err);
    if (rc == OPT_HELP) {
        printf("usage: antt submit %s --FIELD VALUE ...\n"
               "One %s event (PROTOCOL.md section 5), checked here with the daemon's own\n"
               "validator, spooled, sent, and answered. Fields:\n",
               fields_type_words(ev.type), ev_enum_name(&EV_TYPES, ev.type));
        opt_print(stdout, opts, n);
        printf("Names of enumerations may be written in Vietnamese, with or without diacritics\n"
               "(\"rất nghiêm trọng\" = rat-nghiem-trong = very_serious).\n");
        return ANTT_EXIT_OK;
    }
    if (rc == OPT_ERR) {
        fprintf(stderr, "antt submit: %s (fields are --name value; antt submit %s --help)\n", err,
                argv[0]);
        return ANTT_EXIT_USAGE;
    }
    int code;
    antt_t *a = open_client(g, &code);
    if (!a) return code;
    rc = antt_submit(a, &ev, err, sizeof err);
    if (rc) {
        fprintf(stderr, "antt submit: not sent: %s\n", err);
        antt_close(&a);
        return submit_error(rc);
    }
    results_t res = {0};
    rc = wait_answers(a, g, &res);
    antt_close(&a);
    free(res.v);
    return rc;
}

/* One JSON object into ev. 0, or -1 with err. */
static int event_of_json(json_object *o, ev_t *ev, fields_buf_t *buf, char *err, size_t errlen)
{
    memset(ev, 0, sizeof *ev);
    if (!json_object_is_type(o, json_type_object)) {
        snprintf(err, errlen, "not a JSON object");
        return -1;
    }
    json_object *t;
    if (!json_object_object_get_ex(o, "type", &t) || !json_object_is_type(t, json_type_string)) {
        snprintf(err, errlen, "type: missing, or not a string");
        return -1;
    }
    ev->type = fields_type(json_object_get_string(t));
    if (!ev->type) {
        snprintf(err, errlen, "type: '%s' is not an event type", json_object_get_string(t));
        return -1;
    }
    ev->present = EVB(EVF_TYPE);
    json_object_object_foreach(o, key, val)
    {
        if (!strcmp(key, "type")) continue;
        char text[64];
        const char *s;
        if (fields_is_number(key)) {
            if (!json_object_is_type(val, json_type_int)) {
                snprintf(err, errlen, "%s: wrong type: a whole number is expected", key);
                return -1;
            }
            int64_t v = json_object_get_int64(val);
            snprintf(text, sizeof text, "%lld", (long long)v);
            s = v < 0 ? "-1" : text;
        } else {
            if (ev_field_lookup(key, strlen(key)) >= 0 &&
                !json_object_is_type(val, json_type_string)) {
                snprintf(err, errlen, "%s: wrong type: a string is expected", key);
                return -1;
            }
            s = json_object_is_type(val, json_type_string) ? json_object_get_string(val) : "";
        }
        if (fields_set(ev, buf, key, s, err, errlen) < 0) return -1;
    }
    return 0;
}

static int submit_jsonl(globals_t *g, const char *path)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    if (!f) {
        fprintf(stderr, "antt: %s: %s\n", path, strerror(errno));
        return ANTT_EXIT_USAGE;
    }
    int code;
    antt_t *a = open_client(g, &code);
    if (!a) {
        if (f != stdin) fclose(f);
        return code;
    }
    results_t res = {0};
    int bad = 0, spool_err = 0;
    char *line = NULL;
    size_t cap = 0;
    long no = 0;
    ssize_t len;
    json_tokener *tok = json_tokener_new();
    while ((len = getline(&line, &cap, f)) >= 0) {
        no++;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (!len) continue; /* blank lines are allowed */
        json_tokener_reset(tok);
        json_object *o = json_tokener_parse_ex(tok, line, (int)len);
        enum json_tokener_error je = json_tokener_get_error(tok);
        char err[512];
        ev_t ev;
        fields_buf_t buf = {.used = 0};
        if (!o || je != json_tokener_success || json_tokener_get_parse_end(tok) != (size_t)len) {
            fprintf(stderr, "antt: line %ld: not JSON: %s\n", no,
                    je != json_tokener_success ? json_tokener_error_desc(je)
                                               : "trailing characters");
            bad++;
        } else if (event_of_json(o, &ev, &buf, err, sizeof err) < 0) {
            fprintf(stderr, "antt: line %ld: %s\n", no, err);
            bad++;
        } else {
            int rc = antt_submit(a, &ev, err, sizeof err);
            if (rc) {
                fprintf(stderr, "antt: line %ld: not sent: %s\n", no, err);
                if (submit_error(rc) == ANTT_EXIT_SPOOL)
                    spool_err = 1;
                else
                    bad++;
            } else {
                remember(&res, ev.id, no);
                antt_poll(a, 0, on_result, &res); /* keep things moving on long files */
            }
        }
        json_object_put(o);
        if (spool_err) break;
    }
    json_tokener_free(tok);
    free(line);
    if (f != stdin) fclose(f);
    int rc = wait_answers(a, g, &res);
    antt_close(&a);
    free(res.v);
    fprintf(stderr, "antt: %ld line(s): %zu accepted, %zu duplicate, %zu rejected, %d bad\n", no,
            res.accepted, res.duplicate, res.rejected, bad);
    if (spool_err) return ANTT_EXIT_SPOOL;
    if (rc == ANTT_EXIT_TIMEOUT) return rc;
    return bad ? ANTT_EXIT_USAGE : rc;
}

static int cmd_submit(globals_t *g, int argc, char **argv)
{
    if (argc >= 2 && argv[1][0] != '-') return submit_flags(g, argc - 1, argv + 1);
    const char *jsonl = NULL;
    const opt_t opts[] = {
        {"jsonl", 'j', OPT_STR, &jsonl, 0, 0, "FILE|-", "events as JSON Lines, one object a line",
         NULL},
    };
    char err[512];
    int first;
    int rc = opt_parse(opts, 1, argc, argv, 0, &first, err, sizeof err);
    if (rc == OPT_HELP) {
        printf("usage: antt submit TYPE --FIELD VALUE ...\n"
               "       antt submit --jsonl FILE|-\n"
               "TYPE: %s\n"
               "antt submit TYPE --help lists the fields of TYPE.\n",
               fields_type_help());
        opt_print(stdout, opts, 1);
        printf("example: antt --node ls-180-06040 submit incident --unit 06040 --case 12/VV \\\n"
               "           --group social_order --severity nghiem-trong --occurred-at "
               "2023-06-13T10:00+07:00\n");
        return ANTT_EXIT_OK;
    }
    if (rc == OPT_OK && (!jsonl || first < argc)) {
        snprintf(err, sizeof err,
                 first < argc ? "unexpected '%s'" : "a TYPE or --jsonl FILE is needed",
                 first < argc ? argv[first] : "");
        rc = OPT_ERR;
    }
    if (rc == OPT_ERR) {
        fprintf(stderr, "antt submit: %s (antt submit --help)\n", err);
        return ANTT_EXIT_USAGE;
    }
    return submit_jsonl(g, jsonl);
}

static int cmd_spool(globals_t *g, int argc, char **argv)
{
    int flush = 0;
    const opt_t opts[] = {
        {"flush", 'f', OPT_FLAG, &flush, 0, 0, NULL,
         "send what is pending now, and wait for the answers", NULL},
    };
    char err[512];
    int rc = opt_parse(opts, 1, argc, argv, 0, NULL, err, sizeof err);
    if (rc == OPT_HELP) {
        printf("usage: antt spool [--flush]\n"
               "Shows the events waiting for the daemon's answer; --flush sends them now\n"
               "and waits up to --timeout for the answers.\n");
        opt_print(stdout, opts, 1);
        return ANTT_EXIT_OK;
    }
    if (rc == OPT_ERR) {
        fprintf(stderr, "antt spool: %s (antt spool --help)\n", err);
        return ANTT_EXIT_USAGE;
    }
    int code;
    antt_t *a = open_client(g, &code);
    if (!a) return code;
    size_t n = antt_pending(a);
    int64_t oldest = antt_oldest_ms(a);
    if (!n) {
        printf("spool %s: nothing pending\n", g->spool);
    } else {
        time_t t = (time_t)(oldest / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        char when[32];
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        printf("spool %s: %zu event(s) pending, the oldest since %s\n", g->spool, n, when);
    }
    rc = ANTT_EXIT_OK;
    if (flush && n) {
        antt_flush(a);
        results_t res = {0};
        rc = wait_answers(a, g, &res);
        free(res.v);
    }
    antt_close(&a);
    return rc;
}

static int run(globals_t *g, int argc, char **argv);

/* antt help [COMMAND]: COMMAND --help. */
static int cmd_help(globals_t *g, int argc, char **argv, const opt_t *opts, size_t n)
{
    if (argc < 2 || !strcmp(argv[1], "help")) {
        usage(stdout, opts, n);
        return ANTT_EXIT_OK;
    }
    char help[] = "--help";
    char *args[3] = {argv[1], help, NULL};
    return run(g, 2, args);
}

static int cmd_load(globals_t *g, int argc, char **argv)
{
    return load_main(g->endpoint, &g->sec, argc, argv);
}

static int cmd_report(globals_t *g, int argc, char **argv)
{
    (void)g;
    return report_main(argc, argv);
}

static int cmd_tipoffs(globals_t *g, int argc, char **argv)
{
    (void)g;
    return tipoffs_main(argc, argv);
}

static int cmd_watch(globals_t *g, int argc, char **argv)
{
    return watch_main(&g->sec, argc, argv);
}

static int cmd_keygen(globals_t *g, int argc, char **argv)
{
    (void)g;
    return enroll_keygen(argc, argv);
}

static int cmd_node(globals_t *g, int argc, char **argv)
{
    (void)g;
    return enroll_main(ENROLL_NODES, argc, argv);
}

static int cmd_subscriber(globals_t *g, int argc, char **argv)
{
    (void)g;
    return enroll_main(ENROLL_SUBSCRIBERS, argc, argv);
}

static int cmd_viewer(globals_t *g, int argc, char **argv)
{
    (void)g;
    return viewer_main(argc, argv);
}

/* Every command: the dispatcher and `antt --help` read this one table, so
 * that no command is known to one and not the other. The synopsis's first
 * word is the command's name. (help is handled in main: it needs the global
 * options' table.) */
static const command_t COMMANDS[] = {
    {"submit TYPE --FIELD VALUE ...",
     "one event of TYPE (below); antt submit TYPE --help lists\n"
     "its fields; submit --jsonl FILE|-: JSON Lines, one event\n"
     "object a line, with \"type\" and PROTOCOL.md's field names",
     cmd_submit},
    {"spool [--flush]", "what is waiting for an answer; --flush sends it now", cmd_spool},
    {"load --units FILE ...", "simulated stations at a given rate", cmd_load},
    {"report --unit CODE --year Y", "year-end figures from the database", cmd_report},
    {"tipoffs --unit CODE --overdue", "tip-offs past their deadline; --due-within 3d; --times",
     cmd_tipoffs},
    {"watch --unit CODE", "a live table of the unit's children (Hanoi time)", cmd_watch},
    {"keygen FILE", "a CURVE keypair: FILE (secret, 0600) and FILE.pub", cmd_keygen},
    {"node add|revoke|list ...", "enrol stations' keys in the database", cmd_node},
    {"subscriber add|revoke|list ...", "enrol tally-stream subscribers, with a unit scope",
     cmd_subscriber},
    {"viewer add|revoke|list ...", "accounts of the console (anttweb), with a scope", cmd_viewer},
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static const command_t *command_find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const char *syn = COMMANDS[i].synopsis;
        const size_t n = strcspn(syn, " ");
        if (strlen(name) == n && !strncmp(syn, name, n)) return &COMMANDS[i];
    }
    return NULL;
}

static void command_usage(FILE *f)
{
    for (size_t i = 0; i < NCOMMANDS; i++) {
        fprintf(f, "  %-32s", COMMANDS[i].synopsis);
        if (strlen(COMMANDS[i].synopsis) >= 32) fprintf(f, "\n  %-32s", "");
        for (const char *p = COMMANDS[i].help; *p;) {
            const size_t n = strcspn(p, "\n");
            fprintf(f, "%.*s\n", (int)n, p);
            p += n;
            if (*p) fprintf(f, "  %-32s", ""), p++;
        }
    }
    fprintf(f, "  %-32s%s\n", "help [COMMAND]", "this text, or COMMAND --help");
}

static int run(globals_t *g, int argc, char **argv)
{
    const command_t *c = command_find(argv[0]);
    if (c) return c->run(g, argc, argv);
    fprintf(stderr, "antt: unknown command '%s' (antt --help)\n", argv[0]);
    return ANTT_EXIT_USAGE;
}

static int set_fsync(void *ctx, const char *name, const char *v, char *err, size_t errlen)
{
    antt_fsync_t *f = ctx;
    if (!strcmp(v, "each"))
        *f = ANTT_FSYNC_EACH;
    else if (!strcmp(v, "batch"))
        *f = ANTT_FSYNC_BATCH;
    else if (!strcmp(v, "none"))
        *f = ANTT_FSYNC_NONE;
    else {
        snprintf(err, errlen, "--%s: '%s' is not each, batch or none", name, v);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    /* A file-size limit (ulimit -f) is a full disk to us: a write error to
     * report, not a signal that kills the process mid-spool. */
    signal(SIGXFSZ, SIG_IGN);
    globals_t g = {.endpoint = getenv("ANTT_ENDPOINT"),
                   .node = getenv("ANTT_NODE"),
                   .spool = getenv("ANTT_SPOOL"),
                   .fsync = ANTT_FSYNC_EACH};
    g.sec.server_key = getenv("ANTT_SERVER_KEY");
    g.sec.key_file = getenv("ANTT_KEY");
    int insecure = getenv("ANTT_INSECURE") && !strcmp(getenv("ANTT_INSECURE"), "1"), version = 0;
    long timeout = 30;
    if (!g.endpoint) g.endpoint = "tcp://127.0.0.1:7720";
    const opt_t opts[] = {
        {"endpoint", 'e', OPT_STR, &g.endpoint, 0, 0, "EP",
         "the daemon's acked endpoint(s), comma-separated (ANTT_ENDPOINT; tcp://127.0.0.1:7720)",
         NULL},
        {"node", 'n', OPT_STR, &g.node, 0, 0, "ID", "this station's node id (ANTT_NODE)", NULL},
        {"spool", 's', OPT_STR, &g.spool, 0, 0, "PATH",
         "the spool file (ANTT_SPOOL; ~/.antt/NODE.spool)", NULL},
        {"timeout", 't', OPT_INT, &timeout, 0, 86400, "SECONDS",
         "how long to wait for answers (30)", NULL},
        {"fsync", 0, OPT_FN, &g.fsync, 0, 0, "each|batch|none", "when the spool is synced (each)",
         set_fsync},
        {"server-key", 0, OPT_STR, &g.sec.server_key, 0, 0, "Z85|FILE",
         "the daemon's public key, pinned (ANTT_SERVER_KEY)", NULL},
        {"key", 'k', OPT_STR, &g.sec.key_file, 0, 0, "FILE",
         "this station's or subscriber's keypair, from antt keygen (ANTT_KEY)", NULL},
        {"insecure", 0, OPT_FLAG, &insecure, 0, 0, NULL,
         "no CURVE: a development daemon only (ANTT_INSECURE=1)", NULL},
        {"version", 'V', OPT_FLAG, &version, 0, 0, NULL, "print the version and exit", NULL},
    };
    const size_t n = sizeof opts / sizeof opts[0];
    char err[512];
    int first;
    int rc = opt_parse(opts, n, argc, argv, 1, &first, err, sizeof err);
    if (rc == OPT_HELP) {
        usage(stdout, opts, n);
        return ANTT_EXIT_OK;
    }
    if (rc == OPT_ERR) {
        fprintf(stderr, "antt: %s (antt --help)\n", err);
        return ANTT_EXIT_USAGE;
    }
    if (version) {
        printf("antt %s (protocol %d)\n", ANTT_VERSION, ANTT_PROTO_VERSION);
        return ANTT_EXIT_OK;
    }
    if (first >= argc) {
        usage(stderr, opts, n);
        return ANTT_EXIT_USAGE;
    }
    g.sec.insecure = insecure;
    g.timeout_s = (int)timeout;
    if (!strcmp(argv[first], "help")) return cmd_help(&g, argc - first, argv + first, opts, n);
    return run(&g, argc - first, argv + first);
}
