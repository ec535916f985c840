/* viewer.h — `antt viewer add|revoke|list`: the console's accounts
 * (antt.viewers, migration 010). */
#ifndef ANTT_CLI_VIEWER_H
#define ANTT_CLI_VIEWER_H

int viewer_main(int argc, char **argv);

#endif
