/* fuzz_login.c — libFuzzer harness for what a login brings from outside
 * (web/param.c): the urlencoded form (byte 0 even) and the X-Forwarded-For
 * value of a trusted proxy (byte 0 odd).
 *
 * Properties checked besides "no crash, no sanitizer report": a field read
 * has no NUL inside and fits its buffer (its length is strlen's); a form
 * accepted as "name and password only" has no other field; an address
 * taken from X-Forwarded-For is an IPv4 or IPv6 address written back in one
 * spelling (parsing it again gives the same text).
 *
 * Run: fuzz_login -max_total_time=15 web/fuzz/corpus-login (deploy/test.sh). */
#include "web/param.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void form(const char *body, size_t n)
{
    static const char *const F[] = {"name", "password"};
    char out[300];
    size_t len = 0;
    const char *keys[] = {"name", "password", "x"};
    for (int k = 0; k < 3; k++) {
        const size_t caps[] = {1, 2, 80, sizeof out};
        for (int c = 0; c < 4; c++) {
            len = (size_t)-1;
            const int r = param_form_field(body, n, keys[k], out, caps[c], &len);
            if (r == 1 && (len >= caps[c] || strlen(out) != len)) abort();
            if (r < -1 || r > 1) abort();
        }
    }
    if (param_form_only(body, n, F, 2) == 0) {
        /* only name and password: a third name cannot be found */
        if (param_form_field(body, n, "x", out, sizeof out, &len) == 1) abort();
    }
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
        form(b, size - 1);
    else
        forwarded(b, size - 1);
    free(b);
    return 0;
}
