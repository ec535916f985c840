/* verify.h — `anttd --verify`: replay the event log through the ledger from
 * empty state and compare with what the database holds: every tally, every
 * incident and tip-off state. Prints one line per difference to out, and a
 * summary. The log is streamed (single-row mode); the stored case states
 * and the replayed tallies are held in memory. */
#ifndef ANTT_DB_VERIFY_H
#define ANTT_DB_VERIFY_H

#include "rules/ledger.h"
#include "db/pg.h"

#include <stdio.h>

/* 0 when it ran (*differences set), -1 with err when it could not.
 * lcfg: the ledger's configuration, its registry callbacks included.
 * repair: write the replay back when it differs — the differing case rows
 * and every tally — in one transaction that locks out the daemons' batches
 * while it runs (`anttd --repair`: after a unit map was loaded into a
 * database that already held events in the units it dissolved). Refused
 * (-2, err says why) when the log and the tables disagree on which cases
 * exist. */
int verify_run(db_t *c, const ledger_cfg_t *lcfg, FILE *out, long *differences, int repair,
               char *err, size_t errlen);

/* Recompute the deadlines of the pending tip-offs under the rules in force
 * (the ledger's, lcfg; Art. 134 with the days off), by replaying their
 * events, and write those that differ — when `rules` (a statement of the
 * settings and the days off) differs from the one the stored deadlines were
 * computed under (antt.deadline_rules; migration 014 leaves it empty), or
 * always with force. Locks the tip-offs' writers out while it runs.
 * *changed: tip-offs rewritten. 1 recomputed, 0 nothing was due, -1 with
 * err. */
/* The statement of the rules verify_deadlines compares: law's settings and
 * a digest of antt.days_off. 0, or -1 with err. */
int verify_deadline_rules(db_t *c, const lawtime_t *law, char *out, size_t cap, char *err,
                          size_t errlen);

int verify_deadlines(db_t *c, const ledger_cfg_t *lcfg, const char *rules, int force, FILE *out,
                     long *changed, char *err, size_t errlen);

#endif
