/* test_config.c — settings in layers, validation that names the key, secrets masked. */
#include "daemon/config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

Test(config, defaults_are_valid_and_documented)
{
    cfg_t c;
    cfg_defaults(&c);
    cr_expect_str_eq(c.listen, "tcp://127.0.0.1:7720");
    cr_expect_eq(c.batch_max_events, 2000);
    cr_expect_eq(c.utc_offset_min, 420);
    cr_expect_eq(c.tipoff_limit_days, 20);
    char usage[8192];
    cfg_usage(usage, sizeof usage);
    cr_expect(strstr(usage, "batch_max_ms"));
    /* Every default passes its own validation: re-apply the description. */
    char desc[8192], err[256];
    cfg_describe(&c, desc, sizeof desc);
    cr_expect(strstr(desc, "queue_max_events = 100000"), "%s", desc);
    cr_expect_eq(cfg_set(&c, "batch_max_events", "2000", err, sizeof err), 0);
}

Test(config, bad_values_name_the_key)
{
    cfg_t c;
    char err[256];
    cfg_defaults(&c);
    cr_expect_eq(cfg_set(&c, "batch_max_ms", "soon", err, sizeof err), -1);
    cr_expect(strstr(err, "batch_max_ms") && strstr(err, "soon"), "%s", err);
    cr_expect_eq(cfg_set(&c, "batch_max_events", "0", err, sizeof err), -1);
    cr_expect(strstr(err, "outside"), "%s", err);
    cr_expect_eq(cfg_set(&c, "no_such_key", "1", err, sizeof err), -1);
    cr_expect(strstr(err, "no_such_key"), "%s", err);
    cr_expect_eq(cfg_set(&c, "log_level", "loud", err, sizeof err), -1);
    cr_expect_eq(cfg_set(&c, "migrate_on_start", "yes", err, sizeof err), 0);
    cr_expect_eq(c.migrate_on_start, 1);
}

Test(config, file_then_environment_then_flags)
{
    char path[] = "/tmp/antt-cfg-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    const char *text = "# comment\n\nbatch_max_ms = 7\nlisten = \"tcp://0.0.0.0:9000\"\n"
                       "batch_max_events=500\n";
    cr_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    cfg_t c;
    char err[256];
    cfg_defaults(&c);
    cr_assert_eq(cfg_load_file(&c, path, err, sizeof err), 0, "%s", err);
    cr_expect_eq(c.batch_max_ms, 7);
    cr_expect_str_eq(c.listen, "tcp://0.0.0.0:9000");
    setenv("ANTT_BATCH_MAX_MS", "9", 1);
    cr_assert_eq(cfg_load_env(&c, err, sizeof err), 0, "%s", err);
    unsetenv("ANTT_BATCH_MAX_MS");
    cr_expect_eq(c.batch_max_ms, 9);
    cr_expect_eq(c.batch_max_events, 500);
    cr_assert_eq(cfg_set(&c, "batch_max_ms", "1", err, sizeof err), 0);
    cr_expect_eq(c.batch_max_ms, 1);

    FILE *f = fopen(path, "w");
    fputs("batch_max_ms = 1\nthis line has no equals sign\n", f);
    fclose(f);
    cr_expect_eq(cfg_load_file(&c, path, err, sizeof err), -1);
    cr_expect(strstr(err, ":2:"), "%s", err);
    setenv("ANTT_BATCH_MAX_MS", "-5", 1);
    cr_expect_eq(cfg_load_env(&c, err, sizeof err), -1);
    cr_expect(strstr(err, "ANTT_BATCH_MAX_MS"), "%s", err);
    unsetenv("ANTT_BATCH_MAX_MS");
    unlink(path);
}

Test(config, passwords_never_reach_a_log_line)
{
    char out[256];
    cfg_mask_conninfo("host=db password=s3cret user=antt", out, sizeof out);
    cr_expect_str_eq(out, "host=db password=**** user=antt");
    cfg_mask_conninfo("password = 'it\\'s secret' dbname=x", out, sizeof out);
    cr_expect(!strstr(out, "secret"), "%s", out);
    cr_expect(strstr(out, "dbname=x"), "%s", out);
    cfg_mask_conninfo("postgresql://antt:s3cret@db:5432/antt?sslmode=require", out, sizeof out);
    cr_expect_str_eq(out, "postgresql://antt:****@db:5432/antt?sslmode=require");
    cfg_mask_conninfo("postgresql://db/antt?password=s3cret&sslmode=require", out, sizeof out);
    cr_expect_str_eq(out, "postgresql://db/antt?password=****&sslmode=require");
    cfg_mask_conninfo("host=db user=antt", out, sizeof out);
    cr_expect_str_eq(out, "host=db user=antt");
    cfg_t c;
    cfg_defaults(&c);
    char err[64], desc[8192];
    cfg_set(&c, "db", "host=db password=hunter2", err, sizeof err);
    cfg_describe(&c, desc, sizeof desc);
    cr_expect(!strstr(desc, "hunter2"), "%s", desc);
}

Test(config, the_shipped_example_loads_and_names_every_key)
{
    cfg_t c;
    char err[256];
    cfg_defaults(&c);
    const char *path = ANTT_SOURCE_DIR "/deploy/anttd.conf.example";
    cr_assert_eq(cfg_load_file(&c, path, err, sizeof err), 0, "%s", err);
    FILE *f = fopen(path, "r");
    cr_assert(f);
    static char text[16384];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    char usage[8192];
    cfg_usage(usage, sizeof usage);
    /* Each usage line starts with two spaces and the key. */
    for (char *line = strtok(usage, "\n"); line; line = strtok(NULL, "\n")) {
        char key[64];
        cr_assert_eq(sscanf(line, " %63s", key), 1);
        char want[80];
        snprintf(want, sizeof want, "\n%s = ", key);
        cr_expect(strstr(text, want), "deploy/anttd.conf.example does not set %s", key);
    }
}

static int load_text(cfg_t *c, const char *text, char *err, size_t errlen)
{
    char path[] = "/tmp/antt-cfg-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    int rc = cfg_load_file(c, path, err, errlen);
    unlink(path);
    return rc;
}

Test(config, trailing_comments_outside_quotes)
{
    cfg_t c;
    char err[512] = "";
    cfg_defaults(&c);
    cr_assert_eq(load_text(&c,
                           "node_rate = 500   # a busy district\n"
                           "listen = tcp://127.0.0.1:7800\t# moved\n"
                           "db = \"dbname=antt password=a #b\"  # quoted: the # is the password's\n"
                           "curve_key_file = /etc/antt/k#1\n",
                           err, sizeof err),
                 0, "%s", err);
    cr_expect_eq(c.node_rate, 500);
    cr_expect_str_eq(c.listen, "tcp://127.0.0.1:7800");
    cr_expect_str_eq(c.db, "dbname=antt password=a #b");
    cr_expect_str_eq(c.curve_key_file, "/etc/antt/k#1", "a # inside a word is not a comment");
    cr_expect_eq(load_text(&c, "log_level = warn#\n", err, sizeof err), -1, "warn# is not a level");
    cr_expect_eq(load_text(&c, "db = \"dbname=antt\" trailing\n", err, sizeof err), -1);
    cr_expect(strstr(err, ":1: db: a quoted value must end with a quote"), "%s", err);
    cr_expect_eq(load_text(&c, "db = \"dbname=antt\n", err, sizeof err), -1);
}

Test(config, keys_that_need_a_restart_are_named)
{
    cfg_t a, b;
    char out[256];
    cfg_defaults(&a);
    b = a;
    cr_expect_eq(cfg_restart_needed(&a, &b, out, sizeof out), 0);
    cr_expect_str_eq(out, "");
    b.batch_max_ms = 7;
    snprintf(b.log_level, sizeof b.log_level, "debug");
    cr_expect_eq(cfg_restart_needed(&a, &b, out, sizeof out), 0, "applied live: %s", out);
    snprintf(b.listen, sizeof b.listen, "tcp://127.0.0.1:1");
    b.node_rate = 5;
    cr_expect_eq(cfg_restart_needed(&a, &b, out, sizeof out), 2);
    cr_expect_str_eq(out, "listen, node_rate");
}

/* store_connections: 0 means one per online core, 1 to 4; else 1..16 as set;
 * a change needs a restart (the committers' threads are made at start). */
Test(config, store_connections_from_the_cores_or_as_set)
{
    cfg_t c, w;
    char err[256], pending[256];
    cfg_defaults(&c);
    cr_expect_eq(c.store_connections, 0);
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    const int want = cores < 1 ? 1 : cores > 4 ? 4 : (int)cores;
    cr_expect_eq(cfg_store_connections(&c), want);
    cr_expect_eq(cfg_set(&c, "store_connections", "17", err, sizeof err), -1);
    cr_expect(strstr(err, "store_connections") && strstr(err, "outside"), "%s", err);
    cr_expect_eq(cfg_set(&c, "store_connections", "-1", err, sizeof err), -1);
    cr_expect_eq(cfg_set(&c, "store_connections", "16", err, sizeof err), 0);
    cr_expect_eq(cfg_store_connections(&c), 16);
    cr_expect_eq(cfg_set(&c, "store_connections", "1", err, sizeof err), 0);
    cr_expect_eq(cfg_store_connections(&c), 1);
    w = c;
    cr_expect_eq(cfg_set(&w, "store_connections", "4", err, sizeof err), 0);
    cr_expect_eq(cfg_restart_needed(&c, &w, pending, sizeof pending), 1);
    cr_expect_str_eq(pending, "store_connections");
}
