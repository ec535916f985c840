/* test_errors.c — every protocol error code the decoder owns (1xx, 2xx) is
 * provoked by at least one input here, and a code without a case fails the
 * suite. Codes 3xx and up are the daemon's and are tested against it. */
#include "fixtures.h"

#include "proto/err.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* ---- whole-message inputs ---------------------------------------------- */

struct msg_case {
    int code;
    const char *what;
    const char *hex; /* the message, or NULL when built by build() */
    size_t (*build)(unsigned char **out);
};

static size_t too_large(unsigned char **out)
{
    size_t n = ANTT_MAX_MSG_BYTES + 1;
    *out = calloc(1, n);
    (*out)[0] = 0x80; /* a map; the size check comes first */
    return n;
}

static size_t batch_1001(unsigned char **out)
{
    /* array16 of 1001 nils: refused on the header before anything else */
    size_t n = 3 + 1001;
    *out = malloc(n);
    (*out)[0] = 0xdc, (*out)[1] = 0x03, (*out)[2] = 0xe9;
    memset(*out + 3, 0xc0, 1001);
    return n;
}

static size_t deep(unsigned char **out)
{
    /* {"x": [[[[[[[[1]]]]]]]]} — an unknown key nesting 9 levels under the map */
    static const char HEX[] = "81 a1 78 91 91 91 91 91 91 91 91 01";
    *out = malloc(64);
    return fx_hex(HEX, *out, 64);
}

static size_t trailing(unsigned char **out)
{
    ev_t ev;
    fx_event(EV_INCIDENT_VOIDED, &ev);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    fx_encode(&ev, &sb);
    *out = malloc(sb.size + 1);
    memcpy(*out, sb.data, sb.size);
    (*out)[sb.size] = 0xc0;
    size_t n = sb.size + 1;
    msgpack_sbuffer_destroy(&sb);
    return n;
}

static const struct msg_case MSG_CASES[] = {
    {ANTT_E_MALFORMED, "empty message", "", NULL},
    {ANTT_E_MALFORMED, "the never-used byte 0xc1", "c1", NULL},
    {ANTT_E_MALFORMED, "map of one pair with its value missing", "81 a1 76", NULL},
    {ANTT_E_MALFORMED, "str32 declaring 4 GiB inside a map", "81 a1 78 db ff ff ff ff 41", NULL},
    {ANTT_E_MSG_TOO_LARGE, "one byte over the size limit", NULL, too_large},
    {ANTT_E_NOT_EVENTS, "a string at top level", "a3 61 62 63", NULL},
    {ANTT_E_NOT_EVENTS, "an integer at top level", "2a", NULL},
    {ANTT_E_BATCH_TOO_LARGE, "array of 1001", NULL, batch_1001},
    {ANTT_E_MALFORMED, "array32 declaring 4 billion in 5 bytes", "dd ff ff ff ff", NULL},
    {ANTT_E_BATCH_EMPTY, "empty array", "90", NULL},
    {ANTT_E_TOO_DEEP, "nine levels under an event", NULL, deep},
    {ANTT_E_TRAILING_BYTES, "a nil after a complete event", NULL, trailing},
};

/* ---- single-event inputs: one key of a valid sample rewritten ---------- */

struct ev_case {
    int code;
    const char *what;
    ev_type_t type;
    const char *key;
    fx_val_fn fn;
    const void *arg;
};

static const uint64_t U_0 = 0, U_2 = 2, U_100001 = 100001, U_2P63 = 1ull << 63;
static const uint64_t MS_1999 = 946684799000ull;
static const uint64_t MS_2DAYS = (uint64_t)((FX_NOW_US + 2 * FX_DAY_US) / 1000);
static const uint64_t MS_400DAYS = (uint64_t)((FX_NOW_US + 400 * FX_DAY_US) / 1000);
static const int64_t I_M1 = -1;

static void key_int(msgpack_packer *pk, const void *arg)
{
    (void)arg; /* value of "case" replaced by a map whose key is an integer */
    msgpack_pack_map(pk, 0);
}

static const struct ev_case EV_CASES[] = {
    {ANTT_E_MISSING_FIELD, "seq dropped", EV_INCIDENT_REPORTED, "seq", NULL, NULL},
    {ANTT_E_MISSING_FIELD, "suspects dropped", EV_INCIDENT_CLEARED, "suspects", NULL, NULL},
    {ANTT_E_MISSING_FIELD, "version dropped", EV_TIPOFF_RESOLVED, "v", NULL, NULL},
    {ANTT_E_WRONG_TYPE, "seq as a string", EV_INCIDENT_REPORTED, "seq", fx_val_str, "7"},
    {ANTT_E_WRONG_TYPE, "time as a string", EV_TIPOFF_RECEIVED, "time", fx_val_str,
     "2023-06-15T03:00:00Z"},
    {ANTT_E_WRONG_TYPE, "severity as an integer", EV_INCIDENT_REPORTED, "severity", fx_val_u64,
     &U_2},
    {ANTT_E_OUT_OF_RANGE, "no suspects on a clearance", EV_INCIDENT_CLEARED, "suspects", fx_val_u64,
     &U_0},
    {ANTT_E_OUT_OF_RANGE, "100001 deaths", EV_INCIDENT_REPORTED, "deaths", fx_val_u64, &U_100001},
    {ANTT_E_OUT_OF_RANGE, "seq of 2^63", EV_TIPOFF_RECEIVED, "seq", fx_val_u64, &U_2P63},
    {ANTT_E_OUT_OF_RANGE, "negative injuries", EV_INCIDENT_REPORTED, "injuries", fx_val_i64, &I_M1},
    {ANTT_E_TOO_LONG, "empty case reference", EV_INCIDENT_VOIDED, "case", fx_val_str, ""},
    {ANTT_E_TOO_LONG, "65-byte node id", EV_INCIDENT_REPORTED, "node", fx_val_str,
     "n2345678901234567890123456789012345678901234567890123456789012345"},
    {ANTT_E_BAD_UTF8, "summary with a lone 0xff", EV_INCIDENT_REPORTED, "summary", fx_val_raw,
     "a3 61 ff 62"},
    {ANTT_E_BAD_UTF8, "case reference with a newline", EV_INCIDENT_CLEARED, "case", fx_val_str,
     "12/VV\n"},
    {ANTT_E_BAD_UTF8, "reason with an overlong slash", EV_INCIDENT_VOIDED, "reason", fx_val_raw,
     "a2 c0 af"},
    {ANTT_E_BAD_UTF8, "ref with a UTF-16 surrogate", EV_TIPOFF_EXTENDED, "ref", fx_val_raw,
     "a3 ed a0 80"},
    {ANTT_E_BAD_FORMAT, "four-digit unit", EV_INCIDENT_REPORTED, "unit", fx_val_str, "1834"},
    /* a unit code of the wrong length is its syntax (209), not 207 */
    {ANTT_E_BAD_FORMAT, "six-digit unit", EV_INCIDENT_REPORTED, "unit", fx_val_str, "060400"},
    {ANTT_E_BAD_FORMAT, "one-digit unit", EV_TIPOFF_RECEIVED, "unit", fx_val_str, "6"},
    {ANTT_E_BAD_FORMAT, "empty issuer", EV_WANTED_FOUND, "issuer", fx_val_str, ""},
    /* and a negative millisecond instant is a negative uint (206), not 213 */
    {ANTT_E_OUT_OF_RANGE, "a time of -1 ms", EV_INCIDENT_REPORTED, "occurred_at", fx_val_i64,
     &I_M1},
    {ANTT_E_BAD_FORMAT, "unit with a letter", EV_INCIDENT_REPORTED, "occurred_unit", fx_val_str,
     "18a"},
    {ANTT_E_BAD_FORMAT, "node id with a space", EV_TIPOFF_RESUMED, "node", fx_val_str, "ls 183"},
    {ANTT_E_BAD_FORMAT, "group in capitals", EV_INCIDENT_REPORTED, "group", fx_val_str, "Drugs"},
    {ANTT_E_BAD_ENUM, "unknown severity", EV_INCIDENT_REPORTED, "severity", fx_val_str, "grave"},
    {ANTT_E_BAD_ENUM, "unknown outcome", EV_TIPOFF_RESOLVED, "outcome", fx_val_str, "closed"},
    {ANTT_E_BAD_ID, "nil UUID", EV_INCIDENT_REPORTED, "id", fx_val_raw,
     "c4 10 00000000 00000000 00000000 00000000"},
    {ANTT_E_BAD_ID, "15-byte bin id", EV_INCIDENT_REPORTED, "id", fx_val_raw,
     "c4 0f 01020304050607080910111213141f"},
    {ANTT_E_BAD_ID, "id text without hyphens", EV_INCIDENT_REPORTED, "id", fx_val_str,
     "0188f1b23c4d7e5f8a9b0c1d2e3f4a5b0000"},
    {ANTT_E_BAD_ID, "id as an integer", EV_INCIDENT_REPORTED, "id", fx_val_u64, &U_2},
    {ANTT_E_BAD_TIME, "timestamp ext of 5 bytes", EV_INCIDENT_CLEARED, "cleared_at", fx_val_raw,
     "c7 05 ff 00 00 00 00 00"},
    {ANTT_E_BAD_TIME, "timestamp 64 with 10^9 nanoseconds", EV_INCIDENT_REPORTED, "time",
     fx_val_raw, "d7 ff ee 6b 28 00 64 8a 80 00"},
    {ANTT_E_BAD_TIME, "ext of type 5 as a time", EV_TIPOFF_RESOLVED, "resolved_at", fx_val_raw,
     "d6 05 64 8a 80 00"},
    {ANTT_E_TIME_RANGE, "a time in 1999", EV_INCIDENT_REPORTED, "occurred_at", fx_val_u64,
     &MS_1999},
    {ANTT_E_TIME_RANGE, "a time two days ahead", EV_TIPOFF_RECEIVED, "received_at", fx_val_u64,
     &MS_2DAYS},
    {ANTT_E_TIME_RANGE, "a deadline 400 days ahead", EV_TIPOFF_EXTENDED, "deadline", fx_val_u64,
     &MS_400DAYS},
    {ANTT_E_VERSION, "version 2", EV_INCIDENT_REPORTED, "v", fx_val_u64, &U_2},
    {ANTT_E_UNKNOWN_TYPE, "type incident.deleted", EV_INCIDENT_VOIDED, "type", fx_val_str,
     "incident.deleted"},
    {ANTT_E_FIELD_NOT_ALLOWED, "suspects on a report", EV_INCIDENT_REPORTED, "suspects", fx_val_u64,
     &U_2},
    {ANTT_E_FIELD_NOT_ALLOWED, "deadline on a receipt", EV_TIPOFF_RECEIVED, "deadline", fx_val_u64,
     &MS_2DAYS},
    {ANTT_E_WRONG_TYPE, "case as an empty map", EV_INCIDENT_CLEARED, "case", key_int, NULL},
};

static int msg_code(const unsigned char *buf, size_t n, dec_err_t *err)
{
    ev_t ev;
    return fx_decode1(buf, n, &ev, err);
}

Test(errors, message_level_codes)
{
    for (size_t i = 0; i < sizeof MSG_CASES / sizeof MSG_CASES[0]; i++) {
        const struct msg_case *c = &MSG_CASES[i];
        unsigned char *buf = NULL;
        size_t n;
        if (c->build) {
            n = c->build(&buf);
        } else {
            buf = malloc(strlen(c->hex) / 2 + 1);
            n = fx_hex(c->hex, buf, strlen(c->hex) / 2 + 1);
        }
        dec_err_t err = {0};
        int rc = msg_code(buf, n, &err);
        cr_expect_eq(rc, -c->code, "%s: expected %s, got %d (%s)", c->what, antt_err_name(c->code),
                     rc, err.msg);
        cr_expect(rc >= 0 || err.msg[0], "%s: a refusal has a message", c->what);
        free(buf);
    }
}

Test(errors, event_level_codes)
{
    for (size_t i = 0; i < sizeof EV_CASES / sizeof EV_CASES[0]; i++) {
        const struct ev_case *c = &EV_CASES[i];
        dec_err_t err;
        int rc = fx_try(c->type, c->key, c->fn, c->arg, &err);
        cr_expect_eq(rc, -c->code, "%s: expected %s, got %d %s (%s)", c->what,
                     antt_err_name(c->code), rc, antt_err_name(-rc), err.msg);
        if (rc < 0 && c->code != ANTT_E_VERSION && c->code != ANTT_E_UNKNOWN_TYPE &&
            c->code != ANTT_E_WRONG_TYPE)
            cr_expect(err.field && strcmp(err.field, c->key) == 0,
                      "%s: field at fault should be %s, got %s", c->what, c->key,
                      err.field ? err.field : "(none)");
    }
}

Test(errors, event_codes_needing_their_own_shape)
{
    dec_err_t err;
    ev_t ev, out;
    msgpack_sbuffer a, b;

    /* EVENT_NOT_MAP: the middle of three is an integer; the others still pass */
    ev_t evs[2];
    fx_event(EV_INCIDENT_REPORTED, &evs[0]);
    fx_event(EV_TIPOFF_RECEIVED, &evs[1]);
    msgpack_sbuffer_init(&a);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &a, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 3);
    enc_event(&pk, &evs[0]);
    msgpack_pack_int(&pk, 5);
    enc_event(&pk, &evs[1]);
    dec_msg_t m;
    cr_assert_eq(dec_open(&m, a.data, a.size, FX_NOW_US, &err), 0);
    cr_expect_eq(dec_next(&m, &out, &err), 1);
    cr_expect_eq(dec_next(&m, &out, &err), -ANTT_E_EVENT_NOT_MAP);
    cr_expect_eq(dec_next(&m, &out, &err), 1, "the event after a refused one is read");
    cr_expect_eq(out.type, EV_TIPOFF_RECEIVED);
    msgpack_sbuffer_destroy(&a);

    /* EVENT_TOO_LARGE: an unknown key carrying 9000 bytes */
    char *big = malloc(9001);
    memset(big, 'x', 9000);
    big[9000] = '\0';
    cr_expect_eq(fx_try(EV_INCIDENT_REPORTED, "x_attachment", fx_val_str, big, &err),
                 -ANTT_E_EVENT_TOO_LARGE);
    free(big);

    /* EVENT_TOO_LARGE: 65 keys */
    msgpack_sbuffer_init(&a);
    msgpack_packer_init(&pk, &a, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 65);
    for (int i = 0; i < 65; i++) {
        char k[8];
        int kn = snprintf(k, sizeof k, "k%d", i);
        enc_str(&pk, k, (size_t)kn);
        msgpack_pack_nil(&pk);
    }
    cr_expect_eq(fx_decode1(a.data, a.size, &out, &err), -ANTT_E_EVENT_TOO_LARGE);
    msgpack_sbuffer_destroy(&a);

    /* BAD_KEY: an integer key, an empty key, a 33-byte key; keys that are not
     * text, though unknown keys are otherwise ignored: invalid UTF-8 ff fe,
     * "a\0b", a DEL, an escape, an overlong '/' */
    static const char *const BAD_KEYS[] = {
        "81 01 c0",
        "81 a0 c0",
        "81 d9 21 "
        "6161616161616161616161616161616161616161616161616161616161616161 61 c0",
        "81 a2 ff fe c0",
        "81 a3 61 00 62 c0",
        "81 a1 7f c0",
        "81 a4 1b 5b 32 4a c0",
        "81 a2 c0 af c0"};
    fx_event(EV_INCIDENT_VOIDED, &ev);
    for (size_t i = 0; i < sizeof BAD_KEYS / sizeof *BAD_KEYS; i++) {
        msgpack_sbuffer_init(&a);
        msgpack_sbuffer_init(&b);
        fx_encode(&ev, &a);
        /* splice the bad pair in: bump the fixmap count and append the pair */
        unsigned char pair[64];
        size_t pn = fx_hex(BAD_KEYS[i], pair, sizeof pair);
        a.data[0] = (char)(a.data[0] + 1);
        msgpack_sbuffer_write(&a, (const char *)pair + 1, pn - 1);
        cr_expect_eq(fx_decode1(a.data, a.size, &out, &err), -ANTT_E_BAD_KEY, "bad key %zu: %s", i,
                     err.msg);
        msgpack_sbuffer_destroy(&a);
        msgpack_sbuffer_destroy(&b);
    }

    /* DUPLICATE_KEY: "seq" twice */
    msgpack_sbuffer_init(&a);
    fx_encode(&ev, &a);
    a.data[0] = (char)(a.data[0] + 1);
    msgpack_sbuffer_write(&a, "\xa3seq\x07", 5);
    cr_expect_eq(fx_decode1(a.data, a.size, &out, &err), -ANTT_E_DUPLICATE_KEY);
    cr_expect_str_eq(err.field, "seq");
    msgpack_sbuffer_destroy(&a);

    /* NOTHING_TO_CORRECT: a correction that only gives a reason */
    fx_event(EV_INCIDENT_CORRECTED, &ev);
    ev.present = ev_required(EV_INCIDENT_CORRECTED) | EVB(EVF_REASON);
    msgpack_sbuffer_init(&a);
    fx_encode(&ev, &a);
    cr_expect_eq(fx_decode1(a.data, a.size, &out, &err), -ANTT_E_NOTHING_TO_CORRECT);
    msgpack_sbuffer_destroy(&a);
}

/* Every 1xx and 2xx code that err.c names appears in some case above. */
Test(errors, every_decoder_code_has_a_case)
{
    static const int SHAPED[] = {ANTT_E_EVENT_NOT_MAP, ANTT_E_EVENT_TOO_LARGE, ANTT_E_BAD_KEY,
                                 ANTT_E_DUPLICATE_KEY, ANTT_E_NOTHING_TO_CORRECT};
    for (int code = 1; code < 300; code++) {
        if (strcmp(antt_err_name(code), "UNKNOWN") == 0) continue;
        int covered = 0;
        for (size_t i = 0; i < sizeof MSG_CASES / sizeof MSG_CASES[0]; i++)
            covered |= MSG_CASES[i].code == code;
        for (size_t i = 0; i < sizeof EV_CASES / sizeof EV_CASES[0]; i++)
            covered |= EV_CASES[i].code == code;
        for (size_t i = 0; i < sizeof SHAPED / sizeof SHAPED[0]; i++)
            covered |= SHAPED[i] == code;
        cr_expect(covered, "code %d %s is provoked by no test", code, antt_err_name(code));
    }
}

Test(errors, version_outranks_field_faults_whatever_the_key_order)
{
    /* a v2 event whose seq is a string: v2 may define seq differently */
    ev_t ev, out;
    fx_event(EV_INCIDENT_REPORTED, &ev);
    msgpack_sbuffer a, b, c;
    msgpack_sbuffer_init(&a), msgpack_sbuffer_init(&b), msgpack_sbuffer_init(&c);
    fx_encode(&ev, &a);
    fx_rewrite(a.data, a.size, "seq", fx_val_str, "seven", &b);
    fx_rewrite(b.data, b.size, "v", fx_val_u64, &U_2, &c);
    dec_err_t err;
    cr_expect_eq(fx_decode1(c.data, c.size, &out, &err), -ANTT_E_VERSION);
    msgpack_sbuffer_destroy(&a), msgpack_sbuffer_destroy(&b), msgpack_sbuffer_destroy(&c);
}

Test(errors, unknown_type_outranks_field_faults)
{
    ev_t ev, out;
    fx_event(EV_INCIDENT_REPORTED, &ev);
    msgpack_sbuffer a, b, c;
    msgpack_sbuffer_init(&a), msgpack_sbuffer_init(&b), msgpack_sbuffer_init(&c);
    fx_encode(&ev, &a);
    fx_rewrite(a.data, a.size, "severity", fx_val_str, "nope", &b);
    fx_rewrite(b.data, b.size, "type", fx_val_str, "incident.archived", &c);
    dec_err_t err;
    cr_expect_eq(fx_decode1(c.data, c.size, &out, &err), -ANTT_E_UNKNOWN_TYPE);
    cr_expect(strstr(err.msg, "incident.archived") != NULL, "message names the type: %s", err.msg);
    msgpack_sbuffer_destroy(&a), msgpack_sbuffer_destroy(&b), msgpack_sbuffer_destroy(&c);
}

Test(errors, refused_event_still_reports_its_id)
{
    dec_err_t err;
    ev_t ev, out;
    fx_event(EV_INCIDENT_REPORTED, &ev);
    msgpack_sbuffer a, b;
    msgpack_sbuffer_init(&a), msgpack_sbuffer_init(&b);
    fx_encode(&ev, &a);
    fx_rewrite(a.data, a.size, "severity", fx_val_str, "grave", &b);
    cr_assert_eq(fx_decode1(b.data, b.size, &out, &err), -ANTT_E_BAD_ENUM);
    cr_expect(out.present & EVB(EVF_ID), "the id was read");
    cr_expect(memcmp(out.id, ev.id, 16) == 0);
    cr_expect(strstr(err.msg, "less_serious") != NULL, "message lists the names: %s", err.msg);
    msgpack_sbuffer_destroy(&a), msgpack_sbuffer_destroy(&b);
}

Test(errors, messages_never_echo_unprintable_input)
{
    dec_err_t err;
    cr_expect_eq(fx_try(EV_INCIDENT_REPORTED, "severity", fx_val_raw, "a4 1b 5b 32 4a", &err),
                 -ANTT_E_BAD_ENUM);
    cr_expect(strchr(err.msg, 0x1b) == NULL, "no escape byte in: %s", err.msg);
}
