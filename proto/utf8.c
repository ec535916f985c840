/* utf8.c — strict UTF-8 validation (see utf8.h for what "strict" means). */
#include "proto/utf8.h"

#include <string.h>

static int ctl_ok(uint8_t c, int flags)
{
    if (c >= 0x20 && c != 0x7f) return 1;
    return (flags & UTF8_ALLOW_NEWLINES) && (c == '\n' || c == '\r' || c == '\t');
}

/* All eight bytes at p are printable ASCII. The tests are the classic SWAR
 * ones: any high bit set; a byte < 0x20 ("has less than"); a byte == 0x7f
 * ("has zero" of w ^ 0x7f..). */
static inline int printable8(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    const uint64_t del = w ^ (ones * 0x7f);
    return !((w & highs) | ((w - ones * 0x20) & ~w & highs) | ((del - ones) & ~del & highs));
}

int utf8_check(const uint8_t *p, size_t n, int flags)
{
    size_t i = 0;
    while (i < n) {
        if (n - i >= 8 && printable8(p + i)) {
            i += 8;
            continue;
        }
        /* Vietnamese has a multi-byte letter every few characters, so once the
         * fast test fails, decode at least eight bytes one by one before
         * trying it again. */
        const size_t stop = n - i > 8 ? i + 8 : n;
        while (i < stop) {
            uint8_t c = p[i];
            if (c < 0x80) {
                if (!ctl_ok(c, flags)) return -1;
                i++;
                continue;
            }
            uint32_t cp;
            size_t len;
            if (c >= 0xc2 && c <= 0xdf) {
                len = 2;
                cp = c & 0x1f;
            } else if (c >= 0xe0 && c <= 0xef) {
                len = 3;
                cp = c & 0x0f;
            } else if (c >= 0xf0 && c <= 0xf4) {
                len = 4;
                cp = c & 0x07;
            } else
                return -1; /* continuation byte, overlong lead (c0/c1) or > U+10FFFF lead */
            if (n - i < len) return -1;
            for (size_t k = 1; k < len; k++) {
                uint8_t cc = p[i + k];
                if ((cc & 0xc0) != 0x80) return -1;
                cp = (cp << 6) | (cc & 0x3f);
            }
            if (len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) return -1;
            if (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) return -1;
            if (cp <= 0x9f) return -1; /* C1 controls (2-byte forms start at U+0080) */
            i += len;
        }
    }
    return 0;
}
