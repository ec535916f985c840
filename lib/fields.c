/* fields.c — see fields.h. */
#include "lib/fields.h"

#include "proto/ts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    const char *word;
    int value;
} alias_t;

static const alias_t TYPES[] = {
    {"incident", EV_INCIDENT_REPORTED},
    {"vu-viec", EV_INCIDENT_REPORTED},
    {"clear", EV_INCIDENT_CLEARED},
    {"kham-pha", EV_INCIDENT_CLEARED},
    {"correct", EV_INCIDENT_CORRECTED},
    {"dinh-chinh", EV_INCIDENT_CORRECTED},
    {"void", EV_INCIDENT_VOIDED},
    {"huy", EV_INCIDENT_VOIDED},
    {"tipoff", EV_TIPOFF_RECEIVED},
    {"tiep-nhan", EV_TIPOFF_RECEIVED},
    {"extend", EV_TIPOFF_EXTENDED},
    {"gia-han", EV_TIPOFF_EXTENDED},
    {"resolve", EV_TIPOFF_RESOLVED},
    {"giai-quyet", EV_TIPOFF_RESOLVED},
    {"resume", EV_TIPOFF_RESUMED},
    {"phuc-hoi", EV_TIPOFF_RESUMED},
    {"quiet", EV_STATION_QUIET},
    {"khong-co-vu-viec", EV_STATION_QUIET},
    {"wanted-found", EV_WANTED_FOUND},
    {"bat-truy-na", EV_WANTED_FOUND},
    {"wanted-withdrawn", EV_WANTED_WITHDRAWN},
    {"dinh-na", EV_WANTED_WITHDRAWN},
    {NULL, 0},
};

/* Vietnamese names; each also matches written with diacritics and spaces,
 * which fold() reduces to this form. */
static const alias_t SEVERITY[] = {{"it-nghiem-trong", SEV_LESS_SERIOUS},
                                   {"nghiem-trong", SEV_SERIOUS},
                                   {"rat-nghiem-trong", SEV_VERY_SERIOUS},
                                   {"dac-biet-nghiem-trong", SEV_ESPECIALLY_SERIOUS},
                                   {NULL, 0}};
static const alias_t KIND[] = {{"to-giac", TIPKIND_DENUNCIATION},
                               {"tin-bao", TIPKIND_INFORMATION},
                               {"kien-nghi-khoi-to", TIPKIND_RECOMMENDATION},
                               {"kien-nghi", TIPKIND_RECOMMENDATION},
                               {NULL, 0}};
static const alias_t SOURCE[] = {{"cong-dan", SRC_CITIZEN},
                                 {"co-quan", SRC_AGENCY},
                                 {"to-chuc", SRC_ORGANISATION},
                                 {"bao-chi", SRC_MEDIA},
                                 {"vien-kiem-sat", SRC_PROCURACY},
                                 {"cong-an", SRC_POLICE},
                                 {"khac", SRC_OTHER},
                                 {NULL, 0}};
static const alias_t BASIS[] = {
    {"phuc-tap", BASIS_COMPLEX}, {"vien-kiem-sat", BASIS_PROCURACY}, {NULL, 0}};
static const alias_t HOW[] = {{"bat-giu", HOW_ARRESTED},
                              {"dau-thu", HOW_SURRENDERED},
                              {"van-dong-dau-thu", HOW_SURRENDERED},
                              {NULL, 0}};
static const alias_t CATEGORY[] = {
    {"dac-biet-nguy-hiem", CAT_DANGEROUS}, {"thuong", CAT_ORDINARY}, {NULL, 0}};
static const alias_t OUTCOME[] = {{"khoi-to", OUT_PROSECUTE},
                                  {"khong-khoi-to", OUT_NOT_PROSECUTE},
                                  {"tam-dinh-chi", OUT_SUSPEND},
                                  {"chuyen", OUT_TRANSFER},
                                  {NULL, 0}};

const char *fields_type_help(void)
{
    return "incident (vu-viec), clear (kham-pha), correct (dinh-chinh), void (huy), "
           "tipoff (tiep-nhan), extend (gia-han), resolve (giai-quyet), resume (phuc-hoi), "
           "quiet (khong-co-vu-viec), wanted-found (bat-truy-na), wanted-withdrawn (dinh-na)";
}

/* Vietnamese letters with diacritics (UTF-8) to their base letter; spaces
 * and underscores to '-'; ASCII lower-cased. "Nghiêm trọng" -> "nghiem-trong". */
static void fold(const char *in, char *out, size_t cap)
{
    static const char *const GROUPS[] = {
        "a", "àáảãạăằắẳẵặâầấẩẫậÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ",
        "e", "èéẻẽẹêềếểễệÈÉẺẼẸÊỀẾỂỄỆ",
        "i", "ìíỉĩịÌÍỈĨỊ",
        "o", "òóỏõọôồốổỗộơờớởỡợÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ",
        "u", "ùúủũụưừứửữựÙÚỦŨỤƯỪỨỬỮỰ",
        "y", "ỳýỷỹỵỲÝỶỸỴ",
        "d", "đĐ",
    };
    size_t o = 0;
    for (const char *p = in; *p && o + 1 < cap;) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x80) {
            out[o++] = (c == ' ' || c == '_')   ? '-'
                       : (c >= 'A' && c <= 'Z') ? (char)(c + 32)
                                                : (char)c;
            p++;
            continue;
        }
        size_t n = (c >= 0xf0) ? 4 : (c >= 0xe0) ? 3 : 2;
        char base = '?';
        for (size_t g = 0; g < sizeof GROUPS / sizeof GROUPS[0]; g += 2) {
            const char *set = GROUPS[g + 1];
            for (const char *q = set; *q;) {
                size_t m = ((unsigned char)*q >= 0xe0) ? 3 : 2;
                if (m == n && !strncmp(q, p, n)) base = GROUPS[g][0];
                q += m;
            }
        }
        out[o++] = base;
        for (size_t k = 0; k < n && *p; k++)
            p++;
    }
    out[o] = '\0';
}

static int lookup(const alias_t *t, const char *word)
{
    for (; t->word; t++)
        if (!strcmp(t->word, word)) return t->value;
    return 0;
}

ev_type_t fields_type(const char *word)
{
    char f[64];
    fold(word, f, sizeof f);
    int t = lookup(TYPES, f);
    if (t) return (ev_type_t)t;
    return (ev_type_t)ev_enum_parse(&EV_TYPES, word, strlen(word));
}

int fields_time(const char *s, int64_t *us)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) return -1;
    /* A checked date: 2023-02-31 is refused, never rolled over into March. */
    if (mo < 1 || mo > 12 || d < 1 || d > ts_days_in_month(y, mo)) return -1;
    const char *p = s + 10;
    int64_t frac_us = 0, off_s = 7 * 3600; /* a date alone: midnight in Hanoi */
    if (*p == 'T' || *p == ' ') {
        int m2 = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &m2) != 2 || m2 != 5) return -1;
        p += 1 + m2;
        if (*p == ':') {
            if (sscanf(p + 1, "%2d%n", &sec, &m2) != 1 || m2 != 2) return -1;
            p += 3;
            if (*p == '.') {
                int64_t scale = 100000;
                for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
                    if (scale) frac_us += (*p - '0') * scale;
            }
        }
        if (*p == 'Z' || *p == 'z') {
            off_s = 0;
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om;
            if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &m2) != 2 || m2 != 5) return -1;
            off_s = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
            p += 6;
        } else {
            return -1; /* a time needs its offset: no guessing */
        }
    }
    if (*p || h > 23 || mi > 59 || sec > 60) return -1;
    int64_t t = (int64_t)ts_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off_s;
    *us = t * 1000000 + frac_us;
    return 0;
}

static const char *keep(fields_buf_t *b, const char *s, size_t n)
{
    if (b->used + n + 1 > sizeof b->data) return NULL;
    char *d = b->data + b->used;
    memcpy(d, s, n);
    d[n] = '\0';
    b->used += n + 1;
    return d;
}

int fields_is_number(const char *key)
{
    return !strcmp(key, "deaths") || !strcmp(key, "injuries") || !strcmp(key, "suspects");
}

int fields_set(ev_t *ev, fields_buf_t *buf, const char *key, const char *text, char *err,
               size_t errlen)
{
    int f = ev_field_lookup(key, strlen(key));
    if (f < 0) {
        snprintf(err, errlen, "%s: not a field of protocol v1", key);
        return -1;
    }
    switch (f) {
    case EVF_V:
    case EVF_ID:
    case EVF_NODE:
    case EVF_SEQ:
    case EVF_TYPE: snprintf(err, errlen, "%s: set by antt, not by the caller", key); return -1;
    default: break;
    }
    ev_str_t *str = NULL;
    int64_t *t = NULL;
    uint32_t *num = NULL;
    const alias_t *aliases = NULL;
    const ev_enum_t *en = NULL;
    int *ev_enum = NULL;
    switch (f) {
    case EVF_UNIT: str = &ev->unit; break;
    case EVF_CASE:
    case EVF_REF: str = &ev->ref; break;
    case EVF_GROUP: str = &ev->group; break;
    case EVF_OCCURRED_UNIT: str = &ev->occurred_unit; break;
    case EVF_SUMMARY: str = &ev->summary; break;
    case EVF_REASON: str = &ev->reason; break;
    case EVF_ISSUER: str = &ev->issuer; break;
    case EVF_TIME: t = &ev->time_us; break;
    case EVF_OCCURRED_AT: t = &ev->occurred_us; break;
    case EVF_CLEARED_AT:
    case EVF_RECEIVED_AT:
    case EVF_RESOLVED_AT:
    case EVF_RESUMED_AT:
    case EVF_FOUND_AT:
    case EVF_WITHDRAWN_AT: t = &ev->at_us; break;
    case EVF_DEADLINE: t = &ev->deadline_us; break;
    case EVF_DEATHS: num = &ev->deaths; break;
    case EVF_INJURIES: num = &ev->injuries; break;
    case EVF_SUSPECTS: num = &ev->suspects; break;
    case EVF_SEVERITY:
        aliases = SEVERITY, en = &EV_SEVERITIES, ev_enum = (int *)&ev->severity;
        break;
    case EVF_KIND: aliases = KIND, en = &EV_TIPKINDS, ev_enum = (int *)&ev->kind; break;
    case EVF_SOURCE: aliases = SOURCE, en = &EV_SOURCES, ev_enum = (int *)&ev->source; break;
    case EVF_BASIS: aliases = BASIS, en = &EV_BASES, ev_enum = (int *)&ev->basis; break;
    case EVF_OUTCOME: aliases = OUTCOME, en = &EV_OUTCOMES, ev_enum = (int *)&ev->outcome; break;
    case EVF_HOW: aliases = HOW, en = &EV_HOWS, ev_enum = (int *)&ev->how; break;
    case EVF_CATEGORY:
        aliases = CATEGORY, en = &EV_CATEGORIES, ev_enum = (int *)&ev->category;
        break;
    default: snprintf(err, errlen, "%s: not settable", key); return -1;
    }
    if (str) {
        const char *k = keep(buf, text, strlen(text));
        if (!k) {
            snprintf(err, errlen, "%s: the event's text is too long", key);
            return -1;
        }
        *str = ev_cstr(k);
    } else if (t) {
        if (fields_time(text, t) < 0) {
            snprintf(err, errlen,
                     "%s: '%s' is not a time (2023-06-13T10:00:00+07:00, ...Z, or 2023-06-13)", key,
                     text);
            return -1;
        }
    } else if (num) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(text, &end, 10);
        if (!*text || *end || errno || v > ANTT_MAX_PEOPLE || text[0] == '-') {
            snprintf(err, errlen, "%s: '%s' is not a count (0..%d)", key, text, ANTT_MAX_PEOPLE);
            return -1;
        }
        *num = (uint32_t)v;
    } else {
        char folded[128];
        fold(text, folded, sizeof folded);
        int v = lookup(aliases, folded);
        if (!v) v = ev_enum_parse(en, text, strlen(text));
        if (!v) {
            snprintf(err, errlen, "%s: '%s' is not one of the names of PROTOCOL.md section 6", key,
                     text);
            return -1;
        }
        *ev_enum = v;
    }
    ev->present |= EVB(f);
    return 0;
}

const char *fields_type_words(ev_type_t t)
{
    static char buf[EV_TYPE_COUNT][48];
    if (t <= EV_NONE || t >= EV_TYPE_COUNT) return "";
    if (!buf[t][0]) {
        size_t o = 0;
        for (const alias_t *a = TYPES; a->word; a++)
            if (a->value == (int)t && o < sizeof buf[t])
                o += (size_t)snprintf(buf[t] + o, sizeof buf[t] - o, "%s%s", o ? " / " : "",
                                      a->word);
    }
    return buf[t];
}

/* "less_serious (it-nghiem-trong), serious (nghiem-trong), ..." */
static void enum_list(const ev_enum_t *en, const alias_t *aliases, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (int v = 1; v < en->count && o < cap; v++) {
        o += (size_t)snprintf(out + o, cap - o, "%s%s", v > 1 ? ", " : "", ev_enum_name(en, v));
        int first = 1;
        for (const alias_t *a = aliases; a->word && o < cap; a++)
            if (a->value == v) {
                o += (size_t)snprintf(out + o, cap - o, "%s%s", first ? " (" : " / ", a->word);
                first = 0;
            }
        if (!first && o < cap) o += (size_t)snprintf(out + o, cap - o, ")");
    }
}

const char *fields_describe(ev_type_t t, ev_field_t f, const char **metavar, char *buf, size_t cap)
{
    const int wanted = t == EV_WANTED_FOUND || t == EV_WANTED_WITHDRAWN;
    *metavar = "TEXT";
    switch (f) {
    case EVF_UNIT: *metavar = "CODE"; return "the reporting unit's code (antt.units)";
    case EVF_OCCURRED_UNIT:
        *metavar = "CODE";
        return "the unit where it occurred, when not the reporting unit";
    case EVF_CASE: *metavar = "REF"; return "the case reference, unique within the unit";
    case EVF_REF:
        *metavar = "REF";
        /* antt.wanted's key is (issuer, ref); a tip-off's is (unit, ref) */
        return wanted ? "the wanted notice's number, unique per issuing unit (--issuer)"
                      : "the tip-off's reference, unique within its unit";
    case EVF_ISSUER: *metavar = "CODE"; return "the unit that issued the wanted notice";
    case EVF_GROUP:
        *metavar = "SLUG";
        return "the crime group or incident kind (data/crime_groups.csv)";
    case EVF_SUMMARY: return "a short description";
    case EVF_REASON: return "why";
    case EVF_TIME:
    case EVF_OCCURRED_AT:
    case EVF_CLEARED_AT:
    case EVF_RECEIVED_AT:
    case EVF_RESOLVED_AT:
    case EVF_RESUMED_AT:
    case EVF_FOUND_AT:
    case EVF_WITHDRAWN_AT:
    case EVF_DEADLINE:
        *metavar = "TIME";
        return f == EVF_TIME ? "when the event was recorded (default: now)"
                             : "RFC 3339 (2023-06-13T10:00:00+07:00) or a date (Hanoi midnight)";
    case EVF_DEATHS:
    case EVF_INJURIES:
    case EVF_SUSPECTS:
        *metavar = "N";
        snprintf(buf, cap, "a count, 0..%d", ANTT_MAX_PEOPLE);
        return buf;
    case EVF_SEVERITY:
        *metavar = "NAME";
        enum_list(&EV_SEVERITIES, SEVERITY, buf, cap);
        return buf;
    case EVF_KIND:
        *metavar = "NAME";
        enum_list(&EV_TIPKINDS, KIND, buf, cap);
        return buf;
    case EVF_SOURCE:
        *metavar = "NAME";
        enum_list(&EV_SOURCES, SOURCE, buf, cap);
        return buf;
    case EVF_BASIS:
        *metavar = "NAME";
        enum_list(&EV_BASES, BASIS, buf, cap);
        return buf;
    case EVF_OUTCOME:
        *metavar = "NAME";
        enum_list(&EV_OUTCOMES, OUTCOME, buf, cap);
        return buf;
    case EVF_HOW:
        *metavar = "NAME";
        enum_list(&EV_HOWS, HOW, buf, cap);
        return buf;
    case EVF_CATEGORY:
        *metavar = "NAME";
        enum_list(&EV_CATEGORIES, CATEGORY, buf, cap);
        return buf;
    default: return "";
    }
}

int fields_settable(ev_field_t f)
{
    return f != EVF_V && f != EVF_ID && f != EVF_NODE && f != EVF_SEQ && f != EVF_TYPE;
}
