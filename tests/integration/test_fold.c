/* test_fold.c — the fold (db/fold.h) against a real PostgreSQL: windows of
 * antt.fold_input folded into the tallies and their sums exactly once,
 * whatever the transactions around them do: still open, aborted, a folder
 * that dies mid-window, two folders at once. The rows are written here as
 * the ack path will write them (one row a batch). */
#include "db/fold.h"
#include "harness.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static it_db_t db;

static void setup(void)
{
    it_before_figures = NULL; /* these tests fold themselves, step by step */
    it_db_create(&db, NULL);
}

static void teardown(void)
{
    it_db_drop(&db, NULL);
}

TestSuite(fold, .init = setup, .fini = teardown, .timeout = 60);

static db_t *folder(void)
{
    char err[512];
    db_t *c = db_connect(db.dsn, "test-fold", err, sizeof err);
    cr_assert_not_null(c, "connect: %s", err);
    cr_assert_eq(fold_session(c, err, sizeof err), 0, "session: %s", err);
    return c;
}

/* One batch's row: n incidents of unit on day (social order, serious). */
static void batch(PGconn *c, const char *unit, const char *day, long n)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO antt.fold_input (units, days, metrics, grps, severities, vals)"
             " VALUES ('{%s}', '{%s}', '{incidents}', '{social_order}', '{serious}', '{%ld}')",
             unit, day, n);
    PGresult *r = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(c));
    PQclear(r);
}

static void exec_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
              "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
}

static int fold(db_t *c, fold_window_t *w)
{
    char err[512];
    int rc = fold_once(c, w, err, sizeof err);
    cr_assert_geq(rc, 0, "fold: %s", err);
    fold_window_clear(w); /* the content is read back from antt.fold_windows */
    return rc;
}

/* Fold until `total` rows have been folded in all (fold_state.rows_folded),
 * at most 20 s: the snapshot's xmin is the whole server's, so a transaction
 * of another test running beside this one holds the window back for a
 * while (that is the fold's rule, not a fault). The rows folded by these
 * calls. */
static long fold_until(db_t *c, PGconn *pg, long long total)
{
    long rows = 0;
    for (int i = 0; i < 400; i++) {
        fold_window_t w;
        fold(c, &w);
        rows += w.rows;
        if (it_scalar(pg, "SELECT rows_folded FROM antt.fold_state") >= total) return rows;
        usleep(50000);
    }
    cr_assert_fail("the fold did not reach %lld rows in 20 s", total);
    return rows;
}

static long long incidents(PGconn *c, const char *table, const char *where)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT coalesce(sum(value), 0) FROM antt.%s WHERE metric = 'incidents' AND %s", table,
             where);
    return it_scalar(c, sql);
}

Test(fold, each_committed_row_is_folded_once_with_its_sums)
{
    PGconn *pg = it_pg(&db);
    db_t *f = folder();
    /* one transaction: one window, whatever else the server is doing */
    exec_ok(pg, "BEGIN");
    batch(pg, "06040", "2023-06-13", 2);
    batch(pg, "06040", "2023-06-14", 3);
    batch(pg, "06043", "2023-05-01", 4);
    exec_ok(pg, "COMMIT");
    cr_expect_eq(fold_until(f, pg, 3), 3);
    cr_expect_eq(incidents(pg, "tallies", "true"), 9);
    cr_expect_eq(incidents(pg, "tallies_month", "month = '2023-06-01'"), 5);
    cr_expect_eq(incidents(pg, "tallies_year", "year = '2023-01-01'"), 9);
    /* nothing new: the position may move (other transactions ended), the
     * figures do not */
    fold_window_t w;
    fold(f, &w);
    cr_expect_eq(w.rows, 0);
    cr_expect_eq(incidents(pg, "tallies", "true"), 9);
    cr_expect_eq(it_scalar(pg, "SELECT rows_folded FROM antt.fold_state"), 3);
    /* the window's deltas went to the tally log: each unit's version once */
    cr_expect_eq(it_scalar(pg, "SELECT version FROM antt.unit_versions WHERE unit = '06040'"), 1);
    cr_expect_eq(it_scalar(pg, "SELECT version FROM antt.unit_versions WHERE unit = '06043'"), 1);
    db_close(&f);
    PQfinish(pg);
}

Test(fold, an_open_transaction_holds_the_window_and_nothing_is_skipped)
{
    PGconn *pg = it_pg(&db), *open = it_pg(&db);
    db_t *f = folder();
    exec_ok(open, "BEGIN");
    batch(open, "06040", "2023-06-13", 10); /* not committed yet: it has the smaller id */
    batch(pg, "06040", "2023-06-13", 1);    /* committed, but after the open one began */
    fold_window_t w;
    fold(f, &w);
    /* the committed row's id is above the open one's: the window stops below both */
    cr_expect_eq(w.rows, 0);
    cr_expect_eq(incidents(pg, "tallies", "true"), 0);
    exec_ok(open, "COMMIT");
    cr_expect_eq(fold_until(f, pg, 2), 2);
    cr_expect_eq(incidents(pg, "tallies", "true"), 11);
    fold(f, &w);
    cr_expect_eq(incidents(pg, "tallies", "true"), 11);
    db_close(&f);
    PQfinish(open);
    PQfinish(pg);
}

Test(fold, an_aborted_transaction_counts_nothing)
{
    PGconn *pg = it_pg(&db);
    db_t *f = folder();
    exec_ok(pg, "BEGIN");
    batch(pg, "06040", "2023-06-13", 7);
    exec_ok(pg, "ROLLBACK");
    batch(pg, "06040", "2023-06-13", 1);
    cr_expect_eq(fold_until(f, pg, 1), 1);
    cr_expect_eq(incidents(pg, "tallies", "true"), 1);
    db_close(&f);
    PQfinish(pg);
}

/* A folder that dies inside its window (its connection gone before COMMIT)
 * leaves the figures and the position as they were: the next folds it. */
Test(fold, a_folder_that_dies_mid_window_leaves_nothing)
{
    PGconn *pg = it_pg(&db), *dying = it_pg(&db);
    db_t *f = folder();
    batch(pg, "06040", "2023-06-13", 5);
    exec_ok(dying, "SET antt.store_rolls = on");
    exec_ok(dying, "BEGIN");
    exec_ok(dying, "SELECT pos FROM antt.fold_state FOR UPDATE");
    exec_ok(dying, "INSERT INTO antt.tallies VALUES ('06040', '2023-06-13', 'incidents',"
                   " 'social_order', 'serious', 5)");
    PQfinish(dying); /* no COMMIT */
    cr_expect_eq(fold_until(f, pg, 1), 1);
    cr_expect_eq(incidents(pg, "tallies", "true"), 5);
    db_close(&f);
    PQfinish(pg);
}

/* Rows before tallies_before_at (a late event for an earlier year) reach
 * the before-sums too, as the store's own statement does. */
Test(fold, an_event_for_an_earlier_year_reaches_the_before_sums)
{
    PGconn *pg = it_pg(&db);
    db_t *f = folder();
    long long at_year =
        it_scalar(pg, "SELECT extract(year FROM at)::int FROM antt.tallies_before_at");
    char day[32];
    snprintf(day, sizeof day, "%lld-03-01", at_year - 1);
    batch(pg, "06040", day, 4);
    fold_until(f, pg, 1);
    cr_expect_eq(incidents(pg, "tallies_before", "true"), 4);
    db_close(&f);
    PQfinish(pg);
}

typedef struct {
    const char *dsn;
    volatile int *stop;
    long folded;
} folder_arg_t;

static void *fold_loop(void *p)
{
    folder_arg_t *a = p;
    char err[512];
    db_t *c = db_connect(a->dsn, "test-fold", err, sizeof err);
    if (!c || fold_session(c, err, sizeof err) < 0) return NULL;
    while (!*a->stop) {
        fold_window_t w;
        if (fold_once(c, &w, err, sizeof err) > 0) a->folded += w.rows;
        fold_window_clear(&w);
    }
    fold_window_t w;
    while (fold_once(c, &w, err, sizeof err) > 0 && w.rows) {
        a->folded += w.rows;
        fold_window_clear(&w);
    }
    db_close(&c);
    return NULL;
}

/* Two folders and a writer at once: every row folded by exactly one. */
Test(fold, two_folders_fold_each_row_once)
{
    PGconn *pg = it_pg(&db);
    volatile int stop = 0;
    folder_arg_t a = {db.dsn, &stop, 0}, b = {db.dsn, &stop, 0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, fold_loop, &a);
    pthread_create(&tb, NULL, fold_loop, &b);
    for (int i = 0; i < 400; i++)
        batch(pg, i % 2 ? "06040" : "06043", "2023-06-13", 1);
    stop = 1;
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    db_t *f = folder();
    const long rest = fold_until(f, pg, 400); /* whatever ended after both stopped */
    cr_expect_eq(a.folded + b.folded + rest, 400, "folded %ld + %ld + %ld", a.folded, b.folded,
                 rest);
    cr_expect_eq(incidents(pg, "tallies", "true"), 400);
    cr_expect_eq(it_scalar(pg, "SELECT rows_folded FROM antt.fold_state"), 400);
    /* the input below the position is no longer needed */
    char err[512];
    cr_expect_eq(fold_trim(f, 1000, err, sizeof err), 400, "%s", err);
    cr_expect_eq(it_scalar(pg, "SELECT count(*) FROM antt.fold_input"), 0);
    db_close(&f);
    PQfinish(pg);
}

/* A code the 2025 map reused (06040: a commune of district 180 until 30
 * June 2025, Thất Khê since) with deltas of both eras in one window: each
 * era goes to the tally log in a message of its own (the stream gives each
 * its era's topic), so the code's version moves twice; a unit of one era
 * moves once. */
Test(fold, each_era_of_a_reused_code_gets_its_own_log_message)
{
    PGconn *pg = it_pg(&db);
    db_t *f = folder();
    batch(pg, "06040", "2024-05-01", 1);
    batch(pg, "06040", "2025-08-10", 1);
    batch(pg, "06043", "2024-05-01", 1);
    fold_until(f, pg, 3);
    cr_expect_eq(it_scalar(pg, "SELECT version FROM antt.unit_versions WHERE unit = '06040'"), 2);
    cr_expect_eq(it_scalar(pg, "SELECT version FROM antt.unit_versions WHERE unit = '06043'"), 1);
    cr_expect_eq(incidents(pg, "tallies", "true"), 3);
    db_close(&f);
    PQfinish(pg);
}

/* A row whose metric this build does not know (a newer build's, during an
 * upgrade) does not stop the fold: it is in the figures, and its unit's
 * version is raised past the stream's message, so subscribers resnapshot. */
Test(fold, a_metric_this_build_does_not_know_is_folded_not_published)
{
    PGconn *pg = it_pg(&db);
    db_t *f = folder();
    exec_ok(pg, "INSERT INTO antt.fold_input (units, days, metrics, grps, severities, vals)"
                " VALUES ('{06043,06040}', '{2024-05-01,2024-05-01}',"
                " '{a_newer_metric,incidents}', '{\"\",social_order}', '{\"\",serious}', '{2,1}')");
    fold_until(f, pg, 1);
    cr_expect_eq(
        it_scalar(pg, "SELECT sum(value) FROM antt.tallies WHERE metric = 'a_newer_metric'"), 2);
    cr_expect_eq(incidents(pg, "tallies", "true"), 1);
    cr_expect_eq(it_scalar(pg, "SELECT version FROM antt.unit_versions WHERE unit = '06043'"), 1,
                 "raised without a message: its subscribers see the gap");
    cr_expect_eq(it_scalar(pg, "SELECT version FROM antt.unit_versions WHERE unit = '06040'"), 1);
    cr_expect_eq(it_scalar(pg, "SELECT count(*) FROM antt.fold_windows"), 1);
    db_close(&f);
    PQfinish(pg);
}
