/* export.h — a question's answer as the file a spreadsheet opens
 * (`format=csv`), by the conventions of `antt report`'s CSV: ISO days and
 * times as the database writes them, codes rather than translated words,
 * an empty field for no value, numbers as PostgreSQL wrote them, one
 * header line, RFC 4180 quoting, "\n" line ends.
 *
 * The answer is the JSON the console's page reads (db/console.c), so the
 * file and the page never disagree. A list answer ([{...}, ...]) is a row
 * per element, with the first element's keys as the header (an empty list
 * is the header alone); the overview is the unit and the period, then a row
 * per figure: figure, value and, with a comparison period, its value there
 * and the change; tip-offs are one of their lists (`part`). Text a station
 * typed (a tip-off's reference) that begins with = + - @, a tab or a CR is
 * written after a ' so that a spreadsheet shows it rather than running it
 * as a formula. */
#ifndef ANTT_WEB_EXPORT_H
#define ANTT_WEB_EXPORT_H

#include <stddef.h>
#include <stdio.h>

/* Write endpoint's ("overview", "children", ...) answer json as CSV to out.
 * part: the tip-offs' list ("overdue", "due", "times"; "" for "overdue"). 0, or -1 with err (the
 * answer is not what the endpoint answers). */
int export_csv(const char *endpoint, const char *json, const char *part, FILE *out, char *err,
               size_t errlen);

/* The header line of an endpoint's list (part: the tip-offs' list, "" for
 * its default) when it is empty, without "\n"; NULL for the overview. */
const char *export_header(const char *endpoint, const char *part);

/* The file's name a browser saves it under:
 * "<endpoint>-<unit>[-<from>-<to>].<ext>", the unit's ':' as '-'. */
void export_filename(char *out, size_t cap, const char *endpoint, const char *unit,
                     const char *from, const char *to, const char *ext);

#endif
