/* fuzz_param.c — libFuzzer harness for the console's query parameters
 * (web/param.c), as libmicrohttpd hands them over: the input's first byte
 * picks the question, the rest is a query string, split at '&' and '=' and
 * percent-decoded here as libmicrohttpd does (so %00 puts a NUL inside a
 * value, and the length says so).
 *
 * Properties checked besides "no crash, no sanitizer report": whatever is
 * accepted is what the question may be given — a unit code, real days in
 * order at most ten years apart, a year in 2000..2100, days in 1..366, the
 * picker's text valid UTF-8 of at most 64 bytes — and a refusal always
 * says why.
 *
 * Run: fuzz_param -max_total_time=15 web/fuzz/corpus-param (deploy/test.sh). */
#include "proto/utf8.h"
#include "web/fuzz/unescape.h"
#include "web/param.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const ENDPOINTS[] = {"me",       "events", "units",   "overview",
                                        "children", "months", "overdue", "tipoffs",
                                        "stations", "report", "nothing"};

static void check_accepted(const param_t *p, const char *endpoint)
{
    if (p->unit[0] && !param_unit_valid(p->unit, strlen(p->unit))) abort();
    const char *days[4] = {p->from, p->to, p->cfrom, p->cto};
    for (int i = 0; i < 4; i++)
        if (days[i][0] && !param_day_valid(days[i], strlen(days[i]))) abort();
    if (p->from[0] && p->to[0]) {
        const long f = param_day_number(p->from), t = param_day_number(p->to);
        if (t <= f || t - f > 3660) abort();
    }
    if ((p->year && (p->year < 2000 || p->year > 2100)) ||
        (p->cmp && (p->cmp < 2000 || p->cmp > 2100)) || p->within < 0 || p->within > 366)
        abort();
    if (strlen(p->q) > PARAM_Q_MAX || utf8_check((const uint8_t *)p->q, strlen(p->q), 0)) abort();
    if (!strcmp(endpoint, "report") && !p->year) abort();                  /* needed */
    if (!strcmp(p->format, "text") && strcmp(endpoint, "report")) abort(); /* the report's */
    if (p->part[0] && strcmp(p->part, "overdue") && strcmp(p->part, "due") &&
        strcmp(p->part, "times"))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096) return 0;
    const char *endpoint = ENDPOINTS[data[0] % (sizeof ENDPOINTS / sizeof ENDPOINTS[0])];
    const uint8_t *q = data + 1;
    const size_t n = size - 1;
    char *key = malloc(n + 1), *val = malloc(n + 1), why[200];
    param_t p;
    memset(&p, 0, sizeof p);
    int ok = 1;
    for (size_t i = 0; i < n && ok;) {
        size_t j = i;
        while (j < n && q[j] != '&')
            j++;
        size_t eq = i;
        while (eq < j && q[eq] != '=')
            eq++;
        const size_t kl = fz_unescape((const char *)q + i, eq - i, key);
        const int has_val = eq < j;
        const size_t vl = has_val ? fz_unescape((const char *)q + eq + 1, j - eq - 1, val) : 0;
        why[0] = '\0';
        if (param_take(&p, endpoint, key, kl, has_val ? val : NULL, vl, why, sizeof why) < 0) {
            if (!why[0]) abort(); /* a refusal says why */
            ok = 0;
        }
        i = j + 1;
    }
    if (ok) {
        why[0] = '\0';
        if (param_finish(&p, endpoint, why, sizeof why) == 0)
            check_accepted(&p, endpoint);
        else if (!why[0])
            abort();
    }
    free(key);
    free(val);
    return 0;
}
