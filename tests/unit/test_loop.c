/* test_loop.c — the loop's engine (daemon/loop.c) on a clock the test moves:
 * which rows run and in what order, how long the poll waits, a row that
 * reschedules itself, the gate of a row's when, ready sockets, stopping. */
#include "daemon/loop.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

static int64_t fake_now;
static int64_t fake_clock(void)
{
    return fake_now;
}

/* What ran, in order: one letter per run. */
static char ran[64];
static void note(char c)
{
    size_t n = strlen(ran);
    if (n + 1 < sizeof ran) ran[n] = c, ran[n + 1] = '\0';
}

typedef struct {
    char name;
    int64_t every; /* > 0: due again this long after it ran; 0: never again */
    int runs;
} row_state_t;

static int64_t run_row(void *state, int64_t now)
{
    row_state_t *s = state;
    s->runs++;
    note(s->name);
    return s->every > 0 ? now + s->every : LOOP_NEVER;
}

static loop_t l;
static void setup(void)
{
    fake_now = 1000000000;
    ran[0] = '\0';
    loop_init(&l, fake_clock, NULL);
}

static void add(row_state_t *s, int64_t due)
{
    loop_row_t r = {.name = "row", .run = run_row, .state = s, .due = due};
    cr_assert_geq(loop_add(&l, &r), 0);
}

TestSuite(loop, .init = setup);

Test(loop, due_rows_run_in_table_order_and_the_others_wait)
{
    row_state_t a = {'a', 0, 0}, b = {'b', 0, 0}, c = {'c', 0, 0}, d = {'d', 0, 0};
    add(&a, fake_now - 5);       /* overdue */
    add(&b, fake_now + 1000000); /* later */
    add(&c, LOOP_EACH_TURN);     /* every turn */
    add(&d, fake_now);           /* due now */
    cr_assert_eq(loop_turn(&l, 0), 0);
    cr_assert_str_eq(ran, "acd");
    cr_assert_eq(b.runs, 0);
}

Test(loop, the_poll_waits_until_the_earliest_due_row)
{
    row_state_t a = {'a', 0, 0}, b = {'b', 0, 0}, c = {'c', 0, 0}, d = {'d', 0, 0};
    add(&a, fake_now + 250000);
    add(&b, fake_now + 30000);
    add(&c, LOOP_NEVER);
    add(&d, LOOP_EACH_TURN); /* does not shorten the wait */
    cr_assert_eq(loop_wait_ms(&l, fake_now, 1000000), 30);
    cr_assert_eq(loop_wait_ms(&l, fake_now, 10000), 10, "bounded by max_wait");
    cr_assert_eq(loop_wait_ms(&l, fake_now + 29500, 1000000), 1, "rounded up, not down");
    cr_assert_eq(loop_wait_ms(&l, fake_now + 30000, 1000000), 0, "a due row: no wait");
    cr_assert_eq(loop_turn(&l, 1000000), 0);
    cr_assert_eq(l.last_wait_ms, 30, "the turn polled for %ld ms", l.last_wait_ms);
    cr_assert_str_eq(ran, "d");
}

Test(loop, nothing_due_waits_the_most)
{
    row_state_t a = {'a', 0, 0};
    add(&a, LOOP_NEVER);
    cr_assert_eq(loop_wait_ms(&l, fake_now, 1000000), 1000);
}

Test(loop, a_row_reschedules_itself_by_what_it_returns)
{
    row_state_t a = {'a', 100000, 0};
    add(&a, 0);
    cr_assert_eq(loop_turn(&l, 0), 0);
    cr_assert_eq(a.runs, 1);
    cr_assert_eq(l.rows[0].due, fake_now + 100000);
    fake_now += 50000;
    cr_assert_eq(loop_turn(&l, 0), 0);
    cr_assert_eq(a.runs, 1, "ran before its time");
    fake_now += 50000;
    cr_assert_eq(loop_turn(&l, 0), 0);
    cr_assert_eq(a.runs, 2, "did not run when its time came");
    cr_assert_eq(loop_wait_ms(&l, fake_now, 1000000), 100);
}

static int64_t closed_gate(void *state, int64_t now, int64_t due)
{
    (void)state, (void)now, (void)due;
    return LOOP_NEVER;
}

static int64_t late_gate(void *state, int64_t now, int64_t due)
{
    (void)state;
    if (due == LOOP_NEVER) return due;
    return due + 20000 > now ? due + 20000 : now;
}

Test(loop, a_rows_when_puts_it_off)
{
    row_state_t a = {'a', 0, 0}, b = {'b', 0, 0};
    loop_row_t ra = {.name = "closed", .when = closed_gate, .run = run_row, .state = &a, .due = 0};
    loop_row_t rb = {
        .name = "late", .when = late_gate, .run = run_row, .state = &b, .due = fake_now};
    loop_add(&l, &ra);
    loop_add(&l, &rb);
    cr_assert_eq(loop_wait_ms(&l, fake_now, 1000000), 20);
    cr_assert_eq(loop_turn(&l, 0), 0);
    cr_assert_str_eq(ran, "");
    fake_now += 20000;
    cr_assert_eq(loop_turn(&l, 0), 0);
    cr_assert_str_eq(ran, "b");
}

static void *pair_in, *pair_out;
static int pair_items(void *state, int64_t now, zmq_pollitem_t *it)
{
    (void)state, (void)now;
    it[0] = (zmq_pollitem_t){pair_in, -1, ZMQ_POLLIN, 0};
    it[1] = (zmq_pollitem_t){pair_in, -1, ZMQ_POLLIN, 0};
    return 2;
}

static int64_t drain_pair(void *state, int64_t now)
{
    char buf[8];
    while (zmq_recv(pair_in, buf, sizeof buf, ZMQ_DONTWAIT) >= 0) {
    }
    return run_row(state, now);
}

static void *idle_sock;
static int idle_items(void *state, int64_t now, zmq_pollitem_t *it)
{
    (void)state, (void)now;
    it[0] = (zmq_pollitem_t){idle_sock, -1, ZMQ_POLLIN, 0};
    return 1;
}

Test(loop, a_ready_socket_runs_its_row_once)
{
    void *ctx = zmq_ctx_new();
    pair_in = zmq_socket(ctx, ZMQ_PAIR);
    pair_out = zmq_socket(ctx, ZMQ_PAIR);
    void *idle_out = zmq_socket(ctx, ZMQ_PAIR);
    idle_sock = zmq_socket(ctx, ZMQ_PAIR);
    cr_assert_eq(zmq_bind(pair_in, "inproc://loop-test"), 0);
    cr_assert_eq(zmq_connect(pair_out, "inproc://loop-test"), 0);
    cr_assert_eq(zmq_bind(idle_sock, "inproc://loop-idle"), 0);
    cr_assert_eq(zmq_connect(idle_out, "inproc://loop-idle"), 0);
    row_state_t a = {'a', 0, 0}, b = {'b', 0, 0};
    loop_row_t ra = {
        .name = "pair", .items = pair_items, .run = drain_pair, .state = &a, .due = LOOP_NEVER};
    loop_row_t rb = {
        .name = "idle", .items = idle_items, .run = run_row, .state = &b, .due = LOOP_NEVER};
    loop_add(&l, &ra);
    loop_add(&l, &rb);
    cr_assert_eq(zmq_send(pair_out, "hi", 2, 0), 2);
    cr_assert_eq(loop_turn(&l, 2000000), 0);
    cr_assert_str_eq(ran, "a", "ran: %s", ran);
    zmq_close(pair_in);
    zmq_close(pair_out);
    zmq_close(idle_out);
    zmq_close(idle_sock);
    zmq_ctx_term(ctx);
}

static volatile sig_atomic_t stop_flag;
static int64_t stop_now(void *state, int64_t now)
{
    stop_flag = 1;
    return run_row(state, now);
}

Test(loop, stop_ends_the_turn_at_the_next_row)
{
    stop_flag = 0;
    loop_init(&l, fake_clock, &stop_flag);
    row_state_t a = {'a', 0, 0}, b = {'b', 0, 0};
    loop_row_t ra = {.name = "stopper", .run = stop_now, .state = &a, .due = 0};
    loop_add(&l, &ra);
    add(&b, 0);
    cr_assert_eq(loop_turn(&l, 0), 1);
    cr_assert_str_eq(ran, "a");
}

static int after_runs;
static void count_after(void *ctx)
{
    (void)ctx;
    after_runs++;
}

Test(loop, after_run_follows_every_run)
{
    row_state_t a = {'a', 0, 0}, b = {'b', 0, 0};
    add(&a, 0);
    add(&b, LOOP_EACH_TURN);
    l.after_run = count_after;
    after_runs = 0;
    loop_turn(&l, 0);
    cr_assert_eq(after_runs, 2);
}

Test(loop, the_table_is_bounded)
{
    row_state_t a = {'a', 0, 0};
    loop_row_t r = {.name = "row", .run = run_row, .state = &a, .due = LOOP_NEVER};
    for (int i = 0; i < LOOP_ROWS_MAX; i++)
        cr_assert_eq(loop_add(&l, &r), i);
    cr_assert_eq(loop_add(&l, &r), -1);
}
