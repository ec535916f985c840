/* gate.c — see gate.h. A table of max * 2 + 16 places searched from start
 * to end (hundreds of connections): a cut connection keeps its place until
 * libmicrohttpd has closed it, so the table has room beyond max for those. */
#include "net/gate.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { FREE, ARRIVING, ANSWERING, CUT };

struct gate_conn {
    int state, fd;
    uint8_t addr[16]; /* IPv4 mapped into IPv6's form */
    int64_t since;    /* the request's clock */
};

struct gate {
    gate_cfg_t cfg;
    uint8_t exempt[16];
    int has_exempt;
    gate_conn_t *v;
    int cap;
    gate_stats_t st;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t reaper;
    int stopping, has_reaper;
};

int64_t gate_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Not inlined: gcc -O2 then sees a caller's sockaddr_in and warns that the
 * IPv6 branch (which it never takes for one) reads past it. */
__attribute__((noinline)) static void addr_key(const struct sockaddr *sa, uint8_t out[16])
{
    memset(out, 0, 16);
    if (sa && sa->sa_family == AF_INET) {
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    }
}

static void *reap_loop(void *arg)
{
    gate_t *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000L; /* a tenth of a second past the deadline at most */
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&g->cv, &g->mu, &ts);
        if (g->stopping) break;
        pthread_mutex_unlock(&g->mu);
        gate_reap(g, gate_now_ms());
        pthread_mutex_lock(&g->mu);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

gate_t *gate_new(const gate_cfg_t *cfg)
{
    gate_t *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->cfg = *cfg;
    g->cfg.exempt = NULL;
    if (cfg->exempt) {
        struct sockaddr_in a = {.sin_family = AF_INET};
        struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
        if (inet_pton(AF_INET, cfg->exempt, &a.sin_addr) == 1)
            addr_key((struct sockaddr *)&a, g->exempt), g->has_exempt = 1;
        else if (inet_pton(AF_INET6, cfg->exempt, &a6.sin6_addr) == 1)
            addr_key((struct sockaddr *)&a6, g->exempt), g->has_exempt = 1;
    }
    g->cap = cfg->max * 2 + 16;
    g->v = calloc((size_t)g->cap, sizeof *g->v);
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    if (g->v && cfg->reaper) g->has_reaper = pthread_create(&g->reaper, NULL, reap_loop, g) == 0;
    if (!g->v || (cfg->reaper && !g->has_reaper)) gate_free(&g);
    return g;
}

void gate_free(gate_t **gp)
{
    gate_t *g = *gp;
    if (!g) return;
    if (g->has_reaper) {
        pthread_mutex_lock(&g->mu);
        g->stopping = 1;
        pthread_cond_signal(&g->cv);
        pthread_mutex_unlock(&g->mu);
        pthread_join(g->reaper, NULL);
    }
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
    free(g->v);
    free(g);
    *gp = NULL;
}

/* Under the lock: end c's connection. The socket is still open (its
 * closing waits for gate_close, which takes this lock). */
static void cut(gate_conn_t *c)
{
    c->state = CUT;
    shutdown(c->fd, SHUT_RDWR);
}

int gate_admit(gate_t *g, const struct sockaddr *addr, int64_t now_ms)
{
    (void)now_ms;
    uint8_t k[16];
    addr_key(addr, k);
    const int exempt = g->has_exempt && !memcmp(k, g->exempt, 16);
    pthread_mutex_lock(&g->mu);
    int live = 0, mine = 0;
    gate_conn_t *oldest = NULL;
    for (int i = 0; i < g->cap; i++) {
        gate_conn_t *c = &g->v[i];
        if (c->state != ARRIVING && c->state != ANSWERING) continue;
        live++;
        if (!memcmp(c->addr, k, 16)) mine++;
        if (c->state == ARRIVING && (!oldest || c->since < oldest->since)) oldest = c;
    }
    int ok = 1;
    if (!exempt && mine >= g->cfg.per_addr) {
        g->st.refused_per_addr++;
        ok = 0;
    } else if (live >= g->cfg.max) {
        if (oldest) {
            cut(oldest);
            g->st.evicted++;
        } else {
            g->st.refused_full++;
            ok = 0;
        }
    }
    pthread_mutex_unlock(&g->mu);
    return ok;
}

gate_conn_t *gate_open(gate_t *g, int fd, const struct sockaddr *addr, int64_t now_ms)
{
    gate_conn_t *c = NULL;
    pthread_mutex_lock(&g->mu);
    for (int i = 0; i < g->cap && !c; i++)
        if (g->v[i].state == FREE) c = &g->v[i];
    if (c) {
        c->state = ARRIVING;
        c->fd = fd;
        c->since = now_ms;
        addr_key(addr, c->addr);
        g->st.open++;
    }
    pthread_mutex_unlock(&g->mu);
    return c;
}

void gate_arrived(gate_t *g, gate_conn_t *c)
{
    if (!c) return;
    pthread_mutex_lock(&g->mu);
    if (c->state == ARRIVING) c->state = ANSWERING;
    pthread_mutex_unlock(&g->mu);
}

void gate_answered(gate_t *g, gate_conn_t *c, int64_t now_ms)
{
    if (!c) return;
    pthread_mutex_lock(&g->mu);
    if (c->state == ANSWERING) {
        c->state = ARRIVING;
        c->since = now_ms;
    }
    pthread_mutex_unlock(&g->mu);
}

void gate_close(gate_t *g, gate_conn_t *c)
{
    if (!c) return;
    pthread_mutex_lock(&g->mu);
    c->state = FREE;
    g->st.open--;
    pthread_mutex_unlock(&g->mu);
}

int gate_reap(gate_t *g, int64_t now_ms)
{
    int n = 0;
    pthread_mutex_lock(&g->mu);
    for (int i = 0; i < g->cap; i++) {
        gate_conn_t *c = &g->v[i];
        if (c->state == ARRIVING && now_ms - c->since > g->cfg.deadline_ms) {
            cut(c);
            n++;
        }
    }
    g->st.deadline_cut += (uint64_t)n;
    pthread_mutex_unlock(&g->mu);
    return n;
}

void gate_stats(gate_t *g, gate_stats_t *out)
{
    pthread_mutex_lock(&g->mu);
    *out = g->st;
    pthread_mutex_unlock(&g->mu);
}
