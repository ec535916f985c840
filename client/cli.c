/* cli.c — the antt command: git-style subcommands over libantt.
 *
 *   antt [--endpoint EP] [--node ID] [--spool PATH] [--timeout S] COMMAND ...
 *   antt submit TYPE --field value ...   one event from flags
 *   antt submit --jsonl FILE|-           JSON Lines, one event per line
 *   antt spool [--flush]                 what is pending; --flush sends it now
 *
 * Exit codes: 0 every event accepted (or a duplicate of one stored before);
 * 1 at least one rejected; 2 bad usage or input (nothing of a bad line is
 * sent); 3 not every event answered within --timeout (they stay spooled and
 * go with the next run); 4 the spool could not be opened or written. */
#include "client/antt.h"
#include "client/enroll.h"
#include "client/fields.h"
#include "client/load.h"
#include "client/report.h"
#include "client/tipoffs.h"
#include "client/watch.h"
#include "proto/err.h"
#include "proto/uuid.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

enum { EXIT_OK = 0, EXIT_REJECTED = 1, EXIT_USAGE = 2, EXIT_TIMEOUT = 3, EXIT_SPOOL = 4 };

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

static void usage(FILE *f)
{
    fprintf(f,
            "usage: antt [--endpoint EP] [--node ID] [--spool PATH] [--timeout SECONDS]\n"
            "            [--fsync each|batch|none] [--server-key Z85|FILE] [--key FILE]\n"
            "            [--insecure] COMMAND [ARGS]\n"
            "\n"
            "commands:\n"
            "  submit TYPE --FIELD VALUE ...   one event; TYPE is one of\n"
            "                                  %s\n"
            "  submit --jsonl FILE|-           JSON Lines: one event object per line, with \"type\"\n"
            "                                  and the field names of PROTOCOL.md\n"
            "  spool [--flush]                 what is waiting for an answer; --flush sends it now\n"
            "  load --units FILE ...           simulated stations at a given rate (load --help)\n"
            "  report --unit CODE --year Y     year-end figures from the database (report --help)\n"
            "  tipoffs --unit CODE --overdue   tip-offs past their deadline; --due-within 3d; --times\n"
            "  watch --unit CODE               a live table of the unit's children (watch --help)\n"
            "  keygen FILE                     a CURVE keypair: FILE (secret, 0600) and FILE.pub\n"
            "  node add|revoke|list ...        enrol stations' keys in the database (node --help)\n"
            "  subscriber add|revoke|list ...  enrol tally-stream subscribers, with a unit scope\n"
            "  help                            this text; COMMAND --help for a command\n"
            "\n"
            "Fields use PROTOCOL.md's names (--occurred-at or --occurred_at); times are RFC 3339\n"
            "(2023-06-13T10:00:00+07:00) or a date (Hanoi midnight); names of severities, kinds,\n"
            "sources, bases and outcomes may be given in Vietnamese (\"nghiem-trong\", \"tố giác\").\n"
            "\n"
            "environment: ANTT_ENDPOINT (default tcp://127.0.0.1:7720), ANTT_NODE, ANTT_SPOOL\n"
            "(default ~/.antt/NODE.spool), ANTT_SERVER_KEY, ANTT_KEY, ANTT_INSECURE=1.\n"
            "CURVE is on unless --insecure: --server-key is the daemon's public key (pinned),\n"
            "--key this station's keypair file.\n"
            "exit codes: 0 all accepted; 1 some rejected; 2 bad usage or input; 3 not all\n"
            "answered in time (still spooled); 4 spool error.\n",
            fields_type_help());
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
        if (r->status == ACK_ACCEPTED) res->accepted++;
        else res->duplicate++;
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

static antt_t *open_client(globals_t *g)
{
    if (!g->node || !*g->node) {
        fprintf(stderr, "antt: --node (or ANTT_NODE) is required\n");
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
    if (antt_open(&a, &o, err, sizeof err)) {
        fprintf(stderr, "antt: %s\n", err);
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
    if (antt_pending(a)) {
        if (antt_conn_error(a)) fprintf(stderr, "antt: not connected: %s\n", antt_conn_error(a));
        fprintf(stderr,
                "antt: %zu event(s) not answered within %d s; they stay in %s and go with the "
                "next run\n",
                antt_pending(a), g->timeout_s, g->spool);
        return EXIT_TIMEOUT;
    }
    return res->rejected ? EXIT_REJECTED : EXIT_OK;
}

static int submit_error(int rc)
{
    return rc == ANTT_C_SPOOL_FULL || rc == ANTT_C_SPOOL_IO ? EXIT_SPOOL : EXIT_USAGE;
}

/* antt submit TYPE --field value ... */
static int submit_flags(globals_t *g, const char *type, int argc, char **argv)
{
    ev_t ev;
    fields_buf_t buf = {.used = 0};
    memset(&ev, 0, sizeof ev);
    ev.type = fields_type(type);
    if (!ev.type) {
        fprintf(stderr, "antt: unknown event type '%s'; one of: %s\n", type, fields_type_help());
        return EXIT_USAGE;
    }
    ev.present = EVB(EVF_TYPE);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2)) {
            fprintf(stderr, "antt: unexpected '%s' (fields are --name value)\n", a);
            return EXIT_USAGE;
        }
        char key[64];
        const char *val;
        const char *eq = strchr(a, '=');
        if (eq) {
            snprintf(key, sizeof key, "%.*s", (int)(eq - a - 2), a + 2);
            val = eq + 1;
        } else {
            if (i + 1 >= argc) {
                fprintf(stderr, "antt: %s needs a value\n", a);
                return EXIT_USAGE;
            }
            snprintf(key, sizeof key, "%s", a + 2);
            val = argv[++i];
        }
        for (char *p = key; *p; p++)
            if (*p == '-') *p = '_';
        char err[256];
        if (fields_set(&ev, &buf, key, val, err, sizeof err) < 0) {
            fprintf(stderr, "antt: %s\n", err);
            return EXIT_USAGE;
        }
    }
    antt_t *a = open_client(g);
    if (!a) return EXIT_SPOOL;
    char err[512];
    int rc = antt_submit(a, &ev, err, sizeof err);
    if (rc) {
        fprintf(stderr, "antt: not sent: %s\n", err);
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
            if (ev_field_lookup(key, strlen(key)) >= 0 && !json_object_is_type(val, json_type_string)) {
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
        return EXIT_USAGE;
    }
    antt_t *a = open_client(g);
    if (!a) {
        if (f != stdin) fclose(f);
        return EXIT_SPOOL;
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
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (!len) continue; /* blank lines are allowed */
        json_tokener_reset(tok);
        json_object *o = json_tokener_parse_ex(tok, line, (int)len);
        enum json_tokener_error je = json_tokener_get_error(tok);
        char err[512];
        ev_t ev;
        fields_buf_t buf = {.used = 0};
        if (!o || je != json_tokener_success || json_tokener_get_parse_end(tok) != (size_t)len) {
            fprintf(stderr, "antt: line %ld: not JSON: %s\n", no,
                    je != json_tokener_success ? json_tokener_error_desc(je) : "trailing characters");
            bad++;
        } else if (event_of_json(o, &ev, &buf, err, sizeof err) < 0) {
            fprintf(stderr, "antt: line %ld: %s\n", no, err);
            bad++;
        } else {
            int rc = antt_submit(a, &ev, err, sizeof err);
            if (rc) {
                fprintf(stderr, "antt: line %ld: not sent: %s\n", no, err);
                if (submit_error(rc) == EXIT_SPOOL) spool_err = 1;
                else bad++;
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
    if (spool_err) return EXIT_SPOOL;
    if (rc == EXIT_TIMEOUT) return rc;
    return bad ? EXIT_USAGE : rc;
}

static int cmd_submit(globals_t *g, int argc, char **argv)
{
    if (argc < 1 || !strcmp(argv[0], "--help")) {
        printf("usage: antt submit TYPE --FIELD VALUE ...\n"
               "       antt submit --jsonl FILE|-\n"
               "TYPE: %s\n"
               "example: antt --node ls-180-06040 submit incident --unit 06040 --case 12/VV \\\n"
               "           --group social_order --severity nghiem-trong --occurred-at 2023-06-13T10:00+07:00\n",
               fields_type_help());
        return argc < 1 ? EXIT_USAGE : EXIT_OK;
    }
    if (!strcmp(argv[0], "--jsonl")) {
        if (argc != 2) {
            fprintf(stderr, "antt: submit --jsonl FILE|-\n");
            return EXIT_USAGE;
        }
        return submit_jsonl(g, argv[1]);
    }
    return submit_flags(g, argv[0], argc - 1, argv + 1);
}

static int cmd_spool(globals_t *g, int argc, char **argv)
{
    int flush = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--flush")) flush = 1;
        else if (!strcmp(argv[i], "--help")) {
            printf("usage: antt spool [--flush]\n"
                   "Shows the events waiting for the daemon's answer; --flush sends them now\n"
                   "and waits up to --timeout for the answers.\n");
            return EXIT_OK;
        } else {
            fprintf(stderr, "antt: spool: unexpected '%s'\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    antt_t *a = open_client(g);
    if (!a) return EXIT_SPOOL;
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
    int rc = EXIT_OK;
    if (flush && n) {
        antt_flush(a);
        results_t res = {0};
        rc = wait_answers(a, g, &res);
        free(res.v);
    }
    antt_close(&a);
    return rc;
}

int main(int argc, char **argv)
{
    globals_t g = {.endpoint = getenv("ANTT_ENDPOINT"), .node = getenv("ANTT_NODE"),
                   .spool = getenv("ANTT_SPOOL"), .timeout_s = 30, .fsync = ANTT_FSYNC_EACH};
    g.sec.server_key = getenv("ANTT_SERVER_KEY");
    g.sec.key_file = getenv("ANTT_KEY");
    g.sec.insecure = getenv("ANTT_INSECURE") && !strcmp(getenv("ANTT_INSECURE"), "1");
    if (!g.endpoint) g.endpoint = "tcp://127.0.0.1:7720";
    int i = 1;
    for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--help")) {
            usage(stdout);
            return EXIT_OK;
        }
        if (!strcmp(o, "--insecure")) {
            g.sec.insecure = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "antt: %s needs a value\n", o);
            return EXIT_USAGE;
        }
        const char *v = argv[++i];
        if (!strcmp(o, "--endpoint")) g.endpoint = v;
        else if (!strcmp(o, "--node")) g.node = v;
        else if (!strcmp(o, "--spool")) g.spool = v;
        else if (!strcmp(o, "--timeout")) g.timeout_s = atoi(v);
        else if (!strcmp(o, "--server-key")) g.sec.server_key = v;
        else if (!strcmp(o, "--key")) g.sec.key_file = v;
        else if (!strcmp(o, "--fsync")) {
            if (!strcmp(v, "each")) g.fsync = ANTT_FSYNC_EACH;
            else if (!strcmp(v, "batch")) g.fsync = ANTT_FSYNC_BATCH;
            else if (!strcmp(v, "none")) g.fsync = ANTT_FSYNC_NONE;
            else {
                fprintf(stderr, "antt: --fsync each|batch|none\n");
                return EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "antt: unknown option %s (see antt --help)\n", o);
            return EXIT_USAGE;
        }
    }
    if (i >= argc || !strcmp(argv[i], "help")) {
        usage(i >= argc ? stderr : stdout);
        return i >= argc ? EXIT_USAGE : EXIT_OK;
    }
    const char *cmd = argv[i++];
    if (!strcmp(cmd, "submit")) return cmd_submit(&g, argc - i, argv + i);
    if (!strcmp(cmd, "spool")) return cmd_spool(&g, argc - i, argv + i);
    if (!strcmp(cmd, "load")) return load_main(g.endpoint, &g.sec, argc - i, argv + i);
    if (!strcmp(cmd, "report")) return report_main(argc - i, argv + i);
    if (!strcmp(cmd, "tipoffs")) return tipoffs_main(argc - i, argv + i);
    if (!strcmp(cmd, "watch")) return watch_main(&g.sec, argc - i, argv + i);
    if (!strcmp(cmd, "keygen")) return enroll_keygen(argc - i, argv + i);
    if (!strcmp(cmd, "node")) return enroll_main(ENROLL_NODES, argc - i, argv + i);
    if (!strcmp(cmd, "subscriber")) return enroll_main(ENROLL_SUBSCRIBERS, argc - i, argv + i);
    fprintf(stderr, "antt: unknown command '%s' (see antt --help)\n", cmd);
    return EXIT_USAGE;
}
