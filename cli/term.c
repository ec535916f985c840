/* term.c — see term.h. */
#include "cli/term.h"

#include <string.h>
#include <unistr.h>
#include <uniwidth.h>

/* The next character of s: its length in bytes and its width in cells. */
static size_t next(const char *s, int *cells)
{
    ucs4_t uc;
    size_t left = 1; /* a character is at most 4 bytes: no need to measure the rest */
    while (left < 4 && s[left - 1] && s[left])
        left++;
    int n = u8_mbtouc(&uc, (const uint8_t *)s, left);
    if (n < 1) n = 1;
    int w = uc_width(uc, "UTF-8");
    *cells = w < 0 ? 1 : w; /* control characters: one cell, never negative */
    return (size_t)n;
}

int term_width(const char *s)
{
    int total = 0, w;
    for (const char *p = s; *p;) {
        p += next(p, &w);
        total += w;
    }
    return total;
}

void term_cell(char *out, size_t cap, const char *s, int width, int right_align)
{
    static const char ELLIPSIS[] = "\xe2\x80\xa6"; /* U+2026, one cell */
    if (!cap) return;
    size_t o = 0;
    int have = term_width(s);
    if (have <= width) {
        int pad = width - have;
        size_t len = strlen(s);
        if (right_align)
            for (; pad > 0 && o + 1 < cap; pad--)
                out[o++] = ' ';
        if (o + len < cap) {
            memcpy(out + o, s, len);
            o += len;
        }
        for (; pad > 0 && o + 1 < cap; pad--)
            out[o++] = ' ';
        out[o] = '\0';
        return;
    }
    /* Too wide: whole characters up to width - 1 cells, then the ellipsis. */
    int used = 0, w;
    for (const char *p = s; *p;) {
        size_t n = next(p, &w);
        if (used + w > width - 1 || o + n + sizeof ELLIPSIS > cap) break;
        memcpy(out + o, p, n);
        o += n;
        used += w;
        p += n;
    }
    if (width > 0 && o + sizeof ELLIPSIS <= cap) {
        memcpy(out + o, ELLIPSIS, sizeof ELLIPSIS - 1);
        o += sizeof ELLIPSIS - 1;
        used++;
    }
    for (; used < width && o + 1 < cap; used++)
        out[o++] = ' ';
    out[o] = '\0';
}
