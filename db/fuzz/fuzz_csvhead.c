/* fuzz_csvhead.c — libFuzzer: the header line of every reference-data CSV
 * file anttd loads (db/csvhead.h). The first byte picks the file's format;
 * the rest is the line. Checked beyond "no crash": the column list written
 * is terminated within its buffer, names only allowed columns, each once,
 * and every required one. */
#include "db/csvhead.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size) return 0;
    const csv_format_t *fm = &CSV_FORMATS[data[0] % CSV_KINDS];
    char cols[96]; /* smaller than any loader's: the bound is what is fuzzed */
    memset(cols, 0x5a, sizeof cols);
    char err[128];
    const int rc = csvhead_parse((const char *)data + 1, size - 1, fm->allowed, fm->required, cols,
                                 sizeof cols, err, sizeof err);
    if (!memchr(cols, '\0', sizeof cols)) abort();
    if (rc < 0) return 0;
    int count[16] = {0};
    char copy[sizeof cols];
    memcpy(copy, cols, sizeof cols);
    for (char *save = NULL, *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        int i = 0;
        while (fm->allowed[i] && strcmp(fm->allowed[i], t))
            i++;
        if (!fm->allowed[i] || ++count[i] > 1) abort();
    }
    for (const char *const *q = fm->required; *q; q++) {
        int i = 0;
        while (strcmp(fm->allowed[i], *q))
            i++;
        if (count[i] != 1) abort();
    }
    return 0;
}
