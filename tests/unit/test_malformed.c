/* test_malformed.c — a corpus of broken input: no crash, and the right code
 * each time. The expectations here are written from PROTOCOL.md, not read
 * from the decoder's tables, so the two are checked against each other. */
#include "fixtures.h"

#include "proto/err.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* Every valid message the corpus starts from: each type alone, and a batch. */
static size_t valid_messages(msgpack_sbuffer *out, size_t cap)
{
    size_t n = 0;
    ev_t all[EV_TYPE_COUNT - 1];
    for (int t = 1; t < EV_TYPE_COUNT && n < cap; t++) {
        fx_event((ev_type_t)t, &all[t - 1]);
        msgpack_sbuffer_init(&out[n]);
        fx_encode(&all[t - 1], &out[n++]);
    }
    if (n < cap) {
        msgpack_sbuffer_init(&out[n]);
        fx_encode_batch(all, EV_TYPE_COUNT - 1, &out[n++]);
    }
    return n;
}

Test(malformed, every_truncation_of_every_valid_message_is_malformed)
{
    msgpack_sbuffer msgs[EV_TYPE_COUNT];
    size_t n = valid_messages(msgs, EV_TYPE_COUNT);
    size_t tried = 0;
    for (size_t i = 0; i < n; i++) {
        /* The copy is exactly `cut` bytes so ASan sees any read past it. */
        for (size_t cut = 0; cut < msgs[i].size; cut++) {
            char *p = malloc(cut ? cut : 1);
            memcpy(p, msgs[i].data, cut);
            dec_err_t err;
            ev_t ev;
            int rc = fx_decode1(p, cut, &ev, &err);
            cr_expect_eq(rc, -ANTT_E_MALFORMED, "message %zu cut at %zu/%zu: %d %s", i, cut,
                         msgs[i].size, rc, err.msg);
            free(p);
            tried++;
        }
        msgpack_sbuffer_destroy(&msgs[i]);
    }
    cr_expect_gt(tried, 2000, "the corpus is not trivially small (%zu)", tried);
}

/* ---- every field with every wrong type --------------------------------- */

enum vkind { V_NIL, V_TRUE, V_UINT, V_NEG, V_FLOAT, V_STR, V_BIN, V_ARRAY, V_MAP, V_EXT, V_COUNT };
static const char *const VHEX[V_COUNT] = {
    [V_NIL] = "c0",
    [V_TRUE] = "c3",
    [V_UINT] = "07",
    [V_NEG] = "ff",
    [V_FLOAT] = "cb 3ff8000000000000",
    [V_STR] = "a1 78",
    [V_BIN] = "c4 02 0102",
    [V_ARRAY] = "91 01",
    [V_MAP] = "81 a1 61 01",
    [V_EXT] = "d4 05 00",
};

/* What each field is, per PROTOCOL.md's field tables. */
enum fk { K_INT, K_STR, K_TIME, K_ENUM, K_TYPE, K_ID, K_VERSION };
static enum fk kind_of(const char *key)
{
    static const struct {
        const char *k;
        enum fk f;
    } T[] = {
        {"v", K_VERSION},         {"id", K_ID},
        {"type", K_TYPE},         {"node", K_STR},
        {"unit", K_STR},          {"seq", K_INT},
        {"time", K_TIME},         {"case", K_STR},
        {"ref", K_STR},           {"group", K_STR},
        {"severity", K_ENUM},     {"occurred_at", K_TIME},
        {"occurred_unit", K_STR}, {"deaths", K_INT},
        {"injuries", K_INT},      {"summary", K_STR},
        {"suspects", K_INT},      {"cleared_at", K_TIME},
        {"reason", K_STR},        {"kind", K_ENUM},
        {"source", K_ENUM},       {"received_at", K_TIME},
        {"deadline", K_TIME},     {"basis", K_ENUM},
        {"outcome", K_ENUM},      {"resolved_at", K_TIME},
        {"resumed_at", K_TIME},   {"issuer", K_STR},
        {"how", K_ENUM},          {"category", K_ENUM},
        {"found_at", K_TIME},     {"withdrawn_at", K_TIME},
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
        if (!strcmp(T[i].k, key)) return T[i].f;
    cr_assert_fail("field %s missing from the test's table", key);
    return K_INT;
}

/* The code PROTOCOL.md promises for value kind v in a field of kind f; 0 when
 * the value is of the right type (then other checks decide, not tested here). */
static int expected(enum fk f, enum vkind v)
{
    switch (f) {
    case K_INT: return v == V_UINT ? 0 : v == V_NEG ? ANTT_E_OUT_OF_RANGE : ANTT_E_WRONG_TYPE;
    case K_VERSION:
        return v == V_UINT ? ANTT_E_VERSION : v == V_NEG ? ANTT_E_OUT_OF_RANGE : ANTT_E_WRONG_TYPE;
    case K_STR: return v == V_STR ? 0 : ANTT_E_WRONG_TYPE;
    case K_TIME:
        /* 7 ms after 1970 is a uint, so the range check speaks; -1 ms is a
         * negative integer where a uint belongs (section 3): 206 */
        return v == V_UINT  ? ANTT_E_TIME_RANGE
               : v == V_NEG ? ANTT_E_OUT_OF_RANGE
               : v == V_EXT ? ANTT_E_BAD_TIME
                            : ANTT_E_WRONG_TYPE;
    case K_ENUM: return v == V_STR ? ANTT_E_BAD_ENUM : ANTT_E_WRONG_TYPE;
    case K_TYPE: return v == V_STR ? ANTT_E_UNKNOWN_TYPE : ANTT_E_WRONG_TYPE;
    case K_ID: return ANTT_E_BAD_ID;
    }
    return -1;
}

Test(malformed, every_field_with_every_wrong_type)
{
    int checked = 0;
    for (int t = 1; t < EV_TYPE_COUNT; t++) {
        const uint32_t fields = ev_allowed((ev_type_t)t);
        for (int f = 0; f < EVF_COUNT; f++) {
            if (!(fields & EVB(f))) continue;
            const char *key = ev_field_name((ev_field_t)f);
            for (int v = 0; v < V_COUNT; v++) {
                int want = expected(kind_of(key), (enum vkind)v);
                if (want == 0) continue;
                dec_err_t err;
                int rc = fx_try((ev_type_t)t, key, fx_val_raw, VHEX[v], &err);
                cr_expect_eq(rc, -want, "%s.%s = %s: expected %s, got %s (%s)",
                             ev_enum_name(&EV_TYPES, t), key, VHEX[v], antt_err_name(want),
                             antt_err_name(-rc), err.msg);
                checked++;
            }
        }
    }
    cr_expect_gt(checked, 500, "checked %d", checked);
}

/* ---- strings: one byte over the limit, and invalid UTF-8 ---------------- */

struct strfield {
    const char *key;
    ev_type_t type;
    size_t max;
    int text; /* 1: UTF-8 text (BAD_UTF8); 0: a syntax (BAD_FORMAT) */
};
static const struct strfield STRS[] = {
    {"node", EV_INCIDENT_REPORTED, 64, 0},      {"unit", EV_INCIDENT_REPORTED, 5, 0},
    {"case", EV_INCIDENT_REPORTED, 64, 1},      {"ref", EV_TIPOFF_RECEIVED, 64, 1},
    {"group", EV_INCIDENT_REPORTED, 32, 0},     {"occurred_unit", EV_INCIDENT_REPORTED, 5, 0},
    {"summary", EV_INCIDENT_REPORTED, 1024, 1}, {"reason", EV_INCIDENT_VOIDED, 512, 1},
};

Test(malformed, every_string_one_byte_over_its_limit)
{
    for (size_t i = 0; i < sizeof STRS / sizeof STRS[0]; i++) {
        char *s = malloc(STRS[i].max + 2);
        memset(s, '1', STRS[i].max + 1); /* digits pass every syntax; only length is wrong */
        s[STRS[i].max + 1] = '\0';
        if (!strcmp(STRS[i].key, "group")) s[0] = 'a';
        dec_err_t err;
        /* a unit code's length is its syntax: 209 (PROTOCOL.md section 3) */
        const int want = strstr(STRS[i].key, "unit") ? ANTT_E_BAD_FORMAT : ANTT_E_TOO_LONG;
        cr_expect_eq(fx_try(STRS[i].type, STRS[i].key, fx_val_str, s, &err), -want,
                     "%s of %zu bytes: %s", STRS[i].key, STRS[i].max + 1, err.msg);
        s[STRS[i].max] = '\0'; /* exactly at the limit is fine */
        int rc = fx_try(STRS[i].type, STRS[i].key, fx_val_str, s, &err);
        if (strcmp(STRS[i].key, "unit") && strcmp(STRS[i].key, "occurred_unit"))
            cr_expect_eq(rc, 1, "%s at its limit: %s", STRS[i].key, err.msg);
        free(s);
    }
}

/* Each is a msgpack str holding a broken sequence (lengths fit the fields). */
static const char *const BAD_TEXT[] = {
    "a1 80",          /* lone continuation byte */
    "a2 c3 28",       /* lead byte, then ASCII */
    "a2 c0 80",       /* overlong NUL */
    "a3 e0 80 af",    /* overlong slash */
    "a3 ed a0 80",    /* surrogate U+D800 */
    "a4 f4 90 80 80", /* above U+10FFFF */
    "a1 fe",          /* never valid */
    "a2 c2 85",       /* C1 control NEL */
    "a1 00",          /* NUL */
    "a2 31 7f",       /* DEL */
    "a2 e1 bb",       /* truncated sequence (Vietnamese lead, no last byte) */
};
Test(malformed, every_string_with_invalid_utf8)
{
    for (size_t i = 0; i < sizeof STRS / sizeof STRS[0]; i++) {
        for (size_t b = 0; b < sizeof BAD_TEXT / sizeof BAD_TEXT[0]; b++) {
            dec_err_t err;
            int rc = fx_try(STRS[i].type, STRS[i].key, fx_val_raw, BAD_TEXT[b], &err);
            int want = STRS[i].text ? ANTT_E_BAD_UTF8 : ANTT_E_BAD_FORMAT;
            cr_expect_eq(rc, -want, "%s = %s: expected %s, got %s", STRS[i].key, BAD_TEXT[b],
                         antt_err_name(want), antt_err_name(-rc));
        }
    }
    /* Vietnamese text itself passes: every tone mark, NFC and NFD. */
    dec_err_t err;
    cr_expect_eq(fx_try(EV_INCIDENT_REPORTED, "summary", fx_val_str,
                        "Đối tượng Nguyễn Văn Ả trộm cắp; thu giữ 1,5 kg ma túy.\nỹ ỵ ữ ự", &err),
                 1, "%s", err.msg);
    cr_expect_eq(
        fx_try(EV_INCIDENT_REPORTED, "case", fx_val_str, "Vu\xcc\x9b\xcc\x81 1/2023", &err), 1,
        "NFD (combining marks): %s", err.msg);
}

/* A key, known or not, is text: each broken sequence as an extra key of
 * every type is 202 BAD_KEY (unknown keys are kept in the stored bytes). */
Test(malformed, every_key_that_is_not_text)
{
    for (int t = EV_NONE + 1; t < EV_TYPE_COUNT; t++) {
        for (size_t b = 0; b < sizeof BAD_TEXT / sizeof BAD_TEXT[0]; b++) {
            ev_t ev, out;
            dec_err_t err;
            msgpack_sbuffer a;
            msgpack_sbuffer_init(&a);
            fx_event((ev_type_t)t, &ev);
            fx_encode(&ev, &a);
            unsigned char key[16];
            size_t kn = fx_hex(BAD_TEXT[b], key, sizeof key);
            /* one more pair: a fixmap's count, or a 16-pair map's header */
            unsigned char *m = (unsigned char *)a.data;
            msgpack_sbuffer grown;
            msgpack_sbuffer_init(&grown);
            if (m[0] == 0x8f) {
                msgpack_sbuffer_write(&grown, "\xde\x00\x10", 3);
                msgpack_sbuffer_write(&grown, a.data + 1, a.size - 1);
            } else {
                cr_assert(m[0] >= 0x80 && m[0] < 0x8f, "a fixmap: %02x", m[0]);
                m[0]++;
                msgpack_sbuffer_write(&grown, a.data, a.size);
            }
            msgpack_sbuffer_destroy(&a);
            a = grown;
            msgpack_sbuffer_write(&a, (const char *)key, kn);
            msgpack_sbuffer_write(&a, "\xc0", 1); /* nil */
            cr_expect_eq(fx_decode1(a.data, a.size, &out, &err), -ANTT_E_BAD_KEY, "%s key %s: %s",
                         ev_enum_name(&EV_TYPES, t), BAD_TEXT[b], err.msg);
            msgpack_sbuffer_destroy(&a);
        }
    }
}

/* ---- nesting and declared lengths --------------------------------------- */

static void nested(msgpack_packer *pk, const void *levels)
{
    int n = *(const int *)levels;
    for (int i = 0; i < n; i++)
        msgpack_pack_array(pk, 1);
    msgpack_pack_nil(pk);
}

Test(malformed, nesting_up_to_the_limit_passes_and_beyond_is_refused)
{
    /* A single-event message is level 1; an unknown key's value may nest to 8. */
    dec_err_t err;
    int ok = 7, over = 8;
    cr_expect_eq(fx_try(EV_INCIDENT_VOIDED, "x_nested", nested, &ok, &err), 1, "%s", err.msg);
    cr_expect_eq(fx_try(EV_INCIDENT_VOIDED, "x_nested", nested, &over, &err), -ANTT_E_TOO_DEEP);
    int huge = 5000; /* deep enough to overflow a recursive parser's stack budget */
    cr_expect_eq(fx_try(EV_INCIDENT_VOIDED, "x_nested", nested, &huge, &err), -ANTT_E_TOO_DEEP);
}

Test(malformed, huge_declared_lengths_are_refused_without_allocating)
{
    /* Inside a valid event, as the value of an unknown key. */
    static const char *const HUGE[] = {
        "db ff ff ff ff",    /* str32 */
        "c6 ff ff ff ff",    /* bin32 */
        "dd ff ff ff ff",    /* array32 */
        "df ff ff ff ff",    /* map32 */
        "c9 ff ff ff ff 05", /* ext32 */
        "da ff ff",          /* str16 */
        "dc 00 10 01",       /* array16 of 16 with one element present */
        "de 00 02 a1 61 01", /* map16 of 2 with one pair present */
    };
    for (size_t i = 0; i < sizeof HUGE / sizeof HUGE[0]; i++) {
        dec_err_t err;
        int rc = fx_try(EV_INCIDENT_REPORTED, "x_blob", fx_val_raw, HUGE[i], &err);
        cr_expect_eq(rc, -ANTT_E_MALFORMED, "%s: got %s", HUGE[i], antt_err_name(-rc));
    }
}

/* ---- random damage ------------------------------------------------------ */

Test(malformed, random_byte_damage_never_crashes_and_gives_a_known_code)
{
    msgpack_sbuffer msgs[EV_TYPE_COUNT];
    size_t n = valid_messages(msgs, EV_TYPE_COUNT);
    uint64_t x = 0x9e3779b97f4a7c15ull; /* fixed seed: the same corpus every run */
    for (size_t i = 0; i < n; i++) {
        for (int round = 0; round < 400; round++) {
            char *p = malloc(msgs[i].size);
            memcpy(p, msgs[i].data, msgs[i].size);
            for (int k = 0; k < 1 + round % 4; k++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                p[x % msgs[i].size] = (char)(x >> 32);
            }
            dec_msg_t m;
            dec_err_t err;
            ev_t ev;
            int rc = dec_open(&m, p, msgs[i].size, FX_NOW_US, &err);
            while (rc == 0 && (rc = dec_next(&m, &ev, &err)) != 0) {
                if (rc < 0)
                    cr_expect_str_neq(antt_err_name(-rc), "UNKNOWN", "unlisted code %d", rc);
                rc = 0;
            }
            if (rc < 0) cr_expect_str_neq(antt_err_name(-rc), "UNKNOWN", "unlisted code %d", rc);
            free(p);
        }
        msgpack_sbuffer_destroy(&msgs[i]);
    }
}
