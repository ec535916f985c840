/* limit.h — a token bucket per node, so that one noisy or compromised
 * station cannot take the daemon's time from the others.
 *
 * Each node may send `rate` events a second on average and `burst` at once
 * (a station back from days offline flushes its spool at the burst, then at
 * the rate). A message that would overdraw the bucket is refused whole with
 * 402 before anything is stored or allocated for it; the node resends it
 * later (PROTOCOL.md section 15). The table grows with the nodes that
 * actually send (authenticated ids only, so at most the registered nodes). */
#ifndef ANTT_DAEMON_LIMIT_H
#define ANTT_DAEMON_LIMIT_H

#include <stddef.h>
#include <stdint.h>

typedef struct limit limit_t;

/* rate 0: no limit. burst is raised to at least one full message. */
limit_t *limit_new(uint32_t rate, uint32_t burst);
void limit_free(limit_t **l);

/* Take n events from node's bucket at now_us: 1 when allowed, 0 when the
 * bucket cannot pay (nothing taken), -1 out of memory (allowed). */
int limit_take(limit_t *l, const char *node, uint32_t n, int64_t now_us);

#endif
