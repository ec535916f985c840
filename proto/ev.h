/* ev.h — the event model of protocol v1: what a node may say, as C data.
 *
 * One flat struct serves every event type: the envelope every event carries,
 * then the body fields, each used by the types listed beside it. `present`
 * records which wire keys appeared, so "absent" and "zero" stay distinct
 * (a correction of deaths to 0 is not the same as no correction).
 *
 * Strings are borrowed: they point into the message buffer the event was
 * decoded from (or that the caller built) and are not NUL-terminated. An
 * ev_t is valid only as long as that buffer.
 */
#ifndef ANTT_PROTO_EV_H
#define ANTT_PROTO_EV_H

#include <stddef.h>
#include <stdint.h>

/* Protocol limits (PROTOCOL.md, "Limits"). Changing one changes the protocol. */
#define ANTT_PROTO_VERSION         1
#define ANTT_MAX_MSG_BYTES         (1024 * 1024) /* one ZeroMQ message */
#define ANTT_MAX_BATCH             1000          /* events in one message */
#define ANTT_MAX_EVENT_BYTES       8192          /* one encoded event map */
#define ANTT_MAX_KEYS              64            /* keys in one event map */
#define ANTT_MAX_DEPTH             8             /* nesting, message top level = 1 */
#define ANTT_MAX_KEY_BYTES         32
#define ANTT_MAX_NODE_BYTES        64
#define ANTT_MAX_REF_BYTES         64
#define ANTT_MAX_GROUP_BYTES       32
#define ANTT_MAX_SUMMARY_BYTES     1024
#define ANTT_MAX_REASON_BYTES      512
#define ANTT_MAX_PEOPLE            100000                    /* deaths, injuries, suspects */
#define ANTT_MAX_SEQ               INT64_MAX                 /* fits a PostgreSQL bigint */
#define ANTT_MIN_TIME_US           946684800000000LL         /* 2000-01-01T00:00:00Z */
#define ANTT_MAX_AHEAD_US          (86400LL * 1000000)       /* event times: now + 1 day */
#define ANTT_MAX_DEADLINE_AHEAD_US (366LL * 86400 * 1000000) /* deadlines: now + 366 days */

typedef struct {
    const char *p; /* borrowed, not NUL-terminated; NULL when absent */
    uint32_t n;
} ev_str_t;

typedef enum {
    EV_NONE = 0,
    EV_INCIDENT_REPORTED,
    EV_INCIDENT_CLEARED,
    EV_INCIDENT_CORRECTED,
    EV_INCIDENT_VOIDED,
    EV_TIPOFF_RECEIVED,
    EV_TIPOFF_EXTENDED,
    EV_TIPOFF_RESOLVED,
    EV_TIPOFF_RESUMED,
    EV_STATION_QUIET,    /* nothing to report: the station is alive */
    EV_WANTED_FOUND,     /* a wanted person arrested or surrendered */
    EV_WANTED_WITHDRAWN, /* a wanted notice withdrawn (đình nã): off the list, not found */
    EV_TYPE_COUNT
} ev_type_t;

/* Penal Code 2015, Art. 9. "Major cases" are VERY_SERIOUS and ESPECIALLY_SERIOUS. */
typedef enum {
    SEV_NONE = 0,
    SEV_LESS_SERIOUS,       /* ít nghiêm trọng: up to 3 years */
    SEV_SERIOUS,            /* nghiêm trọng: over 3, up to 7 years */
    SEV_VERY_SERIOUS,       /* rất nghiêm trọng: over 7, up to 15 years */
    SEV_ESPECIALLY_SERIOUS, /* đặc biệt nghiêm trọng: over 15 years, life, death */
    SEV_COUNT
} ev_severity_t;

typedef enum {
    TIPKIND_NONE = 0,
    TIPKIND_DENUNCIATION,   /* tố giác: by a person */
    TIPKIND_INFORMATION,    /* tin báo: by an agency, organisation or the media */
    TIPKIND_RECOMMENDATION, /* kiến nghị khởi tố: by a state agency */
    TIPKIND_COUNT
} ev_tipkind_t;

/* Who brought the tip-off in. Never the person's identity: see PROTOCOL.md. */
typedef enum {
    SRC_NONE = 0,
    SRC_CITIZEN,      /* a person, in person, by phone or in writing */
    SRC_AGENCY,       /* a state agency */
    SRC_ORGANISATION, /* an organisation or enterprise */
    SRC_MEDIA,        /* press, radio, television, online media */
    SRC_PROCURACY,    /* forwarded by the procuracy (Viện kiểm sát) */
    SRC_POLICE,       /* forwarded by another police unit */
    SRC_OTHER,
    SRC_COUNT
} ev_source_t;

/* Legal basis of an extension (Criminal Procedure Code 2015, Art. 147). */
typedef enum {
    BASIS_NONE = 0,
    BASIS_COMPLEX,   /* complex matter: extended up to 2 months */
    BASIS_PROCURACY, /* further extension by the procuracy, up to 2 months */
    BASIS_COUNT
} ev_basis_t;

typedef enum {
    OUT_NONE = 0,
    OUT_PROSECUTE,     /* quyết định khởi tố vụ án hình sự */
    OUT_NOT_PROSECUTE, /* quyết định không khởi tố */
    OUT_SUSPEND,       /* tạm đình chỉ việc giải quyết (may be resumed) */
    OUT_TRANSFER,      /* chuyển: leaves the unit's workload */
    OUT_COUNT
} ev_outcome_t;

/* How a wanted person was found (bắt giữ / vận động đầu thú). */
typedef enum {
    HOW_NONE = 0,
    HOW_ARRESTED,    /* bắt giữ */
    HOW_SURRENDERED, /* vận động đầu thú: surrendered after persuasion */
    HOW_COUNT
} ev_how_t;

/* A wanted notice's category, as reports single them out. */
typedef enum {
    CAT_NONE = 0,
    CAT_DANGEROUS, /* đặc biệt nguy hiểm: wanted for a very serious or especially serious crime */
    CAT_ORDINARY, /* any other */
    CAT_COUNT
} ev_category_t;

/* Wire keys, one bit each in ev_t.present (32 at most: a uint32_t). */
typedef enum {
    EVF_V = 0,
    EVF_ID,
    EVF_TYPE,
    EVF_NODE,
    EVF_UNIT,
    EVF_SEQ,
    EVF_TIME,
    EVF_CASE,
    EVF_REF,
    EVF_GROUP,
    EVF_SEVERITY,
    EVF_OCCURRED_AT,
    EVF_OCCURRED_UNIT,
    EVF_DEATHS,
    EVF_INJURIES,
    EVF_SUMMARY,
    EVF_SUSPECTS,
    EVF_CLEARED_AT,
    EVF_REASON,
    EVF_KIND,
    EVF_SOURCE,
    EVF_RECEIVED_AT,
    EVF_DEADLINE,
    EVF_BASIS,
    EVF_OUTCOME,
    EVF_RESOLVED_AT,
    EVF_RESUMED_AT,
    EVF_ISSUER,
    EVF_HOW,
    EVF_CATEGORY,
    EVF_FOUND_AT,
    EVF_WITHDRAWN_AT,
    EVF_COUNT
} ev_field_t;
_Static_assert(EVF_COUNT <= 32, "ev_t.present has a bit for each field");

#define EVB(f) (1u << (f))

typedef struct {
    /* envelope: every event */
    uint32_t version; /* "v" */
    uint8_t id[16];   /* "id" */
    ev_type_t type;   /* "type" */
    ev_str_t node;    /* "node": reporting node id */
    ev_str_t unit;    /* "unit": reporting unit code */
    uint64_t seq;     /* "seq": node sequence number */
    int64_t time_us;  /* "time": when the node recorded the event */

    /* body */
    ev_str_t ref;           /* "case" (incident.*) or "ref" (tipoff.*, wanted.*) */
    ev_str_t group;         /* "group": crime group or non-crime kind (a slug) */
    ev_severity_t severity; /* "severity" */
    int64_t occurred_us;    /* "occurred_at" */
    ev_str_t occurred_unit; /* "occurred_unit": where it happened (default: unit) */
    uint32_t deaths;        /* "deaths" */
    uint32_t injuries;      /* "injuries" */
    ev_str_t summary;       /* "summary" */
    uint32_t suspects;      /* "suspects" */
    ev_str_t reason;        /* "reason" */
    ev_tipkind_t kind;      /* "kind" */
    ev_source_t source;     /* "source" */
    int64_t at_us;          /* "cleared_at", "received_at", "resolved_at", "resumed_at",
                               "found_at", "withdrawn_at" */
    int64_t deadline_us;    /* "deadline" */
    ev_basis_t basis;       /* "basis" */
    ev_outcome_t outcome;   /* "outcome" */
    ev_str_t issuer;        /* "issuer": the unit that issued a wanted notice */
    ev_how_t how;           /* "how" */
    ev_category_t category; /* "category" */

    uint32_t present;   /* EVB(EVF_*) of every key seen (decoder) or to write (encoder) */
    const uint8_t *raw; /* decoder: this event's msgpack bytes in the message (borrowed) */
    uint32_t raw_len;
} ev_t;

/* A closed list of names for one enumerated field; index 0 is "none". */
typedef struct {
    const char *const *names;
    int count; /* names[1..count-1] are valid */
} ev_enum_t;

extern const ev_enum_t EV_TYPES, EV_SEVERITIES, EV_TIPKINDS, EV_SOURCES, EV_BASES, EV_OUTCOMES,
    EV_HOWS, EV_CATEGORIES;

/* Wire name of value v, or "" when v is out of range. */
const char *ev_enum_name(const ev_enum_t *e, int v);

/* Value for the wire name s[0..n), or 0 when it is not in the list. */
int ev_enum_parse(const ev_enum_t *e, const char *s, size_t n);

/* Wire key of a field ("occurred_at"). */
const char *ev_field_name(ev_field_t f);

/* The field whose wire key is k[0..n), or -1 for a key v1 does not define. */
int ev_field_lookup(const char *k, size_t n);

/* Keys every event of type t must carry / may carry (envelope included). */
uint32_t ev_required(ev_type_t t);
uint32_t ev_allowed(ev_type_t t);

/* Borrow a C string as an ev_str_t (for building events in code). */
static inline ev_str_t ev_cstr(const char *s)
{
    ev_str_t r = {s, 0};
    if (s)
        while (s[r.n])
            r.n++;
    return r;
}

/* The verdict on one event, in a reply (proto/ack.h) and in libantt's
 * results (lib/antt.h). */
typedef enum {
    ACK_ACCEPTED = 0,  /* stored now, after COMMIT */
    ACK_DUPLICATE = 1, /* this id was stored before; nothing changed */
    ACK_REJECTED = 2,  /* refused for good: do not resend */
    ACK_DEFERRED = 3,  /* not stored (e.g. rate limit): resend later, same id */
    ACK_STATUS_COUNT
} ack_status_t;

/* "accepted", "duplicate", "rejected", "deferred" (proto/ack.c). */
const char *ack_status_name(ack_status_t s);

#endif
