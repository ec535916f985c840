/* err.h — the stable numeric codes every refusal carries on the wire.
 *
 * These numbers are part of the protocol (proto/PROTOCOL.md, "Error codes"):
 * once published a code never changes meaning and is never reused. Ranges:
 *   1xx  the message as a whole (framing, size, not msgpack)
 *   2xx  one event: a field's type, format, limits or the event's shape
 *   3xx  one event against the database's state (units, nodes, cases)
 *   4xx  authorisation and rate limits
 *   5xx  the server itself
 * Codes are returned as negative values by proto functions (-ANTT_E_*) and
 * travel positive on the wire.
 */
#ifndef ANTT_PROTO_ERR_H
#define ANTT_PROTO_ERR_H

enum antt_err {
    ANTT_OK = 0,

    /* 1xx: message level — no per-event acks are possible */
    ANTT_E_MALFORMED = 100,       /* not one complete msgpack object */
    ANTT_E_MSG_TOO_LARGE = 101,   /* over ANTT_MAX_MSG_BYTES */
    ANTT_E_NOT_EVENTS = 102,      /* top level is neither a map nor an array */
    ANTT_E_BATCH_TOO_LARGE = 103, /* more than ANTT_MAX_BATCH events */
    ANTT_E_BATCH_EMPTY = 104,     /* an array with no events */
    ANTT_E_TOO_DEEP = 105,        /* nesting deeper than ANTT_MAX_DEPTH */
    ANTT_E_TRAILING_BYTES = 106,  /* bytes after the top-level object */

    /* 2xx: event level — the event is refused, the rest of a batch is not */
    ANTT_E_EVENT_NOT_MAP = 200,   /* a batch element is not a map */
    ANTT_E_EVENT_TOO_LARGE = 201, /* one event over ANTT_MAX_EVENT_BYTES or ANTT_MAX_KEYS */
    ANTT_E_BAD_KEY = 202,         /* a map key that is not a short string */
    ANTT_E_DUPLICATE_KEY = 203,   /* the same key twice in one event */
    ANTT_E_MISSING_FIELD = 204,   /* a required field is absent */
    ANTT_E_WRONG_TYPE = 205,      /* a field has the wrong msgpack type */
    ANTT_E_OUT_OF_RANGE = 206,    /* an integer outside its limits */
    ANTT_E_TOO_LONG = 207,        /* a string longer than its limit, or empty when it may not be */
    ANTT_E_BAD_UTF8 = 208,   /* a string that is not valid UTF-8, or holds control characters */
    ANTT_E_BAD_FORMAT = 209, /* a string that breaks its field's syntax (unit code, node id, ...) */
    ANTT_E_BAD_ENUM = 210,   /* a value not in the field's list */
    ANTT_E_BAD_ID = 211,     /* event id is not a UUID (16-byte bin or 36-char string), or nil */
    ANTT_E_BAD_TIME = 212,   /* a timestamp that is not one of the accepted encodings */
    ANTT_E_TIME_RANGE = 213, /* a time before 2000 or too far in the future */
    ANTT_E_VERSION = 214,    /* schema version this daemon does not speak */
    ANTT_E_UNKNOWN_TYPE = 215,       /* event type this daemon does not know */
    ANTT_E_FIELD_NOT_ALLOWED = 216,  /* a protocol field that does not belong to this event type */
    ANTT_E_NOTHING_TO_CORRECT = 217, /* incident.corrected without any new value */

    /* 3xx: event level, against the database (issued by anttd) */
    ANTT_E_UNKNOWN_UNIT = 300,    /* unit code not known, or not valid at the event's time */
    ANTT_E_UNKNOWN_NODE = 301,    /* node id not registered, or revoked */
    ANTT_E_OUT_OF_SCOPE = 302,    /* unit outside the node's unit subtree */
    ANTT_E_UNKNOWN_GROUP = 303,   /* crime group not in the configured list */
    ANTT_E_UNKNOWN_CASE = 304,    /* no incident with this case reference (deferred while young) */
    ANTT_E_UNKNOWN_TIPOFF = 305,  /* no tip-off with this reference (deferred while young) */
    ANTT_E_CASE_EXISTS = 306,     /* the case reference was reported by another event */
    ANTT_E_TIPOFF_EXISTS = 307,   /* the tip-off reference was received by another event */
    ANTT_E_CASE_VOIDED = 308,     /* the incident was voided */
    ANTT_E_ALREADY_CLEARED = 309, /* the incident was cleared before */
    ANTT_E_TIPOFF_CLOSED = 310, /* the tip-off is not pending (resolved, suspended, transferred) */
    ANTT_E_NOT_SUSPENDED = 311, /* resumed, but the tip-off is not suspended */
    ANTT_E_BAD_DEADLINE =
        312, /* deadline not later than the current one, or past the legal limit */
    ANTT_E_SEVERITY_REQUIRED = 313, /* a crime group without a severity */
    ANTT_E_TIME_ORDER = 314,        /* cleared before it occurred, resolved before received, ... */
    ANTT_E_WANTED_CLOSED = 315,     /* the wanted notice was closed: found, or withdrawn */

    /* 4xx: who sends (PROTOCOL.md section 15) — with CURVE on, the node is the
     * one whose key opened the connection, not what the event claims */
    ANTT_E_NODE_MISMATCH = 400,       /* the event's node is not the authenticated node */
    ANTT_E_UNIT_NOT_AUTHORISED = 401, /* unit outside the authenticated node's subtree */
    ANTT_E_RATE_LIMITED = 402, /* the node sent more than its rate: message refused, resend later */
    ANTT_E_KEY_REFUSED =
        403, /* handshake refused: key not registered, or revoked (recorded only) */

    /* 5xx: the server — resend later with the same id */
    ANTT_E_INTERNAL = 500, /* the event could not be stored (unexpected database error) */
};

/* Stable symbolic name of a code ("MALFORMED"), or "UNKNOWN" — for logs and tools. */
const char *antt_err_name(int code);

/* One-line English description of a code — the default message on the wire. */
const char *antt_err_text(int code);

#endif
