/* watch.h — `antt watch`: a live table of a unit's children from the tally
 * stream (snapshot, then deltas). */
#ifndef ANTT_CLI_WATCH_H
#define ANTT_CLI_WATCH_H

#include "lib/antt.h"

/* sec: the subscriber's keys (--key: its keypair, enrolled with antt
 * subscriber add), or insecure. */
int watch_main(const antt_sec_t *sec, int argc, char **argv);

#endif
