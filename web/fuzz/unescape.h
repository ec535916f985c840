/* unescape.h — libmicrohttpd's unescaping of a query or form value, as the
 * console's fuzzers play it before handing values to web/param.c: %XX, '+'
 * as a space, and a '%' without two hex digits kept as it is. */
#ifndef ANTT_WEB_FUZZ_UNESCAPE_H
#define ANTT_WEB_FUZZ_UNESCAPE_H

#include <stddef.h>

static inline int fz_hexval(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* s[0..n) unescaped into out (room for n + 1 bytes), NUL-terminated. Its
 * length. */
static inline size_t fz_unescape(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && fz_hexval(s[i + 1]) >= 0 && fz_hexval(s[i + 2]) >= 0) {
            out[o++] = (char)(fz_hexval(s[i + 1]) * 16 + fz_hexval(s[i + 2]));
            i += 2;
        } else {
            out[o++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    out[o] = '\0';
    return o;
}

#endif
