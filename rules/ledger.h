/* ledger.h — what one event does to its incident or tip-off and to the tallies.
 *
 * Pure logic: no database, no sockets, no clock. The store reads the current
 * state of the cases a batch touches, runs each event through here in order,
 * and writes back the new states and the summed tally deltas; `anttd --verify`
 * replays the event log through the same functions from empty state.
 *
 * Incidents: the tallies of an incident are a function of its current state
 * only (contrib below), and an event emits contrib(new) - contrib(old). So a
 * correction moves counts, a void removes them, and the sum of all deltas
 * always equals the contributions of the final states.
 *   incidents, deaths, injuries  at (occurred_unit, day of occurrence, group, severity)
 *   cleared, suspects            at (cleared_unit,  day of clearance,  group, severity)
 * cleared_unit is occurred_unit, or — the unit dissolved before the clearance
 * (1 July 2025) — its heir, settled when the clearance is applied.
 * Tip-offs cannot be corrected, so each accepted tip-off event adds its own
 * fixed counts, on the day it names, at its unit or that unit's heir (see
 * ledger_tipoff).
 */
#ifndef ANTT_RULES_LEDGER_H
#define ANTT_RULES_LEDGER_H

#include "rules/lawtime.h"
#include "proto/ack.h"
#include "proto/ev.h"

#include <stdint.h>

/* What an event is about, and so which stored case it changes: an incident,
 * a tip-off, a wanted notice (keyed by its issuing unit, not by the unit that
 * reports it), or nothing but its station (station.quiet, "nothing to
 * report": kept in the log, counting nothing). */
typedef enum { CASE_INCIDENT, CASE_TIPOFF, CASE_WANTED, CASE_NONE } case_kind_t;
#define CASE_KINDS 3 /* the kinds with a stored case: CASE_INCIDENT .. CASE_WANTED */

case_kind_t ledger_case_of(ev_type_t t);

typedef enum {
    M_INCIDENTS,
    M_DEATHS,
    M_INJURIES,
    M_CLEARED,
    M_SUSPECTS,
    M_TIP_RECEIVED,
    M_TIP_RESOLVED,    /* prosecute, not_prosecute, suspend: each resolves */
    M_TIP_PROSECUTED,  /* of which: prosecute */
    M_TIP_SUSPENDED,   /* of which: suspend */
    M_TIP_TRANSFERRED, /* leaves the unit's workload */
    M_TIP_RESUMED,     /* back in the workload after a suspension */
    M_TIP_EXTENDED,
    M_WANTED_FOUND,     /* wanted persons found (group: arrested / surrendered) */
    M_WANTED_DANGEROUS, /* of which: wanted for a very serious or especially serious crime */
    M_WANTED_WITHDRAWN, /* notices withdrawn: off the list, not found */
    M_COUNT
} metric_t;

/* Stable metric name as stored in antt.tallies ("incidents", "tipoffs_received"). */
const char *ledger_metric_name(metric_t m);

#define LEDGER_GROUP_CAP 33 /* slug of at most 32 bytes + NUL */
#define LEDGER_UNIT_CAP  6  /* unit code of at most 5 digits + NUL */

typedef struct {
    char unit[LEDGER_UNIT_CAP];
    int32_t day; /* days since 1970-01-01 of the local statistics day */
    metric_t metric;
    char grp[LEDGER_GROUP_CAP];
    ev_severity_t severity;
} tally_key_t;

typedef void (*ledger_emit_fn)(void *ctx, const tally_key_t *k, int64_t delta);

typedef struct {
    int64_t utc_offset_us; /* statistics day = UTC + this (Asia/Ho_Chi_Minh: +7 h) */
    /* The tip-off limits and how they are counted (rules/lawtime.h): 20 days,
     * extensions of 2 and 2 more months, the days off. Its utc_offset_us is
     * the one above. */
    lawtime_t law;
    /* 1 when replaying the log (--verify, a recomputation): an extension the
     * daemon accepted beyond what the rules in force allow is held to that
     * maximum rather than refused — it was accepted; the law bounds it. */
    int replay;
    int64_t orphan_max_age_us; /* unknown case/tip-off: deferred while the event is younger */
    /* 1 when the crime group counts as a crime (so needs a severity). */
    int (*is_crime)(void *ctx, const char *grp);
    void *is_crime_ctx;
    /* Units that were dissolved (1 July 2025): where a tally dated `day` of
     * unit `code` as it was on day `since` counts — the code while that
     * version is valid on `day`, else its heir (the successor `prefer` when
     * it is one, else the first; prefer may be NULL). -1 when no unit
     * carries it that day. NULL: every unit is valid every day. */
    int (*heir)(void *ctx, const char *code, int32_t since, int32_t day, const char *prefer,
                char out[LEDGER_UNIT_CAP]);
    /* The unit a node is enrolled for (NULL: unknown), the heir's prefer. */
    const char *(*node_unit)(void *ctx, const char *node, size_t n);
    void *heir_ctx;
} ledger_cfg_t;

typedef struct {
    int exists;
    uint8_t report_id[16];
    char grp[LEDGER_GROUP_CAP];
    ev_severity_t severity;
    int64_t occurred_us;
    char occurred_unit[LEDGER_UNIT_CAP];
    uint32_t deaths, injuries;
    int64_t cleared_us; /* 0: not cleared */
    /* where the clearance counts: occurred_unit, or its heir when the unit
     * was dissolved before the clearance day ("" when not cleared) */
    char cleared_unit[LEDGER_UNIT_CAP];
    uint32_t suspects;
    int64_t voided_us; /* 0: not voided */
    int32_t version;   /* events applied so far */
} inc_state_t;

typedef enum {
    TIP_NONE = 0,
    TIP_PENDING,
    TIP_RESOLVED,
    TIP_SUSPENDED,
    TIP_TRANSFERRED
} tip_status_t;

typedef struct {
    int exists;
    uint8_t report_id[16];
    ev_tipkind_t kind;
    ev_source_t source;
    char grp[LEDGER_GROUP_CAP];
    int64_t received_us;
    int64_t deadline_us;
    int complex_extended, procuracy_extended;
    tip_status_t status;
    ev_outcome_t outcome; /* of the last resolution */
    int64_t resolved_us;  /* of the last resolution; 0 when none */
    int32_t version;
} tip_state_t;

typedef enum { WANTED_NONE = 0, WANTED_FOUND, WANTED_WITHDRAWN } wanted_status_t;

/* A wanted notice (issuer, ref): open until a person is found or it is
 * withdrawn, once. */
typedef struct {
    int exists;
    uint8_t report_id[16]; /* the event that closed it */
    wanted_status_t status;
    char unit[LEDGER_UNIT_CAP]; /* the unit that found the person (or withdrew the notice) */
    ev_how_t how;
    ev_category_t category;
    int64_t at_us; /* found or withdrawn */
    int32_t version;
} wanted_state_t;

/* The verdict on one event, as it goes into the ack and antt.rejects. */
typedef struct {
    ack_status_t status;
    int code;
    const char *field; /* static, may be NULL */
    char msg[160];
} verdict_t;

/* "pending", "resolved", ... and back; 0 for an unknown name. */
const char *ledger_tip_status_name(tip_status_t s);
tip_status_t ledger_tip_status_parse(const char *s);

/* Local statistics day of an instant. */
int32_t ledger_day(const ledger_cfg_t *cfg, int64_t us);

/* Apply an incident.* event to st (the state of the case (ev->unit, ev->ref),
 * !exists when there is none). Returns 0 when accepted: st is updated, its
 * version incremented, and the tally deltas emitted. Otherwise -code with v
 * filled (REJECTED, or DEFERRED for an unknown case while the event is younger
 * than orphan_max_age), st untouched and nothing emitted. now_us is only used
 * for that age. */
int ledger_incident(const ledger_cfg_t *cfg, inc_state_t *st, const ev_t *ev, int64_t now_us,
                    ledger_emit_fn emit, void *ctx, verdict_t *v);

/* The same for tipoff.* events:
 *   received  +1 tipoffs_received    on the day received      (group if given)
 *   extended  +1 tipoffs_extended    on the day of the event's time
 *   resolved  +1 tipoffs_resolved    on the day resolved (prosecute, not_prosecute, suspend)
 *             +1 tipoffs_prosecuted / tipoffs_suspended for those outcomes
 *             +1 tipoffs_transferred instead, for a transfer
 *   resumed   +1 tipoffs_resumed     on the day resumed */
int ledger_tipoff(const ledger_cfg_t *cfg, tip_state_t *st, const ev_t *ev, int64_t now_us,
                  ledger_emit_fn emit, void *ctx, verdict_t *v);

/* The same for wanted.* events (st: the notice (ev->issuer, ev->ref)), at
 * the event's unit (the finder), on the day found or withdrawn:
 *   found      +1 wanted_found (group: the how), +1 wanted_dangerous when so
 *   withdrawn  +1 wanted_withdrawn
 * A notice closed before refuses either with 315, naming who found it. */
int ledger_wanted(const ledger_cfg_t *cfg, wanted_state_t *st, const ev_t *ev, ledger_emit_fn emit,
                  void *ctx, verdict_t *v);

/* "found", "withdrawn" and back; 0 for an unknown name. */
const char *ledger_wanted_status_name(wanted_status_t s);
wanted_status_t ledger_wanted_status_parse(const char *s);

#endif
