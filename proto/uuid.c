/* uuid.c — UUID text <-> bytes, and UUIDv7 layout (RFC 9562 section 5.7). */
#include "proto/uuid.h"

#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int uuid_parse(const char *s, size_t n, uint8_t out[16])
{
    if (n != UUID_TEXT_LEN) return -1;
    int o = 0;
    for (size_t i = 0; i < n;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return -1;
            i++;
            continue;
        }
        int hi = hexval(s[i]), lo = hexval(s[i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[o++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    return 0;
}

void uuid_format(const uint8_t id[16], char out[UUID_TEXT_LEN + 1])
{
    static const char HEX[] = "0123456789abcdef";
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
        *p++ = HEX[id[i] >> 4];
        *p++ = HEX[id[i] & 15];
    }
    *p = '\0';
}

int uuid_is_nil(const uint8_t id[16])
{
    static const uint8_t ZERO[16];
    return memcmp(id, ZERO, 16) == 0;
}

void uuid_v7(uint8_t out[16], uint64_t unix_ms, const uint8_t rnd[10])
{
    for (int i = 0; i < 6; i++)
        out[i] = (uint8_t)(unix_ms >> (40 - 8 * i));
    memcpy(out + 6, rnd, 10);
    out[6] = (uint8_t)(0x70 | (out[6] & 0x0f)); /* version 7 */
    out[8] = (uint8_t)(0x80 | (out[8] & 0x3f)); /* variant 10 */
}
