/* reply.c — see reply.h. */
#include "web/reply.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Set for one question by the thread that answers it (libmicrohttpd
 * answers a request on one thread, start to end). */
static _Thread_local char stale[96];

void reply_set_stale(const char *as_of, double behind_s)
{
    if (!as_of)
        stale[0] = '\0';
    else
        snprintf(stale, sizeof stale, "%s; %.0f s behind", as_of, behind_s);
}

void reply_headers(struct MHD_Response *r, const char *type)
{
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; frame-ancestors 'none'; form-action 'self'");
}

enum MHD_Result reply_owned(struct MHD_Connection *c, unsigned status, const char *type, char *body,
                            size_t len, const char *const *extra)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    reply_headers(r, type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (stale[0]) MHD_add_response_header(r, "X-Antt-Figures-As-Of", stale);
    for (size_t i = 0; extra && extra[i]; i += 2)
        MHD_add_response_header(r, extra[i], extra[i + 1]);
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

/* JSON text (taken), e.g. a question's answer as PostgreSQL wrote it. */
enum MHD_Result reply_json(struct MHD_Connection *c, unsigned status, char *json,
                           const char *const *extra)
{
    return reply_owned(c, status, "application/json; charset=utf-8", json, strlen(json), extra);
}

/* o as compact JSON, allocated (NULL: out of memory); o is released. Slashes
 * stay as they are ("a/b", not "a\/b": the same value, as it was written). */
char *reply_json_text(json_object *o)
{
    const char *t = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE)
                      : NULL;
    char *b = t ? strdup(t) : NULL;
    json_object_put(o);
    return b;
}

/* Answer with the JSON of o (released). */
enum MHD_Result reply_object(struct MHD_Connection *c, unsigned status, json_object *o,
                             const char *const *extra)
{
    char *b = reply_json_text(o);
    return b ? reply_json(c, status, b, extra) : MHD_NO;
}

/* {"error": msg} */
enum MHD_Result reply_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
    json_object *o = json_object_new_object();
    if (o) json_object_object_add(o, "error", json_object_new_string(msg));
    return reply_object(c, status, o, NULL);
}

static const char *type_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot) return "application/octet-stream";
    if (!strcmp(dot, ".html")) return "text/html; charset=utf-8";
    if (!strcmp(dot, ".js")) return "text/javascript; charset=utf-8";
    if (!strcmp(dot, ".css")) return "text/css; charset=utf-8";
    if (!strcmp(dot, ".json")) return "application/json; charset=utf-8";
    if (!strcmp(dot, ".svg")) return "image/svg+xml";
    if (!strcmp(dot, ".woff2")) return "font/woff2";
    if (!strcmp(dot, ".txt")) return "text/plain; charset=utf-8";
    return "application/octet-stream";
}

/* A file of the static directory: names of [a-z0-9._-] without "..". */
enum MHD_Result reply_static(struct MHD_Connection *c, const char *dir, const char *name)
{
    if (!*name || strstr(name, "..")) return reply_error(c, 404, "no such page");
    for (const char *p = name; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || strchr("._-", *p)))
            return reply_error(c, 404, "no such page");
    char path[800];
    /* the gzipped copy when the browser takes it */
    const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding");
    const int gz = ae && strstr(ae, "gzip");
    snprintf(path, sizeof path, "%s/%s.gz", dir, name);
    FILE *f = gz ? fopen(path, "rb") : NULL;
    const int zipped = f != NULL;
    if (!f) {
        snprintf(path, sizeof path, "%s/%s", dir, name);
        f = fopen(path, "rb");
    }
    if (!f) return reply_error(c, 404, "no such page");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    size_t got = b ? fread(b, 1, (size_t)n, f) : 0;
    fclose(f);
    if (!b || got != (size_t)n) {
        free(b);
        return reply_error(c, 500, "cannot read the page");
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(got, b, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(b);
        return MHD_NO;
    }
    reply_headers(r, type_of(name));
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "Vary", "Accept-Encoding");
    if (zipped) MHD_add_response_header(r, "Content-Encoding", "gzip");
    enum MHD_Result ok = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ok;
}
