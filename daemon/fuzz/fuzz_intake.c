/* fuzz_intake.c — libFuzzer harness for the daemon's whole intake path,
 * without the network: bytes -> frames -> daemon_take (envelope checks,
 * decode + validate, the node's rate, admission against a registry) -> the
 * ack the daemon would send after COMMIT, read back by the client's reader.
 *
 * Input: byte 0 picks the path and the authenticated sender (0: acked, no
 * CURVE; 1: acked as commune node ls-180-06040; 2: acked as district node
 * ls-180; 3: publish-only as ls-180-06040), byte 1 the number of envelope
 * frames (mod 6; 5 means too many), then each frame as a length byte and
 * its bytes; the rest is the payload.
 *
 * Properties checked besides "no crash, no sanitizer report":
 *   - every refusal, of a message or an event, carries a code PROTOCOL.md lists;
 *   - every ack decodes, one per event, in order, with a known status;
 *   - an authenticated sender never gets an event past admission that names
 *     another node, or a unit outside its node's subtree.
 *
 * Run: fuzz_intake -max_total_time=30 CORPUS_DIR (deploy/test.sh seeds it
 * from proto/fuzz/corpus). */
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "proto/ack.h"
#include "proto/err.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static daemon_t d;
static int ready;

static void setup(void)
{
    cfg_t cfg;
    cfg_defaults(&cfg);
    snprintf(cfg.log_level, sizeof cfg.log_level, "error");
    char err[256];
    if (daemon_init(&d, &cfg, NULL, err, sizeof err) < 0) abort();
    reg_build_t *b = reg_build_new();
    static const char *const units[][2] = {
        {"20", "20"},      {"180", "20.180"}, {"06040", "20.180.06040"}, {"06043", "20.180.06043"},
        {"181", "20.181"}, {"04", "04"}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        reg_build_unit(b, units[i][0], units[i][1], REG_DAY_NONE, REG_DAY_NONE);
    reg_build_node(b, "ls-180-06040", "06040", 0, NULL);
    reg_build_node(b, "ls-180", "180", 0, NULL);
    reg_build_node(b, "ls-181", "181", 1, NULL);
    reg_build_group(b, "social_order", 1);
    reg_build_group(b, "drugs", 1);
    reg_build_group(b, "traffic", 0);
    if (reg_build_finish(d.reg, &b, err, sizeof err) < 0) abort();
    ready = 1;
}

static int known(int code)
{
    return strcmp(antt_err_name(code), "UNKNOWN") != 0;
}

static int inside(const char *unit_path, const char *home_path)
{
    size_t n = strlen(home_path);
    return !strncmp(unit_path, home_path, n) && (unit_path[n] == '\0' || unit_path[n] == '.');
}

static void check(const char *auth)
{
    for (uint32_t lane = 0; lane < d.q.n; lane++)
        for (batch_t *b; (b = bqueue_oldest(&d.q.lane[lane])); bqueue_pop(&d.q.lane[lane])) {
            for (uint32_t mi = 0; mi < b->nmsg; mi++) {
                const bmsg_t *m = batch_msg_at(b, mi);
                if (m->code) {
                    if (!known(m->code)) abort();
                    continue;
                }
                for (uint32_t i = 0; i < m->count; i++) {
                    const store_ev_t *e = &b->ev[m->first + i];
                    if (e->v.code && !known(e->v.code)) abort();
                    if (auth && !e->fixed) { /* past admission: must be the sender's own */
                        if (e->ev.node.n != strlen(auth) ||
                            memcmp(e->ev.node.p, auth, e->ev.node.n))
                            abort();
                        const char *hc = !strcmp(auth, "ls-180") ? "180" : "06040";
                        const char *home = reg_unit_path(d.reg, hc, strlen(hc));
                        const char *u = reg_unit_path(d.reg, e->ev.unit.p, e->ev.unit.n);
                        if (!home || !u || !inside(u, home)) abort();
                    }
                }
                const msgpack_sbuffer *sb = daemon_ack(&d, b, m);
                ack_reply_t rep;
                if (ack_open(&rep, sb->data, sb->size) < 0 || rep.count != m->count) abort();
                ack_t a;
                uint32_t k = 0;
                while (ack_next(&rep, &a) == 1) {
                    if (a.index != k++ || (unsigned)a.status >= ACK_STATUS_COUNT) abort();
                }
                if (k != m->count) abort();
            }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) setup();
    if (size < 2) return 0;
    static const char *const senders[4] = {NULL, "ls-180-06040", "ls-180", "ls-180-06040"};
    const int sel = data[0] & 3;
    const path_t path = sel == 3 ? PATH_PUBLISH : PATH_ACKED;
    int nenv = data[1] % 6, toomany = nenv == 5;
    if (toomany) nenv = 4;
    size_t off = 2;
    zmq_msg_t fr[INTAKE_MAX_FRAMES];
    int n = 0;
    if (path == PATH_ACKED)
        zmq_msg_init_size(&fr[n++], 5), memcpy(zmq_msg_data(&fr[0]), "\0peer", 5);
    for (int i = 0; i < nenv && path == PATH_ACKED; i++) {
        size_t len = off < size ? data[off++] : 0;
        if (len > size - off) len = size - off;
        zmq_msg_init_size(&fr[n], len);
        if (len) memcpy(zmq_msg_data(&fr[n]), data + off, len);
        off += len;
        n++;
    }
    zmq_msg_init_size(&fr[n], size - off);
    if (size > off) memcpy(zmq_msg_data(&fr[n]), data + off, size - off);
    n++;
    daemon_take(&d, path, fr, n, toomany, senders[sel]);
    for (int i = 0; i < n; i++)
        zmq_msg_close(&fr[i]);
    check(senders[sel]);
    return 0;
}
