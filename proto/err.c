/* err.c — names and default texts of the protocol's error codes. */
#include "proto/err.h"

#include <stdlib.h>

struct err_row {
    int code;
    const char *name;
    const char *text;
};

static const struct err_row ROWS[] = {
    {ANTT_OK, "OK", "accepted"},
    {ANTT_E_MALFORMED, "MALFORMED", "message is not one complete msgpack object"},
    {ANTT_E_MSG_TOO_LARGE, "MSG_TOO_LARGE", "message exceeds the size limit"},
    {ANTT_E_NOT_EVENTS, "NOT_EVENTS", "message is neither an event map nor an array of events"},
    {ANTT_E_BATCH_TOO_LARGE, "BATCH_TOO_LARGE", "batch holds more events than allowed"},
    {ANTT_E_BATCH_EMPTY, "BATCH_EMPTY", "batch holds no events"},
    {ANTT_E_TOO_DEEP, "TOO_DEEP", "message nests deeper than allowed"},
    {ANTT_E_TRAILING_BYTES, "TRAILING_BYTES", "bytes follow the message's msgpack object"},
    {ANTT_E_EVENT_NOT_MAP, "EVENT_NOT_MAP", "event is not a map"},
    {ANTT_E_EVENT_TOO_LARGE, "EVENT_TOO_LARGE", "event exceeds the size or key-count limit"},
    {ANTT_E_BAD_KEY, "BAD_KEY", "map key is not a short string"},
    {ANTT_E_DUPLICATE_KEY, "DUPLICATE_KEY", "key appears more than once"},
    {ANTT_E_MISSING_FIELD, "MISSING_FIELD", "required field is missing"},
    {ANTT_E_WRONG_TYPE, "WRONG_TYPE", "field has the wrong type"},
    {ANTT_E_OUT_OF_RANGE, "OUT_OF_RANGE", "number is out of range"},
    {ANTT_E_TOO_LONG, "TOO_LONG", "string length is outside its limits"},
    {ANTT_E_BAD_UTF8, "BAD_UTF8", "string is not valid UTF-8 text"},
    {ANTT_E_BAD_FORMAT, "BAD_FORMAT", "string does not match the field's format"},
    {ANTT_E_BAD_ENUM, "BAD_ENUM", "value is not one of the allowed names"},
    {ANTT_E_BAD_ID, "BAD_ID", "event id is not a valid non-nil UUID"},
    {ANTT_E_BAD_TIME, "BAD_TIME", "timestamp encoding is invalid"},
    {ANTT_E_TIME_RANGE, "TIME_RANGE", "time is before 2000 or too far in the future"},
    {ANTT_E_VERSION, "VERSION", "schema version is not supported"},
    {ANTT_E_UNKNOWN_TYPE, "UNKNOWN_TYPE", "event type is not known"},
    {ANTT_E_FIELD_NOT_ALLOWED, "FIELD_NOT_ALLOWED", "field does not belong to this event type"},
    {ANTT_E_NOTHING_TO_CORRECT, "NOTHING_TO_CORRECT", "correction carries no new value"},
    {ANTT_E_UNKNOWN_UNIT, "UNKNOWN_UNIT", "unit is not known or not valid at the event's time"},
    {ANTT_E_UNKNOWN_NODE, "UNKNOWN_NODE", "node is not registered"},
    {ANTT_E_OUT_OF_SCOPE, "OUT_OF_SCOPE", "unit is outside the node's area"},
    {ANTT_E_UNKNOWN_GROUP, "UNKNOWN_GROUP", "crime group is not in the configured list"},
    {ANTT_E_UNKNOWN_CASE, "UNKNOWN_CASE", "no incident with this case reference"},
    {ANTT_E_UNKNOWN_TIPOFF, "UNKNOWN_TIPOFF", "no tip-off with this reference"},
    {ANTT_E_CASE_EXISTS, "CASE_EXISTS", "case reference already reported by another event"},
    {ANTT_E_TIPOFF_EXISTS, "TIPOFF_EXISTS", "tip-off reference already received by another event"},
    {ANTT_E_CASE_VOIDED, "CASE_VOIDED", "incident was voided"},
    {ANTT_E_ALREADY_CLEARED, "ALREADY_CLEARED", "incident was already cleared"},
    {ANTT_E_TIPOFF_CLOSED, "TIPOFF_CLOSED", "tip-off is not pending"},
    {ANTT_E_NOT_SUSPENDED, "NOT_SUSPENDED", "tip-off is not suspended"},
    {ANTT_E_BAD_DEADLINE, "BAD_DEADLINE",
     "deadline is not later than the current one or exceeds the legal limit"},
    {ANTT_E_SEVERITY_REQUIRED, "SEVERITY_REQUIRED", "a crime needs a severity"},
    {ANTT_E_TIME_ORDER, "TIME_ORDER", "times are out of order"},
    {ANTT_E_WANTED_CLOSED, "WANTED_CLOSED",
     "the wanted notice was closed before: the person was found, or the notice withdrawn"},
    {ANTT_E_NODE_MISMATCH, "NODE_MISMATCH",
     "event's node is not the node this connection authenticated as"},
    {ANTT_E_UNIT_NOT_AUTHORISED, "UNIT_NOT_AUTHORISED",
     "unit is outside the authenticated node's area"},
    {ANTT_E_RATE_LIMITED, "RATE_LIMITED", "node exceeded its event rate; resend later"},
    {ANTT_E_KEY_REFUSED, "KEY_REFUSED", "connection refused: key not registered or revoked"},
    {ANTT_E_INTERNAL, "INTERNAL", "the server could not store the event; resend later"},
};

static const struct err_row *find(int code)
{
    if (code < 0) code = -code;
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++)
        if (ROWS[i].code == code) return &ROWS[i];
    return NULL;
}

const char *antt_err_name(int code)
{
    const struct err_row *r = find(code);
    return r ? r->name : "UNKNOWN";
}

const char *antt_err_text(int code)
{
    const struct err_row *r = find(code);
    return r ? r->text : "unknown error";
}
