/* pool.h — the console's database connections: a few, shared by the
 * request threads, each used by one request at a time. A connection found
 * broken is replaced at its next use. Every session is read-only
 * (default_transaction_read_only), whatever role it logs in as. */
#ifndef ANTT_WEB_POOL_H
#define ANTT_WEB_POOL_H

#include "db/pg.h"

typedef struct pool pool_t;

/* n connections to dsn, opened lazily. NULL out of memory. */
pool_t *pool_new(const char *dsn, int n);
void pool_free(pool_t **p);

/* A connection (waits while all are in use); NULL with err when the
 * database cannot be reached. Give it back with pool_put. */
db_t *pool_get(pool_t *p, char *err, size_t errlen);
void pool_put(pool_t *p, db_t *c);

#endif
