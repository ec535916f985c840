/* test_eras.c — two maps of the country: the units as they stood
 * until 30 June 2025 and as they are since 1 July 2025 load side by side, a
 * reused code being two units (code + validity), the official successors
 * with their splits; admission takes the units of the day an event is about,
 * at the exact boundary; open work crosses the boundary to the successors;
 * reports compare a year with the units that became today's. */
#include "harness.h"

#include "proto/err.h"
#include "proto/ts.h"

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static it_db_t db;
static it_daemon_t d;
static it_client_t cl;

/* 2025-07-01T00:00:00+07:00 */
#define BOUNDARY_US 1751302800000000LL
#define SECOND_US   1000000LL

static void setup(void)
{
    /* the template holds both maps (tests/integration/template.sh); the
     * stations of the workloads below are enrolled here */
    it_db_create(&db, NULL);
    const char *nodes[] = {"--add-node", "ls-06004=06004", "--add-node", "ls-06058=06058",
                           "--add-node", "ls-20=20",       "--add-node", "hg-00692=00692",
                           "--add-node", "hg-00688=00688", "--add-node", "tq-00691=00691",
                           NULL};
    char out[4096];
    cr_assert_eq(it_anttd(db.dsn, nodes, out, sizeof out), 0, "%s", out);
    it_daemon_start(&d, db.dsn, NULL);
    it_client_open(&cl, d.port);
}

static void teardown(void)
{
    it_client_close(&cl);
    if (d.pid) it_daemon_stop(&d, SIGTERM);
    it_daemon_forget(&d);
    if (db.name[0]) it_db_drop(&db, NULL);
    memset(&db, 0, sizeof db);
    it_strings_free();
}

TestSuite(eras, .init = setup, .fini = teardown);

static long long q(const char *sql)
{
    PGconn *c = it_pg(&db);
    long long v = it_scalar(c, sql);
    PQfinish(c);
    return v;
}

Test(eras, both_maps_load_side_by_side_and_a_reused_code_is_two_units)
{
    cr_expect_eq(q("SELECT count(*) FROM antt.units WHERE valid_to = '2025-07-01'"), 1223,
                 "every old unit ends on 1 July 2025");
    cr_expect_eq(q("SELECT count(*) FROM antt.units WHERE valid_from = '2025-07-01'"
                   " AND valid_to IS NULL"),
                 509);
    /* 06040: Đại Đồng under district 180 until then, Thất Khê under the
     * province since, its code reused. */
    cr_expect_eq(q("SELECT count(*) FROM antt.units WHERE code = '06040' AND path = '20.180.06040'"
                   " AND valid_to = '2025-07-01' AND name = 'Xã Đại Đồng'"),
                 1);
    cr_expect_eq(q("SELECT count(*) FROM antt.units WHERE code = '06040' AND path = '20.06040'"
                   " AND valid_from = '2025-07-01' AND name = 'Xã Thất Khê'"),
                 1);
    /* Hà Giang went into Tuyên Quang 08; Lào Cai took Yên Bái's code 15. */
    cr_expect_eq(
        q("SELECT count(*) FROM antt.unit_successors WHERE code = '02' AND successor = '08'"), 1);
    cr_expect_eq(
        q("SELECT count(*) FROM antt.unit_successors WHERE code = '10' AND successor = '15'"), 1);
    /* A split keeps its successors and the office's words; an untraced
     * commune has none but is dissolved all the same. */
    cr_expect_eq(q("SELECT count(*) FROM antt.unit_successors WHERE code = '06040'"
                   " AND share_note LIKE 'partial%'"),
                 2);
    cr_expect_eq(q("SELECT count(*) FROM antt.unit_successors WHERE code = '03988'"), 0);
    cr_expect_eq(q("SELECT count(*) FROM antt.units WHERE code = '03988'"
                   " AND valid_to = '2025-07-01'"),
                 1);
    /* Two versions of a code can never be valid on the same day. */
    PGconn *c = it_pg(&db);
    PGresult *r = PQexec(c, "INSERT INTO antt.units (code, name, level, kind, path, valid_from,"
                            " source) VALUES ('06040', 'x', 'commune', 'xa', '20.06040',"
                            " '2025-08-01', 'test')");
    cr_expect_neq(PQresultStatus(r), PGRES_COMMAND_OK, "an overlapping version was accepted");
    PQclear(r);
    PQfinish(c);
    /* Loading the files again, the old map too (deploy/run.sh does at every
     * start), changes nothing. */
    const char *load[] = {"--load-units",
                          ANTT_SOURCE_DIR "/data/units-cluster2.csv",
                          "--load-units",
                          ANTT_SOURCE_DIR "/data/units-2025.csv",
                          "--load-successors",
                          ANTT_SOURCE_DIR "/data/successors-2025.csv",
                          NULL};
    char out[4096];
    cr_assert_eq(it_anttd(db.dsn, load, out, sizeof out), 0, "%s", out);
    cr_expect_eq(q("SELECT count(*) FROM antt.units"), 1223 + 509);
    cr_expect_eq(q("SELECT count(*) FROM antt.units WHERE valid_to = '2025-07-01'"), 1223);
}

static ack_t send_at(const char *ref, const char *unit, int64_t time_us)
{
    ev_t ev;
    it_incident(&ev, ref, "social_order", SEV_SERIOUS, time_us - 3600 * SECOND_US);
    ev.unit = ev_cstr(unit);
    ev.time_us = time_us;
    ack_t a = {0};
    cr_assert_eq(it_submit(&cl, &ev, 1, &a, 10000), 0);
    return a;
}

/* Node ls-180-06040 reports for 06040: Đại Đồng until 30 June 2025 at
 * 23:59:59 (Hanoi), Thất Khê from 1 July at 00:00:00. A commune dissolved
 * that day (05995, merged into Thất Khê) takes the incidents that happened
 * until 23:59:59, even reported later, and is refused for those from
 * 00:00:00 on. */
Test(eras, admission_takes_the_units_of_the_day_an_event_is_about)
{
    ack_t a = send_at("E1", "06040", BOUNDARY_US - SECOND_US);
    cr_expect_eq(a.status, ACK_ACCEPTED, "the last second of the old map: %d %.*s", a.code,
                 (int)a.msg.n, a.msg.p);
    a = send_at("E2", "06040", BOUNDARY_US);
    cr_expect_eq(a.status, ACK_ACCEPTED, "the first second of the new map: %d %.*s", a.code,
                 (int)a.msg.n, a.msg.p);
    /* 05995 was in district 180, next to 06040 — not in 06040's area */
    a = send_at("E3", "05995", BOUNDARY_US - SECOND_US);
    cr_expect_eq(a.code, ANTT_E_OUT_OF_SCOPE, "%d %.*s", a.code, (int)a.msg.n, a.msg.p);
    /* the district's node: 05995 in its area until the boundary, gone after */
    it_client_close(&cl);
    it_client_open(&cl, d.port);
    ev_t ev;
    it_incident(&ev, "E4", "social_order", SEV_SERIOUS, BOUNDARY_US - 7200 * SECOND_US);
    ev.node = ev_cstr("ls-180");
    ev.unit = ev_cstr("05995");
    ev.time_us = BOUNDARY_US - SECOND_US;
    ack_t b = {0};
    cr_assert_eq(it_submit(&cl, &ev, 1, &b, 10000), 0);
    cr_expect_eq(b.status, ACK_ACCEPTED, "%d %.*s", b.code, (int)b.msg.n, b.msg.p);
    /* what happened before the boundary is reported after it under the old unit */
    it_incident(&ev, "E6", "social_order", SEV_SERIOUS, BOUNDARY_US - SECOND_US);
    ev.node = ev_cstr("ls-180");
    ev.unit = ev_cstr("05995");
    ev.time_us = BOUNDARY_US + 3600 * SECOND_US;
    cr_assert_eq(it_submit(&cl, &ev, 1, &b, 10000), 0);
    cr_expect_eq(b.status, ACK_ACCEPTED, "%d %.*s", b.code, (int)b.msg.n, b.msg.p);
    /* what happens from the boundary on is not */
    it_incident(&ev, "E5", "social_order", SEV_SERIOUS, BOUNDARY_US);
    ev.node = ev_cstr("ls-180");
    ev.unit = ev_cstr("05995");
    ev.time_us = BOUNDARY_US + 3600 * SECOND_US;
    cr_assert_eq(it_submit(&cl, &ev, 1, &b, 10000), 0);
    cr_expect_eq(b.status, ACK_REJECTED);
    cr_expect_eq(b.code, ANTT_E_UNKNOWN_UNIT, "dissolved at the boundary: %d %.*s", b.code,
                 (int)b.msg.n, b.msg.p);
    char msg[256];
    snprintf(msg, sizeof msg, "%.*s", (int)b.msg.n, b.msg.p);
    cr_expect(strstr(msg, "dissolved") && strstr(msg, "2025-07-01") && strstr(msg, "06040"),
              "the refusal names the successor: %s", msg);
    cr_expect_eq(q("SELECT count(*) FROM antt.events"), 4);
}

/* antt node list says which nodes report for a dissolved unit: district
 * 180's node does; 06040's (a reused code, valid today) does not. */
Test(eras, node_list_flags_nodes_of_dissolved_units)
{
    char cmd[1024], out[8192];
    snprintf(cmd, sizeof cmd, "%s node list --db '%s' 2>&1", ANTT_PATH, db.dsn);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    cr_assert_eq(pclose(p), 0, "%s", out);
    const char *l180 = strstr(out, "ls-180 "), *l06040 = strstr(out, "ls-180-06040");
    cr_assert(l180 && l06040, "%s", out);
    char a[256], b[256];
    sscanf(l180, "%255[^\n]", a);
    sscanf(l06040, "%255[^\n]", b);
    cr_expect(strstr(a, "unit dissolved 2025-07-01"), "%s", a);
    cr_expect(!strstr(b, "dissolved"), "%s", b);
}

/* ---- a seeded workload across the boundary ---------------------------- */

/* 10:00 in Hanoi on a day. */
static int64_t on(int y, int m, int dd)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = dd, .tm_hour = 3};
    return (int64_t)timegm(&tm) * SECOND_US;
}

static ack_t as(ev_t *ev, const char *node, const char *unit, int64_t time_us)
{
    ev->node = ev_cstr(node);
    ev->unit = ev_cstr(unit);
    ev->time_us = time_us;
    ack_t a = {0};
    cr_assert_eq(it_submit(&cl, ev, 1, &a, 10000), 0);
    return a;
}

#define ACCEPTED(a)                                                                                \
    cr_expect_eq((a).status, ACK_ACCEPTED, "%d %.*s", (a).code, (int)(a).msg.n, (a).msg.p)

/* A crime reported the day it occurred (and recorded then). */
static void crime(const char *node, const char *unit, const char *ref, ev_severity_t sev,
                  int64_t when)
{
    ev_t ev;
    it_incident(&ev, ref, "social_order", sev, when);
    ACCEPTED(as(&ev, node, unit, when + 3600 * SECOND_US));
}

static void clear(const char *node, const char *unit, const char *ref, int64_t when, uint32_t sus)
{
    ev_t ev;
    it_cleared(&ev, ref, when, sus);
    ACCEPTED(as(&ev, node, unit, when + 3600 * SECOND_US));
}

static void tip(const char *node, const char *unit, const char *ref, int64_t when)
{
    ev_t ev;
    it_tipoff(&ev, ref, when);
    ACCEPTED(as(&ev, node, unit, when + 3600 * SECOND_US));
}

/* antt report ... --format json, parsed (the caller puts it). */
static json_object *report_json(const char *args)
{
    char cmd[1024];
    static char out[65536];
    snprintf(cmd, sizeof cmd, "%s report --db '%s' %s --format json 2>&1", ANTT_PATH, db.dsn, args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    cr_assert_eq(pclose(p), 0, "%s: %s", args, out);
    json_object *o = json_tokener_parse(out);
    cr_assert_not_null(o, "%s", out);
    return o;
}

static const char *report_text(const char *args)
{
    char cmd[1024];
    static char out[65536];
    snprintf(cmd, sizeof cmd, "%s report --db '%s' %s 2>&1", ANTT_PATH, db.dsn, args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    cr_assert_eq(pclose(p), 0, "%s: %s", args, out);
    return out;
}

/* A figure of a report's JSON ("figures.occurred", "compare.occurred",
 * "change.occurred.percent") as text ("null" when null). */
static const char *fig(json_object *o, const char *path)
{
    static char v[64];
    char copy[128], *save = NULL;
    snprintf(copy, sizeof copy, "%s", path);
    json_object *cur = o;
    for (char *k = strtok_r(copy, ".", &save); k && cur; k = strtok_r(NULL, ".", &save))
        if (!json_object_object_get_ex(cur, k, &cur)) return "missing";
    snprintf(v, sizeof v, "%s", cur ? json_object_get_string(cur) : "null");
    return v;
}

/* The codes of the report's partial_units, "a b". */
static const char *partials(json_object *o)
{
    static char v[256];
    v[0] = '\0';
    json_object *arr;
    if (!json_object_object_get_ex(o, "partial_units", &arr)) return "missing";
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        json_object *u = json_object_array_get_idx(arr, i), *c;
        json_object_object_get_ex(u, "code", &c);
        if (i) strcat(v, " ");
        strcat(v, json_object_get_string(c));
    }
    return v;
}

#define FIG(o, path, want) cr_expect_str_eq(fig(o, path), want, "%s", path)

/* docs/report-json.md's tables: each row's section ("report", "figures",
 * "targets", "wanted"), key (a path in "report") and type ("integer",
 * "number or null", ...), and whether a report printed it. */
typedef struct {
    char sect[16], key[64], type[40];
    int seen;
} doc_key_t;

static doc_key_t DOC[128];
static size_t NDOC;
static char DOC_TARGETS[1024]; /* the text of the Targets section */

static void doc_load(void)
{
    FILE *f = fopen(ANTT_SOURCE_DIR "/docs/report-json.md", "r");
    cr_assert(f);
    char line[1024], sect[16] = "";
    NDOC = 0;
    DOC_TARGETS[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "## ", 3)) {
            snprintf(sect, sizeof sect, "%s",
                     !strcmp(line, "## The report\n") ? "report"
                     : !strcmp(line, "## Figures\n")  ? "figures"
                     : !strcmp(line, "## Targets\n")  ? "targets"
                     : !strcmp(line, "## Wanted\n")   ? "wanted"
                                                      : "?");
            continue;
        }
        if (!strcmp(sect, "targets") && strlen(DOC_TARGETS) + strlen(line) < sizeof DOC_TARGETS)
            strcat(DOC_TARGETS, line);
        doc_key_t *k = &DOC[NDOC];
        if (strncmp(line, "| `", 3) || sscanf(line, "| `%63[^`]` | %39[^|]|", k->key, k->type) != 2)
            continue;
        cr_assert(strcmp(sect, "?") && *sect, "a table outside the known sections: %s", line);
        cr_assert_lt(NDOC + 1, sizeof DOC / sizeof DOC[0]);
        size_t n = strlen(k->type);
        while (n && k->type[n - 1] == ' ')
            k->type[--n] = '\0';
        snprintf(k->sect, sizeof k->sect, "%s", sect);
        k->seen = 0;
        NDOC++;
    }
    fclose(f);
    cr_assert_gt(NDOC, 50, "docs/report-json.md: %zu rows", NDOC);
}

/* A value the report printed at key (a path in "report"): documented in
 * sect, with a type the document allows. */
static void doc_saw(const char *sect, const char *key, json_object *v)
{
    const json_type t = json_object_get_type(v);
    const char *have = t == json_type_null      ? "null"
                       : t == json_type_boolean ? "boolean"
                       : t == json_type_int     ? "integer"
                       : t == json_type_double  ? "number"
                       : t == json_type_string  ? "string"
                       : t == json_type_object  ? "object"
                                                : "array";
    for (size_t i = 0; i < NDOC; i++) {
        doc_key_t *k = &DOC[i];
        if (strcmp(k->sect, sect) || strcmp(k->key, key)) continue;
        k->seen = 1;
        /* "number" takes an integer too (a target of 80 prints as 80) */
        const int ok = strstr(k->type, have) || (t == json_type_int && strstr(k->type, "number"));
        cr_expect(ok, "report JSON %s %s is %s; docs/report-json.md says %s", sect, key, have,
                  k->type);
        return;
    }
    cr_expect(0, "report JSON prints %s %s (%s), which docs/report-json.md does not document", sect,
              key, have);
}

static void doc_walk(json_object *o, const char *path);

static void doc_members(json_object *o, const char *sect)
{
    if (!o) return;
    json_object_object_foreach(o, k, v) doc_saw(sect, k, v);
}

static void doc_value(const char *p, json_object *v)
{
    doc_saw("report", p, v);
    char sub[160];
    if (!strcmp(p, "figures") || !strcmp(p, "compare") || !strcmp(p, "groups[].figures")) {
        doc_members(v, "figures");
    } else if (!strcmp(p, "wanted") || !strcmp(p, "compare_wanted")) {
        doc_members(v, "wanted");
    } else if (!strcmp(p, "targets")) {
        json_object_object_foreach(v, name, tg)
        {
            char quoted[40];
            snprintf(quoted, sizeof quoted, "`%s`", name);
            cr_expect(strstr(DOC_TARGETS, quoted), "a target '%s' the document does not name",
                      name);
            doc_members(tg, "targets");
        }
    } else if (json_object_is_type(v, json_type_array)) {
        snprintf(sub, sizeof sub, "%s[]", p);
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            json_object *e = json_object_array_get_idx(v, i);
            if (json_object_is_type(e, json_type_object)) doc_walk(e, sub);
        }
    } else if (json_object_is_type(v, json_type_object)) {
        doc_walk(v, p);
    }
}

static void doc_walk(json_object *o, const char *path)
{
    json_object_object_foreach(o, k, v)
    {
        char p[128];
        snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", k);
        doc_value(p, v);
    }
}

static json_object *get_arr(json_object *o, const char *key)
{
    json_object *a = NULL;
    json_object_object_get_ex(o, key, &a);
    cr_assert(a && json_object_is_type(a, json_type_array), "%s", key);
    return a;
}

/* Lạng Sơn, district 180 (Tràng Định), 2024–2025. Before 1 July 2025 the
 * district's node reports for its communes; after it, the new communes'
 * nodes and the province's clear the old cases:
 *   old 06043 -> new 06058 (whole), old 06058 -> 06058,
 *   old 06040 Đại Đồng -> new 06040 Thất Khê and 06004 (split),
 *   old 05995, 06034 -> new 06040 (whole).
 * Crimes (social_order; A2 very serious):
 *   A1 06043 2024-03-10, cleared 2024-06-01 (2 suspects)
 *   A2 06043 2024-05-10, cleared 2025-09-01 by 06058's node (1)   -> at 06058
 *   B1 06040 2024-04-01, cleared 2024-10-01 (3)
 *   B2 06040 2024-09-01, cleared 2025-10-01 by 06004's node (2)   -> at 06004
 *   C1 05995 2024-02-02, cleared 2025-08-15 by 06040's node (4)   -> at 06040
 *   E1 06034 2024-07-07, reported in 2026 under the old commune
 *   D1 06058 2025-03-01 (old map)
 *   B3 06040 2025-05-05 (old map), cleared 2025-11-01 by the province (1)
 *                                           -> the first successor, 06040
 *   N1 06040 2025-08-01 (new Thất Khê)
 * Tip-offs: T1 06043 2024-11-01, resolved 2025-08-20 by 06058's node;
 *   T2 06040 2024-12-01, resolved 2024-12-10; T4 06043 2025-06-20, pending
 *   (overdue, now 06058's); T3 new 06058 2025-09-09, pending (overdue). */
static void lang_son(void)
{
    crime("ls-180", "06043", "A1", SEV_SERIOUS, on(2024, 3, 10));
    crime("ls-180", "06043", "A2", SEV_VERY_SERIOUS, on(2024, 5, 10));
    crime("ls-180", "06040", "B1", SEV_SERIOUS, on(2024, 4, 1));
    crime("ls-180", "06040", "B2", SEV_SERIOUS, on(2024, 9, 1));
    crime("ls-180", "05995", "C1", SEV_SERIOUS, on(2024, 2, 2));
    clear("ls-180", "06043", "A1", on(2024, 6, 1), 2);
    clear("ls-180", "06040", "B1", on(2024, 10, 1), 3);
    tip("ls-180", "06043", "T1", on(2024, 11, 1));
    tip("ls-180", "06040", "T2", on(2024, 12, 1));
    ev_t ev;
    it_resolved(&ev, "T2", OUT_NOT_PROSECUTE, on(2024, 12, 10));
    ACCEPTED(as(&ev, "ls-180", "06040", on(2024, 12, 10)));
    crime("ls-180", "06058", "D1", SEV_SERIOUS, on(2025, 3, 1));
    crime("ls-180", "06040", "B3", SEV_SERIOUS, on(2025, 5, 5));
    tip("ls-180", "06043", "T4", on(2025, 6, 20));
    /* the new map */
    crime("ls-180-06040", "06040", "N1", SEV_SERIOUS, on(2025, 8, 1));
    clear("ls-06058", "06043", "A2", on(2025, 9, 1), 1);
    clear("ls-06004", "06040", "B2", on(2025, 10, 1), 2);
    clear("ls-20", "06040", "B3", on(2025, 11, 1), 1);
    clear("ls-180-06040", "05995", "C1", on(2025, 8, 15), 4);
    it_resolved(&ev, "T1", OUT_PROSECUTE, on(2025, 8, 20));
    ACCEPTED(as(&ev, "ls-06058", "06043", on(2025, 8, 20)));
    tip("ls-06058", "06058", "T3", on(2025, 9, 9));
    /* a crime of August 2025 in a dissolved commune: refused, naming its successor */
    it_incident(&ev, "X1", "social_order", SEV_SERIOUS, on(2025, 8, 5));
    ack_t a = as(&ev, "ls-180", "06043", on(2025, 8, 5));
    cr_expect_eq(a.code, ANTT_E_UNKNOWN_UNIT, "%d %.*s", a.code, (int)a.msg.n, a.msg.p);
    cr_expect(a.msg.n && memmem(a.msg.p, a.msg.n, "successor: 06058", 16), "%.*s", (int)a.msg.n,
              a.msg.p);
    /* a 2024 crime reported today, under the commune of 2024 */
    it_incident(&ev, "E1", "social_order", SEV_SERIOUS, on(2024, 7, 7));
    ACCEPTED(as(&ev, "ls-180", "06034", ts_now_us()));
    /* another commune's node may not clear a case that went elsewhere */
    it_cleared(&ev, "D1", on(2025, 9, 9), 1);
    a = as(&ev, "ls-06004", "06058", on(2025, 9, 9));
    cr_expect_eq(a.code, ANTT_E_OUT_OF_SCOPE, "%d %.*s", a.code, (int)a.msg.n, a.msg.p);
}

Test(eras, open_work_crosses_the_boundary_and_reports_compare_like_with_like)
{
    lang_son();
    /* where the clearances of 2025 landed */
    PGconn *c = it_pg(&db);
    cr_expect_eq(it_tally(c, "cleared", "unit = '06058' AND day = '2025-09-01'"), 1);
    cr_expect_eq(it_tally(c, "cleared", "unit = '06004' AND day = '2025-10-01'"), 1);
    cr_expect_eq(it_tally(c, "cleared", "unit = '06040' AND day >= '2025-07-01'"), 2);
    cr_expect_eq(it_tally(c, "tipoffs_resolved", "unit = '06058' AND day = '2025-08-20'"), 1);
    cr_expect_eq(it_tally(c, "cleared", "unit IN ('06043', '05995') AND day >= '2025-07-01'"), 0);
    PQfinish(c);

    /* the province: every unit once */
    json_object *o = report_json("--unit 20 --year 2025 --compare 2024");
    FIG(o, "figures.occurred", "3");
    FIG(o, "compare.occurred", "6");
    FIG(o, "change.occurred.difference", "-3");
    FIG(o, "change.occurred.percent", "-50.00");
    FIG(o, "figures.cleared", "4");
    FIG(o, "figures.suspects", "8");
    FIG(o, "figures.carried_over", "4");
    FIG(o, "figures.clearance_carry", "57.14");
    FIG(o, "figures.clearance_plain", "133.33");
    FIG(o, "figures.major_occurred", "0");
    FIG(o, "figures.major_cleared", "1");
    FIG(o, "figures.major_clearance_carry", "100.00");
    FIG(o, "figures.tipoffs_received", "2");
    FIG(o, "figures.tipoffs_carried_over", "1");
    FIG(o, "figures.tipoffs_to_resolve", "3");
    FIG(o, "figures.tipoffs_resolved", "1");
    FIG(o, "figures.resolution_rate", "33.33");
    FIG(o, "figures.resolution_plain", "50.00");
    FIG(o, "figures.tipoffs_overdue", "2");
    cr_expect_str_eq(partials(o), "", "the province holds both parts of every split");
    json_object_put(o);

    /* new 06058 = old 06043 + old 06058: A2's clearance, T1 and T4 came with them */
    o = report_json("--unit 06058 --year 2025 --compare 2024");
    FIG(o, "figures.occurred", "1");
    FIG(o, "compare.occurred", "2");
    FIG(o, "change.occurred.percent", "-50.00");
    FIG(o, "figures.cleared", "1");
    FIG(o, "figures.suspects", "1");
    FIG(o, "figures.carried_over", "1");
    FIG(o, "figures.clearance_carry", "50.00");
    FIG(o, "figures.tipoffs_received", "2");
    FIG(o, "figures.tipoffs_to_resolve", "3");
    FIG(o, "figures.resolution_rate", "33.33");
    FIG(o, "figures.tipoffs_overdue", "2");
    cr_expect_str_eq(partials(o), "");
    json_object_put(o);

    /* new 06040 Thất Khê: part of old 06040 (counted whole, and said so) + 05995, 06034 */
    o = report_json("--unit 06040 --year 2025 --compare 2024");
    FIG(o, "name", "Xã Thất Khê");
    FIG(o, "figures.occurred", "2");
    FIG(o, "compare.occurred", "4");
    FIG(o, "figures.cleared", "2");
    FIG(o, "figures.suspects", "5");
    FIG(o, "figures.carried_over", "3");
    FIG(o, "figures.clearance_carry", "40.00");
    FIG(o, "figures.tipoffs_to_resolve", "0");
    FIG(o, "figures.resolution_rate", "null");
    FIG(o, "figures.tipoffs_overdue", "0");
    cr_expect_str_eq(partials(o), "06040");
    json_object *arr, *u, *succ;
    cr_assert(json_object_object_get_ex(o, "partial_units", &arr));
    u = json_object_array_get_idx(arr, 0);
    cr_assert(json_object_object_get_ex(u, "successors", &succ));
    cr_expect_str_eq(json_object_to_json_string_ext(succ, JSON_C_TO_STRING_PLAIN),
                     "[\"06040\",\"06004\"]");
    json_object_put(o);
    const char *t = report_text("--unit 06040 --year 2025 --compare 2024");
    cr_expect(strstr(t, "giảm 2 vụ (50,00%)"), "%s", t);
    cr_expect(strstr(t, "Gồm cả đơn vị chỉ nhập một phần") &&
                  strstr(t, "06040 Xã Đại Đồng (nay thuộc 06040, 06004)"),
              "%s", t);
    t = report_text("--unit 06040 --year 2025 --lang en --format csv");
    cr_expect(strstr(t, "\npartial_unit,06040\n"), "%s", t);

    /* docs/report-json.md documents every key the report prints, and the
     * report prints every key it documents (a comparison, all four
     * targets, crime groups, a partial unit; a crime group's report for
     * its nulls), each with the documented type */
    doc_load();
    o = report_json("--unit 06040 --year 2025 --compare 2024 "
                    "--targets clearance=80,major=50,tipoff=90,wanted=1");
    doc_walk(o, "");
    cr_expect_gt(json_object_array_length(get_arr(o, "groups")), 0);
    json_object_put(o);
    o = report_json("--unit 20 --year 2025 --group social_order --compare 2024");
    doc_walk(o, "");
    json_object_put(o);
    for (size_t i = 0; i < NDOC; i++)
        cr_expect(DOC[i].seen, "docs/report-json.md documents %s %s, which no report printed",
                  DOC[i].sect, DOC[i].key);

    /* 06004 took the other part of old 06040: B2's clearance is here */
    o = report_json("--unit 06004 --year 2025");
    FIG(o, "figures.occurred", "1");
    FIG(o, "figures.cleared", "1");
    FIG(o, "figures.suspects", "2");
    FIG(o, "figures.carried_over", "1");
    cr_expect_str_eq(partials(o), "06040");
    json_object_put(o);

    /* 2024 as the units were: old Đại Đồng alone */
    o = report_json("--unit 06040 --year 2024");
    FIG(o, "name", "Xã Đại Đồng");
    FIG(o, "figures.occurred", "2");
    FIG(o, "figures.cleared", "1");
    json_object_put(o);

    /* the dissolved district keeps its old communes and the new ones made of them */
    o = report_json("--unit 180 --year 2025 --compare 2024");
    FIG(o, "figures.occurred", "3");
    FIG(o, "compare.occurred", "6");
    FIG(o, "figures.cleared", "4");
    json_object_put(o);

    /* statistical years (15 Dec - 14 Dec) across 1 July work the same way:
     * 2025 = 2024-12-15..2025-12-14 (D1, B3, N1), 2024 = ..2024-12-14 */
    o = report_json("--unit 20 --year 2025 --year-start 12-15 --compare 2024");
    FIG(o, "figures.occurred", "3");
    FIG(o, "compare.occurred", "6");
    FIG(o, "figures.cleared", "4");
    json_object_put(o);

    /* the overdue list: T4 of dissolved 06043 is 06058's now */
    char cmd[1024], out[8192];
    snprintf(cmd, sizeof cmd, "%s tipoffs --db '%s' --unit 06058 --overdue 2>&1", ANTT_PATH,
             db.dsn);
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    cr_expect_eq(pclose(p), 0, "%s", out);
    cr_expect(strstr(out, "T4") && strstr(out, "T3") && strstr(out, "2 tip-off(s) overdue"), "%s",
              out);
    snprintf(cmd, sizeof cmd, "%s tipoffs --db '%s' --unit 06040 --overdue 2>&1", ANTT_PATH,
             db.dsn);
    p = popen(cmd, "r");
    n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    pclose(p);
    cr_expect(!strstr(out, "T4"), "%s", out);

    /* the children of Lạng Sơn in 2025 are its new communes */
    c = it_pg(&db);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.rollup_children('20', '2025-01-01',"
                              " '2026-01-01') WHERE unit = '180'"),
                 0);
    cr_expect_eq(it_scalar(c, "SELECT sum(value) FROM antt.rollup_children('20', '2025-01-01',"
                              " '2026-01-01') WHERE unit = '06058' AND metric = 'incidents'"),
                 1);
    cr_expect_eq(it_scalar(c, "SELECT sum(value) FROM antt.rollup_children('20', '2024-01-01',"
                              " '2025-01-01') WHERE unit = '180' AND metric = 'incidents'"),
                 6, "2024: the districts");
    /* the emulation cluster lists old codes (02, 10 dissolved): the same figures */
    cr_expect_eq(it_scalar(c, "SELECT occurred FROM antt.rates('group:cluster2', '2025-01-01',"
                              " '2026-01-01')"),
                 3);
    cr_expect_eq(it_scalar(c, "SELECT occurred FROM antt.rates('group:cluster2', '2024-01-01',"
                              " '2025-01-01', NULL, '2025-12-31')"),
                 6);
    cr_expect_eq(it_scalar(c, "SELECT tipoffs_overdue FROM antt.rates('group:cluster2',"
                              " '2025-01-01', '2026-01-01')"),
                 2);
    PQfinish(c);
    /* and the replay agrees with what was stored */
    const char *verify[] = {"--verify", NULL};
    cr_expect_eq(it_anttd(db.dsn, verify, out, sizeof out), 0, "%s", out);
}

/* Tuyên Quang 08 since 1 July 2025 holds old Hà Giang 02 (old Tuyên Quang
 * is not in cluster II's data): its 2024 figures are Hà Giang's. Old 00692
 * went whole into new 00691; old 00688 was split between 00691 and 00694. */
Test(eras, tuyen_quang_2025_compares_with_the_old_units_that_became_it)
{
    crime("hg-00692", "00692", "H1", SEV_SERIOUS, on(2024, 2, 2));
    crime("hg-00692", "00692", "H2", SEV_SERIOUS, on(2024, 6, 6));
    crime("hg-00692", "00692", "H3", SEV_SERIOUS, on(2024, 10, 10));
    crime("hg-00688", "00688", "H4", SEV_SERIOUS, on(2024, 3, 3));
    crime("tq-00691", "00691", "Q1", SEV_SERIOUS, on(2025, 8, 8));
    crime("tq-00691", "00691", "Q2", SEV_SERIOUS, on(2025, 9, 9));
    json_object *o = report_json("--unit 08 --year 2025 --compare 2024");
    FIG(o, "name", "Tỉnh Tuyên Quang");
    FIG(o, "figures.occurred", "2");
    FIG(o, "compare.occurred", "4");
    FIG(o, "change.occurred.percent", "-50.00");
    cr_expect_str_eq(partials(o), "");
    json_object_put(o);
    cr_expect(strstr(report_text("--unit 08 --year 2025 --compare 2024"), "giảm 2 vụ (50,00%)"));
    /* a new commune's 2024 = its predecessors', the split one named */
    o = report_json("--unit 00691 --year 2025 --compare 2024");
    FIG(o, "figures.occurred", "2");
    FIG(o, "compare.occurred", "4");
    cr_expect_str_eq(partials(o), "00688");
    json_object_put(o);
    o = report_json("--unit 00694 --year 2025 --compare 2024");
    FIG(o, "figures.occurred", "0");
    FIG(o, "compare.occurred", "1");
    cr_expect_str_eq(partials(o), "00688");
    json_object_put(o);
    /* statistical years straddling 1 July */
    o = report_json("--unit 08 --year 2025 --year-start 12-15 --compare 2024");
    FIG(o, "figures.occurred", "2");
    FIG(o, "compare.occurred", "4");
    json_object_put(o);
}

/* A database that ran through 1 July 2025 with the old map only: stations
 * kept reporting under the old codes. Loading the new map dissolves those
 * units; their later tallies would be in no figure, so the loader says so,
 * and anttd --repair replays the log and moves them to the heirs. */
Test(eras, a_map_loaded_late_is_repaired_from_the_log)
{
    it_db_t old = {0};
    char out[16384];
    snprintf(old.name, sizeof old.name, "%.58s_old", db.name);
    snprintf(old.dsn, sizeof old.dsn, "%.420s dbname=%s", db.dsn, old.name);
    const char *name = old.name, *dsn = old.dsn;
    PGconn *c = it_pg(&db);
    char sql[256];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    PQclear(PQexec(c, sql));
    PQfinish(c);
    const char *old_map[] = {"--migrate",
                             "--load-units",
                             ANTT_SOURCE_DIR "/data/units-cluster2.csv",
                             "--load-groups",
                             ANTT_SOURCE_DIR "/data/crime_groups.csv",
                             "--add-node",
                             "ls-180=180",
                             NULL};
    cr_assert_eq(it_anttd(dsn, old_map, out, sizeof out), 0, "%s", out);
    it_daemon_t d2 = {0};
    it_daemon_start(&d2, dsn, NULL);
    it_client_close(&cl);
    it_client_open(&cl, d2.port);
    crime("ls-180", "06043", "L1", SEV_SERIOUS, on(2025, 8, 10));
    crime("ls-180", "06040", "L2", SEV_SERIOUS, on(2024, 5, 1));
    clear("ls-180", "06040", "L2", on(2025, 10, 1), 2);
    crime("ls-180", "06043", "L3", SEV_SERIOUS, on(2024, 6, 1));
    clear("ls-180", "06043", "L3", on(2025, 8, 20), 3);
    tip("ls-180", "06040", "LT", on(2025, 9, 1));
    it_client_close(&cl);
    it_client_open(&cl, d.port);
    it_daemon_stop(&d2, SIGTERM);
    it_daemon_forget(&d2);

    const char *new_map[] = {"--load-units", ANTT_SOURCE_DIR "/data/units-2025.csv",
                             "--load-successors", ANTT_SOURCE_DIR "/data/successors-2025.csv",
                             NULL};
    cr_assert_eq(it_anttd(dsn, new_map, out, sizeof out), 0, "%s", out);
    /* L1's occurrence, L3's clearance and suspects: at 06043 after its end.
     * (06040's stay: the code is valid again, for Thất Khê, its heir.) */
    cr_expect(strstr(out, "3 tallies are dated after their unit was dissolved"), "%s", out);
    const char *verify[] = {"--verify", NULL}, *repair[] = {"--repair", NULL};
    cr_expect_eq(it_anttd(dsn, verify, out, sizeof out), 1, "the old placement differs: %s", out);
    cr_assert_eq(it_anttd(dsn, repair, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "repair: 1 case rewritten"), "%s", out);
    cr_expect_eq(it_anttd(dsn, verify, out, sizeof out), 0, "%s", out);

    c = it_pg(&old);
    /* 06043 went into 06058; old 06040's work into its first successor, 06040
     * (the district's node names no successor) */
    cr_expect_eq(it_tally(c, "incidents", "unit = '06058' AND day = '2025-08-10'"), 1);
    cr_expect_eq(it_tally(c, "incidents", "unit = '06043' AND day >= '2025-07-01'"), 0);
    cr_expect_eq(it_tally(c, "cleared", "unit = '06058' AND day = '2025-08-20'"), 1);
    cr_expect_eq(it_tally(c, "suspects", "unit = '06058' AND day = '2025-08-20'"), 3);
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.incidents WHERE ref = 'L3'"
                              " AND cleared_unit = '06058'"),
                 1, "the case says where its clearance went");
    cr_expect_eq(it_tally(c, "cleared", "unit = '06040' AND day = '2025-10-01'"), 1);
    cr_expect_eq(it_tally(c, "tipoffs_received", "unit = '06040' AND day = '2025-09-01'"), 1);
    cr_expect_eq(it_tally(c, "incidents", "unit = '06040' AND day = '2024-05-01'"), 1,
                 "what happened before stays with the old unit");
    cr_expect_eq(it_scalar(c, "SELECT count(*) FROM antt.incidents WHERE ref = 'L2'"
                              " AND cleared_unit = '06040'"),
                 1);
    cr_expect_eq(it_scalar(c, "SELECT occurred FROM antt.rates('06058', '2025-01-01',"
                              " '2026-01-01')"),
                 1);
    PQfinish(c);
    c = it_pg(&db);
    snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", name);
    PQclear(PQexec(c, sql));
    PQfinish(c);
}
