/* param.c — see param.h. */
#include "web/param.h"

#include "proto/ts.h"
#include "proto/utf8.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Every parameter a question may take; an endpoint allows and needs a set
 * of them (bits of this table). */
enum {
    P_UNIT = 1u << 0,
    P_FROM = 1u << 1,
    P_TO = 1u << 2,
    P_CFROM = 1u << 3,
    P_CTO = 1u << 4,
    P_Q = 1u << 5,
    P_LANG = 1u << 6,
    P_FORMAT = 1u << 7,
    P_YEAR = 1u << 8,
    P_CMP = 1u << 9,
    P_WITHIN = 1u << 10,
    P_STAT = 1u << 11,
    P_PART = 1u << 12,
};

static const struct {
    const char *name;
    unsigned bit;
} NAMES[] = {
    {"unit", P_UNIT}, {"from", P_FROM}, {"to", P_TO},         {"cfrom", P_CFROM},
    {"cto", P_CTO},   {"q", P_Q},       {"lang", P_LANG},     {"format", P_FORMAT},
    {"year", P_YEAR}, {"cmp", P_CMP},   {"within", P_WITHIN}, {"stat", P_STAT},
    {"part", P_PART},
};

#define PERIOD (P_UNIT | P_FROM | P_TO)
/* every question's answer is also a file (web/export.h): format=csv|json */
#define FILE_ P_FORMAT

static const struct {
    const char *endpoint;
    unsigned allowed, needed;
} ENDPOINTS[] = {
    {"me", 0, 0},
    {"events", 0, 0},
    {"units", P_Q | FILE_, 0},
    {"overview", PERIOD | P_CFROM | P_CTO | FILE_, PERIOD},
    {"children", PERIOD | FILE_, PERIOD},
    {"months", PERIOD | FILE_, PERIOD},
    {"overdue", PERIOD | FILE_, PERIOD},
    {"tipoffs", PERIOD | P_WITHIN | P_PART | FILE_, PERIOD},
    {"stations", P_UNIT | FILE_, P_UNIT},
    {"report", P_UNIT | P_YEAR | P_CMP | P_LANG | P_STAT | P_FORMAT, P_UNIT | P_YEAR},
};

static int endpoint_index(const char *endpoint)
{
    for (size_t i = 0; i < sizeof ENDPOINTS / sizeof ENDPOINTS[0]; i++)
        if (!strcmp(ENDPOINTS[i].endpoint, endpoint)) return (int)i;
    return -1;
}

int param_known(const char *endpoint)
{
    return endpoint_index(endpoint) >= 0;
}

const char *param_name(size_t i)
{
    return i < sizeof NAMES / sizeof NAMES[0] ? NAMES[i].name : NULL;
}

int param_takes(const char *endpoint, const char *name)
{
    const int e = endpoint_index(endpoint);
    for (size_t i = 0; e >= 0 && i < sizeof NAMES / sizeof NAMES[0]; i++)
        if (!strcmp(NAMES[i].name, name))
            return ENDPOINTS[e].needed & NAMES[i].bit    ? 2
                   : ENDPOINTS[e].allowed & NAMES[i].bit ? 1
                                                         : 0;
    return 0;
}

/* A whole decimal number in [min, max], digits only (no sign, no spaces,
 * no leading '+', at most 9 digits so it cannot overflow). */
static int whole_int(const char *v, size_t n, int min, int max, int *out)
{
    if (!n || n > 9) return -1;
    long x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') return -1;
        x = x * 10 + (v[i] - '0');
    }
    if (x < min || x > max) return -1;
    *out = (int)x;
    return 0;
}

static int one_of(const char *v, size_t n, const char *const *words)
{
    for (; *words; words++)
        if (strlen(*words) == n && !memcmp(v, *words, n)) return 1;
    return 0;
}

/* The number of the n digits at d (checked digits). */
static int digits(const char *d, int n)
{
    int x = 0;
    for (int i = 0; i < n; i++)
        x = x * 10 + (d[i] - '0');
    return x;
}

int param_day_valid(const char *d, size_t n)
{
    if (n != 10 || d[4] != '-' || d[7] != '-') return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9')) return 0;
    const int y = digits(d, 4), m = digits(d + 5, 2), dd = digits(d + 8, 2);
    return y >= 1900 && m >= 1 && m <= 12 && dd >= 1 && dd <= ts_days_in_month(y, m);
}

long param_day_number(const char *d)
{
    return ts_days_from_civil(digits(d, 4), digits(d + 5, 2), digits(d + 8, 2));
}

int param_unit_valid(const char *u, size_t n)
{
    if (n == 3 && !memcmp(u, "all", 3)) return 1; /* the whole country */
    if (n > 6 && !memcmp(u, "group:", 6)) {
        if (n - 6 > 32) return 0;
        for (size_t i = 6; i < n; i++) {
            const char c = u[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-'))
                return 0;
        }
        return 1;
    }
    if (n != 2 && n != 3 && n != 5) return 0;
    for (size_t i = 0; i < n; i++)
        if (u[i] < '0' || u[i] > '9') return 0;
    return 1;
}

static void copy(char *out, const char *v, size_t n)
{
    memcpy(out, v, n);
    out[n] = '\0';
}

int param_take(param_t *p, const char *endpoint, const char *key, size_t klen, const char *val,
               size_t vlen, char *why, size_t whylen)
{
    const int e = endpoint_index(endpoint);
    unsigned bit = 0;
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0] && !bit; i++)
        if (strlen(NAMES[i].name) == klen && !memcmp(NAMES[i].name, key, klen)) bit = NAMES[i].bit;
    /* the name as printable as it came, for the message */
    const int kshow = utf8_check((const uint8_t *)key, klen, 0) == 0 && klen <= 32;
    if (e < 0 || !bit || !(ENDPOINTS[e].allowed & bit)) {
        snprintf(why, whylen, "unknown parameter %s%.*s%s for %s", kshow ? "'" : "",
                 kshow ? (int)klen : 0, key, kshow ? "'" : "(unprintable)", endpoint);
        return -1;
    }
    const char *name = key; /* known, hence printable */
    const int nlen = (int)klen;
    if (p->seen & bit) {
        snprintf(why, whylen, "%.*s: given twice", nlen, name);
        return -1;
    }
    p->seen |= bit;
    if (!val) val = "", vlen = 0;
    if (memchr(val, '\0', vlen)) {
        snprintf(why, whylen, "%.*s: a NUL inside the value", nlen, name);
        return -1;
    }
    static const char *const LANGS[] = {"vi", "en", NULL};
    static const char *const FORMATS[] = {"text", "csv", "json", NULL};
    static const char *const BITS[] = {"0", "1", NULL};
    /* the tip-offs answer's lists (web/export.c) */
    static const char *const PARTS[] = {"overdue", "due", "times", NULL};
    const char *need = NULL;
    switch (bit) {
    case P_UNIT:
        if (!param_unit_valid(val, vlen))
            need = "a unit code, group:NAME or all";
        else
            copy(p->unit, val, vlen);
        break;
    case P_FROM:
    case P_TO:
    case P_CFROM:
    case P_CTO:
        if (!param_day_valid(val, vlen))
            need = "a real day, YYYY-MM-DD";
        else
            copy(bit == P_FROM    ? p->from
                 : bit == P_TO    ? p->to
                 : bit == P_CFROM ? p->cfrom
                                  : p->cto,
                 val, vlen);
        break;
    case P_Q:
        if (vlen > PARAM_Q_MAX)
            need = "at most 64 bytes";
        else if (utf8_check((const uint8_t *)val, vlen, 0))
            need = "UTF-8 text";
        else
            copy(p->q, val, vlen);
        break;
    case P_LANG:
        if (!one_of(val, vlen, LANGS))
            need = "vi or en";
        else
            copy(p->lang, val, vlen);
        break;
    case P_FORMAT:
        if (!one_of(val, vlen, FORMATS))
            need = "text, csv or json";
        else
            copy(p->format, val, vlen);
        break;
    case P_YEAR:
        if (whole_int(val, vlen, 2000, 2100, &p->year)) need = "a year, 2000 to 2100";
        break;
    case P_CMP:
        if (whole_int(val, vlen, 2000, 2100, &p->cmp)) need = "a year, 2000 to 2100";
        break;
    case P_WITHIN:
        if (whole_int(val, vlen, 1, 366, &p->within)) need = "days, 1 to 366";
        break;
    case P_STAT:
        if (!one_of(val, vlen, BITS))
            need = "0 or 1";
        else
            p->stat = val[0] == '1';
        break;
    case P_PART:
        if (!one_of(val, vlen, PARTS))
            need = "overdue, due or times";
        else
            copy(p->part, val, vlen);
        break;
    }
    if (need) {
        snprintf(why, whylen, "%.*s: %s", nlen, name, need);
        return -1;
    }
    return 0;
}

/* from < to, at most ten years apart (a month-by-month answer of a
 * thousand years would be a way to make the server work for nothing). */
static int period_ok(const char *from, const char *to)
{
    const long f = param_day_number(from), t = param_day_number(to);
    return t > f && t - f <= 3660;
}

int param_finish(const param_t *p, const char *endpoint, char *why, size_t whylen)
{
    const int e = endpoint_index(endpoint);
    if (e < 0) {
        snprintf(why, whylen, "no such question");
        return -1;
    }
    const unsigned missing = ENDPOINTS[e].needed & ~p->seen;
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
        if (missing & NAMES[i].bit) {
            snprintf(why, whylen, "%s: missing", NAMES[i].name);
            return -1;
        }
    if ((ENDPOINTS[e].needed & P_FROM) && !period_ok(p->from, p->to)) {
        snprintf(why, whylen, "from before to, at most ten years apart");
        return -1;
    }
    /* text is the year-end report's alone; the questions answer data */
    if (!strcmp(p->format, "text") && strcmp(endpoint, "report")) {
        snprintf(why, whylen, "format: csv or json");
        return -1;
    }
    const unsigned cmp = p->seen & (P_CFROM | P_CTO);
    if (cmp && (cmp != (P_CFROM | P_CTO) || !period_ok(p->cfrom, p->cto))) {
        snprintf(why, whylen, "cfrom and cto: both, cfrom before cto, at most ten years apart");
        return -1;
    }
    return 0;
}

/* ---- the login form ----------------------------------------------------- */

enum { F_NAME = 1u << 0, F_PASSWORD = 1u << 1 };

int param_login_take(param_login_t *f, const char *key, const char *data, uint64_t off, size_t size)
{
    if (f->bad) return -1;
    const unsigned bit = !strcmp(key, "name") ? F_NAME : !strcmp(key, "password") ? F_PASSWORD : 0;
    char *out = bit == F_NAME ? f->name : f->password;
    size_t *len = bit == F_NAME ? &f->name_len : &f->password_len;
    const size_t cap = bit == F_NAME ? PARAM_NAME_MAX : PARAM_PASSWORD_MAX;
    /* a field begins at offset 0; a piece past it goes on the field begun
     * last, where it stopped */
    const int fresh = off == 0;
    if (!bit || (fresh && (f->seen & bit)) /* twice: which one would a proxy have read? */
        || (!fresh && (f->last != bit || off != *len)) || (size && !data) ||
        (size && memchr(data, '\0', size)) || size > cap - *len) {
        f->bad = 1;
        return -1;
    }
    f->seen |= bit;
    f->last = bit;
    if (size) memcpy(out + *len, data, size);
    *len += size;
    out[*len] = '\0';
    return 0;
}

int param_login_finish(const param_login_t *f)
{
    return !f->bad && f->seen == (F_NAME | F_PASSWORD) && f->name_len >= 1 &&
                   f->password_len >= 1 && utf8_check((const uint8_t *)f->name, f->name_len, 0) == 0
               ? 0
               : -1;
}

/* ---- the client's address ----------------------------------------------- */

int param_forwarded_for(const char *value, size_t len, char out[64])
{
    if (!value) return -1;
    size_t start = len;
    while (start > 0 && value[start - 1] != ',')
        start--;
    while (start < len && (value[start] == ' ' || value[start] == '\t'))
        start++;
    size_t end = len;
    while (end > start && (value[end - 1] == ' ' || value[end - 1] == '\t'))
        end--;
    char hop[64];
    if (end == start || end - start >= sizeof hop) return -1;
    memcpy(hop, value + start, end - start);
    hop[end - start] = '\0';
    if (memchr(hop, '\0', end - start)) return -1;
    uint8_t a[16];
    /* written back from the binary form: one spelling per address, so the
     * throttle cannot be dodged by writing it another way */
    if (inet_pton(AF_INET, hop, a) == 1) return inet_ntop(AF_INET, a, out, 64) ? 0 : -1;
    if (inet_pton(AF_INET6, hop, a) == 1) return inet_ntop(AF_INET6, a, out, 64) ? 0 : -1;
    return -1;
}
