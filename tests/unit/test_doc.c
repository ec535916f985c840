/* test_doc.c — the annotated messages in proto/PROTOCOL.md are real.
 *
 * Every "<!-- check: WHAT -->" line in the document is followed by a
 * ```hex block; the bytes (text after '#' on each line is commentary) must
 * be what WHAT says:
 *   event TYPE             one valid event of that type
 *   batch TYPE TYPE...     a batch of valid events of those types, in order
 *   reply STATUS[:CODE]... a reply whose acks have those statuses (and codes)
 *   refusal CODE           a reply refusing a whole message with CODE
 *   instant MICROSECONDS   one msgpack value that reads as that instant
 *   snapshot-request UNIT FROM TO
 *                          a snapshot request (section 16) for UNIT, days [FROM, TO)
 *   snapshot UNIT DAY METRIC GROUP SEVERITY VALUE
 *                          a snapshot reply that lib/tview.c loads, holding that tally
 *   delta applied|gap UNIT DAY METRIC GROUP SEVERITY VALUE
 *                          a stream message that, after the blocks before it, tview
 *                          applies (or sees as a gap), leaving that tally at VALUE
 */
#include "fixtures.h"

#include "lib/tview.h"
#include "proto/ack.h"
#include "proto/err.h"
#include "proto/ts.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of the ```hex block starting at p; *end is set past its closing fence. */
static size_t hex_block(const char *p, unsigned char *out, size_t cap, const char **end)
{
    const char *open = strstr(p, "```hex\n");
    cr_assert(open, "a check marker without a hex block");
    const char *body = open + 7, *close = strstr(body, "\n```");
    cr_assert(close);
    size_t n = 0;
    for (const char *line = body; line < close;) {
        const char *eol = memchr(line, '\n', (size_t)(close - line));
        if (!eol) eol = close;
        const char *hash = memchr(line, '#', (size_t)(eol - line));
        size_t len = (size_t)((hash ? hash : eol) - line);
        char tmp[256];
        cr_assert_lt(len, sizeof tmp);
        memcpy(tmp, line, len);
        tmp[len] = '\0';
        n += fx_hex(tmp, out + n, cap - n);
        line = eol + 1;
    }
    *end = close + 4;
    return n;
}

static void check_events(const unsigned char *b, size_t n, const char *what, int batch)
{
    dec_msg_t m;
    dec_err_t err;
    cr_assert_eq(dec_open(&m, b, n, FX_NOW_US, &err), 0, "%s: %s", what, err.msg);
    cr_expect_eq(m.batch, batch, "%s", what);
    char types[256];
    snprintf(types, sizeof types, "%s", what);
    char *save = NULL;
    strtok_r(types, " ", &save); /* skip "event"/"batch" */
    ev_t ev;
    for (char *t = strtok_r(NULL, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        int rc = dec_next(&m, &ev, &err);
        cr_assert_eq(rc, 1, "%s: %s", what, err.msg);
        cr_expect_str_eq(ev_enum_name(&EV_TYPES, ev.type), t);
    }
    cr_expect_eq(dec_next(&m, &ev, &err), 0, "%s: no more events than listed", what);
}

static void check_reply(const unsigned char *b, size_t n, const char *what)
{
    ack_reply_t rep;
    cr_assert_eq(ack_open(&rep, b, n), 0, "%s", what);
    cr_expect_eq(rep.version, 1);
    char list[256];
    snprintf(list, sizeof list, "%s", what);
    char *save = NULL;
    const char *kind = strtok_r(list, " ", &save);
    if (!strcmp(kind, "refusal")) {
        cr_expect_eq(rep.code, atoi(strtok_r(NULL, " ", &save)), "%s", what);
        cr_expect_eq(rep.count, 0);
        cr_expect_gt(rep.msg.n, 0, "a refusal says why");
        return;
    }
    cr_expect_eq(rep.code, 0);
    ack_t a;
    for (char *s = strtok_r(NULL, " ", &save); s; s = strtok_r(NULL, " ", &save)) {
        cr_assert_eq(ack_next(&rep, &a), 1, "%s", what);
        char *colon = strchr(s, ':');
        if (colon) *colon = '\0';
        cr_expect_str_eq(ack_status_name(a.status), s);
        cr_expect_eq(a.code, colon ? atoi(colon + 1) : 0);
        cr_expect(a.has_id);
    }
    cr_expect_eq(ack_next(&rep, &a), 0);
}

/* "snapshot-request 180 19523 19524": a map of exactly unit, from, to. */
static void check_snapshot_request(const unsigned char *b, size_t n, const char *what)
{
    char unit[16];
    long long from, to;
    cr_assert_eq(sscanf(what, "snapshot-request %15s %lld %lld", unit, &from, &to), 3, "%s", what);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    cr_assert_eq(msgpack_unpack_next(&u, (const char *)b, n, &off), MSGPACK_UNPACK_SUCCESS, "%s",
                 what);
    cr_expect_eq(off, n, "%s: one object", what);
    cr_assert_eq(u.data.type, MSGPACK_OBJECT_MAP, "%s", what);
    const msgpack_object_map *m = &u.data.via.map;
    cr_expect_eq(m->size, 3, "%s", what);
    int seen = 0;
    for (uint32_t i = 0; i < m->size; i++) {
        const msgpack_object *k = &m->ptr[i].key, *v = &m->ptr[i].val;
        cr_assert_eq(k->type, MSGPACK_OBJECT_STR);
        if (k->via.str.size == 4 && !memcmp(k->via.str.ptr, "unit", 4)) {
            cr_expect(v->type == MSGPACK_OBJECT_STR && v->via.str.size == strlen(unit) &&
                          !memcmp(v->via.str.ptr, unit, strlen(unit)),
                      "%s: unit", what);
            seen |= 1;
        } else if (k->via.str.size == 4 && !memcmp(k->via.str.ptr, "from", 4)) {
            cr_expect(v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && (long long)v->via.u64 == from,
                      "%s", what);
            seen |= 2;
        } else if (k->via.str.size == 2 && !memcmp(k->via.str.ptr, "to", 2)) {
            cr_expect(v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && (long long)v->via.u64 == to,
                      "%s", what);
            seen |= 4;
        }
    }
    cr_expect_eq(seen, 7, "%s: unit, from and to", what);
    msgpack_unpacked_destroy(&u);
}

/* Snapshots and stream messages, through the subscriber's own code, in the
 * document's order (tv carries the state from one block to the next). */
static void check_stream(tview_t *tv, const unsigned char *b, size_t n, const char *what)
{
    char kind[16], verdict[16] = "", unit[16], metric[40], grp[40], sev[40];
    int day;
    long long value;
    const int snap = !strncmp(what, "snapshot ", 9);
    int got = snap ? sscanf(what, "%15s %15s %d %39s %39s %39s %lld", kind, unit, &day, metric, grp,
                            sev, &value)
                   : sscanf(what, "%15s %15s %15s %d %39s %39s %39s %lld", kind, verdict, unit,
                            &day, metric, grp, sev, &value);
    cr_assert_eq(got, snap ? 7 : 8, "%s", what);
    if (snap) {
        char err[256];
        cr_assert_eq(tview_snapshot(tv, b, n, err, sizeof err), 0, "%s: %s", what, err);
    } else {
        const int rc = tview_apply(tv, b, n);
        cr_expect_eq(rc, !strcmp(verdict, "applied") ? TV_APPLIED : TV_GAP,
                     "%s: tview_apply gave %d", what, rc);
    }
    cr_expect_eq(tview_get(tv, unit, day, metric, grp, sev), value, "%s", what);
}

Test(doc, every_annotated_message_is_what_it_says)
{
    char *doc = fx_slurp(ANTT_SOURCE_DIR "/proto/PROTOCOL.md");
    const char *p = doc;
    int checked = 0;
    tview_t *tv = tview_new();
    while ((p = strstr(p, "<!-- check: ")) != NULL) {
        p += strlen("<!-- check: ");
        const char *stop = strstr(p, " -->");
        cr_assert(stop);
        char what[256];
        snprintf(what, sizeof what, "%.*s", (int)(stop - p), p);
        unsigned char buf[4096];
        size_t n = hex_block(stop, buf, sizeof buf, &p);
        if (!strncmp(what, "event ", 6)) {
            check_events(buf, n, what, 0);
        } else if (!strncmp(what, "batch ", 6)) {
            check_events(buf, n, what, 1);
        } else if (!strncmp(what, "reply ", 6) || !strncmp(what, "refusal ", 8)) {
            check_reply(buf, n, what);
        } else if (!strncmp(what, "instant ", 8)) {
            mp_reader_t r;
            mp_obj_t o;
            int64_t us;
            mp_init(&r, buf, n);
            cr_assert_eq(mp_next(&r, &o), 0, "%s", what);
            cr_expect_eq(mp_left(&r), 0, "%s: one value", what);
            cr_assert_eq(ts_from_mp(&o, &us), 0, "%s", what);
            cr_expect_eq(us, strtoll(what + 8, NULL, 10), "%s: got %lld", what, (long long)us);
        } else if (!strncmp(what, "snapshot-request ", 17)) {
            check_snapshot_request(buf, n, what);
        } else if (!strncmp(what, "snapshot ", 9) || !strncmp(what, "delta ", 6)) {
            check_stream(tv, buf, n, what);
        } else {
            cr_assert_fail("unknown check \"%s\"", what);
        }
        checked++;
    }
    cr_expect_geq(checked, 12, "PROTOCOL.md has its annotated messages (%d found)", checked);
    tview_free(&tv);
    free(doc);
}

Test(doc, every_error_code_in_the_code_is_in_the_document_and_back)
{
    char *doc = fx_slurp(ANTT_SOURCE_DIR "/proto/PROTOCOL.md");
    for (int code = 1; code < 1000; code++) {
        const char *name = antt_err_name(code);
        char row[64];
        snprintf(row, sizeof row, "| %d | `%s` |", code, name);
        if (strcmp(name, "UNKNOWN") != 0)
            cr_expect(strstr(doc, row) != NULL, "PROTOCOL.md lacks the row for %d %s", code, name);
        else {
            snprintf(row, sizeof row, "\n| %d | `", code);
            cr_expect(strstr(doc, row) == NULL, "PROTOCOL.md lists %d, which err.c does not know",
                      code);
        }
    }
    free(doc);
}

/* ---- the limits table (section 7) and the code table (section 8) ------ */

static const uint64_t L_0 = 0, L_2 = 2, L_100001 = 100001, L_2P63 = 1ull << 63;
static const uint64_t L_MS_1999 = 946684799000ull;
static const int64_t L_M1 = -1;
static char L_65[66], L_33[34], L_1025[1026], L_513[514];

/* One input that breaks a rule, and where. */
typedef struct {
    const char *row; /* the first cell of the row in the document */
    ev_type_t type;
    const char *key;
    fx_val_fn fn;
    const void *arg;
} breach_t;

static const breach_t LIMITS[] = {
    {"`node`", EV_INCIDENT_REPORTED, "node", fx_val_str, L_65},
    {"`unit`, `occurred_unit`, `issuer`", EV_INCIDENT_REPORTED, "occurred_unit", fx_val_str,
     "0604"},
    {"`case`, `ref`", EV_INCIDENT_VOIDED, "case", fx_val_str, ""},
    {"`group`", EV_INCIDENT_REPORTED, "group", fx_val_str, L_33},
    {"`summary`", EV_INCIDENT_REPORTED, "summary", fx_val_str, L_1025},
    {"`reason`", EV_INCIDENT_VOIDED, "reason", fx_val_str, L_513},
    {"`deaths`, `injuries`", EV_INCIDENT_REPORTED, "deaths", fx_val_u64, &L_100001},
    {"`suspects`", EV_INCIDENT_CLEARED, "suspects", fx_val_u64, &L_0},
    {"`seq`", EV_TIPOFF_RECEIVED, "seq", fx_val_u64, &L_2P63},
    {"instants", EV_INCIDENT_REPORTED, "occurred_at", fx_val_u64, &L_MS_1999},
};

static void fill(void)
{
    memset(L_65, 'n', 65);
    memset(L_33, 'a', 33);
    memset(L_1025, 'x', 1025);
    memset(L_513, 'x', 513);
}

/* The code in the last cell of the table row starting "| first |". */
static int row_code(const char *doc, const char *first)
{
    char head[128];
    snprintf(head, sizeof head, "\n| %s |", first);
    const char *p = strstr(doc, head);
    if (!p) return -1;
    const char *end = strchr(p + 1, '\n');
    const char *bar = end - 1;
    while (bar > p && *bar == ' ')
        bar--;
    bar--; /* the closing '|' */
    while (bar > p && *bar != '|')
        bar--;
    return atoi(bar + 1);
}

/* The decoder answered 207 where the document says 209 and 213
 * where it says 206; nothing compared them. Each row of the limits table
 * is broken once here and the decoder must answer the row's code. */
Test(doc, every_row_of_the_limits_table_is_the_decoders_answer)
{
    fill();
    char *doc = fx_slurp(ANTT_SOURCE_DIR "/proto/PROTOCOL.md");
    const char *t = strstr(doc, "| `node` | 1–64 bytes |");
    cr_assert(t, "the limits table moved");
    int rows = 0;
    for (const char *p = t; *p == '|'; p = strchr(p, '\n') + 1) {
        if (!strncmp(p, "| envelope", 10)) break;
        const char *c = strchr(p + 2, '|');
        char first[96];
        snprintf(first, sizeof first, "%.*s", (int)(c - p - 3), p + 2);
        size_t i = 0;
        while (i < sizeof LIMITS / sizeof *LIMITS && strcmp(LIMITS[i].row, first))
            i++;
        cr_assert(i < sizeof LIMITS / sizeof *LIMITS, "no breach of the row %s in this test",
                  first);
        const int want = row_code(t - 1, first); /* this table's row, not section 5's */
        dec_err_t err;
        const int got = fx_try(LIMITS[i].type, LIMITS[i].key, LIMITS[i].fn, LIMITS[i].arg, &err);
        cr_expect_eq(-got, want, "%s: the document says %d, the decoder answers %d (%s)", first,
                     want, -got, err.msg);
        rows++;
    }
    cr_expect_eq(rows, (int)(sizeof LIMITS / sizeof *LIMITS), "every breach has its row");
    free(doc);
}

/* Each 2xx code the event decoder gives, with an input the document's
 * description covers: every 2xx row of the code table must have one. */
static const struct {
    int code;
    breach_t b;
} EXAMPLES[] = {
    {201, {"", EV_INCIDENT_REPORTED, "summary", fx_val_str, NULL}}, /* see below */
    {205, {"", EV_INCIDENT_REPORTED, "seq", fx_val_str, "7"}},
    {206, {"", EV_INCIDENT_REPORTED, "deaths", fx_val_i64, &L_M1}},
    {206, {"", EV_INCIDENT_REPORTED, "occurred_at", fx_val_i64, &L_M1}},
    {207, {"", EV_INCIDENT_REPORTED, "node", fx_val_str, L_65}},
    {208, {"", EV_INCIDENT_REPORTED, "summary", fx_val_raw, "a3 61 ff 62"}},
    {209, {"", EV_INCIDENT_REPORTED, "unit", fx_val_str, "1834"}},
    {209, {"", EV_INCIDENT_REPORTED, "unit", fx_val_str, "060400"}},
    {209, {"", EV_INCIDENT_REPORTED, "node", fx_val_str, "ls 183"}},
    {210, {"", EV_INCIDENT_REPORTED, "severity", fx_val_str, "grave"}},
    {211, {"", EV_INCIDENT_REPORTED, "id", fx_val_str, "not-a-uuid"}},
    {212, {"", EV_INCIDENT_REPORTED, "time", fx_val_raw, "c7 05 ff 00 00 00 00 00"}},
    {213, {"", EV_INCIDENT_REPORTED, "occurred_at", fx_val_u64, &L_MS_1999}},
    /* a timestamp extension before 1970 (96-bit, seconds -1): 213 (section 4) */
    {213,
     {"", EV_INCIDENT_REPORTED, "occurred_at", fx_val_raw,
      "c7 0c ff 00 00 00 00 ff ff ff ff ff ff ff ff"}},
    {214, {"", EV_INCIDENT_REPORTED, "v", fx_val_u64, &L_100001}},
    {215, {"", EV_INCIDENT_REPORTED, "type", fx_val_str, "incident.deleted"}},
    {216, {"", EV_INCIDENT_REPORTED, "suspects", fx_val_u64, &L_2}},
};

Test(doc, every_event_code_of_the_table_has_an_input_that_gets_it)
{
    fill();
    char *doc = fx_slurp(ANTT_SOURCE_DIR "/proto/PROTOCOL.md");
    for (size_t i = 0; i < sizeof EXAMPLES / sizeof *EXAMPLES; i++) {
        if (!EXAMPLES[i].b.arg) continue; /* 201: an oversize map, in test_errors */
        dec_err_t err;
        const breach_t *b = &EXAMPLES[i].b;
        const int got = fx_try(b->type, b->key, b->fn, b->arg, &err);
        cr_expect_eq(-got, EXAMPLES[i].code, "%s: expected %d %s, got %d (%s)", b->key,
                     EXAMPLES[i].code, antt_err_name(EXAMPLES[i].code), -got, err.msg);
    }
    /* 200, 202-204, 217 need whole maps (test_errors.c, test_malformed.c);
     * the rest of 2xx each has an example above */
    static const int ELSEWHERE[] = {200, 201, 202, 203, 204, 217};
    for (int code = 200; code < 300; code++) {
        char row[32];
        snprintf(row, sizeof row, "\n| %d | `", code);
        if (!strstr(doc, row)) continue;
        int found = 0;
        for (size_t i = 0; i < sizeof EXAMPLES / sizeof *EXAMPLES; i++)
            found |= EXAMPLES[i].code == code && EXAMPLES[i].b.arg;
        for (size_t i = 0; i < sizeof ELSEWHERE / sizeof *ELSEWHERE; i++)
            found |= ELSEWHERE[i] == code;
        cr_expect(found, "code %d is in the table and nowhere in the tests", code);
    }
    free(doc);
}
