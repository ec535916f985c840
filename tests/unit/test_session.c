/* test_session.c — the console's sessions and login throttle
 * (web/session.c), with a hand-turned clock. */
#include "web/session.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static session_who_t who(const char *name)
{
    session_who_t w = {0};
    strcpy(w.name, name);
    strcpy(w.scope, "20");
    strcpy(w.lang, "vi");
    strcpy(w.topics, "[\"20.\"]");
    return w;
}

Test(session, a_session_lives_while_used_and_ends_when_idle_or_old)
{
    sessions_t *s = sessions_new(100, 1000, 5, 60); /* idle 100 s, at most 1000 s */
    cr_assert_not_null(s);
    char a[SESSION_TOKEN_HEX + 1], b[SESSION_TOKEN_HEX + 1];
    session_who_t w = who("tinh20");
    cr_assert_eq(sessions_open(s, &w, 0, a), 0);
    cr_assert_eq(sessions_open(s, &w, 0, b), 0);
    cr_expect_eq(strlen(a), SESSION_TOKEN_HEX);
    cr_expect_str_neq(a, b, "two tokens are two random numbers");
    const session_who_t *f = sessions_find(s, a, 90);
    cr_assert_not_null(f);
    cr_expect_str_eq(f->name, "tinh20");
    cr_expect_not_null(sessions_find(s, a, 180), "used at 90: still alive at 180");
    cr_expect_null(sessions_find(s, b, 180), "unused since 0: gone after 100 s");
    for (int t = 250; t < 1000; t += 90)
        cr_expect_not_null(sessions_find(s, a, t));
    cr_expect_null(sessions_find(s, a, 1001), "at most 1000 s, used or not");
    cr_expect_null(sessions_find(s, "not a token", 0));
    cr_expect_eq(sessions_count(s, 1001), 0);
    sessions_free(&s);
}

Test(session, logout_and_revocation_end_sessions)
{
    sessions_t *s = sessions_new(100, 1000, 5, 60);
    char a[SESSION_TOKEN_HEX + 1], b[SESSION_TOKEN_HEX + 1], c[SESSION_TOKEN_HEX + 1];
    session_who_t x = who("x"), y = who("y");
    sessions_open(s, &x, 0, a);
    sessions_open(s, &x, 0, b);
    sessions_open(s, &y, 0, c);
    sessions_close(s, a, NULL);
    cr_expect_null(sessions_find(s, a, 1));
    cr_expect_not_null(sessions_find(s, b, 1));
    sessions_close(s, NULL, "x"); /* revoked: all of x's */
    cr_expect_null(sessions_find(s, b, 1));
    cr_expect_not_null(sessions_find(s, c, 1));
    sessions_free(&s);
}

/* An attempt that is checked and fails (reserved, then resolved). */
static int fail_once(sessions_t *s, const char *addr, const char *name, int known, int64_t now)
{
    const int r = sessions_reserve(s, addr, name, known, now);
    if (r == 0) sessions_resolve(s, addr, name, SESSIONS_FAILED, now);
    return r;
}

Test(session, failed_logins_are_throttled_by_address_and_by_name)
{
    sessions_t *s = sessions_new(100, 1000, 3, 60); /* 3 failures in 60 s */
    for (int i = 0; i < 3; i++)
        cr_expect_eq(fail_once(s, "10.0.0.1", "x", 0, i), 0);
    cr_expect_eq(sessions_reserve(s, "10.0.0.1", "x", 0, 10), SESSIONS_LOCKED_ADDR);
    cr_expect_eq(sessions_reserve(s, "10.0.0.2", "x", 0, 10), SESSIONS_LOCKED_NAME,
                 "the name from another address");
    cr_expect_eq(sessions_reserve(s, "10.0.0.1", "y", 0, 10), SESSIONS_LOCKED_ADDR,
                 "and the address for another name");
    cr_expect_eq(fail_once(s, "10.0.0.2", "y", 0, 10), 0);
    cr_expect_eq(fail_once(s, "10.0.0.1", "x", 0, 61), 0, "the window has passed");
    sessions_free(&s);
}

/* Forty attempts at once (reserved before any is checked): only as many
 * as the limit are let through, as forty in a row would be. */
Test(session, attempts_at_once_count_before_they_are_checked)
{
    sessions_t *s = sessions_new(100, 1000, 5, 60);
    int let = 0;
    for (int i = 0; i < 40; i++)
        let += sessions_reserve(s, "10.0.0.1", "x", 0, 1) == 0;
    cr_expect_eq(let, 5);
    /* two of them were never checked (the database was down): given back */
    sessions_resolve(s, "10.0.0.1", "x", SESSIONS_VOID, 2);
    sessions_resolve(s, "10.0.0.1", "x", SESSIONS_VOID, 2);
    cr_expect_eq(sessions_reserve(s, "10.0.0.1", "x", 0, 3), 0);
    cr_expect_eq(sessions_reserve(s, "10.0.0.1", "x", 0, 3), 0);
    cr_expect_eq(sessions_reserve(s, "10.0.0.1", "x", 0, 3), SESSIONS_LOCKED_ADDR);
    sessions_free(&s);
}

/* A success clears the name's failures, not the address's: logging in to
 * one's own account buys no more guesses at another's. */
Test(session, a_success_clears_the_name_not_the_address)
{
    sessions_t *s = sessions_new(100, 1000, 3, 60);
    cr_expect_eq(fail_once(s, "10.0.0.3", "z", 0, 100), 0);
    cr_expect_eq(fail_once(s, "10.0.0.3", "z", 0, 101), 0);
    cr_expect_eq(sessions_reserve(s, "10.0.0.3", "me", 0, 102), 0);
    sessions_resolve(s, "10.0.0.3", "me", SESSIONS_OK, 102);
    cr_expect_eq(fail_once(s, "10.0.0.3", "z", 0, 103), 0);
    cr_expect_eq(sessions_reserve(s, "10.0.0.3", "z", 0, 104), SESSIONS_LOCKED_ADDR);
    /* the owner of z, from elsewhere, logs in (after the lock's window) and
     * z's count starts again */
    cr_expect_eq(sessions_reserve(s, "10.0.0.4", "z", 0, 104), SESSIONS_LOCKED_NAME);
    sessions_free(&s);
}

/* Somebody who knows a viewer's name fails for it from many addresses: new
 * browsers wait, but the viewer's own browser (its known-device cookie)
 * still may try. */
Test(session, a_known_device_is_not_locked_out_by_others_failures)
{
    sessions_t *s = sessions_new(100, 1000, 3, 60);
    char dev[SESSION_TOKEN_HEX + 1], other[SESSION_TOKEN_HEX + 1];
    sessions_device_token(s, "tinh20", dev);
    sessions_device_token(s, "caobang", other);
    cr_expect(sessions_device_known(s, "tinh20", dev));
    cr_expect(!sessions_device_known(s, "tinh20", other), "another name's cookie");
    cr_expect(!sessions_device_known(s, "tinh20", NULL));
    cr_expect(!sessions_device_known(s, "tinh20", "zz"));
    char addr[32];
    for (int i = 0; i < 3; i++) {
        snprintf(addr, sizeof addr, "10.9.0.%d", i);
        cr_expect_eq(fail_once(s, addr, "tinh20", 0, 5), 0);
    }
    cr_expect_eq(sessions_reserve(s, "10.9.1.1", "tinh20", 0, 6), SESSIONS_LOCKED_NAME);
    cr_expect_eq(sessions_reserve(s, "10.9.1.1", "tinh20", 1, 6), 0, "from its known browser");
    sessions_resolve(s, "10.9.1.1", "tinh20", SESSIONS_OK, 6);
    cr_expect_eq(sessions_reserve(s, "10.9.1.2", "tinh20", 0, 7), 0, "the success cleared it");
    sessions_free(&s);
    /* a restart draws a new key: the old cookies are nobody's */
    s = sessions_new(100, 1000, 3, 60);
    cr_expect(!sessions_device_known(s, "tinh20", dev));
    sessions_free(&s);
}
