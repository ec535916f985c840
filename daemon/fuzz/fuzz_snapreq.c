/* fuzz_snapreq.c — libFuzzer: a tally snapshot request (daemon/snap.h,
 * PROTOCOL.md section 16.3), as the snapshot port reads it from anyone who
 * can reach it. Besides "no crash, no sanitizer report": a request taken
 * has a unit of 1-15 bytes without a NUL and days within the clamp. */
#include "daemon/snap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char unit[16];
    memset(unit, 0x5a, sizeof unit);
    int64_t from = -7, to = -7;
    if (snap_parse_request(data, size, unit, &from, &to) < 0) return 0;
    const size_t n = strnlen(unit, sizeof unit);
    if (n == 0 || n == sizeof unit) abort();
    if (from < 0 || from > 1000000 || to < 0 || to > 1000000) abort();
    return 0;
}
