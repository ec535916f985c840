/* test_batch.c — batches and their queue (the bound that pauses intake), and
 * the binary COPY rows the store builds from them. */
#include "daemon/batch.h"
#include "db/pgcopy.h"

#include <criterion/criterion.h>
#include <string.h>

static bmsg_t *msg_with(batch_t *b, const char *payload, int nevents)
{
    zmq_msg_t p, env[2];
    zmq_msg_init_size(&p, strlen(payload));
    memcpy(zmq_msg_data(&p), payload, strlen(payload));
    zmq_msg_init_size(&env[0], 5);
    memcpy(zmq_msg_data(&env[0]), "\x00rid1", 5);
    zmq_msg_init_size(&env[1], 3);
    memcpy(zmq_msg_data(&env[1]), "c01", 3);
    bmsg_t *m = batch_msg(b, PATH_ACKED, &p, env, 2, 1);
    cr_assert(m);
    for (int i = 0; i < nevents; i++)
        cr_assert(batch_event(b, m));
    zmq_msg_close(&p);
    zmq_msg_close(&env[0]);
    zmq_msg_close(&env[1]);
    return m;
}

Test(batch, keeps_payloads_and_envelopes_in_place_across_growth)
{
    batch_t b = {0};
    /* Small payloads live inside the zmq_msg_t itself: they must not move. */
    bmsg_t *first = msg_with(&b, "tiny", 1);
    const void *data = zmq_msg_data(&first->payload);
    for (int i = 0; i < 1000; i++)
        msg_with(&b, "another small one", 1);
    cr_expect_eq(batch_msg_at(&b, 0), first);
    cr_expect_eq(zmq_msg_data(&first->payload), data);
    cr_expect_eq(memcmp(data, "tiny", 4), 0);
    cr_expect_eq(b.nmsg, 1001);
    cr_expect_eq(b.weight, 1001);
    const bmsg_t *m = batch_msg_at(&b, 500);
    cr_expect_eq(m->nframes, 2);
    cr_expect_eq(memcmp(batch_frame(&b, m, 0), "\x00rid1", 5), 0);
    cr_expect_eq(memcmp(batch_frame(&b, m, 1), "c01", 3), 0);
    batch_free(&b);
}

/* The store's view of a batch: its events in place, and the messages
 * refused whole listed where they arrived. (Repeated ids within a batch are
 * the store's to link now: tests/integration/test_store.c.) */
Test(batch, gives_the_store_its_events_and_the_messages_refused_whole)
{
    batch_t b = {0};
    msg_with(&b, "x", 2);
    bmsg_t *bad = msg_with(&b, "junk", 0);
    bad->code = 101;
    snprintf(bad->msg, sizeof bad->msg, "not msgpack");
    cr_assert_eq(batch_keep_raw(&b, bad, "junk", 4, 2), 0);
    bmsg_t *m = msg_with(&b, "y", 1);
    (void)m;
    store_work_t w;
    cr_assert_eq(batch_work(&b, &w), 0);
    cr_expect_eq(w.ev, b.ev);
    cr_expect_eq(w.nev, 3);
    cr_expect_eq(w.ev[2].path, PATH_ACKED);
    cr_assert_eq(w.nrefusals, 1);
    cr_expect_eq(w.refusals[0].at, 2); /* before the third event: it came between */
    cr_expect_eq(w.refusals[0].code, 101);
    cr_expect_str_eq(w.refusals[0].msg, "not msgpack");
    cr_expect_eq(w.refusals[0].raw_len, 2);
    cr_expect_eq(w.refusals[0].raw_total, 4);
    cr_expect_eq(memcmp(w.refusals[0].raw, "ju", 2), 0);
    batch_free(&b);
}

Test(bqueue, seals_at_the_batch_size_and_refuses_beyond_the_bound)
{
    bqueue_t q;
    cr_assert_eq(bqueue_init(&q, 100, 2100), 0); /* full above 2100 - 1000 (a largest message) */
    batch_t *b1 = bqueue_open(&q, 60);
    msg_with(b1, "a", 60);
    batch_t *b2 = bqueue_open(&q, 60); /* would exceed 100: a new batch */
    cr_expect_neq(b1, b2);
    msg_with(b2, "b", 60);
    cr_expect_eq(bqueue_open(&q, 30), b2);
    msg_with(b2, "c", 30);
    bqueue_seal(&q);
    batch_t *b3 = bqueue_open(&q, 1);
    cr_expect_neq(b3, b2, "a sealed batch takes no more");
    msg_with(b3, "d", 1);
    cr_expect_eq(q.held, 151);
    cr_expect(!bqueue_full(&q));
    /* Fill towards the bound: a message that does not fit is refused. */
    for (int i = 0; i < 10; i++) {
        batch_t *b = bqueue_open(&q, 100);
        cr_assert(b);
        msg_with(b, "e", 100);
    }
    cr_expect_eq(q.held, 1151);
    cr_expect(bqueue_full(&q));
    cr_expect_null(bqueue_open(&q, 1100), "beyond the bound");
    cr_expect_eq(bqueue_oldest(&q), b1);
    bqueue_pop(&q);
    cr_expect_eq(bqueue_oldest(&q), b2);
    cr_expect_eq(q.held, 1091);
    cr_expect(!bqueue_full(&q));
    bqueue_free(&q);
}

Test(bqueue, frees_what_a_burst_left_behind_and_keeps_what_is_in_use)
{
    bqueue_t q;
    cr_assert_eq(bqueue_init(&q, 10, 100000), 0);
    /* a burst: 20 batches of 10 events, then drained */
    for (int i = 0; i < 200; i++)
        msg_with(bqueue_open(&q, 1), "x", 1);
    cr_assert_eq(q.n, 20);
    while (q.n)
        bqueue_pop(&q);
    cr_expect_eq(q.deep, 20);
    /* the first look keeps what the burst needed (it may come back)... */
    cr_expect_eq(bqueue_shrink(&q, 2), 0);
    /* ...the next, with nothing needed since, frees all but two */
    size_t freed = bqueue_shrink(&q, 2);
    cr_expect_gt(freed, 18 * 10 * sizeof(store_ev_t), "freed %zu bytes", freed);
    int cached = 0;
    for (uint32_t i = 0; i < q.cap; i++)
        cached += q.ring[i] != NULL;
    cr_expect_eq(cached, 2);
    cr_expect_eq(bqueue_shrink(&q, 2), 0);
    /* a batch in use is never freed, and the queue works on afterwards */
    batch_t *b = bqueue_open(&q, 1);
    msg_with(b, "y", 1);
    bqueue_seal(&q);
    msg_with(bqueue_open(&q, 1), "z", 1);
    msg_with(bqueue_open(&q, 1), "w", 1);
    bqueue_seal(&q);
    msg_with(bqueue_open(&q, 1), "v", 1);
    cr_expect_eq(q.n, 3);
    bqueue_shrink(&q, 0);
    bqueue_shrink(&q, 0);
    cr_expect_eq(bqueue_oldest(&q), b);
    cr_expect_eq(b->nev, 1);
    cr_expect_eq(q.held, 4);
    bqueue_free(&q);
}

Test(pgcopy, writes_postgres_binary_copy_format)
{
    pgcopy_t b = {0};
    pgcopy_begin(&b);
    pgcopy_row(&b, 4);
    pgcopy_int4(&b, 258);
    pgcopy_cstr(&b, "ab");
    pgcopy_null(&b);
    pgcopy_ts(&b, 946684800000000LL + 1); /* 2000-01-01T00:00:00.000001Z */
    static const uint8_t want[] = {
        'P',  'G',  'C',  'O',  'P', 'Y', '\n', 0xff, '\r', '\n', 0, /* signature */
        0,    0,    0,    0,    0,   0,   0,    0,                   /* flags, extension */
        0,    4,                                                     /* 4 columns */
        0,    0,    0,    4,    0,   0,   1,    2,                   /* int4 258 */
        0,    0,    0,    2,    'a', 'b',                            /* text */
        0xff, 0xff, 0xff, 0xff,                                      /* NULL */
        0,    0,    0,    8,    0,   0,   0,    0,    0,    0,    0,
        1, /* timestamptz: 1 µs after the PG epoch */
    };
    cr_assert_eq(b.n, sizeof want);
    cr_expect_eq(memcmp(b.p, want, sizeof want), 0);
    cr_expect_eq(b.rows, 1);
    pgcopy_free(&b);
}
