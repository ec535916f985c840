/* reply.h — the console's answers, on libmicrohttpd: JSON (built with
 * json-c, or as the database wrote it), errors as {"error": "..."}, and the
 * page's files; each with the headers every answer carries (its type,
 * nosniff, no referrer, the content security policy). Each queues its
 * answer on the connection and returns libmicrohttpd's verdict. */
#ifndef ANTT_WEB_REPLY_H
#define ANTT_WEB_REPLY_H

#include <json-c/json.h>
#include <microhttpd.h>
#include <stddef.h>

/* The headers every answer carries, for one made elsewhere (a stream). */
/* The figures of the question this thread is answering are not fresh: the
 * fold had not passed what was committed before it when the wait ran out.
 * Its answer then carries "X-Antt-Figures-As-Of: <as_of>; N s behind".
 * NULL: fresh (cleared after each question). */
void reply_set_stale(const char *as_of, double behind_s);

void reply_headers(struct MHD_Response *r, const char *type);

/* body[0..len) of type (taken: freed by libmicrohttpd), not to be cached,
 * with the headers of extra: name, value, ..., NULL (extra may be NULL). */
enum MHD_Result reply_owned(struct MHD_Connection *c, unsigned status, const char *type, char *body,
                            size_t len, const char *const *extra);

/* JSON text (taken), e.g. a question's answer as PostgreSQL wrote it. */
enum MHD_Result reply_json(struct MHD_Connection *c, unsigned status, char *json,
                           const char *const *extra);

/* The JSON of o (released). */
enum MHD_Result reply_object(struct MHD_Connection *c, unsigned status, json_object *o,
                             const char *const *extra);

/* {"error": msg} */
enum MHD_Result reply_error(struct MHD_Connection *c, unsigned status, const char *msg);

/* The file name of the directory dir: names of [a-z0-9._-] without ".."
 * (404 otherwise), its gzipped copy NAME.gz to a browser that takes it. */
enum MHD_Result reply_static(struct MHD_Connection *c, const char *dir, const char *name);

/* o as compact JSON, allocated (NULL: out of memory); o is released. */
char *reply_json_text(json_object *o);

#endif
