/* test_spool.c — the station's spool keeps every unanswered event across
 * restarts and crashes, in order, within its bound. */
#include "lib/spool.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64], path[128];

static void up(void)
{
    snprintf(dir, sizeof dir, "/tmp/antt-spool-XXXXXX");
    cr_assert(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/spool", dir);
}

static void down(void)
{
    char tmp[160];
    unlink(path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    unlink(tmp);
    rmdir(dir);
}

TestSuite(spool, .init = up, .fini = down);

static void id_of(uint32_t k, uint8_t id[16])
{
    memset(id, 0, 16);
    memcpy(id + 12, &k, 4);
    id[0] = 0x01;
}

static spool_t *open_ok(spool_sync_t sync, uint64_t max)
{
    spool_t *s;
    char err[256] = "";
    cr_assert_eq(spool_open(&s, path, max, sync, err, sizeof err), SPOOL_OK, "%s", err);
    return s;
}

static void append_n(spool_t *s, uint32_t from, uint32_t n)
{
    for (uint32_t k = from; k < from + n; k++) {
        uint8_t id[16];
        char ev[64];
        int len = snprintf(ev, sizeof ev, "event number %u", k);
        id_of(k, id);
        cr_assert_eq(spool_append(s, id, ev, (uint32_t)len, 1000 + k, 500 + k), SPOOL_OK);
    }
}

Test(spool, pending_events_survive_a_reopen_in_order)
{
    spool_t *s = open_ok(SPOOL_SYNC_EACH, 1 << 20);
    append_n(s, 0, 5);
    uint8_t id[16];
    id_of(1, id);
    cr_assert_eq(spool_done(s, id, 0, 0), SPOOL_OK);
    id_of(3, id);
    cr_assert_eq(spool_done(s, id, 2, 306), SPOOL_OK);
    cr_expect_eq(spool_done(s, id, 0, 0), SPOOL_EUNKNOWN);
    spool_close(&s);

    s = open_ok(SPOOL_SYNC_EACH, 1 << 20);
    cr_expect_eq(spool_pending(s), 3);
    uint32_t want[] = {0, 2, 4}, i = 0;
    for (spool_item_t *it = spool_first(s); it; it = spool_next(s, it), i++) {
        char ev[64];
        snprintf(ev, sizeof ev, "event number %u", want[i]);
        cr_expect_eq(it->len, strlen(ev));
        cr_expect_eq(memcmp(it->bytes, ev, it->len), 0);
        cr_expect_eq(it->enqueued_ms, 1000 + want[i]);
    }
    cr_expect_eq(i, 3);
    cr_expect_eq(spool_oldest_ms(s), 1000);
    spool_close(&s);
}

Test(spool, a_torn_last_record_is_cut_and_the_rest_kept)
{
    spool_t *s = open_ok(SPOOL_SYNC_NONE, 1 << 20);
    append_n(s, 0, 3);
    uint64_t good = spool_file_bytes(s);
    spool_close(&s);
    /* A crash in the middle of the fourth record: a header and half a body. */
    int fd = open(path, O_WRONLY | O_APPEND);
    const uint8_t torn[] = {40, 0, 0, 0, 1, 2, 3, 4, 1, 9, 9};
    cr_assert_eq(write(fd, torn, sizeof torn), (ssize_t)sizeof torn);
    close(fd);
    s = open_ok(SPOOL_SYNC_NONE, 1 << 20);
    cr_expect_eq(spool_pending(s), 3);
    cr_expect_eq(spool_file_bytes(s), good);
    struct stat st;
    stat(path, &st);
    cr_expect_eq((uint64_t)st.st_size, good, "the torn tail is cut from the file");
    append_n(s, 3, 1); /* and appending goes on after the good records */
    spool_close(&s);
    s = open_ok(SPOOL_SYNC_NONE, 1 << 20);
    cr_expect_eq(spool_pending(s), 4);
    spool_close(&s);
}

Test(spool, a_corrupt_last_record_is_cut)
{
    spool_t *s = open_ok(SPOOL_SYNC_NONE, 1 << 20);
    append_n(s, 0, 2);
    spool_close(&s);
    struct stat st;
    stat(path, &st);
    int fd = open(path, O_WRONLY);
    cr_assert_eq(pwrite(fd, "X", 1, st.st_size - 2), 1); /* a byte of the last event flipped */
    close(fd);
    s = open_ok(SPOOL_SYNC_NONE, 1 << 20);
    cr_expect_eq(spool_pending(s), 1);
    spool_close(&s);
}

Test(spool, a_full_spool_refuses_with_a_clear_error)
{
    /* On disk: an 8-byte header, then 8 + 33 + 15 = 56 bytes a record of the
     * events append_n makes; answers (28 bytes) count too. */
    spool_t *s = open_ok(SPOOL_SYNC_NONE, 160);
    append_n(s, 0, 2); /* 120 bytes */
    uint8_t id[16];
    id_of(99, id);
    int rc = spool_append(s, id, "0123456789abcdef", 16, 0, 1); /* 57 more: over */
    cr_expect_eq(rc, SPOOL_EFULL);
    cr_expect(strstr(spool_strerror(rc), "full"));
    id_of(0, id);
    cr_assert_eq(spool_done(s, id, 0, 0), SPOOL_OK); /* 148 */
    id_of(99, id);
    cr_expect_eq(spool_append(s, id, "0123456789abcdef", 16, 0, 1), SPOOL_OK,
                 "room again: the answered record compacted away");
    cr_expect_leq(spool_file_bytes(s), 160);
    spool_close(&s);
}

/* The bound is the file's size on disk, whatever mix of events and answers
 * it holds (a 64 MiB bound once made an 80 MB file). */
Test(spool, the_bound_is_the_size_on_disk)
{
    const uint64_t max = 64 << 10;
    spool_t *s = open_ok(SPOOL_SYNC_NONE, max);
    uint32_t k = 0;
    for (int round = 0; round < 20; round++) {
        for (;; k++) { /* fill up */
            uint8_t id[16];
            char ev[64];
            int len = snprintf(ev, sizeof ev, "event number %u", k);
            id_of(k, id);
            int rc = spool_append(s, id, ev, (uint32_t)len, 1000 + k, 500 + k);
            if (rc == SPOOL_EFULL) break;
            cr_assert_eq(rc, SPOOL_OK);
        }
        /* answer a third of what is pending, oldest first */
        size_t answer = spool_pending(s) / 3;
        for (size_t i = 0; i < answer; i++) {
            spool_item_t *it = spool_first(s);
            uint8_t id[16];
            memcpy(id, it->id, 16);
            cr_assert_eq(spool_done(s, id, 0, 0), SPOOL_OK);
            cr_assert_leq(spool_file_bytes(s), max);
        }
        struct stat st;
        cr_assert_eq(stat(path, &st), 0);
        cr_expect_leq((uint64_t)st.st_size, max, "round %d: %lld bytes on disk", round,
                      (long long)st.st_size);
        cr_expect_eq((uint64_t)st.st_size, spool_file_bytes(s));
    }
    size_t pending = spool_pending(s);
    spool_close(&s);
    s = open_ok(SPOOL_SYNC_NONE, max);
    cr_expect_eq(spool_pending(s), pending, "nothing pending lost");
    spool_close(&s);
}

Test(spool, answered_events_are_compacted_away)
{
    spool_t *s = open_ok(SPOOL_SYNC_NONE, 64 << 20);
    append_n(s, 0, 20000);
    uint64_t big = spool_file_bytes(s);
    for (uint32_t k = 0; k < 19990; k++) {
        uint8_t id[16];
        id_of(k, id);
        cr_assert_eq(spool_done(s, id, 0, 0), SPOOL_OK);
    }
    cr_expect_lt(spool_file_bytes(s), big / 4, "file %llu of %llu",
                 (unsigned long long)spool_file_bytes(s), (unsigned long long)big);
    cr_expect_eq(spool_pending(s), 10);
    spool_close(&s);
    s = open_ok(SPOOL_SYNC_NONE, 64 << 20);
    cr_expect_eq(spool_pending(s), 10);
    cr_expect_eq(spool_first(s)->enqueued_ms, 1000 + 19990);
    cr_expect_eq(spool_seq_high(s), 500 + 19999);
    for (uint32_t k = 19990; k < 20000; k++) {
        uint8_t id[16];
        id_of(k, id);
        cr_assert_eq(spool_done(s, id, 0, 0), SPOOL_OK);
    }
    spool_close(&s);
    s = open_ok(SPOOL_SYNC_NONE, 64 << 20);
    cr_expect_eq(spool_pending(s), 0);
    cr_expect_eq(spool_seq_high(s), 500 + 19999, "seq survives when nothing is pending");
    spool_close(&s);
}

Test(spool, kill_9_loses_nothing_that_was_spooled, .timeout = 60)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) { /* the station: append and report each one spooled */
        close(p[0]);
        spool_t *s;
        char err[128];
        if (spool_open(&s, path, 64 << 20, SPOOL_SYNC_EACH, err, sizeof err)) _exit(1);
        for (uint32_t k = 0;; k++) {
            uint8_t id[16];
            id_of(k, id);
            if (spool_append(s, id, "payload of an event", 19, k, k + 1) != SPOOL_OK) _exit(2);
            if (k % 3 == 0) spool_done(s, id, 0, 0);
            if (write(p[1], &k, sizeof k) != sizeof k) _exit(3);
        }
    }
    close(p[1]);
    uint32_t last = 0, k;
    while (read(p[0], &k, sizeof k) == sizeof k) {
        last = k;
        if (k >= 300) {
            kill(pid, SIGKILL);
            break;
        }
    }
    /* Whatever the child managed after `last`, nothing up to it may be lost. */
    int st;
    waitpid(pid, &st, 0);
    close(p[0]);
    cr_assert(WIFSIGNALED(st));
    spool_t *s = open_ok(SPOOL_SYNC_EACH, 64 << 20);
    for (uint32_t j = 0; j <= last; j++) {
        uint8_t id[16];
        id_of(j, id);
        if (j % 3 == 0) continue; /* answered (or about to be): either way not owed */
        cr_expect_not_null(spool_find(s, id), "event %u lost", j);
    }
    spool_close(&s);
}
