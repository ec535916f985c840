/* session.h — who is logged in to the console, and who may try.
 *
 * A session is a random 256-bit token (the cookie's value; only its hash
 * is kept, so a memory dump gives no live cookie) bound to a viewer's name,
 * scope and language. It ends after `idle_s` without a request, after
 * `max_s` in any case, at logout, and when the account is revoked (checked
 * at each request by the server). Sessions live in the server's memory: a
 * restart logs everyone out.
 *
 * Login attempts are throttled: after `fails` failures within `window_s`
 * from one address, or for one account name, further attempts are refused
 * until the window has passed, whether the password would be right or not.
 * Not thread-safe by itself: the server holds sessions_lock around calls. */
#ifndef ANTT_WEB_SESSION_H
#define ANTT_WEB_SESSION_H

#include <stddef.h>
#include <stdint.h>

#define SESSION_TOKEN_HEX 64

typedef struct {
    char name[65];
    char scope[80]; /* "": every unit */
    char lang[4];
    char topics[4096]; /* the stream topics of the scope, a JSON array */
} session_who_t;

typedef struct sessions sessions_t;

sessions_t *sessions_new(int64_t idle_s, int64_t max_s, int fails, int64_t window_s);
void sessions_free(sessions_t **s);

/* A new session for who, at now (seconds): its token in out (NUL-ended hex).
 * 0, or -1 when the random source fails or memory runs out. */
int sessions_open(sessions_t *s, const session_who_t *who, int64_t now,
                  char out[SESSION_TOKEN_HEX + 1]);

/* The session of token at now (its idle clock restarts), or NULL. The
 * pointer is valid until the next call. */
const session_who_t *sessions_find(sessions_t *s, const char *token, int64_t now);

/* End the session of token, or every session of name (token NULL). */
void sessions_close(sessions_t *s, const char *token, const char *name);

/* 1 when an attempt from addr for name may be tried at now; 0 when
 * throttled. */
int sessions_may_try(sessions_t *s, const char *addr, const char *name, int64_t now);

/* Record an attempt's outcome (a success clears the address's and the
 * name's failures). */
void sessions_tried(sessions_t *s, const char *addr, const char *name, int ok, int64_t now);

/* Sessions open now (after expiring the old ones). */
int sessions_count(sessions_t *s, int64_t now);

#endif
