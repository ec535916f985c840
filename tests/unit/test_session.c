/* test_session.c — the console's sessions and login throttle
 * (web/session.c), with a hand-turned clock. */
#include "web/session.h"

#include <criterion/criterion.h>
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

Test(session, failed_logins_are_throttled_by_address_and_by_name)
{
    sessions_t *s = sessions_new(100, 1000, 3, 60); /* 3 failures in 60 s */
    for (int i = 0; i < 3; i++) {
        cr_expect(sessions_may_try(s, "10.0.0.1", "x", i));
        sessions_tried(s, "10.0.0.1", "x", 0, i);
    }
    cr_expect(!sessions_may_try(s, "10.0.0.1", "x", 10));
    cr_expect(!sessions_may_try(s, "10.0.0.2", "x", 10),
              "the name is throttled from elsewhere too");
    cr_expect(!sessions_may_try(s, "10.0.0.1", "y", 10), "and the address for another name");
    cr_expect(sessions_may_try(s, "10.0.0.2", "y", 10));
    cr_expect(sessions_may_try(s, "10.0.0.1", "x", 61), "the window has passed");
    sessions_tried(s, "10.0.0.3", "z", 0, 100);
    sessions_tried(s, "10.0.0.3", "z", 0, 101);
    sessions_tried(s, "10.0.0.3", "z", 1, 102); /* a success clears them */
    sessions_tried(s, "10.0.0.3", "z", 0, 103);
    cr_expect(sessions_may_try(s, "10.0.0.3", "z", 104));
    sessions_free(&s);
}
