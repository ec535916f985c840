/* tipoffs.h — `antt tipoffs`: overdue and due tip-offs, processing times. */
#ifndef ANTT_CLI_TIPOFFS_H
#define ANTT_CLI_TIPOFFS_H

int tipoffs_main(int argc, char **argv);

#endif
