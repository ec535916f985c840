/* fuzz_login.c — libFuzzer harness for what a login brings from outside
 * (web/param.c): the form's fields (byte 0 even) and the X-Forwarded-For
 * value of a trusted proxy (byte 0 odd).
 *
 * The form is decoded by libmicrohttpd's post processor, which hands each
 * field over in pieces (a key, bytes of its value at an offset); what is
 * ours is param_login_take/param_login_finish, which collect the pieces.
 * The harness plays the post processor: the body is split at '&' and '=',
 * %XX and '+' decoded, and each value given in pieces of (byte 0 / 2)
 * bytes (0: whole), as libmicrohttpd does when a value outgrows its buffer
 * or arrives in several reads.
 *
 * Properties checked besides "no crash, no sanitizer report": a form
 * accepted had exactly a name and a password, each once; what was
 * collected is what was given (pieces put back in order), without NUL, of
 * the lengths given, the name 1 to 64 bytes of UTF-8, the password 1 to 299
 * bytes; an address taken from X-Forwarded-For is an IPv4 or IPv6 address
 * written back in one spelling (parsing it again gives the same text).
 *
 * Run: fuzz_login -max_total_time=15 web/fuzz/corpus-login (deploy/test.sh). */
#include "proto/utf8.h"
#include "web/fuzz/unescape.h"
#include "web/param.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A field's value in pieces of `piece` bytes (0: whole). 0 or -1. */
static int give(param_login_t *f, const char *key, const char *v, size_t n, size_t piece)
{
    if (!piece || n == 0) return param_login_take(f, key, v, 0, n);
    for (size_t off = 0; off < n; off += piece) {
        const size_t k = n - off < piece ? n - off : piece;
        if (param_login_take(f, key, v + off, off, k) < 0) return -1;
    }
    return 0;
}

static void form(const char *body, size_t n, size_t piece)
{
    param_login_t f;
    memset(&f, 0, sizeof f);
    char *key = malloc(n + 1), *val = malloc(n + 1), name[PARAM_NAME_MAX + 1] = "",
         pw[PARAM_PASSWORD_MAX + 1] = "";
    size_t names = 0, passwords = 0, others = 0, nl = 0, pl = 0;
    int refused = 0;
    for (size_t i = 0; i < n && !refused;) {
        size_t j = i;
        while (j < n && body[j] != '&')
            j++;
        size_t eq = i;
        while (eq < j && body[eq] != '=')
            eq++;
        if (j == i) { /* an empty field ("&&"): skipped */
            i = j + 1;
            continue;
        }
        if (eq == i) break; /* "=value": the post processor stops there */
        const size_t kl = fz_unescape(body + i, eq - i, key);
        const size_t vl = eq < j ? fz_unescape(body + eq + 1, j - eq - 1, val) : 0;
        if (eq == j) val[0] = '\0';
        (void)kl; /* the post processor hands the key over as a C string */
        if (!strcmp(key, "name")) {
            names++;
            if (vl <= PARAM_NAME_MAX) memcpy(name, val, vl + 1), nl = vl;
        } else if (!strcmp(key, "password")) {
            passwords++;
            if (vl <= PARAM_PASSWORD_MAX) memcpy(pw, val, vl + 1), pl = vl;
        } else {
            others++;
        }
        refused = give(&f, key, val, vl, piece) < 0;
        i = j + 1;
    }
    if (!refused && param_login_finish(&f) == 0) {
        if (names != 1 || passwords != 1 || others) abort();
        if (f.name_len != nl || f.password_len != pl || strcmp(f.name, name) ||
            strcmp(f.password, pw))
            abort();
        if (strlen(f.name) != nl || strlen(f.password) != pl) abort(); /* no NUL inside */
        if (nl < 1 || nl > PARAM_NAME_MAX || pl < 1 || pl > PARAM_PASSWORD_MAX) abort();
        if (utf8_check((const uint8_t *)f.name, nl, 0)) abort();
    }
    free(key);
    free(val);
}

static void forwarded(const char *v, size_t n)
{
    char out[64], again[64];
    if (param_forwarded_for(v, n, out) < 0) return;
    if (param_forwarded_for(out, strlen(out), again) < 0 || strcmp(out, again)) abort();
    uint8_t a[16];
    if (inet_pton(AF_INET, out, a) != 1 && inet_pton(AF_INET6, out, a) != 1) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 8192) return 0;
    /* a copy of its own: reads past it are the sanitizer's to see */
    char *b = malloc(size - 1 ? size - 1 : 1);
    memcpy(b, data + 1, size - 1);
    if (data[0] % 2 == 0)
        form(b, size - 1, data[0] / 2);
    else
        forwarded(b, size - 1);
    free(b);
    return 0;
}
