/* ev.c — names and per-type shapes of protocol v1 events. */
#include "proto/ev.h"

#include <string.h>

#define ENUM(var, ...)                                                                             \
    static const char *const var##_NAMES[] = {"", __VA_ARGS__};                                    \
    const ev_enum_t var = {var##_NAMES, (int)(sizeof var##_NAMES / sizeof var##_NAMES[0])}

ENUM(EV_TYPES, "incident.reported", "incident.cleared", "incident.corrected", "incident.voided",
     "tipoff.received", "tipoff.extended", "tipoff.resolved", "tipoff.resumed", "station.quiet",
     "wanted.found", "wanted.withdrawn");
ENUM(EV_SEVERITIES, "less_serious", "serious", "very_serious", "especially_serious");
ENUM(EV_TIPKINDS, "denunciation", "information", "recommendation");
ENUM(EV_SOURCES, "citizen", "agency", "organisation", "media", "procuracy", "police", "other");
ENUM(EV_BASES, "complex", "procuracy");
ENUM(EV_OUTCOMES, "prosecute", "not_prosecute", "suspend", "transfer");
ENUM(EV_HOWS, "arrested", "surrendered");
ENUM(EV_CATEGORIES, "dangerous", "ordinary");

const char *ev_enum_name(const ev_enum_t *e, int v)
{
    return (v > 0 && v < e->count) ? e->names[v] : "";
}

int ev_enum_parse(const ev_enum_t *e, const char *s, size_t n)
{
    if (n == 0) return 0;
    for (int i = 1; i < e->count; i++)
        if (e->names[i][0] == s[0] && strncmp(e->names[i], s, n) == 0 &&
            strlen(e->names[i]) == n) /* strlen only on a match; s may hold a NUL */
            return i;
    return 0;
}

static const char *const FIELD_NAMES[EVF_COUNT] = {
    [EVF_V] = "v",
    [EVF_ID] = "id",
    [EVF_TYPE] = "type",
    [EVF_NODE] = "node",
    [EVF_UNIT] = "unit",
    [EVF_SEQ] = "seq",
    [EVF_TIME] = "time",
    [EVF_CASE] = "case",
    [EVF_REF] = "ref",
    [EVF_GROUP] = "group",
    [EVF_SEVERITY] = "severity",
    [EVF_OCCURRED_AT] = "occurred_at",
    [EVF_OCCURRED_UNIT] = "occurred_unit",
    [EVF_DEATHS] = "deaths",
    [EVF_INJURIES] = "injuries",
    [EVF_SUMMARY] = "summary",
    [EVF_SUSPECTS] = "suspects",
    [EVF_CLEARED_AT] = "cleared_at",
    [EVF_REASON] = "reason",
    [EVF_KIND] = "kind",
    [EVF_SOURCE] = "source",
    [EVF_RECEIVED_AT] = "received_at",
    [EVF_DEADLINE] = "deadline",
    [EVF_BASIS] = "basis",
    [EVF_OUTCOME] = "outcome",
    [EVF_RESOLVED_AT] = "resolved_at",
    [EVF_RESUMED_AT] = "resumed_at",
    [EVF_ISSUER] = "issuer",
    [EVF_HOW] = "how",
    [EVF_CATEGORY] = "category",
    [EVF_FOUND_AT] = "found_at",
    [EVF_WITHDRAWN_AT] = "withdrawn_at",
};

const char *ev_field_name(ev_field_t f)
{
    return (f >= 0 && f < EVF_COUNT) ? FIELD_NAMES[f] : "";
}

/* A hand-made perfect hash on (length, a letter or two), then one check
 * that the whole key matches. The test suite maps every field's name back
 * through here, so a key added to FIELD_NAMES but not below fails it. */
int ev_field_lookup(const char *k, size_t n)
{
    int f;
    if (n == 0) return -1;
    switch (n) {
    case 1: f = EVF_V; break;
    case 2: f = EVF_ID; break;
    case 3: f = k[0] == 's' ? EVF_SEQ : k[0] == 'h' ? EVF_HOW : EVF_REF; break;
    case 4:
        switch (k[0]) {
        case 't': f = k[1] == 'y' ? EVF_TYPE : EVF_TIME; break;
        case 'n': f = EVF_NODE; break;
        case 'u': f = EVF_UNIT; break;
        case 'c': f = EVF_CASE; break;
        case 'k': f = EVF_KIND; break;
        default: return -1;
        }
        break;
    case 5: f = k[0] == 'g' ? EVF_GROUP : EVF_BASIS; break;
    case 6:
        f = k[0] == 'd'   ? EVF_DEATHS
            : k[0] == 'r' ? EVF_REASON
            : k[0] == 'i' ? EVF_ISSUER
                          : EVF_SOURCE;
        break;
    case 7: f = k[0] == 's' ? EVF_SUMMARY : EVF_OUTCOME; break;
    case 8:
        switch (k[0]) {
        case 's': f = k[1] == 'e' ? EVF_SEVERITY : EVF_SUSPECTS; break;
        case 'i': f = EVF_INJURIES; break;
        case 'd': f = EVF_DEADLINE; break;
        case 'c': f = EVF_CATEGORY; break;
        case 'f': f = EVF_FOUND_AT; break;
        default: return -1;
        }
        break;
    case 10: f = k[0] == 'c' ? EVF_CLEARED_AT : EVF_RESUMED_AT; break;
    case 11:
        f = k[0] == 'o'              ? EVF_OCCURRED_AT
            : (n > 2 && k[2] == 'c') ? EVF_RECEIVED_AT
                                     : EVF_RESOLVED_AT;
        break;
    case 12: f = EVF_WITHDRAWN_AT; break;
    case 13: f = EVF_OCCURRED_UNIT; break;
    default: return -1;
    }
    const char *name = FIELD_NAMES[f];
    size_t i = 0; /* keys are short: a loop beats a call to memcmp */
    while (i < n && name[i] && name[i] == k[i])
        i++; /* stops at the name's end */
    return (i == n && name[n] == '\0') ? f : -1;
}

#define ENVELOPE                                                                                   \
    (EVB(EVF_V) | EVB(EVF_ID) | EVB(EVF_TYPE) | EVB(EVF_NODE) | EVB(EVF_UNIT) | EVB(EVF_SEQ) |     \
     EVB(EVF_TIME))

/* Per type: the keys it must carry and the further keys it may carry. */
static const struct {
    uint32_t req, opt;
} SHAPE[EV_TYPE_COUNT] = {
    [EV_INCIDENT_REPORTED] = {EVB(EVF_CASE) | EVB(EVF_GROUP) | EVB(EVF_OCCURRED_AT),
                              EVB(EVF_SEVERITY) | EVB(EVF_OCCURRED_UNIT) | EVB(EVF_DEATHS) |
                                  EVB(EVF_INJURIES) | EVB(EVF_SUMMARY)},
    [EV_INCIDENT_CLEARED] = {EVB(EVF_CASE) | EVB(EVF_CLEARED_AT) | EVB(EVF_SUSPECTS), 0},
    [EV_INCIDENT_CORRECTED] = {EVB(EVF_CASE), EVB(EVF_GROUP) | EVB(EVF_SEVERITY) |
                                                  EVB(EVF_OCCURRED_AT) | EVB(EVF_OCCURRED_UNIT) |
                                                  EVB(EVF_DEATHS) | EVB(EVF_INJURIES) |
                                                  EVB(EVF_REASON)},
    [EV_INCIDENT_VOIDED] = {EVB(EVF_CASE), EVB(EVF_REASON)},
    [EV_TIPOFF_RECEIVED] = {EVB(EVF_REF) | EVB(EVF_KIND) | EVB(EVF_SOURCE) | EVB(EVF_RECEIVED_AT),
                            EVB(EVF_GROUP)},
    [EV_TIPOFF_EXTENDED] = {EVB(EVF_REF) | EVB(EVF_DEADLINE) | EVB(EVF_BASIS), EVB(EVF_REASON)},
    [EV_TIPOFF_RESOLVED] = {EVB(EVF_REF) | EVB(EVF_OUTCOME) | EVB(EVF_RESOLVED_AT),
                            EVB(EVF_REASON)},
    [EV_TIPOFF_RESUMED] = {EVB(EVF_REF) | EVB(EVF_RESUMED_AT), EVB(EVF_DEADLINE) | EVB(EVF_REASON)},
    [EV_STATION_QUIET] = {0, 0}, /* the envelope says it all */
    [EV_WANTED_FOUND] = {EVB(EVF_REF) | EVB(EVF_ISSUER) | EVB(EVF_HOW) | EVB(EVF_CATEGORY) |
                             EVB(EVF_FOUND_AT),
                         0},
    [EV_WANTED_WITHDRAWN] = {EVB(EVF_REF) | EVB(EVF_ISSUER) | EVB(EVF_WITHDRAWN_AT),
                             EVB(EVF_REASON)},
};

uint32_t ev_required(ev_type_t t)
{
    return (t > EV_NONE && t < EV_TYPE_COUNT) ? ENVELOPE | SHAPE[t].req : ENVELOPE;
}

uint32_t ev_allowed(ev_type_t t)
{
    return ev_required(t) | ((t > EV_NONE && t < EV_TYPE_COUNT) ? SHAPE[t].opt : 0);
}
