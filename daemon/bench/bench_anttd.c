/* bench_anttd.c — many connections to anttd at once over loopback.
 *
 * (Throughput and latency are measured with `antt load`, the COPY ceiling by
 * db/bench/ceiling.c; this program adds what they cannot do.)
 *   bench_anttd connect PORT NODES HOLD_SECONDS [FIRST]
 *       NODES DEALERs (node ids from bench-FIRST) connected at once, each
 *       sends one event, all hold the connection HOLD_SECONDS (anttd's RSS is
 *       read by the script meanwhile). Each DEALER costs this process two
 *       descriptors (its TCP socket and its mailbox), so the script splits
 *       10,000 nodes over processes to stay under the descriptor limit.
 *   bench_anttd storm PORT NODES EVENTS [FIRST]
 *       a reconnection storm: NODES stations connect at once after an outage
 *       and flush their spools of EVENTS events each — every other station
 *       as one message, the others one event a message, all sent at once.
 *       A reply with a deferred event (a clearance of a case not stored yet)
 *       or refused for the node's rate (402) or a server error (5xx) has its
 *       message sent again 250 ms later, as the spool does (what was stored
 *       is answered duplicate). Prints the time
 *       until every event was answered for good, the answers by status and
 *       the refused messages by code.
 *   bench_anttd push ENDPOINT SECONDS
 *       the peer's side of the comparison with rsyslog (daemon/bench/run.sh):
 *       a PUSH socket sending the same one-event messages stations send, as
 *       hex text (rsyslog takes text), as fast as the peer takes them, for
 *       SECONDS; prints how many went.
 * The mix per node, in each run of 10 events: 4 incident.reported, 4
 * tipoff.received, 1 incident.cleared (of the node's oldest open case),
 * 1 tipoff.resolved (of its oldest pending tip-off); groups social_order and
 * drugs mostly; occurrence spread over the last 30 days. */
#include "lib/loadgen.h"
#include "proto/ack.h"
#include "proto/encode.h"
#include "proto/ts.h"
#include "proto/util.h"
#include "proto/uuid.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static lg_bench_t g_bench; /* the stations (lib/loadgen.h) */

static void gen_init(lg_node_t *g, int i)
{
    lg_bench_station(&g_bench, g, i);
}

static void raise_nofile(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
}

static void *dealer(void *ctx, int port)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0, hwm = 10000;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    if (zmq_connect(s, ep) < 0) {
        fprintf(stderr, "connect: %s\n", zmq_strerror(zmq_errno()));
        exit(1);
    }
    return s;
}

/* Read one reply; returns its corr frame value, counts statuses. -1 if none.
 * *code: the message-level code (0 when the message was read). */
static long take_reply(void *s, uint64_t counts[ACK_STATUS_COUNT], uint32_t *nacks, int *code)
{
    zmq_msg_t f;
    long corr = -1;
    int first = 1;
    *nacks = 0;
    *code = 0;
    for (;;) {
        zmq_msg_init(&f);
        if (zmq_msg_recv(&f, s, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&f);
            return -1;
        }
        int more = zmq_msg_more(&f);
        if (first && more && zmq_msg_size(&f) == 8) {
            uint64_t v;
            memcpy(&v, zmq_msg_data(&f), 8);
            corr = (long)v;
        }
        if (!more) {
            ack_reply_t rep;
            ack_t a;
            if (ack_open(&rep, zmq_msg_data(&f), zmq_msg_size(&f)) == 0) {
                *code = rep.code;
                while (ack_next(&rep, &a) == 1) {
                    counts[a.status]++;
                    (*nacks)++;
                }
            }
        }
        first = 0;
        zmq_msg_close(&f);
        if (!more) return corr;
    }
}

static void send_msg(void *s, uint64_t corr, const msgpack_sbuffer *sb)
{
    zmq_send(s, &corr, 8, ZMQ_SNDMORE);
    zmq_send(s, sb->data, sb->size, 0);
}

static int connect_many(int port, int nodes, int hold, int first)
{
    raise_nofile();
    void *ctx = zmq_ctx_new();
    zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, nodes + 100);
    zmq_ctx_set(ctx, ZMQ_IO_THREADS, 2);
    void **socks = calloc((size_t)nodes, sizeof *socks);
    lg_node_t g;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    for (int i = 0; i < nodes; i++) {
        socks[i] = dealer(ctx, port);
        gen_init(&g, first + i);
        lg_message(&g, 1, &sb, ts_now_us());
        if (!getenv("BENCH_SILENT")) send_msg(socks[i], (uint64_t)i, &sb);
    }
    uint64_t counts[ACK_STATUS_COUNT] = {0};
    int answered = 0;
    const int64_t end = mono_us() + (int64_t)hold * 1000000;
    zmq_pollitem_t *items = calloc((size_t)nodes, sizeof *items);
    for (int i = 0; i < nodes; i++)
        items[i] = (zmq_pollitem_t){socks[i], 0, ZMQ_POLLIN, 0};
    while (mono_us() < end) {
        if (zmq_poll(items, nodes, 200) <= 0) continue;
        for (int i = 0; i < nodes; i++)
            if (items[i].revents & ZMQ_POLLIN) {
                uint32_t n;
                int code;
                while (take_reply(socks[i], counts, &n, &code) >= 0)
                    answered++;
            }
        if (answered == nodes) {
            printf("connect nodes=%d all_answered_after_ms=%.0f\n", nodes,
                   (double)(mono_us() - (end - (int64_t)hold * 1000000)) / 1000.0);
            fflush(stdout);
            answered++; /* print once, keep holding */
        }
    }
    printf("connect nodes=%d answered=%d accepted=%llu\n", nodes,
           answered > nodes ? nodes : answered, (unsigned long long)counts[0]);
    for (int i = 0; i < nodes; i++)
        zmq_close(socks[i]);
    zmq_ctx_term(ctx);
    msgpack_sbuffer_destroy(&sb);
    free(socks), free(items);
    return answered >= nodes ? 0 : 1;
}

typedef struct {
    void *sock;
    char *data;
    size_t len;
    int64_t resend_at; /* 0: not to send again */
    int answered;      /* for good: no deferred event in its reply */
} storm_msg_t;

static int storm(int port, int nodes, int events, int first)
{
    raise_nofile();
    void *ctx = zmq_ctx_new();
    zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, nodes + 100);
    zmq_ctx_set(ctx, ZMQ_IO_THREADS, 2);
    void **socks = calloc((size_t)nodes, sizeof *socks);
    const size_t cap = (size_t)nodes * (size_t)events;
    storm_msg_t *m = calloc(cap, sizeof *m);
    size_t nm = 0;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    lg_node_t g;
    /* the spools, made before the storm so that it is only sending */
    for (int i = 0; i < nodes; i++) {
        socks[i] = NULL;
        gen_init(&g, first + i);
        const int whole = i % 2 == 0;
        for (int k = 0; k < (whole ? 1 : events); k++) {
            lg_message(&g, whole ? events : 1, &sb, ts_now_us());
            m[nm] = (storm_msg_t){.len = sb.size, .data = malloc(sb.size)};
            memcpy(m[nm].data, sb.data, sb.size);
            m[nm++].sock = (void *)(intptr_t)(i + 1); /* its node, for now */
        }
    }
    const int64_t t0 = mono_us();
    for (int i = 0; i < nodes; i++)
        socks[i] = dealer(ctx, port);
    for (size_t k = 0; k < nm; k++) {
        m[k].sock = socks[(intptr_t)m[k].sock - 1];
        zmq_send(m[k].sock, &(uint64_t){k}, 8, ZMQ_SNDMORE);
        zmq_send(m[k].sock, m[k].data, m[k].len, 0);
    }
    uint64_t counts[ACK_STATUS_COUNT] = {0}, codes[1000] = {0}, resent = 0;
    size_t done = 0;
    zmq_pollitem_t *items = calloc((size_t)nodes, sizeof *items);
    for (int i = 0; i < nodes; i++)
        items[i] = (zmq_pollitem_t){socks[i], 0, ZMQ_POLLIN, 0};
    const int64_t end = t0 + 300 * 1000000LL; /* bounded: five minutes */
    int64_t now = t0;
    while (done < nm && (now = mono_us()) < end) {
        for (size_t k = 0; k < nm; k++)
            if (m[k].resend_at && now >= m[k].resend_at) {
                m[k].resend_at = 0;
                zmq_send(m[k].sock, &(uint64_t){k}, 8, ZMQ_SNDMORE);
                zmq_send(m[k].sock, m[k].data, m[k].len, 0);
                resent++;
            }
        if (zmq_poll(items, nodes, 50) <= 0) continue;
        for (int i = 0; i < nodes; i++) {
            if (!(items[i].revents & ZMQ_POLLIN)) continue;
            uint64_t c[ACK_STATUS_COUNT] = {0};
            uint32_t n;
            int code;
            long k;
            while ((k = take_reply(socks[i], c, &n, &code)) >= 0) {
                if (code > 0 && code < 1000) codes[code]++;
                if ((size_t)k >= nm || m[k].answered) continue;
                if (c[ACK_DEFERRED] || code == 402 || code >= 500) { /* later, as told */
                    m[k].resend_at = mono_us() + 250000;
                } else {
                    m[k].answered = 1;
                    done++;
                }
                for (int st = 0; st < ACK_STATUS_COUNT; st++)
                    counts[st] += c[st], c[st] = 0;
            }
        }
    }
    printf("storm nodes=%d events_each=%d messages=%zu answered_for_good=%zu "
           "all_answered_after_ms=%.0f resent_messages=%llu\n",
           nodes, events, nm, done, done == nm ? (double)(mono_us() - t0) / 1000.0 : -1.0,
           (unsigned long long)resent);
    printf("storm answers accepted=%llu duplicate=%llu rejected=%llu deferred=%llu\n",
           (unsigned long long)counts[ACK_ACCEPTED], (unsigned long long)counts[ACK_DUPLICATE],
           (unsigned long long)counts[ACK_REJECTED], (unsigned long long)counts[ACK_DEFERRED]);
    printf("storm refused_messages");
    int any = 0;
    for (int c = 1; c < 1000; c++)
        if (codes[c]) printf(" %d=%llu", c, (unsigned long long)codes[c]), any = 1;
    printf("%s\n", any ? "" : " none");
    for (int i = 0; i < nodes; i++)
        zmq_close(socks[i]);
    zmq_ctx_term(ctx);
    for (size_t k = 0; k < nm; k++)
        free(m[k].data);
    msgpack_sbuffer_destroy(&sb);
    free(socks), free(items), free(m);
    return done == nm ? 0 : 1;
}

static int push(const char *endpoint, int secs)
{
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_PUSH);
    if (zmq_connect(s, endpoint) != 0) {
        fprintf(stderr, "push: %s: %s\n", endpoint, zmq_strerror(errno));
        return 1;
    }
    enum { NODES = 100 };
    static lg_node_t g[NODES];
    for (int i = 0; i < NODES; i++)
        gen_init(&g[i], 200000 + i);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    char *hex = NULL;
    size_t cap = 0;
    uint64_t sent = 0;
    const int64_t t0 = mono_us(), end = t0 + (int64_t)secs * 1000000;
    const int timeout = 200;
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
    while (mono_us() < end) {
        lg_message(&g[sent % NODES], 1, &sb, ts_now_us());
        if (cap < sb.size * 2 + 1 && !(hex = realloc(hex, cap = sb.size * 2 + 1))) return 1;
        for (size_t i = 0; i < sb.size; i++)
            snprintf(hex + 2 * i, 3, "%02x", (unsigned char)sb.data[i]);
        int rc;
        while ((rc = zmq_send(s, hex, sb.size * 2, 0)) < 0 && mono_us() < end)
            ; /* the peer is full: wait (SNDTIMEO), as a station would */
        if (rc >= 0) sent++;
    }
    printf("push sent=%llu seconds=%.1f\n", (unsigned long long)sent,
           (double)(mono_us() - t0) / 1e6);
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(s);
    zmq_ctx_term(ctx);
    msgpack_sbuffer_destroy(&sb);
    free(hex);
    return 0;
}

int main(int argc, char **argv)
{
    char err[256];
    if (lg_bench_open(&g_bench, err, sizeof err) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 2;
    }
    if ((argc == 5 || argc == 6) && !strcmp(argv[1], "connect"))
        return connect_many(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]),
                            argc == 6 ? atoi(argv[5]) : 0);
    if ((argc == 5 || argc == 6) && !strcmp(argv[1], "storm"))
        return storm(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), argc == 6 ? atoi(argv[5]) : 0);
    if (argc == 4 && !strcmp(argv[1], "push")) return push(argv[2], atoi(argv[3]));
    fprintf(stderr, "usage: see the comment at the top of daemon/bench/bench_anttd.c\n");
    return 2;
}
