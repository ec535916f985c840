/* fuzz_subscribe.c — libFuzzer: a subscription frame on the tally stream
 * (daemon/stream.h stream_sub_decide), as a subscriber sends it, under each
 * of three scopes (byte 0 picks: the whole country, province 20, district
 * 180). Besides "no crash": a subscription taken is "" only for the whole
 * country, else one unit's topic inside the scope (or a unit made of the
 * scope's units), never longer than a topic. */
#include "daemon/reg.h"
#include "daemon/stream.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static reg_t *reg;

static void setup(void)
{
    reg = reg_new(7 * 3600 * 1000000LL);
    reg_build_t *b = reg_build_new();
    /* 06040 was district 180's until 1 July 2025 (day 20270), a commune of
     * the province after */
    static const struct {
        const char *code, *path;
        int32_t from, to;
    } U[] = {
        {"20", "20", REG_DAY_NONE, REG_DAY_NONE},       {"180", "20.180", REG_DAY_NONE, 20270},
        {"06040", "20.180.06040", REG_DAY_NONE, 20270}, {"06040", "20.06040", 20270, REG_DAY_NONE},
        {"06043", "20.180.06043", REG_DAY_NONE, 20270}, {"04", "04", REG_DAY_NONE, REG_DAY_NONE}};
    for (size_t i = 0; i < sizeof U / sizeof *U; i++)
        reg_build_unit(b, U[i].code, U[i].path, U[i].from, U[i].to);
    reg_build_successor(b, "06043", "06040", 0);
    reg_build_successor(b, "180", "06040", 1);
    char err[256];
    if (reg_build_finish(reg, &b, err, sizeof err) < 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!reg) setup();
    if (!size) return 0;
    static const char *const SCOPES[3] = {"", "20.", "20.180."};
    const char *scope = SCOPES[data[0] % 3];
    char out[64];
    memset(out, 0x5a, sizeof out);
    const int op = stream_sub_decide(reg, scope, data + 1, size - 1, out, sizeof out);
    if (op != STREAM_SUB_ON && op != STREAM_SUB_OFF) return 0;
    const size_t n = strnlen(out, sizeof out);
    if (n == sizeof out || n > 24) abort(); /* a unit's topic at most */
    if (!n) {
        if (*scope) abort(); /* "" is every unit: the whole country's scope only */
        return 0;
    }
    if (!reg_is_unit_topic(reg, out, n)) abort();
    if (strncmp(out, scope, strlen(scope)) && !reg_scope_holds(reg, scope, out, n)) abort();
    return 0;
}
