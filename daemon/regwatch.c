/* regwatch.c — the registry kept current, failing closed (see regwatch.h). */
#include "daemon/regwatch.h"

#include "daemon/log.h"
#include "daemon/loop.h"
#include "db/verify.h"
#include "rules/lawtime.h"
#include "proto/err.h"
#include "proto/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define STALE_WHY "the daemon cannot load its registry"

struct regwatch {
    reg_t *reg;
    store_t *store;
    intake_t *in;
    ledger_cfg_t ledger;
    int utc_offset_min;
    void (*changed)(void *ctx);
    void *ctx;
    int64_t loaded_us;       /* the last load tried */
    int64_t stale_us;        /* could not be loaded since (0: it is current) */
    int64_t stale_logged_us; /* the last "refusing every station" line */
    uint64_t failures;
};

regwatch_t *regwatch_new(reg_t *reg, store_t *store, intake_t *in, const ledger_cfg_t *ledger,
                         int utc_offset_min, void (*changed)(void *ctx), void *ctx)
{
    regwatch_t *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->reg = reg;
    w->store = store;
    w->in = in;
    w->ledger = *ledger;
    w->utc_offset_min = utc_offset_min;
    w->changed = changed;
    w->ctx = ctx;
    return w;
}

void regwatch_free(regwatch_t **w)
{
    free(*w);
    *w = NULL;
}

int regwatch_stale(const regwatch_t *w)
{
    return w->stale_us != 0;
}

uint64_t regwatch_failures(const regwatch_t *w)
{
    return w->failures;
}

/* The registry failed to load (a reload after a change, a retry): who may
 * submit is not known, so nobody may — a revocation that cannot be
 * confirmed must not leave the key working. Handshakes are refused, open
 * connections cut, events deferred with 500 (kept and resent by their
 * stations); said at once and every 10 s after. */
static void failed(regwatch_t *w, const char *why, const char *err)
{
    const int64_t now = mono_us();
    w->failures++;
    const int first = !w->stale_us;
    if (first) w->stale_us = now;
    if (first || now - w->stale_logged_us > 10000000) {
        log_error("registry",
                  "reload (%s) failed, refusing every station until it loads (stale for %lld s): "
                  "%s",
                  why, (long long)((now - w->stale_us) / 1000000), err);
        w->stale_logged_us = now;
    }
    auth_close_all(w->in->auth, STALE_WHY);
    int cut = auth_cut_revoked(w->in->auth, w->reg);
    if (first) {
        if (cut) log_warn("registry", "cut %d connections until the registry loads", cut);
        w->changed(w->ctx);
    }
}

static void loaded(regwatch_t *w)
{
    if (!w->stale_us) return;
    log_info("registry", "loaded again after %lld s: taking events",
             (long long)((mono_us() - w->stale_us) / 1000000));
    w->stale_us = 0;
    auth_close_all(w->in->auth, NULL);
    w->changed(w->ctx);
}

void regwatch_admit(regwatch_t *w, store_ev_t *e, const char *auth_node)
{
    if (w->stale_us) {
        e->fixed = 1;
        e->v = (verdict_t){.status = ACK_DEFERRED, .code = ANTT_E_INTERNAL};
        snprintf(e->v.msg, sizeof e->v.msg, STALE_WHY "; resend later");
        return;
    }
    int rc = reg_admit(w->reg, &e->ev, auth_node, &e->v);
    if (rc == 0) return;
    /* An operator may just have registered this node or unit: look again,
     * at most once a second. */
    int64_t now = mono_us();
    if (reg_might_learn(w->reg, &e->ev) && store_connected(w->store) &&
        now - w->loaded_us > 1000000) {
        char err[256];
        w->loaded_us = now;
        if (reg_load(w->reg, store_db(w->store), err, sizeof err) < 0) {
            failed(w, "an unknown node or unit", err);
            regwatch_admit(w, e, auth_node); /* deferred */
            return;
        }
        rc = reg_admit(w->reg, &e->ev, auth_node, &e->v);
        if (rc == 0) return;
    }
    e->fixed = 1;
}

/* The pending tip-offs' deadlines follow the rules in force (this daemon's
 * settings and antt.days_off): recomputed by the ledger when they were
 * computed under others (a migration that changed the rules, a calendar
 * loaded, a setting changed), before any event is taken. 0, or -1 with err. */
static int deadlines_current(regwatch_t *w, int warn, char *err, size_t errlen)
{
    ledger_cfg_t l = w->ledger;
    reg_ledger_hooks(w->reg, &l);
    char rules[640];
    long changed = 0;
    FILE *quiet = fopen("/dev/null", "w");
    int rc = verify_deadline_rules(store_db(w->store), &l.law, rules, sizeof rules, err, errlen);
    if (rc == 0)
        rc = verify_deadlines(store_db(w->store), &l, rules, 0, quiet ? quiet : stderr, &changed,
                              err, errlen);
    if (quiet) fclose(quiet);
    if (rc < 0) return -1;
    if (rc == 1)
        log_info("deadlines", "pending tip-offs' deadlines recomputed (%s): %ld changed", rules,
                 changed);
    const int32_t today = (int32_t)((time(NULL) + w->utc_offset_min * 60) / 86400);
    const int gap = lawtime_calendar_gap(today, reg_days_off_in_year, w->reg);
    if (warn && gap)
        log_warn("deadlines",
                 "no days off on record for %d: its limits in months move past Saturdays and "
                 "Sundays only; load the year's holidays when announced (anttd --load-days-off "
                 "FILE, data/README.md)",
                 gap);
    return 0;
}

int regwatch_load(regwatch_t *w, int64_t now, char *err, size_t errlen)
{
    if (reg_load(w->reg, store_db(w->store), err, errlen) < 0 ||
        deadlines_current(w, 1, err, errlen) < 0)
        return -1;
    w->loaded_us = now;
    return 0;
}

void regwatch_connected(regwatch_t *w)
{
    int u, n, g;
    reg_counts(w->reg, &u, &n, &g);
    int cut = auth_cut_revoked(w->in->auth, w->reg); /* revoked while we were away */
    log_info("store", "database connected units=%d nodes=%d groups=%d subscribers=%d%s", u, n, g,
             reg_subscriber_count(w->reg), cut ? " (revoked connections cut)" : "");
}

/* Who may connect changed (a notice from the database, SIGHUP, a new
 * connection): reload, then cut the connections of keys revoked since. */
void regwatch_reload(regwatch_t *w, const char *why)
{
    char err[512];
    if (!store_connected(w->store)) return;
    w->loaded_us = mono_us();
    if (reg_load(w->reg, store_db(w->store), err, sizeof err) < 0) {
        failed(w, why, err);
        return;
    }
    loaded(w);
    if (deadlines_current(w, 0, err, sizeof err) < 0)
        log_error("deadlines", "recomputing the pending tip-offs' deadlines: %s", err);
    int cut = auth_cut_revoked(w->in->auth, w->reg);
    int u, n, g;
    reg_counts(w->reg, &u, &n, &g);
    log_info("registry", "reloaded (%s) units=%d nodes=%d subscribers=%d connections_cut=%d", why,
             u, n, reg_subscriber_count(w->reg), cut);
    w->changed(w->ctx);
}

int regwatch_notices_items(void *state, int64_t now, zmq_pollitem_t *it)
{
    (void)now;
    const regwatch_t *w = state;
    const int fd = store_socket(w->store);
    if (fd < 0) return 0;
    it[0] = (zmq_pollitem_t){NULL, fd, ZMQ_POLLIN, 0};
    return 1;
}

int64_t regwatch_notices_run(void *state, int64_t now)
{
    (void)now;
    regwatch_t *w = state;
    if (store_registry_changed(w->store))
        regwatch_reload(w, "changed in the database");
    else if (w->stale_us && mono_us() - w->loaded_us > 1000000)
        regwatch_reload(w, "retry");
    return LOOP_EACH_TURN;
}
