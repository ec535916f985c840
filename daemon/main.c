/* main.c — anttd's command line: settings in layers, one-shot admin
 * commands, or the daemon itself. */
#include "db/admin.h"
#include "db/federation.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "db/fold.h"
#include "db/migrate.h"
#include "daemon/recover.h"
#include "daemon/reg.h"
#include "db/verify.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ANTT_VERSION
#define ANTT_VERSION "0"
#endif
#define ANTTD_VERSION ANTT_VERSION

static void usage(FILE *f)
{
    static char keys[8192];
    cfg_usage(keys, sizeof keys);
    fprintf(f,
            "usage: anttd [--config FILE] [--KEY VALUE | --KEY=VALUE ...] [COMMAND ...]\n"
            "\n"
            "Without a command, run the daemon until SIGTERM (SIGHUP reloads the\n"
            "configuration file and the registry of units and nodes).\n"
            "CURVE is on unless --insecure: curve_key_file names the server's keypair\n"
            "(antt keygen); nodes and subscribers are enrolled with antt node|subscriber add.\n"
            "\n"
            "Commands (run in the order given, then exit; 0 when all succeeded):\n"
            "  --migrate               apply pending schema migrations\n"
            "  --load-units FILE       load a units CSV (data/units-cluster2.csv)\n"
            "  --load-groups FILE      load the crime groups CSV (data/crime_groups.csv)\n"
            "  --load-successors FILE  load unit merges (data/successors-2025.csv: old_code,\n"
            "                          new_code,effective[,share_note][,note])\n"
            "  --load-clusters FILE    load emulation clusters (data/clusters.csv: cluster,code)\n"
            "  --load-days-off FILE    load days off (data/days-off.csv: day,off,name,source; the\n"
            "                          file's years replace those on record), then recompute\n"
            "                          the pending tip-offs' deadlines\n"
            "  --load-targets FILE     load targets (unit,year,figure,target[,source]; figure\n"
            "                          clearance, major, tipoff or wanted): antt report\n"
            "                          states them\n"
            "  --recompute-deadlines   recompute every pending tip-off's deadline under the\n"
            "                          settings and days off in force (Art. 134)\n"
            "  --add-node NODE=UNIT    register a reporting node for a unit\n"
            "  --revoke-node NODE      revoke a node\n"
            "  --add-nodes-under UNIT=PREFIX\n"
            "                          register a node PREFIX<code> for every commune under UNIT\n"
            "                          valid today (Hanoi's date)\n"
            "  --verify                recompute every tally and case state from the event\n"
            "                          log; print differences; exit 1 if there are any\n"
            "  --repair                --verify, then write the recomputed figures back (after\n"
            "                          a unit map dissolved units that already had events);\n"
            "                          batches wait while it runs\n"
            "  --recover-events CONNINFO\n"
            "                          take the events the database at CONNINFO holds and this\n"
            "                          one lacks (a database restored to before a mistake: the\n"
            "                          damaged one, or its secondary), as stations' resent\n"
            "                          events are taken\n"
            "  --federation-add CODE[,ROOT...]=CONNINFO\n"
            "                          on a Ministry's database: subscribe to province CODE\n"
            "                          (its units: the subtrees of CODE and of each ROOT, e.g.\n"
            "                          provinces merged into it) at CONNINFO, its primary, and\n"
            "                          take its history (docs/design/federation.md)\n"
            "  --federation-resync CODE\n"
            "                          make the Ministry's rows of province CODE equal to its\n"
            "                          primary's and restart its stream from a new slot (after\n"
            "                          its failover, or a slot it lost)\n"
            "  --federation-remove CODE\n"
            "                          stop feeding from province CODE (its figures stay)\n"
            "  --federation-reference CODE=CONNINFO\n"
            "                          on province CODE's database: take the reference data\n"
            "                          from the Ministry at CONNINFO (then the Ministry owns\n"
            "                          it: the --load-* commands are refused here); CODE\n"
            "                          alone: take it again\n"
            "  --print-config          print the effective settings (secrets masked)\n"
            "  -h, --help; -V, --version\n"
            "\n"
            "Settings (file: key = value; environment: ANTT_KEY; flag: --key value or\n"
            "--key=value, with dashes or underscores):\n%s"
            "\n"
            "The database: the `db` setting (a libpq conninfo), else the PG* variables.\n"
            "\n"
            "Exit codes: 0 done; 1 --verify found differences, or the daemon could not start\n"
            "or stopped on an error (a port taken, a bad key file); 2 bad usage, a bad setting,\n"
            "or a command's input refused (a file, a unit); 5 the database could not be\n"
            "reached or failed.\n",
            keys);
}

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        daemon_reload = 1;
    else
        daemon_stop = 1;
}

/* The one-shot commands, run in the order given; arg: they take a value. */
static const struct {
    const char *name;
    int arg;
} COMMANDS[] = {
    {"migrate", 0},
    {"load-units", 1},
    {"load-groups", 1},
    {"load-successors", 1},
    {"load-clusters", 1},
    {"add-node", 1},
    {"revoke-node", 1},
    {"add-nodes-under", 1},
    {"verify", 0},
    {"repair", 0},
    {"recover-events", 1},
    {"print-config", 0},
    {"load-days-off", 1},
    {"recompute-deadlines", 0},
    {"load-targets", 1},
    {"federation-add", 1},
    {"federation-resync", 1},
    {"federation-remove", 1},
    {"federation-reference", 1},
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

enum {
    OPT_CONFIG = 0x100,
    OPT_VERSION,
    OPT_KEY = 0x1000,
    OPT_KEY_DASHED = 0x2000,
    OPT_COMMAND = 0x3000
};

static db_t *connect_db(const cfg_t *cfg)
{
    char err[512];
    db_t *c = db_connect(cfg->db, "anttd-admin", err, sizeof err);
    if (!c) log_error("store", "cannot connect: %s", err);
    return c;
}

/* The pending tip-offs' deadlines under the rules of cfg and the days off
 * on record (the ledger's, as the daemon computes them): when they were
 * computed under others, or always with force. 0, or -1 with err. */
static int recompute_deadlines(db_t *c, const cfg_t *cfg, int force, char *err, size_t errlen)
{
    ledger_cfg_t l = daemon_ledger_cfg(cfg);
    reg_t *reg = reg_new(l.utc_offset_us);
    if (!reg) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    reg_ledger_hooks(reg, &l);
    char rules[640];
    long changed = 0;
    int rc = reg_load(reg, c, err, errlen);
    if (rc == 0) rc = verify_deadline_rules(c, &l.law, rules, sizeof rules, err, errlen);
    if (rc == 0) rc = verify_deadlines(c, &l, rules, force, stdout, &changed, err, errlen);
    reg_free(&reg);
    fflush(stdout);
    if (rc == 1) log_info("admin", "deadlines recomputed rules=\"%s\" changed=%ld", rules, changed);
    return rc < 0 ? -1 : 0;
}

/* The runner's deadlines hook (db/migrate.h): ctx is the cfg_t. */
static int deadlines_hook(db_t *c, const void *ctx, char *err, size_t errlen)
{
    return recompute_deadlines(c, ctx, 0, err, errlen);
}

/* How long a one-shot command waits for the batches committed before it to
 * be folded (a daemon killed -9 leaves its last ones for the next folder). */
#define FOLD_CATCH_UP_MS 10000

static int run_command(db_t *c, const cfg_t *cfg, const char *cmd, const char *arg)
{
    char err[1024];
    int n = 0;
    if (!strncmp(cmd, "load-", 5)) { /* reference data: the Ministry's, once it sends it */
        const int owned = fed_reference_owned(c, err, sizeof err);
        if (owned < 0) goto fail;
        if (owned) {
            snprintf(err, sizeof err,
                     "this province takes its reference data from the Ministry (subscription "
                     "antt_down): load %s there",
                     arg);
            goto fail;
        }
    }
    if (!strcmp(cmd, "migrate")) {
        const migrate_hooks_t hooks = {deadlines_hook, cfg};
        migrate_counts_t m;
        if (migrate_apply(c, &hooks, &m, err, sizeof err) < 0) goto fail;
        int v = 0;
        migrate_current(c, &v, err, sizeof err);
        log_info("migrate", "applied=%d repeatables=%d post_steps=%d schema_version=%d", m.versions,
                 m.repeatables, m.post_steps, v);
    } else if (!strcmp(cmd, "load-units")) {
        if (admin_load_units(c, arg, &n, err, sizeof err) < 0) goto fail;
        log_info("admin", "units loaded file=%s rows=%d", arg, n);
    } else if (!strcmp(cmd, "load-groups")) {
        if (admin_load_groups(c, arg, &n, err, sizeof err) < 0) goto fail;
        log_info("admin", "crime groups loaded file=%s rows=%d", arg, n);
    } else if (!strcmp(cmd, "load-successors")) {
        if (admin_load_successors(c, arg, &n, err, sizeof err) < 0) goto fail;
        log_info("admin", "unit merges loaded file=%s rows=%d", arg, n);
        /* the figures this judges include the batches not yet folded: by the
         * daemon that folds, or here when none does */
        if (fold_settle(c, FOLD_CATCH_UP_MS, err, sizeof err) < 0) goto fail;
        long stranded = admin_stranded_tallies(c, err, sizeof err);
        if (stranded < 0) goto fail;
        if (stranded)
            log_warn("admin",
                     "%ld tallies are dated after their unit was dissolved (events stored before "
                     "this map was loaded): they are in no figure until anttd --repair moves "
                     "them to the units that succeeded it",
                     stranded);
    } else if (!strcmp(cmd, "load-days-off")) {
        if (admin_load_days_off(c, arg, &n, err, sizeof err) < 0) goto fail;
        log_info("admin", "days off loaded file=%s rows=%d", arg, n);
        if (recompute_deadlines(c, cfg, 0, err, sizeof err) < 0) goto fail;
    } else if (!strcmp(cmd, "load-targets")) {
        if (admin_load_targets(c, arg, &n, err, sizeof err) < 0) goto fail;
        log_info("admin", "targets loaded file=%s rows=%d", arg, n);
    } else if (!strcmp(cmd, "recompute-deadlines")) {
        if (recompute_deadlines(c, cfg, 1, err, sizeof err) < 0) goto fail;
    } else if (!strcmp(cmd, "load-clusters")) {
        if (admin_load_clusters(c, arg, &n, err, sizeof err) < 0) goto fail;
        log_info("admin", "clusters loaded file=%s rows=%d", arg, n);
    } else if (!strcmp(cmd, "add-node")) {
        char node[128];
        const char *eq = strchr(arg, '=');
        if (!eq || (size_t)(eq - arg) >= sizeof node) {
            snprintf(err, sizeof err, "--add-node wants NODE=UNIT, got '%s'", arg);
            goto fail;
        }
        snprintf(node, sizeof node, "%.*s", (int)(eq - arg), arg);
        const char *name = node, *unit = eq + 1, *key = NULL;
        int changed, inserted;
        if (admin_enroll(c, ADMIN_NODES, 1, &name, &unit, &key, 1, &changed, &inserted, err,
                         sizeof err) != ADMIN_OK)
            goto fail;
        log_info("admin", "node registered node=%s unit=%s", node, eq + 1);
    } else if (!strcmp(cmd, "add-nodes-under")) {
        char unit[64];
        const char *eq = strchr(arg, '=');
        if (!eq || (size_t)(eq - arg) >= sizeof unit) {
            snprintf(err, sizeof err, "--add-nodes-under wants UNIT=PREFIX, got '%s'", arg);
            goto fail;
        }
        snprintf(unit, sizeof unit, "%.*s", (int)(eq - arg), arg);
        if (admin_add_nodes_under(c, unit, eq + 1, &n, err, sizeof err) < 0) goto fail;
        log_info("admin", "nodes registered under=%s prefix=%s count=%d", unit, eq + 1, n);
    } else if (!strcmp(cmd, "revoke-node")) {
        int found = 0;
        if (admin_revoke(c, ADMIN_NODES, arg, &found, &n, err, sizeof err) < 0) goto fail;
        if (!found) {
            snprintf(err, sizeof err, "no node '%s'", arg);
            goto fail;
        }
        log_info("admin", "node revoked node=%s", arg);
    } else if (!strncmp(cmd, "federation-", 11)) {
        fed_resync_t r;
        char code[8] = "", roots[256] = "", warn[512] = "";
        if (!strcmp(cmd, "federation-reference")) {
            const char *eq = strchr(arg, '=');
            snprintf(code, sizeof code, "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
            if (fed_reference(c, code, eq ? eq + 1 : NULL, &r, err, sizeof err) < 0) goto fail;
            log_info("federation", "reference data taken from the Ministry stream_from=%s rows=%ld",
                     r.lsn, r.cases);
            return 0;
        }
        if (!strcmp(cmd, "federation-add")) {
            const char *eq = strchr(arg, '=');
            const size_t head = eq ? (size_t)(eq - arg) : 0;
            if (!eq || head < 2 || head >= sizeof roots || !eq[1]) {
                snprintf(err, sizeof err, "--federation-add wants CODE[,ROOT...]=CONNINFO");
                goto fail;
            }
            memcpy(roots, arg, head);
            roots[head] = '\0';
            const char *comma = strchr(roots, ',');
            snprintf(code, sizeof code, "%.*s", (int)(comma ? comma - roots : (long)head), roots);
            if (fed_add(c, code, comma ? comma + 1 : NULL, eq + 1, &r, err, sizeof err) < 0)
                goto fail;
        } else if (!strcmp(cmd, "federation-resync")) {
            snprintf(code, sizeof code, "%s", arg);
            if (fed_resync(c, code, &r, err, sizeof err) < 0) goto fail;
        } else {
            if (fed_remove(c, arg, warn, sizeof warn, err, sizeof err) < 0) goto fail;
            if (*warn) log_warn("federation", "%s", warn);
            log_info("federation", "province removed code=%s", arg);
            return 0;
        }
        log_info("federation",
                 "province resynced code=%s stream_from=%s keys_corrected=%ld days=%ld"
                 " days_differing=%ld events_added=%ld events_removed=%ld case_rows=%ld",
                 code, r.lsn, r.keys, r.days, r.days_differing, r.events_added, r.events_removed,
                 r.cases);
    } else if (!strcmp(cmd, "recover-events")) {
        recover_counts_t r;
        const ledger_cfg_t l = daemon_ledger_cfg(cfg);
        if (recover_events(&l, cfg->db, (uint32_t)cfg->reject_raw_max, arg, &r, err, sizeof err) <
            0) {
            log_error("admin", "--recover-events: %s (%llu events read, %llu stored before it)",
                      err, (unsigned long long)r.read, (unsigned long long)r.accepted);
            return 5;
        }
        log_info("admin",
                 "events recovered read=%llu accepted=%llu duplicates=%llu refused=%llu"
                 " deferred=%llu",
                 (unsigned long long)r.read, (unsigned long long)r.accepted,
                 (unsigned long long)r.duplicates, (unsigned long long)r.refused,
                 (unsigned long long)r.deferred);
        /* the figures include what was taken: by the daemon that folds, or here */
        if (fold_settle(c, FOLD_CATCH_UP_MS, err, sizeof err) < 0) goto fail;
    } else if (!strcmp(cmd, "verify") || !strcmp(cmd, "repair")) {
        const int repair = !strcmp(cmd, "repair");
        /* Nothing is folded here: the figures are compared with the
         * unfolded batches added, and a repair replays them (a command that
         * folded beside a running daemon would take windows from its
         * stream). */
        ledger_cfg_t l = daemon_ledger_cfg(cfg);
        reg_t *reg = reg_new(l.utc_offset_us);
        reg_ledger_hooks(reg, &l);
        long diffs = 0;
        int rc = reg && reg_load(reg, c, err, sizeof err) == 0
                     ? verify_run(c, &l, stdout, &diffs, repair, err, sizeof err)
                     : -1;
        reg_free(&reg);
        fflush(stdout);
        if (rc == -2) { /* the differences are not of a kind a replay may fix */
            log_error("admin", "--%s: %s", cmd, err);
            return 1;
        }
        if (rc < 0) goto fail;
        return diffs && !repair ? 1 : 0;
    }
    return 0;
fail:
    log_error("admin", "--%s: %s", cmd, err);
    /* The input was refused (2) unless the database itself failed (5). */
    return !db_ok(c) || !strcmp(cmd, "migrate") || !strcmp(cmd, "verify") ||
                   !strcmp(cmd, "repair") || !strcmp(cmd, "recompute-deadlines")
               ? 5
               : 2;
}

int main(int argc, char **argv)
{
    cfg_t cfg;
    char err[1024];
    const char *config_path = NULL;
    cfg_defaults(&cfg);

    /* One getopt_long pass over the settings (each key as --key_name and
     * --key-name, `--key value` or `--key=value`), the commands and
     * --config; then the layers in order: file, environment, flags. */
    const size_t nkeys = cfg_key_count();
    struct option *lo = calloc(2 * nkeys + NCOMMANDS + 4, sizeof *lo);
    static char dashed[64][40];
    const char *sets[256][2], *cmds[64][2];
    int nsets = 0, ncmds = 0, n = 0;
    if (!lo || nkeys > 64) {
        snprintf(err, sizeof err, "out of memory");
        goto bad;
    }
    for (size_t i = 0; i < nkeys; i++) {
        int is_bool;
        const char *name = cfg_key_name(i, &is_bool);
        /* --insecure alone means insecure=1; every other setting takes a value */
        const int has = !strcmp(name, "insecure") ? optional_argument : required_argument;
        lo[n++] = (struct option){name, has, NULL, OPT_KEY + (int)i};
        snprintf(dashed[i], sizeof dashed[i], "%s", name);
        for (char *p = dashed[i]; *p; p++)
            if (*p == '_') *p = '-';
        if (strcmp(dashed[i], name))
            lo[n++] = (struct option){dashed[i], has, NULL, OPT_KEY_DASHED + (int)i};
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        lo[n++] =
            (struct option){COMMANDS[i].name, COMMANDS[i].arg ? required_argument : no_argument,
                            NULL, OPT_COMMAND + (int)i};
    lo[n++] = (struct option){"config", required_argument, NULL, OPT_CONFIG};
    lo[n++] = (struct option){"help", no_argument, NULL, 'h'};
    lo[n++] = (struct option){"version", no_argument, NULL, 'V'};
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, ":hV", lo, NULL)) != -1;) {
        if (c == 'h') {
            usage(stdout);
            free(lo);
            return 0;
        }
        if (c == 'V') {
            printf("anttd %s (protocol 1, schema %d)\n", ANTTD_VERSION, migrate_latest());
            free(lo);
            return 0;
        }
        if (c == ':' || c == '?') {
            const char *what = argv[optind - 1];
            if (c == ':')
                snprintf(err, sizeof err, "%s needs a value", what);
            else if (optopt >= 0x100)
                snprintf(err, sizeof err, "%s takes no value", what);
            else if (optopt)
                snprintf(err, sizeof err, "unknown option '-%c' (see --help)", optopt);
            else
                snprintf(err, sizeof err, "unknown or ambiguous option '%s' (see --help)", what);
            free(lo);
            goto bad;
        }
        if (c == OPT_CONFIG) {
            config_path = optarg;
        } else if (c >= OPT_COMMAND) {
            if (ncmds == 64) {
                snprintf(err, sizeof err, "too many commands");
                free(lo);
                goto bad;
            }
            cmds[ncmds][0] = COMMANDS[c - OPT_COMMAND].name;
            cmds[ncmds++][1] = optarg;
        } else if (nsets < 256) {
            const int k = c >= OPT_KEY_DASHED ? c - OPT_KEY_DASHED : c - OPT_KEY;
            sets[nsets][0] = cfg_key_name((size_t)k, NULL);
            sets[nsets++][1] = optarg ? optarg : "1";
        }
    }
    free(lo);
    if (optind < argc) {
        snprintf(err, sizeof err, "unexpected argument '%s' (see --help)", argv[optind]);
        goto bad;
    }
    if (config_path && cfg_load_file(&cfg, config_path, err, sizeof err) < 0) goto bad;
    if (cfg_load_env(&cfg, err, sizeof err) < 0) goto bad;
    for (int i = 0; i < nsets; i++)
        if (cfg_set(&cfg, sets[i][0], sets[i][1], err, sizeof err) < 0) goto bad;
    log_set_level((log_level_t)log_level_parse(cfg.log_level));

    if (ncmds) {
        int only_print = 1;
        for (int k = 0; k < ncmds; k++)
            only_print &= !strcmp(cmds[k][0], "print-config");
        db_t *c = only_print ? NULL : connect_db(&cfg);
        if (!only_print && !c) return 5;
        int rc = 0;
        for (int k = 0; k < ncmds && rc == 0; k++) {
            if (!strcmp(cmds[k][0], "print-config")) {
                static char buf[8192];
                cfg_describe(&cfg, buf, sizeof buf);
                fputs(buf, stdout);
                continue;
            }
            rc = run_command(c, &cfg, cmds[k][0], cmds[k][1]);
        }
        db_close(&c);
        return rc;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: zmq_poll returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    daemon_t d;
    if (daemon_init(&d, &cfg, config_path, err, sizeof err) < 0) {
        log_error("anttd", "%s", err);
        return 1;
    }
    char masked[1024];
    cfg_mask_conninfo(cfg.db, masked, sizeof masked);
    log_info("anttd", "starting version=%s schema=%d db=\"%s\"", ANTTD_VERSION, migrate_latest(),
             masked);
    int rc = daemon_run(&d);
    daemon_fini(&d);
    return rc;
bad:
    log_error("config", "%s", err);
    return 2;
}
