/* test_presence.c — which stations are connected (daemon/presence.c),
 * without sockets: connections by descriptor, a node with two, a descriptor
 * reused by another key, and the changes handed over once written. */
#include "daemon/presence.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    char got[256];
    int fail;
} sink_t;

static int write_all(void *ctx, const char *const *nodes, const int *connected, int n)
{
    sink_t *k = ctx;
    if (k->fail) return -1;
    k->got[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t l = strlen(k->got);
        snprintf(k->got + l, sizeof k->got - l, "%s=%d ", nodes[i], connected[i]);
    }
    return 0;
}

Test(presence, a_node_is_connected_while_one_of_its_connections_is_open)
{
    presence_t *p = presence_new();
    sink_t k = {0};
    cr_assert_eq(presence_seen(p, 7, "ls-06040"), 0);
    cr_assert_eq(presence_seen(p, 7, "ls-06040"), 0); /* its next message: nothing new */
    cr_assert_eq(presence_seen(p, 9, "ls-06040"), 0); /* a second connection */
    cr_assert_eq(presence_seen(p, 12, "ls-06043"), 0);
    cr_expect_eq(presence_connected(p), 2);
    cr_expect(presence_pending(p));
    k.fail = 1;
    cr_expect_eq(presence_flush(p, write_all, &k), -1);
    cr_expect(presence_pending(p), "kept when the write failed");
    k.fail = 0;
    cr_expect_eq(presence_flush(p, write_all, &k), 0);
    cr_expect_str_eq(k.got, "ls-06040=1 ls-06043=1 ");
    cr_expect(!presence_pending(p));

    presence_closed(p, 7);
    cr_expect(!presence_pending(p), "one of its two connections closed: still connected");
    presence_closed(p, 9);
    presence_closed(p, 9);   /* twice: nothing more */
    presence_closed(p, 400); /* a descriptor never seen (a subscriber, a refused key) */
    cr_expect_eq(presence_connected(p), 1);
    cr_expect_eq(presence_flush(p, write_all, &k), 0);
    cr_expect_str_eq(k.got, "ls-06040=0 ");

    /* descriptor 12 closed unseen and reused by another key */
    cr_assert_eq(presence_seen(p, 12, "ls-180"), 0);
    cr_expect_eq(presence_flush(p, write_all, &k), 0);
    cr_expect_str_eq(k.got, "ls-06043=0 ls-180=1 ");
    cr_expect_eq(presence_connected(p), 1);
    /* no node, no descriptor: ignored (a daemon without CURVE) */
    cr_expect_eq(presence_seen(p, -1, "x"), 0);
    cr_expect_eq(presence_seen(p, 3, NULL), 0);
    cr_expect(!presence_pending(p));
    presence_free(&p);
    cr_expect_null(p);
}
