/* ledger.c — state transitions and tally deltas (see ledger.h). */
#include "rules/ledger.h"

#include "proto/ts.h"

#include "proto/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const METRIC_NAMES[M_COUNT] = {
    [M_INCIDENTS] = "incidents",
    [M_DEATHS] = "deaths",
    [M_INJURIES] = "injuries",
    [M_CLEARED] = "cleared",
    [M_SUSPECTS] = "suspects",
    [M_TIP_RECEIVED] = "tipoffs_received",
    [M_TIP_RESOLVED] = "tipoffs_resolved",
    [M_TIP_PROSECUTED] = "tipoffs_prosecuted",
    [M_TIP_SUSPENDED] = "tipoffs_suspended",
    [M_TIP_TRANSFERRED] = "tipoffs_transferred",
    [M_TIP_RESUMED] = "tipoffs_resumed",
    [M_TIP_EXTENDED] = "tipoffs_extended",
    [M_WANTED_FOUND] = "wanted_found",
    [M_WANTED_DANGEROUS] = "wanted_dangerous",
    [M_WANTED_WITHDRAWN] = "wanted_withdrawn",
};

const char *ledger_metric_name(metric_t m)
{
    return (m >= 0 && m < M_COUNT) ? METRIC_NAMES[m] : "";
}

static const char *const TIP_STATUS[] = {"", "pending", "resolved", "suspended", "transferred"};

const char *ledger_tip_status_name(tip_status_t s)
{
    return (s > TIP_NONE && s <= TIP_TRANSFERRED) ? TIP_STATUS[s] : "";
}

tip_status_t ledger_tip_status_parse(const char *s)
{
    for (int i = TIP_PENDING; i <= TIP_TRANSFERRED; i++)
        if (!strcmp(TIP_STATUS[i], s)) return (tip_status_t)i;
    return TIP_NONE;
}

int32_t ledger_day(const ledger_cfg_t *cfg, int64_t us)
{
    const int64_t day_us = 86400LL * 1000000;
    int64_t local = us + cfg->utc_offset_us;
    int64_t d = local / day_us;
    if (local % day_us < 0) d--; /* floor, for instants before 1970 */
    return (int32_t)d;
}

static int verdict(verdict_t *v, ack_status_t status, int code, const char *field, const char *fmt,
                   ...) __attribute__((format(printf, 5, 6)));

static int verdict(verdict_t *v, ack_status_t status, int code, const char *field, const char *fmt,
                   ...)
{
    v->status = status;
    v->code = code;
    v->field = field;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->msg, sizeof v->msg, fmt, ap);
    va_end(ap);
    return -code;
}

/* Copy a borrowed string into a fixed buffer (lengths are bounded by the decoder). */
static void put(char *dst, size_t cap, ev_str_t s)
{
    size_t n = s.n < cap - 1 ? s.n : cap - 1;
    if (n) memcpy(dst, s.p, n);
    dst[n] = '\0';
}

/* An event about a case or tip-off that is not (yet) there: the report may
 * still be on its way from an offline station, so ask the node to resend
 * later — unless the event is too old for that to be plausible. */
static int orphan(const ledger_cfg_t *cfg, const ev_t *ev, int64_t now_us, int code,
                  const char *field, verdict_t *v)
{
    const int young = now_us - ev->time_us < cfg->orphan_max_age_us;
    return verdict(v, young ? ACK_DEFERRED : ACK_REJECTED, code, field, "%s %.*s is not known%s",
                   code == ANTT_E_UNKNOWN_CASE ? "case" : "tip-off", (int)ev->ref.n, ev->ref.p,
                   young ? "; resend after its report" : "");
}

/* ---- incidents --------------------------------------------------------- */

static void emit_key(ledger_emit_fn emit, void *ctx, const char *unit, int32_t day, metric_t m,
                     const char *grp, ev_severity_t sev, int64_t delta)
{
    if (delta == 0) return;
    tally_key_t k;
    memset(&k, 0, sizeof k);
    snprintf(k.unit, sizeof k.unit, "%s", unit);
    k.day = day;
    k.metric = m;
    snprintf(k.grp, sizeof k.grp, "%s", grp);
    k.severity = sev;
    emit(ctx, &k, delta);
}

/* Where a tally of unit `code` dated `day` counts (ledger_cfg_t.heir): 0,
 * or -1 when no unit carried the code that day. */
static int place(const ledger_cfg_t *cfg, const char *code, int32_t since, int32_t day,
                 const char *prefer, char out[LEDGER_UNIT_CAP])
{
    if (!cfg->heir) {
        snprintf(out, LEDGER_UNIT_CAP, "%s", code);
        return 0;
    }
    return cfg->heir(cfg->heir_ctx, code, since, day, prefer, out);
}

/* 300 for a tally that would land in a unit on a day no unit carried it. */
static int not_then(verdict_t *v, const char *field, const char *code, int32_t day)
{
    const time_t t = (time_t)day * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    return verdict(v, ACK_REJECTED, ANTT_E_UNKNOWN_UNIT, field,
                   "unit %s did not exist on %04d-%02d-%02d: name the unit of that day", code,
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* What a case in state st adds to the tallies, times sign. The occurrence
 * counts where it happened (a unit valid that day: admission and
 * ledger_incident see to it); the clearance where st->cleared_unit says. */
static void contrib(const ledger_cfg_t *cfg, const inc_state_t *st, int sign, ledger_emit_fn emit,
                    void *ctx)
{
    if (!st->exists || st->voided_us) return;
    const int32_t occ = ledger_day(cfg, st->occurred_us);
    char at[LEDGER_UNIT_CAP];
    if (place(cfg, st->occurred_unit, occ, occ, NULL, at) < 0)
        snprintf(at, sizeof at, "%s", st->occurred_unit);
    emit_key(emit, ctx, at, occ, M_INCIDENTS, st->grp, st->severity, sign);
    emit_key(emit, ctx, at, occ, M_DEATHS, st->grp, st->severity, sign * (int64_t)st->deaths);
    emit_key(emit, ctx, at, occ, M_INJURIES, st->grp, st->severity, sign * (int64_t)st->injuries);
    if (st->cleared_us) {
        const int32_t clr = ledger_day(cfg, st->cleared_us);
        const char *cu = st->cleared_unit[0] ? st->cleared_unit : st->occurred_unit;
        emit_key(emit, ctx, cu, clr, M_CLEARED, st->grp, st->severity, sign);
        emit_key(emit, ctx, cu, clr, M_SUSPECTS, st->grp, st->severity,
                 sign * (int64_t)st->suspects);
    }
}

/* Settle where next's counts land: its occurrence in a unit of that day,
 * its clearance at the occurrence's unit or, dissolved by then, its heir
 * (the clearing node's unit when that is a successor; prefer). */
static int settle(const ledger_cfg_t *cfg, inc_state_t *next, const char *prefer, verdict_t *v)
{
    char at[LEDGER_UNIT_CAP];
    const int32_t occ = ledger_day(cfg, next->occurred_us);
    if (place(cfg, next->occurred_unit, occ, occ, NULL, at) < 0)
        return not_then(v, "occurred_at", next->occurred_unit, occ);
    if (next->cleared_us) {
        const int32_t clr = ledger_day(cfg, next->cleared_us);
        if (place(cfg, next->occurred_unit, occ, clr, prefer, next->cleared_unit) < 0)
            return not_then(v, "cleared_at", next->occurred_unit, clr);
    }
    return 0;
}

static int crime_without_severity(const ledger_cfg_t *cfg, const inc_state_t *st)
{
    return st->severity == SEV_NONE && cfg->is_crime && cfg->is_crime(cfg->is_crime_ctx, st->grp);
}

int ledger_incident(const ledger_cfg_t *cfg, inc_state_t *st, const ev_t *ev, int64_t now_us,
                    ledger_emit_fn emit, void *ctx, verdict_t *v)
{
    inc_state_t next = *st;
    const uint32_t has = ev->present;
    /* the clearance's unit, once settled, moves only with the place */
    const char *prefer = st->cleared_unit[0] ? st->cleared_unit : NULL;
    int rc;

    if (ev->type == EV_INCIDENT_REPORTED) {
        if (st->exists)
            return verdict(v, ACK_REJECTED, ANTT_E_CASE_EXISTS, "case",
                           "case %.*s was already reported by another event", (int)ev->ref.n,
                           ev->ref.p);
        memset(&next, 0, sizeof next);
        next.exists = 1;
        memcpy(next.report_id, ev->id, 16);
        put(next.grp, sizeof next.grp, ev->group);
        next.severity = ev->severity;
        next.occurred_us = ev->occurred_us;
        put(next.occurred_unit, sizeof next.occurred_unit,
            (has & EVB(EVF_OCCURRED_UNIT)) ? ev->occurred_unit : ev->unit);
        next.deaths = ev->deaths;
        next.injuries = ev->injuries;
        if (crime_without_severity(cfg, &next))
            return verdict(v, ACK_REJECTED, ANTT_E_SEVERITY_REQUIRED, "severity",
                           "group %s is a crime: severity is required", next.grp);
    } else {
        if (!st->exists) return orphan(cfg, ev, now_us, ANTT_E_UNKNOWN_CASE, "case", v);
        if (st->voided_us)
            return verdict(v, ACK_REJECTED, ANTT_E_CASE_VOIDED, "case", "case %.*s was voided",
                           (int)ev->ref.n, ev->ref.p);
        switch (ev->type) {
        case EV_INCIDENT_CLEARED:
            if (st->cleared_us)
                return verdict(v, ACK_REJECTED, ANTT_E_ALREADY_CLEARED, "case",
                               "case %.*s was already cleared", (int)ev->ref.n, ev->ref.p);
            if (ev->at_us < st->occurred_us)
                return verdict(v, ACK_REJECTED, ANTT_E_TIME_ORDER, "cleared_at",
                               "cleared before the incident occurred");
            next.cleared_us = ev->at_us;
            next.suspects = ev->suspects;
            prefer = cfg->node_unit ? cfg->node_unit(cfg->heir_ctx, ev->node.p, ev->node.n) : NULL;
            break;
        case EV_INCIDENT_CORRECTED:
            if (has & EVB(EVF_GROUP)) put(next.grp, sizeof next.grp, ev->group);
            if (has & EVB(EVF_SEVERITY)) next.severity = ev->severity;
            if (has & EVB(EVF_OCCURRED_AT)) next.occurred_us = ev->occurred_us;
            if (has & EVB(EVF_OCCURRED_UNIT))
                put(next.occurred_unit, sizeof next.occurred_unit, ev->occurred_unit);
            if (has & EVB(EVF_DEATHS)) next.deaths = ev->deaths;
            if (has & EVB(EVF_INJURIES)) next.injuries = ev->injuries;
            if (next.cleared_us && next.occurred_us > next.cleared_us)
                return verdict(v, ACK_REJECTED, ANTT_E_TIME_ORDER, "occurred_at",
                               "the corrected occurrence is after the clearance");
            if (crime_without_severity(cfg, &next))
                return verdict(v, ACK_REJECTED, ANTT_E_SEVERITY_REQUIRED, "severity",
                               "group %s is a crime: severity is required", next.grp);
            break;
        case EV_INCIDENT_VOIDED: next.voided_us = ev->time_us; break;
        default:
            return verdict(v, ACK_REJECTED, ANTT_E_UNKNOWN_TYPE, "type", "not an incident event");
        }
    }
    if ((rc = settle(cfg, &next, prefer, v)) < 0) return rc;
    next.version = st->version + 1;
    contrib(cfg, st, -1, emit, ctx);
    contrib(cfg, &next, +1, emit, ctx);
    *st = next;
    v->status = ACK_ACCEPTED;
    v->code = 0;
    v->field = NULL;
    v->msg[0] = '\0';
    return 0;
}

/* ---- tip-offs ---------------------------------------------------------- */

int ledger_tipoff(const ledger_cfg_t *cfg, tip_state_t *st, const ev_t *ev, int64_t now_us,
                  ledger_emit_fn emit, void *ctx, verdict_t *v)
{
    tip_state_t next = *st;
    metric_t counts[2] = {M_COUNT, M_COUNT};
    int64_t day_of = 0;

    if (ev->type == EV_TIPOFF_RECEIVED) {
        if (st->exists)
            return verdict(v, ACK_REJECTED, ANTT_E_TIPOFF_EXISTS, "ref",
                           "tip-off %.*s was already received by another event", (int)ev->ref.n,
                           ev->ref.p);
        memset(&next, 0, sizeof next);
        next.exists = 1;
        memcpy(next.report_id, ev->id, 16);
        next.kind = ev->kind;
        next.source = ev->source;
        put(next.grp, sizeof next.grp, ev->group);
        next.received_us = ev->at_us;
        next.deadline_us = lawtime_days_limit(&cfg->law, ev->at_us);
        next.status = TIP_PENDING;
        counts[0] = M_TIP_RECEIVED;
        day_of = ev->at_us;
    } else {
        if (!st->exists) return orphan(cfg, ev, now_us, ANTT_E_UNKNOWN_TIPOFF, "ref", v);
        switch (ev->type) {
        case EV_TIPOFF_EXTENDED: {
            if (st->status != TIP_PENDING)
                return verdict(v, ACK_REJECTED, ANTT_E_TIPOFF_CLOSED, "ref", "tip-off is %s",
                               ledger_tip_status_name(st->status));
            const int procuracy = ev->basis == BASIS_PROCURACY;
            /* months from receipt by Art. 134's month rule: the complex
             * matter's, and the procuracy's on top of it */
            const int months =
                cfg->law.complex_months + (procuracy ? cfg->law.procuracy_months : 0);
            const int64_t max = lawtime_months_limit(&cfg->law, st->received_us, months);
            /* the limit ends with the day the station names (Art. 134) */
            int64_t until = lawtime_given(&cfg->law, ev->deadline_us);
            if (procuracy && st->procuracy_extended)
                return verdict(v, ACK_REJECTED, ANTT_E_BAD_DEADLINE, "basis",
                               "the procuracy extends only once");
            if (until <= st->deadline_us && !cfg->replay)
                return verdict(v, ACK_REJECTED, ANTT_E_BAD_DEADLINE, "deadline",
                               "not later than the current deadline");
            if (until > max) {
                if (!cfg->replay) {
                    int y, m, d;
                    ts_civil_from_days(lawtime_day(&cfg->law, max), &y, &m, &d);
                    return verdict(v, ACK_REJECTED, ANTT_E_BAD_DEADLINE, "deadline",
                                   "beyond the legal limit for a %s extension: %d months from "
                                   "receipt, at most %04d-%02d-%02d 24:00",
                                   procuracy ? "procuracy" : "complex-matter", months, y, m, d);
                }
                until = max;
            }
            next.deadline_us = until > st->deadline_us ? until : st->deadline_us;
            if (procuracy)
                next.procuracy_extended = 1;
            else
                next.complex_extended = 1;
            counts[0] = M_TIP_EXTENDED;
            day_of = ev->time_us;
            break;
        }
        case EV_TIPOFF_RESOLVED:
            if (st->status != TIP_PENDING)
                return verdict(v, ACK_REJECTED, ANTT_E_TIPOFF_CLOSED, "ref", "tip-off is %s",
                               ledger_tip_status_name(st->status));
            if (ev->at_us < st->received_us)
                return verdict(v, ACK_REJECTED, ANTT_E_TIME_ORDER, "resolved_at",
                               "resolved before it was received");
            next.outcome = ev->outcome;
            next.resolved_us = ev->at_us;
            day_of = ev->at_us;
            switch (ev->outcome) {
            case OUT_TRANSFER:
                next.status = TIP_TRANSFERRED;
                counts[0] = M_TIP_TRANSFERRED;
                break;
            case OUT_SUSPEND:
                next.status = TIP_SUSPENDED;
                counts[0] = M_TIP_RESOLVED;
                counts[1] = M_TIP_SUSPENDED;
                break;
            case OUT_PROSECUTE:
                next.status = TIP_RESOLVED;
                counts[0] = M_TIP_RESOLVED;
                counts[1] = M_TIP_PROSECUTED;
                break;
            default:
                next.status = TIP_RESOLVED;
                counts[0] = M_TIP_RESOLVED;
                break;
            }
            break;
        case EV_TIPOFF_RESUMED:
            if (st->status != TIP_SUSPENDED)
                return verdict(v, ACK_REJECTED, ANTT_E_NOT_SUSPENDED, "ref",
                               "tip-off is %s, not suspended", ledger_tip_status_name(st->status));
            if (ev->at_us < st->resolved_us)
                return verdict(v, ACK_REJECTED, ANTT_E_TIME_ORDER, "resumed_at",
                               "resumed before it was suspended");
            if ((ev->present & EVB(EVF_DEADLINE)) && ev->deadline_us <= ev->at_us)
                return verdict(v, ACK_REJECTED, ANTT_E_BAD_DEADLINE, "deadline",
                               "deadline is not after the resumption");
            next.status = TIP_PENDING;
            /* the limit counts again from the resumption, unless given */
            next.deadline_us = (ev->present & EVB(EVF_DEADLINE))
                                   ? lawtime_given(&cfg->law, ev->deadline_us)
                                   : lawtime_days_limit(&cfg->law, ev->at_us);
            counts[0] = M_TIP_RESUMED;
            day_of = ev->at_us;
            break;
        default:
            return verdict(v, ACK_REJECTED, ANTT_E_UNKNOWN_TYPE, "type", "not a tip-off event");
        }
    }
    /* at the reporting unit, or its heir once it was dissolved (the
     * sending node's unit when that is one of its successors) */
    char key[LEDGER_UNIT_CAP], unit[LEDGER_UNIT_CAP];
    put(key, sizeof key, ev->unit);
    const int32_t day = ledger_day(cfg, day_of);
    const char *prefer =
        cfg->node_unit ? cfg->node_unit(cfg->heir_ctx, ev->node.p, ev->node.n) : NULL;
    if (place(cfg, key, ledger_day(cfg, next.received_us), day, prefer, unit) < 0)
        return not_then(v, ev->type == EV_TIPOFF_RECEIVED ? "received_at" : "unit", key, day);
    next.version = st->version + 1;
    for (int i = 0; i < 2; i++)
        if (counts[i] != M_COUNT) emit_key(emit, ctx, unit, day, counts[i], next.grp, SEV_NONE, 1);
    *st = next;
    v->status = ACK_ACCEPTED;
    v->code = 0;
    v->field = NULL;
    v->msg[0] = '\0';
    return 0;
}

/* ---- wanted notices ------------------------------------------------------ */

static const char *const WANTED_STATUS[] = {"", "found", "withdrawn"};

const char *ledger_wanted_status_name(wanted_status_t s)
{
    return s > WANTED_NONE && s <= WANTED_WITHDRAWN ? WANTED_STATUS[s] : "";
}

wanted_status_t ledger_wanted_status_parse(const char *s)
{
    for (int i = WANTED_FOUND; i <= WANTED_WITHDRAWN; i++)
        if (!strcmp(WANTED_STATUS[i], s)) return (wanted_status_t)i;
    return WANTED_NONE;
}

int ledger_wanted(const ledger_cfg_t *cfg, wanted_state_t *st, const ev_t *ev, ledger_emit_fn emit,
                  void *ctx, verdict_t *v)
{
    if (ev->type != EV_WANTED_FOUND && ev->type != EV_WANTED_WITHDRAWN)
        return verdict(v, ACK_REJECTED, ANTT_E_UNKNOWN_TYPE, "type", "not a wanted.* event");
    if (st->exists) {
        int y, m, d;
        ts_civil_from_days(ledger_day(cfg, st->at_us), &y, &m, &d);
        return verdict(v, ACK_REJECTED, ANTT_E_WANTED_CLOSED, "ref",
                       st->status == WANTED_FOUND
                           ? "wanted notice %.*s of %.*s was closed: the person was found by %s "
                             "on %04d-%02d-%02d"
                           : "wanted notice %.*s of %.*s was withdrawn by %s on %04d-%02d-%02d",
                       (int)ev->ref.n, ev->ref.p, (int)ev->issuer.n, ev->issuer.p, st->unit, y, m,
                       d);
    }
    wanted_state_t next = {.exists = 1,
                           .status = ev->type == EV_WANTED_FOUND ? WANTED_FOUND : WANTED_WITHDRAWN,
                           .how = ev->how,
                           .category = ev->category,
                           .at_us = ev->at_us,
                           .version = st->version + 1};
    memcpy(next.report_id, ev->id, 16);
    put(next.unit, sizeof next.unit, ev->unit);
    const int32_t day = ledger_day(cfg, ev->at_us);
    if (next.status == WANTED_FOUND) {
        const char *how = ev_enum_name(&EV_HOWS, ev->how);
        emit_key(emit, ctx, next.unit, day, M_WANTED_FOUND, how, SEV_NONE, 1);
        if (ev->category == CAT_DANGEROUS)
            emit_key(emit, ctx, next.unit, day, M_WANTED_DANGEROUS, how, SEV_NONE, 1);
    } else {
        emit_key(emit, ctx, next.unit, day, M_WANTED_WITHDRAWN, "", SEV_NONE, 1);
    }
    *st = next;
    v->status = ACK_ACCEPTED;
    v->code = 0;
    v->field = NULL;
    v->msg[0] = '\0';
    return 0;
}

case_kind_t ledger_case_of(ev_type_t t)
{
    return t == EV_STATION_QUIET                              ? CASE_NONE
           : t == EV_WANTED_FOUND || t == EV_WANTED_WITHDRAWN ? CASE_WANTED
           : t >= EV_TIPOFF_RECEIVED                          ? CASE_TIPOFF
                                                              : CASE_INCIDENT;
}
