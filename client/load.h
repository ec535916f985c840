/* load.h — `antt load`: many simulated stations over ZeroMQ (see loadgen.h). */
#ifndef ANTT_CLIENT_LOAD_H
#define ANTT_CLIENT_LOAD_H

/* argv: the options after "load". Returns the exit code. */
int load_main(const char *endpoint, int argc, char **argv);

#endif
