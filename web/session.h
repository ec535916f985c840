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
 * from one address, further attempts from it are refused until the window
 * has passed, whether the password would be right or not; after `fails`
 * failures for one account name, from anywhere, attempts for it are refused
 * too, except from a browser that logged in as that name before (its
 * "known device" cookie): so a distributed guesser is stopped, and cannot
 * lock the account's owner out of the browsers it uses. An attempt counts
 * as a failure from the moment it is reserved (before the password is
 * checked), so attempts made at once are limited as ones made in a row.
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

/* Reserve an attempt from addr for name at now, before its password is
 * checked: 0 when it may be tried (it counts as a failure of the address and
 * of the name until sessions_resolve), SESSIONS_LOCKED_ADDR when the
 * address has had `fails` failures in the window, SESSIONS_LOCKED_NAME when
 * the name has and the attempt does not come from a device known for it
 * (known_device: it carries the cookie of sessions_device_token). */
#define SESSIONS_LOCKED_ADDR (-1)
#define SESSIONS_LOCKED_NAME (-2)
int sessions_reserve(sessions_t *s, const char *addr, const char *name, int known_device,
                     int64_t now);

/* Resolve a reserved attempt: SESSIONS_OK (given back, and the name's
 * failures cleared; the address's stay), SESSIONS_FAILED (stays counted),
 * SESSIONS_VOID (never tried, e.g. the database was down: given back). */
enum { SESSIONS_OK, SESSIONS_FAILED, SESSIONS_VOID };
void sessions_resolve(sessions_t *s, const char *addr, const char *name, int outcome, int64_t now);

/* The "known device" token of name (hex, kept by the browser after a
 * successful login), and whether token is it. Signed with a key drawn at
 * sessions_new: a restart forgets every device, as it does every session. */
void sessions_device_token(const sessions_t *s, const char *name, char out[SESSION_TOKEN_HEX + 1]);
int sessions_device_known(const sessions_t *s, const char *name, const char *token);

/* Sessions open now (after expiring the old ones). */
int sessions_count(sessions_t *s, int64_t now);

#endif
