/* test_gate.c — the HTTP servers' connection gate (net/gate.c) with a
 * hand-turned clock and socket pairs: per-address limits, the request
 * deadline (whole, not idle), and room made by cutting the oldest
 * connection still arriving. */
#include "net/gate.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

static struct sockaddr_in addr(const char *a)
{
    struct sockaddr_in s = {.sin_family = AF_INET};
    inet_pton(AF_INET, a, &s.sin_addr);
    return s;
}

#define SA(x) ((const struct sockaddr *)&(x))

/* A connected pair: [0] the server's end (the gate's), [1] the client's. */
static void pair(int fd[2])
{
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0);
}

/* 1 when the client's end sees the server's end shut. */
static int was_cut(int client)
{
    struct pollfd p = {.fd = client, .events = POLLIN};
    char c;
    return poll(&p, 1, 0) == 1 && read(client, &c, 1) == 0;
}

Test(gate, one_address_holds_per_addr_connections_but_the_proxy_more)
{
    gate_cfg_t cfg = {.max = 100, .per_addr = 2, .deadline_ms = 1000, .exempt = "10.0.0.9"};
    gate_t *g = gate_new(&cfg);
    cr_assert_not_null(g);
    struct sockaddr_in a = addr("10.0.0.1"), b = addr("10.0.0.2"), px = addr("10.0.0.9");
    for (int i = 0; i < 2; i++) {
        cr_expect(gate_admit(g, SA(a), 0));
        gate_open(g, -1, SA(a), 0);
    }
    cr_expect(!gate_admit(g, SA(a), 0), "a third from one address");
    cr_expect(gate_admit(g, SA(b), 0), "another address");
    for (int i = 0; i < 10; i++) {
        cr_expect(gate_admit(g, SA(px), 0), "the trusted proxy carries everyone");
        gate_open(g, -1, SA(px), 0);
    }
    gate_stats_t st;
    gate_stats(g, &st);
    cr_expect_eq(st.refused_per_addr, 1);
    cr_expect_eq(st.open, 12);
    gate_free(&g);
}

Test(gate, a_request_must_arrive_whole_within_the_deadline)
{
    gate_cfg_t cfg = {.max = 10, .per_addr = 10, .deadline_ms = 1000};
    gate_t *g = gate_new(&cfg);
    struct sockaddr_in a = addr("10.0.0.1");
    int slow[2], quick[2];
    pair(slow);
    pair(quick);
    gate_conn_t *s = gate_open(g, slow[0], SA(a), 0), *q = gate_open(g, quick[0], SA(a), 0);
    gate_arrived(g, q); /* its request came at once */
    /* the slow one may send a byte every 100 ms: only the start counts */
    cr_expect_eq(gate_reap(g, 900), 0);
    cr_expect(!was_cut(slow[1]));
    cr_expect_eq(gate_reap(g, 1001), 1);
    cr_expect(was_cut(slow[1]), "cut at the deadline");
    cr_expect(!was_cut(quick[1]), "a request being answered is not on the clock");
    /* answered: the clock starts again for its next request */
    gate_answered(g, q, 5000);
    cr_expect_eq(gate_reap(g, 5900), 0);
    cr_expect_eq(gate_reap(g, 6001), 1);
    cr_expect(was_cut(quick[1]));
    gate_close(g, s);
    gate_close(g, q);
    gate_stats_t st;
    gate_stats(g, &st);
    cr_expect_eq(st.deadline_cut, 2);
    cr_expect_eq(st.open, 0);
    gate_free(&g);
    for (int i = 0; i < 2; i++)
        close(slow[i]), close(quick[i]);
}

Test(gate, when_full_the_oldest_still_arriving_makes_room)
{
    gate_cfg_t cfg = {.max = 3, .per_addr = 10, .deadline_ms = 10000};
    gate_t *g = gate_new(&cfg);
    struct sockaddr_in a = addr("10.0.0.1");
    int fd[3][2];
    gate_conn_t *c[3];
    for (int i = 0; i < 3; i++) {
        pair(fd[i]);
        cr_expect(gate_admit(g, SA(a), i));
        c[i] = gate_open(g, fd[i][0], SA(a), i);
    }
    gate_arrived(g, c[0]); /* being answered: never the one cut */
    cr_expect(gate_admit(g, SA(a), 10), "room is made");
    cr_expect(!was_cut(fd[0][1]));
    cr_expect(was_cut(fd[1][1]), "the oldest still arriving");
    cr_expect(!was_cut(fd[2][1]));
    gate_close(g, c[1]); /* libmicrohttpd closed it */
    gate_stats_t st;
    gate_stats(g, &st);
    cr_expect_eq(st.evicted, 1);
    gate_free(&g);
    for (int i = 0; i < 3; i++)
        close(fd[i][0]), close(fd[i][1]);
}

Test(gate, full_of_answers_refuses_the_newcomer)
{
    gate_cfg_t cfg = {.max = 2, .per_addr = 10, .deadline_ms = 10000};
    gate_t *g = gate_new(&cfg);
    struct sockaddr_in a = addr("10.0.0.1");
    gate_arrived(g, gate_open(g, -1, SA(a), 0));
    gate_arrived(g, gate_open(g, -1, SA(a), 0));
    cr_expect(!gate_admit(g, SA(a), 1));
    gate_stats_t st;
    gate_stats(g, &st);
    cr_expect_eq(st.refused_full, 1);
    gate_free(&g);
}
