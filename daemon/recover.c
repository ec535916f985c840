/* recover.c — another database's events taken again (daemon/recover.h). */
#include "daemon/recover.h"

#include "daemon/reg.h"
#include "db/recover.h"
#include "db/store.h"
#include "proto/decode.h"
#include "proto/ts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Events per transaction: the daemon's default batch_max_events. */
#define RECOVER_BATCH 2000

typedef struct {
    reg_t *reg;
    store_t *store;
    store_ev_t ev[RECOVER_BATCH];
    uint8_t *raw[RECOVER_BATCH]; /* each event's bytes, owned: ev[i].ev points into them */
    uint32_t n;
    recover_counts_t *count;
    int failed; /* err says why */
    char *err;
    size_t errlen;
} recover_t;

static int commit(recover_t *r)
{
    if (!r->n) return 0;
    store_work_t w = {.ev = r->ev, .nev = r->n};
    const store_rc_t rc = store_commit(r->store, &w, ts_now_us(), r->err, r->errlen);
    r->failed = rc != STORE_OK;
    if (rc == STORE_OK)
        for (uint32_t i = 0; i < r->n; i++) {
            switch (r->ev[i].v.status) {
            case ACK_ACCEPTED: r->count->accepted++; break;
            case ACK_DUPLICATE: r->count->duplicates++; break;
            case ACK_DEFERRED: r->count->deferred++; break;
            default: r->count->refused++; break;
            }
        }
    for (uint32_t i = 0; i < r->n; i++)
        free(r->raw[i]);
    r->n = 0;
    return rc == STORE_OK ? 0 : -1;
}

static int take(void *ctx, const uint8_t *raw, size_t len)
{
    recover_t *r = ctx;
    r->count->read++;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) {
        snprintf(r->err, r->errlen, "out of memory");
        r->failed = 1;
        return -1;
    }
    memcpy(copy, raw, len);
    store_ev_t *e = &r->ev[r->n];
    memset(e, 0, sizeof *e);
    dec_msg_t m;
    dec_err_t de;
    if (dec_open(&m, copy, len, ts_now_us(), &de) < 0 || dec_next(&m, &e->ev, &de) != 1) {
        /* stored by an anttd, so it decoded then: say so, store nothing */
        free(copy);
        r->count->refused++;
        fprintf(stderr, "recover: an event of the other log does not decode: %d %s\n", de.code,
                de.msg);
        return 0;
    }
    r->raw[r->n++] = copy;
    /* as from its own node: its key opened the connection that brought it */
    char node[ANTT_MAX_NODE_BYTES + 1];
    snprintf(node, sizeof node, "%.*s", (int)e->ev.node.n, e->ev.node.p);
    if (reg_admit(r->reg, &e->ev, node, &e->v) != 0) e->fixed = 1;
    return r->n == RECOVER_BATCH ? commit(r) : 0;
}

int recover_events(const ledger_cfg_t *lcfg, const char *conninfo, uint32_t reject_raw_max,
                   const char *src_conninfo, recover_counts_t *n, char *err, size_t errlen)
{
    memset(n, 0, sizeof *n);
    err[0] = '\0';
    ledger_cfg_t l = *lcfg;
    recover_t *r = calloc(1, sizeof *r);
    db_t *src = NULL;
    int rc = -1;
    if (!r || !(r->reg = reg_new(l.utc_offset_us))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    reg_ledger_hooks(r->reg, &l);
    r->count = n;
    r->err = err;
    r->errlen = errlen;
    r->store = store_new(conninfo, &l, reject_raw_max);
    if (!r->store) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (store_connect(r->store, err, errlen) < 0 ||
        reg_load(r->reg, store_db(r->store), err, errlen) < 0)
        goto out;
    char e[512];
    src = db_connect(src_conninfo, "anttd-recover", e, sizeof e);
    if (!src) {
        snprintf(err, errlen, "the other database: %s", e);
        goto out;
    }
    if (recover_read(src, take, r, e, sizeof e) != 0) {
        if (!r->failed) snprintf(err, errlen, "the other database: %s", e);
        goto out;
    }
    rc = commit(r);
out:
    if (r) {
        for (uint32_t i = 0; i < r->n; i++)
            free(r->raw[i]);
        store_free(&r->store);
        reg_free(&r->reg);
        free(r);
    }
    db_close(&src);
    return rc;
}
