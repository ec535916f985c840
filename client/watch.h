/* watch.h — `antt watch`: a live table of a unit's children from the tally
 * stream (snapshot, then deltas). */
#ifndef ANTT_CLIENT_WATCH_H
#define ANTT_CLIENT_WATCH_H

int watch_main(int argc, char **argv);

#endif
