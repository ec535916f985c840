/* load.h — `antt load`: many simulated stations over ZeroMQ (see loadgen.h). */
#ifndef ANTT_CLI_LOAD_H
#define ANTT_CLI_LOAD_H

#include "lib/antt.h"

/* argv: the options after "load"; sec: CURVE for every simulated station
 * (with --enroll, each gets a key of its own). Returns the exit code. */
int load_main(const char *endpoint, const antt_sec_t *sec, int argc, char **argv);

#endif
