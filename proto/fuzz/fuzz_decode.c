/* fuzz_decode.c — libFuzzer harness for everything proto/ reads off a socket.
 *
 * Besides "no crash, no sanitizer report" it checks two properties:
 *   - every refusal carries a code the protocol lists;
 *   - every accepted event, re-encoded by enc_event and decoded again, is
 *     accepted with the same content (the encoder and decoder agree).
 * The same bytes are also fed to the reply reader (ack_open/ack_next), which
 * the client runs on what the daemon sends back.
 *
 * Run: fuzz_decode -max_total_time=60 CORPUS_DIR proto/fuzz/corpus
 */
#include "proto/ack.h"
#include "proto/decode.h"
#include "proto/encode.h"
#include "proto/err.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#define NOW_US 1686798000000000LL /* fixed: runs are reproducible */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int str_eq(ev_str_t a, ev_str_t b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static int same(const ev_t *a, const ev_t *b)
{
    return a->type == b->type && a->version == b->version && !memcmp(a->id, b->id, 16) &&
           str_eq(a->node, b->node) && str_eq(a->unit, b->unit) && a->seq == b->seq &&
           a->time_us == b->time_us && str_eq(a->ref, b->ref) && str_eq(a->group, b->group) &&
           a->severity == b->severity && a->occurred_us == b->occurred_us &&
           str_eq(a->occurred_unit, b->occurred_unit) && a->deaths == b->deaths &&
           a->injuries == b->injuries && str_eq(a->summary, b->summary) &&
           a->suspects == b->suspects && str_eq(a->reason, b->reason) && a->kind == b->kind &&
           a->source == b->source && a->at_us == b->at_us && a->deadline_us == b->deadline_us &&
           a->basis == b->basis && a->outcome == b->outcome && a->present == b->present;
}

static void check_code(int rc)
{
    if (rc < 0 && strcmp(antt_err_name(-rc), "UNKNOWN") == 0) abort();
}

static void roundtrip(const ev_t *ev)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    if (enc_event(&pk, ev) < 0) abort();
    dec_msg_t m;
    dec_err_t err;
    ev_t again;
    if (dec_open(&m, sb.data, sb.size, NOW_US, &err) < 0) abort();
    if (dec_next(&m, &again, &err) != 1) abort();
    if (!same(ev, &again)) abort();
    msgpack_sbuffer_destroy(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dec_msg_t m;
    dec_err_t err;
    ev_t ev;
    int rc = dec_open(&m, data, size, NOW_US, &err);
    check_code(rc);
    if (rc == 0) {
        /* the routing peek (store lanes) reads outside input too: whatever
         * it finds lies within the message */
        const char *node;
        size_t n;
        if (dec_node(&m, &node, &n) == 0 &&
            ((const uint8_t *)node < data || (const uint8_t *)node + n > data + size))
            abort();
        while ((rc = dec_next(&m, &ev, &err)) != 0) {
            check_code(rc);
            if (rc > 0) roundtrip(&ev);
        }
    }

    ack_reply_t rep;
    ack_t a;
    if (ack_open(&rep, data, size) == 0)
        while (ack_next(&rep, &a) > 0)
            if (a.status >= ACK_STATUS_COUNT) abort();
    return 0;
}
