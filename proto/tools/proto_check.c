/* proto_check.c — antt-proto-check: validate one protocol message offline.
 *
 * For station-software vendors and for our own interop tests: reads one
 * message (the bytes of one ZeroMQ frame) from a file or stdin and prints,
 * as JSON Lines, the verdict anttd's decoder would give — a message-level
 * refusal, or one line per event. It checks the protocol only; it does not
 * know the database (units, nodes, cases).
 *
 * Usage: antt-proto-check [--now UNIX_MS] [FILE]
 * Exit:  0 every event valid, 1 something refused, 2 usage or I/O error.
 */
#include "proto/decode.h"
#include "proto/err.h"
#include "proto/ts.h"
#include "proto/uuid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void json_str(const char *s)
{
    putchar('"');
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

int main(int argc, char **argv)
{
    int64_t now = ts_now_us();
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--now") && i + 1 < argc) {
            now = strtoll(argv[++i], NULL, 10) * 1000;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            puts("usage: antt-proto-check [--now UNIX_MS] [FILE]\n"
                 "Validate one ANTT protocol v1 message; one JSON line per verdict.\n"
                 "exit 0: all events valid; 1: something refused; 2: usage or I/O error");
            return 0;
        } else if (!path) {
            path = argv[i];
        } else {
            fprintf(stderr, "antt-proto-check: unexpected argument %s\n", argv[i]);
            return 2;
        }
    }
    FILE *f = path ? fopen(path, "rb") : stdin;
    if (!f) {
        perror(path);
        return 2;
    }
    /* One byte over the limit is enough to know the message is too large. */
    size_t cap = ANTT_MAX_MSG_BYTES + 1;
    unsigned char *buf = malloc(cap);
    size_t len = buf ? fread(buf, 1, cap, f) : 0;
    if (!buf || ferror(f)) {
        fprintf(stderr, "antt-proto-check: cannot read input\n");
        return 2;
    }
    if (path) fclose(f);

    dec_msg_t m;
    dec_err_t err;
    int bad = 0;
    if (dec_open(&m, buf, len, now, &err) < 0) {
        printf("{\"message\":\"refused\",\"code\":%d,\"name\":\"%s\",\"msg\":", err.code,
               antt_err_name(err.code));
        json_str(err.msg);
        puts("}");
        free(buf);
        return 1;
    }
    ev_t ev;
    int rc;
    while ((rc = dec_next(&m, &ev, &err)) != 0) {
        char id[UUID_TEXT_LEN + 1] = "";
        if (ev.present & EVB(EVF_ID)) uuid_format(ev.id, id);
        printf("{\"i\":%u,\"id\":", m.index - 1);
        if (id[0])
            json_str(id);
        else
            fputs("null", stdout);
        if (rc > 0) {
            printf(",\"status\":\"valid\",\"type\":\"%s\"}\n", ev_enum_name(&EV_TYPES, ev.type));
        } else {
            bad = 1;
            printf(",\"status\":\"refused\",\"code\":%d,\"name\":\"%s\",\"field\":", err.code,
                   antt_err_name(err.code));
            json_str(err.field ? err.field : "");
            fputs(",\"msg\":", stdout);
            json_str(err.msg);
            puts("}");
        }
    }
    free(buf);
    return bad;
}
