/* decode.c — decode and validate protocol v1 messages (see decode.h).
 *
 * Each event map is read in one pass. Every key is looked up in a table that
 * says how to read and check its value; the first fault is remembered but the
 * pass goes on, so that the id can still be reported and so that faults are
 * ranked the same whatever the key order: event too large, then version,
 * then unknown type, then the first field fault in map order, then missing
 * fields, then fields foreign to the type, then checks across fields.
 */
#include "proto/decode.h"

#include "proto/err.h"
#include "proto/ts.h"
#include "proto/utf8.h"
#include "proto/uuid.h"

#include <assert.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static_assert(sizeof(ev_type_t) == sizeof(int) && sizeof(ev_severity_t) == sizeof(int),
              "enum fields are stored through int");

enum fkind { FK_U32, FK_U64, FK_STR, FK_TIME, FK_DEADLINE, FK_ENUM, FK_ID };
enum sfmt { SF_NONE, SF_NODE, SF_UNIT, SF_SLUG, SF_LINE, SF_TEXT };

struct fdesc {
    uint8_t kind;
    uint8_t fmt;
    uint16_t off;      /* where the value goes in ev_t */
    uint64_t min, max; /* integers: value; strings: bytes */
    const ev_enum_t *en;
};

#define AT(member) ((uint16_t)offsetof(ev_t, member))
static const struct fdesc FD[EVF_COUNT] = {
    [EVF_V] = {FK_U32, SF_NONE, AT(version), 0, UINT32_MAX, NULL},
    [EVF_ID] = {FK_ID, SF_NONE, AT(id), 0, 0, NULL},
    [EVF_TYPE] = {FK_ENUM, SF_NONE, AT(type), 0, 0, &EV_TYPES},
    [EVF_NODE] = {FK_STR, SF_NODE, AT(node), 1, ANTT_MAX_NODE_BYTES, NULL},
    [EVF_UNIT] = {FK_STR, SF_UNIT, AT(unit), 2, 5, NULL},
    [EVF_SEQ] = {FK_U64, SF_NONE, AT(seq), 0, ANTT_MAX_SEQ, NULL},
    [EVF_TIME] = {FK_TIME, SF_NONE, AT(time_us), 0, 0, NULL},
    [EVF_CASE] = {FK_STR, SF_LINE, AT(ref), 1, ANTT_MAX_REF_BYTES, NULL},
    [EVF_REF] = {FK_STR, SF_LINE, AT(ref), 1, ANTT_MAX_REF_BYTES, NULL},
    [EVF_GROUP] = {FK_STR, SF_SLUG, AT(group), 1, ANTT_MAX_GROUP_BYTES, NULL},
    [EVF_SEVERITY] = {FK_ENUM, SF_NONE, AT(severity), 0, 0, &EV_SEVERITIES},
    [EVF_OCCURRED_AT] = {FK_TIME, SF_NONE, AT(occurred_us), 0, 0, NULL},
    [EVF_OCCURRED_UNIT] = {FK_STR, SF_UNIT, AT(occurred_unit), 2, 5, NULL},
    [EVF_DEATHS] = {FK_U32, SF_NONE, AT(deaths), 0, ANTT_MAX_PEOPLE, NULL},
    [EVF_INJURIES] = {FK_U32, SF_NONE, AT(injuries), 0, ANTT_MAX_PEOPLE, NULL},
    [EVF_SUMMARY] = {FK_STR, SF_TEXT, AT(summary), 0, ANTT_MAX_SUMMARY_BYTES, NULL},
    [EVF_SUSPECTS] = {FK_U32, SF_NONE, AT(suspects), 1, ANTT_MAX_PEOPLE, NULL},
    [EVF_CLEARED_AT] = {FK_TIME, SF_NONE, AT(at_us), 0, 0, NULL},
    [EVF_REASON] = {FK_STR, SF_TEXT, AT(reason), 0, ANTT_MAX_REASON_BYTES, NULL},
    [EVF_KIND] = {FK_ENUM, SF_NONE, AT(kind), 0, 0, &EV_TIPKINDS},
    [EVF_SOURCE] = {FK_ENUM, SF_NONE, AT(source), 0, 0, &EV_SOURCES},
    [EVF_RECEIVED_AT] = {FK_TIME, SF_NONE, AT(at_us), 0, 0, NULL},
    [EVF_DEADLINE] = {FK_DEADLINE, SF_NONE, AT(deadline_us), 0, 0, NULL},
    [EVF_BASIS] = {FK_ENUM, SF_NONE, AT(basis), 0, 0, &EV_BASES},
    [EVF_OUTCOME] = {FK_ENUM, SF_NONE, AT(outcome), 0, 0, &EV_OUTCOMES},
    [EVF_RESOLVED_AT] = {FK_TIME, SF_NONE, AT(at_us), 0, 0, NULL},
    [EVF_RESUMED_AT] = {FK_TIME, SF_NONE, AT(at_us), 0, 0, NULL},
    [EVF_ISSUER] = {FK_STR, SF_UNIT, AT(issuer), 2, 5, NULL},
    [EVF_HOW] = {FK_ENUM, SF_NONE, AT(how), 0, 0, &EV_HOWS},
    [EVF_CATEGORY] = {FK_ENUM, SF_NONE, AT(category), 0, 0, &EV_CATEGORIES},
    [EVF_FOUND_AT] = {FK_TIME, SF_NONE, AT(at_us), 0, 0, NULL},
    [EVF_WITHDRAWN_AT] = {FK_TIME, SF_NONE, AT(at_us), 0, 0, NULL},
};

/* ---- errors ------------------------------------------------------------ */

static int fail(dec_err_t *err, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(dec_err_t *err, int code, const char *field, const char *fmt, ...)
{
    err->code = code;
    err->field = field;
    int n = 0;
    if (field) n = snprintf(err->msg, sizeof err->msg, "%s: ", field);
    if (n < 0 || (size_t)n >= sizeof err->msg) n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg + n, sizeof err->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return -code;
}

static const char *type_word(const mp_obj_t *o)
{
    switch (o->type) {
    case MP_NIL: return "nil";
    case MP_BOOL: return "boolean";
    case MP_UINT:
    case MP_INT: return "integer";
    case MP_FLOAT: return "float";
    case MP_STR: return "string";
    case MP_BIN: return "bin";
    case MP_ARRAY: return "array";
    case MP_MAP: return "map";
    case MP_EXT: return "ext";
    }
    return "?";
}

/* Quote a wire string into an error message only when it is short printable
 * ASCII; anything else could corrupt a log or a terminal. */
static const char *quotable(const mp_obj_t *o, char *buf, size_t cap)
{
    if (o->type != MP_STR || o->n == 0 || o->n >= cap || o->n > 40) return NULL;
    for (uint32_t i = 0; i < o->n; i++)
        if (o->p[i] < 0x20 || o->p[i] > 0x7e || o->p[i] == '"') return NULL;
    memcpy(buf, o->p, o->n);
    buf[o->n] = '\0';
    return buf;
}

/* ---- message ----------------------------------------------------------- */

int dec_open(dec_msg_t *m, const void *buf, size_t len, int64_t now_us, dec_err_t *err)
{
    memset(m, 0, sizeof *m);
    m->now_us = now_us;
    if (len > ANTT_MAX_MSG_BYTES)
        return fail(err, ANTT_E_MSG_TOO_LARGE, NULL, "message of %zu bytes exceeds %d", len,
                    ANTT_MAX_MSG_BYTES);
    mp_init(&m->r, buf, len);

    mp_reader_t peek = m->r;
    mp_obj_t top;
    if (mp_next(&peek, &top) < 0)
        return fail(err, ANTT_E_MALFORMED, NULL, "message does not start with a msgpack object");
    if (top.type == MP_MAP) {
        m->count = 1;
    } else if (top.type == MP_ARRAY) {
        if (top.n == 0) return fail(err, ANTT_E_BATCH_EMPTY, NULL, "batch holds no events");
        if (top.n > ANTT_MAX_BATCH)
            return fail(err, ANTT_E_BATCH_TOO_LARGE, NULL, "batch of %u events exceeds %d", top.n,
                        ANTT_MAX_BATCH);
        m->count = top.n;
        m->batch = 1;
    } else {
        return fail(err, ANTT_E_NOT_EVENTS, NULL, "message is a %s, not a map or an array",
                    type_word(&top));
    }

    /* One structural pass over the whole message: afterwards every length in
     * it is known to fit and nesting is bounded, so dec_next only validates. */
    mp_reader_t scan = m->r;
    int rc = mp_skip(&scan, ANTT_MAX_DEPTH);
    if (rc == -ANTT_E_TOO_DEEP)
        return fail(err, ANTT_E_TOO_DEEP, NULL, "message nests deeper than %d levels",
                    ANTT_MAX_DEPTH);
    if (rc < 0)
        return fail(err, ANTT_E_MALFORMED, NULL,
                    "message is not valid msgpack (truncated or invalid at byte %zu)",
                    (size_t)(scan.p - (const uint8_t *)buf));
    if (mp_left(&scan) != 0)
        return fail(err, ANTT_E_TRAILING_BYTES, NULL, "%zu bytes follow the message's object",
                    mp_left(&scan));
    if (m->batch) m->r = peek; /* step into the array */
    return 0;
}

/* ---- one event --------------------------------------------------------- */

static const uint8_t NODE_CHARS[256] = {
    ['-'] = 1, ['.'] = 1, ['_'] = 1, [':'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1,
    ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1,
    ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
    ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

static int check_format(const struct fdesc *d, const char *name, const mp_obj_t *o, dec_err_t *err)
{
    const uint8_t *p = o->p;
    uint32_t n = o->n;
    switch (d->fmt) {
    case SF_NODE:
        for (uint32_t i = 0; i < n; i++)
            if (!NODE_CHARS[p[i]])
                return fail(err, ANTT_E_BAD_FORMAT, name,
                            "node ids use only A-Z a-z 0-9 . _ : - (byte %u)", i);
        return 0;
    case SF_UNIT:
        for (uint32_t i = 0; i < n; i++)
            if (p[i] < '0' || p[i] > '9')
                return fail(err, ANTT_E_BAD_FORMAT, name, "unit codes are decimal digits");
        return 0;
    case SF_SLUG:
        if (p[0] < 'a' || p[0] > 'z')
            return fail(err, ANTT_E_BAD_FORMAT, name, "must start with a letter a-z");
        for (uint32_t i = 1; i < n; i++)
            if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
                return fail(err, ANTT_E_BAD_FORMAT, name, "uses only a-z 0-9 _");
        return 0;
    case SF_LINE:
    case SF_TEXT:
        if (utf8_check(p, n, d->fmt == SF_TEXT ? UTF8_ALLOW_NEWLINES : 0) < 0)
            return fail(err, ANTT_E_BAD_UTF8, name,
                        d->fmt == SF_TEXT ? "not valid UTF-8 text (or holds control characters)"
                                          : "not valid UTF-8 on one line (or holds control "
                                            "characters)");
        return 0;
    }
    return 0;
}

static int check_time(int64_t us, int64_t ahead, int64_t now_us, const char *name, dec_err_t *err)
{
    if (us < ANTT_MIN_TIME_US)
        return fail(err, ANTT_E_TIME_RANGE, name, "time is before 2000-01-01");
    if (us > now_us + ahead)
        return fail(err, ANTT_E_TIME_RANGE, name, "time is more than %s in the future",
                    ahead == ANTT_MAX_AHEAD_US ? "a day" : "366 days");
    return 0;
}

/* Read one field's value at the reader and store it into ev. */
static int read_field(mp_reader_t *r, int f, ev_t *ev, int64_t now_us, dec_err_t *err)
{
    const struct fdesc *d = &FD[f];
#define name ev_field_name((ev_field_t)f) /* looked up only when a fault is reported */
    char *dst = (char *)ev + d->off;
    const uint8_t *at = r->p;
    mp_obj_t o;
    if (mp_next(r, &o) < 0) return fail(err, ANTT_E_MALFORMED, name, "unreadable value");
    if (o.type == MP_ARRAY || o.type == MP_MAP) {
        r->p = at; /* wrong type: step over the whole container */
        if (mp_skip(r, MP_DEPTH_CAP) < 0) return fail(err, ANTT_E_MALFORMED, name, "unreadable");
    }
    switch (d->kind) {
    case FK_U32:
    case FK_U64: {
        if (o.type == MP_INT) return fail(err, ANTT_E_OUT_OF_RANGE, name, "must not be negative");
        if (o.type != MP_UINT)
            return fail(err, ANTT_E_WRONG_TYPE, name, "expected an integer, got %s", type_word(&o));
        if (o.v.u < d->min || o.v.u > d->max)
            return fail(err, ANTT_E_OUT_OF_RANGE, name, "%llu is outside %llu..%llu",
                        (unsigned long long)o.v.u, (unsigned long long)d->min,
                        (unsigned long long)d->max);
        if (d->kind == FK_U32) {
            uint32_t v = (uint32_t)o.v.u;
            memcpy(dst, &v, sizeof v);
        } else {
            memcpy(dst, &o.v.u, sizeof o.v.u);
        }
        return 0;
    }
    case FK_STR: {
        if (o.type != MP_STR)
            return fail(err, ANTT_E_WRONG_TYPE, name, "expected a string, got %s", type_word(&o));
        /* a unit code's length is its syntax (2, 3 or 5 digits): 209, as
         * PROTOCOL.md section 3 and the code table say */
        if (d->fmt == SF_UNIT && o.n != 2 && o.n != 3 && o.n != 5)
            return fail(err, ANTT_E_BAD_FORMAT, name, "unit codes have 2, 3 or 5 digits");
        if (o.n < d->min || o.n > d->max)
            return fail(err, ANTT_E_TOO_LONG, name, "length %u is outside %llu..%llu bytes", o.n,
                        (unsigned long long)d->min, (unsigned long long)d->max);
        int rc = check_format(d, name, &o, err);
        if (rc < 0) return rc;
        ev_str_t s = {(const char *)o.p, o.n};
        memcpy(dst, &s, sizeof s);
        return 0;
    }
    case FK_TIME:
    case FK_DEADLINE: {
        int64_t us;
        /* integer milliseconds are a uint (section 3): negative is 206 */
        if (o.type == MP_INT) return fail(err, ANTT_E_OUT_OF_RANGE, name, "must not be negative");
        int rc = ts_from_mp(&o, &us);
        if (rc == -ANTT_E_WRONG_TYPE)
            return fail(err, ANTT_E_WRONG_TYPE, name,
                        "expected a timestamp (ext -1) or integer milliseconds, got %s",
                        type_word(&o));
        if (rc < 0)
            return fail(err, ANTT_E_BAD_TIME, name,
                        "not a valid msgpack timestamp (ext -1 of 4, 8 or 12 bytes)");
        rc = check_time(us, d->kind == FK_TIME ? ANTT_MAX_AHEAD_US : ANTT_MAX_DEADLINE_AHEAD_US,
                        now_us, name, err);
        if (rc < 0) return rc;
        memcpy(dst, &us, sizeof us);
        return 0;
    }
    case FK_ENUM: {
        if (o.type != MP_STR)
            return fail(err, ANTT_E_WRONG_TYPE, name, "expected a string, got %s", type_word(&o));
        int v = ev_enum_parse(d->en, (const char *)o.p, o.n);
        if (v == 0) {
            char q[48];
            const char *qs = quotable(&o, q, sizeof q);
            if (f == EVF_TYPE)
                return fail(err, ANTT_E_UNKNOWN_TYPE, name, "unknown event type%s%s%s",
                            qs ? " \"" : "", qs ? qs : "", qs ? "\"" : "");
            char list[160];
            size_t k = 0;
            for (int i = 1; i < d->en->count && k < sizeof list; i++)
                k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i > 1 ? ", " : "",
                                      d->en->names[i]);
            return fail(err, ANTT_E_BAD_ENUM, name, "%s%s%snot one of: %s", qs ? "\"" : "",
                        qs ? qs : "", qs ? "\" is " : "", list);
        }
        memcpy(dst, &v, sizeof v);
        return 0;
    }
    case FK_ID:
        if (o.type == MP_BIN) {
            if (o.n != 16)
                return fail(err, ANTT_E_BAD_ID, name, "bin id must be 16 bytes, got %u", o.n);
            memcpy(ev->id, o.p, 16);
        } else if (o.type == MP_STR) {
            if (uuid_parse((const char *)o.p, o.n, ev->id) < 0)
                return fail(err, ANTT_E_BAD_ID, name,
                            "string id must be a canonical 36-character UUID");
        } else {
            return fail(err, ANTT_E_BAD_ID, name, "expected 16-byte bin or UUID string, got %s",
                        type_word(&o));
        }
        if (uuid_is_nil(ev->id)) return fail(err, ANTT_E_BAD_ID, name, "the nil UUID");
        return 0;
    }
    return fail(err, ANTT_E_MALFORMED, name, "internal: no reader for this field");
#undef name
}

int dec_next(dec_msg_t *m, ev_t *ev, dec_err_t *err)
{
    if (m->index >= m->count) return 0;
    m->index++;
    memset(ev, 0, sizeof *ev);
    mp_reader_t *r = &m->r;
    const uint8_t *start = r->p;

    mp_obj_t o;
    if (mp_next(r, &o) < 0) goto broken;
    if (o.type != MP_MAP) {
        r->p = start;
        if (mp_skip(r, MP_DEPTH_CAP) < 0) goto broken;
        ev->raw = start;
        ev->raw_len = (uint32_t)(r->p - start);
        return fail(err, ANTT_E_EVENT_NOT_MAP, NULL, "event %u is a %s, not a map", m->index - 1,
                    type_word(&o));
    }
    if (o.n > ANTT_MAX_KEYS) {
        r->p = start;
        if (mp_skip(r, MP_DEPTH_CAP) < 0) goto broken;
        ev->raw = start;
        ev->raw_len = (uint32_t)(r->p - start);
        return fail(err, ANTT_E_EVENT_TOO_LARGE, NULL, "event has %u keys, more than %d", o.n,
                    ANTT_MAX_KEYS);
    }

    dec_err_t first = {0}; /* the first fault met in map order */
    int unknown_type = 0;  /* outranks field faults: the fields may mean something else */
    uint32_t seen = 0;
    for (uint32_t i = 0; i < o.n; i++) {
        mp_obj_t k;
        const uint8_t *kat = r->p;
        if (mp_next(r, &k) < 0) goto broken;
        if (k.type != MP_STR || k.n == 0 || k.n > ANTT_MAX_KEY_BYTES) {
            if (k.type == MP_ARRAY || k.type == MP_MAP) {
                r->p = kat;
                if (mp_skip(r, MP_DEPTH_CAP) < 0) goto broken;
            }
            if (!first.code)
                fail(&first, ANTT_E_BAD_KEY, NULL,
                     "key %u is a %s; keys are strings of 1..%d bytes", i,
                     k.type == MP_STR ? "string of the wrong length" : type_word(&k),
                     ANTT_MAX_KEY_BYTES);
            if (mp_skip(r, MP_DEPTH_CAP) < 0) goto broken;
            continue;
        }
        /* Unknown keys are kept in the stored bytes: even those must be text
         * (valid UTF-8, no control characters), or a log, a terminal or a
         * later parser of antt.events meets them raw. */
        if (utf8_check(k.p, k.n, 0) < 0) {
            if (!first.code)
                fail(&first, ANTT_E_BAD_KEY, NULL,
                     "key %u is not text (invalid UTF-8 or a control character)", i);
            if (mp_skip(r, MP_DEPTH_CAP) < 0) goto broken;
            continue;
        }
        int f = ev_field_lookup((const char *)k.p, k.n);
        if (f < 0) { /* unknown keys are ignored: forward compatibility */
            if (mp_skip(r, MP_DEPTH_CAP) < 0) goto broken;
            continue;
        }
        if (seen & EVB(f)) {
            if (!first.code)
                fail(&first, ANTT_E_DUPLICATE_KEY, ev_field_name((ev_field_t)f),
                     "appears more than once");
            if (mp_skip(r, MP_DEPTH_CAP) < 0) goto broken;
            continue;
        }
        seen |= EVB(f);
        dec_err_t e;
        int rc = read_field(r, f, ev, m->now_us, &e);
        if (rc == -ANTT_E_MALFORMED) goto broken;
        if (rc < 0) {
            if (f == EVF_TYPE && e.code == ANTT_E_UNKNOWN_TYPE) {
                unknown_type = 1;
                *err = e; /* kept aside, ranked below */
            }
            if (!first.code) first = e;
            continue;
        }
        ev->present |= EVB(f);
    }
    ev->raw = start;
    ev->raw_len = (uint32_t)(r->p - start);

    /* Ranking: size, version, unknown type, first field fault, missing,
     * foreign, cross-field. */
    if (ev->raw_len > ANTT_MAX_EVENT_BYTES)
        return fail(err, ANTT_E_EVENT_TOO_LARGE, NULL, "event of %u bytes exceeds %d", ev->raw_len,
                    ANTT_MAX_EVENT_BYTES);
    if ((ev->present & EVB(EVF_V)) && ev->version != ANTT_PROTO_VERSION)
        return fail(err, ANTT_E_VERSION, "v", "version %u is not supported (this is %d)",
                    ev->version, ANTT_PROTO_VERSION);
    if (unknown_type) return -ANTT_E_UNKNOWN_TYPE; /* err already holds it */
    if (first.code) {
        *err = first;
        return -first.code;
    }
    const uint32_t req = ev_required(ev->type), allowed = ev_allowed(ev->type);
    uint32_t missing = req & ~ev->present;
    if (missing) {
        int f = __builtin_ctz(missing);
        return fail(err, ANTT_E_MISSING_FIELD, ev_field_name((ev_field_t)f), "is required%s%s",
                    ev->type ? " for " : "", ev->type ? ev_enum_name(&EV_TYPES, ev->type) : "");
    }
    uint32_t foreign = ev->present & ~allowed;
    if (foreign) {
        int f = __builtin_ctz(foreign);
        return fail(err, ANTT_E_FIELD_NOT_ALLOWED, ev_field_name((ev_field_t)f),
                    "does not belong to %s", ev_enum_name(&EV_TYPES, ev->type));
    }
    if (ev->type == EV_INCIDENT_CORRECTED &&
        !(ev->present & (EVB(EVF_GROUP) | EVB(EVF_SEVERITY) | EVB(EVF_OCCURRED_AT) |
                         EVB(EVF_OCCURRED_UNIT) | EVB(EVF_DEATHS) | EVB(EVF_INJURIES))))
        return fail(err, ANTT_E_NOTHING_TO_CORRECT, NULL,
                    "incident.corrected needs at least one of group, severity, occurred_at, "
                    "occurred_unit, deaths, injuries");
    return 1;

broken:
    /* dec_open's structural pass makes this unreachable; stay safe anyway. */
    fail(err, ANTT_E_MALFORMED, NULL, "event %u is not valid msgpack", m->index - 1);
    m->index = m->count;
    return -ANTT_E_MALFORMED;
}

int dec_node(const dec_msg_t *m, const char **node, size_t *n)
{
    mp_reader_t r = m->r; /* dec_open's structural pass bounds what follows */
    mp_obj_t o;
    if (m->index != 0) return -1;
    /* a batch's reader is already inside its array (dec_open) */
    if (mp_next(&r, &o) < 0 || o.type != MP_MAP) return -1;
    for (uint32_t i = 0, pairs = o.n; i < pairs; i++) {
        mp_obj_t k, v;
        if (mp_next(&r, &k) < 0) return -1;
        const int is_node = k.type == MP_STR && k.n == 4 && !memcmp(k.p, "node", 4);
        if (!is_node) {
            if (mp_skip(&r, ANTT_MAX_DEPTH) < 0) return -1;
            continue;
        }
        if (mp_next(&r, &v) < 0 || v.type != MP_STR) return -1;
        *node = (const char *)v.p;
        *n = v.n;
        return 0;
    }
    return -1;
}

void dec_move(dec_msg_t *m, const void *old_buf, const void *new_buf)
{
    const ptrdiff_t d = (const uint8_t *)new_buf - (const uint8_t *)old_buf;
    m->r.p += d;
    m->r.end += d;
}
