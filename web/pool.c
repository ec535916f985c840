/* pool.c — see pool.h. */
#include "web/pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pool {
    char dsn[1024];
    int n, idle;
    db_t **free; /* idle connections (NULL: not opened yet) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

pool_t *pool_new(const char *dsn, int n)
{
    pool_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->free = calloc((size_t)n, sizeof *p->free);
    if (!p->free) {
        free(p);
        return NULL;
    }
    snprintf(p->dsn, sizeof p->dsn, "%s", dsn ? dsn : "");
    p->n = p->idle = n;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    return p;
}

void pool_free(pool_t **pp)
{
    pool_t *p = *pp;
    if (!p) return;
    for (int i = 0; i < p->idle; i++)
        db_close(&p->free[i]);
    free(p->free);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
    *pp = NULL;
}

db_t *pool_get(pool_t *p, char *err, size_t errlen)
{
    pthread_mutex_lock(&p->mu);
    while (!p->idle)
        pthread_cond_wait(&p->cv, &p->mu);
    db_t *c = p->free[--p->idle];
    pthread_mutex_unlock(&p->mu);
    if (c && !db_ok(c)) db_close(&c);
    if (!c) {
        c = db_connect(p->dsn, "anttweb", err, errlen);
        /* reads only, whatever the role may do */
        if (c && db_set_read_only(c, err, errlen) < 0) db_close(&c);
    }
    if (!c) pool_put(p, NULL); /* its place goes back */
    return c;
}

void pool_put(pool_t *p, db_t *c)
{
    pthread_mutex_lock(&p->mu);
    p->free[p->idle++] = c;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}
