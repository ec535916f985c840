/* presence.h — which stations are connected now (a quiet station vs a silent one).
 *
 * With CURVE a connection is a key, hence a node: the daemon tells
 * presence_seen() the descriptor and User-Id of each message it reads, and
 * presence_closed() each descriptor its socket monitor says was closed. A
 * node is connected while it has at least one connection. A change of a
 * node's state is kept until the daemon writes it (antt.node_status) between
 * batches; only the latest state of each node is written. Without CURVE a
 * connection is nobody in particular, and nothing is known. */
#ifndef ANTT_DAEMON_PRESENCE_H
#define ANTT_DAEMON_PRESENCE_H

#include <stdint.h>

typedef struct presence presence_t;

presence_t *presence_new(void);
void presence_free(presence_t **p);

/* A message from node on descriptor fd. -1 out of memory. */
int presence_seen(presence_t *p, int fd, const char *node);

/* Descriptor fd was closed (a connection went). */
void presence_closed(presence_t *p, int fd);

/* Nodes connected now. */
int presence_connected(const presence_t *p);

/* Hand the nodes whose state changed since the last successful write to fn
 * (node, connected: 1/0), all in one call: fn returns 0 when it wrote them
 * (they are then forgotten), -1 when not (kept for the next call). */
typedef int (*presence_write_fn)(void *ctx, const char *const *nodes, const int *connected, int n);
int presence_flush(presence_t *p, presence_write_fn fn, void *ctx);

/* 1 when changes wait to be written. */
int presence_pending(const presence_t *p);

#endif
