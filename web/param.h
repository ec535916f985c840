/* param.h — the console's outside input, parsed strictly: query parameters,
 * the login form, days, and the client's address behind a trusted proxy.
 *
 * Pure functions (no libmicrohttpd, no database), so that the fuzzer
 * (web/fuzz/fuzz_param.c) and the unit tests reach every path. Strict means:
 * the whole value is read (`year=2023 OR 1=1` is refused, not 2023), no NUL
 * inside (libmicrohttpd decodes %00 into a value: the caller passes the
 * length it got, and a NUL before it is refused), text is valid UTF-8
 * without control characters, numbers in range, names known to the
 * endpoint and each given once. A refusal says which parameter and why. */
#ifndef ANTT_WEB_PARAM_H
#define ANTT_WEB_PARAM_H

#include <stddef.h>
#include <stdint.h>

#define PARAM_UNIT_MAX 40 /* "group:" and 32 characters, with room */
#define PARAM_Q_MAX    64 /* the picker's search, in bytes */

/* The parameters of one /api/ question, parsed. A field absent from the
 * query is "" (text) or 0 (number). */
typedef struct {
    char unit[PARAM_UNIT_MAX + 1];
    char from[11], to[11], cfrom[11], cto[11]; /* YYYY-MM-DD */
    char q[PARAM_Q_MAX + 1];
    char lang[3];   /* "vi" or "en"; "" */
    char format[5]; /* "text" (the report's alone), "csv" or "json"; "" */
    char part[8];   /* tip-offs: "overdue", "due" or "times"; "" */
    int year, cmp;  /* 2000..2100 */
    int within;     /* 1..366 */
    int stat;       /* 0 or 1 */
    unsigned seen;  /* which names were given (bits of param.c's table) */
} param_t;

/* 1 when the endpoint ("overview", "units", ...) is a question this module
 * knows the parameters of, else 0 (the caller answers 404). */
int param_known(const char *endpoint);

/* Take one decoded parameter of the query (key and value with their
 * lengths as libmicrohttpd decoded them). 0, or -1 with why (a sentence
 * naming the parameter): an unknown name for this endpoint, one given
 * twice, a NUL inside, or a value that is not wholly what the name takes. */
int param_take(param_t *p, const char *endpoint, const char *key, size_t klen, const char *val,
               size_t vlen, char *why, size_t whylen);

/* The name of parameter i of param.c's table, NULL past its end; and what
 * the endpoint does with the parameter called name: 2 needs it, 1 takes
 * it, 0 refuses it (or the endpoint is unknown). For the test that holds
 * docs/http-api.md to this module. */
const char *param_name(size_t i);
int param_takes(const char *endpoint, const char *name);

/* After every parameter was taken: the ones the endpoint needs are there,
 * and they agree (from before to and at most ten years apart; cfrom and cto
 * together, likewise). 0, or -1 with why. */
int param_finish(const param_t *p, const char *endpoint, char *why, size_t whylen);

/* 1 when d[0..n) is a real day YYYY-MM-DD from 1900 to 9999, else 0. */
int param_day_valid(const char *d, size_t n);

/* Days since 1970-01-01 of a valid day. */
long param_day_number(const char *d);

/* 1 when u[0..n) is a unit code (2, 3 or 5 digits), "group:NAME" (1 to 32
 * of [A-Za-z0-9_-]) or "all". */
int param_unit_valid(const char *u, size_t n);

/* The login form, as libmicrohttpd's post processor decodes it (an
 * application/x-www-form-urlencoded body): exactly a name and a password,
 * each once, without NUL; the name 1 to 64 bytes of UTF-8 text, the
 * password 1 to 299 bytes. Start it zeroed; wipe it after use (a password
 * went through it). */
#define PARAM_NAME_MAX     64
#define PARAM_PASSWORD_MAX 299
typedef struct {
    char name[PARAM_NAME_MAX + 1];
    char password[PARAM_PASSWORD_MAX + 1];
    size_t name_len, password_len;
    unsigned seen, last; /* the fields begun, and the last one (param.c's bits) */
    int bad;             /* refused: so it stays */
} param_login_t;

/* One piece of a field, as the post processor hands it over: its name
 * (key), size bytes of its decoded value at offset off (0: the field
 * begins; more: the field begun last goes on). 0, or -1 when the form is
 * refused from now on: an unknown field, one given twice, a NUL inside, a
 * value longer than its maximum. */
int param_login_take(param_login_t *f, const char *key, const char *data, uint64_t off,
                     size_t size);

/* After the whole body: 0 when the form is a name and a password as above,
 * -1 otherwise. */
int param_login_finish(const param_login_t *f);

/* The client's address from an X-Forwarded-For value written by a trusted
 * proxy: its last hop (the address the proxy itself saw; the earlier ones
 * are whatever the client claimed). Written as text into out. 0, or -1 when
 * the last hop is not an IPv4 or IPv6 address. */
int param_forwarded_for(const char *value, size_t len, char out[64]);

#endif
