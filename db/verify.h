/* verify.h — `anttd --verify`: replay the event log through the ledger from
 * empty state and compare with what the database holds: every tally, every
 * incident and tip-off state. Prints one line per difference to out, and a
 * summary. The log is streamed (single-row mode); the stored case states
 * and the replayed tallies are held in memory. */
#ifndef ANTT_DB_VERIFY_H
#define ANTT_DB_VERIFY_H

#include "db/ledger.h"
#include "db/pg.h"

#include <stdio.h>

/* 0 when it ran (*differences set), -1 with err when it could not. */
/* lcfg: the ledger's configuration, its is_crime callback included. */
int verify_run(db_t *c, const ledger_cfg_t *lcfg, FILE *out, long *differences, char *err,
               size_t errlen);

#endif
