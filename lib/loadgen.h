/* loadgen.h — realistic traffic of one simulated station, for `antt load`
 * and the daemon benchmark.
 *
 * In every run of 10 events a station reports about 4 incidents (mostly
 * social-order and drug groups; traffic accidents with deaths and injuries;
 * occurring up to 30 days ago: late arrivals), receives 4 tip-offs (up to 40
 * days ago, so some are resolved past the 20-day limit), clears one of its
 * open cases (days after it occurred) and resolves one of its pending
 * tip-offs. Summaries are Vietnamese. Case references are unique per run
 * (the run tag) so repeated runs against one database do not collide. */
#ifndef ANTT_LIB_LOADGEN_H
#define ANTT_LIB_LOADGEN_H

#include "proto/ev.h"

#include <msgpack.h>
#include <stdint.h>

typedef struct {
    char node[48];
    char unit[8];
    unsigned run;
    uint64_t seq, inc_made, inc_cleared, tip_made, tip_resolved;
    uint64_t rng;
} lg_node_t;

void lg_init(lg_node_t *g, const char *node, const char *unit, unsigned run, uint64_t seed);

/* A run tag for this process's stations: 32 random bits (getrandom), so
 * that runs against one database do not reuse each other's case
 * references. It used to be getpid() ^ time() in 20 bits, which two runs a
 * minute apart can share: each's pid and time moved by small amounts that
 * cancel out, and the later run's events were all refused as cases that
 * already exist. */
unsigned lg_run_tag(void);

/* The next event of the station (ref is its case reference buffer). */
void lg_next(lg_node_t *g, ev_t *ev, char ref[64], int64_t now_us);

/* Encode the station's next n events as one message (an array when n > 1). */
void lg_message(lg_node_t *g, int n, msgpack_sbuffer *sb, int64_t now_us);

/* A malformed message of one of several kinds, into sb. */
void lg_malformed(lg_node_t *g, msgpack_sbuffer *sb);

/* A pseudo-random number from the station's generator. */
uint32_t lg_rand(lg_node_t *g);

/* The benchmarks' stations: the commune codes of the file named by
 * $BENCH_UNITS (one a line, as the scripts register nodes for them);
 * station i is node bench-i at commune i % n, with a run tag of this
 * process so that repeated runs on one database do not collide. */
typedef struct {
    char (*units)[8];
    int n;
    unsigned run;
} lg_bench_t;

/* 0, or -1 with err (no $BENCH_UNITS, unreadable, empty, out of memory). */
int lg_bench_open(lg_bench_t *b, char *err, size_t errlen);
void lg_bench_station(const lg_bench_t *b, lg_node_t *g, int i);
void lg_bench_close(lg_bench_t *b);

#endif
