/* fields.h — events from text: the antt CLI's flags and JSON Lines use the
 * wire names of PROTOCOL.md ("occurred_at", "severity"); enumerations also
 * take Vietnamese names, with or without diacritics ("nghiem-trong",
 * "nghiêm trọng" for serious); times are RFC 3339 ("2023-06-13T10:00:00+07:00",
 * "...Z") or a date ("2023-06-13", midnight in Asia/Ho_Chi_Minh).
 *
 * Strings are copied into the caller's fields_buf_t, which must outlive the
 * event (ev_t borrows its strings). */
#ifndef ANTT_LIB_FIELDS_H
#define ANTT_LIB_FIELDS_H

#include "proto/ev.h"

#include <stddef.h>

typedef struct {
    char data[8192];
    size_t used;
} fields_buf_t;

/* The event type for a CLI word: "incident", "clear", "tipoff", ... or their
 * Vietnamese names ("vu-viec", "kham-pha", "to-giac", ...), or a wire name
 * ("incident.reported"). EV_NONE when unknown. */
ev_type_t fields_type(const char *word);

/* Set field `key` of ev from text. A number field takes decimal digits.
 * 0, or -1 with err naming the key and what is wrong. Keys the client
 * assigns itself (v, id, node, seq) are refused. */
int fields_set(ev_t *ev, fields_buf_t *buf, const char *key, const char *text, char *err,
               size_t errlen);

/* 1 when key is a number field (deaths, injuries, suspects). */
int fields_is_number(const char *key);

/* Parse an instant (see above) into Unix microseconds. 0 or -1. */
int fields_time(const char *text, int64_t *us);

/* The words fields_type knows, for --help. */
const char *fields_type_help(void);

/* The CLI words of a type: "incident / vu-viec". */
const char *fields_type_words(ev_type_t t);

/* What field f of an event of type t takes, for --help: a metavar ("CODE",
 * "TIME", "NAME") and a line (for enumerations every wire name with its
 * Vietnamese names, written into buf). */
const char *fields_describe(ev_type_t t, ev_field_t f, const char **metavar, char *buf, size_t cap);

/* 0 for the fields antt assigns itself (v, id, type, node, seq). */
int fields_settable(ev_field_t f);

#endif
