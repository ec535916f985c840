/* report_cmd.h — the `antt report` command (the report itself is report/). */
#ifndef ANTT_CLI_REPORT_CMD_H
#define ANTT_CLI_REPORT_CMD_H

/* argv: the options after "report". Returns the exit code. */
int report_main(int argc, char **argv);

#endif
