/* test_keys.c — key files (net/key.c), the rate limiter (daemon/limit.c),
 * subscription narrowing (stream_scope_topic) and admission with an
 * authenticated node (reg_admit), without sockets or a database. */
#include "daemon/limit.h"
#include "daemon/reg.h"
#include "daemon/stream.h"
#include "proto/err.h"
#include "net/key.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

static char dir[] = "/tmp/antt-keys-XXXXXX";

static void path(char *out, const char *name)
{
    snprintf(out, 300, "%s/%s", dir, name);
}

Test(keys, keygen_writes_a_private_pair_and_a_public_file_and_never_overwrites)
{
    cr_assert_not_null(mkdtemp(dir));
    char p[300], pub[300], err[256];
    path(p, "a.key");
    path(pub, "a.key.pub");
    key_pair_t k, back;
    cr_assert_eq(key_generate(p, &k, err, sizeof err), 0, "%s", err);
    struct stat st;
    cr_assert_eq(stat(p, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0600);
    cr_assert_eq(stat(pub, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0644);
    cr_expect(key_z85_ok(k.pub) && key_z85_ok(k.sec));
    cr_assert_eq(key_load_pair(p, &back, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(back.pub, k.pub);
    cr_expect_str_eq(back.sec, k.sec);
    char only[KEY_Z85_LEN + 1];
    cr_assert_eq(key_load_public(pub, only, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(only, k.pub);
    cr_assert_eq(key_load_public(k.pub, only, err, sizeof err), 0, "the Z85 text itself");
    cr_expect_eq(key_generate(p, NULL, err, sizeof err), -1, "overwrote a key");
    /* a readable secret is refused */
    cr_assert_eq(chmod(p, 0644), 0);
    cr_expect_eq(key_load_pair(p, &back, err, sizeof err), -1);
    cr_expect(strstr(err, "chmod 600"), "%s", err);
    /* a public key that is not the secret's */
    key_pair_t other;
    path(p, "b.key");
    cr_assert_eq(key_generate(p, &other, err, sizeof err), 0);
    FILE *f = fopen(p, "w");
    fprintf(f, "curve\n    public-key = \"%s\"\n    secret-key = \"%s\"\n", k.pub, other.sec);
    fclose(f);
    cr_expect_eq(key_load_pair(p, &back, err, sizeof err), -1);
    cr_expect(strstr(err, "not the secret key's"), "%s", err);
    cr_expect_eq(key_load_public("not a key", only, err, sizeof err), -1);
    cr_expect(!key_z85_ok("0123456789012345678901234567890123456789 "));
    cr_expect(!key_z85_ok("012345678901234567890123456789012345678\""));
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

Test(keys, a_bucket_pays_its_burst_then_its_rate_and_each_node_has_its_own)
{
    limit_t *l = limit_new(100, 1000); /* 100 events/s, 1000 at once */
    const int64_t t = 1000000000;
    cr_expect_eq(limit_take(l, "a", 1000, t), 1);
    cr_expect_eq(limit_take(l, "a", 1, t), 0, "the burst is spent");
    cr_expect_eq(limit_take(l, "b", 500, t), 1, "another node is not affected");
    cr_expect_eq(limit_take(l, "a", 50, t + 400000), 0, "40 tokens after 0.4 s");
    cr_expect_eq(limit_take(l, "a", 50, t + 500000), 1, "50 after 0.5 s");
    cr_expect_eq(limit_take(l, "a", 1000, t + 100 * 1000000LL), 1, "refilled, capped at the burst");
    cr_expect_eq(limit_take(l, "a", 1, t + 100 * 1000000LL), 0);
    for (int i = 0; i < 5000; i++) { /* the table grows */
        char n[16];
        snprintf(n, sizeof n, "n%d", i);
        cr_assert_eq(limit_take(l, n, 1, t), 1);
    }
    cr_expect_eq(limit_take(l, "b", 500, t), 1, "b kept its bucket across growth");
    cr_expect_eq(limit_take(l, "b", 1, t), 0);
    limit_free(&l);
    limit_t *off = limit_new(0, 0);
    cr_expect_eq(limit_take(off, "a", 1000000, t), 1, "rate 0: no limit");
    limit_free(&off);
}

static int topic(const char *scope, const char *want, char *out)
{
    return stream_scope_topic(scope, want, strlen(want), out, 64);
}

Test(keys, subscriptions_are_narrowed_to_the_scope)
{
    char t[64];
    cr_expect_eq(topic("20.180.", "", t), 7);
    cr_expect_str_eq(t, "20.180.", "everything becomes the scope");
    cr_expect_eq(topic("20.180.", "20.", t), 7);
    cr_expect_str_eq(t, "20.180.", "the province becomes the district");
    cr_expect_eq(topic("20.180.", "20.180.06040.", t), 13);
    cr_expect_str_eq(t, "20.180.06040.", "a commune inside stays");
    cr_expect_eq(topic("20.180.", "20.181.", t), -1, "a neighbour: nothing");
    cr_expect_eq(topic("20.180.", "04.", t), -1, "another province: nothing");
    cr_expect_eq(topic("20.180.", "20.18", t), 7, "a prefix of the scope gives the scope");
    cr_expect_eq(topic("", "04.", t), 3, "no scope (ministry): as asked");
}

Test(keys, an_authenticated_node_reports_for_itself_and_its_subtree_only)
{
    reg_t *r = reg_new(7 * 3600LL * 1000000);
    reg_build_t *b = reg_build_new();
    reg_build_unit(b, "20", "20", REG_DAY_NONE, REG_DAY_NONE);
    reg_build_unit(b, "180", "20.180", REG_DAY_NONE, REG_DAY_NONE);
    reg_build_unit(b, "06040", "20.180.06040", REG_DAY_NONE, REG_DAY_NONE);
    reg_build_unit(b, "06043", "20.180.06043", REG_DAY_NONE, REG_DAY_NONE);
    key_pair_t k;
    cr_assert_eq(zmq_curve_keypair(k.pub, k.sec), 0);
    reg_build_node(b, "c", "06040", 0, k.pub);
    reg_build_node(b, "dist", "180", 0, NULL);
    reg_build_node(b, "gone", "180", 1, NULL);
    reg_build_subscriber(b, "w", "180", 0, k.pub);
    char err[256];
    cr_assert_eq(reg_build_finish(r, &b, err, sizeof err), 0, "%s", err);
    const char *user;
    cr_expect_eq(reg_key(r, REG_NODES, k.pub, &user), 0);
    cr_expect_str_eq(user, "c");
    cr_expect_eq(reg_key(r, REG_SUBSCRIBERS, k.pub, &user), 0);
    cr_expect_str_eq(user, "w");
    cr_expect_str_eq(reg_subscriber_scope(r, "w"), "20.180.");
    cr_expect_eq(reg_user_ok(r, REG_NODES, "gone"), 0);

    ev_t ev = {.type = EV_INCIDENT_REPORTED,
               .node = ev_cstr("c"),
               .unit = ev_cstr("06043"),
               .time_us = 1686798000000000LL};
    verdict_t v;
    cr_expect_eq(reg_admit(r, &ev, "c", &v), -ANTT_E_UNIT_NOT_AUTHORISED);
    cr_expect_eq(reg_admit(r, &ev, NULL, &v), -ANTT_E_OUT_OF_SCOPE, "claimed, not authenticated");
    ev.node = ev_cstr("dist");
    cr_expect_eq(reg_admit(r, &ev, "c", &v), -ANTT_E_NODE_MISMATCH);
    cr_expect_eq(reg_admit(r, &ev, "dist", &v), 0);
    ev.node = ev_cstr("gone");
    cr_expect_eq(reg_admit(r, &ev, "gone", &v), -ANTT_E_UNKNOWN_NODE);
    cr_expect_eq(v.status, ACK_REJECTED);
    reg_free(&r);
}
