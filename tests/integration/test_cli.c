/* test_cli.c — the antt command against the real anttd: events from flags and
 * from JSON Lines, bad lines with their numbers, exit codes, the spool when
 * the daemon is away. */
#include "harness.h"

#include "cli/term.h"
#include "lib/fields.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static it_db_t db;
static it_daemon_t d;
static char dir[64];

static void up(void)
{
    it_db_create(&db, NULL);
    it_daemon_start(&d, db.dsn, NULL);
    snprintf(dir, sizeof dir, "/tmp/antt-cli-XXXXXX");
    cr_assert(mkdtemp(dir));
}

static void down(void)
{
    if (d.pid) it_daemon_stop(&d, SIGTERM);
    it_daemon_forget(&d);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) {
    }
    it_db_drop(&db, NULL);
}

TestSuite(cli, .init = up, .fini = down, .timeout = 120);

/* Run antt with the daemon's endpoint (or port) and our spool; stdin from
 * `input` when given; stdout+stderr into out. Returns the exit status. */
static int antt(int port, const char *input, char *out, size_t outlen, const char *args)
{
    char in[160], log[160], cmd[2048];
    snprintf(in, sizeof in, "%s/in.jsonl", dir);
    snprintf(log, sizeof log, "%s/out.txt", dir);
    FILE *f = fopen(in, "w");
    cr_assert(f);
    if (input) fputs(input, f);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "%s --insecure --endpoint tcp://127.0.0.1:%d --node ls-180-06040 --spool %s/spool "
             "--timeout 3 %s "
             "<%s >%s 2>&1",
             ANTT_PATH, port, dir, args, in, log);
    int st = system(cmd);
    f = fopen(log, "r");
    size_t n = f ? fread(out, 1, outlen - 1, f) : 0;
    out[n] = '\0';
    if (f) fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static long long q(const char *sql)
{
    PGconn *c = it_pg(&db);
    long long v = it_scalar(c, sql);
    PQfinish(c);
    return v;
}

Test(cli, one_event_from_flags_with_vietnamese_names)
{
    char out[4096];
    int rc = antt(d.port, NULL, out, sizeof out,
                  "submit vu-viec --unit 06040 --case 12/VV --group social_order "
                  "--severity 'rất nghiêm trọng' --occurred-at 2023-06-13T10:00:00+07:00");
    cr_expect_eq(rc, 0, "%s", out);
    cr_expect(strstr(out, "accepted "), "%s", out);
    cr_expect_eq(
        q("SELECT count(*) FROM antt.incidents WHERE ref = '12/VV' AND severity = 'very_serious'"
          " AND occurred_at = '2023-06-13 03:00Z'"),
        1);
    rc = antt(d.port, NULL, out, sizeof out,
              "submit incident --unit 06040 --case 13/VV --group piracy --severity serious "
              "--occurred-at 2023-06-13");
    cr_expect_eq(rc, 1, "a rejection exits 1: %s", out);
    cr_expect(strstr(out, "rejected ") && strstr(out, "303 UNKNOWN_GROUP"), "%s", out);
    rc = antt(d.port, NULL, out, sizeof out, "submit incident --unit 06040 --severity huge");
    cr_expect_eq(rc, 2, "%s", out);
    cr_expect(strstr(out, "severity: 'huge'"), "%s", out);
    /* a wanted person who gave themselves up, in Vietnamese; then the same
     * notice again: 315 */
    rc = antt(d.port, NULL, out, sizeof out,
              "submit bat-truy-na --unit 06040 --ref 9/QĐTN --issuer 20 --how 'vận động đầu thú' "
              "--category 'đặc biệt nguy hiểm' --found-at 2023-06-13T10:00:00+07:00");
    cr_expect_eq(rc, 0, "%s", out);
    cr_expect_eq(q("SELECT count(*) FROM antt.wanted WHERE issuer = '20' AND ref = '9/QĐTN'"
                   " AND how = 'surrendered' AND category = 'dangerous' AND unit = '06040'"),
                 1);
    rc = antt(d.port, NULL, out, sizeof out,
              "submit wanted-found --unit 06040 --ref 9/QĐTN --issuer 20 --how bat-giu "
              "--category thuong --found-at 2023-06-14");
    cr_expect_eq(rc, 1, "%s", out);
    cr_expect(strstr(out, "315 WANTED_CLOSED") && strstr(out, "found by 06040 on 2023-06-13"), "%s",
              out);
}

Test(cli, json_lines_bad_lines_are_numbered_and_not_sent)
{
    const char *input =
        "{\"type\":\"tipoff\",\"unit\":\"06040\",\"ref\":\"TG-1\",\"kind\":\"tố giác\","
        "\"source\":\"cong-dan\",\"received_at\":\"2023-06-10T08:00:00+07:00\"}\n"
        "this is not json\n"
        "{\"type\":\"incident\",\"unit\":\"06040\",\"case\":\"A1\",\"group\":\"drugs\","
        "\"severity\":\"serious\",\"occurred_at\":\"2023-06-12\",\"deaths\":\"1\"}\n"
        "\n"
        "{\"type\":\"incident\",\"unit\":\"06040\",\"case\":\"A2\",\"group\":\"drugs\","
        "\"severity\":\"serious\",\"occurred_at\":\"2023-06-12\",\"colour\":\"red\"}\n"
        "{\"type\":\"incident\",\"unit\":\"06040\",\"case\":\"A3\",\"group\":\"drugs\","
        "\"severity\":\"serious\",\"occurred_at\":\"2023-06-12\",\"deaths\":1}\n"
        "{\"type\":\"incident\",\"unit\":\"06040\",\"case\":\"A4\",\"group\":\"drugs\","
        "\"occurred_at\":\"2023-06-12\"}\n"
        "[1, 2]\n";
    char out[8192];
    int rc = antt(d.port, input, out, sizeof out, "submit --jsonl -");
    cr_expect_eq(rc, 2, "bad lines exit 2: %s", out);
    cr_expect(strstr(out, "line 1: accepted"), "%s", out);
    cr_expect(strstr(out, "line 2: not JSON"), "%s", out);
    cr_expect(strstr(out, "line 3: deaths: wrong type"), "%s", out);
    cr_expect(strstr(out, "line 5: colour: not a field"), "%s", out);
    cr_expect(strstr(out, "line 6: accepted"), "%s", out);
    cr_expect(strstr(out, "line 7: rejected") && strstr(out, "313 SEVERITY_REQUIRED"), "%s", out);
    cr_expect(strstr(out, "line 8: not a JSON object"), "%s", out);
    cr_expect_eq(q("SELECT count(*) FROM antt.events"), 2);
    cr_expect_eq(q("SELECT count(*) FROM antt.rejects"), 1, "only what reached the daemon");
}

Test(cli, events_wait_in_the_spool_while_the_daemon_is_away)
{
    it_daemon_stop(&d, SIGTERM);
    char out[4096];
    int rc = antt(d.port, NULL, out, sizeof out,
                  "submit clear --unit 06040 --case X1 --cleared-at 2023-06-13 --suspects 2 "
                  "--time 2023-06-13T12:00:00+07:00");
    cr_expect_eq(rc, 3, "not answered in time exits 3: %s", out);
    cr_expect(strstr(out, "stay in"), "%s", out);
    rc = antt(d.port, NULL, out, sizeof out, "spool");
    cr_expect_eq(rc, 0, "%s", out);
    cr_expect(strstr(out, "1 event(s) pending"), "%s", out);
    it_daemon_restart(&d, db.dsn, NULL);
    /* The clearance of an unknown case, two years old: the daemon rejects it. */
    rc = antt(d.port, NULL, out, sizeof out, "spool --flush");
    cr_expect_eq(rc, 1, "%s", out);
    cr_expect(strstr(out, "304 UNKNOWN_CASE"), "%s", out);
    rc = antt(d.port, NULL, out, sizeof out, "spool");
    cr_expect(strstr(out, "nothing pending"), "%s", out);
}

Test(cli, load_simulates_stations_with_duplicates_and_malformed_messages)
{
    char out[8192];
    const char *reg[] = {"--add-nodes-under", "20=st-", NULL};
    cr_assert_eq(it_anttd(db.dsn, reg, out, sizeof out), 0, "%s", out);
    kill(d.pid, SIGHUP); /* reload the registry now rather than on the first unknown node */
    for (int i = 0; i < 100 && !it_log_has(&d, "reloaded"); i++) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    char args[1024];
    snprintf(args, sizeof args,
             "load --db '%s' --under 20 --rate 300 --duration 3 --per-msg 2 --duplicates 0.1 "
             "--malformed 0.05",
             db.dsn);
    int rc = antt(d.port, NULL, out, sizeof out, args);
    cr_expect_eq(rc, 0, "%s", out);
    unsigned long long acc = 0, dup = 0, rej = 0, def = 0, refused = 0;
    const char *a = strstr(out, "load: answers");
    cr_assert(a, "%s", out);
    cr_assert_eq(sscanf(a,
                        "load: answers accepted=%llu duplicate=%llu rejected=%llu deferred=%llu "
                        "refused_messages=%llu",
                        &acc, &dup, &rej, &def, &refused),
                 5, "%s", out);
    cr_expect_gt(acc, 500, "%s", out);
    cr_expect_gt(dup, 0, "resent messages are answered duplicate: %s", out);
    cr_expect_gt(refused, 0, "malformed messages are refused: %s", out);
    cr_expect_eq(def, 0, "%s", out);
    /* The malformed kinds include an event map with a wrong type: rejected one by one. */
    cr_expect_eq(q("SELECT count(*) FROM antt.events"), (long long)acc);
    cr_expect_eq(q("SELECT count(*) FROM antt.rejects WHERE code < 200"), (long long)refused,
                 "%lld refusals recorded: %s",
                 q("SELECT count(*) FROM antt.rejects WHERE code < 200"), out);
    cr_expect_eq(q("SELECT count(*) FROM antt.rejects WHERE code >= 200"), (long long)(rej + def));
    const char *ver[] = {"--verify", NULL};
    cr_expect_eq(it_anttd(db.dsn, ver, out, sizeof out), 0, "%s", out);
}

/* antt with exactly these arguments (and env before it); out gets stdout+stderr. */
static int antt_raw(const char *env, const char *args, char *out, size_t outlen)
{
    char log[160], cmd[2048];
    snprintf(log, sizeof log, "%s/raw.txt", dir);
    snprintf(cmd, sizeof cmd, "cd %s && %s %s %s </dev/null >%s 2>&1", dir, env ? env : "",
             ANTT_PATH, args, log);
    int st = system(cmd);
    FILE *f = fopen(log, "r");
    size_t n = f ? fread(out, 1, outlen - 1, f) : 0;
    out[n] = '\0';
    if (f) fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Input that is wrong is refused with its name, never reinterpreted. */
Test(cli, missing_fields_impossible_dates_and_bad_numbers_are_refused)
{
    char out[4096];
    int rc = antt(d.port, NULL, out, sizeof out,
                  "submit incident --unit 06040 --group social_order --severity serious "
                  "--occurred-at 2023-06-13");
    cr_expect_eq(rc, 2, "%s", out);
    cr_expect(strstr(out, "204 MISSING_FIELD: case: is required for incident.reported"), "%s", out);
    rc = antt(d.port, NULL, out, sizeof out,
              "submit incident --unit 06040 --case 1/VV --group social_order "
              "--severity serious");
    cr_expect_eq(rc, 2, "%s", out);
    cr_expect(strstr(out, "204 MISSING_FIELD: occurred_at"), "%s", out);
    const char *impossible[] = {"2023-02-31", "2023-04-31", "2023-02-29", "2023-13-01",
                                "2023-06-00"};
    for (size_t i = 0; i < sizeof impossible / sizeof *impossible; i++) {
        char args[512];
        snprintf(args, sizeof args,
                 "submit incident --unit 06040 --case 2/VV --group social_order "
                 "--severity serious --occurred-at %s",
                 impossible[i]);
        rc = antt(d.port, NULL, out, sizeof out, args);
        cr_expect_eq(rc, 2, "%s: %s", impossible[i], out);
        cr_expect(strstr(out, "is not a time"), "%s: %s", impossible[i], out);
    }
    /* 2024 is a leap year: 29 February exists, and the =value form works */
    rc = antt(d.port, NULL, out, sizeof out,
              "submit incident --unit=06040 --case=3/VV --group=social_order "
              "--severity=serious --occurred-at=2024-02-29");
    cr_expect_eq(rc, 0, "%s", out);
    cr_expect_eq(q("SELECT count(*) FROM antt.incidents WHERE ref = '3/VV' AND occurred_at = "
                   "'2024-02-28 17:00Z'"),
                 1);
    cr_expect_eq(q("SELECT count(*) FROM antt.events"), 1, "nothing of the refused ones was sent");
    rc = antt_raw(NULL, "--insecure --node ls-180-06040 --timeout abc spool", out, sizeof out);
    cr_expect_eq(rc, 2, "%s", out);
    cr_expect(strstr(out, "--timeout: 'abc' is not a whole number"), "%s", out);
    rc = antt(d.port, NULL, out, sizeof out,
              "submit clear --unit 06040 --case 3/VV --cleared-at 2024-03-01 "
              "--suspects 2x");
    cr_expect_eq(rc, 2, "%s", out);
    cr_expect(strstr(out, "suspects: '2x' is not a count"), "%s", out);
}

/* One convention: --help and --version, exit codes that mean one thing. */
Test(cli, help_version_and_exit_codes)
{
    char out[16384];
    cr_expect_eq(antt_raw(NULL, "--version", out, sizeof out), 0);
    cr_expect(!strncmp(out, "antt ", 5) && strstr(out, "(protocol 1)"), "%s", out);
    cr_expect_eq(antt_raw(NULL, "-h", out, sizeof out), 0);
    cr_expect(strstr(out, "exit codes:") && strstr(out, "5 the database"), "%s", out);
    cr_expect_eq(antt_raw(NULL, "help report", out, sizeof out), 0);
    cr_expect(strstr(out, "usage: antt report"), "%s", out);
    /* a type's fields, required first, with the Vietnamese names of its values */
    cr_expect_eq(antt_raw(NULL, "submit incident --help", out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "usage: antt submit incident / vu-viec"), "%s", out);
    cr_expect(strstr(out, "--case REF") && strstr(out, "required: the case reference"), "%s", out);
    cr_expect(strstr(out, "very_serious (rat-nghiem-trong)"), "%s", out);
    cr_expect(strstr(out, "--summary TEXT") && !strstr(strstr(out, "--summary TEXT"), "required"),
              "%s", out);
    cr_expect(strstr(out, "--occurred-at TIME"), "%s", out);
    cr_expect_eq(antt_raw(NULL, "submit tiep-nhan -h", out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "denunciation (to-giac)"), "%s", out);
    /* a wanted notice's number is unique per issuer (antt.wanted's key) */
    cr_expect_eq(antt_raw(NULL, "submit wanted-found --help", out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "unique per issuing unit") && !strstr(out, "unique within its unit"),
              "%s", out);
    /* usage errors exit 2, whatever is missing */
    cr_expect_eq(antt_raw("ANTT_NODE=", "--frobnicate", out, sizeof out), 2, "%s", out);
    cr_expect_eq(antt_raw("ANTT_NODE=", "spool", out, sizeof out), 2, "no node: %s", out);
    cr_expect(strstr(out, "--node (or ANTT_NODE) is required"), "%s", out);
    cr_expect_eq(antt_raw("ANTT_SERVER_KEY= ANTT_KEY=",
                          "--node ls-180-06040 submit incident --unit 06040 "
                          "--case 9/VV --group drugs --severity serious --occurred-at 2023-06-13",
                          out, sizeof out),
                 2, "no server key: %s", out);
    cr_expect(strstr(out, "--server-key"), "%s", out);
    cr_expect_eq(antt_raw(NULL, "report --unit 20", out, sizeof out), 2, "%s", out);
    cr_expect_eq(antt_raw(NULL, "node frob x", out, sizeof out), 2, "%s", out);
    /* the database: its own code */
    cr_expect_eq(antt_raw("ANTT_DB='host=127.0.0.1 port=1 connect_timeout=2'",
                          "tipoffs --unit 20 --overdue", out, sizeof out),
                 5, "%s", out);
}

/* The commands and event types: `antt --help` prints the dispatcher's own
 * table, so each command it lists must run (`antt help NAME`) and be in
 * antt(1), and antt(1) must describe no command the program lacks; every
 * event type, by its English and Vietnamese words, is in both. */
Test(cli, every_command_and_type_is_in_help_and_the_man_page)
{
    static char help[16384], out[16384];
    cr_assert_eq(antt_raw(NULL, "--help", help, sizeof help), 0, "%s", help);
    FILE *f = fopen(ANTT_SOURCE_DIR "/cli/antt.1.scd", "r");
    cr_assert(f);
    static char page[65536];
    size_t len = fread(page, 1, sizeof page - 1, f), o = 0;
    fclose(f);
    for (size_t i = 0; i < len; i++) /* a paragraph's wrapped lines as one */
        if (page[i] == '\n' && i + 1 < len && page[i + 1] == '\t')
            page[o++] = ' ', i++;
        else
            page[o++] = page[i];
    page[o] = '\0';
    const char *cmds = strstr(page, "\n# COMMANDS\n"), *cmds_end = strstr(page, "\n# ENVIRONMENT");
    cr_assert(cmds && cmds_end);
    /* "  NAME ..." lines of the commands section, up to its blank line */
    const char *p = strstr(help, "commands:\n");
    cr_assert(p, "%s", help);
    const char *end = strstr(p, "\n\n");
    char names[32][32];
    int n = 0;
    for (p = strchr(p, '\n') + 1; p < end; p = strchr(p, '\n') + 1) {
        if (p[2] == ' ') continue; /* a help line's continuation */
        char name[32];
        cr_assert_eq(sscanf(p + 2, "%31[a-z-]", name), 1, "%.40s", p);
        snprintf(names[n++], sizeof names[0], "%s", name);
        char args[64], entry[48];
        snprintf(args, sizeof args, "help %s", name);
        cr_expect_eq(antt_raw(NULL, args, out, sizeof out), 0, "antt %s --help: %s", name, out);
        cr_expect(strstr(out, "usage:"), "antt %s --help: %s", name, out);
        /* "*name*" or "*name --option*" starts its entry */
        snprintf(entry, sizeof entry, "\n*%s", name);
        const char *at = cmds;
        while ((at = strstr(at + 1, entry)) && at < cmds_end && !strchr("* ", at[strlen(entry)]))
            ;
        cr_expect(at && at < cmds_end, "antt(1) does not describe the command %s", name);
    }
    cr_expect_geq(n, 11, "%s", help);
    /* the other way: each "*NAME*" entry of antt(1)'s COMMANDS is a command */
    for (p = strstr(cmds, "\n*"); p && p < cmds_end; p = strstr(p + 1, "\n*")) {
        char name[32];
        if (sscanf(p + 2, "%31[a-z-]", name) != 1) continue;
        int known = 0;
        for (int i = 0; i < n; i++)
            known |= !strcmp(names[i], name);
        cr_expect(known, "antt(1) describes '%s', which antt --help does not list", name);
    }
    for (int t = EV_NONE + 1; t < EV_TYPE_COUNT; t++) {
        char words[64];
        snprintf(words, sizeof words, "%s", fields_type_words((ev_type_t)t));
        char *slash = strstr(words, " / ");
        cr_assert(slash, "%s", words);
        *slash = '\0';
        const char *en = words, *vi = slash + 3;
        cr_expect(strstr(help, en) && strstr(help, vi), "antt --help lacks the type %s (%s)", en,
                  vi);
        const char *sub = strstr(cmds, "\n*submit* _TYPE_");
        cr_assert(sub);
        char in_page[80];
        snprintf(in_page, sizeof in_page, "%s (%s", en, vi);
        cr_expect(strstr(sub, in_page) && strstr(sub, in_page) < cmds_end,
                  "antt(1) lacks the type %s", in_page);
    }
}

/* ANTT_DB reaches every command that reads the database. */
Test(cli, antt_db_is_honoured_by_every_database_command)
{
    char out[8192], env[700];
    /* PGDATABASE names another database: only ANTT_DB leads to this one */
    snprintf(env, sizeof env, "PGDATABASE=postgres ANTT_DB='%s'", db.dsn);
    cr_expect_eq(antt_raw(env, "report --unit 20 --year 2023 --format csv", out, sizeof out), 0,
                 "%s", out);
    cr_expect(strstr(out, "occurred,0\n"), "%s", out);
    cr_expect_eq(antt_raw(env, "tipoffs --unit 20 --overdue", out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "0 tip-off(s) overdue"), "%s", out);
    cr_expect_eq(antt_raw(env, "tipoffs --unit 9999 --overdue", out, sizeof out), 2, "%s", out);
    cr_expect(strstr(out, "unit '9999' is not in antt.units"), "%s", out);
    cr_expect_eq(antt_raw(env, "node list --unit 180", out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "ls-180-06040"), "%s", out);
    cr_expect_eq(antt_raw(env, "subscriber list", out, sizeof out), 0, "%s", out);
    /* watch reads the hierarchy from ANTT_DB: an unknown unit is known to be unknown */
    cr_expect_eq(antt_raw(env, "--insecure watch --unit 9999 --for 1", out, sizeof out), 2, "%s",
                 out);
    cr_expect(strstr(out, "unit '9999' is not in antt.units"), "%s", out);
}

/* Tables line up by display width: Vietnamese names (Thị trấn Thất Khê, 17
 * cells but 22 bytes) never push the columns after them. */
Test(cli, tables_line_up_with_vietnamese_names)
{
    char out[16384], env[700], args[1024];
    /* a decided tip-off in Thị trấn Thất Khê (by the district's node) and in Xã Đại Đồng */
    const char *sub[][2] = {{"ls-180", "05995"}, {"ls-180-06040", "06040"}};
    for (int i = 0; i < 2; i++) {
        snprintf(args, sizeof args,
                 "--insecure --endpoint tcp://127.0.0.1:%d --node %s --spool %s/sp%d --timeout 5 "
                 "submit tipoff "
                 "--unit %s --ref TG-1 --kind to-giac --source cong-dan --received-at 2023-03-01",
                 d.port, sub[i][0], dir, i, sub[i][1]);
        cr_assert_eq(antt_raw(NULL, args, out, sizeof out), 0, "%s", out);
        snprintf(args, sizeof args,
                 "--insecure --endpoint tcp://127.0.0.1:%d --node %s --spool %s/sp%d --timeout 5 "
                 "submit resolve "
                 "--unit %s --ref TG-1 --outcome khoi-to --resolved-at 2023-03-%02d",
                 d.port, sub[i][0], dir, i, sub[i][1], 10 + i);
        cr_assert_eq(antt_raw(NULL, args, out, sizeof out), 0, "%s", out);
    }
    snprintf(env, sizeof env, "ANTT_DB='%s'", db.dsn);
    cr_assert_eq(antt_raw(env, "tipoffs --unit 180 --times --from 2023-01-01 --to 2024-01-01", out,
                          sizeof out),
                 0, "%s", out);
    cr_expect(strstr(out, "Thị trấn Thất Khê"), "%s", out);
    int lines = 0, width = -1;
    for (char *save = NULL, *l = strtok_r(out, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save), lines++) {
        if (width < 0) width = term_width(l);
        cr_expect_eq(term_width(l), width, "line %d is %d cells, the header %d: '%s'", lines,
                     term_width(l), width, l);
    }
    cr_expect_eq(lines, 3, "the header and a row per commune with a decision: %d", lines);
}

/* A full disk when the answers arrive: the station says so and exits 4; the
 * answers it got are reported, not "unanswered"; once there is room the
 * events go again and are answered duplicate, each stored once. The disk is
 * "full" through a file-size limit (prlimit --fsize) on the spool's writer. */
Test(cli, a_full_disk_at_answer_time_is_said_and_nothing_is_lost)
{
    char out[65536], args[1024], input[16384] = "";
    it_daemon_stop(&d, SIGTERM);
    size_t o = 0;
    for (int i = 0; i < 20; i++)
        o += (size_t)snprintf(
            input + o, sizeof input - o,
            "{\"type\":\"incident\",\"unit\":\"06040\",\"case\":\"D%d\",\"group\":\"drugs\","
            "\"severity\":\"serious\",\"occurred_at\":\"2023-06-12\"}\n",
            i);
    cr_assert_eq(antt(d.port, input, out, sizeof out, "--timeout 1 submit --jsonl -"), 3, "%s",
                 out);
    char spool[160];
    snprintf(spool, sizeof spool, "%s/spool", dir);
    struct stat st;
    cr_assert_eq(stat(spool, &st), 0);
    it_daemon_restart(&d, db.dsn, NULL);
    /* not one byte more may be written to the spool */
    snprintf(args, sizeof args,
             "prlimit --fsize=%lld %s --insecure --endpoint tcp://127.0.0.1:%d --node ls-180-06040 "
             "--spool %s "
             "--timeout 10 spool --flush",
             (long long)st.st_size, ANTT_PATH, d.port, spool);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cd %s && %s </dev/null >%s/full.txt 2>&1", dir, args, dir);
    int stt = system(cmd);
    snprintf(cmd, sizeof cmd, "%s/full.txt", dir);
    FILE *f = fopen(cmd, "r");
    size_t n = f ? fread(out, 1, sizeof out - 1, f) : 0;
    out[n] = '\0';
    if (f) fclose(f);
    cr_expect_eq(WEXITSTATUS(stt), 4, "a spool that cannot record answers exits 4: %s", out);
    cr_expect(strstr(out, "20 answer(s) could not be recorded in the spool") &&
                  strstr(out, "File too large"),
              "%s", out);
    cr_expect(!strstr(out, "not answered"), "answered events are not called unanswered: %s", out);
    int accepted = 0;
    for (const char *p = out; (p = strstr(p, "accepted ")); p++)
        accepted++;
    cr_expect_eq(accepted, 20, "every answer reported: %s", out);
    cr_expect_eq(q("SELECT count(*) FROM antt.events"), 20);
    /* room again: the 20 go once more, answered duplicate, stored once */
    cr_expect_eq(antt(d.port, NULL, out, sizeof out, "spool"), 0, "%s", out);
    cr_expect(strstr(out, "20 event(s) pending"), "%s", out);
    cr_expect_eq(antt(d.port, NULL, out, sizeof out, "spool --flush"), 0, "%s", out);
    int dup = 0;
    for (const char *p = out; (p = strstr(p, "duplicate ")); p++)
        dup++;
    cr_expect_eq(dup, 20, "%s", out);
    cr_expect_eq(antt(d.port, NULL, out, sizeof out, "spool"), 0, "%s", out);
    cr_expect(strstr(out, "nothing pending"), "%s", out);
    cr_expect_eq(q("SELECT count(*) FROM antt.events"), 20, "each stored once");
}

/* antt load reads either map's CSV: the 2025 one has no districts (a
 * commune's parent is the province) and a sixth column. */
Test(cli, load_reads_the_units_of_both_maps)
{
    char out[4096];
    cr_expect_eq(antt_raw(NULL,
                          "--insecure --endpoint tcp://127.0.0.1:1 load --units " ANTT_SOURCE_DIR
                          "/data/units-2025.csv --under 20 --rate 1 --duration 0.1",
                          out, sizeof out),
                 0, "%s", out);
    cr_expect(strstr(out, "stations=65 "), "Lạng Sơn has 65 communes since 1 July 2025: %s", out);
    cr_expect_eq(antt_raw(NULL,
                          "--insecure --endpoint tcp://127.0.0.1:1 load --units " ANTT_SOURCE_DIR
                          "/data/units-cluster2.csv --under 180 --rate 1 --duration 0.1",
                          out, sizeof out),
                 0, "%s", out);
    cr_expect(strstr(out, "stations=22 "), "district 180 had 22 communes: %s", out);
}

/* A station with nothing to report says so (station.quiet), in English or
 * Vietnamese: the daemon answers it like any event and it counts nothing. */
Test(cli, a_station_says_it_has_nothing_to_report)
{
    char out[4096], args[1024];
    const char *words[] = {"quiet", "khong-co-vu-viec"};
    for (int i = 0; i < 2; i++) {
        snprintf(args, sizeof args,
                 "--insecure --endpoint tcp://127.0.0.1:%d --node ls-180-06040 --spool %s/q%d "
                 "--timeout 5 submit %s --unit 06040",
                 d.port, dir, i, words[i]);
        cr_expect_eq(antt_raw(NULL, args, out, sizeof out), 0, "%s", out);
        cr_expect(strstr(out, "accepted"), "%s", out);
    }
    cr_expect_eq(q("SELECT count(*) FROM antt.events WHERE type = 'station.quiet'"), 2);
    cr_expect_eq(q("SELECT count(*) FROM antt.tallies"), 0);
}

/* antt viewer, the console's accounts: the password is read from standard
 * input (a terminal would be asked twice) and stored only as an Argon2id
 * hash; the scope must name a unit or a group. */
static int viewer(const char *input, const char *args, char *out, size_t cap)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "printf '%s' | %s viewer %s --db '%s' 2>&1", input, ANTT_PATH, args,
             db.dsn);
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(cli, viewer_accounts_keep_only_a_hash_of_the_password)
{
    char out[4096];
    cr_expect_eq(viewer("a long secret\\n", "add tinh20 --unit 20", out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "viewer tinh20 added: scope 20, language vi"), "%s", out);
    cr_expect_eq(q("SELECT count(*) FROM antt.viewers WHERE name = 'tinh20' AND scope = '20'"
                   " AND password_hash LIKE '$argon2id$%' AND password_hash NOT LIKE '%secret%'"),
                 1);
    cr_expect_eq(viewer("another secret\\n", "add tinh20 --unit 20", out, sizeof out), 1, "%s",
                 out);
    cr_expect_eq(viewer("another secret\\n", "add tinh20 --group cluster2 --lang en --replace", out,
                        sizeof out),
                 0, "%s", out);
    cr_expect_eq(viewer("a long secret\\n", "add bo --all", out, sizeof out), 0, "%s", out);
    cr_expect_eq(viewer("a long secret\\n", "add x --unit 99999", out, sizeof out), 2, "%s", out);
    cr_expect(strstr(out, "not a unit"), "%s", out);
    cr_expect_eq(viewer("short\\n", "add y --unit 20", out, sizeof out), 2, "%s", out);
    cr_expect_eq(viewer("", "add z --unit 20", out, sizeof out), 2, "no password: %s", out);
    cr_expect_eq(viewer("", "add w --unit 20 --all", out, sizeof out), 2, "two scopes: %s", out);
    cr_expect_eq(viewer("", "revoke bo", out, sizeof out), 0, "%s", out);
    cr_expect_eq(viewer("", "revoke bo", out, sizeof out), 1, "%s", out);
    cr_expect_eq(viewer("", "list", out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "group:cluster2") && strstr(out, " en ") && strstr(out, "revoked"), "%s",
              out);
}
