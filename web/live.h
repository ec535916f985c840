/* live.h — the tally stream, followed for the console's browsers.
 *
 * A thread subscribes to every daemon's stream (PROTOCOL.md section 16) as
 * an enrolled subscriber (or insecure on loopback) and keeps the last
 * messages' topics and units in a ring, each with a number. A browser's
 * event stream (Server-Sent Events) waits for numbers past the last it
 * sent and passes on those inside its viewer's scope: "this unit's figures
 * changed", upon which the page asks for them again. Figures are never
 * computed from the stream here — the database is the one source. */
#ifndef ANTT_WEB_LIVE_H
#define ANTT_WEB_LIVE_H

#include "lib/antt.h"

#include <stddef.h>
#include <stdint.h>

typedef struct live live_t;

typedef struct {
    uint64_t n; /* its number: 1, 2, ... */
    char topic[40];
    char unit[8];
} live_msg_t;

/* Follow the stream at endpoints ("tcp://a:7722,tcp://b:7722") with sec.
 * NULL with err. */
live_t *live_start(const char *endpoints, const antt_sec_t *sec, char *err, size_t errlen);
void live_stop(live_t **l);

/* The messages numbered after `after` (at most cap, oldest first), waiting
 * up to wait_ms for one. Returns how many; *next is the number to pass next
 * time (messages older than the ring holds are skipped). */
size_t live_wait(live_t *l, uint64_t after, int wait_ms, live_msg_t *out, size_t cap,
                 uint64_t *next);

/* Messages seen so far. */
uint64_t live_count(live_t *l);

#endif
