/* ev.c — names and per-type shapes of protocol v1 events. */
#include "proto/ev.h"

#include <string.h>

#define ENUM(var, ...)                                                                   \
    static const char *const var##_NAMES[] = {"", __VA_ARGS__};                          \
    const ev_enum_t var = {var##_NAMES, (int)(sizeof var##_NAMES / sizeof var##_NAMES[0])}

ENUM(EV_TYPES, "incident.reported", "incident.cleared", "incident.corrected", "incident.voided",
     "tipoff.received", "tipoff.extended", "tipoff.resolved", "tipoff.resumed");
ENUM(EV_SEVERITIES, "less_serious", "serious", "very_serious", "especially_serious");
ENUM(EV_TIPKINDS, "denunciation", "information", "recommendation");
ENUM(EV_SOURCES, "citizen", "agency", "organisation", "media", "procuracy", "police", "other");
ENUM(EV_BASES, "complex", "procuracy");
ENUM(EV_OUTCOMES, "prosecute", "not_prosecute", "suspend", "transfer");

const char *ev_enum_name(const ev_enum_t *e, int v)
{
    return (v > 0 && v < e->count) ? e->names[v] : "";
}

int ev_enum_parse(const ev_enum_t *e, const char *s, size_t n)
{
    for (int i = 1; i < e->count; i++)
        if (strlen(e->names[i]) == n && memcmp(e->names[i], s, n) == 0) return i;
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
};

const char *ev_field_name(ev_field_t f)
{
    return (f >= 0 && f < EVF_COUNT) ? FIELD_NAMES[f] : "";
}

#define ENVELOPE                                                                         \
    (EVB(EVF_V) | EVB(EVF_ID) | EVB(EVF_TYPE) | EVB(EVF_NODE) | EVB(EVF_UNIT) |          \
     EVB(EVF_SEQ) | EVB(EVF_TIME))

/* Per type: the keys it must carry and the further keys it may carry. */
static const struct {
    uint32_t req, opt;
} SHAPE[EV_TYPE_COUNT] = {
    [EV_INCIDENT_REPORTED] = {EVB(EVF_CASE) | EVB(EVF_GROUP) | EVB(EVF_OCCURRED_AT),
                              EVB(EVF_SEVERITY) | EVB(EVF_OCCURRED_UNIT) | EVB(EVF_DEATHS) |
                                  EVB(EVF_INJURIES) | EVB(EVF_SUMMARY)},
    [EV_INCIDENT_CLEARED] = {EVB(EVF_CASE) | EVB(EVF_CLEARED_AT) | EVB(EVF_SUSPECTS), 0},
    [EV_INCIDENT_CORRECTED] = {EVB(EVF_CASE),
                               EVB(EVF_GROUP) | EVB(EVF_SEVERITY) | EVB(EVF_OCCURRED_AT) |
                                   EVB(EVF_OCCURRED_UNIT) | EVB(EVF_DEATHS) |
                                   EVB(EVF_INJURIES) | EVB(EVF_REASON)},
    [EV_INCIDENT_VOIDED] = {EVB(EVF_CASE), EVB(EVF_REASON)},
    [EV_TIPOFF_RECEIVED] = {EVB(EVF_REF) | EVB(EVF_KIND) | EVB(EVF_SOURCE) |
                                EVB(EVF_RECEIVED_AT),
                            EVB(EVF_GROUP)},
    [EV_TIPOFF_EXTENDED] = {EVB(EVF_REF) | EVB(EVF_DEADLINE) | EVB(EVF_BASIS), EVB(EVF_REASON)},
    [EV_TIPOFF_RESOLVED] = {EVB(EVF_REF) | EVB(EVF_OUTCOME) | EVB(EVF_RESOLVED_AT),
                            EVB(EVF_REASON)},
    [EV_TIPOFF_RESUMED] = {EVB(EVF_REF) | EVB(EVF_RESUMED_AT), EVB(EVF_DEADLINE) | EVB(EVF_REASON)},
};

uint32_t ev_required(ev_type_t t)
{
    return (t > EV_NONE && t < EV_TYPE_COUNT) ? ENVELOPE | SHAPE[t].req : ENVELOPE;
}

uint32_t ev_allowed(ev_type_t t)
{
    return ev_required(t) | ((t > EV_NONE && t < EV_TYPE_COUNT) ? SHAPE[t].opt : 0);
}
