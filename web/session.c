/* session.c — see session.h. A few hundred sessions and throttle entries
 * at most: arrays searched from start to end. */
#include "web/session.h"

#include "proto/util.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t key[crypto_generichash_BYTES]; /* hash of the token */
    session_who_t who;
    int64_t opened, seen;
} sess_t;

typedef struct {
    char key[80]; /* "a:ADDRESS" or "n:NAME" */
    int fails;
    int64_t since;
} try_t;

struct sessions {
    sess_t *v;
    uint32_t n, cap;
    try_t *t;
    uint32_t nt, capt;
    int64_t idle_s, max_s, window_s;
    int fails;
    uint8_t device_key[crypto_auth_KEYBYTES]; /* signs the "known device" cookies */
};

sessions_t *sessions_new(int64_t idle_s, int64_t max_s, int fails, int64_t window_s)
{
    if (sodium_init() < 0) return NULL;
    sessions_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->idle_s = idle_s;
    s->max_s = max_s;
    s->fails = fails;
    s->window_s = window_s;
    crypto_auth_keygen(s->device_key);
    return s;
}

void sessions_free(sessions_t **sp)
{
    sessions_t *s = *sp;
    if (!s) return;
    sodium_memzero(s->v, (size_t)s->cap * sizeof *s->v);
    free(s->v);
    free(s->t);
    sodium_memzero(s->device_key, sizeof s->device_key);
    free(s);
    *sp = NULL;
}

static void hash_token(const char *token, uint8_t out[crypto_generichash_BYTES])
{
    crypto_generichash(out, crypto_generichash_BYTES, (const uint8_t *)token, strlen(token), NULL,
                       0);
}

static void expire(sessions_t *s, int64_t now)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        const sess_t *x = &s->v[i];
        if (now - x->seen <= s->idle_s && now - x->opened <= s->max_s) s->v[k++] = *x;
    }
    s->n = k;
}

int sessions_open(sessions_t *s, const session_who_t *who, int64_t now,
                  char out[SESSION_TOKEN_HEX + 1])
{
    expire(s, now);
    if (grow_array((void **)&s->v, &s->cap, s->n + 1, sizeof *s->v) < 0) return -1;
    uint8_t raw[SESSION_TOKEN_HEX / 2];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, SESSION_TOKEN_HEX + 1, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
    sess_t *x = &s->v[s->n++];
    hash_token(out, x->key);
    x->who = *who;
    x->opened = x->seen = now;
    return 0;
}

const session_who_t *sessions_find(sessions_t *s, const char *token, int64_t now)
{
    if (!token || strlen(token) != SESSION_TOKEN_HEX) return NULL;
    expire(s, now);
    uint8_t key[crypto_generichash_BYTES];
    hash_token(token, key);
    for (uint32_t i = 0; i < s->n; i++)
        if (!sodium_memcmp(s->v[i].key, key, sizeof key)) {
            s->v[i].seen = now;
            return &s->v[i].who;
        }
    return NULL;
}

void sessions_close(sessions_t *s, const char *token, const char *name)
{
    uint8_t key[crypto_generichash_BYTES];
    if (token) hash_token(token, key);
    uint32_t k = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        const sess_t *x = &s->v[i];
        const int gone =
            token ? !sodium_memcmp(x->key, key, sizeof key) : (name && !strcmp(x->who.name, name));
        if (!gone) s->v[k++] = *x;
    }
    s->n = k;
}

static try_t *entry(sessions_t *s, const char *kind, const char *what, int64_t now, int add)
{
    char key[80];
    snprintf(key, sizeof key, "%s:%.70s", kind, what ? what : "");
    uint32_t k = 0; /* forget windows that have passed */
    for (uint32_t i = 0; i < s->nt; i++)
        if (now - s->t[i].since < s->window_s) s->t[k++] = s->t[i];
    s->nt = k;
    for (uint32_t i = 0; i < s->nt; i++)
        if (!strcmp(s->t[i].key, key)) return &s->t[i];
    if (!add || grow_array((void **)&s->t, &s->capt, s->nt + 1, sizeof *s->t) < 0) return NULL;
    try_t *t = &s->t[s->nt++];
    snprintf(t->key, sizeof t->key, "%s", key);
    t->fails = 0;
    t->since = now;
    return t;
}

int sessions_reserve(sessions_t *s, const char *addr, const char *name, int known_device,
                     int64_t now)
{
    try_t *a = entry(s, "a", addr, now, 0), *n = entry(s, "n", name, now, 0);
    if (a && a->fails >= s->fails) return SESSIONS_LOCKED_ADDR;
    if (!known_device && n && n->fails >= s->fails) return SESSIONS_LOCKED_NAME;
    /* counted as failures until resolved: forty attempts at once meet the
     * limit as forty in a row would */
    if (!(a = entry(s, "a", addr, now, 1))) return SESSIONS_LOCKED_ADDR; /* out of memory */
    a->fails++;
    if ((n = entry(s, "n", name, now, 1))) n->fails++;
    return 0;
}

/* Give one reserved attempt back (an entry may have been forgotten since:
 * its window passed). */
static void give_back(try_t *t)
{
    if (t && t->fails > 0) t->fails--;
}

void sessions_resolve(sessions_t *s, const char *addr, const char *name, int outcome, int64_t now)
{
    try_t *a = entry(s, "a", addr, now, 0), *n = entry(s, "n", name, now, 0);
    if (outcome == SESSIONS_FAILED) return; /* it stays counted */
    give_back(a);
    give_back(n);
    /* The name's owner proved itself: its count starts again. The
     * address's does not: a success with one's own account must not buy
     * more guesses at another's. */
    if (outcome == SESSIONS_OK && n) n->fails = 0;
}

void sessions_device_token(const sessions_t *s, const char *name, char out[SESSION_TOKEN_HEX + 1])
{
    uint8_t mac[crypto_auth_BYTES];
    crypto_auth(mac, (const uint8_t *)name, strlen(name), s->device_key);
    sodium_bin2hex(out, SESSION_TOKEN_HEX + 1, mac, sizeof mac);
}

int sessions_device_known(const sessions_t *s, const char *name, const char *token)
{
    uint8_t mac[crypto_auth_BYTES];
    if (!token || strlen(token) != SESSION_TOKEN_HEX ||
        sodium_hex2bin(mac, sizeof mac, token, SESSION_TOKEN_HEX, NULL, NULL, NULL) != 0)
        return 0;
    return crypto_auth_verify(mac, (const uint8_t *)name, strlen(name), s->device_key) == 0;
}

int sessions_count(sessions_t *s, int64_t now)
{
    expire(s, now);
    return (int)s->n;
}
