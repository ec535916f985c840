/* report.h — `antt report`: the year-end figures as provincial reports state
 * them, computed by the database from the tallies (antt.rates). */
#ifndef ANTT_CLIENT_REPORT_H
#define ANTT_CLIENT_REPORT_H

#include <stddef.h>

/* Numbers the way a report writes them: vi "1.315" and "23,25"; en "1,315"
 * and "23.25". decimals < 0: an integer. */
void report_num(char *out, size_t cap, double v, int decimals, int vi);

/* argv: the options after "report". Returns the exit code. */
int report_main(int argc, char **argv);

#endif
