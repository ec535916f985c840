/* test_loadgen.c — the benchmarks' stations (lib/loadgen.c): runs against
 * one database must not share case references. */
#include "lib/loadgen.h"

#include <criterion/criterion.h>
#include <string.h>

/* Two runs' tags differ (32 random bits; equal once in 2^32), and so do
 * the case references their stations make: a run that took an earlier
 * run's tag had every event refused as a case that already exists. */
Test(loadgen, two_runs_make_different_case_references)
{
    const unsigned a = lg_run_tag(), b = lg_run_tag();
    cr_assert_neq(a, b, "two run tags alike: %x", a);
    lg_node_t ga, gb;
    lg_init(&ga, "load-06040", "06040", a, 1);
    lg_init(&gb, "load-06040", "06040", b, 1);
    for (int i = 0; i < 20; i++) {
        ev_t ea, eb;
        char ra[64], rb[64];
        lg_next(&ga, &ea, ra, 1700000000000000 + i);
        lg_next(&gb, &eb, rb, 1700000000000000 + i);
        cr_expect_str_neq(ra, rb, "event %d: the same reference in both runs", i);
        cr_expect(strlen(ra) < 64);
    }
}
