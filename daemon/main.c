/* main.c — anttd's command line: settings in layers, one-shot admin
 * commands, or the daemon itself. */
#include "daemon/admin.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/migrate.h"
#include "daemon/reg.h"
#include "daemon/verify.h"

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
            "usage: anttd [--config FILE] [--KEY=VALUE ...] [COMMAND ...]\n"
            "\n"
            "Without a command, run the daemon until SIGTERM (SIGHUP reloads the\n"
            "configuration file and the registry of units and nodes).\n"
            "CURVE is on unless --insecure: curve_key_file names the server's keypair\n"
            "(antt keygen); nodes and subscribers are enrolled with antt node|subscriber add.\n"
            "\n"
            "Commands (run in the order given, then exit; 0 when all succeeded):\n"
            "  --migrate               apply pending schema migrations\n"
            "  --load-units FILE       load a units CSV (db/units-cluster2.csv)\n"
            "  --load-groups FILE      load the crime groups CSV (db/crime_groups.csv)\n"
            "  --load-successors FILE  load unit merges (CSV: code,successor,effective)\n"
            "  --load-clusters FILE    load emulation clusters (db/clusters.csv: cluster,code)\n"
            "  --add-node NODE=UNIT    register a reporting node for a unit\n"
            "  --revoke-node NODE      revoke a node\n"
            "  --add-nodes-under UNIT=PREFIX\n"
            "                          register a node PREFIX<code> for every commune under UNIT\n"
            "  --verify                recompute every tally and case state from the event\n"
            "                          log; print differences; exit 1 if there are any\n"
            "  --print-config          print the effective settings (secrets masked)\n"
            "  -h, --help; -V, --version\n"
            "\n"
            "Settings (file: key = value; environment: ANTT_KEY; flag: --key=value):\n%s"
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
    if (sig == SIGHUP) daemon_reload = 1;
    else daemon_stop = 1;
}

static int is_command(const char *a)
{
    static const char *const cmds[] = {"--migrate", "--load-units", "--load-groups", "--load-successors", "--load-clusters", "--add-node",
                                       "--revoke-node", "--add-nodes-under", "--verify", "--print-config", NULL};
    for (const char *const *c = cmds; *c; c++)
        if (!strcmp(a, *c)) return 1;
    return 0;
}

static int takes_arg(const char *a)
{
    return !strcmp(a, "--load-units") || !strcmp(a, "--load-groups") || !strcmp(a, "--add-node") ||
           !strcmp(a, "--load-successors") || !strcmp(a, "--load-clusters") ||
           !strcmp(a, "--revoke-node") || !strcmp(a, "--add-nodes-under");
}

static PGconn *connect_db(const cfg_t *cfg)
{
    const char *keys[] = {"application_name", "dbname", NULL};
    const char *vals[] = {"anttd-admin", cfg->db, NULL};
    if (!cfg->db[0]) keys[1] = NULL;
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(c) != CONNECTION_OK) {
        log_error("store", "cannot connect: %s", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    return c;
}

static int run_command(PGconn *c, const cfg_t *cfg, const char *cmd, const char *arg)
{
    char err[1024];
    int n = 0;
    if (!strcmp(cmd, "--migrate")) {
        if (migrate_apply(c, &n, err, sizeof err) < 0) goto fail;
        int v = 0;
        migrate_current(c, &v, err, sizeof err);
        log_info("migrate", "applied=%d schema_version=%d", n, v);
    } else if (!strcmp(cmd, "--load-units")) {
        if (admin_load_units(c, arg, &n, err, sizeof err) < 0) goto fail;
        log_info("admin", "units loaded file=%s rows=%d", arg, n);
    } else if (!strcmp(cmd, "--load-groups")) {
        if (admin_load_groups(c, arg, &n, err, sizeof err) < 0) goto fail;
        log_info("admin", "crime groups loaded file=%s rows=%d", arg, n);
    } else if (!strcmp(cmd, "--load-successors")) {
        if (admin_load_successors(c, arg, &n, err, sizeof err) < 0) goto fail;
        log_info("admin", "unit merges loaded file=%s rows=%d", arg, n);
    } else if (!strcmp(cmd, "--load-clusters")) {
        if (admin_load_clusters(c, arg, &n, err, sizeof err) < 0) goto fail;
        log_info("admin", "clusters loaded file=%s rows=%d", arg, n);
    } else if (!strcmp(cmd, "--add-node")) {
        char node[128];
        const char *eq = strchr(arg, '=');
        if (!eq || (size_t)(eq - arg) >= sizeof node) {
            snprintf(err, sizeof err, "--add-node wants NODE=UNIT, got '%s'", arg);
            goto fail;
        }
        snprintf(node, sizeof node, "%.*s", (int)(eq - arg), arg);
        if (admin_add_node(c, node, eq + 1, err, sizeof err) < 0) goto fail;
        log_info("admin", "node registered node=%s unit=%s", node, eq + 1);
    } else if (!strcmp(cmd, "--add-nodes-under")) {
        char unit[64];
        const char *eq = strchr(arg, '=');
        if (!eq || (size_t)(eq - arg) >= sizeof unit) {
            snprintf(err, sizeof err, "--add-nodes-under wants UNIT=PREFIX, got '%s'", arg);
            goto fail;
        }
        snprintf(unit, sizeof unit, "%.*s", (int)(eq - arg), arg);
        if (admin_add_nodes_under(c, unit, eq + 1, &n, err, sizeof err) < 0) goto fail;
        log_info("admin", "nodes registered under=%s prefix=%s count=%d", unit, eq + 1, n);
    } else if (!strcmp(cmd, "--revoke-node")) {
        if (admin_revoke_node(c, arg, err, sizeof err) < 0) goto fail;
        log_info("admin", "node revoked node=%s", arg);
    } else if (!strcmp(cmd, "--verify")) {
        ledger_cfg_t l = daemon_ledger_cfg(cfg);
        reg_t *reg = reg_new(l.utc_offset_us);
        long diffs = 0;
        int rc = reg && reg_load(reg, c, err, sizeof err) == 0
                     ? verify_run(c, &l, reg, stdout, &diffs, err, sizeof err)
                     : -1;
        reg_free(&reg);
        if (rc < 0) goto fail;
        fflush(stdout);
        return diffs ? 1 : 0;
    }
    return 0;
fail:
    log_error("admin", "%s: %s", cmd, err);
    /* The input was refused (2) unless the database itself failed (5). */
    return PQstatus(c) != CONNECTION_OK || !strcmp(cmd, "--migrate") || !strcmp(cmd, "--verify") ? 5 : 2;
}

int main(int argc, char **argv)
{
    cfg_t cfg;
    char err[1024];
    const char *config_path = NULL;
    cfg_defaults(&cfg);

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
            printf("anttd %s (protocol 1, schema %d)\n", ANTTD_VERSION, migrate_latest());
            return 0;
        }
        if (!strcmp(argv[i], "--config") && i + 1 < argc) config_path = argv[++i];
        else if (!strncmp(argv[i], "--config=", 9)) config_path = argv[i] + 9;
    }
    if (config_path && cfg_load_file(&cfg, config_path, err, sizeof err) < 0) goto bad;
    if (cfg_load_env(&cfg, err, sizeof err) < 0) goto bad;

    /* Flags: settings first (whatever their position), commands after. */
    const char *cmds[64][2];
    int ncmds = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--config")) {
            i++;
            continue;
        }
        if (!strncmp(a, "--config=", 9)) continue;
        if (is_command(a)) {
            if (takes_arg(a) && i + 1 >= argc) {
                snprintf(err, sizeof err, "%s needs an argument", a);
                goto bad;
            }
            if (ncmds == 64) {
                snprintf(err, sizeof err, "too many commands");
                goto bad;
            }
            cmds[ncmds][0] = a;
            cmds[ncmds][1] = takes_arg(a) ? argv[++i] : NULL;
            ncmds++;
            continue;
        }
        if (strncmp(a, "--", 2)) {
            snprintf(err, sizeof err, "unexpected argument '%s' (see --help)", a);
            goto bad;
        }
        char key[64];
        const char *val;
        const char *eq = strchr(a, '=');
        if (!strcmp(a, "--insecure")) { /* a switch: development without CURVE */
            snprintf(key, sizeof key, "insecure");
            val = "1";
        } else if (eq) {
            snprintf(key, sizeof key, "%.*s", (int)(eq - a - 2), a + 2);
            val = eq + 1;
        } else {
            if (i + 1 >= argc) {
                snprintf(err, sizeof err, "%s needs a value", a);
                goto bad;
            }
            snprintf(key, sizeof key, "%s", a + 2);
            val = argv[++i];
        }
        for (char *p = key; *p; p++)
            if (*p == '-') *p = '_';
        if (cfg_set(&cfg, key, val, err, sizeof err) < 0) goto bad;
    }
    log_set_level((log_level_t)log_level_parse(cfg.log_level));

    if (ncmds) {
        int only_print = 1;
        for (int k = 0; k < ncmds; k++) only_print &= !strcmp(cmds[k][0], "--print-config");
        PGconn *c = only_print ? NULL : connect_db(&cfg);
        if (!only_print && !c) return 5;
        int rc = 0;
        for (int k = 0; k < ncmds && rc == 0; k++) {
            if (!strcmp(cmds[k][0], "--print-config")) {
                static char buf[8192];
                cfg_describe(&cfg, buf, sizeof buf);
                fputs(buf, stdout);
                continue;
            }
            rc = run_command(c, &cfg, cmds[k][0], cmds[k][1]);
        }
        if (c) PQfinish(c);
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
